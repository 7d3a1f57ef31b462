/* SPDX-License-Identifier: MIT */
/* The shared code cache: one RWX pool for every vCPU (hot and cold areas bumped
 * upward), the block hash keyed by (pc, tb_flags) with lock-free lookup,
 * translation under the lock, chaining, invalidation and the full flush. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "jit/jit_int.h"
#include "vm/disas.h"
#include "vm/log.h"
#include "vm/opt.h"
#include "vm/tlb.h"

#define HASH_BITS 15
#define NBUCKETS (1u << HASH_BITS)
#define PAGE_BITS 12
#define NPAGE_BUCKETS (1u << PAGE_BITS)
/* An invalidation over more pages than this walks every block instead. */
#define INVAL_MAX_PAGES 64
#define HEAD_SIZE 4096
/* Largest code one block may need; a block that does not fit triggers a flush. */
#define BLOCK_MAX_HOT (256 * 1024)
#define BLOCK_MAX_COLD (256 * 1024)

JitCache jit_cache = {.lock = PTHREAD_MUTEX_INITIALIZER, .gen = 1};
JitEnterFn jit_enter;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

/* -- Page index ------------------------------------------------------------------------
 * Every block in the hash is also on the list of each page its code lies on
 * (at most two: blocks end at a page boundary or straddle one instruction
 * over it), so that invalidating a page, which system mode does on every
 * store to a code page, visits that page's blocks instead of the whole hash.
 * Under the lock only; the lock-free lookup never looks at it. */

static void page_link(JitPageLink **head, JitPageLink *l, JitBlock *b, uint64_t page)
{
    l->blk = b;
    l->page = page;
    l->next = *head;
    if (l->next) l->next->pprev = &l->next;
    l->pprev = head;
    *head = l;
}

static void page_unlink(JitPageLink *l)
{
    if (!l->pprev) return;
    *l->pprev = l->next;
    if (l->next) l->next->pprev = l->pprev;
    l->pprev = NULL;
    l->next = NULL;
}

/* Does b's code overlap [start, end)? The second page of a system-mode block
 * on two pages counts whole, as its mapping was checked per page. */
static bool block_overlaps(const JitBlock *b, uint64_t start, uint64_t end)
{
    return (b->guest_start < end && start < b->guest_end) ||
           (b->ppc2 && b->ppc2 < end && start < b->ppc2 + 0x1000);
}

static void index_block_locked(JitBlock *b)
{
    JitCache *c = &jit_cache;
    uint64_t p0 = b->guest_start & ~0xfffull, p1 = (b->guest_end - 1) & ~0xfffull;
    if (b->ppc2) {
        /* System mode: guest_end was clipped to the first page. */
        page_link(&c->pages[page_key(p0)], &b->plink[0], b, p0);
        page_link(&c->pages[page_key(b->ppc2)], &b->plink[1], b, b->ppc2);
    } else if (p1 - p0 > 0x1000) {
        page_link(&c->wide, &b->plink[0], b, p0);
    } else {
        page_link(&c->pages[page_key(p0)], &b->plink[0], b, p0);
        if (p1 != p0) page_link(&c->pages[page_key(p1)], &b->plink[1], b, p1);
    }
}

/* Takes b out of the hash and the page index: its entry becomes a jump to its
 * dead stub (so chained jumps and jump-cache entries into it fall back to the
 * dispatcher). The hash unlink leaves b->hnext intact for lock-free readers
 * walking past b. */
static void kill_block_locked(JitBlock *b)
{
    JitBlock **pp = &jit_cache.buckets[hash_key(b->pc, b->flags ^ b->ppc)];
    while (*pp && *pp != b) pp = &(*pp)->hnext;
    if (*pp) __atomic_store_n(pp, b->hnext, __ATOMIC_RELEASE);
    page_unlink(&b->plink[0]);
    page_unlink(&b->plink[1]);
    b->dead = true;
    x64_kill_block(b);
}

/* Kills the blocks on list *head that are on page (any page when page is
 * UINT64_MAX) and overlap [start, end); returns how many. */
static uint64_t kill_list_locked(JitPageLink **head, uint64_t page, uint64_t start, uint64_t end)
{
    uint64_t n = 0;
    for (JitPageLink *l = *head, *next; l; l = next) {
        JitBlock *b = l->blk;
        next = l->next;
        if ((page != UINT64_MAX && l->page != page) || !block_overlaps(b, start, end)) continue;
        /* b's other link may come next (both pages in one bucket): skip it,
         * kill_block_locked takes it off this list too. */
        while (next && next->blk == b) next = next->next;
        kill_block_locked(b);
        n++;
    }
    return n;
}

