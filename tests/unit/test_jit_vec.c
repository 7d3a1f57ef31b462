/* SPDX-License-Identifier: MIT */
/* The JIT's inline vector templates and 128-bit memory accesses against the
 * interpreter (the oracle, src/interp/vec.c), op by op on hand-built IR
 * blocks of the fake guest: every vector op and lane size, operands from
 * registers, constants or the same temp twice, chained results, edge-heavy
 * random lanes; V128 loads and stores at the ends of guest memory, misaligned,
 * must-be-aligned and big-endian, in user mode and over a soft MMU (page
 * crossings, read-only and unmapped pages, MMIO). Registers, memory, exception, pc and fault
 * address must agree. VM_CHECK_LONG=1 runs many more random values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <capstone.h>

#include "jit/backend/x86_64/x64_emit.h"
#include "vm/arch.h"
#include "vm/engine.h"
#include "vm/cpu.h"
#include "vm/log.h"
#include "vm/mem.h"
#include "vm/tlb.h"

#include "diff_harness.h"
#include "expect_asm.h"
#include "fake_pair.h"

/* Runs both engines from the same registers and memory; returns the
 * interpreter's exception after checking that everything agrees. */
static int diff_both(const char *what)
{
    int ri = diff_run(&ti.cs, &interp_engine, 0x1000), rj = diff_run(&tj.cs, &jit_engine, 0x1000);
    if (ri != rj) fail_msg("%s: exception %d vs %d", what, ri, rj);
    for (int i = 0; i < 3; i++)
        if (memcmp(ti.v[i], tj.v[i], 16))
            fail_msg("%s: v%d interp %016llx:%016llx jit %016llx:%016llx", what, i,
                     (unsigned long long)ti.v[i][1], (unsigned long long)ti.v[i][0],
                     (unsigned long long)tj.v[i][1], (unsigned long long)tj.v[i][0]);
    if (memcmp(ti.x, tj.x, sizeof ti.x)) fail_msg("%s: x registers differ", what);
    if (ti.cs.fp.flags != tj.cs.fp.flags) fail_msg("%s: FP flags 0x%x vs 0x%x", what, ti.cs.fp.flags, tj.cs.fp.flags);
    if (ti.cs.pc != tj.cs.pc || ti.cs.fault_addr != tj.cs.fault_addr)
        fail_msg("%s: pc/fault 0x%llx/0x%llx vs 0x%llx/0x%llx", what, (unsigned long long)ti.cs.pc,
                 (unsigned long long)ti.cs.fault_addr, (unsigned long long)tj.cs.pc,
                 (unsigned long long)tj.cs.fault_addr);
    if (memcmp(gmem_i, gmem_j, sizeof gmem_i)) fail_msg("%s: memory differs", what);
    return ri;
}

/* -- The packed-integer encoders against capstone ------------------------------------ */

ENC(pshufb, x64_emit_sse38_rr(e, 0x00, 9, 3), "pshufb xmm9, xmm3")
ENC(pminud, x64_emit_sse38_rr(e, 0x3b, 1, 12), "pminud xmm1, xmm12")
ENC(paddb, x64_emit_sse_rr(e, 0x66, 0xfc, 0, 1), "paddb xmm0, xmm1")
ENC(paddusb_m, x64_emit_sse_rm(e, 0x66, 0xdc, 2, x64_mem(X64_RSP, 0x80)), "paddusb xmm2, xmmword ptr [rsp + 0x80]")
ENC(movq_m64, x64_emit_sse_rm(e, 0xf3, 0x7e, 0, x64_mem(X64_RSP, 8)), "movq xmm0, qword ptr [rsp + 8]")
ENC(pshufd, x64_emit_pshuf(e, 0x66, 0, 10, 0x1b), "pshufd xmm0, xmm10, 0x1b")
ENC(pshuflw, x64_emit_pshuf(e, 0xf2, 1, 1, 0), "pshuflw xmm1, xmm1, 0")
ENC(psllw, x64_emit_pshift_ri(e, 0x71, 6, 0, 3), "psllw xmm0, 3")
ENC(psrad, x64_emit_pshift_ri(e, 0x72, 4, 11, 31), "psrad xmm11, 0x1f")
ENC(psrlq, x64_emit_pshift_ri(e, 0x73, 2, 2, 63), "psrlq xmm2, 0x3f")
ENC(cmpltpd, x64_emit_sse_rri(e, 0x66, 0xc2, 1, 3, 1), "cmpltpd xmm1, xmm3")
ENC(cmpleps, x64_emit_sse_rri(e, 0, 0xc2, 2, 9, 2), "cmpleps xmm2, xmm9")
ENC(movmskpd, x64_emit_sse_rr(e, 0x66, 0x50, X64_RAX, 1), "movmskpd eax, xmm1")
ENC(pinsrb, x64_emit_pinsr(e, 0, 0, X64_RSI, 15), "pinsrb xmm0, esi, 0xf")
ENC(pinsrw, x64_emit_pinsr(e, 1, 8, X64_R9, 7), "pinsrw xmm8, r9d, 7")
ENC(pinsrd, x64_emit_pinsr(e, 2, 0, X64_RCX, 3), "pinsrd xmm0, ecx, 3")
ENC(pinsrq, x64_emit_pinsr(e, 3, 1, X64_R13, 1), "pinsrq xmm1, r13, 1")

