/* SPDX-License-Identifier: MIT */
/* AArch64 Advanced SIMD saturating, doubling, narrowing and rounding integer
 * instructions, vector and scalar, with FPSR.QC (and the plain narrowing and
 * pairwise ops string routines use: XTN, SHRN, RSHRN, ADDP, UMAXP ...). Built for aarch64 the
 * results come from the instructions; built natively they come from the C
 * reference below (written from the Arm ARM pseudocode: SignedSat, UnsignedSat,
 * the SQDMULL/SQRDMULH and shift-by-register definitions in C7.2), so the
 * native output is the expected output. The aarch64 build also checks itself
 * against the reference and prints FAIL lines. Inputs mix random lanes with
 * the edge values (0, 1, -1, MIN, MIN+1, MAX) where saturation happens. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct V {
    uint64_t d[2];
} V;

static uint64_t rs = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

/* -- Lanes ------------------------------------------------------------------------------ */

static uint64_t lmask(int esz) { return esz == 3 ? ~0ull : (1ull << (8 << esz)) - 1; }

static uint64_t get(const V *v, int esz, int i)
{
    int bits = 8 << esz, per = 64 / bits;
    return (v->d[i / per] >> (bits * (i % per))) & lmask(esz);
}

static int64_t sget(const V *v, int esz, int i)
{
    uint64_t x = get(v, esz, i);
    int bits = 8 << esz;
    if (bits < 64 && (x >> (bits - 1)) & 1) x |= ~lmask(esz);
    return (int64_t)x;
}

static void put(V *v, int esz, int i, uint64_t x)
{
    int bits = 8 << esz, per = 64 / bits, sh = bits * (i % per);
    v->d[i / per] = (v->d[i / per] & ~(lmask(esz) << sh)) | ((x & lmask(esz)) << sh);
}

/* -- Reference (Arm ARM J1 shared/functions/integer: SignedSatQ, UnsignedSatQ) ---------- */

static uint64_t ssat(__int128 x, int bits, int *qc)
{
    __int128 hi = ((__int128)1 << (bits - 1)) - 1, lo = -hi - 1;
    if (x > hi) { *qc = 1; x = hi; }
    if (x < lo) { *qc = 1; x = lo; }
    return (uint64_t)x;
}

static uint64_t usat(__int128 x, int bits, int *qc)
{
    __int128 hi = ((__int128)1 << bits) - 1;
    if (x > hi) { *qc = 1; x = hi; }
    if (x < 0) { *qc = 1; x = 0; }
    return (uint64_t)x;
}

/* x shifted by sh (negative: right, rounding if asked), exactly, except that
 * results beyond 2^100 are clamped (they saturate any element anyway). */
static __int128 shift_exact(__int128 x, int sh, int round)
{
    if (sh >= 0) {
        if (x == 0) return 0;
        if (sh >= 64) return x < 0 ? -((__int128)1 << 100) : ((__int128)1 << 100);
        return x * ((__int128)1 << sh);
    }
    int n = -sh;
    if (n >= 66) return round ? 0 : (x < 0 ? -1 : 0); /* |x| < 2^64 */
    __int128 r = round ? ((__int128)1 << (n - 1)) : 0;
    __int128 s = x + r;
    /* floor division by 2^n */
    return s >= 0 ? s >> n : -((-s + ((__int128)1 << n) - 1) >> n);
}

enum {
    R_SQADD, R_UQADD, R_SQSUB, R_UQSUB, R_SQDMULH, R_SQRDMULH,
    R_SQSHL, R_UQSHL, R_SQRSHL, R_UQRSHL, R_SRSHL, R_URSHL,         /* three same */
    R_SUQADD, R_USQADD, R_SQABS, R_SQNEG,                             /* two-reg misc */
    R_SQSHLI, R_UQSHLI, R_SQSHLU,                                     /* left shift imm */
    R_SSRA, R_USRA, R_SRSHR, R_URSHR, R_SRSRA, R_URSRA, R_SRI, R_SLI, /* right shift imm (D) */
    R_SQDMULL, R_SQDMLAL, R_SQDMLSL,                                  /* long */
    R_SQXTN, R_UQXTN, R_SQXTUN,                                       /* narrow */
    R_SQSHRN, R_UQSHRN, R_SQRSHRN, R_UQRSHRN, R_SQSHRUN, R_SQRSHRUN,  /* narrow shift */
    R_XTN, R_SHRN, R_RSHRN,                                           /* narrow, no saturation */
    R_ADDP, R_UMAXP, R_UMINP, R_SMAXP, R_SMINP,                       /* pairwise */
};

/* esz: element size (long: source, narrow: destination); q: 128-bit vector,
 * or for long/narrow the "2" (upper half) form; ix: element of m (by element)
 * or -1; imm: shift amount. */
