// SPDX-License-Identifier: GPL-2.0-only
/*
 * doctor_suggest.c - the commands doctor suggests: what would protect
 * every interface that routes node addresses away and is not protected
 * (the interfaces at risk or that cannot be told, or, with early demux
 * off, those that would be at risk once it is back on), quoted for a
 * POSIX shell, and the module parameter that keeps the rule from boot on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "doctor.h"

void dg_common_prefix(char out[IFNAMSIZ], const char *const *names, size_t n)
{
	size_t len;

	out[0] = '\0';
	if (n == 0)
		return;
	len = strnlen(names[0], IFNAMSIZ - 1);
	for (size_t i = 1; i < n; i++) {
		size_t k = 0;

		while (k < len && names[i][k] == names[0][k])
			k++;
		len = k;
	}
	memcpy(out, names[0], len);
	out[len] = '\0';
}

/*
 * Quote @word for a POSIX shell when it needs it: 'single quotes', or
 * bash's $'...' for control bytes, which single quotes would pass raw.
 */
void dg_shell_quote(char *buf, size_t len, const char *word)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				   "@%+=:,./_-";
	struct sbuf b = { buf, len, 0 };
	bool ctrl = false;
	const char *s;

	buf[0] = '\0';
	if (*word && strspn(word, safe) == strlen(word)) {
		sb_printf(&b, "%s", word);
		return;
	}
	for (s = word; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			ctrl = true;
	if (!ctrl) {
		sb_printf(&b, "'");
		for (s = word; *s; s++) {
			if (*s == '\'')
				sb_printf(&b, "'\\''");
			else
				sb_printf(&b, "%c", *s);
		}
		sb_printf(&b, "'");
		return;
	}
	sb_printf(&b, "$'");
	for (s = word; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			sb_printf(&b, "\\x%02x", c);
		else if (c == '\'' || c == '\\')
			sb_printf(&b, "\\%c", c);
		else
			sb_printf(&b, "%c", c);
	}
	sb_printf(&b, "'");
}

static int add_cmd(struct dg_doctor_report *rep, const char *netns,
		   const char *what, const char *name)
{
	struct dg_doctor_cmd *c = dg_grow((void **)&rep->cmds, &rep->n_cmds,
				       &rep->cmds_cap, sizeof(*c));
	struct sbuf b;
	char q[sizeof(c->text)];

	if (!c)
		return -ENOMEM;
	b = (struct sbuf){ c->text, sizeof(c->text), 0 };
	sb_printf(&b, "demuxguard ");
	if (netns) {
		dg_shell_quote(q, sizeof(q), netns);
		sb_printf(&b, "-n %s ", q);
	}
	dg_shell_quote(q, sizeof(q), name);
	if (strcmp(what, "rule") == 0)
		sb_printf(&b, "rule add prefix %s mode veto", q);
	else
		sb_printf(&b, "set dev %s mode veto", q);
	return 0;
}

/* The mode @x would have once a rule @prefix=veto is added. */
static int mode_with_rule(const struct dg_doctor_input *in,
			  const struct dg_doctor_if *x, const char *prefix)
{
	const struct dg_dev *d = in->module_loaded ?
				 dg_doctor_find_dev(in, x->ifname, x->ifindex) : NULL;
	const struct dg_rule *best = NULL;
	size_t plen = strlen(prefix);

	if (d && d->source == DEMUXGUARD_SOURCE_EXPLICIT)
		return d->mode;	/* an explicit setting beats any rule */
	if (in->module_loaded) {
		for (size_t i = 0; i < in->mrules.n; i++) {
			const struct dg_rule *r = &in->mrules.v[i];
			size_t len = strlen(r->prefix);

			if (strcmp(r->prefix, prefix) == 0 ||
			    strncmp(x->ifname, r->prefix, len) != 0)
				continue;
			if (!best || len > strlen(best->prefix))
				best = r;
		}
	}
	if (strncmp(x->ifname, prefix, plen) == 0 &&
	    (!best || plen > strlen(best->prefix)))
		return DEMUXGUARD_MODE_VETO;
	return best ? best->mode : DEMUXGUARD_MODE_OFF;
}

/*
 * One rule for the longest common prefix of the interfaces to protect,
 * if they have one and it reaches any of them, plus a `set` for each it
 * would not reach (a longer rule or an explicit setting wins over it);
 * else one `set` each. A rule rather than sets because the VPC CNI
 * creates a new vlan<hash> and vlan.eth.<id> for every pod: the rule
 * covers those too. Interfaces already in veto are left out: what fails
 * them (a hook the kernel lacks) no command fixes.
 */
int dg_doctor_suggest(struct dg_doctor_report *rep,
		      const struct dg_doctor_input *in)
{
	const struct dg_doctor_if **todo = calloc(rep->n + 1, sizeof(*todo));
	const char **names = calloc(rep->n + 1, sizeof(*names));
	char prefix[IFNAMSIZ];
	bool use_rule = false;
	size_t n = 0;
	int rc = 0;

	if (!todo || !names) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct dg_doctor_if *x = &rep->v[i];

		if ((x->families || x->verdict == DG_VERDICT_UNKNOWN) &&
		    x->verdict != DG_VERDICT_PROTECTED && !x->vrf_unbound_only &&
		    !(x->policy_known && x->mode == DEMUXGUARD_MODE_VETO)) {
			names[n] = x->ifname;
			todo[n++] = x;
		}
	}
	dg_common_prefix(prefix, names, n);
	for (size_t k = 0; k < n && prefix[0]; k++)
		use_rule |= mode_with_rule(in, todo[k], prefix) ==
			    DEMUXGUARD_MODE_VETO;
	if (use_rule)
		rc = add_cmd(rep, in->netns, "rule", prefix);
	for (size_t k = 0; k < n && !rc; k++)
		if (!use_rule ||
		    mode_with_rule(in, todo[k], prefix) != DEMUXGUARD_MODE_VETO)
			rc = add_cmd(rep, in->netns, "set", todo[k]->ifname);
	/* The module parameter: the same rule from boot on (initial netns). */
	if (!rc && use_rule && !in->netns &&
	    strcspn(prefix, ",= \t\n'\"\\$`") == strlen(prefix))
		snprintf(rep->boot_rules, sizeof(rep->boot_rules),
			 "%s=veto", prefix);
out:
	free(todo);
	free(names);
	return rc;
}

