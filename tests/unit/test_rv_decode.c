/* SPDX-License-Identifier: MIT */
/* Unit tests of the RISC-V64 frontend: hand-assembled words translated from a
 * fake code buffer and checked op by op; illegal and reserved encodings; block
 * boundaries and fetch faults; the disassembler against expected text and,
 * when the cross binutils are installed, against objdump on one of every
 * instruction (each must also translate without raising EXCP_ILLEGAL). */
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

#include "frontend/riscv64/rv_cpu.h"
#include "frontend/riscv64/rv_internal.h"
#include "vm/ir.h"

/* -- A fake guest: code at CODE_BASE, nothing else fetchable (decode_fixture.h) ------- */

#include "decode_fixture.h"

static RvCpu cpu;

static int setup(void **state)
{
    (void)state;
    df_setup(&cpu.common, &rv_arch);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    df_teardown();
    return 0;
}

/* -- IR inspection ---------------------------------------------------------------- */

static const IrInsn *last(const IrBlock *b)
{
    return &b->insns[b->ninsns - 1];
}

static uint64_t cval(const IrBlock *b, IrVal v)
{
    assert_true(ir_is_const(b, v));
    return b->temps[v].cval[0];
}

/* The op sequence as "insn_start get add set goto" for compact expectations. */
static const char *ops(const IrBlock *b)
{
    static char s[4096];
    s[0] = 0;
    for (uint32_t i = 0; i < b->ninsns; i++) {
        if (i) strcat(s, " ");
        strcat(s, ir_op_info[b->insns[i].op].name);
    }
    return s;
}

static void expect_ops(const IrBlock *b, const char *want)
{
    if (strcmp(ops(b), want)) {
        ir_print(b, stderr);
        fail_msg("ops '%s', expected '%s'", ops(b), want);
    }
}

static void expect_illegal32(uint32_t w)
{
    IrBlock *b = tr32(w);
    if (!raised(b, EXCP_ILLEGAL)) fail_msg("0x%08x not illegal: %s", w, ops(b));
    assert_int_equal(cval(b, last(b)->args[0]), w);
}

static void expect_illegal16(uint16_t w)
{
    IrBlock *b = tr16(w);
    if (!raised(b, EXCP_ILLEGAL)) fail_msg("0x%04x not illegal: %s", w, ops(b));
    assert_int_equal(cval(b, last(b)->args[0]), w);
}

/* -- Integer ---------------------------------------------------------------------- */

static void test_addi(void **state)
{
    IrBlock *b = tr32(0x00558513); /* addi a0,a1,5 */
    expect_ops(b, "insn_start get add set goto");
    assert_int_equal(b->insns[0].imm, CODE_BASE);
    assert_int_equal(b->insns[0].aux, 4);
    assert_int_equal(b->insns[1].imm, 11);
    assert_int_equal(cval(b, b->insns[2].args[1]), 5);
    assert_int_equal(b->insns[3].imm, 10);
    assert_int_equal(b->insns[4].imm, CODE_BASE + 4);
    assert_int_equal(b->guest_size, 4);
    assert_int_equal(b->guest_insns, 1);

    b = tr32(0xffb00513); /* li a0,-5: a constant, no get */
    expect_ops(b, "insn_start set goto");
    assert_int_equal(cval(b, b->insns[1].args[0]), (uint64_t)-5);

    b = tr32(0x00100013); /* addi zero,zero,1: write to x0 dropped */
    expect_ops(b, "insn_start goto");
}

static void test_forwarding(void **state)
{
    code_len = 0;
    put32(0x00158513); /* addi a0,a1,1 */
    put32(0x00150513); /* addi a0,a0,1 */
    put32(0x00b50533); /* add a0,a0,a1 */
    IrBlock *b = translate_at(CODE_BASE);
    expect_ops(b, "insn_start get add set insn_start add set insn_start add set goto");
    assert_int_equal(b->guest_insns, 3);
    assert_int_equal(b->guest_size, 12);
}

static void test_rr_and_w(void **state)
{
    expect_ops(tr32(0x40b50533), "insn_start get get sub set goto");        /* sub a0,a0,a1 */
    expect_ops(tr32(0x00b5053b), "insn_start get get add sext32 set goto"); /* addw */
    /* divw: 32-bit operands */
    expect_ops(tr32(0x02b5453b), "insn_start get trunc get trunc divs exts set goto");
    IrBlock *b = tr32(0x02b5453b);
    assert_int_equal(b->insns[5].type, IR_I32);
    /* srliw a0,a1,3: one extract; sraiw: one sextract */
    b = tr32(0x0035d51b);
    expect_ops(b, "insn_start get extract set goto");
    assert_int_equal(b->insns[2].imm, 3 | 29 << 8);
    expect_ops(tr32(0x4035d51b), "insn_start get sextract set goto");
    /* slli a0,a1,63 (RV64 6-bit shamt) */
    b = tr32(0x03f59513);
    expect_ops(b, "insn_start get shl set goto");
    assert_int_equal(cval(b, b->insns[2].args[1]), 63);
    /* slt/sltu: setcond */
    b = tr32(0x00b5b533); /* sltu a0,a1,a1 */
    expect_ops(b, "insn_start get setcond set goto");
    assert_int_equal(b->insns[2].imm, IR_COND_LTU);
    /* lui / auipc are constants */
    b = tr32(0x12345537);
    expect_ops(b, "insn_start set goto");
    assert_int_equal(cval(b, b->insns[1].args[0]), 0x12345000);
    b = tr32(0x80000517); /* auipc a0,0x80000: sign-extended */
    assert_int_equal(cval(b, b->insns[1].args[0]), CODE_BASE - 0x80000000ull);
    /* M */
    b = tr32(0x02b51533); /* mulh */
    assert_int_equal(b->insns[3].op, IR_OP_mulhs);
    b = tr32(0x02b52533); /* mulhsu */
    assert_int_equal(b->insns[3].op, IR_OP_mulhsu);
    b = tr32(0x02b57533); /* remu */
    assert_int_equal(b->insns[3].op, IR_OP_remu);
}

