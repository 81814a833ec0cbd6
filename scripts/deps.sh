#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/deps.sh - installs every Debian package that building demuxguard
# and running its tests need. This list is the only place they are named;
# CI and developers run this script rather than keeping their own list.
# Only missing packages are installed, quietly; an up-to-date machine costs
# one dpkg-query. Kernel headers and test kernels are scripts/kernels.sh's.
#
# arm64 is a foreign dpkg architecture here so that apt can download arm64
# packages (kernels, headers, the VM's userland, libnl), which are then
# unpacked, never installed: the cross compiler and QEMU are native.

set -euo pipefail

PACKAGES=(
	# module and CLI builds
	build-essential pkg-config
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev
	sparse dkms kmod
	# arm64: cross compiler (libc6-dev-arm64-cross links the static
	# in-VM tools, and is only a recommendation of the compiler)
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	# build roots for the kernels of other Debian suites (scripts/buildroot.sh)
	debootstrap
	# QEMU selftests: the VM, its initramfs and what goes into it (not
	# nftables: the VM's nft is unpacked by scripts/sysroot.sh -u, never
	# installed here)
	qemu-system-x86 qemu-system-arm busybox-static cpio iproute2 xz-utils zstd
	# test scripts and lint
	python3 shellcheck
	# packages (make deb, make rpm) and the netlink spec (scripts/ynl.sh)
	debhelper dh-dkms lintian rpm rpmlint python3-yaml python3-jsonschema
)

FOREIGN_ARCHES=(arm64)

for a in "${FOREIGN_ARCHES[@]}"; do
	if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
		echo "deps.sh: adding dpkg architecture $a" >&2
		dpkg --add-architecture "$a"
		# Without its package lists apt knows no $a package.
		apt-get update -qq >/dev/null
	fi
done

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent or stale on a fresh machine: retry once
# after refreshing them rather than refreshing on every run.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
