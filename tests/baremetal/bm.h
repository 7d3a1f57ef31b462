/* SPDX-License-Identifier: MIT */
/* Helpers shared by the bare-metal tests: CSR access, the trap record the
 * handlers fill, privilege switching, the virt machine's ACLINT. */
#ifndef BM_H
#define BM_H

#include <stdint.h>

#define csrr(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csrw(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")
#define csrs(csr, v) __asm__ volatile("csrs " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")
#define csrc(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")

#define CHECK(cond, code)                                                                      \
    do {                                                                                       \
        if (!(cond)) return (code);                                                            \
    } while (0)

/* virt machine ACLINT (mswi at 0x2000000, mtimer at 0x2004000 / 0x200bff8). */
#define MSIP0 ((volatile uint32_t *)0x2000000)
#define MTIMECMP0 ((volatile uint64_t *)0x2004000)
#define MTIME ((volatile uint64_t *)0x200bff8)

#define MSTATUS_SIE (1ull << 1)
#define MSTATUS_MIE (1ull << 3)
#define MSTATUS_MPP (3ull << 11)
#define MSTATUS_FS (3ull << 13)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM (1ull << 18)
#define MSTATUS_MXR (1ull << 19)
#define MSTATUS_SD (1ull << 63)

/* What the last trap saw; the handlers skip the faulting instruction (or, for
 * instruction faults, return to ra), so a test carries on after a fault. */
typedef struct TrapRec {
    volatile uint64_t count, cause, tval, epc, mode; /* mode: 3 = taken in M, 1 = in S */
    volatile uint64_t order[8];                      /* interrupt causes, in order taken */
    volatile uint64_t norder;
} TrapRec;
extern TrapRec trap;

uint64_t run_lower(uint64_t mpp, uint64_t (*fn)(uint64_t), uint64_t arg);
void s_trap_entry(void);
void m_trap_entry(void);
void bm_reset_trap(void);
/* Defined by the test if it wants to see interrupts: clear the source. */
void bm_irq(uint64_t cause, int in_s);

#endif
