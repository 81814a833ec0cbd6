#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# privileges - the permission model of docs/DESIGN.md ("Permissions")
# against a real kernel, and what the module charges to whom:
#   - an unprivileged user reads everything of its namespace and is refused
#     every write, with exit status 2 and the kernel's reason;
#   - root in a user namespace never sets monitor (its probes cost every
#     packet of the host), never changes a namespace its user namespace
#     does not own, and changes its own namespace only when the module was
#     loaded with userns_writes=1 (read-only after load);
#   - the attack the issue names, "unshare -Urn demuxguard set dev lo mode
#     monitor" by an unprivileged user, is refused;
#   - status outside the initial namespace counts that namespace's objects
#     only; in the initial one, every namespace's;
#   - a rule add or replace that cannot have the memory it needs fails
#     whole: nothing changed (a cgroup v1 memory limit is the pressure);
#   - entries and their per-CPU counters are charged to the memory cgroup
#     of the writer that caused them, and uncharged when they go.

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/demuxguard.sh

require_module demuxguard
require_command unshare
require_command nsenter

NOBODY="dgnet runas 65534 65534 --"
# The kernel's extended-ack texts (module/netlink.c, dg_may_write()).
E_CAP="Error: changing policy needs CAP_NET_ADMIN"
E_CAP_INIT="Error: changing policy needs CAP_NET_ADMIN \\(in the initial user namespace"
E_MONITOR="Error: monitor arms host-wide probes: needs CAP_NET_ADMIN in the initial user namespace"
E_USERNS="Error: CAP_NET_ADMIN in a user namespace may not change policy \\(module parameter userns_writes=0\\)"

# check_refused NAME ERE CMD...: CMD exits 2 (the kernel refused) and its
# output matches ERE (the kernel's reason).
check_refused()
{
	_name=$1
	_re=$2
	shift 2
	_out=$("$@" 2>&1) && _rc=0 || _rc=$?
	if [ "$_rc" -eq 2 ] && printf '%s\n' "$_out" | grep -Eq -- "$_re"; then
		pass "$_name"
	else
		fail "$_name" "exit $_rc, wanted 2 and /$_re/: $*" "$_out"
	fi
}

# objects [CMD-PREFIX...]: "interfaces rules" from status, run as given.
objects()
{
	"$@" demuxguard -j status | tr -d ' \n\t' |
		sed -n 's/.*"objects":{"interfaces":\([0-9]*\),"rules":\([0-9]*\)}.*/\1 \2/p'
}

klog_mark privileges
check "setup: veth pair p0/p1" ip link add p0 type veth peer name p1
defer ip link del p0
check_here "module: loads (userns_writes defaults to 0)" dg_load
check_output "module: userns_writes is N" N cat /sys/module/demuxguard/parameters/userns_writes
check "setup: root sets p0 veto" demuxguard set dev p0 mode veto
check "setup: root adds rule pq off" demuxguard rule add prefix pq mode off

# --- an unprivileged user ----------------------------------------------------
check_refused "nobody: set veto refused" "$E_CAP" $NOBODY demuxguard set dev p1 mode veto
check_refused "nobody: set off refused" "$E_CAP" $NOBODY demuxguard set dev p0 mode off
check_refused "nobody: set monitor refused" "$E_CAP" $NOBODY demuxguard set dev p0 mode monitor
check_refused "nobody: unset refused" "$E_CAP" $NOBODY demuxguard unset dev p0
check_refused "nobody: rule add refused" "$E_CAP" $NOBODY demuxguard rule add prefix q mode veto
check_refused "nobody: rule replace refused" "$E_CAP" $NOBODY demuxguard rule add prefix pq mode veto
check_refused "nobody: rule del refused" "$E_CAP" $NOBODY demuxguard rule del prefix pq
check_refused "nobody: stats reset refused" "$E_CAP" $NOBODY demuxguard stats reset
check_refused "nobody: stats reset dev refused" "$E_CAP" $NOBODY demuxguard stats reset dev p0
check_output "nobody: p0 is still veto, explicit" '[{"ifname":"p0","ifindex":'"$(cat /sys/class/net/p0/ifindex)"',"mode":"veto","source":"explicit","veto_hook":"rx_handler"}]' dg_json show
check_output "nobody: the rules are as they were" '[{"prefix":"pq","mode":"off"}]' dg_json rule show
check_grep "nobody: reads show" '"mode": ?"veto"' $NOBODY demuxguard -j show dev p0
check_grep "nobody: reads stats" '"vetoed"' $NOBODY demuxguard -j stats
check_grep "nobody: reads rules" '"pq"' $NOBODY demuxguard -j rule show
check_output "nobody: reads status (1 interface, 1 rule)" "1 1" objects $NOBODY

