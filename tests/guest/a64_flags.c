/* SPDX-License-Identifier: MIT */
/* AArch64 flags and UNDEFINED edge cases. NZCV after ADDS/SUBS/ADCS/SBCS on
 * carry/overflow boundaries and after FCMP/FCMPE with NaN operands (with
 * FPSR.IOC), computed by the instructions on aarch64 and by C reference code
 * (AddWithCarry, FPCompare: DDI 0487 J1) natively; CCMP/CCMN across block
 * boundaries, read by MRS NZCV, CSET and a signal handler's frame; and which encodings raise
 * SIGILL at EL0 on a CPU without FEAT_PAuth, FEAT_FlagM, SSBS, DIT or MTE
 * (PAC hints are NOPs, RETAA/PACIA/MSR DAIFSet/CFINV are UNDEFINED, BC.cond
 * of FEAT_HBC branches, SB is a barrier); and the HWCAP/HWCAP2 words of the
 * auxiliary vector, which must name exactly what vm implements (the native
 * build prints the expected words, spelled with the Linux uapi bit names). */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __aarch64__
#include <sys/auxv.h>
#endif

static const uint64_t vals[] = {0, 1, 2, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0x7fffffffffffffffull,
                                0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffeull};
#define NV (sizeof vals / sizeof vals[0])

/* AddWithCarry(x, y, carry) on n bits -> NZCV in bits 3..0. */
static __attribute__((unused)) unsigned ref_awc(uint64_t x, uint64_t y, unsigned c, int bits, uint64_t *res)
{
    uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
    x &= m, y &= m;
    unsigned __int128 us = (unsigned __int128)x + y + c;
    uint64_t r = (uint64_t)us & m;
    int sh = 64 - bits;
    __int128 ss = (__int128)((int64_t)(x << sh) >> sh) + (__int128)((int64_t)(y << sh) >> sh) + c;
    __int128 sr = (int64_t)(r << sh) >> sh;
    *res = r;
    return (unsigned)((r >> (bits - 1)) & 1) << 3 | (unsigned)(r == 0) << 2 | (unsigned)(us != r) << 1 |
           (unsigned)(ss != sr);
}

#ifdef __aarch64__
#define ARITH(ins, w, cin, x, y, r, f)                                                         \
    __asm__ volatile("msr nzcv, %4\n " ins " %" w "0, %" w "2, %" w "3\n mrs %1, nzcv"          \
                     : "=&r"(r), "=r"(f) : "r"(x), "r"(y), "r"((uint64_t)(cin) << 29))
#endif

static sigjmp_buf jb;
static void on_ill(int sig) { siglongjmp(jb, sig); }

/* ConditionHolds (J1 shared/functions/system/ConditionHolds) on NZCV in bits 3..0. */
static __attribute__((unused)) unsigned holds(unsigned f, unsigned cond)
{
    unsigned n = f >> 3 & 1, z = f >> 2 & 1, c = f >> 1 & 1, v = f & 1, r;
    switch (cond >> 1) {
    case 0: r = z; break;
    case 1: r = c; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = c && !z; break;
    case 5: r = n == v; break;
    case 6: r = n == v && !z; break;
    default: return 1;
    }
    return cond & 1 ? !r : r;
}

/* CCMP/CCMN whose condition reads flags set in an earlier block (MSR NZCV:
 * explicit; CMP: a compare), and whose own flags are read in the next block
 * (MRS NZCV, CSET) and by a signal handler (the signal frame's pstate). */
enum { C_EQ = 0, C_NE = 1, C_HI = 8, C_LS = 9, C_GE = 10, C_LT = 11, C_GT = 12, C_MI = 4 };
static const struct { const char *name; int cmp_pre, sub, bits, imm; unsigned cond, nzcv; } ccmps[] = {
    {"msr; ccmp x, x, #4, ne", 0, 1, 64, -1, C_NE, 4},
    {"msr; ccmp w, w, #0, eq", 0, 1, 32, -1, C_EQ, 0},
    {"cmp; ccmn x, #1, #15, ge", 1, 0, 64, 1, C_GE, 15},
    {"cmp; ccmn w, w, #2, hi", 1, 0, 32, -1, C_HI, 2},
    {"msr; ccmn x, #0, #9, mi", 0, 0, 64, 0, C_MI, 9},
    {"cmp; ccmp w, #5, #6, lt", 1, 1, 32, 5, C_LT, 6},
};