/* sext.w (addiw rd,rs,0) of a value that is already its own sign extension
 * from bit 31 adds no op; of anything else it keeps its sext32. */
static void test_sext_w_known(void **state)
{
    code_len = 0;
    put32(0x02fc85bb); /* mulw a1,s9,a5 */
    put32(0x0005879b); /* sext.w a5,a1 */
    expect_ops(translate_at(CODE_BASE), "insn_start get get mul sext32 set insn_start set goto");
    code_len = 0;
    put32(0x0005a503); /* lw a0,0(a1) */
    put32(0x0005051b); /* sext.w a0,a0 */
    expect_ops(translate_at(CODE_BASE), "insn_start get ld set insn_start set goto");
    code_len = 0;
    put32(0x0005e503); /* lwu a0,0(a1): may have bit 31 set, zero-extended */
    put32(0x0005051b); /* sext.w a0,a0 */
    expect_ops(translate_at(CODE_BASE), "insn_start get ld set insn_start sext32 set goto");
    expect_ops(tr32(0x0005851b), "insn_start get sext32 set goto"); /* sext.w a0,a1 */
}

static void test_bitmanip(void **state)
{
    IrBlock *b = tr32(0x20b52533); /* sh1add a0,a0,a1 */
    expect_ops(b, "insn_start get shl get add set goto");
    expect_ops(tr32(0x0805053b), "insn_start get zext32 set goto"); /* zext.w a0,a0 */
    expect_ops(tr32(0x08b5053b), "insn_start get zext32 get add set goto"); /* add.uw a0,a0,a1 */
    expect_ops(tr32(0x60051513), "insn_start get clz set goto");
    expect_ops(tr32(0x6005151b), "insn_start get trunc clz extu set goto"); /* clzw */
    expect_ops(tr32(0x6b855513), "insn_start get bswap set goto");          /* rev8 */
    expect_ops(tr32(0x28755513), "insn_start get call set goto");           /* orc.b */
    b = tr32(0x48b51533); /* bclr a0,a0,a1 */
    expect_ops(b, "insn_start get get shl andn set goto");
    b = tr32(0x48355513); /* bexti a0,a0,3 */
    expect_ops(b, "insn_start get extract set goto");
    assert_int_equal(b->insns[2].imm, 3 | 1 << 8);
    b = tr32(0x0eb55533); /* czero.eqz a0,a0,a1 */
    expect_ops(b, "insn_start get get select set goto");
    assert_int_equal(cval(b, b->insns[3].args[2]), 0);
    b = tr32(0x0eb57533); /* czero.nez */
    assert_int_equal(cval(b, b->insns[3].args[1]), 0);
    expect_ops(tr32(0x6035d51b), "insn_start get trunc rotr exts set goto"); /* roriw */
}

/* -- Control flow ------------------------------------------------------------------ */

static void test_branches(void **state)
{
    IrBlock *b = tr32(0x00b54463); /* blt a0,a1,+8 */
    expect_ops(b, "insn_start get get setcond goto_cond goto");
    assert_int_equal(b->insns[3].imm, IR_COND_LT);
    assert_int_equal(b->insns[4].imm, CODE_BASE + 8);
    assert_int_equal(b->insns[5].imm, CODE_BASE + 4);
    b = tr32(0xfe0508e3); /* beqz a0,-16 */
    assert_int_equal(b->insns[3].imm, CODE_BASE - 16);

    b = tr32(0x008000ef); /* jal ra,+8 */
    expect_ops(b, "insn_start set goto");
    assert_int_equal(cval(b, b->insns[1].args[0]), CODE_BASE + 4);
    assert_int_equal(last(b)->imm, CODE_BASE + 8);
    assert_int_equal(last(b)->aux, IR_EXIT_CALL);

    b = tr32(0x00008067); /* ret */
    expect_ops(b, "insn_start get and goto_ind");
    assert_int_equal(cval(b, b->insns[2].args[1]), ~1ull);
    assert_int_equal(last(b)->aux, IR_EXIT_RET);

    b = tr32(0x010500e7); /* jalr ra,16(a0): target computed before the link */
    expect_ops(b, "insn_start get add and set goto_ind");
    assert_int_equal(last(b)->aux, IR_EXIT_CALL);

    b = tr16(0x8082); /* c.jr ra: link = none */
    expect_ops(b, "insn_start get and goto_ind");
    b = tr16(0x9502); /* c.jalr a0: link = pc + 2 */
    expect_ops(b, "insn_start get and set goto_ind");
    assert_int_equal(cval(b, b->insns[3].args[0]), CODE_BASE + 2);
    b = tr16(0xbffd); /* c.j -2 */
    expect_ops(b, "insn_start goto");
    assert_int_equal(last(b)->imm, CODE_BASE - 2);
    b = tr16(0xc111); /* c.beqz a0,+4 */
    expect_ops(b, "insn_start get setcond goto_cond goto");
    assert_int_equal(b->insns[3].imm, CODE_BASE + 4);
    assert_int_equal(last(b)->imm, CODE_BASE + 2);
}

