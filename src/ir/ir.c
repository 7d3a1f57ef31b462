/* SPDX-License-Identifier: MIT */
/* IR blocks: the op table and the builder every frontend uses. */
#include <stdlib.h>
#include <string.h>

#include "vm/ir.h"

const IrOpInfo ir_op_info[IR_OP_COUNT] = {
#define DEF(n, na, hd, fl) [IR_OP_##n] = {#n, na, hd, fl},
#include "vm/ir_ops.def"
#undef DEF
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) abort(); /* out of host memory: a bug-level condition for vm */
    return q;
}

void ir_block_init(IrBlock *b, const IrRegInfo *regs, uint32_t nregs)
{
    memset(b, 0, sizeof(*b));
    b->regs = regs;
    b->nregs = nregs;
    b->cap_insns = 256;
    b->insns = xrealloc(NULL, b->cap_insns * sizeof(IrInsn));
    b->cap_temps = 256;
    b->temps = xrealloc(NULL, b->cap_temps * sizeof(IrTemp));
    b->slot_val = xrealloc(NULL, (nregs ? nregs : 1) * sizeof(IrVal));
    ir_block_reset(b, 0, 0);
}

void ir_block_reset(IrBlock *b, uint64_t pc, uint64_t flags)
{
    b->ninsns = 0;
    b->ntemps = 1; /* temps[0] = IR_NONE */
    memset(&b->temps[0], 0, sizeof(IrTemp));
    b->pc = pc;
    b->flags = flags;
    b->guest_size = 0;
    b->guest_insns = 0;
    memset(b->slot_val, 0, (b->nregs ? b->nregs : 1) * sizeof(IrVal));
}

void ir_block_free(IrBlock *b)
{
    free(b->insns);
    free(b->temps);
    free(b->slot_val);
    memset(b, 0, sizeof(*b));
}

static IrVal new_temp(IrBlock *b, IrType t, int kind)
{
    if (b->ntemps == b->cap_temps) {
        b->cap_temps *= 2;
        b->temps = xrealloc(b->temps, b->cap_temps * sizeof(IrTemp));
    }
    IrVal v = b->ntemps++;
    IrTemp *tp = &b->temps[v];
    memset(tp, 0, sizeof(*tp));
    tp->type = (uint8_t)t;
    tp->kind = (uint8_t)kind;
    return v;
}

IrVal ir_temp(IrBlock *b, IrType t) { return new_temp(b, t, IR_TEMP_NORMAL); }

IrVal ir_const(IrBlock *b, IrType t, uint64_t v)
{
    if (t == IR_I32 || t == IR_F32) v = (uint32_t)v;
    /* Reuse a recent identical constant: keeps blocks small for engines. */
    uint32_t lim = b->ntemps > 16 ? b->ntemps - 16 : 1;
    for (uint32_t i = b->ntemps; i-- > lim;) {
        IrTemp *tp = &b->temps[i];
        if (tp->kind == IR_TEMP_CONST && tp->type == t && tp->cval[0] == v) return i;
    }
    IrVal c = new_temp(b, t, IR_TEMP_CONST);
    b->temps[c].cval[0] = v;
    return c;
}

IrVal ir_const_v128(IrBlock *b, uint64_t lo, uint64_t hi)
{
    IrVal c = new_temp(b, IR_V128, IR_TEMP_CONST);
    b->temps[c].cval[0] = lo;
    b->temps[c].cval[1] = hi;
    return c;
}

IrInsn *ir_emit(IrBlock *b, IrOp op, IrType type, IrVal dst, IrVal a0, IrVal a1, IrVal a2,
                uint64_t imm, uint32_t aux)
{
    if (b->ninsns == b->cap_insns) {
        b->cap_insns *= 2;
        b->insns = xrealloc(b->insns, b->cap_insns * sizeof(IrInsn));
    }
    IrInsn *in = &b->insns[b->ninsns];
    in->op = (uint16_t)op;
    in->type = (uint8_t)type;
    in->pad = 0;
    in->dst = dst;
    in->args[0] = a0;
    in->args[1] = a1;
    in->args[2] = a2;
    in->args[3] = IR_NONE;
    in->aux = aux;
    in->imm = imm;
    if (dst != IR_NONE) b->temps[dst].def = b->ninsns;
    b->ninsns++;
    return in;
}

IrVal ir_opx(IrBlock *b, IrOp op, IrType type, IrType dst_type, IrVal a, IrVal c, IrVal d,
             uint64_t imm, uint32_t aux)
{
    IrVal dst = ir_temp(b, dst_type);
    ir_emit(b, op, type, dst, a, c, d, imm, aux);
    return dst;
}

IrVal ir_op1(IrBlock *b, IrOp op, IrType type, IrVal a)
{
    return ir_opx(b, op, type, type, a, IR_NONE, IR_NONE, 0, 0);
}

