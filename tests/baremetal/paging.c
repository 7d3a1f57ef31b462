/* SPDX-License-Identifier: MIT */
/* Bare-metal: Sv39, Sv48 and Sv57 from S-mode (privileged spec 4.3-4.6): 4 KiB
 * pages and every superpage size, A/D updates, SUM and MXR, U pages, faults
 * with their cause and tval, sfence.vma after a remap, MPRV from M. */
#include "bm.h"

#define PTE_V 1ull
#define PTE_R 2ull
#define PTE_W 4ull
#define PTE_X 8ull
#define PTE_U 16ull
#define PTE_A 64ull
#define PTE_D 128ull

static uint64_t tables[24][512] __attribute__((aligned(4096)));
static unsigned ntables;
static uint8_t data[3][4096] __attribute__((aligned(4096)));

static uint64_t *new_table(void)
{
    uint64_t *t = tables[ntables++];
    for (int i = 0; i < 512; i++) t[i] = 0;
    return t;
}

static uint64_t pte(uint64_t pa, uint64_t f) { return (pa >> 12) << 10 | f; }

static uint64_t *map(uint64_t *root, int levels, uint64_t va, uint64_t pa, int level, uint64_t f)
{
    uint64_t *t = root;
    for (int l = levels - 1; l > level; l--) {
        uint64_t *e = &t[(va >> (12 + 9 * l)) & 0x1ff];
        if (!(*e & PTE_V)) *e = pte((uintptr_t)new_table(), PTE_V);
        t = (uint64_t *)((*e >> 10) << 12);
    }
    uint64_t *leaf = &t[(va >> (12 + 9 * level)) & 0x1ff];
    *leaf = pte(pa, f | PTE_V);
    return leaf;
}

static uint64_t rd(uint64_t va) { return *(volatile uint64_t *)va; }
static uint64_t s_read(uint64_t va) { return rd(va); }
static uint64_t s_write(uint64_t va)
{
    *(volatile uint64_t *)va = 0x5a5a;
    return 0;
}
static uint64_t s_sfence(uint64_t va)
{
    __asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
    return 0;
}
static uint64_t s_sum_on(uint64_t x) { csrs(sstatus, MSTATUS_SUM); return x; }
static uint64_t s_sum_off(uint64_t x) { csrc(sstatus, MSTATUS_SUM); return x; }
static uint64_t s_call(uint64_t va)
{
    return ((uint64_t(*)(uint64_t))va)(7);
}

/* Runs the checks under one paging mode; returns 0 or a code (base + n). */
static int run_mode(int mode, int levels, int base)
{
    ntables = 0;
    uint64_t *root = new_table();
    /* RAM identity-mapped with the largest leaf each mode has (1 GiB for Sv39) */
    map(root, levels, 0x80000000ull, 0x80000000ull, 2, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    /* a 4 KiB page, a 2 MiB page, and (Sv48+) a 512 GiB page, all onto data[] */
    uint64_t va4k = 0x12345000ull;
    uint64_t *leaf4k = map(root, levels, va4k, (uintptr_t)data[0], 0, PTE_R | PTE_W);
    uint64_t va2m = 0x40000000ull + ((uintptr_t)data[1] & 0x1fffffull);
    map(root, levels, 0x40000000ull, (uintptr_t)data[1] & ~0x1fffffull, 1, PTE_R | PTE_A);
    uint64_t vau = 0x50000000ull, vax = 0x50001000ull;
    map(root, levels, vau, (uintptr_t)data[2], 0, PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    map(root, levels, vax, (uintptr_t)data[2], 0, PTE_X | PTE_A);
    /* a misaligned 2 MiB leaf */
    map(root, levels, 0x60000000ull, 0x80001000ull, 1, PTE_R | PTE_A);
    ((volatile uint64_t *)data[0])[0] = 0x1111;
    ((volatile uint64_t *)data[1])[0] = 0x2222;
    ((volatile uint64_t *)data[2])[0] = 0x3333;

    csrw(satp, (uint64_t)mode << 60 | ((uintptr_t)root >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");
    bm_reset_trap();
    if (run_lower(1, s_read, va4k) != 0x1111 || trap.count) return base + 1;
    /* A set by the walk; D not until a store */
    if (!(*leaf4k & PTE_A) || (*leaf4k & PTE_D)) return base + 2;
    run_lower(1, s_write, va4k);
    if (trap.count || !(*leaf4k & PTE_D) || ((volatile uint64_t *)data[0])[0] != 0x5a5a)
        return base + 3;
    if (run_lower(1, s_read, va2m) != 0x2222) return base + 4;
    /* read-only megapage: store page fault, tval = va */
    run_lower(1, s_write, va2m);
    if (trap.cause != 15 || trap.tval != va2m) return base + 5;
    /* unmapped: load page fault */
    bm_reset_trap();
    run_lower(1, s_read, 0x7000000ull);
    if (trap.cause != 13 || trap.tval != 0x7000000ull) return base + 6;
    /* misaligned superpage */
    bm_reset_trap();
    run_lower(1, s_read, 0x60000008ull);
    if (trap.cause != 13) return base + 7;
    /* U page from S: fault without SUM, fine with it */
    bm_reset_trap();
    run_lower(1, s_read, vau);
    if (trap.cause != 13) return base + 8;
    run_lower(1, s_sum_on, 0);
    bm_reset_trap();
    if (run_lower(1, s_read, vau) != 0x3333 || trap.count) return base + 9;
    run_lower(1, s_sum_off, 0);
    /* MXR: an execute-only page reads only with MXR */
    bm_reset_trap();
    run_lower(1, s_read, vax);
    if (trap.cause != 13) return base + 10;
    csrs(mstatus, MSTATUS_MXR);
    bm_reset_trap();
    if (run_lower(1, s_read, vax) != 0x3333 || trap.count) return base + 11;
    csrc(mstatus, MSTATUS_MXR);
    /* S never executes a U page: instruction page fault */
    bm_reset_trap();
    run_lower(1, s_call, vau);
    if (trap.cause != 12 || trap.tval != vau) return base + 12;
    /* remap the 4 KiB page, sfence.vma by address, see the new frame */
    *leaf4k = pte((uintptr_t)data[2], PTE_R | PTE_W | PTE_V | PTE_A | PTE_D);
    run_lower(1, s_sfence, va4k);
    if (run_lower(1, s_read, va4k) != 0x3333) return base + 13;
    /* MPRV: M-mode loads translated as S (MPP = S) */
    csrc(mstatus, MSTATUS_MPP);
    csrs(mstatus, 1ull << 11);
    csrs(mstatus, MSTATUS_MPRV);
    uint64_t v = rd(va4k);
    csrc(mstatus, MSTATUS_MPRV);
    if (v != 0x3333) return base + 14;
    csrw(satp, 0);
    __asm__ volatile("sfence.vma" ::: "memory");
    return 0;
}

int main(void)
{
    int r;
    if ((r = run_mode(8, 3, 100))) return r;
    if ((r = run_mode(9, 4, 200))) return r;
    if ((r = run_mode(10, 5, 300))) return r;
    /* an unsupported mode leaves satp alone (WARL) */
    csrw(satp, 11ull << 60 | 5);
    CHECK(csrr(satp) == 0, 400);
    return 0;
}
