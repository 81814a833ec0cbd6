#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh - `make bench`: demuxguard's performance benchmark. It owns
# the benchmark's VMs and the report; the in-VM work is bench/vm/bench.sh
# (timed runs) and bench/vm/misses.sh (probe misses under parallel load),
# the traffic comes from bench/dgbench.c.
#
# For each kernel it builds the module (scripts/build-module.sh, in a
# private directory), the CLI and dgbench, makes an initramfs with
# tests/vm/mkinitramfs.sh, and boots it twice:
#   1. QEMU -smp 1 -icount shift=4,sleep=off: the guest's clock counts
#      instructions (2^4 ns each), so a rate in transactions per guest
#      second measures the kernel's work, not the host's load: run-to-run
#      spread is a few tenths of a percent where TCG wall time varies by
#      tens of percent. The six configurations run interleaved in rounds.
#   2. QEMU -smp 2, no -icount: many parallel connections through a veto
#      and a monitor interface, then the probe miss counters.
# It checks each VM the way tests/vm/run.sh does (success marker, scenario
# status, kernel log), prints the tables, and writes
# bench/results/<kernelrelease>-<UTC date>.txt (the tables) and .json (every
# sample, the summary, the targets). Exits 1 if a VM failed, 2 on a usage
# or build error, 0 otherwise: a missed target is a finding to report, not
# a broken benchmark.
#
# The same benchmark runs x86-64 kernels in qemu-system-x86_64 and arm64
# (Graviton) kernels in qemu-system-aarch64 (-M virt, as tests/vm/run.sh);
# for arm64 the module, the CLI and dgbench are cross-built.
#
# Usage: bench/run.sh [-a|--arch amd64|arm64] [-k|--kernel REL|6.1|6.12|all]
#                     [--rounds N] [--no-misses] [--misses-only]
#                     [--timeout SECONDS]
#   --arch: which kernels the short names and all mean (default $DG_ARCH,
#     else amd64); a full kernelrelease names its architecture itself.
# Environment (defaults in brackets):
#   ROUNDS          measured rounds after one warm-up round [5]
#   RR_N            exchanges per request/response sample [5000]
#   CRR_N           connections per connect/request/close sample [1000]
#   BENCH_CONFIGS   configurations to run ["a b c d e f"]
#   LOAD_CONNS      parallel clients per stream in the miss run [64]
#   LOAD_SECONDS    length of the miss run's load, guest seconds [30]
#   BENCH_MODULE_KO a prebuilt module to use instead of building one
#                   ("@REL@" is replaced by the kernelrelease)
#   BENCH_CLI       a prebuilt CLI to use instead of `make cli` (for
#                   arm64: instead of the cross build in build/arm64/cli)
#   BENCH_RESULTS   where the report files go [bench/results]
#   DG_CACHE        cache root [/var/cache/demuxguard-test]

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
KERNELS=$ROOT/scripts/kernels.sh
export DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}

kernel=6.1
arch=${DG_ARCH:-amd64}
rounds=${ROUNDS:-5}
rr_n=${RR_N:-5000}
crr_n=${CRR_N:-1000}
configs=${BENCH_CONFIGS:-a b c d e f}
load_conns=${LOAD_CONNS:-64}
load_seconds=${LOAD_SECONDS:-30}
timeout_s=
do_timed=1
do_misses=1
cmdline_used="bench/run.sh${*:+ $*}"

die() { echo "bench/run.sh: $*" >&2; exit 2; }
usage() {	# [STATUS]: 0 prints to stdout (--help), anything else to stderr
	if [ "${1:-2}" = 0 ]; then
		sed -n '/^# Usage:/,/^# *DG_CACHE/p' "$0" | sed 's/^# \{0,1\}//'
	else
		sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	fi
	exit "${1:-2}"
}
is_uint() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

while [ $# -gt 0 ]; do
	case $1 in
	-a|--arch) [ $# -ge 2 ] || usage; arch=$2; shift 2 ;;
	-k|--kernel) [ $# -ge 2 ] || usage; kernel=$2; shift 2 ;;
	--rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
	--no-misses) do_misses=0; shift ;;
	--misses-only) do_timed=0; shift ;;
	--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	-h|--help) usage 0 ;;
	*) usage ;;
	esac
done
for v in rounds rr_n crr_n load_conns load_seconds; do
	is_uint "${!v}" || die "$v must be a positive integer, not '${!v}'"
