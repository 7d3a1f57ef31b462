#!/bin/bash
# SPDX-License-Identifier: MIT
# Suite: JIT correctness in user mode beyond plain programs (issue 5).
#   <arch>/smc[-ENGINE]    self-modifying code (tests/guest/smc.c: with and
#                          without instruction-cache maintenance, code from
#                          read(), own text patched after mprotect, protections
#                          exact) under the JIT and the interpreter
#   <arch>/cache-flush     tests/guest/cacheflush.c under -jit cache=4M: the code
#                          pool fills and is flushed again and again mid-run
#                          (SIGALRM handlers running guest code meanwhile);
#                          output = native, and -d jit-stats counts >= 3 flushes
#   <arch>/adaptive-on     the cache-flush run (default thresholds, adaptive
#                          on): -d jit-stats shows cold/hot doubled once per
#                          flush (given << raises, raises = flushes until cold
#                          reaches 100000 or hot would pass 5e8; src/jit/tier.c)
#   <arch>/adaptive-given  the same with -jit cold=3,hot=7: the given values
#                          are the base of the doubling
#   <arch>/adaptive-off    adaptive=off: cold=5 hot=50 stay as given despite
#                          the flushes
#   <arch>/thresholds      hello with -jit cold=5,hot=50 (no flush): shown as
#                          given, raised 0 times
#   <arch>/perfmap         -d perfmap writes /tmp/perf-PID.map: one
#                          "START SIZE guest_PC" line per block, the entry
#                          block among them, output unchanged
# Expected output: the native build of the same program.
SUITE=jit
. "$(dirname "$0")/lib.sh"

NAT=$BUILD/guest/native
vm_why=""
vm_why=$(vm_missing) || vm_why=""

# check NAME PROG ARGS...: runs native and under vm (ARGS before the program).
check() {
    local name=$1 p=$2 arch=$3; shift 3
    local G=$BUILD/guest/$arch
    if [ ! -x "$G/$p" ] || [ ! -x "$NAT/$p" ]; then
        fail "$name" "guest binary missing: $G/$p or $NAT/$p (run make guest)"
        return 1
    fi
    local e=$WORK/${name//\//-}.native g=$WORK/${name//\//-}.vm
    run "$e" "$NAT/$p"; local erc=$RC
    if [ "$erc" != 0 ] || grep -q 'FAIL' "$e.out"; then
        fail "$name" "native run broken: status $erc (log: $(save_log "$name" "$e.out" "$e.err"))"
        return 1
    fi
    echo "$VM $* $G/$p" >"$g.cmd"
    # shellcheck disable=SC2086
    run "$g" $VM "$@" "$G/$p"; local grc=$RC
    compare "$name" "$e" "$g" "$erc" "$grc"
}

for arch in $(guest_arches); do
    names="$arch/smc $arch/smc-interp $arch/cache-flush"
    # shellcheck disable=SC2086
    arch_ready "$arch" "$vm_why" $names || continue
    check "$arch/smc" smc "$arch" -accel jit
    check "$arch/smc-interp" smc "$arch" -accel interp

    # The flush test passes only if the flushes really happened.
    name=$arch/cache-flush
    SUITE_OUT=$(check "$name" cacheflush "$arch" -accel jit -jit cache=4M -d jit-stats)
    case $SUITE_OUT in
    PASS*)
        g=$WORK/${name//\//-}.vm
        n=$(sed -n 's/.*flushes \([0-9][0-9]*\).*/\1/p' "$g.err" | tail -1)
        if [ -z "$n" ]; then
            fail "$name" "no 'flushes N' in the -d jit-stats output (log: $(save_log "$name" "$g.cmd" "$g.err"))"
        elif [ "$n" -lt 3 ]; then
            fail "$name" "only $n code-cache flushes (want >= 3: the workload no longer overflows cache=4M) (log: $(save_log "$name" "$g.cmd" "$g.err"))"
        else
            pass "$name"
        fi
        ;;
    *) echo "$SUITE_OUT" ;;
    esac
done

# thr_fail NAME ERRFILE WHY: a check_thresholds failure, keeping ERRFILE.
thr_fail() { fail "$1" "$3 (log: $(save_log "$1" "$2"))"; }

