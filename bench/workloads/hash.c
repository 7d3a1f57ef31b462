/* SPDX-License-Identifier: MIT */
/* Hashing: FNV-1a and a 64-bit multiply/rotate mixer over a buffer, plus an
 * open-addressing hash table (insert, lookup, delete). */
#include "bench.h"

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t mix_hash(const uint8_t *p, size_t len, uint64_t seed)
{
    uint64_t h = seed ^ (len * 0x9E3779B97F4A7C15ULL);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t k;
        memcpy(&k, p + i, 8);
        k *= 0x87c37b91114253d5ULL;
        k = rotl(k, 31);
        k *= 0x4cf5ad432745937fULL;
        h ^= k;
        h = rotl(h, 27) * 5 + 0x52dce729;
    }
    for (; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static uint32_t fnv1a(const uint8_t *p, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

enum { TBITS = 14, TSIZE = 1 << TBITS };
static uint64_t tkeys[TSIZE];
static uint32_t tvals[TSIZE];

static uint32_t *table_slot(uint64_t key, int insert)
{
    uint64_t i = (key * 0x9E3779B97F4A7C15ULL) >> (64 - TBITS);
    for (;;) {
        if (tkeys[i] == key)
            return &tvals[i];
        if (tkeys[i] == 0) {
            if (!insert)
                return NULL;
            tkeys[i] = key;
            tvals[i] = 0;
            return &tvals[i];
        }
        i = (i + 1) & (TSIZE - 1);
    }
}

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 6, 1700, 17000);
    static uint8_t buf[16384];
    uint64_t rng = 42;
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)bench_rand(&rng);
    uint64_t acc = 0;
    uint32_t found = 0;
    for (long r = 0; r < n; r++) {
        memset(tkeys, 0, sizeof(tkeys));
        /* Hash variable-length slices and count them in the table. */
        for (size_t off = 0; off + 64 <= sizeof(buf); off += 13) {
            size_t len = 8 + (off % 57);
            uint64_t k = mix_hash(buf + off, len, (uint64_t)r) | 1;
            uint32_t *v = table_slot(k & 0x3fffff, 1);
            (*v)++;
            acc += fnv1a(buf + off, len);
        }
        for (uint64_t k = 1; k < 4096; k++) {
            uint32_t *v = table_slot(k, 0);
            if (v)
                found += *v;
        }
        acc ^= mix_hash(buf, sizeof(buf), acc);
        buf[r % sizeof(buf)] ^= (uint8_t)acc;
    }
    printf("hash n=%ld checksum=%016llx found=%u\n", n,
           (unsigned long long)acc, found);
    return 0;
}
