// SPDX-License-Identifier: GPL-2.0-only
/*
 * doctor_gather.c - everything doctor asks the kernel, filling a struct
 * dg_doctor_input (doctor.h):
 *   - the early-demux and forwarding sysctls of the namespace;
 *   - links (libnl-route's cache: flags, master, VRF table), routes of
 *     every table (libnl-route's cache) and rules (a plain RTM_GETRULE
 *     dump: libnl 3.7 keeps fib_rule_hdr.flags to itself, and without
 *     FIB_RULE_INVERT (`not`) and FIB_RULE_IIF_DETACHED the walk would be
 *     wrong);
 *   - for every interface an `ip rule iif` names and every node address,
 *     the kernel's own input route: RTM_GETROUTE with RTA_IIF, RTA_DST,
 *     RTA_SRC and RTA_IP_PROTO, which runs ip_route_input() (IPv4) or
 *     ip6_route_input_lookup() (IPv6) with every rule, VRF, dead next hop,
 *     forwarding switch and source check applied - the ground truth the
 *     verdicts rest on;
 *   - the module's status, policy and counters, over genetlink, only when
 *     sysfs shows it loaded (a health check must not load what it checks).
 * A request the kernel refuses is an answer too (DG_K_ERROR with its
 * errno): the verdict then says "cannot tell" rather than guess.
 */
#include <errno.h>
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
#include <netlink/route/link/vrf.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "buf.h"
#include "doctor.h"
#include "fibwalk.h"
#include "kernel.h"
#include "netlink.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000	/* <linux/if.h>, which clashes with <net/if.h> */
#endif

/* How often a rule dump is repeated when the kernel flags it inconsistent. */
#define DUMP_RETRIES 5

/* ---- the input's lists ----------------------------------------------------- */

struct dg_fib_rule *dg_doctor_add_rule(struct dg_doctor_input *in)
{
	struct dg_fib_rule *r = dg_grow((void **)&in->rules, &in->n_rules,
					&in->rules_cap, sizeof(*r));

	if (r)
		r->suppress_prefixlen = -1;
	return r;
}

struct dg_fib_route *dg_doctor_add_route(struct dg_doctor_input *in)
{
	return dg_grow((void **)&in->routes, &in->n_routes, &in->routes_cap,
		       sizeof(struct dg_fib_route));
}

struct dg_link *dg_doctor_add_link(struct dg_doctor_input *in)
{
	struct dg_link *l = dg_grow((void **)&in->links, &in->n_links,
				    &in->links_cap, sizeof(*l));

	if (l) {
		l->forwarding4 = -1;
		l->forwarding6 = -1;
		l->up = l->carrier = true;
	}
	return l;
}

struct dg_route_answer *dg_doctor_add_answer(struct dg_doctor_input *in)
{
	return dg_grow((void **)&in->answers, &in->n_answers, &in->answers_cap,
		       sizeof(struct dg_route_answer));
}

void dg_doctor_input_free(struct dg_doctor_input *in)
{
	free(in->rules);
	free(in->routes);
	free(in->links);
	free(in->answers);
	in->rules = NULL;
	in->routes = NULL;
	in->links = NULL;
	in->answers = NULL;
	in->n_rules = in->n_routes = in->n_links = in->n_answers = 0;
	in->rules_cap = in->routes_cap = in->links_cap = in->answers_cap = 0;
	dg_status_free(&in->status);
	dg_dev_list_free(&in->devs);
	dg_rule_list_free(&in->mrules);
}

/* ---- sysctls ------------------------------------------------------------------ */

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
static int read_sysctl(const char *fmt, const char *dev)
{
	char path[128];
	FILE *f;
	int v;

	snprintf(path, sizeof(path), fmt, dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* ---- links, routes, rules ------------------------------------------------------ */

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
		const char *kind = rtnl_link_get_type(l);
		unsigned int flags = rtnl_link_get_flags(l);

		if (!dl)
			return -NLE_NOMEM;
		dl->ifindex = (uint32_t)rtnl_link_get_ifindex(l);
		snprintf(dl->name, sizeof(dl->name), "%s", name ? name : "");
		dl->loopback = flags & IFF_LOOPBACK;
		dl->up = flags & IFF_UP;
		dl->carrier = flags & IFF_LOWER_UP;
		dl->master = (uint32_t)rtnl_link_get_master(l);
		dl->vrf = kind && strcmp(kind, "vrf") == 0 &&
			  rtnl_link_vrf_get_tableid(l, &dl->vrf_table) == 0;
		if (!dl->name[0] || strchr(dl->name, '/'))
			continue;
		dl->forwarding4 = read_sysctl("/proc/sys/net/ipv4/conf/%s/forwarding",
					      dl->name);
		dl->forwarding6 = read_sysctl("/proc/sys/net/ipv6/conf/%s/forwarding",
					      dl->name);
	}
	return 0;
}