#ifdef __aarch64__
#include <ucontext.h>
#define CC_READ                                                                                    \
    "b 1f\n1: mrs %[f], nzcv\n cset %w[c0], eq\n cset %w[c1], hi\n cset %w[c2], ge\n"            \
    " cset %w[c3], gt\n cset %w[c4], mi\n cset %w[c5], vs\n"
#define CC_ASM(pre, ins)                                                                           \
    __asm__ volatile(pre "\n b 2f\n2: " ins "\n" CC_READ                                          \
                     : [f] "=&r"(fl), [c0] "=&r"(c[0]), [c1] "=&r"(c[1]), [c2] "=&r"(c[2]),       \
                       [c3] "=&r"(c[3]), [c4] "=&r"(c[4]), [c5] "=&r"(c[5])                       \
                     : [x] "r"(x), [y] "r"(y), [p] "r"(p), [q] "r"(q) : "cc")
/* The same CCMP, then a faulting load in its block (fault_at 0) or after a
 * branch (1): the SIGSEGV handler reports the frame's NZCV. */
#define CC_FAULT(pre, ins, after)                                                                  \
    __asm__ volatile(pre "\n b 2f\n2: " ins "\n" after "ldr %[t], [%[z]]\n"                       \
                     : [t] "=&r"(t) : [x] "r"(x), [y] "r"(y), [p] "r"(p), [q] "r"(q), [z] "r"(zero)  \
                     : "cc", "memory")
static volatile uint64_t frame_nzcv;
static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    frame_nzcv = ((ucontext_t *)uc)->uc_mcontext.pstate >> 28 & 15;
    siglongjmp(jb, sig);
}

static void ccmp_run(unsigned k, uint64_t x, uint64_t y, uint64_t p, uint64_t q, uint64_t *f, uint64_t *c)
{
    uint64_t fl;
    switch (k) {
    case 0: CC_ASM("msr nzcv, %[p]", "ccmp %[x], %[y], #4, ne"); break;
    case 1: CC_ASM("msr nzcv, %[p]", "ccmp %w[x], %w[y], #0, eq"); break;
    case 2: CC_ASM("cmp %[p], %[q]", "ccmn %[x], #1, #15, ge"); break;
    case 3: CC_ASM("cmp %[p], %[q]", "ccmn %w[x], %w[y], #2, hi"); break;
    case 4: CC_ASM("msr nzcv, %[p]", "ccmn %[x], #0, #9, mi"); break;
    default: CC_ASM("cmp %[p], %[q]", "ccmp %w[x], #5, #6, lt"); break;
    }
    *f = fl;
}

static uint64_t ccmp_fault(unsigned k, int after, uint64_t x, uint64_t y, uint64_t p, uint64_t q)
{
    uint64_t t, *volatile zero = NULL;
    frame_nzcv = 99;
    if (sigsetjmp(jb, 1)) return frame_nzcv;
    if (after) {
        switch (k) {
        case 0: CC_FAULT("msr nzcv, %[p]", "ccmp %[x], %[y], #4, ne", "b 3f\n3: "); break;
        case 1: CC_FAULT("msr nzcv, %[p]", "ccmp %w[x], %w[y], #0, eq", "b 3f\n3: "); break;
        case 2: CC_FAULT("cmp %[p], %[q]", "ccmn %[x], #1, #15, ge", "b 3f\n3: "); break;
        case 3: CC_FAULT("cmp %[p], %[q]", "ccmn %w[x], %w[y], #2, hi", "b 3f\n3: "); break;
        case 4: CC_FAULT("msr nzcv, %[p]", "ccmn %[x], #0, #9, mi", "b 3f\n3: "); break;
        default: CC_FAULT("cmp %[p], %[q]", "ccmp %w[x], #5, #6, lt", "b 3f\n3: "); break;
        }
    } else {
        switch (k) {
        case 0: CC_FAULT("msr nzcv, %[p]", "ccmp %[x], %[y], #4, ne", ""); break;
        case 1: CC_FAULT("msr nzcv, %[p]", "ccmp %w[x], %w[y], #0, eq", ""); break;
        case 2: CC_FAULT("cmp %[p], %[q]", "ccmn %[x], #1, #15, ge", ""); break;
        case 3: CC_FAULT("cmp %[p], %[q]", "ccmn %w[x], %w[y], #2, hi", ""); break;
        case 4: CC_FAULT("msr nzcv, %[p]", "ccmn %[x], #0, #9, mi", ""); break;
        default: CC_FAULT("cmp %[p], %[q]", "ccmp %w[x], #5, #6, lt", ""); break;
        }
    }
    (void)t;
    return 100; /* no fault: wrong */
}
#endif

