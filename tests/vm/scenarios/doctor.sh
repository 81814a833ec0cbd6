#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# doctor - `demuxguard doctor` against the kernel's real routing state,
# IPv4 and IPv6. The failure first: on the SGP node of sgp.sh with the
# module loaded but no policy, node->pod connections time out and doctor
# exits 3, names vlanabc (where the pod's SYN-ACK arrives) and vlan.eth.101
# (whose rule sends node-bound packets to the same table) and suggests
# `rule add prefix vlan mode veto`. Then the fix: that very command makes
# doctor exit 0 with both protected, and the connections work. Around it:
#   - an iif rule whose table routes only a pod address: not affected;
#   - -n NETNS: a second node namespace is judged on its own routing,
#     forwarding switch, sysctls and policy;
#   - tcp_early_demux=0: nothing at risk, the rule still suggested;
#   - the module unloaded, and autoloading disabled: the routing analysis
#     is unchanged, the module is reported missing, exit 3; and doctor
#     never loads the module, even where it could;
#   - the local rule back at 0: not affected (the local rule comes first);
#   - a plain node, ordinary pods and the VPC CNI's to/from rules, no iif
#     rule: nothing reported, exit 0 (no false positives).
#
#  root namespace (the node of sgp.sh, plus):
#    vlanxyz -- veth -- xyzpeer    table 203: 10.0.2.40, fd00:2::40 dev vlanxyz
#                                  rules: 10 iif vlanxyz lookup 203 (both)
#  namespace node2 (a second node):
#    up0 10.9.0.1/24               table 301: default dev up0
#    vlanq -- veth -- vlanqp       rules: 10 iif vlanq lookup 301, 20 local
#  later, in place of the SGP node (plain):
#    nic0 10.0.5.10/24 fd00:5::10/64 -- veth -- nic0p
#    eni1 -- veth -- eth0 of namespace plainpod (10.0.5.21)
#    main: 10.0.5.21 dev eni1; table 2: default dev nic0
#    rules: 512 to 10.0.5.21 lookup main, 1536 from 10.0.5.21 lookup 2

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/sgp.sh
. /dg/demuxguard.sh

FAIL_MS=1500
OK_MS=8000
VLAN_DEV=vlan.eth.$SGP_VLAN
POD=$SGP_POD_VETH

# doc_json [-n NS]: the compact JSON report; its exit status is dropped
# (expect_exit checks that separately).
doc_json()
{
	demuxguard "$@" -j doctor 2>/dev/null || :
}

# doc_if IFNAME [NS]: IFNAME's object in the report.
doc_if()
{
	doc_json ${2:+-n "$2"} |
		awk '{ gsub(/\},\{"ifname"/, "}\n{\"ifname\""); print }' |
		grep -F "\"ifname\":\"$1\"" || :
}

# doc_has IFNAME TEXT [NS]: IFNAME's object contains TEXT (fixed string);
# prints the object, for the log of a failure.
doc_has()
{
	_o=$(doc_if "$1" "${3:-}")
	printf '%s\n' "${_o:-(no object for $1)}"
	case $_o in *"$2"*) return 0 ;; esac
	return 1
}

# doc_top TEXT [NS]: the whole report contains TEXT.
doc_top()
{
	_j=$(doc_json ${2:+-n "$2"})
	printf '%s\n' "$_j"
	case $_j in *"$1"*) return 0 ;; esac
	return 1
}

# doc_names [NS]: the interfaces reported, sorted, on one line.
doc_names()
{
	doc_json ${1:+-n "$1"} | grep -o '"ifname":"[^"]*"' |
		sed 's/^"ifname":"//; s/"$//' | sort | paste -sd' '
}

# doc_text_has ERE [NS]: the text report matches ERE.
doc_text_has()
{
	_t=$(demuxguard ${2:+-n "$2"} doctor 2>&1) || :
	printf '%s\n' "$_t"
	printf '%s\n' "$_t" | grep -Eq -- "$1"
}

# doc_prose_has ERE [NS]: the text report, lines joined, matches ERE
# (for sentences that the report wraps).
doc_prose_has()
{
	_t=$(demuxguard ${2:+-n "$2"} doctor 2>&1) || :
	_t=$(printf '%s\n' "$_t" | tr -s ' \n' '  ')
	printf '%s\n' "$_t"
	printf '%s\n' "$_t" | grep -Eq -- "$1"
}

