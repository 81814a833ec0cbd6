// SPDX-License-Identifier: GPL-2.0-only
/*
 * fibwalk.c - the rule/route model and its walk (see fibwalk.h): what
 * doctor believes the kernel does with a TCP segment for one of the
 * node's own addresses that arrives on interface X, and the sentence that
 * says why.
 *
 * The walk replays fib_rules_lookup(): the rules in priority order, each
 * matching rule's action (a table lookup, a goto, a drop), stopping at the
 * first answer that is not "go on" (-EAGAIN: no route, a throw route, a
 * suppressed result). A unicast answer makes ip_route_input() forward the
 * packet, and ip_forward()/ip6_forward() drop it whenever early demux has
 * attached a socket. What doctor cannot know about a packet in advance
 * (its source, fwmark, tos, ports, ...) makes a rule "may match", and a
 * route that applies to some packets only (tos, an IPv6 source prefix) a
 * route that "may be chosen": the walk then follows both outcomes, so any
 * way to a forward is found. Also modelled: VRF (an l3mdev rule matches
 * the interface's VRF table; IPv6 routes a packet received on an enslaved
 * interface as received on the VRF device, so `iif <slave>` rules do not
 * apply to it), dead next hops and next hops whose link is down where
 * ignore_routes_with_linkdown is set (the kernel skips such routes), and
 * forwarding switched off.
 *
 * It stays a model: the kernel's own answer (RTM_GETROUTE with RTA_IIF)
 * decides the verdict whenever doctor could ask; doctor.c reports the
 * cases where the two differ.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "buf.h"
#include "fibwalk.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- addresses and text forms --------------------------------------------- */

unsigned int dg_addr_bits(uint8_t family)
{
	return family == AF_INET ? 32 : 128;
}

int dg_prefix_parse(struct dg_prefix *p, const char *s)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long len;

	*p = (struct dg_prefix){ 0 };
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -1;
	len = dg_addr_bits(p->family);
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 ||
		    len > dg_addr_bits(p->family))
			return -1;
	}
	p->len = (uint8_t)len;
	return 0;
}

bool dg_prefix_has(const struct dg_prefix *p, const uint8_t *addr)
{
	unsigned int bits = p->len, i = 0;

	for (; bits >= 8; i++, bits -= 8)
		if (p->addr[i] != addr[i])
			return false;
	if (bits) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits));

		return ((p->addr[i] ^ addr[i]) & mask) == 0;
	}
	return true;
}

void dg_format_addr(char *buf, size_t len, uint8_t family, const uint8_t *addr)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* "default", "10.0.2.20" (a host) or "10.0.0.0/8". */
static void format_prefix(char *buf, size_t len, const struct dg_prefix *p)
{
	char a[INET6_ADDRSTRLEN];

	if (p->len == 0) {
		snprintf(buf, len, "default");
		return;
	}
	dg_format_addr(a, sizeof(a), p->family, p->addr);
	if (p->len == dg_addr_bits(p->family))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, p->len);
}

const char *dg_table_name(uint32_t table, char *buf, size_t len)
{
	switch (table) {
	case RT_TABLE_LOCAL:
		return "local";
	case RT_TABLE_MAIN:
		return "main";
	case RT_TABLE_DEFAULT:
		return "default";
	}
	snprintf(buf, len, "%u", table);
	return buf;
}

const char *dg_route_type_name(uint8_t type)
{
	static const char *const names[] = {
		[RTN_UNICAST] = "unicast", [RTN_LOCAL] = "local",
		[RTN_BROADCAST] = "broadcast", [RTN_ANYCAST] = "anycast",
		[RTN_MULTICAST] = "multicast", [RTN_BLACKHOLE] = "blackhole",
		[RTN_UNREACHABLE] = "unreachable", [RTN_PROHIBIT] = "prohibit",
		[RTN_THROW] = "throw", [RTN_NAT] = "nat",
		[RTN_XRESOLVE] = "xresolve",
	};

	return type < ARRAY_SIZE(names) && names[type] ? names[type] : "unknown";
}

