/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * model.h - the plain C data model shared by the argument parser, the
 * netlink layer and the output code.
 *
 * Nothing in here knows about netlink or about output formats: the netlink
 * layer fills these structs from kernel replies, the output code prints
 * them, and the unit tests build them by hand. Keeping them plain is what
 * lets parsing and printing be tested without a kernel.
 */
#ifndef DG_MODEL_H
#define DG_MODEL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "demuxguard.h"

/* Exit status contract (see SPEC.md): 0 ok, 1 usage error, 2 runtime error. */
enum {
	DG_EXIT_OK = 0,
	DG_EXIT_USAGE = 1,
	DG_EXIT_RUNTIME = 2,
};

/* Interface names and rule prefixes are capped at IFNAMSIZ - 1 bytes. */
#define DG_NAME_MAX	(IFNAMSIZ - 1)

/* Mode value used when the kernel did not report one. */
#define DG_MODE_UNKNOWN	(-1)

/* Counter slots, in the order SPEC.md lists them (and JSON prints them). */
enum dg_counter {
	DG_C_DEMUX_CALLS,
	DG_C_SK_HITS,
	DG_C_DST_HITS,
	DG_C_IIF_MISMATCH,
	DG_C_FWD_SK_DROPS,
	DG_C_VETOED,
	DG_C_COUNT
};

struct dg_counter_desc {
	const char *name;	/* JSON key and Prometheus metric stem */
	int attr;		/* enum demuxguard_stat */
	const char *mode;	/* mode that collects it */
	const char *help;	/* one sentence, no newline or backslash */
};

extern const struct dg_counter_desc dg_counters[DG_C_COUNT];

/* Address families a counter set is kept for. */
enum dg_family {
	DG_FAM_IPV4,
	DG_FAM_IPV6,
	DG_FAM_COUNT
};

extern const char *const dg_family_names[DG_FAM_COUNT];

struct dg_hook {
	char name[128];
	bool attached;
	bool armed;
	uint64_t missed;
	/* Absent from a module older than the CLI: has_details is false. */
	bool has_details;
	int kind;		/* enum demuxguard_hook_kind */
	uint64_t hits;		/* times its handler ran since load */
	uint32_t users;		/* interfaces that need it now */
	uint32_t error;		/* errno (positive) of a failed attach, or 0 */
};

struct dg_status {
	char version[64];
	struct dg_hook *hooks;
	size_t n_hooks;
	size_t hooks_cap;
	uint64_t probe_missed;
	/* Objects the module holds, over all namespaces (leak checks). */
	bool has_objects;
	uint32_t nr_ifaces;
	uint32_t nr_rules;
	/* Interfaces in veto that no veto hook guards (absent: has_unguarded false). */
	bool has_unguarded;
	uint32_t nr_unguarded;
};

/* One DEV message: policy of an interface and, for GET_STATS, counters. */
struct dg_dev {
	uint32_t ifindex;
	char ifname[IFNAMSIZ];
	int mode;		/* enum demuxguard_mode or DG_MODE_UNKNOWN */
	int source;		/* enum demuxguard_source */
	char rule[IFNAMSIZ];	/* prefix of the rule, if source is RULE */
	bool has_veto_hook;	/* false from a module older than the CLI */
	int veto_hook;		/* enum demuxguard_hook_kind */
	uint32_t hook_error;	/* errno (positive): in veto but NOT guarded */
	uint64_t stats[DG_FAM_COUNT][DG_C_COUNT];
};

struct dg_dev_list {
	struct dg_dev *v;
	size_t n;
	size_t cap;
};

struct dg_rule {
	char prefix[IFNAMSIZ];
	int mode;
};

struct dg_rule_list {
	struct dg_rule *v;
	size_t n;
	size_t cap;
};

/* Names: NULL for a value this CLI does not know (a newer module). */
const char *dg_mode_name(int mode);
const char *dg_source_name(int source);
/* "kprobe", "rx_handler", "nf_ingress", "none"; NULL if unknown. */
const char *dg_hook_kind_name(int kind);
/* Is @d's mode one that needs a hook it does not have? */
bool dg_dev_unguarded(const struct dg_dev *d);
/* Returns the enum demuxguard_mode value, or -1 if @s is not a mode. */
int dg_mode_parse(const char *s);

/* Growable lists; the add functions return NULL when out of memory. */
struct dg_hook *dg_status_add_hook(struct dg_status *st);
void dg_status_free(struct dg_status *st);
struct dg_dev *dg_dev_list_add(struct dg_dev_list *l);
void dg_dev_list_sort(struct dg_dev_list *l);
void dg_dev_list_free(struct dg_dev_list *l);
struct dg_rule *dg_rule_list_add(struct dg_rule_list *l);
void dg_rule_list_free(struct dg_rule_list *l);

#endif /* DG_MODEL_H */
