/* SPDX-License-Identifier: MIT */
/* The gdb stub in user mode (-g PORT): waits for gdb before the first
 * instruction, then talks to it on the vCPU thread whenever the program stops
 * (breakpoint, step, watchpoint, Ctrl-C). One vCPU = thread 1. While the
 * program runs, a helper thread only polls the connection: data from gdb
 * (Ctrl-C) makes the vCPU leave guest code, and the vCPU thread reads it.
 * Watchpoints are write watchpoints served by single-stepping with value
 * compares (gdbstub.h); read and access watchpoints are refused. Guest
 * signals stop the program before they act (as under ptrace): gdb sees
 * them and says which signal, if any, the program gets instead. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "user/user_int.h"
#include "vm/gdbstub.h"
#include "vm/log.h"

typedef struct GdbUser {
    LxProc *p;
    CpuState *cpu;
    int cfd;
    GdbStub *stub;
    bool want_stop;  /* Ctrl-C read from gdb */
    bool gone;       /* connection failed or client left */
    uint64_t bp_sig;
    /* The poll thread: watching while the guest runs. */
    pthread_t thr;
    bool thr_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool watching;
    volatile int data_ready;
    /* The signal gdb passed on its last resume (Linux numbering, 0: none). */
    int resume_sig;
    int unreported;  /* a signal gdb itself sent: delivered without a stop */
} GdbUser;

static GdbUser gu = {.cfd = -1, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
bool gdb_user_on;

/* -- Guest memory, without faulting on unmapped pages --------------------------------- */

static int mem_read(void *opaque, uint64_t va, void *buf, size_t len)
{
    return lx_copy_from(gu.p, buf, va, len) ? -EFAULT : 0;
}

static int mem_write(void *opaque, uint64_t va, const void *buf, size_t len)
{
    if (lx_copy_to(gu.p, va, buf, len)) return -EFAULT;
    if (gu.p->engine->invalidate) gu.p->engine->invalidate(va, len);
    return 0;
}

/* -- GdbOps ------------------------------------------------------------------------------ */

static void op_send(void *opaque, const void *buf, size_t len)
{
    if (!gu.gone && gdb_send_all(gu.cfd, buf, len)) gu.gone = true;
}

static int op_threads(void *opaque, int *tids, int max)
{
    if (max < 1) return 0;
    tids[0] = 1;
    return 1;
}

static const char *op_xml(void *opaque) { return gu.cpu->arch->gdb_xml(gu.cpu); }
static unsigned op_g_count(void *opaque, int tid) { return gu.cpu->arch->gdb_g_count(gu.cpu); }

static unsigned op_read_reg(void *opaque, int tid, unsigned n, uint8_t *buf)
{
    return gu.cpu->arch->gdb_read_reg(gu.cpu, n, buf);
}

static int op_write_reg(void *opaque, int tid, unsigned n, const uint8_t *buf, unsigned len)
{
    return gu.cpu->arch->gdb_write_reg(gu.cpu, n, buf, len);
}

/* Page by page: a range running into an unmapped page gives what precedes it. */
static long op_mem(uint64_t addr, uint8_t *rbuf, const uint8_t *wbuf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint64_t va = addr + done;
        size_t n = (size_t)(LX_PAGE_SIZE - (va & (LX_PAGE_SIZE - 1)));
        if (n > len - done) n = len - done;
        int r = rbuf ? mem_read(NULL, va, rbuf + done, n) : mem_write(NULL, va, wbuf + done, n);
        if (r) break;
        done += n;
    }
    return done ? (long)done : -EFAULT;
}

static long op_read_mem(void *opaque, int tid, uint64_t addr, uint8_t *buf, size_t len)
{
    return op_mem(addr, buf, NULL, len);
}

static long op_write_mem(void *opaque, int tid, uint64_t addr, const uint8_t *buf, size_t len)
{
    return op_mem(addr, NULL, buf, len);
}

/* Read and access watchpoints would need every load checked: refused (empty
 * reply), gdb says it cannot set them. */
static int op_insert(void *opaque, int type, uint64_t addr, uint64_t kind)
{
    if (type == GDB_WP_READ || type == GDB_WP_ACCESS) return -ENOSYS;
    return gdb_point_set(true, type, addr, kind);
}

static int op_remove(void *opaque, int type, uint64_t addr, uint64_t kind)
{
    if (type == GDB_WP_READ || type == GDB_WP_ACCESS) return -ENOSYS;
    return gdb_point_set(false, type, addr, kind);
}

static void sync_points(void)
{
    uint64_t s = gdb_points_sig(false);
    if (s != gu.bp_sig) {
        gu.p->engine->invalidate(0, 0); /* translations embed breakpoints */
        gu.bp_sig = s;
    }
    gdb_swwatch_sync(mem_read, mem_write, NULL);
}

