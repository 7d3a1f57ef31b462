/* SPDX-License-Identifier: MIT */
/* L1 template code generator: one fixed x86-64 sequence per IR op, temps kept in
 * host registers by a block-local allocator driven by last-use positions (spill
 * to the rsp frame when short), guest state in CpuState at rbx, memory at r14,
 * fast paths inline ("hot") and slow paths, exits and fix-ups out of line ("cold").
 * F32/F64 temps also get an xmm copy ("shadow", xmm5-xmm15) while they live, so
 * chains of FP ops stay in xmm registers; templates use only xmm0-xmm4. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp_int.h"
#include "jit/backend/x86_64/x64_emit.h"
#include "jit/jit_int.h"
#include "vm/fp.h"
#include "vm/log.h"
#include "vm/tlb.h"

/* -- Registers ------------------------------------------------------------------------
 * rax rcx rdx: template scratch. Allocatable: caller-saved first (calls save
 * them in the frame), then the two callee-saved ones. */
#define R_CPU X64_RBX
#define R_VCPU X64_R12
#define R_BASE X64_R14
#define R_LIM X64_R15

static const X64Reg pool_regs[] = {X64_RSI, X64_RDI, X64_R8, X64_R9, X64_R10, X64_R11,
                                   X64_RBP, X64_R13};
#define NPOOL 8
static bool caller_saved(X64Reg r) { return r == X64_RSI || r == X64_RDI || (r >= X64_R8 && r <= X64_R11); }
/* Save-area slot per caller-saved register. */
static int save_off(X64Reg r)
{
    switch (r) {
    case X64_RSI: return JIT_FRAME_SAVE + 0;
    case X64_RDI: return JIT_FRAME_SAVE + 8;
    default: return JIT_FRAME_SAVE + 16 + 8 * (r - X64_R8);
    }
}

typedef struct Temp {
    int8_t reg;     /* host register or -1 */
    bool in_mem;    /* spill slot holds the value */
    int32_t slot;   /* rsp offset, or -1 */
    uint32_t last;  /* index of the last insn using it (def index if unused) */
    int8_t xmm;     /* xmm register holding a copy of the value (FP shadow), or -1 */
    const uint8_t *lit; /* V128 constant: its 16-byte literal in the cold area, or NULL */
} Temp;

typedef struct Gen {
    X64Emit e, c; /* hot, cold */
    JitCompile *jc;
    const IrBlock *ir;
    Temp *t;       /* indexed by root[v]: aliases share their root's Temp */
    uint32_t *root; /* v, or the temp v is a bit-identical copy of (mov/bitcast) */
    uint32_t owner[16]; /* temp (a root) held by each host register, 0 = free */
    uint32_t xown[16];  /* temp (a root) each xmm register is a shadow of, 0 = free */
    bool xwide[16];     /* the shadow holds 64 bits (movq), else 32 (movd) */
    int xlast;          /* last shadow register (below the loop pins) */
    /* Loop pins (a block that jumps back to its own start): guest registers
     * read before written and written in the block live in a host register
     * (rbp, r13) or an xmm register (xmm15 down) for the whole block, loaded
     * before the entry point; sets write CpuState and the pin (so exits need
     * nothing), gets read the pin, and the back edge jumps to the entry
     * point, so a loop-carried value never goes through a store and reload. */
    int8_t *pin;        /* per guest reg: host reg, 16 + xmm, or -1 */
    bool pinned[16];    /* general registers taken out of the pool */
    int xpin_slot[16];  /* frame copy of each pinned xmm across calls, 0 = not pinned */
    uint8_t *loop_head; /* entry point the back edge jumps to, or NULL */
    uint32_t cur;
    int32_t next_slot;
    uint8_t *pc_needed; /* per insn: PC_NEEDED (insn_start), SET_DEAD (set) */
    bool pc_stored; /* cpu->pc holds the current insn's pc */
    uint64_t cur_pc;
    unsigned nexit;
    uint32_t skip; /* insn folded into the previous one (0 = none) */
    IrVal cc_val;  /* the host flags hold "cc" for this 0/1 temp (setcond) */
    X64Cond cc;
    /* Fast-path guest accesses that may take a host fault (user mode: an
     * unmapped page inside the guest space): host address and guest pc, for
     * x64_fault_pc. The pc is stored only on the slow paths. */
    struct { uint8_t *host; uint64_t pc; } *sites;
    unsigned nsites, cap_sites;
    int32_t vtmp; /* frame slot pair for a V128 constant on slow paths, 0 = none yet */
    bool fail;
} Gen;

static bool have_fma;
/* Packed-integer extensions the vector templates may use (x64_host_ok does
 * not require them: an op whose sequence needs a missing one calls the
 * interpreter's body instead). */
static bool have_ssse3, have_sse41, have_sse42;

/* Per-insn marks of the pre-passes (Gen.pc_needed). */
enum { PC_NEEDED = 1, SET_DEAD = 2 };

/* Trailer of the fault-site table at the end of a block's cold area. */
#define X64_SITES_MAGIC 0x53544c46u /* "FLTS" */

bool x64_host_ok(void)
{
    __builtin_cpu_init();
    have_fma = __builtin_cpu_supports("fma");
    have_ssse3 = __builtin_cpu_supports("ssse3");
    have_sse41 = __builtin_cpu_supports("sse4.1");
    have_sse42 = __builtin_cpu_supports("sse4.2");
    /* lzcnt/tzcnt: CPUID.80000001H:ECX.ABM[bit 5] and CPUID.07H:EBX.BMI1[bit 3]. */
    unsigned a, b, c, d;
    bool abm = false, bmi1 = false;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0));
    abm = (c >> 5) & 1;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7u), "c"(0));
    bmi1 = (b >> 3) & 1;
    return __builtin_cpu_supports("popcnt") && abm && bmi1;
}

