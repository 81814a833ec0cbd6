#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo - what `make demo` shows: an EKS node with a security-groups-for-pods
# pod (sgp.sh), the kubelet's probe failing with early demux on, `monitor`
# counting the drops, `veto` fixing it, and the counters. Each step is also
# a check, so a demo that does not show what it says fails.

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/sgp.sh
. /dg/demuxguard.sh

DG_QUIET=1
POD=$SGP_POD_VETH

say()
{
	printf '\n\033[1m%s\033[0m\n' "$*"
}

# probe: what a kubelet TCP probe does: connect, send a little, get the reply.
probe()
{
	printf '  $ probe %s port %s ... ' "$1" "$SGP_PORT"
	if dgnet connect "$1" "$SGP_PORT" -b 16 -t 2000 2>/tmp/probe.err; then
		echo "ok"
	else
		echo "FAILED ($(cat /tmp/probe.err))"
		return 1
	fi
}

cmd()
{
	echo "  \$ $*"
	"$@" 2>&1 | sed 's/^/    /'
}

say "An EKS node with a security-groups-for-pods pod, built from namespaces:"
echo "  node eth0 $SGP_NODE_IP4, trunk VLAN vlan.eth.$SGP_VLAN, pod $SGP_POD_IP4 / $SGP_POD_IP6 behind $POD,"
echo "  the VPC CNI's table $((100 + SGP_VLAN)), 'iif' rules at $SGP_RULE_PREF and the local rule moved to $SGP_LOCAL_PREF."
check_here "topology up" sgp_setup
defer sgp_teardown
run_bg "$SGP_POD_NS" dgnet serve any "$SGP_PORT"
check "pod: server listens" run_in "$SGP_POD_NS" dgnet waitlisten -t 5000 "$SGP_PORT"
sgp_demux 1

say "1. net.ipv4.tcp_early_demux=1, no demuxguard: the kubelet's probes die"
check_fail "probe fails without the guard (ipv4)" probe "$SGP_POD_IP4"
check_fail "probe fails without the guard (ipv6)" probe "$SGP_POD_IP6"

say "2. Load demuxguard and put the pod's host veth in monitor mode: count, change nothing"
check_here "modprobe demuxguard" dg_load
cmd demuxguard set dev "$POD" mode monitor
check_fail "probe still fails under monitor (ipv4)" probe "$SGP_POD_IP4"
check_fail "probe still fails under monitor (ipv6)" probe "$SGP_POD_IP6"
cmd demuxguard stats dev "$POD"
check "monitor counted the drops" dg_counter_is "$POD" ipv4 fwd_sk_drops -ge 1

say "3. veto mode: early demux skips the pod interface's packets; routing forwards them"
cmd demuxguard set dev "$POD" mode veto
check "probe works under veto (ipv4)" probe "$SGP_POD_IP4"
check "probe works under veto (ipv6)" probe "$SGP_POD_IP6"
check "a 4 MB transfer works under veto" dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -b 4000000 -t 8000
cmd demuxguard stats dev "$POD"
check "veto counted what it saved" dg_counter_is "$POD" ipv4 vetoed -ge 1

say "4. In production, one rule covers every SGP pod, present and future"
cmd demuxguard unset dev "$POD"
cmd demuxguard rule add prefix vlan mode veto
cmd demuxguard show
cmd demuxguard status
check "probe works with the rule (ipv4)" probe "$SGP_POD_IP4"
echo
echo "Early demux stayed on the whole time: $(cat /proc/sys/net/ipv4/tcp_early_demux)"
check_klog "kernel log: clean"
dg_finish
