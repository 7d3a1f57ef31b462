/* SPDX-License-Identifier: MIT */
/* x86-64 instruction encoder (see x64_emit.h). One generic legacy-encoding
 * routine (prefix, REX, opcode, ModRM/SIB/disp) under every integer and SSE form,
 * and one for 3-byte VEX (FMA3). Intel SDM vol. 2, chapter 2. */
#include <stdlib.h>
#include <string.h>

#include "jit/backend/x86_64/x64_emit.h"

/* -- Raw bytes -------------------------------------------------------------------- */

void x64_byte(X64Emit *e, uint8_t b)
{
    if (e->p >= e->end) {
        e->overflow = true;
        return;
    }
    *e->p++ = b;
}

void x64_u32(X64Emit *e, uint32_t v)
{
    for (int i = 0; i < 4; i++) x64_byte(e, (uint8_t)(v >> (8 * i)));
}

void x64_u64(X64Emit *e, uint64_t v)
{
    for (int i = 0; i < 8; i++) x64_byte(e, (uint8_t)(v >> (8 * i)));
}

/* Recommended multi-byte NOPs (SDM vol. 2, NOP: "0F 1F /0"). */
void x64_align(X64Emit *e, unsigned align, unsigned skew)
{
    static const uint8_t nops[8][8] = {
        {0},
        {0x90},
        {0x66, 0x90},
        {0x0f, 0x1f, 0x00},
        {0x0f, 0x1f, 0x40, 0x00},
        {0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
    };
    unsigned pad = (unsigned)(align - ((uintptr_t)e->p + skew) % align) % align;
    while (pad) {
        unsigned n = pad > 7 ? 7 : pad;
        for (unsigned i = 0; i < n; i++) x64_byte(e, nops[n][i]);
        pad -= n;
    }
}

/* -- Generic encoding --------------------------------------------------------------
 * An operand for the ModRM r/m field: a register (is_reg) or a memory operand. */
typedef struct Rm {
    bool is_reg;
    uint8_t reg;
    X64Mem m;
} Rm;

static Rm rm_r(unsigned r) { return (Rm){.is_reg = true, .reg = (uint8_t)r}; }
static Rm rm_m(X64Mem m) { return (Rm){.m = m}; }

enum {
    F_W = 1u << 0,     /* REX.W */
    F_BYTE = 1u << 1,  /* byte register operands: spl..dil need a REX (SDM 2.2.1.2) */
};

/* prefix: 0 or a mandatory/operand-size prefix (0x66, 0xF2, 0xF3), emitted
 * before REX as required. op: 1..3 opcode bytes (ln). reg: the ModRM.reg field
 * (a register number or an opcode extension /digit). */
static void enc(X64Emit *e, uint8_t prefix, unsigned flags, const uint8_t *op, unsigned ln,
                unsigned reg, Rm rm)
{
    uint8_t rex = 0x40;
    if (flags & F_W) rex |= 8;
    if (reg & 8) rex |= 4; /* REX.R */
    if (rm.is_reg) {
        if (rm.reg & 8) rex |= 1; /* REX.B */
    } else {
        if (!rm.m.rip && rm.m.index != X64_NOREG && (rm.m.index & 8)) rex |= 2; /* REX.X */
        if (!rm.m.rip && rm.m.base != X64_NOREG && (rm.m.base & 8)) rex |= 1;
    }
    bool need_rex = rex != 0x40;
    if ((flags & F_BYTE) && ((rm.is_reg && rm.reg >= 4 && rm.reg < 8) || (reg >= 4 && reg < 8)))
        need_rex = true;
    if (prefix) x64_byte(e, prefix);
    if (need_rex) x64_byte(e, rex);
    for (unsigned i = 0; i < ln; i++) x64_byte(e, op[i]);
    unsigned r3 = (reg & 7) << 3;
    if (rm.is_reg) {
        x64_byte(e, (uint8_t)(0xc0 | r3 | (rm.reg & 7)));
        return;
    }
    X64Mem m = rm.m;
    if (m.rip) {
        /* mod 00 rm 101: [rip + disp32], relative to the next instruction;
         * the caller's trailing immediate bytes are not known here, so rip
         * operands are only used by instructions without an immediate. */
        x64_byte(e, (uint8_t)(r3 | 5));
        int64_t d = (intptr_t)m.target - (intptr_t)(e->p + 4);
        x64_u32(e, (uint32_t)(int32_t)d);
        return;
    }
    unsigned base = m.base, mod;
    if (base == X64_NOREG) {
        /* [index*scale + disp32] or [disp32]: SIB with base 101 and mod 00. */
        x64_byte(e, (uint8_t)(r3 | 4));
        unsigned ss = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
        unsigned idx = m.index == X64_NOREG ? 4 : (m.index & 7);
        x64_byte(e, (uint8_t)(ss << 6 | idx << 3 | 5));
        x64_u32(e, (uint32_t)m.disp);
        return;
    }
    /* rbp/r13 as base cannot use mod 00 (that means rip/disp32): force disp8. */
    if (m.disp == 0 && (base & 7) != 5) mod = 0;
    else if (m.disp >= -128 && m.disp <= 127) mod = 1;
    else mod = 2;
    if (m.index != X64_NOREG || (base & 7) == 4) {
        /* rsp/r12 as base always need a SIB byte (index 100 = none). */
        unsigned ss = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
        unsigned idx = m.index == X64_NOREG ? 4 : (m.index & 7);
        x64_byte(e, (uint8_t)(mod << 6 | r3 | 4));
        x64_byte(e, (uint8_t)(ss << 6 | idx << 3 | (base & 7)));
    } else {
        x64_byte(e, (uint8_t)(mod << 6 | r3 | (base & 7)));
    }
    if (mod == 1) x64_byte(e, (uint8_t)(int8_t)m.disp);
    else if (mod == 2) x64_u32(e, (uint32_t)m.disp);
}

#define OP1(b) (const uint8_t[]){b}, 1
#define OP2(a, b) (const uint8_t[]){a, b}, 2
#define OP3(a, b, c) (const uint8_t[]){a, b, c}, 3
#define W(w) ((w) ? F_W : 0)

/* -- Moves ------------------------------------------------------------------------- */

void x64_emit_mov_rr(X64Emit *e, bool w, X64Reg dst, X64Reg src)
{
    enc(e, 0, W(w), OP1(0x89), src, rm_r(dst));
}
void x64_emit_mov_rm(X64Emit *e, bool w, X64Reg dst, X64Mem m) { enc(e, 0, W(w), OP1(0x8b), dst, rm_m(m)); }
void x64_emit_mov_mr(X64Emit *e, bool w, X64Mem m, X64Reg src) { enc(e, 0, W(w), OP1(0x89), src, rm_m(m)); }
void x64_emit_mov_mr8(X64Emit *e, X64Mem m, X64Reg src) { enc(e, 0, F_BYTE, OP1(0x88), src, rm_m(m)); }
void x64_emit_mov_mr16(X64Emit *e, X64Mem m, X64Reg src) { enc(e, 0x66, 0, OP1(0x89), src, rm_m(m)); }

void x64_emit_mov_mi(X64Emit *e, bool w, X64Mem m, int32_t imm)
{
    enc(e, 0, W(w), OP1(0xc7), 0, rm_m(m));
    x64_u32(e, (uint32_t)imm);
}

void x64_emit_mov_ri(X64Emit *e, X64Reg dst, uint64_t imm)
{
    if (imm == 0) {
        x64_emit_alu_rr(e, X64_XOR, false, dst, dst);
    } else if (imm <= UINT32_MAX) {
        /* B8+r id: mov r32, imm32 zero-extends. */
        if (dst & 8) x64_byte(e, 0x41);
        x64_byte(e, (uint8_t)(0xb8 + (dst & 7)));
        x64_u32(e, (uint32_t)imm);
    } else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
        enc(e, 0, F_W, OP1(0xc7), 0, rm_r(dst));
        x64_u32(e, (uint32_t)imm);
    } else {
        x64_byte(e, (uint8_t)(0x48 | ((dst & 8) ? 1 : 0)));
        x64_byte(e, (uint8_t)(0xb8 + (dst & 7)));
        x64_u64(e, imm);
    }
}