static const IrTemp *T(const Gen *g, IrVal v) { return &g->ir->temps[v]; }
static bool is_c(const Gen *g, IrVal v) { return v != IR_NONE && T(g, v)->kind == IR_TEMP_CONST; }
static uint64_t cv(const Gen *g, IrVal v) { return T(g, v)->cval[0]; }
static IrType ty(const Gen *g, IrVal v) { return (IrType)T(g, v)->type; }
static bool fits32(uint64_t v) { return (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX; }
static X64Mem M(X64Reg b, int32_t d) { return x64_mem(b, d); }
static X64Mem SP(int32_t d) { return x64_mem(X64_RSP, d); }

/* Patches a rel32 only when the emitters did not run out of room (the
 * displacement pointer is then inside the buffer). */
static void patch(Gen *g, uint8_t *disp, const void *target)
{
    if (!g->e.overflow && !g->c.overflow) x64_patch_rel32(disp, target);
}

/* -- Allocation ------------------------------------------------------------------------ */

static int32_t new_slot(Gen *g, unsigned n)
{
    int32_t s = g->next_slot;
    g->next_slot += 8 * (int32_t)n;
    if (g->next_slot > JIT_FRAME_SPILL + 8 * JIT_SPILL_SLOTS) {
        g->fail = true;
        return JIT_FRAME_SPILL;
    }
    return s;
}

static void spill(Gen *g, X64Reg r)
{
    uint32_t v = g->owner[r];
    if (!v) return;
    Temp *t = &g->t[g->root[v]];
    if (!t->in_mem) {
        if (t->slot < 0) t->slot = new_slot(g, 1);
        x64_emit_mov_mr(&g->e, true, SP(t->slot), r);
        t->in_mem = true;
    }
    t->reg = -1;
    g->owner[r] = 0;
}

static X64Reg alloc_reg(Gen *g)
{
    for (unsigned i = 0; i < NPOOL; i++)
        if (!g->owner[pool_regs[i]] && !g->pinned[pool_regs[i]]) return pool_regs[i];
    /* Evict the value used furthest in the future. */
    X64Reg best = pool_regs[0];
    for (unsigned i = 1; i < NPOOL; i++)
        if (!g->pinned[pool_regs[i]] && g->t[g->owner[pool_regs[i]]].last > g->t[g->owner[best]].last)
            best = pool_regs[i];
    spill(g, best);
    return best;
}

/* -- FP shadows -----------------------------------------------------------------------
 * An F32/F64 temp keeps its value in its general register (or slot) as every
 * temp does; an FP op also leaves the result in an xmm register and notes it,
 * so the next FP op reads it from there (no movq from the general register on
 * the dependency chain). Temps never change once defined, so a shadow stays
 * valid until the temp dies or a call clobbers the xmm registers (all
 * caller-saved, SysV AMD64 ABI 3.2.1): calls in hot code drop every shadow,
 * cold paths that call and rejoin the hot path reload them (xreload). */
#define XSHADOW_FIRST 5

static void xdrop(Gen *g, int x)
{
    uint32_t v = g->xown[x];
    if (!v) return;
    g->t[v].xmm = -1;
    g->xown[x] = 0;
}

static void xdrop_all(Gen *g)
{
    for (int x = XSHADOW_FIRST; x <= g->xlast; x++) xdrop(g, x);
}

/* A free shadow register, not one in pin (the current insn's operands):
 * else the one whose temp is used furthest ahead (dropping a shadow costs no
 * code: the general copy stays). */
static int xalloc(Gen *g, unsigned pin)
{
    int best = -1;
    for (int x = XSHADOW_FIRST; x <= g->xlast; x++) {
        if ((pin >> x) & 1) continue;
        if (!g->xown[x]) return x;
        if (best < 0 || g->t[g->xown[x]].last > g->t[g->xown[best]].last) best = x;
    }
    xdrop(g, best);
    return best;
}

/* x becomes the shadow of temp root rt. */
static void xbind(Gen *g, int x, uint32_t rt, bool dbl)
{
    if (g->t[rt].xmm >= 0) xdrop(g, g->t[rt].xmm);
    g->t[rt].xmm = (int8_t)x;
    g->xown[x] = rt;
    g->xwide[x] = dbl;
}

/* Frees registers of temps whose last use is the current insn. */
static void free_dying(Gen *g)
{
    for (unsigned i = 0; i < NPOOL; i++) {
        X64Reg r = pool_regs[i];
        uint32_t v = g->owner[r];
        if (v && g->t[g->root[v]].last <= g->cur) {
            g->t[g->root[v]].reg = -1;
            g->owner[r] = 0;
        }
    }
    for (int x = XSHADOW_FIRST; x <= g->xlast; x++) {
        uint32_t v = g->xown[x];
        if (v && g->t[v].last <= g->cur) {
            g->t[v].xmm = -1;
            g->xown[x] = 0;
        }
    }
}

/* The result of the current insn is in src: give dst a register. */
static void finish(Gen *g, IrVal dst, X64Reg src)
{
    free_dying(g);
    if (dst == IR_NONE || g->t[g->root[dst]].last <= g->cur) return;
    X64Reg r = alloc_reg(g);
    x64_emit_mov_rr(&g->e, true, r, src);
    g->t[g->root[dst]].reg = (int8_t)r;
    g->owner[r] = g->root[dst];
}

/* dst takes over register r (which holds its value now). */
static void finish_in(Gen *g, IrVal dst, X64Reg r)
{
    uint32_t old = g->owner[r];
    if (old) {
        g->t[g->root[old]].reg = -1;
        g->owner[r] = 0;
    }
    free_dying(g);
    if (dst == IR_NONE || g->t[g->root[dst]].last <= g->cur) return;
    g->t[g->root[dst]].reg = (int8_t)r;
    g->owner[r] = g->root[dst];
}

/* v is a temp in a register and the current insn is its last use: its
 * register may take the result (the template computes in place). */
static bool dies_in_reg(const Gen *g, IrVal v)
{
    return v != IR_NONE && T(g, v)->kind != IR_TEMP_CONST && g->t[g->root[v]].reg >= 0 &&
           g->t[g->root[v]].last == g->cur;
}

static bool dst_used(const Gen *g, IrVal dst) { return dst != IR_NONE && g->t[g->root[dst]].last > g->cur; }

/* A register for the result of the current insn, bound to dst at once (so
 * later allocations in the template cannot take it); rax when the result is
 * unused. Allocating may spill a value: operands must be read after this. */
static X64Reg new_dst(Gen *g, IrVal dst)
{
    if (!dst_used(g, dst)) return X64_RAX;
    X64Reg r = alloc_reg(g);
    g->t[g->root[dst]].reg = (int8_t)r;
    g->owner[r] = g->root[dst];
    return r;
}

/* The register for the result: the register of `reuse` when that operand dies
 * here (then *inplace is set: r already holds it), else new_dst. */
static X64Reg dst_or_reuse(Gen *g, IrVal dst, IrVal reuse, bool *inplace)
{
    *inplace = false;
    if (!dst_used(g, dst)) return X64_RAX;
    if (dies_in_reg(g, reuse)) {
        *inplace = true;
        return (X64Reg)g->t[g->root[reuse]].reg;
    }
    return new_dst(g, dst);
}

/* dst <- v (64-bit copy of the value's representation). */
static void load(Gen *g, X64Reg dst, IrVal v)
{
    if (v == IR_NONE) {
        x64_emit_mov_ri(&g->e, dst, 0);
    } else if (is_c(g, v)) {
        uint64_t c = cv(g, v);
        IrType t = ty(g, v);
        if (t == IR_I32 || t == IR_F32) c = (uint32_t)c;
        x64_emit_mov_ri(&g->e, dst, c);
    } else if (g->t[g->root[v]].reg >= 0) {
        if ((X64Reg)g->t[g->root[v]].reg != dst) x64_emit_mov_rr(&g->e, true, dst, (X64Reg)g->t[g->root[v]].reg);
    } else {
        x64_emit_mov_rm(&g->e, true, dst, SP(g->t[g->root[v]].slot));
    }
}

/* A register holding v: its own, or scratch loaded. */
static X64Reg reg_of(Gen *g, IrVal v, X64Reg scratch)
{
    if (v != IR_NONE && !is_c(g, v) && g->t[g->root[v]].reg >= 0) return (X64Reg)g->t[g->root[v]].reg;
    load(g, scratch, v);
    return scratch;
}

/* The shadow xmm register of FP value v (dbl: 64 bits), loading it from v's
 * general register, slot or constant when it has none; added to *pin. */
static int xmm_of(Gen *g, IrVal v, bool dbl, unsigned *pin)
{
    uint32_t rt = g->root[v];
    int x = g->t[rt].xmm;
    if (x < 0 || g->xwide[x] != dbl) {
        x = xalloc(g, *pin);
        X64Reg r = reg_of(g, v, X64_RAX);
        if (dbl) x64_emit_movq_xr(&g->e, x, r);
        else x64_emit_movd_xr(&g->e, x, r);
        xbind(g, x, rt, dbl);
    }
    *pin |= 1u << x;
    return x;
}

/* Cold code after a call that goes back to the hot path: reloads the shadows
 * that live past the current insn (the call clobbered them) from their
 * general registers (restored by then) or slots, except `skip`, which the
 * caller fills. Uses rdx only (rax may hold the call's result). */
static void xreload(Gen *g, X64Emit *c, int skip)
{
    for (int x = XSHADOW_FIRST; x <= g->xlast; x++) {
        uint32_t v = g->xown[x];
        if (!v || x == skip || g->t[v].last <= g->cur) continue;
        const Temp *t = &g->t[v];
        X64Reg r = X64_RDX;
        if (is_c(g, v)) {
            x64_emit_mov_ri(c, X64_RDX, g->xwide[x] ? cv(g, v) : (uint32_t)cv(g, v));
        } else if (t->reg >= 0) {
            r = (X64Reg)t->reg;
        } else if (t->in_mem) {
            x64_emit_mov_rm(c, true, X64_RDX, SP(t->slot));
        } else {
            xdrop(g, x); /* no copy to reload from (never expected): forget it */
            continue;
        }
        if (g->xwide[x]) x64_emit_movq_xr(c, x, r);
        else x64_emit_movd_xr(c, x, r);
    }
}

/* dst op= v, with v as register, memory or immediate operand. */
static void alu(Gen *g, X64Alu op, bool w, X64Reg dst, IrVal v)
{
    if (is_c(g, v)) {
        uint64_t c = cv(g, v);
        if (!w) c = (uint32_t)(int32_t)(uint32_t)c;
        if (w ? fits32(c) : true) {
            x64_emit_alu_ri(&g->e, op, w, dst, (int32_t)(uint32_t)c);
            return;
        }
        x64_emit_mov_ri(&g->e, X64_RDX, c);
        x64_emit_alu_rr(&g->e, op, w, dst, X64_RDX);
    } else if (g->t[g->root[v]].reg >= 0) {
        x64_emit_alu_rr(&g->e, op, w, dst, (X64Reg)g->t[g->root[v]].reg);
    } else {
        x64_emit_alu_rm(&g->e, op, w, dst, SP(g->t[g->root[v]].slot));
    }
}

/* The 16 bytes of V128 constant v as a literal in the cold area (16-byte
 * aligned; a rip-relative operand from hot code), one per constant and block. */
static const uint8_t *vlit(Gen *g, IrVal v)
{
    Temp *t = &g->t[g->root[v]];
    if (!t->lit) {
        x64_align(&g->c, 16, 0);
        t->lit = g->c.p;
        for (int i = 0; i < 16; i++) x64_byte(&g->c, (uint8_t)(T(g, v)->cval[i / 8] >> (8 * (i % 8))));
    }
    return t->lit;
}

/* Memory copy of a V128 temp: its slot. A constant gets one on first use,
 * written with one 16-byte store through xmm0 (two 8-byte stores would make
 * the 16-byte loads that read it miss store forwarding). */
static int32_t vslot(Gen *g, IrVal v)
{
    Temp *t = &g->t[g->root[v]];
    if (t->slot < 0) {
        t->slot = new_slot(g, 2);
        if (is_c(g, v)) {
            x64_emit_movdqu_xm(&g->e, 0, x64_mem_rip(vlit(g, v)));
            x64_emit_movdqu_mx(&g->e, SP(t->slot), 0);
        }
    }
    t->in_mem = true;
    return t->slot;
}

/* -- Calls ------------------------------------------------------------------------------
 * Calls keep the allocation: occupied caller-saved registers go to the save
 * area and come back after; arguments are read from the saved copies. */
static const X64Reg abi_args[6] = {X64_RDI, X64_RSI, X64_RDX, X64_RCX, X64_R8, X64_R9};

typedef struct Arg {
    enum { A_NONE, A_VAL, A_IMM, A_CPU, A_FP, A_SLOTPTR, A_REG } k;
    uint64_t x; /* IrVal, immediate, rsp offset, host reg */
} Arg;

static void save_regs(X64Emit *e, const Gen *g)
{
    for (unsigned i = 0; i < NPOOL; i++) {
        X64Reg r = pool_regs[i];
        if (g->owner[r] && caller_saved(r)) x64_emit_mov_mr(e, true, SP(save_off(r)), r);
    }
    for (int x = 0; x < 16; x++)
        if (g->xpin_slot[x]) x64_emit_movdqu_mx(e, SP(g->xpin_slot[x]), x);
}

static void restore_regs(X64Emit *e, const Gen *g)
{
    for (unsigned i = 0; i < NPOOL; i++) {
        X64Reg r = pool_regs[i];
        if (g->owner[r] && caller_saved(r)) x64_emit_mov_rm(e, true, r, SP(save_off(r)));
    }
    for (int x = 0; x < 16; x++)
        if (g->xpin_slot[x]) x64_emit_movdqu_xm(e, x, SP(g->xpin_slot[x]));
}

static void load_arg(X64Emit *e, const Gen *g, X64Reg dst, Arg a)
{
    switch (a.k) {
    case A_NONE: x64_emit_mov_ri(e, dst, 0); break;
    case A_IMM: x64_emit_mov_ri(e, dst, a.x); break;
    case A_CPU: x64_emit_mov_rr(e, true, dst, R_CPU); break;
    case A_FP: x64_emit_lea(e, true, dst, M(R_CPU, offsetof(CpuState, fp))); break;
    case A_SLOTPTR: x64_emit_lea(e, true, dst, SP((int32_t)a.x)); break;
    case A_REG:
        if (caller_saved((X64Reg)a.x) && g->owner[a.x])
            x64_emit_mov_rm(e, true, dst, SP(save_off((X64Reg)a.x)));
        else if (a.x != dst)
            x64_emit_mov_rr(e, true, dst, (X64Reg)a.x);
        break;
    case A_VAL: {
        IrVal v = (IrVal)a.x;
        const Temp *t = &g->t[g->root[v]];
        if (v == IR_NONE) {
            x64_emit_mov_ri(e, dst, 0);
        } else if (is_c(g, v)) {
            uint64_t c = cv(g, v);
            IrType tt = ty(g, v);
            x64_emit_mov_ri(e, dst, tt == IR_I32 || tt == IR_F32 ? (uint32_t)c : c);
        } else if (t->reg >= 0 && caller_saved((X64Reg)t->reg)) {
            x64_emit_mov_rm(e, true, dst, SP(save_off((X64Reg)t->reg)));
        } else if (t->reg >= 0) {
            x64_emit_mov_rr(e, true, dst, (X64Reg)t->reg);
        } else {
            x64_emit_mov_rm(e, true, dst, SP(t->slot));
        }
        break;
    }
    }
}

/* Emits a call into e (hot or cold) preserving the allocation; result in rax. */
static void call_keep(Gen *g, X64Emit *e, const void *fn, const Arg *args, unsigned n)
{
    save_regs(e, g);
    /* A 7th argument goes on the stack (SysV AMD64 ABI 3.2.3); loaded first,
     * while rsp-relative operands still mean the frame. */
    if (n > 6) load_arg(e, g, X64_RAX, args[6]);
    for (unsigned i = 0; i < n && i < 6; i++) load_arg(e, g, abi_args[i], args[i]);
    if (n > 6) {
        x64_emit_alu_ri(e, X64_SUB, true, X64_RSP, 8);
        x64_emit_push(e, X64_RAX);
    }
    x64_emit_call(e, fn);
    if (n > 6) x64_emit_alu_ri(e, X64_ADD, true, X64_RSP, 16);
    restore_regs(e, g);
    if (e == &g->e) xdrop_all(g); /* cold callers that rejoin use xreload */
}

#define ARGS(...) (const Arg[]){__VA_ARGS__}, sizeof((const Arg[]){__VA_ARGS__}) / sizeof(Arg)
#define AV(v) ((Arg){A_VAL, (v)})
#define AI(v) ((Arg){A_IMM, (uint64_t)(v)})
#define ACPU ((Arg){A_CPU, 0})
#define AFP ((Arg){A_FP, 0})

/* -- pc bookkeeping ---------------------------------------------------------------- */

/* No register is touched: slow-path stubs store the pc with the access's
 * operands (possibly in rax) still live. */
static void store_pc(X64Emit *e, uint64_t pc)
{
    if (fits32(pc)) {
        x64_emit_mov_mi(e, true, M(R_CPU, offsetof(CpuState, pc)), (int32_t)pc);
    } else {
        x64_emit_mov_mi(e, false, M(R_CPU, offsetof(CpuState, pc)), (int32_t)(uint32_t)pc);
        x64_emit_mov_mi(e, false, M(R_CPU, offsetof(CpuState, pc) + 4), (int32_t)(uint32_t)(pc >> 32));
    }
}

/* Stub tail: return `code` (small int or pointer) to the dispatcher. */
static void ret_to_dispatcher(X64Emit *e, uint64_t code)
{
    x64_emit_mov_ri(e, X64_RAX, code);
    x64_emit_jmp(e, jit_epilogue);
}

/* -- Exits ------------------------------------------------------------------------------ */

static JitExit *new_exit(Gen *g, uint64_t pc)
{
    JitExit *x = &g->jc->blk->exits[g->nexit++];
    x->from = g->jc->blk;
    x->pc = pc;
    return x;
}

/* cpu->pc set: jumps to the block found for it by the system-mode lookup,
 * else returns `code` to the dispatcher. Inline first (every call to another
 * page comes here, tens of millions per Linux boot): the code TLB entry of
 * the target under the current fetch index, then the jump-cache entry, whose
 * block must start at the physical pc the TLB gives (the cache alone cannot
 * tell which mapping filled it). A dead block's entry jumps to its dead stub,
 * so a stale entry is harmless. Anything else: jit_helper_ind_lookup_sys. */
_Static_assert(offsetof(TlbEntry, pa) == 32 && MEM_EXEC == 2, "the probe reads tag[2] and pa");
static void sys_lookup_jump(Gen *g, X64Emit *e, uint64_t code)
{
    uint8_t *miss[4];
    uint64_t fl = g->ir->flags;
    x64_emit_mov_rm(e, true, X64_RSI, M(R_CPU, offsetof(CpuState, pc)));
    x64_emit_mov_rm(e, true, X64_RCX, M(R_CPU, offsetof(CpuState, tlb)));
    x64_emit_mov_rm(e, false, X64_RAX, M(X64_RCX, (int32_t)offsetof(Tlb, fetch_idx)));
    x64_emit_imul_rri(e, false, X64_RAX, X64_RAX, (int32_t)(TLB_SIZE * sizeof(TlbEntry)));
    x64_emit_alu_rr(e, X64_ADD, true, X64_RCX, X64_RAX);
    x64_emit_mov_rr(e, false, X64_RAX, X64_RSI);
    x64_emit_shift_ri(e, X64_SHR, false, X64_RAX, TLB_PAGE_SHIFT);
    x64_emit_alu_ri(e, X64_AND, false, X64_RAX, TLB_SIZE - 1);
    x64_emit_imul_rri(e, false, X64_RAX, X64_RAX, (int32_t)sizeof(TlbEntry));
    x64_emit_alu_rr(e, X64_ADD, true, X64_RCX, X64_RAX);
    x64_emit_mov_rr(e, true, X64_RDX, X64_RSI);
    x64_emit_alu_ri(e, X64_AND, true, X64_RDX, (int32_t)TLB_PAGE_MASK);
    x64_emit_alu_rm(e, X64_CMP, true, X64_RDX, M(X64_RCX, 8 * MEM_EXEC));
    miss[0] = x64_emit_jcc8_fwd(e, X64_CC_NE);
    /* rdx = physical pc */
    x64_emit_mov_rm(e, true, X64_RDX, M(X64_RCX, (int32_t)offsetof(TlbEntry, pa)));
    x64_emit_mov_rr(e, false, X64_RAX, X64_RSI);
    x64_emit_alu_ri(e, X64_AND, false, X64_RAX, (int32_t)~TLB_PAGE_MASK);
    x64_emit_alu_rr(e, X64_OR, true, X64_RDX, X64_RAX);
    /* Jump cache: entry (pc >> 1) & mask, 32 bytes each, at r12. */
    x64_emit_mov_rr(e, false, X64_RAX, X64_RSI);
    x64_emit_shift_ri(e, X64_SHR, false, X64_RAX, 1);
    x64_emit_alu_ri(e, X64_AND, false, X64_RAX, JIT_JC_SIZE - 1);
    x64_emit_shift_ri(e, X64_SHL, false, X64_RAX, 5);
    x64_emit_alu_rm(e, X64_CMP, true, X64_RSI, x64_mem_idx(R_VCPU, X64_RAX, 1, 0));
    miss[1] = x64_emit_jcc8_fwd(e, X64_CC_NE);
    if (fits32(fl)) {
        x64_emit_alu_mi(e, X64_CMP, true, x64_mem_idx(R_VCPU, X64_RAX, 1, 8), (int32_t)fl);
    } else {
        x64_emit_mov_ri(e, X64_RDI, fl);
        x64_emit_alu_rm(e, X64_CMP, true, X64_RDI, x64_mem_idx(R_VCPU, X64_RAX, 1, 8));
    }
    miss[2] = x64_emit_jcc8_fwd(e, X64_CC_NE);
    x64_emit_mov_rm(e, true, X64_RCX, x64_mem_idx(R_VCPU, X64_RAX, 1, 24));
    x64_emit_alu_rm(e, X64_CMP, true, X64_RDX, M(X64_RCX, (int32_t)offsetof(JitBlock, ppc)));
    miss[3] = x64_emit_jcc8_fwd(e, X64_CC_NE);
    if (g->jc->tlb_stats) {
        /* -d tlb-stats: the code TLB hit, counted as tlb_code_phys would. */
        x64_emit_mov_rm(e, true, X64_RCX, M(R_CPU, offsetof(CpuState, tlb)));
        x64_emit_alu_mi(e, X64_ADD, true, M(X64_RCX, (int32_t)offsetof(Tlb, stats.hits)), 1);
    }
    x64_emit_jmp_m(e, x64_mem_idx(R_VCPU, X64_RAX, 1, 16));
    for (int i = 0; i < 4; i++) x64_bind8(e, miss[i]);
    x64_emit_mov_rr(e, true, X64_RDI, R_CPU);
    x64_emit_mov_ri(e, X64_RDX, g->ir->flags);
    x64_emit_call(e, (const void *)jit_helper_ind_lookup_sys);
    x64_emit_test_rr(e, true, X64_RAX, X64_RAX);
    uint8_t *j = x64_emit_jcc8_fwd(e, X64_CC_E);
    x64_emit_jmp_r(e, X64_RAX);
    x64_bind8(e, j);
    ret_to_dispatcher(e, code);
}

/* The unchained target of an exit: cold code returning the exit record. In
 * system mode an exit to another page is never chained (its mapping may
 * change): its stub looks the target up through the TLB on every pass. */
static uint8_t *exit_stub(Gen *g, JitExit *x)
{
    uint8_t *s = g->c.p;
    store_pc(&g->c, x->pc);
    if (g->jc->trace) {
        ret_to_dispatcher(&g->c, JIT_RET_NOCHAIN); /* never chained: the dispatcher logs */
    } else if (g->jc->sys && !jit_same_page(x->pc, g->ir->pc)) {
        /* -d jit-stats (jitsys): cross-page exits, looked up like indirect ones. */
        if (g->jc->stats) x64_emit_alu_mi(&g->c, X64_ADD, true, M(R_VCPU, (int32_t)JIT_VCPU_NXDIRECT_OFF), 1);
        sys_lookup_jump(g, &g->c, (uint64_t)(uintptr_t)x);
    } else {
        ret_to_dispatcher(&g->c, (uint64_t)(uintptr_t)x);
    }
    return s;
}

static void emit_goto(Gen *g, uint64_t pc)
{
    if (g->loop_head && pc == g->ir->pc) {
        x64_emit_jmp(&g->e, g->loop_head);
        return;
    }
    JitExit *x = new_exit(g, pc);
    uint8_t *stub = exit_stub(g, x);
    x64_align(&g->e, 4, 1); /* rel32 4-byte aligned: patched atomically */
    x->site = x64_emit_jmp_rel32(&g->e, stub);
}

static void emit_goto_cc(Gen *g, X64Cond cc, uint64_t pc)
{
    if (g->loop_head && pc == g->ir->pc) {
        x64_emit_jcc(&g->e, cc, g->loop_head);
        return;
    }
    JitExit *x = new_exit(g, pc);
    uint8_t *stub = exit_stub(g, x);
    x64_align(&g->e, 4, 2);
    x->site = x64_emit_jcc_rel32(&g->e, cc, stub);
}

static void emit_nochain(Gen *g)
{
    ret_to_dispatcher(&g->e, JIT_RET_NOCHAIN);
}

/* -- Integer templates ------------------------------------------------------------ */

static const X64Cond cond_cc[IR_COND_COUNT] = {
    [IR_COND_EQ] = X64_CC_E,   [IR_COND_NE] = X64_CC_NE,  [IR_COND_LT] = X64_CC_L,
    [IR_COND_GE] = X64_CC_GE,  [IR_COND_LE] = X64_CC_LE,  [IR_COND_GT] = X64_CC_G,
    [IR_COND_LTU] = X64_CC_B,  [IR_COND_GEU] = X64_CC_AE, [IR_COND_LEU] = X64_CC_BE,
    [IR_COND_GTU] = X64_CC_A,  [IR_COND_TSTEQ] = X64_CC_E, [IR_COND_TSTNE] = X64_CC_NE,
};

/* Compares args for setcond/branch; returns the x86 condition. */
static X64Cond emit_cmp(Gen *g, const IrInsn *in)
{
    bool w = in->type == IR_I64;
    IrCond c = (IrCond)in->imm;
    X64Reg a = reg_of(g, in->args[0], X64_RAX);
    if (c == IR_COND_TSTEQ || c == IR_COND_TSTNE) {
        IrVal b = in->args[1];
        if (is_c(g, b) && (w ? fits32(cv(g, b)) : true)) {
            x64_emit_test_ri(&g->e, w, a, (int32_t)(uint32_t)cv(g, b));
        } else {
            X64Reg rb = reg_of(g, b, X64_RCX);
            x64_emit_test_rr(&g->e, w, a, rb);
        }
    } else {
        alu(g, X64_CMP, w, a, in->args[1]);
    }
    return cond_cc[c];
}

/* rax = a (the value of the first operand), 64- or 32-bit. */
static void load_a(Gen *g, IrVal a) { load(g, X64_RAX, a); }

/* Binary op where dst = a OP b maps to one x86 ALU instruction. Takes over a's
 * register when a dies here. */
static void bin_alu(Gen *g, const IrInsn *in, X64Alu op)
{
    bool w = in->type == IR_I64;
    IrVal a = in->args[0], b = in->args[1];
    bool commut = op == X64_ADD || op == X64_AND || op == X64_OR || op == X64_XOR;
    if (dies_in_reg(g, a) && a != b) {
        X64Reg r = (X64Reg)g->t[g->root[a]].reg;
        alu(g, op, w, r, b);
        finish_in(g, in->dst, r);
        return;
    }
    if (commut && dies_in_reg(g, b) && a != b) {
        X64Reg r = (X64Reg)g->t[g->root[b]].reg;
        alu(g, op, w, r, a);
        finish_in(g, in->dst, r);
        return;
    }
    X64Reg d = new_dst(g, in->dst);
    if (op == X64_ADD && !is_c(g, a) && g->t[g->root[a]].reg >= 0) {
        /* Three-operand add: lea d, [a + b] / [a + imm]. */
        X64Reg ra = (X64Reg)g->t[g->root[a]].reg;
        if (is_c(g, b) && fits32(w ? cv(g, b) : (uint64_t)(int64_t)(int32_t)cv(g, b))) {
            x64_emit_lea(&g->e, w, d, M(ra, (int32_t)cv(g, b)));
            finish_in(g, in->dst, d);
            return;
        }
        if (!is_c(g, b) && g->t[g->root[b]].reg >= 0) {
            x64_emit_lea(&g->e, w, d, x64_mem_idx(ra, (X64Reg)g->t[g->root[b]].reg, 1, 0));
            finish_in(g, in->dst, d);
            return;
        }
    }
    load(g, d, a);
    alu(g, op, w, d, b);
    finish_in(g, in->dst, d);
}

static void shift_op(Gen *g, const IrInsn *in, X64Shift op)
{
    bool w = in->type == IR_I64;
    IrVal b = in->args[1];
    bool inplace;
    if (is_c(g, b)) {
        unsigned n = (unsigned)cv(g, b) & (w ? 63 : 31);
        X64Reg d = dst_or_reuse(g, in->dst, in->args[0], &inplace);
        if (!inplace) load(g, d, in->args[0]);
        if (n) x64_emit_shift_ri(&g->e, op, w, d, (uint8_t)n);
        else if (!w) x64_emit_mov_rr(&g->e, false, d, d);
        finish_in(g, in->dst, d);
    } else {
        load(g, X64_RCX, b);
        X64Reg d = dst_or_reuse(g, in->dst, in->args[0], &inplace);
        if (d == X64_RCX) d = X64_RAX; /* never: rcx is not allocatable */
        if (!inplace) load(g, d, in->args[0]);
        /* The count is masked to 5 or 6 bits by the CPU: exactly "modulo the width". */
        x64_emit_shift_rcl(&g->e, op, w, d);
        finish_in(g, in->dst, d);
    }
}

static void divrem(Gen *g, const IrInsn *in, bool sign, bool rem)
{
    bool w = in->type == IR_I64;
    X64Emit *e = &g->e;
    load(g, X64_RCX, in->args[1]);
    load_a(g, in->args[0]);
    x64_emit_test_rr(e, w, X64_RCX, X64_RCX);
    uint8_t *jz = x64_emit_jcc8_fwd(e, X64_CC_E);
    uint8_t *jm1 = NULL;
    if (sign) {
        /* b == -1: quotient -a (wrapping, so MIN/-1 = MIN), remainder 0; also
         * avoids the #DE idiv raises for MIN/-1. */
        x64_emit_alu_ri(e, X64_CMP, w, X64_RCX, -1);
        jm1 = x64_emit_jcc8_fwd(e, X64_CC_E);
        x64_emit_cqo(e, w);
        x64_emit_idiv_r(e, w, X64_RCX);
    } else {
        x64_emit_alu_rr(e, X64_XOR, false, X64_RDX, X64_RDX);
        x64_emit_div_r(e, w, X64_RCX);
    }
    if (rem) x64_emit_mov_rr(e, true, X64_RAX, X64_RDX);
    uint8_t *jdone = x64_emit_jmp8_fwd(e);
    x64_bind8(e, jz);
    /* b == 0: quotient all ones, remainder a (already in rax). */
    if (!rem) x64_emit_mov_ri(e, X64_RAX, w ? ~0ull : 0xffffffffull);
    uint8_t *jdone2 = NULL;
    if (sign) {
        jdone2 = x64_emit_jmp8_fwd(e);
        x64_bind8(e, jm1);
        if (rem) x64_emit_alu_rr(e, X64_XOR, false, X64_RAX, X64_RAX);
        else x64_emit_neg_r(e, w, X64_RAX);
    }
    x64_bind8(e, jdone);
    if (jdone2) x64_bind8(e, jdone2);
    finish(g, in->dst, X64_RAX);
}

static void minmax(Gen *g, const IrInsn *in, X64Cond take_b)
{
    bool w = in->type == IR_I64;
    bool inplace;
    X64Reg d = dst_or_reuse(g, in->dst, in->args[0], &inplace);
    X64Reg rb = reg_of(g, in->args[1], X64_RCX);
    if (!inplace) load(g, d, in->args[0]);
    x64_emit_alu_rr(&g->e, X64_CMP, w, d, rb);
    x64_emit_cmov(&g->e, take_b, w, d, rb);
    finish_in(g, in->dst, d);
}

/* Flag computations: run the x86 op, read its flag. */
static void flag_op(Gen *g, const IrInsn *in, X64Alu op, X64Cond cc, bool with_c)
{
    bool w = in->type == IR_I64;
    load_a(g, in->args[0]);
    if (with_c) {
        /* After the loads that may use xor (which writes flags). */
        load(g, X64_RCX, in->args[2]);
        x64_emit_bt_ri(&g->e, false, X64_RCX, 0); /* CF = c & 1 */
    }
    /* alu() may use rdx for a wide constant but never touches the flags
     * before the op itself (mov does not write flags). */
    alu(g, op, w, X64_RAX, in->args[1]);
    x64_emit_setcc(&g->e, cc, X64_RAX);
    x64_emit_movzx8_rr(&g->e, X64_RAX, X64_RAX);
    finish(g, in->dst, X64_RAX);
}

static void bitfield(Gen *g, const IrInsn *in)
{
    bool w = in->type == IR_I64;
    unsigned W = w ? 64 : 32, pos = in->imm & 0xff, len = (in->imm >> 8) & 0xff;
    X64Emit *e = &g->e;
    if (in->op == IR_OP_deposit) {
        uint64_t m = (len >= 64 ? ~0ull : ((1ull << len) - 1)) << pos;
        if (!w) m &= 0xffffffffull;
        load(g, X64_RCX, in->args[1]);
        if (pos) x64_emit_shift_ri(e, X64_SHL, w, X64_RCX, (uint8_t)pos);
        x64_emit_mov_ri(e, X64_RDX, m);
        x64_emit_alu_rr(e, X64_AND, w, X64_RCX, X64_RDX);
        x64_emit_not_r(e, w, X64_RDX);
        load_a(g, in->args[0]);
        x64_emit_alu_rr(e, X64_AND, w, X64_RAX, X64_RDX);
        x64_emit_alu_rr(e, X64_OR, w, X64_RAX, X64_RCX);
        finish(g, in->dst, X64_RAX);
        return;
    }
    bool inplace;
    X64Reg d = dst_or_reuse(g, in->dst, in->args[0], &inplace);
    if (!inplace) load(g, d, in->args[0]);
    unsigned left = W - pos - len, right = W - len;
    if (in->op == IR_OP_extract && pos + len == W) {
        if (pos) x64_emit_shift_ri(e, X64_SHR, w, d, (uint8_t)pos);
        else if (!w) x64_emit_mov_rr(e, false, d, d);
    } else if (in->op == IR_OP_extract && len <= 31) {
        if (pos) x64_emit_shift_ri(e, X64_SHR, w, d, (uint8_t)pos);
        x64_emit_alu_ri(e, X64_AND, false, d, (int32_t)((1u << len) - 1));
    } else {
        if (left) x64_emit_shift_ri(e, X64_SHL, w, d, (uint8_t)left);
        if (right)
            x64_emit_shift_ri(e, in->op == IR_OP_sextract ? X64_SAR : X64_SHR, w, d,
                              (uint8_t)right);
        else if (!w) x64_emit_mov_rr(e, false, d, d);
    }
    finish_in(g, in->dst, d);
}

static void unop(Gen *g, const IrInsn *in)
{
    bool w = in->type == IR_I64;
    X64Emit *e = &g->e;
    IrVal a = in->args[0];
    if (in->op != IR_OP_parity && in->op != IR_OP_brev) {
        /* Straight into the result's register (in place when a dies here). */
        bool inplace;
        X64Reg d = dst_or_reuse(g, in->dst, a, &inplace);
        X64Reg s = inplace ? d : X64_NOREG;
        switch (in->op) {
        case IR_OP_not: case IR_OP_neg: case IR_OP_bswap:
            if (!inplace) load(g, d, a);
            if (in->op == IR_OP_not) x64_emit_not_r(e, w, d);
            else if (in->op == IR_OP_neg) x64_emit_neg_r(e, w, d);
            else x64_emit_bswap(e, w, d);
            break;
        default:
            if (!inplace) s = reg_of(g, a, X64_RAX);
            switch (in->op) {
            case IR_OP_clz: x64_emit_lzcnt(e, w, d, s); break;
            case IR_OP_ctz: x64_emit_tzcnt(e, w, d, s); break;
            case IR_OP_cpop: x64_emit_popcnt(e, w, d, s); break;
            case IR_OP_sext8: x64_emit_movsx8_rr(e, w, d, s); break;
            case IR_OP_sext16: x64_emit_movsx16_rr(e, w, d, s); break;
            case IR_OP_sext32: case IR_OP_exts: x64_emit_movsxd_rr(e, d, s); break;
            case IR_OP_zext8: x64_emit_movzx8_rr(e, d, s); break;
            case IR_OP_zext16: x64_emit_movzx16_rr(e, d, s); break;
            case IR_OP_zext32: case IR_OP_extu: case IR_OP_trunc: x64_emit_mov_rr(e, false, d, s); break;
            default: g->fail = true; return;
            }
            break;
        }
        finish_in(g, in->dst, d);
        return;
    }
    switch (in->op) {
    case IR_OP_not: load_a(g, a); x64_emit_not_r(e, w, X64_RAX); break;
    case IR_OP_neg: load_a(g, a); x64_emit_neg_r(e, w, X64_RAX); break;
    case IR_OP_clz: x64_emit_lzcnt(e, w, X64_RAX, reg_of(g, a, X64_RAX)); break;
    case IR_OP_ctz: x64_emit_tzcnt(e, w, X64_RAX, reg_of(g, a, X64_RAX)); break;
    case IR_OP_cpop: x64_emit_popcnt(e, w, X64_RAX, reg_of(g, a, X64_RAX)); break;
    case IR_OP_bswap: load_a(g, a); x64_emit_bswap(e, w, X64_RAX); break;
    case IR_OP_sext8: x64_emit_movsx8_rr(e, w, X64_RAX, reg_of(g, a, X64_RAX)); break;
    case IR_OP_sext16: x64_emit_movsx16_rr(e, w, X64_RAX, reg_of(g, a, X64_RAX)); break;
    case IR_OP_sext32:
    case IR_OP_exts: x64_emit_movsxd_rr(e, X64_RAX, reg_of(g, a, X64_RAX)); break;
    case IR_OP_zext8: x64_emit_movzx8_rr(e, X64_RAX, reg_of(g, a, X64_RAX)); break;
    case IR_OP_zext16: x64_emit_movzx16_rr(e, X64_RAX, reg_of(g, a, X64_RAX)); break;
    case IR_OP_zext32:
    case IR_OP_extu:
    case IR_OP_trunc: x64_emit_mov_rr(e, false, X64_RAX, reg_of(g, a, X64_RAX)); break;
    case IR_OP_parity:
        /* PF = 1 when the low byte of the result has an even number of ones. */
        x64_emit_test_ri(e, false, reg_of(g, a, X64_RAX), 0xff);
        x64_emit_setcc(e, X64_CC_P, X64_RAX);
        x64_emit_movzx8_rr(e, X64_RAX, X64_RAX);
        break;
    case IR_OP_brev:
        call_keep(g, e, (const void *)jit_helper_brev, ARGS(AV(a), AI(w)));
        break;
    default: g->fail = true; return;
    }
    finish(g, in->dst, X64_RAX);
}

/* -- Memory ---------------------------------------------------------------------------- */

/* Address operand: its register, or rax. */
static X64Reg addr_reg(Gen *g, IrVal a) { return reg_of(g, a, X64_RAX); }

/* System mode: the soft-MMU hit test inline (include/vm/tlb.h). The entry for
 * R's page in the memop's MMU index must have tag[acc] equal to the page of
 * the access's LAST byte: that fails for flagged entries (slow, invalid) and
 * for accesses crossing into the next page. Stores also leave for pages
 * holding code (their mark is set: the helper drops the translations).
 * Uses rcx and rdx; leaves the addend in rcx (host = R + rcx). */
_Static_assert(offsetof(Tlb, e) == 0, "generated code indexes Tlb.e from the TLB pointer");
_Static_assert(offsetof(TlbEntry, tag) == 0 && sizeof(((TlbEntry *)0)->tag[0]) == 8,
               "generated code compares tag[acc] at acc * 8");
_Static_assert(offsetof(TlbEntry, addend) == 24 && offsetof(TlbEntry, code) == 40,
               "generated code reads addend and code at fixed offsets");
_Static_assert(sizeof(TlbEntry) == 56, "generated code scales the TLB index by 56");
_Static_assert(TLB_NB_IDX * TLB_SIZE * sizeof(TlbEntry) < (1u << 31), "TLB offsets fit in disp32");
_Static_assert(TLB_PAGE_SHIFT == 12 && MEM_READ == 0 && MEM_WRITE == 1, "TLB layout");

static void sys_tlb_check(Gen *g, X64Reg R, unsigned mo, unsigned lg, MemAccess acc, uint8_t *slow)
{
    X64Emit *e = &g->e;
    unsigned idx = (mo & IR_MO_IDX_MASK) >> IR_MO_IDX_SHIFT;
    int32_t base = (int32_t)(idx * TLB_SIZE * sizeof(TlbEntry));
    x64_emit_mov_rr(e, true, X64_RCX, R);
    x64_emit_shift_ri(e, X64_SHR, true, X64_RCX, TLB_PAGE_SHIFT);
    x64_emit_alu_ri(e, X64_AND, false, X64_RCX, TLB_SIZE - 1);
    x64_emit_imul_rri(e, false, X64_RCX, X64_RCX, (int32_t)sizeof(TlbEntry));
    x64_emit_alu_rm(e, X64_ADD, true, X64_RCX, M(R_CPU, offsetof(CpuState, tlb)));
    if (lg) x64_emit_lea(e, true, X64_RDX, M(R, (int32_t)(1u << lg) - 1));
    else x64_emit_mov_rr(e, true, X64_RDX, R);
    x64_emit_alu_ri(e, X64_AND, true, X64_RDX, (int32_t)TLB_PAGE_MASK);
    x64_emit_alu_rm(e, X64_CMP, true, X64_RDX, M(X64_RCX, base + 8 * (int32_t)acc));
    x64_emit_jcc(e, X64_CC_NE, slow);
    if (acc == MEM_WRITE) {
        x64_emit_mov_rm(e, true, X64_RDX, M(X64_RCX, base + (int32_t)offsetof(TlbEntry, code)));
        x64_emit_test_rr(e, true, X64_RDX, X64_RDX);
        uint8_t *nocode = x64_emit_jcc8_fwd(e, X64_CC_E);
        x64_emit_test_mi8(e, M(X64_RDX, 0), 0xff);
        x64_emit_jcc(e, X64_CC_NE, slow);
        x64_bind8(e, nocode);
    }
    if (g->jc->tlb_stats) {
        /* -d tlb-stats (jitsys): count the inline hit like the soft MMU's own
         * (Tlb.stats.hits); rdx is free here, flags are dead. */
        x64_emit_mov_rm(e, true, X64_RDX, M(R_CPU, offsetof(CpuState, tlb)));
        x64_emit_alu_mi(e, X64_ADD, true, M(X64_RDX, (int32_t)offsetof(Tlb, stats.hits)), 1);
    }
    x64_emit_mov_rm(e, true, X64_RCX, M(X64_RCX, base + (int32_t)offsetof(TlbEntry, addend)));
}

/* The next hot instruction is a direct guest access: record it (see Gen.sites). */
static void note_site(Gen *g)
{
    if (g->nsites == g->cap_sites) {
        g->cap_sites = g->cap_sites ? 2 * g->cap_sites : 16;
        g->sites = realloc(g->sites, g->cap_sites * sizeof(*g->sites));
        if (!g->sites) abort(); /* host OOM */
    }
    g->sites[g->nsites].host = g->e.p;
    g->sites[g->nsites].pc = g->cur_pc;
    g->nsites++;
}

/* xmm x = V128 value v: from its slot; a constant from its literal, or built
 * in place when it is 0 or all-ones (DC ZVA's stores, vzero operands). */
static void vld(Gen *g, int x, IrVal v)
{
    if (is_c(g, v)) {
        uint64_t lo = T(g, v)->cval[0], hi = T(g, v)->cval[1];
        if (lo == hi && (!lo || lo == ~0ull)) x64_emit_sse_rr(&g->e, 0x66, lo ? 0x76 : 0xef, x, x); /* pcmpeqd / pxor */
        else x64_emit_movdqu_xm(&g->e, x, x64_mem_rip(vlit(g, v)));
        return;
    }
    x64_emit_movdqu_xm(&g->e, x, SP(vslot(g, v)));
}

/* The fast path's guard for a direct access of 2^lg bytes at guest address
 * R: the alignment test (IR_MO_ALIGN), then the soft-MMU hit test (system
 * mode) or the bounds check (user mode), each leaving for stub; `slow` sends
 * every access there (forms only the helpers do). Returns the host operand;
 * the caller records the fault site just before the access itself. */
static X64Mem mem_guard(Gen *g, X64Reg R, unsigned mo, unsigned lg, MemAccess acc, uint8_t *stub,
                        bool slow)
{
    X64Emit *e = &g->e;
    if ((mo & IR_MO_ALIGN) && lg) {
        x64_emit_test_ri(e, false, R, (int32_t)((1u << lg) - 1));
        x64_emit_jcc(e, X64_CC_NE, stub);
    }
    if (slow) {
        x64_emit_jmp(e, stub);
    } else if (g->jc->sys) {
        sys_tlb_check(g, R, mo, lg, acc, stub);
        return x64_mem_idx(X64_RCX, R, 1, 0);
    } else {
        x64_emit_alu_rr(e, X64_CMP, true, R, R_LIM);
        x64_emit_jcc(e, X64_CC_AE, stub);
    }
    return x64_mem_idx(R_BASE, R, 1, 0);
}

/* 128-bit loads and stores: the scalar paths' bounds rule (user mode: below
 * fastlim, which leaves room for all 16 bytes; system mode: the TLB tag of
 * the page of the LAST byte, so a page-crossing access misses), then one
 * movdqu between guest memory and the temp's frame copy through xmm0.
 * Big-endian and must-be-aligned-but-is-not forms, misses and faults go to
 * interp_ld128 / interp_st128 in cold code, which raise with the pc stored
 * there; a host fault on the inline access maps back through note_site. */
static void emit_mem128(Gen *g, const IrInsn *in, bool store)
{
    unsigned mo = (unsigned)in->imm;
    X64Emit *e = &g->e, *c = &g->c;
    /* A stored value goes to xmm0 first (it stays there on the slow path). */
    IrVal v = store ? in->args[1] : in->dst;
    bool konst = store && is_c(g, v); /* no slot: the slow path writes xmm0 to one */
    int32_t s;
    if (konst) {
        if (!g->vtmp) g->vtmp = new_slot(g, 2);
        s = g->vtmp;
    } else {
        s = vslot(g, v);
    }
    if (store) vld(g, 0, v);
    X64Reg R = addr_reg(g, in->args[0]);
    uint8_t *stub = c->p;
    if (mo & IR_MO_BE) {
        x64_emit_jmp(e, stub);
    } else {
        X64Mem m = mem_guard(g, R, mo, 4, store ? MEM_WRITE : MEM_READ, stub, false);
        note_site(g);
        if (store) {
            x64_emit_movdqu_mx(e, m, 0);
        } else {
            x64_emit_movdqu_xm(e, 0, m);
            x64_emit_movdqu_mx(e, SP(s), 0);
        }
    }
    uint8_t *join = e->p;
    if (!g->pc_stored) store_pc(c, g->cur_pc);
    save_regs(c, g);
    load_arg(c, g, X64_RSI, (Arg){A_REG, R});
    if (konst) x64_emit_movdqu_mx(c, SP(s), 0);
    x64_emit_mov_rr(c, true, X64_RDI, R_CPU);
    x64_emit_mov_ri(c, X64_RDX, mo);
    x64_emit_lea(c, true, X64_RCX, SP(s));
    x64_emit_call(c, store ? (const void *)interp_st128 : (const void *)interp_ld128);
    restore_regs(c, g);
    xreload(g, c, -1);
    x64_emit_jmp(c, join);
    free_dying(g);
}

static void emit_ld(Gen *g, const IrInsn *in)
{
    unsigned mo = (unsigned)in->imm, lg = mo & IR_MO_SIZE_MASK;
    IrType t = (IrType)in->type;
    bool w64 = t == IR_I64 || t == IR_F64, sign = mo & IR_MO_SIGN, be = (mo & IR_MO_BE) && lg;
    X64Emit *e = &g->e;
    if (lg == 4 || t == IR_V128) {
        emit_mem128(g, in, false);
        return;
    }
    /* The result goes straight to its register (the address's, when the
     * address dies here: it is read before the load writes). */
    bool inplace;
    X64Reg d = dst_or_reuse(g, in->dst, in->args[0], &inplace);
    X64Reg R = addr_reg(g, in->args[0]);
    uint8_t *stub = g->c.p;
    /* Rare forms (byte-swapped, 8 bytes into 32 bits): the checked helper does it all. */
    X64Mem m = mem_guard(g, R, mo, lg, MEM_READ, stub, be || (lg == 3 && !w64));
    note_site(g);
    switch (lg) {
    case 0: if (sign) x64_emit_movsx8_rm(e, w64, d, m); else x64_emit_movzx8_rm(e, d, m); break;
    case 1: if (sign) x64_emit_movsx16_rm(e, w64, d, m); else x64_emit_movzx16_rm(e, d, m); break;
    case 2: if (sign && w64) x64_emit_movsxd_rm(e, d, m); else x64_emit_mov_rm(e, false, d, m); break;
    default: x64_emit_mov_rm(e, true, d, m); break;
    }
    uint8_t *join = e->p;
    /* Slow path: bounds, alignment, byte order, faults (interp_ld raises). */
    if (!g->pc_stored) store_pc(&g->c, g->cur_pc);
    save_regs(&g->c, g);
    load_arg(&g->c, g, X64_RSI, (Arg){A_REG, R});
    x64_emit_mov_rr(&g->c, true, X64_RDI, R_CPU);
    x64_emit_mov_ri(&g->c, X64_RDX, mo);
    x64_emit_mov_ri(&g->c, X64_RCX, w64);
    x64_emit_call(&g->c, (const void *)interp_ld);
    restore_regs(&g->c, g);
    xreload(g, &g->c, -1);
    if (d != X64_RAX) x64_emit_mov_rr(&g->c, true, d, X64_RAX);
    x64_emit_jmp(&g->c, join);
    finish_in(g, in->dst, d);
}

static void emit_st(Gen *g, const IrInsn *in)
{
    unsigned mo = (unsigned)in->imm, lg = mo & IR_MO_SIZE_MASK;
    IrVal v = in->args[1];
    X64Emit *e = &g->e;
    if (lg == 4 || ty(g, v) == IR_V128) {
        emit_mem128(g, in, true);
        return;
    }
    X64Reg R = addr_reg(g, in->args[0]);
    /* System mode: the TLB test needs rdx, so the value comes after it (and
     * the slow path loads it from the temp itself). */
    bool sys = g->jc->sys;
    X64Reg V = sys ? X64_NOREG : reg_of(g, v, X64_RDX);
    bool be = (mo & IR_MO_BE) && lg;
    uint8_t *stub = g->c.p;
    X64Mem m = mem_guard(g, R, mo, lg, MEM_WRITE, stub, be);
    if (sys) V = reg_of(g, v, X64_RDX);
    note_site(g);
    switch (lg) {
    case 0: x64_emit_mov_mr8(e, m, V); break;
    case 1: x64_emit_mov_mr16(e, m, V); break;
    case 2: x64_emit_mov_mr(e, false, m, V); break;
    default: x64_emit_mov_mr(e, true, m, V); break;
    }
    uint8_t *join = e->p;
    if (!g->pc_stored) store_pc(&g->c, g->cur_pc);
    save_regs(&g->c, g);
    load_arg(&g->c, g, X64_RDX, sys ? AV(v) : (Arg){A_REG, V});
    load_arg(&g->c, g, X64_RSI, (Arg){A_REG, R});
    x64_emit_mov_rr(&g->c, true, X64_RDI, R_CPU);
    x64_emit_mov_ri(&g->c, X64_RCX, mo);
    x64_emit_call(&g->c, (const void *)interp_st);
    restore_regs(&g->c, g);
    xreload(g, &g->c, -1);
    x64_emit_jmp(&g->c, join);
    free_dying(g);
}

/* -- Floating point -------------------------------------------------------------------
 * Fast path, taken only where the result provably equals fp.c's:
 *  - rounding RNE (the MXCSR generated code runs under), and the guest FpCtl
 *    has no flush modes and not the x86 NaN style (which reports DE);
 *  - the host result is finite and, for mul/div/sqrt/fma, at least 2^-900
 *    (2^-100 for f32): so no NaN (invalid, NaN inputs, canonical-NaN rules),
 *    no overflow or divide-by-zero (infinite results), no underflow (tiny
 *    results), and the error terms below are exactly representable.
 *    Sums and differences are exact when tiny, so add/sub need only finiteness;
 *  - the only flag left is inexact, and it matters only while fflags.NX is
 *    clear: the cold path then tests exactness (TwoSum for add/sub, the FMA
 *    residual a*b - p for mul) or recomputes with fp.c (div, sqrt, fma).
 * Everything else recomputes with fp.c, which then also accrues the flags.
 * No MXCSR access on the fast path: MXCSR flags are never read. */

static void fp_slow_call(Gen *g, X64Emit *e, const IrInsn *in)
{
    IrType t = (IrType)in->type;
    Arg fa = AFP, ft = AI(t), frm = AI(in->imm);
    IrVal a = in->args[0], b = in->args[1], c3 = in->args[2];
    switch (in->op) {
    case IR_OP_fadd: call_keep(g, e, (const void *)fp_add, ARGS(fa, ft, AV(a), AV(b), frm)); break;
    case IR_OP_fsub: call_keep(g, e, (const void *)fp_sub, ARGS(fa, ft, AV(a), AV(b), frm)); break;
    case IR_OP_fmul: call_keep(g, e, (const void *)fp_mul, ARGS(fa, ft, AV(a), AV(b), frm)); break;
    case IR_OP_fdiv: call_keep(g, e, (const void *)fp_div, ARGS(fa, ft, AV(a), AV(b), frm)); break;
    case IR_OP_fsqrt: call_keep(g, e, (const void *)fp_sqrt, ARGS(fa, ft, AV(a), frm)); break;
    default:
        call_keep(g, e, (const void *)fp_fma, ARGS(fa, ft, AV(a), AV(b), AV(c3), AI(in->aux), frm));
        break;
    }
}

/* Constants of the FP fast paths, in the pool head (rip-relative operands):
 * the bounds of |r| << 1 for "finite" (add/sub) and "finite and >= 2^-900
 * (2^-100 for f32)" (the others), as inf2 and lo2 / span = inf2 - lo2. */
typedef struct FpConsts {
    uint64_t inf64, lo64, span64;
    uint32_t inf32, lo32, span32;
} FpConsts;
static const FpConsts *fp_consts;

/* True when host register x holds one of the (non-constant) values a, b, c. */
static bool reg_of_any(const Gen *g, X64Reg x, IrVal a, IrVal b, IrVal c)
{
    IrVal v[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (v[i] != IR_NONE && !is_c(g, v[i]) && g->t[g->root[v[i]]].reg == (int8_t)x) return true;
    return false;
}

static void fp_arith(Gen *g, const IrInsn *in)
{
    IrType t = (IrType)in->type;
    bool dbl = t == IR_F64;
    uint8_t pfx = dbl ? 0x66 : 0; /* movapd/xorpd vs movaps/xorps */
    X64Emit *e = &g->e, *c = &g->c;
    IrVal a = in->args[0], b = in->args[1], c3 = in->args[2];
    IrOp op = (IrOp)in->op;
    bool fast = in->imm == IR_RM_RNE && (op != IR_OP_fma || have_fma);

    if (!fast) {
        /* fp.c computes everything (cold); result in rax. */
        uint8_t *slow = c->p;
        fp_slow_call(g, c, in);
        xreload(g, c, -1);
        uint8_t *back = x64_emit_jmp_rel32(c, NULL);
        x64_emit_jmp(e, slow);
        patch(g, back, e->p);
        finish(g, in->dst, X64_RAX);
        return;
    }
    /* The result's register, written at the join only (every path has the
     * result in rax there; the operands' registers stay intact before). */
    bool inplace;
    X64Reg d = dst_or_reuse(g, in->dst, a, &inplace);
    /* Operands in their shadows xa, xb, xc; the result in a fresh one, xd
     * (never an operand's: the cold exactness tests read a, b and the result). */
    unsigned pin = 0;
    int xa = xmm_of(g, a, dbl, &pin);
    int xb = op != IR_OP_fsqrt ? xmm_of(g, b, dbl, &pin) : -1;
    int xc = op == IR_OP_fma ? xmm_of(g, c3, dbl, &pin) : -1;
    int xd = xalloc(g, pin);
    if (in->dst != IR_NONE) xbind(g, xd, g->root[in->dst], dbl);
    /* r: where the hot path puts the result's bits. The result's own register
     * when that is none of the operands' (the slow path reads them from their
     * registers after the hot path wrote r), else rax and a move at the join. */
    X64Reg r = inplace || reg_of_any(g, d, a, b, c3) ? X64_RAX : d;

    /* Slow path (cold): fp.c computes everything; result in rax, r and xd. */
    uint8_t *slow = c->p;
    fp_slow_call(g, c, in);
    if (dbl) x64_emit_movq_xr(c, xd, X64_RAX);
    else x64_emit_movd_xr(c, xd, X64_RAX);
    if (r != X64_RAX) x64_emit_mov_rr(c, true, r, X64_RAX);
    xreload(g, c, xd);
    uint8_t *back = x64_emit_jmp_rel32(c, NULL);

    /* The mode test goes when the block's flags say the mode is plain for
     * the whole block (CPU_TB_FLAG_FP_PLAIN: riscv64, whose mode is fixed). */
    if (!(g->ir->flags & CPU_TB_FLAG_FP_PLAIN)) {
        x64_emit_test_mi8(e, M(R_CPU, offsetof(CpuState, fp.mode)),
                          FP_MODE_FZ | FP_MODE_DAZ | FP_MODE_NAN_X86);
        x64_emit_jcc(e, X64_CC_NE, slow);
    }
    /* A full-register copy first: the scalar op then does not wait for xd's
     * previous writer (sqrt in place included). */
    x64_emit_sse_rr(e, pfx, 0x28, xd, xa);
    switch (op) {
    case IR_OP_fadd: case IR_OP_fsub: case IR_OP_fmul: case IR_OP_fdiv: {
        static const uint8_t opc[] = {[IR_OP_fadd - IR_OP_fadd] = 0x58, [IR_OP_fsub - IR_OP_fadd] = 0x5c,
                                      [IR_OP_fmul - IR_OP_fadd] = 0x59, [IR_OP_fdiv - IR_OP_fadd] = 0x5e};
        x64_emit_sse_arith(e, opc[op - IR_OP_fadd], dbl, xd, xb);
        break;
    }
    case IR_OP_fsqrt:
        x64_emit_sse_arith(e, 0x51, dbl, xd, xd);
        break;
    default: {
        static const uint8_t fop[4] = {0xa9, 0xad, 0xab, 0xaf}; /* madd, nmadd, msub, nmsub */
        x64_emit_vfma213(e, fop[in->aux & 3], dbl, xd, xb, xc); /* xd = a*b +- c */
        break;
    }
    }
    if (dbl) x64_emit_movq_rx(e, r, xd);
    else x64_emit_movd_rx(e, r, xd);
    /* Range: |r| (sign shifted out) in [lo, inf): rcx = r << 1, then one
     * unsigned compare against constants in the pool head (FpConsts). */
    bool addlike = op == IR_OP_fadd || op == IR_OP_fsub;
    x64_emit_lea(e, dbl, X64_RCX, x64_mem_idx(r, r, 1, 0));
    const FpConsts *k = fp_consts;
    if (!addlike)
        x64_emit_alu_rm(e, X64_SUB, dbl, X64_RCX,
                        x64_mem_rip(dbl ? (const void *)&k->lo64 : (const void *)&k->lo32));
    const void *bound = addlike ? (dbl ? (const void *)&k->inf64 : (const void *)&k->inf32)
                                : (dbl ? (const void *)&k->span64 : (const void *)&k->span32);
    x64_emit_alu_rm(e, X64_CMP, dbl, X64_RCX, x64_mem_rip(bound));
    x64_emit_jcc(e, X64_CC_AE, slow);
    /* Inexact matters only while NX is clear. */
    x64_emit_test_mi8(e, M(R_CPU, offsetof(CpuState, fp.flags)), FP_FLAG_NX);
    uint8_t *exact = c->p;
    x64_emit_jcc(e, X64_CC_E, exact);
    uint8_t *join = e->p;
    patch(g, back, join);
    if (d != r) x64_emit_mov_rr(e, true, d, r);

    /* Cold exactness test: xmm0 = a, xmm1 = b, xmm2 = result (scratch copies:
     * the tests overwrite them); xmm3 = error term, zero iff exact. */
    x64_emit_sse_rr(c, pfx, 0x28, 0, xa);
    if (xb >= 0) x64_emit_sse_rr(c, pfx, 0x28, 1, xb);
    x64_emit_sse_rr(c, pfx, 0x28, 2, xd);
    if (op == IR_OP_fadd || op == IR_OP_fsub) {
        /* TwoSum (Knuth): bb = s - a; err = (a - (s - bb)) + (b' - bb), b' = b or -b;
         * for sub, b' - bb = -(b + bb). Exact in RNE without overflow. */
        x64_emit_sse_rr(c, pfx, 0x28, 3, 2);           /* xmm3 = s */
        x64_emit_sse_arith(c, 0x5c, dbl, 3, 0);        /* bb = s - a */
        x64_emit_sse_rr(c, pfx, 0x28, 4, 2);           /* xmm4 = s */
        x64_emit_sse_arith(c, 0x5c, dbl, 4, 3);        /* s - bb */
        x64_emit_sse_arith(c, 0x5c, dbl, 0, 4);        /* a - (s - bb) */
        if (op == IR_OP_fadd) {
            x64_emit_sse_arith(c, 0x5c, dbl, 1, 3);    /* b - bb */
            x64_emit_sse_arith(c, 0x58, dbl, 0, 1);
        } else {
            x64_emit_sse_arith(c, 0x58, dbl, 1, 3);    /* b + bb */
            x64_emit_sse_arith(c, 0x5c, dbl, 0, 1);
        }
        x64_emit_sse_rr(c, pfx, 0x28, 3, 0);
    } else if (op == IR_OP_fmul && have_fma) {
        /* err = a*b - p exactly (|p| >= 2^-900: no underflow of the error). */
        x64_emit_vfma213(c, 0xab, dbl, 0, 1, 2);       /* xmm0 = a*b - p */
        x64_emit_sse_rr(c, pfx, 0x28, 3, 0);
    } else {
        x64_emit_jmp(c, slow);
    }
    if (!(op == IR_OP_fmul && !have_fma) && op != IR_OP_fdiv && op != IR_OP_fsqrt && op != IR_OP_fma) {
        x64_emit_sse_rr(c, pfx, 0x57, 4, 4);           /* xmm4 = 0 */
        x64_emit_ucomis(c, dbl, 3, 4);
        x64_emit_jcc(c, X64_CC_E, join);
        x64_emit_alu_mi(c, X64_OR, false, M(R_CPU, offsetof(CpuState, fp.flags)), FP_FLAG_NX);
        x64_emit_jmp(c, join);
    }
    finish_in(g, in->dst, d);
}

static void fp_cmp_op(Gen *g, const IrInsn *in)
{
    IrType t = (IrType)in->type;
    bool dbl = t == IR_F64;
    X64Emit *e = &g->e;
    unsigned pin = 0;
    int xa = xmm_of(g, in->args[0], dbl, &pin);
    int xb = xmm_of(g, in->args[1], dbl, &pin);
    uint8_t *slow = g->c.p;
    call_keep(g, &g->c, (const void *)fp_cmp,
              ARGS(AFP, AI(t), AV(in->args[0]), AV(in->args[1]), AI(in->imm), AI(in->aux != 0)));
    xreload(g, &g->c, -1);
    uint8_t *back = x64_emit_jmp_rel32(&g->c, NULL);
    /* Denormal inputs read as zero (AArch64 FPCR.FZ: FPUnpack flushes them and
     * raises IDC), and x86-style DE reporting: fp.c decides (found by
     * tests/unit/test_a64_jit.c). */
    if (!(g->ir->flags & CPU_TB_FLAG_FP_PLAIN)) {
        x64_emit_test_mi8(e, M(R_CPU, offsetof(CpuState, fp.mode)), FP_MODE_DAZ | FP_MODE_NAN_X86);
        x64_emit_jcc(e, X64_CC_NE, slow);
    }
    x64_emit_ucomis(e, dbl, xa, xb);
    /* Unordered: fp.c decides the flags (NV for sNaN, or any NaN if signaling). */
    x64_emit_jcc(e, X64_CC_P, slow);
    switch (in->imm) {
    case IR_FCMP_EQ: x64_emit_setcc(e, X64_CC_E, X64_RAX); break;
    case IR_FCMP_LT: x64_emit_setcc(e, X64_CC_B, X64_RAX); break;
    case IR_FCMP_LE: x64_emit_setcc(e, X64_CC_BE, X64_RAX); break;
    default: x64_emit_setcc(e, X64_CC_P, X64_RAX); break; /* ordered here: 0 */
    }
    x64_emit_movzx8_rr(e, X64_RAX, X64_RAX);
    patch(g, back, e->p);
    finish(g, in->dst, X64_RAX);
}

static void fp_misc(Gen *g, const IrInsn *in)
{
    IrType t = (IrType)in->type, dt = in->dst ? ty(g, in->dst) : IR_VOID;
    IrVal a = in->args[0];
    X64Emit *e = &g->e;
    unsigned rm = (unsigned)in->imm;
    switch (in->op) {
    case IR_OP_fmin:
    case IR_OP_fmax:
        call_keep(g, e, (const void *)fp_minmax,
                  ARGS(AFP, AI(t), AV(a), AV(in->args[1]), AI(in->op == IR_OP_fmax), AI(in->aux)));
        break;
    case IR_OP_fclass:
        call_keep(g, e, (const void *)fp_class, ARGS(AI(t), AV(a)));
        break;
    case IR_OP_fcvt_f2i:
        call_keep(g, e, (const void *)fp_to_int, ARGS(AFP, AI(dt), AI(t), AV(a), AI(rm), AI(in->aux)));
        break;
    case IR_OP_fcvt_i2f:
        call_keep(g, e, (const void *)fp_from_int, ARGS(AFP, AI(dt), AI(ty(g, a)), AV(a), AI(rm), AI(in->aux)));
        break;
    case IR_OP_fcvt_f2f:
        call_keep(g, e, (const void *)fp_convert, ARGS(AFP, AI(dt), AI(ty(g, a)), AV(a), AI(rm)));
        break;
    default: /* fround */
        call_keep(g, e, (const void *)fp_round_int, ARGS(AFP, AI(t), AV(a), AI(rm), AI(in->aux)));
        break;
    }
    if (dt == IR_I32 || dt == IR_F32) x64_emit_mov_rr(e, false, X64_RAX, X64_RAX);
    finish(g, in->dst, X64_RAX);
}

/* -- Vectors: bodies shared with the interpreter's frame layout (a V128 temp is
 * two consecutive 8-byte slots); F = rsp + JIT_FRAME_SPILL. --------------------- */

static uint16_t fslot(Gen *g, IrVal v)
{
    if (v == IR_NONE) return 0;
    return (uint16_t)((vslot(g, v) - JIT_FRAME_SPILL) / 8);
}

/* -- Vectors inline -------------------------------------------------------------------
 * SSE2 sequences (SSSE3 / SSE4.1 / SSE4.2 ones when the host has them) on the
 * temps' frame copies: operands into xmm0-xmm4, the result stored back to
 * the destination's slot. Each computes exactly the body of the same op in
 * src/interp/vec.c (the reference); an op or lane size without such a
 * sequence returns false and calls that body. */

/* Constants of the vector templates, in the pool head (16-byte aligned,
 * rip-relative operands): vperm's bytes; vfp_inline's |x| masks, +inf and
 * the smallest magnitude its mul/div fast path takes (FpConsts' bounds). */
typedef struct VecConsts {
    uint8_t k70[16], k10[16];
    uint64_t abs64[2], inf64[2], lo64[2];
    uint32_t abs32[4], inf32[4], lo32[4];
} VecConsts;
static const VecConsts *vec_consts;

enum { VX_SSE2 = 1, VX_SSSE3, VX_SSE41, VX_SSE42 };
static bool vx_ok(unsigned x)
{
    return x == VX_SSE2 || (x == VX_SSSE3 && have_ssse3) || (x == VX_SSE41 && have_sse41) ||
           (x == VX_SSE42 && have_sse42);
}

/* A lane-wise binary op that is one x86 instruction "dst = dst op src":
 * its opcode in the 66 0F map (or 66 0F 38 when m38), and the extension it
 * needs (0: none exists for this lane size). SDM vol. 2 PADD*, PSUB*,
 * PMULLW/PMULLD, PCMPEQx, PCMPGTx, PMINxx, PMAXxx, PADDSx, PADDUSx, PSUBSx, PSUBUSx:
 * wrapping, low half of the product, all-ones lanes, signed compares, and
 * saturating forms, as vec.c's vadd vsub vmul vcmpeq vcmpgt vmin/vmax and vq ops. */
typedef struct VBin {
    uint8_t op, m38, ext;
} VBin;

static VBin vbin_of(IrOp op, unsigned lg)
{
#define B2(o) {o, 0, VX_SSE2}
#define B41(o) {o, 1, VX_SSE41}
#define BNO {0, 0, 0}
    static const struct {
        IrOp op;
        VBin v[4];
    } tab[] = {
        {IR_OP_vadd, {B2(0xfc), B2(0xfd), B2(0xfe), B2(0xd4)}},
        {IR_OP_vsub, {B2(0xf8), B2(0xf9), B2(0xfa), B2(0xfb)}},
        {IR_OP_vmul, {BNO, B2(0xd5), B41(0x40), BNO}},
        {IR_OP_vcmpeq, {B2(0x74), B2(0x75), B2(0x76), B41(0x29)}},
        {IR_OP_vcmpgt, {B2(0x64), B2(0x65), B2(0x66), {0x37, 1, VX_SSE42}}},
        {IR_OP_vmins, {B41(0x38), B2(0xea), B41(0x39), BNO}},
        {IR_OP_vmaxs, {B41(0x3c), B2(0xee), B41(0x3d), BNO}},
        {IR_OP_vminu, {B2(0xda), B41(0x3a), B41(0x3b), BNO}},
        {IR_OP_vmaxu, {B2(0xde), B41(0x3e), B41(0x3f), BNO}},
        {IR_OP_vqadds, {B2(0xec), B2(0xed), BNO, BNO}},
        {IR_OP_vqaddu, {B2(0xdc), B2(0xdd), BNO, BNO}},
        {IR_OP_vqsubs, {B2(0xe8), B2(0xe9), BNO, BNO}},
        {IR_OP_vqsubu, {B2(0xd8), B2(0xd9), BNO, BNO}},
        {IR_OP_vand, {B2(0xdb), B2(0xdb), B2(0xdb), B2(0xdb)}},
        {IR_OP_vor, {B2(0xeb), B2(0xeb), B2(0xeb), B2(0xeb)}},
        {IR_OP_vxor, {B2(0xef), B2(0xef), B2(0xef), B2(0xef)}},
    };
#undef B2
#undef B41
#undef BNO
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (tab[i].op == op) return tab[i].v[lg];
    return (VBin){0, 0, 0};
}

static void vbin_emit(X64Emit *e, VBin b, int dst, int src)
{
    if (b.m38) x64_emit_sse38_rr(e, b.op, dst, src);
    else x64_emit_sse_rr(e, 0x66, b.op, dst, src);
}

/* Opcodes by lane size (66 0F map). */
static const uint8_t op_psub[4] = {0xf8, 0xf9, 0xfa, 0xfb};
static const uint8_t op_pcmpeq[4] = {0x74, 0x75, 0x76, 0};
#define OP_PAND 0xdb
#define OP_PANDN 0xdf
#define OP_PXOR 0xef
#define OP_POR 0xeb
#define OP_PADDUSB 0xdc

/* xmm x = the 32-bit pattern in every dword (mov, movd, pshufd). */
static void xmm_bcast32(Gen *g, int x, uint32_t pat)
{
    x64_emit_mov_ri(&g->e, X64_RAX, pat);
    x64_emit_movd_xr(&g->e, x, X64_RAX);
    x64_emit_pshuf(&g->e, 0x66, x, x, 0);
}

/* 16 bytes of data in the cold area (16-byte aligned, for a rip-relative
 * operand): vperm's shuffle controls when its index vector is a constant. */
static const uint8_t *cold_const16(Gen *g, const uint8_t b[16])
{
    x64_align(&g->c, 16, 0);
    const uint8_t *p = g->c.p;
    for (int i = 0; i < 16; i++) x64_byte(&g->c, b[i]);
    return p;
}

static bool v_is_zero(const Gen *g, IrVal v)
{
    return is_c(g, v) && !T(g, v)->cval[0] && !T(g, v)->cval[1];
}

/* vperm with PSHUFB (SSSE3), which gives byte i = src[ctl[i] & 15], or 0
 * when ctl[i] bit 7 is set. Two shuffles, one per table half, ORed:
 *  a: ctl = c +us 0x70 (saturating): c < 16 keeps bit 7 clear, c >= 16 sets it;
 *  b: ctl = (c ^ 0x10) +us 0x70: 16 <= c < 32 gives c - 16 with bit 7 clear,
 *     c < 16 becomes 16..31 and c >= 32 stays >= 32, both setting bit 7.
 * A constant c (EXT, pairwise and narrowing ops) gets both controls computed
 * here; a half that selects nothing, or whose table is zero, is skipped. */
static void vperm_inline(Gen *g, const IrInsn *in)
{
    X64Emit *e = &g->e;
    IrVal a = in->args[0], b = in->args[1], c = in->args[2];
    bool za = v_is_zero(g, a), zb = v_is_zero(g, b);
    int32_t d = vslot(g, in->dst);
    if (is_c(g, c)) {
        uint8_t idx[16], ma[16], mb[16];
        memcpy(idx, &T(g, c)->cval[0], 8);
        memcpy(idx + 8, &T(g, c)->cval[1], 8);
        bool ua = false, ub = false;
        for (int i = 0; i < 16; i++) {
            ma[i] = idx[i] < 16 ? idx[i] : 0x80;
            mb[i] = idx[i] >= 16 && idx[i] < 32 ? (uint8_t)(idx[i] - 16) : 0x80;
            ua |= ma[i] < 16;
            ub |= mb[i] < 16;
        }
        ua &= !za;
        ub &= !zb;
        bool one = a == b && ua && ub;
        if (one) {
            /* One table twice (pairwise ops on n, n): one shuffle. */
            for (int i = 0; i < 16; i++) ma[i] = idx[i] < 32 ? idx[i] & 15 : 0x80;
            vld(g, 0, a);
            x64_emit_movdqu_xm(e, 2, x64_mem_rip(cold_const16(g, ma)));
            x64_emit_sse38_rr(e, 0x00, 0, 2);
            ua = ub = false;
        }
        if (ua) {
            vld(g, 0, a);
            x64_emit_movdqu_xm(e, 2, x64_mem_rip(cold_const16(g, ma)));
            x64_emit_sse38_rr(e, 0x00, 0, 2);
        }
        if (ub) {
            int x = ua ? 1 : 0;
            vld(g, x, b);
            x64_emit_movdqu_xm(e, 3, x64_mem_rip(cold_const16(g, mb)));
            x64_emit_sse38_rr(e, 0x00, x, 3);
            if (ua) x64_emit_sse_rr(e, 0x66, OP_POR, 0, 1);
        }
        if (!one && !ua && !ub) x64_emit_sse_rr(e, 0x66, OP_PXOR, 0, 0);
    } else if (za && zb) {
        x64_emit_sse_rr(e, 0x66, OP_PXOR, 0, 0);
    } else {
        /* Memory operands of legacy SSE must be 16-byte aligned: the pool
         * head's constants are. */
        const VecConsts *k = vec_consts;
        vld(g, 2, c);
        x64_emit_sse_rr(e, 0x66, 0x6f, 3, 2); /* movdqa xmm3, xmm2 */
        x64_emit_sse_rm(e, 0x66, OP_PADDUSB, 2, x64_mem_rip(k->k70));
        if (!za) {
            vld(g, 0, a);
            x64_emit_sse38_rr(e, 0x00, 0, 2); /* pshufb */
        }
        if (!zb) {
            int x = za ? 0 : 1;
            x64_emit_sse_rm(e, 0x66, OP_PXOR, 3, x64_mem_rip(k->k10));
            x64_emit_sse_rm(e, 0x66, OP_PADDUSB, 3, x64_mem_rip(k->k70));
            vld(g, x, b);
            x64_emit_sse38_rr(e, 0x00, x, 3);
            if (x) x64_emit_sse_rr(e, 0x66, OP_POR, 0, 1);
        }
    }
    x64_emit_movdqu_mx(e, SP(d), 0);
}

/* vdup: the scalar's low lane bits in every lane. A constant is a literal;
 * a register goes to xmm0 (movq) and is broadcast:
 * PUNPCKLBW x, x doubles byte 0 into word 0, PSHUFLW 0 copies word 0 to the
 * low four words, PSHUFD 0 dword 0 to all four, PUNPCKLQDQ qword 0 to both. */
static void vdup_inline(Gen *g, const IrInsn *in)
{
    X64Emit *e = &g->e;
    unsigned lg = (unsigned)in->imm;
    IrVal v = in->args[0];
    int32_t d = vslot(g, in->dst);
    if (is_c(g, v)) {
        uint64_t x = cv(g, v), pat = 0;
        for (unsigned i = 0; i < 64; i += 8u << lg) pat |= (lg == 3 ? x : x & ((1ull << (8u << lg)) - 1)) << i;
        uint8_t b[16];
        memcpy(b, &pat, 8);
        memcpy(b + 8, &pat, 8);
        x64_emit_movdqu_xm(e, 0, x64_mem_rip(cold_const16(g, b)));
        x64_emit_movdqu_mx(e, SP(d), 0);
        return;
    }
    x64_emit_movq_xr(e, 0, reg_of(g, v, X64_RAX));
    switch (lg) {
    case 0:
        x64_emit_sse_rr(e, 0x66, 0x60, 0, 0); /* punpcklbw */
        /* fallthrough */
    case 1:
        x64_emit_pshuf(e, 0xf2, 0, 0, 0); /* pshuflw */
        /* fallthrough */
    case 2:
        x64_emit_pshuf(e, 0x66, 0, 0, 0); /* pshufd */
        break;
    default:
        x64_emit_sse_rr(e, 0x66, 0x6c, 0, 0); /* punpcklqdq */
        break;
    }
    x64_emit_movdqu_mx(e, SP(d), 0);
}

/* Shift each lane by aux (vshli, vshri, vsari): PSLL/PSRL/PSRA by an
 * immediate for 16/32/64-bit lanes (count >= width gives 0, which vec.c
 * also gives; vsari clamps the count to width - 1: the sign fill). Bytes
 * shift as words and mask off the bits crossing from the neighbour byte;
 * an arithmetic byte shift then sign-extends from bit 7 - n with
 * (x ^ m) - m, m = 0x80 >> n. No PSRAQ in SSE: 64-bit vsari calls. */
static bool vshift_inline(Gen *g, const IrInsn *in)
{
    X64Emit *e = &g->e;
    unsigned lg = (unsigned)in->imm, bits = 8u << lg, n = in->aux;
    IrOp op = (IrOp)in->op;
    if (op == IR_OP_vsari && lg == 3) return false;
    if (op == IR_OP_vsari && n >= bits) n = bits - 1;
    int32_t d = vslot(g, in->dst);
    if (n >= bits) {
        x64_emit_sse_rr(e, 0x66, OP_PXOR, 0, 0);
        x64_emit_movdqu_mx(e, SP(d), 0);
        return true;
    }
    vld(g, 0, in->args[0]);
    if (n) {
        unsigned digit = op == IR_OP_vshli ? 6 : op == IR_OP_vshri || lg == 0 ? 2 : 4;
        x64_emit_pshift_ri(e, lg == 0 ? 0x71 : (uint8_t)(0x70 + lg), digit, 0, (uint8_t)n);
        if (lg == 0) {
            uint32_t m8 = op == IR_OP_vshli ? (0xffu << n) & 0xff : 0xffu >> n;
            xmm_bcast32(g, 1, m8 * 0x01010101u);
            x64_emit_sse_rr(e, 0x66, OP_PAND, 0, 1);
            if (op == IR_OP_vsari) {
                xmm_bcast32(g, 1, (0x80u >> n) * 0x01010101u);
                x64_emit_sse_rr(e, 0x66, OP_PXOR, 0, 1);
                x64_emit_sse_rr(e, 0x66, op_psub[0], 0, 1);
            }
        }
    }
    x64_emit_movdqu_mx(e, SP(d), 0);
    return true;
}

/* Cold code calling the interpreter's body for in (IOp record first);
 * returns its entry. Operands' slots must exist already. */
static uint8_t *vec_call_cold(Gen *g, const IrInsn *in, IVecFn fn)
{
    X64Emit *c = &g->c;
    IOp o = {.d = fslot(g, in->dst), .a = fslot(g, in->args[0]), .b = fslot(g, in->args[1]),
             .c = fslot(g, in->args[2]), .aux = in->aux, .aux2 = (uint32_t)in->imm,
             .imm = (uint64_t)(uintptr_t)fn};
    x64_align(c, 8, 0);
    IOp *ip = (IOp *)(void *)c->p;
    for (size_t i = 0; i < sizeof(o); i++) x64_byte(c, ((uint8_t *)&o)[i]);
    uint8_t *entry = c->p;
    call_keep(g, c, (const void *)fn, ARGS(ACPU, ((Arg){A_SLOTPTR, JIT_FRAME_SPILL}), AI((uintptr_t)ip)));
    xreload(g, c, -1);
    return entry;
}

/* vfadd vfsub vfmul vfdiv on f32/f64 lanes: ADDPS/PD ... when every lane
 * provably equals fp.c's and changes no flag (fp_arith's rule): rounding
 * RNE, a plain FP mode (no flush, not x86 NaNs), every result finite
 * (add/sub: tiny sums are exact) or finite with |r| >= 2^-900 (2^-100 for
 * f32; mul/div), and NX already set (the only flag such a lane can raise).
 * Anything else runs the interpreter's body in cold code, which computes
 * every lane with fp.c and accrues the flags. */
static bool vfp_inline(Gen *g, const IrInsn *in)
{
    IrOp op = (IrOp)in->op;
    IVecFn fn = interp_vec_fn(op, (unsigned)in->imm);
    if (in->aux != IR_RM_RNE || !fn || !vec_consts) return false;
    X64Emit *e = &g->e;
    bool dbl = in->imm == 3, addlike = op == IR_OP_vfadd || op == IR_OP_vfsub;
    uint8_t pfx = dbl ? 0x66 : 0;
    const VecConsts *k = vec_consts;
    int32_t d = vslot(g, in->dst), sa = vslot(g, in->args[0]), sb = vslot(g, in->args[1]);
    uint8_t *slow = vec_call_cold(g, in, fn);
    uint8_t *back = x64_emit_jmp_rel32(&g->c, NULL);
    if (!(g->ir->flags & CPU_TB_FLAG_FP_PLAIN)) {
        x64_emit_test_mi8(e, M(R_CPU, offsetof(CpuState, fp.mode)), FP_MODE_FZ | FP_MODE_DAZ | FP_MODE_NAN_X86);
        x64_emit_jcc(e, X64_CC_NE, slow);
    }
    x64_emit_test_mi8(e, M(R_CPU, offsetof(CpuState, fp.flags)), FP_FLAG_NX);
    x64_emit_jcc(e, X64_CC_E, slow);
    x64_emit_movdqu_xm(e, 0, SP(sa));
    x64_emit_movdqu_xm(e, 1, SP(sb));
    static const uint8_t opc[] = {[IR_OP_vfadd - IR_OP_vfadd] = 0x58, [IR_OP_vfsub - IR_OP_vfadd] = 0x5c,
                                  [IR_OP_vfmul - IR_OP_vfadd] = 0x59, [IR_OP_vfdiv - IR_OP_vfadd] = 0x5e};
    x64_emit_sse_rr(e, pfx, opc[op - IR_OP_vfadd], 0, 1);
    /* xmm1 = |r|; xmm3 = +inf; lanes all-ones where |r| < inf (false for NaN). */
    x64_emit_sse_rr(e, pfx, 0x28, 1, 0); /* movaps/movapd */
    x64_emit_sse_rm(e, pfx, 0x54, 1, x64_mem_rip(dbl ? (const void *)k->abs64 : (const void *)k->abs32));
    x64_emit_movdqu_xm(e, 3, x64_mem_rip(dbl ? (const void *)k->inf64 : (const void *)k->inf32));
    if (!addlike) {
        /* xmm2 = lo <= |r| */
        x64_emit_movdqu_xm(e, 2, x64_mem_rip(dbl ? (const void *)k->lo64 : (const void *)k->lo32));
        x64_emit_sse_rri(e, pfx, 0xc2, 2, 1, 2); /* cmplep */
    }
    x64_emit_sse_rri(e, pfx, 0xc2, 1, 3, 1); /* cmpltp */
    if (!addlike) x64_emit_sse_rr(e, pfx, 0x54, 1, 2); /* andp */
    x64_emit_sse_rr(e, pfx, 0x50, X64_RAX, 1);          /* movmskp eax, xmm1 */
    x64_emit_alu_ri(e, X64_CMP, false, X64_RAX, dbl ? 3 : 15);
    x64_emit_jcc(e, X64_CC_NE, slow);
    x64_emit_movdqu_mx(e, SP(d), 0);
    patch(g, back, e->p);
    return true;
}

/* The inline forms; false: the caller calls the interpreter's body. */
static bool vec_inline(Gen *g, const IrInsn *in)
{
    X64Emit *e = &g->e;
    IrOp op = (IrOp)in->op;
    unsigned lg = (unsigned)in->imm;
    if (lg > 3) return false;
    IrVal a = in->args[0], b = in->args[1];
    switch (op) {
    case IR_OP_vdup:
        vdup_inline(g, in);
        return true;
    case IR_OP_vperm:
        if (!have_ssse3 || !vec_consts) return false;
        vperm_inline(g, in);
        return true;
    case IR_OP_vshli: case IR_OP_vshri: case IR_OP_vsari:
        return vshift_inline(g, in);
    case IR_OP_vfadd: case IR_OP_vfsub: case IR_OP_vfmul: case IR_OP_vfdiv:
        return vfp_inline(g, in);
    case IR_OP_vnot: {
        int32_t d = vslot(g, in->dst);
        vld(g, 0, a);
        x64_emit_sse_rr(e, 0x66, op_pcmpeq[2], 1, 1); /* all ones */
        x64_emit_sse_rr(e, 0x66, OP_PXOR, 0, 1);
        x64_emit_movdqu_mx(e, SP(d), 0);
        return true;
    }
    case IR_OP_vneg: {
        int32_t d = vslot(g, in->dst);
        vld(g, 0, a);
        x64_emit_sse_rr(e, 0x66, OP_PXOR, 1, 1);
        x64_emit_sse_rr(e, 0x66, op_psub[lg], 1, 0);
        x64_emit_movdqu_mx(e, SP(d), 1);
        return true;
    }
    case IR_OP_vabs: {
        /* PABSB/W/D: |INT_MIN| wraps to INT_MIN, as vec.c's 0 - a. */
        if (lg == 3 || !have_ssse3) return false;
        int32_t d = vslot(g, in->dst);
        vld(g, 0, a);
        x64_emit_sse38_rr(e, (uint8_t)(0x1c + lg), 0, 0);
        x64_emit_movdqu_mx(e, SP(d), 0);
        return true;
    }
    case IR_OP_vandn: {
        /* PANDN is dst = ~dst & src: b in dst. */
        int32_t d = vslot(g, in->dst);
        vld(g, 0, b);
        vld(g, 1, a);
        x64_emit_sse_rr(e, 0x66, OP_PANDN, 0, 1);
        x64_emit_movdqu_mx(e, SP(d), 0);
        return true;
    }
    case IR_OP_vcmpgtu: {
        int32_t d;
        if (lg <= 1) {
            /* a > b unsigned iff a -us b (saturating) is not 0. */
            d = vslot(g, in->dst);
            vld(g, 0, a);
            vld(g, 1, b);
            x64_emit_sse_rr(e, 0x66, (uint8_t)(0xd8 + lg), 0, 1); /* psubusb/w */
            x64_emit_sse_rr(e, 0x66, OP_PXOR, 1, 1);
            x64_emit_sse_rr(e, 0x66, op_pcmpeq[lg], 0, 1);
            x64_emit_sse_rr(e, 0x66, op_pcmpeq[2], 1, 1);
            x64_emit_sse_rr(e, 0x66, OP_PXOR, 0, 1);
        } else {
            /* Flip the sign bits, then compare signed. */
            if (lg == 3 && !have_sse42) return false;
            d = vslot(g, in->dst);
            vld(g, 0, a);
            vld(g, 1, b);
            x64_emit_sse_rr(e, 0x66, op_pcmpeq[2], 2, 2);
            x64_emit_pshift_ri(e, (uint8_t)(0x70 + lg), 6, 2, (uint8_t)((8u << lg) - 1));
            x64_emit_sse_rr(e, 0x66, OP_PXOR, 0, 2);
            x64_emit_sse_rr(e, 0x66, OP_PXOR, 1, 2);
            if (lg == 2) x64_emit_sse_rr(e, 0x66, 0x66, 0, 1); /* pcmpgtd */
            else x64_emit_sse38_rr(e, 0x37, 0, 1);            /* pcmpgtq */
        }
        x64_emit_movdqu_mx(e, SP(d), 0);
        return true;
    }
    default: break;
    }
    VBin vb = vbin_of(op, lg);
    if (!vb.op || !vx_ok(vb.ext)) return false;
    int32_t d = vslot(g, in->dst);
    if (op == IR_OP_vand && (is_c(g, a) || is_c(g, b))) {
        /* The upper-half clear of 64-bit vector results: and with 0:~0 is
         * MOVQ xmm, m64 (F3 0F 7E), which zeroes bits 127:64. */
        IrVal k = is_c(g, b) ? b : a, x = k == b ? a : b;
        if (T(g, k)->cval[0] == ~0ull && !T(g, k)->cval[1]) {
            x64_emit_sse_rm(e, 0xf3, 0x7e, 0, SP(vslot(g, x)));
            x64_emit_movdqu_mx(e, SP(d), 0);
            return true;
        }
    }
    vld(g, 0, a);
    if (b == a) {
        vbin_emit(e, vb, 0, 0);
    } else {
        vld(g, 1, b);
        vbin_emit(e, vb, 0, 1);
    }
    x64_emit_movdqu_mx(e, SP(d), 0);
    return true;
}

static void vec_op(Gen *g, const IrInsn *in)
{
    X64Emit *e = &g->e;
    IrOp op = (IrOp)in->op;
    if (op != IR_OP_vextract && op != IR_OP_vinsert && vec_inline(g, in)) {
        free_dying(g);
        return;
    }
    /* vextract/vinsert inline (added for AArch64 scalar FP, which reads and
     * writes lane 0 of a V register on every instruction): a lane is a load
     * or store at its offset in the temp's frame copy. */
    if (op == IR_OP_vextract && in->imm <= 3) {
        int32_t s = vslot(g, in->args[0]) + (int32_t)(in->aux << in->imm);
        switch (in->imm) {
        case 0: x64_emit_movzx8_rm(e, X64_RAX, SP(s)); break;
        case 1: x64_emit_movzx16_rm(e, X64_RAX, SP(s)); break;
        default: x64_emit_mov_rm(e, in->imm == 3, X64_RAX, SP(s)); break;
        }
        finish(g, in->dst, X64_RAX);
        return;
    }
    if (op == IR_OP_vinsert && in->imm <= 3) {
        int32_t d = vslot(g, in->dst);
        int32_t off = d + (int32_t)(in->aux << in->imm);
        X64Reg v = reg_of(g, in->args[1], X64_RCX);
        if (in->imm == 3) {
            /* Whole 64-bit lanes through xmm0/xmm1 and one 16-byte store, so
             * the 16-byte reload (set, next op) forwards from the store. */
            IrVal a = in->args[0];
            bool zero = is_c(g, a) && !T(g, a)->cval[0] && !T(g, a)->cval[1];
            x64_emit_movq_xr(e, 1, v);                 /* xmm1 = 0:v */
            if (zero && in->aux == 0) {
                x64_emit_movdqu_mx(e, SP(d), 1);
            } else {
                vld(g, 0, a);
                if (in->aux == 0) x64_emit_sse_rr(e, 0xf2, 0x10, 0, 1); /* movsd xmm0, xmm1 */
                else x64_emit_sse_rr(e, 0, 0x16, 0, 1);                 /* movlhps xmm0, xmm1 */
                x64_emit_movdqu_mx(e, SP(d), 0);
            }
            free_dying(g);
            return;
        }
        if (in->imm == 1 || have_sse41) {
            /* PINSR into the whole vector and one 16-byte store: the next
             * 16-byte load of the slot then forwards from that store (a
             * narrow store into it would make the load wait for both). */
            vld(g, 0, in->args[0]);
            x64_emit_pinsr(e, (unsigned)in->imm, 0, v, (uint8_t)in->aux);
            x64_emit_movdqu_mx(e, SP(d), 0);
            free_dying(g);
            return;
        }
        if (is_c(g, in->args[0])) { /* e.g. a scalar write: zero:x */
            for (int h = 0; h < 2; h++) {
                uint64_t c = T(g, in->args[0])->cval[h];
                if (fits32(c)) {
                    x64_emit_mov_mi(e, true, SP(d + 8 * h), (int32_t)c);
                } else {
                    x64_emit_mov_ri(e, X64_RAX, c);
                    x64_emit_mov_mr(e, true, SP(d + 8 * h), X64_RAX);
                }
            }
        } else {
            x64_emit_movdqu_xm(e, 0, SP(vslot(g, in->args[0])));
            x64_emit_movdqu_mx(e, SP(d), 0);
        }
        switch (in->imm) {
        case 0: x64_emit_mov_mr8(e, SP(off), v); break;
        case 1: x64_emit_mov_mr16(e, SP(off), v); break;
        default: x64_emit_mov_mr(e, in->imm == 3, SP(off), v); break;
        }
        free_dying(g);
        return;
    }
    if (op == IR_OP_vextract) {
        call_keep(g, e, (const void *)interp_vextract,
                  ARGS(((Arg){A_SLOTPTR, (uint64_t)vslot(g, in->args[0])}), AI(in->imm), AI(in->aux)));
        finish(g, in->dst, X64_RAX);
        return;
    }
    int32_t d = vslot(g, in->dst);
    if (op == IR_OP_vdup) {
        call_keep(g, e, (const void *)interp_vdup,
                  ARGS(((Arg){A_SLOTPTR, (uint64_t)d}), AV(in->args[0]), AI(in->imm)));
    } else if (op == IR_OP_vinsert) {
        call_keep(g, e, (const void *)interp_vinsert,
                  ARGS(((Arg){A_SLOTPTR, (uint64_t)d}), ((Arg){A_SLOTPTR, (uint64_t)vslot(g, in->args[0])}),
                       AV(in->args[1]), AI(in->imm), AI(in->aux)));
    } else {
        IVecFn fn = in->imm <= 3 ? interp_vec_fn(op, (unsigned)in->imm) : NULL;
        if (!fn) {
            g->fail = true;
            return;
        }
        /* The body reads its operands from an IOp: one lives in the cold area
         * (placed after the slots: a constant's first slot writes its literal
         * to the cold area). */
        IOp o = {.d = fslot(g, in->dst), .a = fslot(g, in->args[0]), .b = fslot(g, in->args[1]),
                 .c = fslot(g, in->args[2]), .aux = in->aux, .aux2 = (uint32_t)in->imm,
                 .imm = (uint64_t)(uintptr_t)fn};
        x64_align(&g->c, 8, 0);
        IOp *ip = (IOp *)(void *)g->c.p;
        for (size_t i = 0; i < sizeof(o); i++) x64_byte(&g->c, ((uint8_t *)&o)[i]);
        if (g->c.overflow) return;
        call_keep(g, e, (const void *)fn,
                  ARGS(ACPU, ((Arg){A_SLOTPTR, JIT_FRAME_SPILL}), AI((uintptr_t)ip)));
    }
    free_dying(g);
}

/* -- One IR instruction ------------------------------------------------------------------ */

static void gen_insn(Gen *g, uint32_t i)
{
    const IrInsn *in = &g->ir->insns[i];
    const IrInsn *nx = i + 1 < g->ir->ninsns ? &g->ir->insns[i + 1] : NULL;
    X64Emit *e = &g->e;
    bool w = in->type == IR_I64;
    g->cur = i;
    /* Only set (plain stores) and goto_cond keep the flags of a setcond. */
    if (in->op != IR_OP_set && in->op != IR_OP_goto_cond) g->cc_val = IR_NONE;
    /* A pure op whose result nobody reads: nothing to emit. */
    if (in->dst != IR_NONE && g->t[g->root[in->dst]].last <= i &&
        !(ir_op_info[in->op].flags & (IR_OPF_SIDE | IR_OPF_FAULT | IR_OPF_EXIT | IR_OPF_FP | IR_OPF_MEM)) &&
        in->op != IR_OP_call) {
        free_dying(g);
        return;
    }

    switch ((IrOp)in->op) {
    case IR_OP_nop: return;
    case IR_OP_insn_start:
        g->cur_pc = in->imm;
        g->pc_stored = false;
        if (g->pc_needed[i] & PC_NEEDED) {
            store_pc(e, in->imm);
            g->pc_stored = true;
        }
        return;
    case IR_OP_mov:
    case IR_OP_bitcast:
        if (ty(g, in->args[0]) == IR_V128) {
            int32_t s = vslot(g, in->args[0]), d = vslot(g, in->dst);
            x64_emit_movdqu_xm(e, 0, SP(s));
            x64_emit_movdqu_mx(e, SP(d), 0);
            free_dying(g);
            return;
        }
        if (g->root[in->dst] != in->dst) { /* an alias: the same Temp */
            free_dying(g);
            return;
        }
        if (dies_in_reg(g, in->args[0])) {
            finish_in(g, in->dst, (X64Reg)g->t[g->root[in->args[0]]].reg); /* a rename */
            return;
        } else {
            X64Reg d = new_dst(g, in->dst);
            if (d != X64_RAX) load(g, d, in->args[0]);
            finish_in(g, in->dst, d);
        }
        return;

    case IR_OP_get: {
        const IrRegInfo *r = &g->ir->regs[in->imm];
        if (r->type == IR_V128) {
            int32_t d = vslot(g, in->dst);
            x64_emit_movdqu_xm(e, 0, M(R_CPU, (int32_t)r->offset));
            x64_emit_movdqu_mx(e, SP(d), 0);
            return;
        }
        free_dying(g);
        if (g->t[g->root[in->dst]].last <= i) return;
        X64Reg d = alloc_reg(g);
        int p = g->pin ? g->pin[in->imm] : -1;
        if (p >= 16) {
            /* xmm pin: the general copy, and a shadow for FP consumers. */
            x64_emit_movq_rx(e, d, p - 16);
            int x = xalloc(g, 0);
            x64_emit_sse_rr(e, 0x66, 0x28, x, p - 16); /* movapd */
            xbind(g, x, g->root[in->dst], true);
        } else if (p >= 0) {
            x64_emit_mov_rr(e, r->type == IR_I64 || r->type == IR_F64, d, (X64Reg)p);
        } else {
            x64_emit_mov_rm(e, r->type == IR_I64 || r->type == IR_F64, d, M(R_CPU, (int32_t)r->offset));
        }
        g->t[g->root[in->dst]].reg = (int8_t)d;
        g->owner[d] = g->root[in->dst];
        return;
    }
    case IR_OP_set: {
        if (g->pc_needed[i] & SET_DEAD) {
            free_dying(g);
            return;
        }
        const IrRegInfo *r = &g->ir->regs[in->imm];
        IrVal v = in->args[0];
        bool w64 = r->type == IR_I64 || r->type == IR_F64;
        X64Mem m = M(R_CPU, (int32_t)r->offset);
        if (r->type == IR_V128) {
            x64_emit_movdqu_xm(e, 0, SP(vslot(g, v)));
            x64_emit_movdqu_mx(e, m, 0);
        } else if (is_c(g, v) && (!w64 || fits32(cv(g, v)))) {
            x64_emit_mov_mi(e, w64, m, (int32_t)cv(g, v));
        } else {
            x64_emit_mov_mr(e, w64, m, reg_of(g, v, X64_RAX));
        }
        int p = g->pin ? g->pin[in->imm] : -1;
        if (p >= 16) {
            int sx = is_c(g, v) ? -1 : g->t[g->root[v]].xmm;
            if (sx >= 0 && g->xwide[sx]) x64_emit_sse_rr(e, 0x66, 0x28, p - 16, sx); /* movapd */
            else x64_emit_movq_xr(e, p - 16, reg_of(g, v, X64_RAX));
        } else if (p >= 0) {
            if (is_c(g, v)) x64_emit_mov_ri(e, (X64Reg)p, w64 ? cv(g, v) : (uint32_t)cv(g, v));
            else x64_emit_mov_rr(e, w64, (X64Reg)p, reg_of(g, v, X64_RAX));
        }
        free_dying(g);
        return;
    }

    case IR_OP_add: bin_alu(g, in, X64_ADD); return;
    case IR_OP_sub: bin_alu(g, in, X64_SUB); return;
    case IR_OP_and: bin_alu(g, in, X64_AND); return;
    case IR_OP_or: bin_alu(g, in, X64_OR); return;
    case IR_OP_xor: bin_alu(g, in, X64_XOR); return;
    case IR_OP_mul: {
        IrVal a = in->args[0], b = in->args[1];
        if (is_c(g, a) && !is_c(g, b)) { IrVal tmp = a; a = b; b = tmp; }
        if (dst_used(g, in->dst) && !dies_in_reg(g, a) && dies_in_reg(g, b) && a != b) {
            IrVal tmp = a; a = b; b = tmp; /* commutes: multiply in b's register */
        }
        bool inplace;
        X64Reg d = dst_or_reuse(g, in->dst, a, &inplace);
        if (is_c(g, b) && (w ? fits32(cv(g, b)) : true)) {
            x64_emit_imul_rri(e, w, d, inplace ? d : reg_of(g, a, X64_RAX), (int32_t)cv(g, b));
        } else {
            if (!inplace) load(g, d, a);
            x64_emit_imul_rr(e, w, d, reg_of(g, b, X64_RCX));
        }
        finish_in(g, in->dst, d);
        return;
    }
    case IR_OP_mulhs:
    case IR_OP_mulhu:
    case IR_OP_mulhsu:
        load(g, X64_RCX, in->args[1]);
        load_a(g, in->args[0]);
        if (in->op == IR_OP_mulhs) x64_emit_imul1_r(e, w, X64_RCX);
        else x64_emit_mul_r(e, w, X64_RCX);
        if (in->op == IR_OP_mulhsu) {
            /* signed a x unsigned b: high(ua*b) - (a < 0 ? b : 0). */
            load(g, X64_RAX, in->args[0]);
            x64_emit_shift_ri(e, X64_SAR, w, X64_RAX, w ? 63 : 31);
            x64_emit_alu_rr(e, X64_AND, w, X64_RAX, X64_RCX);
            x64_emit_alu_rr(e, X64_SUB, w, X64_RDX, X64_RAX);
        }
        finish(g, in->dst, X64_RDX);
        return;
    case IR_OP_divs: divrem(g, in, true, false); return;
    case IR_OP_divu: divrem(g, in, false, false); return;
    case IR_OP_rems: divrem(g, in, true, true); return;
    case IR_OP_remu: divrem(g, in, false, true); return;
    case IR_OP_andn:
    case IR_OP_orn:
        load(g, X64_RCX, in->args[1]);
        x64_emit_not_r(e, w, X64_RCX);
        load_a(g, in->args[0]);
        x64_emit_alu_rr(e, in->op == IR_OP_andn ? X64_AND : X64_OR, w, X64_RAX, X64_RCX);
        finish(g, in->dst, X64_RAX);
        return;
    case IR_OP_xnor:
        load_a(g, in->args[0]);
        alu(g, X64_XOR, w, X64_RAX, in->args[1]);
        x64_emit_not_r(e, w, X64_RAX);
        finish(g, in->dst, X64_RAX);
        return;
    case IR_OP_shl: shift_op(g, in, X64_SHL); return;
    case IR_OP_shr: shift_op(g, in, X64_SHR); return;
    case IR_OP_sar: shift_op(g, in, X64_SAR); return;
    case IR_OP_rotl: shift_op(g, in, X64_ROL); return;
    case IR_OP_rotr: shift_op(g, in, X64_ROR); return;
    case IR_OP_smin: minmax(g, in, X64_CC_G); return;
    case IR_OP_smax: minmax(g, in, X64_CC_L); return;
    case IR_OP_umin: minmax(g, in, X64_CC_A); return;
    case IR_OP_umax: minmax(g, in, X64_CC_B); return;
    case IR_OP_carry_add: flag_op(g, in, X64_ADD, X64_CC_B, false); return;
    case IR_OP_ovf_add: flag_op(g, in, X64_ADD, X64_CC_O, false); return;
    case IR_OP_ovf_sub: flag_op(g, in, X64_SUB, X64_CC_O, false); return;
    case IR_OP_carry_adc: flag_op(g, in, X64_ADC, X64_CC_B, true); return;
    case IR_OP_borrow_sbb: flag_op(g, in, X64_SBB, X64_CC_B, true); return;
    case IR_OP_ovf_adc: flag_op(g, in, X64_ADC, X64_CC_O, true); return;
    case IR_OP_ovf_sbb: flag_op(g, in, X64_SBB, X64_CC_O, true); return;
    case IR_OP_not: case IR_OP_neg: case IR_OP_clz: case IR_OP_ctz: case IR_OP_cpop:
    case IR_OP_bswap: case IR_OP_brev: case IR_OP_sext8: case IR_OP_sext16: case IR_OP_sext32:
    case IR_OP_zext8: case IR_OP_zext16: case IR_OP_zext32: case IR_OP_extu: case IR_OP_exts:
    case IR_OP_trunc: case IR_OP_parity:
        unop(g, in);
        return;
    case IR_OP_extract:
    case IR_OP_sextract:
    case IR_OP_deposit:
        bitfield(g, in);
        return;

    case IR_OP_setcond: {
        /* Fused with the goto_cond that consumes it, when nothing else does. */
        if (nx && nx->op == IR_OP_goto_cond && nx->args[0] == in->dst && g->t[g->root[in->dst]].last == i + 1) {
            X64Cond cc = emit_cmp(g, in);
            g->cur = i + 1;
            free_dying(g);
            emit_goto_cc(g, cc, nx->imm);
            g->skip = i + 1;
            return;
        }
        X64Reg d = new_dst(g, in->dst);
        X64Cond cc = emit_cmp(g, in);
        x64_emit_setcc(e, cc, X64_RAX);
        x64_emit_movzx8_rr(e, d, X64_RAX);
        finish_in(g, in->dst, d);
        /* The flags still hold the condition: a goto_cond on dst with only
         * flag-preserving ops between (set) branches on them directly. */
        g->cc_val = in->dst;
        g->cc = cc;
        return;
    }
    case IR_OP_select: {
        if (in->type == IR_V128) {
            int32_t d = vslot(g, in->dst);
            int32_t sa = vslot(g, in->args[1]), sb = vslot(g, in->args[2]);
            X64Reg c = reg_of(g, in->args[0], X64_RAX);
            x64_emit_movdqu_xm(e, 0, SP(sb));
            x64_emit_test_rr(e, true, c, c);
            uint8_t *j = x64_emit_jcc8_fwd(e, X64_CC_E);
            x64_emit_movdqu_xm(e, 0, SP(sa));
            x64_bind8(e, j);
            x64_emit_movdqu_mx(e, SP(d), 0);
            free_dying(g);
            return;
        }
        bool inplace;
        X64Reg d = dst_or_reuse(g, in->dst, in->args[2], &inplace);
        X64Reg c = reg_of(g, in->args[0], X64_RDX);
        X64Reg a1 = reg_of(g, in->args[1], X64_RCX);
        /* c and a1 are never d: d is fresh or (in place) is written by the cmov only. */
        if (!inplace) load(g, d, in->args[2]);
        x64_emit_test_rr(e, true, c, c);
        x64_emit_cmov(e, X64_CC_NE, true, d, a1);
        finish_in(g, in->dst, d);
        return;
    }

    case IR_OP_ld: emit_ld(g, in); return;
    case IR_OP_st: emit_st(g, in); return;
    case IR_OP_lr:
        call_keep(g, e, (const void *)interp_lr,
                  ARGS(ACPU, AV(in->args[0]), AI(in->imm), AI(w)));
        finish(g, in->dst, X64_RAX);
        return;
    case IR_OP_sc:
        call_keep(g, e, (const void *)interp_sc,
                  ARGS(ACPU, AV(in->args[0]), AV(in->args[1]), AI(in->imm)));
        if (!w) x64_emit_mov_rr(e, false, X64_RAX, X64_RAX);
        finish(g, in->dst, X64_RAX);
        return;
    case IR_OP_cas:
        call_keep(g, e, (const void *)interp_cas,
                  ARGS(ACPU, AV(in->args[0]), AV(in->args[1]), AV(in->args[2]), AI(in->imm), AI(w)));
        finish(g, in->dst, X64_RAX);
        return;
    case IR_OP_rmw:
        call_keep(g, e, (const void *)interp_rmw,
                  ARGS(ACPU, AV(in->args[0]), AV(in->args[1]), AI(in->imm), AI(in->aux), AI(w)));
        finish(g, in->dst, X64_RAX);
        return;
    case IR_OP_fence:
        if (in->imm & IR_FENCE_INSN) {
            call_keep(g, e, (const void *)jit_helper_fence_insn, ARGS(ACPU));
        } else if (in->imm & IR_FENCE_SL) {
            /* x86 is TSO: only store->load ordering needs a fence (SDM vol. 3, 8.2.2). */
            x64_emit_mfence(e);
        }
        return;

    case IR_OP_fadd: case IR_OP_fsub: case IR_OP_fmul: case IR_OP_fdiv: case IR_OP_fsqrt:
    case IR_OP_fma:
        fp_arith(g, in);
        return;
    case IR_OP_fcmp: fp_cmp_op(g, in); return;
    case IR_OP_fmin: case IR_OP_fmax: case IR_OP_fclass: case IR_OP_fcvt_f2i:
    case IR_OP_fcvt_i2f: case IR_OP_fcvt_f2f: case IR_OP_fround:
        fp_misc(g, in);
        return;

    case IR_OP_call: {
        const IrHelper *h = (const IrHelper *)(uintptr_t)in->imm;
        Arg a[5] = {ACPU, AV(in->args[0]), AV(in->args[1]), AV(in->args[2]), AV(in->args[3])};
        call_keep(g, e, h->fn, a, 1u + h->nargs);
        if (in->dst != IR_NONE && h->ret_type != IR_VOID) {
            IrType rt = ty(g, in->dst);
            if (rt == IR_I32 || rt == IR_F32) x64_emit_mov_rr(e, false, X64_RAX, X64_RAX);
        }
        finish(g, in->dst, X64_RAX);
        return;
    }

    case IR_OP_goto:
        if (in->aux & IR_EXIT_NOCHAIN) {
            store_pc(e, in->imm);
            emit_nochain(g);
        } else {
            emit_goto(g, in->imm);
        }
        return;
    case IR_OP_goto_cond: {
        if (g->cc_val == in->args[0]) {
            free_dying(g);
            emit_goto_cc(g, g->cc, in->imm);
            return;
        }
        X64Reg c = reg_of(g, in->args[0], X64_RAX);
        x64_emit_test_rr(e, true, c, c);
        free_dying(g);
        emit_goto_cc(g, X64_CC_NE, in->imm);
        return;
    }
    case IR_OP_goto_ind: {
        load(g, X64_RAX, in->args[0]);
        x64_emit_mov_mr(e, true, M(R_CPU, offsetof(CpuState, pc)), X64_RAX);
        if ((in->aux & IR_EXIT_NOCHAIN) || g->jc->trace) {
            emit_nochain(g);
            return;
        }
        uint64_t fl = g->ir->flags;
        if (g->jc->stats) x64_emit_alu_mi(e, X64_ADD, true, M(R_VCPU, JIT_VCPU_NIND_OFF), 1);
        if (g->jc->sys) {
            /* The jump cache alone cannot tell which mapping filled it. */
            sys_lookup_jump(g, e, JIT_RET_NOCHAIN);
            return;
        }
        /* Jump cache: entry (pc >> 1) & mask, 32 bytes each, at r12. */
        x64_emit_mov_rr(e, false, X64_RCX, X64_RAX);
        x64_emit_shift_ri(e, X64_SHR, false, X64_RCX, 1);
        x64_emit_alu_ri(e, X64_AND, false, X64_RCX, JIT_JC_SIZE - 1);
        x64_emit_shift_ri(e, X64_SHL, false, X64_RCX, 5);
        uint8_t *miss = g->c.p;
        x64_emit_alu_rm(e, X64_CMP, true, X64_RAX, x64_mem_idx(R_VCPU, X64_RCX, 1, 0));
        x64_emit_jcc(e, X64_CC_NE, miss);
        if (fits32(fl)) {
            x64_emit_alu_mi(e, X64_CMP, true, x64_mem_idx(R_VCPU, X64_RCX, 1, 8), (int32_t)fl);
        } else {
            x64_emit_mov_ri(e, X64_RDX, fl);
            x64_emit_alu_rm(e, X64_CMP, true, X64_RDX, x64_mem_idx(R_VCPU, X64_RCX, 1, 8));
        }
        x64_emit_jcc(e, X64_CC_NE, miss);
        x64_emit_jmp_m(e, x64_mem_idx(R_VCPU, X64_RCX, 1, 16));
        /* Miss: the shared hash (no translation) refills the entry. */
        X64Emit *c = &g->c;
        x64_emit_mov_rr(c, true, X64_RSI, X64_RAX);
        x64_emit_mov_rr(c, true, X64_RDI, R_CPU);
        x64_emit_mov_ri(c, X64_RDX, fl);
        x64_emit_call(c, (const void *)jit_helper_ind_lookup);
        x64_emit_test_rr(c, true, X64_RAX, X64_RAX);
        uint8_t *j = x64_emit_jcc8_fwd(c, X64_CC_E);
        x64_emit_jmp_r(c, X64_RAX);
        x64_bind8(c, j);
        ret_to_dispatcher(c, JIT_RET_NOCHAIN);
        return;
    }
    case IR_OP_raise:
        if (!g->pc_stored) store_pc(e, g->cur_pc);
        x64_emit_mov_rr(e, true, X64_RDI, R_CPU);
        x64_emit_mov_ri(e, X64_RSI, in->imm);
        load(g, X64_RDX, in->args[0]);
        x64_emit_call(e, (const void *)cpu_raise);
        xdrop_all(g);
        return;

    default:
        if (in->op >= IR_OP_vdup && in->op <= IR_OP_vfdiv) {
            vec_op(g, in);
            return;
        }
        g->fail = true;
        return;
    }
}

/* -- Block --------------------------------------------------------------------------------- */

unsigned jit_count_exits(const IrBlock *ir)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < ir->ninsns; i++) {
        const IrInsn *in = &ir->insns[i];
        if (in->op == IR_OP_goto_cond || (in->op == IR_OP_goto && !(in->aux & IR_EXIT_NOCHAIN))) n++;
    }
    return n;
}

