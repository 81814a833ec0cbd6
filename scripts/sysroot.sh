#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/sysroot.sh [-u] [ARCH] - print the root that the userland of the
# test VM (busybox, ip, kmod and their libraries) and the CLI's libraries
# (libnl with its headers and pkg-config files) come from, for Debian
# architecture ARCH (default $DG_ARCH, else amd64).
#
# For the host's own architecture that is "/": scripts/deps.sh installs
# those packages. For another one it is a tree under the cache made of the
# packages unpacked with dpkg -x, never installed: installing them through
# multiarch would make apt trade the native toolchain for that
# architecture's. The tree holds the named packages and, transitively,
# every library package they depend on; it is remade when this script or
# apt's package lists change.
#
# -u prints the unpacked tree, made for the host's architecture too, that
# holds what only the VM runs (VM_PACKAGES: nft, for tproxy.sh) and that the
# host never installs. For another architecture it is the same tree as
# without -u, which holds both lists.
#
# Environment: DG_CACHE (default /var/cache/demuxguard-test); the tree goes
# to $DG_CACHE/sysroot/<arch>/.
set -euo pipefail

unpacked=no
if [ "${1:-}" = -u ]; then
	unpacked=yes
	shift
fi
arch=${1:-${DG_ARCH:-amd64}}
DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}

# What the VM runs and what the CLI links against; their libraries follow.
PACKAGES=(
	busybox-static iproute2 kmod
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev
)
# What only the VM runs (tproxy.sh's nft): never installed on the host,
# so unpacked for the host's architecture too (-u).
VM_PACKAGES=(nftables)

die() { echo "sysroot.sh: $*" >&2; exit 1; }

if [ "$arch" = "$(dpkg --print-architecture)" ]; then
	if [ "$unpacked" = no ]; then
		echo /
		exit 0
	fi
	PACKAGES=("${VM_PACKAGES[@]}")
	# apt names the host's own packages without an architecture.
	qual="\\(:$arch\\)\\{0,1\\}"
else
	qual=":$arch"
	PACKAGES+=("${VM_PACKAGES[@]}")
	dpkg --print-foreign-architectures | grep -qx "$arch" ||
		die "$arch is not a dpkg architecture here (scripts/deps.sh $arch adds it)"
fi

dest=$DG_CACHE/sysroot/$arch
key=$( { cat "$0"; stat -c %Y /var/lib/apt/lists; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$dest/.complete" 2>/dev/null)" = "$key" ]; then
	echo "$dest"
	exit 0
fi

# The closure over Depends and Pre-Depends on library packages of $arch,
# by Debian's naming (lib*, and zlib1g, which libelf1 needs). Programs
# they depend on (debconf, dpkg, ...) are not needed in the VM.
deps_of() {
	apt-cache depends --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$@" 2>/dev/null |
		sed -n "s/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \(z\{0,1\}lib[^ <>:]*\)$qual\$/\2/p" | sort -u
}
want=$(printf '%s\n' "${PACKAGES[@]}" | sort -u)
todo=("${PACKAGES[@]}")
while [ ${#todo[@]} -gt 0 ]; do
	mapfile -t todo < <(deps_of "${todo[@]/%/:$arch}" | comm -13 <(echo "$want") -)
	want=$(printf '%s\n' "$want" "${todo[@]}" | sed '/^$/d' | sort -u)
done
mapfile -t pkgs <<<"$want"

mkdir -p "$DG_CACHE/sysroot"
tmp=$(mktemp -d "$DG_CACHE/sysroot/.fetch.XXXXXX")
# shellcheck disable=SC2064  # expand $tmp now, the trap runs later
trap "rm -rf '$tmp'" EXIT
# apt-get download drops privileges to _apt for the transfer.
chown _apt "$tmp" 2>/dev/null || true
echo "sysroot.sh: unpacking ${#pkgs[@]} $arch packages into $dest" >&2
(cd "$tmp" && apt-get download -qq "${pkgs[@]/%/:$arch}" >/dev/null 2>&1) ||
	die "cannot download: ${pkgs[*]}"
mkdir "$tmp/root"
for deb in "$tmp"/*.deb; do
	dpkg -x "$deb" "$tmp/root"
done
rm -rf "$dest"
mv "$tmp/root" "$dest"
echo "$key" >"$dest/.complete"
echo "$dest"
