// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_output.c - output shapes of status, show, rule show and stats in
 * text, JSON (compared exactly, and checked by the strict checkers) and
 * the Prometheus text format (checked by a grammar checker, including the
 * escaping of label values).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checkers.h"
#include "harness.h"
#include "output.h"

typedef void (*print_fn)(const struct dg_out *, const void *);

static char *render(print_fn fn, const void *data, enum dg_format fmt,
		    bool pretty, const char *netns)
{
	struct mem m;
	struct dg_out o;

	mem_open(&m);
	o = (struct dg_out){ .f = m.f, .fmt = fmt, .pretty = pretty,
			     .netns = netns };
	fn(&o, data);
	return mem_close(&m);
}

static void p_status(const struct dg_out *o, const void *d) { dg_print_status(o, d); }
static void p_devs(const struct dg_out *o, const void *d) { dg_print_devs(o, d); }
static void p_rules(const struct dg_out *o, const void *d) { dg_print_rules(o, d); }
static void p_stats(const struct dg_out *o, const void *d) { dg_print_stats(o, d); }

/* Render, compare with @want and, for JSON, run the strict checkers. */
static void expect(const char *name, print_fn fn, const void *data,
		   enum dg_format fmt, bool pretty, const char *want)
{
	char *got = render(fn, data, fmt, pretty, NULL), why[512];
	struct t t;

	t_begin(&t, "%s", name);
	t_check_str(&t, "output", got, want);
	if (fmt == DG_FMT_JSON) {
		int py;

		if (!json_valid(got, strlen(got), why, sizeof(why)))
			t_fail(&t, "not strict JSON: %s", why);
		py = json_valid_python(got, why, sizeof(why));
		if (py == 0)
			t_fail(&t, "python3 json refuses it: %s", why);
	}
	free(got);
	t_end(&t);
}

/* As a module before hook details reports them. */
static struct dg_hook hooks[] = {
	{ .name = "tcp_v4_early_demux", .attached = true, .armed = true, .missed = 1 },
	{ .name = "tcp_v6_early_demux", .attached = true, .armed = false, .missed = 2 },
	{ .name = "ip_forward", .attached = true, .armed = true, .missed = 0 },
	{ .name = "ip6_forward", .attached = false, .armed = false, .missed = 0 },
};

/* As today's module reports them: a probe and the veto's two hooks. */
static struct dg_hook detailed_hooks[] = {
	{ .name = "ip_forward", .attached = true, .armed = true, .missed = 1,
	  .has_details = true, .kind = DEMUXGUARD_HOOK_KIND_KPROBE, .hits = 7,
	  .users = 1 },
	{ .name = "rx_handler", .attached = true, .armed = true,
	  .has_details = true, .kind = DEMUXGUARD_HOOK_KIND_RX_HANDLER,
	  .hits = 42, .users = 2, .error = EBUSY },
	{ .name = "nf_ingress", .attached = false, .armed = false,
	  .has_details = true, .kind = DEMUXGUARD_HOOK_KIND_NF_INGRESS },
};

static void test_status_details(void)
{
	struct dg_status st = {
		.version = "0.2.0", .hooks = detailed_hooks, .n_hooks = 3,
		.probe_missed = 1, .has_unguarded = true, .nr_unguarded = 1,
	};

	expect("output: status JSON with hook details", p_status, &st,
	       DG_FMT_JSON, false,
	       "{\"version\":\"0.2.0\",\"hooks\":{\"ip_forward\":true,"
	       "\"rx_handler\":true,\"nf_ingress\":false},\"armed\":{"
	       "\"ip_forward\":true,\"rx_handler\":true,\"nf_ingress\":false},"
	       "\"probe_missed\":1,\"kind\":{\"ip_forward\":\"kprobe\","
	       "\"rx_handler\":\"rx_handler\",\"nf_ingress\":\"nf_ingress\"},"
	       "\"hits\":{\"ip_forward\":7,\"rx_handler\":42,\"nf_ingress\":0},"
	       "\"users\":{\"ip_forward\":1,\"rx_handler\":2,\"nf_ingress\":0},"
	       "\"errors\":{\"rx_handler\":\"Device or resource busy\"},"
	       "\"unguarded\":1}\n");
	expect("output: status text with hook details", p_status, &st,
	       DG_FMT_TEXT, false,
	       "module version: 0.2.0\n"
	       "hook ip_forward (kprobe): attached, armed, missed 1, hits 7, users 1\n"
	       "hook rx_handler (rx_handler): attached, armed, missed 0, hits 42,"
	       " users 2, error: Device or resource busy\n"
	       "hook nf_ingress (nf_ingress): not attached, disarmed, missed 0,"
	       " hits 0, users 0\n"
	       "probe misses: 1\n"
	       "unguarded interfaces (veto without a hook): 1\n");
}

