/* SPDX-License-Identifier: MIT */
/* RISC-V disassembler for -d in_asm (capstone 4 has no RISC-V): the generated
 * decoder again, with one printer per argument set instead of trans_*.
 * objdump syntax and ABI register names; pseudo-instructions optional. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rv_internal.h"

typedef struct DisasContext {
    uint64_t pc;
    uint32_t insn;
    unsigned len;
    bool aliases;
    bool invalid;
    char *buf;
    size_t buflen;
} DisasContext;

#include "rv_decode.h"

#define DECODE_TYPES_ONLY
#include "riscv64-decode.inc"
#undef DECODE_TYPES_ONLY

static const char *const xname[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
    "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
    "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *const fname[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

static const char *const rmname[8] = {"rne", "rtz", "rdn", "rup", "rmm", "", "", "dyn"};

static const struct { int num; const char *name; } csrs[] = {
    {0x001, "fflags"}, {0x002, "frm"}, {0x003, "fcsr"},
    {0xc00, "cycle"}, {0xc01, "time"}, {0xc02, "instret"},
    {0x100, "sstatus"}, {0x104, "sie"}, {0x105, "stvec"}, {0x106, "scounteren"},
    {0x140, "sscratch"}, {0x141, "sepc"}, {0x142, "scause"}, {0x143, "stval"},
    {0x144, "sip"}, {0x14d, "stimecmp"}, {0x180, "satp"},
    {0x300, "mstatus"}, {0x301, "misa"}, {0x302, "medeleg"}, {0x303, "mideleg"},
    {0x304, "mie"}, {0x305, "mtvec"}, {0x306, "mcounteren"}, {0x340, "mscratch"},
    {0x341, "mepc"}, {0x342, "mcause"}, {0x343, "mtval"}, {0x344, "mip"},
    {0xf11, "mvendorid"}, {0xf12, "marchid"}, {0xf13, "mimpid"}, {0xf14, "mhartid"},
};

/* -- Output ------------------------------------------------------------------ */

#define MAXOPS 5

typedef struct Out {
    char mnem[32];
    char ops[MAXOPS][32];
    int n;
} Out;

static void mnem_from(Out *o, const char *name)
{
    snprintf(o->mnem, sizeof(o->mnem), "%s", name);
    for (char *c = o->mnem; *c; c++)
        if (*c == '_') *c = '.';
}

