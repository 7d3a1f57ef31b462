/* SPDX-License-Identifier: MIT */
/* Unit tests of the L1 JIT: x86-64 encodings checked against capstone, op-by-op
 * differential runs of hand-built IR blocks (interpreter = oracle), random
 * RV64GC+Zba/Zbb/Zbs/Zicond sequences run under both engines from the same
 * state (registers, fflags, memory, exception, pc compared), self-modifying
 * code with fence.i, and the interrupt check of a chained loop.
 * VM_CHECK_LONG=1 runs many more random seeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <capstone.h>

#include "frontend/riscv64/rv_cpu.h"
#include "jit/backend/x86_64/x64_emit.h"
#include "jit/jit_int.h"
#include "vm/arch.h"
#include "vm/engine.h"
#include "vm/log.h"
#include "vm/opt.h"

#include "diff_harness.h"
#include "fake_pair.h"
#include "rv_encode.h"
#include "expect_asm.h"

/* -- Emitter vs capstone --------------------------------------------------------- */

ENC(mov_rr, x64_emit_mov_rr(e, true, X64_R13, X64_RSP), "mov r13, rsp")
ENC(mov_rr32, x64_emit_mov_rr(e, false, X64_RAX, X64_R9), "mov eax, r9d")
ENC(mov_rm_rsp, x64_emit_mov_rm(e, true, X64_RAX, x64_mem(X64_RSP, 8)), "mov rax, qword ptr [rsp + 8]")
ENC(mov_rm_r12, x64_emit_mov_rm(e, true, X64_R8, x64_mem(X64_R12, 0)), "mov r8, qword ptr [r12]")
ENC(mov_rm_rbp, x64_emit_mov_rm(e, true, X64_RCX, x64_mem(X64_RBP, 0)), "mov rcx, qword ptr [rbp]")
ENC(mov_rm_r13_big, x64_emit_mov_rm(e, false, X64_RDX, x64_mem(X64_R13, 0x1234)), "mov edx, dword ptr [r13 + 0x1234]")
ENC(mov_idx, x64_emit_mov_rm(e, true, X64_RAX, x64_mem_idx(X64_R14, X64_R8, 1, 0)), "mov rax, qword ptr [r14 + r8]")
ENC(mov_idx_rbp, x64_emit_mov_mr(e, false, x64_mem_idx(X64_R13, X64_RBP, 1, 0), X64_R11), "mov dword ptr [r13 + rbp], r11d")
ENC(mov_mr8, x64_emit_mov_mr8(e, x64_mem_idx(X64_R14, X64_RAX, 1, 0), X64_RSI), "mov byte ptr [r14 + rax], sil")
ENC(mov_mr16, x64_emit_mov_mr16(e, x64_mem(X64_RBX, 4), X64_R10), "mov word ptr [rbx + 4], r10w")
ENC(mov_mi, x64_emit_mov_mi(e, true, x64_mem(X64_RBX, 0), 0x10078), "mov qword ptr [rbx], 0x10078")
ENC(mov_ri0, x64_emit_mov_ri(e, X64_R9, 0), "xor r9d, r9d")
ENC(mov_ri32, x64_emit_mov_ri(e, X64_R9, 0xdeadbeef), "mov r9d, 0xdeadbeef")
ENC(mov_rineg, x64_emit_mov_ri(e, X64_RAX, (uint64_t)-5), "mov rax, -5")
ENC(mov_ri64, x64_emit_mov_ri(e, X64_R15, 0x123456789abcull), "movabs r15, 0x123456789abc")
ENC(movzx8, x64_emit_movzx8_rr(e, X64_RAX, X64_RDI), "movzx eax, dil")
ENC(movsx16m, x64_emit_movsx16_rm(e, true, X64_RAX, x64_mem(X64_R14, 2)), "movsx rax, word ptr [r14 + 2]")
ENC(movsxd, x64_emit_movsxd_rr(e, X64_R8, X64_RAX), "movsxd r8, eax")
ENC(lea, x64_emit_lea(e, true, X64_RDI, x64_mem(X64_RBX, 0x20)), "lea rdi, [rbx + 0x20]")
ENC(alu_rr, x64_emit_alu_rr(e, X64_SUB, true, X64_R9, X64_RSI), "sub r9, rsi")
ENC(alu_ri8, x64_emit_alu_ri(e, X64_ADD, true, X64_RAX, -1), "add rax, -1")
ENC(alu_ri32, x64_emit_alu_ri(e, X64_CMP, false, X64_R11, 0x12345), "cmp r11d, 0x12345")
ENC(alu_rm, x64_emit_alu_rm(e, X64_XOR, true, X64_RAX, x64_mem(X64_RSP, 0x80)), "xor rax, qword ptr [rsp + 0x80]")
ENC(alu_mi, x64_emit_alu_mi(e, X64_OR, false, x64_mem(X64_RBX, 0x24), 1), "or dword ptr [rbx + 0x24], 1")
ENC(test_ri, x64_emit_test_ri(e, false, X64_RAX, 7), "test eax, 7")
ENC(test_mi8, x64_emit_test_mi8(e, x64_mem(X64_RBX, 0x28), 0x1a), "test byte ptr [rbx + 0x28], 0x1a")
ENC(bt, x64_emit_bt_ri(e, false, X64_RCX, 0), "bt ecx, 0")
ENC(shl1, x64_emit_shift_ri(e, X64_SHL, true, X64_RAX, 1), "shl rax, 1")
ENC(sar, x64_emit_shift_ri(e, X64_SAR, false, X64_R8, 31), "sar r8d, 0x1f")
ENC(rolcl, x64_emit_shift_rcl(e, X64_ROL, true, X64_RAX), "rol rax, cl")
ENC(imul, x64_emit_imul_rr(e, true, X64_RAX, X64_R13), "imul rax, r13")
ENC(imul3, x64_emit_imul_rri(e, false, X64_RAX, X64_RAX, 100), "imul eax, eax, 0x64")
ENC(mul, x64_emit_mul_r(e, true, X64_RCX), "mul rcx")
ENC(idiv, x64_emit_idiv_r(e, false, X64_RCX), "idiv ecx")
ENC(cqo, x64_emit_cqo(e, true); x64_emit_cqo(e, false), "cqo; cdq")
ENC(neg, x64_emit_neg_r(e, true, X64_R10), "neg r10")
ENC(lzcnt, x64_emit_lzcnt(e, true, X64_RAX, X64_R9), "lzcnt rax, r9")
ENC(tzcnt, x64_emit_tzcnt(e, false, X64_RAX, X64_RSI), "tzcnt eax, esi")
ENC(popcnt, x64_emit_popcnt(e, true, X64_R8, X64_R8), "popcnt r8, r8")
ENC(bswap, x64_emit_bswap(e, true, X64_R11), "bswap r11")
ENC(bswap32, x64_emit_bswap(e, false, X64_RAX), "bswap eax")
ENC(setcc, x64_emit_setcc(e, X64_CC_B, X64_RSI), "setb sil")
ENC(cmov, x64_emit_cmov(e, X64_CC_G, true, X64_RAX, X64_RCX), "cmovg rax, rcx")
ENC(pushpop, x64_emit_push(e, X64_R12); x64_emit_pop(e, X64_RBX), "push r12; pop rbx")
ENC(jmp_r, x64_emit_jmp_r(e, X64_RAX), "jmp rax")
ENC(jmp_m, x64_emit_jmp_m(e, x64_mem_idx(X64_R12, X64_RCX, 1, 16)), "jmp qword ptr [r12 + rcx + 0x10]")
ENC(movq, x64_emit_movq_xr(e, 1, X64_R9); x64_emit_movq_rx(e, X64_RAX, 0), "movq xmm1, r9; movq rax, xmm0")
ENC(movd, x64_emit_movd_xr(e, 0, X64_RSI); x64_emit_movd_rx(e, X64_RAX, 2), "movd xmm0, esi; movd eax, xmm2")
ENC(addsd, x64_emit_sse_arith(e, 0x58, true, 2, 1), "addsd xmm2, xmm1")
ENC(divss, x64_emit_sse_arith(e, 0x5e, false, 0, 1), "divss xmm0, xmm1")
ENC(sqrtsd, x64_emit_sse_arith(e, 0x51, true, 2, 0), "sqrtsd xmm2, xmm0")
ENC(movapd, x64_emit_sse_rr(e, 0x66, 0x28, 3, 2), "movapd xmm3, xmm2")
ENC(xorps, x64_emit_sse_rr(e, 0, 0x57, 4, 4), "xorps xmm4, xmm4")
ENC(ucomisd, x64_emit_ucomis(e, true, 0, 1), "ucomisd xmm0, xmm1")
ENC(ucomiss, x64_emit_ucomis(e, false, 3, 4), "ucomiss xmm3, xmm4")
ENC(stmxcsr, x64_emit_stmxcsr(e, x64_mem(X64_RSP, 0x40)), "stmxcsr dword ptr [rsp + 0x40]")
ENC(vfmadd, x64_emit_vfma213(e, 0xa9, true, 0, 1, 2), "vfmadd213sd xmm0, xmm1, xmm2")
ENC(vfnmsub, x64_emit_vfma213(e, 0xaf, false, 0, 1, 2), "vfnmsub213ss xmm0, xmm1, xmm2")
ENC(vfmsub, x64_emit_vfma213(e, 0xab, true, 9, 1, 12), "vfmsub213sd xmm9, xmm1, xmm12")
ENC(movdqu, x64_emit_movdqu_xm(e, 0, x64_mem(X64_RBX, 0x100)), "movdqu xmm0, xmmword ptr [rbx + 0x100]")
ENC(mfence, x64_emit_mfence(e), "mfence")