static V ref(int op, int esz, int q, int scalar, int ix, int imm, const V *d, const V *n, const V *m,
             int *qc)
{
    V r = {{0, 0}};
    int w = 8 << esz;
    *qc = 0;
    if (op >= R_SQDMULL && op <= R_SQDMLSL) {
        int cnt = scalar ? 1 : 8 >> esz, h = q ? cnt : 0;
        for (int i = 0; i < cnt; i++) {
            __int128 a = sget(n, esz, h + i), b = ix >= 0 ? sget(m, esz, ix) : sget(m, esz, h + i);
            __int128 p = (__int128)(int64_t)ssat(2 * a * b, 2 * w, qc);
            if (op == R_SQDMLAL) p = (__int128)(int64_t)ssat(sget(d, esz + 1, i) + p, 2 * w, qc);
            if (op == R_SQDMLSL) p = (__int128)(int64_t)ssat(sget(d, esz + 1, i) - p, 2 * w, qc);
            put(&r, esz + 1, i, (uint64_t)p);
        }
        return r;
    }
    if (op >= R_ADDP) {
        int cnt = (q ? 16 : 8) >> esz;
        for (int i = 0; i < cnt; i++) {
            const V *src = 2 * i < cnt ? n : m;
            int k = 2 * i < cnt ? 2 * i : 2 * i - cnt;
            uint64_t a = get(src, esz, k), b = get(src, esz, k + 1);
            int64_t sa = sget(src, esz, k), sb = sget(src, esz, k + 1);
            uint64_t v = op == R_ADDP ? a + b : op == R_UMAXP ? (a > b ? a : b) : op == R_UMINP ? (a < b ? a : b)
                       : op == R_SMAXP ? (uint64_t)(sa > sb ? sa : sb) : (uint64_t)(sa < sb ? sa : sb);
            put(&r, esz, i, v);
        }
        return r;
    }
    if (op >= R_SQXTN) {
        int cnt = scalar ? 1 : 8 >> esz, h = q ? cnt : 0;
        if (q) r.d[0] = d->d[0];
        for (int i = 0; i < cnt; i++) {
            __int128 s = sget(n, esz + 1, i), u = get(n, esz + 1, i), v;
            switch (op) {
            case R_SQXTN: v = ssat(s, w, qc); break;
            case R_UQXTN: v = usat(u, w, qc); break;
            case R_SQXTUN: v = usat(s, w, qc); break;
            case R_SQSHRN: v = ssat(shift_exact(s, -imm, 0), w, qc); break;
            case R_UQSHRN: v = usat(shift_exact(u, -imm, 0), w, qc); break;
            case R_SQRSHRN: v = ssat(shift_exact(s, -imm, 1), w, qc); break;
            case R_UQRSHRN: v = usat(shift_exact(u, -imm, 1), w, qc); break;
            case R_SQSHRUN: v = usat(shift_exact(s, -imm, 0), w, qc); break;
            case R_XTN: v = u; break;
            case R_SHRN: v = shift_exact(u, -imm, 0); break;
            case R_RSHRN: v = shift_exact(u, -imm, 1); break;
            default: v = usat(shift_exact(s, -imm, 1), w, qc); break;
            }
            put(&r, esz, h + i, (uint64_t)v);
        }
        return r;
    }
    int cnt = scalar ? 1 : (q ? 16 : 8) >> esz;
    for (int i = 0; i < cnt; i++) {
        __int128 sa = sget(n, esz, i), ua = get(n, esz, i);
        __int128 sb = ix >= 0 ? sget(m, esz, ix) : sget(m, esz, i);
        __int128 ub = ix >= 0 ? get(m, esz, ix) : get(m, esz, i);
        __int128 sd = sget(d, esz, i), ud = get(d, esz, i), v;
        int shm = (int8_t)get(m, esz, i); /* shift by register: signed low byte */
        switch (op) {
        case R_SQADD: v = ssat(sa + sb, w, qc); break;
        case R_UQADD: v = usat(ua + ub, w, qc); break;
        case R_SQSUB: v = ssat(sa - sb, w, qc); break;
        case R_UQSUB: v = usat(ua - ub, w, qc); break;
        case R_SQDMULH: v = ssat((2 * sa * sb) >> w, w, qc); break;
        case R_SQRDMULH: v = ssat((2 * sa * sb + ((__int128)1 << (w - 1))) >> w, w, qc); break;
        case R_SQSHL: v = ssat(shift_exact(sa, shm, 0), w, qc); break;
        case R_UQSHL: v = usat(shift_exact(ua, shm, 0), w, qc); break;
        case R_SQRSHL: v = ssat(shift_exact(sa, shm, 1), w, qc); break;
        case R_UQRSHL: v = usat(shift_exact(ua, shm, 1), w, qc); break;
        case R_SRSHL: v = shm >= w ? 0 : shift_exact(sa, shm, 1); break;
        case R_URSHL: v = shm >= w ? 0 : shift_exact(ua, shm, 1); break;
        case R_SUQADD: v = ssat(sd + ua, w, qc); break;
        case R_USQADD: v = usat(ud + sa, w, qc); break;
        case R_SQABS: v = ssat(sa < 0 ? -sa : sa, w, qc); break;
        case R_SQNEG: v = ssat(-sa, w, qc); break;
        case R_SQSHLI: v = ssat(sa * ((__int128)1 << imm), w, qc); break;
        case R_UQSHLI: v = usat(ua * ((__int128)1 << imm), w, qc); break;
        case R_SQSHLU: v = usat(sa * ((__int128)1 << imm), w, qc); break;
        case R_SSRA: v = sd + shift_exact(sa, -imm, 0); break;
        case R_USRA: v = ud + shift_exact(ua, -imm, 0); break;
        case R_SRSHR: v = shift_exact(sa, -imm, 1); break;
        case R_URSHR: v = shift_exact(ua, -imm, 1); break;
        case R_SRSRA: v = sd + shift_exact(sa, -imm, 1); break;
        case R_URSRA: v = ud + shift_exact(ua, -imm, 1); break;
        case R_SRI: { /* imm = esize keeps all of d */
            uint64_t keep = imm >= w ? lmask(esz) : ~(lmask(esz) >> imm) & lmask(esz);
            v = (__int128)((get(d, esz, i) & keep) | (imm >= w ? 0 : get(n, esz, i) >> imm));
            break;
        }
        default: /* SLI */
            v = (__int128)((get(d, esz, i) & ((1ull << imm) - 1)) | (get(n, esz, i) << imm));
            break;
        }
        put(&r, esz, i, (uint64_t)v);
    }
    return r;
}

