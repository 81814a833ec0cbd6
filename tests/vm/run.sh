#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/vm/run.sh - runs in-VM test scenarios on the supported kernels and
# judges the result. For each kernel it builds an initramfs with the
# scenarios, lib.sh, sgp.sh, dgnet and (when built for that kernel) our
# module and CLI, boots it under QEMU (TCG: KVM is not available) with a
# hard timeout, streams the console and keeps it in a log, and then checks:
#   - the in-VM check lines (TEST: <name> [ OK ] / [FAIL] / [SKIP]);
#   - that the VM booted, every scenario ran to completion and /init printed
#     its success marker (so a hang, a panic or a crashed script fails);
#   - the kernel log for WARNING:, BUG:, kernel BUG at, Oops, Call Trace and
#     Kernel panic,
#     and the taint flags for anything beyond the O/E an out-of-tree module
#     sets - each its own check line.
# Ends with "<kernelrelease>: N passed, N failed, N skipped" per kernel and,
# for several kernels, "total: ..."; exits non-zero if any check failed.
# The same harness runs x86-64 kernels in qemu-system-x86_64 and arm64
# (Graviton) kernels in qemu-system-aarch64; only the QEMU command line,
# the console device and where the VM's binaries come from differ.
#
# Usage: run.sh [-a|--arch amd64|arm64] [-k|--kernel REL|SHORT|all]
#               [--kernel-image IMAGE --kernel-build DIR]
#               [--timeout SECONDS] [-q] [--shell] SCENARIO...
#   SCENARIO is a name under tests/vm/scenarios/ (baseline) or a path.
#   SHORT is a short name from scripts/kernels.sh's table: 5.10, 6.1,
#     6.12, newest (or its line, e.g. 7.3), 6.1-rt, 6.12-rt.
#   --arch: which kernels the short names and all mean (default $DG_ARCH,
#     else amd64); a full kernelrelease names its architecture itself.
#   -q: show only check lines and markers, not the whole console.
#   --shell: boot the same VM with a shell on the console instead.
#   --kernel-image IMAGE --kernel-build DIR: instead of a Debian kernel,
#     one built from source (make check-debug's), everything it needs built
#     in; DIR is its build tree (release, modules.builtin).
# Environment:
#   DG_MODULE_KO  module to include (default module/demuxguard.ko; "@REL@"
#                 is replaced by the kernelrelease); left out, with a note,
#                 if absent or built for another kernel
#   DG_CLI        CLI binary to include (default cli/demuxguard for amd64,
#                 build/arm64/cli/demuxguard for arm64: make -C cli
#                 CROSS_COMPILE=aarch64-linux-gnu- SYSROOT=$(scripts/sysroot.sh
#                 arm64) BUILDDIR=$PWD/build/arm64/cli); optional, left out
#                 with a note if built for another architecture
#   DG_VM_TIMEOUT seconds before a VM is killed (default 300)
#   DG_LOGDIR     where console logs go (default tests/vm/logs)
#   DG_KERNEL_ARGS extra kernel command line; VAR=VALUE words (no dot in
#                 VAR) reach /init and so the scenarios as environment, e.g.
#                 DG_KERNEL_ARGS=SGP_LOCAL_PREF=0 runs sgp.sh's topology
#                 without the moved local rule (baseline then fails)
#   DG_TCG_THREAD x86-64 guests only: "single" (default) runs both vCPUs
#                 on one host thread, "multi" gives each its own (see
#                 the comment at the QEMU command line)
#   DG_CACHE      cache root (default /var/cache/demuxguard-test)

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VMDIR=$ROOT/tests/vm
KERNELS=$ROOT/scripts/kernels.sh
export DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}
DG_LOGDIR=${DG_LOGDIR:-$VMDIR/logs}
timeout_s=${DG_VM_TIMEOUT:-300}
quiet=0
shell=0
kernel=
kimage=
kbuild=
arch=${DG_ARCH:-amd64}

die() { echo "run.sh: $*" >&2; exit 2; }
usage() {
	sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-a|--arch) [ $# -ge 2 ] || usage; arch=$2; shift 2 ;;
	-k|--kernel) [ $# -ge 2 ] || usage; kernel=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	-q|--quiet) quiet=1; shift ;;
	--shell) shell=1; shift ;;
	--kernel-image) [ $# -ge 2 ] || usage; kimage=$2; shift 2 ;;
	--kernel-build) [ $# -ge 2 ] || usage; kbuild=$2; shift 2 ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || [ "$shell" = 1 ] || usage

scenario_files=()
for s in "$@"; do
	if [ -f "$s" ]; then
		scenario_files+=("$(readlink -f "$s")")
	elif [ -f "$VMDIR/scenarios/$s.sh" ]; then
		scenario_files+=("$VMDIR/scenarios/$s.sh")
	else
		die "no such scenario: $s"
	fi
done

case $arch in
amd64|arm64) ;;
*) die "unsupported architecture: $arch (amd64, arm64)" ;;
esac
if [ -n "$kimage$kbuild" ]; then
	if [ ! -f "$kimage" ] || [ ! -f "$kbuild/include/config/kernel.release" ]; then
		die "--kernel-image needs an image and --kernel-build its build tree"
	fi
	rels=("$(cat "$kbuild/include/config/kernel.release")")
