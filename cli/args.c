// SPDX-License-Identifier: GPL-2.0-only
/*
 * args.c - the command line grammar (see args.h and the SYNOPSIS in
 * usage.c).
 *
 * The parser is deliberately strict: no abbreviations, each keyword at
 * most once, nothing left over, and global options only before COMMAND.
 * Operators script this tool; a typo must fail loudly (exit 1) rather than
 * be read as something else. Keyword/value pairs may come in any order, as
 * in iproute2. "help" is a keyword only right after a command word, so an
 * interface or prefix called "help" still works ("set dev help mode off").
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "args.h"

/* Longest piece of an argument quoted back in an error message. */
#define QUOTE_MAX 40

/* Argument words the keyword loop knows; a bit each. */
enum {
	KW_DEV = 1 << 0,
	KW_MODE = 1 << 1,
	KW_PREFIX = 1 << 2,
	KW_FORMAT = 1 << 3,
};

struct cursor {
	int argc;
	char *const *argv;
	int i;
};

static const char *next_arg(struct cursor *c)
{
	return c->i < c->argc ? c->argv[c->i++] : NULL;
}

static const char *peek_arg(const struct cursor *c)
{
	return c->i < c->argc ? c->argv[c->i] : NULL;
}

/*
 * Quote a user-supplied word for an error message: in double quotes,
 * control bytes as \xNN, cut to QUOTE_MAX bytes. A small ring of buffers
 * lets one message quote two words.
 */
static const char *q(const char *s)
{
	static char ring[2][QUOTE_MAX * 4 + 8];
	static unsigned int slot;
	char *buf = ring[slot++ % 2], *p = buf;
	size_t n = 0;

	*p++ = '"';
	for (; *s && n < QUOTE_MAX; s++, n++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			p += sprintf(p, "\\x%02x", c);
		else if (c == '"' || c == '\\')
			p += sprintf(p, "\\%c", c);
		else
			*p++ = (char)c;
	}
	if (*s)
		p += sprintf(p, "...");
	*p++ = '"';
	*p = '\0';
	return buf;
}

static int __attribute__((format(printf, 3, 4)))
fail(struct dg_usage_error *err, enum dg_topic topic, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->topic = topic;
	return DG_EXIT_USAGE;
}

static bool is_global_option(const char *a)
{
	static const char *const opts[] = {
		"-j", "--json", "-p", "--pretty", "-n", "--netns",
		"-V", "--version", "-h", "--help",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(a, opts[i]) == 0)
			return true;
	return strncmp(a, "--netns=", 8) == 0;
}

/* Copy an interface name or prefix, refusing what the kernel would. */
static int take_name(char dst[IFNAMSIZ], const char *what, const char *v,
		     bool allow_empty, enum dg_topic topic,
		     struct dg_usage_error *err)
{
	size_t len = strlen(v);

	if (len == 0 && !allow_empty)
		return fail(err, topic, "empty %s", what);
	if (len > DG_NAME_MAX)
		return fail(err, topic, "%s %s is too long (%zu bytes, at most %d)",
			    what, q(v), len, DG_NAME_MAX);
	memcpy(dst, v, len + 1);
	return 0;
}

static int take_format(struct dg_request *req, const char *v,
		       struct dg_usage_error *err)
{
	if (strcmp(v, "text") == 0)
		req->format = DG_FMT_TEXT;
	else if (strcmp(v, "json") == 0)
		req->format = DG_FMT_JSON;
	else if (strcmp(v, "prometheus") == 0)
		req->format = DG_FMT_PROMETHEUS;
	else
		return fail(err, DG_TOPIC_STATS,
			    "invalid format %s (expected text, json or prometheus)",
			    q(v));
	return 0;
}

static void expected_list(char *buf, size_t len, unsigned int kws)
{
	static const struct { unsigned int kw; const char *name; } names[] = {
		{ KW_DEV, "\"dev\"" }, { KW_MODE, "\"mode\"" },
		{ KW_PREFIX, "\"prefix\"" }, { KW_FORMAT, "\"--format\"" },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(kws & names[i].kw))
			continue;
		off += snprintf(buf + off, len - off, "%s%s",
				off ? ", " : " (expected ", names[i].name);
		if (off >= len)
			return;
	}
	if (off)
		snprintf(buf + off, len - off, ")");
}

