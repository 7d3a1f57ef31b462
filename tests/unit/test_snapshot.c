/* SPDX-License-Identifier: MIT */
/* Snapshot files (src/service/snapshot.c, docs/snapshot-format.md) on a real
 * riscv64 virt machine built by machine_create: round trip of vCPU, device
 * and RAM state; truncated files, a flipped bit in every section, wrong
 * magic/version/arch/configuration and a device that rejects its state are
 * all refused with one message and leave the machine as it was. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "frontend/riscv64/rv_cpu.h"
#include "service/sys_int.h"
#include "vm/machine.h"
#include "vm/mem.h"
#include "vm/options.h"

#include "config.h"

#ifdef CONFIG_SANITIZERS
/* options_parse keeps its strings for the life of the process, as vm does
 * with its options (src/core/options.c, kv_split): parsing many command
 * lines here is not a leak, and vm's own binary turns leak reports off the
 * same way (src/main/main.c). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

#define RAM_BASE 0x80000000ull
#define PLIC_BASE 0xc000000ull
#define UART_BASE 0x10000000ull

static char dir[64], kernel[128], snapf[128], tmpf[128];

/* A machine from a command line; the kernel is `j .` as a raw binary. */
static Machine *make_machine(const char *mem, const char *smp)
{
    char *argv[] = {"vm", "-M", "virt", "-bios", "none", "-arch", "riscv64", "-kernel", kernel,
                    "-m", (char *)mem, "-smp", (char *)smp, NULL};
    static VmOptions o[8];
    static int no;
    VmOptions *op = &o[no++ % 8];
    memset(op, 0, sizeof(*op));
    assert_int_equal(options_parse(op, 13, argv), 0);
    MachineHost host = {0};
    Machine *m = NULL;
    assert_int_equal(machine_create(op, &interp_engine, &host, &m), 0);
    return m;
}

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/vm-test-snapshot.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(kernel, sizeof(kernel), "%s/loop.bin", dir);
    snprintf(snapf, sizeof(snapf), "%s/m.snap", dir);
    snprintf(tmpf, sizeof(tmpf), "%s/t.snap", dir);
    FILE *f = fopen(kernel, "wb");
    assert_non_null(f);
    const uint8_t loop[4] = {0x6f, 0, 0, 0}; /* jal x0, 0 */
    fwrite(loop, 1, 4, f);
    fclose(f);
    *state = make_machine("16M", "1");
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd)) {}
    return 0;
}

/* -- Reading the file the way docs/snapshot-format.md describes it ------------------------ */

typedef struct Blob {
    uint8_t *d;
    size_t n;
} Blob;

