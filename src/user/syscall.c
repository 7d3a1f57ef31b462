/* SPDX-License-Identifier: MIT */
/* System call dispatch (asm-generic numbering) plus the memory, time,
 * identity and system-information calls. Files are in syscall_fs.c, signals
 * in signal.c, processes in proc.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "user/user_int.h"
#include "user/lx_nr.h"
#include "vm/log.h"

/* -- Guest memory access ----------------------------------------------------- */

int lx_copy_from(LxProc *p, void *dst, uint64_t va, size_t len)
{
    if (!lx_access_ok(&p->space, va, len, LX_PG_READ)) return -EFAULT;
    memcpy(dst, p->space.base + va, len);
    return 0;
}

int lx_copy_to(LxProc *p, uint64_t va, const void *src, size_t len)
{
    if (!lx_access_ok(&p->space, va, len, LX_PG_WRITE)) return -EFAULT;
    memcpy(p->space.base + va, src, len);
    return 0;
}

const char *lx_str(LxProc *p, uint64_t va, size_t max, int *err)
{
    /* Walk page by page so an unterminated string ending at an unmapped page
     * is -EFAULT rather than a host fault. */
    uint64_t cur = va;
    for (;;) {
        if (!va || !lx_access_ok(&p->space, cur, 1, LX_PG_READ)) {
            *err = -EFAULT;
            return NULL;
        }
        uint64_t page_end = (cur & LX_PAGE_MASK) + LX_PAGE_SIZE;
        const char *h = (const char *)p->space.base + cur;
        const char *z = memchr(h, 0, page_end - cur);
        if (z) {
            if ((uint64_t)(z - (const char *)p->space.base) - va >= max) break;
            return (const char *)p->space.base + va;
        }
        cur = page_end;
        if (cur - va >= max) break;
    }
    *err = -ENAMETOOLONG;
    return NULL;
}

/* -- Memory --------------------------------------------------------------------- */

int64_t lx_sys_mem(LxProc *p, long nr, const uint64_t a[6])
{
    LxSpace *s = &p->space;
    switch (nr) {
    case LX_NR_brk:
        return (int64_t)lx_brk(s, a[0]);
    case LX_NR_mmap: {
        int flags = (int)a[3];
        /* MAP_32BIT is x86-only; MAP_GROWSDOWN/MAP_STACK/MAP_HUGETLB are hints here. */
        flags &= ~(MAP_GROWSDOWN | MAP_STACK | MAP_HUGETLB | MAP_LOCKED | MAP_32BIT | MAP_EXECUTABLE | MAP_DENYWRITE);
        return lx_mmap(s, a[0], a[1], (int)a[2], flags, (int)a[4], (int64_t)a[5]);
    }
    case LX_NR_munmap:
        return lx_munmap(s, a[0], a[1]);
    case LX_NR_mprotect:
        return lx_mprotect(s, a[0], a[1], (int)a[2]);
    case LX_NR_mremap:
        return lx_mremap(s, a[0], a[1], a[2], (int)a[3], a[4]);
    case LX_NR_madvise: {
        if (a[0] & (LX_PAGE_SIZE - 1)) return -EINVAL;
        uint64_t len = LX_PAGE_ALIGN(a[1]);
        LX_GPTR(p, h, a[0], len);
        switch ((int)a[2]) {
        case MADV_DONTNEED: /* private anonymous pages read back as zero afterwards */
        case MADV_FREE:
        case MADV_WILLNEED:
        case MADV_NORMAL:
        case MADV_RANDOM:
        case MADV_SEQUENTIAL:
            if (!lx_access_ok(s, a[0], len, 0)) return -ENOMEM;
            return lx_hret(madvise(h, len, (int)a[2]));
        default:
            return 0; /* hints (hugepage, dump, ...) */
        }
    }
    case LX_NR_msync: {
        LX_GPTR(p, h, a[0], a[1]);
        return lx_hret(msync(h, a[1], (int)a[2]));
    }
    case LX_NR_mincore: {
        LX_GPTR(p, h, a[0], a[1]);
        LX_GPTR(p, vec, a[2], (a[1] + LX_PAGE_SIZE - 1) / LX_PAGE_SIZE);
        return lx_hret(mincore(h, a[1], vec));
    }
    case LX_NR_mlock:
    case LX_NR_munlock:
    case LX_NR_mlockall:
    case LX_NR_munlockall:
        return 0;
    case LX_NR_riscv_flush_icache:
        if (lx_code_changed) lx_code_changed(a[0], a[1] > a[0] ? a[1] - a[0] : 0);
        return 0;
    }
    return LX_NOT_MINE;
}

