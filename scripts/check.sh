#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/check.sh - `make check`: the whole test suite, from a fresh Debian
# 12 machine (as root) to one closing line "N passed, N failed, N skipped".
#
#   1. installs what is missing (scripts/deps.sh) and fetches the kernels
#      of the plan below (scripts/kernels.sh: images unpacked; headers
#      installed for bookworm's, in a build root for another suite's);
#   2. builds the CLI (-Wall -Wextra -Werror), the in-VM tools, and the
#      module for every kernel of the plan with W=1 (a warning fails), each
#      with the compiler Debian built that kernel with, runs sparse on it
#      (bookworm's kernels), and checkpatch on the module's sources;
#   3. runs the CLI's host unit tests;
#   4. boots every kernel of the plan in QEMU and runs its scenarios, as
#      many VMs at once as the host has cores for (an x86-64 VM takes one
#      host thread, an arm64 VM two; DG_VM_JOBS sets the number);
#   5. builds the .deb packages, installs them with apt (DKMS builds the
#      module for the host suite's kernels), boots the package-built module
#      in one VM scenario, upgrades from the previous version, purges, and
#      checks nothing is left; builds and lints the RPMs; runs DKMS add,
#      build, install and remove for another suite's amd64 kernels inside
#      that suite's build root;
#   6. validates the YNL spec, compares the uapi header with the one the
#      kernel's generator makes, and drives the family through ynl;
#   7. builds the module with W=1 against every other Debian 12 headers
#      flavour of 6.1 and 6.12, amd64 and arm64 (scripts/build-matrix.sh).
# One line per check; sub-suites' own lines are shown as they run.
#
# The plan (PLAN below) is the one table of which scenarios run on which
# kernel: every kernel boots and runs at least baseline and veto; the
# oldest (5.10) and the newest amd64 kernels, and the default (6.1), run
# every scenario; the PREEMPT_RT kernels the veto, load/unload and churn
# paths that PREEMPT_RT makes stricter; arm64 the SGP scenarios.
#
# `make check ARCH=arm64` (DG_ARCH=arm64) does 1, 2 and 4 for the arm64
# kernels of the plan instead: module and CLI cross-built, the VMs in
# qemu-system-aarch64. ARCH=all does both.
#
# Environment: DG_KERNELS (short names or kernelreleases: only these, with
# their plan's scenarios, every scenario for one not in the plan; no RT
# kernel then unless DG_RT_KERNELS names some), DG_RT_KERNELS ("none": no
# RT kernel), DG_SCENARIOS (these scenarios on every kernel instead of the
# plan's), DG_CHECK_PLAN=1 (print the plan and stop), DG_SKIP_DKMS=1,
# DG_SKIP_LINT=1, DG_SKIP_MATRIX=1, DG_VM_JOBS (VMs at once); DG_CACHE as
# for the others.
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

# Every scenario but demo and the harness's self-check.
ALL_SCENARIOS="baseline veto rules cli privileges lifecycle loadrace fuzz doctor doctor-routing tproxy churn teardown"
# Which scenarios each kernel runs: "SHORT-NAME ARCH SCENARIOS|all". The
# short names are scripts/kernels.sh's; a kernel not listed for an
# architecture is not booted there. Measured VM times: tests/vm/README.md.
PLAN=(
	"5.10     amd64  all"
	"6.1      amd64  all"
	"6.12     amd64  baseline veto rules lifecycle tproxy teardown"
	"newest   amd64  all"
	"6.1-rt   amd64  veto lifecycle churn"
	"6.12-rt  amd64  veto lifecycle churn"
	"6.1      arm64  baseline veto lifecycle tproxy"
	"6.12     arm64  baseline veto"
	"newest   arm64  baseline veto tproxy"
)
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
# The kernels to boot, as "REL SCENARIO..." lines in vm_plan, and rels,
# every one of them (to fetch and build).
plan_scenarios() {	# SHORT ARCH: the plan's scenarios, or nothing
	local row short a scen
	for row in "${PLAN[@]}"; do
		read -r short a scen <<<"$row"
		if [ "$short" = "$1" ] && [ "$a" = "$2" ]; then
			echo "${scen/#all/$ALL_SCENARIOS}"
			return 0
		fi
	done
}
vm_plan=()
plan_add() {	# ARCH SHORT-OR-REL [DEFAULT-SCENARIOS]
	local a=$1 k=$2 rel scen
	rel=$(scripts/kernels.sh --arch "$a" resolve "$k") || return 1
	scen=$(plan_scenarios "$k" "$a")
	scen=${DG_SCENARIOS:-${scen:-${3:-$ALL_SCENARIOS}}}
	vm_plan+=("$rel $scen")
}
for a in amd64 arm64; do
	[ "$arch" = all ] || [ "$arch" = "$a" ] || continue
	if [ -n "${DG_KERNELS:-}${DG_RT_KERNELS:-}" ]; then
		for k in ${DG_KERNELS:-}; do
			plan_add "$a" "$k"
		done
		[ "${DG_RT_KERNELS:-none}" = none ] || for k in $DG_RT_KERNELS; do
			plan_add "$a" "$k" "veto lifecycle churn"
		done
	else
		for row in "${PLAN[@]}"; do
			read -r short pa _ <<<"$row"
			[ "$pa" = "$a" ] && plan_add "$a" "$short"
		done
	fi
