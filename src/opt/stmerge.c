/* SPDX-License-Identifier: MIT */
/* Byte-store merging (include/vm/opt.h).
 *
 * Why: compilers for targets without fast unaligned access (riscv64's generic
 * profile) expand memcpy(&u64, p, 8) into eight byte loads and eight byte
 * stores to a stack slot, then read the slot back with one 8-byte load. On an
 * x86-64 host that load cannot be forwarded from eight separate byte stores
 * still in the store buffer: it waits for all of them to reach the cache
 * (Intel SDM vol. 3 / optimization manual, "store forwarding"), a stall of
 * ~15 cycles per copy. One wide store of the same bytes forwards normally.
 *
 * The rewrite of a run of N (8 or 4) byte stores at base+m .. base+m+N-1, in
 * consecutive guest instructions that do nothing else visible (no register
 * writes, no other memory access, no exit, no FP, no call):
 *
 *   if ((base + m) & 0xfff) > 0x1000 - N: side exit to the run's first
 *       instruction (the run would cross a page: its own block, which starts
 *       with the run and so is never merged, does the stores one by one)
 *   the run's first byte store, unchanged      (keeps the fault exact: if the
 *       page is not writable this store faults first, with the guest pc and
 *       address the original code would report)
 *   ...the run's pure computations, unchanged...
 *   one N-byte store of all N bytes at base+m  (in place of the last byte
 *       store; the other byte stores are dropped)
 *
 * The wide store cannot fault once the first byte store to the same page
 * succeeded (page protections are per page). With no register write inside
 * the run, the state at the side exit is the state before the run. Another
 * thread sees the N bytes appear at once: a legal order under RVWMO, the Arm
 * model and TSO alike, as the original stores were consecutive with no other
 * access of this thread between them.
 *
 * Not for memory with devices (system mode): a device would see one wide
 * access instead of N byte accesses. */
#include <stdlib.h>
#include <string.h>

#include "vm/opt.h"

enum { RUN_MAX = 8, PAGE_SIZE_4K = 4096 };

typedef struct RunStore {
    uint32_t at;  /* index of the st */
    int64_t off;  /* byte offset from the run's base */
    IrVal val;
} RunStore;

typedef struct Run {
    uint32_t first, last; /* st indices of the run's first and last store */
    uint64_t pc;          /* guest pc of the run's first instruction */
    IrVal base;
    int64_t m;            /* lowest offset */
    unsigned n;           /* stores merged: 8 or 4 */
    RunStore st[RUN_MAX];
} Run;

static bool is_pure(const IrInsn *in)
{
    unsigned f = ir_op_info[in->op].flags;
    if (in->op == IR_OP_call || in->op == IR_OP_set) return false;
    return !(f & (IR_OPF_SIDE | IR_OPF_FAULT | IR_OPF_EXIT | IR_OPF_MEM | IR_OPF_FP));
}

/* addr = base + off, seeing through one add of a constant. */
static void addr_parts(const IrBlock *b, IrVal a, IrVal *base, int64_t *off)
{
    *base = a;
    *off = 0;
    if (ir_is_const(b, a)) return;
    const IrInsn *d = &b->insns[b->temps[a].def];
    if (d->dst == a && d->op == IR_OP_add && d->type == IR_I64 && ir_is_const(b, d->args[1])) {
        *base = d->args[0];
        *off = (int64_t)b->temps[d->args[1]].cval[0];
    }
}

static bool is_byte_store(const IrBlock *b, const IrInsn *in)
{
    if (in->op != IR_OP_st) return false;
    unsigned mo = (unsigned)in->imm;
    if ((mo & IR_MO_SIZE_MASK) || (mo & (IR_MO_ACQ | IR_MO_REL | IR_MO_EXEC))) return false;
    IrType vt = ir_type_of(b, in->args[1]);
    return vt == IR_I64 || vt == IR_I32;
}

/* The guest instruction starting at insn index s (an insn_start): end index
 * (next insn_start or the block's end) and its one byte store, if it is
 * nothing but pure computations and exactly one byte store. */
static bool run_insn(const IrBlock *b, uint32_t s, uint32_t *end, uint32_t *st)
{
    bool have = false;
    uint32_t i = s + 1;
    for (; i < b->ninsns && b->insns[i].op != IR_OP_insn_start; i++) {
        const IrInsn *in = &b->insns[i];
        if (is_byte_store(b, in) && !have) {
            have = true;
            *st = i;
        } else if (!is_pure(in)) {
            return false;
        }
    }
    *end = i;
    return have;
}

