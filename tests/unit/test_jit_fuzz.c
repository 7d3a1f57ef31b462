/* SPDX-License-Identifier: MIT */
/* Differential fuzzing of the L1 JIT against the IR interpreter: random RISC-V
 * programs (RV64GC + Zba/Zbb/Zbs/Zicond: every integer, M, A, F and D
 * instruction, every static rounding mode and the dynamic one under every frm
 * value, RVC encodings, forward branches and jumps, loads and stores of every
 * size, misaligned and faulting, random encodings) run from the same state
 * under both engines; x/f registers, pc, fcsr, the exception, the LR
 * reservation and all of memory must agree. The JIT runs each program twice:
 * cold (translating as it goes) and warm (chained exits, jump-cache hits).
 * Guest memory is a real user-mode address space (src/user): 1 MiB mapped in a
 * 2 MiB space, with a PROT_NONE page and a read-only page inside, so faults
 * come both from the engines' bounds checks and from host SIGSEGVs through
 * user mode's fault handler (the JIT's precise-exception path).
 *
 *   build/tests/test_jit_fuzz                       fixed seeds (make check)
 *   VM_FUZZ_ITERS=N [VM_FUZZ_SEED=S] ...            N seeds from S (make check-fuzz)
 *   VM_FUZZ_SEED=S VM_FUZZ_ITERS=1 ...              reproduce one seed (program listed)
 *   VM_FUZZ_SEEDS=a,b,... ...                       these seeds, in order
 *   VM_FUZZ_DEBUG=MASK                              -d items as a mask (1 in_asm, 2 ir,
 *                                                   4 out_asm) and one line per seed
 * A seed that finds a bug is to be kept as a fixed regression case in
 * test_random (the long runs so far found none; docs/status.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <cmocka.h>

#include "frontend/riscv64/rv_cpu.h"
#include "user/user_int.h"
#include "vm/arch.h"
#include "vm/disas.h"
#include "vm/engine.h"
#include "vm/log.h"

#include "diff_harness.h"
#include "rv_encode.h"

/* -- A fake user-mode RISC-V process per engine -------------------------------------- */

#define MEM_SIZE (1u << 20)    /* mapped; the space is twice that (the rest PROT_NONE) */
#define SPACE_SIZE (2u << 20)
#define CODE 0x10000u  /* the program; out of reach of small-constant addresses */
#define DATA 0x40000u  /* data pointers x2, x8, x9, x28, x29 point around here */
#define HOLE (DATA + 0x3000u)  /* PROT_NONE page */
#define ROPG (DATA + 0x5000u)  /* read-only page */
#define MAX_INSNS 96

typedef struct Proc {
    RvCpu *cpu;
    uint8_t *mem;
    LxProc lx;
} Proc;

static Proc pi, pj;  /* interpreter, JIT */
static uint8_t *mem0; /* initial memory of the current program */

/* As user mode's fetch, without its code-page tracking. */
static int fz_fetch(CpuState *cpu, uint64_t va, void *buf, unsigned len)
{
    if (!lx_access_ok(&((LxProc *)cpu->opaque)->space, va, len, LX_PG_EXEC)) return -14;
    memcpy(buf, cpu->guest_base + va, len);
    return 0;
}
static const MemOps fz_memops = {.fetch = fz_fetch};

static void proc_new(Proc *p, const Engine *e)
{
    assert_int_equal(posix_memalign((void **)&p->cpu, 64, sizeof(RvCpu)), 0);
    memset(p->cpu, 0, sizeof(RvCpu));
    LxSpace *sp = &p->lx.space;
    assert_int_equal(lx_space_init(sp, SPACE_SIZE), 0);
    assert_int_equal(lx_mmap(sp, 0, MEM_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), 0);
    assert_int_equal(lx_munmap(sp, HOLE, LX_PAGE_SIZE), 0);
    p->mem = sp->base;
    for (unsigned q = 0; q < LX_PAGE_SIZE; q++) p->mem[ROPG + q] = (uint8_t)(q * 13 + 7);
    assert_int_equal(lx_mprotect(sp, ROPG, LX_PAGE_SIZE, PROT_READ), 0);
    p->cpu->common.arch = &rv_arch;
    p->cpu->common.mem = &fz_memops;
    p->cpu->common.guest_base = sp->base;
    p->cpu->common.guest_limit = sp->limit;
    p->cpu->common.opaque = &p->lx;
    p->lx.cpu = &p->cpu->common;
    p->lx.engine = e;
    assert_int_equal(e->cpu_init(&p->cpu->common), 0);
}

/* Copies or compares memory except the PROT_NONE page (and the read-only
 * one, which never changes). */
static void copy_mem(uint8_t *dst, const uint8_t *src)
{
    memcpy(dst, src, HOLE);
    memcpy(dst + HOLE + LX_PAGE_SIZE, src + HOLE + LX_PAGE_SIZE, ROPG - HOLE - LX_PAGE_SIZE);
    memcpy(dst + ROPG + LX_PAGE_SIZE, src + ROPG + LX_PAGE_SIZE, MEM_SIZE - ROPG - LX_PAGE_SIZE);
}
static bool mem_equal(const uint8_t *a, const uint8_t *b)
{
    return !memcmp(a, b, HOLE) &&
           !memcmp(a + HOLE + LX_PAGE_SIZE, b + HOLE + LX_PAGE_SIZE, MEM_SIZE - HOLE - LX_PAGE_SIZE);
}

