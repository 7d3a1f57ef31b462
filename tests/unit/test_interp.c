/* SPDX-License-Identifier: MIT */
/* Unit tests of the IR interpreter: every op class at its edge cases, memory
 * (bounds, sign, endianness, alignment, atomics), exits and chaining, exit
 * requests, helpers, invalidation, plus a hot-loop speed measurement. A tiny
 * fake guest whose translator builds hand-written IR blocks drives it all. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "interp/interp_int.h"
#include "vm/arch.h"
#include "vm/engine.h"
#include "vm/log.h"

#include "ir_fake_guest.h"

/* -- The fake guest (ir_fake_guest.h) -------------------------------------------------- */

static TCpu tc;
static uint8_t *gmem;
#define GMEM_SIZE 65536u

static int group_setup(void **state)
{
    (void)state;
    fake_regs_init();
    /* Have frontend_translate run the verifier on every hand-written block. */
    log_levels[LOG_IR] = LOG_DEBUG;
    gmem = calloc(1, GMEM_SIZE);
    tc.cs.arch = &test_arch;
    return interp_engine.cpu_init(&tc.cs);
}

static int group_teardown(void **state)
{
    (void)state;
    interp_engine.cpu_free(&tc.cs);
    free(gmem);
    return 0;
}

/* Fresh registers and memory, no translations. */
static int reset(void **state)
{
    (void)state;
    fake_reset(&tc, gmem, GMEM_SIZE);
    memset(gmem, 0, GMEM_SIZE);
    interp_engine.invalidate(0, 0);
    return 0;
}

static int run_at(uint64_t pc)
{
    tc.cs.pc = pc;
    return interp_engine.exec(&tc.cs);
}

/* -- Single-op harness: build_op (ir_fake_guest.h) under the interpreter ------------ */

static uint64_t run_op_form(IrOp op, IrType t, uint64_t a, uint64_t b, uint64_t c,
                            uint64_t imm, int form)
{
    reset(NULL);
    g_op.op = op;
    g_op.t = t;
    g_op.a = a;
    g_op.b = b;
    g_op.c = c;
    g_op.imm = imm;
    g_op.form = form;
    g_build = build_op;
    if (t == IR_I32) {
        tc.w[0] = (uint32_t)a;
        tc.w[1] = (uint32_t)b;
        tc.w[2] = (uint32_t)c;
    } else {
        tc.x[0] = a;
        tc.x[1] = b;
        tc.x[2] = c;
    }
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    uint64_t r = t == IR_I32 ? tc.w[3] : tc.x[3];
    assert_int_equal(tc.x[13], r != 0);
    return r;
}

/* Checks every operand form gives `want`. */
static void check_op(IrOp op, IrType t, uint64_t a, uint64_t b, uint64_t c, uint64_t imm,
                     uint64_t want)
{
    unsigned nargs = ir_op_info[op].nargs;
    int nforms = nargs == 2 ? 3 : 1;
    for (int f = 0; f < nforms; f++) {
        uint64_t r = run_op_form(op, t, a, b, c, imm, f);
        if (r != want)
            fail_msg("%s.%s(0x%llx, 0x%llx, 0x%llx) form %d = 0x%llx, want 0x%llx",
                     ir_op_info[op].name, ir_type_name(t), (unsigned long long)a,
                     (unsigned long long)b, (unsigned long long)c, f, (unsigned long long)r,
                     (unsigned long long)want);
    }
}

#define I32 IR_I32
#define I64 IR_I64
#define MIN64 0x8000000000000000ull
#define MAX64 0x7fffffffffffffffull
#define ALL64 0xffffffffffffffffull

typedef struct OpCase {
    IrOp op;
    IrType t;
    uint64_t a, b, c, imm, want;
} OpCase;

#define OP(o, t, a, b, w) {IR_OP_##o, t, a, b, 0, 0, w}
#define OP3(o, t, a, b, c, w) {IR_OP_##o, t, a, b, c, 0, w}
#define OPI(o, t, a, b, imm, w) {IR_OP_##o, t, a, b, 0, imm, w}

