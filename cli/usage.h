/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * usage.h - the help text: full --help (also the source of the man page,
 * see gen-manpage.sh) and the per-command help of `COMMAND help`.
 */
#ifndef DG_USAGE_H
#define DG_USAGE_H

#include <stdio.h>

enum dg_topic {
	DG_TOPIC_MAIN,
	DG_TOPIC_STATUS,
	DG_TOPIC_SHOW,
	DG_TOPIC_SET,
	DG_TOPIC_UNSET,
	DG_TOPIC_RULE,
	DG_TOPIC_STATS,
	DG_TOPIC_DOCTOR,
};

/* Print the help of @topic (DG_TOPIC_MAIN: everything) to @f. */
void dg_usage(FILE *f, enum dg_topic topic);

/* The command that prints @topic's help, for "Try ..." hints. */
const char *dg_usage_hint(enum dg_topic topic);

#endif /* DG_USAGE_H */
