/* SPDX-License-Identifier: MIT */
/* RISC-V ACLINT MSWI + MTIMER in the SiFive CLINT layout (ACLINT spec 1.0,
 * sections 2 and 3): msip per hart at +0, mtimecmp per hart at +0x4000, mtime at
 * +0xbff8. One host timer per hart raises MTIP when mtime reaches mtimecmp. */
#include <pthread.h>
#include <stdlib.h>

#include "vm/devices.h"
#include "vm/log.h"
#include "vm/timer.h"

#define ACLINT_MSIP 0x0000
#define ACLINT_MTIMECMP 0x4000
#define ACLINT_MTIME 0xbff8
#define ACLINT_NS_PER_TICK 100 /* the 10 MHz timebase */

typedef struct AclintHart {
    Aclint *a;
    unsigned id;
    VmTimer *timer;
    IrqLine msip_line, mtip_line;
    uint32_t msip;
    uint64_t mtimecmp;
    int mtip; /* current MTIP level */
} AclintHart;

struct Aclint {
    pthread_mutex_t lock;
    unsigned nharts;
    uint64_t (*now)(void);
    uint64_t offset; /* mtime - now(), mod 2^64 (guest writes to mtime) */
    AclintHart *harts;
};

static uint64_t aclint_default_now(void)
{
    return clock_guest_ns() / ACLINT_NS_PER_TICK; /* the harts' rv_mtime() */
}

static uint64_t aclint_mtime_locked(const Aclint *a)
{
    return a->now() + a->offset;
}

uint64_t aclint_mtime(Aclint *a)
{
    pthread_mutex_lock(&a->lock);
    uint64_t t = aclint_mtime_locked(a);
    pthread_mutex_unlock(&a->lock);
    return t;
}

/* ACLINT spec 3.2: MTIP is pending while mtime >= mtimecmp. Otherwise arm the
 * hart's host timer for the moment it will be. */
static void aclint_update_hart_locked(Aclint *a, AclintHart *h)
{
    uint64_t mtime = aclint_mtime_locked(a);
    int level = mtime >= h->mtimecmp;
    if (level != h->mtip) {
        h->mtip = level;
        irq_set(&h->mtip_line, level);
    }
    if (level) {
        timer_del(h->timer);
        return;
    }
    uint64_t ticks = h->mtimecmp - mtime;
    uint64_t c = clock_ns();
    uint64_t ns = ticks > (UINT64_MAX - c) / ACLINT_NS_PER_TICK ? UINT64_MAX - c
                                                                 : ticks * ACLINT_NS_PER_TICK;
    timer_mod(h->timer, c + ns);
}

static void aclint_timer_cb(void *opaque)
{
    AclintHart *h = opaque;
    pthread_mutex_lock(&h->a->lock);
    aclint_update_hart_locked(h->a, h);
    pthread_mutex_unlock(&h->a->lock);
}

static void aclint_guest_error(uint64_t off, unsigned size, const char *what)
{
    if (logd_enabled(LOGD_GUEST_ERRORS))
        log_write(LOG_DEV, LOG_WARN, "aclint: %s at +0x%llx size %u", what,
                  (unsigned long long)off, size);
}

/* Reads an aligned 4- or 8-byte window of a 64-bit register. */
static uint64_t aclint_get64(uint64_t reg, uint64_t off, unsigned size)
{
    if (size == 8) return reg;
    return (uint32_t)(reg >> ((off & 4) * 8));
}

static uint64_t aclint_put64(uint64_t reg, uint64_t off, uint64_t value, unsigned size)
{
    if (size == 8) return value;
    unsigned sh = (unsigned)(off & 4) * 8;
    return (reg & ~(0xffffffffull << sh)) | ((uint64_t)(uint32_t)value << sh);
}

static uint64_t aclint_read(void *opaque, uint64_t off, unsigned size)
{
    Aclint *a = opaque;
    uint64_t v = 0;
    if ((size != 4 && size != 8) || (off & (size - 1))) {
        aclint_guest_error(off, size, "unsupported read");
        return 0;
    }
    pthread_mutex_lock(&a->lock);
    if (off < ACLINT_MSIP + 4ull * a->nharts && off < ACLINT_MTIMECMP) {
        if (size == 4) v = a->harts[off / 4].msip;
        else aclint_guest_error(off, size, "64-bit msip read");
    } else if (off >= ACLINT_MTIMECMP && off < ACLINT_MTIMECMP + 8ull * a->nharts &&
               off < ACLINT_MTIME) {
        v = aclint_get64(a->harts[(off - ACLINT_MTIMECMP) / 8].mtimecmp, off, size);
    } else if (off >= ACLINT_MTIME && off < ACLINT_MTIME + 8) {
        v = aclint_get64(aclint_mtime_locked(a), off, size);
    } else {
        aclint_guest_error(off, size, "read of unmapped register");
    }
    pthread_mutex_unlock(&a->lock);
    return v;
}

