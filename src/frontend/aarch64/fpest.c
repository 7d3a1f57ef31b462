/* SPDX-License-Identifier: MIT */
/* AArch64 FP operations with no IEEE counterpart in fp.c: the reciprocal and
 * reciprocal square root estimates (FRECPE/FRSQRTE/URECPE/URSQRTE, bit-exact
 * to the Arm ARM's tables), FRECPX, and conversions to and from half
 * precision (FCVT, FCVTL/FCVTN, with FPCR.AHP). Pseudocode: DDI 0487 J1,
 * shared/functions/float/{fprecipestimate,fprsqrtestimate,fprecpx,fpconvert}. */
#include <stdbool.h>
#include <stdint.h>

#include "frontend/aarch64/a64_cpu.h"
#include "vm/fp.h"

#include "a64_internal.h"

/* Field layout of single (esz 2) and double (esz 3). */
typedef struct FFmt {
    int ebits, fbits;
} FFmt;

static FFmt fmt_of(int esz) { return esz == 3 ? (FFmt){11, 52} : (FFmt){8, 23}; }
static IrType ftype_of(int esz) { return esz == 3 ? IR_F64 : IR_F32; }

/* FPProcessNaN for one operand: sNaN raises IOC and is quieted; DN gives the
 * default NaN. */
static uint64_t process_nan(FpCtl *f, int esz, uint64_t x)
{
    uint64_t qbit = 1ull << (fmt_of(esz).fbits - 1);
    if (!(x & qbit)) f->flags |= FP_FLAG_NV;
    if (f->mode & FP_MODE_DN) return fp_default_nan(f, ftype_of(esz));
    return x | qbit;
}

/* FPUnpack's flush: with FPCR.FZ a denormal input reads as zero and raises IDC. */
static uint64_t flush_in(FpCtl *f, int esz, uint64_t x)
{
    FFmt m = fmt_of(esz);
    uint64_t exp = (x >> m.fbits) & ((1ull << m.ebits) - 1), frac = x & ((1ull << m.fbits) - 1);
    if ((f->mode & FP_MODE_FZ) && exp == 0 && frac) {
        f->flags |= FP_FLAG_DE;
        return x & (1ull << (m.ebits + m.fbits));
    }
    return x;
}

/* RecipEstimate (J1): a in 256..511 (0.5 <= x < 1.0 in 1/512 steps) -> 256..511. */
static unsigned recip_estimate(unsigned a)
{
    a = a * 2 + 1;
    unsigned b = (1u << 19) / a;
    return (b + 1) / 2;
}

/* RecipSqrtEstimate (J1): a in 128..511 (0.25 <= x < 1.0) -> 256..511. */
static unsigned rsqrt_estimate(unsigned a)
{
    if (a < 256) {
        a = a * 2 + 1;
    } else {
        a = (a >> 1) << 1;
        a = (a + 1) * 2;
    }
    unsigned b = 512;
    while ((uint64_t)a * (b + 1) * (b + 1) < (1ull << 28)) b++;
    return (b + 1) / 2;
}

/* FPRecipEstimate (C7.2 FRECPE). */
uint64_t a64_recip_estimate(FpCtl *f, int esz, uint64_t x)
{
    FFmt m = fmt_of(esz);
    int n = m.ebits + m.fbits + 1;
    x = flush_in(f, esz, x);
    uint64_t sign = (x >> (n - 1)) & 1, emax = (1ull << m.ebits) - 1;
    uint64_t exp = (x >> m.fbits) & emax, frac = x & ((1ull << m.fbits) - 1);
    uint64_t sbit = sign << (n - 1), inf = sbit | emax << m.fbits;
    if (exp == emax && frac) return process_nan(f, esz, x);
    if (exp == emax) return sbit; /* 1/inf = 0 */
    if (exp == 0 && frac == 0) {
        f->flags |= FP_FLAG_DZ;
        return inf;
    }
    /* |x| < 2^-128 (single) / 2^-1024 (double): the reciprocal overflows. This
     * is a denormal whose two top fraction bits are zero. */
    if (exp == 0 && !(frac >> (m.fbits - 2))) {
        bool to_inf;
        switch (f->rm) {
        case IR_RM_RUP: to_inf = !sign; break;
        case IR_RM_RDN: to_inf = sign; break;
        case IR_RM_RTZ: to_inf = false; break;
        default: to_inf = true; break;
        }
        f->flags |= FP_FLAG_OF | FP_FLAG_NX;
        return to_inf ? inf : (sbit | (emax - 1) << m.fbits | ((1ull << m.fbits) - 1));
    }
    /* |x| >= 2^126 / 2^1022 with FZ: the result would be denormal: flushed. */
    if ((f->mode & FP_MODE_FZ) && exp >= emax - 2) {
        f->flags |= FP_FLAG_UF;
        return sbit;
    }
    /* 52-bit fraction as in the pseudocode. */
    uint64_t fr = frac << (52 - m.fbits);
    int64_t e = (int64_t)exp;
    if (e == 0) {
        if (!((fr >> 51) & 1)) {
            e = -1;
            fr = (fr << 2) & ((1ull << 52) - 1);
        } else {
            fr = (fr << 1) & ((1ull << 52) - 1);
        }
    }
    unsigned scaled = (unsigned)(256 | ((fr >> 44) & 0xff));
    int64_t rexp = (int64_t)(2 * (emax >> 1) - 1) - e; /* 253 - e / 2045 - e */
    unsigned est = recip_estimate(scaled);
    uint64_t rf = (uint64_t)(est & 0xff) << 44;
    if (rexp == 0) {
        rf = (1ull << 51) | (rf >> 1);
    } else if (rexp == -1) {
        rf = (1ull << 50) | (rf >> 2);
        rexp = 0;
    }
    return sbit | (uint64_t)rexp << m.fbits | (rf >> (52 - m.fbits));
}

