// SPDX-License-Identifier: GPL-2.0-only
/*
 * doctor.c - doctor's verdicts (see doctor.h): for every interface an
 * `ip rule iif` names, does a TCP segment for one of the node's addresses
 * that arrives there get forwarded (where early demux dooms it), and does
 * the module guard the interface?
 *
 * "Forwarded" is the kernel's answer when doctor could ask for it
 * (dg_doctor_input.answers, from RTM_GETROUTE with RTA_IIF): a unicast
 * route is a forward; a local, broadcast or anycast route a delivery; an
 * unreachable or prohibit answer, or IPv6 with forwarding off, a drop
 * that early demux plays no part in; a refused request "cannot tell". The
 * rule walk (fibwalk.c) supplies the explanation - which rule, which
 * table - and where it expected something else than the kernel answered,
 * the report says so. Without answers (the unit tests of the walk) the
 * walk decides.
 *
 * "Guarded" is the module's per-interface answer: mode veto and the
 * veto's hook attached to the interface (DEMUXGUARD_A_VETO_HOOK, no
 * DEMUXGUARD_A_HOOK_ERROR), and the status' hook of that kind not failed.
 * A module too old to report a veto hook is judged as before: mode veto
 * and its ip_forward/ip6_forward probes attached and armed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "buf.h"
#include "doctor.h"
#include "fibwalk.h"

const char *const dg_verdict_names[] = {
	[DG_VERDICT_NOT_AFFECTED] = "not affected",
	[DG_VERDICT_AT_RISK] = "at risk",
	[DG_VERDICT_PROTECTED] = "protected",
	[DG_VERDICT_UNKNOWN] = "cannot tell",
};

void dg_doctor_report_free(struct dg_doctor_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		free(rep->v[i].answers);
	free(rep->v);
	free(rep->cmds);
	rep->v = NULL;
	rep->cmds = NULL;
	rep->n = rep->cap = rep->n_cmds = rep->cmds_cap = 0;
}

int dg_doctor_exit_status(const struct dg_doctor_report *rep)
{
	/* A health check must not pass what doctor could not check. */
	return rep->at_risk || rep->cannot_tell ? DG_EXIT_AT_RISK : 0;
}

/* ---- the module's view ---------------------------------------------------- */

const struct dg_dev *dg_doctor_find_dev(const struct dg_doctor_input *in,
					const char *name, uint32_t ifindex)
{
	for (size_t i = 0; i < in->devs.n; i++) {
		const struct dg_dev *d = &in->devs.v[i];

		if (ifindex ? d->ifindex == ifindex : !strcmp(d->ifname, name))
			return d;
	}
	return NULL;
}

