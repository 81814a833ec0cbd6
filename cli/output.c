// SPDX-License-Identifier: GPL-2.0-only
/*
 * output.c - the one printing path for command results.
 *
 * As in iproute2's json_print, each field is printed by one call that knows
 * both its JSON key and its text rendering, so text and JSON cannot drift
 * apart field by field. The exceptions are `status`, whose JSON groups
 * hooks by attribute ("hooks", "armed") while text shows one line per hook,
 * and `doctor`, whose text is a report for people (wrapped prose, a summary
 * at the end) rather than one line per field: it has its own file,
 * doctor_print.c. The Prometheus format is text-only and lives in its own
 * function.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include "json.h"
#include "output.h"
#include "utf8.h"

struct printer {
	FILE *f;
	bool json;
	struct json_writer jw;
};

static void printer_init(struct printer *p, const struct dg_out *o)
{
	p->f = o->f;
	p->json = o->fmt == DG_FMT_JSON;
	json_init(&p->jw, o->f, o->pretty);
}

void dg_print_name(FILE *f, const char *s, bool quoted)
{
	if (quoted)
		fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else if (quoted && (c == '"' || c == '\\'))
			fprintf(f, "\\%c", c);
		else
			fputc(c, f);
	}
	if (quoted)
		fputc('"', f);
}

/*
 * A string field: JSON member @key, or in text @pre, the value (escaped;
 * quoted if @quoted) and @post. @pre == NULL means JSON only.
 */
static void print_string(struct printer *p, const char *key, const char *pre,
			 const char *value, bool quoted, const char *post)
{
	if (p->json) {
		json_kv_string(&p->jw, key, value);
	} else if (pre) {
		fputs(pre, p->f);
		dg_print_name(p->f, value, quoted);
		fputs(post, p->f);
	}
}

static void print_u64(struct printer *p, const char *key, const char *pre,
		      uint64_t value, const char *post)
{
	if (p->json) {
		json_kv_u64(&p->jw, key, value);
	} else if (pre) {
		fprintf(p->f, "%s%" PRIu64 "%s", pre, value, post);
	}
}

/* Text-only decoration. */
static void print_text(struct printer *p, const char *text)
{
	if (!p->json)
		fputs(text, p->f);
}

static void open_object(struct printer *p, const char *key)
{
	if (!p->json)
		return;
	if (key)
		json_key(&p->jw, key);
	json_open_object(&p->jw);
}

static void close_object(struct printer *p)
{
	if (p->json)
		json_close_object(&p->jw);
}

static void open_list(struct printer *p)
{
	if (p->json)
		json_open_array(&p->jw);
}

static void close_list(struct printer *p)
{
	if (p->json) {
		json_close_array(&p->jw);
		json_finish(&p->jw);
	}
}

static const char *mode_str(int mode)
{
	const char *s = dg_mode_name(mode);

	return s ? s : "unknown";
}

/*
 * The per-hook details a newer module reports, keyed by hook name like
 * "hooks" and "armed": "kind", "hits", "users", and "errors" (only the
 * hooks whose attach failed: errno name text). Then "unguarded".
 */
static void status_json_details(struct json_writer *jw, const struct dg_status *st)
{
	bool details = false;

	for (size_t i = 0; i < st->n_hooks; i++)
		details |= st->hooks[i].has_details;
	if (details) {
		json_key(jw, "kind");
		json_open_object(jw);
		for (size_t i = 0; i < st->n_hooks; i++)
			json_kv_string(jw, st->hooks[i].name, dg_hook_kind_name(st->hooks[i].kind));
		json_close_object(jw);
		json_key(jw, "hits");
		json_open_object(jw);
		for (size_t i = 0; i < st->n_hooks; i++)
			json_kv_u64(jw, st->hooks[i].name, st->hooks[i].hits);
		json_close_object(jw);
		json_key(jw, "users");
		json_open_object(jw);
		for (size_t i = 0; i < st->n_hooks; i++)
			json_kv_u64(jw, st->hooks[i].name, st->hooks[i].users);
		json_close_object(jw);
		json_key(jw, "errors");
		json_open_object(jw);
		for (size_t i = 0; i < st->n_hooks; i++)
			if (st->hooks[i].error)
				json_kv_string(jw, st->hooks[i].name,
					       strerror((int)st->hooks[i].error));
		json_close_object(jw);
	}
	if (st->has_unguarded)
		json_kv_u64(jw, "unguarded", st->nr_unguarded);
}