static void test_status(void)
{
	struct dg_status st = {
		.version = "0.1.0", .hooks = hooks, .n_hooks = 4,
		.probe_missed = 3,
	};
	struct dg_status none = { .version = "0.1.0" };

	expect("output: status JSON", p_status, &st, DG_FMT_JSON, false,
	       "{\"version\":\"0.1.0\",\"hooks\":{\"tcp_v4_early_demux\":true,"
	       "\"tcp_v6_early_demux\":true,\"ip_forward\":true,"
	       "\"ip6_forward\":false},\"armed\":{\"tcp_v4_early_demux\":true,"
	       "\"tcp_v6_early_demux\":false,\"ip_forward\":true,"
	       "\"ip6_forward\":false},\"probe_missed\":3}\n");
	expect("output: status JSON pretty", p_status, &st, DG_FMT_JSON, true,
	       "{\n  \"version\": \"0.1.0\",\n  \"hooks\": {\n"
	       "    \"tcp_v4_early_demux\": true,\n"
	       "    \"tcp_v6_early_demux\": true,\n"
	       "    \"ip_forward\": true,\n    \"ip6_forward\": false\n  },\n"
	       "  \"armed\": {\n    \"tcp_v4_early_demux\": true,\n"
	       "    \"tcp_v6_early_demux\": false,\n    \"ip_forward\": true,\n"
	       "    \"ip6_forward\": false\n  },\n  \"probe_missed\": 3\n}\n");
	expect("output: status text", p_status, &st, DG_FMT_TEXT, false,
	       "module version: 0.1.0\n"
	       "hook tcp_v4_early_demux: attached, armed, missed 1\n"
	       "hook tcp_v6_early_demux: attached, disarmed, missed 2\n"
	       "hook ip_forward: attached, armed, missed 0\n"
	       "hook ip6_forward: not attached, disarmed, missed 0\n"
	       "probe misses: 3\n");
	expect("output: status JSON without hooks", p_status, &none,
	       DG_FMT_JSON, false,
	       "{\"version\":\"0.1.0\",\"hooks\":{},\"armed\":{},"
	       "\"probe_missed\":0}\n");
}

/* Interface names that stress escaping. */
#define ODD_NAME "q\"\\\x1b\xff"

static struct dg_dev devs[] = {
	{ .ifindex = 5, .ifname = "vlanabc", .mode = DEMUXGUARD_MODE_VETO,
	  .source = DEMUXGUARD_SOURCE_RULE, .rule = "vlan" },
	{ .ifindex = 7, .ifname = "eth1", .mode = DEMUXGUARD_MODE_OFF,
	  .source = DEMUXGUARD_SOURCE_EXPLICIT },
	{ .ifindex = 9, .ifname = "wg0", .mode = DEMUXGUARD_MODE_OFF,
	  .source = DEMUXGUARD_SOURCE_NONE },
	{ .ifindex = 11, .ifname = ODD_NAME, .mode = DEMUXGUARD_MODE_MONITOR,
	  .source = DEMUXGUARD_SOURCE_RULE, .rule = "" },
	{ .ifindex = 12, .ifname = "x", .mode = 9, .source = 9 },
};

