#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# disarmfail - unload does not rely on a successful disarm. Needs a module
# built with DG_FAULT_INJECT=y (make check-debug builds it so), whose
# fault_disarm parameter makes every disable_kprobe() fail:
#   - with the pod's interfaces in veto (so the flow works), monitor on
#     eth0 arms the probes, which then see the flow;
#   - with fault_disarm=1, taking monitor away cannot disarm them: the
#     refusal is in the kernel log and `status` says they are still armed
#     (with no user), rather than claiming a disarm that did not happen;
#   - the module unloads while the probes are armed and TCP still flows
#     through them, and the kernel log stays clean (on the debug kernel:
#     KASAN, lockdep, kmemleak). Unload unregisters the probes, which waits
#     for running handlers, before the state they read is freed.

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/sgp.sh
. /dg/demuxguard.sh


klog_mark disarmfail
sgp_up
check_here "module: loads, the SGP pod guarded (rules=vlan=veto)" dg_load rules=vlan=veto
if [ ! -e /sys/module/demuxguard/parameters/fault_disarm ]; then
	# make check-debug builds the module with the knob: there this is a failure.
	check "module: has fault_disarm (built with DG_FAULT_INJECT=y)" false
	dg_finish
fi

check "monitor: eth0" demuxguard set dev eth0 mode monitor
check_output "monitor: probes armed" "true true true true" dg_armed
run_bg root dgnet rr "$SGP_POD_IP4" "$SGP_PORT" -n 1000000 -b 64 -i 1 -t 30000
flow4=$DG_BG_PID
check "monitor: the probes see the flow" busywait 10000 sh -c \
	". /dg/demuxguard.sh; [ \"\$(dg_hook_num ip_local_deliver hits)\" -ge 20 ]"

check "fault: fault_disarm=1" sh -c 'echo 1 >/sys/module/demuxguard/parameters/fault_disarm'
klog_mark disarm
check "fault: unset eth0 (disarm fails underneath)" demuxguard unset dev eth0
check_grep "fault: the failed disarm is logged" "cannot disarm probe on ip_local_deliver: -5" \
	klog_since_mark
check_output "fault: status says the probes are still armed" "true true true true" dg_armed
check_output "fault: ... with no interface using them" "0" dg_hook_num ip_local_deliver users
check "fault: the flow still runs through the armed probes" busywait 10000 sh -c \
	"a=\$(. /dg/demuxguard.sh; dg_hook_num ip_local_deliver hits); sleep 1;
	 b=\$(. /dg/demuxguard.sh; dg_hook_num ip_local_deliver hits); [ \"\$b\" -gt \"\$a\" ]"

check "unload: with the probes armed, under traffic" dg_unload
check "unload: the module is gone" sh -c '! test -d /sys/module/demuxguard'
check "unload: the flow is still alive" kill -0 "$flow4"
kill_bg "$flow4"

check_klog "kernel log: clean after unloading with the probes armed"
dg_finish
