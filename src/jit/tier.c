/* SPDX-License-Identifier: MIT */
/* The tier manager: -jit options, per-block execution countdowns and the
 * thresholds (cold -> L2, hot -> L3) the later tiers plug into, adaptive
 * tuning, and the statistics of -d jit-stats (per-tier blocks, bytes, compile
 * time median/p99, chaining and indirect-lookup rates, flushes, invalidations). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit/jit_int.h"
#include "vm/engine.h"
#include "vm/log.h"

#define DEFAULT_COLD 100
#define DEFAULT_HOT 1000
/* Largest threshold -jit takes; adaptive doubling stays below twice this. */
#define JIT_THRESHOLD_MAX 1000000000u
/* Adaptive tuning stops raising once cold reaches this (or hot would pass
 * JIT_THRESHOLD_MAX), so the thresholds are always given << raises. */
#define ADAPT_COLD_LIMIT 100000u

JitConfig jit_config = {
    .cold = DEFAULT_COLD,
    .hot = DEFAULT_HOT,
    .adaptive = true,
    .tiers = 1, /* only L1 exists: counters are compiled in once tiers > 1 */
    .cache_size = (size_t)64 << 20,
};

/* The thresholds as given (-jit or defaults) and how often adaptive tuning
 * doubled them since: -d jit-stats shows both. Written under the code-cache
 * lock (jit_tier_adapt runs in flush_locked) or before any vCPU starts. */
static uint32_t given_cold = DEFAULT_COLD, given_hot = DEFAULT_HOT;
static unsigned raises;

/* -- Options ------------------------------------------------------------------------ */

static int parse_size(const char *s, size_t *out)
{
    /* Digits only: strtoull would take a sign ("-1" wraps to a huge value). */
    if (*s < '0' || *s > '9') return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno) return -EINVAL;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || v > (ULLONG_MAX >> shift)) return -EINVAL; /* no wrap-around into range */
    *out = (size_t)(v << shift);
    return 0;
}

int jit_parse_options(const char *spec, char *err, size_t errlen)
{
    JitConfig c = jit_config;
    bool hot_given = false;
    char *dup = strdup(spec ? spec : ""), *save = NULL;
    if (!dup) return -ENOMEM;
    int r = 0;
    for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(err, errlen, "'%s': expected key=value", tok);
            r = -EINVAL;
            break;
        }
        *eq = 0;
        const char *k = tok, *val = eq + 1;
        char *end;
        if (!strcmp(k, "cold") || !strcmp(k, "hot") || !strcmp(k, "tiers")) {
            /* Digits only: strtoul would accept a sign or leading blanks. */
            unsigned long n = 0;
            errno = 0;
            if (*val >= '0' && *val <= '9') n = strtoul(val, &end, 10);
            else end = (char *)val;
            if (end == val || *end || errno) {
                snprintf(err, errlen, "%s=%s: expected a number", k, val);
                r = -EINVAL;
                break;
            }
            if (strcmp(k, "tiers") && (n < 1 || n > JIT_THRESHOLD_MAX)) {
                /* A threshold counts executions: 0 would promote a block
                 * before it ever ran; the cap keeps adaptive doubling and
                 * the int32 countdown (hot - cold) from overflowing. */
                snprintf(err, errlen, "%s=%s: expected a number from 1 to %u", k, val, JIT_THRESHOLD_MAX);
                r = -EINVAL;
                break;
            }
            if (!strcmp(k, "cold")) c.cold = (uint32_t)n;
            else if (!strcmp(k, "hot")) {
                c.hot = (uint32_t)n;
                hot_given = true;
            } else if (n < 1 || n > 3) {
                snprintf(err, errlen, "tiers=%s: expected 1, 2 or 3", val);
                r = -EINVAL;
                break;
            } else if (n > 1) {
                /* Say so rather than run L1 under a name that promises more. */
                snprintf(err, errlen, "tiers=%s: only the L1 tier exists so far (L2 and L3 are not implemented yet)", val);
                r = -EINVAL;
                break;
            } else c.tiers = (unsigned)n;
        } else if (!strcmp(k, "adaptive")) {
            if (!strcmp(val, "on")) c.adaptive = true;
            else if (!strcmp(val, "off")) c.adaptive = false;
            else {
                snprintf(err, errlen, "adaptive=%s: expected on or off", val);
                r = -EINVAL;
                break;
            }
        } else if (!strcmp(k, "cache")) {
            size_t sz;
            if (parse_size(val, &sz) || sz < ((size_t)4 << 20) || sz > ((size_t)1 << 30)) {
                snprintf(err, errlen, "cache=%s: expected a size between 4M and 1G", val);
                r = -EINVAL;
                break;
            }
            c.cache_size = sz;
        } else {
            snprintf(err, errlen, "unknown option '%s' (cold, hot, adaptive, tiers, cache)", k);
            r = -EINVAL;
            break;
        }
    }
    free(dup);
    if (!r && c.hot < c.cold) {
        snprintf(err, errlen, "hot=%u%s is below cold=%u", c.hot, hot_given ? "" : " (the default: give hot= too)",
                 c.cold);
        r = -EINVAL;
    }
    if (!r) {
        jit_config = c;
        given_cold = c.cold;
        given_hot = c.hot;
        raises = 0;
    }
    return r;
}

