/* SPDX-License-Identifier: MIT */
/* IR interpreter internals: the pre-decoded block form, the handler list shared
 * by the pre-decoder and the threaded-code loop, the block cache and helpers. */
#ifndef INTERP_INT_H
#define INTERP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vm/arch.h"
#include "vm/cpu.h"
#include "vm/ir.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* -- Frame -------------------------------------------------------------------------
 * Every IR temp of a block owns one 64-bit slot of the per-vCPU frame (V128 two
 * consecutive slots: low word first). Value representation in a slot:
 *   I64/F64  the 64-bit value / bit pattern
 *   I32/F32  the 32-bit value / bit pattern ZERO-EXTENDED. Every handler writes
 *            I32 results zero-extended and reads I32 operands as their low 32
 *            bits; select/goto_cond test the whole slot, which the invariant
 *            makes equal to testing the low 32 bits.
 * Slot indices are 16-bit: a block may use at most INTERP_MAX_SLOTS slots, so
 * one frame of that size serves every block (pages never touched stay unmapped). */
#define INTERP_MAX_SLOTS 65536u

/* -- Handlers ------------------------------------------------------------------
 * One handler per (op, type, operand form). Names match IR ops where they can,
 * so the pre-decoder's tables come from the same lists. _ri = args[1] is a
 * constant held in IOp.imm; _set = the op fused with the `set` of its result
 * that follows it (the usual shape of a guest ALU instruction), IOp.c = the
 * register's byte offset. ORDER: a group's variants are found by offset from
 * its first (predecode.c); nothing else depends on the order. */
#define INTERP_BINOPS(X)                                                                       \
    X(add) X(sub) X(mul) X(mulhs) X(mulhu) X(mulhsu) X(divs) X(divu) X(rems) X(remu) X(and)   \
    X(or) X(xor) X(andn) X(orn) X(xnor) X(shl) X(shr) X(sar) X(rotl) X(rotr) X(smin)         \
    X(smax) X(umin) X(umax) X(carry_add) X(ovf_add) X(ovf_sub)

#define INTERP_UNOPS(X)                                                                        \
    X(not) X(neg) X(clz) X(ctz) X(cpop) X(bswap) X(brev) X(sext8) X(sext16) X(sext32)          \
    X(zext8) X(zext16) X(zext32) X(parity)

#define INTERP_TERNOPS(X) X(carry_adc) X(borrow_sbb) X(ovf_adc) X(ovf_sbb)

/* (IrCond, handler suffix) */
#define INTERP_CONDS(X)                                                                        \
    X(EQ, eq) X(NE, ne) X(LT, lt) X(GE, ge) X(LE, le) X(GT, gt) X(LTU, ltu) X(GEU, geu)        \
    X(LEU, leu) X(GTU, gtu) X(TSTEQ, tsteq) X(TSTNE, tstne)

/* Everything else, one handler each. */
#define INTERP_MISC(X)                                                                         \
    X(movi) X(mov) X(mov2) X(insn_start)                                                       \
    X(get32) X(get64) X(get128) X(set32) X(set64) X(set128) X(set32i) X(set64i)                \
    X(extu) X(exts) X(trunc)                                                                   \
    X(extract_i32) X(extract_i64) X(sextract_i32) X(sextract_i64) X(deposit_i32)               \
    X(deposit_i64) X(select) X(select2)                                                        \
    X(ld8u) X(ld8s_32) X(ld8s_64) X(ld16u) X(ld16s_32) X(ld16s_64) X(ld32u) X(ld32s_64)        \
    X(ld64) X(ld16u_be) X(ld16s_32_be) X(ld16s_64_be) X(ld32u_be) X(ld32s_64_be) X(ld64_be)    \
    X(st8) X(st16) X(st32) X(st64) X(st16_be) X(st32_be) X(st64_be)                            \
    X(ld_slow) X(st_slow) X(ld128) X(st128)                                                    \
    X(lr) X(sc) X(cas) X(rmw) X(fence) X(fence_insn)                                           \
    X(fadd) X(fsub) X(fmul) X(fdiv) X(fsqrt) X(fma) X(fmin) X(fmax) X(fcmp) X(fclass)          \
    X(fcvt_f2i) X(fcvt_i2f) X(fcvt_f2f) X(fround)                                              \
    X(vec) X(vdup) X(vextract) X(vinsert)                                                      \
    X(call0) X(call1) X(call2) X(call3) X(call4)                                               \
    X(goto) X(goto_nochain) X(goto_cond) X(goto_ind) X(goto_ind_nochain) X(raise)

