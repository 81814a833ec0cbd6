// SPDX-License-Identifier: GPL-2.0
/*
 * The "demuxguard" generic netlink family: the only way userspace reads or
 * changes policy. The contract is module/uapi/demuxguard.h.
 *
 * Every command acts in the caller's network namespace. Reads are open to
 * everyone; who may write is dg_may_write()'s decision (docs/DESIGN.md,
 * "Permissions"). Policies are strict and per command, reads included;
 * every refusal carries an extended-ack message. Dumps resume by ifindex
 * (interfaces) or position (rules) and flag an interrupted dump through the
 * namespace's generation counter. Interface names are copied under the
 * RTNL, which every rename holds, so a reply never carries a torn name.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include "compat.h"
#include "hooks.h"
#include "netlink.h"
#include "policy.h"
#include "veto.h"

static struct genl_family dg_genl_family;

static bool userns_writes __ro_after_init;
module_param(userns_writes, bool, 0444);
MODULE_PARM_DESC(userns_writes,
		 "let CAP_NET_ADMIN in a user namespace change its own network namespace's policy (never monitor); default 0: only CAP_NET_ADMIN in the initial user namespace may");

/*
 * The permission model (docs/DESIGN.md, "Permissions"), checked first in
 * every write, before anything is looked up:
 *  - CAP_NET_ADMIN in the initial user namespace may change anything;
 *  - otherwise CAP_NET_ADMIN over the namespace's owning user namespace is
 *    the least a write needs;
 *  - holding only that (root in a user namespace) never allows a change
 *    whose cost reaches beyond the namespace (@host_wide: a mode that arms
 *    the probes every TCP packet of the host pays for), and allows the rest
 *    only with userns_writes=1.
 * As with GENL_ADMIN_PERM / GENL_UNS_ADMIN_PERM, the socket's opener and
 * the sender must both hold the capability (netlink_ns_capable()); unlike
 * those flags, the refusal says why.
 */
static int dg_may_write(const struct sk_buff *skb, struct genl_info *info,
			bool host_wide)
{
	const struct net *net = genl_info_net(info);

	if (netlink_capable(skb, CAP_NET_ADMIN))
		return 0;
	if (!netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)) {
		if (net->user_ns == &init_user_ns)
			NL_SET_ERR_MSG(info->extack,
				       "changing policy needs CAP_NET_ADMIN (in the initial user namespace, which owns this network namespace)");
		else
			NL_SET_ERR_MSG(info->extack,
				       "changing policy needs CAP_NET_ADMIN over this network namespace");
		return -EPERM;
	}
	if (host_wide) {
		NL_SET_ERR_MSG(info->extack,
			       "monitor arms host-wide probes: needs CAP_NET_ADMIN in the initial user namespace");
		return -EPERM;
	}
	if (!userns_writes) {
		NL_SET_ERR_MSG(info->extack,
			       "CAP_NET_ADMIN in a user namespace may not change policy (module parameter userns_writes=0): needs it in the initial user namespace");
		return -EPERM;
	}
	return 0;
}

/* Only monitor arms probes that cost every packet of the host. */
static bool dg_mode_host_wide(u8 mode)
{
	return mode == DEMUXGUARD_MODE_MONITOR;
}

