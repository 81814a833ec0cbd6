// SPDX-License-Identifier: GPL-2.0-only
/*
 * checkers.c - strict JSON and Prometheus text format validators used by
 * the unit tests (see checkers.h).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkers.h"
#include "harness.h"

/* ---- UTF-8 ------------------------------------------------------------ */

/*
 * Decode one code point; returns its byte length or 0 if ill-formed
 * (overlong, surrogate, > U+10FFFF, truncated, stray continuation byte).
 */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool utf8_valid(const unsigned char *s, size_t len)
{
	uint32_t cp;

	while (len) {
		size_t n = utf8_decode(s, len, &cp);

		if (!n)
			return false;
		s += n;
		len -= n;
	}
	return true;
}

/* ---- JSON ------------------------------------------------------------- */

struct jp {
	const unsigned char *s;
	size_t len, pos;
	char *why;
	size_t whylen;
	int depth;
};

static bool jfail(struct jp *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->why, p->whylen, "at byte %zu: ", p->pos);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->whylen)
		vsnprintf(p->why + n, p->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

static void jws(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(struct jp *p, unsigned int *v)
{
	*v = 0;
	if (p->pos + 4 > p->len)
		return jfail(p, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		int h = hexval(p->s[p->pos++]);

		if (h < 0)
			return jfail(p, "bad hex digit in \\u escape");
		*v = *v * 16 + (unsigned int)h;
	}
	return true;
}

/* Parse a string; its decoded bytes go to @out (may be NULL). */
static bool jstring(struct jp *p, char **out)
{
	struct mem m;

	if (out)
		mem_open(&m);
	p->pos++;	/* opening quote */
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len) {
			if (out)
				free(mem_close(&m));
			return jfail(p, "unterminated string");
		}
		c = p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			if (out)
				free(mem_close(&m));
			return jfail(p, "raw control byte 0x%02x in string", c);
		}
		if (c == '\\') {
			unsigned int v, lo;

			p->pos++;
			if (p->pos >= p->len)
				goto bad;
			c = p->s[p->pos++];
			switch (c) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				if (out)
					fputc(c, m.f);
				continue;
			case 'u':
				if (!hex4(p, &v))
					goto bad_quiet;
				if (v >= 0xdc00 && v <= 0xdfff) {
					jfail(p, "unpaired low surrogate");
					goto bad_quiet;
				}
				if (v >= 0xd800 && v <= 0xdbff) {
					if (p->pos + 2 > p->len ||
					    p->s[p->pos] != '\\' ||
					    p->s[p->pos + 1] != 'u') {
						jfail(p, "unpaired high surrogate");
						goto bad_quiet;
					}
					p->pos += 2;
					if (!hex4(p, &lo))
						goto bad_quiet;
					if (lo < 0xdc00 || lo > 0xdfff) {
						jfail(p, "bad low surrogate");
						goto bad_quiet;
					}
				}
				if (out)
					fprintf(m.f, "\\u%04x", v);
				continue;
			default:
				goto bad;
			}
		}
		{
			uint32_t cp;
			size_t n = utf8_decode(p->s + p->pos, p->len - p->pos, &cp);

			if (!n) {
				jfail(p, "invalid UTF-8 in string");
				goto bad_quiet;
			}
			if (out)
				fwrite(p->s + p->pos, 1, n, m.f);
			p->pos += n;
		}
	}
	if (out)
		*out = mem_close(&m);
	return true;
bad:
	jfail(p, "bad escape");
bad_quiet:
	if (out)
		free(mem_close(&m));
	return false;
}

