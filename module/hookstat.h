/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What GET_STATUS reports about one hook: a probed kernel function
 * (hooks.c) or one kind of per-interface veto hook (veto.c), summed over
 * the interfaces that use it. Filled under dg_config_lock.
 */
#ifndef _DG_HOOKSTAT_H
#define _DG_HOOKSTAT_H

#include <linux/types.h>

struct dg_hook_status {
	const char *name;	/* probed symbol, or "rx_handler" / "nf_ingress" */
	u8 kind;		/* enum demuxguard_hook_kind */
	bool attached;
	bool armed;
	u64 missed;		/* kprobe misses; 0 for the veto's hooks */
	u64 hits;		/* times its handler ran since load */
	u32 error;		/* positive errno of the last failed attach, or 0 */
	u32 users;		/* interfaces that need it now */
};

#endif /* _DG_HOOKSTAT_H */
