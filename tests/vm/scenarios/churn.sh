#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# churn - the module under everything a busy node does at once, then a leak
# check. While TCP request/response flows (IPv4 and IPv6) run through the
# SGP node's veto interface (vlanabc) and its monitor interface (eth0),
# several processes at the same time:
#   veth     create, rename and delete veth pairs in batches, with explicit
#            interface indexes that reuse the indexes of earlier batches, and
#            explicit modes on some of them; names move in and out of rules
#   netns    create namespaces, build interfaces and policy in them (rules,
#            explicit modes, an interface with policy moved in from the root
#            namespace) and delete them with that policy in place
#   policy   rule add/del (the empty prefix too) and set/unset, two of them
#   readers  stats, show, rule show and status dumps, and counter resets
# and, in the foreground, the module is unloaded and loaded again (with its
# rules= parameter) over and over; after each load the flows must be vetoed
# again. A second phase repeats the interface and namespace churn with the
# module left loaded, so the instance that is checked at the end has seen
# churn too.
#
# Afterwards:
#   - no interface ever came up with policy it had not been given: a new
#     interface (reusing an index) never shows an explicit mode, an interface
#     moved to another namespace leaves its explicit mode behind, and an
#     interface created with the index of a deleted one that had policy has
#     none (checked again at the end, in the root namespace and in a new
#     namespace, with a quiet system);
#   - the flows are alive and still vetoed/monitored;
#   - with the policy removed, the module's own object counts (interfaces
#     and rules over all namespaces, GET_STATUS) are back to zero;
#   - after unloading, the general-purpose slab caches our allocations come
#     from (kmalloc-*) plus per-CPU memory are back to their level before
#     the churn, within DG_CHURN_SLAB_TOL_KB (see below; all of
#     unreclaimable slab is reported too);
#   - the kernel log is clean (and run.sh scans it again).
#
# Sizes (environment, e.g. from DG_KERNEL_ARGS; defaults are make check's,
# make stress passes bigger ones):
#   DG_CHURN_VETH      veth pairs created, renamed and deleted (default 100)
#   DG_CHURN_NETNS     namespaces created and deleted (default 8)
#   DG_CHURN_CYCLES    module unload/load cycles (default 5)
#   DG_CHURN_READERS   processes reading and resetting stats (default 2)
#   DG_CHURN_SLAB_TOL_KB  kmalloc + per-CPU growth tolerated, kB (default 128)
# The last line before the summary is "CHURN: ..." with the figures.

# Functions run in the background or through check_* look unused to the
# linter.
# shellcheck disable=SC2317,SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. /dg/lib.sh
# shellcheck source=SCRIPTDIR/../sgp.sh
. /dg/sgp.sh
# (demuxguard.sh's dg_counter_is passes an operator in a variable to [,
# which the linter cannot parse.)
# shellcheck source=/dev/null
. /dg/demuxguard.sh

VETH=${DG_CHURN_VETH:-100}
NETNS=${DG_CHURN_NETNS:-8}
CYCLES=${DG_CHURN_CYCLES:-5}
READERS=${DG_CHURN_READERS:-2}
# Slab and per-CPU memory are shared with the whole kernel. The module's
# objects come from kzalloc (interface entries, about 180 B: kmalloc-192;
# rules: kmalloc-64) and alloc_percpu (counters, 96 B per CPU), so what is
# judged is the growth of the kmalloc-* caches (objects in use) plus the
# per-CPU figure, measured after dropping caches and shrinking every slab
# cache (see settle). Between two quiet moments of the same VM, with this
# much work in between, that moves by a few tens of kB (sockets in
# TIME_WAIT, sysfs, the allocators' own rounding; all of unreclaimable slab
# moves by a few hundred, mostly the caches of short-lived processes). The
# tolerance sits above that noise; make stress's run (1,000 pairs, an entry
# or more each, about 380 B with its counters) leaking its entries would be
# well over it. The exact checks are the module's own object counts
# (checked first) and kmemleak on the debug kernel (make check-debug).
SLAB_TOL_KB=${DG_CHURN_SLAB_TOL_KB:-128}
RULES=vlan=veto,eth=monitor
BATCH=50
OK_MS=8000
W=/tmp/churn
# Interface indexes for the veth batches: batch k uses the range of batch
# k - 2, so every new interface takes the index of one deleted just before.
IDX_BASE=1000

