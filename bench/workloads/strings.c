/* SPDX-License-Identifier: MIT */
/* libc string and memory routines: memcpy, memmove, memset, memcmp, memchr,
 * strlen, strcmp, strchr, strstr, strncpy, over short and medium lengths
 * (what real programs call them with), in the guest's own libc. */
#include "bench.h"

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 40, 27000, 270000);
    static uint8_t src[8192], dst[8192];
    static char words[256][48];
    uint64_t rng = 5;
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)('a' + bench_rand(&rng) % 26);
    for (int w = 0; w < 256; w++) {
        int len = 4 + (int)(bench_rand(&rng) % 40);
        for (int k = 0; k < len; k++)
            words[w][k] = (char)('a' + bench_rand(&rng) % 4);
        words[w][len] = 0;
    }
    uint64_t h = 0;
    for (long r = 0; r < n; r++) {
        size_t len = 64 + (size_t)(r * 37 % 4000);
        size_t off = (size_t)(r * 13 % 2048);
        memcpy(dst, src + off, len);
        memmove(dst + 3, dst, len);
        int mc = memcmp(dst, src, len); /* only the sign is specified */
        h += (uint64_t)(mc < 0 ? 1 : mc > 0 ? 2 : 3);
        memset(dst + len / 2, (int)(r & 0x7f), len / 4);
        const uint8_t *p = memchr(dst, 'z', len);
        h = h * 3 + (p ? (uint64_t)(p - dst) : 0);
        dst[len] = 0;
        h += strlen((char *)dst);
        for (int w = 0; w < 32; w++) {
            const char *a = words[(r + w) & 255], *b = words[(r * 7 + w) & 255];
            int c = strcmp(a, b);
            h = h * 31 + (uint64_t)(c < 0 ? 1 : c > 0 ? 2 : 3);
            const char *q = strchr(a, 'd');
            h += q ? (uint64_t)(q - a) : 99;
            const char *s = strstr((char *)dst, b + strlen(b) - 3);
            h += s ? (uint64_t)(s - (char *)dst) : 7;
        }
        char tmp[64];
        strncpy(tmp, words[r & 255], sizeof(tmp) - 1);
        tmp[sizeof(tmp) - 1] = 0;
        h ^= strlen(tmp);
    }
    printf("strings n=%ld checksum=%016llx\n", n, (unsigned long long)h);
    return 0;
}
