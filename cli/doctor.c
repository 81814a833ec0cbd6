// SPDX-License-Identifier: GPL-2.0-only
/*
 * doctor.c - `demuxguard doctor` (see doctor.h): the routing analysis, the
 * verdicts and suggested commands, and the gathering of the namespace's
 * state they work on.
 *
 * The analysis replays what the kernel does with a TCP segment for one of
 * the node's own addresses that arrives on interface X: fib_rules_lookup()
 * walks the rules in priority order, each matching rule's action runs
 * (a table lookup, a goto, a drop), and the walk stops at the first answer
 * that is not "go on" (-EAGAIN: no route, a throw route, a suppressed
 * result). If that answer is a unicast route, ip_route_input() makes the
 * packet a forward, and ip_forward()/ip6_forward() drop it whenever early
 * demux has attached a socket: the interface is at risk. Everything the
 * doctor cannot know about a packet in advance (its source, fwmark, tos,
 * ports, ...) makes a rule "may match": the walk then follows both the
 * matching and the non-matching packets, so any way to a forward is found.
 *
 * The rules are read with a plain RTM_GETRULE dump rather than libnl-route's
 * rule cache: libnl 3.7 keeps fib_rule_hdr.flags to itself, and without
 * FIB_RULE_INVERT (`not`) and FIB_RULE_IIF_DETACHED the walk would be wrong.
 * Routes and links come from libnl-route's caches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "doctor.h"
#include "kernel.h"
#include "netlink.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* How often a rule dump is repeated when the kernel flags it inconsistent. */
#define DUMP_RETRIES 5

/* ---- small helpers ---------------------------------------------------- */

/* Grow @*v to hold one more element of @size bytes; the new one zeroed. */
static void *grow(void **v, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *nv = reallocarray(*v, ncap, size);

		if (!nv)
			return NULL;
		*v = nv;
		*cap = ncap;
	}
	return memset((char *)*v + (*n)++ * size, 0, size);
}

struct dg_fib_rule *dg_doctor_add_rule(struct dg_doctor_input *in)
{
	struct dg_fib_rule *r = grow((void **)&in->rules, &in->n_rules,
				     &in->rules_cap, sizeof(*r));

	if (r)
		r->suppress_prefixlen = -1;
	return r;
}

struct dg_fib_route *dg_doctor_add_route(struct dg_doctor_input *in)
{
	return grow((void **)&in->routes, &in->n_routes, &in->routes_cap,
		    sizeof(struct dg_fib_route));
}

struct dg_link *dg_doctor_add_link(struct dg_doctor_input *in)
{
	struct dg_link *l = grow((void **)&in->links, &in->n_links,
				 &in->links_cap, sizeof(*l));

	if (l)
		l->forwarding4 = -1;
	return l;
}

void dg_doctor_input_free(struct dg_doctor_input *in)
{
	free(in->rules);
	free(in->routes);
	free(in->links);
	in->rules = NULL;
	in->routes = NULL;
	in->links = NULL;
	in->n_rules = in->n_routes = in->n_links = 0;
	in->rules_cap = in->routes_cap = in->links_cap = 0;
	dg_status_free(&in->status);
	dg_dev_list_free(&in->devs);
	dg_rule_list_free(&in->mrules);
}

void dg_doctor_report_free(struct dg_doctor_report *rep)
{
	free(rep->v);
	free(rep->cmds);
	rep->v = NULL;
	rep->cmds = NULL;
	rep->n = rep->cap = rep->n_cmds = rep->cmds_cap = 0;
}

static unsigned int addr_bits(uint8_t family)
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
	len = addr_bits(p->family);
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 ||
		    len > addr_bits(p->family))
			return -1;
	}
	p->len = (uint8_t)len;
	return 0;
}

/* Does the prefix @p hold @addr (of the same family)? */
static bool prefix_has(const struct dg_prefix *p, const uint8_t *addr)
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

static void format_addr(char *buf, size_t len, uint8_t family,
			const uint8_t *addr)
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
	format_addr(a, sizeof(a), p->family, p->addr);
	if (p->len == addr_bits(p->family))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, p->len);
}

static const char *table_name(uint32_t table, char *buf, size_t len)
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

static const char *route_type_name(uint8_t type)
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
static void format_route(char *buf, size_t len, const struct dg_fib_route *r)
{
	char p[INET6_ADDRSTRLEN + 8];

	format_prefix(p, sizeof(p), &r->dst);
	snprintf(buf, len, "%s%s%s%s%s",
		 r->type == RTN_UNICAST ? "" : route_type_name(r->type),
		 r->type == RTN_UNICAST ? "" : " ", p,
		 r->dev[0] ? " dev " : "", r->dev);
}

/* Append to a string buffer, silently cutting at its end. */
struct sbuf {
	char *s;
	size_t len, off;
};

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->off >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->off += (size_t)n;
	if (b->off >= b->len)
		b->off = b->len;
}

/* "rule 10 (iif vlanabc lookup 201)", in ip rule's words. */
static void format_rule(char *buf, size_t len, const struct dg_fib_rule *r)
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
			  table_name(r->table, t, sizeof(t)));
	else if (r->action == FR_ACT_GOTO)
		sb_printf(&b, "goto %u)", r->goto_target);
	else if (r->action < ARRAY_SIZE(actions) && actions[r->action])
		sb_printf(&b, "%s)", actions[r->action]);
	else
		sb_printf(&b, "action %u)", r->action);
}

/* ---- the rule walk ------------------------------------------------------- */

