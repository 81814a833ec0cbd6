// SPDX-License-Identifier: GPL-2.0-only
/*
 * doctor_print.c - doctor's report (struct dg_doctor_report, doctor.h) as
 * text for people - wrapped prose per interface, the kernel's answers and
 * where the rule walk differs from them, a summary and the commands at the
 * end - or as one JSON object (its shape is in --help, usage.c).
 */
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include "doctor.h"
#include "fibwalk.h"
#include "json.h"
#include "output.h"

static const char *mode_str(int mode)
{
	const char *s = dg_mode_name(mode);

	return s ? s : "unknown";
}

static void json_sysctl(struct json_writer *jw, const char *key, int v)
{
	json_key(jw, key);
	if (v >= 0)
		json_u64(jw, (uint64_t)v);
	else
		json_null(jw);
}

static void json_kv_string_or_null(struct json_writer *jw, const char *key,
				   const char *s, bool present)
{
	json_key(jw, key);
	if (present)
		json_string(jw, s);
	else
		json_null(jw);
}

static void json_kv_u64_or_null(struct json_writer *jw, const char *key,
				uint64_t v, bool present)
{
	json_key(jw, key);
	if (present)
		json_u64(jw, v);
	else
		json_null(jw);
}

static const char *const result_names[] = {
	[DG_K_LOCAL] = "local",
	[DG_K_FORWARD] = "forward",
	[DG_K_DROP] = "drop",
	[DG_K_ERROR] = "error",
};

/* One RTM_GETROUTE and its answer. */
static void doctor_json_answer(struct json_writer *jw,
			       const struct dg_route_answer *a)
{
	char buf[48];

	json_open_object(jw);
	json_kv_string(jw, "family", dg_family_names[
		       a->family == AF_INET ? DG_FAM_IPV4 : DG_FAM_IPV6]);
	dg_format_addr(buf, sizeof(buf), a->family, a->addr);
	json_kv_string(jw, "address", buf);
	dg_format_addr(buf, sizeof(buf), a->family, a->src);
	json_kv_string_or_null(jw, "source", buf, a->has_src);
	json_kv_string(jw, "iif", a->iif);
	json_kv_string(jw, "result", result_names[a->result]);
	json_kv_string_or_null(jw, "type", dg_route_type_name(a->type),
			       a->result != DG_K_ERROR && !a->err);
	json_kv_u64_or_null(jw, "table", a->table, a->table != 0);
	json_kv_string_or_null(jw, "oif", a->oif, a->oif[0]);
	json_kv_string_or_null(jw, "error", a->err ? strerror(a->err) : "",
			       a->err != 0);
	json_close_object(jw);
}

static void doctor_json_hooks(struct json_writer *jw,
			      const struct dg_doctor_report *r, bool armed)
{
	json_key(jw, armed ? "armed" : "hooks");
	json_open_object(jw);
	for (size_t i = 0; r->module_loaded && i < r->status->n_hooks; i++) {
		const struct dg_hook *h = &r->status->hooks[i];

		json_kv_bool(jw, h->name, armed ? h->armed : h->attached);
	}
	json_close_object(jw);
}