const struct dg_rule *dg_doctor_covering_rule(const struct dg_rule_list *l,
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

/* Is the (old module's) hook called @name attached and armed? */
static bool hook_ready(const struct dg_status *st, const char *name)
{
	for (size_t i = 0; i < st->n_hooks; i++)
		if (strcmp(st->hooks[i].name, name) == 0)
			return st->hooks[i].attached && st->hooks[i].armed;
	return false;
}

/*
 * Does the veto guard @x in the families @fams? If not, and it is in veto,
 * a clause saying what is missing goes to @b.
 */
static bool veto_guards(const struct dg_doctor_input *in,
			const struct dg_doctor_if *x, unsigned int fams,
			struct sbuf *b)
{
	const struct dg_status *st = &in->status;

	if (!x->policy_known || x->mode != DEMUXGUARD_MODE_VETO)
		return false;
	if (x->hook_error) {
		sb_printf(b, "; mode veto, but its hook could not be attached "
			  "(%s): the interface is not guarded",
			  strerror((int)x->hook_error));
		return false;
	}
	if (x->veto_hook_known) {
		if (x->veto_hook == DEMUXGUARD_HOOK_KIND_NONE) {
			sb_printf(b, "; mode veto, but no veto hook is attached "
				  "to it");
			return false;
		}
		/*
		 * The interface's own report decides: a hook kind's error in
		 * status is the last failed attach anywhere (another interface
		 * may have fallen back from a busy rx_handler), not this one's.
		 */
		return true;
	}
	/* A module from before per-interface veto hooks: its probes. */
	if (fams & (1u << DG_FAM_IPV4) && !hook_ready(st, "ip_forward")) {
		sb_printf(b, "; mode veto, but hook ip_forward is not attached "
			  "and armed");
		return false;
	}
	if (fams & (1u << DG_FAM_IPV6) && !hook_ready(st, "ip6_forward")) {
		sb_printf(b, "; mode veto, but hook ip6_forward is not attached "
			  "and armed");
		return false;
	}
	return true;
}

/* ---- the kernel's answers against the walk --------------------------------- */

enum kstate { KS_NONE, KS_FWD, KS_NOFWD, KS_UNKNOWN };

/* One family of one interface: the walk's and the kernel's word. */
struct family_verdict {
	struct dg_walk_view walk;
	enum kstate k;			/* KS_NONE: the kernel was not asked */
	const struct dg_route_answer *fwd;	/* first forward answer */
	bool fwd_final;			/* routed away (kernel, else walk) */
	char reason[sizeof(((struct dg_doctor_if *)0)->reason)];
	char disagree[256];
};

static int addr_index(const struct dg_family_rules *fr, const uint8_t *addr)
{
	for (size_t i = 0; i < fr->n_addrs; i++)
		if (memcmp(fr->addrs[i], addr, 16) == 0)
			return (int)i;
	return -1;
}

/* An answer's result, once what the query cannot see is applied. */
static enum dg_kernel_result effective(const struct dg_doctor_input *in,
				       const struct dg_route_answer *a,
				       enum dg_fate walk)
{
	/* ip6_forward() drops before looking at skb->sk when IPv6
	 * forwarding is off; the route lookup does not check it. */
	if (a->result == DG_K_FORWARD && a->family == AF_INET6 &&
	    in->forwarding6 == 0)
		return DG_K_DROP;
	/* EINVAL: a blackhole route, if the walk found one. */
	if (a->result == DG_K_ERROR && a->err == EINVAL && walk == DG_FATE_DROP)
		return DG_K_DROP;
	return a->result;
}

/* "10.0.1.10 from 10.0.2.20 in vlanabc" */
static void format_query(struct sbuf *b, const struct dg_route_answer *a)
{
	char d[48], s[48];

	dg_format_addr(d, sizeof(d), a->family, a->addr);
	sb_printf(b, "%s", d);
	if (a->has_src) {
		dg_format_addr(s, sizeof(s), a->family, a->src);
		sb_printf(b, " from %s", s);
	}
	sb_printf(b, " arriving on %s", a->iif);
}

/* "routes it away (out vlan.eth.101, table 201)", "delivers it locally" */
static void format_answer(struct sbuf *b, const struct dg_doctor_input *in,
			  const struct dg_route_answer *a,
			  enum dg_kernel_result r)
{
	char t[16];

	switch (r) {
	case DG_K_FORWARD:
		sb_printf(b, "routes it away (%s%s, table %s)",
			  a->oif[0] ? "out " : "unicast", a->oif,
			  dg_table_name(a->table, t, sizeof(t)));
		break;
	case DG_K_LOCAL:
		sb_printf(b, "delivers it locally (%s route, table %s)",
			  dg_route_type_name(a->type),
			  dg_table_name(a->table, t, sizeof(t)));
		break;
	case DG_K_DROP:
		if (a->result == DG_K_FORWARD)
			sb_printf(b, "routes it away, but forwarding is off "
				  "(net.ipv6.conf.all.forwarding %d): dropped, "
				  "not forwarded", in->forwarding6);
		else if (a->err)
			sb_printf(b, "does not route it (%s): dropped, not "
				  "forwarded", strerror(a->err));
		else
			sb_printf(b, "drops it (%s route)",
				  dg_route_type_name(a->type));
		break;
	case DG_K_ERROR:
		sb_printf(b, "refuses the request (%s)", strerror(a->err));
		break;
	}
}

static void judge_family(struct family_verdict *fv,
			 const struct dg_family_rules *fr,
			 const struct dg_doctor_input *in,
			 const struct dg_doctor_if *x)
{
	struct sbuf rb = { fv->reason, sizeof(fv->reason), 0 };
	struct sbuf db = { fv->disagree, sizeof(fv->disagree), 0 };
	const struct dg_route_answer *err = NULL, *walk_wrong = NULL;
	enum dg_kernel_result wrong_r = DG_K_ERROR;
	bool any = false;

	fv->fwd_final = fv->walk.fwd;
	if (!fv->walk.considered)
		return;
	for (size_t i = 0; in->kernel_asked && i < x->n_answers; i++) {
		const struct dg_route_answer *a = x->answers[i];
		int k = a->family == fr->family ? addr_index(fr, a->addr) : -1;
		enum dg_fate wf;
		enum dg_kernel_result r;

		if (k < 0)
			continue;
		wf = fv->walk.fates ? fv->walk.fates[k] : DG_FATE_DROP;
		r = effective(in, a, wf);
		any = true;
		if (r == DG_K_FORWARD && !fv->fwd)
			fv->fwd = a;
		if (r == DG_K_ERROR && !err)
			err = a;
		/* The walk errs where it expected a forward and there is
		 * none, or the other way round (refusals say nothing). */
		if (r != DG_K_ERROR && !walk_wrong &&
		    (r == DG_K_FORWARD) != (wf == DG_FATE_FORWARD)) {
			walk_wrong = a;
			wrong_r = r;
		}
	}
	if (!any) {
		snprintf(fv->reason, sizeof(fv->reason), "%s", fv->walk.reason);
		return;
	}
	fv->k = fv->fwd ? KS_FWD : err ? KS_UNKNOWN : KS_NOFWD;
	fv->fwd_final = fv->k == KS_FWD;

	if (walk_wrong) {
		sb_printf(&db, "for ");
		format_query(&db, walk_wrong);
		sb_printf(&db, " the kernel ");
		format_answer(&db, in, walk_wrong, wrong_r);
		sb_printf(&db, ", where the rule walk expected %s",
			  !fv->walk.fwd ? "no forward" : fv->walk.fwd_sure ?
			  "a forward" : "a forward for some packets (source, "
			  "fwmark, ...)");
	}
	if (fv->k == KS_UNKNOWN) {
		sb_printf(&rb, "cannot tell: asked for ");
		format_query(&rb, err);
		sb_printf(&rb, ", the kernel ");
		format_answer(&rb, in, err, DG_K_ERROR);
		sb_printf(&rb, "; by the rule walk, %s", fv->walk.reason);
	} else if (walk_wrong) {
		const struct dg_route_answer *a = fv->fwd ? fv->fwd : walk_wrong;

		sb_printf(&rb, "the kernel, asked for ");
		format_query(&rb, a);
		sb_printf(&rb, ", ");
		format_answer(&rb, in, a, fv->fwd ? DG_K_FORWARD : wrong_r);
		sb_printf(&rb, " (the rule walk disagrees, see below)");
	} else {
		sb_printf(&rb, "%s", fv->walk.reason);
		if (fv->k == KS_FWD && fv->walk.fwd && !fv->walk.fwd_sure)
			sb_printf(&rb, " (the kernel forwards a plain TCP "
				  "segment)");
	}
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
		x = dg_grow((void **)&rep->v, &rep->n, &rep->cap, sizeof(*x));
		if (!x)
			return -ENOMEM;
		snprintf(x->ifname, sizeof(x->ifname), "%s", r->iif);
		l = dg_find_link(in, r->iif);
		x->ifindex = l ? l->ifindex : 0;
	}
	if (rep->n > 1)
		qsort(rep->v, rep->n, sizeof(*rep->v), cmp_if);
	return 0;
}

