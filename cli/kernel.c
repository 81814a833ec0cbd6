// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel.c - demuxguard's generic netlink commands (see kernel.h).
 *
 * Requests name devices by DEMUXGUARD_A_IFNAME only: the module resolves
 * the name in the namespace of the socket (the one -n selected), so the
 * CLI never has to translate names itself. Decoding is lenient where the
 * contract allows (a missing counter reads 0, unknown attributes from a
 * newer module are ignored) and strict where a value would be wrong
 * (attributes shorter than their type are refused by the policies).
 */
#include <errno.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kernel.h"

/* How often a dump is repeated when the kernel flags it inconsistent. */
#define DUMP_RETRIES 5

/* Strings are read with nla_strlcpy, which copes with any length. */
static struct nla_policy attr_policy[DEMUXGUARD_A_MAX + 1] = {
	[DEMUXGUARD_A_IFINDEX] = { .type = NLA_U32 },
	[DEMUXGUARD_A_MODE] = { .type = NLA_U8 },
	[DEMUXGUARD_A_SOURCE] = { .type = NLA_U8 },
	[DEMUXGUARD_A_HOOK] = { .type = NLA_NESTED },
	[DEMUXGUARD_A_PROBE_MISSED] = { .type = NLA_U64 },
	[DEMUXGUARD_A_STATS_IPV4] = { .type = NLA_NESTED },
	[DEMUXGUARD_A_STATS_IPV6] = { .type = NLA_NESTED },
	[DEMUXGUARD_A_NR_IFACES] = { .type = NLA_U32 },
	[DEMUXGUARD_A_NR_RULES] = { .type = NLA_U32 },
	[DEMUXGUARD_A_VETO_HOOK] = { .type = NLA_U8 },
	[DEMUXGUARD_A_HOOK_ERROR] = { .type = NLA_U32 },
	[DEMUXGUARD_A_NR_UNGUARDED] = { .type = NLA_U32 },
};

static struct nla_policy hook_policy[DEMUXGUARD_HOOK_A_MAX + 1] = {
	[DEMUXGUARD_HOOK_A_ATTACHED] = { .type = NLA_U8 },
	[DEMUXGUARD_HOOK_A_ARMED] = { .type = NLA_U8 },
	[DEMUXGUARD_HOOK_A_MISSED] = { .type = NLA_U64 },
	[DEMUXGUARD_HOOK_A_HITS] = { .type = NLA_U64 },
	[DEMUXGUARD_HOOK_A_KIND] = { .type = NLA_U8 },
	[DEMUXGUARD_HOOK_A_ERROR] = { .type = NLA_U32 },
	[DEMUXGUARD_HOOK_A_USERS] = { .type = NLA_U32 },
};

static struct nla_policy stat_policy[DEMUXGUARD_STAT_MAX + 1] = {
	[DEMUXGUARD_STAT_DEMUX_CALLS] = { .type = NLA_U64 },
	[DEMUXGUARD_STAT_SK_HITS] = { .type = NLA_U64 },
	[DEMUXGUARD_STAT_DST_HITS] = { .type = NLA_U64 },
	[DEMUXGUARD_STAT_IIF_MISMATCH] = { .type = NLA_U64 },
	[DEMUXGUARD_STAT_FWD_SK_DROPS] = { .type = NLA_U64 },
	[DEMUXGUARD_STAT_VETOED] = { .type = NLA_U64 },
};

const char *dg_attr_name(int type)
{
	static const char *const names[DEMUXGUARD_A_MAX + 1] = {
		[DEMUXGUARD_A_VERSION] = "version",
		[DEMUXGUARD_A_IFINDEX] = "ifindex",
		[DEMUXGUARD_A_IFNAME] = "ifname",
		[DEMUXGUARD_A_MODE] = "mode",
		[DEMUXGUARD_A_SOURCE] = "source",
		[DEMUXGUARD_A_RULE_PREFIX] = "prefix",
		[DEMUXGUARD_A_HOOK] = "hook",
		[DEMUXGUARD_A_PROBE_MISSED] = "probe_missed",
		[DEMUXGUARD_A_STATS_IPV4] = "stats_ipv4",
		[DEMUXGUARD_A_STATS_IPV6] = "stats_ipv6",
		[DEMUXGUARD_A_NR_IFACES] = "nr_ifaces",
		[DEMUXGUARD_A_NR_RULES] = "nr_rules",
		[DEMUXGUARD_A_VETO_HOOK] = "veto_hook",
		[DEMUXGUARD_A_HOOK_ERROR] = "hook_error",
		[DEMUXGUARD_A_NR_UNGUARDED] = "nr_unguarded",
	};

	if (type < 0 || type > DEMUXGUARD_A_MAX || !names[type])
		return NULL;
	return names[type];
}