/* -- The instructions ----------------------------------------------------------------------
 * X(id, "instruction on v0 (d), v1 (n), v2 (m)", op, esz, q, scalar, ix, imm) */
#define CASES(X) \
    X(sqadd_8b, "sqadd v0.8b, v1.8b, v2.8b", R_SQADD, 0, 0, 0, -1, 0) \
    X(sqadd_8h, "sqadd v0.8h, v1.8h, v2.8h", R_SQADD, 1, 1, 0, -1, 0) \
    X(sqadd_4s, "sqadd v0.4s, v1.4s, v2.4s", R_SQADD, 2, 1, 0, -1, 0) \
    X(sqadd_2d, "sqadd v0.2d, v1.2d, v2.2d", R_SQADD, 3, 1, 0, -1, 0) \
    X(uqadd_16b, "uqadd v0.16b, v1.16b, v2.16b", R_UQADD, 0, 1, 0, -1, 0) \
    X(uqadd_2d, "uqadd v0.2d, v1.2d, v2.2d", R_UQADD, 3, 1, 0, -1, 0) \
    X(sqsub_8h, "sqsub v0.8h, v1.8h, v2.8h", R_SQSUB, 1, 1, 0, -1, 0) \
    X(sqsub_2d, "sqsub v0.2d, v1.2d, v2.2d", R_SQSUB, 3, 1, 0, -1, 0) \
    X(uqsub_16b, "uqsub v0.16b, v1.16b, v2.16b", R_UQSUB, 0, 1, 0, -1, 0) \
    X(uqsub_2s, "uqsub v0.2s, v1.2s, v2.2s", R_UQSUB, 2, 0, 0, -1, 0) \
    X(sqadd_b, "sqadd b0, b1, b2", R_SQADD, 0, 0, 1, -1, 0) \
    X(sqadd_h, "sqadd h0, h1, h2", R_SQADD, 1, 0, 1, -1, 0) \
    X(sqadd_s, "sqadd s0, s1, s2", R_SQADD, 2, 0, 1, -1, 0) \
    X(sqadd_d, "sqadd d0, d1, d2", R_SQADD, 3, 0, 1, -1, 0) \
    X(uqadd_b, "uqadd b0, b1, b2", R_UQADD, 0, 0, 1, -1, 0) \
    X(uqadd_d, "uqadd d0, d1, d2", R_UQADD, 3, 0, 1, -1, 0) \
    X(sqsub_h, "sqsub h0, h1, h2", R_SQSUB, 1, 0, 1, -1, 0) \
    X(sqsub_d, "sqsub d0, d1, d2", R_SQSUB, 3, 0, 1, -1, 0) \
    X(uqsub_s, "uqsub s0, s1, s2", R_UQSUB, 2, 0, 1, -1, 0) \
    X(uqsub_d, "uqsub d0, d1, d2", R_UQSUB, 3, 0, 1, -1, 0) \
    X(suqadd_16b, "suqadd v0.16b, v1.16b", R_SUQADD, 0, 1, 0, -1, 0) \
    X(suqadd_4s, "suqadd v0.4s, v1.4s", R_SUQADD, 2, 1, 0, -1, 0) \
    X(suqadd_2d, "suqadd v0.2d, v1.2d", R_SUQADD, 3, 1, 0, -1, 0) \
    X(usqadd_8b, "usqadd v0.8b, v1.8b", R_USQADD, 0, 0, 0, -1, 0) \
    X(usqadd_8h, "usqadd v0.8h, v1.8h", R_USQADD, 1, 1, 0, -1, 0) \
    X(usqadd_2d, "usqadd v0.2d, v1.2d", R_USQADD, 3, 1, 0, -1, 0) \
    X(suqadd_b, "suqadd b0, b1", R_SUQADD, 0, 0, 1, -1, 0) \
    X(suqadd_d, "suqadd d0, d1", R_SUQADD, 3, 0, 1, -1, 0) \
    X(usqadd_h, "usqadd h0, h1", R_USQADD, 1, 0, 1, -1, 0) \
    X(usqadd_d, "usqadd d0, d1", R_USQADD, 3, 0, 1, -1, 0) \
    X(sqabs_16b, "sqabs v0.16b, v1.16b", R_SQABS, 0, 1, 0, -1, 0) \
    X(sqabs_2d, "sqabs v0.2d, v1.2d", R_SQABS, 3, 1, 0, -1, 0) \
    X(sqneg_8h, "sqneg v0.8h, v1.8h", R_SQNEG, 1, 1, 0, -1, 0) \
    X(sqneg_2s, "sqneg v0.2s, v1.2s", R_SQNEG, 2, 0, 0, -1, 0) \
    X(sqabs_b, "sqabs b0, b1", R_SQABS, 0, 0, 1, -1, 0) \
    X(sqabs_d, "sqabs d0, d1", R_SQABS, 3, 0, 1, -1, 0) \
    X(sqneg_s, "sqneg s0, s1", R_SQNEG, 2, 0, 1, -1, 0) \
    X(sqneg_d, "sqneg d0, d1", R_SQNEG, 3, 0, 1, -1, 0) \
    X(sqdmulh_8h, "sqdmulh v0.8h, v1.8h, v2.8h", R_SQDMULH, 1, 1, 0, -1, 0) \
    X(sqdmulh_2s, "sqdmulh v0.2s, v1.2s, v2.2s", R_SQDMULH, 2, 0, 0, -1, 0) \
    X(sqrdmulh_4h, "sqrdmulh v0.4h, v1.4h, v2.4h", R_SQRDMULH, 1, 0, 0, -1, 0) \
    X(sqrdmulh_4s, "sqrdmulh v0.4s, v1.4s, v2.4s", R_SQRDMULH, 2, 1, 0, -1, 0) \
    X(sqdmulh_h, "sqdmulh h0, h1, h2", R_SQDMULH, 1, 0, 1, -1, 0) \
    X(sqdmulh_s, "sqdmulh s0, s1, s2", R_SQDMULH, 2, 0, 1, -1, 0) \
    X(sqrdmulh_h, "sqrdmulh h0, h1, h2", R_SQRDMULH, 1, 0, 1, -1, 0) \
    X(sqrdmulh_s, "sqrdmulh s0, s1, s2", R_SQRDMULH, 2, 0, 1, -1, 0) \
    X(sqdmulh_8h_x, "sqdmulh v0.8h, v1.8h, v2.h[5]", R_SQDMULH, 1, 1, 0, 5, 0) \
    X(sqrdmulh_4s_x, "sqrdmulh v0.4s, v1.4s, v2.s[3]", R_SQRDMULH, 2, 1, 0, 3, 0) \
    X(sqdmulh_h_x, "sqdmulh h0, h1, v2.h[2]", R_SQDMULH, 1, 0, 1, 2, 0) \
    X(sqrdmulh_s_x, "sqrdmulh s0, s1, v2.s[1]", R_SQRDMULH, 2, 0, 1, 1, 0) \
    X(sqdmull_4s, "sqdmull v0.4s, v1.4h, v2.4h", R_SQDMULL, 1, 0, 0, -1, 0) \
    X(sqdmull2_4s, "sqdmull2 v0.4s, v1.8h, v2.8h", R_SQDMULL, 1, 1, 0, -1, 0) \
    X(sqdmull_2d, "sqdmull v0.2d, v1.2s, v2.2s", R_SQDMULL, 2, 0, 0, -1, 0) \
    X(sqdmull2_2d, "sqdmull2 v0.2d, v1.4s, v2.4s", R_SQDMULL, 2, 1, 0, -1, 0) \
    X(sqdmlal_4s, "sqdmlal v0.4s, v1.4h, v2.4h", R_SQDMLAL, 1, 0, 0, -1, 0) \
    X(sqdmlal2_2d, "sqdmlal2 v0.2d, v1.4s, v2.4s", R_SQDMLAL, 2, 1, 0, -1, 0) \
    X(sqdmlsl_2d, "sqdmlsl v0.2d, v1.2s, v2.2s", R_SQDMLSL, 2, 0, 0, -1, 0) \
    X(sqdmlsl2_4s, "sqdmlsl2 v0.4s, v1.8h, v2.8h", R_SQDMLSL, 1, 1, 0, -1, 0) \
    X(sqdmull_4s_x, "sqdmull v0.4s, v1.4h, v2.h[7]", R_SQDMULL, 1, 0, 0, 7, 0) \
    X(sqdmlal2_2d_x, "sqdmlal2 v0.2d, v1.4s, v2.s[2]", R_SQDMLAL, 2, 1, 0, 2, 0) \
    X(sqdmlsl_4s_x, "sqdmlsl v0.4s, v1.4h, v2.h[1]", R_SQDMLSL, 1, 0, 0, 1, 0) \
    X(sqdmull2_4s_x, "sqdmull2 v0.4s, v1.8h, v2.h[4]", R_SQDMULL, 1, 1, 0, 4, 0) \
    X(sqdmull_s, "sqdmull s0, h1, h2", R_SQDMULL, 1, 0, 1, -1, 0) \
    X(sqdmull_d, "sqdmull d0, s1, s2", R_SQDMULL, 2, 0, 1, -1, 0) \
    X(sqdmlal_s, "sqdmlal s0, h1, h2", R_SQDMLAL, 1, 0, 1, -1, 0) \
    X(sqdmlal_d, "sqdmlal d0, s1, s2", R_SQDMLAL, 2, 0, 1, -1, 0) \
    X(sqdmlsl_s, "sqdmlsl s0, h1, h2", R_SQDMLSL, 1, 0, 1, -1, 0) \
    X(sqdmlsl_d, "sqdmlsl d0, s1, s2", R_SQDMLSL, 2, 0, 1, -1, 0) \
    X(sqdmull_d_x, "sqdmull d0, s1, v2.s[3]", R_SQDMULL, 2, 0, 1, 3, 0) \
    X(sqdmlal_s_x, "sqdmlal s0, h1, v2.h[6]", R_SQDMLAL, 1, 0, 1, 6, 0) \
    X(sqdmlsl_d_x, "sqdmlsl d0, s1, v2.s[0]", R_SQDMLSL, 2, 0, 1, 0, 0) \
    X(sqxtn_8b, "sqxtn v0.8b, v1.8h", R_SQXTN, 0, 0, 0, -1, 0) \
    X(sqxtn2_16b, "sqxtn2 v0.16b, v1.8h", R_SQXTN, 0, 1, 0, -1, 0) \
    X(uqxtn_4h, "uqxtn v0.4h, v1.4s", R_UQXTN, 1, 0, 0, -1, 0) \
    X(uqxtn2_4s, "uqxtn2 v0.4s, v1.2d", R_UQXTN, 2, 1, 0, -1, 0) \
    X(sqxtun_2s, "sqxtun v0.2s, v1.2d", R_SQXTUN, 2, 0, 0, -1, 0) \
    X(sqxtun2_16b, "sqxtun2 v0.16b, v1.8h", R_SQXTUN, 0, 1, 0, -1, 0) \
    X(sqxtn_b, "sqxtn b0, h1", R_SQXTN, 0, 0, 1, -1, 0) \
    X(sqxtn_s, "sqxtn s0, d1", R_SQXTN, 2, 0, 1, -1, 0) \
    X(uqxtn_h, "uqxtn h0, s1", R_UQXTN, 1, 0, 1, -1, 0) \
    X(uqxtn_s, "uqxtn s0, d1", R_UQXTN, 2, 0, 1, -1, 0) \
    X(sqxtun_b, "sqxtun b0, h1", R_SQXTUN, 0, 0, 1, -1, 0) \
    X(sqxtun_s, "sqxtun s0, d1", R_SQXTUN, 2, 0, 1, -1, 0) \
    X(sqshrn_8b, "sqshrn v0.8b, v1.8h, #3", R_SQSHRN, 0, 0, 0, -1, 3) \
    X(sqshrn2_8h, "sqshrn2 v0.8h, v1.4s, #9", R_SQSHRN, 1, 1, 0, -1, 9) \
    X(uqshrn_2s, "uqshrn v0.2s, v1.2d, #17", R_UQSHRN, 2, 0, 0, -1, 17) \
    X(uqshrn2_16b, "uqshrn2 v0.16b, v1.8h, #1", R_UQSHRN, 0, 1, 0, -1, 1) \
    X(sqrshrn_4h, "sqrshrn v0.4h, v1.4s, #5", R_SQRSHRN, 1, 0, 0, -1, 5) \
    X(sqrshrn2_4s, "sqrshrn2 v0.4s, v1.2d, #32", R_SQRSHRN, 2, 1, 0, -1, 32) \
    X(uqrshrn_8b, "uqrshrn v0.8b, v1.8h, #8", R_UQRSHRN, 0, 0, 0, -1, 8) \
    X(uqrshrn2_8h, "uqrshrn2 v0.8h, v1.4s, #16", R_UQRSHRN, 1, 1, 0, -1, 16) \
    X(sqshrun_8b, "sqshrun v0.8b, v1.8h, #2", R_SQSHRUN, 0, 0, 0, -1, 2) \
    X(sqshrun2_4s, "sqshrun2 v0.4s, v1.2d, #7", R_SQSHRUN, 2, 1, 0, -1, 7) \
    X(sqrshrun_4h, "sqrshrun v0.4h, v1.4s, #1", R_SQRSHRUN, 1, 0, 0, -1, 1) \
    X(sqrshrun2_16b, "sqrshrun2 v0.16b, v1.8h, #4", R_SQRSHRUN, 0, 1, 0, -1, 4) \
    X(xtn_8b, "xtn v0.8b, v1.8h", R_XTN, 0, 0, 0, -1, 0) \
    X(xtn2_8h, "xtn2 v0.8h, v1.4s", R_XTN, 1, 1, 0, -1, 0) \
    X(xtn_2s, "xtn v0.2s, v1.2d", R_XTN, 2, 0, 0, -1, 0) \
    X(shrn_8b, "shrn v0.8b, v1.8h, #4", R_SHRN, 0, 0, 0, -1, 4) \
    X(shrn2_16b, "shrn2 v0.16b, v1.8h, #8", R_SHRN, 0, 1, 0, -1, 8) \
    X(shrn_4h, "shrn v0.4h, v1.4s, #16", R_SHRN, 1, 0, 0, -1, 16) \
    X(shrn2_4s, "shrn2 v0.4s, v1.2d, #1", R_SHRN, 2, 1, 0, -1, 1) \
    X(rshrn_8b, "rshrn v0.8b, v1.8h, #8", R_RSHRN, 0, 0, 0, -1, 8) \
    X(rshrn2_8h, "rshrn2 v0.8h, v1.4s, #3", R_RSHRN, 1, 1, 0, -1, 3) \
    X(rshrn_2s, "rshrn v0.2s, v1.2d, #32", R_RSHRN, 2, 0, 0, -1, 32) \
    X(addp_16b, "addp v0.16b, v1.16b, v2.16b", R_ADDP, 0, 1, 0, -1, 0) \
    X(addp_4h, "addp v0.4h, v1.4h, v2.4h", R_ADDP, 1, 0, 0, -1, 0) \
    X(addp_2d, "addp v0.2d, v1.2d, v2.2d", R_ADDP, 3, 1, 0, -1, 0) \
    X(umaxp_16b, "umaxp v0.16b, v1.16b, v2.16b", R_UMAXP, 0, 1, 0, -1, 0) \
    X(umaxp_8b, "umaxp v0.8b, v1.8b, v2.8b", R_UMAXP, 0, 0, 0, -1, 0) \
    X(uminp_16b, "uminp v0.16b, v1.16b, v2.16b", R_UMINP, 0, 1, 0, -1, 0) \
    X(uminp_2s, "uminp v0.2s, v1.2s, v2.2s", R_UMINP, 2, 0, 0, -1, 0) \
    X(smaxp_8h, "smaxp v0.8h, v1.8h, v2.8h", R_SMAXP, 1, 1, 0, -1, 0) \
    X(sminp_4s, "sminp v0.4s, v1.4s, v2.4s", R_SMINP, 2, 1, 0, -1, 0) \
    X(sqshrn_b, "sqshrn b0, h1, #4", R_SQSHRN, 0, 0, 1, -1, 4) \
    X(sqshrn_s, "sqshrn s0, d1, #31", R_SQSHRN, 2, 0, 1, -1, 31) \
    X(uqshrn_h, "uqshrn h0, s1, #3", R_UQSHRN, 1, 0, 1, -1, 3) \
    X(sqrshrn_h, "sqrshrn h0, s1, #16", R_SQRSHRN, 1, 0, 1, -1, 16) \
    X(uqrshrn_s, "uqrshrn s0, d1, #1", R_UQRSHRN, 2, 0, 1, -1, 1) \
    X(sqshrun_b, "sqshrun b0, h1, #1", R_SQSHRUN, 0, 0, 1, -1, 1) \
    X(sqrshrun_s, "sqrshrun s0, d1, #20", R_SQRSHRUN, 2, 0, 1, -1, 20) \
    X(sqshl_16b, "sqshl v0.16b, v1.16b, v2.16b", R_SQSHL, 0, 1, 0, -1, 0) \
    X(sqshl_4s, "sqshl v0.4s, v1.4s, v2.4s", R_SQSHL, 2, 1, 0, -1, 0) \
    X(sqshl_2d, "sqshl v0.2d, v1.2d, v2.2d", R_SQSHL, 3, 1, 0, -1, 0) \
    X(uqshl_8h, "uqshl v0.8h, v1.8h, v2.8h", R_UQSHL, 1, 1, 0, -1, 0) \
    X(uqshl_2d, "uqshl v0.2d, v1.2d, v2.2d", R_UQSHL, 3, 1, 0, -1, 0) \
    X(sqrshl_8h, "sqrshl v0.8h, v1.8h, v2.8h", R_SQRSHL, 1, 1, 0, -1, 0) \
    X(sqrshl_2d, "sqrshl v0.2d, v1.2d, v2.2d", R_SQRSHL, 3, 1, 0, -1, 0) \
    X(uqrshl_16b, "uqrshl v0.16b, v1.16b, v2.16b", R_UQRSHL, 0, 1, 0, -1, 0) \
    X(uqrshl_4s, "uqrshl v0.4s, v1.4s, v2.4s", R_UQRSHL, 2, 1, 0, -1, 0) \
    X(sqshl_b, "sqshl b0, b1, b2", R_SQSHL, 0, 0, 1, -1, 0) \
    X(sqshl_d, "sqshl d0, d1, d2", R_SQSHL, 3, 0, 1, -1, 0) \
    X(uqshl_h, "uqshl h0, h1, h2", R_UQSHL, 1, 0, 1, -1, 0) \
    X(uqshl_d, "uqshl d0, d1, d2", R_UQSHL, 3, 0, 1, -1, 0) \
    X(sqrshl_s, "sqrshl s0, s1, s2", R_SQRSHL, 2, 0, 1, -1, 0) \
    X(sqrshl_d, "sqrshl d0, d1, d2", R_SQRSHL, 3, 0, 1, -1, 0) \
    X(uqrshl_b, "uqrshl b0, b1, b2", R_UQRSHL, 0, 0, 1, -1, 0) \
    X(uqrshl_d, "uqrshl d0, d1, d2", R_UQRSHL, 3, 0, 1, -1, 0) \
    X(srshl_d, "srshl d0, d1, d2", R_SRSHL, 3, 0, 1, -1, 0) \
    X(urshl_d, "urshl d0, d1, d2", R_URSHL, 3, 0, 1, -1, 0) \
    X(sqshli_16b, "sqshl v0.16b, v1.16b, #3", R_SQSHLI, 0, 1, 0, -1, 3) \
    X(sqshli_4s, "sqshl v0.4s, v1.4s, #31", R_SQSHLI, 2, 1, 0, -1, 31) \
    X(sqshli_2d, "sqshl v0.2d, v1.2d, #1", R_SQSHLI, 3, 1, 0, -1, 1) \
    X(uqshli_8h, "uqshl v0.8h, v1.8h, #15", R_UQSHLI, 1, 1, 0, -1, 15) \
    X(uqshli_2d, "uqshl v0.2d, v1.2d, #40", R_UQSHLI, 3, 1, 0, -1, 40) \
    X(sqshlu_16b, "sqshlu v0.16b, v1.16b, #7", R_SQSHLU, 0, 1, 0, -1, 7) \
    X(sqshlu_4s, "sqshlu v0.4s, v1.4s, #0", R_SQSHLU, 2, 1, 0, -1, 0) \
    X(sqshli_b, "sqshl b0, b1, #5", R_SQSHLI, 0, 0, 1, -1, 5) \
    X(sqshli_d, "sqshl d0, d1, #63", R_SQSHLI, 3, 0, 1, -1, 63) \
    X(uqshli_h, "uqshl h0, h1, #9", R_UQSHLI, 1, 0, 1, -1, 9) \
    X(uqshli_s, "uqshl s0, s1, #30", R_UQSHLI, 2, 0, 1, -1, 30) \
    X(sqshlu_b, "sqshlu b0, b1, #1", R_SQSHLU, 0, 0, 1, -1, 1) \
    X(sqshlu_d, "sqshlu d0, d1, #33", R_SQSHLU, 3, 0, 1, -1, 33) \
    X(ssra_d, "ssra d0, d1, #64", R_SSRA, 3, 0, 1, -1, 64) \
    X(usra_d, "usra d0, d1, #7", R_USRA, 3, 0, 1, -1, 7) \
    X(srshr_d, "srshr d0, d1, #63", R_SRSHR, 3, 0, 1, -1, 63) \
    X(urshr_d, "urshr d0, d1, #64", R_URSHR, 3, 0, 1, -1, 64) \
    X(srsra_d, "srsra d0, d1, #1", R_SRSRA, 3, 0, 1, -1, 1) \
    X(ursra_d, "ursra d0, d1, #33", R_URSRA, 3, 0, 1, -1, 33) \
    X(sri_d, "sri d0, d1, #12", R_SRI, 3, 0, 1, -1, 12) \
    X(sli_d, "sli d0, d1, #50", R_SLI, 3, 0, 1, -1, 50)

