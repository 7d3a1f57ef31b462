/* SPDX-License-Identifier: MIT */
/* A program that tries to reach memory outside its own: loads, stores,
 * atomics and jumps at wild addresses (near 2^64, 2^63, 2^47, and around
 * 1 TiB, where vm's user-mode address space ends), misaligned atomics that
 * straddle the end of a page mapped just below 1 TiB, mmap/munmap/mprotect
 * of ranges that wrap around 2^64, and system calls handed such pointers.
 * Natively each access faults and each call fails; under vm every one must
 * be a guest SIGSEGV/SIGBUS or an error return, never a host crash or a
 * write to host memory. The output is the same natively and under vm. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TIB (1ull << 40)

static sigjmp_buf env;
static volatile int faults;

static void on_fault(int sig)
{
    faults++;
    siglongjmp(env, sig);
}

typedef void (*Probe)(uintptr_t a);

static void ld8(uintptr_t a) { (void)*(volatile uint8_t *)a; }
static void ld64(uintptr_t a) { (void)*(volatile uint64_t *)a; }
static void st8(uintptr_t a) { *(volatile uint8_t *)a = 0x5a; }
static void st64(uintptr_t a) { *(volatile uint64_t *)a = 0x5a5a5a5a5a5a5a5aull; }
static void amo32(uintptr_t a) { __atomic_fetch_add((uint32_t *)a, 1, __ATOMIC_SEQ_CST); }
static void amo64(uintptr_t a) { __atomic_fetch_or((uint64_t *)a, 1, __ATOMIC_SEQ_CST); }
static void cas64(uintptr_t a)
{
    uint64_t want = 0;
    __atomic_compare_exchange_n((uint64_t *)a, &want, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
static void jump(uintptr_t a) { ((void (*)(void))a)(); }

/* Runs p(a): "fault" if it raised SIGSEGV or SIGBUS, else "no fault". */
static void probe(const char *what, Probe p, uintptr_t a)
{
    int before = faults;
    if (!sigsetjmp(env, 1)) p(a);
    printf("%-6s %#018llx: %s\n", what, (unsigned long long)a, faults > before ? "fault" : "no fault");
}

static const char *ok(long r) { return r < 0 ? "fails" : "succeeds"; }

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fault;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    setvbuf(stdout, NULL, _IONBF, 0);

    static const uintptr_t wild[] = {
        0xfffffffffffffff8ull, 0xfffffffffffffffcull, 0xffffffffffffffffull, 0xffffffff80000000ull,
        0x8000000000000000ull, 0x7ffffffffffffff8ull, 1ull << 47, (1ull << 47) - 4,
        TIB, TIB - 8, TIB + (1ull << 20), TIB + (2ull << 20) - 4, 0x10,
    };
    for (unsigned i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
        uintptr_t a = wild[i];
        probe("ld8", ld8, a);
        probe("ld64", ld64, a & ~7ull);
        probe("st8", st8, a);
        probe("st64", st64, a & ~7ull);
        probe("amo32", amo32, a & ~3ull);
        probe("amo64", amo64, a & ~7ull);
        probe("cas64", cas64, a & ~7ull);
        probe("jump", jump, a & ~3ull);
    }

    /* The last page below 1 TiB: ours to map (MAP_FIXED), and every access
     * running past its end faults, atomics included. */
    uintptr_t page = TIB - 4096;
    void *m = mmap((void *)page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("mmap below 1 TiB: %s\n", m == (void *)page ? "succeeds" : "fails");
    if (m == (void *)page) {
        probe("st64", st64, TIB - 8);
        probe("ld64", ld64, TIB - 8);
        probe("st8", st8, TIB - 1);
        probe("st8", st8, TIB);
        probe("ld64", ld64, TIB - 4);  /* misaligned, straddles the end */
        probe("st64", st64, TIB - 2);
        probe("amo64", amo64, TIB - 4); /* misaligned atomic across the end */
        probe("amo32", amo32, TIB - 2);
        probe("cas64", cas64, TIB - 4);
        printf("value at 1 TiB - 8: %#llx\n", (unsigned long long)*(volatile uint64_t *)(TIB - 8));
        munmap(m, 4096);
    }
    probe("ld64", ld64, TIB - 8); /* gone again */

    /* Ranges that wrap around 2^64 or lie in the kernel's half. */
    printf("mmap fixed at 2^64-4K, 8K: %s\n",
           ok((long)mmap((void *)0xfffffffffffff000ull, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
    printf("mmap fixed at 2^63: %s\n",
           ok((long)mmap((void *)0x8000000000000000ull, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
    printf("mmap of 2^64-4K bytes: %s\n",
           ok((long)mmap(NULL, (size_t)-4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
    void *h = mmap((void *)0xfffffffffff00000ull, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int hint_ok = h != MAP_FAILED && (*(volatile char *)h = 1, *(volatile char *)h == 1);
    printf("mmap with a hint near 2^64: %s\n", hint_ok ? "succeeds elsewhere" : "fails");
    printf("munmap at 2^64-4K, 8K: %s\n", ok(munmap((void *)0xfffffffffffff000ull, 8192)));
    printf("mprotect at 2^64-4K, 8K: %s\n", ok(mprotect((void *)0xfffffffffffff000ull, 8192, PROT_READ)));
    printf("mprotect at 1 TiB: %s\n", ok(mprotect((void *)TIB, 4096, PROT_READ | PROT_WRITE)));

    /* System calls with pointers outside the space. */
    int fds[2];
    if (pipe(fds)) return 1;
    printf("write from 2^64-8: %s\n", ok(write(fds[1], (void *)0xfffffffffffffff8ull, 16)));
    printf("write from 1 TiB: %s\n", ok(write(fds[1], (void *)TIB, 16)));
    if (write(fds[1], "0123456789abcdef", 16) != 16) return 1;
    printf("read to 2^64-8: %s\n", ok(read(fds[0], (void *)0xfffffffffffffff8ull, 16)));
    printf("read to 1 TiB: %s\n", ok(read(fds[0], (void *)TIB, 16)));
    printf("faults: %d\n", faults);
    return 0;
}
