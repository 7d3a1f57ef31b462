/* SPDX-License-Identifier: MIT */
/* AArch64 FP estimates and half-precision conversions: FRECPE, FRSQRTE,
 * FRECPX (S and D), URECPE, URSQRTE, FCVT to/from half (S and D), FCVTN/
 * FCVTL half forms, each with its FPSR flags, over edge-case and random
 * inputs under every FPCR.RMode with FZ, DN and AHP on and off. Results are
 * hashed per group and compared with hashes recorded from qemu-aarch64 when
 * the test was written (the Arm ARM's estimate tables have no other oracle
 * on an x86 host); the native build only prints the group names. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { G_FRECPE_S, G_FRSQRTE_S, G_FRECPX_S, G_FRECPE_D, G_FRSQRTE_D, G_FRECPX_D, G_URECPE, G_URSQRTE,
       G_H_FROM_S, G_H_FROM_D, G_S_FROM_H, G_D_FROM_H, G_FCVTN, G_FCVTL, G_N };
static const char *const names[G_N] = {"frecpe.s", "frsqrte.s", "frecpx.s", "frecpe.d", "frsqrte.d", "frecpx.d",
                                       "urecpe", "ursqrte", "fcvt h<-s", "fcvt h<-d", "fcvt s<-h",
                                       "fcvt d<-h", "fcvtn.4h", "fcvtl.4s"};
/* FNV-1a 64 of every (result, FPSR) pair, from qemu-aarch64 7.2 (Debian bookworm). */
static const uint64_t golden[G_N] = {
#include "a64_fpest.golden"
};

#ifdef __aarch64__
static uint64_t hs[G_N];
/* A64_FPEST_DUMP=1 prints the hashes (to record a64_fpest.golden). */
static int getenv_dump(void) { return getenv("A64_FPEST_DUMP") != NULL; }
static void mix(int g, uint64_t v)
{
    if (!hs[g]) hs[g] = 0xcbf29ce484222325ull;
    for (int i = 0; i < 8; i++) {
        hs[g] ^= (v >> (8 * i)) & 0xff;
        hs[g] *= 0x100000001b3ull;
    }
}
static uint64_t rs = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}
static uint64_t fpsr_take(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpsr\n msr fpsr, xzr" : "=r"(v));
    return v;
}
#define S1(g, ins, x)                                                                        \
    do {                                                                                     \
        uint32_t r_;                                                                         \
        __asm__ volatile("fmov s1, %w1\n " ins " s0, s1\n fmov %w0, s0" : "=r"(r_) : "r"(x) : "v0", "v1"); \
        mix(g, r_);                                                                          \
        mix(g, fpsr_take());                                                                 \
    } while (0)
#define D1(g, ins, x)                                                                        \
    do {                                                                                     \
        uint64_t r_;                                                                         \
        __asm__ volatile("fmov d1, %1\n " ins " d0, d1\n fmov %0, d0" : "=r"(r_) : "r"(x) : "v0", "v1"); \
        mix(g, r_);                                                                          \
        mix(g, fpsr_take());                                                                 \
    } while (0)
#endif

