/* SPDX-License-Identifier: MIT */
/* The guest address space of a user-mode process: one host reservation, a
 * page-flag table, and mmap/munmap/mprotect/mremap/brk with Linux semantics
 * implemented inside the reservation (pages never leave it). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "user/user_int.h"
#include "vm/log.h"

void (*lx_code_changed)(uint64_t start, uint64_t len);

#define LEAF_SHIFT 21 /* one leaf of the flag table covers 2 MiB = 512 pages */
#define LEAF_PAGES 512u

static inline uint64_t pg(uint64_t va) { return va >> 12; }

int lx_space_init(LxSpace *s, uint64_t size)
{
    memset(s, 0, sizeof(*s));
    /* MAP_NORESERVE + PROT_NONE: costs address space only. The guard after
     * `size` catches accesses that start below guest_limit and run past it. */
    void *m = mmap(NULL, size + LX_GUARD_SIZE, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return -errno;
    s->base = m;
    s->limit = size;
    s->ndir = size >> LEAF_SHIFT;
    s->dir = calloc(s->ndir, sizeof(*s->dir));
    if (!s->dir) {
        munmap(m, size + LX_GUARD_SIZE);
        return -ENOMEM;
    }
    if (size > LX_STACK_TOP) {
        s->stack_top = LX_STACK_TOP;
        s->dyn_base = LX_ET_DYN_BASE;
        s->mmap_top = LX_MMAP_TOP;
    } else {
        /* Same shape scaled down: PIE at 2/3, stack near the top. */
        s->stack_top = (size - (size >> 6)) & LX_PAGE_MASK;
        s->dyn_base = (size / 3 * 2) & ~0xffffull;
        s->mmap_top = s->stack_top - LX_STACK_SIZE - (size >> 6);
    }
    return 0;
}

void lx_space_free(LxSpace *s)
{
    if (s->dir) {
        for (uint64_t i = 0; i < s->ndir; i++) free(s->dir[i]);
        free(s->dir);
    }
    if (s->base) munmap(s->base, s->limit + LX_GUARD_SIZE);
    memset(s, 0, sizeof(*s));
}

unsigned lx_page_flags(const LxSpace *s, uint64_t va)
{
    if (va >= s->limit) return 0;
    const uint8_t *leaf = s->dir[va >> LEAF_SHIFT];
    return leaf ? leaf[pg(va) & (LEAF_PAGES - 1)] : 0;
}

/* A page vm write-protects on the host because code was translated from it. */
static inline bool code_wp(unsigned f)
{
    return (f & (LX_PG_VALID | LX_PG_CODE | LX_PG_WRITE)) == (LX_PG_VALID | LX_PG_CODE | LX_PG_WRITE);
}

void lx_set_flags(LxSpace *s, uint64_t start, uint64_t len, unsigned flags)
{
    for (uint64_t va = start & LX_PAGE_MASK; va < start + len && va < s->limit; va += LX_PAGE_SIZE) {
        uint8_t **leaf = &s->dir[va >> LEAF_SHIFT];
        if (!*leaf) {
            if (!flags) continue;
            *leaf = calloc(LEAF_PAGES, 1);
            if (!*leaf) abort(); /* 512 bytes: out of host memory is fatal */
        }
        uint8_t *f = &(*leaf)[pg(va) & (LEAF_PAGES - 1)];
        s->ncode_wp += (uint64_t)code_wp(flags) - (uint64_t)code_wp(*f);
        *f = (uint8_t)flags;
    }
}

bool lx_access_ok(const LxSpace *s, uint64_t va, uint64_t len, unsigned prot)
{
    if (va >= s->limit || len > s->limit - va) return false;
    if (!len) return true;
    for (uint64_t p = va & LX_PAGE_MASK; p < va + len; p += LX_PAGE_SIZE) {
        unsigned f = lx_page_flags(s, p);
        if (!(f & LX_PG_VALID) || (f & prot) != prot) return false;
    }
    return true;
}

bool lx_range_free(const LxSpace *s, uint64_t start, uint64_t len)
{
    if (start >= s->limit || len > s->limit - start) return false;
    for (uint64_t va = start; va < start + len; va += LX_PAGE_SIZE) {
        if (!s->dir[va >> LEAF_SHIFT]) {
            va = ((va >> LEAF_SHIFT) + 1) << LEAF_SHIFT;
            va -= LX_PAGE_SIZE;
            continue;
        }
        if (lx_page_flags(s, va)) return false;
    }
    return true;
}

uint64_t lx_find_free(LxSpace *s, uint64_t len, uint64_t hint_top)
{
    uint64_t top = hint_top ? hint_top : s->mmap_top;
    if (top > s->limit) top = s->limit;
    top &= LX_PAGE_MASK;
    len = LX_PAGE_ALIGN(len);
    if (!len || len > top) return 0;
    uint64_t end = top; /* candidate range is [va, end) */
    uint64_t va = top;
    while (va >= LX_MMAP_MIN + LX_PAGE_SIZE) {
        uint64_t p = va - LX_PAGE_SIZE;
        if (!s->dir[p >> LEAF_SHIFT]) {
            va = p & ~((1ull << LEAF_SHIFT) - 1); /* whole leaf free */
        } else if (lx_page_flags(s, p)) {
            end = va = p; /* occupied: restart below it */
            continue;
        } else {
            va = p;
        }
        if (end - va >= len && end - len >= LX_MMAP_MIN) return end - len;
    }
    return 0;
}

static int host_prot(int prot)
{
    /* Guest PROT_EXEC needs host read access: fetch copies the code. */
    int h = prot & (PROT_READ | PROT_WRITE);
    if (prot & PROT_EXEC) h |= PROT_READ;
    return h;
}

static bool range_has_code(const LxSpace *s, uint64_t start, uint64_t len)
{
    for (uint64_t va = start; va < start + len; va += LX_PAGE_SIZE)
        if (lx_page_flags(s, va) & (LX_PG_EXEC | LX_PG_CODE)) return true;
    return false;
}

/* -- Translated code and guest writes ---------------------------------------------
 * Pages code was translated from carry LX_PG_CODE; those the guest may write
 * are read-only on the host (code_wp), so a store to them faults once: the
 * page's translations go, the host write permission comes back, the store is
 * retried (lx_code_write_fault, from the host SIGSEGV handler). Without this
 * a program that rewrites code without fence.i / IC IVAU / a cache-flush call
 * would run the old translation indefinitely. */

/* Ends tracking of one page: translations dropped, host protection = guest's. */
static void code_untrack_page(LxSpace *s, uint64_t page, unsigned f)
{
    if (lx_code_changed) lx_code_changed(page, LX_PAGE_SIZE);
    if (code_wp(f)) mprotect(s->base + page, LX_PAGE_SIZE, host_prot((int)(f & 7)));
    lx_set_flags(s, page, LX_PAGE_SIZE, f & ~(unsigned)LX_PG_CODE);
}

void lx_code_fetched(LxSpace *s, uint64_t va, uint64_t len)
{
    if (!len || va >= s->limit) return;
    uint64_t end = va + len > s->limit || va + len < va ? s->limit : va + len;
    for (uint64_t p = va & LX_PAGE_MASK; p < end; p += LX_PAGE_SIZE) {
        unsigned f = lx_page_flags(s, p);
        if (!(f & LX_PG_VALID) || (f & LX_PG_CODE)) continue;
        if ((f & LX_PG_WRITE) &&
            mprotect(s->base + p, LX_PAGE_SIZE, host_prot((int)(f & 7)) & ~PROT_WRITE)) {
            /* Out of host mappings (vm.max_map_count): stores to this page will
             * not be seen; fence.i / IC IVAU / munmap / mprotect still are. */
            vm_log(LOG_USER, LOG_WARN, "user: cannot write-protect code page 0x%llx",
                   (unsigned long long)p);
            continue;
        }
        lx_set_flags(s, p, LX_PAGE_SIZE, f | LX_PG_CODE);
    }
}

bool lx_code_write_fault(LxSpace *s, uint64_t va)
{
    if (va >= s->limit) return false;
    unsigned f = lx_page_flags(s, va);
    if (!code_wp(f)) return false; /* the guest's own protection: a real fault */
    code_untrack_page(s, va & LX_PAGE_MASK, f);
    return true;
}

void lx_code_unprotect(LxSpace *s, uint64_t va, uint64_t len)
{
    if (!len || va >= s->limit) return;
    uint64_t end = va + len > s->limit || va + len < va ? s->limit : va + len;
    for (uint64_t p = va & LX_PAGE_MASK; p < end && s->ncode_wp; p += LX_PAGE_SIZE) {
        if (!s->dir[p >> LEAF_SHIFT]) { /* skip a whole empty leaf */
            p = (((p >> LEAF_SHIFT) + 1) << LEAF_SHIFT) - LX_PAGE_SIZE;
            continue;
        }
        unsigned f = lx_page_flags(s, p);
        if (code_wp(f)) code_untrack_page(s, p, f);
    }
}

/* The range's pages change mapping or lose PROT_EXEC: their translations go
 * and code tracking ends (host protection back to the guest's). */
static void code_changed(LxSpace *s, uint64_t start, uint64_t len)
{
    if (!range_has_code(s, start, len)) return;
    if (lx_code_changed) lx_code_changed(start, len);
    for (uint64_t va = start; va < start + len; va += LX_PAGE_SIZE) {
        unsigned f = lx_page_flags(s, va);
        if (!(f & LX_PG_CODE)) continue;
        if (code_wp(f)) mprotect(s->base + va, LX_PAGE_SIZE, host_prot((int)(f & 7)));
        lx_set_flags(s, va, LX_PAGE_SIZE, f & ~(unsigned)LX_PG_CODE);
    }
}

/* Puts [start, start+len) back into the PROT_NONE reservation. */
static int reserve(LxSpace *s, uint64_t start, uint64_t len)
{
    void *m = mmap(s->base + start, len, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return m == MAP_FAILED ? -errno : 0;
}

int64_t lx_mmap(LxSpace *s, uint64_t addr, uint64_t len, int prot, int flags, int fd, int64_t off)
{
    if (!len) return -EINVAL;
    if (off & (LX_PAGE_SIZE - 1)) return -EINVAL;
    uint64_t alen = LX_PAGE_ALIGN(len);
    if (alen < len || alen > s->limit) return -ENOMEM;
    int type = flags & (MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE);
    if (!type) return -EINVAL;
    bool anon = flags & MAP_ANONYMOUS;
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);

    uint64_t va;
    if (fixed) {
        if (addr & (LX_PAGE_SIZE - 1)) return -EINVAL;
        if (addr >= s->limit || alen > s->limit - addr) return -ENOMEM;
        if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && !lx_range_free(s, addr, alen))
            return -EEXIST;
        va = addr;
    } else {
        addr &= LX_PAGE_MASK;
        if (addr >= LX_MMAP_MIN && lx_range_free(s, addr, alen))
            va = addr;
        else if (!(va = lx_find_free(s, alen, 0)))
            return -ENOMEM;
    }

    int hflags = MAP_FIXED | type | (flags & (MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE));
    if (fixed) code_changed(s, va, alen);
    void *m = mmap(s->base + va, alen, host_prot(prot), hflags, anon ? -1 : fd, anon ? 0 : off);
    if (m == MAP_FAILED) return -errno;
    lx_set_flags(s, va, alen, LX_PG_VALID | (prot & 7) | (anon ? LX_PG_ANON : 0));
    return (int64_t)va;
}

