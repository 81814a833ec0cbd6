#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/check-debug.sh - `make check-debug`: the VM selftests, the netlink
# fuzzer and the churn run on a debug kernel, Debian's linux-source-6.1
# built with KASAN, lockdep/PROVE_RCU, DEBUG_ATOMIC_SLEEP and kmemleak
# (scripts/debug-kernel.sh: built once per machine, then cached).
#
#   1. the debug kernel (built or cached), the module built against its
#      tree with W=1, the CLI and the in-VM tools;
#   2. one VM on that kernel (everything built in, so the initramfs carries
#      only our module; run.sh --kernel-image/--kernel-build) running
#      tests/debug/checkers-armed.sh (KASAN, lockdep and kmemleak are on;
#      kmemleak's baseline), the scenarios, and
#      tests/debug/checkers-report.sh (lockdep still on; kmemleak scanned,
#      every suspect shown, those from module code failing);
#   3. the console log searched for each checker's reports, one check line
#      per checker: KASAN ("BUG: KASAN"), lockdep ("WARNING: possible ...",
#      "inconsistent lock state", "suspicious RCU usage", ...), sleeping in
#      atomic context ("BUG: sleeping function called from invalid
#      context", "scheduling while atomic"), besides run.sh's own scan for
#      WARNING:/BUG:/Oops and taint.
# Ends with
#   check-debug: N KASAN, N lockdep, N sleep-in-atomic reports, N kmemleak suspects (N from module code)
#   N passed, N failed, N skipped
#
# Everything runs three to four times slower under KASAN and lockdep (and
# TCG). The fuzzer sends its full 100,000 messages (DG_FUZZ_MESSAGES); the
# churn run keeps make check's sizes but for 20 unload/load cycles
# (DG_CHURN_CYCLES), the teardown path being where these checkers find
# most; loadrace runs 5 rounds (DG_LOADRACE_ROUNDS: its race is make
# check's to catch, here it is one more load path under the checkers);
# the rest are make check's. The VM gets DG_DEBUG_TIMEOUT seconds
# (default 3600). About 20 minutes on 2 cores.
# Environment: DG_SCENARIOS (default: baseline veto rules cli lifecycle
# loadrace fuzz tproxy disarmfail churn teardown), DG_FUZZ_MESSAGES, DG_CHURN_CYCLES,
# DG_LOADRACE_ROUNDS, DG_DEBUG_TIMEOUT, DG_KERNEL_ARGS (passed on), DG_CACHE.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
export DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}
logdir=$top/build/check-debug
SCENARIOS=${DG_SCENARIOS:-baseline veto rules cli lifecycle loadrace fuzz tproxy disarmfail churn teardown}
timeout_s=${DG_DEBUG_TIMEOUT:-3600}
. "$top/scripts/lib-check.sh"


finish()
{
	echo "make check-debug: $(( $(date +%s) - start )) s (logs: $logdir)"
	echo "check-debug: ${kasan:-?} KASAN, ${lockdep:-?} lockdep, ${atomic:-?} sleep-in-atomic reports," \
		"${leaks:-?} kmemleak suspects (${leaks_ours:-?} from module code)"
	echo "$npass passed, $nfail failed, $nskip skipped"
	[ "$nfail" -eq 0 ]
	exit $?
}

# checker NAME ERE: one check line for a checker's reports in the kernel's
# lines of the console log; prints how many it found.
checker()
{
	local hits n
	hits=$(grep -E -- "$2" "$klog" || :)
	n=$(grep -c . <<<"$hits")
	if [ "$n" -eq 0 ]; then
		result "debug kernel: no $1 reports" OK >&2
	else
		result "debug kernel: no $1 reports" FAIL "$n:" >&2
		head -n 10 <<<"$hits" | sed 's/^/    | /' >&2
	fi
	echo "$n"
}

rm -rf "$logdir"
mkdir -p "$logdir"

