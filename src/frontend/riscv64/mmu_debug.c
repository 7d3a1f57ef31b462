/* SPDX-License-Identifier: MIT */
/* Read-only views of riscv64 address translation for the monitor and the gdb
 * stub (GuestArch.debug_translate / dump_mappings): a second, side-effect-free
 * Sv39/48/57 walk (privileged spec 1.12, 4.3.2) that sets no A/D bits, fills
 * no TLB entry, records no fault and ignores access rights and PMP. */
#include <errno.h>
#include <inttypes.h>

#include "frontend/riscv64/rv_priv.h"
#include "vm/tlb.h"

#define PTE_FLAGS (PTE_R | PTE_W | PTE_X | PTE_U | PTE_G | PTE_A | PTE_D)

/* A guest can build a table whose pointers all lead back to one page, so a
 * full Sv57 walk could visit 512^5 entries: the dump stops after this many. */
#define RV_DUMP_MAX_PTES (1u << 21)

static unsigned rv_levels(uint64_t satp)
{
    switch (satp >> SATP_MODE_SHIFT) {
    case SATP_SV39: return 3;
    case SATP_SV48: return 4;
    case SATP_SV57: return 5;
    default: return 0;
    }
}

/* The PTE at pte_pa, or false when it is not in RAM (a walk would fault). */
static bool rv_read_pte(CpuState *cpu, uint64_t pte_pa, uint64_t *pte)
{
    Tlb *t = cpu->tlb;
    const uint64_t *p = t ? (const uint64_t *)phys_ram_ptr(t->phys, pte_pa, 8) : NULL;
    if (!p) return false;
    *pte = __atomic_load_n(p, __ATOMIC_ACQUIRE);
    return true;
}

/* The walk of 4.3.2 steps 1-6 without the permission, A/D and PMP steps. */
int rv_debug_translate(CpuState *cpu, uint64_t va, uint64_t *pa)
{
    RvCpu *rv = rv_cpu(cpu);
    unsigned priv = rv->sys ? rv_data_idx(rv) & 3 : RV_PRV_M;
    unsigned levels = rv_levels(rv->satp);
    if (priv == RV_PRV_M || !levels) {
        *pa = va;
        return 0;
    }
    unsigned vabits = 12 + 9 * levels;
    int64_t sx = (int64_t)(va << (64 - vabits)) >> (64 - vabits);
    if ((uint64_t)sx != va) return -EFAULT;
    uint64_t base = (rv->satp & SATP_PPN_MASK) << 12;
    for (int lvl = (int)levels - 1; lvl >= 0; lvl--) {
        uint64_t pte;
        if (!rv_read_pte(cpu, base + ((va >> (12 + 9 * lvl)) & 0x1ff) * 8, &pte)) return -EFAULT;
        if (!(pte & PTE_V) || (pte & (PTE_R | PTE_W)) == PTE_W || (pte & PTE_RESERVED))
            return -EFAULT;
        if (!(pte & (PTE_R | PTE_X))) {
            base = PTE_PPN(pte) << 12;
            continue;
        }
        uint64_t ppn = PTE_PPN(pte);
        if (lvl > 0 && (ppn & ((1ull << (9 * lvl)) - 1))) return -EFAULT; /* misaligned superpage */
        uint64_t off_mask = (1ull << (12 + 9 * lvl)) - 1;
        *pa = ((ppn << 12) & ~off_mask) | (va & off_mask);
        return 0;
    }
    return -EFAULT;
}

/* -- info mem --------------------------------------------------------------------------- */

typedef struct RvDump {
    FILE *f;
    unsigned vabits;
    bool open;                 /* a range is pending */
    uint64_t va, pa, size, flags;
    uint64_t ptes, ranges;
    bool truncated;
} RvDump;