static int setup(void **state)
{
    (void)state;
    log_levels[LOG_IR] = LOG_WARN;
    if (getenv("VM_FUZZ_DEBUG")) log_mask |= (uint32_t)strtoul(getenv("VM_FUZZ_DEBUG"), NULL, 0);
    proc_new(&pi, &interp_engine);
    proc_new(&pj, &jit_engine);
    mem0 = malloc(MEM_SIZE);
    assert_non_null(mem0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    interp_engine.cpu_free(&pi.cpu->common);
    jit_engine.cpu_free(&pj.cpu->common);
    lx_proc = NULL;
    lx_space_free(&pi.lx.space);
    lx_space_free(&pj.lx.space);
    free(pi.cpu);
    free(pj.cpu);
    free(mem0);
    return 0;
}

/* User mode's host fault handler turns a SIGSEGV in the space into a guest
 * fault. Installed by each test function: cmocka sets its own SIGSEGV
 * handler around every test. */
static void install_fault_handler(void)
{
    lx_proc = &pi.lx;
    lx_sig_set_host_disposition(&pi.lx, SIGSEGV);
    lx_sig_set_host_disposition(&pi.lx, SIGBUS);
}

static int run(Proc *p, const Engine *e, bool cold)
{
    if (cold) e->invalidate(0, 0);
    lx_proc = &p->lx;
    p->cpu->common.pc = CODE;
    int r;
    do {
        p->cpu->common.in_guest = 1;
        r = e->exec(&p->cpu->common);
        p->cpu->common.in_guest = 0;
    } while (r == EXCP_INTERRUPT);
    return r;
}

/* -- Random numbers (rnd, rn: diff_harness.h) ----------------------------------------- */

#define PICK(arr) ((arr)[rn(sizeof(arr) / sizeof((arr)[0]))])

/* -- Encoders (base formats: rv_encode.h; RVC, unprivileged spec chapter 26) ----------- */

static uint32_t bit(uint32_t v, unsigned from, unsigned to) { return ((v >> from) & 1) << to; }
/* c.j: offset[11|4|9:8|10|6|7|3:1|5] */
static uint16_t c_j(int32_t off)
{
    uint32_t o = (uint32_t)off;
    return (uint16_t)(5u << 13 | bit(o, 11, 12) | bit(o, 4, 11) | bit(o, 9, 10) | bit(o, 8, 9) |
                      bit(o, 10, 8) | bit(o, 6, 7) | bit(o, 7, 6) | ((o >> 1) & 7) << 3 | bit(o, 5, 2) | 1);
}
/* c.beqz/c.bnez: offset[8|4:3] rs1' offset[7:6|2:1|5] */
static uint16_t c_b(bool ne, int32_t off, unsigned rs1c)
{
    uint32_t o = (uint32_t)off;
    return (uint16_t)((ne ? 7u : 6u) << 13 | bit(o, 8, 12) | ((o >> 3) & 3) << 10 | rs1c << 7 |
                      ((o >> 6) & 3) << 5 | ((o >> 1) & 3) << 3 | bit(o, 5, 2) | 1);
}

/* -- Register conventions ----------------------------------------------------------------
 * x2 (sp), x8, x9, x28: data pointers (compressed and sp-relative forms use them);
 * x29: the atomics address; x30: near the end of memory (faults, straddles);
 * x31: a wild address (beyond memory, negative, or wrapping round to 0).
 * Destinations avoid these so most programs run to their end. */
static const uint8_t dests[] = {1, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                21, 22, 23, 24, 25, 26, 27};
static unsigned rd_(void) { return PICK(dests); }
/* Most programs are "clean": no deliberately faulting address, reserved
 * rounding mode or random encoding, so they mostly run to their end; the
 * others end at the first fault, which must then be identical. */
static bool clean;
static unsigned rs_(void) { return rn(32); }
static unsigned fr(void) { return rn(32); }
/* Rounding-mode field: every static mode, DYN (7), and now and then the
 * reserved 5 and 6 (illegal instruction). */
static unsigned rm_(void) { return clean || rn(32) ? (unsigned[]){0, 1, 2, 3, 4, 7, 7, 7}[rn(8)] : 5 + rn(2); }
static unsigned base_(void)
{
    static const uint8_t b[] = {28, 28, 28, 28, 28, 2, 8, 9, 29};
    if (clean || rn(6)) return PICK(b);
    return rn(2) ? 30 + rn(2) : rs_();
}
static int32_t simm12(void) { return (int32_t)rn(4096) - 2048; }

/* -- Programs ------------------------------------------------------------------------------
 * A program is a list of instructions; control flow only goes forward (to a later
 * instruction boundary or the final ebreak), so every program ends. Branch
 * offsets are fixed up once every instruction's address is known. */
enum { K_PLAIN, K_BR, K_JAL, K_CJ, K_CB, K_AUIPC, K_JALR, K_ADDI_T, K_CJR };

typedef struct Insn {
    uint32_t w;
    uint8_t len, kind;
    uint8_t a, b;  /* registers for the fix-up */
    int tgt;       /* target instruction index */
    int anchor;    /* K_JALR/K_ADDI_T: index of the auipc the offset is relative to */
} Insn;

typedef struct Prog {
    Insn in[MAX_INSNS * 3 + 2];
    unsigned n;
} Prog;

static void add(Prog *p, uint32_t w, unsigned len)
{
    p->in[p->n++] = (Insn){.w = w, .len = (uint8_t)len, .kind = K_PLAIN, .tgt = -1, .anchor = -1};
}

static uint32_t gen_op(void)
{
    /* OP: base, M, Zba, Zbb, Zbs, Zicond (funct7, funct3). */
    static const uint16_t ops[][2] = {
        {0, 0}, {0x20, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0x20, 5}, {0, 6}, {0, 7},
        {1, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}, {1, 7},
        {0x10, 2}, {0x10, 4}, {0x10, 6},              /* sh1add sh2add sh3add */
        {0x20, 7}, {0x20, 6}, {0x20, 4},              /* andn orn xnor */
        {0x05, 4}, {0x05, 5}, {0x05, 6}, {0x05, 7},   /* min minu max maxu */
        {0x30, 1}, {0x30, 5},                         /* rol ror */
        {0x24, 1}, {0x24, 5}, {0x34, 1}, {0x14, 1},   /* bclr bext binv bset */
        {0x07, 5}, {0x07, 7}};                        /* czero.eqz czero.nez */
    unsigned i = rn(sizeof(ops) / sizeof(ops[0]));
    return r_type(ops[i][0], rs_(), rs_(), ops[i][1], rd_(), 0x33);
}

static uint32_t gen_op32(void)
{
    if (rn(12) == 0) return r_type(0x04, 0, rs_(), 4, rd_(), 0x3b); /* zext.h */
    static const uint16_t ops[][2] = {{0, 0}, {0x20, 0}, {0, 1}, {0, 5}, {0x20, 5},
                                      {1, 0}, {1, 4}, {1, 5}, {1, 6}, {1, 7},
                                      {0x04, 0},                       /* add.uw */
                                      {0x10, 2}, {0x10, 4}, {0x10, 6}, /* shNadd.uw */
                                      {0x30, 1}, {0x30, 5}};           /* rolw rorw */
    unsigned i = rn(sizeof(ops) / sizeof(ops[0]));
    return r_type(ops[i][0], rs_(), rs_(), ops[i][1], rd_(), 0x3b);
}

static uint32_t gen_opimm(void)
{
    unsigned rd = rd_(), rs = rs_();
    switch (rn(16)) {
    case 0: case 1: case 2: case 3: case 4: case 5: /* addi slti sltiu xori ori andi */
        return i_type(rn(4) ? simm12() : (int32_t)PICK(((int16_t[]){0, -1, 1, 2047, -2048})), rs,
                      PICK(((unsigned[]){0, 2, 3, 4, 6, 7})), rd, 0x13);
    case 6: return i_type((int32_t)rn(64), rs, 1, rd, 0x13);                             /* slli */
    case 7: return i_type((int32_t)(rn(64) | (rn(2) ? 0x400 : 0)), rs, 5, rd, 0x13);     /* srli srai */
    case 8: return i_type((int32_t)(0x600 | rn(6)), rs, 1, rd, 0x13); /* clz ctz cpop - sext.b sext.h (3 reserved) */
    case 9: return i_type(rn(2) ? 0x287 : 0x6b8, rs, 5, rd, 0x13);    /* orc.b rev8 */
    case 10: return i_type((int32_t)(0x600 | rn(64)), rs, 5, rd, 0x13); /* rori */
    case 11: /* bclri bexti binvi bseti */
        return rn(2) ? i_type((int32_t)(PICK(((unsigned[]){0x480, 0x680, 0x280})) | rn(64)), rs, 1, rd, 0x13)
                     : i_type((int32_t)(0x480 | rn(64)), rs, 5, rd, 0x13);
    case 12: return i_type(simm12(), rs, 0, rd, 0x1b);                                   /* addiw */
    case 13: return i_type((int32_t)(rn(32) | (rn(2) ? 0x400 : 0)), rs, rn(2) ? 1 : 5, rd, 0x1b);
    case 14: return rn(2) ? i_type((int32_t)(0x600 | rn(3)), rs, 1, rd, 0x1b)            /* clzw ctzw cpopw */
                          : i_type((int32_t)(0x600 | rn(32)), rs, 5, rd, 0x1b);          /* roriw */
    default: return i_type((int32_t)(0x080 | rn(64)), rs, 1, rd, 0x1b);                  /* slli.uw */
    }
}

static uint32_t gen_mem(void)
{
    unsigned base = base_();
    int32_t off = simm12();
    if (rn(2)) return i_type(off, base, rn(7), rd_(), 0x03); /* lb lh lw ld lbu lhu lwu */
    return s_type(off, rs_(), base, rn(4), 0x23);            /* sb sh sw sd */
}

static uint32_t gen_fmem(void)
{
    unsigned base = base_();
    int32_t off = simm12();
    if (rn(2)) return i_type(off, base, 2 + rn(2), fr(), 0x07); /* flw fld */
    return s_type(off, fr(), base, 2 + rn(2), 0x27);            /* fsw fsd */
}

/* Atomics on x29 (aligned, or misaligned / out of range when x29 was made so). */
static void gen_amo(Prog *p)
{
    unsigned w = 2 + rn(2), aqrl = rn(4);
    if (rn(3) == 0) { /* lr/sc pair, the sc sometimes to another address */
        unsigned t = rd_();
        add(p, r_type(0x02 << 2 | aqrl, 0, 29, w, t, 0x2f), 4);
        if (rn(3)) add(p, gen_op(), 4);
        add(p, r_type(0x03 << 2 | rn(4), rs_(), clean || rn(4) ? 29 : base_(), rn(5) ? w : 5 - w, rd_(), 0x2f), 4);
        return;
    }
    static const unsigned f5[] = {0x02, 0x03, 0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c};
    unsigned op = PICK(f5);
    add(p, r_type(op << 2 | aqrl, op == 2 ? 0 : rs_(), clean || rn(8) ? 29 : base_(), w, rd_(), 0x2f), 4);
}

static uint32_t gen_opfp(void)
{
    unsigned fmt = rn(2);
    switch (rn(14)) {
    case 0: case 1: case 2: case 3: /* fadd fsub fmul fdiv */
        return r_type(rn(4) * 4 | fmt, fr(), fr(), rm_(), fr(), 0x53);
    case 4: return r_type(0x2c | fmt, 0, fr(), rm_(), fr(), 0x53);           /* fsqrt */
    case 5: return r_type(0x10 | fmt, fr(), fr(), rn(3), fr(), 0x53);        /* fsgnj n x */
    case 6: return r_type(0x14 | fmt, fr(), fr(), rn(2), fr(), 0x53);        /* fmin fmax */
    case 7: return r_type(0x50 | fmt, fr(), fr(), rn(3), rd_(), 0x53);       /* fle flt feq */
    case 8: return r_type(0x70 | fmt, 0, fr(), rn(2), rd_(), 0x53);          /* fmv.x.w/d fclass */
    case 9: case 10: return r_type(0x60 | fmt, rn(4), fr(), rm_(), rd_(), 0x53); /* fcvt.w/wu/l/lu */
    case 11: return r_type(0x68 | fmt, rn(4), rs_(), rm_(), fr(), 0x53);     /* fcvt.s/d.w/wu/l/lu */
    case 12: return r_type(0x78 | fmt, 0, rs_(), 0, fr(), 0x53);             /* fmv.w.x fmv.d.x */
    default: return r_type(fmt ? 0x21 : 0x20, fmt ? 0 : 1, fr(), rm_(), fr(), 0x53); /* fcvt.d.s fcvt.s.d */
    }
}

static uint32_t gen_fma(void)
{
    unsigned opc = (unsigned[]){0x43, 0x47, 0x4b, 0x4f}[rn(4)];
    return fr() << 27 | rn(2) << 25 | fr() << 20 | fr() << 15 | rm_() << 12 | fr() << 7 | opc;
}

/* fflags, frm, fcsr through every CSR instruction form; frm gets reserved values too. */
static uint32_t gen_fcsr(void)
{
    unsigned csr = 1 + rn(3), f3 = 1 + rn(3);
    /* csrrwi/si/ci (rs1 = uimm); clean programs keep frm valid. */
    if (rn(2)) return i_type((int32_t)csr, clean && csr != 1 ? rn(32) & ~0xe0u & (csr == 2 ? 3 : 0x7f) : rn(32), f3 + 4, rd_(), 0x73);
    return i_type((int32_t)csr, rn(3) ? rs_() : 0, f3, rd_(), 0x73);
}

/* RVC, non-control-flow: a random encoding of one of its classes, bases pointed
 * at the data pointers most of the time. Reserved encodings stay in (illegal). */
static uint16_t gen_rvc(void)
{
    uint16_t h = (uint16_t)rnd();
    unsigned q = rn(3), f3;
    static const uint8_t f3q[3][6] = {{0, 1, 2, 3, 5, 6}, {0, 1, 2, 3, 4, 4}, {0, 1, 2, 3, 4, 5}};
    f3 = f3q[q][rn(6)];
    if (q == 2 && rn(3) == 0) f3 = 6 + rn(2); /* c.swsp c.sdsp */
    if (q == 0 && rn(3) == 0) f3 = 7;         /* c.sd */
    h = (uint16_t)((h & 0x1ffc) | f3 << 13 | q);
    if (q == 0 && f3 != 0 && (clean || rn(5))) h = (uint16_t)((h & ~(7u << 7)) | (rn(2) << 7)); /* rs1' = x8/x9 */
    if (q == 1 && f3 != 4 && rn(4)) h = (uint16_t)((h & ~(31u << 7)) | dests[rn(sizeof(dests))] << 7);
    if (q == 1 && f3 == 4 && rn(4)) h = (uint16_t)((h & ~(7u << 7)) | (2 + rn(6)) << 7); /* rd' = x10..x15 */
    if (q == 2 && (f3 == 0 || f3 == 2 || f3 == 3)) h = (uint16_t)((h & ~(31u << 7)) | dests[rn(sizeof(dests))] << 7);
    if (q == 2 && f3 == 4) {
        /* c.mv c.add (rs2 != 0) or c.ebreak; c.jr/c.jalr (rs2 = 0, rs1 != 0) are jumps: not here. */
        unsigned rd = dests[rn(sizeof(dests))], rs2 = 1 + rn(31);
        if (rn(40) == 0) return 0x9002; /* c.ebreak */
        h = (uint16_t)(4u << 13 | rn(2) << 12 | rd << 7 | rs2 << 2 | 2);
    }
    return h;
}

/* A random 32-bit word that is no jump, branch or SYSTEM instruction (cycle and
 * time CSRs are not deterministic) and no 48-bit-or-longer encoding. */
static uint32_t gen_random32(void)
{
    for (;;) {
        uint32_t w = (uint32_t)rnd() | 3;
        unsigned opc = w & 0x7f;
        if ((w & 0x1f) == 0x1f || opc == 0x63 || opc == 0x67 || opc == 0x6f || opc == 0x73) continue;
        return w;
    }
}

/* A random 16-bit parcel that is no RVC jump or branch. */
static uint16_t gen_random16(void)
{
    for (;;) {
        uint16_t h = (uint16_t)rnd();
        unsigned q = h & 3, f3 = h >> 13;
        if (q == 3) continue;
        if (q == 1 && f3 >= 5) continue;
        if (q == 2 && f3 == 4 && ((h >> 2) & 31) == 0 && ((h >> 7) & 31) != 0) continue;
        return h;
    }
}

static void gen_branch(Prog *p, unsigned i, unsigned n)
{
    int tgt = (int)(i + 1 + rn(4));
    if (tgt > (int)n) tgt = (int)n;
    Insn *x = &p->in[p->n];
    switch (rn(8)) {
    case 0: case 1: case 2: /* beq bne blt bge bltu bgeu */
        add(p, 0, 4);
        x->kind = K_BR;
        x->w = PICK(((unsigned[]){0, 1, 4, 5, 6, 7}));
        x->a = (uint8_t)rs_();
        x->b = (uint8_t)rs_();
        break;
    case 3: /* jal */
        add(p, 0, 4);
        x->kind = K_JAL;
        x->a = (uint8_t)(rn(2) ? 0 : rd_());
        break;
    case 4: /* c.j */
        add(p, 0, 2);
        x->kind = K_CJ;
        break;
    case 5: /* c.beqz c.bnez on x10..x15 (or the pointers x8/x9) */
        add(p, 0, 2);
        x->kind = K_CB;
        x->a = (uint8_t)rn(8);
        x->b = (uint8_t)rn(2);
        break;
    case 6: { /* auipc t; jalr rd, off(t) */
        unsigned t = rd_();
        int a = (int)p->n;
        add(p, 0, 4);
        p->in[a].kind = K_AUIPC;
        p->in[a].a = (uint8_t)t;
        add(p, 0, 4);
        x = &p->in[p->n - 1];
        x->kind = K_JALR;
        x->a = (uint8_t)t;
        x->b = (uint8_t)(rn(2) ? 0 : rd_());
        x->anchor = a;
        break;
    }
    default: { /* auipc t; addi t, t, off; c.jr t / c.jalr t */
        unsigned t = rd_();
        int a = (int)p->n;
        add(p, 0, 4);
        p->in[a].kind = K_AUIPC;
        p->in[a].a = (uint8_t)t;
        add(p, 0, 4);
        p->in[p->n - 1].kind = K_ADDI_T;
        p->in[p->n - 1].a = (uint8_t)t;
        p->in[p->n - 1].anchor = a;
        add(p, 0, 2);
        x = &p->in[p->n - 1];
        x->kind = K_CJR;
        x->a = (uint8_t)t;
        x->b = (uint8_t)rn(2);
        p->in[a + 1].tgt = tgt; /* the addi carries the target */
        break;
    }
    }
    x->tgt = tgt;
}

/* Generates program i-th instruction slot by slot; returns the instruction count. */
static void gen_prog(Prog *p, unsigned n)
{
    p->n = 0;
    /* Slots are numbered; branch targets name slots, resolved to the first
     * instruction of that slot below. */
    static int slot_first[MAX_INSNS + 1];
    static int tgt_slot[MAX_INSNS * 3 + 2];
    for (unsigned i = 0; i < n; i++) {
        slot_first[i] = (int)p->n;
        unsigned before = p->n;
        unsigned k = rn(1000);
        if (k < 150) add(p, gen_op(), 4);
        else if (k < 220) add(p, gen_op32(), 4);
        else if (k < 330) add(p, gen_opimm(), 4);
        else if (k < 350) add(p, u_type((uint32_t)rnd() & 0xfffff, rd_(), rn(2) ? 0x37 : 0x17), 4);
        else if (k < 450) add(p, gen_mem(), 4);
        else if (k < 490) add(p, gen_fmem(), 4);
        else if (k < 530) gen_amo(p);
        else if (k < 680) add(p, gen_opfp(), 4);
        else if (k < 720) add(p, gen_fma(), 4);
        else if (k < 740) add(p, gen_fcsr(), 4);
        else if (k < 860) add(p, gen_rvc(), 2);
        else if (k < 940) gen_branch(p, i, n);
        else if (k < 955) add(p, clean ? gen_opimm() : gen_random32(), 4);
        else if (k < 970) add(p, clean ? gen_rvc() : gen_random16(), 2);
        else if (k < 975) add(p, rn(4) ? 0x0ff0000f : 0x0000100f, 4); /* fence, fence.i */
        else if (k < 977) add(p, rn(2) ? 0x00000073 : 0x00100073, 4); /* ecall, ebreak */
        else add(p, i_type(simm12(), rs_(), 0, rd_(), 0x13), 4);
        for (unsigned q = before; q < p->n; q++) {
            tgt_slot[q] = p->in[q].tgt;
            p->in[q].tgt = -1;
        }
    }
    slot_first[n] = (int)p->n;
    add(p, 0x00100073, 4); /* ebreak */
    for (unsigned q = 0; q < p->n; q++)
        if (p->in[q].kind != K_PLAIN && q + 1 < p->n && tgt_slot[q] >= 0)
            p->in[q].tgt = slot_first[tgt_slot[q]];
    /* Addresses, then the fix-ups. */
    uint32_t addr[MAX_INSNS * 3 + 2], a = CODE;
    for (unsigned q = 0; q < p->n; q++) {
        addr[q] = a;
        a += p->in[q].len;
    }
    for (unsigned q = 0; q < p->n; q++) {
        Insn *x = &p->in[q];
        int32_t off = x->tgt >= 0 ? (int32_t)(addr[x->tgt] - addr[q]) : 0;
        switch (x->kind) {
        case K_BR: x->w = b_type(off, x->b, x->a, x->w); break;
        case K_JAL: x->w = j_type(off, x->a); break;
        case K_CJ: x->w = c_j(off); break;
        case K_CB: x->w = c_b(x->b, off, x->a); break;
        case K_AUIPC: x->w = u_type(0, x->a, 0x17); break;
        case K_JALR: {
            /* Relative to the auipc; now and then through x31 instead, which
             * never points into memory (fetch fault; never random bytes). */
            int32_t rel = (int32_t)(addr[x->tgt] - addr[x->anchor]);
            x->w = !clean && rn(4) == 0 ? i_type(0, 31, 0, x->b, 0x67) : i_type(rel, x->a, 0, x->b, 0x67);
            break;
        }
        case K_ADDI_T: x->w = i_type((int32_t)(addr[x->tgt] - addr[x->anchor]), x->a, 0, x->a, 0x13); break;
        case K_CJR: x->w = (uint32_t)(4u << 13 | x->b << 12 | x->a << 7 | 2); break;
        default: break;
        }
    }
}

/* -- Initial state --------------------------------------------------------------------- */

static const uint64_t edge64[] = {0, 1, 2, 3, 7, 31, 32, 63, 64, 65, 0x7f, 0x80, 0xff, 0x8000,
                                  0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                  0x7fffffffffffffffull, 0x8000000000000000ull,
                                  0xffffffffffffffffull, 0xfffffffffffffffeull,
                                  0xffffffff80000000ull, 0xffffffff7fffffffull,
                                  0x123456789abcdef0ull, 0xfedcba9876543210ull};

/* FP operands: zeros, infinities, quiet and signalling NaNs, denormals, the
 * normal range's ends, ties for rounding, the integer-conversion boundaries;
 * singles NaN-boxed (and some not: those read as the canonical NaN). */
static const uint32_t fedge32[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
    0x7fa00000, 0x7f800001, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f000000,
    0x3fc00000, 0x40200000, 0xbfc00000, 0x4f000000, 0xcf000000, 0x4f800000, 0x5f000000, 0xdf000000,
    0x5f800000, 0x4effffff, 0x3dcccccd, 0x34000000, 0x0c800000, 0x7effffff,
    0x20000000, 0x1f800001, 0x00400000, 0x80000003, 0x71800000, 0x5f7fffff, 0x00fffffe}; /* tiny products, huge */
static const uint64_t fedge64[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
    0x7ff4000000000000ull, 0x7ff0000000000001ull, 0x0000000000000001ull, 0x800fffffffffffffull,
    0x0010000000000000ull, 0x7fefffffffffffffull, 0xffefffffffffffffull, 0x3fe0000000000000ull,
    0x3ff8000000000000ull, 0x4004000000000000ull, 0xbff8000000000000ull, 0x41dfffffffc00000ull,
    0x41dfffffffe00000ull, 0xc1e0000000000000ull, 0xc1e0000000100000ull, 0x41efffffffe00000ull,
    0x41f0000000000000ull, 0x43e0000000000000ull, 0xc3e0000000000000ull, 0x43f0000000000000ull,
    0x3fb999999999999aull, 0x3ca0000000000000ull, 0x3e70000000000000ull, 0x47efffffe0000000ull,
    0x36a0000000000000ull, 0x380fffffe0000000ull,
    /* squares and products that underflow, overflow, or land on denormals */
    0x1e60000000000000ull, 0x1e5fffffffffffffull, 0x0018000000000000ull, 0x8000000000000003ull,
    0x0008000000000000ull, 0x6570000000000000ull, 0x7fe0000000000001ull, 0x2000000000000000ull};

static uint64_t rand_f(void)
{
    switch (rn(8)) {
    case 0: case 1: case 2: return 0xffffffff00000000ull | PICK(fedge32);
    case 3: case 4: case 5: return PICK(fedge64);
    case 6: return rn(2) ? rnd() : (rnd() | 0xffffffff00000000ull);
    default: return rn(2) ? (uint64_t)PICK(fedge32) << (rn(2) ? 0 : 16) : 0xffffffff00000000ull | (uint32_t)rnd();
    }
}

typedef struct State {
    uint64_t x[32], f[32];
    unsigned frm, fflags;
} State;

static void gen_state(State *s)
{
    for (int i = 0; i < 32; i++) {
        s->x[i] = rn(3) ? rnd() : PICK(edge64);
        s->f[i] = rand_f();
    }
    s->x[0] = 0;
    s->x[2] = DATA + 0x2000 + 16 * rn(16);
    s->x[8] = clean || rn(2) ? DATA + 8 * rn(64) : (rn(2) ? HOLE : ROPG) - 64 + 8 * rn(16);
    s->x[9] = DATA + 0x800 + rn(64);
    s->x[28] = DATA + (rn(4) ? 0 : rn(8));
    switch (clean ? 9 : rn(4)) {
    case 0: s->x[29] = DATA + 0x1000 + 1 + rn(7); break;  /* misaligned atomics */
    case 1: s->x[29] = MEM_SIZE - 4; break;               /* a doubleword straddles the end */
    default: s->x[29] = DATA + 0x1000 + 8 * rn(64); break;
    }
    s->x[30] = MEM_SIZE - 2048 + rn(2048);
    static const uint64_t wild[] = {MEM_SIZE, MEM_SIZE + 0x800, SPACE_SIZE, SPACE_SIZE - 0x7f8,
                                    HOLE + 0x7f8, ROPG + 0x10, 0x8000000000000000ull,
                                    0xffffffffffffffffull, 0xfffffffffffff800ull,
                                    0xfffffffffffffffcull, 0xffffffff00000000ull, 0x100000000ull};
    s->x[31] = PICK(wild);
    s->frm = clean || rn(3) ? rn(5) : 5 + rn(3); /* reserved frm: dynamic-rm instructions are illegal */
    s->fflags = rn(32);
}

static void load_state(Proc *p, const State *s)
{
    copy_mem(p->mem, mem0);
    RvCpu *c = p->cpu;
    memcpy(c->x, s->x, sizeof(c->x));
    memcpy(c->f, s->f, sizeof(c->f));
    c->common.fp.rm = s->frm;
    c->common.fp.flags = s->fflags;
    c->common.fp.mode = FP_MODE_NAN_CANON;
    c->common.res_valid = 0;
    c->common.res_addr = 0;
    c->common.res_val = 0;
    c->common.exception = 0;
    c->common.fault_addr = 0;
    c->common.fault_code = 0;
    c->common.exit_request = 0;
}

/* -- Comparison -------------------------------------------------------------------------- */

static bool faulting(int e) { return e == EXCP_SEGV || e == EXCP_BUS || e == EXCP_ILLEGAL; }

static bool same(int ri, int rj)
{
    CpuState *a = &pi.cpu->common, *b = &pj.cpu->common;
    return ri == rj && a->pc == b->pc && a->fp.flags == b->fp.flags && a->fp.rm == b->fp.rm &&
           !memcmp(pi.cpu->x, pj.cpu->x, sizeof(pi.cpu->x)) &&
           !memcmp(pi.cpu->f, pj.cpu->f, sizeof(pi.cpu->f)) &&
           (!faulting(ri) || a->fault_addr == b->fault_addr) &&
           (ri != EXCP_SEGV || a->fault_code == b->fault_code) &&
           a->res_valid == b->res_valid && (!a->res_valid || a->res_addr == b->res_addr) &&
           mem_equal(pi.mem, pj.mem);
}

static void report(uint64_t seed, const char *pass, int ri, int rj)
{
    CpuState *a = &pi.cpu->common, *b = &pj.cpu->common;
    print_error("jit-fuzz: MISMATCH, seed %llu (%s JIT run); reproduce with\n"
                "  VM_FUZZ_SEED=%llu VM_FUZZ_ITERS=1 build/tests/test_jit_fuzz\n",
                (unsigned long long)seed, pass, (unsigned long long)seed);
    print_error("  exception %d / %d, pc 0x%llx / 0x%llx, fault 0x%llx / 0x%llx (code %d / %d), fflags %x / %x, "
                "frm %u / %u, reservation %d@0x%llx / %d@0x%llx (interpreter / JIT)\n",
                ri, rj, (unsigned long long)a->pc, (unsigned long long)b->pc,
                (unsigned long long)a->fault_addr, (unsigned long long)b->fault_addr, a->fault_code,
                b->fault_code, a->fp.flags, b->fp.flags,
                a->fp.rm, b->fp.rm, a->res_valid, (unsigned long long)a->res_addr, b->res_valid,
                (unsigned long long)b->res_addr);
    for (int i = 0; i < 32; i++)
        if (pi.cpu->x[i] != pj.cpu->x[i])
            print_error("  x%d 0x%llx / 0x%llx\n", i, (unsigned long long)pi.cpu->x[i], (unsigned long long)pj.cpu->x[i]);
    for (int i = 0; i < 32; i++)
        if (pi.cpu->f[i] != pj.cpu->f[i])
            print_error("  f%d 0x%llx / 0x%llx\n", i, (unsigned long long)pi.cpu->f[i], (unsigned long long)pj.cpu->f[i]);
    for (uint32_t q = 0, shown = 0; q < MEM_SIZE && shown < 8; q++)
        if ((q < HOLE || q >= HOLE + LX_PAGE_SIZE) && pi.mem[q] != pj.mem[q]) {
            print_error("  mem[0x%x] 0x%02x / 0x%02x\n", q, pi.mem[q], pj.mem[q]);
            shown++;
        }
}

/* The program and its initial state, for a reproduced seed. */
static void list_prog(const Prog *p, const State *s)
{
    uint32_t size = 0;
    for (unsigned q = 0; q < p->n; q++) size += p->in[q].len;
    copy_mem(pi.mem, mem0);
    disas_log_guest(&pi.cpu->common, CODE, size, stderr);
    for (int i = 0; i < 32; i++)
        fprintf(stderr, "  x%-2d = 0x%016llx   f%-2d = 0x%016llx\n", i, (unsigned long long)s->x[i], i,
                (unsigned long long)s->f[i]);
    fprintf(stderr, "  frm = %u, fflags = 0x%x\n", s->frm, s->fflags);
}

static uint64_t n_excp[EXCP_HALT + 2];

/* Runs one seed; returns false (after reporting) on a mismatch. */
static bool fuzz_one(uint64_t seed, bool verbose)
{
    rng = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    static Prog p;
    State s;
    clean = rn(10) < 7;
    gen_prog(&p, 4 + rn(MAX_INSNS - 4));
    gen_state(&s);
    for (uint32_t q = 0; q < MEM_SIZE; q += 8) {
        uint64_t v = rnd();
        memcpy(mem0 + q, &v, 8);
    }
    uint32_t a = CODE;
    for (unsigned q = 0; q < p.n; q++) {
        memcpy(mem0 + a, &p.in[q].w, p.in[q].len);
        a += p.in[q].len;
    }
    if (verbose) list_prog(&p, &s);

    load_state(&pi, &s);
    int ri = run(&pi, &interp_engine, true);
    load_state(&pj, &s);
    int rj = run(&pj, &jit_engine, true);
    n_excp[ri >= 0 && ri <= EXCP_HALT ? ri : EXCP_HALT + 1]++;
    if (getenv("VM_FUZZ_DEBUG"))
        fprintf(stderr, "seed %llu: exc %d/%d pc 0x%llx/0x%llx x2 0x%llx/0x%llx\n", (unsigned long long)seed, ri, rj,
                (unsigned long long)pi.cpu->common.pc, (unsigned long long)pj.cpu->common.pc,
                (unsigned long long)pi.cpu->x[2], (unsigned long long)pj.cpu->x[2]);
    if (!same(ri, rj)) {
        report(seed, "cold", ri, rj);
        return false;
    }
    /* Warm: the same program again on the blocks of the first run (chained
     * exits, jump cache) unless the program stored into its own code. */
    if (memcmp(pi.mem + CODE, mem0 + CODE, a - CODE)) return true;
    load_state(&pj, &s);
    rj = run(&pj, &jit_engine, false);
    if (!same(ri, rj)) {
        report(seed, "warm", ri, rj);
        return false;
    }
    return true;
}

/* -- Tests ------------------------------------------------------------------------------- */

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *v = getenv(name);
    if (!v || !*v) return dflt;
    char *end;
    unsigned long long r = strtoull(v, &end, 0);
    if (*end) {
        fprintf(stderr, "test_jit_fuzz: %s=%s is not a number\n", name, v);
        exit(2);
    }
    return r;
}

