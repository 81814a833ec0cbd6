# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# tests/vm/sgp.sh - the Amazon EKS "security groups for pods" (SGP) node,
# built from namespaces inside the test VM (sourced after lib.sh). It owns
# the topology that reproduces the drop demuxguard prevents (DESIGN.md,
# "Reproducing it in a VM"); scenarios only add traffic and assertions.
#
#  namespace $SGP_VPC_NS ("vpc"): the VPC fabric, forwarding on
#  +-------------------------------------------------------------------+
#  | node0  10.0.1.1/24  fd00:1::1/64       trunk0 (802.1Q trunk)      |
#  |   (node subnet gateway)                  |                        |
#  |                                       trunk0.101  10.0.2.1         |
#  |                                          |        fd00:2::1        |
#  |                                          | (branch subnet gateway; |
#  |                                          |  route to the pod IP,   |
#  |                                          |  static neighbour to    |
#  |                                          |  vlan.eth.101's MAC)    |
#  +----|-------------------------------------|------------------------+
#       | veth                                | veth, VLAN 101 both ends
#  +----|-------------------------------------|------------------------+
#  | eth0  10.0.1.10/24  fd00:1::10/64      eth1                       |
#  |                                          |                        |
#  |                                       vlan.eth.101   (no address) |
#  |  main:      10.0.2.0/24, fd00:2::/64 via the node subnet gateway  |
#  |  table 201: default via 10.0.2.1 / fd00:2::1 dev vlan.eth.101      |
#  |             10.0.2.20 / fd00:2::20 dev vlanabc                     |
#  |  rules:     10  iif vlan.eth.101 lookup 201                       |
#  |             10  iif vlanabc lookup 201                            |
#  |             20  lookup local          (moved from 0 by the CNI)   |
#  |                                                                   |
#  |  root namespace = the node                     vlanabc            |
#  +------------------------------------------------|------------------+
#                                                   | veth
#                               +-------------------|-----------------+
#                               | namespace "pod"  eth0                |
#                               |   10.0.2.20/32  fd00:2::20/128       |
#                               |   default via 169.254.1.1 / fe80::1  |
#                               |   (static neighbour: vlanabc's MAC)  |
#                               +--------------------------------------+
#
# Node -> pod: the SYN leaves eth0 (main table), the VPC hands it back on
# VLAN 101, rule "iif vlan.eth.101" forwards it out vlanabc. The SYN-ACK
# arrives on vlanabc; rule "iif vlanabc" (ahead of the moved local rule)
# routes it out vlan.eth.101 to be forwarded round the VPC and back in on
# eth0. But TCP early demux has already found the node's connecting socket
# for it and attached it to the skb, with no cached route to go with it,
# and ip_forward()/ip6_forward() drop any skb that carries a socket. With
# net.ipv4.tcp_early_demux=0 (IPv4 and IPv6) the SYN-ACK makes the round
# trip and the connection works.
#
# Every neighbour the node and the VPC need is static: the VPC's answers are
# not emulated, and with the local rule moved the node would forward, not
# answer, the ARP/NDP it receives on vlan.eth.<id> and vlan<hash>. For the
# same reason IPv6 addresses are added with nodad and DAD is off.
#
# Interface:
#   sgp_setup [SGP_VAR=VALUE...]     node, VPC and the first pod; the
#                                    assignments persist (they configure the
#                                    topology the scenario then reads)
#   sgp_add_pod [SGP_VAR=VALUE...]   one more pod; assignments are local to
#                                    the call (give at least SGP_POD_NS,
#                                    SGP_POD_VETH, SGP_VLAN, SGP_POD_IP4/6)
#   sgp_teardown                     removes everything sgp_* created and
#                                    puts the local rule back at 0; a
#                                    scenario defers it before sgp_setup
#                                    (it copes with a half-built topology)
#                                    so that the next scenario in the same
#                                    VM starts from a clean node
#   sgp_local_rule_pref PREF         move the local rule (both families)
#   sgp_demux 0|1                    set net.ipv4.tcp_early_demux on the node
#                                    (governs IPv6 as well)
# Variables (defaults below); node and VPC:
#   SGP_VPC_NS SGP_NODE_IF SGP_TRUNK_IF SGP_VPC_NODE_IF SGP_VPC_TRUNK_IF
#   SGP_NODE_IP4 SGP_NODE_GW4 SGP_NODE_PLEN4 SGP_NODE_IP6 SGP_NODE_GW6
#   SGP_NODE_PLEN6 SGP_POD_NET4 SGP_POD_NET6 SGP_SUBNET_GW4 SGP_SUBNET_GW6
#   SGP_RULE_PREF SGP_LOCAL_PREF SGP_IPV6 SGP_PORT
# per pod:
#   SGP_POD_NS SGP_POD_VETH SGP_VLAN SGP_TABLE (empty: 100 + SGP_VLAN)
#   SGP_POD_IP4 SGP_POD_IP6 SGP_POD_GW4 SGP_POD_GW6

