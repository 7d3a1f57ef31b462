/* SPDX-License-Identifier: MIT */
/* Unit tests of the IR: the builder (incl. get/set forwarding), the verifier
 * (accepts well-formed blocks, rejects each kind of malformed one) and the
 * printer's exact format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vm/ir.h"

/* A small guest: two integer registers, one flag, one FP register. */
enum { S_A0, S_A1, S_ZF, S_F0, S_W0, NSLOTS };
static const IrRegInfo regs[NSLOTS] = {
    [S_A0] = {"a0", 0x100, IR_I64},
    [S_A1] = {"a1", 0x108, IR_I64},
    [S_ZF] = {"zf", 0x110, IR_I64},
    [S_F0] = {"f0", 0x118, IR_F64},
    [S_W0] = {"w0", 0x120, IR_I32},
};

static uint64_t helper_fn(void *cpu, uint64_t a, uint64_t b) { return a + b; }
static const IrHelper helper2 = {"helper_add", (void *)helper_fn, 2, IR_I64, IR_HELPER_PURE};
static const IrHelper helper_wr = {"helper_wr", (void *)helper_fn, 0, IR_VOID,
                                   IR_HELPER_WRITES_REGS};

static int setup(void **state)
{
    IrBlock *b = malloc(sizeof(*b));
    ir_block_init(b, regs, NSLOTS);
    ir_block_reset(b, 0x10078, 0);
    *state = b;
    return 0;
}

static int teardown(void **state)
{
    ir_block_free(*state);
    free(*state);
    return 0;
}

static bool verify(IrBlock *b, char *err)
{
    return ir_verify(b, err, 256);
}

/* Expects the verifier to reject b with a message containing `what`. */
static void expect_reject(IrBlock *b, const char *what)
{
    char err[256];
    if (verify(b, err)) fail_msg("verifier accepted a block it must reject (%s)", what);
    if (!strstr(err, what)) fail_msg("error '%s' does not mention '%s'", err, what);
}

static void expect_accept(IrBlock *b)
{
    char err[256];
    if (!verify(b, err)) {
        ir_print(b, stderr);
        fail_msg("verifier rejected a valid block: %s", err);
    }
}

/* -- Builder ------------------------------------------------------------------ */

static void test_get_forwarding(void **state)
{
    IrBlock *b = *state;
    IrVal a = ir_get(b, S_A0);
    IrVal a2 = ir_get(b, S_A0);
    assert_int_equal(a, a2);
    assert_int_equal(b->ninsns, 1); /* only one get emitted */
    assert_int_equal(ir_type_of(b, a), IR_I64);

    IrVal s = ir_op2(b, IR_OP_add, IR_I64, a, ir_i64(b, 1));
    ir_set(b, S_A1, s);
    assert_int_equal(ir_get(b, S_A1), s); /* set forwards to later gets */
    assert_int_equal(b->ninsns, 3);

    ir_forget_regs(b);
    IrVal a3 = ir_get(b, S_A0);
    assert_int_not_equal(a3, a);
    assert_int_equal(b->insns[b->ninsns - 1].op, IR_OP_get);

    /* A helper that writes registers drops forwarding too. */
    ir_insn_start(b, 0x10078, 4);
    ir_call(b, &helper_wr, IR_NONE, IR_NONE, IR_NONE, IR_NONE);
    uint32_t n = b->ninsns;
    IrVal a4 = ir_get(b, S_A0);
    assert_int_not_equal(a4, a3);
    assert_int_equal(b->ninsns, n + 1);
    ir_goto(b, 0x1007c, 0);
    expect_accept(b);
}

static void test_const_reuse(void **state)
{
    IrBlock *b = *state;
    IrVal c1 = ir_i64(b, 42), c2 = ir_i64(b, 42), c3 = ir_i32(b, 42);
    assert_int_equal(c1, c2);
    assert_int_not_equal(c1, c3); /* same value, other type */
    assert_true(ir_is_const(b, c1));
    assert_int_equal(b->temps[ir_const(b, IR_I32, 0xffffffff80000000ull)].cval[0], 0x80000000u);
}