/* Loop pins (Gen.pin): user mode only (system mode leaves through the TLB
 * lookup on page changes), a direct jump or branch back to the block's own
 * start, and no helper calls (a helper might write a guest register behind
 * the pin's back). Registers read before written and written in the block
 * are pinned: to an xmm register when the value is used as an F64 (FP loop
 * state), else to rbp or r13 (callee-saved: calls keep them). */
static unsigned reg_bytes(unsigned t)
{
    return t == IR_V128 ? 16 : (t == IR_I32 || t == IR_F32) ? 4 : 8;
}

static void choose_pins(Gen *g)
{
    const IrBlock *ir = g->ir;
    uint32_t back = 0; /* the first back edge: what comes after runs once, on the way out */
    if (g->jc->sys || g->jc->trace || !ir->nregs) return; /* trace: no back edge in code */
    for (uint32_t i = 0; i < ir->ninsns; i++) {
        const IrInsn *in = &ir->insns[i];
        if (in->op == IR_OP_call) return;
        if (((in->op == IR_OP_goto && !(in->aux & IR_EXIT_NOCHAIN)) || in->op == IR_OP_goto_cond) &&
            in->imm == ir->pc && !back)
            back = i;
    }
    if (!back) return;
    uint8_t *st = calloc(ir->nregs, 1); /* bit 0: read first, bit 1: seen, bit 2: written, bit 3: FP use */
    int32_t *from = malloc(ir->ntemps * sizeof(int32_t)); /* the reg a get temp came from */
    g->pin = malloc(ir->nregs);
    if (!st || !from || !g->pin) abort(); /* host OOM */
    memset(g->pin, -1, ir->nregs);
    for (uint32_t v = 0; v < ir->ntemps; v++) from[v] = -1;
    for (uint32_t i = 0; i < back; i++) {
        const IrInsn *in = &ir->insns[i];
        if (in->op == IR_OP_get && in->imm < ir->nregs) {
            if (!(st[in->imm] & 2)) st[in->imm] |= 3;
            if (in->dst) from[in->dst] = (int32_t)in->imm;
        } else if (in->op == IR_OP_set && in->imm < ir->nregs) {
            st[in->imm] |= 6;
        } else if ((in->op == IR_OP_bitcast || (ir_op_info[in->op].flags & IR_OPF_FP)) && in->args[0] &&
                   from[in->args[0]] >= 0 && (in->op != IR_OP_bitcast || ty(g, in->dst) == IR_F64)) {
            st[from[in->args[0]]] |= 8;
        }
    }
    /* A register another slot overlaps (none today: the dead-set pass relies
     * on that too) is never pinned: a set of the other would bypass the pin. */
    for (uint32_t r = 0; r < ir->nregs; r++) {
        unsigned o = ir->regs[r].offset, n = reg_bytes(ir->regs[r].type);
        for (uint32_t q = 0; q < ir->nregs && (st[r] & 5) == 5; q++) {
            unsigned oq = ir->regs[q].offset, nq = reg_bytes(ir->regs[q].type);
            if (q != r && o < oq + nq && oq < o + n) st[r] &= (uint8_t)~1u;
        }
    }
    static const X64Reg gp[2] = {X64_RBP, X64_R13};
    unsigned ngp = 0, nx = 0;
    for (uint32_t r = 0; r < ir->nregs; r++) {
        IrType t = (IrType)ir->regs[r].type;
        if ((st[r] & 5) != 5 || t == IR_V128) continue;
        if ((st[r] & 8) && (t == IR_I64 || t == IR_F64) && nx < 4) {
            int x = 15 - (int)nx++;
            g->pin[r] = (int8_t)(16 + x);
            g->xpin_slot[x] = new_slot(g, 2);
            g->xlast = x - 1;
        } else if (!(st[r] & 8) && (t == IR_I64 || t == IR_I32) && ngp < 2) {
            g->pin[r] = (int8_t)gp[ngp];
            g->pinned[gp[ngp++]] = true;
        }
    }
    free(from);
    free(st);
}

