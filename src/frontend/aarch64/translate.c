/* SPDX-License-Identifier: MIT */
/* AArch64 translation to IR: the block loop, the shared emission helpers the
 * trans_*.c.inc files use, and the generated decoder (build/gen). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "frontend/aarch64/a64_cpu.h"
#include "vm/gdbstub.h"
#include "vm/ir.h"
#include "vm/log.h"

#include "a64_internal.h"

/* Longest block, in guest instructions. */
#define A64_MAX_BLOCK_INSNS 64

typedef struct DisasContext {
    uint32_t insn; /* first: the decoder's !function helpers read it */
    CpuState *cpu;
    IrBlock *b;
    uint64_t pc;      /* this instruction */
    uint64_t pc_next; /* the following one */
    bool end;         /* the instruction emitted the block's exit */
    /* What the translation knows about NZCV here (A64_FK_*): conditions
     * read the IR values directly; later blocks read the slots. */
    int fk;
    IrType ft;        /* SUB/CCMP: operand type (I32 operands are unshifted) */
    IrVal fx, fy, fc; /* SUB/CCMP: x - y; CCMP: its 0/1 condition */
    unsigned fimm;    /* CCMP: #nzcv when the condition failed */
    IrVal ef[4];      /* EXPL: N, Z, C, V as I64 0/1 values (maybe constants) */
    int lazy_slot;    /* constant the cc_lazy slot holds now, -1 unknown */
    /* FPCR.RMode at translation (tb_flags): FP ops carry it as a static
     * rounding mode, so the JIT's fast paths (RNE) apply; MSR FPCR ends the block. */
    IrRound rm;
    /* Scalar writes (set_vlo) remember the I64 they put in lane 0 of the
     * V128 they stored: a later get_vlo of the same value uses it directly,
     * so scalar FP chains need no vextract. Keyed by the V128 value, which
     * ir_get returns again only while the register still holds it. */
    IrVal vset[32], vlo[32];
} DisasContext;

#include "a64_decode.h"
#include "aarch64-decode.inc"

/* -- Small emitters ------------------------------------------------------------- */

static IrVal cst(DisasContext *ctx, uint64_t v) { return ir_i64(ctx->b, v); }
static IrVal cstw(DisasContext *ctx, IrType t, uint64_t v) { return ir_const(ctx->b, t, v); }

static IrVal op1(DisasContext *ctx, IrOp op, IrType t, IrVal a) { return ir_op1(ctx->b, op, t, a); }
static IrVal op2(DisasContext *ctx, IrOp op, IrType t, IrVal a, IrVal c)
{
    return ir_op2(ctx->b, op, t, a, c);
}

/* A 0/1 condition value of any operand type, as I64 (flag slots are I64). */
static IrVal cond64(DisasContext *ctx, IrOp op, IrType t, IrVal a, IrVal c, uint64_t imm)
{
    return ir_opx(ctx->b, op, t, IR_I64, a, c, IR_NONE, imm, 0);
}

static IrVal setc(DisasContext *ctx, IrType t, IrCond c, IrVal a, IrVal d)
{
    return cond64(ctx, IR_OP_setcond, t, a, d, c);
}

/* -- Integer registers (register 31 is XZR or SP depending on the operand) ---- */

static IrVal get_x(DisasContext *ctx, int r)
{
    return r == 31 ? cst(ctx, 0) : ir_get(ctx->b, A64_SLOT_X0 + r);
}

static IrVal get_xsp(DisasContext *ctx, int r)
{
    return ir_get(ctx->b, r == 31 ? A64_SLOT_SP : A64_SLOT_X0 + r);
}

static void set_x(DisasContext *ctx, int r, IrVal v)
{
    if (r != 31) ir_set(ctx->b, A64_SLOT_X0 + r, v);
}

static void set_xsp(DisasContext *ctx, int r, IrVal v)
{
    ir_set(ctx->b, r == 31 ? A64_SLOT_SP : A64_SLOT_X0 + r, v);
}

static IrType wtype(int sf) { return sf ? IR_I64 : IR_I32; }