/* Parse the top-level attributes of a demuxguard message. */
static int parse_msg(struct nlmsghdr *nlh, struct nlattr **tb)
{
	if (!genlmsg_valid_hdr(nlh, 0))
		return -EBADMSG;
	if (genlmsg_parse(nlh, 0, tb, DEMUXGUARD_A_MAX, attr_policy) < 0)
		return -EBADMSG;
	return 0;
}

static void get_string(char *dst, size_t len, struct nlattr *a)
{
	if (a)
		nla_strlcpy(dst, a, len);
	else
		dst[0] = '\0';
}

static int decode_counters(struct nlattr *nest, uint64_t *out)
{
	struct nlattr *tb[DEMUXGUARD_STAT_MAX + 1];

	if (!nest)
		return 0;	/* no nest: every counter reads 0 */
	if (nla_parse_nested(tb, DEMUXGUARD_STAT_MAX, nest, stat_policy) < 0)
		return -EBADMSG;
	for (int c = 0; c < DG_C_COUNT; c++) {
		struct nlattr *a = tb[dg_counters[c].attr];

		out[c] = a ? nla_get_u64(a) : 0;
	}
	return 0;
}

int dg_decode_dev(struct nlmsghdr *nlh, struct dg_dev *dev)
{
	struct nlattr *tb[DEMUXGUARD_A_MAX + 1];
	int rc = parse_msg(nlh, tb);

	if (rc)
		return rc;
	dev->ifindex = tb[DEMUXGUARD_A_IFINDEX] ?
		       nla_get_u32(tb[DEMUXGUARD_A_IFINDEX]) : 0;
	get_string(dev->ifname, sizeof(dev->ifname), tb[DEMUXGUARD_A_IFNAME]);
	dev->mode = tb[DEMUXGUARD_A_MODE] ? nla_get_u8(tb[DEMUXGUARD_A_MODE]) :
		    DG_MODE_UNKNOWN;
	dev->source = tb[DEMUXGUARD_A_SOURCE] ?
		      nla_get_u8(tb[DEMUXGUARD_A_SOURCE]) :
		      DEMUXGUARD_SOURCE_NONE;
	get_string(dev->rule, sizeof(dev->rule), tb[DEMUXGUARD_A_RULE_PREFIX]);
	dev->has_veto_hook = tb[DEMUXGUARD_A_VETO_HOOK];
	dev->veto_hook = tb[DEMUXGUARD_A_VETO_HOOK] ?
			 nla_get_u8(tb[DEMUXGUARD_A_VETO_HOOK]) : 0;
	dev->hook_error = tb[DEMUXGUARD_A_HOOK_ERROR] ?
			  nla_get_u32(tb[DEMUXGUARD_A_HOOK_ERROR]) : 0;
	rc = decode_counters(tb[DEMUXGUARD_A_STATS_IPV4], dev->stats[DG_FAM_IPV4]);
	if (!rc)
		rc = decode_counters(tb[DEMUXGUARD_A_STATS_IPV6],
				     dev->stats[DG_FAM_IPV6]);
	return rc;
}

int dg_decode_rule(struct nlmsghdr *nlh, struct dg_rule *rule)
{
	struct nlattr *tb[DEMUXGUARD_A_MAX + 1];
	int rc = parse_msg(nlh, tb);

	if (rc)
		return rc;
	get_string(rule->prefix, sizeof(rule->prefix),
		   tb[DEMUXGUARD_A_RULE_PREFIX]);
	rule->mode = tb[DEMUXGUARD_A_MODE] ? nla_get_u8(tb[DEMUXGUARD_A_MODE]) :
		     DG_MODE_UNKNOWN;
	return 0;
}

