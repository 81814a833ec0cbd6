// SPDX-License-Identifier: GPL-2.0
/*
 * monitor's probes, their handlers and their arming.
 *
 * Early demux (tcp_v4_early_demux / tcp_v6_early_demux) may attach a local
 * socket, and the socket's cached input route, to a packet before routing;
 * if routing then forwards the packet, ip_forward() / ip6_forward() drop it
 * because it carries a socket. monitor counts this, per interface, without
 * changing anything and without probing early demux itself (static and
 * inlined on 7.x, so not a symbol there): it looks at the packet where
 * routing sends it, after early demux has run, at
 *
 *   ip_local_deliver() / ip6_input()   (delivered here)
 *   ip_forward()       / ip6_forward() (forwarded)
 *
 * which are the dst->input targets of every routed unicast packet and exist
 * as symbols on every kernel from 5.10 to 7.x. What early demux did is
 * written on the packet: skb->sk with the sock_edemux destructor, and the
 * socket's cached route as the packet's dst. So a handler repeats no
 * socket lookup, takes no reference and changes nothing; it reads the
 * socket the packet holds a reference to. A socket attached in another way
 * (bpf_sk_assign, TPROXY's, which uses the same destructor) is indistin-
 * guishable from early demux's after the fact; it is only read.
 *
 * The probes are armed only while some interface is in monitor: a probe on
 * every received packet is not free. Handlers run in softirq: no locks, no
 * allocation, an RCU lookup of the interface after the cheap protocol test,
 * per-CPU counters. Arguments are read with regs_get_kernel_argument(),
 * which is arch-neutral (x86-64 and arm64).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include "compat.h"
#include "hooks.h"
#include "policy.h"

struct dg_hook {
	const char *symbol;
	bool off_ftrace;	/* probe past the ftrace call site; see dg_hook_register() */
	bool attached;		/* registered; fixed after init */
	bool armed;		/* enabled; under dg_config_lock */
	u32 error;		/* positive errno of a failed registration */
	struct kprobe kp;
};

struct dg_hook_hits {
	u64 hits[DG_NR_HOOKS];
};

/* Handler runs, per CPU; summed by readers (64-bit loads, amd64 and arm64). */
static DEFINE_PER_CPU(struct dg_hook_hits, dg_hook_hits);

/* Interfaces in monitor, from the last dg_hooks_update(); dg_config_lock. */
static unsigned int dg_hook_users;

/* Did early demux run on @skb? Its conditions, as far as they can be seen now. */
static bool dg_demux_eligible(const struct sk_buff *skb, enum dg_family fam)
{
	struct net *net = dev_net(skb->dev);

	if (!READ_ONCE(net->ipv4.sysctl_ip_early_demux) ||
	    !READ_ONCE(net->ipv4.sysctl_tcp_early_demux))
		return false;
	/* Early demux never looks at a fragment (ip_rcv_finish_core()). */
	if (fam == DG_FAMILY_IPV4 && ip_is_fragment(ip_hdr(skb)))
		return false;
	/* A socket some other hook attached means early demux did not run. */
	return !skb->sk || skb->destructor == sock_edemux;
}

static noinline void dg_monitor_slow(const struct sk_buff *skb, enum dg_family fam,
				     bool forwarded)
{
	struct sock *sk = skb->sk;
	struct dg_dev *d;

	rcu_read_lock();
	d = dg_dev_lookup_rcu(dev_net(skb->dev), skb->skb_iif);
	if (!d || READ_ONCE(d->mode) != DEMUXGUARD_MODE_MONITOR)
		goto out;

	/* The kernel drops any forwarded packet that carries a socket. */
	if (forwarded && sk)
		dg_counter_inc(d->counters, fam, DG_FWD_SK_DROPS);
	if (!dg_demux_eligible(skb, fam))
		goto out;
	dg_counter_inc(d->counters, fam, DG_DEMUX_CALLS);
	if (!sk || skb->destructor != sock_edemux)
		goto out;
	dg_counter_inc(d->counters, fam, DG_SK_HITS);
	if (sk_fullsock(sk)) {
		/* The packet holds a reference on @sk; its route is RCU-freed. */
		struct dst_entry *rx_dst = rcu_dereference(sk->sk_rx_dst);

		if (!rx_dst)
			goto out;
		if (dg_sk_rx_dst_ifindex(sk) != skb->skb_iif)
			dg_counter_inc(d->counters, fam, DG_IIF_MISMATCH);
		else if (skb_dst(skb) == rx_dst)
			dg_counter_inc(d->counters, fam, DG_DST_HITS);
	}
out:
	rcu_read_unlock();
}

