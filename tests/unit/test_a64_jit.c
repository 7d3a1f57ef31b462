/* SPDX-License-Identifier: MIT */
/* Interpreter vs JIT on random A64 blocks: data processing (immediate,
 * shifted/extended register, bitfield, ADC/SBC, conditional compare and
 * select, multiply, divide, bit ops), loads and stores (scaled offsets,
 * pairs; Q registers also unscaled across the page boundary at x28, and
 * LDP/STP Q), scalar FP (arithmetic, FMADD, compares, FCSEL, conversions,
 * rounding) under random FPCR modes, Advanced SIMD (integer, logical, FP,
 * copies, shifts by immediate, SHRN, TBL, EXT, NOT/NEG, XTN, saturating and
 * pairwise ops through helpers) and forward branches.
 * Both engines run the same code on identical CPUs and memory; every
 * register, NZCV, FPSR/FPCR, QC and the data area must agree. The
 * interpreter is the reference engine (docs/architecture.md). Fixed seeds;
 * VM_CHECK_LONG=1 runs many more. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/aarch64/a64_cpu.h"
#include "vm/engine.h"
#include "vm/log.h"

#include "diff_harness.h"

#define A_CODE 0x1000u
#define A_DATA 0x40000u /* x28 points here: scaled offsets reach +32 KiB, pairs -512 */

typedef struct AProc {
    A64Cpu *cpu;
    uint8_t *mem;
} AProc;

static AProc pi, pj;

static int setup(void **state)
{
    (void)state;
    log_levels[LOG_IR] = LOG_WARN;
    pi.cpu = diff_cpu_new(&a64_arch, &interp_engine, &pi.mem);
    pj.cpu = diff_cpu_new(&a64_arch, &jit_engine, &pj.mem);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    diff_cpu_free(&pi.cpu->common, pi.mem, &interp_engine);
    diff_cpu_free(&pj.cpu->common, pj.mem, &jit_engine);
    return 0;
}

static int a_run(AProc *p, const Engine *e) { return diff_run(&p->cpu->common, e, A_CODE); }

/* -- Random A64 instructions (encodings: DDI 0487 C4.1) ------------------------------ */

/* Destinations avoid x28 (the data base); sources may be anything but SP
 * where 31 means SP for the form. */
static unsigned rd_(void) { return rn(10) ? rn(28) : 31; }
static unsigned rs_(void) { return rn(12) ? rn(29) : 31; }
static unsigned vr(void) { return rn(32); }

