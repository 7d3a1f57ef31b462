/* SPDX-License-Identifier: MIT */
/* The guest physical memory map: a sorted array of RAM/ROM/MMIO regions found
 * by binary search (with a one-entry cache), bounds-checked DMA copies, and the
 * per-page code marks the soft MMU uses to detect self-modifying code. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem_int.h"
#include "vm/log.h"
#include "vm/tlb.h"

#define PHYS_PAGE_SHIFT 12

/* PhysRegion first: phys_find hands out &r and code marks find their region
 * by casting back. */
typedef struct PhysRegionPriv {
    PhysRegion r;
    uint8_t *code; /* RAM: one byte per 4 KiB page, nonzero = holds translations */
} PhysRegionPriv;

struct PhysMap {
    PhysRegionPriv *regs; /* sorted by base, never overlapping */
    unsigned n, cap;
    const PhysRegionPriv *last; /* lookup cache (a hint: any stale value is still a region) */
};

PhysMap *phys_new(void)
{
    return calloc(1, sizeof(PhysMap));
}

void phys_free(PhysMap *m)
{
    if (!m) return;
    for (unsigned i = 0; i < m->n; i++) free(m->regs[i].code);
    free(m->regs);
    free(m);
}

static int add_region(PhysMap *m, const PhysRegion *r)
{
    if (!r->size || r->base + r->size - 1 < r->base) return -EINVAL;
    unsigned pos = 0;
    while (pos < m->n && m->regs[pos].r.base < r->base) pos++;
    uint64_t end = r->base + r->size - 1;
    if (pos > 0) {
        const PhysRegion *p = &m->regs[pos - 1].r;
        if (p->base + p->size - 1 >= r->base) return -EEXIST;
    }
    if (pos < m->n && m->regs[pos].r.base <= end) return -EEXIST;
    if (m->n == m->cap) {
        unsigned cap = m->cap ? m->cap * 2 : 16;
        PhysRegionPriv *nr = realloc(m->regs, cap * sizeof(*nr));
        if (!nr) return -ENOMEM;
        m->regs = nr;
        m->cap = cap;
    }
    PhysRegionPriv pr = {.r = *r};
    if (r->host && !r->readonly) {
        pr.code = calloc((r->size + (1u << PHYS_PAGE_SHIFT) - 1) >> PHYS_PAGE_SHIFT, 1);
        if (!pr.code) return -ENOMEM;
    }
    memmove(&m->regs[pos + 1], &m->regs[pos], (m->n - pos) * sizeof(*m->regs));
    m->regs[pos] = pr;
    m->n++;
    m->last = NULL;
    return 0;
}

int phys_add_ram(PhysMap *m, uint64_t base, uint64_t size, uint8_t *host, const char *name)
{
    if (!host) return -EINVAL;
    PhysRegion r = {.base = base, .size = size, .host = host, .name = name};
    return add_region(m, &r);
}

int phys_add_rom(PhysMap *m, uint64_t base, uint64_t size, uint8_t *host, const char *name)
{
    if (!host) return -EINVAL;
    PhysRegion r = {.base = base, .size = size, .host = host, .readonly = true, .name = name};
    return add_region(m, &r);
}

int phys_add_mmio(PhysMap *m, uint64_t base, uint64_t size, const MmioOps *ops, void *opaque,
                  const char *name)
{
    if (!ops) return -EINVAL;
    PhysRegion r = {.base = base, .size = size, .ops = ops, .opaque = opaque, .name = name};
    return add_region(m, &r);
}

static inline bool contains(const PhysRegion *r, uint64_t pa)
{
    return pa - r->base < r->size;
}

static const PhysRegionPriv *find_priv(const PhysMap *m, uint64_t pa)
{
    const PhysRegionPriv *c = __atomic_load_n(&m->last, __ATOMIC_RELAXED);
    if (c && contains(&c->r, pa)) return c;
    unsigned lo = 0, hi = m->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        const PhysRegionPriv *p = &m->regs[mid];
        if (pa < p->r.base) hi = mid;
        else if (contains(&p->r, pa)) {
            __atomic_store_n(&((PhysMap *)m)->last, p, __ATOMIC_RELAXED);
            return p;
        } else lo = mid + 1;
    }
    return NULL;
}

const PhysRegion *phys_find(const PhysMap *m, uint64_t pa)
{
    const PhysRegionPriv *p = find_priv(m, pa);
    return p ? &p->r : NULL;
}