enum {
#define H_BIN(n)                                                                               \
    H_##n##_i32, H_##n##_i64, H_##n##_i32_ri, H_##n##_i64_ri, H_##n##_i32_set, H_##n##_i64_set, \
        H_##n##_i32_ri_set, H_##n##_i64_ri_set,
#define H_UN(n) H_##n##_i32, H_##n##_i64,
#define H_CC(C, c)                                                                             \
    H_set##c##_i32, H_set##c##_i64, H_set##c##_i32_ri, H_set##c##_i64_ri, H_br##c##_i32,       \
        H_br##c##_i64, H_br##c##_i32_ri, H_br##c##_i64_ri,
#define H_M(n) H_##n,
    INTERP_BINOPS(H_BIN) INTERP_UNOPS(H_UN) INTERP_TERNOPS(H_UN) INTERP_CONDS(H_CC)
        INTERP_MISC(H_M)
#undef H_BIN
#undef H_UN
#undef H_CC
#undef H_M
    H_COUNT
};

/* -- Pre-decoded form ------------------------------------------------------------ */

/* One pre-decoded operation: 32 bytes, two per cache line. Field use per handler
 * is documented at the handler (interp.c) and its pre-decode case. */
typedef struct IOp {
    const void *h;      /* computed-goto label of the handler */
    uint16_t d, a, b, c; /* frame slots: dst, args */
    uint32_t aux, aux2;  /* small parameters (exit index, lane, types, rm, ...) */
    uint64_t imm;        /* constant operand, guest pc, memop, helper pointer */
} IOp;
_Static_assert(sizeof(IOp) == 32, "IOp layout");

struct IBlock;

/* A direct exit (goto / goto_cond). `next` is the chained successor, valid only
 * while `gen` equals the cache generation: any invalidation bumps the generation,
 * which unchains every exit at once without back-pointers. */
typedef struct IExit {
    uint64_t pc;
    struct IBlock *next;
    uint64_t gen;
} IExit;

typedef struct IBlock {
    uint64_t pc, flags;       /* cache key */
    uint64_t ppc;             /* cache key, system mode: physical address of pc (else 0) */
    uint32_t nocache;         /* system mode, code on two pages: never chained nor in a jump cache */
    uint64_t ppc2;            /* nocache: physical page of the second page, checked by every find
                               * before the block runs again (0: run once, retired at once) */
    struct IBlock *hnext;     /* hash chain */
    struct IBlock *rnext;     /* retired list */
    uint64_t guest_start, guest_end; /* guest code covered, for invalidate */
    size_t bytes;
    uint32_t nops, nexits, nslots, nirs;
    IExit *exits;
    IOp ops[];
} IBlock;

/* -- Per-vCPU data (cpu->engine) ----------------------------------------------------- */

#define INTERP_JC_BITS 12
#define INTERP_JC_SIZE (1u << INTERP_JC_BITS)

typedef struct IVcpu {
    uint64_t *frame;              /* INTERP_MAX_SLOTS + 2 slots */
    IrBlock ir;                   /* scratch block for frontend_translate */
    uint64_t jc_gen;              /* generation the jump cache is valid for */
    struct IBlock *jc[INTERP_JC_SIZE]; /* indirect-target cache by pc */
} IVcpu;

