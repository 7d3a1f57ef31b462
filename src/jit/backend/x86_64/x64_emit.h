/* SPDX-License-Identifier: MIT */
/* x86-64 host instruction encoder: registers, operands (register, memory,
 * RIP-relative), and one x64_emit_* function per instruction form the JIT's
 * templates use. Encodings follow the Intel SDM vol. 2 (chapter 2: REX, ModRM,
 * SIB, VEX); subtle cases are commented where they are encoded. */
#ifndef X64_EMIT_H
#define X64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum X64Reg {
    X64_RAX, X64_RCX, X64_RDX, X64_RBX, X64_RSP, X64_RBP, X64_RSI, X64_RDI,
    X64_R8, X64_R9, X64_R10, X64_R11, X64_R12, X64_R13, X64_R14, X64_R15,
    X64_NOREG = 0xff,
} X64Reg;

/* XMM registers are numbered 0..15 in the same fields. */
enum { X64_XMM0 = 0, X64_XMM1, X64_XMM2, X64_XMM3 };

/* Condition codes (the low nibble of Jcc/SETcc/CMOVcc; SDM vol. 2, appendix B.1.4.7). */
typedef enum X64Cond {
    X64_CC_O = 0, X64_CC_NO, X64_CC_B, X64_CC_AE, X64_CC_E, X64_CC_NE, X64_CC_BE, X64_CC_A,
    X64_CC_S, X64_CC_NS, X64_CC_P, X64_CC_NP, X64_CC_L, X64_CC_GE, X64_CC_LE, X64_CC_G,
} X64Cond;

/* Group-1 ALU ops (/digit of 0x81/0x83 and the base of the 0x01/0x03 forms). */
typedef enum X64Alu {
    X64_ADD = 0, X64_OR, X64_ADC, X64_SBB, X64_AND, X64_SUB, X64_XOR, X64_CMP,
} X64Alu;

/* Group-2 shift/rotate ops (/digit of 0xC1/0xD3). */
typedef enum X64Shift { X64_ROL = 0, X64_ROR = 1, X64_SHL = 4, X64_SHR = 5, X64_SAR = 7 } X64Shift;

/* A memory operand: [base + index*scale + disp], or [rip + disp] when rip
 * (disp is then fixed up against `target` at emission). */
typedef struct X64Mem {
    uint8_t base, index; /* X64_NOREG when absent */
    uint8_t scale;       /* 1, 2, 4, 8 */
    bool rip;
    int32_t disp;
    const void *target; /* rip-relative target */
} X64Mem;

static inline X64Mem x64_mem(X64Reg base, int32_t disp)
{
    return (X64Mem){.base = base, .index = X64_NOREG, .scale = 1, .disp = disp};
}
static inline X64Mem x64_mem_idx(X64Reg base, X64Reg index, unsigned scale, int32_t disp)
{
    return (X64Mem){.base = base, .index = index, .scale = (uint8_t)scale, .disp = disp};
}
static inline X64Mem x64_mem_rip(const void *target)
{
    return (X64Mem){.base = X64_NOREG, .index = X64_NOREG, .scale = 1, .rip = true, .target = target};
}

/* The output buffer. Emission past `end` sets overflow and writes nothing,
 * so a caller can emit a whole block and check once. */
typedef struct X64Emit {
    uint8_t *start, *p, *end;
    bool overflow;
} X64Emit;

static inline void x64_init(X64Emit *e, void *buf, size_t len)
{
    e->start = e->p = buf;
    e->end = (uint8_t *)buf + len;
    e->overflow = false;
}
static inline size_t x64_size(const X64Emit *e) { return (size_t)(e->p - e->start); }

void x64_byte(X64Emit *e, uint8_t b);
void x64_u32(X64Emit *e, uint32_t v);
void x64_u64(X64Emit *e, uint64_t v);
/* Pads with multi-byte NOPs until (p + skew) is a multiple of align. */
void x64_align(X64Emit *e, unsigned align, unsigned skew);

/* -- Integer ---------------------------------------------------------------
 * w: true = 64-bit operation (REX.W), false = 32-bit (which zero-extends the
 * destination register, SDM vol. 1, 3.4.1.1). */