static __always_inline int dg_monitor(struct pt_regs *regs, enum dg_family fam,
				      enum dg_hook_id id, bool forwarded)
{
	const struct sk_buff *skb = (const struct sk_buff *)regs_get_kernel_argument(regs, 0);
	u8 proto;

	this_cpu_inc(dg_hook_hits.hits[id]);
	/* Early demux is for TCP; the header is linear here (routing read it). */
	proto = fam == DG_FAMILY_IPV4 ? ip_hdr(skb)->protocol : ipv6_hdr(skb)->nexthdr;
	if (proto == IPPROTO_TCP || (forwarded && skb->sk))
		dg_monitor_slow(skb, fam, forwarded);
	return 0;
}

static int dg_ip_local_deliver_pre(struct kprobe *p, struct pt_regs *regs)
{
	return dg_monitor(regs, DG_FAMILY_IPV4, DG_HOOK_IP_LOCAL_DELIVER, false);
}

static int dg_ip6_input_pre(struct kprobe *p, struct pt_regs *regs)
{
	return dg_monitor(regs, DG_FAMILY_IPV6, DG_HOOK_IP6_INPUT, false);
}

static int dg_ip_forward_pre(struct kprobe *p, struct pt_regs *regs)
{
	return dg_monitor(regs, DG_FAMILY_IPV4, DG_HOOK_IP_FORWARD, true);
}

static int dg_ip6_forward_pre(struct kprobe *p, struct pt_regs *regs)
{
	return dg_monitor(regs, DG_FAMILY_IPV6, DG_HOOK_IP6_FORWARD, true);
}

static struct dg_hook dg_hooks[DG_NR_HOOKS] = {
	[DG_HOOK_IP_LOCAL_DELIVER] = {
		.symbol = "ip_local_deliver",
		.off_ftrace = true,
		.kp = { .pre_handler = dg_ip_local_deliver_pre },
	},
	[DG_HOOK_IP6_INPUT] = {
		.symbol = "ip6_input",
		.off_ftrace = true,
		.kp = { .pre_handler = dg_ip6_input_pre },
	},
	[DG_HOOK_IP_FORWARD] = {
		.symbol = "ip_forward",
		.off_ftrace = true,
		.kp = { .pre_handler = dg_ip_forward_pre },
	},
	[DG_HOOK_IP6_FORWARD] = {
		.symbol = "ip6_forward",
		.off_ftrace = true,
		.kp = { .pre_handler = dg_ip6_forward_pre },
	},
};

#ifdef DG_FAULT_INJECT
/*
 * Test builds only (DG_FAULT_INJECT=y; make check-debug's disarmfail
 * scenario): make every disarm fail, to show that unload does not depend
 * on one succeeding. Never in a module built for a node.
 */
static bool fault_disarm;
module_param(fault_disarm, bool, 0644);
MODULE_PARM_DESC(fault_disarm, "test builds only: every probe disarm fails with -EIO");

static int dg_disable_kprobe(struct kprobe *kp)
{
	return READ_ONCE(fault_disarm) ? -EIO : disable_kprobe(kp);
}
#else
#define dg_disable_kprobe disable_kprobe
#endif

static void dg_hook_arm(struct dg_hook *h, bool want)
{
	int err;

	lockdep_assert_held(&dg_config_lock);
	if (!h->attached || h->armed == want)
		return;
	err = want ? enable_kprobe(&h->kp) : dg_disable_kprobe(&h->kp);
	if (err) {
		pr_warn("cannot %s probe on %s: %d\n", want ? "arm" : "disarm", h->symbol, err);
		return;
	}
	h->armed = want;
}

void dg_hooks_update(unsigned int nr_monitor)
{
	int i;

	lockdep_assert_held(&dg_config_lock);
	dg_hook_users = nr_monitor;
	for (i = 0; i < DG_NR_HOOKS; i++)
		dg_hook_arm(&dg_hooks[i], nr_monitor);
}

void dg_hooks_status(struct dg_hook_status status[DG_NR_HOOKS])
{
	int i, cpu;

	lockdep_assert_held(&dg_config_lock);
	for (i = 0; i < DG_NR_HOOKS; i++) {
		struct dg_hook *h = &dg_hooks[i];
		struct dg_hook_status *s = &status[i];

		memset(s, 0, sizeof(*s));
		s->name = h->symbol;
		s->kind = DEMUXGUARD_HOOK_KIND_KPROBE;
		s->attached = h->attached;
		s->armed = h->armed;
		s->missed = h->attached ? h->kp.nmissed : 0;
		s->error = h->error;
		s->users = dg_hook_users;
		for_each_possible_cpu(cpu)
			s->hits += READ_ONCE(per_cpu_ptr(&dg_hook_hits, cpu)->hits[i]);
	}
}

