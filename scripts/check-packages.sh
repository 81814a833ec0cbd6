#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/check-packages.sh [--vm SCENARIO] [REL...] - the .debs' life
# cycle on this machine, as root: install, upgrade, remove, purge.
#
#   1. builds the packages of this tree (scripts/packages.sh deb, lintian
#      included) and, from the same tree, those of the previous version
#      PREV = VERSION~pre (lower than VERSION for dpkg; --version);
#   2. installs PREV's demuxguard and demuxguard-dkms with apt-get: DKMS
#      must build and install demuxguard/PREV for every kernel REL (default:
#      every kernel whose headers are installed, /lib/modules/*/build);
#   3. edits the shipped /etc/modprobe.d/demuxguard.conf (enables the
#      policy, as an image builder would), then upgrades to VERSION's
#      packages: DKMS now has demuxguard/VERSION, built and installed for
#      every REL, and nothing of PREV; the edited conffile is kept; the
#      installed CLI and modules report VERSION;
#   4. copies each REL's DKMS-installed module to
#      build/packages/dkms/REL/demuxguard.ko (decompressed when DKMS
#      compressed it) and prints "package-ko: REL PATH" lines; with --vm
#      SCENARIO, boots that module in tests/vm/run.sh SCENARIO on each REL;
#   5. removes the packages (DKMS forgets the module, its files go, the
#      conffile stays), then purges them: nothing is left of them (every
#      file dpkg listed, /usr/src/demuxguard-*, /var/lib/dkms/demuxguard,
#      modules.dep entries, the conffile, dpkg's records).
# Nothing is ever loaded into this machine's kernel: the packages' scripts
# only run DKMS (add, build, install, remove), and /sys/module/demuxguard
# is checked before and after.
#
# One "TEST: name [ OK ]" line per check, then "N passed, N failed,
# N skipped"; non-zero exit on failure. Logs: build/packages/check/.
# If demuxguard is already known to dpkg or DKMS (a `make dkms-install`),
# the run fails at the start rather than touching it. On exit the packages
# are purged whatever happened.
# shellcheck disable=SC2317  # functions called through check and trap
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
vm=
if [ "${1:-}" = --vm ]; then
	vm=$2
	shift 2
fi
ver=$(cat VERSION)
prev=$ver~pre
out=$top/build/packages
logdir=$out/check
rm -rf "$logdir" "$out/dkms"
mkdir -p "$logdir"
. "$top/scripts/lib-check.sh"
arch=$(dpkg --print-architecture)
export DEBIAN_FRONTEND=noninteractive

