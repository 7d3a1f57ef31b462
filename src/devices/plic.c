/* SPDX-License-Identifier: MIT */
/* SiFive PLIC (RISC-V PLIC spec 1.0.0): per-source priorities and level-
 * triggered gateways, pending bits, per-context enables, thresholds and
 * claim/complete; one output line per context (M/S external interrupt). */
#include <pthread.h>
#include <stdlib.h>

#include "vm/devices.h"
#include "vm/log.h"

#define PLIC_PRIO_MASK 7u /* 3 priority bits, as riscv,max-priority = 7 */
#define PLIC_PENDING 0x1000
#define PLIC_ENABLE 0x2000
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_CONTEXT 0x200000
#define PLIC_CONTEXT_STRIDE 0x1000

struct Plic {
    pthread_mutex_t lock;
    unsigned nsrc;      /* sources 0..nsrc-1; 0 is reserved */
    unsigned nwords;    /* 32-bit words of a bitmap over sources */
    unsigned nctx;
    IrqLine *outs;
    uint8_t *out_level; /* per context */
    /* guest-visible state */
    uint32_t *prio;     /* per source */
    uint32_t *pending;  /* bitmap */
    uint32_t *claimed;  /* bitmap: gateway closed until completion */
    uint32_t *level;    /* bitmap: current input levels */
    uint32_t *enable;   /* nctx bitmaps */
    uint32_t *threshold;/* per context */
};

static bool plic_bit(const uint32_t *bm, unsigned i)
{
    return (bm[i / 32] >> (i % 32)) & 1;
}

static void plic_set_bit(uint32_t *bm, unsigned i, bool v)
{
    if (v) bm[i / 32] |= 1u << (i % 32);
    else bm[i / 32] &= ~(1u << (i % 32));
}

/* The highest-priority pending source enabled for ctx above its threshold
 * (ties go to the lowest ID, PLIC spec 1.0.0 section 5), or 0. */
static unsigned plic_best_locked(const Plic *p, unsigned ctx)
{
    unsigned best = 0;
    uint32_t best_prio = p->threshold[ctx];
    const uint32_t *en = &p->enable[(size_t)ctx * p->nwords];
    for (unsigned w = 0; w < p->nwords; w++) {
        uint32_t bits = p->pending[w] & en[w];
        while (bits) {
            unsigned i = w * 32 + (unsigned)__builtin_ctz(bits);
            bits &= bits - 1;
            if (i == 0 || i >= p->nsrc) continue;
            if (p->prio[i] > best_prio) {
                best_prio = p->prio[i];
                best = i;
            }
        }
    }
    return best;
}

static void plic_update_locked(Plic *p)
{
    for (unsigned c = 0; c < p->nctx; c++) {
        uint8_t lv = plic_best_locked(p, c) != 0;
        if (lv != p->out_level[c]) {
            p->out_level[c] = lv;
            irq_set(&p->outs[c], lv);
        }
    }
}

/* Level-triggered gateway: a high input makes the source pending unless a
 * claim of it is in progress. */
static void plic_gateway_locked(Plic *p, unsigned i)
{
    if (plic_bit(p->level, i) && !plic_bit(p->claimed, i)) plic_set_bit(p->pending, i, true);
}

static void plic_set_irq(void *opaque, unsigned n, int level)
{
    Plic *p = opaque;
    if (n == 0 || n >= p->nsrc) return;
    pthread_mutex_lock(&p->lock);
    plic_set_bit(p->level, n, level != 0);
    /* A lowered line withdraws a request not yet claimed (level semantics). */
    if (!level) plic_set_bit(p->pending, n, false);
    plic_gateway_locked(p, n);
    plic_update_locked(p);
    pthread_mutex_unlock(&p->lock);
}

IrqLine plic_irq_line(Plic *p, unsigned n)
{
    return (IrqLine){ .set = plic_set_irq, .opaque = p, .n = n };
}

static void plic_guest_error(uint64_t off, const char *what)
{
    if (logd_enabled(LOGD_GUEST_ERRORS))
        log_write(LOG_DEV, LOG_WARN, "plic: %s at +0x%llx", what, (unsigned long long)off);
}