/* "default dev vlan.eth.101", "blackhole 10.0.1.0/24", as ip route. */
void dg_format_route(char *buf, size_t len, const struct dg_fib_route *r)
{
	char p[INET6_ADDRSTRLEN + 8];

	format_prefix(p, sizeof(p), &r->dst);
	snprintf(buf, len, "%s%s%s%s%s",
		 r->type == RTN_UNICAST ? "" : dg_route_type_name(r->type),
		 r->type == RTN_UNICAST ? "" : " ", p,
		 r->dev[0] ? " dev " : "", r->dev);
}

/* "rule 10 (iif vlanabc lookup 201)", in ip rule's words. */
void dg_format_rule(char *buf, size_t len, const struct dg_fib_rule *r)
{
	static const char *const actions[] = {
		[FR_ACT_NOP] = "nop", [FR_ACT_BLACKHOLE] = "blackhole",
		[FR_ACT_UNREACHABLE] = "unreachable",
		[FR_ACT_PROHIBIT] = "prohibit",
	};
	struct sbuf b = { buf, len, 0 };
	char p[INET6_ADDRSTRLEN + 8], t[16];

	buf[0] = '\0';
	sb_printf(&b, "rule %u (", r->priority);
	if (r->invert)
		sb_printf(&b, "not ");
	if (r->src.len) {
		format_prefix(p, sizeof(p), &r->src);
		sb_printf(&b, "from %s ", p);
	}
	if (r->dst.len) {
		format_prefix(p, sizeof(p), &r->dst);
		sb_printf(&b, "to %s ", p);
	}
	if (r->iif[0])
		sb_printf(&b, "iif %s ", r->iif);
	if (r->oif[0])
		sb_printf(&b, "oif %s ", r->oif);
	if (r->action == FR_ACT_TO_TBL)
		sb_printf(&b, "lookup %s)", r->l3mdev ? "[l3mdev-table]" :
			  dg_table_name(r->table, t, sizeof(t)));
	else if (r->action == FR_ACT_GOTO)
		sb_printf(&b, "goto %u)", r->goto_target);
	else if (r->action < ARRAY_SIZE(actions) && actions[r->action])
		sb_printf(&b, "%s)", actions[r->action]);
	else
		sb_printf(&b, "action %u)", r->action);
}

/* ---- links ------------------------------------------------------------------ */

const struct dg_link *dg_find_link(const struct dg_doctor_input *in,
				   const char *name)
{
	for (size_t i = 0; i < in->n_links; i++)
		if (strcmp(in->links[i].name, name) == 0)
			return &in->links[i];
	return NULL;
}

const struct dg_link *dg_find_link_index(const struct dg_doctor_input *in,
					 uint32_t ifindex)
{
	for (size_t i = 0; ifindex && i < in->n_links; i++)
		if (in->links[i].ifindex == ifindex)
			return &in->links[i];
	return NULL;
}

const struct dg_link *dg_vrf_of(const struct dg_doctor_input *in,
				    const struct dg_link *l)
{
	const struct dg_link *m;

	if (!l)
		return NULL;
	if (l->vrf)
		return l;
	m = dg_find_link_index(in, l->master);
	return m && m->vrf ? m : NULL;
}

const struct dg_link *dg_route_iif(const struct dg_doctor_input *in,
				   const struct dg_link *l, uint8_t family)
{
	const struct dg_link *vrf = dg_vrf_of(in, l);

	return family == AF_INET6 && vrf ? vrf : l;
}

/* ---- the rule walk ------------------------------------------------------- */

enum match { M_NO, M_MAYBE, M_YES };