static void op_resume(void *opaque, const GdbAction *act, const int *sig, int n)
{
    CpuDebug *d = &gu.cpu->debug;
    gu.resume_sig = n > 0 ? gdb_sig_to_linux(sig[0]) : 0;
    if (n > 0 && sig[0] && !gu.resume_sig)
        vm_log(LOG_USER, LOG_WARN, "gdb: signal %d has no Linux counterpart; not delivered", sig[0]);
    d->flags = (n > 0 && act[0] == GDB_ACT_STEP ? CPU_DEBUG_STEP : 0) |
               (gdb_nwp ? CPU_DEBUG_SWWATCH : 0);
    d->step_done = 0;
    d->reason = CPU_STOP_NONE;
    d->ckpt_valid = 0;
    sync_points();
}

static void op_interrupt(void *opaque) { gu.want_stop = true; }

static void forget_client(void)
{
    gdb_bp_clear();
    CpuDebug *d = &gu.cpu->debug;
    d->flags = d->step_done = d->reason = d->ckpt_valid = 0;
    sync_points();
}

static void op_detach(void *opaque) { gu.gone = true; }

static void op_kill(void *opaque)
{
    fflush(NULL);
    _exit(0); /* k: the program ends now, as QEMU's user mode does */
}

static const GdbOps user_ops = {
    .send = op_send,
    .threads = op_threads,
    .target_xml = op_xml,
    .g_count = op_g_count,
    .read_reg = op_read_reg,
    .write_reg = op_write_reg,
    .read_mem = op_read_mem,
    .write_mem = op_write_mem,
    .insert_point = op_insert,
    .remove_point = op_remove,
    .resume = op_resume,
    .interrupt = op_interrupt,
    .detach = op_detach,
    .kill = op_kill,
};

/* -- Poll thread (Ctrl-C while the program runs) ------------------------------------------- */

