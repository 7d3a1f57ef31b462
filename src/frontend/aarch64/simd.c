/* SPDX-License-Identifier: MIT */
/* Advanced SIMD semantics for the operations the frontend does not express
 * with IR vector ops (DDI 0487 C7.2; pseudocode in J1 shared/functions/vector),
 * and the LDn/STn structure accesses. Called as IR helpers on the A64Cpu
 * register file; saturation sets FPSR.QC, FP lanes use the guest's FpCtl. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "frontend/aarch64/a64_cpu.h"
#include "vm/fp.h"

#include "a64_internal.h"
#include "a64_simd.h"

typedef struct V { uint64_t d[2]; } V;

static uint64_t gl(const V *v, int esz, int i)
{
    const uint8_t *p = (const uint8_t *)v->d;
    switch (esz) {
    case 0: return p[i];
    case 1: { uint16_t x; memcpy(&x, p + 2 * i, 2); return x; }
    case 2: { uint32_t x; memcpy(&x, p + 4 * i, 4); return x; }
    default: return v->d[i & 1];
    }
}

static int64_t sgl(const V *v, int esz, int i)
{
    uint64_t x = gl(v, esz, i);
    int sh = 64 - (8 << esz);
    return sh ? (int64_t)(x << sh) >> sh : (int64_t)x;
}

static void sl(V *v, int esz, int i, uint64_t x)
{
    uint8_t *p = (uint8_t *)v->d;
    switch (esz) {
    case 0: p[i] = (uint8_t)x; break;
    case 1: { uint16_t y = (uint16_t)x; memcpy(p + 2 * i, &y, 2); break; }
    case 2: { uint32_t y = (uint32_t)x; memcpy(p + 4 * i, &y, 4); break; }
    default: v->d[i & 1] = x; break;
    }
}

static uint64_t emask(int esz) { return esz == 3 ? ~0ull : (1ull << (8 << esz)) - 1; }
static int64_t smax_of(int esz) { return (int64_t)(emask(esz) >> 1); }
static int64_t smin_of(int esz) { return -smax_of(esz) - 1; }

/* Saturation to the element range; sets QC when it clips. */
static uint64_t sat_s(A64Cpu *c, int esz, __int128 x)
{
    if (x > smax_of(esz)) { c->qc = 1; return (uint64_t)smax_of(esz); }
    if (x < smin_of(esz)) { c->qc = 1; return (uint64_t)smin_of(esz); }
    return (uint64_t)(int64_t)x;
}

static uint64_t sat_u(A64Cpu *c, int esz, __int128 x)
{
    if (x < 0) { c->qc = 1; return 0; }
    if ((unsigned __int128)x > emask(esz)) { c->qc = 1; return emask(esz); }
    return (uint64_t)x;
}

/* Shift by a signed register amount (SSHL/USHL/SQSHL/SRSHL...: J1 shared
 * "ShiftSat"/"RShr"): the shift is the signed low byte of the operand. */
static uint64_t shl_reg(A64Cpu *c, int esz, uint64_t a, int64_t sa, int8_t sh, bool sign, bool round,
                        bool sat)
{
    int w = 8 << esz;
    __int128 x = sign ? (__int128)sa : (__int128)a, r;
    if (sh >= 0) {
        if (!sat) return sh >= w ? 0 : a << sh;
        /* A nonzero element shifted left by esize or more is out of range
         * whatever the exact value: any number beyond 2^64 saturates the same. */
        if (sh >= w) r = x == 0 ? 0 : x < 0 ? -((__int128)1 << 100) : ((__int128)1 << 100);
        else r = x * ((__int128)1 << sh); /* |x| <= 2^64, sh <= 63: fits */
        return sign ? sat_s(c, esz, r) : sat_u(c, esz, r);
    }
    int n = -sh;
    if (round) {
        if (n > w) return 0;
        r = (x + ((__int128)1 << (n - 1))) >> n;
    } else {
        r = n >= w ? (x < 0 ? -1 : 0) : x >> n;
    }
    if (sat) return sign ? sat_s(c, esz, r) : sat_u(c, esz, r);
    return (uint64_t)r;
}

static IrType ft_of(int esz) { return esz == 3 ? IR_F64 : IR_F32; }

static uint64_t fneg(int esz, uint64_t x) { return x ^ (esz == 3 ? 1ull << 63 : 1ull << 31); }
static uint64_t fabs_(int esz, uint64_t x) { return x & ~(esz == 3 ? 1ull << 63 : 1ull << 31); }

static uint64_t fone(int esz, int k) /* k * 1.0 for small k (2.0, 3.0, 1.5 via k=-1) */
{
    if (esz == 3) return k == 2 ? 0x4000000000000000ull : k == 3 ? 0x4008000000000000ull : 0x3ff8000000000000ull;
    return k == 2 ? 0x40000000u : k == 3 ? 0x40400000u : 0x3fc00000u;
}

static bool fis_inf(int esz, uint64_t x)
{
    return esz == 3 ? (x & ~(1ull << 63)) == 0x7ff0000000000000ull : (x & 0x7fffffffu) == 0x7f800000u;
}

static bool fis_zero(int esz, uint64_t x)
{
    return esz == 3 ? (x & ~(1ull << 63)) == 0 : (x & 0x7fffffffu) == 0;
}

