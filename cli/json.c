// SPDX-License-Identifier: GPL-2.0-only
/*
 * json.c - the streaming JSON writer declared in json.h.
 *
 * Misuse (a value where a key is required, unbalanced closes, too deep a
 * nesting) is a programming error in this tool, not a runtime condition,
 * so it is caught with assert() rather than reported.
 */
#include <assert.h>
#include <inttypes.h>

#include "json.h"
#include "utf8.h"

void json_init(struct json_writer *jw, FILE *f, bool pretty)
{
	*jw = (struct json_writer){ .f = f, .pretty = pretty };
}

void json_finish(struct json_writer *jw)
{
	assert(jw->depth == 0 && !jw->after_key);
	fputc('\n', jw->f);
}

static void newline_indent(struct json_writer *jw)
{
	fputc('\n', jw->f);
	for (unsigned int i = 0; i < jw->depth; i++)
		fputs("  ", jw->f);
}

/* Separator before a new member or element at the current level. */
static void separate(struct json_writer *jw)
{
	if (jw->has_items[jw->depth])
		fputc(',', jw->f);
	jw->has_items[jw->depth] = true;
	if (jw->pretty && jw->depth > 0)
		newline_indent(jw);
}

/* Called before every value: after a key, nothing else is needed. */
static void begin_value(struct json_writer *jw)
{
	if (jw->after_key) {
		jw->after_key = false;
		return;
	}
	/* Top level holds one value; inside an object a key must come first. */
	separate(jw);
}

static void open_container(struct json_writer *jw, char c)
{
	begin_value(jw);
	fputc(c, jw->f);
	assert(jw->depth < JSON_MAX_DEPTH);
	jw->depth++;
	jw->has_items[jw->depth] = false;
}

static void close_container(struct json_writer *jw, char c)
{
	bool had_items;

	assert(jw->depth > 0 && !jw->after_key);
	had_items = jw->has_items[jw->depth];
	jw->depth--;
	/* Empty containers stay on one line: [] and {}. */
	if (jw->pretty && had_items)
		newline_indent(jw);
	fputc(c, jw->f);
}

void json_open_object(struct json_writer *jw)
{
	open_container(jw, '{');
}

void json_close_object(struct json_writer *jw)
{
	close_container(jw, '}');
}

void json_open_array(struct json_writer *jw)
{
	open_container(jw, '[');
}

void json_close_array(struct json_writer *jw)
{
	close_container(jw, ']');
}

void json_key(struct json_writer *jw, const char *key)
{
	assert(jw->depth > 0 && !jw->after_key);
	separate(jw);
	json_write_string(jw->f, key);
	fputs(jw->pretty ? ": " : ":", jw->f);
	jw->after_key = true;
}

void json_string(struct json_writer *jw, const char *s)
{
	begin_value(jw);
	json_write_string(jw->f, s);
}

void json_u64(struct json_writer *jw, uint64_t v)
{
	/* Integers only, never through double: u64 counters stay exact. */
	begin_value(jw);
	fprintf(jw->f, "%" PRIu64, v);
}

void json_bool(struct json_writer *jw, bool v)
{
	begin_value(jw);
	fputs(v ? "true" : "false", jw->f);
}

void json_null(struct json_writer *jw)
{
	begin_value(jw);
	fputs("null", jw->f);
}

void json_kv_string(struct json_writer *jw, const char *key, const char *s)
{
	json_key(jw, key);
	json_string(jw, s);
}

void json_kv_u64(struct json_writer *jw, const char *key, uint64_t v)
{
	json_key(jw, key);
	json_u64(jw, v);
}

void json_kv_bool(struct json_writer *jw, const char *key, bool v)
{
	json_key(jw, key);
	json_bool(jw, v);
}

void json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	while (*s) {
		unsigned char c = (unsigned char)*s;
		size_t n;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			s++;
		} else if (c < 0x20 || c == 0x7f) {
			/* DEL is legal JSON but invisible and terminal-hostile. */
			fprintf(f, "\\u%04x", c);
			s++;
		} else if ((n = dg_utf8_seqlen(s)) > 0) {
			fwrite(s, 1, n, f);
			s += n;
		} else {
			fprintf(f, "\\u%04x", c);
			s++;
		}
	}
	fputc('"', f);
}
