/* SPDX-License-Identifier: MIT */
/* Advanced SIMD operations the frontend hands to a64_helper_simd (simd.c),
 * and the operand descriptor both sides share. */
#ifndef VM_A64_SIMD_H
#define VM_A64_SIMD_H

#define A64_SIMD_OPS(X) \
    X(SHADD) X(UHADD) X(SRHADD) X(URHADD) X(SHSUB) X(UHSUB) X(SQADD) X(UQADD) X(SQSUB) \
    X(UQSUB) X(CMGT) X(CMGE) X(CMHI) X(CMHS) X(CMEQ) X(CMTST) X(SSHL) X(USHL) X(SQSHL) \
    X(UQSHL) X(SRSHL) X(URSHL) X(SQRSHL) X(UQRSHL) X(SMAX) X(SMIN) X(UMAX) X(UMIN) X(SABD) \
    X(UABD) X(SABA) X(UABA) X(ADD) X(SUB) X(MLA) X(MLS) X(MUL) X(PMUL) X(SMAXP) X(SMINP) \
    X(UMAXP) X(UMINP) X(ADDP) X(SQDMULH) X(SQRDMULH) X(AND) X(BIC) X(ORR) X(ORN) X(EOR) \
    X(BSL) X(BIT) X(BIF) \
    X(FMAXNM) X(FMINNM) X(FMLA) X(FMLS) X(FADD) X(FSUB) X(FMULX) X(FCMEQ) X(FMAX) X(FMIN) \
    X(FRECPS) X(FRSQRTS) X(FMAXNMP) X(FMINNMP) X(FADDP) X(FABD) X(FMUL) X(FCMGE) X(FCMGT) \
    X(FACGE) X(FACGT) X(FMAXP) X(FMINP) X(FDIV) \
    X(SADDL) X(UADDL) X(SADDW) X(UADDW) X(SSUBL) X(USUBL) X(SSUBW) X(USUBW) X(ADDHN) \
    X(RADDHN) X(SUBHN) X(RSUBHN) X(SABAL) X(UABAL) X(SABDL) X(UABDL) X(SMLAL) X(UMLAL) \
    X(SMLSL) X(UMLSL) X(SMULL) X(UMULL) X(PMULL) \
    X(REV64) X(REV32) X(REV16) X(SADDLP) X(UADDLP) X(SADALP) X(UADALP) X(CLS) X(CLZ) X(CNT) \
    X(NOT) X(RBIT) X(SQABS) X(SQNEG) X(CMGT0) X(CMEQ0) X(CMLT0) X(CMGE0) X(CMLE0) X(ABS) \
    X(NEG) X(XTN) X(SQXTN) X(UQXTN) X(SQXTUN) X(SHLL) X(FCVTN) X(FCVTL) X(FABS) X(FNEG) \
    X(FSQRT) X(FRINTN) X(FRINTM) X(FRINTP) X(FRINTZ) X(FRINTA) X(FRINTX) X(FRINTI) \
    X(FCVTNS) X(FCVTMS) X(FCVTAS) X(FCVTPS) X(FCVTZS) X(FCVTNU) X(FCVTMU) X(FCVTAU) \
    X(FCVTPU) X(FCVTZU) X(SCVTF) X(UCVTF) X(FCMGT0) X(FCMEQ0) X(FCMLT0) X(FCMGE0) X(FCMLE0) \
    X(SADDLV) X(UADDLV) X(SMAXV) X(UMAXV) X(SMINV) X(UMINV) X(ADDV) X(FMAXNMV) X(FMINNMV) \
    X(FMAXV) X(FMINV) \
    X(SSHR) X(USHR) X(SSRA) X(USRA) X(SRSHR) X(URSHR) X(SRSRA) X(URSRA) X(SRI) X(SHL) X(SLI) \
    X(SQSHLI) X(UQSHLI) X(SQSHLU) X(SHRN) X(RSHRN) X(SQSHRN) X(UQSHRN) X(SQRSHRN) X(UQRSHRN) \
    X(SQSHRUN) X(SQRSHRUN) X(SSHLL) X(USHLL) X(SCVTFX) X(UCVTFX) X(FCVTZSX) X(FCVTZUX) \
    X(UZP1) X(UZP2) X(TRN1) X(TRN2) X(ZIP1) X(ZIP2) X(TBL) X(TBX) X(EXT) \
    X(ADDPS) X(FADDPS) X(FMAXNMPS) X(FMINNMPS) X(FMAXPS) X(FMINPS) \
    X(FRECPE) X(FRSQRTE) X(FRECPX) X(URECPE) X(URSQRTE) \
    X(SQDMULL) X(SQDMLAL) X(SQDMLSL) X(SUQADD) X(USQADD)

typedef enum A64SimdOp {
#define X(n) A64_SIMD_##n,
    A64_SIMD_OPS(X)
#undef X
    A64_SIMD_COUNT
} A64SimdOp;

/* Descriptor: op 0-9, rd 10-14, rn 15-19, rm 20-24, size 25-26, q 27, scalar 28,
 * indexed 29 (rm is replaced by element imm of Vm duplicated), imm 32-47. */
#define A64_SD(op, rd, rn, rm, size, q, scalar, indexed, imm)                               \
    ((uint64_t)(op) | (uint64_t)(rd) << 10 | (uint64_t)(rn) << 15 | (uint64_t)(rm) << 20 |   \
     (uint64_t)(size) << 25 | (uint64_t)(q) << 27 | (uint64_t)(scalar) << 28 |               \
     (uint64_t)(indexed) << 29 | (uint64_t)(imm) << 32)

#endif
