/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * buf.h - the two small buffers the CLI's files share: a growable array of
 * plain structs and a bounded string that is appended to and silently cut
 * at its end (a reason or a command longer than its field is truncated,
 * never overrun).
 */
#ifndef DG_BUF_H
#define DG_BUF_H

#include <stddef.h>

/*
 * Grow the array @*v (@*n used of @*cap elements of @size bytes) by one
 * element, zeroed, and return it; NULL when out of memory (@*v unchanged).
 */
void *dg_grow(void **v, size_t *n, size_t *cap, size_t size);

/* Append to @s (@len bytes, NUL included) from offset @off. */
struct sbuf {
	char *s;
	size_t len, off;
};

void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* DG_BUF_H */
