/* SPDX-License-Identifier: MIT */
/* virtio-mmio transport, version 2 (virtio 1.2 section 4.2) and split
 * virtqueues (section 2.7). Nothing the guest writes is trusted: ring
 * addresses are checked against RAM when a queue is enabled, and each
 * descriptor chain is bounded, range-checked and copied before use. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio_int.h"
#include "vm/log.h"

/* Section 4.2.2: register offsets. */
enum {
    VMMIO_MAGIC = 0x000, VMMIO_VERSION = 0x004, VMMIO_DEVICE_ID = 0x008, VMMIO_VENDOR_ID = 0x00c,
    VMMIO_DEVICE_FEATURES = 0x010, VMMIO_DEVICE_FEATURES_SEL = 0x014,
    VMMIO_DRIVER_FEATURES = 0x020, VMMIO_DRIVER_FEATURES_SEL = 0x024,
    VMMIO_QUEUE_SEL = 0x030, VMMIO_QUEUE_NUM_MAX = 0x034, VMMIO_QUEUE_NUM = 0x038,
    VMMIO_QUEUE_READY = 0x044, VMMIO_QUEUE_NOTIFY = 0x050, VMMIO_INTERRUPT_STATUS = 0x060,
    VMMIO_INTERRUPT_ACK = 0x064, VMMIO_STATUS = 0x070,
    VMMIO_QUEUE_DESC_LOW = 0x080, VMMIO_QUEUE_DESC_HIGH = 0x084,
    VMMIO_QUEUE_DRIVER_LOW = 0x090, VMMIO_QUEUE_DRIVER_HIGH = 0x094,
    VMMIO_QUEUE_DEVICE_LOW = 0x0a0, VMMIO_QUEUE_DEVICE_HIGH = 0x0a4,
    VMMIO_SHM_SEL = 0x0ac, VMMIO_SHM_LEN_LOW = 0x0b0, VMMIO_SHM_LEN_HIGH = 0x0b4,
    VMMIO_SHM_BASE_LOW = 0x0b8, VMMIO_SHM_BASE_HIGH = 0x0bc, VMMIO_QUEUE_RESET = 0x0c0,
    VMMIO_CONFIG_GENERATION = 0x0fc, VMMIO_CONFIG = 0x100,
};

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x554d4551 /* the conventional "QEMU" vendor ID */

/* Section 2.7.5 / 2.7.6 / 2.7.8 ring flags. */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_INT_USED 1
#define VIRTQ_INT_CONFIG 2

static void virtio_guest_error(VirtioMmio *vm, const char *what, uint64_t x)
{
    if (logd_enabled(LOGD_GUEST_ERRORS))
        log_write(LOG_DEV, LOG_WARN, "%s: %s (0x%llx)", vm->ops->name, what,
                  (unsigned long long)x);
}

static void virtio_update_irq_locked(VirtioMmio *vm)
{
    int level = vm->isr != 0;
    if (level != vm->irq_level) {
        vm->irq_level = level;
        irq_set(&vm->irq, level);
    }
}

bool virtio_negotiated(const VirtioMmio *vm, unsigned bit)
{
    return (vm->driver_features >> bit) & 1;
}

bool virtio_running(const VirtioMmio *vm)
{
    return (vm->status & VIRTIO_STATUS_DRIVER_OK) && !(vm->status & VIRTIO_STATUS_NEEDS_RESET);
}

void virtio_set_needs_reset(VirtioMmio *vm, const char *why)
{
    virtio_guest_error(vm, why, vm->status);
    if (vm->status & VIRTIO_STATUS_NEEDS_RESET) return;
    vm->status |= VIRTIO_STATUS_NEEDS_RESET;
    if (vm->status & VIRTIO_STATUS_DRIVER_OK) {
        /* Section 2.1.2: notify the driver with a configuration change. */
        vm->isr |= VIRTQ_INT_CONFIG;
        virtio_update_irq_locked(vm);
    }
}

void virtio_config_changed(VirtioMmio *vm)
{
    vm->config_gen++;
    if (vm->status & VIRTIO_STATUS_DRIVER_OK) {
        vm->isr |= VIRTQ_INT_CONFIG;
        virtio_update_irq_locked(vm);
    }
}

/* -- Split virtqueues (section 2.7) ---------------------------------------------------- */

static uint16_t vq_load16(const uint8_t *p)
{
    uint16_t v = __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
    return le16toh(v);
}

static void vq_store16(uint8_t *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELEASE);
}

