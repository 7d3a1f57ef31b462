/* SPDX-License-Identifier: MIT */
/* Fuzzes the gdb remote protocol engine (src/core/gdbstub.c): framing,
 * checksums, escapes, every command, with the real riscv64 and aarch64
 * register accessors (user-mode vCPUs) and a fake target memory of 64 KiB at
 * 0x10000. The first input byte picks the arch and how the rest is cut into
 * reads; the stub's replies are checked for framing. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vm/arch.h"
#include "vm/gdbstub.h"

#define MEM_BASE 0x10000ull
#define MEM_SIZE 0x10000ull

static uint8_t mem[MEM_SIZE];
static CpuState *cpus[2];
static CpuState *cur;
static GdbStub *stub;
static int nthreads;

static void op_send(void *o, const void *buf, size_t len)
{
    /* A packet is $...#xx, or a lone + / - acknowledgement. */
    const char *b = buf;
    if (len == 1 && (b[0] == '+' || b[0] == '-')) return;
    if (len < 4 || b[0] != '$' || b[len - 3] != '#') abort();
}

static int op_threads(void *o, int *tids, int max)
{
    int n = nthreads < max ? nthreads : max;
    for (int i = 0; i < n; i++) tids[i] = i + 1;
    return n;
}

static const char *op_xml(void *o) { return cur->arch->gdb_xml(cur); }
static unsigned op_g_count(void *o, int tid) { return cur->arch->gdb_g_count(cur); }
static unsigned op_read_reg(void *o, int tid, unsigned n, uint8_t *buf)
{
    return cur->arch->gdb_read_reg(cur, n, buf);
}
static int op_write_reg(void *o, int tid, unsigned n, const uint8_t *buf, unsigned len)
{
    return cur->arch->gdb_write_reg(cur, n, buf, len);
}

/* The bytes of [addr, addr+len) inside the fake memory, from its start: how
 * many, or -EFAULT when addr itself is outside. */
static long mem_span(uint64_t addr, size_t len, uint64_t *off)
{
    if (addr < MEM_BASE || addr - MEM_BASE >= MEM_SIZE) return -EFAULT;
    *off = addr - MEM_BASE;
    return (long)(len > MEM_SIZE - *off ? MEM_SIZE - *off : len);
}
static long op_read_mem(void *o, int tid, uint64_t a, uint8_t *buf, size_t len)
{
    uint64_t off;
    long n = mem_span(a, len, &off);
    if (n > 0) memcpy(buf, mem + off, (size_t)n);
    return n;
}
static long op_write_mem(void *o, int tid, uint64_t a, const uint8_t *buf, size_t len)
{
    uint64_t off;
    long n = mem_span(a, len, &off);
    if (n > 0) memcpy(mem + off, buf, (size_t)n);
    return n;
}
static int op_insert(void *o, int type, uint64_t addr, uint64_t kind)
{
    int r = gdb_bp_insert(type, addr, type >= GDB_WP_WRITE ? kind : 1);
    return r == -EEXIST ? 0 : r;
}
static int op_remove(void *o, int type, uint64_t addr, uint64_t kind)
{
    int r = gdb_bp_remove(type, addr, type >= GDB_WP_WRITE ? kind : 1);
    return r == -ENOENT ? 0 : r;
}
static int resumed;
static void op_resume(void *o, const GdbAction *act, const int *sig, int n)
{
    if (n < 0 || n > nthreads) abort();
    for (int i = 0; i < n; i++)
        if (act[i] > GDB_ACT_STEP || (sig && (sig[i] < 0 || sig[i] > 255))) abort();
    /* What the user-mode glue delivers must be a Linux signal number. */
    for (int i = 0; sig && i < n; i++) {
        int l = gdb_sig_to_linux(sig[i]);
        if (l < 0 || l > 64) abort();
    }
    resumed++;
}
static void op_interrupt(void *o) {}
static void op_detach(void *o) { gdb_bp_clear(); }
static void op_kill(void *o) {}

static const GdbOps ops = {
    .send = op_send, .threads = op_threads, .target_xml = op_xml, .g_count = op_g_count,
    .read_reg = op_read_reg, .write_reg = op_write_reg, .read_mem = op_read_mem,
    .write_mem = op_write_mem, .insert_point = op_insert, .remove_point = op_remove,
    .resume = op_resume, .interrupt = op_interrupt, .detach = op_detach, .kill = op_kill,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *names[2] = {"riscv64", "aarch64"};
    for (int i = 0; i < 2; i++) {
        const GuestArch *a = arch_by_name(names[i]);
        if (!a || posix_memalign((void **)&cpus[i], 64, a->cpu_size)) abort();
        memset(cpus[i], 0, a->cpu_size);
        cpus[i]->arch = a;
        a->cpu_reset(cpus[i]);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cpus[0]) LLVMFuzzerInitialize(NULL, NULL);
    if (!size) return 0;
    uint8_t ctl = data[0];
    data++, size--;
    cur = cpus[ctl & 1];
    nthreads = 1 + ((ctl >> 1) & 3); /* 1-4 threads */
    size_t chunk = 1 + (ctl >> 3) * 9; /* 1..280 bytes per read */
    GdbStop first = {.tid = 1, .sig = 5};
    stub = gdb_stub_new(&ops, NULL, &first);
    if (!stub) abort();
    for (size_t off = 0; off < size && !gdb_stub_done(stub); off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        gdb_stub_input(stub, data + off, n);
        if (gdb_stub_running(stub)) {
            /* The target stops again at once; vary the reason with the input. */
            uint8_t k = data[off];
            GdbStop st = {.tid = 1 + k % nthreads, .sig = 5, .reason = k % 4, .type = k % 5,
                          .addr = MEM_BASE + k, .exited = (k & 0x70) == 0x70, .code = k};
            gdb_stub_stopped(stub, &st);
        }
    }
    gdb_stub_free(stub);
    gdb_bp_clear();
    return 0;
}