enum match { M_NO, M_MAYBE, M_YES };

/*
 * fib_rule_match() and fib4/6_rule_match() for a TCP segment for @addr
 * received on @iif, whose other fields are unknown.
 */
static enum match rule_match(const struct dg_fib_rule *r, const char *iif,
			     const uint8_t *addr)
{
	enum match m = M_YES;

	if (r->iif[0] && (r->iif_detached || strcmp(r->iif, iif) != 0))
		m = M_NO;
	else if (r->oif[0])
		m = M_NO;	/* received packets have no output interface */
	else if (r->dst.len && !prefix_has(&r->dst, addr))
		m = M_NO;
	else if (r->ip_proto && r->ip_proto != IPPROTO_TCP)
		m = M_NO;
	else if (r->src.len || r->other_selectors || r->l3mdev)
		m = M_MAYBE;
	if (r->invert)
		m = m == M_YES ? M_NO : m == M_NO ? M_YES : M_MAYBE;
	return m;
}

/* What a rule's action did with the packet. */
enum fate {
	F_CONTINUE,	/* -EAGAIN: on to the next rule */
	F_LOCAL,	/* delivered to the node */
	F_FORWARD,	/* routed away from the node: the drop can happen */
	F_DROP,		/* dropped for another reason (not forwarded) */
	F_UNROUTED,	/* no rule answered: dropped as unreachable */
};

struct outcome {
	enum fate fate;
	const struct dg_fib_rule *rule;
	const struct dg_fib_route *route;	/* NULL: the rule's own action */
	bool forwarding_off;	/* a forward that forwarding=0 drops */
	bool suppressed;	/* suppress_prefixlength refused the route */
};

struct walk {
	const struct dg_doctor_input *in;
	const struct dg_fib_rule *const *rules;	/* one family, in order */
	size_t n;
	uint8_t family;
	const char *iif;
	bool forwarding;	/* the kernel would forward from @iif */
	const uint8_t *addr;
	const struct dg_fib_rule *probe;	/* first `iif X` rule */
	/*
	 * Side walks already taken, by start: a side walk only ever adds a
	 * possible forward, which depends on nothing but where it starts, so
	 * each is taken once and the whole walk stays within n * n steps.
	 */
	bool *side_done;

	bool fwd;		/* some packets are routed away ... */
	bool fwd_sure;		/* ... or all of them */
	struct outcome fwd_at;
	struct outcome end;	/* where the non-branching path ended */
	enum { P_NOT_REACHED, P_NO_MATCH, P_MATCHED } probe_state;
	struct outcome probe_out;
};

/* fib_table_lookup(): longest prefix, then lowest metric. */
static const struct dg_fib_route *table_lookup(const struct dg_doctor_input *in,
					       uint8_t family, uint32_t table,
					       const uint8_t *addr)
{
	const struct dg_fib_route *best = NULL;

	for (size_t i = 0; i < in->n_routes; i++) {
		const struct dg_fib_route *r = &in->routes[i];

		if (r->family != family || r->table != table || r->conditional ||
		    !prefix_has(&r->dst, addr))
			continue;
		if (!best || r->dst.len > best->dst.len ||
		    (r->dst.len == best->dst.len && r->priority < best->priority))
			best = r;
	}
	return best;
}

/* fib4/6_rule_action() and the suppress check, then ip_route_input(). */
static struct outcome apply_rule(const struct walk *w,
				 const struct dg_fib_rule *r)
{
	struct outcome o = { .fate = F_CONTINUE, .rule = r };
	const struct dg_fib_route *rt;

	if (r->action != FR_ACT_TO_TBL) {
		/* blackhole, unreachable, prohibit and unknown actions */
		o.fate = F_DROP;
		return o;
	}
	if (r->l3mdev)
		return o;	/* a VRF's table: not followed here */
	rt = table_lookup(w->in, w->family, r->table, w->addr);
	if (!rt)
		return o;
	o.route = rt;
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
		o.fate = F_DROP;
		return o;
	}
	if (rt->type == RTN_UNICAST) {
		o.fate = w->forwarding ? F_FORWARD : F_DROP;
		o.forwarding_off = !w->forwarding;
	} else if (rt->type == RTN_MULTICAST) {
		o.fate = F_DROP;	/* a martian for a unicast address */
	} else {
		o.fate = F_LOCAL;
	}
	return o;
}

static int find_priority(const struct walk *w, uint32_t prio)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->rules[i]->priority == prio)
			return (int)i;
	return -1;
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
		struct outcome o;
		enum match m;

		m = rule_match(r, w->iif, w->addr);
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

		o = apply_rule(w, r);
		if (on_main && r == w->probe)
			w->probe_out = o;
		if (m == M_YES && r->suppress_ifgroup && o.fate != F_CONTINUE)
			m = M_MAYBE;	/* the route's device group decides */
		if (o.fate == F_FORWARD &&
		    (!w->fwd || (!w->fwd_sure && on_main && m == M_YES))) {
			w->fwd = true;
			w->fwd_sure = on_main && m == M_YES;
			w->fwd_at = o;
		}
		if (o.fate == F_CONTINUE || m != M_YES)
			continue;
		if (on_main)
			w->end = o;
		return;
	}
	if (on_main)
		w->end = (struct outcome){ .fate = F_UNROUTED };
}

/* ---- per-interface analysis ------------------------------------------------ */