/* -- Compile-time statistics --------------------------------------------------------- */

typedef struct TierTimes {
    uint32_t *ns; /* translate+generate time per block, capped sample count */
    size_t n, cap;
    uint64_t translate_ns, gen_ns;
    uint64_t *gen_only;
} TierTimes;

static TierTimes times[4];
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
#define MAX_SAMPLES (1u << 20)

void jit_tier_note_compile(unsigned tier, uint64_t translate_ns, uint64_t gen_ns, size_t bytes)
{
    (void)bytes;
    if (tier > 3) return;
    pthread_mutex_lock(&stats_lock);
    TierTimes *t = &times[tier];
    if (t->n == t->cap && t->cap < MAX_SAMPLES) {
        size_t nc = t->cap ? t->cap * 2 : 1024;
        uint32_t *p = realloc(t->ns, nc * sizeof(*p));
        uint64_t *q = realloc(t->gen_only, nc * sizeof(*q));
        if (p) t->ns = p;
        if (q) t->gen_only = q;
        if (p && q) t->cap = nc;
    }
    if (t->n < t->cap) {
        uint64_t tot = translate_ns + gen_ns;
        t->ns[t->n] = tot > UINT32_MAX ? UINT32_MAX : (uint32_t)tot;
        t->gen_only[t->n] = gen_ns;
        t->n++;
    }
    t->translate_ns += translate_ns;
    t->gen_ns += gen_ns;
    pthread_mutex_unlock(&stats_lock);
}

/* -- Counters and thresholds ----------------------------------------------------------
 * A block's countdown starts at the cold threshold; running out calls
 * jit_tier_hit, which will hand the block to L2 (then to L3 at the hot
 * threshold). Until those tiers exist it records the event and re-arms the
 * counter for the next threshold, then parks it. */

int32_t jit_tier_initial_count(void)
{
    if (jit_config.tiers <= 1) return 0;
    return jit_config.cold ? (int32_t)jit_config.cold : 1;
}

void jit_tier_hit(CpuState *cpu, JitBlock *b)
{
    (void)cpu;
    jit_cache.st.tier_events++;
    if (b->tier == 1 && jit_config.tiers >= 3 && jit_config.hot > jit_config.cold) {
        /* L2 would compile b here. */
        b->tier = 2;
        *b->counter = (int32_t)(jit_config.hot - jit_config.cold);
        return;
    }
    /* L3 would compile the region around b here. */
    *b->counter = INT32_MAX;
}