/*
 * The keyword/value loop shared by every command that takes arguments.
 * @allowed keywords may each appear once; @required ones must.
 */
static int parse_keywords(struct cursor *c, const char *cmd,
			  enum dg_topic topic, unsigned int allowed,
			  unsigned int required, struct dg_request *req,
			  struct dg_usage_error *err)
{
	unsigned int seen = 0;
	const char *kw;
	int rc;

	while ((kw = next_arg(c))) {
		const char *val = NULL, *what;
		unsigned int k = 0;

		if (strcmp(kw, "dev") == 0)
			k = KW_DEV;
		else if (strcmp(kw, "mode") == 0)
			k = KW_MODE;
		else if (strcmp(kw, "prefix") == 0)
			k = KW_PREFIX;
		else if (strcmp(kw, "--format") == 0)
			k = KW_FORMAT;
		else if (strncmp(kw, "--format=", 9) == 0)
			k = KW_FORMAT, val = kw + 9;

		if (!(k & allowed)) {
			char exp[80];

			if (is_global_option(kw))
				return fail(err, topic,
					    "option %s must come before the command",
					    q(kw));
			expected_list(exp, sizeof(exp), allowed & ~seen);
			return fail(err, topic, "unexpected argument %s%s",
				    q(kw), exp);
		}
		if (seen & k)
			return fail(err, topic, "duplicate %s", q(kw));
		seen |= k;

		what = k == KW_DEV ? "interface name" :
		       k == KW_MODE ? "mode" :
		       k == KW_PREFIX ? "prefix" : "format";
		if (!val && !(val = next_arg(c)))
			return fail(err, topic, "missing %s after %s", what,
				    q(kw));

		switch (k) {
		case KW_DEV:
			rc = take_name(req->ifname, what, val, false, topic, err);
			if (rc)
				return rc;
			req->has_dev = true;
			break;
		case KW_PREFIX:
			rc = take_name(req->prefix, what, val, true, topic, err);
			if (rc)
				return rc;
			req->has_prefix = true;
			break;
		case KW_MODE:
			rc = dg_mode_parse(val);
			if (rc < 0)
				return fail(err, topic,
					    "invalid mode %s (expected off, monitor or veto)",
					    q(val));
			req->mode = (uint8_t)rc;
			req->has_mode = true;
			break;
		case KW_FORMAT:
			rc = take_format(req, val, err);
			if (rc)
				return rc;
			break;
		}
	}

	if (required & ~seen & KW_DEV)
		return fail(err, topic, "\"%s\" needs \"dev IFNAME\"", cmd);
	if (required & ~seen & KW_PREFIX)
		return fail(err, topic, "\"%s\" needs \"prefix PREFIX\"", cmd);
	if (required & ~seen & KW_MODE)
		return fail(err, topic, "\"%s\" needs \"mode MODE\"", cmd);
	return 0;
}

/* `COMMAND help`: only as the first word after the command. */
static bool wants_help(struct cursor *c, struct dg_request *req,
		       enum dg_topic topic)
{
	const char *a = peek_arg(c);

	if (!a || strcmp(a, "help") != 0)
		return false;
	c->i++;
	req->cmd = DG_CMD_HELP;
	req->topic = topic;
	return true;
}

/* A command taking no arguments: anything left over is an error. */
static int no_more(struct cursor *c, enum dg_topic topic,
		   struct dg_usage_error *err)
{
	return parse_keywords(c, NULL, topic, 0, 0, NULL, err);
}

static int parse_rule(struct cursor *c, struct dg_request *req,
		      struct dg_usage_error *err)
{
	const char *sub = next_arg(c);

