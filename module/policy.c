// SPDX-License-Identifier: GPL-2.0
/*
 * Policy: which mode each interface is in, and why.
 *
 * Owns the per-namespace state (pernet_operations), the prefix rules, the
 * per-interface entries and their lifetime (a netdevice notifier creates an
 * entry when a rule matches a new or renamed interface and frees it when the
 * interface is unregistered, so an ifindex reused later starts clean).
 * Policy decides; the hook files obey: a change of mode attaches or detaches
 * the interface's veto hook (veto.c) and re-arms monitor's probes (hooks.c)
 * from the global count of interfaces in monitor. Neither calls back into
 * policy. With no interface in monitor or veto, nothing is armed or
 * attached and a loaded module costs nothing.
 *
 * Locking: every writer holds the RTNL, then dg_config_lock. Handlers only
 * read, under RCU; entries are freed after a grace period, and only after
 * their veto hook is detached.
 *
 * Memory: entries, their per-CPU counters and rules are allocated for
 * whoever caused them (the netlink writer, or the task that registers or
 * renames an interface a rule matches) and charged to its memory cgroup,
 * as the kernel charges the net_device itself. A change that applies rules
 * to many interfaces allocates every entry it needs before it changes
 * anything, so it either applies in full or fails with nothing changed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/rtnetlink.h>
#include "hooks.h"
#include "policy.h"
#include "veto.h"

unsigned int dg_net_id __read_mostly;
/* Serialises every policy writer; taken after the RTNL when both are held. */
DEFINE_MUTEX(dg_config_lock);

/* Interfaces in each mode, over all namespaces; drives arming. */
static unsigned int dg_nr_in_mode[__DEMUXGUARD_MODE_MAX];
/* Rules over all namespaces, reported so leaks are visible. */
static unsigned int dg_nr_rules;
/* Interfaces in veto whose veto hook could not be attached. */
static unsigned int dg_nr_unguarded;

static bool dg_dev_unguarded(const struct dg_dev *d)
{
	return d->mode == DEMUXGUARD_MODE_VETO && d->veto.kind == DEMUXGUARD_HOOK_KIND_NONE;
}

/*
 * The objects the module holds for @net, or for every namespace when @net
 * is the initial one: the host's view, where the module's cost and any
 * object that outlived its namespace show. Only counts, never names.
 */
void dg_policy_objects(const struct net *net, unsigned int *nr_ifaces,
		       unsigned int *nr_rules, unsigned int *nr_unguarded)
{
	const struct dg_net *dn = dg_net(net);
	unsigned int unguarded = 0;
	const struct dg_dev *d;
	int m;

	lockdep_assert_held(&dg_config_lock);
	if (!net_eq(net, &init_net)) {
		*nr_ifaces = dn->nr_devs;
		*nr_rules = dn->nr_rules;
		list_for_each_entry(d, &dn->devs, list)
			unguarded += dg_dev_unguarded(d);
		*nr_unguarded = unguarded;
		return;
	}
	*nr_ifaces = 0;
	for (m = 0; m <= DEMUXGUARD_MODE_MAX; m++)
		*nr_ifaces += dg_nr_in_mode[m];
	*nr_rules = dg_nr_rules;
	*nr_unguarded = dg_nr_unguarded;
}

static const char *const dg_mode_names[__DEMUXGUARD_MODE_MAX] = {
	[DEMUXGUARD_MODE_OFF]		= "off",
	[DEMUXGUARD_MODE_MONITOR]	= "monitor",
	[DEMUXGUARD_MODE_VETO]		= "veto",
};

const char *dg_mode_name(u8 mode)
{
	return mode <= DEMUXGUARD_MODE_MAX ? dg_mode_names[mode] : "?";
}

int dg_mode_from_name(const char *name, size_t len)
{
	int m;

	for (m = 0; m <= DEMUXGUARD_MODE_MAX; m++)
		if (strlen(dg_mode_names[m]) == len && !memcmp(name, dg_mode_names[m], len))
			return m;
	return -EINVAL;
}