rm -rf "$W"
mkdir -p "$W"
klog_mark churn
# Local and remote address of every node-side socket that exists already.
cat /proc/net/tcp /proc/net/tcp6 | awk '$4 != "st" { print $2 " " $3 }' >"$W/closing.before"

# ---- helpers --------------------------------------------------------------

# Errors of the CLI are expected while the module is out; the workers only
# count what worked.
cli() { demuxguard "$@" >/dev/null 2>&1; }

# count NAME N: a worker's progress, kept in a file (workers are separate
# processes); each update is also timed in NAME.trace.
count()
{
	echo "$2" >"$W/$1.count"
	echo "$(dg_now_ms) $2" >>"$W/$1.trace"
}
counted() { cat "$W/$1.count" 2>/dev/null || echo 0; }
violation() { echo "$*" >>"$W/violations"; }
stopping() { [ -e "$W/stop" ]; }

# The module's objects over all namespaces: "interfaces N rules N". From the
# CLI's status JSON when it reports them, else from GET_STATUS directly.
objects()
{
	_j=$(dg_json status 2>/dev/null) || return 1
	case $_j in
	*'"objects":{'*)
		printf '%s\n' "$_j" |
			sed -n 's/.*"objects":{"interfaces":\([0-9]*\),"rules":\([0-9]*\)}.*/interfaces \1 rules \2/p' ;;
	*)
		dgfuzz -S ;;
	esac
}

# Names with an explicit mode in a namespace's show dump, one per line.
explicit_names()
{
	if [ -n "${1:-}" ]; then
		dg_json -n "$1" show
	else
		dg_json show
	fi | tr '}' '\n' | sed -n 's/.*"ifname":"\([^"]*\)".*"source":"explicit".*/\1/p'
}

# show_entry [-n NS] IFNAME: "mode source [rule]" of one interface.
show_entry()
{
	_o=$(demuxguard -j "$@" | tr -d ' \n\t') || return 1
	_m=$(printf '%s' "$_o" | sed -n 's/.*"mode":"\([a-z]*\)".*/\1/p')
	_s=$(printf '%s' "$_o" | sed -n 's/.*"source":"\([a-z]*\)".*/\1/p')
	_r=$(printf '%s' "$_o" | sed -n 's/.*"rule":"\([^"]*\)".*/\1/p')
	echo "$_m $_s${_r:+ $_r}"
}

# Unreclaimable slab + per-CPU memory, kB.
kmem_kb()
{
	awk '/^SUnreclaim:/ { s = $2 } /^Percpu:/ { p = $2 } END { print s + p }' /proc/meminfo
}