/* movzx r32 zero-extends to 64 bits, so no REX.W is needed for the unsigned forms. */
void x64_emit_movzx8_rr(X64Emit *e, X64Reg dst, X64Reg src) { enc(e, 0, F_BYTE, OP2(0x0f, 0xb6), dst, rm_r(src)); }
void x64_emit_movzx8_rm(X64Emit *e, X64Reg dst, X64Mem m) { enc(e, 0, 0, OP2(0x0f, 0xb6), dst, rm_m(m)); }
void x64_emit_movzx16_rr(X64Emit *e, X64Reg dst, X64Reg src) { enc(e, 0, 0, OP2(0x0f, 0xb7), dst, rm_r(src)); }
void x64_emit_movzx16_rm(X64Emit *e, X64Reg dst, X64Mem m) { enc(e, 0, 0, OP2(0x0f, 0xb7), dst, rm_m(m)); }
void x64_emit_movsx8_rr(X64Emit *e, bool w, X64Reg dst, X64Reg src) { enc(e, 0, W(w) | F_BYTE, OP2(0x0f, 0xbe), dst, rm_r(src)); }
void x64_emit_movsx8_rm(X64Emit *e, bool w, X64Reg dst, X64Mem m) { enc(e, 0, W(w), OP2(0x0f, 0xbe), dst, rm_m(m)); }
void x64_emit_movsx16_rr(X64Emit *e, bool w, X64Reg dst, X64Reg src) { enc(e, 0, W(w), OP2(0x0f, 0xbf), dst, rm_r(src)); }
void x64_emit_movsx16_rm(X64Emit *e, bool w, X64Reg dst, X64Mem m) { enc(e, 0, W(w), OP2(0x0f, 0xbf), dst, rm_m(m)); }
void x64_emit_movsxd_rr(X64Emit *e, X64Reg dst, X64Reg src) { enc(e, 0, F_W, OP1(0x63), dst, rm_r(src)); }
void x64_emit_movsxd_rm(X64Emit *e, X64Reg dst, X64Mem m) { enc(e, 0, F_W, OP1(0x63), dst, rm_m(m)); }
void x64_emit_lea(X64Emit *e, bool w, X64Reg dst, X64Mem m) { enc(e, 0, W(w), OP1(0x8d), dst, rm_m(m)); }