# Node and VPC.
: "${SGP_VPC_NS:=vpc}"
: "${SGP_NODE_IF:=eth0}"
: "${SGP_TRUNK_IF:=eth1}"
: "${SGP_VPC_NODE_IF:=node0}"
: "${SGP_VPC_TRUNK_IF:=trunk0}"
: "${SGP_NODE_IP4:=10.0.1.10}"
: "${SGP_NODE_GW4:=10.0.1.1}"
: "${SGP_NODE_PLEN4:=24}"
: "${SGP_NODE_IP6:=fd00:1::10}"
: "${SGP_NODE_GW6:=fd00:1::1}"
: "${SGP_NODE_PLEN6:=64}"
: "${SGP_POD_NET4:=10.0.2.0/24}"
: "${SGP_POD_NET6:=fd00:2::/64}"
: "${SGP_SUBNET_GW4:=10.0.2.1}"
: "${SGP_SUBNET_GW6:=fd00:2::1}"
: "${SGP_RULE_PREF:=10}"
: "${SGP_LOCAL_PREF:=20}"
: "${SGP_IPV6:=1}"
: "${SGP_PORT:=8080}"
# The first pod.
: "${SGP_POD_NS:=pod}"
: "${SGP_POD_VETH:=vlanabc}"
: "${SGP_VLAN:=101}"
: "${SGP_TABLE:=}"
: "${SGP_POD_IP4:=10.0.2.20}"
: "${SGP_POD_IP6:=fd00:2::20}"
: "${SGP_POD_GW4:=169.254.1.1}"
: "${SGP_POD_GW6:=fe80::1}"

# What sgp_* built, for sgp_teardown: "ns,veth,vlan,table" per pod.
SGP_PODS=
SGP_UP=0

SGP_NODE_VARS=" SGP_VPC_NS SGP_NODE_IF SGP_TRUNK_IF SGP_VPC_NODE_IF"
SGP_NODE_VARS="$SGP_NODE_VARS SGP_VPC_TRUNK_IF SGP_NODE_IP4 SGP_NODE_GW4"
SGP_NODE_VARS="$SGP_NODE_VARS SGP_NODE_PLEN4 SGP_NODE_IP6 SGP_NODE_GW6"
SGP_NODE_VARS="$SGP_NODE_VARS SGP_NODE_PLEN6 SGP_POD_NET4 SGP_POD_NET6"
SGP_NODE_VARS="$SGP_NODE_VARS SGP_SUBNET_GW4 SGP_SUBNET_GW6 SGP_RULE_PREF"
SGP_NODE_VARS="$SGP_NODE_VARS SGP_LOCAL_PREF SGP_IPV6 SGP_PORT "
SGP_POD_VARS=" SGP_POD_NS SGP_POD_VETH SGP_VLAN SGP_TABLE SGP_POD_IP4"
SGP_POD_VARS="$SGP_POD_VARS SGP_POD_IP6 SGP_POD_GW4 SGP_POD_GW6 "