/* -- Lane-wise ops ------------------------------------------------------------------- */

enum { VF_REGS, VF_CONST_A, VF_CONST_B, VF_CONST_C, VF_SAME, VF_CHAIN, VF_SAME_CONST_C, VF_COUNT };
static struct {
    IrOp op;
    unsigned lg, aux, form;
    uint64_t k[3][2]; /* constant operands per form */
    unsigned src;     /* vdup: 0 = x0 (i64), 1 = w0 (i32), 2 = constant */
} g_v;

static IrVal vsrc(IrBlock *b, unsigned i, bool konst)
{
    return konst ? ir_const_v128(b, g_v.k[i][0], g_v.k[i][1]) : ir_get(b, R_V0 + i);
}

static void build_vec(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    unsigned nargs = ir_op_info[g_v.op].nargs, f = g_v.form;
    IrVal r;
    if (g_v.op == IR_OP_vdup) {
        IrVal s = g_v.src == 0 ? ir_get(b, R_X0) : g_v.src == 1 ? ir_get(b, R_W0) : ir_i64(b, g_v.k[0][0]);
        r = ir_opx(b, IR_OP_vdup, IR_V128, IR_V128, s, IR_NONE, IR_NONE, g_v.lg, 0);
    } else {
        IrVal a = vsrc(b, 0, f == VF_CONST_A);
        IrVal c = nargs < 2 ? IR_NONE : f == VF_SAME || f == VF_SAME_CONST_C ? a : vsrc(b, 1, f == VF_CONST_B);
        IrVal d = nargs < 3 ? IR_NONE : vsrc(b, 2, f == VF_CONST_C || f == VF_SAME_CONST_C);
        r = ir_opx(b, g_v.op, IR_V128, IR_V128, a, c, d, g_v.lg, g_v.aux);
        if (f == VF_CHAIN) {
            /* The result feeds the same op again, then both are stored. */
            IrVal r2 = ir_opx(b, g_v.op, IR_V128, IR_V128, r, nargs < 2 ? IR_NONE : a,
                              nargs < 3 ? IR_NONE : r, g_v.lg, g_v.aux);
            ir_set(b, R_V0 + 1, r2);
        }
    }
    ir_set(b, R_V0, r);
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

/* A lane value of lg: edge values of the lane width, or random bits. */
static uint64_t lane_val(unsigned lg)
{
    unsigned bits = 8u << lg;
    uint64_t m = lg == 3 ? ~0ull : (1ull << bits) - 1, top = 1ull << (bits - 1);
    switch (rn(8)) {
    case 0: return 0;
    case 1: return m;
    case 2: return top;
    case 3: return top - 1;
    case 4: return 1;
    case 5: return top + 1;
    default: return rnd() & m;
    }
}

static void rand_vec(uint64_t v[2], unsigned lg, bool small_bytes)
{
    uint8_t bytes[16];
    unsigned e = 1u << lg;
    for (unsigned i = 0; i < 16; i += e) {
        uint64_t x = lane_val(lg);
        memcpy(bytes + i, &x, e);
    }
    if (small_bytes) /* vperm indexes: mostly 0..39, sometimes big */
        for (int i = 0; i < 16; i++) bytes[i] = rn(5) ? (uint8_t)rn(40) : bytes[i];
    memcpy(v, bytes, 16);
}

static void diff_vec(IrOp op, unsigned lg, unsigned aux, unsigned form)
{
    g_v.op = op;
    g_v.lg = lg;
    g_v.aux = aux;
    g_v.form = form;
    g_v.src = rn(3);
    uint64_t v[3][2];
    for (int i = 0; i < 3; i++) {
        rand_vec(v[i], lg, op == IR_OP_vperm && i == 2);
        rand_vec(g_v.k[i], lg, op == IR_OP_vperm && i == 2);
    }
    if (op == IR_OP_vperm && rn(4) == 0) memset(g_v.k[1], 0, 16); /* one-table TBL: b = 0 */
    if (op == IR_OP_vand && rn(3) == 0) { g_v.k[1][0] = ~0ull; g_v.k[1][1] = 0; } /* Q = 0 clear */
    uint64_t x0 = lane_val(3);
    g_build = build_vec;
    TCpu *cs[2] = {&ti, &tj};
    uint8_t *ms[2] = {gmem_i, gmem_j};
    for (int k = 0; k < 2; k++) {
        fake_reset(cs[k], ms[k], FAKE_MEM);
        memcpy(cs[k]->v, v, sizeof v);
        cs[k]->x[0] = x0;
        cs[k]->w[0] = (uint32_t)x0;
    }
    char what[96];
    snprintf(what, sizeof what, "%s.e%u aux %u form %u src %u", ir_op_info[op].name, 8u << lg, aux, form,
             g_v.src);
    int r = diff_both(what);
    if (r != EXCP_BREAKPOINT) fail_msg("%s: exception %d", what, r);
}

static void test_vec_ops(void **s)
{
    (void)s;
    static const IrOp bin[] = {IR_OP_vadd, IR_OP_vsub, IR_OP_vmul, IR_OP_vand, IR_OP_vor, IR_OP_vxor,
                               IR_OP_vandn, IR_OP_vcmpeq, IR_OP_vcmpgt, IR_OP_vcmpgtu, IR_OP_vmins,
                               IR_OP_vmaxs, IR_OP_vminu, IR_OP_vmaxu, IR_OP_vqadds, IR_OP_vqaddu,
                               IR_OP_vqsubs, IR_OP_vqsubu};
    static const IrOp un[] = {IR_OP_vnot, IR_OP_vneg, IR_OP_vabs, IR_OP_vdup};
    const char *lgv = getenv("VM_CHECK_LONG");
    unsigned reps = lgv && *lgv && *lgv != '0' ? 60 : 6;
    rng = 0x5eed;
    for (unsigned rep = 0; rep < reps; rep++)
        for (unsigned lg = 0; lg < 4; lg++) {
            for (size_t o = 0; o < sizeof bin / sizeof bin[0]; o++)
                for (unsigned f = 0; f < VF_COUNT; f++)
                    if (f != VF_CONST_C) diff_vec(bin[o], lg, 0, f);
            for (size_t o = 0; o < sizeof un / sizeof un[0]; o++) {
                diff_vec(un[o], lg, 0, VF_REGS);
                diff_vec(un[o], lg, 0, VF_CONST_A);
                diff_vec(un[o], lg, 0, VF_CHAIN);
            }
            unsigned bits = 8u << lg;
            unsigned counts[] = {0, 1, bits / 2 - 1, bits - 1, bits, bits + 1, 200, rn(bits)};
            for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
                diff_vec(IR_OP_vshli, lg, counts[c], rep & 1 ? VF_CHAIN : VF_REGS);
                diff_vec(IR_OP_vshri, lg, counts[c], rep & 1 ? VF_CHAIN : VF_REGS);
                diff_vec(IR_OP_vsari, lg, counts[c], rep & 1 ? VF_CHAIN : VF_REGS);
            }
            for (unsigned f = 0; f < VF_COUNT; f++) diff_vec(IR_OP_vperm, 0, 0, f);
        }
}

