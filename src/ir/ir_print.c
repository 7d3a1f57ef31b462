/* SPDX-License-Identifier: MIT */
/* The IR printer (-d ir, verifier failures, docs/ir.md examples): one insn per
 * line, "  t5:i64 = add.i64 t3, $0x10", guest slots by name, memops spelled
 * out ("ld.u32.le"). The format is documented in docs/ir.md. */
#include <inttypes.h>
#include <stdio.h>

#include "vm/ir.h"

static const char *const type_names[IR_TYPE_COUNT] = {
    [IR_VOID] = "void", [IR_I32] = "i32", [IR_I64] = "i64",
    [IR_F32] = "f32",   [IR_F64] = "f64", [IR_V128] = "v128",
};

static const char *const cond_names[IR_COND_COUNT] = {
    [IR_COND_EQ] = "eq",   [IR_COND_NE] = "ne",       [IR_COND_LT] = "lt",
    [IR_COND_GE] = "ge",   [IR_COND_LE] = "le",       [IR_COND_GT] = "gt",
    [IR_COND_LTU] = "ltu", [IR_COND_GEU] = "geu",     [IR_COND_LEU] = "leu",
    [IR_COND_GTU] = "gtu", [IR_COND_TSTEQ] = "tsteq", [IR_COND_TSTNE] = "tstne",
};

static const char *const rmw_names[IR_RMW_COUNT] = {
    [IR_RMW_XCHG] = "xchg", [IR_RMW_ADD] = "add",   [IR_RMW_AND] = "and",
    [IR_RMW_OR] = "or",     [IR_RMW_XOR] = "xor",   [IR_RMW_ANDN] = "andn",
    [IR_RMW_SMIN] = "smin", [IR_RMW_SMAX] = "smax", [IR_RMW_UMIN] = "umin",
    [IR_RMW_UMAX] = "umax",
};

static const char *const rm_names[8] = {"rne", "rtz", "rdn", "rup", "rmm", "rno", "rm6?", "dyn"};
static const char *const fcmp_names[4] = {"eq", "lt", "le", "un"};
static const char *const fmm_names[4] = {"num", "num2008", "ieee", "x86"};

const char *ir_type_name(IrType t)
{
    return (unsigned)t < IR_TYPE_COUNT ? type_names[t] : "?";
}

const char *ir_cond_name(IrCond c)
{
    return (unsigned)c < IR_COND_COUNT ? cond_names[c] : "?";
}

static void print_val(const IrBlock *b, IrVal v, FILE *f)
{
    if (v == IR_NONE) {
        fputs("-", f);
    } else if (v >= b->ntemps) {
        fprintf(f, "t%u?", v); /* out of range: only a broken block shows this */
    } else if (b->temps[v].kind == IR_TEMP_CONST) {
        const IrTemp *t = &b->temps[v];
        if (t->type == IR_V128)
            fprintf(f, "$0x%016" PRIx64 "%016" PRIx64, t->cval[1], t->cval[0]);
        else
            fprintf(f, "$0x%" PRIx64, t->cval[0]);
    } else {
        fprintf(f, "t%u", v);
    }
}

static void print_slot(const IrBlock *b, uint64_t slot, FILE *f)
{
    if (slot < b->nregs && b->regs[slot].name)
        fputs(b->regs[slot].name, f);
    else
        fprintf(f, "slot%" PRIu64 "?", slot);
}

/* "ld.s32.le.al.acq": size and sign, endianness, then the optional bits. */
static void print_memop(uint64_t mo, FILE *f)
{
    fprintf(f, ".%c%u.%s", (mo & IR_MO_SIGN) ? 's' : 'u', IR_MO_SIZE(mo) * 8,
            (mo & IR_MO_BE) ? "be" : "le");
    if (mo & IR_MO_ALIGN) fputs(".al", f);
    if (mo & IR_MO_ACQ) fputs(".acq", f);
    if (mo & IR_MO_REL) fputs(".rel", f);
    if (mo & IR_MO_EXEC) fputs(".x", f);
    if (mo & IR_MO_IDX_MASK) fprintf(f, ".mmu%u", (unsigned)((mo & IR_MO_IDX_MASK) >> IR_MO_IDX_SHIFT));
}

