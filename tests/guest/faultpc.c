/* SPDX-License-Identifier: MIT */
/* Precise faults in straight-line code: a load and a store to a PROT_NONE
 * page right after register writes and a store that succeed. The SIGSEGV
 * handler must see the pc of the faulting instruction, the registers written
 * before it, and the earlier store in memory (the JIT stores the guest pc
 * only on slow paths and finds it from the host pc on a host fault). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile uintptr_t got_pc, got_reg, got_addr;

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    ucontext_t *uc = ucv;
    got_addr = (uintptr_t)si->si_addr;
#if defined(__riscv)
    got_pc = uc->uc_mcontext.__gregs[REG_PC];
    got_reg = uc->uc_mcontext.__gregs[6]; /* t1 */
#elif defined(__aarch64__)
    got_pc = uc->uc_mcontext.pc;
    got_reg = uc->uc_mcontext.regs[10];
#elif defined(__x86_64__)
    got_pc = uc->uc_mcontext.gregs[REG_RIP];
    got_reg = uc->uc_mcontext.gregs[REG_RCX];
#endif
    siglongjmp(env, 1);
}

/* Writes reg = 1235 and *scratch = 1235, then loads (store = 0) or stores
 * (store = 1) through bad; returns the address of that access. */
__attribute__((noinline, noclone)) static uintptr_t access_bad(uint64_t *scratch, void *bad, int store)
{
    uintptr_t at;
#if defined(__riscv)
    if (store)
        __asm__ volatile("li t0, 1234\n\taddi t1, t0, 1\n\tsd t1, 0(%1)\n\tlla %0, 1f\n\t.option push\n\t"
                         ".option norvc\n1:\tsd t0, 8(%2)\n\t.option pop\n"
                         : "=&r"(at) : "r"(scratch), "r"(bad) : "t0", "t1", "memory");
    else
        __asm__ volatile("li t0, 1234\n\taddi t1, t0, 1\n\tsd t1, 0(%1)\n\tlla %0, 1f\n\t.option push\n\t"
                         ".option norvc\n1:\tld t0, 16(%2)\n\t.option pop\n"
                         : "=&r"(at) : "r"(scratch), "r"(bad) : "t0", "t1", "memory");
#elif defined(__aarch64__)
    if (store)
        __asm__ volatile("mov x9, #1234\n\tadd x10, x9, #1\n\tstr x10, [%1]\n\tadr %0, 1f\n1:\tstr x9, [%2, #8]\n"
                         : "=&r"(at) : "r"(scratch), "r"(bad) : "x9", "x10", "memory");
    else
        __asm__ volatile("mov x9, #1234\n\tadd x10, x9, #1\n\tstr x10, [%1]\n\tadr %0, 1f\n1:\tldr x9, [%2, #16]\n"
                         : "=&r"(at) : "r"(scratch), "r"(bad) : "x9", "x10", "memory");
#elif defined(__x86_64__)
    if (store)
        __asm__ volatile("mov $1234, %%eax\n\tlea 1(%%rax), %%rcx\n\tmov %%rcx, (%1)\n\tlea 1f(%%rip), %0\n"
                         "1:\tmov %%rax, 8(%2)\n"
                         : "=&r"(at) : "r"(scratch), "r"(bad) : "rax", "rcx", "memory");
    else
        __asm__ volatile("mov $1234, %%eax\n\tlea 1(%%rax), %%rcx\n\tmov %%rcx, (%1)\n\tlea 1f(%%rip), %0\n"
                         "1:\tmov 16(%2), %%rax\n"
                         : "=&r"(at) : "r"(scratch), "r"(bad) : "rax", "rcx", "memory");
#else
    (void)scratch;
    (void)bad;
    (void)store;
    at = 0;
#endif
    return at;
}

int main(void)
{
    long psz = sysconf(_SC_PAGESIZE);
    char *bad = mmap(NULL, (size_t)psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bad == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    static const char *what[2] = {"load", "store"};
    for (int round = 0; round < 3; round++) {
        for (int st = 0; st < 2; st++) {
            /* Where the access sits: one call without faulting to a good page first. */
            static uint64_t scratch[4], good[4];
            uintptr_t at = access_bad(scratch, good, st);
            scratch[0] = 0;
            got_pc = got_reg = got_addr = 0;
            if (sigsetjmp(env, 1) == 0) {
                access_bad(scratch, bad, st);
                printf("%s: no fault\n", what[st]);
                continue;
            }
            printf("%s round %d: pc %s, register %s, earlier store %s, address %s\n", what[st], round,
                   got_pc == at ? "ok" : "WRONG", got_reg == 1235 ? "ok" : "WRONG",
                   scratch[0] == 1235 ? "ok" : "WRONG",
                   got_addr == (uintptr_t)bad + (st ? 8 : 16) ? "ok" : "WRONG");
        }
    }
    return 0;
}
