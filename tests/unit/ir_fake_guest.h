/* SPDX-License-Identifier: MIT */
/* Shared unit-test fixture: a tiny fake guest whose translator builds
 * hand-written IR blocks (test_interp, test_jit), and the single-op block
 * (operands from registers or constants, one op, results to registers). */
#ifndef VM_TEST_IR_FAKE_GUEST_H
#define VM_TEST_IR_FAKE_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vm/arch.h"
#include "vm/ir.h"

enum {
    R_X0 = 0,       /* x0..x15: I64 */
    R_W0 = 16,      /* w0..w3: I32 */
    R_V0 = 20,      /* v0..v2: V128 */
    R_F0 = 23,      /* f0..f1: F64 */
    R_MODE = 25,    /* I64, selects translations (tb_flags) */
    NREGS
};

typedef struct TCpu {
    CpuState cs;
    uint64_t x[16];
    uint32_t w[4];
    uint64_t v[3][2];
    uint64_t f[2];
    uint64_t mode;
} TCpu;

static IrRegInfo tregs[NREGS];

/* The block builder of the current test: called by the translator per pc. */
static void (*g_build)(IrBlock *b, uint64_t pc);

static inline uint64_t t_tb_flags(CpuState *cpu) { return ((TCpu *)cpu)->mode; }

static inline void t_translate(CpuState *cpu, IrBlock *b, uint64_t pc)
{
    (void)cpu;
    b->guest_size = 4;
    b->guest_insns = 1;
    g_build(b, pc);
}

static const GuestArch test_arch = {
    .name = "test",
    .cpu_size = sizeof(TCpu),
    .regs = tregs,
    .nregs = NREGS,
    .tb_flags = t_tb_flags,
    .translate = t_translate,
};

/* Fills the register table (before the first cpu_init). */
static inline void fake_regs_init(void)
{
    for (unsigned i = 0; i < 16; i++) tregs[R_X0 + i] = (IrRegInfo){"x", offsetof(TCpu, x[i]), IR_I64};
    for (unsigned i = 0; i < 4; i++) tregs[R_W0 + i] = (IrRegInfo){"w", offsetof(TCpu, w[i]), IR_I32};
    for (unsigned i = 0; i < 3; i++) tregs[R_V0 + i] = (IrRegInfo){"v", offsetof(TCpu, v[i]), IR_V128};
    for (unsigned i = 0; i < 2; i++) tregs[R_F0 + i] = (IrRegInfo){"f", offsetof(TCpu, f[i]), IR_F64};
    tregs[R_MODE] = (IrRegInfo){"mode", offsetof(TCpu, mode), IR_I64};
}

/* Fresh registers over guest memory [0, size), keeping the engine's state. */
static inline void fake_reset(TCpu *c, uint8_t *mem, uint64_t size)
{
    void *eng = c->cs.engine;
    memset(c, 0, sizeof(*c));
    c->cs.arch = &test_arch;
    c->cs.engine = eng;
    c->cs.guest_base = mem;
    c->cs.guest_limit = size;
}

/* -- Single-op block ---------------------------------------------------------------
 * Operands from registers (or constants, per form), r = op, results to
 * registers, then raise(BREAKPOINT). The select re-reads r as a condition,
 * which checks that I32 values sit zero-extended in their slots. */

enum { FORM_RR, FORM_RI, FORM_IR };
static struct {
    IrOp op;
    IrType t;
    int form;
    uint64_t a, b, c, imm;
    uint32_t aux;
} g_op;

static inline unsigned reg_of(IrType t, unsigned i) { return t == IR_I32 ? R_W0 + i : R_X0 + i; }

static inline void build_op(IrBlock *b, uint64_t pc)
{
    IrType t = g_op.t;
    ir_insn_start(b, pc, 4);
    unsigned nargs = ir_op_info[g_op.op].nargs;
    IrVal a = g_op.form == FORM_IR ? ir_const(b, t, g_op.a) : ir_get(b, reg_of(t, 0));
    IrVal c = nargs < 2 ? IR_NONE
              : g_op.form == FORM_RI ? ir_const(b, t, g_op.b) : ir_get(b, reg_of(t, 1));
    IrVal d = nargs < 3 ? IR_NONE : ir_get(b, reg_of(t, 2));
    IrVal r = ir_opx(b, g_op.op, t, t, a, c, d, g_op.imm, g_op.aux);
    ir_set(b, reg_of(t, 3), r);
    ir_set(b, R_X0 + 13, ir_select(b, r, ir_i64(b, 1), ir_i64(b, 0)));
    ir_raise(b, EXCP_BREAKPOINT, IR_NONE);
}

#endif
