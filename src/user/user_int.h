/* SPDX-License-Identifier: MIT */
/* Linux user mode, private header: the process state, the per-arch glue table
 * (LxArch), the guest address space, and the pieces user.c wires together. */
#ifndef VM_USER_INT_H
#define VM_USER_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>

#include "vm/arch.h"
#include "vm/cpu.h"
#include "vm/engine.h"
#include "vm/options.h"

/* -- Guest address space -------------------------------------------------------
 * One host reservation of LX_SPACE_SIZE bytes (PROT_NONE, MAP_NORESERVE), with a
 * LX_GUARD_SIZE guard after it so an access straddling guest_limit still faults
 * inside memory we own. Guest address A lives at host guest_base + A. Pages
 * never leave the reservation: a guest munmap turns them back into PROT_NONE.
 *
 * Layout (chosen to resemble riscv64 Linux with Sv39, whose user space ends at
 * 256 GiB, so pointer-tagging or 39-bit assumptions in guests still hold):
 *   0x10000 ..             ET_EXEC programs at their link address, then brk
 *   LX_ET_DYN_BASE         PIE / static-pie programs (2/3 of 256 GiB, as Linux)
 *   .. LX_MMAP_TOP         mmap() top-down allocation, dynamic loader
 *   LX_STACK_TOP           initial stack (grows down, LX_STACK_SIZE)
 *   .. 1 TiB               reachable with MAP_FIXED only */
#define LX_PAGE_SIZE 4096ull
#define LX_PAGE_MASK (~(LX_PAGE_SIZE - 1))
#define LX_SPACE_SIZE (1ull << 40)
#define LX_GUARD_SIZE (1ull << 20)
#define LX_STACK_TOP 0x3fff000000ull
#define LX_STACK_SIZE (8ull << 20)
#define LX_MMAP_TOP (LX_STACK_TOP - LX_STACK_SIZE - (1ull << 30))
#define LX_ET_DYN_BASE 0x2aaaaaa000ull
#define LX_MMAP_MIN 0x10000ull /* vm.mmap_min_addr */

#define LX_PAGE_ALIGN(x) (((x) + LX_PAGE_SIZE - 1) & LX_PAGE_MASK)

/* Guest page flags, one byte per page (PROT_READ/WRITE/EXEC values = Linux's). */
enum {
    LX_PG_READ = 1,
    LX_PG_WRITE = 2,
    LX_PG_EXEC = 4,
    LX_PG_VALID = 8, /* mapped (possibly PROT_NONE) */
    LX_PG_ANON = 16, /* anonymous (not file-backed) */
    /* Code was translated from this page. While the guest may write it, vm
     * keeps the host page read-only, so the first store (from guest code or a
     * syscall) drops the page's translations before it lands (see
     * lx_code_fetched and lx_code_write_fault). */
    LX_PG_CODE = 32,
};

typedef struct LxSpace {
    uint8_t *base;   /* host address of guest 0 */
    uint64_t limit;  /* guest addresses are [0, limit) */
    uint8_t **dir;   /* page flags: dir[va >> 21][(va >> 12) & 511], lazily allocated */
    uint64_t ndir;
    uint64_t brk_start, brk_cur, brk_max; /* program break (brk_cur may be unaligned) */
    uint64_t mmap_top;                    /* top-down search start */
    uint64_t stack_top;                   /* initial stack top (LX_STACK_TOP, or lower in a small space) */
    uint64_t dyn_base;                    /* ET_DYN load base (LX_ET_DYN_BASE, or lower) */
    uint64_t ncode_wp;                    /* pages write-protected for LX_PG_CODE (CODE and guest WRITE) */
} LxSpace;

/* Smaller reservation tried when LX_SPACE_SIZE cannot be had (valgrind caps a
 * process's address space near 32 GiB; so do some ulimit -v settings). The
 * layout then shrinks in proportion; only programs needing more memory notice. */
