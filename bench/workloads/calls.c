/* SPDX-License-Identifier: MIT */
/* Call-heavy code: deep recursion (fib, Ackermann, a recursive tree walk)
 * and indirect calls through a function-pointer table. noinline keeps the
 * calls real at -O2. */
#include "bench.h"

#define NOINLINE __attribute__((noinline))

static NOINLINE uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static NOINLINE uint32_t ack(uint32_t m, uint32_t n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

typedef struct Tree { struct Tree *l, *r; uint32_t v; } Tree;
static Tree tree_pool[1 << 12];

static NOINLINE Tree *build(int depth, uint32_t *id)
{
    Tree *t = &tree_pool[(*id)++];
    t->v = *id * 2654435761u;
    t->l = depth ? build(depth - 1, id) : NULL;
    t->r = depth ? build(depth - 1, id) : NULL;
    return t;
}

static NOINLINE uint32_t walk(const Tree *t)
{
    return t ? (t->v ^ walk(t->l)) + walk(t->r) * 3 : 0;
}

typedef uint32_t (*Op)(uint32_t, uint32_t);
static NOINLINE uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static NOINLINE uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
static NOINLINE uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }
static NOINLINE uint32_t op_mul(uint32_t a, uint32_t b) { return a * (b | 1); }
static NOINLINE uint32_t op_rot(uint32_t a, uint32_t b) { return (a << (b & 31)) | (a >> ((32 - (b & 31)) & 31)); }
static NOINLINE uint32_t op_min(uint32_t a, uint32_t b) { return a < b ? a : b + 1; }
static NOINLINE uint32_t op_max(uint32_t a, uint32_t b) { return a > b ? a : b - 1; }
static NOINLINE uint32_t op_avg(uint32_t a, uint32_t b) { return (a >> 1) + (b >> 1) + 7; }
static Op volatile ops[8] = {op_add, op_sub, op_xor, op_mul, op_rot, op_min, op_max, op_avg};

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 4, 600, 6000);
    uint32_t h = 0, id = 0;
    Tree *root = build(10, &id);
    uint64_t rng = 99;
    for (long i = 0; i < n; i++) {
        h += fib(18 + (uint32_t)(i & 1));
        h ^= ack(2, 200 + (uint32_t)(i % 50));
        h += walk(root);
        uint32_t a = (uint32_t)i;
        for (int k = 0; k < 4000; k++) {
            uint64_t r = bench_rand(&rng);
            a = ops[r & 7](a, (uint32_t)(r >> 32));
        }
        h = h * 31 + a;
    }
    printf("calls n=%ld checksum=%08x\n", n, h);
    return 0;
}
