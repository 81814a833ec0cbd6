// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_doctor.c - doctor's routing analysis, verdicts and suggestions on
 * hand-built routing state (no kernel): the VPC CNI's SGP node, IPv4 and
 * IPv6; the same node with the local rule where the kernel puts it; a
 * table that routes only pod addresses; rules with `to`, `from`, `not`,
 * fwmark, goto, suppress_prefixlength and drop actions; blackhole,
 * unreachable and throw routes; forwarding off; missing and loopback
 * interfaces; the module's policy (veto, monitor, explicit settings,
 * longer rules, missing hooks); early demux off; -n; shell quoting; and
 * the JSON and text output, JSON checked exactly and by the strict
 * checkers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "checkers.h"
#include "doctor.h"
#include "fibwalk.h"
#include "harness.h"
#include "output.h"

static struct dg_doctor_input in;

static void reset(void)
{
	dg_doctor_input_free(&in);
	in = (struct dg_doctor_input){
		.ip_early_demux = 1, .tcp_early_demux = 1, .forwarding6 = 1,
	};
}

static void link_(uint32_t ifindex, const char *name)
{
	struct dg_link *l = dg_doctor_add_link(&in);

	l->ifindex = ifindex;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->loopback = strcmp(name, "lo") == 0;
	l->forwarding4 = 1;
}

static struct dg_link *find_link_(const char *name)
{
	for (size_t i = 0; i < in.n_links; i++)
		if (!strcmp(in.links[i].name, name))
			return &in.links[i];
	return NULL;
}

/* route(TABLE, TYPE, "10.0.0.0/8", "eth0"[, metric]) */
static struct dg_fib_route *route_m(uint32_t table, uint8_t type,
				    const char *prefix, const char *dev,
				    uint32_t metric)
{
	struct dg_fib_route *r = dg_doctor_add_route(&in);

	if (dg_prefix_parse(&r->dst, prefix) < 0) {
		fprintf(stderr, "bad prefix %s\n", prefix);
		exit(2);
	}
	r->family = r->dst.family;
	r->table = table;
	r->type = type;
	r->priority = metric;
	snprintf(r->dev, sizeof(r->dev), "%s", dev ? dev : "");
	return r;
}

static struct dg_fib_route *route(uint32_t table, uint8_t type,
				  const char *prefix, const char *dev)
{
	return route_m(table, type, prefix, dev, 0);
}

/* A `lookup TABLE` rule; iif may be NULL. */
static struct dg_fib_rule *rule(uint8_t family, uint32_t prio,
				const char *iif, uint32_t table)
{
	struct dg_fib_rule *r = dg_doctor_add_rule(&in);

	r->family = family;
	r->priority = prio;
	r->action = FR_ACT_TO_TBL;
	r->table = table;
	r->src.family = r->dst.family = family;
	if (iif)
		snprintf(r->iif, sizeof(r->iif), "%s", iif);
	return r;
}

static void set_prefix(struct dg_prefix *p, const char *s)
{
	if (dg_prefix_parse(p, s) < 0) {
		fprintf(stderr, "bad prefix %s\n", s);
		exit(2);
	}
}

/* The kernel's default rules of @family, with `local` at @local_pref. */
static void default_rules(uint8_t family, uint32_t local_pref)
{
	rule(family, local_pref, NULL, RT_TABLE_LOCAL);
	rule(family, 32766, NULL, RT_TABLE_MAIN);
	if (family == AF_INET)
		rule(family, 32767, NULL, RT_TABLE_DEFAULT);
}

/*
 * The node of tests/vm/sgp.sh: eth0 10.0.1.10/24 fd00:1::10/64, the pod
 * subnet via eth0, table 201 with the subnet gateway on vlan.eth.101 and
 * the pod on vlanabc, iif rules at 10 and the local rule at @local_pref.
 */
static void sgp_node(uint32_t local_pref, bool v6)
{
	link_(1, "lo");
	link_(2, "eth0");
	link_(3, "eth1");
	link_(4, "vlanabc");
	link_(5, "vlan.eth.101");

	route(RT_TABLE_LOCAL, RTN_LOCAL, "127.0.0.0/8", "lo");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "127.0.0.1", "lo");
	route(RT_TABLE_LOCAL, RTN_BROADCAST, "127.255.255.255", "lo");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "10.0.1.10", "eth0");
	route(RT_TABLE_LOCAL, RTN_BROADCAST, "10.0.1.255", "eth0");
	route(RT_TABLE_MAIN, RTN_UNICAST, "10.0.1.0/24", "eth0");
	route(RT_TABLE_MAIN, RTN_UNICAST, "10.0.2.0/24", "eth0");
	route(201, RTN_UNICAST, "10.0.2.1", "vlan.eth.101");
	route(201, RTN_UNICAST, "0.0.0.0/0", "vlan.eth.101");
	route(201, RTN_UNICAST, "10.0.2.20", "vlanabc");
	rule(AF_INET, 10, "vlan.eth.101", 201);
	rule(AF_INET, 10, "vlanabc", 201);
	default_rules(AF_INET, local_pref);
	if (!v6)
		return;
	route(RT_TABLE_LOCAL, RTN_LOCAL, "::1", "lo");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "fd00:1::10", "eth0");
	route(RT_TABLE_LOCAL, RTN_ANYCAST, "fd00:1::", "eth0");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "fe80::ff:fe00:2", "vlanabc");
	route(RT_TABLE_LOCAL, RTN_MULTICAST, "ff00::/8", "eth0");
	route(RT_TABLE_MAIN, RTN_UNICAST, "fd00:1::/64", "eth0");
	route(RT_TABLE_MAIN, RTN_UNICAST, "fd00:2::/64", "eth0");
	route(RT_TABLE_MAIN, RTN_UNICAST, "fe80::/64", "vlanabc");
	route(201, RTN_UNICAST, "fd00:2::1", "vlan.eth.101");
	route(201, RTN_UNICAST, "::/0", "vlan.eth.101");
	route(201, RTN_UNICAST, "fd00:2::20", "vlanabc");
	rule(AF_INET6, 10, "vlan.eth.101", 201);
	rule(AF_INET6, 10, "vlanabc", 201);
	default_rules(AF_INET6, local_pref);
}

/* The module loaded with @n hooks named as the module names them. */
static struct dg_hook all_hooks[] = {
	{ .name = "tcp_v4_early_demux", .attached = true, .armed = false },
	{ .name = "tcp_v6_early_demux", .attached = true, .armed = false },
	{ .name = "ip_forward", .attached = true, .armed = true },
	{ .name = "ip6_forward", .attached = true, .armed = true },
};

static void module_(void)
{
	in.module_loaded = true;
	snprintf(in.status.version, sizeof(in.status.version), "0.1.0");
	for (size_t i = 0; i < 4; i++)
		*dg_status_add_hook(&in.status) = all_hooks[i];
}

static struct dg_dev *dev_(uint32_t ifindex, const char *name, int mode,
			   int source, const char *rule_prefix)
{
	struct dg_dev *d = dg_dev_list_add(&in.devs);

	d->ifindex = ifindex;
	snprintf(d->ifname, sizeof(d->ifname), "%s", name);
	d->mode = mode;
	d->source = source;
	snprintf(d->rule, sizeof(d->rule), "%s", rule_prefix ? rule_prefix : "");
	d->veto_hook = -1;	/* a module that does not report it */
	return d;
}

static void mrule(const char *prefix, int mode)
{
	struct dg_rule *r = dg_rule_list_add(&in.mrules);

	snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
	r->mode = mode;
}

/* ---- checking a report -------------------------------------------------- */

static struct dg_doctor_report rep;
static bool analyzed;

static bool analyze(struct t *t)
{
	if (analyzed)
		dg_doctor_report_free(&rep);
	analyzed = dg_doctor_analyze(&in, &rep) == 0;
	if (!analyzed)
		t_fail(t, "dg_doctor_analyze failed");
	return analyzed;
}

static const struct dg_doctor_if *iface(struct t *t, const char *name)
{
	for (size_t i = 0; analyzed && i < rep.n; i++)
		if (!strcmp(rep.v[i].ifname, name))
			return &rep.v[i];
	t_fail(t, "%s not reported", name);
	return NULL;
}

static const char *const verdicts[] = { "not affected", "at risk", "protected" };

static void expect_verdict(struct t *t, const char *name, enum dg_verdict v,
			   unsigned int families)
{
	const struct dg_doctor_if *x = iface(t, name);

	if (!x)
		return;
	T_CHECK(t, x->verdict == v, "%s: verdict \"%s\", want \"%s\" (%s)", name,
		verdicts[x->verdict], verdicts[v], x->reason);
	T_CHECK(t, x->families == families, "%s: families %#x, want %#x (%s)",
		name, x->families, families, x->reason);
}

