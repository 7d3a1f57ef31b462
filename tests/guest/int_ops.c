/* SPDX-License-Identifier: MIT */
/* Integer operations with results C defines: 64/32-bit add/sub/mul with
 * unsigned wraparound, shifts by every valid count, sign/zero extension,
 * comparisons, and the clz/ctz/popcount/parity/bswap builtins. Inputs come
 * through volatile so the compiler cannot fold them away. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static volatile uint64_t vals[] = {
    0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
    0x7fffffffu, 0x80000000u, 0xffffffffu, 0x100000000ull,
    0x123456789abcdef0ull, 0xfedcba9876543210ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0xffffffffffffffffull, 0xdeadbeefcafebabeull,
    0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull, 0x0000000100000001ull,
};
#define NV (sizeof vals / sizeof vals[0])

static uint64_t h = 0xcbf29ce484222325ull;
static void mix(uint64_t x)
{
    for (int i = 0; i < 8; i++) {
        h ^= (x >> (i * 8)) & 0xff;
        h *= 0x100000001b3ull;
    }
}

static uint64_t rotl64(uint64_t x, unsigned r) { return (x << (r & 63)) | (x >> ((64 - r) & 63)); }
static uint32_t rotr32(uint32_t x, unsigned r) { return (x >> (r & 31)) | (x << ((32 - r) & 31)); }

int main(void)
{
    /* Arithmetic, 64 and 32 bits, on every pair. */
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned j = 0; j < NV; j++) {
            uint64_t a = vals[i], b = vals[j];
            uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b;
            int64_t sa = (int64_t)a, sb = (int64_t)b;
            int32_t sa32 = (int32_t)a32, sb32 = (int32_t)b32;
            mix(a + b); mix(a - b); mix(a * b);
            mix(a & b); mix(a | b); mix(a ^ b); mix(~a & b);
            mix((uint32_t)(a32 + b32)); mix((uint32_t)(a32 - b32)); mix((uint32_t)(a32 * b32));
            /* 32-bit results sign-extended to 64 (addw/subw/mulw). */
            mix((uint64_t)(int64_t)(int32_t)(a32 + b32));
            mix((uint64_t)(int64_t)(int32_t)(a32 * b32));
            mix(sa < sb); mix(a < b); mix(sa32 < sb32); mix(a32 < b32); mix(a == b);
            if (b != 0) { mix(a / b); mix(a % b); }
            if (b32 != 0) { mix(a32 / b32); mix(a32 % b32); }
            if (sb != 0 && !(sa == INT64_MIN && sb == -1)) { mix((uint64_t)(sa / sb)); mix((uint64_t)(sa % sb)); }
            if (sb32 != 0 && !(sa32 == INT32_MIN && sb32 == -1)) { mix((uint64_t)(int64_t)(sa32 / sb32)); mix((uint64_t)(int64_t)(sa32 % sb32)); }
            /* High halves of the 128-bit product (mulh/mulhu/mulhsu). */
            mix((uint64_t)(((unsigned __int128)a * b) >> 64));
            mix((uint64_t)(((__int128)sa * sb) >> 64));
            mix((uint64_t)(((__int128)sa * (unsigned __int128)b) >> 64));
        }
        printf("pair[%2u] %016" PRIx64 "\n", i, h);
    }

    /* Shifts by every count the C standard defines. */
    for (unsigned i = 0; i < NV; i++) {
        uint64_t a = vals[i];
        uint64_t s = 0;
        for (volatile unsigned c = 0; c < 64; c++) {
            mix(a << c); mix(a >> c); mix((uint64_t)((int64_t)a >> c));
            mix(rotl64(a, c));
            s += (a << c) ^ (a >> c);
        }
        for (volatile unsigned c = 0; c < 32; c++) {
            uint32_t a32 = (uint32_t)a;
            mix((uint32_t)(a32 << c)); mix(a32 >> c); mix((uint64_t)(int64_t)((int32_t)a32 >> c));
            mix((uint64_t)(int64_t)(int32_t)(a32 << c)); /* sllw */
            mix(rotr32(a32, c));
        }
        printf("shift %016" PRIx64 " sum=%016" PRIx64 " h=%016" PRIx64 "\n", a, s, h);
    }

    /* Extensions. */
    for (unsigned i = 0; i < NV; i++) {
        uint64_t a = vals[i];
        printf("ext %016" PRIx64 ": sb=%" PRId64 " ub=%" PRIu64 " sh=%" PRId64 " uh=%" PRIu64
               " sw=%" PRId64 " uw=%" PRIu64 "\n", a,
               (int64_t)(int8_t)a, (uint64_t)(uint8_t)a, (int64_t)(int16_t)a,
               (uint64_t)(uint16_t)a, (int64_t)(int32_t)a, (uint64_t)(uint32_t)a);
    }

    /* Bit tricks and builtins (clz/ctz of 0 are undefined: skip 0). */
    for (unsigned i = 0; i < NV; i++) {
        uint64_t a = vals[i];
        uint32_t a32 = (uint32_t)a;
        printf("bits %016" PRIx64 ": pop=%d pop32=%d par=%d", a, __builtin_popcountll(a),
               __builtin_popcount(a32), __builtin_parityll(a));
        if (a) printf(" clz=%d ctz=%d", __builtin_clzll(a), __builtin_ctzll(a));
        if (a32) printf(" clz32=%d ctz32=%d", __builtin_clz(a32), __builtin_ctz(a32));
        printf(" bswap=%016" PRIx64 " bswap32=%08" PRIx32 " lowbit=%016" PRIx64
               " clrlow=%016" PRIx64 " pow2=%d\n",
               __builtin_bswap64(a), __builtin_bswap32(a32), a & -a, a & (a - 1),
               a && !(a & (a - 1)));
    }

    /* A long dependent chain that a JIT must get right across blocks. */
    uint64_t x = 1;
    uint32_t y = 1;
    for (volatile int k = 0; k < 100000; k++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        y = y * 1103515245u + 12345u;
        x ^= x >> 17;
        y ^= y << 5;
    }
    printf("lcg x=%016" PRIx64 " y=%08" PRIx32 "\n", x, y);
    printf("final %016" PRIx64 "\n", h);
    return 0;
}
