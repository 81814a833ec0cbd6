#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# teardown - the SGP topology comes down cleanly and can be built again:
# with traffic in flight (a held connection, a connection being dropped,
# servers with open sockets) sgp_teardown removes every namespace, link,
# rule and table it made and puts the local rule back at priority 0; the
# kernel log stays clean; a second pod on another VLAN works alongside the
# first; and a rebuilt topology behaves as the first did. No module needed.

# Functions run through check_* look unused to shellcheck; the sgp_*
# functions take optional SGP_VAR=VALUE arguments, not the script's.
# shellcheck disable=SC2317,SC2119

set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. /dg/lib.sh
# shellcheck source=SCRIPTDIR/../sgp.sh
. /dg/sgp.sh

OK_MS=8000

# The node's state before anything is built, to compare against after.
snapshot()
{
	ip -o link show | sed 's/^[0-9]*: //; s/ .*//'
	ip -4 rule show
	ip -6 rule show
	ip netns list
}

klog_mark teardown
before=$(snapshot)

defer sgp_teardown
check_here "sgp: topology set up" sgp_setup
# A second pod on the same node: its own VLAN, host veth and table.
check_here "sgp: second pod added" sgp_add_pod SGP_POD_NS=pod2 \
	SGP_POD_VETH=vlandef SGP_VLAN=102 SGP_POD_IP4=10.0.2.21 \
	SGP_POD_IP6=fd00:2::21
check_grep "sgp: second pod has table 202 rules" "iif vlandef lookup 202" ip rule show

run_bg "$SGP_POD_NS" dgnet serve any "$SGP_PORT"
run_bg pod2 dgnet serve any "$SGP_PORT"
check "pod: server listens" run_in "$SGP_POD_NS" dgnet waitlisten -t 5000 "$SGP_PORT"
check "pod2: server listens" run_in pod2 dgnet waitlisten -t 5000 "$SGP_PORT"

sgp_demux 0
check "demux=0: ipv4 node->pod works" dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -b 1000 -t "$OK_MS"
check "demux=0: ipv4 node->pod2 works" dgnet connect 10.0.2.21 "$SGP_PORT" -b 1000 -t "$OK_MS"
check "demux=0: ipv6 node->pod2 works" dgnet connect fd00:2::21 "$SGP_PORT" -b 1000 -t "$OK_MS"
sgp_demux 1
check_fail_grep "demux=1: ipv4 node->pod2 times out" "timed out" \
	dgnet connect 10.0.2.21 "$SGP_PORT" -t 1500

# Traffic in flight while everything is removed: a flow held open (early
# demux off, so it works), and connections being retried into the drop.
sgp_demux 0
mkfifo /tmp/td.ctl
dgnet rr "$SGP_POD_IP4" "$SGP_PORT" -H -t 3000 </tmp/td.ctl >/tmp/td.out 2>&1 &
held=$!
exec 3>/tmp/td.ctl
echo go >&3
check "in flight: held flow exchanging" wait_file_grep "$OK_MS" '^ok 1$' /tmp/td.out
sgp_demux 1
dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -t 20000 >/dev/null 2>&1 &
dropped4=$!
dgnet connect "$SGP_POD_IP6" "$SGP_PORT" -t 20000 >/dev/null 2>&1 &
dropped6=$!

check_here "teardown: completes" sgp_teardown

# The held flow's next exchange has nowhere to go now; it must just fail,
# with dgnet's one-line reason.
echo again >&3
exec 3>&-
wait "$held" && held_rc=0 || held_rc=$?
check_grep "teardown: held flow fails cleanly (exit $held_rc)" "exchange 2: " \
	sh -c "[ $held_rc = 1 ] && cat /tmp/td.out"
kill "$dropped4" "$dropped6" 2>/dev/null || :
wait "$dropped4" 2>/dev/null || :
wait "$dropped6" 2>/dev/null || :

check_output "teardown: node back to its initial links, rules, namespaces" \
	"$before" snapshot
check_output "teardown: table 201 empty" "" ip route show table 201
check_output "teardown: table 202 empty" "" ip -6 route show table 202
check_grep "teardown: local rule back at 0 (ipv4)" "^0:.*lookup local" ip -4 rule show
check_grep "teardown: local rule back at 0 (ipv6)" "^0:.*lookup local" ip -6 rule show
check "teardown: second teardown is a no-op" sgp_teardown

# Build it again: the same names, the same behaviour.
check_here "rebuild: topology set up again" sgp_setup
run_bg "$SGP_POD_NS" dgnet serve any "$SGP_PORT"
check "rebuild: pod server listens" run_in "$SGP_POD_NS" dgnet waitlisten -t 5000 "$SGP_PORT"
sgp_demux 0
check "rebuild: demux=0: ipv4 node->pod works" dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -b 1000 -t "$OK_MS"
check "rebuild: demux=0: ipv6 node->pod works" dgnet connect "$SGP_POD_IP6" "$SGP_PORT" -b 1000 -t "$OK_MS"
sgp_demux 1
check_fail_grep "rebuild: demux=1: ipv6 node->pod times out" "timed out" \
	dgnet connect "$SGP_POD_IP6" "$SGP_PORT" -t 1500
check_here "rebuild: torn down again" sgp_teardown

# Namespaces are dismantled asynchronously: give the kernel a moment to
# finish, then look for trouble it reported on the way.
busywait 5000 sh -c '! ip netns list | grep -q .'
check_klog "kernel log: clean after teardown and rebuild"
dg_finish
