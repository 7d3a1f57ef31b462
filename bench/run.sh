#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: timed, interleaved runs of every workload natively, under vm
# (each engine) and under QEMU user mode. Usage: bench/run.sh BUILD [OPTIONS]
# (options as bench/bench.py run --help; BENCH_SIZE=quick and BENCH_RUNS=3
# in the environment work too).
set -eu
build=${1:-build}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null 2>&1 || { echo "bench: python3 not found" >&2; exit 1; }
exec python3 "$here/bench.py" run --build "$build" "$@"
