#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/debug-kernel.sh - build (once per machine) the 6.1 debug kernel that
# `make check-debug` boots: Debian's linux-source-6.1, allnoconfig +
# kvm_guest.config + tests/debug/debug.config (KASAN, lockdep/PROVE_RCU,
# DEBUG_ATOMIC_SLEEP, kmemleak), everything built in.
#
# The result is cached under $DG_CACHE/debug-kernel/<key>/, keyed by the
# source package version and the fragment's hash, so it is rebuilt only when
# one of them changes. Prints the build directory (bzImage at
# arch/x86/boot/bzImage; also the tree modules are built against).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}
frag=$top/tests/debug/debug.config

need=(linux-source-6.1 build-essential flex bison bc libelf-dev libssl-dev xz-utils)
missing=()
for p in "${need[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "debug-kernel.sh: installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -qq >/dev/null &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$(printf '%s\n' "$srcver" | cat - "$frag" | sha256sum | cut -c1-16)
dir=$DG_CACHE/debug-kernel/$key
img=$dir/linux/arch/x86/boot/bzImage

if [ -f "$dir/done" ] && [ -f "$img" ]; then
	echo "$dir/linux"
	exit 0
fi

rm -rf "$dir"
mkdir -p "$dir"
echo "debug-kernel.sh: building debug kernel ($srcver) in $dir (several minutes, once)" >&2
tar -C "$dir" -xf /usr/src/linux-source-6.1.tar.xz
mv "$dir"/linux-source-6.1 "$dir/linux"
cd "$dir/linux"
{
	make allnoconfig
	make kvm_guest.config
	scripts/kconfig/merge_config.sh -m .config "$frag"
	make olddefconfig
} >"$dir/config.log" 2>&1
# Every option asked for must have survived olddefconfig's dependency checks.
bad=0
while IFS= read -r line; do
	case $line in CONFIG_*=y)
		grep -qx "$line" .config || { echo "debug-kernel.sh: $line did not stick" >&2; bad=1; } ;;
	esac
done <"$frag"
[ $bad = 0 ] || exit 1
if ! make -j"$(nproc)" bzImage modules >"$dir/build.log" 2>&1; then
	tail -n 40 "$dir/build.log" >&2
	exit 1
fi
touch "$dir/done"
echo "$dir/linux"
