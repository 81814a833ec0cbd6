// SPDX-License-Identifier: GPL-2.0-only
/*
 * model.c - names, counter descriptions and list helpers of the data model
 * (see model.h). The counter table is the single place that ties a counter
 * name to its uapi attribute, the mode that collects it and its meaning; the
 * JSON, text and Prometheus output and the --help text all read it.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "model.h"

const struct dg_counter_desc dg_counters[DG_C_COUNT] = {
	[DG_C_DEMUX_CALLS] = {
		"demux_calls", DEMUXGUARD_STAT_DEMUX_CALLS, "monitor",
		"TCP packets received on the interface that early demux looked at (counted where routing sent them: ip_local_deliver, ip6_input, ip_forward, ip6_forward).",
	},
	[DG_C_SK_HITS] = {
		"sk_hits", DEMUXGUARD_STAT_SK_HITS, "monitor",
		"Of those, packets carrying the local socket early demux attached.",
	},
	[DG_C_DST_HITS] = {
		"dst_hits", DEMUXGUARD_STAT_DST_HITS, "monitor",
		"Of those, packets whose route is the socket's cached input route (early demux set it).",
	},
	[DG_C_IIF_MISMATCH] = {
		"iif_mismatch", DEMUXGUARD_STAT_IIF_MISMATCH, "monitor",
		"Packets with an attached socket whose cached input route was learned on another interface.",
	},
	[DG_C_FWD_SK_DROPS] = {
		"fwd_sk_drops", DEMUXGUARD_STAT_FWD_SK_DROPS, "monitor",
		"Packets that reached IP forwarding (ip_forward, ip6_forward) carrying a socket; the kernel drops them.",
	},
	[DG_C_VETOED] = {
		"vetoed", DEMUXGUARD_STAT_VETOED, "veto",
		"IPv4/IPv6 packets the veto's hook marked at the interface's receive hook so early demux skipped them; routing then forwards or delivers them as usual.",
	},
};

const char *const dg_family_names[DG_FAM_COUNT] = {
	[DG_FAM_IPV4] = "ipv4",
	[DG_FAM_IPV6] = "ipv6",
};

static const char *const mode_names[] = {
	[DEMUXGUARD_MODE_OFF] = "off",
	[DEMUXGUARD_MODE_MONITOR] = "monitor",
	[DEMUXGUARD_MODE_VETO] = "veto",
};

static const char *const source_names[] = {
	[DEMUXGUARD_SOURCE_NONE] = "none",
	[DEMUXGUARD_SOURCE_EXPLICIT] = "explicit",
	[DEMUXGUARD_SOURCE_RULE] = "rule",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const hook_kind_names[] = {
	[DEMUXGUARD_HOOK_KIND_NONE] = "none",
	[DEMUXGUARD_HOOK_KIND_KPROBE] = "kprobe",
	[DEMUXGUARD_HOOK_KIND_RX_HANDLER] = "rx_handler",
	[DEMUXGUARD_HOOK_KIND_NF_INGRESS] = "nf_ingress",
};

const char *dg_hook_kind_name(int kind)
{
	if (kind < 0 || (size_t)kind >= ARRAY_SIZE(hook_kind_names))
		return "unknown";
	return hook_kind_names[kind];
}

bool dg_dev_unguarded(const struct dg_dev *d)
{
	return d->mode == DEMUXGUARD_MODE_VETO && d->hook_error != 0;
}

const char *dg_mode_name(int mode)
{
	if (mode < 0 || (size_t)mode >= ARRAY_SIZE(mode_names))
		return NULL;
	return mode_names[mode];
}

const char *dg_source_name(int source)
{
	if (source < 0 || (size_t)source >= ARRAY_SIZE(source_names))
		return NULL;
	return source_names[source];
}

int dg_mode_parse(const char *s)
{
	/* Exact match only: abbreviations would make scripts ambiguous. */
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (strcmp(s, mode_names[i]) == 0)
			return (int)i;
	return -1;
}

struct dg_hook *dg_status_add_hook(struct dg_status *st)
{
	return dg_grow((void **)&st->hooks, &st->n_hooks, &st->hooks_cap,
		    sizeof(*st->hooks));
}

void dg_status_free(struct dg_status *st)
{
	free(st->hooks);
	st->hooks = NULL;
	st->n_hooks = st->hooks_cap = 0;
}

struct dg_dev *dg_dev_list_add(struct dg_dev_list *l)
{
	struct dg_dev *d = dg_grow((void **)&l->v, &l->n, &l->cap, sizeof(*l->v));

	if (d)
		d->mode = DG_MODE_UNKNOWN;
	return d;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct dg_dev *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return strcmp(x->ifname, y->ifname);
}

/* Dumps come in the kernel's hash order; print in ifindex order like ip. */
void dg_dev_list_sort(struct dg_dev_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_dev);
}

void dg_dev_list_free(struct dg_dev_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

struct dg_rule *dg_rule_list_add(struct dg_rule_list *l)
{
	struct dg_rule *r = dg_grow((void **)&l->v, &l->n, &l->cap, sizeof(*l->v));

	if (r)
		r->mode = DG_MODE_UNKNOWN;
	return r;
}

void dg_rule_list_free(struct dg_rule_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