/* The rules of one family, in the kernel's order (priority, then age). */
struct family_rules {
	uint8_t family;
	const struct dg_fib_rule **v;
	size_t n;
	const struct dg_fib_rule *local;	/* first `lookup local` */
	/* The node's addresses: RTN_LOCAL routes of the local table. */
	const uint8_t **addrs;
	size_t n_addrs;
};

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

static int family_rules_init(struct family_rules *fr, uint8_t family,
			     const struct dg_doctor_input *in)
{
	*fr = (struct family_rules){ .family = family };
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
	for (size_t i = 0; i < in->n_routes; i++)
		if (in->routes[i].family == family && node_address(&in->routes[i]))
			fr->addrs[fr->n_addrs++] = in->routes[i].dst.addr;
	return 0;
}

static void family_rules_free(struct family_rules *fr)
{
	free(fr->v);
	free(fr->addrs);
}

static const struct dg_link *find_link(const struct dg_doctor_input *in,
				       const char *name)
{
	for (size_t i = 0; i < in->n_links; i++)
		if (strcmp(in->links[i].name, name) == 0)
			return &in->links[i];
	return NULL;
}

/* What one family says about interface X. */
struct family_view {
	bool considered;	/* X is the input of an iif rule here */
	const struct dg_fib_rule *probe;
	bool fwd, fwd_sure;
	struct outcome fwd_at;
	char address[INET6_ADDRSTRLEN];
	char reason[320];
};

/* The reason a family does not route node addresses away from X. */
static void explain_no_forward(struct family_view *fv, const struct walk *w,
			       const struct family_rules *fr, const char *ifname)
{
	struct sbuf b = { fv->reason, sizeof(fv->reason), 0 };
	char probe[160], rule[160] = "", route[96], t[16];
	const struct outcome *o = &w->probe_out;

	format_rule(probe, sizeof(probe), fv->probe);
	switch (w->probe_state) {
	case P_NOT_REACHED:
		if (w->end.rule)
			format_rule(rule, sizeof(rule), w->end.rule);
		if (w->end.fate == F_LOCAL && w->end.rule == fr->local)
			sb_printf(&b, "the local rule (%u) comes first: the "
				  "node's addresses are delivered before %s",
				  fr->local->priority, probe);
		else if (w->end.fate == F_LOCAL)
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
				  table_name(fv->probe->table, t, sizeof(t)),
				  fv->probe->suppress_prefixlen);
		} else if (o->fate == F_CONTINUE && o->route) {
			sb_printf(&b, "table %s throws the node's addresses back "
				  "to the rules", table_name(fv->probe->table, t,
							     sizeof(t)));
		} else if (o->fate == F_CONTINUE) {
			if (fv->probe->action == FR_ACT_TO_TBL && !fv->probe->l3mdev)
				sb_printf(&b, "table %s has no route for the node's "
					  "addresses", table_name(fv->probe->table,
								  t, sizeof(t)));
			else
				sb_printf(&b, "%s does not decide the route of "
					  "the node's addresses", probe);
		} else if (o->fate == F_LOCAL) {
			sb_printf(&b, "table %s delivers the node's addresses "
				  "locally", table_name(fv->probe->table, t,
							sizeof(t)));
		} else if (o->forwarding_off) {
			format_route(route, sizeof(route), o->route);
			sb_printf(&b, "table %s routes the node's addresses away "
				  "(%s), but forwarding is off on %s: they are "
				  "dropped, not forwarded",
				  table_name(fv->probe->table, t, sizeof(t)),
				  route, ifname);
		} else if (o->route) {
			format_route(route, sizeof(route), o->route);
			sb_printf(&b, "table %s drops packets for the node's "
				  "addresses (%s): they are not forwarded, so early "
				  "demux plays no part",
				  table_name(fv->probe->table, t, sizeof(t)), route);
		} else {
			sb_printf(&b, "%s drops packets for the node's addresses: "
				  "they are not forwarded, so early demux plays no "
				  "part", probe);
		}
		if (o->fate == F_CONTINUE && w->end.fate == F_LOCAL &&
		    w->end.rule == fr->local)
			sb_printf(&b, "; the local rule (%u) delivers them",
				  fr->local->priority);
		break;
	}
}