static void test_system(void **state)
{
    IrBlock *b = tr32(0x00000073);
    expect_ops(b, "insn_start raise");
    assert_true(raised(b, EXCP_SYSCALL));
    assert_true(raised(tr32(0x00100073), EXCP_BREAKPOINT));
    assert_true(raised(tr16(0x9002), EXCP_BREAKPOINT));

    b = tr32(0x0000100f); /* fence.i */
    expect_ops(b, "insn_start fence goto");
    assert_int_equal(b->insns[1].imm, IR_FENCE_INSN);
    assert_int_equal(last(b)->aux, IR_EXIT_NOCHAIN);
    b = tr32(0x0ff0000f); /* fence iorw,iorw */
    assert_int_equal(b->insns[1].imm, IR_FENCE_ALL);
    b = tr32(0x8330000f); /* fence.tso */
    assert_int_equal(b->insns[1].imm, IR_FENCE_ALL & ~IR_FENCE_SL);
    expect_ops(tr32(0x0100000f), "insn_start goto"); /* pause */

    /* CSRs */
    b = tr32(0x00102573); /* frflags a0 */
    expect_ops(b, "insn_start call set goto");
    assert_int_equal(cval(b, b->insns[1].args[0]), 1);
    b = tr32(0x00251073); /* fsrm a0: ends the block, no chaining */
    expect_ops(b, "insn_start get call goto");
    assert_int_equal(last(b)->aux, IR_EXIT_NOCHAIN);
    expect_ops(tr32(0x00151073), "insn_start get call goto"); /* fsflags a0 */
    b = tr32(0x00156573); /* csrrsi a0,fflags,10 */
    expect_ops(b, "insn_start call or call set goto");
    expect_ops(tr32(0xc0102573), "insn_start call set goto");  /* rdtime */
    expect_illegal32(0xc0001073); /* csrw cycle,zero: read-only */
}

static void test_csr_readonly_ok(void **state)
{
    /* csrrsi with uimm = 0 does not write, so a read-only CSR is fine. */
    IrBlock *b = tr32(0xc0006573);
    assert_false(raised(b, EXCP_ILLEGAL));
}

static void test_loads_stores_atomics(void **state)
{
    IrBlock *b = tr32(0xff852503); /* lw a0,-8(a0) */
    expect_ops(b, "insn_start get add ld set goto");
    assert_int_equal(b->insns[3].imm, 2 | IR_MO_SIGN);
    b = tr32(0x0005e503); /* lwu a0,0(a1) */
    expect_ops(b, "insn_start get ld set goto");
    assert_int_equal(b->insns[2].imm, 2);
    b = tr32(0x00a5b423); /* sd a0,8(a1) */
    expect_ops(b, "insn_start get add get st goto");
    assert_int_equal(b->insns[4].imm, 3);

    b = tr32(0x1405a52f); /* lr.w.aq a0,(a1) */
    expect_ops(b, "insn_start get lr exts set goto");
    assert_int_equal(b->insns[2].imm, 2 | IR_MO_ALIGN | IR_MO_ACQ);
    b = tr32(0x1ac5b52f); /* sc.d.rl a0,a2,(a1) */
    expect_ops(b, "insn_start get get sc set goto");
    assert_int_equal(b->insns[3].imm, 3 | IR_MO_ALIGN | IR_MO_REL);
    b = tr32(0x06c5a52f); /* amoadd.w.aqrl a0,a2,(a1) */
    expect_ops(b, "insn_start get get trunc rmw exts set goto");
    assert_int_equal(b->insns[4].aux, IR_RMW_ADD);
    assert_int_equal(b->insns[4].imm, 2 | IR_MO_ALIGN | IR_MO_ACQ | IR_MO_REL);
    b = tr32(0xe0c5b52f); /* amomaxu.d a0,a2,(a1) */
    assert_int_equal(b->insns[3].aux, IR_RMW_UMAX);
}

/* -- Floating point ----------------------------------------------------------------- */