void jit_tier_adapt(void)
{
    if (!jit_config.adaptive) return;
    /* The pool was flushed because a block found no room in its area: the
     * working set does not fit, so raise the thresholds so that fewer blocks
     * are promoted (and re-translated after the next flush). The rule: each
     * such flush doubles cold and hot together until cold reaches
     * ADAPT_COLD_LIMIT or hot would pass JIT_THRESHOLD_MAX; both are then
     * the given values << raises, and hot >= cold still holds. (Measuring
     * "full" as the share of the whole pool in use missed this: the pool is
     * split 3/4 hot, 1/4 cold, so a flush for lack of cold room can come
     * with the pool only about 25% used.) */
    if (jit_config.cold < ADAPT_COLD_LIMIT && jit_config.hot <= JIT_THRESHOLD_MAX / 2) {
        jit_config.cold *= 2;
        jit_config.hot *= 2;
        raises++;
    }
}

/* -- -d jit-stats --------------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Percentage a of b (0 when b is 0). */
static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

/* -d jit-stats at exit and the monitor's "info jit" (include/vm/engine.h):
 * may run while vCPUs translate and execute, so it reads under the locks and
 * sorts copies of the compile-time samples. Counters of running vCPUs are
 * read without stopping them (a snapshot, exact at exit). */