# The attack issue 13 names: any user, through a user namespace of its own.
if $NOBODY unshare -U -r -n true 2>/dev/null; then
	check_refused "nobody+unshare -Urn: monitor on its own lo refused" "$E_MONITOR" \
		$NOBODY unshare -U -r -n demuxguard set dev lo mode monitor
	check_refused "nobody+unshare -Urn: a monitor rule refused" "$E_MONITOR" \
		$NOBODY unshare -U -r -n demuxguard rule add prefix "" mode monitor
	check_refused "nobody+unshare -Urn: veto refused (userns_writes=0)" "$E_USERNS" \
		$NOBODY unshare -U -r -n demuxguard set dev lo mode veto
	check_output "nobody+unshare -Urn: nothing was created anywhere" "1 1" objects
else
	skip "nobody+unshare -Urn" "unprivileged user namespaces are not allowed here"
fi

# --- root in a user namespace, in the initial network namespace -------------
check_refused "userns root: cannot set p0 in the initial netns" "$E_CAP_INIT" \
	unshare -U -r demuxguard set dev p0 mode off
check_refused "userns root: cannot add a rule in the initial netns" "$E_CAP_INIT" \
	unshare -U -r demuxguard rule add prefix p mode veto
check_refused "userns root: cannot reset the initial netns' counters" "$E_CAP_INIT" \
	unshare -U -r demuxguard stats reset
check_output "userns root: p0 is still veto" veto dg_field p0 mode

# --- root in a user namespace, in a network namespace it owns ---------------
# A user namespace and a network namespace it owns, kept alive by a sleep;
# in_userns enters both (root there, no capability in the initial user
# namespace), in_netns only the network namespace (keeping init's root).
# shellcheck disable=SC2016
unshare -U -r -n sh -c '/sbin/ip link add u0 type veth peer name u1 && exec sleep 600' &
UPID=$!
defer kill_bg "$UPID"
check "userns: its netns has u0" busywait 5000 nsenter -t "$UPID" -n /sbin/ip link show u0
in_userns() { nsenter -t "$UPID" -U -n "$@"; }
in_netns() { nsenter -t "$UPID" -n "$@"; }
check_grep "userns root: reads show dev u0" '"mode": ?"off"' in_userns demuxguard -j show dev u0
check_refused "userns root: set veto refused (userns_writes=0)" "$E_USERNS" \
	in_userns demuxguard set dev u0 mode veto
check_refused "userns root: set monitor refused (host-wide)" "$E_MONITOR" \
	in_userns demuxguard set dev u0 mode monitor
check_refused "userns root: rule add veto refused (userns_writes=0)" "$E_USERNS" \
	in_userns demuxguard rule add prefix u mode veto
check_refused "userns root: rule add monitor refused (host-wide)" "$E_MONITOR" \
	in_userns demuxguard rule add prefix u mode monitor
check_refused "userns root: stats reset refused (userns_writes=0)" "$E_USERNS" \
	in_userns demuxguard stats reset
check "init root: sets u0 monitor in the user namespace's netns" \
	in_netns demuxguard set dev u0 mode monitor
