#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/check.sh - `make check`: the whole test suite, from a fresh Debian
# 12 machine (as root) to one closing line "N passed, N failed, N skipped".
#
#   1. installs what is missing (scripts/deps.sh) and fetches the supported
#      kernels (scripts/kernels.sh: headers installed, images unpacked);
#   2. builds the CLI (-Wall -Wextra -Werror), the in-VM tools, and the
#      module for every supported kernel with W=1 (a warning fails), runs
#      sparse on it, and checkpatch on the module's sources;
#   3. runs the CLI's host unit tests;
#   4. boots every supported kernel in QEMU and runs the VM scenarios, then
#      the PREEMPT_RT kernels of the same lines with the scenarios whose
#      paths PREEMPT_RT makes stricter (RT_SCENARIOS: veto, load/unload
#      under traffic, churn);
#   5. builds and installs the module through DKMS for every supported
#      kernel, boots the DKMS-built module in one VM scenario, and removes
#      it from DKMS again;
#   6. builds the module with W=1 against every other Debian 12 headers
#      flavour of 6.1 and 6.12, amd64 and arm64 (scripts/build-matrix.sh).
# One line per check; sub-suites' own lines are shown as they run.
#
# `make check ARCH=arm64` (DG_ARCH=arm64) does 1, 2 and 4 for the arm64
# cloud kernels instead: module and CLI cross-built, the VMs in
# qemu-system-aarch64. ARCH=all does both.
#
# Environment: DG_SCENARIOS (default: every scenario but demo and the
# harness's self-check), DG_KERNELS (default: all supported), DG_RT_KERNELS
# (default: the PREEMPT_RT ones, none when DG_KERNELS is given; "none"),
# DG_RT_SCENARIOS, DG_SKIP_DKMS=1, DG_SKIP_LINT=1, DG_SKIP_MATRIX=1;
# DG_CACHE as for the others.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
export DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}
# All scenarios share one VM per kernel: about 2 minutes on a quiet 2-core
# machine, several times that on a busy one. The limit only catches hangs.
export DG_VM_TIMEOUT=${DG_VM_TIMEOUT:-900}
logdir=$top/build/check
mkdir -p "$logdir"
# make passes ARCH=arm64 from its command line in the environment; kbuild
# and DKMS read ARCH too, so it stops here.
arch=${DG_ARCH:-${ARCH:-amd64}}
unset ARCH
case $arch in
amd64|arm64|all) ;;
*) echo "check.sh: ARCH is amd64 (default), arm64 or all, not '$arch'" >&2; exit 2 ;;
esac
host=yes
[ "$arch" = arm64 ] && host=no

SCENARIOS=${DG_SCENARIOS:-baseline veto rules cli privileges lifecycle loadrace fuzz doctor churn teardown}
RT_SCENARIOS=${DG_RT_SCENARIOS:-veto lifecycle churn}
. "$top/scripts/lib-check.sh"

finish()
{
	echo "make check: $(( $(date +%s) - start )) s"
	echo "$npass passed, $nfail failed, $nskip skipped"
	[ "$nfail" -eq 0 ]
	exit $?
}

# ---- 1. what the tests need ------------------------------------------------
if ! step "setup: install missing packages" scripts/deps.sh; then
	finish
fi
if [ -n "${DG_KERNELS:-}" ]; then
	read -r -a rels <<<"$(for k in $DG_KERNELS; do scripts/kernels.sh --arch "${arch/all/amd64}" resolve "$k"; done | paste -sd' ')"
else
	rels=()
	for a in amd64 arm64; do
		[ "$arch" = all ] || [ "$arch" = "$a" ] || continue
		mapfile -t -O "${#rels[@]}" rels < <(scripts/kernels.sh --arch "$a" list)
	done
fi
rt_rels=()
if [ -n "${DG_RT_KERNELS:-}" ]; then
	[ "$DG_RT_KERNELS" = none ] ||
		read -r -a rt_rels <<<"$(for k in $DG_RT_KERNELS; do scripts/kernels.sh --arch "${arch/all/amd64}" resolve "$k"; done | paste -sd' ')"
elif [ -z "${DG_KERNELS:-}" ]; then
	for a in amd64 arm64; do
		[ "$arch" = all ] || [ "$arch" = "$a" ] || continue
		mapfile -t -O "${#rt_rels[@]}" rt_rels < <(scripts/kernels.sh --arch "$a" list-rt)
	done
fi
# The kernels booted for the host's own architecture (lint, DKMS).
native_rels=()
for rel in "${rels[@]}"; do
	[ "$(scripts/kernels.sh arch "$rel")" = amd64 ] && native_rels+=("$rel")