static void doctor_json_if(struct json_writer *jw, const struct dg_doctor_if *x)
{
	json_open_object(jw);
	json_kv_string(jw, "ifname", x->ifname);
	json_kv_u64_or_null(jw, "ifindex", x->ifindex, x->ifindex != 0);
	json_kv_string(jw, "verdict", dg_verdict_names[x->verdict]);
	json_key(jw, "family");
	json_open_array(jw);
	for (int f = 0; f < DG_FAM_COUNT; f++)
		if (x->families & (1u << f))
			json_string(jw, dg_family_names[f]);
	json_close_array(jw);
	json_key(jw, "rule");
	if (x->has_rule) {
		json_open_object(jw);
		json_kv_string(jw, "family", dg_family_names[
			       x->rule_family == AF_INET ? DG_FAM_IPV4 : DG_FAM_IPV6]);
		json_kv_u64(jw, "priority", x->rule_priority);
		json_kv_u64(jw, "table", x->rule_table);
		json_close_object(jw);
	} else {
		json_null(jw);
	}
	json_kv_u64_or_null(jw, "local_rule_priority", x->local_rule_priority,
			    x->has_local_rule);
	json_kv_string_or_null(jw, "address", x->address, x->address[0]);
	json_kv_string_or_null(jw, "route", x->route, x->route[0]);
	json_kv_string(jw, "reason", x->reason);
	json_kv_string_or_null(jw, "mode", mode_str(x->mode), x->policy_known);
	json_kv_string_or_null(jw, "source", x->policy_known &&
			       dg_source_name(x->source) ?
			       dg_source_name(x->source) : "unknown",
			       x->policy_known);
	json_kv_string_or_null(jw, "covering_rule", x->covering,
			       x->policy_known && x->has_covering);
	json_kv_u64_or_null(jw, "fwd_sk_drops", x->fwd_sk_drops, x->policy_known);
	json_kv_u64_or_null(jw, "vetoed", x->vetoed, x->policy_known);
	json_kv_string_or_null(jw, "veto_hook", dg_hook_kind_name(x->veto_hook),
			       x->policy_known && x->veto_hook_known);
	json_kv_u64_or_null(jw, "hook_error", x->hook_error,
			    x->policy_known && x->hook_error);
	json_key(jw, "kernel");
	json_open_array(jw);
	for (size_t i = 0; i < x->n_answers; i++)
		doctor_json_answer(jw, x->answers[i]);
	json_close_array(jw);
	json_kv_string_or_null(jw, "disagreement", x->disagreement,
			       x->disagreement[0]);
	json_close_object(jw);
}

static void doctor_json(const struct dg_out *o, const struct dg_doctor_report *r)
{
	struct json_writer jw;

	json_init(&jw, o->f, o->pretty);
	json_open_object(&jw);

	json_key(&jw, "early_demux");
	json_open_object(&jw);
	json_sysctl(&jw, "ip_early_demux", r->ip_early_demux);
	json_sysctl(&jw, "tcp_early_demux", r->tcp_early_demux);
	json_kv_bool(&jw, "enabled", r->early_demux_on);
	json_close_object(&jw);

	json_key(&jw, "module");
	json_open_object(&jw);
	json_kv_bool(&jw, "loaded", r->module_loaded);
	json_kv_string_or_null(&jw, "version", r->module_loaded ?
			       r->status->version : "", r->module_loaded);
	doctor_json_hooks(&jw, r, false);
	doctor_json_hooks(&jw, r, true);
	json_close_object(&jw);
	json_kv_bool(&jw, "kernel_asked", r->kernel_asked);

	json_key(&jw, "interfaces");
	json_open_array(&jw);
	for (size_t i = 0; i < r->n; i++)
		doctor_json_if(&jw, &r->v[i]);
	json_close_array(&jw);

	json_kv_u64(&jw, "at_risk", r->at_risk);
	json_kv_u64(&jw, "cannot_tell", r->cannot_tell);
	json_kv_u64(&jw, "disagreements", r->disagreements);
	json_key(&jw, "suggestion");
	json_open_array(&jw);
	for (size_t i = 0; i < r->n_cmds; i++)
		json_string(&jw, r->cmds[i].text);
	json_close_array(&jw);

	json_close_object(&jw);
	json_finish(&jw);
}

static void put_sysctl(FILE *f, const char *name, int v)
{
	if (v >= 0)
		fprintf(f, "%s %d", name, v);
	else
		fprintf(f, "%s ?", name);
}

