#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# checkers-report - the last scenario of make check-debug: what the debug
# kernel's checkers found while the selftests ran.
#   - lockdep still on (debug_locks 1): no checker report switched it off,
#     so its silence covers the whole run;
#   - kmemleak: scanned twice, a few seconds apart, after the module has
#     been unloaded; every suspect since checkers-armed.sh cleared the
#     boot's own is printed with its backtrace. A suspect allocated from
#     module space (the only module is ours; its frames show as
#     [demuxguard], or as bare addresses at 0xffffffffa0000000 and above
#     once it is unloaded) fails the run; any other fails it too when the
#     boot's baseline was clean, since nothing but the tests ran since.
# The host (scripts/check-debug.sh) counts KASAN, lockdep and
# sleep-in-atomic reports in the whole console log itself.

# shellcheck disable=SC2317,SC2119
set -eu
# shellcheck source=SCRIPTDIR/../vm/lib.sh
. /dg/lib.sh

KMEMLEAK=/sys/kernel/debug/kmemleak

klog_mark checkers-report
check_grep "lockdep: still on at the end (debug_locks 1)" "debug_locks: +1$" \
	cat /proc/lockdep_stats

# The module's objects are freed after an RCU grace period of its last
# unload; give stragglers the same time the scan gives everything else.
[ ! -d /sys/module/demuxguard ] || modprobe -r demuxguard || :
sleep 2
if ! { echo scan >"$KMEMLEAK" && sleep 6 && echo scan >"$KMEMLEAK"; }; then
	fail "kmemleak: scans ran" "writing 'scan' to $KMEMLEAK failed (kmemleak disabled itself?)" \
		"$(dmesg | grep -i kmemleak | tail -n 5)"
	dg_finish
fi
cat "$KMEMLEAK" >/tmp/kmemleak.out
total=$(grep -c '^unreferenced object' /tmp/kmemleak.out || :)
# Suspects with a frame in module space.
ours=$(awk '/^unreferenced object/ { if (m) n++; m = 0 }
	/\[demuxguard\]/ || /\[<ffffffff[a-f][0-9a-f]{7}>\]/ { m = 1 }
	END { if (m) n++; print n + 0 }' /tmp/kmemleak.out)
baseline=$(cat /run/dg-kmemleak-baseline 2>/dev/null || echo unknown)
echo "KMEMLEAK: $total suspects since the baseline ($ours from module code); boot baseline $baseline"
if [ "$total" -gt 0 ]; then
	echo "# kmemleak suspects:"
	grep -E '^unreferenced object|comm "|backtrace|\[<' /tmp/kmemleak.out | sed 's/^/#   /' |
		head -n 150
fi
check_output "kmemleak: nothing leaked from module code" 0 echo "$ours"
if [ "$baseline" = 0 ]; then
	check_output "kmemleak: nothing leaked at all (the boot's baseline was clean)" 0 echo "$total"
else
	skip "kmemleak: nothing leaked at all" \
		"the boot itself had $baseline suspects: the kernel's own are not judged"
fi
dg_finish