static uint64_t fp3(CpuState *cpu, int op, int esz, uint64_t a, uint64_t b, uint64_t d)
{
    FpCtl *f = &cpu->fp;
    IrType t = ft_of(esz);
    uint64_t ones = emask(esz);
    switch (op) {
    case A64_SIMD_FADD: case A64_SIMD_FADDP: case A64_SIMD_FADDPS: return fp_add(f, t, a, b, IR_RM_DYN);
    case A64_SIMD_FSUB: return fp_sub(f, t, a, b, IR_RM_DYN);
    case A64_SIMD_FMUL: return fp_mul(f, t, a, b, IR_RM_DYN);
    case A64_SIMD_FMULX:
        /* FPMulX: inf * 0 = +/-2.0 instead of the default NaN. */
        if ((fis_inf(esz, a) && fis_zero(esz, b)) || (fis_zero(esz, a) && fis_inf(esz, b)))
            return fone(esz, 2) | ((a ^ b) & (esz == 3 ? 1ull << 63 : 1ull << 31));
        return fp_mul(f, t, a, b, IR_RM_DYN);
    case A64_SIMD_FDIV: return fp_div(f, t, a, b, IR_RM_DYN);
    case A64_SIMD_FABD: return fabs_(esz, fp_sub(f, t, a, b, IR_RM_DYN));
    case A64_SIMD_FMLA: return fp_fma(f, t, a, b, d, 0, IR_RM_DYN);
    case A64_SIMD_FMLS: return fp_fma(f, t, a, b, d, IR_FMA_NEG_PROD, IR_RM_DYN);
    case A64_SIMD_FMAX: case A64_SIMD_FMAXP: case A64_SIMD_FMAXPS: case A64_SIMD_FMAXV:
        return fp_minmax(f, t, a, b, true, IR_FMM_IEEE);
    case A64_SIMD_FMIN: case A64_SIMD_FMINP: case A64_SIMD_FMINPS: case A64_SIMD_FMINV:
        return fp_minmax(f, t, a, b, false, IR_FMM_IEEE);
    case A64_SIMD_FMAXNM: case A64_SIMD_FMAXNMP: case A64_SIMD_FMAXNMPS: case A64_SIMD_FMAXNMV:
        return fp_minmax(f, t, a, b, true, IR_FMM_NUM2008);
    case A64_SIMD_FMINNM: case A64_SIMD_FMINNMP: case A64_SIMD_FMINNMPS: case A64_SIMD_FMINNMV:
        return fp_minmax(f, t, a, b, false, IR_FMM_NUM2008);
    case A64_SIMD_FCMEQ: return fp_cmp(f, t, a, b, IR_FCMP_EQ, false) ? ones : 0;
    case A64_SIMD_FCMGE: return fp_cmp(f, t, b, a, IR_FCMP_LE, true) ? ones : 0;
    case A64_SIMD_FCMGT: return fp_cmp(f, t, b, a, IR_FCMP_LT, true) ? ones : 0;
    case A64_SIMD_FACGE: return fp_cmp(f, t, fabs_(esz, b), fabs_(esz, a), IR_FCMP_LE, true) ? ones : 0;
    case A64_SIMD_FACGT: return fp_cmp(f, t, fabs_(esz, b), fabs_(esz, a), IR_FCMP_LT, true) ? ones : 0;
    case A64_SIMD_FRECPS: /* FPRecipStepFused: 2 - a*b */
        if ((fis_inf(esz, a) && fis_zero(esz, b)) || (fis_zero(esz, a) && fis_inf(esz, b)))
            return fone(esz, 2);
        return fp_fma(f, t, fneg(esz, a), b, fone(esz, 2), 0, IR_RM_DYN);
    case A64_SIMD_FRSQRTS: { /* FPRSqrtStepFused: (3 - a*b) / 2 */
        if ((fis_inf(esz, a) && fis_zero(esz, b)) || (fis_zero(esz, a) && fis_inf(esz, b)))
            return fone(esz, -1);
        uint64_t r = fp_fma(f, t, fneg(esz, a), b, fone(esz, 3), 0, IR_RM_DYN);
        return fp_mul(f, t, r, esz == 3 ? 0x3fe0000000000000ull : 0x3f000000u, IR_RM_DYN);
    }
    default: return 0;
    }
}

static uint64_t int3(A64Cpu *c, int op, int esz, uint64_t a, uint64_t b, int64_t sa, int64_t sb, uint64_t d)
{
    uint64_t m = emask(esz);
    int w = 8 << esz;
    switch (op) {
    case A64_SIMD_SHADD: return (uint64_t)(((__int128)sa + sb) >> 1);
    case A64_SIMD_UHADD: return (uint64_t)(((unsigned __int128)a + b) >> 1);
    case A64_SIMD_SRHADD: return (uint64_t)(((__int128)sa + sb + 1) >> 1);
    case A64_SIMD_URHADD: return (uint64_t)(((unsigned __int128)a + b + 1) >> 1);
    case A64_SIMD_SHSUB: return (uint64_t)(((__int128)sa - sb) >> 1);
    case A64_SIMD_UHSUB: return (uint64_t)(((__int128)a - (__int128)b) >> 1);
    case A64_SIMD_SQADD: return sat_s(c, esz, (__int128)sa + sb);
    case A64_SIMD_UQADD: return sat_u(c, esz, (__int128)a + b);
    case A64_SIMD_SQSUB: return sat_s(c, esz, (__int128)sa - sb);
    case A64_SIMD_UQSUB: return sat_u(c, esz, (__int128)a - (__int128)b);
    case A64_SIMD_CMGT: return sa > sb ? m : 0;
    case A64_SIMD_CMGE: return sa >= sb ? m : 0;
    case A64_SIMD_CMHI: return a > b ? m : 0;
    case A64_SIMD_CMHS: return a >= b ? m : 0;
    case A64_SIMD_CMEQ: return a == b ? m : 0;
    case A64_SIMD_CMTST: return (a & b) ? m : 0;
    case A64_SIMD_SSHL: return shl_reg(c, esz, a, sa, (int8_t)b, true, false, false);
    case A64_SIMD_USHL: return shl_reg(c, esz, a, sa, (int8_t)b, false, false, false);
    case A64_SIMD_SQSHL: return shl_reg(c, esz, a, sa, (int8_t)b, true, false, true);
    case A64_SIMD_UQSHL: return shl_reg(c, esz, a, sa, (int8_t)b, false, false, true);
    case A64_SIMD_SRSHL: return shl_reg(c, esz, a, sa, (int8_t)b, true, true, false);
    case A64_SIMD_URSHL: return shl_reg(c, esz, a, sa, (int8_t)b, false, true, false);
    case A64_SIMD_SQRSHL: return shl_reg(c, esz, a, sa, (int8_t)b, true, true, true);
    case A64_SIMD_UQRSHL: return shl_reg(c, esz, a, sa, (int8_t)b, false, true, true);
    case A64_SIMD_SMAX: case A64_SIMD_SMAXP: case A64_SIMD_SMAXV: return sa > sb ? a : b;
    case A64_SIMD_SMIN: case A64_SIMD_SMINP: case A64_SIMD_SMINV: return sa < sb ? a : b;
    case A64_SIMD_UMAX: case A64_SIMD_UMAXP: case A64_SIMD_UMAXV: return a > b ? a : b;
    case A64_SIMD_UMIN: case A64_SIMD_UMINP: case A64_SIMD_UMINV: return a < b ? a : b;
    case A64_SIMD_SABD: return (uint64_t)(sa > sb ? sa - sb : sb - sa);
    case A64_SIMD_UABD: return a > b ? a - b : b - a;
    case A64_SIMD_SABA: return d + (uint64_t)(sa > sb ? sa - sb : sb - sa);
    case A64_SIMD_UABA: return d + (a > b ? a - b : b - a);
    case A64_SIMD_ADD: case A64_SIMD_ADDP: case A64_SIMD_ADDPS: case A64_SIMD_ADDV: return a + b;
    case A64_SIMD_SUB: return a - b;
    case A64_SIMD_MLA: return d + a * b;
    case A64_SIMD_MLS: return d - a * b;
    case A64_SIMD_MUL: return a * b;
    case A64_SIMD_PMUL: {
        uint64_t r = 0;
        for (int i = 0; i < w; i++) if ((b >> i) & 1) r ^= a << i;
        return r;
    }
    case A64_SIMD_SQDMULH: return sat_s(c, esz, ((__int128)sa * sb * 2) >> w);
    case A64_SIMD_SQRDMULH: return sat_s(c, esz, ((__int128)sa * sb * 2 + ((__int128)1 << (w - 1))) >> w);
    case A64_SIMD_AND: return a & b;
    case A64_SIMD_BIC: return a & ~b;
    case A64_SIMD_ORR: return a | b;
    case A64_SIMD_ORN: return a | ~b;
    case A64_SIMD_EOR: return a ^ b;
    case A64_SIMD_BSL: return (d & a) | (~d & b);
    case A64_SIMD_BIT: return (a & b) | (d & ~b);
    case A64_SIMD_BIF: return (d & b) | (a & ~b);
    default: return 0;
    }
}

