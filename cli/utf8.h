/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * utf8.h - UTF-8 validation. Interface names are arbitrary bytes to the
 * kernel, but JSON and the Prometheus text format must be valid UTF-8, so
 * every writer asks here how long the valid sequence at a position is.
 */
#ifndef DG_UTF8_H
#define DG_UTF8_H

#include <stddef.h>

/*
 * Length (1-4) of the well-formed UTF-8 sequence starting at @s, which is
 * NUL-terminated, or 0 if the bytes there are not well-formed (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF). A NUL byte
 * counts as a one-byte sequence.
 */
size_t dg_utf8_seqlen(const char *s);

#endif /* DG_UTF8_H */
