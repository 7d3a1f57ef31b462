/* SPDX-License-Identifier: MIT */
/* Bit manipulation. For RISC-V this file is built with Zba/Zbb/Zbs (and
 * GUEST_ZICOND=1): the compiler emits those instructions for the builtins and
 * idioms, and inline asm runs each Zba, Zbb, Zbs and Zicond instruction directly. Elsewhere
 * the same functions are plain C computing the architected result, so the
 * native run is the expected output. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t u64;

#if defined(__riscv) && defined(__riscv_zbb)
#define R2(name, insn)                                                              \
    static u64 name(u64 a, u64 b)                                                   \
    {                                                                               \
        u64 r;                                                                      \
        __asm__ volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));           \
        return r;                                                                   \
    }
#define R1(name, insn)                                                              \
    static u64 name(u64 a)                                                          \
    {                                                                               \
        u64 r;                                                                      \
        __asm__ volatile(insn " %0, %1" : "=r"(r) : "r"(a));                        \
        return r;                                                                   \
    }
/* Zba */
R2(sh1add, "sh1add") R2(sh2add, "sh2add") R2(sh3add, "sh3add") R2(add_uw, "add.uw")
R2(sh1add_uw, "sh1add.uw") R2(sh2add_uw, "sh2add.uw") R2(sh3add_uw, "sh3add.uw")
static u64 slli_uw5(u64 a) { u64 r; __asm__ volatile("slli.uw %0, %1, 5" : "=r"(r) : "r"(a)); return r; }
/* Zbb */
R2(andn, "andn") R2(orn, "orn") R2(xnor, "xnor") R2(rmax, "max") R2(rmaxu, "maxu")
R2(rmin, "min") R2(rminu, "minu") R2(rol, "rol") R2(ror, "ror") R2(rolw, "rolw") R2(rorw, "rorw")
R1(clz, "clz") R1(ctz, "ctz") R1(cpop, "cpop") R1(clzw, "clzw") R1(ctzw, "ctzw") R1(cpopw, "cpopw")
R1(sext_b, "sext.b") R1(sext_h, "sext.h") R1(zext_h, "zext.h") R1(rev8, "rev8") R1(orc_b, "orc.b")
static u64 rori13(u64 a) { u64 r; __asm__ volatile("rori %0, %1, 13" : "=r"(r) : "r"(a)); return r; }
static u64 roriw7(u64 a) { u64 r; __asm__ volatile("roriw %0, %1, 7" : "=r"(r) : "r"(a)); return r; }
/* Zbs */
R2(bset, "bset") R2(bclr, "bclr") R2(binv, "binv") R2(bext, "bext")
static u64 bexti63(u64 a) { u64 r; __asm__ volatile("bexti %0, %1, 63" : "=r"(r) : "r"(a)); return r; }
#else
static u64 sh1add(u64 a, u64 b) { return (a << 1) + b; }
static u64 sh2add(u64 a, u64 b) { return (a << 2) + b; }
static u64 sh3add(u64 a, u64 b) { return (a << 3) + b; }
static u64 add_uw(u64 a, u64 b) { return (u64)(uint32_t)a + b; }
static u64 sh1add_uw(u64 a, u64 b) { return ((u64)(uint32_t)a << 1) + b; }
static u64 sh2add_uw(u64 a, u64 b) { return ((u64)(uint32_t)a << 2) + b; }
static u64 sh3add_uw(u64 a, u64 b) { return ((u64)(uint32_t)a << 3) + b; }
static u64 slli_uw5(u64 a) { return (u64)(uint32_t)a << 5; }
static u64 andn(u64 a, u64 b) { return a & ~b; }
static u64 orn(u64 a, u64 b) { return a | ~b; }
static u64 xnor(u64 a, u64 b) { return ~(a ^ b); }
static u64 rmax(u64 a, u64 b) { return (int64_t)a > (int64_t)b ? a : b; }
static u64 rmaxu(u64 a, u64 b) { return a > b ? a : b; }
static u64 rmin(u64 a, u64 b) { return (int64_t)a < (int64_t)b ? a : b; }
static u64 rminu(u64 a, u64 b) { return a < b ? a : b; }
static u64 rol(u64 a, u64 b) { unsigned s = b & 63; return s ? (a << s) | (a >> (64 - s)) : a; }
static u64 ror(u64 a, u64 b) { unsigned s = b & 63; return s ? (a >> s) | (a << (64 - s)) : a; }
static u64 rolw(u64 a, u64 b)
{
    uint32_t x = (uint32_t)a;
    unsigned s = b & 31;
    return (u64)(int64_t)(int32_t)(s ? (x << s) | (x >> (32 - s)) : x);
}
static u64 rorw(u64 a, u64 b)
{
    uint32_t x = (uint32_t)a;
    unsigned s = b & 31;
    return (u64)(int64_t)(int32_t)(s ? (x >> s) | (x << (32 - s)) : x);
}
static u64 clz(u64 a) { return a ? (u64)__builtin_clzll(a) : 64; }
static u64 ctz(u64 a) { return a ? (u64)__builtin_ctzll(a) : 64; }
static u64 cpop(u64 a) { return (u64)__builtin_popcountll(a); }
static u64 clzw(u64 a) { return (uint32_t)a ? (u64)__builtin_clz((uint32_t)a) : 32; }
static u64 ctzw(u64 a) { return (uint32_t)a ? (u64)__builtin_ctz((uint32_t)a) : 32; }
static u64 cpopw(u64 a) { return (u64)__builtin_popcount((uint32_t)a); }
static u64 sext_b(u64 a) { return (u64)(int64_t)(int8_t)a; }
static u64 sext_h(u64 a) { return (u64)(int64_t)(int16_t)a; }
static u64 zext_h(u64 a) { return (uint16_t)a; }
static u64 rev8(u64 a) { return __builtin_bswap64(a); }
static u64 orc_b(u64 a)
{
    u64 r = 0;
    for (int i = 0; i < 8; i++)
        if ((a >> (i * 8)) & 0xff) r |= 0xffull << (i * 8);
    return r;
}
static u64 rori13(u64 a) { return ror(a, 13); }
static u64 roriw7(u64 a) { return rorw(a, 7); }
static u64 bset(u64 a, u64 b) { return a | (1ull << (b & 63)); }
static u64 bclr(u64 a, u64 b) { return a & ~(1ull << (b & 63)); }
static u64 binv(u64 a, u64 b) { return a ^ (1ull << (b & 63)); }
static u64 bext(u64 a, u64 b) { return (a >> (b & 63)) & 1; }
static u64 bexti63(u64 a) { return a >> 63; }
#endif