struct walk {
	const struct dg_doctor_input *in;
	const struct dg_fib_rule *const *rules;	/* one family, in order */
	size_t n;
	uint8_t family;
	const char *iif;	/* as the routing sees it (dg_route_iif) */
	uint32_t vrf_table;	/* the l3mdev table of iif, 0: none */
	bool forwarding;	/* the kernel would forward from @iif */
	const uint8_t *addr;
	const struct dg_fib_rule *probe;	/* first `iif X` rule */
	bool want_dead;		/* table_lookup() among dead routes only */
	/*
	 * Side walks already taken, by start: a side walk only ever adds a
	 * possible forward, which depends on nothing but where it starts, so
	 * each is taken once and the whole walk stays within n * n steps.
	 */
	bool *side_done;

	bool fwd;		/* some packets are routed away ... */
	bool fwd_sure;		/* ... or all of them */
	struct dg_outcome fwd_at;
	struct dg_outcome end;	/* where the non-branching path ended */
	enum { P_NOT_REACHED, P_NO_MATCH, P_MATCHED } probe_state;
	struct dg_outcome probe_out;
};

/*
 * fib_rule_match() and fib4/6_rule_match() for a TCP segment for @addr
 * received on w->iif, whose other fields are unknown.
 */
static enum match rule_match(const struct walk *w, const struct dg_fib_rule *r)
{
	enum match m = M_YES;

	if (r->iif[0] && (r->iif_detached || strcmp(r->iif, w->iif) != 0))
		m = M_NO;
	else if (r->oif[0])
		m = M_NO;	/* received packets have no output interface */
	else if (r->dst.len && !dg_prefix_has(&r->dst, w->addr))
		m = M_NO;
	else if (r->ip_proto && r->ip_proto != IPPROTO_TCP)
		m = M_NO;
	else if (r->l3mdev && !w->vrf_table)
		m = M_NO;	/* l3mdev_fib_rule_match(): no VRF, no match */
	else if (r->src.len || r->other_selectors)
		m = M_MAYBE;
	if (r->invert)
		m = m == M_YES ? M_NO : m == M_NO ? M_YES : M_MAYBE;
	return m;
}

/*
 * fib_table_lookup(): longest prefix, then lowest metric, among the
 * routes with a live next hop. @conditional: among the routes that apply
 * to some packets only, the one that would beat @best, or NULL.
 */
static const struct dg_fib_route *table_lookup(const struct walk *w,
					       uint32_t table, bool conditional,
					       const struct dg_fib_route *beat)
{
	const struct dg_fib_route *best = NULL;

	for (size_t i = 0; i < w->in->n_routes; i++) {
		const struct dg_fib_route *r = &w->in->routes[i];

		if (r->family != w->family || r->table != table ||
		    r->dead != w->want_dead || r->conditional != conditional ||
		    !dg_prefix_has(&r->dst, w->addr))
			continue;
		if (!best || r->dst.len > best->dst.len ||
		    (r->dst.len == best->dst.len && r->priority < best->priority))
			best = r;
	}
	if (conditional && best && beat &&
	    !(best->dst.len > beat->dst.len ||
	      (best->dst.len == beat->dst.len && best->priority < beat->priority)))
		return NULL;
	return best;
}

/* The answer of route @rt (NULL: none) found by rule @r. */
static struct dg_outcome route_outcome(const struct walk *w,
				       const struct dg_fib_rule *r,
				       const struct dg_fib_route *rt)
{
	struct dg_outcome o = { .fate = DG_FATE_CONTINUE, .rule = r, .route = rt };

	if (!rt)
		return o;
	switch (rt->type) {
	case RTN_THROW:
		return o;
	case RTN_UNICAST:
	case RTN_LOCAL:
	case RTN_BROADCAST:
	case RTN_ANYCAST:
	case RTN_MULTICAST:
		/* Results without an error code are subject to suppression. */
		if (r->suppress_prefixlen >= 0 &&
		    rt->dst.len <= r->suppress_prefixlen) {
			o.suppressed = true;
			return o;
		}
		break;
	default:
		o.fate = DG_FATE_DROP;
		return o;
	}
	if (rt->type == RTN_UNICAST) {
		o.fate = w->forwarding ? DG_FATE_FORWARD : DG_FATE_DROP;
		o.forwarding_off = !w->forwarding;
	} else if (rt->type == RTN_MULTICAST) {
		o.fate = DG_FATE_DROP;	/* a martian for a unicast address */
	} else {
		o.fate = DG_FATE_LOCAL;
	}
	return o;
}

