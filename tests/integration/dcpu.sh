#!/bin/bash
# SPDX-License-Identifier: MIT
# Suite: -d cpu (guest registers before each block) and -d exec, both engines.
#   <arch>/<engine>          user mode, `-d cpu,exec -D FILE hello`: output and
#                            status unchanged, nothing on stderr; one register dump
#                            per exec line, each well formed (its pc line repeats
#                            the header's pc, every dump the same length); the
#                            first dump is at the ELF entry point
#   <arch>/jit-every-block   the JIT shows the same sequence of block pcs as the
#                            interpreter (chained blocks, loop back edges and
#                            jump-cache jumps included: without the trace mode the
#                            JIT showed about 1 block in 7)
#   virt/<engine>            system mode, bare-metal pmp.elf (loops: chained blocks):
#                            the same checks, the first dump at 0x80000000 (M-mode);
#                            virt/jit-every-block
#   virt/smp2                traps.elf, -smp 2 under the JIT: dumps of both harts,
#                            none torn
SUITE=dcpu
. "$(dirname "$0")/lib.sh"
TIMEOUT=${VM_TEST_TIMEOUT_DCPU:-120}

ARCHS="riscv64 aarch64"
ENGINES="interp jit"
USER_TESTS=$(for a in $ARCHS; do for e in $ENGINES; do echo "$a/$e"; done; echo "$a/jit-every-block"; done)
SYS_TESTS="virt/interp virt/jit virt/jit-every-block virt/smp2"
if why=$(vm_missing); then for t in $USER_TESTS $SYS_TESTS; do fail "$t" "$why"; done; exit 0; fi

# elf_entry FILE: e_entry of a little-endian ELF64, as 0x%016x.
elf_entry() { printf '0x%016x' "0x$(od -An -tx8 -j24 -N8 "$1" | tr -d ' \n')"; }

# check_dumps LOG: prints nothing when LOG's dumps are well formed, else why.
# A dump is a header "cpu N pc 0xPC:" then the arch's dump_regs, whose first
# line names the same pc; every dump has as many lines (a torn one, another
# vCPU's lines inside it, would not). Exec lines ("exec: ...") are skipped.
check_dumps() {
    awk '
    /^exec: / { next }
    /^cpu [0-9]+ pc 0x[0-9a-f]+:$/ {
        if (n && len != want && want) { print "dump " n " has " len " lines, the first had " want; bad = 1; exit }
        if (n == 1) want = len
        n++; len = 0; pc = substr($4, 3, 16); first = 1; next
    }
    {
        if (!n) { print "line before the first header: " $0; bad = 1; exit }
        if (first && !($1 == "pc" && $2 == pc)) { print "dump " n " (pc " pc ") starts with: " $0; bad = 1; exit }
        first = 0; len++
    }
    END { if (!bad && n == 0) print "no dump" }' "$1"
}

# check_run NAME LOG OUT EXPECT_OUT ENTRY: the common user/system checks.
check_run() {
    local name=$1 log=$2 g=$3 want_out=$4 entry=$5 why ndump nexec first
    if [ "$RC" != 0 ]; then fail "$name" "$(describe_rc "$RC") (log: $(save_log "$name" "$g.cmd" "$g.out" "$g.err"))"; return; fi
    if ! cmp -s "$want_out" "$g.out" || [ -s "$g.err" ]; then
        fail "$name" "guest output changed or stderr not empty under -d cpu (log: $(save_log "$name" "$g.cmd" "$g.out" "$g.err"))"; return
    fi
    why=$(check_dumps "$log")
    if [ -n "$why" ]; then fail "$name" "malformed -d cpu log: $why (log: $(save_log "$name" "$g.cmd" "$log"))"; return; fi
    ndump=$(grep -c '^cpu 0 pc 0x' "$log")
    nexec=$(grep -c '^exec: cpu 0 pc 0x' "$log")
    if [ "$ndump" != "$nexec" ]; then fail "$name" "$ndump register dumps but $nexec -d exec lines (log: $(save_log "$name" "$g.cmd" "$log"))"; return; fi
    first=$(grep -m1 '^cpu 0 pc 0x' "$log")
    if [ "$first" != "cpu 0 pc $entry:" ]; then fail "$name" "first dump '$first', want 'cpu 0 pc $entry:' (the entry point)"; return; fi
    pass "$name"
}

