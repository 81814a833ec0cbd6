#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# textpatch - checks the emulator, not the module: the kernel patches its
# own text (x86 text_poke_bp(): an int3 first, then the new bytes) while
# other CPUs run it. Here netfilter's ingress static key, which
# __netif_receive_skb_core() tests for every packet, is flipped DG_FLIPS
# times (an nft netdev ingress chain on lo added and deleted) while TCP
# request/response flows keep both vCPUs receiving. demuxguard is never
# loaded. A stock kernel on hardware survives this; under QEMU 7.2's
# multi-threaded TCG it does not (tests/vm/README.md):
#   DG_TCG_THREAD=multi tests/vm/run.sh -k 7.3 textpatch   # Oops: int3
#   tests/vm/run.sh -k 7.3 textpatch                        # one TCG thread
# Not in make check's plan: it is the evidence for run.sh's choice of one
# TCG thread, and the way to re-check that choice on another QEMU.

# shellcheck disable=SC2317,SC2119
set -eu
# shellcheck source=SCRIPTDIR/../lib.sh
. /dg/lib.sh
# shellcheck source=SCRIPTDIR/../sgp.sh
. /dg/sgp.sh

FLIPS=${DG_FLIPS:-100}
OK_MS=8000
NODE_PORT=9090

klog_mark textpatch
check "setup: nft in the VM" nft --version
[ "$DG_NFAIL" -eq 0 ] || dg_finish
sgp_up
# Forwarding is not under test: early demux off, both directions work.
ns_sysctl root net.ipv4.tcp_early_demux=0
run_bg root dgnet serve any "$NODE_PORT"
check "node: server listens" dgnet waitlisten -t 5000 "$NODE_PORT"
flows=
run_bg root dgnet rr "$SGP_POD_IP4" "$SGP_PORT" -n 100000000 -b 100 -t "$OK_MS"
flows="$flows $DG_BG_PID"
run_bg "$SGP_POD_NS" dgnet rr "$SGP_NODE_IP4" "$NODE_PORT" -n 100000000 -b 100 -t "$OK_MS"
flows="$flows $DG_BG_PID"

flip()
{
	_i=0
	while [ "$_i" -lt "$FLIPS" ]; do
		nft add table netdev dgflip &&
		nft add chain netdev dgflip in \
			'{ type filter hook ingress device lo priority 0; }' &&
		nft delete table netdev dgflip || return 1
		_i=$((_i + 1))
		[ $((_i % 25)) -ne 0 ] || echo "textpatch: $_i flips" >&2
	done
}
check "textpatch: $FLIPS ingress static key flips under traffic" flip
for p in $flows; do
	check "textpatch: flow $p still alive" kill -0 "$p"
	kill_bg "$p"
done
check_klog "kernel log: clean after textpatch"
dg_finish