static uint64_t plic_read(void *opaque, uint64_t off, unsigned size)
{
    Plic *p = opaque;
    uint64_t v = 0;
    if (size != 4 || (off & 3)) {
        plic_guest_error(off, "non-32-bit read");
        return 0;
    }
    pthread_mutex_lock(&p->lock);
    if (off < PLIC_PENDING) {
        unsigned i = (unsigned)(off / 4);
        if (i < p->nsrc) v = p->prio[i];
    } else if (off < PLIC_ENABLE) {
        unsigned w = (unsigned)((off - PLIC_PENDING) / 4);
        if (w < p->nwords) v = p->pending[w];
    } else if (off < PLIC_CONTEXT) {
        uint64_t rel = off - PLIC_ENABLE;
        unsigned c = (unsigned)(rel / PLIC_ENABLE_STRIDE), w = (unsigned)(rel % PLIC_ENABLE_STRIDE) / 4;
        if (c < p->nctx && w < p->nwords) v = p->enable[(size_t)c * p->nwords + w];
    } else {
        uint64_t rel = off - PLIC_CONTEXT;
        uint64_t c = rel / PLIC_CONTEXT_STRIDE, r = rel % PLIC_CONTEXT_STRIDE;
        if (c >= p->nctx) {
            plic_guest_error(off, "read of a missing context");
        } else if (r == 0) {
            v = p->threshold[c];
        } else if (r == 4) {
            /* Claim (PLIC spec section 8): pending bit cleared, gateway closed. */
            unsigned i = plic_best_locked(p, (unsigned)c);
            if (i) {
                plic_set_bit(p->pending, i, false);
                plic_set_bit(p->claimed, i, true);
                plic_update_locked(p);
            }
            v = i;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return v;
}

static void plic_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    Plic *p = opaque;
    uint32_t v = (uint32_t)value;
    if (size != 4 || (off & 3)) {
        plic_guest_error(off, "non-32-bit write");
        return;
    }
    pthread_mutex_lock(&p->lock);
    if (off < PLIC_PENDING) {
        unsigned i = (unsigned)(off / 4);
        if (i > 0 && i < p->nsrc) p->prio[i] = v & PLIC_PRIO_MASK;
    } else if (off < PLIC_ENABLE) {
        plic_guest_error(off, "write to read-only pending bits");
    } else if (off < PLIC_CONTEXT) {
        uint64_t rel = off - PLIC_ENABLE;
        unsigned c = (unsigned)(rel / PLIC_ENABLE_STRIDE), w = (unsigned)(rel % PLIC_ENABLE_STRIDE) / 4;
        if (c < p->nctx && w < p->nwords) {
            if (w == 0) v &= ~1u; /* source 0 does not exist */
            if (w == p->nwords - 1 && p->nsrc % 32) v &= (1u << (p->nsrc % 32)) - 1;
            p->enable[(size_t)c * p->nwords + w] = v;
        }
    } else {
        uint64_t rel = off - PLIC_CONTEXT;
        uint64_t c = rel / PLIC_CONTEXT_STRIDE, r = rel % PLIC_CONTEXT_STRIDE;
        if (c >= p->nctx) {
            plic_guest_error(off, "write to a missing context");
        } else if (r == 0) {
            p->threshold[c] = v & PLIC_PRIO_MASK;
        } else if (r == 4) {
            /* Completion (PLIC spec section 9): ignored unless the source is
             * enabled for this context; reopens the gateway. */
            if (v > 0 && v < p->nsrc && plic_bit(&p->enable[(size_t)c * p->nwords], v)) {
                plic_set_bit(p->claimed, v, false);
                plic_gateway_locked(p, v);
            } else {
                plic_guest_error(off, "completion of a source not enabled");
            }
        }
    }
    plic_update_locked(p);
    pthread_mutex_unlock(&p->lock);
}

const MmioOps plic_mmio_ops = { .read = plic_read, .write = plic_write };

static void plic_reset(void *opaque)
{
    Plic *p = opaque;
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; i < p->nsrc; i++) p->prio[i] = 0;
    for (unsigned w = 0; w < p->nwords; w++) p->pending[w] = p->claimed[w] = 0;
    for (size_t w = 0; w < (size_t)p->nctx * p->nwords; w++) p->enable[w] = 0;
    for (unsigned c = 0; c < p->nctx; c++) p->threshold[c] = 0;
    for (unsigned i = 1; i < p->nsrc; i++) plic_gateway_locked(p, i);
    plic_update_locked(p);
    pthread_mutex_unlock(&p->lock);
}

