// SPDX-License-Identifier: GPL-2.0-only
/*
 * buf.c - growable arrays and bounded strings (see buf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void *dg_grow(void **v, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *nv = reallocarray(*v, ncap, size);

		if (!nv)
			return NULL;
		*v = nv;
		*cap = ncap;
	}
	return memset((char *)*v + (*n)++ * size, 0, size);
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->off >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->off += (size_t)n;
	if (b->off >= b->len)
		b->off = b->len;
}
