/* SPDX-License-Identifier: MIT */
/* Asynchronous file I/O for block devices: io_uring (liburing) with a reaper
 * thread, or a small thread pool where io_uring is missing or refused. */
#ifndef VM_DEVICES_AIO_H
#define VM_DEVICES_AIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct AioCtx AioCtx;
/* Runs on the completion thread: ret = bytes transferred or -errno. */
typedef void (*AioDone)(void *opaque, ssize_t ret);

enum { AIO_READ, AIO_WRITE, AIO_FSYNC };

/* force_threads: use the pool even when io_uring works (VM_AIO=threads does too). */
AioCtx *aio_new(bool force_threads);
/* Waits for every submitted request to complete, then frees. */
void aio_free(AioCtx *a);
bool aio_uses_uring(const AioCtx *a);
/* iov must stay valid until done runs. A short transfer is reported as -EIO.
 * 0, or -errno when the request could not be queued (done is not called). */
int aio_submit(AioCtx *a, int op, int fd, const struct iovec *iov, int iovcnt, uint64_t off,
               AioDone done, void *opaque);

#endif
