/* SPDX-License-Identifier: MIT */
/* Shared by the frontend unit tests (test_rv_decode, test_a64_decode): a fake
 * guest whose only fetchable bytes are the code buffer at CODE_BASE, one-word
 * translation into verified IR, and the cross-binutils oracle (a source file
 * assembled in a scratch directory, the tools' output read back). */
#ifndef VM_TEST_DECODE_FIXTURE_H
#define VM_TEST_DECODE_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vm/arch.h"
#include "vm/ir.h"

#define CODE_BASE 0x10000ull
static uint8_t code[64 * 1024];
static size_t code_len;

static inline int fake_fetch(CpuState *cpu, uint64_t va, void *buf, unsigned len)
{
    (void)cpu;
    if (va < CODE_BASE || va + len > CODE_BASE + code_len) return -EFAULT;
    memcpy(buf, code + (va - CODE_BASE), len);
    return 0;
}

static const MemOps fake_mem = {.fetch = fake_fetch};
static IrBlock blk;
static CpuState *df_cpu; /* the test's CPU, set by df_setup */

/* Both guests store instructions little-endian. */
static inline void put16(uint16_t w)
{
    code[code_len++] = (uint8_t)w;
    code[code_len++] = (uint8_t)(w >> 8);
}

static inline void put32(uint32_t w)
{
    put16((uint16_t)w);
    put16((uint16_t)(w >> 16));
}

/* Zeroes and resets cpu (cpu_size bytes) of arch, and readies the block. */
static inline void df_setup(CpuState *cpu, const GuestArch *arch)
{
    memset(cpu, 0, arch->cpu_size);
    cpu->arch = arch;
    cpu->mem = &fake_mem;
    arch->cpu_reset(cpu);
    ir_block_init(&blk, arch->regs, arch->nregs);
    df_cpu = cpu;
}

static inline void df_teardown(void) { ir_block_free(&blk); }

/* Translates the block at pc; fails the test unless its IR verifies. */
static inline IrBlock *translate_at(uint64_t pc)
{
    const GuestArch *arch = df_cpu->arch;
    df_cpu->mem = &fake_mem;
    ir_block_reset(&blk, pc, arch->tb_flags(df_cpu));
    arch->translate(df_cpu, &blk, pc);
    char err[256];
    if (!ir_verify(&blk, err, sizeof(err))) {
        ir_print(&blk, stderr);
        fail_msg("invalid IR: %s", err);
    }
    return &blk;
}

/* Translates one 32-bit word (the block ends after it: nothing follows). */
static inline IrBlock *tr32(uint32_t w)
{
    code_len = 0;
    put32(w);
    return translate_at(CODE_BASE);
}

static inline IrBlock *tr16(uint16_t w)
{
    code_len = 0;
    put16(w);
    return translate_at(CODE_BASE);
}

/* Does the block end by raising excp? */
static inline bool raised(const IrBlock *b, unsigned excp)
{
    const IrInsn *last = &b->insns[b->ninsns - 1];
    return last->op == IR_OP_raise && last->imm == excp;
}

/* -- The cross-binutils oracle ----------------------------------------------------------- */

/* Are all these tools (a NULL-terminated list) on PATH? */
static inline bool df_have_tools(const char *const *tools)
{
    for (; *tools; tools++) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", *tools);
        if (system(cmd)) return false;
    }
    return true;
}

/* Writes src to t.s in a new scratch directory and runs `cd DIR && cmd`
 * there: its output is returned (df_oracle_close ends it). */
static char df_dir[64];
static inline FILE *df_oracle_open(const char *src, const char *cmd)
{
    snprintf(df_dir, sizeof(df_dir), "/tmp/vm-decode.XXXXXX");
    assert_non_null(mkdtemp(df_dir));
    char path[128], line[1024];
    snprintf(path, sizeof(path), "%s/t.s", df_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(src, f);
    assert_int_equal(fclose(f), 0);
    snprintf(line, sizeof(line), "cd %s && %s", df_dir, cmd);
    FILE *p = popen(line, "r");
    assert_non_null(p);
    return p;
}

/* Ends the command (it must have succeeded) and removes the directory. */
static inline void df_oracle_close(FILE *p)
{
    int st = pclose(p);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", df_dir);
    if (system(cmd)) print_error("could not remove %s\n", df_dir);
    assert_int_equal(st, 0);
}

#endif