/*
 * fib4/6_rule_action() and the suppress check, then ip_route_input().
 * @*cond: the answer for the packets a conditional route applies to, if
 * such a route would be chosen for them (its fate is CONTINUE otherwise).
 */
static struct dg_outcome apply_rule(const struct walk *w,
				    const struct dg_fib_rule *r,
				    struct dg_outcome *cond)
{
	const struct dg_fib_route *rt, *crt;
	uint32_t table = r->l3mdev ? w->vrf_table : r->table;

	*cond = (struct dg_outcome){ .fate = DG_FATE_CONTINUE, .rule = r };
	if (r->action != FR_ACT_TO_TBL) {
		/* blackhole, unreachable, prohibit and unknown actions */
		return (struct dg_outcome){ .fate = DG_FATE_DROP, .rule = r };
	}
	rt = table_lookup(w, table, false, NULL);
	crt = table_lookup(w, table, true, rt);
	if (crt)
		*cond = route_outcome(w, r, crt);
	return route_outcome(w, r, rt);
}

static int find_priority(const struct walk *w, uint32_t prio)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->rules[i]->priority == prio)
			return (int)i;
	return -1;
}

/* Remember a forward; @sure: every packet on the main path takes it. */
static void note_forward(struct walk *w, const struct dg_outcome *o, bool sure)
{
	if (o->fate == DG_FATE_FORWARD && (!w->fwd || (!w->fwd_sure && sure))) {
		w->fwd = true;
		w->fwd_sure = sure;
		w->fwd_at = *o;
	}
}

/*
 * fib_rules_lookup() from rule @i. @on_main: the path of packets that every
 * "may match" rule so far did not match; a "may match" rule that answers
 * records its answer (a forward, if it is one) and the walk goes on with
 * the packets it did not match; a "may match" goto is followed as a side
 * walk. Gotos only jump forward (the kernel refuses others), so this ends.
 */
static void walk_from(struct walk *w, size_t i, bool on_main)
{
	for (; i < w->n; i++) {
		const struct dg_fib_rule *r = w->rules[i];
		struct dg_outcome o, cond;
		enum match m;

		m = rule_match(w, r);
		if (on_main && r == w->probe)
			w->probe_state = m == M_NO ? P_NO_MATCH : P_MATCHED;
		if (m == M_NO)
			continue;
		if (r->action == FR_ACT_GOTO) {
			int j = find_priority(w, r->goto_target);

			if (j < 0 || (size_t)j <= i)
				continue;	/* unresolved: the kernel skips it */
			if (m == M_YES) {
				i = (size_t)j - 1;
				continue;
			}
			if (!w->side_done[j]) {
				w->side_done[j] = true;
				walk_from(w, (size_t)j, false);
			}
			continue;
		}
		if (r->action == FR_ACT_NOP)
			continue;

		o = apply_rule(w, r, &cond);
		if (on_main && r == w->probe)
			w->probe_out = o;
		if (m == M_YES && r->suppress_ifgroup && o.fate != DG_FATE_CONTINUE)
			m = M_MAYBE;	/* the route's device group decides */
		/* A route for some packets only: they may be forwarded. */
		note_forward(w, &cond, false);
		note_forward(w, &o, on_main && m == M_YES);
		if (o.fate == DG_FATE_CONTINUE || m != M_YES)
			continue;
		if (on_main)
			w->end = o;
		return;
	}
	if (on_main)
		w->end = (struct dg_outcome){ .fate = DG_FATE_UNROUTED };
}