static void rv_dump_flush(RvDump *d)
{
    if (!d->open) return;
    uint64_t fl = d->flags;
    fprintf(d->f, "%016" PRIx64 "-%016" PRIx64 " %016" PRIx64 " %10" PRIx64 " %c%c%c%c%c%c%c\n",
            d->va, d->va + d->size - 1, d->pa, d->size, fl & PTE_R ? 'r' : '-',
            fl & PTE_W ? 'w' : '-', fl & PTE_X ? 'x' : '-', fl & PTE_U ? 'u' : '-',
            fl & PTE_G ? 'g' : '-', fl & PTE_A ? 'a' : '-', fl & PTE_D ? 'd' : '-');
    d->ranges++;
    d->open = false;
}

/* Adds one leaf, merging it with the pending range when it continues it
 * virtually and physically with the same flags. */
static void rv_dump_leaf(RvDump *d, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
    if (d->open && d->va + d->size == va && d->pa + d->size == pa && d->flags == flags) {
        d->size += size;
        return;
    }
    rv_dump_flush(d);
    *d = (RvDump){d->f, d->vabits, true, va, pa, size, flags, d->ptes, d->ranges, d->truncated};
}

static void rv_dump_table(CpuState *cpu, RvDump *d, uint64_t base, int lvl, uint64_t va_hi)
{
    for (uint64_t i = 0; i < 512; i++) {
        if (d->ptes >= RV_DUMP_MAX_PTES) {
            d->truncated = true;
            return;
        }
        d->ptes++;
        uint64_t pte;
        if (!rv_read_pte(cpu, base + i * 8, &pte)) return; /* table outside RAM */
        if (!(pte & PTE_V) || (pte & (PTE_R | PTE_W)) == PTE_W || (pte & PTE_RESERVED)) continue;
        uint64_t va = va_hi | i << (12 + 9 * lvl);
        if (!(pte & (PTE_R | PTE_X))) {
            if (lvl > 0) rv_dump_table(cpu, d, PTE_PPN(pte) << 12, lvl - 1, va);
            continue;
        }
        uint64_t size = 1ull << (12 + 9 * lvl);
        uint64_t ppn = PTE_PPN(pte);
        if (lvl > 0 && (ppn & ((1ull << (9 * lvl)) - 1))) continue; /* faults when used */
        /* Canonical form: bits above vabits copy bit vabits-1 (4.4.1). */
        int64_t sx = (int64_t)(va << (64 - d->vabits)) >> (64 - d->vabits);
        rv_dump_leaf(d, (uint64_t)sx, ppn << 12, size, pte & PTE_FLAGS);
    }
}

void rv_dump_mappings(CpuState *cpu, FILE *f)
{
    RvCpu *rv = rv_cpu(cpu);
    static const char *const prv[] = {"U", "S", "?", "M"};
    unsigned priv = rv->sys ? rv_data_idx(rv) & 3 : RV_PRV_M;
    unsigned levels = rv_levels(rv->satp);
    if (!levels) {
        fprintf(f, "satp is Bare: no translation, virtual addresses are physical (privilege %s)\n",
                prv[rv->priv & 3]);
        return;
    }
    fprintf(f, "satp %016" PRIx64 ": Sv%u, ASID %" PRIu64 ", root table at %016" PRIx64 "\n",
            rv->satp, 12 + 9 * levels, (uint64_t)((rv->satp >> SATP_ASID_SHIFT) & SATP_ASID_MASK),
            (uint64_t)((rv->satp & SATP_PPN_MASK) << 12));
    if (priv == RV_PRV_M)
        fprintf(f, "(the hart's data accesses run in M-mode now and are not translated: "
                   "the table below is what S and U see)\n");
    fprintf(f, "%-33s %-16s %10s %s\n", "virtual", "physical", "size", "flags (rwxugad)");
    RvDump d = {.f = f, .vabits = 12 + 9 * levels};
    rv_dump_table(cpu, &d, (rv->satp & SATP_PPN_MASK) << 12, (int)levels - 1, 0);
    rv_dump_flush(&d);
    if (!d.ranges) fprintf(f, "(no valid mapping)\n");
    if (d.truncated)
        fprintf(f, "(stopped after %u page-table entries: the table loops or is very large)\n",
                RV_DUMP_MAX_PTES);
}