done
[ -z "$timeout_s" ] || is_uint "$timeout_s" || die "bad --timeout: $timeout_s"
for c in $configs; do
	[[ $c =~ ^[a-f]$ ]] || die "unknown configuration '$c' (a..f)"
done
[[ " $configs " == *" a "* ]] || die "configuration a (the reference) must be in BENCH_CONFIGS"

case $arch in
amd64|arm64) ;;
*) die "unsupported architecture: $arch (amd64, arm64)" ;;
esac

if [ "$kernel" = all ]; then
	mapfile -t rels < <("$KERNELS" --arch "$arch" list)
else
	rels=("$("$KERNELS" --arch "$arch" resolve "$kernel")")
fi

# The same QEMU for both runs but for CPUs and clock (per architecture:
# qemu_common). -cpu max as in the selftests. thash_entries: the 1 GB VM
# would otherwise size the TCP established hash (and with it
# tcp_max_tw_buckets, half of it) at 8192, and the connect/request/close
# tests would overflow the TIME_WAIT table part way through, changing what
# a connection costs; a real node has far more memory and a far larger
# table.
# shellcheck disable=SC2054  # the comma belongs to -icount's argument
QEMU_TIMED=(-smp 1 -icount shift=4,sleep=off)
QEMU_LOAD=(-smp 2)
KARGS="panic=-1 quiet cryptomgr.notests thash_entries=131072"

# qemu_common ARCH: sets QEMU_COMMON (the command up to the CPUs and the
# clock) and KCMDLINE.
qemu_common() {
	case $1 in
	amd64)
		QEMU_COMMON=(qemu-system-x86_64 -accel tcg -cpu max -m 1024
			     -nographic -vga none -nic none -no-reboot)
		KCMDLINE="console=ttyS0 $KARGS"
		;;
	arm64)
		# As tests/vm/run.sh: the virt board boots the Image directly;
		# pauth-impdef is QEMU's own pointer-authentication algorithm,
		# much cheaper under TCG than the architected QARMA. Guest time
		# counts instructions here too: the same work takes about as
		# many guest seconds, and about as long in wall time, as on
		# amd64.
		# shellcheck disable=SC2054
		QEMU_COMMON=(qemu-system-aarch64 -M virt -accel tcg
			     -cpu max,pauth-impdef=on -m 1024 -nographic
			     -nic none -no-reboot)
		KCMDLINE="console=ttyAMA0 $KARGS"
		;;
	esac
}

# elf_machine ARCH: readelf's name for the machine of ARCH's binaries.
elf_machine() {
	case $1 in
	amd64) echo "Advanced Micro Devices X86-64" ;;
	arm64) echo AArch64 ;;
	esac
}

# ---- builds -----------------------------------------------------------------

# The CLI and dgbench per architecture the kernels need: natively in cli/
# and bench/, cross-compiled (as tests/vm/run.sh) in build/<arch>.
host_arch=$(dpkg --print-architecture)
declare -A cli_of dgbench_of
for a in $(for r in "${rels[@]}"; do "$KERNELS" arch "$r"; done | sort -u); do
	case $a in
	amd64|arm64) ;;
	*) die "unsupported architecture: $a (amd64, arm64)" ;;
	esac
	if [ "$a" = "$host_arch" ]; then
		if [ -z "${BENCH_CLI:-}" ]; then
			make -s -C "$ROOT" cli >/dev/null || die "make cli failed"
		fi
		cli_of[$a]=${BENCH_CLI:-$ROOT/cli/demuxguard}
		make -s -C "$BENCH" >/dev/null || die "building dgbench failed"
		dgbench_of[$a]=$BENCH/dgbench
	else
		[ "$a" = arm64 ] || die "cannot cross-build for $a"
		cross=aarch64-linux-gnu-
		if [ -z "${BENCH_CLI:-}" ]; then
			make -s -C "$ROOT/cli" CROSS_COMPILE=$cross \
				SYSROOT="$("$ROOT/scripts/sysroot.sh" "$a")" \
				BUILDDIR="$ROOT/build/$a/cli" >/dev/null ||
				die "cross-building the CLI for $a failed"
		fi
		cli_of[$a]=${BENCH_CLI:-$ROOT/build/$a/cli/demuxguard}
		make -s -C "$BENCH" CROSS_COMPILE=$cross \
			BUILDDIR="$ROOT/build/$a/bench" >/dev/null ||
			die "cross-building dgbench for $a failed"
		dgbench_of[$a]=$ROOT/build/$a/bench/dgbench
	fi
	[ -x "${cli_of[$a]}" ] || die "no CLI at ${cli_of[$a]}"
	machine=$(readelf -h "${cli_of[$a]}" 2>/dev/null | sed -n 's/^ *Machine: *//p')
	[ "$machine" = "$(elf_machine "$a")" ] ||
		die "${cli_of[$a]} is built for '${machine:-?}', not $a"
