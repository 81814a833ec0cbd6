// SPDX-License-Identifier: GPL-2.0
/*
 * demuxguard: keep TCP early demux on while packets it would doom are
 * forwarded, per interface.
 *
 * This file only orders start-up and teardown.
 *
 * Start-up, each step needing the ones before it:
 *   1. veto: check that the hooks veto_hook= allows exist, allocate the
 *      shared metadata dst (module-wide; failing here fails the load);
 *   2. monitor's probes, registered disarmed;
 *   3. policy: per-namespace state, the netdevice notifier, rules= (which
 *      attaches veto hooks and arms probes as interfaces need them; an
 *      interface rules= puts in veto that cannot be guarded fails the load);
 *   4. the netlink family, so userspace reaches the module only once it
 *      works.
 *
 * Teardown relies on no disarm succeeding: what a handler reads is freed
 * only after the handler can no longer run.
 *   1. the netlink family: no more writers;
 *   2. monitor's probes are unregistered, armed or not: unregister_kprobe()
 *      waits for running handlers, which read policy's per-namespace state
 *      (freed without a grace period when the pernet ops go). Policy's
 *      later mode changes find them unregistered and leave them alone;
 *   3. policy: the notifier's replay of NETDEV_UNREGISTER detaches every
 *      veto hook (netdev_rx_handler_unregister() waits for running
 *      handlers) and frees every entry after a grace period, then the
 *      per-namespace state goes;
 *   4. veto: a grace period for netfilter handlers and for packets that
 *      hold the shared dst without a reference, then its reference is
 *      dropped (a packet that took one frees it later, in kernel code);
 *   5. rcu_barrier(): the entries' RCU callbacks live in this module.
 * Steps 2 and 3 are the one place this is not start-up reversed: the probes
 * are registered before policy (rules= arms them) but go before it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>
#include "demuxguard.h"
#include "hooks.h"
#include "netlink.h"
#include "policy.h"
#include "veto.h"

static char *rules;
module_param(rules, charp, 0444);
MODULE_PARM_DESC(rules,
		 "prefix rules for the initial namespace: PREFIX=MODE[,PREFIX=MODE...], MODE is off, monitor or veto");

static int __init dg_init(void)
{
	int err;

	err = dg_veto_init();
	if (err)
		return err;
	err = dg_hooks_init();
	if (err)
		goto err_veto;
	err = dg_policy_init(rules);
	if (err)
		goto err_hooks;
	err = dg_genl_init();
	if (err)
		goto err_policy;
	pr_info("version %s loaded\n", DEMUXGUARD_VERSION);
	return 0;

err_policy:
	dg_hooks_exit();
	dg_policy_exit();
	goto err_veto;
err_hooks:
	dg_hooks_exit();
err_veto:
	dg_veto_exit();
	rcu_barrier();
	return err;
}

static void __exit dg_exit(void)
{
	dg_genl_exit();
	dg_hooks_exit();
	dg_policy_exit();
	dg_veto_exit();
	/* Entries are freed with call_rcu(); their callbacks live in this module. */
	rcu_barrier();
}

module_init(dg_init);
module_exit(dg_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-interface guard for packets TCP early demux would get dropped on forwarding");
MODULE_VERSION(DEMUXGUARD_VERSION);
MODULE_ALIAS_GENL_FAMILY(DEMUXGUARD_GENL_NAME);