#define LX_SPACE_SIZE_SMALL (16ull << 30)

int lx_space_init(LxSpace *s, uint64_t size);
void lx_space_free(LxSpace *s);
/* Page flags of the page holding va (0 = unmapped). */
unsigned lx_page_flags(const LxSpace *s, uint64_t va);
void lx_set_flags(LxSpace *s, uint64_t start, uint64_t len, unsigned flags);
/* True when every page in [va, va+len) is mapped with all of `prot`. */
bool lx_access_ok(const LxSpace *s, uint64_t va, uint64_t len, unsigned prot);
/* Finds a free, page-aligned range of len bytes, top-down below `hint_top`
 * (0 = mmap_top). Returns 0 when none. */
uint64_t lx_find_free(LxSpace *s, uint64_t len, uint64_t hint_top);
bool lx_range_free(const LxSpace *s, uint64_t start, uint64_t len);
/* mmap/munmap/mprotect/mremap/brk with Linux semantics, returning guest
 * addresses or -errno. `fd` is a host fd (-1 for anonymous). */
int64_t lx_mmap(LxSpace *s, uint64_t addr, uint64_t len, int prot, int flags, int fd, int64_t off);
int lx_munmap(LxSpace *s, uint64_t addr, uint64_t len);
int lx_mprotect(LxSpace *s, uint64_t addr, uint64_t len, int prot);
int64_t lx_mremap(LxSpace *s, uint64_t old, uint64_t oldlen, uint64_t newlen, int flags, uint64_t new_addr);
uint64_t lx_brk(LxSpace *s, uint64_t want);
/* Called when guest code pages change (unmapped/remapped/made non-exec, or
 * written after translation). */
extern void (*lx_code_changed)(uint64_t start, uint64_t len);
/* Self-modifying code without cache maintenance (issue 5): code fetch for
 * translation marks [va, va+len)'s pages LX_PG_CODE and write-protects the
 * guest-writable ones on the host. A host write fault on such a page calls
 * lx_code_write_fault, which drops the page's translations, gives the write
 * permission back and returns true (the faulting store is then retried);
 * false means an ordinary fault. lx_code_unprotect does the same for a whole
 * range before a host syscall writes guest memory (the kernel answers EFAULT
 * instead of faulting). Guest-visible protection is unchanged throughout. */
void lx_code_fetched(LxSpace *s, uint64_t va, uint64_t len);
bool lx_code_write_fault(LxSpace *s, uint64_t va);
void lx_code_unprotect(LxSpace *s, uint64_t va, uint64_t len);

/* -- ELF loading -------------------------------------------------------------- */

typedef struct LxImage {
    uint16_t machine;
    uint16_t type;      /* ET_EXEC / ET_DYN */
    uint32_t eflags;
    uint64_t entry;     /* relocated */
    uint64_t load_bias; /* 0 for ET_EXEC */
    uint64_t phdr;      /* guest address of the program headers (AT_PHDR), 0 if not loaded */
    uint64_t phnum, phent;
    uint64_t lo, hi;    /* relocated extent of the PT_LOAD segments */
    uint64_t brk;       /* end of the highest segment (start of brk) */
    bool exec_stack;    /* PT_GNU_STACK with PF_X, or no PT_GNU_STACK */
    char interp[256];   /* PT_INTERP, "" if none */
} LxImage;

/* Reads and validates the ELF header of path. Fills *machine (e_machine) etc.
 * Returns 0, or -errno with a one-line reason (without "vm: PROG: ") in err. */
int lx_elf_probe(const char *path, LxImage *img, char *err, size_t errlen);
/* Probes and maps path into s. `is_interp` picks the placement policy for
 * ET_DYN (loader goes into the mmap area); want_machine != 0 must match. */
int lx_elf_load(LxSpace *s, const char *path, bool is_interp, uint16_t want_machine,
                LxImage *img, char *err, size_t errlen);