uint8_t *phys_ram_ptr(const PhysMap *m, uint64_t pa, uint64_t len)
{
    const PhysRegion *r = phys_find(m, pa);
    if (!r || !r->host) return NULL;
    uint64_t off = pa - r->base;
    if (len > r->size - off) return NULL;
    return r->host + off;
}

/* -- Code marks --------------------------------------------------------------- */

uint8_t *phys_code_byte(const PhysMap *m, uint64_t pa)
{
    const PhysRegionPriv *p = find_priv(m, pa);
    if (!p || !p->code) return NULL;
    return &p->code[(pa - p->r.base) >> PHYS_PAGE_SHIFT];
}

void phys_code_written(uint8_t *mark, uint64_t pa)
{
    __atomic_store_n(mark, 0, __ATOMIC_RELAXED);
    void (*fn)(uint64_t, uint64_t) = __atomic_load_n(&tlb_code_invalidate, __ATOMIC_ACQUIRE);
    uint64_t page = pa & ~(((uint64_t)1 << PHYS_PAGE_SHIFT) - 1);
    if (fn) fn(page, (uint64_t)1 << PHYS_PAGE_SHIFT);
}

/* Drops the translations of every page of [pa, pa+len) that holds code: the
 * soft MMU sees CPU stores, this is for the writes it does not see. System
 * mode relies on it (fence.i keeps translations there). */
void phys_dma_written(PhysMap *m, uint64_t pa, uint64_t len)
{
    uint64_t end = pa + len;
    if (end < pa) end = UINT64_MAX;
    for (uint64_t p = pa & ~0xfffull; p < end && p >= (pa & ~0xfffull); p += 0x1000) {
        uint8_t *mark = phys_code_byte(m, p);
        if (mark && __atomic_load_n(mark, __ATOMIC_RELAXED)) phys_code_written(mark, p);
    }
}

/* -- DMA and loader copies -------------------------------------------------------- */

/* Walks [pa, pa+len) region by region; each piece must be RAM (or ROM for reads). */
static int copy(PhysMap *m, uint64_t pa, void *buf, size_t len, bool write)
{
    /* First pass checks, so nothing is copied when any byte is outside RAM. */
    for (size_t done = 0; done < len;) {
        const PhysRegion *r = phys_find(m, pa + done);
        if (!r || !r->host || (write && r->readonly)) return -EFAULT;
        uint64_t avail = r->size - (pa + done - r->base);
        done += avail < len - done ? avail : len - done;
        if (done && pa + done < pa) return -EFAULT; /* wrapped */
    }
    for (size_t done = 0; done < len;) {
        const PhysRegion *r = phys_find(m, pa + done);
        uint64_t off = pa + done - r->base, avail = r->size - off;
        size_t n = avail < len - done ? (size_t)avail : len - done;
        if (write) memcpy(r->host + off, (const uint8_t *)buf + done, n);
        else memcpy((uint8_t *)buf + done, r->host + off, n);
        done += n;
    }
    if (write) phys_dma_written(m, pa, len);
    return 0;
}

int phys_read(const PhysMap *m, uint64_t pa, void *buf, size_t len)
{
    return copy((PhysMap *)m, pa, buf, len, false);
}

int phys_write(PhysMap *m, uint64_t pa, const void *buf, size_t len)
{
    return copy(m, pa, (void *)buf, len, true);
}

bool phys_access(PhysMap *m, uint64_t pa, unsigned size, bool write, uint64_t *val)
{
    const PhysRegionPriv *p = find_priv(m, pa);
    if (!p) return false;
    const PhysRegion *r = &p->r;
    uint64_t off = pa - r->base;
    if (size > r->size - off) return false;
    if (r->host) {
        if (write) {
            if (r->readonly) return true; /* ROM: writes ignored */
            memcpy(r->host + off, val, size);
            uint8_t *mark = &p->code[off >> PHYS_PAGE_SHIFT];
            if (__atomic_load_n(mark, __ATOMIC_RELAXED)) phys_code_written(mark, pa);
        } else {
            *val = 0;
            memcpy(val, r->host + off, size);
        }
        return true;
    }
    if (write) r->ops->write(r->opaque, off, *val, size);
    else *val = r->ops->read(r->opaque, off, size);
    return true;
}