static Blob blob_read(const char *path)
{
    Blob b = {0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    b.n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b.d = malloc(b.n);
    assert_int_equal(fread(b.d, 1, b.n, f), b.n);
    fclose(f);
    return b;
}

static void blob_write(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    fclose(f);
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }

typedef struct Sec {
    size_t off, payload, len, end; /* end = offset of its CRC */
    char kind[5], name[64];
} Sec;

static int sections(const Blob *b, Sec *s, int max)
{
    size_t off = 32;
    int n = 0;
    while (off < b->n && n < max) {
        uint32_t nl = le32(b->d + off + 4);
        Sec *x = &s[n++];
        x->off = off;
        memcpy(x->kind, b->d + off, 4);
        x->kind[4] = 0;
        memcpy(x->name, b->d + off + 8, nl);
        x->name[nl] = 0;
        x->len = le64(b->d + off + 8 + nl);
        x->payload = off + 16 + nl;
        x->end = x->payload + x->len;
        off = x->end + 4;
    }
    assert_int_equal(off, b->n);
    return n;
}

static void fix_crcs(Blob *b)
{
    Sec s[64];
    int n = sections(b, s, 64);
    for (int i = 0; i < n; i++)
        put32(b->d + s[i].end, (uint32_t)crc32(0, b->d + s[i].off, (uInt)(s[i].end - s[i].off)));
    put32(b->d + 28, (uint32_t)crc32(0, b->d, 28));
}

/* -- Machine state the tests set and compare --------------------------------------------- */

static void mmio_w32(Machine *m, uint64_t pa, uint32_t v)
{
    uint64_t x = v;
    assert_true(phys_access(m->phys, pa, 4, true, &x));
}
static uint32_t mmio_r32(Machine *m, uint64_t pa)
{
    uint64_t x = 0;
    assert_true(phys_access(m->phys, pa, 4, false, &x));
    return (uint32_t)x;
}
static void mmio_w8(Machine *m, uint64_t pa, uint8_t v)
{
    uint64_t x = v;
    assert_true(phys_access(m->phys, pa, 1, true, &x));
}
static uint8_t mmio_r8(Machine *m, uint64_t pa)
{
    uint64_t x = 0;
    assert_true(phys_access(m->phys, pa, 1, false, &x));
    return (uint8_t)x;
}

/* Fills vCPU 0, two devices and RAM with values derived from seed. */
static void set_state(Machine *m, uint64_t seed)
{
    RvCpu *rv = rv_cpu(m->cpus[0]);
    m->cpus[0]->pc = RAM_BASE + 0x100 + (seed & 0xff) * 4;
    for (int i = 1; i < 32; i++) rv->x[i] = seed * 1000 + (uint64_t)i;
    for (int i = 0; i < 32; i++) rv->f[i] = ~seed ^ (uint64_t)i << 40;
    m->cpus[0]->fp.rm = (uint32_t)(seed % 5);
    m->cpus[0]->fp.flags = (uint32_t)(seed & 0x1f);
    rv->priv = seed & 1 ? RV_PRV_S : RV_PRV_U;
    rv->mstatus = (rv->mstatus & ~(3ull << 13)) | (seed & 3) << 13;
    rv->satp = 8ull << 60 | (seed & 0xffff) << 44 | ((RAM_BASE >> 12) + (seed & 0xff));
    rv->mscratch = seed * 7;
    rv->sepc = seed * 11 & ~1ull;
    rv->pmpaddr[3] = seed * 13;
    rv->pmpcfg[3] = (uint8_t)(seed & 0x1f);
    rv->mie = 0x222 & seed;
    m->cpus[0]->res_addr = RAM_BASE + (seed & 0xff) * 8;
    m->cpus[0]->res_val = seed * 17;
    m->cpus[0]->res_valid = (int)(seed & 1);
    mmio_w32(m, PLIC_BASE + 4 * 10, (uint32_t)(seed % 7) + 1); /* UART source priority */
    mmio_w8(m, UART_BASE + 7, (uint8_t)seed);                  /* scratch register */
    /* RAM: a pattern in some pages, others all zero. */
    for (uint64_t p = 0; p < m->ram_size / 4096; p++) {
        uint8_t *pg = m->ram + p * 4096;
        if ((p + seed) % 3 == 0) memset(pg, 0, 4096);
        else
            for (int i = 0; i < 4096; i += 8) *(uint64_t *)(pg + i) = seed ^ (p << 20) ^ (uint64_t)i;
    }
}

typedef struct Saved {
    RvCpu cpu;
    uint32_t prio;
    uint8_t scr;
    uint8_t *ram;
} Saved;

static void grab(Machine *m, Saved *s)
{
    memcpy(&s->cpu, m->cpus[0], sizeof(RvCpu));
    s->prio = mmio_r32(m, PLIC_BASE + 4 * 10);
    s->scr = mmio_r8(m, UART_BASE + 7);
    s->ram = malloc(m->ram_size);
    memcpy(s->ram, m->ram, m->ram_size);
}

static void assert_same(Machine *m, const Saved *s)
{
    RvCpu *rv = rv_cpu(m->cpus[0]);
    assert_int_equal(m->cpus[0]->pc, s->cpu.common.pc);
    assert_memory_equal(rv->x, s->cpu.x, sizeof(rv->x));
    assert_memory_equal(rv->f, s->cpu.f, sizeof(rv->f));
    assert_int_equal(m->cpus[0]->fp.rm, s->cpu.common.fp.rm);
    assert_int_equal(m->cpus[0]->fp.flags, s->cpu.common.fp.flags);
    assert_int_equal(rv->priv, s->cpu.priv);
    assert_int_equal(rv->mstatus, s->cpu.mstatus);
    assert_int_equal(rv->satp, s->cpu.satp);
    assert_int_equal(rv->mscratch, s->cpu.mscratch);
    assert_int_equal(rv->sepc, s->cpu.sepc);
    assert_int_equal(rv->mie, s->cpu.mie);
    assert_memory_equal(rv->pmpaddr, s->cpu.pmpaddr, sizeof(rv->pmpaddr));
    assert_memory_equal(rv->pmpcfg, s->cpu.pmpcfg, sizeof(rv->pmpcfg));
    assert_int_equal(m->cpus[0]->res_addr, s->cpu.common.res_addr);
    assert_int_equal(m->cpus[0]->res_val, s->cpu.common.res_val);
    assert_int_equal(m->cpus[0]->res_valid, s->cpu.common.res_valid);
    assert_int_equal(mmio_r32(m, PLIC_BASE + 4 * 10), s->prio);
    assert_int_equal(mmio_r8(m, UART_BASE + 7), s->scr);
    assert_int_equal(memcmp(m->ram, s->ram, m->ram_size), 0);
}

/* Loading `path` must fail with one line naming it and change nothing. */
static void assert_refused(Machine *m, const char *path, const char *needle)
{
    Saved before;
    grab(m, &before);
    char err[4096] = "";
    assert_int_equal(snap_file_load(m, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, path));
    assert_null(strchr(err, '\n'));
    if (needle && !strstr(err, needle)) fail_msg("expected '%s' in: %s", needle, err);
    assert_same(m, &before);
    free(before.ram);
}

/* -- Tests ---------------------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    Machine *m = *state;
    char err[4096];
    set_state(m, 0x1234567);
    Saved want;
    grab(m, &want);
    assert_int_equal(snap_file_save(m, snapf, err, sizeof(err)), 0);
    set_state(m, 0x7654322);
    assert_int_equal(snap_file_load(m, snapf, err, sizeof(err)), 0);
    assert_same(m, &want);
    /* The restored hart republished its derived state. */
    assert_int_equal(rv_cpu(m->cpus[0])->common.cpu_index, 0);
    free(want.ram);

    /* Zero pages are skipped and the rest compressed: far below 16 MiB. */
    Blob b = blob_read(snapf);
    assert_true(b.n < (4u << 20));
    free(b.d);
}