/* The expected NZCV of ccmps[k] (AddWithCarry, ConditionHolds). */
static __attribute__((unused)) unsigned ccmp_ref(unsigned k, uint64_t x, uint64_t y, uint64_t p, uint64_t q)
{
    uint64_t r;
    unsigned pre = ccmps[k].cmp_pre ? ref_awc(p, ~q, 1, 64, &r) : (unsigned)(p >> 28 & 15);
    if (!holds(pre, ccmps[k].cond)) return ccmps[k].nzcv;
    uint64_t yy = ccmps[k].imm >= 0 ? (uint64_t)ccmps[k].imm : y;
    return ccmps[k].sub ? ref_awc(x, ~yy, 1, ccmps[k].bits, &r) : ref_awc(x, yy, 0, ccmps[k].bits, &r);
}

static void test_ccmp(void)
{
    static const unsigned conds[6] = {C_EQ, C_HI, C_GE, C_GT, C_MI, 6 /* VS */};
#ifdef __aarch64__
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
#endif
    for (unsigned k = 0; k < sizeof ccmps / sizeof ccmps[0]; k++) {
        uint64_t h = 0;
        unsigned shown = 0;
        for (unsigned i = 0; i < NV; i++)
            for (unsigned j = 0; j < NV; j++)
                for (unsigned pre = 0; pre < 16; pre++) {
                    uint64_t x = vals[i], y = vals[j], p, q, nzcv, c[6], sig[2];
                    if (ccmps[k].cmp_pre) p = vals[pre % NV], q = vals[(pre * 3 + i) % NV];
                    else p = (uint64_t)pre << 28, q = 0;
#ifdef __aarch64__
                    uint64_t f;
                    ccmp_run(k, x, y, p, q, &f, c);
                    nzcv = f >> 28;
                    if (i == j || pre % 5 == 0) {
                        sig[0] = ccmp_fault(k, 0, x, y, p, q);
                        sig[1] = ccmp_fault(k, 1, x, y, p, q);
                    } else {
                        sig[0] = sig[1] = nzcv;
                    }
#else
                    nzcv = ccmp_ref(k, x, y, p, q);
                    for (int n = 0; n < 6; n++) c[n] = holds((unsigned)nzcv, conds[n]);
                    sig[0] = sig[1] = nzcv;
#endif
                    h = h * 31 + (nzcv << 8 | c[0] << 5 | c[1] << 4 | c[2] << 3 | c[3] << 2 | c[4] << 1 | c[5]);
                    if (sig[0] != nzcv || sig[1] != nzcv || (i == 1 && j == 2 && pre % 4 == 1 && shown++ < 2))
                        printf("%s %016" PRIx64 " %016" PRIx64 " pre %u: nzcv %x csets %u%u%u%u%u%u frame %x %x\n",
                               ccmps[k].name, x, y, pre, (unsigned)nzcv, (unsigned)c[0], (unsigned)c[1],
                               (unsigned)c[2], (unsigned)c[3], (unsigned)c[4], (unsigned)c[5], (unsigned)sig[0],
                               (unsigned)sig[1]);
                }
        printf("%s all: %016" PRIx64 "\n", ccmps[k].name, h);
    }
#ifdef __aarch64__
    signal(SIGSEGV, SIG_DFL);
#endif
    (void)conds;
}

