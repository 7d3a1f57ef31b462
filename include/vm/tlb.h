/* SPDX-License-Identifier: MIT */
/* The unified software TLB every guest architecture's system mode uses: per-vCPU,
 * direct-mapped per MMU index, entries for 4 KiB pieces of any page size, with the
 * host addend of RAM pages (host = va + addend) or a slow-path (MMIO) marker, and
 * the system-mode MemOps built on it (src/mem/tlb.c, src/mem/softmmu.c). */
#ifndef VM_TLB_H
#define VM_TLB_H

#include <stdint.h>
#include <stdio.h>

#include "vm/arch.h"
#include "vm/cpu.h"
#include "vm/mem.h"

#define TLB_NB_IDX 16 /* IR_MO_IDX_MASK holds 4 bits */
#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_PAGE_SHIFT 12
#define TLB_PAGE_SIZE (1ull << TLB_PAGE_SHIFT)
#define TLB_PAGE_MASK (~(TLB_PAGE_SIZE - 1))

/* Low bits of TlbEntry.tag[]: a tag equal to the page address is the fast path
 * (RAM, access allowed, host = va + addend); TLB_F_SLOW means "allowed, but go
 * through phys_access" (MMIO, ROM writes, partial pages); TLB_F_WATCH means
 * "allowed, but a gdb watchpoint covers part of the page: check it first"
 * (the access itself is then as the other bits say); TLB_F_INVALID never
 * matches. ORDER: the JIT's inline path compares tag[acc] with va & PAGE_MASK,
 * so any flag sends the access to the slow path. */
enum { TLB_F_INVALID = 1u << 0, TLB_F_SLOW = 1u << 1, TLB_F_WATCH = 1u << 2 };
#define TLB_F_HIT_MASK (~(uint64_t)(TLB_F_SLOW | TLB_F_WATCH)) /* flags that still hit */

typedef struct TlbEntry {
    uint64_t tag[3];   /* [MemAccess]: page va (| TLB_F_SLOW), or TLB_F_INVALID */
    uintptr_t addend;  /* RAM: host address = va + addend */
    uint64_t pa;       /* physical address of the 4 KiB page */
    uint8_t *code;     /* RAM: the page's code mark (stores to marked pages invalidate) */
    uint32_t asid;     /* ASID the entry was filled under */
    uint32_t global;   /* filled from a global mapping (survives ASID flushes) */
} TlbEntry;

typedef struct TlbStats {
    uint64_t hits, misses, flushes, page_flushes, asid_flushes, smc_invalidations;
} TlbStats;

typedef struct Tlb {
    TlbEntry e[TLB_NB_IDX][TLB_SIZE];
    /* Superpages filled since the last flush of an index: one range covering
     * them all, so flushing a page inside one drops the whole index (lp_base = 1:
     * none yet). */
    uint64_t lp_base[TLB_NB_IDX], lp_mask[TLB_NB_IDX];
    uint32_t used;      /* bit i: index i may hold entries */
    unsigned fetch_idx; /* MMU index of instruction fetch (the arch keeps it current) */
    unsigned data_idx;  /* MMU index of atomics (MemOps.atomic_ptr carries no memop) */
    uint32_t asid;      /* current ASID, recorded in new entries */
    uint32_t fill_global; /* set by tlb_fill for a global mapping (RISC-V PTE.G) */
    PhysMap *phys;
    TlbEntry scratch;   /* one-access result that must not be cached */
    /* Bumped by every tlb_flush: the arch's walker caches what can change
     * only together with a full flush (RISC-V PMP: its CSR writes flush). */
    uint64_t flush_gen;
    TlbStats stats;
} Tlb;

/* -- Set-up (machine) -------------------------------------------------------------- */

/* Gives cpu a TLB over phys and switches it to the soft MMU: cpu->tlb, cpu->mem =
 * &tlb_softmmu_ops, cpu->guest_base = NULL. Needs cpu->arch (tlb_fill). 0 / -ENOMEM. */
int tlb_cpu_init(CpuState *cpu, PhysMap *phys);
/* Prints the statistics under -d tlb-stats, then frees the TLB. */
void tlb_cpu_free(CpuState *cpu);
extern const MemOps tlb_softmmu_ops;

/* -- Maintenance (arch code, from the vCPU's own thread) ---------------------------- */

void tlb_flush(CpuState *cpu);
/* Drops the translations of the page holding va in every MMU index. */
void tlb_flush_page(CpuState *cpu, uint64_t va);
/* Drops the non-global translations filled under asid. */
void tlb_flush_asid(CpuState *cpu, uint32_t asid);
void tlb_set_fetch_idx(CpuState *cpu, unsigned idx);
void tlb_set_data_idx(CpuState *cpu, unsigned idx);
void tlb_set_asid(CpuState *cpu, uint32_t asid);

/* -- Lookups ------------------------------------------------------------------------ */

/* The entry for (va, acc, idx), filling it on a miss; raises the arch's fault
 * (cpu_raise) when the access is not allowed. Valid until the next fill. */
TlbEntry *tlb_lookup(CpuState *cpu, uint64_t va, MemAccess acc, unsigned idx);
/* Non-raising translation: 0 with *pa, or the exception to raise with the
 * fault recorded in cpu->exception / fault_addr / fault_access. */
int tlb_translate(CpuState *cpu, uint64_t va, MemAccess acc, unsigned idx, uint64_t *pa);
/* Engines' block lookup: the physical address of the code at va under the
 * current fetch index (0), or -EFAULT with the fault recorded as above. The
 * hit is inline (every dispatcher and system-mode indirect lookup asks). */
int tlb_code_phys_slow(CpuState *cpu, uint64_t va, uint64_t *pa);
static inline int tlb_code_phys(CpuState *cpu, uint64_t va, uint64_t *pa)
{
    Tlb *t = cpu->tlb;
    const TlbEntry *e = &t->e[t->fetch_idx][(va >> TLB_PAGE_SHIFT) & (TLB_SIZE - 1)];
    if (__builtin_expect((e->tag[MEM_EXEC] & TLB_F_HIT_MASK) == (va & TLB_PAGE_MASK), 1)) {
        t->stats.hits++;
        *pa = e->pa | (va & ~TLB_PAGE_MASK);
        return 0;
    }
    return tlb_code_phys_slow(cpu, va, pa);
}

/* Set by the engine: drops translations of guest code in physical [pa, pa+len).
 * Called after a store (CPU or phys_write DMA) to a page holding code. */
extern void (*tlb_code_invalidate)(uint64_t pa, uint64_t len);

void tlb_print_stats(CpuState *cpu, FILE *f);

#endif
