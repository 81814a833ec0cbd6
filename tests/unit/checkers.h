/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * checkers.h - strict validators for the tool's machine-readable output:
 * JSON (RFC 8259) and the Prometheus text exposition format. Written
 * independently of the code under test (own UTF-8 decoder included), so a
 * bug there is not mirrored here.
 */
#ifndef DG_TEST_CHECKERS_H
#define DG_TEST_CHECKERS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Strict JSON: exactly one value, RFC 8259 grammar, valid UTF-8, no
 * unpaired surrogate escapes, no duplicate keys in an object. Returns true
 * if valid, else false with a reason in @why.
 */
bool json_valid(const char *s, size_t len, char *why, size_t whylen);

/*
 * JSON validity according to python3's json module with duplicate keys
 * and NaN/Infinity refused. Returns 1 valid, 0 invalid, -1 if python3 is
 * not available.
 */
int json_valid_python(const char *s, char *why, size_t whylen);

/*
 * Prometheus text format 0.0.4 as node-exporter parses it: metric and
 * label names, label value escapes (\\, \", \n only), numeric values,
 * HELP/TYPE at most once per family and TYPE before its samples, samples
 * of a family contiguous, no duplicate series, valid UTF-8, final newline.
 */
bool prom_valid(const char *s, char *why, size_t whylen);

/* Strict UTF-8 check of @len bytes. */
bool utf8_valid(const unsigned char *s, size_t len);

#endif /* DG_TEST_CHECKERS_H */
