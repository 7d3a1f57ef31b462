/* SPDX-License-Identifier: MIT */
/* System mode's lifecycle and main loop: one host thread per vCPU, the I/O loop
 * (terminal, wake-ups, signals) on the main thread, -timeout, power-off/reset. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "service/sys_int.h"
#include "vm/engine.h"
#include "vm/gdbstub.h"
#include "vm/log.h"
#include "vm/machine.h"
#include "vm/system.h"
#include "vm/timer.h"
#include "vm/tlb.h"

typedef enum { SYS_RUN, SYS_STOP, SYS_RESET } SysRequest;

typedef struct SysState {
    const VmOptions *o;
    Machine *m;
    pthread_t *threads;
    int wake[2];                /* self-pipe: anything that needs the I/O loop */
    volatile int request;       /* SysRequest, set once per stop/reset */
    int exit_status;
    const char *exit_msg;
    pthread_mutex_t lock;
    SysChar *serial;
    /* Lifecycle: pause/resume of every vCPU thread (see sys_pause). */
    pthread_cond_t park_cond;   /* parked changed, or pause_req cleared */
    int pause_req;              /* nesting count of sys_pause calls */
    int parked;                 /* vCPU threads waiting in sys_vcpu_park */
    int running;                /* vCPU threads started and not yet returned */
    /* gdb's per-thread resume: vCPUs held stay parked after a sys_resume
     * (sys_vcpu_hold); -S: one sys_pause held from the start (sys_hold_start). */
    uint8_t *vcpu_held;
    bool start_held;
    /* Work posted to the main thread (sys_post), run by the I/O loop. */
    struct SysPost { void (*fn)(void *); void *arg; } *posts;
    int nposts, capposts;
    /* Extra descriptors the I/O loop watches (monitor, gdb stub). */
    struct SysFd { int fd; short events; SysFdFn fn; void *opaque; } fds[SYS_MAX_FDS];
    int nfds;
} SysState;

static SysState sys;
static int sys_wake_wr = -1; /* for signal handlers */
static volatile sig_atomic_t sys_signal;

static void sys_wake(void)
{
    uint8_t b = 1;
    if (sys_wake_wr >= 0 && write(sys_wake_wr, &b, 1) < 0) { /* pipe full: already awake */ }
}

/* Stops the machine with this status (first request wins) and kicks every vCPU. */
static void sys_request(SysRequest what, int status, const char *msg)
{
    pthread_mutex_lock(&sys.lock);
    if (sys.request == SYS_RUN || (sys.request == SYS_RESET && what == SYS_STOP)) {
        sys.request = what;
        sys.exit_status = status;
        sys.exit_msg = msg;
    }
    pthread_mutex_unlock(&sys.lock);
    if (sys.m)
        for (int i = 0; i < sys.m->ncpus; i++) cpu_kick(sys.m->cpus[i]);
    sys_wake();
}

/* -- Lifecycle: pause / resume --------------------------------------------------- */

static bool sys_must_park_locked(CpuState *cpu)
{
    return (sys.pause_req || (sys.vcpu_held && sys.vcpu_held[cpu->cpu_index])) && sys.request == SYS_RUN;
}

/* A vCPU thread, between blocks, waits here while a pause is in effect or
 * gdb holds it (sys_vcpu_hold). */
static void sys_vcpu_park(CpuState *cpu)
{
    pthread_mutex_lock(&sys.lock);
    if (sys_must_park_locked(cpu)) {
        sys.parked++;
        pthread_cond_broadcast(&sys.park_cond);
        while (sys_must_park_locked(cpu))
            pthread_cond_wait(&sys.park_cond, &sys.lock);
        sys.parked--;
    }
    pthread_mutex_unlock(&sys.lock);
}

void sys_pause(void)
{
    pthread_mutex_lock(&sys.lock);
    sys.pause_req++;
    pthread_mutex_unlock(&sys.lock);
    if (sys.m)
        for (int i = 0; i < sys.m->ncpus; i++) cpu_kick(sys.m->cpus[i]);
    pthread_mutex_lock(&sys.lock);
    /* Threads that already returned (stop/reset in progress) count as parked. */
    while (sys.parked < sys.running && sys.request == SYS_RUN)
        pthread_cond_wait(&sys.park_cond, &sys.lock);
    pthread_mutex_unlock(&sys.lock);
}

