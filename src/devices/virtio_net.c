/* SPDX-License-Identifier: MIT */
/* virtio-net (virtio 1.2 section 5.1) on libslirp user-mode networking. All
 * slirp calls happen on one net thread (its poll loop, timers, TX); guest
 * frames are copied out of the TX queue under the device lock first. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "config.h"
#include "devices/virtio_int.h"
#include "vm/log.h"

#ifdef HAVE_LIBSLIRP
#include <arpa/inet.h>
#include <libslirp.h>

#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1
#define NET_HDR 12 /* section 5.1.6: struct virtio_net_hdr incl. num_buffers */
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_MAX_FRAME 65562
#define NET_PENDING_MAX 64
#define NET_MAX_TIMERS 16
#define NET_MAX_FDS 256

typedef struct NetTimer {
    SlirpTimerCb cb;
    void *cb_opaque;
    int64_t expire_ms; /* -1 = not armed */
    bool used;
} NetTimer;

typedef struct NetFrame {
    struct NetFrame *next;
    size_t len;
    uint8_t data[];
} NetFrame;

typedef struct VirtioNet {
    VirtioMmio *vm;
    Slirp *slirp;
    pthread_t thread;
    bool started, stop;
    int efd; /* wakes the net thread: TX kick, slirp notify, stop */
    NetTimer timers[NET_MAX_TIMERS];
    NetFrame *pending, **pending_tail; /* RX frames waiting for guest buffers (vm->lock) */
    unsigned npending;
    struct pollfd fds[NET_MAX_FDS];
    unsigned nfds;
} VirtioNet;

static int64_t net_clock_ns(void *opaque)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void net_wake(VirtioNet *n)
{
    uint64_t one = 1;
    ssize_t r = write(n->efd, &one, sizeof(one));
    (void)r;
}

/* -- RX: slirp -> guest (vm->lock held) --------------------------------------------- */

static bool net_deliver_locked(VirtioNet *n, const uint8_t *buf, size_t len)
{
    VirtioMmio *vm = n->vm;
    if (!virtq_has_avail(vm, NET_RXQ)) return false;
    VirtqElem *e = malloc(sizeof(*e));
    if (!e) return false;
    if (virtq_pop(vm, NET_RXQ, e) != 1) { free(e); return false; }
    if (e->in_len < NET_HDR + len) {
        /* Without MRG_RXBUF each buffer must hold a whole frame: drop it. */
        vm_log(LOG_DEV, LOG_DEBUG, "virtio-net: rx buffer too small, frame dropped");
        virtq_push(vm, NET_RXQ, e->head, 0);
    } else {
        uint8_t hdr[NET_HDR] = { 0 };
        virtio_put_le16(hdr + 10, 1); /* num_buffers */
        virtio_iov_from_buf(e->in, e->nin, 0, hdr, NET_HDR);
        virtio_iov_from_buf(e->in, e->nin, NET_HDR, buf, len);
        virtq_push(vm, NET_RXQ, e->head, (uint32_t)(NET_HDR + len));
    }
    virtq_notify(vm, NET_RXQ);
    free(e);
    return true;
}

static void net_flush_pending_locked(VirtioNet *n)
{
    while (n->pending && net_deliver_locked(n, n->pending->data, n->pending->len)) {
        NetFrame *f = n->pending;
        n->pending = f->next;
        if (!n->pending) n->pending_tail = &n->pending;
        n->npending--;
        free(f);
    }
}

static ssize_t net_send_packet(const void *buf, size_t len, void *opaque)
{
    VirtioNet *n = opaque;
    pthread_mutex_lock(&n->vm->lock);
    if (virtio_running(n->vm)) {
        net_flush_pending_locked(n);
        if (n->pending || !net_deliver_locked(n, buf, len)) {
            /* No guest buffer now: keep a few frames, drop beyond that. */
            NetFrame *f = n->npending < NET_PENDING_MAX ? malloc(sizeof(*f) + len) : NULL;
            if (f) {
                f->next = NULL;
                f->len = len;
                memcpy(f->data, buf, len);
                *n->pending_tail = f;
                n->pending_tail = &f->next;
                n->npending++;
            }
        }
    }
    pthread_mutex_unlock(&n->vm->lock);
    return (ssize_t)len;
}

