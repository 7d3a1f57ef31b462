#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs libFuzzer harnesses one after the other (the machine is shared: one
# fuzzer at a time, one job each): run.sh BUILD_DIR SECONDS NAME...
# Each starts from its seeds (tests/fuzz/corpus/NAME/), the inputs that once
# crashed (tests/fuzz/corpus-regress/NAME/) and what earlier runs found
# (BUILD_DIR/fuzz/corpus/NAME/); a crash is saved in BUILD_DIR/fuzz/crashes/NAME/.
set -u
B=$1 secs=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
status=0
for name in "$@"; do
    bin=$B/fuzz/fuzz_$name
    corpus=$B/fuzz/corpus/$name
    crashes=$B/fuzz/crashes/$name
    log=$B/fuzz/logs/$name.log
    mkdir -p "$corpus" "$crashes" "$B/fuzz/logs"
    seeds=""
    for d in "$top/tests/fuzz/corpus/$name" "$top/tests/fuzz/corpus-regress/$name"; do
        [ -d "$d" ] && seeds="$seeds $d"
    done
    dict=""
    [ -f "$top/tests/fuzz/$name.dict" ] && dict="-dict=$top/tests/fuzz/$name.dict"
    echo "  FUZZ    $name for ${secs}s (log: $log)"
    # Leaks are not crashes here: the option and script parsers keep what
    # they parse for the life of the process.
    # shellcheck disable=SC2086
    ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$crashes/" $dict "$corpus" $seeds >"$log" 2>&1
    rc=$?
    tail -n 2 "$log" | sed 's/^/          /'
    if [ $rc -ne 0 ]; then
        echo "  FUZZ    $name: FOUND A PROBLEM (status $rc): $(ls "$crashes" | head -3 | tr '\n' ' ')"
        status=1
    fi
done
exit $status
