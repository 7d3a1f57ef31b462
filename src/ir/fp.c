/* SPDX-License-Identifier: MIT */
/* The IR's floating-point reference semantics (include/vm/fp.h): binary32 and
 * binary64 in integer arithmetic, one unpacked form and one round-and-pack routine
 * for every op, so all rounding modes, both tininess rules and each guest's NaN
 * and flush rules live in one place. */

#include "vm/fp.h"

#include "ir/fp_int.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* -- Modes and flags -------------------------------------------------------- */

FP_INLINE unsigned resolve_rm(const FpCtl *c, unsigned rm)
{
    if (rm == IR_RM_DYN)
        rm = c->rm;
    /* An invalid dynamic mode is the frontend's to trap (RISC-V frm 5/6/7 make
     * the instruction illegal); here it rounds to nearest-even. */
    return rm <= IR_RM_RNO ? rm : IR_RM_RNE;
}

FP_INLINE unsigned nan_style(const FpCtl *c) { return c->mode & FP_MODE_NAN_MASK; }

uint64_t fp_default_nan(const FpCtl *c, IrType t)
{
    bool f = t == IR_F64;
    uint64_t n = FP_INF(f) | FP_QBIT(f);
    /* x86's "QNaN floating-point indefinite" is negative (SDM vol. 1 4.8.3.7). */
    if (nan_style(c) == FP_MODE_NAN_X86)
        n |= FP_SIGN(f);
    return n;
}

FP_INLINE uint64_t dnan(const FpCtl *c, int f) { return fp_default_nan(c, f ? IR_F64 : IR_F32); }

/* An invalid operation (IEEE 754-2019 7.2) without NaN operands. */
static uint64_t invalid(FpCtl *c, int f)
{
    c->flags |= FP_FLAG_NV;
    return dnan(c, f);
}

/* A subnormal input. DAZ (MXCSR.DAZ, FPCR.FZ) reads it as a signed zero; AArch64
 * reports that as IDC (FP_FLAG_DE), x86 does not (DAZ suppresses DE). Without
 * DAZ, x86 arithmetic reports a denormal operand as DE (SDM vol. 1 4.9.1.2),
 * but only when no NaN operand, invalid operation or divide-by-zero takes
 * precedence (SDM vol. 1 4.9.2): callers collect it in *x86_de and commit it
 * with COMMIT_DE once those cases are ruled out. */
static uint64_t subnormal_in(FpCtl *c, int f, uint64_t x, unsigned *x86_de)
{
    if (c->mode & FP_MODE_DAZ) {
        if (nan_style(c) != FP_MODE_NAN_X86)
            c->flags |= FP_FLAG_DE;
        return x & FP_SIGN(f);
    }
    if (x86_de && nan_style(c) == FP_MODE_NAN_X86)
        *x86_de = FP_FLAG_DE;
    return x;
}

#define FIX_IN(f, x, de)                                                                   \
    do {                                                                                   \
        if (unlikely(fp_is_sub(f, x)))                                                     \
            x = subnormal_in(c, f, x, de);                                                 \
    } while (0)
#define COMMIT_DE() (c->flags |= xde)

/* -- NaN propagation ---------------------------------------------------------- */

FP_INLINE uint64_t quiet(int f, uint64_t x) { return x | FP_QBIT(f); }

/* A NaN result from NaN operands ops[0..n-1] (IR operand order; for fma
 * {a, b, d} of a*b+d). sNaN operands raise NV everywhere (IEEE 754-2019 6.2). */
static uint64_t nan_result(FpCtl *c, int f, const uint64_t *ops, int n, bool fma)
{
    static const uint8_t ord_ab[3] = {0, 1, 2};
    static const uint8_t ord_arm_fma[3] = {2, 0, 1}; /* FPMulAdd: addend first */
    static const uint8_t ord_ppc_fma[3] = {0, 2, 1}; /* Power ISA: FRA, FRB, FRC */
    bool snan = false;
    for (int i = 0; i < n; i++)
        snan |= fp_is_snan(f, ops[i]);
    if (snan)
        c->flags |= FP_FLAG_NV;
    unsigned style = nan_style(c);
    /* RISC-V F 11.3: every NaN result is the canonical NaN; FPCR.DN likewise. */
    if (style == FP_MODE_NAN_CANON || (c->mode & FP_MODE_DN))
        return dnan(c, f);
    const uint8_t *ord = ord_ab;
    if (fma && style == FP_MODE_NAN_ARM)
        ord = ord_arm_fma;
    else if (fma && style == FP_MODE_NAN_PPC)
        ord = ord_ppc_fma;
    /* AArch64 FPProcessNaNs: the first sNaN wins over any qNaN. x86 and Power
     * take the first NaN in their order, signaling or not. */
    if (style == FP_MODE_NAN_ARM && snan) {
        for (int i = 0; i < n; i++)
            if (fp_is_snan(f, ops[ord[i]]))
                return quiet(f, ops[ord[i]]);
    }
    for (int i = 0; i < n; i++)
        if (fp_is_nan(f, ops[ord[i]]))
            return quiet(f, ops[ord[i]]);
    return dnan(c, f); /* not reached: callers pass at least one NaN */
}

static uint64_t nan2(FpCtl *c, int f, uint64_t a, uint64_t b)
{
    uint64_t ops[2] = {a, b};
    return nan_result(c, f, ops, 2, false);
}

