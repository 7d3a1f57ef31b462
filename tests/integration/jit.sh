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
    if [ -f "$BUILD/guest/$arch.skipped" ]; then
        for n in $names; do skip "$n" "$(cat "$BUILD/guest/$arch.skipped")"; done
        continue
    fi
    if [ -n "$vm_why" ]; then
        for n in $names; do fail "$n" "$vm_why"; done
        continue
    fi
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

# -d perfmap: perf's JIT map, named after vm's pid (removed afterwards).
for arch in $(guest_arches); do
    name=$arch/perfmap
    G=$BUILD/guest/$arch
    if [ -f "$BUILD/guest/$arch.skipped" ]; then skip "$name" "$(cat "$BUILD/guest/$arch.skipped")"; continue; fi
    if [ -n "$vm_why" ]; then fail "$name" "$vm_why"; continue; fi
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