# doc_suggestion [NS]: the single suggested command.
doc_suggestion()
{
	doc_json ${1:+-n "$1"} | sed -n 's/.*"suggestion":\["\([^"]*\)"\]}$/\1/p'
}

# doc_number IFNAME KEY [NS]: a number (or null) of IFNAME's object.
doc_number()
{
	doc_if "$1" "${3:-}" | sed -n "s/.*\"$2\":\([0-9a-z]*\).*/\1/p"
}

# doc_number_is IFNAME KEY OP VALUE: for check lines.
doc_number_is()
{
	_v=$(doc_number "$1" "$2")
	echo "$1 $2 = ${_v:-?} (want $3 $4)"
	[ -n "$_v" ] && [ "$_v" != null ] && [ "$_v" "$3" "$4" ]
}

node_to_pod()
{
	if [ "$1" = ipv4 ]; then _a=$SGP_POD_IP4; else _a=$SGP_POD_IP6; fi
	shift
	dgnet connect "$_a" "$SGP_PORT" "$@"
}

module_loaded()
{
	[ -d /sys/module/demuxguard ]
}

klog_mark doctor
sgp_up
check_here "module: loads" dg_load

# --- the failure, and what doctor says about it -----------------------------
for fam in ipv4 ipv6; do
	check_fail_grep "no policy: $fam node->pod connect times out" "timed out" \
		node_to_pod $fam -t "$FAIL_MS"
done
expect_exit 3 "no policy: doctor exits 3" demuxguard doctor
expect_exit 3 "no policy: doctor -j exits 3" demuxguard -j doctor
check_output "no policy: exactly the SGP inputs are reported" \
	"$VLAN_DEV $POD" doc_names
for dev in "$POD" "$VLAN_DEV"; do
	check "no policy: $dev at risk, ipv4 and ipv6, rule 10 table 201" \
		doc_has "$dev" '"verdict":"at risk","family":["ipv4","ipv6"],"rule":{"family":"ipv4","priority":10,"table":201},"local_rule_priority":20,"address":"10.0.1.10","route":"default dev vlan.eth.101"'
	check "no policy: $dev mode off, no policy, no covering rule" \
		doc_has "$dev" '"mode":"off","source":"none","covering_rule":null'
done
check "no policy: 2 at risk, rule add prefix vlan suggested" \
	doc_top '"at_risk":2,"cannot_tell":0,"disagreements":0,"suggestion":["demuxguard rule add prefix vlan mode veto"]}'
check "no policy: module loaded, forwarding hooks attached, not armed" \
	doc_top '"module":{"loaded":true,"version":"'
check "no policy: hooks reported, none armed" \
	doc_top '"hooks":{"ip_local_deliver":true,"ip6_input":true,"ip_forward":true,"ip6_forward":true,"rx_handler":false,"nf_ingress":false},"armed":{"ip_local_deliver":false,"ip6_input":false,"ip_forward":false,"ip6_forward":false,"rx_handler":false,"nf_ingress":false}'
check "no policy: the kernel was asked, and forwards ipv4 from $POD" \
	doc_has "$POD" '"kernel":[{"family":"ipv4","address":"10.0.1.10","source":"10.0.2.20","iif":"vlanabc","result":"forward","type":"unicast","table":201,"oif":"vlan.eth.101","error":null}'
check "no policy: ... from $VLAN_DEV, asked from the subnet gateway" \
	doc_has "$VLAN_DEV" '"source":"10.0.2.1","iif":"vlan.eth.101","result":"forward"'
check "no policy: the kernel was asked" doc_top '"kernel_asked":true'
check "no policy: early demux reported on" \
	doc_top '"early_demux":{"ip_early_demux":1,"tcp_early_demux":1,"enabled":true}'
check "no policy: text names $POD at risk" doc_text_has "^  $POD \\([0-9]+\\): at risk$"
check "no policy: text names $VLAN_DEV at risk" \
	doc_text_has "^  vlan\\.eth\\.$SGP_VLAN \\([0-9]+\\): at risk$"