/* -- TX: guest -> slirp (net thread) ------------------------------------------------- */

static void net_process_tx(VirtioNet *n)
{
    NetFrame *head = NULL, **tail = &head;
    VirtqElem *e = malloc(sizeof(*e));
    if (!e) return;
    pthread_mutex_lock(&n->vm->lock);
    bool any = false;
    while (virtq_pop(n->vm, NET_TXQ, e) == 1) {
        any = true;
        if (e->out_len > NET_HDR && e->out_len - NET_HDR <= NET_MAX_FRAME) {
            size_t len = e->out_len - NET_HDR;
            NetFrame *f = malloc(sizeof(*f) + len);
            if (f) {
                f->next = NULL;
                f->len = virtio_iov_to_buf(e->out, e->nout, NET_HDR, f->data, len);
                *tail = f;
                tail = &f->next;
            }
        } else if (logd_enabled(LOGD_GUEST_ERRORS)) {
            log_write(LOG_DEV, LOG_WARN, "virtio-net: tx frame of %zu bytes dropped", e->out_len);
        }
        virtq_push(n->vm, NET_TXQ, e->head, 0);
    }
    if (any) virtq_notify(n->vm, NET_TXQ);
    pthread_mutex_unlock(&n->vm->lock);
    free(e);
    while (head) {
        NetFrame *f = head;
        head = f->next;
        slirp_input(n->slirp, f->data, (int)f->len);
        free(f);
    }
}

/* -- The net thread -------------------------------------------------------------------- */

static void *net_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    VirtioNet *n = opaque;
    for (int i = 0; i < NET_MAX_TIMERS; i++) {
        if (!n->timers[i].used) {
            n->timers[i] = (NetTimer){ .cb = cb, .cb_opaque = cb_opaque, .expire_ms = -1, .used = true };
            return &n->timers[i];
        }
    }
    vm_log(LOG_DEV, LOG_ERROR, "virtio-net: out of slirp timers");
    return NULL;
}

static void net_timer_free(void *t, void *opaque)
{
    if (t) ((NetTimer *)t)->used = false;
}

static void net_timer_mod(void *t, int64_t expire_ms, void *opaque)
{
    if (t) ((NetTimer *)t)->expire_ms = expire_ms;
}

static void net_register_fd(int fd, void *opaque) {}
static void net_unregister_fd(int fd, void *opaque) {}
static void net_notify(void *opaque) { net_wake(opaque); }

static void net_guest_error(const char *msg, void *opaque)
{
    if (logd_enabled(LOGD_GUEST_ERRORS)) log_write(LOG_DEV, LOG_WARN, "slirp: %s", msg);
}

static int net_add_poll(int fd, int events, void *opaque)
{
    VirtioNet *n = opaque;
    if (n->nfds >= NET_MAX_FDS) return -1;
    short ev = 0;
    if (events & SLIRP_POLL_IN) ev |= POLLIN;
    if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
    n->fds[n->nfds] = (struct pollfd){ .fd = fd, .events = ev };
    return (int)n->nfds++;
}

static int net_get_revents(int idx, void *opaque)
{
    VirtioNet *n = opaque;
    if (idx < 0 || (unsigned)idx >= n->nfds) return 0;
    short r = n->fds[idx].revents;
    int ev = 0;
    if (r & POLLIN) ev |= SLIRP_POLL_IN;
    if (r & POLLOUT) ev |= SLIRP_POLL_OUT;
    if (r & POLLPRI) ev |= SLIRP_POLL_PRI;
    if (r & POLLERR) ev |= SLIRP_POLL_ERR;
    if (r & POLLHUP) ev |= SLIRP_POLL_HUP;
    return ev;
}