/* ---- the rules of a family ------------------------------------------------- */

static int cmp_rule_ptr(const void *a, const void *b)
{
	const struct dg_fib_rule *x = *(const struct dg_fib_rule *const *)a;
	const struct dg_fib_rule *y = *(const struct dg_fib_rule *const *)b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	/* Same priority: keep the order they came in (the kernel's). */
	return x < y ? -1 : x > y;
}

/*
 * Addresses a node socket can be bound to and that arrive from outside.
 * Loopback addresses arriving on another interface are martians, and
 * IPv6 link-local destinations are looked up strictly on the receiving
 * interface; neither is a node-to-pod TCP peer.
 */
static bool node_address(const struct dg_fib_route *r)
{
	const uint8_t *a = r->dst.addr;

	if (r->table != RT_TABLE_LOCAL || r->type != RTN_LOCAL ||
	    r->conditional)
		return false;
	if (r->family == AF_INET)
		return a[0] != 127;
	if (r->family == AF_INET6) {
		static const uint8_t loopback[16] = { [15] = 1 };

		return memcmp(a, loopback, 16) != 0 &&
		       !(a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
	}
	return false;
}

int dg_family_rules_init(struct dg_family_rules *fr, uint8_t family,
			 const struct dg_doctor_input *in)
{
	*fr = (struct dg_family_rules){ .family = family };
	fr->v = calloc(in->n_rules + 1, sizeof(*fr->v));
	fr->addrs = calloc(in->n_routes + 1, sizeof(*fr->addrs));
	if (!fr->v || !fr->addrs)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_rules; i++)
		if (in->rules[i].family == family)
			fr->v[fr->n++] = &in->rules[i];
	qsort(fr->v, fr->n, sizeof(*fr->v), cmp_rule_ptr);
	for (size_t i = 0; i < fr->n; i++) {
		const struct dg_fib_rule *r = fr->v[i];

		if (r->action == FR_ACT_TO_TBL && r->table == RT_TABLE_LOCAL &&
		    !r->invert && !r->l3mdev) {
			fr->local = r;
			break;
		}
	}
	for (size_t i = 0; i < in->n_routes; i++) {
		const struct dg_fib_route *r = &in->routes[i];
		bool dup = false;

		if (r->family != family || !node_address(r))
			continue;
		/* A VRF's local table repeats the address: once is enough. */
		for (size_t k = 0; k < fr->n_addrs && !dup; k++)
			dup = memcmp(fr->addrs[k], r->dst.addr, 16) == 0;
		if (!dup)
			fr->addrs[fr->n_addrs++] = r->dst.addr;
	}
	return 0;
}

void dg_family_rules_free(struct dg_family_rules *fr)
{
	free(fr->v);
	free(fr->addrs);
	fr->v = NULL;
	fr->addrs = NULL;
}

/* ---- explaining ------------------------------------------------------------- */

