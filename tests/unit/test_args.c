// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_args.c - the command line grammar: every accepted form parses to the
 * right request, every malformed one is a usage error with the right
 * one-line reason and help topic.
 */
#include <string.h>

#include "args.h"
#include "harness.h"

#define ARGV(...) ((char *[]){ "demuxguard", __VA_ARGS__, NULL })
#define ARGV0 ((char *[]){ "demuxguard", NULL })

#define N15 "abcdefghijklmno"	/* IFNAMSIZ - 1 bytes: the longest name */
#define N16 "abcdefghijklmnop"

static int argc_of(char *const *v)
{
	int n = 0;

	while (v[n])
		n++;
	return n;
}

/* "demuxguard set dev eth0" as a test name, "" shown for empty words. */
static void join(char *buf, size_t len, char *const *v)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 1; v[i] && off < len; i++) {
		const char *w = *v[i] ? v[i] : "\"\"";

		if (strchr(w, '\x1b'))
			w = "<ESC>";
		off += snprintf(buf + off, len - off, "%s%.30s", i > 1 ? " " : "", w);
	}
}

struct ok_case {
	char **argv;
	enum dg_cmd cmd;
	enum dg_format fmt;
	bool pretty;
	const char *netns;
	const char *dev;	/* NULL: no dev */
	int mode;		/* -1: no mode */
	const char *prefix;	/* NULL: no prefix */
	enum dg_topic topic;	/* for DG_CMD_HELP */
};

#define TXT DG_FMT_TEXT
#define JSN DG_FMT_JSON
#define PRM DG_FMT_PROMETHEUS
#define OFF DEMUXGUARD_MODE_OFF
#define MON DEMUXGUARD_MODE_MONITOR
#define VETO DEMUXGUARD_MODE_VETO