/* The kernel's answers about @x, in the order they were asked. */
static int collect_answers(struct dg_doctor_if *x,
			   const struct dg_doctor_input *in)
{
	if (!x->ifindex)
		return 0;
	for (size_t i = 0; i < in->n_answers; i++) {
		if (in->answers[i].ifindex != x->ifindex)
			continue;
		if (!x->answers) {
			x->answers = calloc(in->n_answers, sizeof(*x->answers));
			if (!x->answers)
				return -ENOMEM;
		}
		x->answers[x->n_answers++] = &in->answers[i];
	}
	return 0;
}

static void module_view(struct dg_doctor_if *x, const struct dg_doctor_input *in)
{
	const struct dg_dev *d;
	const struct dg_rule *cr;

	x->mode = DEMUXGUARD_MODE_OFF;
	x->source = DEMUXGUARD_SOURCE_NONE;
	if (!in->module_loaded)
		return;
	d = dg_doctor_find_dev(in, x->ifname, x->ifindex);
	cr = dg_doctor_covering_rule(&in->mrules, x->ifname);
	x->policy_known = true;
	if (d) {
		x->mode = d->mode;
		x->source = d->source;
		x->veto_hook_known = d->has_veto_hook;
		x->veto_hook = d->veto_hook;
		x->hook_error = d->hook_error;
		for (int f = 0; f < DG_FAM_COUNT; f++) {
			x->fwd_sk_drops += d->stats[f][DG_C_FWD_SK_DROPS];
			x->vetoed += d->stats[f][DG_C_VETOED];
		}
	}
	if (cr) {
		x->has_covering = true;
		snprintf(x->covering, sizeof(x->covering), "%s", cr->prefix);
	}
}