int main(void)
{
#ifdef __aarch64__
    static const uint32_t edge32[] = {0, 0x80000000u, 1, 0x80000001u, 0x00200000u, 0x00400000u, 0x007fffffu,
                                      0x00800000u, 0x3f800000u, 0xbf800000u, 0x7f7fffffu, 0x7e800000u,
                                      0x7f000000u, 0x7f800000u, 0xff800000u, 0x7fc00001u, 0x7f800001u,
                                      0xff812345u, 0x477fe000u, 0x477ff000u, 0x47800000u, 0x33800000u,
                                      0x33000000u, 0x337fffffu, 0x38800000u, 0x387fc000u, 0x40490fdbu};
    int ne = (int)(sizeof edge32 / sizeof edge32[0]);
    fpsr_take();
    for (int mode = 0; mode < 32; mode++) {
        uint64_t fpcr = (uint64_t)(mode & 3) << 22 | (uint64_t)((mode >> 2) & 1) << 24 |
                        (uint64_t)((mode >> 3) & 1) << 25 | (uint64_t)((mode >> 4) & 1) << 26;
        __asm__ volatile("msr fpcr, %0" ::"r"(fpcr));
        for (int i = 0; i < ne + 200; i++) {
            uint64_t b = rnd();
            uint32_t f = i < ne ? edge32[i] : (uint32_t)b;
            if (i >= ne && (i & 3) == 1) f &= 0x807fffffu;                 /* denormals */
            if (i >= ne && (i & 3) == 2) f = (f & 0x87ffffffu) | 0x38000000u; /* near half range */
            uint64_t d = i < ne ? (uint64_t)(f & 0x80000000u) << 32 | (uint64_t)(f & 0x7fffffffu) << 29 : b;
            if (i >= ne && (i & 7) == 5) d &= 0x800fffffffffffffull;
            if (i >= ne && (i & 7) == 6) d = (d & 0x80ffffffffffffffull) | 0x3f00000000000000ull;
            uint32_t h = (uint32_t)(b >> 48) & 0xffff;
            if (i < ne) h = f >> 16;
            S1(G_FRECPE_S, "frecpe", f);
            S1(G_FRSQRTE_S, "frsqrte", f);
            S1(G_FRECPX_S, "frecpx", f);
            D1(G_FRECPE_D, "frecpe", d);
            D1(G_FRSQRTE_D, "frsqrte", d);
            D1(G_FRECPX_D, "frecpx", d);
            uint32_t r;
            __asm__ volatile("fmov s1, %w1\n urecpe v0.2s, v1.2s\n fmov %w0, s0" : "=r"(r) : "r"(f) : "v0", "v1");
            mix(G_URECPE, r);
            __asm__ volatile("fmov s1, %w1\n ursqrte v0.2s, v1.2s\n fmov %w0, s0" : "=r"(r) : "r"(f) : "v0", "v1");
            mix(G_URSQRTE, r);
            __asm__ volatile("fmov s1, %w1\n fcvt h0, s1\n fmov %w0, s0" : "=r"(r) : "r"(f) : "v0", "v1");
            mix(G_H_FROM_S, r);
            mix(G_H_FROM_S, fpsr_take());
            __asm__ volatile("fmov d1, %1\n fcvt h0, d1\n fmov %w0, s0" : "=r"(r) : "r"(d) : "v0", "v1");
            mix(G_H_FROM_D, r);
            mix(G_H_FROM_D, fpsr_take());
            __asm__ volatile("fmov s1, %w1\n fcvt s0, h1\n fmov %w0, s0" : "=r"(r) : "r"(h) : "v0", "v1");
            mix(G_S_FROM_H, r);
            mix(G_S_FROM_H, fpsr_take());
            uint64_t r64;
            __asm__ volatile("fmov s1, %w1\n fcvt d0, h1\n fmov %0, d0" : "=r"(r64) : "r"(h) : "v0", "v1");
            mix(G_D_FROM_H, r64);
            mix(G_D_FROM_H, fpsr_take());
            uint64_t lo, hi;
            __asm__ volatile("fmov d1, %2\n mov v1.d[1], %3\n fcvtn v0.4h, v1.4s\n fcvtn2 v0.8h, v1.4s\n"
                             " mov %0, v0.d[0]\n mov %1, v0.d[1]"
                             : "=r"(lo), "=r"(hi) : "r"(d), "r"(b) : "v0", "v1");
            mix(G_FCVTN, lo);
            mix(G_FCVTN, hi);
            mix(G_FCVTN, fpsr_take());
            __asm__ volatile("fmov d1, %2\n fcvtl v0.4s, v1.4h\n mov %0, v0.d[0]\n mov %1, v0.d[1]"
                             : "=r"(lo), "=r"(hi) : "r"(b) : "v0", "v1");
            mix(G_FCVTL, lo);
            mix(G_FCVTL, hi);
            mix(G_FCVTL, fpsr_take());
        }
    }
    __asm__ volatile("msr fpcr, xzr");
    int bad = 0;
    for (int g = 0; g < G_N; g++) {
        if (getenv_dump()) printf("0x%016" PRIx64 "ull,\n", hs[g]);
        else if (hs[g] != golden[g]) {
            printf("FAIL %s: %016" PRIx64 " want %016" PRIx64 "\n", names[g], hs[g], golden[g]);
            bad++;
        } else {
            printf("%s: ok\n", names[g]);
        }
    }
    return bad != 0;
#else
    for (int g = 0; g < G_N; g++) printf("%s: ok\n", names[g]);
    (void)golden;
    return 0;
#endif
}
