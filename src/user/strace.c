/* SPDX-License-Identifier: MIT */
/* -strace: one line per guest system call on stderr, in qemu-user's style:
 * "PID name(arg, ...) = RET" with paths quoted and errors as errno. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "user/lx_nr.h"
#include "user/user_int.h"

static const char *const names[LX_NR_MAX] = {
#define NAME(n, nr) [nr] = #n,
    LX_SYSCALLS(NAME)
#undef NAME
};

const char *lx_syscall_name(long nr)
{
    return nr >= 0 && nr < LX_NR_MAX ? names[nr] : NULL;
}

/* Argument formats: d int, u unsigned, x hex, o octal, p pointer, s string,
 * f dirfd, - stop (fewer arguments). Calls not listed print three in hex. */
static const char *fmt_of(long nr)
{
    switch (nr) {
    case LX_NR_read: case LX_NR_write: case LX_NR_pread64: case LX_NR_pwrite64: return "dpu";
    case LX_NR_readv: case LX_NR_writev: return "dpd";
    case LX_NR_openat: return "fsxo";
    case LX_NR_close: case LX_NR_dup: case LX_NR_fsync: case LX_NR_fdatasync: case LX_NR_fchdir: return "d";
    case LX_NR_dup3: return "ddx";
    case LX_NR_lseek: return "ddd";
    case LX_NR_fstat: case LX_NR_fstatfs: return "dp";
    case LX_NR_newfstatat: return "fspx";
    case LX_NR_statx: return "fsxxp";
    case LX_NR_faccessat: return "fso";
    case LX_NR_faccessat2: return "fsox";
    case LX_NR_readlinkat: return "fspu";
    case LX_NR_getdents64: return "dpu";
    case LX_NR_mkdirat: return "fso";
    case LX_NR_unlinkat: return "fsx";
    case LX_NR_renameat: case LX_NR_renameat2: return "fsfs";
    case LX_NR_symlinkat: return "sfs";
    case LX_NR_linkat: return "fsfsx";
    case LX_NR_fchmodat: return "fso";
    case LX_NR_fchmod: return "do";
    case LX_NR_fchownat: return "fsddx";
    case LX_NR_utimensat: return "fspx";
    case LX_NR_chdir: case LX_NR_statfs: case LX_NR_truncate: return "sp";
    case LX_NR_getcwd: return "pu";
    case LX_NR_fcntl: return "ddx";
    case LX_NR_ioctl: return "dxp";
    case LX_NR_pipe2: return "px";
    case LX_NR_ppoll: return "pupp";
    case LX_NR_pselect6: return "dppppp";
    case LX_NR_umask: return "o";
    case LX_NR_uname: case LX_NR_sysinfo: case LX_NR_times: return "p";
    case LX_NR_clock_gettime: case LX_NR_clock_getres: return "dp";
    case LX_NR_nanosleep: return "pp";
    case LX_NR_getrandom: return "pux";
    case LX_NR_prlimit64: return "ddpp";
    case LX_NR_getpid: case LX_NR_getppid: case LX_NR_gettid: case LX_NR_getuid: case LX_NR_geteuid:
    case LX_NR_getgid: case LX_NR_getegid: case LX_NR_setsid: case LX_NR_sync: case LX_NR_sched_yield:
        return "-";
    case LX_NR_set_tid_address: return "p";
    case LX_NR_set_robust_list: return "pu";
    case LX_NR_futex: return "pxdppd";
    case LX_NR_brk: return "p";
    case LX_NR_mmap: return "pxxxdx";
    case LX_NR_munmap: return "pu";
    case LX_NR_mprotect: return "pux";
    case LX_NR_mremap: return "puuxp";
    case LX_NR_madvise: return "pud";
    case LX_NR_exit: case LX_NR_exit_group: return "d";
    case LX_NR_wait4: return "dpxp";
    case LX_NR_kill: case LX_NR_tkill: return "dd";
    case LX_NR_tgkill: return "ddd";
    case LX_NR_rt_sigaction: return "dppu";
    case LX_NR_rt_sigprocmask: return "dppu";
    case LX_NR_rt_sigreturn: return "-";
    case LX_NR_rt_sigsuspend: return "pu";
    case LX_NR_sigaltstack: return "pp";
    case LX_NR_execve: return "spp";
    case LX_NR_clone: return "xpppp";
    case LX_NR_setpgid: return "dd";
    case LX_NR_getpgid: case LX_NR_getsid: return "d";
    }
    return NULL;
}

