// SPDX-License-Identifier: GPL-2.0
/*
 * dgfuzz - netlink fuzzer for the demuxguard generic netlink family, run
 * inside the test VM (statically linked, raw netlink: no library would let
 * it send the malformed messages it exists to send).
 *
 * Several "garbage" threads send messages that are invalid by construction
 * (each carries at least one defect the kernel must refuse: an unknown
 * command, an unknown or mistyped attribute, a wrong length, a missing
 * NUL, an over-long name, a mode out of range, nested junk, a missing
 * required attribute, a truncated header) and read-only requests with junk
 * attributes, and they abandon dumps midway. Every write-command message
 * they send must be refused: one that the kernel accepts is a failure.
 *
 * Meanwhile one "model" thread sends valid set/unset/rule add/del requests
 * for the interfaces named on the command line, checks every acknowledgment
 * and keeps a model of the policy they produce. At the end it dumps the
 * kernel's rules and interfaces and compares them with the model: the state
 * must be exactly what the valid messages produced.
 *
 * Usage: dgfuzz [-n MESSAGES] [-t THREADS] [-T SECONDS] [-s SEED] IFNAME...
 * Prints one summary line; exits 0 on success, 1 on a failed check, 2 on
 * usage or setup errors.
 *
 *        dgfuzz -S
 * Prints the objects the module holds over all namespaces, from GET_STATUS
 * (NR_IFACES, NR_RULES), as "interfaces N rules N": the leak check of the
 * churn scenario, which must not depend on what the CLI prints.
 *
 *        dgfuzz -M CGROUP rule PREFIX MODE
 *        dgfuzz -M CGROUP rename IFNAME NEWNAME
 * Memory pressure without fault injection (Debian's kernels have none):
 * sends one request (ADD_RULE, or an RTM_NEWLINK rename) while charged to
 * the memory cgroup CGROUP, which the caller limited (a cgroup v1 memory
 * group with its OOM killer disabled, so that a charge over the limit
 * fails instead of killing). Everything the tool itself needs is built,
 * opened and locked in memory (mlockall) before it enters the group, so
 * the only charges the limit meets are the kernel's for the request. It
 * leaves the group before printing "ok" or "error: ERRNO-TEXT[: EXTACK]";
 * exits 0 when the request succeeded, 1 when it was refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "demuxguard.h"

#define MAX_IFS		16
#define BUFSZ		8192
#define NLA_HDR		4

static int family_id;
static long budget = 100000;		/* messages, all threads together */
static double deadline;			/* monotonic seconds */
static atomic_long sent;
static atomic_long accepted_garbage;
static atomic_long dumps_abandoned;
static atomic_int failed;
static const char *ifnames[MAX_IFS];
static int nr_ifs;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "dgfuzz: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	atomic_store(&failed, 1);
}

/* xorshift64*: deterministic per thread for a given seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static unsigned int rn(uint64_t *s, unsigned int n)
{
	return n ? rnd(s) % n : 0;
}

static bool more_to_send(void)
{
	return atomic_fetch_add(&sent, 1) < budget && now() < deadline && !atomic_load(&failed);
}

/* ---- message building ---- */

struct msg {
	union {
		struct nlmsghdr nlh;
		char buf[BUFSZ];
	};
	size_t len;
};

static void msg_init(struct msg *m, int type, int flags, uint8_t cmd, uint8_t version)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = version;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Appends an attribute with @len payload bytes; nla_len may be forged. */
static struct nlattr *msg_put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a;

	if (m->len + NLA_HDR + NLA_ALIGN(len) > BUFSZ)
		return NULL;
	a = (struct nlattr *)(m->buf + m->len);
	a->nla_type = type;
	a->nla_len = NLA_HDR + len;
	if (data)
		memcpy((char *)a + NLA_HDR, data, len);
	else
		memset((char *)a + NLA_HDR, 0, len);
	memset((char *)a + NLA_HDR + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_HDR + NLA_ALIGN(len);
	return a;
}

static void msg_put_str(struct msg *m, uint16_t type, const char *s)
{
	msg_put(m, type, s, strlen(s) + 1);
}

static void msg_put_u8(struct msg *m, uint16_t type, uint8_t v)
{
	msg_put(m, type, &v, 1);
}

