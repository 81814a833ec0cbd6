#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packer shell provisioner for an Amazon Linux 2023 EKS node image, in the
# style of amazon-eks-ami's templates/al2023/provisioners/: installs
# demuxguard from its RPMs (make rpm), has DKMS build the module for every
# installed kernel, and turns on the boot-time policy. Nothing is loaded
# during the build: the module first loads when an instance boots.
#
# In the Packer template, before this script (as root, e.g.
# "execute_command": "chmod +x {{ .Path }}; sudo -S env {{ .Vars }} {{ .Path }}"):
#   { "type": "file", "source": "build/packages/", "destination": "/tmp/demuxguard/" }
# Environment:
#   DEMUXGUARD_RPM_DIR   where the RPMs were uploaded (default /tmp/demuxguard)
#   DEMUXGUARD_RULES     the rules= policy (default vlan=veto: every VPC CNI
#                        trunk VLAN and branch-ENI pod interface), or "none"
#                        to install without boot-time policy
#   DKMS_SIGNING_KEY, DKMS_SIGNING_CERT
#                        a private key and its DER certificate to sign the
#                        module with, for instances with UEFI Secure Boot
#                        (see "Secure Boot" in demuxguard's README); without
#                        them DKMS signs with its own key, /var/lib/dkms/mok.*
set -o pipefail
set -o nounset
set -o errexit

rpm_dir=${DEMUXGUARD_RPM_DIR:-/tmp/demuxguard}
rules=${DEMUXGUARD_RULES:-vlan=veto}

# DKMS, and the headers of every installed kernel (kernel is 6.1,
# kernel6.12 is 6.12): the exact release of each, not the newest headers.
dnf install -y dkms
mapfile -t devel < <(rpm -q kernel kernel6.12 --qf '%{NAME}-devel-%{VERSION}-%{RELEASE}.%{ARCH}\n' 2>/dev/null |
	grep -v 'is not installed' || true)
dnf install -y "${devel[@]}"

if [ -n "${DKMS_SIGNING_KEY:-}" ]; then
	install -d -m 0700 /etc/dkms/keys
	install -m 0600 "$DKMS_SIGNING_KEY" /etc/dkms/keys/demuxguard.key
	install -m 0644 "$DKMS_SIGNING_CERT" /etc/dkms/keys/demuxguard.der
	cat >/etc/dkms/framework.conf.d/demuxguard-signing.conf <<'CONF'
mok_signing_key=/etc/dkms/keys/demuxguard.key
mok_certificate=/etc/dkms/keys/demuxguard.der
CONF
fi

# demuxguard-dkms's %post builds and installs the module for each kernel
# with headers; dnf resolves libnl3 for the CLI.
dnf install -y "$rpm_dir"/demuxguard-[0-9]*.x86_64.rpm "$rpm_dir"/demuxguard-[0-9]*.aarch64.rpm \
	"$rpm_dir"/demuxguard-dkms-*.noarch.rpm 2>/dev/null ||
	dnf install -y "$rpm_dir"/demuxguard-[0-9]*."$(uname -m)".rpm "$rpm_dir"/demuxguard-dkms-*.noarch.rpm

# Fail the image build if a kernel has no module: an instance would boot
# unguarded.
for build in /lib/modules/*/build; do
	kver=${build#/lib/modules/}
	kver=${kver%/build}
	if ! dkms status -m demuxguard -k "$kver" | grep -q ': installed'; then
		echo "demuxguard: DKMS did not install the module for $kver" >&2
		dkms status -m demuxguard >&2
		exit 1
	fi
	modinfo -k "$kver" demuxguard | grep -E '^(filename|version|vermagic|signer):'
done

# Boot-time policy: systemd-modules-load loads the module before the
# network, the VPC CNI and the kubelet start, and modprobe passes it rules=.
# /etc/modprobe.d/demuxguard.conf is the package's configuration file
# (%config(noreplace)): upgrades keep this edit.
if [ "$rules" != none ]; then
	printf '# Written by the image build: demuxguard policy at load.\noptions demuxguard rules=%s\n' \
		"$rules" >/etc/modprobe.d/demuxguard.conf
	install -m 0644 /usr/share/doc/demuxguard*/examples/modules-load.d/demuxguard.conf \
		/etc/modules-load.d/demuxguard.conf
fi

demuxguard --version || true
