// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli.c - the real binary: usage errors (exit 1, exact stderr, nothing
 * on stdout), help (exit 0 on stdout), --version, the runtime errors that
 * need no kernel module (module not loaded, no such namespace, failed
 * output), doctor on this host's own routing (it needs no module), the man
 * page being current with --help, and the bash completion. Set
 * DG_CLI_WRAPPER to run the binary under e.g. valgrind.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkers.h"
#include "harness.h"

#ifndef DG_CLI
#error "DG_CLI (path of the demuxguard binary) must be defined"
#endif

#define N16 "abcdefghijklmnop"

static bool module_loaded(void)
{
	return access("/sys/module/demuxguard", F_OK) == 0;
}

static bool have(const char *prog)
{
	char *argv[] = { "sh", "-c", NULL, NULL };
	char cmd[128];
	struct run r;
	bool ok;

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null", prog);
	argv[2] = cmd;
	ok = run_prog(argv, NULL, false, &r) == 0 && r.status == 0;
	run_free(&r);
	return ok;
}

/* Run the CLI with @args (NULL-terminated, without argv[0]). */
static int cli(char *const *args, const char *stdout_path, struct run *r)
{
	char *argv[32] = { DG_CLI };
	int n = 1;

	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	return run_prog(argv, stdout_path, true, r);
}

#define ARGS(...) ((char *[]){ __VA_ARGS__, NULL })
#define NOARGS ((char *[]){ NULL })

static void test_help(void)
{
	static const char *const must[] = {
		"SYNOPSIS\n", "  status\n", "  show [dev IFNAME]\n",
		"  set dev IFNAME mode MODE\n", "  unset dev IFNAME\n",
		"  rule add prefix PREFIX mode MODE\n", "  rule del prefix PREFIX\n",
		"  rule show\n", "  stats [dev IFNAME] [--format FORMAT]\n",
		"  stats reset [dev IFNAME]\n", "  doctor\n", "MODES\n", "COUNTERS\n",
		"  demux_calls (monitor)\n", "  sk_hits (monitor)\n",
		"  dst_hits (monitor)\n", "  iif_mismatch (monitor)\n",
		"  fwd_sk_drops (monitor)\n", "  vetoed (veto)\n", "OUTPUT\n",
		"EXIT STATUS\n", "EXAMPLES\n", "-j, --json", "-p, --pretty",
		"-n, --netns NAME", "-V, --version", "-h, --help",
		"\"suggestion\": [", "  3\n      doctor only: ",
	};
	static const char *const topics[] = {
		"status", "show", "set", "unset", "rule", "stats", "doctor",
	};
	struct run full, r;
	struct t t;

	t_begin(&t, "cli: --help prints the full help, exit 0");
	if (cli(ARGS("--help"), NULL, &full) < 0) {
		t_fail(&t, "cannot run %s", DG_CLI);
		t_end(&t);
		return;
	}
	T_CHECK(&t, full.status == 0, "exit %d", full.status);
	T_CHECK(&t, !strncmp(full.out, "demuxguard - ", 13), "first line");
	t_check_str(&t, "stderr", full.err, "");
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		T_CHECK(&t, strstr(full.out, must[i]) != NULL, "no \"%s\"", must[i]);
	t_end(&t);

	t_begin(&t, "cli: -h and help print the same as --help");
	cli(ARGS("-h"), NULL, &r);
	T_CHECK(&t, r.status == 0 && !strcmp(r.out, full.out), "-h differs");
	run_free(&r);
	cli(ARGS("help"), NULL, &r);
	T_CHECK(&t, r.status == 0 && !strcmp(r.out, full.out), "help differs");
	run_free(&r);
	t_end(&t);

	for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
		char want[64];
		struct run r2;

		t_begin(&t, "cli: '%s help' prints its usage, exit 0", topics[i]);
		snprintf(want, sizeof(want), "Usage: demuxguard [OPTIONS] %s",
			 topics[i]);
		cli(ARGS((char *)topics[i], "help"), NULL, &r);
		T_CHECK(&t, r.status == 0, "exit %d", r.status);
		T_CHECK(&t, !strncmp(r.out, want, strlen(want)), "no \"%s\"", want);
		t_check_str(&t, "stderr", r.err, "");
		cli(ARGS("help", (char *)topics[i]), NULL, &r2);
		T_CHECK(&t, r2.status == 0 && !strcmp(r.out, r2.out),
			"'help %s' differs", topics[i]);
		run_free(&r);
		run_free(&r2);
		t_end(&t);
	}
	run_free(&full);
}

