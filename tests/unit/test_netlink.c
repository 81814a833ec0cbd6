// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_netlink.c - the netlink layer against a fake kernel.
 *
 * libnl lets a socket's send and receive be replaced (nl_cb_overwrite_send
 * and _recv), so each test captures the exact requests a command sends
 * (command, flags, attributes) and scripts the module's replies: data
 * messages, acks, errors with and without extended-ack text, NLMSG_DONE
 * carrying an error, interrupted dumps, truncated streams. No kernel
 * module and no real socket are involved.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <linux/genetlink.h>

#include "harness.h"
#include "kernel.h"
#include "netlink.h"

#define FAKE_FAMILY 0x42
#define MAX_REQ 16
#define MAX_Q 32

struct qitem {
	unsigned char *buf;
	size_t len;
};

typedef void (*responder_fn)(const struct nlmsghdr *req, int n);

static struct {
	struct nlmsghdr *req[MAX_REQ];	/* captured requests */
	int nreq;
	struct qitem q[MAX_Q];		/* reply datagrams, in order */
	int qhead, qtail;
	responder_fn respond;
} fk;

static void fake_reset(responder_fn respond)
{
	for (int i = 0; i < fk.nreq; i++)
		free(fk.req[i]);
	for (int i = fk.qhead; i < fk.qtail; i++)
		free(fk.q[i].buf);
	memset(&fk, 0, sizeof(fk));
	fk.respond = respond;
}

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	(void)sk;
	if (fk.nreq == MAX_REQ)
		return -NLE_NOMEM;
	fk.req[fk.nreq] = malloc(nlh->nlmsg_len);
	memcpy(fk.req[fk.nreq], nlh, nlh->nlmsg_len);
	fk.nreq++;
	if (fk.respond)
		fk.respond(nlh, fk.nreq - 1);
	return (int)nlh->nlmsg_len;
}

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		     unsigned char **buf, struct ucred **creds)
{
	(void)sk;
	(void)creds;
	if (fk.qhead == fk.qtail)
		return 0;	/* end of stream */
	memset(nla, 0, sizeof(*nla));
	nla->nl_family = AF_NETLINK;
	*buf = fk.q[fk.qhead].buf;	/* libnl frees it */
	return (int)fk.q[fk.qhead++].len;
}

/* One datagram holding @n messages (each freed). */
static void queue(struct nl_msg **msgs, int n)
{
	size_t len = 0, off = 0;
	unsigned char *buf;

	for (int i = 0; i < n; i++)
		len += NLMSG_ALIGN(nlmsg_hdr(msgs[i])->nlmsg_len);
	buf = calloc(1, len);
	for (int i = 0; i < n; i++) {
		struct nlmsghdr *h = nlmsg_hdr(msgs[i]);

		memcpy(buf + off, h, h->nlmsg_len);
		off += NLMSG_ALIGN(h->nlmsg_len);
		nlmsg_free(msgs[i]);
	}
	fk.q[fk.qtail].buf = buf;
	fk.q[fk.qtail].len = len;
	fk.qtail++;
}

static void queue1(struct nl_msg *m)
{
	queue(&m, 1);
}

static uint8_t req_cmd(const struct nlmsghdr *req)
{
	return ((const struct genlmsghdr *)nlmsg_data(req))->cmd;
}

/* A module message answering @req, as the kernel would build it. */
static struct nl_msg *reply(const struct nlmsghdr *req, int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, req->nlmsg_seq, FAKE_FAMILY, 0, flags, req_cmd(req),
		    DEMUXGUARD_GENL_VERSION);
	return m;
}

static struct nl_msg *dev_msg(const struct nlmsghdr *req, int flags,
			      uint32_t ifindex, const char *name, uint8_t mode,
			      uint8_t source, const char *rule)
{
	struct nl_msg *m = reply(req, flags);

	nla_put_u32(m, DEMUXGUARD_A_IFINDEX, ifindex);
	nla_put_string(m, DEMUXGUARD_A_IFNAME, name);
	nla_put_u8(m, DEMUXGUARD_A_MODE, mode);
	nla_put_u8(m, DEMUXGUARD_A_SOURCE, source);
	if (rule)
		nla_put_string(m, DEMUXGUARD_A_RULE_PREFIX, rule);
	return m;
}

