/* SPDX-License-Identifier: MIT */
/* A guest architecture as the rest of vm sees it: one descriptor per frontend.
 * Adding a guest = one frontend folder exporting one GuestArch. */
#ifndef VM_ARCH_H
#define VM_ARCH_H

#include <stdint.h>
#include <stdio.h>

#include "vm/cpu.h"
#include "vm/ir.h"

typedef struct GuestArch {
    const char *name;     /* "riscv64" */
    uint16_t elf_machine; /* EM_RISCV, ... */
    uint8_t big_endian;   /* default data endianness */
    uint8_t max_insn_len; /* bytes */
    size_t cpu_size;      /* sizeof the arch's CPU struct (CpuState first) */
    const IrRegInfo *regs;
    unsigned nregs;
    int cs_arch, cs_mode; /* capstone ids for -d in_asm (0, 0 = none) */

    /* Puts the vCPU in its architectural reset state (user mode: ready for _start). */
    void (*cpu_reset)(CpuState *cpu);
    /* Bits of CPU state a translation depends on (privilege, FP rounding, ...);
     * engines key their block caches on (pc, tb_flags). */
    uint64_t (*tb_flags)(CpuState *cpu);
    /* Translates the guest block at pc under the current tb_flags into b (which the
     * caller reset). Always produces a verified, terminated block: undecodable
     * code becomes a raise. */
    void (*translate)(CpuState *cpu, IrBlock *b, uint64_t pc);
    /* Writes the guest registers, one line per few registers, for logs and crashes. */
    void (*dump_regs)(CpuState *cpu, FILE *f);
    /* Own disassembler for -d in_asm where capstone has none (capstone 4 lacks
     * RISC-V): writes one instruction's text, returns its length (0 = invalid). */
    unsigned (*disas)(uint64_t pc, const uint8_t *code, size_t len, char *buf, size_t buflen);
} GuestArch;

/* Translates one block for an engine: resets b, runs the arch's translate,
 * verifies the IR (debug builds, or VM_LOG=ir=debug) and writes -d in_asm / -d ir. */
void frontend_translate(CpuState *cpu, IrBlock *b, uint64_t pc);

const GuestArch *arch_by_name(const char *name);
const GuestArch *arch_by_elf(uint16_t machine);
/* Space-separated names of every built-in guest, for --help and errors. */
const char *arch_names(void);

#endif