typedef unsigned (*Fn)(V *d, const V *n, const V *m);

#ifdef __aarch64__
/* v0 = *d, v1 = *n, v2 = *m; FPSR cleared before, QC (bit 27) returned. */
#define FN(id, insn, ...)                                                                     \
    static unsigned f_##id(V *d, const V *n, const V *m)                                      \
    {                                                                                         \
        uint64_t fpsr;                                                                        \
        __asm__ volatile("ldr q0, [%1]\n\tldr q1, [%2]\n\tldr q2, [%3]\n\tmsr fpsr, xzr\n\t" insn \
                         "\n\tstr q0, [%1]\n\tmrs %0, fpsr"                                  \
                         : "=&r"(fpsr)                                                        \
                         : "r"(d), "r"(n), "r"(m)                                             \
                         : "v0", "v1", "v2", "memory");                                       \
        return (unsigned)(fpsr >> 27) & 1;                                                    \
    }
CASES(FN)
#define FNP(id) f_##id
#else
#define FNP(id) NULL
#endif

typedef struct Case {
    const char *name;
    Fn fn;
    int op, esz, q, scalar, ix, imm;
} Case;

static const Case cases[] = {
#define ENTRY(id, insn, op, esz, q, scalar, ix, imm) {insn, FNP(id), op, esz, q, scalar, ix, imm},
    CASES(ENTRY)
#undef ENTRY
};

