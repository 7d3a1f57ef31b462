/* SPDX-License-Identifier: MIT */
/* The C side of the bare-metal tests' trap handlers (M and S). */
#include "bm.h"

TrapRec trap;

void bm_reset_trap(void)
{
    trap.count = trap.cause = trap.tval = trap.epc = trap.mode = trap.norder = 0;
}

__attribute__((weak)) void bm_irq(uint64_t cause, int in_s)
{
    (void)cause;
    (void)in_s;
}

static uint64_t skip(uint64_t epc, uint64_t cause, uint64_t *regs)
{
    /* Instruction faults: nothing to skip, return to the caller (ra). */
    if (cause == 0 || cause == 1 || cause == 12) return regs[1];
    uint16_t lo = *(volatile uint16_t *)epc;
    return epc + ((lo & 3) == 3 ? 4 : 2);
}

static void record(uint64_t cause, uint64_t tval, uint64_t epc, uint64_t mode)
{
    trap.count++;
    trap.cause = cause;
    trap.tval = tval;
    trap.epc = epc;
    trap.mode = mode;
}

void m_trap_handler(uint64_t *regs)
{
    uint64_t cause = csrr(mcause), epc = csrr(mepc);
    record(cause, csrr(mtval), epc, 3);
    if (cause >> 63) {
        if (trap.norder < 8) trap.order[trap.norder++] = cause & 0xff;
        bm_irq(cause & 0xff, 0);
        return;
    }
    csrw(mepc, skip(epc, cause, regs));
}

void s_trap_handler(uint64_t *regs)
{
    uint64_t cause = csrr(scause), epc = csrr(sepc);
    record(cause, csrr(stval), epc, 1);
    if (cause >> 63) {
        if (trap.norder < 8) trap.order[trap.norder++] = cause & 0xff;
        bm_irq(cause & 0xff, 1);
        return;
    }
    csrw(sepc, skip(epc, cause, regs));
}