static int plic_snapshot(void *opaque, SnapVisitor *v)
{
    Plic *p = opaque;
    pthread_mutex_lock(&p->lock);
    uint32_t nsrc = p->nsrc, nctx = p->nctx;
    snap_u32(v, "nsrc", &nsrc);
    snap_u32(v, "nctx", &nctx);
    if (snap_loading(v) && (nsrc != p->nsrc || nctx != p->nctx))
        snap_fail(v, "plic: source or context count differs");
    if (snap_status(v) == 0) {
        snap_bytes(v, "priority", p->prio, sizeof(uint32_t) * p->nsrc);
        snap_bytes(v, "pending", p->pending, sizeof(uint32_t) * p->nwords);
        snap_bytes(v, "claimed", p->claimed, sizeof(uint32_t) * p->nwords);
        snap_bytes(v, "enable", p->enable, sizeof(uint32_t) * p->nwords * p->nctx);
        snap_bytes(v, "threshold", p->threshold, sizeof(uint32_t) * p->nctx);
        /* Input levels are not saved: devices re-drive their lines on load. */
    }
    if (snap_loading(v) && snap_status(v) == 0) {
        for (unsigned i = 0; i < p->nsrc; i++) p->prio[i] &= PLIC_PRIO_MASK;
        for (unsigned c = 0; c < p->nctx; c++) {
            p->threshold[c] &= PLIC_PRIO_MASK;
            p->out_level[c] = 2; /* re-drive every output */
        }
        plic_update_locked(p);
    }
    pthread_mutex_unlock(&p->lock);
    return snap_status(v);
}

static void plic_free(void *opaque)
{
    Plic *p = opaque;
    if (!p) return;
    free(p->outs);
    free(p->out_level);
    free(p->prio);
    free(p->pending);
    free(p->claimed);
    free(p->level);
    free(p->enable);
    free(p->threshold);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

Plic *plic_new(unsigned ndev, unsigned ncontexts, const IrqLine *outs, Device *dev)
{
    if (ndev == 0 || ndev >= PLIC_MAX_SOURCES || ncontexts == 0 || ncontexts > PLIC_MAX_CONTEXTS)
        return NULL;
    Plic *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->nsrc = ndev + 1;
    p->nwords = (p->nsrc + 31) / 32;
    p->nctx = ncontexts;
    p->outs = calloc(ncontexts, sizeof(IrqLine));
    p->out_level = calloc(ncontexts, 1);
    p->prio = calloc(p->nsrc, sizeof(uint32_t));
    p->pending = calloc(p->nwords, sizeof(uint32_t));
    p->claimed = calloc(p->nwords, sizeof(uint32_t));
    p->level = calloc(p->nwords, sizeof(uint32_t));
    p->enable = calloc((size_t)p->nwords * ncontexts, sizeof(uint32_t));
    p->threshold = calloc(ncontexts, sizeof(uint32_t));
    if (!p->outs || !p->out_level || !p->prio || !p->pending || !p->claimed || !p->level ||
        !p->enable || !p->threshold) {
        plic_free(p);
        return NULL;
    }
    if (outs)
        for (unsigned c = 0; c < ncontexts; c++) p->outs[c] = outs[c];
    plic_reset(p);
    if (dev)
        *dev = (Device){ .name = "plic", .opaque = p, .reset = plic_reset,
                         .snapshot = plic_snapshot, .free = plic_free };
    return p;
}
