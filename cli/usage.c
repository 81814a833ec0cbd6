// SPDX-License-Identifier: GPL-2.0-only
/*
 * usage.c - help text. The full --help is also the man page source:
 * gen-manpage.sh turns it into demuxguard.8, so keep to its layout:
 *
 *   first line            "demuxguard - summary"      -> NAME
 *   "UPPER CASE" line     section heading             -> .SH
 *   2-space line followed by a deeper line: a term    -> .TP
 *   6-space lines         the term's description
 *   8-or-more-space lines literal text (JSON shapes)  -> .nf
 *   other 2-space lines   paragraph text; blank line  -> .PP
 *   SYNOPSIS              literal throughout
 *
 * Command and counter descriptions are stored once, unwrapped, and wrapped
 * here, so `COMMAND help` and --help say the same thing.
 */
#include <stdbool.h>
#include <string.h>

#include "model.h"
#include "output.h"
#include "usage.h"

#define DESC_INDENT "      "

struct cmd_doc {
	enum dg_topic topic;
	const char *synopsis;
	const char *desc;
};

static const struct cmd_doc cmd_docs[] = {
	{ DG_TOPIC_STATUS, "status",
	  "Show the module version and every hook it uses: monitor's kprobes, "
	  "named by the kernel function they probe (ip_local_deliver, "
	  "ip6_input, ip_forward, ip6_forward), and the veto's per-interface "
	  "hooks (rx_handler, nf_ingress, summed over the interfaces that use "
	  "them). For each: its kind, whether it is attached and armed right "
	  "now, how often its handler ran since the module was loaded (hits: "
	  "a hook armed but never hit is not doing its job), how many "
	  "interfaces need it (users), the error of its last failed attach, "
	  "and how often a kprobe was missed (calls the module did not see). "
	  "Then the number of interfaces in veto that no hook guards." },
	{ DG_TOPIC_SHOW, "show [dev IFNAME]",
	  "List the interfaces of the namespace that have a policy, with their "
	  "mode and its source: \"explicit\" (from set) or \"rule\" (with the "
	  "matching prefix). With dev, show IFNAME even if it has no policy "
	  "(source \"none\", mode off)." },
	{ DG_TOPIC_SET, "set dev IFNAME mode MODE",
	  "Give IFNAME an explicit mode. It beats every rule and lasts until "
	  "unset or until the interface is unregistered." },
	{ DG_TOPIC_UNSET, "unset dev IFNAME",
	  "Drop the explicit mode of IFNAME, so that rules apply to it again." },
	{ DG_TOPIC_RULE, "rule add prefix PREFIX mode MODE",
	  "Give MODE to every interface whose name starts with PREFIX (0 to 15 "
	  "bytes; the empty prefix \"\" matches every interface), both existing "
	  "ones and those registered or renamed later. The longest matching "
	  "prefix wins. Adding an existing prefix replaces its mode." },
	{ DG_TOPIC_RULE, "rule del prefix PREFIX",
	  "Delete the rule with exactly this PREFIX." },
	{ DG_TOPIC_RULE, "rule show",
	  "List the rules of the namespace." },
	{ DG_TOPIC_STATS, "stats [dev IFNAME] [--format FORMAT]",
	  "Show the counters of every interface that has a policy, or of "
	  "IFNAME. FORMAT is text (default), json (same as -j) or prometheus "
	  "(text exposition format for node-exporter's textfile collector)." },
	{ DG_TOPIC_STATS, "stats reset [dev IFNAME]",
	  "Reset the counters of IFNAME, or of every interface of the "
	  "namespace." },
	{ DG_TOPIC_DOCTOR, "doctor",
	  "Find the interfaces of the namespace where TCP early demux can "
	  "make IP forwarding drop packets, and tell whether demuxguard "
	  "protects them. It reads the early-demux sysctls and, for every "
	  "interface that is the input of an \"ip rule iif\" and every node "
	  "address, asks the kernel which route a TCP segment for that "
	  "address arriving on the interface would take (what \"ip route get "
	  "ADDR from SRC iif DEV\" asks; SRC is an address routed out of the "
	  "interface, such as the pod's), then replays the routing rules and "
	  "tables by hand to explain the answer and reports where the two "
	  "differ (all over rtnetlink: this part works without the module). "
	  "If the module is loaded it reads its policy, hooks and counters (it "
	  "asks sysfs first, so that checking does not load the module). Every "
	  "such interface is listed with a verdict, its reason and the "
	  "kernel's answers. \"at risk\": the kernel routes packets for a node "
	  "address that arrive there away from the node (as the VPC CNI's "
	  "rules for security groups for pods do), and the interface is not "
	  "guarded: not in veto mode (monitor counts the drops but does not "
	  "prevent them), or in veto mode without its veto hook attached. "
	  "\"protected\": the same, guarded. \"cannot tell\": the kernel "
	  "refused the question (for instance rp_filter refused the source) "
	  "and the interface is not guarded. \"not affected\": anything else, "
	  "such as a table that routes only pod addresses, a local rule that "
	  "comes first, a route that drops rather than forwards, a dead next "
	  "hop the kernel skips, an interface in a VRF while "
	  "net.ipv4.tcp_l3mdev_accept is 0 (early demux then never attaches "
	  "the node's sockets there), or early demux turned off (which costs "
	  "every TCP segment the node terminates a route lookup, and which "
	  "demuxguard makes unnecessary). For what is at risk or cannot be "
	  "told it prints the commands that protect it: one rule for the "
	  "longest common prefix of their names, plus a set for any interface "
	  "that rule would not reach, or one set per interface. Exits 3 when "
	  "an interface is at risk or cannot be told and 0 otherwise, so that "
	  "a node health check can run it." },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void print_cmd_docs(FILE *f, enum dg_topic topic)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_docs); i++) {
		if (topic != DG_TOPIC_MAIN && cmd_docs[i].topic != topic)
			continue;
		fprintf(f, "  %s\n", cmd_docs[i].synopsis);
		dg_print_wrapped(f, DESC_INDENT, cmd_docs[i].desc);
	}
}

