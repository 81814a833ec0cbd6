// SPDX-License-Identifier: GPL-2.0
/*
 * The veto: keep early demux away from the packets received on an interface
 * in veto mode, without patching or probing kernel code.
 *
 * ip_rcv_finish_core() and ip6_rcv_finish_core() run early demux only for a
 * packet without a dst, and route every packet whose dst is not valid
 * (!skb_valid_dst()). A metadata dst (DST_METADATA) is non-NULL but never
 * valid, and routing drops it (ip_route_input_slow(), ip6_route_input()).
 * So a handler on the interface's receive path attaches one shared,
 * module-owned metadata dst (without a reference from the rx_handler, with
 * one from the netfilter hook: see dg_veto_mark()) to every IPv4 and IPv6
 * packet that has no dst yet.
 * Early demux is skipped, the packet is routed as usual, and a packet that
 * routing forwards never carries a socket. METADATA_HW_PORT_MUX is used
 * because skb_tunnel_info() ignores it: routing sees no tunnel key.
 *
 * The handler is the device's rx_handler (one per device, measured free on
 * every other interface); if a bridge, bond, macvlan or the like holds it,
 * a netfilter NF_NETDEV_INGRESS hook on the device does the same. If
 * neither attaches, the interface is not guarded and says so (its entry's
 * error, GET_STATUS's unguarded count). veto_hook= restricts the choice.
 *
 * Hooks are attached and detached only from policy's mode changes and the
 * netdevice notifier, under the RTNL, never from the packet path. On unload,
 * every hook is gone and a grace period has passed before the shared dst's
 * own reference is dropped: a packet that took a reference keeps it alive,
 * and the last dst_release(), in kernel code, frees it.
 * docs/DESIGN.md has the evidence and what was checked against it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/moduleparam.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/dst_metadata.h>
#include "veto.h"

static char *veto_hook = "auto";
module_param(veto_hook, charp, 0444);
MODULE_PARM_DESC(veto_hook,
		 "hook the veto may use: auto (the rx_handler, else netfilter ingress), rx_handler, or netfilter");

static bool dg_use_rx_handler, dg_use_nf_ingress;

/* The marker every vetoed packet carries until it is routed. */
static struct metadata_dst *dg_veto_dst;

struct dg_veto_hits {
	u64 hits[DG_NR_VETO_HOOKS];
};

/* Handler runs, per CPU; summed by readers (64-bit loads, amd64 and arm64). */
static DEFINE_PER_CPU(struct dg_veto_hits, dg_veto_hits);

/* Under the RTNL. */
static unsigned int dg_veto_users[DG_NR_VETO_HOOKS];
static u32 dg_veto_last_error[DG_NR_VETO_HOOKS];

static const char *const dg_veto_hook_names[DG_NR_VETO_HOOKS] = {
	[DG_VETO_RX_HANDLER]	= "rx_handler",
	[DG_VETO_NF_INGRESS]	= "nf_ingress",
};

static const u8 dg_veto_hook_kinds[DG_NR_VETO_HOOKS] = {
	[DG_VETO_RX_HANDLER]	= DEMUXGUARD_HOOK_KIND_RX_HANDLER,
	[DG_VETO_NF_INGRESS]	= DEMUXGUARD_HOOK_KIND_NF_INGRESS,
};

/*
 * Packet path: softirq, under rcu_read_lock(). From the rx_handler the
 * marker goes on without a reference: the packet goes straight to the
 * protocol handlers in the same RCU section, and whatever queues it later
 * takes one (skb_dst_force()). The netfilter hook runs before the device's
 * rx_handler, whose owner may clone and queue the packet as it is (macvlan
 * and ipvlan queue broadcasts for a work item, outside any RCU section), so
 * there the marker carries a reference: the queued clone keeps it alive,
 * even past unload.
 */
static __always_inline void dg_veto_mark(const struct dg_veto *v, struct sk_buff *skb,
					 enum dg_veto_hook_id id)
{
	enum dg_family fam;

