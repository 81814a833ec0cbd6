/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy state: per network namespace, the prefix rules and one entry per
 * interface that has a mode (explicitly or through a rule). Entries are
 * found on the packet path by (netns, ifindex) under RCU (monitor) or
 * through their veto hook's private data (veto), and changed under
 * dg_config_lock, always taken after the RTNL. Every mode change holds
 * both: the veto's hooks are attached and detached under the RTNL.
 */
#ifndef _DG_POLICY_H
#define _DG_POLICY_H

#include <linux/hashtable.h>
#include <linux/if.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include "counters.h"
#include "demuxguard.h"
#include "veto.h"

/* Bounds a namespace owner (possibly root only in a user namespace) cannot exceed. */
#define DG_MAX_RULES_PER_NET	256

struct dg_rule {
	struct list_head list;		/* dg_net.rules, longest prefix first */
	u8 mode;
	u8 len;
	char prefix[IFNAMSIZ];
};

struct dg_dev {
	struct hlist_node hnode;	/* dg_net.dev_hash, RCU readers */
	struct list_head list;		/* dg_net.devs, ascending ifindex */
	int ifindex;
	u8 mode;			/* effective mode; READ_ONCE on the packet path */
	u8 explicit_mode;
	bool has_explicit;
	/* prefix of the rule that supplied the mode, when !has_explicit */
	char rule_prefix[IFNAMSIZ];
	struct dg_pcpu_counters __percpu *counters;
	struct dg_counter_snapshot reset_base;	/* under dg_config_lock */
	struct dg_veto veto;		/* attached while mode is veto */
	struct rcu_head rcu;
};

struct dg_net {
	DECLARE_HASHTABLE(dev_hash, 6);
	struct list_head devs;
	struct list_head rules;
	unsigned int nr_devs;		/* entries in devs */
	unsigned int nr_rules;
	/* bumped on every change so an interrupted dump is flagged */
	unsigned int generation;
};

extern unsigned int dg_net_id;
extern struct mutex dg_config_lock;

static inline struct dg_net *dg_net(const struct net *net)
{
	return net_generic(net, dg_net_id);
}

/* Packet path: caller holds rcu_read_lock(). */
static inline struct dg_dev *dg_dev_lookup_rcu(const struct net *net, int ifindex)
{
	struct dg_net *dn = dg_net(net);
	struct dg_dev *d;

	hash_for_each_possible_rcu(dn->dev_hash, d, hnode, ifindex)
		if (d->ifindex == ifindex)
			return d;
	return NULL;
}

struct dg_dev *dg_dev_find(struct dg_net *dn, int ifindex);
int dg_dev_set_explicit(struct net_device *dev, u8 mode);
int dg_dev_unset_explicit(struct net_device *dev);
int dg_rule_add(struct net *net, const char *prefix, u8 mode, bool *replaced);
int dg_rule_del(struct net *net, const char *prefix);
void dg_dev_reset_counters(struct dg_dev *d);
void dg_dev_read_counters(const struct dg_dev *d, struct dg_counter_snapshot *out);
void dg_policy_objects(const struct net *net, unsigned int *nr_ifaces,
		       unsigned int *nr_rules, unsigned int *nr_unguarded);

const char *dg_mode_name(u8 mode);
int dg_mode_from_name(const char *name, size_t len);
bool dg_prefix_valid(const char *prefix);

int dg_policy_init(const char *rules_param);
void dg_policy_exit(void);

#endif /* _DG_POLICY_H */