void sys_resume(void)
{
    pthread_mutex_lock(&sys.lock);
    if (sys.pause_req > 0) sys.pause_req--;
    if (!sys.pause_req) pthread_cond_broadcast(&sys.park_cond);
    pthread_mutex_unlock(&sys.lock);
}

/* gdb stub: a vCPU thread that hit a breakpoint stops the machine without
 * waiting (it parks at its next loop turn); the stub balances with sys_resume. */
void sys_pause_nowait(void)
{
    pthread_mutex_lock(&sys.lock);
    sys.pause_req++;
    pthread_mutex_unlock(&sys.lock);
    if (sys.m)
        for (int i = 0; i < sys.m->ncpus; i++) cpu_kick(sys.m->cpus[i]);
}

bool sys_paused(void)
{
    pthread_mutex_lock(&sys.lock);
    bool p = sys.pause_req > 0;
    pthread_mutex_unlock(&sys.lock);
    return p;
}

/* gdb stub: vCPU i keeps parked (held) or not through later resumes. Call
 * with every vCPU paused; a held vCPU counts as parked for sys_pause. */
void sys_vcpu_hold(int i, bool held)
{
    pthread_mutex_lock(&sys.lock);
    if (sys.vcpu_held && sys.m && i >= 0 && i < sys.m->ncpus) {
        __atomic_store_n(&sys.vcpu_held[i], held, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&sys.park_cond);
    }
    pthread_mutex_unlock(&sys.lock);
}

/* -S: the machine starts paused; gdb's first resume or the monitor's cont
 * (whichever comes first) calls sys_release_start. Main thread only. */
void sys_hold_start(void)
{
    if (sys.start_held) return;
    sys_pause();
    sys.start_held = true;
}

bool sys_release_start(void)
{
    if (!sys.start_held) return false;
    sys.start_held = false;
    sys_resume();
    return true;
}

bool sys_start_is_held(void) { return sys.start_held; }

Machine *sys_machine(void) { return sys.m; }
SysChar *sys_serial(void) { return sys.serial; }
const VmOptions *sys_options(void) { return sys.o; }

void sys_stop(int status, const char *msg) { sys_request(SYS_STOP, status, msg); }
void sys_reset(void) { sys_request(SYS_RESET, 0, NULL); }

void sys_post(void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&sys.lock);
    if (sys.nposts == sys.capposts) {
        int cap = sys.capposts ? sys.capposts * 2 : 8;
        struct SysPost *n = realloc(sys.posts, (size_t)cap * sizeof(*n));
        if (!n) {
            pthread_mutex_unlock(&sys.lock);
            vm_error("out of memory posting work to the main loop");
            return;
        }
        sys.posts = n;
        sys.capposts = cap;
    }
    sys.posts[sys.nposts++] = (struct SysPost){fn, arg};
    pthread_mutex_unlock(&sys.lock);
    sys_wake();
}

static void sys_run_posts(void)
{
    for (;;) {
        pthread_mutex_lock(&sys.lock);
        if (!sys.nposts) {
            pthread_mutex_unlock(&sys.lock);
            return;
        }
        struct SysPost p = sys.posts[0];
        memmove(sys.posts, sys.posts + 1, (size_t)(--sys.nposts) * sizeof(*sys.posts));
        pthread_mutex_unlock(&sys.lock);
        p.fn(p.arg);
    }
}

int sys_fd_add(int fd, short events, SysFdFn fn, void *opaque)
{
    if (sys.nfds == SYS_MAX_FDS) return -1;
    sys.fds[sys.nfds++] = (struct SysFd){fd, events, fn, opaque};
    return 0;
}

void sys_fd_events(int fd, short events)
{
    for (int i = 0; i < sys.nfds; i++)
        if (sys.fds[i].fd == fd) sys.fds[i].events = events;
}

