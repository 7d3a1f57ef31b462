/* SPDX-License-Identifier: MIT */
/* AArch64 MUL, MLA and MLS (by element), C7.2: every lane of Vn times element
 * [index] of Vm, added to / subtracted from Vd, for 4H/8H (index 0..7, Vm in
 * v0-v15) and 2S/4S (index 0..3); 64-bit forms clear bits 127:64. Built for
 * aarch64 the results come from the instructions; built natively from the C
 * reference below, so the native output is the expected output. The aarch64
 * build also checks itself against the reference and prints FAIL lines. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct V {
    uint64_t d[2];
} V;

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static uint64_t get(const V *v, int esz, int i)
{
    int bits = 8 << esz, per = 64 / bits;
    return (v->d[i / per] >> (bits * (i % per))) & ((1ull << bits) - 1);
}

static void put(V *v, int esz, int i, uint64_t x)
{
    int bits = 8 << esz, per = 64 / bits, sh = bits * (i % per);
    uint64_t m = (1ull << bits) - 1;
    v->d[i / per] = (v->d[i / per] & ~(m << sh)) | ((x & m) << sh);
}

/* op 0 MUL, 1 MLA, 2 MLS; q selects 128 bits. */
static V ref(int op, int esz, int q, int idx, V d, V n, V m)
{
    V r = {{0, 0}};
    int lanes = (q ? 16 : 8) >> esz;
    uint64_t e = get(&m, esz, idx);
    for (int i = 0; i < lanes; i++) {
        uint64_t p = get(&n, esz, i) * e;
        uint64_t x = op == 0 ? p : op == 1 ? get(&d, esz, i) + p : get(&d, esz, i) - p;
        put(&r, esz, i, x);
    }
    return r;
}

#if defined(__aarch64__)
/* d in v0, n in v1, m in v15 (the highest register the 16-bit forms reach). */
#define ONE(ins, arr, earr, idx)                                                                     \
    static V run_##ins##_##arr##_##idx(V d, V n, V m)                                                \
    {                                                                                                \
        V r;                                                                                         \
        __asm__ volatile("ldr q0, [%1]\n\tldr q1, [%2]\n\tldr q15, [%3]\n\t" #ins                    \
                         " v0." #arr ", v1." #arr ", v15." #earr "[" #idx "]\n\tstr q0, [%0]"        \
                         : : "r"(&r), "r"(&d), "r"(&n), "r"(&m) : "v0", "v1", "v15", "memory");      \
        return r;                                                                                    \
    }
#define IDX8(ins, arr, earr) ONE(ins, arr, earr, 0) ONE(ins, arr, earr, 1) ONE(ins, arr, earr, 2) \
    ONE(ins, arr, earr, 3) ONE(ins, arr, earr, 4) ONE(ins, arr, earr, 5) ONE(ins, arr, earr, 6) ONE(ins, arr, earr, 7)
#define IDX4(ins, arr, earr) ONE(ins, arr, earr, 0) ONE(ins, arr, earr, 1) ONE(ins, arr, earr, 2) ONE(ins, arr, earr, 3)
#define ALL(ins) IDX8(ins, 4h, h) IDX8(ins, 8h, h) IDX4(ins, 2s, s) IDX4(ins, 4s, s)
ALL(mul) ALL(mla) ALL(mls)

typedef V (*Fn)(V, V, V);
#define F8(ins, arr) {run_##ins##_##arr##_0, run_##ins##_##arr##_1, run_##ins##_##arr##_2, run_##ins##_##arr##_3, \
                      run_##ins##_##arr##_4, run_##ins##_##arr##_5, run_##ins##_##arr##_6, run_##ins##_##arr##_7}
#define F4(ins, arr) {run_##ins##_##arr##_0, run_##ins##_##arr##_1, run_##ins##_##arr##_2, run_##ins##_##arr##_3}
/* [op][form: 4h 8h 2s 4s][idx] */
static const Fn fns[3][4][8] = {
    {F8(mul, 4h), F8(mul, 8h), F4(mul, 2s), F4(mul, 4s)},
    {F8(mla, 4h), F8(mla, 8h), F4(mla, 2s), F4(mla, 4s)},
    {F8(mls, 4h), F8(mls, 8h), F4(mls, 2s), F4(mls, 4s)},
};
#endif

int main(void)
{
    static const char *ops[3] = {"mul", "mla", "mls"};
    static const char *forms[4] = {"4h", "8h", "2s", "4s"};
    uint64_t sum = 0;
    int fails = 0;
    for (int round = 0; round < 3; round++)
        for (int op = 0; op < 3; op++)
            for (int f = 0; f < 4; f++) {
                int esz = f < 2 ? 1 : 2, q = f & 1, nidx = esz == 1 ? 8 : 4;
                for (int idx = 0; idx < nidx; idx++) {
                    V d = {{rnd(), rnd()}}, n = {{rnd(), rnd()}}, m = {{rnd(), rnd()}};
                    if (round == 0) { /* edge lanes: 0, 1, -1, MIN, MAX */
                        n.d[0] = 0xffff00018000ffffull;
                        m.d[0] = 0x7fff80000001ffffull;
                    }
                    V want = ref(op, esz, q, idx, d, n, m), got = want;
#if defined(__aarch64__)
                    got = fns[op][f][idx](d, n, m);
                    if (memcmp(&got, &want, sizeof(V))) {
                        printf("FAIL %s %s [%d]: got %016" PRIx64 ":%016" PRIx64 " want %016" PRIx64
                               ":%016" PRIx64 "\n",
                               ops[op], forms[f], idx, got.d[1], got.d[0], want.d[1], want.d[0]);
                        fails++;
                    }
#endif
                    sum = sum * 1000003 + got.d[0] * 31 + got.d[1];
                    if (round == 0 && idx == 1)
                        printf("%s %s [1]: %016" PRIx64 ":%016" PRIx64 "\n", ops[op], forms[f], got.d[1], got.d[0]);
                }
            }
    printf("checksum %016" PRIx64 "\n", sum);
    return fails != 0;
}