void dg_print_status(const struct dg_out *o, const struct dg_status *st)
{
	struct printer p;

	printer_init(&p, o);
	if (p.json) {
		struct json_writer *jw = &p.jw;

		json_open_object(jw);
		json_kv_string(jw, "version", st->version);
		json_key(jw, "hooks");
		json_open_object(jw);
		for (size_t i = 0; i < st->n_hooks; i++)
			json_kv_bool(jw, st->hooks[i].name, st->hooks[i].attached);
		json_close_object(jw);
		json_key(jw, "armed");
		json_open_object(jw);
		for (size_t i = 0; i < st->n_hooks; i++)
			json_kv_bool(jw, st->hooks[i].name, st->hooks[i].armed);
		json_close_object(jw);
		json_kv_u64(jw, "probe_missed", st->probe_missed);
		status_json_details(jw, st);
		if (st->has_objects) {
			json_key(jw, "objects");
			json_open_object(jw);
			json_kv_u64(jw, "interfaces", st->nr_ifaces);
			json_kv_u64(jw, "rules", st->nr_rules);
			json_close_object(jw);
		}
		json_close_object(jw);
		json_finish(jw);
		return;
	}

	fputs("module version: ", p.f);
	dg_print_name(p.f, st->version, false);
	fputc('\n', p.f);
	if (st->n_hooks == 0)
		fputs("no hooks reported\n", p.f);
	for (size_t i = 0; i < st->n_hooks; i++) {
		const struct dg_hook *h = &st->hooks[i];

		fputs("hook ", p.f);
		dg_print_name(p.f, h->name, false);
		if (h->has_details)
			fprintf(p.f, " (%s)", dg_hook_kind_name(h->kind));
		fprintf(p.f, ": %s, %s, missed %" PRIu64,
			h->attached ? "attached" : "not attached",
			h->armed ? "armed" : "disarmed", h->missed);
		if (h->has_details)
			fprintf(p.f, ", hits %" PRIu64 ", users %" PRIu32,
				h->hits, h->users);
		if (h->error)
			fprintf(p.f, ", error: %s", strerror((int)h->error));
		fputc('\n', p.f);
	}
	fprintf(p.f, "probe misses: %" PRIu64 "\n", st->probe_missed);
	if (st->has_unguarded)
		fprintf(p.f, "unguarded interfaces (veto without a hook): %" PRIu32 "\n",
			st->nr_unguarded);
	if (st->has_objects)
		fprintf(p.f, "objects: %" PRIu32 " interface entries, %" PRIu32
			" rules (all namespaces)\n", st->nr_ifaces, st->nr_rules);
}

/* "vlanabc (5): mode veto" and the JSON members behind it. */
static void print_dev_head(struct printer *p, const struct dg_dev *d)
{
	print_string(p, "ifname", "", d->ifname, false, "");
	print_u64(p, "ifindex", " (", d->ifindex, "):");
	print_string(p, "mode", " mode ", mode_str(d->mode), false, "");
}

/*
 * In veto: the hook that guards it (" hook rx_handler"), or why none does
 * (" NOT GUARDED: Device or resource busy"). JSON: "veto_hook" always
 * (a module that reports it), "hook_error" only when not guarded.
 */
static void print_guard(struct printer *p, const struct dg_dev *d)
{
	if (!d->has_veto_hook)
		return;
	if (p->json)
		json_kv_string(&p->jw, "veto_hook", dg_hook_kind_name(d->veto_hook));
	else if (d->mode == DEMUXGUARD_MODE_VETO && !dg_dev_unguarded(d))
		fprintf(p->f, " hook %s", dg_hook_kind_name(d->veto_hook));
	if (dg_dev_unguarded(d))
		print_string(p, "hook_error", " NOT GUARDED: ",
			     strerror((int)d->hook_error), false, "");
}

void dg_print_devs(const struct dg_out *o, const struct dg_dev_list *l)
{
	struct printer p;

	printer_init(&p, o);
	open_list(&p);
	for (size_t i = 0; i < l->n; i++) {
		const struct dg_dev *d = &l->v[i];
		const char *src = dg_source_name(d->source);

		open_object(&p, NULL);
		print_dev_head(&p, d);
		switch (d->source) {
		case DEMUXGUARD_SOURCE_RULE:
			print_string(&p, "source", NULL, src, false, "");
			print_string(&p, "rule", " (rule ", d->rule, true, ")");
			break;
		case DEMUXGUARD_SOURCE_EXPLICIT:
			print_string(&p, "source", " (", src, false, ")");
			break;
		case DEMUXGUARD_SOURCE_NONE:
			print_string(&p, "source", NULL, src, false, "");
			print_text(&p, " (no policy)");
			break;
		default:
			print_string(&p, "source", " (source ", "unknown", false, ")");
			break;
		}
		print_guard(&p, d);
		print_text(&p, "\n");
		close_object(&p);
	}
	close_list(&p);
}

void dg_print_rules(const struct dg_out *o, const struct dg_rule_list *l)
{
	struct printer p;

	printer_init(&p, o);
	open_list(&p);
	for (size_t i = 0; i < l->n; i++) {
		const struct dg_rule *r = &l->v[i];

		open_object(&p, NULL);
		/* Quoted, so the empty prefix is visible: prefix "" mode veto */
		print_string(&p, "prefix", "prefix ", r->prefix, true, "");
		print_string(&p, "mode", " mode ", mode_str(r->mode), false, "\n");
		close_object(&p);
	}
	close_list(&p);
}