void sys_fd_del(int fd)
{
    for (int i = 0; i < sys.nfds; i++)
        if (sys.fds[i].fd == fd) {
            sys.fds[i] = sys.fds[--sys.nfds];
            return;
        }
}

/* -- vCPU threads ---------------------------------------------------------------- */

static void *sys_vcpu_main(void *arg)
{
    CpuState *cpu = arg;
    const GuestArch *a = cpu->arch;
    const Engine *e = sys.m->engine;
    while (__atomic_load_n(&sys.request, __ATOMIC_ACQUIRE) == SYS_RUN) {
        if (__atomic_load_n(&sys.pause_req, __ATOMIC_ACQUIRE) ||
            __atomic_load_n(&sys.vcpu_held[cpu->cpu_index], __ATOMIC_ACQUIRE)) {
            sys_vcpu_park(cpu);
            continue;
        }
        int excp = e->exec(cpu);
        switch (excp) {
        case EXCP_NONE:
        case EXCP_INTERRUPT:
            break; /* a kick: interrupts and stop requests are looked at below */
        case EXCP_HALT:
            cpu_halt_wait(cpu, a->has_work);
            break;
        case EXCP_DEBUG: /* gdb: stop every vCPU and tell the stub */
            if (gdb_cpu_debug_exit(cpu)) {
                gdb_sys_vcpu_stopped(cpu);
                continue; /* parks; no interrupt may move pc first */
            }
            break;
        default:
            /* Every guest trap (ecall, page fault, illegal instruction, ...)
             * enters the guest's handler; nothing here ends vm. */
            a->do_exception(cpu, excp);
            gdb_cpu_trapped(cpu); /* a step over a trap stops in its handler */
            break;
        }
        /* Cleared before looking, so a kick from now on stops the next exec. */
        __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_RELEASE);
        if (__atomic_load_n(&sys.request, __ATOMIC_ACQUIRE) != SYS_RUN) break;
        /* gdb steps with interrupts masked (QEMU's default too). */
        if (!(cpu->debug.flags & CPU_DEBUG_STEP)) a->exec_interrupt(cpu);
    }
    pthread_mutex_lock(&sys.lock);
    sys.running--;
    pthread_cond_broadcast(&sys.park_cond);
    pthread_mutex_unlock(&sys.lock);
    return NULL;
}

static int sys_start_vcpus(void)
{
    Machine *m = sys.m;
    for (int i = 0; i < m->ncpus; i++) {
        pthread_mutex_lock(&sys.lock);
        sys.running++;
        pthread_mutex_unlock(&sys.lock);
        int r = pthread_create(&sys.threads[i], NULL, sys_vcpu_main, m->cpus[i]);
        if (r) {
            vm_error("cannot start vCPU thread %d: %s", i, strerror(r));
            pthread_mutex_lock(&sys.lock);
            sys.running--;
            pthread_mutex_unlock(&sys.lock);
            sys_request(SYS_STOP, 1, NULL);
            for (int j = 0; j < i; j++) pthread_join(sys.threads[j], NULL);
            return -1;
        }
        char name[16];
        snprintf(name, sizeof(name), "vcpu%d", i);
        pthread_setname_np(sys.threads[i], name);
    }
    return 0;
}

static void sys_join_vcpus(void)
{
    for (int i = 0; i < sys.m->ncpus; i++) pthread_join(sys.threads[i], NULL);
}

/* -- Requests from devices, the terminal, timers and signals ------------------------ */

static void sys_power(void *opaque, MachinePower what, int status)
{
    (void)opaque;
    if (what == MACHINE_RESET)
        sys_request(SYS_RESET, 0, NULL);
    else {
        snap_poweroff(); /* -snapshot-save on=poweroff saves once the vCPUs stop */
        sys_request(SYS_STOP, status, NULL);
    }
}

static void sys_quit(void *opaque)
{
    (void)opaque;
    sys_request(SYS_STOP, 0, "terminated by Ctrl-A x");
}