static void expect_reason(struct t *t, const char *name, const char *part)
{
	const struct dg_doctor_if *x = iface(t, name);

	if (x && !strstr(x->reason, part))
		t_fail(t, "%s: reason \"%s\" lacks \"%s\"", name, x->reason, part);
}

/* The suggested commands, joined by "; ". */
static void expect_cmds(struct t *t, const char *want)
{
	char got[2048] = "";

	for (size_t i = 0; analyzed && i < rep.n_cmds; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			 i ? "; " : "", rep.cmds[i].text);
	t_check_str(t, "suggestion", got, want);
}

#define V4 (1u << DG_FAM_IPV4)
#define V6 (1u << DG_FAM_IPV6)
#define NA DG_VERDICT_NOT_AFFECTED
#define RISK DG_VERDICT_AT_RISK
#define PROT DG_VERDICT_PROTECTED

/* ---- the cases ------------------------------------------------------------ */

static void test_sgp(void)
{
	const struct dg_doctor_if *x;
	struct t t;

	t_begin(&t, "doctor: SGP node, no module: both inputs at risk, v4+v6");
	reset();
	sgp_node(20, true);
	if (analyze(&t)) {
		T_CHECK(&t, rep.n == 2, "%zu interfaces, want 2", rep.n);
		expect_verdict(&t, "vlanabc", RISK, V4 | V6);
		expect_verdict(&t, "vlan.eth.101", RISK, V4 | V6);
		T_CHECK(&t, rep.at_risk == 2, "at_risk %zu", rep.at_risk);
		x = iface(&t, "vlanabc");
		if (x) {
			T_CHECK(&t, x->ifindex == 4, "ifindex %u", x->ifindex);
			T_CHECK(&t, x->has_rule && x->rule_family == AF_INET &&
				x->rule_priority == 10 && x->rule_table == 201,
				"rule %u table %u", x->rule_priority, x->rule_table);
			T_CHECK(&t, x->has_local_rule && x->local_rule_priority == 20,
				"local rule %u", x->local_rule_priority);
			t_check_str(&t, "address", x->address, "10.0.1.10");
			t_check_str(&t, "route", x->route, "default dev vlan.eth.101");
			T_CHECK(&t, !x->policy_known, "policy known without module");
			t_check_str(&t, "reason", x->reason,
				    "ipv4, ipv6: rule 10 (iif vlanabc lookup 201) "
				    "comes before the local rule (20) and routes the "
				    "node's addresses away (default dev vlan.eth.101); "
				    "the demuxguard module is not loaded");
		}
		/* vlanabc has the lower ifindex here: listed first */
		T_CHECK(&t, !strcmp(rep.v[0].ifname, "vlanabc"), "order: %s first",
			rep.v[0].ifname);
		expect_cmds(&t, "demuxguard rule add prefix vlan mode veto");
		t_check_str(&t, "boot rules", rep.boot_rules, "vlan=veto");
	}
	t_end(&t);

	t_begin(&t, "doctor: local rule at 0 (not moved): not affected, why");
	reset();
	sgp_node(0, true);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_verdict(&t, "vlan.eth.101", NA, 0);
		expect_reason(&t, "vlanabc", "ipv4, ipv6: the local rule (0) comes "
			      "first: the node's addresses are delivered before "
			      "rule 10 (iif vlanabc lookup 201)");
		T_CHECK(&t, rep.at_risk == 0 && rep.n_cmds == 0,
			"at_risk %zu, %zu commands", rep.at_risk, rep.n_cmds);
	}
	t_end(&t);

	t_begin(&t, "doctor: IPv6 only moved: at risk in ipv6 alone");
	reset();
	sgp_node(0, false);
	route(RT_TABLE_LOCAL, RTN_LOCAL, "fd00:1::10", "eth0");
	route(201, RTN_UNICAST, "::/0", "vlan.eth.101");
	rule(AF_INET6, 10, "vlanabc", 201);
	default_rules(AF_INET6, 20);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V6);
		expect_verdict(&t, "vlan.eth.101", NA, 0);
		x = iface(&t, "vlanabc");
		if (x) {
			T_CHECK(&t, x->rule_family == AF_INET6, "rule family %u",
				x->rule_family);
			t_check_str(&t, "address", x->address, "fd00:1::10");
			expect_reason(&t, "vlanabc", "ipv4: the local rule (0) comes first");
			expect_reason(&t, "vlanabc", "; ipv6: rule 10 (iif vlanabc "
				      "lookup 201) comes before the local rule (20)");
		}
		expect_cmds(&t, "demuxguard rule add prefix vlanabc mode veto");
	}
	t_end(&t);

	t_begin(&t, "doctor: IPv6 link-local and loopback are not node addresses");
	reset();
	link_(1, "lo");
	link_(4, "vlanabc");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "::1", "lo");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "fe80::1", "vlanabc");
	route(201, RTN_UNICAST, "::/0", "vlanabc");
	rule(AF_INET6, 10, "vlanabc", 201);
	default_rules(AF_INET6, 20);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_reason(&t, "vlanabc", "ipv6: the node has no ipv6 address");
	}
	t_end(&t);
}

static void test_tables(void)
{
	struct t t;

	t_begin(&t, "doctor: a table that routes only pod addresses: not affected");
	reset();
	sgp_node(20, true);
	link_(6, "vlanxyz");
	route(203, RTN_UNICAST, "10.0.2.40", "vlanxyz");
	route(203, RTN_UNICAST, "fd00:2::40", "vlanxyz");
	rule(AF_INET, 10, "vlanxyz", 203);
	rule(AF_INET6, 10, "vlanxyz", 203);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanxyz", NA, 0);
		expect_verdict(&t, "vlanabc", RISK, V4 | V6);
		expect_reason(&t, "vlanxyz", "ipv4, ipv6: table 203 has no route for "
			      "the node's addresses; the local rule (20) delivers them");
		/* The prefix of the interfaces at risk only. */
		expect_cmds(&t, "demuxguard rule add prefix vlan mode veto");
		T_CHECK(&t, rep.at_risk == 2, "at_risk %zu", rep.at_risk);
	}
	t_end(&t);

	t_begin(&t, "doctor: a blackhole route for the node: not forwarded");
	reset();
	sgp_node(20, false);
	route(201, RTN_BLACKHOLE, "10.0.1.0/24", NULL);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_reason(&t, "vlanabc", "table 201 drops packets for the node's "
			      "addresses (blackhole 10.0.1.0/24): they are not "
			      "forwarded, so early demux plays no part");
	}
	t_end(&t);

	t_begin(&t, "doctor: an unreachable default route: not forwarded");
	reset();
	link_(4, "vlanabc");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "10.0.1.10", "eth0");
	route(201, RTN_UNREACHABLE, "0.0.0.0/0", NULL);
	rule(AF_INET, 10, "vlanabc", 201);
	default_rules(AF_INET, 20);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_reason(&t, "vlanabc", "(unreachable default)");
	}
	t_end(&t);

	t_begin(&t, "doctor: a throw route sends the lookup on to local");
	reset();
	sgp_node(20, false);
	route(201, RTN_THROW, "10.0.1.0/24", NULL);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_reason(&t, "vlanabc", "table 201 throws the node's addresses "
			      "back to the rules; the local rule (20) delivers them");
	}
	t_end(&t);

	t_begin(&t, "doctor: a local route in the iif table: delivered");
	reset();
	sgp_node(20, false);
	route(201, RTN_LOCAL, "10.0.1.10", "eth0");
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_reason(&t, "vlanabc", "table 201 delivers the node's "
			      "addresses locally");
	}
	t_end(&t);

	t_begin(&t, "doctor: equal prefixes: the lowest metric wins");
	reset();
	link_(4, "vlanabc");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "fd00:1::10", "eth0");
	route_m(201, RTN_UNICAST, "::/0", "vlanabc", 1024);
	route_m(201, RTN_BLACKHOLE, "::/0", NULL, 100);
	rule(AF_INET6, 10, "vlanabc", 201);
	default_rules(AF_INET6, 20);
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", NA, 0);
	in.routes[2].priority = 2000;	/* now the unicast route wins */
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V6);
	t_end(&t);

	t_begin(&t, "doctor: routes for some packets only (tos, source) are skipped");
	reset();
	sgp_node(20, false);
	route(201, RTN_BLACKHOLE, "10.0.1.10", NULL)->conditional = true;
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V4);
	t_end(&t);

	t_begin(&t, "doctor: a route to another node address only");
	reset();
	link_(4, "vlanabc");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "10.0.1.10", "eth0");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "10.0.3.10", "eth2");
	route(201, RTN_UNICAST, "10.0.3.0/24", "vlan.eth.101");
	rule(AF_INET, 10, "vlanabc", 201);
	default_rules(AF_INET, 20);
	if (analyze(&t)) {
		const struct dg_doctor_if *x = iface(&t, "vlanabc");

		expect_verdict(&t, "vlanabc", RISK, V4);
		if (x) {
			t_check_str(&t, "address", x->address, "10.0.3.10");
			t_check_str(&t, "route", x->route, "10.0.3.0/24 dev vlan.eth.101");
		}
	}
	t_end(&t);
}

