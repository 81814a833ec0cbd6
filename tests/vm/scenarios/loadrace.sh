#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# loadrace - the module loaded with rules= while interfaces those rules
# match are being deleted. Loading applies the rules to the interfaces that
# exist (creating an entry for each match) and registers the netdevice
# notifier that frees an entry when its interface goes; an interface deleted
# between the two must not leave its entry behind. A stale entry shows as an
# object the module still counts (GET_STATUS) with no interface to go with
# it, and as "entry for ifindex N outlived its device" (a WARNING) when the
# module is unloaded.
#
# Each round creates batches of matching veth pairs and deletes them from
# several processes at once (so that one of them is usually waiting for the
# RTNL when the load releases it), while the module is loaded and unloaded
# again and again. An entry left behind by an intermediate load shows as
# that WARNING on its unload; one left by the round's last load (which
# stays loaded until the deletions are done) as an interface entry the
# module still counts. DG_LOADRACE_ROUNDS (default 15), DG_LOADRACE_PAIRS
# (pairs per deleting process, default 20) and DG_LOADRACE_DELETERS
# (default 6) size it; the last line before the summary says how many
# loads overlapped deletions. With the race open (the notifier registered
# after the rules were applied) about one load in five to seven left an
# entry behind on 6.1 and 6.12, so the default run of some 30 loads
# misses it rarely, and never on both kernels of make check.

# shellcheck disable=SC2317,SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. /dg/lib.sh
# shellcheck source=/dev/null
. /dg/demuxguard.sh

ROUNDS=${DG_LOADRACE_ROUNDS:-15}
PAIRS=${DG_LOADRACE_PAIRS:-20}
DELETERS=${DG_LOADRACE_DELETERS:-6}

klog_mark loadrace
require_module demuxguard
check "veth: available" sh -c '/sbin/modprobe veth'

batch()	# add|del FIRST: ip -batch commands for PAIRS pairs from FIRST
{
	_i=$2
	while [ "$_i" -lt $(($2 + PAIRS)) ]; do
		if [ "$1" = add ]; then
			echo "link add vlanlr$_i type veth peer name lrp$_i"
		else
			echo "link del vlanlr$_i"
		fi
		_i=$((_i + 1))
	done
}

# One round: prints the number of loads and what the module holds once
# the deletions are done.
round()
{
	_d=0
	while [ $_d -lt "$DELETERS" ]; do
		batch add $((_d * PAIRS))
		_d=$((_d + 1))
	done | /sbin/ip -batch - || return 1
	_pids=
	_d=0
	while [ $_d -lt "$DELETERS" ]; do
		batch del $((_d * PAIRS)) | /sbin/ip -force -batch - >/dev/null 2>&1 &
		_pids="$_pids $!"
		_d=$((_d + 1))
	done
	_loads=0
	while :; do
		modprobe demuxguard rules=vlan=veto || return 1
		_loads=$((_loads + 1))
		_busy=0
		for _p in $_pids; do
			! kill -0 "$_p" 2>/dev/null || _busy=1
		done
		[ $_busy = 1 ] || break
		modprobe -r demuxguard || return 1
	done
	for _p in $_pids; do
		wait "$_p" || :
	done
	_o=$(dgfuzz -S) || return 1
	modprobe -r demuxguard || return 1
	echo "$_loads $_o"
}

stale=0
loads=0
done_rounds=0
first_bad=
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	out=$(round) || { fail "round $r ran" "" "$out"; break; }
	done_rounds=$r
	loads=$((loads + ${out%% *}))
	out=${out#* }
	if [ "$out" != "interfaces 0 rules 1" ]; then
		stale=$((stale + 1))
		[ -n "$first_bad" ] || first_bad="round $r: $out"
	fi
done
check_output "$ROUNDS loads under interface deletion" "$ROUNDS" echo "$done_rounds"
# Entries left by the intermediate loads, as their unloads reported them.
warned=$(klog_since_mark | grep -c 'outlived its device' || :)
if [ "$stale" -eq 0 ] && [ "$warned" -eq 0 ]; then
	pass "no entry outlived its interface"
else
	fail "no entry outlived its interface" \
		"$stale of $done_rounds rounds ended with entries left (${first_bad:-none}; want interfaces 0 rules 1), $warned unloads found some" \
		"$(klog_since_mark | grep 'outlived its device' | head -n 5)"
fi
check_klog "kernel log: clean after loads under deletion"
echo "LOADRACE: $loads loads while $((ROUNDS * DELETERS * PAIRS)) matching interfaces were deleted"
dg_finish