static const struct nla_policy dg_dev_policy[DEMUXGUARD_A_MAX + 1] = {
	[DEMUXGUARD_A_IFINDEX]	= NLA_POLICY_MIN(NLA_U32, 1),
	[DEMUXGUARD_A_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
};

static const struct nla_policy dg_set_dev_policy[DEMUXGUARD_A_MAX + 1] = {
	[DEMUXGUARD_A_IFINDEX]	= NLA_POLICY_MIN(NLA_U32, 1),
	[DEMUXGUARD_A_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[DEMUXGUARD_A_MODE]	= NLA_POLICY_MAX(NLA_U8, DEMUXGUARD_MODE_MAX),
};

/*
 * GET_STATUS and GET_RULE take no attribute: every type is NLA_UNSPEC, which
 * strict validation rejects. Without a policy of its own an op gets the
 * family's maxattr and genetlink's one-entry reject-all policy, which 7.x
 * then indexes out of bounds (BUG at lib/nlattr.c).
 */
static const struct nla_policy dg_no_attr_policy[DEMUXGUARD_A_MAX + 1] = {};

static const struct nla_policy dg_rule_policy[DEMUXGUARD_A_MAX + 1] = {
	[DEMUXGUARD_A_RULE_PREFIX] = { .type = NLA_NUL_STRING,
				       .len = DEMUXGUARD_PREFIX_MAXLEN },
	[DEMUXGUARD_A_MODE]	= NLA_POLICY_MAX(NLA_U8, DEMUXGUARD_MODE_MAX),
};

/*
 * The device named by exactly one of IFINDEX / IFNAME, in the caller's
 * namespace, with a reference held. @required: refuse a request naming none.
 */
static struct net_device *dg_get_dev(struct genl_info *info, bool required, int *err)
{
	struct nlattr *idx = info->attrs[DEMUXGUARD_A_IFINDEX];
	struct nlattr *name = info->attrs[DEMUXGUARD_A_IFNAME];
	struct net *net = genl_info_net(info);
	struct net_device *dev;

	*err = 0;
	if (idx && name) {
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "give the interface by index or by name, not both");
		*err = -EINVAL;
		return NULL;
	}
	if (!idx && !name) {
		if (required) {
			NL_SET_ERR_MSG(info->extack,
				       "missing interface (ifindex or ifname attribute)");
			*err = -EINVAL;
		}
		return NULL;
	}
	dev = idx ? dev_get_by_index(net, nla_get_u32(idx)) :
		    dev_get_by_name(net, nla_data(name));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack, idx ?: name,
				    "no such interface in this network namespace");
		*err = -ENODEV;
	}
	return dev;
}

static int dg_put_counters(struct sk_buff *skb, int attr,
			   const u64 val[DG_NR_COUNTERS])
{
	struct nlattr *nest = nla_nest_start(skb, attr);
	int c;

	if (!nest)
		return -EMSGSIZE;
	for (c = 0; c < DG_NR_COUNTERS; c++)
		if (nla_put_u64_64bit(skb, dg_counter_attr(c), val[c],
				      DEMUXGUARD_STAT_PAD))
			goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * One DEV message. @d may be NULL (no policy): mode off, source none.
 * Caller holds dg_config_lock.
 */
static int dg_fill_dev(struct sk_buff *skb, u32 portid, u32 seq, int flags,
		       u8 cmd, const char *ifname, int ifindex,
		       const struct dg_dev *d, struct netlink_callback *cb)
{
	u8 source = DEMUXGUARD_SOURCE_NONE;
	void *hdr;

	lockdep_assert_held(&dg_config_lock);
	hdr = genlmsg_put(skb, portid, seq, &dg_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	if (d)
		source = d->has_explicit ? DEMUXGUARD_SOURCE_EXPLICIT :
					   DEMUXGUARD_SOURCE_RULE;
	if (nla_put_u32(skb, DEMUXGUARD_A_IFINDEX, ifindex) ||
	    nla_put_string(skb, DEMUXGUARD_A_IFNAME, ifname) ||
	    nla_put_u8(skb, DEMUXGUARD_A_MODE, d ? d->mode : DEMUXGUARD_MODE_OFF) ||
	    nla_put_u8(skb, DEMUXGUARD_A_SOURCE, source))
		goto cancel;
	if (source == DEMUXGUARD_SOURCE_RULE &&
	    nla_put_string(skb, DEMUXGUARD_A_RULE_PREFIX, d->rule_prefix))
		goto cancel;
	/* Which hook guards it; or, in veto without one, why not. */
	if (nla_put_u8(skb, DEMUXGUARD_A_VETO_HOOK,
		       d ? d->veto.kind : DEMUXGUARD_HOOK_KIND_NONE))
		goto cancel;
	if (d && d->veto.error && d->mode == DEMUXGUARD_MODE_VETO &&
	    nla_put_u32(skb, DEMUXGUARD_A_HOOK_ERROR, d->veto.error))
		goto cancel;

	if (cmd == DEMUXGUARD_CMD_GET_STATS) {
		struct dg_counter_snapshot snap = {};

		if (d)
			dg_dev_read_counters(d, &snap);
		if (dg_put_counters(skb, DEMUXGUARD_A_STATS_IPV4, snap.val[DG_FAMILY_IPV4]) ||
		    dg_put_counters(skb, DEMUXGUARD_A_STATS_IPV6, snap.val[DG_FAMILY_IPV6]))
			goto cancel;
	}
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* GET_DEV / GET_STATS for one interface. */
static int dg_get_dev_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 cmd = info->genlhdr->cmd;
	struct net_device *dev;
	struct sk_buff *msg;
	int err;

	dev = dg_get_dev(info, true, &err);
	if (!dev)
		return err;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out_put;
	}
	/* The RTNL keeps dev->name whole while it is copied. */
	rtnl_lock();
	mutex_lock(&dg_config_lock);
	err = dg_fill_dev(msg, info->snd_portid, info->snd_seq, 0, cmd,
			  dev->name, dev->ifindex,
			  dg_dev_find(dg_net(dev_net(dev)), dev->ifindex), NULL);
	mutex_unlock(&dg_config_lock);
	rtnl_unlock();
	if (err) {
		nlmsg_free(msg);
		goto out_put;
	}
	err = genlmsg_reply(msg, info);
out_put:
	dev_put(dev);
	return err;
}

/* GET_DEV / GET_STATS for every interface with policy; cb->args[0]: next ifindex. */
static int dg_get_dev_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct dg_net *dn = dg_net(net);
	u8 cmd = ((struct genlmsghdr *)nlmsg_data(cb->nlh))->cmd;
	struct dg_dev *d;
	int err = 0;

	/* The RTNL keeps each dev->name whole while it is copied. */
	rtnl_lock();
	mutex_lock(&dg_config_lock);
	cb->seq = dn->generation;
	list_for_each_entry(d, &dn->devs, list) {
		struct net_device *dev;

		if (d->ifindex < cb->args[0])
			continue;
		dev = __dev_get_by_index(net, d->ifindex);
		if (!dev)	/* being unregistered: its entry is about to go */
			continue;
		err = dg_fill_dev(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  NLM_F_MULTI, cmd, dev->name, d->ifindex, d, cb);
		if (err)
			break;
		cb->args[0] = d->ifindex + 1;
	}
	mutex_unlock(&dg_config_lock);
	rtnl_unlock();
	/* A full skb ends this round; the next call resumes at args[0]. */
	return err == -EMSGSIZE && skb->len ? skb->len : err ?: skb->len;
}