/* FPRSqrtEstimate (C7.2 FRSQRTE). */
uint64_t a64_rsqrt_estimate(FpCtl *f, int esz, uint64_t x)
{
    FFmt m = fmt_of(esz);
    int n = m.ebits + m.fbits + 1;
    x = flush_in(f, esz, x);
    uint64_t sign = (x >> (n - 1)) & 1, emax = (1ull << m.ebits) - 1;
    uint64_t exp = (x >> m.fbits) & emax, frac = x & ((1ull << m.fbits) - 1);
    uint64_t sbit = sign << (n - 1);
    if (exp == emax && frac) return process_nan(f, esz, x);
    if (exp == 0 && frac == 0) {
        f->flags |= FP_FLAG_DZ;
        return sbit | emax << m.fbits;
    }
    if (sign) {
        f->flags |= FP_FLAG_NV;
        return fp_default_nan(f, ftype_of(esz));
    }
    if (exp == emax) return 0;
    uint64_t fr = frac << (52 - m.fbits);
    int64_t e = (int64_t)exp;
    if (e == 0) {
        while (!((fr >> 51) & 1)) {
            fr = (fr << 1) & ((1ull << 52) - 1);
            e--;
        }
        fr = (fr << 1) & ((1ull << 52) - 1);
    }
    unsigned scaled = (e & 1) == 0 ? (unsigned)(256 | ((fr >> 44) & 0xff))
                                   : (unsigned)(128 | ((fr >> 45) & 0x7f));
    /* (380 - e) DIV 2 / (3068 - e) DIV 2: floor division of a positive value. */
    int64_t base = esz == 3 ? 3068 : 380;
    int64_t rexp = (base - e) / 2;
    unsigned est = rsqrt_estimate(scaled);
    return (uint64_t)rexp << m.fbits | ((uint64_t)(est & 0xff) << (m.fbits - 8));
}

/* FPRecpX (C7.2 FRECPX): exponent inverted, fraction zero. */
uint64_t a64_recpx(FpCtl *f, int esz, uint64_t x)
{
    FFmt m = fmt_of(esz);
    int n = m.ebits + m.fbits + 1;
    x = flush_in(f, esz, x);
    uint64_t emax = (1ull << m.ebits) - 1;
    uint64_t exp = (x >> m.fbits) & emax, frac = x & ((1ull << m.fbits) - 1);
    uint64_t sbit = x & (1ull << (n - 1));
    if (exp == emax && frac) return process_nan(f, esz, x);
    if (exp == 0) return sbit | (emax - 1) << m.fbits;
    return sbit | ((~exp) & emax) << m.fbits;
}

/* UnsignedRecipEstimate / UnsignedRSqrtEstimate (URECPE, URSQRTE). */
uint32_t a64_urecpe(uint32_t x)
{
    if (!(x >> 31)) return 0xffffffffu;
    return (recip_estimate(x >> 23) & 0x1ff) << 23;
}

uint32_t a64_ursqrte(uint32_t x)
{
    if (!(x >> 30)) return 0xffffffffu;
    return (rsqrt_estimate(x >> 23) & 0x1ff) << 23;
}

/* -- Half precision conversions (FPConvert with FPUnpackCV/FPRoundCV) ------------------
 * FPCR.FZ16 does not apply to conversions; FPCR.FZ applies to single/double
 * inputs; AHP selects the alternative half format (no infinities or NaNs,
 * exponent 31 holds normal numbers). */

uint64_t a64_half_to(FpCtl *f, bool ahp, int esz, uint16_t h)
{
    FFmt m = fmt_of(esz);
    int n = m.ebits + m.fbits + 1;
    uint64_t sbit = (uint64_t)(h >> 15) << (n - 1);
    unsigned exp = (h >> 10) & 31, frac = h & 0x3ff;
    if (exp == 31 && !ahp) {
        if (!frac) return sbit | ((1ull << m.ebits) - 1) << m.fbits;
        if (!(frac & 0x200)) f->flags |= FP_FLAG_NV;
        if (f->mode & FP_MODE_DN) return fp_default_nan(f, ftype_of(esz));
        /* FPConvertNaN: sign, quiet, the payload's top bits. */
        return sbit | ((1ull << m.ebits) - 1) << m.fbits | 1ull << (m.fbits - 1) |
               (uint64_t)(frac & 0x1ff) << (m.fbits - 10);
    }
    if (exp == 0 && frac == 0) return sbit;
    int e = (int)exp - 15;
    if (exp == 0) { /* denormal: normalise */
        e = -14;
        while (!(frac & 0x400)) {
            frac <<= 1;
            e--;
        }
        frac &= 0x3ff;
    }
    int bias = (1 << (m.ebits - 1)) - 1;
    return sbit | (uint64_t)(e + bias) << m.fbits | (uint64_t)frac << (m.fbits - 10);
}

