/* SPDX-License-Identifier: MIT */
/* The JIT engine: per-vCPU setup, the dispatcher loop between generated code
 * and the code cache (chaining on the first pass through an exit), exits for
 * interrupts and exceptions, and the Engine glue (-accel jit). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "jit/jit_int.h"
#include "vm/engine.h"
#include "vm/log.h"
#include "vm/tlb.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_err;

static void jit_init_once(void)
{
    if (!x64_host_ok()) {
        init_err = -ENOTSUP;
        return;
    }
    init_err = jit_cache_init(jit_config.cache_size);
    /* System mode: stores and DMA to pages holding code drop their blocks
     * (by physical address: blocks cover physical code there). */
    if (!init_err) tlb_code_invalidate = jit_invalidate;
}

int jit_configure(const char *spec, char *err, size_t errlen)
{
    return jit_parse_options(spec, err, errlen);
}

static inline uint64_t tb_flags_of(CpuState *cpu)
{
    return cpu->arch->tb_flags ? cpu->arch->tb_flags(cpu) : 0;
}

static int jit_cpu_init(CpuState *cpu)
{
    pthread_once(&init_once, jit_init_once);
    if (init_err) return init_err;
    JitVcpu *v;
    if (posix_memalign((void **)&v, 64, sizeof(*v))) return -ENOMEM;
    memset(v, 0, sizeof(*v));
    for (unsigned i = 0; i < JIT_JC_SIZE; i++) v->jc[i].pc = 1; /* odd: never a block pc */
    v->jc_gen = jit_cache.gen;
    v->cpu = cpu;
    ir_block_init(&v->ir, cpu->arch->regs, cpu->arch->nregs);
    pthread_mutex_lock(&jit_cache.lock);
    v->next = jit_cache.vcpus;
    jit_cache.vcpus = v;
    pthread_mutex_unlock(&jit_cache.lock);
    cpu->engine = v;
    return 0;
}

static void jit_cpu_free(CpuState *cpu)
{
    JitVcpu *v = cpu->engine;
    if (!v) return;
    pthread_mutex_lock(&jit_cache.lock);
    for (JitVcpu **pp = &jit_cache.vcpus; *pp; pp = &(*pp)->next)
        if (*pp == v) {
            *pp = v->next;
            break;
        }
    /* Its counters stay in the totals. */
    uint64_t *dst = (uint64_t *)(void *)&jit_cache.retired;
    const uint64_t *src = (const uint64_t *)(const void *)&v->st;
    for (size_t i = 0; i < sizeof(JitVcpuStats) / sizeof(uint64_t); i++) dst[i] += src[i];
    bool last = !jit_cache.vcpus;
    pthread_mutex_unlock(&jit_cache.lock);
    /* -d jit-stats: once, when the last vCPU goes (vm's exit). */
    if (last && logd_enabled(LOGD_JIT_STATS)) jit_print_stats(log_file ? log_file : stderr);
    ir_block_free(&v->ir);
    free(v);
    cpu->engine = NULL;
}

/* Runs guest code until an exception; faults raised inside (helpers, the host
 * fault handler) arrive through cpu->jmp_env. */
static int jit_exec(CpuState *cpu)
{
    JitVcpu *v = cpu->engine;
    JitCache *c = &jit_cache;
    if (sigsetjmp(cpu->jmp_env, 0)) {
        __atomic_store_n(&v->in_code, 0, __ATOMIC_SEQ_CST);
        cpu->in_guest = 0;
        return cpu->exception;
    }
    cpu->in_guest = 1;
    /* One compare guards every direct access of up to 16 bytes (as in the
     * interpreter): addr < fastlim implies addr + 16 <= guest_limit. */
    v->fastlim = cpu->guest_base && cpu->guest_limit >= 16 ? cpu->guest_limit - 15 : 0;
    JitBlock *tb = NULL;
    /* Generation tb was found under: a flush frees blocks and reuses their
     * code, and a vCPU outside generated code does not hold it up, so tb is
     * entered only if no flush came in between (checked after in_code is
     * set: a flush from then on waits for this vCPU). */
    uint64_t tb_gen = 0;
    for (;;) {
        if (jit_unlikely(cpu->exit_request)) {
            cpu->exit_request = 0;
            cpu->exception = EXCP_INTERRUPT;
            cpu->in_guest = 0;
            return EXCP_INTERRUPT;
        }
        if (!tb) {
            tb_gen = __atomic_load_n(&c->gen, __ATOMIC_SEQ_CST);
            tb = jit_find(cpu, v, cpu->pc, tb_flags_of(cpu));
        }
        __atomic_store_n(&v->in_code, 1, __ATOMIC_SEQ_CST);
        if (jit_unlikely(c->flush_pending || __atomic_load_n(&c->gen, __ATOMIC_SEQ_CST) != tb_gen)) {
            /* A flush waits for us: step out and let it happen. */
            __atomic_store_n(&v->in_code, 0, __ATOMIC_SEQ_CST);
            pthread_mutex_lock(&c->lock);
            pthread_mutex_unlock(&c->lock);
            tb = NULL;
            continue;
        }
        /* -d exec / -d cpu: blocks translated under them return here from
         * every exit (JitCompile.trace), so each executed block is shown, after
         * the flush check (a block given up there would be shown twice). */
        if (logd_enabled(LOGD_EXEC | LOGD_CPU)) frontend_log_block(cpu, tb->pc, tb->flags);
        v->st.n_dispatch++;
        uintptr_t r = jit_enter(cpu, v, tb->code);
        /* Still in code: the exit record (in its block) cannot be freed yet. */
        JitExit xcopy = {0};
        uint64_t xflags = 0;
        if (r > JIT_RET_MAX) {
            xcopy = *(JitExit *)r;
            xflags = xcopy.from->flags;
        }
        tb_gen = __atomic_load_n(&c->gen, __ATOMIC_SEQ_CST);
        __atomic_store_n(&v->in_code, 0, __ATOMIC_SEQ_CST);
        tb = NULL;
        if (r > JIT_RET_MAX) {
            /* An exit not chained yet: find the successor, chain, go on. */
            v->st.n_unchained++;
            tb = jit_link(cpu, v, (JitExit *)r, &xcopy, xflags, tb_gen);
        } else if (r == JIT_RET_INTERRUPT) {
            v->st.n_interrupts++;
        } else {
            v->st.n_nochain++;
        }
    }
}

static void jit_engine_invalidate(uint64_t start, uint64_t len)
{
    pthread_once(&init_once, jit_init_once);
    if (!init_err) jit_invalidate(start, len);
}

/* A host fault on a direct guest access in generated code (signal context,
 * this vCPU in code: no flush frees its block, and it holds no JIT lock). */
static void jit_host_fault(CpuState *cpu, uintptr_t host_pc)
{
    JitCache *c = &jit_cache;
    if (!c->pool || host_pc < (uintptr_t)c->pool || host_pc - (uintptr_t)c->pool >= c->pool_size) return;
    pthread_mutex_lock(&c->lock);
    uint64_t pc;
    for (JitBlock *b = c->all; b; b = b->anext)
        if (x64_fault_pc(b, host_pc, &pc)) {
            cpu->pc = pc;
            break;
        }
    pthread_mutex_unlock(&c->lock);
}

const Engine jit_engine = {
    .name = "jit",
    .cpu_init = jit_cpu_init,
    .cpu_free = jit_cpu_free,
    .exec = jit_exec,
    .invalidate = jit_engine_invalidate,
    .host_fault = jit_host_fault,
};