static void dg_hook_unregister(struct dg_hook *h)
{
	lockdep_assert_held(&dg_config_lock);
	if (!h->attached)
		return;
	unregister_kprobe(&h->kp);
	h->attached = false;
	h->armed = false;
}

/*
 * Registers @h disarmed. On x86 a probe on a function's first instruction
 * rides on ftrace. Arming and disarming an ftrace-based probe on a
 * function that runs hot on another CPU (tcp_v{4,6}_early_demux, where
 * monitor used to probe) crashed Debian's 6.1 kernel (a jump to address 0;
 * reproduced with the kernel's own kprobe_events and no module loaded), and
 * modes are switched on and off on busy nodes. An ftrace-based probe also
 * saves a full pt_regs and looks itself up on every hit. So every probe
 * goes on the instruction after the ftrace call site instead: an ordinary
 * kprobe that the kernel optimises into a jump, which measured cheaper
 * (docs/PERFORMANCE.md); the arguments are still in their registers there.
 * If that address cannot be probed, the ftrace site is used.
 */
#if defined(CONFIG_KPROBES_ON_FTRACE) && defined(MCOUNT_INSN_SIZE)
static int dg_hook_register_at(struct dg_hook *h, kprobe_opcode_t *addr)
{
	kprobe_pre_handler_t pre = h->kp.pre_handler;

	memset(&h->kp, 0, sizeof(h->kp));
	h->kp.pre_handler = pre;
	if (addr)
		h->kp.addr = addr;
	else
		h->kp.symbol_name = h->symbol;
	h->kp.flags = KPROBE_FLAG_DISABLED;
	return register_kprobe(&h->kp);
}

/* @h is registered (disarmed) on its ftrace site: move it one instruction on. */
static int dg_hook_move_off_ftrace(struct dg_hook *h)
{
	kprobe_opcode_t *past_ftrace;
	int err;

	if (!h->off_ftrace || !kprobe_ftrace(&h->kp))
		return 0;
	past_ftrace = (kprobe_opcode_t *)((char *)h->kp.addr + MCOUNT_INSN_SIZE);
	/* Never armed, so unregistering it touches no text. */
	unregister_kprobe(&h->kp);
	err = dg_hook_register_at(h, past_ftrace);
	if (!err)
		return 0;
	pr_info("%s: cannot probe past its ftrace site (%d); using the ftrace site\n",
		h->symbol, err);
	return dg_hook_register_at(h, NULL);
}
#else
/* No kprobes on ftrace (arm64 among others): every probe is an ordinary one. */
static int dg_hook_move_off_ftrace(struct dg_hook *h)
{
	return 0;
}
#endif

static int dg_hook_register(struct dg_hook *h)
{
	int err;

	h->kp.symbol_name = h->symbol;
	h->kp.flags = KPROBE_FLAG_DISABLED;
	err = register_kprobe(&h->kp);
	return err ?: dg_hook_move_off_ftrace(h);
}

/*
 * Registers every probe disarmed. A missing symbol (IPv6 not built in)
 * leaves that hook unattached and is reported (status: its error), not
 * fatal: monitor only counts.
 */
int dg_hooks_init(void)
{
	int i, err, nr_attached = 0;

	for (i = 0; i < DG_NR_HOOKS; i++) {
		struct dg_hook *h = &dg_hooks[i];

		err = dg_hook_register(h);
		if (err) {
			h->error = -err;
			pr_warn("%s: not attached (%d); monitor counts nothing there\n",
				h->symbol, err);
			continue;
		}
		h->attached = true;
		nr_attached++;
	}
	pr_debug("%d of %d hooks attached\n", nr_attached, DG_NR_HOOKS);
	return 0;
}

/*
 * Unregisters every probe, armed or not; unregister_kprobe() waits for
 * running handlers. Under dg_config_lock, so that a mode change racing with
 * unload (the netdevice notifier) sees each probe either registered or not.
 */
void dg_hooks_exit(void)
{
	int i;

	mutex_lock(&dg_config_lock);
	for (i = DG_NR_HOOKS - 1; i >= 0; i--)
		dg_hook_unregister(&dg_hooks[i]);
	mutex_unlock(&dg_config_lock);
}