uint16_t a64_to_half(FpCtl *f, bool ahp, int esz, uint64_t x, unsigned rm)
{
    FFmt m = fmt_of(esz);
    int n = m.ebits + m.fbits + 1;
    if (rm == IR_RM_DYN) rm = f->rm;
    x = flush_in(f, esz, x);
    bool sign = (x >> (n - 1)) & 1;
    uint16_t sh = (uint16_t)(sign ? 0x8000 : 0);
    uint64_t emax = (1ull << m.ebits) - 1;
    uint64_t exp = (x >> m.fbits) & emax, frac = x & ((1ull << m.fbits) - 1);
    if (exp == emax && frac) {
        bool snan = !(frac >> (m.fbits - 1));
        if (ahp) {
            f->flags |= FP_FLAG_NV;
            return sh;
        }
        if (snan) f->flags |= FP_FLAG_NV;
        if (f->mode & FP_MODE_DN) return 0x7e00;
        return (uint16_t)(sh | 0x7e00 | ((frac >> (m.fbits - 10)) & 0x1ff));
    }
    if (exp == emax) {
        if (ahp) {
            f->flags |= FP_FLAG_NV;
            return (uint16_t)(sh | 0x7fff);
        }
        return (uint16_t)(sh | 0x7c00);
    }
    if (exp == 0 && frac == 0) return sh;
    /* value = mant * 2^(e - fbits), mant with its leading one at bit fbits. */
    int bias = (1 << (m.ebits - 1)) - 1;
    int e;
    uint64_t mant;
    if (exp) {
        e = (int)exp - bias;
        mant = frac | 1ull << m.fbits;
    } else {
        e = 1 - bias;
        mant = frac;
        while (!(mant >> m.fbits)) {
            mant <<= 1;
            e--;
        }
    }
    /* Result quantum 2^q: q = e - 10 for normal half results, -24 below. */
    bool tiny = e < -14;
    int q = tiny ? -24 : e - 10;
    int shift = q - (e - m.fbits); /* >= fbits - 10 > 0 */
    uint64_t r, rem, halfway;
    bool sticky;
    if (shift >= 64) {
        r = 0;
        rem = mant;
        halfway = 0;
        sticky = true;
    } else {
        r = mant >> shift;
        rem = mant & ((1ull << shift) - 1);
        halfway = 1ull << (shift - 1);
        sticky = rem != 0;
    }
    bool up = false;
    switch (rm) {
    case IR_RM_RUP: up = sticky && !sign; break;
    case IR_RM_RDN: up = sticky && sign; break;
    case IR_RM_RTZ: up = false; break;
    case IR_RM_RMM: up = shift < 64 && rem >= halfway; break;
    default: up = shift < 64 && (rem > halfway || (rem == halfway && (r & 1))); break;
    }
    r += up;
    /* Tininess is detected before rounding (FPRoundBase: biased_exp == 0). */
    if (tiny && sticky) f->flags |= FP_FLAG_UF;
    uint32_t bits = tiny ? (uint32_t)r : ((uint32_t)(e + 15) << 10) + (uint32_t)r - 0x400;
    if (!ahp && bits >= 0x7c00) {
        f->flags |= FP_FLAG_OF | FP_FLAG_NX;
        bool to_inf;
        switch (rm) {
        case IR_RM_RUP: to_inf = !sign; break;
        case IR_RM_RDN: to_inf = sign; break;
        case IR_RM_RTZ: to_inf = false; break;
        default: to_inf = true; break;
        }
        return (uint16_t)(sh | (to_inf ? 0x7c00 : 0x7bff));
    }
    if (ahp && bits > 0x7fff) {
        f->flags |= FP_FLAG_NV;
        return (uint16_t)(sh | 0x7fff);
    }
    if (sticky) f->flags |= FP_FLAG_NX;
    return (uint16_t)(sh | bits);
}

/* FCVT (scalar) with a half operand: desc = from esz | to esz << 2 | rm << 4
 * (esz 1 = half, 2 = single, 3 = double). */
static uint64_t helper_fcvt_half(CpuState *cpu, uint64_t x, uint64_t desc)
{
    int from = (int)(desc & 3), to = (int)((desc >> 2) & 3);
    unsigned rm = (unsigned)(desc >> 4) & 7;
    bool ahp = (a64_cpu(cpu)->fpcr & A64_FPCR_AHP) != 0;
    if (from == 1) return a64_half_to(&cpu->fp, ahp, to, (uint16_t)x);
    return a64_to_half(&cpu->fp, ahp, from, x, rm);
}

const IrHelper a64_helper_fcvt_half = {"a64_fcvt_half", (void *)helper_fcvt_half, 2, IR_I64, 0};
