/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * doctor.h - `demuxguard doctor`: which interfaces of a namespace can lose
 * TCP segments to early demux, and whether demuxguard protects them.
 *
 * The drop needs three things (DESIGN.md): early demux is on, a packet for
 * one of the node's own addresses arrives on an interface, and policy
 * routing forwards it instead of delivering it, because an `ip rule iif
 * DEV` ahead of the `local` rule sends it to a table that routes the
 * node's addresses away (the VPC CNI's "security groups for pods" layout).
 * The doctor reads the first from sysctl; for the second and third it asks
 * the kernel, for every interface named by an `ip rule iif` and every node
 * address, which route a TCP segment arriving there would take
 * (RTM_GETROUTE with RTA_IIF, what `ip route get ADDR from SRC iif DEV`
 * sends), and replays the rule walk by hand to say why (fibwalk.c); then
 * it asks the module whether it guards each such interface.
 *
 * Files, one concern each:
 *   doctor.h           this: the plain data the others share
 *   fibwalk.c/.h       the rule/route model and its walk (the "why")
 *   doctor_gather.c    what is asked of the kernel: rtnetlink dumps, the
 *                      RTM_GETROUTE queries, sysctls, the module's state
 *   doctor.c           verdicts: kernel answers, walk and module combined
 *   doctor_suggest.c   the commands that would protect what is at risk
 *   doctor_print.c     the report, text and JSON
 *   buf.c/.h           the growable arrays and bounded strings they share
 * The gathering fills a struct dg_doctor_input of plain data;
 * dg_doctor_analyze() is a pure function from that to a struct
 * dg_doctor_report, so the reasoning is testable without a kernel.
 */
#ifndef DG_DOCTOR_H
#define DG_DOCTOR_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct dg_request;
struct dg_out;
struct dg_nl;

/* Exit status of doctor when some interface is at risk or cannot be told
 * (see --help). */
#define DG_EXIT_AT_RISK		3

/* An address with a prefix length; len 0 matches everything. */
struct dg_prefix {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t len;			/* prefix length in bits */
	uint8_t addr[16];		/* network order; IPv4 in the first 4 */
};

/* One `ip rule` (struct fib_rule_hdr and its FRA_* attributes). */
struct dg_fib_rule {
	uint8_t family;
	uint32_t priority;
	uint8_t action;			/* FR_ACT_* */
	uint32_t table;			/* FR_ACT_TO_TBL */
	uint32_t goto_target;		/* FR_ACT_GOTO: priority to jump to */
	bool invert;			/* `not` */
	char iif[IFNAMSIZ];		/* "" = any input interface */
	bool iif_detached;		/* iif names no existing interface */
	char oif[IFNAMSIZ];
	struct dg_prefix src, dst;	/* `from`, `to` (len 0: all) */
	uint8_t ip_proto;		/* 0: any */
	/*
	 * Selectors on what a packet carries beyond its addresses, which the
	 * doctor cannot know in advance (fwmark, tos/dscp, ports, tunnel id,
	 * uid range, l3mdev, attributes newer than this program): such a
	 * rule may or may not match, and both outcomes are followed.
	 */
	bool other_selectors;
	bool l3mdev;			/* table comes from the VRF device */
	int suppress_prefixlen;		/* -1: none */
	bool suppress_ifgroup;
};

/* One route of any table. */
struct dg_fib_route {
	uint8_t family;
	uint32_t table;
	uint8_t type;			/* RTN_* */
	struct dg_prefix dst;
	uint32_t priority;		/* metric: the lowest wins a tie */
	/* Applies only to some packets (tos, IPv6 source prefix): such a
	 * route "may be chosen" when it beats the others. */
	bool conditional;
	/* No usable next hop: every one dead, or link down where
	 * ignore_routes_with_linkdown is set. The kernel skips it. */
	bool dead;
	char dev[IFNAMSIZ];		/* first next hop's device, or "" */
};

struct dg_link {
	uint32_t ifindex;
	char name[IFNAMSIZ];
	bool loopback;
	bool up;			/* IFF_UP */
	bool carrier;			/* IFF_LOWER_UP */
	int forwarding4;		/* conf/DEV/forwarding: 1, 0, -1 unknown */
	int forwarding6;		/* ipv6 conf/DEV/forwarding (reported) */
	uint32_t master;		/* ifindex of its master, 0: none */
	bool vrf;			/* a VRF device ... */
	uint32_t vrf_table;		/* ... and its table */
};

