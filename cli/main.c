// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - demuxguard's entry point: parse the command line (args.c),
 * enter the namespace asked for (netns.c), open the netlink channel
 * (netlink.c), run one command (kernel.c; doctor.c for doctor), print its
 * result (output.c), and turn failures into the exit status contract:
 * 0 ok, 1 usage error, 2 anything the kernel or the system refused, and
 * for doctor 3 when an interface is at risk.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "doctor.h"
#include "kernel.h"
#include "netlink.h"
#include "netns.h"
#include "output.h"
#include "usage.h"

#ifndef DEMUXGUARD_VERSION
#error "DEMUXGUARD_VERSION must be defined by the build (see Makefile)"
#endif

/* Turn @nl->err into one "Error: ..." line; returns the exit status. */
static int report(const struct dg_nl *nl, const struct dg_request *req)
{
	const struct dg_nl_error *e = &nl->err;

	fputs("Error: ", stderr);
	if (e->not_loaded) {
		fputs("demuxguard module not loaded (modprobe demuxguard)\n",
		      stderr);
		return DG_EXIT_RUNTIME;
	}
	/* The kernel's own explanation beats anything we could guess. */
	if (e->ext_msg[0]) {
		fprintf(stderr, "%s\n", e->ext_msg);
		return DG_EXIT_RUNTIME;
	}
	if (e->miss_type >= 0) {
		const char *name = dg_attr_name(e->miss_type);

		if (name)
			fprintf(stderr, "the module requires attribute \"%s\"", name);
		else
			fprintf(stderr, "the module requires attribute #%d",
				e->miss_type);
		fputs(", which was not sent; are the module and this program "
		      "from the same release?\n", stderr);
		return DG_EXIT_RUNTIME;
	}
	if (e->detail[0]) {
		fprintf(stderr, "%s\n", e->detail);
		return DG_EXIT_RUNTIME;
	}

	switch (e->code) {
	case ENODEV:
		if (req->has_dev) {
			fputs("no such interface ", stderr);
			dg_print_name(stderr, req->ifname, true);
			fputc('\n', stderr);
			return DG_EXIT_RUNTIME;
		}
		break;
	case ENOENT:
		if (req->cmd == DG_CMD_RULE_DEL) {
			fputs("no rule with prefix ", stderr);
			dg_print_name(stderr, req->prefix, true);
			fputc('\n', stderr);
			return DG_EXIT_RUNTIME;
		}
		break;
	case EPERM:
	case EACCES:
		fprintf(stderr, "permission denied (%s)\n",
			req->cmd == DG_CMD_STATUS || req->cmd == DG_CMD_SHOW ||
			req->cmd == DG_CMD_RULE_SHOW || req->cmd == DG_CMD_STATS ||
			req->cmd == DG_CMD_DOCTOR ?
			"the module refused to show this" :
			"changing demuxguard policy or counters needs CAP_NET_ADMIN");
		return DG_EXIT_RUNTIME;
	case EOPNOTSUPP:
		fputs("the loaded module does not support this command; are "
		      "the module and this program from the same release?\n",
		      stderr);
		return DG_EXIT_RUNTIME;
	}
	fprintf(stderr, "%s\n", strerror(e->code));
	return DG_EXIT_RUNTIME;
}

/*
 * A write error on stdout (full disk, closed pipe reader) must not pass
 * as success: scripts redirect `stats --format prometheus` into files.
 */
static int finish_output(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "Error: cannot write the output: %s\n",
			strerror(errno));
		return rc ? rc : DG_EXIT_RUNTIME;
	}
	return rc;
}

/* The version the module registered with MODULE_VERSION, from sysfs. */
static bool sysfs_module_version(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/" DEMUXGUARD_GENL_NAME "/version", "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok && buf[0];
}

static int do_version(void)
{
	struct dg_status st = { 0 };
	struct dg_nl nl = { 0 };
	char v[64];

	printf("demuxguard %s\n", DEMUXGUARD_VERSION);
	/*
	 * The module is global: -n does not matter here. Resolving the
	 * family would autoload it, which --version must not do: ask sysfs
	 * first (dg_module_absent), and netlink only where sysfs cannot tell.
	 */
	if (!dg_module_absent() && dg_nl_open(&nl) == 0 &&
	    dg_get_status(&nl, &st) == 0)
		printf("module %s\n", st.version);
	else if (!dg_module_absent() && sysfs_module_version(v, sizeof(v)))
		printf("module %s\n", v);	/* loaded, but netlink refused */
	else
		printf("module not loaded\n");
	dg_nl_close(&nl);
	dg_status_free(&st);
	return finish_output(DG_EXIT_OK);
}