static uint32_t gen_insn(unsigned idx, unsigned n)
{
    unsigned k = rn(104), sf = rn(2), S = rn(2), op = rn(2);
    switch (k / 4) {
    case 0: /* add/sub immediate */
        return 0x11000000u | sf << 31 | op << 30 | S << 29 | rn(2) << 22 | rn(4096) << 10 | rs_() << 5 | rd_();
    case 1: /* logical immediate: N = sf, imms not all ones */
        if (sf) return 0x12000000u | 1u << 31 | rn(4) << 29 | 1u << 22 | rn(64) << 16 | rn(63) << 10 | rs_() << 5 | rd_();
        return 0x12000000u | rn(4) << 29 | rn(32) << 16 | rn(31) << 10 | rs_() << 5 | rd_();
    case 2: { /* move wide, bitfield, extract */
        unsigned s = rn(3);
        if (s == 0) return 0x12800000u | sf << 31 | (unsigned[]){0, 2, 3}[rn(3)] << 29 | rn(sf ? 4 : 2) << 21 | rn(65536) << 5 | rd_();
        if (s == 1) return 0x13000000u | sf << 31 | rn(3) << 29 | sf << 22 | rn(sf ? 64 : 32) << 16 | rn(sf ? 64 : 32) << 10 | rs_() << 5 | rd_();
        return 0x13800000u | sf << 31 | sf << 22 | rs_() << 16 | rn(sf ? 64 : 32) << 10 | rs_() << 5 | rd_();
    }
    case 3: /* logical shifted register */
        return 0x0a000000u | sf << 31 | rn(4) << 29 | rn(4) << 22 | rn(2) << 21 | rs_() << 16 | rn(sf ? 64 : 32) << 10 | rs_() << 5 | rd_();
    case 4: /* add/sub shifted register */
        return 0x0b000000u | sf << 31 | op << 30 | S << 29 | rn(3) << 22 | rs_() << 16 | rn(sf ? 64 : 32) << 10 | rs_() << 5 | rd_();
    case 5: /* add/sub extended register */
        return 0x0b200000u | sf << 31 | op << 30 | S << 29 | rs_() << 16 | rn(8) << 13 | rn(5) << 10 | rs_() << 5 | rd_();
    case 6: /* ADC/SBC(S), CCMP/CCMN */
        if (rn(2)) return 0x1a000000u | sf << 31 | op << 30 | S << 29 | rs_() << 16 | rs_() << 5 | rd_();
        return 0x3a400000u | sf << 31 | op << 30 | rs_() << 16 | rn(16) << 12 | rn(2) << 11 | rs_() << 5 | rn(16);
    case 7: /* conditional select */
        return 0x1a800000u | sf << 31 | op << 30 | rs_() << 16 | rn(16) << 12 | rn(2) << 10 | rs_() << 5 | rd_();
    case 8: { /* multiply, divide, shifts, bit ops */
        unsigned s = rn(4);
        if (s == 0) return 0x1b000000u | sf << 31 | rs_() << 16 | rn(2) << 15 | rs_() << 10 | rs_() << 5 | rd_();
        if (s == 1) return (rn(2) ? 0x9b400000u : 0x9bc00000u) | rs_() << 16 | 31u << 10 | rs_() << 5 | rd_();
        if (s == 2) return 0x1ac00000u | sf << 31 | rs_() << 16 | (unsigned[]){2, 3, 8, 9, 10, 11}[rn(6)] << 10 | rs_() << 5 | rd_();
        unsigned o = rn(6);
        if (o == 3) sf = 1;
        return 0x5ac00000u | sf << 31 | o << 10 | rs_() << 5 | rd_();
    }
    case 9: case 10: { /* loads and stores off x28 */
        unsigned size = rn(4), opc = rn(4);
        if (opc == 2 && size == 3) opc = 1;
        if (opc == 3 && size >= 2) opc = 0;
        if (rn(3) == 0) { /* pairs */
            unsigned o = rn(2) ? 2 : 0, rt = rn(28), rt2 = (rt + 1 + rn(26)) % 28;
            return 0x29000000u | o << 30 | rn(2) << 22 | (rn(128) & 0x7f) << 15 | rt2 << 10 | 28u << 5 | rt;
        }
        return 0x39000000u | size << 30 | opc << 22 | rn(4096) << 10 | 28u << 5 | rd_();
    }
    case 11: { /* FP and SIMD loads/stores (S, D, Q; Q also unscaled, across the page at x28, and pairs) */
        unsigned sz = rn(5);
        if (sz == 2) return 0x3d800000u | rn(2) << 22 | rn(2048) << 10 | 28u << 5 | vr();
        if (sz == 3) return 0x3c800000u | rn(2) << 22 | rn(512) << 12 | 28u << 5 | vr(); /* LDUR/STUR Q */
        if (sz == 4) {                                                                     /* LDP/STP Q */
            unsigned rt = vr(), rt2 = (rt + 1 + rn(31)) % 32;
            return 0xad000000u | rn(2) << 22 | rn(128) << 15 | rt2 << 10 | 28u << 5 | rt;
        }
        return 0x3d000000u | (2 + sz) << 30 | rn(2) << 22 | rn(4096) << 10 | 28u << 5 | vr();
    }
    case 12: case 13: /* FP 2-source */
        return 0x1e200800u | rn(2) << 22 | vr() << 16 | rn(9) << 12 | vr() << 5 | vr();
    case 14: { /* FP 1-source: FMOV FABS FNEG FSQRT FCVT FRINT* */
        static const unsigned o[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 14, 15};
        return 0x1e204000u | rn(2) << 22 | o[rn(14)] << 15 | vr() << 5 | vr();
    }
    case 15: /* FMADD family */
        return 0x1f000000u | rn(2) << 22 | rn(2) << 21 | vr() << 16 | rn(2) << 15 | vr() << 10 | vr() << 5 | vr();
    case 16: { /* FCMP(E), FCSEL, FCCMP */
        unsigned s = rn(3), ft = rn(2);
        if (s == 0) return 0x1e202000u | ft << 22 | vr() << 16 | rn(4) << 3 | vr() << 5;
        if (s == 1) return 0x1e200c00u | ft << 22 | vr() << 16 | rn(16) << 12 | vr() << 5 | vr();
        return 0x1e200400u | ft << 22 | vr() << 16 | rn(16) << 12 | rn(2) << 4 | vr() << 5 | rn(16);
    }
    case 17: { /* int <-> FP conversions, FMOV general */
        static const uint32_t base[] = {0x1e220000u, 0x1e230000u, 0x1e380000u, 0x1e390000u, 0x1e200000u,
                                        0x1e300000u, 0x1e240000u, 0x1e280000u};
        unsigned s = rn(10), ft = rn(2);
        if (s >= 8) return (s == 8 ? 0x1e270000u : 0x1e260000u) | ft << 31 | ft << 22 | rs_() << 5 | (s == 8 ? vr() : rd_());
        bool to_int = s >= 2;
        return base[s] | sf << 31 | ft << 22 | (to_int ? vr() : rs_()) << 5 | (to_int ? rd_() : vr());
    }
    case 18: case 19: { /* vector three-same */
        static const struct { unsigned u, op, size; } t[] = {
            {0, 16, 9}, {1, 16, 9}, {0, 19, 8}, {1, 17, 9}, {0, 3, 0}, {0, 3, 2}, {1, 3, 0}, {1, 3, 1},
            {0, 1, 9}, {1, 5, 9}, {0, 23, 9}, {0, 12, 8}, {1, 13, 8}, {0, 6, 9}, {1, 7, 9}, {0, 26, 5},
            {1, 27, 5}, {0, 8, 9}, {0, 17, 9}, {1, 22, 6}, {1, 6, 9}, {1, 12, 8}, {0, 13, 8}, {0, 7, 9},
            {1, 20, 8}, {0, 21, 8}, {1, 3, 2}, {0, 3, 1}, {0, 3, 3}};
        unsigned i = rn(sizeof t / sizeof t[0]), q = rn(2), size;
        size = t[i].size == 9 ? rn(4) : t[i].size == 8 ? rn(3) : t[i].size == 5 ? rn(2) : t[i].size == 6 ? 1 + rn(2) : t[i].size;
        if (size == 3 || (t[i].size == 5 && size == 1)) q = 1;
        return 0x0e200400u | q << 30 | t[i].u << 29 | size << 22 | vr() << 16 | t[i].op << 11 | vr() << 5 | vr();
    }
    case 20: { /* DUP (general), UMOV, INS, MOVI */
        unsigned s = rn(4), e = rn(4), imm5 = (1u << e) | (rn(16 >> e) << (e + 1));
        imm5 &= 31;
        if (s == 0) return 0x0e000c00u | (e == 3 ? 1u : rn(2)) << 30 | imm5 << 16 | rs_() << 5 | vr();
        if (s == 1) return 0x0e003c00u | (e == 3) << 30 | imm5 << 16 | vr() << 5 | rd_();
        if (s == 2) return 0x4e001c00u | imm5 << 16 | rs_() << 5 | vr();
        return 0x0f000400u | rn(2) << 30 | rn(8) << 16 | (unsigned[]){0, 2, 4, 6, 8, 10, 12, 14}[rn(8)] << 12 | rn(32) << 5 | vr();
    }
    case 21: /* saturating narrow/two-reg misc through helpers: SQXTN, ABS, CNT */
        return (unsigned[]){0x0e214800u, 0x0e20b800u, 0x0e205800u, 0x2e212800u}[rn(4)] | rn(2) << 30 | vr() << 5 | vr();
    case 22: /* MRS/MSR NZCV, FPSR */
        if (rn(2)) return 0xd53b4200u | rd_();   /* mrs x, nzcv */
        return rn(2) ? 0xd51b4200u | rs_() : 0xd53b4420u | rd_(); /* msr nzcv, x / mrs x, fpsr */
    case 23: { /* SIMD shifts by immediate, SHRN, TBL (one register), EXT, NOT, NEG, XTN */
        unsigned s = rn(6), e = rn(4), q = rn(2);
        if (s <= 1) { /* SSHR, USHR, SHL, SHRN: immh:immb = esize + shift-code */
            static const unsigned o[4][2] = {{0, 0}, {1, 0}, {0, 10}, {0, 16}};
            unsigned w = rn(4);
            if (w == 3) e = rn(3);
            else if (e == 3) q = 1;
            return 0x0f000400u | q << 30 | o[w][0] << 29 | ((8u << e) + rn(8u << e)) << 16 | o[w][1] << 11 |
                   vr() << 5 | vr();
        }
        if (s == 2) /* indexes mostly from v30/v31 (bytes 0..39) */
            return 0x0e000000u | q << 30 | (rn(2) ? 30 + rn(2) : vr()) << 16 | vr() << 5 | vr();
        if (s == 3) return 0x2e000000u | q << 30 | vr() << 16 | rn(q ? 16 : 8) << 11 | vr() << 5 | vr();
        if (s == 4) {
            if (e == 3) q = 1;
            return (rn(2) ? 0x2e205800u : 0x2e20b800u | e << 22) | q << 30 | vr() << 5 | vr();
        }
        return 0x0e212800u | q << 30 | rn(3) << 22 | vr() << 5 | vr();
    }
    default: /* forward branches inside the sequence */
        if (idx + 3 < n) {
            unsigned off = 1 + rn(3);
            if (rn(2)) return 0x54000000u | off << 5 | rn(15);
            return 0x34000000u | sf << 31 | rn(2) << 24 | off << 5 | rs_();
        }
        return 0x91000000u | rn(4096) << 10 | rs_() << 5 | rd_();
    }
}

