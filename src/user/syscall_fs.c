/* SPDX-License-Identifier: MIT */
/* File, directory, terminal, pipe, poll and socket system calls. Most pass
 * straight to the host; structures whose riscv64 (asm-generic) layout differs
 * from x86-64's (struct stat, epoll_event) are converted. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "user/lx_nr.h"
#include "user/user_int.h"
#include "vm/log.h"

void lx_stat_to_generic(const struct stat *st, LxGenericStat *g)
{
    memset(g, 0, sizeof(*g));
    g->st_dev = st->st_dev;
    g->st_ino = st->st_ino;
    g->st_mode = st->st_mode;
    g->st_nlink = (uint32_t)st->st_nlink;
    g->st_uid = st->st_uid;
    g->st_gid = st->st_gid;
    g->st_rdev = st->st_rdev;
    g->st_size = st->st_size;
    g->st_blksize = (int32_t)st->st_blksize;
    g->st_blocks = st->st_blocks;
    g->st_atime_ = st->st_atim.tv_sec;
    g->st_atime_nsec = st->st_atim.tv_nsec;
    g->st_mtime_ = st->st_mtim.tv_sec;
    g->st_mtime_nsec = st->st_mtim.tv_nsec;
    g->st_ctime_ = st->st_ctim.tv_sec;
    g->st_ctime_nsec = st->st_ctim.tv_nsec;
}

static bool is_proc_self_exe(const char *path)
{
    if (!strcmp(path, "/proc/self/exe")) return true;
    char buf[64];
    snprintf(buf, sizeof(buf), "/proc/%d/exe", (int)getpid());
    return !strcmp(path, buf);
}

const char *lx_path(LxProc *p, const char *path, char *buf, size_t buflen)
{
    /* /proc/self/exe names the guest program, not vm. */
    if (is_proc_self_exe(path)) return p->exe_path;
    /* -L: an absolute path that exists under the sysroot is taken from there
     * (qemu-user's path prefix), so the loader finds the guest's libraries. */
    const char *root = p->opts ? p->opts->sysroot : NULL;
    if (!root || path[0] != '/' || !path[1]) return path;
    if ((size_t)snprintf(buf, buflen, "%s%s", root, path) >= buflen) return path;
    if (faccessat(AT_FDCWD, buf, F_OK, AT_SYMLINK_NOFOLLOW)) return path;
    return buf;
}