static const struct ok_case ok_cases[] = {
	{ ARGV("status"), DG_CMD_STATUS, TXT, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("-j", "status"), DG_CMD_STATUS, JSN, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("--json", "--pretty", "status"), DG_CMD_STATUS, JSN, true, NULL, NULL, -1, NULL, 0 },
	{ ARGV("-p", "-j", "status"), DG_CMD_STATUS, JSN, true, NULL, NULL, -1, NULL, 0 },
	{ ARGV("-p", "status"), DG_CMD_STATUS, TXT, true, NULL, NULL, -1, NULL, 0 },
	{ ARGV("-n", "blue", "status"), DG_CMD_STATUS, TXT, false, "blue", NULL, -1, NULL, 0 },
	{ ARGV("--netns", "blue", "-j", "status"), DG_CMD_STATUS, JSN, false, "blue", NULL, -1, NULL, 0 },
	{ ARGV("--netns=blue", "status"), DG_CMD_STATUS, TXT, false, "blue", NULL, -1, NULL, 0 },
	{ ARGV("-j", "--", "status"), DG_CMD_STATUS, JSN, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("show"), DG_CMD_SHOW, TXT, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("show", "dev", "eth0"), DG_CMD_SHOW, TXT, false, NULL, "eth0", -1, NULL, 0 },
	{ ARGV("-j", "show", "dev", "eth0"), DG_CMD_SHOW, JSN, false, NULL, "eth0", -1, NULL, 0 },
	{ ARGV("show", "dev", "help"), DG_CMD_SHOW, TXT, false, NULL, "help", -1, NULL, 0 },
	{ ARGV("show", "dev", N15), DG_CMD_SHOW, TXT, false, NULL, N15, -1, NULL, 0 },
	{ ARGV("show", "dev", "a\"b\\c"), DG_CMD_SHOW, TXT, false, NULL, "a\"b\\c", -1, NULL, 0 },
	{ ARGV("set", "dev", "eth0", "mode", "off"), DG_CMD_SET, TXT, false, NULL, "eth0", OFF, NULL, 0 },
	{ ARGV("set", "dev", "eth0", "mode", "monitor"), DG_CMD_SET, TXT, false, NULL, "eth0", MON, NULL, 0 },
	{ ARGV("set", "dev", "eth0", "mode", "veto"), DG_CMD_SET, TXT, false, NULL, "eth0", VETO, NULL, 0 },
	{ ARGV("set", "mode", "veto", "dev", "eth0"), DG_CMD_SET, TXT, false, NULL, "eth0", VETO, NULL, 0 },
	{ ARGV("set", "dev", N15, "mode", "veto"), DG_CMD_SET, TXT, false, NULL, N15, VETO, NULL, 0 },
	{ ARGV("set", "dev", "mode", "mode", "off"), DG_CMD_SET, TXT, false, NULL, "mode", OFF, NULL, 0 },
	{ ARGV("unset", "dev", "eth0"), DG_CMD_UNSET, TXT, false, NULL, "eth0", -1, NULL, 0 },
	{ ARGV("rule", "add", "prefix", "vlan", "mode", "veto"), DG_CMD_RULE_ADD, TXT, false, NULL, NULL, VETO, "vlan", 0 },
	{ ARGV("rule", "add", "mode", "off", "prefix", "vlan"), DG_CMD_RULE_ADD, TXT, false, NULL, NULL, OFF, "vlan", 0 },
	{ ARGV("rule", "add", "prefix", "", "mode", "veto"), DG_CMD_RULE_ADD, TXT, false, NULL, NULL, VETO, "", 0 },
	{ ARGV("rule", "add", "prefix", N15, "mode", "monitor"), DG_CMD_RULE_ADD, TXT, false, NULL, NULL, MON, N15, 0 },
	{ ARGV("rule", "add", "prefix", "help", "mode", "off"), DG_CMD_RULE_ADD, TXT, false, NULL, NULL, OFF, "help", 0 },
	{ ARGV("rule", "del", "prefix", "vlan"), DG_CMD_RULE_DEL, TXT, false, NULL, NULL, -1, "vlan", 0 },
	{ ARGV("rule", "del", "prefix", ""), DG_CMD_RULE_DEL, TXT, false, NULL, NULL, -1, "", 0 },
	{ ARGV("rule", "show"), DG_CMD_RULE_SHOW, TXT, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("-j", "-p", "rule", "show"), DG_CMD_RULE_SHOW, JSN, true, NULL, NULL, -1, NULL, 0 },
	{ ARGV("stats"), DG_CMD_STATS, TXT, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("stats", "dev", "eth0"), DG_CMD_STATS, TXT, false, NULL, "eth0", -1, NULL, 0 },
	{ ARGV("-j", "stats"), DG_CMD_STATS, JSN, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("-j", "stats", "--format", "json"), DG_CMD_STATS, JSN, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("stats", "--format", "json"), DG_CMD_STATS, JSN, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("stats", "--format", "text"), DG_CMD_STATS, TXT, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("stats", "--format", "prometheus"), DG_CMD_STATS, PRM, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("stats", "--format=prometheus"), DG_CMD_STATS, PRM, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("stats", "dev", "eth0", "--format", "prometheus"), DG_CMD_STATS, PRM, false, NULL, "eth0", -1, NULL, 0 },
	{ ARGV("stats", "--format", "prometheus", "dev", "eth0"), DG_CMD_STATS, PRM, false, NULL, "eth0", -1, NULL, 0 },
	{ ARGV("-n", "blue", "stats", "--format", "prometheus"), DG_CMD_STATS, PRM, false, "blue", NULL, -1, NULL, 0 },
	{ ARGV("stats", "dev", "reset"), DG_CMD_STATS, TXT, false, NULL, "reset", -1, NULL, 0 },
	{ ARGV("stats", "reset"), DG_CMD_STATS_RESET, TXT, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("stats", "reset", "dev", "eth0"), DG_CMD_STATS_RESET, TXT, false, NULL, "eth0", -1, NULL, 0 },
	{ ARGV("-h"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_MAIN },
	{ ARGV("--help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_MAIN },
	{ ARGV("help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_MAIN },
	{ ARGV("help", "rule"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_RULE },
	{ ARGV("help", "stats"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_STATS },
	{ ARGV("status", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_STATUS },
	{ ARGV("show", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_SHOW },
	{ ARGV("set", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_SET },
	{ ARGV("unset", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_UNSET },
	{ ARGV("rule", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_RULE },
	{ ARGV("rule", "add", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_RULE },
	{ ARGV("rule", "del", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_RULE },
	{ ARGV("rule", "show", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_RULE },
	{ ARGV("stats", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_STATS },
	{ ARGV("stats", "reset", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_STATS },
	{ ARGV("doctor"), DG_CMD_DOCTOR, TXT, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("-j", "doctor"), DG_CMD_DOCTOR, JSN, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("-j", "-p", "-n", "blue", "doctor"), DG_CMD_DOCTOR, JSN, true, "blue", NULL, -1, NULL, 0 },
	{ ARGV("doctor", "help"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_DOCTOR },
	{ ARGV("help", "doctor"), DG_CMD_HELP, TXT, false, NULL, NULL, -1, NULL, DG_TOPIC_DOCTOR },
	{ ARGV("-V"), DG_CMD_VERSION, TXT, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("--version"), DG_CMD_VERSION, TXT, false, NULL, NULL, -1, NULL, 0 },
	{ ARGV("-n", "blue", "-V"), DG_CMD_VERSION, TXT, false, "blue", NULL, -1, NULL, 0 },
};

struct err_case {
	char **argv;
	const char *msg;
	enum dg_topic topic;
};

static const struct err_case err_cases[] = {
	{ ARGV0, "no command given", DG_TOPIC_MAIN },
	{ ARGV("foo"), "unknown command \"foo\"", DG_TOPIC_MAIN },
	{ ARGV("stat"), "unknown command \"stat\"", DG_TOPIC_MAIN },
	{ ARGV(""), "unknown command \"\"", DG_TOPIC_MAIN },
	{ ARGV("-x"), "unknown option \"-x\"", DG_TOPIC_MAIN },
	{ ARGV("--jso", "status"), "unknown option \"--jso\"", DG_TOPIC_MAIN },
	{ ARGV("-jp", "status"), "unknown option \"-jp\"", DG_TOPIC_MAIN },
	{ ARGV("-", "status"), "unknown option \"-\"", DG_TOPIC_MAIN },
	{ ARGV("-n"), "missing namespace name after \"-n\"", DG_TOPIC_MAIN },
	{ ARGV("--netns"), "missing namespace name after \"--netns\"", DG_TOPIC_MAIN },
	{ ARGV("-n", "a/b", "status"), "invalid network namespace name \"a/b\"", DG_TOPIC_MAIN },
	{ ARGV("-n", "..", "status"), "invalid network namespace name \"..\"", DG_TOPIC_MAIN },
	{ ARGV("-n", "", "status"), "invalid network namespace name \"\"", DG_TOPIC_MAIN },
	{ ARGV("--netns=", "status"), "invalid network namespace name \"\"", DG_TOPIC_MAIN },
	{ ARGV("-n", "a", "-n", "b", "status"), "network namespace given twice", DG_TOPIC_MAIN },
	{ ARGV("-h", "status"), "unexpected argument \"status\" after --help", DG_TOPIC_MAIN },
	{ ARGV("-V", "status"), "unexpected argument \"status\" after --version", DG_TOPIC_MAIN },
	{ ARGV("status", "x"), "unexpected argument \"x\"", DG_TOPIC_STATUS },
	{ ARGV("status", "help", "x"), "unexpected argument \"x\"", DG_TOPIC_STATUS },
	{ ARGV("status", "-j"), "option \"-j\" must come before the command", DG_TOPIC_STATUS },
	{ ARGV("show", "eth0"), "unexpected argument \"eth0\" (expected \"dev\")", DG_TOPIC_SHOW },
	{ ARGV("show", "dev"), "missing interface name after \"dev\"", DG_TOPIC_SHOW },
	{ ARGV("show", "dev", ""), "empty interface name", DG_TOPIC_SHOW },
	{ ARGV("show", "dev", N16), "interface name \"" N16 "\" is too long (16 bytes, at most 15)", DG_TOPIC_SHOW },
	{ ARGV("show", "dev", "eth0", "dev", "eth1"), "duplicate \"dev\"", DG_TOPIC_SHOW },
	{ ARGV("show", "dev", "eth0", "extra"), "unexpected argument \"extra\"", DG_TOPIC_SHOW },
	{ ARGV("show", "-j"), "option \"-j\" must come before the command", DG_TOPIC_SHOW },
	{ ARGV("show", "\x1b[2J"), "unexpected argument \"\\x1b[2J\" (expected \"dev\")", DG_TOPIC_SHOW },
	{ ARGV("set"), "\"set\" needs \"dev IFNAME\"", DG_TOPIC_SET },
	{ ARGV("set", "dev", "eth0"), "\"set\" needs \"mode MODE\"", DG_TOPIC_SET },
	{ ARGV("set", "mode", "veto"), "\"set\" needs \"dev IFNAME\"", DG_TOPIC_SET },
	{ ARGV("set", "dev", "eth0", "mode"), "missing mode after \"mode\"", DG_TOPIC_SET },
	{ ARGV("set", "dev", "eth0", "mode", "VETO"), "invalid mode \"VETO\" (expected off, monitor or veto)", DG_TOPIC_SET },
	{ ARGV("set", "dev", "eth0", "mode", "vet"), "invalid mode \"vet\" (expected off, monitor or veto)", DG_TOPIC_SET },
	{ ARGV("set", "dev", "eth0", "mode", ""), "invalid mode \"\" (expected off, monitor or veto)", DG_TOPIC_SET },
	{ ARGV("set", "dev", "eth0", "mode", "veto", "extra"), "unexpected argument \"extra\"", DG_TOPIC_SET },
	{ ARGV("set", "dev", "eth0", "mode", "veto", "mode", "off"), "duplicate \"mode\"", DG_TOPIC_SET },
	{ ARGV("set", "dev", N16, "mode", "veto"), "interface name \"" N16 "\" is too long (16 bytes, at most 15)", DG_TOPIC_SET },
	{ ARGV("set", "eth0", "veto"), "unexpected argument \"eth0\" (expected \"dev\", \"mode\")", DG_TOPIC_SET },
	{ ARGV("unset"), "\"unset\" needs \"dev IFNAME\"", DG_TOPIC_UNSET },
	{ ARGV("unset", "dev", "eth0", "mode", "veto"), "unexpected argument \"mode\"", DG_TOPIC_UNSET },
	{ ARGV("unset", "dev", ""), "empty interface name", DG_TOPIC_UNSET },
	{ ARGV("rule"), "\"rule\" needs a subcommand: add, del or show", DG_TOPIC_RULE },
	{ ARGV("rule", "list"), "unknown rule subcommand \"list\" (expected add, del or show)", DG_TOPIC_RULE },
	{ ARGV("rule", "add"), "\"rule add\" needs \"prefix PREFIX\"", DG_TOPIC_RULE },
	{ ARGV("rule", "add", "prefix", "vlan"), "\"rule add\" needs \"mode MODE\"", DG_TOPIC_RULE },
	{ ARGV("rule", "add", "mode", "veto"), "\"rule add\" needs \"prefix PREFIX\"", DG_TOPIC_RULE },
	{ ARGV("rule", "add", "prefix"), "missing prefix after \"prefix\"", DG_TOPIC_RULE },
	{ ARGV("rule", "add", "prefix", N16, "mode", "veto"), "prefix \"" N16 "\" is too long (16 bytes, at most 15)", DG_TOPIC_RULE },
	{ ARGV("rule", "add", "prefix", "vlan", "mode", "block"), "invalid mode \"block\" (expected off, monitor or veto)", DG_TOPIC_RULE },
	{ ARGV("rule", "add", "prefix", "vlan", "mode", "veto", "dev", "eth0"), "unexpected argument \"dev\"", DG_TOPIC_RULE },
	{ ARGV("rule", "del"), "\"rule del\" needs \"prefix PREFIX\"", DG_TOPIC_RULE },
	{ ARGV("rule", "del", "prefix", N16), "prefix \"" N16 "\" is too long (16 bytes, at most 15)", DG_TOPIC_RULE },
	{ ARGV("rule", "del", "prefix", "vlan", "mode", "veto"), "unexpected argument \"mode\"", DG_TOPIC_RULE },
	{ ARGV("rule", "show", "x"), "unexpected argument \"x\"", DG_TOPIC_RULE },
	{ ARGV("rule", "help", "x"), "unexpected argument \"x\"", DG_TOPIC_RULE },
	{ ARGV("stats", "--format"), "missing format after \"--format\"", DG_TOPIC_STATS },
	{ ARGV("stats", "--format", "xml"), "invalid format \"xml\" (expected text, json or prometheus)", DG_TOPIC_STATS },
	{ ARGV("stats", "--format="), "invalid format \"\" (expected text, json or prometheus)", DG_TOPIC_STATS },
	{ ARGV("stats", "--format", "json", "--format", "json"), "duplicate \"--format\"", DG_TOPIC_STATS },
	{ ARGV("-j", "stats", "--format", "prometheus"), "-j conflicts with \"--format prometheus\"", DG_TOPIC_STATS },
	{ ARGV("-j", "stats", "--format", "text"), "-j conflicts with \"--format text\"", DG_TOPIC_STATS },
	{ ARGV("stats", "eth0"), "unexpected argument \"eth0\" (expected \"dev\", \"--format\")", DG_TOPIC_STATS },
	{ ARGV("stats", "dev", N16), "interface name \"" N16 "\" is too long (16 bytes, at most 15)", DG_TOPIC_STATS },
	{ ARGV("stats", "reset", "--format", "json"), "unexpected argument \"--format\" (expected \"dev\")", DG_TOPIC_STATS },
	{ ARGV("stats", "reset", "dev"), "missing interface name after \"dev\"", DG_TOPIC_STATS },
	{ ARGV("stats", "reset", "all"), "unexpected argument \"all\" (expected \"dev\")", DG_TOPIC_STATS },
	{ ARGV("doctor", "x"), "unexpected argument \"x\"", DG_TOPIC_DOCTOR },
	{ ARGV("doctor", "dev", "eth0"), "unexpected argument \"dev\"", DG_TOPIC_DOCTOR },
	{ ARGV("doctor", "-j"), "option \"-j\" must come before the command", DG_TOPIC_DOCTOR },
	{ ARGV("doctor", "help", "x"), "unexpected argument \"x\"", DG_TOPIC_DOCTOR },
	{ ARGV("doctors"), "unknown command \"doctors\"", DG_TOPIC_MAIN },
	{ ARGV("help", "foo"), "unknown command \"foo\"", DG_TOPIC_MAIN },
	{ ARGV("help", "rule", "x"), "unexpected argument \"x\"", DG_TOPIC_RULE },
	{ ARGV("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	  "unknown command \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"", DG_TOPIC_MAIN },
};

static void check_ok(const struct ok_case *c)
{
	struct dg_request req;
	struct dg_usage_error err;
	char name[160];
	struct t t;
	int rc;

	join(name, sizeof(name), c->argv);
	t_begin(&t, "args: accept '%s'", name);
	rc = dg_parse_args(argc_of(c->argv), c->argv, &req, &err);
	if (rc != 0) {
		t_fail(&t, "refused (%d): %s", rc, err.msg);
		t_end(&t);
		return;
	}
	T_CHECK(&t, req.cmd == c->cmd, "cmd %d, want %d", req.cmd, c->cmd);
	if (c->cmd == DG_CMD_HELP)
		T_CHECK(&t, req.topic == c->topic, "topic %d, want %d",
			req.topic, c->topic);
	T_CHECK(&t, req.format == c->fmt, "format %d, want %d", req.format, c->fmt);
	T_CHECK(&t, req.pretty == c->pretty, "pretty %d", req.pretty);
	T_CHECK(&t, (!req.netns && !c->netns) ||
		(req.netns && c->netns && !strcmp(req.netns, c->netns)),
		"netns %s", req.netns ? req.netns : "(none)");
	T_CHECK(&t, req.has_dev == (c->dev != NULL), "has_dev %d", req.has_dev);
	if (c->dev && req.has_dev)
		t_check_str(&t, "ifname", req.ifname, c->dev);
	T_CHECK(&t, req.has_mode == (c->mode >= 0), "has_mode %d", req.has_mode);
	if (c->mode >= 0 && req.has_mode)
		T_CHECK(&t, req.mode == c->mode, "mode %d, want %d", req.mode, c->mode);
	T_CHECK(&t, req.has_prefix == (c->prefix != NULL), "has_prefix %d",
		req.has_prefix);
	if (c->prefix && req.has_prefix)
		t_check_str(&t, "prefix", req.prefix, c->prefix);
	t_end(&t);
}

static void check_err(const struct err_case *c)
{
	struct dg_request req;
	struct dg_usage_error err;
	char name[160];
	struct t t;
	int rc;

	join(name, sizeof(name), c->argv);
	t_begin(&t, "args: refuse '%s'", name);
	rc = dg_parse_args(argc_of(c->argv), c->argv, &req, &err);
	T_CHECK(&t, rc == DG_EXIT_USAGE, "returned %d, want %d", rc, DG_EXIT_USAGE);
	if (rc == DG_EXIT_USAGE) {
		t_check_str(&t, "message", err.msg, c->msg);
		T_CHECK(&t, err.topic == c->topic, "topic %d, want %d",
			err.topic, c->topic);
	}
	t_end(&t);
}

void test_args(void)
{
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++)
		check_ok(&ok_cases[i]);
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
		check_err(&err_cases[i]);
}