/* The reason a family does not route node addresses away from X. */
static void explain_no_forward(struct dg_walk_view *fv, const struct walk *w,
			       const struct dg_family_rules *fr,
			       const char *ifname)
{
	struct sbuf b = { fv->reason, sizeof(fv->reason), 0 };
	char probe[160], rule[160] = "", route[96], t[16];
	const struct dg_outcome *o = &w->probe_out;
	const char *tn = dg_table_name(fv->probe->l3mdev ? w->vrf_table :
				       fv->probe->table, t, sizeof(t));

	dg_format_rule(probe, sizeof(probe), fv->probe);
	if (strcmp(w->iif, ifname) != 0)
		sb_printf(&b, "%s is enslaved to VRF %s, which IPv6 routing "
			  "takes as the input interface: ", ifname, w->iif);
	switch (w->probe_state) {
	case P_NOT_REACHED:
		if (w->end.rule)
			dg_format_rule(rule, sizeof(rule), w->end.rule);
		if (w->end.fate == DG_FATE_LOCAL && w->end.rule == fr->local)
			sb_printf(&b, "the local rule (%u) comes first: the "
				  "node's addresses are delivered before %s",
				  fr->local->priority, probe);
		else if (w->end.fate == DG_FATE_LOCAL)
			sb_printf(&b, "%s delivers the node's addresses before %s",
				  rule, probe);
		else if (w->end.rule)
			sb_printf(&b, "%s drops packets for the node's addresses "
				  "before %s: they are not forwarded", rule, probe);
		else
			sb_printf(&b, "packets for the node's addresses never "
				  "reach %s", probe);
		break;
	case P_NO_MATCH:
		sb_printf(&b, "%s does not apply to the node's addresses", probe);
		break;
	case P_MATCHED:
		if (o->suppressed) {
			sb_printf(&b, "%s ignores table %s's route for the node's "
				  "addresses (suppress_prefixlength %d)", probe,
				  tn, fv->probe->suppress_prefixlen);
		} else if (o->fate == DG_FATE_CONTINUE && o->route) {
			sb_printf(&b, "table %s throws the node's addresses back "
				  "to the rules", tn);
		} else if (o->fate == DG_FATE_CONTINUE) {
			const struct dg_fib_route *dead = NULL;
			struct walk dw = *w;

			dw.want_dead = true;
			if (fv->probe->action == FR_ACT_TO_TBL)
				dead = table_lookup(&dw, fv->probe->l3mdev ?
						    w->vrf_table :
						    fv->probe->table, false, NULL);
			if (dead) {
				dg_format_route(route, sizeof(route), dead);
				sb_printf(&b, "table %s's route for the node's "
					  "addresses (%s) has no usable next hop "
					  "(dead, or link down with "
					  "ignore_routes_with_linkdown)", tn,
					  route);
			} else if (fv->probe->action == FR_ACT_TO_TBL)
				sb_printf(&b, "table %s has no route for the "
					  "node's addresses", tn);
			else
				sb_printf(&b, "%s does not decide the route of "
					  "the node's addresses", probe);
		} else if (o->fate == DG_FATE_LOCAL) {
			sb_printf(&b, "table %s delivers the node's addresses "
				  "locally", tn);
		} else if (o->forwarding_off) {
			dg_format_route(route, sizeof(route), o->route);
			sb_printf(&b, "table %s routes the node's addresses away "
				  "(%s), but forwarding is off on %s: they are "
				  "dropped, not forwarded", tn, route, ifname);
		} else if (o->route) {
			dg_format_route(route, sizeof(route), o->route);
			sb_printf(&b, "table %s drops packets for the node's "
				  "addresses (%s): they are not forwarded, so early "
				  "demux plays no part", tn, route);
		} else {
			sb_printf(&b, "%s drops packets for the node's addresses: "
				  "they are not forwarded, so early demux plays no "
				  "part", probe);
		}
		if (o->fate == DG_FATE_CONTINUE && w->end.fate == DG_FATE_LOCAL &&
		    w->end.rule == fr->local)
			sb_printf(&b, "; the local rule (%u) delivers them",
				  fr->local->priority);
		break;
	}
}

static void explain_forward(struct dg_walk_view *fv,
			    const struct dg_family_rules *fr)
{
	struct sbuf b = { fv->reason, sizeof(fv->reason), 0 };
	char rule[160], route[96];

	dg_format_rule(rule, sizeof(rule), fv->fwd_at.rule);
	dg_format_route(route, sizeof(route), fv->fwd_at.route);
	if (fr->local && fr->local->priority >= fv->fwd_at.rule->priority)
		sb_printf(&b, "%s comes before the local rule (%u) and routes "
			  "the node's addresses away (%s)", rule,
			  fr->local->priority, route);
	else
		sb_printf(&b, "%s routes the node's addresses away (%s)", rule,
			  route);
	if (!fv->fwd_sure)
		sb_printf(&b, ", for packets that the rules' other selectors "
			  "(source, fwmark, ...) let through");
}