static void test_truncated(void **state)
{
    Machine *m = *state;
    char err[4096];
    set_state(m, 99);
    assert_int_equal(snap_file_save(m, snapf, err, sizeof(err)), 0);
    Blob b = blob_read(snapf);
    Sec s[64];
    int n = sections(&b, s, 64);
    set_state(m, 5);
    /* Every section boundary and a spread of offsets in between. */
    size_t cuts[256];
    int nc = 0;
    for (int i = 0; i < n; i++) {
        cuts[nc++] = s[i].off;
        cuts[nc++] = s[i].off + 3;
        cuts[nc++] = s[i].payload;
        cuts[nc++] = s[i].end;
        cuts[nc++] = s[i].end + 2;
    }
    for (int i = 0; i < 60; i++) cuts[nc++] = b.n * (size_t)i / 60;
    cuts[nc++] = b.n - 1;
    cuts[nc++] = 1;
    for (int i = 0; i < nc; i++) {
        if (cuts[i] >= b.n) continue;
        blob_write(tmpf, b.d, cuts[i]);
        assert_refused(m, tmpf, NULL);
    }
    /* Extra bytes at the end are refused too. */
    uint8_t *longer = malloc(b.n + 5);
    memcpy(longer, b.d, b.n);
    memset(longer + b.n, 0, 5);
    blob_write(tmpf, longer, b.n + 5);
    assert_refused(m, tmpf, NULL);
    free(longer);
    free(b.d);
}

static void test_bit_flips(void **state)
{
    Machine *m = *state;
    char err[4096];
    set_state(m, 31337);
    assert_int_equal(snap_file_save(m, snapf, err, sizeof(err)), 0);
    Blob b = blob_read(snapf);
    Sec s[64];
    int n = sections(&b, s, 64);
    assert_true(n >= 6);
    set_state(m, 8);
    /* Header, then in every section: kind, name, length, payload start,
     * middle and end, and the CRC itself. */
    size_t spots[512];
    int ns = 0;
    for (size_t o = 0; o < 32; o += 3) spots[ns++] = o;
    for (int i = 0; i < n; i++) {
        spots[ns++] = s[i].off;
        spots[ns++] = s[i].off + 5;
        spots[ns++] = s[i].off + 9;
        spots[ns++] = s[i].payload - 4;
        if (s[i].len) {
            spots[ns++] = s[i].payload;
            spots[ns++] = s[i].payload + s[i].len / 2;
            spots[ns++] = s[i].end - 1;
        }
        spots[ns++] = s[i].end + 1;
    }
    for (int i = 0; i < ns; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            b.d[spots[i]] ^= (uint8_t)(1u << bit);
            blob_write(tmpf, b.d, b.n);
            b.d[spots[i]] ^= (uint8_t)(1u << bit);
            assert_refused(m, tmpf, NULL);
        }
    }
    free(b.d);
}