/* Splits the pool after the head: 3/4 hot, 1/4 cold. */
static void reset_areas(void)
{
    JitCache *c = &jit_cache;
    size_t rest = (size_t)(c->pool + c->pool_size - c->head_end);
    c->hot = c->head_end;
    c->hot_end = c->cold = c->head_end + (rest / 4) * 3;
    c->cold_end = c->pool + c->pool_size;
}

int jit_cache_init(size_t size)
{
    JitCache *c = &jit_cache;
    if (c->pool) return 0;
    if (size < (size_t)4 << 20) size = (size_t)4 << 20;
    /* Generated code reaches everything in the pool with rel32. */
    if (size > (size_t)1 << 30) size = (size_t)1 << 30;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -errno;
    c->buckets = calloc(NBUCKETS, sizeof(JitBlock *));
    c->pages = calloc(NPAGE_BUCKETS, sizeof(JitPageLink *));
    if (!c->buckets || !c->pages) {
        free(c->buckets);
        free(c->pages);
        c->buckets = NULL;
        c->pages = NULL;
        munmap(p, size);
        return -ENOMEM;
    }
    c->pool = p;
    c->pool_size = size;
    size_t n = x64_gen_head(c->pool, HEAD_SIZE);
    if (!n) abort();
    c->head_end = c->pool + HEAD_SIZE;
    reset_areas();
    return 0;
}

JitBlock *jit_hash_lookup(uint64_t pc, uint64_t flags, uint64_t ppc)
{
    JitBlock *b = __atomic_load_n(&jit_cache.buckets[hash_key(pc, flags ^ ppc)], __ATOMIC_ACQUIRE);
    for (; b; b = __atomic_load_n(&b->hnext, __ATOMIC_ACQUIRE))
        if (b->pc == pc && b->flags == flags && b->ppc == ppc) return b;
    return NULL;
}

/* -- Flush -----------------------------------------------------------------------------
 * Resets the whole pool. Only safe when no vCPU executes generated code: the
 * caller holds the lock and is itself outside generated code; others are asked
 * to leave (exit_request) and waited for. */
static void flush_locked(void)
{
    JitCache *c = &jit_cache;
    /* ORDER: flush_pending store, then in_code loads; the dispatcher stores
     * in_code, then loads flush_pending (jit_exec). Both sides need a full
     * barrier between their store and their load (store-buffer litmus test:
     * x86 lets a load pass an older store, SDM vol. 3, 9.2.3.4), else both
     * can read the other's old value: the flusher sees the vCPU outside code
     * while the vCPU sees no flush, enters a block and runs code that the
     * flush frees and overwrites. */
    __atomic_store_n(&c->flush_pending, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        bool busy = false;
        for (JitVcpu *v = c->vcpus; v; v = v->next) {
            if (__atomic_load_n(&v->in_code, __ATOMIC_SEQ_CST)) {
                busy = true;
                v->cpu->exit_request = 1;
            }
        }
        if (!busy) break;
        /* Others may need the lock to get out (fence.i): let them have it. */
        pthread_mutex_unlock(&c->lock);
        sched_yield();
        pthread_mutex_lock(&c->lock);
        /* Meanwhile another vCPU may have taken the lock and flushed (its
         * translation found the pool full too), clearing flush_pending: set
         * it again before looking at in_code, or a vCPU could enter code
         * that this flush then frees. This was the -smp 2 Linux boot failure
         * under the JIT (fence.i then dropped every block, so both harts
         * filled the pool): OpenSBI's remote fence.i saw loads return 0 and
         * trapped in M-mode at kernel addresses; baremetal/smpjit-jit. */
        __atomic_store_n(&c->flush_pending, 1, __ATOMIC_SEQ_CST);
    }
    double fill = (double)((c->hot - c->head_end) + (c->cold - c->hot_end)) /
                  (double)(c->pool_size - HEAD_SIZE);
    memset(c->buckets, 0, NBUCKETS * sizeof(JitBlock *));
    memset(c->pages, 0, NPAGE_BUCKETS * sizeof(JitPageLink *));
    c->wide = NULL;
    for (JitBlock *b = c->all, *n; b; b = n) {
        n = b->anext;
        free(b);
    }
    c->all = NULL;
    reset_areas();
    __atomic_add_fetch(&c->gen, 1, __ATOMIC_SEQ_CST);
    c->st.flushes++;
    __atomic_store_n(&c->flush_pending, 0, __ATOMIC_RELEASE);
    jit_tier_adapt();
    vm_log(LOG_JIT, LOG_INFO, "jit: code cache flushed (%.0f%% full)", fill * 100);
}

