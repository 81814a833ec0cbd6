# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# tests/vm/lib.sh - the helpers every in-VM scenario sources (busybox ash,
# also fine under dash or bash), in the manner of the kernel's
# tools/testing/selftests/net/lib.sh:
#   - one "TEST: <name> [ OK ]" / "[FAIL]" / "[SKIP]" line per check, the
#     failing command and its output indented below a failure;
#   - exit codes pass 0, fail 1, skip 4 (dg_finish);
#   - namespaces with unique names (setup_ns) or fixed ones (ns_add), and
#     run_in, which prints each command with the namespace it runs in;
#   - defer: register the undo right after each setup step; it runs in
#     reverse order at exit (or at the end of a defer scope);
#   - polling (busywait, wait_for_counter) instead of fixed sleeps;
#   - a kernel log scan (klog_mark / check_klog) for WARNING:, BUG:, Oops,
#     Call Trace and taint changes.
#
# Inside check and friends the command runs in a command substitution, so
# "set -e" does not stop it half way: give check commands that report their
# own failure. Use check_here for commands that must change this shell's
# state (set-up functions). Background processes go through run_bg, never check: a
# process that keeps the captured output open would block the check.

DG_NPASS=0
DG_NFAIL=0
DG_NSKIP=0
KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

# busybox-static's ash runs its own applets ahead of $PATH, and so do the
# busybox applets that run commands (nsenter, timeout, xargs). The tests
# need the real iproute2 and kmod that the initramfs installs in /sbin:
# wrap them in functions here, and have run_in/run_bg name them by path.
DG_REAL_TOOLS=" "
for _t in ip modprobe insmod rmmod lsmod modinfo depmod; do
	if [ -x "/sbin/$_t" ] &&
	   [ "$(readlink -f "/sbin/$_t")" != "$(readlink -f /bin/busybox)" ]; then
		eval "$_t() { /sbin/$_t \"\$@\"; }"
		DG_REAL_TOOLS="$DG_REAL_TOOLS$_t "
	fi
done
unset _t

# ---- results -----------------------------------------------------------

# log_test_result NAME RESULT: RESULT is " OK ", "FAIL" or "SKIP".
log_test_result()
{
	printf 'TEST: %-66s [%s]\n' "$1" "$2"
}

pass()
{
	DG_NPASS=$((DG_NPASS + 1))
	log_test_result "$1" " OK "
}

# fail NAME [DETAIL [OUTPUT]]
fail()
{
	DG_NFAIL=$((DG_NFAIL + 1))
	log_test_result "$1" "FAIL"
	[ -n "${2:-}" ] && printf '    # %s\n' "$2"
	[ -n "${3:-}" ] && printf '%s\n' "$3" | tail -n 25 | sed 's/^/    | /'
	return 0
}

# skip NAME REASON
skip()
{
	DG_NSKIP=$((DG_NSKIP + 1))
	log_test_result "$1" "SKIP"
	[ -n "${2:-}" ] && printf '    # %s\n' "$2"
	return 0
}

# check NAME CMD...: CMD must succeed.
check()
{
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		pass "$_name"
	else
		fail "$_name" "exit $?: $*" "$_out"
	fi
}

# check_here NAME CMD...: like check, but CMD runs in this shell rather
# than a subshell, so that a function's variables and defers survive (for
# set-up functions). Its output goes to a file, shown on failure.
check_here()
{
	_name=$1
	shift
	_log=$(mktemp)
	if "$@" >"$_log" 2>&1; then
		pass "$_name"
	else
		fail "$_name" "exit $?: $*" "$(cat "$_log")"
	fi
	rm -f "$_log"
}

# check_fail NAME CMD...: CMD must fail (any non-zero status).
check_fail()
{
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		fail "$_name" "succeeded but should fail: $*" "$_out"
	else
		pass "$_name"
	fi
}

# expect_exit N NAME CMD...: CMD must exit with status N exactly.
expect_exit()
{
	_want=$1
	_name=$2
	shift 2
	_out=$("$@" 2>&1) && _rc=0 || _rc=$?
	if [ "$_rc" -eq "$_want" ]; then
		pass "$_name"
	else
		fail "$_name" "exit $_rc, expected $_want: $*" "$_out"
	fi
}

