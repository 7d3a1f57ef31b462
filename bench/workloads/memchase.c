/* SPDX-License-Identifier: MIT */
/* Memory and TLB pressure: pointer chasing over one random cycle through a
 * large array (Sattolo's algorithm), so every load misses cache and, at full
 * size, the TLB. Size N = log2 of the element count; steps scale with it. */
#include "bench.h"

int main(int argc, char **argv)
{
    long lg = bench_size(argc, argv, 16, 21, 22);
    if (lg < 4 || lg > 28) {
        fprintf(stderr, "memchase: size must be 4..28 (log2 elements)\n");
        return 2;
    }
    size_t n = (size_t)1 << lg;
    uint32_t *next = malloc(n * sizeof(*next));
    if (!next) {
        fprintf(stderr, "memchase: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        next[i] = (uint32_t)i;
    uint64_t rng = 7;
    for (size_t i = n - 1; i > 0; i--) { /* Sattolo: one cycle of length n */
        size_t j = bench_rand(&rng) % i;
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    size_t steps = n * 2;
    uint32_t p = 0;
    uint64_t sum = 0;
    for (size_t s = 0; s < steps; s++) {
        p = next[p];
        sum += p;
    }
    printf("memchase n=%zu steps=%zu end=%u sum=%llu\n", n, steps, p,
           (unsigned long long)sum);
    free(next);
    return 0;
}