/* What the kernel answered to one RTM_GETROUTE for an input packet. */
enum dg_kernel_result {
	DG_K_LOCAL,		/* delivered to the node */
	DG_K_FORWARD,		/* a unicast route away from the node */
	DG_K_DROP,		/* no route, unreachable, prohibit, forwarding off */
	DG_K_ERROR,		/* no answer: the request itself was refused */
};

struct dg_route_answer {
	uint8_t family;
	uint32_t ifindex;		/* the interface asked about */
	char iif[IFNAMSIZ];		/* RTA_IIF sent (its VRF for IPv6) */
	uint8_t addr[16];		/* RTA_DST: a node address */
	bool has_src;
	uint8_t src[16];		/* RTA_SRC: an address behind the iif */
	enum dg_kernel_result result;
	uint8_t type;			/* rtm_type of the answer */
	uint32_t table;			/* RTA_TABLE of the answer, 0 if none */
	char oif[IFNAMSIZ];		/* RTA_OIF of the answer, or "" */
	int err;			/* errno (positive) of DROP or ERROR */
};

/* What dg_doctor_gather() collects; the unit tests build it by hand. */
struct dg_doctor_input {
	int ip_early_demux;		/* sysctl value, -1 if unreadable */
	int tcp_early_demux;
	int forwarding6;		/* net.ipv6.conf.all.forwarding, or -1 */
	/* net.ipv4.tcp_l3mdev_accept (IPv4 and IPv6), or -1: whether a
	 * packet received in a VRF finds sockets bound to no device. */
	int tcp_l3mdev_accept;

	struct dg_fib_rule *rules;	/* in the kernel's order */
	size_t n_rules, rules_cap;
	struct dg_fib_route *routes;
	size_t n_routes, routes_cap;
	struct dg_link *links;
	size_t n_links, links_cap;

	/* The kernel's answers; without kernel_asked (the unit tests of the
	 * walk) the walk alone decides. */
	bool kernel_asked;
	struct dg_route_answer *answers;
	size_t n_answers, answers_cap;

	bool module_loaded;
	struct dg_status status;	/* valid if module_loaded */
	struct dg_dev_list devs;	/* GET_STATS dump: devices with policy */
	struct dg_rule_list mrules;	/* the module's prefix rules */

	const char *netns;		/* -n NAME, for the suggested commands */
};

enum dg_verdict {
	DG_VERDICT_NOT_AFFECTED,
	DG_VERDICT_AT_RISK,
	DG_VERDICT_PROTECTED,
	DG_VERDICT_UNKNOWN,		/* "cannot tell": the kernel did not say */
};

extern const char *const dg_verdict_names[];

/* One interface named by an `ip rule iif`. */
struct dg_doctor_if {
	char ifname[IFNAMSIZ];
	uint32_t ifindex;		/* 0: no such interface */
	enum dg_verdict verdict;
	/* Families (bit 1 << enum dg_family) whose node addresses are
	 * routed away from the node when received here. */
	unsigned int families;

	bool has_rule;			/* the rule below is set */
	uint8_t rule_family;		/* AF_INET or AF_INET6 */
	uint32_t rule_priority;
	uint32_t rule_table;		/* 0 for rules without a table */
	char address[INET6_ADDRSTRLEN];	/* a node address routed away, or "" */
	char route[64];			/* the route that takes it, or "" */
	bool has_local_rule;
	uint32_t local_rule_priority;	/* first `lookup local` of rule_family */
	char reason[768];		/* one line: why this verdict */
	/* In a VRF, with tcp_l3mdev_accept 0: early demux does not attach
	 * the node's sockets (bound to no device) to what arrives here. */
	bool vrf_unbound_only;

	/* The kernel's answers for this interface (borrowed from the input),
	 * and where the rule walk's reckoning differs from them ("" if not). */
	const struct dg_route_answer **answers;
	size_t n_answers;
	char disagreement[512];

	bool policy_known;		/* module loaded: the fields below count */
	int mode;			/* effective mode, enum demuxguard_mode */
	int source;			/* enum demuxguard_source */
	bool has_covering;
	char covering[IFNAMSIZ];	/* longest module rule prefix matching */
	uint64_t fwd_sk_drops;		/* ipv4 + ipv6 */
	uint64_t vetoed;
	/* The veto's own hook on this interface, from a module that reports
	 * it (veto_hook_known): enum demuxguard_hook_kind, and the errno of a
	 * failed attach (0: none). */
	bool veto_hook_known;
	int veto_hook;
	uint32_t hook_error;
};

