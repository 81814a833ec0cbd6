#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rules - prefix rules and the lifetime of policy, on the SGP node:
# a rule reaches existing interfaces and a pod created after it; the
# longest prefix wins; an explicit setting beats any rule; a rename
# re-evaluates the rules; policy disappears with its interface and an
# ifindex reused later starts clean; a namespace's policy is its own and is
# freed with it (and stops arming probes); the empty prefix matches all.

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/sgp.sh
. /dg/demuxguard.sh

FAIL_MS=1500
OK_MS=8000
POD2_NS=pod2
POD2_VETH=vlandef
POD2_IP4=10.0.2.30
POD2_IP6=fd00:2::30

klog_mark rules
sgp_up
check_here "module: loads" dg_load

mode_source()
{
	echo "$(dg_field "$1" mode) $(dg_field "$1" source) $(dg_field "$1" rule)"
}

check_fail_grep "no rule: ipv4 node->pod times out" "timed out" \
	dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -t "$FAIL_MS"

# --- a rule reaches the interfaces that exist ------------------------------
check "rule add prefix vlan mode veto" demuxguard rule add prefix vlan mode veto
check_output "rule show (json)" '[{"prefix":"vlan","mode":"veto"}]' dg_json rule show
check_output "rule: $SGP_POD_VETH is veto by rule vlan" "veto rule vlan" mode_source "$SGP_POD_VETH"
check_output "rule: vlan.eth.$SGP_VLAN is veto by rule vlan" "veto rule vlan" mode_source "vlan.eth.$SGP_VLAN"
check_output "rule: eth0 has no policy" "off none " mode_source eth0
check "rule: ipv4 node->pod works" dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -b 1000 -t "$OK_MS"
check "rule: ipv6 node->pod works" dgnet connect "$SGP_POD_IP6" "$SGP_PORT" -b 1000 -t "$OK_MS"

# --- and a pod created after it ---------------------------------------------
check_here "pod2: created after the rule" sgp_add_pod SGP_POD_NS=$POD2_NS \
	SGP_POD_VETH=$POD2_VETH SGP_VLAN=102 SGP_POD_IP4=$POD2_IP4 SGP_POD_IP6=$POD2_IP6
run_bg "$POD2_NS" dgnet serve any "$SGP_PORT"
check "pod2: server listens" run_in "$POD2_NS" dgnet waitlisten -t 5000 "$SGP_PORT"
check_output "pod2: $POD2_VETH is veto by rule vlan" "veto rule vlan" mode_source "$POD2_VETH"
check "pod2: ipv4 node->pod works" dgnet connect "$POD2_IP4" "$SGP_PORT" -n 3 -b 1000 -t "$OK_MS"
check "pod2: ipv6 node->pod works" dgnet connect "$POD2_IP6" "$SGP_PORT" -n 3 -b 1000 -t "$OK_MS"
check "pod2: vetoed counted on $POD2_VETH" dg_counter_is "$POD2_VETH" ipv4 vetoed -ge 3

# --- the longest prefix wins -------------------------------------------------
check "rule add prefix vlande mode off" demuxguard rule add prefix vlande mode off
check_output "longest: $POD2_VETH is off by rule vlande" "off rule vlande" mode_source "$POD2_VETH"
check_output "longest: $SGP_POD_VETH keeps rule vlan" "veto rule vlan" mode_source "$SGP_POD_VETH"
check_fail_grep "longest: pod2 ipv4 times out (exempted)" "timed out" \
	dgnet connect "$POD2_IP4" "$SGP_PORT" -t "$FAIL_MS"
check "longest: pod ipv4 still works" dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -t "$OK_MS"
check_output "rule show lists longest first" \
	'[{"prefix":"vlande","mode":"off"},{"prefix":"vlan","mode":"veto"}]' dg_json rule show

# --- an explicit setting beats any rule ---------------------------------------
check "explicit: set dev $POD2_VETH mode veto" demuxguard set dev "$POD2_VETH" mode veto
check_output "explicit: $POD2_VETH is veto, explicit" "veto explicit " mode_source "$POD2_VETH"
check "explicit: pod2 ipv4 works" dgnet connect "$POD2_IP4" "$SGP_PORT" -t "$OK_MS"
check "explicit: set dev $SGP_POD_VETH mode off (exemption)" demuxguard set dev "$SGP_POD_VETH" mode off
check_fail_grep "explicit off: pod ipv4 times out" "timed out" \
	dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -t "$FAIL_MS"
check "explicit: unset dev $SGP_POD_VETH" demuxguard unset dev "$SGP_POD_VETH"
check_output "explicit: unset falls back to the rule" "veto rule vlan" mode_source "$SGP_POD_VETH"
check "explicit: unset dev $POD2_VETH" demuxguard unset dev "$POD2_VETH"
check "rule del prefix vlande" demuxguard rule del prefix vlande
check_output "rule del: $POD2_VETH back to rule vlan" "veto rule vlan" mode_source "$POD2_VETH"