struct usage_case {
	char **args;
	const char *err;
};

static const struct usage_case usage_cases[] = {
	{ NOARGS, "Error: no command given.\nTry \"demuxguard --help\".\n" },
	{ ARGS("foo"), "Error: unknown command \"foo\".\nTry \"demuxguard --help\".\n" },
	{ ARGS("--bogus"), "Error: unknown option \"--bogus\".\nTry \"demuxguard --help\".\n" },
	{ ARGS("status", "extra"), "Error: unexpected argument \"extra\".\nTry \"demuxguard status help\".\n" },
	{ ARGS("show", "dev"), "Error: missing interface name after \"dev\".\nTry \"demuxguard show help\".\n" },
	{ ARGS("show", "dev", N16), "Error: interface name \"" N16 "\" is too long (16 bytes, at most 15).\nTry \"demuxguard show help\".\n" },
	{ ARGS("set", "dev", "eth0", "mode", "on"), "Error: invalid mode \"on\" (expected off, monitor or veto).\nTry \"demuxguard set help\".\n" },
	{ ARGS("set", "dev", "eth0"), "Error: \"set\" needs \"mode MODE\".\nTry \"demuxguard set help\".\n" },
	{ ARGS("unset"), "Error: \"unset\" needs \"dev IFNAME\".\nTry \"demuxguard unset help\".\n" },
	{ ARGS("rule", "add", "prefix", N16, "mode", "veto"), "Error: prefix \"" N16 "\" is too long (16 bytes, at most 15).\nTry \"demuxguard rule help\".\n" },
	{ ARGS("rule", "frob"), "Error: unknown rule subcommand \"frob\" (expected add, del or show).\nTry \"demuxguard rule help\".\n" },
	{ ARGS("stats", "--format", "xml"), "Error: invalid format \"xml\" (expected text, json or prometheus).\nTry \"demuxguard stats help\".\n" },
	{ ARGS("-j", "stats", "--format", "prometheus"), "Error: -j conflicts with \"--format prometheus\".\nTry \"demuxguard stats help\".\n" },
	{ ARGS("show", "-j"), "Error: option \"-j\" must come before the command.\nTry \"demuxguard show help\".\n" },
	{ ARGS("-n", "bad/name", "status"), "Error: invalid network namespace name \"bad/name\".\nTry \"demuxguard --help\".\n" },
	{ ARGS("doctor", "now"), "Error: unexpected argument \"now\".\nTry \"demuxguard doctor help\".\n" },
};

static void test_usage_errors(void)
{
	for (size_t i = 0; i < sizeof(usage_cases) / sizeof(usage_cases[0]); i++) {
		const struct usage_case *c = &usage_cases[i];
		char name[128] = "";
		struct run r;
		struct t t;

		for (int j = 0; c->args[j]; j++)
			snprintf(name + strlen(name), sizeof(name) - strlen(name),
				 "%s%s", j ? " " : "", c->args[j]);
		t_begin(&t, "cli: usage error '%s' exits 1", name);
		cli(c->args, NULL, &r);
		T_CHECK(&t, r.status == 1, "exit %d, want 1", r.status);
		t_check_str(&t, "stderr", r.err, c->err);
		t_check_str(&t, "stdout", r.out, "");
		run_free(&r);
		t_end(&t);
	}
}

