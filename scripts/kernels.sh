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
#        kernels.sh list                 kernelreleases, oldest first
#        kernels.sh list-rt              the PREEMPT_RT kernelreleases of the
#                                        bookworm lines (booted for the veto
#                                        and teardown paths; see check.sh)
#        kernels.sh table                every entry, resolved: short name,
#                                        suite, metapackage, kernelrelease
#        kernels.sh default              the default kernelrelease (6.1)
#        kernels.sh fetch [REL...]       headers (or build root) + extracted
#                                        image (all if none)
#        kernels.sh fetch-image REL...   the extracted image only (booting)
#        kernels.sh image REL            path of the extracted vmlinuz
#        kernels.sh moddir REL           path of the extracted modules of REL
#        kernels.sh root REL             root of the extracted packages
#        kernels.sh resolve REL|SHORT    map a short name (5.10, 6.1, 6.12,
#                                        newest or its line, e.g. 7.3,
#                                        6.1-rt, 6.12-rt) to a kernelrelease
#        kernels.sh suite REL            the Debian suite REL comes from
#        kernels.sh arch REL             the Debian architecture REL is built for
#        kernels.sh headers REL          unpacked headers of REL (any flavour,
#                                        any architecture), fetched if missing
#        kernels.sh apt SUITE get|cache ARG...
#                                        apt-get/apt-cache with SUITE's package
#                                        lists (see "Suites" below); "update"
#                                        refreshes them, "sources" prints them
#   --arch amd64|arm64 (default $DG_ARCH, else amd64) picks the kernels that
#   list, default and the short names mean; a full kernelrelease names its
#   architecture itself (6.1.0-56-cloud-arm64).
#
# Suites: the host's own suite (bookworm) is read with the host's apt
# configuration, and its headers are installed on the host for its own
# architecture. Every other suite has a private apt configuration under
# $DG_CACHE/apt/<suite>/ (its own sources.list and package lists, passed
# with -o Dir::Etc::SourceList=... -o Dir::State::Lists=...; the host's
# /etc/apt is never edited) and is built in that suite's build root
# (scripts/buildroot.sh), with the compiler its kernels were built with.
#
# Image layout: up to 6.x a linux-image-<rel> package holds
# boot/vmlinuz-<rel> and lib/modules/<rel>/; from 7.x it is split into
# linux-binary-<rel> (usr/lib/modules/<rel>/vmlinuz) and
# linux-modules-<rel> (usr/lib/modules/<rel>/). Both are unpacked into
# $DG_CACHE/kernels/<rel>/, where lib/ is made a link to usr/lib/ when only
# the latter exists, so depmod and the initramfs builder see one layout;
# `image` and `moddir` find the files wherever the packages put them.
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

# Supported kernels, oldest first: "short-name suite metapackage arches".
# @ARCH@ in the metapackage is replaced by the architecture. The cloud
# flavour is what EC2 instances (x86-64 and Graviton) boot, and the
# smallest to unpack. bullseye's 5.10 comes from bullseye-security, where
# its LTS updates are; "newest" is whatever trixie-backports' metapackage
# points at (its line, e.g. 7.3, is accepted as a short name too).
KERNEL_TABLE=(
	"5.10    bullseye          linux-image-cloud-@ARCH@        amd64"
	"6.1     bookworm          linux-image-cloud-@ARCH@        amd64 arm64"
	"6.12    bookworm          linux-image-6.12-cloud-@ARCH@   amd64 arm64"
	"newest  trixie-backports  linux-image-cloud-@ARCH@        amd64 arm64"
)
# The bookworm lines with PREEMPT_RT, where spinlocks sleep and the rules
# for what a probe handler may do are stricter.
KERNEL_TABLE_RT=(
	"6.1-rt  bookworm          linux-image-rt-@ARCH@           amd64 arm64"
	"6.12-rt bookworm          linux-image-6.12-rt-@ARCH@      amd64 arm64"
)
DEFAULT_KERNEL=6.1