/* -- Per-arch glue -------------------------------------------------------------- */

typedef struct LxSigAction {
    uint64_t handler;  /* guest address, or SIG_DFL (0) / SIG_IGN (1) */
    uint64_t flags;    /* SA_* (asm-generic values, same as x86-64) */
    uint64_t restorer; /* sa_restorer (arches with SA_RESTORER only), else 0 */
    uint64_t mask;     /* blocked during the handler, bit (sig-1) */
} LxSigAction;
/* SA_RESTORER (arm64, x86): the handler returns to sa_restorer, not the vDSO. */
#define LX_SA_RESTORER 0x04000000u

typedef struct LxProc LxProc;

typedef struct LxArch {
    const char *name;
    uint16_t elf_machine;
    /* Translates the arch's syscall number to the asm-generic one (NULL = same). */
    long (*syscall_nr_map)(long nr);
    long (*syscall_nr)(CpuState *cpu);
    uint64_t (*syscall_arg)(CpuState *cpu, int i);
    void (*set_return)(CpuState *cpu, int64_t ret);
    unsigned syscall_insn_len; /* pc advance after the syscall instruction */
    uint8_t clone_tls_arg, clone_ctid_arg; /* clone()'s argument order */
    uint64_t hwcap;
    uint64_t hwcap2;      /* AT_HWCAP2 (passed when nonzero) */
    const char *platform; /* AT_PLATFORM, or NULL */
    uint64_t minsigstksz;
    /* The kernel struct sigaction has sa_restorer (arm64: {handler, flags,
     * restorer, mask}, 32 bytes) or not (riscv64: {handler, flags, mask}). */
    bool has_sa_restorer;
    /* Registers at process entry (after arch cpu_reset). */
    void (*entry_setup)(CpuState *cpu, uint64_t pc, uint64_t sp);
    /* Stack pointer / thread pointer / return-address access for signals and fork. */
    uint64_t (*get_sp)(CpuState *cpu);
    void (*set_sp)(CpuState *cpu, uint64_t sp);
    void (*set_tls)(CpuState *cpu, uint64_t tls);
    /* Builds the rt_sigframe at sp_top (below it, aligned) and points the vCPU
     * at the handler. Returns 0 or -EFAULT (frame not writable). */
    int (*setup_frame)(LxProc *p, CpuState *cpu, int sig, const LxSigAction *ka,
                       const void *siginfo128, uint64_t sp_top);
    /* rt_sigreturn: restores registers, mask and altstack from the frame at sp. */
    int (*sigreturn)(LxProc *p, CpuState *cpu);
    /* ELF header e_flags this implementation can run. 0 or -ENOEXEC (reason in err). */
    int (*check_eflags)(uint32_t eflags, char *err, size_t errlen);
    /* Code of the sigreturn trampoline mapped into guest memory. */
    const uint8_t *sigtramp;
    unsigned sigtramp_len;
} LxArch;

const LxArch *lx_arch_find(uint16_t elf_machine);
extern const LxArch lx_arch_riscv64;
extern const LxArch lx_arch_aarch64;

/* -- Process ----------------------------------------------------------------------- */

#define LX_NSIG 64

typedef struct LxProc {
    const VmOptions *opts;
    const Engine *engine;
    const LxArch *la;
    const GuestArch *ga;
    CpuState *cpu;
    LxSpace space;
    LxImage exe, interp;
    char exe_path[4096]; /* absolute host path of the guest program (for /proc/self/exe) */
    const char *execfn;
    uint64_t sigtramp; /* guest address of the sigreturn trampoline */

    LxSigAction sigact[LX_NSIG + 1];
    uint64_t blocked;       /* guest blocked mask, bit (sig-1) */
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
    uint64_t saved_mask;    /* sigsuspend/ppoll: mask to restore after delivery */
    bool has_saved_mask;
    uint64_t clear_child_tid;
    bool strace;
    bool exited;
    int exit_status;
    FILE *log;
} LxProc;

