/* SPDX-License-Identifier: MIT */
/* The gdb stub in system mode: -gdb tcp::PORT / -s listens, -S holds the vCPUs
 * before their first instruction. The protocol engine (src/core/gdbstub.c)
 * runs on the main thread, fed by the I/O loop (sys_fd_add); vCPUs that stop
 * for gdb post to it (sys_post). All-stop: one sys_pause holds every vCPU
 * while gdb looks; on resume the vCPUs gdb leaves stopped stay held
 * (sys_vcpu_hold) and the others run or step. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "service/sys_int.h"
#include "vm/gdbstub.h"
#include "vm/log.h"
#include "vm/machine.h"
#include "vm/mem.h"
#include "vm/options.h"
#include "vm/tlb.h"

typedef struct GdbSys {
    int lfd, cfd;       /* listening socket, the client (-1: none) */
    GdbStub *stub;
    bool held;          /* we hold one sys_pause (gdb is looking) */
    bool closing;       /* the connection failed or the client left */
    /* Signatures of the breakpoint / watchpoint sets the translations and
     * TLBs were last made for (gdb removes and re-inserts every point at each
     * stop: unchanged sets need no flush). */
    uint64_t bp_sig, wp_sig;
} GdbSys;

static GdbSys gs = {.lfd = -1, .cfd = -1};

static Machine *machine(void) { return sys_machine(); }

static CpuState *cpu_of(int tid)
{
    Machine *m = machine();
    return tid >= 1 && tid <= m->ncpus ? m->cpus[tid - 1] : m->cpus[0];
}

/* -- Flushes after breakpoint / watchpoint changes (every vCPU is stopped) ---------- */

static void sync_points(void)
{
    Machine *m = machine();
    uint64_t bs = gdb_points_sig(false), ws = gdb_points_sig(true);
    if (bs != gs.bp_sig) {
        /* Translations embed breakpoints: drop them all. */
        m->engine->invalidate(0, 0);
        gs.bp_sig = bs;
    }
    if (ws != gs.wp_sig) {
        /* TLB entries carry the watched-page flag: refill them. */
        for (int i = 0; i < m->ncpus; i++) tlb_flush(m->cpus[i]);
        gs.wp_sig = ws;
    }
}

static void hold(void)
{
    if (gs.held) return;
    sys_pause();
    gs.held = true;
}

static void release(void)
{
    if (!gs.held) return;
    gs.held = false;
    sys_resume();
}

/* The client left or detached: no breakpoint or step survives it, and the
 * guest runs on (as with QEMU). */
static void forget_client(void)
{
    Machine *m = machine();
    gdb_bp_clear();
    for (int i = 0; i < m->ncpus; i++) {
        CpuDebug *d = &m->cpus[i]->debug;
        d->flags = d->step_done = d->reason = 0;
        sys_vcpu_hold(i, false);
    }
    sync_points();
    sys_release_start(); /* -S: a detach lets the guest start too */
    release();
}

static void close_client(void)
{
    if (gs.cfd < 0) return;
    sys_fd_del(gs.cfd);
    close(gs.cfd);
    gs.cfd = -1;
    gdb_stub_free(gs.stub);
    gs.stub = NULL;
    forget_client();
    vm_log(LOG_SERVICE, LOG_INFO, "gdb: client disconnected");
}

/* -- GdbOps ---------------------------------------------------------------------------- */

static void op_send(void *opaque, const void *buf, size_t len)
{
    if (!gs.closing && gdb_send_all(gs.cfd, buf, len)) gs.closing = true;
}

static int op_threads(void *opaque, int *tids, int max)
{
    Machine *m = machine();
    int n = m->ncpus < max ? m->ncpus : max;
    for (int i = 0; i < n; i++) tids[i] = i + 1;
    return n;
}

static const char *op_xml(void *opaque)
{
    Machine *m = machine();
    return m->arch->gdb_xml ? m->arch->gdb_xml(m->cpus[0]) : NULL;
}