static const char synopsis[] =
"demuxguard - inspect and configure the demuxguard TCP early-demux guard\n"
"\n"
"SYNOPSIS\n"
"  demuxguard [-j|--json] [-p|--pretty] [-n|--netns NAME] COMMAND\n"
"  demuxguard -V|--version\n"
"  demuxguard -h|--help\n"
"\n"
"  COMMAND := status\n"
"           | show [dev IFNAME]\n"
"           | set dev IFNAME mode MODE\n"
"           | unset dev IFNAME\n"
"           | rule add prefix PREFIX mode MODE\n"
"           | rule del prefix PREFIX\n"
"           | rule show\n"
"           | stats [dev IFNAME] [--format FORMAT]\n"
"           | stats reset [dev IFNAME]\n"
"           | doctor\n"
"           | {status|show|set|unset|rule|stats|doctor} help\n"
"  MODE    := off | monitor | veto\n"
"  FORMAT  := text | json | prometheus\n"
"\n"
"DESCRIPTION\n"
"  TCP early demux looks up an established local socket for each TCP\n"
"  segment as it arrives, before routing. If it attaches a socket without\n"
"  that socket's cached input route (none is cached yet, or it was learned\n"
"  on another interface) and routing then forwards the packet, IP\n"
"  forwarding drops the packet because it still carries the local socket.\n"
"  The demuxguard kernel module counts these events and, in veto mode,\n"
"  keeps early demux away from the packets received on the interface\n"
"  (a marker on the interface's own receive hook), so that routing\n"
"  forwards them instead of IP forwarding dropping them.\n"
"\n"
"  Policy is kept per network namespace and per interface: each interface\n"
"  has one MODE, set explicitly with \"set\" or taken from the longest\n"
"  interface name prefix rule that matches its name. An explicit setting\n"
"  beats any rule. Policy follows the interface and is dropped when the\n"
"  interface is unregistered. demuxguard talks to the module over generic\n"
"  netlink, in the current network namespace or the one given with -n.\n"
"  Reading needs no privilege. Changes need CAP_NET_ADMIN in the initial\n"
"  user namespace; root in a user namespace may change its own network\n"
"  namespace only if the module was loaded with userns_writes=1, and may\n"
"  never set monitor, whose probes cost every packet of the host.\n"
"\n"
"OPTIONS\n"
"  -j, --json\n"
"      Print results as JSON; for stats the same as --format json.\n"
"  -p, --pretty\n"
"      Indent JSON output.\n"
"  -n, --netns NAME\n"
"      Run the command in the network namespace NAME, like \"ip -n NAME\":\n"
"      the namespace is opened at /run/netns/NAME.\n"
"  -V, --version\n"
"      Print the version of this program and, on a second line, of the\n"
"      loaded module (\"module VERSION\" or \"module not loaded\"). Does\n"
"      not load the module.\n"
"  -h, --help\n"
"      Print this help.\n"
"\n"
"  Options go before COMMAND.\n"
"\n"
"COMMANDS\n";

