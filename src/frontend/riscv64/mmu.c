/* SPDX-License-Identifier: MIT */
/* RISC-V address translation for the unified TLB (privileged spec 1.12, 4.3-4.6):
 * the Sv39/Sv48/Sv57 walker with superpages, U/SUM/MXR rules, reserved-bit
 * checks, hardware A/D updates, and PMP (3.7) on the walk and the final address. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "frontend/riscv64/rv_priv.h"
#include "vm/log.h"
#include "vm/tlb.h"

#define PMP_R 1u
#define PMP_W 2u
#define PMP_X 4u
#define PMP_A_SHIFT 3
#define PMP_L 0x80u
enum { PMP_OFF = 0, PMP_TOR = 1, PMP_NA4 = 2, PMP_NAPOT = 3 };

/* -- PMP (3.7) ---------------------------------------------------------------------------- */

static unsigned pmp_a(const RvCpu *rv, unsigned i)
{
    return (rv->pmpcfg[i] >> PMP_A_SHIFT) & 3;
}

/* [lo, hi] (inclusive) matched by entry i; false when the entry is off or empty. */
static bool pmp_range(const RvCpu *rv, unsigned i, uint64_t *lo, uint64_t *hi)
{
    uint64_t a = rv->pmpaddr[i];
    switch (pmp_a(rv, i)) {
    case PMP_TOR: {
        uint64_t base = i ? rv->pmpaddr[i - 1] << 2 : 0, top = a << 2;
        if (base >= top) return false;
        *lo = base;
        *hi = top - 1;
        return true;
    }
    case PMP_NA4:
        *lo = a << 2;
        *hi = *lo + 3;
        return true;
    case PMP_NAPOT: {
        unsigned t = (unsigned)__builtin_ctzll(~a); /* trailing ones: size 2^(t+3) */
        if (t >= 54) {
            *lo = 0;
            *hi = UINT64_MAX;
            return true;
        }
        *lo = (a & ~((1ull << t) - 1)) << 2;
        *hi = *lo + (8ull << t) - 1;
        return true;
    }
    default:
        return false;
    }
}

int rv_pmp_prot(const RvCpu *rv, uint64_t addr, uint64_t size, unsigned priv)
{
    uint64_t last = addr + size - 1;
    for (unsigned i = 0; i < RV_PMP_COUNT; i++) {
        uint64_t lo, hi;
        if (!pmp_range(rv, i, &lo, &hi)) {
            continue;
        }
        if (last < lo || addr > hi) continue;
        /* The lowest-numbered match decides, and must cover every byte. */
        if (addr < lo || last > hi) return -1;
        uint8_t cfg = rv->pmpcfg[i];
        if (priv == RV_PRV_M && !(cfg & PMP_L)) return PMP_R | PMP_W | PMP_X;
        return cfg & (PMP_R | PMP_W | PMP_X);
    }
    /* No match: M succeeds; S/U fail since PMP entries are implemented. */
    return priv == RV_PRV_M ? (int)(PMP_R | PMP_W | PMP_X) : 0;
}

/* The walker's PMP: the same rules as rv_pmp_prot over the decoded entries
 * (no mode switch, no count-trailing-ones per entry per check: a fill makes up
 * to five checks, and the decoding was a fifth of a boot's TLB refill time). */
static void pmp_sync(RvCpu *rv, const Tlb *t)
{
    struct RvPmpCache *c = &rv->pmpc;
    /* The CSR writers below drop the cache; anything else that sets PMP
     * (reset, a snapshot restore) flushes the TLB after, as PMP changes
     * require (3.7.2): only then are the arrays compared again. */
    if (c->valid && c->gen == t->flush_gen) return;
    c->gen = t->flush_gen;
    if (c->valid && !memcmp(c->cfg, rv->pmpcfg, sizeof(c->cfg)) &&
        !memcmp(c->addr, rv->pmpaddr, sizeof(c->addr)))
        return;
    memcpy(c->cfg, rv->pmpcfg, sizeof(c->cfg));
    memcpy(c->addr, rv->pmpaddr, sizeof(c->addr));
    memset(c->mkey, 0xff, sizeof(c->mkey));
    c->n = 0;
    for (unsigned i = 0; i < RV_PMP_COUNT; i++) {
        uint64_t lo, hi;
        if (!pmp_range(rv, i, &lo, &hi)) continue;
        c->e[c->n].lo = lo;
        c->e[c->n].hi = hi;
        c->e[c->n].cfg = rv->pmpcfg[i];
        c->n++;
    }
    c->valid = 1;
}

