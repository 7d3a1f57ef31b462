/* SPDX-License-Identifier: MIT */
/* AArch64 vCPU state (EL0 view). CpuState comes first; engines address the
 * registers through the slot table in cpu.c. Included by the aarch64 frontend
 * and by the user-mode/machine glue for aarch64 (never by engines). */
#ifndef VM_A64_CPU_H
#define VM_A64_CPU_H

#include <stdint.h>

#include "vm/arch.h"
#include "vm/cpu.h"

typedef struct A64Cpu {
    CpuState common;  /* pc; FPCR.RMode/FZ/DN live in common.fp.rm/mode, FPSR's
                         cumulative IOC..IXC/IDC in common.fp.flags */
    uint64_t x[31];   /* x0..x30 */
    uint64_t sp;      /* SP_EL0 */
    /* PSTATE.NZCV, in one of two forms chosen by bit 0 of cc_lazy:
     * - bit 0 = 1 (A64_CCL_SUB): the flags of the 64-bit subtraction
     *   cc_x - cc_y (AddWithCarry(cc_x, NOT cc_y, 1)); bits 63:1 are ignored.
     * - bit 0 = 0: NZCV themselves in bits 4:1 (N bit 4 ... V bit 1), the
     *   other bits zero; 0 is NZCV = 0000 (reset).
     * A compare stores two operands and 1; CCMP stores its operands and
     * cond | #nzcv << 1 (three stores whatever the condition); every other
     * setter one packed value. Read and write NZCV through
     * a64_get_nzcv/a64_set_nzcv only. */
    uint64_t cc_lazy, cc_x, cc_y;
    uint64_t tpidr_el0;
    uint64_t qc;      /* FPSR.QC (0/1) */
    uint32_t fpcr;    /* FPCR as last written (bits not mapped onto fp.mode) */
    uint32_t pad;
    uint64_t excl_hi; /* LDXP: the second word of the exclusive pair */
    uint64_t cnt_base; /* CNTVCT_EL0 origin (host ns) */
    uint64_t v[32][2] __attribute__((aligned(16))); /* V0..V31, lane 0 = low */
} A64Cpu;

/* Register slots of a64_regs. */
enum {
    A64_SLOT_X0 = 0,   /* x0..x30 */
    A64_SLOT_SP = 31,
    A64_SLOT_CCL = 32, /* cc_lazy, cc_x, cc_y: NZCV */
    A64_SLOT_CCX,
    A64_SLOT_CCY,
    A64_SLOT_TPIDR,
    A64_SLOT_QC,
    A64_SLOT_V0,       /* v0..v31 (V128) */
    A64_NSLOTS = A64_SLOT_V0 + 32,
};

/* cc_lazy: bit 0 selects the subtraction form; otherwise NZCV << 1. */
enum { A64_CCL_SUB = 1, A64_CCL_NZCV_SHIFT = 1 };

/* FPCR / FPSR fields (DDI 0487 D19.2.x). */
enum {
    A64_FPCR_FZ16 = 1u << 19,
    A64_FPCR_RMODE_SHIFT = 22,
    A64_FPCR_FZ = 1u << 24,
    A64_FPCR_DN = 1u << 25,
    A64_FPCR_AHP = 1u << 26,
    A64_FPSR_QC = 1u << 27,
};

extern const GuestArch a64_arch;

static inline A64Cpu *a64_cpu(CpuState *c) { return (A64Cpu *)c; }

/* FPCR/FPSR as the guest sees them, and writes (keep fp.rm/mode/flags in step). */
uint32_t a64_get_fpcr(CpuState *c);
void a64_set_fpcr(CpuState *c, uint32_t v);
uint32_t a64_get_fpsr(CpuState *c);
void a64_set_fpsr(CpuState *c, uint32_t v);
uint64_t a64_get_nzcv(CpuState *c);
void a64_set_nzcv(CpuState *c, uint64_t v);

#endif
