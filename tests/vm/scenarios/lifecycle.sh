#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lifecycle - loading and unloading on a node with traffic:
#   - boot-time policy: with the shipped /etc/modprobe.d example in place,
#     kmod's modprobe loads the module with rules=vlan=veto and the SGP pod
#     is reachable without any CLI call;
#   - a malformed rules= value fails the load with a clear kernel log line;
#   - the module unloads while TCP flows through veto and monitor
#     interfaces (the rx_handler veto and monitor's probes), and load/unload
#     cycles and monitor on/off toggles (arming
#     and disarming monitor's probes) under traffic leave the kernel
#     clean.

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/sgp.sh
. /dg/demuxguard.sh

FAIL_MS=1500
OK_MS=8000
CYCLES=${DG_CYCLES:-10}

klog_mark lifecycle
sgp_up
check_fail_grep "baseline: ipv4 node->pod times out without the module" "timed out" \
	dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -t "$FAIL_MS"

# --- malformed rules= ------------------------------------------------------------
bad_param()
{
	# $1: value, $2: what the kernel log must say
	klog_mark "bad-$1"
	if modprobe demuxguard "rules=$1" 2>/dev/null; then
		modprobe -r demuxguard
		echo "loaded with rules=$1"
		return 1
	fi
	klog_since_mark | grep -F -- "$2"
}
check "rules=vlan=block refused" bad_param vlan=block "mode 'block'"
check "rules=vlan refused" bad_param vlan "not PREFIX=MODE"
check "rules=0123456789abcdef=veto refused" bad_param 0123456789abcdef=veto "longer than 15"
check "rules=a/b=veto refused" bad_param a/b=veto "contains '/'"
check "rules=vlan=veto, refused" bad_param vlan=veto, "trailing ','"
check_fail "refused loads left nothing behind" test -d /sys/module/demuxguard

# --- boot-time policy from /etc/modprobe.d ------------------------------------------
mkdir -p /etc/modprobe.d
cp /dg/examples/modprobe.d/demuxguard.conf /etc/modprobe.d/demuxguard.conf
defer rm -f /etc/modprobe.d/demuxguard.conf
check "modprobe.d: modprobe demuxguard" modprobe demuxguard
check_output "modprobe.d: rules parameter applied" "vlan=veto" \
	cat /sys/module/demuxguard/parameters/rules
check_output "modprobe.d: rule show" '[{"prefix":"vlan","mode":"veto"}]' dg_json rule show
check "modprobe.d: ipv4 node->pod works with no CLI call" \
	dgnet connect "$SGP_POD_IP4" "$SGP_PORT" -n 3 -b 1000 -t "$OK_MS"
check "modprobe.d: ipv6 node->pod works with no CLI call" \
	dgnet connect "$SGP_POD_IP6" "$SGP_PORT" -n 3 -b 1000 -t "$OK_MS"
check "modprobe.d: unload" modprobe -r demuxguard
rm -f /etc/modprobe.d/demuxguard.conf

# --- unload and reload under traffic ----------------------------------------------------
# A steady request/response flow per family through the veto interface
# (plus eth0 in monitor), started with the guard on; each cycle unloads
# and reloads the module while the flows run.
check "cycle: load with rules=vlan=veto,eth=monitor" modprobe demuxguard rules=vlan=veto,eth=monitor
run_bg root dgnet rr "$SGP_POD_IP4" "$SGP_PORT" -n 1000000 -b 64 -i 1 -t 30000
flow4=$DG_BG_PID
run_bg root dgnet rr "$SGP_POD_IP6" "$SGP_PORT" -n 1000000 -b 64 -i 1 -t 30000
flow6=$DG_BG_PID
check "cycle: traffic is vetoed" busywait 10000 sh -c \
	". /dg/demuxguard.sh; [ \"\$(dg_counter $SGP_POD_VETH ipv4 vetoed)\" -ge 20 ] &&
	 [ \"\$(dg_counter $SGP_POD_VETH ipv6 vetoed)\" -ge 20 ]"
cycles_ok=0
i=0
while [ $i -lt "$CYCLES" ]; do
	i=$((i + 1))
	modprobe -r demuxguard || break
	modprobe demuxguard rules=vlan=veto,eth=monitor || break
	# The guard is back: the flows, stalled or not while it was away, move.
	busywait 10000 sh -c ". /dg/demuxguard.sh; [ \"\$(dg_counter $SGP_POD_VETH ipv4 vetoed)\" -ge 1 ]" ||
		break
	cycles_ok=$i
done
check_output "cycle: $CYCLES unload/load cycles under traffic" "$CYCLES" echo "$cycles_ok"

# Arming and disarming the early-demux probes while early demux runs on the
# other CPU: monitor off and on again, each round confirmed by a counter.
# (A kretprobe taken in and out like this crashed 6.1; the probes are
# entry kprobes for that reason, and this is their regression test.)
toggles_ok=0
i=0
while [ $i -lt "$CYCLES" ]; do
	i=$((i + 1))
	demuxguard rule del prefix eth || break
	demuxguard rule add prefix eth mode monitor || break
	busywait 10000 sh -c ". /dg/demuxguard.sh; [ \"\$(dg_counter eth0 ipv4 demux_calls)\" -ge 1 ]" ||
		break
	toggles_ok=$i
done
check_output "cycle: $CYCLES monitor off/on toggles under traffic" "$CYCLES" echo "$toggles_ok"
check "cycle: ipv4 flow still alive" kill -0 "$flow4"
check "cycle: ipv6 flow still alive" kill -0 "$flow6"
check "cycle: final unload under traffic" modprobe -r demuxguard
kill_bg "$flow4"
kill_bg "$flow6"

check_klog "kernel log: clean after lifecycle"
dg_finish