/* -- ALU ----------------------------------------------------------------------------- */

void x64_emit_alu_rr(X64Emit *e, X64Alu op, bool w, X64Reg dst, X64Reg src)
{
    enc(e, 0, W(w), OP1((uint8_t)(op << 3 | 1)), src, rm_r(dst));
}
void x64_emit_alu_rm(X64Emit *e, X64Alu op, bool w, X64Reg dst, X64Mem m)
{
    enc(e, 0, W(w), OP1((uint8_t)(op << 3 | 3)), dst, rm_m(m));
}
void x64_emit_alu_mr(X64Emit *e, X64Alu op, bool w, X64Mem m, X64Reg src)
{
    enc(e, 0, W(w), OP1((uint8_t)(op << 3 | 1)), src, rm_m(m));
}

static void alu_imm(X64Emit *e, X64Alu op, bool w, Rm rm, int32_t imm)
{
    if (imm >= -128 && imm <= 127) {
        enc(e, 0, W(w), OP1(0x83), op, rm);
        x64_byte(e, (uint8_t)(int8_t)imm);
    } else {
        enc(e, 0, W(w), OP1(0x81), op, rm);
        x64_u32(e, (uint32_t)imm);
    }
}
void x64_emit_alu_ri(X64Emit *e, X64Alu op, bool w, X64Reg dst, int32_t imm) { alu_imm(e, op, w, rm_r(dst), imm); }
void x64_emit_alu_mi(X64Emit *e, X64Alu op, bool w, X64Mem m, int32_t imm) { alu_imm(e, op, w, rm_m(m), imm); }