static int pmp_scan(const struct RvPmpCache *c, uint64_t addr, uint64_t size, unsigned priv)
{
    uint64_t last = addr + size - 1;
    for (unsigned k = 0; k < c->n; k++) {
        if (last < c->e[k].lo || addr > c->e[k].hi) continue;
        if (addr < c->e[k].lo || last > c->e[k].hi) return -1;
        uint8_t cfg = c->e[k].cfg;
        if (priv == RV_PRV_M && !(cfg & PMP_L)) return PMP_R | PMP_W | PMP_X;
        return cfg & (PMP_R | PMP_W | PMP_X);
    }
    return priv == RV_PRV_M ? (int)(PMP_R | PMP_W | PMP_X) : 0;
}

/* The walker's checks stay inside one 4 KiB page (PTEs, the final page):
 * a page one entry decides whole answers every check inside it. */
static int pmp_prot_fast(struct RvPmpCache *c, uint64_t addr, uint64_t size, unsigned priv)
{
    uint64_t page = addr & ~0xfffull;
    if (((addr + size - 1) & ~0xfffull) != page) return pmp_scan(c, addr, size, priv);
    unsigned k = (unsigned)(addr >> 12) & 63;
    uint64_t key = page | priv;
    if (c->mkey[k] != key) {
        c->mkey[k] = key;
        c->mprot[k] = (int8_t)pmp_scan(c, page, 0x1000, priv);
    }
    return c->mprot[k] >= 0 ? c->mprot[k] : pmp_scan(c, addr, size, priv);
}

static bool entry_locked(const RvCpu *rv, unsigned i)
{
    return i < RV_PMP_COUNT && (rv->pmpcfg[i] & PMP_L);
}

void rv_pmpcfg_write(RvCpu *rv, unsigned first, uint64_t val)
{
    for (unsigned k = 0; k < 8; k++) {
        unsigned i = first + k;
        if (i >= RV_PMP_COUNT) break;
        if (entry_locked(rv, i)) continue;
        uint8_t c = (uint8_t)(val >> (8 * k));
        c &= PMP_L | (3u << PMP_A_SHIFT) | PMP_R | PMP_W | PMP_X; /* bits 6:5 read as zero */
        rv->pmpc.valid = 0;
        if ((c & (PMP_R | PMP_W)) == PMP_W) c &= (uint8_t)~PMP_W; /* R=0 W=1 is reserved */
        rv->pmpcfg[i] = c;
    }
}

void rv_pmpaddr_write(RvCpu *rv, unsigned i, uint64_t val)
{
    if (i >= RV_PMP_COUNT) return;
    /* Locked entries, and the base of a locked TOR entry above, are read-only. */
    if (entry_locked(rv, i)) return;
    if (entry_locked(rv, i + 1) && pmp_a(rv, i + 1) == PMP_TOR) return;
    rv->pmpaddr[i] = val & ((1ull << 54) - 1);
    rv->pmpc.valid = 0;
}

/* -- The walker (4.3.2) ------------------------------------------------------------------ */

/* Host pointer to the 8-byte PTE at pa, or NULL when it is not in RAM.
 * Forced inline: with walk() instantiated twice gcc would otherwise call it,
 * costing each normal fill ~8% more instructions (callgrind, tlbbench). */
static inline __attribute__((always_inline)) uint64_t *pte_ptr(RvCpu *rv, const Tlb *t, uint64_t pa)
{
    if (rv->pt_size >= 8 && pa - rv->pt_base <= rv->pt_size - 8)
        return (uint64_t *)(void *)(rv->pt_host + (pa - rv->pt_base));
    const PhysRegion *r = phys_find(t->phys, pa);
    if (!r || !r->host || r->size < 8 || pa - r->base > r->size - 8) return NULL;
    rv->pt_base = r->base;
    rv->pt_size = r->size;
    rv->pt_host = r->host;
    return (uint64_t *)(void *)(r->host + (pa - r->base));
}