static void explain_forward(struct family_view *fv,
			    const struct family_rules *fr)
{
	struct sbuf b = { fv->reason, sizeof(fv->reason), 0 };
	char rule[160], route[96];

	format_rule(rule, sizeof(rule), fv->fwd_at.rule);
	format_route(route, sizeof(route), fv->fwd_at.route);
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

static int analyze_family(struct family_view *fv, const struct family_rules *fr,
			  const struct dg_doctor_input *in,
			  const struct dg_link *link, const char *ifname)
{
	struct walk first = { 0 };
	bool forwarding, *side_done;

	*fv = (struct family_view){ 0 };
	for (size_t i = 0; i < fr->n; i++) {
		if (!fr->v[i]->invert && strcmp(fr->v[i]->iif, ifname) == 0) {
			fv->probe = fr->v[i];
			break;
		}
	}
	if (!fv->probe)
		return 0;
	fv->considered = true;
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
	side_done = calloc(fr->n + 1, sizeof(*side_done));
	if (!side_done)
		return -ENOMEM;

	/* ip_route_input_slow() checks the input device, ip6_forward() all. */
	forwarding = fr->family == AF_INET ? link->forwarding4 != 0 :
		     in->forwarding6 != 0;
	for (size_t a = 0; a < fr->n_addrs; a++) {
		struct walk w = {
			.in = in, .rules = fr->v, .n = fr->n,
			.family = fr->family, .iif = ifname,
			.forwarding = forwarding, .addr = fr->addrs[a],
			.probe = fv->probe, .side_done = side_done,
		};

		memset(side_done, 0, (fr->n + 1) * sizeof(*side_done));
		walk_from(&w, 0, true);
		if (a == 0)
			first = w;
		if (w.fwd && (!fv->fwd || (w.fwd_sure && !fv->fwd_sure))) {
			fv->fwd = true;
			fv->fwd_sure = w.fwd_sure;
			fv->fwd_at = w.fwd_at;
			format_addr(fv->address, sizeof(fv->address), fr->family,
				    fr->addrs[a]);
			if (fv->fwd_sure)
				break;
		}
	}
	free(side_done);
	if (fv->fwd)
		explain_forward(fv, fr);
	else
		explain_no_forward(fv, &first, fr, ifname);
	return 0;
}

/* ---- the module's view ---------------------------------------------------- */

static const struct dg_dev *find_dev(const struct dg_doctor_input *in,
				     const char *name, uint32_t ifindex)
{
	for (size_t i = 0; i < in->devs.n; i++) {
		const struct dg_dev *d = &in->devs.v[i];

		if (ifindex ? d->ifindex == ifindex : !strcmp(d->ifname, name))
			return d;
	}
	return NULL;
}

/* The module's rule for @name: the longest matching prefix, or NULL. */
static const struct dg_rule *covering_rule(const struct dg_rule_list *l,
					   const char *name)
{
	const struct dg_rule *best = NULL;

	for (size_t i = 0; i < l->n; i++) {
		size_t len = strlen(l->v[i].prefix);

		if (strncmp(name, l->v[i].prefix, len) == 0 &&
		    (!best || len > strlen(best->prefix)))
			best = &l->v[i];
	}
	return best;
}

/* Is the hook called @name attached and armed? */
static bool hook_ready(const struct dg_status *st, const char *name)
{
	for (size_t i = 0; i < st->n_hooks; i++)
		if (strcmp(st->hooks[i].name, name) == 0)
			return st->hooks[i].attached && st->hooks[i].armed;
	return false;
}

/* ---- suggestions ------------------------------------------------------------- */

void dg_common_prefix(char out[IFNAMSIZ], const char *const *names, size_t n)
{
	size_t len;

	out[0] = '\0';
	if (n == 0)
		return;
	len = strnlen(names[0], IFNAMSIZ - 1);
	for (size_t i = 1; i < n; i++) {
		size_t k = 0;

		while (k < len && names[i][k] == names[0][k])
			k++;
		len = k;
	}
	memcpy(out, names[0], len);
	out[len] = '\0';
}

/*
 * Quote @word for a POSIX shell when it needs it: 'single quotes', or
 * bash's $'...' for control bytes, which single quotes would pass raw.
 */
void dg_shell_quote(char *buf, size_t len, const char *word)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				   "@%+=:,./_-";
	struct sbuf b = { buf, len, 0 };
	bool ctrl = false;
	const char *s;

	buf[0] = '\0';
	if (*word && strspn(word, safe) == strlen(word)) {
		sb_printf(&b, "%s", word);
		return;
	}
	for (s = word; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			ctrl = true;
	if (!ctrl) {
		sb_printf(&b, "'");
		for (s = word; *s; s++) {
			if (*s == '\'')
				sb_printf(&b, "'\\''");
			else
				sb_printf(&b, "%c", *s);
		}
		sb_printf(&b, "'");
		return;
	}
	sb_printf(&b, "$'");
	for (s = word; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			sb_printf(&b, "\\x%02x", c);
		else if (c == '\'' || c == '\\')
			sb_printf(&b, "\\%c", c);
		else
			sb_printf(&b, "%c", c);
	}
	sb_printf(&b, "'");
}

static int add_cmd(struct dg_doctor_report *rep, const char *netns,
		   const char *what, const char *name)
{
	struct dg_doctor_cmd *c = grow((void **)&rep->cmds, &rep->n_cmds,
				       &rep->cmds_cap, sizeof(*c));
	struct sbuf b;
	char q[sizeof(c->text)];

	if (!c)
		return -ENOMEM;
	b = (struct sbuf){ c->text, sizeof(c->text), 0 };
	sb_printf(&b, "demuxguard ");
	if (netns) {
		dg_shell_quote(q, sizeof(q), netns);
		sb_printf(&b, "-n %s ", q);
	}
	dg_shell_quote(q, sizeof(q), name);
	if (strcmp(what, "rule") == 0)
		sb_printf(&b, "rule add prefix %s mode veto", q);
	else
		sb_printf(&b, "set dev %s mode veto", q);
	return 0;
}

/* The mode @x would have once a rule @prefix=veto is added. */
static int mode_with_rule(const struct dg_doctor_input *in,
			  const struct dg_doctor_if *x, const char *prefix)
{
	const struct dg_dev *d = in->module_loaded ?
				 find_dev(in, x->ifname, x->ifindex) : NULL;
	const struct dg_rule *best = NULL;
	size_t plen = strlen(prefix);

	if (d && d->source == DEMUXGUARD_SOURCE_EXPLICIT)
		return d->mode;	/* an explicit setting beats any rule */
	if (in->module_loaded) {
		for (size_t i = 0; i < in->mrules.n; i++) {
			const struct dg_rule *r = &in->mrules.v[i];
			size_t len = strlen(r->prefix);

			if (strcmp(r->prefix, prefix) == 0 ||
			    strncmp(x->ifname, r->prefix, len) != 0)
				continue;
			if (!best || len > strlen(best->prefix))
				best = r;
		}
	}
	if (strncmp(x->ifname, prefix, plen) == 0 &&
	    (!best || plen > strlen(best->prefix)))
		return DEMUXGUARD_MODE_VETO;
	return best ? best->mode : DEMUXGUARD_MODE_OFF;
}

/*
 * One rule for the longest common prefix of the interfaces to protect,
 * if they have one and it reaches any of them, plus a `set` for each it
 * would not reach (a longer rule or an explicit setting wins over it);
 * else one `set` each. A rule rather than sets because the VPC CNI
 * creates a new vlan<hash> and vlan.eth.<id> for every pod: the rule
 * covers those too. Interfaces already in veto are left out: what fails
 * them (a hook the kernel lacks) no command fixes.
 */
static int suggest(struct dg_doctor_report *rep, const struct dg_doctor_input *in)
{
	const struct dg_doctor_if **todo = calloc(rep->n + 1, sizeof(*todo));
	const char **names = calloc(rep->n + 1, sizeof(*names));
	char prefix[IFNAMSIZ];
	bool use_rule = false;
	size_t n = 0;
	int rc = 0;

	if (!todo || !names) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct dg_doctor_if *x = &rep->v[i];

		if (x->families && x->verdict != DG_VERDICT_PROTECTED &&
		    !(x->policy_known && x->mode == DEMUXGUARD_MODE_VETO)) {
			names[n] = x->ifname;
			todo[n++] = x;
		}
	}
	dg_common_prefix(prefix, names, n);
	for (size_t k = 0; k < n && prefix[0]; k++)
		use_rule |= mode_with_rule(in, todo[k], prefix) ==
			    DEMUXGUARD_MODE_VETO;
	if (use_rule)
		rc = add_cmd(rep, in->netns, "rule", prefix);
	for (size_t k = 0; k < n && !rc; k++)
		if (!use_rule ||
		    mode_with_rule(in, todo[k], prefix) != DEMUXGUARD_MODE_VETO)
			rc = add_cmd(rep, in->netns, "set", todo[k]->ifname);
	/* The module parameter: the same rule from boot on (initial netns). */
	if (!rc && use_rule && !in->netns &&
	    strcspn(prefix, ",= \t\n'\"\\$`") == strlen(prefix))
		snprintf(rep->boot_rules, sizeof(rep->boot_rules),
			 "%s=veto", prefix);
out:
	free(todo);
	free(names);
	return rc;
}

