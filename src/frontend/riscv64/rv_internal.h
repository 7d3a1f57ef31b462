/* SPDX-License-Identifier: MIT */
/* Functions shared between the riscv64 frontend's files (not a contract). */
#ifndef VM_RV_INTERNAL_H
#define VM_RV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/cpu.h"
#include "vm/ir.h"

void rv_translate(CpuState *cpu, IrBlock *b, uint64_t pc);
uint64_t rv_tb_flags(CpuState *cpu);
/* Host CLOCK_MONOTONIC in nanoseconds (the user-mode cycle/time source). */
uint64_t rv_host_ns(void);

/* Disassembles one instruction (objdump syntax, ABI register names). aliases
 * selects objdump's pseudo-instructions (li, mv, ret, ...); without them the
 * base instruction is printed (compressed ones as their 32-bit expansion).
 * Returns the length, 0 when the bytes are not a valid instruction. */
unsigned rv_disas_insn(uint64_t pc, const uint8_t *code, size_t len, char *buf, size_t buflen,
                       bool aliases);
unsigned rv_disas(uint64_t pc, const uint8_t *code, size_t len, char *buf, size_t buflen);

#endif
