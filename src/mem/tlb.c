/* SPDX-License-Identifier: MIT */
/* The unified TLB: per-vCPU direct-mapped tables per MMU index, refilled by the
 * arch's page-table walker (GuestArch.tlb_fill), flushed whole, by page or by
 * ASID, with hit/miss statistics for -d tlb-stats. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem_int.h"
#include "vm/gdbstub.h"
#include "vm/log.h"
#include "vm/tlb.h"

void (*tlb_code_invalidate)(uint64_t pa, uint64_t len);

static inline Tlb *tlb_of(CpuState *cpu) { return cpu->tlb; }

static void flush_idx(Tlb *t, unsigned idx)
{
    /* All-ones tags have TLB_F_INVALID set: no page address matches them. */
    memset(t->e[idx], 0xff, sizeof(t->e[idx]));
    t->lp_mask[idx] = 0;
    t->lp_base[idx] = 1; /* none */
}

int tlb_cpu_init(CpuState *cpu, PhysMap *phys)
{
    Tlb *t = calloc(1, sizeof(*t));
    if (!t) return -ENOMEM;
    t->phys = phys;
    for (unsigned i = 0; i < TLB_NB_IDX; i++) flush_idx(t, i);
    cpu->tlb = t;
    cpu->mem = &tlb_softmmu_ops;
    cpu->guest_base = NULL;
    cpu->guest_limit = 0;
    return 0;
}

void tlb_print_stats(CpuState *cpu, FILE *f)
{
    Tlb *t = tlb_of(cpu);
    if (!t) return;
    uint64_t total = t->stats.hits + t->stats.misses;
    fprintf(f,
            "tlb: cpu %d: %" PRIu64 " lookups, %" PRIu64 " hits, %" PRIu64
            " misses, hit rate %.2f%%, %" PRIu64 " flushes, %" PRIu64 " page flushes, %" PRIu64
            " asid flushes, %" PRIu64 " code-page invalidations\n",
            cpu->cpu_index, total, t->stats.hits, t->stats.misses,
            total ? 100.0 * (double)t->stats.hits / (double)total : 0.0, t->stats.flushes,
            t->stats.page_flushes, t->stats.asid_flushes, t->stats.smc_invalidations);
    /* Translated code counts its inline hits only when built with -d tlb-stats
     * (the counter costs an instruction on every access). */
    if (!logd_enabled(LOGD_TLB_STATS))
        fprintf(f, "tlb: cpu %d: hits in JIT code are not counted here (run with -d tlb-stats)\n",
                cpu->cpu_index);
}

void tlb_cpu_free(CpuState *cpu)
{
    Tlb *t = tlb_of(cpu);
    if (!t) return;
    if (logd_enabled(LOGD_TLB_STATS)) tlb_print_stats(cpu, log_file ? log_file : stderr);
    free(t);
    cpu->tlb = NULL;
}

/* -- Maintenance --------------------------------------------------------------------- */

void tlb_flush(CpuState *cpu)
{
    Tlb *t = tlb_of(cpu);
    if (!t) return;
    for (unsigned i = 0; i < TLB_NB_IDX; i++)
        if (t->used & (1u << i)) flush_idx(t, i);
    t->used = 0;
    t->flush_gen++;
    t->stats.flushes++;
}

static inline void entry_invalidate(TlbEntry *e)
{
    e->tag[0] = e->tag[1] = e->tag[2] = ~0ull;
}

void tlb_flush_page(CpuState *cpu, uint64_t va)
{
    Tlb *t = tlb_of(cpu);
    if (!t) return;
    uint64_t page = va & TLB_PAGE_MASK;
    for (unsigned i = 0; i < TLB_NB_IDX; i++) {
        if (!(t->used & (1u << i))) continue;
        if ((va & t->lp_mask[i]) == t->lp_base[i]) {
            /* Inside a superpage: its 4 KiB pieces may sit in any slot. */
            flush_idx(t, i);
            continue;
        }
        TlbEntry *e = &t->e[i][(va >> TLB_PAGE_SHIFT) & (TLB_SIZE - 1)];
        for (int a = 0; a < 3; a++)
            if ((e->tag[a] & TLB_F_HIT_MASK) == page) {
                entry_invalidate(e);
                break;
            }
    }
    t->stats.page_flushes++;
}

void tlb_flush_asid(CpuState *cpu, uint32_t asid)
{
    Tlb *t = tlb_of(cpu);
    if (!t) return;
    for (unsigned i = 0; i < TLB_NB_IDX; i++) {
        if (!(t->used & (1u << i))) continue;
        for (unsigned j = 0; j < TLB_SIZE; j++) {
            TlbEntry *e = &t->e[i][j];
            if (!e->global && e->asid == asid) entry_invalidate(e);
        }
    }
    t->stats.asid_flushes++;
}

void tlb_set_fetch_idx(CpuState *cpu, unsigned idx)
{
    if (cpu->tlb) tlb_of(cpu)->fetch_idx = idx & (TLB_NB_IDX - 1);
}

void tlb_set_data_idx(CpuState *cpu, unsigned idx)
{
    if (cpu->tlb) tlb_of(cpu)->data_idx = idx & (TLB_NB_IDX - 1);
}

void tlb_set_asid(CpuState *cpu, uint32_t asid)
{
    if (cpu->tlb) tlb_of(cpu)->asid = asid;
}

/* -- Refill ------------------------------------------------------------------------- */

/* Widens the superpage range of idx to cover the page of va (1 << shift bytes).
 * lp_base = 1 (never a masked address) means "no superpage". */