/* -- Round and pack ------------------------------------------------------------ */

/* The amount to add below the lsb so that truncation rounds (IEEE 754-2019 4.3).
 * lsb is the result's last kept bit, half the weight of the first dropped bit. */
FP_INLINE uint64_t round_inc(unsigned rm, bool sign, uint64_t lsb, uint64_t half)
{
    switch (rm) {
    case IR_RM_RTZ:
        return 0;
    case IR_RM_RDN:
        return sign ? 2 * half - 1 : 0;
    case IR_RM_RUP:
        return sign ? 0 : 2 * half - 1;
    case IR_RM_RMM:
        return half;
    default: /* RNE; RNO is handled by the callers */
        return half - 1 + lsb;
    }
}

static uint64_t overflow(FpCtl *c, int f, bool sign, unsigned rm)
{
    /* IEEE 754-2019 7.4: to-nearest gives inf; directed modes give the largest
     * finite number when rounding toward zero on that side. Round-to-odd never
     * reaches infinity (its result has an odd, i.e. all-ones, significand). */
    c->flags |= FP_FLAG_OF | FP_FLAG_NX;
    bool to_inf = rm == IR_RM_RNE || rm == IR_RM_RMM || (rm == IR_RM_RDN && sign) ||
                  (rm == IR_RM_RUP && !sign);
    return (sign ? FP_SIGN(f) : 0) | (to_inf ? FP_INF(f) : FP_MAXFIN(f));
}

/* The subnormal range of round_pack: tininess, flush-to-zero, denormalisation. */
static __attribute__((noinline)) uint64_t round_pack_tiny(FpCtl *c, const int f, bool sign,
                                                          int32_t be, uint64_t sig, unsigned rm)
{
    const int sh = FP_RSH(f);
    const uint64_t half = 1ull << (sh - 1), rmask = (1ull << sh) - 1;
    uint64_t sbit = sign ? FP_SIGN(f) : 0;
    bool tiny = true;
    /* IEEE 754-2019 7.5: "after rounding" tininess asks whether rounding to the
     * format's precision with an unbounded exponent stays below 2^emin; that
     * can only fail when the exact value is in [2^(emin-1), 2^emin). */
    if (!(c->mode & FP_MODE_TININESS_BEFORE) && be == 0 && rm != IR_RM_RNO &&
        ((sig + round_inc(rm, sign, (sig >> sh) & 1, half)) >> 63))
        tiny = false;
    if ((c->mode & FP_MODE_FZ) && tiny) {
        /* Flush to zero. AArch64 FPRound sets only UFC; x86 FTZ sets UE and PE
         * (SDM vol. 1 10.2.3.3); other styles follow x86. */
        c->flags |= FP_FLAG_UF;
        if (nan_style(c) != FP_MODE_NAN_ARM)
            c->flags |= FP_FLAG_NX;
        return sbit;
    }
    uint32_t dist = 1 - be;
    sig = dist < 63 ? (sig >> dist) | ((sig << (64 - dist)) != 0) : (sig != 0);
    if (sig & rmask) {
        c->flags |= FP_FLAG_NX | (tiny ? FP_FLAG_UF : 0);
        if (rm == IR_RM_RNO)
            sig |= 1ull << sh;
        else
            sig += round_inc(rm, sign, (sig >> sh) & 1, half);
    }
    /* A carry into the hidden bit gives the smallest normal number. */
    return sbit | (sig >> sh);
}

/* Rounds sign * sig * 2^(e-62) (sig != 0 with its leading 1 at bit 62, lower
 * bits sticky) to format f and packs it, raising OF/UF/NX. */
FP_INLINE uint64_t round_pack(FpCtl *c, const int f, bool sign, int32_t e, uint64_t sig,
                              unsigned rm)
{
    const int sh = FP_RSH(f);
    const uint64_t half = 1ull << (sh - 1), rmask = (1ull << sh) - 1;
    int32_t be = e + FP_BIAS(f);
    if (unlikely(be < 1))
        return round_pack_tiny(c, f, sign, be, sig, rm);
    if (sig & rmask) {
        c->flags |= FP_FLAG_NX;
        if (rm == IR_RM_RNO) {
            sig |= 1ull << sh; /* round to odd: truncate, then jam the lsb */
        } else {
            sig += round_inc(rm, sign, (sig >> sh) & 1, half);
            if (sig >> 63) {
                sig >>= 1;
                be++;
            }
        }
    }
    if (unlikely(be >= (int32_t)FP_EMAX(f)))
        return overflow(c, f, sign, rm);
    /* The hidden bit of sig >> sh adds the 1 back to the exponent field. */
    return (sign ? FP_SIGN(f) : 0) + ((uint64_t)(be - 1) << FP_MB(f)) + (sig >> sh);
}

/* Unpacks a finite nonzero x: returns the significand with its leading 1 at bit
 * 62 and sets *e so that |x| = sig * 2^(*e - 62). */
FP_INLINE uint64_t unpack(int f, uint64_t x, int32_t *e)
{
    uint32_t ef = fp_efield(f, x);
    uint64_t m = fp_mfield(f, x);
    if (likely(ef != 0)) {
        *e = (int32_t)ef - FP_BIAS(f);
        return (m | (1ull << FP_MB(f))) << FP_RSH(f);
    }
    int lz = __builtin_clzll(m);
    *e = 1 - FP_BIAS(f) - FP_MB(f) + (63 - lz);
    return m << (lz - 1);
}

