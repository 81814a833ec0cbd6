#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# misses - the parallel part of demuxguard's benchmark, run by the VM's
# /init under QEMU -smp 2 without -icount (two vCPUs really run at once,
# so probe handlers can overlap and nest). On the node of bench/vm/topo.sh,
# with cli0 in veto and srv0 in monitor (monitor arms the probes on early
# demux, which fire on every TCP segment in every namespace, besides the
# ones on forwarding), it runs BENCH_LOAD_CONNS parallel clients for
# BENCH_LOAD_SECONDS in each of three streams at once:
#   client -> node      terminated, arriving on cli0 (veto)
#   client -> server    forwarded: in on cli0 (veto), back in on srv0 (monitor)
#   server -> node      terminated, arriving on srv0 (monitor)
# half of each stream's clients doing rr, half crr, then reports the probe
# misses (total and per hook: a kprobe hit while another probe's handler
# runs on the same CPU is missed, and so is the work it should have done)
# and the monitor counters that show the probes really ran.
#
# Output, parsed by bench/run.sh:
#   DG-BENCH-LOAD: stream=S conns=C seconds=S rr=N crr=N errors=N
#   DG-BENCH-MISSES: probe_missed=N
#   DG-BENCH-HOOK: name=H attached=... armed=... missed=N
#   DG-BENCH-COUNTERS: dev=D demux_calls=N sk_hits=N vetoed=N fwd_sk_drops=N
# Knobs from /dg/bench/bench.conf: BENCH_LOAD_CONNS, BENCH_LOAD_SECONDS.

# shellcheck disable=SC2317
set -eu
# shellcheck source=SCRIPTDIR/../../tests/vm/lib.sh
. /dg/lib.sh
# Not followed: shellcheck cannot parse one of demuxguard.sh's tests.
# shellcheck source=/dev/null
. /dg/demuxguard.sh
# shellcheck source=SCRIPTDIR/topo.sh
. /dg/bench/topo.sh
# shellcheck source=/dev/null
. /dg/bench/bench.conf

# shellcheck disable=SC2034  # read by lib.sh
DG_QUIET=1
BENCH_LOAD_CONNS=${BENCH_LOAD_CONNS:-64}
BENCH_LOAD_SECONDS=${BENCH_LOAD_SECONDS:-30}
# One server worker per vCPU.
BENCH_WORKERS=$(grep -c '^processor' /proc/cpuinfo)

klog_mark misses
if ! check_here "misses: topology and servers up" bench_topo_setup; then
	dg_finish
fi
check "misses: module loads" dg_load
check "misses: veto on cli0" demuxguard set dev cli0 mode veto
check "misses: monitor on srv0" demuxguard set dev srv0 mode monitor
check_output "misses: monitor's probes armed" "true true true true" dg_armed
check_output "misses: cli0's veto on its rx_handler" rx_handler dg_field cli0 veto_hook
check_output "misses: no misses before the load" 0 \
	sh -c "demuxguard -j status | tr -d ' \n' | sed -n 's/.*\"probe_missed\":\([0-9]*\).*/\1/p'"

# Three streams in parallel; each prints one line when its time is up.
# Not run_bg: its log file is renamed while the child may not have opened
# it yet, so a fast-starting stream's line can land in the old name.
load_start()	# NAME NS ADDR; sets LOAD_PID
{
	dg_ns_exec "$2" dgbench load "$3" "$BENCH_PORT" -c "$BENCH_LOAD_CONNS" \
		-d "$BENCH_LOAD_SECONDS" >"/tmp/load.$1.out" 2>&1 &
	LOAD_PID=$!
	defer kill_bg "$LOAD_PID"
}
load_start client-node client "$BENCH_TERM_ADDR"
pid_cn=$LOAD_PID
load_start client-server client "$BENCH_FWD_ADDR"
pid_cs=$LOAD_PID
load_start server-node server "$BENCH_NODE_ADDR_SRV"
pid_sn=$LOAD_PID

load_done()	# NAME PID
{
	if wait "$2"; then _rc=0; else _rc=$?; fi
	_line=$(cat "/tmp/load.$1.out")
	echo "DG-BENCH-LOAD: stream=$1 $_line"
	if [ "$_rc" = 0 ]; then
		pass "misses: $1 load ran without errors"
	else
		fail "misses: $1 load ran without errors" "exit $_rc" "$_line"
	fi
}
load_done client-node "$pid_cn"
load_done client-server "$pid_cs"
load_done server-node "$pid_sn"

status=$(demuxguard -j status | tr -d ' \n\t')
missed=$(printf '%s\n' "$status" | sed -n 's/.*"probe_missed":\([0-9]*\).*/\1/p')
echo "DG-BENCH-MISSES: probe_missed=${missed:-?}"
# Per hook from the text form: "hook NAME [(KIND)]: attached|not attached,
# armed|disarmed, missed N[, hits N, users N]".
demuxguard status | awk '/^hook / {
	name = $2; sub(/:$/, "", name)
	att = index($0, ": attached,") ? "yes" : "no"
	arm = index($0, " armed,") ? "yes" : "no"
	missed = $0; sub(/.* missed /, "", missed); sub(/[^0-9].*/, "", missed)
	print "DG-BENCH-HOOK: name=" name " attached=" att " armed=" arm " missed=" missed }'
for dev in cli0 srv0; do
	line="DG-BENCH-COUNTERS: dev=$dev"
	for c in demux_calls sk_hits vetoed fwd_sk_drops; do
		line="$line $c=$(dg_counter "$dev" ipv4 "$c")"
	done
	echo "$line"
done
check_output "misses: probe_missed is 0 after the load" 0 echo "${missed:-?}"
check "misses: the early-demux probes ran (srv0 demux_calls > 0)" \
	dg_counter_is srv0 ipv4 demux_calls -gt 0

check_klog "misses: kernel log clean"
dg_finish