static const uint64_t edge[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff,
                                0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, 0x3ff0000000000000ull,
                                0x7ff8000000000000ull, 0x7ff4000000000000ull, 0x3f800000, 0x7fc00000,
                                0x000fffffffffffffull, 0x007fffff};

static void diff(const char *what, int ri, int rj)
{
    A64Cpu *a = pi.cpu, *b = pj.cpu;
    bool bad = ri != rj || a->common.pc != b->common.pc || memcmp(a->x, b->x, sizeof a->x) || a->sp != b->sp ||
               a64_get_nzcv(&a->common) != a64_get_nzcv(&b->common) || a->qc != b->qc ||
               a64_get_fpsr(&a->common) != a64_get_fpsr(&b->common) || a->fpcr != b->fpcr ||
               memcmp(a->v, b->v, sizeof a->v) || memcmp(pi.mem + A_DATA - 0x1000, pj.mem + A_DATA - 0x1000, 0x10000);
    if (!bad) return;
    print_error("%s: exc %d/%d pc 0x%llx/0x%llx nzcv %llx/%llx fpsr %x/%x\n", what, ri, rj,
                (unsigned long long)a->common.pc, (unsigned long long)b->common.pc,
                (unsigned long long)a64_get_nzcv(&a->common), (unsigned long long)a64_get_nzcv(&b->common),
                a64_get_fpsr(&a->common), a64_get_fpsr(&b->common));
    for (int i = 0; i < 31; i++)
        if (a->x[i] != b->x[i])
            print_error("  x%d 0x%llx / 0x%llx\n", i, (unsigned long long)a->x[i], (unsigned long long)b->x[i]);
    for (int i = 0; i < 32; i++)
        if (memcmp(a->v[i], b->v[i], 16))
            print_error("  v%d %016llx:%016llx / %016llx:%016llx\n", i, (unsigned long long)a->v[i][1],
                        (unsigned long long)a->v[i][0], (unsigned long long)b->v[i][1], (unsigned long long)b->v[i][0]);
    fail_msg("%s: interpreter and JIT differ", what);
}

