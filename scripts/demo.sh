#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/demo.sh - `make demo`: on a fresh Debian 12 machine (as root),
# install what is missing, build the module for the default kernel and the
# CLI, then boot that kernel in QEMU and run tests/vm/scenarios/demo.sh:
# the probe failing without the guard, `monitor` counting the drops, `veto`
# fixing it, with the counters. About a minute after the first run.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
echo "demo: checking packages and the default kernel (first run: a few minutes of apt)" >&2
scripts/deps.sh
rel=$(scripts/kernels.sh default)
scripts/kernels.sh fetch "$rel" >/dev/null
echo "demo: building demuxguard for $rel and the CLI" >&2
ko=$(scripts/build-module.sh "$rel")
make -s -C cli >/dev/null
make -s -C tests/tools >/dev/null
DG_MODULE_KO=$ko exec tests/vm/run.sh -k "$rel" demo
