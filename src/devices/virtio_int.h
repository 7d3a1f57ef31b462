/* SPDX-License-Identifier: MIT */
/* Private interface between the virtio-mmio transport (virtio_mmio.c) and the
 * device types (virtio_blk.c, virtio_net.c, ...): split virtqueues whose every
 * guest-supplied index, length and address is validated before use. */
#ifndef VM_VIRTIO_INT_H
#define VM_VIRTIO_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vm/devices.h"
#include "vm/mem.h"

/* virtio 1.2 section 6: reserved feature bits. */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Section 2.1: device status. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Section 5: device IDs. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

#define VIRTIO_MAX_QUEUES 4
#define VIRTIO_CONFIG_MAX 256
/* Longest descriptor chain accepted (direct or through an indirect table). */
#define VQ_MAX_SEGS 256

#define VIRTIO_BIT(b) (1ull << (b))

typedef struct VirtQueue {
    uint16_t num_max;
    /* guest-visible (section 4.2.2 registers) */
    uint16_t num;
    bool ready;
    uint64_t desc_addr, avail_addr, used_addr;
    /* device-side ring state */
    uint16_t last_avail, used_idx, signalled_used;
    bool signalled_valid;
    /* host views of the rings, validated when the queue was made ready */
    uint8_t *desc, *avail, *used;
} VirtQueue;

/* One popped request: its head and the device-readable (out) then
 * device-writable (in) buffers, as host pointers into guest RAM. */
typedef struct VirtqElem {
    uint16_t head;
    unsigned nout, nin;
    size_t out_len, in_len;
    struct iovec out[VQ_MAX_SEGS];
    struct iovec in[VQ_MAX_SEGS];
} VirtqElem;

typedef struct VirtioOps {
    const char *name;
    uint32_t device_id;
    unsigned nqueues;
    uint16_t queue_max;
    uint64_t features;  /* offered; VERSION_1 is added by the transport */
    uint32_t config_size;
    /* All hooks run with VirtioMmio.lock held, except free. */
    void (*notify)(VirtioMmio *vm, unsigned q);
    void (*driver_ok)(VirtioMmio *vm);          /* optional */
    void (*config_write)(VirtioMmio *vm, uint32_t off, uint64_t val, unsigned size); /* optional */
    /* Device part of a reset; must leave no request in flight. */
    void (*reset)(VirtioMmio *vm);
    int (*snapshot)(VirtioMmio *vm, SnapVisitor *v); /* optional: device fields */
    /* Optional: waits (may drop and retake the lock) until no request is in
     * flight, so a snapshot sees no DMA or interrupt still to come. */
    void (*drain)(VirtioMmio *vm);
    void (*free)(VirtioMmio *vm);               /* stops threads; lock not held */
} VirtioOps;

struct VirtioMmio {
    pthread_mutex_t lock;
    PhysMap *pm;
    IrqLine irq;
    const VirtioOps *ops;
    void *dev;           /* the device type's state */
    int irq_level;
    /* guest-visible transport state (section 4.2.2) */
    uint32_t status, isr, dev_feat_sel, drv_feat_sel, queue_sel, config_gen;
    uint64_t driver_features;
    VirtQueue vq[VIRTIO_MAX_QUEUES];
    uint8_t config[VIRTIO_CONFIG_MAX]; /* device config space, little-endian */
};

VirtioMmio *virtio_mmio_create(PhysMap *pm, IrqLine irq, const VirtioOps *ops, void *dev,
                               Device *d);
bool virtio_negotiated(const VirtioMmio *vm, unsigned bit);
/* DRIVER_OK set and no NEEDS_RESET: queues may be processed. */
bool virtio_running(const VirtioMmio *vm);
/* Section 2.1.2: the device hit an error it cannot recover from (a malformed
 * ring): sets DEVICE_NEEDS_RESET, stops processing, notifies the driver. */
void virtio_set_needs_reset(VirtioMmio *vm, const char *why);
void virtio_config_changed(VirtioMmio *vm);

/* 1 = *e holds a request, 0 = queue empty (or not running), -1 = malformed
 * (the device is now NEEDS_RESET). */
int virtq_pop(VirtioMmio *vm, unsigned q, VirtqElem *e);
/* True when the queue has available buffers (no side effects). */
bool virtq_has_avail(VirtioMmio *vm, unsigned q);
/* Returns a finished request with `len` bytes written to its in buffers. */
void virtq_push(VirtioMmio *vm, unsigned q, uint16_t head, uint32_t len);
/* After a batch of pushes: interrupts the driver unless it suppressed it. */
void virtq_notify(VirtioMmio *vm, unsigned q);

/* Copies between a flat buffer and iovecs, starting `off` bytes in. Return
 * the bytes copied. */
size_t virtio_iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len);
size_t virtio_iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf,
                           size_t len);

static inline void virtio_put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void virtio_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void virtio_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

#endif
