#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/build-module.sh REL [OUTDIR] - build demuxguard.ko for kernelrelease
# REL in a private copy of the tree, so builds for several kernels can sit
# side by side (kbuild writes objects next to the sources). Prints the path
# of the built module. With W1=1 the build uses W=1 and fails on any
# compiler warning, which is how `make check` holds the module to "compiles
# clean".
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rel=${1:?usage: build-module.sh KERNELRELEASE [OUTDIR]}
out=${2:-$top/build/$rel}

rm -rf "$out/src"
mkdir -p "$out/src"
cp -a "$top/Kbuild" "$top/Makefile" "$top/VERSION" "$top/module" "$out/src/"
# A stale in-tree build must not leak into the copy.
find "$out/src/module" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \
	-o -name 'modules.order' -o -name 'Module.symvers' \) -delete

log=$out/build.log
extra=()
[ "${W1:-0}" = 1 ] && extra+=(W=1)
if ! make -C "$out/src" module KERNELRELEASE="$rel" "${extra[@]}" >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
if [ "${W1:-0}" = 1 ] && grep -E 'warning:|error:' "$log" >&2; then
	echo "build-module.sh: warnings building for $rel" >&2
	exit 1
fi
echo "$out/src/module/demuxguard.ko"
