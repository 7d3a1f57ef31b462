/* SPDX-License-Identifier: MIT */
/* The smallest guest: one line on stdout, exit status 0. Also built
 * dynamically for the -L test. */
#include <stdio.h>

int main(void)
{
    printf("Hello, world!\n");
    return 0;
}
