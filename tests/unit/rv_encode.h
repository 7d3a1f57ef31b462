/* SPDX-License-Identifier: MIT */
/* Shared by the RISC-V unit tests that assemble instructions by hand
 * (test_jit, test_jit_fuzz): the base formats of the unprivileged spec,
 * chapter 2.2-2.3 (branch and jump offsets in bytes, as in assembly). */
#ifndef VM_TEST_RV_ENCODE_H
#define VM_TEST_RV_ENCODE_H

#include <stdint.h>

static inline uint32_t r_type(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd, unsigned opc)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}
static inline uint32_t i_type(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned opc)
{
    return (uint32_t)(imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}
static inline uint32_t s_type(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned opc)
{
    return (uint32_t)((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           (uint32_t)(imm & 0x1f) << 7 | opc;
}
/* Conditional branch (opcode BRANCH); off is a byte offset, bit 0 dropped. */
static inline uint32_t b_type(int32_t off, unsigned rs2, unsigned rs1, unsigned f3)
{
    uint32_t o = (uint32_t)off;
    return ((o >> 12) & 1) << 31 | ((o >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           ((o >> 1) & 0xf) << 8 | ((o >> 11) & 1) << 7 | 0x63;
}
/* jal rd, off. */
static inline uint32_t j_type(int32_t off, unsigned rd)
{
    uint32_t o = (uint32_t)off;
    return ((o >> 20) & 1) << 31 | ((o >> 1) & 0x3ff) << 21 | ((o >> 11) & 1) << 20 |
           ((o >> 12) & 0xff) << 12 | rd << 7 | 0x6f;
}
static inline uint32_t u_type(uint32_t imm20, unsigned rd, unsigned opc) { return imm20 << 12 | rd << 7 | opc; }

#endif