void x64_emit_mov_rr(X64Emit *e, bool w, X64Reg dst, X64Reg src);
void x64_emit_mov_rm(X64Emit *e, bool w, X64Reg dst, X64Mem m);      /* load */
void x64_emit_mov_mr(X64Emit *e, bool w, X64Mem m, X64Reg src);      /* store */
void x64_emit_mov_mr8(X64Emit *e, X64Mem m, X64Reg src);
void x64_emit_mov_mr16(X64Emit *e, X64Mem m, X64Reg src);
void x64_emit_mov_mi(X64Emit *e, bool w, X64Mem m, int32_t imm);     /* store imm (sign-extended) */
/* Loads any 64-bit constant in the shortest form (xor, mov r32, mov r64 simm32, movabs). */
void x64_emit_mov_ri(X64Emit *e, X64Reg dst, uint64_t imm);
void x64_emit_movzx8_rr(X64Emit *e, X64Reg dst, X64Reg src);
void x64_emit_movzx8_rm(X64Emit *e, X64Reg dst, X64Mem m);
void x64_emit_movzx16_rr(X64Emit *e, X64Reg dst, X64Reg src);
void x64_emit_movzx16_rm(X64Emit *e, X64Reg dst, X64Mem m);
void x64_emit_movsx8_rr(X64Emit *e, bool w, X64Reg dst, X64Reg src);
void x64_emit_movsx8_rm(X64Emit *e, bool w, X64Reg dst, X64Mem m);
void x64_emit_movsx16_rr(X64Emit *e, bool w, X64Reg dst, X64Reg src);
void x64_emit_movsx16_rm(X64Emit *e, bool w, X64Reg dst, X64Mem m);
void x64_emit_movsxd_rr(X64Emit *e, X64Reg dst, X64Reg src);
void x64_emit_movsxd_rm(X64Emit *e, X64Reg dst, X64Mem m);
void x64_emit_lea(X64Emit *e, bool w, X64Reg dst, X64Mem m);

void x64_emit_alu_rr(X64Emit *e, X64Alu op, bool w, X64Reg dst, X64Reg src);
void x64_emit_alu_rm(X64Emit *e, X64Alu op, bool w, X64Reg dst, X64Mem m);
void x64_emit_alu_mr(X64Emit *e, X64Alu op, bool w, X64Mem m, X64Reg src);
void x64_emit_alu_ri(X64Emit *e, X64Alu op, bool w, X64Reg dst, int32_t imm);
void x64_emit_alu_mi(X64Emit *e, X64Alu op, bool w, X64Mem m, int32_t imm);
void x64_emit_test_rr(X64Emit *e, bool w, X64Reg a, X64Reg b);
void x64_emit_test_ri(X64Emit *e, bool w, X64Reg a, int32_t imm);
void x64_emit_test_mi8(X64Emit *e, X64Mem m, uint8_t imm);
void x64_emit_bt_ri(X64Emit *e, bool w, X64Reg a, uint8_t bit);

void x64_emit_shift_ri(X64Emit *e, X64Shift op, bool w, X64Reg dst, uint8_t count);
void x64_emit_shift_rcl(X64Emit *e, X64Shift op, bool w, X64Reg dst); /* count in cl */

void x64_emit_imul_rr(X64Emit *e, bool w, X64Reg dst, X64Reg src);
void x64_emit_imul_rri(X64Emit *e, bool w, X64Reg dst, X64Reg src, int32_t imm);
/* F7 group: rdx:rax forms and not/neg. */
void x64_emit_mul_r(X64Emit *e, bool w, X64Reg src);
void x64_emit_imul1_r(X64Emit *e, bool w, X64Reg src);
void x64_emit_div_r(X64Emit *e, bool w, X64Reg src);
void x64_emit_idiv_r(X64Emit *e, bool w, X64Reg src);
void x64_emit_not_r(X64Emit *e, bool w, X64Reg r);
void x64_emit_neg_r(X64Emit *e, bool w, X64Reg r);
void x64_emit_cqo(X64Emit *e, bool w); /* cqo / cdq */

void x64_emit_lzcnt(X64Emit *e, bool w, X64Reg dst, X64Reg src);
void x64_emit_tzcnt(X64Emit *e, bool w, X64Reg dst, X64Reg src);
void x64_emit_popcnt(X64Emit *e, bool w, X64Reg dst, X64Reg src);
void x64_emit_bswap(X64Emit *e, bool w, X64Reg r);

void x64_emit_setcc(X64Emit *e, X64Cond cc, X64Reg dst8);
void x64_emit_cmov(X64Emit *e, X64Cond cc, bool w, X64Reg dst, X64Reg src);

void x64_emit_push(X64Emit *e, X64Reg r);
void x64_emit_pop(X64Emit *e, X64Reg r);
void x64_emit_ret(X64Emit *e);
void x64_emit_mfence(X64Emit *e);

/* -- Control flow -----------------------------------------------------------
 * Jumps to a known target pick rel8 when it fits; the _rel32 forms return the
 * address of their 4-byte displacement for later patching (x64_patch_rel32). */
