#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# doctor-routing - doctor's verdict for the pod's host veth against what a
# real probe does, in routing set-ups the plain SGP node does not have.
# Every case: doctor's verdict for vlanabc (and, where it matters, the
# kernel's answer it rests on), then a TCP connect from the node to the pod
# (the kubelet's probe), then the check that the two agree: "at risk"
# means the connect times out, and works with tcp_early_demux=0 (so early
# demux is the cause); "not affected" means it works with early demux on.
#   - baseline: the SGP node, no policy: at risk, connect times out;
#   - mitigation doctor was not written for: `iif vlanabc lookup local`
#     ahead of the pod's rule: the kernel delivers locally, not affected;
#     (IPv4 needs accept_local on vlan.eth.101 then: forwarding the node's
#     SYN to the pod checks its source with a reverse lookup whose input is
#     the output device, vlanabc, and that lookup now finds the node's
#     address local, a martian source without accept_local; the same in
#     the next case, where the reverse lookup falls through to local);
#   - the same rule for the pod's source only: the rule walk, which cannot
#     know the source, still finds a forward; the kernel, asked with the
#     pod's address, delivers: not affected, and the disagreement reported;
#   - a dead next hop: table 201's default route out of a device whose link
#     is down, with ignore_routes_with_linkdown: the kernel skips the route,
#     the local rule delivers: not affected; without the sysctl the kernel
#     forwards out the dead link: at risk (and the connect fails);
#   - strict rp_filter on vlanabc: the kernel's answer (it checks the
#     source like it does for the pod's packets) still forwards: at risk;
#   - per-interface IPv6 forwarding off on vlanabc
#     (net.ipv6.conf.vlanabc.forwarding=0, all=1): ip6_forward() reads only
#     "all", so still at risk in IPv6, and the IPv6 connect still times out;
#   - VRF: vlanabc enslaved to VRF vrfpod. IPv4 routes it with vlanabc as
#     input (the iif rule applies: routed away), IPv6 with the VRF device
#     (the iif rule never applies: delivered). With tcp_l3mdev_accept=0
#     early demux never attaches the node's unbound socket there: not
#     affected, connect works; with tcp_l3mdev_accept=1: IPv4 at risk and
#     its connect times out, IPv6 not affected and its connect works.
#
#  the SGP node of sgp.sh, plus:
#    dgdead -- veth -- dgdeadp (left down: dgdead has no carrier)
#    vrfpod (VRF, table 301), vlanabc enslaved to it for the last case
#
# The veto part (protected, connect works) is doctor.sh's.

# shellcheck disable=SC2317
set -eu
. /dg/lib.sh
. /dg/sgp.sh
. /dg/demuxguard.sh

FAIL_MS=1500
OK_MS=8000
POD=$SGP_POD_VETH

doc_json()
{
	demuxguard -j doctor 2>/dev/null || :
}

# doc_if IFNAME: IFNAME's object in the report.
doc_if()
{
	doc_json | awk '{ gsub(/\},\{"ifname"/, "}\n{\"ifname\""); print }' |
		grep -F "\"ifname\":\"$1\"" || :
}

# doc_verdict IFNAME: its verdict.
doc_verdict()
{
	doc_if "$1" | sed -n 's/.*"verdict":"\([^"]*\)".*/\1/p'
}

# doc_has IFNAME TEXT: IFNAME's object contains TEXT (prints it).
doc_has()
{
	_o=$(doc_if "$1")
	printf '%s\n' "${_o:-(no object for $1)}"
	case $_o in *"$2"*) return 0 ;; esac
	return 1
}

# doc_top_has TEXT: the whole report contains TEXT.
doc_top_has()
{
	_j=$(doc_json)
	printf '%s\n' "$_j"
	case $_j in *"$1"*) return 0 ;; esac
	return 1
}