/* What dev_valid_name() forbids, less the rules for whole names. */
bool dg_prefix_valid(const char *prefix)
{
	const char *p;

	if (strnlen(prefix, IFNAMSIZ) > DEMUXGUARD_PREFIX_MAXLEN)
		return false;
	for (p = prefix; *p; p++)
		if (*p == '/' || *p == ':' || isspace(*p))
			return false;
	return true;
}

static void dg_veto_attach_dev(struct dg_dev *d, struct net_device *dev)
{
	dg_veto_attach(&d->veto, dev);
	if (dg_dev_unguarded(d))
		dg_nr_unguarded++;
}

/*
 * The one place a mode changes. @dev is needed only to enter veto (and is
 * NULL only when an entry is destroyed). Setting veto again on an
 * interface whose hook could not attach tries again.
 */
static void dg_dev_set_mode(struct dg_dev *d, struct net_device *dev, u8 mode)
{
	ASSERT_RTNL();
	lockdep_assert_held(&dg_config_lock);
	if (d->mode == mode) {
		if (dg_dev_unguarded(d) && dev) {
			dg_nr_unguarded--;
			dg_veto_attach_dev(d, dev);
		}
		return;
	}
	if (d->mode == DEMUXGUARD_MODE_VETO) {
		if (dg_dev_unguarded(d))
			dg_nr_unguarded--;
		dg_veto_detach(&d->veto);
	}
	dg_nr_in_mode[d->mode]--;
	dg_nr_in_mode[mode]++;
	WRITE_ONCE(d->mode, mode);
	if (mode == DEMUXGUARD_MODE_VETO && !WARN_ON_ONCE(!dev))
		dg_veto_attach_dev(d, dev);
	dg_hooks_update(dg_nr_in_mode[DEMUXGUARD_MODE_MONITOR]);
}

struct dg_dev *dg_dev_find(struct dg_net *dn, int ifindex)
{
	struct dg_dev *d;

	lockdep_assert_held(&dg_config_lock);
	hash_for_each_possible(dn->dev_hash, d, hnode, ifindex)
		if (d->ifindex == ifindex)
			return d;
	return NULL;
}

/* Charged to the caller's memory cgroup (see the top of this file). */
static struct dg_dev *dg_dev_alloc(void)
{
	struct dg_dev *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		return NULL;
	d->counters = dg_counters_alloc(GFP_KERNEL_ACCOUNT);
	if (!d->counters) {
		kfree(d);
		return NULL;
	}
	return d;
}

static void dg_dev_free(struct dg_dev *d)
{
	free_percpu(d->counters);
	kfree(d);
}

/* Entries allocated ahead (dg_net_reserve()), chained through their list. */
static void dg_spares_free(struct list_head *spares)
{
	struct dg_dev *d, *tmp;

	list_for_each_entry_safe(d, tmp, spares, list) {
		list_del(&d->list);
		dg_dev_free(d);
	}
}

/* A new entry for @ifindex: one of @spares if there is one, else allocated. */
static struct dg_dev *dg_dev_create(struct dg_net *dn, int ifindex,
				    struct list_head *spares)
{
	struct dg_dev *d, *pos;

	lockdep_assert_held(&dg_config_lock);
	if (spares && !list_empty(spares)) {
		d = list_first_entry(spares, struct dg_dev, list);
		list_del(&d->list);
	} else {
		d = dg_dev_alloc();
		if (!d)
			return NULL;
	}
	d->ifindex = ifindex;
	d->mode = DEMUXGUARD_MODE_OFF;
	d->veto.counters = d->counters;
	dg_nr_in_mode[DEMUXGUARD_MODE_OFF]++;
	dn->nr_devs++;

	/* Keep the list in ifindex order: dumps resume by ifindex. */
	list_for_each_entry(pos, &dn->devs, list)
		if (pos->ifindex > ifindex)
			break;
	list_add_tail(&d->list, &pos->list);
	hash_add_rcu(dn->dev_hash, &d->hnode, ifindex);
	dn->generation++;
	return d;
}