static void append_reason(struct sbuf *b, unsigned int fams, const char *text)
{
	sb_printf(b, "%s%s%s%s: %s", b->off ? "; " : "",
		  fams & (1u << DG_FAM_IPV4) ? "ipv4" : "",
		  fams == ((1u << DG_FAM_IPV4) | (1u << DG_FAM_IPV6)) ? ", " : "",
		  fams & (1u << DG_FAM_IPV6) ? "ipv6" : "", text);
}

/* Fill the rule, address and route fields from the family to show. */
static void describe(struct dg_doctor_if *x, const struct family_verdict fv[2],
		     const struct dg_family_rules fr[2])
{
	const struct family_verdict *shown = NULL;
	const struct dg_fib_rule *r;
	int f;

	for (f = 0; f < DG_FAM_COUNT && !shown; f++)
		if (fv[f].fwd_final)
			shown = &fv[f];
	for (f = 0; f < DG_FAM_COUNT && !shown; f++)
		if (fv[f].walk.considered)
			shown = &fv[f];
	if (!shown)
		return;
	f = shown == &fv[0] ? 0 : 1;
	/* The rule that routes away, else the interface's iif rule. */
	r = shown->fwd_final && shown->walk.fwd ? shown->walk.fwd_at.rule :
	    shown->walk.probe;
	x->has_rule = true;
	x->rule_family = r->family;
	x->rule_priority = r->priority;
	x->rule_table = r->action == FR_ACT_TO_TBL ? r->table : 0;
	if (shown->fwd_final && shown->walk.fwd) {
		/* the walk found the forward too: its address and route */
		snprintf(x->address, sizeof(x->address), "%s",
			 shown->walk.address);
		dg_format_route(x->route, sizeof(x->route),
				shown->walk.fwd_at.route);
	} else if (shown->fwd_final) {
		/* the kernel's forward alone: its address, device, table */
		dg_format_addr(x->address, sizeof(x->address),
			       shown->fwd->family, shown->fwd->addr);
		snprintf(x->route, sizeof(x->route), "%s%s",
			 shown->fwd->oif[0] ? "dev " : "unicast",
			 shown->fwd->oif);
		x->rule_table = shown->fwd->table;
	}
	if (fr[f].local) {
		x->has_local_rule = true;
		x->local_rule_priority = fr[f].local->priority;
	}
}