/*
 * fib_table_lookup() skips a next hop that is dead, or whose link is down
 * where ignore_routes_with_linkdown is set (IPv4: on "all" or the device;
 * IPv6: the device's, which "all" propagates to).
 */
static bool nexthop_usable(struct rtnl_nexthop *nh, struct nl_cache *links,
			   int family)
{
	unsigned int flags = rtnl_route_nh_get_flags(nh);
	char dev[IFNAMSIZ] = "";
	int ign;

	if (flags & RTNH_F_DEAD)
		return false;
	if (!(flags & RTNH_F_LINKDOWN))
		return true;
	rtnl_link_i2name(links, rtnl_route_nh_get_ifindex(nh), dev, sizeof(dev));
	if (!dev[0] || strchr(dev, '/'))
		return true;
	if (family == AF_INET)
		ign = read_sysctl("/proc/sys/net/ipv4/conf/%s/ignore_routes_with_linkdown",
				  "all") > 0 ||
		      read_sysctl("/proc/sys/net/ipv4/conf/%s/ignore_routes_with_linkdown",
				  dev) > 0;
	else
		ign = read_sysctl("/proc/sys/net/ipv6/conf/%s/ignore_routes_with_linkdown",
				  dev) > 0;
	return !ign;
}

static void copy_prefix(struct dg_prefix *p, uint8_t family, struct nl_addr *a)
{
	*p = (struct dg_prefix){ .family = family };
	if (!a)
		return;
	if (nl_addr_get_len(a) <= sizeof(p->addr))
		memcpy(p->addr, nl_addr_get_binary_addr(a), nl_addr_get_len(a));
	p->len = (uint8_t)nl_addr_get_prefixlen(a);
	if (p->len > dg_addr_bits(family))
		p->len = (uint8_t)dg_addr_bits(family);
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
		int n = rtnl_route_get_nnexthops(r), usable = 0;
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
		for (int i = 0; i < n; i++) {
			struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, i);

			if (nh && nexthop_usable(nh, links, family))
				usable++;
		}
		dr->dead = n > 0 && usable == 0;
		if (n > 0) {
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
	p->len = len > dg_addr_bits(family) ? (uint8_t)dg_addr_bits(family) : len;
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

/* Receive on @sk with @fn as the valid-message callback. */
static int recv_with(struct nl_sock *sk, nl_recvmsg_msg_cb_t fn, void *arg,
		     nl_recvmsg_err_cb_t efn)
{
	struct nl_cb *orig = nl_socket_get_cb(sk), *cb = nl_cb_clone(orig);
	int rc;

	nl_cb_put(orig);
	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
	if (efn)
		nl_cb_err(cb, NL_CB_CUSTOM, efn, arg);
	rc = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	return rc;
}

/* RTM_GETRULE dump of both families (see the top of this file). */
static int gather_rules(struct nl_sock *sk, struct dg_doctor_input *in)
{
	struct fib_rule_hdr frh = { .family = AF_UNSPEC };
	int rc = 0;

	for (int attempt = 0; attempt <= DUMP_RETRIES; attempt++) {
		struct rule_dump d = { .in = in };

		in->n_rules = 0;
		rc = nl_send_simple(sk, RTM_GETRULE, NLM_F_DUMP, &frh, sizeof(frh));
		if (rc < 0)
			return rc;
		rc = recv_with(sk, on_rule, &d, NULL);
		if (d.err)
			return d.err;
		if (rc != -NLE_DUMP_INTR)
			break;
	}
	return rc < 0 ? rc : 0;
}

/* ---- the kernel's input route ---------------------------------------------- */

bool dg_doctor_pick_source(const struct dg_doctor_input *in, uint8_t family,
			   const char *ifname, uint32_t table, uint8_t *src)
{
	const struct dg_fib_route *best = NULL;
	unsigned int bits = dg_addr_bits(family);

	for (size_t i = 0; i < in->n_routes; i++) {
		const struct dg_fib_route *r = &in->routes[i];
		const uint8_t *a = r->dst.addr;

		if (r->family != family || r->type != RTN_UNICAST ||
		    r->dst.len == 0 || strcmp(r->dev, ifname) != 0 ||
		    r->table == RT_TABLE_LOCAL)
			continue;
		/* not link-local: the kernel refuses it as a source */
		if (family == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
			continue;
		/* the iif table's routes first, then host routes */
		if (!best || (r->table == table && best->table != table) ||
		    (r->table == best->table && r->dst.len > best->dst.len))
			best = r;
	}
	if (!best)
		return false;
	memcpy(src, best->dst.addr, 16);
	/* A subnet: its first host, not its network address. */
	if (best->dst.len < bits)
		src[bits / 8 - 1] |= 1;
	return true;
}

struct route_reply {
	struct dg_route_answer *a;
	struct nl_cache *links;
	bool seen;
};

static int on_route(struct nl_msg *msg, void *arg)
{
	struct route_reply *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return NL_SKIP;
	rtm = nlmsg_data(nlh);
	if (nlmsg_parse(nlh, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return NL_SKIP;
	r->seen = true;
	r->a->type = rtm->rtm_type;
	r->a->table = tb[RTA_TABLE] && nla_len(tb[RTA_TABLE]) >= 4 ?
		      nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (tb[RTA_OIF] && nla_len(tb[RTA_OIF]) >= 4)
		rtnl_link_i2name(r->links, (int)nla_get_u32(tb[RTA_OIF]),
				 r->a->oif, sizeof(r->a->oif));
	switch (rtm->rtm_type) {
	case RTN_UNICAST:
		r->a->result = DG_K_FORWARD;
		break;
	case RTN_LOCAL:
	case RTN_BROADCAST:
	case RTN_ANYCAST:
	case RTN_MULTICAST:
		r->a->result = DG_K_LOCAL;
		break;
	default:
		r->a->result = DG_K_DROP;
		break;
	}
	return NL_STOP;
}

static int on_route_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct route_reply *r = arg;

	(void)nla;
	r->seen = true;
	r->a->err = -e->error;
	switch (r->a->err) {
	case ENETUNREACH:	/* no route; IPv6's null entry */
	case EHOSTUNREACH:	/* unreachable route, or forwarding off */
	case EACCES:		/* prohibit */
		r->a->result = DG_K_DROP;
		break;
	default:
		/*
		 * EINVAL is a blackhole route, but also a source address
		 * the kernel calls a martian; EXDEV is rp_filter; ENODEV a
		 * device gone meanwhile. None is an answer about the route.
		 */
		r->a->result = DG_K_ERROR;
		break;
	}
	return NL_STOP;
}

/* One RTM_GETROUTE for a TCP segment to @a->addr from @a->src, in @iif. */
static int ask_route(struct nl_sock *sk, struct nl_cache *links,
		     struct dg_route_answer *a, uint32_t iif)
{
	size_t alen = a->family == AF_INET ? 4 : 16;
	struct rtmsg rtm = {
		.rtm_family = a->family,
		.rtm_dst_len = (unsigned char)(alen * 8),
		.rtm_src_len = a->has_src ? (unsigned char)(alen * 8) : 0,
		.rtm_flags = RTM_F_LOOKUP_TABLE,
	};
	struct route_reply r = { .a = a, .links = links };
	struct nl_msg *m = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST);
	int rc = -NLE_NOMEM;

	if (!m)
		return rc;
	if (nlmsg_append(m, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(m, RTA_DST, (int)alen, a->addr) < 0 ||
	    (a->has_src && nla_put(m, RTA_SRC, (int)alen, a->src) < 0) ||
	    nla_put_u32(m, RTA_IIF, iif) < 0 ||
	    nla_put_u8(m, RTA_IP_PROTO, IPPROTO_TCP) < 0)
		goto out;
	rc = nl_send_auto(sk, m);
	if (rc < 0)
		goto out;
	rc = recv_with(sk, on_route, &r, on_route_error);
	if (r.seen)
		rc = 0;
out:
	nlmsg_free(m);
	return rc;
}

/* Is @ifname the input of a (non-`not`) iif rule of @family? */
static const struct dg_fib_rule *iif_rule(const struct dg_family_rules *fr,
					  const char *ifname)
{
	for (size_t i = 0; i < fr->n; i++)
		if (!fr->v[i]->invert && strcmp(fr->v[i]->iif, ifname) == 0)
			return fr->v[i];
	return NULL;
}

static int ask_family(struct nl_sock *sk, struct nl_cache *links,
		      struct dg_doctor_input *in, uint8_t family)
{
	struct dg_family_rules fr;
	int rc = dg_family_rules_init(&fr, family, in);

	for (size_t i = 0; i < in->n_links && !rc; i++) {
		const struct dg_link *l = &in->links[i];
		const struct dg_link *rl = dg_route_iif(in, l, family);
		const struct dg_fib_rule *rule = iif_rule(&fr, l->name);
		uint8_t src[16] = { 0 };
		bool has_src;

		if (!rule || l->loopback)
			continue;
		has_src = dg_doctor_pick_source(in, family, l->name,
						rule->table, src);
		/*
		 * IPv4 refuses an input route from 0.0.0.0 (a martian): with
		 * no address behind the interface, ask from a documentation
		 * address (RFC 5737), which only a strict rp_filter refuses.
		 */
		if (!has_src && family == AF_INET) {
			static const uint8_t test_net_2[4] = { 198, 51, 100, 1 };

			memcpy(src, test_net_2, sizeof(test_net_2));
			has_src = true;
		}
		for (size_t k = 0; k < fr.n_addrs && !rc; k++) {
			struct dg_route_answer *a = dg_doctor_add_answer(in);

			if (!a) {
				rc = -NLE_NOMEM;
				break;
			}
			a->family = family;
			a->ifindex = l->ifindex;
			snprintf(a->iif, sizeof(a->iif), "%s", rl->name);
			memcpy(a->addr, fr.addrs[k], 16);
			a->has_src = has_src;
			memcpy(a->src, src, 16);
			rc = ask_route(sk, links, a, rl->ifindex);
		}
	}
	dg_family_rules_free(&fr);
	return rc;
}

static int gather_routing(struct dg_doctor_input *in, char *msg, size_t len)
{
	struct nl_cache *links = NULL;
	struct nl_sock *sk = nl_socket_alloc(), *qsk = nl_socket_alloc();
	const char *what = "open a route netlink socket";
	int rc = -NLE_NOMEM;

	if (!sk || !qsk)
		goto out;
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0)
		goto out;
	rc = nl_connect(qsk, NETLINK_ROUTE);
	if (rc < 0)
		goto out;
	nl_socket_enable_msg_peek(sk);	/* large dumps */
	/* One answer per query: a route or an error, no extra ack. */
	nl_socket_disable_auto_ack(qsk);
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
	if (rc < 0)
		goto out;
	what = "ask the kernel for input routes";
	rc = ask_family(qsk, links, in, AF_INET);
	if (!rc)
		rc = ask_family(qsk, links, in, AF_INET6);
	if (!rc)
		in->kernel_asked = true;
out:
	if (rc < 0)
		snprintf(msg, len, "cannot %s: %s", what, nl_geterror(rc));
	nl_cache_free(links);
	nl_socket_free(sk);
	nl_socket_free(qsk);
	return rc < 0 ? -1 : 0;
}

int dg_doctor_gather(struct dg_doctor_input *in, struct dg_nl *nl,
		     char *msg, size_t len)
{
	in->ip_early_demux = read_sysctl("/proc/sys/net/ipv4/%s", "ip_early_demux");
	in->tcp_early_demux = read_sysctl("/proc/sys/net/ipv4/%s", "tcp_early_demux");
	in->forwarding6 = read_sysctl("/proc/sys/net/ipv6/conf/%s/forwarding", "all");
	in->tcp_l3mdev_accept = read_sysctl("/proc/sys/net/ipv4/%s",
					    "tcp_l3mdev_accept");

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