int main(void)
{
    /* ADDS/SUBS/ADCS/SBCS, 32 and 64 bits, carry in 0 and 1. */
    for (int bits = 32; bits <= 64; bits += 32)
        for (unsigned op = 0; op < 4; op++)
            for (unsigned cin = 0; cin < 2; cin++) {
                uint64_t h = 0;
                for (unsigned i = 0; i < NV; i++)
                    for (unsigned j = 0; j < NV; j++) {
                        uint64_t x = vals[i], y = vals[j], r = 0, nzcv;
                        if (bits == 32) x &= 0xffffffffu, y &= 0xffffffffu;
#ifdef __aarch64__
                        uint64_t f;
                        if (bits == 64) {
                            switch (op) {
                            case 0: ARITH("adds", "x", cin, x, y, r, f); break;
                            case 1: ARITH("subs", "x", cin, x, y, r, f); break;
                            case 2: ARITH("adcs", "x", cin, x, y, r, f); break;
                            default: ARITH("sbcs", "x", cin, x, y, r, f); break;
                            }
                        } else {
                            switch (op) {
                            case 0: ARITH("adds", "w", cin, x, y, r, f); break;
                            case 1: ARITH("subs", "w", cin, x, y, r, f); break;
                            case 2: ARITH("adcs", "w", cin, x, y, r, f); break;
                            default: ARITH("sbcs", "w", cin, x, y, r, f); break;
                            }
                        }
                        nzcv = f >> 28;
#else
                        /* ADDS: c = 0; SUBS: NOT(y), c = 1; ADCS/SBCS: the carry flag. */
                        unsigned c = op == 0 ? 0 : op == 1 ? 1 : cin;
                        uint64_t yy = op & 1 ? ~y : y;
                        nzcv = ref_awc(x, yy, c, bits, &r);
#endif
                        h = h * 31 + (r ^ nzcv << 60);
                        if (i == j + 1 || (i == 7 && j == 1))
                            printf("%s%d c%u %016" PRIx64 " %016" PRIx64 " -> %016" PRIx64 " nzcv %x\n",
                                   op == 0 ? "adds" : op == 1 ? "subs" : op == 2 ? "adcs" : "sbcs", bits, cin,
                                   x, y, r, (unsigned)nzcv);
                    }
                printf("%s%d c%u all: %016" PRIx64 "\n",
                       op == 0 ? "adds" : op == 1 ? "subs" : op == 2 ? "adcs" : "sbcs", bits, cin, h);
            }

    /* FCMP/FCMPE (double): NZCV and FPSR.IOC (FPCompare: unordered = 0011;
     * FCMP signals only for sNaN, FCMPE for any NaN). */
    static const uint64_t fv[] = {0x3ff0000000000000ull, 0xbff0000000000000ull, 0, 0x8000000000000000ull,
                                  0x7ff0000000000000ull, 0x7ff8000000000000ull, 0x7ff0000000000001ull,
                                  0xfff8000000000123ull};
    for (int e = 0; e < 2; e++)
        for (unsigned i = 0; i < 8; i++)
            for (unsigned j = 0; j < 8; j++) {
                uint64_t a = fv[i], b = fv[j], nzcv, ioc;
#ifdef __aarch64__
                uint64_t f, s;
                if (e)
                    __asm__ volatile("msr fpsr, xzr\n fmov d0, %2\n fmov d1, %3\n fcmpe d0, d1\n mrs %0, nzcv\n mrs %1, fpsr"
                                     : "=r"(f), "=r"(s) : "r"(a), "r"(b) : "v0", "v1");
                else
                    __asm__ volatile("msr fpsr, xzr\n fmov d0, %2\n fmov d1, %3\n fcmp d0, d1\n mrs %0, nzcv\n mrs %1, fpsr"
                                     : "=r"(f), "=r"(s) : "r"(a), "r"(b) : "v0", "v1");
                nzcv = f >> 28;
                ioc = s & 1;
#else
                double x, y;
                memcpy(&x, &a, 8);
                memcpy(&y, &b, 8);
                int an = x != x, bn = y != y;
                int snan = (an && !((a >> 51) & 1)) || (bn && !((b >> 51) & 1));
                nzcv = an || bn ? 3 : x == y ? 6 : x < y ? 8 : 2;
                ioc = (an || bn) && (e || snan);
#endif
                printf("fcmp%s %016" PRIx64 " %016" PRIx64 ": nzcv %x ioc %u\n", e ? "e" : "", a, b, (unsigned)nzcv,
                       (unsigned)ioc);
            }

    test_ccmp();

    /* Encodings at EL0: NOP, branch, or SIGILL. */
    static const struct { const char *name; const char *expect; } enc[] = {
        {"paciasp (hint)", "nop"}, {"autiasp (hint)", "nop"}, {"xpaclri (hint)", "nop"},
        {"retaa", "sigill"}, {"pacia x0, x1", "sigill"}, {"msr daifset, #2", "sigill"},
        {"msr spsel, #0", "sigill"}, {"cfinv", "sigill"}, {"msr ssbs, #1", "sigill"},
        {"udf #0", "sigill"}, {"bc.eq (taken)", "branch"}, {"crc32x w0, w1, w2 (sf=0)", "sigill"},
        {"sb", "nop"},
    };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_ill;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGILL, &sa, NULL);
    for (unsigned k = 0; k < sizeof enc / sizeof enc[0]; k++) {
        const char *got = enc[k].expect;
#ifdef __aarch64__
        volatile int took = 0;
        if (sigsetjmp(jb, 1)) {
            got = "sigill";
        } else {
            switch (k) {
            case 0: __asm__ volatile(".inst 0xd503233f" ::: "x30"); break;  /* paciasp */
            case 1: __asm__ volatile(".inst 0xd50323bf" ::: "x30"); break;  /* autiasp */
            case 2: __asm__ volatile(".inst 0xd50320ff" ::: "x30"); break;  /* xpaclri */
            case 3: __asm__ volatile(".inst 0xd65f0bff"); break;            /* retaa */
            case 4: __asm__ volatile(".inst 0xdac10020" ::: "x0"); break;   /* pacia x0, x1 */
            case 5: __asm__ volatile(".inst 0xd50342df"); break;            /* msr daifset, #2 */
            case 6: __asm__ volatile(".inst 0xd50040bf"); break;            /* msr spsel, #0 */
            case 7: __asm__ volatile(".inst 0xd500401f"); break;            /* cfinv */
            case 8: __asm__ volatile(".inst 0xd503413f"); break;            /* msr ssbs, #1 */
            case 9: __asm__ volatile(".inst 0x00000000"); break;            /* udf #0 */
            case 10: {
                int t = 0;
                __asm__ volatile("cmp xzr, xzr\n .inst 0x54000070\n mov %w0, #1\n b 1f\n mov %w0, #2\n1:"
                                 : "=r"(t)::"cc"); /* bc.eq +12 */
                took = t;
                got = took == 2 ? "branch" : "fallthrough";
                break;
            }
            case 11: __asm__ volatile(".inst 0x1ac24c20" ::: "x0"); break;  /* crc32x encoding with sf=0 */
            case 12: __asm__ volatile(".inst 0xd50330ff"); break;            /* sb */
            }
            if (k != 10) got = "nop";
        }
#endif
        printf("%s: %s\n", enc[k].name, got);
    }

    /* arch/arm64/include/uapi/asm/hwcap.h: FP 0, ASIMD 1, AES 3, PMULL 4,
     * SHA1 5, SHA2 6, CRC32 7, ATOMICS 8, LRCPC 15, SB 29; HWCAP2_HBC 44. */
    uint64_t hwcap = 1ull << 0 | 1ull << 1 | 1ull << 3 | 1ull << 4 | 1ull << 5 | 1ull << 6 | 1ull << 7 |
                     1ull << 8 | 1ull << 15 | 1ull << 29;
    uint64_t hwcap2 = 1ull << 44;
#ifdef __aarch64__
    hwcap = getauxval(AT_HWCAP);
    hwcap2 = getauxval(AT_HWCAP2);
#endif
    printf("hwcap %#" PRIx64 " hwcap2 %#" PRIx64 "\n", hwcap, hwcap2);
    return 0;
}