static void *net_thread(void *arg)
{
    VirtioNet *n = arg;
    for (;;) {
        pthread_mutex_lock(&n->vm->lock);
        bool stop = n->stop;
        pthread_mutex_unlock(&n->vm->lock);
        if (stop) break;
        uint32_t timeout = 1000;
        int64_t now_ms = net_clock_ns(NULL) / 1000000;
        for (int i = 0; i < NET_MAX_TIMERS; i++) {
            NetTimer *t = &n->timers[i];
            if (t->used && t->expire_ms >= 0) {
                int64_t d = t->expire_ms - now_ms;
                if (d < 0) d = 0;
                if (d < timeout) timeout = (uint32_t)d;
            }
        }
        n->nfds = 0;
        net_add_poll(n->efd, SLIRP_POLL_IN, n);
        slirp_pollfds_fill(n->slirp, &timeout, net_add_poll, n);
        int rc = poll(n->fds, n->nfds, (int)timeout);
        if (n->fds[0].revents & POLLIN) {
            uint64_t v;
            ssize_t r = read(n->efd, &v, sizeof(v));
            (void)r;
        }
        slirp_pollfds_poll(n->slirp, rc < 0, net_get_revents, n);
        now_ms = net_clock_ns(NULL) / 1000000;
        for (int i = 0; i < NET_MAX_TIMERS; i++) {
            NetTimer *t = &n->timers[i];
            if (t->used && t->expire_ms >= 0 && t->expire_ms <= now_ms) {
                t->expire_ms = -1;
                t->cb(t->cb_opaque);
            }
        }
        net_process_tx(n);
    }
    return NULL;
}

static const SlirpCb net_slirp_cb = {
    .send_packet = net_send_packet,
    .guest_error = net_guest_error,
    .clock_get_ns = net_clock_ns,
    .timer_new = net_timer_new,
    .timer_free = net_timer_free,
    .timer_mod = net_timer_mod,
    .register_poll_fd = net_register_fd,
    .unregister_poll_fd = net_unregister_fd,
    .notify = net_notify,
};

/* -- Device hooks ---------------------------------------------------------------------- */

static void net_notify_q(VirtioMmio *vm, unsigned q)
{
    VirtioNet *n = vm->dev;
    if (q == NET_RXQ) net_flush_pending_locked(n);
    else net_wake(n); /* TX runs on the net thread, where slirp lives */
}

static void net_reset(VirtioMmio *vm)
{
    VirtioNet *n = vm->dev;
    while (n->pending) {
        NetFrame *f = n->pending;
        n->pending = f->next;
        free(f);
    }
    n->pending_tail = &n->pending;
    n->npending = 0;
}

static void net_free(VirtioMmio *vm)
{
    VirtioNet *n = vm->dev;
    if (n->started) {
        pthread_mutex_lock(&vm->lock);
        n->stop = true;
        pthread_mutex_unlock(&vm->lock);
        net_wake(n);
        pthread_join(n->thread, NULL);
    }
    if (n->slirp) slirp_cleanup(n->slirp);
    net_reset(vm);
    if (n->efd >= 0) close(n->efd);
    free(n);
}

static const VirtioOps net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .nqueues = 2,
    .queue_max = 256,
    .features = VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
                VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
    .config_size = 8,
    .notify = net_notify_q,
    .reset = net_reset,
    .free = net_free,
};