static void fuzz_one(uint64_t seed, unsigned n)
{
    rng = seed * 0x9e3779b97f4a7c15ull + 7;
    uint32_t code[256];
    for (unsigned i = 0; i < n; i++) code[i] = gen_insn(i, n);
    code[n] = 0xd4200000u; /* brk #0 */
    uint64_t x[31], v[32][2], sp = rnd();
    for (int i = 0; i < 31; i++) x[i] = rn(3) ? rnd() : edge[rn(sizeof edge / 8)];
    for (int i = 0; i < 32; i++)
        for (int h = 0; h < 2; h++) v[i][h] = rn(3) ? edge[rn(sizeof edge / 8)] : rnd();
    x[28] = A_DATA;
    for (int i = 30; i < 32; i++) /* TBL indexes: in and out of the table */
        for (int b = 0; b < 16; b++) ((uint8_t *)v[i])[b] = (uint8_t)(rn(4) ? rn(40) : rnd());
    uint32_t fpcr = (uint32_t)rn(4) << 22 | (rn(4) ? 0 : A64_FPCR_FZ) | (rn(3) ? 0 : A64_FPCR_DN);
    uint32_t fpsr = rn(2) ? 0 : (uint32_t)rn(32);
    uint64_t nzcv = (uint64_t)rn(16) << 28;
    AProc *ps[2] = {&pi, &pj};
    for (int k = 0; k < 2; k++) {
        AProc *p = ps[k];
        memset(p->mem, 0, DIFF_MEM);
        memcpy(p->mem + A_CODE, code, 4 * (n + 1));
        uint64_t s2 = seed;
        for (unsigned q = 0; q < 0x10000; q++) {
            s2 = s2 * 6364136223846793005ull + 1442695040888963407ull;
            p->mem[A_DATA - 0x1000 + q] = (uint8_t)(s2 >> 56);
        }
        memcpy(p->cpu->x, x, sizeof x);
        memcpy(p->cpu->v, v, sizeof v);
        p->cpu->sp = sp;
        a64_set_fpcr(&p->cpu->common, fpcr);
        a64_set_fpsr(&p->cpu->common, fpsr);
        a64_set_nzcv(&p->cpu->common, nzcv);
        p->cpu->common.res_valid = 0;
        p->cpu->common.exception = 0;
        p->cpu->common.fault_addr = 0;
    }
    int ri = a_run(&pi, &interp_engine), rj = a_run(&pj, &jit_engine);
    char what[64];
    snprintf(what, sizeof what, "seed %llu", (unsigned long long)seed);
    if (getenv("VM_A64_JIT_DUMP") && (uint64_t)atoll(getenv("VM_A64_JIT_DUMP")) == seed)
        for (unsigned i = 0; i <= n; i++) print_error(".inst 0x%08x\n", code[i]);
    diff(what, ri, rj);
}