static void test_selectors(void)
{
	struct dg_fib_rule *r;
	struct t t;

	t_begin(&t, "doctor: `to` a pod subnet: does not apply to node addresses");
	reset();
	sgp_node(20, false);
	set_prefix(&in.rules[1].dst, "10.0.2.0/24");	/* iif vlanabc */
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_verdict(&t, "vlan.eth.101", RISK, V4);
		expect_reason(&t, "vlanabc", "ipv4: rule 10 (to 10.0.2.0/24 iif "
			      "vlanabc lookup 201) does not apply to the node's "
			      "addresses");
		expect_cmds(&t, "demuxguard rule add prefix vlan.eth.101 mode veto");
	}
	t_end(&t);

	t_begin(&t, "doctor: `to` the node subnet: at risk");
	reset();
	sgp_node(20, false);
	set_prefix(&in.rules[1].dst, "10.0.1.0/24");
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V4);
	t_end(&t);

	t_begin(&t, "doctor: `not to` the node subnet ahead of local: not affected");
	reset();
	link_(4, "vlanabc");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "10.0.1.10", "eth0");
	route(201, RTN_UNICAST, "0.0.0.0/0", "vlan.eth.101");
	r = rule(AF_INET, 5, NULL, 201);
	r->invert = true;
	set_prefix(&r->dst, "10.0.1.0/24");
	rule(AF_INET, 10, "vlanabc", 202);	/* table 202 is empty */
	default_rules(AF_INET, 20);
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", NA, 0);
	/* `not to` the pod subnet matches the node's addresses instead. */
	set_prefix(&in.rules[0].dst, "10.0.2.0/24");
	if (analyze(&t)) {
		const struct dg_doctor_if *x = iface(&t, "vlanabc");

		expect_verdict(&t, "vlanabc", RISK, V4);
		if (x)
			T_CHECK(&t, x->rule_priority == 5, "rule %u, want 5",
				x->rule_priority);
		expect_reason(&t, "vlanabc", "rule 5 (not to 10.0.2.0/24 lookup 201)");
	}
	t_end(&t);

	t_begin(&t, "doctor: `not iif X` is about every other interface");
	reset();
	sgp_node(20, false);
	r = rule(AF_INET, 5, "eth1", RT_TABLE_MAIN);
	r->invert = true;	/* all but eth1: main, which has 10.0.1.0/24 */
	if (analyze(&t)) {
		T_CHECK(&t, rep.n == 2, "%zu interfaces, want 2 (eth1 is not "
			"an input of that rule)", rep.n);
		expect_verdict(&t, "vlanabc", RISK, V4);
		expect_reason(&t, "vlanabc", "ipv4: rule 5 (not iif eth1 lookup "
			      "main) comes before the local rule (20) and routes the "
			      "node's addresses away (10.0.1.0/24 dev eth0)");
	}
	snprintf(in.rules[in.n_rules - 1].iif, IFNAMSIZ, "vlanabc");
	if (analyze(&t)) {
		/* vlanabc is the one interface the `not` rule skips */
		T_CHECK(&t, iface(&t, "vlanabc") &&
			iface(&t, "vlanabc")->rule_priority == 10, "vlanabc: rule");
		expect_reason(&t, "vlan.eth.101", "rule 5 (not iif vlanabc lookup main)");
	}
	t_end(&t);

	t_begin(&t, "doctor: `from` and fwmark may match: at risk, said so");
	reset();
	sgp_node(20, false);
	set_prefix(&in.rules[1].src, "10.0.2.20");
	in.rules[0].other_selectors = true;	/* e.g. fwmark 0x80/0x80 */
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		expect_verdict(&t, "vlan.eth.101", RISK, V4);
		expect_reason(&t, "vlanabc", ", for packets that the rules' other "
			      "selectors (source, fwmark, ...) let through");
	}
	t_end(&t);

	t_begin(&t, "doctor: a may-match rule ahead does not hide a forward");
	reset();
	sgp_node(20, false);
	r = rule(AF_INET, 5, NULL, RT_TABLE_LOCAL);	/* local, fwmark only */
	r->other_selectors = true;
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		T_CHECK(&t, !strstr(iface(&t, "vlanabc") ?
				    iface(&t, "vlanabc")->reason : "", "other selectors"),
			"the forward is certain for the other packets");
	}
	t_end(&t);

	t_begin(&t, "doctor: ipproto udp never matches TCP; tcp does");
	reset();
	sgp_node(20, false);
	in.rules[1].ip_proto = IPPROTO_UDP;
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", NA, 0);
	in.rules[1].ip_proto = IPPROTO_TCP;
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V4);
	t_end(&t);

	t_begin(&t, "doctor: an oif rule never matches received packets");
	reset();
	sgp_node(20, false);
	r = rule(AF_INET, 5, NULL, RT_TABLE_LOCAL);
	snprintf(r->oif, sizeof(r->oif), "eth0");
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V4);
	t_end(&t);

	t_begin(&t, "doctor: an iif rule with a blackhole action: not forwarded");
	reset();
	sgp_node(20, false);
	in.rules[1].action = FR_ACT_BLACKHOLE;
	in.rules[1].table = 0;
	if (analyze(&t)) {
		const struct dg_doctor_if *x = iface(&t, "vlanabc");

		expect_verdict(&t, "vlanabc", NA, 0);
		expect_reason(&t, "vlanabc", "rule 10 (iif vlanabc blackhole) drops "
			      "packets for the node's addresses");
		if (x)
			T_CHECK(&t, x->rule_table == 0, "table %u", x->rule_table);
	}
	t_end(&t);

	t_begin(&t, "doctor: same priority: the rule added first decides");
	reset();
	sgp_node(20, false);
	r = rule(AF_INET, 10, "vlanabc", 0);	/* after the lookup 201 */
	r->action = FR_ACT_BLACKHOLE;
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V4);
	reset();
	link_(4, "vlanabc");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "10.0.1.10", "eth0");
	route(201, RTN_UNICAST, "0.0.0.0/0", "eth0");
	rule(AF_INET, 10, "vlanabc", 0)->action = FR_ACT_BLACKHOLE;
	rule(AF_INET, 10, "vlanabc", 201);
	default_rules(AF_INET, 20);
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", NA, 0);
	t_end(&t);

	t_begin(&t, "doctor: goto past the local rule, and an unresolved goto");
	reset();
	link_(4, "vlanabc");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "10.0.1.10", "eth0");
	route(201, RTN_UNICAST, "0.0.0.0/0", "eth0");
	r = rule(AF_INET, 5, "vlanabc", 0);
	r->action = FR_ACT_GOTO;
	r->goto_target = 30;
	default_rules(AF_INET, 20);
	rule(AF_INET, 30, NULL, 201);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		expect_reason(&t, "vlanabc", "ipv4: rule 30 (lookup 201) routes the "
			      "node's addresses away (default dev eth0)");
	}
	in.rules[0].goto_target = 40;	/* no rule 40: skipped */
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", NA, 0);
	in.rules[0].goto_target = 30;
	in.rules[0].other_selectors = true;	/* a goto that may match */
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V4);
	t_end(&t);

	t_begin(&t, "doctor: 60 may-match gotos in a row: walked once each");
	reset();
	link_(4, "vlanabc");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "10.0.1.10", "eth0");
	route(201, RTN_UNICAST, "0.0.0.0/0", "eth0");
	rule(AF_INET, 1, "vlanabc", 202);	/* empty: only makes it an input */
	for (uint32_t k = 2; k < 62; k++) {
		/* each both falls through to and jumps to the next one: 2^60
		 * paths, unless a side walk is taken only once per start */
		r = rule(AF_INET, k, NULL, 0);
		r->action = FR_ACT_GOTO;
		r->goto_target = k + 1;
		r->other_selectors = true;
	}
	rule(AF_INET, 62, NULL, 202);
	default_rules(AF_INET, 100);
	rule(AF_INET, 30000, NULL, 201);
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", NA, 0);
	in.rules[in.n_rules - 5].table = 201;	/* pref 62 now forwards */
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V4);
	t_end(&t);

	t_begin(&t, "doctor: suppress_prefixlength 0 ignores the default route");
	reset();
	sgp_node(20, false);
	in.rules[0].suppress_prefixlen = 0;
	in.rules[1].suppress_prefixlen = 0;
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_reason(&t, "vlanabc", "ignores table 201's route for the "
			      "node's addresses (suppress_prefixlength 0)");
	}
	route(201, RTN_UNICAST, "10.0.1.0/24", "vlan.eth.101");
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V4);
	t_end(&t);
}

