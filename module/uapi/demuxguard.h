/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * demuxguard: the generic netlink contract between the kernel module and
 * userspace (the demuxguard CLI, or any genetlink client such as ynl).
 *
 * Family "demuxguard", version 1. Every command is issued in the caller's
 * network namespace (the family is netns-aware); devices are named by
 * exactly one of DEMUXGUARD_A_IFINDEX or DEMUXGUARD_A_IFNAME and are
 * resolved in that namespace. Reads are open to everyone. Writes need
 * CAP_NET_ADMIN in the initial user namespace; CAP_NET_ADMIN over the
 * namespace's own user namespace suffices only when the module was loaded
 * with userns_writes=1, and never for MODE monitor (its probes cost every
 * packet of the host). A refusal is EPERM with an extended-ack message.
 *
 * Policy model: per namespace, per interface, one mode (enum
 * demuxguard_mode). A mode comes either from an explicit per-interface
 * setting (DEMUXGUARD_CMD_SET_DEV) or from the longest matching interface
 * name prefix rule (DEMUXGUARD_CMD_ADD_RULE); an explicit setting wins.
 * Policy follows the interface and disappears with it.
 *
 * Commands
 *   GET_STATUS   do    -> VERSION, HOOK (nested, one per hook), PROBE_MISSED,
 *                      NR_IFACES, NR_RULES (objects the module holds for
 *                      the caller's namespace; for every namespace when
 *                      asked from the initial one)
 *   GET_DEV      do    (IFINDEX|IFNAME) -> one DEV message
 *                dump  -> one DEV message per interface that has policy
 *   SET_DEV      do    (IFINDEX|IFNAME), MODE
 *   UNSET_DEV    do    (IFINDEX|IFNAME): drop the explicit setting
 *   ADD_RULE     do    PREFIX, MODE (replaces the mode of an existing rule)
 *   DEL_RULE     do    PREFIX
 *   GET_RULE     dump  -> one RULE message (PREFIX, MODE) per rule
 *   GET_STATS    do    (IFINDEX|IFNAME) -> one DEV message with STATS_IPV4/6
 *                dump  -> one such message per interface that has policy
 *   RESET_STATS  do    [IFINDEX|IFNAME]: reset one interface, or all of the
 *                      namespace's interfaces when no device is given
 *
 * A DEV message carries IFINDEX, IFNAME, MODE, SOURCE and, when SOURCE is
 * DEMUXGUARD_SOURCE_RULE, RULE_PREFIX (the rule that supplied the mode).
 * Counters are u64 attributes inside the STATS_IPV4 / STATS_IPV6 nests.
 */
#ifndef _UAPI_LINUX_DEMUXGUARD_H
#define _UAPI_LINUX_DEMUXGUARD_H

#define DEMUXGUARD_GENL_NAME		"demuxguard"
#define DEMUXGUARD_GENL_VERSION		1

/* Longest interface name prefix a rule may carry (IFNAMSIZ - 1). */
#define DEMUXGUARD_PREFIX_MAXLEN	15

enum demuxguard_cmd {
	DEMUXGUARD_CMD_UNSPEC,
	DEMUXGUARD_CMD_GET_STATUS,
	DEMUXGUARD_CMD_GET_DEV,
	DEMUXGUARD_CMD_SET_DEV,
	DEMUXGUARD_CMD_UNSET_DEV,
	DEMUXGUARD_CMD_ADD_RULE,
	DEMUXGUARD_CMD_DEL_RULE,
	DEMUXGUARD_CMD_GET_RULE,
	DEMUXGUARD_CMD_GET_STATS,
	DEMUXGUARD_CMD_RESET_STATS,

	__DEMUXGUARD_CMD_MAX,
	DEMUXGUARD_CMD_MAX = __DEMUXGUARD_CMD_MAX - 1
};

enum demuxguard_mode {
	DEMUXGUARD_MODE_OFF,
	DEMUXGUARD_MODE_MONITOR,
	DEMUXGUARD_MODE_VETO,

	__DEMUXGUARD_MODE_MAX,
	DEMUXGUARD_MODE_MAX = __DEMUXGUARD_MODE_MAX - 1
};

/* Where an interface's mode comes from. */
enum demuxguard_source {
	DEMUXGUARD_SOURCE_NONE,		/* no policy: the interface is off */
	DEMUXGUARD_SOURCE_EXPLICIT,	/* SET_DEV */
	DEMUXGUARD_SOURCE_RULE,		/* a prefix rule; see RULE_PREFIX */
};