/* -- Time, identity, system information ---------------------------------------------- */

static int64_t sys_misc(LxProc *p, long nr, const uint64_t a[6])
{
    switch (nr) {
    case LX_NR_clock_gettime: {
        LX_GPTR(p, ts, a[1], 16);
        return lx_hret(syscall(SYS_clock_gettime, (int)a[0], ts));
    }
    case LX_NR_clock_getres: {
        LX_GPTR(p, ts, a[1], 16);
        return lx_hret(syscall(SYS_clock_getres, (int)a[0], ts));
    }
    case LX_NR_clock_nanosleep: {
        LX_GPTR(p, req, a[2], 16);
        LX_GPTR(p, rem, a[3], 16);
        long r = syscall(SYS_clock_nanosleep, (int)a[0], (int)a[1], req, rem);
        return r > 0 ? -r : lx_hret(r); /* returns the error number directly */
    }
    case LX_NR_nanosleep: {
        LX_GPTR(p, req, a[0], 16);
        LX_GPTR(p, rem, a[1], 16);
        return lx_hret(syscall(SYS_nanosleep, req, rem));
    }
    case LX_NR_gettimeofday: {
        LX_GPTR(p, tv, a[0], 16);
        LX_GPTR(p, tz, a[1], 8);
        return lx_hret(syscall(SYS_gettimeofday, tv, tz));
    }
    case LX_NR_times: {
        LX_GPTR(p, t, a[0], 32);
        return lx_hret(syscall(SYS_times, t));
    }
    case LX_NR_getitimer: {
        LX_GPTR(p, v, a[1], 32);
        return lx_hret(syscall(SYS_getitimer, (int)a[0], v));
    }
    case LX_NR_setitimer: {
        LX_GPTR(p, v, a[1], 32);
        LX_GPTR(p, o, a[2], 32);
        return lx_hret(syscall(SYS_setitimer, (int)a[0], v, o));
    }
    case LX_NR_sysinfo: {
        LX_GPTR(p, si, a[0], 112);
        return lx_hret(syscall(SYS_sysinfo, si));
    }
    case LX_NR_uname: {
        struct utsname u;
        if (uname(&u)) return -errno;
        snprintf(u.machine, sizeof(u.machine), "%s", p->la->name);
        return lx_copy_to(p, a[0], &u, sizeof(u));
    }
    case LX_NR_getrandom: {
        LX_GPTR(p, b, a[0], a[1]);
        return lx_hret(syscall(SYS_getrandom, b, a[1], (unsigned)a[2]));
    }
    case LX_NR_prlimit64: {
        LX_GPTR(p, nl, a[2], 16);
        LX_GPTR(p, ol, a[3], 16);
        int res = (int)a[1];
        /* Limits on address space or data size would cap vm's own host
         * allocations (the guest reservation is 1 TiB): accept and ignore. */
        if (nl && (res == RLIMIT_AS || res == RLIMIT_DATA || res == RLIMIT_STACK)) {
            if (ol) return lx_hret(syscall(SYS_prlimit64, (int)a[0], res, NULL, ol));
            return 0;
        }
        return lx_hret(syscall(SYS_prlimit64, (int)a[0], res, nl, ol));
    }
    case LX_NR_getrlimit: {
        LX_GPTR(p, l, a[1], 16);
        return lx_hret(syscall(SYS_getrlimit, (int)a[0], l));
    }
    case LX_NR_setrlimit: {
        LX_GPTR(p, l, a[1], 16);
        int res = (int)a[0];
        if (res == RLIMIT_AS || res == RLIMIT_DATA || res == RLIMIT_STACK) return 0;
        return lx_hret(syscall(SYS_setrlimit, res, l));
    }
    case LX_NR_getrusage: {
        LX_GPTR(p, u, a[1], 144);
        return lx_hret(syscall(SYS_getrusage, (int)a[0], u));
    }
    case LX_NR_getpid: return getpid();
    case LX_NR_getppid: return getppid();
    case LX_NR_gettid: return lx_hret(syscall(SYS_gettid));
    case LX_NR_getuid: return getuid();
    case LX_NR_geteuid: return geteuid();
    case LX_NR_getgid: return getgid();
    case LX_NR_getegid: return getegid();
    case LX_NR_getresuid:
    case LX_NR_getresgid: {
        LX_GPTR(p, r, a[0], 4);
        LX_GPTR(p, e, a[1], 4);
        LX_GPTR(p, s, a[2], 4);
        return lx_hret(syscall(nr == LX_NR_getresuid ? SYS_getresuid : SYS_getresgid, r, e, s));
    }
    case LX_NR_getgroups: {
        LX_GPTR(p, l, a[1], a[0] * 4);
        return lx_hret(syscall(SYS_getgroups, (int)a[0], l));
    }
    case LX_NR_setgroups: {
        LX_GPTR(p, l, a[1], a[0] * 4);
        return lx_hret(syscall(SYS_setgroups, (int)a[0], l));
    }
    case LX_NR_setuid: return lx_hret(syscall(SYS_setuid, (unsigned)a[0]));
    case LX_NR_setgid: return lx_hret(syscall(SYS_setgid, (unsigned)a[0]));
    case LX_NR_setreuid: return lx_hret(syscall(SYS_setreuid, (unsigned)a[0], (unsigned)a[1]));
    case LX_NR_setregid: return lx_hret(syscall(SYS_setregid, (unsigned)a[0], (unsigned)a[1]));
    case LX_NR_setresuid:
        return lx_hret(syscall(SYS_setresuid, (unsigned)a[0], (unsigned)a[1], (unsigned)a[2]));
    case LX_NR_setresgid:
        return lx_hret(syscall(SYS_setresgid, (unsigned)a[0], (unsigned)a[1], (unsigned)a[2]));
    case LX_NR_setfsuid: return lx_hret(syscall(SYS_setfsuid, (unsigned)a[0]));
    case LX_NR_setfsgid: return lx_hret(syscall(SYS_setfsgid, (unsigned)a[0]));
    case LX_NR_setsid: return lx_hret(syscall(SYS_setsid));
    case LX_NR_getsid: return lx_hret(syscall(SYS_getsid, (int)a[0]));
    case LX_NR_setpgid: return lx_hret(syscall(SYS_setpgid, (int)a[0], (int)a[1]));
    case LX_NR_getpgid: return lx_hret(syscall(SYS_getpgid, (int)a[0]));
    case LX_NR_umask: return umask((mode_t)a[0]);
    case LX_NR_getpriority: return lx_hret(syscall(SYS_getpriority, (int)a[0], (int)a[1]));
    case LX_NR_setpriority: return lx_hret(syscall(SYS_setpriority, (int)a[0], (int)a[1], (int)a[2]));
    case LX_NR_sched_yield: return lx_hret(syscall(SYS_sched_yield));
    case LX_NR_sched_getaffinity: {
        LX_GPTR(p, m, a[2], a[1]);
        return lx_hret(syscall(SYS_sched_getaffinity, (int)a[0], (size_t)a[1], m));
    }
    case LX_NR_sched_setaffinity: {
        LX_GPTR(p, m, a[2], a[1]);
        return lx_hret(syscall(SYS_sched_setaffinity, (int)a[0], (size_t)a[1], m));
    }
    case LX_NR_sched_getscheduler: return lx_hret(syscall(SYS_sched_getscheduler, (int)a[0]));
    case LX_NR_sched_getparam: {
        LX_GPTR(p, sp, a[1], 4);
        return lx_hret(syscall(SYS_sched_getparam, (int)a[0], sp));
    }
    case LX_NR_sched_get_priority_max: return lx_hret(syscall(SYS_sched_get_priority_max, (int)a[0]));
    case LX_NR_sched_get_priority_min: return lx_hret(syscall(SYS_sched_get_priority_min, (int)a[0]));
    case LX_NR_getcpu: {
        LX_GPTR(p, c, a[0], 4);
        LX_GPTR(p, n, a[1], 4);
        return lx_hret(syscall(SYS_getcpu, c, n, NULL));
    }
    case LX_NR_prctl:
        switch ((int)a[0]) {
        case PR_SET_NAME:
        case PR_GET_NAME: {
            LX_GPTR(p, name, a[1], 16);
            return lx_hret(prctl((int)a[0], name, 0, 0, 0));
        }
        case PR_SET_PDEATHSIG:
        case PR_GET_DUMPABLE:
        case PR_SET_DUMPABLE:
        case PR_SET_NO_NEW_PRIVS:
        case PR_GET_NO_NEW_PRIVS:
        case PR_SET_CHILD_SUBREAPER:
            return lx_hret(prctl((int)a[0], a[1], a[2], a[3], a[4]));
        default:
            return -EINVAL;
        }
    case LX_NR_set_tid_address:
        p->clear_child_tid = a[0];
        return lx_hret(syscall(SYS_gettid));
    case LX_NR_set_robust_list:
        return a[1] == 24 ? 0 : -EINVAL;
    case LX_NR_get_robust_list:
        return -ENOSYS;
    case LX_NR_rseq:
        return -ENOSYS;
    case LX_NR_riscv_hwprobe:
        return -ENOSYS;
    case LX_NR_membarrier:
        return 0;
    case LX_NR_futex: {
        /* The host futex on the host address of the word: correct for
         * private futexes and for MAP_SHARED memory across fork. */
        int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;
        LX_GPTR(p, uaddr, a[0], 4);
        if (!uaddr) return -EFAULT;
        void *t = (void *)(uintptr_t)a[3];
        void *uaddr2 = NULL;
        switch (cmd) {
        case FUTEX_WAIT:
        case FUTEX_WAIT_BITSET:
        case FUTEX_LOCK_PI:
        case FUTEX_LOCK_PI2:
        case FUTEX_WAIT_REQUEUE_PI: {
            LX_GPTR(p, tt, a[3], 16);
            t = tt;
            break;
        }
        }
        switch (cmd) {
        case FUTEX_REQUEUE:
        case FUTEX_CMP_REQUEUE:
        case FUTEX_WAKE_OP:
        case FUTEX_WAIT_REQUEUE_PI:
        case FUTEX_CMP_REQUEUE_PI: {
            LX_GPTR(p, u2, a[4], 4);
            uaddr2 = u2;
            break;
        }
        }
        return lx_hret(syscall(SYS_futex, uaddr, op, (uint32_t)a[2], t, uaddr2, (uint32_t)a[5]));
    }
    }
    return LX_NOT_MINE;
}