int x64_compile(JitCompile *jc)
{
    const IrBlock *ir = jc->ir;
    JitBlock *blk = jc->blk;
    uint32_t n = ir->ninsns;
    Gen *g = calloc(1, sizeof(*g));
    Temp *t = malloc(ir->ntemps * sizeof(Temp));
    uint8_t *pc_needed = calloc(n ? n : 1, 1);
    if (!g || !t || !pc_needed) abort(); /* host OOM */
    g->jc = jc;
    g->ir = ir;
    g->t = t;
    g->pc_needed = pc_needed;
    g->next_slot = JIT_FRAME_SPILL;
    g->cur_pc = ir->pc;
    g->xlast = 15;
    x64_init(&g->e, jc->hot, (size_t)(jc->hot_end - jc->hot));
    x64_init(&g->c, jc->cold, (size_t)(jc->cold_end - jc->cold));

    /* Aliases: a mov or a bitcast between I64 and F64 copies the bits a
     * general register holds, so its result shares its source's Temp (no
     * code, one register for both). */
    uint32_t *root = malloc(ir->ntemps * sizeof(uint32_t));
    if (!root) abort(); /* host OOM */
    g->root = root;
    for (uint32_t v = 0; v < ir->ntemps; v++) root[v] = v;
    for (uint32_t i = 0; i < n; i++) {
        const IrInsn *in = &ir->insns[i];
        if ((in->op != IR_OP_mov && in->op != IR_OP_bitcast) || !in->dst || is_c(g, in->args[0])) continue;
        IrType st = ty(g, in->args[0]), dt = ty(g, in->dst);
        bool wide = (st == IR_I64 || st == IR_F64) && (dt == IR_I64 || dt == IR_F64);
        if (wide || (st == dt && st != IR_V128)) root[in->dst] = root[in->args[0]];
    }
    /* pc must be exact only at ops that may fault (as in the interpreter). */
    for (uint32_t i = n, fault = 0; i-- > 0;) {
        if (ir->insns[i].op == IR_OP_insn_start) {
            pc_needed[i] = fault ? PC_NEEDED : 0;
            fault = 0;
        } else if (ir_op_info[ir->insns[i].op].flags & IR_OPF_FAULT && ir->insns[i].op != IR_OP_raise &&
                   ir->insns[i].op != IR_OP_ld && ir->insns[i].op != IR_OP_st) {
            /* ld/st store the pc on their slow paths; a host fault on the
             * fast path finds it from the host pc (x64_fault_pc). */
            fault = 1;
        }
    }

    /* Dead register writes: a set overwritten by a later set of the same slot
     * with nothing in between that can observe guest state (a fault, a call,
     * a side exit, a read of the slot from memory) is never seen. One
     * backward pass; slots never alias (one IrRegInfo offset each). */
    uint8_t *later = calloc(ir->nregs ? ir->nregs : 1, 1);
    if (!later) abort(); /* host OOM */
    for (uint32_t i = n; i-- > 0;) {
        const IrInsn *in = &ir->insns[i];
        unsigned f = ir_op_info[in->op].flags;
        if (in->op == IR_OP_set) {
            if (in->imm >= ir->nregs) continue;
            if (later[in->imm]) pc_needed[i] |= SET_DEAD;
            later[in->imm] = 1;
        } else if (in->op == IR_OP_get) {
            if (in->imm < ir->nregs) later[in->imm] = 0;
        } else if ((f & (IR_OPF_FAULT | IR_OPF_EXIT | IR_OPF_SIDE)) && in->op != IR_OP_insn_start) {
            memset(later, 0, ir->nregs);
        }
    }
    free(later);

    choose_pins(g);

    /* Last uses (one forward pass; the def counts when a temp is never used;
     * a dead set is no use). */
    for (uint32_t v = 0; v < ir->ntemps; v++) t[v] = (Temp){.reg = -1, .slot = -1, .xmm = -1};
    for (uint32_t i = 0; i < n; i++) {
        const IrInsn *in = &ir->insns[i];
        if (in->dst) t[root[in->dst]].last = i;
        if (in->op == IR_OP_set && (pc_needed[i] & SET_DEAD)) continue;
        for (unsigned k = 0; k < IR_MAX_ARGS; k++)
            if (in->args[k]) t[root[in->args[k]]].last = i;
    }

    /* Entry: [countdown], patchable jump (dead-block switch), exit request. */
    X64Emit *e = &g->e;
    blk->code = e->p;
    if (jc->counter) {
        uint8_t *tier = g->c.p;
        x64_emit_mov_rr(&g->c, true, X64_RDI, R_CPU);
        x64_emit_mov_ri(&g->c, X64_RSI, (uint64_t)(uintptr_t)blk);
        x64_emit_call(&g->c, (const void *)jit_tier_hit);
        uint8_t *back = x64_emit_jmp_rel32(&g->c, NULL);
        x64_emit_alu_mi(e, X64_SUB, false, x64_mem_rip(jc->counter), 1);
        /* rip-relative with an immediate: the displacement must account for
         * the trailing imm8 (SDM vol. 2, 2.2.1.6), fixed up here. */
        if (!e->overflow) {
            int32_t d;
            memcpy(&d, e->p - 5, 4);
            d -= 1;
            memcpy(e->p - 5, &d, 4);
        }
        x64_emit_jcc(e, X64_CC_S, tier);
        patch(g, back, e->p);
    }
    /* Loop pins: loaded once, before the entry point the back edge jumps to. */
    for (uint32_t r = 0; g->pin && r < ir->nregs; r++) {
        int p = g->pin[r];
        X64Mem m = M(R_CPU, (int32_t)ir->regs[r].offset);
        if (p >= 16) {
            x64_emit_mov_rm(e, true, X64_RAX, m);
            x64_emit_movq_xr(e, p - 16, X64_RAX);
        } else if (p >= 0) {
            x64_emit_mov_rm(e, ir->regs[r].type == IR_I64 || ir->regs[r].type == IR_F64, (X64Reg)p, m);
        }
    }
    blk->dead_stub = g->c.p;
    store_pc(&g->c, ir->pc);
    ret_to_dispatcher(&g->c, JIT_RET_NOCHAIN);
    /* A 5-byte NOP in an aligned 8-byte word: killing the block rewrites the
     * word atomically into a jmp to the dead stub (x64_kill_block). */
    x64_align(e, 8, 0);
    blk->entry_site = e->p;
    static const uint8_t nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
    for (int k = 0; k < 5; k++) x64_byte(e, nop5[k]);
    /* The back edge comes here: a killed block leaves at the next iteration,
     * and the exit request is checked on every one. */
    if (g->pin) g->loop_head = blk->entry_site;
    uint8_t *intr = g->c.p;
    store_pc(&g->c, ir->pc);
    ret_to_dispatcher(&g->c, JIT_RET_INTERRUPT);
    x64_emit_alu_mi(e, X64_CMP, false, M(R_CPU, offsetof(CpuState, exit_request)), 0);
    x64_emit_jcc(e, X64_CC_NE, intr);
    /* -d jit-stats (jitsys): block entries, for the in-code/chaining rates. */
    if (jc->stats) x64_emit_alu_mi(e, X64_ADD, true, M(R_VCPU, (int32_t)JIT_VCPU_NENTRIES_OFF), 1);

    for (uint32_t i = 0; i < n && !g->fail; i++) {
        if (g->skip && i == g->skip) continue; /* fused into the previous insn */
        gen_insn(g, i);
    }

    int r = 0;
    if (g->fail) {
        vm_error("jit: cannot compile block 0x%" PRIx64 " (unsupported IR)", ir->pc);
        ir_print(ir, stderr);
        abort();
    }
    /* The fault-site table ends the cold area (read back by x64_fault_pc). */
    x64_align(&g->c, 4, 0);
    for (unsigned k = 0; k < g->nsites; k++) {
        x64_u32(&g->c, (uint32_t)(g->sites[k].host - blk->code));
        x64_u32(&g->c, (uint32_t)(g->sites[k].pc - ir->pc));
    }
    x64_u32(&g->c, g->nsites);
    x64_u32(&g->c, X64_SITES_MAGIC);
    if (g->e.overflow || g->c.overflow) r = -ENOSPC;
    jc->hot_used = x64_size(&g->e);
    jc->cold_used = x64_size(&g->c);
    blk->nexits = g->nexit;
    free(g->sites);
    free(g->pin);
    free(root);
    free(pc_needed);
    free(t);
    free(g);
    return r;
}