static void aclint_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    Aclint *a = opaque;
    if ((size != 4 && size != 8) || (off & (size - 1))) {
        aclint_guest_error(off, size, "unsupported write");
        return;
    }
    pthread_mutex_lock(&a->lock);
    if (off < ACLINT_MSIP + 4ull * a->nharts && off < ACLINT_MTIMECMP) {
        if (size == 4) {
            AclintHart *h = &a->harts[off / 4];
            /* ACLINT spec 2.1: only bit 0 is writable. */
            h->msip = (uint32_t)value & 1;
            irq_set(&h->msip_line, (int)h->msip);
        } else {
            aclint_guest_error(off, size, "64-bit msip write");
        }
    } else if (off >= ACLINT_MTIMECMP && off < ACLINT_MTIMECMP + 8ull * a->nharts &&
               off < ACLINT_MTIME) {
        AclintHart *h = &a->harts[(off - ACLINT_MTIMECMP) / 8];
        h->mtimecmp = aclint_put64(h->mtimecmp, off, value, size);
        aclint_update_hart_locked(a, h);
    } else if (off >= ACLINT_MTIME && off < ACLINT_MTIME + 8) {
        uint64_t t = aclint_put64(aclint_mtime_locked(a), off, value, size);
        a->offset = t - a->now();
        for (unsigned i = 0; i < a->nharts; i++) aclint_update_hart_locked(a, &a->harts[i]);
    } else {
        aclint_guest_error(off, size, "write to unmapped register");
    }
    pthread_mutex_unlock(&a->lock);
}

const MmioOps aclint_mmio_ops = { .read = aclint_read, .write = aclint_write };

static void aclint_reset(void *opaque)
{
    Aclint *a = opaque;
    pthread_mutex_lock(&a->lock);
    a->offset = 0;
    for (unsigned i = 0; i < a->nharts; i++) {
        AclintHart *h = &a->harts[i];
        h->msip = 0;
        irq_set(&h->msip_line, 0);
        /* Not specified at reset; all-ones keeps MTIP low until firmware sets it. */
        h->mtimecmp = UINT64_MAX;
        aclint_update_hart_locked(a, h);
    }
    pthread_mutex_unlock(&a->lock);
}

/* mtime is saved as a value (not the host-clock offset), so a restored guest
 * sees time continue from where it was saved. */
static int aclint_snapshot(void *opaque, SnapVisitor *v)
{
    Aclint *a = opaque;
    pthread_mutex_lock(&a->lock);
    uint64_t mtime = aclint_mtime_locked(a);
    uint32_t n = a->nharts;
    snap_u32(v, "nharts", &n);
    if (snap_loading(v) && n != a->nharts) snap_fail(v, "aclint: hart count differs");
    snap_u64(v, "mtime", &mtime);
    for (unsigned i = 0; i < a->nharts && snap_status(v) == 0; i++) {
        snap_u32(v, "msip", &a->harts[i].msip);
        snap_u64(v, "mtimecmp", &a->harts[i].mtimecmp);
    }
    if (snap_loading(v) && snap_status(v) == 0) {
        a->offset = mtime - a->now();
        for (unsigned i = 0; i < a->nharts; i++) {
            AclintHart *h = &a->harts[i];
            h->msip &= 1;
            irq_set(&h->msip_line, (int)h->msip);
            h->mtip = -1;
            aclint_update_hart_locked(a, h);
        }
    }
    pthread_mutex_unlock(&a->lock);
    return snap_status(v);
}

static void aclint_free(void *opaque)
{
    Aclint *a = opaque;
    if (!a) return;
    for (unsigned i = 0; i < a->nharts; i++)
        if (a->harts[i].timer) timer_free(a->harts[i].timer);
    free(a->harts);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

Aclint *aclint_new(unsigned nharts, const IrqLine *msip, const IrqLine *mtip,
                   uint64_t (*now)(void), Device *dev)
{
    if (nharts == 0 || nharts > ACLINT_MAX_HARTS) return NULL;
    Aclint *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    pthread_mutex_init(&a->lock, NULL);
    a->nharts = nharts;
    a->now = now ? now : aclint_default_now;
    a->harts = calloc(nharts, sizeof(*a->harts));
    if (!a->harts) { aclint_free(a); return NULL; }
    for (unsigned i = 0; i < nharts; i++) {
        AclintHart *h = &a->harts[i];
        h->a = a;
        h->id = i;
        if (msip) h->msip_line = msip[i];
        if (mtip) h->mtip_line = mtip[i];
        h->mtip = 0;
        h->timer = timer_new(aclint_timer_cb, h);
        if (!h->timer) { aclint_free(a); return NULL; }
    }
    aclint_reset(a);
    if (dev)
        *dev = (Device){ .name = "aclint", .opaque = a, .reset = aclint_reset,
                         .snapshot = aclint_snapshot, .free = aclint_free };
    return a;
}