IrVal ir_op2(IrBlock *b, IrOp op, IrType type, IrVal a, IrVal c)
{
    return ir_opx(b, op, type, type, a, c, IR_NONE, 0, 0);
}

IrVal ir_op3(IrBlock *b, IrOp op, IrType type, IrVal a, IrVal c, IrVal d)
{
    return ir_opx(b, op, type, type, a, c, d, 0, 0);
}

/* -- Guest registers ------------------------------------------------------- */

IrVal ir_get(IrBlock *b, unsigned slot)
{
    if (slot < b->nregs && b->slot_val[slot] != IR_NONE) return b->slot_val[slot];
    IrType t = slot < b->nregs ? (IrType)b->regs[slot].type : IR_I64;
    IrVal v = ir_temp(b, t);
    ir_emit(b, IR_OP_get, t, v, IR_NONE, IR_NONE, IR_NONE, slot, 0);
    if (slot < b->nregs) b->slot_val[slot] = v;
    return v;
}

void ir_set(IrBlock *b, unsigned slot, IrVal v)
{
    IrType t = slot < b->nregs ? (IrType)b->regs[slot].type : ir_type_of(b, v);
    ir_emit(b, IR_OP_set, t, IR_NONE, v, IR_NONE, IR_NONE, slot, 0);
    if (slot < b->nregs) b->slot_val[slot] = v;
}

void ir_forget_regs(IrBlock *b)
{
    memset(b->slot_val, 0, (b->nregs ? b->nregs : 1) * sizeof(IrVal));
}

void ir_insn_start(IrBlock *b, uint64_t pc, unsigned len)
{
    ir_emit(b, IR_OP_insn_start, IR_VOID, IR_NONE, IR_NONE, IR_NONE, IR_NONE, pc, len);
}

/* -- Integer helpers -------------------------------------------------------- */

IrVal ir_setcond(IrBlock *b, IrType t, IrCond c, IrVal a, IrVal d)
{
    return ir_opx(b, IR_OP_setcond, t, t, a, d, IR_NONE, (uint64_t)c, 0);
}

IrVal ir_select(IrBlock *b, IrVal c, IrVal a, IrVal d)
{
    IrType t = ir_type_of(b, a);
    return ir_opx(b, IR_OP_select, t, t, c, a, d, 0, 0);
}

IrVal ir_extract(IrBlock *b, IrType t, IrVal a, unsigned pos, unsigned len, bool sign)
{
    return ir_opx(b, sign ? IR_OP_sextract : IR_OP_extract, t, t, a, IR_NONE, IR_NONE,
                  pos | (len << 8), 0);
}

IrVal ir_deposit(IrBlock *b, IrType t, IrVal a, IrVal v, unsigned pos, unsigned len)
{
    return ir_opx(b, IR_OP_deposit, t, t, a, v, IR_NONE, pos | (len << 8), 0);
}

/* -- Memory ----------------------------------------------------------------------- */

IrVal ir_ld(IrBlock *b, IrType t, IrVal addr, unsigned memop)
{
    return ir_opx(b, IR_OP_ld, t, t, addr, IR_NONE, IR_NONE, memop, 0);
}

void ir_st(IrBlock *b, IrVal addr, IrVal v, unsigned memop)
{
    ir_emit(b, IR_OP_st, ir_type_of(b, v), IR_NONE, addr, v, IR_NONE, memop, 0);
}

IrVal ir_lr(IrBlock *b, IrType t, IrVal addr, unsigned memop)
{
    return ir_opx(b, IR_OP_lr, t, t, addr, IR_NONE, IR_NONE, memop, 0);
}

IrVal ir_sc(IrBlock *b, IrType t, IrVal addr, IrVal v, unsigned memop)
{
    return ir_opx(b, IR_OP_sc, t, t, addr, v, IR_NONE, memop, 0);
}

IrVal ir_cas(IrBlock *b, IrType t, IrVal addr, IrVal expect, IrVal nv, unsigned memop)
{
    return ir_opx(b, IR_OP_cas, t, t, addr, expect, nv, memop, 0);
}

IrVal ir_rmw(IrBlock *b, IrType t, IrRmwOp op, IrVal addr, IrVal v, unsigned memop)
{
    return ir_opx(b, IR_OP_rmw, t, t, addr, v, IR_NONE, memop, (uint32_t)op);
}

void ir_fence(IrBlock *b, unsigned kind)
{
    ir_emit(b, IR_OP_fence, IR_VOID, IR_NONE, IR_NONE, IR_NONE, IR_NONE, kind, 0);
}

/* -- Floating point ------------------------------------------------------------- */

IrVal ir_fop2(IrBlock *b, IrOp op, IrType t, IrVal a, IrVal c, IrRound rm)
{
    return ir_opx(b, op, t, t, a, c, IR_NONE, (uint64_t)rm, 0);
}

