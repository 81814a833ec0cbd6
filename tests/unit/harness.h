/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * harness.h - a minimal test harness: one line `TEST: <name> [ OK ]` or
 * `TEST: <name> [FAIL]` per check (the kernel selftests' format), failure
 * reasons indented above it, and a closing `N passed, N failed` line.
 */
#ifndef DG_TEST_HARNESS_H
#define DG_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct t {
	char name[200];
	bool failed;
};

void t_begin(struct t *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void t_fail(struct t *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void t_end(struct t *t);
void t_skip(const char *name, const char *why);
/* Print the summary; returns the process exit status. */
int t_summary(void);

#define T_CHECK(t, cond, ...)					\
	do {							\
		if (!(cond))					\
			t_fail((t), __VA_ARGS__);		\
	} while (0)

/* Compare strings, showing both (escaped) on mismatch. */
void t_check_str(struct t *t, const char *what, const char *got,
		 const char *want);

/* A FILE that writes to memory; mem_close() returns the text (free it). */
struct mem {
	FILE *f;
	char *buf;
	size_t len;
};
void mem_open(struct mem *m);
char *mem_close(struct mem *m);

/* Result of running a program. */
struct run {
	int status;		/* exit status, or 128 + signal */
	char *out;		/* captured stdout (free with run_free) */
	char *err;		/* captured stderr */
};
/*
 * Run @argv (NULL-terminated) with stdout to a capture file, or to
 * @stdout_path if not NULL; returns 0 or -1 if it could not be started.
 * The environment variable DG_CLI_WRAPPER, if set, is a space-separated
 * command prefix (e.g. valgrind and its options) used when @wrap is true.
 */
int run_prog(char *const argv[], const char *stdout_path, bool wrap,
	     struct run *r);
void run_free(struct run *r);

/* Write @len bytes to a new temporary file; returns its malloc'ed path. */
char *write_temp(const char *data, size_t len);

/* Individual test groups. */
void test_args(void);
void test_json(void);
void test_output(void);
void test_netlink(void);
void test_cli(void);
void test_doctor(void);

#endif /* DG_TEST_HARNESS_H */