/* SET_DEV / UNSET_DEV: the device is resolved first, changed under the RTNL. */
static int dg_write_dev(struct genl_info *info, bool set)
{
	struct net *net = genl_info_net(info);
	struct net_device *dev;
	int err;

	dev = dg_get_dev(info, true, &err);
	if (!dev)
		return err;

	rtnl_lock();
	/* The device may have left while we waited for the RTNL. */
	if (dev->reg_state != NETREG_REGISTERED || !net_eq(dev_net(dev), net)) {
		NL_SET_ERR_MSG(info->extack, "interface went away");
		err = -ENODEV;
	} else if (set) {
		err = dg_dev_set_explicit(dev, nla_get_u8(info->attrs[DEMUXGUARD_A_MODE]));
	} else {
		err = dg_dev_unset_explicit(dev);
		if (err == -ENOENT)
			NL_SET_ERR_MSG(info->extack, "interface has no explicit mode to unset");
	}
	rtnl_unlock();
	dev_put(dev);
	return err;
}

/* A write that sets MODE (required): may the caller set that mode? */
static int dg_may_write_mode(const struct sk_buff *skb, struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, DEMUXGUARD_A_MODE))
		return -EINVAL;
	return dg_may_write(skb, info,
			    dg_mode_host_wide(nla_get_u8(info->attrs[DEMUXGUARD_A_MODE])));
}

static int dg_set_dev_doit(struct sk_buff *skb, struct genl_info *info)
{
	int err;

	err = dg_may_write_mode(skb, info);
	if (err)
		return err;
	return dg_write_dev(info, true);
}

/*
 * Unsetting may hand the interface to a monitor rule; not host-wide by
 * itself: only an initial-namespace admin writes monitor rules, and the
 * namespace's root can already bring interfaces under them (ip link add).
 */
static int dg_unset_dev_doit(struct sk_buff *skb, struct genl_info *info)
{
	int err;

	err = dg_may_write(skb, info, false);
	if (err)
		return err;
	return dg_write_dev(info, false);
}

static int dg_rule_prefix_get(struct genl_info *info, const char **prefix)
{
	struct nlattr *attr = info->attrs[DEMUXGUARD_A_RULE_PREFIX];

	if (GENL_REQ_ATTR_CHECK(info, DEMUXGUARD_A_RULE_PREFIX))
		return -EINVAL;
	*prefix = nla_data(attr);
	if (!dg_prefix_valid(*prefix)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "prefix may not contain '/', ':' or whitespace");
		return -EINVAL;
	}
	return 0;
}