static void test_fp(void **state)
{
    /* fadd.s fa0,fa1,fa2 (dyn, frm = RNE): unbox both, add, box */
    IrBlock *b = tr32(0x00c5f553);
    expect_ops(b, "insn_start get setcond trunc select bitcast get setcond trunc select bitcast "
                  "fadd bitcast extu or set goto");
    assert_int_equal(b->insns[11].imm, IR_RM_RNE);
    assert_int_equal(b->insns[11].type, IR_F32);
    assert_int_equal(cval(b, b->insns[4].args[2]), 0x7fc00000);

    /* fadd.d fa0,fa1,fa2,rtz */
    b = tr32(0x02c59553);
    expect_ops(b, "insn_start get bitcast get bitcast fadd bitcast set goto");
    assert_int_equal(b->insns[5].imm, IR_RM_RTZ);

    /* dynamic rm resolved from frm at translate time */
    cpu.common.fp.rm = IR_RM_RUP;
    b = tr32(0x02c5f553); /* fadd.d dyn */
    assert_int_equal(b->flags & 7, IR_RM_RUP); /* frm in bits 2:0 (the rest: CPU_TB_FLAG_*) */
    assert_int_equal(b->insns[5].imm, IR_RM_RUP);
    cpu.common.fp.rm = 5; /* invalid frm: dyn is illegal, static still fine */
    expect_illegal32(0x02c5f553);
    assert_false(raised(tr32(0x02c59553), EXCP_ILLEGAL));
    cpu.common.fp.rm = IR_RM_RNE;
    expect_illegal32(0x02c5d553); /* rm = 5 reserved */
    expect_illegal32(0x02c5e553); /* rm = 6 reserved */

    /* the unboxed value is reused within the block */
    code_len = 0;
    put32(0x00c5f553); /* fadd.s fa0,fa1,fa2 */
    put32(0x00a5f553); /* fadd.s fa0,fa1,fa0 */
    b = translate_at(CODE_BASE);
    assert_int_equal(strstr(ops(b), "insn_start fadd") != NULL, 1);

    /* fma variants */
    b = tr32(0x68c5f547); /* fmsub.s fa0,fa1,fa2,fa3 */
    assert_int_equal(b->insns[b->ninsns - 6].op, IR_OP_fma);
    assert_int_equal(b->insns[b->ninsns - 6].aux, IR_FMA_NEG_ADD);
    b = tr32(0x6ac5f54f); /* fnmadd.d */
    assert_int_equal(b->insns[b->ninsns - 4].aux, IR_FMA_NEG_ADD | IR_FMA_NEG_PROD);

    /* fcvt.w.s a0,fa0,rtz: saturating, sign-extended */
    b = tr32(0xc0051553);
    expect_ops(b, "insn_start get setcond trunc select bitcast fcvt_f2i exts set goto");
    assert_int_equal(b->insns[6].aux, IR_CVT_SIGNED | IR_CVT_NAN_MAX);
    /* fcvt.wu.d: unsigned, still sign-extended */
    b = tr32(0xc2151553);
    assert_int_equal(b->insns[3].aux, IR_CVT_NAN_MAX);
    assert_int_equal(b->insns[4].op, IR_OP_exts);

    /* integer-only moves and sign injection: no FP ops */
    expect_ops(tr32(0xe0050553), "insn_start get sext32 set goto"); /* fmv.x.w */
    expect_ops(tr32(0xf0050553), "insn_start get or set goto");     /* fmv.w.x */
    expect_ops(tr32(0x22b59553), "insn_start get xor set goto");    /* fneg.d */
    expect_ops(tr32(0x22b5a553), "insn_start get andn set goto");   /* fabs.d */
    expect_ops(tr32(0x0005a507), "insn_start get ld or set goto");  /* flw fa0,0(a1) */
    expect_ops(tr32(0x00a5a027), "insn_start get get st goto");     /* fsw fa0,0(a1) */

    b = tr32(0xa0b51553); /* flt.s a0,fa0,fa1: signaling */
    assert_int_equal(b->insns[11].op, IR_OP_fcmp);
    assert_int_equal(b->insns[11].imm, IR_FCMP_LT);
    assert_int_equal(b->insns[11].aux, 1);
    b = tr32(0xa2b52553); /* feq.d: quiet */
    assert_int_equal(b->insns[5].aux, 0);
    b = tr32(0x2ab51553); /* fmax.d */
    assert_int_equal(b->insns[5].op, IR_OP_fmax);
    assert_int_equal(b->insns[5].aux, IR_FMM_NUM);
}

/* -- Illegal and reserved encodings --------------------------------------------------- */