if [ $# -gt 0 ]; then
	rels=("$@")
else
	rels=()
	for d in /lib/modules/*/build; do
		[ -f "$d/.config" ] && rels+=("$(basename "$(dirname "$d")")")
	done
fi

finish()
{
	echo "check-packages: $(( $(date +%s) - start )) s"
	echo "$npass passed, $nfail failed, $nskip skipped"
	[ "$nfail" -eq 0 ]
	exit $?
}

apt_get()
{
	apt-get -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends \
		-o Dpkg::Options::=--force-confold "$@" </dev/null
}

# check NAME TEST-ARGS...: a check line for a shell test, with a detail.
check()
{
	local name=$1 detail=$2
	shift 2
	if "$@"; then
		result "$name" OK
	else
		result "$name" FAIL "$detail"
	fi
}

dkms_status() { dkms status -m demuxguard 2>/dev/null; }
installed_for() { grep -q "^demuxguard/$1, $2, [^:]*: installed" <<<"$(dkms_status)"; }
pkg_version() { dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null; }
not_loaded() { [ ! -e /sys/module/demuxguard ]; }
nothing_of() { ! ls -d "$@" >/dev/null 2>&1; }

cleanup()
{
	if dpkg-query -W demuxguard demuxguard-dkms >/dev/null 2>&1; then
		apt_get purge demuxguard demuxguard-dkms >"$logdir/cleanup.log" 2>&1
	fi
}

# ---- 0. a clean start ---------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	result "packages: running as root" FAIL "apt-get and dkms need root"
	finish
fi
if [ ${#rels[@]} -eq 0 ]; then
	result "packages: kernels with headers to build for" FAIL "none in /lib/modules/*/build"
	finish
fi
# DKMS knows a module by name and version, so this run and anything else
# that registers demuxguard/VERSION (scripts/dkms.sh: make dkms-install,
# make check's DKMS step) must not overlap: they share this lock.
exec 9>/run/lock/demuxguard-dkms.lock
if ! flock -w "${DG_DKMS_LOCK_WAIT:-1800}" 9; then
	result "packages: the DKMS lock /run/lock/demuxguard-dkms.lock" FAIL "held by another run"
	finish
fi
if dpkg-query -W demuxguard demuxguard-dkms >/dev/null 2>&1 || [ -n "$(dkms_status)" ] ||
		! nothing_of /usr/src/demuxguard-* /var/lib/dkms/demuxguard; then
	result "packages: demuxguard not installed before the test" FAIL \
		"dpkg or DKMS already has demuxguard (make dkms-uninstall, or apt-get purge demuxguard demuxguard-dkms)"
	finish
fi
trap cleanup EXIT
check "packages: demuxguard not loaded in this machine's kernel (before)" \
	"/sys/module/demuxguard exists" not_loaded

# ---- 1. build ---------------------------------------------------------------
step "packages: build the .debs of $ver (lintian clean)" scripts/packages.sh deb || finish
step "packages: build the .debs of $prev (same tree, lower version)" \
	env DEB_BUILD_OPTIONS=nocheck scripts/packages.sh deb --version "$prev" \
	--out "$out/prev" --no-lint || finish
cur_debs=("$out/demuxguard_${ver}_$arch.deb" "$out/demuxguard-dkms_${ver}_all.deb")
prev_debs=("$out/prev/demuxguard_${prev}_$arch.deb" "$out/prev/demuxguard-dkms_${prev}_all.deb")

# ---- 2. install the previous version ----------------------------------------
step "packages: apt-get install demuxguard $prev" apt_get install "${prev_debs[@]}" || finish
check "packages: dpkg has demuxguard $prev and demuxguard-dkms $prev" \
	"$(pkg_version demuxguard); $(pkg_version demuxguard-dkms)" \
	test "$(pkg_version demuxguard)/$(pkg_version demuxguard-dkms)" = "installed $prev/installed $prev"
for rel in "${rels[@]}"; do
	check "packages: DKMS built and installed demuxguard/$prev for $rel" \
		"dkms status: $(dkms_status | paste -sd';')" installed_for "$prev" "$rel"
done
dpkg -L demuxguard demuxguard-dkms >"$logdir/files-$prev.txt"

# ---- 3. upgrade ---------------------------------------------------------------
# An image builder enables the boot-time policy in the shipped conffile.
conf=/etc/modprobe.d/demuxguard.conf
check "packages: $conf shipped, policy inactive" "$(grep -v '^#' "$conf" 2>&1)" \
	sh -c "test -f $conf && ! grep -q '^options' $conf && grep -q '^#options demuxguard rules=' $conf"
sed -i 's/^#options /options /' "$conf"
step "packages: apt-get install demuxguard $ver (upgrade from $prev)" apt_get install "${cur_debs[@]}" || finish
check "packages: dpkg has demuxguard $ver and demuxguard-dkms $ver" \
	"$(pkg_version demuxguard); $(pkg_version demuxguard-dkms)" \
	test "$(pkg_version demuxguard)/$(pkg_version demuxguard-dkms)" = "installed $ver/installed $ver"
check "packages: DKMS has no demuxguard/$prev left" "dkms status: $(dkms_status | paste -sd';')" \
	sh -c "! dkms status -m demuxguard -v '$prev' | grep -q . && ! test -e '/var/lib/dkms/demuxguard/$prev' && ! test -e '/usr/src/demuxguard-$prev'"
check "packages: the edited $conf kept over the upgrade" "$(grep -v '^#' "$conf" 2>&1)" \
	grep -q '^options demuxguard rules=vlan=veto' "$conf"
check "packages: /usr/sbin/demuxguard --version says $ver" "$(/usr/sbin/demuxguard --version 2>&1)" \
	sh -c "/usr/sbin/demuxguard --version | grep -qw '$ver'"
check "packages: man page and bash completion installed" "" \
	test -f /usr/share/man/man8/demuxguard.8.gz -a -f /usr/share/bash-completion/completions/demuxguard
mkdir -p "$out/dkms"
for rel in "${rels[@]}"; do
	check "packages: DKMS built and installed demuxguard/$ver for $rel" \
		"dkms status: $(dkms_status | paste -sd';')" installed_for "$ver" "$rel"
	ko=$(find "/lib/modules/$rel/updates/dkms" -name 'demuxguard.ko*' 2>/dev/null | head -n 1)
	dst=$out/dkms/$rel/demuxguard.ko
	mkdir -p "$(dirname "$dst")"
	case $ko in
	*.ko) cp "$ko" "$dst" ;;
	*.ko.xz) xz -dc "$ko" >"$dst" ;;
	*.ko.zst) zstd -qdc "$ko" >"$dst" ;;
	*.ko.gz) gzip -dc "$ko" >"$dst" ;;
	*) rm -f "$dst" ;;
	esac
	check "packages: $rel's module: version $ver, vermagic $rel, in modules.dep" \
		"file: ${ko:-none}; $(modinfo -F version "$dst" 2>&1) / $(modinfo -F vermagic "$dst" 2>&1)" \
		sh -c "test -s '$dst' && test \"\$(modinfo -F version '$dst')\" = '$ver' &&
			test \"\$(modinfo -F vermagic '$dst' | cut -d' ' -f1)\" = '$rel' &&
			grep -q '^updates/dkms/demuxguard.ko' '/lib/modules/$rel/modules.dep'"
	[ -s "$dst" ] && echo "package-ko: $rel $dst"
