// SPDX-License-Identifier: GPL-2.0
/*
 * dgbench - the TCP load generator of demuxguard's benchmark.
 *
 * Runs inside the benchmark VM, linked statically (the initramfs carries no
 * C library for it). It times transactions with CLOCK_MONOTONIC, which
 * under QEMU's -icount counts guest instructions, so a rate it prints is a
 * cost in instructions, not in host wall time.
 *
 *   serve ADDR PORT [-w WORKERS]
 *       Two listeners: PORT echoes every byte back until the client closes
 *       (request/response); PORT+1 answers the first byte with one byte and
 *       closes at once (the server closes first, as an HTTP server does
 *       with "Connection: close": the TIME_WAIT stays with the server, so
 *       the client never runs out of ports). One epoll loop per worker,
 *       workers share the ports with SO_REUSEPORT.
 *   rr ADDR PORT -n N
 *       One connection, N exchanges of 1 byte each way (TCP_RR).
 *   crr ADDR PORT -n N
 *       N times: connect to PORT+1, 1 byte each way, read the server's
 *       close, close (TCP_CRR, the probe pattern).
 *   load ADDR PORT -c CONNS -d SECONDS
 *       CONNS processes in parallel for SECONDS, half of them doing rr on
 *       one connection each, half crr.
 *
 * rr and crr print one line "n=N ns=NANOSECONDS"; load prints
 * "conns=C seconds=S rr=N crr=N errors=N". Every wait is bounded (the
 * socket timeouts below), so a configuration that drops packets fails
 * with a line on stderr and exit status 1 instead of hanging the run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Longest wait for any one step; generous, because TCG is slow. */
#define IO_TIMEOUT_S	10
#define MAX_WORKERS	64
#define MAX_CONNS	1024

static const char *prog = "dgbench";

static void usage(int status) __attribute__((noreturn));
static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: %s serve ADDR PORT [-w WORKERS]\n"
"       %s rr ADDR PORT -n N\n"
"       %s crr ADDR PORT -n N\n"
"       %s load ADDR PORT -c CONNS -d SECONDS\n"
"  ADDR is a numeric IPv4 address; crr and the server's close-first\n"
"  listener use PORT+1\n", prog, prog, prog, prog);
	exit(status);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	errno = saved;
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static unsigned long parse_ulong(const char *s, const char *what,
				 unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: bad %s: %s\n", prog, what, s);
		usage(2);
	}
	return v;
}

static void parse_addr(const char *s, unsigned long port,
		       struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, s, &sin->sin_addr) != 1) {
		fprintf(stderr, "%s: bad IPv4 address: %s\n", prog, s);
		usage(2);
	}
}

/* ---- server ------------------------------------------------------------ */

static int listen_on(const struct sockaddr_in *sin)
{
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) ||
	    listen(fd, 1024)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Write all of a small reply; the socket buffer has room for it. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			return -1;
		}
	}
	return 0;
}

/*
 * The epoll data of a connection: its fd, and in bit 31 whether it came
 * from the close-first listener. Listeners are told apart by fd.
 */
#define CLOSE_FIRST	(1U << 31)

static int serve_loop(int lfd_echo, int lfd_once)
{
	struct epoll_event ev, evs[64];
	char buf[4096];
	int ep, i, n;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return fail("epoll_create1: %m");
	ev.events = EPOLLIN;
	ev.data.u32 = (uint32_t)lfd_echo;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd_echo, &ev);
	ev.data.u32 = (uint32_t)lfd_once;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd_once, &ev);

	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail("epoll_wait: %m");
		}
		for (i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;
			int fd = (int)(tag & ~CLOSE_FIRST);
			ssize_t r;

			if (fd == lfd_echo || fd == lfd_once) {
				int c = accept4(fd, NULL, NULL,
						SOCK_NONBLOCK | SOCK_CLOEXEC);
				int one = 1;

				if (c < 0)
					continue;	/* EAGAIN, ECONNABORTED */
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof(one));
				ev.events = EPOLLIN;
				ev.data.u32 = (uint32_t)c |
					      (fd == lfd_once ? CLOSE_FIRST : 0);
				if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev))
					close(c);
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			/* EOF, error, or the close-first reply sent: done. */
			if (r > 0 && !write_all(fd, buf, (size_t)r) &&
			    !(tag & CLOSE_FIRST))
				continue;
			close(fd);	/* also leaves the epoll set */
		}
	}
}

static int cmd_serve(int argc, char **argv)
{
	struct sockaddr_in echo, once;
	unsigned long port, workers = 1, i;
	int c, lfd_echo, lfd_once;

	while ((c = getopt(argc, argv, "w:")) != -1) {
		if (c != 'w')
			usage(2);
		workers = parse_ulong(optarg, "worker count", 1, MAX_WORKERS);
	}
	if (argc - optind != 2)
		usage(2);
	port = parse_ulong(argv[optind + 1], "port", 1, 65534);
	parse_addr(argv[optind], port, &echo);
	parse_addr(argv[optind], port + 1, &once);

	signal(SIGPIPE, SIG_IGN);
	/* Workers after the first are children sharing the ports. */
	for (i = 1; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return fail("fork: %m");
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			break;
		}
	}
	lfd_echo = listen_on(&echo);
	lfd_once = listen_on(&once);
	if (lfd_echo < 0 || lfd_once < 0)
		return fail("listen on %s ports %lu, %lu: %m", argv[optind],
			    port, port + 1);
	return serve_loop(lfd_echo, lfd_once);
}

