/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The veto: a per-interface receive hook that keeps early demux away from
 * the packets of an interface in veto mode. See veto.c.
 */
#ifndef _DG_VETO_H
#define _DG_VETO_H

#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include "counters.h"
#include "hookstat.h"

/* The veto's hooks as GET_STATUS lists them, after the probes. */
enum dg_veto_hook_id {
	DG_VETO_RX_HANDLER,
	DG_VETO_NF_INGRESS,
	DG_NR_VETO_HOOKS
};

/*
 * One interface's veto, embedded in its policy entry. Written under the
 * RTNL (and dg_config_lock, which policy holds); the handlers only read
 * @counters, which lives as long as the entry.
 */
struct dg_veto {
	struct net_device *dev;		/* the device the hook is on, while attached */
	struct dg_pcpu_counters __percpu *counters;	/* "vetoed" is counted here */
	u8 kind;			/* enum demuxguard_hook_kind; NONE when detached */
	u32 error;			/* positive errno when neither hook attached */
	struct nf_hook_ops ops;		/* the NF_NETDEV_INGRESS fallback */
};

int dg_veto_init(void);
void dg_veto_exit(void);
void dg_veto_attach(struct dg_veto *v, struct net_device *dev);
void dg_veto_detach(struct dg_veto *v);
void dg_veto_status(struct dg_hook_status status[DG_NR_VETO_HOOKS]);

#endif /* _DG_VETO_H */