/*
 * NLMSG_ERROR: error 0 is an ack. @capped: as with NETLINK_CAP_ACK (no
 * echo of the request); otherwise the whole request is echoed.
 */
static struct nl_msg *err_msg(const struct nlmsghdr *req, int error,
			      const char *text, int miss_type, bool capped)
{
	struct nl_msg *m = nlmsg_alloc();
	size_t payload = sizeof(struct nlmsgerr);
	struct nlmsghdr *h;
	struct nlmsgerr *e;

	if (!capped)
		payload += req->nlmsg_len - NLMSG_HDRLEN;
	h = nlmsg_put(m, 0, req->nlmsg_seq, NLMSG_ERROR, (int)payload,
		      capped ? NLM_F_CAPPED : 0);
	e = nlmsg_data(h);
	e->error = error;
	memcpy(&e->msg, req, capped ? sizeof(*req) : req->nlmsg_len);
	if (text || miss_type >= 0) {
		h->nlmsg_flags |= NLM_F_ACK_TLVS;
		if (text)
			nla_put_string(m, NLMSGERR_ATTR_MSG, text);
		if (miss_type >= 0)
			nla_put_u32(m, NLMSGERR_ATTR_MISS_TYPE, (uint32_t)miss_type);
	}
	return m;
}

static struct nl_msg *done_msg(const struct nlmsghdr *req, int error,
			       const char *text)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlmsghdr *h = nlmsg_put(m, 0, req->nlmsg_seq, NLMSG_DONE,
				       sizeof(int), NLM_F_MULTI);

	memcpy(nlmsg_data(h), &error, sizeof(error));
	if (text) {
		h->nlmsg_flags |= NLM_F_ACK_TLVS;
		nla_put_string(m, NLMSGERR_ATTR_MSG, text);
	}
	return m;
}

static void ack(const struct nlmsghdr *req)
{
	queue1(err_msg(req, 0, NULL, -1, true));
}

/* ---- request checking ------------------------------------------------- */

struct want_attr {
	int type;
	const void *data;
	int len;
};

static void check_request(struct t *t, int idx, uint8_t cmd, int flags,
			  const struct want_attr *want, int nwant)
{
	const struct nlmsghdr *req;
	const struct genlmsghdr *g;
	struct nlattr *a;
	int rem, i = 0;

	if (idx >= fk.nreq) {
		t_fail(t, "request #%d was not sent", idx);
		return;
	}
	req = fk.req[idx];
	g = nlmsg_data(req);
	T_CHECK(t, req->nlmsg_type == FAKE_FAMILY, "type %u, want the family",
		req->nlmsg_type);
	T_CHECK(t, req->nlmsg_flags == flags, "flags 0x%x, want 0x%x",
		req->nlmsg_flags, flags);
	T_CHECK(t, g->cmd == cmd, "cmd %u, want %u", g->cmd, cmd);
	T_CHECK(t, g->version == DEMUXGUARD_GENL_VERSION, "version %u", g->version);
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		if (i >= nwant) {
			t_fail(t, "extra attribute %d", nla_type(a));
			return;
		}
		T_CHECK(t, nla_type(a) == want[i].type, "attribute #%d type %d, want %d",
			i, nla_type(a), want[i].type);
		T_CHECK(t, nla_len(a) == want[i].len &&
			!memcmp(nla_data(a), want[i].data, (size_t)want[i].len),
			"attribute #%d (type %d) payload differs (len %d, want %d)",
			i, nla_type(a), nla_len(a), want[i].len);
		i++;
	}
	T_CHECK(t, i == nwant, "%d attributes, want %d", i, nwant);
}