static const OpCase int_cases[] = {
    OP(add, I32, 0xffffffff, 1, 0),
    OP(add, I64, ALL64, 2, 1),
    OP(sub, I32, 0, 1, 0xffffffff),
    OP(sub, I64, 0, 1, ALL64),
    OP(mul, I32, 0x10000, 0x10000, 0),
    OP(mul, I64, 0x100000000ull, 0x100000000ull, 0),
    OP(mulhs, I32, 0x80000000, 0x80000000, 0x40000000),
    OP(mulhs, I64, ALL64, ALL64, 0),
    OP(mulhs, I64, MIN64, MIN64, 0x4000000000000000ull),
    OP(mulhs, I64, MIN64, 1, ALL64),
    OP(mulhu, I32, 0xffffffff, 0xffffffff, 0xfffffffe),
    OP(mulhu, I64, ALL64, ALL64, 0xfffffffffffffffeull),
    OP(mulhsu, I32, 0xffffffff, 0xffffffff, 0xffffffff),
    OP(mulhsu, I64, ALL64, ALL64, ALL64),
    OP(mulhsu, I64, 2, ALL64, 1),
    OP(divs, I32, 7, 0, 0xffffffff),
    OP(divs, I64, 7, 0, ALL64),
    OP(divs, I32, 0x80000000, 0xffffffff, 0x80000000),
    OP(divs, I64, MIN64, ALL64, MIN64),
    OP(divs, I32, (uint32_t)-7, 2, (uint32_t)-3),
    OP(divs, I64, (uint64_t)-7, 2, (uint64_t)-3),
    OP(divu, I32, 7, 0, 0xffffffff),
    OP(divu, I64, 7, 0, ALL64),
    OP(divu, I32, 0xffffffff, 2, 0x7fffffff),
    OP(divu, I64, ALL64, 2, MAX64),
    OP(rems, I32, 7, 0, 7),
    OP(rems, I64, (uint64_t)-7, 0, (uint64_t)-7),
    OP(rems, I32, 0x80000000, 0xffffffff, 0),
    OP(rems, I64, MIN64, ALL64, 0),
    OP(rems, I32, (uint32_t)-7, 2, 0xffffffff),
    OP(rems, I64, 7, (uint64_t)-2, 1),
    OP(remu, I32, 7, 0, 7),
    OP(remu, I64, 10, 3, 1),
    OP(remu, I32, 0xffffffff, 10, 5),
    OP(and, I64, 0xff00, 0x0ff0, 0x0f00),
    OP(or, I32, 0xff00, 0x0ff0, 0xfff0),
    OP(xor, I64, ALL64, 1, ALL64 - 1),
    OP(andn, I32, 0xff, 0x0f, 0xf0),
    OP(orn, I32, 0, 0xffff0000, 0xffff),
    OP(orn, I64, 0, 0xffff0000, 0xffffffff0000ffffull),
    OP(xnor, I32, 0, 0, 0xffffffff),
    OP(xnor, I32, 0xffffffff, 0, 0),
    OP(xnor, I64, 5, 5, ALL64),
    OP(shl, I32, 1, 31, 0x80000000),
    OP(shl, I32, 1, 32, 1),
    OP(shl, I32, 3, 33, 6),
    OP(shl, I64, 1, 64, 1),
    OP(shl, I64, 1, 63, MIN64),
    OP(shl, I64, 1, 0xffffffffffffff41ull, 2),
    OP(shr, I32, 0x80000000, 31, 1),
    OP(shr, I32, 0x80000000, 32, 0x80000000),
    OP(shr, I64, MIN64, 63, 1),
    OP(shr, I64, MIN64, 64, MIN64),
    OP(sar, I32, 0x80000000, 31, 0xffffffff),
    OP(sar, I32, 0x80000000, 32, 0x80000000),
    OP(sar, I64, MIN64, 63, ALL64),
    OP(sar, I64, MIN64, 65, 0xc000000000000000ull),
    OP(sar, I32, 0x40000000, 30, 1),
    OP(rotl, I32, 0x80000001, 1, 3),
    OP(rotl, I32, 0x12345678, 32, 0x12345678),
    OP(rotl, I32, 0x12345678, 0, 0x12345678),
    OP(rotl, I64, MIN64 | 1, 1, 3),
    OP(rotl, I64, 5, 64, 5),
    OP(rotr, I32, 1, 1, 0x80000000),
    OP(rotr, I32, 0x12345678, 36, 0x81234567),
    OP(rotr, I64, 1, 1, MIN64),
    OP(rotr, I64, 0x1234, 0, 0x1234),
    OP(smin, I32, 0x80000000, 1, 0x80000000),
    OP(smax, I32, 0x80000000, 1, 1),
    OP(umin, I32, 0x80000000, 1, 1),
    OP(umax, I32, 0x80000000, 1, 0x80000000),
    OP(smin, I64, ALL64, 0, ALL64),
    OP(smax, I64, ALL64, 0, 0),
    OP(umin, I64, ALL64, 0, 0),
    OP(umax, I64, ALL64, 0, ALL64),
    OP(carry_add, I32, 0xffffffff, 1, 1),
    OP(carry_add, I32, 0xfffffffe, 1, 0),
    OP(carry_add, I64, ALL64, 1, 1),
    OP(carry_add, I64, ALL64, 0, 0),
    OP(ovf_add, I32, 0x7fffffff, 1, 1),
    OP(ovf_add, I32, 0x80000000, 0xffffffff, 1),
    OP(ovf_add, I32, 0x7fffffff, 0xffffffff, 0),
    OP(ovf_add, I64, MAX64, 1, 1),
    OP(ovf_add, I64, 1, 1, 0),
    OP(ovf_sub, I32, 0x80000000, 1, 1),
    OP(ovf_sub, I32, 0, 0x80000000, 1),
    OP(ovf_sub, I32, 0xffffffff, 0x80000000, 0),
    OP(ovf_sub, I64, 0, MIN64, 1),
    OP(ovf_sub, I64, ALL64, MIN64, 0),
    /* Ternary flag ops: c is the incoming carry/borrow. */
    OP3(carry_adc, I32, 0xffffffff, 0, 1, 1),
    OP3(carry_adc, I32, 0xfffffffe, 0, 1, 0),
    OP3(carry_adc, I32, 0xffffffff, 0xffffffff, 1, 1),
    OP3(carry_adc, I64, ALL64, ALL64, 1, 1),
    OP3(carry_adc, I64, MAX64, MIN64, 1, 1),
    OP3(carry_adc, I64, MAX64, MIN64, 0, 0),
    OP3(borrow_sbb, I32, 0, 0, 1, 1),
    OP3(borrow_sbb, I32, 5, 5, 0, 0),
    OP3(borrow_sbb, I32, 5, 5, 1, 1),
    OP3(borrow_sbb, I32, 5, 4, 1, 0),
    OP3(borrow_sbb, I64, 0, ALL64, 0, 1),
    OP3(borrow_sbb, I64, ALL64, ALL64, 1, 1),
    OP3(ovf_adc, I32, 0x7fffffff, 0, 1, 1),
    OP3(ovf_adc, I32, 0x7ffffffe, 0, 1, 0),
    OP3(ovf_adc, I64, MIN64, ALL64, 1, 0),
    OP3(ovf_adc, I64, MIN64, ALL64, 0, 1),
    OP3(ovf_sbb, I32, 0x80000000, 0, 1, 1),
    OP3(ovf_sbb, I64, 0, MIN64, 1, 0),
    OP3(ovf_sbb, I64, 0, MIN64, 0, 1),
    OP3(ovf_sbb, I64, ALL64, MAX64, 1, 1),
    /* Unary. */
    OP(not, I32, 0, 0, 0xffffffff),
    OP(not, I64, 0, 0, ALL64),
    OP(neg, I32, 1, 0, 0xffffffff),
    OP(neg, I64, MIN64, 0, MIN64),
    OP(clz, I32, 0, 0, 32),
    OP(clz, I64, 0, 0, 64),
    OP(clz, I32, 1, 0, 31),
    OP(clz, I64, 1, 0, 63),
    OP(ctz, I32, 0, 0, 32),
    OP(ctz, I64, 0, 0, 64),
    OP(ctz, I32, 0x80000000, 0, 31),
    OP(cpop, I32, 0xffffffff, 0, 32),
    OP(cpop, I64, ALL64, 0, 64),
    OP(bswap, I32, 0x11223344, 0, 0x44332211),
    OP(bswap, I64, 0x1122334455667788ull, 0, 0x8877665544332211ull),
    OP(brev, I32, 1, 0, 0x80000000),
    OP(brev, I64, 0x0123456789abcdefull, 0, 0xf7b3d591e6a2c480ull),
    OP(sext8, I32, 0x80, 0, 0xffffff80),
    OP(sext8, I64, 0x17f, 0, 0x7f),
    OP(sext16, I32, 0x8000, 0, 0xffff8000),
    OP(sext16, I64, 0x8000, 0, 0xffffffffffff8000ull),
    OP(sext32, I64, 0x80000000, 0, 0xffffffff80000000ull),
    OP(zext8, I32, 0xffffffff, 0, 0xff),
    OP(zext16, I64, ALL64, 0, 0xffff),
    OP(zext32, I64, 0xffffffff12345678ull, 0, 0x12345678),
    OP(parity, I64, 0x103, 0, 1),
    OP(parity, I64, 0x1, 0, 0),
    OP(parity, I32, 0, 0, 1),
    OP(parity, I32, 0xff00fe, 0, 0),
    /* Bitfields: imm = pos | len << 8. */
    OPI(extract, I64, 0xabcd, 0, 4 | 8 << 8, 0xbc),
    OPI(extract, I64, ALL64, 0, 0 | 64 << 8, ALL64),
    OPI(extract, I32, 0xffffffff, 0, 31 | 1 << 8, 1),
    OPI(sextract, I32, 0x80, 0, 4 | 4 << 8, 0xfffffff8),
    OPI(sextract, I64, 0x7ff0, 0, 4 | 12 << 8, 0x7ff),
    OPI(sextract, I64, MIN64, 0, 32 | 32 << 8, 0xffffffff80000000ull),
    OPI(sextract, I32, 0x80000000, 0, 0 | 32 << 8, 0x80000000),
    OPI(deposit, I32, 0xffffffff, 0, 8 | 8 << 8, 0xffff00ff),
    OPI(deposit, I64, 0, 0xfff, 60 | 4 << 8, 0xf000000000000000ull),
    OPI(deposit, I64, ALL64, 0x12, 0 | 64 << 8, 0x12),
};

static void test_int_ops(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(int_cases) / sizeof(int_cases[0]); i++) {
        const OpCase *k = &int_cases[i];
        check_op(k->op, k->t, k->a, k->b, k->c, k->imm, k->want);
    }
}

/* Conversions between widths go through explicit I32/I64 registers. */
static struct { IrOp op; IrType from, to; } g_cv;