static void print_exit_flags(uint32_t aux, FILE *f)
{
    if (aux & IR_EXIT_NOCHAIN) fputs(" nochain", f);
    if (aux & IR_EXIT_CALL) fputs(" call", f);
    if (aux & IR_EXIT_RET) fputs(" ret", f);
}

static void print_args(const IrBlock *b, const IrInsn *in, unsigned n, FILE *f)
{
    for (unsigned i = 0; i < n; i++) {
        fputs(i ? ", " : " ", f);
        print_val(b, in->args[i], f);
    }
}

void ir_print_insn(const IrBlock *b, const IrInsn *in, FILE *f)
{
    if (in->op >= IR_OP_COUNT) {
        fprintf(f, "  <bad op %u>\n", in->op);
        return;
    }
    const IrOpInfo *oi = &ir_op_info[in->op];
    IrOp op = (IrOp)in->op;

    if (op == IR_OP_insn_start) {
        fprintf(f, "---- 0x%" PRIx64 "\n", in->imm);
        return;
    }
    fputs("  ", f);
    if (in->dst != IR_NONE) {
        print_val(b, in->dst, f);
        fprintf(f, ":%s = ", in->dst < b->ntemps ? ir_type_name((IrType)b->temps[in->dst].type)
                                                 : "?");
    }

    switch (op) {
    case IR_OP_get:
        fputs("get ", f);
        print_slot(b, in->imm, f);
        break;
    case IR_OP_set:
        fputs("set ", f);
        print_slot(b, in->imm, f);
        fputs(",", f);
        print_args(b, in, 1, f);
        break;
    case IR_OP_mov:
    case IR_OP_bitcast:
        fputs(oi->name, f);
        print_args(b, in, 1, f);
        break;
    case IR_OP_ld:
    case IR_OP_st:
    case IR_OP_lr:
    case IR_OP_sc:
    case IR_OP_cas:
        fputs(oi->name, f);
        print_memop(in->imm, f);
        print_args(b, in, oi->nargs, f);
        break;
    case IR_OP_rmw:
        fprintf(f, "rmw.%s", in->aux < IR_RMW_COUNT ? rmw_names[in->aux] : "?");
        print_memop(in->imm, f);
        print_args(b, in, 2, f);
        break;
    case IR_OP_fence:
        fputs("fence", f);
        {
            static const char *const fn[5] = {"ll", "ls", "sl", "ss", "insn"};
            const char *sep = " ";
            for (unsigned i = 0; i < 5; i++) {
                if (in->imm & (1u << i)) {
                    fprintf(f, "%s%s", sep, fn[i]);
                    sep = ",";
                }
            }
        }
        break;
    case IR_OP_setcond:
        fprintf(f, "setcond.%s %s", ir_type_name((IrType)in->type), ir_cond_name((IrCond)in->imm));
        print_args(b, in, 2, f);
        break;
    case IR_OP_extract:
    case IR_OP_sextract:
        fprintf(f, "%s.%s", oi->name, ir_type_name((IrType)in->type));
        print_args(b, in, 1, f);
        fprintf(f, ", %u, %u", (unsigned)(in->imm & 0xff), (unsigned)((in->imm >> 8) & 0xff));
        break;
    case IR_OP_deposit:
        fprintf(f, "deposit.%s", ir_type_name((IrType)in->type));
        print_args(b, in, 2, f);
        fprintf(f, ", %u, %u", (unsigned)(in->imm & 0xff), (unsigned)((in->imm >> 8) & 0xff));
        break;
    case IR_OP_fcmp:
        fprintf(f, "fcmp.%s %s%s", ir_type_name((IrType)in->type),
                in->imm < 4 ? fcmp_names[in->imm] : "?", in->aux ? ".sig" : "");
        print_args(b, in, 2, f);
        break;
    case IR_OP_fmin:
    case IR_OP_fmax:
        fprintf(f, "%s.%s %s", oi->name, ir_type_name((IrType)in->type),
                in->aux < 4 ? fmm_names[in->aux] : "?");
        print_args(b, in, 2, f);
        break;
    case IR_OP_call: {
        const IrHelper *h = (const IrHelper *)(uintptr_t)in->imm;
        fprintf(f, "call %s(", h && h->name ? h->name : "?");
        unsigned n = h ? h->nargs : IR_MAX_ARGS;
        for (unsigned i = 0; i < n && i < IR_MAX_ARGS; i++) {
            if (i) fputs(", ", f);
            print_val(b, in->args[i], f);
        }
        fputs(")", f);
        break;
    }
    case IR_OP_goto:
        fprintf(f, "goto 0x%" PRIx64, in->imm);
        print_exit_flags(in->aux, f);
        break;
    case IR_OP_goto_cond:
        fputs("goto_cond", f);
        print_args(b, in, 1, f);
        fprintf(f, ", 0x%" PRIx64, in->imm);
        break;
    case IR_OP_goto_ind:
        fputs("goto_ind", f);
        print_args(b, in, 1, f);
        print_exit_flags(in->aux, f);
        break;
    case IR_OP_raise:
        fprintf(f, "raise 0x%" PRIx64, in->imm);
        if (in->args[0] != IR_NONE) {
            fputs(",", f);
            print_args(b, in, 1, f);
        }
        break;
    default:
        fprintf(f, "%s.%s", oi->name, ir_type_name((IrType)in->type));
        if (op >= IR_OP_vdup && op <= IR_OP_vfdiv) fprintf(f, ".e%u", 8u << (in->imm & 3));
        print_args(b, in, oi->nargs, f);
        /* Op-specific immediates, after the operands. */
        if (oi->flags & IR_OPF_FP) {
            unsigned rm = (op >= IR_OP_vfadd && op <= IR_OP_vfdiv) ? in->aux : (unsigned)in->imm;
            fprintf(f, ", %s", rm_names[rm & 7]);
        }
        if (op == IR_OP_fma && in->aux)
            fprintf(f, "%s%s", (in->aux & IR_FMA_NEG_PROD) ? ", negprod" : "",
                    (in->aux & IR_FMA_NEG_ADD) ? ", negadd" : "");
        if (op == IR_OP_fcvt_f2i || op == IR_OP_fcvt_i2f) {
            static const char *const nan[4] = {"nanmax", "nanzero", "nanmin", "indef"};
            fprintf(f, ", %s", (in->aux & IR_CVT_SIGNED) ? "signed" : "unsigned");
            if (op == IR_OP_fcvt_f2i) fprintf(f, ", %s", nan[(in->aux >> 1) & 3]);
        }
        if (op == IR_OP_fround && (in->aux & IR_FROUND_EXACT)) fputs(", exact", f);
        if (op == IR_OP_vextract || op == IR_OP_vinsert) fprintf(f, ", lane %u", in->aux);
        if (op == IR_OP_vshli || op == IR_OP_vshri || op == IR_OP_vsari)
            fprintf(f, ", %u", in->aux);
        break;
    }
    fputc('\n', f);
}

void ir_print(const IrBlock *b, FILE *f)
{
    fprintf(f, "block 0x%" PRIx64 " flags 0x%" PRIx64 ": %u guest insns, %u bytes\n", b->pc,
            b->flags, b->guest_insns, b->guest_size);
    for (uint32_t i = 0; i < b->ninsns; i++) ir_print_insn(b, &b->insns[i], f);
}