/* The operand in its operation width: W registers are the low 32 bits. */
static IrVal to_w(DisasContext *ctx, int sf, IrVal v64)
{
    return sf ? v64 : op1(ctx, IR_OP_trunc, IR_I32, v64);
}

static IrVal from_w(DisasContext *ctx, int sf, IrVal v)
{
    return sf ? v : ir_op1(ctx->b, IR_OP_extu, IR_I64, v);
}

static IrVal get_r(DisasContext *ctx, int sf, int r) { return to_w(ctx, sf, get_x(ctx, r)); }
static IrVal get_rsp(DisasContext *ctx, int sf, int r) { return to_w(ctx, sf, get_xsp(ctx, r)); }
/* Writes to a W register zero the upper half (B1.2.1). */
static void set_r(DisasContext *ctx, int sf, int r, IrVal v) { set_x(ctx, r, from_w(ctx, sf, v)); }
static void set_rsp(DisasContext *ctx, int sf, int r, IrVal v) { set_xsp(ctx, r, from_w(ctx, sf, v)); }

/* -- Flags ------------------------------------------------------------------------
 * NZCV live in the guest state in one of two forms (a64_cpu.h), told apart
 * by bit 0 of cc_lazy: the flags of the subtraction cc_x - cc_y (bit 0 set),
 * or NZCV packed in cc_lazy bits 4:1. Compares (CMP/SUBS, CMN/ADDS by a
 * nonzero immediate) store the subtraction form: two operand stores and
 * cc_lazy = 1 instead of four computed flags, which matters because NZCV
 * usually stay live to the block's exit (the next block's loads can fault,
 * and a signal frame holds NZCV). CCMP/CCMN store cc_lazy = cond | #nzcv << 1:
 * the condition picks the form, and the failed case's constant rides in
 * the bits the subtraction form ignores (three stores, no select). Other
 * setters store one packed value. Readers in the block use the IR values
 * (ctx->fk); a reader in a later block (A64_FK_SLOTS) picks the form with
 * bit 0 and decodes the packed one with a table lookup (gen_cond), so both
 * forms cost a shift and a mask. Every reader goes through gen_cond/gen_flag
 * here, or a64_get_nzcv in C. */

enum {
    A64_FK_SLOTS, /* unknown (block entry): read the slots, either form */
    A64_FK_EXPL,  /* packed form, this block wrote it from ctx->ef */
    A64_FK_SUB,   /* flags of fx - fy (type ft) */
    A64_FK_CCMP,  /* fc ? flags of fx - fy : fimm (CCMP/CCMN) */
};

static void set_lazy_slot(DisasContext *ctx, int v)
{
    if (ctx->lazy_slot == v) return;
    ir_set(ctx->b, A64_SLOT_CCL, cst(ctx, (uint64_t)v));
    ctx->lazy_slot = v;
}

static bool is_cst(DisasContext *ctx, IrVal v, uint64_t *val)
{
    if (!ir_is_const(ctx->b, v)) return false;
    *val = ctx->b->temps[v].cval[0];
    return true;
}

/* N, Z, C, V (I64 0/1) packed as cc_lazy holds them: constants folded. */
static IrVal pack_nzcv(DisasContext *ctx, const IrVal f[4])
{
    uint64_t k = 0, c;
    IrVal v = IR_NONE;
    for (int i = 0; i < 4; i++) {
        unsigned sh = (unsigned)(3 - i) + A64_CCL_NZCV_SHIFT;
        if (is_cst(ctx, f[i], &c)) {
            k |= (c & 1) << sh;
            continue;
        }
        IrVal t = op2(ctx, IR_OP_shl, IR_I64, f[i], cst(ctx, sh));
        v = v == IR_NONE ? t : op2(ctx, IR_OP_or, IR_I64, v, t);
    }
    if (v == IR_NONE) return cst(ctx, k);
    return k ? op2(ctx, IR_OP_or, IR_I64, v, cst(ctx, k)) : v;
}

/* The packed form: cc_lazy = packed (a value pack_nzcv gives for f, or an
 * equivalent), and in-block readers use f. */
