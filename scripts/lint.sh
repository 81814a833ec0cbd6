#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/lint.sh sparse REL | checkpatch - the kernel's own static checks
# on the module:
#   sparse REL   rebuilds the module for kernelrelease REL with C=2 (sparse
#                on every file) and W=1; any sparse or compiler warning fails
#   checkpatch   the kernel's scripts/checkpatch.pl --strict on module/
#                (taken from Debian's linux-source-6.12 and cached); any
#                error, warning or check fails
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}

case ${1:-} in
sparse)
	rel=${2:?usage: lint.sh sparse KERNELRELEASE}
	command -v sparse >/dev/null || { echo "lint.sh: sparse is not installed" >&2; exit 1; }
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	cp -a "$top/Kbuild" "$top/Makefile" "$top/VERSION" "$top/module" "$work/"
	find "$work/module" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
	make -C "$work" sparse KERNELRELEASE="$rel" >"$work/sparse.log" 2>&1 ||
		{ cat "$work/sparse.log"; exit 1; }
	if grep -E 'warning:|error:' "$work/sparse.log"; then
		exit 1
	fi
	echo "sparse: clean for $rel"
	;;
checkpatch)
	dir=$DG_CACHE/checkpatch
	if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
		tarball=/usr/src/linux-source-6.12.tar.xz
		[ -f "$tarball" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-source-6.12 >/dev/null
		mkdir -p "$dir"
		tar -C "$dir" --strip-components=1 -xf "$tarball" \
			linux-source-6.12/scripts/checkpatch.pl \
			linux-source-6.12/scripts/spelling.txt \
			linux-source-6.12/scripts/const_structs.checkpatch
	fi
	rc=0
	for f in "$top"/module/*.c "$top"/module/*.h "$top"/module/uapi/*.h; do
		case $f in *.mod.c) continue ;; esac
		out=$(cd "$dir" && perl scripts/checkpatch.pl --no-tree --strict --terse \
			--ignore FILE_PATH_CHANGES -f "$f" 2>&1) || rc=1
		# --terse prints nothing for a clean file.
		if [ -n "$out" ]; then
			echo "$out"
			rc=1
		fi
	done
	[ $rc = 0 ] && echo "checkpatch: clean"
	exit $rc
	;;
*)
	echo "usage: lint.sh sparse KERNELRELEASE | checkpatch" >&2
	exit 1
	;;
esac
