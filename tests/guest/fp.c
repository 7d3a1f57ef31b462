/* SPDX-License-Identifier: MIT */
/* IEEE-754 single/double: arithmetic in all four rounding modes (printed
 * exactly with %a), fma, sqrt, conversions, exception flags, NaN handling.
 * Only what C and IEEE define identically on every host is printed: no NaN
 * sign or payload (x86 and RISC-V default NaNs differ), no out-of-range
 * float-to-int casts (undefined in C). Build with -frounding-math. */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>

static volatile double dv[] = {
    1.0, -1.0, 3.0, -3.0, 0.1, 1e300, -1e-300, 2.5, -2.5, 0.5, 1.5,
    DBL_MIN, DBL_MAX, 4.9406564584124654e-324, 123456789.987654321, -0.0, 0.0,
};
static volatile float fv[] = {
    1.0f, -1.0f, 3.0f, 0.1f, 1e30f, -1e-30f, 2.5f, -0.5f, FLT_MIN, FLT_MAX, 1.4e-45f, 7.0f,
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const int modes[] = { FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO };
static const char *const mode_names[] = { "nearest", "upward", "downward", "towardzero" };

/* NaN-safe printing: "nan" whatever its sign or payload. */
static void pd(const char *what, double x)
{
    if (isnan(x)) printf(" %s=nan", what);
    else printf(" %s=%a", what, x);
}
static void pf(const char *what, float x)
{
    if (isnan(x)) printf(" %s=nan", what);
    else printf(" %s=%a", what, (double)x);
}

static void flags(const char *what)
{
    int e = fetestexcept(FE_ALL_EXCEPT);
    printf("%s flags:%s%s%s%s%s\n", what, e & FE_INVALID ? " invalid" : "",
           e & FE_DIVBYZERO ? " divbyzero" : "", e & FE_OVERFLOW ? " overflow" : "",
           e & FE_UNDERFLOW ? " underflow" : "", e & FE_INEXACT ? " inexact" : "");
    feclearexcept(FE_ALL_EXCEPT);
}

int main(void)
{
    for (unsigned m = 0; m < N(modes); m++) {
        if (fesetround(modes[m]) != 0) { printf("fesetround %s failed\n", mode_names[m]); continue; }
        printf("mode %s getround-ok=%d\n", mode_names[m], fegetround() == modes[m]);
        for (unsigned i = 0; i < N(dv); i++) {
            double a = dv[i], b = dv[(i * 7 + 3) % N(dv)], c = dv[(i * 5 + 1) % N(dv)];
            printf("d %a %a:", a, b);
            pd("add", a + b); pd("sub", a - b); pd("mul", a * b); pd("div", a / b);
            pd("fma", fma(a, b, c)); pd("sqrt", sqrt(fabs(a)));
            pd("rint", rint(a * 1e-3)); pd("nearby", nearbyint(a));
            pd("tof", (double)(float)a);
            if (fabs(a) < 1e18) printf(" llrint=%lld lround=%ld", llrint(a), lround(a));
            printf("\n");
        }
        for (unsigned i = 0; i < N(fv); i++) {
            float a = fv[i], b = fv[(i * 5 + 2) % N(fv)], c = fv[(i * 3 + 1) % N(fv)];
            printf("f %a %a:", (double)a, (double)b);
            pf("add", a + b); pf("sub", a - b); pf("mul", a * b); pf("div", a / b);
            pf("fma", fmaf(a, b, c)); pf("sqrt", sqrtf(fabsf(a)));
            pf("rint", rintf(a)); pd("tod", (double)a * 3.0);
            if (fabsf(a) < 1e9f) printf(" lrint=%ld", lrintf(a));
            printf("\n");
        }
        /* Integer -> FP conversions that round. */
        volatile long long big = 0x7fffffffffffff01ll;
        volatile unsigned long long ubig = 0xffffffffffffff01ull;
        volatile int i32 = 16777217;
        printf("cvt:"); pd("i64", (double)big); pd("u64", (double)ubig);
        pf("i64f", (float)big); pf("i32f", (float)i32); pf("u64f", (float)ubig);
        printf(" trunc=%lld\n", (long long)(dv[14] * 3.0));
        flags("mode-loop");
    }
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);

    volatile double zero = 0.0, one = 1.0, m1 = -1.0, big = DBL_MAX, tiny = DBL_MIN;
    volatile double r;
    volatile float fr, fbig = FLT_MAX, ftiny = FLT_MIN, fone = 1.0f, fzero = 0.0f;
    flags("clear");
    r = one / zero; flags("1/0"); pd("val", r); printf("\n");
    r = zero / zero; flags("0/0"); printf("isnan=%d\n", isnan(r));
    r = sqrt(m1); flags("sqrt(-1)"); printf("isnan=%d\n", isnan(r));
    r = big * 2.0; flags("max*2"); pd("val", r); printf("\n");
    r = tiny / 3.0; flags("min/3"); pd("val", r); printf("\n");
    r = one / 3.0; flags("1/3"); pd("val", r); printf("\n");
    r = one + one; flags("1+1"); pd("val", r); printf("\n");
    fr = fbig * 2.0f; flags("fmax*2"); pf("val", fr); printf("\n");
    fr = ftiny / 3.0f; flags("fmin/3"); pf("val", fr); printf("\n");
    fr = fone / fzero; flags("f1/0"); pf("val", fr); printf("\n");
    fr = (float)big; flags("(float)DBL_MAX"); pf("val", fr); printf("\n");
    fr = (float)(one / 3.0); flags("(float)1/3"); pf("val", fr); printf("\n");
    r = fma(big, 2.0, -big); flags("fma overflow"); pd("val", r); printf("\n");
    r = fma(1.0 + 0x1p-52, 1.0 - 0x1p-52, -one); flags("fma exact-low"); pd("val", r); printf("\n");
    (void)lrint(2.5); flags("lrint(2.5)");
    (void)lrint(2.25); flags("lrint(2.25)");

    /* NaN behaviour C defines. */
    volatile double qnan = NAN, inf = INFINITY;
    printf("nan==nan %d nan!=nan %d nan<1 %d isunordered %d\n", qnan == qnan, qnan != qnan,
           qnan < one, isunordered(qnan, one));
    flags("nan ordered compare");
    printf("fmax(nan,1)=%a fmin(1,nan)=%a fmax(-1,1)=%a\n", fmax(qnan, one), fmin(one, qnan),
           fmax(m1, one));
    printf("inf-inf isnan=%d inf*0 isnan=%d copysign=%a signbit(-0)=%d\n", isnan(inf - inf),
           isnan(inf * zero), copysign(3.0, -zero), signbit(-zero) != 0);
    flags("inf ops");
    printf("fpclassify: %d %d %d %d %d\n", fpclassify(zero) == FP_ZERO,
           fpclassify(tiny / 4) == FP_SUBNORMAL, fpclassify(one) == FP_NORMAL,
           fpclassify(inf) == FP_INFINITE, fpclassify(qnan) == FP_NAN);
    printf("frexp/ldexp %a %a remainder %a fmod %a\n", ldexp(one, -1074), frexp(12.0, (int[1]){ 0 }),
           remainder(7.0, 2.0), fmod(-7.5, 2.0));
    feclearexcept(FE_ALL_EXCEPT);
    return 0;
}
