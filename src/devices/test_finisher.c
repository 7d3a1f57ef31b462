/* SPDX-License-Identifier: MIT */
/* SiFive test finisher ("sifive,test1"), also the regmap target of Linux's
 * syscon-poweroff (0x5555) and syscon-reboot (0x7777): a 32-bit write at
 * offset 0 powers off, fails with a code, or resets via the machine callback. */
#include <stdlib.h>

#include "vm/devices.h"
#include "vm/log.h"

#define FINISHER_FAIL 0x3333
#define FINISHER_PASS 0x5555
#define FINISHER_RESET 0x7777

struct Finisher {
    VmPowerFn power;
    void *opaque;
};

static uint64_t finisher_read(void *opaque, uint64_t off, unsigned size)
{
    return 0; /* syscon regmap reads (update_bits) see 0 */
}

static void finisher_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    Finisher *f = opaque;
    uint32_t v = (uint32_t)value;
    if (off != 0 || size < 4) {
        if (logd_enabled(LOGD_GUEST_ERRORS))
            log_write(LOG_DEV, LOG_WARN, "test-finisher: write 0x%x at +0x%llx size %u ignored",
                      v, (unsigned long long)off, size);
        return;
    }
    switch (v & 0xffff) {
    case FINISHER_PASS:
        if (f->power) f->power(f->opaque, VM_POWER_OFF, 0);
        break;
    case FINISHER_FAIL: {
        int code = (int)(v >> 16);
        if (f->power) f->power(f->opaque, VM_POWER_OFF, code ? code : 1);
        break;
    }
    case FINISHER_RESET:
        if (f->power) f->power(f->opaque, VM_POWER_RESET, 0);
        break;
    default:
        if (logd_enabled(LOGD_GUEST_ERRORS))
            log_write(LOG_DEV, LOG_WARN, "test-finisher: unknown command 0x%x", v);
        break;
    }
}

const MmioOps finisher_mmio_ops = { .read = finisher_read, .write = finisher_write };

static void finisher_reset(void *opaque) {}

static int finisher_snapshot(void *opaque, SnapVisitor *v)
{
    return snap_status(v); /* no guest-visible state */
}

static void finisher_free(void *opaque)
{
    free(opaque);
}

Finisher *finisher_new(VmPowerFn power, void *opaque, Device *dev)
{
    Finisher *f = calloc(1, sizeof(*f));
    if (!f) return NULL;
    f->power = power;
    f->opaque = opaque;
    if (dev)
        *dev = (Device){ .name = "test-finisher", .opaque = f, .reset = finisher_reset,
                         .snapshot = finisher_snapshot, .free = finisher_free };
    return f;
}
