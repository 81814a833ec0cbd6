#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# veto - the guard itself, on the SGP node of sgp.sh with tcp_early_demux=1,
# IPv4 and IPv6: loaded without policy nothing changes (the failure is shown
# first); `monitor` counts the drops and fixes nothing; `veto` (the pod
# interface's rx_handler, no probe) makes node->pod probes, pod->node
# connections, request/response flows and a multi-megabyte transfer work,
# and counts what it vetoed; ftrace-based kprobes on the functions the old
# veto probed change nothing; counters reset; `unset` brings the failure
# back; with the rx_handler taken (a macvlan) the veto falls back to
# netfilter ingress, and where that is not allowed the interface is
# reported unguarded (status, show, Prometheus) and the failure stays.
# Probes are armed only while monitor needs them.

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/sgp.sh
. /dg/demuxguard.sh

FAIL_MS=1500	# a connection being dropped
OK_MS=8000	# a connection that must work (TCG is slow)
NODE_PORT=9090
POD=$SGP_POD_VETH

klog_mark veto
sgp_up
run_bg root dgnet serve any "$NODE_PORT"
check "node: server listens" dgnet waitlisten -t 5000 "$NODE_PORT"

# node_to_pod FAM ARGS...: dgnet from the node to the pod's server.
node_to_pod()
{
	_fam=$1
	shift
	if [ "$_fam" = ipv4 ]; then _a=$SGP_POD_IP4; else _a=$SGP_POD_IP6; fi
	dgnet connect "$_a" "$SGP_PORT" "$@"
}

pod_to_node()
{
	_fam=$1
	shift
	if [ "$_fam" = ipv4 ]; then _a=$SGP_NODE_IP4; else _a=$SGP_NODE_IP6; fi
	run_in "$SGP_POD_NS" dgnet connect "$_a" "$NODE_PORT" "$@"
}

# --- loaded, no policy: nothing armed, nothing fixed --------------------
check_here "module: loads" dg_load
check_output "status: monitor's four probes attached" "true true true true" dg_attached
check_output "status: nothing armed without policy" "false false false false" dg_armed
check_output "status: no veto hook in use" "0 0" \
	sh -c '. /dg/demuxguard.sh; echo $(dg_hook_num rx_handler users) $(dg_hook_num nf_ingress users)'
check_output "status: hook kinds" "kprobe rx_handler nf_ingress" \
	sh -c '. /dg/demuxguard.sh; echo $(dg_hook_str ip_forward kind) $(dg_hook_str rx_handler kind) $(dg_hook_str nf_ingress kind)'
check_output "status: nothing unguarded" "0" dg_status_num unguarded
for fam in ipv4 ipv6; do
	check_fail_grep "no policy: $fam node->pod connect times out" "timed out" \
		node_to_pod $fam -t "$FAIL_MS"
done

# --- monitor: counts the drops, fixes nothing -----------------------------
check "monitor: set dev $POD mode monitor" demuxguard set dev "$POD" mode monitor
check_output "monitor: show reports it" "monitor explicit" \
	sh -c ". /dg/demuxguard.sh; echo \$(dg_field $POD mode) \$(dg_field $POD source)"
check_output "monitor: every hook armed" "true true true true" dg_armed
for fam in ipv4 ipv6; do
	check_fail_grep "monitor: $fam node->pod connect still times out" "timed out" \
		node_to_pod $fam -t "$FAIL_MS"
	check_fail_grep "monitor: $fam pod->node transfer still times out" "timed out" \
		pod_to_node $fam -b 1000 -t "$FAIL_MS"
	check "monitor: $fam fwd_sk_drops counted" dg_counter_is "$POD" $fam fwd_sk_drops -ge 2
	check "monitor: $fam demux_calls counted" dg_counter_is "$POD" $fam demux_calls -ge 2
	check "monitor: $fam sk_hits counted" dg_counter_is "$POD" $fam sk_hits -ge 2
	check "monitor: $fam sk_hits <= demux_calls" sh -c \
		". /dg/demuxguard.sh; [ \$(dg_counter $POD $fam sk_hits) -le \$(dg_counter $POD $fam demux_calls) ]"
	check "monitor: $fam nothing vetoed" dg_counter_is "$POD" $fam vetoed -eq 0
done

# --- veto: the fix ------------------------------------------------------
check "veto: set dev $POD mode veto" demuxguard set dev "$POD" mode veto
# Snapshot after the switch: the pod keeps retransmitting into the monitor
# phase's dead connections until then, and veto no longer counts drops.
for fam in ipv4 ipv6; do
	eval "drops_$fam=\$(dg_counter $POD $fam fwd_sk_drops)"
	eval "calls_$fam=\$(dg_counter $POD $fam demux_calls)"