/* A lane value: edge values half the time. */
static uint64_t pick(int esz)
{
    uint64_t m = lmask(esz), smax = m >> 1;
    switch (rnd() % 10) {
    case 0: return 0;
    case 1: return 1;
    case 2: return m;            /* -1 / UMAX */
    case 3: return smax;         /* SMAX */
    case 4: return smax + 1;     /* SMIN */
    case 5: return smax + 2;     /* SMIN + 1 */
    default: return rnd() & m;
    }
}

static void fill(V *v, int esz)
{
    for (int i = 0; i < (16 >> esz); i++) put(v, esz, i, pick(esz));
}

/* Shift counts for shift-by-register: mostly within +-(esize + 2), the low
 * byte of each lane (the rest of the lane is random and ignored). */
static void fill_shift(V *v, int esz)
{
    int w = 8 << esz;
    for (int i = 0; i < (16 >> esz); i++) {
        uint64_t x = rnd() & lmask(esz);
        int8_t s = rnd() % 4 == 0 ? (int8_t)rnd() : (int8_t)((int)(rnd() % (unsigned)(2 * w + 5)) - (w + 2));
        put(v, esz, i, (x & ~0xffull) | (uint8_t)s);
    }
}

int main(void)
{
    int fails = 0;
    enum { ITERS = 16 };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const Case *k = &cases[c];
        /* Source lanes: long ops read esz, narrow ops esz + 1. */
        int nesz = k->op >= R_SQXTN && k->op < R_ADDP ? k->esz + 1 : k->esz;
        int desz = k->op >= R_SQDMULL && k->op <= R_SQDMLSL ? k->esz + 1 : k->esz;
        for (int it = 0; it < ITERS; it++) {
            V d, n, m, got;
            fill(&d, desz);
            fill(&n, nesz);
            if (k->op >= R_SQSHL && k->op <= R_URSHL) fill_shift(&m, k->esz);
            else fill(&m, nesz);
            int qc;
            V want = ref(k->op, k->esz, k->q, k->scalar, k->ix, k->imm, &d, &n, &m, &qc);
            unsigned gqc = (unsigned)qc;
            got = want;
#ifdef __aarch64__
            got = d;
            gqc = k->fn(&got, &n, &m);
            if (memcmp(&got, &want, sizeof(V)) || gqc != (unsigned)qc) {
                printf("FAIL %s: n=%016" PRIx64 ":%016" PRIx64 " m=%016" PRIx64 ":%016" PRIx64
                       " d=%016" PRIx64 ":%016" PRIx64 " want %016" PRIx64 ":%016" PRIx64 " qc %d\n",
                       k->name, n.d[1], n.d[0], m.d[1], m.d[0], d.d[1], d.d[0], want.d[1], want.d[0], qc);
                fails++;
            }
#endif
            printf("%-32s %016" PRIx64 ":%016" PRIx64 " qc=%u\n", k->name, got.d[1], got.d[0], gqc);
        }
    }
    printf("a64_sat: %zu instructions x %d inputs, %d failures\n", sizeof(cases) / sizeof(cases[0]),
           (int)ITERS, fails);
    return fails != 0;
}