void x64_emit_test_rr(X64Emit *e, bool w, X64Reg a, X64Reg b) { enc(e, 0, W(w), OP1(0x85), b, rm_r(a)); }
void x64_emit_test_ri(X64Emit *e, bool w, X64Reg a, int32_t imm)
{
    enc(e, 0, W(w), OP1(0xf7), 0, rm_r(a));
    x64_u32(e, (uint32_t)imm);
}
void x64_emit_test_mi8(X64Emit *e, X64Mem m, uint8_t imm)
{
    enc(e, 0, 0, OP1(0xf6), 0, rm_m(m));
    x64_byte(e, imm);
}
/* BT r/m, imm8: 0F BA /4 ib (CF = the bit). */
void x64_emit_bt_ri(X64Emit *e, bool w, X64Reg a, uint8_t bit)
{
    enc(e, 0, W(w), OP2(0x0f, 0xba), 4, rm_r(a));
    x64_byte(e, bit);
}

void x64_emit_shift_ri(X64Emit *e, X64Shift op, bool w, X64Reg dst, uint8_t count)
{
    if (count == 1) {
        enc(e, 0, W(w), OP1(0xd1), op, rm_r(dst));
    } else {
        enc(e, 0, W(w), OP1(0xc1), op, rm_r(dst));
        x64_byte(e, count);
    }
}
void x64_emit_shift_rcl(X64Emit *e, X64Shift op, bool w, X64Reg dst) { enc(e, 0, W(w), OP1(0xd3), op, rm_r(dst)); }

void x64_emit_imul_rr(X64Emit *e, bool w, X64Reg dst, X64Reg src) { enc(e, 0, W(w), OP2(0x0f, 0xaf), dst, rm_r(src)); }
void x64_emit_imul_rri(X64Emit *e, bool w, X64Reg dst, X64Reg src, int32_t imm)
{
    enc(e, 0, W(w), OP1(0x69), dst, rm_r(src));
    x64_u32(e, (uint32_t)imm);
}
void x64_emit_mul_r(X64Emit *e, bool w, X64Reg src) { enc(e, 0, W(w), OP1(0xf7), 4, rm_r(src)); }
void x64_emit_imul1_r(X64Emit *e, bool w, X64Reg src) { enc(e, 0, W(w), OP1(0xf7), 5, rm_r(src)); }
void x64_emit_div_r(X64Emit *e, bool w, X64Reg src) { enc(e, 0, W(w), OP1(0xf7), 6, rm_r(src)); }
void x64_emit_idiv_r(X64Emit *e, bool w, X64Reg src) { enc(e, 0, W(w), OP1(0xf7), 7, rm_r(src)); }
void x64_emit_not_r(X64Emit *e, bool w, X64Reg r) { enc(e, 0, W(w), OP1(0xf7), 2, rm_r(r)); }
void x64_emit_neg_r(X64Emit *e, bool w, X64Reg r) { enc(e, 0, W(w), OP1(0xf7), 3, rm_r(r)); }
void x64_emit_cqo(X64Emit *e, bool w)
{
    if (w) x64_byte(e, 0x48);
    x64_byte(e, 0x99);
}