done
check_output "veto: no probe armed" "false false false false" dg_armed
check_output "veto: $POD on its rx_handler" "rx_handler" dg_field "$POD" veto_hook
check_output "veto: status counts one rx_handler user" "1" dg_hook_num rx_handler users
check_output "veto: nothing unguarded" "0" dg_status_num unguarded
check_grep "veto: show text names the hook" "mode veto \\(explicit\\) hook rx_handler" \
	demuxguard show dev "$POD"
rx_hits0=$(dg_hook_num rx_handler hits)
fwd_hits0=$(dg_hook_num ip_forward hits)
for fam in ipv4 ipv6; do
	check "veto: $fam node->pod, 5 connections" node_to_pod $fam -n 5 -b 1000 -t "$OK_MS"
	check "veto: $fam pod->node, 5 connections" pod_to_node $fam -n 5 -b 1000 -t "$OK_MS"
	check "veto: $fam node->pod 4 MB transfer" node_to_pod $fam -b 4000000 -t "$OK_MS"
	if [ $fam = ipv4 ]; then a=$SGP_POD_IP4; else a=$SGP_POD_IP6; fi
	check "veto: $fam node->pod 50 request/response exchanges" \
		dgnet rr "$a" "$SGP_PORT" -n 50 -b 100 -t "$OK_MS"
	# 5 + 1 + 1 SYN-ACKs alone, and every later pod->node segment.
	check "veto: $fam vetoed counted" dg_counter_is "$POD" $fam vetoed -ge 7
	eval "d=\$drops_$fam c=\$calls_$fam"
	check "veto: $fam no new fwd_sk_drops" dg_counter_is "$POD" $fam fwd_sk_drops -eq "$d"
	check "veto: $fam monitor-only counters frozen" dg_counter_is "$POD" $fam demux_calls -eq "$c"
done

check "veto: the rx_handler ran" sh -c \
	". /dg/demuxguard.sh; [ \$(dg_hook_num rx_handler hits) -gt $rx_hits0 ]"
check_output "veto: the disarmed ip_forward probe never ran" "$fwd_hits0" \
	dg_hook_num ip_forward hits