/* -- Translation ---------------------------------------------------------------------------- */

static void log_out_asm(JitBlock *b)
{
    FILE *f = log_file ? log_file : stderr;
    fprintf(f, "OUT: [guest 0x%" PRIx64 "] %u+%u host bytes\n", b->pc, b->hot_size, b->cold_size);
    disas_host(b->code, b->hot_size, (uint64_t)(uintptr_t)b->code, f);
    fprintf(f, "  -- cold --\n");
    disas_host(b->cold, b->cold_size, (uint64_t)(uintptr_t)b->cold, f);
    fprintf(f, "\n");
}

/* Did an invalidation since sequence number seq0 cover b's code (both pages
 * of a block on two)? Called with the lock held. Too many to tell counts as
 * yes. */
static bool raced_invalidation_locked(uint64_t seq0, const JitBlock *b)
{
    JitCache *c = &jit_cache;
    if (c->inval_seq - seq0 > JIT_INVAL_RING) return true;
    for (uint64_t s = seq0; s != c->inval_seq; s++) {
        const uint64_t *r = &c->inval_ring[s % JIT_INVAL_RING].start;
        if (block_overlaps(b, r[0], r[1])) return true;
    }
    return false;
}

/* -d perfmap: perf's convention for JIT code (tools/perf/Documentation/
 * jit-interface.txt): "START SIZE NAME" lines in /tmp/perf-PID.map. Blocks
 * are named by guest pc; a flush reuses addresses and perf takes the last
 * name. Called under the cache lock. */
static void perfmap_note(const JitBlock *b)
{
    static FILE *f;
    static bool failed;
    if (failed) return;
    if (!f) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
        f = fopen(path, "w");
        if (!f) {
            failed = true;
            vm_warn("-d perfmap: cannot write %s: %s", path, strerror(errno));
            return;
        }
    }
    fprintf(f, "%" PRIxPTR " %x guest_%" PRIx64 "\n", (uintptr_t)b->code, b->hot_size, b->pc);
    if (b->cold_size)
        fprintf(f, "%" PRIxPTR " %x guest_%" PRIx64 "_cold\n", (uintptr_t)b->cold, b->cold_size, b->pc);
    fflush(f);
}