static void set_flags_packed(DisasContext *ctx, const IrVal f[4], IrVal packed)
{
    uint64_t k;
    if (is_cst(ctx, packed, &k)) {
        set_lazy_slot(ctx, (int)k);
    } else {
        ir_set(ctx->b, A64_SLOT_CCL, packed);
        ctx->lazy_slot = -1;
    }
    memcpy(ctx->ef, f, sizeof(ctx->ef));
    ctx->fk = A64_FK_EXPL;
}

/* Every writer of four computed flags (ADDS by a register, ADCS, FCMP...). */
static void set_flags(DisasContext *ctx, const IrVal f[4])
{
    set_flags_packed(ctx, f, pack_nzcv(ctx, f));
}

/* Logical ops (ANDS, BICS, TST): N and Z of r, C = V = 0. */
static void set_flags_nz(DisasContext *ctx, IrType t, IrVal r)
{
    IrVal f[4] = {setc(ctx, t, IR_COND_LT, r, cstw(ctx, t, 0)),
                  setc(ctx, t, IR_COND_EQ, r, cstw(ctx, t, 0)), cst(ctx, 0), cst(ctx, 0)};
    if (t != IR_I64) {
        set_flags(ctx, f);
        return;
    }
    /* N straight from the sign bit (a shift and a mask, no setcc); f[0]
     * stays for in-block readers and is dropped when unused. */
    IrVal n = op2(ctx, IR_OP_and, IR_I64, op2(ctx, IR_OP_shr, IR_I64, r, cst(ctx, 63 - 3 - A64_CCL_NZCV_SHIFT)),
                  cst(ctx, 8u << A64_CCL_NZCV_SHIFT));
    IrVal z = op2(ctx, IR_OP_shl, IR_I64, f[1], cst(ctx, 2 + A64_CCL_NZCV_SHIFT));
    set_flags_packed(ctx, f, op2(ctx, IR_OP_or, IR_I64, n, z));
}

/* A W operand as the lazy form stores it: x << 32, whose 64-bit subtraction
 * has the N, Z, C and V of the 32-bit one (the low halves are zero). */
static IrVal lazy_operand(DisasContext *ctx, IrType t, IrVal v)
{
    IrBlock *b = ctx->b;
    if (t == IR_I64) return v;
    if (ir_is_const(b, v)) return cst(ctx, b->temps[v].cval[0] << 32);
    /* A W register read is trunc(X): X << 32 drops the same upper half. */
    const IrInsn *def = &b->insns[b->temps[v].def];
    if (def->op == IR_OP_trunc && def->dst == v && ir_type_of(b, def->args[0]) == IR_I64)
        return op2(ctx, IR_OP_shl, IR_I64, def->args[0], cst(ctx, 32));
    return op2(ctx, IR_OP_shl, IR_I64, ir_op1(ctx->b, IR_OP_extu, IR_I64, v), cst(ctx, 32));
}

/* Stores cc_x, cc_y (not cc_lazy) and records x - y for in-block readers.
 * W operands: readers compare the shifted I64 values the stores hold (the
 * same flags, and no trunc of X) unless y is a nonzero constant, which
 * stays a 32-bit immediate in the host compare. */
static void store_lazy(DisasContext *ctx, IrType t, IrVal x, IrVal y)
{
    IrVal lx = lazy_operand(ctx, t, x), ly = lazy_operand(ctx, t, y);
    uint64_t k;
    ir_set(ctx->b, A64_SLOT_CCX, lx);
    ir_set(ctx->b, A64_SLOT_CCY, ly);
    if (t == IR_I32 && (!is_cst(ctx, y, &k) || (uint32_t)k == 0)) {
        t = IR_I64;
        x = lx;
        y = ly;
    }
    ctx->ft = t;
    ctx->fx = x;
    ctx->fy = y;
}

/* x + imm with imm not 0 and not the most negative value sets the flags of
 * x - (-imm): same result, carry (x >= 2^w - imm) and overflow. Returns the
 * negated constant, or IR_NONE when the add needs the explicit form. */