static void test_a64_random(void **s)
{
    (void)s;
    const char *lg = getenv("VM_CHECK_LONG");
    unsigned seeds = lg && *lg && *lg != '0' ? 100000 : 2000;
    for (unsigned i = 1; i <= seeds; i++) fuzz_one(i, 8 + (i % 5) * 12);
}

/* The hot path of FP loops: a chain of scalar FP ops whose lane-0 values are
 * forwarded in the frontend, under each FPCR rounding mode (tb_flags). */
static void test_a64_fp_chain(void **s)
{
    (void)s;
    static const uint32_t prog[] = {
        0x1e602800, /* fadd d0, d0, d0 */
        0x1e633842, /* fsub d2, d2, d3 */
        0x1e610801, /* fmul d1, d0, d1 */
        0x1e652840, /* fadd d0, d2, d5 */
        0x1e661821, /* fdiv d1, d1, d6 */
        0x1e220800, /* fmul s0, s0, s2 */
        0x1f430c24, /* fmadd d4, d1, d3, d3 */
        0x1e642080, /* fcmp d4, d4 */
        0xd4200000, /* brk #0 */
    };
    for (unsigned mode = 0; mode < 16; mode++) {
        rng = 1000 + mode;
        AProc *ps[2] = {&pi, &pj};
        uint64_t v[8];
        for (int i = 0; i < 8; i++) v[i] = (rnd() & 0x3fffffffffffffffull) | 0x3000000000000000ull;
        for (int k = 0; k < 2; k++) {
            AProc *p = ps[k];
            memcpy(p->mem + A_CODE, prog, sizeof prog);
            memset(p->cpu->v, 0, sizeof p->cpu->v);
            for (int i = 0; i < 8; i++) p->cpu->v[i][0] = v[i];
            a64_set_fpcr(&p->cpu->common, (mode & 3) << 22 | (mode & 4 ? A64_FPCR_FZ : 0) | (mode & 8 ? A64_FPCR_DN : 0));
            a64_set_fpsr(&p->cpu->common, 0);
        }
        int ri = a_run(&pi, &interp_engine), rj = a_run(&pj, &jit_engine);
        assert_int_equal(ri, EXCP_BREAKPOINT);
        diff("fp chain", ri, rj);
    }
}

