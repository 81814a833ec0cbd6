# demuxguard: top-level build, install and test entry points.
#
#   make module [KERNELRELEASE=<uname -r of target>] [KDIR=<build dir>]
#   make cli
#   make check        host unit tests + QEMU selftests on every supported kernel
#   make stress       netlink fuzzer, churn (veth, namespaces, unload/load) and
#                     permissions at full size in VMs, about 15 minutes
#   make check-debug  selftests, fuzzer and churn on a KASAN/lockdep/kmemleak
#                     6.1 kernel (built once per machine)
#   make demo         see the failure and the fix in a VM
#   make bench        performance benchmark in VMs (6.1; BENCH_ARGS="-k 6.12",
#                     "-a arm64", ROUNDS=N; see bench/run.sh, docs/PERFORMANCE.md)
#   make install      CLI, man page, bash completion, example config (PREFIX, DESTDIR)
#   make dkms-install register this tree with DKMS
#   make deb          demuxguard and demuxguard-dkms .debs, lintian-checked,
#                     in build/packages (scripts/packages.sh)
#   make rpm          the same as RPMs for Amazon Linux 2023, rpmlint-checked
#
# Kbuild never reads this file (Kbuild files take precedence), so everything
# here is host-side logic.

VERSION       := $(shell cat $(CURDIR)/VERSION)
KERNELRELEASE ?= $(shell uname -r)
KDIR          ?= /lib/modules/$(KERNELRELEASE)/build
PREFIX        ?= /usr/local
DESTDIR       ?=
SBINDIR       ?= $(PREFIX)/sbin
MANDIR        ?= $(PREFIX)/share/man
BASHCOMPDIR   ?= $(PREFIX)/share/bash-completion/completions
DOCDIR        ?= $(PREFIX)/share/doc/demuxguard
SYSCONFDIR    ?= /etc

.PHONY: all module cli check check-unit check-vm stress check-debug demo bench install \
	dkms-install dkms-uninstall clean sparse checkpatch deps deb rpm

all: module cli

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) DEMUXGUARD_VERSION=$(VERSION) modules

cli:
	$(MAKE) -C cli

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) DEMUXGUARD_VERSION=$(VERSION) C=2 W=1 modules

deps:
	scripts/deps.sh

check:
	scripts/check.sh

stress:
	scripts/stress.sh

check-debug:
	scripts/check-debug.sh

demo:
	scripts/demo.sh

bench:
	bench/run.sh $(BENCH_ARGS)

install: cli
	install -D -m 0755 cli/demuxguard $(DESTDIR)$(SBINDIR)/demuxguard
	install -D -m 0644 cli/demuxguard.8 $(DESTDIR)$(MANDIR)/man8/demuxguard.8
	install -D -m 0644 cli/demuxguard.bash-completion $(DESTDIR)$(BASHCOMPDIR)/demuxguard
	install -D -m 0644 examples/modprobe.d/demuxguard.conf $(DESTDIR)$(DOCDIR)/examples/modprobe.d/demuxguard.conf
	install -D -m 0644 examples/modules-load.d/demuxguard.conf $(DESTDIR)$(DOCDIR)/examples/modules-load.d/demuxguard.conf
	install -D -m 0644 examples/systemd/demuxguard-metrics.service $(DESTDIR)$(DOCDIR)/examples/systemd/demuxguard-metrics.service
	install -D -m 0644 examples/systemd/demuxguard-metrics.timer $(DESTDIR)$(DOCDIR)/examples/systemd/demuxguard-metrics.timer

dkms-install:
	scripts/dkms.sh install

dkms-uninstall:
	scripts/dkms.sh remove

deb:
	scripts/packages.sh deb

rpm:
	scripts/packages.sh rpm

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(if $(wildcard cli/Makefile),$(MAKE) -C cli clean)
	rm -rf build