static void msg_put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_put(m, type, &v, 4);
}

/* ---- socket ---- */

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	int one = 1;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int nl_send(int fd, struct msg *m, uint32_t seq, bool forge_len, uint64_t *rs)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	m->nlh.nlmsg_seq = seq;
	m->nlh.nlmsg_len = m->len;
	if (forge_len) {
		switch (rn(rs, 3)) {
		case 0: m->nlh.nlmsg_len = rn(rs, NLMSG_HDRLEN + GENL_HDRLEN); break;
		case 1: m->nlh.nlmsg_len = m->len + 1 + rn(rs, 64); break;
		default: m->len = rn(rs, m->len); break;	/* short datagram: never whole */
		}
	}
	return sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
}

/*
 * Reads until the answer to @seq: returns the ack's error (0 = accepted),
 * 1 for the end of a dump, -ETIMEDOUT when nothing came. @on_msg sees each
 * data message of a dump.
 */
static int nl_wait(int fd, uint32_t seq, void (*on_msg)(struct nlmsghdr *, void *), void *arg)
{
	static __thread char buf[65536];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE)
				return 1;
			if (on_msg)
				on_msg(h, arg);
		}
	}
}

static int resolve_family(void)
{
	struct msg m;
	int fd, ret;

	fd = nl_open();
	if (fd < 0)
		return -errno;
	msg_init(&m, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	msg_put_str(&m, CTRL_ATTR_FAMILY_NAME, DEMUXGUARD_GENL_NAME);
	m.nlh.nlmsg_len = m.len;
	m.nlh.nlmsg_seq = 1;
	if (send(fd, m.buf, m.len, 0) < 0) {
		close(fd);
		return -errno;
	}
	for (;;) {
		char buf[8192];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			ret = -errno;
			break;
		}
		h = (struct nlmsghdr *)buf;
		if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type == NLMSG_ERROR) {
			ret = -ENOENT;
			break;
		}
		{
			struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
			int rem = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

			ret = -ENOENT;
			while (rem >= NLA_HDR && a->nla_len >= NLA_HDR && a->nla_len <= rem) {
				if (a->nla_type == CTRL_ATTR_FAMILY_ID)
					ret = *(uint16_t *)((char *)a + NLA_HDR);
				rem -= NLA_ALIGN(a->nla_len);
				a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
			}
		}
		break;
	}
	close(fd);
	return ret;
}

/* ---- garbage ---- */

static bool is_write(uint8_t cmd)
{
	return cmd == DEMUXGUARD_CMD_SET_DEV || cmd == DEMUXGUARD_CMD_UNSET_DEV ||
	       cmd == DEMUXGUARD_CMD_ADD_RULE || cmd == DEMUXGUARD_CMD_DEL_RULE;
}

static void put_random_attrs(struct msg *m, uint64_t *rs, int n)
{
	while (n--) {
		uint8_t junk[64];
		size_t len = rn(rs, sizeof(junk) + 1);
		size_t i;

		for (i = 0; i < len; i++)
			junk[i] = rnd(rs);
		msg_put(m, rn(rs, DEMUXGUARD_A_MAX + 4) | (rn(rs, 8) ? 0 : NLA_F_NESTED),
			junk, len);
	}
}

/* A valid-looking interface attribute, so the defect is what gets refused. */
static void put_some_dev(struct msg *m, uint64_t *rs)
{
	if (rn(rs, 2))
		msg_put_str(m, DEMUXGUARD_A_IFNAME, ifnames[rn(rs, nr_ifs)]);
	else
		msg_put_u32(m, DEMUXGUARD_A_IFINDEX, if_nametoindex(ifnames[rn(rs, nr_ifs)]));
}

/*
 * Builds a write-command message with at least one defect. Returns false if
 * the defect is at the netlink header level (no ack is guaranteed).
 */