# every_block NAME DIR: the JIT's block pc sequence equals the interpreter's.
every_block() {
    local name=$1 d=$2
    if [ ! -s "$d/interp.pcs" ] || [ ! -s "$d/jit.pcs" ]; then fail "$name" "an engine's run above failed"; return; fi
    if cmp -s "$d/interp.pcs" "$d/jit.pcs"; then pass "$name"
    else fail "$name" "jit shows $(wc -l <"$d/jit.pcs") blocks, interp $(wc -l <"$d/interp.pcs"); first difference: $(diff "$d/interp.pcs" "$d/jit.pcs" | grep -m2 '^[<>]' | tr '\n' ' ')"; fi
}

# -- User mode ---------------------------------------------------------------------
for a in $ARCHS; do
    G=$BUILD/guest/$a
    if [ -f "$BUILD/guest/$a.skipped" ]; then
        for e in $ENGINES jit-every-block; do skip "$a/$e" "$(cat "$BUILD/guest/$a.skipped")"; done
        continue
    fi
    if [ ! -x "$G/hello" ]; then
        for e in $ENGINES jit-every-block; do fail "$a/$e" "$G/hello missing (run make guest)"; done
        continue
    fi
    d=$WORK/$a
    mkdir -p "$d"
    run "$d/plain" "$VM" -accel interp "$G/hello"
    entry=$(elf_entry "$G/hello")
    for e in $ENGINES; do
        g=$d/$e
        echo "$VM -accel $e -d cpu,exec -D $g.log $G/hello" >"$g.cmd"
        run "$g" "$VM" -accel "$e" -d cpu,exec -D "$g.log" "$G/hello"
        check_run "$a/$e" "$g.log" "$g" "$d/plain.out" "$entry"
        grep '^cpu 0 pc 0x' "$g.log" >"$d/$e.pcs" 2>/dev/null
    done
    every_block "$a/jit-every-block" "$d"
done

# -- System mode (riscv64 virt, bare metal) ----------------------------------------
out=$BUILD/baremetal
# shellcheck disable=SC2086
need_baremetal "$out" $SYS_TESTS
d=$WORK/virt
mkdir -p "$d"
run "$d/plain" "$VM" -accel interp -M virt -bios none -kernel "$out/pmp.elf" -nographic
for e in $ENGINES; do
    g=$d/$e
    echo "$VM -accel $e -d cpu,exec -D $g.log -M virt -bios none -kernel $out/pmp.elf -nographic" >"$g.cmd"
    run "$g" "$VM" -accel "$e" -d cpu,exec -D "$g.log" -M virt -bios none -kernel "$out/pmp.elf" -nographic
    check_run "virt/$e" "$g.log" "$g" "$d/plain.out" 0x0000000080000000
    grep '^cpu 0 pc 0x' "$g.log" >"$d/$e.pcs" 2>/dev/null
done
every_block virt/jit-every-block "$d"

# Two harts: hart 1 parks in WFI after a few blocks while hart 0 runs the test.
g=$d/smp2
echo "$VM -accel jit -smp 2 -d cpu -D $g.log -M virt -bios none -kernel $out/traps.elf -nographic" >"$g.cmd"
run "$g" "$VM" -accel jit -smp 2 -d cpu -D "$g.log" -M virt -bios none -kernel "$out/traps.elf" -nographic
why=$(check_dumps "$g.log")
if [ "$RC" != 0 ]; then fail virt/smp2 "$(describe_rc "$RC") (log: $(save_log virt/smp2 "$g.cmd" "$g.err"))"
elif [ -n "$why" ]; then fail virt/smp2 "malformed -d cpu log: $why (log: $(save_log virt/smp2 "$g.cmd" "$g.log"))"
elif ! grep -q '^cpu 0 pc 0x0000000080000000:$' "$g.log" || ! grep -q '^cpu 1 pc 0x0000000080000000:$' "$g.log"; then
    fail virt/smp2 "want dumps of cpu 0 and cpu 1 at 0x80000000 (log: $(save_log virt/smp2 "$g.cmd" "$g.log"))"
else pass virt/smp2; fi