static void build_conv(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    IrVal a = ir_get(b, reg_of(g_cv.from, 0));
    IrVal r = ir_opx(b, g_cv.op, g_cv.to, g_cv.to, a, IR_NONE, IR_NONE, 0, 0);
    ir_set(b, reg_of(g_cv.to, 3), r);
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static uint64_t run_conv(IrOp op, IrType from, IrType to, uint64_t v)
{
    reset(NULL);
    g_cv.op = op;
    g_cv.from = from;
    g_cv.to = to;
    g_build = build_conv;
    tc.x[0] = v;
    tc.w[0] = (uint32_t)v;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    return to == IR_I32 ? tc.w[3] : tc.x[3];
}

static void test_conversions(void **state)
{
    (void)state;
    assert_int_equal(run_conv(IR_OP_extu, I32, I64, 0x80000000), 0x80000000);
    assert_int_equal(run_conv(IR_OP_exts, I32, I64, 0x80000000), 0xffffffff80000000ull);
    assert_int_equal(run_conv(IR_OP_exts, I32, I64, 0x7fffffff), 0x7fffffff);
    assert_int_equal(run_conv(IR_OP_trunc, I64, I32, 0x123456789ull), 0x23456789);
}

/* -- setcond, alone and fused with goto_cond -------------------------------------- */

static bool ref_cond(IrCond c, IrType t, uint64_t a, uint64_t b)
{
    if (t == IR_I32) {
        a = (uint32_t)a;
        b = (uint32_t)b;
    }
    int64_t sa = t == IR_I32 ? (int32_t)a : (int64_t)a;
    int64_t sb = t == IR_I32 ? (int32_t)b : (int64_t)b;
    switch (c) {
    case IR_COND_EQ: return a == b;
    case IR_COND_NE: return a != b;
    case IR_COND_LT: return sa < sb;
    case IR_COND_GE: return sa >= sb;
    case IR_COND_LE: return sa <= sb;
    case IR_COND_GT: return sa > sb;
    case IR_COND_LTU: return a < b;
    case IR_COND_GEU: return a >= b;
    case IR_COND_LEU: return a <= b;
    case IR_COND_GTU: return a > b;
    case IR_COND_TSTEQ: return (a & b) == 0;
    case IR_COND_TSTNE: return (a & b) != 0;
    default: return false;
    }
}

static struct { IrCond c; IrType t; uint64_t a, b; int form; bool branch; } g_sc;

/* 0x1000: c = setcond; [goto_cond c -> 0x3000]; x4 = c; raise.
 * 0x3000: x5 = 1; raise. */
static void build_setcond(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    if (pc == 0x3000) {
        ir_set(b, R_X0 + 5, ir_i64(b, 1));
        ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
        return;
    }
    IrType t = g_sc.t;
    IrVal a = g_sc.form == FORM_IR ? ir_const(b, t, g_sc.a) : ir_get(b, reg_of(t, 0));
    IrVal c = g_sc.form == FORM_RI ? ir_const(b, t, g_sc.b) : ir_get(b, reg_of(t, 1));
    IrVal r = ir_setcond(b, t, g_sc.c, a, c);
    if (g_sc.branch) ir_goto_cond(b, r, 0x3000);
    ir_set(b, reg_of(t, 3), r);
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void test_setcond(void **state)
{
    (void)state;
    static const uint64_t pairs[][2] = {
        {ALL64, 1}, {1, ALL64}, {5, 5}, {6, 9}, {MIN64, MAX64}, {0x80000000, 0x7fffffff}, {0, 0},
    };
    g_build = build_setcond;
    for (int c = 0; c < IR_COND_COUNT; c++)
        for (int ti = 0; ti < 2; ti++)
            for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++)
                for (int form = 0; form < 3; form++)
                    for (int br = 0; br < 2; br++) {
                        IrType t = ti ? I64 : I32;
                        reset(NULL);
                        g_sc.c = (IrCond)c;
                        g_sc.t = t;
                        g_sc.a = pairs[p][0];
                        g_sc.b = pairs[p][1];
                        g_sc.form = form;
                        g_sc.branch = br;
                        tc.x[0] = pairs[p][0];
                        tc.x[1] = pairs[p][1];
                        tc.w[0] = (uint32_t)pairs[p][0];
                        tc.w[1] = (uint32_t)pairs[p][1];
                        tc.x[3] = tc.w[3] = 77;
                        assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
                        bool want = ref_cond((IrCond)c, t, pairs[p][0], pairs[p][1]);
                        uint64_t got = t == I32 ? tc.w[3] : tc.x[3];
                        if (br && want) {
                            /* Took the side exit: the dst store after it never ran. */
                            if (tc.x[5] != 1 || got != 77)
                                fail_msg("%s.%s pair %zu form %d: branch not taken",
                                         ir_cond_name((IrCond)c), ir_type_name(t), p, form);
                        } else if (got != want || tc.x[5] != 0) {
                            fail_msg("%s.%s pair %zu form %d br %d: got %llu want %d",
                                     ir_cond_name((IrCond)c), ir_type_name(t), p, form, br,
                                     (unsigned long long)got, want);
                        }
                    }
}

/* select on both a 64-bit slot and a V128 pair. */
static void build_select(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    IrVal c = ir_get(b, R_W0);
    ir_set(b, R_X0 + 3, ir_select(b, c, ir_get(b, R_X0 + 1), ir_get(b, R_X0 + 2)));
    ir_set(b, R_V0 + 2, ir_select(b, c, ir_get(b, R_V0), ir_get(b, R_V0 + 1)));
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void test_select(void **state)
{
    (void)state;
    for (int c = 0; c < 2; c++) {
        reset(NULL);
        g_build = build_select;
        tc.w[0] = c ? 0x80000000 : 0;
        tc.x[1] = 11;
        tc.x[2] = 22;
        tc.v[0][0] = 1, tc.v[0][1] = 2, tc.v[1][0] = 3, tc.v[1][1] = 4;
        assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
        assert_int_equal(tc.x[3], c ? 11 : 22);
        assert_int_equal(tc.v[2][0], c ? 1 : 3);
        assert_int_equal(tc.v[2][1], c ? 2 : 4);
    }
}

/* -- Memory ---------------------------------------------------------------------------- */

static struct { IrType t; unsigned mo; uint64_t addr, val; bool store; bool addr_const; } g_mem;

/* insn 0x1000: x5 = 42.  insn 0x1004: the access.  insn 0x1008: x6 = 1. */
static void build_mem(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    ir_set(b, R_X0 + 5, ir_i64(b, 42));
    ir_insn_start(b, pc + 4, 4);
    IrVal addr = g_mem.addr_const ? ir_i64(b, g_mem.addr) : ir_get(b, R_X0);
    unsigned vreg = g_mem.t == IR_V128 ? R_V0 : reg_of(g_mem.t, 1);
    if (g_mem.store) {
        ir_st(b, addr, ir_get(b, vreg), g_mem.mo);
    } else {
        IrVal v = ir_ld(b, g_mem.t, addr, g_mem.mo);
        ir_set(b, g_mem.t == IR_V128 ? R_V0 + 1 : reg_of(g_mem.t, 2), v);
    }
    ir_insn_start(b, pc + 8, 4);
    ir_set(b, R_X0 + 6, ir_i64(b, 1));
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static int run_mem(IrType t, unsigned mo, uint64_t addr, uint64_t val, bool store)
{
    g_build = build_mem;
    g_mem.t = t;
    g_mem.mo = mo;
    g_mem.addr = addr;
    g_mem.val = val;
    g_mem.store = store;
    tc.x[0] = addr;
    tc.x[1] = val;
    tc.w[1] = (uint32_t)val;
    tc.x[5] = tc.x[6] = 0;
    interp_engine.invalidate(0, 0);
    return run_at(0x1000);
}

static void test_loads(void **state)
{
    (void)state;
    for (int i = 0; i < 16; i++) gmem[0x100 + i] = (uint8_t)(0x80 + i * 0x11);
    for (int ac = 0; ac < 2; ac++)
        for (unsigned lg = 0; lg < 4; lg++)
            for (int sign = 0; sign < 2; sign++)
                for (int be = 0; be < 2; be++)
                    for (int ti = 0; ti < 2; ti++) {
                        IrType t = ti ? I64 : I32;
                        if (t == I32 && lg == 3) continue;
                        /* The verifier allows SIGN only on narrowing loads. */
                        if (sign && (lg == 3 || (t == I32 && lg == 2))) continue;
                        unsigned mo = lg | (sign ? IR_MO_SIGN : 0) | (be ? IR_MO_BE : 0);
                        uint64_t addr = 0x101 + lg; /* misaligned on purpose */
                        /* Reference: assemble the bytes in the access's order. */
                        unsigned n = 1u << lg;
                        uint64_t want = 0;
                        for (unsigned k = 0; k < n; k++) {
                            uint8_t byte = gmem[addr + k];
                            if (be) want = want << 8 | byte;
                            else want |= (uint64_t)byte << (8 * k);
                        }
                        if (sign && n < 8 && (want >> (8 * n - 1) & 1)) want |= ALL64 << (8 * n);
                        if (t == I32) want = (uint32_t)want;
                        g_mem.addr_const = ac;
                        assert_int_equal(run_mem(t, mo, addr, 0, false), EXCP_BREAKPOINT);
                        uint64_t got = t == I32 ? tc.w[2] : tc.x[2];
                        if (got != want)
                            fail_msg("ld mo 0x%x %s: 0x%llx want 0x%llx", mo, ir_type_name(t),
                                     (unsigned long long)got, (unsigned long long)want);
                    }
    g_mem.addr_const = false;
}

static void test_stores(void **state)
{
    (void)state;
    for (unsigned lg = 0; lg < 4; lg++)
        for (int be = 0; be < 2; be++) {
            memset(gmem + 0x200, 0xee, 16);
            unsigned mo = lg | (be ? IR_MO_BE : 0);
            assert_int_equal(run_mem(I64, mo, 0x203, 0x0102030405060708ull, true), EXCP_BREAKPOINT);
            unsigned n = 1u << lg;
            for (unsigned k = 0; k < n; k++) {
                unsigned byte_index = be ? n - 1 - k : k; /* which value byte sits at +k */
                assert_int_equal(gmem[0x203 + k], (0x0102030405060708ull >> (8 * byte_index)) & 0xff);
            }
            assert_int_equal(gmem[0x202], 0xee);
            assert_int_equal(gmem[0x203 + n], 0xee);
        }
    /* An I32 value stored with 4 bytes. */
    assert_int_equal(run_mem(I32, 2, 0x300, 0xdeadbeef, true), EXCP_BREAKPOINT);
    assert_int_equal(gmem[0x300], 0xef);
    assert_int_equal(gmem[0x303], 0xde);
}

static void test_v128_mem(void **state)
{
    (void)state;
    for (int i = 0; i < 16; i++) gmem[0x400 + i] = (uint8_t)i;
    assert_int_equal(run_mem(IR_V128, 4, 0x400, 0, false), EXCP_BREAKPOINT);
    assert_int_equal(tc.v[1][0], 0x0706050403020100ull);
    assert_int_equal(tc.v[1][1], 0x0f0e0d0c0b0a0908ull);
    assert_int_equal(run_mem(IR_V128, 4 | IR_MO_BE, 0x400, 0, false), EXCP_BREAKPOINT);
    assert_int_equal(tc.v[1][0], 0x08090a0b0c0d0e0full);
    assert_int_equal(tc.v[1][1], 0x0001020304050607ull);
    tc.v[0][0] = 0x1111111111111111ull;
    tc.v[0][1] = 0x2222222222222222ull;
    assert_int_equal(run_mem(IR_V128, 4 | IR_MO_BE, 0x500, 0, true), EXCP_BREAKPOINT);
    assert_int_equal(gmem[0x500], 0x22);
    assert_int_equal(gmem[0x50f], 0x11);
    assert_int_equal(run_mem(IR_V128, 4 | IR_MO_ALIGN, 0x508, 0, false), EXCP_BUS);
}

static void expect_fault(int excp, uint64_t addr, MemAccess acc)
{
    assert_int_equal(tc.cs.exception, excp);
    assert_int_equal(tc.cs.pc, 0x1004);       /* the faulting instruction */
    assert_int_equal(tc.cs.fault_addr, addr);
    assert_int_equal(tc.cs.fault_access, acc);
    assert_int_equal(tc.x[5], 42);            /* the instruction before completed */
    assert_int_equal(tc.x[6], 0);             /* the one after did not run */
    assert_int_equal(tc.cs.in_guest, 0);
}

static void test_mem_faults(void **state)
{
    (void)state;
    /* The last bytes of the space are fine, one byte further is not. */
    assert_int_equal(run_mem(I64, 3, GMEM_SIZE - 8, 0, false), EXCP_BREAKPOINT);
    assert_int_equal(run_mem(I64, 3, GMEM_SIZE - 7, 0, false), EXCP_SEGV);
    expect_fault(EXCP_SEGV, GMEM_SIZE - 7, MEM_READ);
    assert_int_equal(tc.cs.fault_code, FAULT_MAPERR);
    assert_int_equal(run_mem(I64, 0, GMEM_SIZE - 1, 0, false), EXCP_BREAKPOINT);
    assert_int_equal(run_mem(I64, 0, GMEM_SIZE, 0, true), EXCP_SEGV);
    expect_fault(EXCP_SEGV, GMEM_SIZE, MEM_WRITE);
    /* Addresses that would wrap around the host pointer. */
    assert_int_equal(run_mem(I64, 3, ALL64 - 3, 0, false), EXCP_SEGV);
    expect_fault(EXCP_SEGV, ALL64 - 3, MEM_READ);
    assert_int_equal(run_mem(I64, 0, 0x8000000000000000ull, 0, true), EXCP_SEGV);
    assert_int_equal(run_mem(IR_V128, 4, GMEM_SIZE - 15, 0, false), EXCP_SEGV);
    /* ALIGN: misaligned faults with EXCP_BUS, aligned is fine, bytes never fault. */
    assert_int_equal(run_mem(I64, 2 | IR_MO_ALIGN, 0x102, 0, false), EXCP_BUS);
    expect_fault(EXCP_BUS, 0x102, MEM_READ);
    assert_int_equal(run_mem(I64, 1 | IR_MO_ALIGN, 0x103, 0, true), EXCP_BUS);
    expect_fault(EXCP_BUS, 0x103, MEM_WRITE);
    assert_int_equal(run_mem(I64, 3 | IR_MO_ALIGN | IR_MO_BE, 0x108, 0, false), EXCP_BREAKPOINT);
    assert_int_equal(run_mem(I64, 0 | IR_MO_ALIGN, 0x101, 0, false), EXCP_BREAKPOINT);
    /* A tiny address space: nothing of 2+ bytes fits past its end. */
    tc.cs.guest_limit = 1;
    assert_int_equal(run_mem(I64, 1, 0, 0, false), EXCP_SEGV);
    assert_int_equal(run_mem(I64, 0, 0, 0, false), EXCP_BREAKPOINT);
    tc.cs.guest_limit = GMEM_SIZE;
}

/* -- Atomics ------------------------------------------------------------------------------ */

static struct { IrOp op; IrType t; unsigned mo, aux; } g_at;

/* x2 = op(addr x0, x1 / w1, x3 / w3) */
static void build_atomic(IrBlock *b, uint64_t pc)
{
    IrType t = g_at.t;
    ir_insn_start(b, pc, 4);
    ir_set(b, R_X0 + 5, ir_i64(b, 42));
    ir_insn_start(b, pc + 4, 4);
    IrVal addr = ir_get(b, R_X0), v = ir_get(b, reg_of(t, 1)), w = ir_get(b, reg_of(t, 3)), r;
    switch (g_at.op) {
    case IR_OP_lr: r = ir_lr(b, t, addr, g_at.mo); break;
    case IR_OP_sc: r = ir_sc(b, t, addr, v, g_at.mo); break;
    case IR_OP_cas: r = ir_cas(b, t, addr, v, w, g_at.mo); break;
    default: r = ir_rmw(b, t, (IrRmwOp)g_at.aux, addr, v, g_at.mo); break;
    }
    ir_set(b, reg_of(t, 2), r);
    ir_insn_start(b, pc + 8, 4);
    ir_set(b, R_X0 + 6, ir_i64(b, 1));
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static uint64_t run_atomic(IrOp op, IrType t, unsigned mo, unsigned aux, uint64_t addr,
                           uint64_t v, uint64_t w, int want_excp)
{
    g_build = build_atomic;
    g_at.op = op;
    g_at.t = t;
    g_at.mo = mo;
    g_at.aux = aux;
    tc.x[0] = addr;
    tc.x[1] = v;
    tc.x[3] = w;
    tc.w[1] = (uint32_t)v;
    tc.w[3] = (uint32_t)w;
    tc.x[5] = tc.x[6] = 0;
    interp_engine.invalidate(0, 0);
    assert_int_equal(run_at(0x1000), want_excp);
    return t == I32 ? tc.w[2] : tc.x[2];
}

static void test_atomics(void **state)
{
    (void)state;
    uint64_t *m64 = (uint64_t *)(gmem + 0x800);
    uint32_t *m32 = (uint32_t *)(gmem + 0x810);
    static const struct { unsigned op; uint64_t mem, v, want_mem; } k64[] = {
        {IR_RMW_XCHG, 5, 7, 7},   {IR_RMW_ADD, ALL64, 2, 1},    {IR_RMW_AND, 0xff, 0x0f, 0x0f},
        {IR_RMW_OR, 0xf0, 0x0f, 0xff}, {IR_RMW_XOR, 0xff, 0x0f, 0xf0}, {IR_RMW_ANDN, 0xff, 0x0f, 0xf0},
        {IR_RMW_SMIN, ALL64, 1, ALL64}, {IR_RMW_SMAX, ALL64, 1, 1}, {IR_RMW_UMIN, ALL64, 1, 1},
        {IR_RMW_UMAX, ALL64, 1, ALL64},
    };
    for (size_t i = 0; i < sizeof(k64) / sizeof(k64[0]); i++) {
        *m64 = k64[i].mem;
        uint64_t old = run_atomic(IR_OP_rmw, I64, 3, k64[i].op, 0x800, k64[i].v, 0, EXCP_BREAKPOINT);
        assert_int_equal(old, k64[i].mem);
        assert_int_equal(*m64, k64[i].want_mem);
    }
    /* 32-bit signed min/max compare at 32 bits, and a sign-extended old value. */
    *m32 = 0x80000000;
    assert_int_equal(run_atomic(IR_OP_rmw, I32, 2, IR_RMW_SMIN, 0x810, 1, 0, EXCP_BREAKPOINT),
                     0x80000000);
    assert_int_equal(*m32, 0x80000000);
    assert_int_equal(run_atomic(IR_OP_rmw, I32, 2, IR_RMW_UMIN, 0x810, 1, 0, EXCP_BREAKPOINT), 0x80000000);
    assert_int_equal(*m32, 1);
    *m32 = 0xfffffffe;
    assert_int_equal(run_atomic(IR_OP_rmw, I64, 2 | IR_MO_SIGN, IR_RMW_ADD, 0x810, 3, 0, EXCP_BREAKPOINT),
                     0xfffffffffffffffeull);
    assert_int_equal(*m32, 1);
    /* Big-endian add: the carry runs in the value's order, not the host's. */
    gmem[0x820] = 0x00, gmem[0x821] = 0xff;
    assert_int_equal(run_atomic(IR_OP_rmw, I64, 1 | IR_MO_BE, IR_RMW_ADD, 0x820, 1, 0, EXCP_BREAKPOINT), 0xff);
    assert_int_equal(gmem[0x820], 0x01);
    assert_int_equal(gmem[0x821], 0x00);
    /* Byte rmw: the neighbours stay. */
    memset(gmem + 0x830, 0x11, 4);
    assert_int_equal(run_atomic(IR_OP_rmw, I64, 0, IR_RMW_ADD, 0x831, 0x1ff, 0, EXCP_BREAKPOINT), 0x11);
    assert_int_equal(gmem[0x831], 0x10);
    assert_int_equal(gmem[0x830], 0x11);
    assert_int_equal(gmem[0x832], 0x11);

    /* cas: success and failure both return the old value. */
    *m64 = 10;
    assert_int_equal(run_atomic(IR_OP_cas, I64, 3, 0, 0x800, 10, 20, EXCP_BREAKPOINT), 10);
    assert_int_equal(*m64, 20);
    assert_int_equal(run_atomic(IR_OP_cas, I64, 3, 0, 0x800, 10, 30, EXCP_BREAKPOINT), 20);
    assert_int_equal(*m64, 20);
    *m32 = 0xffffffff;
    assert_int_equal(run_atomic(IR_OP_cas, I32, 2, 0, 0x810, 0xffffffff, 5, EXCP_BREAKPOINT), 0xffffffff);
    assert_int_equal(*m32, 5);

    /* lr/sc: success, then failure without a reservation, and on another address. */
    *m64 = 100;
    assert_int_equal(run_atomic(IR_OP_lr, I64, 3, 0, 0x800, 0, 0, EXCP_BREAKPOINT), 100);
    assert_true(tc.cs.res_valid);
    assert_int_equal(tc.cs.res_addr, 0x800);
    assert_int_equal(run_atomic(IR_OP_sc, I64, 3, 0, 0x800, 101, 0, EXCP_BREAKPOINT), 0);
    assert_int_equal(*m64, 101);
    assert_false(tc.cs.res_valid);
    assert_int_equal(run_atomic(IR_OP_sc, I64, 3, 0, 0x800, 102, 0, EXCP_BREAKPOINT), 1);
    assert_int_equal(*m64, 101);
    run_atomic(IR_OP_lr, I64, 3, 0, 0x800, 0, 0, EXCP_BREAKPOINT);
    assert_int_equal(run_atomic(IR_OP_sc, I64, 3, 0, 0x808, 103, 0, EXCP_BREAKPOINT), 1);
    assert_false(tc.cs.res_valid);
    /* The value changed under the reservation: sc fails. */
    run_atomic(IR_OP_lr, I64, 3, 0, 0x800, 0, 0, EXCP_BREAKPOINT);
    *m64 = 7;
    assert_int_equal(run_atomic(IR_OP_sc, I64, 3, 0, 0x800, 104, 0, EXCP_BREAKPOINT), 1);
    assert_int_equal(*m64, 7);
    /* lr.w sign-extends into I64. */
    *m32 = 0x80000000;
    assert_int_equal(run_atomic(IR_OP_lr, I64, 2 | IR_MO_SIGN, 0, 0x810, 0, 0, EXCP_BREAKPOINT),
                     0xffffffff80000000ull);
    assert_int_equal(run_atomic(IR_OP_sc, I64, 2, 0, 0x810, 9, 0, EXCP_BREAKPOINT), 0);
    assert_int_equal(*m32, 9);

    /* Atomics must be aligned (EXCP_BUS) and in range (EXCP_SEGV), precisely. */
    run_atomic(IR_OP_rmw, I64, 3, IR_RMW_ADD, 0x804, 1, 0, EXCP_BUS);
    expect_fault(EXCP_BUS, 0x804, MEM_WRITE);
    run_atomic(IR_OP_lr, I64, 2, 0, 0x802, 0, 0, EXCP_BUS);
    expect_fault(EXCP_BUS, 0x802, MEM_READ);
    run_atomic(IR_OP_cas, I64, 3, 0, GMEM_SIZE, 0, 0, EXCP_SEGV);
    expect_fault(EXCP_SEGV, GMEM_SIZE, MEM_WRITE);
}

/* -- Exits, chaining, exit requests --------------------------------------------------- */

static uint64_t g_loop_n;

/* 0x1000: x0 += 1; x1 += x0; if (x0 <u N) goto 0x1000; goto 0x2000.
 * 0x2000: raise BREAKPOINT. */
static void build_loop(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    if (pc == 0x2000) {
        ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
        return;
    }
    IrVal x0 = ir_op2(b, IR_OP_add, I64, ir_get(b, R_X0), ir_i64(b, 1));
    ir_set(b, R_X0, x0);
    ir_set(b, R_X0 + 1, ir_op2(b, IR_OP_add, I64, ir_get(b, R_X0 + 1), x0));
    ir_goto_cond(b, ir_setcond(b, I64, IR_COND_LTU, x0, ir_i64(b, g_loop_n)), 0x1000);
    ir_goto(b, 0x2000, 0);
}

static void test_loop_chaining(void **state)
{
    (void)state;
    g_build = build_loop;
    g_loop_n = 1000;
    uint64_t t0 = interp_cache.ntranslated;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(tc.x[0], 1000);
    assert_int_equal(tc.x[1], 1000 * 1001 / 2);
    assert_int_equal(tc.cs.pc, 0x2000);
    /* Each block translated once, however many times it ran. */
    assert_int_equal(interp_cache.ntranslated - t0, 2);
    /* And cached across exec() calls. */
    tc.x[0] = 0;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(interp_cache.ntranslated - t0, 2);
}

/* -d exec: one line per executed block, chained entries included. */
static void test_log_exec(void **state)
{
    (void)state;
    g_build = build_loop;
    g_loop_n = 3;
    FILE *saved = log_file, *f = tmpfile();
    assert_non_null(f);
    log_file = f;
    log_mask |= LOGD_EXEC;
    int r = run_at(0x1000);
    log_mask &= ~LOGD_EXEC;
    log_file = saved;
    assert_int_equal(r, EXCP_BREAKPOINT);
    rewind(f);
    char line[256];
    int n1000 = 0, n2000 = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, "0x0000000000001000")) n1000++;
        if (strstr(line, "0x0000000000002000")) n2000++;
    }
    fclose(f);
    assert_int_equal(n1000, 3);
    assert_int_equal(n2000, 1);
}

/* -d cpu: before each executed block (chained ones included), a header and
 * the registers as that block finds them. The fake guest's dump: pc and x0. */
static void t_dump_regs(CpuState *cpu, FILE *f)
{
    fprintf(f, "pc %" PRIx64 " x0 %" PRIu64 "\n", cpu->pc, ((TCpu *)cpu)->x[0]);
}

static void test_log_cpu(void **state)
{
    (void)state;
    GuestArch arch = test_arch;
    arch.dump_regs = t_dump_regs;
    g_build = build_loop;
    g_loop_n = 3;
    FILE *saved = log_file, *f = tmpfile();
    assert_non_null(f);
    log_file = f;
    log_mask |= LOGD_CPU;
    tc.cs.arch = &arch;
    int r = run_at(0x1000);
    tc.cs.arch = &test_arch;
    log_mask &= ~LOGD_CPU;
    log_file = saved;
    assert_int_equal(r, EXCP_BREAKPOINT);
    char buf[1024] = {0};
    rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    assert_string_equal(buf, "cpu 0 pc 0x0000000000001000:\npc 1000 x0 0\n"
                             "cpu 0 pc 0x0000000000001000:\npc 1000 x0 1\n"
                             "cpu 0 pc 0x0000000000001000:\npc 1000 x0 2\n"
                             "cpu 0 pc 0x0000000000002000:\npc 2000 x0 3\n");
}

/* Helpers. */
static int g_calls;
static uint64_t h_count(CpuState *cpu)
{
    if (++g_calls == 5) cpu->exit_request = 1;
    return 0;
}
static const IrHelper H_COUNT_ = {"count", (void *)h_count, 0, IR_VOID, 0};

static void build_spin(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    ir_call(b, &H_COUNT_, IR_NONE, IR_NONE, IR_NONE, IR_NONE);
    ir_goto(b, pc, 0); /* an endless self-loop, chained to itself */
}

static void test_exit_request(void **state)
{
    (void)state;
    g_build = build_spin;
    g_calls = 0;
    assert_int_equal(run_at(0x1000), EXCP_INTERRUPT);
    /* Checked at the chained entry right after the 5th call. */
    assert_int_equal(g_calls, 5);
    assert_int_equal(tc.cs.pc, 0x1000);
    assert_int_equal(tc.cs.exit_request, 0);
    /* Set before exec: no guest code runs at all. */
    tc.cs.exit_request = 1;
    assert_int_equal(run_at(0x1000), EXCP_INTERRUPT);
    assert_int_equal(g_calls, 5);
    assert_int_equal(tc.cs.exit_request, 0);
}

/* goto_ind through a jump table in x[]: 0x1000 -> x2 -> 0x1000 ... counted in x0. */
static void build_ind(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    if (pc == 0x9000) {
        ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
        return;
    }
    IrVal x0 = ir_op2(b, IR_OP_add, I64, ir_get(b, R_X0), ir_i64(b, 1));
    ir_set(b, R_X0, x0);
    if (pc == 0x1000) {
        IrVal done = ir_setcond(b, I64, IR_COND_GEU, x0, ir_i64(b, 100));
        ir_goto_ind(b, ir_select(b, done, ir_i64(b, 0x9000), ir_get(b, R_X0 + 2)), IR_EXIT_RET);
    } else {
        ir_goto_ind(b, ir_i64(b, 0x1000), IR_EXIT_CALL);
    }
}

static void test_goto_ind(void **state)
{
    (void)state;
    g_build = build_ind;
    tc.x[2] = 0x5000;
    uint64_t t0 = interp_cache.ntranslated;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(tc.x[0], 101); /* 0x1000 sees odd counts: exits at 101 */
    assert_int_equal(tc.cs.pc, 0x9000);
    assert_int_equal(interp_cache.ntranslated - t0, 3);
}

/* NOCHAIN exits recompute tb_flags: block 0x1000 switches mode, and 0x2000 is
 * then translated (and keyed) under the new flags. */
static void build_mode(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    if (pc == 0x1000) {
        ir_set(b, R_MODE, ir_op2(b, IR_OP_add, I64, ir_get(b, R_MODE), ir_i64(b, 1)));
        ir_goto(b, 0x2000, IR_EXIT_NOCHAIN);
    } else {
        ir_set(b, R_X0 + 7, ir_i64(b, b->flags));
        ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
    }
}

static void test_nochain_flags(void **state)
{
    (void)state;
    g_build = build_mode;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(tc.x[7], 1);
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT); /* mode 1 -> 2 */
    assert_int_equal(tc.x[7], 2);
    tc.mode = 0;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT); /* the cached mode-1 block */
    assert_int_equal(tc.x[7], 1);
}