static void test_show_guard(void)
{
	struct dg_dev devs[] = {
		{ .ifindex = 5, .ifname = "vlanabc", .mode = DEMUXGUARD_MODE_VETO,
		  .source = DEMUXGUARD_SOURCE_EXPLICIT, .has_veto_hook = true,
		  .veto_hook = DEMUXGUARD_HOOK_KIND_RX_HANDLER },
		{ .ifindex = 6, .ifname = "vlanbad", .mode = DEMUXGUARD_MODE_VETO,
		  .source = DEMUXGUARD_SOURCE_EXPLICIT, .has_veto_hook = true,
		  .veto_hook = DEMUXGUARD_HOOK_KIND_NONE, .hook_error = EBUSY },
		{ .ifindex = 7, .ifname = "eth1", .mode = DEMUXGUARD_MODE_MONITOR,
		  .source = DEMUXGUARD_SOURCE_EXPLICIT, .has_veto_hook = true },
	};
	struct dg_dev_list l = { .v = devs, .n = 3 };

	expect("output: show text with veto hooks", p_devs, &l, DG_FMT_TEXT, false,
	       "vlanabc (5): mode veto (explicit) hook rx_handler\n"
	       "vlanbad (6): mode veto (explicit) NOT GUARDED: Device or resource busy\n"
	       "eth1 (7): mode monitor (explicit)\n");
	expect("output: show JSON with veto hooks", p_devs, &l, DG_FMT_JSON, false,
	       "[{\"ifname\":\"vlanabc\",\"ifindex\":5,\"mode\":\"veto\","
	       "\"source\":\"explicit\",\"veto_hook\":\"rx_handler\"},"
	       "{\"ifname\":\"vlanbad\",\"ifindex\":6,\"mode\":\"veto\","
	       "\"source\":\"explicit\",\"veto_hook\":\"none\","
	       "\"hook_error\":\"Device or resource busy\"},"
	       "{\"ifname\":\"eth1\",\"ifindex\":7,\"mode\":\"monitor\","
	       "\"source\":\"explicit\",\"veto_hook\":\"none\"}]\n");
}

static void test_show(void)
{
	struct dg_dev_list l = { .v = devs, .n = 5 };
	struct dg_dev_list one = { .v = devs, .n = 1 };
	struct dg_dev_list empty = { 0 };

	expect("output: show JSON (explicit, rule, none, odd name, unknown)",
	       p_devs, &l, DG_FMT_JSON, false,
	       "[{\"ifname\":\"vlanabc\",\"ifindex\":5,\"mode\":\"veto\","
	       "\"source\":\"rule\",\"rule\":\"vlan\"},"
	       "{\"ifname\":\"eth1\",\"ifindex\":7,\"mode\":\"off\","
	       "\"source\":\"explicit\"},"
	       "{\"ifname\":\"wg0\",\"ifindex\":9,\"mode\":\"off\","
	       "\"source\":\"none\"},"
	       "{\"ifname\":\"q\\\"\\\\\\u001b\\u00ff\",\"ifindex\":11,"
	       "\"mode\":\"monitor\",\"source\":\"rule\",\"rule\":\"\"},"
	       "{\"ifname\":\"x\",\"ifindex\":12,\"mode\":\"unknown\","
	       "\"source\":\"unknown\"}]\n");
	expect("output: show JSON pretty", p_devs, &one, DG_FMT_JSON, true,
	       "[\n  {\n    \"ifname\": \"vlanabc\",\n    \"ifindex\": 5,\n"
	       "    \"mode\": \"veto\",\n    \"source\": \"rule\",\n"
	       "    \"rule\": \"vlan\"\n  }\n]\n");
	expect("output: show text", p_devs, &l, DG_FMT_TEXT, false,
	       "vlanabc (5): mode veto (rule \"vlan\")\n"
	       "eth1 (7): mode off (explicit)\n"
	       "wg0 (9): mode off (no policy)\n"
	       "q\"\\\\x1b\xff (11): mode monitor (rule \"\")\n"
	       "x (12): mode unknown (source unknown)\n");
	expect("output: show JSON empty", p_devs, &empty, DG_FMT_JSON, false,
	       "[]\n");
	expect("output: show JSON pretty empty", p_devs, &empty, DG_FMT_JSON,
	       true, "[]\n");
	expect("output: show text empty", p_devs, &empty, DG_FMT_TEXT, false,
	       "");
}

