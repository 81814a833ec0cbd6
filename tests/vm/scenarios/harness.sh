#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# harness - checks the test machinery itself, so that the other scenarios
# can be believed: the VM runs the real iproute2, kmod and dgnet (not
# busybox stand-ins) and its kernel modules load; lib.sh's helpers report a
# failing command as [FAIL] and a passing one as [ OK ]; defer runs in
# reverse order; the polling helpers time out; dgnet's timeouts, refusals,
# listener wait and privilege drop behave as the scenarios assume. A check
# helper that passed a failing command would make every other scenario
# worthless. No module needed; the module and CLI, when included, are only
# checked for being loadable/runnable.

# Functions run through check_* look unused to shellcheck.
# shellcheck disable=SC2317

set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. /dg/lib.sh

klog_mark harness

# --- the VM's tools ------------------------------------------------------
check_grep "vm: ip is iproute2's" "iproute2" ip -V
check_grep "vm: modprobe is kmod's" "kmod version" modprobe -V
check "vm: veth and 8021q load with modprobe" modprobe -a veth 8021q
check_grep "vm: lsmod lists 8021q and its deps" "^garp " lsmod
check "vm: dgnet runs" dgnet --help
if [ -f "/lib/modules/$(uname -r)/extra/demuxguard.ko" ]; then
	check_grep "vm: modinfo finds demuxguard for this kernel" \
		"^$(uname -r) " modinfo -F vermagic demuxguard
else
	skip "vm: modinfo finds demuxguard for this kernel" "demuxguard.ko not included"
fi
if command -v demuxguard >/dev/null; then
	# 127 is the dynamic loader's "cannot load shared libraries".
	check "vm: the CLI's shared libraries are present" \
		sh -c 'demuxguard --help >/dev/null 2>&1; [ $? -ne 127 ]'
else
	skip "vm: the CLI's shared libraries are present" "CLI not included"
fi

# --- lib.sh's check helpers, run in subshells, their output inspected ----
# (A captured "TEST: ... [FAIL]" line is shown indented if at all, so the
# host never counts it.)
helper() { (DG_QUIET=1; "$@") 2>&1 | tr -s ' '; }

check_grep "lib: check passes a command that succeeds" '^TEST: x \[ OK \]$' \
	helper check x true
check_grep "lib: check fails a command that fails" '^TEST: x \[FAIL\]$' \
	helper check x false
check_grep "lib: check shows the failing command's output" '^ \| oops$' \
	helper check x sh -c 'echo oops; exit 3'
check_grep "lib: check_fail fails a command that succeeds" '^TEST: x \[FAIL\]$' \
	helper check_fail x true
check_grep "lib: check_fail passes a command that fails" '^TEST: x \[ OK \]$' \
	helper check_fail x false
check_grep "lib: expect_exit passes the right status" '^TEST: x \[ OK \]$' \
	helper expect_exit 3 x sh -c 'exit 3'
check_grep "lib: expect_exit fails another status" '^TEST: x \[FAIL\]$' \
	helper expect_exit 3 x sh -c 'exit 2'
check_grep "lib: check_output fails on different output" '^TEST: x \[FAIL\]$' \
	helper check_output x "a" echo b
check_grep "lib: check_output passes on equal output" '^TEST: x \[ OK \]$' \
	helper check_output x "a" echo a
check_grep "lib: check_grep fails when nothing matches" '^TEST: x \[FAIL\]$' \
	helper check_grep x "timed out" echo refused
check_grep "lib: check_fail_grep fails a failure for another reason" '^TEST: x \[FAIL\]$' \
	helper check_fail_grep x "timed out" sh -c 'echo refused; exit 1'
check_grep "lib: check_fail_grep fails a success" '^TEST: x \[FAIL\]$' \
	helper check_fail_grep x "timed out" echo timed out
check_grep "lib: check_fail_grep passes the expected failure" '^TEST: x \[ OK \]$' \
	helper check_fail_grep x "timed out" sh -c 'echo timed out; exit 1'
expect_exit 0 "lib: dg_finish exits 0 when all passed" sh -c '. /dg/lib.sh; pass a >/dev/null; dg_finish'
expect_exit 1 "lib: dg_finish exits 1 on a failure" sh -c '. /dg/lib.sh; pass a; fail b; dg_finish >/dev/null'
expect_exit 4 "lib: dg_finish exits 4 when all skipped" sh -c '. /dg/lib.sh; skip a; dg_finish >/dev/null'
check_output "lib: defer runs in reverse order, at exit" "$(printf 'two\none')" \
	sh -c '. /dg/lib.sh; defer echo one; defer echo two'
check_output "lib: defer scopes unwind only their own" "$(printf 'in\nout')" \
	sh -c '. /dg/lib.sh; defer echo out; defer_scope_push; defer echo in; defer_scope_pop'
check_output "lib: defer keeps arguments intact" "a b|c'd" \
	sh -c ". /dg/lib.sh; defer printf '%s|%s\\n' 'a b' \"c'd\""

