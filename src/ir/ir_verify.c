/* SPDX-License-Identifier: MIT */
/* The IR verifier: checks the rules of docs/ir.md ("Value rules", "Type
 * rules") so engines may assume them. A failure is a bug in whatever built
 * the block (a frontend or a pass), never the guest's doing. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vm/ir.h"

typedef struct Ctx {
    const IrBlock *b;
    char *err;
    size_t errlen;
    uint32_t idx; /* insn being checked */
} Ctx;

static bool fail(Ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(Ctx *c, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        int n = 0;
        if (c->idx < c->b->ninsns) {
            const IrInsn *in = &c->b->insns[c->idx];
            n = snprintf(c->err, c->errlen, "insn %u (%s): ", c->idx,
                         in->op < IR_OP_COUNT ? ir_op_info[in->op].name : "?");
            if (n < 0 || (size_t)n >= c->errlen) n = 0;
        }
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool is_int(IrType t) { return t == IR_I32 || t == IR_I64; }
static bool is_fp(IrType t) { return t == IR_F32 || t == IR_F64; }
static unsigned width(IrType t)
{
    switch (t) {
    case IR_I32: case IR_F32: return 32;
    case IR_I64: case IR_F64: return 64;
    case IR_V128: return 128;
    default: return 0;
    }
}

static IrType ty(const Ctx *c, IrVal v) { return (IrType)c->b->temps[v].type; }

/* args[i] has type t. */
static bool arg_is(Ctx *c, const IrInsn *in, unsigned i, IrType t)
{
    IrType at = ty(c, in->args[i]);
    if (at != t)
        return fail(c, "arg %u t%u is %s, expected %s", i, in->args[i], ir_type_name(at),
                    ir_type_name(t));
    return true;
}

static bool arg_int(Ctx *c, const IrInsn *in, unsigned i)
{
    if (!is_int(ty(c, in->args[i])))
        return fail(c, "arg %u t%u is %s, expected an integer", i, in->args[i],
                    ir_type_name(ty(c, in->args[i])));
    return true;
}

static bool dst_is(Ctx *c, const IrInsn *in, IrType t)
{
    if (ty(c, in->dst) != t)
        return fail(c, "dst t%u is %s, expected %s", in->dst, ir_type_name(ty(c, in->dst)),
                    ir_type_name(t));
    return true;
}

static bool dst_int(Ctx *c, const IrInsn *in)
{
    if (!is_int(ty(c, in->dst)))
        return fail(c, "dst t%u is %s, expected an integer", in->dst,
                    ir_type_name(ty(c, in->dst)));
    return true;
}

static bool type_in(Ctx *c, const IrInsn *in, bool ok, const char *what)
{
    if (!ok) return fail(c, "type %s, expected %s", ir_type_name((IrType)in->type), what);
    return true;
}

/* dst and all nargs operands have the insn's type. */
static bool uniform(Ctx *c, const IrInsn *in, unsigned nargs)
{
    IrType t = (IrType)in->type;
    for (unsigned i = 0; i < nargs; i++)
        if (!arg_is(c, in, i, t)) return false;
    return dst_is(c, in, t);
}

static bool rm_ok(Ctx *c, uint64_t rm)
{
    if (rm > IR_RM_RNO && rm != IR_RM_DYN) return fail(c, "bad rounding mode %u", (unsigned)rm);
    return true;
}

/* Memop rules: known bits only; size fits the value type; sign only for
 * integers narrower than the type; FP and V128 move their exact width. */
static bool memop_ok(Ctx *c, const IrInsn *in, IrType vt, bool is_load)
{
    uint64_t mo = in->imm;
    uint64_t known = IR_MO_SIZE_MASK | IR_MO_SIGN | IR_MO_BE | IR_MO_ALIGN | IR_MO_ACQ |
                     IR_MO_REL | IR_MO_EXEC | IR_MO_IDX_MASK;
    if (mo & ~known) return fail(c, "unknown memop bits 0x%llx", (unsigned long long)(mo & ~known));
    if ((mo & IR_MO_SIZE_MASK) > 4) return fail(c, "memop size code %u > 4", (unsigned)(mo & 7));
    unsigned bits = IR_MO_SIZE(mo) * 8;
    if (is_int(vt)) {
        if (bits > width(vt)) return fail(c, "memop size %u bits exceeds %s", bits, ir_type_name(vt));
        if ((mo & IR_MO_SIGN) && (!is_load || bits == width(vt)))
            return fail(c, "memop sign bit only for a narrowing load");
    } else if (is_fp(vt) || vt == IR_V128) {
        if (bits != width(vt)) return fail(c, "memop size %u bits for %s", bits, ir_type_name(vt));
        if (mo & IR_MO_SIGN) return fail(c, "memop sign bit on %s", ir_type_name(vt));
    } else {
        return fail(c, "memory value type %s", ir_type_name(vt));
    }
    return true;
}

static bool check_vec_esize(Ctx *c, const IrInsn *in)
{
    if (in->imm > 3) return fail(c, "element size code %u > 3", (unsigned)in->imm);
    return true;
}

/* The per-op type rules (docs/ir.md, "Type rules"). Operand presence and
 * definition order were already checked. */
static bool check_types(Ctx *c, const IrInsn *in)
{
    const IrBlock *b = c->b;
    IrType t = (IrType)in->type;
    IrOp op = (IrOp)in->op;

    switch (op) {
    case IR_OP_nop:
    case IR_OP_insn_start:
    case IR_OP_goto:
        return type_in(c, in, t == IR_VOID, "void");
    case IR_OP_mov:
        return type_in(c, in, t != IR_VOID && t < IR_TYPE_COUNT, "a value type") &&
               uniform(c, in, 1);
    case IR_OP_get:
    case IR_OP_set:
        if (in->imm >= b->nregs)
            return fail(c, "slot %llu >= nregs %u", (unsigned long long)in->imm, b->nregs);
        if (t != (IrType)b->regs[in->imm].type)
            return fail(c, "type %s but slot %s is %s", ir_type_name(t), b->regs[in->imm].name,
                        ir_type_name((IrType)b->regs[in->imm].type));
        return op == IR_OP_get ? dst_is(c, in, t) : arg_is(c, in, 0, t);

    case IR_OP_add: case IR_OP_sub: case IR_OP_mul: case IR_OP_mulhs: case IR_OP_mulhu:
    case IR_OP_mulhsu: case IR_OP_divs: case IR_OP_divu: case IR_OP_rems: case IR_OP_remu:
    case IR_OP_and: case IR_OP_or: case IR_OP_xor: case IR_OP_andn: case IR_OP_orn:
    case IR_OP_xnor: case IR_OP_shl: case IR_OP_shr: case IR_OP_sar: case IR_OP_rotl:
    case IR_OP_rotr: case IR_OP_smin: case IR_OP_smax: case IR_OP_umin: case IR_OP_umax:
        return type_in(c, in, is_int(t), "i32 or i64") && uniform(c, in, 2);
    case IR_OP_not: case IR_OP_neg: case IR_OP_clz: case IR_OP_ctz: case IR_OP_cpop:
    case IR_OP_bswap: case IR_OP_brev: case IR_OP_sext8: case IR_OP_sext16:
    case IR_OP_zext8: case IR_OP_zext16:
        return type_in(c, in, is_int(t), "i32 or i64") && uniform(c, in, 1);
    case IR_OP_sext32: case IR_OP_zext32:
        return type_in(c, in, t == IR_I64, "i64") && uniform(c, in, 1);
    case IR_OP_extu: case IR_OP_exts:
        return type_in(c, in, t == IR_I64, "i64") && arg_is(c, in, 0, IR_I32) &&
               dst_is(c, in, IR_I64);
    case IR_OP_trunc:
        return type_in(c, in, t == IR_I32, "i32") && arg_is(c, in, 0, IR_I64) &&
               dst_is(c, in, IR_I32);
    case IR_OP_extract: case IR_OP_sextract: case IR_OP_deposit: {
        if (!type_in(c, in, is_int(t), "i32 or i64") ||
            !uniform(c, in, op == IR_OP_deposit ? 2 : 1))
            return false;
        unsigned pos = in->imm & 0xff, len = (in->imm >> 8) & 0xff;
        if (in->imm >> 16 || len == 0 || pos + len > width(t))
            return fail(c, "bitfield pos %u len %u outside %s", pos, len, ir_type_name(t));
        return true;
    }
    case IR_OP_setcond:
        if (in->imm >= IR_COND_COUNT) return fail(c, "bad condition %u", (unsigned)in->imm);
        return type_in(c, in, is_int(t), "i32 or i64") && arg_is(c, in, 0, t) &&
               arg_is(c, in, 1, t) && dst_int(c, in);
    case IR_OP_select:
        return type_in(c, in, t != IR_VOID && t < IR_TYPE_COUNT, "a value type") &&
               arg_int(c, in, 0) && arg_is(c, in, 1, t) && arg_is(c, in, 2, t) &&
               dst_is(c, in, t);
    case IR_OP_carry_add: case IR_OP_ovf_add: case IR_OP_ovf_sub:
        return type_in(c, in, is_int(t), "i32 or i64") && arg_is(c, in, 0, t) &&
               arg_is(c, in, 1, t) && dst_int(c, in);
    case IR_OP_carry_adc: case IR_OP_borrow_sbb: case IR_OP_ovf_adc: case IR_OP_ovf_sbb:
        return type_in(c, in, is_int(t), "i32 or i64") && arg_is(c, in, 0, t) &&
               arg_is(c, in, 1, t) && arg_int(c, in, 2) && dst_int(c, in);
    case IR_OP_parity:
        return type_in(c, in, is_int(t), "i32 or i64") && arg_is(c, in, 0, t) && dst_int(c, in);

    case IR_OP_ld:
        return type_in(c, in, t != IR_VOID && t < IR_TYPE_COUNT, "a value type") &&
               arg_is(c, in, 0, IR_I64) && dst_is(c, in, t) && memop_ok(c, in, t, true);
    case IR_OP_st:
        return type_in(c, in, t != IR_VOID && t < IR_TYPE_COUNT, "a value type") &&
               arg_is(c, in, 0, IR_I64) && arg_is(c, in, 1, t) && memop_ok(c, in, t, false);
    case IR_OP_lr:
        return type_in(c, in, is_int(t), "i32 or i64") && arg_is(c, in, 0, IR_I64) &&
               dst_is(c, in, t) && memop_ok(c, in, t, true);
    case IR_OP_sc:
        return type_in(c, in, is_int(t), "i32 or i64") && arg_is(c, in, 0, IR_I64) &&
               arg_is(c, in, 1, t) && dst_int(c, in) && memop_ok(c, in, t, false);
    case IR_OP_cas:
        return type_in(c, in, is_int(t), "i32 or i64") && arg_is(c, in, 0, IR_I64) &&
               arg_is(c, in, 1, t) && arg_is(c, in, 2, t) && dst_is(c, in, t) &&
               memop_ok(c, in, t, true);
    case IR_OP_rmw:
        if (in->aux >= IR_RMW_COUNT) return fail(c, "bad rmw op %u", in->aux);
        return type_in(c, in, is_int(t), "i32 or i64") && arg_is(c, in, 0, IR_I64) &&
               arg_is(c, in, 1, t) && dst_is(c, in, t) && memop_ok(c, in, t, true);
    case IR_OP_fence:
        if (in->imm & ~(uint64_t)(IR_FENCE_ALL | IR_FENCE_INSN))
            return fail(c, "unknown fence bits 0x%llx", (unsigned long long)in->imm);
        return type_in(c, in, t == IR_VOID, "void");

    case IR_OP_fadd: case IR_OP_fsub: case IR_OP_fmul: case IR_OP_fdiv:
        return type_in(c, in, is_fp(t), "f32 or f64") && uniform(c, in, 2) && rm_ok(c, in->imm);
    case IR_OP_fsqrt:
        return type_in(c, in, is_fp(t), "f32 or f64") && uniform(c, in, 1) && rm_ok(c, in->imm);
    case IR_OP_fma:
        if (in->aux & ~(uint32_t)(IR_FMA_NEG_PROD | IR_FMA_NEG_ADD))
            return fail(c, "unknown fma flags 0x%x", in->aux);
        return type_in(c, in, is_fp(t), "f32 or f64") && uniform(c, in, 3) && rm_ok(c, in->imm);
    case IR_OP_fmin: case IR_OP_fmax:
        if (in->aux > IR_FMM_X86) return fail(c, "bad min/max variant %u", in->aux);
        return type_in(c, in, is_fp(t), "f32 or f64") && uniform(c, in, 2);
    case IR_OP_fcmp:
        if (in->imm > IR_FCMP_UN || in->aux > 1)
            return fail(c, "bad fcmp condition %u/%u", (unsigned)in->imm, in->aux);
        return type_in(c, in, is_fp(t), "f32 or f64") && arg_is(c, in, 0, t) &&
               arg_is(c, in, 1, t) && dst_int(c, in);
    case IR_OP_fclass:
        return type_in(c, in, is_fp(t), "f32 or f64") && arg_is(c, in, 0, t) && dst_int(c, in);
    case IR_OP_fcvt_f2i:
        if (in->aux & ~(uint32_t)(IR_CVT_SIGNED | IR_CVT_NAN_MASK))
            return fail(c, "unknown conversion flags 0x%x", in->aux);
        return type_in(c, in, is_fp(t), "f32 or f64 (the source)") && arg_is(c, in, 0, t) &&
               dst_int(c, in) && rm_ok(c, in->imm);
    case IR_OP_fcvt_i2f:
        if (in->aux & ~(uint32_t)IR_CVT_SIGNED)
            return fail(c, "unknown conversion flags 0x%x", in->aux);
        return type_in(c, in, is_fp(t), "f32 or f64 (the result)") && arg_int(c, in, 0) &&
               dst_is(c, in, t) && rm_ok(c, in->imm);
    case IR_OP_fcvt_f2f:
        if (!type_in(c, in, is_fp(t), "f32 or f64 (the result)") || !dst_is(c, in, t) ||
            !rm_ok(c, in->imm))
            return false;
        if (!is_fp(ty(c, in->args[0])) || ty(c, in->args[0]) == t)
            return fail(c, "arg 0 is %s, expected the other FP type",
                        ir_type_name(ty(c, in->args[0])));
        return true;
    case IR_OP_fround:
        if (in->aux & ~(uint32_t)IR_FROUND_EXACT) return fail(c, "unknown fround flags");
        return type_in(c, in, is_fp(t), "f32 or f64") && uniform(c, in, 1) && rm_ok(c, in->imm);
    case IR_OP_bitcast: {
        IrType at = ty(c, in->args[0]);
        if (!dst_is(c, in, t)) return false;
        if (!(is_int(t) || is_fp(t)) || is_int(t) == is_int(at) || width(at) != width(t))
            return fail(c, "bitcast %s -> %s: widths must match across int/fp",
                        ir_type_name(at), ir_type_name(t));
        return true;
    }

    case IR_OP_vdup:
        if (!is_int(ty(c, in->args[0])) && !is_fp(ty(c, in->args[0])))
            return fail(c, "arg 0 must be a scalar");
        return type_in(c, in, t == IR_V128, "v128") && dst_is(c, in, IR_V128) &&
               check_vec_esize(c, in);
    case IR_OP_vextract:
        if (in->aux >= (16u >> (in->imm & 3))) return fail(c, "lane %u out of range", in->aux);
        return type_in(c, in, t == IR_V128, "v128") && arg_is(c, in, 0, IR_V128) &&
               dst_is(c, in, IR_I64) && check_vec_esize(c, in);
    case IR_OP_vinsert:
        if (in->aux >= (16u >> (in->imm & 3))) return fail(c, "lane %u out of range", in->aux);
        if (!is_int(ty(c, in->args[1])) && !is_fp(ty(c, in->args[1])))
            return fail(c, "arg 1 must be a scalar");
        return type_in(c, in, t == IR_V128, "v128") && arg_is(c, in, 0, IR_V128) &&
               dst_is(c, in, IR_V128) && check_vec_esize(c, in);
    case IR_OP_vfadd: case IR_OP_vfsub: case IR_OP_vfmul: case IR_OP_vfdiv:
        if (in->imm != 2 && in->imm != 3) return fail(c, "FP element size code must be 2 or 3");
        return type_in(c, in, t == IR_V128, "v128") && uniform(c, in, 2) && rm_ok(c, in->aux);
    case IR_OP_vperm:
        return type_in(c, in, t == IR_V128, "v128") && uniform(c, in, 3);
    case IR_OP_vnot: case IR_OP_vneg: case IR_OP_vabs:
    case IR_OP_vshli: case IR_OP_vshri: case IR_OP_vsari:
        return type_in(c, in, t == IR_V128, "v128") && uniform(c, in, 1) && check_vec_esize(c, in);
    case IR_OP_vadd: case IR_OP_vsub: case IR_OP_vmul: case IR_OP_vand: case IR_OP_vor:
    case IR_OP_vxor: case IR_OP_vandn: case IR_OP_vcmpeq: case IR_OP_vcmpgt:
    case IR_OP_vcmpgtu: case IR_OP_vmins: case IR_OP_vmaxs: case IR_OP_vminu:
    case IR_OP_vmaxu: case IR_OP_vqadds: case IR_OP_vqaddu: case IR_OP_vqsubs:
    case IR_OP_vqsubu:
        return type_in(c, in, t == IR_V128, "v128") && uniform(c, in, 2) && check_vec_esize(c, in);

    case IR_OP_call: {
        const IrHelper *h = (const IrHelper *)(uintptr_t)in->imm;
        if (!h) return fail(c, "no helper");
        if (h->nargs > IR_MAX_ARGS) return fail(c, "helper %s has %u args", h->name, h->nargs);
        for (unsigned i = 0; i < IR_MAX_ARGS; i++) {
            bool want = i < h->nargs;
            if (want != (in->args[i] != IR_NONE))
                return fail(c, "helper %s takes %u args, arg %u is %s", h->name, h->nargs, i,
                            want ? "missing" : "extra");
            if (want && (ty(c, in->args[i]) == IR_V128 || ty(c, in->args[i]) == IR_VOID))
                return fail(c, "helper arg %u is %s", i, ir_type_name(ty(c, in->args[i])));
        }
        if (t != (IrType)h->ret_type)
            return fail(c, "type %s but helper %s returns %s", ir_type_name(t), h->name,
                        ir_type_name((IrType)h->ret_type));
        if ((h->ret_type != IR_VOID) != (in->dst != IR_NONE))
            return fail(c, "dst does not match helper %s's return type", h->name);
        return in->dst == IR_NONE || dst_is(c, in, t);
    }
    case IR_OP_goto_cond:
        return type_in(c, in, is_int(t), "i32 or i64") && arg_is(c, in, 0, t);
    case IR_OP_goto_ind:
        return type_in(c, in, t == IR_I64, "i64") && arg_is(c, in, 0, IR_I64);
    case IR_OP_raise:
        return type_in(c, in, t == IR_VOID, "void") &&
               (in->args[0] == IR_NONE || arg_int(c, in, 0));
    case IR_OP_COUNT:
        break;
    }
    return fail(c, "no type rule for this op");
}

bool ir_verify(const IrBlock *b, char *err, size_t errlen)
{
    Ctx c = {.b = b, .err = err, .errlen = errlen, .idx = UINT32_MAX};
    if (err && errlen) err[0] = 0;
    if (b->ntemps == 0) return fail(&c, "no temps (block not initialised)");

    /* defined[v]: v was assigned by an earlier insn. */
    uint8_t *defined = calloc(b->ntemps, 1);
    if (!defined) abort();
    bool ok = true, seen_start = false;

    for (uint32_t v = 1; v < b->ntemps && ok; v++) {
        const IrTemp *tp = &b->temps[v];
        if (tp->type == IR_VOID || tp->type >= IR_TYPE_COUNT)
            ok = fail(&c, "t%u has type %s", v, ir_type_name((IrType)tp->type));
        else if (tp->kind > IR_TEMP_CONST)
            ok = fail(&c, "t%u has kind %u", v, tp->kind);
    }

    for (uint32_t i = 0; i < b->ninsns && ok; i++) {
        const IrInsn *in = &b->insns[i];
        c.idx = i;
        if (in->op >= IR_OP_COUNT) {
            ok = fail(&c, "unknown op %u", in->op);
            break;
        }
        const IrOpInfo *oi = &ir_op_info[in->op];
        if (i > 0 && (ir_op_info[b->insns[i - 1].op].flags & IR_OPF_EXIT)) {
            c.idx = i - 1;
            ok = fail(&c, "exit is not the last insn (insn %u follows)", i);
            break;
        }
        if ((oi->flags & IR_OPF_EXIT) && i != b->ninsns - 1) continue; /* reported above */

        /* Operands: present where the op takes one (raise's tval and call's
         * unused args may be IR_NONE), absent beyond nargs, defined earlier. */
        for (unsigned a = 0; a < IR_MAX_ARGS && ok; a++) {
            IrVal v = in->args[a];
            bool optional = in->op == IR_OP_raise || in->op == IR_OP_call;
            if (a >= oi->nargs) {
                if (v != IR_NONE) ok = fail(&c, "arg %u set but the op takes %u", a, oi->nargs);
            } else if (v == IR_NONE) {
                if (!optional) ok = fail(&c, "arg %u missing", a);
            } else if (v >= b->ntemps) {
                ok = fail(&c, "arg %u t%u out of range (%u temps)", a, v, b->ntemps);
            } else if (b->temps[v].kind != IR_TEMP_CONST && !defined[v]) {
                ok = fail(&c, "arg %u t%u used before it is defined", a, v);
            }
        }
        if (!ok) break;

        /* The destination: single assignment, never a constant. */
        if (in->dst != IR_NONE) {
            if (!oi->has_dst) {
                ok = fail(&c, "op has no dst but t%u is given", in->dst);
            } else if (in->dst >= b->ntemps) {
                ok = fail(&c, "dst t%u out of range", in->dst);
            } else if (b->temps[in->dst].kind == IR_TEMP_CONST) {
                ok = fail(&c, "dst t%u is a constant", in->dst);
            } else if (defined[in->dst]) {
                ok = fail(&c, "t%u assigned twice (single assignment)", in->dst);
            } else if (b->temps[in->dst].def != i) {
                uint32_t d = b->temps[in->dst].def;
                /* The builder records the last def, so a second assignment
                 * later in the block shows up here first. */
                if (d > i && d < b->ninsns && b->insns[d].dst == in->dst)
                    ok = fail(&c, "t%u assigned twice (single assignment; again at insn %u)",
                              in->dst, d);
                else
                    ok = fail(&c, "t%u records def %u but is defined here", in->dst, d);
            }
        } else if (oi->has_dst && in->op != IR_OP_call) {
            ok = fail(&c, "dst missing");
        }
        if (!ok) break;

        /* Precise faults: the engine needs the guest pc of every op that may
         * fault, which is the latest insn_start. */
        if (in->op == IR_OP_insn_start) seen_start = true;
        if ((oi->flags & IR_OPF_FAULT) && in->op != IR_OP_raise && !seen_start) {
            ok = fail(&c, "may fault before any insn_start");
            break;
        }

        ok = check_types(&c, in);
        if (ok && in->dst != IR_NONE) defined[in->dst] = 1;
    }

    if (ok) {
        c.idx = UINT32_MAX;
        if (b->ninsns == 0 || !(ir_op_info[b->insns[b->ninsns - 1].op].flags & IR_OPF_EXIT))
            ok = fail(&c, "block does not end with an exit (goto, goto_ind or raise)");
    }
    free(defined);
    return ok;
}