/* -- Verifier: valid blocks ------------------------------------------------------- */

static void build_valid(IrBlock *b)
{
    ir_insn_start(b, 0x10078, 4);
    IrVal a = ir_get(b, S_A0), c = ir_get(b, S_A1);
    IrVal s = ir_op2(b, IR_OP_add, IR_I64, a, c);
    IrVal z = ir_setcond(b, IR_I64, IR_COND_EQ, s, ir_i64(b, 0));
    ir_set(b, S_ZF, z);
    ir_set(b, S_A0, s);
    IrVal w = ir_op1(b, IR_OP_trunc, IR_I32, s);
    IrVal e = ir_op1(b, IR_OP_exts, IR_I64, w);
    IrVal x = ir_extract(b, IR_I64, e, 4, 8, false);
    ir_set(b, S_W0, ir_op1(b, IR_OP_trunc, IR_I32, x));
    ir_insn_start(b, 0x1007c, 4);
    IrVal v = ir_ld(b, IR_I64, s, 2 | IR_MO_SIGN);
    ir_st(b, s, v, 3);
    IrVal f = ir_ld(b, IR_F64, s, 3);
    IrVal g = ir_fop2(b, IR_OP_fadd, IR_F64, f, ir_get(b, S_F0), IR_RM_DYN);
    IrVal bi = ir_bitcast(b, IR_I64, g);
    IrVal i = ir_fcvt_f2i(b, IR_I32, IR_F64, g, IR_RM_RTZ, IR_CVT_SIGNED);
    IrVal f32 = ir_fcvt_f2f(b, IR_F32, g, IR_RM_DYN);
    (void)f32;
    IrVal cmp = ir_fcmp(b, IR_I64, IR_F64, IR_FCMP_LT, false, g, f);
    IrVal sel = ir_select(b, cmp, bi, ir_op1(b, IR_OP_extu, IR_I64, i));
    IrVal r = ir_call(b, &helper2, sel, ir_i64(b, 3), IR_NONE, IR_NONE);
    IrVal cy = ir_opx(b, IR_OP_carry_adc, IR_I64, IR_I64, a, c, z, 0, 0);
    IrVal old = ir_rmw(b, IR_I64, IR_RMW_ADD, s, cy, 3 | IR_MO_ALIGN | IR_MO_ACQ);
    ir_fence(b, IR_FENCE_ALL);
    ir_set(b, S_A1, ir_op2(b, IR_OP_xor, IR_I64, r, old));
    ir_goto_cond(b, z, 0x10100);
    ir_goto(b, 0x10080, 0);
}

static void test_verify_valid(void **state)
{
    IrBlock *b = *state;
    build_valid(b);
    expect_accept(b);
}

static void test_verify_raise_block(void **state)
{
    IrBlock *b = *state;
    /* Undecodable code at the block start: a raise alone is a valid block. */
    ir_raise(b, 3, ir_i64(b, 0xdeadbeef));
    expect_accept(b);
}

/* -- Verifier: malformed blocks -------------------------------------------------- */

static void test_reject_no_exit(void **state)
{
    IrBlock *b = *state;
    expect_reject(b, "does not end with an exit"); /* empty */
    ir_insn_start(b, 0x10078, 4);
    ir_set(b, S_A0, ir_i64(b, 1));
    expect_reject(b, "does not end with an exit");
}

static void test_reject_insn_after_exit(void **state)
{
    IrBlock *b = *state;
    ir_insn_start(b, 0x10078, 4);
    ir_goto(b, 0x1000, 0);
    ir_set(b, S_A0, ir_i64(b, 1));
    ir_goto(b, 0x2000, 0);
    expect_reject(b, "exit is not the last");
}

static void test_reject_two_exits(void **state)
{
    IrBlock *b = *state;
    ir_goto(b, 0x1000, 0);
    ir_goto(b, 0x2000, 0);
    expect_reject(b, "exit is not the last");
}