static void put_str(FILE *f, LxProc *p, uint64_t va)
{
    int err;
    const char *s = va ? lx_str(p, va, 4096, &err) : NULL;
    if (!s) {
        fprintf(f, va ? "0x%llx" : "NULL", (unsigned long long)va);
        return;
    }
    fputc('"', f);
    int i;
    for (i = 0; s[i] && i < 64; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 32 || c >= 127) fprintf(f, "\\%o", c);
        else fputc(c, f);
    }
    fputs(s[i] ? "\"..." : "\"", f);
}

static void put_call(FILE *f, LxProc *p, long nr, const uint64_t a[6])
{
    const char *name = lx_syscall_name(nr);
    fprintf(f, "%d ", (int)getpid());
    if (name) fputs(name, f);
    else fprintf(f, "syscall_%ld", nr);
    fputc('(', f);
    const char *fmt = fmt_of(nr);
    if (!fmt) fmt = "xxx";
    for (int i = 0; fmt[i] && fmt[i] != '-' && i < 6; i++) {
        if (i) fputc(',', f);
        uint64_t v = a[i];
        switch (fmt[i]) {
        case 'd': fprintf(f, "%d", (int)v); break;
        case 'u': fprintf(f, "%llu", (unsigned long long)v); break;
        case 'o': fprintf(f, "0%llo", (unsigned long long)v); break;
        case 'p': fprintf(f, v ? "0x%llx" : "NULL", (unsigned long long)v); break;
        case 's': put_str(f, p, v); break;
        case 'f':
            if ((int)v == AT_FDCWD) fputs("AT_FDCWD", f);
            else fprintf(f, "%d", (int)v);
            break;
        default: fprintf(f, "0x%llx", (unsigned long long)v); break;
        }
    }
    fputc(')', f);
}

static FILE *out(LxProc *p) { return p->log ? p->log : stderr; }

void lx_strace_enter(LxProc *p, long nr, const uint64_t a[6])
{
    /* Calls that may not return print before running. */
    if (nr == LX_NR_exit || nr == LX_NR_exit_group || nr == LX_NR_execve) {
        FILE *f = out(p);
        put_call(f, p, nr, a);
        fputc('\n', f);
        fflush(f);
    }
}

void lx_strace_exit(LxProc *p, long nr, const uint64_t a[6], int64_t ret)
{
    if (nr == LX_NR_exit || nr == LX_NR_exit_group) return;
    FILE *f = out(p);
    if (nr == LX_NR_execve) {
        fprintf(f, "%d execve = ", (int)getpid());
    } else {
        put_call(f, p, nr, a);
        fputs(" = ", f);
    }
    if (ret == -LX_ERESTARTSYS) {
        fputs("? ERESTARTSYS (to be restarted)\n", f);
    } else if (ret == -LX_ESIGRETURN) {
        fputs("?\n", f);
    } else if (ret < 0 && ret > -4096) {
        fprintf(f, "-1 errno=%d (%s)\n", (int)-ret, strerror((int)-ret));
    } else if (nr == LX_NR_mmap || nr == LX_NR_brk || nr == LX_NR_mremap) {
        fprintf(f, "0x%llx\n", (unsigned long long)ret);
    } else {
        fprintf(f, "%lld\n", (long long)ret);
    }
    fflush(f);
}
