#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/vm/mkinitramfs.sh - builds the initramfs that demuxguard's test VM
# boots: the whole userspace of the VM, and its PID 1 (/init).
#
# The image is two gzip'd cpio archives concatenated (the kernel unpacks
# them in order, later files win):
#   base    per kernelrelease, cached: busybox-static and its applet links,
#           iproute2's ip and kmod with their shared libraries (from the
#           host for its own architecture, else from the packages
#           scripts/sysroot.sh unpacks for the kernel's), nftables' nft
#           with its libraries (never the host's: always unpacked by
#           scripts/sysroot.sh -u), the kernel's own veth/8021q/...
#           modules (+ deps, + DG_KMODS) decompressed, a depmod'ed
#           /lib/modules/<rel>, and /init;
#   overlay per build, small: the extra files (our module, CLI, test tool,
#           test scripts), a module tree re-run through depmod when an
#           out-of-tree module is added, and the list of scenarios to run.
#
# Usage: mkinitramfs.sh [-a ARCH] [-k REL] [-s SCENARIO.sh]... [-m MODULE.ko]
#                       [-b BINARY]... [-f SRC[:DEST]]... [-B DIR] OUTPUT
#   -a ARCH       amd64 (default) or arm64: what -k's short names mean; a
#                 full kernelrelease names its architecture itself
#   -k REL        kernelrelease (default: scripts/kernels.sh default)
#   -s FILE       a scenario script; run by /init in the order given
#   -m KO         an out-of-tree module, installed as
#                 /lib/modules/REL/extra/ so modprobe finds it
#   -b FILE       an executable for /usr/local/bin, built for the kernel's
#                 architecture (its shared libraries come along)
#   -f SRC[:DEST] any other file (DEST defaults to /dg/<basename>)
#   -B DIR        the build tree of a kernel built from source (the debug
#                 kernel of make check-debug; -k is then its release): its
#                 modules.builtin stands in for a packaged module tree, and
#                 the modules it builds in are not copied (modprobe finds
#                 them built in)
# Environment: DG_CACHE (cache root, default /var/cache/demuxguard-test),
#   DG_KMODS (more in-tree modules by name), DG_EXTRA_FILES (more
#   SRC[:DEST] words, as -f).

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KERNELS=$ROOT/scripts/kernels.sh
DG_CACHE=${DG_CACHE:-/var/cache/demuxguard-test}
# The kernel's modules the SGP topology needs (vrf: doctor-routing.sh;
# macvlan: veto.sh takes a device's rx_handler with it; nf_tables and
# nft_tproxy: tproxy.sh's rule); their deps come from modules.dep.
BASE_KMODS="veth 8021q vrf macvlan nf_tables nft_tproxy ${DG_KMODS:-}"

die() { echo "mkinitramfs.sh: $*" >&2; exit 1; }

usage() {
	sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 1
}

rel=
arch=${DG_ARCH:-amd64}
scenarios=()
extra_kos=()
extra_bins=()
# Word-splitting of the env list is intended: SRC[:DEST] words.
# shellcheck disable=SC2206
extra_files=(${DG_EXTRA_FILES:-})
kbuild=
while getopts a:k:s:m:b:f:B:h opt; do
	case $opt in
	B) kbuild=$OPTARG ;;
	a) arch=$OPTARG ;;
	k) rel=$OPTARG ;;
	s) scenarios+=("$OPTARG") ;;
	m) extra_kos+=("$OPTARG") ;;
	b) extra_bins+=("$OPTARG") ;;
	f) extra_files+=("$OPTARG") ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
out=$1
[ -n "$rel" ] || rel=$("$KERNELS" --arch "$arch" default)
rel=$("$KERNELS" --arch "$arch" resolve "$rel")
arch=$("$KERNELS" --arch "$arch" arch "$rel")
if [ -n "$kbuild" ]; then
	[ -f "$kbuild/modules.builtin" ] || die "no modules.builtin in $kbuild"
	kmoddir=$kbuild
	kstamp=$kbuild/modules.builtin
