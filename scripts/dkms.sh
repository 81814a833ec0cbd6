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

top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(cat "$top/VERSION")
src=/usr/src/demuxguard-$ver

command -v dkms >/dev/null || { echo "dkms.sh: dkms is not installed (apt-get install dkms)" >&2; exit 1; }

case ${1:-} in
install)
	shift
	if dkms status -m demuxguard -v "$ver" 2>/dev/null | grep -q .; then
		dkms remove -m demuxguard -v "$ver" --all >/dev/null
	fi
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
	if dkms status -m demuxguard -v "$ver" 2>/dev/null | grep -q .; then
		dkms remove -m demuxguard -v "$ver" --all
	fi
	rm -rf "$src"
	;;
*)
	echo "usage: dkms.sh install [KERNELRELEASE...] | remove" >&2
	exit 1
	;;
esac