# settle: drop what is reclaimable, have every slab cache give back its
# per-CPU and empty slabs (SLUB keeps freed objects cached per CPU, and
# counts them as in use: thousands of short-lived processes leave hundreds
# of kB of them), and wait until the figure stops falling (namespaces are
# freed by a workqueue, entries after an RCU grace period). Prints the
# settled figure.
settle()
{
	_prev=$(kmem_kb)
	_flat=0
	_n=0
	while [ $_flat -lt 4 ] && [ $_n -lt 60 ]; do
		echo 3 >/proc/sys/vm/drop_caches
		for _c in /sys/kernel/slab/*/shrink; do
			echo 1 >"$_c" 2>/dev/null || :
		done
		sleep 0.5
		_cur=$(kmem_kb)
		if [ "$_cur" -lt "$_prev" ]; then _flat=0; else _flat=$((_flat + 1)); fi
		[ "$_cur" -ge "$_prev" ] || _prev=$_cur
		_n=$((_n + 1))
	done
	echo "$_prev"
}

# Processes other than kernel threads: a process left behind holds slab.
user_processes() { ps -o pid,ppid,stat,args | awk '$4 !~ /^\[/'; }

# kB in use in the general-purpose kmalloc caches (not the accounted
# kmalloc-cg-*, not the reclaimable kmalloc-rcl-*), and per-CPU memory.
kmalloc_kb() { awk '$1 ~ /^kmalloc-[0-9]+k?$/ { s += $2 } END { printf "%d\n", s / 1024 }' "$1"; }
percpu_kb() { awk '/^Percpu:/ { print $2 }' /proc/meminfo; }

# Bytes in use per slab cache, for the report when the figure grew.
slab_snapshot()
{
	awk 'NR > 2 { printf "%s %d\n", $1, $2 * $4 }' /proc/slabinfo 2>/dev/null | sort
}

slab_growth()	# BEFORE AFTER: the objects in use, in total and per cache that moved most, kB
{
	awk 'NR == FNR { b[$1] = $2; next } { t += $2 - b[$1] }
	     END { printf "%8.1f kB  (all caches, objects in use)\n", t / 1024 }' "$1" "$2"
	awk 'NR == FNR { b[$1] = $2; next }
	     { d = ($2 - b[$1]) / 1024; if (d >= 1 || d <= -1) printf "%8.1f kB  %s\n", d, $1 }' "$1" "$2" |
		sort -rn | head -n 12
}

# Node-side TCP sockets that are neither listening nor in TIME_WAIT: a
# flow still closing. Those already there when the scenario started
# (closing.before: an earlier scenario's orphan still retransmitting into
# a drop, say) are not this scenario's and are left out.
closing_sockets()
{
	awk -v before="$W/closing.before" '
		FILENAME == before { seen[$0]; next }
		$4 != "0A" && $4 != "06" && $4 != "st" && !(($2 " " $3) in seen) {
			n++; print > "/dev/stderr" }
		END { print n + 0 }' "$W/closing.before" /proc/net/tcp /proc/net/tcp6
}

vetoed() { dg_counter "$SGP_POD_VETH" "$1" vetoed; }
# vetoed_ge N: both families' vetoed counters are at least N (one CLI call:
# this is polled after every load, with the CPUs busy).
vetoed_ge()
{
	_s=$(dg_json stats dev "$SGP_POD_VETH") || return 1
	_v4=$(printf '%s' "$_s" | sed -n 's/.*"ipv4":{[^}]*"vetoed":\([0-9]*\).*/\1/p')
	_v6=$(printf '%s' "$_s" | sed -n 's/.*"ipv6":{[^}]*"vetoed":\([0-9]*\).*/\1/p')
	[ "${_v4:-0}" -ge "$1" ] && [ "${_v6:-0}" -ge "$1" ]
}
monitored_ge() { [ "$(dg_counter eth0 ipv4 demux_calls)" -ge "$1" ]; }

# ---- workers ----------------------------------------------------------------

# veth_churn FIRST COUNT: veth pairs FIRST .. FIRST+COUNT-1, BATCH at a time.
# Pair j is vlanc<j> (veto by rule) or ethc<j> (monitor by rule), peer
# chp<j> (no rule), with explicit indexes; then explicit modes on a few,
# renames that move names in and out of rules (vlanc -> chr: no rule;
# ethc -> vlanr: monitor -> veto), and deletion.
veth_churn()
{
	set +e	# a worker keeps going; what must not fail is a violation
	_first=$1
	_end=$(($1 + $2))
	_i=$_first
	_batchno=0
	_done=$(counted veth)
	while [ "$_i" -lt "$_end" ]; do
		_n=$((_end - _i))
		[ "$_n" -le "$BATCH" ] || _n=$BATCH
		_base=$((IDX_BASE + (_i / BATCH % 2) * 2 * BATCH))
		_add=
		_ren=
		_del=
		_names=
		_j=$_i
		_slot=0
		while [ "$_j" -lt $((_i + _n)) ]; do
			_ix=$((_base + 2 * _slot))
			if [ $((_j % 2)) -eq 0 ]; then
				_add="$_add
link add vlanc$_j index $_ix type veth peer name chp$_j index $((_ix + 1))"
				_ren="$_ren
link set vlanc$_j name chr$_j"
				_del="$_del
link del chr$_j"
				_names="$_names vlanc$_j chp$_j"
			else
				_add="$_add
link add ethc$_j index $_ix type veth peer name chp$_j index $((_ix + 1))"
				_ren="$_ren
link set ethc$_j name vlanr$_j"
				_del="$_del
link del vlanr$_j"
				_names="$_names ethc$_j chp$_j"
			fi
			_j=$((_j + 1))
			_slot=$((_slot + 1))
		done
		printf '%s\n' "$_add" | /sbin/ip -force -batch - >>"$W/veth.log" 2>&1 ||
			violation "veth: creating pairs $_i.. failed (see veth.log)"
		# Every one of these reuses the index of an interface deleted
		# earlier, some of which had an explicit mode: none may show one.
		if _ex=$(explicit_names 2>/dev/null); then
			for _x in $_ex; do
				case " $_names " in
				*" $_x "*) violation "veth: new interface $_x came up with an explicit mode" ;;
				esac
			done
		fi
		# Explicit modes on the first few pairs of the batch.
		cli set dev "chp$_i" mode veto
		cli set dev "chp$((_i + 1))" mode monitor
		cli set dev "vlanc$_i" mode off
		cli set dev "ethc$((_i + 1))" mode veto
		cli unset dev "chp$((_i + 1))"
		cli stats dev "chp$_i"
		printf '%s\n' "$_ren" | /sbin/ip -force -batch - >>"$W/veth.log" 2>&1 ||
			violation "veth: renaming pairs $_i.. failed (see veth.log)"
		cli show dev "vlanr$((_i + 1))"
		printf '%s\n' "$_del" | /sbin/ip -force -batch - >>"$W/veth.log" 2>&1 ||
			violation "veth: deleting pairs $_i.. failed (see veth.log)"
		_i=$((_i + _n))
		_done=$((_done + _n))
		_batchno=$((_batchno + 1))
		count veth "$_done"
	done
}

