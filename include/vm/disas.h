/* SPDX-License-Identifier: MIT */
/* Disassembly for logs: guest code (-d in_asm) through capstone or the
 * arch's own disas hook, and x86-64 host code (-d out_asm, the JIT). */
#ifndef VM_DISAS_H
#define VM_DISAS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vm/cpu.h"

/* Writes the guest code at [pc, pc+size) one instruction per line
 * ("  0x00010078:  00b50533      add a0, a0, a1"), fetching the bytes with
 * cpu->mem->fetch. Returns 0, or -EFAULT when the code cannot be fetched
 * (a line says so). */
int disas_log_guest(CpuState *cpu, uint64_t pc, uint32_t size, FILE *f);

/* Writes x86-64 host code, one instruction per line, addresses starting at
 * addr. Returns 0, or -ENOSYS when capstone cannot open x86-64. */
int disas_host(const void *code, size_t len, uint64_t addr, FILE *f);

#endif
