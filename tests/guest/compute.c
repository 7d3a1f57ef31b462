/* SPDX-License-Identifier: MIT */
/* A mix of ordinary compiled code (loops, calls, recursion, switch tables,
 * stack spills, byte/half/word loads and stores). For RISC-V it is built
 * twice: -march=rv64gc (compressed instructions) and -march=rv64g (none in
 * this file's code), and both must print what the native build prints. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static unsigned sieve(unsigned n)
{
    static unsigned char comp[200001];
    unsigned count = 0;
    memset(comp, 0, sizeof comp);
    for (unsigned i = 2; i <= n; i++) {
        if (comp[i]) continue;
        count++;
        for (unsigned j = i * 2; j <= n; j += i) comp[j] = 1;
    }
    return count;
}

static int __attribute__((noinline)) classify(int x)
{
    switch (x & 15) {
    case 0: return x * 3;
    case 1: return x - 7;
    case 2: return x ^ 0x55;
    case 3: return x << 2;
    case 4: return -x;
    case 5: return x / 3;
    case 6: return x % 11;
    case 7: return x | 0x100;
    case 8: return x & 0xf0f;
    case 9: return x + 1000;
    case 10: return x >> 1;
    case 11: return ~x;
    default: return x;
    }
}

struct mixed {
    int8_t b;
    uint8_t ub;
    int16_t h;
    uint16_t uh;
    int32_t w;
    uint32_t uw;
    int64_t d;
    float f;
    double g;
};

static uint64_t __attribute__((noinline)) many_args(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                                     uint64_t e, uint64_t f, uint64_t g, uint64_t h,
                                                     uint64_t i, uint64_t j, double x, float y)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j +
           (uint64_t)(x * 100) + (uint64_t)(y * 10);
}

static void isort(int *a, int n)
{
    for (int i = 1; i < n; i++) {
        int v = a[i], j = i - 1;
        while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

int main(void)
{
    printf("fib(25)=%d\n", fib(25));
    printf("primes<=200000: %u\n", sieve(200000));
    int64_t acc = 0;
    for (int i = -5000; i < 5000; i++) acc += classify(i);
    printf("switch acc=%" PRId64 "\n", acc);

    static struct mixed m[64];
    for (int i = 0; i < 64; i++) {
        m[i].b = (int8_t)(i * 37); m[i].ub = (uint8_t)(i * 91); m[i].h = (int16_t)(i * 7919);
        m[i].uh = (uint16_t)(i * 65011); m[i].w = i * -123457; m[i].uw = (uint32_t)i * 3000000017u;
        m[i].d = (int64_t)i * -98765432123ll; m[i].f = (float)i / 7.0f; m[i].g = i * 1.25;
    }
    int64_t s = 0;
    double fs = 0;
    for (int i = 0; i < 64; i++) {
        s += m[i].b + m[i].ub + m[i].h + m[i].uh + m[i].w + m[i].uw + m[i].d;
        fs += m[i].f + m[i].g;
    }
    printf("struct sum=%" PRId64 " fsum=%.6f\n", s, fs);
    printf("many_args=%" PRIu64 "\n", many_args(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1.5, 2.5f));

    int arr[500];
    uint32_t r = 1;
    for (int i = 0; i < 500; i++) { r = r * 1664525u + 1013904223u; arr[i] = (int)(r >> 16) - 32768; }
    isort(arr, 500);
    int ok = 1;
    for (int i = 1; i < 500; i++) ok &= arr[i - 1] <= arr[i];
    printf("isort ok=%d first=%d last=%d mid=%d\n", ok, arr[0], arr[499], arr[250]);

    char text[256];
    int n = 0;
    for (int i = 0; i < 40; i++) n += snprintf(text + n, sizeof text - n, "%c", 'A' + (i * 7) % 26);
    printf("text=%s n=%d\n", text, n);
    return 0;
}
