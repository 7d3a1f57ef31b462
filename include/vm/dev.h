/* SPDX-License-Identifier: MIT */
/* The device model interface: MMIO callbacks, IRQ lines, reset and a snapshot
 * hook that enumerates each field once for both save and load. Machines create
 * devices and map them; nothing guest-controlled is trusted by a device. */
#ifndef VM_DEV_H
#define VM_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/snap.h"

struct PhysMap;

/* MMIO access callbacks. offset is relative to the region base; size is 1, 2,
 * 4 or 8 and the value is in host order (the guest's byte order was applied by
 * the access path). Accesses a device doesn't implement read as 0 and ignore
 * writes (logged under -d guest_errors). Called from vCPU threads: a device
 * protects its own state (dev_lock below, or finer). */
typedef struct MmioOps {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
} MmioOps;

/* An interrupt line: an output of a device wired to an input of an interrupt
 * controller (or of a CPU). Level-triggered; edge sources pulse. */
typedef struct IrqLine {
    void (*set)(void *opaque, unsigned n, int level);
    void *opaque;
    unsigned n;
} IrqLine;

static inline void irq_set(const IrqLine *l, int level)
{
    if (l && l->set) l->set(l->opaque, l->n, level);
}
static inline void irq_pulse(const IrqLine *l)
{
    irq_set(l, 1);
    irq_set(l, 0);
}

/* The lifecycle hooks every device provides. */
typedef struct Device {
    const char *name;    /* "uart16550@10000000": unique per machine, used in snapshots */
    void *opaque;
    void (*reset)(void *opaque);
    /* Visits every piece of guest-visible state once; the visitor saves or loads. */
    int (*snapshot)(void *opaque, SnapVisitor *v);
    void (*free)(void *opaque);
} Device;

#endif
