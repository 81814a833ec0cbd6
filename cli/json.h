/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * json.h - a small streaming JSON writer (RFC 8259), in the spirit of
 * iproute2's json_writer: the caller opens and closes objects and arrays
 * and emits keys and values; the writer places commas, colons and, when
 * pretty, newlines and indentation. Strings are always emitted as valid
 * UTF-8 JSON whatever bytes they hold (see json_write_string for what
 * becomes of bytes that are not UTF-8).
 */
#ifndef DG_JSON_H
#define DG_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Our documents nest three levels deep; this leaves ample room. */
#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *f;
	bool pretty;
	unsigned int depth;
	bool after_key;			/* a key was written, value pending */
	bool has_items[JSON_MAX_DEPTH + 1];	/* per level: comma needed */
};

void json_init(struct json_writer *jw, FILE *f, bool pretty);
/* Ends the document with a newline; all containers must be closed. */
void json_finish(struct json_writer *jw);

void json_open_object(struct json_writer *jw);
void json_close_object(struct json_writer *jw);
void json_open_array(struct json_writer *jw);
void json_close_array(struct json_writer *jw);

void json_key(struct json_writer *jw, const char *key);
void json_string(struct json_writer *jw, const char *s);
void json_u64(struct json_writer *jw, uint64_t v);
void json_bool(struct json_writer *jw, bool v);
void json_null(struct json_writer *jw);

/* key + value shorthands */
void json_kv_string(struct json_writer *jw, const char *key, const char *s);
void json_kv_u64(struct json_writer *jw, const char *key, uint64_t v);
void json_kv_bool(struct json_writer *jw, const char *key, bool v);

/*
 * Write @s as a quoted JSON string. '"' and '\' are backslash-escaped,
 * control characters (U+0000-U+001F) and DEL as \u00XX; well-formed UTF-8
 * passes through unchanged, and every byte that is not part of a
 * well-formed sequence is written as \u00XX, its Latin-1 reading, so the
 * output is valid UTF-8 and I-JSON (RFC 7493: no lone surrogates).
 *
 * Distinct inputs give distinct JSON *text* (a raw multi-byte sequence
 * never looks like a \u escape), but not always distinct *values*: a
 * parser decodes the invalid byte "\xE9" ("\u00e9") and the valid
 * "\xC3\xA9" ("é") to the same string. No escaping can keep every valid
 * string as it is, map invalid bytes to Unicode scalar values and stay
 * injective; the one that does, lone surrogates (Python's
 * surrogateescape), is refused by strict parsers (serde_json, I-JSON), and
 * one odd interface name would then make a whole report unreadable. Every
 * object that carries a name also carries its ifindex, which identifies
 * it exactly.
 */
void json_write_string(FILE *f, const char *s);

#endif /* DG_JSON_H */
