// SPDX-License-Identifier: GPL-2.0
/*
 * dgnet - the TCP test tool of demuxguard's VM selftests.
 *
 * Built statically so it runs in the test initramfs with no libraries.
 * busybox's nc cannot do what the tests need: IPv6, bounded waits, a check
 * that every byte arrived, and many connections in one run. Every wait is
 * bounded, and every failure exits 1 with one line on stderr saying why, so
 * a test can assert both that a connection works and that it does not.
 *
 * Protocol (one TCP connection, the client speaks first):
 *   'C' <payload> EOF   count: the server reads to EOF, replies with the
 *                       number of payload bytes as a decimal line, closes.
 *   'E' <bytes...>      echo: the server sends back every byte it reads
 *                       until EOF, then closes.
 *   EOF                 (no header) the server just closes.
 * Both modes make the server send data, so they exercise server-to-client
 * segments of an established flow, not only the handshake.
 *
 * Addresses are numeric (inet_pton); the family follows the address
 * ("10.0.0.1", "fd00::1", "fe80::1%eth0"). Exit status: 0 success,
 * 1 failure (timeout, refused, short transfer, ...), 2 usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#define DEFAULT_TIMEOUT_MS	3000
#define SERVER_IDLE_MS		30000
#define CHUNK			65536

static const char *prog = "dgnet";

static void usage(int status) __attribute__((noreturn));
static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: %s COMMAND ...\n"
"  serve [-4|-6] [-n COUNT] [-T] [-v] ADDR PORT\n"
"        accept connections forever (or COUNT of them), one process each;\n"
"        ADDR \"any\" listens on both families unless -4/-6 is given;\n"
"        -T: a transparent socket (IP_TRANSPARENT), for TPROXY\n"
"  connect ADDR PORT [-t MS] [-b BYTES] [-n COUNT] [-s SRCADDR] [-v]\n"
"        COUNT connections (default 1), each sending BYTES (default 0)\n"
"        with the count protocol and checking the server's count\n"
"  rr ADDR PORT [-t MS] [-b SIZE] [-n COUNT] [-i MS] [-H] [-s SRCADDR] [-v]\n"
"        one connection, COUNT (default 10) echo exchanges of SIZE bytes\n"
"        (default 1), -i MS apart; -H: print \"connected\", then do one\n"
"        exchange per line read on stdin until EOF\n"
"  waitlisten [-t MS] [-4|-6] PORT\n"
"        wait until a TCP socket listens on PORT in this netns\n"
"  runas UID GID -- CMD [ARG...]\n"
"        drop to UID/GID with no supplementary groups or capabilities, exec\n"
"  -t MS is the longest wait for any one step (default %d ms)\n",
		prog, DEFAULT_TIMEOUT_MS);
	exit(status);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned long long parse_num(const char *s, const char *what,
				    unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		goto bad;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		goto bad;
	return v;
bad:
	fprintf(stderr, "%s: bad %s: %s\n", prog, what, s);
	usage(2);
}

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 8];
};

/* Numeric address to sockaddr; IPv6 takes an optional %ifname scope. */
static bool parse_addr(const char *s, unsigned int port, struct addr *a)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	char *scope;

	memset(a, 0, sizeof(*a));
	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		a->len = sizeof(*s4);
		snprintf(a->text, sizeof(a->text), "%s:%u", s, port);
		return true;
	}
	scope = strchr(buf, '%');
	if (scope)
		*scope++ = '\0';
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) != 1)
		return false;
	if (scope) {
		s6->sin6_scope_id = if_nametoindex(scope);
		if (!s6->sin6_scope_id)
			return false;
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	a->len = sizeof(*s6);
	snprintf(a->text, sizeof(a->text), "[%s]:%u", s, port);
	return true;
}

/* Wait for @events on @fd for at most @ms; 0 ready, -1 timed out. */
static int wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t deadline = now_ms() + (uint64_t)ms;

	for (;;) {
		uint64_t now = now_ms();
		int left = now >= deadline ? 0 : (int)(deadline - now);
		int r = poll(&p, 1, left);

		if (r > 0)
			return 0;
		if (r == 0)
			return -1;
		if (errno != EINTR)
			return -1;
	}
}