static void doctor_text_demux(FILE *f, const struct dg_doctor_report *r)
{
	char cmd[128] = "";

	fprintf(f, "early demux: %s (", r->early_demux_on ? "on" : "off");
	put_sysctl(f, "net.ipv4.ip_early_demux", r->ip_early_demux);
	fputs(", ", f);
	put_sysctl(f, "net.ipv4.tcp_early_demux", r->tcp_early_demux);
	fputs(")\n", f);
	if (r->early_demux_on)
		return;
	snprintf(cmd, sizeof(cmd), "sysctl -w%s%s",
		 r->ip_early_demux == 0 ? " net.ipv4.ip_early_demux=1" : "",
		 r->tcp_early_demux == 0 ? " net.ipv4.tcp_early_demux=1" : "");
	{
		char text[640];

		snprintf(text, sizeof(text),
			 "With early demux off, every TCP segment the node "
			 "terminates takes a full route lookup instead of its "
			 "socket's cached input route (about 1 %% of small "
			 "request/response throughput, as measured for "
			 "demuxguard), for IPv4 and IPv6 alike. demuxguard makes "
			 "turning it off unnecessary: run the commands at the end "
			 "of this report, if any, then turn it back on with "
			 "\"%s\".", cmd);
		dg_print_wrapped(f, "    ", text);
	}
}

static void put_hook_list(FILE *f, const struct dg_status *st, bool armed)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_hooks; i++) {
		const struct dg_hook *h = &st->hooks[i];

		if (!(armed ? h->armed : h->attached))
			continue;
		fputc(' ', f);
		dg_print_name(f, h->name, false);
		n++;
	}
	if (!n)
		fputs(" none", f);
	fputc('\n', f);
}

static void doctor_text_module(FILE *f, const struct dg_doctor_report *r)
{
	if (!r->module_loaded) {
		fputs("module: not loaded (the routing analysis does not need it)\n",
		      f);
		return;
	}
	fputs("module: loaded, version ", f);
	dg_print_name(f, r->status->version, false);
	fputs("\n    hooks attached:", f);
	put_hook_list(f, r->status, false);
	fputs("    hooks armed:", f);
	put_hook_list(f, r->status, true);
}

/* "    kernel: ipv4 10.0.1.10 from 10.0.2.20 iif vlanabc: forward ..." */
static void put_answer(FILE *f, const struct dg_route_answer *a)
{
	char d[48], s[48], t[16];

	dg_format_addr(d, sizeof(d), a->family, a->addr);
	dg_format_addr(s, sizeof(s), a->family, a->src);
	fprintf(f, "    kernel: %s %s%s%s iif ", dg_family_names[
		a->family == AF_INET ? DG_FAM_IPV4 : DG_FAM_IPV6], d,
		a->has_src ? " from " : "", a->has_src ? s : "");
	dg_print_name(f, a->iif, false);
	fprintf(f, ": %s", result_names[a->result]);
	if (a->result != DG_K_ERROR && !a->err)
		fprintf(f, " (%s", dg_route_type_name(a->type));
	if (a->oif[0] && a->result == DG_K_FORWARD) {
		fputs(" out ", f);
		dg_print_name(f, a->oif, false);
	}
	if (a->table)
		fprintf(f, ", table %s",
			dg_table_name(a->table, t, sizeof(t)));
	if (a->result != DG_K_ERROR && !a->err)
		fputc(')', f);
	if (a->err)
		fprintf(f, " (%s)", strerror(a->err));
	fputc('\n', f);
}