# _sgp_assign CLASS ARG...: apply the SGP_VAR=VALUE arguments whose
# variable belongs to CLASS ("node" or "pod"); reject unknown variables.
# Assigning to a name the calling function made local changes that local.
_sgp_assign()
{
	_class=$1
	shift
	for _a in "$@"; do
		_var=${_a%%=*}
		case "$SGP_NODE_VARS$SGP_POD_VARS" in
		*" $_var "*) ;;
		*) echo "sgp: unknown setting: $_a" >&2; return 1 ;;
		esac
		if [ "$_class" = node ]; then
			case $SGP_NODE_VARS in *" $_var "*) ;; *) continue ;; esac
		else
			case $SGP_POD_VARS in *" $_var "*) ;; *) continue ;; esac
		fi
		eval "$_var=\${_a#*=}"
	done
}

# _sgp NS CMD...: run_in, remembering a failure; _sgp_batch NS [OPT]
# CMDS: the same for ip_batch. The set-up functions go on after a failed
# step (each later step then reports its own error) and return non-zero at
# the end; "set -e" cannot do this for a function called in a condition.
SGP_FAILED=0
_sgp()
{
	run_in "$@" && return 0
	echo "sgp: FAILED: [$1] $*" >&2
	SGP_FAILED=1
}

_sgp_batch()
{
	ip_batch "$@" && return 0
	echo "sgp: FAILED: an ip batch in namespace $1" >&2
	SGP_FAILED=1
}

_sgp_v6()
{
	[ "$SGP_IPV6" = 1 ]
}

# _sgp_mac VLAN ROLE: fixed, locally administered MACs, so that every
# static neighbour entry can be written before the devices exist and the
# whole set-up runs as a few ip batches. ROLE: 1 pod eth0, 2 host veth,
# 3 node VLAN device, 4 VPC VLAN device.
_sgp_mac()
{
	printf '02:00:%02x:%02x:00:%02x' $(($1 >> 8)) $(($1 & 255)) "$2"
}

# sgp_demux 0|1: the global switch the anchors' fix flips, on the node.
sgp_demux()
{
	run_in root sysctl -qw "net.ipv4.tcp_early_demux=$1"
}

# sgp_local_rule_pref PREF: move the local rule (add first, then delete,
# so that there is never a moment without one).
sgp_local_rule_pref()
{
	for _f in 4 6; do
		[ "$_f" = 4 ] || _sgp_v6 || continue
		_cur=$(ip -$_f rule show | sed -n 's/^\([0-9]*\):[[:space:]]*from all lookup local *$/\1/p' | head -n1)
		[ "$_cur" = "$1" ] && continue
		_sgp_batch root -$_f "rule add pref $1 lookup local
${_cur:+rule del pref $_cur lookup local}"
	done
}

