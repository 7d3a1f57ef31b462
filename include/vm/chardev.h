/* SPDX-License-Identifier: MIT */
/* Character backend: the link between a serial device (NS16550A, virtio-console)
 * and a host endpoint (stdio in raw mode, file:F, unix:PATH) the service layer
 * implements. The device writes output; the host side pushes input to the device. */
#ifndef VM_CHARDEV_H
#define VM_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

typedef struct CharDev CharDev;

/* Host -> device, called from the backend's I/O thread. The device copies what
 * it accepts into its own buffers, under its own lock. */
typedef void (*CharInputFn)(void *dev_opaque, const uint8_t *buf, size_t n);
/* How many bytes the device can accept right now (0 = full, try again later). */
typedef size_t (*CharCanReadFn)(void *dev_opaque);

/* Contract:
 *  - The backend fills write/read_ready/be_opaque; the device fills the
 *    dev_* fields with chardev_attach() before the machine starts.
 *  - write() may be called from any vCPU thread (with the device's lock held);
 *    it must not block for long and must not call back into the device. Output
 *    the host cannot take may be dropped (a serial line has no flow control).
 *  - The backend calls can_read() then on_input() with at most that many bytes;
 *    bytes beyond what the device can take are kept by the backend, which
 *    retries when the device calls read_ready() (or after a short poll delay).
 *  - read_ready() (may be NULL) is called by the device, possibly with its lock
 *    held, when room appeared in its receive buffer; the backend only wakes its
 *    I/O thread from it (it must not call on_input() synchronously).
 *  - Input bytes the backend consumes itself (stdio's Ctrl-A x) never reach
 *    the device. */
struct CharDev {
    /* backend side */
    void (*write)(CharDev *c, const uint8_t *buf, size_t n);
    void (*read_ready)(CharDev *c);
    void *be_opaque;
    /* device side */
    CharCanReadFn can_read;
    CharInputFn on_input;
    void *dev_opaque;
};

static inline void chardev_attach(CharDev *c, CharCanReadFn can_read, CharInputFn on_input,
                                  void *dev_opaque)
{
    if (!c) return;
    c->can_read = can_read;
    c->on_input = on_input;
    c->dev_opaque = dev_opaque;
}

/* Device -> host. A NULL chardev (no -serial) discards. */
static inline void chardev_write(CharDev *c, const uint8_t *buf, size_t n)
{
    if (c && c->write && n) c->write(c, buf, n);
}

static inline void chardev_read_ready(CharDev *c)
{
    if (c && c->read_ready) c->read_ready(c);
}

/* Backend helper: delivers up to n bytes, returns how many the device took. */
static inline size_t chardev_deliver(CharDev *c, const uint8_t *buf, size_t n)
{
    if (!c || !c->on_input || !n) return 0;
    size_t room = c->can_read ? c->can_read(c->dev_opaque) : n;
    if (room > n) room = n;
    if (room) c->on_input(c->dev_opaque, buf, room);
    return room;
}

#endif
