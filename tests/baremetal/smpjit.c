/* SPDX-License-Identifier: MIT */
/* Bare-metal, two harts (-smp 2): code generated and rewritten while both
 * run, for the JIT's shared code cache. Each hart writes thousands of small
 * functions into its own buffer, runs them and checks their results, over
 * and over, so that with a tiny cache (-jit cache=4M) the pool fills and is
 * flushed many times while the other hart is in generated code; hart 1 also
 * rewrites a buffer hart 0 runs (cross-modifying code: writer stores, then
 * a release flag; reader acquires, fence.i, runs: the unprivileged spec's
 * Zifencei chapter). Shared counters updated with AMOs and LR/SC check that
 * neither hart loses an update. Last, both harts write new code at once,
 * so that both find the pool full (a flush waits for every vCPU to leave
 * generated code, and must never free code a vCPU runs). Entered by every hart at _start with a0 =
 * mhartid (vm -bios none); exits through the test finisher. */
#include <stdint.h>

#define FINISHER ((volatile uint32_t *)0x100000)
#define LI_A0(k) (0x00000513u | ((uint32_t)(k) & 0xfff) << 20) /* addi a0, zero, k */
#define ADDI_A0(k) (0x00050513u | ((uint32_t)(k) & 0xfff) << 20) /* addi a0, a0, k */
#define RET 0x00008067u

#define NFN 4096   /* functions per hart buffer (3 instructions each, 16 bytes apart) */
#define ROUNDS 12
#define XROUNDS 64 /* cross-modifying handshakes */
#define XFN 256

static uint32_t buf[2][NFN * 4] __attribute__((aligned(4096)));
static uint32_t xbuf[XFN * 4] __attribute__((aligned(4096)));
uint8_t stacks[2][16384] __attribute__((aligned(16), used));

static volatile uint64_t amo_count, lrsc_count;
static volatile uint32_t xflag, xack, done[2], fail_code;

#define CHURN_ROUNDS 24 /* phase 3: new code per hart, 24 x NFN functions */

__asm__(".section .text.init\n"
        ".globl _start\n"
        "_start:\n"
        "  csrr a0, mhartid\n"
        "  li t0, 2\n"
        "  bgeu a0, t0, 9f\n"          /* more harts than the test wants: park */
        "  la sp, stacks\n"
        "  addi t0, a0, 1\n"
        "  slli t0, t0, 14\n"
        "  add sp, sp, t0\n"
        "  la t0, trap\n"
        "  csrw mtvec, t0\n"
        "  call hart_main\n"
        "9: wfi\n"
        "  j 9b\n"
        ".balign 4\n"
        "trap:\n"                     /* any trap is a failure: code 0x7000 + mcause */
        "  csrr a0, mcause\n"
        "  li t0, 0x7000\n"
        "  add a0, a0, t0\n"
        "  slli a0, a0, 16\n"
        "  li t0, 0x3333\n"
        "  or a0, a0, t0\n"
        "  li t0, 0x100000\n"
        "  sw a0, 0(t0)\n"
        "1: j 1b\n"
        ".text\n");

static void fail(uint32_t code)
{
    __atomic_store_n(&fail_code, code, __ATOMIC_SEQ_CST);
    *FINISHER = code << 16 | 0x3333;
    for (;;) __asm__ volatile("wfi");
}

static inline void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

typedef uint64_t (*Fn)(void);
static uint64_t call(const uint32_t *p) { return ((Fn)(uintptr_t)p)(); }

/* Function i of version v: a0 = (i + v) & 0x3ff, computed in two steps so
 * that every function is distinct code. */
static void put(uint32_t *p, unsigned i, unsigned v)
{
    unsigned k = (i + v) & 0x3ff;
    p[0] = LI_A0(k & 0x1ff);
    p[1] = ADDI_A0(k - (k & 0x1ff));
    p[2] = RET;
    p[3] = RET; /* padding, never reached */
}