static IrVal add_as_sub(DisasContext *ctx, IrType t, IrVal y)
{
    if (!ir_is_const(ctx->b, y)) return IR_NONE;
    uint64_t v = ctx->b->temps[y].cval[0], sign = t == IR_I64 ? 1ull << 63 : 1ull << 31;
    if (t == IR_I32) v &= 0xffffffffu;
    if (v == 0 || v == sign) return IR_NONE;
    return cstw(ctx, t, t == IR_I64 ? -v : (uint32_t)-v);
}

/* AddWithCarry (ARM ARM J1, shared/functions/integer/AddWithCarry) for x + y
 * (sub: x - y = x + ~y + 1, whose carry is "no borrow"). */
static void set_flags_addsub(DisasContext *ctx, IrType t, IrVal r, IrVal x, IrVal y, bool sub)
{
    IrVal ny = sub ? IR_NONE : add_as_sub(ctx, t, y);
    if (sub || ny != IR_NONE) {
        store_lazy(ctx, t, x, sub ? y : ny);
        set_lazy_slot(ctx, A64_CCL_SUB);
        ctx->fk = A64_FK_SUB;
        return;
    }
    IrVal f[4] = {setc(ctx, t, IR_COND_LT, r, cstw(ctx, t, 0)),
                  setc(ctx, t, IR_COND_EQ, r, cstw(ctx, t, 0)),
                  cond64(ctx, IR_OP_carry_add, t, x, y, 0), cond64(ctx, IR_OP_ovf_add, t, x, y, 0)};
    set_flags(ctx, f);
}

/* Flag i (0 N, 1 Z, 2 C, 3 V) of x - y, as an I64 0/1. */
static IrVal lazy_flag(DisasContext *ctx, int i, IrType t, IrVal x, IrVal y)
{
    switch (i) {
    case 0: return setc(ctx, t, IR_COND_LT, op2(ctx, IR_OP_sub, t, x, y), cstw(ctx, t, 0));
    case 1: return setc(ctx, t, IR_COND_EQ, x, y);
    case 2: return setc(ctx, t, IR_COND_GEU, x, y);
    default: return cond64(ctx, IR_OP_ovf_sub, t, x, y, 0);
    }
}

/* ConditionHolds (J1 shared/functions/system/ConditionHolds) for the flags of
 * x - y: N != V is x < y signed, C && !Z is x > y unsigned. */
static IrVal lazy_cond(DisasContext *ctx, int cond, IrType t, IrVal x, IrVal y)
{
    static const int8_t map[8] = {IR_COND_EQ, IR_COND_GEU, -1, -1,
                                  IR_COND_GTU, IR_COND_GE, IR_COND_GT, -1};
    static const int8_t imap[8] = {IR_COND_NE, IR_COND_LTU, -1, -1,
                                   IR_COND_LEU, IR_COND_LT, IR_COND_LE, -1};
    bool inv = cond & 1;
    int c = inv ? imap[cond >> 1] : map[cond >> 1];
    if (c >= 0) return setc(ctx, t, (IrCond)c, x, y);
    IrVal v = lazy_flag(ctx, (cond >> 1) == 2 ? 0 : 3, t, x, y); /* MI/PL, VS/VC */
    return inv ? op2(ctx, IR_OP_xor, IR_I64, v, cst(ctx, 1)) : v;
}

/* ConditionHolds on the in-block flag values ctx->ef. */
static IrVal expl_cond(DisasContext *ctx, int cond)
{
    const IrVal *f = ctx->ef; /* N, Z, C, V */
    bool inv = cond & 1;
    IrVal v;
    switch (cond >> 1) {
    case 0: v = f[1]; break;
    case 1: v = f[2]; break;
    case 2: v = f[0]; break;
    case 3: v = f[3]; break;
    case 4: v = op2(ctx, IR_OP_andn, IR_I64, f[2], f[1]); break;
    case 5: v = setc(ctx, IR_I64, IR_COND_EQ, f[0], f[3]); break;
    default: v = op2(ctx, IR_OP_andn, IR_I64, setc(ctx, IR_I64, IR_COND_EQ, f[0], f[3]), f[1]); break;
    }
    return inv ? op2(ctx, IR_OP_xor, IR_I64, v, cst(ctx, 1)) : v;
}