static void test_illegal(void **state)
{
    expect_illegal32(0xffffffff);
    expect_illegal32(0x0000007b);              /* custom-3 */
    expect_illegal32(0x0000000b);              /* custom-0 */
    expect_illegal32(0x0200151b);              /* slliw with shamt[5] = 1 */
    expect_illegal32(0x0200551b);              /* srliw with shamt[5] = 1 */
    expect_illegal32(0x4200551b);              /* sraiw with shamt[5] = 1 */
    expect_illegal32(0x02b5053b | 0x08000000); /* bad funct7 in OP-32 */
    expect_illegal32(0x00004073);              /* SYSTEM funct3 100 */
    expect_illegal32(0x10c5a52f);              /* lr.w with rs2 != 0 */
    expect_illegal32(0x0005f553 | 0x50000000); /* fsqrt.s with rs2 != 0 */
    expect_illegal32(0x7c002573);              /* csrr a0,0x7c0: unknown CSR */
    expect_illegal32(0x10200073);              /* sret: privileged */
    expect_illegal32(0x10500073);              /* wfi */
    expect_illegal32(0x0000303b);              /* OP-32 funct3 011 */

    expect_illegal16(0x0000); /* the defined illegal instruction */
    expect_illegal16(0x0004); /* c.addi4spn a1,sp,0 */
    expect_illegal16(0x8000); /* quadrant 0 funct3 100 (reserved) */
    expect_illegal16(0x2001); /* c.addiw zero (RV32's c.jal encoding space) */
    expect_illegal16(0x6101); /* c.addi16sp sp,0 */
    expect_illegal16(0x6501); /* c.lui a0,0 */
    expect_illegal16(0x4002); /* c.lwsp zero */
    expect_illegal16(0x6002); /* c.ldsp zero */
    expect_illegal16(0x8002); /* c.jr zero */
    expect_illegal16(0x9c41); /* quadrant 1, 100 1 11 .. 10 .. (reserved) */
    expect_illegal16(0x9c61); /* 100 1 11 .. 11 .. */

    /* RV64 reading of RV32-only encodings */
    IrBlock *b = tr16(0x2085); /* c.addiw ra,1 (c.jal on RV32) */
    expect_ops(b, "insn_start get add sext32 set goto");
    b = tr16(0x6188); /* c.ld a0,0(a1) (c.flw on RV32) */
    assert_int_equal(b->insns[2].imm, 3);
}

static void test_compressed(void **state)
{
    IrBlock *b = tr16(0x0505); /* c.addi a0,1 */
    expect_ops(b, "insn_start get add set goto");
    assert_int_equal(b->insns[0].aux, 2);
    assert_int_equal(last(b)->imm, CODE_BASE + 2);
    b = tr16(0x0808); /* c.addi4spn a0,sp,16 */
    assert_int_equal(b->insns[1].imm, 2);
    assert_int_equal(cval(b, b->insns[2].args[1]), 16);
    b = tr16(0x713d); /* c.addi16sp sp,-32 */
    assert_int_equal(cval(b, b->insns[2].args[1]), (uint64_t)-32);
    b = tr16(0x7521); /* c.lui a0,0xfffe8 -> -0x18000 */
    assert_int_equal(cval(b, b->insns[1].args[0]), (uint64_t)-0x18000);
    b = tr16(0xe406); /* c.sdsp ra,8(sp) */
    expect_ops(b, "insn_start get add get st goto");
    assert_int_equal(cval(b, b->insns[2].args[1]), 8);
    b = tr16(0x852e); /* c.mv a0,a1 */
    expect_ops(b, "insn_start get set goto");
    b = tr16(0x0001); /* c.nop */
    expect_ops(b, "insn_start goto");
    b = tr16(0x8d0d); /* c.sub a0,a1 */
    expect_ops(b, "insn_start get get sub set goto");
    assert_int_equal(b->insns[1].imm, 10);
    assert_int_equal(b->insns[2].imm, 11);
    b = tr16(0x9d0d); /* c.subw a0,a1 */
    expect_ops(b, "insn_start get get sub sext32 set goto");
    b = tr16(0x2588); /* c.fld fa0,8(a1) */
    expect_ops(b, "insn_start get add ld set goto");
    assert_int_equal(b->insns[4].imm, RV_SLOT_F0 + 10);
    b = tr16(0x4532); /* c.lwsp a0,12(sp) */
    assert_int_equal(cval(b, b->insns[2].args[1]), 12);
    assert_int_equal(b->insns[3].imm, 2 | IR_MO_SIGN);
}

/* -- Block boundaries and fetch faults ------------------------------------------------- */

static void test_block_shape(void **state)
{
    /* A fetch fault on the first instruction raises SEGV at its address. */
    code_len = 0;
    IrBlock *b = translate_at(CODE_BASE);
    expect_ops(b, "insn_start raise");
    assert_true(raised(b, EXCP_SEGV));
    assert_int_equal(cval(b, last(b)->args[0]), CODE_BASE);

    /* A 32-bit instruction whose second half is not fetchable: tval = pc + 2. */
    put16(0x0513);
    b = translate_at(CODE_BASE);
    assert_true(raised(b, EXCP_SEGV));
    assert_int_equal(cval(b, last(b)->args[0]), CODE_BASE + 2);

    /* A later unfetchable instruction just ends the block before it. */
    code_len = 0;
    put16(0x0505);
    put16(0x0513);
    b = translate_at(CODE_BASE);
    expect_ops(b, "insn_start get add set goto");
    assert_int_equal(last(b)->imm, CODE_BASE + 2);
    assert_int_equal(b->guest_size, 2);

    /* Blocks stop after 64 instructions. */
    code_len = 0;
    for (int i = 0; i < 100; i++) put16(0x0505);
    b = translate_at(CODE_BASE);
    assert_int_equal(b->guest_insns, 64);
    assert_int_equal(b->guest_size, 128);
    assert_int_equal(last(b)->op, IR_OP_goto);
    assert_int_equal(last(b)->imm, CODE_BASE + 128);

    /* An illegal instruction after good ones: raise with the encoding. */
    code_len = 0;
    put16(0x0505);
    put32(0xffffffff);
    b = translate_at(CODE_BASE);
    assert_true(raised(b, EXCP_ILLEGAL));
    assert_int_equal(b->guest_insns, 2);
}