/* ---- the analysis ---------------------------------------------------------- */

static int cmp_if(const void *a, const void *b)
{
	const struct dg_doctor_if *x = a, *y = b;

	/* Existing interfaces by ifindex, as ip lists them; missing last. */
	if (x->ifindex != y->ifindex) {
		if (!x->ifindex || !y->ifindex)
			return x->ifindex ? -1 : 1;
		return x->ifindex < y->ifindex ? -1 : 1;
	}
	return strcmp(x->ifname, y->ifname);
}

static int collect_interfaces(struct dg_doctor_report *rep,
			      const struct dg_doctor_input *in)
{
	for (size_t i = 0; i < in->n_rules; i++) {
		const struct dg_fib_rule *r = &in->rules[i];
		const struct dg_link *l;
		struct dg_doctor_if *x;
		bool seen = false;

		/* `not iif X` is about every other interface: not X's rule. */
		if (!r->iif[0] || r->invert ||
		    (r->family != AF_INET && r->family != AF_INET6))
			continue;
		for (size_t k = 0; k < rep->n && !seen; k++)
			seen = strcmp(rep->v[k].ifname, r->iif) == 0;
		if (seen)
			continue;
		x = grow((void **)&rep->v, &rep->n, &rep->cap, sizeof(*x));
		if (!x)
			return -ENOMEM;
		snprintf(x->ifname, sizeof(x->ifname), "%s", r->iif);
		l = find_link(in, r->iif);
		x->ifindex = l ? l->ifindex : 0;
	}
	if (rep->n > 1)
		qsort(rep->v, rep->n, sizeof(*rep->v), cmp_if);
	return 0;
}

static void append_reason(struct sbuf *b, unsigned int fams, const char *text)
{
	sb_printf(b, "%s%s%s%s: %s", b->off ? "; " : "",
		  fams & (1u << DG_FAM_IPV4) ? "ipv4" : "",
		  fams == ((1u << DG_FAM_IPV4) | (1u << DG_FAM_IPV6)) ? ", " : "",
		  fams & (1u << DG_FAM_IPV6) ? "ipv6" : "", text);
}

