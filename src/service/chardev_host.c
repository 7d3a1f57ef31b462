/* SPDX-License-Identifier: MIT */
/* Host side of the serial console (include/vm/chardev.h): stdio in raw mode
 * with QEMU's Ctrl-A escapes (Ctrl-A c hands the terminal to the monitor),
 * file:F (output only), unix:PATH sockets. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "service/sys_int.h"
#include "vm/log.h"
#include "vm/options.h"

/* -- The terminal ---------------------------------------------------------------------- */

static struct termios term_saved;
static volatile sig_atomic_t term_is_raw;

void sys_term_restore(void)
{
    /* tcsetattr is async-signal-safe: fatal-signal handlers call this too. */
    if (term_is_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
        term_is_raw = 0;
    }
}

void sys_term_raw(void)
{
    if (term_is_raw || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &term_saved)) return;
    struct termios t = term_saved;
    /* Every key goes to the guest (Ctrl-C included: ISIG off); output keeps
     * OPOST so the host's newline handling stays as the user had it. */
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
        term_is_raw = 1;
        atexit(sys_term_restore);
    }
}

/* -- Backends ---------------------------------------------------------------------------- */

typedef enum { SYS_CHAR_STDIO, SYS_CHAR_FILE, SYS_CHAR_UNIX } SysCharKind;

enum { SYS_CHAR_PEND = 4096 };
/* Guest output kept while the monitor has the terminal (the latest bytes win). */
enum { SYS_CHAR_HELD = 64 * 1024 };

struct SysChar {
    CharDev dev;
    SysCharKind kind;
    int in_fd;   /* -1 = no input */
    int out_fd;  /* -1 = output dropped */
    int listen_fd; /* unix server: waiting for a client */
    int wake_fd;
    bool escape;   /* stdio: Ctrl-A seen */
    pthread_mutex_t out_lock;
    SysQuitFn quit;
    void *quit_opaque;
    uint8_t pend[SYS_CHAR_PEND]; /* input the device could not take yet */
    size_t npend;
    struct { SysCharWatchFn fn; void *opaque; } watch[SYS_CHAR_MAX_WATCH];
    int nwatch;
    /* stdio shared with the monitor (sys_char_mux_monitor). mon_active is
     * written on the main thread under out_lock, read by writers under it. */
    SysCharMonFn mon_input;
    SysCharFocusFn mon_focus;
    void *mon_opaque;
    bool mon_active;       /* the keyboard and the screen belong to the monitor */
    uint8_t *held;         /* guest output while mon_active, SYS_CHAR_HELD bytes */
    size_t nheld;
    uint64_t held_dropped; /* bytes that did not fit (the oldest are dropped) */
};

/* Writes to the host side; the caller holds out_lock. */
static void sys_char_out_locked(SysChar *c, const uint8_t *buf, size_t n)
{
    int fd = c->out_fd;
    while (fd >= 0 && n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        /* A serial line has no flow control: what the host refuses is dropped. */
        if (w <= 0) break;
        buf += w;
        n -= (size_t)w;
    }
}

/* Keeps guest output while the monitor owns the terminal, so the monitor's
 * prompt and answers are not interleaved with it; the newest bytes are kept. */
static void sys_char_hold_locked(SysChar *c, const uint8_t *buf, size_t n)
{
    if (!c->held) return; /* allocated with the mux: cannot be missing here */
    if (n >= SYS_CHAR_HELD) {
        c->held_dropped += c->nheld + (n - SYS_CHAR_HELD);
        memcpy(c->held, buf + (n - SYS_CHAR_HELD), SYS_CHAR_HELD);
        c->nheld = SYS_CHAR_HELD;
        return;
    }
    if (c->nheld + n > SYS_CHAR_HELD) {
        size_t drop = c->nheld + n - SYS_CHAR_HELD;
        memmove(c->held, c->held + drop, c->nheld - drop);
        c->nheld -= drop;
        c->held_dropped += drop;
    }
    memcpy(c->held + c->nheld, buf, n);
    c->nheld += n;
}

static void sys_char_write(CharDev *cd, const uint8_t *buf, size_t n)
{
    SysChar *c = cd->be_opaque;
    pthread_mutex_lock(&c->out_lock);
    for (int i = 0; i < c->nwatch; i++) c->watch[i].fn(c->watch[i].opaque, buf, n);
    if (c->mon_active)
        sys_char_hold_locked(c, buf, n);
    else
        sys_char_out_locked(c, buf, n);
    pthread_mutex_unlock(&c->out_lock);
}

/* Text from vm itself (escape help, the monitor): straight to the host,
 * past the output watchers and the held guest output. */