static uint64_t fcvt_to_int(CpuState *cpu, int esz, uint64_t x, unsigned rm, bool sign)
{
    return fp_to_int(&cpu->fp, esz == 3 ? IR_I64 : IR_I32, ft_of(esz), x, rm,
                     IR_CVT_NAN_ZERO | (sign ? IR_CVT_SIGNED : 0));
}

static uint64_t helper_simd(CpuState *cpu, uint64_t desc)
{
    A64Cpu *c = a64_cpu(cpu);
    int op = (int)(desc & 0x3ff), rd = (int)(desc >> 10) & 31, rn = (int)(desc >> 15) & 31;
    int rm = (int)(desc >> 20) & 31, esz = (int)(desc >> 25) & 3, q = (int)(desc >> 27) & 1;
    bool scalar = (desc >> 28) & 1, indexed = (desc >> 29) & 1;
    unsigned imm = (unsigned)(desc >> 32) & 0xffff;
    V n, m, d, r = {{0, 0}};
    memcpy(&n, c->v[rn], 16);
    memcpy(&m, c->v[rm], 16);
    memcpy(&d, c->v[rd], 16);
    if (indexed) {
        uint64_t e = gl(&m, esz, (int)imm);
        for (int i = 0; i < (16 >> esz); i++) sl(&m, esz, i, e);
    }
    int bytes = scalar ? (1 << esz) : (q ? 16 : 8);
    int ne = bytes >> esz;
    bool clear_hi = !q || scalar;

    switch (op) {
    case A64_SIMD_SHADD ... A64_SIMD_BIF:
        if (op >= A64_SIMD_SMAXP && op <= A64_SIMD_ADDP && op != A64_SIMD_SQDMULH && op != A64_SIMD_SQRDMULH) {
            /* Pairwise: concatenate m:n, add adjacent pairs. */
            for (int i = 0; i < ne; i++) {
                const V *s = i < ne / 2 ? &n : &m;
                int j = (i % (ne / 2)) * 2;
                sl(&r, esz, i, int3(c, op, esz, gl(s, esz, j), gl(s, esz, j + 1), sgl(s, esz, j),
                                    sgl(s, esz, j + 1), 0));
            }
            break;
        }
        for (int i = 0; i < ne; i++)
            sl(&r, esz, i, int3(c, op, esz, gl(&n, esz, i), gl(&m, esz, i), sgl(&n, esz, i),
                                sgl(&m, esz, i), gl(&d, esz, i)));
        break;
    case A64_SIMD_FMAXNM ... A64_SIMD_FDIV:
        if (op == A64_SIMD_FMAXNMP || op == A64_SIMD_FMINNMP || op == A64_SIMD_FADDP ||
            op == A64_SIMD_FMAXP || op == A64_SIMD_FMINP) {
            for (int i = 0; i < ne; i++) {
                const V *s = i < ne / 2 ? &n : &m;
                int j = (i % (ne / 2)) * 2;
                sl(&r, esz, i, fp3(cpu, op, esz, gl(s, esz, j), gl(s, esz, j + 1), 0));
            }
            break;
        }
        for (int i = 0; i < ne; i++)
            sl(&r, esz, i, fp3(cpu, op, esz, gl(&n, esz, i), gl(&m, esz, i), gl(&d, esz, i)));
        break;
    case A64_SIMD_ADDPS:
        r.d[0] = n.d[0] + n.d[1];
        clear_hi = true;
        break;
    case A64_SIMD_FADDPS: case A64_SIMD_FMAXNMPS: case A64_SIMD_FMINNMPS:
    case A64_SIMD_FMAXPS: case A64_SIMD_FMINPS:
        sl(&r, esz, 0, fp3(cpu, op, esz, gl(&n, esz, 0), gl(&n, esz, 1), 0));
        clear_hi = true;
        break;

    /* Three different: esz is the narrow size; "2" forms (q) use the upper halves. */
    case A64_SIMD_SADDL ... A64_SIMD_PMULL: {
        int h = q ? (8 >> esz) : 0, we = esz + 1, nn = 8 >> esz;
        bool wide = op == A64_SIMD_SADDW || op == A64_SIMD_UADDW || op == A64_SIMD_SSUBW || op == A64_SIMD_USUBW;
        bool narrow = op >= A64_SIMD_ADDHN && op <= A64_SIMD_RSUBHN;
        bool sign = op == A64_SIMD_SADDL || op == A64_SIMD_SADDW || op == A64_SIMD_SSUBL ||
                    op == A64_SIMD_SSUBW || op == A64_SIMD_SABAL || op == A64_SIMD_SABDL ||
                    op == A64_SIMD_SMLAL || op == A64_SIMD_SMLSL || op == A64_SIMD_SMULL;
        if (narrow) {
            /* ADDHN etc.: wide (2*esz) operands, high half of the result. */
            r = q ? d : r;
            int wb = 8 << we;
            for (int i = 0; i < nn; i++) {
                uint64_t x = gl(&n, we, i), y = gl(&m, we, i);
                unsigned __int128 s = (op == A64_SIMD_ADDHN || op == A64_SIMD_RADDHN) ? (unsigned __int128)x + y
                                                                                       : (unsigned __int128)x - y;
                if (op == A64_SIMD_RADDHN || op == A64_SIMD_RSUBHN) s += (unsigned __int128)1 << (wb / 2 - 1);
                sl(&r, esz, h + i, (uint64_t)(s >> (wb / 2)));
            }
            clear_hi = !q;
            break;
        }
        if (op == A64_SIMD_PMULL) {
            if (esz == 3) {
                unsigned __int128 acc = 0;
                uint64_t x = n.d[q], y = m.d[q];
                for (int i = 0; i < 64; i++) if ((y >> i) & 1) acc ^= (unsigned __int128)x << i;
                r.d[0] = (uint64_t)acc;
                r.d[1] = (uint64_t)(acc >> 64);
            } else {
                for (int i = 0; i < nn; i++) {
                    uint64_t x = gl(&n, 0, h + i), y = gl(&m, 0, h + i), acc = 0;
                    for (int k = 0; k < 8; k++) if ((y >> k) & 1) acc ^= x << k;
                    sl(&r, 1, i, acc);
                }
            }
            clear_hi = false;
            break;
        }
        for (int i = 0; i < nn; i++) {
            int64_t x = wide ? (int64_t)gl(&n, we, i) : (sign ? sgl(&n, esz, h + i) : (int64_t)gl(&n, esz, h + i));
            int64_t y = sign ? sgl(&m, esz, h + i) : (int64_t)gl(&m, esz, h + i);
            int64_t acc = (int64_t)gl(&d, we, i), v;
            switch (op) {
            case A64_SIMD_SADDL: case A64_SIMD_UADDL: case A64_SIMD_SADDW: case A64_SIMD_UADDW: v = x + y; break;
            case A64_SIMD_SSUBL: case A64_SIMD_USUBL: case A64_SIMD_SSUBW: case A64_SIMD_USUBW: v = x - y; break;
            case A64_SIMD_SABDL: case A64_SIMD_UABDL: v = x > y ? x - y : y - x; break;
            case A64_SIMD_SABAL: case A64_SIMD_UABAL: v = acc + (x > y ? x - y : y - x); break;
            case A64_SIMD_SMLAL: case A64_SIMD_UMLAL: v = acc + x * y; break;
            case A64_SIMD_SMLSL: case A64_SIMD_UMLSL: v = acc - x * y; break;
            default: v = x * y; break;
            }
            sl(&r, we, i, (uint64_t)v);
        }
        clear_hi = false;
        break;
    }

    /* Two-register misc. */
    case A64_SIMD_REV64: case A64_SIMD_REV32: case A64_SIMD_REV16: {
        int cont = op == A64_SIMD_REV64 ? 3 : op == A64_SIMD_REV32 ? 2 : 1;
        int per = 1 << (cont - esz);
        for (int i = 0; i < ne; i++) sl(&r, esz, i, gl(&n, esz, (i / per) * per + (per - 1 - i % per)));
        break;
    }
    case A64_SIMD_SADDLP: case A64_SIMD_UADDLP: case A64_SIMD_SADALP: case A64_SIMD_UADALP: {
        bool sign = op == A64_SIMD_SADDLP || op == A64_SIMD_SADALP;
        bool acc = op == A64_SIMD_SADALP || op == A64_SIMD_UADALP;
        for (int i = 0; i < ne / 2; i++) {
            int64_t x = sign ? sgl(&n, esz, 2 * i) + sgl(&n, esz, 2 * i + 1)
                             : (int64_t)(gl(&n, esz, 2 * i) + gl(&n, esz, 2 * i + 1));
            sl(&r, esz + 1, i, (uint64_t)x + (acc ? gl(&d, esz + 1, i) : 0));
        }
        break;
    }
    case A64_SIMD_CLS: case A64_SIMD_CLZ: case A64_SIMD_CNT: case A64_SIMD_NOT: case A64_SIMD_RBIT:
    case A64_SIMD_SQABS: case A64_SIMD_SQNEG: case A64_SIMD_CMGT0: case A64_SIMD_CMEQ0:
    case A64_SIMD_CMLT0: case A64_SIMD_CMGE0: case A64_SIMD_CMLE0: case A64_SIMD_ABS: case A64_SIMD_NEG:
        for (int i = 0; i < ne; i++) {
            uint64_t x = gl(&n, esz, i), mm = emask(esz), v;
            int64_t s = sgl(&n, esz, i);
            int w = 8 << esz;
            switch (op) {
            case A64_SIMD_CLZ: v = x ? (uint64_t)(__builtin_clzll(x) - (64 - w)) : (uint64_t)w; break;
            case A64_SIMD_CLS: {
                uint64_t y = (uint64_t)(s ^ (s >> 63)) & mm;
                v = y ? (uint64_t)(__builtin_clzll(y) - (64 - w) - 1) : (uint64_t)(w - 1);
                break;
            }
            case A64_SIMD_CNT: v = (uint64_t)__builtin_popcountll(x); break;
            case A64_SIMD_NOT: v = ~x; break;
            case A64_SIMD_RBIT: { v = 0; for (int k = 0; k < w; k++) if ((x >> k) & 1) v |= 1ull << (w - 1 - k); break; }
            case A64_SIMD_SQABS: v = sat_s(c, esz, s < 0 ? -(__int128)s : s); break;
            case A64_SIMD_SQNEG: v = sat_s(c, esz, -(__int128)s); break;
            case A64_SIMD_CMGT0: v = s > 0 ? mm : 0; break;
            case A64_SIMD_CMEQ0: v = s == 0 ? mm : 0; break;
            case A64_SIMD_CMLT0: v = s < 0 ? mm : 0; break;
            case A64_SIMD_CMGE0: v = s >= 0 ? mm : 0; break;
            case A64_SIMD_CMLE0: v = s <= 0 ? mm : 0; break;
            /* Modulo 2^64 (ABS/NEG of the most negative value is itself). */
            case A64_SIMD_ABS: v = s < 0 ? -(uint64_t)s : (uint64_t)s; break;
            default: v = -(uint64_t)s; break;
            }
            sl(&r, esz, i, v);
        }
        break;
    case A64_SIMD_XTN: case A64_SIMD_SQXTN: case A64_SIMD_UQXTN: case A64_SIMD_SQXTUN: {
        /* esz = destination (narrow) size; "2" forms write the upper half. */
        int h = q ? (8 >> esz) : 0, nn = scalar ? 1 : 8 >> esz;
        if (q && !scalar) r = d;
        for (int i = 0; i < nn; i++) {
            uint64_t x = gl(&n, esz + 1, i);
            int64_t s = sgl(&n, esz + 1, i), v;
            switch (op) {
            case A64_SIMD_XTN: v = (int64_t)x; break;
            case A64_SIMD_SQXTN: v = (int64_t)sat_s(c, esz, s); break;
            case A64_SIMD_UQXTN: v = (int64_t)sat_u(c, esz, (unsigned __int128)x); break;
            default: v = (int64_t)sat_u(c, esz, s); break;
            }
            sl(&r, esz, h + i, (uint64_t)v);
        }
        clear_hi = !q || scalar;
        break;
    }
    case A64_SIMD_SHLL: case A64_SIMD_SSHLL: case A64_SIMD_USHLL: {
        /* esz = source (narrow) size; imm = shift. */
        int h = q ? (8 >> esz) : 0, nn = 8 >> esz, sh = op == A64_SIMD_SHLL ? 8 << esz : (int)imm;
        for (int i = 0; i < nn; i++) {
            uint64_t x = op == A64_SIMD_SSHLL ? (uint64_t)sgl(&n, esz, h + i) : gl(&n, esz, h + i);
            sl(&r, esz + 1, i, x << sh);
        }
        clear_hi = false;
        break;
    }
    case A64_SIMD_FCVTN: {
        /* esz = destination: 2 double -> single, 1 single -> half (FPCR.AHP);
         * the "2" form writes the upper half. */
        int nn = 8 >> esz, h = q ? nn : 0;
        bool ahp = (c->fpcr & A64_FPCR_AHP) != 0;
        if (q) r = d;
        for (int i = 0; i < nn; i++)
            sl(&r, esz, h + i, esz == 2 ? fp_convert(&cpu->fp, IR_F32, IR_F64, gl(&n, 3, i), IR_RM_DYN)
                                        : a64_to_half(&cpu->fp, ahp, 2, gl(&n, 2, i), IR_RM_DYN));
        clear_hi = !q;
        break;
    }
    case A64_SIMD_FCVTL: {
        int nn = 8 >> esz, h = q ? nn : 0;
        bool ahp = (c->fpcr & A64_FPCR_AHP) != 0;
        for (int i = 0; i < nn; i++)
            sl(&r, esz + 1, i, esz == 2 ? fp_convert(&cpu->fp, IR_F64, IR_F32, gl(&n, 2, h + i), IR_RM_DYN)
                                        : a64_half_to(&cpu->fp, ahp, 2, (uint16_t)gl(&n, 1, h + i)));
        clear_hi = false;
        break;
    }
    case A64_SIMD_FRECPE: case A64_SIMD_FRSQRTE: case A64_SIMD_FRECPX:
        for (int i = 0; i < ne; i++) {
            uint64_t x = gl(&n, esz, i);
            sl(&r, esz, i, op == A64_SIMD_FRECPE ? a64_recip_estimate(&cpu->fp, esz, x)
                           : op == A64_SIMD_FRSQRTE ? a64_rsqrt_estimate(&cpu->fp, esz, x)
                           : a64_recpx(&cpu->fp, esz, x));
        }
        break;
    /* SQDMULL/SQDMLAL/SQDMLSL (C7.2.x; J1 shared SignedSatQ): the doubled
     * product saturates to 2*esize first, then the accumulation saturates
     * again; QC records either. esz is the narrow size, the "2" forms read
     * the upper halves. */
    case A64_SIMD_SQDMULL: case A64_SIMD_SQDMLAL: case A64_SIMD_SQDMLSL: {
        int h = q && !scalar ? (8 >> esz) : 0, nn = scalar ? 1 : 8 >> esz, we = esz + 1;
        for (int i = 0; i < nn; i++) {
            __int128 p = (__int128)sgl(&n, esz, h + i) * sgl(&m, esz, h + i) * 2;
            int64_t v = (int64_t)sat_s(c, we, p);
            if (op == A64_SIMD_SQDMLAL) v = (int64_t)sat_s(c, we, (__int128)sgl(&d, we, i) + v);
            else if (op == A64_SIMD_SQDMLSL) v = (int64_t)sat_s(c, we, (__int128)sgl(&d, we, i) - v);
            sl(&r, we, i, (uint64_t)v);
        }
        clear_hi = scalar;
        break;
    }
    /* SUQADD: signed Vd + unsigned Vn, signed saturation; USQADD the reverse. */
    case A64_SIMD_SUQADD: case A64_SIMD_USQADD:
        for (int i = 0; i < ne; i++) {
            uint64_t v = op == A64_SIMD_SUQADD
                             ? sat_s(c, esz, (__int128)sgl(&d, esz, i) + (__int128)gl(&n, esz, i))
                             : sat_u(c, esz, (__int128)gl(&d, esz, i) + (__int128)sgl(&n, esz, i));
            sl(&r, esz, i, v);
        }
        break;
    case A64_SIMD_URECPE: case A64_SIMD_URSQRTE:
        for (int i = 0; i < ne; i++) {
            uint32_t x = (uint32_t)gl(&n, 2, i);
            sl(&r, 2, i, op == A64_SIMD_URECPE ? a64_urecpe(x) : a64_ursqrte(x));
        }
        break;
    case A64_SIMD_FABS: case A64_SIMD_FNEG: case A64_SIMD_FSQRT:
    case A64_SIMD_FRINTN ... A64_SIMD_FRINTI:
    case A64_SIMD_FCVTNS ... A64_SIMD_UCVTF:
    case A64_SIMD_FCMGT0 ... A64_SIMD_FCMLE0:
        for (int i = 0; i < ne; i++) {
            uint64_t x = gl(&n, esz, i), v, z = 0, ones = emask(esz);
            IrType t = ft_of(esz), it = esz == 3 ? IR_I64 : IR_I32;
            FpCtl *f = &cpu->fp;
            switch (op) {
            case A64_SIMD_FABS: v = fabs_(esz, x); break;
            case A64_SIMD_FNEG: v = fneg(esz, x); break;
            case A64_SIMD_FSQRT: v = fp_sqrt(f, t, x, IR_RM_DYN); break;
            case A64_SIMD_FRINTN: v = fp_round_int(f, t, x, IR_RM_RNE, 0); break;
            case A64_SIMD_FRINTM: v = fp_round_int(f, t, x, IR_RM_RDN, 0); break;
            case A64_SIMD_FRINTP: v = fp_round_int(f, t, x, IR_RM_RUP, 0); break;
            case A64_SIMD_FRINTZ: v = fp_round_int(f, t, x, IR_RM_RTZ, 0); break;
            case A64_SIMD_FRINTA: v = fp_round_int(f, t, x, IR_RM_RMM, 0); break;
            case A64_SIMD_FRINTX: v = fp_round_int(f, t, x, IR_RM_DYN, IR_FROUND_EXACT); break;
            case A64_SIMD_FRINTI: v = fp_round_int(f, t, x, IR_RM_DYN, 0); break;
            case A64_SIMD_FCVTNS: v = fcvt_to_int(cpu, esz, x, IR_RM_RNE, true); break;
            case A64_SIMD_FCVTMS: v = fcvt_to_int(cpu, esz, x, IR_RM_RDN, true); break;
            case A64_SIMD_FCVTAS: v = fcvt_to_int(cpu, esz, x, IR_RM_RMM, true); break;
            case A64_SIMD_FCVTPS: v = fcvt_to_int(cpu, esz, x, IR_RM_RUP, true); break;
            case A64_SIMD_FCVTZS: v = fcvt_to_int(cpu, esz, x, IR_RM_RTZ, true); break;
            case A64_SIMD_FCVTNU: v = fcvt_to_int(cpu, esz, x, IR_RM_RNE, false); break;
            case A64_SIMD_FCVTMU: v = fcvt_to_int(cpu, esz, x, IR_RM_RDN, false); break;
            case A64_SIMD_FCVTAU: v = fcvt_to_int(cpu, esz, x, IR_RM_RMM, false); break;
            case A64_SIMD_FCVTPU: v = fcvt_to_int(cpu, esz, x, IR_RM_RUP, false); break;
            case A64_SIMD_FCVTZU: v = fcvt_to_int(cpu, esz, x, IR_RM_RTZ, false); break;
            case A64_SIMD_SCVTF: v = fp_from_int(f, t, it, x, IR_RM_DYN, IR_CVT_SIGNED); break;
            case A64_SIMD_UCVTF: v = fp_from_int(f, t, it, x, IR_RM_DYN, 0); break;
            case A64_SIMD_FCMGT0: v = fp_cmp(f, t, z, x, IR_FCMP_LT, true) ? ones : 0; break;
            case A64_SIMD_FCMEQ0: v = fp_cmp(f, t, x, z, IR_FCMP_EQ, false) ? ones : 0; break;
            case A64_SIMD_FCMLT0: v = fp_cmp(f, t, x, z, IR_FCMP_LT, true) ? ones : 0; break;
            case A64_SIMD_FCMGE0: v = fp_cmp(f, t, z, x, IR_FCMP_LE, true) ? ones : 0; break;
            default: v = fp_cmp(f, t, x, z, IR_FCMP_LE, true) ? ones : 0; break;
            }
            sl(&r, esz, i, v);
        }
        break;

    /* Across lanes: a scalar result of the element size (long forms: double). */
    case A64_SIMD_SADDLV: case A64_SIMD_UADDLV: {
        int64_t acc = 0;
        for (int i = 0; i < ne; i++) acc += op == A64_SIMD_SADDLV ? sgl(&n, esz, i) : (int64_t)gl(&n, esz, i);
        sl(&r, esz + 1, 0, (uint64_t)acc);
        clear_hi = true;
        break;
    }
    case A64_SIMD_SMAXV ... A64_SIMD_ADDV: {
        uint64_t acc = gl(&n, esz, 0);
        for (int i = 1; i < ne; i++) {
            int64_t sa = (int64_t)(acc << (64 - (8 << esz))) >> (64 - (8 << esz));
            if (esz == 3) sa = (int64_t)acc;
            acc = int3(c, op, esz, acc, gl(&n, esz, i), sa, sgl(&n, esz, i), 0) & emask(esz);
        }
        sl(&r, esz, 0, acc);
        clear_hi = true;
        break;
    }
    case A64_SIMD_FMAXNMV ... A64_SIMD_FMINV: {
        /* Reduce pairwise as the pseudocode's Reduce() does (a tree). */
        uint64_t e[4];
        for (int i = 0; i < 4; i++) e[i] = gl(&n, esz, i);
        uint64_t lo = fp3(cpu, op, esz, e[0], e[1], 0), hi = fp3(cpu, op, esz, e[2], e[3], 0);
        sl(&r, esz, 0, fp3(cpu, op, esz, lo, hi, 0));
        clear_hi = true;
        break;
    }

    /* Shift by immediate: imm = shift amount (right shifts: 1..esize). */
    case A64_SIMD_SSHR ... A64_SIMD_SQSHLU:
        for (int i = 0; i < ne; i++) {
            uint64_t x = gl(&n, esz, i), dv = gl(&d, esz, i), mm = emask(esz), v;
            int64_t s = sgl(&n, esz, i);
            int w = 8 << esz, sh = (int)imm;
            switch (op) {
            case A64_SIMD_SSHR: v = (uint64_t)(sh >= w ? s >> (w - 1) : s >> sh); break;
            case A64_SIMD_USHR: v = sh >= w ? 0 : x >> sh; break;
            case A64_SIMD_SSRA: v = dv + (uint64_t)(sh >= w ? s >> (w - 1) : s >> sh); break;
            case A64_SIMD_USRA: v = dv + (sh >= w ? 0 : x >> sh); break;
            case A64_SIMD_SRSHR: v = (uint64_t)(((__int128)s + ((__int128)1 << (sh - 1))) >> sh); break;
            case A64_SIMD_URSHR: v = (uint64_t)(((unsigned __int128)x + ((unsigned __int128)1 << (sh - 1))) >> sh); break;
            case A64_SIMD_SRSRA: v = dv + (uint64_t)(((__int128)s + ((__int128)1 << (sh - 1))) >> sh); break;
            case A64_SIMD_URSRA: v = dv + (uint64_t)(((unsigned __int128)x + ((unsigned __int128)1 << (sh - 1))) >> sh); break;
            case A64_SIMD_SRI: {
                uint64_t keep = sh >= w ? mm : ~(mm >> sh) & mm;
                v = (dv & keep) | (sh >= w ? 0 : x >> sh);
                break;
            }
            case A64_SIMD_SHL: v = x << sh; break;
            case A64_SIMD_SLI: v = (dv & ((1ull << sh) - 1)) | (x << sh); break;
            /* Shifted as unsigned: a left shift of a negative value is UB in C. */
            case A64_SIMD_SQSHLI: v = sat_s(c, esz, (__int128)((unsigned __int128)(__int128)s << sh)); break;
            case A64_SIMD_UQSHLI: v = sat_u(c, esz, (__int128)x << sh); break;
            default: v = sat_u(c, esz, (__int128)((unsigned __int128)(__int128)s << sh)); break; /* SQSHLU */
            }
            sl(&r, esz, i, v);
        }
        break;
    case A64_SIMD_SHRN ... A64_SIMD_SQRSHRUN: {
        /* esz = destination size; source elements are 2*esz. */
        int h = q ? (8 >> esz) : 0, nn = scalar ? 1 : 8 >> esz, sh = (int)imm;
        if (q && !scalar) r = d;
        bool round = op == A64_SIMD_RSHRN || op == A64_SIMD_SQRSHRN || op == A64_SIMD_UQRSHRN ||
                     op == A64_SIMD_SQRSHRUN;
        for (int i = 0; i < nn; i++) {
            bool sign = op == A64_SIMD_SQSHRN || op == A64_SIMD_SQRSHRN || op == A64_SIMD_SQSHRUN ||
                        op == A64_SIMD_SQRSHRUN;
            __int128 x = sign ? (__int128)sgl(&n, esz + 1, i) : (__int128)gl(&n, esz + 1, i);
            if (round) x += (__int128)1 << (sh - 1);
            x >>= sh;
            uint64_t v;
            switch (op) {
            case A64_SIMD_SHRN: case A64_SIMD_RSHRN: v = (uint64_t)x; break;
            case A64_SIMD_SQSHRN: case A64_SIMD_SQRSHRN: v = sat_s(c, esz, x); break;
            default: v = sat_u(c, esz, x); break;
            }
            sl(&r, esz, h + i, v);
        }
        clear_hi = !q || scalar;
        break;
    }
    case A64_SIMD_SCVTFX: case A64_SIMD_UCVTFX: case A64_SIMD_FCVTZSX: case A64_SIMD_FCVTZUX:
        for (int i = 0; i < ne; i++) {
            IrType t = ft_of(esz), it = esz == 3 ? IR_I64 : IR_I32;
            int fb = (int)imm;
            uint64_t x = gl(&n, esz, i), v;
            uint64_t p2 = esz == 3 ? (uint64_t)(1023 + fb) << 52 : (uint64_t)(127 + fb) << 23;
            uint64_t m2 = esz == 3 ? (uint64_t)(1023 - fb) << 52 : (uint64_t)(127 - fb) << 23;
            if (op == A64_SIMD_SCVTFX || op == A64_SIMD_UCVTFX) {
                v = fp_from_int(&cpu->fp, t, it, x, IR_RM_DYN, op == A64_SIMD_SCVTFX ? IR_CVT_SIGNED : 0);
                v = fp_mul(&cpu->fp, t, v, m2, IR_RM_DYN);
            } else {
                v = fp_mul(&cpu->fp, t, x, p2, IR_RM_RTZ);
                v = fcvt_to_int(cpu, esz, v, IR_RM_RTZ, op == A64_SIMD_FCVTZSX);
            }
            sl(&r, esz, i, v);
        }
        break;

    /* Permutes. */
    case A64_SIMD_UZP1: case A64_SIMD_UZP2: {
        int odd = op == A64_SIMD_UZP2;
        for (int i = 0; i < ne; i++) {
            int j = 2 * i + odd;
            sl(&r, esz, i, j < ne ? gl(&n, esz, j) : gl(&m, esz, j - ne));
        }
        break;
    }
    case A64_SIMD_TRN1: case A64_SIMD_TRN2: {
        int odd = op == A64_SIMD_TRN2;
        for (int i = 0; i < ne / 2; i++) {
            sl(&r, esz, 2 * i, gl(&n, esz, 2 * i + odd));
            sl(&r, esz, 2 * i + 1, gl(&m, esz, 2 * i + odd));
        }
        break;
    }
    case A64_SIMD_ZIP1: case A64_SIMD_ZIP2: {
        int base = op == A64_SIMD_ZIP2 ? ne / 2 : 0;
        for (int i = 0; i < ne / 2; i++) {
            sl(&r, esz, 2 * i, gl(&n, esz, base + i));
            sl(&r, esz, 2 * i + 1, gl(&m, esz, base + i));
        }
        break;
    }
    case A64_SIMD_TBL: case A64_SIMD_TBX: {
        /* imm = number of table registers (1..4), starting at rn (wrapping). */
        uint8_t tab[64];
        int len = (int)imm;
        for (int k = 0; k < len; k++) memcpy(tab + 16 * k, c->v[(rn + k) & 31], 16);
        for (int i = 0; i < bytes; i++) {
            unsigned idx = (unsigned)gl(&m, 0, i);
            sl(&r, 0, i, idx < (unsigned)(16 * len) ? tab[idx] : (op == A64_SIMD_TBX ? gl(&d, 0, i) : 0));
        }
        break;
    }
    case A64_SIMD_EXT: {
        uint8_t cat[32];
        memcpy(cat, n.d, bytes);
        memcpy(cat + bytes, m.d, bytes);
        for (int i = 0; i < bytes; i++) sl(&r, 0, i, cat[i + (int)imm]);
        break;
    }
    default:
        break;
    }
    if (clear_hi) {
        if (scalar) {
            bool wide = op == A64_SIMD_SADDLV || op == A64_SIMD_UADDLV || op == A64_SIMD_SQDMULL ||
                        op == A64_SIMD_SQDMLAL || op == A64_SIMD_SQDMLSL;
            int b = wide ? 2 << esz : 1 << esz;
            if (b < 8) r.d[0] &= (1ull << (8 * b)) - 1;
        }
        r.d[1] = 0;
    }
    memcpy(c->v[rd], &r, 16);
    return 0;
}