/* -- Disassembler --------------------------------------------------------------------- */

static void expect_dis(uint64_t pc, uint32_t w, unsigned len, bool aliases, const char *want)
{
    uint8_t buf[4] = {(uint8_t)w, (uint8_t)(w >> 8), (uint8_t)(w >> 16), (uint8_t)(w >> 24)};
    char out[128];
    unsigned n = rv_disas_insn(pc, buf, len, out, sizeof(out), aliases);
    if (n != len || strcmp(out, want)) fail_msg("0x%08x: '%s' (%u), expected '%s'", w, out, n, want);
}

static void test_disas(void **state)
{
    expect_dis(0, 0x00558513, 4, true, "addi\ta0,a1,5");
    expect_dis(0, 0x00500513, 4, true, "li\ta0,5");
    expect_dis(0, 0x00058513, 4, true, "mv\ta0,a1");
    expect_dis(0, 0x00000013, 4, true, "nop");
    expect_dis(0, 0x00008067, 4, true, "ret");
    expect_dis(0x100, 0xfe0508e3, 4, true, "beqz\ta0,f0");
    expect_dis(0x100, 0xfe0508e3, 4, false, "beq\ta0,zero,f0");
    expect_dis(0, 0x00102573, 4, true, "frflags\ta0");
    expect_dis(0, 0x00102573, 4, false, "csrrs\ta0,fflags,zero");
    expect_dis(0, 0xc0051553, 4, true, "fcvt.w.s\ta0,fa0,rtz");
    expect_dis(0, 0x06c5a52f, 4, true, "amoadd.w.aqrl\ta0,a2,(a1)");
    expect_dis(0, 0x0eb55533, 4, true, "czero.eqz\ta0,a0,a1");
    expect_dis(0, 0x0505, 2, true, "addi\ta0,a0,1");
    expect_dis(0, 0x0505, 2, false, "c.addi\ta0,1");
    expect_dis(0, 0x8082, 2, true, "ret");
    expect_dis(0, 0x852e, 2, true, "mv\ta0,a1");
    expect_dis(0, 0xe406, 2, false, "c.sdsp\tra,8(sp)");
    expect_dis(0, 0x0001, 2, true, "nop");

    char out[64];
    uint8_t z[4] = {0};
    assert_int_equal(rv_disas(0, z, 2, out, sizeof(out)), 0);           /* 0x0000 */
    uint8_t ones[4] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(rv_disas(0, ones, 4, out, sizeof(out)), 0);
    assert_int_equal(rv_disas(0, ones, 2, out, sizeof(out)), 0);        /* truncated */
}

/* -- The objdump oracle: one of every instruction ---------------------------------------- */

