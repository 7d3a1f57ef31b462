/* SPDX-License-Identifier: MIT */
/* Bare-metal: a guest that tries to reach memory outside the machine's.
 * Loads, stores, AMOs, LR/SC and instruction fetches at wild physical
 * addresses (near 2^64, just past the end of RAM, straddling RAM's start and
 * end), then Sv39 page tables whose entries point outside RAM: a leaf, a
 * non-leaf (the walk itself reads outside RAM), satp's root, a gigapage
 * running past RAM's end. Each must be an access fault with the right cause
 * (privileged spec 3.1.15; 4.3.2 step 2 for the walk's own accesses), never
 * a page fault or a crash of vm. RAM is the default 128 MiB at 0x80000000. */
#include "bm.h"

#define RAM_BASE 0x80000000ull
#define RAM_END (RAM_BASE + (128ull << 20))

#define PTE_V 1ull
#define PTE_R 2ull
#define PTE_W 4ull
#define PTE_X 8ull
#define PTE_A 64ull
#define PTE_D 128ull
#define SATP_SV39 (8ull << 60)

enum { C_FETCH = 1, C_LOAD = 5, C_AMO_MISALIGNED = 6, C_STORE = 7, C_LOAD_PF = 13 };

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));

static uint64_t pte(uint64_t pa, uint64_t f) { return (pa >> 12) << 10 | f | PTE_V; }

