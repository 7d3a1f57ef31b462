/* SPDX-License-Identifier: MIT */
/* Bare-metal target for tests/integration/gdb.sh (not run on its own): a loop
 * gdb breaks in and steps through, a global it watches, an ecall it steps
 * into the trap handler over, a value only gdb sets (a register write), and a
 * spin loop gdb interrupts and releases. Exits through the test finisher with
 * 0 (pass) only when gdb did its part. */
#include "bm.h"

volatile uint64_t counter;        /* watch / rwatch target */
volatile uint64_t result;
volatile uint64_t spin = 1;       /* gdb clears it after interrupting the spin */
uint64_t pattern[4] = {0x1122334455667788ull, 0xcafef00dull, 0, 0xffffffffffffffffull};

__attribute__((noipa)) uint64_t add_step(uint64_t acc, uint64_t i)
{
    return acc * 3 + i;
}

__attribute__((noipa)) void bump(void)
{
    counter = counter + 1;
}

/* gdb sets a0 to 0x1234 at this function's entry ("set $a0 = 0x1234"). */
__attribute__((noipa)) uint64_t magic(uint64_t x)
{
    return x == 0x1234 ? 0 : 1;
}

__attribute__((noipa)) void trap_here(void)
{
    /* M-mode ecall: the trap handler records it and skips the instruction. */
    register uint64_t a7 __asm__("a7") = 0;
    __asm__ volatile(".globl gdbt_ecall\ngdbt_ecall: ecall" : "+r"(a7)::"memory");
}

__attribute__((noipa)) void spin_wait(void)
{
    while (spin) {
    }
}

int main(void)
{
    uint64_t acc = 0;
    for (uint64_t i = 0; i < 5; i++) {
        acc = add_step(acc, i);
        bump();
    }
    result = acc; /* 58 */
    trap_here();
    if (trap.count != 1 || trap.cause != 11) return 2;
    uint64_t m = magic(7);
    spin_wait();
    if (result != 58 || counter != 5) return 3;
    return (int)m; /* 0 only when gdb set the register */
}