static const char modes[] =
"\n"
"MODES\n"
"  off\n"
"      Do nothing for packets received on the interface. As an explicit\n"
"      setting, it exempts the interface from every rule.\n"
"  monitor\n"
"      Count only, in every counter except vetoed.\n"
"  veto\n"
"      Early demux skips every IPv4/IPv6 packet received on the interface:\n"
"      its rx_handler (or, if a bridge, bond or macvlan holds that, a\n"
"      netfilter ingress hook) marks the packet, routing then forwards or\n"
"      delivers it as usual; counted in vetoed. If neither hook can attach,\n"
"      the interface is NOT guarded: show says why, status counts it.\n"
"      While veto holds the rx_handler, adding the interface to a bridge or\n"
"      bond or a macvlan on it fails with EBUSY (module parameter\n"
"      veto_hook=netfilter leaves rx_handlers free).\n"
"\n"
"COUNTERS\n"
"  Unsigned 64-bit, kept per interface and address family (ipv4, ipv6)\n"
"  and zeroed by \"stats reset\". A counter that the interface's mode does\n"
"  not collect reads 0. monitor's counters are taken at the entry of\n"
"  ip_local_deliver, ip6_input, ip_forward and ip6_forward, after early\n"
"  demux has run; vetoed at the interface's receive hook.\n"
"\n";