void sys_char_host_write(SysChar *c, const void *buf, size_t n)
{
    pthread_mutex_lock(&c->out_lock);
    sys_char_out_locked(c, buf, n);
    pthread_mutex_unlock(&c->out_lock);
}

int sys_char_mux_monitor(SysChar *c, SysCharMonFn input, SysCharFocusFn focus, void *opaque,
                         bool active)
{
    if (c->kind != SYS_CHAR_STDIO) return -1;
    uint8_t *held = malloc(SYS_CHAR_HELD);
    if (!held) return -1;
    pthread_mutex_lock(&c->out_lock);
    c->held = held;
    c->mon_input = input;
    c->mon_focus = focus;
    c->mon_opaque = opaque;
    c->mon_active = active;
    pthread_mutex_unlock(&c->out_lock);
    return 0;
}

/* Ctrl-A c: hands the terminal to the monitor, or back to the console with
 * the guest output that was held meanwhile. */
static void sys_char_toggle_monitor(SysChar *c)
{
    static const char none[] = "\r\n[vm: no monitor on this terminal (-monitor none)]\r\n";
    if (!c->mon_input) {
        sys_char_host_write(c, none, sizeof(none) - 1);
        return;
    }
    pthread_mutex_lock(&c->out_lock);
    bool to_monitor = !c->mon_active;
    c->mon_active = to_monitor;
    if (!to_monitor) {
        char note[128];
        int k = 0;
        if (c->held_dropped)
            k = snprintf(note, sizeof(note), "\r\n[vm: %llu bytes of console output were dropped "
                         "while in the monitor]\r\n", (unsigned long long)c->held_dropped);
        sys_char_out_locked(c, (const uint8_t *)"\r\n", 2);
        if (k > 0) sys_char_out_locked(c, (const uint8_t *)note, (size_t)k);
        sys_char_out_locked(c, c->held, c->nheld);
        c->nheld = 0;
        c->held_dropped = 0;
    }
    pthread_mutex_unlock(&c->out_lock);
    if (c->mon_focus) c->mon_focus(c->mon_opaque, to_monitor);
}

static void sys_char_read_ready(CharDev *cd)
{
    SysChar *c = cd->be_opaque;
    uint8_t b = 1;
    if (c->wake_fd >= 0 && write(c->wake_fd, &b, 1) < 0) { /* the loop polls anyway */ }
}

/* spec: "PATH[,server[,wait]]" ("nowait" after server is accepted and is the
 * default, as -serial always had it). label names the option in messages. */
static int sys_unix_open(SysChar *c, const char *spec, const char *label, char *err, size_t errlen)
{
    char path[108];
    const char *comma = strchr(spec, ',');
    size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
    bool server = comma && !strncmp(comma + 1, "server", 6);
    bool wait = server && strstr(comma + 1, ",wait") != NULL;
    if (!n || n >= sizeof(path)) {
        snprintf(err, errlen, "%s: bad socket path (at most %zu bytes)", label, sizeof(path) - 1);
        return -1;
    }
    memcpy(path, spec, n);
    path[n] = 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) goto fail;
    if (server) {
        unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) goto fail;
        if (wait) {
            /* QEMU's server=on,wait=on: the guest starts once a client is
             * there, so it sees all the output from the first byte. */
            fprintf(stderr, "vm: %s: waiting for a connection on %s\n", label, path);
            int cfd;
            do cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
            while (cfd < 0 && errno == EINTR);
            if (cfd < 0) goto fail;
            close(fd);
            c->in_fd = c->out_fd = cfd;
            return 0;
        }
        c->listen_fd = fd;
        return 0;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) goto fail;
    c->in_fd = c->out_fd = fd;
    return 0;
fail:
    snprintf(err, errlen, "%s: %s", label, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
}

/* label: how messages name the option ("-serial unix:P", "-chardev socket,..."). */
static SysChar *sys_char_open_as(const char *spec, const char *label, int wake_fd, SysQuitFn quit,
                                 void *quit_opaque, char *err, size_t errlen)
{
    SysChar *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->in_fd = c->out_fd = c->listen_fd = -1;
    c->wake_fd = wake_fd;
    c->quit = quit;
    c->quit_opaque = quit_opaque;
    pthread_mutex_init(&c->out_lock, NULL);
    c->dev.write = sys_char_write;
    c->dev.read_ready = sys_char_read_ready;
    c->dev.be_opaque = c;
    if (!strcmp(spec, "stdio")) {
        c->kind = SYS_CHAR_STDIO;
        c->in_fd = STDIN_FILENO;
        c->out_fd = STDOUT_FILENO;
    } else if (!strncmp(spec, "file:", 5) && spec[5]) {
        c->kind = SYS_CHAR_FILE;
        c->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (c->out_fd < 0) {
            snprintf(err, errlen, "%s: %s", label, strerror(errno));
            free(c);
            return NULL;
        }
    } else if (!strncmp(spec, "unix:", 5)) {
        c->kind = SYS_CHAR_UNIX;
        if (sys_unix_open(c, spec + 5, label, err, errlen)) {
            free(c);
            return NULL;
        }
    } else {
        snprintf(err, errlen, "%s: expected stdio, file:PATH, unix:PATH or none", label);
        free(c);
        return NULL;
    }
    return c;
}