# check_output NAME EXPECTED CMD...: CMD must succeed and print exactly
# EXPECTED on stdout (stderr is shown only on failure).
check_output()
{
	_name=$1
	_want=$2
	shift 2
	_err=$(mktemp)
	_out=$("$@" 2>"$_err") && _rc=0 || _rc=$?
	if [ "$_rc" -eq 0 ] && [ "$_out" = "$_want" ]; then
		pass "$_name"
	else
		fail "$_name" "exit $_rc, wanted \"$_want\": $*" \
			"$(printf '%s\n%s' "$_out" "$(cat "$_err")")"
	fi
	rm -f "$_err"
}

# check_grep NAME ERE CMD...: CMD must succeed and its output (stdout and
# stderr) match the extended regular expression ERE.
check_grep()
{
	_name=$1
	_re=$2
	shift 2
	_out=$("$@" 2>&1) && _rc=0 || _rc=$?
	if [ "$_rc" -eq 0 ] && printf '%s\n' "$_out" | grep -Eq -- "$_re"; then
		pass "$_name"
	else
		fail "$_name" "exit $_rc, wanted output matching /$_re/: $*" "$_out"
	fi
}

# check_fail_grep NAME ERE CMD...: CMD must fail AND say why in a way that
# matches ERE, so that a test expecting (say) a timeout is not satisfied
# by a refused connection or a typo.
check_fail_grep()
{
	_name=$1
	_re=$2
	shift 2
	_out=$("$@" 2>&1) && _rc=0 || _rc=$?
	if [ "$_rc" -ne 0 ] && printf '%s\n' "$_out" | grep -Eq -- "$_re"; then
		pass "$_name"
	else
		fail "$_name" "exit $_rc, wanted failure matching /$_re/: $*" "$_out"
	fi
}

# dg_finish: print the scenario's tally and exit 1 if anything failed,
# 4 if everything was skipped, 0 otherwise.
dg_finish()
{
	echo "SUMMARY: ${DG_SCENARIO:-scenario}: $DG_NPASS passed, $DG_NFAIL failed, $DG_NSKIP skipped"
	[ "$DG_NFAIL" -eq 0 ] || exit "$KSFT_FAIL"
	[ "$DG_NPASS" -gt 0 ] || [ "$DG_NSKIP" -eq 0 ] || exit "$KSFT_SKIP"
	exit "$KSFT_PASS"
}

# ---- requirements ------------------------------------------------------

# require_command CMD: a missing tool skips the whole scenario.
require_command()
{
	command -v "$1" >/dev/null 2>&1 && return 0
	skip "${DG_SCENARIO:-scenario}: requires $1" "$1 not found"
	dg_finish
}

# require_module NAME: the module must be loadable (modinfo finds it).
require_module()
{
	modinfo "$1" >/dev/null 2>&1 && return 0
	skip "${DG_SCENARIO:-scenario}: requires module $1" "modinfo $1 failed"
	dg_finish
}

# ---- defer -------------------------------------------------------------

DG_DEFER_N=0
DG_DEFER_SCOPES=

# Quote words so that eval gives them back unchanged.
dg_quote()
{
	for _w in "$@"; do
		printf "'%s' " "$(printf '%s' "$_w" | sed "s/'/'\\\\''/g")"
	done
}

# defer CMD...: run CMD at exit (or at the end of the current scope),
# after everything deferred later.
defer()
{
	DG_DEFER_N=$((DG_DEFER_N + 1))
	eval "DG_DEFER_$DG_DEFER_N=\$(dg_quote \"\$@\")"
}

# defer_run [N]: run the deferred commands down to (not including) N.
defer_run()
{
	_stop=${1:-0}
	while [ "$DG_DEFER_N" -gt "$_stop" ]; do
		_cmd=
		eval "_cmd=\$DG_DEFER_$DG_DEFER_N"
		unset "DG_DEFER_$DG_DEFER_N"
		DG_DEFER_N=$((DG_DEFER_N - 1))
		eval "$_cmd" || true
	done
}

defer_scope_push()
{
	DG_DEFER_SCOPES="$DG_DEFER_N $DG_DEFER_SCOPES"
}

