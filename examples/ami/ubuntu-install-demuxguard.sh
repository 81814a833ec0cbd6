#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Image-build step for an Ubuntu (or Debian) EKS node (eksctl's default
# Ubuntu AMIs, or a Packer shell provisioner): installs demuxguard from its
# .debs (make deb), has DKMS build the module for the installed kernels, and
# turns on the boot-time policy. Nothing is loaded during the build.
#
# Environment: DEMUXGUARD_DEB_DIR (default /tmp/demuxguard), DEMUXGUARD_RULES
# (default vlan=veto; "none" for no boot-time policy), as in
# al2023-install-demuxguard.sh.
set -o pipefail
set -o nounset
set -o errexit

deb_dir=${DEMUXGUARD_DEB_DIR:-/tmp/demuxguard}
rules=${DEMUXGUARD_RULES:-vlan=veto}
export DEBIAN_FRONTEND=noninteractive

apt-get update
# The running kernel's headers; the flavour's metapackage (linux-headers-aws
# on Ubuntu, linux-headers-cloud-amd64 on Debian) keeps later kernels'
# headers coming, and DKMS builds for each as it is installed.
apt-get install -y "linux-headers-$(uname -r)"
# demuxguard-dkms's postinst (dh_dkms) adds, builds and installs the module;
# the existing configuration file is kept (--force-confold).
apt-get install -y -o Dpkg::Options::=--force-confold \
	"$deb_dir"/demuxguard-dkms_*_all.deb "$deb_dir"/demuxguard_*_"$(dpkg --print-architecture)".deb

kver=$(uname -r)
dkms status -m demuxguard -k "$kver" | grep -q ': installed' ||
	{ echo "demuxguard: DKMS did not install the module for $kver" >&2; exit 1; }

if [ "$rules" != none ]; then
	printf '# Written by the image build: demuxguard policy at load.\noptions demuxguard rules=%s\n' \
		"$rules" >/etc/modprobe.d/demuxguard.conf
	install -m 0644 /usr/share/doc/demuxguard/examples/modules-load.d/demuxguard.conf \
		/etc/modules-load.d/demuxguard.conf
fi