const IrHelper a64_helper_simd = {"a64_simd", (void *)helper_simd, 1, IR_VOID,
                                  IR_HELPER_READS_REGS | IR_HELPER_WRITES_REGS};

/* -- LDn/STn structures ----------------------------------------------------------------
 * desc: bit 0 load, 1 Q, 2-3 element size, 4-7 opcode (multiple), 8-12 Rt,
 * 16-23 number of registers (single), 24-31 lane (0xff = replicate), 32 single. */
static uint8_t *gaddr(CpuState *cpu, uint64_t va, unsigned len)
{
    if (va > cpu->guest_limit || len > cpu->guest_limit - va) cpu_raise(cpu, EXCP_SEGV, va);
    return cpu->guest_base + va;
}

static uint64_t helper_ldst_struct(CpuState *cpu, uint64_t addr, uint64_t desc)
{
    A64Cpu *c = a64_cpu(cpu);
    bool load = desc & 1, q = (desc >> 1) & 1, single = (desc >> 32) & 1;
    int esz = (int)(desc >> 2) & 3, rt = (int)(desc >> 8) & 31, eb = 1 << esz;
    if (!single) {
        int opc = (int)(desc >> 4) & 15, sel = opc == 0 ? 4 : opc == 4 ? 3 : 2;
        int ne = (q ? 16 : 8) >> esz;
        V r[4];
        for (int k = 0; k < sel; k++) memcpy(&r[k], c->v[(rt + k) & 31], 16);
        uint8_t *p = gaddr(cpu, addr, (unsigned)(ne * sel * eb));
        for (int i = 0; i < ne; i++)
            for (int k = 0; k < sel; k++) {
                uint8_t *e = p + (i * sel + k) * eb;
                if (load) { uint64_t x = 0; memcpy(&x, e, (size_t)eb); sl(&r[k], esz, i, x); }
                else { uint64_t x = gl(&r[k], esz, i); memcpy(e, &x, (size_t)eb); }
            }
        if (load)
            for (int k = 0; k < sel; k++) {
                if (!q) r[k].d[1] = 0;
                memcpy(c->v[(rt + k) & 31], &r[k], 16);
            }
        return 0;
    }
    int nregs = (int)(desc >> 16) & 0xff, lane = (int)(desc >> 24) & 0xff;
    uint8_t *p = gaddr(cpu, addr, (unsigned)(nregs * eb));
    for (int k = 0; k < nregs; k++) {
        V r;
        memcpy(&r, c->v[(rt + k) & 31], 16);
        uint64_t x = 0;
        if (lane == 0xff) {
            memcpy(&x, p + k * eb, (size_t)eb);
            for (int i = 0; i < (16 >> esz); i++) sl(&r, esz, i, x);
            if (!q) r.d[1] = 0;
        } else if (load) {
            memcpy(&x, p + k * eb, (size_t)eb);
            sl(&r, esz, lane, x);
        } else {
            x = gl(&r, esz, lane);
            memcpy(p + k * eb, &x, (size_t)eb);
            continue;
        }
        memcpy(c->v[(rt + k) & 31], &r, 16);
    }
    return 0;
}

const IrHelper a64_helper_ldst_struct = {"a64_ldst_struct", (void *)helper_ldst_struct, 2, IR_VOID,
                                         IR_HELPER_READS_REGS | IR_HELPER_WRITES_REGS | IR_HELPER_MAY_RAISE};
