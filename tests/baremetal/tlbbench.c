/* SPDX-License-Identifier: MIT */
/* Bare-metal micro-benchmark (not a test: bench/bench.py --tlb runs it): the
 * cost of a guest load that hits the TLB and of one that misses it, under
 * Sv39 in S-mode.
 *
 * One loop (kern_load) does ld / add / xor per access, unrolled 8 times, over
 * a set of virtual pages that all map to the same physical page (so the host
 * data cache sees one line whatever the set; only translation differs):
 *   hit set:  16 consecutive pages (16 different TLB slots): every load hits
 *             after the first pass;
 *   miss set: 64 pages 1 MiB apart, i.e. the same slot of a 256-entry
 *             direct-mapped TLB (vm's; QEMU's default is 256 entries plus an
 *             8-entry victim TLB): every load misses and walks the tables.
 * kern_alu is the same loop with the ld replaced by an addi (the baseline).
 * alu and hit runs do 8 Mi accesses, miss runs 2 Mi. Time is the ACLINT mtime (MMIO, 10 MHz on the virt machine), read in M-mode
 * around each S-mode run. The program prints, per repetition,
 *   tlbbench: rep R alu|hit|miss ticks T accesses N
 * on the ns16550a UART and ends through the test finisher (status 0).
 * hit cost = (hit - alu) / N (a load that hits, beyond an ALU instruction);
 * miss cost = (miss - hit) / N (the refill: page walk of 3 PTE reads). */
#include "bm.h"

#define PTE_V 1ull
#define PTE_R 2ull
#define PTE_W 4ull
#define PTE_X 8ull
#define PTE_A 64ull
#define PTE_D 128ull

#define UART ((volatile uint8_t *)0x10000000)
#define REGION 0x40000000ull /* VA of the benchmark pages: root entry 1 */
#define SLOT0 0xc0u           /* first TLB slot used, away from code/stack slots */
#define HIT_PAGES 16u
#define MISS_PAGES 64u
#define MISS_STRIDE (256ull * 4096) /* same slot of a 256-entry direct-mapped TLB */
#define ACCESSES_FAST (1u << 23) /* per timed alu/hit run (a multiple of 8) */
#define ACCESSES_MISS (1u << 21) /* per timed miss run: misses cost 100x more */
#define REPS 5

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
/* L0 tables: the miss set spans 64 MiB = 32 L0 tables of 2 MiB each. */
static uint64_t l0[32][512] __attribute__((aligned(4096)));
static uint8_t target[4096] __attribute__((aligned(4096)));

typedef struct Params {
    uint64_t base, stride, end, groups;
} Params;
static Params params;

uint64_t kern_load(uint64_t p);
uint64_t kern_alu(uint64_t p);

/* a0 = &Params. t1 walks the set by stride, wrapping to base at end. */
#define KERN(name, access)                                                                     \
    __asm__(".text\n.globl " #name "\n" #name ":\n"                                            \
            "ld a2, 0(a0)\n ld a1, 8(a0)\n ld a3, 16(a0)\n ld a4, 24(a0)\n"                    \
            "li a5, 0\n mv t1, a2\n"                                                           \
            "1:\n"                                                                             \
            ".rept 8\n " access "\n add t1, t1, a1\n xor a5, a5, t0\n .endr\n"                \
            "bltu t1, a3, 2f\n mv t1, a2\n"                                                    \
            "2:\n addi a4, a4, -1\n bnez a4, 1b\n"                                             \
            "mv a0, a5\n ret\n")
KERN(kern_load, "ld t0, 0(t1)");
KERN(kern_alu, "addi t0, t1, 0");

static void putc_(char c)
{
    while (!(UART[5] & 0x20)) {
    }
    UART[0] = (uint8_t)c;
}
static void puts_(const char *s)
{
    while (*s) putc_(*s++);
}
static void putu(uint64_t v)
{
    char b[24];
    int n = 0;
    do b[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < 24);
    while (n) putc_(b[--n]);
}

static uint64_t pte(uint64_t pa, uint64_t f) { return (pa >> 12) << 10 | f | PTE_V; }

static void map_page(uint64_t va)
{
    uint64_t p = (va - REGION) >> 12;
    l0[p / 512][p % 512] = pte((uintptr_t)target, PTE_R | PTE_W | PTE_A | PTE_D);
}

static uint64_t timed(uint64_t (*fn)(uint64_t), uint64_t base, uint64_t stride, unsigned n,
                      uint64_t accesses)
{
    params.base = base;
    params.stride = stride;
    params.end = base + stride * n;
    params.groups = accesses / 8;
    uint64_t t0 = *MTIME;
    run_lower(1, fn, (uintptr_t)&params);
    return *MTIME - t0;
}

static void report(int rep, const char *what, uint64_t ticks, uint64_t accesses)
{
    puts_("tlbbench: rep ");
    putu((uint64_t)rep);
    putc_(' ');
    puts_(what);
    puts_(" ticks ");
    putu(ticks);
    puts_(" accesses ");
    putu(accesses);
    putc_('\n');
}

int main(void)
{
    /* RAM identity-mapped by one 1 GiB leaf (code, stack, params, tables). */
    root[2] = pte(0x80000000ull, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    root[REGION >> 30] = pte((uintptr_t)l1, 0);
    for (unsigned i = 0; i < 32; i++) l1[i] = pte((uintptr_t)l0[i], 0);
    uint64_t hit_base = REGION + (uint64_t)SLOT0 * 4096;
    for (unsigned k = 0; k < HIT_PAGES; k++) map_page(hit_base + k * 4096ull);
    for (unsigned k = 0; k < MISS_PAGES; k++) map_page(hit_base + k * MISS_STRIDE);
    target[0] = 1;
    csrw(satp, 8ull << 60 | ((uintptr_t)root >> 12)); /* Sv39 */
    __asm__ volatile("sfence.vma" ::: "memory");

    puts_("tlbbench: start hit_pages 16 miss_pages 64 miss_stride 1048576 timebase 10000000\n");
    /* Warm-up: translate the code paths and the hit set once. */
    timed(kern_alu, hit_base, 4096, HIT_PAGES, 4096);
    timed(kern_load, hit_base, 4096, HIT_PAGES, 4096);
    timed(kern_load, hit_base, MISS_STRIDE, MISS_PAGES, 4096);
    for (int r = 0; r < REPS; r++) {
        report(r, "alu", timed(kern_alu, hit_base, 4096, HIT_PAGES, ACCESSES_FAST), ACCESSES_FAST);
        report(r, "hit", timed(kern_load, hit_base, 4096, HIT_PAGES, ACCESSES_FAST), ACCESSES_FAST);
        report(r, "miss", timed(kern_load, hit_base, MISS_STRIDE, MISS_PAGES, ACCESSES_MISS),
               ACCESSES_MISS);
    }
    puts_("tlbbench: done\n");
    csrw(satp, 0);
    return 0;
}