	this_cpu_inc(dg_veto_hits.hits[id]);
	if (skb->protocol == htons(ETH_P_IP))
		fam = DG_FAMILY_IPV4;
	else if (skb->protocol == htons(ETH_P_IPV6))
		fam = DG_FAMILY_IPV6;
	else
		return;
	/*
	 * A packet that already has a dst (tc, a tunnel) is left alone, and
	 * so is early demux's decision about it. skb->sk is not tested: at a
	 * veth's ingress it is still the sender's socket (ip_rcv_core()
	 * orphans it later).
	 */
	if (skb_dst(skb))
		return;
	if (id == DG_VETO_RX_HANDLER) {
		skb_dst_set_noref(skb, &dg_veto_dst->dst);
	} else {
		dst_hold(&dg_veto_dst->dst);
		skb_dst_set(skb, &dg_veto_dst->dst);
	}
	dg_counter_inc(v->counters, fam, DG_VETOED);
}

static rx_handler_result_t dg_veto_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;

	dg_veto_mark(rcu_dereference(skb->dev->rx_handler_data), skb, DG_VETO_RX_HANDLER);
	return RX_HANDLER_PASS;
}

#if IS_ENABLED(CONFIG_NETFILTER_INGRESS)
static unsigned int dg_veto_nf_hook(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	/*
	 * Netfilter ingress runs before VLAN untagging: a tagged packet
	 * belongs to the VLAN device, which the rx_handler would not see on
	 * this one either. Guard the VLAN device itself.
	 */
	if (!skb_vlan_tag_present(skb))
		dg_veto_mark(priv, skb, DG_VETO_NF_INGRESS);
	return NF_ACCEPT;
}

static int dg_veto_attach_nf_ingress(struct dg_veto *v, struct net_device *dev)
{
	memset(&v->ops, 0, sizeof(v->ops));
	v->ops.hook = dg_veto_nf_hook;
	v->ops.priv = v;
	v->ops.pf = NFPROTO_NETDEV;
	v->ops.hooknum = NF_NETDEV_INGRESS;
	/* Last: other ingress chains see the packet as they would without us. */
	v->ops.priority = INT_MAX;
	v->ops.dev = dev;
	return nf_register_net_hook(dev_net(dev), &v->ops);
}

static void dg_veto_detach_nf_ingress(struct dg_veto *v)
{
	nf_unregister_net_hook(dev_net(v->dev), &v->ops);
}
#else
/* No netfilter ingress hook in this kernel: the rx_handler only. */
static int dg_veto_attach_nf_ingress(struct dg_veto *v, struct net_device *dev)
{
	return -EOPNOTSUPP;
}

static void dg_veto_detach_nf_ingress(struct dg_veto *v)
{
}
#endif

static int dg_veto_attach_rx_handler(struct dg_veto *v, struct net_device *dev)
{
	return netdev_rx_handler_register(dev, dg_veto_rx_handler, v);
}

/*
 * Attaches @v to @dev: the rx_handler if it is free (and allowed), else the
 * netfilter ingress hook. On failure v->error says why and the interface is
 * not guarded. Caller holds the RTNL.
 */
void dg_veto_attach(struct dg_veto *v, struct net_device *dev)
{
	int rx_err = 0, nf_err = 0;
	enum dg_veto_hook_id id;

	ASSERT_RTNL();
	if (v->kind != DEMUXGUARD_HOOK_KIND_NONE)
		return;
	if (dg_use_rx_handler) {
		rx_err = dg_veto_attach_rx_handler(v, dev);
		if (!rx_err) {
			id = DG_VETO_RX_HANDLER;
			goto attached;
		}
		dg_veto_last_error[DG_VETO_RX_HANDLER] = -rx_err;
	}
	if (dg_use_nf_ingress) {
		nf_err = dg_veto_attach_nf_ingress(v, dev);
		if (!nf_err) {
			id = DG_VETO_NF_INGRESS;
			goto attached;
		}
		dg_veto_last_error[DG_VETO_NF_INGRESS] = -nf_err;
	}
	v->error = dg_use_nf_ingress ? -nf_err : -rx_err;
	if (!dg_use_nf_ingress)
		pr_warn("%s: veto not attached (rx_handler: %d; netfilter not allowed by veto_hook=%s): interface NOT guarded\n",
			dev->name, rx_err, veto_hook);
	else if (!dg_use_rx_handler)
		pr_warn("%s: veto not attached (nf_ingress: %d; rx_handler not allowed by veto_hook=%s): interface NOT guarded\n",
			dev->name, nf_err, veto_hook);
	else
		pr_warn("%s: veto not attached (rx_handler: %d, nf_ingress: %d): interface NOT guarded\n",
			dev->name, rx_err, nf_err);
	return;

attached:
	v->dev = dev;
	v->kind = dg_veto_hook_kinds[id];
	v->error = 0;
	dg_veto_users[id]++;
}