/* avail: flags, idx, ring[num], used_event; used: flags, idx, ring[num] of
 * {id, len}, avail_event (sections 2.7.6 and 2.7.8). */
#define VQ_AVAIL_IDX(vq) ((vq)->avail + 2)
#define VQ_AVAIL_RING(vq, i) ((vq)->avail + 4 + 2 * (size_t)(i))
#define VQ_USED_EVENT(vq) ((vq)->avail + 4 + 2 * (size_t)(vq)->num)
#define VQ_USED_IDX(vq) ((vq)->used + 2)
#define VQ_USED_RING(vq, i) ((vq)->used + 4 + 8 * (size_t)(i))
#define VQ_AVAIL_EVENT(vq) ((vq)->used + 4 + 8 * (size_t)(vq)->num)

/* Section 2.7: the ring areas must be aligned (16/2/4) and lie in RAM. */
static bool virtq_enable_locked(VirtioMmio *vm, VirtQueue *vq)
{
    uint16_t n = vq->num;
    if (n == 0 || n > vq->num_max || (n & (n - 1))) {
        virtio_guest_error(vm, "bad queue size", n);
        return false;
    }
    if ((vq->desc_addr & 15) || (vq->avail_addr & 1) || (vq->used_addr & 3)) {
        virtio_guest_error(vm, "misaligned ring address", 0);
        return false;
    }
    vq->desc = phys_ram_ptr(vm->pm, vq->desc_addr, 16ull * n);
    vq->avail = phys_ram_ptr(vm->pm, vq->avail_addr, 6 + 2ull * n);
    vq->used = phys_ram_ptr(vm->pm, vq->used_addr, 6 + 8ull * n);
    if (!vq->desc || !vq->avail || !vq->used) {
        virtio_guest_error(vm, "ring outside RAM", 0);
        vq->desc = vq->avail = vq->used = NULL;
        return false;
    }
    vq->last_avail = vq->used_idx = vq->signalled_used = 0;
    vq->signalled_valid = false;
    vq->ready = true;
    return true;
}

static void virtq_reset(VirtQueue *vq)
{
    uint16_t max = vq->num_max;
    memset(vq, 0, sizeof(*vq));
    vq->num_max = max;
    vq->num = max;
}

static VirtQueue *virtq_get(VirtioMmio *vm, unsigned q)
{
    if (q >= vm->ops->nqueues) return NULL;
    VirtQueue *vq = &vm->vq[q];
    return vq->ready && virtio_running(vm) ? vq : NULL;
}

bool virtq_has_avail(VirtioMmio *vm, unsigned q)
{
    VirtQueue *vq = virtq_get(vm, q);
    return vq && vq_load16(VQ_AVAIL_IDX(vq)) != vq->last_avail;
}

typedef struct VirtqDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
} VirtqDesc;

static int virtq_fail(VirtioMmio *vm, const char *why)
{
    virtio_set_needs_reset(vm, why);
    return -1;
}