void jit_print_stats(FILE *f)
{
    JitCache *c = &jit_cache;
    pthread_mutex_lock(&c->lock);
    JitStats s = c->st;
    JitVcpuStats v = c->retired;
    unsigned nvcpus = 0;
    for (JitVcpu *p = c->vcpus; p; p = p->next, nvcpus++) {
        uint64_t *dst = (uint64_t *)(void *)&v;
        const uint64_t *src = (const uint64_t *)(const void *)&p->st;
        for (size_t i = 0; i < sizeof(JitVcpuStats) / sizeof(uint64_t); i++) dst[i] += src[i];
    }
    size_t used = c->pool ? (size_t)((c->hot - c->head_end) + (c->cold - c->hot_end)) : 0;
    JitConfig cfg = jit_config; /* adaptive tuning changes it under this lock */
    unsigned nraises = raises;
    pthread_mutex_unlock(&c->lock);
    s.tier_events = __atomic_load_n(&c->st.tier_events, __ATOMIC_RELAXED);

    fprintf(f, "jit-stats: tiers=%u cold=%u hot=%u adaptive=%s cache=%zuM (%.1f MiB in use)\n",
            cfg.tiers, cfg.cold, cfg.hot, cfg.adaptive ? "on" : "off", cfg.cache_size >> 20,
            (double)used / (1 << 20));
    /* The current thresholds are above; what they started from and why they
     * moved. */
    bool at_limit = cfg.adaptive && !(cfg.cold < ADAPT_COLD_LIMIT && cfg.hot <= JIT_THRESHOLD_MAX / 2);
    fprintf(f, "  thresholds: given cold=%u hot=%u, raised %u times (doubled per code-cache flush%s)\n",
            given_cold, given_hot, nraises, !cfg.adaptive ? "; adaptive=off" : at_limit ? "; at the limit" : "");
    for (unsigned t = 1; t <= 3; t++) {
        if (!s.blocks[t] && t > 1) {
            fprintf(f, "  L%u: 0 blocks (tier not built yet)\n", t);
            continue;
        }
        pthread_mutex_lock(&stats_lock);
        TierTimes *tt = &times[t];
        size_t n = tt->n;
        uint32_t *ns = n ? malloc(n * sizeof(*ns)) : NULL;
        uint64_t *gen = n ? malloc(n * sizeof(*gen)) : NULL;
        if (ns && gen) {
            memcpy(ns, tt->ns, n * sizeof(*ns));
            memcpy(gen, tt->gen_only, n * sizeof(*gen));
        } else {
            n = 0;
        }
        double tr_ms = tt->translate_ns / 1e6, gen_ms = tt->gen_ns / 1e6;
        pthread_mutex_unlock(&stats_lock);
        double med = 0, p99 = 0, gmed = 0;
        if (n) {
            qsort(ns, n, sizeof(*ns), cmp_u32);
            qsort(gen, n, sizeof(*gen), cmp_u64);
            med = ns[n / 2] / 1000.0;
            p99 = ns[(n * 99) / 100] / 1000.0;
            gmed = gen[n / 2] / 1000.0;
        }
        free(ns);
        free(gen);
        fprintf(f,
                "  L%u: %" PRIu64 " blocks, %" PRIu64 " host bytes (%.1f/block); compile "
                "median %.2f us, p99 %.2f us (codegen median %.2f us; total translate %.1f ms, "
                "codegen %.1f ms)\n",
                t, s.blocks[t], s.bytes[t], s.blocks[t] ? (double)s.bytes[t] / s.blocks[t] : 0,
                med, p99, gmed, tr_ms, gen_ms);
    }
    /* Block entries (counted by generated code) come from the dispatcher or
     * stay in generated code: a chained direct exit, or a looked-up exit
     * (indirect; system mode: also direct to another page) that the in-code
     * jump-cache probe or a helper found. Helper misses go to the dispatcher. */
    uint64_t in_code = v.n_entries > v.n_dispatch ? v.n_entries - v.n_dispatch : 0;
    uint64_t looked_up = v.n_ind + v.n_xdirect;
    uint64_t misses = (v.n_ind_lookups - v.n_ind_hits) + (v.n_xpage - v.n_xpage_hits);
    uint64_t found = looked_up > misses ? looked_up - misses : 0;
    uint64_t chained = in_code > found ? in_code - found : 0;
    if (v.n_entries) {
        fprintf(f,
                "  entries: %" PRIu64 " blocks run, %.2f%% without the dispatcher (%" PRIu64
                " dispatcher entries, %u vCPUs)\n",
                v.n_entries, pct(in_code, v.n_entries), v.n_dispatch, nvcpus);
        fprintf(f,
                "  chaining: %" PRIu64 " links made; direct exits %.2f%% chained (%" PRIu64
                " chained, %" PRIu64 " through the dispatcher)\n",
                s.links, pct(chained, chained + v.n_unchained), chained, v.n_unchained);
        fprintf(f,
                "  indirect: %" PRIu64 " exits%s; %.2f%% found without the dispatcher (in-code "
                "jump cache, then helper: %" PRIu64 " helper lookups, %.2f%% hit)\n",
                looked_up, v.n_xdirect ? " (with cross-page direct exits)" : "", pct(found, looked_up),
                v.n_ind_lookups + v.n_xpage, pct(v.n_ind_hits + v.n_xpage_hits, v.n_ind_lookups + v.n_xpage));
    } else {
        /* Code translated without -d jit-stats counts no entries (info jit). */
        fprintf(f,
                "  (block entries and exits are counted only with -d jit-stats) %" PRIu64
                " dispatcher entries, %" PRIu64 " links made, %" PRIu64
                " unchained direct exits, %" PRIu64 " helper lookups (%.2f%% hit)\n",
                v.n_dispatch, s.links, v.n_unchained, v.n_ind_lookups + v.n_xpage,
                pct(v.n_ind_hits + v.n_xpage_hits, v.n_ind_lookups + v.n_xpage));
    }
    fprintf(f,
            "  dispatcher: %" PRIu64 " nochain exits, %" PRIu64 " interrupts; flushes %" PRIu64
            ", invalidations %" PRIu64 " (%" PRIu64 " blocks), retranslations %" PRIu64
            ", tier events %" PRIu64 "\n",
            v.n_nochain, v.n_interrupts, s.flushes, s.invalidations, s.invalidated_blocks,
            s.retranslations, s.tier_events);
}
