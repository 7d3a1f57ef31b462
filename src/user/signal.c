/* SPDX-License-Identifier: MIT */
/* Guest signals: the guest's sigaction table and blocked mask, mirrored onto
 * the host (ignored -> SIG_IGN, default -> SIG_DFL so a fatal signal kills vm
 * itself with the same signal, handled -> a host handler that queues it), host
 * fault handling for guest memory accesses, and delivery through the arch's
 * rt_sigframe. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "user/lx_nr.h"
#include "user/user_int.h"
#include "vm/log.h"

volatile uint64_t lx_pending;
static siginfo_t pending_info[LX_NSIG + 1];

#define BIT(sig) (1ull << ((sig) - 1))
/* Signals vm needs unblocked for itself: faults in guest code. */
#define SYNC_SIGS (BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGTRAP))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))

/* -- Host handlers ---------------------------------------------------------------- */

static void host_queue(int sig, siginfo_t *si, void *uc)
{
    if (sig < 1 || sig > LX_NSIG) return;
    pending_info[sig] = *si;
    __atomic_or_fetch(&lx_pending, BIT(sig), __ATOMIC_SEQ_CST);
    if (lx_proc && lx_proc->cpu) lx_proc->cpu->exit_request = 1;
}

static void write_str(const char *s) { ssize_t r = write(2, s, strlen(s)); (void)r; }

static void host_fault(int sig, siginfo_t *si, void *uc)
{
    LxProc *p = lx_proc;
    CpuState *cpu = p ? p->cpu : NULL;
    if (si->si_code <= 0) { /* sent by kill()/tgkill(): an ordinary signal */
        host_queue(sig, si, uc);
        return;
    }
    uintptr_t addr = (uintptr_t)si->si_addr, base = p ? (uintptr_t)p->space.base : 0;
    /* A store (from guest code or from vm itself) to a page vm write-protected
     * because code was translated from it: drop that code, retry the store. */
    if (sig == SIGSEGV && si->si_code == SEGV_ACCERR && p && addr >= base && addr - base < p->space.limit &&
        lx_code_write_fault(&p->space, addr - base))
        return;
    if ((sig == SIGSEGV || sig == SIGBUS) && cpu && cpu->in_guest && addr >= base && addr - base < p->space.limit + LX_GUARD_SIZE) {
        /* A guest access hit a page it may not touch. Engines enter with
         * sigsetjmp(env, 0), so unblock the signal ourselves before leaving. */
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, sig);
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        uint64_t ga = addr - base;
        /* The JIT stores the pc only on slow paths: it finds it from the host pc. */
#if defined(__x86_64__)
        if (p->engine && p->engine->host_fault)
            p->engine->host_fault(cpu, (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);
#endif
        cpu->exception = sig == SIGBUS ? EXCP_BUS : EXCP_SEGV;
        cpu->fault_addr = ga;
        if (sig == SIGBUS) /* e.g. a file mapping past EOF: keep the host's BUS_ADRERR */
            cpu->fault_code = si->si_code;
        else
            cpu->fault_code = (lx_page_flags(&p->space, ga) & LX_PG_VALID) ? FAULT_ACCERR : FAULT_MAPERR;
        cpu->in_guest = 0;
        siglongjmp(cpu->jmp_env, 1);
    }
    char buf[96];
    snprintf(buf, sizeof(buf), "vm: internal error: host signal %d at %p\n", sig, si->si_addr);
    write_str(buf);
    signal(SIGABRT, SIG_DFL);
    abort();
}