static int dg_add_rule_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *prefix;
	bool replaced;
	int err;

	err = dg_may_write_mode(skb, info);
	if (err)
		return err;
	err = dg_rule_prefix_get(info, &prefix);
	if (err)
		return err;

	rtnl_lock();
	err = dg_rule_add(genl_info_net(info), prefix,
			  nla_get_u8(info->attrs[DEMUXGUARD_A_MODE]), &replaced);
	rtnl_unlock();
	if (err == -ENOSPC)
		NL_SET_ERR_MSG(info->extack, "too many rules in this namespace (at most "
			       __stringify(DG_MAX_RULES_PER_NET) ")");
	return err;
}

/* Like unset: shorter rules take over, none written by this caller. */
static int dg_del_rule_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *prefix;
	int err;

	err = dg_may_write(skb, info, false);
	if (err)
		return err;
	err = dg_rule_prefix_get(info, &prefix);
	if (err)
		return err;

	rtnl_lock();
	err = dg_rule_del(genl_info_net(info), prefix);
	rtnl_unlock();
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[DEMUXGUARD_A_RULE_PREFIX],
				    "no rule with this prefix");
	return err;
}

/* cb->args[0]: rules already sent. */
static int dg_get_rule_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dg_net *dn = dg_net(sock_net(skb->sk));
	const struct dg_rule *r;
	long idx = 0;
	int err = 0;

	mutex_lock(&dg_config_lock);
	cb->seq = dn->generation;
	list_for_each_entry(r, &dn->rules, list) {
		void *hdr;

		if (idx++ < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &dg_genl_family, NLM_F_MULTI, DEMUXGUARD_CMD_GET_RULE);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		if (nla_put_string(skb, DEMUXGUARD_A_RULE_PREFIX, r->prefix) ||
		    nla_put_u8(skb, DEMUXGUARD_A_MODE, r->mode)) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	mutex_unlock(&dg_config_lock);
	return err == -EMSGSIZE && skb->len ? skb->len : err ?: skb->len;
}

static int dg_reset_stats_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dg_net *dn = dg_net(genl_info_net(info));
	struct net_device *dev;
	struct dg_dev *d;
	int err;

	err = dg_may_write(skb, info, false);
	if (err)
		return err;
	dev = dg_get_dev(info, false, &err);
	if (err)
		return err;

	mutex_lock(&dg_config_lock);
	if (dev) {
		d = dg_dev_find(dn, dev->ifindex);
		if (d)
			dg_dev_reset_counters(d);
	} else {
		list_for_each_entry(d, &dn->devs, list)
			dg_dev_reset_counters(d);
	}
	mutex_unlock(&dg_config_lock);
	if (dev)
		dev_put(dev);
	return 0;
}

static int dg_put_hook(struct sk_buff *msg, const struct dg_hook_status *h)
{
	struct nlattr *nest = nla_nest_start(msg, DEMUXGUARD_A_HOOK);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(msg, DEMUXGUARD_HOOK_A_NAME, h->name) ||
	    nla_put_u8(msg, DEMUXGUARD_HOOK_A_KIND, h->kind) ||
	    nla_put_u8(msg, DEMUXGUARD_HOOK_A_ATTACHED, h->attached) ||
	    nla_put_u8(msg, DEMUXGUARD_HOOK_A_ARMED, h->armed) ||
	    nla_put_u64_64bit(msg, DEMUXGUARD_HOOK_A_MISSED, h->missed,
			      DEMUXGUARD_HOOK_A_PAD) ||
	    nla_put_u64_64bit(msg, DEMUXGUARD_HOOK_A_HITS, h->hits,
			      DEMUXGUARD_HOOK_A_PAD) ||
	    nla_put_u32(msg, DEMUXGUARD_HOOK_A_USERS, h->users) ||
	    (h->error && nla_put_u32(msg, DEMUXGUARD_HOOK_A_ERROR, h->error))) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* monitor's probes first, then the veto's hooks. */
#define DG_NR_STATUS_HOOKS (DG_NR_HOOKS + DG_NR_VETO_HOOKS)