static void test_runtime(void)
{
	char **const needs_module[] = {
		ARGS("status"), ARGS("-j", "show"), ARGS("show", "dev", "lo"),
		ARGS("rule", "show"), ARGS("stats", "--format", "prometheus"),
		ARGS("set", "dev", "lo", "mode", "veto"),
		ARGS("rule", "add", "prefix", "", "mode", "veto"),
		ARGS("stats", "reset"),
	};
	char want[64];
	struct run r;
	struct t t;

	t_begin(&t, "cli: --version prints both versions, exit 0");
	cli(ARGS("--version"), NULL, &r);
	snprintf(want, sizeof(want), "demuxguard %s\n", DG_VERSION);
	T_CHECK(&t, r.status == 0, "exit %d", r.status);
	T_CHECK(&t, !strncmp(r.out, want, strlen(want)), "first line");
	if (module_loaded())
		T_CHECK(&t, strstr(r.out, "\nmodule ") != NULL, "no module line");
	else
		t_check_str(&t, "stdout", r.out + (strlen(r.out) >= strlen(want) ?
			    strlen(want) : 0), "module not loaded\n");
	run_free(&r);
	t_end(&t);

	for (size_t i = 0; i < sizeof(needs_module) / sizeof(needs_module[0]); i++) {
		char name[128] = "";
		char **a = needs_module[i];

		for (int j = 0; a[j]; j++)
			snprintf(name + strlen(name), sizeof(name) - strlen(name),
				 "%s%s", j ? " " : "", *a[j] ? a[j] : "\"\"");
		if (module_loaded()) {
			char tn[200];

			snprintf(tn, sizeof(tn), "cli: '%s' without the module exits 2",
				 name);
			t_skip(tn, "the demuxguard module is loaded on this host");
			continue;
		}
		t_begin(&t, "cli: '%s' without the module exits 2", name);
		cli(a, NULL, &r);
		T_CHECK(&t, r.status == 2, "exit %d, want 2", r.status);
		t_check_str(&t, "stderr", r.err,
			    "Error: demuxguard module not loaded (modprobe demuxguard)\n");
		t_check_str(&t, "stdout", r.out, "");
		run_free(&r);
		t_end(&t);
	}

	t_begin(&t, "cli: doctor reads this host's routing without the module");
	cli(ARGS("-j", "doctor"), NULL, &r);
	T_CHECK(&t, r.status == 0 || r.status == 3, "exit %d, want 0 or 3: %s",
		r.status, r.err);
	t_check_str(&t, "stderr", r.err, "");
	{
		char why[512];

		if (!json_valid(r.out, strlen(r.out), why, sizeof(why)))
			t_fail(&t, "not strict JSON: %s", why);
	}
	T_CHECK(&t, strstr(r.out, "\"early_demux\":{") && strstr(r.out,
		"\"interfaces\":[") && strstr(r.out, "\"suggestion\":["),
		"shape: %s", r.out);
	T_CHECK(&t, (r.status == 3) == (strstr(r.out, "\"at_risk\":0,") == NULL),
		"exit status %d and at_risk disagree", r.status);
	if (!module_loaded())
		T_CHECK(&t, strstr(r.out, "\"module\":{\"loaded\":false,") != NULL,
			"module: %s", r.out);
	run_free(&r);
	cli(ARGS("doctor"), NULL, &r);
	T_CHECK(&t, r.status == 0 || r.status == 3, "text: exit %d", r.status);
	T_CHECK(&t, !strncmp(r.out, "early demux: ", 13), "text: %s", r.out);
	run_free(&r);
	T_CHECK(&t, module_loaded() == (access("/sys/module/demuxguard", F_OK) == 0),
		"doctor changed whether the module is loaded");
	t_end(&t);

	t_begin(&t, "cli: doctor -n with a missing namespace exits 2");
	cli(ARGS("-n", "dg-unit-no-such-ns", "doctor"), NULL, &r);
	T_CHECK(&t, r.status == 2, "exit %d, want 2", r.status);
	t_check_str(&t, "stderr", r.err,
		    "Error: network namespace \"dg-unit-no-such-ns\" does not "
		    "exist (no /run/netns/dg-unit-no-such-ns)\n");
	t_check_str(&t, "stdout", r.out, "");
	run_free(&r);
	t_end(&t);

	t_begin(&t, "cli: -n with a missing namespace exits 2");
	cli(ARGS("-n", "dg-unit-no-such-ns", "status"), NULL, &r);
	T_CHECK(&t, r.status == 2, "exit %d, want 2", r.status);
	t_check_str(&t, "stderr", r.err,
		    "Error: network namespace \"dg-unit-no-such-ns\" does not "
		    "exist (no /run/netns/dg-unit-no-such-ns)\n");
	run_free(&r);
	t_end(&t);

	if (access("/dev/full", W_OK) != 0) {
		t_skip("cli: a failed write of the output exits 2", "no /dev/full");
	} else {
		t_begin(&t, "cli: a failed write of the output exits 2");
		cli(ARGS("--help"), "/dev/full", &r);
		T_CHECK(&t, r.status == 2, "exit %d, want 2", r.status);
		T_CHECK(&t, !strncmp(r.err, "Error: cannot write the output: ", 32),
			"stderr: %s", r.err);
		run_free(&r);
		t_end(&t);

		t_begin(&t, "cli: doctor's failed write exits 2, not 0 or 3");
		cli(ARGS("-j", "doctor"), "/dev/full", &r);
		T_CHECK(&t, r.status == 2, "exit %d, want 2", r.status);
		T_CHECK(&t, !strncmp(r.err, "Error: cannot write the output: ", 32),
			"stderr: %s", r.err);
		run_free(&r);
		t_end(&t);
	}
}