/* Write all of @buf; each wait for room is bounded by @ms of no progress. */
static int send_all(int fd, const void *buf, size_t len, int ms,
		    const char *ctx)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return fail("%s: send: %s", ctx, strerror(errno));
		if (wait_fd(fd, POLLOUT, ms))
			return fail("%s: send timed out (no progress in %d ms)",
				    ctx, ms);
	}
	return 0;
}

/*
 * Read up to @len bytes, stopping early only at EOF. Returns bytes read,
 * or -1 after reporting an error or a wait of more than @ms.
 */
static ssize_t recv_upto(int fd, void *buf, size_t len, int ms,
			 const char *ctx)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, p + got, len - got, 0);

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			fail("%s: recv: %s", ctx, strerror(errno));
			return -1;
		}
		if (wait_fd(fd, POLLIN, ms)) {
			fail("%s: receive timed out (no progress in %d ms)",
			     ctx, ms);
			return -1;
		}
	}
	return (ssize_t)got;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Connect with a bounded wait; returns a non-blocking socket or -1. */
static int connect_to(const struct addr *dst, const struct addr *src, int ms)
{
	int fd, err = 0, one = 1;
	socklen_t elen = sizeof(err);

	fd = socket(dst->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail("socket: %s", strerror(errno));
		return -1;
	}
	/* Small request/response exchanges should not wait for Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src && bind(fd, (const struct sockaddr *)&src->ss, src->len)) {
		fail("bind %s: %s", src->text, strerror(errno));
		goto err;
	}
	set_nonblock(fd);
	if (connect(fd, (const struct sockaddr *)&dst->ss, dst->len) &&
	    errno != EINPROGRESS) {
		fail("connect %s: %s", dst->text, strerror(errno));
		goto err;
	}
	if (wait_fd(fd, POLLOUT, ms)) {
		fail("connect %s: timed out after %d ms", dst->text, ms);
		goto err;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err) {
		fail("connect %s: %s", dst->text, strerror(err));
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

static void fill_pattern(char *buf, size_t len, unsigned long long seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)('a' + (seed + i) % 26);
}

/* ---- server ---------------------------------------------------------- */

static bool verbose;

static void serve_count(int fd, const char *peer)
{
	static char buf[CHUNK];
	unsigned long long total = 0;
	char reply[32];
	ssize_t n;

	while ((n = recv_upto(fd, buf, sizeof(buf), SERVER_IDLE_MS, peer)) > 0)
		total += (unsigned long long)n;
	if (n < 0)
		return;
	snprintf(reply, sizeof(reply), "%llu\n", total);
	if (send_all(fd, reply, strlen(reply), SERVER_IDLE_MS, peer))
		return;
	if (verbose)
		fprintf(stderr, "%s: %s: counted %llu bytes\n", prog, peer,
			total);
}

static void serve_echo(int fd, const char *peer)
{
	static char buf[CHUNK];
	unsigned long long total = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				fail("%s: recv: %s", peer, strerror(errno));
				return;
			}
			if (wait_fd(fd, POLLIN, SERVER_IDLE_MS)) {
				fail("%s: idle for %d ms", peer,
				     SERVER_IDLE_MS);
				return;
			}
			continue;
		}
		if (send_all(fd, buf, (size_t)n, SERVER_IDLE_MS, peer))
			return;
		total += (unsigned long long)n;
	}
	if (verbose)
		fprintf(stderr, "%s: %s: echoed %llu bytes\n", prog, peer,
			total);
}

static void serve_one(int fd, const struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN + 16];
	unsigned int port;
	char mode;
	ssize_t n;

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
	}
	snprintf(peer, sizeof(peer), "%s port %u", host, port);
	set_nonblock(fd);
	n = recv_upto(fd, &mode, 1, SERVER_IDLE_MS, peer);
	if (n <= 0)
		return;
	if (mode == 'C')
		serve_count(fd, peer);
	else if (mode == 'E')
		serve_echo(fd, peer);
	else
		fail("%s: unknown protocol byte 0x%02x", peer,
		     (unsigned char)mode);
}