/* ConditionHolds on a constant NZCV (bits 3..0). */
static bool nzcv_holds(unsigned f, int cond)
{
    bool n = f >> 3 & 1, z = f >> 2 & 1, c = f >> 1 & 1, v = f & 1, r;
    switch (cond >> 1) {
    case 0: r = z; break;
    case 1: r = c; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = c && !z; break;
    case 5: r = n == v; break;
    case 6: r = n == v && !z; break;
    default: return true;
    }
    return (cond & 1) ? !r : r;
}

/* c ? v : k for 0/1 values c, v and a constant k: c & v, or v | !c
 * (cheaper than a select in every engine). */
static IrVal sel_const(DisasContext *ctx, IrVal c, IrVal v, bool k)
{
    if (!k) return op2(ctx, IR_OP_and, IR_I64, c, v);
    return op2(ctx, IR_OP_or, IR_I64, v, op2(ctx, IR_OP_xor, IR_I64, c, cst(ctx, 1)));
}

/* CCMN by a register, FCCMP: the flags f when c (0/1) holds, else #nzcv. */
static void set_flags_cond(DisasContext *ctx, IrVal c, const IrVal f[4], unsigned nzcv)
{
    IrVal e[4];
    for (int i = 0; i < 4; i++) e[i] = sel_const(ctx, c, f[i], (nzcv >> (3 - i)) & 1);
    IrVal k = cst(ctx, (uint64_t)nzcv << A64_CCL_NZCV_SHIFT);
    set_flags_packed(ctx, e, ir_select(ctx->b, c, pack_nzcv(ctx, f), k));
}

/* Block entry: the form bit of cc_lazy (select's condition) and cc_lazy. */
static IrVal slots_form(DisasContext *ctx, IrVal *ccl)
{
    *ccl = ir_get(ctx->b, A64_SLOT_CCL);
    return op2(ctx, IR_OP_and, IR_I64, *ccl, cst(ctx, A64_CCL_SUB));
}

/* ConditionHolds (J1 shared/functions/system/ConditionHolds): an I64 0/1. */
static IrVal gen_cond(DisasContext *ctx, int cond)
{
    IrBlock *b = ctx->b;
    if (cond >= 14) return cst(ctx, 1); /* AL, NV */
    switch (ctx->fk) {
    case A64_FK_SUB: return lazy_cond(ctx, cond, ctx->ft, ctx->fx, ctx->fy);
    case A64_FK_EXPL: {
        uint64_t f[4];
        if (is_cst(ctx, ctx->ef[0], &f[0]) && is_cst(ctx, ctx->ef[1], &f[1]) &&
            is_cst(ctx, ctx->ef[2], &f[2]) && is_cst(ctx, ctx->ef[3], &f[3]))
            return cst(ctx, nzcv_holds((unsigned)(f[0] << 3 | f[1] << 2 | f[2] << 1 | f[3]), cond));
        return expl_cond(ctx, cond);
    }
    case A64_FK_CCMP:
        return sel_const(ctx, ctx->fc, lazy_cond(ctx, cond, ctx->ft, ctx->fx, ctx->fy),
                         nzcv_holds(ctx->fimm, cond));
    default: {
        /* Packed form: bit cc_lazy of a 32-bit table whose bit 2 * nzcv is
         * ConditionHolds(cond, nzcv). Its odd bits are never used: an odd
         * cc_lazy is the subtraction form, which the select takes. */
        uint64_t table = 0;
        for (unsigned f = 0; f < 16; f++)
            table |= (uint64_t)nzcv_holds(f, cond) << (f << A64_CCL_NZCV_SHIFT);
        IrVal ccl, sub = slots_form(ctx, &ccl);
        IrVal l = lazy_cond(ctx, cond, IR_I64, ir_get(b, A64_SLOT_CCX), ir_get(b, A64_SLOT_CCY));
        IrVal p = op2(ctx, IR_OP_and, IR_I64, op2(ctx, IR_OP_shr, IR_I64, cst(ctx, table), ccl), cst(ctx, 1));
        return ir_select(b, sub, l, p);
    }
    }
}