check "no policy: text gives the command" \
	doc_text_has '^  demuxguard rule add prefix vlan mode veto$'

# --- monitor counts, but does not protect -------------------------------------
check "monitor: set dev $POD mode monitor" demuxguard set dev "$POD" mode monitor
check_fail_grep "monitor: ipv4 node->pod still times out" "timed out" \
	node_to_pod ipv4 -t "$FAIL_MS"
expect_exit 3 "monitor: doctor still exits 3" demuxguard doctor
check "monitor: $POD at risk, mode monitor (explicit)" \
	doc_has "$POD" '"verdict":"at risk"'
check "monitor: ... and says monitor does not prevent the drops" \
	doc_has "$POD" 'monitor counts these drops (fwd_sk_drops) but does not prevent them'
check "monitor: doctor shows the drops counted" doc_number_is "$POD" fwd_sk_drops -ge 1
check "monitor: unset dev $POD" demuxguard unset dev "$POD"

# --- the fix: run exactly what doctor suggested ------------------------------------
cmd=$(doc_suggestion)
check_output "fix: the suggestion is the prefix rule" \
	"demuxguard rule add prefix vlan mode veto" echo "$cmd"
check "fix: run the suggestion" sh -c "$cmd"
expect_exit 0 "fix: doctor exits 0" demuxguard doctor
for dev in "$POD" "$VLAN_DEV"; do
	check "fix: $dev protected, veto by rule vlan" \
		doc_has "$dev" '"verdict":"protected","family":["ipv4","ipv6"]'
	check "fix: $dev mode veto, source rule, covering rule vlan" \
		doc_has "$dev" '"mode":"veto","source":"rule","covering_rule":"vlan"'
done
check "fix: nothing at risk, nothing suggested" doc_top '"at_risk":0,"cannot_tell":0,"disagreements":0,"suggestion":[]}'
check "fix: the veto's rx_handler in use, no probe armed" \
	doc_top '"armed":{"ip_local_deliver":false,"ip6_input":false,"ip_forward":false,"ip6_forward":false,"rx_handler":true,"nf_ingress":false}'
check "fix: text says protected and nothing at risk" \
	doc_text_has "^  $POD \\([0-9]+\\): protected\$"
check "fix: text summary" doc_text_has '^nothing at risk$'
for fam in ipv4 ipv6; do
	check "fix: $fam node->pod works" node_to_pod $fam -n 3 -b 1000 -t "$OK_MS"
done
check "fix: doctor shows what was vetoed" doc_number_is "$POD" vetoed -ge 2
# A module that reports no per-interface veto hook (DEMUXGUARD_A_VETO_HOOK)
# is judged by its forwarding probes, as before.
if ! dg_json show dev "$POD" | grep -q '"veto_hook"'; then
	check "fix: no veto hook reported by this module: judged by its probes" \
		doc_has "$POD" '"veto_hook":null,"hook_error":null'
fi

# --- an iif rule whose table routes only a pod address: not affected ------------
check "pod-only table: veth vlanxyz" ip link add vlanxyz type veth peer name xyzpeer
defer ip link del vlanxyz
check "pod-only table: up" ip link set vlanxyz up
check "pod-only table: table 203 and iif rules" ip_batch root "\
route add 10.0.2.40 dev vlanxyz scope link table 203
route add fd00:2::40 dev vlanxyz table 203
rule add iif vlanxyz lookup 203 pref 10"
check "pod-only table: ipv6 iif rule" ip_batch root -6 "\
rule add iif vlanxyz lookup 203 pref 10"
defer ip -6 rule del iif vlanxyz lookup 203 pref 10
defer ip rule del iif vlanxyz lookup 203 pref 10
expect_exit 0 "pod-only table: doctor still exits 0" demuxguard doctor
check "pod-only table: vlanxyz not affected, in no family" \
	doc_has vlanxyz '"verdict":"not affected","family":[],"rule":{"family":"ipv4","priority":10,"table":203}'
check "pod-only table: reason: no route for the node's addresses" \
	doc_has vlanxyz "ipv4, ipv6: table 203 has no route for the node's addresses"
