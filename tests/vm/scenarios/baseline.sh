#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# baseline - proves the reproduction, with no demuxguard loaded: on the SGP
# topology of sgp.sh, with net.ipv4.tcp_early_demux=1 TCP between the node
# and its pod fails (node->pod and pod->node, IPv4 and IPv6, and an
# established flow the moment early demux is switched on), and with
# tcp_early_demux=0 it works, including a 3 MB transfer. Controls show the
# failure is specific to the node's own TCP sockets and to the moved local
# rule. If these checks ever pass the other way round, the selftests that
# show demuxguard fixing the drop prove nothing.

# Functions run through check_* look unused to shellcheck; the sgp_*
# functions take optional SGP_VAR=VALUE arguments, not the script's.
# shellcheck disable=SC2317,SC2119

set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. /dg/lib.sh
# shellcheck source=SCRIPTDIR/../sgp.sh
. /dg/sgp.sh

FAIL_MS=1500	# how long a connection that is being dropped gets
OK_MS=8000	# generous: TCG is slow, and a success must not flake
NODE_PORT=9090

klog_mark baseline
defer sgp_teardown
if sgp_setup; then
	pass "sgp: topology set up"
else
	fail "sgp: topology set up" "see the FAILED lines above"
	dg_finish
fi

run_bg "$SGP_POD_NS" dgnet serve any "$SGP_PORT"
run_bg root dgnet serve any "$NODE_PORT"
check "pod: server listens" run_in "$SGP_POD_NS" dgnet waitlisten -t 5000 "$SGP_PORT"
check "node: server listens" dgnet waitlisten -t 5000 "$NODE_PORT"

# held_flow ADDR: one connection to the pod's server, opened and used with
# early demux off, then used again after switching it on. Exits non-zero
# with dgnet's reason if the second exchange fails; exits 0 (which the
# caller treats as wrong) if the first exchange already failed, so that
# "timed out" can only come from the second one.
held_flow()
{
	rm -f /tmp/held.ctl /tmp/held.out
	mkfifo /tmp/held.ctl
	sgp_demux 0
	dgnet rr "$1" "$SGP_PORT" -H -b 100 -t "$FAIL_MS" \
		</tmp/held.ctl >/tmp/held.out 2>&1 &
	_pid=$!
	exec 3>/tmp/held.ctl
	echo first >&3
	if ! wait_file_grep "$OK_MS" '^ok 1$' /tmp/held.out; then
		echo "held_flow: the first exchange (early demux off) failed:"
		cat /tmp/held.out
		exec 3>&-
		kill "$_pid" 2>/dev/null
		return 0
	fi
	sgp_demux 1
	echo second >&3
	exec 3>&-
	wait "$_pid" && _rc=0 || _rc=$?
	cat /tmp/held.out
	return "$_rc"
}

# --- early demux on: what the kubelet's probes see ----------------------
sgp_demux 1

check "controls: ipv4 ping node->pod works with early demux" \
	ping -c 1 -W 2 "$SGP_POD_IP4"
check "controls: ipv6 ping node->pod works with early demux" \
	ping -6 -c 1 -W 2 "$SGP_POD_IP6"
check "controls: ipv4 TCP vpc->pod works with early demux" \
	run_in "$SGP_VPC_NS" dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -b 1000 -t "$OK_MS"
check "controls: ipv6 TCP vpc->pod works with early demux" \
	run_in "$SGP_VPC_NS" dgnet connect "$SGP_POD_IP6" "$SGP_PORT" -b 1000 -t "$OK_MS"

check_fail_grep "demux=1: ipv4 node->pod connect times out" "connect .* timed out" \
	dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -t "$FAIL_MS"
check_fail_grep "demux=1: ipv6 node->pod connect times out" "connect .* timed out" \
	dgnet connect "$SGP_POD_IP6" "$SGP_PORT" -t "$FAIL_MS"