static void sys_timeout(void *opaque)
{
    (void)opaque;
    sys_request(SYS_STOP, SYS_EXIT_TIMEOUT, "timeout");
}

static void sys_on_signal(int sig)
{
    sys_signal = sig;
    sys_wake();
}

/* vm's own crash: put the terminal back, then die as the signal says. */
static void sys_on_fatal(int sig)
{
    sys_term_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void sys_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sys_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sa.sa_handler = sys_on_fatal;
    sa.sa_flags = SA_RESETHAND;
    const int fatal[] = {SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGQUIT};
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
        struct sigaction old;
        /* Leave handlers an engine installed (host faults as guest faults) alone. */
        if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            sigaction(fatal[i], &sa, NULL);
    }
}

/* -- The I/O loop (main thread) ----------------------------------------------------- */

static void sys_io_loop(void)
{
    for (;;) {
        if (sys_signal && sys.request == SYS_RUN) {
            static char msg[48];
            snprintf(msg, sizeof(msg), "terminating on signal %d", (int)sys_signal);
            sys_request(SYS_STOP, 128 + sys_signal, msg);
        }
        if (__atomic_load_n(&sys.request, __ATOMIC_ACQUIRE) != SYS_RUN) return;
        sys_run_posts();
        if (__atomic_load_n(&sys.request, __ATOMIC_ACQUIRE) != SYS_RUN) return;
        struct pollfd p[2 + VM_MAX_CHARDEVS + SYS_MAX_FDS];
        struct SysFd fds[SYS_MAX_FDS];
        int n = 0, ci = -1, nfds = sys.nfds, fd0;
        p[n++] = (struct pollfd){.fd = sys.wake[0], .events = POLLIN};
        if (sys.serial && sys_char_pollfd(sys.serial, &p[n])) ci = n++;
        int cd0 = n; /* -chardev backends */
        n += sys_chardevs_pollfds(&p[n]);
        /* A copy: callbacks may add or remove descriptors. */
        memcpy(fds, sys.fds, sizeof(fds));
        fd0 = n;
        for (int i = 0; i < nfds; i++) p[n++] = (struct pollfd){.fd = fds[i].fd, .events = fds[i].events};
        /* Input the device could not take yet is retried every 10 ms, or at
         * once when the device signals room (read_ready wakes us). */
        int timeout = (sys.serial && sys_char_pending(sys.serial)) || sys_chardevs_pending() ? 10 : -1;
        int r = poll(p, (nfds_t)n, timeout);
        if (r < 0 && errno != EINTR) {
            vm_error("poll: %s", strerror(errno));
            sys_request(SYS_STOP, 1, NULL);
            return;
        }
        if (r > 0 && (p[0].revents & POLLIN)) {
            uint8_t buf[64];
            while (read(sys.wake[0], buf, sizeof(buf)) > 0) {}
        }
        if (sys.serial) sys_char_service(sys.serial, ci >= 0 ? &p[ci] : NULL);
        sys_chardevs_service(&p[cd0]);
        for (int i = 0; r > 0 && i < nfds; i++)
            if (p[fd0 + i].revents) fds[i].fn(fds[i].opaque, p[fd0 + i].revents);
    }
}

/* -- Entry point -------------------------------------------------------------------- */