# --- the veto does not depend on probed kernel text ----------------------
# The old veto was a kprobe past ip_forward()'s ftrace site: an ftrace-based
# probe (or a live patch) on the same function took its place. Attach
# ftrace-based kprobes on ip_forward, ip6_forward and, where it is a
# symbol, tcp_v4_early_demux, and the outcome must not change.
tr=/sys/kernel/tracing
[ -e $tr/kprobe_events ] || mount -t tracefs nodev $tr 2>/dev/null || :
kp_add()	# NAME SYMBOL
{
	echo "p:dgtest/$1 $2" >>$tr/kprobe_events &&
		echo 1 >$tr/events/dgtest/$1/enable
}
kp_clear()
{
	[ -d $tr/events/dgtest ] || return 0
	echo 0 >$tr/events/dgtest/enable
	for e in $tr/events/dgtest/*/; do
		[ -d "$e" ] || continue
		echo "-:dgtest/$(basename "$e")" >>$tr/kprobe_events
	done
}
if [ -e $tr/kprobe_events ]; then
	defer kp_clear
	check "ftrace: kprobe on ip_forward" kp_add fwd4 ip_forward
	check "ftrace: kprobe on ip6_forward" kp_add fwd6 ip6_forward
	if grep -qw tcp_v4_early_demux /proc/kallsyms; then
		check "ftrace: kprobe on tcp_v4_early_demux" kp_add edm4 tcp_v4_early_demux
	else
		skip "ftrace: kprobe on tcp_v4_early_demux" "not a symbol here (static, inlined: 7.x)"
	fi
	for fam in ipv4 ipv6; do
		check "ftrace: $fam node->pod still works under the probes" \
			node_to_pod $fam -n 3 -b 1000 -t "$OK_MS"
		check "ftrace: $fam pod->node still works under the probes" \
			pod_to_node $fam -n 3 -b 1000 -t "$OK_MS"
	done
	check "ftrace: the probe on ip_forward fired" \
		sh -c "grep -E '^ *fwd4 +[1-9]' $tr/kprobe_profile || { cat $tr/kprobe_profile; false; }"
	check "ftrace: probes removed" kp_clear
else
	skip "ftrace: kprobes while veto is active" "no $tr/kprobe_events"
fi

check_grep "metrics: prometheus line for ipv4 vetoed" \
	"^demuxguard_vetoed_total\\{ifname=\"$POD\",family=\"ipv4\",mode=\"veto\"\\} [1-9][0-9]*\$" \
	demuxguard stats --format prometheus

# --- counters reset -------------------------------------------------------
# Let the last segments of the flows above (FINs, final ACKs) pass first:
# they are vetoed too, and would land after the reset. Half a second
# without a vetoed packet is not enough on a slow (debug) kernel: a request
# socket of the monitor phase's pod->node attempts retransmits its SYN-ACK
# up to 31 s after the SYN, the pod's FIN of an abandoned transfer is
# retransmitted, and what the pod sends is vetoed. So no socket on either
# side may be left but listening and TIME_WAIT ones either.
closing_sockets()	# NS: are any of NS's TCP sockets still closing?
{
	dg_ns_exec "$1" cat /proc/net/tcp /proc/net/tcp6 |
		awk '$4 != "0A" && $4 != "06" && $4 != "st" { found = 1 } END { exit !found }'
}
quiet_vetoed()
{
	_a=$(dg_counter "$POD" ipv4 vetoed)/$(dg_counter "$POD" ipv6 vetoed)
	sleep 0.5
	[ "$_a" = "$(dg_counter "$POD" ipv4 vetoed)/$(dg_counter "$POD" ipv6 vetoed)" ] &&
		! closing_sockets root && ! closing_sockets "$SGP_POD_NS"
}
# Up to 90 s: 31 s of SYN-ACK retries is guest time, and a VM sharing its
# host's cores with others falls behind (40 s was seen to run out).
check "stats: traffic settled before the reset" busywait 90000 quiet_vetoed
check "stats: reset dev $POD" demuxguard stats reset dev "$POD"
for fam in ipv4 ipv6; do
	for c in demux_calls sk_hits dst_hits iif_mismatch fwd_sk_drops vetoed; do
		check "stats: $fam $c is 0 after reset" dg_counter_is "$POD" $fam $c -eq 0
	done
done
check "veto: ipv4 still works after reset" node_to_pod ipv4 -b 1000 -t "$OK_MS"
check "stats: counting resumes after reset" dg_counter_is "$POD" ipv4 vetoed -ge 1

# --- unset: the failure comes back ----------------------------------------
check "unset: dev $POD" demuxguard unset dev "$POD"
check_output "unset: nothing armed" "false false false false" dg_armed
check_output "unset: the rx_handler is released" "0" dg_hook_num rx_handler users
for fam in ipv4 ipv6; do
	check_fail_grep "unset: $fam node->pod times out again" "timed out" \
		node_to_pod $fam -t "$FAIL_MS"
done

# --- the rx_handler is taken: netfilter ingress ---------------------------
check "busy: a macvlan takes $POD's rx_handler" \
	ip link add dgmv0 link "$POD" type macvlan mode bridge
defer sh -c "ip link del dgmv0 2>/dev/null || :"
check "busy: set dev $POD mode veto" demuxguard set dev "$POD" mode veto
check_output "busy: $POD falls back to nf_ingress" "nf_ingress" dg_field "$POD" veto_hook
check_output "busy: status counts one nf_ingress user" "1 0" \
	sh -c '. /dg/demuxguard.sh; echo $(dg_hook_num nf_ingress users) $(dg_hook_num rx_handler users)'
check_grep "busy: status says why the rx_handler was not used" \
	"hook rx_handler \\(rx_handler\\): .*error: Device or resource busy" demuxguard status
for fam in ipv4 ipv6; do
	check "busy: $fam node->pod works on nf_ingress" node_to_pod $fam -n 3 -b 1000 -t "$OK_MS"
	check "busy: $fam pod->node works on nf_ingress" pod_to_node $fam -n 3 -b 1000 -t "$OK_MS"
done
check "busy: the nf_ingress hook ran" sh -c \
	'. /dg/demuxguard.sh; [ $(dg_hook_num nf_ingress hits) -gt 0 ]'
check "busy: unset dev $POD" demuxguard unset dev "$POD"
check_output "busy: nf_ingress released" "0" dg_hook_num nf_ingress users

# --- we hold the rx_handler: a later macvlan is refused (EBUSY) -----------
check "held: ip link del dgmv0" ip link del dgmv0
check "held: set dev $POD mode veto" demuxguard set dev "$POD" mode veto
check_output "held: on the rx_handler again" "rx_handler" dg_field "$POD" veto_hook
check_fail_grep "held: a macvlan on $POD is refused while veto holds it" \
	"busy|Busy" ip link add dgmv0 link "$POD" type macvlan mode bridge
check "held: unset dev $POD" demuxguard unset dev "$POD"
check "held: the macvlan can be added once veto lets go" \
	ip link add dgmv0 link "$POD" type macvlan mode bridge

# --- neither hook: reported, never silent ---------------------------------
check "neither: reload with veto_hook=rx_handler" sh -c 'modprobe -r demuxguard && modprobe demuxguard veto_hook=rx_handler'
check "neither: set dev $POD mode veto (accepted)" demuxguard set dev "$POD" mode veto
check_output "neither: show says no hook" "none" dg_field "$POD" veto_hook
check_grep "neither: show text says NOT GUARDED" "NOT GUARDED: Device or resource busy" \
	demuxguard show dev "$POD"
check_output "neither: status counts it unguarded" "1" dg_status_num unguarded
check_grep "neither: prometheus gauge is 1" \
	"^demuxguard_unguarded\\{ifname=\"$POD\",mode=\"veto\"\\} 1\$" \
	demuxguard stats --format prometheus
check_grep "neither: the kernel log names the interface" \
	"$POD: veto not attached \\(rx_handler: -16; netfilter not allowed by veto_hook=rx_handler\\): interface NOT guarded" dmesg
for fam in ipv4 ipv6; do
	check_fail_grep "neither: $fam node->pod still times out" "timed out" \
		node_to_pod $fam -t "$FAIL_MS"
done
check "neither: ip link del dgmv0 frees the rx_handler" ip link del dgmv0
check "neither: setting veto again retries" demuxguard set dev "$POD" mode veto
check_output "neither: now on the rx_handler" "rx_handler" dg_field "$POD" veto_hook
check_output "neither: nothing unguarded any more" "0" dg_status_num unguarded
check "neither: ipv4 node->pod works" node_to_pod ipv4 -b 1000 -t "$OK_MS"
check "neither: unset dev $POD" demuxguard unset dev "$POD"

# --- module-wide: rules= naming an interface it cannot guard --------------
check "load: macvlan on $POD again" ip link add dgmv0 link "$POD" type macvlan mode bridge
check "load: modprobe -r" modprobe -r demuxguard
expect_exit 1 "load: rules=$POD=veto veto_hook=rx_handler refuses to load" \
	modprobe demuxguard veto_hook=rx_handler "rules=$POD=veto"
check_grep "load: the kernel log says why" \
	"rules: $POD is in veto but no veto hook attaches to it \\(-16\\); not loading" dmesg
check_fail "load: the module is not loaded" test -d /sys/module/demuxguard
check "load: with the default veto_hook it loads" modprobe demuxguard "rules=$POD=veto"
check_output "load: and guards $POD on nf_ingress" "nf_ingress" dg_field "$POD" veto_hook
check "load: ipv6 node->pod works" node_to_pod ipv6 -b 1000 -t "$OK_MS"

# --- unload under traffic, on the netfilter hook --------------------------
# (lifecycle.sh does the same on the rx_handler.) On this hook packets
# carry the shared dst with a reference (veto.c, dg_veto_mark()): unload
# must not free it under them, nor under a queued clone.
# What is under test is our hook's removal racing the packets, not the
# kernel patching its netfilter-ingress static keys, which the first hook
# registered and the last one removed flip: under multi-threaded TCG that
# patching, done under this traffic, has left an int3 in
# __netif_receive_skb_core (7.3) and hung a 6.1 guest (textpatch.sh shows
# it without the module; run.sh now runs x86 guests on one TCG thread). An
# empty nft ingress chain on lo holds the keys on while the traffic runs.
keep_keys=
if command -v nft >/dev/null 2>&1 &&
   nft add table netdev dgkeep 2>/dev/null &&
   nft add chain netdev dgkeep in '{ type filter hook ingress device lo priority 0; }' 2>/dev/null; then
	keep_keys=1
	pass "unload: netfilter's ingress keys held on (an nft chain on lo)"
else
	skip "unload: netfilter's ingress keys held on (an nft chain on lo)" "no nft netdev chain here"
fi
flows=
for fam in ipv4 ipv6; do
	if [ $fam = ipv4 ]; then a=$SGP_POD_IP4; else a=$SGP_POD_IP6; fi
	run_bg root dgnet rr "$a" "$SGP_PORT" -n 1000000 -b 100 -t "$OK_MS"
	flows="$flows $DG_BG_PID"
	run_bg "$SGP_POD_NS" dgnet connect \
		"$([ $fam = ipv4 ] && echo "$SGP_NODE_IP4" || echo "$SGP_NODE_IP6")" \
		"$NODE_PORT" -n 1000 -b 100000 -t "$OK_MS"
	flows="$flows $DG_BG_PID"
done
check "unload: traffic flows through nf_ingress" busywait 10000 sh -c \
	". /dg/demuxguard.sh; [ \$(dg_hook_num nf_ingress hits) -gt 200 ]"
check "unload: modprobe -r under traffic" modprobe -r demuxguard
check_fail "unload: the module is gone" test -d /sys/module/demuxguard
check "unload: reload and unload again under traffic" sh -c \
	"modprobe demuxguard rules=$POD=veto && sleep 1 && modprobe -r demuxguard"
for p in $flows; do
	kill_bg "$p"
done
if [ -n "$keep_keys" ]; then
	check "unload: the nft chain on lo removed, with the traffic stopped" \
		nft delete table netdev dgkeep
fi
check "load: ip link del dgmv0" ip link del dgmv0

check_klog "kernel log: clean after veto"
dg_finish