static bool jnumber(struct jp *p)
{
	size_t start = p->pos;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || !isdigit(p->s[p->pos]))
		return jfail(p, "bad number");
	if (p->s[p->pos] == '0') {
		p->pos++;
		if (p->pos < p->len && isdigit(p->s[p->pos]))
			return jfail(p, "leading zero");
	} else {
		while (p->pos < p->len && isdigit(p->s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || !isdigit(p->s[p->pos]))
			return jfail(p, "bad fraction");
		while (p->pos < p->len && isdigit(p->s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || !isdigit(p->s[p->pos]))
			return jfail(p, "bad exponent");
		while (p->pos < p->len && isdigit(p->s[p->pos]))
			p->pos++;
	}
	return p->pos > start;
}

static bool jvalue(struct jp *p);

static bool jobject(struct jp *p)
{
	char **keys = NULL;
	size_t nkeys = 0;
	bool ok = false;

	p->pos++;
	jws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return true;
	}
	for (;;) {
		char *key;

		jws(p);
		if (p->pos >= p->len || p->s[p->pos] != '"') {
			jfail(p, "expected a key");
			goto out;
		}
		if (!jstring(p, &key))
			goto out;
		for (size_t i = 0; i < nkeys; i++) {
			if (strcmp(keys[i], key) == 0) {
				jfail(p, "duplicate key \"%s\"", key);
				free(key);
				goto out;
			}
		}
		keys = realloc(keys, (nkeys + 1) * sizeof(*keys));
		keys[nkeys++] = key;
		jws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':') {
			jfail(p, "expected ':'");
			goto out;
		}
		p->pos++;
		if (!jvalue(p))
			goto out;
		jws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			ok = true;
			goto out;
		}
		jfail(p, "expected ',' or '}'");
		goto out;
	}
out:
	for (size_t i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	return ok;
}

static bool jarray(struct jp *p)
{
	p->pos++;
	jws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return true;
	}
	for (;;) {
		if (!jvalue(p))
			return false;
		jws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			return true;
		}
		return jfail(p, "expected ',' or ']'");
	}
}

static bool jliteral(struct jp *p, const char *lit)
{
	size_t n = strlen(lit);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n) != 0)
		return jfail(p, "unexpected character");
	p->pos += n;
	return true;
}

static bool jvalue(struct jp *p)
{
	bool ok;

	jws(p);
	if (p->pos >= p->len)
		return jfail(p, "expected a value");
	if (++p->depth > 64)
		return jfail(p, "too deep");
	switch (p->s[p->pos]) {
	case '{': ok = jobject(p); break;
	case '[': ok = jarray(p); break;
	case '"': ok = jstring(p, NULL); break;
	case 't': ok = jliteral(p, "true"); break;
	case 'f': ok = jliteral(p, "false"); break;
	case 'n': ok = jliteral(p, "null"); break;
	default: ok = jnumber(p); break;
	}
	p->depth--;
	return ok;
}

bool json_valid(const char *s, size_t len, char *why, size_t whylen)
{
	struct jp p = { .s = (const unsigned char *)s, .len = len, .why = why,
			.whylen = whylen };

	why[0] = '\0';
	if (!jvalue(&p))
		return false;
	jws(&p);
	if (p.pos != p.len)
		return jfail(&p, "trailing data");
	return true;
}

int json_valid_python(const char *s, char *why, size_t whylen)
{
	static int have_python = -1;
	static const char script[] =
		"import json, sys\n"
		"def pairs(p):\n"
		"    keys = [k for k, _ in p]\n"
		"    if len(keys) != len(set(keys)):\n"
		"        raise ValueError('duplicate key')\n"
		"    return dict(p)\n"
		"def const(c):\n"
		"    raise ValueError('non-standard constant ' + c)\n"
		"text = open(sys.argv[1], 'rb').read().decode('utf-8', 'strict')\n"
		"json.loads(text, object_pairs_hook=pairs, parse_constant=const)\n";
	char *path, *argv[] = { "python3", "-c", (char *)script, NULL, NULL };
	struct run r;
	int ok;

	if (have_python < 0) {
		char *probe[] = { "python3", "-c", "import json", NULL };

		have_python = run_prog(probe, NULL, false, &r) == 0 &&
			      r.status == 0;
		run_free(&r);
	}
	if (!have_python)
		return -1;

	path = write_temp(s, strlen(s));
	argv[3] = path;
	ok = run_prog(argv, NULL, false, &r) == 0 && r.status == 0;
	if (!ok)
		snprintf(why, whylen, "python3: %s", r.err ? r.err : "?");
	run_free(&r);
	unlink(path);
	free(path);
	return ok;
}