check "init root: adds rule u1 veto there" in_netns demuxguard rule add prefix u1 mode veto
check_refused "userns root: cannot unset what init root set" "$E_USERNS" \
	in_userns demuxguard unset dev u0

# --- status: per namespace, global from the initial one ---------------------
check_output "status in the userns netns: its 2 interfaces, 1 rule" "2 1" objects in_userns
check_output "status there, unprivileged: the same" "2 1" objects in_netns $NOBODY
check_output "status in the initial netns: every namespace (3, 2)" "3 2" objects
check "setup: a third namespace, empty" ip netns add priv-empty
defer ip netns del priv-empty
check_output "status in an empty namespace: 0 0" "0 0" objects ip netns exec priv-empty
check "cleanup: init root removes u0's setting and rule u1" \
	in_netns sh -c 'demuxguard unset dev u0 && demuxguard rule del prefix u1'
check_output "status in the userns netns: 0 0 again" "0 0" objects in_userns

# --- userns_writes=1 ------------------------------------------------------------
check "reload: userns_writes=1" sh -c 'modprobe -r demuxguard && modprobe demuxguard userns_writes=1'
check_output "reload: userns_writes is Y" Y cat /sys/module/demuxguard/parameters/userns_writes
check_fail "reload: the parameter is read-only" \
	sh -c 'echo N >/sys/module/demuxguard/parameters/userns_writes'
check "setup: root sets p0 veto again" demuxguard set dev p0 mode veto
check "userns root: sets u0 veto in its own netns" in_userns demuxguard set dev u0 mode veto
check_grep "userns root: u0 is veto, explicit" '"mode": ?"veto", ?"source": ?"explicit"' \
	in_userns demuxguard -j show dev u0
check_refused "userns root: set monitor still refused" "$E_MONITOR" \
	in_userns demuxguard set dev u0 mode monitor
check "userns root: rule add u1 veto" in_userns demuxguard rule add prefix u1 mode veto
check_refused "userns root: replacing it with monitor refused" "$E_MONITOR" \
	in_userns demuxguard rule add prefix u1 mode monitor
check_grep "userns root: rule u1 is still veto" '"prefix": ?"u1", ?"mode": ?"veto"' \
	in_userns demuxguard -j rule show
check "userns root: stats reset" in_userns demuxguard stats reset
check "userns root: unset u0" in_userns demuxguard unset dev u0
check "userns root: rule del u1" in_userns demuxguard rule del prefix u1
check_output "userns root: its namespace has no object left" "0 0" objects in_userns
check_refused "userns root: still cannot set p0 in the initial netns" "$E_CAP_INIT" \
	nsenter -t "$UPID" -U demuxguard set dev p0 mode off
check_refused "nobody: still refused" "$E_CAP" $NOBODY demuxguard set dev p0 mode off
if $NOBODY unshare -U -r -n true 2>/dev/null; then
	check_refused "nobody+unshare -Urn: monitor still refused" "$E_MONITOR" \
		$NOBODY unshare -U -r -n demuxguard set dev lo mode monitor
	check_grep "nobody+unshare -Urn: veto on its own lo allowed" '"mode": ?"veto"' \
		$NOBODY unshare -U -r -n sh -c 'demuxguard set dev lo mode veto &&
			demuxguard -j show dev lo'
else
	skip "nobody+unshare -Urn (userns_writes=1)" "unprivileged user namespaces are not allowed here"
fi
check_output "p0 is still veto" veto dg_field p0 mode
check "reload: default parameters" sh -c 'modprobe -r demuxguard && modprobe demuxguard'

