/* SPDX-License-Identifier: MIT */
/* JIT internals shared by the tier manager, the code cache, the exec loop and
 * the host backend: blocks, exits, the per-vCPU jump cache, the code pool, the
 * calling convention between generated code and C. */
#ifndef JIT_INT_H
#define JIT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vm/arch.h"
#include "vm/cpu.h"
#include "vm/ir.h"

#define jit_likely(x) __builtin_expect(!!(x), 1)
#define jit_unlikely(x) __builtin_expect(!!(x), 0)

/* -- Generated-code conventions ----------------------------------------------------
 * Pinned host registers while guest code runs (backend/x86_64):
 *   rbx  CpuState *           r12  JitVcpu * (jump cache at offset 0)
 *   r14  guest_base           r15  fast-access limit (JitVcpu.fastlim)
 * Generated code returns to jit_enter's caller with rax = a JitExit * (a
 * direct exit not chained yet) or one of JIT_RET_*, cpu->pc set. */
enum {
    JIT_RET_NOCHAIN = 1,   /* look up cpu->pc afresh (nochain exit, dead block, indirect miss) */
    JIT_RET_INTERRUPT = 2, /* exit_request seen at a block entry */
    JIT_RET_MAX = 16,
};

/* Frame of generated code (rsp-relative, see x64_gen.c). */
#define JIT_FRAME_SAVE 0          /* 8 slots: caller-saved registers around calls */
#define JIT_FRAME_MXCSR 64        /* stmxcsr scratch */
#define JIT_FRAME_SPILL 128       /* spill slots from here */
#define JIT_SPILL_SLOTS 8192
#define JIT_FRAME_SIZE (JIT_FRAME_SPILL + 8 * JIT_SPILL_SLOTS + 8) /* = 8 mod 16 */

/* -- Blocks -------------------------------------------------------------------------- */

struct JitBlock;

/* A block's membership in the page index (cache.c): the list of blocks whose
 * code lies on one guest page (physical in system mode, virtual in user mode),
 * so that invalidating a page visits only its blocks. Only under the lock. */
typedef struct JitPageLink {
    struct JitPageLink *next, **pprev; /* pprev NULL: not linked */
    struct JitBlock *blk;
    uint64_t page;                     /* page address (low 12 bits clear) */
} JitPageLink;

/* A direct exit (goto / goto_cond). site = the rel32 displacement of its jump,
 * initially aimed at its stub (which returns this record); chaining points it
 * at the successor's code. */
typedef struct JitExit {
    struct JitBlock *from;
    uint64_t pc;
    uint8_t *site;
} JitExit;

typedef struct JitBlock {
    uint64_t pc, flags;               /* cache key */
    uint64_t ppc;                     /* cache key, system mode: physical address of pc (else 0) */
    struct JitBlock *hnext;           /* hash chain */
    struct JitBlock *anext;           /* list of every block (for flush) */
    uint64_t guest_start, guest_end;  /* guest code covered (system mode, code on two pages: the
                                       * part on the first page; ppc2 is the rest) */
    uint8_t *code;                    /* entry */
    uint8_t *entry_site;              /* rel32 of the entry jump (-> dead stub when invalid) */
    uint8_t *dead_stub;
    int32_t *counter;                 /* execution countdown (tier manager), or NULL */
    uint32_t hot_size, cold_size;     /* host bytes */
    uint8_t *cold;
    uint32_t nexits;
    uint8_t tier;
    bool dead;
    bool nocache;                     /* system mode, code on two pages: never chained nor in a jump cache */
    uint64_t ppc2;                    /* nocache: physical page of the second page, checked by every
                                       * jit_find before the block runs again (0: run once) */
    JitPageLink plink[2];             /* page index: the pages of the block's code (a user-mode
                                       * block over more pages: plink[0] on JitCache.wide) */
    JitExit exits[];
} JitBlock;

/* -- Per-vCPU data ---------------------------------------------------------------- */

#define JIT_JC_BITS 12
#define JIT_JC_SIZE (1u << JIT_JC_BITS)

typedef struct JitJcEntry {
    uint64_t pc, flags;
    const void *code;
    JitBlock *blk;
} JitJcEntry;
_Static_assert(sizeof(JitJcEntry) == 32, "generated code indexes the jump cache by << 5");

