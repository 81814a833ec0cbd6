#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# checkers-armed - the first scenario of make check-debug, on the debug
# kernel (tests/debug/debug.config): shows that the checkers the run relies
# on are on before anything is tested, and takes kmemleak's baseline.
#   - KASAN initialised (its boot line), lockdep on (debug_locks 1: the
#     first report of any checker switches it off for the rest of the boot,
#     so it must be on now and still on at the end), kmemleak answering;
#   - kmemleak scanned twice (an object is reported once it is found
#     unreferenced and unchanged across scans) and the boot's own suspects
#     counted and then cleared, so that checkers-report.sh sees only what
#     the tests leaked. The count is written where checkers-report.sh
#     finds it: with a clean baseline, every leak found later counts.

# shellcheck disable=SC2317,SC2119
set -eu
# shellcheck source=SCRIPTDIR/../vm/lib.sh
. /dg/lib.sh

KMEMLEAK=/sys/kernel/debug/kmemleak

klog_mark checkers-armed
check_grep "KASAN: initialised at boot" "KernelAddressSanitizer initialized" dmesg
check_grep "lockdep: on (debug_locks 1)" "debug_locks: +1$" cat /proc/lockdep_stats
check "kmemleak: debugfs interface present" test -r "$KMEMLEAK"

# kmemleak_scan: scan twice, a few seconds apart (objects younger than five
# seconds are never reported; an object that changed between two scans is
# not reported yet), and print the number of suspects.
kmemleak_scan()
{
	echo scan >"$KMEMLEAK" || return 1
	sleep 6
	echo scan >"$KMEMLEAK" || return 1
	grep -c '^unreferenced object' "$KMEMLEAK" || :
}

if n=$(kmemleak_scan); then
	pass "kmemleak: baseline scan ($n suspects from boot)"
	echo "$n" >/run/dg-kmemleak-baseline
	if [ "$n" -gt 0 ]; then
		echo "# boot-time kmemleak suspects (cleared; not the tests'):"
		grep -E '^unreferenced object|comm "|backtrace|\[<' "$KMEMLEAK" | sed 's/^/#   /' |
			head -n 60
	fi
	check "kmemleak: baseline cleared" sh -c "echo clear >$KMEMLEAK"
else
	fail "kmemleak: baseline scan" "writing 'scan' to $KMEMLEAK failed"
fi
dg_finish
