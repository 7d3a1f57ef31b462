#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bare-metal RISC-V programs (tests/baremetal: traps, interrupts, Sv39/48/57
# paging, PMP, self-modifying code, two harts on a flushing JIT cache, the
# goldfish RTC (time, rate, alarm through the PLIC; rtc.sh compares it with the
# host clock), accesses and page tables pointing outside the machine's memory) on
# `vm -M virt -bios none -kernel PROG.elf -nographic`; each must end through
# the test finisher with 0x5555, i.e. exit status 0. Each runs under both
# engines: NAME on the interpreter, NAME-jit on the JIT
# (VM_BAREMETAL_ACCEL="interp" or "jit" runs only one).
source "$(dirname "$0")/lib.sh"

PROGS="traps irq paging pmp smc smpjit escape rtc"
# Extra arguments per program and engine: smpjit runs on two harts, and under
# the JIT with the smallest code cache, so that it is flushed many times
# while both harts run (tests/baremetal/smpjit.c).
prog_args() {
    case $1 in
    smpjit) echo "-smp 2"; [ "$2" = jit ] && echo "-jit cache=4M" ;;
    esac
}
ACCELS=${VM_BAREMETAL_ACCEL:-interp jit}
name_of() { if [ "$2" = interp ]; then echo "$1"; else echo "$1-$2"; fi; }
skip_all() { for a in $ACCELS; do for p in $PROGS; do skip "$(name_of "$p" "$a")" "$1"; done; done; exit 0; }

reason=$(vm_missing) && skip_all "$reason"
out=$BUILD/baremetal
# shellcheck disable=SC2046
need_baremetal "$out" $(for a in $ACCELS; do for p in $PROGS; do name_of "$p" "$a"; done; done)

for a in $ACCELS; do
    for p in $PROGS; do
        n=$(name_of "$p" "$a")
        pfx=$LOG_DIR/$SUITE.$n
        # shellcheck disable=SC2046
        run "$pfx" "$VM" -accel "$a" $(prog_args "$p" "$a") -M virt -bios none -kernel "$out/$p.elf" -nographic
        if [ "$RC" -ne 0 ] && grep -qi "not implemented\|unknown option\|system mode" "$pfx.err"; then
            skip "$n" "vm has no system mode yet: $(head -1 "$pfx.err")"
        elif [ "$RC" -eq 0 ]; then
            pass "$n"
        else
            fail "$n" "exit status $RC (failure code = status; log: $pfx.err)"
        fi
    done
done
