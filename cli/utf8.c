// SPDX-License-Identifier: GPL-2.0-only
/*
 * utf8.c - strict UTF-8 sequence validation (see utf8.h), following the
 * table of well-formed byte sequences in RFC 3629 section 4.
 */
#include "utf8.h"

static int in(unsigned char c, unsigned char lo, unsigned char hi)
{
	return c >= lo && c <= hi;
}

size_t dg_utf8_seqlen(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (in(s[0], 0xc2, 0xdf)) {
		len = 2;
	} else if (in(s[0], 0xe0, 0xef)) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* UTF-16 surrogates */
	} else if (in(s[0], 0xf0, 0xf4)) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;	/* continuation byte, 0xc0/0xc1 or 0xf5-0xff */
	}

	/* The terminating NUL fails these tests, so no read runs past it. */
	if (!in(s[1], lo, hi))
		return 0;
	for (size_t i = 2; i < len; i++)
		if (!in(s[i], 0x80, 0xbf))
			return 0;
	return len;
}