/* A finite operand returned as the result (x + 0, fmin): exact, but a
 * subnormal must still meet flush-to-zero. */
static uint64_t pass_through(FpCtl *c, int f, uint64_t x, unsigned rm)
{
    if (!(c->mode & FP_MODE_FZ) || !fp_is_sub(f, x))
        return x;
    int32_t e;
    uint64_t s = unpack(f, x, &e);
    return round_pack(c, f, fp_sign_of(f, x), e, s, rm);
}

FP_INLINE uint64_t exact_zero(unsigned rm, int f)
{
    /* IEEE 754-2019 6.3: an exact zero sum of opposite signs is +0, or -0 in
     * roundTowardNegative. */
    return rm == IR_RM_RDN ? FP_SIGN(f) : 0;
}

/* -- Add / sub ----------------------------------------------------------------- */

FP_INLINE uint64_t add_unpacked(FpCtl *c, const int f, bool sa, int32_t xa, uint64_t ma,
                                bool sb, int32_t xb, uint64_t mb, unsigned rm)
{
    if (xa < xb || (xa == xb && ma < mb)) {
        bool ts = sa;
        sa = sb;
        sb = ts;
        int32_t te = xa;
        xa = xb;
        xb = te;
        uint64_t tm = ma;
        ma = mb;
        mb = tm;
    }
    uint32_t d = (uint32_t)(xa - xb);
    if (d)
        mb = d < 63 ? (mb >> d) | ((mb << (64 - d)) != 0) : 1;
    if (sa == sb) {
        uint64_t s = ma + mb;
        if (s >> 63) {
            s = (s >> 1) | (s & 1);
            xa++;
        }
        return round_pack(c, f, sa, xa, s, rm);
    }
    /* |a| >= |b|, and the jammed sticky bit stays far below the round bit, so
     * the difference rounds as the exact one would. */
    uint64_t s = ma - mb;
    if (!s)
        return exact_zero(rm, f);
    int lz = __builtin_clzll(s) - 1;
    return round_pack(c, f, sa, xa - lz, s << lz, rm);
}

static uint64_t add_slow(FpCtl *c, const int f, uint64_t a, uint64_t b, unsigned rm)
{
    unsigned xde = 0;
    FIX_IN(f, a, &xde);
    FIX_IN(f, b, &xde);
    if (fp_is_nan(f, a) || fp_is_nan(f, b))
        return nan2(c, f, a, b);
    if (fp_is_inf(f, a) && fp_is_inf(f, b) && fp_sign_of(f, a) != fp_sign_of(f, b))
        return invalid(c, f); /* inf - inf, IEEE 754-2019 7.2(b) */
    COMMIT_DE();
    if (fp_is_inf(f, a))
        return a;
    if (fp_is_inf(f, b))
        return b;
    if (fp_is_zero(f, a)) {
        if (fp_is_zero(f, b))
            return fp_sign_of(f, a) == fp_sign_of(f, b) ? a : exact_zero(rm, f);
        return pass_through(c, f, b, rm);
    }
    if (fp_is_zero(f, b))
        return pass_through(c, f, a, rm);
    int32_t xa, xb;
    uint64_t ma = unpack(f, a, &xa), mb = unpack(f, b, &xb);
    return add_unpacked(c, f, fp_sign_of(f, a), xa, ma, fp_sign_of(f, b), xb, mb, rm);
}

FP_INLINE bool both_normal(int f, uint64_t a, uint64_t b)
{
    return fp_efield(f, a) - 1 < FP_EMAX(f) - 1 && fp_efield(f, b) - 1 < FP_EMAX(f) - 1;
}

FP_INLINE uint64_t add_f(FpCtl *c, const int f, uint64_t a, uint64_t b, unsigned rm)
{
    if (unlikely(!both_normal(f, a, b)))
        return add_slow(c, f, a, b, rm);
    int32_t xa, xb;
    uint64_t ma = unpack(f, a, &xa), mb = unpack(f, b, &xb);
    return add_unpacked(c, f, fp_sign_of(f, a), xa, ma, fp_sign_of(f, b), xb, mb, rm);
}

uint64_t fp_add(FpCtl *c, IrType t, uint64_t a, uint64_t b, unsigned rm)
{
    rm = resolve_rm(c, rm);
    if (t == IR_F64)
        return add_f(c, 1, a, b, rm);
    return add_f(c, 0, a & 0xffffffffu, b & 0xffffffffu, rm);
}

uint64_t fp_sub(FpCtl *c, IrType t, uint64_t a, uint64_t b, unsigned rm)
{
    /* a - b is a + (-b), except that a NaN b keeps its sign (x86 SUBSD and
     * AArch64 FSUB return the operand NaN unchanged apart from quieting). */
    rm = resolve_rm(c, rm);
    if (t == IR_F64) {
        if (!fp_is_nan(1, b))
            b ^= FP_SIGN(1);
        return add_f(c, 1, a, b, rm);
    }
    a &= 0xffffffffu;
    b &= 0xffffffffu;
    if (!fp_is_nan(0, b))
        b ^= FP_SIGN(0);
    return add_f(c, 0, a, b, rm);
}

/* -- Mul ------------------------------------------------------------------------ */