static unsigned op_g_count(void *opaque, int tid)
{
    CpuState *c = cpu_of(tid);
    return c->arch->gdb_g_count ? c->arch->gdb_g_count(c) : 0;
}

static unsigned op_read_reg(void *opaque, int tid, unsigned n, uint8_t *buf)
{
    CpuState *c = cpu_of(tid);
    return c->arch->gdb_read_reg ? c->arch->gdb_read_reg(c, n, buf) : 0;
}

static int op_write_reg(void *opaque, int tid, unsigned n, const uint8_t *buf, unsigned len)
{
    CpuState *c = cpu_of(tid);
    return c->arch->gdb_write_reg ? c->arch->gdb_write_reg(c, n, buf, len) : -EINVAL;
}

/* The RAM or ROM behind va as the vCPU sees it now (no MMIO: reading a
 * device register can change it), up to the end of its page. */
static uint8_t *host_of(CpuState *c, uint64_t va, size_t *len, uint64_t *pa_out)
{
    Machine *m = machine();
    uint64_t pa;
    if (!c->arch->debug_translate || c->arch->debug_translate(c, va, &pa)) return NULL;
    size_t n = (size_t)(TLB_PAGE_SIZE - (va & ~TLB_PAGE_MASK));
    if (*len > n) *len = n;
    const PhysRegion *r = phys_find(m->phys, pa);
    if (!r || !r->host) return NULL;
    if (pa - r->base + *len > r->size) *len = (size_t)(r->size - (pa - r->base));
    *pa_out = pa;
    return r->host + (pa - r->base);
}

static long op_read_mem(void *opaque, int tid, uint64_t addr, uint8_t *buf, size_t len)
{
    uint64_t pa;
    uint8_t *h = host_of(cpu_of(tid), addr, &len, &pa);
    if (!h) return -EFAULT;
    memcpy(buf, h, len);
    return (long)len;
}

static long op_write_mem(void *opaque, int tid, uint64_t addr, const uint8_t *buf, size_t len)
{
    uint64_t pa;
    uint8_t *h = host_of(cpu_of(tid), addr, &len, &pa);
    if (!h) return -EFAULT;
    memcpy(h, buf, len);
    /* The debugger may patch code: drop translations of what it wrote. */
    machine()->engine->invalidate(pa, len);
    return (long)len;
}

static int op_insert(void *opaque, int type, uint64_t addr, uint64_t kind)
{
    return gdb_point_set(true, type, addr, kind);
}

static int op_remove(void *opaque, int type, uint64_t addr, uint64_t kind)
{
    return gdb_point_set(false, type, addr, kind);
}

static void op_resume(void *opaque, const GdbAction *act, const int *sig, int n)
{
    Machine *m = machine();
    /* All-stop with exact per-thread actions (RSP "vCont"): a thread gdb
     * leaves stopped (scheduler-locking, or vCont;s:N alone) stays parked
     * through the resume; the others run or step. The signal gdb passes is
     * dropped: a machine has no pending guest signal to replace. */
    (void)sig;
    for (int i = 0; i < m->ncpus; i++) {
        CpuDebug *d = &m->cpus[i]->debug;
        GdbAction a = i < n ? act[i] : GDB_ACT_STOP;
        d->flags = a == GDB_ACT_STEP ? CPU_DEBUG_STEP : 0;
        d->step_done = 0;
        d->reason = CPU_STOP_NONE;
        sys_vcpu_hold(i, a == GDB_ACT_STOP);
    }
    sync_points();
    sys_release_start(); /* -S: gdb's first resume starts the machine */
    release();
}

static void op_interrupt(void *opaque)
{
    hold();
    GdbStop st = {.tid = 1, .sig = 2};
    gdb_stub_stopped(gs.stub, &st);
}

static void op_detach(void *opaque)
{
    forget_client();
    gs.closing = true; /* after the OK went out */
}

static void op_kill(void *opaque)
{
    gs.closing = true;
    sys_stop(0, "killed by gdb");
}

