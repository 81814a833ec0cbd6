#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/buildroot.sh - per-suite build roots: the module is built for a
# kernel of another Debian suite than the host's (bullseye's 5.10,
# trixie-backports' 7.x) inside a root of that suite, with the compiler
# that kernel was built with, rather than by mixing suites on the host.
#
# Usage: buildroot.sh REL             make sure REL's root is ready and
#                                     print it
#        buildroot.sh kdir REL        the headers to build REL against, as
#                                     a path inside the root
#        buildroot.sh install REL PKG...
#                                     install packages of REL's suite in
#                                     its root (dkms, for make check)
#        buildroot.sh run REL [-b DIR]... -- CMD...
#                                     run CMD in REL's root, each DIR (and
#                                     $DG_CACHE) mounted at its own path
#
# A root is made once per base distribution (bullseye; trixie, which
# serves trixie-backports too) with `debootstrap --variant=minbase` from
# the same archive, under $DG_CACHE/roots/<dist>, atomically: built in a
# temporary directory and renamed into place when complete. Its apt
# sources are the suite's (scripts/kernels.sh: bullseye with
# bullseye-security, trixie with trixie-backports). Then, per kernel:
#   amd64  linux-headers-REL is installed in the root with apt, which
#          brings the compiler Debian built the kernel with;
#   arm64  the headers are unpacked into $DG_CACHE/headers/REL
#          (scripts/kernels.sh headers, with the root suite's native
#          kbuild tools), and the root gets the cross compiler of the
#          same gcc version (gcc-N-aarch64-linux-gnu) and that kbuild
#          package (for its libraries).
# Either way the compiler named by the headers' CONFIG_CC_VERSION_TEXT
# ("gcc-14 (Debian 14.2.0-19) 14.2.0" -> gcc-14) must then be in the root,
# or this fails. A kernel's stamp, .dg/ready-REL in the root, makes the
# next call a no-op. Commands run in a private mount namespace (unshare
# -m), so the bind mounts of /dev, /proc and the directories vanish with
# it, whatever happens to the command.
#
# Environment: DG_CACHE (default /var/cache/demuxguard-test),
# DG_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
KERNELS=$top/scripts/kernels.sh
export DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}
MIRROR=${DG_MIRROR:-http://deb.debian.org/debian}
ROOTS=$DG_CACHE/roots
# What every root has besides minbase: the build tools kbuild runs.
BASE_PACKAGES=make,binutils,libc6-dev,kmod,xz-utils

die() { echo "buildroot.sh: $*" >&2; exit 1; }
log() { echo "buildroot.sh: $*" >&2; }

usage() {
	sed -n '/^# Usage:/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 1
}

# The distribution a suite's root is bootstrapped from.
suite_dist() {
	echo "${1%-backports}"
}

# run_in ROOT [-b DIR]... -- CMD...: CMD chrooted into ROOT, in a mount
# namespace of its own.
run_in() {
	local root=$1 binds=() d
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case $1 in
		-b) [ $# -ge 2 ] || usage; binds+=("$2"); shift 2 ;;
		*) usage ;;
		esac
	done
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || usage
	for d in "${binds[@]}"; do
		mkdir -p "$d" "$root$d"
	done
	# shellcheck disable=SC2016  # expanded by the inner shell
	unshare -m --propagation private -- /bin/bash -c '
		set -e
		root=$1 n=$2
		shift 2
		mount --rbind /dev "$root/dev"
		mount -t proc proc "$root/proc"
		while [ "$n" -gt 0 ]; do
			mount --bind "$1" "$root$1"
			shift
			n=$((n - 1))
		done
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	' bash "$root" "${#binds[@]}" "${binds[@]}" "$@"
}

# Bootstrap the root of DIST (for SUITE) once; print its path.
make_root() {	# SUITE
	local suite=$1 dist root tmp
	dist=$(suite_dist "$suite")
	root=$ROOTS/$dist
	if [ -e "$root/.dg/complete" ]; then
		echo "$root"
		return 0
	fi
	command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/deps.sh)"
	mkdir -p "$ROOTS"
	tmp=$(mktemp -d "$ROOTS/.tmp.$dist.XXXXXX")
	chmod 0755 "$tmp"	# /, for apt's unprivileged _apt user too
	# shellcheck disable=SC2064  # expand $tmp now, the trap runs later
	trap "rm -rf '$tmp'" EXIT
	log "bootstrapping a $dist root in $root (a few minutes, once)"
	debootstrap --variant=minbase --include="$BASE_PACKAGES" \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$dist" "$tmp" "$MIRROR" >"$ROOTS/.$dist.log" 2>&1 ||
		die "debootstrap $dist failed (log: $ROOTS/.$dist.log)"
	# The suite's own sources: scripts/kernels.sh knows them.
	"$KERNELS" apt "$suite" sources >"$tmp/etc/apt/sources.list"
	rm -f "$tmp/etc/apt/sources.list.d/"*
	case $suite in
	*-backports)
		echo "APT::Default-Release \"$suite\";" >"$tmp/etc/apt/apt.conf.d/50demuxguard"
		;;
	esac
	cp -L /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || :
	run_in "$tmp" -- apt-get update -qq >>"$ROOTS/.$dist.log" 2>&1 ||
		die "apt-get update in the $dist root failed (log: $ROOTS/.$dist.log)"
	run_in "$tmp" -- apt-get clean
	mkdir -p "$tmp/.dg"
	echo "$suite" >"$tmp/.dg/complete"
	rm -rf "$root"
	mv "$tmp" "$root"
	trap - EXIT
	echo "$root"
}