/* Per-vCPU event counters (summed by jit_print_stats; a vCPU's counts move to
 * jit_cache.retired when it is freed). n_entries and n_ind are counted by
 * generated code, and only when -d jit-stats was on at translation time. */
typedef struct JitVcpuStats {
    uint64_t n_entries;    /* block entries (generated code, -d jit-stats) */
    uint64_t n_ind;        /* indirect exits (generated code, -d jit-stats) */
    uint64_t n_xdirect;    /* system mode: direct exits to another page (same) */
    uint64_t n_dispatch;   /* entries from the dispatcher (jit_enter) */
    uint64_t n_unchained;  /* direct exits that came back to the dispatcher */
    uint64_t n_nochain;    /* nochain exits, dead blocks, indirect misses */
    uint64_t n_interrupts; /* exit_request seen at a block entry */
    uint64_t n_ind_lookups, n_ind_hits; /* helper lookups (jump cache / shared hash) */
    uint64_t n_xpage, n_xpage_hits;     /* system mode: indirect and cross-page exits the
                                         * in-code probe missed, looked up by the helper */
} JitVcpuStats;

typedef struct JitVcpu {
    JitJcEntry jc[JIT_JC_SIZE]; /* ORDER: first (generated code uses [r12 + idx]) */
    uint64_t fastlim;           /* guest addresses below this may be accessed directly */
    JitVcpuStats st;
    uint64_t jc_gen;
    IrBlock ir;
    CpuState *cpu;
    struct JitVcpu *next;       /* registry (flush waits for vCPUs in code) */
    volatile int in_code;
} JitVcpu;

#define JIT_VCPU_FASTLIM_OFF offsetof(JitVcpu, fastlim)
#define JIT_VCPU_NIND_OFF offsetof(JitVcpu, st.n_ind)
#define JIT_VCPU_NENTRIES_OFF offsetof(JitVcpu, st.n_entries)
#define JIT_VCPU_NXDIRECT_OFF offsetof(JitVcpu, st.n_xdirect)

/* -- Code cache (cache.c) ---------------------------------------------------------- */

/* Cache-wide counters, updated under JitCache.lock (tier_events excepted). */
typedef struct JitStats {
    uint64_t blocks[4], bytes[4];      /* per tier (1..3), since start */
    uint64_t links;                    /* direct exits patched to their successor */
    uint64_t flushes, invalidations, invalidated_blocks;
    uint64_t retranslations;           /* translations redone: an invalidation raced them */
    uint64_t tier_events;
} JitStats;

/* Invalidations remembered for translations in flight (see translate()). */
#define JIT_INVAL_RING 16

typedef struct JitCache {
    pthread_mutex_t lock;  /* translation, insertion, invalidation, flush */
    uint8_t *pool;         /* mmap'ed RWX region */
    size_t pool_size;
    uint8_t *head_end;     /* trampolines and constants live below */
    uint8_t *hot, *hot_end;    /* bump areas */
    uint8_t *cold, *cold_end;
    JitBlock **buckets;
    JitBlock *all;
    JitPageLink **pages;   /* page index: heads by hash of the page address */
    JitPageLink *wide;     /* blocks over more than two pages (user mode; normally none) */
    uint64_t gen;          /* bumped by every flush: jump caches are dropped */
    JitVcpu *vcpus;
    volatile int flush_pending;
    JitStats st;
    JitVcpuStats retired;  /* counters of vCPUs already freed */
    /* Every invalidation bumps inval_seq and records its range, so that a
     * translation that read guest code before it and is inserted after it can
     * tell that it may be stale (and translate again). */
    uint64_t inval_seq;
    struct { uint64_t start, end; } inval_ring[JIT_INVAL_RING];
} JitCache;

extern JitCache jit_cache;

/* Generated entry: runs code with the pinned registers set up; returns rax. */
typedef uintptr_t (*JitEnterFn)(CpuState *cpu, JitVcpu *v, const void *code);
extern JitEnterFn jit_enter;
extern uint8_t *jit_epilogue;           /* generated code jumps here with rax set */
extern const uint32_t *jit_mxcsr_table; /* [IrRound 0..3] MXCSR images, in the pool */

int jit_cache_init(size_t size);
JitBlock *jit_find(CpuState *cpu, JitVcpu *v, uint64_t pc, uint64_t flags);
/* Slow path of direct exit x (xc, flags: copies of *x and its block's flags
 * taken before leaving code at generation g): finds the successor, chains. */