int virtq_pop(VirtioMmio *vm, unsigned q, VirtqElem *e)
{
    VirtQueue *vq = virtq_get(vm, q);
    if (!vq) return 0;
    uint16_t avail_idx = vq_load16(VQ_AVAIL_IDX(vq));
    if (avail_idx == vq->last_avail) return 0;
    /* Section 2.7.13.3: the driver can have at most num buffers outstanding. */
    if ((uint16_t)(avail_idx - vq->last_avail) > vq->num)
        return virtq_fail(vm, "available index ran ahead of the ring");
    uint16_t head = vq_load16(VQ_AVAIL_RING(vq, vq->last_avail % vq->num));
    if (head >= vq->num) return virtq_fail(vm, "head descriptor index out of range");

    const uint8_t *table = vq->desc;
    unsigned tnum = vq->num, idx = head, visited = 0;
    bool indirect = false;
    e->head = head;
    e->nout = e->nin = 0;
    e->out_len = e->in_len = 0;
    for (;;) {
        /* Loop detection: a chain cannot visit more descriptors than exist. */
        if (++visited > tnum) return virtq_fail(vm, "descriptor chain loops");
        VirtqDesc d;
        memcpy(&d, table + 16 * (size_t)idx, 16); /* a private copy: no TOCTOU */
        d.addr = le64toh(d.addr);
        d.len = le32toh(d.len);
        d.flags = le16toh(d.flags);
        d.next = le16toh(d.next);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            /* Section 2.7.5.3: one table, not nested, not chained onward. */
            if (!virtio_negotiated(vm, VIRTIO_F_INDIRECT_DESC) || indirect ||
                (d.flags & VIRTQ_DESC_F_NEXT))
                return virtq_fail(vm, "invalid indirect descriptor");
            if (d.len == 0 || d.len % 16 || d.len / 16 > VQ_MAX_SEGS)
                return virtq_fail(vm, "bad indirect table length");
            table = phys_ram_ptr(vm->pm, d.addr, d.len);
            if (!table) return virtq_fail(vm, "indirect table outside RAM");
            tnum = d.len / 16;
            idx = 0;
            visited = 0;
            indirect = true;
            continue;
        }
        if (d.len) {
            uint8_t *host = phys_ram_ptr(vm->pm, d.addr, d.len);
            if (!host) return virtq_fail(vm, "buffer outside RAM");
            if (e->nout + e->nin >= VQ_MAX_SEGS) return virtq_fail(vm, "descriptor chain too long");
            if (d.flags & VIRTQ_DESC_F_WRITE) {
                /* The device writes there behind the soft MMU's back: code
                 * translated from those pages must go (a page reused for a
                 * disk read may have held code; fence.i keeps translations). */
                phys_dma_written(vm->pm, d.addr, d.len);
                e->in[e->nin++] = (struct iovec){ host, d.len };
                e->in_len += d.len;
            } else {
                /* Section 2.7.4.2: readable buffers come before writable ones. */
                if (e->nin) return virtq_fail(vm, "readable descriptor after a writable one");
                e->out[e->nout++] = (struct iovec){ host, d.len };
                e->out_len += d.len;
            }
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT)) break;
        idx = d.next;
        if (idx >= tnum) return virtq_fail(vm, "next descriptor index out of range");
    }
    vq->last_avail++;
    if (virtio_negotiated(vm, VIRTIO_F_EVENT_IDX)) {
        /* Section 2.7.10: ask for a notification once the driver adds more. */
        vq_store16(VQ_AVAIL_EVENT(vq), vq->last_avail);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
    return 1;
}

void virtq_push(VirtioMmio *vm, unsigned q, uint16_t head, uint32_t len)
{
    if (q >= vm->ops->nqueues) return;
    VirtQueue *vq = &vm->vq[q];
    if (!vq->ready || (vm->status & VIRTIO_STATUS_NEEDS_RESET)) return;
    uint8_t *ent = VQ_USED_RING(vq, vq->used_idx % vq->num);
    uint32_t id = htole32(head), l = htole32(len);
    memcpy(ent, &id, 4);
    memcpy(ent + 4, &l, 4);
    vq->used_idx++;
    /* Section 2.7.8.2: the element is visible before the index moves. */
    vq_store16(VQ_USED_IDX(vq), vq->used_idx);
}

void virtq_notify(VirtioMmio *vm, unsigned q)
{
    if (q >= vm->ops->nqueues) return;
    VirtQueue *vq = &vm->vq[q];
    if (!vq->ready) return;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* used idx before the driver's flags */
    bool need;
    if (virtio_negotiated(vm, VIRTIO_F_EVENT_IDX)) {
        /* Section 2.7.10: interrupt only when used_event was crossed. */
        uint16_t ev = vq_load16(VQ_USED_EVENT(vq)), nw = vq->used_idx, old = vq->signalled_used;
        need = !vq->signalled_valid || (uint16_t)(nw - ev - 1) < (uint16_t)(nw - old);
    } else {
        need = !(vq_load16(vq->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    }
    if (vq->used_idx == vq->signalled_used && vq->signalled_valid) need = false;
    vq->signalled_used = vq->used_idx;
    vq->signalled_valid = true;
    if (need) {
        vm->isr |= VIRTQ_INT_USED;
        virtio_update_irq_locked(vm);
    }
}

size_t virtio_iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= iov[i].iov_len) { off -= iov[i].iov_len; continue; }
        size_t c = iov[i].iov_len - off;
        if (c > len - done) c = len - done;
        memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + off, c);
        done += c;
        off = 0;
    }
    return done;
}

size_t virtio_iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf,
                           size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= iov[i].iov_len) { off -= iov[i].iov_len; continue; }
        size_t c = iov[i].iov_len - off;
        if (c > len - done) c = len - done;
        memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, c);
        done += c;
        off = 0;
    }
    return done;
}

/* -- Registers (section 4.2.2) ---------------------------------------------------------- */

