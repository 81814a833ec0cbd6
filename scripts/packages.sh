#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/packages.sh deb|rpm|all [--version V] [--out DIR] [--no-lint]
#
# Builds the distribution packages from this tree into DIR (default
# build/packages):
#   deb  demuxguard-dkms_<V>_all.deb and demuxguard_<V>_<arch>.deb with
#        dpkg-buildpackage (debhelper + dh-dkms), then lintian on them;
#   rpm  demuxguard-dkms-<V>-1.noarch.rpm and demuxguard-<V>-1.<arch>.rpm
#        (the spec is for Amazon Linux 2023: rpm/demuxguard.spec) with
#        rpmbuild, then rpmlint on them.
# Each is built from a copy of the tree (the files git knows, or all but
# build/ outside a git checkout) under DIR/src, so the tree stays clean and
# the build is that of a fresh clone.
#
# --version V builds the same tree as version V (VERSION and a
# debian/changelog entry rewritten in the copy): scripts/check-packages.sh
# makes the "previous version" it upgrades from this way. Without it the
# version is VERSION's, which debian/changelog must repeat.
#
# On Debian, rpmbuild has no RPM database of build dependencies, so the
# RPMs are built with --nodeps against Debian's libnl (the AL2023 build
# resolves BuildRequires with dnf as usual). Lint findings are printed and
# saved to DIR/lintian.txt and DIR/rpmlint.txt; an error fails the build.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-}
shift || true
out=$top/build/packages
ver=
lint=yes
while [ $# -gt 0 ]; do
	case $1 in
	--version) ver=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--no-lint) lint=no; shift ;;
	*) what=usage; break ;;
	esac
done
case $what in
deb|rpm|all) ;;
*) echo "usage: packages.sh deb|rpm|all [--version V] [--out DIR] [--no-lint]" >&2; exit 1 ;;
esac
treever=$(cat "$top/VERSION")
ver=${ver:-$treever}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# stage DIR: copy the tree into DIR, as version $ver.
stage()
{
	local dst=$1
	rm -rf "$dst"
	mkdir -p "$dst"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		# Tracked and new files, as a fresh clone plus uncommitted work.
		# (A tracked file deleted in the work tree is left out.)
		(cd "$top" && git ls-files -z -c -o --exclude-standard --deduplicate |
			while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
			tar --null -cf - -T -) | tar -xf - -C "$dst"
	else
		(cd "$top" && tar -cf - --exclude=./build .) | tar -xf - -C "$dst"
	fi
	if [ "$ver" != "$treever" ]; then
		echo "$ver" >"$dst/VERSION"
		{
			printf 'demuxguard (%s) unstable; urgency=medium\n\n' "$ver"
			printf '  * Built from the %s tree as version %s.\n\n' "$treever" "$ver"
			printf ' -- %s  %s\n\n' "$(sed -n 's/^Maintainer: //p' "$top/debian/control")" \
				"$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")"
			cat "$top/debian/changelog"
		} >"$dst/debian/changelog"
	fi
}

build_deb()
{
	local src=$out/src/deb/demuxguard-$ver log=$out/src/deb/build.log
	local cver
	cver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
	if [ "$ver" = "$treever" ] && [ "$cver" != "$treever" ]; then
		echo "packages.sh: debian/changelog's version is $cver, VERSION is $treever: add a changelog entry" >&2
		exit 1
	fi
	stage "$src"
	rm -f "$out"/demuxguard*_"$ver"_*.deb
	echo "packages.sh: building the .debs of $ver (log: $log)" >&2
	if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		exit 1
	fi
	if [ "$lint" = yes ]; then
		# debian/*.lintian-overrides hold the justified exceptions;
		# errors and warnings fail, info and pedantic are shown.
		lintian --info --pedantic --display-experimental \
			"$out"/src/deb/demuxguard_"$ver"_*.changes >"$out/lintian.txt" 2>&1 || true
		sed 's/^/lintian: /' "$out/lintian.txt" >&2
		if grep -qE '^[EW]: ' "$out/lintian.txt"; then
			echo "packages.sh: lintian reports errors or warnings" >&2
			exit 1
		fi
	fi
	# demuxguard, demuxguard-dkms and demuxguard-dbgsym (the CLI's
	# debugging symbols, made by debhelper).
	mv "$out"/src/deb/demuxguard*_"$ver"_*.deb "$out/"
	ls "$out"/demuxguard*_"$ver"_*.deb
}

build_rpm()
{
	local stagedir=$out/src/rpm topdir=$out/src/rpm/rpmbuild log=$out/src/rpm/build.log
	stage "$stagedir/demuxguard-$ver"
	rm -rf "$topdir"
	mkdir -p "$topdir/SOURCES"
	tar -C "$stagedir" -czf "$topdir/SOURCES/demuxguard-$ver.tar.gz" "demuxguard-$ver"
	rm -f "$out"/demuxguard*-"$ver"-*.rpm
	echo "packages.sh: building the RPMs of $ver (log: $log)" >&2
	# The version is the tree's; rpm wants no '-' in it (none in ours).
	# rpm's brp-compress (it compresses the man page) needs bash but says
	# #!/bin/sh, which is dash on Debian (bash on Amazon Linux): run it
	# with bash.
	if ! rpmbuild -ba --nodeps \
			--define "__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}" \
			--define "_topdir $topdir" \
			--define "dg_version $ver" \
			"$stagedir/demuxguard-$ver/rpm/demuxguard.spec" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		exit 1
	fi
	find "$topdir/RPMS" "$topdir/SRPMS" -name '*.rpm' -exec mv {} "$out/" \;
	ls "$out"/demuxguard*-"$ver"-*.rpm
	if [ "$lint" = yes ]; then
		# rpm/rpmlintrc holds the justified exceptions.
		rpmlint -r "$top/rpm/demuxguard.rpmlintrc" "$stagedir/demuxguard-$ver/rpm/demuxguard.spec" \
			"$out"/demuxguard*-"$ver"-*.rpm >"$out/rpmlint.txt" 2>&1 || true
		sed 's/^/rpmlint: /' "$out/rpmlint.txt" >&2
		if grep -qE ': E: ' "$out/rpmlint.txt"; then
			echo "packages.sh: rpmlint reports errors" >&2
			exit 1
		fi
	fi
}

case $what in
deb) build_deb ;;
rpm) build_rpm ;;
all) build_deb; build_rpm ;;
esac