/* Calls that report EINTR to the guest instead of restarting under
 * SA_RESTART (signal(7), "never restarted"). */
static bool never_restarted(long nr)
{
    switch (nr) {
    case LX_NR_rt_sigsuspend:
    case LX_NR_ppoll:
    case LX_NR_pselect6:
    case LX_NR_epoll_pwait:
    case LX_NR_nanosleep:
    case LX_NR_clock_nanosleep:
    case LX_NR_rt_sigtimedwait:
        return true;
    }
    return false;
}

int64_t lx_syscall(LxProc *p, CpuState *cpu, long nr, const uint64_t a[6])
{
    int64_t r = lx_sys_fs(p, nr, a);
    if (r == LX_NOT_MINE) r = lx_sys_mem(p, nr, a);
    if (r == LX_NOT_MINE) r = sys_misc(p, nr, a);
    if (r == LX_NOT_MINE) r = lx_sys_signal(p, cpu, nr, a);
    if (r == LX_NOT_MINE) r = lx_sys_proc(p, cpu, nr, a);
    if (r == LX_NOT_MINE) {
        if (logd_enabled(LOGD_UNIMP)) {
            const char *name = lx_syscall_name(nr);
            fprintf(log_file ? log_file : stderr, "unsupported syscall %ld%s%s%s\n", nr,
                    name ? " (" : "", name ? name : "", name ? ")" : "");
        }
        r = -ENOSYS;
    }
    /* A host call interrupted by a signal the guest handles: restart it
     * (pc stays on the syscall instruction) when SA_RESTART says so. */
    if (r == -EINTR && !never_restarted(nr) && lx_should_restart(p)) r = -LX_ERESTARTSYS;
    return r;
}