# netns_churn FIRST COUNT: namespaces with policy, created and deleted.
netns_churn()
{
	set +e
	_k=$1
	_end=$(($1 + $2))
	_done=$(counted netns)
	while [ "$_k" -lt "$_end" ]; do
		_ns=chns$_k
		if ! ip netns add "$_ns" 2>>"$W/netns.log"; then
			violation "netns: cannot create $_ns"
			_k=$((_k + 1))
			continue
		fi
		# Index 10 in every namespace: a new namespace reuses the index
		# the last one gave its explicitly set interface.
		/sbin/ip -n "$_ns" -force -batch - >>"$W/netns.log" 2>&1 <<-EOF || :
			link set lo up
			link add v0 index 10 type veth peer name p0 index 11
			link add vlan7 type veth peer name q7
		EOF
		if _ex=$(explicit_names "$_ns" 2>/dev/null) && [ -n "$_ex" ]; then
			violation "netns: new namespace $_ns has explicit modes on: $_ex"
		fi
		# An interface with an explicit mode moves in from the root
		# namespace: its mode stays behind.
		ip link add "mv$_k" type veth peer name "mvp$_k" 2>>"$W/netns.log" || :
		cli set dev "mv$_k" mode veto
		ip link set dev "mv$_k" netns "$_ns" 2>>"$W/netns.log" || :
		_e=$(show_entry -n "$_ns" show dev "mv$_k" 2>/dev/null) || _e=
		case $_e in
		*explicit*) violation "netns: mv$_k kept its explicit mode in $_ns: $_e" ;;
		esac
		cli -n "$_ns" rule add prefix v mode veto
		cli -n "$_ns" rule add prefix "" mode monitor
		cli -n "$_ns" set dev v0 mode monitor
		cli -n "$_ns" set dev p0 mode veto
		cli -n "$_ns" set dev "mv$_k" mode monitor
		cli -n "$_ns" stats
		cli -n "$_ns" stats reset
		# Deleted with all of that in place.
		ip netns del "$_ns" 2>>"$W/netns.log" || violation "netns: cannot delete $_ns"
		ip link del "mvp$_k" 2>/dev/null || :
		_k=$((_k + 1))
		_done=$((_done + 1))
		count netns "$_done"
	done
}