static bool build_bad_write(struct msg *m, uint64_t *rs, bool *forge_len)
{
	static const uint8_t writes[] = {
		DEMUXGUARD_CMD_SET_DEV, DEMUXGUARD_CMD_UNSET_DEV,
		DEMUXGUARD_CMD_ADD_RULE, DEMUXGUARD_CMD_DEL_RULE,
	};
	uint8_t cmd = writes[rn(rs, sizeof(writes))];
	bool rule = cmd == DEMUXGUARD_CMD_ADD_RULE || cmd == DEMUXGUARD_CMD_DEL_RULE;
	char name[40];
	uint32_t u32;
	int defect = rn(rs, 10);

	msg_init(m, family_id, NLM_F_ACK, cmd, DEMUXGUARD_GENL_VERSION);
	*forge_len = false;
	switch (defect) {
	case 0:	/* attribute type beyond the policy */
		put_some_dev(m, rs);
		msg_put_u8(m, DEMUXGUARD_A_MODE, rn(rs, 3));
		msg_put(m, DEMUXGUARD_A_MAX + 1 + rn(rs, 200), NULL, rn(rs, 9));
		break;
	case 1:	/* known attribute, wrong length */
		u32 = rnd(rs);
		msg_put(m, rule ? DEMUXGUARD_A_MODE : DEMUXGUARD_A_IFINDEX, &u32, 2 + rn(rs, 2));
		if (rule)
			msg_put_str(m, DEMUXGUARD_A_RULE_PREFIX, "fz");
		else
			msg_put_u8(m, DEMUXGUARD_A_MODE, 1);
		break;
	case 2:	/* string without its NUL */
		put_random_attrs(m, rs, 0);
		msg_put(m, rule ? DEMUXGUARD_A_RULE_PREFIX : DEMUXGUARD_A_IFNAME, "fzfz", 4);
		msg_put_u8(m, DEMUXGUARD_A_MODE, 2);
		break;
	case 3:	/* over-long name or prefix (16..39 bytes) */
		memset(name, 'f', sizeof(name));
		name[16 + rn(rs, 24)] = '\0';
		msg_put_str(m, rule ? DEMUXGUARD_A_RULE_PREFIX : DEMUXGUARD_A_IFNAME, name);
		msg_put_u8(m, DEMUXGUARD_A_MODE, 2);
		break;
	case 4:	/* mode out of range */
		if (rule)
			msg_put_str(m, DEMUXGUARD_A_RULE_PREFIX, "fz");
		else
			put_some_dev(m, rs);
		msg_put_u8(m, DEMUXGUARD_A_MODE, 3 + rn(rs, 253));
		if (cmd == DEMUXGUARD_CMD_UNSET_DEV || cmd == DEMUXGUARD_CMD_DEL_RULE)
			msg_put(m, DEMUXGUARD_A_HOOK | NLA_F_NESTED, "junkjunk", 8);
		break;
	case 5:	/* nested junk where the policy has none */
		put_some_dev(m, rs);
		msg_put(m, (rn(rs, 2) ? DEMUXGUARD_A_STATS_IPV4 : DEMUXGUARD_A_HOOK) | NLA_F_NESTED,
			"\x08\x00\x02\x00\x01\x02\x03\x04", 8);
		msg_put_u8(m, DEMUXGUARD_A_MODE, 1);
		break;
	case 6:	/* missing required attribute */
		if (cmd == DEMUXGUARD_CMD_SET_DEV)
			put_some_dev(m, rs);		/* no mode */
		else if (cmd == DEMUXGUARD_CMD_ADD_RULE)
			msg_put_str(m, DEMUXGUARD_A_RULE_PREFIX, "fz");	/* no mode */
		else
			msg_put_u8(m, DEMUXGUARD_A_MODE, 1);	/* no device/prefix */
		break;
	case 7:	/* both ifindex and ifname, or a prefix with a '/' */
		if (rule) {
			msg_put_str(m, DEMUXGUARD_A_RULE_PREFIX, rn(rs, 2) ? "fz/" : "f z");
		} else {
			msg_put_str(m, DEMUXGUARD_A_IFNAME, ifnames[0]);
			msg_put_u32(m, DEMUXGUARD_A_IFINDEX, if_nametoindex(ifnames[0]));
		}
		msg_put_u8(m, DEMUXGUARD_A_MODE, 2);
		break;
	case 8:	/* ifindex 0 or an interface that does not exist */
		if (rule) {
			msg_put_str(m, DEMUXGUARD_A_RULE_PREFIX, "fz");
			msg_put(m, DEMUXGUARD_A_MAX + 1, NULL, 0);
		} else if (rn(rs, 2)) {
			msg_put_u32(m, DEMUXGUARD_A_IFINDEX, 0);
		} else {
			msg_put_str(m, DEMUXGUARD_A_IFNAME, "nosuchdev0");
		}
		msg_put_u8(m, DEMUXGUARD_A_MODE, 1);
		break;
	default:	/* broken netlink header */
		put_some_dev(m, rs);
		msg_put_u8(m, DEMUXGUARD_A_MODE, 2);
		*forge_len = true;
		return false;
	}
	return true;
}

