/* SPDX-License-Identifier: MIT */
/* Unit tests of Linux user mode without an engine: ELF validation and loading
 * (bad inputs are errors, never crashes), the guest address-space allocator,
 * the initial stack and auxv, the environment, struct conversions, guest
 * memory checks and the riscv64 signal frame. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "frontend/riscv64/rv_cpu.h"
#include "user/user_int.h"

#define SMALL_SPACE (1ull << 32)

static char tmpdir[] = "/tmp/vm-test-user.XXXXXX";

static const char *tmpfile_with(const char *name, const void *data, size_t len)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

/* -- A minimal riscv64 ELF built in memory -------------------------------------- */

typedef struct TestElf {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[3];
    uint8_t code[64];
} TestElf;

static size_t make_elf(TestElf *e, uint16_t type, uint64_t vaddr, uint64_t memsz)
{
    memset(e, 0, sizeof(*e));
    memcpy(e->eh.e_ident, ELFMAG, SELFMAG);
    e->eh.e_ident[EI_CLASS] = ELFCLASS64;
    e->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    e->eh.e_ident[EI_VERSION] = EV_CURRENT;
    e->eh.e_type = type;
    e->eh.e_machine = EM_RISCV;
    e->eh.e_version = EV_CURRENT;
    e->eh.e_entry = vaddr + offsetof(TestElf, code);
    e->eh.e_phoff = offsetof(TestElf, ph);
    e->eh.e_ehsize = sizeof(Elf64_Ehdr);
    e->eh.e_phentsize = sizeof(Elf64_Phdr);
    e->eh.e_phnum = 3;
    e->eh.e_flags = 0x5; /* RVC, double-float ABI */
    /* One R+X segment holding the whole file, then an RW bss-only segment. */
    e->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
                            .p_vaddr = vaddr, .p_filesz = sizeof(*e), .p_memsz = sizeof(*e),
                            .p_align = 0x1000};
    e->ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0,
                            .p_vaddr = vaddr + 0x1000, .p_filesz = 0, .p_memsz = memsz,
                            .p_align = 0x1000};
    e->ph[2] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W};
    for (unsigned i = 0; i < sizeof(e->code); i++) e->code[i] = (uint8_t)(0xa0 + i);
    return sizeof(*e);
}

/* -- ELF validation -------------------------------------------------------------------- */

static void test_elf_missing(void **state)
{
    LxImage img;
    char err[256];
    assert_int_equal(lx_elf_probe("/nonexistent/prog", &img, err, sizeof(err)), -ENOENT);
    assert_string_equal(err, "No such file or directory");
    assert_int_equal(lx_elf_probe("/", &img, err, sizeof(err)), -EACCES);
}

static void test_elf_bad_inputs(void **state)
{
    LxImage img;
    char err[256];
    TestElf e;
    size_t n = make_elf(&e, ET_EXEC, 0x10000, 0x100);

    /* Empty, text, truncated at every interesting length: errors, never crashes. */
    assert_int_equal(lx_elf_probe(tmpfile_with("empty", "", 0), &img, err, sizeof(err)), -ENOEXEC);
    assert_int_equal(lx_elf_probe(tmpfile_with("text", "#!/bin/sh\necho\n", 15), &img, err, sizeof(err)),
                     -ENOEXEC);
    assert_non_null(strstr(err, "not an ELF"));
    static const size_t cuts[] = {3, 4, 15, 16, 40, 63, 64, 100, 120, 64 + 56 * 2};
    for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        int r = lx_elf_probe(tmpfile_with("trunc", &e, cuts[i]), &img, err, sizeof(err));
        assert_int_equal(r, -ENOEXEC);
        assert_true(err[0] != 0);
    }

    /* 32-bit class. */
    TestElf b = e;
    b.eh.e_ident[EI_CLASS] = ELFCLASS32;
    assert_int_equal(lx_elf_probe(tmpfile_with("elf32", &b, n), &img, err, sizeof(err)), -ENOEXEC);
    assert_non_null(strstr(err, "class"));
    /* Bad data encoding. */
    b = e;
    b.eh.e_ident[EI_DATA] = 7;
    assert_int_equal(lx_elf_probe(tmpfile_with("data", &b, n), &img, err, sizeof(err)), -ENOEXEC);
    /* Not an executable. */
    b = e;
    b.eh.e_type = ET_REL;
    assert_int_equal(lx_elf_probe(tmpfile_with("rel", &b, n), &img, err, sizeof(err)), -ENOEXEC);
    /* A segment past the end of the file. */
    b = e;
    b.ph[0].p_filesz = 1 << 20;
    b.ph[0].p_memsz = 1 << 20;
    assert_int_equal(lx_elf_probe(tmpfile_with("seg", &b, n), &img, err, sizeof(err)), -ENOEXEC);
    assert_non_null(strstr(err, "truncated"));
    /* filesz > memsz. */
    b = e;
    b.ph[0].p_memsz = 1;
    assert_int_equal(lx_elf_probe(tmpfile_with("memsz", &b, n), &img, err, sizeof(err)), -ENOEXEC);
    /* Absurd phnum / phoff. */
    b = e;
    b.eh.e_phnum = 1000;
    assert_int_equal(lx_elf_probe(tmpfile_with("phnum", &b, n), &img, err, sizeof(err)), -ENOEXEC);
    b = e;
    b.eh.e_phoff = 1ull << 40;
    assert_int_equal(lx_elf_probe(tmpfile_with("phoff", &b, n), &img, err, sizeof(err)), -ENOEXEC);
    /* No loadable segment. */
    b = e;
    b.ph[0].p_type = PT_NOTE;
    b.ph[1].p_type = PT_NOTE;
    assert_int_equal(lx_elf_probe(tmpfile_with("noload", &b, n), &img, err, sizeof(err)), -ENOEXEC);

    /* A well-formed file of another machine probes fine and reports it. */
    b = e;
    b.eh.e_machine = EM_SPARCV9;
    assert_int_equal(lx_elf_probe(tmpfile_with("sparc", &b, n), &img, err, sizeof(err)), 0);
    assert_int_equal(img.machine, EM_SPARCV9);
}