/* Lane-wise FP (vfadd vfsub vfmul vfdiv): f32/f64 lanes from values that
 * take the fast path (normal, results in range) and every reason to leave it
 * (NaN, inf, zero, denormal and tiny or huge operands, overflow, underflow),
 * under each rounding, NaN style and flush mode, with NX set or clear. */
static uint64_t fp_lane(bool dbl)
{
    static const uint64_t d[] = {0x3ff0000000000000ull, 0xbff8000000000000ull, 0x4010000000000000ull,
                                 0x0000000000000001ull, 0x000fffffffffffffull, 0x0010000000000000ull,
                                 0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
                                 0x7ff4000000000000ull, 0x8000000000000000ull, 0, 0x7fefffffffffffffull,
                                 0x1000000000000000ull, 0x3000000000000000ull, 0x5ff0000000000000ull};
    static const uint32_t f[] = {0x3f800000u, 0xbfc00000u, 0x40800000u, 1, 0x007fffffu, 0x00800000u,
                                 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x7fa00000u, 0x80000000u, 0,
                                 0x7f7fffffu, 0x0d000000u, 0x30000000u, 0x6f000000u};
    unsigned r = rn(3);
    if (dbl) {
        if (r) return (rnd() & 0x800fffffffffffffull) | (uint64_t)(0x380 + rn(0x100)) << 52; /* normal, mid range */
        return d[rn(sizeof d / sizeof d[0])];
    }
    if (r) return (uint32_t)((rnd() & 0x807fffffu) | (uint32_t)(0x60 + rn(0x40)) << 23);
    return f[rn(sizeof f / sizeof f[0])];
}

