/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * args.h - command line grammar: argv in, struct dg_request out, or a
 * usage error with its one-line reason and the help topic to point at.
 * Pure: no I/O, no globals, so every accepted form and every refusal can
 * be unit tested.
 */
#ifndef DG_ARGS_H
#define DG_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "output.h"
#include "usage.h"

enum dg_cmd {
	DG_CMD_NONE,
	DG_CMD_HELP,		/* -h, `help`, `COMMAND help`: see topic */
	DG_CMD_VERSION,
	DG_CMD_STATUS,
	DG_CMD_SHOW,
	DG_CMD_SET,
	DG_CMD_UNSET,
	DG_CMD_RULE_ADD,
	DG_CMD_RULE_DEL,
	DG_CMD_RULE_SHOW,
	DG_CMD_STATS,
	DG_CMD_STATS_RESET,
	DG_CMD_DOCTOR,
};

struct dg_request {
	enum dg_cmd cmd;
	enum dg_topic topic;		/* DG_CMD_HELP: what to print */
	enum dg_format format;
	bool pretty;
	const char *netns;		/* -n NAME (points into argv) or NULL */
	bool has_dev;
	char ifname[IFNAMSIZ];
	bool has_mode;
	uint8_t mode;			/* enum demuxguard_mode */
	bool has_prefix;
	char prefix[IFNAMSIZ];		/* may be empty: matches everything */
};

struct dg_usage_error {
	char msg[256];			/* one line, no trailing period */
	enum dg_topic topic;		/* help to suggest */
};

/*
 * Parse @argv (argv[0] is the program name). Returns 0 and fills @req, or
 * DG_EXIT_USAGE and fills @err.
 */
int dg_parse_args(int argc, char *const argv[], struct dg_request *req,
		  struct dg_usage_error *err);

#endif /* DG_ARGS_H */
