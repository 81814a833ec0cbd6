/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/demuxguard.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_DEMUXGUARD_H
#define _UAPI_LINUX_DEMUXGUARD_H

#define DEMUXGUARD_GENL_NAME	"demuxguard"
#define DEMUXGUARD_GENL_VERSION	1

#define DEMUXGUARD_PREFIX_MAXLEN	15

/**
 * enum demuxguard_mode - What demuxguard does on an interface.
 * @DEMUXGUARD_MODE_OFF: Nothing. As an explicit setting, an exemption from
 *   every rule.
 * @DEMUXGUARD_MODE_MONITOR: Count only: what early demux does with the packets
 *   received here, and the forwarded packets that still carry its socket (the
 *   kernel drops them).
 * @DEMUXGUARD_MODE_VETO: Fix: early demux never steers a packet received here.
 *   The interface's rx_handler (or, where that is taken, a netfilter ingress
 *   hook) gives every IPv4/IPv6 packet without a dst a shared metadata dst, so
 *   ip_rcv_finish_core() / ip6_rcv_finish_core() skip early demux and route it
 *   as usual (routing drops the marker); a forwarded packet no longer carries
 *   a local socket and is not dropped.
 */
enum demuxguard_mode {
	DEMUXGUARD_MODE_OFF,
	DEMUXGUARD_MODE_MONITOR,
	DEMUXGUARD_MODE_VETO,

	/* private: */
	__DEMUXGUARD_MODE_MAX,
	DEMUXGUARD_MODE_MAX = (__DEMUXGUARD_MODE_MAX - 1)
};

/**
 * enum demuxguard_source - Where an interface's mode comes from.
 * @DEMUXGUARD_SOURCE_NONE: No policy, the interface is off.
 * @DEMUXGUARD_SOURCE_EXPLICIT: An explicit setting (set-dev).
 * @DEMUXGUARD_SOURCE_RULE: A prefix rule, named by the rule-prefix attribute.
 */
enum demuxguard_source {
	DEMUXGUARD_SOURCE_NONE,
	DEMUXGUARD_SOURCE_EXPLICIT,
	DEMUXGUARD_SOURCE_RULE,
};

/**
 * enum demuxguard_hook_kind - How a hook attaches to the kernel.
 * @DEMUXGUARD_HOOK_KIND_NONE: Not attached.
 * @DEMUXGUARD_HOOK_KIND_KPROBE: A kprobe on a kernel function (monitor).
 * @DEMUXGUARD_HOOK_KIND_RX_HANDLER: The interface's rx_handler (veto).
 * @DEMUXGUARD_HOOK_KIND_NF_INGRESS: A netfilter NF_NETDEV_INGRESS hook (veto).
 */
enum demuxguard_hook_kind {
	DEMUXGUARD_HOOK_KIND_NONE,
	DEMUXGUARD_HOOK_KIND_KPROBE,
	DEMUXGUARD_HOOK_KIND_RX_HANDLER,
	DEMUXGUARD_HOOK_KIND_NF_INGRESS,

	/* private: */
	__DEMUXGUARD_HOOK_KIND_MAX,
	DEMUXGUARD_HOOK_KIND_MAX = (__DEMUXGUARD_HOOK_KIND_MAX - 1)
};

enum demuxguard_attr {
	DEMUXGUARD_A_UNSPEC,
	DEMUXGUARD_A_PAD,
	DEMUXGUARD_A_VERSION,
	DEMUXGUARD_A_IFINDEX,
	DEMUXGUARD_A_IFNAME,
	DEMUXGUARD_A_MODE,
	DEMUXGUARD_A_SOURCE,
	DEMUXGUARD_A_RULE_PREFIX,
	DEMUXGUARD_A_HOOK,
	DEMUXGUARD_A_PROBE_MISSED,
	DEMUXGUARD_A_STATS_IPV4,
	DEMUXGUARD_A_STATS_IPV6,
	DEMUXGUARD_A_NR_IFACES,
	DEMUXGUARD_A_NR_RULES,
	DEMUXGUARD_A_VETO_HOOK,
	DEMUXGUARD_A_HOOK_ERROR,
	DEMUXGUARD_A_NR_UNGUARDED,

	__DEMUXGUARD_A_MAX,
	DEMUXGUARD_A_MAX = (__DEMUXGUARD_A_MAX - 1)
};

enum demuxguard_hook_attr {
	DEMUXGUARD_HOOK_A_UNSPEC,
	DEMUXGUARD_HOOK_A_PAD,
	DEMUXGUARD_HOOK_A_NAME,
	DEMUXGUARD_HOOK_A_ATTACHED,
	DEMUXGUARD_HOOK_A_ARMED,
	DEMUXGUARD_HOOK_A_MISSED,
	DEMUXGUARD_HOOK_A_HITS,
	DEMUXGUARD_HOOK_A_KIND,
	DEMUXGUARD_HOOK_A_ERROR,
	DEMUXGUARD_HOOK_A_USERS,

	__DEMUXGUARD_HOOK_A_MAX,
	DEMUXGUARD_HOOK_A_MAX = (__DEMUXGUARD_HOOK_A_MAX - 1)
};

enum demuxguard_stat {
	DEMUXGUARD_STAT_UNSPEC,
	DEMUXGUARD_STAT_PAD,
	DEMUXGUARD_STAT_DEMUX_CALLS,
	DEMUXGUARD_STAT_SK_HITS,
	DEMUXGUARD_STAT_DST_HITS,
	DEMUXGUARD_STAT_IIF_MISMATCH,
	DEMUXGUARD_STAT_FWD_SK_DROPS,
	DEMUXGUARD_STAT_VETOED,

	__DEMUXGUARD_STAT_MAX,
	DEMUXGUARD_STAT_MAX = (__DEMUXGUARD_STAT_MAX - 1)
};

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
	DEMUXGUARD_CMD_MAX = (__DEMUXGUARD_CMD_MAX - 1)
};

#endif /* _UAPI_LINUX_DEMUXGUARD_H */
