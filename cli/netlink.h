/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * netlink.h - the generic netlink transport: a libnl socket bound to the
 * demuxguard family, one request/response exchange at a time, and the
 * kernel's extended-ack error reports. Knows nothing about demuxguard's
 * attributes; kernel.c builds and decodes the messages.
 */
#ifndef DG_NETLINK_H
#define DG_NETLINK_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

struct nl_sock;
struct nl_msg;

/* What went wrong with the last failed exchange. */
struct dg_nl_error {
	int code;		/* positive errno (kernel's, or local) */
	bool not_loaded;	/* genl family could not be resolved */
	bool interrupted;	/* a dump changed under us (NLM_F_DUMP_INTR) */
	char ext_msg[256];	/* kernel's extended-ack message, or "" */
	int miss_type;		/* ext-ack missing attribute type, or -1 */
	char detail[256];	/* local failure, e.g. a libnl error, or "" */
};

struct dg_nl {
	struct nl_sock *sk;
	int family;
	struct dg_nl_error err;
};

/*
 * Called for each reply message carrying data; return 0 or a negative
 * errno (which aborts the exchange and is reported as a local failure).
 */
typedef int (*dg_nl_msg_fn)(struct nlmsghdr *nlh, void *arg);

/*
 * Open a generic netlink socket in the current network namespace, enable
 * extended acks and resolve the "demuxguard" family (resolving by name
 * also makes the kernel autoload the module through its family alias).
 * Returns 0, or -1 with @nl->err set; nl->err.not_loaded tells the family
 * is unknown. dg_nl_close() is safe after either.
 */
int dg_nl_open(struct dg_nl *nl);
void dg_nl_close(struct dg_nl *nl);

/* The socket part of dg_nl_open() alone: no family (nl->family is -1). */
int dg_nl_connect(struct dg_nl *nl);

/* A new request for @cmd with @flags (NLM_F_DUMP or 0); NULL if no memory. */
struct nl_msg *dg_nl_new_request(struct dg_nl *nl, uint8_t cmd, int flags);

/*
 * Send @msg (always freed), then read replies until the kernel's ack (do)
 * or NLMSG_DONE (dump), handing each data message to @fn. Returns 0, or
 * -1 with @nl->err set.
 */
int dg_nl_exchange(struct dg_nl *nl, struct nl_msg *msg, dg_nl_msg_fn fn,
		   void *arg);

/*
 * Record a local failure (e.g. building a message) in @nl->err; returns -1
 * so callers can `return dg_nl_fail(...)`.
 */
int dg_nl_fail(struct dg_nl *nl, int code, const char *detail);

#endif /* DG_NETLINK_H */