static void test_manpage(void)
{
	char *gen[] = { "sh", DG_GEN_MANPAGE, DG_CLI, DG_VERSION, NULL };
	struct run r;
	struct t t;
	FILE *f;

	t_begin(&t, "man page: generated from --help");
	if (run_prog(gen, NULL, false, &r) < 0) {
		t_fail(&t, "cannot run gen-manpage.sh");
		t_end(&t);
		return;
	}
	T_CHECK(&t, r.status == 0, "exit %d: %s", r.status, r.err);
	T_CHECK(&t, strstr(r.out, ".TH DEMUXGUARD 8 ") != NULL, "no .TH");
	T_CHECK(&t, strstr(r.out, ".SH \"EXIT STATUS\"\n") != NULL, "no EXIT STATUS");
	T_CHECK(&t, strstr(r.out, ".TP\n\\fBrule\\fR \\fBadd\\fR \\fBprefix\\fR "
			   "\\fIPREFIX\\fR \\fBmode\\fR \\fIMODE\\fR\n") != NULL,
		"rule add is not a formatted term");
	t_end(&t);

	f = fopen(DG_MANPAGE, "r");
	if (!f) {
		t_skip("man page: cli/demuxguard.8 is up to date with --help",
		       "cli/demuxguard.8 not built");
	} else {
		struct mem m;
		char buf[4096], *page;
		size_t n;

		mem_open(&m);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, m.f);
		fclose(f);
		page = mem_close(&m);
		t_begin(&t, "man page: cli/demuxguard.8 is up to date with --help");
		/* SOURCE_DATE_EPOCH may date one and not the other. */
		T_CHECK(&t, !strcmp(strchr(page, '\n'), strchr(r.out, '\n')) ||
			getenv("SOURCE_DATE_EPOCH"),
			"stale: run make -C cli demuxguard.8");
		free(page);
		t_end(&t);
	}

	if (!have("groff")) {
		t_skip("man page: groff renders it without warnings", "no groff");
	} else {
		char *path = write_temp(r.out, strlen(r.out));
		char *groff[] = { "groff", "-man", "-Tutf8", "-ww", "-z", path, NULL };
		struct run g;

		t_begin(&t, "man page: groff renders it without warnings");
		run_prog(groff, NULL, false, &g);
		T_CHECK(&t, g.status == 0, "exit %d", g.status);
		t_check_str(&t, "groff stderr", g.err, "");
		run_free(&g);
		unlink(path);
		free(path);
		t_end(&t);
	}
	run_free(&r);
}

static void test_completion(void)
{
	static const struct { const char *line; const char *want; } cases[] = {
		{ "demuxguard ''", "status show set unset rule stats doctor help" },
		{ "demuxguard -j s", "status show set stats" },
		{ "demuxguard set dev lo ''", "mode" },
		{ "demuxguard set dev lo mode ''", "off monitor veto" },
		{ "demuxguard rule ''", "add del show help" },
		{ "demuxguard rule add prefix x ''", "mode" },
		{ "demuxguard stats ''", "dev --format reset help" },
		{ "demuxguard stats --format ''", "text json prometheus" },
		{ "demuxguard stats reset ''", "dev help" },
		{ "demuxguard show dev l", "lo" },
		{ "demuxguard -j doctor ''", "help" },
		{ "demuxguard help d", "doctor" },
	};
	struct t t;

	if (!have("bash")) {
		t_skip("completion: bash completion follows the grammar", "no bash");
		return;
	}
	t_begin(&t, "completion: bash completion follows the grammar");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char script[1024];
		char *argv[] = { "bash", "-c", script, NULL };
		struct run r;

		snprintf(script, sizeof(script),
			 "source '%s' || exit 3; COMP_WORDS=(%s); "
			 "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _demuxguard; "
			 "printf '%%s\\n' \"${COMPREPLY[*]}\"",
			 DG_COMPLETION, cases[i].line);
		run_prog(argv, NULL, false, &r);
		T_CHECK(&t, r.status == 0, "'%s': exit %d %s", cases[i].line,
			r.status, r.err);
		if (r.out && r.status == 0) {
			r.out[strcspn(r.out, "\n")] = '\0';
			if (strcmp(r.out, cases[i].want) != 0 &&
			    !(i == 9 && access("/sys/class/net/lo", F_OK) != 0))
				t_fail(&t, "'%s' -> '%s', want '%s'", cases[i].line,
				       r.out, cases[i].want);
		}
		run_free(&r);
	}
	t_end(&t);
}

void test_cli(void)
{
	test_help();
	test_usage_errors();
	test_runtime();
	test_manpage();
	test_completion();
}
