/* SPDX-License-Identifier: MIT */
/* Self-modifying code in user mode: functions generated into an RWX mapping,
 * run, rewritten, run again; with the architecture's instruction-stream sync
 * (__builtin___clear_cache: RISC-V fence.i / riscv_flush_icache, AArch64
 * DC CVAU + IC IVAU + ISB; nothing on x86) and without any (plain stores
 * only, which vm must also notice: issue 5); code arriving through read();
 * a patch of the program's own text after mprotect; and the guest's own
 * protections kept exact (a store to a read-only code page is SIGSEGV).
 * Built for riscv64, aarch64 and natively (x86-64); same output everywhere. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*Fn)(void);

/* Machine code of "return k" (0 <= k < 2048) for the running architecture. */
static size_t gen_ret(uint8_t *p, int k)
{
#if defined(__riscv)
    uint32_t w[2] = {0x00000513u | (uint32_t)k << 20, /* addi a0, zero, k */
                     0x00008067u};                    /* ret */
#elif defined(__aarch64__)
    uint32_t w[2] = {0x52800000u | (uint32_t)k << 5, /* movz w0, #k */
                     0xd65f03c0u};                   /* ret */
#elif defined(__x86_64__)
    uint8_t w[8] = {0xb8, (uint8_t)k, (uint8_t)(k >> 8), 0, 0, 0xc3, 0x90, 0x90}; /* mov eax, k; ret */
#else
#error "smc.c: unknown architecture"
#endif
    memcpy(p, w, sizeof(w));
    return sizeof(w);
}

/* "return a + b" calling two generated functions would need relocations;
 * instead a caller with a loop: calls fn n times, sums the results. */
static int __attribute__((noinline)) call_n(Fn fn, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) s += fn();
    return s;
}

static void sync_code(void *p, size_t len)
{
    __builtin___clear_cache((char *)p, (char *)p + len);
}

static sigjmp_buf jb;
static volatile sig_atomic_t segv_seen;

static void on_segv(int sig)
{
    (void)sig;
    segv_seen = 1;
    siglongjmp(jb, 1);
}

/* Stores one byte at p; 1 if it faulted with SIGSEGV. */
static int store_faults(volatile uint8_t *p, uint8_t v)
{
    segv_seen = 0;
    if (!sigsetjmp(jb, 1)) *p = v;
    return segv_seen;
}

/* Patched at run time: its first bytes are replaced by "return 77". Aligned so
 * the patch stays inside the function on every architecture. */