static void test_interfaces(void)
{
	struct t t;

	t_begin(&t, "doctor: forwarding off: dropped, not forwarded");
	reset();
	sgp_node(20, true);
	find_link_("vlanabc")->forwarding4 = 0;
	in.forwarding6 = 0;
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_reason(&t, "vlanabc", "ipv4, ipv6: table 201 routes the node's "
			      "addresses away (default dev vlan.eth.101), but "
			      "forwarding is off on vlanabc");
		/* IPv4 forwarding is per input device; IPv6's is global. */
		expect_verdict(&t, "vlan.eth.101", RISK, V4);
	}
	find_link_("vlanabc")->forwarding4 = -1;	/* unknown: assume on */
	in.forwarding6 = -1;
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V4 | V6);
	t_end(&t);

	t_begin(&t, "doctor: a rule for a missing interface; a detached one");
	reset();
	sgp_node(20, false);
	rule(AF_INET, 11, "ghost0", 201);
	in.rules[1].iif_detached = true;	/* vlanabc's rule, detached */
	if (analyze(&t)) {
		const struct dg_doctor_if *g = iface(&t, "ghost0");

		expect_verdict(&t, "ghost0", NA, 0);
		expect_reason(&t, "ghost0", "there is no interface ghost0 in this "
			      "namespace");
		if (g)
			T_CHECK(&t, g->ifindex == 0, "ifindex %u", g->ifindex);
		T_CHECK(&t, !strcmp(rep.v[rep.n - 1].ifname, "ghost0"),
			"a missing interface is listed last");
		expect_verdict(&t, "vlanabc", NA, 0);
	}
	t_end(&t);

	t_begin(&t, "doctor: `iif lo` is not an input of early demux");
	reset();
	sgp_node(20, false);
	rule(AF_INET, 10, "lo", 201);
	if (analyze(&t)) {
		expect_verdict(&t, "lo", NA, 0);
		expect_reason(&t, "lo", "lo is a loopback device");
	}
	t_end(&t);

	t_begin(&t, "doctor: no iif rule at all: nothing reported");
	reset();
	link_(1, "lo");
	link_(2, "eth0");
	link_(3, "eni1");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "10.0.5.10", "eth0");
	route(RT_TABLE_MAIN, RTN_UNICAST, "10.0.5.21", "eni1");
	route(2, RTN_UNICAST, "0.0.0.0/0", "eth0");
	set_prefix(&rule(AF_INET, 512, NULL, RT_TABLE_MAIN)->dst, "10.0.5.21");
	set_prefix(&rule(AF_INET, 1536, NULL, 2)->src, "10.0.5.21");
	default_rules(AF_INET, 0);
	default_rules(AF_INET6, 0);
	if (analyze(&t)) {
		T_CHECK(&t, rep.n == 0, "%zu interfaces reported", rep.n);
		T_CHECK(&t, rep.at_risk == 0 && rep.n_cmds == 0,
			"at_risk %zu, %zu commands", rep.at_risk, rep.n_cmds);
	}
	t_end(&t);
}

static void test_policy(void)
{
	const struct dg_doctor_if *x;
	struct t t;

	t_begin(&t, "doctor: rule vlan=veto: both protected, nothing suggested");
	reset();
	sgp_node(20, true);
	module_();
	mrule("vlan", DEMUXGUARD_MODE_VETO);
	dev_(4, "vlanabc", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_RULE, "vlan")
		->stats[DG_FAM_IPV4][DG_C_VETOED] = 7;
	in.devs.v[0].stats[DG_FAM_IPV6][DG_C_VETOED] = 5;
	in.devs.v[0].stats[DG_FAM_IPV6][DG_C_FWD_SK_DROPS] = 2;
	dev_(5, "vlan.eth.101", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_RULE, "vlan");
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", PROT, V4 | V6);
		expect_verdict(&t, "vlan.eth.101", PROT, V4 | V6);
		T_CHECK(&t, rep.at_risk == 0 && rep.n_cmds == 0,
			"at_risk %zu, %zu commands", rep.at_risk, rep.n_cmds);
		x = iface(&t, "vlanabc");
		if (x) {
			T_CHECK(&t, x->policy_known && x->mode == DEMUXGUARD_MODE_VETO &&
				x->source == DEMUXGUARD_SOURCE_RULE, "policy");
			T_CHECK(&t, x->has_covering && !strcmp(x->covering, "vlan"),
				"covering rule");
			T_CHECK(&t, x->vetoed == 12 && x->fwd_sk_drops == 2,
				"counters %llu %llu", (unsigned long long)x->vetoed,
				(unsigned long long)x->fwd_sk_drops);
		}
	}
	t_end(&t);

	t_begin(&t, "doctor: monitor counts but is at risk, and says so");
	reset();
	sgp_node(20, true);
	module_();
	dev_(4, "vlanabc", DEMUXGUARD_MODE_MONITOR, DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4 | V6);
		expect_reason(&t, "vlanabc", "; monitor counts these drops "
			      "(fwd_sk_drops) but does not prevent them");
		/* The rule reaches both (monitor is explicit: set wins). */
		expect_cmds(&t, "demuxguard rule add prefix vlan mode veto; "
			    "demuxguard set dev vlanabc mode veto");
	}
	t_end(&t);

	t_begin(&t, "doctor: veto without the ip6_forward hook is not protection");
	reset();
	sgp_node(20, true);
	module_();
	in.status.hooks[3].attached = false;
	in.status.hooks[3].armed = false;
	dev_(4, "vlanabc", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	dev_(5, "vlan.eth.101", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4 | V6);
		expect_reason(&t, "vlanabc", "; mode veto, but hook ip6_forward is "
			      "not attached and armed");
		expect_cmds(&t, "");
	}
	/* IPv4 only: ip_forward is enough. */
	reset();
	sgp_node(20, false);
	module_();
	in.status.hooks[3].attached = false;
	dev_(4, "vlanabc", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", PROT, V4);
	t_end(&t);

	t_begin(&t, "doctor: an explicit off beats the rule: set suggested alone");
	reset();
	sgp_node(20, false);
	module_();
	mrule("vlan", DEMUXGUARD_MODE_VETO);
	dev_(4, "vlanabc", DEMUXGUARD_MODE_OFF, DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	dev_(5, "vlan.eth.101", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_RULE, "vlan");
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		expect_verdict(&t, "vlan.eth.101", PROT, V4);
		x = iface(&t, "vlanabc");
		if (x)
			T_CHECK(&t, x->has_covering && !strcmp(x->covering, "vlan"),
				"covering rule of an explicit setting");
		expect_cmds(&t, "demuxguard set dev vlanabc mode veto");
		t_check_str(&t, "boot rules", rep.boot_rules, "");
	}
	t_end(&t);

	t_begin(&t, "doctor: a longer rule with off: rule plus a set");
	reset();
	sgp_node(20, false);
	link_(6, "vlandef");
	route(202, RTN_UNICAST, "0.0.0.0/0", "vlan.eth.101");
	rule(AF_INET, 10, "vlandef", 202);
	module_();
	mrule("vlande", DEMUXGUARD_MODE_OFF);
	mrule("vlan", DEMUXGUARD_MODE_MONITOR);
	dev_(6, "vlandef", DEMUXGUARD_MODE_OFF, DEMUXGUARD_SOURCE_RULE, "vlande");
	if (analyze(&t)) {
		expect_verdict(&t, "vlandef", RISK, V4);
		/* rule add replaces vlan's mode; vlande=off still wins. */
		expect_cmds(&t, "demuxguard rule add prefix vlan mode veto; "
			    "demuxguard set dev vlandef mode veto");
	}
	t_end(&t);

	t_begin(&t, "doctor: no common prefix: one set per interface");
	reset();
	sgp_node(20, false);
	link_(6, "eth5");
	rule(AF_INET, 10, "eth5", 201);
	if (analyze(&t)) {
		expect_verdict(&t, "eth5", RISK, V4);
		expect_cmds(&t, "demuxguard set dev vlanabc mode veto; "
			    "demuxguard set dev vlan.eth.101 mode veto; "
			    "demuxguard set dev eth5 mode veto");
		t_check_str(&t, "boot rules", rep.boot_rules, "");
	}
	t_end(&t);

	t_begin(&t, "doctor: -n NETNS goes into the commands, quoted");
	reset();
	sgp_node(20, false);
	in.netns = "blue";
	if (analyze(&t)) {
		expect_cmds(&t, "demuxguard -n blue rule add prefix vlan mode veto");
		t_check_str(&t, "boot rules (initial namespace only)",
			    rep.boot_rules, "");
	}
	in.netns = "my ns";
	if (analyze(&t))
		expect_cmds(&t, "demuxguard -n 'my ns' rule add prefix vlan mode veto");
	t_end(&t);
}