/* A suggested command, ready to paste into a shell (-n NAME may be long). */
struct dg_doctor_cmd {
	char text[1152];
};

struct dg_doctor_report {
	int ip_early_demux, tcp_early_demux;	/* -1: unknown */
	bool early_demux_on;		/* unknown counts as on */

	bool module_loaded;
	const struct dg_status *status;	/* borrowed from the input */

	struct dg_doctor_if *v;		/* by ifindex, missing interfaces last */
	size_t n, cap;
	size_t at_risk;
	size_t cannot_tell;		/* verdict DG_VERDICT_UNKNOWN */
	size_t disagreements;		/* interfaces where walk != kernel */
	bool kernel_asked;

	/*
	 * Commands that would protect every interface that routes node
	 * addresses away and is not protected: the interfaces at risk, or,
	 * with early demux off, those that would be once it is turned on.
	 */
	struct dg_doctor_cmd *cmds;
	size_t n_cmds, cmds_cap;
	/* `options demuxguard rules=...` to keep the rule across reboots,
	 * or "" (only for the initial namespace, where that applies). */
	char boot_rules[64];
};

/* The analysis: pure, no I/O. Returns 0, or -ENOMEM. */
int dg_doctor_analyze(const struct dg_doctor_input *in,
		      struct dg_doctor_report *rep);
void dg_doctor_report_free(struct dg_doctor_report *rep);
/* doctor's exit status for @rep: 0, or DG_EXIT_AT_RISK. */
int dg_doctor_exit_status(const struct dg_doctor_report *rep);

/* The commands that would protect what @rep finds at risk (suggest.c). */
int dg_doctor_suggest(struct dg_doctor_report *rep,
		      const struct dg_doctor_input *in);
/* The module's entry for an interface, and its covering prefix rule. */
const struct dg_dev *dg_doctor_find_dev(const struct dg_doctor_input *in,
					const char *name, uint32_t ifindex);
const struct dg_rule *dg_doctor_covering_rule(const struct dg_rule_list *l,
					      const char *name);

/* Growable input lists; NULL when out of memory. */
struct dg_fib_rule *dg_doctor_add_rule(struct dg_doctor_input *in);
struct dg_fib_route *dg_doctor_add_route(struct dg_doctor_input *in);
struct dg_link *dg_doctor_add_link(struct dg_doctor_input *in);
struct dg_route_answer *dg_doctor_add_answer(struct dg_doctor_input *in);
void dg_doctor_input_free(struct dg_doctor_input *in);

/* "10.0.0.0/8" from a text form; 0, or -1 if it is not one. For tests. */
int dg_prefix_parse(struct dg_prefix *p, const char *s);

/*
 * The longest common prefix of @names (at most IFNAMSIZ - 1 bytes) and
 * shell quoting of a word for a suggested command: exposed for tests.
 */
void dg_common_prefix(char out[IFNAMSIZ], const char *const *names, size_t n);
void dg_shell_quote(char *buf, size_t len, const char *word);

/*
 * Is the demuxguard module certainly not loaded? Asks sysfs, so that
 * nothing is autoloaded; false when sysfs cannot tell.
 */
bool dg_module_absent(void);

/*
 * Fill @in for the current network namespace. Returns 0; or -1 with a
 * one-line reason in @msg (routing state unreadable); or -2 when the
 * module is loaded but a genetlink request failed (@nl->err tells why,
 * for main.c's error report).
 */
int dg_doctor_gather(struct dg_doctor_input *in, struct dg_nl *nl,
		     char *msg, size_t len);

/*
 * The source address doctor puts in its RTM_GETROUTE for @ifname: the
 * destination of a route out of @ifname (a pod's address on its host
 * veth, the subnet gateway on a VLAN device), preferring table @table;
 * false if there is none (IPv6 then asks without a source). For tests.
 */
bool dg_doctor_pick_source(const struct dg_doctor_input *in, uint8_t family,
			   const char *ifname, uint32_t table, uint8_t *src);

/* The report, text or JSON (doctor_print.c). */
void dg_print_doctor(const struct dg_out *o, const struct dg_doctor_report *r);

#endif /* DG_DOCTOR_H */
