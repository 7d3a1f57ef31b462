/* SPDX-License-Identifier: MIT */
/* Bare-metal guest for the snapshot tests (tests/integration/snapshot.sh): in
 * S-mode under Sv39, with Sstc timer interrupts, it runs an integer, FP and
 * LR/SC workload, printing "snapwork: marker" half way through. Its output
 * must be the same whether the run was saved after the marker and restored
 * in another process or not; afterwards it waits in WFI for more timer
 * interrupts, so a restored guest clock that went wrong shows as a hang. */
#include "bm.h"

#define UART ((volatile uint8_t *)0x10000000)
#define UART_LSR_THRE 0x20
#define RAM_BASE 0x80000000ull
#define ITERS 1500000u
#define TICK 20000u /* 2 ms of the 10 MHz timebase */

#define PTE_V 1ull
#define PTE_R 2ull
#define PTE_W 4ull
#define PTE_X 8ull
#define PTE_A 64ull
#define PTE_D 128ull

static uint64_t root[512] __attribute__((aligned(4096)));
static volatile uint64_t ticks;
static volatile uint64_t shared_word;
/* Pages the workload writes, so RAM holds more than the program itself. */
static uint64_t table[4 * 4096 / 8] __attribute__((aligned(4096)));

static void putc_(char c)
{
    while (!(UART[5] & UART_LSR_THRE)) {}
    UART[0] = (uint8_t)c;
}

static void puts_(const char *s)
{
    while (*s) putc_(*s++);
}

static void puthex(uint64_t v)
{
    for (int i = 60; i >= 0; i -= 4) putc_("0123456789abcdef"[(v >> i) & 15]);
}

void bm_irq(uint64_t cause, int in_s)
{
    if (cause == 5 && in_s) {
        ticks++;
        csrw(stimecmp, csrr(time) + TICK);
    }
}

/* An LR/SC loop (A extension 8.2): the restored reservation must behave. */
static void lrsc_add(volatile uint64_t *p, uint64_t v)
{
    uint64_t old, fail;
    __asm__ volatile("1: lr.d %0, (%2)\n"
                     "   add %0, %0, %3\n"
                     "   sc.d %1, %0, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(old), "=&r"(fail)
                     : "r"(p), "r"(v)
                     : "memory");
}

static uint64_t s_main(uint64_t arg)
{
    (void)arg;
    puts_("snapwork: start\n");
    csrw(stimecmp, csrr(time) + TICK);
    csrs(sie, 1u << 5);
    csrs(sstatus, MSTATUS_SIE);
    uint64_t x = 0x243f6a8885a308d3ull, acc = 0;
    double f = 1.0;
    for (uint64_t i = 0; i < ITERS; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        acc ^= x >> 17;
        acc = (acc << 7) | (acc >> 57);
        f = f * 1.0000001 + (double)(x >> 44) * 1e-9;
        table[(x >> 20) % (sizeof(table) / 8)] += acc;
        if ((i & 1023) == 0) lrsc_add(&shared_word, x & 0xff);
        if (i == ITERS / 2) puts_("snapwork: marker\n");
    }
    uint64_t sum = 0;
    for (unsigned i = 0; i < sizeof(table) / 8; i++) sum += table[i] * (i | 1);
    /* Timer interrupts still arrive, from a guest clock that went on. */
    uint64_t t0 = ticks;
    while (ticks < t0 + 5) __asm__ volatile("wfi");
    union { double d; uint64_t u; } fb = {.d = f};
    puts_("snapwork: acc ");
    puthex(acc);
    puts_(" fp ");
    puthex(fb.u);
    puts_(" table ");
    puthex(sum);
    puts_(" lrsc ");
    puthex(shared_word);
    puts_("\nsnapwork: done\n");
    return 0;
}

int main(void)
{
    /* Sv39 identity map with gigapages: devices (first GiB) and RAM. */
    root[0] = (0ull >> 12) << 10 | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_V;
    root[2] = (RAM_BASE >> 12) << 10 | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_V;
    csrw(satp, 8ull << 60 | ((uintptr_t)root >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");
    csrw(menvcfg, 1ull << 63); /* Sstc: stimecmp drives STIP */
    csrw(mcounteren, 2);       /* S may read time and use stimecmp */
    csrs(mstatus, 1ull << 13); /* FS = Initial */
    csrw(stvec, (uintptr_t)s_trap_entry);
    csrw(mideleg, 1u << 5);
    return (int)run_lower(1, s_main, 0);
}
