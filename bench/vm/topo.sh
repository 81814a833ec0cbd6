# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# bench/vm/topo.sh - the benchmark's node, built from namespaces inside the
# VM (sourced after /dg/lib.sh). It owns the topology and the servers; the
# benchmark scripts only switch configurations and time traffic.
#
#  namespace "client"            root namespace = the node          namespace "server"
#  +------------------+    +-------------------------------+    +------------------+
#  | eth0 10.1.0.2/24 |----| cli0 10.1.0.1   srv0 10.2.0.1 |----| eth0 10.2.0.2/24 |
#  | default via      |veth|  ip_forward=1                 |veth| default via      |
#  |   10.1.0.1       |    |  dgbench serve 0.0.0.0       |    |   10.2.0.1       |
#  +------------------+    |                               |    | dgbench serve    |
#                          | oth0 10.3.0.1 (no traffic)    |    +------------------+
#                          +--------|----------------------+
#                                   | veth
#                          +--------|---------+
#                          | eth0 10.3.0.2/24 | namespace "other"
#                          +------------------+
#
# "terminated": client -> 10.1.0.1, served in the root namespace (the
# node's own sockets: early demux finds them). "forwarded": client ->
# 10.2.0.2, routed through the root namespace (early demux looks up and
# finds nothing; ip_forward() sees every segment). oth0 stands for the
# node's other interfaces: a mode set there arms the probes without
# touching the measured traffic.
#
# Veth pairs between namespaces, not loopback: loopback keeps the route on
# the skb and never runs early demux. Every neighbour is static and IPv6 is
# off, so no ARP, NDP or MLD traffic lands in a measurement.
#
# Interface: bench_topo_setup, BENCH_PORT (dgbench uses it and the next
# port), BENCH_TERM_ADDR, BENCH_FWD_ADDR, BENCH_NODE_ADDR_SRV (the node as
# seen from the server namespace).

# Read by the scripts that source this file.
# shellcheck disable=SC2034
{
BENCH_PORT=7000
BENCH_TERM_ADDR=10.1.0.1
BENCH_FWD_ADDR=10.2.0.2
BENCH_NODE_ADDR_SRV=10.2.0.1
}

# bench_pair ROOTDEV NS ROOTADDR NSADDR: a veth from the node to NS with a
# /24 between them, static neighbours both ways, NS routing via the node.
bench_pair()
{
	_dev=$1 _ns=$2 _ra=$3 _na=$4
	ns_create "$_ns" || return 1
	defer ns_del "$_ns"
	dg_ns_exec "$_ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || return 1
	ip link add "$_dev" type veth peer name eth0 netns "$_ns" || return 1
	ip link set "$_dev" up || return 1
	ip addr add "$_ra/24" dev "$_dev" || return 1
	ip -n "$_ns" addr add "$_na/24" dev eth0 || return 1
	ip -n "$_ns" link set eth0 up || return 1
	ip -n "$_ns" route add default via "$_ra" || return 1
	ip neigh replace "$_na" lladdr "$(dg_mac "$_ns" eth0)" nud permanent \
		dev "$_dev" || return 1
	ip -n "$_ns" neigh replace "$_ra" lladdr "$(dg_mac root "$_dev")" \
		nud permanent dev eth0 || return 1
}

bench_topo_setup()
{
	# Before any veth exists, so none gets an IPv6 address.
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=1 ||
		return 1
	modprobe veth || return 1
	bench_pair cli0 client 10.1.0.1 10.1.0.2 || return 1
	bench_pair srv0 server 10.2.0.1 10.2.0.2 || return 1
	bench_pair oth0 other 10.3.0.1 10.3.0.2 || return 1

	# The node's server answers on every address (terminated traffic from
	# both sides in the parallel run), the server namespace's on its own.
	run_bg root dgbench serve 0.0.0.0 "$BENCH_PORT" -w "${BENCH_WORKERS:-1}"
	run_bg server dgbench serve "$BENCH_FWD_ADDR" "$BENCH_PORT" \
		-w "${BENCH_WORKERS:-1}"
	bench_wait_listen root && bench_wait_listen server
}

# bench_wait_listen NS: dgbench listens on both its ports in NS.
bench_wait_listen()
{
	_p1=$(printf '%04X' "$BENCH_PORT")
	_p2=$(printf '%04X' $((BENCH_PORT + 1)))
	busywait 10000 dg_ns_exec "$1" sh -c \
		"grep -q ':$_p1 00000000:0000 0A' /proc/net/tcp &&
		 grep -q ':$_p2 00000000:0000 0A' /proc/net/tcp"
}

# bench_mib NS FILE GROUP FIELD: a counter of /proc/net/snmp or
# /proc/net/netstat in NS by name, e.g. bench_mib root snmp Ip: ForwDatagrams.
bench_mib()
{
	dg_ns_exec "$1" cat "/proc/net/$2" | awk -v g="$3" -v f="$4" '
		$1 == g && !h { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1; next }
		$1 == g && h && c { print $c; exit }'
}
