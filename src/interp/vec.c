/* SPDX-License-Identifier: MIT */
/* 128-bit vector op bodies for the interpreter, one per (op, element size).
 * A V128 sits in two frame slots, low word first; lane i of size E is bytes
 * [i*E, (i+1)*E) of that little-endian pair. */
#include <string.h>

#include "interp/interp_int.h"
#include "vm/fp.h"

#define V(slot) (&F[(slot)])

/* One function per element size; the body sees a, b (lane values of type U),
 * U/S (unsigned/signed lane types), BITS, ip, cpu and assigns r. */
#define VFN(name, lg, U_, S_, N, ...)                                                          \
    static void v_##name##_##lg(CpuState *cpu, uint64_t *F, const IOp *ip)                     \
    {                                                                                          \
        typedef U_ U;                                                                          \
        typedef S_ S;                                                                          \
        enum { BITS = sizeof(U) * 8 };                                                         \
        U res[N], la[N], lb[N];                                                                \
        memcpy(la, V(ip->a), 16);                                                              \
        memcpy(lb, V(ip->b), 16);                                                              \
        for (int i = 0; i < N; i++) {                                                          \
            U a = la[i], b = lb[i], r;                                                         \
            (void)a; (void)b; (void)cpu; (void)sizeof(S);                                      \
            __VA_ARGS__;                                                                       \
            res[i] = r;                                                                        \
        }                                                                                      \
        memcpy(V(ip->d), res, 16);                                                             \
    }
#define VGEN(name, ...)                                                                        \
    VFN(name, 0, uint8_t, int8_t, 16, __VA_ARGS__)                                             \
    VFN(name, 1, uint16_t, int16_t, 8, __VA_ARGS__)                                            \
    VFN(name, 2, uint32_t, int32_t, 4, __VA_ARGS__)                                            \
    VFN(name, 3, uint64_t, int64_t, 2, __VA_ARGS__)                                            \
    static const IVecFn vt_##name[4] = {v_##name##_0, v_##name##_1, v_##name##_2, v_##name##_3};

#define SMAXV ((S)(((U)1 << (BITS - 1)) - 1))
#define SMINV ((S)((U)1 << (BITS - 1)))
#define ONES ((U) ~(U)0)

/* Arithmetic goes through uint64_t so narrow lanes never overflow an int. */
VGEN(vadd, r = (U)((uint64_t)a + b))
VGEN(vsub, r = (U)((uint64_t)a - b))
VGEN(vmul, r = (U)((uint64_t)a * b))
VGEN(vneg, r = (U)(0 - (uint64_t)a))
VGEN(vabs, r = (S)a < 0 ? (U)(0 - (uint64_t)a) : a)
VGEN(vshli, r = ip->aux >= BITS ? 0 : (U)((uint64_t)a << ip->aux))
VGEN(vshri, r = ip->aux >= BITS ? 0 : (U)(a >> ip->aux))
VGEN(vsari, r = (U)((S)a >> (ip->aux >= BITS ? BITS - 1 : ip->aux)))
VGEN(vcmpeq, r = a == b ? ONES : 0)
VGEN(vcmpgt, r = (S)a > (S)b ? ONES : 0)
VGEN(vcmpgtu, r = a > b ? ONES : 0)
VGEN(vmins, r = (S)a < (S)b ? a : b)
VGEN(vmaxs, r = (S)a > (S)b ? a : b)
VGEN(vminu, r = a < b ? a : b)
VGEN(vmaxu, r = a > b ? a : b)
VGEN(vqadds, S s; if (__builtin_add_overflow((S)a, (S)b, &s)) s = (S)a < 0 ? SMINV : SMAXV;
     r = (U)s)
VGEN(vqaddu, if (__builtin_add_overflow(a, b, &r)) r = ONES)
VGEN(vqsubs, S s; if (__builtin_sub_overflow((S)a, (S)b, &s)) s = (S)a < 0 ? SMINV : SMAXV;
     r = (U)s)
VGEN(vqsubu, if (__builtin_sub_overflow(a, b, &r)) r = 0)

/* Lane-size independent bitwise ops. */
#define VBIT(name, expr)                                                                       \
    static void v_##name(CpuState *cpu, uint64_t *F, const IOp *ip)                            \
    {                                                                                          \
        (void)cpu;                                                                             \
        uint64_t r[2];                                                                         \
        for (int i = 0; i < 2; i++) {                                                          \
            uint64_t a = V(ip->a)[i], b = V(ip->b)[i];                                         \
            (void)b;                                                                           \
            r[i] = (expr);                                                                     \
        }                                                                                      \
        memcpy(V(ip->d), r, 16);                                                               \
    }