else
	# lib/modules/REL or, in 7.x's split packages, usr/lib/modules/REL:
	# kernels.sh knows where.
	kmoddir=$("$KERNELS" moddir "$rel")
	kstamp=$("$KERNELS" root "$rel")/.complete
fi

# Is module $1 built into the kernel?
kmod_builtin() {
	grep -qE "(^|/)$1\.ko\$" "$kmoddir/modules.builtin" 2>/dev/null
}

# Where the VM's userland comes from: "/" (the host's own packages) when
# the kernel is for the host's architecture, else a tree of that
# architecture's packages unpacked into the cache.
uroot=$("$ROOT/scripts/sysroot.sh" "$arch")
# What the host never installs (nft) is unpacked for every architecture.
vmroot=$("$ROOT/scripts/sysroot.sh" -u "$arch")
case $arch in
amd64) triplet=x86_64-linux-gnu ;;
arm64) triplet=aarch64-linux-gnu ;;
*) die "unsupported architecture: $arch" ;;
esac

# The file that PATH names in the userland tree, its symlinks followed
# inside the tree: in an unpacked tree an absolute link (/sbin/ip ->
# /bin/ip) means the tree's file, not the host's.
root_path() {
	local p=$1 t n=0
	if [ "$uroot" = / ]; then
		readlink -f "$p"
		return
	fi
	while [ -L "$uroot$p" ]; do
		t=$(readlink "$uroot$p")
		case $t in
		/*) p=$t ;;
		*) p=$(dirname "$p")/$t ;;
		esac
		n=$((n + 1))
		[ "$n" -lt 40 ] || die "symlink loop at $uroot$1"
	done
	[ -e "$uroot$p" ] || die "no $1 in $uroot"
	echo "$uroot$p"
}

# Copy an ELF executable to $3 under tree $1, with its loader (at its
# PT_INTERP path) and every shared library it needs, directly or through
# another library (under /lib/<triplet>/, where the VM's loader looks),
# unless the tree or the base ($base_tree, for overlay builds) has it
# already. The libraries are found by their DT_NEEDED names in the
# userland tree's library directories: readelf reads any architecture's
# binaries, where ldd runs the binary's own loader and so works only for
# the host's. Static binaries just get copied.
base_tree=/nonexistent
install_elf() {
	local tree=$1 src=$2 dest=$3 interp file lib d path
	local queue=()
	install -D -m 0755 "$src" "$tree$dest"
	interp=$(readelf -lW "$src" |
		sed -n 's/.*\[Requesting program interpreter: \(.*\)\]$/\1/p')
	[ -n "$interp" ] || return 0
	if [ ! -e "$tree$interp" ] && [ ! -e "$base_tree$interp" ]; then
		install -D -m 0755 "$(root_path "$interp")" "$tree$interp"
	fi
	queue=("$src")
	while [ ${#queue[@]} -gt 0 ]; do
		file=${queue[0]}
		queue=("${queue[@]:1}")
		for lib in $(readelf -dW "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
			[ "$lib" = "$(basename "$interp")" ] && continue
			[ -e "$tree/lib/$triplet/$lib" ] || [ -e "$base_tree/lib/$triplet/$lib" ] && continue
			path=
			for d in "/lib/$triplet" "/usr/lib/$triplet" /lib /usr/lib; do
				if [ -e "$uroot$d/$lib" ]; then
					path=$(root_path "$d/$lib")
					break
				fi
			done
			[ -n "$path" ] || die "$src needs $lib, which $uroot does not have"
			install -D -m 0755 "$path" "$tree/lib/$triplet/$lib"
			queue+=("$path")
		done
	done
}

# in_root ROOT CMD...: CMD with the userland tree ROOT in place of $uroot.
in_root() {
	local uroot=$1
	shift
	"$@"
}

# Decompress a module (.ko, .ko.xz, .ko.zst, .ko.gz) to a plain .ko: the
# VM then needs neither in-kernel decompression nor a matching kmod.
install_ko() {
	local src=$1 dest=$2
	mkdir -p "$(dirname "$dest")"
	case $src in
	*.ko) cp "$src" "$dest" ;;
	*.ko.xz) xz -dc "$src" >"$dest" ;;
	*.ko.zst) zstd -qdc "$src" >"$dest" ;;
	*.ko.gz) gzip -dc "$src" >"$dest" ;;
	*) die "unknown module format: $src" ;;
	esac
}

# Print the modules.dep paths of module $1 and of everything it needs.
kmod_closure() {
	awk -v want="$1" '
		{ path = $1; sub(/:$/, "", path); name = path
		  sub(/.*\//, "", name); sub(/\.ko(\.[a-z]+)?$/, "", name)
		  gsub(/-/, "_", name); w = want; gsub(/-/, "_", w) }
		name == w { print path; for (i = 2; i <= NF; i++) print $i; found = 1 }
		END { exit !found }' "$kmoddir/modules.dep"
}

cpio_gz() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -6 -n
}

write_init() {
	cat >"$1" <<'EOF'
#!/bin/sh
# /init - PID 1 of demuxguard's test VM (written by tests/vm/mkinitramfs.sh).
# Mounts the API filesystems, runs the scenarios listed in /etc/dg/scenarios
# one after another, dumps the kernel log and powers off. The host judges
# the run from the lines printed here. DG-VM-SUCCESS is printed only after
# every scenario script has returned, so a hang or a panic (panic=-1 and
# QEMU's -no-reboot end the VM) can never look like a pass.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up
hostname dgvm

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# Start on a line of our own: the firmware leaves the cursor mid-line.
echo
echo "DG-VM: kernel $(uname -r) up after $(uptime_s) s"
echo "DG-TAINT-BEFORE: $(cat /proc/sys/kernel/tainted)"
if grep -qw dg.shell /proc/cmdline; then
	# Interactive debugging (run.sh --shell): a shell on the console.
	setsid cttyhack sh -l
else
	while read -r name; do
		[ -n "$name" ] || continue
		t0=$(uptime_s)
		echo "DG-SCENARIO-BEGIN: $name"
		(cd /tmp && DG_SCENARIO=$name sh "/dg/scenarios/$name.sh")
		rc=$?
		echo "DG-SCENARIO-END: $name rc=$rc seconds=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }')"
	done </etc/dg/scenarios
fi
echo "DG-TAINT-AFTER: $(cat /proc/sys/kernel/tainted)"
echo "DG-DMESG-BEGIN"
dmesg
echo "DG-DMESG-END"
echo "DG-VM-SUCCESS: after $(uptime_s) s"
# Without ACPI (the debug kernel) a power-off only halts the CPUs; QEMU
# runs with -no-reboot, so a reboot ends it just the same.
[ -d /sys/firmware/acpi ] || reboot -f
poweroff -f
EOF
	chmod 0755 "$1"
}

# ---- base, cached per kernelrelease ------------------------------------

cache=$DG_CACHE/initramfs/$rel
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

busybox=$(root_path /bin/busybox)
ipbin=$(root_path /sbin/ip)
kmodbin=$(root_path /bin/kmod)
nftbin=$(in_root "$vmroot" root_path /usr/sbin/nft)

# Anything that changes the base changes this key: this script (which
# holds /init), the userland binaries copied in, the kernel tree, the
# module list.
key=$( {
	cat "$0"
	echo "$BASE_KMODS"
	stat -L -c '%n %s %Y' "$busybox" "$ipbin" "$kmodbin" "$nftbin" "$kstamp"
} | sha256sum | cut -d' ' -f1)

if [ "$(cat "$cache/base.key" 2>/dev/null)" != "$key" ]; then
	base=$cache/base
	rm -rf "$base" "$cache/base.cpio.gz" "$cache/base.key"
	mkdir -p "$base"
	for d in bin sbin usr/bin usr/sbin usr/local/bin usr/local/sbin \
		 lib lib64 etc/dg dev proc sys run tmp root dg/scenarios; do
		mkdir -p "$base/$d"
	done
	chmod 1777 "$base/tmp"

	install -m 0755 "$busybox" "$base/bin/busybox"
	# Real ip and kmod replace busybox's applets of the same names. The
	# applet list comes from the host's busybox-static (another
	# architecture's cannot run here): the same Debian package, so the
	# same applets.
	busybox --list-full | while read -r applet; do
		case ${applet##*/} in
		busybox|ip|modprobe|insmod|rmmod|lsmod|depmod|modinfo) continue ;;
		esac
		ln -sf /bin/busybox "$base/$applet"
	done
	install_elf "$base" "$ipbin" /sbin/ip
	install_elf "$base" "$kmodbin" /bin/kmod
	# After ip and kmod: the libraries they share with nft (libc) stay
	# the ones of their root.
	in_root "$vmroot" install_elf "$base" "$nftbin" /usr/sbin/nft
	for t in modprobe insmod rmmod lsmod depmod modinfo; do
		ln -sf /bin/kmod "$base/sbin/$t"
	done
	# The kernel's usermode helper runs /sbin/modprobe for autoloading
	# (rtnl-link-veth, net-pf-16-proto-16-family-demuxguard): kmod, which
	# reads modules.alias.
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$base/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$base/etc/group"

	mdir=$base/lib/modules/$rel
	mkdir -p "$mdir"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "$kmoddir/$f" ] && cp "$kmoddir/$f" "$mdir/"
	done
	for m in $BASE_KMODS; do
		kmod_builtin "$m" && continue
		kmod_closure "$m" >/dev/null || die "module $m not in $kmoddir"
		kmod_closure "$m"
	done | sort -u | while read -r path; do
		install_ko "$kmoddir/$path" "$mdir/${path%.ko*}.ko"
	done
	# modules.order names compressed files; depmod only needs the tree.
	sed -i 's/\.ko\.[a-z]*$/.ko/' "$mdir/modules.order" 2>/dev/null || true
	# 7.x's packages have no modules.order and modules.builtin*, which
	# depmod only warns about.
	depmod -b "$base" "$rel" 2>&1 | { grep -v 'could not open modules\.\(order\|builtin\)' || :; } >&2

	write_init "$base/init"
	cpio_gz "$base" >"$cache/base.cpio.gz.tmp"
	mv "$cache/base.cpio.gz.tmp" "$cache/base.cpio.gz"
	echo "$key" >"$cache/base.key"