elif [ "$kernel" = all ]; then
	mapfile -t rels < <("$KERNELS" --arch "$arch" list)
else
	rels=("$("$KERNELS" --arch "$arch" resolve "${kernel:-$("$KERNELS" --arch "$arch" default)}")")
fi

# The in-VM tools, built for each architecture the kernels need: natively
# in tests/tools, cross-compiled (static, so no libraries) in build/<arch>.
tools_dir() {
	if [ "$1" = "$(dpkg --print-architecture)" ]; then
		echo "$ROOT/tests/tools"
	else
		echo "$ROOT/build/$1/tools"
	fi
}
for a in $(for r in "${rels[@]}"; do "$KERNELS" arch "$r"; done | sort -u); do
	case $a in
	"$(dpkg --print-architecture)") make -s -C "$ROOT/tests/tools" >/dev/null ;;
	arm64) make -s -C "$ROOT/tests/tools" CROSS_COMPILE=aarch64-linux-gnu- \
		BUILDDIR="$(tools_dir arm64)" >/dev/null ;;
	esac
done
mkdir -p "$DG_LOGDIR" "$DG_CACHE/tmp"

# The ELF machine of a binary built for a Debian architecture, as readelf
# names it.
elf_machine() {
	case $1 in
	amd64) echo 'Advanced Micro Devices X86-64' ;;
	arm64) echo AArch64 ;;
	esac
}

total_pass=0
total_fail=0
total_skip=0

# ---- judging a console log ---------------------------------------------

# Result lines from the host's own checks, in the in-VM format.
host_check() {	# NAME OK|FAIL [DETAIL]
	local res=" OK "
	[ "$2" = OK ] || res=FAIL
	printf '[%s] TEST: %-60s [%s]\n' "$rel" "$1" "$res"
	# sed stops reading itself: no pipe into head, whose early exit could
	# kill the writer under pipefail.
	[ -z "${3:-}" ] || sed -n '1,20s/^/    | /p' <<<"$3"
	if [ "$2" = OK ]; then npass=$((npass + 1)); else nfail=$((nfail + 1)); fi
}