static const GdbOps sys_ops = {
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

/* -- Connection (main thread, from the I/O loop) ---------------------------------------- */

static void on_client(void *opaque, short revents)
{
    uint8_t buf[4096];
    for (;;) {
        ssize_t r = recv(gs.cfd, buf, sizeof(buf), 0);
        if (r > 0) {
            gdb_stub_input(gs.stub, buf, (size_t)r);
            if (gs.closing || gdb_stub_done(gs.stub)) break;
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
        gs.closing = true; /* EOF or error */
        break;
    }
    if (gs.closing || gdb_stub_done(gs.stub)) close_client();
}

static void on_listen(void *opaque, short revents)
{
    int fd = accept4(gs.lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    if (gs.cfd >= 0) { /* one debugger at a time */
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* gdb expects a stopped target when it attaches. */
    hold();
    GdbStop st = {.tid = 1, .sig = 5};
    gs.stub = gdb_stub_new(&sys_ops, NULL, &st);
    if (!gs.stub || sys_fd_add(fd, POLLIN, on_client, NULL)) {
        gdb_stub_free(gs.stub);
        gs.stub = NULL;
        close(fd);
        release();
        vm_error("gdb: cannot take the connection (out of memory or descriptors)");
        return;
    }
    gs.cfd = fd;
    gs.closing = false;
    vm_log(LOG_SERVICE, LOG_INFO, "gdb: client connected");
}

/* -- vCPU stops ----------------------------------------------------------------------------- */

static void on_vcpu_stopped(void *arg)
{
    CpuState *cpu = arg;
    if (!gs.stub || !gdb_stub_running(gs.stub)) {
        /* Already stopped (another vCPU won, or Ctrl-C), or the client left:
         * drop this stop; a breakpoint is hit again on the next run. */
        sys_resume();
        return;
    }
    /* Wait until every vCPU is parked, keep the stopping vCPU's pause. */
    sys_pause();
    sys_resume();
    gs.held = true;
    GdbStop st = gdb_stop_of(cpu, cpu->cpu_index + 1);
    gdb_stub_stopped(gs.stub, &st);
}

void gdb_sys_vcpu_stopped(CpuState *cpu)
{
    sys_pause_nowait();
    sys_post(on_vcpu_stopped, cpu);
}

int gdb_sys_setup(const VmOptions *o)
{
    bool want = o->gdb && strcmp(o->gdb, "none");
    if (!want) {
        if (!o->wait_gdb) return 0;
        /* -S without gdb waits for the monitor's cont (as QEMU). */
        if (!mon_active()) {
            vm_error("-S waits for gdb or the monitor's 'cont': give -gdb tcp::PORT (or -s) or a monitor");
            return -1;
        }
        sys_hold_start();
        return 0;
    }
    Machine *m = machine();
    if (!m->arch->gdb_xml) {
        vm_error("-gdb: the %s guest has no gdb support", m->arch->name);
        return -1;
    }
    char err[256];
    gs.lfd = gdb_listen(o->gdb, err, sizeof(err));
    if (gs.lfd < 0) {
        vm_error("-gdb %s: %s", o->gdb, err);
        return -1;
    }
    fcntl(gs.lfd, F_SETFL, fcntl(gs.lfd, F_GETFL) | O_NONBLOCK);
    if (sys_fd_add(gs.lfd, POLLIN, on_listen, NULL)) {
        vm_error("-gdb: too many descriptors for the I/O loop");
        return -1;
    }
    gs.bp_sig = gdb_points_sig(false);
    gs.wp_sig = gdb_points_sig(true);
    if (o->wait_gdb) sys_hold_start(); /* -S: nothing runs until gdb or the monitor lets it */
    return 0;
}

void gdb_sys_finish(int status)
{
    if (gs.cfd >= 0 && gs.stub && !gs.closing) {
        GdbStop st = {.exited = true, .code = status};
        gdb_stub_stopped(gs.stub, &st);
    }
    if (gs.cfd >= 0) {
        close(gs.cfd);
        gs.cfd = -1;
    }
    if (gs.lfd >= 0) {
        close(gs.lfd);
        gs.lfd = -1;
    }
}
