/* SPDX-License-Identifier: MIT */
/* RISC-V64 vCPU state. CpuState comes first; engines address the registers
 * through rv_regs (slot table) by offset. Included by the riscv64 frontend and
 * by the user-mode and machine glue for riscv64 (never by engines). */
#ifndef VM_RV_CPU_H
#define VM_RV_CPU_H

#include <stdint.h>

#include "vm/arch.h"
#include "vm/cpu.h"

typedef struct RvCpu {
    CpuState common;   /* pc, FP control (fflags = common.fp.flags & 0x1f, frm = common.fp.rm) */
    uint64_t x[32];    /* x[0] is always 0: the frontend never writes it */
    uint64_t f[32];    /* NaN-boxed: single values have the upper 32 bits all ones */
    uint64_t cycle_base;
    /* System-mode state (privilege, CSRs) is added by the system-mode work. */
} RvCpu;

/* Register slots in rv_regs: x0..x31 are 0..31, f0..f31 are 32..63. */
enum { RV_SLOT_X0 = 0, RV_SLOT_F0 = 32, RV_NSLOTS = 64 };

extern const GuestArch rv_arch;

static inline RvCpu *rv_cpu(CpuState *c) { return (RvCpu *)c; }

#endif
