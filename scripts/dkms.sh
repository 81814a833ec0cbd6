#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/dkms.sh install [KERNELRELEASE...] | remove
#
# install: registers this tree with DKMS as demuxguard/<VERSION> (copying the
#          module sources to /usr/src/demuxguard-<VERSION>), then builds and
#          installs it for the given kernels, or for every kernel with
#          headers when none is given (what DKMS does on kernel upgrades).
# remove:  removes demuxguard/<VERSION> from DKMS for every kernel and
#          deletes /usr/src/demuxguard-<VERSION>.
set -euo pipefail

# Is demuxguard/<ver> known to DKMS? (No pipe into grep -q: under pipefail
# an early exit of grep would fail the test with SIGPIPE.)
registered() {
	local st
	st=$(dkms status -m demuxguard -v "$ver" 2>/dev/null || true)
	[ -n "$st" ] || [ -e "/var/lib/dkms/demuxguard/$ver" ]
}

top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(cat "$top/VERSION")
src=/usr/src/demuxguard-$ver

command -v dkms >/dev/null || { echo "dkms.sh: dkms is not installed (apt-get install dkms)" >&2; exit 1; }

case ${1:-} in
install)
	shift
	registered && "$0" remove >/dev/null
	rm -rf "$src"
	mkdir -p "$src"
	# Only what DKMS builds: the module, its Kbuild glue and the version.
	cp -a "$top/Kbuild" "$top/Makefile" "$top/VERSION" "$top/dkms.conf" "$top/module" "$src/"
	find "$src/module" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \
		-o -name 'modules.order' -o -name 'Module.symvers' \) -delete
	dkms add -m demuxguard -v "$ver"
	if [ $# -eq 0 ]; then
		dkms autoinstall
	else
		for k in "$@"; do
			dkms build -m demuxguard -v "$ver" -k "$k"
			dkms install -m demuxguard -v "$ver" -k "$k"
		done
	fi
	;;
remove)
	if registered; then
		# dkms needs the source's dkms.conf to remove a version.
		[ -f "$src/dkms.conf" ] || { mkdir -p "$src" && cp "$top/dkms.conf" "$top/VERSION" "$src/"; }
		dkms remove -m demuxguard -v "$ver" --all
	fi
	rm -rf "$src" "/var/lib/dkms/demuxguard/$ver"
	;;
*)
	echo "usage: dkms.sh install [KERNELRELEASE...] | remove" >&2
	exit 1
	;;
esac