static void print_prometheus(const struct dg_out *o, const struct dg_dev_list *l);

void dg_print_stats(const struct dg_out *o, const struct dg_dev_list *l)
{
	struct printer p;

	if (o->fmt == DG_FMT_PROMETHEUS) {
		print_prometheus(o, l);
		return;
	}

	printer_init(&p, o);
	open_list(&p);
	for (size_t i = 0; i < l->n; i++) {
		const struct dg_dev *d = &l->v[i];

		open_object(&p, NULL);
		print_dev_head(&p, d);
		print_text(&p, "\n");
		for (int fam = 0; fam < DG_FAM_COUNT; fam++) {
			open_object(&p, dg_family_names[fam]);
			if (!p.json)
				fprintf(p.f, "    %s:", dg_family_names[fam]);
			for (int c = 0; c < DG_C_COUNT; c++) {
				if (p.json)
					json_kv_u64(&p.jw, dg_counters[c].name,
						    d->stats[fam][c]);
				else
					fprintf(p.f, " %s %" PRIu64,
						dg_counters[c].name,
						d->stats[fam][c]);
			}
			print_text(&p, "\n");
			close_object(&p);
		}
		close_object(&p);
	}
	close_list(&p);
}

/*
 * Prometheus text exposition format, as read by node-exporter's textfile
 * collector. Label values escape '\', '"' and newline; the format is UTF-8,
 * and a single malformed byte would make the collector reject the whole
 * file, so such bytes become U+FFFD.
 */
void dg_prom_label_value(FILE *f, const char *s)
{
	while (*s) {
		size_t n;

		if (*s == '\\' || *s == '"') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s == '\n') {
			fputs("\\n", f);
			s++;
		} else if ((n = dg_utf8_seqlen(s)) > 0) {
			fwrite(s, 1, n, f);
			s += n;
		} else {
			fputs("\xef\xbf\xbd", f);
			s++;
		}
	}
}

static void print_prometheus(const struct dg_out *o, const struct dg_dev_list *l)
{
	FILE *f = o->f;

	/*
	 * All samples of one metric family must be contiguous and follow its
	 * HELP and TYPE lines, so iterate counters outermost. HELP and TYPE
	 * are written even with no interfaces: a valid, empty family.
	 */
	for (int c = 0; c < DG_C_COUNT; c++) {
		const char *name = dg_counters[c].name;

		/* Help strings are constants without '\' or newline. */
		fprintf(f, "# HELP demuxguard_%s_total %s\n", name,
			dg_counters[c].help);
		fprintf(f, "# TYPE demuxguard_%s_total counter\n", name);
		for (size_t i = 0; i < l->n; i++) {
			const struct dg_dev *d = &l->v[i];

			for (int fam = 0; fam < DG_FAM_COUNT; fam++) {
				fprintf(f, "demuxguard_%s_total{ifname=\"", name);
				dg_prom_label_value(f, d->ifname);
				fprintf(f, "\",family=\"%s\",mode=\"",
					dg_family_names[fam]);
				dg_prom_label_value(f, mode_str(d->mode));
				if (o->netns) {
					/*
					 * Keeps series from several namespaces
					 * apart when their files are collected
					 * side by side.
					 */
					fputs("\",netns=\"", f);
					dg_prom_label_value(f, o->netns);
				}
				fprintf(f, "\"} %" PRIu64 "\n",
					d->stats[fam][c]);
			}
		}
	}

	fputs("# HELP demuxguard_unguarded 1 if the interface is in veto but no veto hook could attach to it: it is NOT guarded.\n"
	      "# TYPE demuxguard_unguarded gauge\n", f);
	for (size_t i = 0; i < l->n; i++) {
		const struct dg_dev *d = &l->v[i];

		fputs("demuxguard_unguarded{ifname=\"", f);
		dg_prom_label_value(f, d->ifname);
		fputs("\",mode=\"", f);
		dg_prom_label_value(f, mode_str(d->mode));
		if (o->netns) {
			fputs("\",netns=\"", f);
			dg_prom_label_value(f, o->netns);
		}
		fprintf(f, "\"} %d\n", dg_dev_unguarded(d) ? 1 : 0);
	}
}

/* ---- prose ------------------------------------------------------------- */

/* Write @n bytes of @s, control bytes as \xNN (as dg_print_name does). */
static void put_escaped(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

void dg_print_wrapped(FILE *f, const char *indent, const char *text)
{
	size_t width = DG_TEXT_COLUMNS - strlen(indent);

	while (*text) {
		size_t len = strlen(text), cut = len;

		if (len > width) {
			cut = width;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)	/* one overlong word: break after it */
				cut = strcspn(text, " ");
		}
		fputs(indent, f);
		put_escaped(f, text, cut);
		fputc('\n', f);
		text += cut;
		while (*text == ' ')
			text++;
	}
}
