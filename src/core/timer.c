/* SPDX-License-Identifier: MIT */
/* Host timers (include/vm/timer.h): one timer thread sleeping on a condvar with
 * CLOCK_MONOTONIC deadlines over a list of armed timers kept sorted by deadline.
 * Callbacks run on that thread, without the list lock held. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "vm/log.h"
#include "vm/timer.h"

struct VmTimer {
    void (*cb)(void *opaque);
    void *opaque;
    uint64_t deadline; /* clock_ns() */
    bool armed;        /* on the list */
    VmTimer *next;
};

static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_cond;      /* the thread's sleep: CLOCK_MONOTONIC */
static pthread_cond_t timer_idle_cond; /* signalled when a callback returns */
static VmTimer *timer_head;            /* armed timers, earliest deadline first */
static VmTimer *timer_running;         /* whose callback runs now, or NULL */
static pthread_t timer_thread;
static bool timer_started;

static uint64_t timer_epoch_ns;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The epoch is taken before main() so clock_ns() is cheap and lock-free. */
__attribute__((constructor)) static void timer_epoch_init(void)
{
    timer_epoch_ns = mono_ns();
}

uint64_t clock_ns(void)
{
    return mono_ns() - timer_epoch_ns;
}

/* clock_guest_ns() - clock_ns(), mod 2^64; 0 until a snapshot restore sets it. */
static uint64_t guest_offset_ns;

uint64_t clock_guest_ns(void)
{
    return clock_ns() + __atomic_load_n(&guest_offset_ns, __ATOMIC_ACQUIRE);
}

void clock_guest_set(uint64_t guest_ns)
{
    __atomic_store_n(&guest_offset_ns, guest_ns - clock_ns(), __ATOMIC_RELEASE);
}

uint64_t clock_guest_deadline(uint64_t guest_ns)
{
    uint64_t now = clock_ns(), g = now + __atomic_load_n(&guest_offset_ns, __ATOMIC_ACQUIRE);
    return guest_ns <= g ? now : now + (guest_ns - g);
}

/* -- The sorted list (timer_lock held) -------------------------------------------- */

static void timer_unlink_locked(VmTimer *t)
{
    if (!t->armed) return;
    for (VmTimer **pp = &timer_head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->next = NULL;
    t->armed = false;
}

static void timer_insert_locked(VmTimer *t)
{
    VmTimer **pp = &timer_head;
    /* Equal deadlines keep arming order (FIFO), so a device's ordering holds. */
    while (*pp && (*pp)->deadline <= t->deadline) pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = true;
}

/* -- The timer thread --------------------------------------------------------------- */

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&timer_lock);
    for (;;) {
        VmTimer *t = timer_head;
        if (!t) {
            pthread_cond_wait(&timer_cond, &timer_lock);
            continue;
        }
        uint64_t now = clock_ns();
        if (t->deadline > now) {
            /* A deadline of "never" (e.g. mtimecmp = ~0 scaled to ns) would wrap
             * the absolute time into the past and spin: sleep until re-armed. */
            if (t->deadline > UINT64_MAX / 2 - timer_epoch_ns) {
                pthread_cond_wait(&timer_cond, &timer_lock);
                continue;
            }
            uint64_t abs = timer_epoch_ns + t->deadline;
            struct timespec ts = {.tv_sec = (time_t)(abs / 1000000000ull),
                                  .tv_nsec = (long)(abs % 1000000000ull)};
            pthread_cond_timedwait(&timer_cond, &timer_lock, &ts);
            continue; /* the list may have changed: look again */
        }
        timer_unlink_locked(t);
        timer_running = t;
        pthread_mutex_unlock(&timer_lock);
        t->cb(t->opaque);
        pthread_mutex_lock(&timer_lock);
        timer_running = NULL;
        pthread_cond_broadcast(&timer_idle_cond);
    }
    return NULL;
}

/* Started on the first timer_new: user mode never pays for the thread. */
static bool timer_start_locked(void)
{
    if (timer_started) return true;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&timer_cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&timer_idle_cond, NULL);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int r = pthread_create(&timer_thread, &a, timer_main, NULL);
    pthread_attr_destroy(&a);
    if (r) {
        vm_log(LOG_CORE, LOG_ERROR, "timer thread: %d", r);
        return false;
    }
    timer_started = true;
    return true;
}

/* -- API ---------------------------------------------------------------------------- */

VmTimer *timer_new(void (*cb)(void *opaque), void *opaque)
{
    VmTimer *t = calloc(1, sizeof(*t));
    if (!t) return NULL;
    t->cb = cb;
    t->opaque = opaque;
    pthread_mutex_lock(&timer_lock);
    bool ok = timer_start_locked();
    pthread_mutex_unlock(&timer_lock);
    if (!ok) {
        free(t);
        errno = EAGAIN;
        return NULL;
    }
    return t;
}

void timer_mod(VmTimer *t, uint64_t deadline_ns)
{
    pthread_mutex_lock(&timer_lock);
    timer_unlink_locked(t);
    t->deadline = deadline_ns;
    timer_insert_locked(t);
    /* Only a new earliest deadline changes how long the thread sleeps. */
    if (timer_head == t) pthread_cond_signal(&timer_cond);
    pthread_mutex_unlock(&timer_lock);
}

void timer_del(VmTimer *t)
{
    pthread_mutex_lock(&timer_lock);
    timer_unlink_locked(t);
    pthread_mutex_unlock(&timer_lock);
}

void timer_free(VmTimer *t)
{
    if (!t) return;
    pthread_mutex_lock(&timer_lock);
    timer_unlink_locked(t);
    /* Wait out a callback running on another thread; from inside its own
     * callback the caller owns t and the thread no longer touches it. */
    if (!timer_started || !pthread_equal(pthread_self(), timer_thread))
        while (timer_running == t) pthread_cond_wait(&timer_idle_cond, &timer_lock);
    pthread_mutex_unlock(&timer_lock);
    free(t);
}