FP_INLINE uint64_t mul_unpacked(FpCtl *c, const int f, bool sign, int32_t xa, uint64_t ma,
                                int32_t xb, uint64_t mb, unsigned rm)
{
    int32_t e = xa + xb;
    uint64_t s;
    if (!f) {
        /* 24 x 24 bits: the product is exact in 64 bits. */
        uint64_t p = (ma >> FP_RSH(0)) * (mb >> FP_RSH(0));
        if (p >> 47) {
            s = p << 15;
            e++;
        } else {
            s = p << 16;
        }
    } else {
        fp_u128 p = (fp_u128)ma * mb; /* in [2^124, 2^126) */
        if ((uint64_t)(p >> 64) >> 61) {
            s = (uint64_t)(p >> 63) | (((uint64_t)p << 1) != 0);
            e++;
        } else {
            s = (uint64_t)(p >> 62) | (((uint64_t)p << 2) != 0);
        }
    }
    return round_pack(c, f, sign, e, s, rm);
}

static uint64_t mul_slow(FpCtl *c, const int f, uint64_t a, uint64_t b, unsigned rm)
{
    unsigned xde = 0;
    FIX_IN(f, a, &xde);
    FIX_IN(f, b, &xde);
    if (fp_is_nan(f, a) || fp_is_nan(f, b))
        return nan2(c, f, a, b);
    bool sign = fp_sign_of(f, a) ^ fp_sign_of(f, b);
    uint64_t sbit = sign ? FP_SIGN(f) : 0;
    if ((fp_is_inf(f, a) || fp_is_inf(f, b)) && (fp_is_zero(f, a) || fp_is_zero(f, b)))
        return invalid(c, f); /* 0 * inf, IEEE 754-2019 7.2(b) */
    COMMIT_DE();
    if (fp_is_inf(f, a) || fp_is_inf(f, b))
        return sbit | FP_INF(f);
    if (fp_is_zero(f, a) || fp_is_zero(f, b))
        return sbit;
    int32_t xa, xb;
    uint64_t ma = unpack(f, a, &xa), mb = unpack(f, b, &xb);
    return mul_unpacked(c, f, sign, xa, ma, xb, mb, rm);
}

FP_INLINE uint64_t mul_f(FpCtl *c, const int f, uint64_t a, uint64_t b, unsigned rm)
{
    if (unlikely(!both_normal(f, a, b)))
        return mul_slow(c, f, a, b, rm);
    int32_t xa, xb;
    uint64_t ma = unpack(f, a, &xa), mb = unpack(f, b, &xb);
    return mul_unpacked(c, f, fp_sign_of(f, a) ^ fp_sign_of(f, b), xa, ma, xb, mb, rm);
}

uint64_t fp_mul(FpCtl *c, IrType t, uint64_t a, uint64_t b, unsigned rm)
{
    rm = resolve_rm(c, rm);
    if (t == IR_F64)
        return mul_f(c, 1, a, b, rm);
    return mul_f(c, 0, a & 0xffffffffu, b & 0xffffffffu, rm);
}

/* -- Div ------------------------------------------------------------------------- */

/* (hi:lo) / d for hi < d: the quotient fits in 64 bits. */
FP_INLINE uint64_t div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
#if defined(__x86_64__)
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d) : "cc");
    *rem = r;
    return q;
#else
    fp_u128 n = ((fp_u128)hi << 64) | lo;
    uint64_t q = (uint64_t)(n / d);
    *rem = (uint64_t)(n - (fp_u128)q * d);
    return q;
#endif
}

static uint64_t div_f(FpCtl *c, const int f, uint64_t a, uint64_t b, unsigned rm)
{
    if (unlikely(!both_normal(f, a, b))) {
        unsigned xde = 0;
        FIX_IN(f, a, &xde);
        FIX_IN(f, b, &xde);
        if (fp_is_nan(f, a) || fp_is_nan(f, b))
            return nan2(c, f, a, b);
        bool sign = fp_sign_of(f, a) ^ fp_sign_of(f, b);
        uint64_t sbit = sign ? FP_SIGN(f) : 0;
        if ((fp_is_inf(f, a) && fp_is_inf(f, b)) || (fp_is_zero(f, a) && fp_is_zero(f, b)))
            return invalid(c, f); /* inf/inf, 0/0 */
        if (fp_is_zero(f, b) && !fp_is_inf(f, a)) {
            c->flags |= FP_FLAG_DZ; /* IEEE 754-2019 7.3 */
            return sbit | FP_INF(f);
        }
        COMMIT_DE();
        if (fp_is_inf(f, a))
            return sbit | FP_INF(f);
        if (fp_is_inf(f, b))
            return sbit;
        if (fp_is_zero(f, a))
            return sbit;
    }
    bool sign = fp_sign_of(f, a) ^ fp_sign_of(f, b);
    int32_t xa, xb;
    uint64_t ma = unpack(f, a, &xa), mb = unpack(f, b, &xb);
    /* q = floor(ma * 2^63 / mb) lies in (2^62, 2^64); a/b = q * 2^(xa-xb-63). */
    uint64_t r, q = div128(ma >> 1, ma << 63, mb, &r);
    int32_t e = xa - xb - 1;
    q |= r != 0;
    if (q >> 63) {
        q = (q >> 1) | (q & 1);
        e++;
    }
    return round_pack(c, f, sign, e, q, rm);
}

