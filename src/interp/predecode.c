/* SPDX-License-Identifier: MIT */
/* IR block -> pre-decoded interpreter block: frame slot assignment, one handler
 * per (op, type, operand form), constants folded into _ri forms or loaded by
 * movi at entry, setcond+goto_cond fused, exits numbered for chaining. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp_int.h"
#include "vm/log.h"

/* Handler ids per IR op: the first of the op's group (the groups' internal
 * order is fixed by the H_BIN / H_UN / H_CC enum macros). */
static const uint16_t bin_base[IR_OP_COUNT] = {
#define B_(n) [IR_OP_##n] = H_##n##_i32,
    INTERP_BINOPS(B_)
#undef B_
};
static const uint16_t un_base[IR_OP_COUNT] = {
#define U_(n) [IR_OP_##n] = H_##n##_i32,
    INTERP_UNOPS(U_) INTERP_TERNOPS(U_)
#undef U_
};
static const uint16_t cc_base[IR_COND_COUNT] = {
#define C_(C, c) [IR_COND_##C] = H_set##c##_i32,
    INTERP_CONDS(C_)
#undef C_
};
static bool is_bin(IrOp op) { return bin_base[op] || op == IR_OP_add; }
static bool is_un(IrOp op) { return un_base[op] || op == IR_OP_not; }
/* Offsets inside a handler group: i64 = +1, _ri = +2, then _set (binops) or
 * br (conditions) = +4. */
enum { RI = 2, SET = 4, BR = 4 };

/* setcond with the constant first: swap operands and mirror the condition. */
static const uint8_t cond_swap[IR_COND_COUNT] = {
    [IR_COND_EQ] = IR_COND_EQ,       [IR_COND_NE] = IR_COND_NE,
    [IR_COND_LT] = IR_COND_GT,       [IR_COND_GE] = IR_COND_LE,
    [IR_COND_LE] = IR_COND_GE,       [IR_COND_GT] = IR_COND_LT,
    [IR_COND_LTU] = IR_COND_GTU,     [IR_COND_GEU] = IR_COND_LEU,
    [IR_COND_LEU] = IR_COND_GEU,     [IR_COND_GTU] = IR_COND_LTU,
    [IR_COND_TSTEQ] = IR_COND_TSTEQ, [IR_COND_TSTNE] = IR_COND_TSTNE,
};

typedef struct PD {
    const IrBlock *ir;
    uint32_t *slot;  /* temp -> frame slot (0 = IR_NONE, always zero) */
    uint8_t *need;   /* constant temps that must be in their slot */
    IOp *ops;
    uint16_t *hid;   /* handler id per op, for fusion */
    uint32_t nops;
    IExit *exits;
    uint32_t nexits;
    uint32_t setcond_insn, setcond_op; /* last setcond, for fusion */
    uint8_t *pc_needed; /* per insn_start: some op of its insn may fault */
    uint32_t skip;      /* insn already folded into the previous op (0 = none) */
} PD;

/* A block the interpreter cannot run is a bug in its producer (frontends
 * only hand over verified blocks), so it is reported with the IR and aborts. */
static _Noreturn void bad(const PD *p, uint32_t i, const char *why)
{
    vm_error("interp: cannot pre-decode insn %u of block 0x%" PRIx64 ": %s", i, p->ir->pc, why);
    ir_print(p->ir, stderr);
    abort();
}

static IOp *emit(PD *p, unsigned hid)
{
    IOp *o = &p->ops[p->nops];
    memset(o, 0, sizeof(*o));
    o->h = interp_handlers[hid];
    p->hid[p->nops++] = (uint16_t)hid;
    return o;
}

/* A value operand: its slot, and constants used this way get loaded at entry. */
static uint16_t use(PD *p, IrVal v)
{
    if (v == IR_NONE) return 0;
    if (p->ir->temps[v].kind == IR_TEMP_CONST) p->need[v] = 1;
    return (uint16_t)p->slot[v];
}

static uint16_t def(PD *p, IrVal v) { return (uint16_t)p->slot[v]; }