done
rels=()
for row in "${vm_plan[@]}"; do
	rels+=("${row%% *}")
	echo "plan: ${row%% *}: ${row#* }"
done
[ "${DG_CHECK_PLAN:-0}" = 1 ] && exit 0
# The cloud kernels of the host's own suite and architecture (sparse,
# DKMS: their headers are installed on the host).
# shellcheck source=/dev/null
host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
native_rels=()
for rel in "${rels[@]}"; do
	case $rel in *-rt-*) continue ;; esac
	[ "$(scripts/kernels.sh arch "$rel")" = "$(dpkg --print-architecture)" ] &&
		[ "$(scripts/kernels.sh suite "$rel")" = "$host_suite" ] && native_rels+=("$rel")
done
if [ ${#rels[@]} -eq 0 ] || ! step "setup: kernels ${rels[*]} (headers or build roots + images)" \
		scripts/kernels.sh fetch "${rels[@]}"; then
	result "setup: kernels resolved and fetched" FAIL "scripts/kernels.sh gave nothing"
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
for rel in "${rels[@]}"; do
	step "build: module for $rel ($(scripts/kernels.sh suite "$rel")), W=1, no warnings" \
		env W1=1 scripts/build-module.sh "$rel"
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
# vm_start REL SCENARIO...: one VM on REL, in the background, into
# $logdir/vm-REL.log; vm_report N: the Nth VM started, once it has ended,
# its lines shown and its results added to the tally.
vm_start()
{
	local rel=$1
	shift
	DG_MODULE_KO="$top/build/@REL@/src/module/demuxguard.ko" \
		tests/vm/run.sh -q -k "$rel" "$@" >"$logdir/vm-$rel.log" 2>&1 &
	vm_pids+=("$!")
	vm_rels+=("$rel")
}
vm_report()
{
	wait "${vm_pids[$1]}" || :
	grep -vE '^TEST: |^DG-|^SUMMARY:' "$logdir/vm-${vm_rels[$1]}.log"
	absorb "$logdir/vm-${vm_rels[$1]}.log"
}
# Several VMs at once, each on host threads of its own: an x86-64 guest
# runs on one TCG thread (tests/vm/run.sh), an arm64 guest on one per
# vCPU (2). Results are shown in plan order. DG_VM_JOBS overrides.
host_cpus=$(nproc)
if [ "$arch" = amd64 ]; then vm_threads=1; else vm_threads=2; fi
vm_jobs=${DG_VM_JOBS:-$(( host_cpus / vm_threads > 0 ? host_cpus / vm_threads : 1 ))}
vm_pids=()
vm_rels=()
vm_shown=0
# PREEMPT_RT: the veto's hooks are attached and detached, monitor's probes
# armed and disarmed, and the module unloaded, under traffic; on PREEMPT_RT
# what may be done in those handlers is stricter (no sleeping locks, no
# freeing with preemption off).
for row in "${vm_plan[@]}"; do
	read -r -a scen <<<"${row#* }"
	while [ $(( ${#vm_pids[@]} - vm_shown )) -ge "$vm_jobs" ]; do
		vm_report "$vm_shown"
		vm_shown=$((vm_shown + 1))
	done
	vm_start "${row%% *}" "${scen[@]}"
done
while [ "$vm_shown" -lt "${#vm_pids[@]}" ]; do
	vm_report "$vm_shown"
	vm_shown=$((vm_shown + 1))
done

# ---- 5. packages and DKMS --------------------------------------------------------
# The host suite's kernels: the .debs (make deb) installed with apt, DKMS
# building the module for each kernel's installed headers, the previous
# version upgraded to this one, removed and purged, nothing left behind; the
# package-built module booted in one VM scenario per kernel
# (scripts/check-packages.sh). Then the RPMs (make rpm, rpmlint).
if [ "$host" = yes ] && [ "${DG_SKIP_DKMS:-0}" != 1 ] && [ ${#native_rels[@]} -gt 0 ]; then
	scripts/check-packages.sh --vm veto "${native_rels[@]}" 2>&1 |
		tee "$logdir/packages.log" | grep -E '^TEST: |^    #|^\[package '
	absorb "$logdir/packages.log"
	step "packages: make rpm (rpmbuild, rpmlint)" scripts/packages.sh rpm
fi

# A kernel of another suite: DKMS as a node of that suite runs it, in the
# suite's build root (dkms installed there), against the headers there.
# shellcheck disable=SC2317  # run through step
root_dkms_install() {	# REL
	scripts/buildroot.sh install "$1" dkms &&
		scripts/buildroot.sh run "$1" -b "$top" -- "$top/scripts/dkms.sh" install "$1"
}
# shellcheck disable=SC2317  # run through step
root_dkms_built() {	# REL
	local ko
	ko=$(find "$(scripts/buildroot.sh "$1")/var/lib/dkms/demuxguard" -path "*/$1/*" \
		-name 'demuxguard.ko*' -print -quit 2>/dev/null)
	[ -n "$ko" ] && echo "$ko"
}
if [ "${DG_SKIP_DKMS:-0}" != 1 ]; then
	for rel in "${rels[@]}"; do
		suite=$(scripts/kernels.sh suite "$rel")
		if [ "$suite" = "$host_suite" ] || [ "$(scripts/kernels.sh arch "$rel")" != amd64 ]; then
			continue
		fi
		if step "dkms: add, build and install for $rel in the $suite root" root_dkms_install "$rel"; then
			step "dkms: module built for $rel is in DKMS's tree ($suite root)" root_dkms_built "$rel"
		fi
		step "dkms: remove ($suite root)" \
			scripts/buildroot.sh run "$rel" -b "$top" -- "$top/scripts/dkms.sh" remove
	done
fi

# ---- 6. the netlink spec ----------------------------------------------------------
# The YNL spec validates against the kernel's schema, the uapi header is
# what the kernel's generator makes of it, and the family is driven through
# ynl (requests encoded by ynl, sent in a VM, replies decoded by ynl).
if [ "$host" = yes ] && [ ${#native_rels[@]} -gt 0 ]; then
	scripts/ynl.sh check 2>&1 | tee "$logdir/ynl-spec.log" | grep -E '^TEST: |^    '
	absorb "$logdir/ynl-spec.log"
	tests/ynl/run.sh "${native_rels[0]}" 2>&1 | tee "$logdir/ynl.log" | grep -E 'TEST: |^    #'
	absorb "$logdir/ynl.log"
fi

# ---- 7. build matrix ------------------------------------------------------------
# Build-only: every Debian 12 headers flavour (generic, cloud, rt, 16k) of
# 6.1 and 6.12 for amd64 and arm64, W=1, a warning fails.
if [ "$host" = yes ] && [ "${DG_SKIP_MATRIX:-0}" != 1 ]; then
	scripts/build-matrix.sh 2>&1 | tee "$logdir/matrix.log" | grep -E '^TEST: |^ +\|'
	absorb "$logdir/matrix.log"
fi

finish
