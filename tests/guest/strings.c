/* SPDX-License-Identifier: MIT */
/* libc string and memory routines (which glibc implements with
 * hand-written, often vectorised or unaligned-access code), qsort, bsearch
 * and snprintf/strtol/strtod formatting. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t seed = 12345;
static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
static int sign(int x) { return (x > 0) - (x < 0); }

int main(void)
{
    static unsigned char buf[8192], buf2[8192];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)rnd();

    /* memcpy/memmove at every small offset and length, overlapping both ways. */
    uint32_t acc = 0;
    for (int off = 0; off < 16; off++) {
        for (int len = 0; len < 300; len += 7) {
            memcpy(buf2 + off, buf + 3 * off, len);
            acc = acc * 31 + crc32(buf2, 512);
            memmove(buf2 + off + 5, buf2 + off, len);
            acc = acc * 31 + crc32(buf2, 512);
            memmove(buf2 + off, buf2 + off + 9, len);
            acc = acc * 31 + crc32(buf2, 512);
            memset(buf2 + off, off * 3, len / 2);
            acc = acc * 31 + crc32(buf2, 512);
        }
    }
    printf("memcpy/memmove/memset acc=%08" PRIx32 "\n", acc);
    printf("memcmp: %d %d %d\n", sign(memcmp(buf, buf, 100)), sign(memcmp("abcd", "abce", 4)),
           sign(memcmp("\xff", "\x01", 1)));

    /* strlen at every alignment and length. */
    static char s[600];
    unsigned long total = 0;
    for (int a = 0; a < 16; a++) {
        for (int len = 0; len < 520; len += 13) {
            memset(s, 'x', sizeof s);
            s[a + len] = 0;
            total = total * 7 + strlen(s + a);
        }
    }
    printf("strlen total=%lu\n", total);

    const char *words[] = { "pear", "apple", "fig", "banana", "apples", "", "Zebra", "apple\x7f",
                            "cherry", "date", "elder", "grape", "kiwi", "lemon", "mango" };
    int nw = sizeof words / sizeof words[0];
    for (int i = 0; i + 1 < nw; i++)
        printf("strcmp(%s,%s)=%d strncmp3=%d\n", words[i], words[i + 1],
               sign(strcmp(words[i], words[i + 1])), sign(strncmp(words[i], words[i + 1], 3)));
    qsort(words, nw, sizeof words[0], cmp_str);
    printf("sorted:");
    for (int i = 0; i < nw; i++) printf(" [%s]", words[i]);
    printf("\n");

    const char *hay = "the quick brown fox jumps over the lazy dog; the end";
    const char *needles[] = { "the", "lazy", "dog;", "cat", "", "end", "e e", "x j" };
    for (unsigned i = 0; i < sizeof needles / sizeof needles[0]; i++) {
        const char *p = strstr(hay, needles[i]);
        printf("strstr(%s)=%ld\n", needles[i], p ? (long)(p - hay) : -1L);
    }
    printf("strchr(q)=%ld strrchr(t)=%ld memchr(z)=%ld strspn=%zu strcspn=%zu\n",
           (long)(strchr(hay, 'q') - hay), (long)(strrchr(hay, 't') - hay),
           (long)((const char *)memchr(hay, 'z', strlen(hay)) - hay), strspn(hay, "teh "),
           strcspn(hay, "xyz"));

    char tok[] = "a,b,,c;d e";
    printf("strtok:");
    for (char *t = strtok(tok, ",; "); t; t = strtok(NULL, ",; ")) printf(" <%s>", t);
    printf("\n");

    /* qsort + bsearch on a large int array. */
    static int arr[20000];
    for (int i = 0; i < 20000; i++) arr[i] = (int)(rnd() % 100000) - 50000;
    qsort(arr, 20000, sizeof arr[0], cmp_int);
    int sorted = 1;
    for (int i = 1; i < 20000; i++) sorted &= arr[i - 1] <= arr[i];
    int key = arr[12345];
    int *found = bsearch(&key, arr, 20000, sizeof arr[0], cmp_int);
    printf("qsort sorted=%d min=%d max=%d median=%d found=%d crc=%08" PRIx32 "\n", sorted, arr[0],
           arr[19999], arr[10000], found && *found == key,
           crc32((const unsigned char *)arr, sizeof arr));

    /* Formatting and parsing. */
    char out[256];
    int n = snprintf(out, sizeof out, "%d|%5d|%-5d|%05d|%x|%X|%#o|%lld|%llu|%c|%.3s|%10.4f|%e|%g|%g|%%",
                     -42, 42, 42, -42, 0xbeefu, 0xbeefu, 8u, -9000000000000ll,
                     18446744073709551615ull, 'Z', "abcdef", 3.14159265, 12345.678, 0.0001, 1e20);
    printf("snprintf n=%d [%s]\n", n, out);
    volatile size_t small = 8;
    n = snprintf(out, small, "%s", words[3]);
    printf("snprintf trunc n=%d [%s]\n", n, out);
    printf("%.20f %.17g %a %.0f %.0f %.1f\n", 0.1, 1.0 / 3, 1.0 / 3, 0.5, 1.5, 0.05);
    char *end;
    printf("strtol %ld %ld %ld %lu\n", strtol("  -123abc", &end, 10), strtol("0x7fffffff", NULL, 16),
           strtol("777", NULL, 8), strtoul("18446744073709551615", NULL, 10));
    printf("strtol end=[%s]\n", end);
    printf("strtod %a %a %a %g\n", strtod("0.1", NULL), strtod("1e-310", NULL),
           strtod("0x1.8p3", NULL), strtod("123.456e2", NULL));
    printf("atoi %d sscanf ", atoi("  77z"));
    int a1, a2;
    char w[16];
    if (sscanf("12 34 word", "%d %d %15s", &a1, &a2, w) == 3) printf("%d %d %s\n", a1, a2, w);
    return 0;
}