static volatile int patch_seed = 5;
static int __attribute__((noinline, aligned(64))) patchme(void)
{
    return patch_seed * 3 + 1;
}

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *code = mmap(NULL, (size_t)pg * 4, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    int fails = 0;
#define CHECK(what, got, want)                                                           \
    do {                                                                                 \
        int g_ = (got), w_ = (want);                                                     \
        printf("%-44s %d%s\n", what, g_, g_ == w_ ? "" : "   <-- FAIL");                 \
        if (g_ != w_) fails++;                                                           \
    } while (0)

    /* 1. Generate, run (hot: many calls), rewrite with the sync, run again. */
    Fn f = (Fn)(void *)code;
    size_t n = gen_ret(code, 1);
    sync_code(code, n);
    CHECK("rwx: first version x1000", call_n(f, 1000), 1000);
    gen_ret(code, 2);
    sync_code(code, n);
    CHECK("rwx: rewritten + clear_cache x1000", call_n(f, 1000), 2000);

    /* 2. Plain stores only (no fence.i / IC IVAU / cache-flush call): the
     * emulator has to see the write to a page holding translated code. */
    gen_ret(code, 3);
    CHECK("rwx: rewritten, no sync x1000", call_n(f, 1000), 3000);
    int bad = 0;
    for (int i = 0; i < 300; i++) {
        gen_ret(code, i);
        if (f() != i) bad++;
    }
    CHECK("rwx: 300 rewrites, no sync: wrong results", bad, 0);

    /* 3. Two functions on one page: rewriting one leaves the other intact. */
    Fn g = (Fn)(void *)(code + 256);
    gen_ret(code + 256, 20);
    gen_ret(code, 10);
    sync_code(code, 512);
    CHECK("page shared: f + g", call_n(f, 10) + call_n(g, 10), 300);
    gen_ret(code, 11);
    CHECK("page shared: f rewritten, f + g", call_n(f, 10) + call_n(g, 10), 310);

    /* 4. Data stores to a code page that do not touch code keep it running. */
    code[1024] = 0x5a;
    CHECK("data store on a code page: f", f(), 11);

    /* 5. Code arriving through a syscall (read from a pipe into the code page). */
    int pfd[2];
    uint8_t buf[16];
    if (pipe(pfd)) {
        perror("pipe");
        return 1;
    }
    size_t bn = gen_ret(buf, 42);
    if (write(pfd[1], buf, bn) != (ssize_t)bn || read(pfd[0], code, bn) != (ssize_t)bn) {
        perror("pipe io");
        return 1;
    }
    close(pfd[0]);
    close(pfd[1]);
    CHECK("read() into a code page: f", f(), 42);

    /* 6. Second page: generate there, run, rewrite the first page meanwhile. */
    Fn h = (Fn)(void *)(code + pg);
    gen_ret(code + pg, 7);
    sync_code(code + pg, 16);
    CHECK("second page: h", h(), 7);
    gen_ret(code, 8);
    CHECK("first page rewritten: f + h", f() + h(), 15);

    /* 7. The guest's protections stay exact: read-only code faults on store,
     * a read-write page is writable, PROT_EXEC again runs the current code. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    mprotect(code, (size_t)pg, PROT_READ | PROT_EXEC);
    CHECK("r-x page: f", f(), 8);
    CHECK("r-x page: store faults", store_faults(code, 0), 1);
    CHECK("r-x page: f after the failed store", f(), 8);
    mprotect(code, (size_t)pg, PROT_READ | PROT_WRITE);
    CHECK("rw- page: store faults", store_faults(code + 2000, 1), 0);
    gen_ret(code, 9);
    mprotect(code, (size_t)pg, PROT_READ | PROT_WRITE | PROT_EXEC);
    CHECK("rwx again: f", f(), 9);

    /* 8. fork: the child rewrites its copy; the parent's code is unchanged. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        gen_ret(code, 99);
        _exit(f() == 99 ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK("fork: child ran its rewritten code", WIFEXITED(st) && WEXITSTATUS(st) == 0, 1);
    CHECK("fork: parent's f", f(), 9);

    /* 9. The program's own text: mprotect RWX, patch, run; then R-X again. */
    uintptr_t tp = (uintptr_t)(void *)patchme & ~(uintptr_t)(pg - 1);
    volatile Fn pm = patchme;
    CHECK("text: patchme before", call_n(pm, 100), 1600);
    if (mprotect((void *)tp, (size_t)pg * 2, PROT_READ | PROT_WRITE | PROT_EXEC)) {
        perror("mprotect text");
        return 1;
    }
    uint8_t tmp[16];
    size_t tn = gen_ret(tmp, 77);
    memcpy((void *)(uintptr_t)pm, tmp, tn);
    CHECK("text: patched (no sync) x100", call_n(pm, 100), 7700);
    tn = gen_ret(tmp, 78);
    memcpy((void *)(uintptr_t)pm, tmp, tn);
    sync_code((void *)(uintptr_t)pm, tn);
    CHECK("text: patched + clear_cache x100", call_n(pm, 100), 7800);
    mprotect((void *)tp, (size_t)pg * 2, PROT_READ | PROT_EXEC);
    CHECK("text: r-x again, store faults", store_faults((volatile uint8_t *)(uintptr_t)pm, 0), 1);
    CHECK("text: still patched", pm(), 78);

    munmap(code, (size_t)pg * 4);
    printf("smc: %s\n", fails ? "FAIL" : "ok");
    return fails ? 1 : 0;
}
