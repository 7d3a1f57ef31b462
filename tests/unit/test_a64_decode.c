/* SPDX-License-Identifier: MIT */
/* Unit tests of the AArch64 frontend: known words translated from a fake code
 * buffer, unallocated encodings (must raise EXCP_ILLEGAL), flag forwarding
 * into a conditional branch, and, when the cross binutils are installed, one
 * of every encoding class assembled by aarch64-linux-gnu-as (the oracle):
 * each must translate to verified IR without raising EXCP_ILLEGAL. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "frontend/aarch64/a64_cpu.h"
#include "vm/ir.h"

#include "decode_fixture.h"

static A64Cpu cpu;

static int setup(void **state)
{
    (void)state;
    df_setup(&cpu.common, &a64_arch);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    df_teardown();
    return 0;
}

static void test_known_words(void **state)
{
    (void)state;
    static const uint32_t ok[] = {
        0xd503201f, /* nop */
        0xd4000001, /* svc #0 */
        0xd65f03c0, /* ret */
        0xd503233f, /* paciasp (a HINT: NOP without PAuth) */
        0xd503245f, /* bti c */
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        IrBlock *b = tr32(ok[i]);
        if (raised(b, EXCP_ILLEGAL)) fail_msg("0x%08x raised EXCP_ILLEGAL", ok[i]);
    }
    /* svc: EXCP_SYSCALL with pc left at the svc (user mode advances it). */
    IrBlock *b = tr32(0xd4000001);
    assert_int_equal(b->insns[b->ninsns - 1].op, IR_OP_raise);
    assert_int_equal(b->insns[b->ninsns - 1].imm, EXCP_SYSCALL);
}

static void test_unallocated(void **state)
{
    (void)state;
    static const uint32_t bad[] = {
        0x00000000, /* udf #0 */
        0xd5380000, /* mrs x0, midr_el1: EL1 register */
        0xd4400000, /* hlt #0 */
        0xe9400000, /* ldp with opc = 11 */
        0x13800000 | (1u << 22), /* extr w0 with N = 1 */
        0x1ee00000 | 0x4000, /* fp 1-source with ftype 10 */
        0x0e20f800, /* two-reg misc: unallocated opcode 11111 with U = 0, size 0 */
        0x1ac24c20, /* crc32x with sf = 0 (C6.2 CRC32: sz = 11 needs sf = 1) */
        0x9ac24020, /* crc32b with sf = 1 */
        0x1e22c020 | (2u << 22), /* fcvt d0, s1 with ftype 10 */
        0x4e684800, /* aese with size 01 (crypto AES: size must be 00) */
        0x5e007000, /* SHA three-register opcode 111 */
        0x5e283800, /* SHA two-register opcode 00011 */
        0x0e60e000, /* pmull with size 01 (only 00 and 11 exist) */
        0x6ee1c800, /* urecpe v0.2d: URECPE has S lanes only */
        0xd65f0bff, /* retaa: FEAT_PAuth is not implemented */
        0xdac10020, /* pacia x0, x1 */
        0xd50342df, /* msr daifset, #2: UNDEFINED at EL0 (SCTLR_EL1.UMA = 0) */
        0xd50040bf, /* msr spsel, #0 */
        0xd500401f, /* cfinv: FEAT_FlagM is not implemented */
        0xd503413f, /* msr ssbs, #1: FEAT_SSBS is not implemented */
        0x0e20d000, /* sqdmull with size 00 (H and S sources only) */
        0x0ee0d000, /* sqdmull with size 11 */
        0x5ee14800, /* sqxtn (scalar) with size 11 */
        0x5f201400, /* ssra (scalar) with an S-sized immh: scalar SSRA is D only */
        0x5e20b400, /* sqdmulh (scalar) with size 00 */
        0x5f00b000, /* sqdmull (scalar, by element) with size 00 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        IrBlock *b = tr32(bad[i]);
        if (!raised(b, EXCP_ILLEGAL)) {
            ir_print(b, stderr);
            fail_msg("0x%08x did not raise EXCP_ILLEGAL", bad[i]);
        }
    }
}

/* cmp x0, x1 ; b.eq: the branch condition is one setcond on the operands
 * (the NZCV slot values are dead for later passes). */
static void test_flag_forwarding(void **state)
{
    (void)state;
    code_len = 0;
    put32(0xeb01001f); /* subs xzr, x0, x1 (cmp) */
    put32(0x54000080); /* b.eq +16 */
    IrBlock *b = translate_at(CODE_BASE);
    const IrInsn *gc = NULL;
    for (uint32_t i = 0; i < b->ninsns; i++)
        if (b->insns[i].op == IR_OP_goto_cond) gc = &b->insns[i];
    assert_non_null(gc);
    assert_int_equal(gc->imm, CODE_BASE + 4 + 16);
    const IrInsn *def = &b->insns[b->temps[gc->args[0]].def];
    assert_int_equal(def->op, IR_OP_setcond);
    assert_int_equal(def->imm, IR_COND_EQ);
}

/* Dead flag writes: the first cmp's NZCV (lazy form: cc_x, cc_y, cc_lazy)
 * is overwritten before anything can observe it (no fault, call or exit in
 * between), so its sets are gone; a load in between (it may fault: a signal
 * handler sees NZCV) keeps them. A compare computes no flag at all (no
 * ovf_sub) and cc_lazy is set once per block. */
static unsigned count_op(const IrBlock *b, IrOp op, uint64_t imm, bool any_imm)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < b->ninsns; i++)
        if (b->insns[i].op == op && (any_imm || b->insns[i].imm == imm)) n++;
    return n;
}