static void counters(unsigned n)
{
    for (unsigned j = 0; j < n; j++) {
        __atomic_fetch_add(&amo_count, 1, __ATOMIC_RELAXED); /* amoadd.d */
        uint64_t old, t;
        __asm__ volatile("1: lr.d %0, (%2)\n"
                         "   addi %1, %0, 1\n"
                         "   sc.d %1, %1, (%2)\n"
                         "   bnez %1, 1b\n"
                         : "=&r"(old), "=&r"(t)
                         : "r"(&lrsc_count)
                         : "memory");
    }
}

/* Own buffer: write every function, fence.i, run and check them all. */
static void own_rounds(unsigned hart)
{
    uint32_t *b = buf[hart];
    for (unsigned v = 1; v <= ROUNDS; v++) {
        for (unsigned i = 0; i < NFN; i++) put(&b[4 * i], i, v * 7 + hart);
        fence_i();
        for (unsigned i = 0; i < NFN; i++)
            if (call(&b[4 * i]) != ((i + v * 7 + hart) & 0x3ff)) fail(0x100 + hart * 0x10 + v);
        counters(64);
    }
}

static void churn(unsigned hart)
{
    uint32_t *b = buf[hart];
    for (unsigned v = 1; v <= CHURN_ROUNDS; v++) {
        for (unsigned i = 0; i < NFN; i++) put(&b[4 * i], i, v * 5 + hart);
        fence_i();
        for (unsigned i = 0; i < NFN; i++) {
            __asm__ volatile("csrw mscratch, %0" ::"r"((uint64_t)i));
            uint64_t back;
            __asm__ volatile("csrr %0, mscratch" : "=r"(back));
            if (back != i || call(&b[4 * i]) != ((i + v * 5 + hart) & 0x3ff)) fail(0x500 + hart * 0x80 + v);
        }
    }
}

void hart_main(uint64_t hart)
{
    if (hart == 1) {
        own_rounds(1);
        /* Writer of xbuf: version r, then the flag; waits for the reader. */
        for (unsigned r = 1; r <= XROUNDS; r++) {
            for (unsigned i = 0; i < XFN; i++) put(&xbuf[4 * i], i, r * 3);
            __atomic_store_n(&xflag, r, __ATOMIC_RELEASE);
            while (__atomic_load_n(&xack, __ATOMIC_ACQUIRE) != r)
                if (__atomic_load_n(&fail_code, __ATOMIC_RELAXED)) for (;;) __asm__ volatile("wfi");
            counters(8);
        }
        __atomic_store_n(&done[1], 1, __ATOMIC_RELEASE);
        /* Phase 3, under load: both harts write new code until the pool has
         * filled many times (-jit cache=4M), so that both translate into a
         * full pool at once, and leave and re-enter generated code often (a
         * CSR write ends its block). */
        churn(1);
        __atomic_store_n(&done[1], 2, __ATOMIC_RELEASE);
        for (;;) __asm__ volatile("wfi");
    }
    own_rounds(0);
    /* Reader: each new version is seen after fence.i (Zifencei). */
    for (unsigned r = 1; r <= XROUNDS; r++) {
        while (__atomic_load_n(&xflag, __ATOMIC_ACQUIRE) != r) {
        }
        fence_i();
        for (unsigned i = 0; i < XFN; i++)
            if (call(&xbuf[4 * i]) != ((i + r * 3) & 0x3ff)) fail(0x200 + r);
        __atomic_store_n(&xack, r, __ATOMIC_RELEASE);
        counters(8);
    }
    while (!__atomic_load_n(&done[1], __ATOMIC_ACQUIRE)) {
    }
    churn(0);
    while (__atomic_load_n(&done[1], __ATOMIC_ACQUIRE) != 2) {
    }
    uint64_t want = 2 * (ROUNDS * 64 + XROUNDS * 8);
    if (amo_count != want) fail(0x300);
    if (lrsc_count != want) fail(0x301);
    *FINISHER = 0x5555;
    for (;;) __asm__ volatile("wfi");
}
