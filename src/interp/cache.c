/* SPDX-License-Identifier: MIT */
/* The interpreter's shared block cache: a hash table keyed by (pc, tb_flags),
 * per-vCPU jump caches, chaining, and invalidation with deferred freeing. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp_int.h"
#include "vm/log.h"
#include "vm/tlb.h"

#define HASH_BITS 15
#define NBUCKETS (1u << HASH_BITS)
/* Past this many bytes of pre-decoded code the whole cache is dropped, the
 * simplest policy that bounds memory (QEMU does the same with its code buffer). */
#define CACHE_MAX_BYTES ((size_t)256 << 20)
#define PAGE_BITS 12
#define NPAGE_BUCKETS (1u << PAGE_BITS)
/* An invalidation over more pages than this walks the whole hash instead. */
#define INVAL_MAX_PAGES 64

/* -- Page index ------------------------------------------------------------------------
 * Every block in the hash is also on the list of each page its code lies on
 * (at most two: blocks end at a page boundary or straddle one instruction
 * over it; a user-mode block over more goes on `wide`), so that invalidating
 * a page, which system mode does on every store to a code page, visits that
 * page's blocks instead of the whole hash. Under the lock only. */
typedef struct IPageLink {
    struct IPageLink *next;
    IBlock *blk;
    uint64_t page; /* page address (low 12 bits clear) */
} IPageLink;

static IPageLink *page_heads[NPAGE_BUCKETS];
static IPageLink *wide;

/* Generation starts at 1 so a fresh exit (gen 0) never looks chained. */
ICache interp_cache = {.lock = PTHREAD_MUTEX_INITIALIZER, .gen = 1};

void interp_cache_init(void)
{
    interp_cache.buckets = calloc(NBUCKETS, sizeof(IBlock *));
    if (!interp_cache.buckets) abort(); /* out of host memory at start-up */
}

static inline unsigned hash_key(uint64_t pc, uint64_t flags)
{
    uint64_t h = (pc ^ (flags * 0xff51afd7ed558ccdull)) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> (64 - HASH_BITS));
}

static inline unsigned page_key(uint64_t page)
{
    return (unsigned)(((page >> 12) * 0x9e3779b97f4a7c15ull) >> (64 - PAGE_BITS));
}

/* Does b's code overlap [start, end)? The second page of a system-mode block
 * on two pages counts whole, as its mapping was checked per page. */
static bool block_overlaps(const IBlock *b, uint64_t start, uint64_t end)
{
    return (b->guest_start < end && start < b->guest_end) ||
           (b->ppc2 && b->ppc2 < end && start < b->ppc2 + 0x1000);
}

/* The lists b is on: n heads in h[] (with the page each link is for). */
static unsigned block_lists(const IBlock *b, IPageLink ***h, uint64_t *pg)
{
    uint64_t p0 = b->guest_start & ~0xfffull, p1 = (b->guest_end - 1) & ~0xfffull;
    if (b->ppc2) p1 = b->ppc2; /* system mode: guest_end was clipped to the first page */
    else if (p1 - p0 > 0x1000) {
        h[0] = &wide;
        pg[0] = p0;
        return 1;
    }
    h[0] = &page_heads[page_key(p0)];
    pg[0] = p0;
    if (p1 == p0) return 1;
    h[1] = &page_heads[page_key(p1)];
    pg[1] = p1;
    return 2;
}

static void index_add_locked(IBlock *b)
{
    IPageLink **h[2];
    uint64_t pg[2];
    unsigned n = block_lists(b, h, pg);
    for (unsigned i = 0; i < n; i++) {
        IPageLink *l = malloc(sizeof(*l));
        if (!l) abort(); /* out of host memory */
        *l = (IPageLink){.next = *h[i], .blk = b, .page = pg[i]};
        *h[i] = l;
    }
}

static void index_remove_locked(const IBlock *b)
{
    IPageLink **h[2];
    uint64_t pg[2];
    unsigned n = block_lists(b, h, pg);
    for (unsigned i = 0; i < n; i++) {
        for (IPageLink **pp = h[i], *l; (l = *pp); pp = &l->next) {
            if (l->blk == b) {
                *pp = l->next;
                free(l);
                break;
            }
        }
    }
}

static void index_clear_locked(void)
{
    for (unsigned i = 0; i <= NPAGE_BUCKETS; i++) {
        IPageLink **head = i < NPAGE_BUCKETS ? &page_heads[i] : &wide;
        for (IPageLink *l = *head, *n; l; l = n) {
            n = l->next;
            free(l);
        }
        *head = NULL;
    }
}

/* Lock-free: insertion publishes with a release store, removal leaves the
 * removed block's hnext intact and never frees while a vCPU may be here. */
static IBlock *hash_lookup(uint64_t pc, uint64_t flags, uint64_t ppc)
{
    IBlock *b = __atomic_load_n(&interp_cache.buckets[hash_key(pc, flags ^ ppc)], __ATOMIC_ACQUIRE);
    for (; b; b = __atomic_load_n(&b->hnext, __ATOMIC_ACQUIRE))
        if (b->pc == pc && b->flags == flags && b->ppc == ppc) return b;
    return NULL;
}

