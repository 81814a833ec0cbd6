#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernels.sh - the one place that knows which kernels demuxguard is
# tested against, and how to get them without installing them.
#
# A supported kernel is named by a Debian metapackage, per architecture.
# Debian bumps the ABI (and so the kernelrelease) behind those metapackages,
# so the release is resolved from the metapackage's dependency every time
# instead of being written down here. For each release this script
#   - gets the matching linux-headers-<rel> (what `make module
#     KERNELRELEASE=<rel>` builds against): installed for the host's own
#     architecture, because DKMS and `make module` look for them under
#     /lib/modules; unpacked into the cache for another architecture,
#     because apt would replace the native toolchain to install them;
#   - downloads the image package and unpacks it with dpkg -x into a cache
#     directory (never installs it: the host's own kernel is not touched),
#     then runs depmod on the unpacked tree so modules.dep exists there.
#
# Usage: kernels.sh [--arch ARCH] COMMAND
#        kernels.sh list                 kernelreleases, default (6.1) first
#        kernels.sh list-rt              the PREEMPT_RT kernelreleases of the
#                                        same lines (booted for the veto and
#                                        teardown paths; see check.sh)
#        kernels.sh default              the default kernelrelease
#        kernels.sh fetch [REL...]       headers + extracted image (all if none)
#        kernels.sh image REL            path of the extracted vmlinuz
#        kernels.sh moddir REL           path of the extracted /lib/modules/REL
#        kernels.sh root REL             root of the extracted package
#        kernels.sh resolve REL|6.1|6.12|6.1-rt|6.12-rt
#                                        map a short name to a kernelrelease
#        kernels.sh arch REL             the Debian architecture REL is built for
#        kernels.sh headers REL          unpacked headers of REL (any flavour,
#                                        any architecture), fetched if missing
#   --arch amd64|arm64 (default $DG_ARCH, else amd64) picks the kernels that
#   list, default and the short names mean; a full kernelrelease names its
#   architecture itself (6.1.0-56-cloud-arm64).
#
# Environment: DG_CACHE (default /var/cache/demuxguard-test); the images go
# to $DG_CACHE/kernels/<rel>/, unpacked headers to $DG_CACHE/headers/<rel>/
# (the common headers they share under $DG_CACHE/headers/.common/).

set -euo pipefail

DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}
KCACHE=$DG_CACHE/kernels
HCACHE=$DG_CACHE/headers
ARCH=${DG_ARCH:-amd64}
HOST_ARCH=$(dpkg --print-architecture)

die() { echo "kernels.sh: $*" >&2; exit 1; }
log() { echo "kernels.sh: $*" >&2; }

if [ "${1:-}" = --arch ]; then
	[ $# -ge 2 ] || die "--arch needs an architecture"
	ARCH=$2
	shift 2
fi
case $ARCH in
amd64|arm64) ;;
*) die "unsupported architecture '$ARCH' (amd64, arm64)" ;;
esac

# Supported kernels, default first: "short-name metapackage". The cloud
# flavour is what EC2 instances (x86-64 and Graviton) boot, and the
# smallest to unpack.
KERNEL_METAS=(
	"6.1 linux-image-cloud-$ARCH"
	"6.12 linux-image-6.12-cloud-$ARCH"
)
# The same lines with PREEMPT_RT, where spinlocks sleep and the rules for
# what a probe handler may do are stricter.
KERNEL_METAS_RT=(
	"6.1-rt linux-image-rt-$ARCH"
	"6.12-rt linux-image-6.12-rt-$ARCH"
)

# The architecture a kernelrelease is built for, from Debian's flavour
# suffix (cloud-arm64, rt-amd64, arm64-16k, ...); a release without one
# (a locally built kernel) is taken to be for --arch.
rel_arch() {
	case $1 in
	*-arm64|*-arm64-*) echo arm64 ;;
	*-amd64) echo amd64 ;;
	*) echo "$ARCH" ;;
	esac
}

