/* SPDX-License-Identifier: MIT */
/* The system-mode MemOps over the unified TLB: code fetch, data loads and
 * stores (alignment, endianness, page-crossing splits, MMIO dispatch through
 * PhysMap), host pointers for atomics, and self-modifying-code detection. */
#include <errno.h>
#include <string.h>

#include "mem/mem_int.h"
#include "vm/gdbstub.h"
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

/* Host RAM accesses of 1 << lg bytes: fixed-size moves (a variable-size
 * memcpy into a local costs a byte loop and a store-forwarding stall). */
static inline uint64_t host_ld(const void *p, unsigned lg)
{
    switch (lg) {
    case 0: return *(const uint8_t *)p;
    case 1: { uint16_t x; memcpy(&x, p, 2); return x; }
    case 2: { uint32_t x; memcpy(&x, p, 4); return x; }
    default: { uint64_t x; memcpy(&x, p, 8); return x; }
    }
}

static inline void host_st(void *p, uint64_t v, unsigned lg)
{
    switch (lg) {
    case 0: *(uint8_t *)p = (uint8_t)v; break;
    case 1: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case 2: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

/* A watched page (TLB_F_WATCH): checks the watchpoints (may leave with
 * EXCP_DEBUG), then says whether the access may use host RAM directly. */
static bool watched_direct(CpuState *cpu, const TlbEntry *e, MemAccess acc, uint64_t va,
                           unsigned size)
{
    if (!(e->tag[acc] & TLB_F_WATCH)) return false;
    gdb_watch_check(cpu, va, size, acc);
    return !(e->tag[acc] & TLB_F_SLOW);
}

/* One access of 1 << lg bytes that stays inside a page; value in host order. */
static uint64_t load_page(CpuState *cpu, uint64_t va, unsigned lg, unsigned idx)
{
    unsigned size = 1u << lg;
    TlbEntry *e = tlb_lookup(cpu, va, MEM_READ, idx);
    uint64_t v = 0;
    if (fast(e, MEM_READ, va) || watched_direct(cpu, e, MEM_READ, va, size))
        v = host_ld((void *)(uintptr_t)(va + e->addend), lg);
    else if (!phys_access(tlb_of(cpu)->phys, e->pa | (va & ~TLB_PAGE_MASK), size, false, &v))
        access_fault(cpu, va, MEM_READ);
    else if (size < 8)
        v &= (1ull << (8 * size)) - 1; /* a device may return more than it was asked */
    return v;
}

/* After a direct store: a page holding translated code drops them. */
static inline void code_check(Tlb *t, const TlbEntry *e)
{
    if (e->code && __atomic_load_n(e->code, __ATOMIC_RELAXED)) {
        t->stats.smc_invalidations++;
        phys_code_written(e->code, e->pa);
    }
}

static void store_page(CpuState *cpu, uint64_t va, uint64_t v, unsigned lg, unsigned idx)
{
    TlbEntry *e = tlb_lookup(cpu, va, MEM_WRITE, idx);
    if (fast(e, MEM_WRITE, va) || watched_direct(cpu, e, MEM_WRITE, va, 1u << lg)) {
        host_st((void *)(uintptr_t)(va + e->addend), v, lg);
        code_check(tlb_of(cpu), e);
    } else if (!phys_access(tlb_of(cpu)->phys, e->pa | (va & ~TLB_PAGE_MASK), 1u << lg, true, &v)) {
        access_fault(cpu, va, MEM_WRITE);
    }
}

/* The hit test the JIT inlines (x64_gen.c sys_tlb_check): the entry of va's
 * page in MMU index idx has tag[acc] equal to the page of the access's last
 * byte. Fails for flagged entries (MMIO, ROM writes, watchpoints, invalid)
 * and for accesses that cross into the next page: those take the slow path. */
static inline TlbEntry *hit(Tlb *t, uint64_t va, unsigned lg, MemAccess acc, unsigned idx)
{
    TlbEntry *e = &t->e[idx][(va >> TLB_PAGE_SHIFT) & (TLB_SIZE - 1)];
    return e->tag[acc] == ((va + (1u << lg) - 1) & TLB_PAGE_MASK) ? e : NULL;
}

static __attribute__((noinline)) uint64_t sm_load_slow(CpuState *cpu, uint64_t va, unsigned mo)
{
    unsigned lg = mo & IR_MO_SIZE_MASK, size = 1u << lg, idx = mo_idx(mo);
    if (lg > 3) access_fault(cpu, va, MEM_READ); /* 16-byte accesses come split in two */
    if ((mo & IR_MO_ALIGN) && (va & (size - 1))) misaligned(cpu, va, MEM_READ);
    uint64_t v;
    if ((va & ~TLB_PAGE_MASK) + size <= TLB_PAGE_SIZE) {
        v = load_page(cpu, va, lg, idx);
    } else {
        /* Crosses a page: both translations first (a fault in the second page
         * reports its own address), then byte by byte in memory order. */
        uint64_t va2 = (va + size - 1) & TLB_PAGE_MASK;
        tlb_lookup(cpu, va, MEM_READ, idx);
        tlb_lookup(cpu, va2, MEM_READ, idx);
        v = 0;
        for (unsigned i = 0; i < size; i++) v |= load_page(cpu, va + i, 0, idx) << (8 * i);
    }
    return (mo & IR_MO_BE) ? bswap_n(v, lg) : v;
}

static uint64_t sm_load(CpuState *cpu, uint64_t va, unsigned mo)
{
    unsigned lg = mo & IR_MO_SIZE_MASK;
    Tlb *t = tlb_of(cpu);
    TlbEntry *e;
    if (__builtin_expect(lg <= 3 && !((mo & IR_MO_ALIGN) && (va & ((1u << lg) - 1))), 1) &&
        __builtin_expect((e = hit(t, va, lg, MEM_READ, mo_idx(mo))) != NULL, 1)) {
        t->stats.hits++;
        uint64_t v = host_ld((void *)(uintptr_t)(va + e->addend), lg);
        return (mo & IR_MO_BE) ? bswap_n(v, lg) : v;
    }
    return sm_load_slow(cpu, va, mo);
}

static __attribute__((noinline)) void sm_store_slow(CpuState *cpu, uint64_t va, uint64_t val,
                                                    unsigned mo)
{
    unsigned lg = mo & IR_MO_SIZE_MASK, size = 1u << lg, idx = mo_idx(mo);
    if (lg > 3) access_fault(cpu, va, MEM_WRITE);
    if ((mo & IR_MO_ALIGN) && (va & (size - 1))) misaligned(cpu, va, MEM_WRITE);
    if (mo & IR_MO_BE) val = bswap_n(val, lg);
    if ((va & ~TLB_PAGE_MASK) + size <= TLB_PAGE_SIZE) {
        store_page(cpu, va, val, lg, idx);
        return;
    }
    /* Nothing is written unless both pages are writable (precise faults). */
    uint64_t va2 = (va + size - 1) & TLB_PAGE_MASK;
    tlb_lookup(cpu, va, MEM_WRITE, idx);
    tlb_lookup(cpu, va2, MEM_WRITE, idx);
    for (unsigned i = 0; i < size; i++) store_page(cpu, va + i, (val >> (8 * i)) & 0xff, 0, idx);
}

static void sm_store(CpuState *cpu, uint64_t va, uint64_t val, unsigned mo)
{
    unsigned lg = mo & IR_MO_SIZE_MASK;
    Tlb *t = tlb_of(cpu);
    TlbEntry *e;
    if (__builtin_expect(lg <= 3 && !((mo & IR_MO_ALIGN) && (va & ((1u << lg) - 1))), 1) &&
        __builtin_expect((e = hit(t, va, lg, MEM_WRITE, mo_idx(mo))) != NULL, 1)) {
        t->stats.hits++;
        host_st((void *)(uintptr_t)(va + e->addend), (mo & IR_MO_BE) ? bswap_n(val, lg) : val, lg);
        code_check(t, e);
        return;
    }
    sm_store_slow(cpu, va, val, mo);
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
        /* Mark first, then read: a store by another vCPU that lands after
         * the read sees the mark and invalidates (system mode's fence.i keeps
         * translations). Left open: a store whose invalidation runs before
         * the engine inserts this block, or an inline JIT store that tested
         * the mark just before it was set. */
        uint8_t *mark = phys_code_byte(t->phys, pa);
        if (mark && !__atomic_load_n(mark, __ATOMIC_RELAXED))
            __atomic_store_n(mark, 1, __ATOMIC_SEQ_CST);
        memcpy(out, host, n);
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
    /* gdb watchpoints: an atomic both reads and writes (LR too: one check
     * for every atomic kind, as above). */
    if (__atomic_load_n(&gdb_nwp, __ATOMIC_RELAXED)) {
        gdb_watch_check(cpu, va, size, MEM_WRITE);
        gdb_watch_check(cpu, va, size, MEM_READ);
    }
    if ((e->tag[MEM_WRITE] & ~(uint64_t)TLB_F_WATCH) != (va & TLB_PAGE_MASK))
        access_fault(cpu, va, MEM_WRITE);
    code_check(t, e);
    return (void *)(uintptr_t)(va + e->addend);
}

const MemOps tlb_softmmu_ops = {
    .fetch = sm_fetch,
    .load = sm_load,
    .store = sm_store,
    .atomic_ptr = sm_atomic_ptr,
};
