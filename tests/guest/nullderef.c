/* SPDX-License-Identifier: MIT */
/* Writes through a NULL pointer with no handler installed: the process must
 * die of SIGSEGV (shell status 139), natively and under vm. */
#include <stdio.h>

int main(void)
{
    volatile int *p = (volatile int *)0;
    printf("before\n");
    fflush(stdout);
    *p = 42;
    printf("after (should not print)\n");
    return 0;
}