enum demuxguard_attr {
	DEMUXGUARD_A_UNSPEC,
	DEMUXGUARD_A_PAD,
	DEMUXGUARD_A_VERSION,		/* string: module version */
	DEMUXGUARD_A_IFINDEX,		/* u32 */
	DEMUXGUARD_A_IFNAME,		/* string, at most IFNAMSIZ - 1 bytes */
	DEMUXGUARD_A_MODE,		/* u8: enum demuxguard_mode */
	DEMUXGUARD_A_SOURCE,		/* u8: enum demuxguard_source */
	DEMUXGUARD_A_RULE_PREFIX,	/* string, at most PREFIX_MAXLEN bytes */
	DEMUXGUARD_A_HOOK,		/* nest: enum demuxguard_hook_attr */
	DEMUXGUARD_A_PROBE_MISSED,	/* u64: sum of all hooks' misses */
	DEMUXGUARD_A_STATS_IPV4,	/* nest: enum demuxguard_stat */
	DEMUXGUARD_A_STATS_IPV6,	/* nest: enum demuxguard_stat */
	/*
	 * Objects held for the caller's namespace, or for every namespace
	 * when asked from the initial one.
	 */
	DEMUXGUARD_A_NR_IFACES,		/* u32: interface entries */
	DEMUXGUARD_A_NR_RULES,		/* u32: rules */
	DEMUXGUARD_A_VETO_HOOK,		/* u8: enum demuxguard_hook_kind the veto of
					 * this interface runs on (DEV messages;
					 * NONE unless the mode is veto and a hook
					 * is attached) */
	DEMUXGUARD_A_HOOK_ERROR,	/* u32: errno (positive) when the interface's
					 * mode needs a hook that could not be
					 * attached: the interface is NOT guarded */
	DEMUXGUARD_A_NR_UNGUARDED,	/* u32: interfaces whose mode needs a hook
					 * that is not attached (GET_STATUS) */

	__DEMUXGUARD_A_MAX,
	DEMUXGUARD_A_MAX = __DEMUXGUARD_A_MAX - 1
};

/* How a hook attaches to the kernel. */
enum demuxguard_hook_kind {
	DEMUXGUARD_HOOK_KIND_NONE,		/* not attached */
	DEMUXGUARD_HOOK_KIND_KPROBE,		/* kprobe on a kernel function (monitor) */
	DEMUXGUARD_HOOK_KIND_RX_HANDLER,	/* the interface's rx_handler (veto) */
	DEMUXGUARD_HOOK_KIND_NF_INGRESS,	/* netfilter NF_NETDEV_INGRESS hook (veto) */

	__DEMUXGUARD_HOOK_KIND_MAX,
	DEMUXGUARD_HOOK_KIND_MAX = __DEMUXGUARD_HOOK_KIND_MAX - 1
};

/*
 * One DEMUXGUARD_A_HOOK nest per hook: a probed kernel function, or a kind
 * of per-interface hook (summed over the interfaces that use it).
 */
enum demuxguard_hook_attr {
	DEMUXGUARD_HOOK_A_UNSPEC,
	DEMUXGUARD_HOOK_A_PAD,
	DEMUXGUARD_HOOK_A_NAME,		/* string: probed symbol */
	DEMUXGUARD_HOOK_A_ATTACHED,	/* u8: 1 if the probe is registered */
	DEMUXGUARD_HOOK_A_ARMED,	/* u8: 1 if the probe is enabled now */
	DEMUXGUARD_HOOK_A_MISSED,	/* u64: this probe's misses */
	DEMUXGUARD_HOOK_A_HITS,		/* u64: times its handler ran since load */
	DEMUXGUARD_HOOK_A_KIND,		/* u8: enum demuxguard_hook_kind */
	DEMUXGUARD_HOOK_A_ERROR,	/* u32: errno (positive) of the failed attach */
	DEMUXGUARD_HOOK_A_USERS,	/* u32: interfaces that need it now */

	__DEMUXGUARD_HOOK_A_MAX,
	DEMUXGUARD_HOOK_A_MAX = __DEMUXGUARD_HOOK_A_MAX - 1
};

/*
 * Counters, per interface and address family, all u64. See the README for
 * which mode collects which: the first five are collected in monitor mode,
 * VETOED in veto mode.
 */
enum demuxguard_stat {
	DEMUXGUARD_STAT_UNSPEC,
	DEMUXGUARD_STAT_PAD,
	DEMUXGUARD_STAT_DEMUX_CALLS,	/* early-demux calls for packets received here */
	DEMUXGUARD_STAT_SK_HITS,	/* ... that attached a local socket */
	DEMUXGUARD_STAT_DST_HITS,	/* ... and also its cached input route */
	DEMUXGUARD_STAT_IIF_MISMATCH,	/* socket's cached route learned elsewhere */
	DEMUXGUARD_STAT_FWD_SK_DROPS,	/* forwarded while carrying that socket */
	DEMUXGUARD_STAT_VETOED,		/* ... whose socket the module removed */

	__DEMUXGUARD_STAT_MAX,
	DEMUXGUARD_STAT_MAX = __DEMUXGUARD_STAT_MAX - 1
};

#endif /* _UAPI_LINUX_DEMUXGUARD_H */