static void *garbage_thread(void *arg)
{
	uint64_t rs = (uintptr_t)arg * 0x9E3779B97F4A7C15ULL + 1;
	uint32_t seq = 1;
	int fd = nl_open();

	if (fd < 0) {
		fail("socket: %s", strerror(errno));
		return NULL;
	}
	while (more_to_send()) {
		struct msg m;
		bool forge = false;
		int kind = rn(&rs, 10), err;

		seq++;
		if (kind < 6) {
			bool acked = build_bad_write(&m, &rs, &forge);

			if (nl_send(fd, &m, seq, forge, &rs) < 0)
				continue;
			if (!acked)
				continue;
			err = nl_wait(fd, seq, NULL, NULL);
			if (err == 0) {
				atomic_fetch_add(&accepted_garbage, 1);
				fail("kernel accepted malformed command %u", m.buf[NLMSG_HDRLEN]);
			}
		} else if (kind < 8) {
			/* Any command number, read or unknown, with junk attributes. */
			uint8_t cmd = rn(&rs, 2) ? rn(&rs, DEMUXGUARD_CMD_MAX + 6) :
						   DEMUXGUARD_CMD_GET_STATUS;

			if (is_write(cmd))
				cmd = DEMUXGUARD_CMD_MAX + 1 + rn(&rs, 100);
			if (cmd == DEMUXGUARD_CMD_RESET_STATS)
				cmd = DEMUXGUARD_CMD_GET_STATS;
			msg_init(&m, family_id, NLM_F_ACK | (rn(&rs, 2) ? NLM_F_DUMP : 0),
				 cmd, rn(&rs, 4) ? DEMUXGUARD_GENL_VERSION : rnd(&rs));
			put_random_attrs(&m, &rs, rn(&rs, 5));
			if (nl_send(fd, &m, seq, false, &rs) == 0)
				nl_wait(fd, seq, NULL, NULL);
		} else {
			/* A dump read once and abandoned: the socket closes mid-dump. */
			int dfd = nl_open();
			char buf[512];

			if (dfd < 0)
				continue;
			msg_init(&m, family_id, NLM_F_DUMP,
				 rn(&rs, 2) ? DEMUXGUARD_CMD_GET_STATS : DEMUXGUARD_CMD_GET_DEV,
				 DEMUXGUARD_GENL_VERSION);
			if (nl_send(dfd, &m, seq, false, &rs) == 0 && rn(&rs, 2))
				(void)recv(dfd, buf, sizeof(buf), MSG_DONTWAIT);
			close(dfd);
			atomic_fetch_add(&dumps_abandoned, 1);
		}
	}
	close(fd);
	return NULL;
}

/* ---- the model ---- */

#define NR_PREFIXES 6
static const char *const prefixes[NR_PREFIXES] = { "", "f", "fz", "fza", "fzb", "fza1" };

struct model {
	int rule_mode[NR_PREFIXES];	/* -1: no rule */
	int explicit_mode[MAX_IFS];	/* -1: none */
};

static void model_expect(const struct model *mo, int i, int *mode, int *source, const char **rule)
{
	int p, best = -1;

	*rule = NULL;
	if (mo->explicit_mode[i] >= 0) {
		*mode = mo->explicit_mode[i];
		*source = DEMUXGUARD_SOURCE_EXPLICIT;
		return;
	}
	for (p = 0; p < NR_PREFIXES; p++)
		if (mo->rule_mode[p] >= 0 && !strncmp(ifnames[i], prefixes[p], strlen(prefixes[p])) &&
		    (best < 0 || strlen(prefixes[p]) > strlen(prefixes[best])))
			best = p;
	if (best < 0) {
		*mode = DEMUXGUARD_MODE_OFF;
		*source = DEMUXGUARD_SOURCE_NONE;
		return;
	}
	*mode = mo->rule_mode[best];
	*source = DEMUXGUARD_SOURCE_RULE;
	*rule = prefixes[best];
}