int dg_decode_status(struct nlmsghdr *nlh, struct dg_status *st)
{
	struct nlattr *tb[DEMUXGUARD_A_MAX + 1], *a;
	struct genlmsghdr *gnlh;
	int rc = parse_msg(nlh, tb), rem;

	if (rc)
		return rc;
	get_string(st->version, sizeof(st->version), tb[DEMUXGUARD_A_VERSION]);
	st->probe_missed = tb[DEMUXGUARD_A_PROBE_MISSED] ?
			   nla_get_u64(tb[DEMUXGUARD_A_PROBE_MISSED]) : 0;
	/* Absent from a module older than the CLI: reported as unknown. */
	st->has_objects = tb[DEMUXGUARD_A_NR_IFACES] && tb[DEMUXGUARD_A_NR_RULES];
	if (st->has_objects) {
		st->nr_ifaces = nla_get_u32(tb[DEMUXGUARD_A_NR_IFACES]);
		st->nr_rules = nla_get_u32(tb[DEMUXGUARD_A_NR_RULES]);
	}
	st->has_unguarded = tb[DEMUXGUARD_A_NR_UNGUARDED];
	if (st->has_unguarded)
		st->nr_unguarded = nla_get_u32(tb[DEMUXGUARD_A_NR_UNGUARDED]);

	/* HOOK repeats, once per hook: genlmsg_parse kept only the last. */
	gnlh = nlmsg_data(nlh);
	nla_for_each_attr(a, genlmsg_attrdata(gnlh, 0), genlmsg_attrlen(gnlh, 0),
			  rem) {
		struct nlattr *hb[DEMUXGUARD_HOOK_A_MAX + 1];
		struct dg_hook *h;

		if (nla_type(a) != DEMUXGUARD_A_HOOK)
			continue;
		if (nla_parse_nested(hb, DEMUXGUARD_HOOK_A_MAX, a, hook_policy) < 0)
			return -EBADMSG;
		h = dg_status_add_hook(st);
		if (!h)
			return -ENOMEM;
		get_string(h->name, sizeof(h->name), hb[DEMUXGUARD_HOOK_A_NAME]);
		h->attached = hb[DEMUXGUARD_HOOK_A_ATTACHED] &&
			      nla_get_u8(hb[DEMUXGUARD_HOOK_A_ATTACHED]);
		h->armed = hb[DEMUXGUARD_HOOK_A_ARMED] &&
			   nla_get_u8(hb[DEMUXGUARD_HOOK_A_ARMED]);
		h->missed = hb[DEMUXGUARD_HOOK_A_MISSED] ?
			    nla_get_u64(hb[DEMUXGUARD_HOOK_A_MISSED]) : 0;
		h->has_details = hb[DEMUXGUARD_HOOK_A_KIND] && hb[DEMUXGUARD_HOOK_A_HITS];
		h->kind = hb[DEMUXGUARD_HOOK_A_KIND] ?
			  nla_get_u8(hb[DEMUXGUARD_HOOK_A_KIND]) : -1;
		h->hits = hb[DEMUXGUARD_HOOK_A_HITS] ?
			  nla_get_u64(hb[DEMUXGUARD_HOOK_A_HITS]) : 0;
		h->users = hb[DEMUXGUARD_HOOK_A_USERS] ?
			   nla_get_u32(hb[DEMUXGUARD_HOOK_A_USERS]) : 0;
		h->error = hb[DEMUXGUARD_HOOK_A_ERROR] ?
			   nla_get_u32(hb[DEMUXGUARD_HOOK_A_ERROR]) : 0;
	}
	return 0;
}

/* Reply collectors, one per kind of message. */
struct status_reply {
	struct dg_status *st;
	int seen;
};

static int collect_status(struct nlmsghdr *nlh, void *arg)
{
	struct status_reply *r = arg;

	if (r->seen++)
		return 0;	/* one status message expected; ignore extras */
	return dg_decode_status(nlh, r->st);
}

static int collect_dev(struct nlmsghdr *nlh, void *arg)
{
	struct dg_dev *d = dg_dev_list_add(arg);

	return d ? dg_decode_dev(nlh, d) : -ENOMEM;
}

static int collect_rule(struct nlmsghdr *nlh, void *arg)
{
	struct dg_rule *r = dg_rule_list_add(arg);

	return r ? dg_decode_rule(nlh, r) : -ENOMEM;
}

static int no_memory(struct dg_nl *nl)
{
	return dg_nl_fail(nl, ENOMEM, "out of memory building the request");
}

/*
 * A request for @cmd carrying the optional attributes a device/rule
 * command can have. NULL (with nl->err set) on failure.
 */
static struct nl_msg *build(struct dg_nl *nl, uint8_t cmd, int flags,
			    const char *ifname, const char *prefix, int mode)
{
	struct nl_msg *msg = dg_nl_new_request(nl, cmd, flags);

	if (!msg)
		goto nomem;
	if (ifname && nla_put_string(msg, DEMUXGUARD_A_IFNAME, ifname) < 0)
		goto nomem_free;
	/* An empty prefix is sent as "" (one NUL byte), not left out. */
	if (prefix && nla_put_string(msg, DEMUXGUARD_A_RULE_PREFIX, prefix) < 0)
		goto nomem_free;
	if (mode >= 0 && nla_put_u8(msg, DEMUXGUARD_A_MODE, (uint8_t)mode) < 0)
		goto nomem_free;
	return msg;

nomem_free:
	nlmsg_free(msg);
nomem:
	no_memory(nl);
	return NULL;
}

