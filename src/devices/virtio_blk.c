/* SPDX-License-Identifier: MIT */
/* virtio-blk (virtio 1.2 section 5.2) over a raw image file. Requests are
 * checked against the capacity and handed to the async I/O layer; their
 * completion (status byte, used ring, interrupt) happens on its thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/aio.h"
#include "devices/virtio_int.h"
#include "vm/log.h"

/* Section 5.2.3: feature bits. */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

/* Section 5.2.6: request types and status values. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20

#define BLK_SECTOR 512
#define BLK_QUEUE_MAX 256
#define BLK_SEG_MAX (BLK_QUEUE_MAX - 2)

typedef struct VirtioBlk {
    VirtioMmio *vm;
    AioCtx *aio;
    int fd;
    bool readonly;
    uint64_t sectors;
    char serial[VIRTIO_BLK_ID_BYTES + 1];
    unsigned inflight;
    pthread_cond_t idle; /* with vm->lock: inflight dropped to 0 */
} VirtioBlk;

typedef struct BlkReq {
    VirtioBlk *b;
    uint8_t *status;     /* last byte of the device-writable buffers */
    uint32_t used_len;   /* bytes written to the guest, status included */
    int niov;
    struct iovec iov[VQ_MAX_SEGS];
    VirtqElem e;
} BlkReq;

static void blk_finish_locked(BlkReq *r, uint8_t status)
{
    VirtioBlk *b = r->b;
    *r->status = status;
    if (status != VIRTIO_BLK_S_OK) r->used_len = 1;
    virtq_push(b->vm, 0, r->e.head, r->used_len);
    virtq_notify(b->vm, 0);
    free(r);
}