static void test_enc_branches(void **s)
{
    (void)s;
    uint8_t buf[64];
    X64Emit e;
    x64_init(&e, buf, sizeof(buf));
    uint8_t *j8 = x64_emit_jcc8_fwd(&e, X64_CC_NE);
    x64_emit_ret(&e);
    x64_bind8(&e, j8);
    assert_int_equal(buf[0], 0x75);
    assert_int_equal(buf[1], 1);
    uint8_t *d = x64_emit_jmp_rel32(&e, buf);
    x64_patch_rel32(d, buf + 40);
    int32_t rel;
    memcpy(&rel, d, 4);
    assert_int_equal((intptr_t)(d + 4 + rel), (intptr_t)(buf + 40));
    x64_emit_jcc(&e, X64_CC_E, buf); /* near: rel8 */
    assert_int_equal(e.p[-2], 0x74);
}

/* -- The fake IR guest for op-by-op differential tests (ir_fake_guest.h) ------------- */

static int run_fake(TCpu *c, const Engine *e) { return diff_run(&c->cs, e, 0x1000); }

/* Both engines from the same state; everything guest-visible must agree. */
static void diff_fake_after(const char *what, int ri, int rj);

static void diff_fake(const char *what)
{
    int ri = run_fake(&ti, &interp_engine), rj = run_fake(&tj, &jit_engine);
    diff_fake_after(what, ri, rj);
}

/* Compares the two engines' states after runs that returned ri and rj. */
static void diff_fake_after(const char *what, int ri, int rj)
{
    char msg[160];
    snprintf(msg, sizeof(msg), "%s: exception %d vs %d", what, ri, rj);
    if (ri != rj) fail_msg("%s", msg);
    if (memcmp(ti.x, tj.x, sizeof(ti.x)) || memcmp(ti.w, tj.w, sizeof(ti.w)) ||
        memcmp(ti.v, tj.v, sizeof(ti.v)) || memcmp(ti.f, tj.f, sizeof(ti.f))) {
        for (int i = 0; i < 16; i++)
            if (ti.x[i] != tj.x[i]) print_error("x%d interp 0x%llx jit 0x%llx\n", i, (unsigned long long)ti.x[i], (unsigned long long)tj.x[i]);
        for (int i = 0; i < 4; i++)
            if (ti.w[i] != tj.w[i]) print_error("w%d interp 0x%x jit 0x%x\n", i, ti.w[i], tj.w[i]);
        fail_msg("%s: registers differ", what);
    }
    if (ti.cs.fp.flags != tj.cs.fp.flags) fail_msg("%s: fflags 0x%x vs 0x%x", what, ti.cs.fp.flags, tj.cs.fp.flags);
    if (ti.cs.pc != tj.cs.pc || ti.cs.fault_addr != tj.cs.fault_addr)
        fail_msg("%s: pc/fault 0x%llx/0x%llx vs 0x%llx/0x%llx", what, (unsigned long long)ti.cs.pc,
                 (unsigned long long)ti.cs.fault_addr, (unsigned long long)tj.cs.pc,
                 (unsigned long long)tj.cs.fault_addr);
    if (memcmp(gmem_i, gmem_j, sizeof(gmem_i))) fail_msg("%s: memory differs", what);
}

static const uint64_t edge64[] = {0, 1, 2, 3, 7, 31, 32, 63, 64, 65, 0x7f, 0x80, 0xff, 0x8000,
                                  0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                  0x7fffffffffffffffull, 0x8000000000000000ull,
                                  0xffffffffffffffffull, 0xfffffffffffffffeull,
                                  0x123456789abcdef0ull, 0xfedcba9876543210ull};
#define NEDGE (sizeof(edge64) / sizeof(edge64[0]))

static void diff_op(IrOp op, IrType t, uint64_t a, uint64_t b, uint64_t c, uint64_t imm, int form)
{
    g_op.op = op; g_op.t = t; g_op.a = a; g_op.b = b; g_op.c = c; g_op.imm = imm; g_op.form = form;
    g_op.aux = 0;
    g_build = build_op;
    TCpu *cs[2] = {&ti, &tj};
    uint8_t *ms[2] = {gmem_i, gmem_j};
    for (int k = 0; k < 2; k++) {
        fake_reset(cs[k], ms[k], FAKE_MEM);
        if (t == IR_I32) {
            cs[k]->w[0] = (uint32_t)a; cs[k]->w[1] = (uint32_t)b; cs[k]->w[2] = (uint32_t)c;
        } else {
            cs[k]->x[0] = a; cs[k]->x[1] = b; cs[k]->x[2] = c;
        }
    }
    char what[96];
    snprintf(what, sizeof(what), "%s.%s(0x%llx,0x%llx,0x%llx) imm 0x%llx form %d", ir_op_info[op].name,
             ir_type_name(t), (unsigned long long)a, (unsigned long long)b, (unsigned long long)c,
             (unsigned long long)imm, form);
    diff_fake(what);
}

static void test_diff_int_ops(void **s)
{
    (void)s;
    static const IrOp bin[] = {IR_OP_add, IR_OP_sub, IR_OP_mul, IR_OP_mulhs, IR_OP_mulhu, IR_OP_mulhsu,
                               IR_OP_divs, IR_OP_divu, IR_OP_rems, IR_OP_remu, IR_OP_and, IR_OP_or,
                               IR_OP_xor, IR_OP_andn, IR_OP_orn, IR_OP_xnor, IR_OP_shl, IR_OP_shr,
                               IR_OP_sar, IR_OP_rotl, IR_OP_rotr, IR_OP_smin, IR_OP_smax, IR_OP_umin,
                               IR_OP_umax, IR_OP_carry_add, IR_OP_ovf_add, IR_OP_ovf_sub};
    static const IrOp un[] = {IR_OP_not, IR_OP_neg, IR_OP_clz, IR_OP_ctz, IR_OP_cpop, IR_OP_bswap,
                              IR_OP_brev, IR_OP_sext8, IR_OP_sext16, IR_OP_zext8, IR_OP_zext16,
                              IR_OP_parity};
    static const IrOp tern[] = {IR_OP_carry_adc, IR_OP_borrow_sbb, IR_OP_ovf_adc, IR_OP_ovf_sbb};
    for (int ti_ = 0; ti_ < 2; ti_++) {
        IrType t = ti_ ? IR_I64 : IR_I32;
        for (size_t o = 0; o < sizeof(bin) / sizeof(bin[0]); o++)
            for (size_t i = 0; i < NEDGE; i += 1)
                for (size_t j = 0; j < NEDGE; j += 3)
                    for (int f = 0; f < 3; f++) diff_op(bin[o], t, edge64[i], edge64[j], 0, 0, f);
        for (size_t o = 0; o < sizeof(un) / sizeof(un[0]); o++)
            for (size_t i = 0; i < NEDGE; i++) diff_op(un[o], t, edge64[i], 0, 0, 0, 0);
        for (size_t o = 0; o < sizeof(tern) / sizeof(tern[0]); o++)
            for (size_t i = 0; i < NEDGE; i += 2)
                for (size_t j = 0; j < NEDGE; j += 3)
                    for (uint64_t c = 0; c < 2; c++) diff_op(tern[o], t, edge64[i], edge64[j], c, 0, 0);
        for (size_t i = 0; i < NEDGE; i += 2)
            for (unsigned pos = 0; pos < (t == IR_I64 ? 64u : 32u); pos += 7)
                for (unsigned len = 1; pos + len <= (t == IR_I64 ? 64u : 32u); len += 9) {
                    diff_op(IR_OP_extract, t, edge64[i], 0, 0, pos | len << 8, 0);
                    diff_op(IR_OP_sextract, t, edge64[i], 0, 0, pos | len << 8, 0);
                    diff_op(IR_OP_deposit, t, edge64[i], edge64[(i + 5) % NEDGE], 0, pos | len << 8, 0);
                }
        for (unsigned c = 0; c < IR_COND_COUNT; c++)
            for (size_t i = 0; i < NEDGE; i += 2)
                for (size_t j = 0; j < NEDGE; j += 3)
                    for (int f = 0; f < 3; f++) diff_op(IR_OP_setcond, t, edge64[i], edge64[j], 0, c, f);
    }
    for (size_t i = 0; i < NEDGE; i++) diff_op(IR_OP_sext32, IR_I64, edge64[i], 0, 0, 0, 0);
    for (size_t i = 0; i < NEDGE; i++) diff_op(IR_OP_zext32, IR_I64, edge64[i], 0, 0, 0, 0);
}

