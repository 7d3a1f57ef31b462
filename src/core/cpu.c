/* SPDX-License-Identifier: MIT */
/* Architecture-neutral vCPU plumbing: leaving guest code from deep inside an
 * engine (helpers, faults), and halting/waking a vCPU thread. */
#include "vm/cpu.h"

_Noreturn void cpu_raise(CpuState *cpu, int excp, uint64_t fault_addr)
{
    cpu->exception = excp;
    cpu->fault_addr = fault_addr;
    siglongjmp(cpu->jmp_env, 1);
}

void cpu_common_init(CpuState *cpu)
{
    pthread_mutex_init(&cpu->halt_lock, NULL);
    pthread_cond_init(&cpu->halt_cond, NULL);
    cpu->halted = 0;
}

void cpu_kick(CpuState *cpu)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&cpu->halt_lock);
    if (cpu->halted) pthread_cond_signal(&cpu->halt_cond);
    pthread_mutex_unlock(&cpu->halt_lock);
}

void cpu_halt_wait(CpuState *cpu, bool (*has_work)(CpuState *cpu))
{
    pthread_mutex_lock(&cpu->halt_lock);
    cpu->halted = 1;
    /* A kick sets exit_request before signalling, so checking it under the lock
     * cannot miss a wake-up that raced with going to sleep. */
    while (!has_work(cpu) && !__atomic_load_n(&cpu->exit_request, __ATOMIC_ACQUIRE))
        pthread_cond_wait(&cpu->halt_cond, &cpu->halt_lock);
    cpu->halted = 0;
    pthread_mutex_unlock(&cpu->halt_lock);
}