# --- all or nothing under memory pressure -----------------------------------
# Debian's kernels have no fault injection (CONFIG_FAILSLAB): the pressure
# is a cgroup v1 memory limit on the writer, with the group's OOM killer
# disabled so that a charge over the limit fails instead of killing, met
# only by the kernel's allocations for the request (dgfuzz -M). Cgroup v1
# memory is gone from 6.12's Debian config: there this part skips. It runs
# before the cgroup v2 part below, which binds the memory controller.
V1=/run/dg-memcg-v1
v1_ready()
{
	mkdir -p "$V1" && mount -t cgroup -o memory dg-memcg-v1 "$V1" 2>/dev/null
}
if v1_ready; then
	defer umount "$V1"
	# Two groups without OOM killer, set up empty (a group's usage can
	# stay above a lower limit): "some" admits 4 KiB, "none" nothing.
	mkgroup()
	{
		mkdir "$V1/$1" && echo 1 >"$V1/$1/memory.oom_control" &&
		echo "$2" >"$V1/$1/memory.limit_in_bytes"
	}
	mkgroups() { mkgroup some 4096 && mkgroup none 0; }
	check_here "nomem: v1 memory groups some (4 KiB) and none (0)" mkgroups
	defer rmdir "$V1/none"
	defer rmdir "$V1/some"
	cmds=
	i=0
	while [ "$i" -lt 8 ]; do
		cmds="${cmds}link add r$i type veth peer name s$i
"
		i=$((i + 1))
	done
	# x0 will be renamed into the rule's reach. Below IPv6's minimum MTU it
	# has no IPv6 state, whose re-registration on rename would fail first
	# and undo the rename.
	cmds="${cmds}link add x0 mtu 1000 type veth peer name xs0 mtu 1000"
	check "nomem: veth pairs r0..r7/s0..s7 and x0/xs0" ip_batch root "$cmds"
	check "nomem: rule add prefix r mode off (8 entries)" demuxguard rule add prefix r mode off
	check_output "nomem: 8 interfaces, 1 rule" "8 1" objects

	# A new rule that needs an entry on every other interface, with room
	# for a few: it fails part way through its allocations.
	check_grep "nomem: rule add prefix '' refused at 4 KiB" "^error: Cannot allocate memory" \
		sh -c "dgfuzz -M $V1/some rule '' veto; [ \$? -eq 1 ]"
	check_output "nomem: ... the rules are as they were" '[{"prefix":"r","mode":"off"}]' \
		dg_json rule show
	check_output "nomem: ... no entry was left behind" "8 1" objects

	# An interface renamed into the rule while its entry cannot be had:
	# left without one (the kernel log says so).
	check_grep "nomem: rename x0 -> r8 with nothing admitted" "^ok" \
		dgfuzz -M "$V1/none" rename x0 r8
	check_output "nomem: r8 has no entry (mode off, source none)" "off none" \
		sh -c '. /dg/demuxguard.sh; echo "$(dg_field r8 mode) $(dg_field r8 source)"'
	check_grep "nomem: ... and the kernel log says so" "r8: cannot apply rule: -12" dmesg

	# Replacing the rule's mode needs r8's entry: refused whole, so r0..r7
	# keep the old mode (before the fix they were veto, the reply ENOMEM).
	check_grep "nomem: replace r off -> veto refused" "^error: Cannot allocate memory" \
		sh -c "dgfuzz -M $V1/none rule r veto; [ \$? -eq 1 ]"
	check_output "nomem: ... rule r is still off" '[{"prefix":"r","mode":"off"}]' \
		dg_json rule show
	check_output "nomem: ... r0 is still off" "off rule" \
		sh -c '. /dg/demuxguard.sh; echo "$(dg_field r0 mode) $(dg_field r0 source)"'
	check_output "nomem: ... r7 is still off" "off" dg_field r7 mode
	check "nomem: the same replace from outside the group" \
		demuxguard rule add prefix r mode veto
	check_output "nomem: ... r0 and r8 are veto" "veto veto" \
		sh -c '. /dg/demuxguard.sh; echo "$(dg_field r0 mode) $(dg_field r8 mode)"'
	check_output "nomem: ... 9 interfaces, 1 rule" "9 1" objects
	check "nomem: cleanup" sh -c 'demuxguard rule del prefix r && i=0 &&
		while [ $i -lt 8 ]; do /sbin/ip link del r$i || exit 1; i=$((i + 1)); done &&
		/sbin/ip link del r8'
	check_output "nomem: nothing left" "0 0" objects