static int fault_cause(MemAccess acc, bool page)
{
    if (page)
        return acc == MEM_EXEC ? RV_EXC_INSN_PAGE : acc == MEM_WRITE ? RV_EXC_STORE_PAGE : RV_EXC_LOAD_PAGE;
    return acc == MEM_EXEC ? RV_EXC_INSN_ACCESS : acc == MEM_WRITE ? RV_EXC_STORE_ACCESS : RV_EXC_LOAD_ACCESS;
}

static unsigned pmp_need(MemAccess acc)
{
    return acc == MEM_EXEC ? PMP_X : acc == MEM_WRITE ? PMP_W : PMP_R;
}

/* The final PMP step: rights for the 4 KiB page if one entry decides all of
 * it, else for this address alone (and the result must not be cached). */
static bool pmp_final(RvCpu *rv, uint64_t pa, MemAccess acc, unsigned priv, unsigned *prot,
                      unsigned *page_shift)
{
    int p = pmp_prot_fast(&rv->pmpc, pa & ~0xfffull, 0x1000, priv);
    if (p < 0) {
        p = pmp_prot_fast(&rv->pmpc, pa, 1, priv);
        *page_shift = 0;
        if (p < 0) p = 0;
    }
    if (!((unsigned)p & pmp_need(acc))) return false;
    unsigned t = 0;
    if (p & PMP_R) t |= TLB_PROT_READ;
    if (p & PMP_W) t |= TLB_PROT_WRITE;
    if (p & PMP_X) t |= TLB_PROT_EXEC;
    *prot &= t;
    return true;
}

/* -- -d mmu: one line per fill ------------------------------------------------------------ */

/* What one walk saw, for the log: each level's PTE address and value, the
 * satp mode used (SATP_BARE when nothing was translated) and why it failed. */
typedef struct WalkLog {
    unsigned n, mode;
    uint64_t pte_pa[5], pte[5]; /* pte as read, before the walker's A/D update */
    uint64_t ad_set;            /* PTE_A / PTE_D bits this walk set in the leaf */
    const char *why;
} WalkLog;

static inline int walk_fail(WalkLog *wl, const char *why, int cause)
{
    if (wl) wl->why = why;
    return EXCP_ARCH_BASE + cause;
}

/* walk() is instantiated twice: with wl == NULL (the normal fill, where every
 * `if (wl)` folds away) and with a record for -d mmu, so the log costs the
 * normal path only the one test in rv_tlb_fill. */
