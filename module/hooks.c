// SPDX-License-Identifier: GPL-2.0
/*
 * The probes, their handlers and their arming.
 *
 * Early demux (tcp_v4_early_demux / tcp_v6_early_demux) may attach a local
 * socket to a packet before routing; if routing then forwards the packet,
 * ip_forward() / ip6_forward() drop it because it carries a socket. Two
 * kinds of probe see this:
 *
 *  - kretprobes on the early-demux functions classify what early demux did
 *    for packets received on a monitor interface. A kretprobe on every TCP
 *    receive costs more than turning early demux off, so they are armed only
 *    while some interface is in monitor.
 *  - kprobes on ip_forward() / ip6_forward() see the packets the kernel is
 *    about to drop. On a veto interface the handler removes the socket
 *    (routing never looks at skb->sk, so this is exactly "early demux never
 *    attached it"); on a monitor interface it counts the drop. Armed while
 *    some interface is in monitor or veto. The common case, a forwarded
 *    packet without a socket, costs one load and one branch.
 *
 * Handlers run in softirq: no locks, no allocation, an RCU lookup of the
 * interface after the cheap test, per-CPU counters. Arguments are read with
 * regs_get_kernel_argument(), which is arch-neutral (x86-64 and arm64).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/sock.h>
#include "compat.h"
#include "hooks.h"
#include "policy.h"

struct dg_hook {
	const char *symbol;
	bool is_kretprobe;
	bool attached;		/* registered; fixed after init */
	bool armed;		/* enabled; under dg_config_lock */
	struct kprobe kp;
	struct kretprobe rp;
};

static struct kprobe *dg_hook_kprobe(struct dg_hook *h)
{
	return h->is_kretprobe ? &h->rp.kp : &h->kp;
}

static struct dg_dev *dg_rx_dev_rcu(const struct sk_buff *skb)
{
	return dg_dev_lookup_rcu(dev_net(skb->dev), skb->skb_iif);
}

/* ---- forwarding: count or veto the drop ---- */

static noinline void dg_forward_slow(struct sk_buff *skb, enum dg_family fam)
{
	struct dg_dev *d;

	/* Only a socket that early demux attached is ours to judge. */
	if (skb->destructor != sock_edemux)
		return;

	rcu_read_lock();
	d = dg_rx_dev_rcu(skb);
	if (d) {
		switch (READ_ONCE(d->mode)) {
		case DEMUXGUARD_MODE_VETO:
			skb_orphan(skb);
			dg_counter_inc(d->counters, fam, DG_VETOED);
			break;
		case DEMUXGUARD_MODE_MONITOR:
			dg_counter_inc(d->counters, fam, DG_FWD_SK_DROPS);
			break;
		}
	}
	rcu_read_unlock();
}

static __always_inline int dg_forward(struct pt_regs *regs, enum dg_family fam)
{
	struct sk_buff *skb = (struct sk_buff *)regs_get_kernel_argument(regs, 0);

	if (likely(!skb->sk))
		return 0;
	dg_forward_slow(skb, fam);
	return 0;
}

static int dg_ip_forward_pre(struct kprobe *p, struct pt_regs *regs)
{
	return dg_forward(regs, DG_FAMILY_IPV4);
}

static int dg_ip6_forward_pre(struct kprobe *p, struct pt_regs *regs)
{
	return dg_forward(regs, DG_FAMILY_IPV6);
}

/* ---- early demux: classify (monitor only) ---- */

struct dg_demux_call {
	struct sk_buff *skb;
};

static bool dg_rx_dev_monitored(const struct sk_buff *skb)
{
	const struct dg_dev *d;
	bool ret;

	rcu_read_lock();
	d = dg_rx_dev_rcu(skb);
	ret = d && READ_ONCE(d->mode) == DEMUXGUARD_MODE_MONITOR;
	rcu_read_unlock();
	return ret;
}

static int dg_demux_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sk_buff *skb = (struct sk_buff *)regs_get_kernel_argument(regs, 0);
	struct dg_demux_call *call = (struct dg_demux_call *)ri->data;

	/* Non-zero: no return handler for this call. */
	if (!dg_rx_dev_monitored(skb))
		return 1;
	call->skb = skb;
	return 0;
}

static void dg_demux_classify(const struct sk_buff *skb, enum dg_family fam)
{
	const struct sock *sk = skb->sk;
	struct dg_dev *d;

	rcu_read_lock();
	d = dg_rx_dev_rcu(skb);
	if (!d || READ_ONCE(d->mode) != DEMUXGUARD_MODE_MONITOR)
		goto out;

	dg_counter_inc(d->counters, fam, DG_DEMUX_CALLS);
	if (!sk || skb->destructor != sock_edemux)
		goto out;
	dg_counter_inc(d->counters, fam, DG_SK_HITS);
	if (skb_dst(skb))
		dg_counter_inc(d->counters, fam, DG_DST_HITS);
	else if (sk_fullsock(sk) && rcu_access_pointer(sk->sk_rx_dst) &&
		 dg_sk_rx_dst_ifindex(sk) != skb->skb_iif)
		dg_counter_inc(d->counters, fam, DG_IIF_MISMATCH);
out:
	rcu_read_unlock();
}

