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
 * The probes exist only while some interface is in monitor: registered when
 * the first interface enters it, disarmed when the last one leaves and
 * unregistered soon after, so a module without monitor leaves no probe in
 * the kernel (a registered but disarmed probe measured a cost on arm64:
 * docs/PERFORMANCE.md). Handlers run in softirq: no locks, no
 * allocation, an RCU lookup of the interface after the cheap protocol test,
 * per-CPU counters. Arguments are read with regs_get_kernel_argument(),
 * which is arch-neutral (x86-64 and arm64).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include "compat.h"
#include "hooks.h"
#include "policy.h"

/* All but the handler under dg_config_lock. */
struct dg_hook {
	const char *symbol;
	kprobe_pre_handler_t pre_handler;
	bool off_ftrace;	/* probe past the ftrace call site; see dg_hook_past_ftrace() */
	unsigned int offset;	/* where in the function to probe, from dg_hooks_init() */
	bool attached;		/* registered */
	bool armed;		/* enabled */
	u32 error;		/* positive errno of the last failed attach, 0 once attached */
	u64 missed;		/* kprobe misses of earlier registrations */
	struct kprobe kp;
};

struct dg_hook_hits {
	u64 hits[DG_NR_HOOKS];
};

/* Handler runs, per CPU; summed by readers (64-bit loads, amd64 and arm64). */
static DEFINE_PER_CPU(struct dg_hook_hits, dg_hook_hits);

/* Interfaces in monitor, from the last dg_hooks_update(); dg_config_lock. */
static unsigned int dg_hook_users;

/* Set by dg_hooks_exit(): nothing attaches any more; dg_config_lock. */
static bool dg_hooks_closed;

static void dg_hooks_detach_workfn(struct work_struct *work);
static DECLARE_WORK(dg_hooks_detach_work, dg_hooks_detach_workfn);

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
		.pre_handler = dg_ip_local_deliver_pre,
		.off_ftrace = true,
	},
	[DG_HOOK_IP6_INPUT] = {
		.symbol = "ip6_input",
		.pre_handler = dg_ip6_input_pre,
		.off_ftrace = true,
	},
	[DG_HOOK_IP_FORWARD] = {
		.symbol = "ip_forward",
		.pre_handler = dg_ip_forward_pre,
		.off_ftrace = true,
	},
	[DG_HOOK_IP6_FORWARD] = {
		.symbol = "ip6_forward",
		.pre_handler = dg_ip6_forward_pre,
		.off_ftrace = true,
	},
};

#ifdef DG_FAULT_INJECT
/*
 * Test builds only (DG_FAULT_INJECT=y; make check-debug's attachfail
 * scenario): make every probe registration fail, to show that monitor
 * reports probes it needs but cannot attach, and recovers once it can.
 * Never in a module built for a node.
 */
static bool fault_attach;
module_param(fault_attach, bool, 0644);
MODULE_PARM_DESC(fault_attach, "test builds only: every probe registration fails with -EIO");

static int dg_register_kprobe(struct kprobe *kp)
{
	return READ_ONCE(fault_attach) ? -EIO : register_kprobe(kp);
}
#else
#define dg_register_kprobe register_kprobe
#endif

/*
 * A kprobe is registered from a clean struct each time: registration fills
 * in its address, and a struct with both an address and a symbol is
 * refused. By symbol and offset, never by a remembered address, so that
 * the symbol is looked up again at every registration.
 */
static int dg_hook_register_at(struct dg_hook *h, unsigned int offset, u32 flags)
{
	memset(&h->kp, 0, sizeof(h->kp));
	h->kp.pre_handler = h->pre_handler;
	h->kp.symbol_name = h->symbol;
	h->kp.offset = offset;
	h->kp.flags = flags;
	return dg_register_kprobe(&h->kp);
}

