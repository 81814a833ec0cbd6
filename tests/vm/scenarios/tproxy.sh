#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tproxy - a TPROXY rule on a guarded interface keeps delivering to its
# proxy. Service meshes intercept a pod's outgoing connections with TPROXY
# (nft_tproxy / xt_TPROXY in PREROUTING): the rule attaches the proxy's
# transparent socket to the packet, with the same sock_edemux destructor as
# early demux, and a fwmark rule routes it to the local table. On the SGP
# node of sgp.sh the pod connects to a virtual address (VIP:7777) that
# exists nowhere; a transparent listener on the node (:9999) answers for it.
# Shown first: without the TPROXY rule the connection fails; then it works
# without the module, with the module loaded, and with the pod interface in
# veto (on its rx_handler, then on netfilter ingress): vetoed counts the
# pod's packets and the proxy still gets every connection, IPv4 and IPv6.
#
# nft and the nf_tables/nft_tproxy modules are in every initramfs
# (mkinitramfs.sh): without them the image is broken, which fails here
# rather than skipping.

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/sgp.sh
. /dg/demuxguard.sh

check "setup: nft in the VM" nft --version
check "setup: nft_tproxy and its deps in the module tree" modprobe -n nft_tproxy
[ "$DG_NFAIL" -eq 0 ] || dg_finish

OK_MS=8000
FAIL_MS=1500
POD=$SGP_POD_VETH
VIP4=10.9.9.9
VIP6=fd00:9::9
VPORT=7777
PROXY_PORT=9999
MARK=0x1d
TABLE=300

klog_mark tproxy
sgp_up
run_bg root dgnet serve -T any "$PROXY_PORT"
check "proxy: transparent listener on :$PROXY_PORT" dgnet waitlisten -t 5000 "$PROXY_PORT"

pod_to_vip()	# FAMILY ARGS...
{
	_fam=$1
	shift
	if [ "$_fam" = ipv4 ]; then _a=$VIP4; else _a=$VIP6; fi
	run_in "$SGP_POD_NS" dgnet connect "$_a" "$VPORT" "$@"
}

for fam in ipv4 ipv6; do
	check_fail "no tproxy: $fam pod->VIP fails (nothing has that address)" \
		pod_to_vip $fam -b 100 -t "$FAIL_MS"
done

tproxy_up()
{
	ip rule add pref 5 fwmark "$MARK" lookup "$TABLE" &&
	ip route add local 0.0.0.0/0 dev lo table "$TABLE" &&
	ip -6 rule add pref 5 fwmark "$MARK" lookup "$TABLE" &&
	ip -6 route add local ::/0 dev lo table "$TABLE" &&
	nft -f - <<EOF
table ip dgtp {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		iifname "$POD" tcp dport $VPORT tproxy to :$PROXY_PORT meta mark set $MARK accept
	}
}
table ip6 dgtp {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		iifname "$POD" tcp dport $VPORT tproxy to :$PROXY_PORT meta mark set $MARK accept
	}
}
EOF
}
tproxy_down()
{
	nft delete table ip dgtp 2>/dev/null
	nft delete table ip6 dgtp 2>/dev/null
	ip rule del pref 5 2>/dev/null
	ip -6 rule del pref 5 2>/dev/null
	ip route flush table "$TABLE" 2>/dev/null
	ip -6 route flush table "$TABLE" 2>/dev/null
	:
}
defer tproxy_down
check "tproxy: rule on $POD, fwmark $MARK to local table $TABLE" tproxy_up

works()	# PHASE
{
	for fam in ipv4 ipv6; do
		check "$1: $fam pod->VIP reaches the proxy (3 connections)" \
			pod_to_vip $fam -n 3 -b 1000 -t "$OK_MS"
		check "$1: $fam pod->VIP request/response through the proxy" \
			run_in "$SGP_POD_NS" dgnet rr "$([ $fam = ipv4 ] && echo $VIP4 || echo $VIP6)" \
			"$VPORT" -n 20 -b 100 -t "$OK_MS"
	done
}

works "no module"

check_here "module: loads" dg_load
works "loaded, no policy"

check "veto: set dev $POD mode veto" demuxguard set dev "$POD" mode veto
check_output "veto: $POD on its rx_handler" rx_handler dg_field "$POD" veto_hook
works "veto (rx_handler)"
for fam in ipv4 ipv6; do
	check "veto: $fam vetoed counts the pod's packets" dg_counter_is "$POD" $fam vetoed -ge 10
done
check "veto: the proxy's flows did not need the probes" sh -c \
	'. /dg/demuxguard.sh; [ "$(dg_armed)" = "false false false false" ]'

check "veto: unset, then a macvlan takes the rx_handler" sh -c \
	"demuxguard unset dev $POD && ip link add dgmv0 link $POD type macvlan mode bridge"
defer sh -c "ip link del dgmv0 2>/dev/null || :"
check "veto: set dev $POD mode veto again" demuxguard set dev "$POD" mode veto
check_output "veto: $POD on nf_ingress" nf_ingress dg_field "$POD" veto_hook
works "veto (nf_ingress)"
check "veto: unset dev $POD" demuxguard unset dev "$POD"

check_klog "kernel log: clean after tproxy"
dg_finish
