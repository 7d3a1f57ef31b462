/* SPDX-License-Identifier: MIT */
/* A workload whose code does not fit a small JIT code cache: 128 distinct
 * functions (built with -O0: about 200 KiB of load/store-heavy guest code,
 * over 10 MiB of host code) called in turn for several passes, so `vm -jit cache=4M` fills and flushes its code
 * pool again and again mid-run; meanwhile a SIGALRM timer interrupts it and
 * its handler runs more of the same guest code (translating, maybe flushing,
 * inside the handler) and checks the results. Output = the native run's. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

/* One function per number n (100 to 177, digits 0-7): straight-line
 * mixing rounds with n-dependent constants and data-dependent branches, so
 * no two compile to the same code. */
#define ROUND(x, n, r)                                                                \
    x ^= x >> ((n + r) % 29 + 3);                                                     \
    x *= 0x9e3779b97f4a7c15ull + 2ull * (n + r);                                      \
    x += (x << ((n + r) % 11 + 1)) ^ (uint64_t)(n * r);                               \
    if (x & (1ull << ((n + r) % 17)))                                                 \
        x = (x >> 3) * ((n + r) % 5 + 3) + (uint64_t)n * 0x1000193u;                  \
    else                                                                              \
        x = (x ^ 0xa5a5a5a5u) * (uint64_t)((n + r) | 1) - (x >> ((n + r) % 7 + 1));   \
    x ^= x >> 31;                                                                     \
    x *= 0xbf58476d1ce4e5b9ull ^ (uint64_t)(n + r) << 7;                              \
    x = (x << ((n + r) % 13 + 1)) | (x >> (63 - (n + r) % 13));                       \
    x += (uint32_t)(x >> 32) * (uint64_t)((n + r) % 251 + 1);
#define F(n)                                                                          \
    static uint64_t __attribute__((noinline)) f##n(uint64_t x)                        \
    {                                                                                 \
        ROUND(x, n, 1) ROUND(x, n, 2) ROUND(x, n, 3) ROUND(x, n, 4)                   \
        ROUND(x, n, 5) ROUND(x, n, 6) ROUND(x, n, 7) ROUND(x, n, 8)                   \
        return x ^ (x >> 29);                                                         \
    }
/* 2 * 8 * 8 = 128 functions: one repetition macro per level (a macro cannot
 * expand inside itself). */
#define R8A(M, p) M(p##0) M(p##1) M(p##2) M(p##3) M(p##4) M(p##5) M(p##6) M(p##7)
#define R8B(M, p) M(p##0) M(p##1) M(p##2) M(p##3) M(p##4) M(p##5) M(p##6) M(p##7)
#define R2C(M, p) M(p##0) M(p##1)
#define L1(M, p) R8A(M, p)
#define L1F(p) L1(F, p)
#define L2(p) R8B(L1F, p)
#define L3(p) R2C(L2, p)
L3(1)

#define T(n) f##n,
#define L1T(p) L1(T, p)
#define L2T(p) R8B(L1T, p)
#define L3T(p) R2C(L2T, p)
static uint64_t (*const tab[])(uint64_t) = {L3T(1)};
#define NFN (sizeof(tab) / sizeof(tab[0]))

static volatile sig_atomic_t alarms, bad_in_handler;

static void on_alarm(int sig)
{
    (void)sig;
    /* Guest code in the handler (translated there, perhaps after a flush):
     * the same pure functions, twice, must agree. */
    unsigned k = (unsigned)alarms * 97u;
    uint64_t a = 0, b = 0;
    for (unsigned i = 0; i < 4; i++) a = tab[(k + i * 61) % NFN](a + i);
    for (unsigned i = 0; i < 4; i++) b = tab[(k + i * 61) % NFN](b + i);
    if (a != b) bad_in_handler++;
    alarms++;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 20000}, {0, 20000}}; /* every 20 ms */
    setitimer(ITIMER_REAL, &it, NULL);

    /* Fixed passes for the printed checksums; more (unprinted) until the
     * timer has fired a few times, however fast the host. */
    uint64_t acc = 1;
    unsigned pass = 0;
    for (; pass < 6 || (alarms < 3 && pass < 100000); pass++) {
        for (unsigned i = 0; i < NFN; i++) {
            unsigned j = pass & 1 ? NFN - 1 - i : (i * 7 + pass) % NFN; /* changing order */
            acc = tab[j](acc ^ i);
        }
        if (pass < 6) printf("pass %u: %016llx\n", pass, (unsigned long long)acc);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("functions: %u\n", (unsigned)NFN);
    printf("alarm handler ran: %s\n", alarms >= 3 ? "yes" : "no");
    printf("handler mismatches: %d\n", (int)bad_in_handler);
    return 0;
}