static JitBlock *translate(CpuState *cpu, JitVcpu *v, uint64_t pc, uint64_t flags, uint64_t ppc)
{
    JitCache *c = &jit_cache;
again:;
    /* An invalidation (a store to this code from another vCPU, fence.i)
     * between reading the guest code and inserting the block would be lost:
     * the block is not in the hash yet. Its sequence number tells. */
    uint64_t seq0 = __atomic_load_n(&c->inval_seq, __ATOMIC_ACQUIRE);
    uint64_t t0 = now_ns();
    /* Code fetch is not guest execution (see the interpreter's translate). */
    int in_guest = cpu->in_guest;
    cpu->in_guest = 0;
    frontend_translate(cpu, &v->ir, pc);
    cpu->in_guest = in_guest;
    /* User mode: guest memory is plain RAM, so byte-store runs may become one
     * wide store (src/opt/stmerge.c; a device would see the difference). */
    if (!jit_sys_mode(cpu) && !(v->ir.flags & CPU_TB_FLAG_DEBUG)) opt_merge_byte_stores(&v->ir);
    uint64_t t1 = now_ns();

    unsigned nexits = jit_count_exits(&v->ir);
    JitBlock *b = calloc(1, sizeof(JitBlock) + nexits * sizeof(JitExit));
    if (!b) abort();
    b->pc = pc;
    b->flags = flags;
    b->guest_start = pc;
    b->guest_end = pc + (v->ir.guest_size ? v->ir.guest_size : 1);
    if (b->guest_end < pc) b->guest_end = UINT64_MAX;
    b->tier = 1;
    b->ppc = ppc;
    bool sys = jit_sys_mode(cpu);
    if (sys) {
        /* Covered code by physical address, for invalidation on stores to it
         * (tlb_code_invalidate). Code on two pages depends on two mappings:
         * such a block (one straddling instruction) runs once, never cached. */
        uint64_t size = v->ir.guest_size ? v->ir.guest_size : 1;
        b->guest_start = ppc;
        b->guest_end = ppc + size;
        b->nocache = !jit_same_page(pc, pc + size - 1);
        /* The rest is on the page ppc2 maps (its own physical page). */
        if (b->nocache) b->guest_end = (ppc | 0xfffull) + 1;
        /* Such a block is still kept (Linux's hot loops cross pages: running
         * once meant retranslating one at every pass), found only by
         * jit_find, which checks the second page's mapping first. */
        if (b->nocache && tlb_code_phys(cpu, (pc | 0xfffull) + 1, &b->ppc2)) b->ppc2 = 0;
    }

    pthread_mutex_lock(&c->lock);
    if (raced_invalidation_locked(seq0, b)) {
        c->st.retranslations++;
        pthread_mutex_unlock(&c->lock);
        free(b);
        goto again;
    }
    JitBlock *old = b->nocache ? NULL : jit_hash_lookup(pc, flags, ppc);
    if (old) {
        pthread_mutex_unlock(&c->lock);
        free(b);
        return old;
    }
    int32_t init = jit_tier_initial_count();
    for (int attempt = 0;; attempt++) {
        JitCompile jc = {.ir = &v->ir, .blk = b, .stats = logd_enabled(LOGD_JIT_STATS), .sys = sys,
                         .tlb_stats = sys && logd_enabled(LOGD_TLB_STATS),
                         .trace = logd_enabled(LOGD_EXEC | LOGD_CPU)};
        uint8_t *hot = c->hot;
        if (init) {
            /* The countdown cell sits in the hot area just before the code. */
            hot = (uint8_t *)(((uintptr_t)hot + 3) & ~(uintptr_t)3);
            jc.counter = (int32_t *)(void *)hot;
            hot += 4;
        }
        jc.hot = hot;
        jc.hot_end = c->hot_end;
        jc.cold = c->cold;
        jc.cold_end = c->cold_end;
        if (jc.hot_end - jc.hot > BLOCK_MAX_HOT + 64 && jc.cold_end - jc.cold > BLOCK_MAX_COLD) {
            int r = x64_compile(&jc);
            if (r == 0) {
                if (jc.counter) *jc.counter = init;
                b->counter = jc.counter;
                b->hot_size = (uint32_t)jc.hot_used;
                b->cold = jc.cold;
                b->cold_size = (uint32_t)jc.cold_used;
                c->hot = jc.hot + jc.hot_used;
                c->cold = jc.cold + jc.cold_used;
                break;
            }
        }
        if (attempt) {
            vm_error("jit: block 0x%" PRIx64 " does not fit in an empty code cache", pc);
            abort();
        }
        flush_locked();
        memset(b->exits, 0, nexits * sizeof(JitExit));
    }
    b->anext = c->all;
    c->all = b;
    if (!b->nocache || b->ppc2) {
        JitBlock **head = &c->buckets[hash_key(pc, flags ^ ppc)];
        b->hnext = *head;
        __atomic_store_n(head, b, __ATOMIC_RELEASE);
        index_block_locked(b);
    }
    uint64_t t2 = now_ns();
    c->st.blocks[1]++;
    c->st.bytes[1] += b->hot_size + b->cold_size;
    jit_tier_note_compile(1, t1 - t0, t2 - t1, b->hot_size + b->cold_size);
    if (logd_enabled(LOGD_OUT_ASM)) log_out_asm(b);
    if (logd_enabled(LOGD_PERFMAP)) perfmap_note(b);
    pthread_mutex_unlock(&c->lock);
    vm_log(LOG_JIT, LOG_TRACE, "jit: block 0x%" PRIx64 ": %u IR insns -> %u+%u bytes", pc,
           v->ir.ninsns, b->hot_size, b->cold_size);
    return b;
}

static void jc_check_gen(JitVcpu *v)
{
    uint64_t g = __atomic_load_n(&jit_cache.gen, __ATOMIC_ACQUIRE);
    if (v->jc_gen != g) {
        for (unsigned i = 0; i < JIT_JC_SIZE; i++) v->jc[i] = (JitJcEntry){.pc = 1};
        v->jc_gen = g;
    }
}

static void jc_fill(JitVcpu *v, JitBlock *b)
{
    if (b->nocache) return;
    JitJcEntry *e = &v->jc[(b->pc >> 1) & (JIT_JC_SIZE - 1)];
    e->pc = 1; /* never matches while being rewritten */
    e->flags = b->flags;
    e->code = b->code;
    e->blk = b;
    e->pc = b->pc;
}

