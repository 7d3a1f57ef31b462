/* SPDX-License-Identifier: MIT */
/* The IR interpreter: threaded code over pre-decoded blocks (one computed-goto
 * handler per op/type/operand form), block chaining, and the Engine glue. This
 * file is the executable reference for what every IR op means. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp_int.h"
#include "vm/engine.h"
#include "vm/fp.h"
#include "vm/log.h"
#include "vm/tlb.h"

/* -- Integer semantics ------------------------------------------------------------
 * Each op is written once over U (unsigned), S (signed), W (width) and the
 * double-width UD/SD, then instantiated for I32 and I64. */

#define WIDTH_TYPES_32 typedef uint32_t U; typedef int32_t S; typedef uint64_t UD; \
    typedef int64_t SD; enum { W = 32 }; TYPES_USED
#define WIDTH_TYPES_64 typedef uint64_t U; typedef int64_t S; \
    typedef unsigned __int128 UD; typedef __int128 SD; enum { W = 64 }; TYPES_USED
#define TYPES_USED (void)sizeof(U); (void)sizeof(S); (void)sizeof(UD); (void)sizeof(SD)

#define DEF_BIN(name, expr)                                                                    \
    static inline uint64_t op_##name##_32(uint32_t a, uint32_t b)                              \
    {                                                                                          \
        WIDTH_TYPES_32;                                                                        \
        return (U)(expr);                                                                      \
    }                                                                                          \
    static inline uint64_t op_##name##_64(uint64_t a, uint64_t b)                              \
    {                                                                                          \
        WIDTH_TYPES_64;                                                                        \
        return (U)(expr);                                                                      \
    }
#define DEF_UN(name, expr) DEF_BIN(name, ((void)b, (expr)))
#define DEF_TERN(name, expr)                                                                   \
    static inline uint64_t op_##name##_32(uint32_t a, uint32_t b, uint32_t c)                  \
    {                                                                                          \
        WIDTH_TYPES_32;                                                                        \
        return (U)(expr);                                                                      \
    }                                                                                          \
    static inline uint64_t op_##name##_64(uint64_t a, uint64_t b, uint64_t c)                  \
    {                                                                                          \
        WIDTH_TYPES_64;                                                                        \
        return (U)(expr);                                                                      \
    }

#define SMIN_OF ((S)((U)1 << (W - 1)))
#define SHC(b) ((b) & (W - 1)) /* shift counts are taken modulo the width */

static inline uint64_t brev64(uint64_t x)
{
    x = __builtin_bswap64(x);
    x = ((x & 0x0f0f0f0f0f0f0f0full) << 4) | ((x >> 4) & 0x0f0f0f0f0f0f0f0full);
    x = ((x & 0x3333333333333333ull) << 2) | ((x >> 2) & 0x3333333333333333ull);
    x = ((x & 0x5555555555555555ull) << 1) | ((x >> 1) & 0x5555555555555555ull);
    return x;
}

DEF_BIN(add, a + b)
DEF_BIN(sub, a - b)
DEF_BIN(mul, (U)((UD)a * b))
DEF_BIN(mulhs, ((SD)(S)a * (SD)(S)b) >> W)
DEF_BIN(mulhu, ((UD)a * (UD)b) >> W)
DEF_BIN(mulhsu, ((SD)(S)a * (SD)(UD)b) >> W)
/* x/0 = -1, MIN/-1 = MIN (no host trap), x%0 = x, x%-1 = 0 (covers MIN%-1). */
DEF_BIN(divs, b == 0 ? (U)-1 : ((S)a == SMIN_OF && (S)b == -1) ? a : (U)((S)a / (S)b))
DEF_BIN(divu, b == 0 ? (U)-1 : a / b)
DEF_BIN(rems, b == 0 ? a : (S)b == -1 ? 0 : (U)((S)a % (S)b))
DEF_BIN(remu, b == 0 ? a : a % b)
DEF_BIN(and, a & b)
DEF_BIN(or, a | b)
DEF_BIN(xor, a ^ b)
DEF_BIN(andn, a & ~b)
DEF_BIN(orn, a | ~b)
DEF_BIN(xnor, ~(a ^ b))
DEF_BIN(shl, a << SHC(b))
DEF_BIN(shr, a >> SHC(b))
DEF_BIN(sar, (S)a >> SHC(b))
DEF_BIN(rotl, (U)(a << SHC(b)) | (a >> SHC(-b)))
DEF_BIN(rotr, (a >> SHC(b)) | (U)(a << SHC(-b)))
DEF_BIN(smin, (S)a < (S)b ? a : b)
DEF_BIN(smax, (S)a > (S)b ? a : b)
DEF_BIN(umin, a < b ? a : b)
DEF_BIN(umax, a > b ? a : b)
DEF_BIN(carry_add, (U)(a + b) < a)
DEF_BIN(ovf_add, ((a ^ (U)(a + b)) & (b ^ (U)(a + b))) >> (W - 1))
DEF_BIN(ovf_sub, ((a ^ b) & (a ^ (U)(a - b))) >> (W - 1))