/* The longest mergeable run starting with the instruction at s; false when none. */
static bool find_run(const IrBlock *b, uint32_t s, Run *r)
{
    unsigned k = 0;
    for (uint32_t at = s; k < RUN_MAX && at < b->ninsns && b->insns[at].op == IR_OP_insn_start;) {
        uint32_t end, st;
        if (!b->insns[at].aux || !run_insn(b, at, &end, &st)) break;
        IrVal base;
        int64_t off;
        addr_parts(b, b->insns[st].args[0], &base, &off);
        if (k && base != r->base) break;
        bool dup = false;
        for (unsigned j = 0; j < k; j++) dup |= r->st[j].off == off;
        if (dup) break;
        if (!k) {
            r->base = base;
            r->pc = b->insns[at].imm;
        }
        r->st[k++] = (RunStore){st, off, b->insns[st].args[1]};
        at = end;
    }
    /* The widest prefix covering exactly [m, m + n). */
    for (unsigned n = RUN_MAX; n >= 4; n /= 2) {
        if (k < n) continue;
        int64_t lo = r->st[0].off, hi = r->st[0].off;
        for (unsigned j = 1; j < n; j++) {
            if (r->st[j].off < lo) lo = r->st[j].off;
            if (r->st[j].off > hi) hi = r->st[j].off;
        }
        if (hi - lo != (int64_t)n - 1) continue; /* offsets are distinct: n of them fill it */
        r->n = n;
        r->m = lo;
        r->first = r->st[0].at;
        r->last = r->st[n - 1].at;
        return true;
    }
    return false;
}

/* Byte k of the run's value, zero-extended to I64. */
static IrVal byte_i64(IrBlock *b, IrVal v)
{
    if (ir_is_const(b, v)) return ir_i64(b, b->temps[v].cval[0] & 0xff);
    const IrInsn *d = &b->insns[b->temps[v].def];
    unsigned mo = (unsigned)d->imm;
    if (ir_type_of(b, v) == IR_I64 && d->dst == v && d->op == IR_OP_ld && !(mo & IR_MO_SIZE_MASK) &&
        !(mo & IR_MO_SIGN))
        return v; /* a zero-extending byte load already */
    if (ir_type_of(b, v) == IR_I32) v = ir_op1(b, IR_OP_extu, IR_I64, v);
    return ir_op1(b, IR_OP_zext8, IR_I64, v);
}

/* Appends a copy of `in` (its dst's definition moves with it). */
static void copy_insn(IrBlock *b, const IrInsn *in)
{
    IrInsn *n = ir_emit(b, (IrOp)in->op, (IrType)in->type, in->dst, IR_NONE, IR_NONE, IR_NONE, 0, 0);
    *n = *in;
}

unsigned opt_merge_byte_stores(IrBlock *b)
{
    /* Find the runs first (they read the unmodified block). */
    Run *runs = NULL;
    unsigned nruns = 0, cap = 0, guest_insn = 0;
    for (uint32_t i = 0; i < b->ninsns; i++) {
        const IrInsn *in = &b->insns[i];
        if (in->op != IR_OP_insn_start || !in->aux) continue;
        /* Not at the block's first instruction: that is where the page-crossing
         * exit lands, and that block must do the stores one by one. */
        if (guest_insn++ == 0) continue;
        Run r;
        if (!find_run(b, i, &r)) continue;
        if (nruns == cap) {
            cap = cap ? 2 * cap : 4;
            runs = realloc(runs, cap * sizeof(*runs));
            if (!runs) abort(); /* host OOM */
        }
        runs[nruns++] = r;
        while (i + 1 < b->ninsns && i < r.last) i++; /* continue after the run's last store */
    }
    if (!nruns) return 0;

    uint32_t n = b->ninsns;
    IrInsn *old = malloc(n * sizeof(*old));
    if (!old) abort(); /* host OOM */
    memcpy(old, b->insns, n * sizeof(*old));
    b->ninsns = 0;
    unsigned ri = 0;
    IrVal addr = IR_NONE;
    for (uint32_t i = 0; i < n; i++) {
        const Run *r = ri < nruns ? &runs[ri] : NULL;
        if (r && i == r->first) {
            addr = r->m ? ir_op2(b, IR_OP_add, IR_I64, r->base, ir_i64(b, (uint64_t)r->m)) : r->base;
            IrVal pg = ir_op2(b, IR_OP_and, IR_I64, addr, ir_i64(b, PAGE_SIZE_4K - 1));
            ir_goto_cond(b, ir_setcond(b, IR_I64, IR_COND_GTU, pg, ir_i64(b, PAGE_SIZE_4K - r->n)), r->pc);
            copy_insn(b, &old[i]);
            continue;
        }
        if (r && i > r->first && i <= r->last && old[i].op == IR_OP_st) {
            bool in_run = false;
            for (unsigned j = 1; j < r->n; j++) in_run |= r->st[j].at == i;
            if (in_run && i != r->last) continue; /* dropped: the wide store writes its byte */
            if (in_run) {
                IrVal acc = IR_NONE;
                for (int64_t k = 0; k < (int64_t)r->n; k++) {
                    unsigned j = 0;
                    while (r->st[j].off != r->m + k) j++;
                    IrVal v = byte_i64(b, r->st[j].val);
                    if (k) v = ir_op2(b, IR_OP_shl, IR_I64, v, ir_i64(b, (uint64_t)(8 * k)));
                    acc = acc == IR_NONE ? v : ir_op2(b, IR_OP_or, IR_I64, acc, v);
                }
                unsigned mo = (unsigned)old[r->first].imm &
                              ~(IR_MO_SIZE_MASK | IR_MO_SIGN | IR_MO_BE | IR_MO_ALIGN);
                ir_st(b, addr, acc, mo | (r->n == 8 ? 3u : 2u));
                ri++;
                continue;
            }
        }
        copy_insn(b, &old[i]);
    }
    free(old);
    free(runs);
    opt_drop_unused(b);
    return nruns;
}