bool x64_fault_pc(const JitBlock *b, uintptr_t host_pc, uint64_t *pc)
{
    uintptr_t code = (uintptr_t)b->code;
    if (host_pc < code || host_pc - code >= b->hot_size || b->cold_size < 8) return false;
    const uint8_t *end = b->cold + b->cold_size;
    uint32_t n, magic;
    memcpy(&n, end - 8, 4);
    memcpy(&magic, end - 4, 4);
    if (magic != X64_SITES_MAGIC || (size_t)n * 8 + 8 > b->cold_size) return false;
    const uint8_t *tab = end - 8 - (size_t)n * 8;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t off, dpc;
        memcpy(&off, tab + 8 * k, 4);
        memcpy(&dpc, tab + 8 * k + 4, 4);
        if (off == host_pc - code) {
            *pc = b->pc + dpc;
            return true;
        }
    }
    return false;
}

/* -- Head: entry trampoline, epilogue, MXCSR images ----------------------------------------- */

uint8_t *jit_epilogue;
const uint32_t *jit_mxcsr_table;

size_t x64_gen_head(uint8_t *buf, size_t len)
{
    X64Emit e;
    x64_init(&e, buf, len);
    /* MXCSR images: all exceptions masked, flags clear, RC per IrRound
     * (SDM vol. 1, 10.2.3: RC 00 nearest, 01 down, 10 up, 11 toward zero). */
    static const uint8_t mxcsr_rc[4] = {0, 3, 1, 2};
    uint32_t *mxt = (uint32_t *)(void *)e.p;
    for (unsigned rm = 0; rm < 4; rm++) x64_u32(&e, 0x1f80u | (uint32_t)mxcsr_rc[rm] << 13);
    jit_mxcsr_table = mxt;
    x64_align(&e, 8, 0);
    FpConsts *fc = (FpConsts *)(void *)e.p;
    static const FpConsts fcv = {
        .inf64 = 0xffe0000000000000ull, .lo64 = (123ull << 52) << 1,
        .span64 = 0xffe0000000000000ull - ((123ull << 52) << 1),
        .inf32 = 0xff000000u, .lo32 = (27u << 23) << 1, .span32 = 0xff000000u - ((27u << 23) << 1),
    };
    for (size_t k = 0; k < sizeof(fcv); k++) x64_byte(&e, ((const uint8_t *)&fcv)[k]);
    if (!e.overflow) fp_consts = fc;
    x64_align(&e, 16, 0);
    VecConsts *vc = (VecConsts *)(void *)e.p;
    static const VecConsts vcv = {
        .k70 = {0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70},
        .k10 = {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10},
        .abs64 = {0x7fffffffffffffffull, 0x7fffffffffffffffull},
        .inf64 = {0x7ff0000000000000ull, 0x7ff0000000000000ull},
        .lo64 = {123ull << 52, 123ull << 52}, /* 2^-900 */
        .abs32 = {0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu},
        .inf32 = {0x7f800000u, 0x7f800000u, 0x7f800000u, 0x7f800000u},
        .lo32 = {27u << 23, 27u << 23, 27u << 23, 27u << 23}, /* 2^-100 */
    };
    for (size_t k = 0; k < sizeof(vcv); k++) x64_byte(&e, ((const uint8_t *)&vcv)[k]);
    if (!e.overflow) vec_consts = vc;
    x64_align(&e, 16, 0);

    jit_enter = (JitEnterFn)(void *)e.p;
    static const X64Reg saved[6] = {X64_RBX, X64_RBP, X64_R12, X64_R13, X64_R14, X64_R15};
    for (int i = 0; i < 6; i++) x64_emit_push(&e, saved[i]);
    /* 6 pushes + return address = 56 bytes: FRAME = 8 mod 16 realigns rsp. */
    x64_emit_alu_ri(&e, X64_SUB, true, X64_RSP, JIT_FRAME_SIZE);
    x64_emit_mov_rr(&e, true, R_CPU, X64_RDI);
    x64_emit_mov_rr(&e, true, R_VCPU, X64_RSI);
    x64_emit_mov_rm(&e, true, R_BASE, M(R_CPU, offsetof(CpuState, guest_base)));
    x64_emit_mov_rm(&e, true, R_LIM, M(R_VCPU, JIT_VCPU_FASTLIM_OFF));
    x64_emit_ldmxcsr(&e, x64_mem_rip(&mxt[IR_RM_RNE]));
    x64_emit_jmp_r(&e, X64_RDX);

    x64_align(&e, 16, 0);
    jit_epilogue = e.p;
    x64_emit_alu_ri(&e, X64_ADD, true, X64_RSP, JIT_FRAME_SIZE);
    for (int i = 5; i >= 0; i--) x64_emit_pop(&e, saved[i]);
    x64_emit_ret(&e);
    return e.overflow ? 0 : x64_size(&e);
}

void x64_kill_block(JitBlock *b)
{
    /* Replace the NOP with "jmp rel32" in one aligned 8-byte store (SDM vol. 3,
     * 8.1.1: atomic; a vCPU fetching it sees the NOP or the jump). */
    uint64_t w;
    memcpy(&w, b->entry_site, 8);
    int32_t d = (int32_t)((intptr_t)b->dead_stub - (intptr_t)(b->entry_site + 5));
    uint8_t nw[8];
    memcpy(nw, &w, 8);
    nw[0] = 0xe9;
    memcpy(nw + 1, &d, 4);
    memcpy(&w, nw, 8);
    __atomic_store_n((uint64_t *)(void *)b->entry_site, w, __ATOMIC_RELEASE);
}

void x64_chain(JitExit *x, const void *target)
{
    x64_patch_rel32(x->site, target);
}

_Static_assert(JIT_FRAME_SIZE % 16 == 8, "frame keeps rsp 16-byte aligned at calls");
_Static_assert(offsetof(JitVcpu, jc) == 0, "jump cache at r12 + 0");