judge() {
	local log=$1 vm_rc=$2 clean klog line name res scen rc t_boot
	clean=$(mktemp)
	# The console has CRs and SeaBIOS's escape sequences; drop both.
	sed 's/\r$//; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' "$log" >"$clean"

	echo "---- $rel: results ----"
	# In-VM check lines, named after their scenario.
	scen=
	while IFS= read -r line; do
		case $line in
		DG-SCENARIO-BEGIN:*) scen=${line#DG-SCENARIO-BEGIN: } ;;
		TEST:*)
			name=$(sed -E 's/^TEST: (.*[^ ]) +\[(.*)\]$/\1/' <<<"$line")
			res=$(sed -E 's/^.*\[(.*)\]$/\1/' <<<"$line")
			printf '[%s] TEST: %-60s [%s]\n' "$rel" "$scen: $name" "$res"
			case $res in
			" OK ") npass=$((npass + 1)) ;;
			SKIP) nskip=$((nskip + 1)) ;;
			*) nfail=$((nfail + 1)) ;;
			esac
			;;
		esac
	done <"$clean"

	if grep -q 'DG-VM: kernel' "$clean"; then
		host_check "vm: booted to /init" OK
	else
		host_check "vm: booted to /init" FAIL "no DG-VM line; see $log"
	fi
	# A scenario passes this check if it returned 0, or 1 having reported
	# its failures as FAIL lines, or 4 (skipped): any other status, or
	# none, means it died before it could say what went wrong.
	for f in "${scenario_files[@]}"; do
		name=$(basename "$f" .sh)
		line=$(grep "^DG-SCENARIO-END: $name " "$clean" | tail -n1 || :)
		rc=$(sed -n 's/.* rc=\([0-9]*\).*/\1/p' <<<"$line")
		local fails
		fails=$(awk -v s="DG-SCENARIO-BEGIN: $name" '
			$0 == s { on = 1; next } /^DG-SCENARIO-END:/ { on = 0 }
			on && /^TEST: .*\[FAIL\]$/ { n++ } END { print n + 0 }' "$clean")
		if [ -z "$line" ]; then
			host_check "vm: scenario $name ran to completion" FAIL "it never returned"
		elif [ "$rc" = 0 ] || [ "$rc" = 4 ] || { [ "$rc" = 1 ] && [ "$fails" -gt 0 ]; }; then
			host_check "vm: scenario $name ran to completion" OK
		else
			host_check "vm: scenario $name ran to completion" FAIL \
				"exit status $rc with $fails failed checks: a command failed outside a check"
		fi
	done
	if [ "$vm_rc" = 124 ] || [ "$vm_rc" = 137 ]; then
		host_check "vm: finished within ${timeout_s} s" FAIL "killed by timeout"
	else
		host_check "vm: finished within ${timeout_s} s" OK
	fi
	if grep -q '^DG-VM-SUCCESS' "$clean"; then
		host_check "vm: success marker (no hang, no panic)" OK
	else
		host_check "vm: success marker (no hang, no panic)" FAIL "missing; last lines: $(tail -n 15 "$clean")"
	fi

	# The kernel's own lines: the dmesg dump, plus any printk that reached
	# the console (timestamped) in case the VM died before the dump. Lines
	# the scenarios print are not scanned: a test name may say "WARNING".
	klog=$(awk '/^DG-DMESG-BEGIN/ { on = 1; next } /^DG-DMESG-END/ { on = 0 }
		on || /^\[ *[0-9]+\.[0-9]+\]/' "$clean")
	local pat hits
	# "kernel BUG at FILE:LINE!" (BUG_ON) has no "BUG:".
	for pat in 'WARNING:' 'BUG:' 'kernel BUG at' 'Oops' 'Call Trace' 'Kernel panic'; do
		hits=$(grep -F -- "$pat" <<<"$klog" | sort -u | head -n 10 || :)
		if [ -z "$hits" ]; then
			host_check "kernel log: no '$pat'" OK
		else
			host_check "kernel log: no '$pat'" FAIL "$hits"
		fi
	done
	local tb ta new
	tb=$(sed -n 's/^DG-TAINT-BEFORE: \([0-9]*\)$/\1/p' "$clean")
	ta=$(sed -n 's/^DG-TAINT-AFTER: \([0-9]*\)$/\1/p' "$clean")
	if [ -z "$tb" ] || [ -z "$ta" ]; then
		host_check "kernel: taint unchanged (but O, E)" FAIL "taint not reported"
	else
		# 12 = O (out-of-tree module), 13 = E (unsigned module): expected
		# whenever our module is loaded.
		new=$(( ta & ~tb & ~((1 << 12) | (1 << 13)) ))
		if [ "$new" -eq 0 ]; then
			host_check "kernel: taint unchanged (but O, E)" OK
		else
			host_check "kernel: taint unchanged (but O, E)" FAIL "tainted $tb -> $ta"
		fi
	fi

	t_boot=$(sed -n 's/^.*DG-VM: kernel .* up after \([0-9.]*\) s$/\1/p' "$clean")
	timing="boot ${t_boot:-?} s"
	while read -r name rc; do
		timing="$timing, $name ${rc#seconds=} s"
	done < <(sed -n 's/^DG-SCENARIO-END: \([^ ]*\) rc=[0-9]* \(seconds=[0-9.]*\)$/\1 \2/p' "$clean")
	rm -f "$clean"
}

# ---- one VM per kernel --------------------------------------------------

for rel in "${rels[@]}"; do
	npass=0
	nfail=0
	nskip=0
	if [ -n "$kimage" ]; then
		vmlinuz=$kimage
	else
		# Booting needs the image only; building (and so the headers or
		# the build root) is build-module.sh's.
		"$KERNELS" fetch-image "$rel" >/dev/null
		vmlinuz=$("$KERNELS" image "$rel")
	fi
	rarch=$("$KERNELS" arch "$rel")
	tools=$(tools_dir "$rarch")

	args=(-a "$rarch" -k "$rel" -b "$tools/dgnet" -b "$tools/dgfuzz"
	      -f "$VMDIR/lib.sh:/dg/lib.sh" -f "$VMDIR/sgp.sh:/dg/sgp.sh"
	      -f "$VMDIR/demuxguard.sh:/dg/demuxguard.sh"
	      -f "$ROOT/examples/modprobe.d/demuxguard.conf:/dg/examples/modprobe.d/demuxguard.conf")
	for f in "${scenario_files[@]}"; do
		args+=(-s "$f")
	done
	[ -z "$kbuild" ] || args+=(-B "$kbuild")
	ko=${DG_MODULE_KO:-$ROOT/module/demuxguard.ko}
	ko=${ko//@REL@/$rel}
	if [ -f "$ko" ]; then
		vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
		if [ "$vermagic" = "$rel" ]; then
			args+=(-m "$ko")
		else
			echo "run.sh: $ko is built for '${vermagic:-?}', not $rel: not included" >&2
		fi
	fi
	# Like the tools: the native build in cli/, a cross build in build/<arch>.
	if [ "$rarch" = "$(dpkg --print-architecture)" ]; then
		cli=${DG_CLI:-$ROOT/cli/demuxguard}
	else
		cli=${DG_CLI:-$ROOT/build/$rarch/cli/demuxguard}
	fi
	if [ -f "$cli" ]; then
		machine=$(readelf -h "$cli" 2>/dev/null | sed -n 's/^ *Machine: *//p')
		if [ "$machine" = "$(elf_machine "$rarch")" ]; then
			args+=(-b "$cli")
		else
			echo "run.sh: $cli is built for '${machine:-?}', not $rarch: not included" >&2
		fi
	fi

	work=$(mktemp -d "$DG_CACHE/tmp/run.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	"$VMDIR/mkinitramfs.sh" "${args[@]}" "$work/initramfs.cpio.gz"

	names=$(for f in "${scenario_files[@]}"; do basename "$f" .sh; done | paste -sd+)
	log=$DG_LOGDIR/$rel-${names:-shell}.log
	case $rarch in
	amd64)
		console=ttyS0
		# One host thread for both vCPUs. With a thread each (MTTCG),
		# QEMU 7.2 executes the int3 of an x86 text_poke_bp() after the
		# patch is complete ("Oops: int3" at a static key or optimized
		# kprobe site, under traffic), most likely from a block it
		# translated mid-patch. scenarios/textpatch.sh shows it with
		# no demuxguard loaded. The guest still has two CPUs that
		# preempt each other.
		qemu=(qemu-system-x86_64 -accel "tcg,thread=${DG_TCG_THREAD:-single}" -cpu max -vga none)
		# qboot (in qemu-system-data) only loads the kernel: about half
		# a second faster than SeaBIOS under TCG, and no escape codes.
		for fw in /usr/share/qemu/qboot.rom /usr/share/seabios/qboot.rom; do
			if [ -f "$fw" ]; then
				qemu+=(-bios "$fw")
				break
			fi
		done
		;;
	arm64)
		# The virt board boots the kernel's Image directly, no
		# firmware. pauth-impdef: QEMU's own pointer-authentication
		# algorithm, much cheaper under TCG than the architected QARMA
		# (the kernel signs every return address). A thread per vCPU:
		# arm64 text patches leave no transient trap behind (a static
		# key swaps B and NOP, a kprobe's BRK goes in under
		# stop_machine()).
		console=ttyAMA0
		qemu=(qemu-system-aarch64 -M virt -accel tcg -cpu "max,pauth-impdef=on")
		;;
	esac
	cmdline="console=$console panic=-1 quiet cryptomgr.notests ${DG_KERNEL_ARGS:-}"
	qemu+=(-m 1024 -smp 2 -nographic -nic none -no-reboot
	       -kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz")

	if [ "$shell" = 1 ]; then
		exec "${qemu[@]}" -append "$cmdline dg.shell"
	fi

	echo "==== $rel: ${names} (console log: $log) ===="
	start=$(date +%s.%N)
	set +e
	# The console is kept whole in the log; on the terminal the kernel
	# log dump at the end is left out (it is in the log, and judged).
	timeout -k 10 "$timeout_s" "${qemu[@]}" -append "$cmdline" </dev/null 2>&1 |
		tee "$log" |
		sed -u 's/\r$//' |
		awk -v q="$quiet" '
			/DG-DMESG-BEGIN/ { skip = 1 }
			!skip && (!q || /TEST:|DG-|SUMMARY:|^ +[|#]/) { print; fflush() }
			/DG-DMESG-END/ { skip = 0 }'
	vm_rc=${PIPESTATUS[0]}
	set -e
	wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	rm -rf "$work"
	trap - EXIT

	judge "$log" "$vm_rc"
	echo "[$rel] timing: $timing; VM wall clock $wall s"
	echo "$rel: $npass passed, $nfail failed, $nskip skipped"
	total_pass=$((total_pass + npass))
	total_fail=$((total_fail + nfail))
	total_skip=$((total_skip + nskip))
done

if [ ${#rels[@]} -gt 1 ]; then
	echo "total: $total_pass passed, $total_fail failed, $total_skip skipped"
fi
[ "$total_fail" -eq 0 ]