# The compiler a kernel's headers name (CONFIG_CC_VERSION_TEXT), as
# "COMMAND PACKAGE": "x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0"
# -> x86_64-linux-gnu-gcc-14 gcc-14; "gcc-10 (Debian 10.2.1-6) 10.2.1" ->
# gcc-10 gcc-10; "gcc (Debian 12.2.0-14) 12.2.0" -> gcc-12 gcc-12.
headers_cc() {	# CONFIG-FILE
	local text cmd major
	text=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$1")
	[ -n "$text" ] || die "no CONFIG_CC_VERSION_TEXT in $1"
	cmd=${text%% *}
	major=$(sed -n 's/.* \([0-9][0-9]*\)\.[0-9.]*$/\1/p' <<<"$text")
	case $cmd in
	gcc|*-gcc) [ -n "$major" ] || die "no gcc version in '$text' ($1)"
		cmd=$cmd-$major ;;
	gcc-[0-9]*|*-gcc-[0-9]*) ;;
	*) die "not a gcc build: $text ($1)" ;;
	esac
	echo "$cmd gcc-${cmd##*gcc-}"
}

# Install PKG... in ROOT, refreshing its package lists once if needed.
root_install() {	# ROOT PKG...
	local root=$1
	shift
	if ! run_in "$root" -- apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
		run_in "$root" -- apt-get update -qq >/dev/null 2>&1 || die "apt-get update in $root failed"
		run_in "$root" -- apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
			die "cannot install $* in $root"
	fi
	run_in "$root" -- apt-get clean
}

# The headers directory of REL, inside its root.
kdir_of() {	# REL ARCH
	if [ "$2" = amd64 ]; then
		echo "/usr/src/linux-headers-$1"
	else
		"$KERNELS" headers "$1"
	fi
}

# Make REL's root ready (root, compiler, headers); print it.
prepare() {	# REL
	local rel=$1 suite arch root kdir cc pkg deps kbuild
	suite=$("$KERNELS" suite "$rel")
	arch=$("$KERNELS" arch "$rel")
	mkdir -p "$ROOTS"
	exec 8>"$ROOTS/.$(suite_dist "$suite").lock"
	flock 8
	root=$(make_root "$suite")
	if [ -e "$root/.dg/ready-$rel" ]; then
		echo "$root"
		return 0
	fi
	case $arch in
	amd64)
		log "installing linux-headers-$rel in the $suite root"
		root_install "$root" "linux-headers-$rel"
		kdir=$(kdir_of "$rel" amd64)
		read -r cc pkg < <(headers_cc "$root$kdir/.config")
		[ -x "$root/usr/bin/$cc" ] || root_install "$root" "$pkg"
		;;
	arm64)
		kdir=$(kdir_of "$rel" arm64)
		read -r cc pkg < <(headers_cc "$kdir/.config")
		cc=aarch64-linux-gnu-${cc#*-linux-gnu-}
		deps=$("$KERNELS" apt "$suite" cache depends "linux-headers-$rel:arm64" 2>/dev/null)
		kbuild=$(sed -n '/^ *|\{0,1\}Depends: <\{0,1\}\(linux-kbuild-[^ :>]*\).*/{s//\1/p;q}' <<<"$deps")
		[ -n "$kbuild" ] || die "cannot tell the kbuild package of linux-headers-$rel"
		log "installing $pkg-aarch64-linux-gnu and $kbuild in the $suite root"
		root_install "$root" "$pkg-aarch64-linux-gnu" "$kbuild"
		;;
	*)
		die "no build root for $arch"
		;;
	esac
	[ -x "$root/usr/bin/$cc" ] || die "$cc, which built $rel, is not in $root"
	echo "$cc" >"$root/.dg/ready-$rel"
	echo "$root"
}

cmd=${1:-}
case $cmd in
kdir)
	[ $# -eq 2 ] || usage
	rel=$("$KERNELS" resolve "$2")
	kdir_of "$rel" "$("$KERNELS" arch "$rel")"
	;;
install)
	[ $# -ge 3 ] || usage
	rel=$("$KERNELS" resolve "$2")
	shift 2
	root=$(prepare "$rel")
	exec 8>"$ROOTS/.$(basename "$root").lock"
	flock 8
	root_install "$root" "$@"
	;;
run)
	[ $# -ge 3 ] || usage
	rel=$("$KERNELS" resolve "$2")
	shift 2
	root=$(prepare "$rel")
	run_in "$root" -b "$DG_CACHE" "$@"
	;;
""|-h|--help|help)
	usage
	;;
*)
	[ $# -eq 1 ] || usage
	prepare "$("$KERNELS" resolve "$1")"
	;;
esac