#define DO (NLM_F_REQUEST | NLM_F_ACK)
#define DUMP (NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)
#define STR(s) s, (int)sizeof(s)	/* with the NUL, as nla_put_string */

static struct dg_nl nl;

static void nl_setup(responder_fn respond)
{
	struct nl_cb *cb;

	fake_reset(respond);
	nl.sk = nl_socket_alloc();
	nl.family = FAKE_FAMILY;
	cb = nl_socket_get_cb(nl.sk);
	nl_cb_overwrite_send(cb, fake_send);
	nl_cb_overwrite_recv(cb, fake_recv);
	nl_cb_put(cb);
}

static void nl_teardown(void)
{
	dg_nl_close(&nl);
	fake_reset(NULL);
}

/* ---- responders ------------------------------------------------------- */

static void r_ack(const struct nlmsghdr *req, int n)
{
	(void)n;
	ack(req);
}

static void r_status(const struct nlmsghdr *req, int n)
{
	static const struct { const char *name; int att, arm; uint64_t miss; } h[] = {
		{ "tcp_v4_early_demux", 1, 1, 1 },
		{ "tcp_v6_early_demux", 1, 0, 2 },
		{ "ip_forward", 1, 1, 0 },
		{ "ip6_forward", 0, 0, UINT64_MAX },
	};
	struct nl_msg *m = reply(req, 0);

	(void)n;
	nla_put_string(m, DEMUXGUARD_A_VERSION, "0.1.0");
	for (int i = 0; i < 4; i++) {
		struct nlattr *nest = nla_nest_start(m, DEMUXGUARD_A_HOOK);

		nla_put_string(m, DEMUXGUARD_HOOK_A_NAME, h[i].name);
		nla_put_u8(m, DEMUXGUARD_HOOK_A_ATTACHED, (uint8_t)h[i].att);
		nla_put_u8(m, DEMUXGUARD_HOOK_A_ARMED, (uint8_t)h[i].arm);
		nla_put_u64(m, DEMUXGUARD_HOOK_A_MISSED, h[i].miss);
		nla_nest_end(m, nest);
	}
	nla_put_u64(m, DEMUXGUARD_A_PROBE_MISSED, 3);
	queue1(m);
	ack(req);
}