static void virtio_reset_locked(VirtioMmio *vm)
{
    if (vm->ops->reset) vm->ops->reset(vm);
    vm->status = 0;
    vm->isr = 0;
    vm->dev_feat_sel = vm->drv_feat_sel = vm->queue_sel = 0;
    vm->driver_features = 0;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) virtq_reset(&vm->vq[q]);
    virtio_update_irq_locked(vm);
}

static uint64_t virtio_offered(const VirtioMmio *vm)
{
    return vm->ops->features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
}

static uint64_t virtio_mmio_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioMmio *vm = opaque;
    uint64_t v = 0;
    pthread_mutex_lock(&vm->lock);
    if (off >= VMMIO_CONFIG) {
        /* Section 4.2.2.2: device-specific config, natural-width accesses. */
        uint64_t c = off - VMMIO_CONFIG;
        if (c + size <= vm->ops->config_size && size <= 8) {
            for (unsigned i = 0; i < size; i++) v |= (uint64_t)vm->config[c + i] << (8 * i);
        } else {
            virtio_guest_error(vm, "config read out of range", off);
        }
        goto out;
    }
    if (size != 4 || (off & 3)) {
        virtio_guest_error(vm, "non-32-bit register read", off);
        goto out;
    }
    VirtQueue *vq = vm->queue_sel < vm->ops->nqueues ? &vm->vq[vm->queue_sel] : NULL;
    switch (off) {
    case VMMIO_MAGIC: v = VIRTIO_MMIO_MAGIC; break;
    case VMMIO_VERSION: v = 2; break;
    case VMMIO_DEVICE_ID: v = vm->ops->device_id; break;
    case VMMIO_VENDOR_ID: v = VIRTIO_MMIO_VENDOR; break;
    case VMMIO_DEVICE_FEATURES:
        v = vm->dev_feat_sel < 2 ? (uint32_t)(virtio_offered(vm) >> (32 * vm->dev_feat_sel)) : 0;
        break;
    case VMMIO_QUEUE_NUM_MAX: v = vq ? vq->num_max : 0; break;
    case VMMIO_QUEUE_NUM: v = vq ? vq->num : 0; break;
    case VMMIO_QUEUE_READY: v = vq ? vq->ready : 0; break;
    case VMMIO_INTERRUPT_STATUS: v = vm->isr; break;
    case VMMIO_STATUS: v = vm->status; break;
    case VMMIO_QUEUE_DESC_LOW: v = vq ? (uint32_t)vq->desc_addr : 0; break;
    case VMMIO_QUEUE_DESC_HIGH: v = vq ? vq->desc_addr >> 32 : 0; break;
    case VMMIO_QUEUE_DRIVER_LOW: v = vq ? (uint32_t)vq->avail_addr : 0; break;
    case VMMIO_QUEUE_DRIVER_HIGH: v = vq ? vq->avail_addr >> 32 : 0; break;
    case VMMIO_QUEUE_DEVICE_LOW: v = vq ? (uint32_t)vq->used_addr : 0; break;
    case VMMIO_QUEUE_DEVICE_HIGH: v = vq ? vq->used_addr >> 32 : 0; break;
    case VMMIO_SHM_LEN_LOW: case VMMIO_SHM_LEN_HIGH: v = 0xffffffff; break; /* no regions */
    case VMMIO_SHM_BASE_LOW: case VMMIO_SHM_BASE_HIGH: v = 0xffffffff; break;
    case VMMIO_QUEUE_RESET: v = 0; break;
    case VMMIO_CONFIG_GENERATION: v = vm->config_gen; break;
    default: virtio_guest_error(vm, "read of write-only/unknown register", off); break;
    }
out:
    pthread_mutex_unlock(&vm->lock);
    return v;
}

static void virtio_set_addr(uint64_t *a, bool high, uint32_t v)
{
    *a = high ? (*a & 0xffffffffull) | (uint64_t)v << 32 : (*a & ~0xffffffffull) | v;
}

