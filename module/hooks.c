// SPDX-License-Identifier: GPL-2.0
/*
 * The probes, their handlers and their arming.
 *
 * Early demux (tcp_v4_early_demux / tcp_v6_early_demux) may attach a local
 * socket to a packet before routing; if routing then forwards the packet,
 * ip_forward() / ip6_forward() drop it because it carries a socket. Two
 * kinds of probe see this:
 *
 *  - kprobes on the early-demux functions classify what early demux is
 *    about to do for packets received on a monitor interface (by the same
 *    socket lookup it does). A probe on every TCP receive is not free, so
 *    they are armed only while some interface is in monitor.
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

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include "compat.h"
#include "hooks.h"
#include "policy.h"

struct dg_hook {
	const char *symbol;
	bool off_ftrace;	/* probe past the ftrace call site; see dg_hook_register() */
	bool attached;		/* registered; fixed after init */
	bool armed;		/* enabled; under dg_config_lock */
	struct kprobe kp;
};

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
			/*
			 * skb_orphan() without its destructor's possible free:
			 * drop early demux's reference unless it is the last
			 * one. Freeing a socket here, with preemption off, is
			 * not allowed on PREEMPT_RT. If early demux holds the
			 * last reference, the socket is going away anyway: its
			 * packet is left to the kernel's drop, which frees it
			 * where that is allowed.
			 */
			if (!refcount_dec_not_one(&skb->sk->sk_refcnt))
				break;
			skb->destructor = NULL;
			skb->sk = NULL;
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

/*
 * What tcp_v{4,6}_early_demux() is about to do with @skb, found the way it
 * will find it: the established-socket lookup on the same tuple, then the
 * socket's cached input route. The probe sits on the function's entry
 * rather than its return: a kretprobe taken in and out while early demux
 * runs on other CPUs has been seen to crash 6.1 (a return to address 0),
 * and entry probes are cheaper. Runs in softirq before the function, on
 * the same CPU, so the lookup sees the same hash table the function will.
 * Returns the socket with a reference held, or NULL.
 */
static struct sock *dg_demux_lookup(const struct sk_buff *skb, enum dg_family fam)
{
	struct net *net = dev_net(skb->dev);
	struct tcphdr _th;
	const struct tcphdr *th;

	if (skb->pkt_type != PACKET_HOST)
		return NULL;
	th = skb_header_pointer(skb, skb_transport_offset(skb), sizeof(_th), &_th);
	if (!th || th->doff < sizeof(struct tcphdr) / 4)
		return NULL;

	if (fam == DG_FAMILY_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		return dg_inet_lookup_established(net, iph->saddr, th->source,
						  iph->daddr, ntohs(th->dest),
						  skb->skb_iif, dg_inet_sdif(skb));
	}
#if IS_ENABLED(CONFIG_IPV6)
	{
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		return dg_inet6_lookup_established(net, &ip6h->saddr, th->source,
						   &ip6h->daddr, ntohs(th->dest),
						   inet6_iif(skb), inet6_sdif(skb));
	}
#else
	return NULL;
#endif
}

static void dg_demux_classify(const struct sk_buff *skb, enum dg_family fam)
{
	struct dg_dev *d;
	struct sock *sk;

	rcu_read_lock();
	d = dg_rx_dev_rcu(skb);
	if (!d || READ_ONCE(d->mode) != DEMUXGUARD_MODE_MONITOR)
		goto out;

	dg_counter_inc(d->counters, fam, DG_DEMUX_CALLS);
	sk = dg_demux_lookup(skb, fam);
	if (!sk)
		goto out;
	dg_counter_inc(d->counters, fam, DG_SK_HITS);
	if (sk_fullsock(sk)) {
		struct dst_entry *dst = rcu_dereference(sk->sk_rx_dst);

		if (dst && READ_ONCE(dst->obsolete))
			dst = dst->ops->check(dst, fam == DG_FAMILY_IPV6 ?
					      dg_sk_rx_dst_cookie(sk) : 0);
		if (dst && dg_sk_rx_dst_ifindex(sk) == skb->skb_iif)
			dg_counter_inc(d->counters, fam, DG_DST_HITS);
		else if (dst)
			dg_counter_inc(d->counters, fam, DG_IIF_MISMATCH);
	}
	sock_gen_put(sk);
out:
	rcu_read_unlock();
}

static int dg_tcp_v4_demux_pre(struct kprobe *p, struct pt_regs *regs)
{
	dg_demux_classify((struct sk_buff *)regs_get_kernel_argument(regs, 0), DG_FAMILY_IPV4);
	return 0;
}

static int dg_tcp_v6_demux_pre(struct kprobe *p, struct pt_regs *regs)
{
	dg_demux_classify((struct sk_buff *)regs_get_kernel_argument(regs, 0), DG_FAMILY_IPV6);
	return 0;
}

static struct dg_hook dg_hooks[DG_NR_HOOKS] = {
	[DG_HOOK_TCP_V4_EARLY_DEMUX] = {
		.symbol = "tcp_v4_early_demux",
		.off_ftrace = true,
		.kp = { .pre_handler = dg_tcp_v4_demux_pre },
	},
	[DG_HOOK_TCP_V6_EARLY_DEMUX] = {
		.symbol = "tcp_v6_early_demux",
		.off_ftrace = true,
		.kp = { .pre_handler = dg_tcp_v6_demux_pre },
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

static void dg_hook_arm(struct dg_hook *h, bool want)
{
	int err;

	lockdep_assert_held(&dg_config_lock);
	if (!h->attached || h->armed == want)
		return;
	err = want ? enable_kprobe(&h->kp) : disable_kprobe(&h->kp);
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
		status[i].missed = h->attached ? h->kp.nmissed : 0;
	}
}

static void dg_hook_unregister(struct dg_hook *h)
{
	if (!h->attached)
		return;
	unregister_kprobe(&h->kp);
	h->attached = false;
	h->armed = false;
}

/*
 * Registers @h disarmed. On x86 a probe on a function's first instruction
 * rides on ftrace. Arming and disarming an ftrace-based probe on
 * tcp_v{4,6}_early_demux while it runs hot on another CPU crashes Debian's
 * 6.1 kernel (a jump to address 0; reproduced with the kernel's own
 * kprobe_events and no module loaded), and modes are switched on and off
 * on busy nodes. An ftrace-based probe also saves a full pt_regs and looks
 * itself up on every hit, which on ip_forward() is a tax on every forwarded
 * packet. So every probe goes on the instruction after the ftrace call site
 * instead: an ordinary kprobe that the kernel optimises into a jump, which
 * measured cheaper (docs/PERFORMANCE.md); the arguments are still in their
 * registers there. If that address cannot be probed, the ftrace site is
 * used.
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
 * Registers every probe disarmed. A missing symbol (inlined, cloned, IPv6
 * not built in) leaves that hook unattached and is reported, not fatal.
 */
int dg_hooks_init(void)
{
	int i, err, nr_attached = 0;

	for (i = 0; i < DG_NR_HOOKS; i++) {
		struct dg_hook *h = &dg_hooks[i];

		err = dg_hook_register(h);
		if (err) {
			pr_warn("%s: not attached (%d); %s\n", h->symbol, err,
				i <= DG_HOOK_TCP_V6_EARLY_DEMUX ?
				"its monitor counters stay at 0" : "this family is not guarded");
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
