/* SPDX-License-Identifier: MIT */
/* Bare-metal: self-modifying code on one hart, under both engines. Writes
 * instructions, runs them, rewrites them: with fence.i (unprivileged spec,
 * chapter "Zifencei": after fence.i the hart's fetches see its earlier stores),
 * without it (the spec leaves the old or the new code allowed; vm drops the
 * translations of a physical page when it is stored to, so the new code runs
 * once the running block ends), an instruction rewritten ahead of itself in
 * the running block, data stores beside code on one page, and a rewrite
 * through one virtual alias seen through another (Sv39: translations are
 * keyed and invalidated by physical address). */
#include "bm.h"

#define LI_A0(k) (0x00000513u | ((uint32_t)(k) & 0xfff) << 20) /* addi a0, zero, k */
#define RET 0x00008067u                                        /* jalr zero, 0(ra) */
#define ADDI_A0(k) (0x00050513u | ((uint32_t)(k) & 0xfff) << 20) /* addi a0, a0, k */

/* Code buffers: RAM is RWX in M-mode (crt.S opens PMP); page-aligned so the
 * tests below know which page each one is on. */
static uint32_t code[4][1024] __attribute__((aligned(4096)));
/* A page holding both code (the first words) and data (the rest). */
static volatile uint32_t mixed[1024] __attribute__((aligned(4096)));

typedef uint64_t (*Fn)(void);

static inline void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

static void put_fn(volatile uint32_t *p, int k)
{
    p[0] = LI_A0(k);
    p[1] = RET;
}

static uint64_t call(volatile uint32_t *p) { return ((Fn)(uintptr_t)p)(); }

/* An instruction rewritten by the block that then runs it (after fence.i):
 * the store and the target are in the same straight-line code. Returns a0. */
__attribute__((noinline, aligned(64))) static uint64_t rewrite_ahead(uint32_t insn)
{
    uint64_t r;
    __asm__ volatile(".option push\n"
                     ".option norvc\n"
                     "  la t0, 1f\n"
                     "  sw %1, 0(t0)\n"
                     "  fence.i\n"
                     "  li a0, 0\n"
                     "1: addi a0, zero, 7\n"
                     "  mv %0, a0\n"
                     ".option pop\n"
                     : "=r"(r)
                     : "r"(insn)
                     : "t0", "a0", "memory");
    return r;
}

/* The same without fence.i: either value is allowed by the spec; vm runs the
 * block as it was translated (the store ends nothing), so 7 until the next
 * lookup of this code, which then finds the new instruction. */
__attribute__((noinline, aligned(64))) static uint64_t rewrite_ahead_nofence(uint32_t insn)
{
    uint64_t r;
    __asm__ volatile(".option push\n"
                     ".option norvc\n"
                     "  la t0, 1f\n"
                     "  sw %1, 0(t0)\n"
                     "  li a0, 0\n"
                     "1: addi a0, zero, 7\n"
                     "  mv %0, a0\n"
                     ".option pop\n"
                     : "=r"(r)
                     : "r"(insn)
                     : "t0", "a0", "memory");
    return r;
}

/* -- Sv39 alias: the same physical page at two virtual addresses ------------------- */

#define PTE_V 1ull
#define PTE_R 2ull
#define PTE_W 4ull
#define PTE_X 8ull
#define PTE_A 64ull
#define PTE_D 128ull
static uint64_t root[512] __attribute__((aligned(4096)));
#define ALIAS_OFF 0x40000000ull /* va - ALIAS_OFF = pa for the 1 GiB alias at 0x40000000 */

static uint64_t s_alias(uint64_t x)
{
    (void)x;
    volatile uint32_t *w = (volatile uint32_t *)code[3];             /* identity va */
    volatile uint32_t *xv = (volatile uint32_t *)((uintptr_t)code[3] - ALIAS_OFF); /* alias va */
    uint64_t bad = 0;
    for (int round = 1; round <= 20; round++) {
        put_fn(w, round);
        fence_i();
        if (call(xv) != (uint64_t)round) bad |= 1;
        /* Rewritten through the alias, run through the identity mapping. */
        put_fn(xv, 100 + round);
        fence_i();
        if (call(w) != (uint64_t)(100 + round)) bad |= 2;
    }
    return bad;
}

/* -- An instruction straddling two pages whose second page is remapped ------------------
 * va STRAD_VA maps to strad[2]; va STRAD_VA + 4 KiB to strad[0] or strad[1]
 * (physically before it: the first page's physical successor is neither).
 * strad[2] ends with the low half of "addi a0, zero, K" (always 0x0513); the
 * next page starts with its high half (K << 4), then c.ret. So the function at
 * STRAD_VA + 0xffe returns 11 or 22 depending on the second page's mapping:
 * translations of code on two pages must follow both (sfence.vma here), and
 * a store to the second page must drop them. */
#define STRAD_VA 0xc0000000ull /* root[3]: 4 KiB pages through strad_l1/strad_l0 */
static uint16_t strad[3][2048] __attribute__((aligned(4096)));
static uint64_t strad_l1[512] __attribute__((aligned(4096)));
static uint64_t strad_l0[512] __attribute__((aligned(4096)));

static void strad_map(int which)
{
    strad_l0[1] = ((uintptr_t)strad[which] >> 12) << 10 | PTE_V | PTE_R | PTE_X | PTE_A;
    __asm__ volatile("sfence.vma %0" ::"r"(STRAD_VA + 4096) : "memory");
}