static void test_early_demux(void)
{
	struct t t;

	t_begin(&t, "doctor: tcp_early_demux=0: not affected, rule still offered");
	reset();
	sgp_node(20, true);
	in.tcp_early_demux = 0;
	if (analyze(&t)) {
		T_CHECK(&t, !rep.early_demux_on, "early demux counted on");
		expect_verdict(&t, "vlanabc", NA, V4 | V6);
		expect_reason(&t, "vlanabc", "; early demux is off, so no socket is "
			      "attached: protect vlanabc before turning it back on");
		T_CHECK(&t, rep.at_risk == 0, "at_risk %zu", rep.at_risk);
		expect_cmds(&t, "demuxguard rule add prefix vlan mode veto");
	}
	t_end(&t);

	t_begin(&t, "doctor: ip_early_demux=0 gates TCP too; unknown counts as on");
	reset();
	sgp_node(20, false);
	in.ip_early_demux = 0;
	if (analyze(&t))
		T_CHECK(&t, !rep.early_demux_on && rep.at_risk == 0, "ip_early_demux");
	in.ip_early_demux = -1;
	in.tcp_early_demux = -1;
	if (analyze(&t))
		T_CHECK(&t, rep.early_demux_on && rep.at_risk == 2, "unknown sysctls");
	t_end(&t);

	t_begin(&t, "doctor: early demux off and protected stays protected");
	reset();
	sgp_node(20, false);
	in.tcp_early_demux = 0;
	module_();
	mrule("vlan", DEMUXGUARD_MODE_VETO);
	dev_(4, "vlanabc", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_RULE, "vlan");
	dev_(5, "vlan.eth.101", DEMUXGUARD_MODE_OFF, DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", PROT, V4);
		expect_verdict(&t, "vlan.eth.101", NA, V4);
		expect_cmds(&t, "demuxguard set dev vlan.eth.101 mode veto");
	}
	t_end(&t);
}

static void test_helpers(void)
{
	static const struct { const char *in, *want; } quotes[] = {
		{ "vlan", "vlan" }, { "vlan.eth.101", "vlan.eth.101" },
		{ "", "''" }, { "a b", "'a b'" }, { "it's", "'it'\\''s'" },
		{ "$x", "'$x'" }, { "a\x01z", "$'a\\x01z'" },
		{ "q'\x1b", "$'q\\'\\x1b'" },
	};
	const char *names1[] = { "vlanabc", "vlan.eth.101", "vlandef" };
	const char *names2[] = { "vlanabc", "eth0" };
	const char *names3[] = { "abcdefghijklmno" };
	char buf[64], p[IFNAMSIZ];
	struct dg_prefix pf;
	struct t t;

	t_begin(&t, "doctor: shell quoting of suggested words");
	for (size_t i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++) {
		dg_shell_quote(buf, sizeof(buf), quotes[i].in);
		t_check_str(&t, quotes[i].in, buf, quotes[i].want);
	}
	t_end(&t);

	t_begin(&t, "doctor: longest common prefix of interface names");
	dg_common_prefix(p, names1, 3);
	t_check_str(&t, "vlan*", p, "vlan");
	dg_common_prefix(p, names2, 2);
	t_check_str(&t, "none", p, "");
	dg_common_prefix(p, names3, 1);
	t_check_str(&t, "one", p, "abcdefghijklmno");
	dg_common_prefix(p, names1, 0);
	t_check_str(&t, "empty list", p, "");
	t_end(&t);

	t_begin(&t, "doctor: prefix parsing");
	T_CHECK(&t, dg_prefix_parse(&pf, "10.0.0.0/8") == 0 && pf.family == AF_INET &&
		pf.len == 8, "10.0.0.0/8");
	T_CHECK(&t, dg_prefix_parse(&pf, "fd00::1") == 0 && pf.family == AF_INET6 &&
		pf.len == 128, "fd00::1");
	T_CHECK(&t, dg_prefix_parse(&pf, "::/0") == 0 && pf.len == 0, "::/0");
	T_CHECK(&t, dg_prefix_parse(&pf, "10.0.0.0/33") < 0, "/33 refused");
	T_CHECK(&t, dg_prefix_parse(&pf, "10.0.0.0/") < 0, "empty length refused");
	T_CHECK(&t, dg_prefix_parse(&pf, "nonsense") < 0, "nonsense refused");
	t_end(&t);
}


/* ---- the kernel's answers, VRF, dead routes, the veto hook ---------------- */

/* The kernel's answer for @ifname's query of @addr from @src. */
static struct dg_route_answer *answer(const char *ifname, const char *addr,
				      const char *src,
				      enum dg_kernel_result result,
				      uint8_t type, uint32_t table,
				      const char *oif, int err)
{
	struct dg_route_answer *a = dg_doctor_add_answer(&in);
	const struct dg_link *l = find_link_(ifname);
	struct dg_prefix p;

	in.kernel_asked = true;
	set_prefix(&p, addr);
	a->family = p.family;
	a->ifindex = l ? l->ifindex : 0;
	snprintf(a->iif, sizeof(a->iif), "%s", ifname);
	memcpy(a->addr, p.addr, 16);
	if (src) {
		set_prefix(&p, src);
		memcpy(a->src, p.addr, 16);
		a->has_src = true;
	}
	a->result = result;
	a->type = type;
	a->table = table;
	snprintf(a->oif, sizeof(a->oif), "%s", oif ? oif : "");
	a->err = err;
	return a;
}

#define K_FWD(dev, addr, src) \
	answer(dev, addr, src, DG_K_FORWARD, RTN_UNICAST, 201, "vlan.eth.101", 0)
#define K_LOCAL(dev, addr, src) \
	answer(dev, addr, src, DG_K_LOCAL, RTN_LOCAL, RT_TABLE_LOCAL, "lo", 0)

static void expect_disagreement(struct t *t, const char *name, const char *want)
{
	const struct dg_doctor_if *x = iface(t, name);

	if (!x)
		return;
	if (!want)
		T_CHECK(t, !x->disagreement[0], "%s: disagreement \"%s\"", name,
			x->disagreement);
	else if (!strstr(x->disagreement, want))
		t_fail(t, "%s: disagreement \"%s\" lacks \"%s\"", name,
		       x->disagreement, want);
}