/* LZCNT/TZCNT/POPCNT: F3 (REX) 0F BD/BC/B8; the F3 prefix precedes REX. */
void x64_emit_lzcnt(X64Emit *e, bool w, X64Reg dst, X64Reg src) { enc(e, 0xf3, W(w), OP2(0x0f, 0xbd), dst, rm_r(src)); }
void x64_emit_tzcnt(X64Emit *e, bool w, X64Reg dst, X64Reg src) { enc(e, 0xf3, W(w), OP2(0x0f, 0xbc), dst, rm_r(src)); }
void x64_emit_popcnt(X64Emit *e, bool w, X64Reg dst, X64Reg src) { enc(e, 0xf3, W(w), OP2(0x0f, 0xb8), dst, rm_r(src)); }
void x64_emit_bswap(X64Emit *e, bool w, X64Reg r)
{
    uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((r & 8) ? 1 : 0));
    if (rex != 0x40) x64_byte(e, rex);
    x64_byte(e, 0x0f);
    x64_byte(e, (uint8_t)(0xc8 + (r & 7)));
}

void x64_emit_setcc(X64Emit *e, X64Cond cc, X64Reg dst8) { enc(e, 0, F_BYTE, OP2(0x0f, (uint8_t)(0x90 + cc)), 0, rm_r(dst8)); }
void x64_emit_cmov(X64Emit *e, X64Cond cc, bool w, X64Reg dst, X64Reg src)
{
    enc(e, 0, W(w), OP2(0x0f, (uint8_t)(0x40 + cc)), dst, rm_r(src));
}

void x64_emit_push(X64Emit *e, X64Reg r)
{
    if (r & 8) x64_byte(e, 0x41);
    x64_byte(e, (uint8_t)(0x50 + (r & 7)));
}
void x64_emit_pop(X64Emit *e, X64Reg r)
{
    if (r & 8) x64_byte(e, 0x41);
    x64_byte(e, (uint8_t)(0x58 + (r & 7)));
}
void x64_emit_ret(X64Emit *e) { x64_byte(e, 0xc3); }
void x64_emit_mfence(X64Emit *e)
{
    x64_byte(e, 0x0f);
    x64_byte(e, 0xae);
    x64_byte(e, 0xf0);
}

/* -- Control flow ------------------------------------------------------------------ */

static int64_t rel_from(const X64Emit *e, const void *target, unsigned insn_len)
{
    return (intptr_t)target - (intptr_t)(e->p + insn_len);
}

void x64_emit_jmp(X64Emit *e, const void *target)
{
    int64_t d = rel_from(e, target, 2);
    if (target && d >= -128 && d <= 127) {
        x64_byte(e, 0xeb);
        x64_byte(e, (uint8_t)(int8_t)d);
    } else {
        x64_emit_jmp_rel32(e, target);
    }
}

uint8_t *x64_emit_jmp_rel32(X64Emit *e, const void *target)
{
    x64_byte(e, 0xe9);
    uint8_t *disp = e->p;
    x64_u32(e, (uint32_t)(int32_t)(target ? rel_from(e, target, 4) : 0));
    return disp;
}

void x64_emit_jcc(X64Emit *e, X64Cond cc, const void *target)
{
    int64_t d = rel_from(e, target, 2);
    if (target && d >= -128 && d <= 127) {
        x64_byte(e, (uint8_t)(0x70 + cc));
        x64_byte(e, (uint8_t)(int8_t)d);
    } else {
        x64_emit_jcc_rel32(e, cc, target);
    }
}

uint8_t *x64_emit_jcc_rel32(X64Emit *e, X64Cond cc, const void *target)
{
    x64_byte(e, 0x0f);
    x64_byte(e, (uint8_t)(0x80 + cc));
    uint8_t *disp = e->p;
    x64_u32(e, (uint32_t)(int32_t)(target ? rel_from(e, target, 4) : 0));
    return disp;
}

uint8_t *x64_emit_jcc8_fwd(X64Emit *e, X64Cond cc)
{
    x64_byte(e, (uint8_t)(0x70 + cc));
    x64_byte(e, 0);
    return e->p - 1;
}

uint8_t *x64_emit_jmp8_fwd(X64Emit *e)
{
    x64_byte(e, 0xeb);
    x64_byte(e, 0);
    return e->p - 1;
}

