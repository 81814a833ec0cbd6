#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernels.sh - the one place that knows which kernels demuxguard is
# tested against, and how to get them without installing them.
#
# A supported kernel is named by a Debian metapackage. Debian bumps the ABI
# (and so the kernelrelease) behind those metapackages, so the release is
# resolved from the metapackage's dependency every time instead of being
# written down here. For each release this script
#   - installs the matching linux-headers-<rel> (what `make module
#     KERNELRELEASE=<rel>` builds against), and
#   - downloads the image package and unpacks it with dpkg -x into a cache
#     directory (never installs it: the host's own kernel is not touched),
#     then runs depmod on the unpacked tree so modules.dep exists there.
#
# Usage: kernels.sh list                 kernelreleases, default (6.1) first
#        kernels.sh default              the default kernelrelease
#        kernels.sh fetch [REL...]       headers + extracted image (all if none)
#        kernels.sh image REL            path of the extracted vmlinuz
#        kernels.sh moddir REL           path of the extracted /lib/modules/REL
#        kernels.sh root REL             root of the extracted package
#        kernels.sh resolve REL|6.1|6.12 map a short name to a kernelrelease
#
# Environment: DG_CACHE (default /var/cache/demuxguard-test); the images go
# to $DG_CACHE/kernels/<rel>/.

set -euo pipefail

# Supported kernels, default first: "short-name metapackage".
KERNEL_METAS=(
	"6.1 linux-image-cloud-amd64"
	"6.12 linux-image-6.12-cloud-amd64"
)

DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}
KCACHE=$DG_CACHE/kernels

die() { echo "kernels.sh: $*" >&2; exit 1; }
log() { echo "kernels.sh: $*" >&2; }

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
	dep=${dep#linux-image-}
	echo "${dep%-unsigned}"
}

list_releases() {
	local entry
	for entry in "${KERNEL_METAS[@]}"; do
		resolve_meta "${entry#* }"
	done
}

# Accept a kernelrelease, or a short name ("6.1", "6.12") of a supported one.
resolve_rel() {
	local want=$1 entry
	for entry in "${KERNEL_METAS[@]}"; do
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

fetch_headers() {
	local rel=$1
	pkg_installed "linux-headers-$rel" && return 0
	log "installing linux-headers-$rel"
	if ! apt-cache show "linux-headers-$rel" >/dev/null 2>&1; then
		apt_update_once
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		"linux-headers-$rel" >/dev/null ||
		die "cannot install linux-headers-$rel"
}

fetch_image() {
	local rel=$1 tmp deb pkg
	local dest=$KCACHE/$rel
	[ -e "$dest/.complete" ] && return 0
	mkdir -p "$KCACHE"
	tmp=$(mktemp -d "$KCACHE/.fetch.XXXXXX")
	# A half-done fetch never looks complete: it happens in a temporary
	# directory that is renamed into place at the end and removed on failure.
	# shellcheck disable=SC2064  # expand $tmp now, the trap runs later
	trap "rm -rf '$tmp'" EXIT
	# apt-get download drops privileges to _apt for the transfer; give it a
	# directory it can write so it does not warn about an unsandboxed run.
	chown _apt "$tmp" 2>/dev/null || true
	for pkg in "linux-image-$rel" "linux-image-$rel-unsigned"; do
		if ! apt-cache show "$pkg" >/dev/null 2>&1; then
			apt_update_once
		fi
		if (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1); then
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
-h|--help|help)
	usage 0
	;;
*)
	usage
	;;
esac
