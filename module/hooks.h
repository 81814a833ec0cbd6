/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probes on the kernel's receive path and their arming. See hooks.c.
 */
#ifndef _DG_HOOKS_H
#define _DG_HOOKS_H

#include <linux/types.h>

enum dg_hook_id {
	DG_HOOK_TCP_V4_EARLY_DEMUX,
	DG_HOOK_TCP_V6_EARLY_DEMUX,
	DG_HOOK_IP_FORWARD,
	DG_HOOK_IP6_FORWARD,
	DG_NR_HOOKS
};

struct dg_hook_status {
	const char *name;
	bool attached;
	bool armed;
	u64 missed;
};

int dg_hooks_init(void);
void dg_hooks_exit(void);
void dg_hooks_update(unsigned int nr_monitor, unsigned int nr_veto);
void dg_hooks_status(struct dg_hook_status status[DG_NR_HOOKS]);

#endif /* _DG_HOOKS_H */