/* NZCV against a C reference (ARM ARM J1 AddWithCarry, ConditionHolds):
 * compares store a lazy form (cc_x - cc_y), other setters a packed NZCV,
 * CCMP either (a64_cpu.h); every reader decodes them, in the same block (IR
 * values), in the next block (the slots) and in C (a64_get_nzcv). Each flag setter runs after explicit flags and after a
 * lazy compare, with its readers (SBC's carry, MRS NZCV, CSET of all 14
 * conditions) in its own block and behind a branch, in both engines. */
static unsigned ref_awc(uint64_t x, uint64_t y, unsigned cin, int w)
{
    uint64_t m = w == 64 ? ~0ull : 0xffffffffull, sb = w == 64 ? 1ull << 63 : 1ull << 31;
    x &= m;
    y &= m;
    uint64_t r = (x + y + cin) & m;
    unsigned c = w == 64 ? (unsigned)(((unsigned __int128)x + y + cin) >> 64) : (unsigned)((x + y + cin) >> 32);
    unsigned v = (unsigned)(((~(x ^ y) & (x ^ r)) & sb) != 0);
    return (unsigned)((r & sb) != 0) << 3 | (unsigned)(r == 0) << 2 | c << 1 | v;
}

static bool ref_holds(unsigned f, unsigned cond)
{
    bool n = f >> 3 & 1, z = f >> 2 & 1, c = f >> 1 & 1, v = f & 1, r;
    switch (cond >> 1) {
    case 0: r = z; break;
    case 1: r = c; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = c && !z; break;
    case 5: r = n == v; break;
    case 6: r = n == v && !z; break;
    default: return true;
    }
    return (cond & 1) ? !r : r;
}