static void test_kernel(void)
{
	const struct dg_doctor_if *x;
	struct t t;

	t_begin(&t, "doctor: the kernel agrees with the walk: at risk, no disagreement");
	reset();
	sgp_node(20, true);
	K_FWD("vlanabc", "10.0.1.10", "10.0.2.20");
	K_FWD("vlanabc", "fd00:1::10", "fd00:2::20");
	K_FWD("vlan.eth.101", "10.0.1.10", "10.0.2.1");
	K_FWD("vlan.eth.101", "fd00:1::10", "fd00:2::1");
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4 | V6);
		expect_disagreement(&t, "vlanabc", NULL);
		x = iface(&t, "vlanabc");
		if (x)
			T_CHECK(&t, x->n_answers == 2 &&
				x->answers[0]->result == DG_K_FORWARD,
				"%zu answers", x->n_answers);
		T_CHECK(&t, rep.disagreements == 0 && rep.kernel_asked,
			"disagreements %zu", rep.disagreements);
		T_CHECK(&t, dg_doctor_exit_status(&rep) == DG_EXIT_AT_RISK,
			"exit status");
		/* the walk still explains */
		expect_reason(&t, "vlanabc", "rule 10 (iif vlanabc lookup 201) comes "
			      "before the local rule (20)");
	}
	t_end(&t);

	t_begin(&t, "doctor: the kernel delivers where the walk forwards: not affected, said");
	reset();
	sgp_node(20, false);
	K_LOCAL("vlanabc", "10.0.1.10", "10.0.2.20");
	K_FWD("vlan.eth.101", "10.0.1.10", "10.0.2.1");
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_verdict(&t, "vlan.eth.101", RISK, V4);
		expect_reason(&t, "vlanabc", "ipv4: the kernel, asked for 10.0.1.10 "
			      "from 10.0.2.20 arriving on vlanabc, delivers it locally "
			      "(local route, table local) (the rule walk disagrees");
		expect_disagreement(&t, "vlanabc", "ipv4: for 10.0.1.10 from "
				    "10.0.2.20 arriving on vlanabc the kernel delivers "
				    "it locally (local route, table local), where the "
				    "rule walk expected a forward");
		T_CHECK(&t, rep.disagreements == 1, "disagreements %zu",
			rep.disagreements);
		expect_cmds(&t, "demuxguard rule add prefix vlan.eth.101 mode veto");
	}
	t_end(&t);

	t_begin(&t, "doctor: the kernel forwards where the walk delivers: at risk, said");
	reset();
	sgp_node(0, false);
	answer("vlanabc", "10.0.1.10", "10.0.2.20", DG_K_FORWARD, RTN_UNICAST,
	       777, "eth9", 0);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		x = iface(&t, "vlanabc");
		if (x) {
			t_check_str(&t, "route", x->route, "dev eth9");
			t_check_str(&t, "address", x->address, "10.0.1.10");
			T_CHECK(&t, x->rule_table == 777, "table %u", x->rule_table);
		}
		expect_disagreement(&t, "vlanabc", "routes it away (out eth9, "
				    "table 777), where the rule walk expected no "
				    "forward");
	}
	t_end(&t);

	t_begin(&t, "doctor: a `from` rule the kernel's packet does not match");
	reset();
	sgp_node(20, false);
	set_prefix(&in.rules[1].src, "10.9.0.0/16");	/* iif vlanabc */
	K_LOCAL("vlanabc", "10.0.1.10", "10.0.2.20");
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_disagreement(&t, "vlanabc", "where the rule walk expected a "
				    "forward for some packets (source, fwmark, ...)");
	}
	t_end(&t);

	t_begin(&t, "doctor: a refused query: cannot tell, exit 3, protect it");
	reset();
	sgp_node(20, false);
	answer("vlanabc", "10.0.1.10", "10.0.2.20", DG_K_ERROR, 0, 0, NULL, EXDEV);
	K_FWD("vlan.eth.101", "10.0.1.10", "10.0.2.1");
	if (analyze(&t)) {
		x = iface(&t, "vlanabc");
		T_CHECK(&t, x && x->verdict == DG_VERDICT_UNKNOWN, "verdict %s",
			x ? dg_verdict_names[x->verdict] : "?");
		expect_reason(&t, "vlanabc", "ipv4: cannot tell: asked for 10.0.1.10 "
			      "from 10.0.2.20 arriving on vlanabc, the kernel refuses "
			      "the request (Invalid cross-device link); by the rule "
			      "walk, rule 10");
		T_CHECK(&t, rep.cannot_tell == 1 && rep.at_risk == 1,
			"cannot_tell %zu at_risk %zu", rep.cannot_tell, rep.at_risk);
		expect_disagreement(&t, "vlanabc", NULL);
		expect_cmds(&t, "demuxguard rule add prefix vlan mode veto");
	}
	/* The same, nothing else at risk: still exit 3. */
	in.n_answers = 1;
	K_LOCAL("vlan.eth.101", "10.0.1.10", "10.0.2.1");
	if (analyze(&t)) {
		T_CHECK(&t, rep.at_risk == 0 && rep.cannot_tell == 1,
			"at_risk %zu", rep.at_risk);
		T_CHECK(&t, dg_doctor_exit_status(&rep) == DG_EXIT_AT_RISK,
			"exit status %d", dg_doctor_exit_status(&rep));
	}
	/* ... unless the veto guards it whatever the route. */
	module_();
	dev_(4, "vlanabc", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", PROT, 0);
		T_CHECK(&t, dg_doctor_exit_status(&rep) == 0, "exit status");
	}
	t_end(&t);

	t_begin(&t, "doctor: EINVAL is a blackhole when the walk finds one");
	reset();
	sgp_node(20, false);
	route(201, RTN_BLACKHOLE, "10.0.1.0/24", NULL);
	answer("vlanabc", "10.0.1.10", "10.0.2.20", DG_K_ERROR, 0, 0, NULL, EINVAL);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_disagreement(&t, "vlanabc", NULL);
	}
	reset();
	sgp_node(20, false);	/* no blackhole: a refused source */
	answer("vlanabc", "10.0.1.10", "10.0.2.20", DG_K_ERROR, 0, 0, NULL, EINVAL);
	if (analyze(&t))
		T_CHECK(&t, rep.cannot_tell == 1, "cannot_tell %zu", rep.cannot_tell);
	t_end(&t);

	t_begin(&t, "doctor: ipv6 forward with net.ipv6.conf.all.forwarding=0");
	reset();
	sgp_node(20, true);
	in.forwarding6 = 0;
	K_FWD("vlanabc", "10.0.1.10", "10.0.2.20");
	K_FWD("vlanabc", "fd00:1::10", "fd00:2::20");
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		expect_disagreement(&t, "vlanabc", NULL);
	}
	t_end(&t);

	t_begin(&t, "doctor: unreachable and no-route answers are drops");
	reset();
	sgp_node(20, false);
	answer("vlanabc", "10.0.1.10", "10.0.2.20", DG_K_DROP, 0, 0, NULL,
	       EHOSTUNREACH);
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_reason(&t, "vlanabc", "does not route it (No route to host): "
			      "dropped, not forwarded");
	}
	t_end(&t);
}

/* The default route of table 201 of sgp_node(), IPv4. */
static struct dg_fib_route *table201_default(void)
{
	for (size_t i = 0; i < in.n_routes; i++)
		if (in.routes[i].table == 201 && in.routes[i].dst.len == 0 &&
		    in.routes[i].family == AF_INET)
			return &in.routes[i];
	fprintf(stderr, "no default route in table 201\n");
	exit(2);
}

/* VRF device @name (ifindex 9, table 301), @slave enslaved to it. */
static void vrf_(const char *name, const char *slave)
{
	struct dg_link *l = find_link_(name);

	if (!l) {
		link_(9, name);
		l = find_link_(name);
	}
	l->vrf = true;
	l->vrf_table = 301;
	find_link_(slave)->master = l->ifindex;
}

static void test_vrf_and_routes(void)
{
	struct dg_fib_rule *r;
	struct t t;

	t_begin(&t, "doctor: VRF slave: ipv4 routed with the slave, ipv6 with the VRF");
	reset();
	sgp_node(20, true);
	vrf_("vrfpod", "vlanabc");
	in.tcp_l3mdev_accept = 1;
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		expect_reason(&t, "vlanabc", "ipv6: vlanabc is enslaved to VRF vrfpod, "
			      "which IPv6 routing takes as the input interface: rule "
			      "10 (iif vlanabc lookup 201) does not apply to the "
			      "node's addresses");
	}
	in.tcp_l3mdev_accept = 0;
	if (analyze(&t)) {
		const struct dg_doctor_if *x = iface(&t, "vlanabc");

		expect_verdict(&t, "vlanabc", NA, V4);
		expect_reason(&t, "vlanabc", "; but vlanabc is in VRF vrfpod and "
			      "net.ipv4.tcp_l3mdev_accept is 0");
		T_CHECK(&t, x && x->vrf_unbound_only, "vrf_unbound_only");
		expect_cmds(&t, "demuxguard rule add prefix vlan.eth.101 mode veto");
	}
	t_end(&t);

	t_begin(&t, "doctor: an l3mdev rule looks up the VRF's table, only in a VRF");
	reset();
	link_(4, "vlanabc");
	link_(9, "vrfpod");
	route(RT_TABLE_LOCAL, RTN_LOCAL, "10.0.1.10", "eth0");
	route(301, RTN_UNICAST, "0.0.0.0/0", "vrfpod");
	rule(AF_INET, 5, "vlanabc", 0)->action = FR_ACT_NOP;
	r = rule(AF_INET, 10, NULL, 0);
	r->l3mdev = true;
	default_rules(AF_INET, 20);
	in.tcp_l3mdev_accept = 1;
	if (analyze(&t))	/* not enslaved: the l3mdev rule does not match */
		expect_verdict(&t, "vlanabc", NA, 0);
	vrf_("vrfpod", "vlanabc");
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		expect_reason(&t, "vlanabc", "rule 10 (lookup [l3mdev-table]) comes "
			      "before the local rule (20) and routes the node's "
			      "addresses away (default dev vrfpod)");
	}
	t_end(&t);

	t_begin(&t, "doctor: a route without a usable next hop is skipped, named");
	reset();
	sgp_node(20, false);
	table201_default()->dead = true;
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", NA, 0);
		expect_reason(&t, "vlanabc", "ipv4: table 201's route for the node's "
			      "addresses (default dev vlan.eth.101) has no usable "
			      "next hop");
	}
	t_end(&t);

	t_begin(&t, "doctor: a route for some packets only may be chosen");
	reset();
	sgp_node(20, false);
	table201_default()->type = RTN_THROW;	/* the rest: local */
	route(201, RTN_UNICAST, "10.0.1.0/24", "vlan.eth.101")->conditional = true;
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		expect_reason(&t, "vlanabc", "(10.0.1.0/24 dev vlan.eth.101), for "
			      "packets that the rules' other selectors");
	}
	/* Less specific than the route everyone takes: never chosen. */
	set_prefix(&in.routes[in.n_routes - 1].dst, "0.0.0.0/0");
	in.routes[in.n_routes - 1].priority = 5000;
	table201_default()->type = RTN_BLACKHOLE;
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", NA, 0);
	t_end(&t);

	t_begin(&t, "doctor: the source of the query: a route out of the interface");
	reset();
	sgp_node(20, true);
	{
		uint8_t src[16];
		char buf[64];

		T_CHECK(&t, dg_doctor_pick_source(&in, AF_INET, "vlanabc", 201, src),
			"vlanabc: none");
		dg_format_addr(buf, sizeof(buf), AF_INET, src);
		t_check_str(&t, "vlanabc", buf, "10.0.2.20");
		T_CHECK(&t, dg_doctor_pick_source(&in, AF_INET6, "vlanabc", 201, src),
			"vlanabc v6: none");
		dg_format_addr(buf, sizeof(buf), AF_INET6, src);
		t_check_str(&t, "vlanabc v6 (not its fe80::/64)", buf, "fd00:2::20");
		/* a subnet route: its first host, not the network */
		route(202, RTN_UNICAST, "10.7.0.0/16", "eth1");
		T_CHECK(&t, dg_doctor_pick_source(&in, AF_INET, "eth1", 201, src),
			"eth1: none");
		dg_format_addr(buf, sizeof(buf), AF_INET, src);
		t_check_str(&t, "eth1", buf, "10.7.0.1");
		T_CHECK(&t, !dg_doctor_pick_source(&in, AF_INET, "eth0", 201, src) ||
			src[0] == 10, "eth0");
		T_CHECK(&t, !dg_doctor_pick_source(&in, AF_INET, "nosuch", 201, src),
			"a source for an interface with no route");
	}
	t_end(&t);
}