else
	skip "nomem: all or nothing under a memory limit" "no cgroup v1 memory controller"
fi

# --- memory charged to the writer's memory cgroup ---------------------------
# A group that holds only the writer while it runs keeps, once the writer
# has exited, what the writer left in the kernel: the entries, which their
# freeing uncharges again. The memory controller is where the part above
# left it: cgroup v1 (memory.kmem.usage_in_bytes: slab and per-CPU, in
# pages) on 6.1, else cgroup v2 (memory.stat's "slab" and "percpu", bytes).
NR_IF=32
if grep -q " $V1 cgroup " /proc/mounts; then
	ACG=$V1/acct
	cg_kmem() { cat "$ACG/memory.kmem.usage_in_bytes"; }
	cg_ready() { mkdir "$ACG"; }
	cg_percpu() { echo; }
else
	ACG=/sys/fs/cgroup/dgperm
	cg_stat() { sed -n "s/^$1 //p" "$ACG/memory.stat"; }
	cg_kmem() { echo $(($(cg_stat slab) + $(cg_stat percpu))); }
	cg_percpu() { cg_stat percpu; }
	cg_ready()
	{
		{ [ -f /sys/fs/cgroup/cgroup.controllers ] ||
			mount -t cgroup2 none /sys/fs/cgroup; } &&
		grep -qw memory /sys/fs/cgroup/cgroup.controllers &&
		echo +memory >/sys/fs/cgroup/cgroup.subtree_control &&
		mkdir "$ACG"
	}
fi
if cg_ready 2>/dev/null; then
	defer rmdir "$ACG"
	cmds=
	i=0
	while [ "$i" -lt "$NR_IF" ]; do
		cmds="${cmds}link add m$i type veth peer name n$i
"
		i=$((i + 1))
	done
	check "memcg: $NR_IF veth pairs m*/n*" ip_batch root "$cmds"
	defer sh -c "i=0; while [ \$i -lt $NR_IF ]; do /sbin/ip link del m\$i; i=\$((i + 1)); done"
	pcpu0=$(cg_percpu)
	# shellcheck disable=SC2016
	check "memcg: rule add prefix m (off) from inside the group" \
		sh -c 'echo $$ >'"$ACG"'/cgroup.procs && exec demuxguard rule add prefix m mode off'
	check_output "memcg: the group is empty again" "" cat "$ACG/cgroup.procs"
	check_output "memcg: $NR_IF entries, 1 rule" "$NR_IF 1" objects
	kmem1=$(cg_kmem)
	if [ -n "$pcpu0" ]; then
		pcpu1=$(cg_percpu)
		# struct dg_pcpu_counters is 96 bytes per possible CPU.
		check "memcg: per-CPU counters charged ($pcpu0 -> $pcpu1 bytes, >= $NR_IF x 96)" \
			test "$((pcpu1 - pcpu0))" -ge "$((NR_IF * 96))"
	fi
	check "memcg: rule del prefix m (from outside)" demuxguard rule del prefix m
	# The writer's exit leaves kernel objects of its own charged to the
	# group (a few KiB): the entries show as what their freeing uncharges
	# (after a grace period; memory.stat is flushed lazily: poll). An
	# entry is more than 100 bytes, its counters 96 per possible CPU.
	kmem_fell() { [ "$((kmem1 - $(cg_kmem)))" -ge "$((NR_IF * 196))" ]; }
	busywait 5000 kmem_fell || :
	check "memcg: entries and counters were charged ($kmem1 -> $(cg_kmem) bytes, >= $NR_IF x 196 less)" \
		kmem_fell
else
	skip "memcg: accounting" "no cgroup memory controller"
fi

check_klog "kernel log: clean after privileges"
dg_finish