#if defined(__riscv) && GUEST_ZICOND
/* Zicond: czero.eqz rd, rs1, rs2 = (rs2 == 0) ? 0 : rs1; czero.nez the
 * reverse. Encoded with .insn (OP opcode, funct7 0000111, funct3 101/111)
 * so assemblers that predate Zicond still build it. */
static u64 czero_eqz(u64 a, u64 b) { u64 r; __asm__ volatile(".insn r 0x33, 5, 7, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static u64 czero_nez(u64 a, u64 b) { u64 r; __asm__ volatile(".insn r 0x33, 7, 7, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
#else
static u64 czero_eqz(u64 a, u64 b) { return b == 0 ? 0 : a; }
static u64 czero_nez(u64 a, u64 b) { return b != 0 ? 0 : a; }
#endif

static volatile u64 vals[] = {
    0, 1, 2, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
    0x100000000ull, 0x8000000000000000ull, 0xffffffffffffffffull, 0x123456789abcdef0ull,
    0x00ff00000000ff00ull, 0xfedcba9876543210ull, 63, 64, 31, 33,
};
#define NV (sizeof vals / sizeof vals[0])

int main(void)
{
    for (unsigned i = 0; i < NV; i++) {
        u64 a = vals[i];
        printf("%016" PRIx64 ": clz=%" PRIu64 " ctz=%" PRIu64 " cpop=%" PRIu64 " clzw=%" PRIu64
               " ctzw=%" PRIu64 " cpopw=%" PRIu64 " sb=%" PRIx64 " sh=%" PRIx64 " zh=%" PRIx64
               " rev8=%" PRIx64 " orcb=%" PRIx64 " rori13=%" PRIx64 " roriw7=%" PRIx64
               " slliuw=%" PRIx64 " bexti63=%" PRIu64 "\n",
               a, clz(a), ctz(a), cpop(a), clzw(a), ctzw(a), cpopw(a), sext_b(a), sext_h(a),
               zext_h(a), rev8(a), orc_b(a), rori13(a), roriw7(a), slli_uw5(a), bexti63(a));
    }
    u64 h = 0;
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned j = 0; j < NV; j++) {
            u64 a = vals[i], b = vals[j];
            u64 r[] = { sh1add(a, b), sh2add(a, b), sh3add(a, b), add_uw(a, b), sh1add_uw(a, b),
                        sh2add_uw(a, b), sh3add_uw(a, b), andn(a, b), orn(a, b), xnor(a, b),
                        rmax(a, b), rmaxu(a, b), rmin(a, b), rminu(a, b), rol(a, b), ror(a, b),
                        rolw(a, b), rorw(a, b), bset(a, b), bclr(a, b), binv(a, b), bext(a, b),
                        czero_eqz(a, b), czero_nez(a, b) };
            for (unsigned k = 0; k < sizeof r / sizeof r[0]; k++) h = (h ^ r[k]) * 0x100000001b3ull;
            if (j == 13)
                printf("%016" PRIx64 " op -1: andn=%" PRIx64 " rol=%" PRIx64 " max=%" PRIx64
                       " minu=%" PRIx64 " czero.eqz=%" PRIx64 " czero.nez=%" PRIx64 "\n",
                       a, andn(a, b), rol(a, b), rmax(a, b), rminu(a, b), czero_eqz(a, b),
                       czero_nez(a, b));
        }
        printf("row %2u hash=%016" PRIx64 "\n", i, h);
    }
    /* Idioms the compiler maps to Zb* on its own. */
    u64 s = 0;
    for (unsigned i = 0; i < NV; i++) {
        u64 a = vals[i];
        s += (u64)__builtin_popcountll(a) + (a ? (u64)__builtin_clzll(a) : 0) + (a & ~vals[(i + 1) % NV]) +
             ((a << 3) + vals[(i + 2) % NV]) + (a > vals[(i + 3) % NV] ? a : vals[(i + 3) % NV]);
        s = (s << 7) | (s >> 57);
    }
    printf("idioms=%016" PRIx64 "\n", s);
    return 0;
}