int lx_munmap(LxSpace *s, uint64_t addr, uint64_t len)
{
    if ((addr & (LX_PAGE_SIZE - 1)) || !len) return -EINVAL;
    uint64_t alen = LX_PAGE_ALIGN(len);
    if (addr >= s->limit || alen > s->limit - addr) return -EINVAL;
    code_changed(s, addr, alen);
    int r = reserve(s, addr, alen);
    if (r) return r;
    lx_set_flags(s, addr, alen, 0);
    return 0;
}

int lx_mprotect(LxSpace *s, uint64_t addr, uint64_t len, int prot)
{
    if (addr & (LX_PAGE_SIZE - 1)) return -EINVAL;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) return -EINVAL;
    uint64_t alen = LX_PAGE_ALIGN(len);
    if (!alen) return 0;
    if (addr >= s->limit || alen > s->limit - addr) return -ENOMEM;
    for (uint64_t va = addr; va < addr + alen; va += LX_PAGE_SIZE)
        if (!(lx_page_flags(s, va) & LX_PG_VALID)) return -ENOMEM;
    if (!(prot & PROT_EXEC)) code_changed(s, addr, alen);
    if (mprotect(s->base + addr, alen, host_prot(prot))) return -errno;
    for (uint64_t va = addr; va < addr + alen; va += LX_PAGE_SIZE) {
        unsigned f = lx_page_flags(s, va);
        lx_set_flags(s, va, LX_PAGE_SIZE, (f & ~7u) | (prot & 7));
        /* Still executable with translations, now writable: keep the host
         * page read-only so stores still find them (e.g. a program patching
         * its own text after mprotect(RWX)). */
        if ((f & LX_PG_CODE) && (prot & PROT_WRITE))
            mprotect(s->base + va, LX_PAGE_SIZE, host_prot(prot) & ~PROT_WRITE);
    }
    return 0;
}