# policy_churn TAG IF_A IF_B: rules and explicit modes in the root
# namespace until told to stop, one change at a time with a pause between
# (the point is changes racing everything else; the VM's two CPUs are for
# all of it). Never touches the vlan and eth rules the flows depend on.
policy_churn()
{
	set +e
	_ops=0
	_step=0
	while ! stopping; do
		case $_step in
		0) cli rule add prefix ch mode monitor ;;
		1) cli rule add prefix chp mode veto ;;
		2) cli set dev "$2" mode monitor ;;
		3) cli rule add prefix "" mode off ;;
		4) cli set dev "$3" mode veto ;;
		5) cli unset dev "$2" ;;
		6) cli rule del prefix chp ;;
		7) cli rule add prefix st mode veto ;;
		8) cli rule del prefix "" ;;
		9) cli stats reset dev "$3" ;;
		10) cli unset dev "$3" ;;
		11) cli rule del prefix st ;;
		*) cli rule del prefix ch; _step=-1 ;;
		esac && _ops=$((_ops + 1))
		_step=$((_step + 1))
		count "policy$1" "$_ops"
		sleep 0.2
	done
}

# reader N: dumps and resets until told to stop, one at a time.
reader()
{
	set +e
	_reads=0
	_resets=0
	_step=0
	while ! stopping; do
		case $_step in
		0) cli stats && _reads=$((_reads + 1)) ;;
		1) cli -j show && _reads=$((_reads + 1)) ;;
		2) cli rule show && _reads=$((_reads + 1)) ;;
		3) cli -j status && _reads=$((_reads + 1)) ;;
		4) cli stats dev "$SGP_POD_VETH" && _reads=$((_reads + 1)) ;;
		*) cli stats reset && _resets=$((_resets + 1)); _step=-1 ;;
		esac
		_step=$((_step + 1))
		count "reads$1" "$_reads"
		count "resets$1" "$_resets"
		sleep 0.2
	done
}

