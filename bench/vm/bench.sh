#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench - the deterministic part of demuxguard's benchmark, run by the VM's
# /init under QEMU -smp 1 -icount (guest time counts instructions). On the
# node of bench/vm/topo.sh it times four tests:
#   terminated rr / crr   client namespace -> the node's own server
#   forwarded  rr / crr   client namespace -> node -> server namespace
# (rr: 1-byte ping-pong on one connection; crr: connect, 1 byte each way,
# close) under six configurations of the node:
#   a  tcp_early_demux=1, module absent              (the reference)
#   b  tcp_early_demux=0, module absent              (the anchors' fix)
#   c  module loaded, no policy                      (nothing armed)
#   d  veto on oth0, which carries no traffic        (the tax on other traffic)
#   e  veto on cli0, where the measured traffic arrives
#   f  monitor on oth0                               (the diagnostic mode)
# Configurations are interleaved: every round runs each of them once, in an
# order rotated by one per round so that no configuration always runs in
# the same position (after the same predecessor, at the same table fill).
# Round 0 is a warm-up; the host discards it. Within a configuration the
# crr samples run last and are followed by a wait for their TIME_WAIT
# sockets to expire (bench_tw_drain). Each configuration is entered
# from scratch and its state is verified (sysctl, module, armed hooks), so
# a number is never reported for a configuration that did not take effect.
#
# Output, one line per sample, parsed by bench/run.sh:
#   DG-BENCH: round=R config=C traffic=terminated|forwarded test=rr|crr n=N ns=NS idle_ms=MS
# Knobs come from /dg/bench/bench.conf (written by bench/run.sh):
# BENCH_ROUNDS, BENCH_RR_N, BENCH_CRR_N, BENCH_CONFIGS.

# Functions run through check_* look unused to shellcheck.
# shellcheck disable=SC2317
set -eu
# shellcheck source=SCRIPTDIR/../../tests/vm/lib.sh
. /dg/lib.sh
# Not followed: shellcheck cannot parse one of demuxguard.sh's tests.
# shellcheck source=/dev/null
. /dg/demuxguard.sh
# shellcheck source=SCRIPTDIR/topo.sh
. /dg/bench/topo.sh
# shellcheck source=/dev/null
. /dg/bench/bench.conf

# lib.sh's run_in and friends: no command echo in the measured output.
# shellcheck disable=SC2034
DG_QUIET=1
BENCH_ROUNDS=${BENCH_ROUNDS:-5}
BENCH_RR_N=${BENCH_RR_N:-2000}
BENCH_CRR_N=${BENCH_CRR_N:-300}
BENCH_CONFIGS=${BENCH_CONFIGS:-a b c d e f}
POLICY_DEVS="cli0 oth0"

klog_mark bench
if ! check_here "bench: topology and servers up" bench_topo_setup; then
	dg_finish
fi

# ---- configurations --------------------------------------------------------

bench_demux()
{
	sysctl -qw "net.ipv4.tcp_early_demux=$1"
}

bench_module()	# present|absent
{
	if [ "$1" = present ]; then
		[ -d /sys/module/demuxguard ] || modprobe demuxguard
		# Whatever an earlier configuration set goes away.
		for _d in $POLICY_DEVS; do
			[ "$(dg_field "$_d" source)" = explicit ] || continue
			demuxguard unset dev "$_d" || return 1
		done
	else
		[ ! -d /sys/module/demuxguard ] || modprobe -r demuxguard
	fi
}

# bench_enter CONFIG: put the node in CONFIG from whatever state it is in,
# then verify it. Prints why and fails if the state is not the wanted one.
bench_enter()
{
	_armed=
	case $1 in
	a) bench_demux 1 && bench_module absent ;;
	b) bench_demux 0 && bench_module absent ;;
	c) bench_demux 1 && bench_module present &&
		_armed="false false false false" ;;
	d) bench_demux 1 && bench_module present &&
		demuxguard set dev oth0 mode veto &&
		[ "$(dg_field oth0 veto_hook)" = rx_handler ] &&
		_armed="false false false false" ;;
	e) bench_demux 1 && bench_module present &&
		demuxguard set dev cli0 mode veto &&
		[ "$(dg_field cli0 veto_hook)" = rx_handler ] &&
		_armed="false false false false" ;;
	f) bench_demux 1 && bench_module present &&
		demuxguard set dev oth0 mode monitor &&
		_armed="true true true true" ;;
	*) echo "unknown configuration $1"; return 1 ;;
	esac || { echo "configuration $1: setting it up failed"; return 1; }

	_want_demux=1
	[ "$1" = b ] && _want_demux=0
	_got=$(cat /proc/sys/net/ipv4/tcp_early_demux)
	[ "$_got" = "$_want_demux" ] ||
		{ echo "configuration $1: tcp_early_demux=$_got"; return 1; }
	if [ -z "$_armed" ]; then
		[ ! -d /sys/module/demuxguard ] ||
			{ echo "configuration $1: module still loaded"; return 1; }
	else
		_got=$(dg_armed)
		[ "$_got" = "$_armed" ] ||
			{ echo "configuration $1: armed '$_got', want '$_armed'"; return 1; }
	fi
}

# ---- samples ----------------------------------------------------------------

# bench_tw NS: the number of TIME_WAIT sockets in NS.
bench_tw()
{
	dg_ns_exec "$1" cat /proc/net/sockstat |
		sed -n 's/^TCP: .* tw \([0-9]*\) .*/\1/p'
}