void x64_bind8(X64Emit *e, uint8_t *disp8)
{
    if (e->overflow) return;
    int64_t d = e->p - (disp8 + 1);
    if (d > 127) abort(); /* a template grew past rel8: a vm bug */
    *disp8 = (uint8_t)(int8_t)d;
}

void x64_emit_call(X64Emit *e, const void *target)
{
    int64_t d = rel_from(e, target, 5);
    if (d >= INT32_MIN && d <= INT32_MAX) {
        x64_byte(e, 0xe8);
        x64_u32(e, (uint32_t)(int32_t)d);
    } else {
        x64_emit_mov_ri(e, X64_RAX, (uint64_t)(uintptr_t)target);
        enc(e, 0, 0, OP1(0xff), 2, rm_r(X64_RAX));
    }
}

void x64_emit_jmp_r(X64Emit *e, X64Reg r) { enc(e, 0, 0, OP1(0xff), 4, rm_r(r)); }
void x64_emit_jmp_m(X64Emit *e, X64Mem m) { enc(e, 0, 0, OP1(0xff), 4, rm_m(m)); }

void x64_patch_rel32(uint8_t *disp, const void *target)
{
    int32_t d = (int32_t)((intptr_t)target - (intptr_t)(disp + 4));
    /* Callers align displacements to 4 bytes, so this store is atomic and a
     * concurrently executing vCPU sees the old or the new jump (SDM vol. 3,
     * 8.1.1 and cross-modifying code 8.1.3). */
    __atomic_store_n((int32_t *)(void *)disp, d, __ATOMIC_RELEASE);
}

/* -- SSE ------------------------------------------------------------------------------- */

/* MOVQ xmm, r/m64: 66 REX.W 0F 6E /r; MOVQ r/m64, xmm: 66 REX.W 0F 7E /r. */
void x64_emit_movq_xr(X64Emit *e, int xmm, X64Reg src) { enc(e, 0x66, F_W, OP2(0x0f, 0x6e), (unsigned)xmm, rm_r(src)); }
void x64_emit_movq_rx(X64Emit *e, X64Reg dst, int xmm) { enc(e, 0x66, F_W, OP2(0x0f, 0x7e), (unsigned)xmm, rm_r(dst)); }
void x64_emit_movd_xr(X64Emit *e, int xmm, X64Reg src) { enc(e, 0x66, 0, OP2(0x0f, 0x6e), (unsigned)xmm, rm_r(src)); }
void x64_emit_movd_rx(X64Emit *e, X64Reg dst, int xmm) { enc(e, 0x66, 0, OP2(0x0f, 0x7e), (unsigned)xmm, rm_r(dst)); }

void x64_emit_sse_arith(X64Emit *e, uint8_t op, bool dbl, int dst, int src)
{
    enc(e, dbl ? 0xf2 : 0xf3, 0, OP2(0x0f, op), (unsigned)dst, rm_r((unsigned)src));
}

void x64_emit_sse_rr(X64Emit *e, uint8_t prefix, uint8_t op, int dst, int src)
{
    enc(e, prefix, 0, OP2(0x0f, op), (unsigned)dst, rm_r((unsigned)src));
}

/* UCOMISD: 66 0F 2E; UCOMISS: 0F 2E. */
void x64_emit_ucomis(X64Emit *e, bool dbl, int a, int b)
{
    enc(e, dbl ? 0x66 : 0, 0, OP2(0x0f, 0x2e), (unsigned)a, rm_r((unsigned)b));
}

void x64_emit_ldmxcsr(X64Emit *e, X64Mem m) { enc(e, 0, 0, OP2(0x0f, 0xae), 2, rm_m(m)); }
void x64_emit_stmxcsr(X64Emit *e, X64Mem m) { enc(e, 0, 0, OP2(0x0f, 0xae), 3, rm_m(m)); }

/* 3-byte VEX (SDM vol. 2, 2.3.5): C4, then R X B (inverted) mmmmm (00010 = 0F38),
 * then W vvvv (inverted) L pp (01 = 66). */