int sys_main(const VmOptions *o, const Engine *e)
{
    char err[512];
    memset(&sys, 0, sizeof(sys));
    sys.o = o;
    pthread_mutex_init(&sys.lock, NULL);
    pthread_cond_init(&sys.park_cond, NULL);
    if (pipe2(sys.wake, O_CLOEXEC | O_NONBLOCK)) {
        vm_error("pipe: %s", strerror(errno));
        return 1;
    }
    sys_wake_wr = sys.wake[1];


    /* The first UART's backend: -serial, else stdio (vm has no display, so
     * -nographic or not, the console is the terminal). */
    const char *spec = o->serial ? o->serial : "stdio";
    if (!strcmp(spec, "mon:stdio")) spec = "stdio"; /* the monitor joins in mon_setup */
    bool stdio = !strcmp(spec, "stdio");
    if (strcmp(spec, "none") && strcmp(spec, "null")) {
        sys.serial = sys_char_open(spec, sys.wake[1], sys_quit, NULL, err, sizeof(err));
        if (!sys.serial) {
            vm_error("%s", err);
            return 1;
        }
    }
    if (chat_setup(o, sys.serial)) return 1; /* -chat: checked before the guest starts */
    CharDev **chardevs = NULL; /* -chardev, for -device virtio-console,chardev=ID */
    if (sys_chardevs_open(o, sys.wake[1], sys_quit, &chardevs, &stdio)) return 1;

    MachineHost host = {
        .serial = sys.serial ? sys_char_dev(sys.serial) : NULL,
        .chardevs = chardevs,
        .power = sys_power,
        .opaque = &sys,
    };
    Machine *m = NULL;
    int r = machine_create(o, e, &host, &m);
    if (r == MACHINE_DONE) return 0;
    if (r < 0) return 1;
    sys.m = m;
    sys.threads = calloc((size_t)m->ncpus, sizeof(pthread_t));
    sys.vcpu_held = calloc((size_t)m->ncpus, 1);
    if (!sys.threads || !sys.vcpu_held) {
        vm_error("out of memory");
        return 1;
    }
    if (mon_setup(o, sys.serial)) return 1; /* -monitor, Ctrl-A c */
    if (snap_setup(m, o)) return 1; /* -snapshot-load, -snapshot-save triggers */
    if (gdb_sys_setup(o)) return 1; /* -gdb, -s, -S */

    sys_signals();
    if (stdio) sys_term_raw();
    VmTimer *tmo = NULL;
    if (o->timeout > 0) {
        tmo = timer_new(sys_timeout, NULL);
        if (tmo) timer_mod(tmo, clock_ns() + (uint64_t)(o->timeout * 1e9));
    }

    for (;;) {
        if (sys_start_vcpus()) break;
        sys_io_loop();
        sys_join_vcpus();
        if (sys.request != SYS_RESET) break;
        /* Guest reboot: every vCPU thread has stopped; rebuild the boot state. */
        if (!m->reset) {
            sys.exit_status = 0;
            sys.exit_msg = "the guest asked for a reboot, which this machine does not support yet; stopping";
            break;
        }
        if (m->reset(m) < 0) {
            sys.exit_status = 1;
            sys.exit_msg = "machine reset failed";
            break;
        }
        sys.request = SYS_RUN;
        sys.pause_req = 0;
        sys.start_held = false; /* a reset while -S held: the pause was dropped above */
    }
    if (tmo) timer_del(tmo);
    gdb_sys_finish(sys.exit_status); /* tells gdb the machine stopped (W packet) */
    if (snap_finish(m)) sys.exit_status = 1; /* -snapshot-save on=poweroff */
    /* Every vCPU thread has stopped: report per-vCPU statistics asked for
     * with -d (the machine itself is deliberately not freed, see below). */
    if (logd_enabled(LOGD_TLB_STATS))
        for (int i = 0; i < m->ncpus; i++)
            if (m->cpus[i] && m->cpus[i]->tlb) tlb_print_stats(m->cpus[i], log_file ? log_file : stderr);
#ifdef CONFIG_JIT
    if (logd_enabled(LOGD_JIT_STATS) && !strcmp(e->name, "jit")) jit_print_stats(log_file ? log_file : stderr);
#endif

    sys_term_restore();
    fflush(stdout);
    sys.exit_status = chat_finish(sys.exit_status); /* -chat still waiting: says so */
    if (sys.exit_msg) {
        if (sys.exit_status == SYS_EXIT_TIMEOUT && !strcmp(sys.exit_msg, "timeout"))
            vm_error("timeout: the guest was stopped after %g s (-timeout)", o->timeout);
        else
            fprintf(stderr, "%svm: %s\n", stdio ? "\r\n" : "", sys.exit_msg);
    }
    if (log_file) fflush(log_file);
    /* Device threads (async I/O, networking) end with the process; the machine
     * is not freed so none of them can touch freed state on the way out. */
    return sys.exit_status;
}