# --- polling -------------------------------------------------------------
t0=$(dg_now_ms)
check_fail "lib: busywait gives up" busywait 300 false
check "lib: busywait waited for its timeout" [ $(( $(dg_now_ms) - t0 )) -ge 300 ]
echo 0 >/tmp/counter
( for i in 1 2 3 4 5 6; do sleep 0.05; echo "$i" >/tmp/counter; done ) &
check_output "lib: wait_for_counter sees the threshold" "6" \
	wait_for_counter 5000 6 cat /tmp/counter
check_fail "lib: wait_for_counter times out below it" \
	wait_for_counter 200 7 cat /tmp/counter
check_output "lib: busywait_for_counter waits for a delta" "6" \
	busywait_for_counter 200 0 cat /tmp/counter
wait

# --- namespaces ----------------------------------------------------------
nsa=
nsb=
check_here "lib: setup_ns makes two namespaces" setup_ns nsa nsb
check "lib: setup_ns names are unique" [ "$nsa" != "$nsb" ]
check_grep "lib: run_in prints the namespace" "^\\[$nsa\\] true$" run_in "$nsa" true
check_grep "lib: run_in runs iproute2's ip in the namespace" "iproute2" run_in "$nsa" ip -V
check_output "lib: run_in enters the namespace (only lo there)" "lo" \
	run_in "$nsa" sh -c "sed -n 's/^ *\\([a-z0-9]*\\):.*/\\1/p' /proc/net/dev"

# A link to nowhere: nsa's packets for 192.0.2.2 go to a MAC nobody has.
ip_batch root "link add dga type veth peer name dgb
link set dga netns $nsa
link set dgb netns $nsb" 2>/dev/null
ip_batch "$nsa" "addr add 192.0.2.1/24 dev dga
addr add 2001:db8::1/64 dev dga nodad
link set dga up
neigh add 192.0.2.2 lladdr 02:00:00:00:00:99 dev dga nud permanent
neigh add 2001:db8::2 lladdr 02:00:00:00:00:99 dev dga nud permanent
neigh add 192.0.2.3 lladdr $(dg_mac "$nsb" dgb) dev dga nud permanent
neigh add 2001:db8::3 lladdr $(dg_mac "$nsb" dgb) dev dga nud permanent" 2>/dev/null
ip_batch "$nsb" "addr add 192.0.2.3/24 dev dgb
addr add 2001:db8::3/64 dev dgb nodad
link set dgb up
neigh add 192.0.2.1 lladdr $(dg_mac "$nsa" dga) dev dgb nud permanent
neigh add 2001:db8::1 lladdr $(dg_mac "$nsa" dga) dev dgb nud permanent" 2>/dev/null

# --- dgnet ---------------------------------------------------------------
check_fail_grep "dgnet: connect reports a refusal" "Connection refused" \
	run_in "$nsa" dgnet connect 127.0.0.1 1 -t 1000
check_fail_grep "dgnet: connect times out (ipv4)" "connect 192.0.2.2:80: timed out after 500 ms" \
	run_in "$nsa" dgnet connect 192.0.2.2 80 -t 500
check_fail_grep "dgnet: connect times out (ipv6)" "timed out after 500 ms" \
	run_in "$nsa" dgnet connect 2001:db8::2 80 -t 500
check_fail_grep "dgnet: waitlisten times out" "nothing listens on port 7777" \
	run_in "$nsb" dgnet waitlisten -t 200 7777
run_bg "$nsb" dgnet serve any 7777
check "dgnet: waitlisten sees the server" run_in "$nsb" dgnet waitlisten -t 5000 7777
check "dgnet: connect + count, ipv4, 3 connections" \
	run_in "$nsa" dgnet connect 192.0.2.3 7777 -b 100000 -n 3
check "dgnet: connect + count, ipv6" \
	run_in "$nsa" dgnet connect 2001:db8::3 7777 -b 100000
check "dgnet: request/response, 20 exchanges" \
	run_in "$nsa" dgnet rr 2001:db8::3 7777 -n 20 -b 1000
check_output "dgnet: held request/response paced by stdin" "$(printf 'connected\nok 1\nok 2')" \
	sh -c "printf 'a\nb\n' | nsenter --net=/run/netns/$nsa dgnet rr 192.0.2.3 7777 -H"
# shellcheck disable=SC2016  # expanded by the inner shell
check_output "dgnet: runas drops to the uid" "65534 65534" \
	dgnet runas 65534 65534 -- sh -c 'echo "$(id -u) $(id -g)"'
check_fail_grep "dgnet: runas leaves no capabilities" "Operation not permitted" \
	dgnet runas 65534 65534 -- /sbin/ip link add dgtest type dummy
check_fail_grep "dgnet: runas refuses uid 0" "would keep privileges" \
	dgnet runas 0 0 -- true

# --- kernel log ----------------------------------------------------------
klog_mark window
echo "demuxguard-test: inside the window" >/dev/kmsg
check_grep "lib: klog_since_mark has what came after the mark" "inside the window" klog_since_mark
check_fail "lib: klog_since_mark has nothing from before it" \
	sh -c '. /dg/lib.sh; DG_KLOG_MARK="demuxguard-test: mark window"; klog_since_mark | grep -q "mark harness"'

check_klog "kernel log: clean after harness"
dg_finish
