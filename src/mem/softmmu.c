/* SPDX-License-Identifier: MIT */
/* The system-mode MemOps over the unified TLB: code fetch, data loads and
 * stores (alignment, endianness, page-crossing splits, MMIO dispatch through
 * PhysMap), host pointers for atomics, and self-modifying-code detection. */
#include <errno.h>
#include <string.h>

#include "mem/mem_int.h"
#include "vm/ir.h"
#include "vm/tlb.h"

static inline Tlb *tlb_of(CpuState *cpu) { return cpu->tlb; }

static inline unsigned mo_idx(unsigned mo)
{
    return (mo & IR_MO_IDX_MASK) >> IR_MO_IDX_SHIFT;
}

static inline uint64_t bswap_n(uint64_t v, unsigned lg)
{
    switch (lg) {
    case 1: return __builtin_bswap16((uint16_t)v);
    case 2: return __builtin_bswap32((uint32_t)v);
    case 3: return __builtin_bswap64(v);
    default: return v;
    }
}

/* The arch maps these neutral codes to its causes (RISC-V: access fault
 * 1/5/7, address misaligned 0/4/6) in do_exception. */
static _Noreturn __attribute__((cold)) void access_fault(CpuState *cpu, uint64_t va, MemAccess acc)
{
    cpu->fault_code = FAULT_ACCERR;
    cpu->fault_access = acc;
    cpu_raise(cpu, EXCP_SEGV, va);
}

static _Noreturn __attribute__((cold)) void misaligned(CpuState *cpu, uint64_t va, MemAccess acc)
{
    cpu->fault_access = acc;
    cpu_raise(cpu, EXCP_BUS, va);
}

static inline bool fast(const TlbEntry *e, MemAccess acc, uint64_t va)
{
    return e->tag[acc] == (va & TLB_PAGE_MASK);
}

/* One access that stays inside a page; value in host order, size bytes. */
static uint64_t load_page(CpuState *cpu, uint64_t va, unsigned size, unsigned idx)
{
    TlbEntry *e = tlb_lookup(cpu, va, MEM_READ, idx);
    uint64_t v = 0;
    if (fast(e, MEM_READ, va)) memcpy(&v, (void *)(uintptr_t)(va + e->addend), size);
    else if (!phys_access(tlb_of(cpu)->phys, e->pa | (va & ~TLB_PAGE_MASK), size, false, &v))
        access_fault(cpu, va, MEM_READ);
    else if (size < 8)
        v &= (1ull << (8 * size)) - 1; /* a device may return more than it was asked */
    return v;
}

static void store_page(CpuState *cpu, uint64_t va, uint64_t v, unsigned size, unsigned idx)
{
    TlbEntry *e = tlb_lookup(cpu, va, MEM_WRITE, idx);
    if (fast(e, MEM_WRITE, va)) {
        memcpy((void *)(uintptr_t)(va + e->addend), &v, size);
        if (e->code && __atomic_load_n(e->code, __ATOMIC_RELAXED)) {
            tlb_of(cpu)->stats.smc_invalidations++;
            phys_code_written(e->code, e->pa);
        }
    } else if (!phys_access(tlb_of(cpu)->phys, e->pa | (va & ~TLB_PAGE_MASK), size, true, &v)) {
        access_fault(cpu, va, MEM_WRITE);
    }
}

static uint64_t sm_load(CpuState *cpu, uint64_t va, unsigned mo)
{
    unsigned lg = mo & IR_MO_SIZE_MASK, size = 1u << lg, idx = mo_idx(mo);
    if (lg > 3) access_fault(cpu, va, MEM_READ); /* 16-byte accesses come split in two */
    if ((mo & IR_MO_ALIGN) && (va & (size - 1))) misaligned(cpu, va, MEM_READ);
    uint64_t v;
    if ((va & ~TLB_PAGE_MASK) + size <= TLB_PAGE_SIZE) {
        v = load_page(cpu, va, size, idx);
    } else {
        /* Crosses a page: both translations first (a fault in the second page
         * reports its own address), then byte by byte in memory order. */
        uint64_t va2 = (va + size - 1) & TLB_PAGE_MASK;
        tlb_lookup(cpu, va, MEM_READ, idx);
        tlb_lookup(cpu, va2, MEM_READ, idx);
        v = 0;
        for (unsigned i = 0; i < size; i++) v |= load_page(cpu, va + i, 1, idx) << (8 * i);
    }
    return (mo & IR_MO_BE) ? bswap_n(v, lg) : v;
}