static void judge(struct dg_doctor_if *x, struct dg_doctor_report *rep,
		  const struct dg_doctor_input *in, struct family_verdict fv[2],
		  const struct dg_family_rules fr[2])
{
	struct sbuf b = { x->reason, sizeof(x->reason), 0 };
	struct sbuf db = { x->disagreement, sizeof(x->disagreement), 0 };
	const struct dg_link *vrf;
	unsigned int unknown = 0;

	for (int f = 0; f < DG_FAM_COUNT; f++) {
		if (fv[f].fwd_final)
			x->families |= 1u << f;
		if (fv[f].k == KS_UNKNOWN)
			unknown |= 1u << f;
		if (fv[f].disagree[0])
			append_reason(&db, 1u << f, fv[f].disagree);
	}
	if (x->disagreement[0])
		rep->disagreements++;
	describe(x, fv, fr);

	/* One clause per distinct explanation: ipv4, ipv6: ... when equal. */
	if (fv[0].walk.considered && fv[1].walk.considered &&
	    strcmp(fv[0].reason, fv[1].reason) == 0) {
		append_reason(&b, 3, fv[0].reason);
	} else {
		for (int f = 0; f < DG_FAM_COUNT; f++)
			if (fv[f].walk.considered)
				append_reason(&b, 1u << f, fv[f].reason);
	}

	if (!x->families && !unknown) {
		x->verdict = DG_VERDICT_NOT_AFFECTED;
		return;
	}
	/*
	 * A packet received in a VRF is demuxed with the VRF as its device
	 * (inet_bound_dev_eq()): a socket bound to no device matches only
	 * with tcp_l3mdev_accept, and the sockets kubelet and other node
	 * processes open are bound to none.
	 */
	vrf = dg_vrf_of(in, dg_find_link(in, x->ifname));
	if (vrf && in->tcp_l3mdev_accept == 0 &&
	    !veto_guards(in, x, x->families | unknown, &b)) {
		x->verdict = DG_VERDICT_NOT_AFFECTED;
		x->vrf_unbound_only = true;
		sb_printf(&b, "; but %s is in VRF %s and net.ipv4.tcp_l3mdev_accept "
			  "is 0: early demux attaches only sockets bound to the "
			  "VRF to what arrives here, not the node's", x->ifname,
			  vrf->name);
		return;
	}
	if (veto_guards(in, x, x->families | unknown, &b)) {
		x->verdict = DG_VERDICT_PROTECTED;
		return;
	}
	if (!rep->early_demux_on) {
		x->verdict = DG_VERDICT_NOT_AFFECTED;
		sb_printf(&b, "; early demux is off, so no socket is attached: "
			  "protect %s before turning it back on", x->ifname);
		return;
	}
	x->verdict = x->families ? DG_VERDICT_AT_RISK : DG_VERDICT_UNKNOWN;
	if (!in->module_loaded)
		sb_printf(&b, "; the demuxguard module is not loaded");
	else if (x->mode == DEMUXGUARD_MODE_MONITOR)
		sb_printf(&b, "; monitor counts these drops (fwd_sk_drops) but "
			  "does not prevent them");
}

int dg_doctor_analyze(const struct dg_doctor_input *in,
		      struct dg_doctor_report *rep)
{
	struct dg_family_rules fr[DG_FAM_COUNT] = { 0 };
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
		.kernel_asked = in->kernel_asked,
	};

	rc = dg_family_rules_init(&fr[DG_FAM_IPV4], AF_INET, in);
	if (!rc)
		rc = dg_family_rules_init(&fr[DG_FAM_IPV6], AF_INET6, in);
	if (!rc)
		rc = collect_interfaces(rep, in);

	for (size_t i = 0; i < rep->n && !rc; i++) {
		struct dg_doctor_if *x = &rep->v[i];
		const struct dg_link *l = dg_find_link(in, x->ifname);
		struct family_verdict fv[DG_FAM_COUNT] = { 0 };

		rc = collect_answers(x, in);
		for (int f = 0; f < DG_FAM_COUNT && !rc; f++) {
			rc = dg_walk_interface(&fv[f].walk, &fr[f], in, l,
					       x->ifname);
			if (!rc)
				judge_family(&fv[f], &fr[f], in, x);
		}
		if (!rc) {
			module_view(x, in);
			judge(x, rep, in, fv, fr);
			if (x->verdict == DG_VERDICT_AT_RISK)
				rep->at_risk++;
			else if (x->verdict == DG_VERDICT_UNKNOWN)
				rep->cannot_tell++;
		}
		for (int f = 0; f < DG_FAM_COUNT; f++)
			dg_walk_view_free(&fv[f].walk);
	}
	if (!rc)
		rc = dg_doctor_suggest(rep, in);

	dg_family_rules_free(&fr[DG_FAM_IPV4]);
	dg_family_rules_free(&fr[DG_FAM_IPV6]);
	if (rc)
		dg_doctor_report_free(rep);
	return rc;
}