uint64_t fp_div(FpCtl *c, IrType t, uint64_t a, uint64_t b, unsigned rm)
{
    rm = resolve_rm(c, rm);
    if (t == IR_F64)
        return div_f(c, 1, a, b, rm);
    return div_f(c, 0, a & 0xffffffffu, b & 0xffffffffu, rm);
}

/* -- Sqrt ------------------------------------------------------------------------ */

/* floor(sqrt(n)) for n in [2^124, 2^126), and whether it is exact. */
static uint64_t isqrt128(fp_u128 n, bool *exact)
{
    /* A double estimate is good to ~2^-52 relative; one Newton step from it is
     * within one unit, and the loops below make it exact. */
    double dn = (double)(uint64_t)(n >> 64) * 0x1p64;
    uint64_t r = (uint64_t)__builtin_sqrt(dn), rem;
    uint64_t q = div128((uint64_t)(n >> 64), (uint64_t)n, r, &rem);
    r = (uint64_t)(((fp_u128)r + q) >> 1);
    while ((fp_u128)r * r > n)
        r--;
    while ((fp_u128)(r + 1) * (r + 1) <= n)
        r++;
    *exact = (fp_u128)r * r == n;
    return r;
}

static uint64_t sqrt_f(FpCtl *c, const int f, uint64_t a, unsigned rm)
{
    unsigned xde = 0;
    FIX_IN(f, a, &xde);
    if (fp_is_nan(f, a))
        return nan_result(c, f, &a, 1, false);
    if (fp_is_zero(f, a))
        return a; /* sqrt(-0) = -0, IEEE 754-2019 9.2 */
    if (fp_sign_of(f, a))
        return invalid(c, f);
    COMMIT_DE();
    if (fp_is_inf(f, a))
        return a;
    int32_t xa;
    uint64_t ma = unpack(f, a, &xa);
    bool exact;
    /* sqrt(ma * 2^(xa-62)) = r * 2^(floor(xa/2) - 62) with r = sqrt(ma * 2^(62|63)). */
    uint64_t r = isqrt128((fp_u128)ma << (62 + (xa & 1)), &exact);
    return round_pack(c, f, false, xa >> 1, r | !exact, rm);
}

uint64_t fp_sqrt(FpCtl *c, IrType t, uint64_t a, unsigned rm)
{
    rm = resolve_rm(c, rm);
    if (t == IR_F64)
        return sqrt_f(c, 1, a, rm);
    return sqrt_f(c, 0, a & 0xffffffffu, rm);
}

/* -- Fused multiply-add ---------------------------------------------------------- */

FP_INLINE int clz128(fp_u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)x);
}

static uint64_t fma_f(FpCtl *c, const int f, uint64_t a, uint64_t b, uint64_t d, unsigned neg,
                      unsigned rm)
{
    bool arm = nan_style(c) == FP_MODE_NAN_ARM;
    unsigned xde = 0;
    FIX_IN(f, a, &xde);
    FIX_IN(f, b, &xde);
    FIX_IN(f, d, &xde);
    /* AArch64 negates operands with FPNeg, which flips a NaN's sign too; the
     * other styles negate numbers only and return operand NaNs unchanged. */
    if ((neg & IR_FMA_NEG_PROD) && (arm || !fp_is_nan(f, a)))
        a ^= FP_SIGN(f);
    if ((neg & IR_FMA_NEG_ADD) && (arm || !fp_is_nan(f, d)))
        d ^= FP_SIGN(f);
    bool infzero = (fp_is_inf(f, a) && fp_is_zero(f, b)) || (fp_is_zero(f, a) && fp_is_inf(f, b));
    if (fp_is_nan(f, a) || fp_is_nan(f, b) || fp_is_nan(f, d)) {
        /* RISC-V F 11.6: inf*0 + qNaN raises NV (IEEE 754-2019 7.2(c) leaves it
         * to the implementation); so do AArch64 (FPMulAdd, which then returns
         * the default NaN for a quiet addend) and Power (VXIMZ). x86 FMA does
         * not: the quiet NaN operand takes precedence (measured on the host). */
        if (infzero && nan_style(c) != FP_MODE_NAN_X86) {
            c->flags |= FP_FLAG_NV;
            if (arm && !fp_is_snan(f, d))
                return dnan(c, f);
        }
        uint64_t ops[3] = {a, b, d};
        return nan_result(c, f, ops, 3, true);
    }
    if (infzero)
        return invalid(c, f);
    bool sp = fp_sign_of(f, a) ^ fp_sign_of(f, b);
    bool pinf = fp_is_inf(f, a) || fp_is_inf(f, b);
    if (pinf && fp_is_inf(f, d) && fp_sign_of(f, d) != sp)
        return invalid(c, f); /* inf - inf */
    COMMIT_DE();
    if (pinf)
        return (sp ? FP_SIGN(f) : 0) | FP_INF(f);
    if (fp_is_inf(f, d))
        return d;
    if (fp_is_zero(f, a) || fp_is_zero(f, b)) {
        if (fp_is_zero(f, d))
            return sp == fp_sign_of(f, d) ? d : exact_zero(rm, f);
        return pass_through(c, f, d, rm);
    }
    int32_t xa, xb;
    uint64_t ma = unpack(f, a, &xa), mb = unpack(f, b, &xb);
    /* The exact product with its leading 1 at bit 126: value = P * 2^(ep-126).
     * Its low 20 bits are zero, as are the addend's low 64: the jammed sticky
     * bit below cannot land on a rounding boundary. */
    fp_u128 p = (fp_u128)ma * mb;
    int32_t ep = xa + xb;
    if (p >> 125) {
        p <<= 1;
        ep++;
    } else {
        p <<= 2;
    }
    if (fp_is_zero(f, d)) {
        uint64_t s = (uint64_t)(p >> 64) | ((uint64_t)p != 0);
        return round_pack(c, f, sp, ep, s, rm);
    }
    int32_t xd;
    bool sd = fp_sign_of(f, d);
    fp_u128 q = (fp_u128)unpack(f, d, &xd) << 64;
    if (ep < xd || (ep == xd && p < q)) {
        fp_u128 t = p;
        p = q;
        q = t;
        int32_t te = ep;
        ep = xd;
        xd = te;
        bool ts = sp;
        sp = sd;
        sd = ts;
    }
    uint32_t dist = (uint32_t)(ep - xd);
    if (dist >= 128)
        q = 1;
    else if (dist)
        q = (q >> dist) | ((q << (128 - dist)) != 0);
    fp_u128 s;
    if (sp == sd) {
        s = p + q;
        if (s >> 127) {
            s = (s >> 1) | (s & 1);
            ep++;
        }
    } else {
        s = p - q;
        if (!s)
            return exact_zero(rm, f);
        int lz = clz128(s) - 1;
        s <<= lz;
        ep -= lz;
    }
    uint64_t r = (uint64_t)(s >> 64) | ((uint64_t)s != 0);
    return round_pack(c, f, sp, ep, r, rm);
}