VBIT(vand, a & b)
VBIT(vor, a | b)
VBIT(vxor, a ^ b)
VBIT(vandn, a & ~b)
VBIT(vnot, ~a)

/* vperm: byte i of the result = byte c[i] of the 32-byte a:b (a = bytes 0..15,
 * b = bytes 16..31); an index >= 32 gives 0. */
static void v_vperm(CpuState *cpu, uint64_t *F, const IOp *ip)
{
    (void)cpu;
    uint8_t ab[32], c[16], r[16];
    memcpy(ab, V(ip->a), 16);
    memcpy(ab + 16, V(ip->b), 16);
    memcpy(c, V(ip->c), 16);
    for (int i = 0; i < 16; i++) r[i] = c[i] < 32 ? ab[c[i]] : 0;
    memcpy(V(ip->d), r, 16);
}

/* Lane-wise FP through fp.h: imm = esize (2 = F32, 3 = F64), aux = IrRound. */
#define VFP(name, fn)                                                                          \
    static void v_##name##_2(CpuState *cpu, uint64_t *F, const IOp *ip)                        \
    {                                                                                          \
        uint32_t a[4], b[4], r[4];                                                             \
        memcpy(a, V(ip->a), 16);                                                               \
        memcpy(b, V(ip->b), 16);                                                               \
        for (int i = 0; i < 4; i++) r[i] = (uint32_t)fn(&cpu->fp, IR_F32, a[i], b[i], ip->aux); \
        memcpy(V(ip->d), r, 16);                                                               \
    }                                                                                          \
    static void v_##name##_3(CpuState *cpu, uint64_t *F, const IOp *ip)                        \
    {                                                                                          \
        uint64_t a[2], b[2], r[2];                                                             \
        memcpy(a, V(ip->a), 16);                                                               \
        memcpy(b, V(ip->b), 16);                                                               \
        for (int i = 0; i < 2; i++) r[i] = fn(&cpu->fp, IR_F64, a[i], b[i], ip->aux);          \
        memcpy(V(ip->d), r, 16);                                                               \
    }                                                                                          \
    static const IVecFn vt_##name[4] = {NULL, NULL, v_##name##_2, v_##name##_3};
VFP(vfadd, fp_add)
VFP(vfsub, fp_sub)
VFP(vfmul, fp_mul)
VFP(vfdiv, fp_div)

IVecFn interp_vec_fn(IrOp op, unsigned lg)
{
    if (lg > 3) return NULL;
    switch (op) {
#define T_(n) case IR_OP_##n: return vt_##n[lg];
        T_(vadd) T_(vsub) T_(vmul) T_(vneg) T_(vabs) T_(vshli) T_(vshri) T_(vsari)
        T_(vcmpeq) T_(vcmpgt) T_(vcmpgtu) T_(vmins) T_(vmaxs) T_(vminu) T_(vmaxu)
        T_(vqadds) T_(vqaddu) T_(vqsubs) T_(vqsubu) T_(vfadd) T_(vfsub) T_(vfmul) T_(vfdiv)
#undef T_
    case IR_OP_vand: return v_vand;
    case IR_OP_vor: return v_vor;
    case IR_OP_vxor: return v_vxor;
    case IR_OP_vandn: return v_vandn;
    case IR_OP_vnot: return v_vnot;
    case IR_OP_vperm: return v_vperm;
    default: return NULL;
    }
}

void interp_vdup(uint64_t *d, uint64_t s, unsigned lg)
{
    uint8_t r[16];
    unsigned e = 1u << lg;
    for (unsigned i = 0; i < 16; i += e) memcpy(r + i, &s, e);
    memcpy(d, r, 16);
}

uint64_t interp_vextract(const uint64_t *a, unsigned lg, unsigned lane)
{
    uint64_t v = 0;
    unsigned e = 1u << lg;
    memcpy(&v, (const uint8_t *)a + lane * e, e);
    return v;
}

void interp_vinsert(uint64_t *d, const uint64_t *a, uint64_t s, unsigned lg, unsigned lane)
{
    uint8_t r[16];
    unsigned e = 1u << lg;
    memcpy(r, a, 16);
    memcpy(r + lane * e, &s, e);
    memcpy(d, r, 16);
}