/*
 * Detaches @v, or forgets its failure. Handlers may still be running with
 * @v when this returns (netfilter does not wait): the entry that holds @v
 * is freed after a grace period, and module exit waits for one. Caller
 * holds the RTNL.
 */
void dg_veto_detach(struct dg_veto *v)
{
	ASSERT_RTNL();
	switch (v->kind) {
	case DEMUXGUARD_HOOK_KIND_RX_HANDLER:
		/* Waits for running handlers (synchronize_net()). */
		netdev_rx_handler_unregister(v->dev);
		dg_veto_users[DG_VETO_RX_HANDLER]--;
		break;
	case DEMUXGUARD_HOOK_KIND_NF_INGRESS:
		dg_veto_detach_nf_ingress(v);
		dg_veto_users[DG_VETO_NF_INGRESS]--;
		break;
	}
	v->kind = DEMUXGUARD_HOOK_KIND_NONE;
	v->dev = NULL;
	v->error = 0;
}

/* Caller holds dg_config_lock or the RTNL: every writer holds both. */
void dg_veto_status(struct dg_hook_status status[DG_NR_VETO_HOOKS])
{
	int i, cpu;

	for (i = 0; i < DG_NR_VETO_HOOKS; i++) {
		struct dg_hook_status *s = &status[i];

		memset(s, 0, sizeof(*s));
		s->name = dg_veto_hook_names[i];
		s->kind = dg_veto_hook_kinds[i];
		s->users = dg_veto_users[i];
		s->attached = s->users;
		s->armed = s->users;
		s->error = dg_veto_last_error[i];
		for_each_possible_cpu(cpu)
			s->hits += READ_ONCE(per_cpu_ptr(&dg_veto_hits, cpu)->hits[i]);
	}
}

/*
 * Module-wide: what veto_hook= allows must exist on this kernel, and the
 * shared dst must be allocated; otherwise the module does not load, rather
 * than load and guard nothing.
 */
int dg_veto_init(void)
{
	if (!strcmp(veto_hook, "auto")) {
		dg_use_rx_handler = true;
		dg_use_nf_ingress = IS_ENABLED(CONFIG_NETFILTER_INGRESS);
	} else if (!strcmp(veto_hook, "rx_handler")) {
		dg_use_rx_handler = true;
	} else if (!strcmp(veto_hook, "netfilter")) {
		if (!IS_ENABLED(CONFIG_NETFILTER_INGRESS)) {
			pr_err("veto_hook=netfilter: this kernel has no netfilter ingress hook (CONFIG_NETFILTER_INGRESS); not loading\n");
			return -EOPNOTSUPP;
		}
		dg_use_nf_ingress = true;
	} else {
		pr_err("veto_hook=%s: not auto, rx_handler or netfilter\n", veto_hook);
		return -EINVAL;
	}
	if (!dg_use_nf_ingress)
		pr_info("veto: rx_handler only; an interface whose rx_handler is taken is not guarded\n");

	dg_veto_dst = metadata_dst_alloc(0, METADATA_HW_PORT_MUX, GFP_KERNEL);
	if (!dg_veto_dst) {
		pr_err("veto: cannot allocate its metadata dst; not loading\n");
		return -ENOMEM;
	}
	return 0;
}

/* After policy is gone: no interface is attached any more. */
void dg_veto_exit(void)
{
	int i;

	for (i = 0; i < DG_NR_VETO_HOOKS; i++)
		WARN_ON_ONCE(dg_veto_users[i]);
	/*
	 * Handlers that found the hook before it was removed have finished
	 * after a grace period; so have packets holding the dst without a
	 * reference. Those that took one keep it alive past this release.
	 */
	synchronize_net();
	dst_release(&dg_veto_dst->dst);
	dg_veto_dst = NULL;
}