# apt-cache answers from the local package lists; on a fresh machine they
# may be missing entirely. Refresh them once, only when needed.
apt_updated=0
apt_update_once() {
	[ "$apt_updated" = 1 ] && return 0
	log "refreshing apt package lists"
	apt-get update -qq >/dev/null || die "apt-get update failed"
	apt_updated=1
}

# Print the kernelrelease behind a metapackage: the first Depends on a
# linux-image-* package, with the "linux-image-" prefix and a possible
# "-unsigned" suffix removed. apt-cache takes most of a second, and every
# test run asks: the answer is kept until apt's package lists change.
resolve_meta() {
	local meta=$1 dep stamp memo=$KCACHE/.resolved
	stamp=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0)
	dep=$(awk -v m="$meta" -v s="$stamp" '$1 == m && $2 == s { print $3 }' \
		"$memo" 2>/dev/null || :)
	if [ -n "$dep" ]; then
		echo "$dep"
		return 0
	fi
	dep=$(resolve_meta_apt "$meta") || exit 1
	stamp=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0)
	if mkdir -p "$KCACHE" 2>/dev/null; then
		{ grep -v "^$meta " "$memo" 2>/dev/null || :; echo "$meta $stamp $dep"; } \
			>"$memo.$$" && mv "$memo.$$" "$memo"
	fi
	echo "$dep"
}

