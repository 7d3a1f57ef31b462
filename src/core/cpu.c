/* SPDX-License-Identifier: MIT */
/* Leaving guest code from deep inside an engine (helpers, faults). */
#include "vm/cpu.h"

_Noreturn void cpu_raise(CpuState *cpu, int excp, uint64_t fault_addr)
{
    cpu->exception = excp;
    cpu->fault_addr = fault_addr;
    siglongjmp(cpu->jmp_env, 1);
}
