// SPDX-License-Identifier: GPL-2.0
/*
 * dgrec - records a generic netlink exchange with the demuxguard family,
 * inside the test VM (static, raw netlink), for tests/ynl/exchange.py to
 * replay through the kernel's ynl library on the host.
 *
 * Reads requests from stdin, one per line: "LABEL HEX", HEX being a whole
 * netlink message as ynl encoded it (its nlmsg_type is rewritten to the
 * family id resolved here, its sequence number to the line number). Each is
 * sent as is on a socket set up as ynl sets up its own (CAP_ACK, EXT_ACK,
 * GET_STRICT_CHK), and every buffer received until the message that ends
 * the exchange (NLMSG_DONE, or NLMSG_ERROR: the ACK or the error) is
 * printed as "DGYNL-RX LABEL HEX". First prints "DGYNL-FAMILY ID".
 * Exits 0 when every request was answered, 1 on a socket error, 2 on usage.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#define BUFSZ	(128 * 1024)

static unsigned char rx[BUFSZ];

static void put_hex(const char *tag, const char *label, const unsigned char *p, size_t n)
{
	size_t i;

	printf("%s %s ", tag, label);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The "demuxguard" family's id, from the controller. */
static int resolve(int fd)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		unsigned char attrs[32];
	} req = { 0 };
	struct nlattr *a = (struct nlattr *)req.attrs;
	const char name[] = "demuxguard";
	struct nlmsghdr *n;
	ssize_t len;

	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof(name);
	memcpy(req.attrs + NLA_HDRLEN, name, sizeof(name));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_ALIGN(a->nla_len));
	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		return -errno;
	len = recv(fd, rx, sizeof(rx), 0);
	if (len < 0)
		return -errno;
	n = (struct nlmsghdr *)rx;
	if (!NLMSG_OK(n, len) || n->nlmsg_type == NLMSG_ERROR)
		return -ENOENT;
	for (a = (struct nlattr *)((unsigned char *)NLMSG_DATA(n) + GENL_HDRLEN);
	     (unsigned char *)a + NLA_HDRLEN <= rx + n->nlmsg_len && a->nla_len >= NLA_HDRLEN;
	     a = (struct nlattr *)((unsigned char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
			return *(uint16_t *)((unsigned char *)a + NLA_HDRLEN);
	return -ENOENT;
}

int main(void)
{
	static char line[65536];
	static unsigned char msg[32768];
	int fd, one = 1, family, seq = 0;

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one))) {
		perror("dgrec: socket");
		return 1;
	}
	family = resolve(fd);
	if (family < 0) {
		fprintf(stderr, "dgrec: family demuxguard: %s\n", strerror(-family));
		return 1;
	}
	printf("DGYNL-FAMILY %d\n", family);

	while (fgets(line, sizeof(line), stdin)) {
		char *label = strtok(line, " \n"), *hex = strtok(NULL, " \n");
		struct nlmsghdr *req = (struct nlmsghdr *)msg;
		size_t n = 0;
		int done = 0;

		if (!label || !hex)
			continue;
		for (; hex[0] && hex[1] && n < sizeof(msg); hex += 2) {
			int hi = hexval(hex[0]), lo = hexval(hex[1]);

			if (hi < 0 || lo < 0) {
				fprintf(stderr, "dgrec: %s: not hex\n", label);
				return 2;
			}
			msg[n++] = hi << 4 | lo;
		}
		if (n < NLMSG_HDRLEN || req->nlmsg_len != n) {
			fprintf(stderr, "dgrec: %s: not one netlink message\n", label);
			return 2;
		}
		req->nlmsg_type = family;
		req->nlmsg_seq = ++seq;
		if (send(fd, msg, n, 0) < 0) {
			perror("dgrec: send");
			return 1;
		}
		while (!done) {
			ssize_t len = recv(fd, rx, sizeof(rx), 0);
			struct nlmsghdr *r;
			size_t left;

			if (len < 0) {
				perror("dgrec: recv");
				return 1;
			}
			put_hex("DGYNL-RX", label, rx, len);
			left = len;
			for (r = (struct nlmsghdr *)rx; NLMSG_OK(r, left); r = NLMSG_NEXT(r, left))
				if (r->nlmsg_type == NLMSG_DONE || r->nlmsg_type == NLMSG_ERROR)
					done = 1;
		}
	}
	fflush(stdout);
	return 0;
}