static void blk_aio_done(void *opaque, ssize_t ret)
{
    BlkReq *r = opaque;
    VirtioBlk *b = r->b;
    pthread_mutex_lock(&b->vm->lock);
    if (ret < 0)
        vm_log(LOG_DEV, LOG_WARN, "virtio-blk: host I/O error: %s", strerror((int)-ret));
    blk_finish_locked(r, ret < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
    if (--b->inflight == 0) pthread_cond_broadcast(&b->idle);
    pthread_mutex_unlock(&b->vm->lock);
}

static void blk_guest_error(const char *what, uint64_t x)
{
    if (logd_enabled(LOGD_GUEST_ERRORS))
        log_write(LOG_DEV, LOG_WARN, "virtio-blk: %s (0x%llx)", what, (unsigned long long)x);
}

/* Builds r->iov from iov[0..n) starting `skip` bytes in, `len` bytes long. */
static void blk_slice(BlkReq *r, const struct iovec *iov, unsigned n, size_t skip, size_t len)
{
    r->niov = 0;
    for (unsigned i = 0; i < n && len; i++) {
        if (skip >= iov[i].iov_len) { skip -= iov[i].iov_len; continue; }
        size_t c = iov[i].iov_len - skip;
        if (c > len) c = len;
        r->iov[r->niov++] = (struct iovec){ (uint8_t *)iov[i].iov_base + skip, c };
        len -= c;
        skip = 0;
    }
}

/* Handles one popped request: completes it at once or queues its I/O. */
static void blk_handle_locked(VirtioBlk *b, BlkReq *r)
{
    VirtqElem *e = &r->e;
    uint8_t hdr[16];
    /* Section 5.2.6: 16-byte header in, status byte last out. */
    if (e->in_len < 1) {
        virtio_set_needs_reset(b->vm, "virtio-blk: request without a status byte");
        free(r);
        return;
    }
    struct iovec *last = &e->in[e->nin - 1];
    r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
    r->used_len = 1;
    if (virtio_iov_to_buf(e->out, e->nout, 0, hdr, 16) != 16) {
        blk_guest_error("short request header", e->out_len);
        blk_finish_locked(r, VIRTIO_BLK_S_IOERR);
        return;
    }
    uint32_t type = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
                    (uint32_t)hdr[3] << 24;
    uint64_t sector = 0;
    for (int i = 0; i < 8; i++) sector |= (uint64_t)hdr[8 + i] << (8 * i);
    size_t in_data = e->in_len - 1, out_data = e->out_len - 16;
    int op;
    size_t len;
    switch (type) {
    case VIRTIO_BLK_T_IN:
        op = AIO_READ;
        len = in_data;
        blk_slice(r, e->in, e->nin, 0, len);
        r->used_len = (uint32_t)(len + 1);
        break;
    case VIRTIO_BLK_T_OUT:
        if (b->readonly) {
            blk_guest_error("write to a read-only disk", sector);
            blk_finish_locked(r, VIRTIO_BLK_S_IOERR);
            return;
        }
        op = AIO_WRITE;
        len = out_data;
        blk_slice(r, e->out, e->nout, 16, len);
        break;
    case VIRTIO_BLK_T_FLUSH:
        if (b->readonly) { blk_finish_locked(r, VIRTIO_BLK_S_OK); return; }
        op = AIO_FSYNC;
        len = 0;
        r->niov = 0;
        break;
    case VIRTIO_BLK_T_GET_ID: {
        size_t n = in_data < VIRTIO_BLK_ID_BYTES ? in_data : VIRTIO_BLK_ID_BYTES;
        char id[VIRTIO_BLK_ID_BYTES] = { 0 };
        memcpy(id, b->serial, strnlen(b->serial, VIRTIO_BLK_ID_BYTES));
        virtio_iov_from_buf(e->in, e->nin, 0, id, n);
        r->used_len = (uint32_t)(n + 1);
        blk_finish_locked(r, VIRTIO_BLK_S_OK);
        return;
    }
    default:
        blk_guest_error("unsupported request type", type);
        blk_finish_locked(r, VIRTIO_BLK_S_UNSUPP);
        return;
    }
    if (op != AIO_FSYNC) {
        /* Section 5.2.6.1: whole sectors, within capacity. */
        if (len % BLK_SECTOR || sector > b->sectors || len / BLK_SECTOR > b->sectors - sector) {
            blk_guest_error("request beyond the disk or not sector-sized", sector);
            blk_finish_locked(r, VIRTIO_BLK_S_IOERR);
            return;
        }
        if (len == 0) { blk_finish_locked(r, VIRTIO_BLK_S_OK); return; }
    }
    b->inflight++;
    int rc = aio_submit(b->aio, op, b->fd, r->iov, r->niov, sector * BLK_SECTOR, blk_aio_done, r);
    if (rc < 0) {
        b->inflight--;
        vm_log(LOG_DEV, LOG_WARN, "virtio-blk: cannot queue I/O: %s", strerror(-rc));
        blk_finish_locked(r, VIRTIO_BLK_S_IOERR);
    }
}

static void blk_notify(VirtioMmio *vm, unsigned q)
{
    VirtioBlk *b = vm->dev;
    if (q != 0) return;
    for (;;) {
        BlkReq *r = malloc(sizeof(*r));
        if (!r) break;
        r->b = b;
        if (virtq_pop(vm, 0, &r->e) != 1) {
            free(r);
            break;
        }
        blk_handle_locked(b, r);
    }
}

static void blk_drain(VirtioMmio *vm)
{
    VirtioBlk *b = vm->dev;
    while (b->inflight) pthread_cond_wait(&b->idle, &vm->lock);
}

static void blk_reset(VirtioMmio *vm)
{
    /* No DMA into guest memory may follow a reset: wait for in-flight I/O. */
    blk_drain(vm);
}

static void blk_free(VirtioMmio *vm)
{
    VirtioBlk *b = vm->dev;
    aio_free(b->aio); /* drains: completions take vm->lock, not held here */
    if (b->fd >= 0) close(b->fd);
    pthread_cond_destroy(&b->idle);
    free(b);
}

/* The offered features depend on the drive (RO), hence two tables. */
#define BLK_FEATURES                                                              \
    (VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |       \
     VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |        \
     VIRTIO_BIT(VIRTIO_F_EVENT_IDX))
#define BLK_OPS(feat)                                                                \
    { .name = "virtio-blk", .device_id = VIRTIO_ID_BLOCK, .nqueues = 1,              \
      .queue_max = BLK_QUEUE_MAX, .features = (feat), .config_size = 0x3c,           \
      .notify = blk_notify, .reset = blk_reset, .drain = blk_drain, .free = blk_free }
static const VirtioOps blk_ops_rw = BLK_OPS(BLK_FEATURES);
static const VirtioOps blk_ops_ro = BLK_OPS(BLK_FEATURES | VIRTIO_BIT(VIRTIO_BLK_F_RO));

VirtioMmio *virtio_blk_new(PhysMap *pm, IrqLine irq, const VmDrive *drive, Device *dev,
                           char *err, size_t errlen)
{
    if (!drive || !drive->file) {
        snprintf(err, errlen, "virtio-blk: no file given");
        return NULL;
    }
    if (drive->format && strcmp(drive->format, "raw") != 0) {
        snprintf(err, errlen, "virtio-blk: %s: unsupported format '%s' (only raw)", drive->file,
                 drive->format);
        return NULL;
    }
    int fd = open(drive->file, (drive->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "virtio-blk: %s: %s", drive->file, strerror(errno));
        return NULL;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0) {
        snprintf(err, errlen, "virtio-blk: %s: %s", drive->file, strerror(errno));
        close(fd);
        return NULL;
    }
    VirtioBlk *b = calloc(1, sizeof(*b));
    if (b) b->aio = aio_new(false);
    if (!b || !b->aio) {
        snprintf(err, errlen, "virtio-blk: out of memory or threads");
        free(b);
        close(fd);
        return NULL;
    }
    b->fd = fd;
    b->readonly = drive->readonly;
    b->sectors = (uint64_t)size / BLK_SECTOR;
    snprintf(b->serial, sizeof(b->serial), "%s", drive->id ? drive->id : "vm-disk");
    pthread_cond_init(&b->idle, NULL);
    VirtioMmio *vm = virtio_mmio_create(pm, irq, drive->readonly ? &blk_ops_ro : &blk_ops_rw,
                                        b, dev);
    if (!vm) {
        blk_free(&(VirtioMmio){ .dev = b });
        snprintf(err, errlen, "virtio-blk: out of memory");
        return NULL;
    }
    b->vm = vm;
    uint8_t *c = vm->config;
    virtio_put_le64(c + 0, b->sectors);           /* capacity */
    virtio_put_le32(c + 12, BLK_SEG_MAX);         /* seg_max */
    virtio_put_le32(c + 20, BLK_SECTOR);          /* blk_size */
    vm_log(LOG_DEV, LOG_INFO, "virtio-blk: %s, %llu sectors%s, aio %s", drive->file,
           (unsigned long long)b->sectors, b->readonly ? ", read-only" : "",
           aio_uses_uring(b->aio) ? "io_uring" : "threads");
    return vm;
}
