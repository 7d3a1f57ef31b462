/* SPDX-License-Identifier: MIT */
/* Bare-metal, two harts (-smp 2), for tests/integration/gdb.sh (not run on
 * its own): hart 1 counts in hart1_count for ever; hart 0 waits until it has
 * counted, reaches h0_mark (where gdb stops and steps hart 0 alone with
 * scheduler-locking on: hart1_count must not move meanwhile), then waits for
 * hart 1 to count again (it must run once gdb lets every thread go) and
 * exits through the test finisher with 0. Entered by every hart at _start
 * with a0 = mhartid (vm -bios none). */
#include <stdint.h>

#define FINISHER ((volatile uint32_t *)0x100000)

volatile uint64_t hart1_count;
volatile uint64_t h0_sum;
uint8_t stacks[2][8192] __attribute__((aligned(16), used));

__asm__(".section .text.init\n"
        ".globl _start\n"
        "_start:\n"
        "  csrr a0, mhartid\n"
        "  li t0, 2\n"
        "  bgeu a0, t0, 9f\n"          /* more harts than the test wants: park */
        "  la sp, stacks\n"
        "  addi t0, a0, 1\n"
        "  slli t0, t0, 13\n"
        "  add sp, sp, t0\n"
        "  call hart_main\n"
        "9: wfi\n"
        "  j 9b\n");

/* gdb stops here, then steps through the loop below one instruction at a time. */
__attribute__((noipa)) void h0_mark(void)
{
    for (uint64_t i = 0; i < 8; i++) h0_sum = h0_sum + i;
}

void hart_main(uint64_t hart)
{
    if (hart == 1)
        for (;;) hart1_count = hart1_count + 1;
    while (hart1_count < 1000) {
    }
    h0_mark();
    uint64_t c = hart1_count;
    while (hart1_count < c + 1000) {
    }
    *FINISHER = 0x5555;
    for (;;) {
    }
}