static void retire_locked(IBlock **pp, IBlock *b)
{
    __atomic_store_n(pp, b->hnext, __ATOMIC_RELEASE);
    b->rnext = interp_cache.retired;
    interp_cache.retired = b;
    interp_cache.live_bytes -= b->bytes;
}

/* Removes every block overlapping [start, end) (all when all is set). Returns
 * whether any went: only then do chains and jump caches need dropping. */
/* Retires b, found through the page index. */
static void retire_indexed_locked(IBlock *b)
{
    IBlock **pp = &interp_cache.buckets[hash_key(b->pc, b->flags ^ b->ppc)];
    while (*pp && *pp != b) pp = &(*pp)->hnext;
    if (!*pp) abort(); /* indexed but not in the hash: the index is corrupt */
    index_remove_locked(b);
    retire_locked(pp, b);
}

/* Retires the blocks on list *head that are on page (any page when page is
 * UINT64_MAX) and overlap [start, end). */
static bool remove_list_locked(IPageLink **head, uint64_t page, uint64_t start, uint64_t end)
{
    bool any = false;
    IPageLink *l = *head;
    while (l) {
        if ((page == UINT64_MAX || l->page == page) && block_overlaps(l->blk, start, end)) {
            /* Frees l and perhaps its neighbour (the block's other page in
             * the same bucket): walk again from the head. */
            retire_indexed_locked(l->blk);
            any = true;
            l = *head;
        } else {
            l = l->next;
        }
    }
    return any;
}

static bool remove_locked(uint64_t start, uint64_t end, bool all)
{
    bool any = false;
    uint64_t first = start & ~0xfffull, last = (end - 1) & ~0xfffull;
    if (!all && end > start && (last - first) >> 12 < INVAL_MAX_PAGES) {
        for (uint64_t p = first;; p += 0x1000) {
            any |= remove_list_locked(&page_heads[page_key(p)], p, start, end);
            if (p == last) break;
        }
        any |= remove_list_locked(&wide, UINT64_MAX, start, end);
    } else {
        for (unsigned i = 0; i < NBUCKETS; i++) {
            IBlock **pp = &interp_cache.buckets[i], *b;
            while ((b = *pp)) {
                if (all || block_overlaps(b, start, end)) {
                    if (!all) index_remove_locked(b);
                    retire_locked(pp, b);
                    any = true;
                } else {
                    pp = &b->hnext;
                }
            }
        }
        if (all) index_clear_locked();
    }
    if (any) __atomic_add_fetch(&interp_cache.gen, 1, __ATOMIC_RELEASE);
    if (all) interp_cache.nflushes++;
    return any;
}

/* Removal never frees: the block may be executing (a helper or fence.i asked
 * from inside it, or another vCPU is in it). Freeing happens in reclaim, at a
 * block boundary of the only vCPU inside exec(), or when none is. */
void interp_invalidate(uint64_t start, uint64_t len)
{
    pthread_mutex_lock(&interp_cache.lock);
    if (interp_cache.buckets) {
        uint64_t end = start + len;
        if (end < start) end = UINT64_MAX;
        remove_locked(start, end, len == 0);
    }
    pthread_mutex_unlock(&interp_cache.lock);
    vm_log(LOG_INTERP, LOG_TRACE, "interp: invalidate 0x%" PRIx64 "+0x%" PRIx64, start, len);
}

/* keep: the block the caller is about to run (it may have been retired by
 * another thread since it was found). */
static void reclaim(IBlock *keep, int max_active)
{
    if (!__atomic_load_n(&interp_cache.retired, __ATOMIC_RELAXED)) return;
    pthread_mutex_lock(&interp_cache.lock);
    if (__atomic_load_n(&interp_cache.active, __ATOMIC_SEQ_CST) <= max_active) {
        IBlock *b = interp_cache.retired, *kept = NULL;
        while (b) {
            IBlock *next = b->rnext;
            if (b == keep) {
                b->rnext = kept;
                kept = b;
            } else {
                free(b);
                interp_cache.nretired_freed++;
            }
            b = next;
        }
        interp_cache.retired = kept;
    }
    pthread_mutex_unlock(&interp_cache.lock);
}

void interp_reclaim_if_idle(void) { reclaim(NULL, 0); }

/* System mode (soft MMU): blocks are keyed by the physical address of their
 * code too, since processes map different code at the same va. 0 in user mode. */
static inline bool sys_mode(const CpuState *cpu) { return !cpu->guest_base && cpu->tlb; }