static bool default_ignored(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

static bool default_stops(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

void lx_sig_set_host_disposition(LxProc *p, int sig)
{
    if (sig == SIGKILL || sig == SIGSTOP || sig < 1 || sig > LX_NSIG) return;
    /* glibc reserves 32/33 for its threads; the host libc refuses them. */
    if (sig >= 32 && sig < SIGRTMIN) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigfillset(&sa.sa_mask);
    if (sig == SIGSEGV || sig == SIGBUS) {
        sa.sa_sigaction = host_fault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
    } else if (BIT(sig) & SYNC_SIGS) {
        /* ILL/FPE/TRAP sent to us are queued for the guest; raised by vm's
         * own code they are internal errors (host_fault tells them apart). */
        sa.sa_sigaction = host_fault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
    } else {
        const LxSigAction *ka = &p->sigact[sig];
        if (gdb_user_on) { /* gdb sees every signal, as a tracer does: handle_signal acts */
            sa.sa_sigaction = host_queue;
            sa.sa_flags = SA_SIGINFO;
        } else if (ka->handler == 1) {
            sa.sa_handler = SIG_IGN;
        } else if (ka->handler == 0) {
            sa.sa_handler = SIG_DFL;
        } else {
            sa.sa_sigaction = host_queue;
            sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: the guest's flags decide */
        }
        if (sig == SIGCHLD) sa.sa_flags |= (int)(ka->flags & (SA_NOCLDSTOP | SA_NOCLDWAIT));
    }
    sigaction(sig, &sa, NULL);
}

void lx_sigreturn_mask_stack(LxProc *p, uint64_t sigmask, const uint8_t *uc_stack, uint64_t sp)
{
    p->blocked = sigmask & ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
    /* stack_t: ss_sp, ss_flags, ss_size */
    uint64_t ss_sp = get64(uc_stack, 0), ss_size = get64(uc_stack, 16);
    uint32_t ss_flags = get32(uc_stack, 8);
    if (!(p->altstack_size && sp - p->altstack_sp < p->altstack_size)) {
        if (ss_flags & SS_DISABLE) {
            p->altstack_sp = p->altstack_size = 0;
        } else if (ss_size >= p->la->minsigstksz) {
            p->altstack_sp = ss_sp;
            p->altstack_size = ss_size;
        }
    }
    lx_apply_host_mask(p);
}

void lx_apply_host_mask(LxProc *p)
{
    sigset_t s;
    sigemptyset(&s);
    for (int sig = 1; sig <= LX_NSIG; sig++)
        if ((p->blocked & BIT(sig) & ~SYNC_SIGS) && (sig < 32 || sig >= SIGRTMIN)) sigaddset(&s, sig);
    sigprocmask(SIG_SETMASK, &s, NULL);
}

void lx_signal_init(LxProc *p)
{
    /* A host alternate stack so a fault handler runs even if vm's stack is
     * in a bad state. */
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
    sigaltstack(&ss, NULL);

    /* Inherited dispositions and mask carry over to the guest, as across
     * execve: ignored stays ignored, handled resets to default. */
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    p->blocked = 0;
    for (int sig = 1; sig <= LX_NSIG; sig++) {
        struct sigaction old;
        memset(&p->sigact[sig], 0, sizeof(p->sigact[sig]));
        if ((sig < 32 || sig >= SIGRTMIN) && sigismember(&cur, sig) == 1) p->blocked |= BIT(sig);
        if (sig >= 32 && sig < SIGRTMIN) continue;
        if (!sigaction(sig, NULL, &old) && old.sa_handler == SIG_IGN && !(BIT(sig) & SYNC_SIGS))
            p->sigact[sig].handler = 1;
        lx_sig_set_host_disposition(p, sig);
    }
    p->blocked &= ~UNBLOCKABLE;
    lx_apply_host_mask(p);
}

/* -- Delivery -------------------------------------------------------------------------- */

_Noreturn void lx_die_by_signal(int sig)
{
    gdb_user_killed(sig); /* gdb: X packet */
    /* Die by the real signal so our parent sees WIFSIGNALED (status 128+N
     * in a shell), as it would for the native program. */
    fflush(NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    /* No core file from vm itself for the guest's crash. */
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGABRT ||
        sig == SIGQUIT || sig == SIGTRAP || sig == SIGSYS) {
        struct rlimit { unsigned long cur, max; } rl = {0, 0};
        syscall(SYS_setrlimit, 4 /* RLIMIT_CORE */, &rl);
    }
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
    _exit(128 + sig);
}

static bool on_altstack(LxProc *p, uint64_t sp)
{
    return p->altstack_size && sp - p->altstack_sp < p->altstack_size;
}

/* Runs the guest handler for sig (or its default action). */
static void handle_signal(LxProc *p, CpuState *cpu, int sig, const siginfo_t *info)
{
    LxSigAction *ka = &p->sigact[sig];
    if (logd_enabled(LOGD_INT))
        fprintf(log_file ? log_file : stderr, "signal %d at pc 0x%llx\n", sig, (unsigned long long)cpu->pc);
    if (ka->handler == 1) return;
    if (ka->handler == 0) {
        if (default_ignored(sig)) return;
        if (default_stops(sig)) {
            kill(getpid(), SIGSTOP);
            return;
        }
        lx_die_by_signal(sig);
    }
    uint64_t sp = p->la->get_sp(cpu);
    uint64_t top = sp;
    if ((ka->flags & SA_ONSTACK) && p->altstack_size && !on_altstack(p, sp))
        top = p->altstack_sp + p->altstack_size;
    uint64_t handler_mask_base = p->blocked;
    if (p->has_saved_mask) {
        /* sigsuspend & co.: the frame restores the mask from before the call. */
        p->blocked = p->saved_mask;
        p->has_saved_mask = false;
    }
    uint8_t si128[128];
    memset(si128, 0, sizeof(si128));
    memcpy(si128, info, sizeof(*info) < 128 ? sizeof(*info) : 128);
    if (p->la->setup_frame(p, cpu, sig, ka, si128, top)) {
        /* Linux: force SIGSEGV when the frame cannot be written. */
        lx_die_by_signal(SIGSEGV);
    }
    p->blocked = handler_mask_base | ka->mask;
    if (!(ka->flags & SA_NODEFER)) p->blocked |= BIT(sig);
    p->blocked &= ~UNBLOCKABLE;
    if (ka->flags & SA_RESETHAND) {
        ka->handler = 0;
        ka->flags &= ~SA_SIGINFO;
        lx_sig_set_host_disposition(p, sig);
    }
    lx_apply_host_mask(p);
}

bool lx_signal_pending(LxProc *p)
{
    return (lx_pending & ~p->blocked) != 0;
}

void lx_deliver_signals(LxProc *p, CpuState *cpu)
{
    for (;;) {
        uint64_t ready = __atomic_load_n(&lx_pending, __ATOMIC_SEQ_CST) & ~p->blocked;
        if (!ready) break;
        /* Synchronous signals first, then the lowest number (kernel dequeue order). */
        uint64_t pick = (ready & SYNC_SIGS) ? (ready & SYNC_SIGS) : ready;
        int sig = __builtin_ctzll(pick) + 1;
        siginfo_t info = pending_info[sig];
        __atomic_and_fetch(&lx_pending, ~BIT(sig), __ATOMIC_SEQ_CST);
        if (gdb_user_on && (info.si_signo = sig = gdb_user_signal(cpu, sig)) == 0) continue; /* gdb */
        handle_signal(p, cpu, sig, &info);
    }
    if (p->has_saved_mask) {
        p->blocked = p->saved_mask;
        p->has_saved_mask = false;
        lx_apply_host_mask(p);
    }
}

void lx_force_signal(LxProc *p, CpuState *cpu, int sig, int code, uint64_t addr)
{
    int gsig = gdb_user_on ? gdb_user_signal(cpu, sig) : sig; /* gdb: reported, maybe replaced */
    if (!gsig) return;
    if (gsig != sig) code = SI_USER, sig = gsig;
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    info.si_signo = sig;
    info.si_code = code;
    info.si_addr = (void *)(uintptr_t)addr;
    /* force_sig_info(): a blocked or ignored fault signal is fatal. */
    LxSigAction *ka = &p->sigact[sig];
    if ((p->blocked & BIT(sig)) || ka->handler == 1) {
        ka->handler = 0;
        p->blocked &= ~BIT(sig);
    }
    if (ka->handler == 0) lx_die_by_signal(sig);
    handle_signal(p, cpu, sig, &info);
}

bool lx_should_restart(LxProc *p)
{
    uint64_t ready = lx_pending & ~p->blocked;
    for (int sig = 1; sig <= LX_NSIG; sig++) {
        if (!(ready & BIT(sig))) continue;
        const LxSigAction *ka = &p->sigact[sig];
        if (ka->handler > 1 && !(ka->flags & SA_RESTART)) return false;
    }
    return true;
}

/* -- System calls -------------------------------------------------------------------- */

int64_t lx_sys_signal(LxProc *p, CpuState *cpu, long nr, const uint64_t a[6])
{
    switch (nr) {
    case LX_NR_rt_sigaction: {
        int sig = (int)a[0];
        if (sig < 1 || sig > LX_NSIG || a[3] != 8) return -EINVAL;
        /* struct sigaction as the arch's kernel lays it out: {handler, flags,
         * [restorer,] mask}, 8 bytes each (sigset_t is 64 bits here). */
        bool rst = p->la->has_sa_restorer;
        size_t gsize = rst ? 32 : 24;
        LxSigAction na = {0};
        if (a[1]) {
            if (sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
            uint64_t g[4];
            if (lx_copy_from(p, g, a[1], gsize)) return -EFAULT;
            na.handler = g[0];
            na.flags = g[1];
            na.restorer = rst ? g[2] : 0;
            na.mask = g[rst ? 3 : 2] & ~UNBLOCKABLE;
        }
        if (a[2]) {
            const LxSigAction *o = &p->sigact[sig];
            uint64_t g[4] = {o->handler, o->flags, o->restorer, o->mask};
            if (!rst) g[2] = o->mask;
            if (lx_copy_to(p, a[2], g, gsize)) return -EFAULT;
        }
        if (a[1]) {
            p->sigact[sig] = na;
            lx_sig_set_host_disposition(p, sig);
            /* Setting SIG_IGN discards a pending instance (POSIX). */
            if (na.handler == 1 || (na.handler == 0 && default_ignored(sig)))
                __atomic_and_fetch(&lx_pending, ~BIT(sig), __ATOMIC_SEQ_CST);
        }
        return 0;
    }
    case LX_NR_rt_sigprocmask: {
        if (a[3] != 8) return -EINVAL;
        uint64_t old = p->blocked, set = 0;
        if (a[1]) {
            if (lx_copy_from(p, &set, a[1], 8)) return -EFAULT;
            switch ((int)a[0]) {
            case SIG_BLOCK: p->blocked |= set; break;
            case SIG_UNBLOCK: p->blocked &= ~set; break;
            case SIG_SETMASK: p->blocked = set; break;
            default: return -EINVAL;
            }
            p->blocked &= ~UNBLOCKABLE;
        }
        if (a[2] && lx_copy_to(p, a[2], &old, 8)) {
            p->blocked = old;
            return -EFAULT;
        }
        if (a[1]) lx_apply_host_mask(p);
        return 0;
    }
    case LX_NR_rt_sigpending: {
        if (a[1] != 8) return -EINVAL;
        sigset_t hs;
        sigpending(&hs);
        uint64_t m = lx_pending;
        for (int sig = 1; sig <= LX_NSIG; sig++)
            if ((sig < 32 || sig >= SIGRTMIN) && sigismember(&hs, sig) == 1) m |= BIT(sig);
        m &= p->blocked;
        return lx_copy_to(p, a[0], &m, 8);
    }
    case LX_NR_rt_sigsuspend: {
        if (a[1] != 8) return -EINVAL;
        uint64_t m;
        if (lx_copy_from(p, &m, a[0], 8)) return -EFAULT;
        p->saved_mask = p->blocked;
        p->has_saved_mask = true;
        p->blocked = m & ~UNBLOCKABLE;
        lx_apply_host_mask(p);
        sigset_t hs;
        sigprocmask(SIG_SETMASK, NULL, &hs);
        while (!lx_signal_pending(p)) sigsuspend(&hs);
        return -EINTR;
    }
    case LX_NR_rt_sigtimedwait: {
        if (a[3] != 8) return -EINVAL;
        uint64_t set;
        if (lx_copy_from(p, &set, a[0], 8)) return -EFAULT;
        LX_GPTR(p, ts, a[2], 16);
        if (a[1] && !lx_access_ok(&p->space, a[1], 128, LX_PG_WRITE)) return -EFAULT;
        uint64_t have = lx_pending & set;
        if (have) {
            int sig = __builtin_ctzll(have) + 1;
            __atomic_and_fetch(&lx_pending, ~BIT(sig), __ATOMIC_SEQ_CST);
            if (a[1]) lx_copy_to(p, a[1], &pending_info[sig], 128);
            return sig;
        }
        uint64_t hk = set & ~SYNC_SIGS;
        siginfo_t si;
        int64_t r = lx_hret(syscall(SYS_rt_sigtimedwait, &hk, &si, ts, 8));
        if (r > 0 && a[1]) lx_copy_to(p, a[1], &si, 128);
        return r;
    }
    case LX_NR_rt_sigreturn:
        if (p->la->sigreturn(p, cpu)) lx_force_signal(p, cpu, SIGSEGV, SEGV_MAPERR, p->la->get_sp(cpu));
        return -LX_ESIGRETURN;
    case LX_NR_sigaltstack: {
        uint64_t sp = p->la->get_sp(cpu);
        if (a[1]) {
            uint64_t o[3] = {p->altstack_sp, 0, p->altstack_size};
            int fl = p->altstack_size ? (on_altstack(p, sp) ? SS_ONSTACK : 0) : SS_DISABLE;
            o[1] = (uint32_t)fl;
            if (lx_copy_to(p, a[1], o, 24)) return -EFAULT;
        }
        if (a[0]) {
            uint64_t n[3];
            if (lx_copy_from(p, n, a[0], 24)) return -EFAULT;
            int fl = (int)(uint32_t)n[1];
            if (on_altstack(p, sp)) return -EPERM;
            if (fl & SS_DISABLE) {
                p->altstack_sp = p->altstack_size = 0;
            } else {
                if (fl & ~(SS_ONSTACK | (1u << 31) /* SS_AUTODISARM */)) return -EINVAL;
                if (n[2] < p->la->minsigstksz) return -ENOMEM;
                p->altstack_sp = n[0];
                p->altstack_size = n[2];
            }
        }
        return 0;
    }
    case LX_NR_kill:
        return lx_hret(kill((pid_t)a[0], (int)a[1]));
    case LX_NR_tkill:
        return lx_hret(syscall(SYS_tkill, (int)a[0], (int)a[1]));
    case LX_NR_tgkill:
        return lx_hret(syscall(SYS_tgkill, (int)a[0], (int)a[1], (int)a[2]));
    case LX_NR_rt_sigqueueinfo: {
        LX_GPTR(p, si, a[2], 128);
        return lx_hret(syscall(SYS_rt_sigqueueinfo, (int)a[0], (int)a[1], si));
    }
    }
    return LX_NOT_MINE;
}