void x64_emit_vfma213(X64Emit *e, uint8_t op, bool dbl, int dst, int src2, int src3)
{
    x64_byte(e, 0xc4);
    x64_byte(e, (uint8_t)(((dst & 8) ? 0 : 0x80) | 0x40 | ((src3 & 8) ? 0 : 0x20) | 0x02));
    x64_byte(e, (uint8_t)((dbl ? 0x80 : 0) | ((~src2 & 15) << 3) | 0x01));
    x64_byte(e, op);
    x64_byte(e, (uint8_t)(0xc0 | (dst & 7) << 3 | (src3 & 7)));
}

void x64_emit_movdqu_xm(X64Emit *e, int xmm, X64Mem m) { enc(e, 0xf3, 0, OP2(0x0f, 0x6f), (unsigned)xmm, rm_m(m)); }
void x64_emit_movdqu_mx(X64Emit *e, X64Mem m, int xmm) { enc(e, 0xf3, 0, OP2(0x0f, 0x7f), (unsigned)xmm, rm_m(m)); }

/* -- SSE2/SSSE3/SSE4.1 packed integer ------------------------------------------------------
 * SDM vol. 2: the 66 0F 38 map holds PSHUFB, PABS*, PMINS/U*, PMAXS/U*,
 * PMULLD, PCMPEQQ, PCMPGTQ; 0F 70 is the PSHUF* family (the prefix picks
 * PSHUFD 66 / PSHUFLW F2 / PSHUFHW F3); 66 0F 71/72/73 are the shift-by-
 * immediate groups (/2 logical right, /4 arithmetic right, /6 left). */
void x64_emit_sse38_rr(X64Emit *e, uint8_t op, int dst, int src)
{
    enc(e, 0x66, 0, OP3(0x0f, 0x38, op), (unsigned)dst, rm_r((unsigned)src));
}

void x64_emit_sse_rm(X64Emit *e, uint8_t prefix, uint8_t op, int dst, X64Mem m)
{
    enc(e, prefix, 0, OP2(0x0f, op), (unsigned)dst, rm_m(m));
}

void x64_emit_pshuf(X64Emit *e, uint8_t prefix, int dst, int src, uint8_t imm)
{
    enc(e, prefix, 0, OP2(0x0f, 0x70), (unsigned)dst, rm_r((unsigned)src));
    x64_byte(e, imm);
}

void x64_emit_pshift_ri(X64Emit *e, uint8_t group, unsigned digit, int xmm, uint8_t count)
{
    enc(e, 0x66, 0, OP2(0x0f, group), digit, rm_r((unsigned)xmm));
    x64_byte(e, count);
}

/* PINSRW xmm, r32, imm8: 66 0F C4 /r ib (SSE2); PINSRB 66 0F 3A 20 /r ib,
 * PINSRD 66 0F 3A 22 /r ib, PINSRQ 66 REX.W 0F 3A 22 /r ib (SSE4.1). */
void x64_emit_pinsr(X64Emit *e, unsigned lg, int xmm, X64Reg src, uint8_t lane)
{
    if (lg == 1) enc(e, 0x66, 0, OP2(0x0f, 0xc4), (unsigned)xmm, rm_r(src));
    else enc(e, 0x66, lg == 3 ? F_W : 0, OP3(0x0f, 0x3a, lg == 0 ? 0x20 : 0x22), (unsigned)xmm, rm_r(src));
    x64_byte(e, lane);
}

/* prefix 0F op /r ib, register operands (CMPPS 0F C2, CMPPD 66 0F C2, ...). */
void x64_emit_sse_rri(X64Emit *e, uint8_t prefix, uint8_t op, int dst, int src, uint8_t imm)
{
    enc(e, prefix, 0, OP2(0x0f, op), (unsigned)dst, rm_r((unsigned)src));
    x64_byte(e, imm);
}