static inline __attribute__((always_inline)) int walk(CpuState *cpu, uint64_t va, MemAccess acc,
                                                      unsigned idx, TlbFill *out, uint64_t *tval,
                                                      WalkLog *wl)
{
    RvCpu *rv = rv_cpu(cpu);
    Tlb *t = cpu->tlb;
    unsigned priv = idx & 3;
    bool sum = idx & RV_IDX_SUM, mxr = idx & RV_IDX_MXR;
    unsigned mode = (unsigned)(rv->satp >> SATP_MODE_SHIFT);
    *tval = va; /* the caller has run pmp_sync */
    if (wl) wl->mode = mode;

    if (priv == RV_PRV_M || mode == SATP_BARE) {
        out->pa = va;
        out->page_shift = TLB_PAGE_SHIFT;
        out->prot = TLB_PROT_READ | TLB_PROT_WRITE | TLB_PROT_EXEC;
        if (wl) wl->mode = SATP_BARE;
        if (!pmp_final(rv, va, acc, priv, &out->prot, &out->page_shift))
            return walk_fail(wl, "pmp", fault_cause(acc, false));
        return 0;
    }

    unsigned levels = mode == SATP_SV39 ? 3 : mode == SATP_SV48 ? 4 : 5;
    unsigned vabits = 12 + 9 * levels;
    /* Bits 63:vabits must all equal bit vabits-1 (4.4.1). */
    int64_t sx = (int64_t)(va << (64 - vabits)) >> (64 - vabits);
    if ((uint64_t)sx != va) return walk_fail(wl, "va not sign-extended", fault_cause(acc, true));

restart:;
    uint64_t base = (rv->satp & SATP_PPN_MASK) << 12;
    bool global = false;
    if (wl) wl->n = 0; /* a restarted walk logs only its last pass */
    for (int lvl = (int)levels - 1; lvl >= 0; lvl--) {
        uint64_t pte_pa = base + ((va >> (12 + 9 * lvl)) & 0x1ff) * 8;
        /* Implicit walk accesses are checked as S-mode reads (3.7.1). */
        int pp = pmp_prot_fast(&rv->pmpc, pte_pa, 8, RV_PRV_S);
        if (pp < 0 || !(pp & PMP_R))
            return walk_fail(wl, "pmp denies pte read", fault_cause(acc, false));
        uint64_t *ptep = pte_ptr(rv, t, pte_pa);
        if (!ptep) return walk_fail(wl, "pte not in ram", fault_cause(acc, false));
        uint64_t pte = __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
        if (wl && wl->n < 5) {
            wl->pte_pa[wl->n] = pte_pa;
            wl->pte[wl->n++] = pte;
        }

        if (!(pte & PTE_V)) return walk_fail(wl, "invalid", fault_cause(acc, true));
        if (((pte & (PTE_R | PTE_W)) == PTE_W) || (pte & PTE_RESERVED))
            return walk_fail(wl, "reserved bits", fault_cause(acc, true));
        uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
        global |= (pte & PTE_G) != 0;
        if (!(pte & (PTE_R | PTE_X))) { /* pointer to the next level */
            if (lvl == 0) return walk_fail(wl, "no leaf", fault_cause(acc, true));
            base = ppn << 12;
            continue;
        }

        /* Leaf (4.3.2 steps 5-8). */
        bool u = pte & PTE_U;
        bool data_ok, exec_ok;
        if (priv == RV_PRV_U) {
            data_ok = exec_ok = u;
        } else { /* S: never executes U pages; touches their data only with SUM */
            exec_ok = !u;
            data_ok = !u || sum;
        }
        bool r_ok = data_ok && ((pte & PTE_R) || (mxr && (pte & PTE_X)));
        bool w_ok = data_ok && (pte & PTE_W);
        bool x_ok = exec_ok && (pte & PTE_X);
        bool ok = acc == MEM_READ ? r_ok : acc == MEM_WRITE ? w_ok : x_ok;
        if (!ok) return walk_fail(wl, "no rights", fault_cause(acc, true));
        /* A superpage's low PPN fields must be zero (4.3.2 step 6). */
        if (lvl > 0 && (ppn & ((1ull << (9 * lvl)) - 1)))
            return walk_fail(wl, "misaligned superpage", fault_cause(acc, true));

        /* A/D: updated by the walker, atomically (Svadu-style behaviour, which
         * 1.12 permits in place of a page fault): a CAS, and a fresh walk if
         * the PTE changed meanwhile (4.3.2 step 7). */
        uint64_t need = PTE_A | (acc == MEM_WRITE ? PTE_D : 0);
        if ((pte & need) != need) {
            int wp = pmp_prot_fast(&rv->pmpc, pte_pa, 8, RV_PRV_S);
            if (wp < 0 || !(wp & PMP_W))
                return walk_fail(wl, "pmp denies a/d update", fault_cause(acc, false));
            uint64_t expect = pte;
            if (!__atomic_compare_exchange_n(ptep, &expect, pte | need, false, __ATOMIC_ACQ_REL,
                                             __ATOMIC_ACQUIRE))
                goto restart;
            if (wl) wl->ad_set = need & ~pte;
            pte |= need;
        }

        unsigned shift = 12 + 9 * (unsigned)lvl;
        uint64_t off_mask = (1ull << shift) - 1;
        uint64_t pa = ((ppn << 12) & ~off_mask) | (va & off_mask);
        out->pa = pa;
        out->page_shift = shift;
        /* Cache only rights that need no further A/D update: a page not yet
         * dirty is filled read-only, so the first store walks again. */
        out->prot = (r_ok ? TLB_PROT_READ : 0) | (w_ok && (pte & PTE_D) ? TLB_PROT_WRITE : 0) |
                    (x_ok ? TLB_PROT_EXEC : 0);
        if (!pmp_final(rv, pa, acc, priv, &out->prot, &out->page_shift))
            return walk_fail(wl, "pmp", fault_cause(acc, false));
        t->fill_global = global;
        return 0;
    }
    return walk_fail(wl, "no leaf", fault_cause(acc, true)); /* not reached: lvl 0 returns */
}