defer_scope_pop()
{
	_top=${DG_DEFER_SCOPES%% *}
	DG_DEFER_SCOPES=${DG_DEFER_SCOPES#* }
	defer_run "$_top"
}

dg_exit_trap()
{
	_rc=$?
	defer_run 0
	exit "$_rc"
}
trap dg_exit_trap EXIT

# ---- namespaces and commands -------------------------------------------

# dg_ns_exec NS CMD...: exec CMD in network namespace NS ("root" or ""
# for the caller's). busybox's nsenter is used when there is one: entering
# a namespace then costs a static exec instead of a dynamically linked ip
# (about 100 ms under TCG). Unlike "ip netns exec" it does not remount
# /sys, so /sys/class/net still shows the node's devices; /proc/net and
# /proc/sys/net follow the namespace. CMD must be a program, not a shell
# function (use sh -c for pipelines).
dg_ns_exec()
{
	_ns=$1
	shift
	case $DG_REAL_TOOLS in
	*" $1 "*) _c=/sbin/$1; shift; set -- "$_c" "$@" ;;
	esac
	if [ -z "$_ns" ] || [ "$_ns" = root ]; then
		"$@"
	elif command -v nsenter >/dev/null 2>&1; then
		nsenter "--net=/run/netns/$_ns" "$@"
	else
		/sbin/ip netns exec "$_ns" "$@"
	fi
}

# run_in NS CMD...: dg_ns_exec, printing the command and its namespace
# first (to stderr; DG_QUIET=1 silences it).
run_in()
{
	[ -n "${DG_QUIET:-}" ] || echo "[${1:-root}] $(shift; echo "$*")" >&2
	dg_ns_exec "$@"
}

# run_bg NS CMD...: start CMD in the background in NS, kill it at cleanup.
# Its output goes to /tmp/bg.<pid>.log; DG_BG_PID holds its pid.
run_bg()
{
	_log=$(mktemp /tmp/bg.XXXXXX)
	[ -n "${DG_QUIET:-}" ] || echo "[${1:-root}] $(shift; echo "$*") &" >&2
	dg_ns_exec "$@" >"$_log" 2>&1 &
	DG_BG_PID=$!
	mv "$_log" "/tmp/bg.$DG_BG_PID.log"
	defer kill_bg "$DG_BG_PID"
}