/* Flag i (0 N, 1 Z, 2 C, 3 V) as an I64 0/1 (ADC/SBC, MRS NZCV). */
static IrVal gen_flag(DisasContext *ctx, int i)
{
    IrBlock *b = ctx->b;
    switch (ctx->fk) {
    case A64_FK_SUB: return lazy_flag(ctx, i, ctx->ft, ctx->fx, ctx->fy);
    case A64_FK_EXPL: return ctx->ef[i];
    case A64_FK_CCMP:
        return sel_const(ctx, ctx->fc, lazy_flag(ctx, i, ctx->ft, ctx->fx, ctx->fy),
                         (ctx->fimm >> (3 - i)) & 1);
    default: {
        IrVal ccl, sub = slots_form(ctx, &ccl);
        IrVal l = lazy_flag(ctx, i, IR_I64, ir_get(b, A64_SLOT_CCX), ir_get(b, A64_SLOT_CCY));
        IrVal sh = cst(ctx, (uint64_t)(3 - i) + A64_CCL_NZCV_SHIFT);
        IrVal p = op2(ctx, IR_OP_and, IR_I64, op2(ctx, IR_OP_shr, IR_I64, ccl, sh), cst(ctx, 1));
        return ir_select(b, sub, l, p);
    }
    }
}

/* NZCV in PSTATE's bits 31:28 (MRS NZCV). */
static IrVal gen_nzcv(DisasContext *ctx)
{
    IrVal v = IR_NONE;
    if (ctx->fk == A64_FK_SLOTS) {
        /* The packed form is NZCV << 1 with the other bits zero. */
        IrVal ccl, sub = slots_form(ctx, &ccl);
        IrVal x = ir_get(ctx->b, A64_SLOT_CCX), y = ir_get(ctx->b, A64_SLOT_CCY);
        for (int i = 0; i < 4; i++) {
            IrVal t = op2(ctx, IR_OP_shl, IR_I64, lazy_flag(ctx, i, IR_I64, x, y), cst(ctx, 31 - (uint64_t)i));
            v = i ? op2(ctx, IR_OP_or, IR_I64, v, t) : t;
        }
        IrVal p = op2(ctx, IR_OP_shl, IR_I64, ccl, cst(ctx, 28 - A64_CCL_NZCV_SHIFT));
        return ir_select(ctx->b, sub, v, p);
    }
    for (int i = 0; i < 4; i++) {
        IrVal t = op2(ctx, IR_OP_shl, IR_I64, gen_flag(ctx, i), cst(ctx, 31 - (uint64_t)i));
        v = i ? op2(ctx, IR_OP_or, IR_I64, v, t) : t;
    }
    return v;
}

/* -- Exits ---------------------------------------------------------------------- */

static void gen_raise(DisasContext *ctx, unsigned excp, IrVal tval)
{
    ir_raise(ctx->b, excp, tval);
    ctx->end = true;
}

static void gen_illegal(DisasContext *ctx)
{
    gen_raise(ctx, EXCP_ILLEGAL, cst(ctx, ctx->insn));
}

static void gen_goto(DisasContext *ctx, uint64_t pc, unsigned flags)
{
    ir_goto(ctx->b, pc, flags);
    ctx->end = true;
}

/* -- Vector registers -------------------------------------------------------------- */

static IrVal get_v(DisasContext *ctx, int r) { return ir_get(ctx->b, A64_SLOT_V0 + r); }
static void set_v(DisasContext *ctx, int r, IrVal v) { ir_set(ctx->b, A64_SLOT_V0 + r, v); }
static IrVal vzero(DisasContext *ctx) { return ir_const_v128(ctx->b, 0, 0); }

/* 64-bit vector results clear bits 127:64 (Vd<127:64> = 0 for Q = 0). */
static IrVal v_clear_hi(DisasContext *ctx, IrVal v)
{
    return ir_op2(ctx->b, IR_OP_vand, IR_V128, v, ir_const_v128(ctx->b, ~0ull, 0));
}

static void set_vq(DisasContext *ctx, int q, int r, IrVal v)
{
    set_v(ctx, r, q ? v : v_clear_hi(ctx, v));
}