/* ---- one interface, one family ------------------------------------------- */

static uint32_t vrf_table_of(const struct dg_doctor_input *in,
			     const struct dg_link *l)
{
	const struct dg_link *vrf = dg_vrf_of(in, l);

	return vrf ? vrf->vrf_table : 0;
}

void dg_walk_view_free(struct dg_walk_view *fv)
{
	free(fv->fates);
	fv->fates = NULL;
}

int dg_walk_interface(struct dg_walk_view *fv, const struct dg_family_rules *fr,
		      const struct dg_doctor_input *in,
		      const struct dg_link *link, const char *ifname)
{
	const struct dg_link *rl = dg_route_iif(in, link, fr->family);
	struct walk first = { 0 };
	bool forwarding, *side_done;

	*fv = (struct dg_walk_view){ 0 };
	for (size_t i = 0; i < fr->n; i++) {
		if (!fr->v[i]->invert && strcmp(fr->v[i]->iif, ifname) == 0) {
			fv->probe = fr->v[i];
			break;
		}
	}
	if (!fv->probe)
		return 0;
	fv->considered = true;
	snprintf(fv->iif, sizeof(fv->iif), "%s", rl ? rl->name : ifname);
	if (!link) {
		snprintf(fv->reason, sizeof(fv->reason),
			 "there is no interface %s in this namespace: the rule "
			 "waits for it", ifname);
		return 0;
	}
	if (link->loopback) {
		snprintf(fv->reason, sizeof(fv->reason),
			 "%s is a loopback device: packets looped back carry "
			 "their route already, so early demux does not run", ifname);
		return 0;
	}
	if (fr->n_addrs == 0) {
		snprintf(fv->reason, sizeof(fv->reason),
			 "the node has no %s address", dg_family_names[
			 fr->family == AF_INET ? DG_FAM_IPV4 : DG_FAM_IPV6]);
		return 0;
	}
	fv->fates = calloc(fr->n_addrs, sizeof(*fv->fates));
	side_done = calloc(fr->n + 1, sizeof(*side_done));
	if (!fv->fates || !side_done) {
		free(side_done);
		dg_walk_view_free(fv);
		return -ENOMEM;
	}
	fv->vrf_table = vrf_table_of(in, link);

	/*
	 * ip_route_input_slow() checks the input device's forwarding switch;
	 * ip6_forward() checks only net.ipv6.conf.all.forwarding (a device's
	 * own switch governs router advertisements, not forwarding).
	 */
	forwarding = fr->family == AF_INET ? link->forwarding4 != 0 :
		     in->forwarding6 != 0;
	for (size_t a = 0; a < fr->n_addrs; a++) {
		struct walk w = {
			.in = in, .rules = fr->v, .n = fr->n,
			.family = fr->family, .iif = fv->iif,
			.vrf_table = fv->vrf_table,
			.forwarding = forwarding, .addr = fr->addrs[a],
			.probe = fv->probe, .side_done = side_done,
		};

		memset(side_done, 0, (fr->n + 1) * sizeof(*side_done));
		walk_from(&w, 0, true);
		if (a == 0)
			first = w;
		fv->fates[a] = w.fwd ? DG_FATE_FORWARD :
			       w.end.fate == DG_FATE_LOCAL ? DG_FATE_LOCAL :
			       DG_FATE_DROP;
		if (w.fwd && (!fv->fwd || (w.fwd_sure && !fv->fwd_sure))) {
			fv->fwd = true;
			fv->fwd_sure = w.fwd_sure;
			fv->fwd_at = w.fwd_at;
			dg_format_addr(fv->address, sizeof(fv->address),
				       fr->family, fr->addrs[a]);
		}
	}
	free(side_done);
	if (fv->fwd)
		explain_forward(fv, fr);
	else
		explain_no_forward(fv, &first, fr, ifname);
	return 0;
}