static void test_rules(void)
{
	struct dg_rule rules[] = {
		{ "", DEMUXGUARD_MODE_VETO },
		{ "vlan", DEMUXGUARD_MODE_MONITOR },
		{ "a\"b\\", DEMUXGUARD_MODE_OFF },
	};
	struct dg_rule_list l = { .v = rules, .n = 3 };
	struct dg_rule_list empty = { 0 };

	expect("output: rule show JSON", p_rules, &l, DG_FMT_JSON, false,
	       "[{\"prefix\":\"\",\"mode\":\"veto\"},"
	       "{\"prefix\":\"vlan\",\"mode\":\"monitor\"},"
	       "{\"prefix\":\"a\\\"b\\\\\",\"mode\":\"off\"}]\n");
	expect("output: rule show text shows the empty prefix", p_rules, &l,
	       DG_FMT_TEXT, false,
	       "prefix \"\" mode veto\n"
	       "prefix \"vlan\" mode monitor\n"
	       "prefix \"a\\\"b\\\\\" mode off\n");
	expect("output: rule show JSON empty", p_rules, &empty, DG_FMT_JSON,
	       false, "[]\n");
}

static struct dg_dev stat_devs[2] = {
	{ .ifindex = 5, .ifname = "vlanabc", .mode = DEMUXGUARD_MODE_VETO,
	  .source = DEMUXGUARD_SOURCE_RULE, .rule = "vlan",
	  .stats = {
		{ 1, 2, 3, 4, 5, 6 },
		{ UINT64_MAX, 0, 0, 0, 0, 18446744073709551614ULL },
	  } },
	{ .ifindex = 6, .ifname = "a\"b\\c", .mode = DEMUXGUARD_MODE_MONITOR,
	  .source = DEMUXGUARD_SOURCE_EXPLICIT },
};

static void test_stats(void)
{
	struct dg_dev_list l = { .v = stat_devs, .n = 2 };
	struct dg_dev_list empty = { 0 };

	expect("output: stats JSON (all counters, exact u64)", p_stats, &l,
	       DG_FMT_JSON, false,
	       "[{\"ifname\":\"vlanabc\",\"ifindex\":5,\"mode\":\"veto\","
	       "\"ipv4\":{\"demux_calls\":1,\"sk_hits\":2,\"dst_hits\":3,"
	       "\"iif_mismatch\":4,\"fwd_sk_drops\":5,\"vetoed\":6},"
	       "\"ipv6\":{\"demux_calls\":18446744073709551615,\"sk_hits\":0,"
	       "\"dst_hits\":0,\"iif_mismatch\":0,\"fwd_sk_drops\":0,"
	       "\"vetoed\":18446744073709551614}},"
	       "{\"ifname\":\"a\\\"b\\\\c\",\"ifindex\":6,\"mode\":\"monitor\","
	       "\"ipv4\":{\"demux_calls\":0,\"sk_hits\":0,\"dst_hits\":0,"
	       "\"iif_mismatch\":0,\"fwd_sk_drops\":0,\"vetoed\":0},"
	       "\"ipv6\":{\"demux_calls\":0,\"sk_hits\":0,\"dst_hits\":0,"
	       "\"iif_mismatch\":0,\"fwd_sk_drops\":0,\"vetoed\":0}}]\n");
	expect("output: stats text", p_stats, &l, DG_FMT_TEXT, false,
	       "vlanabc (5): mode veto\n"
	       "    ipv4: demux_calls 1 sk_hits 2 dst_hits 3 iif_mismatch 4 "
	       "fwd_sk_drops 5 vetoed 6\n"
	       "    ipv6: demux_calls 18446744073709551615 sk_hits 0 dst_hits 0 "
	       "iif_mismatch 0 fwd_sk_drops 0 vetoed 18446744073709551614\n"
	       "a\"b\\c (6): mode monitor\n"
	       "    ipv4: demux_calls 0 sk_hits 0 dst_hits 0 iif_mismatch 0 "
	       "fwd_sk_drops 0 vetoed 0\n"
	       "    ipv6: demux_calls 0 sk_hits 0 dst_hits 0 iif_mismatch 0 "
	       "fwd_sk_drops 0 vetoed 0\n");
	expect("output: stats JSON empty", p_stats, &empty, DG_FMT_JSON, false,
	       "[]\n");
}

