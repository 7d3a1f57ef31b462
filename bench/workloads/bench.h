/* SPDX-License-Identifier: MIT */
/* Shared helpers for the benchmark workloads: the size argument and a
 * deterministic PRNG. Every workload is portable C built for each guest arch
 * and natively; its stdout is a checksum the harness compares across runs.
 * Nothing here depends on char signedness, time, addresses or the host. */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Size: argv[1] (or $BENCH_SIZE) is "quick" (a few ms natively: CI and the
 * callgrind gate), "medium" (about 0.1 s natively: a slow engine's timings in
 * minutes rather than hours), "full" (about 1 s natively) or a plain number
 * used as the workload's own scale parameter. */
static inline long bench_size(int argc, char **argv, long quick, long medium, long full)
{
    const char *s = argc > 1 ? argv[1] : getenv("BENCH_SIZE");
    if (!s || !strcmp(s, "full"))
        return full;
    if (!strcmp(s, "quick"))
        return quick;
    if (!strcmp(s, "medium"))
        return medium;
    char *end;
    long n = strtol(s, &end, 0);
    if (*end || n <= 0) {
        fprintf(stderr, "usage: %s [quick|medium|full|N]\n", argv[0]);
        exit(2);
    }
    return n;
}

/* xorshift64*: fast, deterministic, identical on every arch. */
static inline uint64_t bench_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#endif