static void test_veto_hook(void)
{
	struct dg_dev *d;
	struct t t;

	t_begin(&t, "doctor: veto with its own hook attached: protected without ip_forward");
	reset();
	sgp_node(20, false);
	in.module_loaded = true;	/* no ip_forward / ip6_forward probes */
	d = dev_(4, "vlanabc", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	d->has_veto_hook = true;
	d->veto_hook = DEMUXGUARD_HOOK_KIND_RX_HANDLER;
	if (analyze(&t)) {
		const struct dg_doctor_if *x = iface(&t, "vlanabc");

		expect_verdict(&t, "vlanabc", PROT, V4);
		T_CHECK(&t, x && x->veto_hook_known &&
			x->veto_hook == DEMUXGUARD_HOOK_KIND_RX_HANDLER, "veto hook");
	}
	d = &in.devs.v[0];
	d->veto_hook = DEMUXGUARD_HOOK_KIND_NONE;
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		expect_reason(&t, "vlanabc", "; mode veto, but no veto hook is "
			      "attached to it");
		expect_cmds(&t, "demuxguard rule add prefix vlan.eth.101 mode veto");
	}
	d->veto_hook = DEMUXGUARD_HOOK_KIND_NF_INGRESS;
	d->hook_error = EBUSY;
	if (analyze(&t)) {
		expect_verdict(&t, "vlanabc", RISK, V4);
		expect_reason(&t, "vlanabc", "; mode veto, but its hook could not be "
			      "attached (Device or resource busy): the interface is "
			      "not guarded");
	}
	t_end(&t);

	/*
	 * A hook kind's error in status is the last failed attach on any
	 * interface (another one fell back from a busy rx_handler): the
	 * interface's own report decides.
	 */
	t_begin(&t, "doctor: a failed attach elsewhere does not unprotect an interface whose hook is attached");
	reset();
	sgp_node(20, false);
	module_();
	d = dev_(4, "vlanabc", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	d->has_veto_hook = true;
	d->veto_hook = DEMUXGUARD_HOOK_KIND_RX_HANDLER;
	{
		struct dg_hook *h = dg_status_add_hook(&in.status);

		snprintf(h->name, sizeof(h->name), "rx_handler");
		h->kind = DEMUXGUARD_HOOK_KIND_RX_HANDLER;
		h->attached = true;
		h->error = 0;
	}
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", PROT, V4);
	in.status.hooks[in.status.n_hooks - 1].error = EBUSY;
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", PROT, V4);
	d = &in.devs.v[0];
	d->hook_error = EBUSY;
	d->veto_hook = DEMUXGUARD_HOOK_KIND_NONE;
	if (analyze(&t))
		expect_verdict(&t, "vlanabc", RISK, V4);
	t_end(&t);
}

/* ---- output ------------------------------------------------------------- */

static char *render(enum dg_format fmt, bool pretty)
{
	struct mem m;
	struct dg_out o;

	mem_open(&m);
	o = (struct dg_out){ .f = m.f, .fmt = fmt, .pretty = pretty };
	dg_print_doctor(&o, &rep);
	return mem_close(&m);
}

static void check_json(struct t *t, const char *got)
{
	char why[512];
	int py;

	if (!json_valid(got, strlen(got), why, sizeof(why)))
		t_fail(t, "not strict JSON: %s", why);
	py = json_valid_python(got, why, sizeof(why));
	if (py == 0)
		t_fail(t, "python3 json refuses it: %s", why);
}

static void test_output_(void)
{
	char *got;
	struct t t;

	t_begin(&t, "doctor output: JSON, SGP node without the module");
	reset();
	sgp_node(20, true);
	link_(6, "vlanxyz");
	route(203, RTN_UNICAST, "10.0.2.40", "vlanxyz");
	rule(AF_INET, 10, "vlanxyz", 203);
	if (analyze(&t)) {
		got = render(DG_FMT_JSON, false);
		t_check_str(&t, "json", got,
			"{\"early_demux\":{\"ip_early_demux\":1,\"tcp_early_demux\":1,"
			"\"enabled\":true},\"module\":{\"loaded\":false,\"version\":null,"
			"\"hooks\":{},\"armed\":{}},\"kernel_asked\":false,"
			"\"interfaces\":["
			"{\"ifname\":\"vlanabc\",\"ifindex\":4,\"verdict\":\"at risk\","
			"\"family\":[\"ipv4\",\"ipv6\"],\"rule\":{\"family\":\"ipv4\","
			"\"priority\":10,\"table\":201},\"local_rule_priority\":20,"
			"\"address\":\"10.0.1.10\",\"route\":\"default dev vlan.eth.101\","
			"\"reason\":\"ipv4, ipv6: rule 10 (iif vlanabc lookup 201) comes "
			"before the local rule (20) and routes the node's addresses away "
			"(default dev vlan.eth.101); the demuxguard module is not loaded\","
			"\"mode\":null,\"source\":null,\"covering_rule\":null,"
			"\"fwd_sk_drops\":null,\"vetoed\":null,\"veto_hook\":null,"
			"\"hook_error\":null,\"kernel\":[],\"disagreement\":null},"
			"{\"ifname\":\"vlan.eth.101\",\"ifindex\":5,\"verdict\":\"at risk\","
			"\"family\":[\"ipv4\",\"ipv6\"],\"rule\":{\"family\":\"ipv4\","
			"\"priority\":10,\"table\":201},\"local_rule_priority\":20,"
			"\"address\":\"10.0.1.10\",\"route\":\"default dev vlan.eth.101\","
			"\"reason\":\"ipv4, ipv6: rule 10 (iif vlan.eth.101 lookup 201) "
			"comes before the local rule (20) and routes the node's addresses "
			"away (default dev vlan.eth.101); the demuxguard module is not "
			"loaded\",\"mode\":null,\"source\":null,\"covering_rule\":null,"
			"\"fwd_sk_drops\":null,\"vetoed\":null,\"veto_hook\":null,"
			"\"hook_error\":null,\"kernel\":[],\"disagreement\":null},"
			"{\"ifname\":\"vlanxyz\",\"ifindex\":6,\"verdict\":\"not affected\","
			"\"family\":[],\"rule\":{\"family\":\"ipv4\",\"priority\":10,"
			"\"table\":203},\"local_rule_priority\":20,\"address\":null,"
			"\"route\":null,\"reason\":\"ipv4: table 203 has no route for the "
			"node's addresses; the local rule (20) delivers them\","
			"\"mode\":null,\"source\":null,\"covering_rule\":null,"
			"\"fwd_sk_drops\":null,\"vetoed\":null,\"veto_hook\":null,"
			"\"hook_error\":null,\"kernel\":[],\"disagreement\":null}],"
			"\"at_risk\":2,\"cannot_tell\":0,\"disagreements\":0,"
			"\"suggestion\":[\"demuxguard rule add prefix vlan mode veto\"]}\n");
		check_json(&t, got);
		free(got);
		got = render(DG_FMT_JSON, true);
		check_json(&t, got);
		free(got);
	}
	t_end(&t);

	t_begin(&t, "doctor output: JSON, module loaded, protected, odd name");
	reset();
	sgp_node(20, false);
	module_();
	link_(7, "q\"\\\x1b");
	route(204, RTN_UNICAST, "0.0.0.0/0", "eth0");
	rule(AF_INET, 10, "q\"\\\x1b", 204);
	mrule("vlan", DEMUXGUARD_MODE_VETO);
	dev_(4, "vlanabc", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_RULE, "vlan")
		->stats[DG_FAM_IPV4][DG_C_VETOED] = UINT64_MAX;
	dev_(5, "vlan.eth.101", DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_RULE, "vlan");
	in.ip_early_demux = -1;
	if (analyze(&t)) {
		got = render(DG_FMT_JSON, false);
		check_json(&t, got);
		T_CHECK(&t, strstr(got, "\"module\":{\"loaded\":true,\"version\":\"0.1.0\","
				   "\"hooks\":{\"tcp_v4_early_demux\":true,"
				   "\"tcp_v6_early_demux\":true,\"ip_forward\":true,"
				   "\"ip6_forward\":true},\"armed\":{\"tcp_v4_early_demux\":false,"
				   "\"tcp_v6_early_demux\":false,\"ip_forward\":true,"
				   "\"ip6_forward\":true}}") != NULL, "module: %s", got);
		T_CHECK(&t, strstr(got, "\"early_demux\":{\"ip_early_demux\":null,") != NULL,
			"unreadable sysctl is null");
		T_CHECK(&t, strstr(got, "\"verdict\":\"protected\",\"family\":[\"ipv4\"]") != NULL,
			"protected");
		T_CHECK(&t, strstr(got, "\"mode\":\"veto\",\"source\":\"rule\","
				   "\"covering_rule\":\"vlan\",\"fwd_sk_drops\":0,"
				   "\"vetoed\":18446744073709551615,\"veto_hook\":null,"
				   "\"hook_error\":null,\"kernel\":[],"
				   "\"disagreement\":null}") != NULL, "policy");
		T_CHECK(&t, strstr(got, "\"ifname\":\"q\\\"\\\\\\u001b\"") != NULL,
			"name escaped");
		/* The one name is its own common prefix: a rule for it. */
		T_CHECK(&t, strstr(got, "\"suggestion\":[\"demuxguard rule add prefix "
				   "$'q\\\"\\\\\\\\\\\\x1b' mode veto\"]") != NULL,
			"suggestion: %s", got);
		free(got);
	}
	t_end(&t);

	t_begin(&t, "doctor output: text report");
	reset();
	sgp_node(20, false);
	module_();
	dev_(4, "vlanabc", DEMUXGUARD_MODE_MONITOR, DEMUXGUARD_SOURCE_EXPLICIT, NULL)
		->stats[DG_FAM_IPV4][DG_C_FWD_SK_DROPS] = 3;
	dev_(5, "vlan.eth.101", DEMUXGUARD_MODE_OFF, DEMUXGUARD_SOURCE_RULE, "vlan.");
	mrule("vlan.", DEMUXGUARD_MODE_OFF);
	if (analyze(&t)) {
		got = render(DG_FMT_TEXT, false);
		t_check_str(&t, "text", got,
			"early demux: on (net.ipv4.ip_early_demux 1, "
			"net.ipv4.tcp_early_demux 1)\n"
			"module: loaded, version 0.1.0\n"
			"    hooks attached: tcp_v4_early_demux tcp_v6_early_demux "
			"ip_forward ip6_forward\n"
			"    hooks armed: ip_forward ip6_forward\n"
			"interfaces that are the input of an \"ip rule iif\":\n"
			"  vlanabc (4): at risk\n"
			"    ipv4: rule 10 (iif vlanabc lookup 201) comes before the local "
			"rule (20)\n"
			"    and routes the node's addresses away (default dev "
			"vlan.eth.101); monitor\n"
			"    counts these drops (fwd_sk_drops) but does not prevent them\n"
			"    mode monitor (explicit), fwd_sk_drops 3, vetoed 0\n"
			"  vlan.eth.101 (5): at risk\n"
			"    ipv4: rule 10 (iif vlan.eth.101 lookup 201) comes before the "
			"local rule\n"
			"    (20) and routes the node's addresses away (default dev "
			"vlan.eth.101)\n"
			"    mode off (rule \"vlan.\"), fwd_sk_drops 0, vetoed 0\n"
			"2 interfaces at risk; to protect them:\n"
			"  demuxguard set dev vlanabc mode veto\n"
			"  demuxguard set dev vlan.eth.101 mode veto\n");
		free(got);
	}
	t_end(&t);

	t_begin(&t, "doctor output: the kernel's answers and a disagreement, text and JSON");
	reset();
	sgp_node(20, false);
	K_LOCAL("vlanabc", "10.0.1.10", "10.0.2.20");
	answer("vlan.eth.101", "10.0.1.10", NULL, DG_K_ERROR, 0, 0, NULL, EXDEV);
	if (analyze(&t)) {
		got = render(DG_FMT_TEXT, false);
		T_CHECK(&t, strstr(got, "  vlanabc (4): not affected\n"
				   "    ipv4: the kernel, asked for 10.0.1.10 from "
				   "10.0.2.20 arriving on vlanabc,\n"
				   "    delivers it locally (local route, table local) "
				   "(the rule walk disagrees,\n"
				   "    see below)\n"
				   "    kernel: ipv4 10.0.1.10 from 10.0.2.20 iif vlanabc: "
				   "local (local, table local)\n"
				   "    the rule walk disagrees: ipv4: for 10.0.1.10 from "
				   "10.0.2.20 arriving on\n") != NULL, "vlanabc: %s", got);
		T_CHECK(&t, strstr(got, "  vlan.eth.101 (5): cannot tell\n") &&
			strstr(got, "    kernel: ipv4 10.0.1.10 iif vlan.eth.101: error "
			       "(Invalid cross-device link)\n"), "vlan.eth.101: %s", got);
		T_CHECK(&t, strstr(got, "1 interface cannot be told (the kernel did "
				   "not answer; see above)\n"
				   "the rule walk disagrees with the kernel on 1 "
				   "interface (the verdicts follow the kernel)\n"
				   "to protect them whatever the kernel would do:\n"
				   "  demuxguard rule add prefix vlan.eth.101 mode veto\n")
			!= NULL, "summary: %s", got);
		free(got);
		got = render(DG_FMT_JSON, false);
		check_json(&t, got);
		T_CHECK(&t, strstr(got, "\"kernel\":[{\"family\":\"ipv4\",\"address\":"
				   "\"10.0.1.10\",\"source\":\"10.0.2.20\",\"iif\":"
				   "\"vlanabc\",\"result\":\"local\",\"type\":\"local\","
				   "\"table\":255,\"oif\":\"lo\",\"error\":null}],"
				   "\"disagreement\":\"ipv4: for 10.0.1.10 from 10.0.2.20 "
				   "arriving on vlanabc the kernel delivers it locally "
				   "(local route, table local), where the rule walk "
				   "expected a forward\"}") != NULL, "json: %s", got);
		T_CHECK(&t, strstr(got, "\"kernel\":[{\"family\":\"ipv4\",\"address\":"
				   "\"10.0.1.10\",\"source\":null,\"iif\":"
				   "\"vlan.eth.101\",\"result\":\"error\",\"type\":null,"
				   "\"table\":null,\"oif\":null,\"error\":\"Invalid "
				   "cross-device link\"}]") != NULL, "json error: %s", got);
		T_CHECK(&t, strstr(got, "\"kernel_asked\":true,") &&
			strstr(got, "\"at_risk\":0,\"cannot_tell\":1,"
			       "\"disagreements\":1,"), "counts: %s", got);
		free(got);
	}
	t_end(&t);

	t_begin(&t, "doctor output: text with early demux off, nothing listed");
	reset();
	link_(1, "lo");
	in.tcp_early_demux = 0;
	if (analyze(&t)) {
		got = render(DG_FMT_TEXT, false);
		t_check_str(&t, "text", got,
			"early demux: off (net.ipv4.ip_early_demux 1, "
			"net.ipv4.tcp_early_demux 0)\n"
			"    With early demux off, every TCP segment the node terminates "
			"takes a full\n"
			"    route lookup instead of its socket's cached input route "
			"(about 1 % of\n"
			"    small request/response throughput, as measured for "
			"demuxguard), for IPv4\n"
			"    and IPv6 alike. demuxguard makes turning it off unnecessary: "
			"run the\n"
			"    commands at the end of this report, if any, then turn it "
			"back on with\n"
			"    \"sysctl -w net.ipv4.tcp_early_demux=1\".\n"
			"module: not loaded (the routing analysis does not need it)\n"
			"no interface is the input of an \"ip rule iif\"\n"
			"nothing at risk\n");
		free(got);
		got = render(DG_FMT_JSON, false);
		t_check_str(&t, "json", got,
			"{\"early_demux\":{\"ip_early_demux\":1,\"tcp_early_demux\":0,"
			"\"enabled\":false},\"module\":{\"loaded\":false,\"version\":null,"
			"\"hooks\":{},\"armed\":{}},\"kernel_asked\":false,"
			"\"interfaces\":[],\"at_risk\":0,\"cannot_tell\":0,"
			"\"disagreements\":0,\"suggestion\":[]}\n");
		free(got);
	}
	t_end(&t);
}

void test_doctor(void)
{
	test_sgp();
	test_tables();
	test_selectors();
	test_interfaces();
	test_policy();
	test_early_demux();
	test_helpers();
	test_kernel();
	test_vrf_and_routes();
	test_veto_hook();
	test_output_();
	if (analyzed)
		dg_doctor_report_free(&rep);
	analyzed = false;
	dg_doctor_input_free(&in);
}
