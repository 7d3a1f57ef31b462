#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replays the fuzz harnesses' inputs (tests/fuzz/) through their entry points
# built without libFuzzer (build/fuzz/replay/fuzz_NAME, made by make check):
# for each harness, the inputs that once crashed vm (corpus-regress/NAME/,
# test NAME-regress) and the seed corpus (corpus/NAME/, test NAME-seeds).
# A test fails when the harness crashes, aborts or reports a sanitizer error.
source "$(dirname "$0")/lib.sh"

NAMES="gdb monitor chat snapshot elf dtb options"
for n in $NAMES; do
    bin=$BUILD/fuzz/replay/fuzz_$n
    for kind in regress seeds; do
        t=$n-$kind
        if [ "$kind" = regress ]; then dir=$TOP/tests/fuzz/corpus-regress/$n; else dir=$TOP/tests/fuzz/corpus/$n; fi
        if [ ! -d "$dir" ]; then
            [ "$kind" = seeds ] && fail "$t" "no seed corpus $dir"
            continue # no crash ever found for this harness
        fi
        if [ ! -x "$bin" ]; then
            fail "$t" "$bin not built (make fuzz-replay)"
            continue
        fi
        pfx=$LOG_DIR/$SUITE.$t
        # Leaks are not failures (the parsers keep what they parse for the
        # process's life); anything else a sanitizer finds is.
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
            run "$pfx" "$bin" "$dir"
        want=$(find "$dir" -maxdepth 1 -type f ! -name '.*' | wc -l)
        if [ "$RC" -ne 0 ]; then
            fail "$t" "status $RC after $(grep -c '^ok ' "$pfx.out") of $want inputs (log: $pfx.err)"
        elif grep -q "runtime error\|Sanitizer" "$pfx.err"; then
            fail "$t" "sanitizer report (log: $pfx.err)"
        elif [ "$(grep -c '^ok ' "$pfx.out")" -ne "$want" ]; then
            fail "$t" "replayed $(grep -c '^ok ' "$pfx.out") of $want inputs (log: $pfx.out)"
        else
            pass "$t"
        fi
    done
done