# The suites' apt sources: a suite, and the suites it needs beside it.
suite_sources() {
	local m=http://deb.debian.org/debian key=/usr/share/keyrings/debian-archive-keyring.gpg
	case $1 in
	bullseye)
		echo "deb [signed-by=$key] $m bullseye main"
		echo "deb [signed-by=$key] $m-security bullseye-security main"
		;;
	*-backports)
		echo "deb [signed-by=$key] $m ${1%-backports} main"
		echo "deb [signed-by=$key] $m $1 main"
		;;
	*)
		echo "deb [signed-by=$key] $m $1 main"
		;;
	esac
}

# The suite this machine runs; its packages come through the host's apt.
# shellcheck source=/dev/null
HOST_SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

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

# ---- apt, per suite -----------------------------------------------------

# apt's options for SUITE, in APT_OPTS: none for the host's suite, else a
# private sources list, package lists and cache under $DG_CACHE/apt/SUITE.
# A backports suite is preferred to its base (Default-Release), as
# `apt-get -t` would.
APT_OPTS=()
apt_dir() { echo "$DG_CACHE/apt/$1"; }
apt_opts() {
	local suite=$1 d
	APT_OPTS=()
	[ "$suite" = "$HOST_SUITE" ] && return 0
	d=$(apt_dir "$suite")
	APT_OPTS=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
		  -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
		  -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null)
	case $suite in
	*-backports) APT_OPTS+=(-o "APT::Default-Release=$suite") ;;
	esac
}

# When SUITE's package lists last changed: what memoised answers key on.
lists_stamp() {
	if [ "$1" = "$HOST_SUITE" ]; then
		stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0
	else
		stat -c %Y "$(apt_dir "$1")/lists/.updated" 2>/dev/null || echo 0
	fi
}

# Refresh SUITE's package lists, at most once per run and suite.
declare -A apt_updated=()
apt_update() {
	local suite=$1 d
	[ -n "${apt_updated[$suite]:-}" ] && return 0
	log "refreshing the package lists of $suite"
	if [ "$suite" = "$HOST_SUITE" ]; then
		apt-get update -qq >/dev/null || die "apt-get update failed"
	else
		d=$(apt_dir "$suite")
		mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
		suite_sources "$suite" >"$d/sources.list.tmp"
		mv "$d/sources.list.tmp" "$d/sources.list"
		apt_opts "$suite"
		apt-get "${APT_OPTS[@]}" update -qq >/dev/null ||
			die "apt-get update of $suite failed"
		touch "$d/lists/.updated"
	fi
	apt_updated[$suite]=1
}

# A private suite's lists are fetched the first time it is used.
apt_ready() {
	if [ "$1" != "$HOST_SUITE" ] && [ ! -e "$(apt_dir "$1")/lists/.updated" ]; then
		apt_update "$1"
	fi
	apt_opts "$1"
}

sapt_cache() {	# SUITE ARGS...
	apt_ready "$1"
	apt-cache "${APT_OPTS[@]}" "${@:2}"
}

sapt_get() {	# SUITE ARGS...
	apt_ready "$1"
	apt-get "${APT_OPTS[@]}" "${@:2}"
}

# ---- the table -----------------------------------------------------------

# Print the kernelrelease behind SUITE's metapackage: the first Depends on
# a linux-image-* package, with the "linux-image-" prefix and a possible
# "-unsigned" suffix removed. apt-cache takes most of a second, and every
# test run asks: the answer is kept until the suite's package lists change.
resolve_meta() {
	local suite=$1 meta=$2 key dep stamp memo=$KCACHE/.resolved
	key=$suite/$meta
	stamp=$(lists_stamp "$suite")
	dep=$(awk -v m="$key" -v s="$stamp" '$1 == m && $2 == s { print $3 }' \
		"$memo" 2>/dev/null || :)
	if [ -n "$dep" ]; then
		echo "$dep"
		return 0
	fi
	dep=$(resolve_meta_apt "$suite" "$meta") || exit 1
	stamp=$(lists_stamp "$suite")
	if mkdir -p "$KCACHE" 2>/dev/null; then
		{ grep -v "^$key " "$memo" 2>/dev/null || :; echo "$key $stamp $dep"; } \
			>"$memo.$$" && mv "$memo.$$" "$memo"
	fi
	echo "$dep"
}