static void r_dev_dump(const struct nlmsghdr *req, int n)
{
	struct nl_msg *batch[2];

	(void)n;
	batch[0] = dev_msg(req, NLM_F_MULTI, 9, "eth1", DEMUXGUARD_MODE_OFF,
			   DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	batch[1] = dev_msg(req, NLM_F_MULTI, 5, "vlanabc", DEMUXGUARD_MODE_VETO,
			   DEMUXGUARD_SOURCE_RULE, "vlan");
	queue(batch, 2);
	queue1(done_msg(req, 0, NULL));
}

static void r_dev_none(const struct nlmsghdr *req, int n)
{
	(void)n;
	queue1(dev_msg(req, 0, 3, "eth0", DEMUXGUARD_MODE_OFF,
		       DEMUXGUARD_SOURCE_NONE, NULL));
	ack(req);
}

static void r_rule_dump(const struct nlmsghdr *req, int n)
{
	struct nl_msg *a = reply(req, NLM_F_MULTI), *b = reply(req, NLM_F_MULTI);

	(void)n;
	nla_put_string(a, DEMUXGUARD_A_RULE_PREFIX, "vlan");
	nla_put_u8(a, DEMUXGUARD_A_MODE, DEMUXGUARD_MODE_VETO);
	nla_put_string(b, DEMUXGUARD_A_RULE_PREFIX, "");
	nla_put_u8(b, DEMUXGUARD_A_MODE, DEMUXGUARD_MODE_MONITOR);
	queue1(a);
	queue1(b);
	queue1(done_msg(req, 0, NULL));
}

static void put_stats(struct nl_msg *m, int attr, int nstats,
		      const uint64_t *v)
{
	struct nlattr *nest = nla_nest_start(m, attr);

	/* The kernel pads u64 attributes with a PAD attribute; skip it. */
	nla_put(m, DEMUXGUARD_STAT_PAD, 0, NULL);
	for (int i = 0; i < nstats; i++)
		nla_put_u64(m, DEMUXGUARD_STAT_DEMUX_CALLS + i, v[i]);
	nla_nest_end(m, nest);
}

static void r_stats_dump(const struct nlmsghdr *req, int n)
{
	static const uint64_t v4[6] = { 1, 2, 3, 4, 5, UINT64_MAX };
	static const uint64_t v6[2] = { 7, 8 };
	struct nl_msg *a = dev_msg(req, NLM_F_MULTI, 5, "vlanabc",
				   DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_RULE,
				   "vlan");
	struct nl_msg *b = dev_msg(req, NLM_F_MULTI, 6, "eth1",
				   DEMUXGUARD_MODE_MONITOR,
				   DEMUXGUARD_SOURCE_EXPLICIT, NULL);
	struct nl_msg *batch[2] = { a, b };

	(void)n;
	put_stats(a, DEMUXGUARD_A_STATS_IPV4, 6, v4);
	put_stats(a, DEMUXGUARD_A_STATS_IPV6, 2, v6);	/* 4 left out */
	/* b: no stats nests at all */
	queue(batch, 2);
	queue1(done_msg(req, 0, NULL));
}

static void r_stats_one(const struct nlmsghdr *req, int n)
{
	static const uint64_t v[6] = { 10, 20, 30, 40, 50, 60 };
	struct nl_msg *m = dev_msg(req, 0, 5, "vlanabc", DEMUXGUARD_MODE_MONITOR,
				   DEMUXGUARD_SOURCE_EXPLICIT, NULL);

	(void)n;
	put_stats(m, DEMUXGUARD_A_STATS_IPV6, 6, v);
	queue1(m);
	ack(req);
}

static void r_enodev_capped(const struct nlmsghdr *req, int n)
{
	(void)n;
	queue1(err_msg(req, -ENODEV, "Device not found", -1, true));
}

static void r_einval_echo(const struct nlmsghdr *req, int n)
{
	(void)n;
	queue1(err_msg(req, -EINVAL, "Rule prefix too long\n", -1, false));
}

static void r_eperm_plain(const struct nlmsghdr *req, int n)
{
	(void)n;
	queue1(err_msg(req, -EPERM, NULL, -1, true));
}

static void r_missing_attr(const struct nlmsghdr *req, int n)
{
	(void)n;
	queue1(err_msg(req, -EINVAL, NULL, DEMUXGUARD_A_MODE, false));
}

static void r_done_error(const struct nlmsghdr *req, int n)
{
	(void)n;
	queue1(dev_msg(req, NLM_F_MULTI, 5, "vlanabc", DEMUXGUARD_MODE_VETO,
		       DEMUXGUARD_SOURCE_RULE, "vlan"));
	queue1(done_msg(req, -EMSGSIZE, "Dump failed midway"));
}

/* The first dump is flagged interrupted, the second is clean. */
static void r_intr_once(const struct nlmsghdr *req, int n)
{
	int intr = n == 0 ? NLM_F_DUMP_INTR : 0;

	queue1(dev_msg(req, NLM_F_MULTI | intr, 5, n == 0 ? "old" : "new",
		       DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_EXPLICIT, NULL));
	queue1(done_msg(req, 0, NULL));
}

static void r_intr_always(const struct nlmsghdr *req, int n)
{
	(void)n;
	queue1(dev_msg(req, NLM_F_MULTI | NLM_F_DUMP_INTR, 5, "x",
		       DEMUXGUARD_MODE_VETO, DEMUXGUARD_SOURCE_EXPLICIT, NULL));
	queue1(done_msg(req, 0, NULL));
}

static void r_no_ack(const struct nlmsghdr *req, int n)
{
	(void)n;
	queue1(dev_msg(req, 0, 3, "eth0", DEMUXGUARD_MODE_OFF,
		       DEMUXGUARD_SOURCE_NONE, NULL));
	/* ... and the stream ends */
}

static void r_short_attr(const struct nlmsghdr *req, int n)
{
	struct nl_msg *m = reply(req, 0);
	uint16_t half = 5;

	(void)n;
	nla_put(m, DEMUXGUARD_A_IFINDEX, sizeof(half), &half);	/* u32 expected */
	queue1(m);
	ack(req);
}

static void r_newer_module(const struct nlmsghdr *req, int n)
{
	struct nl_msg *m = dev_msg(req, 0, 3, "eth0", DEMUXGUARD_MODE_VETO,
				   DEMUXGUARD_SOURCE_EXPLICIT, NULL);

	(void)n;
	nla_put_u32(m, DEMUXGUARD_A_MAX + 7, 1234);	/* unknown attribute */
	queue1(m);
	ack(req);
}

/* ---- tests ------------------------------------------------------------ */

static void test_requests(void)
{
	struct dg_status st = { 0 };
	struct dg_dev_list devs = { 0 };
	struct dg_rule_list rules = { 0 };
	uint8_t veto = DEMUXGUARD_MODE_VETO, mon = DEMUXGUARD_MODE_MONITOR;
	struct t t;
	int rc;

	t_begin(&t, "netlink: status sends GET_STATUS and decodes hooks");
	nl_setup(r_status);
	rc = dg_get_status(&nl, &st);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_GET_STATUS, DO, NULL, 0);
	t_check_str(&t, "version", st.version, "0.1.0");
	T_CHECK(&t, st.n_hooks == 4, "%zu hooks", st.n_hooks);
	if (st.n_hooks == 4) {
		t_check_str(&t, "hook 0", st.hooks[0].name, "tcp_v4_early_demux");
		t_check_str(&t, "hook 3", st.hooks[3].name, "ip6_forward");
		T_CHECK(&t, st.hooks[0].attached && st.hooks[0].armed &&
			st.hooks[1].attached && !st.hooks[1].armed &&
			!st.hooks[3].attached && !st.hooks[3].armed,
			"attached/armed flags wrong");
		T_CHECK(&t, st.hooks[1].missed == 2 &&
			st.hooks[3].missed == UINT64_MAX, "missed wrong");
	}
	T_CHECK(&t, st.probe_missed == 3, "probe_missed %llu",
		(unsigned long long)st.probe_missed);
	dg_status_free(&st);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: show dumps GET_DEV, sorted by ifindex");
	nl_setup(r_dev_dump);
	rc = dg_get_devs(&nl, NULL, &devs);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_GET_DEV, DUMP, NULL, 0);
	T_CHECK(&t, devs.n == 2, "%zu devices", devs.n);
	if (devs.n == 2) {
		T_CHECK(&t, devs.v[0].ifindex == 5 && devs.v[1].ifindex == 9,
			"not sorted by ifindex");
		t_check_str(&t, "rule", devs.v[0].rule, "vlan");
		T_CHECK(&t, devs.v[0].source == DEMUXGUARD_SOURCE_RULE &&
			devs.v[0].mode == DEMUXGUARD_MODE_VETO, "dev 0 policy");
		T_CHECK(&t, devs.v[1].source == DEMUXGUARD_SOURCE_EXPLICIT &&
			devs.v[1].mode == DEMUXGUARD_MODE_OFF, "dev 1 policy");
	}
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: show dev sends GET_DEV with IFNAME; source none");
	nl_setup(r_dev_none);
	rc = dg_get_devs(&nl, "eth0", &devs);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_GET_DEV, DO,
		      (struct want_attr[]){ { DEMUXGUARD_A_IFNAME, STR("eth0") } }, 1);
	T_CHECK(&t, devs.n == 1 && devs.v[0].source == DEMUXGUARD_SOURCE_NONE &&
		devs.v[0].mode == DEMUXGUARD_MODE_OFF, "decoded wrong");
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: set sends SET_DEV with IFNAME and MODE");
	nl_setup(r_ack);
	rc = dg_set_dev(&nl, "vlan10", DEMUXGUARD_MODE_VETO);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_SET_DEV, DO,
		      (struct want_attr[]){ { DEMUXGUARD_A_IFNAME, STR("vlan10") },
					    { DEMUXGUARD_A_MODE, &veto, 1 } }, 2);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: unset sends UNSET_DEV with IFNAME");
	nl_setup(r_ack);
	rc = dg_unset_dev(&nl, "vlan10");
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_UNSET_DEV, DO,
		      (struct want_attr[]){ { DEMUXGUARD_A_IFNAME, STR("vlan10") } }, 1);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: rule add sends ADD_RULE with PREFIX and MODE");
	nl_setup(r_ack);
	rc = dg_add_rule(&nl, "vlan", DEMUXGUARD_MODE_MONITOR);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_ADD_RULE, DO,
		      (struct want_attr[]){ { DEMUXGUARD_A_RULE_PREFIX, STR("vlan") },
					    { DEMUXGUARD_A_MODE, &mon, 1 } }, 2);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: rule add with the empty prefix sends \"\"");
	nl_setup(r_ack);
	rc = dg_add_rule(&nl, "", DEMUXGUARD_MODE_VETO);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_ADD_RULE, DO,
		      (struct want_attr[]){ { DEMUXGUARD_A_RULE_PREFIX, STR("") },
					    { DEMUXGUARD_A_MODE, &veto, 1 } }, 2);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: rule del sends DEL_RULE with PREFIX");
	nl_setup(r_ack);
	rc = dg_del_rule(&nl, "vlan");
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_DEL_RULE, DO,
		      (struct want_attr[]){ { DEMUXGUARD_A_RULE_PREFIX, STR("vlan") } }, 1);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: rule show dumps GET_RULE, in the module's order");
	nl_setup(r_rule_dump);
	rc = dg_get_rules(&nl, &rules);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_GET_RULE, DUMP, NULL, 0);
	T_CHECK(&t, rules.n == 2, "%zu rules", rules.n);
	if (rules.n == 2) {
		t_check_str(&t, "rule 0", rules.v[0].prefix, "vlan");
		t_check_str(&t, "rule 1", rules.v[1].prefix, "");
		T_CHECK(&t, rules.v[0].mode == DEMUXGUARD_MODE_VETO &&
			rules.v[1].mode == DEMUXGUARD_MODE_MONITOR, "modes wrong");
	}
	dg_rule_list_free(&rules);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: stats dumps GET_STATS; missing counters read 0");
	nl_setup(r_stats_dump);
	rc = dg_get_stats(&nl, NULL, &devs);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_GET_STATS, DUMP, NULL, 0);
	T_CHECK(&t, devs.n == 2, "%zu devices", devs.n);
	if (devs.n == 2) {
		const uint64_t *a4 = devs.v[0].stats[DG_FAM_IPV4];
		const uint64_t *a6 = devs.v[0].stats[DG_FAM_IPV6];
		bool zero = true;

		T_CHECK(&t, a4[0] == 1 && a4[1] == 2 && a4[2] == 3 && a4[3] == 4 &&
			a4[4] == 5 && a4[5] == UINT64_MAX, "ipv4 counters wrong");
		T_CHECK(&t, a6[0] == 7 && a6[1] == 8 && a6[2] == 0 && a6[3] == 0 &&
			a6[4] == 0 && a6[5] == 0, "ipv6 counters wrong");
		for (int f = 0; f < DG_FAM_COUNT; f++)
			for (int c = 0; c < DG_C_COUNT; c++)
				zero &= devs.v[1].stats[f][c] == 0;
		T_CHECK(&t, zero, "device without stats nests not all 0");
	}
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: stats dev sends GET_STATS with IFNAME");
	nl_setup(r_stats_one);
	rc = dg_get_stats(&nl, "vlanabc", &devs);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_GET_STATS, DO,
		      (struct want_attr[]){ { DEMUXGUARD_A_IFNAME, STR("vlanabc") } }, 1);
	T_CHECK(&t, devs.n == 1 && devs.v[0].stats[DG_FAM_IPV6][5] == 60 &&
		devs.v[0].stats[DG_FAM_IPV4][0] == 0, "decoded wrong");
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: stats reset sends RESET_STATS without a device");
	nl_setup(r_ack);
	rc = dg_reset_stats(&nl, NULL);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_RESET_STATS, DO, NULL, 0);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: stats reset dev sends RESET_STATS with IFNAME");
	nl_setup(r_ack);
	rc = dg_reset_stats(&nl, "eth0");
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	check_request(&t, 0, DEMUXGUARD_CMD_RESET_STATS, DO,
		      (struct want_attr[]){ { DEMUXGUARD_A_IFNAME, STR("eth0") } }, 1);
	nl_teardown();
	t_end(&t);
}