IrVal ir_fsqrt(IrBlock *b, IrType t, IrVal a, IrRound rm)
{
    return ir_opx(b, IR_OP_fsqrt, t, t, a, IR_NONE, IR_NONE, (uint64_t)rm, 0);
}

IrVal ir_fma(IrBlock *b, IrType t, IrVal a, IrVal c, IrVal d, unsigned neg, IrRound rm)
{
    return ir_opx(b, IR_OP_fma, t, t, a, c, d, (uint64_t)rm, neg);
}

IrVal ir_fminmax(IrBlock *b, bool max, IrType t, IrVal a, IrVal c, IrFMinMax variant)
{
    return ir_opx(b, max ? IR_OP_fmax : IR_OP_fmin, t, t, a, c, IR_NONE, 0, (uint32_t)variant);
}

IrVal ir_fcmp(IrBlock *b, IrType dst_type, IrType t, IrFCmp cond, bool signaling, IrVal a,
              IrVal c)
{
    return ir_opx(b, IR_OP_fcmp, t, dst_type, a, c, IR_NONE, (uint64_t)cond, signaling);
}

IrVal ir_fclass(IrBlock *b, IrType dst_type, IrType t, IrVal a)
{
    return ir_opx(b, IR_OP_fclass, t, dst_type, a, IR_NONE, IR_NONE, 0, 0);
}

IrVal ir_fcvt_f2i(IrBlock *b, IrType dst_type, IrType t, IrVal a, IrRound rm, unsigned cvt)
{
    return ir_opx(b, IR_OP_fcvt_f2i, t, dst_type, a, IR_NONE, IR_NONE, (uint64_t)rm, cvt);
}

IrVal ir_fcvt_i2f(IrBlock *b, IrType dst_type, IrVal a, IrRound rm, unsigned cvt)
{
    /* type = the FP result type; the integer width is the source temp's type */
    return ir_opx(b, IR_OP_fcvt_i2f, dst_type, dst_type, a, IR_NONE, IR_NONE, (uint64_t)rm, cvt);
}

IrVal ir_fcvt_f2f(IrBlock *b, IrType dst_type, IrVal a, IrRound rm)
{
    return ir_opx(b, IR_OP_fcvt_f2f, dst_type, dst_type, a, IR_NONE, IR_NONE, (uint64_t)rm, 0);
}

IrVal ir_fround(IrBlock *b, IrType t, IrVal a, IrRound rm, unsigned flags)
{
    return ir_opx(b, IR_OP_fround, t, t, a, IR_NONE, IR_NONE, (uint64_t)rm, flags);
}

IrVal ir_bitcast(IrBlock *b, IrType dst_type, IrVal a)
{
    return ir_opx(b, IR_OP_bitcast, dst_type, dst_type, a, IR_NONE, IR_NONE, 0, 0);
}

/* -- Calls and exits -------------------------------------------------------------- */

IrVal ir_call(IrBlock *b, const IrHelper *h, IrVal a0, IrVal a1, IrVal a2, IrVal a3)
{
    IrVal dst = h->ret_type != IR_VOID ? ir_temp(b, (IrType)h->ret_type) : IR_NONE;
    IrInsn *in = ir_emit(b, IR_OP_call, (IrType)h->ret_type, dst, a0, a1, a2,
                         (uint64_t)(uintptr_t)h, 0);
    in->args[3] = a3;
    if (h->flags & (IR_HELPER_WRITES_REGS)) ir_forget_regs(b);
    return dst;
}

void ir_goto(IrBlock *b, uint64_t pc, unsigned exit_flags)
{
    ir_emit(b, IR_OP_goto, IR_VOID, IR_NONE, IR_NONE, IR_NONE, IR_NONE, pc, exit_flags);
}

void ir_goto_cond(IrBlock *b, IrVal c, uint64_t pc)
{
    ir_emit(b, IR_OP_goto_cond, ir_type_of(b, c), IR_NONE, c, IR_NONE, IR_NONE, pc, 0);
}

void ir_goto_ind(IrBlock *b, IrVal pc, unsigned exit_flags)
{
    ir_emit(b, IR_OP_goto_ind, IR_I64, IR_NONE, pc, IR_NONE, IR_NONE, 0, exit_flags);
}

void ir_raise(IrBlock *b, unsigned excp, IrVal tval)
{
    ir_emit(b, IR_OP_raise, IR_VOID, IR_NONE, tval, IR_NONE, IR_NONE, excp, 0);
}

void ir_remove_nops(IrBlock *b)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->ninsns; i++) {
        if (b->insns[i].op == IR_OP_nop) continue;
        if (b->insns[i].dst != IR_NONE) b->temps[b->insns[i].dst].def = n;
        b->insns[n++] = b->insns[i];
    }
    b->ninsns = n;
}