static void test_elf_eflags(void **state)
{
    char err[128];
    assert_int_equal(lx_arch_riscv64.check_eflags(0x5, err, sizeof(err)), 0);
    assert_int_equal(lx_arch_riscv64.check_eflags(0x0, err, sizeof(err)), 0);
    assert_int_equal(lx_arch_riscv64.check_eflags(0x8, err, sizeof(err)), -ENOEXEC); /* RVE */
    assert_int_equal(lx_arch_riscv64.check_eflags(0x6, err, sizeof(err)), -ENOEXEC); /* quad */
    assert_ptr_equal(lx_arch_find(EM_RISCV), &lx_arch_riscv64);
    assert_null(lx_arch_find(EM_SPARCV9));
}

static void test_elf_load_exec(void **state)
{
    LxSpace s;
    assert_int_equal(lx_space_init(&s, SMALL_SPACE), 0);
    TestElf e;
    size_t n = make_elf(&e, ET_EXEC, 0x10000, 0x3000);
    LxImage img;
    char err[256];
    assert_int_equal(lx_elf_load(&s, tmpfile_with("exec", &e, n), false, 0, &img, err, sizeof(err)), 0);
    assert_int_equal(img.load_bias, 0);
    assert_int_equal(img.entry, 0x10000 + offsetof(TestElf, code));
    assert_int_equal(img.phdr, 0x10000 + offsetof(TestElf, ph));
    assert_int_equal(img.phnum, 3);
    assert_false(img.exec_stack);
    assert_int_equal(img.brk, 0x14000);
    /* File contents, protections, zeroed bss. */
    assert_memory_equal(s.base + img.entry, e.code, sizeof(e.code));
    assert_int_equal(lx_page_flags(&s, 0x10000) & 7, PROT_READ | PROT_EXEC);
    assert_int_equal(lx_page_flags(&s, 0x11000) & 7, PROT_READ | PROT_WRITE);
    assert_int_equal(lx_page_flags(&s, 0x13000) & 7, PROT_READ | PROT_WRITE);
    assert_int_equal(lx_page_flags(&s, 0x14000), 0);
    for (uint64_t a = 0x11000; a < 0x14000; a += 512) assert_int_equal(s.base[a], 0);
    /* Loading the same ET_EXEC again overlaps: an error. */
    LxImage img2;
    assert_int_equal(lx_elf_load(&s, tmpfile_with("exec", &e, n), false, 0, &img2, err, sizeof(err)), -ENOEXEC);
    /* A machine mismatch for an interpreter. */
    assert_int_equal(lx_elf_load(&s, tmpfile_with("exec", &e, n), true, EM_AARCH64, &img2, err, sizeof(err)),
                     -ENOEXEC);
    lx_space_free(&s);
}

