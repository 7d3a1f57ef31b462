/* SPDX-License-Identifier: MIT */
/* Runs of byte stores, the shape compilers give memcpy(&u64, p, 8) on
 * targets without fast unaligned access (riscv64: bytes 5, 6, 0, 1, 2, 3, 4,
 * 7, then one 8-byte load). The JIT merges such runs into one wide store in
 * user mode (src/opt/stmerge.c); what a program can see must not change:
 * - the bytes, read back by a wide load right after (store forwarding);
 * - a run crossing into an inaccessible page: the first store (in program
 *   order) to that page faults, si_addr is its address, and exactly the
 *   stores before it are done;
 * - a run wholly on a read-only page: the first store faults, nothing stored.
 * Volatile stores keep the program order on every architecture. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile uintptr_t fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(env, 1);
}

/* The run of 8, in gcc's riscv64 memcpy order: all bytes loaded first, then
 * stored with nothing between the stores (written in assembly: gcc puts
 * register moves between volatile stores, which would end a run). */
__attribute__((noinline)) static void store8(volatile uint8_t *p, const volatile uint8_t *s)
{
#if defined(__riscv)
    __asm__ volatile("lbu t0, 5(%1)\n\tlbu t1, 6(%1)\n\tlbu t2, 0(%1)\n\tlbu t3, 1(%1)\n\t"
                     "lbu t4, 2(%1)\n\tlbu t5, 3(%1)\n\tlbu t6, 4(%1)\n\tlbu a7, 7(%1)\n\t"
                     "sb t0, 5(%0)\n\tsb t1, 6(%0)\n\tsb t2, 0(%0)\n\tsb t3, 1(%0)\n\t"
                     "sb t4, 2(%0)\n\tsb t5, 3(%0)\n\tsb t6, 4(%0)\n\tsb a7, 7(%0)"
                     : : "r"(p), "r"(s) : "t0", "t1", "t2", "t3", "t4", "t5", "t6", "a7", "memory");
#elif defined(__aarch64__)
    __asm__ volatile("ldrb w9, [%1, #5]\n\tldrb w10, [%1, #6]\n\tldrb w11, [%1]\n\tldrb w12, [%1, #1]\n\t"
                     "ldrb w13, [%1, #2]\n\tldrb w14, [%1, #3]\n\tldrb w15, [%1, #4]\n\tldrb w16, [%1, #7]\n\t"
                     "strb w9, [%0, #5]\n\tstrb w10, [%0, #6]\n\tstrb w11, [%0]\n\tstrb w12, [%0, #1]\n\t"
                     "strb w13, [%0, #2]\n\tstrb w14, [%0, #3]\n\tstrb w15, [%0, #4]\n\tstrb w16, [%0, #7]"
                     : : "r"(p), "r"(s) : "w9", "w10", "w11", "w12", "w13", "w14", "w15", "w16", "memory");
#else
    uint8_t b5 = s[5], b6 = s[6], b0 = s[0], b1 = s[1], b2 = s[2], b3 = s[3], b4 = s[4], b7 = s[7];
    p[5] = b5;
    p[6] = b6;
    p[0] = b0;
    p[1] = b1;
    p[2] = b2;
    p[3] = b3;
    p[4] = b4;
    p[7] = b7;
#endif
}

/* A run of 4 in descending order. */
__attribute__((noinline)) static void store4(volatile uint8_t *p, const volatile uint8_t *s)
{
#if defined(__riscv)
    __asm__ volatile("lbu t0, 3(%1)\n\tlbu t1, 2(%1)\n\tlbu t2, 1(%1)\n\tlbu t3, 0(%1)\n\t"
                     "sb t0, 3(%0)\n\tsb t1, 2(%0)\n\tsb t2, 1(%0)\n\tsb t3, 0(%0)"
                     : : "r"(p), "r"(s) : "t0", "t1", "t2", "t3", "memory");
#elif defined(__aarch64__)
    __asm__ volatile("ldrb w9, [%1, #3]\n\tldrb w10, [%1, #2]\n\tldrb w11, [%1, #1]\n\tldrb w12, [%1]\n\t"
                     "strb w9, [%0, #3]\n\tstrb w10, [%0, #2]\n\tstrb w11, [%0, #1]\n\tstrb w12, [%0]"
                     : : "r"(p), "r"(s) : "w9", "w10", "w11", "w12", "memory");
#else
    uint8_t b3 = s[3], b2 = s[2], b1 = s[1], b0 = s[0];
    p[3] = b3;
    p[2] = b2;
    p[1] = b1;
    p[0] = b0;
#endif
}

static uint64_t load8(const volatile uint8_t *p)
{
    uint64_t v;
    memcpy(&v, (const void *)p, 8);
    return v;
}

static void show(const char *what, const volatile uint8_t *p, int n)
{
    printf("%s:", what);
    for (int i = 0; i < n; i++) printf(" %02x", p[i]);
    printf("\n");
}

/* Stores a run of 8 (or 4) at p; reports the fault offset from p, if any. */
static void try_store(const char *what, volatile uint8_t *p, int wide8, const volatile uint8_t *show_from,
                      int show_n)
{
    fault_addr = 0;
    if (!sigsetjmp(env, 1)) {
        static const uint8_t src[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
        if (wide8) store8(p, src);
        else store4(p, src + 4);
        printf("%s: no fault\n", what);
    } else {
        printf("%s: fault at p%+ld\n", what, (long)(fault_addr - (uintptr_t)p));
    }
    show(what, show_from, show_n);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    long pg = sysconf(_SC_PAGESIZE);

    /* Many times in a loop (compiled, chained), values read back at once. */
    static uint8_t buf[64];
    uint64_t sum = 0;
    for (uint64_t i = 0; i < 100000; i++) {
        volatile uint8_t *p = buf + (i % 40);
        uint64_t v = i * 0x9e3779b97f4a7c15ull;
        store8(p, (const volatile uint8_t *)&v);
        sum = sum * 31 + load8(p);
        store4(p + 9, (const volatile uint8_t *)&v + 2);
        sum ^= load8(p + 8);
    }
    printf("loop sum %016llx\n", (unsigned long long)sum);

    /* Page N accessible, page N+1 not. */
    uint8_t *m = mmap(NULL, 3 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    uint8_t *end = m + pg;
    if (mprotect(end, (size_t)pg, PROT_NONE) || mprotect(end + pg, (size_t)pg, PROT_READ)) {
        perror("mprotect");
        return 1;
    }
    for (int k = 1; k <= 8; k++) {
        char what[32];
        memset(end - 8, 0xee, 8);
        snprintf(what, sizeof(what), "cross8 -%d", k);
        try_store(what, end - k, 1, end - 8, 8);
    }
    for (int k = 1; k <= 4; k++) {
        char what[32];
        memset(end - 4, 0xee, 4);
        snprintf(what, sizeof(what), "cross4 -%d", k);
        try_store(what, end - k, 0, end - 4, 4);
    }
    /* Wholly on the read-only third page. */
    try_store("readonly8", end + pg + 100, 1, end + pg + 100, 8);
    try_store("readonly4", end + pg + 200, 0, end + pg + 200, 4);
    /* Wholly on the inaccessible page. */
    try_store("none8", end + 16, 1, end - 8, 8);
    printf("done\n");
    return 0;
}
