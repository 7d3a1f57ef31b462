/* SPDX-License-Identifier: MIT */
/* A switch-dispatch bytecode interpreter (the indirect-branch stress that
 * emulators of interpreters see): a small register VM running a prime
 * counter and a Collatz walk. Size = the prime bound. */
#include "bench.h"

enum { OP_LI, OP_MOV, OP_ADD, OP_SUB, OP_MUL, OP_REM, OP_SHR, OP_AND,
       OP_BLT, OP_BGE, OP_BEQ, OP_BNE, OP_JMP, OP_INC, OP_HALT };

typedef struct { uint8_t op, a, b, c; int32_t imm; } Insn;

static int64_t run(const Insn *code, int64_t *r)
{
    const Insn *pc = code;
    for (;;) {
        const Insn *i = pc++;
        switch (i->op) {
        case OP_LI:  r[i->a] = i->imm; break;
        case OP_MOV: r[i->a] = r[i->b]; break;
        case OP_ADD: r[i->a] = r[i->b] + r[i->c]; break;
        case OP_SUB: r[i->a] = r[i->b] - r[i->c]; break;
        case OP_MUL: r[i->a] = r[i->b] * r[i->c]; break;
        case OP_REM: r[i->a] = r[i->c] ? r[i->b] % r[i->c] : 0; break;
        case OP_SHR: r[i->a] = r[i->b] >> (i->imm & 63); break;
        case OP_AND: r[i->a] = r[i->b] & i->imm; break;
        case OP_BLT: if (r[i->a] < r[i->b]) pc = code + i->imm; break;
        case OP_BGE: if (r[i->a] >= r[i->b]) pc = code + i->imm; break;
        case OP_BEQ: if (r[i->a] == r[i->b]) pc = code + i->imm; break;
        case OP_BNE: if (r[i->a] != r[i->b]) pc = code + i->imm; break;
        case OP_JMP: pc = code + i->imm; break;
        case OP_INC: r[i->a] += i->imm; break;
        case OP_HALT: return r[0];
        default: return -1;
        }
    }
}

/* r1 = bound. Counts primes < bound by trial division into r0, and adds the
 * Collatz step count of every n < bound/8 into r9. */
static const Insn prog[] = {
    /* 0 */ {OP_LI, 0, 0, 0, 0},          /* count = 0 */
    /* 1 */ {OP_LI, 2, 0, 0, 2},          /* n = 2 */
    /* 2 */ {OP_BGE, 2, 1, 0, 13},        /* while n < bound */
    /* 3 */ {OP_LI, 3, 0, 0, 2},          /*   d = 2 */
    /* 4 */ {OP_MUL, 4, 3, 3, 0},         /*   loop: t = d*d */
    /* 5 */ {OP_BLT, 2, 4, 0, 10},        /*   if n < t: prime */
    /* 6 */ {OP_REM, 5, 2, 3, 0},         /*   m = n % d */
    /* 7 */ {OP_BEQ, 5, 6, 0, 11},        /*   if m == 0 (r6 = 0): composite */
    /* 8 */ {OP_INC, 3, 0, 0, 1},         /*   d++ */
    /* 9 */ {OP_JMP, 0, 0, 0, 4},
    /* 10 */ {OP_INC, 0, 0, 0, 1},        /* prime: count++ */
    /* 11 */ {OP_INC, 2, 0, 0, 1},        /* n++ */
    /* 12 */ {OP_JMP, 0, 0, 0, 2},
    /* 13 */ {OP_SHR, 7, 1, 0, 3},        /* limit = bound >> 3 */
    /* 14 */ {OP_LI, 9, 0, 0, 0},         /* steps = 0 */
    /* 15 */ {OP_LI, 2, 0, 0, 1},         /* n = 1 */
    /* 16 */ {OP_BGE, 2, 7, 0, 30},       /* while n < limit */
    /* 17 */ {OP_MOV, 8, 2, 0, 0},        /*   x = n */
    /* 18 */ {OP_LI, 10, 0, 0, 1},        /*   one = 1 */
    /* 19 */ {OP_BEQ, 8, 10, 0, 28},      /*   while x != 1 */
    /* 20 */ {OP_INC, 9, 0, 0, 1},        /*     steps++ */
    /* 21 */ {OP_AND, 11, 8, 0, 1},       /*     odd = x & 1 */
    /* 22 */ {OP_BNE, 11, 6, 0, 25},      /*     if odd goto 25 */
    /* 23 */ {OP_SHR, 8, 8, 0, 1},        /*     x >>= 1 */
    /* 24 */ {OP_JMP, 0, 0, 0, 19},
    /* 25 */ {OP_ADD, 12, 8, 8, 0},       /*     x = 3x + 1 */
    /* 26 */ {OP_ADD, 8, 12, 8, 0},
    /* 27 */ {OP_INC, 8, 0, 0, 1}, 
    /* 28 */ {OP_BNE, 8, 10, 0, 19},      /*     (loop while x != 1) */
    /* 29 */ {OP_INC, 2, 0, 0, 1},        /*   n++ ; fallthrough to 16 via next */
    /* 30 */ {OP_BLT, 2, 7, 0, 17},       /* loop */
    /* 31 */ {OP_HALT, 0, 0, 0, 0},
};

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 3000, 180000, 800000);
    int64_t r[16] = {0};
    r[1] = n;
    int64_t primes = run(prog, r);
    printf("bytecode n=%ld primes=%lld collatz_steps=%lld\n", n,
           (long long)primes, (long long)r[9]);
    return 0;
}
