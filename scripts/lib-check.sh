# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034  # npass, nskip, start: read by the caller
#
# scripts/lib-check.sh - the tally that make check, make stress and make
# check-debug share (sourced): one "TEST: NAME [ OK ]" line per check and
# the counts behind the closing "N passed, N failed, N skipped". Sourcing it
# starts the tally (npass, nfail, nskip at 0; start, the time in seconds);
# the caller sets logdir.

npass=0
nfail=0
nskip=0
start=$(date +%s)

result()
{
	# result NAME OK|FAIL|SKIP [DETAIL]
	printf 'TEST: %-72s [%s]\n' "$1" "$(case $2 in OK) echo ' OK ';; *) echo "$2";; esac)"
	case $2 in
	OK) npass=$((npass + 1)) ;;
	SKIP) nskip=$((nskip + 1)) ;;
	*) nfail=$((nfail + 1)) ;;
	esac
	[ -n "${3:-}" ] && printf '    # %s\n' "$3"
	return 0
}

# step NAME CMD...: one check line; the command's output goes to a log,
# whose tail is shown on failure.
step()
{
	local name=$1 log
	shift
	log=$logdir/$(printf '%s' "$name" | tr -c 'A-Za-z0-9.-' '_' | cut -c1-80).log
	if "$@" >"$log" 2>&1; then
		result "$name" OK
		return 0
	fi
	result "$name" FAIL "exit $?: $* (log: $log)"
	tail -n 30 "$log" | sed 's/^/    | /'
	return 1
}

# absorb LOG: add a sub-suite's closing "N passed, N failed[, N skipped]".
absorb()
{
	local line p f s
	line=$(grep -E '^([^ ]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		result "suite $(basename "$1" .log) reported its results" FAIL "no closing line in $1"
		return
	fi
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | cut -d' ' -f1)
	f=$(grep -oE '[0-9]+ failed' <<<"$line" | cut -d' ' -f1)
	s=$(grep -oE '[0-9]+ skipped' <<<"$line" | cut -d' ' -f1)
	npass=$((npass + p))
	nfail=$((nfail + f))
	nskip=$((nskip + ${s:-0}))
}