SysChar *sys_char_open(const char *spec, int wake_fd, SysQuitFn quit, void *quit_opaque,
                       char *err, size_t errlen)
{
    char label[160];
    snprintf(label, sizeof(label), "-serial %s", spec);
    return sys_char_open_as(spec, label, wake_fd, quit, quit_opaque, err, errlen);
}

CharDev *sys_char_dev(SysChar *c) { return &c->dev; }

int sys_char_watch(SysChar *c, SysCharWatchFn fn, void *opaque)
{
    pthread_mutex_lock(&c->out_lock);
    int r = -1;
    if (c->nwatch < SYS_CHAR_MAX_WATCH) {
        c->watch[c->nwatch].fn = fn;
        c->watch[c->nwatch++].opaque = opaque;
        r = 0;
    }
    pthread_mutex_unlock(&c->out_lock);
    return r;
}

void sys_char_unwatch(SysChar *c, SysCharWatchFn fn, void *opaque)
{
    pthread_mutex_lock(&c->out_lock);
    for (int i = 0; i < c->nwatch; i++)
        if (c->watch[i].fn == fn && c->watch[i].opaque == opaque) {
            c->watch[i] = c->watch[--c->nwatch];
            break;
        }
    pthread_mutex_unlock(&c->out_lock);
}

int sys_char_pollfd(SysChar *c, struct pollfd *p)
{
    int fd = c->in_fd >= 0 ? c->in_fd : c->listen_fd;
    /* While the device is full, stop reading: the host buffers for us. The
     * monitor still reads its keys (the guest may be stopped, never draining). */
    if (fd < 0 || (c->npend && fd == c->in_fd && !c->mon_active)) return 0;
    p->fd = fd;
    p->events = POLLIN;
    p->revents = 0;
    return 1;
}

bool sys_char_pending(SysChar *c) { return c->npend > 0; }

static void sys_char_flush_pending(SysChar *c)
{
    while (c->npend) {
        size_t n = chardev_deliver(&c->dev, c->pend, c->npend);
        if (!n) break;
        memmove(c->pend, c->pend + n, c->npend - n);
        c->npend -= n;
    }
}

static void sys_char_queue(SysChar *c, const uint8_t *buf, size_t n)
{
    if (!c->npend) {
        size_t d = chardev_deliver(&c->dev, buf, n);
        buf += d;
        n -= d;
    }
    if (n > sizeof(c->pend) - c->npend) n = sizeof(c->pend) - c->npend; /* typed far ahead: drop */
    memcpy(c->pend + c->npend, buf, n);
    c->npend += n;
}

static const char sys_escape_help[] =
    "\r\nC-a h    print this help\r\n"
    "C-a x    exit vm\r\n"
    "C-a c    switch between the console and the monitor (guest output is held\r\n"
    "         while the monitor has the terminal, and shown when you come back)\r\n"
    "C-a a    send C-a to the guest\r\n"
    "C-a t    (ignored: no timestamps)\r\n";

/* Delivers the k bytes collected in out to whoever has the keyboard. */
static void sys_char_stdio_flush(SysChar *c, const uint8_t *out, size_t k)
{
    if (!k) return;
    if (c->mon_active)
        c->mon_input(c->mon_opaque, out, k);
    else
        sys_char_queue(c, out, k);
}

/* Ctrl-A x/h/a/c as in QEMU's -nographic console; other keys after Ctrl-A are
 * passed through with it. While the monitor has the terminal, keys go to it. */
static void sys_char_stdio_input(SysChar *c, const uint8_t *buf, size_t n)
{
    uint8_t out[512];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = buf[i];
        if (c->escape) {
            c->escape = false;
            if (ch == 'x' || ch == 'X') {
                sys_char_stdio_flush(c, out, k);
                k = 0;
                if (c->quit) c->quit(c->quit_opaque);
                continue;
            }
            if (ch == 'h' || ch == 'H' || ch == '?') {
                sys_char_host_write(c, sys_escape_help, sizeof(sys_escape_help) - 1);
                continue;
            }
            if (ch == 'c' || ch == 'C') {
                sys_char_stdio_flush(c, out, k);
                k = 0;
                sys_char_toggle_monitor(c);
                continue;
            }
            if (ch == 't' || ch == 'T') continue;
            out[k++] = 1; /* C-a a / C-a C-a: one C-a; other keys: both */
            if (ch != 'a' && ch != 1) out[k++] = ch;
        } else if (ch == 1) {
            c->escape = true;
            continue;
        } else {
            out[k++] = ch;
        }
        if (k >= sizeof(out) - 2) {
            sys_char_stdio_flush(c, out, k);
            k = 0;
        }
    }
    sys_char_stdio_flush(c, out, k);
}

