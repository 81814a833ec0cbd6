// SPDX-License-Identifier: GPL-2.0-only
/*
 * netns.c - entering a named network namespace (see netns.h).
 *
 * Unlike `ip netns exec`, nothing is remounted: this tool only talks
 * netlink, and the namespace of a netlink socket is the one its creator
 * was in, so setns() before socket() is all that is needed.
 */
#define _GNU_SOURCE	/* setns(), CLONE_NEWNET */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"

int dg_netns_enter(const char *name, char *msg, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", DG_NETNS_RUN_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			snprintf(msg, len,
				 "network namespace \"%s\" does not exist (no %s)",
				 name, path);
		else
			snprintf(msg, len, "cannot open %s: %s", path,
				 strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		int e = errno;

		if (e == EINVAL)
			snprintf(msg, len,
				 "%s is not a network namespace", path);
		else if (e == EPERM)
			snprintf(msg, len,
				 "cannot enter network namespace \"%s\": %s (needs CAP_SYS_ADMIN)",
				 name, strerror(e));
		else
			snprintf(msg, len,
				 "cannot enter network namespace \"%s\": %s",
				 name, strerror(e));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