static void virtio_write_status_locked(VirtioMmio *vm, uint32_t v)
{
    if (v == 0) {
        virtio_reset_locked(vm); /* section 4.2.3.1: writing 0 resets */
        return;
    }
    v &= 0xff;
    if ((v & VIRTIO_STATUS_FEATURES_OK) && !(vm->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* Section 2.2.2: refuse a subset we did not offer or legacy (no VERSION_1). */
        if ((vm->driver_features & ~virtio_offered(vm)) ||
            !virtio_negotiated(vm, VIRTIO_F_VERSION_1)) {
            virtio_guest_error(vm, "features refused", vm->driver_features);
            v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
        }
    }
    if ((v & VIRTIO_STATUS_DRIVER_OK) && !(vm->status & VIRTIO_STATUS_FEATURES_OK) &&
        !(v & VIRTIO_STATUS_FEATURES_OK)) {
        virtio_guest_error(vm, "DRIVER_OK without FEATURES_OK", 0);
        v &= ~(uint32_t)VIRTIO_STATUS_DRIVER_OK;
    }
    bool was_ok = vm->status & VIRTIO_STATUS_DRIVER_OK;
    vm->status = v | (vm->status & VIRTIO_STATUS_NEEDS_RESET);
    if (!was_ok && (vm->status & VIRTIO_STATUS_DRIVER_OK) && vm->ops->driver_ok)
        vm->ops->driver_ok(vm);
}

static void virtio_mmio_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    VirtioMmio *vm = opaque;
    uint32_t v = (uint32_t)value;
    pthread_mutex_lock(&vm->lock);
    if (off >= VMMIO_CONFIG) {
        uint64_t c = off - VMMIO_CONFIG;
        if (c + size <= vm->ops->config_size && vm->ops->config_write)
            vm->ops->config_write(vm, (uint32_t)c, value, size);
        else
            virtio_guest_error(vm, "config write ignored", off);
        goto out;
    }
    if (size != 4 || (off & 3)) {
        virtio_guest_error(vm, "non-32-bit register write", off);
        goto out;
    }
    VirtQueue *vq = vm->queue_sel < vm->ops->nqueues ? &vm->vq[vm->queue_sel] : NULL;
    bool feat_locked = vm->status & VIRTIO_STATUS_FEATURES_OK;
    switch (off) {
    case VMMIO_DEVICE_FEATURES_SEL: vm->dev_feat_sel = v; break;
    case VMMIO_DRIVER_FEATURES:
        if (feat_locked || vm->drv_feat_sel > 1) {
            virtio_guest_error(vm, "driver features write ignored", v);
            break;
        }
        virtio_set_addr(&vm->driver_features, vm->drv_feat_sel == 1, v);
        break;
    case VMMIO_DRIVER_FEATURES_SEL: vm->drv_feat_sel = v; break;
    case VMMIO_QUEUE_SEL: vm->queue_sel = v; break;
    case VMMIO_QUEUE_NUM:
    case VMMIO_QUEUE_DESC_LOW: case VMMIO_QUEUE_DESC_HIGH:
    case VMMIO_QUEUE_DRIVER_LOW: case VMMIO_QUEUE_DRIVER_HIGH:
    case VMMIO_QUEUE_DEVICE_LOW: case VMMIO_QUEUE_DEVICE_HIGH:
        /* Section 4.2.2.3: queue layout is fixed while the queue is ready. */
        if (!vq || vq->ready) {
            virtio_guest_error(vm, "queue register write ignored", off);
            break;
        }
        if (off == VMMIO_QUEUE_NUM) vq->num = (uint16_t)(v > 0xffff ? 0 : v);
        else if (off <= VMMIO_QUEUE_DESC_HIGH) virtio_set_addr(&vq->desc_addr, off & 4, v);
        else if (off <= VMMIO_QUEUE_DRIVER_HIGH) virtio_set_addr(&vq->avail_addr, off & 4, v);
        else virtio_set_addr(&vq->used_addr, off & 4, v);
        break;
    case VMMIO_QUEUE_READY:
        if (!vq) break;
        if (v & 1) {
            if (!vq->ready && !virtq_enable_locked(vm, vq))
                virtio_set_needs_reset(vm, "invalid queue setup");
        } else {
            vq->ready = false;
            vq->desc = vq->avail = vq->used = NULL;
        }
        break;
    case VMMIO_QUEUE_NOTIFY:
        /* The value is the queue index (no VIRTIO_F_NOTIFICATION_DATA). */
        if ((v & 0xffff) < vm->ops->nqueues && virtio_running(vm) && vm->vq[v & 0xffff].ready)
            vm->ops->notify(vm, v & 0xffff);
        break;
    case VMMIO_INTERRUPT_ACK:
        vm->isr &= ~v;
        virtio_update_irq_locked(vm);
        break;
    case VMMIO_STATUS: virtio_write_status_locked(vm, v); break;
    case VMMIO_SHM_SEL: break;
    case VMMIO_QUEUE_RESET: break; /* VIRTIO_F_RING_RESET not offered */
    default: virtio_guest_error(vm, "write to read-only/unknown register", off); break;
    }
out:
    pthread_mutex_unlock(&vm->lock);
}