/* c is 0/1 (only its low bit is used). The sum/difference are exact in UD, so
 * carry/borrow read the bit above the width; signed overflow is the usual
 * "operands agree in sign, result does not" test, exact for a carry-in too. */
DEF_TERN(carry_adc, ((UD)a + b + (c & 1)) >> W)
DEF_TERN(borrow_sbb, ((UD)a - b - (c & 1)) >> W & 1)
DEF_TERN(ovf_adc, ((a ^ (U)(a + b + (c & 1))) & (b ^ (U)(a + b + (c & 1)))) >> (W - 1))
DEF_TERN(ovf_sbb, ((a ^ b) & (a ^ (U)(a - b - (c & 1)))) >> (W - 1))

DEF_UN(not, ~a)
DEF_UN(neg, -a)
DEF_UN(clz, a ? (W == 32 ? __builtin_clz((uint32_t)a) : __builtin_clzll(a)) : W)
DEF_UN(ctz, a ? __builtin_ctzll(a) : W)
DEF_UN(cpop, __builtin_popcountll(a))
DEF_UN(bswap, W == 32 ? __builtin_bswap32((uint32_t)a) : __builtin_bswap64(a))
DEF_UN(brev, brev64(a) >> (64 - W))
DEF_UN(sext8, (S)(int8_t)a)
DEF_UN(sext16, (S)(int16_t)a)
DEF_UN(sext32, (S)(int32_t)a)
DEF_UN(zext8, a & 0xff)
DEF_UN(zext16, a & 0xffff)
DEF_UN(zext32, a & 0xffffffffu)
DEF_UN(parity, !(__builtin_popcount((unsigned)(a & 0xff)) & 1))

#define DEF_COND(C, c, expr) DEF_BIN(cond_##c, expr)
DEF_COND(EQ, eq, a == b)
DEF_COND(NE, ne, a != b)
DEF_COND(LT, lt, (S)a < (S)b)
DEF_COND(GE, ge, (S)a >= (S)b)
DEF_COND(LE, le, (S)a <= (S)b)
DEF_COND(GT, gt, (S)a > (S)b)
DEF_COND(LTU, ltu, a < b)
DEF_COND(GEU, geu, a >= b)
DEF_COND(LEU, leu, a <= b)
DEF_COND(GTU, gtu, a > b)
DEF_COND(TSTEQ, tsteq, (a & b) == 0)
DEF_COND(TSTNE, tstne, (a & b) != 0)

/* extract/deposit: aux = pos, aux2 = len (pre-decode guarantees 1 <= len and
 * pos + len <= width). */
static inline uint64_t mask_of(unsigned len) { return len >= 64 ? ~0ull : (1ull << len) - 1; }

/* -- The threaded-code loop -------------------------------------------------------------- */

const void *const *interp_handlers;

static inline uint64_t tb_flags_of(CpuState *cpu)
{
    return cpu->arch->tb_flags ? cpu->arch->tb_flags(cpu) : 0;
}

/* Register state, checked for readability: F is the frame, ip the current op. */
#define NEXT                                                                                   \
    do {                                                                                       \
        ip++;                                                                                  \
        goto *ip->h;                                                                           \
    } while (0)
#define D F[ip->d]
#define A F[ip->a]
#define B F[ip->b]
#define C F[ip->c]
#define REG(T) (*(T *)((char *)cpu + ip->imm))