static void judge(struct dg_doctor_if *x, const struct dg_doctor_report *rep,
		  const struct dg_doctor_input *in, struct family_view fv[2],
		  const struct family_rules fr[2])
{
	struct sbuf b = { x->reason, sizeof(x->reason), 0 };
	const struct family_view *shown = NULL;
	const char *missing = NULL;

	for (int f = 0; f < DG_FAM_COUNT; f++) {
		if (fv[f].fwd) {
			x->families |= 1u << f;
			if (!shown)
				shown = &fv[f];
		}
	}
	/* The rule to show: the one that routes away, else the iif rule. */
	for (int f = 0; f < DG_FAM_COUNT && !shown; f++)
		if (fv[f].considered)
			shown = &fv[f];
	if (shown) {
		const struct dg_fib_rule *r = shown->fwd ? shown->fwd_at.rule :
					      shown->probe;
		const struct family_rules *sfr = &fr[shown == &fv[0] ? 0 : 1];

		x->has_rule = true;
		x->rule_family = r->family;
		x->rule_priority = r->priority;
		x->rule_table = r->action == FR_ACT_TO_TBL ? r->table : 0;
		if (shown->fwd) {
			snprintf(x->address, sizeof(x->address), "%s",
				 shown->address);
			format_route(x->route, sizeof(x->route),
				     shown->fwd_at.route);
		}
		if (sfr->local) {
			x->has_local_rule = true;
			x->local_rule_priority = sfr->local->priority;
		}
	}

	/* One clause per distinct explanation: ipv4, ipv6: ... when equal. */
	if (fv[0].considered && fv[1].considered &&
	    strcmp(fv[0].reason, fv[1].reason) == 0) {
		append_reason(&b, 3, fv[0].reason);
	} else {
		for (int f = 0; f < DG_FAM_COUNT; f++)
			if (fv[f].considered)
				append_reason(&b, 1u << f, fv[f].reason);
	}

	if (!x->families) {
		x->verdict = DG_VERDICT_NOT_AFFECTED;
		return;
	}
	if (x->families & (1u << DG_FAM_IPV4) &&
	    !hook_ready(&in->status, "ip_forward"))
		missing = "ip_forward";
	else if (x->families & (1u << DG_FAM_IPV6) &&
		 !hook_ready(&in->status, "ip6_forward"))
		missing = "ip6_forward";
	if (x->policy_known && x->mode == DEMUXGUARD_MODE_VETO && !missing) {
		x->verdict = DG_VERDICT_PROTECTED;
		return;
	}
	if (!rep->early_demux_on) {
		x->verdict = DG_VERDICT_NOT_AFFECTED;
		sb_printf(&b, "; early demux is off, so no socket is attached: "
			  "protect %s before turning it back on", x->ifname);
		return;
	}
	x->verdict = DG_VERDICT_AT_RISK;
	if (!in->module_loaded)
		sb_printf(&b, "; the demuxguard module is not loaded");
	else if (x->mode == DEMUXGUARD_MODE_VETO)
		sb_printf(&b, "; mode veto, but hook %s is not attached and "
			  "armed", missing);
	else if (x->mode == DEMUXGUARD_MODE_MONITOR)
		sb_printf(&b, "; monitor counts these drops (fwd_sk_drops) but "
			  "does not prevent them");
}

int dg_doctor_analyze(const struct dg_doctor_input *in,
		      struct dg_doctor_report *rep)
{
	struct family_rules fr[DG_FAM_COUNT] = { 0 };
	int rc;

	*rep = (struct dg_doctor_report){
		.ip_early_demux = in->ip_early_demux,
		.tcp_early_demux = in->tcp_early_demux,
		/* Both switches gate IPv4 and IPv6 (ip_rcv_finish_core,
		 * ip6_rcv_finish_core); an unreadable one may be on. */
		.early_demux_on = in->ip_early_demux != 0 &&
				  in->tcp_early_demux != 0,
		.module_loaded = in->module_loaded,
		.status = &in->status,
	};

	rc = family_rules_init(&fr[DG_FAM_IPV4], AF_INET, in);
	if (!rc)
		rc = family_rules_init(&fr[DG_FAM_IPV6], AF_INET6, in);
	if (!rc)
		rc = collect_interfaces(rep, in);

	for (size_t i = 0; i < rep->n && !rc; i++) {
		struct dg_doctor_if *x = &rep->v[i];
		const struct dg_link *l = find_link(in, x->ifname);
		struct family_view fv[DG_FAM_COUNT];

		for (int f = 0; f < DG_FAM_COUNT && !rc; f++)
			rc = analyze_family(&fv[f], &fr[f], in, l, x->ifname);
		if (rc)
			break;

		x->mode = DEMUXGUARD_MODE_OFF;
		x->source = DEMUXGUARD_SOURCE_NONE;
		if (in->module_loaded) {
			const struct dg_dev *d = find_dev(in, x->ifname, x->ifindex);
			const struct dg_rule *cr = covering_rule(&in->mrules,
								 x->ifname);

			x->policy_known = true;
			if (d) {
				x->mode = d->mode;
				x->source = d->source;
				for (int f = 0; f < DG_FAM_COUNT; f++) {
					x->fwd_sk_drops += d->stats[f][DG_C_FWD_SK_DROPS];
					x->vetoed += d->stats[f][DG_C_VETOED];
				}
			}
			if (cr) {
				x->has_covering = true;
				snprintf(x->covering, sizeof(x->covering), "%s",
					 cr->prefix);
			}
		}
		judge(x, rep, in, fv, fr);
		if (x->verdict == DG_VERDICT_AT_RISK)
			rep->at_risk++;
	}
	if (!rc)
		rc = suggest(rep, in);

	family_rules_free(&fr[DG_FAM_IPV4]);
	family_rules_free(&fr[DG_FAM_IPV6]);
	if (rc)
		dg_doctor_report_free(rep);
	return rc;
}

/* ---- gathering ------------------------------------------------------------- */

bool dg_module_absent(void)
{
	struct stat s;

	if (stat("/sys/module", &s) != 0)
		return false;
	return stat("/sys/module/" DEMUXGUARD_GENL_NAME, &s) != 0;
}

/*
 * An integer sysctl of the current network namespace: /proc/sys/net
 * resolves to the namespace of the task that opens it, so after -n's
 * setns() these are the namespace's own values. -1 if unreadable.
 */