# ---- 1. kernel, module, tools ------------------------------------------------
step "setup: install missing packages" scripts/deps.sh || finish
if ! kdir=$(scripts/debug-kernel.sh 2>"$logdir/debug-kernel.log"); then
	result "debug kernel: built or cached" FAIL "see $logdir/debug-kernel.log"
	tail -n 30 "$logdir/debug-kernel.log" | sed 's/^/    | /'
	finish
fi
result "debug kernel: built or cached ($kdir)" OK
image=$kdir/arch/x86/boot/bzImage
rel=$(cat "$kdir/include/config/kernel.release")
step "build: CLI" make -C cli || finish
step "build: in-VM test tools" make -C tests/tools || finish
# With the fault-injection knobs (DG_FAULT_INJECT=y): disarmfail needs them.
step "build: module against the debug kernel ($rel), W=1, no warnings, fault injection" \
	env KDIR="$kdir" W1=1 DG_FAULT_INJECT=y scripts/build-module.sh "$rel" "$logdir/module" || finish

# ---- 2. the VM -------------------------------------------------------------------
read -r -a scen <<<"$SCENARIOS"
# printk.time: the debug kernel is built without timestamps, which is how
# run.sh tells the kernel's console lines from the scenarios'. loglevel=5
# puts warnings on the console too, so a report is seen even if the VM
# dies before its log is dumped.
DG_LOGDIR=$logdir/vm DG_MODULE_KO=$logdir/module/src/module/demuxguard.ko \
DG_KERNEL_ARGS="printk.time=1 loglevel=5 DG_FUZZ_MESSAGES=${DG_FUZZ_MESSAGES:-100000} DG_FUZZ_SECONDS=900 DG_CHURN_CYCLES=${DG_CHURN_CYCLES:-20} DG_LOADRACE_ROUNDS=${DG_LOADRACE_ROUNDS:-5} ${DG_KERNEL_ARGS:-}" \
	tests/vm/run.sh -q --kernel-image "$image" --kernel-build "$kdir" --timeout "$timeout_s" \
	tests/debug/checkers-armed.sh "${scen[@]}" tests/debug/checkers-report.sh 2>&1 |
	tee "$logdir/vm.out" | grep -vE '^TEST: |^DG-|^SUMMARY:'
absorb "$logdir/vm.out"

# ---- 3. each checker's reports -------------------------------------------------
console=$(find "$logdir/vm" -name "*.log" 2>/dev/null | head -n 1)
if [ -z "$console" ]; then
	result "vm: console log kept" FAIL "nothing in $logdir/vm"
	finish
fi
klog=$logdir/kernel.log
# The kernel's lines, as run.sh extracts them: the dmesg dump at the end
# and every timestamped console line, each once.
sed 's/\r$//' "$console" |
	awk '/^DG-DMESG-BEGIN/ { on = 1; next } /^DG-DMESG-END/ { on = 0 }
	     on || /^\[ *[0-9]+\.[0-9]+\]/' | sort -u >"$klog"
kasan=$(checker KASAN 'BUG: KASAN')
lockdep=$(checker lockdep 'WARNING: (possible (circular|recursive|irq lock inversion)|inconsistent lock state|suspicious RCU usage|bad unlock balance|held lock freed|lock held when returning|Nested lock|bad contention)|BUG: (MAX_LOCK|looking up invalid subclass|key .* has not been registered)|INFO: trying to register non-static key')
atomic=$(checker sleep-in-atomic 'BUG: (sleeping function called from invalid context|scheduling while atomic)|BUG: workqueue leaked lock|Voluntary context switch within RCU')
leaks=$(sed -n 's/^KMEMLEAK: \([0-9]*\) suspects.*/\1/p' "$console" | tail -n 1)
leaks_ours=$(sed -n 's/^KMEMLEAK: .*(\([0-9]*\) from module code).*/\1/p' "$console" | tail -n 1)
finish
