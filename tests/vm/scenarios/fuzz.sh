#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fuzz - the netlink fuzzer (tests/tools/dgfuzz.c) against the real family:
# malformed messages from several threads while one thread applies valid
# changes; every malformed write must be refused, and the policy state
# afterwards must be exactly what the valid messages produced. Runs in a
# namespace of its own, which is then deleted; the kernel must stay clean
# and the module must still unload. DG_FUZZ_MESSAGES sets the budget.

# shellcheck disable=SC2317,SC2119
set -eu
. /dg/lib.sh
. /dg/demuxguard.sh

MESSAGES=${DG_FUZZ_MESSAGES:-20000}
SECONDS_MAX=${DG_FUZZ_SECONDS:-240}

klog_mark fuzz
check_here "module: loads" dg_load
mk_fuzz_ns()
{
	ip netns add fuzz &&
		ip -n fuzz link add fza0 type veth peer name fzb0 &&
		ip -n fuzz link add fza1 type veth peer name fzb1
}
check "setup: namespace fuzz with fza0/fzb0 fza1/fzb1" mk_fuzz_ns
defer ip netns del fuzz
run_fuzz()
{
	ip netns exec fuzz dgfuzz -n "$MESSAGES" -t 4 -T "$SECONDS_MAX" \
		-s "${DG_FUZZ_SEED:-1}" fza0 fzb0 fza1 fzb1 >/tmp/dgfuzz.out 2>&1
	_rc=$?
	cat /tmp/dgfuzz.out
	return $_rc
}
run_fuzz || :
check_grep "dgfuzz: $MESSAGES messages, state matches the model" "state matches model" \
	cat /tmp/dgfuzz.out
check_output "root namespace untouched" '[]' dg_json show
check "kernel alive: status answers" demuxguard status
check "delete the fuzzed namespace" ip netns del fuzz
# The namespace is dismantled asynchronously; its entries and rules go with it.
check "fuzzed namespace's objects are freed" busywait 20000 sh -c \
	". /dg/demuxguard.sh; dg_json status | grep -q '\"objects\":{\"interfaces\":0,\"rules\":0}'"
check "module: unloads" dg_unload
check_klog "kernel log: clean after fuzz"
dg_finish