	if (!sub)
		return fail(err, DG_TOPIC_RULE,
			    "\"rule\" needs a subcommand: add, del or show");
	if (strcmp(sub, "help") == 0) {
		req->cmd = DG_CMD_HELP;
		req->topic = DG_TOPIC_RULE;
		return no_more(c, DG_TOPIC_RULE, err);
	}
	if (strcmp(sub, "add") == 0) {
		req->cmd = DG_CMD_RULE_ADD;
		if (wants_help(c, req, DG_TOPIC_RULE))
			return no_more(c, DG_TOPIC_RULE, err);
		return parse_keywords(c, "rule add", DG_TOPIC_RULE,
				      KW_PREFIX | KW_MODE, KW_PREFIX | KW_MODE,
				      req, err);
	}
	if (strcmp(sub, "del") == 0) {
		req->cmd = DG_CMD_RULE_DEL;
		if (wants_help(c, req, DG_TOPIC_RULE))
			return no_more(c, DG_TOPIC_RULE, err);
		return parse_keywords(c, "rule del", DG_TOPIC_RULE, KW_PREFIX,
				      KW_PREFIX, req, err);
	}
	if (strcmp(sub, "show") == 0) {
		req->cmd = DG_CMD_RULE_SHOW;
		wants_help(c, req, DG_TOPIC_RULE);
		return no_more(c, DG_TOPIC_RULE, err);
	}
	return fail(err, DG_TOPIC_RULE,
		    "unknown rule subcommand %s (expected add, del or show)",
		    q(sub));
}

static int parse_stats(struct cursor *c, struct dg_request *req,
		       bool json_opt, struct dg_usage_error *err)
{
	const char *a = peek_arg(c);
	int rc;

	if (a && strcmp(a, "reset") == 0) {
		c->i++;
		req->cmd = DG_CMD_STATS_RESET;
		if (wants_help(c, req, DG_TOPIC_STATS))
			return no_more(c, DG_TOPIC_STATS, err);
		return parse_keywords(c, "stats reset", DG_TOPIC_STATS, KW_DEV,
				      0, req, err);
	}

	req->cmd = DG_CMD_STATS;
	if (wants_help(c, req, DG_TOPIC_STATS))
		return no_more(c, DG_TOPIC_STATS, err);
	req->format = json_opt ? DG_FMT_JSON : DG_FMT_TEXT;
	rc = parse_keywords(c, "stats", DG_TOPIC_STATS, KW_DEV | KW_FORMAT, 0,
			    req, err);
	if (rc)
		return rc;
	/* -j is --format json; contradicting it is a mistake, not a choice. */
	if (json_opt && req->format != DG_FMT_JSON)
		return fail(err, DG_TOPIC_STATS,
			    "-j conflicts with \"--format %s\"",
			    req->format == DG_FMT_TEXT ? "text" : "prometheus");
	return 0;
}

static int parse_help_cmd(struct cursor *c, struct dg_request *req,
			  struct dg_usage_error *err)
{
	static const struct { const char *name; enum dg_topic topic; } t[] = {
		{ "status", DG_TOPIC_STATUS }, { "show", DG_TOPIC_SHOW },
		{ "set", DG_TOPIC_SET }, { "unset", DG_TOPIC_UNSET },
		{ "rule", DG_TOPIC_RULE }, { "stats", DG_TOPIC_STATS },
		{ "doctor", DG_TOPIC_DOCTOR },
	};
	const char *what = next_arg(c);

	req->cmd = DG_CMD_HELP;
	req->topic = DG_TOPIC_MAIN;
	if (!what)
		return 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(what, t[i].name) == 0) {
			req->topic = t[i].topic;
			return no_more(c, t[i].topic, err);
		}
	}
	return fail(err, DG_TOPIC_MAIN, "unknown command %s", q(what));
}