extern LxProc *lx_proc; /* the one process (for host signal handlers) */

/* Guest pointers: NULL when [va, va+len) is outside the reservation. Host
 * syscalls may be given these directly: unmapped pages inside give EFAULT. */
static inline void *lx_g2h(LxProc *p, uint64_t va, uint64_t len)
{
    if (va > p->space.limit || len > p->space.limit - va) return NULL;
    /* The host kernel may write here: no code-tracking write protection. */
    if (p->space.ncode_wp) lx_code_unprotect(&p->space, va, len);
    return p->space.base + va;
}
/* Declares `var`, the host pointer for a guest buffer (NULL for guest NULL);
 * returns -EFAULT from the calling syscall when it is out of bounds. */
#define LX_GPTR(p, var, addr, len)                                   \
    void *var = NULL;                                                \
    do {                                                             \
        if (addr) {                                                  \
            var = lx_g2h((p), (addr), (len));                        \
            if (!var) return -EFAULT;                                \
        }                                                            \
    } while (0)
/* A raw host syscall's result as 0/positive or -errno. */
#define lx_hret(r) ({ long _r = (long)(r); _r < 0 ? -(int64_t)errno : (int64_t)_r; })

/* Checked copies between guest and host (page flags checked, never fault). */
int lx_copy_from(LxProc *p, void *dst, uint64_t va, size_t len);
int lx_copy_to(LxProc *p, uint64_t va, const void *src, size_t len);
/* A NUL-terminated guest string (at most max bytes), or NULL with *err = -EFAULT/-ENAMETOOLONG. */
const char *lx_str(LxProc *p, uint64_t va, size_t max, int *err);

/* Stack building: writes argv/envp/auxv below stack_top; returns the new sp. */
typedef struct LxStackInfo {
    int argc;
    char *const *argv;
    int envc;
    char *const *envp;
    const char *execfn;
    uint64_t hwcap;
    uint64_t hwcap2; /* AT_HWCAP2 when nonzero */
    const char *platform;
    const LxImage *exe;
    uint64_t interp_base; /* AT_BASE */
    const uint8_t *random16;
} LxStackInfo;
int64_t lx_build_stack(LxSpace *s, uint64_t stack_top, const LxStackInfo *si);
/* Host environment with -E/-U applied (malloc'd, NULL-terminated). */
char **lx_make_env(const VmOptions *o, int *count);

/* Syscalls. */
#define LX_ERESTARTSYS 4096    /* internal: re-execute the syscall instruction */
#define LX_ESIGRETURN 4097     /* internal: registers already set, no pc advance */
int64_t lx_syscall(LxProc *p, CpuState *cpu, long nr, const uint64_t a[6]);
const char *lx_syscall_name(long nr);
void lx_strace_enter(LxProc *p, long nr, const uint64_t a[6]);
void lx_strace_exit(LxProc *p, long nr, const uint64_t a[6], int64_t ret);
/* Path translation (-L sysroot, /proc/self/exe): returns buf or path. */
const char *lx_path(LxProc *p, const char *path, char *buf, size_t buflen);
/* Family-specific dispatchers: return -ENOSYS + 1 (= LX_NOT_MINE) when nr isn't theirs. */
#define LX_NOT_MINE (-100000)
int64_t lx_sys_fs(LxProc *p, long nr, const uint64_t a[6]);
int64_t lx_sys_mem(LxProc *p, long nr, const uint64_t a[6]);
int64_t lx_sys_signal(LxProc *p, CpuState *cpu, long nr, const uint64_t a[6]);
int64_t lx_sys_proc(LxProc *p, CpuState *cpu, long nr, const uint64_t a[6]);

/* Struct conversions (host x86-64 <-> asm-generic). */
/* asm-generic struct stat (include/uapi/asm-generic/stat.h, 64-bit), used by
 * riscv64 and aarch64; x86-64's struct stat orders and sizes fields differently. */