static bool is_const(const PD *p, IrVal v) { return ir_is_const(p->ir, v); }
static uint64_t cval(const PD *p, IrVal v) { return p->ir->temps[v].cval[0]; }
static IrType tt(const PD *p, IrVal v) { return (IrType)p->ir->temps[v].type; }
static bool wide(IrType t) { return t == IR_I64 || t == IR_F64; }

static unsigned int_ti(const PD *p, uint32_t i, const IrInsn *in)
{
    if (in->type == IR_I32) return 0;
    if (in->type == IR_I64) return 1;
    bad(p, i, "integer op of non-integer type");
}

static unsigned exit_of(PD *p, uint64_t pc)
{
    IExit *e = &p->exits[p->nexits];
    e->pc = pc;
    e->next = NULL;
    e->gen = 0;
    return p->nexits++;
}

static unsigned ld_handler(const PD *p, uint32_t i, unsigned mo, IrType t)
{
    unsigned lg = mo & IR_MO_SIZE_MASK;
    bool sign = mo & IR_MO_SIGN, be = (mo & IR_MO_BE) && lg, w = wide(t);
    if (lg > 3) bad(p, i, "scalar load wider than 8 bytes");
    if ((mo & IR_MO_ALIGN) && lg) return H_ld_slow;
    switch (lg) {
    case 0: return !sign ? H_ld8u : w ? H_ld8s_64 : H_ld8s_32;
    case 1:
        if (!sign) return be ? H_ld16u_be : H_ld16u;
        if (w) return be ? H_ld16s_64_be : H_ld16s_64;
        return be ? H_ld16s_32_be : H_ld16s_32;
    case 2:
        if (sign && w) return be ? H_ld32s_64_be : H_ld32s_64;
        return be ? H_ld32u_be : H_ld32u;
    default:
        if (!w) return H_ld_slow; /* 8 bytes into 32: the helper truncates */
        return be ? H_ld64_be : H_ld64;
    }
}

static unsigned st_handler(const PD *p, uint32_t i, unsigned mo)
{
    unsigned lg = mo & IR_MO_SIZE_MASK;
    bool be = mo & IR_MO_BE;
    if (lg > 3) bad(p, i, "scalar store wider than 8 bytes");
    if ((mo & IR_MO_ALIGN) && lg) return H_st_slow;
    static const uint16_t le[4] = {H_st8, H_st16, H_st32, H_st64};
    static const uint16_t bes[4] = {H_st8, H_st16_be, H_st32_be, H_st64_be};
    return be ? bes[lg] : le[lg];
}