static void test_reject_use_before_def(void **state)
{
    IrBlock *b = *state;
    IrVal t = ir_temp(b, IR_I64);
    ir_op2(b, IR_OP_add, IR_I64, t, ir_i64(b, 1));
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "used before it is defined");
}

static void test_reject_double_assign(void **state)
{
    IrBlock *b = *state;
    IrVal a = ir_get(b, S_A0);
    IrVal t = ir_op2(b, IR_OP_add, IR_I64, a, a);
    ir_emit(b, IR_OP_sub, IR_I64, t, a, a, IR_NONE, 0, 0);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "assigned twice");
}

static void test_reject_const_dst(void **state)
{
    IrBlock *b = *state;
    IrVal a = ir_get(b, S_A0);
    ir_emit(b, IR_OP_mov, IR_I64, ir_i64(b, 5), a, IR_NONE, IR_NONE, 0, 0);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "is a constant");
}

static void test_reject_add_types(void **state)
{
    IrBlock *b = *state;
    IrVal a = ir_get(b, S_A0);
    ir_op2(b, IR_OP_add, IR_I64, a, ir_i32(b, 1));
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "arg 1");
}

static void test_reject_add_float(void **state)
{
    IrBlock *b = *state;
    IrVal f = ir_get(b, S_F0);
    ir_op2(b, IR_OP_add, IR_F64, f, f);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "expected i32 or i64");
}

static void test_reject_setcond_dst(void **state)
{
    IrBlock *b = *state;
    IrVal a = ir_get(b, S_A0);
    ir_opx(b, IR_OP_setcond, IR_I64, IR_F64, a, a, IR_NONE, IR_COND_EQ, 0);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "expected an integer");
}

static void test_reject_ld_addr(void **state)
{
    IrBlock *b = *state;
    ir_insn_start(b, 0x10078, 4);
    ir_ld(b, IR_I64, ir_get(b, S_W0), 3);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "expected i64");
}

static void test_reject_memop_size(void **state)
{
    IrBlock *b = *state;
    ir_insn_start(b, 0x10078, 4);
    IrVal a = ir_get(b, S_A0);
    ir_ld(b, IR_I32, a, 3); /* 8 bytes into i32 */
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "exceeds i32");

    ir_block_reset(b, 0, 0);
    ir_insn_start(b, 0x10078, 4);
    ir_ld(b, IR_I64, ir_get(b, S_A0), 5); /* size code 5 = 32 bytes */
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "size code");

    ir_block_reset(b, 0, 0);
    ir_insn_start(b, 0x10078, 4);
    ir_ld(b, IR_F64, ir_get(b, S_A0), 2); /* f64 from 4 bytes */
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "memop size 32 bits for f64");
}

static void test_reject_fault_without_start(void **state)
{
    IrBlock *b = *state;
    ir_ld(b, IR_I64, ir_get(b, S_A0), 3);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "before any insn_start");
}

static void test_reject_bitcast(void **state)
{
    IrBlock *b = *state;
    ir_bitcast(b, IR_F64, ir_get(b, S_W0)); /* i32 -> f64 */
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "widths must match");
}

static void test_reject_fcvt(void **state)
{
    IrBlock *b = *state;
    ir_fcvt_f2f(b, IR_F64, ir_get(b, S_F0), IR_RM_RNE); /* f64 -> f64 */
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "other FP type");

    ir_block_reset(b, 0, 0);
    ir_fcvt_f2i(b, IR_F32, IR_F64, ir_get(b, S_F0), IR_RM_RNE, 0); /* dst must be int */
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "expected an integer");
}

static void test_reject_call_args(void **state)
{
    IrBlock *b = *state;
    ir_insn_start(b, 0x10078, 4);
    ir_call(b, &helper2, ir_get(b, S_A0), IR_NONE, IR_NONE, IR_NONE); /* nargs 2 */
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "takes 2 args");
}