static void sm_store(CpuState *cpu, uint64_t va, uint64_t val, unsigned mo)
{
    unsigned lg = mo & IR_MO_SIZE_MASK, size = 1u << lg, idx = mo_idx(mo);
    if (lg > 3) access_fault(cpu, va, MEM_WRITE);
    if ((mo & IR_MO_ALIGN) && (va & (size - 1))) misaligned(cpu, va, MEM_WRITE);
    if (mo & IR_MO_BE) val = bswap_n(val, lg);
    if ((va & ~TLB_PAGE_MASK) + size <= TLB_PAGE_SIZE) {
        store_page(cpu, va, val, size, idx);
        return;
    }
    /* Nothing is written unless both pages are writable (precise faults). */
    uint64_t va2 = (va + size - 1) & TLB_PAGE_MASK;
    tlb_lookup(cpu, va, MEM_WRITE, idx);
    tlb_lookup(cpu, va2, MEM_WRITE, idx);
    for (unsigned i = 0; i < size; i++) store_page(cpu, va + i, (val >> (8 * i)) & 0xff, 1, idx);
}

/* Instruction bytes for the frontend; marks the RAM pages as holding code. */
static int sm_fetch(CpuState *cpu, uint64_t va, void *buf, unsigned len)
{
    Tlb *t = tlb_of(cpu);
    uint8_t *out = buf;
    while (len) {
        unsigned n = (unsigned)(TLB_PAGE_SIZE - (va & ~TLB_PAGE_MASK));
        if (n > len) n = len;
        uint64_t pa;
        if (tlb_translate(cpu, va, MEM_EXEC, t->fetch_idx, &pa)) return -EFAULT;
        uint8_t *host = phys_ram_ptr(t->phys, pa, n);
        if (!host) { /* MMIO or a hole: not executable */
            cpu->exception = EXCP_SEGV;
            cpu->fault_addr = va;
            cpu->fault_access = MEM_EXEC;
            cpu->fault_code = FAULT_ACCERR;
            return -EFAULT;
        }
        memcpy(out, host, n);
        uint8_t *mark = phys_code_byte(t->phys, pa);
        if (mark && !__atomic_load_n(mark, __ATOMIC_RELAXED))
            __atomic_store_n(mark, 1, __ATOMIC_RELAXED);
        va += n;
        out += n;
        len -= n;
    }
    return 0;
}

/* Atomics need plain host RAM and write permission (LR included: one check
 * for every atomic kind); the index is the arch's current data index. */
static void *sm_atomic_ptr(CpuState *cpu, uint64_t va, unsigned size)
{
    Tlb *t = tlb_of(cpu);
    if (va & (size - 1)) misaligned(cpu, va, MEM_WRITE);
    TlbEntry *e = tlb_lookup(cpu, va, MEM_WRITE, t->data_idx);
    if (!fast(e, MEM_WRITE, va)) access_fault(cpu, va, MEM_WRITE);
    if (e->code && __atomic_load_n(e->code, __ATOMIC_RELAXED)) {
        t->stats.smc_invalidations++;
        phys_code_written(e->code, e->pa);
    }
    return (void *)(uintptr_t)(va + e->addend);
}

const MemOps tlb_softmmu_ops = {
    .fetch = sm_fetch,
    .load = sm_load,
    .store = sm_store,
    .atomic_ptr = sm_atomic_ptr,
};