/* ---- Prometheus text format ------------------------------------------- */

struct family {
	char name[128];
	bool help, type, samples, closed;
};

struct pp {
	char *why;
	size_t whylen;
	int lineno;
	struct family fam[64];
	int nfam;
	int current;		/* family whose samples came last, or -1 */
	char **series;
	size_t nseries;
};

static bool pfail(struct pp *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->why, p->whylen, "line %d: ", p->lineno);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->whylen)
		vsnprintf(p->why + n, p->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

static struct family *pfamily(struct pp *p, const char *name)
{
	for (int i = 0; i < p->nfam; i++)
		if (strcmp(p->fam[i].name, name) == 0)
			return &p->fam[i];
	if (p->nfam == 64)
		return NULL;
	snprintf(p->fam[p->nfam].name, sizeof(p->fam[0].name), "%s", name);
	return &p->fam[p->nfam++];
}

/* Metric name [a-zA-Z_:][a-zA-Z0-9_:]*; label names without ':'. */
static size_t pname(const char *s, bool metric)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)s[0]) || s[0] == '_' ||
	      (metric && s[0] == ':')))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_' ||
	       (metric && s[n] == ':'))
		n++;
	return n;
}

/* A sample value: Go float syntax as the parser accepts it. */
static bool pvalue(const char *s)
{
	char *end;

	if (!strcmp(s, "NaN") || !strcmp(s, "+Inf") || !strcmp(s, "-Inf"))
		return true;
	if (!*s || isspace((unsigned char)*s))
		return false;
	strtod(s, &end);
	return *end == '\0' && strpbrk(s, "xXpPiInN") == NULL;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool psample(struct pp *p, char *line)
{
	char name[128], *s = line, *labels[32], *series;
	size_t n = pname(s, true), nl = 0;
	struct family *f;
	bool ok = false;
	struct mem m;

	if (!n || n >= sizeof(name))
		return pfail(p, "bad metric name");
	memcpy(name, s, n);
	name[n] = '\0';
	s += n;

	if (*s == '{') {
		s++;
		while (*s != '}') {
			size_t ln = pname(s, false);
			struct mem lm;

			if (!ln)
				goto badlabel;
			if (ln >= 2 && s[0] == '_' && s[1] == '_') {
				pfail(p, "reserved label name");
				goto out;
			}
			if (nl == 32) {
				pfail(p, "too many labels");
				goto out;
			}
			mem_open(&lm);
			fwrite(s, 1, ln, lm.f);
			s += ln;
			if (s[0] != '=' || s[1] != '"') {
				free(mem_close(&lm));
				goto badlabel;
			}
			s += 2;
			fputc('=', lm.f);
			while (*s != '"') {
				if (!*s) {
					free(mem_close(&lm));
					pfail(p, "unterminated label value");
					goto out;
				}
				if (*s == '\\') {
					if (s[1] != '\\' && s[1] != '"' && s[1] != 'n') {
						free(mem_close(&lm));
						pfail(p, "invalid escape \\%c in label value", s[1]);
						goto out;
					}
					fputc(*s++, lm.f);
				}
				fputc(*s++, lm.f);
			}
			s++;
			labels[nl++] = mem_close(&lm);
			for (size_t i = 0; i + 1 < nl; i++) {
				size_t a = strcspn(labels[i], "=");

				if (a == ln && !strncmp(labels[i], labels[nl - 1], a)) {
					pfail(p, "duplicate label");
					goto out;
				}
			}
			if (*s == ',')
				s++;
			else if (*s != '}')
				goto badlabel;
		}
		s++;
	}
	if (*s != ' ' && *s != '\t') {
		pfail(p, "expected whitespace before the value");
		goto out;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	{
		char *sp = strpbrk(s, " \t");

		if (sp) {	/* optional timestamp: an integer */
			char *ts = sp, *end;

			*sp = '\0';
			while (*++ts == ' ' || *ts == '\t')
				;
			strtoll(ts, &end, 10);
			if (!*ts || *end) {
				pfail(p, "bad timestamp");
				goto out;
			}
		}
	}
	if (!pvalue(s)) {
		pfail(p, "bad value \"%s\"", s);
		goto out;
	}

	f = pfamily(p, name);
	if (!f) {
		pfail(p, "too many families");
		goto out;
	}
	if (f->closed) {
		pfail(p, "samples of %s are not contiguous", name);
		goto out;
	}
	if (p->current >= 0 && &p->fam[p->current] != f)
		p->fam[p->current].closed = true;
	p->current = (int)(f - p->fam);
	f->samples = true;

	qsort(labels, nl, sizeof(labels[0]), cmpstr);
	mem_open(&m);
	fputs(name, m.f);
	for (size_t i = 0; i < nl; i++)
		fprintf(m.f, "\x01%s", labels[i]);
	series = mem_close(&m);
	for (size_t i = 0; i < p->nseries; i++) {
		if (!strcmp(p->series[i], series)) {
			free(series);
			pfail(p, "duplicate series");
			goto out;
		}
	}
	p->series = realloc(p->series, (p->nseries + 1) * sizeof(char *));
	p->series[p->nseries++] = series;
	ok = true;
	goto out;

badlabel:
	pfail(p, "malformed label set");
out:
	for (size_t i = 0; i < nl; i++)
		free(labels[i]);
	return ok;
}

static bool pmeta(struct pp *p, char *line)
{
	bool help = !strncmp(line, "# HELP ", 7);
	char *s = line + 7, name[128];
	size_t n = pname(s, true);
	struct family *f;

	if (!n || n >= sizeof(name) || (s[n] != ' ' && s[n] != '\0'))
		return pfail(p, "bad metric name in %s", help ? "HELP" : "TYPE");
	memcpy(name, s, n);
	name[n] = '\0';
	s += n;
	if (*s == ' ')
		s++;
	f = pfamily(p, name);
	if (!f)
		return pfail(p, "too many families");
	if (f->closed || f->samples)
		return pfail(p, "%s for %s after its samples",
			     help ? "HELP" : "TYPE", name);
	if (help) {
		if (f->help)
			return pfail(p, "second HELP for %s", name);
		f->help = true;
		for (; *s; s++)
			if (*s == '\\' && s[1] != '\\' && s[1] != 'n')
				return pfail(p, "invalid escape in HELP");
			else if (*s == '\\')
				s++;
	} else {
		static const char *const types[] = {
			"counter", "gauge", "histogram", "summary", "untyped",
		};
		bool known = false;

		if (f->type)
			return pfail(p, "second TYPE for %s", name);
		f->type = true;
		for (size_t i = 0; i < 5; i++)
			known |= !strcmp(s, types[i]);
		if (!known)
			return pfail(p, "unknown type \"%s\"", s);
	}
	/* Metadata of another family ends the current family's block. */
	if (p->current >= 0 && &p->fam[p->current] != f) {
		p->fam[p->current].closed = true;
		p->current = -1;
	}
	return true;
}

bool prom_valid(const char *text, char *why, size_t whylen)
{
	struct pp p = { .why = why, .whylen = whylen, .current = -1 };
	char *copy, *line, *next;
	size_t len = strlen(text);
	bool ok = true;

	why[0] = '\0';
	if (!utf8_valid((const unsigned char *)text, len))
		return pfail(&p, "not valid UTF-8");
	if (len && text[len - 1] != '\n')
		return pfail(&p, "no newline at the end");
	copy = strdup(text);
	for (line = copy; ok && *line; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		p.lineno++;
		if (!*line)
			continue;
		if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7))
			ok = pmeta(&p, line);
		else if (line[0] == '#')
			continue;
		else
			ok = psample(&p, line);
	}
	for (size_t i = 0; i < p.nseries; i++)
		free(p.series[i]);
	free(p.series);
	free(copy);
	return ok;
}
