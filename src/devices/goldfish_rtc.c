/* SPDX-License-Identifier: MIT */
/* Goldfish RTC (Android emulator "google,goldfish-rtc", as Linux's rtc-goldfish
 * drives it): nanosecond wall clock, one alarm with an interrupt. Reading
 * TIME_LOW latches TIME_HIGH; writing ALARM_LOW arms the alarm. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "vm/devices.h"
#include "vm/log.h"
#include "vm/timer.h"

enum {
    RTC_TIME_LOW = 0x00, RTC_TIME_HIGH = 0x04, RTC_ALARM_LOW = 0x08, RTC_ALARM_HIGH = 0x0c,
    RTC_IRQ_ENABLED = 0x10, RTC_CLEAR_ALARM = 0x14, RTC_ALARM_STATUS = 0x18,
    RTC_CLEAR_INTERRUPT = 0x1c,
};

struct GoldfishRtc {
    pthread_mutex_t lock;
    IrqLine irq;
    VmTimer *timer;
    /* guest-visible state */
    uint64_t offset;     /* guest time - host realtime, ns (mod 2^64) */
    uint64_t alarm;      /* guest-time ns */
    uint32_t time_high;  /* latched by a TIME_LOW read */
    uint32_t alarm_high; /* written before ALARM_LOW */
    uint32_t irq_enabled;
    bool alarm_running, irq_pending;
};

static uint64_t rtc_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rtc_now_locked(const GoldfishRtc *r)
{
    return rtc_host_ns() + r->offset;
}

static void rtc_update_irq_locked(GoldfishRtc *r)
{
    irq_set(&r->irq, r->irq_pending && (r->irq_enabled & 1));
}

static void rtc_arm_locked(GoldfishRtc *r)
{
    if (!r->alarm_running) { timer_del(r->timer); return; }
    uint64_t now = rtc_now_locked(r);
    uint64_t delta = r->alarm > now ? r->alarm - now : 0;
    uint64_t c = clock_ns();
    timer_mod(r->timer, delta > UINT64_MAX - c ? UINT64_MAX : c + delta);
}

static void rtc_timer_cb(void *opaque)
{
    GoldfishRtc *r = opaque;
    pthread_mutex_lock(&r->lock);
    if (r->alarm_running) {
        if (rtc_now_locked(r) >= r->alarm) {
            r->alarm_running = false;
            r->irq_pending = true;
            rtc_update_irq_locked(r);
        } else {
            rtc_arm_locked(r); /* the guest moved the clock back: fire later */
        }
    }
    pthread_mutex_unlock(&r->lock);
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned size)
{
    GoldfishRtc *r = opaque;
    uint64_t v = 0;
    pthread_mutex_lock(&r->lock);
    switch (off) {
    case RTC_TIME_LOW: {
        uint64_t t = rtc_now_locked(r);
        r->time_high = (uint32_t)(t >> 32);
        v = (uint32_t)t;
        break;
    }
    case RTC_TIME_HIGH: v = r->time_high; break;
    case RTC_ALARM_LOW: v = (uint32_t)r->alarm; break;
    case RTC_ALARM_HIGH: v = (uint32_t)(r->alarm >> 32); break;
    case RTC_IRQ_ENABLED: v = r->irq_enabled; break;
    case RTC_ALARM_STATUS: v = r->alarm_running; break;
    default:
        if (logd_enabled(LOGD_GUEST_ERRORS))
            log_write(LOG_DEV, LOG_WARN, "goldfish-rtc: read of bad offset 0x%llx",
                      (unsigned long long)off);
        break;
    }
    pthread_mutex_unlock(&r->lock);
    return v;
}

static void rtc_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    GoldfishRtc *r = opaque;
    uint32_t v = (uint32_t)value;
    pthread_mutex_lock(&r->lock);
    switch (off) {
    case RTC_TIME_LOW: {
        /* Linux writes TIME_HIGH first; TIME_LOW commits the new time. */
        uint64_t t = (uint64_t)r->time_high << 32 | v;
        r->offset = t - rtc_host_ns();
        rtc_arm_locked(r);
        break;
    }
    case RTC_TIME_HIGH: r->time_high = v; break;
    case RTC_ALARM_LOW:
        r->alarm = (uint64_t)r->alarm_high << 32 | v;
        r->alarm_running = true;
        rtc_arm_locked(r);
        break;
    case RTC_ALARM_HIGH: r->alarm_high = v; break;
    case RTC_IRQ_ENABLED:
        r->irq_enabled = v & 1;
        rtc_update_irq_locked(r);
        break;
    case RTC_CLEAR_ALARM:
        r->alarm_running = false;
        timer_del(r->timer);
        break;
    case RTC_CLEAR_INTERRUPT:
        r->irq_pending = false;
        rtc_update_irq_locked(r);
        break;
    default:
        if (logd_enabled(LOGD_GUEST_ERRORS))
            log_write(LOG_DEV, LOG_WARN, "goldfish-rtc: write of bad offset 0x%llx",
                      (unsigned long long)off);
        break;
    }
    pthread_mutex_unlock(&r->lock);
}

const MmioOps rtc_mmio_ops = { .read = rtc_read, .write = rtc_write };

static void rtc_reset(void *opaque)
{
    GoldfishRtc *r = opaque;
    pthread_mutex_lock(&r->lock);
    r->alarm = 0;
    r->time_high = r->alarm_high = 0;
    r->irq_enabled = 0;
    r->alarm_running = r->irq_pending = false;
    timer_del(r->timer);
    rtc_update_irq_locked(r);
    pthread_mutex_unlock(&r->lock);
}

static int rtc_snapshot(void *opaque, SnapVisitor *v)
{
    GoldfishRtc *r = opaque;
    pthread_mutex_lock(&r->lock);
    snap_u64(v, "offset", &r->offset);
    snap_u64(v, "alarm", &r->alarm);
    snap_u32(v, "time_high", &r->time_high);
    snap_u32(v, "alarm_high", &r->alarm_high);
    snap_u32(v, "irq_enabled", &r->irq_enabled);
    snap_bool(v, "alarm_running", &r->alarm_running);
    snap_bool(v, "irq_pending", &r->irq_pending);
    if (snap_loading(v) && snap_status(v) == 0) {
        rtc_arm_locked(r);
        rtc_update_irq_locked(r);
    }
    pthread_mutex_unlock(&r->lock);
    return snap_status(v);
}

static void rtc_free(void *opaque)
{
    GoldfishRtc *r = opaque;
    if (!r) return;
    timer_free(r->timer);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

GoldfishRtc *rtc_new(IrqLine irq, Device *dev)
{
    GoldfishRtc *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->irq = irq;
    r->timer = timer_new(rtc_timer_cb, r);
    if (!r->timer) { free(r); return NULL; }
    rtc_reset(r);
    if (dev)
        *dev = (Device){ .name = "goldfish-rtc", .opaque = r, .reset = rtc_reset,
                         .snapshot = rtc_snapshot, .free = rtc_free };
    return r;
}