static bool valid_netns_name(const char *s)
{
	/* A name under /run/netns: one path component, like ip netns. */
	return *s && strlen(s) <= NAME_MAX && !strchr(s, '/') &&
	       strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int dg_parse_args(int argc, char *const argv[], struct dg_request *req,
		  struct dg_usage_error *err)
{
	struct cursor c = { .argc = argc, .argv = argv, .i = 1 };
	bool json_opt = false, help = false, version = false;
	const char *a, *cmd;
	int rc;

	*req = (struct dg_request){ .cmd = DG_CMD_NONE };
	*err = (struct dg_usage_error){ .topic = DG_TOPIC_MAIN };

	/* Global options, up to the first word that is not one. */
	while ((a = peek_arg(&c)) && a[0] == '-') {
		c.i++;
		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
			json_opt = true;
		} else if (strcmp(a, "-p") == 0 || strcmp(a, "--pretty") == 0) {
			req->pretty = true;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			version = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			help = true;
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "--netns") == 0 ||
			   strncmp(a, "--netns=", 8) == 0) {
			const char *name = a[1] == '-' && a[7] == '=' ? a + 8 :
					   next_arg(&c);

			if (!name)
				return fail(err, DG_TOPIC_MAIN,
					    "missing namespace name after %s",
					    q(a));
			if (req->netns)
				return fail(err, DG_TOPIC_MAIN,
					    "network namespace given twice");
			if (!valid_netns_name(name))
				return fail(err, DG_TOPIC_MAIN,
					    "invalid network namespace name %s",
					    q(name));
			req->netns = name;
		} else {
			return fail(err, DG_TOPIC_MAIN, "unknown option %s",
				    q(a));
		}
	}
	req->format = json_opt ? DG_FMT_JSON : DG_FMT_TEXT;

	if (help || version) {
		if ((a = peek_arg(&c)))
			return fail(err, DG_TOPIC_MAIN,
				    "unexpected argument %s after %s", q(a),
				    help ? "--help" : "--version");
		req->cmd = help ? DG_CMD_HELP : DG_CMD_VERSION;
		req->topic = DG_TOPIC_MAIN;
		return 0;
	}

	cmd = next_arg(&c);
	if (!cmd)
		return fail(err, DG_TOPIC_MAIN, "no command given");

	if (strcmp(cmd, "status") == 0) {
		req->cmd = DG_CMD_STATUS;
		wants_help(&c, req, DG_TOPIC_STATUS);
		rc = no_more(&c, DG_TOPIC_STATUS, err);
	} else if (strcmp(cmd, "show") == 0) {
		req->cmd = DG_CMD_SHOW;
		if (wants_help(&c, req, DG_TOPIC_SHOW))
			rc = no_more(&c, DG_TOPIC_SHOW, err);
		else
			rc = parse_keywords(&c, "show", DG_TOPIC_SHOW, KW_DEV,
					    0, req, err);
	} else if (strcmp(cmd, "set") == 0) {
		req->cmd = DG_CMD_SET;
		if (wants_help(&c, req, DG_TOPIC_SET))
			rc = no_more(&c, DG_TOPIC_SET, err);
		else
			rc = parse_keywords(&c, "set", DG_TOPIC_SET,
					    KW_DEV | KW_MODE, KW_DEV | KW_MODE,
					    req, err);
	} else if (strcmp(cmd, "unset") == 0) {
		req->cmd = DG_CMD_UNSET;
		if (wants_help(&c, req, DG_TOPIC_UNSET))
			rc = no_more(&c, DG_TOPIC_UNSET, err);
		else
			rc = parse_keywords(&c, "unset", DG_TOPIC_UNSET, KW_DEV,
					    KW_DEV, req, err);
	} else if (strcmp(cmd, "rule") == 0) {
		rc = parse_rule(&c, req, err);
	} else if (strcmp(cmd, "stats") == 0) {
		rc = parse_stats(&c, req, json_opt, err);
	} else if (strcmp(cmd, "doctor") == 0) {
		req->cmd = DG_CMD_DOCTOR;
		wants_help(&c, req, DG_TOPIC_DOCTOR);
		rc = no_more(&c, DG_TOPIC_DOCTOR, err);
	} else if (strcmp(cmd, "help") == 0) {
		rc = parse_help_cmd(&c, req, err);
	} else {
		rc = fail(err, DG_TOPIC_MAIN, "unknown command %s", q(cmd));
	}
	return rc;
}