# doc_text_has ERE: the text report matches ERE.
doc_text_has()
{
	_t=$(demuxguard doctor 2>&1) || :
	printf '%s\n' "$_t"
	printf '%s\n' "$_t" | grep -Eq -- "$1"
}

# doc_families IFNAME: the families it routes node addresses away in.
doc_families()
{
	doc_if "$1" | sed -n 's/.*"family":\[\([^]]*\)\].*/\1/p' | tr -d '"'
}

# accept_local 0|1 on the VLAN device (its name has dots: sysctl's
# dotted form cannot name it).
accept_local()
{
	echo "$1" >"/proc/sys/net/ipv4/conf/vlan.eth.$SGP_VLAN/accept_local"
}

probe()
{
	if [ "$1" = ipv4 ]; then _a=$SGP_POD_IP4; else _a=$SGP_POD_IP6; fi
	dgnet connect "$_a" "$SGP_PORT" -t "$2"
}

# agree CASE FAMILY: doctor's word on vlanabc in FAMILY against the probe.
# At risk in FAMILY: the probe must time out with early demux on and work
# with it off; otherwise it must work with early demux on.
agree()
{
	_case=$1
	_fam=$2
	_v=$(doc_verdict "$POD")
	case ",$(doc_families "$POD")," in
	*",$_fam,"*) _routed=1 ;;
	*) _routed=0 ;;
	esac
	if [ "$_v" = "at risk" ] && [ "$_routed" = 1 ]; then
		check_fail_grep "$_case: $_fam: doctor says at risk, the probe times out" \
			"timed out" probe "$_fam" "$FAIL_MS"
		sgp_demux 0
		check "$_case: $_fam: ... and works with early demux off" \
			probe "$_fam" "$OK_MS"
		sgp_demux 1
	else
		check "$_case: $_fam: doctor says ${_v:-?} (routed away: $_routed), the probe works" \
			probe "$_fam" "$OK_MS"
	fi
}

klog_mark doctor-routing
sgp_up
check_here "module: loads" dg_load

# --- the plain SGP node: at risk, and the probe agrees ------------------------
expect_exit 3 "sgp: doctor exits 3" demuxguard doctor
check "sgp: $POD at risk in both families" \
	doc_has "$POD" '"verdict":"at risk","family":["ipv4","ipv6"]'
check "sgp: the kernel forwards ipv4 out vlan.eth.101 from table 201" \
	doc_has "$POD" '"family":"ipv4","address":"10.0.1.10","source":"10.0.2.20","iif":"vlanabc","result":"forward","type":"unicast","table":201,"oif":"vlan.eth.101","error":null}'
check "sgp: ... and ipv6" \
	doc_has "$POD" '"family":"ipv6","address":"fd00:1::10","source":"fd00:2::20","iif":"vlanabc","result":"forward","type":"unicast","table":201,"oif":"vlan.eth.101","error":null}'
check "sgp: the rule walk agrees" doc_has "$POD" '"disagreement":null}'
agree sgp ipv4
agree sgp ipv6

# --- a mitigation doctor was not written for: iif vlanabc lookup local --------
check "iif->local: rules" ip_batch root "rule add iif $POD lookup local pref 5"
check "iif->local: accept_local on vlan.eth.$SGP_VLAN (see the top)" \
	accept_local 1
check "iif->local: ipv6 rule" ip_batch root -6 "rule add iif $POD lookup local pref 5"
check "iif->local: $POD not affected" \
	doc_has "$POD" '"verdict":"not affected","family":[]'
check "iif->local: the kernel delivers ipv4 locally" \
	doc_has "$POD" '"iif":"vlanabc","result":"local","type":"local","table":255'
check "iif->local: the reason names the local table" \
	doc_has "$POD" 'table local delivers the node'"'"'s addresses locally'
agree iif-local ipv4
agree iif-local ipv6
check "iif->local: remove the rules" ip_batch root "rule del pref 5"
check "iif->local: accept_local off" \
	accept_local 0
