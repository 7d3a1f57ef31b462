#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every test `make check` covers and prints one summary line:
#   tests/run-check.sh BUILD_DIR
# - unit tests: each cmocka binary BUILD_DIR/tests/test_*, its passed/failed
#   counts read from cmocka's summary;
# - integration suites: each tests/integration/*.sh (except lib.sh), whose
#   PASS/FAIL/SKIP lines are counted (see tests/integration/lib.sh).
# Each runs under a timeout. Failures and skips are listed with a reason; the
# last line is exactly "N passed, N failed, N skipped"; the status is non-zero
# if anything failed.
set -u
export LC_ALL=C

B=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
unit_timeout=${VM_UNIT_TIMEOUT:-300}
suite_timeout=${VM_SUITE_TIMEOUT:-900}
logs=$B/test-logs
mkdir -p "$logs"

passed=0
failed=0
skipped=0
report=$logs/report.txt
: >"$report"

note_fail() { echo "FAIL $1" >>"$report"; failed=$((failed + 1)); }

# -- Unit tests (cmocka) ----------------------------------------------------------
for t in "$B"/tests/test_*; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    name=$(basename "$t")
    out=$logs/unit.$name.log
    start=$(date +%s)
    timeout -k 10 "$unit_timeout" "$t" >"$out" 2>&1 </dev/null
    rc=$?
    secs=$(($(date +%s) - start))
    p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -1)
    # A binary that crashed printed no summary: count the tests it finished.
    [ -n "$p" ] || p=$(grep -c '^\[       OK \]' "$out")
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    passed=$((passed + p))
    skipped=$((skipped + s))
    if [ "$f" -gt 0 ]; then
        failed=$((failed + f))
        # cmocka lists each failed test as "[  FAILED  ] name" after the count line.
        sed -n 's/^\[  FAILED  \] \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p' "$out" | sort -u | while read -r tn; do
            echo "FAIL unit/$name/$tn: cmocka assertion failed (log: $out)" >>"$report"
        done
    fi
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        note_fail "unit/$name: timed out after ${unit_timeout}s (log: $out)"
    elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        note_fail "unit/$name: exited with status $rc without a cmocka failure summary (crash?) (log: $out)"
    elif [ $rc -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        note_fail "unit/$name: ran no test (no cmocka summary) (log: $out)"
    fi
    echo "unit/$name: $p passed, $f failed (${secs}s)"
done

# -- Integration suites --------------------------------------------------------
for s in "$top"/tests/integration/*.sh; do
    [ -f "$s" ] || continue
    suite=$(basename "$s" .sh)
    [ "$suite" = lib ] && continue
    out=$logs/suite.$suite.out
    start=$(date +%s)
    timeout -k 10 "$suite_timeout" bash "$s" "$B" >"$out" 2>"$logs/suite.$suite.err" </dev/null
    rc=$?
    secs=$(($(date +%s) - start))
    p=$(grep -c '^PASS ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    k=$(grep -c '^SKIP ' "$out")
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + k))
    grep -E '^(FAIL|SKIP) ' "$out" >>"$report"
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        note_fail "$suite: suite timed out after ${suite_timeout}s (output: $out)"
    elif [ $rc -ne 0 ]; then
        note_fail "$suite: suite script exited with status $rc (stderr: $logs/suite.$suite.err)"
    elif [ $((p + f + k)) -eq 0 ]; then
        note_fail "$suite: suite reported no test (stderr: $logs/suite.$suite.err)"
    fi
    echo "$suite: $p passed, $f failed, $k skipped (${secs}s)"
done

if [ -s "$report" ]; then
    echo
    grep '^SKIP ' "$report"
    grep '^FAIL ' "$report"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