done
results=${BENCH_RESULTS:-$BENCH/results}
mkdir -p "$results"

# clean_log RAW: the console without CRs and SeaBIOS's escape sequences.
clean_log() {
	sed 's/\r$//; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' "$1"
}

# judge_vm CLEANLOG SCENARIO VM_RC: did the VM and its scenario finish
# cleanly? Prints what went wrong; returns 1 if anything did.
judge_vm() {
	local log=$1 scen=$2 vm_rc=$3 ok=0 klog hits
	if [ "$vm_rc" = 124 ] || [ "$vm_rc" = 137 ]; then
		echo "  $scen: the VM was killed by the timeout"; ok=1
	fi
	grep -q '^DG-VM-SUCCESS' "$log" ||
		{ echo "  $scen: no success marker (hang or panic)"; ok=1; }
	grep -q "^DG-SCENARIO-END: $scen rc=0 " "$log" ||
		{ echo "  $scen: the scenario did not return 0"; ok=1; }
	if grep -q '^TEST: .*\[FAIL\]$' "$log"; then
		echo "  $scen: failed checks:"
		awk '/^TEST: .*\[FAIL\]$/ { p = 1; print "    " $0; next }
			p && /^    / { print "  " $0; next } { p = 0 }' "$log" | head -n 40
		ok=1
	fi
	klog=$(awk '/^DG-DMESG-BEGIN/ { on = 1; next } /^DG-DMESG-END/ { on = 0 }
		on || /^\[ *[0-9]+\.[0-9]+\]/' "$log")
	hits=$(grep -E 'WARNING:|BUG:|Oops|Call Trace|Kernel panic' <<<"$klog" | head -n 10 || :)
	[ -z "$hits" ] || { echo "  $scen: kernel log:"; echo "${hits//$'\n'/$'\n'    }"; ok=1; }
	return $ok
}

# boot REL INITRAMFS LOG TIMEOUT QEMU_ARGS...: one VM, console to LOG.
boot() {
	local rel=$1 initrd=$2 log=$3 tmo=$4
	shift 4
	timeout -k 10 "$tmo" "${QEMU_COMMON[@]}" "$@" \
		-kernel "$("$KERNELS" image "$rel")" -initrd "$initrd" \
		-append "$KCMDLINE" </dev/null >"$log" 2>&1
}

# progress LOG PID: echo the benchmark's lines as they come, until PID exits.
progress() {
	tail -n +1 -F --pid="$2" "$1" 2>/dev/null | sed -u 's/\r$//' |
		grep --line-buffered -E '^(TEST:|DG-BENCH-ROUND|DG-BENCH-LOAD|DG-BENCH-MISSES|DG-VM)' || :
}

status=0
for rel in "${rels[@]}"; do
	echo "==== demuxguard benchmark: $rel ===="
	timed_wall=
	rarch=$("$KERNELS" arch "$rel")
	qemu_common "$rarch"
	cli=${cli_of[$rarch]}
	"$KERNELS" fetch "$rel" >/dev/null
	work=$ROOT/build/bench/$rel
	mkdir -p "$work"
	if [ -n "${BENCH_MODULE_KO:-}" ]; then
		ko=${BENCH_MODULE_KO//@REL@/$rel}
	else
		# A private build directory: a concurrent `make check` builds in
		# build/<rel>.
		ko=$("$ROOT/scripts/build-module.sh" "$rel" "$work/module")
	fi
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$rel" ] ||
		die "$ko is not built for $rel"

	cat >"$work/bench.conf" <<-EOF
		BENCH_ROUNDS=$rounds
		BENCH_RR_N=$rr_n
		BENCH_CRR_N=$crr_n
		BENCH_CONFIGS="$configs"
		BENCH_LOAD_CONNS=$load_conns
		BENCH_LOAD_SECONDS=$load_seconds
	EOF
	# A private copy, under the name the scripts call: a concurrent
	# rebuild of cli/ cannot change it mid-run.
	mkdir -p "$work/bin"
	install -m 0755 "$cli" "$work/bin/demuxguard"
	common=(-a "$rarch" -k "$rel" -b "${dgbench_of[$rarch]}"
		-b "$work/bin/demuxguard" -m "$ko"
		-f "$ROOT/tests/vm/lib.sh:/dg/lib.sh"
		-f "$ROOT/tests/vm/demuxguard.sh:/dg/demuxguard.sh"
		-f "$BENCH/vm/topo.sh:/dg/bench/topo.sh"
		-f "$work/bench.conf:/dg/bench/bench.conf")
	date=$(date -u +%Y%m%d-%H%M%S)
	logs=()

	if [ "$do_timed" = 1 ]; then
		"$ROOT/tests/vm/mkinitramfs.sh" "${common[@]}" -s "$BENCH/vm/bench.sh" \
			"$work/timed.cpio.gz"
		# About 15 guest seconds of work a configuration a round at the
		# default sizes, guest time running at 1-2x wall time: allow 4x;
		# plus the 60 s TIME_WAIT drain, idle and so mostly skipped.
		tmo=${timeout_s:-$(( 300 + (rounds + 1) * $(wc -w <<<"$configs") *
			(4 * (rr_n / 800 + crr_n / 150 + 3) + 30) ))}
		echo "-- deterministic run: ${QEMU_TIMED[*]}, $rounds rounds + 1 warm-up," \
			"rr n=$rr_n, crr n=$crr_n (timeout ${tmo} s)"
		t0=$(date +%s)
		set +e
		rm -f "$work/timed.raw"
		boot "$rel" "$work/timed.cpio.gz" "$work/timed.raw" "$tmo" "${QEMU_TIMED[@]}" &
		pid=$!
		progress "$work/timed.raw" "$pid"
		wait "$pid"
		vm_rc=$?
		set -e
		timed_wall=$(( $(date +%s) - t0 ))
		clean_log "$work/timed.raw" >"$work/timed.log"
		echo "-- deterministic run took ${timed_wall} s wall"
		if ! judge_vm "$work/timed.log" bench "$vm_rc"; then
			echo "FAILED: deterministic run (console: $work/timed.raw)"
			status=1
		fi
		logs+=("$work/timed.log")
	fi

	if [ "$do_misses" = 1 ]; then
		"$ROOT/tests/vm/mkinitramfs.sh" "${common[@]}" -s "$BENCH/vm/misses.sh" \
			"$work/load.cpio.gz"
		tmo=${timeout_s:-$(( 300 + 4 * load_seconds ))}
		echo "-- parallel run: ${QEMU_LOAD[*]}, 3 streams x $load_conns clients" \
			"for $load_seconds s (timeout ${tmo} s)"
		set +e
		rm -f "$work/load.raw"
		boot "$rel" "$work/load.cpio.gz" "$work/load.raw" "$tmo" "${QEMU_LOAD[@]}" &
		pid=$!
		progress "$work/load.raw" "$pid"
		wait "$pid"
		vm_rc=$?
		set -e
		clean_log "$work/load.raw" >"$work/load.log"
		if ! judge_vm "$work/load.log" misses "$vm_rc"; then
			echo "FAILED: parallel run (console: $work/load.raw)"
			status=1
		fi
		logs+=("$work/load.log")
	fi

	out=$results/$rel-$date
	qemu_version=$("${QEMU_COMMON[0]}" --version | head -n1)
	# Which module was measured: the commit (and whether module/ differed
	# from it) or the prebuilt file, and modinfo's checksum of its sources.
	if [ -n "${BENCH_MODULE_KO:-}" ]; then
		src="prebuilt $ko"
	else
		src=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null ||
			echo "version $(cat "$ROOT/VERSION"), not a git tree")
		[ -z "$(git -C "$ROOT" status --porcelain -- module 2>/dev/null)" ] ||
			src="$src+dirty"
	fi
	src="$src, srcversion $(modinfo -F srcversion "$ko")"
	cat "${logs[@]}" | awk -f "$BENCH/report.awk" \
		-v rel="$rel" -v date="$date" -v json="$out.json" \
		-v command="$cmdline_used" -v qemu="$qemu_version" \
		-v timed_qemu="${QEMU_COMMON[*]} ${QEMU_TIMED[*]}" \
		-v load_qemu="${QEMU_COMMON[*]} ${QEMU_LOAD[*]}" \
		-v kcmdline="$KCMDLINE" -v host_cpus="$(nproc)" -v module_src="$src" \
		-v timed_wall="${timed_wall:-}" | tee "$out.txt"
	echo "results: $out.txt, $out.json; console logs in $work"
done
exit $status
