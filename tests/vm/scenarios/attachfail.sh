#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# attachfail - monitor's probes that cannot be registered are reported, not
# claimed, and come back once they can. Needs a module built with
# DG_FAULT_INJECT=y (make check-debug builds it so), whose fault_attach
# parameter makes every probe registration fail:
#   - with the pod's interfaces in veto (so the flow works) and nothing in
#     monitor, no probe is registered;
#   - with fault_attach=1, monitor on eth0 is set (monitor only counts) but
#     its probes cannot attach: the kernel log and `status` say so (not
#     attached, error EIO, one interface needing them), the kernel's own
#     kprobes list is empty, and the veto's flow is unaffected;
#   - with fault_attach=0, setting monitor again attaches them, the error
#     clears and they see the flow;
#   - leaving monitor disarms them at once and unregisters them soon after;
#     leaving and coming back quickly keeps them, armed;
#   - the module unloads with the probes armed under traffic, and the kernel
#     log stays clean (on the debug kernel: KASAN, lockdep, kmemleak).
#     Unload unregisters the probes, which waits for running handlers,
#     before the state they read is freed.

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/sgp.sh
. /dg/demuxguard.sh

klog_mark attachfail
sgp_up
check_here "module: loads, the SGP pod guarded (rules=vlan=veto)" dg_load rules=vlan=veto
if [ ! -e /sys/module/demuxguard/parameters/fault_attach ]; then
	# make check-debug builds the module with the knob: there this is a failure.
	check "module: has fault_attach (built with DG_FAULT_INJECT=y)" false
	dg_finish
fi
check_output "no monitor: no probe registered" "false false false false" dg_attached
dg_check_kprobes "no monitor: none in kprobes/list" 0

run_bg root dgnet rr "$SGP_POD_IP4" "$SGP_PORT" -n 1000000 -b 64 -i 1 -t 30000
flow4=$DG_BG_PID

check "fault: fault_attach=1" sh -c 'echo 1 >/sys/module/demuxguard/parameters/fault_attach'
klog_mark attach
check "fault: set eth0 mode monitor (its probes cannot attach underneath)" \
	demuxguard set dev eth0 mode monitor
check_output "fault: eth0 is in monitor all the same" "monitor" dg_field eth0 mode
check_grep "fault: the failed attach is logged" \
	"ip_local_deliver: probe not attached \\(-5\\); monitor counts nothing there" klog_since_mark
check_output "fault: status: not attached" "false false false false" dg_attached
check_output "fault: status: not armed" "false false false false" dg_armed
# (dg_json strips blanks: strerror(EIO) reads "Input/outputerror" here.)
check_output "fault: status: the error of each" \
	"Input/outputerror Input/outputerror Input/outputerror Input/outputerror" \
	sh -c '. /dg/demuxguard.sh; echo $(dg_hook_str ip_local_deliver errors) $(dg_hook_str ip6_input errors) $(dg_hook_str ip_forward errors) $(dg_hook_str ip6_forward errors)'
check_output "fault: status: one interface needs them" "1" dg_hook_num ip_local_deliver users
check_grep "fault: status text says so" \
	"hook ip_forward \\(kprobe\\): not attached, disarmed, .*users 1, error: Input/output error" \
	demuxguard status
dg_check_kprobes "fault: none in kprobes/list" 0
check "fault: the vetoed flow still runs" busywait 10000 sh -c \
	"a=\$(. /dg/demuxguard.sh; dg_counter vlanabc ipv4 vetoed); sleep 1;
	 b=\$(. /dg/demuxguard.sh; dg_counter vlanabc ipv4 vetoed); [ \"\$b\" -gt \"\$a\" ]"

check "recover: fault_attach=0" sh -c 'echo 0 >/sys/module/demuxguard/parameters/fault_attach'
check "recover: set eth0 mode monitor again" demuxguard set dev eth0 mode monitor
check_output "recover: attached" "true true true true" dg_attached
check_output "recover: armed" "true true true true" dg_armed
check_output "recover: no error left" "" dg_hook_str ip_forward errors
dg_check_kprobes "recover: four in kprobes/list" 4
check "recover: the probes see the flow" busywait 10000 sh -c \
	". /dg/demuxguard.sh; [ \"\$(dg_hook_num ip_local_deliver hits)\" -ge 20 ]"

# Leaving monitor disarms at once and unregisters from a work item; coming
# back before that work runs re-arms the same probes.
check "leave: unset eth0" demuxguard unset dev eth0
check_output "leave: disarmed at once" "false false false false" dg_armed
check "leave: unregistered soon after" busywait 5000 sh -c \
	'. /dg/demuxguard.sh; [ "$(dg_attached)" = "false false false false" ]'
dg_check_kprobes "leave: none in kprobes/list" 0
check "back and forth: unset and set monitor at once, ten times" sh -c \
	'for i in 1 2 3 4 5 6 7 8 9 10; do
		demuxguard set dev eth0 mode monitor && demuxguard unset dev eth0 || exit 1
	 done; demuxguard set dev eth0 mode monitor'
check_output "back and forth: armed" "true true true true" dg_armed
sleep 1
check_output "back and forth: still attached after the queued work ran" "true true true true" dg_attached
dg_check_kprobes "back and forth: four in kprobes/list" 4
h0=$(dg_hook_num ip_local_deliver hits)
check "back and forth: the probes see the flow" busywait 10000 sh -c \
	". /dg/demuxguard.sh; [ \"\$(dg_hook_num ip_local_deliver hits)\" -gt $h0 ]"

check "unload: with the probes armed, under traffic" dg_unload
check "unload: the module is gone" sh -c '! test -d /sys/module/demuxguard'
dg_check_kprobes "unload: none in kprobes/list" 0
check "unload: the flow is still alive" kill -0 "$flow4"
kill_bg "$flow4"

check_klog "kernel log: clean after unloading with the probes armed"
dg_finish