static void test_a64_flags(void **s)
{
    (void)s;
    enum { SUB, ADD, ANDF, FCMP, ADC, MSRF, CCMP, CCMN, FCCMP }; /* CCMP and after: cond, #nzcv */
    static const struct { uint32_t enc; int kind, w; uint64_t imm; } ops[] = {
        {0xeb01001f, SUB, 64, ~0ull}, /* cmp x0, x1 */
        {0x6b01001f, SUB, 32, ~0ull}, /* cmp w0, w1 */
        {0x7100141f, SUB, 32, 5},  /* cmp w0, #5 */
        {0xb100041f, ADD, 64, 1},  /* cmn x0, #1 */
        {0xb100001f, ADD, 64, 0},  /* cmn x0, #0 */
        {0x313ffc1f, ADD, 32, 4095}, /* cmn w0, #4095 */
        {0xab010006, ADD, 64, ~0ull}, /* adds x6, x0, x1 */
        {0xea01001f, ANDF, 64, 0}, /* tst x0, x1 */
        {0x1e612000, FCMP, 64, 0}, /* fcmp d0, d1 (after fmov d0, x0; fmov d1, x1) */
        {0xba010006, ADC, 64, 0},  /* adcs x6, x0, x1 */
        {0x7a010006, ADC, 32, 1},  /* sbcs w6, w0, w1 */
        {0xd51b4200, MSRF, 64, 0}, /* msr nzcv, x0 */
        {0xfa410000, CCMP, 64, ~0ull}, /* ccmp x0, x1, #nzcv, cond */
        {0x7a410000, CCMP, 32, ~0ull}, /* ccmp w0, w1, #nzcv, cond */
        {0x7a450800, CCMP, 32, 5}, /* ccmp w0, #5, #nzcv, cond */
        {0xba410000, CCMN, 64, ~0ull}, /* ccmn x0, x1, #nzcv, cond */
        {0xba410800, CCMN, 64, 1}, /* ccmn x0, #1, #nzcv, cond */
        {0xba400800, CCMN, 64, 0}, /* ccmn x0, #0, #nzcv, cond */
        {0x3a5f0800, CCMN, 32, 31}, /* ccmn w0, #31, #nzcv, cond */
        {0x1e610400, FCCMP, 64, 0}, /* fccmp d0, d1, #nzcv, cond */
    };
    uint32_t pres[4][2] = {
        {0xd503201f, 0xd503201f}, /* nop; nop: explicit flags from a64_set_nzcv */
        {0xd503201f, 0xeb03005f}, /* cmp x2, x3 in the same block */
        {0xeb03005f, 0x14000001}, /* cmp x2, x3; b .+4: lazy flags from the slots */
        {0xfa430040, 0x14000001}, /* ccmp x2, x3, #nzcv2, cond2; b .+4: either form */
    };
    AProc *ps[2] = {&pi, &pj};
    const Engine *es[2] = {&interp_engine, &jit_engine};
    rng = 77;
    for (unsigned it = 0; it < 48; it++) {
        uint64_t x[4];
        for (int i = 0; i < 4; i++) x[i] = rn(3) ? edge[rn(sizeof edge / 8)] : rnd();
        if (it % 4 == 0) x[1] = x[0];
        unsigned nzcv0 = (unsigned)rn(16), cond = (unsigned)rn(14), imm4 = (unsigned)rn(16);
        unsigned cond2 = (unsigned)rn(14), nzcv2 = (unsigned)rn(16);
        pres[3][0] = 0xfa430040u | cond2 << 12 | nzcv2;
        unsigned fpre[4] = {nzcv0, ref_awc(x[2], ~x[3], 1, 64), ref_awc(x[2], ~x[3], 1, 64),
                            ref_holds(nzcv0, cond2) ? ref_awc(x[2], ~x[3], 1, 64) : nzcv2};
        for (unsigned o = 0; o < sizeof ops / sizeof ops[0]; o++)
            for (unsigned pre = 0; pre < 4; pre++)
                for (unsigned split = 0; split < 2; split++) {
                    uint32_t code[32];
                    unsigned n = 0;
                    code[n++] = pres[pre][0];
                    code[n++] = pres[pre][1];
                    uint32_t enc = ops[o].enc;
                    if (ops[o].kind >= CCMP) enc |= cond << 12 | imm4;
                    if (ops[o].kind == FCMP || ops[o].kind == FCCMP) {
                        code[n++] = 0x9e670000; /* fmov d0, x0 */
                        code[n++] = 0x9e670021; /* fmov d1, x1 */
                    }
                    code[n++] = enc;
                    if (split) code[n++] = 0x14000001; /* b .+4 */
                    code[n++] = 0xda010008;            /* sbc x8, x0, x1 */
                    code[n++] = 0xd53b4204;            /* mrs x4, nzcv */
                    for (unsigned c = 0; c < 14; c++)  /* cset x(10+c), c */
                        code[n++] = 0x9a9f07e0u | (c ^ 1) << 12 | (10 + c);
                    code[n++] = 0xd4200000; /* brk #0 */
                    /* The reference. */
                    unsigned f = fpre[pre];
                    int w = ops[o].w;
                    uint64_t y = ops[o].imm == ~0ull ? x[1] : ops[o].imm;
                    switch (ops[o].kind) {
                    case SUB: f = ref_awc(x[0], ~y, 1, w); break;
                    case ADC: f = ref_awc(x[0], ops[o].imm ? ~x[1] : x[1], f >> 1 & 1, w); break;
                    case MSRF: f = (unsigned)(x[0] >> 28 & 15); break;
                    case ADD: f = ref_awc(x[0], y, 0, w); break;
                    case ANDF: {
                        uint64_t r = x[0] & x[1];
                        f = (unsigned)(r >> 63) << 3 | (unsigned)(r == 0) << 2;
                        break;
                    }
                    case FCMP: case FCCMP: { /* FPCompare: unordered 0011, = 0110, < 1000, > 0010 */
                        double a, b;
                        memcpy(&a, &x[0], 8);
                        memcpy(&b, &x[1], 8);
                        unsigned fc = a != a || b != b ? 3 : a == b ? 6 : a < b ? 8 : 2;
                        f = ops[o].kind == FCMP || ref_holds(f, cond) ? fc : imm4;
                        break;
                    }
                    case CCMP: f = ref_holds(f, cond) ? ref_awc(x[0], ~y, 1, w) : imm4; break;
                    default: f = ref_holds(f, cond) ? ref_awc(x[0], y, 0, w) : imm4; break;
                    }
                    uint64_t sbc = x[0] + ~x[1] + (f >> 1 & 1);
                    for (int k = 0; k < 2; k++) {
                        AProc *p = ps[k];
                        memcpy(p->mem + A_CODE, code, 4 * n);
                        memcpy(p->cpu->x, x, sizeof x);
                        a64_set_nzcv(&p->cpu->common, (uint64_t)nzcv0 << 28);
                        int r = a_run(p, es[k]);
                        assert_int_equal(r, EXCP_BREAKPOINT);
                        A64Cpu *c = p->cpu;
                        if (c->x[4] != (uint64_t)f << 28 || a64_get_nzcv(&c->common) != (uint64_t)f << 28 ||
                            c->x[8] != sbc)
                            fail_msg("%s: insn 0x%08x pre %u split %u x0 0x%llx x1 0x%llx: nzcv %llx/%llx "
                                     "expected %x, sbc 0x%llx expected 0x%llx",
                                     es[k]->name, enc, pre, split, (unsigned long long)x[0],
                                     (unsigned long long)x[1], (unsigned long long)c->x[4] >> 28,
                                     (unsigned long long)a64_get_nzcv(&c->common) >> 28, f,
                                     (unsigned long long)c->x[8], (unsigned long long)sbc);
                        for (unsigned cc = 0; cc < 14; cc++)
                            if (c->x[10 + cc] != ref_holds(f, cc))
                                fail_msg("%s: insn 0x%08x pre %u split %u: cond %u is %llu for nzcv %x",
                                         es[k]->name, enc, pre, split, cc,
                                         (unsigned long long)c->x[10 + cc], f);
                    }
                }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a64_fp_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a64_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a64_flags, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