static void test_vec_fp(void **s)
{
    (void)s;
    static const IrOp ops[] = {IR_OP_vfadd, IR_OP_vfsub, IR_OP_vfmul, IR_OP_vfdiv};
    static const uint32_t modes[] = {FP_MODE_NAN_ARM, FP_MODE_NAN_ARM | FP_MODE_DN, FP_MODE_NAN_CANON,
                                     FP_MODE_NAN_ARM | FP_MODE_FZ | FP_MODE_DAZ, FP_MODE_NAN_X86};
    const char *lgv = getenv("VM_CHECK_LONG");
    unsigned reps = lgv && *lgv && *lgv != '0' ? 4000 : 400;
    rng = 0xf00d;
    unsigned fast_cases = 0;
    for (unsigned rep = 0; rep < reps; rep++)
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
            bool dbl = rn(2);
            g_v.op = ops[o];
            g_v.lg = dbl ? 3 : 2;
            g_v.aux = rn(4) ? IR_RM_RNE : rn(5);
            g_v.form = rn(5) ? VF_REGS : rn(2) ? VF_CONST_B : VF_CHAIN;
            uint64_t v[3][2];
            for (int i = 0; i < 3; i++)
                for (int h = 0; h < 2; h++) {
                    v[i][h] = dbl ? fp_lane(true) : fp_lane(false) | fp_lane(false) << 32;
                    g_v.k[i][h] = dbl ? fp_lane(true) : fp_lane(false) | fp_lane(false) << 32;
                }
            uint32_t mode = modes[rn(sizeof modes / sizeof modes[0])];
            uint32_t flags = rn(3) ? FP_FLAG_NX : rn(32);
            fast_cases += g_v.aux == IR_RM_RNE && (flags & FP_FLAG_NX) && !(mode & (FP_MODE_FZ | FP_MODE_DAZ | FP_MODE_NAN_X86));
            g_build = build_vec;
            TCpu *cs[2] = {&ti, &tj};
            uint8_t *ms[2] = {gmem_i, gmem_j};
            for (int k = 0; k < 2; k++) {
                fake_reset(cs[k], ms[k], FAKE_MEM);
                memcpy(cs[k]->v, v, sizeof v);
                cs[k]->cs.fp.mode = mode;
                cs[k]->cs.fp.flags = flags;
                cs[k]->cs.fp.rm = IR_RM_RNE;
            }
            char what[96];
            snprintf(what, sizeof what, "%s.e%u rm %u form %u mode 0x%x flags 0x%x", ir_op_info[g_v.op].name,
                     8u << g_v.lg, g_v.aux, g_v.form, mode, flags);
            if (diff_both(what) != EXCP_BREAKPOINT) fail_msg("%s: no breakpoint", what);
        }
    assert_true(fast_cases > reps);
}

/* -- 128-bit loads and stores -------------------------------------------------------- */

static struct {
    unsigned mo;
    bool store;
    unsigned kind; /* stored value: 0 register, 1 constant 0, 2 all-ones, 3 other constant */
    unsigned warm; /* before it, at x2: 0 nothing, 1 a load, 2 a load and a store (TLB entries) */
} g_m;

