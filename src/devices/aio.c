/* SPDX-License-Identifier: MIT */
/* Async I/O (aio.h): io_uring submissions under a lock and one thread reaping
 * completions; else worker threads doing preadv/pwritev/fdatasync. Completions
 * are delivered on those threads, never on the submitting vCPU thread. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "devices/aio.h"
#include "vm/log.h"

#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

#define AIO_THREADS 4
#define AIO_RING_ENTRIES 256

typedef struct AioReq {
    int op, fd, iovcnt;
    const struct iovec *iov;
    uint64_t off;
    size_t expect;
    AioDone done;
    void *opaque;
    struct AioReq *next;
} AioReq;

struct AioCtx {
    pthread_mutex_t lock;
    pthread_cond_t cond;     /* pool: work queued; both: inflight dropped */
    bool stop, uring;
    unsigned inflight;
    AioReq *head, **tail;    /* pool queue */
    pthread_t threads[AIO_THREADS];
    int nthreads;
#ifdef HAVE_LIBURING
    struct io_uring ring;
#endif
};

static void aio_complete(AioCtx *a, AioReq *r, ssize_t ret)
{
    if (ret >= 0 && r->op != AIO_FSYNC && (size_t)ret != r->expect) ret = -EIO;
    r->done(r->opaque, ret);
    free(r);
    pthread_mutex_lock(&a->lock);
    a->inflight--;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->lock);
}

/* -- Thread pool ----------------------------------------------------------------------- */

static ssize_t aio_do_sync(AioReq *r)
{
    if (r->op == AIO_FSYNC) return fdatasync(r->fd) < 0 ? -errno : 0;
    /* Loop over short transfers with a private copy of the iovecs. */
    struct iovec iov[r->iovcnt > 0 ? r->iovcnt : 1];
    memcpy(iov, r->iov, sizeof(struct iovec) * (size_t)r->iovcnt);
    int first = 0;
    size_t total = 0;
    uint64_t off = r->off;
    while (first < r->iovcnt) {
        ssize_t n = r->op == AIO_READ ? preadv(r->fd, iov + first, r->iovcnt - first, (off_t)off)
                                      : pwritev(r->fd, iov + first, r->iovcnt - first, (off_t)off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) break;
        total += (size_t)n;
        off += (uint64_t)n;
        while (first < r->iovcnt && (size_t)n >= iov[first].iov_len) n -= (ssize_t)iov[first++].iov_len;
        if (first < r->iovcnt) {
            iov[first].iov_base = (uint8_t *)iov[first].iov_base + n;
            iov[first].iov_len -= (size_t)n;
        }
    }
    return (ssize_t)total;
}

static void *aio_worker(void *arg)
{
    AioCtx *a = arg;
    pthread_mutex_lock(&a->lock);
    for (;;) {
        while (!a->head && !a->stop) pthread_cond_wait(&a->cond, &a->lock);
        if (!a->head) break;
        AioReq *r = a->head;
        a->head = r->next;
        if (!a->head) a->tail = &a->head;
        pthread_mutex_unlock(&a->lock);
        aio_complete(a, r, aio_do_sync(r));
        pthread_mutex_lock(&a->lock);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

/* -- io_uring -------------------------------------------------------------------------- */

#ifdef HAVE_LIBURING
static void *aio_reaper(void *arg)
{
    AioCtx *a = arg;
    for (;;) {
        struct io_uring_cqe *cqe;
        int rc = io_uring_wait_cqe(&a->ring, &cqe);
        if (rc == -EINTR || rc == -EAGAIN) continue;
        if (rc < 0) {
            vm_log(LOG_DEV, LOG_ERROR, "aio: io_uring_wait_cqe: %s", strerror(-rc));
            break;
        }
        AioReq *r = io_uring_cqe_get_data(cqe);
        ssize_t res = cqe->res;
        io_uring_cqe_seen(&a->ring, cqe);
        if (!r) break; /* the stop NOP from aio_free */
        aio_complete(a, r, res);
    }
    return NULL;
}

static int aio_uring_submit_locked(AioCtx *a, AioReq *r)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);
    if (!sqe) {
        io_uring_submit(&a->ring);
        sqe = io_uring_get_sqe(&a->ring);
        if (!sqe) return -EAGAIN;
    }
    if (!r) io_uring_prep_nop(sqe);
    else if (r->op == AIO_READ) io_uring_prep_readv(sqe, r->fd, r->iov, (unsigned)r->iovcnt, r->off);
    else if (r->op == AIO_WRITE) io_uring_prep_writev(sqe, r->fd, r->iov, (unsigned)r->iovcnt, r->off);
    else io_uring_prep_fsync(sqe, r->fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data(sqe, r);
    int rc = io_uring_submit(&a->ring);
    return rc < 0 ? rc : 0;
}
#endif

/* -- Interface ------------------------------------------------------------------------- */

AioCtx *aio_new(bool force_threads)
{
    AioCtx *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->cond, NULL);
    a->tail = &a->head;
    const char *env = getenv("VM_AIO");
    if (env && strcmp(env, "threads") == 0) force_threads = true;
#ifdef HAVE_LIBURING
    if (!force_threads && io_uring_queue_init(AIO_RING_ENTRIES, &a->ring, 0) == 0) {
        if (pthread_create(&a->threads[0], NULL, aio_reaper, a) == 0) {
            a->uring = true;
            a->nthreads = 1;
            return a;
        }
        io_uring_queue_exit(&a->ring);
    }
#endif
    for (int i = 0; i < AIO_THREADS; i++) {
        if (pthread_create(&a->threads[i], NULL, aio_worker, a) != 0) break;
        a->nthreads++;
    }
    if (!a->nthreads) {
        free(a);
        return NULL;
    }
    return a;
}

bool aio_uses_uring(const AioCtx *a)
{
    return a->uring;
}

int aio_submit(AioCtx *a, int op, int fd, const struct iovec *iov, int iovcnt, uint64_t off,
               AioDone done, void *opaque)
{
    AioReq *r = calloc(1, sizeof(*r));
    if (!r) return -ENOMEM;
    *r = (AioReq){ .op = op, .fd = fd, .iov = iov, .iovcnt = iovcnt, .off = off, .done = done,
                   .opaque = opaque };
    for (int i = 0; i < iovcnt; i++) r->expect += iov[i].iov_len;
    pthread_mutex_lock(&a->lock);
    a->inflight++;
    int rc = 0;
#ifdef HAVE_LIBURING
    if (a->uring) {
        rc = aio_uring_submit_locked(a, r);
        if (rc < 0) { a->inflight--; free(r); }
        pthread_mutex_unlock(&a->lock);
        return rc;
    }
#endif
    *a->tail = r;
    a->tail = &r->next;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->lock);
    return rc;
}

void aio_free(AioCtx *a)
{
    if (!a) return;
    pthread_mutex_lock(&a->lock);
    while (a->inflight) pthread_cond_wait(&a->cond, &a->lock);
    a->stop = true;
#ifdef HAVE_LIBURING
    if (a->uring) aio_uring_submit_locked(a, NULL);
#endif
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->lock);
    for (int i = 0; i < a->nthreads; i++) pthread_join(a->threads[i], NULL);
#ifdef HAVE_LIBURING
    if (a->uring) io_uring_queue_exit(&a->ring);
#endif
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    free(a);
}
