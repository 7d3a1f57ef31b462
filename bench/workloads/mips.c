/* SPDX-License-Identifier: MIT */
/* Interpreter MIPS probe: a loop whose body is hand-written assembly of
 * exactly MIPS_BODY guest instructions (ALU, shift, load, store, branch).
 * The harness runs it with two iteration counts and divides the instruction
 * difference, MIPS_BODY * (N2 - N1), by the time difference, so process
 * start-up and libc initialisation cancel out. Only arches with a body
 * below are measured; elsewhere the program says so and exits 3. */
#include "bench.h"

#if defined(__riscv) && __riscv_xlen == 64
#define MIPS_BODY 10
static uint64_t mips_loop(long n, uint64_t *mem)
{
    uint64_t acc = 1;
    if (n <= 0)
        return acc;
    __asm__ volatile(
        "1:\n\t"
        "ld   t1, 0(%[m])\n\t"
        "add  %[acc], %[acc], t1\n\t"
        "xor  t2, %[acc], %[n]\n\t"
        "slli t3, t2, 3\n\t"
        "srli t4, %[acc], 5\n\t"
        "xor  %[acc], t3, t4\n\t"
        "sd   %[acc], 8(%[m])\n\t"
        "addi t1, t1, 1\n\t"
        "addi %[n], %[n], -1\n\t"
        "bnez %[n], 1b\n\t"
        : [acc] "+r"(acc), [n] "+r"(n)
        : [m] "r"(mem)
        : "t1", "t2", "t3", "t4", "memory");
    return acc;
}
#endif

int main(int argc, char **argv)
{
#ifdef MIPS_BODY
    long n = bench_size(argc, argv, 1000, 10000000, 100000000);
    static uint64_t mem[2] = {3, 0};
    uint64_t acc = mips_loop(n, mem);
    printf("mips body=%d n=%ld acc=%016llx\n", MIPS_BODY, n,
           (unsigned long long)acc);
    return 0;
#else
    (void)argc; (void)argv;
    printf("mips: no counted loop for this arch\n");
    return 3;
#endif
}