#define GSTR(var, addr)                                  \
    int var##_err = 0;                                   \
    const char *var = lx_str(p, (addr), PATH_MAX, &var##_err); \
    if (!var) return var##_err

/* Guest iovec array -> host iovec array (malloc'd). */
static int64_t get_iov(LxProc *p, uint64_t va, uint64_t cnt, struct iovec **out)
{
    if (cnt > IOV_MAX) return -EINVAL;
    struct iovec *iov = calloc(cnt ? cnt : 1, sizeof(*iov));
    if (!iov) return -ENOMEM;
    for (uint64_t i = 0; i < cnt; i++) {
        uint64_t g[2];
        if (lx_copy_from(p, g, va + 16 * i, 16)) goto fault;
        if (g[1]) {
            iov[i].iov_base = lx_g2h(p, g[0], g[1]);
            if (!iov[i].iov_base) goto fault;
        }
        iov[i].iov_len = g[1];
    }
    *out = iov;
    return 0;
fault:
    free(iov);
    return -EFAULT;
}

static int64_t stat_out(LxProc *p, int r, const struct stat *st, uint64_t va)
{
    if (r) return -errno;
    LxGenericStat g;
    lx_stat_to_generic(st, &g);
    return lx_copy_to(p, va, &g, sizeof(g));
}

/* Kernel sigset (8 bytes) for the host from a guest one, without the
 * synchronous fault signals vm must always receive. */
static uint64_t host_kmask(uint64_t m)
{
    return m & ~((1ull << (SIGSEGV - 1)) | (1ull << (SIGBUS - 1)) | (1ull << (SIGILL - 1)) |
                 (1ull << (SIGFPE - 1)) | (1ull << (SIGTRAP - 1)));
}

static void temp_mask_interrupted(LxProc *p, uint64_t tmp)
{
    /* Like sigsuspend: the handler of the interrupting signal runs under
     * the temporary mask; the old one is restored after delivery. */
    p->saved_mask = p->blocked;
    p->has_saved_mask = true;
    p->blocked = tmp;
}

static int64_t sys_ioctl(LxProc *p, int fd, unsigned long req, uint64_t arg)
{
    size_t size = 0;
    bool ptr = true;
    switch (req) {
    /* Terminal ioctls: struct termios (36 bytes) and struct winsize have the
     * same layout and request numbers in asm-generic and on x86-64. */
    case TCGETS: case TCSETS: case TCSETSW: case TCSETSF: size = 36; break;
    case TIOCGWINSZ: case TIOCSWINSZ: size = 8; break;
    case TIOCGPGRP: case TIOCSPGRP: case TIOCGSID: case FIONREAD: case TIOCOUTQ:
    case FIONBIO: case FIOASYNC: case TIOCGPTN: case TIOCSPTLCK: case TIOCGETD: case TIOCSETD:
    case TIOCMGET: case TIOCMSET: case TIOCMBIS: case TIOCMBIC:
        size = 4;
        break;
    case TCSBRK: case TCSBRKP: case TCXONC: case TCFLSH: case TIOCSCTTY: case TIOCNOTTY:
    case FIONCLEX: case FIOCLEX: case TIOCEXCL: case TIOCNXCL:
        ptr = false;
        break;
    default:
        if (logd_enabled(LOGD_UNIMP))
            fprintf(log_file ? log_file : stderr, "unsupported ioctl 0x%lx on fd %d\n", req, fd);
        return -ENOTTY;
    }
    if (!ptr) return lx_hret(ioctl(fd, req, (unsigned long)arg));
    LX_GPTR(p, h, arg, size);
    return lx_hret(ioctl(fd, req, h));
}

/* epoll_event: 12 bytes packed on x86-64, 16 bytes (u32 events, pad, u64 data) elsewhere. */
static int64_t sys_epoll_ctl(LxProc *p, const uint64_t a[6])
{
    struct epoll_event ev, *evp = NULL;
    if (a[3]) {
        uint8_t g[16];
        if (lx_copy_from(p, g, a[3], 16)) return -EFAULT;
        memcpy(&ev.events, g, 4);
        memcpy(&ev.data.u64, g + 8, 8);
        evp = &ev;
    }
    return lx_hret(epoll_ctl((int)a[0], (int)a[1], (int)a[2], evp));
}

static int64_t sys_epoll_pwait(LxProc *p, const uint64_t a[6])
{
    int max = (int)a[2];
    if (max <= 0 || max > 65536) return -EINVAL;
    if (!lx_access_ok(&p->space, a[1], (uint64_t)max * 16, LX_PG_WRITE)) return -EFAULT;
    struct epoll_event *ev = calloc((size_t)max, sizeof(*ev));
    if (!ev) return -ENOMEM;
    uint64_t km = 0;
    bool has_mask = false;
    if (a[4]) {
        if (a[5] != 8 || lx_copy_from(p, &km, a[4], 8)) {
            free(ev);
            return a[5] != 8 ? -EINVAL : -EFAULT;
        }
        has_mask = true;
        km = host_kmask(km);
    }
    int64_t r = lx_hret(syscall(SYS_epoll_pwait, (int)a[0], ev, max, (int)a[3], has_mask ? &km : NULL, 8));
    for (int64_t i = 0; i < r; i++) {
        uint8_t g[16] = {0};
        memcpy(g, &ev[i].events, 4);
        memcpy(g + 8, &ev[i].data.u64, 8);
        lx_copy_to(p, a[1] + 16 * (uint64_t)i, g, 16);
    }
    free(ev);
    if (r == -EINTR && has_mask) temp_mask_interrupted(p, km);
    return r;
}

int64_t lx_sys_fs(LxProc *p, long nr, const uint64_t a[6])
{
    char pbuf[PATH_MAX];
    int dfd = (int)a[0];
    switch (nr) {
    case LX_NR_read: {
        LX_GPTR(p, b, a[1], a[2]);
        return lx_hret(read(dfd, b, a[2]));
    }
    case LX_NR_write: {
        LX_GPTR(p, b, a[1], a[2]);
        return lx_hret(write(dfd, b, a[2]));
    }
    case LX_NR_pread64: {
        LX_GPTR(p, b, a[1], a[2]);
        return lx_hret(pread(dfd, b, a[2], (off_t)a[3]));
    }
    case LX_NR_pwrite64: {
        LX_GPTR(p, b, a[1], a[2]);
        return lx_hret(pwrite(dfd, b, a[2], (off_t)a[3]));
    }
    case LX_NR_readv:
    case LX_NR_writev:
    case LX_NR_preadv:
    case LX_NR_pwritev: {
        struct iovec *iov;
        int64_t r = get_iov(p, a[1], a[2], &iov);
        if (r) return r;
        switch (nr) {
        case LX_NR_readv: r = lx_hret(readv(dfd, iov, (int)a[2])); break;
        case LX_NR_writev: r = lx_hret(writev(dfd, iov, (int)a[2])); break;
        case LX_NR_preadv: r = lx_hret(syscall(SYS_preadv, dfd, iov, (int)a[2], a[3], a[4])); break;
        default: r = lx_hret(syscall(SYS_pwritev, dfd, iov, (int)a[2], a[3], a[4])); break;
        }
        free(iov);
        return r;
    }
    case LX_NR_openat: {
        GSTR(path, a[1]);
        return lx_hret(syscall(SYS_openat, dfd, lx_path(p, path, pbuf, sizeof(pbuf)), (int)a[2], (mode_t)a[3]));
    }
    case LX_NR_close:
        /* Keep vm's own log stream alive. */
        if (p->log && p->log != stderr && dfd == fileno(p->log)) return 0;
        return lx_hret(close(dfd));
    case LX_NR_close_range:
        return lx_hret(syscall(SYS_close_range, (unsigned)a[0], (unsigned)a[1], (unsigned)a[2]));
    case LX_NR_lseek:
        return lx_hret(lseek(dfd, (off_t)a[1], (int)a[2]));
    case LX_NR_fstat: {
        struct stat st;
        return stat_out(p, fstat(dfd, &st), &st, a[1]);
    }
    case LX_NR_newfstatat: {
        struct stat st;
        GSTR(path, a[1]);
        return stat_out(p, fstatat(dfd, lx_path(p, path, pbuf, sizeof(pbuf)), &st, (int)a[3]), &st, a[2]);
    }
    case LX_NR_statx: {
        GSTR(path, a[1]);
        LX_GPTR(p, b, a[4], 256);
        return lx_hret(syscall(SYS_statx, dfd, lx_path(p, path, pbuf, sizeof(pbuf)), (int)a[2], (unsigned)a[3], b));
    }
    case LX_NR_faccessat: {
        GSTR(path, a[1]);
        return lx_hret(syscall(SYS_faccessat, dfd, lx_path(p, path, pbuf, sizeof(pbuf)), (int)a[2]));
    }
    case LX_NR_faccessat2: {
        GSTR(path, a[1]);
        return lx_hret(syscall(SYS_faccessat2, dfd, lx_path(p, path, pbuf, sizeof(pbuf)), (int)a[2], (int)a[3]));
    }
    case LX_NR_readlinkat: {
        GSTR(path, a[1]);
        LX_GPTR(p, b, a[2], a[3]);
        if (is_proc_self_exe(path)) {
            size_t n = strlen(p->exe_path);
            if (n > a[3]) n = a[3];
            return lx_copy_to(p, a[2], p->exe_path, n) ?: (int64_t)n;
        }
        return lx_hret(readlinkat(dfd, lx_path(p, path, pbuf, sizeof(pbuf)), b, a[3]));
    }
    case LX_NR_getdents64: {
        LX_GPTR(p, b, a[1], a[2]);
        return lx_hret(syscall(SYS_getdents64, dfd, b, (unsigned)a[2]));
    }
    case LX_NR_mkdirat: {
        GSTR(path, a[1]);
        return lx_hret(mkdirat(dfd, path, (mode_t)a[2]));
    }
    case LX_NR_mknodat: {
        GSTR(path, a[1]);
        return lx_hret(mknodat(dfd, path, (mode_t)a[2], (dev_t)a[3]));
    }
    case LX_NR_unlinkat: {
        GSTR(path, a[1]);
        return lx_hret(unlinkat(dfd, path, (int)a[2]));
    }
    case LX_NR_renameat:
    case LX_NR_renameat2: {
        GSTR(from, a[1]);
        GSTR(to, a[3]);
        return lx_hret(syscall(SYS_renameat2, dfd, from, (int)a[2], to, nr == LX_NR_renameat ? 0 : (unsigned)a[4]));
    }
    case LX_NR_symlinkat: {
        GSTR(target, a[0]);
        GSTR(path, a[2]);
        return lx_hret(symlinkat(target, (int)a[1], path));
    }
    case LX_NR_linkat: {
        GSTR(from, a[1]);
        GSTR(to, a[3]);
        return lx_hret(linkat(dfd, from, (int)a[2], to, (int)a[4]));
    }
    case LX_NR_fchmod:
        return lx_hret(fchmod(dfd, (mode_t)a[1]));
    case LX_NR_fchmodat: {
        GSTR(path, a[1]);
        return lx_hret(syscall(SYS_fchmodat, dfd, path, (mode_t)a[2]));
    }
    case LX_NR_fchown:
        return lx_hret(fchown(dfd, (uid_t)a[1], (gid_t)a[2]));
    case LX_NR_fchownat: {
        GSTR(path, a[1]);
        return lx_hret(fchownat(dfd, path, (uid_t)a[2], (gid_t)a[3], (int)a[4]));
    }
    case LX_NR_utimensat: {
        LX_GPTR(p, t, a[2], 32);
        if (!a[1]) return lx_hret(syscall(SYS_utimensat, dfd, NULL, t, (int)a[3]));
        GSTR(path, a[1]);
        return lx_hret(syscall(SYS_utimensat, dfd, path, t, (int)a[3]));
    }
    case LX_NR_truncate: {
        GSTR(path, a[0]);
        return lx_hret(truncate(path, (off_t)a[1]));
    }
    case LX_NR_ftruncate:
        return lx_hret(ftruncate(dfd, (off_t)a[1]));
    case LX_NR_fallocate:
        return lx_hret(fallocate(dfd, (int)a[1], (off_t)a[2], (off_t)a[3]));
    case LX_NR_fadvise64:
        return lx_hret(posix_fadvise(dfd, (off_t)a[1], (off_t)a[2], (int)a[3]) ? (errno = EINVAL, -1) : 0);
    case LX_NR_fsync: return lx_hret(fsync(dfd));
    case LX_NR_fdatasync: return lx_hret(fdatasync(dfd));
    case LX_NR_sync: sync(); return 0;
    case LX_NR_syncfs: return lx_hret(syncfs(dfd));
    case LX_NR_flock: return lx_hret(syscall(SYS_flock, dfd, (int)a[1]));
    case LX_NR_chdir: {
        GSTR(path, a[0]);
        return lx_hret(chdir(path));
    }
    case LX_NR_fchdir: return lx_hret(fchdir(dfd));
    case LX_NR_chroot: {
        GSTR(path, a[0]);
        return lx_hret(chroot(path));
    }
    case LX_NR_getcwd: {
        LX_GPTR(p, b, a[0], a[1]);
        return lx_hret(syscall(SYS_getcwd, b, a[1]));
    }
    case LX_NR_dup: return lx_hret(dup(dfd));
    case LX_NR_dup3: return lx_hret(dup3(dfd, (int)a[1], (int)a[2]));
    case LX_NR_pipe2: {
        int fds[2];
        if (!lx_access_ok(&p->space, a[0], 8, LX_PG_WRITE)) return -EFAULT;
        if (pipe2(fds, (int)a[1])) return -errno;
        return lx_copy_to(p, a[0], fds, 8);
    }
    case LX_NR_fcntl: {
        int cmd = (int)a[1];
        switch (cmd) {
        case F_GETLK: case F_SETLK: case F_SETLKW:
        case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW: {
            LX_GPTR(p, fl, a[2], 32); /* struct flock: same 64-bit layout */
            return lx_hret(fcntl(dfd, cmd, fl));
        }
        case F_GETOWN_EX: case F_SETOWN_EX: {
            LX_GPTR(p, o, a[2], 8);
            return lx_hret(fcntl(dfd, cmd, o));
        }
        default:
            return lx_hret(syscall(SYS_fcntl, dfd, cmd, a[2]));
        }
    }
    case LX_NR_ioctl:
        return sys_ioctl(p, dfd, (unsigned long)a[1], a[2]);
    case LX_NR_statfs: {
        GSTR(path, a[0]);
        LX_GPTR(p, b, a[1], 120); /* struct statfs: all longs on both */
        return lx_hret(syscall(SYS_statfs, path, b));
    }
    case LX_NR_fstatfs: {
        LX_GPTR(p, b, a[1], 120);
        return lx_hret(syscall(SYS_fstatfs, dfd, b));
    }
    case LX_NR_sendfile: {
        LX_GPTR(p, off, a[2], 8);
        return lx_hret(syscall(SYS_sendfile, dfd, (int)a[1], off, a[3]));
    }
    case LX_NR_copy_file_range: {
        LX_GPTR(p, oi, a[1], 8);
        LX_GPTR(p, oo, a[3], 8);
        return lx_hret(syscall(SYS_copy_file_range, dfd, oi, (int)a[2], oo, a[4], (unsigned)a[5]));
    }
    case LX_NR_ppoll: {
        LX_GPTR(p, fds, a[0], a[1] * 8);
        LX_GPTR(p, ts, a[2], 16);
        uint64_t km = 0;
        if (a[3]) {
            if (a[4] != 8) return -EINVAL;
            if (lx_copy_from(p, &km, a[3], 8)) return -EFAULT;
        }
        uint64_t hk = host_kmask(km);
        int64_t r = lx_hret(syscall(SYS_ppoll, fds, a[1], ts, a[3] ? &hk : NULL, 8));
        if (r == -EINTR && a[3]) temp_mask_interrupted(p, km);
        return r;
    }
    case LX_NR_pselect6: {
        uint64_t n = a[0] > 1024 ? 1024 : a[0];
        LX_GPTR(p, in, a[1], (n + 7) / 8);
        LX_GPTR(p, out, a[2], (n + 7) / 8);
        LX_GPTR(p, ex, a[3], (n + 7) / 8);
        LX_GPTR(p, ts, a[4], 16);
        uint64_t sd[2] = {0, 0}, km = 0;
        struct { void *ss; size_t len; } hs = {NULL, 8};
        if (a[5]) {
            if (lx_copy_from(p, sd, a[5], 16)) return -EFAULT;
            if (sd[0]) {
                if (sd[1] != 8) return -EINVAL;
                if (lx_copy_from(p, &km, sd[0], 8)) return -EFAULT;
            }
        }
        uint64_t hk = host_kmask(km);
        if (sd[0]) hs.ss = &hk;
        int64_t r = lx_hret(syscall(SYS_pselect6, (int)a[0], in, out, ex, ts, a[5] ? &hs : NULL));
        if (r == -EINTR && sd[0]) temp_mask_interrupted(p, km);
        return r;
    }
    case LX_NR_epoll_create1: return lx_hret(epoll_create1((int)a[0]));
    case LX_NR_epoll_ctl: return sys_epoll_ctl(p, a);
    case LX_NR_epoll_pwait: return sys_epoll_pwait(p, a);
    case LX_NR_eventfd2: return lx_hret(syscall(SYS_eventfd2, (unsigned)a[0], (int)a[1]));
    case LX_NR_memfd_create: {
        GSTR(name, a[0]);
        return lx_hret(syscall(SYS_memfd_create, name, (unsigned)a[1]));
    }
    case LX_NR_readahead: return lx_hret(syscall(SYS_readahead, dfd, (off_t)a[1], (size_t)a[2]));
    case LX_NR_sync_file_range:
        return lx_hret(syscall(SYS_sync_file_range, dfd, (off_t)a[1], (off_t)a[2], (unsigned)a[3]));
    /* Sockets: sockaddr layouts are the same; socklen_t is a 32-bit int. */
    case LX_NR_socket: return lx_hret(syscall(SYS_socket, (int)a[0], (int)a[1], (int)a[2]));
    case LX_NR_socketpair: {
        LX_GPTR(p, sv, a[3], 8);
        return lx_hret(syscall(SYS_socketpair, (int)a[0], (int)a[1], (int)a[2], sv));
    }
    case LX_NR_bind:
    case LX_NR_connect: {
        LX_GPTR(p, sa, a[1], a[2]);
        return lx_hret(syscall(nr == LX_NR_bind ? SYS_bind : SYS_connect, dfd, sa, (unsigned)a[2]));
    }
    case LX_NR_listen: return lx_hret(syscall(SYS_listen, dfd, (int)a[1]));
    case LX_NR_shutdown: return lx_hret(syscall(SYS_shutdown, dfd, (int)a[1]));
    case LX_NR_accept:
    case LX_NR_accept4:
    case LX_NR_getsockname:
    case LX_NR_getpeername: {
        uint32_t len = 0;
        if (a[2] && lx_copy_from(p, &len, a[2], 4)) return -EFAULT;
        LX_GPTR(p, sa, a[1], len);
        LX_GPTR(p, lp, a[2], 4);
        long sys = nr == LX_NR_getsockname ? SYS_getsockname : nr == LX_NR_getpeername ? SYS_getpeername : SYS_accept4;
        if (sys == SYS_accept4) return lx_hret(syscall(sys, dfd, sa, lp, nr == LX_NR_accept ? 0 : (int)a[3]));
        return lx_hret(syscall(sys, dfd, sa, lp));
    }
    case LX_NR_sendto: {
        LX_GPTR(p, b, a[1], a[2]);
        LX_GPTR(p, sa, a[4], a[5]);
        return lx_hret(syscall(SYS_sendto, dfd, b, a[2], (int)a[3], sa, (unsigned)a[5]));
    }
    case LX_NR_recvfrom: {
        uint32_t len = 0;
        if (a[5] && lx_copy_from(p, &len, a[5], 4)) return -EFAULT;
        LX_GPTR(p, b, a[1], a[2]);
        LX_GPTR(p, sa, a[4], len);
        LX_GPTR(p, lp, a[5], 4);
        return lx_hret(syscall(SYS_recvfrom, dfd, b, a[2], (int)a[3], sa, lp));
    }
    case LX_NR_setsockopt: {
        LX_GPTR(p, v, a[3], a[4]);
        return lx_hret(syscall(SYS_setsockopt, dfd, (int)a[1], (int)a[2], v, (unsigned)a[4]));
    }
    case LX_NR_getsockopt: {
        uint32_t len = 0;
        if (a[4] && lx_copy_from(p, &len, a[4], 4)) return -EFAULT;
        LX_GPTR(p, v, a[3], len);
        LX_GPTR(p, lp, a[4], 4);
        return lx_hret(syscall(SYS_getsockopt, dfd, (int)a[1], (int)a[2], v, lp));
    }
    }
    return LX_NOT_MINE;
}
