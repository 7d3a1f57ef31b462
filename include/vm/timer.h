/* SPDX-License-Identifier: MIT */
/* Host timers for devices and CPUs (ACLINT mtimecmp, Sstc, RTC alarms, -timeout):
 * callbacks run on one timer thread at or after their deadline. */
#ifndef VM_TIMER_H
#define VM_TIMER_H

#include <stdint.h>

typedef struct VmTimer VmTimer;

/* Monotonic nanoseconds since vm started. */
uint64_t clock_ns(void);
/* Guest time: clock_ns() plus an offset, the time base guests see (RISC-V
 * mtime and the time CSR). A snapshot restore moves it so the guest's clock
 * continues from the saved value; host deadlines (timer_mod) stay in clock_ns(). */
uint64_t clock_guest_ns(void);
void clock_guest_set(uint64_t guest_ns);
/* The clock_ns() deadline at which clock_guest_ns() reaches guest_ns (now if past). */
uint64_t clock_guest_deadline(uint64_t guest_ns);
VmTimer *timer_new(void (*cb)(void *opaque), void *opaque);
/* (Re)arms for an absolute clock_ns() deadline; a past deadline fires at once. */
void timer_mod(VmTimer *t, uint64_t deadline_ns);
void timer_del(VmTimer *t);
void timer_free(VmTimer *t);

#endif