/*
 * Where to probe. On x86 a probe on a function's first instruction rides on
 * ftrace. Arming and disarming an ftrace-based probe on a function that
 * runs hot on another CPU (tcp_v{4,6}_early_demux, where monitor used to
 * probe) crashed Debian's 6.1 kernel (a jump to address 0; reproduced with
 * the kernel's own kprobe_events and no module loaded), and modes are
 * switched on and off on busy nodes. An ftrace-based probe also saves a
 * full pt_regs and looks itself up on every hit. So every probe goes on the
 * instruction after the ftrace call site instead: an ordinary kprobe that
 * the kernel optimises into a jump, which measured cheaper
 * (docs/PERFORMANCE.md); the arguments are still in their registers there.
 *
 * That instruction's offset in the function (past an ENDBR, if any, and
 * the call) is found once, at load, where a probe registered disarmed on
 * the symbol and unregistered again costs a grace period that no lock is
 * held across; the probes monitor registers later go straight to it. If it
 * cannot be found or probed, the ftrace site is used.
 */
#if defined(CONFIG_KPROBES_ON_FTRACE) && defined(MCOUNT_INSN_SIZE)
/* @h is registered (disarmed) on its symbol: the offset past its ftrace site. */
static unsigned int dg_hook_past_ftrace(struct dg_hook *h)
{
	char sym[KSYM_SYMBOL_LEN];
	size_t len = strlen(h->symbol);
	unsigned long offset;

	if (!h->off_ftrace || !kprobe_ftrace(&h->kp))
		return 0;
	/* "ip_forward+0x9/0x4c0": the same function, and how far in. */
	sprint_symbol(sym, (unsigned long)h->kp.addr + MCOUNT_INSN_SIZE);
	if (strncmp(sym, h->symbol, len) || sym[len] != '+' ||
	    sscanf(sym + len + 1, "%lx", &offset) != 1 || !offset || offset > U16_MAX) {
		pr_info("%s: cannot tell the instruction after its ftrace site (%s); using the ftrace site\n",
			h->symbol, sym);
		return 0;
	}
	return offset;
}
#else
/* No kprobes on ftrace (arm64 among others): every probe is an ordinary one. */
static unsigned int dg_hook_past_ftrace(struct dg_hook *h)
{
	return 0;
}
#endif

/* Registers @h, armed; on failure nothing of it is left registered. */
static int dg_hook_attach(struct dg_hook *h)
{
	int err;

	err = dg_hook_register_at(h, h->offset, 0);
	if (err && h->offset) {
		pr_info("%s: cannot probe past its ftrace site (%d); using the ftrace site\n",
			h->symbol, err);
		err = dg_hook_register_at(h, 0, 0);
	}
	return err;
}

/*
 * Arms every hook, registering those not registered yet. One that fails (a
 * symbol missing, IPv6 not built in) is reported in status with its error,
 * and tried again at the next mode change while monitor needs it: monitor
 * only counts, so the mode is set either way. The log says so when the
 * error changes.
 */
static void dg_hooks_arm(void)
{
	int i, err;

	for (i = 0; i < DG_NR_HOOKS; i++) {
		struct dg_hook *h = &dg_hooks[i];

		if (h->armed)
			continue;
		if (h->attached) {
			/* Disarmed, its unregistration not run yet. */
			err = enable_kprobe(&h->kp);
		} else {
			err = dg_hook_attach(h);
			if (!err)
				h->attached = true;
		}
		if (err) {
			if (h->error != -err)
				pr_warn("%s: probe not %s (%d); monitor counts nothing there\n",
					h->symbol, h->attached ? "armed" : "attached", err);
			h->error = -err;
			continue;
		}
		h->armed = true;
		h->error = 0;
	}
}

/*
 * No interface needs the probes any more: disarm them now (no grace period
 * to wait for), unregister them from a work item. Unregistering waits for
 * a grace period, which a writer here would spend holding the RTNL.
 */
