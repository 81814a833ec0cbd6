/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * netns.h - entering a named network namespace, as `ip -n NAME` does.
 */
#ifndef DG_NETNS_H
#define DG_NETNS_H

#include <stddef.h>

/* Directory where `ip netns add` pins named namespaces. */
#define DG_NETNS_RUN_DIR "/run/netns"

/*
 * Switch the calling thread to the network namespace pinned at
 * DG_NETNS_RUN_DIR/@name. Must run before any netlink socket is opened:
 * a socket stays in the namespace it was created in. Returns 0, or -1
 * with a one-line reason in @msg.
 */
int dg_netns_enter(const char *name, char *msg, size_t len);

#endif /* DG_NETNS_H */