static void dg_dev_free_rcu(struct rcu_head *head)
{
	dg_dev_free(container_of(head, struct dg_dev, rcu));
}

static void dg_dev_destroy(struct dg_net *dn, struct dg_dev *d)
{
	lockdep_assert_held(&dg_config_lock);
	/* Detaches the veto hook: nothing reaches @d through it after the grace period. */
	dg_dev_set_mode(d, NULL, DEMUXGUARD_MODE_OFF);
	dg_nr_in_mode[DEMUXGUARD_MODE_OFF]--;
	dn->nr_devs--;
	hash_del_rcu(&d->hnode);
	list_del(&d->list);
	dn->generation++;
	call_rcu(&d->rcu, dg_dev_free_rcu);
}

/* Rules are kept longest first, so the first match is the longest. */
static const struct dg_rule *dg_rule_match(const struct dg_net *dn, const char *ifname)
{
	const struct dg_rule *r;

	list_for_each_entry(r, &dn->rules, list)
		if (!strncmp(ifname, r->prefix, r->len))
			return r;
	return NULL;
}

static struct dg_rule *dg_rule_find(struct dg_net *dn, const char *prefix)
{
	struct dg_rule *r;

	list_for_each_entry(r, &dn->rules, list)
		if (!strcmp(r->prefix, prefix))
			return r;
	return NULL;
}

/*
 * Recompute one interface's mode from its explicit setting and the rules.
 * Only fails (-ENOMEM) when the interface needs an entry it does not have
 * and @spares has none left. Reads dev->name under the RTNL, which every
 * rename holds.
 */
static int dg_dev_refresh(struct dg_net *dn, struct net_device *dev,
			  struct list_head *spares)
{
	const struct dg_rule *rule = dg_rule_match(dn, dev->name);
	struct dg_dev *d = dg_dev_find(dn, dev->ifindex);

	if (!d) {
		if (!rule)
			return 0;
		d = dg_dev_create(dn, dev->ifindex, spares);
		if (!d)
			return -ENOMEM;
	}

	if (d->has_explicit) {
		d->rule_prefix[0] = '\0';
		dg_dev_set_mode(d, dev, d->explicit_mode);
	} else if (rule) {
		strscpy(d->rule_prefix, rule->prefix, sizeof(d->rule_prefix));
		dg_dev_set_mode(d, dev, rule->mode);
	} else {
		dg_dev_destroy(dn, d);
		return 0;
	}
	dn->generation++;
	return 0;
}

/*
 * Allocate the entries the interfaces of @net lack under the namespace's
 * rules as they stand, so that dg_net_apply() cannot fail half-way. Which
 * interfaces need an entry depends on the rules' prefixes, not on their
 * modes. All or nothing: on failure @spares is left empty.
 */
static int dg_net_reserve(struct net *net, struct list_head *spares)
{
	struct dg_net *dn = dg_net(net);
	struct net_device *dev;
	struct dg_dev *d;

	ASSERT_RTNL();
	lockdep_assert_held(&dg_config_lock);
	for_each_netdev(net, dev) {
		if (dg_dev_find(dn, dev->ifindex) || !dg_rule_match(dn, dev->name))
			continue;
		d = dg_dev_alloc();
		if (!d) {
			dg_spares_free(spares);
			return -ENOMEM;
		}
		list_add(&d->list, spares);
	}
	return 0;
}

/*
 * Apply the rules to every interface of @net with the entries
 * dg_net_reserve() set aside under the same RTNL hold: nothing can fail,
 * and nothing is left over.
 */
static void dg_net_apply(struct net *net, struct list_head *spares)
{
	struct dg_net *dn = dg_net(net);
	struct net_device *dev;

	ASSERT_RTNL();
	for_each_netdev(net, dev)
		WARN_ON_ONCE(dg_dev_refresh(dn, dev, spares));
	WARN_ON_ONCE(!list_empty(spares));
	dg_spares_free(spares);
}