static int cmd_serve(int argc, char **argv)
{
	unsigned long long count = 0, served = 0;
	int family = AF_UNSPEC, c, lfd, one = 1, zero = 0;
	struct addr a;
	unsigned int port;
	bool any, transparent = false;

	while ((c = getopt(argc, argv, "46n:Tv")) != -1) {
		switch (c) {
		case '4': family = AF_INET; break;
		case '6': family = AF_INET6; break;
		case 'n': count = parse_num(optarg, "count", ULLONG_MAX); break;
		case 'T': transparent = true; break;
		case 'v': verbose = true; break;
		default: usage(2);
		}
	}
	if (argc - optind != 2)
		usage(2);
	port = (unsigned int)parse_num(argv[optind + 1], "port", 65535);
	any = !strcmp(argv[optind], "any");
	if (any)
		parse_addr(family == AF_INET ? "0.0.0.0" : "::", port, &a);
	else if (!parse_addr(argv[optind], port, &a))
		return fail("bad address: %s", argv[optind]);
	if (family != AF_UNSPEC && !any && a.ss.ss_family != family)
		return fail("%s is not an IPv%c address", argv[optind],
			    family == AF_INET ? '4' : '6');

	lfd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return fail("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a.ss.ss_family == AF_INET6)
		/* "any" without -6 serves both families; "::" only IPv6. */
		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY,
			   any && family == AF_UNSPEC ? &zero : &one,
			   sizeof(one));
	/* On an IPv6 socket IPV6_TRANSPARENT covers IPv4-mapped peers too. */
	if (transparent &&
	    (a.ss.ss_family == AF_INET6 ?
	     setsockopt(lfd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) :
	     setsockopt(lfd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one))))
		return fail("transparent socket: %s", strerror(errno));
	if (bind(lfd, (struct sockaddr *)&a.ss, a.len))
		return fail("bind %s: %s", a.text, strerror(errno));
	if (listen(lfd, 128))
		return fail("listen %s: %s", a.text, strerror(errno));

	/* Without a count nobody waits for the children: let them vanish. */
	if (!count)
		signal(SIGCHLD, SIG_IGN);
	while (!count || served < count) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		pid_t pid;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return fail("accept: %s", strerror(errno));
		}
		served++;
		pid = fork();
		if (pid == 0) {
			/* Do not outlive a killed server: tests kill only it. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			close(lfd);
			serve_one(fd, &ss);
			close(fd);
			_exit(0);
		}
		if (pid < 0)
			fail("fork: %s", strerror(errno));
		close(fd);
	}
	close(lfd);
	while (wait(NULL) > 0)
		;
	return 0;
}

/* ---- clients --------------------------------------------------------- */

struct client_opts {
	struct addr dst, src;
	bool have_src, hold;
	int timeout;
	unsigned long long bytes, count, interval;
};

static void client_opts_parse(int argc, char **argv, struct client_opts *o,
			      const char *optstr)
{
	const char *src = NULL;
	unsigned int port;
	int c;

	while ((c = getopt(argc, argv, optstr)) != -1) {
		switch (c) {
		case 't':
			o->timeout = (int)parse_num(optarg, "timeout", INT_MAX);
			break;
		case 'b':
			o->bytes = parse_num(optarg, "byte count", 1ULL << 40);
			break;
		case 'n':
			o->count = parse_num(optarg, "count", ULLONG_MAX);
			break;
		case 'i':
			o->interval = parse_num(optarg, "interval", 3600000);
			break;
		case 's': src = optarg; break;
		case 'H': o->hold = true; break;
		case 'v': verbose = true; break;
		default: usage(2);
		}
	}
	if (argc - optind != 2)
		usage(2);
	port = (unsigned int)parse_num(argv[optind + 1], "port", 65535);
	if (!parse_addr(argv[optind], port, &o->dst)) {
		fail("bad address: %s", argv[optind]);
		exit(2);
	}
	if (src) {
		if (!parse_addr(src, 0, &o->src) ||
		    o->src.ss.ss_family != o->dst.ss.ss_family) {
			fail("bad source address: %s", src);
			exit(2);
		}
		o->have_src = true;
	}
}

static int count_once(const struct client_opts *o, char *buf,
		      unsigned long long idx)
{
	unsigned long long left = o->bytes, counted;
	char ctx[96], reply[32], *end;
	const char hdr = 'C';
	ssize_t n;
	int fd, ret = 1;

	fd = connect_to(&o->dst, o->have_src ? &o->src : NULL, o->timeout);
	if (fd < 0)
		return 1;
	snprintf(ctx, sizeof(ctx), "%s connection %llu", o->dst.text, idx);
	if (send_all(fd, &hdr, 1, o->timeout, ctx))
		goto out;
	while (left) {
		size_t len = left < CHUNK ? (size_t)left : CHUNK;

		if (send_all(fd, buf, len, o->timeout, ctx))
			goto out;
		left -= len;
	}
	shutdown(fd, SHUT_WR);
	n = recv_upto(fd, reply, sizeof(reply) - 1, o->timeout, ctx);
	if (n < 0)
		goto out;
	reply[n] = '\0';
	errno = 0;
	counted = strtoull(reply, &end, 10);
	if (!n || errno || *end != '\n') {
		fail("%s: bad reply from server (%zd bytes)", ctx, n);
		goto out;
	}
	if (counted != o->bytes) {
		fail("%s: sent %llu bytes, server received %llu", ctx,
		     o->bytes, counted);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

static int cmd_connect(int argc, char **argv)
{
	struct client_opts o = { .timeout = DEFAULT_TIMEOUT_MS, .count = 1 };
	unsigned long long i;
	uint64_t start;
	char *buf;

	client_opts_parse(argc, argv, &o, "t:b:n:s:v");
	buf = malloc(CHUNK);
	if (!buf)
		return fail("out of memory");
	fill_pattern(buf, CHUNK, 0);
	start = now_ms();
	for (i = 1; i <= o.count; i++)
		if (count_once(&o, buf, i))
			return 1;
	if (verbose)
		printf("%s: %llu connection(s) of %llu bytes in %" PRIu64
		       " ms\n", o.dst.text, o.count, o.bytes,
		       now_ms() - start);
	free(buf);
	return 0;
}

static int rr_exchange(int fd, const struct client_opts *o, char *out,
		       char *in, unsigned long long idx)
{
	char ctx[96];
	ssize_t n;

	snprintf(ctx, sizeof(ctx), "%s exchange %llu", o->dst.text, idx);
	fill_pattern(out, (size_t)o->bytes, idx);
	if (send_all(fd, out, (size_t)o->bytes, o->timeout, ctx))
		return 1;
	n = recv_upto(fd, in, (size_t)o->bytes, o->timeout, ctx);
	if (n < 0)
		return 1;
	if ((size_t)n != o->bytes)
		return fail("%s: connection closed after %zd of %llu bytes",
			    ctx, n, o->bytes);
	if (memcmp(out, in, (size_t)o->bytes))
		return fail("%s: echoed data differs", ctx);
	return 0;
}

static int cmd_rr(int argc, char **argv)
{
	struct client_opts o = {
		.timeout = DEFAULT_TIMEOUT_MS, .count = 10, .bytes = 1,
	};
	unsigned long long i = 0;
	const char hdr = 'E';
	char *out, *in, line[256];
	uint64_t start;
	int fd, ret = 1;

	client_opts_parse(argc, argv, &o, "t:b:n:i:s:Hv");
	if (!o.bytes || o.bytes > 16 * 1024 * 1024) {
		fprintf(stderr, "%s: rr size must be 1..16777216\n", prog);
		usage(2);
	}
	out = malloc((size_t)o.bytes);
	in = malloc((size_t)o.bytes);
	if (!out || !in)
		return fail("out of memory");
	fd = connect_to(&o.dst, o.have_src ? &o.src : NULL, o.timeout);
	if (fd < 0)
		return 1;
	if (send_all(fd, &hdr, 1, o.timeout, o.dst.text))
		goto out;
	start = now_ms();
	if (o.hold) {
		/* The caller paces the exchanges, e.g. around a config change. */
		printf("connected\n");
		fflush(stdout);
		while (fgets(line, sizeof(line), stdin)) {
			if (rr_exchange(fd, &o, out, in, ++i))
				goto out;
			printf("ok %llu\n", i);
			fflush(stdout);
		}
	} else {
		for (i = 1; i <= o.count; i++) {
			if (i > 1 && o.interval)
				usleep((useconds_t)(o.interval * 1000));
			if (rr_exchange(fd, &o, out, in, i))
				goto out;
		}
		i--;
	}
	if (verbose)
		printf("%s: %llu exchange(s) of %llu bytes in %" PRIu64 " ms\n",
		       o.dst.text, i, o.bytes, now_ms() - start);
	ret = 0;
out:
	close(fd);
	free(out);
	free(in);
	return ret;
}

/* ---- waitlisten ------------------------------------------------------ */

/* Does /proc/net/tcp{,6} of this netns show a listener on @port? */
static bool listening_in(const char *path, unsigned int port)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned int lport, state;
		char *colon = strchr(line, ':');

		/* "  sl  local_address rem_address   st ..." */
		if (!colon)
			continue;
		colon = strchr(colon + 1, ':');
		if (colon && sscanf(colon + 1, "%x %*s %x", &lport, &state) == 2)
			found = lport == port && state == 0x0a; /* TCP_LISTEN */
	}
	fclose(f);
	return found;
}

static int cmd_waitlisten(int argc, char **argv)
{
	int timeout = DEFAULT_TIMEOUT_MS, family = AF_UNSPEC, c;
	unsigned int port;
	uint64_t deadline;

	while ((c = getopt(argc, argv, "t:46")) != -1) {
		switch (c) {
		case 't':
			timeout = (int)parse_num(optarg, "timeout", INT_MAX);
			break;
		case '4': family = AF_INET; break;
		case '6': family = AF_INET6; break;
		default: usage(2);
		}
	}
	if (argc - optind != 1)
		usage(2);
	port = (unsigned int)parse_num(argv[optind], "port", 65535);
	deadline = now_ms() + (uint64_t)timeout;
	for (;;) {
		if (family != AF_INET6 && listening_in("/proc/net/tcp", port))
			return 0;
		if (family != AF_INET && listening_in("/proc/net/tcp6", port))
			return 0;
		if (now_ms() >= deadline)
			return fail("nothing listens on port %u after %d ms",
				    port, timeout);
		usleep(10000);
	}
}

/* ---- runas ----------------------------------------------------------- */

static int cmd_runas(int argc, char **argv)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	uid_t uid;
	gid_t gid;

	if (argc < 5 || strcmp(argv[3], "--"))
		usage(2);
	uid = (uid_t)parse_num(argv[1], "uid", UINT_MAX - 1);
	gid = (gid_t)parse_num(argv[2], "gid", UINT_MAX - 1);
	if (!uid)
		return fail("runas: uid 0 would keep privileges");
	/* Clear what setuid() would not: supplementary groups, ambient caps. */
	if (setgroups(0, NULL))
		return fail("setgroups: %s", strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		return fail("clear ambient capabilities: %s", strerror(errno));
	if (setresgid(gid, gid, gid))
		return fail("setresgid %u: %s", gid, strerror(errno));
	/* Leaving uid 0 clears the permitted and effective sets. */
	if (setresuid(uid, uid, uid))
		return fail("setresuid %u: %s", uid, strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail("no_new_privs: %s", strerror(errno));
	/* A permission test that ran with privileges would prove nothing. */
	if (syscall(SYS_capget, &hdr, data))
		return fail("capget: %s", strerror(errno));
	if (data[0].effective || data[1].effective || data[0].permitted ||
	    data[1].permitted || !setresuid(0, 0, 0))
		return fail("runas: privileges were not dropped");
	execvp(argv[4], argv + 4);
	fail("exec %s: %s", argv[4], strerror(errno));
	return 127;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		usage(2);
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		usage(0);
	/* Subcommands see their own argv; getopt restarts on it. */
	argc--;
	argv++;
	optind = 1;
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc, argv);
	if (!strcmp(cmd, "connect"))
		return cmd_connect(argc, argv);
	if (!strcmp(cmd, "rr"))
		return cmd_rr(argc, argv);
	if (!strcmp(cmd, "waitlisten"))
		return cmd_waitlisten(argc, argv);
	if (!strcmp(cmd, "runas"))
		return cmd_runas(argc, argv);
	fprintf(stderr, "%s: unknown command: %s\n", prog, cmd);
	usage(2);
}