/* ---- clients ----------------------------------------------------------- */

static int connect_to(const struct sockaddr_in *sin)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail("socket: %m");
		return -1;
	}
	/* Bounded waits; SO_SNDTIMEO also bounds connect(). */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin))) {
		fail("connect %s:%u: %m", inet_ntoa(sin->sin_addr),
		     ntohs(sin->sin_port));
		close(fd);
		return -1;
	}
	return fd;
}

/* Send one byte, receive one byte back. */
static int exchange(int fd)
{
	char b = 'x';
	ssize_t n;

	do
		n = write(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return fail("send: %s", n < 0 ? strerror(errno) : "short");
	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return fail("receive: %s", n < 0 ? strerror(errno) :
						  "connection closed");
	return 0;
}

/* One probe: connect, 1 byte each way, wait for the server's FIN, close. */
static int crr_once(const struct sockaddr_in *sin)
{
	char b;
	ssize_t n;
	int fd = connect_to(sin);

	if (fd < 0)
		return 1;
	if (exchange(fd))
		goto err;
	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		fail("expected the server's close, got %s",
		     n < 0 ? strerror(errno) : "data");
		goto err;
	}
	close(fd);
	return 0;
err:
	close(fd);
	return 1;
}

static int cmd_timed(int argc, char **argv, bool crr)
{
	struct sockaddr_in sin;
	unsigned long count = 0, port, i;
	uint64_t t0, t1;
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n')
			usage(2);
		count = parse_ulong(optarg, "count", 1, ULONG_MAX);
	}
	if (argc - optind != 2 || !count)
		usage(2);
	port = parse_ulong(argv[optind + 1], "port", 1, 65534);
	parse_addr(argv[optind], crr ? port + 1 : port, &sin);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * rr times the exchanges only: the connection set-up is the crr
	 * test's business. crr times everything from the first connect.
	 */
	if (crr) {
		t0 = now_ns();
		for (i = 0; i < count; i++)
			if (crr_once(&sin))
				return 1;
		t1 = now_ns();
	} else {
		int fd = connect_to(&sin);

		if (fd < 0)
			return 1;
		/* One exchange first, so the server side is settled. */
		if (exchange(fd))
			return 1;
		t0 = now_ns();
		for (i = 0; i < count; i++)
			if (exchange(fd))
				return 1;
		t1 = now_ns();
		close(fd);
	}
	printf("n=%lu ns=%llu\n", count, (unsigned long long)(t1 - t0));
	return 0;
}

struct load_slot {
	unsigned long transactions;
	unsigned long errors;
};

static void load_worker(const struct sockaddr_in *echo,
			const struct sockaddr_in *once, bool crr,
			uint64_t deadline, struct load_slot *slot)
{
	int fd = -1;

	while (now_ns() < deadline) {
		if (crr) {
			if (crr_once(once))
				slot->errors++;
			else
				slot->transactions++;
			continue;
		}
		if (fd < 0)
			fd = connect_to(echo);
		if (fd >= 0 && !exchange(fd)) {
			slot->transactions++;
			continue;
		}
		slot->errors++;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
}

static int cmd_load(int argc, char **argv)
{
	struct sockaddr_in echo, once;
	unsigned long conns = 0, seconds = 0, port, i;
	unsigned long rr = 0, crr = 0, errors = 0;
	struct load_slot *slots;
	uint64_t deadline;
	int c, status, ret = 0;

	while ((c = getopt(argc, argv, "c:d:")) != -1) {
		switch (c) {
		case 'c':
			conns = parse_ulong(optarg, "connection count", 1,
					    MAX_CONNS);
			break;
		case 'd':
			seconds = parse_ulong(optarg, "duration", 1, 3600);
			break;
		default:
			usage(2);
		}
	}
	if (argc - optind != 2 || !conns || !seconds)
		usage(2);
	port = parse_ulong(argv[optind + 1], "port", 1, 65534);
	parse_addr(argv[optind], port, &echo);
	parse_addr(argv[optind], port + 1, &once);
	signal(SIGPIPE, SIG_IGN);

	slots = mmap(NULL, conns * sizeof(*slots), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED)
		return fail("mmap: %m");
	deadline = now_ns() + (uint64_t)seconds * 1000000000ULL;
	for (i = 0; i < conns; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fail("fork: %m");
			ret = 1;
			break;
		}
		if (pid == 0) {
			load_worker(&echo, &once, i % 2, deadline, &slots[i]);
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = 1;
	for (i = 0; i < conns; i++) {
		if (i % 2)
			crr += slots[i].transactions;
		else
			rr += slots[i].transactions;
		errors += slots[i].errors;
	}
	printf("conns=%lu seconds=%lu rr=%lu crr=%lu errors=%lu\n", conns,
	       seconds, rr, crr, errors);
	return ret || errors;
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
	if (!strcmp(cmd, "rr"))
		return cmd_timed(argc, argv, false);
	if (!strcmp(cmd, "crr"))
		return cmd_timed(argc, argv, true);
	if (!strcmp(cmd, "load"))
		return cmd_load(argc, argv);
	fprintf(stderr, "%s: unknown command: %s\n", prog, cmd);
	usage(2);
}
