#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/build-matrix.sh - build-only coverage: demuxguard.ko built with W=1
# (a warning fails) against every headers flavour Debian 12 offers for the
# supported kernel lines (6.1, 6.12) on amd64 and arm64: generic, cloud,
# rt, and whatever else the archive has (6.12's arm64-16k). A flavour
# changes the configuration the module is compiled against - PREEMPT_RT
# turns spinlocks into sleeping locks and softirqs into threads, 16k pages
# change PAGE_SIZE - so each one is a build of its own.
#
# The ABI of each line comes from the same metapackages the VM tests use
# (scripts/kernels.sh), and the flavours from the headers packages apt
# knows for that ABI, so the matrix follows Debian's ABI bumps and new
# flavours without an edit here. Headers are downloaded and unpacked into
# the cache (scripts/kernels.sh headers), never installed; arm64 is
# cross-compiled.
#
# Usage: build-matrix.sh [PATTERN...]
#   PATTERN: only kernelreleases matching one of these shell patterns
#   (e.g. '*-rt-*'). One "TEST: build: <kernelrelease> ... [ OK ]" line per
#   build (a failed one shows its warnings), then "N passed, N failed";
#   exits non-zero if any build failed.
# Environment: DG_CACHE as for scripts/kernels.sh; build trees and logs go
# to build/matrix/<kernelrelease>/.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
KERNELS=$top/scripts/kernels.sh
LINES="6.1 6.12"
ARCHES="amd64 arm64"

npass=0
nfail=0
start=$(date +%s)

result() {	# NAME OK|FAIL
	printf 'TEST: %-72s [%s]\n' "$1" "$([ "$2" = OK ] && echo ' OK ' || echo FAIL)"
	if [ "$2" = OK ]; then npass=$((npass + 1)); else nfail=$((nfail + 1)); fi
}

wanted() {	# REL: does it match the command line's patterns?
	local p
	[ $# -gt 1 ] || return 0
	for p in "${@:2}"; do
		# shellcheck disable=SC2254  # the pattern is meant to match
		case $1 in $p) return 0 ;; esac
	done
	return 1
}

# Every kernelrelease whose headers Debian offers for the ABI of the
# cloud kernel of LINE on ARCH: linux-headers-<abi>-<flavour>, less the
# -common packages every flavour builds on.
flavours() {	# ARCH LINE
	local rel abi
	rel=$("$KERNELS" --arch "$1" resolve "$2") || return 1
	abi=${rel%-cloud-"$1"}
	apt-cache pkgnames "linux-headers-$abi-" |
		sed -n "s/^linux-headers-\\($abi-\\(.*-\\)\\{0,1\\}$1\\(-[^-]*\\)\\{0,1\\}\\)\$/\\1/p" |
		grep -v -- '-common' | sort
}

rels=()
for arch in $ARCHES; do
	for line in $LINES; do
		mapfile -t found < <(flavours "$arch" "$line")
		if [ ${#found[@]} -eq 0 ]; then
			result "matrix: headers flavours of $line for $arch found" FAIL
			continue
		fi
		for rel in "${found[@]}"; do
			wanted "$rel" "$@" && rels+=("$rel")
		done
	done
done

for rel in "${rels[@]}"; do
	out=$top/build/matrix/$rel
	mkdir -p "$out"
	t0=$(date +%s)
	if ! kdir=$("$KERNELS" headers "$rel" 2>"$out/fetch.log"); then
		result "build: $rel, W=1 (headers unpacked)" FAIL
		sed 's/^/    | /' "$out/fetch.log"
		continue
	fi
	if KDIR=$kdir W1=1 "$top/scripts/build-module.sh" "$rel" "$out" >/dev/null 2>"$out/errors.log"; then
		result "build: $rel, W=1, no warnings ($(( $(date +%s) - t0 )) s)" OK
	else
		result "build: $rel, W=1, no warnings" FAIL
		head -n 40 "$out/errors.log" | sed 's/^/    | /'
	fi
done

echo "build-matrix: ${#rels[@]} builds in $(( $(date +%s) - start )) s"
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
