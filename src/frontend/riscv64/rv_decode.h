/* SPDX-License-Identifier: MIT */
/* The !function field helpers of insn32.dec/insn16.dec, shared by the
 * translator and the disassembler (each defines its own DisasContext first). */
#ifndef VM_RV_DECODE_H
#define VM_RV_DECODE_H

static inline __attribute__((unused)) int ex_shift_1(DisasContext *ctx, int x)
{
    (void)ctx;
    return (int)((unsigned)x << 1);
}

static inline __attribute__((unused)) int ex_shift_2(DisasContext *ctx, int x)
{
    (void)ctx;
    return (int)((unsigned)x << 2);
}

static inline __attribute__((unused)) int ex_shift_3(DisasContext *ctx, int x)
{
    (void)ctx;
    return (int)((unsigned)x << 3);
}

static inline __attribute__((unused)) int ex_shift_4(DisasContext *ctx, int x)
{
    (void)ctx;
    return (int)((unsigned)x << 4);
}

static inline __attribute__((unused)) int ex_shift_12(DisasContext *ctx, int x)
{
    (void)ctx;
    return (int)((unsigned)x << 12);
}

/* RVC 3-bit register fields name x8..x15 / f8..f15 (C spec, table 27.2). */
static inline __attribute__((unused)) int ex_rvc_reg(DisasContext *ctx, int x)
{
    (void)ctx;
    return x + 8;
}

#endif