int dg_dev_set_explicit(struct net_device *dev, u8 mode)
{
	struct dg_net *dn = dg_net(dev_net(dev));
	struct dg_dev *d;
	int err = 0;

	ASSERT_RTNL();
	mutex_lock(&dg_config_lock);
	d = dg_dev_find(dn, dev->ifindex);
	if (!d)
		d = dg_dev_create(dn, dev->ifindex, NULL);
	if (!d) {
		err = -ENOMEM;
		goto out;
	}
	d->has_explicit = true;
	d->explicit_mode = mode;
	err = dg_dev_refresh(dn, dev, NULL);	/* cannot fail: the entry exists */
out:
	mutex_unlock(&dg_config_lock);
	return err;
}

int dg_dev_unset_explicit(struct net_device *dev)
{
	struct dg_net *dn = dg_net(dev_net(dev));
	struct dg_dev *d;
	int err = -ENOENT;

	ASSERT_RTNL();
	mutex_lock(&dg_config_lock);
	d = dg_dev_find(dn, dev->ifindex);
	if (d && d->has_explicit) {
		d->has_explicit = false;
		err = dg_dev_refresh(dn, dev, NULL);	/* only updates or frees */
	}
	mutex_unlock(&dg_config_lock);
	return err;
}

/*
 * Add a rule, or replace the mode of the rule with this prefix. All or
 * nothing: every entry the change needs is allocated before anything
 * changes, so a failure (-ENOMEM, -ENOSPC) leaves the rules, the entries and
 * every interface's mode as they were.
 */
static int __dg_rule_add(struct net *net, const char *prefix, u8 mode, bool *replaced)
{
	struct dg_net *dn = dg_net(net);
	struct dg_rule *r, *pos;
	LIST_HEAD(spares);
	int err;

	lockdep_assert_held(&dg_config_lock);
	r = dg_rule_find(dn, prefix);
	*replaced = !!r;
	if (r) {
		/*
		 * Same prefix, same interfaces: only one that was left without
		 * its entry (an allocation failed when it was registered or
		 * renamed) needs one now.
		 */
		err = dg_net_reserve(net, &spares);
		if (err)
			return err;
		r->mode = mode;
		dn->generation++;
		dg_net_apply(net, &spares);
		return 0;
	}

	if (dn->nr_rules >= DG_MAX_RULES_PER_NET)
		return -ENOSPC;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	strscpy(r->prefix, prefix, sizeof(r->prefix));
	r->len = strlen(r->prefix);
	r->mode = mode;
	list_for_each_entry(pos, &dn->rules, list)
		if (pos->len < r->len ||
		    (pos->len == r->len && strcmp(pos->prefix, r->prefix) > 0))
			break;
	/* In the list while reserving, so its interfaces get their entries. */
	list_add_tail(&r->list, &pos->list);
	err = dg_net_reserve(net, &spares);
	if (err) {
		list_del(&r->list);
		kfree(r);
		return err;
	}
	dn->nr_rules++;
	dg_nr_rules++;
	dn->generation++;
	dg_net_apply(net, &spares);
	return 0;
}

int dg_rule_add(struct net *net, const char *prefix, u8 mode, bool *replaced)
{
	int err;

	ASSERT_RTNL();
	mutex_lock(&dg_config_lock);
	err = __dg_rule_add(net, prefix, mode, replaced);
	mutex_unlock(&dg_config_lock);
	return err;
}

/*
 * Interfaces fall back to shorter rules or lose their entry; one that was
 * left without its entry may need one now, so this is all or nothing too.
 */