static void test_reject_slot(void **state)
{
    IrBlock *b = *state;
    ir_emit(b, IR_OP_set, IR_I64, IR_NONE, ir_i64(b, 1), IR_NONE, IR_NONE, NSLOTS, 0);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "slot 5 >= nregs");

    ir_block_reset(b, 0, 0);
    ir_emit(b, IR_OP_set, IR_I64, IR_NONE, ir_i64(b, 1), IR_NONE, IR_NONE, S_F0, 0);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "slot f0 is f64");
}

static void test_reject_missing_arg(void **state)
{
    IrBlock *b = *state;
    ir_op2(b, IR_OP_add, IR_I64, ir_get(b, S_A0), IR_NONE);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "arg 1 missing");
}

static void test_reject_bad_op(void **state)
{
    IrBlock *b = *state;
    ir_emit(b, (IrOp)IR_OP_COUNT, IR_VOID, IR_NONE, IR_NONE, IR_NONE, IR_NONE, 0, 0);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "unknown op");
}

static void test_reject_extract_range(void **state)
{
    IrBlock *b = *state;
    ir_extract(b, IR_I32, ir_get(b, S_W0), 30, 4, false);
    ir_goto(b, 0x1000, 0);
    expect_reject(b, "outside i32");
}

/* -- Printer ------------------------------------------------------------------- */

static void test_print(void **state)
{
    IrBlock *b = *state;
    ir_insn_start(b, 0x10078, 4);
    IrVal a = ir_get(b, S_A0);
    IrVal s = ir_op2(b, IR_OP_add, IR_I64, a, ir_i64(b, 0x10));
    ir_set(b, S_A1, s);
    IrVal v = ir_ld(b, IR_I64, s, 2);
    IrVal z = ir_setcond(b, IR_I64, IR_COND_LTU, v, s);
    ir_insn_start(b, 0x1007c, 4);
    ir_goto_cond(b, z, 0x10100);
    ir_st(b, s, ir_op1(b, IR_OP_trunc, IR_I32, v), 2 | IR_MO_BE);
    ir_goto(b, 0x10080, IR_EXIT_NOCHAIN);
    b->guest_insns = 2;
    b->guest_size = 8;

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ir_print(b, f);
    fclose(f);
    const char *want = "block 0x10078 flags 0x0: 2 guest insns, 8 bytes\n"
                       "---- 0x10078\n"
                       "  t1:i64 = get a0\n"
                       "  t3:i64 = add.i64 t1, $0x10\n"
                       "  set a1, t3\n"
                       "  t4:i64 = ld.u32.le t3\n"
                       "  t5:i64 = setcond.i64 ltu t4, t3\n"
                       "---- 0x1007c\n"
                       "  goto_cond t5, 0x10100\n"
                       "  t6:i32 = trunc.i32 t4\n"
                       "  st.u32.be t3, t6\n"
                       "  goto 0x10080 nochain\n";
    assert_string_equal(buf, want);
    free(buf);
    expect_accept(b);
}

static void test_names(void **state)
{
    assert_string_equal(ir_type_name(IR_V128), "v128");
    assert_string_equal(ir_type_name((IrType)99), "?");
    assert_string_equal(ir_cond_name(IR_COND_GEU), "geu");
    assert_string_equal(ir_cond_name(IR_COND_TSTNE), "tstne");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_get_forwarding),       T(test_const_reuse),
        T(test_verify_valid),         T(test_verify_raise_block),
        T(test_reject_no_exit),       T(test_reject_insn_after_exit),
        T(test_reject_two_exits),     T(test_reject_use_before_def),
        T(test_reject_double_assign), T(test_reject_const_dst),
        T(test_reject_add_types),     T(test_reject_add_float),
        T(test_reject_setcond_dst),   T(test_reject_ld_addr),
        T(test_reject_memop_size),    T(test_reject_fault_without_start),
        T(test_reject_bitcast),       T(test_reject_fcvt),
        T(test_reject_call_args),     T(test_reject_slot),
        T(test_reject_missing_arg),   T(test_reject_bad_op),
        T(test_reject_extract_range), T(test_print),
        T(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