struct seen {
	int mode[MAX_IFS], source[MAX_IFS];
	char rule[MAX_IFS][IFNAMSIZ];
	int rule_mode[NR_PREFIXES];
	int unknown;
};

static void parse_attrs(struct nlmsghdr *h, struct nlattr **tb, int max)
{
	struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
	int rem = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (rem >= NLA_HDR && a->nla_len >= NLA_HDR && a->nla_len <= rem) {
		if ((a->nla_type & NLA_TYPE_MASK) <= max)
			tb[a->nla_type & NLA_TYPE_MASK] = a;
		rem -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

static void on_dev(struct nlmsghdr *h, void *arg)
{
	struct seen *s = arg;
	struct nlattr *tb[DEMUXGUARD_A_MAX + 1];
	int i;

	parse_attrs(h, tb, DEMUXGUARD_A_MAX);
	if (!tb[DEMUXGUARD_A_IFNAME] || !tb[DEMUXGUARD_A_MODE] || !tb[DEMUXGUARD_A_SOURCE]) {
		s->unknown++;
		return;
	}
	for (i = 0; i < nr_ifs; i++) {
		if (strcmp((char *)tb[DEMUXGUARD_A_IFNAME] + NLA_HDR, ifnames[i]))
			continue;
		s->mode[i] = *((uint8_t *)tb[DEMUXGUARD_A_MODE] + NLA_HDR);
		s->source[i] = *((uint8_t *)tb[DEMUXGUARD_A_SOURCE] + NLA_HDR);
		if (tb[DEMUXGUARD_A_RULE_PREFIX])
			snprintf(s->rule[i], IFNAMSIZ, "%s",
				 (char *)tb[DEMUXGUARD_A_RULE_PREFIX] + NLA_HDR);
		return;
	}
	/* Other interfaces of the namespace (lo, ...) may match rules too. */
}

static void on_rule(struct nlmsghdr *h, void *arg)
{
	struct seen *s = arg;
	struct nlattr *tb[DEMUXGUARD_A_MAX + 1];
	int p;

	parse_attrs(h, tb, DEMUXGUARD_A_MAX);
	if (!tb[DEMUXGUARD_A_RULE_PREFIX] || !tb[DEMUXGUARD_A_MODE]) {
		s->unknown++;
		return;
	}
	for (p = 0; p < NR_PREFIXES; p++)
		if (!strcmp((char *)tb[DEMUXGUARD_A_RULE_PREFIX] + NLA_HDR, prefixes[p])) {
			s->rule_mode[p] = *((uint8_t *)tb[DEMUXGUARD_A_MODE] + NLA_HDR);
			return;
		}
	s->unknown++;
}

static long model_ops;

static void *model_thread(void *arg)
{
	uint64_t rs = (uintptr_t)arg;
	struct model mo;
	struct seen s;
	uint32_t seq = 1;
	struct msg m;
	int fd = nl_open(), i, err;

	(void)arg;
	if (fd < 0) {
		fail("socket: %s", strerror(errno));
		return NULL;
	}
	for (i = 0; i < NR_PREFIXES; i++)
		mo.rule_mode[i] = -1;
	for (i = 0; i < MAX_IFS; i++)
		mo.explicit_mode[i] = -1;

	while (more_to_send()) {
		int op = rn(&rs, 4), p = rn(&rs, NR_PREFIXES), d = rn(&rs, nr_ifs);
		uint8_t mode = rn(&rs, 3);
		int want;

		msg_init(&m, family_id, NLM_F_ACK, 0, DEMUXGUARD_GENL_VERSION);
		switch (op) {
		case 0:
			m.buf[NLMSG_HDRLEN] = DEMUXGUARD_CMD_SET_DEV;
			msg_put_str(&m, DEMUXGUARD_A_IFNAME, ifnames[d]);
			msg_put_u8(&m, DEMUXGUARD_A_MODE, mode);
			want = 0;
			break;
		case 1:
			m.buf[NLMSG_HDRLEN] = DEMUXGUARD_CMD_UNSET_DEV;
			msg_put_u32(&m, DEMUXGUARD_A_IFINDEX, if_nametoindex(ifnames[d]));
			want = mo.explicit_mode[d] >= 0 ? 0 : -ENOENT;
			break;
		case 2:
			m.buf[NLMSG_HDRLEN] = DEMUXGUARD_CMD_ADD_RULE;
			msg_put_str(&m, DEMUXGUARD_A_RULE_PREFIX, prefixes[p]);
			msg_put_u8(&m, DEMUXGUARD_A_MODE, mode);
			want = 0;
			break;
		default:
			m.buf[NLMSG_HDRLEN] = DEMUXGUARD_CMD_DEL_RULE;
			msg_put_str(&m, DEMUXGUARD_A_RULE_PREFIX, prefixes[p]);
			want = mo.rule_mode[p] >= 0 ? 0 : -ENOENT;
			break;
		}
		if (nl_send(fd, &m, ++seq, false, &rs) < 0) {
			fail("send: %s", strerror(errno));
			break;
		}
		err = nl_wait(fd, seq, NULL, NULL);
		if (err != want) {
			fail("valid op %d answered %d, expected %d", op, err, want);
			break;
		}
		model_ops++;
		if (op == 0)
			mo.explicit_mode[d] = mode;
		else if (op == 1)
			mo.explicit_mode[d] = -1;
		else if (op == 2)
			mo.rule_mode[p] = mode;
		else
			mo.rule_mode[p] = -1;
	}

	/* Compare the kernel's state with the model. */
	memset(&s, 0, sizeof(s));
	for (i = 0; i < NR_PREFIXES; i++)
		s.rule_mode[i] = -1;
	for (i = 0; i < MAX_IFS; i++)
		s.source[i] = DEMUXGUARD_SOURCE_NONE;
	msg_init(&m, family_id, NLM_F_DUMP, DEMUXGUARD_CMD_GET_RULE, DEMUXGUARD_GENL_VERSION);
	if (nl_send(fd, &m, ++seq, false, &rs) < 0 || nl_wait(fd, seq, on_rule, &s) != 1)
		fail("rule dump failed");
	msg_init(&m, family_id, NLM_F_DUMP, DEMUXGUARD_CMD_GET_DEV, DEMUXGUARD_GENL_VERSION);
	if (nl_send(fd, &m, ++seq, false, &rs) < 0 || nl_wait(fd, seq, on_dev, &s) != 1)
		fail("device dump failed");
	if (s.unknown)
		fail("%d dumped objects the model does not know", s.unknown);
	for (i = 0; i < NR_PREFIXES; i++)
		if (s.rule_mode[i] != mo.rule_mode[i])
			fail("rule '%s': kernel mode %d, model %d", prefixes[i],
			     s.rule_mode[i], mo.rule_mode[i]);
	for (i = 0; i < nr_ifs; i++) {
		int mode, source;
		const char *rule;

		model_expect(&mo, i, &mode, &source, &rule);
		if (s.source[i] == DEMUXGUARD_SOURCE_NONE)
			s.mode[i] = DEMUXGUARD_MODE_OFF;
		if (s.mode[i] != mode || s.source[i] != source ||
		    (rule && strcmp(rule, s.rule[i])))
			fail("%s: kernel mode %d source %d rule '%s', model mode %d source %d rule '%s'",
			     ifnames[i], s.mode[i], s.source[i], s.rule[i], mode, source,
			     rule ?: "");
	}
	close(fd);
	return NULL;
}

/* ---- -S: the module's object counts ---- */

static int print_objects(void)
{
	struct nlattr *tb[DEMUXGUARD_A_MAX + 1];
	struct msg m;
	char buf[8192];
	struct nlmsghdr *h;
	ssize_t n;
	int fd;

	fd = nl_open();
	if (fd < 0) {
		fprintf(stderr, "dgfuzz: socket: %s\n", strerror(errno));
		return 2;
	}
	msg_init(&m, family_id, 0, DEMUXGUARD_CMD_GET_STATUS, DEMUXGUARD_GENL_VERSION);
	m.nlh.nlmsg_len = m.len;
	m.nlh.nlmsg_seq = 1;
	if (send(fd, m.buf, m.len, 0) < 0 || (n = recv(fd, buf, sizeof(buf), 0)) < 0) {
		fprintf(stderr, "dgfuzz: GET_STATUS: %s\n", strerror(errno));
		close(fd);
		return 2;
	}
	close(fd);
	h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != family_id) {
		fprintf(stderr, "dgfuzz: GET_STATUS: no status message in the answer\n");
		return 2;
	}
	parse_attrs(h, tb, DEMUXGUARD_A_MAX);
	if (!tb[DEMUXGUARD_A_NR_IFACES] || !tb[DEMUXGUARD_A_NR_RULES] ||
	    tb[DEMUXGUARD_A_NR_IFACES]->nla_len != NLA_HDR + 4 ||
	    tb[DEMUXGUARD_A_NR_RULES]->nla_len != NLA_HDR + 4) {
		fprintf(stderr, "dgfuzz: GET_STATUS: the module does not report its objects\n");
		return 2;
	}
	printf("interfaces %u rules %u\n",
	       *(uint32_t *)((char *)tb[DEMUXGUARD_A_NR_IFACES] + NLA_HDR),
	       *(uint32_t *)((char *)tb[DEMUXGUARD_A_NR_RULES] + NLA_HDR));
	return 0;
}

/* ---- -M: one request under a memory cgroup limit ---- */

/* The answer to the request sent last: 0, or -errno with its extack text. */
static int nomem_answer(int fd, char *ext, size_t extlen)
{
	char buf[8192];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	const struct nlmsgerr *e;
	struct nlattr *a;
	int rem;

	if (n < 0)
		return -errno;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	e = NLMSG_DATA(h);
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return e->error;
	/* With NETLINK_CAP_ACK the request is not echoed: TLVs follow. */
	a = (struct nlattr *)((char *)e + NLMSG_ALIGN(sizeof(*e)));
	rem = (int)h->nlmsg_len - (int)((char *)a - (char *)h);
	while (rem >= NLA_HDR && a->nla_len >= NLA_HDR && a->nla_len <= rem) {
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(ext, extlen, "%.*s", (int)(a->nla_len - NLA_HDR),
				 (char *)a + NLA_HDR);
		rem -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return e->error;
}

/* Returns the exit status, or -1 for a usage error. */
static int nomem_request(const char *cg, char **args, int nargs)
{
	static const char *const modes[] = { "off", "monitor", "veto" };
	int fd, in_fd, out_fd, proto, one = 1, err, i;
	char path[4096], ext[256] = "";
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct msg m;

	if (nargs == 3 && !strcmp(args[0], "rule")) {
		proto = NETLINK_GENERIC;
		family_id = resolve_family();
		if (family_id < 0) {
			fprintf(stderr, "dgfuzz: family %s: %s\n", DEMUXGUARD_GENL_NAME,
				strerror(-family_id));
			return 2;
		}
		for (i = 0; i < 3 && strcmp(args[2], modes[i]); i++)
			;
		if (i == 3)
			return -1;
		msg_init(&m, family_id, NLM_F_ACK, DEMUXGUARD_CMD_ADD_RULE,
			 DEMUXGUARD_GENL_VERSION);
		msg_put_str(&m, DEMUXGUARD_A_RULE_PREFIX, args[1]);
		msg_put_u8(&m, DEMUXGUARD_A_MODE, i);
	} else if (nargs == 3 && !strcmp(args[0], "rename")) {
		struct ifinfomsg *ifi;

		proto = NETLINK_ROUTE;
		memset(m.buf, 0, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*ifi)));
		m.nlh.nlmsg_type = RTM_NEWLINK;
		m.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		ifi = NLMSG_DATA(&m.nlh);
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = (int)if_nametoindex(args[1]);
		if (!ifi->ifi_index) {
			fprintf(stderr, "dgfuzz: no interface %s\n", args[1]);
			return 2;
		}
		m.len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*ifi));
		msg_put_str(&m, IFLA_IFNAME, args[2]);
	} else {
		return -1;
	}
	m.nlh.nlmsg_len = m.len;
	m.nlh.nlmsg_seq = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "dgfuzz: netlink socket: %s\n", strerror(errno));
		return 2;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	in_fd = open(path, O_WRONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/../cgroup.procs", cg);
	out_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (in_fd < 0 || out_fd < 0) {
		fprintf(stderr, "dgfuzz: %s: %s\n", path, strerror(errno));
		return 2;
	}
	/* No page of ours may need charging once inside. */
	if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
		fprintf(stderr, "dgfuzz: mlockall: %s\n", strerror(errno));
		return 2;
	}

	/* "0" moves the writer; its earlier charges stay where they were. */
	if (write(in_fd, "0", 1) != 1) {
		fprintf(stderr, "dgfuzz: enter %s: %s\n", cg, strerror(errno));
		return 2;
	}
	err = send(fd, m.buf, m.len, 0) < 0 ? -errno : nomem_answer(fd, ext, sizeof(ext));
	if (write(out_fd, "0", 1) != 1) {
		fprintf(stderr, "dgfuzz: leave %s: %s\n", cg, strerror(errno));
		return 2;
	}
	munlockall();
	if (!err) {
		puts("ok");
		return 0;
	}
	printf("error: %s%s%s\n", strerror(-err), ext[0] ? ": " : "", ext);
	return 1;
}

