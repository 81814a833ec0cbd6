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
# how another architecture's headers are used, never installed). A kernel
# of another Debian suite than the host's (bullseye's 5.10, the newest
# from trixie-backports) is built inside that suite's build root
# (scripts/buildroot.sh), with the compiler Debian built it with, the
# build directory mounted at its own path there. The target architecture
# is read from the headers' .config, so an arm64 kernel is cross-built
# with aarch64-linux-gnu-gcc-N without being asked.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rel=${1:?usage: build-module.sh KERNELRELEASE [OUTDIR]}
out=${2:-$top/build/$rel}
export DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}

# shellcheck source=/dev/null
host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
in_root=()	# the command prefix that runs make in a build root
root=
if [ -n "${KDIR:-}" ]; then
	kdir=$KDIR
elif [ "$("$top/scripts/kernels.sh" suite "$rel")" != "$host_suite" ]; then
	root=$("$top/scripts/buildroot.sh" "$rel")
	kdir=$("$top/scripts/buildroot.sh" kdir "$rel")
	mkdir -p "$out"
	in_root=("$top/scripts/buildroot.sh" run "$rel" -b "$out" --)
else
	kdir=/lib/modules/$rel/build
	[ -f "$kdir/.config" ] || kdir=$("$top/scripts/kernels.sh" headers "$rel")
fi
config=$kdir/.config
[ -f "$config" ] || config=$root$kdir/.config
[ -f "$config" ] || { echo "build-module.sh: no kernel headers in $root$kdir" >&2; exit 1; }

# Kbuild's ARCH and the cross compiler prefix; the headers' own
# .kernelvariables then picks the compiler Debian built the kernel with
# ($(CROSS_COMPILE)gcc-12).
cross=()
if grep -q '^CONFIG_ARM64=y' "$config" && [ "$(uname -m)" != aarch64 ]; then
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
# Test builds only: the fault-injection knobs (make check-debug).
[ "${DG_FAULT_INJECT:-}" = y ] && extra+=(DG_FAULT_INJECT=y)
if ! "${in_root[@]}" make -C "$out/src" module KERNELRELEASE="$rel" KDIR="$kdir" "${cross[@]}" \
		"${extra[@]}" >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
if [ "${W1:-0}" = 1 ] && grep -E 'warning:|error:' "$log" >&2; then
	echo "build-module.sh: warnings building for $rel" >&2
	exit 1
fi
echo "$out/src/module/demuxguard.ko"