/*
 * doctor needs no module: its gathering opens the genetlink channel only
 * if the module is loaded. Returns the exit status; 3 if at risk.
 */
static int doctor(const struct dg_request *req, const struct dg_out *out)
{
	struct dg_doctor_input in = { .netns = req->netns };
	struct dg_doctor_report rep;
	struct dg_nl nl = { 0 };
	char msg[256];
	int rc;

	rc = dg_doctor_gather(&in, &nl, msg, sizeof(msg));
	if (rc == -1) {
		fprintf(stderr, "Error: %s\n", msg);
		rc = DG_EXIT_RUNTIME;
	} else if (rc == -2) {
		rc = report(&nl, req);
	} else if (dg_doctor_analyze(&in, &rep) < 0) {
		fputs("Error: out of memory\n", stderr);
		rc = DG_EXIT_RUNTIME;
	} else {
		dg_print_doctor(out, &rep);
		rc = dg_doctor_exit_status(&rep);
		dg_doctor_report_free(&rep);
	}
	dg_nl_close(&nl);
	dg_doctor_input_free(&in);
	return rc;
}

static int run(struct dg_nl *nl, const struct dg_request *req,
	       const struct dg_out *out)
{
	const char *dev = req->has_dev ? req->ifname : NULL;
	struct dg_status st = { 0 };
	struct dg_dev_list devs = { 0 };
	struct dg_rule_list rules = { 0 };
	int rc = -1;

	switch (req->cmd) {
	case DG_CMD_STATUS:
		rc = dg_get_status(nl, &st);
		if (!rc)
			dg_print_status(out, &st);
		break;
	case DG_CMD_SHOW:
		rc = dg_get_devs(nl, dev, &devs);
		if (!rc)
			dg_print_devs(out, &devs);
		break;
	case DG_CMD_SET:
		rc = dg_set_dev(nl, req->ifname, req->mode);
		break;
	case DG_CMD_UNSET:
		rc = dg_unset_dev(nl, req->ifname);
		break;
	case DG_CMD_RULE_ADD:
		rc = dg_add_rule(nl, req->prefix, req->mode);
		break;
	case DG_CMD_RULE_DEL:
		rc = dg_del_rule(nl, req->prefix);
		break;
	case DG_CMD_RULE_SHOW:
		rc = dg_get_rules(nl, &rules);
		if (!rc)
			dg_print_rules(out, &rules);
		break;
	case DG_CMD_STATS:
		rc = dg_get_stats(nl, dev, &devs);
		if (!rc)
			dg_print_stats(out, &devs);
		break;
	case DG_CMD_STATS_RESET:
		rc = dg_reset_stats(nl, dev);
		break;
	default:
		/* parse_args never returns other commands here */
		break;
	}
	dg_status_free(&st);
	dg_dev_list_free(&devs);
	dg_rule_list_free(&rules);
	return rc;
}

int main(int argc, char *argv[])
{
	struct dg_request req;
	struct dg_usage_error uerr;
	struct dg_nl nl;
	struct dg_out out;
	char msg[512];
	int rc;

	if (dg_parse_args(argc, argv, &req, &uerr) != 0) {
		fprintf(stderr, "Error: %s.\nTry \"%s\".\n", uerr.msg,
			dg_usage_hint(uerr.topic));
		return DG_EXIT_USAGE;
	}

	if (req.cmd == DG_CMD_HELP) {
		dg_usage(stdout, req.topic);
		return finish_output(DG_EXIT_OK);
	}
	if (req.cmd == DG_CMD_VERSION)
		return do_version();

	/* Before the socket exists: it belongs to its creator's namespace. */
	if (req.netns && dg_netns_enter(req.netns, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "Error: %s\n", msg);
		return DG_EXIT_RUNTIME;
	}

	out = (struct dg_out){
		.f = stdout,
		.fmt = req.format,
		.pretty = req.pretty,
		.netns = req.netns,
	};
	if (req.cmd == DG_CMD_DOCTOR) {
		int wrc;

		rc = doctor(&req, &out);
		/* A failed write is an error even when something is at risk. */
		wrc = finish_output(DG_EXIT_OK);
		return wrc ? wrc : rc;
	}

	if (dg_nl_open(&nl) < 0) {
		rc = report(&nl, &req);
		dg_nl_close(&nl);
		return rc;
	}

	rc = run(&nl, &req, &out) < 0 ? report(&nl, &req) : DG_EXIT_OK;
	dg_nl_close(&nl);
	return finish_output(rc);
}