static void test_errors(void)
{
	struct dg_dev_list devs = { 0 };
	struct t t;
	int rc;

	t_begin(&t, "netlink: kernel error with extended ack text (capped)");
	nl_setup(r_enodev_capped);
	rc = dg_set_dev(&nl, "nope0", DEMUXGUARD_MODE_VETO);
	T_CHECK(&t, rc == -1 && nl.err.code == ENODEV, "rc %d code %d", rc,
		nl.err.code);
	t_check_str(&t, "ext ack", nl.err.ext_msg, "Device not found");
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: extended ack after an echoed request");
	nl_setup(r_einval_echo);
	rc = dg_add_rule(&nl, "vlan", DEMUXGUARD_MODE_VETO);
	T_CHECK(&t, rc == -1 && nl.err.code == EINVAL, "rc %d code %d", rc,
		nl.err.code);
	t_check_str(&t, "ext ack", nl.err.ext_msg, "Rule prefix too long");
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: kernel error without text keeps the errno");
	nl_setup(r_eperm_plain);
	rc = dg_reset_stats(&nl, NULL);
	T_CHECK(&t, rc == -1 && nl.err.code == EPERM && !nl.err.ext_msg[0],
		"rc %d code %d msg '%s'", rc, nl.err.code, nl.err.ext_msg);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: missing-attribute report is decoded");
	nl_setup(r_missing_attr);
	rc = dg_set_dev(&nl, "eth0", DEMUXGUARD_MODE_VETO);
	T_CHECK(&t, rc == -1 && nl.err.miss_type == DEMUXGUARD_A_MODE,
		"rc %d miss_type %d", rc, nl.err.miss_type);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: error in NLMSG_DONE fails the dump");
	nl_setup(r_done_error);
	rc = dg_get_devs(&nl, NULL, &devs);
	T_CHECK(&t, rc == -1 && nl.err.code == EMSGSIZE, "rc %d code %d", rc,
		nl.err.code);
	t_check_str(&t, "ext ack", nl.err.ext_msg, "Dump failed midway");
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: interrupted dump is repeated");
	nl_setup(r_intr_once);
	rc = dg_get_devs(&nl, NULL, &devs);
	T_CHECK(&t, rc == 0, "failed: %s", nl.err.detail);
	T_CHECK(&t, fk.nreq == 2, "%d requests, want 2", fk.nreq);
	T_CHECK(&t, devs.n == 1 && !strcmp(devs.v[0].ifname, "new"),
		"kept data of the interrupted dump");
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: dump interrupted every time gives up");
	nl_setup(r_intr_always);
	rc = dg_get_devs(&nl, NULL, &devs);
	T_CHECK(&t, rc == -1 && nl.err.interrupted, "rc %d interrupted %d", rc,
		nl.err.interrupted);
	T_CHECK(&t, fk.nreq > 1 && fk.nreq < 10, "%d attempts", fk.nreq);
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: stream ending without ack fails, no hang");
	nl_setup(r_no_ack);
	rc = dg_get_devs(&nl, "eth0", &devs);
	T_CHECK(&t, rc == -1 && nl.err.code == EPROTO, "rc %d code %d", rc,
		nl.err.code);
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: do-request answered by a bare ack fails");
	nl_setup(r_ack);
	rc = dg_get_devs(&nl, "eth0", &devs);
	T_CHECK(&t, rc == -1 && nl.err.code == EPROTO, "rc %d code %d", rc,
		nl.err.code);
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: attribute shorter than its type is refused");
	nl_setup(r_short_attr);
	rc = dg_get_devs(&nl, "eth0", &devs);
	T_CHECK(&t, rc == -1 && nl.err.code == EBADMSG, "rc %d code %d", rc,
		nl.err.code);
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: unknown attributes from a newer module are ignored");
	nl_setup(r_newer_module);
	rc = dg_get_devs(&nl, "eth0", &devs);
	T_CHECK(&t, rc == 0 && devs.n == 1 &&
		devs.v[0].mode == DEMUXGUARD_MODE_VETO, "rc %d", rc);
	dg_dev_list_free(&devs);
	nl_teardown();
	t_end(&t);

	t_begin(&t, "netlink: attribute names for missing-attribute errors");
	T_CHECK(&t, dg_attr_name(DEMUXGUARD_A_IFNAME) &&
		!strcmp(dg_attr_name(DEMUXGUARD_A_IFNAME), "ifname"), "ifname");
	T_CHECK(&t, dg_attr_name(DEMUXGUARD_A_MAX + 1) == NULL, "out of range");
	T_CHECK(&t, dg_attr_name(-1) == NULL, "negative");
	t_end(&t);
}