/* Copies the flags of [from, from+len) to [to, ...), extending the last page's. */
static void move_flags(LxSpace *s, uint64_t from, uint64_t oldlen, uint64_t to, uint64_t newlen)
{
    unsigned last = lx_page_flags(s, from + oldlen - LX_PAGE_SIZE);
    uint8_t *tmp = malloc(newlen / LX_PAGE_SIZE);
    if (!tmp) abort();
    for (uint64_t i = 0; i < newlen / LX_PAGE_SIZE; i++)
        tmp[i] = i < oldlen / LX_PAGE_SIZE ? lx_page_flags(s, from + i * LX_PAGE_SIZE)
                                           : last & ~(unsigned)LX_PG_CODE; /* new pages: no code yet */
    lx_set_flags(s, from, oldlen, 0);
    for (uint64_t i = 0; i < newlen / LX_PAGE_SIZE; i++)
        lx_set_flags(s, to + i * LX_PAGE_SIZE, LX_PAGE_SIZE, tmp[i]);
    free(tmp);
}

int64_t lx_mremap(LxSpace *s, uint64_t old, uint64_t oldlen, uint64_t newlen, int flags, uint64_t new_addr)
{
    if (old & (LX_PAGE_SIZE - 1)) return -EINVAL;
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return -EINVAL;
    oldlen = LX_PAGE_ALIGN(oldlen);
    newlen = LX_PAGE_ALIGN(newlen);
    if (!newlen || !oldlen) return -EINVAL; /* oldlen 0 (dup of shared mapping) unsupported */
    if (old >= s->limit || oldlen > s->limit - old || newlen > s->limit) return -EFAULT;
    if (!lx_access_ok(s, old, oldlen, 0)) return -EFAULT;

    if (flags & MREMAP_FIXED) {
        if (new_addr & (LX_PAGE_SIZE - 1)) return -EINVAL;
        if (new_addr >= s->limit || newlen > s->limit - new_addr) return -EINVAL;
        if (new_addr < old + oldlen && old < new_addr + newlen) return -EINVAL;
        int r = lx_munmap(s, new_addr, newlen);
        if (r) return r;
        goto move;
    }
    if (newlen <= oldlen) {
        if (newlen < oldlen) {
            int r = lx_munmap(s, old + newlen, oldlen - newlen);
            if (r) return r;
        }
        return (int64_t)old;
    }
    /* Grow in place when the pages after it are free: drop our placeholder
     * there so the host can extend the mapping. */
    if (old + newlen <= s->limit && lx_range_free(s, old + oldlen, newlen - oldlen)) {
        if (!munmap(s->base + old + oldlen, newlen - oldlen)) {
            void *m = mremap(s->base + old, oldlen, newlen, 0);
            if (m != MAP_FAILED) {
                move_flags(s, old, oldlen, old, newlen);
                return (int64_t)old;
            }
            reserve(s, old + oldlen, newlen - oldlen);
        }
    }
    if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
    if (!(new_addr = lx_find_free(s, newlen, 0))) return -ENOMEM;
move:
    code_changed(s, old, oldlen);
    if (mremap(s->base + old, oldlen, newlen, MREMAP_MAYMOVE | MREMAP_FIXED, s->base + new_addr) == MAP_FAILED)
        return -errno;
    reserve(s, old, oldlen);
    move_flags(s, old, oldlen, new_addr, newlen);
    return (int64_t)new_addr;
}

uint64_t lx_brk(LxSpace *s, uint64_t want)
{
    if (want < s->brk_start) return s->brk_cur;
    uint64_t cur_top = LX_PAGE_ALIGN(s->brk_cur), new_top = LX_PAGE_ALIGN(want);
    if (new_top < want || (s->brk_max && new_top > s->brk_max)) return s->brk_cur;
    if (new_top > cur_top) {
        if (!lx_range_free(s, cur_top, new_top - cur_top)) return s->brk_cur;
        if (lx_mmap(s, cur_top, new_top - cur_top, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) < 0)
            return s->brk_cur;
    } else if (new_top < cur_top) {
        lx_munmap(s, new_top, cur_top - new_top);
    }
    s->brk_cur = want;
    return want;
}