static int dg_tcp_v4_demux_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	dg_demux_classify(((struct dg_demux_call *)ri->data)->skb, DG_FAMILY_IPV4);
	return 0;
}

static int dg_tcp_v6_demux_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	dg_demux_classify(((struct dg_demux_call *)ri->data)->skb, DG_FAMILY_IPV6);
	return 0;
}

static struct dg_hook dg_hooks[DG_NR_HOOKS] = {
	[DG_HOOK_TCP_V4_EARLY_DEMUX] = {
		.symbol = "tcp_v4_early_demux",
		.is_kretprobe = true,
		.rp = {
			.entry_handler = dg_demux_entry,
			.handler = dg_tcp_v4_demux_ret,
			.data_size = sizeof(struct dg_demux_call),
		},
	},
	[DG_HOOK_TCP_V6_EARLY_DEMUX] = {
		.symbol = "tcp_v6_early_demux",
		.is_kretprobe = true,
		.rp = {
			.entry_handler = dg_demux_entry,
			.handler = dg_tcp_v6_demux_ret,
			.data_size = sizeof(struct dg_demux_call),
		},
	},
	[DG_HOOK_IP_FORWARD] = {
		.symbol = "ip_forward",
		.kp = { .pre_handler = dg_ip_forward_pre },
	},
	[DG_HOOK_IP6_FORWARD] = {
		.symbol = "ip6_forward",
		.kp = { .pre_handler = dg_ip6_forward_pre },
	},
};

static void dg_hook_arm(struct dg_hook *h, bool want)
{
	int err;

	lockdep_assert_held(&dg_config_lock);
	if (!h->attached || h->armed == want)
		return;
	err = want ? enable_kprobe(dg_hook_kprobe(h)) : disable_kprobe(dg_hook_kprobe(h));
	if (err) {
		pr_warn("cannot %s probe on %s: %d\n", want ? "arm" : "disarm", h->symbol, err);
		return;
	}
	h->armed = want;
}

void dg_hooks_update(unsigned int nr_monitor, unsigned int nr_veto)
{
	dg_hook_arm(&dg_hooks[DG_HOOK_TCP_V4_EARLY_DEMUX], nr_monitor);
	dg_hook_arm(&dg_hooks[DG_HOOK_TCP_V6_EARLY_DEMUX], nr_monitor);
	dg_hook_arm(&dg_hooks[DG_HOOK_IP_FORWARD], nr_monitor || nr_veto);
	dg_hook_arm(&dg_hooks[DG_HOOK_IP6_FORWARD], nr_monitor || nr_veto);
}

void dg_hooks_status(struct dg_hook_status status[DG_NR_HOOKS])
{
	int i;

	lockdep_assert_held(&dg_config_lock);
	for (i = 0; i < DG_NR_HOOKS; i++) {
		struct dg_hook *h = &dg_hooks[i];

		status[i].name = h->symbol;
		status[i].attached = h->attached;
		status[i].armed = h->armed;
		status[i].missed = h->attached ? dg_hook_kprobe(h)->nmissed : 0;
		if (h->attached && h->is_kretprobe)
			status[i].missed += h->rp.nmissed;
	}
}

static void dg_hook_unregister(struct dg_hook *h)
{
	if (!h->attached)
		return;
	if (h->is_kretprobe)
		unregister_kretprobe(&h->rp);
	else
		unregister_kprobe(&h->kp);
	h->attached = false;
	h->armed = false;
}

/*
 * Registers every probe disarmed. A missing symbol (inlined, cloned, IPv6
 * not built in) leaves that hook unattached and is reported, not fatal.
 */
int dg_hooks_init(void)
{
	int i, err, nr_attached = 0;

	for (i = 0; i < DG_NR_HOOKS; i++) {
		struct dg_hook *h = &dg_hooks[i];
		struct kprobe *kp = dg_hook_kprobe(h);

		kp->symbol_name = h->symbol;
		kp->flags = KPROBE_FLAG_DISABLED;
		if (h->is_kretprobe) {
			/* Early demux runs in softirq: at most a few nested calls per CPU. */
			h->rp.maxactive = max_t(int, 16, 4 * num_possible_cpus());
			err = register_kretprobe(&h->rp);
		} else {
			err = register_kprobe(&h->kp);
		}
		if (err) {
			pr_warn("%s: not attached (%d); %s\n", h->symbol, err,
				h->is_kretprobe ? "monitor counters stay at 0" :
						  "this family is not guarded");
			continue;
		}
		h->attached = true;
		nr_attached++;
	}
	pr_debug("%d of %d hooks attached\n", nr_attached, DG_NR_HOOKS);
	return 0;
}

void dg_hooks_exit(void)
{
	int i;

	for (i = DG_NR_HOOKS - 1; i >= 0; i--)
		dg_hook_unregister(&dg_hooks[i]);
}