static int read_sysctl(const char *path)
{
	FILE *f = fopen(path, "re");
	int v;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int gather_links(struct nl_sock *sk, struct nl_cache **cache,
			struct dg_doctor_input *in)
{
	struct nl_object *o;
	int rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, cache);

	if (rc < 0)
		return rc;
	for (o = nl_cache_get_first(*cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		struct dg_link *dl = dg_doctor_add_link(in);
		const char *name = rtnl_link_get_name(l);
		char path[128];

		if (!dl)
			return -NLE_NOMEM;
		dl->ifindex = (uint32_t)rtnl_link_get_ifindex(l);
		snprintf(dl->name, sizeof(dl->name), "%s", name ? name : "");
		dl->loopback = rtnl_link_get_flags(l) & IFF_LOOPBACK;
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
			 dl->name);
		dl->forwarding4 = dl->name[0] ? read_sysctl(path) : -1;
	}
	return 0;
}

static void copy_prefix(struct dg_prefix *p, uint8_t family, struct nl_addr *a)
{
	*p = (struct dg_prefix){ .family = family };
	if (!a)
		return;
	if (nl_addr_get_len(a) <= sizeof(p->addr))
		memcpy(p->addr, nl_addr_get_binary_addr(a), nl_addr_get_len(a));
	p->len = (uint8_t)nl_addr_get_prefixlen(a);
	if (p->len > addr_bits(family))
		p->len = (uint8_t)addr_bits(family);
}

static int gather_routes(struct nl_sock *sk, struct nl_cache *links,
			 int family, struct dg_doctor_input *in)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int rc = rtnl_route_alloc_cache(sk, family, 0, &cache);

	if (rc < 0)
		return rc;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct dg_fib_route *dr;
		struct nl_addr *src;

		if (rtnl_route_get_family(r) != family)
			continue;
		dr = dg_doctor_add_route(in);
		if (!dr) {
			nl_cache_free(cache);
			return -NLE_NOMEM;
		}
		dr->family = (uint8_t)family;
		dr->table = rtnl_route_get_table(r);
		dr->type = rtnl_route_get_type(r);
		dr->priority = rtnl_route_get_priority(r);
		copy_prefix(&dr->dst, (uint8_t)family, rtnl_route_get_dst(r));
		src = rtnl_route_get_src(r);
		dr->conditional = rtnl_route_get_tos(r) != 0 ||
				  (src && nl_addr_get_prefixlen(src) > 0);
		if (rtnl_route_get_nnexthops(r) > 0) {
			struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
			int ifindex = nh ? rtnl_route_nh_get_ifindex(nh) : 0;

			if (ifindex > 0)
				rtnl_link_i2name(links, ifindex, dr->dev,
						 sizeof(dr->dev));
		}
	}
	nl_cache_free(cache);
	return 0;
}

/* FRA_* attributes the walk reads; others only count as "present". */
static struct nla_policy fra_policy[FRA_MAX + 1] = {
	[FRA_PRIORITY] = { .type = NLA_U32 },
	[FRA_TABLE] = { .type = NLA_U32 },
	[FRA_GOTO] = { .type = NLA_U32 },
	[FRA_FWMARK] = { .type = NLA_U32 },
	[FRA_FWMASK] = { .type = NLA_U32 },
	[FRA_SUPPRESS_PREFIXLEN] = { .type = NLA_U32 },
	[FRA_SUPPRESS_IFGROUP] = { .type = NLA_U32 },
	[FRA_L3MDEV] = { .type = NLA_U8 },
	[FRA_IP_PROTO] = { .type = NLA_U8 },
};

struct rule_dump {
	struct dg_doctor_input *in;
	int err;
};

static void attr_prefix(struct dg_prefix *p, uint8_t family, struct nlattr *a,
			uint8_t len)
{
	size_t alen = family == AF_INET ? 4 : 16;

	*p = (struct dg_prefix){ .family = family };
	if (!a || (size_t)nla_len(a) < alen)
		return;
	memcpy(p->addr, nla_data(a), alen);
	p->len = len > addr_bits(family) ? (uint8_t)addr_bits(family) : len;
}

