/* SPDX-License-Identifier: MIT */
/* Target for tests/integration/gdb.sh in user mode (built with -g): a loop gdb
 * breaks in and steps through, a global it watches, and magic() whose argument
 * gdb rewrites (a register write): alone it prints magic=0, under the
 * debugger script magic=1. */
#include <stdio.h>

volatile unsigned long counter;

__attribute__((noipa)) unsigned long add_step(unsigned long acc, unsigned long i)
{
    return acc * 3 + i;
}

__attribute__((noipa)) void bump(void)
{
    counter = counter + 1;
}

__attribute__((noipa)) int magic(unsigned long x)
{
    return x == 0x1234;
}

int main(void)
{
    unsigned long acc = 0;
    for (unsigned long i = 0; i < 5; i++) {
        acc = add_step(acc, i);
        bump();
    }
    int m = magic(7);
    printf("acc=%lu counter=%lu magic=%d\n", acc, counter, m);
    return 0;
}