/* "tcp:[HADDR]:HPORT-[GADDR]:GPORT" (or udp:). */
static int net_add_hostfwd(VirtioNet *n, const char *spec, char *err, size_t errlen)
{
    char buf[256], *p, *haddr, *hport, *gaddr, *gport;
    snprintf(buf, sizeof(buf), "%s", spec);
    bool udp = false;
    if (strncmp(buf, "tcp:", 4) == 0) p = buf + 4;
    else if (strncmp(buf, "udp:", 4) == 0) { p = buf + 4; udp = true; }
    else p = buf;
    haddr = p;
    if (!(hport = strchr(haddr, ':'))) goto bad;
    *hport++ = 0;
    if (!(gaddr = strchr(hport, '-'))) goto bad;
    *gaddr++ = 0;
    if (!(gport = strchr(gaddr, ':'))) goto bad;
    *gport++ = 0;
    struct in_addr ha = { .s_addr = INADDR_ANY }, ga;
    inet_pton(AF_INET, "10.0.2.15", &ga);
    if (*haddr && inet_pton(AF_INET, haddr, &ha) != 1) goto bad;
    if (*gaddr && inet_pton(AF_INET, gaddr, &ga) != 1) goto bad;
    char *end;
    long hp = strtol(hport, &end, 10);
    if (*end || hp < 0 || hp > 65535) goto bad;
    long gp = strtol(gport, &end, 10);
    if (*end || gp <= 0 || gp > 65535) goto bad;
    if (slirp_add_hostfwd(n->slirp, udp, ha, (int)hp, ga, (int)gp) < 0) {
        snprintf(err, errlen, "virtio-net: hostfwd %s: cannot forward (port in use?)", spec);
        return -1;
    }
    return 0;
bad:
    snprintf(err, errlen, "virtio-net: bad hostfwd '%s' (want tcp:[HADDR]:HPORT-[GADDR]:GPORT)",
             spec);
    return -1;
}

VirtioMmio *virtio_net_new(PhysMap *pm, IrqLine irq, const VmNetdev *nd, const uint8_t mac[6],
                           Device *dev, char *err, size_t errlen)
{
    static const uint8_t default_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    if (nd && nd->type && strcmp(nd->type, "user") != 0) {
        snprintf(err, errlen, "virtio-net: netdev type '%s' unsupported (only user)", nd->type);
        return NULL;
    }
    VirtioNet *n = calloc(1, sizeof(*n));
    if (!n) { snprintf(err, errlen, "virtio-net: out of memory"); return NULL; }
    n->pending_tail = &n->pending;
    n->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    VirtioMmio *vm = n->efd >= 0 ? virtio_mmio_create(pm, irq, &net_ops, n, dev) : NULL;
    if (!vm) {
        snprintf(err, errlen, "virtio-net: out of memory or file descriptors");
        if (n->efd >= 0) close(n->efd);
        free(n);
        return NULL;
    }
    n->vm = vm;
    memcpy(vm->config, mac ? mac : default_mac, 6);
    virtio_put_le16(vm->config + 6, VIRTIO_NET_S_LINK_UP);

    SlirpConfig cfg = { .version = 1, .in_enabled = true, .if_mtu = 1500, .if_mru = 1500 };
    inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
    inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
    inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
    cfg.vhostname = "vm";
    n->slirp = slirp_new(&cfg, &net_slirp_cb, n);
    if (!n->slirp) {
        snprintf(err, errlen, "virtio-net: slirp_new failed");
        dev->free(vm);
        return NULL;
    }
    for (int i = 0; nd && i < nd->nhostfwd; i++) {
        if (net_add_hostfwd(n, nd->hostfwd[i], err, errlen) < 0) {
            dev->free(vm);
            return NULL;
        }
    }
    if (pthread_create(&n->thread, NULL, net_thread, n) != 0) {
        snprintf(err, errlen, "virtio-net: cannot start its thread");
        dev->free(vm);
        return NULL;
    }
    n->started = true;
    return vm;
}

#else /* !HAVE_LIBSLIRP */

VirtioMmio *virtio_net_new(PhysMap *pm, IrqLine irq, const VmNetdev *nd, const uint8_t mac[6],
                           Device *dev, char *err, size_t errlen)
{
    snprintf(err, errlen, "virtio-net: built without libslirp");
    return NULL;
}

#endif
