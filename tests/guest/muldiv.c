/* SPDX-License-Identifier: MIT */
/* Multiply/divide corners. C leaves division by zero and INT_MIN / -1
 * undefined, so on RISC-V those run as inline div/rem instructions (their
 * results are architected: RISC-V unprivileged spec, "M" chapter, table of
 * division corner cases); elsewhere the program prints those architected
 * values computed in C, which makes the native run the expected output. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __riscv
#define RV_OP(name, insn, type)                                   \
    static type name(type a, type b)                              \
    {                                                             \
        type r;                                                   \
        __asm__ volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); \
        return r;                                                 \
    }
RV_OP(rv_div, "div", int64_t)
RV_OP(rv_divu, "divu", uint64_t)
RV_OP(rv_rem, "rem", int64_t)
RV_OP(rv_remu, "remu", uint64_t)
RV_OP(rv_divw, "divw", int64_t)
RV_OP(rv_divuw, "divuw", int64_t)
RV_OP(rv_remw, "remw", int64_t)
RV_OP(rv_remuw, "remuw", int64_t)
#else
/* The architected results, in C. */
static int64_t rv_div(int64_t a, int64_t b)
{
    if (b == 0) return -1;
    if (a == INT64_MIN && b == -1) return INT64_MIN;
    return a / b;
}
static uint64_t rv_divu(uint64_t a, uint64_t b) { return b ? a / b : UINT64_MAX; }
static int64_t rv_rem(int64_t a, int64_t b)
{
    if (b == 0) return a;
    if (a == INT64_MIN && b == -1) return 0;
    return a % b;
}
static uint64_t rv_remu(uint64_t a, uint64_t b) { return b ? a % b : a; }
static int64_t rv_divw(int64_t a64, int64_t b64)
{
    int32_t a = (int32_t)a64, b = (int32_t)b64;
    if (b == 0) return -1;
    if (a == INT32_MIN && b == -1) return INT32_MIN;
    return a / b;
}
static int64_t rv_divuw(int64_t a64, int64_t b64)
{
    uint32_t a = (uint32_t)a64, b = (uint32_t)b64;
    return (int64_t)(int32_t)(b ? a / b : UINT32_MAX);
}
static int64_t rv_remw(int64_t a64, int64_t b64)
{
    int32_t a = (int32_t)a64, b = (int32_t)b64;
    if (b == 0) return a;
    if (a == INT32_MIN && b == -1) return 0;
    return a % b;
}
static int64_t rv_remuw(int64_t a64, int64_t b64)
{
    uint32_t a = (uint32_t)a64, b = (uint32_t)b64;
    return (int64_t)(int32_t)(b ? a % b : a);
}
#endif

static volatile int64_t vals[] = {
    0, 1, -1, 2, -2, 3, 7, -7, 100, INT32_MAX, INT32_MIN, (int64_t)UINT32_MAX,
    INT64_MAX, INT64_MIN, (int64_t)0x123456789abcdefll, -(int64_t)0x123456789abcdefll,
    (int64_t)0xffffffff80000000ll,
};
#define NV (sizeof vals / sizeof vals[0])

int main(void)
{
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned j = 0; j < NV; j++) {
            int64_t a = vals[i], b = vals[j];
            printf("%" PRIx64 " %" PRIx64 ": div=%" PRIx64 " divu=%" PRIx64 " rem=%" PRIx64
                   " remu=%" PRIx64 " divw=%" PRIx64 " divuw=%" PRIx64 " remw=%" PRIx64
                   " remuw=%" PRIx64 "\n",
                   (uint64_t)a, (uint64_t)b, (uint64_t)rv_div(a, b),
                   rv_divu((uint64_t)a, (uint64_t)b), (uint64_t)rv_rem(a, b),
                   rv_remu((uint64_t)a, (uint64_t)b), (uint64_t)rv_divw(a, b),
                   (uint64_t)rv_divuw(a, b), (uint64_t)rv_remw(a, b), (uint64_t)rv_remuw(a, b));
        }
    }
    /* Multiplication corners C defines (unsigned wrap, 128-bit products). */
    for (unsigned i = 0; i < NV; i++) {
        for (unsigned j = 0; j < NV; j++) {
            uint64_t a = (uint64_t)vals[i], b = (uint64_t)vals[j];
            unsigned __int128 pu = (unsigned __int128)a * b;
            __int128 ps = (__int128)(int64_t)a * (int64_t)b;
            __int128 psu = (__int128)(int64_t)a * (__int128)(unsigned __int128)b;
            printf("mul %" PRIx64 " %" PRIx64 ": lo=%" PRIx64 " hu=%" PRIx64 " hs=%" PRIx64
                   " hsu=%" PRIx64 " w=%" PRIx64 "\n", a, b, (uint64_t)pu,
                   (uint64_t)(pu >> 64), (uint64_t)((unsigned __int128)ps >> 64),
                   (uint64_t)((unsigned __int128)psu >> 64),
                   (uint64_t)(int64_t)(int32_t)((uint32_t)a * (uint32_t)b));
        }
    }
    return 0;
}
