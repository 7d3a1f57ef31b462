/* SPDX-License-Identifier: MIT */
/* Processes: clone/fork/vfork as host fork(), execve of guest programs by
 * re-executing vm, wait4/waitid, exit. Guest threads are not supported yet. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "user/lx_nr.h"
#include "user/user_int.h"
#include "vm/log.h"

#define MAX_ARGS 65536

static int64_t sys_clone(LxProc *p, CpuState *cpu, const uint64_t a[6])
{
    uint64_t flags = a[0], newsp = a[1], ptid = a[2];
    uint64_t tls = a[p->la->clone_tls_arg], ctid = a[p->la->clone_ctid_arg];
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
        static bool said;
        if (!said) {
            said = true;
            vm_error("guest threads (clone with CLONE_VM) are not supported yet");
        }
        return -ENOSYS;
    }
    if (flags & (CLONE_THREAD | CLONE_SIGHAND)) return -EINVAL;
    /* vfork: the parent waits until the child execs or exits; a close-on-exec
     * pipe tells us when (the child's copy closes at either). */
    int vfd[2] = {-1, -1};
    if (flags & CLONE_VFORK) {
        if (pipe2(vfd, O_CLOEXEC)) return -errno;
        /* Out of the way of the guest's own descriptor numbers. */
        for (int i = 0; i < 2; i++) {
            int h = fcntl(vfd[i], F_DUPFD_CLOEXEC, 900);
            if (h >= 0) {
                close(vfd[i]);
                vfd[i] = h;
            }
        }
    }
    fflush(NULL);
    int exit_sig = (int)(flags & CSIGNAL);
    pid_t pid = exit_sig == SIGCHLD ? fork() : (pid_t)syscall(SYS_clone, (unsigned long)exit_sig, 0, 0, 0, 0);
    if (pid < 0) {
        int e = errno;
        if (vfd[0] >= 0) close(vfd[0]), close(vfd[1]);
        return -e;
    }
    if (pid == 0) {
        /* Child: pending signals are not inherited. */
        lx_pending = 0;
        gdb_user_forked(); /* gdb debugs the parent only */
        if (vfd[0] >= 0) close(vfd[0]);
        if (newsp) p->la->set_sp(cpu, newsp);
        if (flags & CLONE_SETTLS) p->la->set_tls(cpu, tls);
        pid_t me = (pid_t)syscall(SYS_gettid);
        if (flags & CLONE_CHILD_SETTID) lx_copy_to(p, ctid, &me, 4);
        if (flags & CLONE_PARENT_SETTID) lx_copy_to(p, ptid, &me, 4);
        p->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
        return 0;
    }
    if (flags & CLONE_PARENT_SETTID) lx_copy_to(p, ptid, &pid, 4);
    if (vfd[0] >= 0) {
        close(vfd[1]);
        char c;
        while (read(vfd[0], &c, 1) < 0 && errno == EINTR) {}
        close(vfd[0]);
    }
    return pid;
}

/* Reads a guest NULL-terminated array of strings. */
static int64_t get_strv(LxProc *p, uint64_t va, char ***out)
{
    size_t n = 0, cap = 16;
    char **v = malloc(cap * sizeof(char *));
    if (!v) return -ENOMEM;
    for (; va; n++) {
        uint64_t sp;
        if (n >= MAX_ARGS) goto e2big;
        if (lx_copy_from(p, &sp, va + 8 * n, 8)) goto fault;
        if (!sp) break;
        int err;
        const char *s = lx_str(p, sp, 128 * 1024, &err);
        if (!s) goto fault;
        if (n + 2 >= cap) {
            cap *= 2;
            char **nv = realloc(v, cap * sizeof(char *));
            if (!nv) goto e2big;
            v = nv;
        }
        v[n] = (char *)s;
    }
    v[n] = NULL;
    *out = v;
    return (int64_t)n;
fault:
    free(v);
    return -EFAULT;
e2big:
    free(v);
    return -E2BIG;
}

/* Whether path is a program this vm runs (a supported ELF). */
static int runnable(LxProc *p, const char *path)
{
    LxImage img;
    char err[256];
    int r = lx_elf_probe(path, &img, err, sizeof(err));
    if (r) return r == -ENOENT || r == -EACCES || r == -ENOTDIR || r == -ELOOP || r == -ENAMETOOLONG ? r : -ENOEXEC;
    const GuestArch *ga = arch_by_elf(img.machine);
    if (!ga || !lx_arch_find(img.machine)) return -ENOEXEC;
    return 0;
}