static const char asm_all[] =
    ".option norvc\n"
    "lui a0,0x12345\n auipc a1,0xfffff\n jal ra,.+8\n jalr t0,-4(a5)\n"
    "beq a0,a1,.-8\n bne s0,s1,.+16\n blt a2,a3,.+2048\n bge a4,a5,.-4096\n"
    "bltu t1,t2,.+4\n bgeu t3,t4,.+12\n"
    "lb a0,-1(a1)\n lh a0,2(a1)\n lw a0,-2048(a1)\n ld a0,2047(a1)\n lbu a0,0(sp)\n"
    "lhu a0,4(sp)\n lwu a0,8(sp)\n sb a0,-1(a1)\n sh a0,2(a1)\n sw a0,4(a1)\n sd a0,-8(sp)\n"
    "addi a0,a1,-2048\n slti a0,a1,7\n sltiu a0,a1,-7\n xori a0,a1,3\n ori a0,a1,4\n"
    "andi a0,a1,-16\n slli a0,a1,0\n slli a0,a1,63\n srli a0,a1,33\n srai a0,a1,1\n"
    "add a0,a1,a2\n sub a0,a1,a2\n sll a0,a1,a2\n slt a0,a1,a2\n sltu a0,a1,a2\n"
    "xor a0,a1,a2\n srl a0,a1,a2\n sra a0,a1,a2\n or a0,a1,a2\n and a0,a1,a2\n"
    "addiw a0,a1,-1\n slliw a0,a1,31\n srliw a0,a1,1\n sraiw a0,a1,0\n addw a0,a1,a2\n"
    "subw a0,a1,a2\n sllw a0,a1,a2\n srlw a0,a1,a2\n sraw a0,a1,a2\n"
    "fence rw,rw\n fence r,w\n fence iorw,iorw\n fence.tso\n fence.i\n ecall\n ebreak\n"
    "csrrw a0,fflags,a1\n csrrs a0,frm,a1\n csrrc a0,fcsr,a1\n csrrwi a0,fflags,31\n"
    "csrrsi a0,frm,1\n csrrci a0,fcsr,2\n csrrs a0,cycle,zero\n csrrs a0,time,zero\n"
    "csrrs a0,instret,zero\n"
    "mul a0,a1,a2\n mulh a0,a1,a2\n mulhsu a0,a1,a2\n mulhu a0,a1,a2\n div a0,a1,a2\n"
    "divu a0,a1,a2\n rem a0,a1,a2\n remu a0,a1,a2\n mulw a0,a1,a2\n divw a0,a1,a2\n"
    "divuw a0,a1,a2\n remw a0,a1,a2\n remuw a0,a1,a2\n"
    "lr.w a0,(a1)\n sc.w a0,a2,(a1)\n lr.d.aq a0,(a1)\n sc.d.rl a0,a2,(a1)\n"
    "amoswap.w a0,a2,(a1)\n amoadd.w a0,a2,(a1)\n amoxor.w a0,a2,(a1)\n amoand.w a0,a2,(a1)\n"
    "amoor.w a0,a2,(a1)\n amomin.w a0,a2,(a1)\n amomax.w a0,a2,(a1)\n amominu.w a0,a2,(a1)\n"
    "amomaxu.w a0,a2,(a1)\n amoswap.d.aq a0,a2,(a1)\n amoadd.d a0,a2,(a1)\n"
    "amoxor.d a0,a2,(a1)\n amoand.d a0,a2,(a1)\n amoor.d.aqrl a0,a2,(a1)\n"
    "amomin.d a0,a2,(a1)\n amomax.d a0,a2,(a1)\n amominu.d a0,a2,(a1)\n amomaxu.d.rl a0,a2,(a1)\n"
    "flw fa0,4(a1)\n fsw fa0,-4(a1)\n fmadd.s fa0,fa1,fa2,fa3\n fmsub.s fa0,fa1,fa2,fa3,rtz\n"
    "fnmsub.s fa0,fa1,fa2,fa3\n fnmadd.s fa0,fa1,fa2,fa3,rmm\n fadd.s ft0,ft1,ft2\n"
    "fsub.s fs0,fs1,fs2,rdn\n fmul.s fa0,fa1,fa2\n fdiv.s fa0,fa1,fa2,rup\n fsqrt.s fa0,fa1\n"
    "fsgnj.s fa0,fa1,fa2\n fsgnjn.s fa0,fa1,fa2\n fsgnjx.s fa0,fa1,fa2\n fmin.s fa0,fa1,fa2\n"
    "fmax.s fa0,fa1,fa2\n fcvt.w.s a0,fa1\n fcvt.wu.s a0,fa1,rtz\n fcvt.l.s a0,fa1\n"
    "fcvt.lu.s a0,fa1,rne\n fmv.x.w a0,fa1\n feq.s a0,fa1,fa2\n flt.s a0,fa1,fa2\n"
    "fle.s a0,fa1,fa2\n fclass.s a0,fa1\n fcvt.s.w fa0,a1\n fcvt.s.wu fa0,a1\n"
    "fcvt.s.l fa0,a1,rtz\n fcvt.s.lu fa0,a1\n fmv.w.x fa0,a1\n"
    "fld fa0,8(a1)\n fsd fa0,-8(a1)\n fmadd.d fa0,fa1,fa2,fa3\n fmsub.d fa0,fa1,fa2,fa3\n"
    "fnmsub.d fa0,fa1,fa2,fa3\n fnmadd.d fa0,fa1,fa2,fa3\n fadd.d fa0,fa1,fa2\n"
    "fsub.d fa0,fa1,fa2\n fmul.d fa0,fa1,fa2\n fdiv.d fa0,fa1,fa2\n fsqrt.d fa0,fa1,rtz\n"
    "fsgnj.d fa0,fa1,fa2\n fsgnjn.d fa0,fa1,fa2\n fsgnjx.d fa0,fa1,fa2\n fmin.d fa0,fa1,fa2\n"
    "fmax.d fa0,fa1,fa2\n fcvt.s.d fa0,fa1\n fcvt.d.s fa0,fa1\n feq.d a0,fa1,fa2\n"
    "flt.d a0,fa1,fa2\n fle.d a0,fa1,fa2\n fclass.d a0,fa1\n fcvt.w.d a0,fa1\n"
    "fcvt.wu.d a0,fa1\n fcvt.l.d a0,fa1\n fcvt.lu.d a0,fa1\n fcvt.d.w fa0,a1\n"
    "fcvt.d.wu fa0,a1\n fcvt.d.l fa0,a1\n fcvt.d.lu fa0,a1\n fmv.x.d a0,fa1\n fmv.d.x fa0,a1\n"
    "add.uw a0,a1,a2\n sh1add a0,a1,a2\n sh2add a0,a1,a2\n sh3add a0,a1,a2\n"
    "sh1add.uw a0,a1,a2\n sh2add.uw a0,a1,a2\n sh3add.uw a0,a1,a2\n slli.uw a0,a1,40\n"
    "andn a0,a1,a2\n orn a0,a1,a2\n xnor a0,a1,a2\n clz a0,a1\n ctz a0,a1\n cpop a0,a1\n"
    "clzw a0,a1\n ctzw a0,a1\n cpopw a0,a1\n max a0,a1,a2\n maxu a0,a1,a2\n min a0,a1,a2\n"
    "minu a0,a1,a2\n sext.b a0,a1\n sext.h a0,a1\n zext.h a0,a1\n rol a0,a1,a2\n"
    "ror a0,a1,a2\n rolw a0,a1,a2\n rorw a0,a1,a2\n rori a0,a1,63\n roriw a0,a1,31\n"
    "orc.b a0,a1\n rev8 a0,a1\n bclr a0,a1,a2\n bclri a0,a1,63\n bext a0,a1,a2\n"
    "bexti a0,a1,5\n binv a0,a1,a2\n binvi a0,a1,0\n bset a0,a1,a2\n bseti a0,a1,32\n"
    ".option rvc\n"
    "c.addi4spn a0,sp,1020\n c.fld fa0,248(a1)\n c.lw a0,124(a5)\n c.ld s0,0(s1)\n"
    "c.fsd fs1,8(a2)\n c.sw a0,4(a1)\n c.sd a5,248(a4)\n c.nop\n c.addi a0,-32\n"
    "c.addiw a1,31\n c.li t0,-1\n c.addi16sp sp,496\n c.addi16sp sp,-512\n c.lui s1,0x1f\n"
    "c.lui a0,0xfffe1\n c.srli a0,63\n c.srai a1,1\n c.andi a2,-32\n c.sub a0,a1\n"
    "c.xor a0,a1\n c.or s0,s1\n c.and a4,a5\n c.subw a0,a1\n c.addw a0,a1\n c.j .-2048\n"
    "c.beqz a0,.+254\n c.bnez s1,.-256\n c.slli t1,33\n c.fldsp fa0,504(sp)\n"
    "c.lwsp ra,252(sp)\n c.ldsp s2,8(sp)\n c.jr t0\n c.mv a0,a1\n c.ebreak\n c.jalr a5\n"
    "c.add a0,a1\n c.fsdsp fa0,0(sp)\n c.swsp a0,252(sp)\n c.sdsp ra,504(sp)\n";