void sys_char_service(SysChar *c, const struct pollfd *p)
{
    sys_char_flush_pending(c);
    if (!p || !(p->revents & (POLLIN | POLLHUP | POLLERR))) return;
    if (p->fd == c->listen_fd && c->in_fd < 0) {
        int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            pthread_mutex_lock(&c->out_lock);
            c->in_fd = c->out_fd = fd;
            pthread_mutex_unlock(&c->out_lock);
        }
        return;
    }
    uint8_t buf[1024];
    ssize_t n = read(p->fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        /* EOF: stdin closed (tests use </dev/null) or the client left. The guest
         * keeps running; a server socket waits for the next client. */
        pthread_mutex_lock(&c->out_lock);
        if (c->kind == SYS_CHAR_UNIX) {
            close(c->in_fd);
            c->out_fd = -1;
        }
        c->in_fd = -1;
        pthread_mutex_unlock(&c->out_lock);
        return;
    }
    if (c->kind == SYS_CHAR_STDIO)
        sys_char_stdio_input(c, buf, (size_t)n);
    else
        sys_char_queue(c, buf, (size_t)n);
}

void sys_char_close(SysChar *c)
{
    if (!c) return;
    if (c->kind == SYS_CHAR_FILE && c->out_fd >= 0) close(c->out_fd);
    if (c->kind == SYS_CHAR_UNIX) {
        if (c->in_fd >= 0) close(c->in_fd);
        if (c->listen_fd >= 0) close(c->listen_fd);
    }
    free(c->held);
    free(c);
}

void sys_char_inject(SysChar *c, const uint8_t *buf, size_t n)
{
    while (n) {
        size_t k = n < sizeof(c->pend) ? n : sizeof(c->pend);
        sys_char_queue(c, buf, k);
        buf += k;
        n -= k;
    }
}

/* -- -chardev: the backends devices name with chardev=ID ------------------------------ */

static struct {
    SysChar *c[VM_MAX_CHARDEVS]; /* NULL: the null backend */
    CharDev *dev[VM_MAX_CHARDEVS];
    int n;
    int poll_at[VM_MAX_CHARDEVS]; /* index in the latest sys_chardevs_pollfds, or -1 */
} sys_chardevs;

int sys_chardevs_open(const VmOptions *o, int wake_fd, SysQuitFn quit, CharDev ***devs, bool *stdio)
{
    char err[512], label[160];
    for (int i = 0; i < o->nchardevs; i++) {
        const VmChardev *vc = &o->chardevs[i];
        SysChar *c = NULL;
        if (vc->spec) {
            snprintf(label, sizeof(label), "-chardev %s", vc->arg);
            c = sys_char_open_as(vc->spec, label, wake_fd, quit, NULL, err, sizeof(err));
            if (!c) {
                vm_error("%s", err);
                return -1;
            }
            if (c->kind == SYS_CHAR_STDIO) *stdio = true;
        }
        sys_chardevs.c[i] = c;
        sys_chardevs.dev[i] = c ? &c->dev : NULL;
        sys_chardevs.n = i + 1;
    }
    *devs = sys_chardevs.dev;
    return 0;
}

int sys_chardevs_pollfds(struct pollfd *p)
{
    int n = 0;
    for (int i = 0; i < sys_chardevs.n; i++) {
        sys_chardevs.poll_at[i] = -1;
        if (sys_chardevs.c[i] && sys_char_pollfd(sys_chardevs.c[i], &p[n])) sys_chardevs.poll_at[i] = n++;
    }
    return n;
}

void sys_chardevs_service(const struct pollfd *p)
{
    for (int i = 0; i < sys_chardevs.n; i++)
        if (sys_chardevs.c[i])
            sys_char_service(sys_chardevs.c[i], sys_chardevs.poll_at[i] >= 0 ? &p[sys_chardevs.poll_at[i]] : NULL);
}

bool sys_chardevs_pending(void)
{
    for (int i = 0; i < sys_chardevs.n; i++)
        if (sys_chardevs.c[i] && sys_char_pending(sys_chardevs.c[i])) return true;
    return false;
}