static const char rest[] =
"\n"
"OUTPUT\n"
"  Text output is for people. Scripts should use -j, whose shapes are:\n"
"\n"
"  status\n"
"        {\"version\": \"0.1.0\",\n"
"         \"hooks\": {\"ip_forward\": true, ..., \"rx_handler\": true},\n"
"         \"armed\": {\"ip_forward\": false, ...},\n"
"         \"probe_missed\": 0,\n"
"         \"kind\": {\"ip_forward\": \"kprobe\", ...},\n"
"         \"hits\": {\"ip_forward\": 0, ...},\n"
"         \"users\": {\"ip_forward\": 0, ...},\n"
"         \"errors\": {\"nf_ingress\": \"Operation not supported\"},\n"
"         \"unguarded\": 0,\n"
"         \"objects\": {\"interfaces\": 2, \"rules\": 1}}\n"
"      hooks tells which hooks are attached, armed which are armed now;\n"
"      kind is kprobe, rx_handler or nf_ingress; hits counts handler runs\n"
"      since load; users the interfaces needing the hook; errors only\n"
"      lists hooks whose last attach failed; unguarded counts interfaces\n"
"      in veto that no hook guards;\n"
"      objects counts the interface entries and rules the module holds\n"
"      for this namespace, or for all namespaces when run in the initial\n"
"      one (0 and 0 once every policy is gone).\n"
"  show\n"
"        [{\"ifname\": \"vlan10\", \"ifindex\": 5, \"mode\": \"veto\",\n"
"          \"source\": \"rule\", \"rule\": \"vlan\",\n"
"          \"veto_hook\": \"rx_handler\"}]\n"
"      source is \"explicit\", \"rule\" or, for show dev only, \"none\";\n"
"      rule is present only when source is \"rule\"; veto_hook is the hook\n"
"      guarding the interface (rx_handler, nf_ingress, or none); hook_error\n"
"      (text) is present when the interface is in veto and NOT guarded.\n"
"  rule show\n"
"        [{\"prefix\": \"vlan\", \"mode\": \"veto\"}]\n"
"  stats\n"
"        [{\"ifname\": \"vlan10\", \"ifindex\": 5, \"mode\": \"veto\",\n"
"          \"ipv4\": {\"demux_calls\": 0, \"sk_hits\": 0, \"dst_hits\": 0,\n"
"                   \"iif_mismatch\": 0, \"fwd_sk_drops\": 0, \"vetoed\": 0},\n"
"          \"ipv6\": {...}}]\n"
"      Every counter key is always present; values are exact integers.\n"
"  stats --format prometheus\n"
"      One counter family per counter, demuxguard_COUNTER_total, with\n"
"      labels ifname, family (ipv4 or ipv6) and mode, plus netns when -n\n"
"      is given; and the gauge demuxguard_unguarded (ifname, mode): 1 for\n"
"      an interface in veto that no hook guards.\n"
"\n"
"  doctor\n"
"        {\"early_demux\": {\"ip_early_demux\": 1, \"tcp_early_demux\": 1,\n"
"                         \"enabled\": true},\n"
"         \"module\": {\"loaded\": true, \"version\": \"0.1.0\",\n"
"                    \"hooks\": {\"ip_forward\": true, ...},\n"
"                    \"armed\": {\"ip_forward\": false, ...}},\n"
"         \"kernel_asked\": true,\n"
"         \"interfaces\": [\n"
"           {\"ifname\": \"vlanabc\", \"ifindex\": 5, \"verdict\": \"at risk\",\n"
"            \"family\": [\"ipv4\", \"ipv6\"],\n"
"            \"rule\": {\"family\": \"ipv4\", \"priority\": 10, \"table\": 201},\n"
"            \"local_rule_priority\": 20,\n"
"            \"address\": \"10.0.1.10\", \"route\": \"default dev vlan.eth.101\",\n"
"            \"reason\": \"ipv4, ipv6: rule 10 (iif vlanabc lookup 201) ...\",\n"
"            \"mode\": \"off\", \"source\": \"none\", \"covering_rule\": null,\n"
"            \"fwd_sk_drops\": 0, \"vetoed\": 0,\n"
"            \"veto_hook\": null, \"hook_error\": null,\n"
"            \"kernel\": [{\"family\": \"ipv4\", \"address\": \"10.0.1.10\",\n"
"                        \"source\": \"10.0.2.20\", \"iif\": \"vlanabc\",\n"
"                        \"result\": \"forward\", \"type\": \"unicast\",\n"
"                        \"table\": 201, \"oif\": \"vlan.eth.101\",\n"
"                        \"error\": null}, ...],\n"
"            \"disagreement\": null}],\n"
"         \"at_risk\": 1, \"cannot_tell\": 0, \"disagreements\": 0,\n"
"         \"suggestion\": [\"demuxguard rule add prefix vlan mode veto\"]}\n"
"      verdict is \"at risk\", \"protected\", \"not affected\" or \"cannot\n"
"      tell\"; reason says why, in one line. family lists the address\n"
"      families in which packets for the node's addresses that arrive on\n"
"      the interface are routed away from the node ([] if in none); rule\n"
"      is the rule that does it, or else the interface's first iif rule\n"
"      (table 0 for a rule without one); address is one such node address\n"
"      and route the route that takes it away (both null if none);\n"
"      local_rule_priority is that of the first \"lookup local\" rule of\n"
"      the rule's family (null if none). ifindex is null for an interface\n"
"      that does not exist. kernel lists the kernel's answers, one per\n"
"      node address and family: result is \"forward\", \"local\", \"drop\"\n"
"      or \"error\" (the question was refused; error says why), iif the\n"
"      input interface asked about (for IPv6, the VRF device of an\n"
"      interface in a VRF), source null if none was given. The verdict\n"
"      follows these answers; disagreement says where the rule walk,\n"
"      which explains them, expected otherwise (null if nowhere), and\n"
"      kernel_asked is false, kernel [] and the walk decides if the kernel\n"
"      could not be asked. mode and source are the interface's effective\n"
"      policy, as in show, covering_rule the longest module rule prefix\n"
"      that matches its name, fwd_sk_drops and vetoed its counters summed\n"
"      over both families, veto_hook the kind of hook its veto runs on\n"
"      (\"rx_handler\", \"nf_netdev_ingress\", \"none\"; null from a module\n"
"      that does not say) and hook_error the errno of a hook that could not\n"
"      be attached (null if none). Without the module, module is\n"
"      {\"loaded\": false, \"version\": null, \"hooks\": {}, \"armed\": {}} and\n"
"      those seven are null. A sysctl that cannot be read is null; enabled\n"
"      is false if either is 0. suggestion lists the commands that protect\n"
"      every interface that routes node addresses away, or cannot be told,\n"
"      and is not protected (with early demux off: the ones to run before\n"
"      turning it back on), or is empty. Interfaces come in ifindex order.\n"
"\n"
"  Strings are UTF-8. A byte of a name that is not part of valid UTF-8 is\n"
"  written as \\u00XX, its Latin-1 reading: such a name can decode to the\n"
"  same string as another name; its ifindex tells them apart.\n"
"\n"
"  set, unset, rule add, rule del and stats reset print nothing on\n"
"  success.\n"
"\n"
"EXIT STATUS\n"
"  0\n"
"      Success; for doctor, no interface is at risk or cannot be told.\n"
"  1\n"
"      Usage error: unknown command, keyword or option, missing or extra\n"
"      argument, invalid mode or format, an interface name or prefix\n"
"      longer than 15 bytes. A one-line reason and a hint go to standard\n"
"      error.\n"
"  2\n"
"      Runtime error: the module is not loaded, no such device or network\n"
"      namespace, permission denied, a failed write of the output, or any\n"
"      other refusal by the kernel. The reason, with the kernel's own\n"
"      explanation when it gives one, is printed as \"Error: TEXT\" on\n"
"      standard error.\n"
"  3\n"
"      doctor only: at least one interface is at risk or cannot be told.\n"
"      The report is printed as on success.\n"
"\n"
"EXAMPLES\n"
"  demuxguard rule add prefix vlan mode veto\n"
"      Guard every interface whose name starts with vlan, now and later.\n"
"  demuxguard set dev vlan99 mode off\n"
"      Exempt vlan99 from that rule.\n"
"  demuxguard rule add prefix \"\" mode monitor\n"
"      Monitor every other interface: the empty prefix matches every\n"
"      name, and a longer matching prefix wins.\n"
"  demuxguard doctor\n"
"      Is any interface of this node at risk? Exit status 3 says yes; the\n"
"      report names them and the command that protects them.\n"
"  demuxguard -n blue -j -p stats dev vlan10\n"
"      Counters of vlan10 in network namespace blue, as indented JSON.\n"
"  demuxguard stats --format prometheus >\"$F.tmp\" && mv \"$F.tmp\" \"$F\"\n"
"      Write the counters for node-exporter's textfile collector, with a\n"
"      rename so that it never reads a half-written file.\n"
"\n"
"FILES\n"
"  /run/netns/NAME\n"
"      Network namespace opened by -n NAME.\n"
"\n"
"SEE ALSO\n"
"  ip(8), ip-rule(8), ip-netns(8), modprobe(8)\n";