sgp_setup()
{
	_sgp_assign node "$@" || return 1
	SGP_UP=1
	SGP_FAILED=0
	_sgp root modprobe -a veth 8021q

	# The node forwards between its pods and the VPC, as an EKS node does.
	_sgp root sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0

	ns_create "$SGP_VPC_NS" || SGP_FAILED=1
	_sgp "$SGP_VPC_NS" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

	# Primary ENI and trunk ENI: two veths to the VPC. The pod subnet is
	# somewhere in the VPC: the main table reaches it over the primary ENI.
	_sgp_batch root "\
link add $SGP_NODE_IF type veth peer name $SGP_VPC_NODE_IF netns $SGP_VPC_NS
link add $SGP_TRUNK_IF type veth peer name $SGP_VPC_TRUNK_IF netns $SGP_VPC_NS
addr add $SGP_NODE_IP4/$SGP_NODE_PLEN4 dev $SGP_NODE_IF
link set $SGP_NODE_IF up
link set $SGP_TRUNK_IF up
route add $SGP_POD_NET4 via $SGP_NODE_GW4 dev $SGP_NODE_IF
$(_sgp_v6 && echo "\
addr add $SGP_NODE_IP6/$SGP_NODE_PLEN6 dev $SGP_NODE_IF nodad
route add $SGP_POD_NET6 via $SGP_NODE_GW6 dev $SGP_NODE_IF")"

	_sgp_batch "$SGP_VPC_NS" "\
addr add $SGP_NODE_GW4/$SGP_NODE_PLEN4 dev $SGP_VPC_NODE_IF
link set $SGP_VPC_NODE_IF up
link set $SGP_VPC_TRUNK_IF up
$(_sgp_v6 && echo "\
addr add $SGP_NODE_GW6/$SGP_NODE_PLEN6 dev $SGP_VPC_NODE_IF nodad")"

	# What the VPC CNI does once per node when SGP is on.
	sgp_local_rule_pref "$SGP_LOCAL_PREF"

	_node_failed=$SGP_FAILED
	sgp_add_pod "$@" && [ "$_node_failed" = 0 ]
}

sgp_add_pod()
{
	local SGP_POD_NS="$SGP_POD_NS" SGP_POD_VETH="$SGP_POD_VETH" \
		SGP_VLAN="$SGP_VLAN" SGP_TABLE="$SGP_TABLE" \
		SGP_POD_IP4="$SGP_POD_IP4" SGP_POD_IP6="$SGP_POD_IP6" \
		SGP_POD_GW4="$SGP_POD_GW4" SGP_POD_GW6="$SGP_POD_GW6"
	local vlandev vpcvlan table podmac vethmac vlanmac vpcmac

	_sgp_assign pod "$@" || return 1
	[ "$SGP_UP" = 1 ] || { echo "sgp: sgp_add_pod before sgp_setup" >&2; return 1; }
	SGP_FAILED=0
	vlandev=vlan.eth.$SGP_VLAN
	vpcvlan=$SGP_VPC_TRUNK_IF.$SGP_VLAN
	table=${SGP_TABLE:-$((100 + SGP_VLAN))}
	podmac=$(_sgp_mac "$SGP_VLAN" 1)
	vethmac=$(_sgp_mac "$SGP_VLAN" 2)
	vlanmac=$(_sgp_mac "$SGP_VLAN" 3)
	vpcmac=$(_sgp_mac "$SGP_VLAN" 4)
	SGP_PODS="$SGP_PODS $SGP_POD_NS,$SGP_POD_VETH,$SGP_VLAN,$table"

	ns_create "$SGP_POD_NS" || SGP_FAILED=1

	# The node: the pod's host veth, the VLAN device of its branch ENI,
	# and the VPC CNI's per-pod table and iif rules.
	_sgp_batch root "\
link add $SGP_POD_VETH address $vethmac type veth peer name eth0 address $podmac netns $SGP_POD_NS
link add link $SGP_TRUNK_IF name $vlandev address $vlanmac type vlan id $SGP_VLAN
link set $SGP_POD_VETH up
link set $vlandev up
route add $SGP_SUBNET_GW4 dev $vlandev scope link table $table
route add default via $SGP_SUBNET_GW4 dev $vlandev table $table
route add $SGP_POD_IP4 dev $SGP_POD_VETH scope link table $table
neigh replace $SGP_SUBNET_GW4 lladdr $vpcmac dev $vlandev nud permanent
neigh replace $SGP_POD_IP4 lladdr $podmac dev $SGP_POD_VETH nud permanent
rule add iif $vlandev lookup $table pref $SGP_RULE_PREF
rule add iif $SGP_POD_VETH lookup $table pref $SGP_RULE_PREF
$(_sgp_v6 && echo "\
route add $SGP_SUBNET_GW6 dev $vlandev table $table
route add ::/0 via $SGP_SUBNET_GW6 dev $vlandev table $table
route add $SGP_POD_IP6 dev $SGP_POD_VETH table $table
neigh replace $SGP_SUBNET_GW6 lladdr $vpcmac dev $vlandev nud permanent
neigh replace $SGP_POD_IP6 lladdr $podmac dev $SGP_POD_VETH nud permanent")"
	# ip rules have no address here to tell the family by.
	_sgp_v6 && _sgp_batch root -6 "\
rule add iif $vlandev lookup $table pref $SGP_RULE_PREF
rule add iif $SGP_POD_VETH lookup $table pref $SGP_RULE_PREF"

	# The VPC: the branch ENI's VLAN, its subnet gateway and the route
	# to the pod's IP. noprefixroute: several VLANs carry the same gateway
	# address, and each pod IP gets its own host route instead.
	_sgp_batch "$SGP_VPC_NS" "\
link add link $SGP_VPC_TRUNK_IF name $vpcvlan address $vpcmac type vlan id $SGP_VLAN
link set $vpcvlan up
addr add $SGP_SUBNET_GW4/${SGP_POD_NET4#*/} dev $vpcvlan noprefixroute
route add $SGP_POD_IP4/32 dev $vpcvlan
neigh replace $SGP_POD_IP4 lladdr $vlanmac dev $vpcvlan nud permanent
$(_sgp_v6 && echo "\
addr add $SGP_SUBNET_GW6/${SGP_POD_NET6#*/} dev $vpcvlan nodad noprefixroute
route add $SGP_POD_IP6/128 dev $vpcvlan
neigh replace $SGP_POD_IP6 lladdr $vlanmac dev $vpcvlan nud permanent")"

	# The pod: its own address, a link-local gateway on the host veth.
	# The gateway's entries come first, as "replace": a retransmission
	# from an earlier scenario's socket on the node can reach the pod the
	# moment its address is up, and the pod's answer would otherwise
	# create the entry (and "neigh add" then fail) before it is written.
	_sgp_batch "$SGP_POD_NS" "\
link set eth0 up
neigh replace $SGP_POD_GW4 lladdr $vethmac dev eth0 nud permanent
$(_sgp_v6 && echo "\
neigh replace $SGP_POD_GW6 lladdr $vethmac dev eth0 nud permanent")
addr add $SGP_POD_IP4/32 dev eth0
route add $SGP_POD_GW4 dev eth0 scope link
route add default via $SGP_POD_GW4 dev eth0
$(_sgp_v6 && echo "\
addr add $SGP_POD_IP6/128 dev eth0 nodad
route add ::/0 via $SGP_POD_GW6 dev eth0")"
	[ "$SGP_FAILED" = 0 ]
}

# sgp_teardown: undo sgp_setup and every sgp_add_pod, tolerating parts that
# are already gone (ip -force: a failing command does not stop the batch).
# Links are deleted explicitly before their namespaces: a namespace is
# dismantled asynchronously, so "ip netns del" alone would leave the node's
# end of a veth behind for a while.
sgp_teardown()
{
	local p ns veth vlan table cmds4 cmds6
	[ "$SGP_UP" = 1 ] || return 0
	cmds4=
	cmds6=
	for p in $SGP_PODS; do
		IFS=, read -r ns veth vlan table <<-EOF
		$p
		EOF
		cmds4="$cmds4
rule del iif vlan.eth.$vlan lookup $table pref $SGP_RULE_PREF
rule del iif $veth lookup $table pref $SGP_RULE_PREF
route flush table $table
link del $veth
link del vlan.eth.$vlan
netns del $ns"
		cmds6="$cmds6
rule del iif vlan.eth.$vlan lookup $table pref $SGP_RULE_PREF
rule del iif $veth lookup $table pref $SGP_RULE_PREF
route flush table $table"
	done
	if _sgp_v6; then
		ip_batch root -6 -force "$cmds6" 2>/dev/null || :
	fi
	ip_batch root -force "$cmds4
link del $SGP_NODE_IF
link del $SGP_TRUNK_IF
netns del $SGP_VPC_NS" 2>/dev/null || :
	sgp_local_rule_pref 0
	SGP_PODS=
	SGP_UP=0
}

# sgp_up [SGP_VAR=VALUE...]: what a scenario starts with: sgp_setup (on
# failure, report it and end the scenario: nothing after it could mean
# anything), sgp_teardown deferred to the end, the pod's server started and
# listening, and early demux on, as on an EKS node.
sgp_up()
{
	if ! sgp_setup "$@"; then
		fail "sgp: topology set up" "see the FAILED lines above"
		dg_finish
	fi
	defer sgp_teardown
	run_bg "$SGP_POD_NS" dgnet serve any "$SGP_PORT"
	check "pod: server listens" run_in "$SGP_POD_NS" dgnet waitlisten -t 5000 "$SGP_PORT"
	sgp_demux 1
}