int64_t lx_execve(LxProc *p, const char *gpath, char **argv, char **envp)
{
    char pbuf[PATH_MAX], ibuf[PATH_MAX];
    const char *path = lx_path(p, gpath, pbuf, sizeof(pbuf));
    struct stat st;
    if (stat(path, &st)) return -errno;
    if (S_ISDIR(st.st_mode) || access(path, X_OK)) return -EACCES;

    const char *prog = path;
    char *sh_argv[4] = {NULL, NULL, NULL, NULL};
    int nsh = 0;
    /* #! scripts (fs/binfmt_script.c): run the interpreter, itself a guest program. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    char line[256];
    ssize_t n = read(fd, line, sizeof(line) - 1);
    close(fd);
    static char interp_line[256];
    if (n > 2 && line[0] == '#' && line[1] == '!') {
        line[n] = 0;
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        memcpy(interp_line, line + 2, sizeof(interp_line) - 2);
        char *s = interp_line;
        while (*s == ' ' || *s == '\t') s++;
        char *e = s;
        while (*e && *e != ' ' && *e != '\t') e++;
        char *arg = NULL;
        if (*e) {
            *e++ = 0;
            while (*e == ' ' || *e == '\t') e++;
            if (*e) {
                arg = e;
                char *t = arg + strlen(arg);
                while (t > arg && (t[-1] == ' ' || t[-1] == '\t')) *--t = 0;
            }
        }
        if (!*s) return -ENOEXEC;
        sh_argv[nsh++] = s;
        if (arg) sh_argv[nsh++] = arg;
        sh_argv[nsh++] = (char *)gpath;
        prog = lx_path(p, s, ibuf, sizeof(ibuf));
    }
    int r = runnable(p, prog);
    if (r) return r == -ENOENT && prog != path ? -ENOENT : r;

    const VmOptions *o = p->opts;
    int argc = 0;
    while (argv[argc]) argc++;
    char **va = calloc((size_t)argc + 24, sizeof(char *));
    if (!va) return -ENOMEM;
    int k = 0;
    va[k++] = "vm";
    if (o->sysroot) va[k++] = "-L", va[k++] = (char *)o->sysroot;
    if (p->strace) va[k++] = "-strace";
    if (o->accel) va[k++] = "-accel", va[k++] = (char *)o->accel;
    if (o->jit) va[k++] = "-jit", va[k++] = (char *)o->jit;
    if (o->log_d) va[k++] = "-d", va[k++] = (char *)o->log_d;
    char progbuf[PATH_MAX + 2];
    if (nsh) {
        va[k++] = "-0", va[k++] = sh_argv[0];
        snprintf(progbuf, sizeof(progbuf), "%s%s", prog[0] == '-' ? "./" : "", prog);
        va[k++] = progbuf;
        for (int i = 1; i < nsh; i++) va[k++] = sh_argv[i];
        for (int i = 1; i < argc; i++) va[k++] = argv[i];
    } else {
        /* argv[0] need not be the path (busybox applets key on it). */
        if (argc) va[k++] = "-0", va[k++] = argv[0];
        snprintf(progbuf, sizeof(progbuf), "%s%s", prog[0] == '-' ? "./" : "", prog);
        va[k++] = progbuf;
        for (int i = 1; i < argc; i++) va[k++] = argv[i];
    }
    va[k] = NULL;
    fflush(NULL);
    execve("/proc/self/exe", va, envp);
    int e = errno;
    free(va);
    return -e;
}

int64_t lx_sys_proc(LxProc *p, CpuState *cpu, long nr, const uint64_t a[6])
{
    switch (nr) {
    case LX_NR_exit:
    case LX_NR_exit_group:
        if (p->clear_child_tid) {
            uint32_t z = 0;
            lx_copy_to(p, p->clear_child_tid, &z, 4);
        }
        p->exited = true;
        p->exit_status = (int)(a[0] & 0xff);
        return -LX_ESIGRETURN;
    case LX_NR_clone:
        return sys_clone(p, cpu, a);
    case LX_NR_clone3:
        return -ENOSYS; /* glibc falls back to clone */
    case LX_NR_execve: {
        int err;
        const char *path = lx_str(p, a[0], PATH_MAX, &err);
        if (!path) return err;
        char **argv = NULL, **envp = NULL;
        int64_t r = get_strv(p, a[1], &argv);
        if (r < 0) return r;
        r = get_strv(p, a[2], &envp);
        if (r < 0) {
            free(argv);
            return r;
        }
        r = lx_execve(p, path, argv, envp);
        free(argv);
        free(envp);
        return r;
    }
    case LX_NR_wait4: {
        LX_GPTR(p, st, a[1], 4);
        LX_GPTR(p, ru, a[3], 144);
        return lx_hret(syscall(SYS_wait4, (int)a[0], st, (int)a[2], ru));
    }
    case LX_NR_waitid: {
        LX_GPTR(p, si, a[2], 128);
        LX_GPTR(p, ru, a[4], 144);
        return lx_hret(syscall(SYS_waitid, (int)a[0], (int)a[1], si, (int)a[3], ru));
    }
    }
    return LX_NOT_MINE;
}