static void doctor_text_if(FILE *f, const struct dg_doctor_if *x)
{
	fputs("  ", f);
	dg_print_name(f, x->ifname, false);
	if (x->ifindex)
		fprintf(f, " (%u)", x->ifindex);
	fprintf(f, ": %s\n", dg_verdict_names[x->verdict]);
	dg_print_wrapped(f, "    ", x->reason);
	for (size_t i = 0; i < x->n_answers; i++)
		put_answer(f, x->answers[i]);
	if (x->disagreement[0]) {
		char text[sizeof(x->disagreement) + 64];

		snprintf(text, sizeof(text), "the rule walk disagrees: %s",
			 x->disagreement);
		dg_print_wrapped(f, "    ", text);
	}
	if (!x->policy_known)
		return;
	fprintf(f, "    mode %s (", mode_str(x->mode));
	switch (x->source) {
	case DEMUXGUARD_SOURCE_RULE:
		fputs("rule ", f);
		dg_print_name(f, x->covering, true);
		break;
	case DEMUXGUARD_SOURCE_EXPLICIT:
		fputs("explicit", f);
		if (x->has_covering) {
			fputs(", overrides rule ", f);
			dg_print_name(f, x->covering, true);
		}
		break;
	case DEMUXGUARD_SOURCE_NONE:
		fputs("no policy", f);
		break;
	default:
		fputs("source unknown", f);
		break;
	}
	fprintf(f, "), fwd_sk_drops %" PRIu64 ", vetoed %" PRIu64,
		x->fwd_sk_drops, x->vetoed);
	if (x->veto_hook_known && x->veto_hook != DEMUXGUARD_HOOK_KIND_NONE)
		fprintf(f, ", veto hook %s", dg_hook_kind_name(x->veto_hook));
	if (x->hook_error)
		fprintf(f, ", hook error: %s", strerror((int)x->hook_error));
	fputc('\n', f);
}

static void doctor_text(const struct dg_out *o, const struct dg_doctor_report *r)
{
	FILE *f = o->f;

	doctor_text_demux(f, r);
	doctor_text_module(f, r);
	if (r->n == 0)
		fputs("no interface is the input of an \"ip rule iif\"\n", f);
	else
		fputs("interfaces that are the input of an \"ip rule iif\":\n", f);
	for (size_t i = 0; i < r->n; i++)
		doctor_text_if(f, &r->v[i]);

	if (r->cannot_tell)
		fprintf(f, "%zu interface%s cannot be told (the kernel did not "
			"answer; see above)\n", r->cannot_tell,
			r->cannot_tell == 1 ? "" : "s");
	if (r->disagreements)
		fprintf(f, "the rule walk disagrees with the kernel on %zu "
			"interface%s (the verdicts follow the kernel)\n",
			r->disagreements, r->disagreements == 1 ? "" : "s");
	if (r->at_risk && r->n_cmds)
		fprintf(f, "%zu interface%s at risk; to protect %s:\n",
			r->at_risk, r->at_risk == 1 ? "" : "s",
			r->at_risk == 1 ? "it" : "them");
	else if (r->at_risk)
		fprintf(f, "%zu interface%s at risk; no demuxguard command "
			"protects %s (see above)\n", r->at_risk,
			r->at_risk == 1 ? "" : "s",
			r->at_risk == 1 ? "it" : "them");
	else if (r->cannot_tell && r->n_cmds)
		fputs("to protect them whatever the kernel would do:\n", f);
	else if (r->cannot_tell)
		fputs("no demuxguard command protects them (see above)\n", f);
	else if (r->n_cmds)
		fputs("nothing at risk while early demux is off; before turning "
		      "it back on, run:\n", f);
	else
		fputs("nothing at risk\n", f);
	for (size_t i = 0; i < r->n_cmds; i++) {
		fputs("  ", f);
		dg_print_name(f, r->cmds[i].text, false);
		fputc('\n', f);
	}
	if (r->n_cmds && r->boot_rules[0]) {
		fputs("and, to have the rule from boot on, in "
		      "/etc/modprobe.d/demuxguard.conf:\n  options demuxguard rules=",
		      f);
		dg_print_name(f, r->boot_rules, false);
		fputc('\n', f);
	}
}

void dg_print_doctor(const struct dg_out *o, const struct dg_doctor_report *r)
{
	if (o->fmt == DG_FMT_JSON)
		doctor_json(o, r);
	else
		doctor_text(o, r);
}