static void op(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void op(Out *o, const char *fmt, ...)
{
    if (o->n == MAXOPS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->ops[o->n++], sizeof(o->ops[0]), fmt, ap);
    va_end(ap);
}

static void drop(Out *o, int i)
{
    for (int j = i; j + 1 < o->n; j++) memcpy(o->ops[j], o->ops[j + 1], sizeof(o->ops[0]));
    o->n--;
}

static bool emit(DisasContext *ctx, Out *o)
{
    int w = snprintf(ctx->buf, ctx->buflen, "%s", o->mnem);
    for (int i = 0; i < o->n && w >= 0 && (size_t)w < ctx->buflen; i++)
        w += snprintf(ctx->buf + w, ctx->buflen - (size_t)w, "%s%s", i ? "," : "\t", o->ops[i]);
    return true;
}

static bool is(const char *name, const char *s)
{
    return !strcmp(name, s);
}

static bool prefix(const char *name, const char *p)
{
    return !strncmp(name, p, strlen(p));
}

static uint64_t target(DisasContext *ctx, int imm)
{
    return ctx->pc + (int64_t)imm;
}

/* -- Compressed forms (no-alias mode): c.* names, implied operands dropped -------- */

enum { C_KEEP, C_DROP1, C_DROP0, C_JR };

static void compressed_form(DisasContext *ctx, Out *o)
{
    uint32_t i = ctx->insn;
    unsigned q = i & 3, f3 = (i >> 13) & 7, rd = (i >> 7) & 31, rs2 = (i >> 2) & 31;
    const char *name = NULL;
    int rule = C_KEEP;
    static const char *const q0[8] = {"addi4spn", "fld", "lw", "ld", NULL, "fsd", "sw", "sd"};
    static const char *const q2[8] = {"slli", "fldsp", "lwsp", "ldsp", NULL, "fsdsp", "swsp", "sdsp"};
    static const char *const alu[8] = {"sub", "xor", "or", "and", "subw", "addw", NULL, NULL};
    if (q == 0) {
        name = q0[f3];
    } else if (q == 1) {
        rule = C_DROP1;
        switch (f3) {
        case 0: name = "addi"; break;
        case 1: name = "addiw"; break;
        case 2: name = "li"; break;
        case 3:
            if (rd == 2) name = "addi16sp";
            else { name = "lui"; rule = C_KEEP; }
            break;
        case 4:
            switch ((i >> 10) & 3) {
            case 0: name = "srli"; break;
            case 1: name = "srai"; break;
            case 2: name = "andi"; break;
            default: name = alu[((i >> 10) & 4) | ((i >> 5) & 3)]; break;
            }
            break;
        case 5: name = "j"; rule = C_DROP0; break;
        case 6: name = "beqz"; break;
        case 7: name = "bnez"; break;
        }
    } else {
        name = q2[f3];
        if (f3 == 0) rule = C_DROP1;
        if (f3 == 4) {
            bool b12 = i & 0x1000;
            rule = C_DROP1;
            if (b12 && !rd && !rs2) name = "ebreak";
            else if (!rs2) { name = b12 ? "jalr" : "jr"; rule = C_JR; }
            else name = b12 ? "add" : "mv";
        }
    }
    if (!name) return;
    snprintf(o->mnem, sizeof(o->mnem), "c.%s", name);
    if (!strcmp(name, "ebreak")) o->n = 0;
    else if (rule == C_DROP1 && o->n >= 2) drop(o, 1);
    else if (rule == C_DROP0 && o->n >= 1) drop(o, 0);
    else if (rule == C_JR) {
        o->n = 1;
        snprintf(o->ops[0], sizeof(o->ops[0]), "%s", xname[(i >> 7) & 31]);
    }
}

static bool finish(DisasContext *ctx, Out *o)
{
    if (ctx->len == 2 && !ctx->aliases) compressed_form(ctx, o);
    return emit(ctx, o);
}

/* -- Register classes ------------------------------------------------------------ */

static bool int_fmt(const char *s)
{
    return !strcmp(s, "w") || !strcmp(s, "wu") || !strcmp(s, "l") || !strcmp(s, "lu");
}

/* Which operands of an FP instruction are integer registers. */
static void fp_classes(const char *name, bool *rd_int, bool *rs1_int)
{
    *rd_int = *rs1_int = false;
    if (name[0] != 'f' || prefix(name, "fence")) {
        *rd_int = *rs1_int = true;
        return;
    }
    if (prefix(name, "feq") || prefix(name, "flt") || prefix(name, "fle") ||
        prefix(name, "fclass")) {
        *rd_int = true;
        return;
    }
    if (prefix(name, "fcvt_") || prefix(name, "fmv_")) {
        char a[8] = "", b[8] = "";
        const char *p = strchr(name, '_') + 1, *q = strchr(p, '_');
        if (!q || q - p >= 8) return;
        memcpy(a, p, (size_t)(q - p));
        snprintf(b, sizeof(b), "%s", q + 1);
        if (prefix(name, "fmv_")) { /* fmv.x.w, fmv.w.x: 'x' is the integer side */
            *rd_int = !strcmp(a, "x");
            *rs1_int = !strcmp(b, "x");
        } else {
            *rd_int = int_fmt(a);
            *rs1_int = int_fmt(b);
        }
    }
}

static const char *reg(bool is_int, int r)
{
    return is_int ? xname[r & 31] : fname[r & 31];
}

/* -- Printers -------------------------------------------------------------------- */

static bool disas_empty(DisasContext *ctx, const char *name, arg_empty *a)
{
    Out o = {0};
    if (is(name, "illegal")) {
        ctx->invalid = true;
        return true;
    }
    mnem_from(&o, name);
    return finish(ctx, &o);
}

static bool disas_r(DisasContext *ctx, const char *name, arg_r *a)
{
    Out o = {0};
    bool rd_int, rs_int;
    fp_classes(name, &rd_int, &rs_int);
    mnem_from(&o, name);
    if (ctx->aliases) {
        if (is(name, "add") && a->rs1 == 0 && ctx->len == 2) {
            snprintf(o.mnem, sizeof(o.mnem), "mv");
            op(&o, "%s", xname[a->rd]);
            op(&o, "%s", xname[a->rs2]);
            return emit(ctx, &o);
        }
        if ((is(name, "sub") || is(name, "subw")) && a->rs1 == 0) {
            snprintf(o.mnem, sizeof(o.mnem), "%s", is(name, "sub") ? "neg" : "negw");
            op(&o, "%s", xname[a->rd]);
            op(&o, "%s", xname[a->rs2]);
            return emit(ctx, &o);
        }
        if (is(name, "sltu") && a->rs1 == 0) {
            snprintf(o.mnem, sizeof(o.mnem), "snez");
            op(&o, "%s", xname[a->rd]);
            op(&o, "%s", xname[a->rs2]);
            return emit(ctx, &o);
        }
        if (is(name, "add_uw") && a->rs2 == 0) {
            snprintf(o.mnem, sizeof(o.mnem), "zext.w");
            op(&o, "%s", xname[a->rd]);
            op(&o, "%s", xname[a->rs1]);
            return emit(ctx, &o);
        }
        if (prefix(name, "fsgnj") && a->rs1 == a->rs2) {
            static const char *const al[] = {"fmv", "fneg", "fabs"};
            int k = name[5] == '_' ? 0 : name[5] == 'n' ? 1 : 2;
            snprintf(o.mnem, sizeof(o.mnem), "%s.%c", al[k], name[strlen(name) - 1]);
            op(&o, "%s", fname[a->rd]);
            op(&o, "%s", fname[a->rs1]);
            return emit(ctx, &o);
        }
    }
    op(&o, "%s", reg(rd_int, a->rd));
    op(&o, "%s", reg(rs_int, a->rs1));
    op(&o, "%s", reg(rs_int && (name[0] != 'f' || prefix(name, "fence")), a->rs2));
    return finish(ctx, &o);
}

static bool disas_r2(DisasContext *ctx, const char *name, arg_r2 *a)
{
    Out o = {0};
    bool rd_int, rs_int;
    fp_classes(name, &rd_int, &rs_int);
    mnem_from(&o, name);
    op(&o, "%s", reg(rd_int, a->rd));
    op(&o, "%s", reg(rs_int, a->rs1));
    return finish(ctx, &o);
}

static bool is_load(const char *name)
{
    static const char *const l[] = {"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", "flw", "fld"};
    for (unsigned i = 0; i < sizeof(l) / sizeof(l[0]); i++)
        if (is(name, l[i])) return true;
    return false;
}

static bool disas_i(DisasContext *ctx, const char *name, arg_i *a)
{
    Out o = {0};
    mnem_from(&o, name);
    if (is_load(name)) {
        op(&o, "%s", reg(name[0] != 'f', a->rd));
        op(&o, "%d(%s)", a->imm, xname[a->rs1]);
        return finish(ctx, &o);
    }
    if (is(name, "jalr")) {
        if (ctx->aliases && a->imm == 0 && (a->rd == 0 || a->rd == 1)) {
            if (a->rd == 0 && a->rs1 == 1) {
                snprintf(o.mnem, sizeof(o.mnem), "ret");
                return emit(ctx, &o);
            }
            snprintf(o.mnem, sizeof(o.mnem), "%s", a->rd ? "jalr" : "jr");
            op(&o, "%s", xname[a->rs1]);
            return emit(ctx, &o);
        }
        op(&o, "%s", xname[a->rd]);
        op(&o, "%d(%s)", a->imm, xname[a->rs1]);
        return finish(ctx, &o);
    }
    if (ctx->aliases) {
        const char *al = NULL;
        int n = 2;
        if (is(name, "addi") && a->rd == 0 && a->rs1 == 0 && a->imm == 0) al = "nop", n = 0;
        else if (is(name, "addi") && a->rs1 == 0) al = "li", n = -1;
        else if (is(name, "addi") && a->imm == 0) al = "mv";
        else if (is(name, "addiw") && a->imm == 0) al = "sext.w";
        else if (is(name, "xori") && a->imm == -1) al = "not";
        else if (is(name, "sltiu") && a->imm == 1) al = "seqz";
        if (al) {
            snprintf(o.mnem, sizeof(o.mnem), "%s", al);
            if (n != 0) op(&o, "%s", xname[a->rd]);
            if (n == 2) op(&o, "%s", xname[a->rs1]);
            if (n == -1) op(&o, "%d", a->imm);
            return emit(ctx, &o);
        }
    }
    op(&o, "%s", xname[a->rd]);
    op(&o, "%s", xname[a->rs1]);
    op(&o, "%d", a->imm);
    return finish(ctx, &o);
}

static bool disas_s(DisasContext *ctx, const char *name, arg_s *a)
{
    Out o = {0};
    mnem_from(&o, name);
    op(&o, "%s", reg(name[0] != 'f', a->rs2));
    op(&o, "%d(%s)", a->imm, xname[a->rs1]);
    return finish(ctx, &o);
}

static bool disas_b(DisasContext *ctx, const char *name, arg_b *a)
{
    Out o = {0};
    mnem_from(&o, name);
    if (ctx->aliases && (a->rs2 == 0 || a->rs1 == 0) && !prefix(name, "bltu") &&
        !prefix(name, "bgeu")) {
        /* beqz bnez bltz bgez with rs2 = 0; blez (bge zero,rs) bgtz (blt zero,rs) */
        bool z2 = a->rs2 == 0;
        const char *al = NULL;
        if (is(name, "beq")) al = z2 ? "beqz" : NULL;
        else if (is(name, "bne")) al = z2 ? "bnez" : NULL;
        else if (is(name, "blt")) al = z2 ? "bltz" : "bgtz";
        else if (is(name, "bge")) al = z2 ? "bgez" : "blez";
        if (al) {
            snprintf(o.mnem, sizeof(o.mnem), "%s", al);
            op(&o, "%s", xname[z2 ? a->rs1 : a->rs2]);
            op(&o, "%" PRIx64, target(ctx, a->imm));
            return emit(ctx, &o);
        }
    }
    op(&o, "%s", xname[a->rs1]);
    op(&o, "%s", xname[a->rs2]);
    op(&o, "%" PRIx64, target(ctx, a->imm));
    return finish(ctx, &o);
}

static bool disas_u(DisasContext *ctx, const char *name, arg_u *a)
{
    Out o = {0};
    mnem_from(&o, name);
    op(&o, "%s", xname[a->rd]);
    op(&o, "0x%x", ((uint32_t)a->imm >> 12) & 0xfffff);
    return finish(ctx, &o);
}

static bool disas_j(DisasContext *ctx, const char *name, arg_j *a)
{
    Out o = {0};
    mnem_from(&o, name);
    if (ctx->aliases && (a->rd == 0 || a->rd == 1)) {
        if (a->rd == 0) snprintf(o.mnem, sizeof(o.mnem), "j");
        op(&o, "%" PRIx64, target(ctx, a->imm));
        return emit(ctx, &o);
    }
    op(&o, "%s", xname[a->rd]);
    op(&o, "%" PRIx64, target(ctx, a->imm));
    return finish(ctx, &o);
}

static bool disas_shift(DisasContext *ctx, const char *name, arg_shift *a)
{
    Out o = {0};
    mnem_from(&o, name);
    op(&o, "%s", xname[a->rd]);
    op(&o, "%s", xname[a->rs1]);
    op(&o, "0x%x", a->shamt);
    return finish(ctx, &o);
}

static bool disas_atomic(DisasContext *ctx, const char *name, arg_atomic *a)
{
    Out o = {0};
    mnem_from(&o, name);
    if (a->aq || a->rl) {
        size_t n = strlen(o.mnem);
        snprintf(o.mnem + n, sizeof(o.mnem) - n, ".%s%s", a->aq ? "aq" : "", a->rl ? "rl" : "");
    }
    op(&o, "%s", xname[a->rd]);
    if (!prefix(name, "lr")) op(&o, "%s", xname[a->rs2]);
    op(&o, "(%s)", xname[a->rs1]);
    return emit(ctx, &o);
}

static const char *csr_name(int csr, char *tmp, size_t n)
{
    for (unsigned i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++)
        if (csrs[i].num == csr) return csrs[i].name;
    snprintf(tmp, n, "0x%x", csr);
    return tmp;
}

static bool disas_csr(DisasContext *ctx, const char *name, arg_csr *a)
{
    Out o = {0};
    char tmp[16];
    const char *cn = csr_name(a->csr, tmp, sizeof(tmp));
    bool imm = name[strlen(name) - 1] == 'i';
    mnem_from(&o, name);
    if (ctx->aliases) {
        /* csrr/csrw/csrs/csrc[i] and the fp/counter shorthands */
        static const struct { int csr; const char *rd, *wr; } sh[] = {
            {0x001, "frflags", "fsflags"}, {0x002, "frrm", "fsrm"}, {0x003, "frcsr", "fscsr"},
            {0xc00, "rdcycle", NULL}, {0xc01, "rdtime", NULL}, {0xc02, "rdinstret", NULL},
        };
        const char *rdn = NULL, *wrn = NULL;
        for (unsigned i = 0; i < sizeof(sh) / sizeof(sh[0]); i++)
            if (sh[i].csr == a->csr) rdn = sh[i].rd, wrn = sh[i].wr;
        if (is(name, "csrrs") && a->rs1 == 0) {
            snprintf(o.mnem, sizeof(o.mnem), "%s", rdn ? rdn : "csrr");
            op(&o, "%s", xname[a->rd]);
            if (!rdn) op(&o, "%s", cn);
            return emit(ctx, &o);
        }
        if (a->rd == 0 && !is(name, "csrrw") && !is(name, "csrrwi")) {
            snprintf(o.mnem, sizeof(o.mnem), "csr%c%s", name[4], imm ? "i" : "");
            op(&o, "%s", cn);
            if (imm) op(&o, "%d", a->rs1);
            else op(&o, "%s", xname[a->rs1]);
            return emit(ctx, &o);
        }
        if (a->rd == 0) {
            if (wrn && !imm) {
                snprintf(o.mnem, sizeof(o.mnem), "%s", wrn);
                op(&o, "%s", xname[a->rs1]);
                return emit(ctx, &o);
            }
            snprintf(o.mnem, sizeof(o.mnem), "csrw%s", imm ? "i" : "");
            op(&o, "%s", cn);
            if (imm) op(&o, "%d", a->rs1);
            else op(&o, "%s", xname[a->rs1]);
            return emit(ctx, &o);
        }
    }
    op(&o, "%s", xname[a->rd]);
    op(&o, "%s", cn);
    if (imm) op(&o, "%d", a->rs1);
    else op(&o, "%s", xname[a->rs1]);
    return emit(ctx, &o);
}

/* objdump omits the rounding mode when it is dyn, and always for the exact
 * conversions (fcvt.d.s, fcvt.d.w, fcvt.d.wu). */
static void rm_op(Out *o, const char *name, int rm)
{
    if (rm == 7 || is(name, "fcvt_d_s") || is(name, "fcvt_d_w") || is(name, "fcvt_d_wu")) return;
    if (rm == 5 || rm == 6) op(o, "%d", rm);
    else op(o, "%s", rmname[rm]);
}

static bool disas_r_rm(DisasContext *ctx, const char *name, arg_r_rm *a)
{
    Out o = {0};
    mnem_from(&o, name);
    op(&o, "%s", fname[a->rd]);
    op(&o, "%s", fname[a->rs1]);
    op(&o, "%s", fname[a->rs2]);
    rm_op(&o, name, a->rm);
    return emit(ctx, &o);
}

static bool disas_r2_rm(DisasContext *ctx, const char *name, arg_r2_rm *a)
{
    Out o = {0};
    bool rd_int, rs_int;
    fp_classes(name, &rd_int, &rs_int);
    mnem_from(&o, name);
    op(&o, "%s", reg(rd_int, a->rd));
    op(&o, "%s", reg(rs_int, a->rs1));
    rm_op(&o, name, a->rm);
    return emit(ctx, &o);
}

static bool disas_r4_rm(DisasContext *ctx, const char *name, arg_r4_rm *a)
{
    Out o = {0};
    mnem_from(&o, name);
    op(&o, "%s", fname[a->rd]);
    op(&o, "%s", fname[a->rs1]);
    op(&o, "%s", fname[a->rs2]);
    op(&o, "%s", fname[a->rs3]);
    rm_op(&o, name, a->rm);
    return emit(ctx, &o);
}

static void iorw(char *s, int v)
{
    int n = 0;
    if (v & 8) s[n++] = 'i';
    if (v & 4) s[n++] = 'o';
    if (v & 2) s[n++] = 'r';
    if (v & 1) s[n++] = 'w';
    if (!n) s[n++] = '0';
    s[n] = 0;
}

static bool disas_fence(DisasContext *ctx, const char *name, arg_fence *a)
{
    Out o = {0};
    char p[8], s[8];
    if (a->fm == 8 && a->pred == 3 && a->succ == 3) {
        snprintf(o.mnem, sizeof(o.mnem), "fence.tso");
        return emit(ctx, &o);
    }
    mnem_from(&o, name);
    if (ctx->aliases && a->pred == 15 && a->succ == 15) return emit(ctx, &o);
    if (ctx->aliases && a->pred == 1 && a->succ == 0) {
        snprintf(o.mnem, sizeof(o.mnem), "pause");
        return emit(ctx, &o);
    }
    iorw(p, a->pred);
    iorw(s, a->succ);
    op(&o, "%s", p);
    op(&o, "%s", s);
    return emit(ctx, &o);
}

static bool disas_sfence(DisasContext *ctx, const char *name, arg_sfence *a)
{
    Out o = {0};
    mnem_from(&o, name);
    if (ctx->aliases && a->rs1 == 0 && a->rs2 == 0) return emit(ctx, &o);
    op(&o, "%s", xname[a->rs1]);
    op(&o, "%s", xname[a->rs2]);
    return emit(ctx, &o);
}

/* -- The decoders, calling the printers: name is the pattern name ------------------- */

#define DECODE_CALL(name, set, ctx, args) disas_##set(ctx, #name, args)
#define DECODE_FN(name) disas_##name
#include "riscv64-decode.inc"

/* -- Entry points ------------------------------------------------------------------ */

unsigned rv_disas_insn(uint64_t pc, const uint8_t *code, size_t len, char *buf, size_t buflen,
                       bool aliases)
{
    if (!buflen) return 0;
    buf[0] = 0;
    if (len < 2) return 0;
    DisasContext ctx = {.pc = pc, .aliases = aliases, .buf = buf, .buflen = buflen};
    bool ok;
    if ((code[0] & 3) == 3) {
        if (len < 4) return 0;
        ctx.len = 4;
        ctx.insn = (uint32_t)code[0] | (uint32_t)code[1] << 8 | (uint32_t)code[2] << 16 |
                   (uint32_t)code[3] << 24;
        ok = disas_decode_insn32(&ctx, ctx.insn);
    } else {
        ctx.len = 2;
        ctx.insn = (uint32_t)code[0] | (uint32_t)code[1] << 8;
        ok = disas_decode_insn16(&ctx, (uint16_t)ctx.insn);
    }
    if (!ok || ctx.invalid) {
        snprintf(buf, buflen, ".insn\t0x%0*x", ctx.len == 4 ? 8 : 4, ctx.insn);
        return 0;
    }
    return ctx.len;
}

unsigned rv_disas(uint64_t pc, const uint8_t *code, size_t len, char *buf, size_t buflen)
{
    return rv_disas_insn(pc, code, len, buf, buflen, true);
}