static void pd_insn(PD *p, uint32_t i)
{
    const IrInsn *in = &p->ir->insns[i];
    IrOp op = (IrOp)in->op;
    IOp *o;

    if (op >= IR_OP_COUNT) bad(p, i, "unknown op");
    if (is_bin(op)) {
        unsigned ti = int_ti(p, i, in);
        IrVal a = in->args[0], b = in->args[1];
        if (!is_const(p, b) && is_const(p, a) && (ir_op_info[op].flags & IR_OPF_COMMUT)) {
            IrVal t = a;
            a = b;
            b = t;
        }
        /* Fuse the set of the result right after, when the register has the
         * op's width and its offset fits IOp.c. */
        unsigned set = 0, off = 0;
        if (i + 1 < p->ir->ninsns) {
            const IrInsn *nx = &p->ir->insns[i + 1];
            if (nx->op == IR_OP_set && nx->args[0] == in->dst && nx->imm < p->ir->nregs) {
                const IrRegInfo *r = &p->ir->regs[nx->imm];
                if (r->type == in->type && r->offset <= UINT16_MAX) {
                    set = SET;
                    off = r->offset;
                    p->skip = i + 1;
                }
            }
        }
        if (is_const(p, b)) {
            o = emit(p, bin_base[op] + ti + RI + set);
            o->imm = cval(p, b);
        } else {
            o = emit(p, bin_base[op] + ti + set);
            o->b = use(p, b);
        }
        o->d = def(p, in->dst);
        o->a = use(p, a);
        o->c = (uint16_t)off;
        return;
    }
    if (is_un(op)) {
        o = emit(p, un_base[op] + int_ti(p, i, in));
        o->d = def(p, in->dst);
        o->a = use(p, in->args[0]);
        o->b = use(p, in->args[1]);
        o->c = use(p, in->args[2]);
        return;
    }

    switch (op) {
    case IR_OP_nop:
        return;
    case IR_OP_insn_start:
        if (!p->pc_needed[i]) return;
        o = emit(p, H_insn_start);
        o->imm = in->imm;
        return;
    case IR_OP_mov:
    case IR_OP_bitcast: /* I32<->F32, I64<->F64: same bits, same slot layout */
        if (is_const(p, in->args[0])) {
            const IrTemp *c = &p->ir->temps[in->args[0]];
            o = emit(p, H_movi);
            o->d = def(p, in->dst);
            o->imm = c->cval[0];
            if (c->type == IR_V128) {
                o = emit(p, H_movi);
                o->d = def(p, in->dst) + 1;
                o->imm = c->cval[1];
            }
            return;
        }
        o = emit(p, tt(p, in->args[0]) == IR_V128 ? H_mov2 : H_mov);
        o->d = def(p, in->dst);
        o->a = use(p, in->args[0]);
        return;

    case IR_OP_get:
    case IR_OP_set: {
        if (in->imm >= p->ir->nregs) bad(p, i, "register slot out of range");
        const IrRegInfo *r = &p->ir->regs[in->imm];
        IrType t = (IrType)r->type;
        bool is_set = op == IR_OP_set;
        if (is_set && is_const(p, in->args[0]) && t != IR_V128) {
            uint64_t c = cval(p, in->args[0]);
            o = emit(p, wide(t) ? H_set64i : H_set32i);
            o->aux = (uint32_t)c;
            o->aux2 = (uint32_t)(c >> 32);
        } else if (t == IR_V128) {
            o = emit(p, is_set ? H_set128 : H_get128);
        } else if (wide(t)) {
            o = emit(p, is_set ? H_set64 : H_get64);
        } else {
            o = emit(p, is_set ? H_set32 : H_get32);
        }
        o->imm = r->offset;
        if (is_set) {
            if (o->h != interp_handlers[H_set32i] && o->h != interp_handlers[H_set64i])
                o->a = use(p, in->args[0]);
        } else {
            o->d = def(p, in->dst);
        }
        return;
    }

    case IR_OP_extu:
    case IR_OP_exts:
    case IR_OP_trunc:
        o = emit(p, op == IR_OP_extu ? H_extu : op == IR_OP_exts ? H_exts : H_trunc);
        o->d = def(p, in->dst);
        o->a = use(p, in->args[0]);
        return;

    case IR_OP_extract:
    case IR_OP_sextract:
    case IR_OP_deposit: {
        unsigned ti = int_ti(p, i, in), w = ti ? 64 : 32;
        unsigned pos = in->imm & 0xff, len = (in->imm >> 8) & 0xff;
        if (len == 0 || pos + len > w) bad(p, i, "bitfield outside the type");
        static const uint16_t hs[3][2] = {{H_extract_i32, H_extract_i64},
                                          {H_sextract_i32, H_sextract_i64},
                                          {H_deposit_i32, H_deposit_i64}};
        o = emit(p, hs[op == IR_OP_extract ? 0 : op == IR_OP_sextract ? 1 : 2][ti]);
        o->d = def(p, in->dst);
        o->a = use(p, in->args[0]);
        o->b = use(p, in->args[1]);
        o->aux = pos;
        o->aux2 = len;
        return;
    }

    case IR_OP_setcond: {
        unsigned ti = int_ti(p, i, in);
        if (in->imm >= IR_COND_COUNT) bad(p, i, "bad condition");
        unsigned cond = (unsigned)in->imm;
        IrVal a = in->args[0], b = in->args[1];
        if (!is_const(p, b) && is_const(p, a)) {
            IrVal t = a;
            a = b;
            b = t;
            cond = cond_swap[cond];
        }
        if (is_const(p, b)) {
            o = emit(p, cc_base[cond] + ti + RI);
            o->imm = cval(p, b);
        } else {
            o = emit(p, cc_base[cond] + ti);
            o->b = use(p, b);
        }
        o->d = def(p, in->dst);
        o->a = use(p, a);
        p->setcond_insn = i;
        p->setcond_op = p->nops - 1;
        return;
    }
    case IR_OP_select:
        o = emit(p, in->type == IR_V128 ? H_select2 : H_select);
        o->d = def(p, in->dst);
        o->a = use(p, in->args[0]);
        o->b = use(p, in->args[1]);
        o->c = use(p, in->args[2]);
        return;

    case IR_OP_ld: {
        IrType t = (IrType)in->type;
        unsigned mo = (unsigned)in->imm;
        if (t == IR_V128 || (mo & IR_MO_SIZE_MASK) == 4) {
            if (t != IR_V128 || (mo & IR_MO_SIZE_MASK) != 4) bad(p, i, "16-byte load not V128");
            o = emit(p, H_ld128);
        } else {
            o = emit(p, ld_handler(p, i, mo, t));
        }
        o->d = def(p, in->dst);
        o->a = use(p, in->args[0]);
        o->imm = mo;
        o->aux = wide(t);
        return;
    }
    case IR_OP_st: {
        unsigned mo = (unsigned)in->imm;
        IrType t = tt(p, in->args[1]);
        if (t == IR_V128 || (mo & IR_MO_SIZE_MASK) == 4) {
            if (t != IR_V128 || (mo & IR_MO_SIZE_MASK) != 4) bad(p, i, "16-byte store not V128");
            o = emit(p, H_st128);
        } else {
            o = emit(p, st_handler(p, i, mo));
        }
        o->a = use(p, in->args[0]);
        o->b = use(p, in->args[1]);
        o->imm = mo;
        return;
    }
    case IR_OP_lr:
    case IR_OP_sc:
    case IR_OP_cas:
    case IR_OP_rmw:
        if ((in->imm & IR_MO_SIZE_MASK) > 3) bad(p, i, "atomic wider than 8 bytes");
        if (op == IR_OP_rmw && in->aux >= IR_RMW_COUNT) bad(p, i, "bad rmw op");
        o = emit(p, op == IR_OP_lr ? H_lr : op == IR_OP_sc ? H_sc : op == IR_OP_cas ? H_cas : H_rmw);
        o->d = def(p, in->dst);
        o->a = use(p, in->args[0]);
        o->b = use(p, in->args[1]);
        o->c = use(p, in->args[2]);
        o->imm = in->imm;
        o->aux = wide((IrType)in->type);
        o->aux2 = in->aux;
        return;
    case IR_OP_fence:
        emit(p, (in->imm & IR_FENCE_INSN) ? H_fence_insn : H_fence);
        return;

    /* Floating point: aux = rm, aux2 = type | type2 << 8, imm = op flags. */
    case IR_OP_fadd: case IR_OP_fsub: case IR_OP_fmul: case IR_OP_fdiv: case IR_OP_fsqrt:
    case IR_OP_fma: case IR_OP_fmin: case IR_OP_fmax: case IR_OP_fcmp: case IR_OP_fclass:
    case IR_OP_fcvt_f2i: case IR_OP_fcvt_i2f: case IR_OP_fcvt_f2f: case IR_OP_fround: {
        static const uint16_t fh[IR_OP_COUNT] = {
            [IR_OP_fadd] = H_fadd, [IR_OP_fsub] = H_fsub, [IR_OP_fmul] = H_fmul,
            [IR_OP_fdiv] = H_fdiv, [IR_OP_fsqrt] = H_fsqrt, [IR_OP_fma] = H_fma,
            [IR_OP_fmin] = H_fmin, [IR_OP_fmax] = H_fmax, [IR_OP_fcmp] = H_fcmp,
            [IR_OP_fclass] = H_fclass, [IR_OP_fcvt_f2i] = H_fcvt_f2i,
            [IR_OP_fcvt_i2f] = H_fcvt_i2f, [IR_OP_fcvt_f2f] = H_fcvt_f2f,
            [IR_OP_fround] = H_fround,
        };
        IrType t = (IrType)in->type, t2 = IR_VOID;
        uint64_t flags = in->aux;
        switch (op) {
        case IR_OP_fclass:
        case IR_OP_fcvt_f2i: t2 = tt(p, in->dst); break;      /* the integer type */
        case IR_OP_fcvt_i2f: t2 = tt(p, in->args[0]); break;  /* the integer type */
        case IR_OP_fcvt_f2f: t2 = tt(p, in->args[0]); break;  /* from */
        case IR_OP_fcmp: flags = in->imm | (in->aux ? 1u << 8 : 0); break;
        default: break;
        }
        if (op == IR_OP_fcvt_i2f || op == IR_OP_fcvt_f2f) t = tt(p, in->dst);
        if (t != IR_F32 && t != IR_F64) bad(p, i, "FP op of non-FP type");
        o = emit(p, fh[op]);
        o->d = def(p, in->dst);
        o->a = use(p, in->args[0]);
        o->b = use(p, in->args[1]);
        o->c = use(p, in->args[2]);
        o->aux = op == IR_OP_fcmp ? 0 : (uint32_t)in->imm;
        o->aux2 = t | t2 << 8;
        o->imm = flags;
        return;
    }

    case IR_OP_vdup:
    case IR_OP_vextract:
    case IR_OP_vinsert:
        if (in->imm > 3) bad(p, i, "bad element size");
        if (op != IR_OP_vdup && in->aux >= (16u >> in->imm)) bad(p, i, "lane out of range");
        o = emit(p, op == IR_OP_vdup ? H_vdup : op == IR_OP_vextract ? H_vextract : H_vinsert);
        o->d = def(p, in->dst);
        o->a = use(p, in->args[0]);
        o->b = use(p, in->args[1]);
        o->aux = in->aux;
        o->aux2 = (uint32_t)in->imm;
        return;

    case IR_OP_call: {
        const IrHelper *h = (const IrHelper *)(uintptr_t)in->imm;
        if (!h || h->nargs > 4) bad(p, i, "bad helper");
        static const uint16_t ch[5] = {H_call0, H_call1, H_call2, H_call3, H_call4};
        o = emit(p, ch[h->nargs]);
        o->imm = (uint64_t)(uintptr_t)h->fn;
        o->a = use(p, in->args[0]);
        o->b = use(p, in->args[1]);
        o->c = use(p, in->args[2]);
        o->aux2 = use(p, in->args[3]);
        if (in->dst != IR_NONE && h->ret_type != IR_VOID) {
            o->d = def(p, in->dst);
            o->aux = wide(tt(p, in->dst)) ? 64 : 32;
        }
        return;
    }

    case IR_OP_goto:
        if (in->aux & IR_EXIT_NOCHAIN) {
            o = emit(p, H_goto_nochain);
            o->imm = in->imm;
        } else {
            o = emit(p, H_goto);
            o->aux = exit_of(p, in->imm);
        }
        return;
    case IR_OP_goto_cond: {
        IrVal c = in->args[0];
        /* Fuse with the setcond emitted just before, when it defined the
         * condition: the br form computes, writes the dst, and exits. */
        if (i && p->setcond_insn == i - 1 && p->ir->insns[i - 1].dst == c &&
            p->setcond_op == p->nops - 1) {
            unsigned hid = p->hid[p->nops - 1] + BR;
            o = &p->ops[p->nops - 1];
            p->hid[p->nops - 1] = (uint16_t)hid;
            o->h = interp_handlers[hid];
            o->aux = exit_of(p, in->imm);
            return;
        }
        o = emit(p, H_goto_cond);
        o->a = use(p, c);
        o->aux = exit_of(p, in->imm);
        return;
    }
    case IR_OP_goto_ind:
        o = emit(p, (in->aux & IR_EXIT_NOCHAIN) ? H_goto_ind_nochain : H_goto_ind);
        o->a = use(p, in->args[0]);
        return;
    case IR_OP_raise:
        /* args[0] = IR_NONE reads slot 0, which is always zero. */
        o = emit(p, H_raise);
        o->a = use(p, in->args[0]);
        o->imm = in->imm;
        return;

    default: {
        /* Remaining vector ops: one body per (op, element size). */
        IVecFn fn = in->imm <= 3 ? interp_vec_fn(op, (unsigned)in->imm) : NULL;
        if (fn && in->type == IR_V128) {
            o = emit(p, H_vec);
            o->imm = (uint64_t)(uintptr_t)fn;
            o->d = def(p, in->dst);
            o->a = use(p, in->args[0]);
            o->b = use(p, in->args[1]);
            o->c = use(p, in->args[2]);
            o->aux = in->aux;
            o->aux2 = (uint32_t)in->imm;
            return;
        }
        bad(p, i, "op not handled");
    }
    }
}

