// SPDX-License-Identifier: GPL-2.0-only
/*
 * netlink.c - generic netlink transport over libnl (see netlink.h).
 *
 * libnl (up to 3.7 at least) neither enables nor parses extended acks, so
 * this file does both: NETLINK_EXT_ACK makes the kernel append its
 * NL_SET_ERR_MSG text to error and done messages, and that text is what an
 * operator needs to see ("Error: ..."), much more than a bare errno.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "demuxguard.h"
#include "netlink.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* State of one exchange, shared by the libnl callbacks below. */
struct exchange {
	struct dg_nl *nl;
	dg_nl_msg_fn fn;
	void *arg;
	unsigned long events;	/* messages handled, to detect a dead stream */
	bool done;
	bool failed;
	bool interrupted;
};

int dg_nl_fail(struct dg_nl *nl, int code, const char *detail)
{
	nl->err.code = code;
	snprintf(nl->err.detail, sizeof(nl->err.detail), "%s", detail);
	return -1;
}

static void reset_error(struct dg_nl *nl)
{
	nl->err = (struct dg_nl_error){ .miss_type = -1 };
}

/*
 * Parse the extended-ack TLVs of @nlh, which start @hlen bytes into its
 * payload (rounded up to the netlink alignment, as the kernel lays them
 * out). A message text is stored in @err->ext_msg.
 */
static void parse_ext_ack(const struct nlmsghdr *nlh, size_t hlen,
			  struct dg_nl_error *err)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(hlen);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= nlh->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + off),
		      (int)(nlh->nlmsg_len - off), NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG]) {
		char *end;

		nla_strlcpy(err->ext_msg, tb[NLMSGERR_ATTR_MSG],
			    sizeof(err->ext_msg));
		end = err->ext_msg + strlen(err->ext_msg);
		while (end > err->ext_msg && end[-1] == '\n')
			*--end = '\0';
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE] &&
	    nla_len(tb[NLMSGERR_ATTR_MISS_TYPE]) >= 4)
		err->miss_type = (int)nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
}

/*
 * Where the TLVs of an NLMSG_ERROR start, relative to its payload: after
 * the nlmsgerr and, unless the kernel set NLM_F_CAPPED, after the echo of
 * our request that follows it (errors only, and only without
 * NETLINK_CAP_ACK; plain acks are always capped).
 */
static size_t errmsg_hlen(const struct nlmsghdr *nlh, const struct nlmsgerr *e)
{
	size_t hlen = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len > NLMSG_HDRLEN)
		hlen += e->msg.nlmsg_len - NLMSG_HDRLEN;
	return hlen;
}

/* NLMSG_ERROR with a non-zero error: the kernel refused the request. */
static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct exchange *x = arg;
	/* libnl hands us the payload; the header sits right before it. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);

	(void)who;
	x->events++;
	x->nl->err.code = -e->error;
	parse_ext_ack(nlh, errmsg_hlen(nlh, e), &x->nl->err);
	x->failed = true;
	x->done = true;
	return NL_STOP;
}

/* NLMSG_ERROR with error 0: the ack that ends a do-request. */
static int on_ack(struct nl_msg *msg, void *arg)
{
	struct exchange *x = arg;
	struct dg_nl_error warn = { .miss_type = -1 };
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	/* A successful request may still carry a warning (NL_SET_ERR_MSG). */
	parse_ext_ack(nlh, errmsg_hlen(nlh, nlmsg_data(nlh)), &warn);
	if (warn.ext_msg[0])
		fprintf(stderr, "Warning: %s\n", warn.ext_msg);
	x->events++;
	x->done = true;
	return NL_STOP;
}

/*
 * NLMSG_DONE ends a dump. Its payload is an int: 0, or the negative errno
 * of a failure in the middle of the dump, which libnl ignores.
 */
static int on_done(struct nl_msg *msg, void *arg)
{
	struct exchange *x = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	x->events++;
	x->done = true;
	if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
		int error;

		memcpy(&error, nlmsg_data(nlh), sizeof(error));
		if (error < 0) {
			x->nl->err.code = -error;
			parse_ext_ack(nlh, sizeof(int), &x->nl->err);
			x->failed = true;
		}
	}
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct exchange *x = arg;
	int rc;

	x->events++;
	if (!x->fn)
		return NL_OK;
	rc = x->fn(nlmsg_hdr(msg), x->arg);
	if (rc < 0) {
		dg_nl_fail(x->nl, -rc, "cannot decode the module's reply");
		x->failed = true;
		return NL_STOP;
	}
	return NL_OK;
}

