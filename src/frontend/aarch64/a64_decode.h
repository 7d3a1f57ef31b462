/* SPDX-License-Identifier: MIT */
/* The !function field helpers of a64.dec (the includer defines DisasContext
 * with an `insn` member first). */
#ifndef VM_A64_DECODE_H
#define VM_A64_DECODE_H

/* Branch offsets are in words. */
static inline __attribute__((unused)) int ex_shl2(DisasContext *ctx, int x)
{
    (void)ctx;
    return (int)((unsigned)x << 2);
}

/* LDR/STR (unsigned offset): imm12 scaled by the access size; size 00 with
 * opc<1> = 1 on the SIMD&FP side is the 128-bit form (C6.2.x LDR (immediate, SIMD&FP)). */
static inline __attribute__((unused)) int ex_scale_ldst(DisasContext *ctx, int x)
{
    uint32_t i = ctx->insn;
    unsigned sc = i >> 30;
    if (((i >> 26) & 1) && ((i >> 23) & 1)) sc = 4;
    return x << sc;
}

/* LDP/STP: imm7 scaled by the element size (opc and V). */
static inline __attribute__((unused)) int ex_scale_pair(DisasContext *ctx, int x)
{
    uint32_t i = ctx->insn;
    unsigned opc = i >> 30, sc = ((i >> 26) & 1) ? 2 + opc : (opc == 2 ? 3 : 2);
    return (int)((unsigned)x << sc);
}

/* Addressing modes: A64_M_OFF, A64_M_POST, A64_M_PRE. */
enum { A64_M_OFF = 0, A64_M_POST = 1, A64_M_PRE = 2 };

/* Bits 11:10 of the 9-bit immediate forms: 00 unscaled, 01 post-index,
 * 10 unprivileged (at EL0 an ordinary access), 11 pre-index. */
static inline __attribute__((unused)) int ex_ldmode(DisasContext *ctx, int x)
{
    (void)ctx;
    return x == 1 ? A64_M_POST : x == 3 ? A64_M_PRE : A64_M_OFF;
}

/* Bits 24:23 of the pair forms: 00 no-allocate, 01 post, 10 offset, 11 pre. */
static inline __attribute__((unused)) int ex_pmode(DisasContext *ctx, int x)
{
    (void)ctx;
    return x == 1 ? A64_M_POST : x == 3 ? A64_M_PRE : A64_M_OFF;
}

#endif