sum_counts()	# PREFIX: the sum of PREFIX*.count
{
	cat "$W/$1"*.count 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# unload_load: one cycle; modprobe -r is refused while a dump holds the
# module, so it is retried.
unload_load()
{
	_t=0
	until modprobe -r demuxguard 2>>"$W/cycle.log"; do
		_t=$((_t + 1))
		[ $_t -lt 100 ] || return 1
		sleep 0.05
	done
	modprobe demuxguard "rules=$RULES"
}

warm_up()
{
	DG_QUIET=1
	veth_churn 0 "$BATCH" && netns_churn 0 2
}

flows_closed()
{
	_c=$(closing_sockets)
	echo "$_c node-side sockets neither listening nor in TIME_WAIT"
	[ "$_c" -eq 0 ]
}

# poll TIMEOUT_MS CMD...: busywait at a gentler pace, for a command that
# costs a CLI call.
poll()
{
	_end=$(( $(dg_now_ms) + $1 ))
	shift
	until "$@" 2>/dev/null; do
		[ "$(dg_now_ms)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}

# wait_worker NAME PID: a check on a background worker's exit status (check
# runs its command in a subshell, which cannot wait for our children).
wait_worker()
{
	if wait "$2"; then pass "$1"; else fail "$1" "exit $?"; fi
}

# ---- set-up -----------------------------------------------------------------

sgp_up
# The flows stall while the module is out (the pod's segments are dropped
# on vlanabc again). A low minimum retransmission timeout on both ends'
# routes makes them resume within a fraction of a second of each load
# rather than after seconds of exponential backoff.
check "flows: rto_min 20ms on the node's and the pod's routes" sh -c "
	/sbin/ip route change $SGP_POD_NET4 via $SGP_NODE_GW4 dev $SGP_NODE_IF rto_min 20ms &&
	/sbin/ip route change $SGP_POD_NET6 via $SGP_NODE_GW6 dev $SGP_NODE_IF rto_min 20ms &&
	/sbin/ip -n $SGP_POD_NS route change default via $SGP_POD_GW4 dev eth0 rto_min 20ms &&
	/sbin/ip -n $SGP_POD_NS route change ::/0 via $SGP_POD_GW6 dev eth0 rto_min 20ms"
check "static interfaces st0..st3" ip_batch root "link add st0 type veth peer name st1
link add st2 type veth peer name st3"
defer ip link del st2
defer ip link del st0
# The module is loaded and unloaded by this scenario alone: CLI calls made
# while it is out must fail, not load it back without its rules.
modprobe_path=$(cat /proc/sys/kernel/modprobe)
defer eval "echo '$modprobe_path' >/proc/sys/kernel/modprobe"
echo /bin/false >/proc/sys/kernel/modprobe
defer dg_unload

# A short round of everything first, so that what the kernel allocates
# once (per-CPU pools, slab pages, lazily created caches) is there before
# the baseline is taken.
check "warm-up: load with rules=$RULES" modprobe demuxguard "rules=$RULES"
check "warm-up: a flow through veto" dgnet rr "$SGP_POD_IP4" "$SGP_PORT" -n 20 -b 64 -i 1 -t "$OK_MS"
check "warm-up: veth and namespace churn" warm_up
check "warm-up: unload/load cycle" unload_load
check "warm-up: unload" dg_unload
rm -f "$W"/*.count "$W"/*.trace "$W/violations"
kmem_before=$(settle)
slab_snapshot >"$W/slab.before"
percpu_before=$(percpu_kb)
echo "# before: $(grep -E '^(SUnreclaim|Percpu):' /proc/meminfo | tr -s ' \n' ' ')," \
	"$(($(user_processes | wc -l) - 1)) processes"

# ---- phase 1: everything at once, with unload/load cycles -------------------

check "load with rules=$RULES" modprobe demuxguard "rules=$RULES"
# Started directly rather than through run_bg, so that $! is dgnet itself
# and killing it closes the flows before the memory is measured.
dgnet rr "$SGP_POD_IP4" "$SGP_PORT" -n 100000000 -b 64 -i 5 -t 30000 >"$W/flow4.log" 2>&1 &
flow4=$!
defer kill_bg "$flow4"
dgnet rr "$SGP_POD_IP6" "$SGP_PORT" -n 100000000 -b 64 -i 5 -t 30000 >"$W/flow6.log" 2>&1 &
flow6=$!
defer kill_bg "$flow6"
check "flows: both families vetoed on $SGP_POD_VETH" busywait 10000 vetoed_ge 10
check "flows: eth0 monitored" busywait 10000 monitored_ge 10

t0=$(dg_now_ms)
veth1=$((VETH * 3 / 4 / BATCH * BATCH))
netns1=$((NETNS * 3 / 4))
export DG_QUIET=1
veth_churn 0 "$veth1" >/dev/null 2>&1 &
pid_veth=$!
netns_churn 0 "$netns1" >/dev/null 2>&1 &
pid_netns=$!
policy_churn 1 st0 st1 >/dev/null 2>&1 &
pid_pol1=$!
policy_churn 2 st2 st3 >/dev/null 2>&1 &
pid_pol2=$!
pid_readers=
r=0
while [ $r -lt "$READERS" ]; do
	r=$((r + 1))
	reader "$r" >/dev/null 2>&1 &
	pid_readers="$pid_readers $!"
done
unset DG_QUIET
# If the scenario dies half way, stop the workers with it.
defer sh -c "touch $W/stop; kill $pid_veth $pid_netns $pid_pol1 $pid_pol2 $pid_readers 2>/dev/null || :"

cycles=0
cycles_vetoed=0
ms_reload=0
ms_resume=0
while [ $cycles -lt "$CYCLES" ]; do
	_a=$(dg_now_ms)
	if ! unload_load; then
		echo "# cycle $((cycles + 1)): $(tail -n 3 "$W/cycle.log")"
		break
	fi
	cycles=$((cycles + 1))
	_b=$(dg_now_ms)
	# The guard is back: the flows, stalled or not while it was out, are
	# vetoed again. (Readers reset counters: any count is progress.)
	if poll 15000 vetoed_ge 1; then
		cycles_vetoed=$((cycles_vetoed + 1))
	fi
	ms_reload=$((ms_reload + _b - _a))
	ms_resume=$((ms_resume + $(dg_now_ms) - _b))
	# Progress, for a long run and for a run that dies half way.
	[ $((cycles % 10)) -ne 0 ] ||
		echo "# $cycles cycles, $(counted veth) veth pairs, $(counted netns) namespaces after" \
			"$(( ($(dg_now_ms) - t0) / 1000 )) s; a cycle: unload+load $((ms_reload / cycles)) ms," \
			"flows vetoed again $((ms_resume / cycles)) ms later"
done
check_output "cycles: $CYCLES unload/load cycles under churn" "$CYCLES" echo "$cycles"
check_output "cycles: traffic vetoed after every load" "$CYCLES" echo "$cycles_vetoed"
wait_worker "phase 1: veth churn finished" "$pid_veth"
wait_worker "phase 1: namespace churn finished" "$pid_netns"
t1=$(dg_now_ms)

# ---- phase 2: the same churn, module left loaded ----------------------------

export DG_QUIET=1
veth_churn "$veth1" $((VETH - veth1)) >/dev/null 2>&1 &
pid_veth=$!
netns_churn "$netns1" $((NETNS - netns1)) >/dev/null 2>&1 &
pid_netns=$!
unset DG_QUIET
wait_worker "phase 2: veth churn finished" "$pid_veth"
wait_worker "phase 2: namespace churn finished" "$pid_netns"
touch "$W/stop"
for p in $pid_pol1 $pid_pol2 $pid_readers; do
	wait "$p" || :
done
t2=$(dg_now_ms)

pairs=$(counted veth)
namespaces=$(counted netns)
policy_ops=$(sum_counts policy)
reads=$(sum_counts reads)
resets=$(sum_counts resets)
check_output "veth: $VETH pairs created, renamed and deleted" "$VETH" echo "$pairs"
check_output "netns: $NETNS namespaces with policy created and deleted" "$NETNS" echo "$namespaces"
check "policy: rule add/del and set/unset went through ($policy_ops)" test "$policy_ops" -gt 0
check "readers: dumps answered ($reads), counters reset ($resets)" \
	test "$reads" -gt 0 -a "$resets" -gt 0
violations() { cat "$W/violations" 2>/dev/null || :; }
check_output "no interface inherited policy, none kept it across namespaces" "" violations
leftovers()
{
	ip -o link show | grep -oE ' (vlanc|ethc|vlanr|chp|chr|mv|mvp)[0-9]+[:@]' || :
	ip netns list | grep chns || :
}
check_output "no interface or namespace left behind" "" leftovers

check "flows: ipv4 flow alive" kill -0 "$flow4"
check "flows: ipv6 flow alive" kill -0 "$flow6"
check "flows: ipv4 still vetoed" busywait_for_counter 10000 5 vetoed ipv4
check "flows: ipv6 still vetoed" busywait_for_counter 10000 5 vetoed ipv6
check "flows: eth0 still monitored" busywait_for_counter 10000 5 dg_counter eth0 ipv4 demux_calls

# ---- an index reused with the system quiet -----------------------------------

# What the policy workers left (they stop at any point of their cycle):
# every rule but the two the flows need, every explicit mode.
drop_policy()	# PREFIX...: rules to keep
{
	_keep=" $* "
	for _p in $(dg_json rule show | tr '}' '\n' | sed -n 's/.*"prefix":"\([^"]*\)".*/\1/p'); do
		case $_keep in *" $_p "*) continue ;; esac
		demuxguard rule del prefix "$_p" || return 1
	done
	# The empty prefix does not survive the word splitting above.
	if dg_json rule show | grep -q '"prefix":""'; then
		demuxguard rule del prefix "" || return 1
	fi
	for _x in $(explicit_names); do
		demuxguard unset dev "$_x" || return 1
	done
}
check "policy: the workers' rules and explicit modes removed" drop_policy vlan eth

reuse_check()
{
	# Explicit, rule-given and monitor policy on three interfaces...
	ip link add rsa0 index 3001 type veth peer name rsb0 index 3002 &&
	ip link add vlanrs index 3003 type veth peer name rsc0 index 3004 &&
	demuxguard set dev rsa0 mode veto &&
	demuxguard set dev rsb0 mode monitor &&
	demuxguard set dev vlanrs mode off || return 1
	echo "before: rsa0 $(show_entry show dev rsa0), vlanrs $(show_entry show dev vlanrs)"
	ip link del rsa0 && ip link del vlanrs || return 1
	# ...gone; new interfaces take their indexes.
	ip link add plain1 index 3001 type veth peer name plain2 index 3002 &&
	ip link add vlanrt index 3003 type veth peer name plain4 index 3004 || return 1
	_bad=0
	for _d in plain1 plain2 plain4; do
		_e=$(show_entry show dev "$_d")
		echo "$_d ($(cat "/sys/class/net/$_d/ifindex")): $_e"
		[ "$_e" = "off none" ] || _bad=1
	done
	_e=$(show_entry show dev vlanrt)
	echo "vlanrt ($(cat /sys/class/net/vlanrt/ifindex)): $_e"
	[ "$_e" = "veto rule vlan" ] || _bad=1
	ip link del plain1
	ip link del vlanrt
	return "$_bad"
}
check "reuse: new interfaces on deleted ones' indexes have only their own policy" reuse_check

reuse_ns_check()
{
	ip netns add rsns1 &&
	ip -n rsns1 link add rsx0 index 40 type veth peer name rsx1 index 41 &&
	demuxguard -n rsns1 set dev rsx0 mode veto &&
	demuxguard -n rsns1 rule add prefix rs mode monitor &&
	ip netns del rsns1 &&
	ip netns add rsns2 &&
	ip -n rsns2 link add rsx0 index 40 type veth peer name rsx1 index 41 || return 1
	_e=$(show_entry -n rsns2 show dev rsx0)
	_r=$(dg_json -n rsns2 rule show)
	echo "rsx0 in a new namespace, index 40: $_e; rules: $_r"
	ip netns del rsns2
	[ "$_e" = "off none" ] && [ "$_r" = "[]" ]
}
check "reuse: a new namespace starts without the last one's policy" reuse_ns_check

# ---- objects back to zero ---------------------------------------------------------

kill_bg "$flow4"
kill_bg "$flow6"
# Let the flows close while their packets are still vetoed, so no socket
# is left retransmitting into the drop when the memory is measured.
busywait 10000 flows_closed || :
check "flows: closed" flows_closed
check "policy: every rule removed" drop_policy
objects_are() { [ "$(objects)" = "$1" ]; }
objects_zero()
{
	busywait 20000 objects_are "interfaces 0 rules 0"
	_o=$(objects)
	echo "$_o"
	[ "$_o" = "interfaces 0 rules 0" ]
}
check "objects: the module holds no interfaces and no rules" objects_zero

# ---- memory back to where it was ---------------------------------------------------

check "unload" dg_unload
kmem_after=$(settle)
slab_snapshot >"$W/slab.after"
percpu_after=$(percpu_kb)
echo "# after: $(grep -E '^(SUnreclaim|Percpu):' /proc/meminfo | tr -s ' \n' ' ')," \
	"$(($(user_processes | wc -l) - 1)) processes"
echo "# unreclaimable slab + per-CPU memory: before $kmem_before kB, after $kmem_after kB," \
	"growth $((kmem_after - kmem_before)) kB"
slab_growth "$W/slab.before" "$W/slab.after" | sed 's/^/# /'
growth=$(( $(kmalloc_kb "$W/slab.after") - $(kmalloc_kb "$W/slab.before") + percpu_after - percpu_before ))
name="memory: kmalloc caches + per-CPU back to the baseline (grew $growth kB, at most $SLAB_TOL_KB)"
if grep -qw kasan_report /proc/kallsyms; then
	# KASAN keeps freed objects in a quarantine of up to 1/32 of memory,
	# and debugobjects keeps its tracking objects: the figure cannot come
	# back here. kmemleak (checkers-report.sh) judges leaks on this kernel.
	skip "memory: kmalloc caches + per-CPU back to the baseline" \
		"KASAN kernel: freed objects sit in its quarantine (grew by $growth kB)"
elif [ "$growth" -le "$SLAB_TOL_KB" ]; then
	pass "$name"
else
	fail "$name" "caches that grew most, and the processes left:" \
		"$(slab_growth "$W/slab.before" "$W/slab.after"; user_processes)"
fi

check_klog "kernel log: clean after churn"
# How long each worker took (first and last progress, seconds).
for f in "$W"/*.trace; do
	awk -v n="$(basename "$f" .trace)" 'NR == 1 { a = $1 } { b = $1; v = $2 }
		END { printf "# %-9s %6d in %5.1f s\n", n, v, (b - a) / 1000 }' "$f"
done
echo "CHURN: veth pairs $pairs, namespaces $namespaces, unload/load cycles $cycles," \
	"policy ops $policy_ops, reads $reads, resets $resets," \
	"phase 1 $(( (t1 - t0) / 1000 )) s, phase 2 $(( (t2 - t1) / 1000 )) s," \
	"kmalloc + per-CPU growth $growth kB"
dg_finish