static void note_large(Tlb *t, unsigned idx, uint64_t va, unsigned shift)
{
    uint64_t mask = shift >= 64 ? 0 : ~((1ull << shift) - 1);
    if (t->lp_base[idx] == 1) {
        t->lp_mask[idx] = mask;
        t->lp_base[idx] = va & mask;
        return;
    }
    mask &= t->lp_mask[idx];
    while ((t->lp_base[idx] & mask) != (va & mask)) mask <<= 1; /* ends at 0 at worst */
    t->lp_mask[idx] = mask;
    t->lp_base[idx] &= mask;
}

/* Fills the entry for (va, idx) from the arch's walker. NULL with *excp / *tval
 * when acc is not allowed (the arch's fault, or EXCP_SEGV for a physical
 * address where nothing is mapped). */
static TlbEntry *fill(CpuState *cpu, Tlb *t, uint64_t va, MemAccess acc, unsigned idx, int *excp,
                      uint64_t *tval)
{
    TlbFill f = {0};
    t->fill_global = 0;
    int r = cpu->arch->tlb_fill(cpu, va, acc, idx, &f, tval);
    if (r) {
        *excp = r;
        return NULL;
    }
    const PhysRegion *reg = phys_find(t->phys, f.pa);
    if (!reg) {
        cpu->fault_code = FAULT_MAPERR;
        cpu->fault_access = acc;
        *excp = EXCP_SEGV;
        *tval = va;
        return NULL;
    }
    uint64_t page = va & TLB_PAGE_MASK, pa_page = f.pa & TLB_PAGE_MASK;
    bool cacheable = f.page_shift >= TLB_PAGE_SHIFT;
    TlbEntry *e = cacheable ? &t->e[idx][(va >> TLB_PAGE_SHIFT) & (TLB_SIZE - 1)] : &t->scratch;
    /* The direct path needs host RAM under the whole 4 KiB page. */
    bool whole = reg->host && pa_page >= reg->base &&
                 pa_page + TLB_PAGE_SIZE - 1 <= reg->base + (reg->size - 1);
    uint64_t tag = whole ? page : page | TLB_F_SLOW;
    e->tag[MEM_READ] = (f.prot & TLB_PROT_READ) ? tag : ~0ull;
    e->tag[MEM_WRITE] = (f.prot & TLB_PROT_WRITE) ? (reg->readonly ? page | TLB_F_SLOW : tag) : ~0ull;
    e->tag[MEM_EXEC] = (f.prot & TLB_PROT_EXEC) ? tag : ~0ull;
    /* gdb watchpoints on this page: its reads and/or writes take the slow
     * path, which checks them (gdb_watch_check). The glue flushes every TLB
     * when watchpoints change. */
    if (__atomic_load_n(&gdb_nwp, __ATOMIC_ACQUIRE)) {
        unsigned k = gdb_wp_kinds(page, TLB_PAGE_SIZE);
        if ((k & 1) && e->tag[MEM_READ] != ~0ull) e->tag[MEM_READ] |= TLB_F_WATCH;
        if ((k & 2) && e->tag[MEM_WRITE] != ~0ull) e->tag[MEM_WRITE] |= TLB_F_WATCH;
    }
    e->addend = whole ? (uintptr_t)(reg->host + (pa_page - reg->base)) - (uintptr_t)page : 0;
    e->pa = pa_page;
    e->code = whole && !reg->readonly ? phys_code_byte(t->phys, pa_page) : NULL;
    e->asid = t->asid;
    e->global = t->fill_global;
    if (cacheable) {
        t->used |= 1u << idx;
        if (f.page_shift > TLB_PAGE_SHIFT) note_large(t, idx, va, f.page_shift);
    }
    return e;
}

static TlbEntry *lookup_nr(CpuState *cpu, uint64_t va, MemAccess acc, unsigned idx, int *excp,
                           uint64_t *tval)
{
    Tlb *t = tlb_of(cpu);
    idx &= TLB_NB_IDX - 1;
    TlbEntry *e = &t->e[idx][(va >> TLB_PAGE_SHIFT) & (TLB_SIZE - 1)];
    if ((e->tag[acc] & TLB_F_HIT_MASK) == (va & TLB_PAGE_MASK)) {
        t->stats.hits++;
        return e;
    }
    t->stats.misses++;
    return fill(cpu, t, va, acc, idx, excp, tval);
}

TlbEntry *tlb_lookup(CpuState *cpu, uint64_t va, MemAccess acc, unsigned idx)
{
    int excp = 0;
    uint64_t tval = 0;
    TlbEntry *e = lookup_nr(cpu, va, acc, idx, &excp, &tval);
    if (!e) {
        cpu->fault_access = acc;
        cpu_raise(cpu, excp, tval);
    }
    return e;
}

int tlb_translate(CpuState *cpu, uint64_t va, MemAccess acc, unsigned idx, uint64_t *pa)
{
    int excp = 0;
    uint64_t tval = 0;
    TlbEntry *e = lookup_nr(cpu, va, acc, idx, &excp, &tval);
    if (!e) {
        cpu->exception = excp;
        cpu->fault_addr = tval;
        cpu->fault_access = acc;
        return excp;
    }
    *pa = e->pa | (va & ~TLB_PAGE_MASK);
    return 0;
}

int tlb_code_phys_slow(CpuState *cpu, uint64_t va, uint64_t *pa)
{
    return tlb_translate(cpu, va, MEM_EXEC, tlb_of(cpu)->fetch_idx, pa) ? -EFAULT : 0;
}