static uint64_t ld64(uint64_t a) { return *(volatile uint64_t *)a; }
static uint64_t st64(uint64_t a)
{
    *(volatile uint64_t *)a = 0x5a5a5a5a5a5a5a5aull;
    return 0;
}
static uint64_t amoadd(uint64_t a)
{
    uint64_t old;
    __asm__ volatile("amoadd.d %0, %2, (%1)" : "=r"(old) : "r"(a), "r"(1ull) : "memory");
    return old;
}
static uint64_t lr(uint64_t a)
{
    uint64_t v;
    __asm__ volatile("lr.d %0, (%1)" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static uint64_t sc(uint64_t a)
{
    uint64_t r;
    __asm__ volatile("sc.d %0, %2, (%1)" : "=r"(r) : "r"(a), "r"(7ull) : "memory");
    return r;
}
static uint64_t call(uint64_t a) { return ((uint64_t(*)(uint64_t))a)(0); }

/* Runs fn(a) in M (s = 0) or S (s = 1): exactly one trap, of cause c1 or c2.
 * (run_lower's return ecall is not recorded.) */
static int faults(int s, uint64_t (*fn)(uint64_t), uint64_t a, uint64_t c1, uint64_t c2)
{
    bm_reset_trap();
    if (s) run_lower(1, fn, a);
    else fn(a);
    return trap.count == 1 && (trap.cause == c1 || trap.cause == c2);
}

static int m_checks(void)
{
    /* Near 2^64 and far past RAM. */
    CHECK(faults(0, ld64, 0xfffffffffffffff8ull, C_LOAD, C_LOAD) && trap.tval == 0xfffffffffffffff8ull, 1);
    CHECK(faults(0, st64, 0xfffffffffffffff8ull, C_STORE, C_STORE), 2);
    CHECK(faults(0, ld64, 0x8000000000000000ull, C_LOAD, C_LOAD), 3);
    CHECK(faults(0, st64, RAM_END + (1ull << 30), C_STORE, C_STORE), 4);
    /* The last doubleword of RAM is fine; one byte further is not. */
    CHECK(st64(RAM_END - 8) == 0 && ld64(RAM_END - 8) == 0x5a5a5a5a5a5a5a5aull, 5);
    CHECK(faults(0, ld64, RAM_END, C_LOAD, C_LOAD) && trap.tval == RAM_END, 6);
    /* Misaligned accesses straddling RAM's end and start. */
    CHECK(faults(0, ld64, RAM_END - 4, C_LOAD, C_LOAD), 7);
    CHECK(faults(0, st64, RAM_END - 2, C_STORE, C_STORE), 8);
    CHECK(faults(0, ld64, RAM_BASE - 4, C_LOAD, C_LOAD), 9);
    /* AMOs and LR/SC: outside RAM, and misaligned across its end. */
    CHECK(faults(0, amoadd, RAM_END, C_STORE, C_STORE) && trap.tval == RAM_END, 10);
    CHECK(faults(0, amoadd, RAM_END - 4, C_AMO_MISALIGNED, C_STORE), 11);
    CHECK(faults(0, amoadd, 0xfffffffffffffff8ull, C_STORE, C_STORE), 12);
    /* vm checks LR like a store (src/mem/softmmu.c, one check for every
     * atomic kind); the Sail model takes it as a load: either cause is fine here. */
    CHECK(faults(0, lr, RAM_END, C_LOAD, C_STORE), 13);
    CHECK(faults(0, sc, RAM_END, C_STORE, C_STORE), 14);
    CHECK(faults(0, lr, RAM_END - 4, 4 /* load address misaligned */, C_AMO_MISALIGNED), 15);
    /* Fetches: past RAM, near 2^64, and a 4-byte instruction whose second
     * half lies past RAM's end (mepc = its start; spec 3.1.16). */
    CHECK(faults(0, call, RAM_END, C_FETCH, C_FETCH) && trap.tval == RAM_END, 16);
    CHECK(faults(0, call, 0xfffffffffffffffcull, C_FETCH, C_FETCH), 17);
    *(volatile uint16_t *)(RAM_END - 2) = 0x0013; /* the low half of "addi x0, x0, 0" */
    __asm__ volatile("fence.i" ::: "memory");
    CHECK(faults(0, call, RAM_END - 2, C_FETCH, C_FETCH) && trap.epc == RAM_END - 2 &&
              (trap.tval == RAM_END || trap.tval == RAM_END - 2), 18);
    return 0;
}

static void flush(void) { __asm__ volatile("sfence.vma" ::: "memory"); }

/* S-mode under Sv39: page tables that point outside RAM. */
static int s_checks(void)
{
    /* RAM identity-mapped by one gigapage (1 GiB: 896 MiB of it is past RAM's
     * end); the S code runs from it. */
    for (int i = 0; i < 512; i++) root[i] = l1[i] = 0;
    root[2] = pte(RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    csrw(satp, SATP_SV39 | ((uint64_t)(uintptr_t)root >> 12));
    flush();
    CHECK(faults(1, ld64, RAM_END - 8, 99, 99) == 0 && trap.count == 0, 101);
    /* Inside the gigapage, past RAM: access faults, not page faults. */
    CHECK(faults(1, ld64, RAM_END, C_LOAD, C_LOAD) && trap.tval == RAM_END, 102);
    CHECK(faults(1, st64, RAM_END + (512ull << 20), C_STORE, C_STORE), 103);
    CHECK(faults(1, call, RAM_END + 4096, C_FETCH, C_FETCH), 104);
    CHECK(faults(1, ld64, RAM_END - 4, C_LOAD, C_LOAD), 105);
    /* Leaf gigapages onto far physical memory: 16 TiB, and the highest
     * address Sv39's 44-bit PPN can name. */
    root[0] = pte(1ull << 44, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    root[1] = pte(((1ull << 44) - 1) << 12 & ~((1ull << 30) - 1), PTE_R | PTE_W | PTE_A | PTE_D);
    flush();
    CHECK(faults(1, ld64, 0x1000, C_LOAD, C_LOAD) && trap.tval == 0x1000, 106);
    CHECK(faults(1, st64, 0x2000, C_STORE, C_STORE), 107);
    CHECK(faults(1, amoadd, 0x3000, C_STORE, C_STORE), 108);
    CHECK(faults(1, call, 0x4000, C_FETCH, C_FETCH), 109);
    CHECK(faults(1, ld64, 0x7ffffff8ull, C_LOAD, C_LOAD), 110);
    /* A non-leaf entry whose next table is outside RAM: the walk's own read
     * is an access fault of the original access type (4.3.2 step 2). */
    root[0] = pte(RAM_END, 0);
    root[1] = pte(0xfffffffffff000ull, 0);
    flush();
    CHECK(faults(1, ld64, 0x1000, C_LOAD, C_LOAD), 111);
    CHECK(faults(1, st64, 0x40001000ull, C_STORE, C_STORE), 112);
    CHECK(faults(1, call, 0x2000, C_FETCH, C_FETCH), 113);
    /* A second level inside RAM whose leaf points outside it. */
    root[0] = pte((uintptr_t)l1, 0);
    l1[0] = pte(RAM_END + (4ull << 20), PTE_R | PTE_W | PTE_A | PTE_D);
    flush();
    CHECK(faults(1, ld64, 0x100000, C_LOAD, C_LOAD), 114);
    CHECK(faults(1, st64, 0x1ffff8, C_STORE, C_STORE), 115);
    /* An unmapped address is still a page fault. */
    CHECK(faults(1, ld64, 0x40000000ull * 5, C_LOAD_PF, C_LOAD_PF), 116);
    csrw(satp, 0);
    flush();
    /* satp's root table outside RAM: every S access faults (access fault),
     * so the test sets it from M and only loads through MPRV. */
    csrw(satp, SATP_SV39 | (RAM_END >> 12));
    flush();
    bm_reset_trap();
    csrc(mstatus, MSTATUS_MPP);
    csrs(mstatus, 1ull << 11 | MSTATUS_MPRV);
    (void)ld64(0x1000);
    csrc(mstatus, MSTATUS_MPRV);
    CHECK(trap.count == 1 && trap.cause == C_LOAD, 117);
    csrw(satp, 0);
    flush();
    return 0;
}

int main(void)
{
    int r;
    if ((r = m_checks())) return r;
    if ((r = s_checks())) return r;
    return 0;
}