const MmioOps virtio_mmio_ops = { .read = virtio_mmio_read, .write = virtio_mmio_write };

/* -- Lifecycle ------------------------------------------------------------------------- */

static void virtio_mmio_reset(void *opaque)
{
    VirtioMmio *vm = opaque;
    pthread_mutex_lock(&vm->lock);
    virtio_reset_locked(vm);
    pthread_mutex_unlock(&vm->lock);
}

static int virtio_mmio_snapshot(void *opaque, SnapVisitor *v)
{
    VirtioMmio *vm = opaque;
    pthread_mutex_lock(&vm->lock);
    /* In-flight requests complete first (used ring, ISR): on save they are
     * then part of the state; on load none can land in the restored RAM. */
    if (vm->ops->drain) vm->ops->drain(vm);
    uint32_t id = vm->ops->device_id;
    snap_u32(v, "device_id", &id);
    if (snap_loading(v) && id != vm->ops->device_id) snap_fail(v, "virtio: device type differs");
    snap_u32(v, "status", &vm->status);
    snap_u32(v, "isr", &vm->isr);
    snap_u32(v, "dev_feat_sel", &vm->dev_feat_sel);
    snap_u32(v, "drv_feat_sel", &vm->drv_feat_sel);
    snap_u32(v, "queue_sel", &vm->queue_sel);
    snap_u32(v, "config_gen", &vm->config_gen);
    snap_u64(v, "driver_features", &vm->driver_features);
    for (unsigned q = 0; q < vm->ops->nqueues && snap_status(v) == 0; q++) {
        VirtQueue *vq = &vm->vq[q];
        snap_u16(v, "num", &vq->num);
        snap_bool(v, "ready", &vq->ready);
        snap_u64(v, "desc", &vq->desc_addr);
        snap_u64(v, "driver", &vq->avail_addr);
        snap_u64(v, "device", &vq->used_addr);
        snap_u16(v, "last_avail", &vq->last_avail);
        snap_u16(v, "used_idx", &vq->used_idx);
        snap_u16(v, "signalled_used", &vq->signalled_used);
        snap_bool(v, "signalled_valid", &vq->signalled_valid);
        if (snap_loading(v) && !vq->ready) vq->desc = vq->avail = vq->used = NULL;
        if (snap_loading(v) && snap_status(v) == 0 && vq->ready) {
            /* Re-validate the restored ring as if the guest had set it up. */
            uint16_t la = vq->last_avail, ui = vq->used_idx, su = vq->signalled_used;
            bool sv = vq->signalled_valid;
            vq->ready = false;
            if (!virtq_enable_locked(vm, vq)) snap_fail(v, "virtio: restored queue is invalid");
            vq->last_avail = la;
            vq->used_idx = ui;
            vq->signalled_used = su;
            vq->signalled_valid = sv;
        }
    }
    if (vm->ops->snapshot && snap_status(v) == 0) vm->ops->snapshot(vm, v);
    if (snap_loading(v) && snap_status(v) == 0) {
        vm->irq_level = -1;
        virtio_update_irq_locked(vm);
    }
    pthread_mutex_unlock(&vm->lock);
    return snap_status(v);
}

static void virtio_mmio_free(void *opaque)
{
    VirtioMmio *vm = opaque;
    if (!vm) return;
    if (vm->ops->free) vm->ops->free(vm);
    pthread_mutex_destroy(&vm->lock);
    free(vm);
}

VirtioMmio *virtio_mmio_create(PhysMap *pm, IrqLine irq, const VirtioOps *ops, void *dev,
                               Device *d)
{
    VirtioMmio *vm = calloc(1, sizeof(*vm));
    if (!vm) return NULL;
    pthread_mutex_init(&vm->lock, NULL);
    vm->pm = pm;
    vm->irq = irq;
    vm->ops = ops;
    vm->dev = dev;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        vm->vq[q].num_max = q < ops->nqueues ? ops->queue_max : 0;
        virtq_reset(&vm->vq[q]);
    }
    if (d)
        *d = (Device){ .name = ops->name, .opaque = vm, .reset = virtio_mmio_reset,
                       .snapshot = virtio_mmio_snapshot, .free = virtio_mmio_free };
    return vm;
}