static void test_elf_load_dyn(void **state)
{
    LxSpace s;
    assert_int_equal(lx_space_init(&s, LX_SPACE_SIZE), 0);
    TestElf e;
    size_t n = make_elf(&e, ET_DYN, 0, 0x1000);
    LxImage img, ld;
    char err[256];
    const char *path = tmpfile_with("dyn", &e, n);
    assert_int_equal(lx_elf_load(&s, path, false, 0, &img, err, sizeof(err)), 0);
    assert_int_equal(img.load_bias, LX_ET_DYN_BASE);
    assert_int_equal(img.entry, LX_ET_DYN_BASE + offsetof(TestElf, code));
    /* The loader goes to the mmap area, below LX_MMAP_TOP, elsewhere. */
    assert_int_equal(lx_elf_load(&s, path, true, EM_RISCV, &ld, err, sizeof(err)), 0);
    assert_true(ld.load_bias < LX_MMAP_TOP && ld.load_bias > LX_ET_DYN_BASE);
    assert_memory_equal(s.base + ld.entry, e.code, sizeof(e.code));
    lx_space_free(&s);
}

/* The small fallback reservation (used under valgrind) keeps the same shape. */
static void test_small_space_layout(void **state)
{
    LxSpace s;
    assert_int_equal(lx_space_init(&s, LX_SPACE_SIZE_SMALL), 0);
    assert_true(s.stack_top < s.limit && s.stack_top > s.mmap_top + LX_STACK_SIZE);
    assert_true(s.dyn_base < s.mmap_top && s.dyn_base > LX_MMAP_MIN);
    TestElf e;
    size_t n = make_elf(&e, ET_DYN, 0, 0x1000);
    LxImage img;
    char err[256];
    assert_int_equal(lx_elf_load(&s, tmpfile_with("dyn", &e, n), false, 0, &img, err, sizeof(err)), 0);
    assert_int_equal(img.load_bias, s.dyn_base);
    assert_int_equal(lx_mmap(&s, s.stack_top - LX_STACK_SIZE, LX_STACK_SIZE, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
                     (int64_t)(s.stack_top - LX_STACK_SIZE));
    lx_space_free(&s);
}

/* -- Address space ------------------------------------------------------------------------ */

static uint64_t inval_start, inval_len;
static int inval_count;
static void on_inval(uint64_t start, uint64_t len)
{
    inval_start = start;
    inval_len = len;
    inval_count++;
}

static void test_space_mmap(void **state)
{
    LxSpace s;
    assert_int_equal(lx_space_init(&s, SMALL_SPACE), 0);
    assert_int_equal(s.limit, SMALL_SPACE);
    int A = MAP_PRIVATE | MAP_ANONYMOUS;

    /* Top-down placement, page-rounded, non-overlapping. */
    int64_t a = lx_mmap(&s, 0, 100, PROT_READ | PROT_WRITE, A, -1, 0);
    assert_true(a > 0);
    assert_int_equal(a & 0xfff, 0);
    assert_int_equal((uint64_t)a + 0x1000, s.mmap_top);
    int64_t b = lx_mmap(&s, 0, 0x3000, PROT_READ, A, -1, 0);
    assert_int_equal(b, a - 0x3000);
    assert_int_equal(lx_page_flags(&s, (uint64_t)a), LX_PG_VALID | LX_PG_ANON | PROT_READ | PROT_WRITE);
    s.base[a] = 42; /* host-accessible */
    assert_int_equal(s.base[a], 42);

    /* A free hint is honoured; an occupied one is not. */
    int64_t c = lx_mmap(&s, 0x20000000, 0x2000, PROT_READ, A, -1, 0);
    assert_int_equal(c, 0x20000000);
    int64_t d = lx_mmap(&s, 0x20000000, 0x2000, PROT_READ, A, -1, 0);
    assert_true(d > 0 && d != 0x20000000);
    /* MAP_FIXED replaces; MAP_FIXED_NOREPLACE refuses. */
    assert_int_equal(lx_mmap(&s, 0x20000000, 0x1000, PROT_READ | PROT_WRITE, A | MAP_FIXED, -1, 0), 0x20000000);
    assert_int_equal(lx_mmap(&s, 0x20000000, 0x1000, PROT_READ, A | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
    /* Errors. */
    assert_int_equal(lx_mmap(&s, 0, 0, PROT_READ, A, -1, 0), -EINVAL);
    assert_int_equal(lx_mmap(&s, 0x20000001, 0x1000, PROT_READ, A | MAP_FIXED, -1, 0), -EINVAL);
    assert_int_equal(lx_mmap(&s, SMALL_SPACE - 0x1000, 0x2000, PROT_READ, A | MAP_FIXED, -1, 0), -ENOMEM);
    assert_int_equal(lx_mmap(&s, 0, 1ull << 40, PROT_READ, A, -1, 0), -ENOMEM);
    assert_int_equal(lx_mmap(&s, 0, 0x1000, PROT_READ, MAP_ANONYMOUS, -1, 0), -EINVAL);

    /* munmap: pages become free (and PROT_NONE in the host) but stay reserved. */
    assert_int_equal(lx_munmap(&s, (uint64_t)b, 0x3000), 0);
    assert_int_equal(lx_page_flags(&s, (uint64_t)b), 0);
    assert_true(lx_range_free(&s, (uint64_t)b, 0x3000));
    assert_int_equal(lx_munmap(&s, (uint64_t)b + 1, 0x1000), -EINVAL);
    /* The freed hole is reused by the next fitting request. */
    assert_int_equal(lx_mmap(&s, 0, 0x2000, PROT_READ, A, -1, 0), b + 0x1000);

    /* A file mapping. */
    const char *path = tmpfile_with("data", "0123456789", 10);
    int fd = open(path, O_RDONLY);
    int64_t f = lx_mmap(&s, 0, 10, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    assert_true(f > 0);
    assert_memory_equal(s.base + f, "0123456789", 10);
    assert_int_equal(lx_page_flags(&s, (uint64_t)f) & LX_PG_ANON, 0);
    assert_int_equal(lx_mmap(&s, 0, 10, PROT_READ, MAP_PRIVATE, -1, 0), -EBADF);
    lx_space_free(&s);
}

static void test_space_mprotect_exec(void **state)
{
    LxSpace s;
    assert_int_equal(lx_space_init(&s, SMALL_SPACE), 0);
    lx_code_changed = on_inval;
    inval_count = 0;
    int64_t a = lx_mmap(&s, 0x100000, 0x4000, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    assert_int_equal(a, 0x100000);
    assert_true(lx_access_ok(&s, 0x100000, 0x4000, LX_PG_EXEC));
    assert_false(lx_access_ok(&s, 0x100000, 0x4000, LX_PG_WRITE));
    assert_false(lx_access_ok(&s, 0x100000, 0x4001, LX_PG_READ));
    assert_true(lx_access_ok(&s, 0x100000, 0, LX_PG_READ));
    assert_false(lx_access_ok(&s, SMALL_SPACE - 1, 2, 0));

    /* Dropping PROT_EXEC invalidates translated code; adding it does not. */
    assert_int_equal(lx_mprotect(&s, 0x101000, 0x1000, PROT_READ | PROT_WRITE), 0);
    assert_int_equal(inval_count, 1);
    assert_int_equal(inval_start, 0x101000);
    assert_int_equal(inval_len, 0x1000);
    assert_int_equal(lx_page_flags(&s, 0x101000) & 7, PROT_READ | PROT_WRITE);
    assert_int_equal(lx_page_flags(&s, 0x100000) & 7, PROT_READ | PROT_EXEC);
    assert_int_equal(lx_page_flags(&s, 0x101000) & LX_PG_ANON, LX_PG_ANON);
    s.base[0x101000] = 1;
    assert_int_equal(lx_mprotect(&s, 0x101000, 0x1000, PROT_READ | PROT_EXEC), 0);
    assert_int_equal(inval_count, 1);
    /* mprotect of unmapped pages, or misaligned: errors. */
    assert_int_equal(lx_mprotect(&s, 0x103000, 0x2000, PROT_READ), -ENOMEM);
    assert_int_equal(lx_mprotect(&s, 0x100001, 0x1000, PROT_READ), -EINVAL);
    /* munmap of code invalidates. */
    assert_int_equal(lx_munmap(&s, 0x100000, 0x4000), 0);
    assert_int_equal(inval_count, 2);
    assert_false(lx_access_ok(&s, 0x100000, 1, 0));
    lx_code_changed = NULL;
    lx_space_free(&s);
}

static void test_space_mremap(void **state)
{
    LxSpace s;
    assert_int_equal(lx_space_init(&s, SMALL_SPACE), 0);
    int A = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    assert_int_equal(lx_mmap(&s, 0x200000, 0x2000, PROT_READ | PROT_WRITE, A, -1, 0), 0x200000);
    s.base[0x200000] = 7;
    s.base[0x201fff] = 8;
    /* Grow in place when the next pages are free. */
    assert_int_equal(lx_mremap(&s, 0x200000, 0x2000, 0x4000, 0, 0), 0x200000);
    assert_int_equal(lx_page_flags(&s, 0x203000) & 7, PROT_READ | PROT_WRITE);
    assert_int_equal(s.base[0x201fff], 8);
    s.base[0x203fff] = 9;
    /* Blocked: without MAYMOVE it fails, with MAYMOVE it moves and keeps data. */
    assert_int_equal(lx_mmap(&s, 0x204000, 0x1000, PROT_READ, A, -1, 0), 0x204000);
    assert_int_equal(lx_mremap(&s, 0x200000, 0x4000, 0x8000, 0, 0), -ENOMEM);
    int64_t m = lx_mremap(&s, 0x200000, 0x4000, 0x8000, MREMAP_MAYMOVE, 0);
    assert_true(m > 0 && m != 0x200000);
    assert_int_equal(s.base[m], 7);
    assert_int_equal(s.base[m + 0x3fff], 9);
    assert_int_equal(lx_page_flags(&s, 0x200000), 0);
    assert_int_equal(lx_page_flags(&s, (uint64_t)m + 0x7000) & 7, PROT_READ | PROT_WRITE);
    /* Shrink. */
    assert_int_equal(lx_mremap(&s, (uint64_t)m, 0x8000, 0x1000, 0, 0), m);
    assert_int_equal(lx_page_flags(&s, (uint64_t)m + 0x1000), 0);
    /* Fixed move. */
    assert_int_equal(lx_mremap(&s, (uint64_t)m, 0x1000, 0x1000, MREMAP_MAYMOVE | MREMAP_FIXED, 0x300000), 0x300000);
    assert_int_equal(s.base[0x300000], 7);
    /* Unmapped source. */
    assert_int_equal(lx_mremap(&s, 0x500000, 0x1000, 0x2000, MREMAP_MAYMOVE, 0), -EFAULT);
    lx_space_free(&s);
}

static void test_space_brk(void **state)
{
    LxSpace s;
    assert_int_equal(lx_space_init(&s, SMALL_SPACE), 0);
    s.brk_start = s.brk_cur = 0x400000;
    assert_int_equal(lx_brk(&s, 0), 0x400000);
    assert_int_equal(lx_brk(&s, 0x400100), 0x400100);
    assert_int_equal(lx_page_flags(&s, 0x400000) & 7, PROT_READ | PROT_WRITE);
    s.base[0x4000ff] = 1;
    assert_int_equal(lx_brk(&s, 0x480000), 0x480000);
    assert_true(lx_access_ok(&s, 0x400000, 0x80000, LX_PG_WRITE));
    /* Shrinking frees whole pages past the new break. */
    assert_int_equal(lx_brk(&s, 0x401000), 0x401000);
    assert_int_equal(lx_page_flags(&s, 0x401000), 0);
    /* Growing into another mapping fails and keeps the old break. */
    assert_int_equal(lx_mmap(&s, 0x410000, 0x1000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
                     0x410000);
    assert_int_equal(lx_brk(&s, 0x420000), 0x401000);
    /* Below the start: unchanged. */
    assert_int_equal(lx_brk(&s, 0x100), 0x401000);
    lx_space_free(&s);
}

/* -- Stack, environment ----------------------------------------------------------------------- */

static void test_stack_layout(void **state)
{
    LxSpace s;
    assert_int_equal(lx_space_init(&s, LX_SPACE_SIZE), 0);
    assert_int_equal(lx_mmap(&s, LX_STACK_TOP - LX_STACK_SIZE, LX_STACK_SIZE, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
                     (int64_t)(LX_STACK_TOP - LX_STACK_SIZE));
    char *argv[] = {"prog", "arg one", ""};
    char *envp[] = {"A=1", "PATH=/bin"};
    uint8_t rnd[16];
    for (int i = 0; i < 16; i++) rnd[i] = (uint8_t)(i * 7);
    LxImage exe = {.phdr = 0x10040, .phnum = 7, .phent = 56, .entry = 0x10500};
    LxStackInfo si = {.argc = 3, .argv = argv, .envc = 2, .envp = envp, .execfn = "./prog",
                      .hwcap = lx_arch_riscv64.hwcap, .platform = NULL, .exe = &exe,
                      .interp_base = 0x5000000, .random16 = rnd};
    int64_t sp = lx_build_stack(&s, LX_STACK_TOP, &si);
    assert_true(sp > 0);
    assert_int_equal(sp & 15, 0); /* psABI: 16-byte aligned at entry */
    uint64_t *w = (uint64_t *)(s.base + sp);
    assert_int_equal(w[0], 3);
    assert_string_equal((char *)s.base + w[1], "prog");
    assert_string_equal((char *)s.base + w[2], "arg one");
    assert_string_equal((char *)s.base + w[3], "");
    assert_int_equal(w[4], 0);
    assert_string_equal((char *)s.base + w[5], "A=1");
    assert_string_equal((char *)s.base + w[6], "PATH=/bin");
    assert_int_equal(w[7], 0);
    uint64_t *aux = &w[8];
    uint64_t seen = 0;
    for (; aux[0] != AT_NULL; aux += 2) {
        assert_true(aux[0] < 64);
        seen |= 1ull << aux[0];
        switch (aux[0]) {
        case AT_PAGESZ: assert_int_equal(aux[1], 4096); break;
        case AT_PHDR: assert_int_equal(aux[1], 0x10040); break;
        case AT_PHNUM: assert_int_equal(aux[1], 7); break;
        case AT_PHENT: assert_int_equal(aux[1], 56); break;
        case AT_ENTRY: assert_int_equal(aux[1], 0x10500); break;
        case AT_BASE: assert_int_equal(aux[1], 0x5000000); break;
        case AT_UID: assert_int_equal(aux[1], getuid()); break;
        case AT_SECURE: assert_int_equal(aux[1], 0); break;
        case AT_RANDOM: assert_memory_equal(s.base + aux[1], rnd, 16); break;
        case AT_EXECFN: assert_string_equal((char *)s.base + aux[1], "./prog"); break;
        case AT_HWCAP:
            /* RISC-V: one bit per letter; I M A F D C. */
            assert_int_equal(aux[1], (1u << 8) | (1u << 12) | (1u << 0) | (1u << 5) | (1u << 3) | (1u << 2));
            break;
        }
    }
    const int want[] = {AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY, AT_UID,
                        AT_EUID, AT_GID, AT_EGID, AT_SECURE, AT_RANDOM, AT_HWCAP, AT_CLKTCK, AT_EXECFN};
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) assert_true(seen & (1ull << want[i]));
    /* Everything lies inside the stack mapping. */
    assert_true((uint64_t)sp >= LX_STACK_TOP - LX_STACK_SIZE);
    lx_space_free(&s);
}

static void test_stack_too_big(void **state)
{
    LxSpace s;
    assert_int_equal(lx_space_init(&s, LX_SPACE_SIZE), 0);
    lx_mmap(&s, LX_STACK_TOP - LX_STACK_SIZE, LX_STACK_SIZE, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    char *big = malloc(4 << 20);
    memset(big, 'x', (4 << 20) - 1);
    big[(4 << 20) - 1] = 0;
    char *argv[] = {"p", big};
    uint8_t rnd[16] = {0};
    LxImage exe = {0};
    LxStackInfo si = {.argc = 2, .argv = argv, .execfn = "p", .exe = &exe, .random16 = rnd};
    assert_int_equal(lx_build_stack(&s, LX_STACK_TOP, &si), -E2BIG);
    free(big);
    lx_space_free(&s);
}

static void test_env(void **state)
{
    setenv("VMTEST_KEEP", "1", 1);
    setenv("VMTEST_DROP", "2", 1);
    setenv("VMTEST_SET", "old", 1);
    const char *sets[] = {"VMTEST_SET=new", "VMTEST_NEW=x"};
    const char *unsets[] = {"VMTEST_DROP"};
    VmOptions o = {.env_set = sets, .nenv_set = 2, .env_unset = unsets, .nenv_unset = 1};
    int n;
    char **env = lx_make_env(&o, &n);
    assert_non_null(env);
    int keep = 0, drop = 0, set = 0, add = 0;
    for (int i = 0; i < n; i++) {
        keep += !strcmp(env[i], "VMTEST_KEEP=1");
        drop += !strncmp(env[i], "VMTEST_DROP=", 12);
        set += !strcmp(env[i], "VMTEST_SET=new");
        set += !strcmp(env[i], "VMTEST_SET=old") * 100;
        add += !strcmp(env[i], "VMTEST_NEW=x");
    }
    assert_null(env[n]);
    assert_int_equal(keep, 1);
    assert_int_equal(drop, 0);
    assert_int_equal(set, 1);
    assert_int_equal(add, 1);
    free(env);
}

/* -- Struct conversions ---------------------------------------------------------------------- */

static void test_stat_conversion(void **state)
{
    /* asm-generic struct stat offsets (what riscv64 glibc reads). */
    assert_int_equal(offsetof(LxGenericStat, st_mode), 16);
    assert_int_equal(offsetof(LxGenericStat, st_uid), 24);
    assert_int_equal(offsetof(LxGenericStat, st_rdev), 32);
    assert_int_equal(offsetof(LxGenericStat, st_size), 48);
    assert_int_equal(offsetof(LxGenericStat, st_blksize), 56);
    assert_int_equal(offsetof(LxGenericStat, st_blocks), 64);
    assert_int_equal(offsetof(LxGenericStat, st_atime_), 72);
    assert_int_equal(offsetof(LxGenericStat, st_mtime_), 88);
    assert_int_equal(offsetof(LxGenericStat, st_ctime_nsec), 112);
    struct stat st;
    memset(&st, 0, sizeof(st));
    st.st_dev = 0x801;
    st.st_ino = 123456789012ull;
    st.st_mode = S_IFREG | 0644;
    st.st_nlink = 3;
    st.st_uid = 1000;
    st.st_gid = 100;
    st.st_rdev = 0x1234;
    st.st_size = 1ll << 33;
    st.st_blksize = 4096;
    st.st_blocks = 99;
    st.st_atim.tv_sec = 1700000000;
    st.st_atim.tv_nsec = 5;
    st.st_mtim.tv_sec = 1700000001;
    st.st_mtim.tv_nsec = 6;
    st.st_ctim.tv_sec = 1700000002;
    st.st_ctim.tv_nsec = 7;
    LxGenericStat g;
    memset(&g, 0xff, sizeof(g));
    lx_stat_to_generic(&st, &g);
    assert_int_equal(g.st_dev, 0x801);
    assert_int_equal(g.st_ino, 123456789012ull);
    assert_int_equal(g.st_mode, S_IFREG | 0644);
    assert_int_equal(g.st_nlink, 3);
    assert_int_equal(g.st_uid, 1000);
    assert_int_equal(g.st_gid, 100);
    assert_int_equal(g.st_rdev, 0x1234);
    assert_int_equal(g.st_size, 1ll << 33);
    assert_int_equal(g.st_blksize, 4096);
    assert_int_equal(g.st_blocks, 99);
    assert_int_equal(g.st_atime_, 1700000000);
    assert_int_equal(g.st_atime_nsec, 5);
    assert_int_equal(g.st_mtime_nsec, 6);
    assert_int_equal(g.st_ctime_, 1700000002);
    assert_int_equal(g.pad1, 0);
    assert_int_equal(g.unused5, 0);
}

/* -- Guest memory access from syscalls ------------------------------------------------------- */

static void init_proc(LxProc *p)
{
    memset(p, 0, sizeof(*p));
    assert_int_equal(lx_space_init(&p->space, SMALL_SPACE), 0);
    p->la = &lx_arch_riscv64;
}

static void test_guest_access(void **state)
{
    LxProc p;
    init_proc(&p);
    int A = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    lx_mmap(&p.space, 0x10000, 0x1000, PROT_READ | PROT_WRITE, A, -1, 0);
    lx_mmap(&p.space, 0x11000, 0x1000, PROT_READ, A, -1, 0);
    char buf[16];
    assert_int_equal(lx_copy_to(&p, 0x10ff8, "abcdefgh", 8), 0);
    assert_int_equal(lx_copy_from(&p, buf, 0x10ff8, 8), 0);
    assert_memory_equal(buf, "abcdefgh", 8);
    assert_int_equal(lx_copy_to(&p, 0x10ffc, "abcdefgh", 8), -EFAULT); /* into read-only */
    assert_int_equal(lx_copy_from(&p, buf, 0x11ffc, 8), -EFAULT);      /* into unmapped */
    assert_int_equal(lx_copy_from(&p, buf, SMALL_SPACE - 4, 8), -EFAULT);
    assert_null(lx_g2h(&p, SMALL_SPACE - 4, 8));
    assert_null(lx_g2h(&p, UINT64_MAX - 2, 8));
    assert_non_null(lx_g2h(&p, 0x10000, 16));

    /* Strings: across a page boundary, unterminated before an unmapped page. */
    memcpy(p.space.base + 0x10ffe, "hi", 2);
    memcpy(p.space.base + 0x11000 - 0, "", 0);
    int err = 0;
    p.space.base[0x10ff0] = 0;
    memcpy(p.space.base + 0x10ff1, "xyz", 4);
    assert_string_equal(lx_str(&p, 0x10ff1, 4096, &err), "xyz");
    assert_null(lx_str(&p, 0, 4096, &err));
    assert_int_equal(err, -EFAULT);
    mprotect(p.space.base + 0x11000, 0x1000, PROT_READ | PROT_WRITE);
    memset(p.space.base + 0x11000, 'a', 0x1000);
    assert_null(lx_str(&p, 0x10ffe, 1 << 20, &err));
    assert_int_equal(err, -EFAULT);
    assert_null(lx_str(&p, 0x10ffe, 100, &err));
    assert_int_equal(err, -ENAMETOOLONG);
    lx_space_free(&p.space);
}

/* -- riscv64 signal frame -------------------------------------------------------------------------- */

static void test_rv_sigframe(void **state)
{
    LxProc p;
    init_proc(&p);
    lx_mmap(&p.space, 0x100000, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    p.sigtramp = 0x7000;
    p.blocked = 0x5;
    RvCpu cpu;
    memset(&cpu, 0, sizeof(cpu));
    for (int i = 1; i < 32; i++) cpu.x[i] = 0x1000 + (uint64_t)i;
    for (int i = 0; i < 32; i++) cpu.f[i] = 0xffffffff00000000ull | (uint64_t)i;
    cpu.x[2] = 0x10f008; /* sp */
    cpu.common.pc = 0x12344;
    cpu.common.fp.flags = 0x13;
    cpu.common.fp.rm = 2;
    LxSigAction ka = {.handler = 0x55550, .flags = SA_SIGINFO, .mask = 0};
    uint8_t si[128];
    memset(si, 0, sizeof(si));
    si[0] = SIGUSR1;
    RvCpu saved = cpu;
    assert_int_equal(lx_arch_riscv64.setup_frame(&p, &cpu.common, SIGUSR1, &ka, si, cpu.x[2]), 0);
    uint64_t sp = cpu.x[2];
    assert_int_equal(sp & 15, 0);
    assert_true(sp < 0x10f008 && sp >= 0x10f008 - 1088 - 16);
    assert_int_equal(cpu.common.pc, 0x55550);
    assert_int_equal(cpu.x[1], 0x7000);    /* ra = trampoline */
    assert_int_equal(cpu.x[10], SIGUSR1);  /* a0 */
    assert_int_equal(cpu.x[11], sp);       /* a1 = &info */
    assert_int_equal(cpu.x[12], sp + 128); /* a2 = &uc */
    /* Kernel layout: uc_sigmask at uc+40, sc_regs at uc+176 (pc, x1..), fcsr after f[32]. */
    uint8_t *f = p.space.base + sp;
    uint64_t v;
    memcpy(&v, f + 128 + 40, 8);
    assert_int_equal(v, 0x5);
    memcpy(&v, f + 128 + 176, 8);
    assert_int_equal(v, 0x12344);
    memcpy(&v, f + 128 + 176 + 8 * 2, 8);
    assert_int_equal(v, 0x10f008);
    memcpy(&v, f + 128 + 176 + 256 + 8 * 3, 8);
    assert_int_equal(v, 0xffffffff00000003ull);
    uint32_t fcsr;
    memcpy(&fcsr, f + 128 + 176 + 512, 4);
    assert_int_equal(fcsr, 0x13 | (2 << 5));
    assert_int_equal(f[0], SIGUSR1);
    /* The trampoline code: li a7, 139; ecall. */
    assert_int_equal(lx_arch_riscv64.sigtramp_len, 8);
    uint32_t insn;
    memcpy(&insn, lx_arch_riscv64.sigtramp, 4);
    assert_int_equal(insn, (139u << 20) | (17u << 7) | 0x13);

    /* The handler clobbers everything; sigreturn restores it. */
    for (int i = 1; i < 32; i++) cpu.x[i] = 0xdead;
    cpu.x[2] = sp;
    cpu.f[5] = 0;
    cpu.common.fp.flags = 0;
    cpu.common.fp.rm = 0;
    p.blocked = 0xffff;
    memset(&v, 0, 8);
    v = 0x12348; /* a handler may edit the saved pc */
    memcpy(f + 128 + 176, &v, 8);
    assert_int_equal(lx_arch_riscv64.sigreturn(&p, &cpu.common), 0);
    assert_int_equal(cpu.common.pc, 0x12348);
    for (int i = 1; i < 32; i++) assert_int_equal(cpu.x[i], saved.x[i]);
    for (int i = 0; i < 32; i++) assert_int_equal(cpu.f[i], saved.f[i]);
    assert_int_equal(cpu.common.fp.flags, 0x13);
    assert_int_equal(cpu.common.fp.rm, 2);
    assert_int_equal(p.blocked, 0x5);

    /* A frame that does not fit in mapped memory is -EFAULT, not a crash. */
    cpu.x[2] = 0x100100;
    assert_int_equal(lx_arch_riscv64.setup_frame(&p, &cpu.common, SIGUSR1, &ka, si, cpu.x[2]), -EFAULT);
    cpu.x[2] = 0x200000;
    assert_int_equal(lx_arch_riscv64.sigreturn(&p, &cpu.common), -EFAULT);
    lx_space_free(&p.space);
}

static int setup(void **state)
{
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf_missing),
        cmocka_unit_test(test_elf_bad_inputs),
        cmocka_unit_test(test_elf_eflags),
        cmocka_unit_test(test_elf_load_exec),
        cmocka_unit_test(test_elf_load_dyn),
        cmocka_unit_test(test_small_space_layout),
        cmocka_unit_test(test_space_mmap),
        cmocka_unit_test(test_space_mprotect_exec),
        cmocka_unit_test(test_space_mremap),
        cmocka_unit_test(test_space_brk),
        cmocka_unit_test(test_stack_layout),
        cmocka_unit_test(test_stack_too_big),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_stat_conversion),
        cmocka_unit_test(test_guest_access),
        cmocka_unit_test(test_rv_sigframe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
