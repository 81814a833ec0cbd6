#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/ynl.sh gen|check|kernel - the demuxguard family's YNL spec,
# Documentation/netlink/specs/demuxguard.yaml, and the uapi header generated
# from it, module/uapi/demuxguard.h.
#
#   gen     regenerate module/uapi/demuxguard.h from the spec with the
#           kernel's own generator (tools/net/ynl/ynl-gen-c.py --mode uapi
#           --header), after validating the spec against the kernel's
#           genetlink-legacy schema
#   check   "TEST: ..." lines: the spec validates against the schema, and
#           the generated header is byte for byte the committed one; then
#           "N passed, N failed"; non-zero exit on failure
#   kernel  print the directory of the kernel tree used (see below)
#
# The generator and the schemas come from Debian's linux-source-6.12
# (YNL_KVER), the tools/net/ynl and Documentation/netlink parts of it
# unpacked once into /var/cache/demuxguard-src/linux-<YNL_KVER>-ynl (DG_YNL
# overrides the directory): from a linux-source-<YNL_KVER>_*.deb already in
# /var/cache/demuxguard-src, else one apt-get download. The generator output
# depends on its version, so the version is pinned: change it here and
# regenerate. Needs python3-yaml and python3-jsonschema.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
YNL_KVER=6.12
srcdir=/var/cache/demuxguard-src
kdir=${DG_YNL:-$srcdir/linux-$YNL_KVER-ynl}
spec=$top/Documentation/netlink/specs/demuxguard.yaml
header=$top/module/uapi/demuxguard.h

die() { echo "ynl.sh: $*" >&2; exit 1; }

# The kernel's ynl tools and schemas, unpacked on first use.
kernel_tree()
{
	[ -f "$kdir/tools/net/ynl/ynl-gen-c.py" ] && return 0
	local deb tmp
	mkdir -p "$srcdir"
	deb=$(find "$srcdir" -maxdepth 1 -name "linux-source-${YNL_KVER}_*_all.deb" | sort -V | tail -n 1)
	if [ -z "$deb" ]; then
		(cd "$srcdir" && apt-get download "linux-source-$YNL_KVER" >/dev/null 2>&1) ||
			die "cannot download linux-source-$YNL_KVER"
		deb=$(find "$srcdir" -maxdepth 1 -name "linux-source-${YNL_KVER}_*_all.deb" | sort -V | tail -n 1)
	fi
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064  # expand $tmp now, the trap runs later
	trap "rm -rf '$tmp'" EXIT
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './usr/src/linux-source-*.tar.*'
	mkdir -p "$kdir.tmp"
	tar -xf "$tmp"/usr/src/linux-source-*.tar.* -C "$kdir.tmp" --strip-components=1 \
		--wildcards '*/Documentation/netlink' '*/tools/net/ynl'
	mv "$kdir.tmp" "$kdir"
	rm -rf "$tmp"
	trap - EXIT
}

# generate OUT: the generator run as the kernel runs it, on a copy of the
# spec in a minimal tree (it finds the schema beside specs/ and names the
# spec by its path from the directory that holds MAINTAINERS).
generate()
{
	local out=$1 work
	work=$(mktemp -d)
	mkdir -p "$work/Documentation/netlink/specs"
	: >"$work/MAINTAINERS"
	cp "$kdir"/Documentation/netlink/*.yaml "$work/Documentation/netlink/"
	cp "$spec" "$work/Documentation/netlink/specs/demuxguard.yaml"
	if ! (cd "$work" && python3 "$kdir/tools/net/ynl/ynl-gen-c.py" --mode uapi --header \
			--spec "$work/Documentation/netlink/specs/demuxguard.yaml" -o "$work/out.h"); then
		rm -rf "$work"
		return 1
	fi
	mv "$work/out.h" "$out"
	rm -rf "$work"
}

validate()
{
	python3 - "$spec" "$kdir/Documentation/netlink" <<'EOF'
import sys, yaml, jsonschema
spec = yaml.safe_load(open(sys.argv[1]))
proto = spec.get('protocol', 'genetlink')
schema = yaml.safe_load(open(f'{sys.argv[2]}/{proto}.yaml'))
jsonschema.validate(spec, schema)
print(f'{sys.argv[1]}: valid {proto}')
EOF
}

case ${1:-} in
kernel)
	kernel_tree
	echo "$kdir"
	;;
gen)
	kernel_tree
	validate
	generate "$header.tmp"
	mv "$header.tmp" "$header"
	echo "ynl.sh: wrote $header"
	;;
check)
	pass=0
	fail=0
	res()
	{
		printf 'TEST: %-72s [%s]\n' "$1" "$2"
		if [ "$2" = " OK " ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
	}
	if ! kernel_tree; then
		res "ynl: kernel $YNL_KVER ynl tools and schemas" FAIL
	else
		if out=$(validate 2>&1); then
			res "ynl: spec validates against the kernel's genetlink-legacy schema" " OK "
		else
			res "ynl: spec validates against the kernel's genetlink-legacy schema" FAIL
			echo "$out" | tail -n 20 | sed 's/^/    | /'
		fi
		tmp=$(mktemp)
		if generate "$tmp" >/dev/null 2>&1 && cmp -s "$tmp" "$header"; then
			res "ynl: module/uapi/demuxguard.h is what ynl-gen-c.py generates" " OK "
		else
			res "ynl: module/uapi/demuxguard.h is what ynl-gen-c.py generates" FAIL
			diff -u "$header" "$tmp" | head -n 40 | sed 's/^/    | /'
			echo "    # regenerate with scripts/ynl.sh gen"
		fi
		rm -f "$tmp"
	fi
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	;;
*)
	echo "usage: ynl.sh gen|check|kernel" >&2
	exit 1
	;;
esac
