/* SPDX-License-Identifier: MIT */
/* Runtime helpers that generated code calls: the indirect-branch miss path
 * (shared hash, no translation), fence.i, and the few ops without an x86
 * instruction. */
#include "jit/jit_int.h"
#include "vm/tlb.h"

const void *jit_helper_ind_lookup(CpuState *cpu, uint64_t pc, uint64_t flags)
{
    JitVcpu *v = cpu->engine;
    v->st.n_ind_lookups++;
    if (v->jc_gen != __atomic_load_n(&jit_cache.gen, __ATOMIC_ACQUIRE)) return NULL;
    JitBlock *b = jit_hash_lookup(pc, flags, 0);
    if (!b || b->dead) return NULL;
    v->st.n_ind_hits++;
    JitJcEntry *e = &v->jc[(pc >> 1) & (JIT_JC_SIZE - 1)];
    e->pc = 1;
    e->flags = b->flags;
    e->code = b->code;
    e->blk = b;
    e->pc = pc;
    return b->code;
}

/* System mode: the generated jump-cache probe cannot see the mapping, so
 * indirect and cross-page exits come here: the target's physical pc through
 * the TLB (a fault is left to the dispatcher, which raises it), then the jump
 * cache checked against it, then the shared hash. */
const void *jit_helper_ind_lookup_sys(CpuState *cpu, uint64_t pc, uint64_t flags)
{
    JitVcpu *v = cpu->engine;
    uint64_t ppc;
    v->st.n_xpage++;
    if (tlb_code_phys(cpu, pc, &ppc)) return NULL;
    if (v->jc_gen != __atomic_load_n(&jit_cache.gen, __ATOMIC_ACQUIRE)) return NULL;
    JitJcEntry *e = &v->jc[(pc >> 1) & (JIT_JC_SIZE - 1)];
    if (e->pc == pc && e->flags == flags && e->blk->ppc == ppc && !e->blk->dead) {
        v->st.n_xpage_hits++;
        return e->code;
    }
    JitBlock *b = jit_hash_lookup(pc, flags, ppc);
    if (!b || b->dead || b->nocache) return NULL; /* nocache: jit_find checks its second page */
    v->st.n_xpage_hits++;
    e->pc = 1;
    e->flags = b->flags;
    e->code = b->code;
    e->blk = b;
    e->pc = pc;
    return b->code;
}

/* fence.i: every translation goes. The running block stays in memory (code is
 * only reclaimed by a flush, never while a vCPU is in it) and finishes; its
 * exits then reach the dispatcher through the dead blocks' stubs.
 * System mode keeps them: the soft MMU already dropped the blocks of every
 * page a store or DMA wrote (code marks, tlb_code_invalidate), so there is no
 * stale code to drop, and fence.i ends its block (nochain) so the next one is
 * looked up afresh. Linux runs fence.i once per patched instruction (ftrace,
 * alternatives, jump labels) and per new executable user page: dropping every
 * block each time made a boot retranslate ~7 million blocks. */
void jit_helper_fence_insn(CpuState *cpu)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!cpu->tlb) jit_invalidate(0, 0);
}

uint64_t jit_helper_brev(uint64_t x, uint64_t w64)
{
    x = __builtin_bswap64(x);
    x = ((x & 0x0f0f0f0f0f0f0f0full) << 4) | ((x >> 4) & 0x0f0f0f0f0f0f0f0full);
    x = ((x & 0x3333333333333333ull) << 2) | ((x >> 2) & 0x3333333333333333ull);
    x = ((x & 0x5555555555555555ull) << 1) | ((x >> 1) & 0x5555555555555555ull);
    return w64 ? x : x >> 32;
}