int main(int argc, char **argv)
{
	int threads = 4, seconds = 600, opt, i;
	unsigned long long seed = 1;
	const char *nomem_cg = NULL;
	bool objects = false;
	pthread_t tid[65];

	while ((opt = getopt(argc, argv, "n:t:T:s:SM:")) != -1) {
		switch (opt) {
		case 'S': objects = true; break;
		case 'M': nomem_cg = optarg; break;
		case 'n': budget = atol(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'T': seconds = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (objects) {
		if (optind != argc)
			goto usage;
		family_id = resolve_family();
		if (family_id < 0) {
			fprintf(stderr, "dgfuzz: family %s: %s\n", DEMUXGUARD_GENL_NAME,
				strerror(-family_id));
			return 2;
		}
		return print_objects();
	}
	if (nomem_cg) {
		opt = nomem_request(nomem_cg, argv + optind, argc - optind);
		if (opt < 0)
			goto usage;
		return opt;
	}
	if (threads < 1 || threads > 64 || budget < 1 || seconds < 1 || optind >= argc ||
	    argc - optind > MAX_IFS)
		goto usage;
	for (i = optind; i < argc; i++) {
		if (!if_nametoindex(argv[i])) {
			fprintf(stderr, "dgfuzz: no interface %s\n", argv[i]);
			return 2;
		}
		ifnames[nr_ifs++] = argv[i];
	}
	family_id = resolve_family();
	if (family_id < 0) {
		fprintf(stderr, "dgfuzz: family %s: %s\n", DEMUXGUARD_GENL_NAME, strerror(-family_id));
		return 2;
	}
	deadline = now() + seconds;

	for (i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, garbage_thread, (void *)(uintptr_t)(seed + i + 1));
	pthread_create(&tid[threads], NULL, model_thread, (void *)(uintptr_t)(seed * 7919 + 13));
	for (i = 0; i <= threads; i++)
		pthread_join(tid[i], NULL);

	printf("dgfuzz: %ld messages, %ld valid ops modelled, %ld dumps abandoned, "
	       "%ld malformed accepted, state %s\n",
	       atomic_load(&sent) < budget ? atomic_load(&sent) : budget, model_ops,
	       atomic_load(&dumps_abandoned), atomic_load(&accepted_garbage),
	       atomic_load(&failed) ? "MISMATCH or failure" : "matches model");
	return atomic_load(&failed) ? 1 : 0;

usage:
	fprintf(stderr, "usage: dgfuzz [-n MESSAGES] [-t THREADS] [-T SECONDS] [-s SEED] IFNAME...\n"
			"       dgfuzz -S\n"
			"       dgfuzz -M CGROUP {rule PREFIX MODE | rename IFNAME NEWNAME}\n");
	return 2;
}