static void build_mem(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    ir_set(b, R_X0 + 5, ir_i64(b, 1)); /* a write before the access: kept on a fault */
    if (g_m.warm) {
        IrVal wa = ir_get(b, R_X0 + 2), w = ir_ld(b, IR_I64, wa, 3);
        if (g_m.warm == 2) ir_st(b, wa, w, 3);
        ir_set(b, R_X0 + 4, w);
    }
    ir_insn_start(b, pc + 4, 4);
    IrVal addr = ir_get(b, R_X0);
    if (g_m.store) {
        static const uint64_t k[4][2] = {{0, 0}, {0, 0}, {~0ull, ~0ull}, {0x0123456789abcdefull, ~0ull}};
        ir_st(b, addr, g_m.kind ? ir_const_v128(b, k[g_m.kind][0], k[g_m.kind][1]) : ir_get(b, R_V0 + 1), g_m.mo);
    } else {
        ir_set(b, R_V0, ir_ld(b, IR_V128, addr, g_m.mo));
    }
    /* The loaded value (or the stored one read back) used by the next insn. */
    ir_insn_start(b, pc + 8, 4);
    IrVal back = ir_ld(b, IR_V128, ir_get(b, R_X0 + 1), 4);
    ir_set(b, R_V0 + 2, ir_opx(b, IR_OP_vxor, IR_V128, IR_V128, back, ir_get(b, R_V0), IR_NONE, 0, 0));
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void test_mem128(void **s)
{
    (void)s;
    const uint64_t lim = FAKE_MEM;
    const uint64_t addrs[] = {0x2000,      0x2001,      0x2ff8,      0x3ff9,       lim - 32,
                              lim - 17,    lim - 16,    lim - 15,    lim - 8,      lim - 1,
                              lim,         lim + 0x1000, ~0ull - 7,  ~0ull - 15,   1ull << 47,
                              (1ull << 63) + 0x2000};
    const unsigned mos[] = {4, 4 | IR_MO_ALIGN, 4 | IR_MO_BE, 4 | IR_MO_BE | IR_MO_ALIGN};
    rng = 0x128;
    unsigned ok = 0, faults = 0;
    for (size_t ai = 0; ai < sizeof addrs / sizeof addrs[0]; ai++)
        for (size_t mi = 0; mi < sizeof mos / sizeof mos[0]; mi++)
            for (int st = 0; st < 5; st++) {
                g_m.mo = mos[mi];
                g_m.store = st > 0;
                g_m.kind = st > 0 ? (unsigned)st - 1 : 0;
                g_m.warm = 0;
                g_build = build_mem;
                uint64_t v[3][2];
                for (int i = 0; i < 3; i++) rand_vec(v[i], 3, false);
                TCpu *cs[2] = {&ti, &tj};
                uint8_t *ms[2] = {gmem_i, gmem_j};
                for (int k = 0; k < 2; k++) {
                    fake_reset(cs[k], ms[k], FAKE_MEM);
                    for (size_t q = 0; q < FAKE_MEM; q++) ms[k][q] = (uint8_t)(q * 37 + (q >> 8));
                    memcpy(cs[k]->v, v, sizeof v);
                    cs[k]->x[0] = addrs[ai];
                    cs[k]->x[1] = addrs[ai] < lim - 16 ? addrs[ai] : 0x100;
                }
                char what[96];
                snprintf(what, sizeof what, "%s%u addr 0x%llx mo 0x%x", st ? "st" : "ld", g_m.kind,
                         (unsigned long long)addrs[ai], mos[mi]);
                int r = diff_both(what);
                /* The oracle's outcome is the expected one too: in bounds and
                 * aligned when asked runs to the breakpoint, else faults at
                 * the access (pc + 4) after the first insn's write. */
                uint64_t a = addrs[ai];
                bool fits = a <= lim - 16, aligned = !(mos[mi] & IR_MO_ALIGN) || !(a & 15);
                if (fits && aligned) {
                    if (r != EXCP_BREAKPOINT) fail_msg("%s: exception %d, want breakpoint", what, r);
                    ok++;
                } else {
                    if (r == EXCP_BREAKPOINT || ti.cs.pc != 0x1004 || ti.x[5] != 1)
                        fail_msg("%s: exception %d at 0x%llx, want a fault at 0x1004", what, r,
                                 (unsigned long long)ti.cs.pc);
                    faults++;
                }
            }
    assert_true(ok >= 50 && faults >= 50);
}

/* -- 128-bit loads and stores in system mode ------------------------------------------
 * The fake guest over a soft MMU: virtual page n of [0, 1 MiB) maps to RAM at
 * SYS_RAM + n * 4 KiB, except page 5 (read-only), page 6 (unmapped) and page
 * 7 (a recording MMIO page). The inline path takes TLB hits inside one page;
 * page crossings, misses, faults and MMIO go slow. */

#define SYS_RAM 0x80000000ull
#define SYS_RAM_SIZE (1ull << 20)
#define SYS_MMIO 0x10000000ull

typedef struct SysEnv {
    TCpu cpu;
    PhysMap *pm;
    uint8_t *ram;
    uint64_t mmio_sum; /* what the MMIO page saw, order-sensitive */
} SysEnv;

static SysEnv se_i, se_j;
static GuestArch sys_arch;

static uint64_t sys_mmio_read(void *opaque, uint64_t off, unsigned size)
{
    SysEnv *s = opaque;
    s->mmio_sum = s->mmio_sum * 31 + off * 7 + size;
    return 0x1122334455667788ull + off;
}

static void sys_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    SysEnv *s = opaque;
    s->mmio_sum = s->mmio_sum * 31 + off * 5 + val + size;
}