static const char *cause_name(int cause)
{
    switch (cause) {
    case RV_EXC_INSN_ACCESS: return "instruction access fault";
    case RV_EXC_LOAD_ACCESS: return "load access fault";
    case RV_EXC_STORE_ACCESS: return "store/amo access fault";
    case RV_EXC_INSN_PAGE: return "instruction page fault";
    case RV_EXC_LOAD_PAGE: return "load page fault";
    case RV_EXC_STORE_PAGE: return "store/amo page fault";
    default: return "?";
    }
}

/* Formats the whole line first: log_write prints it under one lock, so the
 * lines of several vCPUs never interleave. Format (docs/cli.md, -d mmu):
 *   cpu N: walk va V ACC PRIV MODE [asid A] [sum] [mxr]: lK ADDR=PTE ... [(set A D)]
 *       -> pa P SIZE RWX
 *   ... -> fault CAUSE NAME (WHY) */
static void walk_log(CpuState *cpu, uint64_t va, MemAccess acc, unsigned idx, int r,
                     const TlbFill *out, const WalkLog *wl)
{
    static const char *const acc_name[] = {"read", "write", "exec"};
    static const char prv[] = "USHM";
    uint64_t satp = rv_cpu(cpu)->satp;
    unsigned levels = wl->mode == SATP_SV39 ? 3 : wl->mode == SATP_SV48 ? 4 : 5;
    char buf[640];
    size_t n = 0;
#define WL_PUT(...)                                                                            \
    do {                                                                                       \
        if (n < sizeof(buf)) n += (size_t)snprintf(buf + n, sizeof(buf) - n, __VA_ARGS__);     \
    } while (0)
    WL_PUT("walk va 0x%" PRIx64 " %s %c ", va, acc_name[acc <= MEM_EXEC ? acc : 0],
           prv[idx & 3]);
    if (wl->mode == SATP_BARE) {
        WL_PUT("bare");
    } else {
        WL_PUT("sv%u asid %" PRIu64 "%s%s:", 12 + 9 * levels,
               (uint64_t)((satp >> SATP_ASID_SHIFT) & SATP_ASID_MASK), (idx & RV_IDX_SUM) ? " sum" : "",
               (idx & RV_IDX_MXR) ? " mxr" : "");
        for (unsigned i = 0; i < wl->n; i++)
            WL_PUT(" l%u 0x%" PRIx64 "=0x%" PRIx64, levels - 1 - i, wl->pte_pa[i], wl->pte[i]);
        if (wl->ad_set)
            WL_PUT(" (set%s%s)", (wl->ad_set & PTE_A) ? " A" : "", (wl->ad_set & PTE_D) ? " D" : "");
    }
    if (r) {
        int cause = r - EXCP_ARCH_BASE;
        WL_PUT(" -> fault %d %s (%s)", cause, cause_name(cause), wl->why ? wl->why : "?");
    } else {
        static const char *const sizes[] = {"4K", "2M", "1G", "512G", "256T"};
        unsigned s = out->page_shift >= 12 ? (out->page_shift - 12) / 9 : 5;
        WL_PUT(" -> pa 0x%" PRIx64 " %s %c%c%c", out->pa, s < 5 ? sizes[s] : "byte",
               (out->prot & TLB_PROT_READ) ? 'r' : '-', (out->prot & TLB_PROT_WRITE) ? 'w' : '-',
               (out->prot & TLB_PROT_EXEC) ? 'x' : '-');
    }
#undef WL_PUT
    log_write(LOG_MMU, LOG_INFO, "cpu %d: %s", cpu->cpu_index, buf);
}

/* Out of line and cold: the logging copy of the walker stays out of the
 * normal fill's code. */
static __attribute__((noinline, cold)) int fill_logged(CpuState *cpu, uint64_t va, MemAccess acc,
                                                       unsigned idx, TlbFill *out, uint64_t *tval)
{
    WalkLog wl = {0};
    int r = walk(cpu, va, acc, idx, out, tval, &wl);
    walk_log(cpu, va, acc, idx, r, out, &wl);
    return r;
}

int rv_tlb_fill(CpuState *cpu, uint64_t va, MemAccess acc, unsigned idx, TlbFill *out,
                uint64_t *tval)
{
    /* Here, not in walk(): called once, gcc inlines it as before. */
    pmp_sync(rv_cpu(cpu), cpu->tlb);
    if (logd_enabled(LOGD_MMU)) return fill_logged(cpu, va, acc, idx, out, tval);
    return walk(cpu, va, acc, idx, out, tval, NULL);
}