check "iif->local: remove the ipv6 rule" ip_batch root -6 "rule del pref 5"
check_output "iif->local: at risk again" "at risk" doc_verdict "$POD"

# --- the same for the pod's source only: the walk cannot tell, the kernel can -----
# `from POD_IP iif vlanabc lookup local`: the walk, which knows no source,
# sees it "may match" and still finds a forward for every other source;
# the kernel, asked with the pod's address, delivers. The verdict follows
# the kernel, and the report names the disagreement.
check "from-pod->local: rule" \
	ip_batch root "rule add from $SGP_POD_IP4 iif $POD lookup local pref 5"
check "from-pod->local: accept_local" accept_local 1
check "from-pod->local: $POD routes node addresses away in ipv6 only" \
	doc_has "$POD" '"verdict":"at risk","family":["ipv6"]'
check "from-pod->local: the disagreement is reported" \
	doc_has "$POD" '"disagreement":"ipv4: for 10.0.1.10 from 10.0.2.20 arriving on vlanabc the kernel delivers it locally (local route, table local), where the rule walk expected a forward"'
check "from-pod->local: counted" doc_top_has '"disagreements":1,'
check "from-pod->local: and said in text" doc_text_has \
	'^the rule walk disagrees with the kernel on 1 interface'
agree from-pod-local ipv4
check "from-pod->local: remove the rule" ip_batch root "rule del pref 5"
check "from-pod->local: accept_local off" accept_local 0

# --- a next hop whose link is down --------------------------------------------
check "linkdown: dgdead without carrier, table 201 default out of it" ip_batch root "\
link add dgdead type veth peer name dgdeadp
link set dgdead up
route replace default dev dgdead table 201"
defer ip link del dgdead
check "linkdown: ipv6 default out of it" ip_batch root -6 \
	"route replace default dev dgdead table 201"
check "linkdown: ignore_routes_with_linkdown" ns_sysctl root \
	net.ipv4.conf.dgdead.ignore_routes_with_linkdown=1 \
	net.ipv6.conf.dgdead.ignore_routes_with_linkdown=1
check "linkdown: accept_local on vlan.eth.$SGP_VLAN (see the top)" accept_local 1
check "linkdown: $POD not affected" \
	doc_has "$POD" '"verdict":"not affected","family":[]'
check "linkdown: the reason names the dead route" \
	doc_has "$POD" "table 201's route for the node's addresses (default dev dgdead) has no usable next hop"
check "linkdown: the kernel delivers locally" \
	doc_has "$POD" '"iif":"vlanabc","result":"local"'
agree linkdown ipv4
agree linkdown ipv6
check "linkdown: without ignore_routes_with_linkdown" ns_sysctl root \
	net.ipv4.conf.dgdead.ignore_routes_with_linkdown=0 \
	net.ipv6.conf.dgdead.ignore_routes_with_linkdown=0
check "linkdown: the kernel forwards out the dead link: at risk" \
	doc_has "$POD" '"verdict":"at risk","family":["ipv4","ipv6"]'
check "linkdown: ... out dgdead" doc_has "$POD" '"result":"forward","type":"unicast","table":201,"oif":"dgdead"'
check_fail_grep "linkdown: and the probe times out" "timed out" probe ipv4 "$FAIL_MS"
check "linkdown: accept_local off" \
	accept_local 0
check "linkdown: table 201's default back via the VPC" ip_batch root "\
route replace default via $SGP_SUBNET_GW4 dev vlan.eth.$SGP_VLAN table 201"
check "linkdown: ... ipv6" ip_batch root -6 \
	"route replace default via $SGP_SUBNET_GW6 dev vlan.eth.$SGP_VLAN table 201"

