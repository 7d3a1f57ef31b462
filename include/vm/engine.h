/* SPDX-License-Identifier: MIT */
/* Execution engines: the IR interpreter now, the JIT tiers later. An engine
 * runs a vCPU's guest code until something needs the outside world. */
#ifndef VM_ENGINE_H
#define VM_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vm/cpu.h"

typedef struct Engine {
    const char *name;
    /* Allocates the engine's per-vCPU data (cpu->engine). 0 or -errno. */
    int (*cpu_init)(CpuState *cpu);
    void (*cpu_free)(CpuState *cpu);
    /* Runs guest code from cpu->pc until an exception; returns cpu->exception
     * (EXCP_*), with cpu->pc at the instruction that raised it. */
    int (*exec)(CpuState *cpu);
    /* Drops translations of guest code in [start, start+len); len 0 = all. */
    void (*invalidate)(uint64_t start, uint64_t len);
    /* Optional, called from the host fault handler (async-signal context) when
     * a guest access faulted at host address host_pc: sets cpu->pc to the
     * faulting guest instruction when host_pc is in the engine's generated
     * code (which stores the pc only on slow paths). */
    void (*host_fault)(CpuState *cpu, uintptr_t host_pc);
} Engine;

extern const Engine interp_engine;
extern const Engine jit_engine;

/* Applies -jit options ("cold=100,hot=1000,adaptive=on,tiers=1,cache=64M")
 * before the first vCPU starts. 0, or -EINVAL with one line in err. */
int jit_configure(const char *spec, char *err, size_t errlen);
/* Writes the JIT's statistics (-d jit-stats, the monitor's "info jit") to f. */
void jit_print_stats(FILE *f);

const Engine *engine_by_name(const char *name);
/* The -accel names this build has, for messages ("interp, jit"). */
const char *engine_names(void);

#endif