typedef struct LxGenericStat {
    uint64_t st_dev, st_ino;
    uint32_t st_mode, st_nlink, st_uid, st_gid;
    uint64_t st_rdev, pad1;
    int64_t st_size;
    int32_t st_blksize, pad2;
    int64_t st_blocks;
    int64_t st_atime_, st_atime_nsec;
    int64_t st_mtime_, st_mtime_nsec;
    int64_t st_ctime_, st_ctime_nsec;
    uint32_t unused4, unused5;
} LxGenericStat;
_Static_assert(sizeof(LxGenericStat) == 128, "asm-generic struct stat is 128 bytes");
struct stat;
void lx_stat_to_generic(const struct stat *st, LxGenericStat *out);

/* Signals. */
void lx_signal_init(LxProc *p);
/* Pending host-delivered signals, bit (sig-1). */
extern volatile uint64_t lx_pending;
bool lx_signal_pending(LxProc *p);
/* Delivers deliverable pending signals (handler frames, default actions). */
void lx_deliver_signals(LxProc *p, CpuState *cpu);
/* A synchronous fault signal raised by the guest (SEGV, ILL, ...). */
void lx_force_signal(LxProc *p, CpuState *cpu, int sig, int code, uint64_t addr);
/* True when an interrupted host syscall should be restarted (SA_RESTART). */
bool lx_should_restart(LxProc *p);
/* Little-endian field access in a signal frame being built or read back
 * (both guests here are little-endian, like the host). */
static inline void put64(uint8_t *b, unsigned off, uint64_t v) { memcpy(b + off, &v, 8); }
static inline void put32(uint8_t *b, unsigned off, uint32_t v) { memcpy(b + off, &v, 4); }
static inline uint64_t get64(const uint8_t *b, unsigned off)
{
    uint64_t v;
    memcpy(&v, b + off, 8);
    return v;
}
static inline uint32_t get32(const uint8_t *b, unsigned off)
{
    uint32_t v;
    memcpy(&v, b + off, 4);
    return v;
}

void lx_apply_host_mask(LxProc *p);
/* The arch-independent tail of rt_sigreturn: reinstate the saved signal mask
 * and the ucontext's stack_t (restore_altstack(); errors ignored, as in the
 * kernel). uc_stack points at the frame's stack_t; sp is the current guest sp. */
void lx_sigreturn_mask_stack(LxProc *p, uint64_t sigmask, const uint8_t *uc_stack, uint64_t sp);
/* Terminates vm the way the signal would terminate the guest. */
_Noreturn void lx_die_by_signal(int sig);
void lx_sig_set_host_disposition(LxProc *p, int sig);

/* Exec of a guest program (re-exec vm). Returns -errno on failure. */
int64_t lx_execve(LxProc *p, const char *path, char **argv, char **envp);

/* -- gdb stub (gdb_user.c): -g PORT -- */
extern bool gdb_user_on; /* a gdb client is attached */
/* Listens on 127.0.0.1:port, waits for gdb and talks to it until it lets the
 * program start. 0, or -1 after one "vm: ..." line. */
int gdb_user_start(LxProc *p, CpuState *cpu, int port);
/* After each exec while gdb_user_on (or for EXCP_DEBUG): true when the exit
 * was a debugger stop, handled here (the run loop goes on at once). */
bool gdb_user_exec_exit(CpuState *cpu, int excp);
/* The program ended with status: tells gdb (W packet). */
void gdb_user_exit(int status);
/* In the child of a fork: forget gdb (the connection stays the parent's). */
void gdb_user_forked(void);
/* signal.c, as a signal is about to act (gdb attached): reports it, returns
 * the signal to deliver instead (0: none). gdb_user_killed: the program dies
 * of sig (X packet). */
int gdb_user_signal(CpuState *cpu, int sig);
void gdb_user_killed(int sig);

#endif