/* Normalizes objdump text: drops "<sym>" and "# comment", squeezes blanks. */
static void normalize(char *s)
{
    char *p;
    if ((p = strchr(s, '#'))) *p = 0;
    if ((p = strchr(s, '<'))) *p = 0;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n')) s[--n] = 0;
}

static void test_objdump_oracle(void **state)
{
    if (!df_have_tools((const char *const[]){"riscv64-linux-gnu-as", "riscv64-linux-gnu-objdump", NULL})) {
        skip();
        return;
    }
    FILE *p = df_oracle_open(asm_all, "riscv64-linux-gnu-as -march=rv64gc_zba_zbb_zbs -o t.o t.s && "
                                      "riscv64-linux-gnu-objdump -d -M no-aliases t.o");
    char line[256];
    int count = 0, bad = 0;
    while (fgets(line, sizeof(line), p)) {
        /* "  1c:\t000500e7          \tjalr\tra,0(a0)" */
        unsigned long addr;
        char hex[16], *t1, *t2;
        if (sscanf(line, " %lx:", &addr) != 1 || !(t1 = strchr(line, '\t'))) continue;
        if (sscanf(t1 + 1, "%15s", hex) != 1 || !(t2 = strchr(t1 + 1, '\t'))) continue;
        unsigned len = strlen(hex) == 8 ? 4 : 2;
        uint32_t w = (uint32_t)strtoul(hex, NULL, 16);
        char want[128];
        snprintf(want, sizeof(want), "%s", t2 + 1);
        normalize(want);

        IrBlock *b = len == 4 ? tr32(w) : tr16((uint16_t)w);
        if (raised(b, EXCP_ILLEGAL)) {
            print_error("%04lx: %s translated to an illegal-instruction raise\n", addr, want);
            bad++;
        }
        uint8_t bytes[4] = {(uint8_t)w, (uint8_t)(w >> 8), (uint8_t)(w >> 16), (uint8_t)(w >> 24)};
        char got[128];
        if (rv_disas_insn(addr, bytes, len, got, sizeof(got), false) != len || strcmp(got, want)) {
            print_error("%04lx: %0*x: disas '%s', objdump '%s'\n", addr, len * 2, w, got, want);
            bad++;
        }
        count++;
    }
    df_oracle_close(p);
    if (count < 240) fail_msg("only %d instructions from objdump", count);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_addi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forwarding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rr_and_w, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sext_w_known, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bitmanip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_branches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_system, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csr_readonly_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loads_stores_atomics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_illegal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compressed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_objdump_oracle, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