/*
 * The kernel sets NLM_F_DUMP_INTR when the object list changed while it
 * was dumped (genl_dump_check_consistent). Finish reading, then let the
 * caller repeat the dump rather than print a mix of two states.
 */
static int on_dump_intr(struct nl_msg *msg, void *arg)
{
	struct exchange *x = arg;

	(void)msg;
	x->interrupted = true;
	return NL_OK;
}

int dg_nl_connect(struct dg_nl *nl)
{
	int one = 1, rc;

	nl->sk = NULL;
	nl->family = -1;
	reset_error(nl);

	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return dg_nl_fail(nl, ENOMEM, "cannot allocate a netlink socket");
	rc = nl_connect(nl->sk, NETLINK_GENERIC);
	if (rc < 0) {
		char d[160];

		snprintf(d, sizeof(d), "cannot open a generic netlink socket: %s",
			 nl_geterror(rc));
		return dg_nl_fail(nl, EIO, d);
	}
	/* Older kernels lack these options; errors then carry no text. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	/* Let libnl size its receive buffer to each message (large dumps). */
	nl_socket_enable_msg_peek(nl->sk);
	return 0;
}

int dg_nl_open(struct dg_nl *nl)
{
	int rc;

	if (dg_nl_connect(nl) < 0)
		return -1;
	rc = genl_ctrl_resolve(nl->sk, DEMUXGUARD_GENL_NAME);
	if (rc < 0) {
		char d[160];

		if (rc == -NLE_OBJ_NOTFOUND) {
			nl->err.not_loaded = true;
			return dg_nl_fail(nl, ENOENT, "family not found");
		}
		snprintf(d, sizeof(d),
			 "cannot resolve generic netlink family \"%s\": %s",
			 DEMUXGUARD_GENL_NAME, nl_geterror(rc));
		return dg_nl_fail(nl, EIO, d);
	}
	nl->family = rc;
	return 0;
}

void dg_nl_close(struct dg_nl *nl)
{
	nl_socket_free(nl->sk);		/* NULL-safe; also closes the fd */
	nl->sk = NULL;
}

struct nl_msg *dg_nl_new_request(struct dg_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, DEMUXGUARD_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int dg_nl_exchange(struct dg_nl *nl, struct nl_msg *msg, dg_nl_msg_fn fn,
		   void *arg)
{
	struct exchange x = { .nl = nl, .fn = fn, .arg = arg };
	struct nl_cb *orig, *cb;
	int rc;

	reset_error(nl);

	/* nl_send_auto adds NLM_F_REQUEST and NLM_F_ACK (libnl auto-ack). */
	rc = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (rc < 0) {
		char d[160];

		snprintf(d, sizeof(d), "cannot send to the kernel: %s",
			 nl_geterror(rc));
		return dg_nl_fail(nl, EIO, d);
	}

	/*
	 * Our handlers go on a copy of the socket's callbacks, so libnl's
	 * defaults (sequence number checks) stay in force.
	 */
	orig = nl_socket_get_cb(nl->sk);	/* takes a reference */
	cb = nl_cb_clone(orig);
	nl_cb_put(orig);
	if (!cb)
		return dg_nl_fail(nl, ENOMEM, "out of memory");
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &x);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_dump_intr, &x);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &x);

	while (!x.done) {
		unsigned long before = x.events;

		rc = nl_recvmsgs(nl->sk, cb);
		if (x.failed)
			break;
		if (rc < 0) {
			char d[160];

			snprintf(d, sizeof(d), "cannot read the kernel's reply: %s",
				 nl_geterror(rc));
			dg_nl_fail(nl, EIO, d);
			x.failed = true;
			break;
		}
		/*
		 * nl_recvmsgs() returns 0 without reading anything at end of
		 * stream; without this check a reply that never ends in an
		 * ack or NLMSG_DONE would spin here forever.
		 */
		if (x.events == before) {
			dg_nl_fail(nl, EPROTO,
				   "the kernel's reply ended without an acknowledgement");
			x.failed = true;
			break;
		}
	}
	nl_cb_put(cb);

	if (!x.failed && x.interrupted) {
		nl->err.interrupted = true;
		return dg_nl_fail(nl, EAGAIN,
				  "the kernel's list changed while it was read");
	}
	return x.failed ? -1 : 0;
}