static int dg_get_status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dg_hook_status hooks[DG_NR_STATUS_HOOKS];
	unsigned int nr_ifaces, nr_rules, nr_unguarded;
	struct sk_buff *msg;
	u64 missed = 0;
	void *hdr;
	int i;

	mutex_lock(&dg_config_lock);
	dg_hooks_status(hooks);
	dg_veto_status(hooks + DG_NR_HOOKS);
	dg_policy_objects(genl_info_net(info), &nr_ifaces, &nr_rules, &nr_unguarded);
	mutex_unlock(&dg_config_lock);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &dg_genl_family, 0, DEMUXGUARD_CMD_GET_STATUS);
	if (!hdr)
		goto nospace;
	if (nla_put_string(msg, DEMUXGUARD_A_VERSION, DEMUXGUARD_VERSION))
		goto nospace;
	for (i = 0; i < DG_NR_STATUS_HOOKS; i++) {
		if (dg_put_hook(msg, &hooks[i]))
			goto nospace;
		missed += hooks[i].missed;
	}
	if (nla_put_u64_64bit(msg, DEMUXGUARD_A_PROBE_MISSED, missed, DEMUXGUARD_A_PAD) ||
	    nla_put_u32(msg, DEMUXGUARD_A_NR_IFACES, nr_ifaces) ||
	    nla_put_u32(msg, DEMUXGUARD_A_NR_RULES, nr_rules) ||
	    nla_put_u32(msg, DEMUXGUARD_A_NR_UNGUARDED, nr_unguarded))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/*
 * Writes carry no GENL_*_PERM flag: dg_may_write(), first in each of them,
 * decides, so that a refusal can say why.
 */
static const struct genl_ops dg_genl_ops[] = {
	{
		.cmd	= DEMUXGUARD_CMD_GET_STATUS,
		.doit	= dg_get_status_doit,
		.policy	= dg_no_attr_policy,
		.maxattr = DEMUXGUARD_A_MAX,
	},
	{
		.cmd	= DEMUXGUARD_CMD_GET_DEV,
		.doit	= dg_get_dev_doit,
		.dumpit	= dg_get_dev_dumpit,
		.policy	= dg_dev_policy,
		.maxattr = DEMUXGUARD_A_MAX,
	},
	{
		.cmd	= DEMUXGUARD_CMD_SET_DEV,
		.doit	= dg_set_dev_doit,
		.policy	= dg_set_dev_policy,
		.maxattr = DEMUXGUARD_A_MAX,
	},
	{
		.cmd	= DEMUXGUARD_CMD_UNSET_DEV,
		.doit	= dg_unset_dev_doit,
		.policy	= dg_dev_policy,
		.maxattr = DEMUXGUARD_A_MAX,
	},
	{
		.cmd	= DEMUXGUARD_CMD_ADD_RULE,
		.doit	= dg_add_rule_doit,
		.policy	= dg_rule_policy,
		.maxattr = DEMUXGUARD_A_MAX,
	},
	{
		.cmd	= DEMUXGUARD_CMD_DEL_RULE,
		.doit	= dg_del_rule_doit,
		.policy	= dg_rule_policy,
		.maxattr = DEMUXGUARD_A_MAX,
	},
	{
		.cmd	= DEMUXGUARD_CMD_GET_RULE,
		.dumpit	= dg_get_rule_dumpit,
		.policy	= dg_no_attr_policy,
		.maxattr = DEMUXGUARD_A_MAX,
	},
	{
		.cmd	= DEMUXGUARD_CMD_GET_STATS,
		.doit	= dg_get_dev_doit,
		.dumpit	= dg_get_dev_dumpit,
		.policy	= dg_dev_policy,
		.maxattr = DEMUXGUARD_A_MAX,
	},
	{
		.cmd	= DEMUXGUARD_CMD_RESET_STATS,
		.doit	= dg_reset_stats_doit,
		.policy	= dg_dev_policy,
		.maxattr = DEMUXGUARD_A_MAX,
	},
};

static struct genl_family dg_genl_family __ro_after_init = {
	.name		= DEMUXGUARD_GENL_NAME,
	.version	= DEMUXGUARD_GENL_VERSION,
	.maxattr	= DEMUXGUARD_A_MAX,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= dg_genl_ops,
	.n_ops		= ARRAY_SIZE(dg_genl_ops),
};

int __init dg_genl_init(void)
{
	return genl_register_family(&dg_genl_family);
}

void dg_genl_exit(void)
{
	genl_unregister_family(&dg_genl_family);
}