static int count_msgs(struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(*(int *)arg)++;
	return 0;
}

/*
 * The same transport against the real kernel, using the generic netlink
 * controller (always present) in place of the module: a real dump, a real
 * do-request, and an extended ack built by the kernel itself.
 */
static void test_real_kernel(void)
{
	struct dg_nl rk;
	struct nl_msg *m;
	char longname[48];
	struct t t;
	int n = 0, rc;

	if (dg_nl_connect(&rk) < 0) {
		t_skip("netlink: real kernel: dump, do and extended ack via nlctrl",
		       "no generic netlink socket here");
		dg_nl_close(&rk);
		return;
	}
	rk.family = GENL_ID_CTRL;
	t_begin(&t, "netlink: real kernel: dump, do and extended ack via nlctrl");

	rc = dg_nl_exchange(&rk, dg_nl_new_request(&rk, CTRL_CMD_GETFAMILY,
						   NLM_F_DUMP), count_msgs, &n);
	T_CHECK(&t, rc == 0 && n >= 1, "dump: rc %d, %d families, %s", rc, n,
		rk.err.detail);

	m = dg_nl_new_request(&rk, CTRL_CMD_GETFAMILY, 0);
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	n = 0;
	rc = dg_nl_exchange(&rk, m, count_msgs, &n);
	T_CHECK(&t, rc == 0 && n == 1, "do: rc %d, %d replies", rc, n);

	/* Longer than the policy's GENL_NAMSIZ - 1: refused with a message. */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	m = dg_nl_new_request(&rk, CTRL_CMD_GETFAMILY, 0);
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, longname);
	rc = dg_nl_exchange(&rk, m, count_msgs, &n);
	T_CHECK(&t, rc == -1 && rk.err.code == EINVAL, "policy error: rc %d code %d",
		rc, rk.err.code);
	T_CHECK(&t, rk.err.ext_msg[0] != '\0',
		"the kernel's extended ack text was not decoded");
	dg_nl_close(&rk);
	t_end(&t);
}

void test_netlink(void)
{
	test_requests();
	test_errors();
	test_real_kernel();
}
