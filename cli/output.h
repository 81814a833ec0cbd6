/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * output.h - printing of command results. Each function takes plain
 * structs (model.h) and writes text, JSON or (stats only) the Prometheus
 * text exposition format to the given stream. No netlink in here, so the
 * unit tests can check every shape without a kernel.
 */
#ifndef DG_OUTPUT_H
#define DG_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"

enum dg_format {
	DG_FMT_TEXT,
	DG_FMT_JSON,
	DG_FMT_PROMETHEUS,
};

struct dg_out {
	FILE *f;
	enum dg_format fmt;
	bool pretty;		/* indent JSON */
	const char *netns;	/* -n NAME, or NULL: extra Prometheus label */
};

void dg_print_status(const struct dg_out *o, const struct dg_status *st);
/* show: policy of each interface */
void dg_print_devs(const struct dg_out *o, const struct dg_dev_list *l);
void dg_print_rules(const struct dg_out *o, const struct dg_rule_list *l);
void dg_print_stats(const struct dg_out *o, const struct dg_dev_list *l);

/*
 * Write @s for a terminal: control bytes and DEL as \xNN, and, when
 * @quoted, the whole string in double quotes with '"' and '\' escaped.
 * Used for names in text output and in error messages.
 */
void dg_print_name(FILE *f, const char *s, bool quoted);

/*
 * Write @text word-wrapped to DG_TEXT_COLUMNS, every line indented by
 * @indent, control bytes as dg_print_name writes them. For prose: help
 * text and doctor's reasons.
 */
#define DG_TEXT_COLUMNS 78
void dg_print_wrapped(FILE *f, const char *indent, const char *text);

/* Write @s as a Prometheus label value (without the quotes). */
void dg_prom_label_value(FILE *f, const char *s);

#endif /* DG_OUTPUT_H */
