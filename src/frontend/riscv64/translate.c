/* SPDX-License-Identifier: MIT */
/* RISC-V64 translation to IR: the block loop, the shared emission helpers the
 * trans_*.c.inc files use, and the generated decoders (build/gen). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "frontend/riscv64/rv_cpu.h"
#include "vm/ir.h"
#include "vm/log.h"

#include "rv_internal.h"
#include "rv_priv.h"

/* Longest block, in guest instructions, and most conditional branches a
 * block continues past (each one is a side exit). */
#define RV_MAX_BLOCK_INSNS 64
#define RV_MAX_SIDE_EXITS 4

typedef struct DisasContext {
    CpuState *cpu;
    IrBlock *b;
    uint64_t pc;      /* this instruction */
    uint64_t pc_next; /* the following one */
    uint32_t insn;
    unsigned len;
    unsigned frm;     /* frm from tb_flags: resolves rm = DYN at translate time */
    bool end;         /* the instruction emitted the block's exit */
    unsigned side_exits; /* conditional branches so far (gen_branch) */
    /* System mode (from tb_flags): privilege, memop MMU index bits, FS state. */
    bool sys;
    unsigned priv;
    unsigned mo_idx;  /* IR_MO_IDX bits ORed into every data access */
    bool fs_off, fs_dirty;
    /* Unboxed views of FP registers, valid while the slot still holds `raw`. */
    struct { IrVal raw, bits32, f32, f64; } fc[32];
} DisasContext;

#include "rv_decode.h"
#include "riscv64-decode.inc"

/* -- Integer registers ---------------------------------------------------------- */

/* x0 reads as 0 and writes to it are dropped (2.1). */
static IrVal get_gpr(DisasContext *ctx, int r)
{
    return r ? ir_get(ctx->b, RV_SLOT_X0 + r) : ir_i64(ctx->b, 0);
}

static void set_gpr(DisasContext *ctx, int r, IrVal v)
{
    if (r) ir_set(ctx->b, RV_SLOT_X0 + r, v);
}

static IrVal op1(DisasContext *ctx, IrOp op, IrType t, IrVal a)
{
    return ir_op1(ctx->b, op, t, a);
}

static IrVal op2(DisasContext *ctx, IrOp op, IrType t, IrVal a, IrVal c)
{
    return ir_op2(ctx->b, op, t, a, c);
}

static IrVal cst(DisasContext *ctx, uint64_t v)
{
    return ir_i64(ctx->b, v);
}

/* sext.w of v (the W forms' result rule, 4.2), skipped when v already equals
 * its own sign extension from bit 31: the result of an earlier sext32, or of a
 * load of at most 32 bits that sign-extends (lw, lh, lb) or is narrower than
 * 32 bits and zero-extends (lhu, lbu). Saves a host movsxd on the dependency
 * chain of code like `mulw a1, ..; sext.w a5, a1` (hash's fnv1a loop). */