static void test_dead_flags(void **state)
{
    (void)state;
    code_len = 0;
    put32(0xeb01001f); /* cmp x0, x1 */
    put32(0xeb03005f); /* cmp x2, x3 */
    put32(0x54000080); /* b.eq +16 */
    IrBlock *b = translate_at(CODE_BASE);
    for (unsigned f = A64_SLOT_CCL; f <= A64_SLOT_CCY; f++)
        assert_int_equal(count_op(b, IR_OP_set, f, false), 1);
    assert_int_equal(count_op(b, IR_OP_ovf_sub, 0, true), 0);

    code_len = 0;
    put32(0xeb01001f); /* cmp x0, x1 */
    put32(0xf94000c5); /* ldr x5, [x6] */
    put32(0xeb03005f); /* cmp x2, x3 */
    put32(0x54000080); /* b.eq +16 */
    b = translate_at(CODE_BASE);
    assert_int_equal(count_op(b, IR_OP_set, A64_SLOT_CCL, false), 1);
    for (unsigned f = A64_SLOT_CCX; f <= A64_SLOT_CCY; f++)
        assert_int_equal(count_op(b, IR_OP_set, f, false), 2);
}

/* -- The assembler as the oracle ------------------------------------------------------- */

static const char *const oracle_src =
    "add x0, x1, #1\n adds w0, w1, #4095, lsl #12\n sub sp, sp, #16\n subs x0, x1, x2, lsl #3\n"
    "and x0, x1, #0xff00ff00ff00ff00\n orr w0, w1, #0x80000001\n eor x0, x1, x2, ror #7\n"
    "bics w0, w1, w2\n movz x0, #1, lsl #48\n movn w0, #5\n movk x0, #0xffff, lsl #16\n"
    "sbfx x0, x1, #3, #9\n ubfiz w0, w1, #5, #7\n bfi x0, x1, #60, #4\n extr x0, x1, x2, #17\n"
    "adr x0, .\n adrp x0, .\n add x0, sp, w1, uxtw #2\n subs x0, x1, w2, sxtb\n"
    "adc x0, x1, x2\n sbcs w0, w1, w2\n ccmp x0, #3, #4, ne\n ccmn w0, w1, #15, lt\n"
    "csel x0, x1, x2, hi\n csinc w0, w1, w2, eq\n csinv x0, x1, x2, ge\n csneg x0, x1, x2, mi\n"
    "madd x0, x1, x2, x3\n msub w0, w1, w2, w3\n smaddl x0, w1, w2, x3\n umsubl x0, w1, w2, x3\n"
    "smulh x0, x1, x2\n umulh x0, x1, x2\n udiv w0, w1, w2\n sdiv x0, x1, x2\n lslv x0, x1, x2\n"
    "rorv w0, w1, w2\n rbit x0, x1\n rev16 w0, w1\n rev32 x0, x1\n rev x0, x1\n rev w0, w1\n"
    "clz x0, x1\n cls w0, w1\n"
    "b .\n bl .\n cbz x0, .\n cbnz w0, .\n tbz x0, #63, .\n tbnz w0, #3, .\n b.ne .\n"
    "br x1\n blr x2\n ret\n svc #0\n brk #1\n nop\n yield\n clrex\n dsb sy\n dmb ishld\n isb\n"
    "mrs x0, tpidr_el0\n msr tpidr_el0, x0\n mrs x0, fpcr\n msr fpsr, x1\n mrs x0, nzcv\n"
    "msr nzcv, x0\n mrs x0, cntvct_el0\n mrs x0, cntfrq_el0\n mrs x0, dczid_el0\n mrs x0, ctr_el0\n"
    "dc zva, x0\n dc cvau, x0\n ic ivau, x0\n"
    "ldr x0, [x1, #8]\n ldrb w0, [x1, #4095]\n ldrsh x0, [x1]\n ldrsw x0, [x1, #4]\n"
    "str w0, [sp, #-4]!\n ldr x0, [x1], #8\n ldur x0, [x1, #-3]\n sturh w0, [x1, #1]\n ldtr x0, [x1]\n"
    "ldr x0, [x1, x2, lsl #3]\n strb w0, [x1, w2, sxtw]\n ldrsb w0, [x1, x2]\n prfm pldl1keep, [x0]\n"
    "ldr x0, .\n ldrsw x0, .\n ldr q0, .\n ldr d0, [x1, #8]\n str q1, [sp, #32]\n ldr s0, [x1, w2, uxtw #2]\n"
    "stp x29, x30, [sp, #-16]!\n ldp x29, x30, [sp], #16\n ldpsw x0, x1, [x2]\n stnp q0, q1, [x0]\n"
    "ldp d0, d1, [x0, #16]\n"
    "ldxr x0, [x1]\n ldaxrb w0, [x1]\n stxr w2, x0, [x1]\n stlxrh w2, w0, [x1]\n"
    "ldxp x0, x1, [x2]\n stlxp w3, w0, w1, [x2]\n ldar x0, [x1]\n stlr w0, [x1]\n"
    "cas x0, x1, [x2]\n casalb w0, w1, [x2]\n casp x0, x1, x2, x3, [x4]\n caspal w0, w1, w2, w3, [x4]\n"
    "ldadd x0, x1, [x2]\n ldclral w0, w1, [x2]\n ldeorb w0, w1, [x2]\n ldset x0, x1, [x2]\n"
    "ldsmax w0, w1, [x2]\n ldumin x0, x1, [x2]\n swpal x0, x1, [x2]\n stadd w0, [x1]\n ldapr x0, [x1]\n"
    "ld1 {v0.16b}, [x0]\n ld1 {v0.2d, v1.2d}, [x0], #32\n st1 {v0.4s-v3.4s}, [x0]\n"
    "ld2 {v0.8h, v1.8h}, [x0]\n st4 {v0.16b-v3.16b}, [x0], x2\n ld3 {v0.4s-v2.4s}, [x1]\n"
    "ld1 {v0.s}[3], [x0]\n st1 {v0.b}[15], [x0], #1\n ld1r {v0.16b}, [x0]\n ld2 {v0.d, v1.d}[1], [x0]\n"
    "fmov d0, d1\n fabs s0, s1\n fneg d0, d1\n fsqrt s0, s1\n fcvt d0, s1\n fcvt s0, d1\n"
    "frintn d0, d1\n frintp s0, s1\n frintm d0, d1\n frintz s0, s1\n frinta d0, d1\n frintx s0, s1\n"
    "frinti d0, d1\n fcmp d0, d1\n fcmpe s0, #0.0\n fmov d0, #1.5\n fccmp s0, s1, #2, eq\n"
    "fmul d0, d1, d2\n fdiv s0, s1, s2\n fadd d0, d1, d2\n fsub s0, s1, s2\n fmax d0, d1, d2\n"
    "fmin s0, s1, s2\n fmaxnm d0, d1, d2\n fminnm s0, s1, s2\n fnmul d0, d1, d2\n fcsel d0, d1, d2, lt\n"
    "fmadd d0, d1, d2, d3\n fmsub s0, s1, s2, s3\n fnmadd d0, d1, d2, d3\n fnmsub s0, s1, s2, s3\n"
    "scvtf d0, x1, #3\n ucvtf s0, w1, #31\n fcvtzs x0, d1, #10\n fcvtzu w0, s1, #1\n"
    "fcvtns x0, d1\n fcvtps w0, s1\n fcvtms x0, s1\n fcvtzs w0, d1\n fcvtnu x0, d1\n fcvtzu w0, s1\n"
    "scvtf d0, x1\n ucvtf s0, w1\n fcvtas x0, d1\n fcvtau w0, s1\n fmov x0, d1\n fmov s0, w1\n"
    "fmov x0, v1.d[1]\n fmov v0.d[1], x1\n"
    "shadd v0.8b, v1.8b, v2.8b\n sqadd v0.2d, v1.2d, v2.2d\n and v0.16b, v1.16b, v2.16b\n"
    "bic v0.8b, v1.8b, v2.8b\n orr v0.16b, v1.16b, v2.16b\n orn v0.16b, v1.16b, v2.16b\n"
    "eor v0.16b, v1.16b, v2.16b\n bsl v0.16b, v1.16b, v2.16b\n bit v0.8b, v1.8b, v2.8b\n"
    "bif v0.16b, v1.16b, v2.16b\n cmgt v0.4s, v1.4s, v2.4s\n cmge v0.8h, v1.8h, v2.8h\n"
    "cmhi v0.2d, v1.2d, v2.2d\n cmhs v0.16b, v1.16b, v2.16b\n cmeq v0.16b, v1.16b, v2.16b\n"
    "cmtst v0.4s, v1.4s, v2.4s\n sshl v0.2d, v1.2d, v2.2d\n ushl v0.4s, v1.4s, v2.4s\n"
    "sqshl v0.8h, v1.8h, v2.8h\n urshl v0.16b, v1.16b, v2.16b\n smax v0.4s, v1.4s, v2.4s\n"
    "umin v0.8b, v1.8b, v2.8b\n sabd v0.8h, v1.8h, v2.8h\n uaba v0.4s, v1.4s, v2.4s\n"
    "add v0.2d, v1.2d, v2.2d\n sub v0.16b, v1.16b, v2.16b\n mla v0.4s, v1.4s, v2.4s\n"
    "mul v0.8h, v1.8h, v2.8h\n pmul v0.16b, v1.16b, v2.16b\n umaxp v0.16b, v1.16b, v2.16b\n"
    "uminp v0.4s, v1.4s, v2.4s\n addp v0.2d, v1.2d, v2.2d\n sqdmulh v0.4s, v1.4s, v2.4s\n"
    "fadd v0.4s, v1.4s, v2.4s\n fmul v0.2d, v1.2d, v2.2d\n fmla v0.4s, v1.4s, v2.4s\n"
    "fcmge v0.2d, v1.2d, v2.2d\n facgt v0.4s, v1.4s, v2.4s\n faddp v0.4s, v1.4s, v2.4s\n"
    "fdiv v0.2d, v1.2d, v2.2d\n fmaxnm v0.4s, v1.4s, v2.4s\n fabd v0.2d, v1.2d, v2.2d\n"
    "saddl v0.8h, v1.8b, v2.8b\n uaddw2 v0.4s, v1.4s, v2.8h\n addhn v0.8b, v1.8h, v2.8h\n"
    "umull2 v0.2d, v1.4s, v2.4s\n smlal v0.4s, v1.4h, v2.4h\n pmull v0.8h, v1.8b, v2.8b\n"
    "rev64 v0.16b, v1.16b\n rev32 v0.8h, v1.8h\n rev16 v0.16b, v1.16b\n uaddlp v0.8h, v1.16b\n"
    "cnt v0.16b, v1.16b\n not v0.16b, v1.16b\n rbit v0.8b, v1.8b\n clz v0.4s, v1.4s\n"
    "cmeq v0.16b, v1.16b, #0\n cmlt v0.4s, v1.4s, #0\n abs v0.2d, v1.2d\n neg v0.8h, v1.8h\n"
    "xtn v0.8b, v1.8h\n xtn2 v0.16b, v1.8h\n sqxtn v0.4h, v1.4s\n uqxtn v0.2s, v1.2d\n"
    "fcvtn v0.2s, v1.2d\n fcvtl v0.2d, v1.2s\n fabs v0.4s, v1.4s\n fsqrt v0.2d, v1.2d\n"
    "frintm v0.4s, v1.4s\n fcvtzs v0.4s, v1.4s\n scvtf v0.2d, v1.2d\n fcmgt v0.4s, v1.4s, #0.0\n"
    "addv b0, v1.16b\n uaddlv h0, v1.16b\n umaxv b0, v1.16b\n uminv h0, v1.8h\n smaxv s0, v1.4s\n"
    "fmaxnmv s0, v1.4s\n fminv s0, v1.4s\n"
    "dup v0.16b, v1.b[3]\n dup v0.4s, w1\n dup v0.2d, x1\n umov w0, v1.b[7]\n mov x0, v1.d[1]\n"
    "smov x0, v1.h[2]\n ins v0.s[1], w1\n ins v0.b[2], v1.b[15]\n mov b0, v1.b[1]\n"
    "movi v0.16b, #0xff\n movi v0.2d, #0xff00ff00ff00ff00\n movi v0.4s, #1, lsl #8\n"
    "mvni v0.8h, #2\n orr v0.4s, #3, lsl #16\n bic v0.8h, #4\n movi d0, #0\n fmov v0.4s, #2.0\n"
    "fmov v0.2d, #-1.0\n movi v0.4s, #0x4d, msl #16\n"
    "sshr v0.4s, v1.4s, #3\n ushr v0.2d, v1.2d, #64\n ssra v0.16b, v1.16b, #1\n urshr v0.8h, v1.8h, #2\n"
    "sri v0.4s, v1.4s, #5\n shl v0.2d, v1.2d, #63\n sli v0.8b, v1.8b, #7\n sqshl v0.4s, v1.4s, #2\n"
    "uqshl v0.8h, v1.8h, #1\n sqshlu v0.2d, v1.2d, #4\n shrn v0.8b, v1.8h, #4\n rshrn2 v0.16b, v1.8h, #1\n"
    "sqshrn v0.4h, v1.4s, #3\n uqrshrn v0.2s, v1.2d, #7\n sqshrun v0.8b, v1.8h, #2\n"
    "sshll v0.8h, v1.8b, #0\n ushll2 v0.2d, v1.4s, #3\n scvtf v0.4s, v1.4s, #16\n fcvtzu v0.2d, v1.2d, #1\n"
    "mul v0.4s, v1.4s, v2.s[3]\n mla v0.8h, v1.8h, v2.h[7]\n smull v0.4s, v1.4h, v2.h[1]\n"
    "umlal2 v0.2d, v1.4s, v2.s[2]\n fmla v0.4s, v1.4s, v2.s[1]\n fmul v0.2d, v1.2d, v2.d[1]\n"
    "fmul s0, s1, v2.s[3]\n fmla d0, d1, v2.d[1]\n"
    "uzp1 v0.16b, v1.16b, v2.16b\n uzp2 v0.4s, v1.4s, v2.4s\n trn1 v0.8h, v1.8h, v2.8h\n"
    "zip1 v0.2d, v1.2d, v2.2d\n zip2 v0.8b, v1.8b, v2.8b\n ext v0.16b, v1.16b, v2.16b, #3\n"
    "ext v0.8b, v1.8b, v2.8b, #7\n tbl v0.16b, {v1.16b}, v2.16b\n tbl v0.8b, {v1.16b-v4.16b}, v5.8b\n"
    "tbx v0.16b, {v1.16b, v2.16b}, v3.16b\n"
    "addp d0, v1.2d\n faddp s0, v1.2s\n fmaxnmp d0, v1.2d\n add d0, d1, d2\n sub d0, d1, d2\n"
    "cmeq d0, d1, d2\n cmgt d0, d1, #0\n ushl d0, d1, d2\n fabd s0, s1, s2\n fcmeq d0, d1, d2\n"
    "abs d0, d1\n neg d0, d1\n scvtf s0, s1\n fcvtzs d0, d1\n ushr d0, d1, #3\n shl d0, d1, #2\n"
    "scvtf s0, s1, #4\n fcvtzu d0, d1, #2\n"
    /* CRC32, crypto, PMULL 64, estimates, half conversions, BC.cond. */
    "crc32b w0, w1, w2\n crc32h w0, w1, w2\n crc32w w0, w1, w2\n crc32x w0, w1, x2\n"
    "crc32cb w0, w1, w2\n crc32ch w0, w1, w2\n crc32cw w0, w1, w2\n crc32cx w0, w1, x2\n"
    "aese v0.16b, v1.16b\n aesd v0.16b, v1.16b\n aesmc v0.16b, v1.16b\n aesimc v0.16b, v1.16b\n"
    "sha1c q0, s1, v2.4s\n sha1p q0, s1, v2.4s\n sha1m q0, s1, v2.4s\n sha1su0 v0.4s, v1.4s, v2.4s\n"
    "sha1h s0, s1\n sha1su1 v0.4s, v1.4s\n sha256h q0, q1, v2.4s\n sha256h2 q0, q1, v2.4s\n"
    "sha256su0 v0.4s, v1.4s\n sha256su1 v0.4s, v1.4s, v2.4s\n"
    "pmull v0.1q, v1.1d, v2.1d\n pmull2 v0.1q, v1.2d, v2.2d\n"
    "frecpe v0.4s, v1.4s\n frecpe v0.2d, v1.2d\n frsqrte v0.2s, v1.2s\n frecpe s0, s1\n"
    "frsqrte d0, d1\n frecpx s0, s1\n frecpx d0, d1\n urecpe v0.4s, v1.4s\n ursqrte v0.2s, v1.2s\n"
    "fcvt h0, s1\n fcvt h0, d1\n fcvt s0, h1\n fcvt d0, h1\n fcvtn v0.4h, v1.4s\n fcvtn2 v0.8h, v1.4s\n"
    "fcvtl v0.4s, v1.4h\n fcvtl2 v0.4s, v1.8h\n .inst 0x54000070\n"
    /* Saturating, doubling, narrowing (tests/guest/a64_sat.c runs them). */
    "sqdmull v0.4s, v1.4h, v2.4h\n sqdmull2 v0.2d, v1.4s, v2.4s\n sqdmlal v0.4s, v1.4h, v2.4h\n"
    "sqdmlsl2 v0.2d, v1.4s, v2.4s\n sqdmull v0.4s, v1.4h, v2.h[7]\n sqdmlal2 v0.2d, v1.4s, v2.s[3]\n"
    "sqdmlsl v0.4s, v1.4h, v15.h[1]\n sqdmull s0, h1, h2\n sqdmlal d0, s1, s2\n sqdmlsl s0, h1, h2\n"
    "sqdmull d0, s1, v2.s[1]\n sqdmlal s0, h1, v2.h[0]\n sqdmlsl d0, s1, v31.s[3]\n"
    "sqdmulh h0, h1, h2\n sqrdmulh s0, s1, s2\n sqdmulh s0, s1, v2.s[2]\n sqrdmulh h0, h1, v3.h[7]\n"
    "sqadd b0, b1, b2\n uqadd h0, h1, h2\n sqsub s0, s1, s2\n uqsub d0, d1, d2\n"
    "suqadd v0.16b, v1.16b\n usqadd v0.2d, v1.2d\n suqadd s0, s1\n usqadd b0, b1\n"
    "sqabs h0, h1\n sqneg d0, d1\n sqxtn b0, h1\n uqxtn h0, s1\n sqxtun s0, d1\n"
    "sqshl b0, b1, b2\n uqshl d0, d1, d2\n sqrshl h0, h1, h2\n uqrshl s0, s1, s2\n"
    "srshl d0, d1, d2\n urshl d0, d1, d2\n cmge d0, d1, d2\n cmhs d0, d1, d2\n"
    "sqshl b0, b1, #7\n uqshl h0, h1, #1\n sqshlu s0, s1, #31\n sqshl d0, d1, #0\n"
    "sqshrn b0, h1, #8\n uqshrn h0, s1, #1\n sqrshrn s0, d1, #32\n uqrshrn b0, h1, #3\n"
    "sqshrun h0, s1, #16\n sqrshrun s0, d1, #1\n ssra d0, d1, #1\n usra d0, d1, #64\n"
    "srshr d0, d1, #3\n urshr d0, d1, #3\n srsra d0, d1, #3\n ursra d0, d1, #3\n"
    "sri d0, d1, #64\n sli d0, d1, #0\n";

static void test_objdump_oracle(void **state)
{
    (void)state;
    if (!df_have_tools((const char *const[]){"aarch64-linux-gnu-as", "aarch64-linux-gnu-objcopy", NULL}))
        skip();
    FILE *p = df_oracle_open(oracle_src,
                             "aarch64-linux-gnu-as -march=armv8.2-a+lse+rcpc+crypto+crc -o t.o t.s && "
                             "aarch64-linux-gnu-objcopy -O binary -j .text t.o t.bin && cat t.bin");
    uint32_t words[1024];
    size_t n = fread(words, 4, 1024, p);
    df_oracle_close(p);
    assert_true(n > 300);
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        IrBlock *b = tr32(words[i]);
        if (raised(b, EXCP_ILLEGAL)) {
            fprintf(stderr, "word %zu: 0x%08x raised EXCP_ILLEGAL\n", i, words[i]);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_known_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unallocated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_forwarding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_objdump_oracle, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
