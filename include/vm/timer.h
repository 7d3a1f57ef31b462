/* SPDX-License-Identifier: MIT */
/* Host timers for devices and CPUs (ACLINT mtimecmp, Sstc, RTC alarms, -timeout):
 * callbacks run on one timer thread at or after their deadline. */
#ifndef VM_TIMER_H
#define VM_TIMER_H

#include <stdint.h>

typedef struct VmTimer VmTimer;

/* Monotonic nanoseconds since vm started. */
uint64_t clock_ns(void);
VmTimer *timer_new(void (*cb)(void *opaque), void *opaque);
/* (Re)arms for an absolute clock_ns() deadline; a past deadline fires at once. */
void timer_mod(VmTimer *t, uint64_t deadline_ns);
void timer_del(VmTimer *t);
void timer_free(VmTimer *t);

#endif