static inline unsigned interp_jc_hash(uint64_t pc)
{
    return (unsigned)((pc >> 2) ^ (pc >> (2 + INTERP_JC_BITS))) & (INTERP_JC_SIZE - 1);
}

/* -- Shared block cache (cache.c) --------------------------------------------------- */

typedef struct ICache {
    pthread_mutex_t lock;  /* insertion, removal, linking, reclamation */
    uint64_t gen;          /* bumped by every invalidation that removed a block */
    int active;            /* vCPUs inside exec(): reclamation waits for 1 */
    IBlock **buckets;
    IBlock *retired;       /* removed blocks not yet freed (may still execute) */
    size_t live_bytes;
    uint64_t ntranslated, nflushes, nretired_freed;
} ICache;

extern ICache interp_cache;
extern const void *const *interp_handlers;

static inline uint64_t interp_gen(void) { return __atomic_load_n(&interp_cache.gen, __ATOMIC_ACQUIRE); }

/* Finds or translates the block for (pc, flags); fills the jump cache. */
IBlock *interp_find(CpuState *cpu, IVcpu *v, uint64_t pc, uint64_t flags);
/* Slow path of a direct exit e of block from: finds or translates the successor
 * (under from's flags) and chains it into e. System mode chains only inside
 * from's page, whose mapping cannot change without a NOCHAIN exit. */
IBlock *interp_link(CpuState *cpu, IVcpu *v, IExit *e, const IBlock *from);
void interp_cache_init(void);
void interp_invalidate(uint64_t start, uint64_t len);
/* Frees retired blocks when no vCPU is inside exec(). */
void interp_reclaim_if_idle(void);

/* -- Pre-decoder (predecode.c) ---------------------------------------------------------- */

IBlock *interp_predecode(const IrBlock *ir);

/* -- Run loop (interp.c) ------------------------------------------------------------- */

/* interp_run(NULL, NULL) publishes the handler table; otherwise runs blocks
 * from cpu->pc until an exit request (returns EXCP_INTERRUPT); faults leave
 * by cpu_raise. */
int interp_run(CpuState *cpu, IVcpu *v);

/* -- Slow helpers (helpers.c) ------------------------------------------------------- */

uint64_t interp_ld(CpuState *cpu, uint64_t addr, unsigned mo, bool dst64);
void interp_st(CpuState *cpu, uint64_t addr, uint64_t val, unsigned mo);
void interp_ld128(CpuState *cpu, uint64_t addr, unsigned mo, uint64_t *out);
void interp_st128(CpuState *cpu, uint64_t addr, unsigned mo, const uint64_t *in);
uint64_t interp_lr(CpuState *cpu, uint64_t addr, unsigned mo, bool dst64);
uint64_t interp_sc(CpuState *cpu, uint64_t addr, uint64_t val, unsigned mo);
uint64_t interp_cas(CpuState *cpu, uint64_t addr, uint64_t expect, uint64_t nv, unsigned mo,
                    bool dst64);
uint64_t interp_rmw(CpuState *cpu, uint64_t addr, uint64_t val, unsigned mo, unsigned op,
                    bool dst64);

/* Vector op bodies (vec.c), selected per (op, element size) at pre-decode;
 * IOp.imm holds the function, which reads slot pairs F[ip->a], F[ip->b],
 * F[ip->c] and writes F[ip->d]. NULL when op is not such a vector op. */
typedef void (*IVecFn)(CpuState *cpu, uint64_t *F, const IOp *ip);
IVecFn interp_vec_fn(IrOp op, unsigned esize_log2);
void interp_vdup(uint64_t *d, uint64_t s, unsigned esize_log2);
uint64_t interp_vextract(const uint64_t *a, unsigned esize_log2, unsigned lane);
void interp_vinsert(uint64_t *d, const uint64_t *a, uint64_t s, unsigned esize_log2,
                    unsigned lane);

#endif