JitBlock *jit_find(CpuState *cpu, JitVcpu *v, uint64_t pc, uint64_t flags)
{
    uint64_t ppc = 0;
    /* An unfetchable pc is the guest's instruction fault, raised here (the
     * dispatcher is outside generated code: cpu_raise reaches jit_exec). */
    if (jit_sys_mode(cpu) && tlb_code_phys(cpu, pc, &ppc)) cpu_raise(cpu, cpu->exception, cpu->fault_addr);
    jc_check_gen(v);
    uint64_t g = v->jc_gen;
    JitJcEntry *e = &v->jc[(pc >> 1) & (JIT_JC_SIZE - 1)];
    if (e->pc == pc && e->flags == flags && e->blk->ppc == ppc && !e->blk->dead) return e->blk;
    JitBlock *b = jit_hash_lookup(pc, flags, ppc);
    if (b && b->nocache) {
        /* Code on two pages: valid while the second page maps where it did
         * (the newest such block comes first in its hash chain). */
        uint64_t p2;
        if (tlb_code_phys(cpu, (pc | 0xfffull) + 1, &p2) || p2 != b->ppc2) b = NULL;
    }
    if (!b) b = translate(cpu, v, pc, flags, ppc);
    /* A flush since g (this vCPU's translation, or another vCPU's while the
     * lookup ran) may have freed b: the jump cache must not keep it under
     * the new generation, where nothing would drop it and generated code or
     * the next lookup would jump into reused code. The dispatcher's
     * generation check keeps b itself from running. */
    jc_check_gen(v);
    if (v->jc_gen == g) jc_fill(v, b);
    return b;
}

JitBlock *jit_link(CpuState *cpu, JitVcpu *v, JitExit *x, const JitExit *xc, uint64_t flags,
                   uint64_t g)
{
    /* xc, flags: a copy of *x and its block's flags taken in code; x and its
     * block are only touched under the lock and if no flush happened since
     * (generation g). */
    JitBlock *n = jit_find(cpu, v, xc->pc, flags);
    pthread_mutex_lock(&jit_cache.lock);
    JitBlock *from = xc->from;
    /* Chain only when the source block survived (no flush since it ran) and
     * both are live; a later invalidation of n switches n's entry to its dead
     * stub, which keeps this jump correct without unchaining it. System mode
     * chains only inside from's page, whose mapping cannot change without a
     * nochain exit; blocks on two pages are never chained. */
    if (jit_cache.gen == g && !from->dead && !n->dead && xc->site && !from->nocache && !n->nocache &&
        (!jit_sys_mode(cpu) || jit_same_page(xc->pc, from->pc))) {
        x64_chain(x, n->code);
        jit_cache.st.links++;
    }
    pthread_mutex_unlock(&jit_cache.lock);
    return n;
}

/* Removes blocks overlapping [start, end) (all when len is 0): see
 * kill_block_locked. Code memory is reclaimed by the next flush. A range of a
 * few pages (system mode: one page per store to code) visits the page index;
 * a larger one (user mode: munmap, len 0) walks every block. */
void jit_invalidate(uint64_t start, uint64_t len)
{
    JitCache *c = &jit_cache;
    pthread_mutex_lock(&c->lock);
    if (c->buckets) {
        uint64_t end = start + len;
        if (end < start || len == 0) end = UINT64_MAX;
        uint64_t n = 0, first = start & ~0xfffull, last = (end - 1) & ~0xfffull;
        if ((last - first) >> 12 < INVAL_MAX_PAGES) {
            for (uint64_t p = first;; p += 0x1000) {
                n += kill_list_locked(&c->pages[page_key(p)], p, start, end);
                if (p == last) break;
            }
            n += kill_list_locked(&c->wide, UINT64_MAX, start, end);
        } else {
            /* Only blocks in the hash are on the index; dead ones and those
             * that ran once are in neither. */
            for (JitBlock *b = c->all; b; b = b->anext) {
                if (b->plink[0].pprev && block_overlaps(b, start, end)) {
                    kill_block_locked(b);
                    n++;
                }
            }
        }
        c->st.invalidations++;
        c->st.invalidated_blocks += n;
        c->inval_ring[c->inval_seq % JIT_INVAL_RING].start = start;
        c->inval_ring[c->inval_seq % JIT_INVAL_RING].end = end;
        __atomic_store_n(&c->inval_seq, c->inval_seq + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&c->lock);
    vm_log(LOG_JIT, LOG_TRACE, "jit: invalidate 0x%" PRIx64 "+0x%" PRIx64, start, len);
}
