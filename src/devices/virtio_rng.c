/* SPDX-License-Identifier: MIT */
/* virtio-rng (virtio 1.2 section 5.4): fills each device-writable buffer of
 * the request queue with bytes from getrandom(2). */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "devices/virtio_int.h"
#include "vm/log.h"

static void rng_notify(VirtioMmio *vm, unsigned q)
{
    VirtqElem *e = malloc(sizeof(*e));
    if (!e) return;
    bool any = false;
    while (virtq_pop(vm, 0, e) == 1) {
        size_t done = 0;
        for (unsigned i = 0; i < e->nin; i++) {
            uint8_t *p = e->in[i].iov_base;
            size_t left = e->in[i].iov_len;
            while (left) {
                ssize_t n = getrandom(p, left, 0);
                if (n < 0) {
                    if (errno == EINTR) continue;
                    vm_log(LOG_DEV, LOG_WARN, "virtio-rng: getrandom failed");
                    goto out;
                }
                p += n;
                left -= (size_t)n;
                done += (size_t)n;
            }
        }
    out:
        virtq_push(vm, 0, e->head, (uint32_t)done);
        any = true;
    }
    if (any) virtq_notify(vm, 0);
    free(e);
}

static void rng_reset(VirtioMmio *vm) {}

static const VirtioOps rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .nqueues = 1,
    .queue_max = 64,
    .features = VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
    .config_size = 0,
    .notify = rng_notify,
    .reset = rng_reset,
};

VirtioMmio *virtio_rng_new(PhysMap *pm, IrqLine irq, Device *dev)
{
    return virtio_mmio_create(pm, irq, &rng_ops, NULL, dev);
}