uint64_t fp_fma(FpCtl *c, IrType t, uint64_t a, uint64_t b, uint64_t d, unsigned neg, unsigned rm)
{
    rm = resolve_rm(c, rm);
    if (t == IR_F64)
        return fma_f(c, 1, a, b, d, neg, rm);
    return fma_f(c, 0, a & 0xffffffffu, b & 0xffffffffu, d & 0xffffffffu, neg, rm);
}

/* -- Min / max ------------------------------------------------------------------- */

/* a < b for non-NaN a, b in the total order where -0 < +0. */
FP_INLINE bool lt_total(int f, uint64_t a, uint64_t b)
{
    bool sa = fp_sign_of(f, a), sb = fp_sign_of(f, b);
    if (sa != sb)
        return sa;
    return sa ? a > b : a < b;
}

/* IEEE a < b / a == b for non-NaN a, b (-0 == +0). */
FP_INLINE bool eq_ieee(int f, uint64_t a, uint64_t b)
{
    return a == b || (fp_is_zero(f, a) && fp_is_zero(f, b));
}
FP_INLINE bool lt_ieee(int f, uint64_t a, uint64_t b)
{
    return !eq_ieee(f, a, b) && lt_total(f, a, b);
}

static uint64_t minmax_f(FpCtl *c, const int f, uint64_t a, uint64_t b, bool max, unsigned variant)
{
    unsigned xde = 0;
    FIX_IN(f, a, &xde);
    FIX_IN(f, b, &xde);
    bool na = fp_is_nan(f, a), nb = fp_is_nan(f, b);
    if (variant == IR_FMM_X86) {
        /* MINSD/MAXSD (SDM vol. 2): dst = a < b ? a : b; any NaN or equal
         * values (+0 vs -0 included) give the second operand, unchanged; NV on
         * any NaN, quiet or not. */
        if (na || nb) {
            c->flags |= FP_FLAG_NV;
            return b;
        }
        COMMIT_DE();
        bool pick_a = max ? lt_ieee(f, b, a) : lt_ieee(f, a, b);
        return pick_a ? a : b;
    }
    if (na || nb) {
        switch (variant) {
        case IR_FMM_NUM:
            /* IEEE 754-2019 9.6 minimumNumber, RISC-V F 11.6 (v2.2): the number
             * wins over any NaN; sNaN still signals; two NaNs give the default. */
            if (fp_is_snan(f, a) || fp_is_snan(f, b))
                c->flags |= FP_FLAG_NV;
            if (na && nb)
                return dnan(c, f);
            return pass_through(c, f, na ? b : a, IR_RM_RNE);
        case IR_FMM_NUM2008:
            /* IEEE 754-2008 minNum (AArch64 FMINNM): a quiet NaN loses to a
             * number, an sNaN makes the result NaN. */
            if (!fp_is_snan(f, a) && !fp_is_snan(f, b) && !(na && nb))
                return pass_through(c, f, na ? b : a, IR_RM_RNE);
            return nan2(c, f, a, b);
        default: /* IR_FMM_IEEE: minimum/maximum propagate NaNs (9.6) */
            return nan2(c, f, a, b);
        }
    }
    COMMIT_DE();
    bool pick_a = max ? lt_total(f, b, a) : lt_total(f, a, b);
    return pass_through(c, f, pick_a ? a : b, IR_RM_RNE);
}

uint64_t fp_minmax(FpCtl *c, IrType t, uint64_t a, uint64_t b, bool max, unsigned variant)
{
    if (t == IR_F64)
        return minmax_f(c, 1, a, b, max, variant);
    return minmax_f(c, 0, a & 0xffffffffu, b & 0xffffffffu, max, variant);
}