static uint64_t s_straddle(uint64_t x)
{
    (void)x;
    volatile uint32_t *fn = (volatile uint32_t *)(uintptr_t)(STRAD_VA + 0xffe);
    uint64_t bad = 0;
    for (int round = 0; round < 50; round++) {
        strad_map(0);
        if (call(fn) != 11) bad |= 1;
        strad_map(1);
        if (call(fn) != 22) bad |= 2;
    }
    /* A store to the second page (through the identity mapping) drops the
     * straddling block as well. */
    strad_map(0);
    for (int k = 30; k < 40; k++) {
        strad[0][0] = (uint16_t)(k << 4);
        fence_i();
        if (call(fn) != (uint64_t)k) bad |= 4;
    }
    return bad;
}

int main(void)
{
    /* 1. Write, run; rewrite with fence.i, run: the new code, every time. */
    for (int k = 1; k <= 200; k++) {
        put_fn(code[0], k);
        fence_i();
        CHECK(call(code[0]) == (uint64_t)k, 1);
    }

    /* 2. Rewrite without fence.i, from a different block: allowed to be
     * either, vm's stores to a translated page drop its blocks at once. */
    put_fn(code[1], 1);
    fence_i();
    CHECK(call(code[1]) == 1, 2);
    for (int k = 2; k <= 200; k++) {
        code[1][0] = LI_A0(k);
        CHECK(call(code[1]) == (uint64_t)k, 3);
    }

    /* 3. Many functions on one page, one rewritten at a time: only the
     * rewritten one changes (the others are translated again, unchanged). */
    for (int i = 0; i < 64; i++) put_fn(&code[2][2 * i], i);
    fence_i();
    for (int round = 0; round < 8; round++) {
        for (int i = 0; i < 64; i++) {
            code[2][2 * i] = LI_A0(round * 64 + i);
            fence_i();
            for (int j = 0; j <= i; j += 7) CHECK(call(&code[2][2 * j]) == (uint64_t)(round * 64 + j), 4);
            for (int j = i + 1; j < 64; j += 9)
                CHECK(call(&code[2][2 * j]) == (uint64_t)(round ? (round - 1) * 64 + j : j), 5);
        }
    }

    /* 4. An instruction rewritten ahead of itself in the running block. */
    CHECK(rewrite_ahead(ADDI_A0(42)) == 42, 6);
    CHECK(rewrite_ahead(LI_A0(43)) == 43, 7);
    CHECK(rewrite_ahead(LI_A0(7)) == 7, 8);
    /* Without fence.i: the running block keeps its translation (7), the next
     * run of that code sees the store. */
    uint64_t r = rewrite_ahead_nofence(LI_A0(44));
    CHECK(r == 7 || r == 44, 9);
    CHECK(rewrite_ahead_nofence(LI_A0(45)) == 44, 10);
    CHECK(rewrite_ahead(LI_A0(7)) == 7, 11);

    /* 5. Data stores beside code on one page: every store invalidates the
     * page's blocks; the code stays right. */
    put_fn(mixed, 5);
    fence_i();
    uint64_t sum = 0;
    for (int i = 0; i < 3000; i++) {
        mixed[512 + (i & 255)] = (uint32_t)i;
        sum += call(mixed);
    }
    CHECK(sum == 5 * 3000, 12);
    CHECK(mixed[512 + 255] == 2815, 13);

    /* 6. Sv39 from S-mode: RAM identity-mapped (1 GiB at 0x80000000) and
     * aliased at 0x40000000; writes through one, runs through the other. */
    for (int i = 0; i < 512; i++) root[i] = 0;
    uint64_t f = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    root[2] = (0x80000000ull >> 12) << 10 | f; /* va 0x80000000 -> pa 0x80000000 */
    root[1] = (0x80000000ull >> 12) << 10 | f; /* va 0x40000000 -> pa 0x80000000 */
    csrw(satp, 8ull << 60 | (uintptr_t)root >> 12);
    __asm__ volatile("sfence.vma" ::: "memory");
    uint64_t bad = run_lower(1, s_alias, 0);
    csrw(satp, 0);
    __asm__ volatile("sfence.vma" ::: "memory");
    CHECK(bad == 0, 20 + (int)bad);

    /* 7. The straddling instruction (see s_straddle). */
    strad[2][2047] = 0x0513;            /* addi a0, zero, ... (low half) */
    for (int i = 0; i < 2; i++) {
        strad[i][0] = (uint16_t)((11 * (i + 1)) << 4); /* ... K (high half): 11 or 22 */
        strad[i][1] = 0x8082;                          /* c.ret */
    }
    fence_i();
    for (int i = 0; i < 512; i++) strad_l1[i] = strad_l0[i] = 0;
    strad_l1[0] = ((uintptr_t)strad_l0 >> 12) << 10 | PTE_V;
    strad_l0[0] = ((uintptr_t)strad[2] >> 12) << 10 | PTE_V | PTE_R | PTE_X | PTE_A;
    root[3] = ((uintptr_t)strad_l1 >> 12) << 10 | PTE_V;
    csrw(satp, 8ull << 60 | (uintptr_t)root >> 12);
    __asm__ volatile("sfence.vma" ::: "memory");
    bad = run_lower(1, s_straddle, 0);
    csrw(satp, 0);
    __asm__ volatile("sfence.vma" ::: "memory");
    CHECK(bad == 0, 30 + (int)bad);
    return 0;
}