done
if [ ${#rels[@]} -eq 0 ] || ! step "setup: kernels ${rels[*]} ${rt_rels[*]} (headers + images)" \
		scripts/kernels.sh fetch "${rels[@]}" "${rt_rels[@]}"; then
	result "setup: supported kernels resolved" FAIL "scripts/kernels.sh list gave nothing"
	finish
fi

if [ "$arch" != amd64 ] && ! step "setup: arm64 userland and libnl (unpacked)" scripts/sysroot.sh arm64; then
	finish
fi

# ---- 2. builds -------------------------------------------------------------
step "build: CLI with -Wall -Wextra -Werror" make -C cli
step "build: in-VM test tools (static)" make -C tests/tools
if [ "$arch" != amd64 ]; then
	# Where run.sh looks for them; the tools it would also build itself.
	step "build: CLI for arm64 (cross), -Wall -Wextra -Werror" make -C cli \
		CROSS_COMPILE=aarch64-linux-gnu- SYSROOT="$(scripts/sysroot.sh arm64)" \
		BUILDDIR="$top/build/arm64/cli"
	step "build: in-VM test tools for arm64 (cross, static)" make -C tests/tools \
		CROSS_COMPILE=aarch64-linux-gnu- BUILDDIR="$top/build/arm64/tools"
fi
for rel in "${rels[@]}" "${rt_rels[@]}"; do
	step "build: module for $rel, W=1, no warnings" env W1=1 scripts/build-module.sh "$rel"
done
if [ "${DG_SKIP_LINT:-0}" != 1 ]; then
	for rel in "${native_rels[@]}"; do
		step "lint: sparse on the module for $rel" scripts/lint.sh sparse "$rel"
	done
	step "lint: checkpatch --strict on module/" scripts/lint.sh checkpatch
fi

# ---- 3. host unit tests ------------------------------------------------------
if [ "$host" = yes ]; then
	make -C tests/unit check 2>&1 | tee "$logdir/unit.log" | grep -E '^TEST: |^ +[#|]'
	absorb "$logdir/unit.log"
fi

# ---- 4. QEMU selftests on every kernel -----------------------------------------
# The live console lines are kept in the logs; the judged per-kernel lines
# (prefixed with the kernelrelease) and failure details are shown.
# vm_suite REL SCENARIO...: one VM on REL, its results added to the tally.
vm_suite()
{
	local rel=$1
	shift
	DG_MODULE_KO="$top/build/@REL@/src/module/demuxguard.ko" \
		tests/vm/run.sh -q -k "$rel" "$@" 2>&1 |
		tee "$logdir/vm-$rel.log" | grep -vE '^TEST: |^DG-|^SUMMARY:'
	absorb "$logdir/vm-$rel.log"
}
read -r -a scen <<<"$SCENARIOS"
for rel in "${rels[@]}"; do
	vm_suite "$rel" "${scen[@]}"
done
# PREEMPT_RT: the veto handler drops a socket reference inside a probe
# handler, and the probes are armed and disarmed, and the module unloaded,
# under traffic; on PREEMPT_RT what may be done there is stricter (no
# sleeping locks, no freeing with preemption off).
read -r -a rt_scen <<<"$RT_SCENARIOS"
for rel in "${rt_rels[@]}"; do
	vm_suite "$rel" "${rt_scen[@]}"
done

# ---- 5. DKMS ----------------------------------------------------------------------
# DKMS builds for installed headers: the host's architecture only.
if [ "${DG_SKIP_DKMS:-0}" != 1 ] && [ ${#native_rels[@]} -gt 0 ]; then
	ver=$(cat VERSION)
	if step "dkms: add, build and install for ${native_rels[*]}" scripts/dkms.sh install "${native_rels[@]}"; then
		rel=${native_rels[${#native_rels[@]}-1]}
		ko=$(find "/var/lib/dkms/demuxguard/$ver/$rel" -name 'demuxguard.ko*' 2>/dev/null | head -n 1)
		if [ -n "$ko" ]; then
			result "dkms: module built for $rel is in DKMS's tree" OK
			DG_MODULE_KO=$ko tests/vm/run.sh -q -k "$rel" veto 2>&1 |
				tee "$logdir/vm-dkms.log" | grep -vE '^TEST: |^DG-|^SUMMARY:' |
				sed 's/^\[/[dkms /'
			absorb "$logdir/vm-dkms.log"
		else
			result "dkms: module built for $rel is in DKMS's tree" FAIL "nothing under /var/lib/dkms/demuxguard/$ver/$rel"
		fi
	fi
	step "dkms: remove" scripts/dkms.sh remove
	step "dkms: nothing left behind" sh -c "! test -e /usr/src/demuxguard-$ver && ! dkms status -m demuxguard | grep -q ."
fi

# ---- 6. build matrix ------------------------------------------------------------
# Build-only: every Debian 12 headers flavour (generic, cloud, rt, 16k) of
# 6.1 and 6.12 for amd64 and arm64, W=1, a warning fails.
if [ "$host" = yes ] && [ "${DG_SKIP_MATRIX:-0}" != 1 ]; then
	scripts/build-matrix.sh 2>&1 | tee "$logdir/matrix.log" | grep -E '^TEST: |^ +\|'
	absorb "$logdir/matrix.log"
fi

finish