static void dg_hooks_disarm(void)
{
	int i, err;

	for (i = 0; i < DG_NR_HOOKS; i++) {
		struct dg_hook *h = &dg_hooks[i];

		if (!h->armed)
			continue;
		err = disable_kprobe(&h->kp);
		if (err) {
			/* Still armed, and said so; unregistering disarms it. */
			pr_warn("cannot disarm probe on %s: %d\n", h->symbol, err);
			continue;
		}
		h->armed = false;
	}
	if (!dg_hooks_closed)
		schedule_work(&dg_hooks_detach_work);
}

/*
 * Unregisters every registered hook, with one grace period for all of
 * them: unregister_kprobes() waits for running handlers, so none is left
 * reading policy's state when this returns.
 */
static void dg_hooks_detach(void)
{
	struct kprobe *kps[DG_NR_HOOKS];
	int i, n = 0;

	lockdep_assert_held(&dg_config_lock);
	for (i = 0; i < DG_NR_HOOKS; i++)
		if (dg_hooks[i].attached)
			kps[n++] = &dg_hooks[i].kp;
	if (!n)
		return;
	unregister_kprobes(kps, n);
	for (i = 0; i < DG_NR_HOOKS; i++) {
		struct dg_hook *h = &dg_hooks[i];

		if (!h->attached)
			continue;
		h->missed += h->kp.nmissed;
		h->attached = false;
		h->armed = false;
	}
}

/* Without the RTNL; unless monitor came back in the meantime. */
static void dg_hooks_detach_workfn(struct work_struct *work)
{
	mutex_lock(&dg_config_lock);
	if (!dg_hook_users)
		dg_hooks_detach();
	mutex_unlock(&dg_config_lock);
}

/* Policy's count of interfaces in monitor changed (or may have). */
void dg_hooks_update(unsigned int nr_monitor)
{
	lockdep_assert_held(&dg_config_lock);
	dg_hook_users = nr_monitor;
	if (nr_monitor && !dg_hooks_closed)
		dg_hooks_arm();
	else if (!nr_monitor)
		dg_hooks_disarm();
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
		s->missed = h->missed + (h->attached ? h->kp.nmissed : 0);
		s->error = h->error;
		s->users = dg_hook_users;
		for_each_possible_cpu(cpu)
			s->hits += READ_ONCE(per_cpu_ptr(&dg_hook_hits, cpu)->hits[i]);
	}
}

/*
 * Finds where each probe goes (dg_hook_past_ftrace()), with every probe
 * registered disarmed for a moment and unregistered again with one grace
 * period. A symbol that cannot be probed is reported in status (its error)
 * and the log; monitor only counts, so the module loads all the same, and
 * monitor tries again when it needs the probe.
 */
int dg_hooks_init(void)
{
	struct kprobe *kps[DG_NR_HOOKS];
	int i, err, n = 0;

	for (i = 0; i < DG_NR_HOOKS; i++) {
		struct dg_hook *h = &dg_hooks[i];

		err = dg_hook_register_at(h, 0, KPROBE_FLAG_DISABLED);
		if (err) {
			h->error = -err;
			pr_warn("%s: cannot be probed (%d); monitor counts nothing there\n",
				h->symbol, err);
			continue;
		}
		h->offset = dg_hook_past_ftrace(h);
		kps[n++] = &h->kp;
	}
	/* Never armed: no text to restore, no handler that ran. */
	if (n)
		unregister_kprobes(kps, n);
	return 0;
}

/*
 * Unregisters every probe and keeps them from coming back while policy
 * tears down (its mode changes still call dg_hooks_update()). Under
 * dg_config_lock, so that a mode change racing with unload (the netdevice
 * notifier) sees each probe either registered or not. Once closed, no
 * unregistration is queued any more; the last one queued is waited for or
 * cancelled (it would find nothing left to do).
 */
void dg_hooks_exit(void)
{
	mutex_lock(&dg_config_lock);
	dg_hooks_closed = true;
	dg_hooks_detach();
	mutex_unlock(&dg_config_lock);
	cancel_work_sync(&dg_hooks_detach_work);
}