# --- rename re-evaluates the rules ---------------------------------------------
rename()
{
	ip link set "$1" down && ip link set "$1" name "$2" && ip link set "$2" up
}
check "rename: $POD2_VETH -> pod2host" rename "$POD2_VETH" pod2host
check_output "rename: pod2host matches no rule" "off none " mode_source pod2host
check "rename: pod2host -> $POD2_VETH" rename pod2host "$POD2_VETH"
check_output "rename: $POD2_VETH matches rule vlan again" "veto rule vlan" mode_source "$POD2_VETH"

# --- policy follows the interface -----------------------------------------------
check "gone: set dev $POD2_VETH mode monitor" demuxguard set dev "$POD2_VETH" mode monitor
idx=$(cat "/sys/class/net/$POD2_VETH/ifindex")
check "gone: delete $POD2_VETH" ip link del "$POD2_VETH"
check_fail_grep "gone: show no longer lists ifindex $idx" '^ok$' \
	sh -c ". /dg/demuxguard.sh; dg_json show | grep -q '\"ifindex\":$idx[,}]' || echo ok; false"
check_output "gone: monitor's probes disarmed (no monitor left)" "false false false false" dg_armed
check "reuse: new veth takes ifindex $idx" ip link add name reuse0 index "$idx" type veth peer name reuse1
check_output "reuse: ifindex $idx (reuse0) starts with no policy" "off none " mode_source reuse0
check "reuse: delete it" ip link del reuse0

# --- the empty prefix matches everything; longer ones still win ---------------------
check "empty: rule add prefix \"\" mode monitor" demuxguard rule add prefix "" mode monitor
check_output "empty: eth0 is monitor by rule \"\"" "monitor rule " mode_source eth0
check_output "empty: lo is monitor by rule \"\"" "monitor rule " mode_source lo
check_output "empty: $SGP_POD_VETH keeps rule vlan" "veto rule vlan" mode_source "$SGP_POD_VETH"
check "empty: rule del prefix \"\"" demuxguard rule del prefix ""
check_output "empty: eth0 back to no policy" "off none " mode_source eth0

# --- namespaces: own policy, freed with the namespace ------------------------------
mk_ns_a()
{
	ip netns add ns-a && ip -n ns-a link add a0 type veth peer name a1 &&
		ip -n ns-a link set lo up
}
check "netns: create ns-a with a veth" mk_ns_a
check "netns: -n ns-a set dev a0 mode monitor" demuxguard -n ns-a set dev a0 mode monitor
check "netns: -n ns-a rule add prefix a mode veto" demuxguard -n ns-a rule add prefix a mode veto
ns_a_mode()
{
	demuxguard -j -n ns-a show dev "$1" | tr -d ' \n' |
		sed -n 's/.*"mode":"\([a-z]*\)","source":"\([a-z]*\)".*/\1 \2/p'
}
check_output "netns: ns-a: a0 is monitor (explicit)" "monitor explicit" ns_a_mode a0
check_output "netns: ns-a: a1 is veto (rule)" "veto rule" ns_a_mode a1
check_output "netns: the root namespace does not see ns-a's rule" \
	'[{"prefix":"vlan","mode":"veto"}]' dg_json rule show
check_output "netns: ns-a's monitor arms monitor's probes" "true true true true" dg_armed
ns_a_users=$(dg_hook_num rx_handler users)
check "netns: ns-a's veto holds a1's rx_handler" [ "${ns_a_users:-0}" -ge 1 ]
check "netns: delete ns-a" ip netns del ns-a
check "netns: hooks follow once ns-a is gone" \
	busywait 10000 sh -c '. /dg/demuxguard.sh; [ "$(dg_armed)" = "false false false false" ]'
check "netns: ns-a's veto hook went with it" \
	busywait 10000 sh -c ". /dg/demuxguard.sh; [ \$(dg_hook_num rx_handler users) -eq $((ns_a_users - 1)) ]"

check "rule del prefix vlan" demuxguard rule del prefix vlan
check_output "rule show: empty" '[]' dg_json rule show
check_output "show: nothing left" '[]' dg_json show
check_output "nothing armed" "false false false false" dg_armed
check_output "no veto hook left" "0 0" \
	sh -c '. /dg/demuxguard.sh; echo $(dg_hook_num rx_handler users) $(dg_hook_num nf_ingress users)'
check_grep "status: the module holds no interface entry and no rule" \
	'"objects":\{"interfaces":0,"rules":0\}' dg_json status
check "module: unloads" dg_unload
check_klog "kernel log: clean after rules"
dg_finish