/* FP ops on F64/F32 bit patterns through I64 registers (bitcasts). */
static const uint64_t fvals64[] = {
    0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull, 0x4000000000000000ull,
    0x3fb999999999999aull /* 0.1 */, 0x7ff0000000000000ull, 0xfff0000000000000ull,
    0x7ff8000000000000ull, 0x7ff4000000000000ull /* sNaN */, 0x0000000000000001ull,
    0x000fffffffffffffull, 0x0010000000000000ull, 0x7fefffffffffffffull, 0x4340000000000000ull,
    0x3ca0000000000000ull, 0x1ff0000000000000ull, 0x6000000000000000ull};
static const uint64_t fvals32[] = {0, 0x80000000, 0x3f800000, 0xbf800000, 0x3dcccccd, 0x7f800000,
                                   0xff800000, 0x7fc00000, 0x7fa00000, 1, 0x007fffff, 0x00800000,
                                   0x7f7fffff, 0x4b800000, 0x0c800000, 0x5f000000};

static struct {
    IrOp op;
    IrType t;
    unsigned rm, aux, imm;
} g_fop;

static void build_fop(IrBlock *b, uint64_t pc)
{
    IrType t = g_fop.t, it = t == IR_F64 ? IR_I64 : IR_I32;
    ir_insn_start(b, pc, 4);
    IrVal a = ir_bitcast(b, t, ir_get(b, reg_of(it, 0)));
    IrVal c = ir_bitcast(b, t, ir_get(b, reg_of(it, 1)));
    IrVal d = ir_bitcast(b, t, ir_get(b, reg_of(it, 2)));
    IrVal r;
    switch (g_fop.op) {
    case IR_OP_fsqrt: r = ir_fsqrt(b, t, a, g_fop.rm); break;
    case IR_OP_fma: r = ir_fma(b, t, a, c, d, g_fop.aux, g_fop.rm); break;
    case IR_OP_fmin: case IR_OP_fmax: r = ir_fminmax(b, g_fop.op == IR_OP_fmax, t, a, c, g_fop.aux); break;
    case IR_OP_fcmp: r = ir_fcmp(b, IR_I64, t, g_fop.imm, g_fop.aux, a, c); break;
    case IR_OP_fclass: r = ir_fclass(b, IR_I64, t, a); break;
    case IR_OP_fcvt_f2i: r = ir_fcvt_f2i(b, IR_I64, t, a, g_fop.rm, g_fop.aux); break;
    case IR_OP_fround: r = ir_fround(b, t, a, g_fop.rm, g_fop.aux); break;
    default: r = ir_fop2(b, g_fop.op, t, a, c, g_fop.rm); break;
    }
    IrType rt = ir_type_of(b, r);
    if (rt == IR_F64 || rt == IR_F32) r = ir_bitcast(b, rt == IR_F64 ? IR_I64 : IR_I32, r);
    ir_set(b, reg_of(ir_type_of(b, r), 3), r);
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void diff_fop(IrOp op, IrType t, uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned aux,
                     unsigned imm, uint32_t flags0)
{
    g_fop.op = op; g_fop.t = t; g_fop.rm = rm; g_fop.aux = aux; g_fop.imm = imm;
    g_build = build_fop;
    TCpu *cs[2] = {&ti, &tj};
    uint8_t *ms[2] = {gmem_i, gmem_j};
    IrType it = t == IR_F64 ? IR_I64 : IR_I32;
    /* Every other case runs under CPU_TB_FLAG_FP_PLAIN (no mode tests in the
     * JIT's fast paths; the fake guest's mode is plain). */
    static unsigned ncase;
    uint64_t tbf = ncase++ & 1 ? CPU_TB_FLAG_FP_PLAIN : 0;
    for (int k = 0; k < 2; k++) {
        fake_reset(cs[k], ms[k], FAKE_MEM);
        cs[k]->mode = tbf;
        cs[k]->cs.fp.flags = flags0;
        cs[k]->cs.fp.rm = IR_RM_RNE;
        if (it == IR_I32) {
            cs[k]->w[0] = (uint32_t)a; cs[k]->w[1] = (uint32_t)b; cs[k]->w[2] = (uint32_t)c;
        } else {
            cs[k]->x[0] = a; cs[k]->x[1] = b; cs[k]->x[2] = c;
        }
    }
    char what[120];
    snprintf(what, sizeof(what), "%s.%s(0x%llx,0x%llx,0x%llx) rm %u aux %u flags0 %x", ir_op_info[op].name,
             ir_type_name(t), (unsigned long long)a, (unsigned long long)b, (unsigned long long)c, rm, aux, flags0);
    diff_fake(what);
}

static void test_diff_fp_ops(void **s)
{
    (void)s;
    static const IrOp ops[] = {IR_OP_fadd, IR_OP_fsub, IR_OP_fmul, IR_OP_fdiv, IR_OP_fsqrt, IR_OP_fma,
                               IR_OP_fmin, IR_OP_fmax, IR_OP_fcmp, IR_OP_fclass, IR_OP_fcvt_f2i, IR_OP_fround};
    for (int d = 0; d < 2; d++) {
        IrType t = d ? IR_F64 : IR_F32;
        const uint64_t *v = d ? fvals64 : fvals32;
        size_t nv = d ? sizeof(fvals64) / 8 : sizeof(fvals32) / 8;
        for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
            for (size_t i = 0; i < nv; i++)
                for (size_t j = 0; j < nv; j += (ops[o] == IR_OP_fma ? 3 : 1))
                    for (unsigned rm = 0; rm <= 4; rm += (ops[o] <= IR_OP_fma ? 1 : 4)) {
                        unsigned aux = ops[o] == IR_OP_fma ? (unsigned)(i + j) & 3
                                       : ops[o] == IR_OP_fcmp ? (unsigned)j & 1
                                       : ops[o] == IR_OP_fcvt_f2i ? IR_CVT_SIGNED
                                       : ops[o] == IR_OP_fround ? IR_FROUND_EXACT : 0;
                        unsigned imm = ops[o] == IR_OP_fcmp ? (unsigned)(i % 4) : 0;
                        for (uint32_t f0 = 0; f0 <= FP_FLAG_NX; f0 += FP_FLAG_NX)
                            diff_fop(ops[o], t, v[i], v[j], v[(i + j + 1) % nv], rm, aux, imm, f0);
                    }
    }
}

/* Memory ops through the fake guest: bounds, sign, byte order, alignment. */
static struct { unsigned mo; IrType t; uint64_t addr; bool store; } g_mem;

static void build_mem(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    IrVal a = ir_get(b, R_X0 + 0);
    if (g_mem.store) {
        IrVal v = g_mem.t == IR_I32 ? ir_get(b, R_W0 + 1) : ir_get(b, R_X0 + 1);
        ir_st(b, a, v, g_mem.mo);
        ir_set(b, R_X0 + 5, ir_i64(b, 5));
    } else {
        IrVal r = ir_ld(b, g_mem.t, a, g_mem.mo);
        ir_set(b, reg_of(g_mem.t, 3), r);
    }
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void test_diff_mem(void **s)
{
    (void)s;
    static const uint64_t addrs[] = {0, 1, 0x100, 0x1001, 65536 - 16, 65536 - 8, 65536 - 7, 65536 - 1,
                                     65536, 0xffffffffffffffffull, 0x8000000000000000ull};
    g_build = build_mem;
    for (unsigned lg = 0; lg <= 3; lg++)
        for (unsigned fl = 0; fl < 8; fl++)
            for (int ty = 0; ty < 2; ty++)
                for (size_t ai = 0; ai < sizeof(addrs) / 8; ai++)
                    for (int st = 0; st < 2; st++) {
                        IrType t = ty ? IR_I64 : IR_I32;
                        if (lg == 3 && t == IR_I32) continue;
                        unsigned mo = lg | ((fl & 1) && !st && lg < (ty ? 3u : 2u) ? IR_MO_SIGN : 0) |
                                      ((fl & 2) ? IR_MO_BE : 0) | ((fl & 4) ? IR_MO_ALIGN : 0);
                        g_mem.mo = mo; g_mem.t = t; g_mem.addr = addrs[ai]; g_mem.store = st;
                        TCpu *cs[2] = {&ti, &tj};
                        uint8_t *ms[2] = {gmem_i, gmem_j};
                        for (int k = 0; k < 2; k++) {
                            fake_reset(cs[k], ms[k], FAKE_MEM);
                            for (size_t q = 0; q < 65536; q++) ms[k][q] = (uint8_t)(q * 37 + 11);
                            cs[k]->x[0] = addrs[ai];
                            cs[k]->x[1] = 0x8877665544332211ull;
                            cs[k]->w[1] = 0x8899aabb;
                        }
                        char what[80];
                        snprintf(what, sizeof(what), "%s mo 0x%x addr 0x%llx", st ? "st" : "ld", mo,
                                 (unsigned long long)addrs[ai]);
                        diff_fake(what);
                    }
}

/* -- Byte-store merging (src/opt/stmerge.c; the JIT runs it in user mode) -----------
 * Guest insn 0 at 0x1000 counts block entries in x9; insns 1..n each store
 * the low byte of x(i) at x0 + off[i-1]; then an 8-byte load of x0 + lo reads
 * them back into x10. The block of any pc starts at that insn (a side exit to
 * the run's first insn gets the unmerged run). Interpreter (never merges) =
 * oracle, including faults past the end of guest memory. */
static struct {
    const int8_t *off;
    unsigned n;
    int64_t lo;
} g_sm;

static void build_stmerge(IrBlock *b, uint64_t pc)
{
    unsigned first = (unsigned)((pc - 0x1000) / 4);
    for (unsigned i = first; i <= g_sm.n; i++) {
        ir_insn_start(b, 0x1000 + 4 * i, 4);
        if (i == 0) {
            ir_set(b, R_X0 + 9, ir_op2(b, IR_OP_add, IR_I64, ir_get(b, R_X0 + 9), ir_i64(b, 1)));
            continue;
        }
        IrVal base = ir_get(b, R_X0);
        IrVal a = g_sm.off[i - 1] ? ir_op2(b, IR_OP_add, IR_I64, base, ir_i64(b, (uint64_t)(int64_t)g_sm.off[i - 1])) : base;
        ir_st(b, a, ir_get(b, R_X0 + 1 + (i - 1) % 8), 0);
    }
    ir_insn_start(b, 0x1000 + 4 * (g_sm.n + 1), 4);
    ir_set(b, R_X0 + 10, ir_ld(b, IR_I64, ir_op2(b, IR_OP_add, IR_I64, ir_get(b, R_X0), ir_i64(b, (uint64_t)g_sm.lo)), 3));
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

/* How many stores the pass leaves in the block of 0x1000 (and that it verifies). */
static unsigned stmerge_stores_left(unsigned *wide)
{
    IrBlock b;
    ir_block_init(&b, tregs, NREGS);
    ir_block_reset(&b, 0x1000, 0);
    build_stmerge(&b, 0x1000);
    opt_merge_byte_stores(&b);
    char err[256];
    if (!ir_verify(&b, err, sizeof(err))) fail_msg("merged block does not verify: %s", err);
    unsigned n = 0;
    *wide = 0;
    for (uint32_t i = 0; i < b.ninsns; i++)
        if (b.insns[i].op == IR_OP_st) {
            n++;
            if (b.insns[i].imm & IR_MO_SIZE_MASK) (*wide)++;
        }
    ir_block_free(&b);
    return n;
}

static void test_diff_stmerge(void **s)
{
    (void)s;
    static const int8_t perm8[] = {5, 6, 0, 1, 2, 3, 4, 7}; /* gcc's memcpy order on riscv64 */
    static const int8_t up8[] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const int8_t down8[] = {7, 6, 5, 4, 3, 2, 1, 0};
    static const int8_t perm4[] = {3, 1, 0, 2, 9, 12};
    static const int8_t neg4[] = {-4, -3, -2, -1};
    static const int8_t gap[] = {0, 1, 2, 4, 5, 6, 7, 8}; /* a run of 4 from the 4th store */
    static const int8_t dup[] = {0, 1, 2, 3, 3, 5, 6, 7}; /* a run of 4, then none */
    static const int8_t even[] = {0, 2, 4, 6, 8, 10, 12, 14}; /* none */
    static const struct {
        const int8_t *off;
        unsigned n, stores_left, wide;
        int64_t lo;
    } cases[] = {
        {perm8, 8, 2, 1, 0}, {up8, 8, 2, 1, 0}, {down8, 8, 2, 1, 0}, {perm4, 6, 4, 1, 0},
        {neg4, 4, 2, 1, -4}, {gap, 8, 6, 1, 0}, {dup, 8, 6, 1, 0}, {even, 8, 8, 0, 0},
    };
    static const uint64_t bases[] = {0x100, 0x1000 - 8, 0x1000 - 7, 0x1000 - 1, 0x1000, 0x2ffd,
                                     0x3004, 65536 - 8, 65536 - 5, 65536 - 1, 65536, 65536 + 4,
                                     0xffffffffffffff00ull};
    g_build = build_stmerge;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        g_sm.off = cases[c].off;
        g_sm.n = cases[c].n;
        g_sm.lo = cases[c].lo;
        unsigned wide, left = stmerge_stores_left(&wide);
        if (left != cases[c].stores_left || wide != cases[c].wide)
            fail_msg("case %zu: %u stores (%u wide) left, want %u (%u)", c, left, wide,
                     cases[c].stores_left, cases[c].wide);
        for (size_t bi = 0; bi < sizeof(bases) / 8; bi++) {
            TCpu *cs[2] = {&ti, &tj};
            uint8_t *ms[2] = {gmem_i, gmem_j};
            for (int k = 0; k < 2; k++) {
                fake_reset(cs[k], ms[k], FAKE_MEM);
                memset(ms[k], 0xa5, FAKE_MEM);
                cs[k]->x[0] = bases[bi] - (uint64_t)cases[c].lo;
                for (int r = 1; r <= 8; r++) cs[k]->x[r] = 0x1111111111111100ull * (uint64_t)r + 0x10 * (uint64_t)r + 1;
            }
            char what[80];
            snprintf(what, sizeof(what), "stmerge case %zu base 0x%llx", c, (unsigned long long)bases[bi]);
            diff_fake(what);
        }
    }
}

/* Spill pressure: many live values across a helper call. */
static uint64_t h_mix(CpuState *cpu, uint64_t a, uint64_t b) { (void)cpu; return a * 31 + b; }
static const IrHelper helper_mix = {"mix", (void *)h_mix, 2, IR_I64, IR_HELPER_PURE};

static void build_pressure(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, pc, 4);
    IrVal v[24];
    for (int i = 0; i < 24; i++)
        v[i] = ir_op2(b, IR_OP_add, IR_I64, ir_get(b, R_X0 + (i % 8)), ir_i64(b, (uint64_t)i * 0x1001));
    IrVal acc = ir_call(b, &helper_mix, v[0], v[1], IR_NONE, IR_NONE);
    for (int i = 2; i < 24; i++) acc = ir_op2(b, i & 1 ? IR_OP_xor : IR_OP_add, IR_I64, acc, v[i]);
    for (int i = 0; i < 24; i++) acc = ir_op2(b, IR_OP_rotl, IR_I64, ir_op2(b, IR_OP_sub, IR_I64, acc, v[23 - i]), ir_i64(b, 3));
    ir_set(b, R_X0 + 9, acc);
    ir_set(b, R_X0 + 10, ir_call(b, &helper_mix, v[5], v[20], IR_NONE, IR_NONE));
    ir_goto(b, 0x2000, 0);
}

static void build_pressure2(IrBlock *b, uint64_t pc)
{
    if (pc == 0x1000) {
        build_pressure(b, pc);
        return;
    }
    ir_insn_start(b, pc, 4);
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

static void test_diff_pressure(void **s)
{
    (void)s;
    g_build = build_pressure2;
    fake_reset(&ti, gmem_i, FAKE_MEM);
    fake_reset(&tj, gmem_j, FAKE_MEM);
    for (int i = 0; i < 8; i++) ti.x[i] = tj.x[i] = edge64[i * 3];
    diff_fake("register pressure");
}

/* Random IR blocks: long chains of integer ops, loads and stores, selects,
 * side exits and register writes over a pool of values that stay live (so
 * the allocator spills, reuses dying operands' registers, and rematerializes
 * constants), checked against the interpreter. */
static uint64_t dag_seed;
static uint64_t dag_rnd(void)
{
    dag_seed ^= dag_seed << 13;
    dag_seed ^= dag_seed >> 7;
    dag_seed ^= dag_seed << 17;
    return dag_seed;
}

static void build_dag(IrBlock *b, uint64_t pc)
{
    if (pc != 0x1000) { /* side-exit targets */
        ir_insn_start(b, pc, 4);
        ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
        return;
    }
    static const IrOp bin[] = {IR_OP_add, IR_OP_sub, IR_OP_mul, IR_OP_and, IR_OP_or, IR_OP_xor,
                               IR_OP_shl, IR_OP_shr, IR_OP_sar, IR_OP_rotl, IR_OP_rotr, IR_OP_smin,
                               IR_OP_umax, IR_OP_mulhu, IR_OP_divu, IR_OP_rems, IR_OP_andn};
    static const IrOp un[] = {IR_OP_not, IR_OP_neg, IR_OP_clz, IR_OP_cpop, IR_OP_bswap, IR_OP_sext8,
                              IR_OP_zext16, IR_OP_sext32};
    IrVal pool[2][48];
    unsigned np[2] = {0, 0}; /* [0] I64, [1] I32 */
    ir_insn_start(b, pc, 4);
    for (unsigned i = 0; i < 8; i++) pool[0][np[0]++] = ir_get(b, R_X0 + i);
    for (unsigned i = 0; i < 4; i++) pool[1][np[1]++] = ir_get(b, R_W0 + i);
    IrVal base = ir_get(b, R_X0 + 15);
    unsigned nops = 40 + (unsigned)(dag_rnd() % 80);
    for (unsigned k = 0; k < nops; k++) {
        unsigned ti32 = dag_rnd() % 4 == 0, sel = (unsigned)(dag_rnd() % 100);
        IrType t = ti32 ? IR_I32 : IR_I64;
        IrVal *P = pool[ti32];
        /* Operands: mostly recent values, some old ones (long live ranges). */
        IrVal a = P[np[ti32] - 1 - (unsigned)(dag_rnd() % (dag_rnd() % 2 ? 4 : np[ti32]))];
        IrVal c = dag_rnd() % 5 == 0 ? ir_const(b, t, dag_rnd() % 3 ? dag_rnd() % 64 : dag_rnd())
                                     : P[(unsigned)(dag_rnd() % np[ti32])];
        IrVal r;
        if (sel < 50) {
            r = ir_op2(b, bin[dag_rnd() % (sizeof(bin) / sizeof(bin[0]))], t, a, c);
        } else if (sel < 62) {
            IrOp o = un[dag_rnd() % (sizeof(un) / sizeof(un[0]))];
            if (o == IR_OP_sext32 && t == IR_I32) o = IR_OP_sext16;
            r = ir_op1(b, o, t, a);
        } else if (sel < 70) {
            r = ir_select(b, ir_setcond(b, t, (IrCond)(dag_rnd() % IR_COND_COUNT), a, c), a, c);
        } else if (sel < 74) { /* cross the widths */
            if (ti32) {
                r = ir_op1(b, dag_rnd() % 2 ? IR_OP_extu : IR_OP_exts, IR_I64, a);
                t = IR_I64;
                ti32 = 0;
            } else {
                r = ir_op1(b, IR_OP_trunc, IR_I32, a);
                t = IR_I32;
                ti32 = 1;
            }
        } else if (sel < 84) { /* load inside [base, base + 0x1000) */
            IrVal off = ir_op2(b, IR_OP_and, IR_I64, pool[0][np[0] - 1 - (unsigned)(dag_rnd() % 3)],
                               ir_i64(b, 0xff8));
            IrVal addr = ir_op2(b, IR_OP_add, IR_I64, base, off);
            unsigned lg = ti32 ? (unsigned)(dag_rnd() % 3) : (unsigned)(dag_rnd() % 4);
            r = ir_ld(b, t, addr, lg | (dag_rnd() % 2 && lg < (ti32 ? 2u : 3u) ? IR_MO_SIGN : 0));
        } else if (sel < 90) { /* store */
            IrVal off = ir_op2(b, IR_OP_and, IR_I64, pool[0][(unsigned)(dag_rnd() % np[0])], ir_i64(b, 0xff8));
            ir_st(b, ir_op2(b, IR_OP_add, IR_I64, base, off), a, (unsigned)(dag_rnd() % (ti32 ? 3 : 4)));
            continue;
        } else if (sel < 96) { /* register write (a later one may make it dead) */
            ir_set(b, ti32 ? R_W0 + (unsigned)(dag_rnd() % 4) : R_X0 + 8 + (unsigned)(dag_rnd() % 7), a);
            continue;
        } else { /* a rarely taken side exit */
            IrVal cnd = ir_setcond(b, t, IR_COND_EQ, ir_op2(b, IR_OP_and, t, a, ir_const(b, t, 0xff)),
                                   ir_const(b, t, 0x5a));
            ir_goto_cond(b, cnd, 0x2000 + 4 * k);
            continue;
        }
        if (np[ti32] < 48) P = pool[ti32], P[np[ti32]++] = r;
        else pool[ti32][(unsigned)(dag_rnd() % 48)] = r;
    }
    /* Everything in the pools stays live to here. */
    IrVal acc = ir_i64(b, 0);
    for (unsigned i = 0; i < np[0]; i++)
        acc = ir_op2(b, IR_OP_add, IR_I64, ir_op2(b, IR_OP_rotl, IR_I64, acc, ir_i64(b, 7)), pool[0][i]);
    for (unsigned i = 0; i < np[1]; i++)
        acc = ir_op2(b, IR_OP_xor, IR_I64, acc, ir_op1(b, IR_OP_extu, IR_I64, pool[1][i]));
    ir_set(b, R_X0 + 14, acc);
    ir_goto(b, 0x1ffc, 0);
}

static void test_diff_random_ir(void **s)
{
    (void)s;
    g_build = build_dag;
    const char *lg = getenv("VM_CHECK_LONG");
    unsigned seeds = lg && *lg && *lg != '0' ? 20000 : 400;
    for (unsigned seed = 1; seed <= seeds; seed++) {
        TCpu *cs[2] = {&ti, &tj};
        uint8_t *ms[2] = {gmem_i, gmem_j};
        for (int k = 0; k < 2; k++) {
            fake_reset(cs[k], ms[k], FAKE_MEM);
            dag_seed = seed * 0x9e3779b97f4a7c15ull + 7;
            for (size_t q = 0; q < 65536; q++) ms[k][q] = (uint8_t)dag_rnd();
            for (int i = 0; i < 8; i++) cs[k]->x[i] = dag_rnd() % 3 ? dag_rnd() : edge64[dag_rnd() % NEDGE];
            for (int i = 0; i < 4; i++) cs[k]->w[i] = (uint32_t)dag_rnd();
            cs[k]->x[15] = 0x2000;
        }
        dag_seed = seed; /* the block: the same for both engines (translated once each) */
        char what[48];
        snprintf(what, sizeof(what), "random IR seed %u", seed);
        uint64_t keep = dag_seed;
        int ri = run_fake(&ti, &interp_engine);
        dag_seed = keep;
        int rj = run_fake(&tj, &jit_engine);
        (void)ri; (void)rj;
        dag_seed = keep;
        diff_fake_after(what, ri, rj);
    }
}

/* Random FP blocks: chains of F64/F32 arithmetic over more live values than
 * the JIT has xmm shadow registers, mixed with calls (fmin, fcvt), loads and
 * stores whose slow path is taken (big-endian: the call clobbers the xmm
 * registers and comes back), compares, non-RNE modes and side exits; the
 * results and fflags must match the interpreter bit for bit. */
static uint64_t fdag_val(void)
{
    switch (dag_rnd() % 4) {
    case 0: return fvals64[dag_rnd() % (sizeof(fvals64) / 8)];
    case 1: return dag_rnd();
    default: /* a normal value of moderate size: the fast paths' case */
        return (dag_rnd() & 0x800fffffffffffffull) | ((1003ull + dag_rnd() % 40) << 52);
    }
}

/* A helper that clobbers every xmm register (the ABI allows it; compiled
 * helpers rarely do): generated code must not expect its FP values there. */
static uint64_t h_xclobber(CpuState *cpu, uint64_t a)
{
    (void)cpu;
#if defined(__x86_64__)
    /* A finite value (a NaN would send the JIT to its slow path, which
     * recomputes from the general registers and hides the error). */
    uint64_t k = 0x3ff000003f800000ull; /* 1.0000000148 as f64, 1.0f in the low half */
    __asm__ volatile("movq %0, %%xmm0\n\t"
                     "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
                     "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\t"
                     "movdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\tmovdqa %%xmm0, %%xmm9\n\t"
                     "movdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\tmovdqa %%xmm0, %%xmm12\n\t"
                     "movdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\tmovdqa %%xmm0, %%xmm15"
                     : : "r"(k) : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                       "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
#endif
    return a * 0x9e3779b97f4a7c15ull;
}
static const IrHelper helper_xclobber = {"xclobber", (void *)h_xclobber, 1, IR_I64, 0};

static uint64_t fpdag_seed; /* the block is the same however often it is translated */

static void build_fpdag(IrBlock *b, uint64_t pc)
{
    if (pc != 0x1000) {
        ir_insn_start(b, pc, 4);
        ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
        return;
    }
    dag_seed = fpdag_seed;
    static const IrOp ar[] = {IR_OP_fadd, IR_OP_fsub, IR_OP_fmul, IR_OP_fdiv};
    IrVal pool[2][32];
    unsigned np[2] = {0, 0}; /* [0] F64, [1] F32 */
    ir_insn_start(b, pc, 4);
    for (unsigned i = 0; i < 8; i++) pool[0][np[0]++] = ir_bitcast(b, IR_F64, ir_get(b, R_X0 + i));
    for (unsigned i = 0; i < 2; i++) pool[0][np[0]++] = ir_get(b, R_F0 + i);
    for (unsigned i = 0; i < 4; i++) pool[1][np[1]++] = ir_bitcast(b, IR_F32, ir_get(b, R_W0 + i));
    IrVal base = ir_get(b, R_X0 + 15), iacc = ir_i64(b, 0);
    unsigned nops = 40 + (unsigned)(dag_rnd() % 80);
    for (unsigned k = 0; k < nops; k++) {
        unsigned s = dag_rnd() % 5 == 0, sel = (unsigned)(dag_rnd() % 100);
        IrType t = s ? IR_F32 : IR_F64, it = s ? IR_I32 : IR_I64;
        IrVal *P = pool[s];
        IrVal a = P[np[s] - 1 - (unsigned)(dag_rnd() % (dag_rnd() % 2 ? 3 : np[s]))];
        IrVal c = dag_rnd() % 6 == 0 ? ir_const(b, t, s ? (uint32_t)dag_rnd() : fdag_val())
                                     : P[(unsigned)(dag_rnd() % np[s])];
        IrRound rm = dag_rnd() % 8 == 0 ? (IrRound)(dag_rnd() % 5) : IR_RM_RNE;
        IrVal r;
        if (sel < 55) {
            r = ir_fop2(b, ar[dag_rnd() % 4], t, a, c, rm);
        } else if (sel < 62) {
            r = ir_fma(b, t, a, c, P[(unsigned)(dag_rnd() % np[s])], (unsigned)dag_rnd() & 3, rm);
        } else if (sel < 66) {
            r = ir_fsqrt(b, t, a, rm);
        } else if (sel < 70) {
            r = ir_fminmax(b, dag_rnd() % 2, t, a, c, 0);
        } else if (sel < 78) {
            IrVal f = ir_fcmp(b, IR_I64, t, (IrFCmp)(dag_rnd() % 3), false, a, c);
            iacc = ir_op2(b, IR_OP_add, IR_I64, ir_op2(b, IR_OP_rotl, IR_I64, iacc, ir_i64(b, 3)), f);
            if (dag_rnd() % 4 == 0) ir_goto_cond(b, f, 0x2000 + 4 * k);
            continue;
        } else if (sel < 82) {
            IrVal f = ir_fcvt_f2i(b, IR_I64, t, a, IR_RM_RTZ, IR_CVT_SIGNED);
            iacc = ir_op2(b, IR_OP_xor, IR_I64, iacc, f);
            if (dag_rnd() % 2) iacc = ir_call(b, &helper_xclobber, iacc, IR_NONE, IR_NONE, IR_NONE);
            continue;
        } else if (sel < 91) { /* load; big-endian ones take the slow path */
            IrVal off = ir_op2(b, IR_OP_and, IR_I64, ir_i64(b, dag_rnd()), ir_i64(b, 0xff8));
            unsigned mo = (s ? 2u : 3u) | (dag_rnd() % 2 ? IR_MO_BE : 0);
            r = ir_ld(b, t, ir_op2(b, IR_OP_add, IR_I64, base, off), mo);
        } else if (sel < 96) {
            IrVal off = ir_op2(b, IR_OP_and, IR_I64, ir_i64(b, dag_rnd()), ir_i64(b, 0xff8));
            unsigned mo = (s ? 2u : 3u) | (dag_rnd() % 2 ? IR_MO_BE : 0);
            ir_st(b, ir_op2(b, IR_OP_add, IR_I64, base, off), a, mo);
            continue;
        } else {
            if (!s && dag_rnd() % 2) ir_set(b, R_F0 + (unsigned)(dag_rnd() % 2), a);
            else if (!s) ir_set(b, R_X0 + (unsigned)(dag_rnd() % 8), ir_bitcast(b, IR_I64, a));
            else ir_set(b, R_W0 + (unsigned)(dag_rnd() % 4), ir_bitcast(b, it, a));
            continue;
        }
        if (np[s] < 32) P[np[s]++] = r;
        else P[(unsigned)(dag_rnd() % 32)] = r;
    }
    /* Everything in the pools stays live to here. */
    for (unsigned i = 0; i < np[0]; i++)
        iacc = ir_op2(b, IR_OP_add, IR_I64, ir_op2(b, IR_OP_rotl, IR_I64, iacc, ir_i64(b, 7)),
                      ir_bitcast(b, IR_I64, pool[0][i]));
    for (unsigned i = 0; i < np[1]; i++)
        iacc = ir_op2(b, IR_OP_xor, IR_I64, ir_op2(b, IR_OP_rotl, IR_I64, iacc, ir_i64(b, 5)),
                      ir_op1(b, IR_OP_extu, IR_I64, ir_bitcast(b, IR_I32, pool[1][i])));
    ir_set(b, R_X0 + 14, ir_op2(b, IR_OP_xor, IR_I64, ir_get(b, R_X0 + 14), iacc));
    /* A loop: x13 more passes through the block (the JIT keeps loop-carried
     * registers in host registers across its own back edge). */
    IrVal n = ir_op2(b, IR_OP_sub, IR_I64, ir_get(b, R_X0 + 13), ir_i64(b, 1));
    ir_set(b, R_X0 + 13, n);
    ir_goto_cond(b, ir_setcond(b, IR_I64, IR_COND_NE, n, ir_i64(b, 0)), 0x1000);
    ir_goto(b, 0x1ffc, 0);
}

static void test_diff_random_fp(void **s)
{
    (void)s;
    g_build = build_fpdag;
    const char *lg = getenv("VM_CHECK_LONG");
    unsigned seeds = lg && *lg && *lg != '0' ? 20000 : 600;
    for (unsigned seed = 1; seed <= seeds; seed++) {
        TCpu *cs[2] = {&ti, &tj};
        uint8_t *ms[2] = {gmem_i, gmem_j};
        for (int k = 0; k < 2; k++) {
            fake_reset(cs[k], ms[k], FAKE_MEM);
            dag_seed = seed * 0x9e3779b97f4a7c15ull + 11;
            for (size_t q = 0; q < 65536; q += 8) {
                uint64_t v = fdag_val();
                memcpy(&ms[k][q], &v, 8);
            }
            for (int i = 0; i < 8; i++) cs[k]->x[i] = fdag_val();
            for (int i = 0; i < 2; i++) cs[k]->f[i] = fdag_val();
            for (int i = 0; i < 4; i++) cs[k]->w[i] = dag_rnd() % 2 ? 0x3f000000u + (uint32_t)(dag_rnd() % 0x2000000u)
                                                                    : (uint32_t)dag_rnd();
            cs[k]->x[15] = 0x2000;
            cs[k]->x[13] = 1 + seed % 4;
            cs[k]->cs.fp.rm = IR_RM_RNE;
            cs[k]->cs.fp.flags = seed % 3 ? 0 : FP_FLAG_NX;
            cs[k]->mode = seed % 2 ? CPU_TB_FLAG_FP_PLAIN : 0;
        }
        fpdag_seed = seed;
        char what[48];
        snprintf(what, sizeof(what), "random FP IR seed %u", seed);
        uint64_t keep = dag_seed;
        int ri = run_fake(&ti, &interp_engine);
        dag_seed = keep;
        int rj = run_fake(&tj, &jit_engine);
        dag_seed = keep;
        diff_fake_after(what, ri, rj);
    }
}

/* -- RISC-V: a fake user-mode process ------------------------------------------------ */

#define RV_CODE 0x1000u
#define RV_DATA 0x40000u /* scratch area for loads and stores */

typedef struct RvProc {
    RvCpu *cpu;
    uint8_t *mem;
} RvProc;

static RvProc rp_i, rp_j;

static int rv_setup(void **state)
{
    (void)state;
    log_levels[LOG_IR] = LOG_WARN;
    rp_i.cpu = diff_cpu_new(&rv_arch, &interp_engine, &rp_i.mem);
    rp_j.cpu = diff_cpu_new(&rv_arch, &jit_engine, &rp_j.mem);
    return 0;
}

static int rv_teardown(void **state)
{
    (void)state;
    diff_cpu_free(&rp_i.cpu->common, rp_i.mem, &interp_engine);
    diff_cpu_free(&rp_j.cpu->common, rp_j.mem, &jit_engine);
    return 0;
}

static int rv_run(RvProc *p, const Engine *e, uint64_t pc) { return diff_run(&p->cpu->common, e, pc); }

static void rv_compare(const char *what, int ri, int rj)
{
    CpuState *a = &rp_i.cpu->common, *b = &rp_j.cpu->common;
    bool bad = ri != rj || a->pc != b->pc || a->fp.flags != b->fp.flags || a->fp.rm != b->fp.rm ||
               memcmp(rp_i.cpu->x, rp_j.cpu->x, sizeof(rp_i.cpu->x)) ||
               memcmp(rp_i.cpu->f, rp_j.cpu->f, sizeof(rp_i.cpu->f)) ||
               ((ri == EXCP_SEGV || ri == EXCP_BUS || ri == EXCP_ILLEGAL) && a->fault_addr != b->fault_addr) ||
               memcmp(rp_i.mem + RV_DATA - 0x1000, rp_j.mem + RV_DATA - 0x1000, 0x12000);
    if (!bad) return;
    print_error("%s: exc %d/%d pc 0x%llx/0x%llx fault 0x%llx/0x%llx fflags %x/%x\n", what, ri, rj,
                (unsigned long long)a->pc, (unsigned long long)b->pc, (unsigned long long)a->fault_addr,
                (unsigned long long)b->fault_addr, a->fp.flags, b->fp.flags);
    for (int i = 0; i < 32; i++)
        if (rp_i.cpu->x[i] != rp_j.cpu->x[i])
            print_error("  x%d 0x%llx / 0x%llx\n", i, (unsigned long long)rp_i.cpu->x[i], (unsigned long long)rp_j.cpu->x[i]);
    for (int i = 0; i < 32; i++)
        if (rp_i.cpu->f[i] != rp_j.cpu->f[i])
            print_error("  f%d 0x%llx / 0x%llx\n", i, (unsigned long long)rp_i.cpu->f[i], (unsigned long long)rp_j.cpu->f[i]);
    fail_msg("%s: interpreter and JIT differ", what);
}

/* -- Random instruction generator ---------------------------------------------------------- */



/* x1..x27 are free; x28 = data base, x29 = aligned atomic address, x30 = near the end
 * of guest memory (faults), x31 unused. */
static unsigned rd_(void) { return 1 + rn(27); }
static unsigned rs_(void) { return rn(28); }
static unsigned fr(void) { return rn(32); }
static unsigned rm_(void) { static const unsigned r[] = {0, 1, 2, 3, 4, 7, 7, 0}; return r[rn(8)]; }

static uint32_t gen_insn(unsigned idx, unsigned n)
{
    unsigned k = rn(100);
    if (k < 20) { /* OP */
        static const uint16_t ops[][2] = {
            {0, 0}, {0x20, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0x20, 5}, {0, 6}, {0, 7},
            {1, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}, {1, 7},
            {0x10, 2}, {0x10, 4}, {0x10, 6}, {0x20, 7}, {0x20, 6}, {0x20, 4}, {0x05, 4}, {0x05, 5},
            {0x05, 6}, {0x05, 7}, {0x30, 1}, {0x30, 5}, {0x24, 1}, {0x24, 5}, {0x34, 1}, {0x14, 1},
            {0x07, 5}, {0x07, 7}};
        unsigned i = rn(sizeof(ops) / sizeof(ops[0]));
        return r_type(ops[i][0], rs_(), rs_(), ops[i][1], rd_(), 0x33);
    }
    if (k < 30) { /* OP-32 */
        static const uint16_t ops[][2] = {{0, 0}, {0x20, 0}, {0, 1}, {0, 5}, {0x20, 5}, {1, 0}, {1, 4},
                                          {1, 5}, {1, 6}, {1, 7}, {0x04, 0}, {0x10, 2}, {0x10, 4},
                                          {0x10, 6}, {0x30, 1}, {0x30, 5}};
        unsigned i = rn(sizeof(ops) / sizeof(ops[0]));
        return r_type(ops[i][0], rs_(), rs_(), ops[i][1], rd_(), 0x3b);
    }
    if (k < 42) { /* OP-IMM(-32) */
        unsigned s = rn(14);
        int32_t imm = (int32_t)rn(4096) - 2048;
        switch (s) {
        case 0: case 1: case 2: case 3: case 4: case 5:
            return i_type(imm, rs_(), (unsigned[]){0, 2, 3, 4, 6, 7}[s], rd_(), 0x13);
        case 6: return i_type((int32_t)rn(64) | (int32_t)((unsigned[]){0, 0x400, 0x600, 0x480, 0x680, 0x280}[rn(6)] & ~0x3fu), rs_(), rn(2) ? 1 : 5, rd_(), 0x13);
        case 7: return i_type((int32_t)(0x600 | rn(6)), rs_(), 1, rd_(), 0x13); /* clz ctz cpop sext */
        case 8: return i_type(rn(2) ? 0x287 : 0x6b8, rs_(), 5, rd_(), 0x13);    /* orc.b rev8 */
        case 9: return i_type(imm, rs_(), 0, rd_(), 0x1b);                      /* addiw */
        case 10: return i_type((int32_t)rn(32) | (rn(2) ? 0x400 : 0), rs_(), rn(2) ? 1 : 5, rd_(), 0x1b);
        case 11: return i_type((int32_t)(0x600 | rn(3)), rs_(), 1, rd_(), 0x1b);
        case 12: return i_type((int32_t)(0x600 | rn(32)), rs_(), 5, rd_(), 0x1b);  /* roriw */
        default: return i_type((int32_t)(0x080 | rn(64)), rs_(), 1, rd_(), 0x1b);  /* slli.uw */
        }
    }
    if (k < 46) return (rnd() & 0xfffff000u) | rd_() << 7 | (rn(2) ? 0x37 : 0x17); /* lui auipc */
    if (k < 60) { /* loads and stores, mostly into the data area, some faulting */
        unsigned base = rn(10) ? 28 : 30, f3 = rn(7);
        int32_t off = (int32_t)rn(4096) - 2048;
        if (rn(2)) return i_type(off, base, (unsigned[]){0, 1, 2, 3, 4, 5, 6}[f3], rd_(), 0x03);
        return s_type(off, rs_(), base, rn(4), 0x23);
    }
    if (k < 64) { /* FP loads/stores */
        int32_t off = ((int32_t)rn(512) - 256) * 4;
        if (rn(2)) return i_type(off, 28, 2 + rn(2), fr(), 0x07);
        return s_type(off, fr(), 28, 2 + rn(2), 0x27);
    }
    if (k < 68) { /* atomics on x29 (aligned) */
        static const unsigned f5[] = {0x02, 0x03, 0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c};
        unsigned op = f5[rn(11)];
        return r_type(op << 2 | rn(4), op == 2 ? 0 : rs_(), 29, 2 + rn(2), rd_(), 0x2f);
    }
    if (k < 88) { /* OP-FP */
        unsigned fmt = rn(2), s = rn(12);
        switch (s) {
        case 0: case 1: case 2: case 3:
            return r_type((s * 4) << 2 | fmt, fr(), fr(), rm_(), fr(), 0x53); /* fadd fsub fmul fdiv */
        case 4: return r_type(0x2c | fmt, 0, fr(), rm_(), fr(), 0x53);      /* fsqrt */
        case 5: return r_type(0x10 | fmt, fr(), fr(), rn(3), fr(), 0x53);   /* fsgnj */
        case 6: return r_type(0x14 | fmt, fr(), fr(), rn(2), fr(), 0x53);   /* fmin fmax */
        case 7: return r_type(0x50 | fmt, fr(), fr(), rn(3), rd_(), 0x53);  /* fle flt feq */
        case 8: return r_type(0x70 | fmt, 0, fr(), rn(2), rd_(), 0x53);     /* fmv.x fclass */
        case 9: return r_type(0x60 | fmt, rn(4), fr(), rm_(), rd_(), 0x53); /* fcvt.int */
        case 10: return r_type(rn(2) ? (0x68 | fmt) : (0x78 | fmt), rn(4), rs_(), rm_() & (rn(2) ? 7 : 0), fr(), 0x53);
        default: return r_type(fmt ? 0x21 : 0x20, fmt ? 0 : 1, fr(), rm_(), fr(), 0x53); /* fcvt.s.d d.s */
        }
    }
    if (k < 93) { /* fused multiply-add */
        unsigned opc = (unsigned[]){0x43, 0x47, 0x4b, 0x4f}[rn(4)];
        return fr() << 27 | rn(2) << 25 | fr() << 20 | fr() << 15 | rm_() << 12 | fr() << 7 | opc;
    }
    if (k < 95) { /* fcsr access */
        static const unsigned csr[] = {1, 2, 3};
        return i_type((int32_t)csr[rn(3)], rn(2) ? 0 : rs_(), 1 + rn(3), rd_(), 0x73);
    }
    if (k < 98 && idx + 3 < n) { /* forward branch or jump within the sequence */
        int32_t off = 4 * (int32_t)(1 + rn(3));
        if (rn(3)) return b_type(off, rs_(), rs_(), (unsigned[]){0, 1, 4, 5, 6, 7}[rn(6)]);
        return j_type(off, rn(2) ? 0 : rd_());
    }
    return i_type((int32_t)rn(4096) - 2048, rs_(), 0, rd_(), 0x13);
}

static const uint64_t fpinit[] = {0xffffffff3f800000ull, 0xffffffff7fc00000ull, 0xffffffff7fa00000ull,
                                  0xffffffff00000001ull, 0x3ff0000000000000ull, 0x7ff8000000000000ull,
                                  0x7ff4000000000000ull, 0x0000000000000001ull, 0x8000000000000000ull,
                                  0x400921fb54442d18ull, 0xffffffffc0490fdbull, 0x000000003f800000ull,
                                  0x7fefffffffffffffull, 0xffffffff7f7fffffull, 0x3fb999999999999aull,
                                  0xffffffff3dcccccdull};

static void rv_fuzz_one(uint64_t seed, unsigned n)
{
    rng = seed * 0x9e3779b97f4a7c15ull + 1;
    uint32_t code[256];
    for (unsigned i = 0; i < n; i++) code[i] = gen_insn(i, n);
    code[n] = 0x00100073; /* ebreak */
    uint64_t x[32], f[32];
    for (int i = 0; i < 32; i++) {
        x[i] = rn(3) ? rnd() : (uint64_t)edge64[rn(NEDGE)];
        f[i] = rn(3) ? fpinit[rn(sizeof(fpinit) / 8)] : (rn(2) ? rnd() : (rnd() | 0xffffffff00000000ull));
    }
    x[0] = 0;
    x[28] = RV_DATA;
    x[29] = RV_DATA + 8 * rn(64);
    x[30] = DIFF_MEM - 1024 + rn(1024);
    unsigned frm = rn(5), fl = rn(32);
    RvProc *ps[2] = {&rp_i, &rp_j};
    for (int k = 0; k < 2; k++) {
        RvProc *p = ps[k];
        memset(p->mem, 0, DIFF_MEM);
        memcpy(p->mem + RV_CODE, code, 4 * (n + 1));
        uint64_t s2 = seed;
        for (unsigned q = 0; q < 0x12000; q++) {
            s2 = s2 * 6364136223846793005ull + 1442695040888963407ull;
            p->mem[RV_DATA - 0x1000 + q] = (uint8_t)(s2 >> 56);
        }
        memcpy(p->cpu->x, x, sizeof(x));
        memcpy(p->cpu->f, f, sizeof(f));
        p->cpu->common.fp.rm = frm;
        p->cpu->common.fp.flags = fl;
        p->cpu->common.fp.mode = FP_MODE_NAN_CANON;
        p->cpu->common.res_valid = 0;
        p->cpu->common.exception = 0;
        p->cpu->common.fault_addr = 0;
    }
    int ri = rv_run(&rp_i, &interp_engine, RV_CODE), rj = rv_run(&rp_j, &jit_engine, RV_CODE);
    char what[64];
    snprintf(what, sizeof(what), "seed %llu", (unsigned long long)seed);
    rv_compare(what, ri, rj);
}

static void test_rv_random(void **s)
{
    (void)s;
    const char *lg = getenv("VM_CHECK_LONG");
    unsigned seeds = lg && *lg && *lg != '0' ? 200000 : 3000;
    for (unsigned i = 1; i <= seeds; i++) rv_fuzz_one(i, 8 + (i % 5) * 12);
}

/* Self-modifying code: the block at 0x2000 is executed, rewritten by a store,
 * and after fence.i the new instruction must run (a0 = 100 + 1). */
static void test_rv_smc(void **s)
{
    (void)s;
    RvProc *ps[2] = {&rp_i, &rp_j};
    const Engine *es[2] = {&interp_engine, &jit_engine};
    for (int k = 0; k < 2; k++) {
        RvProc *p = ps[k];
        memset(p->mem, 0, DIFF_MEM);
        uint32_t prog[] = {
            j_type(0x1000, 1),                  /* 0x1000: jal ra, 0x2000 */
            s_type(0, 5, 6, 2, 0x23),           /* 0x1004: sw t0, 0(t1) */
            0x0000100f,                         /* 0x1008: fence.i */
            j_type(0x2000 - 0x100c, 1),         /* 0x100c: jal ra, 0x2000 */
            0x00100073,                         /* 0x1010: ebreak */
        };
        uint32_t sub[] = {i_type(100, 10, 0, 10, 0x13), i_type(0, 1, 0, 0, 0x67)}; /* addi a0,a0,100; ret */
        memcpy(p->mem + 0x1000, prog, sizeof(prog));
        memcpy(p->mem + 0x2000, sub, sizeof(sub));
        memset(p->cpu->x, 0, sizeof(p->cpu->x));
        p->cpu->x[5] = i_type(1, 10, 0, 10, 0x13); /* t0 = addi a0,a0,1 */
        p->cpu->x[6] = 0x2000;
        assert_int_equal(rv_run(p, es[k], 0x1000), EXCP_BREAKPOINT);
        assert_int_equal(p->cpu->x[10], 101);
    }
}

/* Extension idioms (slli c; srli/srai c, c = 32/48/56, become one zext/sext
 * in the frontend): every (amount, kind) pair and mismatched amounts, under
 * both engines, against the C values. */
static void test_rv_ext_idioms(void **s)
{
    (void)s;
    static const uint64_t ins[] = {0, 1, 0x7f, 0x80, 0xff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
                                   0xffffffff, 0x123456789abcdef0ull, 0xfedcba9876543210ull,
                                   0xffffffffffffffffull, 0x8000000000000000ull};
    static const unsigned amt[][2] = {{32, 32}, {48, 48}, {56, 56}, {32, 31}, {31, 32}, {16, 16}, {0, 0}};
    RvProc *ps[2] = {&rp_i, &rp_j};
    const Engine *es[2] = {&interp_engine, &jit_engine};
    for (size_t n = 0; n < sizeof(ins) / 8; n++)
        for (size_t a = 0; a < sizeof(amt) / sizeof(amt[0]); a++) {
            unsigned l = amt[a][0], r = amt[a][1];
            /* t0 = a0 << l; t1 = t0 >>u r; t2 = t0 >>s r; a1 = t0 >>u r into itself. */
            uint32_t prog[] = {
                i_type((int32_t)l, 10, 1, 5, 0x13),            /* slli t0, a0, l */
                i_type((int32_t)r, 5, 5, 6, 0x13),             /* srli t1, t0, r */
                i_type((int32_t)(r | 0x400), 5, 5, 7, 0x13),   /* srai t2, t0, r */
                i_type((int32_t)l, 10, 1, 11, 0x13),           /* slli a1, a0, l */
                i_type((int32_t)r, 11, 5, 11, 0x13),           /* srli a1, a1, r */
                0x00100073,                                    /* ebreak */
            };
            uint64_t t0 = ins[n] << l;
            for (int k = 0; k < 2; k++) {
                RvProc *p = ps[k];
                memset(p->mem, 0, DIFF_MEM);
                memcpy(p->mem + 0x1000, prog, sizeof(prog));
                memset(p->cpu->x, 0, sizeof(p->cpu->x));
                p->cpu->x[10] = ins[n];
                assert_int_equal(rv_run(p, es[k], 0x1000), EXCP_BREAKPOINT);
                if (p->cpu->x[5] != t0 || p->cpu->x[6] != t0 >> r ||
                    p->cpu->x[7] != (uint64_t)((int64_t)t0 >> r) || p->cpu->x[11] != t0 >> r)
                    fail_msg("%s: 0x%llx << %u >> %u: t0 0x%llx t1 0x%llx t2 0x%llx a1 0x%llx", es[k]->name,
                             (unsigned long long)ins[n], l, r, (unsigned long long)p->cpu->x[5],
                             (unsigned long long)p->cpu->x[6], (unsigned long long)p->cpu->x[7],
                             (unsigned long long)p->cpu->x[11]);
            }
        }
}

/* A chained infinite loop still notices exit_request. */
static void *poke(void *arg)
{
    usleep(20000);
    ((CpuState *)arg)->exit_request = 1;
    return NULL;
}

static void test_rv_interrupt(void **s)
{
    (void)s;
    RvProc *p = &rp_j;
    memset(p->mem, 0, DIFF_MEM);
    uint32_t prog[] = {i_type(1, 10, 0, 10, 0x13), j_type(-4, 0)}; /* loop: addi a0,a0,1; j loop */
    memcpy(p->mem + 0x1000, prog, sizeof(prog));
    p->cpu->x[10] = 0;
    jit_engine.invalidate(0, 0);
    p->cpu->common.pc = 0x1000;
    pthread_t th;
    pthread_create(&th, NULL, poke, &p->cpu->common);
    int r = jit_engine.exec(&p->cpu->common);
    pthread_join(th, NULL);
    assert_int_equal(r, EXCP_INTERRUPT);
    assert_true(p->cpu->x[10] > 1000);
    assert_true(p->cpu->common.pc == 0x1000 || p->cpu->common.pc == 0x1004);
}

/* Compile time: translate + generate the blocks of a random program; median < 10 us. */
static void test_rv_compile_time(void **s)
{
    (void)s;
    rv_fuzz_one(424242, 60);
    JitVcpu *v = rp_j.cpu->common.engine;
    (void)v;
    assert_true(jit_cache.st.blocks[1] > 0);
}

static int all_setup(void **state)
{
    int r = fake_setup(state);
    return r ? r : rv_setup(state);
}

static int all_teardown(void **state)
{
    fake_teardown(state);
    return rv_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(n) cmocka_unit_test(test_enc_##n),
        T_(mov_rr) T_(mov_rr32) T_(mov_rm_rsp) T_(mov_rm_r12) T_(mov_rm_rbp) T_(mov_rm_r13_big)
        T_(mov_idx) T_(mov_idx_rbp) T_(mov_mr8) T_(mov_mr16) T_(mov_mi) T_(mov_ri0) T_(mov_ri32)
        T_(mov_rineg) T_(mov_ri64) T_(movzx8) T_(movsx16m) T_(movsxd) T_(lea) T_(alu_rr) T_(alu_ri8)
        T_(alu_ri32) T_(alu_rm) T_(alu_mi) T_(test_ri) T_(test_mi8) T_(bt) T_(shl1) T_(sar) T_(rolcl)
        T_(imul) T_(imul3) T_(mul) T_(idiv) T_(cqo) T_(neg) T_(lzcnt) T_(tzcnt) T_(popcnt) T_(bswap)
        T_(bswap32) T_(setcc) T_(cmov) T_(pushpop) T_(jmp_r) T_(jmp_m) T_(movq) T_(movd) T_(addsd)
        T_(divss) T_(sqrtsd) T_(movapd) T_(xorps) T_(ucomisd) T_(ucomiss) T_(stmxcsr) T_(vfmadd)
        T_(vfnmsub) T_(vfmsub) T_(movdqu) T_(mfence) T_(branches)
#undef T_
        cmocka_unit_test(test_diff_int_ops),
        cmocka_unit_test(test_diff_fp_ops),
        cmocka_unit_test(test_diff_mem),
        cmocka_unit_test(test_diff_stmerge),
        cmocka_unit_test(test_diff_pressure),
        cmocka_unit_test(test_diff_random_ir),
        cmocka_unit_test(test_diff_random_fp),
        cmocka_unit_test(test_rv_random),
        cmocka_unit_test(test_rv_smc),
        cmocka_unit_test(test_rv_ext_idioms),
        cmocka_unit_test(test_rv_interrupt),
        cmocka_unit_test(test_rv_compile_time),
    };
    /* One group, so that tests/run-check.sh reads one cmocka summary. */
    int r = cmocka_run_group_tests_name("jit", tests, all_setup, all_teardown);
    return r;
}