fi

# ---- overlay, per build -------------------------------------------------

base_tree=$cache/base
ov=$(mktemp -d)
trap 'rm -rf "$ov"' EXIT
mkdir -p "$ov/etc/dg" "$ov/dg/scenarios" "$ov/usr/local/bin"

: >"$ov/etc/dg/scenarios"
for s in "${scenarios[@]}"; do
	[ -f "$s" ] || die "no such scenario: $s"
	name=$(basename "$s" .sh)
	install -m 0755 "$s" "$ov/dg/scenarios/$name.sh"
	echo "$name" >>"$ov/etc/dg/scenarios"
done

for b in "${extra_bins[@]}"; do
	[ -f "$b" ] || die "no such file: $b"
	install_elf "$ov" "$b" "/usr/local/bin/$(basename "$b")"
done

for spec in "${extra_files[@]}"; do
	src=${spec%%:*}
	dest=${spec#*:}
	[ "$dest" = "$spec" ] && dest=/dg/$(basename "$src")
	[ -f "$src" ] || die "no such file: $src"
	install -D -m "$(stat -c %a "$src")" "$src" "$ov$dest"
done

if [ ${#extra_kos[@]} -gt 0 ]; then
	# depmod must see the whole tree to write a modules.dep that covers
	# both the kernel's modules and ours; the tree is a few files.
	mkdir -p "$ov/lib"
	cp -a "$cache/base/lib/modules" "$ov/lib/"
	for ko in "${extra_kos[@]}"; do
		[ -f "$ko" ] || die "no such module: $ko"
		install_ko "$ko" "$ov/lib/modules/$rel/extra/$(basename "${ko%.ko*}").ko"
	done
	depmod -b "$ov" "$rel" 2>&1 | { grep -v 'could not open modules\.\(order\|builtin\)' || :; } >&2
fi

mkdir -p "$(dirname "$out")"
{ cat "$cache/base.cpio.gz"; cpio_gz "$ov"; } >"$out.tmp"
mv "$out.tmp" "$out"