static IBlock *translate(CpuState *cpu, IVcpu *v, uint64_t pc, uint64_t flags, uint64_t ppc)
{
    /* Code fetch is not guest execution: a host fault here is a vm bug, not a
     * guest SIGSEGV (frontends turn unfetchable code into a raise). */
    int in_guest = cpu->in_guest;
    cpu->in_guest = 0;
    frontend_translate(cpu, &v->ir, pc);
    cpu->in_guest = in_guest;

    IBlock *b = interp_predecode(&v->ir);
    b->pc = pc;
    b->flags = flags;
    b->guest_start = pc;
    /* A block over no code (fetch fault -> raise) still covers its pc, so
     * mapping code there later invalidates it. */
    b->guest_end = pc + (v->ir.guest_size ? v->ir.guest_size : 1);
    if (b->guest_end < pc) b->guest_end = UINT64_MAX;
    b->ppc = ppc;
    if (sys_mode(cpu)) {
        /* Covered code by physical address, for invalidation on stores to it.
         * Code on two pages depends on two mappings: such a block (one
         * straddling instruction) is found only by find, which checks the
         * second page's mapping first (hot loops cross pages: running once
         * meant retranslating at every pass); without a second page it runs
         * once and is retired at once. */
        uint64_t size = v->ir.guest_size ? v->ir.guest_size : 1;
        b->guest_start = ppc;
        b->guest_end = ppc + size;
        if (((pc ^ (pc + size - 1)) & ~0xfffull) != 0) b->nocache = 1;
        /* The rest is on the page ppc2 maps (its own physical page). */
        if (b->nocache) b->guest_end = (ppc | 0xfffull) + 1;
        if (b->nocache && tlb_code_phys(cpu, (pc | 0xfffull) + 1, &b->ppc2)) {
            b->ppc2 = 0;
            pthread_mutex_lock(&interp_cache.lock);
            b->rnext = interp_cache.retired;
            interp_cache.retired = b;
            interp_cache.ntranslated++;
            pthread_mutex_unlock(&interp_cache.lock);
            return b;
        }
    }

    pthread_mutex_lock(&interp_cache.lock);
    IBlock *old = b->nocache ? NULL : hash_lookup(pc, flags, ppc);
    if (old) { /* another vCPU won the race */
        pthread_mutex_unlock(&interp_cache.lock);
        free(b);
        return old;
    }
    if (interp_cache.live_bytes + b->bytes > CACHE_MAX_BYTES) remove_locked(0, 0, true);
    IBlock **head = &interp_cache.buckets[hash_key(pc, flags ^ ppc)];
    b->hnext = *head;
    __atomic_store_n(head, b, __ATOMIC_RELEASE);
    index_add_locked(b);
    interp_cache.live_bytes += b->bytes;
    interp_cache.ntranslated++;
    pthread_mutex_unlock(&interp_cache.lock);
    vm_log(LOG_INTERP, LOG_TRACE,
           "interp: block 0x%" PRIx64 " flags 0x%" PRIx64 ": %u IR insns -> %u ops, %u slots",
           pc, flags, b->nirs, b->nops, b->nslots);
    return b;
}

static IBlock *find(CpuState *cpu, IVcpu *v, uint64_t pc, uint64_t flags)
{
    uint64_t ppc = 0;
    /* An unfetchable pc is the guest's instruction fault, raised here. */
    if (sys_mode(cpu) && tlb_code_phys(cpu, pc, &ppc)) cpu_raise(cpu, cpu->exception, cpu->fault_addr);
    uint64_t g = interp_gen();
    if (v->jc_gen != g) {
        memset(v->jc, 0, sizeof(v->jc));
        v->jc_gen = g;
    }
    unsigned h = interp_jc_hash(pc);
    IBlock *b = v->jc[h];
    if (b && b->pc == pc && b->flags == flags && b->ppc == ppc) return b;
    b = hash_lookup(pc, flags, ppc);
    if (b && b->nocache) {
        /* Code on two pages: valid while the second page maps where it did
         * (the newest such block comes first in its hash chain). */
        uint64_t p2;
        if (tlb_code_phys(cpu, (pc | 0xfffull) + 1, &p2) || p2 != b->ppc2) b = NULL;
    }
    if (!b) b = translate(cpu, v, pc, flags, ppc);
    if (!b->nocache) v->jc[h] = b;
    return b;
}

IBlock *interp_find(CpuState *cpu, IVcpu *v, uint64_t pc, uint64_t flags)
{
    IBlock *b = find(cpu, v, pc, flags);
    reclaim(b, 1);
    return b;
}

IBlock *interp_link(CpuState *cpu, IVcpu *v, IExit *e, const IBlock *from)
{
    uint64_t g = interp_gen();
    IBlock *n = find(cpu, v, e->pc, from->flags);
    if (n->nocache || from->nocache ||
        (sys_mode(cpu) && ((e->pc ^ from->pc) & ~0xfffull) != 0)) {
        reclaim(n, 1);
        return n;
    }
    /* Chain only if nothing was removed since the lookup began: then n is live
     * and stays valid until the generation moves on. */
    pthread_mutex_lock(&interp_cache.lock);
    if (interp_cache.gen == g) {
        e->next = n;
        __atomic_store_n(&e->gen, g, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&interp_cache.lock);
    reclaim(n, 1);
    return n;
}
