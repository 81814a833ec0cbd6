// SPDX-License-Identifier: GPL-2.0
/*
 * demuxguard: keep TCP early demux on while packets it would doom are
 * forwarded, per interface.
 *
 * This file only orders start-up and teardown: probes (registered disarmed)
 * first, then policy state (which arms them as interfaces need it), then the
 * netlink family, so userspace can reach the module only once it works.
 * Teardown is the reverse, and waits for every RCU callback before the
 * module's text goes away.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>
#include "demuxguard.h"
#include "hooks.h"
#include "netlink.h"
#include "policy.h"

static char *rules;
module_param(rules, charp, 0444);
MODULE_PARM_DESC(rules,
		 "prefix rules for the initial namespace: PREFIX=MODE[,PREFIX=MODE...], MODE is off, monitor or veto");

static int __init dg_init(void)
{
	int err;

	err = dg_hooks_init();
	if (err)
		return err;
	err = dg_policy_init(rules);
	if (err)
		goto err_hooks;
	err = dg_genl_init();
	if (err)
		goto err_policy;
	pr_info("version %s loaded\n", DEMUXGUARD_VERSION);
	return 0;

err_policy:
	dg_policy_exit();
err_hooks:
	dg_hooks_exit();
	rcu_barrier();
	return err;
}

static void __exit dg_exit(void)
{
	dg_genl_exit();
	dg_policy_exit();
	dg_hooks_exit();
	/* Entries are freed with call_rcu(); their callbacks live in this module. */
	rcu_barrier();
}

module_init(dg_init);
module_exit(dg_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-interface guard for packets TCP early demux would get dropped on forwarding");
MODULE_VERSION(DEMUXGUARD_VERSION);
MODULE_ALIAS_GENL_FAMILY(DEMUXGUARD_GENL_NAME);