int dg_rule_del(struct net *net, const char *prefix)
{
	struct dg_net *dn = dg_net(net);
	struct list_head *prev;
	struct dg_rule *r;
	LIST_HEAD(spares);
	int err = -ENOENT;

	ASSERT_RTNL();
	mutex_lock(&dg_config_lock);
	r = dg_rule_find(dn, prefix);
	if (!r)
		goto out;
	prev = r->list.prev;
	list_del(&r->list);
	err = dg_net_reserve(net, &spares);
	if (err) {
		list_add(&r->list, prev);
		goto out;
	}
	dn->nr_rules--;
	dg_nr_rules--;
	dn->generation++;
	kfree(r);
	dg_net_apply(net, &spares);
out:
	mutex_unlock(&dg_config_lock);
	return err;
}

void dg_dev_read_counters(const struct dg_dev *d, struct dg_counter_snapshot *out)
{
	int f, c;

	lockdep_assert_held(&dg_config_lock);
	dg_counters_sum(d->counters, out);
	for (f = 0; f < DG_NR_FAMILIES; f++)
		for (c = 0; c < DG_NR_COUNTERS; c++)
			out->val[f][c] -= d->reset_base.val[f][c];
}

void dg_dev_reset_counters(struct dg_dev *d)
{
	lockdep_assert_held(&dg_config_lock);
	dg_counters_sum(d->counters, &d->reset_base);
}

static int dg_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct dg_net *dn = dg_net(dev_net(dev));
	struct dg_dev *d;
	int err = 0;

	switch (event) {
	case NETDEV_REGISTER:
	case NETDEV_CHANGENAME:
		mutex_lock(&dg_config_lock);
		err = dg_dev_refresh(dn, dev, NULL);
		mutex_unlock(&dg_config_lock);
		break;
	case NETDEV_UNREGISTER:
		/* Also sent when a device leaves for another namespace. */
		mutex_lock(&dg_config_lock);
		d = dg_dev_find(dn, dev->ifindex);
		if (d)
			dg_dev_destroy(dn, d);
		mutex_unlock(&dg_config_lock);
		break;
	}
	if (err)
		pr_warn_ratelimited("%s: cannot apply rule: %d\n", dev->name, err);
	return NOTIFY_DONE;
}

static struct notifier_block dg_netdev_notifier = {
	.notifier_call = dg_netdev_event,
};

static int __net_init dg_net_init(struct net *net)
{
	struct dg_net *dn = dg_net(net);

	hash_init(dn->dev_hash);
	INIT_LIST_HEAD(&dn->devs);
	INIT_LIST_HEAD(&dn->rules);
	return 0;
}

/*
 * Runs after the namespace's devices are gone (pernet subsystems exit after
 * pernet devices), so the notifier has already freed every entry; the loop
 * over devs only guards against a path we did not foresee.
 */
static void __net_exit dg_net_exit(struct net *net)
{
	struct dg_net *dn = dg_net(net);
	struct dg_rule *r, *rtmp;
	struct dg_dev *d, *dtmp;

	/* A veto hook is detached under the RTNL. */
	rtnl_lock();
	mutex_lock(&dg_config_lock);
	list_for_each_entry_safe(d, dtmp, &dn->devs, list) {
		WARN_ONCE(1, "entry for ifindex %d outlived its device\n", d->ifindex);
		dg_dev_destroy(dn, d);
	}
	list_for_each_entry_safe(r, rtmp, &dn->rules, list) {
		list_del(&r->list);
		dg_nr_rules--;
		kfree(r);
	}
	dn->nr_rules = 0;
	mutex_unlock(&dg_config_lock);
	rtnl_unlock();
}

static struct pernet_operations dg_net_ops = {
	.init = dg_net_init,
	.exit = dg_net_exit,
	.id = &dg_net_id,
	.size = sizeof(struct dg_net),
};

/*
 * rules=PREFIX=MODE[,PREFIX=MODE...] for the initial namespace. Parsed in
 * full before anything is applied, so a bad value changes nothing.
 */