static const MmioOps sys_mmio_ops = {sys_mmio_read, sys_mmio_write};

static int sys_fill(CpuState *cpu, uint64_t va, MemAccess acc, unsigned idx, TlbFill *out, uint64_t *tval)
{
    (void)cpu;
    (void)idx;
    uint64_t page = va >> 12;
    if (va >= SYS_RAM_SIZE || page == 6) {
        *tval = va;
        return EXCP_ARCH_BASE + (acc == MEM_WRITE ? 15 : 13);
    }
    out->pa = page == 7 ? SYS_MMIO + (va & 0xfff) : SYS_RAM + va;
    out->page_shift = 12;
    out->prot = TLB_PROT_READ | TLB_PROT_EXEC | (page == 5 ? 0 : TLB_PROT_WRITE);
    return 0;
}

static void sys_env_init(SysEnv *s, const Engine *e)
{
    memset(s, 0, sizeof *s);
    s->cpu.cs.arch = &sys_arch;
    cpu_common_init(&s->cpu.cs);
    s->pm = phys_new();
    s->ram = ram_alloc(SYS_RAM_SIZE, NULL, 0);
    assert_non_null(s->pm);
    assert_non_null(s->ram);
    assert_int_equal(phys_add_ram(s->pm, SYS_RAM, SYS_RAM_SIZE, s->ram, "ram"), 0);
    assert_int_equal(phys_add_mmio(s->pm, SYS_MMIO, 0x1000, &sys_mmio_ops, s, "rec"), 0);
    assert_int_equal(tlb_cpu_init(&s->cpu.cs, s->pm), 0);
    assert_int_equal(e->cpu_init(&s->cpu.cs), 0);
}

static void sys_env_free(SysEnv *s, const Engine *e)
{
    e->cpu_free(&s->cpu.cs);
    tlb_cpu_free(&s->cpu.cs);
    ram_free(s->ram, SYS_RAM_SIZE);
    phys_free(s->pm);
}

static int sys_setup(void **state)
{
    (void)state;
    fake_regs_init();
    log_levels[LOG_IR] = LOG_DEBUG;
    sys_arch = test_arch;
    sys_arch.tlb_fill = sys_fill;
    sys_env_init(&se_i, &interp_engine);
    sys_env_init(&se_j, &jit_engine);
    return 0;
}

static int sys_teardown(void **state)
{
    (void)state;
    sys_env_free(&se_i, &interp_engine);
    sys_env_free(&se_j, &jit_engine);
    return 0;
}