# The first linux-image-* dependency of a package. sed prints it and reads
# on to the end: a reader that stops early (head -n1) can kill the writer
# with SIGPIPE, which pipefail turns into a failure.
first_image_dep() {
	sed -n '/^ *|\{0,1\}Depends: \(linux-image-[^ ]*\)$/{s//\1/p;:a;n;ba}'
}

resolve_meta_apt() {
	local suite=$1 meta=$2 dep
	dep=$(sapt_cache "$suite" depends "$meta" 2>/dev/null | first_image_dep)
	if [ -z "$dep" ]; then
		apt_update "$suite"
		dep=$(sapt_cache "$suite" depends "$meta" 2>/dev/null | first_image_dep)
	fi
	[ -n "$dep" ] || die "cannot resolve $meta in $suite with apt-cache depends"
	# A foreign architecture's dependency carries its qualifier (":arm64").
	dep=${dep%%:*}
	dep=${dep#linux-image-}
	echo "${dep%-unsigned}"
}

# table_rows [rt] [all]: "short suite meta arch" for --arch's kernels (all
# architectures with "all"), of the cloud table or, with "rt", the RT one.
table_rows() {
	local which=${1:-} every=${2:-} entry short suite meta arches a
	local -a rows
	if [ "$which" = rt ]; then rows=("${KERNEL_TABLE_RT[@]}"); else rows=("${KERNEL_TABLE[@]}"); fi
	for entry in "${rows[@]}"; do
		read -r short suite meta arches <<<"$entry"
		for a in $arches; do
			[ "$every" = all ] || [ "$a" = "$ARCH" ] || continue
			echo "$short $suite ${meta//@ARCH@/$a} $a"
		done
	done
}

list_releases() {
	local short suite meta a
	while read -r short suite meta a; do
		resolve_meta "$suite" "$meta"
	done < <(table_rows "${1:-}")
}

# The line of a kernelrelease: 7.3.4+deb13-cloud-amd64 -> 7.3.
rel_line() {
	local v=${1%%[-+]*}
	echo "${v%.*}" | cut -d. -f1,2
}

# Accept a kernelrelease, or a short name of a supported one ("newest" is
# also known by its line, e.g. "7.3").
resolve_rel() {
	local want=$1 short suite meta a rel
	while read -r short suite meta a; do
		if [ "$short" = "$want" ]; then
			resolve_meta "$suite" "$meta"
			return 0
		fi
	done < <(table_rows; table_rows rt)
	if [[ $want =~ ^[0-9]+\.[0-9]+$ ]]; then
		rel=$(resolve_rel newest)
		if [ "$(rel_line "$rel")" = "$want" ]; then
			echo "$rel"
			return 0
		fi
		die "no supported $ARCH kernel is called '$want'"
	fi
	echo "$want"
}

# The suite a kernelrelease comes from: that of the table entry resolving
# to it, else DG_SUITE, else the host's.
# The host's suite is tried first: its answers need no other suite's
# package lists.
rel_suite() {
	local rel=$1 short suite meta a pass
	for pass in host other; do
		while read -r short suite meta a; do
			[ "$suite" = "$HOST_SUITE" ] || [ "$pass" = other ] || continue
			[ "$suite" != "$HOST_SUITE" ] || [ "$pass" = host ] || continue
			if [ "$(resolve_meta "$suite" "$meta")" = "$rel" ]; then
				echo "$suite"
				return 0
			fi
		done < <(table_rows "" all; table_rows rt all)
	done
	echo "${DG_SUITE:-$HOST_SUITE}"
}

pkg_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# The headers builds use: installed on the host for the host's suite and
# architecture; for another architecture unpacked into the cache; for
# another suite installed in (amd64) or unpacked for (arm64) that suite's
# build root, which scripts/buildroot.sh makes.
fetch_headers() {
	local rel=$1 suite
	suite=$(rel_suite "$rel")
	if [ "$suite" != "$HOST_SUITE" ]; then
		"$(dirname "$0")/buildroot.sh" "$rel" >/dev/null
		return 0
	fi
	if [ "$(rel_arch "$rel")" != "$HOST_ARCH" ]; then
		unpack_headers "$rel" >/dev/null
		return 0
	fi
	pkg_installed "linux-headers-$rel" && return 0
	log "installing linux-headers-$rel"
	if ! apt-cache show "linux-headers-$rel" >/dev/null 2>&1; then
		apt_update "$suite"
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

# apt-get download PKG... from SUITE into the current directory; the
# package lists are refreshed once if that fails (an ABI bump removes
# the packages the lists name).
sapt_download() {	# SUITE PKG...
	sapt_get "$1" download -qq "${@:2}" >/dev/null 2>&1 && return 0
	apt_update "$1"
	sapt_get "$1" download -qq "${@:2}" >/dev/null 2>&1
}

# The candidate version of PKG in SUITE (the first; sed reads on to the
# end, as in first_image_dep).
pkg_version() {	# SUITE PKG
	sapt_cache "$1" show --no-all-versions "$2" 2>/dev/null |
		sed -n '/^Version: /{s///p;:a;n;ba}'
}

# The common headers (60 MB unpacked) are the same for every flavour of an
# ABI but rt, which has its own, and so is the kbuild package: unpack each
# pair of versions once, under $HCACHE/.common/, for the flavours' trees to
# link to. The two go together because the common headers' own scripts/
# link resolves (relative, after kbuild has resolved the symlink to the
# common tree) next to them. Prints the root of the unpacked pair.
common_tree() {	# SUITE COMMON-PACKAGE KBUILD-PACKAGE:ARCH
	local suite=$1 pkg ver name='' dir tmp deb debs=()
	shift
	for pkg in "$@"; do
		ver=$(pkg_version "$suite" "$pkg")
		[ -n "$ver" ] || die "no package $pkg in $suite"
		name=$name${name:++}${pkg%%:*}_${ver//:/%3a}
		debs+=("$pkg=$ver")
	done
	dir=$HCACHE/.common/$name
	if [ ! -e "$dir/.complete" ]; then
		tmp=$(fetch_tmpdir "$HCACHE/.common")
		# shellcheck disable=SC2064  # expand $tmp now, the trap runs later
		trap "rm -rf '$tmp'" EXIT
		(cd "$tmp" && sapt_download "$suite" "${debs[@]}") ||
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
# for the host's architecture, whose fixdep/modpost run on this machine
# (or, for another suite, in that suite's build root, where $DG_CACHE is
# mounted at the same path).
# Installing another architecture's headers through multiarch is not an
# option: apt would want that architecture's gcc and remove the host's.
# In the unpacked tree the headers' scripts/ and tools/ symlinks are
# relative and resolve to the unpacked kbuild; the flavour's Makefile
# includes the common one by its absolute /usr/src path and is pointed at
# the unpacked copy instead (kbuild resolves that symlink to find the
# source tree), and so is 7.x's KBUILD_OUTPUT.
unpack_headers() {
	local rel=$1 arch suite dest=$HCACHE/$1 tmp deps common kbuild mk ctree e
	mk=usr/src/linux-headers-$rel/Makefile
	if [ -e "$dest/.complete" ]; then
		echo "$dest/usr/src/linux-headers-$rel"
		return 0
	fi
	arch=$(rel_arch "$rel")
	suite=$(rel_suite "$rel")
	if ! sapt_cache "$suite" show "linux-headers-$rel:$arch" >/dev/null 2>&1; then
		apt_update "$suite"
	fi
	deps=$(sapt_cache "$suite" depends --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "linux-headers-$rel:$arch" 2>/dev/null) ||
		die "no package linux-headers-$rel for $arch in $suite"
	# A foreign package's dependencies are shown as "<name:arm64>".
	common=$(sed -n '/^ *|\{0,1\}Depends: <\{0,1\}\(linux-headers-[^ :>]*-common[^ :>]*\).*/{s//\1/p;q}' \
		<<<"$deps")
	kbuild=$(sed -n '/^ *|\{0,1\}Depends: <\{0,1\}\(linux-kbuild-[^ :>]*\).*/{s//\1/p;q}' \
		<<<"$deps")
	if [ -z "$common" ] || [ -z "$kbuild" ]; then
		die "cannot tell the common headers and kbuild of linux-headers-$rel"
	fi

	log "unpacking linux-headers-$rel ($arch), $common, $kbuild ($HOST_ARCH) from $suite"
	ctree=$(common_tree "$suite" "$common" "$kbuild:$HOST_ARCH")
	tmp=$(fetch_tmpdir "$HCACHE")
	# shellcheck disable=SC2064  # expand $tmp now, the trap runs later
	trap "rm -rf '$tmp'" EXIT
	(cd "$tmp" && sapt_download "$suite" "linux-headers-$rel:$arch") ||
		die "cannot download linux-headers-$rel"
	mkdir "$tmp/root"
	dpkg -x "$tmp"/*.deb "$tmp/root"
	mkdir -p "$tmp/root/usr/lib"
	for e in "$ctree"/usr/src/* "$ctree"/usr/lib/*; do
		ln -s "$e" "$tmp/root/${e#"$ctree"/}"
	done
	[ -f "$tmp/root/$mk" ] || die "no $mk in linux-headers-$rel"
	# 7.x also names its own directory, as KBUILD_OUTPUT.
	sed -i "s#^\\(include \\|KBUILD_OUTPUT=\\)/usr/src/#\\1$dest/usr/src/#" "$tmp/root/$mk"
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

# Where the packages put the kernel and its modules, under the unpacked
# root $1: boot/vmlinuz-REL (up to 6.x) or usr/lib/modules/REL/vmlinuz
# (7.x's linux-binary-REL).
image_path() {	# ROOT REL
	local f
	for f in "$1/boot/vmlinuz-$2" "$1/usr/lib/modules/$2/vmlinuz" "$1/lib/modules/$2/vmlinuz"; do
		if [ -f "$f" ]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

# The packages that make up REL's image: linux-image-REL (or -unsigned),
# plus, in the split layout, the linux-binary-* and linux-modules-*
# packages of REL it depends on.
fetch_image() {
	local rel=$1 tmp deb pkg arch suite got="" split
	local dest=$KCACHE/$rel
	[ -e "$dest/.complete" ] && return 0
	arch=$(rel_arch "$rel")
	suite=$(rel_suite "$rel")
	tmp=$(fetch_tmpdir "$KCACHE")
	# shellcheck disable=SC2064  # expand $tmp now, the trap runs later
	trap "rm -rf '$tmp'" EXIT
	for pkg in "linux-image-$rel" "linux-image-$rel-unsigned"; do
		if ! sapt_cache "$suite" show "$pkg:$arch" >/dev/null 2>&1; then
			apt_update "$suite"
			sapt_cache "$suite" show "$pkg:$arch" >/dev/null 2>&1 || continue
		fi
		(cd "$tmp" && sapt_download "$suite" "$pkg:$arch") || continue
		got=$pkg
		break
	done
	[ -n "$got" ] || die "cannot download linux-image-$rel from $suite"
	split=$(sapt_cache "$suite" depends --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$got:$arch" 2>/dev/null |
		sed -n "s/^ *|\\{0,1\\}Depends: <\\{0,1\\}\\(linux-\\(binary\\|modules\\)-[^ :>]*$rel\\)\\(:[a-z0-9]*\\)\\{0,1\\}>\\{0,1\\}\$/\\1/p" |
		sort -u)
	for pkg in $split; do
		(cd "$tmp" && sapt_download "$suite" "$pkg:$arch") ||
			die "cannot download $pkg from $suite"
	done
	mkdir "$tmp/root"
	for deb in "$tmp"/*.deb; do
		log "extracting $(basename "$deb")"
		dpkg -x "$deb" "$tmp/root"
	done
	# One layout for depmod and the initramfs builder: lib/modules/REL.
	if [ ! -e "$tmp/root/lib" ] && [ -d "$tmp/root/usr/lib/modules/$rel" ]; then
		ln -s usr/lib "$tmp/root/lib"
	fi
	image_path "$tmp/root" "$rel" >/dev/null || die "no vmlinuz for $rel in $got ${split//$'\n'/ }"
	[ -d "$tmp/root/lib/modules/$rel/kernel" ] || die "no modules for $rel in $got ${split//$'\n'/ }"
	# The package ships no modules.dep (its postinst runs depmod); make one
	# for the unpacked tree, which is what the initramfs builder reads.
	# depmod reads any little-endian 64-bit modules, arm64's included.
	# 7.x's packages have no modules.order and modules.builtin*, which
	# depmod only warns about.
	depmod -b "$tmp/root" "$rel" 2>&1 | { grep -v 'could not open modules\.\(order\|builtin\)' || :; } >&2
	rm -f "$tmp"/*.deb
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
	list_releases rt
	;;
table)
	while read -r short suite meta a; do
		printf '%-8s %-17s %-30s %s\n' "$short" "$suite" "$meta" "$(resolve_meta "$suite" "$meta")"
	done < <(table_rows "" all; table_rows rt all)
	;;
default)
	resolve_rel "$DEFAULT_KERNEL"
	;;
resolve)
	[ $# -eq 1 ] || usage
	resolve_rel "$1"
	;;
fetch|fetch-image)
	if [ $# -eq 0 ]; then
		mapfile -t rels < <(list_releases)
	else
		rels=()
		for r in "$@"; do rels+=("$(resolve_rel "$r")"); done
	fi
	for r in "${rels[@]}"; do
		[ "$cmd" = fetch-image ] || fetch_headers "$r"
		fetch_image "$r"
	done
	;;
image)
	[ $# -eq 1 ] || usage
	rel=$(resolve_rel "$1")
	need_fetched "$rel"
	image_path "$KCACHE/$rel" "$rel" || die "no vmlinuz in $KCACHE/$rel"
	;;
moddir)
	[ $# -eq 1 ] || usage
	rel=$(resolve_rel "$1")
	need_fetched "$rel"
	for d in "$KCACHE/$rel/lib/modules/$rel" "$KCACHE/$rel/usr/lib/modules/$rel"; do
		if [ -d "$d/kernel" ]; then
			echo "$d"
			exit 0
		fi
	done
	die "no modules in $KCACHE/$rel"
	;;
root)
	[ $# -eq 1 ] || usage
	rel=$(resolve_rel "$1")
	need_fetched "$rel"
	echo "$KCACHE/$rel"
	;;
suite)
	[ $# -eq 1 ] || usage
	rel_suite "$(resolve_rel "$1")"
	;;
arch)
	[ $# -eq 1 ] || usage
	rel_arch "$(resolve_rel "$1")"
	;;
headers)
	[ $# -eq 1 ] || usage
	unpack_headers "$(resolve_rel "$1")"
	;;
apt)
	[ $# -ge 2 ] || usage
	suite=$1
	tool=$2
	shift 2
	case $tool in
	update) apt_update "$suite" ;;
	sources) suite_sources "$suite" ;;
	apt-get|get) sapt_get "$suite" "$@" ;;
	apt-cache|cache) sapt_cache "$suite" "$@" ;;
	*) die "apt: apt-get or apt-cache, not '$tool'" ;;
	esac
	;;
-h|--help|help)
	usage 0
	;;
*)
	usage
	;;
esac
