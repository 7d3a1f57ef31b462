/* SPDX-License-Identifier: MIT */
/* Bare-metal: interrupts (privileged spec 3.1.9, 3.3.3): priority among
 * pending M-level interrupts, vectored mtvec, WFI wake-up with MIE clear,
 * mideleg of SSI to S, and Sstc's stimecmp raising STI in S. */
#include "bm.h"

void bm_irq(uint64_t cause, int in_s)
{
    switch (cause) {
    case 1: if (in_s) csrc(sip, 2); else csrc(mip, 2); break;
    case 3: *MSIP0 = 0; break;
    case 5: csrw(stimecmp, -1ull); break;
    case 7: *MTIMECMP0 = -1ull; break;
    }
}

extern void vec_table(void);
__asm__(".balign 256\n"
        "vec_table:\n"
        "  j m_trap_entry\n"      /* 0: exceptions */
        "  j m_trap_entry\n"      /* 1 */
        "  j m_trap_entry\n"      /* 2 */
        "  j vec_msi\n"           /* 3: MSI */
        "  j m_trap_entry\n"      /* 4 */
        "  j m_trap_entry\n"      /* 5 */
        "  j m_trap_entry\n"      /* 6 */
        "  j m_trap_entry\n"      /* 7 */
        "vec_msi:\n"
        "  csrw mscratch, t0\n"
        "  la t0, vec_hits\n"
        "  sd t1, 8(t0)\n"
        "  ld t1, 0(t0)\n"
        "  addi t1, t1, 1\n"
        "  sd t1, 0(t0)\n"
        "  ld t1, 8(t0)\n"
        "  li t0, 0x2000000\n"
        "  sw zero, 0(t0)\n"
        "  csrr t0, mscratch\n"
        "  mret\n");
volatile uint64_t vec_hits[2];

static uint64_t s_wait(uint64_t n)
{
    for (volatile uint64_t i = 0; i < n && trap.count == 0; i++) {
    }
    return trap.count;
}

int main(void)
{
    /* three M-level interrupts pending at once while MIE = 0 */
    csrc(mstatus, MSTATUS_MIE);
    csrw(mie, (1u << 1) | (1u << 3) | (1u << 7));
    *MSIP0 = 1;
    *MTIMECMP0 = 0; /* mtime >= 0: MTIP */
    csrs(mip, 2);   /* SSIP, not delegated: M-level */
    for (volatile int i = 0; i < 1000; i++) {
    }
    CHECK(trap.count == 0, 1);
    uint64_t mip = csrr(mip);
    CHECK((mip & 0x8a) == 0x8a, 2);
    bm_reset_trap();
    csrs(mstatus, MSTATUS_MIE);
    csrc(mstatus, MSTATUS_MIE);
    /* MSI > MTI > SSI (3.1.9) */
    CHECK(trap.norder == 3, 3);
    CHECK(trap.order[0] == 3 && trap.order[1] == 7 && trap.order[2] == 1, 4);
    CHECK(trap.cause == ((1ull << 63) | 1), 5);

    /* vectored: an MSI goes to base + 4 * 3 */
    csrw(mtvec, (uintptr_t)vec_table | 1);
    *MSIP0 = 1;
    csrs(mstatus, MSTATUS_MIE);
    for (volatile int i = 0; i < 100 && !vec_hits[0]; i++) {
    }
    csrc(mstatus, MSTATUS_MIE);
    csrw(mtvec, (uintptr_t)m_trap_entry);
    CHECK(vec_hits[0] == 1, 6);

    /* WFI wakes on a pending enabled interrupt even with MIE = 0 */
    bm_reset_trap();
    csrw(mie, 1u << 7);
    *MTIMECMP0 = *MTIME + 20000; /* 2 ms */
    /* WFI may return early (3.3.3): wait in a loop, like real software */
    for (int i = 0; i < 1000000 && !(csrr(mip) & (1u << 7)); i++) __asm__ volatile("wfi");
    CHECK(csrr(mip) & (1u << 7), 7);
    CHECK(*MTIME >= *MTIMECMP0, 8);
    *MTIMECMP0 = -1ull;
    CHECK(trap.count == 0, 9);

    /* SSI delegated to S: taken in S with scause = interrupt | 1 */
    csrw(stvec, (uintptr_t)s_trap_entry);
    csrw(mideleg, 1u << 1);
    csrw(mie, 1u << 1);
    csrs(sstatus, MSTATUS_SIE);
    bm_reset_trap();
    csrs(mip, 2);
    CHECK(run_lower(1, s_wait, 100000) == 1, 10);
    CHECK(trap.mode == 1 && trap.cause == ((1ull << 63) | 1), 11);
    /* a delegated interrupt is not taken in M, even with MIE */
    bm_reset_trap();
    csrs(mip, 2);
    csrs(mstatus, MSTATUS_MIE);
    for (volatile int i = 0; i < 1000; i++) {
    }
    CHECK(trap.count == 0, 12);
    csrc(mstatus, MSTATUS_MIE);
    csrc(mip, 2);

    /* Sstc: stimecmp in the past raises STI for S */
    csrw(menvcfg, 1ull << 63);
    csrw(mcounteren, 2);
    csrw(mideleg, 1u << 5);
    csrw(mie, 1u << 5);
    bm_reset_trap();
    csrw(stimecmp, csrr(time) + 10000); /* 1 ms */
    CHECK(run_lower(1, s_wait, 100000000) == 1, 13);
    CHECK(trap.mode == 1 && trap.cause == ((1ull << 63) | 5), 14);
    return 0;
}
