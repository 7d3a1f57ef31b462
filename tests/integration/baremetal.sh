#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bare-metal RISC-V programs (tests/baremetal: traps, interrupts, Sv39/48/57
# paging, PMP) on `vm -M virt -bios none -kernel PROG.elf -nographic`; each
# must end through the test finisher with 0x5555, i.e. exit status 0.
source "$(dirname "$0")/lib.sh"

PROGS="traps irq paging pmp"
skip_all() { for p in $PROGS; do skip "$p" "$1"; done; exit 0; }

reason=$(vm_missing) && skip_all "$reason"
out=$BUILD/baremetal
sh "$TOP/tests/baremetal/build.sh" "$out" >"$LOG_DIR/$SUITE.build.log" 2>&1
case $? in
0) ;;
2) skip_all "no riscv64-linux-gnu-gcc to build the programs" ;;
*) for p in $PROGS; do fail "$p" "build failed (log: $LOG_DIR/$SUITE.build.log)"; done; exit 0 ;;
esac

for p in $PROGS; do
    pfx=$LOG_DIR/$SUITE.$p
    run "$pfx" "$VM" -M virt -bios none -kernel "$out/$p.elf" -nographic
    if [ "$RC" -ne 0 ] && grep -qi "not implemented\|unknown option\|system mode" "$pfx.err"; then
        skip "$p" "vm has no system mode yet: $(head -1 "$pfx.err")"
    elif [ "$RC" -eq 0 ]; then
        pass "$p"
    else
        fail "$p" "exit status $RC (failure code = status; log: $pfx.err)"
    fi
done