check "pod-only table: a matching rule does not make it at risk" \
	doc_has vlanxyz '"mode":"veto","source":"rule","covering_rule":"vlan"'

# --- -n NETNS: another node, judged on its own state ------------------------------
check_here "netns: node2" ns_add node2
check "netns: node2 links, table 301, moved local rule" ip_batch node2 "\
link add up0 type veth peer name up1
link add vlanq type veth peer name vlanqp
addr add 10.9.0.1/24 dev up0
link set up0 up
link set up1 up
link set vlanq up
link set vlanqp up
route add default dev up0 table 301
rule add iif vlanq lookup 301 pref 10
rule add pref 20 lookup local
rule del pref 0 lookup local"
# New namespaces inherit IPv4 forwarding from the initial one
# (devconf_inherit_init_net=0): turn it off to see it considered.
check "netns: node2 does not forward" ns_sysctl node2 net.ipv4.ip_forward=0
expect_exit 0 "netns: forwarding off in node2: exit 0" demuxguard -n node2 doctor
check "netns: vlanq not affected (forwarding is off)" \
	doc_has vlanq 'but forwarding is off on vlanq: they are dropped, not forwarded' node2
check "netns: node2 forwards" ns_sysctl node2 net.ipv4.ip_forward=1
expect_exit 3 "netns: -n node2 doctor exits 3" demuxguard -n node2 doctor
check "netns: vlanq at risk, ipv4 only, table 301" \
	doc_has vlanq '"verdict":"at risk","family":["ipv4"],"rule":{"family":"ipv4","priority":10,"table":301},"local_rule_priority":20,"address":"10.9.0.1","route":"default dev up0"' node2
check_output "netns: only vlanq reported in node2" "vlanq" doc_names node2
check_output "netns: the suggestion names the namespace" \
	"demuxguard -n node2 rule add prefix vlanq mode veto" doc_suggestion node2
expect_exit 0 "netns: root is still protected" demuxguard doctor
check "netns: node2's own sysctl" ns_sysctl node2 net.ipv4.tcp_early_demux=0
check "netns: node2 reads tcp_early_demux 0" \
	doc_top '"early_demux":{"ip_early_demux":1,"tcp_early_demux":0,"enabled":false}' node2
check "netns: root still reads 1" \
	doc_top '"early_demux":{"ip_early_demux":1,"tcp_early_demux":1,"enabled":true}'
expect_exit 0 "netns: early demux off in node2: exit 0" demuxguard -n node2 doctor
check "netns: node2 early demux back on" ns_sysctl node2 net.ipv4.tcp_early_demux=1
cmd=$(doc_suggestion node2)
check "netns: run node2's suggestion" sh -c "$cmd"
expect_exit 0 "netns: node2 protected: exit 0" demuxguard -n node2 doctor
check "netns: vlanq protected" doc_has vlanq '"verdict":"protected"' node2

# --- early demux off: nothing at risk, the command still offered ----------------
check "demux off: rule del prefix vlan" demuxguard rule del prefix vlan
expect_exit 3 "demux off: at risk again without the rule" demuxguard doctor
sgp_demux 0
expect_exit 0 "demux off: tcp_early_demux=0: doctor exits 0" demuxguard doctor
check "demux off: reported off" \
	doc_top '"early_demux":{"ip_early_demux":1,"tcp_early_demux":0,"enabled":false}'
for dev in "$POD" "$VLAN_DEV"; do
	check "demux off: $dev not affected, still routes node addresses away" \
		doc_has "$dev" '"verdict":"not affected","family":["ipv4","ipv6"]'
done
check "demux off: the rule is still suggested" \
	doc_top '"at_risk":0,"cannot_tell":0,"disagreements":0,"suggestion":["demuxguard rule add prefix vlan mode veto"]}'
check "demux off: text explains the cost and the way back" \
	doc_prose_has 'makes turning it off unnecessary: .* turn it back on with "sysctl -w net\.ipv4\.tcp_early_demux=1"'
check "demux off: text offers the command for before that" \
	doc_text_has '^nothing at risk while early demux is off; before turning it back on, run:$'
sgp_demux 1
expect_exit 3 "demux on again: exit 3" demuxguard doctor