done
dpkg -L demuxguard demuxguard-dkms >"$logdir/files-$ver.txt"
check "packages: demuxguard not loaded in this machine's kernel (after install)" \
	"/sys/module/demuxguard exists" not_loaded

# ---- 4. the packaged module in a VM -------------------------------------------
if [ -n "$vm" ]; then
	for rel in "${rels[@]}"; do
		[ -s "$out/dkms/$rel/demuxguard.ko" ] || continue
		[ -d "${DG_CACHE:-/var/cache/demuxguard-test}/kernels/$rel" ] || continue
		DG_MODULE_KO=$out/dkms/$rel/demuxguard.ko tests/vm/run.sh -q -k "$rel" "$vm" 2>&1 |
			tee "$logdir/vm-$rel.log" | grep -vE '^TEST: |^DG-|^SUMMARY:' | sed 's/^\[/[package /'
		absorb "$logdir/vm-$rel.log"
	done
fi

# ---- 5. remove, then purge ------------------------------------------------------
step "packages: apt-get remove demuxguard demuxguard-dkms" apt_get remove demuxguard demuxguard-dkms
check "packages: after remove, DKMS has no demuxguard" "dkms status: $(dkms_status | paste -sd';')" \
	sh -c "! dkms status -m demuxguard | grep -q . && ! test -e /var/lib/dkms/demuxguard/$ver"
for rel in "${rels[@]}"; do
	check "packages: after remove, no demuxguard module or modules.dep entry for $rel" \
		"$(find "/lib/modules/$rel" -name 'demuxguard.ko*' | paste -sd' ')" \
		sh -c "! find '/lib/modules/$rel' -name 'demuxguard.ko*' | grep -q . &&
			! grep -q demuxguard '/lib/modules/$rel/modules.dep'"
done
check "packages: after remove, $conf kept (a conffile), status rc" "$(pkg_version demuxguard-dkms)" \
	sh -c "test -f $conf && test \"\$(dpkg-query -W -f='\${db:Status-Abbrev}' demuxguard-dkms)\" = 'rc '"
step "packages: apt-get purge demuxguard demuxguard-dkms" apt_get purge demuxguard demuxguard-dkms
left=$(cat "$logdir/files-$prev.txt" "$logdir/files-$ver.txt" | sort -u |
	grep -E 'demuxguard' | while read -r f; do [ -e "$f" ] && echo "$f"; done | paste -sd' ')
check "packages: after purge, no file of either version left" "left: $left" test -z "$left"
check "packages: after purge, nothing in /usr/src, /var/lib/dkms, /etc/modprobe.d" \
	"$(find /usr/src/demuxguard-* /var/lib/dkms/demuxguard "$conf" -maxdepth 0 2>/dev/null | paste -sd' ')" \
	nothing_of /usr/src/demuxguard-* /var/lib/dkms/demuxguard "$conf"
check "packages: after purge, dpkg knows neither package" "" \
	sh -c "! dpkg-query -W demuxguard demuxguard-dkms >/dev/null 2>&1"
check "packages: demuxguard not loaded in this machine's kernel (after purge)" \
	"/sys/module/demuxguard exists" not_loaded

finish