static void test_random(void **s)
{
    (void)s;
    install_fault_handler();
    /* VM_FUZZ_SEEDS=a,b,...: exactly these, in this order (state carried over
     * between runs matters to some bugs). */
    const char *list = getenv("VM_FUZZ_SEEDS");
    if (list && *list) {
        unsigned bad = 0;
        for (const char *c = list; *c;) {
            char *end;
            uint64_t sd = strtoull(c, &end, 0);
            if (end == c) fail_msg("VM_FUZZ_SEEDS=%s: not a list of numbers", list);
            if (!fuzz_one(sd, false)) bad++;
            c = *end == ',' ? end + 1 : end;
        }
        if (bad) fail_msg("%u seed(s) mismatch between the interpreter and the JIT", bad);
        return;
    }
    uint64_t iters = env_u64("VM_FUZZ_ITERS", 4000), start = env_u64("VM_FUZZ_SEED", 1);
    bool verbose = iters == 1;
    unsigned bad = 0;
    time_t t0 = time(NULL), last = t0;
    for (uint64_t i = 0; i < iters; i++) {
        if (!fuzz_one(start + i, verbose) && ++bad >= 20) break;
        if (iters > 100000 && time(NULL) - last >= 30) {
            last = time(NULL);
            fprintf(stderr, "jit-fuzz: %llu of %llu seeds from %llu, %u mismatches (%lds)\n",
                    (unsigned long long)(i + 1), (unsigned long long)iters, (unsigned long long)start, bad,
                    (long)(last - t0));
        }
    }
    if (iters >= 1000)
        fprintf(stderr, "jit-fuzz: seeds %llu..%llu: endings: none %llu syscall %llu illegal %llu break %llu "
                "segv %llu bus %llu\n", (unsigned long long)start, (unsigned long long)(start + iters - 1),
                (unsigned long long)n_excp[EXCP_NONE], (unsigned long long)n_excp[EXCP_SYSCALL],
                (unsigned long long)n_excp[EXCP_ILLEGAL], (unsigned long long)n_excp[EXCP_BREAKPOINT],
                (unsigned long long)n_excp[EXCP_SEGV], (unsigned long long)n_excp[EXCP_BUS]);
    if (bad) fail_msg("%u seed(s) mismatch between the interpreter and the JIT", bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests_name("jit_fuzz", tests, setup, teardown);
}