IBlock *interp_predecode(const IrBlock *ir)
{
    PD p = {.ir = ir, .setcond_insn = UINT32_MAX, .setcond_op = UINT32_MAX};
    uint32_t n = ir->ninsns;
    if (!n) bad(&p, 0, "empty block");
    unsigned last = ir->insns[n - 1].op;
    if (last != IR_OP_goto && last != IR_OP_goto_ind && last != IR_OP_raise)
        bad(&p, n - 1, "block does not end with an exit");

    p.slot = calloc(ir->ntemps, sizeof(*p.slot));
    p.need = calloc(ir->ntemps, 1);
    p.ops = malloc(n * sizeof(IOp));
    p.hid = malloc(n * sizeof(uint16_t));
    p.exits = malloc(n * sizeof(IExit));
    if (!p.slot || !p.need || !p.ops || !p.hid || !p.exits) abort(); /* host OOM */

    /* Slot 0 stays zero (IR_NONE); every temp gets its own slot(s). */
    uint32_t next = 1;
    for (uint32_t t = 1; t < ir->ntemps; t++) {
        p.slot[t] = next;
        next += ir->temps[t].type == IR_V128 ? 2 : 1;
        if (p.slot[t] >= INTERP_MAX_SLOTS) bad(&p, 0, "too many temps for 16-bit slots");
    }

    /* cpu->pc only has to be exact when something can observe it mid-block: an
     * op that may fault (memory, call, raise). Exits set it themselves. So an
     * insn_start is kept only when its instruction has such an op: the guest
     * state at any fault is still exactly the IR's, and straight-line integer
     * code loses a store per guest instruction. */
    p.pc_needed = calloc(n, 1);
    if (!p.pc_needed) abort();
    for (uint32_t i = n, fault = 0; i-- > 0;) {
        if (ir->insns[i].op == IR_OP_insn_start) {
            p.pc_needed[i] = (uint8_t)fault;
            fault = 0;
        } else if (ir_op_info[ir->insns[i].op].flags & IR_OPF_FAULT) {
            fault = 1;
        }
    }

    for (uint32_t i = 0; i < n; i++)
        if (!p.skip || i != p.skip) pd_insn(&p, i);

    uint32_t nconst = 0;
    for (uint32_t t = 1; t < ir->ntemps; t++)
        if (p.need[t]) nconst += ir->temps[t].type == IR_V128 ? 2 : 1;

    uint32_t nops = nconst + p.nops;
    size_t bytes = sizeof(IBlock) + nops * sizeof(IOp) + p.nexits * sizeof(IExit);
    IBlock *b = calloc(1, bytes);
    if (!b) abort();
    b->bytes = bytes;
    b->nops = nops;
    b->nexits = p.nexits;
    b->nslots = next;
    b->nirs = n;
    b->exits = (IExit *)&b->ops[nops];
    memcpy(b->exits, p.exits, p.nexits * sizeof(IExit));

    /* Constants used as plain operands are loaded first; I32/F32 ones are
     * already zero-extended by ir_const (masked again, to keep the invariant). */
    IOp *o = b->ops;
    for (uint32_t t = 1; t < ir->ntemps; t++) {
        if (!p.need[t]) continue;
        const IrTemp *c = &ir->temps[t];
        bool narrow = c->type == IR_I32 || c->type == IR_F32;
        *o = (IOp){.h = interp_handlers[H_movi], .d = (uint16_t)p.slot[t],
                   .imm = narrow ? (uint32_t)c->cval[0] : c->cval[0]};
        o++;
        if (c->type == IR_V128) {
            *o = (IOp){.h = interp_handlers[H_movi], .d = (uint16_t)(p.slot[t] + 1),
                       .imm = c->cval[1]};
            o++;
        }
    }
    memcpy(o, p.ops, p.nops * sizeof(IOp));

    free(p.slot);
    free(p.need);
    free(p.ops);
    free(p.hid);
    free(p.exits);
    free(p.pc_needed);
    return b;
}