static uint64_t h_args(CpuState *cpu, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    TCpu *t = (TCpu *)cpu;
    t->x[10] = a + b * 10 + c * 100 + d * 1000;
    return 0xdead000000000001ull + a;
}
static uint64_t h_raise(CpuState *cpu, uint64_t a)
{
    cpu_raise(cpu, EXCP_FPE, a);
}
static uint64_t h_zero(CpuState *cpu)
{
    ((TCpu *)cpu)->x[11] = 99;
    return 0;
}
static const IrHelper H_ARGS4 = {"args4", (void *)h_args, 4, IR_I64, IR_HELPER_WRITES_REGS};
static uint64_t h_ret32(CpuState *cpu, uint64_t a)
{
    (void)cpu;
    return 0xdead000000000001ull + a;
}
static const IrHelper H_RET32 = {"ret32", (void *)h_ret32, 1, IR_I32, IR_HELPER_PURE};
static const IrHelper H_RAISE = {"raise", (void *)h_raise, 1, IR_VOID, IR_HELPER_MAY_RAISE};
static const IrHelper H_ZERO = {"zero", (void *)h_zero, 0, IR_VOID, IR_HELPER_WRITES_REGS};

static void build_calls(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    ir_call(b, &H_ZERO, IR_NONE, IR_NONE, IR_NONE, IR_NONE);
    IrVal r = ir_call(b, &H_ARGS4, ir_i64(b, 1), ir_get(b, R_X0 + 1), ir_i64(b, 3), ir_i64(b, 4));
    ir_set(b, R_X0 + 2, r);
    ir_set(b, R_W0 + 2, ir_call(b, &H_RET32, ir_i64(b, 2), IR_NONE, IR_NONE, IR_NONE));
    ir_insn_start(b, pc + 4, 4);
    ir_call(b, &H_RAISE, ir_get(b, R_X0 + 1), IR_NONE, IR_NONE, IR_NONE);
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void test_calls_and_raise(void **state)
{
    (void)state;
    g_build = build_calls;
    tc.x[1] = 2;
    assert_int_equal(run_at(0x1000), EXCP_FPE);
    assert_int_equal(tc.cs.pc, 0x1004);
    assert_int_equal(tc.cs.fault_addr, 2);
    assert_int_equal(tc.x[11], 99);
    assert_int_equal(tc.x[2], 0xdead000000000002ull);
    assert_int_equal(tc.w[2], 3); /* I32 result: the high half dropped */
    assert_int_equal(tc.x[10], 4321);
}

static void build_raise(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    ir_set(b, R_X0 + 5, ir_i64(b, 42));
    ir_insn_start(b, pc + 4, 4);
    ir_raise(b, EXCP_ILLEGAL, ir_get(b, R_X0 + 1));
}

static void test_raise(void **state)
{
    (void)state;
    g_build = build_raise;
    tc.x[1] = 0xc0ffee;
    assert_int_equal(run_at(0x1000), EXCP_ILLEGAL);
    assert_int_equal(tc.cs.pc, 0x1004);
    assert_int_equal(tc.cs.fault_addr, 0xc0ffee);
    assert_int_equal(tc.x[5], 42);
    assert_int_equal(tc.cs.in_guest, 0);
}

/* fence.i drops translations, even of the block executing it: "code" here is a
 * version number the translator bakes into 0x2000 as a constant. */
static uint64_t g_version;
static uint64_t h_bump(CpuState *cpu) { (void)cpu; return ++g_version; }
static const IrHelper H_BUMP = {"bump", (void *)h_bump, 0, IR_I64, 0};

static void build_smc(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    if (pc == 0x1000) {
        ir_call(b, &H_BUMP, IR_NONE, IR_NONE, IR_NONE, IR_NONE);
        if (tc.x[9]) ir_fence(b, IR_FENCE_INSN);
        else ir_fence(b, IR_FENCE_ALL);
        ir_goto(b, 0x2000, 0);
    } else {
        ir_set(b, R_X0 + 1, ir_i64(b, g_version));
        ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
    }
}

static void test_fence_insn(void **state)
{
    (void)state;
    g_build = build_smc;
    g_version = 0;
    tc.x[9] = 0; /* plain fence: translations stay */
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(tc.x[1], 1);
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(tc.x[1], 1); /* stale 0x2000 still used */
    tc.x[9] = 1;
    interp_engine.invalidate(0, 0);
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(tc.x[1], 3);
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(tc.x[1], 4);
}

static void build_two(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    ir_set(b, R_X0 + 1, ir_op2(b, IR_OP_add, I64, ir_get(b, R_X0 + 1), ir_i64(b, 1)));
    if (pc == 0x1000) ir_goto(b, 0x5000, 0);
    else ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void test_invalidate_range(void **state)
{
    (void)state;
    g_build = build_two;
    uint64_t t0 = interp_cache.ntranslated;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(interp_cache.ntranslated - t0, 2);
    interp_engine.invalidate(0x5003, 1); /* overlaps 0x5000+4 only */
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(interp_cache.ntranslated - t0, 3);
    interp_engine.invalidate(0x1004, 0x1000); /* touches neither */
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(interp_cache.ntranslated - t0, 3);
    assert_int_equal(tc.x[1], 6);
    /* Retired blocks are freed once no vCPU is inside exec(). */
    assert_null(interp_cache.retired);
}

/* -- Floating point (values from fp.c) ---------------------------------------------- */

static uint64_t d2u(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static void build_fp(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    IrVal a = ir_get(b, R_F0), c = ir_get(b, R_F0 + 1);
    ir_set(b, R_X0 + 2, ir_bitcast(b, I64, ir_fop2(b, IR_OP_fadd, IR_F64, a, c, IR_RM_RNE)));
    ir_set(b, R_X0 + 3, ir_fcvt_f2i(b, I64, IR_F64, ir_fop2(b, IR_OP_fmul, IR_F64, a, c, IR_RM_DYN),
                                    IR_RM_RTZ, IR_CVT_SIGNED));
    ir_set(b, R_X0 + 4, ir_fcmp(b, I64, IR_F64, IR_FCMP_LT, false, a, c));
    /* F32 through bitcasts of I32 registers: 1/0 = +inf with DZ. */
    IrVal one = ir_bitcast(b, IR_F32, ir_get(b, R_W0)), zero = ir_bitcast(b, IR_F32, ir_get(b, R_W0 + 1));
    ir_set(b, R_W0 + 2, ir_bitcast(b, I32, ir_fop2(b, IR_OP_fdiv, IR_F32, one, zero, IR_RM_RNE)));
    ir_set(b, R_X0 + 5, ir_fclass(b, I64, IR_F64, ir_fsqrt(b, IR_F64, ir_bitcast(b, IR_F64, ir_i64(b, d2u(-1.0))), IR_RM_RNE)));
    ir_set(b, R_X0 + 6, ir_bitcast(b, I64, ir_fma(b, IR_F64, a, c, a, 0, IR_RM_RNE)));
    ir_set(b, R_X0 + 7, ir_bitcast(b, I64, ir_fcvt_i2f(b, IR_F64, ir_get(b, R_W0 + 3), IR_RM_RNE, IR_CVT_SIGNED)));
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void test_fp(void **state)
{
    (void)state;
    g_build = build_fp;
    tc.f[0] = d2u(1.5);
    tc.f[1] = d2u(-2.25);
    tc.w[0] = f2u(1.0f);
    tc.w[1] = f2u(0.0f);
    tc.w[3] = (uint32_t)-7;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(tc.x[2], d2u(-0.75));
    assert_int_equal(tc.x[3], (uint64_t)-3); /* -3.375 toward zero */
    assert_int_equal(tc.x[4], 0);
    assert_int_equal(tc.w[2], 0x7f800000);
    assert_int_equal(tc.x[5], IR_FCLASS_QNAN);
    assert_int_equal(tc.x[6], d2u(1.5 * -2.25 + 1.5));
    assert_int_equal(tc.x[7], d2u(-7.0));
    assert_true(tc.cs.fp.flags & FP_FLAG_DZ);
    assert_true(tc.cs.fp.flags & FP_FLAG_NV);
    assert_true(tc.cs.fp.flags & FP_FLAG_NX);
}

/* -- Vectors -------------------------------------------------------------------------- */

static struct { IrOp op; unsigned lg, aux; } g_v;

/* v2 = op(v0, v1 [, v2 as the vperm control]). */
static void build_vec(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    IrVal a = ir_get(b, R_V0), c = ir_get(b, R_V0 + 1), d = ir_get(b, R_V0 + 2), r;
    unsigned nargs = ir_op_info[g_v.op].nargs;
    r = ir_opx(b, g_v.op, IR_V128, IR_V128, a, nargs > 1 ? c : IR_NONE, nargs > 2 ? d : IR_NONE,
               g_v.lg, g_v.aux);
    ir_set(b, R_V0 + 2, r);
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void check_vec(IrOp op, unsigned lg, unsigned aux, uint64_t a0, uint64_t a1, uint64_t b0,
                      uint64_t b1, uint64_t w0, uint64_t w1)
{
    reset(NULL);
    g_build = build_vec;
    g_v.op = op;
    g_v.lg = lg;
    g_v.aux = aux;
    tc.v[0][0] = a0, tc.v[0][1] = a1, tc.v[1][0] = b0, tc.v[1][1] = b1;
    tc.v[2][0] = 0x0011223344556677ull, tc.v[2][1] = 0x20ff1f1e1d1c1b1aull;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    if (tc.v[2][0] != w0 || tc.v[2][1] != w1)
        fail_msg("%s/%u: %016llx:%016llx want %016llx:%016llx", ir_op_info[op].name, lg,
                 (unsigned long long)tc.v[2][1], (unsigned long long)tc.v[2][0],
                 (unsigned long long)w1, (unsigned long long)w0);
}

static void test_vector_ops(void **state)
{
    (void)state;
    check_vec(IR_OP_vadd, 1, 0, 0xffff00010002ffffull, 0, 0x0001000100010001ull, 0,
              0x0000000200030000ull, 0);
    check_vec(IR_OP_vadd, 3, 0, ALL64, 1, 1, 1, 0, 2);
    check_vec(IR_OP_vsub, 0, 0, 0, 0, 0x0101010101010101ull, 0, ALL64, 0);
    check_vec(IR_OP_vmul, 1, 0, 0x00000000ffff0100ull, 0, 0x0000000000020100ull, 0,
              0x00000000fffe0000ull, 0);
    check_vec(IR_OP_vqaddu, 0, 0, 0xff80ull, 0, 0x0180ull, 0, 0xffffull, 0);
    check_vec(IR_OP_vqadds, 1, 0, 0x80007fff0001ull, 0, 0xffff00010001ull, 0, 0x80007fff0002ull, 0);
    check_vec(IR_OP_vqsubu, 2, 0, 5, 0, 6, 0, 0, 0);
    check_vec(IR_OP_vqsubs, 3, 0, MIN64, 0, 1, 0, MIN64, 0);
    check_vec(IR_OP_vshli, 2, 31, 0x0000000300000001ull, 0, 0, 0, 0x8000000080000000ull, 0);
    check_vec(IR_OP_vshli, 2, 32, ALL64, ALL64, 0, 0, 0, 0);
    check_vec(IR_OP_vshri, 0, 8, ALL64, ALL64, 0, 0, 0, 0);
    check_vec(IR_OP_vsari, 1, 16, 0x00008000ull, 0x7fff0000ull, 0, 0, 0x0000ffffull, 0);
    check_vec(IR_OP_vsari, 3, 1, MIN64, 4, 0, 0, 0xc000000000000000ull, 2);
    check_vec(IR_OP_vcmpeq, 2, 0, 1, 5, 1, 6, ALL64, 0xffffffff00000000ull);
    check_vec(IR_OP_vcmpgt, 0, 0, 0x7f80ull, 0, 0x8001ull, 0, 0xff00ull, 0);
    check_vec(IR_OP_vcmpgtu, 0, 0, 0x7f80ull, 0, 0x8001ull, 0, 0x00ffull, 0);
    check_vec(IR_OP_vmins, 1, 0, 0x8000ull, 0, 0x0001ull, 0, 0x8000ull, 0);
    check_vec(IR_OP_vminu, 1, 0, 0x8000ull, 0, 0x0001ull, 0, 0x0001ull, 0);
    check_vec(IR_OP_vmaxs, 2, 0, 0xffffffffull, 0, 0, 0, 0, 0);
    check_vec(IR_OP_vmaxu, 2, 0, 0xffffffffull, 0, 0, 0, 0xffffffffull, 0);
    check_vec(IR_OP_vabs, 0, 0, 0x80ff01ull, 0, 0, 0, 0x800101ull, 0);
    check_vec(IR_OP_vneg, 2, 0, 1, 0, 0, 0, 0xffffffffull, 0);
    check_vec(IR_OP_vand, 0, 0, 0xff0f, 3, 0x0ff0, 1, 0x0f00, 1);
    check_vec(IR_OP_vor, 0, 0, 0xf000, 2, 0x000f, 1, 0xf00f, 3);
    check_vec(IR_OP_vxor, 0, 0, ALL64, 0, 1, 1, ALL64 - 1, 1);
    check_vec(IR_OP_vandn, 0, 0, 0xff, 0xff, 0x0f, 0, 0xf0, 0xff);
    check_vec(IR_OP_vnot, 0, 0, 0, ALL64, 0, 0, ALL64, 0);
    /* vperm: control v2 = bytes 77 66 55 44 33 22 11 00 | 1a 1b 1c 1d 1e 1f ff 20:
     * indexes >= 32 give 0, 16..31 pick from b. */
    check_vec(IR_OP_vperm, 0, 0, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull,
              0x1716151413121110ull, 0x1f1e1d1c1b1a1918ull, 0x0011000000000000ull,
              0x00001f1e1d1c1b1aull);
}

static struct { unsigned lg, lane; } g_vl;

/* v2 = vinsert(vdup(x1), lane, x2); x3 = vextract(v0, lane). */
static void build_lanes(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    IrVal dup = ir_opx(b, IR_OP_vdup, IR_V128, IR_V128, ir_get(b, R_X0 + 1), IR_NONE, IR_NONE,
                       g_vl.lg, 0);
    IrVal ins = ir_opx(b, IR_OP_vinsert, IR_V128, IR_V128, dup, ir_get(b, R_X0 + 2), IR_NONE,
                       g_vl.lg, g_vl.lane);
    ir_set(b, R_V0 + 2, ins);
    ir_set(b, R_X0 + 3, ir_opx(b, IR_OP_vextract, IR_V128, IR_I64, ir_get(b, R_V0), IR_NONE,
                               IR_NONE, g_vl.lg, g_vl.lane));
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void test_vector_lanes(void **state)
{
    (void)state;
    reset(NULL);
    g_build = build_lanes;
    g_vl.lg = 1;
    g_vl.lane = 5;
    tc.x[1] = 0x12345678abcdull;
    tc.x[2] = 0x77771111;
    tc.v[0][0] = 0x0123456789abcdefull;
    tc.v[0][1] = 0xfedcba9876543210ull;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(tc.v[2][0], 0xabcdabcdabcdabcdull);
    assert_int_equal(tc.v[2][1], 0xabcdabcd1111abcdull);
    assert_int_equal(tc.x[3], 0x7654);
    reset(NULL);
    g_vl.lg = 3;
    g_vl.lane = 1;
    tc.x[1] = 5;
    tc.x[2] = 6;
    tc.v[0][1] = ALL64;
    assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
    assert_int_equal(tc.v[2][0], 5);
    assert_int_equal(tc.v[2][1], 6);
    assert_int_equal(tc.x[3], ALL64);
}

static uint64_t f32x2(float lo, float hi) { return (uint64_t)f2u(hi) << 32 | f2u(lo); }

static void test_vector_fp(void **state)
{
    (void)state;
    check_vec(IR_OP_vfadd, 2, IR_RM_RNE, f32x2(1, 2), f32x2(3, 4), f32x2(0.5f, 0.25f),
              f32x2(1.5f, -4), f32x2(1.5f, 2.25f), f32x2(4.5f, 0));
    check_vec(IR_OP_vfdiv, 3, IR_RM_RNE, d2u(1.0), d2u(-3.0), d2u(4.0), d2u(0.0), d2u(0.25),
              d2u(-__builtin_inf()));
    assert_true(tc.cs.fp.flags & FP_FLAG_DZ);
}

/* -- Benchmark -------------------------------------------------------------------------------
 * A hot loop shaped like translated integer code: per guest "instruction" an
 * insn_start and one or two ops, registers forwarded within the block, a
 * compare-and-branch back edge chained to itself. */

#define BENCH_GUEST_INSNS 10

static void build_bench(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    if (pc == 0x2000) {
        ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
        return;
    }
    uint64_t ipc = pc;
#define INSN() ir_insn_start(b, ipc += 4, 4)
    IrVal i = ir_op2(b, IR_OP_add, I64, ir_get(b, R_X0), ir_i64(b, 1));
    ir_set(b, R_X0, i);
    INSN();
    IrVal s = ir_op2(b, IR_OP_add, I64, ir_get(b, R_X0 + 1), i);
    ir_set(b, R_X0 + 1, s);
    INSN();
    IrVal t = ir_op2(b, IR_OP_shl, I64, s, ir_i64(b, 3));
    ir_set(b, R_X0 + 2, t);
    INSN();
    IrVal u = ir_op2(b, IR_OP_xor, I64, ir_get(b, R_X0 + 3), t);
    ir_set(b, R_X0 + 3, u);
    INSN();
    IrVal w = ir_op2(b, IR_OP_shr, I64, u, ir_i64(b, 7));
    ir_set(b, R_X0 + 4, w);
    INSN();
    IrVal y = ir_op2(b, IR_OP_sub, I64, ir_get(b, R_X0 + 5), w);
    ir_set(b, R_X0 + 5, y);
    INSN();
    IrVal z = ir_op2(b, IR_OP_and, I64, y, ir_i64(b, 0xffff));
    ir_set(b, R_X0 + 6, z);
    INSN();
    IrVal q = ir_op2(b, IR_OP_add, I64, ir_get(b, R_X0 + 7), z);
    ir_set(b, R_X0 + 7, q);
    INSN();
    IrVal m = ir_op2(b, IR_OP_mul, I64, q, ir_i64(b, 3));
    ir_set(b, R_X0 + 8, m);
    INSN();
    ir_goto_cond(b, ir_setcond(b, I64, IR_COND_LTU, i, ir_get(b, R_X0 + 9)), 0x1000);
    ir_goto(b, 0x2000, 0);
#undef INSN
}

static uint64_t native_bench(uint64_t n, uint64_t out[9])
{
    uint64_t x0 = 0, x1 = 0, x2 = 0, x3 = 0, x4 = 0, x5 = 0, x6 = 0, x7 = 0, x8 = 0;
    do {
        x0 += 1;
        x1 += x0;
        x2 = x1 << 3;
        x3 ^= x2;
        x4 = x3 >> 7;
        x5 -= x4;
        x6 = x5 & 0xffff;
        x7 += x6;
        x8 = x7 * 3;
        __asm__ volatile("" : "+r"(x0), "+r"(x1), "+r"(x3), "+r"(x5), "+r"(x7));
    } while (x0 < n);
    uint64_t r[9] = {x0, x1, x2, x3, x4, x5, x6, x7, x8};
    memcpy(out, r, sizeof(r));
    return x8;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_bench(void **state)
{
    (void)state;
    const char *env = getenv("INTERP_BENCH_ITERS");
    uint64_t n = env ? strtoull(env, NULL, 0) : 5000000;
    g_build = build_bench;
    /* Best of several runs of each: the machine may be shared. */
    double t_interp = 1e9, t_native = 1e9;
    uint64_t want[9];
    for (int rep = 0; rep < 5; rep++) {
        memset(tc.x, 0, sizeof(tc.x));
        tc.x[9] = n;
        double t0 = now();
        assert_int_equal(run_at(0x1000), EXCP_BREAKPOINT);
        double t1 = now();
        native_bench(n, want);
        double t2 = now();
        if (t1 - t0 < t_interp) t_interp = t1 - t0;
        if (t2 - t1 < t_native) t_native = t2 - t1;
        for (int i = 0; i < 9; i++) assert_int_equal(tc.x[i], want[i]);
    }

    /* Count what the hot block executes: pre-decoded ops and IR insns. */
    IBlock *blk = ((IVcpu *)tc.cs.engine)->jc[interp_jc_hash(0x1000)];
    assert_non_null(blk);
    double ops = (double)blk->nops * n, irs = (double)blk->nirs * n;
    double guest = (double)BENCH_GUEST_INSNS * n;
    printf("interp bench: %llu iterations, block %u IR insns -> %u ops\n",
           (unsigned long long)n, blk->nirs, blk->nops);
    printf("  interp %.3f s: %.0f M ops/s, %.0f M IR insns/s, %.0f M guest insns/s, %.2f ns/iter\n",
           t_interp, ops / t_interp / 1e6, irs / t_interp / 1e6, guest / t_interp / 1e6,
           t_interp / n * 1e9);
    printf("  native %.3f s: %.2f ns/iter -> interp/native = %.1fx\n", t_native,
           t_native / n * 1e9, t_interp / t_native);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_int_ops, reset),
        cmocka_unit_test_setup(test_conversions, reset),
        cmocka_unit_test_setup(test_setcond, reset),
        cmocka_unit_test_setup(test_select, reset),
        cmocka_unit_test_setup(test_loads, reset),
        cmocka_unit_test_setup(test_stores, reset),
        cmocka_unit_test_setup(test_v128_mem, reset),
        cmocka_unit_test_setup(test_mem_faults, reset),
        cmocka_unit_test_setup(test_atomics, reset),
        cmocka_unit_test_setup(test_loop_chaining, reset),
        cmocka_unit_test_setup(test_log_exec, reset),
        cmocka_unit_test_setup(test_log_cpu, reset),
        cmocka_unit_test_setup(test_exit_request, reset),
        cmocka_unit_test_setup(test_goto_ind, reset),
        cmocka_unit_test_setup(test_nochain_flags, reset),
        cmocka_unit_test_setup(test_calls_and_raise, reset),
        cmocka_unit_test_setup(test_raise, reset),
        cmocka_unit_test_setup(test_fence_insn, reset),
        cmocka_unit_test_setup(test_invalidate_range, reset),
        cmocka_unit_test_setup(test_fp, reset),
        cmocka_unit_test_setup(test_vector_ops, reset),
        cmocka_unit_test_setup(test_vector_lanes, reset),
        cmocka_unit_test_setup(test_vector_fp, reset),
        cmocka_unit_test_setup(test_bench, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