static const char *const prom_counters[] = {
	"demux_calls", "sk_hits", "dst_hits", "iif_mismatch", "fwd_sk_drops",
	"vetoed",
};

/*
 * Beyond the grammar: the families, types and labels this tool promises:
 * six counters per interface and family, and one gauge per interface
 * (demuxguard_unguarded).
 */
static void check_prom_contract(struct t *t, const char *text, size_t ndev,
				bool netns)
{
	char *copy = strdup(text), *line, *save = NULL;
	size_t samples = 0, gauges = 0, help = 0, type = 0;

	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		bool gauge;

		if (!strncmp(line, "# HELP ", 7)) {
			help++;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			size_t n = strcspn(line + 7, " ");

			type++;
			if (!strcmp(line + 7, "demuxguard_unguarded gauge"))
				continue;
			T_CHECK(t, !strcmp(line + 7 + n, " counter"),
				"not a counter: %s", line);
			T_CHECK(t, n > 6 && !strncmp(line + 7 + n - 6, "_total", 6),
				"counter name without _total: %s", line);
			continue;
		}
		gauge = !strncmp(line, "demuxguard_unguarded{", 21);
		if (gauge)
			gauges++;
		else
			samples++;
		T_CHECK(t, !strncmp(line, "demuxguard_", 11),
			"sample outside the demuxguard_ namespace: %s", line);
		T_CHECK(t, strstr(line, "{ifname=\"") && strstr(line, "\",mode=\"") &&
			(gauge || strstr(line, ",family=\"ipv")),
			"labels missing: %s", line);
		T_CHECK(t, (strstr(line, "\",netns=\"") != NULL) == netns,
			"netns label %s: %s", netns ? "missing" : "unexpected",
			line);
	}
	T_CHECK(t, help == 7 && type == 7, "%zu HELP and %zu TYPE lines, want 7",
		help, type);
	T_CHECK(t, samples == 6 * 2 * ndev, "%zu samples, want %zu", samples,
		6 * 2 * ndev);
	T_CHECK(t, gauges == ndev, "%zu unguarded samples, want %zu", gauges, ndev);
	for (size_t i = 0; i < 6; i++) {
		char want[96];

		snprintf(want, sizeof(want), "# TYPE demuxguard_%s_total counter\n",
			 prom_counters[i]);
		T_CHECK(t, strstr(text, want) != NULL, "no family for %s",
			prom_counters[i]);
	}
	free(copy);
}