static IrVal sext_w(DisasContext *ctx, IrVal v)
{
    const IrBlock *b = ctx->b;
    if (ir_is_const(b, v)) {
        uint64_t c = b->temps[v].cval[0];
        if ((uint64_t)(int64_t)(int32_t)c == c) return v;
    } else if (v != IR_NONE && ir_type_of(b, v) == IR_I64) {
        const IrInsn *d = &b->insns[b->temps[v].def];
        if (d->dst == v && d->op == IR_OP_sext32) return v;
        if (d->dst == v && d->op == IR_OP_ld) {
            unsigned size = IR_MO_SIZE((unsigned)d->imm);
            if ((d->imm & IR_MO_SIGN) ? size <= 4 : size < 4) return v;
        }
    }
    return op1(ctx, IR_OP_sext32, IR_I64, v);
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

/* A known encoding vm does not implement (here: privileged instructions,
 * which user mode reports as illegal, like hardware running U-mode code). */
static bool gen_unimp(DisasContext *ctx)
{
    if (logd_enabled(LOGD_UNIMP))
        log_write(LOG_FRONTEND, LOG_INFO, "unsupported instruction 0x%08x at pc 0x%" PRIx64,
                  ctx->insn, ctx->pc);
    gen_illegal(ctx);
    return true;
}

static void gen_goto(DisasContext *ctx, uint64_t pc, unsigned flags)
{
    ir_goto(ctx->b, pc, flags);
    ctx->end = true;
}

/* -- Shared instruction shapes ---------------------------------------------------- */

/* Operands are read in order (rs1, then rs2) so the IR reads naturally. */
static bool gen_arith(DisasContext *ctx, arg_r *a, IrOp op)
{
    IrVal x = get_gpr(ctx, a->rs1), y = get_gpr(ctx, a->rs2);
    set_gpr(ctx, a->rd, op2(ctx, op, IR_I64, x, y));
    return true;
}

static bool gen_arith_imm(DisasContext *ctx, arg_i *a, IrOp op)
{
    IrVal v;
    if (a->rs1 == 0 && (op == IR_OP_add || op == IR_OP_or || op == IR_OP_xor))
        v = cst(ctx, (int64_t)a->imm); /* li */
    else if (a->imm == 0 && (op == IR_OP_add || op == IR_OP_or || op == IR_OP_xor))
        v = get_gpr(ctx, a->rs1); /* mv */
    else
        v = op2(ctx, op, IR_I64, get_gpr(ctx, a->rs1), cst(ctx, (int64_t)a->imm));
    set_gpr(ctx, a->rd, v);
    return true;
}

/* W forms whose low 32 bits do not depend on the upper input bits: compute in
 * I64 and sign-extend (4.2). */
static bool gen_arith_w(DisasContext *ctx, arg_r *a, IrOp op)
{
    IrVal x = get_gpr(ctx, a->rs1), y = get_gpr(ctx, a->rs2);
    set_gpr(ctx, a->rd, sext_w(ctx, op2(ctx, op, IR_I64, x, y)));
    return true;
}

/* W forms that need true 32-bit operands (divisions, right shifts, rotates). */
static bool gen_arith_32(DisasContext *ctx, arg_r *a, IrOp op)
{
    IrVal x = op1(ctx, IR_OP_trunc, IR_I32, get_gpr(ctx, a->rs1));
    IrVal y = op1(ctx, IR_OP_trunc, IR_I32, get_gpr(ctx, a->rs2));
    IrVal v = op2(ctx, op, IR_I32, x, y);
    set_gpr(ctx, a->rd, ir_op1(ctx->b, IR_OP_exts, IR_I64, v));
    return true;
}

static bool gen_unary(DisasContext *ctx, arg_r2 *a, IrOp op)
{
    set_gpr(ctx, a->rd, op1(ctx, op, IR_I64, get_gpr(ctx, a->rs1)));
    return true;
}

/* clzw/ctzw/cpopw: the count of the low word, zero-extended. */
static bool gen_unary_32(DisasContext *ctx, arg_r2 *a, IrOp op)
{
    IrVal x = op1(ctx, IR_OP_trunc, IR_I32, get_gpr(ctx, a->rs1));
    set_gpr(ctx, a->rd, op1(ctx, IR_OP_extu, IR_I64, op1(ctx, op, IR_I32, x)));
    return true;
}

/* srli/srai by c of a value just shifted left by the same c (slli): the
 * compilers' zero-/sign-extension idioms without Zba/Zbb (zext.w is slli 32 +
 * srli 32). One extension op instead of two shifts, off the critical path of
 * the address arithmetic they usually feed; the slli's own result is kept. */
static IrVal ext_idiom(DisasContext *ctx, IrVal v, IrOp op, unsigned c)
{
    const IrBlock *b = ctx->b;
    if (ir_is_const(b, v) || (c != 32 && c != 48 && c != 56)) return IR_NONE;
    const IrInsn *d = &b->insns[b->temps[v].def];
    if (d->dst != v || d->op != IR_OP_shl || d->type != IR_I64 || !ir_is_const(b, d->args[1]) ||
        b->temps[d->args[1]].cval[0] != c)
        return IR_NONE;
    static const IrOp zx[3] = {IR_OP_zext32, IR_OP_zext16, IR_OP_zext8};
    static const IrOp sx[3] = {IR_OP_sext32, IR_OP_sext16, IR_OP_sext8};
    unsigned k = c == 32 ? 0 : c == 48 ? 1 : 2;
    return ir_op1(ctx->b, op == IR_OP_shr ? zx[k] : sx[k], IR_I64, d->args[0]);
}

static bool gen_shift_imm(DisasContext *ctx, arg_shift *a, IrOp op)
{
    IrVal v = get_gpr(ctx, a->rs1), e = IR_NONE;
    if (a->shamt && op != IR_OP_shl) e = ext_idiom(ctx, v, op, a->shamt);
    if (e != IR_NONE) v = e;
    else if (a->shamt) v = op2(ctx, op, IR_I64, v, cst(ctx, a->shamt));
    set_gpr(ctx, a->rd, v);
    return true;
}

static bool gen_setcond(DisasContext *ctx, IrVal x, IrVal y, IrCond c, int rd)
{
    set_gpr(ctx, rd, ir_setcond(ctx->b, IR_I64, c, x, y));
    return true;
}

/* Branches (2.5.2): the taken side exit; the block goes on with the
 * fall-through (a superblock: a loop whose exit test is at its top, or an
 * if-then, stays in one block), up to RV_MAX_SIDE_EXITS of them. */
static bool gen_branch(DisasContext *ctx, arg_b *a, IrCond c)
{
    IrVal x = get_gpr(ctx, a->rs1), y = get_gpr(ctx, a->rs2);
    IrVal t = ir_setcond(ctx->b, IR_I64, c, x, y);
    ir_goto_cond(ctx->b, t, ctx->pc + (int64_t)a->imm);
    if (++ctx->side_exits >= RV_MAX_SIDE_EXITS) gen_goto(ctx, ctx->pc_next, 0);
    return true;
}

static IrVal gen_addr(DisasContext *ctx, int rs1, int imm)
{
    if (rs1 == 0) return cst(ctx, (int64_t)imm);
    IrVal base = get_gpr(ctx, rs1);
    return imm ? op2(ctx, IR_OP_add, IR_I64, base, cst(ctx, (int64_t)imm)) : base;
}

/* Loads and stores: little-endian, misaligned allowed (user mode, 2.6). */
static bool gen_load(DisasContext *ctx, arg_i *a, unsigned memop)
{
    IrVal addr = gen_addr(ctx, a->rs1, a->imm);
    IrVal v = ir_ld(ctx->b, IR_I64, addr, memop | ctx->mo_idx);
    set_gpr(ctx, a->rd, v);
    return true;
}

static bool gen_store(DisasContext *ctx, arg_s *a, unsigned memop)
{
    IrVal addr = gen_addr(ctx, a->rs1, a->imm);
    ir_st(ctx->b, addr, get_gpr(ctx, a->rs2), memop | ctx->mo_idx);
    return true;
}

/* -- Floating-point registers (NaN boxing, 20.2) ----------------------------------- */

#define BOX_HI 0xffffffff00000000ull
#define CANON_NAN_S 0x7fc00000u

static IrVal get_fraw(DisasContext *ctx, int r)
{
    IrVal v = ir_get(ctx->b, RV_SLOT_F0 + r);
    if (ctx->fc[r].raw != v) {
        memset(&ctx->fc[r], 0, sizeof(ctx->fc[r]));
        ctx->fc[r].raw = v;
    }
    return v;
}

static void set_fraw(DisasContext *ctx, int r, IrVal v)
{
    ir_set(ctx->b, RV_SLOT_F0 + r, v);
    memset(&ctx->fc[r], 0, sizeof(ctx->fc[r]));
    ctx->fc[r].raw = v;
}

/* The single-precision bits of f[r]: its low word when properly NaN-boxed,
 * else the canonical NaN. */
static IrVal get_fbits32(DisasContext *ctx, int r)
{
    IrVal raw = get_fraw(ctx, r);
    if (!ctx->fc[r].bits32) {
        IrBlock *b = ctx->b;
        IrVal boxed = ir_setcond(b, IR_I64, IR_COND_GEU, raw, cst(ctx, BOX_HI));
        IrVal lo = op1(ctx, IR_OP_trunc, IR_I32, raw);
        ctx->fc[r].bits32 = ir_select(b, boxed, lo, ir_i32(b, CANON_NAN_S));
    }
    return ctx->fc[r].bits32;
}

static IrVal get_f32(DisasContext *ctx, int r)
{
    IrVal bits = get_fbits32(ctx, r);
    if (!ctx->fc[r].f32) ctx->fc[r].f32 = ir_bitcast(ctx->b, IR_F32, bits);
    return ctx->fc[r].f32;
}

static IrVal get_f64(DisasContext *ctx, int r)
{
    IrVal raw = get_fraw(ctx, r);
    if (!ctx->fc[r].f64) ctx->fc[r].f64 = ir_bitcast(ctx->b, IR_F64, raw);
    return ctx->fc[r].f64;
}

static void set_fbits32(DisasContext *ctx, int r, IrVal bits, IrVal f32)
{
    IrVal wide = op1(ctx, IR_OP_extu, IR_I64, bits);
    set_fraw(ctx, r, op2(ctx, IR_OP_or, IR_I64, wide, cst(ctx, BOX_HI)));
    ctx->fc[r].bits32 = bits;
    ctx->fc[r].f32 = f32;
}

static void set_f32(DisasContext *ctx, int r, IrVal f)
{
    set_fbits32(ctx, r, ir_bitcast(ctx->b, IR_I32, f), f);
}

static void set_f64(DisasContext *ctx, int r, IrVal f)
{
    set_fraw(ctx, r, ir_bitcast(ctx->b, IR_I64, f));
    ctx->fc[r].f64 = f;
}

static IrVal get_f(DisasContext *ctx, IrType t, int r)
{
    return t == IR_F32 ? get_f32(ctx, r) : get_f64(ctx, r);
}

static void set_f(DisasContext *ctx, IrType t, int r, IrVal f)
{
    if (t == IR_F32) set_f32(ctx, r, f);
    else set_f64(ctx, r, f);
}

/* Static rounding modes; DYN resolved from frm (in tb_flags). Reserved rm
 * values, or DYN while frm holds 5..7, are illegal (20.2). */
static bool get_rm(DisasContext *ctx, int rm, IrRound *out)
{
    if (rm == 7) rm = (int)ctx->frm;
    if (rm > 4) return false;
    *out = (IrRound)rm;
    return true;
}

/* -- CSR helpers (Zicsr in user mode) -------------------------------------------- */

enum {
    CSR_FFLAGS = 0x001,
    CSR_FRM = 0x002,
    CSR_FCSR = 0x003,
    CSR_CYCLE = 0xc00,
    CSR_TIME = 0xc01,
    CSR_INSTRET = 0xc02,
};

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t rv_host_ns(void)
{
    return host_ns();
}

static uint64_t helper_csrr(CpuState *cpu, uint64_t csr)
{
    switch (csr) {
    case CSR_FFLAGS:
        return cpu->fp.flags & 0x1f;
    case CSR_FRM:
        return cpu->fp.rm & 7;
    case CSR_FCSR:
        return (cpu->fp.flags & 0x1f) | (uint64_t)(cpu->fp.rm & 7) << 5;
    case CSR_TIME:
        /* A 10 MHz timebase (what the virt machine's device tree advertises). */
        return host_ns() / 100;
    default:
        /* cycle and instret: user mode has no cycle-accurate count, so both are
         * host nanoseconds since reset (a nominal 1 GHz hart, monotonic). */
        return host_ns() - rv_cpu(cpu)->cycle_base;
    }
}

static uint64_t helper_csrw(CpuState *cpu, uint64_t csr, uint64_t val)
{
    switch (csr) {
    case CSR_FFLAGS:
        cpu->fp.flags = (cpu->fp.flags & ~0x1fu) | (uint32_t)(val & 0x1f);
        break;
    case CSR_FRM:
        cpu->fp.rm = (uint32_t)(val & 7);
        break;
    case CSR_FCSR:
        cpu->fp.flags = (cpu->fp.flags & ~0x1fu) | (uint32_t)(val & 0x1f);
        cpu->fp.rm = (uint32_t)((val >> 5) & 7);
        break;
    }
    return 0;
}

static const IrHelper rv_helper_csrr = {
    "rv_csrr", (void *)helper_csrr, 1, IR_I64, IR_HELPER_READS_REGS,
};
static const IrHelper rv_helper_csrw = {
    "rv_csrw", (void *)helper_csrw, 2, IR_VOID, IR_HELPER_READS_REGS | IR_HELPER_WRITES_REGS,
};
static const IrHelper rv_helper_csrw_rm = {
    "rv_csrw_rm", (void *)helper_csrw, 2, IR_VOID,
    IR_HELPER_READS_REGS | IR_HELPER_WRITES_REGS | IR_HELPER_ENDS_BLOCK,
};

/* -- System-mode helpers (priv.c) --------------------------------------------------- */

#define RV_SYS_HELPER_FLAGS (IR_HELPER_READS_REGS | IR_HELPER_WRITES_REGS | IR_HELPER_MAY_RAISE)
static const IrHelper rv_helper_csr_h = {"rv_csr", (void *)rv_helper_csr, 3, IR_I64, RV_SYS_HELPER_FLAGS};
static const IrHelper rv_helper_mret_h = {
    "rv_mret", (void *)rv_helper_mret, 1, IR_I64, RV_SYS_HELPER_FLAGS | IR_HELPER_ENDS_BLOCK};
static const IrHelper rv_helper_sret_h = {
    "rv_sret", (void *)rv_helper_sret, 1, IR_I64, RV_SYS_HELPER_FLAGS | IR_HELPER_ENDS_BLOCK};
static const IrHelper rv_helper_wfi_h = {"rv_wfi", (void *)rv_helper_wfi, 2, IR_VOID, RV_SYS_HELPER_FLAGS};
static const IrHelper rv_helper_sfence_h = {
    "rv_sfence_vma", (void *)rv_helper_sfence_vma, 3, IR_VOID, RV_SYS_HELPER_FLAGS | IR_HELPER_ENDS_BLOCK};
static const IrHelper rv_helper_fs_dirty_h = {
    "rv_fs_dirty", (void *)rv_helper_fs_dirty, 0, IR_VOID, IR_HELPER_READS_REGS | IR_HELPER_WRITES_REGS};

/* -- Instructions ------------------------------------------------------------------- */

#include "trans_rvi.c.inc"
#include "trans_rvm.c.inc"
#include "trans_rva.c.inc"
#include "trans_rvf.c.inc"
#include "trans_rvd.c.inc"
#include "trans_zicsr.c.inc"
#include "trans_rvb.c.inc"

/* -- The block loop ---------------------------------------------------------------- */

/* FpCtl.mode is FP_MODE_NAN_CANON from reset on (nothing in riscv64 changes
 * it: no flush modes, no x86 NaN style), so blocks carry CPU_TB_FLAG_FP_PLAIN
 * and the JIT drops its per-op mode tests. Computed, not assumed: a mode set
 * by hand (unit tests) gets blocks without the flag. */
static uint64_t rv_fp_plain_flag(const CpuState *cpu)
{
    return (cpu->fp.mode & (FP_MODE_FZ | FP_MODE_DAZ | FP_MODE_NAN_X86)) ? 0 : CPU_TB_FLAG_FP_PLAIN;
}

uint64_t rv_tb_flags(CpuState *cpu)
{
    RvCpu *rv = rv_cpu(cpu);
    /* User mode: only the dynamic rounding mode changes what we emit. */
    if (!rv->sys) return (cpu->fp.rm & 7) | rv_fp_plain_flag(cpu) | cpu_tb_debug_flag(cpu);
    /* System mode: the privilege (CSR rules, ecall cause), the data MMU index
     * (MPRV/MPP, SUM, MXR) every memop carries, and FS (illegal FP when Off,
     * no Dirty marking once Dirty). */
    unsigned fs = (unsigned)((rv->mstatus & MSTATUS_FS) >> MSTATUS_FS_SHIFT);
    return (cpu->fp.rm & 7) | RV_TB_SYS | (uint64_t)rv->priv << RV_TB_PRIV_SHIFT |
           (uint64_t)rv_data_idx(rv) << RV_TB_DIDX_SHIFT | (fs == FS_OFF ? RV_TB_FS_OFF : 0) |
           (fs == FS_DIRTY ? RV_TB_FS_DIRTY : 0) | rv_fp_plain_flag(cpu) | cpu_tb_debug_flag(cpu);
}

/* FP opcodes (unprivileged spec, chapter 34 and table 26.x for RVC): LOAD-FP,
 * STORE-FP, the fused multiply-adds, OP-FP; c.fld/c.fsd/c.fldsp/c.fsdsp. */
static bool is_fp_insn(uint32_t insn, unsigned len)
{
    if (len == 2) {
        unsigned q = insn & 3, f3 = (insn >> 13) & 7;
        return (q == 0 || q == 2) && (f3 == 1 || f3 == 5);
    }
    switch (insn & 0x7f) {
    case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
        return true;
    default:
        return false;
    }
}

/* Maps a recorded fetch failure to the RISC-V cause (the soft MMU reports
 * unbacked code as EXCP_SEGV). */
static unsigned fetch_excp(CpuState *cpu)
{
    int e = cpu->exception;
    if (e == EXCP_BUS) return EXCP_ARCH_BASE + RV_EXC_INSN_MISALIGNED;
    if (e >= EXCP_ARCH_BASE) return (unsigned)e;
    return EXCP_ARCH_BASE + RV_EXC_INSN_ACCESS;
}

void rv_translate(CpuState *cpu, IrBlock *b, uint64_t pc)
{
    DisasContext ctx = {.cpu = cpu, .b = b, .frm = (unsigned)(b->flags & 7)};
    if (b->flags & RV_TB_SYS) {
        ctx.sys = true;
        ctx.priv = (unsigned)(b->flags >> RV_TB_PRIV_SHIFT) & 3;
        ctx.mo_idx = (unsigned)((b->flags >> RV_TB_DIDX_SHIFT) & 0xf) << IR_MO_IDX_SHIFT;
        ctx.fs_off = b->flags & RV_TB_FS_OFF;
        ctx.fs_dirty = b->flags & RV_TB_FS_DIRTY;
    }
    const uint64_t page = pc & ~0xfffull;

    for (unsigned n = 0;; n++) {
        uint8_t buf[4];
        ctx.pc = pc;
        ctx.end = false;
        /* System mode: a block stays inside one virtual page (blocks are found
         * by the physical address of their first byte); an instruction that
         * straddles two pages only ever starts a block. */
        if (ctx.sys && n > 0 && (pc & ~0xfffull) != page) {
            ir_goto(b, pc, 0);
            return;
        }
        /* Fetch the first parcel, then the second: a 32-bit instruction may
         * straddle into an unmapped page (1.5). */
        int err = cpu->mem->fetch(cpu, pc, buf, 2);
        unsigned len = 2;
        uint64_t bad = pc;
        if (!err && (buf[0] & 3) == 3) {
            len = 4;
            bad = pc + 2;
            if (ctx.sys && n > 0 && ((pc + 2) & ~0xfffull) != page) {
                ir_goto(b, pc, 0);
                return;
            }
            err = cpu->mem->fetch(cpu, pc + 2, buf + 2, 2);
        }
        if (err) {
            if (n == 0) {
                /* Nothing to run: fault at the first address that failed
                 * (system mode: the cause the soft MMU recorded, 3.1.16). */
                ir_insn_start(b, pc, len);
                b->guest_size = len;
                b->guest_insns = 1;
                if (ctx.sys) ir_raise(b, fetch_excp(cpu), ir_i64(b, cpu->fault_addr));
                else ir_raise(b, EXCP_SEGV, ir_i64(b, bad));
            } else {
                ir_goto(b, pc, 0);
            }
            return;
        }
        ctx.len = len;
        ctx.pc_next = pc + len;
        ctx.insn = len == 4 ? (uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
                                  (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24
                            : (uint32_t)buf[0] | (uint32_t)buf[1] << 8;
        ir_insn_start(b, pc, len);
        b->guest_size += len;
        b->guest_insns++;
        bool ok;
        if (ctx.sys && is_fp_insn(ctx.insn, len) && ctx.fs_off) {
            ok = false; /* mstatus.FS = Off: every FP instruction is illegal (3.1.6.6) */
        } else {
            if (ctx.sys && !ctx.fs_dirty && is_fp_insn(ctx.insn, len))
                ir_call(b, &rv_helper_fs_dirty_h, IR_NONE, IR_NONE, IR_NONE, IR_NONE);
            ok = len == 4 ? decode_insn32(&ctx, ctx.insn) : decode_insn16(&ctx, (uint16_t)ctx.insn);
        }
        if (!ok) gen_illegal(&ctx);
        if (ctx.end) return;
        pc = ctx.pc_next;
        if (n + 1 >= RV_MAX_BLOCK_INSNS) {
            ir_goto(b, pc, 0);
            return;
        }
    }
}