static void *poll_main(void *arg)
{
    for (;;) {
        pthread_mutex_lock(&gu.lock);
        while (!gu.watching) pthread_cond_wait(&gu.cond, &gu.lock);
        pthread_mutex_unlock(&gu.lock);
        struct pollfd pf = {.fd = gu.cfd, .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0) continue;
        pthread_mutex_lock(&gu.lock);
        if (gu.watching) {
            gu.watching = false;
            __atomic_store_n(&gu.data_ready, 1, __ATOMIC_RELEASE);
            __atomic_store_n(&gu.cpu->exit_request, 1, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&gu.lock);
    }
    return NULL;
}

static void watch(bool on)
{
    pthread_mutex_lock(&gu.lock);
    gu.watching = on && !gu.gone;
    if (gu.watching) pthread_cond_signal(&gu.cond);
    pthread_mutex_unlock(&gu.lock);
}

/* -- The conversation while stopped ------------------------------------------------------------ */

/* Host dispositions depend on gdb_user_on (signal.c): with gdb, every signal
 * is queued for the guest, so the ones with default or ignore actions are
 * reported too; without, they keep the host's SIG_DFL/SIG_IGN. */
static void set_dispositions(void)
{
    for (int sig = 1; sig <= LX_NSIG; sig++) lx_sig_set_host_disposition(gu.p, sig);
}

static void disconnect(void)
{
    watch(false);
    forget_client();
    /* The poll thread may sit in poll() on the descriptor: it is left open
     * (shut down) so the number is never reused under it. */
    shutdown(gu.cfd, SHUT_RDWR);
    gdb_stub_free(gu.stub);
    gu.stub = NULL;
    gdb_user_on = false;
    set_dispositions();
    vm_log(LOG_USER, LOG_INFO, "gdb: client disconnected; the program runs on");
}

/* Reports st (when gdb waits for it) and answers gdb until it resumes. */
static void converse(const GdbStop *st)
{
    watch(false);
    if (st) gdb_stub_stopped(gu.stub, st);
    uint8_t buf[4096];
    while (!gu.gone && !gdb_stub_done(gu.stub) && !gdb_stub_running(gu.stub)) {
        ssize_t r = recv(gu.cfd, buf, sizeof(buf), 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            gu.gone = true;
            break;
        }
        gdb_stub_input(gu.stub, buf, (size_t)r);
    }
    if (gu.gone || gdb_stub_done(gu.stub)) {
        disconnect();
        return;
    }
    watch(true);
}

/* -- Hooks for the run loop --------------------------------------------------------------------- */

/* gdb resumed from a stop that was not a signal's with a signal ("signal
 * SIGUSR1" at a breakpoint): send it to ourselves, as if the program got it
 * now; it is not reported back to gdb. */
static void send_resume_sig(void)
{
    int sig = gu.resume_sig;
    gu.resume_sig = 0;
    if (!sig || !gdb_user_on) return;
    gu.unreported = sig;
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
}

bool gdb_user_exec_exit(CpuState *cpu, int excp)
{
    if (!gdb_user_on) return excp == EXCP_DEBUG; /* a stale stop after gdb left */
    if (excp == EXCP_DEBUG) {
        gdb_cpu_debug_exit(cpu);
        GdbStop st = gdb_stop_of(cpu, 1);
        converse(&st);
        send_resume_sig();
        return true;
    }
    if (excp != EXCP_INTERRUPT && excp != EXCP_NONE) gdb_cpu_trapped(cpu);
    if (__atomic_exchange_n(&gu.data_ready, 0, __ATOMIC_ACQ_REL)) {
        /* gdb sent something while the program ran: Ctrl-C, normally. */
        uint8_t buf[4096];
        ssize_t r = recv(gu.cfd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
            gu.gone = true;
            disconnect();
            return false;
        }
        if (r > 0) gdb_stub_input(gu.stub, buf, (size_t)r);
        if (gu.want_stop) {
            gu.want_stop = false;
            GdbStop st = {.tid = 1, .sig = 2};
            converse(&st);
            send_resume_sig();
        } else if (gu.gone || gdb_stub_done(gu.stub)) {
            disconnect();
        } else {
            watch(true);
        }
    }
    return false;
}

/* A signal is about to act on the program (its handler, its default action,
 * or a fault's forced delivery): report it to gdb and return the signal gdb
 * passes back on resume (0: discarded; "signal 0", or a "handle nopass"
 * signal). The pc is where the signal arrives: the faulting instruction for
 * SIGSEGV, SIGILL, SIGFPE, SIGBUS. SIGKILL is never reported (as ptrace). */
int gdb_user_signal(CpuState *cpu, int sig)
{
    if (!gdb_user_on || sig == SIGKILL) return sig;
    if (sig == gu.unreported) {
        gu.unreported = 0;
        return sig;
    }
    int gsig = gdb_sig_from_linux(sig);
    GdbStop st = {.tid = 1, .sig = gsig ? gsig : 143 /* gdb's GDB_SIGNAL_UNKNOWN */};
    gu.resume_sig = sig; /* what the program gets if gdb goes away */
    converse(&st);
    if (!gdb_user_on) return sig;
    /* A step that ends at the signal's handler stops on its first instruction. */
    gdb_cpu_trapped(cpu);
    return gu.resume_sig;
}

/* The program dies of sig: X packet (gdb says "terminated with signal"). */
void gdb_user_killed(int sig)
{
    if (!gdb_user_on) return;
    watch(false);
    int gsig = gdb_sig_from_linux(sig);
    GdbStop st = {.exited = true, .killed_by = gsig ? gsig : 143};
    gdb_stub_stopped(gu.stub, &st);
    shutdown(gu.cfd, SHUT_RDWR);
    gdb_user_on = false;
}

int gdb_user_start(LxProc *p, CpuState *cpu, int port)
{
    char spec[32], err[256];
    if (!cpu->arch->gdb_xml) {
        vm_error("-g: the %s guest has no gdb support", cpu->arch->name);
        return -1;
    }
    snprintf(spec, sizeof(spec), "tcp::%d", port);
    int lfd = gdb_listen(spec, err, sizeof(err));
    if (lfd < 0) {
        vm_error("-g %d: %s", port, err);
        return -1;
    }
    vm_log(LOG_USER, LOG_INFO, "gdb: waiting for a connection on port %d", port);
    int fd;
    do fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    close(lfd);
    if (fd < 0) {
        vm_error("-g %d: accept: %s", port, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    gu.p = p;
    gu.cpu = cpu;
    gu.cfd = fd;
    gu.bp_sig = gdb_points_sig(false);
    GdbStop st = {.tid = 1, .sig = 5};
    gu.stub = gdb_stub_new(&user_ops, NULL, &st);
    if (!gu.stub || pthread_create(&gu.thr, NULL, poll_main, NULL)) {
        vm_error("-g %d: out of memory", port);
        return -1;
    }
    pthread_detach(gu.thr);
    gdb_user_on = true;
    set_dispositions();
    converse(NULL); /* stopped before the first instruction */
    send_resume_sig();
    return 0;
}

void gdb_user_exit(int status)
{
    if (!gdb_user_on) return;
    watch(false);
    GdbStop st = {.exited = true, .code = status};
    gdb_stub_stopped(gu.stub, &st);
    shutdown(gu.cfd, SHUT_RDWR);
    gdb_user_on = false;
}

void gdb_user_forked(void)
{
    /* The child of a fork does not talk to gdb (it shares the connection):
     * no breakpoint or step may stop it. */
    if (!gdb_user_on) return;
    gdb_user_on = false;
    gdb_bp_clear();
    if (gu.cpu) memset(&gu.cpu->debug.flags, 0, sizeof(gu.cpu->debug.flags));
    if (gu.p && gu.p->engine->invalidate) gu.p->engine->invalidate(0, 0);
    if (gu.p) set_dispositions();
    close(gu.cfd);
}