static void test_mem128_sys(void **s)
{
    (void)s;
    const uint64_t addrs[] = {0x2000, 0x2001, 0x2ff0, 0x2ff1, 0x2ff8, 0x3ff9, 0x4ff8, 0x5000,
                              0x5008, 0x4ff9, 0x5ff9, 0x6000, 0x6ff0, 0x7000, 0x7008, 0x6ff8,
                              0x8000, SYS_RAM_SIZE - 16, SYS_RAM_SIZE - 8, ~0ull - 7};
    const unsigned mos[] = {4, 4 | IR_MO_ALIGN, 4 | IR_MO_BE};
    rng = 0x5128;
    unsigned ok = 0, faults = 0;
    for (size_t ai = 0; ai < sizeof addrs / sizeof addrs[0]; ai++)
        for (size_t mi = 0; mi < sizeof mos / sizeof mos[0]; mi++)
            for (int st = 0; st < 4; st++) {
                g_m.mo = mos[mi];
                g_m.store = st > 0;
                g_m.kind = st > 0 ? (unsigned)st - 1 : 0;
                /* The access's first page in the TLB first, so page
                 * crossings meet a hit on their first byte. */
                uint64_t page = addrs[ai] >> 12;
                g_m.warm = addrs[ai] >= SYS_RAM_SIZE || page == 6 ? 0 : page == 5 || page == 7 ? 1 : 2;
                g_build = build_mem;
                uint64_t v[3][2];
                for (int i = 0; i < 3; i++) rand_vec(v[i], 3, false);
                SysEnv *es[2] = {&se_i, &se_j};
                for (int k = 0; k < 2; k++) {
                    TCpu *c = &es[k]->cpu;
                    for (size_t q = 0; q < SYS_RAM_SIZE; q += 4096)
                        for (size_t r = 0; r < 4096; r++) es[k]->ram[q + r] = (uint8_t)(r * 37 + (q >> 12));
                    es[k]->mmio_sum = 0;
                    memset(c->x, 0, sizeof c->x);
                    memcpy(c->v, v, sizeof v);
                    c->x[0] = addrs[ai];
                    c->x[1] = 0x3000;
                    c->x[2] = addrs[ai] & ~0xfffull;
                    c->cs.exception = 0;
                    c->cs.fault_addr = 0;
                    tlb_flush(&c->cs);
                }
                char what[96];
                snprintf(what, sizeof what, "sys %s%u addr 0x%llx mo 0x%x", st ? "st" : "ld", g_m.kind,
                         (unsigned long long)addrs[ai], mos[mi]);
                int ri = diff_run(&se_i.cpu.cs, &interp_engine, 0x1000);
                int rj = diff_run(&se_j.cpu.cs, &jit_engine, 0x1000);
                TCpu *a = &se_i.cpu, *b = &se_j.cpu;
                if (ri != rj || memcmp(a->v, b->v, sizeof a->v) || memcmp(a->x, b->x, sizeof a->x) ||
                    a->cs.pc != b->cs.pc || a->cs.fault_addr != b->cs.fault_addr ||
                    se_i.mmio_sum != se_j.mmio_sum || memcmp(se_i.ram, se_j.ram, SYS_RAM_SIZE))
                    fail_msg("%s: interp exc %d pc 0x%llx fault 0x%llx, jit exc %d pc 0x%llx fault 0x%llx%s%s%s",
                             what, ri, (unsigned long long)a->cs.pc, (unsigned long long)a->cs.fault_addr, rj,
                             (unsigned long long)b->cs.pc, (unsigned long long)b->cs.fault_addr,
                             memcmp(a->v, b->v, sizeof a->v) ? ", v differ" : "",
                             se_i.mmio_sum != se_j.mmio_sum ? ", mmio differs" : "",
                             memcmp(se_i.ram, se_j.ram, SYS_RAM_SIZE) ? ", ram differs" : "");
                if (ri == EXCP_BREAKPOINT) ok++;
                else faults++;
            }
    /* Both outcomes occur: hits, MMIO and page crossings into good pages
     * complete; read-only, unmapped and out-of-range accesses fault. */
    assert_true(ok >= 60 && faults >= 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enc_pshufb), cmocka_unit_test(test_enc_pminud), cmocka_unit_test(test_enc_paddb),
        cmocka_unit_test(test_enc_paddusb_m), cmocka_unit_test(test_enc_movq_m64), cmocka_unit_test(test_enc_pshufd),
        cmocka_unit_test(test_enc_pshuflw), cmocka_unit_test(test_enc_psllw), cmocka_unit_test(test_enc_psrad),
        cmocka_unit_test(test_enc_psrlq), cmocka_unit_test(test_enc_cmpltpd), cmocka_unit_test(test_enc_cmpleps),
        cmocka_unit_test(test_enc_movmskpd), cmocka_unit_test(test_enc_pinsrb), cmocka_unit_test(test_enc_pinsrw),
        cmocka_unit_test(test_enc_pinsrd), cmocka_unit_test(test_enc_pinsrq),
        cmocka_unit_test_setup_teardown(test_vec_ops, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_vec_fp, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_mem128, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_mem128_sys, sys_setup, sys_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