/* Low 64 bits of V[r] as I64. */
static IrVal get_vlo(DisasContext *ctx, int r)
{
    IrVal v = get_v(ctx, r);
    if (v == ctx->vset[r] && ctx->vlo[r] != IR_NONE) return ctx->vlo[r];
    return ir_opx(ctx->b, IR_OP_vextract, IR_V128, IR_I64, v, IR_NONE, IR_NONE, 3, 0);
}

static IrVal get_vhi(DisasContext *ctx, int r)
{
    return ir_opx(ctx->b, IR_OP_vextract, IR_V128, IR_I64, get_v(ctx, r), IR_NONE, IR_NONE, 3, 1);
}

/* Scalar writes (B, H, S, D) zero the rest of the vector register. */
static void set_vlo(DisasContext *ctx, int r, IrVal v64)
{
    IrVal v = ir_opx(ctx->b, IR_OP_vinsert, IR_V128, IR_V128, vzero(ctx), v64, IR_NONE, 3, 0);
    set_v(ctx, r, v);
    ctx->vset[r] = v;
    ctx->vlo[r] = v64;
}

/* -- Helpers the translation calls ------------------------------------------------ */

static uint64_t helper_clrex(CpuState *cpu)
{
    cpu->res_valid = 0;
    return 0;
}

static uint64_t helper_mrs(CpuState *cpu, uint64_t reg)
{
    switch (reg) {
    case 0xda20: return a64_get_fpcr(cpu);
    case 0xda21: return a64_get_fpsr(cpu);
    case 0xdf02: /* CNTVCT_EL0 */
    case 0xdf01: /* CNTPCT_EL0 */
        return a64_host_ns() - a64_cpu(cpu)->cnt_base;
    default: return 0;
    }
}

static uint64_t helper_msr(CpuState *cpu, uint64_t reg, uint64_t v)
{
    if (reg == 0xda20) a64_set_fpcr(cpu, (uint32_t)v);
    else if (reg == 0xda21) a64_set_fpsr(cpu, (uint32_t)v);
    return 0;
}

static const IrHelper a64_helper_clrex = {"a64_clrex", (void *)helper_clrex, 0, IR_VOID,
                                          IR_HELPER_WRITES_REGS};
static const IrHelper a64_helper_mrs = {"a64_mrs", (void *)helper_mrs, 1, IR_I64,
                                        IR_HELPER_READS_REGS};
static const IrHelper a64_helper_msr = {"a64_msr", (void *)helper_msr, 2, IR_VOID,
                                        IR_HELPER_READS_REGS | IR_HELPER_WRITES_REGS};

/* -- Instructions ------------------------------------------------------------------- */

#include "trans_int.c.inc"
#include "trans_branch.c.inc"
#include "trans_mem.c.inc"
#include "trans_fp.c.inc"
#include "trans_simd.c.inc"

/* -- Dead values ---------------------------------------------------------------------
 * Every flag-setting instruction writes NZCV (explicit or lazy), and most
 * are overwritten by the next one before anything looks (cmp; ccmp; b.cond).
 * One backward pass over the finished block drops (SPEC 4, "Flags"):
 * - a set of a slot that a later set of the same slot overwrites with nothing
 *   in between that can observe guest state (a fault, a call, a side exit,
 *   the block's exit, a get of the slot): the rule the x86-64 backend applies
 *   to its stores, here done once in the IR so both engines skip the work;
 * - then the pure computations nobody uses any more (no side effect, no
 *   fault, no memory access, no FP flag accrual).
 * The guest state at every fault and exit is unchanged. Not for debug blocks
 * or while gdb breakpoints exist: those cut blocks after translation
 * (frontend/translate.c keep_insns), which would expose a dropped set. */
#define A64_DCE_MAX_TEMPS 4096

