// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_json.c - the JSON writer: escaping of odd interface names (quotes,
 * backslashes, control bytes, invalid UTF-8), the UTF-8 validator, nesting
 * and pretty printing; plus self-tests of the strict checkers so that a
 * checker that accepts everything cannot make the output tests pass.
 */
#include <stdlib.h>
#include <string.h>

#include "checkers.h"
#include "harness.h"
#include "json.h"
#include "utf8.h"

static void check_json_text(struct t *t, const char *text)
{
	char why[512];
	int py;

	if (!json_valid(text, strlen(text), why, sizeof(why)))
		t_fail(t, "not strict JSON: %s", why);
	py = json_valid_python(text, why, sizeof(why));
	if (py == 0)
		t_fail(t, "python3 json refuses it: %s", why);
}

struct esc_case {
	const char *name;
	const char *in;
	const char *want;
};

static const struct esc_case esc_cases[] = {
	{ "plain", "vlan10", "\"vlan10\"" },
	{ "empty", "", "\"\"" },
	{ "double quote", "a\"b", "\"a\\\"b\"" },
	{ "backslash", "a\\b", "\"a\\\\b\"" },
	{ "quote and backslash", "\\\"", "\"\\\\\\\"\"" },
	{ "newline and tab", "a\nb\tc", "\"a\\u000ab\\u0009c\"" },
	{ "control bytes 0x01 0x1f", "\x01x\x1f", "\"\\u0001x\\u001f\"" },
	{ "escape sequence", "\x1b[31m", "\"\\u001b[31m\"" },
	{ "DEL", "a\x7f", "\"a\\u007f\"" },
	{ "slash kept", "a/b", "\"a/b\"" },
	{ "UTF-8 2 bytes", "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	{ "UTF-8 3 bytes", "\xe2\x82\xac", "\"\xe2\x82\xac\"" },
	{ "UTF-8 4 bytes", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
	{ "U+10FFFF", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },
	{ "lone lead byte", "a\xc3", "\"a\\u00c3\"" },
	{ "lead byte before ASCII", "\xc3z", "\"\\u00c3z\"" },
	{ "stray continuation", "\x80", "\"\\u0080\"" },
	{ "overlong slash", "\xc0\xaf", "\"\\u00c0\\u00af\"" },
	{ "overlong 3 bytes", "\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"" },
	{ "surrogate", "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" },
	{ "truncated 3 bytes", "\xe2\x82", "\"\\u00e2\\u0082\"" },
	{ "0xff", "\xff", "\"\\u00ff\"" },
	{ "0xfe 0xff", "\xfe\xff", "\"\\u00fe\\u00ff\"" },
	{ "mixed", "\"\\\x01\xc3\xa9\xff", "\"\\\"\\\\\\u0001\xc3\xa9\\u00ff\"" },
	/* The pair of json.h: different text, the same decoded value. */
	{ "invalid 0xe9", "\xe9", "\"\\u00e9\"" },
	{ "valid U+00E9", "\xc3\xa9", "\"\xc3\xa9\"" },
};

static void test_escaping(void)
{
	for (size_t i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		const struct esc_case *c = &esc_cases[i];
		struct mem m;
		struct t t;
		char *got;

		t_begin(&t, "json: escape %s", c->name);
		mem_open(&m);
		json_write_string(m.f, c->in);
		got = mem_close(&m);
		t_check_str(&t, "escaped", got, c->want);
		check_json_text(&t, got);
		free(got);
		t_end(&t);
	}
}

/*
 * What json.h promises: distinct inputs give distinct text, even where a
 * parser decodes two of them to the same string. Every two-byte input
 * from a set of interesting bytes, pairwise.
 */
static void test_escaping_distinct(void)
{
	static const unsigned char bytes[] = {
		'a', '"', '\\', 'u', '0', 'e', '9', 0x01, 0x7f, 0x80, 0xa9,
		0xbf, 0xc2, 0xc3, 0xe9, 0xed, 0xf4, 0xff,
	};
	enum { N = sizeof(bytes), M = N * N + N };
	char **out = calloc(M, sizeof(*out));
	size_t n = 0, dups = 0;
	struct t t;

	t_begin(&t, "json: distinct strings give distinct text (%d inputs)", M);
	for (size_t i = 0; out && i < N; i++) {
		for (size_t j = 0; j <= N; j++) {
			char in[3] = { (char)bytes[i], j < N ? (char)bytes[j] : 0, 0 };
			struct mem m;

			mem_open(&m);
			json_write_string(m.f, in);
			out[n++] = mem_close(&m);
		}
	}
	T_CHECK(&t, out && n == M, "%zu outputs", n);
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			dups += strcmp(out[i], out[k]) == 0;
	T_CHECK(&t, dups == 0, "%zu pairs of inputs give the same text", dups);
	for (size_t i = 0; i < n; i++)
		free(out[i]);
	free(out);
	t_end(&t);
}

static void test_utf8(void)
{
	static const struct { const char *s; size_t len; } v[] = {
		{ "a", 1 }, { "\xc2\x80", 2 }, { "\xdf\xbf", 2 },
		{ "\xe0\xa0\x80", 3 }, { "\xed\x9f\xbf", 3 }, { "\xee\x80\x80", 3 },
		{ "\xef\xbf\xbf", 3 }, { "\xf0\x90\x80\x80", 4 },
		{ "\xf4\x8f\xbf\xbf", 4 },
		{ "\xc1\xbf", 0 }, { "\xe0\x9f\xbf", 0 }, { "\xed\xa0\x80", 0 },
		{ "\xf0\x8f\xbf\xbf", 0 }, { "\xf4\x90\x80\x80", 0 },
		{ "\xf5\x80\x80\x80", 0 }, { "\xbf", 0 }, { "\xe2\x82", 0 },
		{ "\xf0\x9f\x98", 0 }, { "\xc3\x28", 0 },
	};
	struct t t;

	t_begin(&t, "utf8: sequence lengths per RFC 3629");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = dg_utf8_seqlen(v[i].s);

		T_CHECK(&t, n == v[i].len, "vector %zu: length %zu, want %zu",
			i, n, v[i].len);
		T_CHECK(&t, (n != 0) == utf8_valid((const unsigned char *)v[i].s,
						   strlen(v[i].s)),
			"vector %zu: checker disagrees", i);
	}
	t_end(&t);
}

static void test_writer(void)
{
	struct json_writer jw;
	struct mem m;
	struct t t;
	char *got;

	t_begin(&t, "json: nested compact document");
	mem_open(&m);
	json_init(&jw, m.f, false);
	json_open_object(&jw);
	json_kv_string(&jw, "s", "x");
	json_kv_u64(&jw, "max", UINT64_MAX);
	json_kv_bool(&jw, "t", true);
	json_key(&jw, "a");
	json_open_array(&jw);
	json_u64(&jw, 0);
	json_null(&jw);
	json_open_object(&jw);
	json_close_object(&jw);
	json_open_array(&jw);
	json_close_array(&jw);
	json_close_array(&jw);
	json_key(&jw, "k\"ey");
	json_bool(&jw, false);
	json_close_object(&jw);
	json_finish(&jw);
	got = mem_close(&m);
	t_check_str(&t, "document", got,
		    "{\"s\":\"x\",\"max\":18446744073709551615,\"t\":true,"
		    "\"a\":[0,null,{},[]],\"k\\\"ey\":false}\n");
	check_json_text(&t, got);
	free(got);
	t_end(&t);

	t_begin(&t, "json: pretty document");
	mem_open(&m);
	json_init(&jw, m.f, true);
	json_open_array(&jw);
	json_open_object(&jw);
	json_kv_string(&jw, "a", "b");
	json_key(&jw, "o");
	json_open_object(&jw);
	json_kv_u64(&jw, "n", 1);
	json_close_object(&jw);
	json_key(&jw, "e");
	json_open_array(&jw);
	json_close_array(&jw);
	json_close_object(&jw);
	json_close_array(&jw);
	json_finish(&jw);
	got = mem_close(&m);
	t_check_str(&t, "document", got,
		    "[\n  {\n    \"a\": \"b\",\n    \"o\": {\n      \"n\": 1\n"
		    "    },\n    \"e\": []\n  }\n]\n");
	check_json_text(&t, got);
	free(got);
	t_end(&t);
}

/* The checkers must refuse what they exist to catch. */
static void test_checkers(void)
{
	static const char *const bad_json[] = {
		"", "[1,]", "{\"a\":1,}", "{\"a\":1,\"a\":2}", "[01]", "[1.]",
		"[.5]", "[NaN]", "[\"a\nb\"]", "[\"\\x41\"]", "[\"\\ud800\"]",
		"[\"\\udc00\"]", "[\"\xff\"]", "[\"\xc0\xaf\"]", "[1] [2]",
		"{'a':1}", "[tru]", "{\"a\" 1}", "[\"\\u12\"]", "[-]",
	};
	static const char *const good_json[] = {
		"[]", "{}", "0", "-0.5e+10", "\"\\ud83d\\ude00\"", " [ 1 , 2 ] ",
		"{\"a\":{\"a\":1}}", "\"\\/\\b\\f\\n\\r\\t\"",
	};
	static const char *const bad_prom[] = {
		"m 1",					/* no final newline */
		"1m 1\n",				/* bad name */
		"m{a=\"x} 1\n",				/* unterminated */
		"m{a=\"\\t\"} 1\n",			/* bad escape */
		"m{a=\"x\",a=\"y\"} 1\n",		/* duplicate label */
		"m{__a=\"x\"} 1\n",			/* reserved label */
		"m{a=\"x\"}1\n",			/* no whitespace */
		"m{a=\"x\"} one\n",			/* bad value */
		"m 1\nm 2\n",				/* duplicate series */
		"m{a=\"1\"} 1\nn 1\nm{a=\"2\"} 1\n",	/* not contiguous */
		"# TYPE m counter\n# TYPE m counter\nm 1\n",
		"# HELP m x\n# HELP m y\nm 1\n",
		"m 1\n# TYPE m counter\n",		/* TYPE after samples */
		"# TYPE m countr\nm 1\n",
		"# HELP m bad \\t escape\nm 1\n",
		"m{a=\"\xff\"} 1\n",			/* invalid UTF-8 */
		"m 1 12x\n",				/* bad timestamp */
		"m 0x10\n",				/* hex value */
	};
	static const char *const good_prom[] = {
		"",
		"# HELP m h\\\\x\\n\n# TYPE m counter\nm{a=\"x\",b=\"\\\"\\\\\\n\"} 1\nm{a=\"y\",} 2 1700000000\n",
		"# TYPE m counter\n# TYPE n gauge\nm 1\nn NaN\n# a comment\nn{x=\"1\"} +Inf\n",
		"m{a=\"\xc3\xa9\"} 1.5e3\n",
	};
	char why[512];
	struct t t;

	t_begin(&t, "checker: strict JSON checker refuses malformed JSON");
	for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++)
		T_CHECK(&t, !json_valid(bad_json[i], strlen(bad_json[i]), why,
					sizeof(why)), "accepted bad JSON #%zu", i);
	for (size_t i = 0; i < sizeof(good_json) / sizeof(good_json[0]); i++)
		T_CHECK(&t, json_valid(good_json[i], strlen(good_json[i]), why,
				       sizeof(why)), "refused good JSON #%zu: %s",
			i, why);
	t_end(&t);

	if (json_valid_python("[]", why, sizeof(why)) < 0) {
		t_skip("checker: python3 json cross-check refuses malformed JSON",
		       "python3 not available");
	} else {
		t_begin(&t, "checker: python3 json cross-check refuses malformed JSON");
		T_CHECK(&t, json_valid_python("{\"a\":1,\"a\":2}", why, sizeof(why)) == 0,
			"accepted duplicate keys");
		T_CHECK(&t, json_valid_python("[NaN]", why, sizeof(why)) == 0,
			"accepted NaN");
		T_CHECK(&t, json_valid_python("[\"\xff\"]", why, sizeof(why)) == 0,
			"accepted invalid UTF-8");
		t_end(&t);
	}

	t_begin(&t, "checker: Prometheus checker refuses malformed exposition");
	for (size_t i = 0; i < sizeof(bad_prom) / sizeof(bad_prom[0]); i++)
		T_CHECK(&t, !prom_valid(bad_prom[i], why, sizeof(why)),
			"accepted bad exposition #%zu", i);
	for (size_t i = 0; i < sizeof(good_prom) / sizeof(good_prom[0]); i++)
		T_CHECK(&t, prom_valid(good_prom[i], why, sizeof(why)),
			"refused good exposition #%zu: %s", i, why);
	t_end(&t);
}

void test_json(void)
{
	test_escaping();
	test_escaping_distinct();
	test_utf8();
	test_writer();
	test_checkers();
}
