/* SPDX-License-Identifier: MIT */
/* virtio-console (virtio 1.2 section 5.3) with a single port (hvc0) and no
 * multiport: receiveq 0 carries host input, transmitq 1 guest output. Input
 * waits in a small buffer until the driver posts receive buffers. */
#include <stdlib.h>
#include <string.h>

#include "devices/virtio_int.h"
#include "vm/log.h"

#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2
#define CONS_RXQ 0
#define CONS_TXQ 1
#define CONS_PENDING 4096

typedef struct VirtioConsole {
    VirtioMmio *vm;
    CharDev *chr;
    size_t npending;
    uint8_t pending[CONS_PENDING]; /* host input not yet in a guest buffer */
} VirtioConsole;

/* Moves pending input into posted receive buffers. */
static void cons_flush_rx_locked(VirtioConsole *c)
{
    VirtioMmio *vm = c->vm;
    bool any = false;
    while (c->npending && virtq_has_avail(vm, CONS_RXQ)) {
        VirtqElem *e = malloc(sizeof(*e));
        if (!e) break;
        if (virtq_pop(vm, CONS_RXQ, e) != 1) { free(e); break; }
        size_t n = virtio_iov_from_buf(e->in, e->nin, 0, c->pending, c->npending);
        memmove(c->pending, c->pending + n, c->npending - n);
        c->npending -= n;
        virtq_push(vm, CONS_RXQ, e->head, (uint32_t)n);
        any = true;
        free(e);
    }
    if (any) virtq_notify(vm, CONS_RXQ);
}

static size_t cons_can_read(void *opaque)
{
    VirtioConsole *c = opaque;
    pthread_mutex_lock(&c->vm->lock);
    size_t n = CONS_PENDING - c->npending;
    pthread_mutex_unlock(&c->vm->lock);
    return n;
}

static void cons_input(void *opaque, const uint8_t *buf, size_t n)
{
    VirtioConsole *c = opaque;
    pthread_mutex_lock(&c->vm->lock);
    if (n > CONS_PENDING - c->npending) n = CONS_PENDING - c->npending;
    memcpy(c->pending + c->npending, buf, n);
    c->npending += n;
    cons_flush_rx_locked(c);
    pthread_mutex_unlock(&c->vm->lock);
}

static void cons_notify(VirtioMmio *vm, unsigned q)
{
    VirtioConsole *c = vm->dev;
    if (q == CONS_RXQ) {
        size_t before = c->npending;
        cons_flush_rx_locked(c);
        if (c->npending < before) chardev_read_ready(c->chr);
        return;
    }
    VirtqElem *e = malloc(sizeof(*e));
    if (!e) return;
    bool any = false;
    while (virtq_pop(vm, CONS_TXQ, e) == 1) {
        for (unsigned i = 0; i < e->nout; i++) chardev_write(c->chr, e->out[i].iov_base, e->out[i].iov_len);
        virtq_push(vm, CONS_TXQ, e->head, 0);
        any = true;
    }
    if (any) virtq_notify(vm, CONS_TXQ);
    free(e);
}

static void cons_driver_ok(VirtioMmio *vm)
{
    cons_flush_rx_locked(vm->dev);
}

/* Section 5.3.4: emerg_wr (offset 8) writes one character. */
static void cons_config_write(VirtioMmio *vm, uint32_t off, uint64_t val, unsigned size)
{
    VirtioConsole *c = vm->dev;
    if (off == 8 && virtio_negotiated(vm, VIRTIO_CONSOLE_F_EMERG_WRITE)) {
        uint8_t ch = (uint8_t)val;
        chardev_write(c->chr, &ch, 1);
    }
}

static void cons_reset(VirtioMmio *vm) {}

static int cons_snapshot(VirtioMmio *vm, SnapVisitor *v)
{
    VirtioConsole *c = vm->dev;
    uint32_t n = (uint32_t)c->npending;
    snap_u32(v, "pending_len", &n);
    if (snap_loading(v) && n > CONS_PENDING) snap_fail(v, "virtio-console: pending input too long");
    if (snap_status(v) == 0) {
        c->npending = n;
        snap_bytes(v, "pending", c->pending, n);
    }
    return snap_status(v);
}

static void cons_free(VirtioMmio *vm)
{
    VirtioConsole *c = vm->dev;
    chardev_attach(c->chr, NULL, NULL, NULL);
    free(c);
}

static const VirtioOps cons_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .nqueues = 2,
    .queue_max = 64,
    .features = VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
                VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
    .config_size = 12,
    .notify = cons_notify,
    .driver_ok = cons_driver_ok,
    .config_write = cons_config_write,
    .reset = cons_reset,
    .snapshot = cons_snapshot,
    .free = cons_free,
};

VirtioMmio *virtio_console_new(PhysMap *pm, IrqLine irq, CharDev *chr, Device *dev)
{
    VirtioConsole *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->chr = chr;
    VirtioMmio *vm = virtio_mmio_create(pm, irq, &cons_ops, c, dev);
    if (!vm) { free(c); return NULL; }
    c->vm = vm;
    /* cols/rows 0 (no VIRTIO_CONSOLE_F_SIZE), max_nr_ports 1. */
    virtio_put_le32(vm->config + 4, 1);
    chardev_attach(chr, cons_can_read, cons_input, c);
    return vm;
}