static int on_rule(struct nl_msg *msg, void *arg)
{
	struct rule_dump *d = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[FRA_MAX + 1], *a;
	struct fib_rule_hdr *frh;
	struct dg_fib_rule *r;
	uint32_t mark = 0, mask = 0;
	int rem;

	if (nlh->nlmsg_type != RTM_NEWRULE ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*frh)))
		return NL_SKIP;
	frh = nlmsg_data(nlh);
	if (frh->family != AF_INET && frh->family != AF_INET6)
		return NL_SKIP;
	if (nlmsg_parse(nlh, sizeof(*frh), tb, FRA_MAX, fra_policy) < 0) {
		d->err = -NLE_PARSE_ERR;
		return NL_STOP;
	}
	r = dg_doctor_add_rule(d->in);
	if (!r) {
		d->err = -NLE_NOMEM;
		return NL_STOP;
	}
	r->family = frh->family;
	r->action = frh->action;
	r->invert = frh->flags & FIB_RULE_INVERT;
	r->iif_detached = frh->flags & FIB_RULE_IIF_DETACHED;
	r->table = tb[FRA_TABLE] ? nla_get_u32(tb[FRA_TABLE]) : frh->table;
	r->priority = tb[FRA_PRIORITY] ? nla_get_u32(tb[FRA_PRIORITY]) : 0;
	r->goto_target = tb[FRA_GOTO] ? nla_get_u32(tb[FRA_GOTO]) : 0;
	if (tb[FRA_IIFNAME])
		nla_strlcpy(r->iif, tb[FRA_IIFNAME], sizeof(r->iif));
	if (tb[FRA_OIFNAME])
		nla_strlcpy(r->oif, tb[FRA_OIFNAME], sizeof(r->oif));
	attr_prefix(&r->src, frh->family, tb[FRA_SRC], frh->src_len);
	attr_prefix(&r->dst, frh->family, tb[FRA_DST], frh->dst_len);
	r->ip_proto = tb[FRA_IP_PROTO] ? nla_get_u8(tb[FRA_IP_PROTO]) : 0;
	r->l3mdev = tb[FRA_L3MDEV] && nla_get_u8(tb[FRA_L3MDEV]);
	/* The kernel reports -1 as "none" (an all-ones u32). */
	r->suppress_prefixlen = tb[FRA_SUPPRESS_PREFIXLEN] ?
		(int)nla_get_u32(tb[FRA_SUPPRESS_PREFIXLEN]) : -1;
	if (r->suppress_prefixlen > 128)
		r->suppress_prefixlen = -1;
	r->suppress_ifgroup = tb[FRA_SUPPRESS_IFGROUP] &&
			      nla_get_u32(tb[FRA_SUPPRESS_IFGROUP]) != 0xffffffffu;

	/* fib_nl2rule(): a mark without a mask means all 32 bits. */
	if (tb[FRA_FWMARK])
		mark = nla_get_u32(tb[FRA_FWMARK]);
	if (tb[FRA_FWMASK])
		mask = nla_get_u32(tb[FRA_FWMASK]);
	else if (mark)
		mask = 0xffffffffu;
	r->other_selectors = mask != 0 || frh->tos != 0 || tb[FRA_TUN_ID] ||
			     tb[FRA_UID_RANGE] || tb[FRA_SPORT_RANGE] ||
			     tb[FRA_DPORT_RANGE];
	/* An attribute newer than this program may be a selector too. */
	nlmsg_for_each_attr(a, nlh, sizeof(*frh), rem)
		if (nla_type(a) > FRA_MAX)
			r->other_selectors = true;
	return NL_OK;
}

/* RTM_GETRULE dump of both families (see the top of this file). */
static int gather_rules(struct nl_sock *sk, struct dg_doctor_input *in)
{
	struct fib_rule_hdr frh = { .family = AF_UNSPEC };
	int rc = 0;

	for (int attempt = 0; attempt <= DUMP_RETRIES; attempt++) {
		struct rule_dump d = { .in = in };
		struct nl_cb *orig, *cb;

		in->n_rules = 0;
		rc = nl_send_simple(sk, RTM_GETRULE, NLM_F_DUMP, &frh, sizeof(frh));
		if (rc < 0)
			return rc;
		orig = nl_socket_get_cb(sk);
		cb = nl_cb_clone(orig);
		nl_cb_put(orig);
		if (!cb)
			return -NLE_NOMEM;
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_rule, &d);
		rc = nl_recvmsgs(sk, cb);
		nl_cb_put(cb);
		if (d.err)
			return d.err;
		if (rc != -NLE_DUMP_INTR)
			break;
	}
	return rc < 0 ? rc : 0;
}

static int gather_routing(struct dg_doctor_input *in, char *msg, size_t len)
{
	struct nl_cache *links = NULL;
	struct nl_sock *sk = nl_socket_alloc();
	const char *what = "open a route netlink socket";
	int rc = -NLE_NOMEM;

	if (!sk)
		goto out;
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0)
		goto out;
	nl_socket_enable_msg_peek(sk);	/* large dumps */
	what = "read the interfaces";
	rc = gather_links(sk, &links, in);
	if (rc < 0)
		goto out;
	what = "read the IPv4 routes";
	rc = gather_routes(sk, links, AF_INET, in);
	if (rc < 0)
		goto out;
	what = "read the IPv6 routes";
	rc = gather_routes(sk, links, AF_INET6, in);
	if (rc == -NLE_AF_NOSUPPORT || rc == -NLE_OPNOTSUPP)
		rc = 0;		/* a kernel without IPv6 */
	if (rc < 0)
		goto out;
	what = "read the routing rules";
	rc = gather_rules(sk, in);
out:
	if (rc < 0)
		snprintf(msg, len, "cannot %s: %s", what, nl_geterror(rc));
	nl_cache_free(links);
	nl_socket_free(sk);
	return rc < 0 ? -1 : 0;
}

int dg_doctor_gather(struct dg_doctor_input *in, struct dg_nl *nl,
		     char *msg, size_t len)
{
	in->ip_early_demux = read_sysctl("/proc/sys/net/ipv4/ip_early_demux");
	in->tcp_early_demux = read_sysctl("/proc/sys/net/ipv4/tcp_early_demux");
	in->forwarding6 = read_sysctl("/proc/sys/net/ipv6/conf/all/forwarding");

	if (gather_routing(in, msg, len) < 0)
		return -1;

	/*
	 * The module: asked only if sysfs shows it, because resolving the
	 * genetlink family would autoload it, and a health check must not
	 * change what it checks. Without sysfs, netlink has to tell.
	 */
	in->module_loaded = false;
	if (dg_module_absent())
		return 0;
	if (dg_nl_open(nl) < 0)
		return nl->err.not_loaded ? 0 : -2;
	if (dg_get_status(nl, &in->status) < 0 ||
	    dg_get_stats(nl, NULL, &in->devs) < 0 ||
	    dg_get_rules(nl, &in->mrules) < 0)
		return -2;
	in->module_loaded = true;
	return 0;
}
