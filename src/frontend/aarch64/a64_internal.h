/* SPDX-License-Identifier: MIT */
/* Functions shared between the aarch64 frontend's files (not a contract). */
#ifndef VM_A64_INTERNAL_H
#define VM_A64_INTERNAL_H

#include <stdint.h>

#include "vm/cpu.h"
#include "vm/ir.h"

void a64_translate(CpuState *cpu, IrBlock *b, uint64_t pc);
uint64_t a64_tb_flags(CpuState *cpu);
uint64_t a64_host_ns(void);

/* SIMD helpers (simd.c): whole-instruction semantics for the rarer Advanced
 * SIMD operations, on the register file in A64Cpu. desc packs the operands. */
extern const IrHelper a64_helper_simd;
extern const IrHelper a64_helper_ldst_struct;

#endif
