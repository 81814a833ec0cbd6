#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cli - the CLI and the netlink family against a real kernel: bad input is
# refused with the documented exit code (1 usage, 2 kernel) and a useful
# message, most of it the kernel's own extended-ack text; reads are open to
# everyone, writes need CAP_NET_ADMIN (the whole permission model is
# privileges.sh); -n NETNS; the genetlink family autoloads the module; a
# missing module is reported as such.

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/demuxguard.sh

NOBODY="dgnet runas 65534 65534 --"

klog_mark cli
check "setup: veth pair t0/t1" ip link add t0 type veth peer name t1

# --- the family alias autoloads the module --------------------------------
check_fail "autoload: module not loaded yet" test -d /sys/module/demuxguard
check_grep "autoload: status loads it via the family name" '"version"' demuxguard -j status
check "autoload: module is loaded now" test -d /sys/module/demuxguard
defer dg_unload
check_grep "version: CLI and module versions" "^module [0-9]" demuxguard --version

# --- usage errors: exit 1, before anything is sent ---------------------------
expect_exit 1 "usage: unknown command" demuxguard frobnicate
expect_exit 1 "usage: bad mode" demuxguard set dev t0 mode block
check_fail_grep "usage: bad mode is explained" 'invalid mode "block"' demuxguard set dev t0 mode block
expect_exit 1 "usage: set without mode" demuxguard set dev t0
expect_exit 1 "usage: interface name of 16 bytes" demuxguard set dev 0123456789abcdef mode veto
check_fail_grep "usage: long name is explained" "too long" demuxguard set dev 0123456789abcdef mode veto
expect_exit 1 "usage: prefix of 16 bytes" demuxguard rule add prefix 0123456789abcdef mode veto
expect_exit 1 "usage: rule without subcommand" demuxguard rule
expect_exit 1 "usage: extra argument" demuxguard show dev t0 extra
expect_exit 0 "usage: --help exits 0" demuxguard --help

# --- kernel refusals: exit 2 with the kernel's reason -------------------------
expect_exit 2 "kernel: unknown device" demuxguard set dev nosuch0 mode veto
check_fail_grep "kernel: unknown device is explained" "Error: .*no such interface" \
	demuxguard set dev nosuch0 mode veto
expect_exit 2 "kernel: show unknown device" demuxguard show dev nosuch0
expect_exit 2 "kernel: unset without an explicit mode" demuxguard unset dev t0
check_fail_grep "kernel: unset is explained" "Error: .*no explicit mode" demuxguard unset dev t0
expect_exit 2 "kernel: rule del of a missing rule" demuxguard rule del prefix nope
check_fail_grep "kernel: rule del is explained" "Error: .*no rule with this prefix" \
	demuxguard rule del prefix nope
expect_exit 2 "kernel: prefix with '/'" demuxguard rule add prefix a/b mode veto
check_fail_grep "kernel: prefix with '/' is explained" "Error: .*may not contain" \
	demuxguard rule add prefix a/b mode veto
check_output "kernel: refusals changed nothing" '[]' dg_json show
check_output "kernel: no rule was added" '[]' dg_json rule show

# --- show/stats for an interface without policy --------------------------------
check_grep "show dev t0 without policy: mode off, source none" '"mode":"off","source":"none"' \
	dg_json show dev t0
check_grep "stats dev t0 without policy: zero counters" '"vetoed":0' dg_json stats dev t0

# --- permissions -----------------------------------------------------------------
check "perm: root sets t0 veto" demuxguard set dev t0 mode veto
expect_exit 2 "perm: nobody cannot set" $NOBODY demuxguard set dev t0 mode off
check_fail_grep "perm: nobody is told why" "Error: changing policy needs CAP_NET_ADMIN" \
	$NOBODY demuxguard set dev t0 mode off
expect_exit 2 "perm: nobody cannot unset" $NOBODY demuxguard unset dev t0
expect_exit 2 "perm: nobody cannot add a rule" $NOBODY demuxguard rule add prefix t mode off
expect_exit 2 "perm: nobody cannot reset counters" $NOBODY demuxguard stats reset
check_grep "perm: nobody can read show" '"mode":"veto"' $NOBODY demuxguard -j show dev t0
check "perm: nobody can read stats" $NOBODY demuxguard stats
check "perm: nobody can read rules" $NOBODY demuxguard rule show
check "perm: nobody can read status" $NOBODY demuxguard status
check_grep "perm: t0 is still veto" '"mode":"veto"' dg_json show dev t0

# Root in a new user namespace: with the default userns_writes=0 not even
# its own new network namespace (privileges.sh has the rest); never the
# initial one.
if unshare -U -r true 2>/dev/null; then
	check_fail_grep "userns: root in a user namespace is refused in its own netns" \
		"Error: CAP_NET_ADMIN in a user namespace may not change policy" \
		unshare -U -r -n sh -c '/sbin/ip link add u0 type veth peer name u1 &&
			demuxguard set dev u0 mode veto'
	expect_exit 2 "userns: root in a user namespace cannot change the initial netns" \
		unshare -U -r demuxguard set dev t0 mode off
	check_grep "userns: ... and t0 is still veto" '"mode":"veto"' dg_json show dev t0
else
	skip "userns: root in a user namespace" "unshare -U -r not supported"
fi

# --- -n NETNS --------------------------------------------------------------------
check "netns: create cli-ns" ip netns add cli-ns
defer ip netns del cli-ns
check "netns: a veth inside" ip -n cli-ns link add n0 type veth peer name n1
check "netns: -n cli-ns set dev n0 monitor" demuxguard -n cli-ns set dev n0 mode monitor
check_grep "netns: -n cli-ns show lists n0" '"ifname":"n0"' demuxguard -j -n cli-ns show
check_fail_grep "netns: root show does not list n0" '"ifname":"n0"' sh -c \
	'demuxguard -j show | grep "\"ifname\":\"n0\"" && exit 1; echo "\"ifname\":\"n0\" absent"; exit 1'
expect_exit 2 "netns: a device of cli-ns is unknown in root" demuxguard set dev n0 mode off
expect_exit 2 "netns: -n of a missing namespace" demuxguard -n nosuchns show

# --- the module gone -------------------------------------------------------------
check "cleanup: unset t0" demuxguard unset dev t0
check "unload: modprobe -r" dg_unload
# With autoloading disabled, the CLI must say the module is missing.
modprobe_path=$(cat /proc/sys/kernel/modprobe)
echo /bin/false >/proc/sys/kernel/modprobe
expect_exit 2 "unloaded: status exits 2" demuxguard status
check_fail_grep "unloaded: says the module is not loaded" "not loaded" demuxguard status
check_grep "unloaded: --version still works" "module not loaded" demuxguard --version
echo "$modprobe_path" >/proc/sys/kernel/modprobe

check "cleanup: delete t0" ip link del t0
check_klog "kernel log: clean after cli"
dg_finish