resolve_meta_apt() {
	local meta=$1 dep
	dep=$(apt-cache depends "$meta" 2>/dev/null |
	      sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1)
	if [ -z "$dep" ]; then
		apt_update_once
		dep=$(apt-cache depends "$meta" 2>/dev/null |
		      sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1)
	fi
	[ -n "$dep" ] || die "cannot resolve $meta with apt-cache depends"
	# A foreign architecture's dependency carries its qualifier (":arm64").
	dep=${dep%%:*}
	dep=${dep#linux-image-}
	echo "${dep%-unsigned}"
}

list_releases() {
	local entry
	for entry in "${KERNEL_METAS[@]}"; do
		resolve_meta "${entry#* }"
	done
}

list_rt_releases() {
	local entry
	for entry in "${KERNEL_METAS_RT[@]}"; do
		resolve_meta "${entry#* }"
	done
}

# Accept a kernelrelease, or a short name ("6.1", "6.12", "6.1-rt",
# "6.12-rt") of a supported one.
resolve_rel() {
	local want=$1 entry
	for entry in "${KERNEL_METAS[@]}" "${KERNEL_METAS_RT[@]}"; do
		if [ "${entry%% *}" = "$want" ]; then
			resolve_meta "${entry#* }"
			return 0
		fi
	done
	echo "$want"
}

pkg_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# The headers builds use: installed for the host's architecture, unpacked
# into the cache for another.
fetch_headers() {
	local rel=$1
	if [ "$(rel_arch "$rel")" != "$HOST_ARCH" ]; then
		unpack_headers "$rel" >/dev/null
		return 0
	fi
	pkg_installed "linux-headers-$rel" && return 0
	log "installing linux-headers-$rel"
	if ! apt-cache show "linux-headers-$rel" >/dev/null 2>&1; then
		apt_update_once
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		"linux-headers-$rel" >/dev/null ||
		die "cannot install linux-headers-$rel"
}

# A directory apt-get download can write to: it drops privileges to _apt
# for the transfer and warns about an unsandboxed run otherwise. The
# download happens in a temporary directory that is renamed into place at
# the end and removed on failure, so a half-done fetch never looks complete.
fetch_tmpdir() {
	local tmp
	mkdir -p "$1"
	tmp=$(mktemp -d "$1/.fetch.XXXXXX")
	chown _apt "$tmp" 2>/dev/null || true
	echo "$tmp"
}

# The common headers (60 MB unpacked) are the same for every flavour of an
# ABI but rt, which has its own, and so is the kbuild package: unpack each
# pair of versions once, under $HCACHE/.common/, for the flavours' trees to
# link to. The two go together because the common headers' own scripts/
# link resolves (relative, after kbuild has resolved the symlink to the
# common tree) next to them. Prints the root of the unpacked pair.
common_tree() {	# COMMON-PACKAGE KBUILD-PACKAGE:ARCH
	local pkg ver name='' dir tmp deb debs=()
	for pkg in "$@"; do
		ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null |
			sed -n 's/^Version: //p' | head -n1)
		[ -n "$ver" ] || die "no package $pkg"
		name=$name${name:++}${pkg%%:*}_${ver//:/%3a}
		debs+=("$pkg=$ver")
	done
	dir=$HCACHE/.common/$name
	if [ ! -e "$dir/.complete" ]; then
		tmp=$(fetch_tmpdir "$HCACHE/.common")
		# shellcheck disable=SC2064  # expand $tmp now, the trap runs later
		trap "rm -rf '$tmp'" EXIT
		(cd "$tmp" && apt-get download -qq "${debs[@]}" >/dev/null 2>&1) ||
			die "cannot download ${debs[*]}"
		for deb in "$tmp"/*.deb; do
			dpkg -x "$deb" "$tmp/root"
		done
		rm -rf "$dir"
		mv "$tmp/root" "$dir"
		touch "$dir/.complete"
		rm -rf "$tmp"
		trap - EXIT
	fi
	echo "$dir"
}

# Unpack linux-headers-REL into $HCACHE/REL without installing anything,
# and print the directory to build against (what /lib/modules/REL/build
# would be). That takes three packages: the flavour's headers, the common
# headers they build on (-common, or -common-rt for rt) and linux-kbuild
# for the host's architecture, whose fixdep/modpost run on this machine.
# Installing another architecture's headers through multiarch is not an
# option: apt would want that architecture's gcc and remove the host's.
# In the unpacked tree the headers' scripts/ and tools/ symlinks are
# relative and resolve to the unpacked kbuild; the flavour's Makefile
# includes the common one by its absolute /usr/src path and is pointed at
# the unpacked copy instead (kbuild resolves that symlink to find the
# source tree).
unpack_headers() {
	local rel=$1 arch dest=$HCACHE/$1 tmp deps common kbuild mk ctree e
	mk=usr/src/linux-headers-$rel/Makefile
	if [ -e "$dest/.complete" ]; then
		echo "$dest/usr/src/linux-headers-$rel"
		return 0
	fi
	arch=$(rel_arch "$rel")
	if ! apt-cache show "linux-headers-$rel:$arch" >/dev/null 2>&1; then
		apt_update_once
	fi
	deps=$(apt-cache depends --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "linux-headers-$rel:$arch" 2>/dev/null) ||
		die "no package linux-headers-$rel for $arch"
	# A foreign package's dependencies are shown as "<name:arm64>".
	common=$(sed -n 's/^ *|\{0,1\}Depends: <\{0,1\}\(linux-headers-[^ :>]*-common[^ :>]*\).*/\1/p' \
		<<<"$deps" | head -n1)
	kbuild=$(sed -n 's/^ *|\{0,1\}Depends: <\{0,1\}\(linux-kbuild-[^ :>]*\).*/\1/p' \
		<<<"$deps" | head -n1)
	if [ -z "$common" ] || [ -z "$kbuild" ]; then
		die "cannot tell the common headers and kbuild of linux-headers-$rel"
	fi

	log "unpacking linux-headers-$rel ($arch), $common, $kbuild ($HOST_ARCH)"
	ctree=$(common_tree "$common" "$kbuild:$HOST_ARCH")
	tmp=$(fetch_tmpdir "$HCACHE")
	# shellcheck disable=SC2064  # expand $tmp now, the trap runs later
	trap "rm -rf '$tmp'" EXIT
	(cd "$tmp" && apt-get download -qq "linux-headers-$rel:$arch" >/dev/null 2>&1) ||
		die "cannot download linux-headers-$rel"
	mkdir "$tmp/root"
	dpkg -x "$tmp"/*.deb "$tmp/root"
	mkdir -p "$tmp/root/usr/lib"
	for e in "$ctree"/usr/src/* "$ctree"/usr/lib/*; do
		ln -s "$e" "$tmp/root/${e#"$ctree"/}"
	done
	[ -f "$tmp/root/$mk" ] || die "no $mk in linux-headers-$rel"
	sed -i "s|^include /usr/src/|include $dest/usr/src/|" "$tmp/root/$mk"
	grep -q "^include $dest/" "$tmp/root/$mk" ||
		die "$mk does not include the common headers as expected"
	[ -x "$tmp/root/usr/src/linux-headers-$rel/scripts/basic/fixdep" ] ||
		die "the unpacked $kbuild does not provide scripts/basic/fixdep"
	rm -rf "$dest"
	mv "$tmp/root" "$dest"
	touch "$dest/.complete"
	rm -rf "$tmp"
	trap - EXIT
	echo "$dest/usr/src/linux-headers-$rel"
}

fetch_image() {
	local rel=$1 tmp deb pkg arch
	local dest=$KCACHE/$rel
	[ -e "$dest/.complete" ] && return 0
	arch=$(rel_arch "$rel")
	tmp=$(fetch_tmpdir "$KCACHE")
	# shellcheck disable=SC2064  # expand $tmp now, the trap runs later
	trap "rm -rf '$tmp'" EXIT
	for pkg in "linux-image-$rel" "linux-image-$rel-unsigned"; do
		if ! apt-cache show "$pkg:$arch" >/dev/null 2>&1; then
			apt_update_once
		fi
		if (cd "$tmp" && apt-get download -qq "$pkg:$arch" >/dev/null 2>&1); then
			break
		fi
	done
	deb=$(find "$tmp" -maxdepth 1 -name 'linux-image-*.deb' | head -n1)
	[ -n "$deb" ] || die "cannot download linux-image-$rel"
	log "extracting $(basename "$deb")"
	mkdir "$tmp/root"
	dpkg -x "$deb" "$tmp/root"
	[ -f "$tmp/root/boot/vmlinuz-$rel" ] || die "no vmlinuz-$rel in $deb"
	[ -d "$tmp/root/lib/modules/$rel" ] || die "no modules for $rel in $deb"
	# The package ships no modules.dep (its postinst runs depmod); make one
	# for the unpacked tree, which is what the initramfs builder reads.
	# depmod reads any little-endian 64-bit modules, arm64's included.
	depmod -b "$tmp/root" "$rel"
	rm -f "$deb"
	rm -rf "$dest"
	mv "$tmp/root" "$dest"
	touch "$dest/.complete"
	rm -rf "$tmp"
	trap - EXIT
}

need_fetched() {
	[ -e "$KCACHE/$1/.complete" ] ||
		die "kernel $1 not fetched (run: scripts/kernels.sh fetch $1)"
}

usage() {
	sed -n '/^# Usage:/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit "${1:-1}"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
list)
	list_releases
	;;
list-rt)
	list_rt_releases
	;;
default)
	list_releases | head -n1
	;;
resolve)
	[ $# -eq 1 ] || usage
	resolve_rel "$1"
	;;
fetch)
	if [ $# -eq 0 ]; then
		mapfile -t rels < <(list_releases)
	else
		rels=()
		for r in "$@"; do rels+=("$(resolve_rel "$r")"); done
	fi
	for r in "${rels[@]}"; do
		fetch_headers "$r"
		fetch_image "$r"
	done
	;;
image)
	[ $# -eq 1 ] || usage
	rel=$(resolve_rel "$1")
	need_fetched "$rel"
	echo "$KCACHE/$rel/boot/vmlinuz-$rel"
	;;
moddir)
	[ $# -eq 1 ] || usage
	rel=$(resolve_rel "$1")
	need_fetched "$rel"
	echo "$KCACHE/$rel/lib/modules/$rel"
	;;
root)
	[ $# -eq 1 ] || usage
	rel=$(resolve_rel "$1")
	need_fetched "$rel"
	echo "$KCACHE/$rel"
	;;
arch)
	[ $# -eq 1 ] || usage
	rel_arch "$(resolve_rel "$1")"
	;;
headers)
	[ $# -eq 1 ] || usage
	unpack_headers "$(resolve_rel "$1")"
	;;
-h|--help|help)
	usage 0
	;;
*)
	usage
	;;
esac