# bench_tw_drain: wait until the TIME_WAIT sockets the crr samples left
# behind (with the servers, which close first) have expired. Otherwise their
# expiry, 60 s later, would land in whatever sample runs then and cost it
# up to a few percent, at random. Idle time is nearly free here: with
# -icount sleep=off the clock jumps to the next timer.
bench_tw_drain()
{
	sleep 60
	_i=0
	while [ "$(bench_tw root)" != 0 ] || [ "$(bench_tw server)" != 0 ]; do
		_i=$((_i + 1))
		[ "$_i" -le 30 ] ||
			{ echo "TIME_WAIT: $(bench_tw root) + $(bench_tw server) left after 90 s"; return 1; }
		sleep 1
	done
}

# bench_sample ROUND CONFIG TRAFFIC TEST: one timed run, one DG-BENCH line.
bench_sample()
{
	if [ "$3" = terminated ]; then _addr=$BENCH_TERM_ADDR; else _addr=$BENCH_FWD_ADDR; fi
	if [ "$4" = rr ]; then _n=$BENCH_RR_N; else _n=$BENCH_CRR_N; fi
	# Idle time during the sample, from /proc/stat (USER_HZ = 100): with
	# -icount,sleep=off an idle CPU jumps the clock to the next timer, so
	# guest time is an instruction count only while this stays 0.
	read -r _d _d _d _d _i0 _d </proc/stat
	_out=$(dg_ns_exec client dgbench "$4" "$_addr" "$BENCH_PORT" -n "$_n" 2>&1) || {
		echo "round $1 config $2 $3 $4: $_out"
		return 1
	}
	read -r _d _d _d _d _i1 _d </proc/stat
	echo "DG-BENCH: round=$1 config=$2 traffic=$3 test=$4 $_out idle_ms=$(((_i1 - _i0) * 10))"
}

bench_config_round()	# ROUND CONFIG
{
	bench_enter "$2" || return 1
	# The crr samples last: their TIME_WAIT sockets expire 60 s later, so
	# one drain after both keeps them out of every sample.
	for _x in rr crr; do
		for _t in terminated forwarded; do
			bench_sample "$1" "$2" "$_t" "$_x" || return 1
		done
	done
	bench_tw_drain
}

# Before the rounds, prove the two kinds of traffic are what they claim:
# forwarded tests go through ip_forward() (twice an exchange: request and
# response), terminated tests never do.
bench_first_samples()
{
	bench_enter a &&
	f0=$(bench_mib root snmp Ip: ForwDatagrams) &&
	bench_sample 0 check terminated rr &&
	f1=$(bench_mib root snmp Ip: ForwDatagrams) &&
	bench_sample 0 check forwarded rr &&
	f2=$(bench_mib root snmp Ip: ForwDatagrams)
}
if ! bench_first_samples >/tmp/first.log 2>&1; then
	fail "bench: a first sample of each kind of traffic" "see below" "$(cat /tmp/first.log)"
	dg_finish
fi
echo "DG-BENCH-INFO: forwarded_terminated_rr=$((f1 - f0)) forwarded_forwarded_rr=$((f2 - f1)) rr_n=$BENCH_RR_N"
check "bench: terminated traffic is terminated, forwarded is forwarded" \
	test $((f1 - f0)) -eq 0 -a $((f2 - f1)) -ge $((2 * BENCH_RR_N))

# For the record: what the connect/request/close tests depend on.
echo "DG-BENCH-INFO: cpu=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n1 | tr ' ' _)" \
	"ehash_tw_buckets=$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)" \
	"spectre_v2=$(tr ' ' _ </sys/devices/system/cpu/vulnerabilities/spectre_v2 2>/dev/null)"
echo "DG-BENCH-CONFIG: rounds=$BENCH_ROUNDS rr_n=$BENCH_RR_N crr_n=$BENCH_CRR_N configs=$(echo "$BENCH_CONFIGS" | tr ' ' ,)"
ok=1
r=0
while [ "$r" -le "$BENCH_ROUNDS" ] && [ "$ok" = 1 ]; do
	# Rotate the order by one configuration per round.
	# shellcheck disable=SC2086  # the list is meant to split
	set -- $BENCH_CONFIGS
	i=0
	while [ "$i" -lt $((r % $#)) ]; do
		_c=$1
		shift
		set -- "$@" "$_c"
		i=$((i + 1))
	done
	t0=$(dg_now_ms)
	for c in "$@"; do
		if ! _log=$(bench_config_round "$r" "$c" 2>&1); then
			fail "bench: round $r configuration $c" "see below" "$_log"
			ok=0
			break
		fi
		printf '%s\n' "$_log" | grep '^DG-BENCH:' || :
	done
	echo "DG-BENCH-ROUND: $r order=$(echo "$@" | tr ' ' ,) guest_ms=$(($(dg_now_ms) - t0))"
	r=$((r + 1))
done
[ "$ok" = 0 ] || pass "bench: $BENCH_ROUNDS rounds (+1 warm-up) of configurations $BENCH_CONFIGS"

# How the probes are attached (an ftrace-based kprobe costs far less than
# an int3 one): /sys/kernel/debug/kprobes/list with every hook armed.
if bench_enter f >/dev/null 2>&1; then
	echo "DG-BENCH-INFO: kprobes=$(awk '{ printf "%s%s:%s%s", s, $3, $2, ($4 != "" ? ":" $4 : ""); s = "," }' \
		/sys/kernel/debug/kprobes/list 2>/dev/null)"
fi
bench_enter a >/dev/null 2>&1 || :
# A full TIME_WAIT table would change what a connection costs part way
# through the run (bench/run.sh sizes it with thash_entries).
tw=0
for ns in root server; do
	v=$(bench_mib "$ns" netstat TcpExt: TCPTimeWaitOverflow)
	tw=$((tw + ${v:-0}))
done
echo "DG-BENCH-INFO: tw_overflow=$tw"
check "bench: no TIME_WAIT overflow" test "$tw" -eq 0
check_klog "bench: kernel log clean"
dg_finish