# ip_batch NS [IPOPT...] COMMANDS: run newline-separated ip commands in
# one ip process (ip -batch), printing each. One exec instead of one per
# command matters under TCG. Stops at the first failing command.
ip_batch()
{
	_ns=$1
	shift
	_opts=
	while [ $# -gt 1 ]; do
		_opts="$_opts $1"
		shift
	done
	[ -n "${DG_QUIET:-}" ] ||
		printf '%s\n' "$1" | sed "/^\$/d; s|^|[${_ns:-root}] ip$_opts |" >&2
	if [ -z "$_ns" ] || [ "$_ns" = root ]; then
		# shellcheck disable=SC2086  # word splitting of options intended
		printf '%s\n' "$1" | /sbin/ip $_opts -batch -
	else
		# shellcheck disable=SC2086
		printf '%s\n' "$1" | /sbin/ip -n "$_ns" $_opts -batch -
	fi
}

kill_bg()
{
	kill "$1" 2>/dev/null || return 0
	wait "$1" 2>/dev/null || true
}

# A network namespace with loopback up, duplicate address detection off,
# so that IPv6 addresses are usable at once (no tentative phase), and no
# router solicitations: by default a host interface solicits for ever,
# backing off up to an hour, and a solicitation landing between a counter
# reset and its read is a packet no check expects.
dg_ns_init()
{
	ip -n "$1" link set lo up &&
	dg_ns_exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.router_solicitations=0 \
		net.ipv6.conf.default.router_solicitations=0
}

# ns_create NAME...: create namespaces with exactly these names; the
# caller owns their removal (ns_del).
ns_create()
{
	for _n in "$@"; do
		[ -n "${DG_QUIET:-}" ] || echo "[root] ip netns add $_n" >&2
		ip netns add "$_n" || return 1
		dg_ns_init "$_n" || return 1
	done
}

# ns_add NAME...: ns_create, and remove them at cleanup.
ns_add()
{
	for _n in "$@"; do
		ns_create "$_n" || return 1
		defer ns_del "$_n"
	done
}

ns_del()
{
	ip netns del "$1" 2>/dev/null || true
}

# setup_ns VAR...: create a namespace with a unique name per VAR and
# store the name in VAR (setup_ns ns1 ns2 -> $ns1 = ns1-1a2b3c, ...).
setup_ns()
{
	for _v in "$@"; do
		_n="$_v-$(cut -c1-6 /proc/sys/kernel/random/uuid)"
		ns_add "$_n" || return 1
		eval "$_v=\$_n"
	done
}

# dg_mac NS DEV: the MAC address of DEV in NS ("root" for this one).
dg_mac()
{
	if [ "$1" = root ] || [ -z "$1" ]; then
		ip -o link show dev "$2"
	else
		ip -n "$1" -o link show dev "$2"
	fi | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p'
}

# ---- polling -----------------------------------------------------------

# Milliseconds since boot, from /proc/uptime (no date +%N in busybox).
dg_now_ms()
{
	read -r _up _rest </proc/uptime
	_frac=${_up#*.}
	_frac=${_frac#0}
	echo $(( ${_up%.*} * 1000 + _frac * 10 ))
}

# busywait TIMEOUT_MS CMD...: retry CMD until it succeeds; 1 on timeout.
busywait()
{
	_bw_end=$(( $(dg_now_ms) + $1 ))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(dg_now_ms)" -lt "$_bw_end" ] || return 1
		sleep 0.02
	done
}

# wait_for_counter TIMEOUT_MS THRESHOLD CMD...: wait until CMD prints a
# number >= THRESHOLD. Prints the last value seen; 1 on timeout.
wait_for_counter()
{
	_wc_end=$(( $(dg_now_ms) + $1 ))
	_wc_min=$2
	shift 2
	while :; do
		_wc_val=$("$@" 2>/dev/null) || _wc_val=
		case $_wc_val in
		''|*[!0-9]*) ;;
		*) if [ "$_wc_val" -ge "$_wc_min" ]; then echo "$_wc_val"; return 0; fi ;;
		esac
		if [ "$(dg_now_ms)" -ge "$_wc_end" ]; then
			echo "${_wc_val:-none}"
			return 1
		fi
		sleep 0.02
	done
}

# busywait_for_counter TIMEOUT_MS DELTA CMD...: wait until CMD's number has
# grown by at least DELTA from its value now (the kernel selftests' form).
busywait_for_counter()
{
	_bc_t=$1
	_bc_d=$2
	shift 2
	_bc_base=$("$@" 2>/dev/null) || _bc_base=0
	wait_for_counter "$_bc_t" $((_bc_base + _bc_d)) "$@"
}

# wait_file_grep TIMEOUT_MS ERE FILE: wait until FILE has a matching line.
wait_file_grep()
{
	busywait "$1" grep -Eq -- "$2" "$3"
}

# ---- sysctl ------------------------------------------------------------

# ns_sysctl NS KEY=VALUE...: set sysctls in NS ("root" for this one).
ns_sysctl()
{
	_ns=$1
	shift
	run_in "$_ns" sysctl -qw "$@"
}

# ---- kernel log --------------------------------------------------------

DG_KLOG_MARK=
DG_KLOG_TAINT=0

# klog_mark [TAG]: start a window of the kernel log for check_klog.
klog_mark()
{
	DG_KLOG_MARK="demuxguard-test: mark ${1:-$(cut -c1-8 /proc/sys/kernel/random/uuid)}"
	DG_KLOG_TAINT=$(cat /proc/sys/kernel/tainted)
	echo "$DG_KLOG_MARK" >/dev/kmsg
}

# klog_since_mark: the kernel log since the last klog_mark (all of it if
# there was none).
klog_since_mark()
{
	if [ -n "$DG_KLOG_MARK" ]; then
		dmesg | awk -v m="$DG_KLOG_MARK" 'found; index($0, m) { found = 1 }'
	else
		dmesg
	fi
}

# Taint bits an out-of-tree, unsigned test module sets by design:
# O (12, out-of-tree) and E (13, unsigned). Anything else is news.
DG_TAINT_EXPECTED=$(( (1 << 12) | (1 << 13) ))

# check_klog NAME: the kernel log since the mark has no WARNING:, BUG:,
# Oops or Call Trace, and no taint bit was added (beyond O and E).
check_klog()
{
	_name=$1
	_hits=$(klog_since_mark | grep -E 'WARNING:|BUG:|Oops|Call Trace' || :)
	_now=$(cat /proc/sys/kernel/tainted)
	_new=$(( _now & ~DG_KLOG_TAINT & ~DG_TAINT_EXPECTED ))
	if [ -z "$_hits" ] && [ "$_new" -eq 0 ]; then
		pass "$_name"
	else
		fail "$_name" "kernel log has trouble (taint $DG_KLOG_TAINT -> $_now)" \
			"$(klog_since_mark | tail -n 40)"
	fi
}