# check_thresholds NAME ERRFILE COLD HOT ADAPTIVE MINFLUSH: the -d jit-stats
# lines in ERRFILE show thresholds given as COLD/HOT, adaptive=ADAPTIVE, at
# least MINFLUSH flushes, and current thresholds that follow tier.c's rule.
check_thresholds() {
    local name=$1 err=$2 gc=$3 gh=$4 ad=$5 minf=$6
    local head given flushes c h a n
    head=$(grep '^jit-stats: tiers=' "$err" | tail -1)
    given=$(grep '^  thresholds: given ' "$err" | tail -1)
    flushes=$(sed -n 's/.*flushes \([0-9][0-9]*\).*/\1/p' "$err" | tail -1)
    c=$(echo "$head" | sed -n 's/.* cold=\([0-9]*\) .*/\1/p')
    h=$(echo "$head" | sed -n 's/.* hot=\([0-9]*\) .*/\1/p')
    a=$(echo "$head" | sed -n 's/.* adaptive=\([a-z]*\) .*/\1/p')
    n=$(echo "$given" | sed -n "s/^  thresholds: given cold=$gc hot=$gh, raised \([0-9]*\) times.*/\1/p")
    if [ -z "$c" ] || [ -z "$h" ] || [ -z "$flushes" ]; then
        thr_fail "$name" "$err" "no 'jit-stats: ... cold=N hot=N' or 'flushes N' line"; return
    fi
    if [ -z "$n" ]; then
        thr_fail "$name" "$err" "want '  thresholds: given cold=$gc hot=$gh, raised N times', got '$given'"; return
    fi
    if [ "$a" != "$ad" ]; then thr_fail "$name" "$err" "adaptive=$a, want $ad"; return; fi
    if [ "$flushes" -lt "$minf" ]; then
        thr_fail "$name" "$err" "only $flushes flushes (want >= $minf: cache=4M no longer overflows)"; return
    fi
    # The rule, step by step: each flush doubles both until cold >= 100000
    # or hot > 500000000; adaptive=off never changes them.
    local wc=$gc wh=$gh wn=0 i
    if [ "$ad" = on ]; then
        for ((i = 0; i < flushes; i++)); do
            if [ "$wc" -lt 100000 ] && [ "$wh" -le 500000000 ]; then
                wc=$((wc * 2)); wh=$((wh * 2)); wn=$((wn + 1))
            fi
        done
    fi
    if [ "$c" != "$wc" ] || [ "$h" != "$wh" ] || [ "$n" != "$wn" ]; then
        thr_fail "$name" "$err" "after $flushes flushes: cold=$c hot=$h raised $n times, want cold=$wc hot=$wh raised $wn times"
    else
        pass "$name"
    fi
}

for arch in $(guest_arches); do
    names="$arch/adaptive-on $arch/adaptive-given $arch/adaptive-off $arch/thresholds"
    G=$BUILD/guest/$arch
    # shellcheck disable=SC2086
    arch_ready "$arch" "$vm_why" $names || continue
    # The cache-flush run above, if it ran to the end.
    g=$WORK/$arch-cache-flush.vm
    if grep -q '^jit-stats: ' "$g.err" 2>/dev/null; then
        check_thresholds "$arch/adaptive-on" "$g.err" 100 1000 on 3
    else
        fail "$arch/adaptive-on" "the $arch/cache-flush run left no output"
    fi
    for t in "adaptive-given cache=4M,cold=3,hot=7 3 7 on 3 cacheflush" \
             "adaptive-off cache=4M,cold=5,hot=50,adaptive=off 5 50 off 3 cacheflush" \
             "thresholds cold=5,hot=50 5 50 on 0 hello"; do
        set -- $t
        g=$WORK/$arch-$1
        echo "$VM -accel jit -jit $2 -d jit-stats $G/$7" >"$g.cmd"
        run "$g" "$VM" -accel jit -jit "$2" -d jit-stats "$G/$7"
        if [ "$RC" != 0 ]; then
            fail "$arch/$1" "$(describe_rc "$RC") (log: $(save_log "$arch/$1" "$g.cmd" "$g.err"))"
        else
            check_thresholds "$arch/$1" "$g.err" "$3" "$4" "$5" "$6"
        fi
    done
done

# -d perfmap: perf's JIT map, named after vm's pid (removed afterwards).
for arch in $(guest_arches); do
    name=$arch/perfmap
    G=$BUILD/guest/$arch
    arch_ready "$arch" "$vm_why" "$name" || continue
    out=$WORK/$arch-perfmap.out
    $VM -d perfmap "$G/hello" >"$out" 2>&1 &
    pid=$!
    wait $pid
    rc=$?
    map=/tmp/perf-$pid.map
    entry=$(od -A n -t x8 -j 24 -N 8 "$G/hello" | tr -d ' ' | sed 's/^0*//')
    "$NAT/hello" >"$WORK/$arch-perfmap.native" 2>&1
    if [ "$rc" != 0 ] || ! cmp -s "$out" "$WORK/$arch-perfmap.native"; then
        fail "$name" "vm -d perfmap hello: status $rc, output differs from native"
    elif [ ! -s "$map" ]; then
        fail "$name" "no $map written"
    elif grep -vqE '^[0-9a-f]+ [0-9a-f]+ guest_[0-9a-f]+(_cold)?$' "$map"; then
        fail "$name" "malformed line in $map: $(grep -vE '^[0-9a-f]+ [0-9a-f]+ guest_[0-9a-f]+(_cold)?$' "$map" | head -1)"
    elif ! grep -q " guest_$entry\$" "$map"; then
        fail "$name" "no block for the entry point 0x$entry in $map"
    else
        pass "$name"
    fi
    rm -f "$map"
done
