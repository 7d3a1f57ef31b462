/* SPDX-License-Identifier: MIT */
/* Shared harness of the differential tests (interpreter = oracle, JIT under
 * test: test_jit, test_a64_jit, test_jit_fuzz): the xorshift generator every
 * random program comes from, a flat user-mode CPU per engine and the run loop. */
#ifndef VM_TEST_DIFF_HARNESS_H
#define VM_TEST_DIFF_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vm/arch.h"
#include "vm/engine.h"

/* -- Random numbers: xorshift64; a test seeds rng (never 0) -------------------------- */

static uint64_t rng;
static inline uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static inline unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* -- A flat user-mode CPU: guest memory [0, DIFF_MEM) at guest_base ------------------- */

#define DIFF_MEM (1u << 20)

static inline int diff_fetch(CpuState *cpu, uint64_t va, void *buf, unsigned len)
{
    if (va >= cpu->guest_limit || len > cpu->guest_limit - va) return -EFAULT;
    memcpy(buf, cpu->guest_base + va, len);
    return 0;
}
static const MemOps diff_memops = {.fetch = diff_fetch};

/* A reset CPU of `arch` (64-byte aligned: the JIT's state sits beside it) set
 * up for engine e, over fresh zeroed memory returned in *mem. */
static inline void *diff_cpu_new(const GuestArch *arch, const Engine *e, uint8_t **mem)
{
    CpuState *cpu = NULL;
    assert_int_equal(posix_memalign((void **)&cpu, 64, arch->cpu_size), 0);
    memset(cpu, 0, arch->cpu_size);
    *mem = calloc(1, DIFF_MEM);
    assert_non_null(*mem);
    cpu->arch = arch;
    cpu->mem = &diff_memops;
    cpu->guest_base = *mem;
    cpu->guest_limit = DIFF_MEM;
    arch->cpu_reset(cpu);
    assert_int_equal(e->cpu_init(cpu), 0);
    return cpu;
}

static inline void diff_cpu_free(CpuState *cpu, uint8_t *mem, const Engine *e)
{
    e->cpu_free(cpu);
    free(mem);
    free(cpu);
}

/* Runs from pc with no translations left from before, through interrupt
 * exits (exit requests), to the first other exit. */
static inline int diff_run(CpuState *cpu, const Engine *e, uint64_t pc)
{
    e->invalidate(0, 0);
    cpu->pc = pc;
    int r;
    do r = e->exec(cpu); while (r == EXCP_INTERRUPT);
    return r;
}

#endif
