/* SPDX-License-Identifier: MIT */
/* A guest architecture as the rest of vm sees it: one descriptor per frontend.
 * Adding a guest = one frontend folder exporting one GuestArch. */
#ifndef VM_ARCH_H
#define VM_ARCH_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

struct TlbFill;

#include "vm/cpu.h"
#include "vm/ir.h"
#include "vm/snap.h"

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

    /* -- System mode (NULL for guests that only run in user mode) -- */
    /* Fills the TLB for va: the arch's page-table walk and permission checks
     * (src/frontend/<arch>/). Returns 0 with *out filled, or the guest
     * exception to raise (EXCP_ARCH_BASE + cause) with the tval in *tval. */
    int (*tlb_fill)(CpuState *cpu, uint64_t va, MemAccess acc, unsigned mmu_idx,
                    struct TlbFill *out, uint64_t *tval);
    /* Enters the guest's trap handler for exception excp (as returned by an
     * engine: EXCP_ARCH_BASE + cause, EXCP_ILLEGAL, EXCP_SYSCALL, ...). */
    void (*do_exception)(CpuState *cpu, int excp);
    /* Takes the highest-priority pending, enabled interrupt, if any. */
    bool (*exec_interrupt)(CpuState *cpu);
    /* True when a halted (WFI) vCPU has a reason to wake up. */
    bool (*has_work)(CpuState *cpu);

    /* -- gdb stub (src/frontend/<arch>/gdb.c): register numbers are gdb's
     * remote numbers, the ones the target description gives. -- */
    /* Target description (target.xml) for this vCPU's mode; NULL = no gdb support. */
    const char *(*gdb_xml)(CpuState *cpu);
    /* Registers 0..n-1 make up the 'g' packet. */
    unsigned (*gdb_g_count)(CpuState *cpu);
    /* Register n in target byte order into buf (at least 16 bytes): its size,
     * or 0 when there is no such register. */
    unsigned (*gdb_read_reg)(CpuState *cpu, unsigned n, uint8_t *buf);
    /* Writes register n from len bytes: 0, or -EINVAL (no such register,
     * wrong size, or read-only). */
    int (*gdb_write_reg)(CpuState *cpu, unsigned n, const uint8_t *buf, unsigned len);

    /* -- Debugger views (monitor, gdb stub): read-only, with the vCPU paused.
     * They change nothing the guest can see (no A/D bits, no TLB fill, no
     * fault recorded). NULL when the guest has no system mode. -- */
    /* The physical address data at va has under the vCPU's current
     * translation regime, ignoring access rights. 0, or -EFAULT (unmapped). */
    int (*debug_translate)(CpuState *cpu, uint64_t va, uint64_t *pa);
    /* Writes the current virtual memory map ("info mem"), merged into ranges. */
    void (*dump_mappings)(CpuState *cpu, FILE *f);

    /* -- Snapshots (src/service/snapshot.c), with the vCPU paused -- */
    /* Visits every piece of architectural state once (registers, CSRs, FP
     * control, privilege, LR/SC reservation, pending interrupts, timers); on
     * load, checks the values and republishes derived state (TLB indexes,
     * timers). The caller flushes the TLB and the engine's translations.
     * Returns snap_status(v). NULL when the guest has no system mode. */
    int (*cpu_snapshot)(CpuState *cpu, SnapVisitor *v);
} GuestArch;

/* What tlb_fill found: the physical page and the access rights. */
typedef struct TlbFill {
    uint64_t pa;         /* physical address of va (page offset included) */
    unsigned page_shift; /* 12 for 4 KiB pages; superpages may give more */
    unsigned prot;       /* TLB_PROT_READ | WRITE | EXEC for this mmu_idx */
} TlbFill;
enum { TLB_PROT_READ = 1, TLB_PROT_WRITE = 2, TLB_PROT_EXEC = 4 };

/* Translates one block for an engine: resets b, runs the arch's translate,
 * verifies the IR (debug builds, or VM_LOG=ir=debug) and writes -d in_asm / -d ir. */
void frontend_translate(CpuState *cpu, IrBlock *b, uint64_t pc);
/* -d exec / -d cpu, for an engine about to run the block at pc (flags: its
 * tb_flags): the exec line and/or the guest registers, as one unit in
 * log_file. Engines call it only when logd_enabled(LOGD_EXEC | LOGD_CPU). */
void frontend_log_block(CpuState *cpu, uint64_t pc, uint64_t flags);

const GuestArch *arch_by_name(const char *name);
const GuestArch *arch_by_elf(uint16_t machine);
/* Space-separated names of every built-in guest, for --help and errors. */
const char *arch_names(void);

#endif