/* A do-request that only expects the ack. */
static int simple(struct dg_nl *nl, uint8_t cmd, const char *ifname,
		  const char *prefix, int mode)
{
	struct nl_msg *msg = build(nl, cmd, 0, ifname, prefix, mode);

	if (!msg)
		return -1;
	return dg_nl_exchange(nl, msg, NULL, NULL);
}

int dg_get_status(struct dg_nl *nl, struct dg_status *st)
{
	struct status_reply r = { .st = st };
	struct nl_msg *msg = build(nl, DEMUXGUARD_CMD_GET_STATUS, 0, NULL,
				   NULL, -1);

	if (!msg || dg_nl_exchange(nl, msg, collect_status, &r) < 0)
		return -1;
	if (!r.seen)
		return dg_nl_fail(nl, EPROTO, "the module sent no status");
	return 0;
}

/* GET_DEV / GET_STATS: a do-request for one device, or a dump. */
static int get_dev_list(struct dg_nl *nl, uint8_t cmd, const char *ifname,
			struct dg_dev_list *out)
{
	int rc;

	if (ifname) {
		struct nl_msg *msg = build(nl, cmd, 0, ifname, NULL, -1);

		if (!msg || dg_nl_exchange(nl, msg, collect_dev, out) < 0)
			return -1;
		if (out->n == 0)
			return dg_nl_fail(nl, EPROTO,
					  "the module sent no device information");
		return 0;
	}

	for (int attempt = 0;; attempt++) {
		struct nl_msg *msg = build(nl, cmd, NLM_F_DUMP, NULL, NULL, -1);

		if (!msg)
			return -1;
		out->n = 0;	/* drop what an interrupted attempt collected */
		rc = dg_nl_exchange(nl, msg, collect_dev, out);
		if (rc == 0 || !nl->err.interrupted || attempt == DUMP_RETRIES)
			break;
	}
	if (rc == 0)
		dg_dev_list_sort(out);
	return rc;
}

int dg_get_devs(struct dg_nl *nl, const char *ifname, struct dg_dev_list *out)
{
	return get_dev_list(nl, DEMUXGUARD_CMD_GET_DEV, ifname, out);
}

int dg_get_stats(struct dg_nl *nl, const char *ifname, struct dg_dev_list *out)
{
	return get_dev_list(nl, DEMUXGUARD_CMD_GET_STATS, ifname, out);
}

int dg_set_dev(struct dg_nl *nl, const char *ifname, uint8_t mode)
{
	return simple(nl, DEMUXGUARD_CMD_SET_DEV, ifname, NULL, mode);
}

int dg_unset_dev(struct dg_nl *nl, const char *ifname)
{
	return simple(nl, DEMUXGUARD_CMD_UNSET_DEV, ifname, NULL, -1);
}

int dg_add_rule(struct dg_nl *nl, const char *prefix, uint8_t mode)
{
	return simple(nl, DEMUXGUARD_CMD_ADD_RULE, NULL, prefix, mode);
}

int dg_del_rule(struct dg_nl *nl, const char *prefix)
{
	return simple(nl, DEMUXGUARD_CMD_DEL_RULE, NULL, prefix, -1);
}

int dg_get_rules(struct dg_nl *nl, struct dg_rule_list *out)
{
	int rc;

	for (int attempt = 0;; attempt++) {
		struct nl_msg *msg = build(nl, DEMUXGUARD_CMD_GET_RULE,
					   NLM_F_DUMP, NULL, NULL, -1);

		if (!msg)
			return -1;
		out->n = 0;
		rc = dg_nl_exchange(nl, msg, collect_rule, out);
		if (rc == 0 || !nl->err.interrupted || attempt == DUMP_RETRIES)
			break;
	}
	/*
	 * Printed in the module's order, not re-sorted: the module lists
	 * rules the way it matches them, which is what an operator needs.
	 */
	return rc;
}

int dg_reset_stats(struct dg_nl *nl, const char *ifname)
{
	return simple(nl, DEMUXGUARD_CMD_RESET_STATS, ifname, NULL, -1);
}