# --- strict rp_filter on the pod's veth: the kernel applies it to its answer ------
# The reverse-path check of a forward looks the source up with the output
# device as input: table 201 routes the pod's address back out of vlanabc,
# so a strict filter passes the pod's packets, and doctor's query with them.
check "rp_filter: net.ipv4.conf.$POD.rp_filter=1" ns_sysctl root "net.ipv4.conf.$POD.rp_filter=1"
check "rp_filter: the kernel still forwards ipv4 from the pod's address" \
	doc_has "$POD" '"family":"ipv4","address":"10.0.1.10","source":"10.0.2.20","iif":"vlanabc","result":"forward"'
agree rp-filter ipv4
check "rp_filter: off" ns_sysctl root "net.ipv4.conf.$POD.rp_filter=0"

# --- per-interface IPv6 forwarding off -----------------------------------------
check "v6 forwarding: net.ipv6.conf.$POD.forwarding=0 (all stays 1)" \
	ns_sysctl root "net.ipv6.conf.$POD.forwarding=0"
check_output "v6 forwarding: all is still 1" 1 cat /proc/sys/net/ipv6/conf/all/forwarding
check "v6 forwarding: $POD still at risk in ipv6" \
	doc_has "$POD" '"verdict":"at risk","family":["ipv4","ipv6"]'
check "v6 forwarding: the kernel still forwards ipv6" \
	doc_has "$POD" '"family":"ipv6","address":"fd00:1::10","source":"fd00:2::20","iif":"vlanabc","result":"forward"'
agree v6-forwarding ipv6
check "v6 forwarding: back on" ns_sysctl root "net.ipv6.conf.$POD.forwarding=1"

# --- VRF ---------------------------------------------------------------------------
require_module vrf
podmac=$(_sgp_mac "$SGP_VLAN" 1)
check "vrf: vrfpod, table 301" ip_batch root "\
link add vrfpod type vrf table 301
link set vrfpod up"
defer ip rule del pref 1000 l3mdev
defer ip -6 rule del pref 1000 l3mdev
defer ip link del vrfpod
# Enslaving cycles the device: its routes and neighbours go, put them back.
check "vrf: $POD enslaved, its pod route and neighbour back" ip_batch root "\
link set $POD master vrfpod
route replace $SGP_POD_IP4 dev $POD scope link table 201
neigh replace $SGP_POD_IP4 lladdr $podmac dev $POD nud permanent
route replace $SGP_POD_IP6 dev $POD table 201
neigh replace $SGP_POD_IP6 lladdr $podmac dev $POD nud permanent"
check "vrf: tcp_l3mdev_accept=0" ns_sysctl root net.ipv4.tcp_l3mdev_accept=0
check "vrf: ipv4 asked with $POD as input, ipv6 with vrfpod" \
	doc_has "$POD" '"family":"ipv6","address":"fd00:1::10","source":"fd00:2::20","iif":"vrfpod","result":"local"'
check "vrf: ipv4 routed away, ipv6 not" \
	doc_has "$POD" '"family":["ipv4"]'
check "vrf: ipv6 reason: the iif rule does not apply in the VRF" \
	doc_has "$POD" 'vlanabc is enslaved to VRF vrfpod, which IPv6 routing takes as the input interface'
check "vrf, l3mdev_accept 0: not affected, and why" \
	doc_has "$POD" 'but vlanabc is in VRF vrfpod and net.ipv4.tcp_l3mdev_accept is 0'
check_output "vrf, l3mdev_accept 0: verdict" "not affected" doc_verdict "$POD"
agree vrf-accept0 ipv4
check "vrf: tcp_l3mdev_accept=1" ns_sysctl root net.ipv4.tcp_l3mdev_accept=1
check_output "vrf, l3mdev_accept 1: at risk" "at risk" doc_verdict "$POD"
check "vrf, l3mdev_accept 1: in ipv4 only" doc_has "$POD" '"family":["ipv4"]'
agree vrf-accept1 ipv4
agree vrf-accept1 ipv6
check "vrf: tcp_l3mdev_accept=0 again" ns_sysctl root net.ipv4.tcp_l3mdev_accept=0

check_klog "kernel log: clean after doctor-routing"
dg_finish