int interp_run(CpuState *cpu, IVcpu *v)
{
    static const void *const table[H_COUNT] = {
#define T_BIN(n)                                                                               \
    [H_##n##_i32] = &&L_##n##_i32, [H_##n##_i64] = &&L_##n##_i64,                              \
    [H_##n##_i32_ri] = &&L_##n##_i32_ri, [H_##n##_i64_ri] = &&L_##n##_i64_ri,                  \
    [H_##n##_i32_set] = &&L_##n##_i32_set, [H_##n##_i64_set] = &&L_##n##_i64_set,              \
    [H_##n##_i32_ri_set] = &&L_##n##_i32_ri_set, [H_##n##_i64_ri_set] = &&L_##n##_i64_ri_set,
#define T_UN(n) [H_##n##_i32] = &&L_##n##_i32, [H_##n##_i64] = &&L_##n##_i64,
#define T_CC(C_, c)                                                                            \
    [H_set##c##_i32] = &&L_set##c##_i32, [H_set##c##_i64] = &&L_set##c##_i64,                  \
    [H_set##c##_i32_ri] = &&L_set##c##_i32_ri, [H_set##c##_i64_ri] = &&L_set##c##_i64_ri,      \
    [H_br##c##_i32] = &&L_br##c##_i32, [H_br##c##_i64] = &&L_br##c##_i64,                      \
    [H_br##c##_i32_ri] = &&L_br##c##_i32_ri, [H_br##c##_i64_ri] = &&L_br##c##_i64_ri,
#define T_M(n) [H_##n] = &&L_##n,
        INTERP_BINOPS(T_BIN) INTERP_UNOPS(T_UN) INTERP_TERNOPS(T_UN) INTERP_CONDS(T_CC)
            INTERP_MISC(T_M)
#undef T_BIN
#undef T_UN
#undef T_CC
#undef T_M
    };
    if (!cpu) {
        interp_handlers = table;
        return 0;
    }

    uint64_t *const F = v->frame;
    uint8_t *const base = cpu->guest_base;
    /* One compare guards the direct user-mode path of every access of up to 16
     * bytes: addr < fastlim implies addr + 16 <= guest_limit with no wrap. The
     * rest (edges, system mode, ALIGN) takes the checked helpers. */
    const uint64_t fastlim = base && cpu->guest_limit >= 16 ? cpu->guest_limit - 15 : 0;
    IBlock *tb = interp_find(cpu, v, cpu->pc, tb_flags_of(cpu));
    const IOp *ip;
    IExit *e;
    uint64_t pc;

enter:
    /* Every block entry, chained or not, honours an exit request. */
    if (unlikely(cpu->exit_request)) {
        cpu->exit_request = 0;
        cpu->exception = EXCP_INTERRUPT;
        return EXCP_INTERRUPT;
    }
    /* -d exec / -d cpu: every entry, chained or not, comes through here, so
     * each executed block is shown, with the registers it starts from. */
    if (logd_enabled(LOGD_EXEC | LOGD_CPU)) frontend_log_block(cpu, tb->pc, tb->flags);
    ip = tb->ops;
    goto *ip->h;

    /* -- Integer ops: imm holds args[1] in the _ri forms. */
#define L_BIN(n)                                                                               \
    L_##n##_i32: D = op_##n##_32((uint32_t)A, (uint32_t)B); NEXT;                              \
    L_##n##_i64: D = op_##n##_64(A, B); NEXT;                                                  \
    L_##n##_i32_ri: D = op_##n##_32((uint32_t)A, (uint32_t)ip->imm); NEXT;                     \
    L_##n##_i64_ri: D = op_##n##_64(A, ip->imm); NEXT;                                         \
    L_##n##_i32_set: SET32(op_##n##_32((uint32_t)A, (uint32_t)B)); NEXT;                       \
    L_##n##_i64_set: SET64(op_##n##_64(A, B)); NEXT;                                           \
    L_##n##_i32_ri_set: SET32(op_##n##_32((uint32_t)A, (uint32_t)ip->imm)); NEXT;              \
    L_##n##_i64_ri_set: SET64(op_##n##_64(A, ip->imm)); NEXT;
#define SET32(expr)                                                                            \
    do {                                                                                       \
        uint64_t r_ = (expr);                                                                  \
        D = r_;                                                                                \
        *(uint32_t *)((char *)cpu + ip->c) = (uint32_t)r_;                                     \
    } while (0)
#define SET64(expr)                                                                            \
    do {                                                                                       \
        uint64_t r_ = (expr);                                                                  \
        D = r_;                                                                                \
        *(uint64_t *)((char *)cpu + ip->c) = r_;                                               \
    } while (0)
    INTERP_BINOPS(L_BIN)
#undef L_BIN
#define L_UN(n)                                                                                \
    L_##n##_i32: D = op_##n##_32((uint32_t)A, 0); NEXT;                                        \
    L_##n##_i64: D = op_##n##_64(A, 0); NEXT;
    INTERP_UNOPS(L_UN)
#undef L_UN
#define L_TERN(n)                                                                              \
    L_##n##_i32: D = op_##n##_32((uint32_t)A, (uint32_t)B, (uint32_t)C); NEXT;                 \
    L_##n##_i64: D = op_##n##_64(A, B, C); NEXT;
    INTERP_TERNOPS(L_TERN)
#undef L_TERN

    /* setcond, and setcond fused with the goto_cond right after it (br*): the
     * fused form still writes the setcond's dst, so the IR's meaning is kept;
     * aux = exit index. */
#define L_CC(C_, c)                                                                            \
    L_set##c##_i32: D = op_cond_##c##_32((uint32_t)A, (uint32_t)B); NEXT;                      \
    L_set##c##_i64: D = op_cond_##c##_64(A, B); NEXT;                                          \
    L_set##c##_i32_ri: D = op_cond_##c##_32((uint32_t)A, (uint32_t)ip->imm); NEXT;             \
    L_set##c##_i64_ri: D = op_cond_##c##_64(A, ip->imm); NEXT;                                 \
    L_br##c##_i32: if ((D = op_cond_##c##_32((uint32_t)A, (uint32_t)B))) goto side_exit; NEXT; \
    L_br##c##_i64: if ((D = op_cond_##c##_64(A, B))) goto side_exit; NEXT;                     \
    L_br##c##_i32_ri:                                                                          \
    if ((D = op_cond_##c##_32((uint32_t)A, (uint32_t)ip->imm))) goto side_exit;                \
    NEXT;                                                                                      \
    L_br##c##_i64_ri: if ((D = op_cond_##c##_64(A, ip->imm))) goto side_exit; NEXT;
    INTERP_CONDS(L_CC)
#undef L_CC

    /* -- Moves and bookkeeping. movi: constants are loaded into their slots by
     * movi ops at block entry (only those not folded into an _ri form). */
L_movi: D = ip->imm; NEXT;
L_mov: D = A; NEXT;
L_mov2: F[ip->d] = F[ip->a]; F[ip->d + 1] = F[ip->a + 1]; NEXT;
L_insn_start: cpu->pc = ip->imm; NEXT;

    /* -- Guest registers: imm = byte offset from the CpuState base. */
L_get32: D = REG(uint32_t); NEXT;
L_get64: D = REG(uint64_t); NEXT;
L_get128: memcpy(&F[ip->d], (char *)cpu + ip->imm, 16); NEXT;
L_set32: REG(uint32_t) = (uint32_t)A; NEXT;
L_set64: REG(uint64_t) = A; NEXT;
L_set128: memcpy((char *)cpu + ip->imm, &F[ip->a], 16); NEXT;
    /* set of a constant (frontends often store constant pcs and flags): the
     * value is aux (low 32 bits) | aux2 (high 32 bits), imm is the offset. */
L_set32i: REG(uint32_t) = ip->aux; NEXT;
L_set64i: REG(uint64_t) = ip->aux | (uint64_t)ip->aux2 << 32; NEXT;

L_extu: D = (uint32_t)A; NEXT;
L_exts: D = (uint64_t)(int64_t)(int32_t)A; NEXT;
L_trunc: D = (uint32_t)A; NEXT;
L_extract_i32: D = (uint32_t)(A >> ip->aux) & mask_of(ip->aux2); NEXT;
L_extract_i64: D = (A >> ip->aux) & mask_of(ip->aux2); NEXT;
L_sextract_i32: D = (uint32_t)((int32_t)((uint32_t)A << (32 - ip->aux - ip->aux2)) >> (32 - ip->aux2)); NEXT;
L_sextract_i64: D = (uint64_t)((int64_t)(A << (64 - ip->aux - ip->aux2)) >> (64 - ip->aux2)); NEXT;
L_deposit_i32: {
    uint64_t m = mask_of(ip->aux2) << ip->aux;
    D = (uint32_t)((A & ~m) | ((B << ip->aux) & m));
    NEXT;
}
L_deposit_i64: {
    uint64_t m = mask_of(ip->aux2) << ip->aux;
    D = (A & ~m) | ((B << ip->aux) & m);
    NEXT;
}
L_select: D = A ? B : C; NEXT;
L_select2: {
    uint16_t s = A ? ip->b : ip->c;
    F[ip->d] = F[s];
    F[ip->d + 1] = F[s + 1];
    NEXT;
}

    /* -- Memory. Fast forms: user mode, little-endian (or _be), no ALIGN; any
     * address outside the fast window goes to the checked helper, which also
     * serves system mode. imm = memop. aux = 1 when the dst is I64. */
#define LDF(name, T, conv, BSW)                                                                \
    L_##name:                                                                                  \
    if (likely(A < fastlim)) {                                                                 \
        T x_;                                                                                  \
        memcpy(&x_, base + A, sizeof(T));                                                      \
        D = conv(BSW(x_));                                                                     \
    } else {                                                                                   \
        D = interp_ld(cpu, A, (unsigned)ip->imm, ip->aux);                                     \
    }                                                                                          \
    NEXT;
#define NOSW(x) (x)
#define SW16(x) __builtin_bswap16(x)
#define SW32(x) __builtin_bswap32(x)
#define SW64(x) __builtin_bswap64(x)
#define CV_U(x) ((uint64_t)(x))
#define CV_S8_32(x) ((uint32_t)(int32_t)(int8_t)(x))
#define CV_S8_64(x) ((uint64_t)(int64_t)(int8_t)(x))
#define CV_S16_32(x) ((uint32_t)(int32_t)(int16_t)(x))
#define CV_S16_64(x) ((uint64_t)(int64_t)(int16_t)(x))
#define CV_S32_64(x) ((uint64_t)(int64_t)(int32_t)(x))
    LDF(ld8u, uint8_t, CV_U, NOSW)
    LDF(ld8s_32, uint8_t, CV_S8_32, NOSW)
    LDF(ld8s_64, uint8_t, CV_S8_64, NOSW)
    LDF(ld16u, uint16_t, CV_U, NOSW)
    LDF(ld16s_32, uint16_t, CV_S16_32, NOSW)
    LDF(ld16s_64, uint16_t, CV_S16_64, NOSW)
    LDF(ld32u, uint32_t, CV_U, NOSW)
    LDF(ld32s_64, uint32_t, CV_S32_64, NOSW)
    LDF(ld64, uint64_t, CV_U, NOSW)
    LDF(ld16u_be, uint16_t, CV_U, SW16)
    LDF(ld16s_32_be, uint16_t, CV_S16_32, SW16)
    LDF(ld16s_64_be, uint16_t, CV_S16_64, SW16)
    LDF(ld32u_be, uint32_t, CV_U, SW32)
    LDF(ld32s_64_be, uint32_t, CV_S32_64, SW32)
    LDF(ld64_be, uint64_t, CV_U, SW64)
#define STF(name, T, BSW)                                                                      \
    L_##name:                                                                                  \
    if (likely(A < fastlim)) {                                                                 \
        T x_ = BSW((T)B);                                                                      \
        memcpy(base + A, &x_, sizeof(T));                                                      \
    } else {                                                                                   \
        interp_st(cpu, A, B, (unsigned)ip->imm);                                               \
    }                                                                                          \
    NEXT;
    STF(st8, uint8_t, NOSW)
    STF(st16, uint16_t, NOSW)
    STF(st32, uint32_t, NOSW)
    STF(st64, uint64_t, NOSW)
    STF(st16_be, uint16_t, SW16)
    STF(st32_be, uint32_t, SW32)
    STF(st64_be, uint64_t, SW64)
L_ld_slow: D = interp_ld(cpu, A, (unsigned)ip->imm, ip->aux); NEXT;
L_st_slow: interp_st(cpu, A, B, (unsigned)ip->imm); NEXT;
L_ld128: interp_ld128(cpu, A, (unsigned)ip->imm, &F[ip->d]); NEXT;
L_st128: interp_st128(cpu, A, (unsigned)ip->imm, &F[ip->b]); NEXT;
L_lr: D = interp_lr(cpu, A, (unsigned)ip->imm, ip->aux); NEXT;
L_sc: D = interp_sc(cpu, A, B, (unsigned)ip->imm); NEXT;
L_cas: D = interp_cas(cpu, A, B, C, (unsigned)ip->imm, ip->aux); NEXT;
L_rmw: D = interp_rmw(cpu, A, B, (unsigned)ip->imm, ip->aux2, ip->aux); NEXT;
L_fence: __atomic_thread_fence(__ATOMIC_SEQ_CST); NEXT;
L_fence_insn:
    /* Retires every translation now; retired blocks (this one included) stay
     * allocated until no vCPU can be executing them, and the generation bump
     * makes this block's exits look their successors up afresh. System mode
     * keeps them: stores to code pages already retired theirs (soft-MMU code
     * marks), see jit_helper_fence_insn. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!cpu->tlb) interp_invalidate(0, 0);
    NEXT;

    /* -- Floating point: aux = rounding mode, aux2 = type | second type << 8,
     * imm = op flags (fma negation, min/max variant, fcmp cond | signaling << 8,
     * cvt flags, fround flags). */
#define FT ((IrType)(ip->aux2 & 0xff))
#define FT2 ((IrType)(ip->aux2 >> 8))
L_fadd: D = fp_add(&cpu->fp, FT, A, B, ip->aux); NEXT;
L_fsub: D = fp_sub(&cpu->fp, FT, A, B, ip->aux); NEXT;
L_fmul: D = fp_mul(&cpu->fp, FT, A, B, ip->aux); NEXT;
L_fdiv: D = fp_div(&cpu->fp, FT, A, B, ip->aux); NEXT;
L_fsqrt: D = fp_sqrt(&cpu->fp, FT, A, ip->aux); NEXT;
L_fma: D = fp_fma(&cpu->fp, FT, A, B, C, (unsigned)ip->imm, ip->aux); NEXT;
L_fmin: D = fp_minmax(&cpu->fp, FT, A, B, false, (unsigned)ip->imm); NEXT;
L_fmax: D = fp_minmax(&cpu->fp, FT, A, B, true, (unsigned)ip->imm); NEXT;
L_fcmp: D = fp_cmp(&cpu->fp, FT, A, B, (unsigned)ip->imm & 0xff, ip->imm >> 8); NEXT;
L_fclass: D = fp_class(FT, A) & (FT2 == IR_I32 ? 0xffffffffu : ~0ull); NEXT;
    /* FT = the float type, FT2 = the integer type. */
L_fcvt_f2i: D = fp_to_int(&cpu->fp, FT2, FT, A, ip->aux, (unsigned)ip->imm); NEXT;
L_fcvt_i2f: D = fp_from_int(&cpu->fp, FT, FT2, A, ip->aux, (unsigned)ip->imm); NEXT;
    /* FT = to, FT2 = from. */
L_fcvt_f2f: D = fp_convert(&cpu->fp, FT, FT2, A, ip->aux); NEXT;
L_fround: D = fp_round_int(&cpu->fp, FT, A, ip->aux, (unsigned)ip->imm); NEXT;

    /* -- Vectors: imm = body chosen per (op, element size); aux2 = esize log2,
     * aux = lane. */
L_vec: ((IVecFn)(uintptr_t)ip->imm)(cpu, F, ip); NEXT;
L_vdup: interp_vdup(&F[ip->d], A, ip->aux2); NEXT;
L_vextract: D = interp_vextract(&F[ip->a], ip->aux2, ip->aux); NEXT;
L_vinsert: interp_vinsert(&F[ip->d], &F[ip->a], B, ip->aux2, ip->aux); NEXT;

    /* -- Helper calls: imm = function, a/b/c = args 0..2, aux2 = slot of arg 3,
     * aux = result mask (0 for void, 32 or 64 ones). */
#define HFN(...) ((uint64_t(*)(CpuState *, ##__VA_ARGS__))(uintptr_t)ip->imm)
#define CALL_RESULT(expr)                                                                      \
    do {                                                                                       \
        uint64_t r_ = (expr);                                                                  \
        if (ip->aux) D = r_ & (ip->aux == 32 ? 0xffffffffull : ~0ull);                         \
    } while (0)
L_call0: CALL_RESULT(HFN()(cpu)); NEXT;
L_call1: CALL_RESULT(HFN(uint64_t)(cpu, A)); NEXT;
L_call2: CALL_RESULT(HFN(uint64_t, uint64_t)(cpu, A, B)); NEXT;
L_call3: CALL_RESULT(HFN(uint64_t, uint64_t, uint64_t)(cpu, A, B, C)); NEXT;
L_call4:
    CALL_RESULT(HFN(uint64_t, uint64_t, uint64_t, uint64_t)(cpu, A, B, C, F[ip->aux2]));
    NEXT;

    /* -- Exits. goto/goto_cond: aux = exit index into tb->exits. */
L_goto_cond:
    if (A) goto side_exit;
    NEXT;
L_goto:
side_exit:
    e = &tb->exits[ip->aux];
    cpu->pc = e->pc;
    /* Chained: the cached successor is valid while its generation is current. */
    if (likely(__atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) == interp_gen() && e->next)) {
        tb = e->next;
        goto enter;
    }
    tb = interp_link(cpu, v, e, tb);
    goto enter;
L_goto_nochain:
    cpu->pc = ip->imm;
    tb = interp_find(cpu, v, cpu->pc, tb_flags_of(cpu));
    goto enter;
L_goto_ind: {
    /* Flags are unchanged across a chainable exit, so the key is (pc, tb->flags).
     * System mode (no base) needs the target's physical address: interp_find. */
    pc = A;
    cpu->pc = pc;
    IBlock *n = v->jc[interp_jc_hash(pc)];
    /* Generation first: a stale entry may point at a freed block. */
    if (likely(base && v->jc_gen == interp_gen() && n && n->pc == pc && n->flags == tb->flags)) {
        tb = n;
        goto enter;
    }
    tb = interp_find(cpu, v, pc, tb->flags);
    goto enter;
}
L_goto_ind_nochain:
    cpu->pc = A;
    tb = interp_find(cpu, v, cpu->pc, tb_flags_of(cpu));
    goto enter;
L_raise:
    /* cpu->pc was set by the instruction's insn_start. */
    cpu_raise(cpu, (int)ip->imm, A); /* args[0] = IR_NONE reads slot 0 = 0 */
}

/* -- Engine glue ---------------------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void interp_init_once(void)
{
    interp_run(NULL, NULL);
    interp_cache_init();
    /* System mode: stores to pages holding code drop their blocks. */
    tlb_code_invalidate = interp_invalidate;
}

static int interp_cpu_init(CpuState *cpu)
{
    pthread_once(&init_once, interp_init_once);
    IVcpu *v = calloc(1, sizeof(*v));
    if (!v) return -ENOMEM;
    /* Large and lazily backed: only the slots blocks really use get touched. */
    v->frame = calloc(INTERP_MAX_SLOTS + 2, sizeof(uint64_t));
    if (!v->frame) {
        free(v);
        return -ENOMEM;
    }
    ir_block_init(&v->ir, cpu->arch->regs, cpu->arch->nregs);
    v->jc_gen = interp_gen();
    cpu->engine = v;
    return 0;
}

static void interp_cpu_free(CpuState *cpu)
{
    IVcpu *v = cpu->engine;
    if (!v) return;
    vm_log(LOG_INTERP, LOG_DEBUG,
           "interp: %" PRIu64 " blocks translated, %" PRIu64 " flushes, %" PRIu64
           " retired blocks freed",
           interp_cache.ntranslated, interp_cache.nflushes, interp_cache.nretired_freed);
    ir_block_free(&v->ir);
    free(v->frame);
    free(v);
    cpu->engine = NULL;
}

static int interp_exec(CpuState *cpu)
{
    IVcpu *v = cpu->engine;
    __atomic_add_fetch(&interp_cache.active, 1, __ATOMIC_SEQ_CST);
    if (sigsetjmp(cpu->jmp_env, 0)) {
        cpu->in_guest = 0;
        __atomic_sub_fetch(&interp_cache.active, 1, __ATOMIC_SEQ_CST);
        interp_reclaim_if_idle();
        return cpu->exception;
    }
    cpu->in_guest = 1;
    int r = interp_run(cpu, v);
    cpu->in_guest = 0;
    __atomic_sub_fetch(&interp_cache.active, 1, __ATOMIC_SEQ_CST);
    interp_reclaim_if_idle();
    return r;
}

static void interp_engine_invalidate(uint64_t start, uint64_t len)
{
    pthread_once(&init_once, interp_init_once);
    interp_invalidate(start, len);
}

const Engine interp_engine = {
    .name = "interp",
    .cpu_init = interp_cpu_init,
    .cpu_free = interp_cpu_free,
    .exec = interp_exec,
    .invalidate = interp_engine_invalidate,
};
