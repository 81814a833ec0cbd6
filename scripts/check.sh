#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/check.sh - `make check`: the whole test suite, from a fresh Debian
# 12 machine (as root) to one closing line "N passed, N failed, N skipped".
#
#   1. installs what is missing (scripts/deps.sh) and fetches the supported
#      kernels (scripts/kernels.sh: headers installed, images unpacked);
#   2. builds the CLI (-Wall -Wextra -Werror), the in-VM tools, and the
#      module for every supported kernel with W=1 (a warning fails), runs
#      sparse on it, and checkpatch on the module's sources;
#   3. runs the CLI's host unit tests;
#   4. boots every supported kernel in QEMU and runs the VM scenarios;
#   5. builds and installs the module through DKMS for every supported
#      kernel, boots the DKMS-built module in one VM scenario, and removes
#      it from DKMS again.
# One line per check; sub-suites' own lines are shown as they run.
#
# Environment: DG_SCENARIOS (default: all of them), DG_KERNELS (default: all
# supported), DG_SKIP_DKMS=1, DG_SKIP_LINT=1; DG_CACHE as for the others.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}
# All scenarios share one VM per kernel: about 2 minutes on a quiet 2-core
# machine, several times that on a busy one. The limit only catches hangs.
export DG_VM_TIMEOUT=${DG_VM_TIMEOUT:-900}
logdir=$top/build/check
mkdir -p "$logdir"

SCENARIOS=${DG_SCENARIOS:-baseline veto rules cli lifecycle fuzz doctor teardown}
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

finish()
{
	echo "make check: $(( $(date +%s) - start )) s"
	echo "$npass passed, $nfail failed, $nskip skipped"
	[ "$nfail" -eq 0 ]
	exit $?
}

# ---- 1. what the tests need ------------------------------------------------
if ! step "setup: install missing packages" scripts/deps.sh; then
	finish
fi
if [ -n "${DG_KERNELS:-}" ]; then
	read -r -a rels <<<"$(for k in $DG_KERNELS; do scripts/kernels.sh resolve "$k"; done | paste -sd' ')"
else
	read -r -a rels <<<"$(scripts/kernels.sh list | paste -sd' ')"
fi
if [ ${#rels[@]} -eq 0 ] || ! step "setup: kernels ${rels[*]} (headers + images)" \
		scripts/kernels.sh fetch "${rels[@]}"; then
	result "setup: supported kernels resolved" FAIL "scripts/kernels.sh list gave nothing"
	finish
fi

# ---- 2. builds -------------------------------------------------------------
step "build: CLI with -Wall -Wextra -Werror" make -C cli
step "build: in-VM test tools (static)" make -C tests/tools
for rel in "${rels[@]}"; do
	step "build: module for $rel, W=1, no warnings" env W1=1 scripts/build-module.sh "$rel"
	if [ "${DG_SKIP_LINT:-0}" != 1 ]; then
		step "lint: sparse on the module for $rel" scripts/lint.sh sparse "$rel"
	fi
done
if [ "${DG_SKIP_LINT:-0}" != 1 ]; then
	step "lint: checkpatch --strict on module/" scripts/lint.sh checkpatch
fi

# ---- 3. host unit tests ------------------------------------------------------
make -C tests/unit check 2>&1 | tee "$logdir/unit.log" | grep -E '^TEST: |^ +[#|]'
absorb "$logdir/unit.log"

# ---- 4. QEMU selftests on every kernel -----------------------------------------
# The live console lines are kept in the logs; the judged per-kernel lines
# (prefixed with the kernelrelease) and failure details are shown.
read -r -a scen <<<"$SCENARIOS"
for rel in "${rels[@]}"; do
	DG_MODULE_KO="$top/build/@REL@/src/module/demuxguard.ko" \
		tests/vm/run.sh -q -k "$rel" "${scen[@]}" 2>&1 |
		tee "$logdir/vm-$rel.log" | grep -vE '^TEST: |^DG-|^SUMMARY:'
	absorb "$logdir/vm-$rel.log"
done

# ---- 5. DKMS ----------------------------------------------------------------------
if [ "${DG_SKIP_DKMS:-0}" != 1 ]; then
	ver=$(cat VERSION)
	if step "dkms: add, build and install for ${rels[*]}" scripts/dkms.sh install "${rels[@]}"; then
		rel=${rels[${#rels[@]}-1]}
		ko=$(find "/var/lib/dkms/demuxguard/$ver/$rel" -name 'demuxguard.ko*' 2>/dev/null | head -n 1)
		if [ -n "$ko" ]; then
			result "dkms: module built for $rel is in DKMS's tree" OK
			DG_MODULE_KO=$ko tests/vm/run.sh -q -k "$rel" veto 2>&1 |
				tee "$logdir/vm-dkms.log" | grep -vE '^TEST: |^DG-|^SUMMARY:' |
				sed 's/^\[/[dkms /'
			absorb "$logdir/vm-dkms.log"
		else
			result "dkms: module built for $rel is in DKMS's tree" FAIL "nothing under /var/lib/dkms/demuxguard/$ver/$rel"
		fi
	fi
	step "dkms: remove" scripts/dkms.sh remove
	step "dkms: nothing left behind" sh -c "! test -e /usr/src/demuxguard-$ver && ! dkms status -m demuxguard | grep -q ."
fi

finish