JitBlock *jit_link(CpuState *cpu, JitVcpu *v, JitExit *x, const JitExit *xc, uint64_t flags,
                   uint64_t g);
void jit_invalidate(uint64_t start, uint64_t len);
/* Lock-free hash lookup (generated code's indirect miss path). */
JitBlock *jit_hash_lookup(uint64_t pc, uint64_t flags, uint64_t ppc);

/* System mode (soft MMU): blocks are keyed by the physical address of their
 * code too (processes map different code at the same va), chain only inside
 * their page, and indirect jumps look targets up through the TLB. */
static inline bool jit_sys_mode(const CpuState *cpu) { return !cpu->guest_base && cpu->tlb; }
static inline bool jit_same_page(uint64_t a, uint64_t b) { return ((a ^ b) & ~0xfffull) == 0; }

/* -- Tier manager (tier.c) ----------------------------------------------------------- */

typedef struct JitConfig {
    uint32_t cold, hot;   /* execution thresholds for L2 / L3 */
    bool adaptive;
    unsigned tiers;       /* 1..3 */
    size_t cache_size;    /* bytes of code pool */
} JitConfig;

extern JitConfig jit_config;

int jit_parse_options(const char *spec, char *err, size_t errlen);
/* Records one compilation (ns spent, host bytes) for tier `tier`. */
void jit_tier_note_compile(unsigned tier, uint64_t translate_ns, uint64_t gen_ns, size_t bytes);
/* Initial value of a new block's execution countdown (0 = no counter). */
int32_t jit_tier_initial_count(void);
/* Called by generated code when a block's countdown runs out. */
void jit_tier_hit(CpuState *cpu, JitBlock *b);
/* Adaptive tuning from code-pool pressure: called after each flush (a block
 * found no room in the pool). */
void jit_tier_adapt(void);
/* -d jit-stats / the monitor's `info jit` (declared in vm/engine.h). */
void jit_print_stats(FILE *f);

/* -- Runtime helpers called by generated code (helpers.c) --------------------------- */

const void *jit_helper_ind_lookup(CpuState *cpu, uint64_t pc, uint64_t flags);
/* System mode: the same through the TLB (no fault raised, no translation;
 * cpu->pc must already be pc: a NULL return goes to the dispatcher). */
const void *jit_helper_ind_lookup_sys(CpuState *cpu, uint64_t pc, uint64_t flags);
void jit_helper_fence_insn(CpuState *cpu);
uint64_t jit_helper_brev(uint64_t x, uint64_t w64);

/* -- Backend (backend/x86_64) ------------------------------------------------------- */

typedef struct JitCompile {
    const IrBlock *ir;
    JitBlock *blk;         /* exits[] sized by the caller (jit_count_exits) */
    uint8_t *hot, *hot_end, *cold, *cold_end;
    int32_t *counter;      /* countdown cell (in the pool) or NULL */
    bool stats;            /* -d jit-stats: count block entries and indirect exits */
    bool tlb_stats;        /* -d tlb-stats: count inline TLB hits (system mode) */
    bool sys;              /* system mode: indirect and cross-page exits look up by physical pc */
    bool trace;            /* -d exec/cpu: every exit returns to the dispatcher (no chaining,
                            * loop back edge or jump-cache jump), which logs each block */
    size_t hot_used, cold_used;
} JitCompile;

unsigned jit_count_exits(const IrBlock *ir);
/* 0, or -ENOSPC when the pool areas were too small (nothing is committed). */
int x64_compile(JitCompile *c);
/* Writes jit_enter, the epilogue and constants at buf; returns bytes used. */
size_t x64_gen_head(uint8_t *buf, size_t len);
/* Marks a block dead: its entry jumps to its dead stub. */
void x64_kill_block(JitBlock *b);
void x64_chain(JitExit *e, const void *target);
/* The guest pc of the direct guest access at host_pc, when it is in b's code
 * (a host fault there: generated code stores the pc only on slow paths). */
bool x64_fault_pc(const JitBlock *b, uintptr_t host_pc, uint64_t *pc);
/* Host support the templates rely on (lzcnt/tzcnt/popcnt; fma optional). */
bool x64_host_ok(void);

#endif
