/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fibwalk.h - doctor's model of the kernel's policy routing, used to
 * explain a verdict: which rule, which table, which route. The verdict
 * itself comes from the kernel (RTM_GETROUTE, doctor_gather.c) whenever
 * the kernel could be asked; this walk says why, and is what the unit
 * tests exercise without a kernel.
 */
#ifndef DG_FIBWALK_H
#define DG_FIBWALK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doctor.h"

/* What became of a packet, by the walk's reckoning. */
enum dg_fate {
	DG_FATE_CONTINUE,	/* -EAGAIN: on to the next rule */
	DG_FATE_LOCAL,		/* delivered to the node */
	DG_FATE_FORWARD,	/* routed away from the node: the drop can happen */
	DG_FATE_DROP,		/* dropped for another reason (not forwarded) */
	DG_FATE_UNROUTED,	/* no rule answered: dropped as unreachable */
};

struct dg_outcome {
	enum dg_fate fate;
	const struct dg_fib_rule *rule;
	const struct dg_fib_route *route;	/* NULL: the rule's own action */
	bool forwarding_off;	/* a forward that forwarding=0 drops */
	bool suppressed;	/* suppress_prefixlength refused the route */
};

/* The rules of one family, in the kernel's order (priority, then age). */
struct dg_family_rules {
	uint8_t family;
	const struct dg_fib_rule **v;
	size_t n;
	const struct dg_fib_rule *local;	/* first `lookup local` */
	/* The node's addresses: RTN_LOCAL routes of the local table. */
	const uint8_t **addrs;
	size_t n_addrs;
};

int dg_family_rules_init(struct dg_family_rules *fr, uint8_t family,
			 const struct dg_doctor_input *in);
void dg_family_rules_free(struct dg_family_rules *fr);

/* What the walk says about interface X in one family. */
struct dg_walk_view {
	bool considered;	/* X is the input of an iif rule here */
	const struct dg_fib_rule *probe;	/* X's first iif rule */
	bool fwd, fwd_sure;	/* some (all) packets routed away */
	struct dg_outcome fwd_at;
	char address[INET6_ADDRSTRLEN];	/* the node address routed away */
	/* Per node address (fr->addrs order): FORWARD, LOCAL or DROP. */
	enum dg_fate *fates;
	/* The input interface the routing sees (X, or for IPv6 the VRF
	 * device X is enslaved to), and the VRF's table (0: none). */
	char iif[IFNAMSIZ];
	uint32_t vrf_table;
	char reason[384];
};

/*
 * Walk the rules of @fr for packets to each node address arriving on
 * @ifname (@link: that interface, NULL if it does not exist). 0, or
 * -ENOMEM. Free with dg_walk_view_free().
 */
int dg_walk_interface(struct dg_walk_view *fv, const struct dg_family_rules *fr,
		      const struct dg_doctor_input *in,
		      const struct dg_link *link, const char *ifname);
void dg_walk_view_free(struct dg_walk_view *fv);

const struct dg_link *dg_find_link(const struct dg_doctor_input *in,
				   const char *name);
const struct dg_link *dg_find_link_index(const struct dg_doctor_input *in,
					 uint32_t ifindex);
/* The VRF device @l is, or is enslaved to; NULL if none (or @l NULL). */
const struct dg_link *dg_vrf_of(const struct dg_doctor_input *in,
				const struct dg_link *l);
/*
 * The interface whose name the routing sees for a packet of @family
 * received on @l: @l itself, or for IPv6 the VRF device @l is enslaved to
 * (ip6_rcv_finish() hands the packet to the VRF device before routing;
 * IPv4 routes it with the enslaved device as input).
 */
const struct dg_link *dg_route_iif(const struct dg_doctor_input *in,
				   const struct dg_link *l, uint8_t family);

/* Text forms, as ip prints them. */
unsigned int dg_addr_bits(uint8_t family);
bool dg_prefix_has(const struct dg_prefix *p, const uint8_t *addr);
void dg_format_addr(char *buf, size_t len, uint8_t family, const uint8_t *addr);
const char *dg_table_name(uint32_t table, char *buf, size_t len);
const char *dg_route_type_name(uint8_t type);
void dg_format_route(char *buf, size_t len, const struct dg_fib_route *r);
void dg_format_rule(char *buf, size_t len, const struct dg_fib_rule *r);

#endif /* DG_FIBWALK_H */