# The pod's SYN gets its SYN-ACK (that path has no node socket), but its
# final ACK and its data carry the node's request socket and are dropped.
check_fail_grep "demux=1: ipv4 pod->node transfer times out" "timed out" \
	run_in "$SGP_POD_NS" dgnet connect "$SGP_NODE_IP4" "$NODE_PORT" -b 1000 -t "$FAIL_MS"
check_fail_grep "demux=1: ipv6 pod->node transfer times out" "timed out" \
	run_in "$SGP_POD_NS" dgnet connect "$SGP_NODE_IP6" "$NODE_PORT" -b 1000 -t "$FAIL_MS"

# With the local rule back in front, the pod's answer is delivered instead
# of forwarded and early demux does no harm: the moved rule is the trigger.
# IPv4 then also needs accept_local on the VLAN: the node's SYN comes back
# in there with the node's own source address, and the reverse-path check
# (fib_validate_source, looking up the source as if routing out of the pod
# veth) finds it local and drops it as a martian. Moving the local rule
# behind the iif rules is how the VPC CNI gets past that check.
vlan_accept_local=/proc/sys/net/ipv4/conf/vlan.eth.$SGP_VLAN/accept_local
sgp_local_rule_pref 0
echo 1 >"$vlan_accept_local"
check "controls: local rule at 0: ipv4 node->pod works with early demux" \
	dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -b 1000 -t "$OK_MS"
check "controls: local rule at 0: ipv6 node->pod works with early demux" \
	dgnet connect "$SGP_POD_IP6" "$SGP_PORT" -b 1000 -t "$OK_MS"
echo 0 >"$vlan_accept_local"
check_fail_grep "controls: local rule at 0: ipv4 without accept_local is martian" \
	"connect .* timed out" dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -t "$FAIL_MS"
sgp_local_rule_pref "$SGP_LOCAL_PREF"

# --- early demux off: the anchors' workaround ---------------------------
sgp_demux 0

check "demux=0: ipv4 node->pod, 5 connections" \
	dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -n 5 -b 1000 -t "$OK_MS"
check "demux=0: ipv6 node->pod, 5 connections" \
	dgnet connect "$SGP_POD_IP6" "$SGP_PORT" -n 5 -b 1000 -t "$OK_MS"
check "demux=0: ipv4 pod->node, 5 connections" \
	run_in "$SGP_POD_NS" dgnet connect "$SGP_NODE_IP4" "$NODE_PORT" -n 5 -b 1000 -t "$OK_MS"
check "demux=0: ipv6 pod->node, 5 connections" \
	run_in "$SGP_POD_NS" dgnet connect "$SGP_NODE_IP6" "$NODE_PORT" -n 5 -b 1000 -t "$OK_MS"
check "demux=0: ipv4 node->pod 3 MB transfer" \
	dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -b 3000000 -t "$OK_MS" -v
check "demux=0: ipv6 node->pod 3 MB transfer" \
	dgnet connect "$SGP_POD_IP6" "$SGP_PORT" -b 3000000 -t "$OK_MS" -v
check "demux=0: ipv4 node->pod 50 request/response exchanges" \
	dgnet rr "$SGP_POD_IP4" "$SGP_PORT" -n 50 -b 100 -t "$OK_MS"
check "demux=0: ipv6 node->pod 50 request/response exchanges" \
	dgnet rr "$SGP_POD_IP6" "$SGP_PORT" -n 50 -b 100 -t "$OK_MS"

# --- an established flow when early demux comes on -----------------------
# Its socket learned its input route on eth0; the pod's segments arrive on
# the host veth, mismatch, and are dropped from then on.
check_fail_grep "demux 0->1: ipv4 established node->pod flow stalls" "exchange 2: receive timed out" \
	held_flow "$SGP_POD_IP4"
check_fail_grep "demux 0->1: ipv6 established node->pod flow stalls" "exchange 2: receive timed out" \
	held_flow "$SGP_POD_IP6"
sgp_demux 1

check_klog "kernel log: clean after baseline"
dg_finish
