/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-interface counters: one per-CPU block per interface, one row per
 * address family, written only by the CPU that owns the block (from probe
 * handlers, in softirq) and summed by readers. "Reset" records a baseline
 * instead of writing other CPUs' blocks, so the packet path never shares a
 * cache line or an atomic with another CPU.
 */
#ifndef _DG_COUNTERS_H
#define _DG_COUNTERS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>
#include "demuxguard.h"

enum dg_family {
	DG_FAMILY_IPV4,
	DG_FAMILY_IPV6,
	DG_NR_FAMILIES
};

/* Counter slots, in uapi order (enum demuxguard_stat). */
enum dg_counter {
	DG_DEMUX_CALLS,
	DG_SK_HITS,
	DG_DST_HITS,
	DG_IIF_MISMATCH,
	DG_FWD_SK_DROPS,
	DG_VETOED,
	DG_NR_COUNTERS
};

static inline int dg_counter_attr(enum dg_counter c)
{
	return DEMUXGUARD_STAT_DEMUX_CALLS + c;
}

struct dg_pcpu_counters {
	u64_stats_t val[DG_NR_FAMILIES][DG_NR_COUNTERS];
	struct u64_stats_sync syncp;
};

struct dg_counter_snapshot {
	u64 val[DG_NR_FAMILIES][DG_NR_COUNTERS];
};

/* Packet path: softirq, preemption off. */
static inline void dg_counter_inc(struct dg_pcpu_counters __percpu *pcpu,
				  enum dg_family fam, enum dg_counter c)
{
	struct dg_pcpu_counters *pc = this_cpu_ptr(pcpu);

	u64_stats_update_begin(&pc->syncp);
	u64_stats_inc(&pc->val[fam][c]);
	u64_stats_update_end(&pc->syncp);
}

static inline void dg_counters_sum(struct dg_pcpu_counters __percpu *pcpu,
				   struct dg_counter_snapshot *out)
{
	int cpu, f, c;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct dg_pcpu_counters *pc = per_cpu_ptr(pcpu, cpu);
		u64 v[DG_NR_FAMILIES][DG_NR_COUNTERS];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&pc->syncp);
			for (f = 0; f < DG_NR_FAMILIES; f++)
				for (c = 0; c < DG_NR_COUNTERS; c++)
					v[f][c] = u64_stats_read(&pc->val[f][c]);
		} while (u64_stats_fetch_retry(&pc->syncp, start));

		for (f = 0; f < DG_NR_FAMILIES; f++)
			for (c = 0; c < DG_NR_COUNTERS; c++)
				out->val[f][c] += v[f][c];
	}
}

/* @gfp: GFP_KERNEL_ACCOUNT to charge the caller's memory cgroup. */
static inline struct dg_pcpu_counters __percpu *dg_counters_alloc(gfp_t gfp)
{
	struct dg_pcpu_counters __percpu *pcpu;
	int cpu;

	pcpu = alloc_percpu_gfp(struct dg_pcpu_counters, gfp);
	if (!pcpu)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(pcpu, cpu)->syncp);
	return pcpu;
}

#endif /* _DG_COUNTERS_H */