static void test_magic_version_arch(void **state)
{
    Machine *m = *state;
    char err[4096];
    set_state(m, 4);
    assert_int_equal(snap_file_save(m, snapf, err, sizeof(err)), 0);
    Blob b = blob_read(snapf);
    b.d[0] = 'X';
    blob_write(tmpf, b.d, b.n);
    assert_refused(m, tmpf, "not a vm snapshot");
    b.d[0] = 'V';

    put32(b.d + 8, 2); /* a later format version, with a valid header CRC */
    fix_crcs(&b);
    blob_write(tmpf, b.d, b.n);
    assert_refused(m, tmpf, "version 2");
    put32(b.d + 8, 1);

    /* Another arch in an otherwise valid configuration section. */
    Sec s[64];
    sections(&b, s, 64);
    assert_string_equal(s[0].kind, "CONF");
    uint8_t *a = memmem(b.d + s[0].payload, s[0].len, "riscv64", 7);
    assert_non_null(a);
    memcpy(a, "riscv32", 7);
    fix_crcs(&b);
    blob_write(tmpf, b.d, b.n);
    assert_refused(m, tmpf, "riscv32");

    /* Put back, the same bytes load again. */
    memcpy(a, "riscv64", 7);
    fix_crcs(&b);
    blob_write(tmpf, b.d, b.n);
    assert_int_equal(snap_file_load(m, tmpf, err, sizeof(err)), 0);
    free(b.d);

    blob_write(tmpf, (const uint8_t *)"hello, world\n", 13);
    assert_refused(m, tmpf, "not a vm snapshot");
}

static void test_other_machine(void **state)
{
    Machine *m = *state;
    char err[4096];
    set_state(m, 77);
    assert_int_equal(snap_file_save(m, snapf, err, sizeof(err)), 0);
    Machine *bigger = make_machine("32M", "1");
    assert_refused(bigger, snapf, "-m must match");
    Machine *two = make_machine("16M", "2");
    assert_refused(two, snapf, "-smp must match");
    /* And the other way round: a 2-vCPU snapshot restores on 2 vCPUs only. */
    rv_cpu(two->cpus[1])->x[7] = 0xabcdef;
    assert_int_equal(snap_file_save(two, tmpf, err, sizeof(err)), 0);
    rv_cpu(two->cpus[1])->x[7] = 1;
    assert_int_equal(snap_file_load(two, tmpf, err, sizeof(err)), 0);
    assert_int_equal(rv_cpu(two->cpus[1])->x[7], 0xabcdef);
    assert_refused(m, tmpf, "-smp must match");
}

/* A file whose checksums are right but whose PLIC state the device refuses:
 * the vCPU, loaded before it, is rolled back. */
static void test_device_rejects(void **state)
{
    Machine *m = *state;
    char err[4096];
    set_state(m, 1000);
    assert_int_equal(snap_file_save(m, snapf, err, sizeof(err)), 0);
    Blob b = blob_read(snapf);
    Sec s[64];
    int n = sections(&b, s, 64), plic = -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(s[i].name, "plic")) plic = i;
    assert_true(plic >= 0);
    /* The first record is "nsrc" (u8 name length, name, u32 size, value). */
    uint8_t *p = b.d + s[plic].payload;
    assert_int_equal(p[0], 4);
    assert_memory_equal(p + 1, "nsrc", 4);
    p[9]++;
    fix_crcs(&b);
    blob_write(tmpf, b.d, b.n);
    set_state(m, 2000);
    assert_refused(m, tmpf, "plic");
    free(b.d);

    /* A hart state no CSR write could make (MPP = 2). */
    b = blob_read(snapf);
    n = sections(&b, s, 64);
    assert_string_equal(s[2].name, "cpu0");
    uint8_t *ms = memmem(b.d + s[2].payload, s[2].len, "\x07mstatus", 8);
    assert_non_null(ms);
    ms[8 + 4 + 1] = (uint8_t)((ms[8 + 4 + 1] & ~0x18) | 0x10); /* MPP bits 12:11 = 2 */
    fix_crcs(&b);
    blob_write(tmpf, b.d, b.n);
    assert_refused(m, tmpf, "MPP");
    free(b.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_magic_version_arch),
        cmocka_unit_test(test_other_machine),
        cmocka_unit_test(test_device_rejects),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