# --- the module unloaded: routing analysis unchanged ----------------------------
check "unloaded: modprobe -r" dg_unload
modprobe_path=$(cat /proc/sys/kernel/modprobe)
echo /bin/false >/proc/sys/kernel/modprobe
defer sh -c "echo '$modprobe_path' >/proc/sys/kernel/modprobe"
expect_exit 3 "unloaded: doctor exits 3" demuxguard doctor
check "unloaded: module reported not loaded" \
	doc_top '"module":{"loaded":false,"version":null,"hooks":{},"armed":{}}'
check_output "unloaded: the same interfaces" "$VLAN_DEV $POD vlanxyz" doc_names
for dev in "$POD" "$VLAN_DEV"; do
	check "unloaded: $dev at risk, same rule, route and address" \
		doc_has "$dev" '"verdict":"at risk","family":["ipv4","ipv6"],"rule":{"family":"ipv4","priority":10,"table":201},"local_rule_priority":20,"address":"10.0.1.10","route":"default dev vlan.eth.101"'
	check "unloaded: $dev policy unknown" \
		doc_has "$dev" '"mode":null,"source":null,"covering_rule":null,"fwd_sk_drops":null,"vetoed":null'
done
check "unloaded: vlanxyz still not affected" doc_has vlanxyz '"verdict":"not affected","family":[]'
check "unloaded: same suggestion" \
	doc_top '"at_risk":2,"cannot_tell":0,"disagreements":0,"suggestion":["demuxguard rule add prefix vlan mode veto"]}'
check "unloaded: text says so" doc_text_has '^module: not loaded'
echo "$modprobe_path" >/proc/sys/kernel/modprobe
expect_exit 3 "unloaded, autoload possible: doctor exits 3" demuxguard doctor
check_fail "unloaded: doctor did not load the module" module_loaded

# --- the local rule where the kernel puts it: not affected -----------------------
sgp_local_rule_pref 0
expect_exit 0 "local rule at 0: doctor exits 0" demuxguard doctor
for dev in "$POD" "$VLAN_DEV"; do
	check "local rule at 0: $dev not affected" \
		doc_has "$dev" '"verdict":"not affected","family":[]'
	check "local rule at 0: $dev because the local rule comes first" \
		doc_has "$dev" "the local rule (0) comes first"
done
check "local rule at 0: nothing suggested" doc_top '"at_risk":0,"cannot_tell":0,"disagreements":0,"suggestion":[]}'

# --- a plain node: ordinary pods, no iif rule: nothing reported ----------------
sgp_teardown
check "plain: remove vlanxyz and its rules" ip_batch root "\
rule del iif vlanxyz lookup 203 pref 10
link del vlanxyz"
check "plain: remove vlanxyz's ipv6 rule" ip_batch root -6 "\
rule del iif vlanxyz lookup 203 pref 10"
check_here "plain: pod namespace" ns_add plainpod
check "plain: node and pod" ip_batch root "\
link add nic0 type veth peer name nic0p
addr add 10.0.5.10/24 dev nic0
addr add fd00:5::10/64 dev nic0 nodad
link set nic0 up
link set nic0p up
link add eni1 type veth peer name eth0 netns plainpod
link set eni1 up
route add 10.0.5.21 dev eni1 scope link
route add default dev nic0 table 2
rule add to 10.0.5.21 lookup main pref 512
rule add from 10.0.5.21 lookup 2 pref 1536"
defer ip link del nic0
defer ip link del eni1
defer ip rule del pref 512
defer ip rule del pref 1536
check "plain: pod address" ip_batch plainpod "\
addr add 10.0.5.21/32 dev eth0
link set eth0 up"
expect_exit 0 "plain: doctor exits 0" demuxguard doctor
check "plain: no interface reported, nothing at risk" \
	doc_top '"interfaces":[],"at_risk":0,"cannot_tell":0,"disagreements":0,"suggestion":[]}'
check "plain: text says so" \
	doc_text_has '^no interface is the input of an "ip rule iif"$'
check_output "plain: the module is still not loaded" "absent" \
	sh -c '[ -d /sys/module/demuxguard ] && echo present || echo absent'

check_klog "kernel log: clean after doctor"
dg_finish