void x64_emit_jmp(X64Emit *e, const void *target);
uint8_t *x64_emit_jmp_rel32(X64Emit *e, const void *target);
void x64_emit_jcc(X64Emit *e, X64Cond cc, const void *target);
uint8_t *x64_emit_jcc_rel32(X64Emit *e, X64Cond cc, const void *target);
/* Forward rel8 branches: emit with a placeholder, bind once the label is known. */
uint8_t *x64_emit_jcc8_fwd(X64Emit *e, X64Cond cc);
uint8_t *x64_emit_jmp8_fwd(X64Emit *e);
void x64_bind8(X64Emit *e, uint8_t *disp8);
void x64_emit_call(X64Emit *e, const void *target); /* rel32, or via rax when far */
void x64_emit_jmp_r(X64Emit *e, X64Reg r);
void x64_emit_jmp_m(X64Emit *e, X64Mem m);
/* Points the rel32 displacement at disp to target (one aligned 4-byte store). */
void x64_patch_rel32(uint8_t *disp, const void *target);

/* -- SSE / AVX scalar ---------------------------------------------------------- */
void x64_emit_movq_xr(X64Emit *e, int xmm, X64Reg src);  /* movq xmm, r64 */
void x64_emit_movq_rx(X64Emit *e, X64Reg dst, int xmm);  /* movq r64, xmm */
void x64_emit_movd_xr(X64Emit *e, int xmm, X64Reg src);  /* movd xmm, r32 */
void x64_emit_movd_rx(X64Emit *e, X64Reg dst, int xmm);  /* movd r32, xmm */
/* Scalar arithmetic, dbl selects sd/ss: op = 0x58 add, 0x59 mul, 0x5C sub,
 * 0x5E div, 0x51 sqrt. */
void x64_emit_sse_arith(X64Emit *e, uint8_t op, bool dbl, int dst, int src);
/* Any register-register SSE op "prefix 0F op /r" (e.g. 66 0F 28 movapd,
 * 66 0F 57 xorpd). */
void x64_emit_sse_rr(X64Emit *e, uint8_t prefix, uint8_t op, int dst, int src);
void x64_emit_ucomis(X64Emit *e, bool dbl, int a, int b);
void x64_emit_ldmxcsr(X64Emit *e, X64Mem m);
void x64_emit_stmxcsr(X64Emit *e, X64Mem m);
/* FMA3 vfmadd/vfmsub/vfnmadd/vfnmsub 213 form: dst = dst*src2 +- src3
 * (op = 0xA9 madd, 0xAB msub, 0xAD nmadd, 0xAF nmsub; SDM vol. 2, VFMADD213SD). */
void x64_emit_vfma213(X64Emit *e, uint8_t op, bool dbl, int dst, int src2, int src3);
/* movdqu xmm, m128 / m128, xmm */
void x64_emit_movdqu_xm(X64Emit *e, int xmm, X64Mem m);
void x64_emit_movdqu_mx(X64Emit *e, X64Mem m, int xmm);

/* -- SSE2 / SSSE3 / SSE4.1 packed integer --------------------------------------
 * Register-register forms on xmm registers; "66 0F op" ones (PADDB FC, PAND
 * DB, PCMPEQB 74, ...) go through x64_emit_sse_rr(e, 0x66, op, ...). */
/* 66 0F 38 op /r: PSHUFB 00, PABSB 1C, PCMPEQQ 29, PCMPGTQ 37, PMINSB 38, PMULLD 40 ... */
void x64_emit_sse38_rr(X64Emit *e, uint8_t op, int dst, int src);
/* prefix 0F op /r with a memory source (e.g. 66 0F DC PADDUSB xmm, m128: the
 * operand must be 16-byte aligned, SDM vol. 1, 11.4.1). */
void x64_emit_sse_rm(X64Emit *e, uint8_t prefix, uint8_t op, int dst, X64Mem m);
/* PSHUFD (prefix 66) / PSHUFLW (F2) / PSHUFHW (F3) xmm, xmm, imm8. */
void x64_emit_pshuf(X64Emit *e, uint8_t prefix, int dst, int src, uint8_t imm);
/* Shift by immediate: group 0x71 words, 0x72 dwords, 0x73 qwords;
 * digit 2 = PSRL, 4 = PSRA, 6 = PSLL. */
void x64_emit_pshift_ri(X64Emit *e, uint8_t group, unsigned digit, int xmm, uint8_t count);
/* prefix 0F op /r ib on registers: CMPPS (0F C2) / CMPPD (66 0F C2), imm = predicate. */
void x64_emit_sse_rri(X64Emit *e, uint8_t prefix, uint8_t op, int dst, int src, uint8_t imm);
/* PINSRB/W/D/Q xmm, r, lane for lane size 1 << lg bytes (B, D, Q need SSE4.1). */
void x64_emit_pinsr(X64Emit *e, unsigned lg, int xmm, X64Reg src, uint8_t lane);

#endif