static void a64_drop_dead(IrBlock *b)
{
    if (b->ntemps > A64_DCE_MAX_TEMPS || b->nregs > A64_NSLOTS) return;
    uint8_t used[A64_DCE_MAX_TEMPS], later[A64_NSLOTS];
    memset(used, 0, b->ntemps);
    memset(later, 0, sizeof(later));
    const unsigned keep = IR_OPF_SIDE | IR_OPF_FAULT | IR_OPF_EXIT | IR_OPF_MEM | IR_OPF_FP;
    for (uint32_t i = b->ninsns; i-- > 0;) {
        IrInsn *in = &b->insns[i];
        unsigned f = ir_op_info[in->op].flags;
        bool dead = false;
        if (in->op == IR_OP_set) {
            dead = later[in->imm];
            later[in->imm] = 1;
        } else if (in->op == IR_OP_get) {
            later[in->imm] = 0;
            dead = !used[in->dst];
        } else if (in->op == IR_OP_insn_start || in->op == IR_OP_nop) {
            continue;
        } else if (f & (IR_OPF_SIDE | IR_OPF_FAULT | IR_OPF_EXIT)) {
            memset(later, 0, sizeof(later));
        } else if (in->dst != IR_NONE && !used[in->dst] && !(f & keep) && in->op != IR_OP_call) {
            dead = true;
        }
        if (dead) {
            *in = (IrInsn){.op = IR_OP_nop, .type = IR_VOID};
            continue;
        }
        for (unsigned k = 0; k < IR_MAX_ARGS; k++)
            if (in->args[k] != IR_NONE) used[in->args[k]] = 1;
    }
    ir_remove_nops(b);
}

/* -- The block loop ---------------------------------------------------------------- */

uint64_t a64_tb_flags(CpuState *cpu)
{
    /* FPCR.RMode (bits 1:0): scalar FP ops are emitted with it as a static
     * rounding mode. FZ/DN stay dynamic (FpCtl.mode, tested by the engines'
     * fast paths); helpers read FpCtl.rm. */
    return ((a64_cpu(cpu)->fpcr >> A64_FPCR_RMODE_SHIFT) & 3) | cpu_tb_debug_flag(cpu);
}

static void a64_translate_insns(CpuState *cpu, IrBlock *b, uint64_t pc)
{
    static const IrRound rmode[4] = {IR_RM_RNE, IR_RM_RUP, IR_RM_RDN, IR_RM_RTZ};
    DisasContext ctx = {.cpu = cpu, .b = b, .rm = rmode[b->flags & 3], .fk = A64_FK_SLOTS,
                        .lazy_slot = -1};
    for (int i = 0; i < 32; i++) ctx.vset[i] = ctx.vlo[i] = IR_NONE;

    for (unsigned n = 0;; n++) {
        uint8_t buf[4];
        ctx.pc = pc;
        ctx.end = false;
        /* A64 instructions are 4-byte aligned (misaligned pc: PC alignment fault). */
        int err = (pc & 3) ? -1 : cpu->mem->fetch(cpu, pc, buf, 4);
        if (err) {
            if (n == 0) {
                ir_insn_start(b, pc, 4);
                b->guest_size = 4;
                b->guest_insns = 1;
                ir_raise(b, (pc & 3) ? EXCP_BUS : EXCP_SEGV, ir_i64(b, pc));
            } else {
                ir_goto(b, pc, 0);
            }
            return;
        }
        ctx.pc_next = pc + 4;
        ctx.insn = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
                   (uint32_t)buf[3] << 24;
        ir_insn_start(b, pc, 4);
        b->guest_size += 4;
        b->guest_insns++;
        if (!decode_a64(&ctx, ctx.insn)) {
            if (logd_enabled(LOGD_UNIMP))
                log_write(LOG_FRONTEND, LOG_INFO, "undecoded instruction 0x%08x at pc 0x%" PRIx64,
                          ctx.insn, ctx.pc);
            gen_illegal(&ctx);
        }
        if (ctx.end) return;
        pc = ctx.pc_next;
        if (n + 1 >= A64_MAX_BLOCK_INSNS) {
            ir_goto(b, pc, 0);
            return;
        }
    }
}

void a64_translate(CpuState *cpu, IrBlock *b, uint64_t pc)
{
    a64_translate_insns(cpu, b, pc);
    if (!(b->flags & CPU_TB_FLAG_DEBUG) && __atomic_load_n(&gdb_nbp, __ATOMIC_ACQUIRE) == 0)
        a64_drop_dead(b);
}
