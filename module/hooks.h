/* SPDX-License-Identifier: GPL-2.0 */
/*
 * monitor's probes on the kernel's receive path and their arming. See
 * hooks.c.
 */
#ifndef _DG_HOOKS_H
#define _DG_HOOKS_H

#include <linux/types.h>
#include "hookstat.h"

enum dg_hook_id {
	DG_HOOK_IP_LOCAL_DELIVER,
	DG_HOOK_IP6_INPUT,
	DG_HOOK_IP_FORWARD,
	DG_HOOK_IP6_FORWARD,
	DG_NR_HOOKS
};

int dg_hooks_init(void);
void dg_hooks_exit(void);
void dg_hooks_update(unsigned int nr_monitor);
void dg_hooks_status(struct dg_hook_status status[DG_NR_HOOKS]);

#endif /* _DG_HOOKS_H */