const char *dg_usage_hint(enum dg_topic topic)
{
	static const char *const hints[] = {
		[DG_TOPIC_MAIN] = "demuxguard --help",
		[DG_TOPIC_STATUS] = "demuxguard status help",
		[DG_TOPIC_SHOW] = "demuxguard show help",
		[DG_TOPIC_SET] = "demuxguard set help",
		[DG_TOPIC_UNSET] = "demuxguard unset help",
		[DG_TOPIC_RULE] = "demuxguard rule help",
		[DG_TOPIC_STATS] = "demuxguard stats help",
		[DG_TOPIC_DOCTOR] = "demuxguard doctor help",
	};

	return hints[topic];
}

void dg_usage(FILE *f, enum dg_topic topic)
{
	const char *lead = "Usage:";
	bool takes_mode = false;

	if (topic == DG_TOPIC_MAIN) {
		fputs(synopsis, f);
		print_cmd_docs(f, DG_TOPIC_MAIN);
		fputs(modes, f);
		for (int c = 0; c < DG_C_COUNT; c++) {
			fprintf(f, "  %s (%s)\n", dg_counters[c].name,
				dg_counters[c].mode);
			dg_print_wrapped(f, DESC_INDENT, dg_counters[c].help);
		}
		fputs(rest, f);
		return;
	}

	for (size_t i = 0; i < ARRAY_SIZE(cmd_docs); i++) {
		if (cmd_docs[i].topic != topic)
			continue;
		fprintf(f, "%-6s demuxguard [OPTIONS] %s\n", lead,
			cmd_docs[i].synopsis);
		lead = "";
		if (strstr(cmd_docs[i].synopsis, "MODE"))
			takes_mode = true;
	}
	if (takes_mode)
		fputs("MODE := off | monitor | veto\n", f);
	if (topic == DG_TOPIC_STATS)
		fputs("FORMAT := text | json | prometheus\n", f);
	fputs("OPTIONS := [-j|--json] [-p|--pretty] [-n|--netns NAME]\n\n", f);
	print_cmd_docs(f, topic);
	fprintf(f, "\nSee \"demuxguard --help\" for modes, counters, output "
		"and exit status.\n");
}
