/* SPDX-License-Identifier: MIT */
/* Private helpers of the FP reference library (src/ir/fp.c): format constants
 * and bit-pattern predicates for binary32/binary64, shared with its tests. */
#ifndef VM_FP_INT_H
#define VM_FP_INT_H

#include <stdbool.h>
#include <stdint.h>

#define FP_INLINE static inline __attribute__((always_inline))

typedef unsigned __int128 fp_u128;

/* Format constants, f = 1 for binary64, 0 for binary32 (IEEE 754-2019 3.6).
 * Callers pass f as a compile-time constant so every op is specialised. */
#define FP_MB(f) ((f) ? 52 : 23)               /* stored significand bits */
#define FP_EMAX(f) ((f) ? 0x7ffu : 0xffu)      /* all-ones exponent field */
#define FP_BIAS(f) ((f) ? 1023 : 127)
#define FP_SIGN(f) ((f) ? (1ull << 63) : (1ull << 31))
#define FP_MMASK(f) ((1ull << FP_MB(f)) - 1)
#define FP_QBIT(f) (1ull << (FP_MB(f) - 1))    /* quiet bit (IEEE 754-2019 6.2.1) */
#define FP_INF(f) ((uint64_t)FP_EMAX(f) << FP_MB(f))
#define FP_MAXFIN(f) (FP_INF(f) - 1)
/* The unpacked significand keeps its leading 1 at bit 62; RSH guard bits sit
 * below the result's lsb (10 for binary64, 39 for binary32). */
#define FP_RSH(f) (62 - FP_MB(f))

FP_INLINE uint32_t fp_efield(int f, uint64_t x) { return (uint32_t)(x >> FP_MB(f)) & FP_EMAX(f); }
FP_INLINE uint64_t fp_mfield(int f, uint64_t x) { return x & FP_MMASK(f); }
FP_INLINE bool fp_sign_of(int f, uint64_t x) { return (x >> (f ? 63 : 31)) & 1; }
FP_INLINE bool fp_is_nan(int f, uint64_t x)
{
    return fp_efield(f, x) == FP_EMAX(f) && fp_mfield(f, x) != 0;
}
FP_INLINE bool fp_is_snan(int f, uint64_t x)
{
    return fp_is_nan(f, x) && !(x & FP_QBIT(f));
}
FP_INLINE bool fp_is_inf(int f, uint64_t x)
{
    return fp_efield(f, x) == FP_EMAX(f) && fp_mfield(f, x) == 0;
}
FP_INLINE bool fp_is_zero(int f, uint64_t x) { return (x & ~FP_SIGN(f) & (f ? ~0ull : 0xffffffffull)) == 0; }
FP_INLINE bool fp_is_sub(int f, uint64_t x) { return fp_efield(f, x) == 0 && fp_mfield(f, x) != 0; }

#endif