static int dg_apply_rules_param(const char *param, bool apply)
{
	const char *p = param;
	int n = 0;

	while (*p) {
		const char *end = strchrnul(p, ',');
		const char *eq = memchr(p, '=', end - p);
		char prefix[IFNAMSIZ];
		bool replaced;
		int mode, err;

		if (!eq) {
			pr_err("rules: '%.*s' is not PREFIX=MODE\n", (int)(end - p), p);
			return -EINVAL;
		}
		if (eq - p > DEMUXGUARD_PREFIX_MAXLEN) {
			pr_err("rules: prefix '%.*s' is longer than %d bytes\n",
			       (int)(eq - p), p, DEMUXGUARD_PREFIX_MAXLEN);
			return -EINVAL;
		}
		memcpy(prefix, p, eq - p);
		prefix[eq - p] = '\0';
		if (!dg_prefix_valid(prefix)) {
			pr_err("rules: prefix '%s' contains '/', ':' or whitespace\n", prefix);
			return -EINVAL;
		}
		mode = dg_mode_from_name(eq + 1, end - eq - 1);
		if (mode < 0) {
			pr_err("rules: mode '%.*s' for prefix '%s' is not off, monitor or veto\n",
			       (int)(end - eq - 1), eq + 1, prefix);
			return -EINVAL;
		}
		if (++n > DG_MAX_RULES_PER_NET) {
			pr_err("rules: more than %d rules\n", DG_MAX_RULES_PER_NET);
			return -EINVAL;
		}
		if (apply) {
			err = __dg_rule_add(&init_net, prefix, mode, &replaced);
			if (err)
				return err;
		}
		p = *end ? end + 1 : end;
		if (*end && !*p) {
			pr_err("rules: trailing ','\n");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * rules= that puts an existing interface in veto must guard it: a module
 * that loads and protects nothing is worse than one that does not load.
 */
static int dg_rules_param_guarded(void)
{
	struct dg_net *dn = dg_net(&init_net);
	const struct dg_dev *d;
	int err = 0;

	ASSERT_RTNL();
	lockdep_assert_held(&dg_config_lock);
	list_for_each_entry(d, &dn->devs, list) {
		struct net_device *dev;

		if (!dg_dev_unguarded(d))
			continue;
		dev = __dev_get_by_index(&init_net, d->ifindex);
		pr_err("rules: %s is in veto but no veto hook attaches to it (%d); not loading\n",
		       dev ? dev->name : "?", -(int)d->veto.error);
		err = -(int)d->veto.error;
	}
	return err;
}

int dg_policy_init(const char *rules_param)
{
	int err;

	if (rules_param) {
		err = dg_apply_rules_param(rules_param, false);
		if (err)
			return err;
	}

	err = register_pernet_subsys(&dg_net_ops);
	if (err)
		return err;

	/*
	 * The notifier goes first, the rules second: from the moment an entry
	 * can exist, the unregistration of its interface must reach us. In
	 * the other order an interface deleted between the two steps left its
	 * entry behind (loadrace.sh). The replay of NETDEV_REGISTER finds no
	 * rule yet and creates nothing.
	 */
	err = register_netdevice_notifier(&dg_netdev_notifier);
	if (err)
		goto err_pernet;

	if (rules_param) {
		/* Existing interfaces; the notifier keeps them current from here. */
		rtnl_lock();
		mutex_lock(&dg_config_lock);
		err = dg_apply_rules_param(rules_param, true);
		if (!err)
			err = dg_rules_param_guarded();
		mutex_unlock(&dg_config_lock);
		rtnl_unlock();
		if (err)
			goto err_notifier;
	}
	return 0;

err_notifier:
	/* Replays NETDEV_UNREGISTER: frees what the rules applied so far made. */
	unregister_netdevice_notifier(&dg_netdev_notifier);
err_pernet:
	/* Frees the rules (dg_net_exit). */
	unregister_pernet_subsys(&dg_net_ops);
	return err;
}

void dg_policy_exit(void)
{
	/*
	 * Replays NETDEV_UNREGISTER: every veto hook is detached, every entry
	 * freed (after a grace period), every probe disarmed.
	 */
	unregister_netdevice_notifier(&dg_netdev_notifier);
	unregister_pernet_subsys(&dg_net_ops);
}