/* -- Compare and classify ---------------------------------------------------------- */

static uint64_t cmp_f(FpCtl *c, const int f, uint64_t a, uint64_t b, unsigned cond, bool signaling)
{
    unsigned xde = 0;
    FIX_IN(f, a, &xde);
    FIX_IN(f, b, &xde);
    if (fp_is_nan(f, a) || fp_is_nan(f, b)) {
        /* IEEE 754-2019 5.11: quiet predicates signal only on sNaN, signaling
         * ones (RISC-V flt/fle) on any NaN. */
        if (signaling || fp_is_snan(f, a) || fp_is_snan(f, b))
            c->flags |= FP_FLAG_NV;
        return cond == IR_FCMP_UN;
    }
    COMMIT_DE();
    switch (cond) {
    case IR_FCMP_EQ:
        return eq_ieee(f, a, b);
    case IR_FCMP_LT:
        return lt_ieee(f, a, b);
    case IR_FCMP_LE:
        return eq_ieee(f, a, b) || lt_total(f, a, b);
    default:
        return 0;
    }
}

uint64_t fp_cmp(FpCtl *c, IrType t, uint64_t a, uint64_t b, unsigned cond, bool signaling)
{
    if (t == IR_F64)
        return cmp_f(c, 1, a, b, cond, signaling);
    return cmp_f(c, 0, a & 0xffffffffu, b & 0xffffffffu, cond, signaling);
}

static uint64_t class_f(const int f, uint64_t a)
{
    bool s = fp_sign_of(f, a);
    if (fp_is_nan(f, a))
        return fp_is_snan(f, a) ? IR_FCLASS_SNAN : IR_FCLASS_QNAN;
    if (fp_is_inf(f, a))
        return s ? IR_FCLASS_NEG_INF : IR_FCLASS_POS_INF;
    if (fp_is_zero(f, a))
        return s ? IR_FCLASS_NEG_ZERO : IR_FCLASS_POS_ZERO;
    if (fp_is_sub(f, a))
        return s ? IR_FCLASS_NEG_SUBNORMAL : IR_FCLASS_POS_SUBNORMAL;
    return s ? IR_FCLASS_NEG_NORMAL : IR_FCLASS_POS_NORMAL;
}

uint64_t fp_class(IrType t, uint64_t a)
{
    return t == IR_F64 ? class_f(1, a) : class_f(0, a & 0xffffffffu);
}

/* -- Conversions --------------------------------------------------------------------- */

/* Rounds |x| = sig * 2^(e-62) (sig normalised, e <= 63) to an integer. */
static uint64_t round_to_integer(bool sign, int32_t e, uint64_t sig, unsigned rm, bool *inexact)
{
    uint64_t m, frac; /* frac: the dropped fraction, its top bit weighing 1/2 */
    if (e >= 62) {
        m = sig << (e - 62);
        frac = 0;
    } else if (e >= -1) {
        m = sig >> (62 - e);
        frac = sig << (e + 2);
    } else {
        m = 0;
        frac = 1; /* below one half, nonzero */
    }
    *inexact = frac != 0;
    const uint64_t half = 1ull << 63;
    switch (rm) {
    case IR_RM_RTZ:
        break;
    case IR_RM_RDN:
        m += sign && frac;
        break;
    case IR_RM_RUP:
        m += !sign && frac;
        break;
    case IR_RM_RMM:
        m += frac >= half;
        break;
    case IR_RM_RNO:
        m |= frac != 0;
        break;
    default:
        m += frac > half || (frac == half && (m & 1));
        break;
    }
    return m;
}

static uint64_t to_int_f(FpCtl *c, const int f, IrType it, uint64_t a, unsigned rm, unsigned cvt)
{
    bool is32 = it == IR_I32, sgn = cvt & IR_CVT_SIGNED;
    uint64_t smax = is32 ? 0x7fffffffull : 0x7fffffffffffffffull; /* signed max */
    uint64_t smin = smax + 1;                                      /* |signed min| */
    uint64_t umax = is32 ? 0xffffffffull : ~0ull;
    FIX_IN(f, a, NULL);
    bool sign = fp_sign_of(f, a), nan = fp_is_nan(f, a);
    uint64_t res;
    if (!nan && !fp_is_inf(f, a)) {
        if (fp_is_zero(f, a))
            return 0;
        int32_t e;
        uint64_t sig = unpack(f, a, &e);
        if (e <= 63) {
            bool inexact;
            uint64_t m = round_to_integer(sign, e, sig, rm, &inexact);
            bool ok = sgn ? (sign ? m <= smin : m <= smax) : (sign ? m == 0 : m <= umax);
            if (ok) {
                if (inexact)
                    c->flags |= FP_FLAG_NX;
                res = sign ? -m : m;
                return is32 ? (uint32_t)res : res;
            }
        }
    }
    /* Invalid (IEEE 754-2019 7.2(h)): NV only, never NX (RISC-V F 11.7). */
    c->flags |= FP_FLAG_NV;
    switch (cvt & IR_CVT_NAN_MASK) {
    case IR_CVT_INDEF: /* x86 integer indefinite, for unsigned forms too */
        res = smin;
        break;
    case IR_CVT_NAN_ZERO:
        res = nan ? 0 : sign ? (sgn ? smin : 0) : (sgn ? smax : umax);
        break;
    case IR_CVT_NAN_MIN:
        res = (nan || sign) ? (sgn ? smin : 0) : (sgn ? smax : umax);
        break;
    default: /* IR_CVT_NAN_MAX: RISC-V F table 11.4, NaN like +inf */
        res = (sign && !nan) ? (sgn ? smin : 0) : (sgn ? smax : umax);
        break;
    }
    return is32 ? (uint32_t)res : res;
}

