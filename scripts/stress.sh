#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/stress.sh - `make stress`: the reliability run, on every supported
# kernel (6.1 and 6.12), in three VMs per kernel, one per scenario, so that
# a crash in one still lets the others report:
#   fuzz   the netlink fuzzer (tests/tools/dgfuzz.c): DG_FUZZ_MESSAGES
#          (default 250,000) messages from several threads, the kernel's
#          state then compared with the model of the valid ones;
#   churn  tests/vm/scenarios/churn.sh at full size: DG_CHURN_VETH (default
#          1,500) veth pairs and DG_CHURN_NETNS (75) namespaces with policy
#          created and deleted, DG_CHURN_CYCLES (150) module unload/load
#          cycles, while TCP flows through veto and monitor interfaces; then
#          object counts back to zero, slab back to its level, no ifindex
#          inheriting policy;
#   cli    the permission model (privileges.sh: unprivileged reads only,
#          user-namespace root never arms monitor and writes its own
#          namespace only with userns_writes=1; memory cgroup charges) and
#          the rest of the CLI checks.
# Each VM's console log is judged by tests/vm/run.sh (which scans the
# kernel log for WARNING:, BUG:, Oops, Call Trace, panics and new taint).
# Ends with the figures summed over the kernels,
#   stress: N messages sent, N unload/load cycles done (N veth pairs, N namespaces), N warnings found
#   N passed, N failed, N skipped
# and exits non-zero on any failed check or any warning. Takes about 13
# minutes on 2 cores (about 6 per kernel).
#
# Environment: DG_KERNELS (default "6.1 6.12"), DG_FUZZ_MESSAGES,
# DG_FUZZ_SECONDS, DG_CHURN_VETH, DG_CHURN_NETNS, DG_CHURN_CYCLES,
# DG_CHURN_READERS, DG_CACHE.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
export DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}
logdir=$top/build/stress
messages=${DG_FUZZ_MESSAGES:-250000}
# dgfuzz stops at its time limit even short of the budget; the check then
# reports fewer messages than asked for.
fuzz_seconds=${DG_FUZZ_SECONDS:-600}
veth=${DG_CHURN_VETH:-1500}
netns=${DG_CHURN_NETNS:-75}
cycles=${DG_CHURN_CYCLES:-150}
readers=${DG_CHURN_READERS:-2}
. "$top/scripts/lib-check.sh"


# kernel_reports LOG: the kernel's own report lines in a console log (the
# dmesg dump and any timestamped console line, each once), as run.sh
# extracts them; one line per WARNING:, BUG:, Oops or panic.
kernel_reports()
{
	sed 's/\r$//' "$1" |
		awk '/^DG-DMESG-BEGIN/ { on = 1; next } /^DG-DMESG-END/ { on = 0 }
		     on || /^\[ *[0-9]+\.[0-9]+\]/' |
		sort -u | grep -E 'WARNING:|BUG:|Oops|Kernel panic' || :
}

# vm NAME ARGS... SCENARIO: one VM on kernel $rel with module $ko, its
# console log kept as $rel-NAME.console.
vm()
{
	local name=$rel-$1
	shift
	rm -rf "$logdir/vm-$name"
	DG_LOGDIR=$logdir/vm-$name DG_MODULE_KO=$ko tests/vm/run.sh -q -k "$rel" "$@" 2>&1 |
		tee "$logdir/$name.out" | grep -vE '^TEST: |^DG-|^SUMMARY:'
	cp "$logdir/vm-$name"/*.log "$logdir/$name.console" 2>/dev/null ||
		: >"$logdir/$name.console"
	absorb "$logdir/$name.out"
}

finish()
{
	local warnings figure_msgs figure_cycles figure_veth figure_netns churn
	kernel_reports_all=$(for f in "$logdir"/*.console; do
		[ -f "$f" ] && kernel_reports "$f"; done)
	warnings=$(grep -c . <<<"$kernel_reports_all")
	# Each VM's last figure line, summed over the kernels.
	figure_msgs=$(for f in "$logdir"/*-fuzz.console; do
		sed -n 's/^dgfuzz: \([0-9]*\) messages.*/\1/p' "$f" 2>/dev/null | tail -n 1
	done | awk '{ s += $1 } END { print s + 0 }')
	churn=$(for f in "$logdir"/*-churn.console; do
		grep -a '^CHURN:' "$f" 2>/dev/null | tail -n 1; done)
	sum_churn() { sed -n "s/.*$1 \([0-9]*\).*/\1/p" <<<"$churn" | awk '{ s += $1 } END { print s + 0 }'; }
	figure_cycles=$(sum_churn 'unload\/load cycles')
	figure_veth=$(sum_churn 'veth pairs')
	figure_netns=$(sum_churn 'namespaces')
	if [ "$warnings" -gt 0 ]; then
		result "kernel logs: no warnings in any VM" FAIL "$warnings report lines:"
		head -n 20 <<<"$kernel_reports_all" | sed 's/^/    | /'
	fi
	echo "make stress: $(( $(date +%s) - start )) s (logs: $logdir)"
	echo "stress: ${figure_msgs:-0} messages sent, ${figure_cycles:-0} unload/load cycles done" \
		"(${figure_veth:-0} veth pairs, ${figure_netns:-0} namespaces), $warnings warnings found"
	echo "$npass passed, $nfail failed, $nskip skipped"
	[ "$nfail" -eq 0 ] && [ "$warnings" -eq 0 ]
	exit $?
}

rm -rf "$logdir"
mkdir -p "$logdir"

# ---- what the VMs need ---------------------------------------------------------
step "setup: install missing packages" scripts/deps.sh || finish
rels=
for k in ${DG_KERNELS:-6.1 6.12}; do
	rel=$(scripts/kernels.sh resolve "$k") || finish
	step "setup: kernel $rel (headers + image)" scripts/kernels.sh fetch "$rel" || finish
	rels="$rels $rel"
done
step "build: CLI" make -C cli || finish
step "build: in-VM test tools" make -C tests/tools || finish

# ---- the three runs, per kernel ---------------------------------------------------
for rel in $rels; do
	# A build of its own, so a `make check` running alongside keeps its own.
	step "build: module for $rel" scripts/build-module.sh "$rel" "$logdir/module-$rel" || continue
	ko=$logdir/module-$rel/src/module/demuxguard.ko
	DG_KERNEL_ARGS="DG_FUZZ_MESSAGES=$messages DG_FUZZ_SECONDS=$fuzz_seconds" \
		vm fuzz --timeout $((fuzz_seconds + 300)) fuzz
	DG_KERNEL_ARGS="DG_CHURN_VETH=$veth DG_CHURN_NETNS=$netns DG_CHURN_CYCLES=$cycles DG_CHURN_READERS=$readers" \
		vm churn --timeout 3000 churn
	vm cli cli privileges
done

finish