static void test_prometheus(void)
{
	struct dg_dev_list l = { .v = stat_devs, .n = 2 };
	struct dg_dev_list one = { .v = stat_devs, .n = 1 };
	struct dg_dev_list empty = { 0 };
	struct dg_dev odd = { .ifindex = 1, .ifname = "e\xff\"\\",
			      .mode = DEMUXGUARD_MODE_VETO };
	struct dg_dev_list oddl = { .v = &odd, .n = 1 };
	char why[512], *got;
	struct t t;

	t_begin(&t, "prometheus: exact output for one interface");
	got = render(p_stats, &one, DG_FMT_PROMETHEUS, false, NULL);
	{
		const char *next = strstr(got, "# HELP demuxguard_sk_hits");
		char *head = next ? strndup(got, (size_t)(next - got)) : strdup(got);

		t_check_str(&t, "first family", head,
			    "# HELP demuxguard_demux_calls_total TCP packets received on "
			    "the interface that early demux looked at (counted where "
			    "routing sent them: ip_local_deliver, ip6_input, ip_forward, "
			    "ip6_forward).\n"
			    "# TYPE demuxguard_demux_calls_total counter\n"
			    "demuxguard_demux_calls_total{ifname=\"vlanabc\",family=\"ipv4\","
			    "mode=\"veto\"} 1\n"
			    "demuxguard_demux_calls_total{ifname=\"vlanabc\",family=\"ipv6\","
			    "mode=\"veto\"} 18446744073709551615\n");
		free(head);
	}
	T_CHECK(&t, strstr(got, "demuxguard_vetoed_total{ifname=\"vlanabc\","
			   "family=\"ipv4\",mode=\"veto\"} 6\n") != NULL,
		"vetoed ipv4 sample missing");
	T_CHECK(&t, prom_valid(got, why, sizeof(why)), "invalid: %s", why);
	free(got);
	t_end(&t);

	t_begin(&t, "prometheus: an unguarded veto interface reads 1");
	{
		struct dg_dev bad = { .ifindex = 3, .ifname = "vlanbad",
				      .mode = DEMUXGUARD_MODE_VETO,
				      .has_veto_hook = true,
				      .veto_hook = DEMUXGUARD_HOOK_KIND_NONE,
				      .hook_error = EBUSY };
		struct dg_dev_list badl = { .v = &bad, .n = 1 };

		got = render(p_stats, &badl, DG_FMT_PROMETHEUS, false, NULL);
		T_CHECK(&t, prom_valid(got, why, sizeof(why)), "invalid: %s", why);
		T_CHECK(&t, strstr(got, "demuxguard_unguarded{ifname=\"vlanbad\","
				   "mode=\"veto\"} 1\n") != NULL,
			"unguarded sample missing: %s", got);
		free(got);
		got = render(p_stats, &one, DG_FMT_PROMETHEUS, false, NULL);
		T_CHECK(&t, strstr(got, "demuxguard_unguarded{ifname=\"vlanabc\","
				   "mode=\"veto\"} 0\n") != NULL,
			"guarded sample missing: %s", got);
		free(got);
	}
	t_end(&t);

	t_begin(&t, "prometheus: two interfaces are valid exposition");
	got = render(p_stats, &l, DG_FMT_PROMETHEUS, false, NULL);
	T_CHECK(&t, prom_valid(got, why, sizeof(why)), "invalid: %s", why);
	check_prom_contract(&t, got, 2, false);
	T_CHECK(&t, strstr(got, "{ifname=\"a\\\"b\\\\c\",") != NULL,
		"label value not escaped");
	free(got);
	t_end(&t);

	t_begin(&t, "prometheus: no interfaces is valid exposition");
	got = render(p_stats, &empty, DG_FMT_PROMETHEUS, false, NULL);
	T_CHECK(&t, prom_valid(got, why, sizeof(why)), "invalid: %s", why);
	check_prom_contract(&t, got, 0, false);
	free(got);
	t_end(&t);

	t_begin(&t, "prometheus: netns label with -n");
	got = render(p_stats, &l, DG_FMT_PROMETHEUS, false, "blue\"ns");
	T_CHECK(&t, prom_valid(got, why, sizeof(why)), "invalid: %s", why);
	check_prom_contract(&t, got, 2, true);
	T_CHECK(&t, strstr(got, ",netns=\"blue\\\"ns\"} ") != NULL,
		"netns label missing or unescaped");
	free(got);
	t_end(&t);

	t_begin(&t, "prometheus: invalid UTF-8 in a name becomes U+FFFD");
	got = render(p_stats, &oddl, DG_FMT_PROMETHEUS, false, NULL);
	T_CHECK(&t, prom_valid(got, why, sizeof(why)), "invalid: %s", why);
	T_CHECK(&t, strstr(got, "{ifname=\"e\xef\xbf\xbd\\\"\\\\\",") != NULL,
		"name not replaced/escaped as expected");
	free(got);
	t_end(&t);

	t_begin(&t, "prometheus: label value escaping");
	{
		struct mem m;
		char *esc;

		mem_open(&m);
		dg_prom_label_value(m.f, "a\"b\\c\nd\te\xc3\xa9");
		esc = mem_close(&m);
		t_check_str(&t, "escaped", esc, "a\\\"b\\\\c\\nd\te\xc3\xa9");
		free(esc);
	}
	t_end(&t);
}

void test_output(void)
{
	test_status();
	test_status_details();
	test_show_guard();
	test_show();
	test_rules();
	test_stats();
	test_prometheus();
}