uint64_t fp_to_int(FpCtl *c, IrType it, IrType t, uint64_t a, unsigned rm, unsigned cvt)
{
    rm = resolve_rm(c, rm);
    if (t == IR_F64)
        return to_int_f(c, 1, it, a, rm, cvt);
    return to_int_f(c, 0, it, a & 0xffffffffu, rm, cvt);
}

static uint64_t from_int_f(FpCtl *c, const int f, IrType it, uint64_t a, unsigned rm, unsigned cvt)
{
    bool sgn = cvt & IR_CVT_SIGNED;
    if (it == IR_I32)
        a = sgn ? (uint64_t)(int64_t)(int32_t)a : (uint32_t)a;
    bool sign = sgn && (int64_t)a < 0;
    uint64_t m = sign ? -a : a;
    if (!m)
        return 0;
    int lz = __builtin_clzll(m);
    if (lz == 0)
        return round_pack(c, f, sign, 63, (m >> 1) | (m & 1), rm);
    return round_pack(c, f, sign, 63 - lz, m << (lz - 1), rm);
}

uint64_t fp_from_int(FpCtl *c, IrType t, IrType it, uint64_t a, unsigned rm, unsigned cvt)
{
    rm = resolve_rm(c, rm);
    if (t == IR_F64)
        return from_int_f(c, 1, it, a, rm, cvt);
    return from_int_f(c, 0, it, a, rm, cvt);
}

/* Format conversion of a value of format ff to format tf. */
FP_INLINE uint64_t convert_f(FpCtl *c, const int tf, const int ff, uint64_t a, unsigned rm)
{
    unsigned xde = 0;
    FIX_IN(ff, a, &xde);
    COMMIT_DE(); /* a subnormal is never a NaN */
    bool sign = fp_sign_of(ff, a);
    uint64_t sbit = sign ? FP_SIGN(tf) : 0;
    if (fp_is_nan(ff, a)) {
        if (fp_is_snan(ff, a))
            c->flags |= FP_FLAG_NV;
        if (nan_style(c) == FP_MODE_NAN_CANON || (c->mode & FP_MODE_DN))
            return dnan(c, tf);
        /* Keep the payload's top bits (AArch64 FPConvertNaN, x86 CVTSD2SS). */
        uint64_t m = fp_mfield(ff, a);
        m = FP_MB(tf) > FP_MB(ff) ? m << (FP_MB(tf) - FP_MB(ff)) : m >> (FP_MB(ff) - FP_MB(tf));
        return sbit | FP_INF(tf) | FP_QBIT(tf) | m;
    }
    if (fp_is_inf(ff, a))
        return sbit | FP_INF(tf);
    if (fp_is_zero(ff, a))
        return sbit;
    int32_t e;
    uint64_t sig = unpack(ff, a, &e);
    return round_pack(c, tf, sign, e, sig, rm);
}

uint64_t fp_convert(FpCtl *c, IrType to, IrType from, uint64_t a, unsigned rm)
{
    rm = resolve_rm(c, rm);
    if (from == IR_F64)
        return to == IR_F64 ? convert_f(c, 1, 1, a, rm) : convert_f(c, 0, 1, a, rm);
    a &= 0xffffffffu;
    return to == IR_F64 ? convert_f(c, 1, 0, a, rm) : convert_f(c, 0, 0, a, rm);
}

static uint64_t round_int_f(FpCtl *c, const int f, uint64_t a, unsigned rm, unsigned flags)
{
    FIX_IN(f, a, NULL);
    if (fp_is_nan(f, a))
        return nan_result(c, f, &a, 1, false);
    if (fp_is_inf(f, a) || fp_is_zero(f, a))
        return a;
    int32_t e;
    bool sign = fp_sign_of(f, a), inexact;
    uint64_t sig = unpack(f, a, &e);
    if (e >= FP_MB(f))
        return a; /* already integral */
    uint64_t m = round_to_integer(sign, e, sig, rm, &inexact);
    /* RISC-V Zfa fround vs froundnx, AArch64 FRINTX: only the "exact" form
     * reports inexact (IEEE 754-2019 5.9 roundToIntegralExact). */
    if (inexact && (flags & IR_FROUND_EXACT))
        c->flags |= FP_FLAG_NX;
    if (!m)
        return a & FP_SIGN(f); /* the zero keeps the operand's sign */
    int lz = __builtin_clzll(m);
    /* m < 2^(MB+1): exact, so round_pack raises nothing. */
    return round_pack(c, f, sign, 63 - lz, m << (lz - 1), IR_RM_RTZ);
}

uint64_t fp_round_int(FpCtl *c, IrType t, uint64_t a, unsigned rm, unsigned flags)
{
    rm = resolve_rm(c, rm);
    if (t == IR_F64)
        return round_int_f(c, 1, a, rm, flags);
    return round_int_f(c, 0, a & 0xffffffffu, rm, flags);
}
