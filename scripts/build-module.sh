#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/build-module.sh REL [OUTDIR] - build demuxguard.ko for kernelrelease
# REL in a private copy of the tree, so builds for several kernels can sit
# side by side (kbuild writes objects next to the sources). Prints the path
# of the built module. With W1=1 the build uses W=1 and fails on any
# compiler warning, which is how `make check` holds the module to "compiles
# clean".
#
# The headers are KDIR if set, else the installed /lib/modules/REL/build,
# else REL's headers unpacked into the cache (scripts/kernels.sh headers:
# how another architecture's headers are used, never installed). The
# target architecture is read from the headers' .config, so an arm64
# kernel is cross-built with aarch64-linux-gnu-gcc without being asked.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rel=${1:?usage: build-module.sh KERNELRELEASE [OUTDIR]}
out=${2:-$top/build/$rel}

kdir=${KDIR:-/lib/modules/$rel/build}
if [ -z "${KDIR:-}" ] && [ ! -f "$kdir/.config" ]; then
	kdir=$("$top/scripts/kernels.sh" headers "$rel")
fi
[ -f "$kdir/.config" ] || { echo "build-module.sh: no kernel headers in $kdir" >&2; exit 1; }

# Kbuild's ARCH and the cross compiler prefix; the headers' own
# .kernelvariables then picks the compiler Debian built the kernel with
# ($(CROSS_COMPILE)gcc-12).
cross=()
if grep -q '^CONFIG_ARM64=y' "$kdir/.config" && [ "$(uname -m)" != aarch64 ]; then
	cross=(ARCH=arm64 CROSS_COMPILE="${CROSS_COMPILE:-aarch64-linux-gnu-}")
fi

rm -rf "$out/src"
mkdir -p "$out/src"
cp -a "$top/Kbuild" "$top/Makefile" "$top/VERSION" "$top/module" "$out/src/"
# A stale in-tree build must not leak into the copy.
find "$out/src/module" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \
	-o -name 'modules.order' -o -name 'Module.symvers' \) -delete

log=$out/build.log
extra=()
[ "${W1:-0}" = 1 ] && extra+=(W=1)
if ! make -C "$out/src" module KERNELRELEASE="$rel" KDIR="$kdir" "${cross[@]}" \
		"${extra[@]}" >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
if [ "${W1:-0}" = 1 ] && grep -E 'warning:|error:' "$log" >&2; then
	echo "build-module.sh: warnings building for $rel" >&2
	exit 1
fi
echo "$out/src/module/demuxguard.ko"
