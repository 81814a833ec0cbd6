// SPDX-License-Identifier: GPL-2.0-only
/*
 * harness.c - test bookkeeping and helpers to capture output and run
 * programs (see harness.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static unsigned int n_pass, n_fail, n_skip;

void t_begin(struct t *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->name, sizeof(t->name), fmt, ap);
	va_end(ap);
	t->failed = false;
}

void t_fail(struct t *t, const char *fmt, ...)
{
	va_list ap;

	fputs("    # ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	t->failed = true;
}

void t_end(struct t *t)
{
	printf("TEST: %-70s [%s]\n", t->name, t->failed ? "FAIL" : " OK ");
	if (t->failed)
		n_fail++;
	else
		n_pass++;
	fflush(stdout);
}

void t_skip(const char *name, const char *why)
{
	printf("    # %s\n", why);
	printf("TEST: %-70s [SKIP]\n", name);
	n_skip++;
}

int t_summary(void)
{
	if (n_skip)
		printf("(%u skipped)\n", n_skip);
	printf("%u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}

/* Show a string with invisible bytes escaped, for failure messages. */
static void show(const char *label, const char *s)
{
	fputs("    #   ", stdout);
	fputs(label, stdout);
	if (!s) {
		fputs("(null)\n", stdout);
		return;
	}
	fputc('[', stdout);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			fputs("\\n\n    #        ", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			fputc(c, stdout);
	}
	fputs("]\n", stdout);
}

void t_check_str(struct t *t, const char *what, const char *got,
		 const char *want)
{
	if (got && want && strcmp(got, want) == 0)
		return;
	t_fail(t, "%s differs", what);
	show("got:  ", got);
	show("want: ", want);
}

void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	if (!m->f) {
		perror("open_memstream");
		exit(2);
	}
}

char *mem_close(struct mem *m)
{
	fclose(m->f);
	m->f = NULL;
	return m->buf;
}

static char *slurp(int fd)
{
	struct mem m;
	char buf[4096];
	ssize_t n;

	mem_open(&m);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, m.f);
	return mem_close(&m);
}

static int temp_fd(void)
{
	char path[] = "/tmp/dg-unit-XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

int run_prog(char *const argv[], const char *stdout_path, bool wrap,
	     struct run *r)
{
	const char *wrapper = wrap ? getenv("DG_CLI_WRAPPER") : NULL;
	char *wcopy = NULL, *full[64];
	int out = -1, err = -1, n = 0, status;
	pid_t pid;

	r->out = r->err = NULL;
	r->status = -1;

	if (wrapper && *wrapper) {
		char *save = NULL, *tok;

		wcopy = strdup(wrapper);
		for (tok = strtok_r(wcopy, " ", &save); tok && n < 32;
		     tok = strtok_r(NULL, " ", &save))
			full[n++] = tok;
	}
	for (int i = 0; argv[i] && n < 63; i++)
		full[n++] = argv[i];
	full[n] = NULL;

	out = stdout_path ? open(stdout_path, O_WRONLY) : temp_fd();
	err = temp_fd();
	if (out < 0 || err < 0)
		goto fail;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(out, 1);
		dup2(err, 2);
		execvp(full[0], full);
		fprintf(stderr, "exec %s: %s\n", full[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
	r->out = stdout_path ? strdup("") : slurp(out);
	r->err = slurp(err);
	close(out);
	close(err);
	free(wcopy);
	return 0;

fail:
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	free(wcopy);
	return -1;
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *write_temp(const char *data, size_t len)
{
	char *path = strdup("/tmp/dg-unit-XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror("write_temp");
		exit(2);
	}
	close(fd);
	return path;
}
