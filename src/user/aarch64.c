/* SPDX-License-Identifier: MIT */
/* AArch64 glue for Linux user mode: syscall registers, process entry, the
 * rt_sigframe of arch/arm64/kernel/signal.c (with fpsimd_context), HWCAP. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "frontend/aarch64/a64_cpu.h"
#include "user/user_int.h"

/* arm64 open flags differ from asm-generic/x86-64 in four bits
 * (arch/arm64/include/uapi/asm/fcntl.h): translate them for openat and
 * fcntl(F_SETFL) arguments and F_GETFL results. */
enum {
    A64_O_DIRECTORY = 040000, A64_O_NOFOLLOW = 0100000, A64_O_DIRECT = 0200000, A64_O_LARGEFILE = 0400000,
    GEN_O_DIRECT = 040000, GEN_O_LARGEFILE = 0100000, GEN_O_DIRECTORY = 0200000, GEN_O_NOFOLLOW = 0400000,
    A64_NR_FCNTL = 25, A64_NR_OPENAT = 56, A64_F_GETFL = 3, A64_F_SETFL = 4,
};
#define A64_OMASK (A64_O_DIRECTORY | A64_O_NOFOLLOW | A64_O_DIRECT | A64_O_LARGEFILE)

static uint64_t oflags_to_host(uint64_t f)
{
    uint64_t r = f & ~(uint64_t)A64_OMASK;
    if (f & A64_O_DIRECTORY) r |= GEN_O_DIRECTORY;
    if (f & A64_O_NOFOLLOW) r |= GEN_O_NOFOLLOW;
    if (f & A64_O_DIRECT) r |= GEN_O_DIRECT;
    if (f & A64_O_LARGEFILE) r |= GEN_O_LARGEFILE;
    return r;
}

static uint64_t oflags_to_guest(uint64_t f)
{
    uint64_t r = f & ~(uint64_t)A64_OMASK;
    if (f & GEN_O_DIRECTORY) r |= A64_O_DIRECTORY;
    if (f & GEN_O_NOFOLLOW) r |= A64_O_NOFOLLOW;
    if (f & GEN_O_DIRECT) r |= A64_O_DIRECT;
    if (f & GEN_O_LARGEFILE) r |= A64_O_LARGEFILE;
    return r;
}

/* Linux arm64: x8 = number, x0..x5 = arguments, x0 = result. */
static long a64_syscall_nr(CpuState *c) { return (long)a64_cpu(c)->x[8]; }

static uint64_t a64_syscall_arg(CpuState *c, int i)
{
    A64Cpu *a = a64_cpu(c);
    if (i == 2 && (a->x[8] == A64_NR_OPENAT || (a->x[8] == A64_NR_FCNTL && a->x[1] == A64_F_SETFL)))
        return oflags_to_host(a->x[2]);
    return a->x[i];
}

static void a64_set_return(CpuState *c, int64_t r)
{
    A64Cpu *a = a64_cpu(c);
    if (r >= 0 && a->x[8] == A64_NR_FCNTL && a->x[1] == A64_F_GETFL) r = (int64_t)oflags_to_guest((uint64_t)r);
    a->x[0] = (uint64_t)r;
}
static uint64_t a64_get_sp(CpuState *c) { return a64_cpu(c)->sp; }
static void a64_set_sp(CpuState *c, uint64_t sp) { a64_cpu(c)->sp = sp; }
static void a64_set_tls(CpuState *c, uint64_t tls) { a64_cpu(c)->tpidr_el0 = tls; }

static void a64_entry_setup(CpuState *c, uint64_t pc, uint64_t sp)
{
    A64Cpu *a = a64_cpu(c);
    memset(a->x, 0, sizeof(a->x));
    c->pc = pc;
    a->sp = sp;
}

/* -- Signal frame -----------------------------------------------------------
 * struct rt_sigframe { siginfo_t info (128); struct ucontext uc; } where
 *   ucontext: uc_flags @0, uc_link @8, uc_stack @16 (24 bytes), uc_sigmask @40
 *             (8 bytes + padding to 128), uc_mcontext @176 (16-byte aligned)
 *   sigcontext: fault_address @0, regs[31] @8, sp @256, pc @264, pstate @272,
 *             __reserved[4096] @288 (16-byte aligned): records, here
 *             fpsimd_context (magic 0x46508001, size 528: fpsr, fpcr, vregs[32])
 *             then a terminating null record.
 * followed by struct frame_record { fp, lr } for the unwinder. */
enum {
    A64_UC = 128,
    A64_UC_STACK = A64_UC + 16,
    A64_UC_SIGMASK = A64_UC + 40,
    A64_MC = A64_UC + 176,
    A64_MC_REGS = A64_MC + 8,
    A64_MC_SP = A64_MC + 256,
    A64_MC_PC = A64_MC + 264,
    A64_MC_PSTATE = A64_MC + 272,
    A64_MC_RES = A64_MC + 288,
    A64_FPSIMD_MAGIC = 0x46508001,
    A64_FPSIMD_SIZE = 528,
    A64_UC_SIZE = 176 + 288 + 4096,
    A64_FRAME_SIZE = 128 + A64_UC_SIZE,
    A64_FRAME_RECORD = A64_FRAME_SIZE, /* fp, lr: 16 bytes */
};


static int a64_setup_frame(LxProc *p, CpuState *c, int sig, const LxSigAction *ka,
                           const void *siginfo, uint64_t sp_top)
{
    A64Cpu *a = a64_cpu(c);
    static uint8_t f[A64_FRAME_SIZE + 16];
    uint64_t sp = (sp_top - sizeof(f)) & ~15ull;
    memset(f, 0, sizeof(f));
    memcpy(f, siginfo, 128);
    uint64_t cur_sp = a->sp;
    int ssflags = p->altstack_size == 0 ? SS_DISABLE
                  : (cur_sp - p->altstack_sp < p->altstack_size ? SS_ONSTACK : 0);
    put64(f, A64_UC_STACK, p->altstack_sp);
    put32(f, A64_UC_STACK + 8, (uint32_t)ssflags);
    put64(f, A64_UC_STACK + 16, p->altstack_size);
    put64(f, A64_UC_SIGMASK, p->blocked);
    if (sig == SIGSEGV || sig == SIGBUS) put64(f, A64_MC, c->fault_addr);
    for (int i = 0; i < 31; i++) put64(f, A64_MC_REGS + 8 * i, a->x[i]);
    put64(f, A64_MC_SP, a->sp);
    put64(f, A64_MC_PC, c->pc);
    put64(f, A64_MC_PSTATE, a64_get_nzcv(c));
    put32(f, A64_MC_RES, A64_FPSIMD_MAGIC);
    put32(f, A64_MC_RES + 4, A64_FPSIMD_SIZE);
    put32(f, A64_MC_RES + 8, a64_get_fpsr(c));
    put32(f, A64_MC_RES + 12, a64_get_fpcr(c));
    memcpy(f + A64_MC_RES + 16, a->v, 512);
    /* The null terminator record follows (already zero). */
    put64(f, A64_FRAME_RECORD, a->x[29]);
    put64(f, A64_FRAME_RECORD + 8, a->x[30]);
    if (lx_copy_to(p, sp, f, sizeof(f))) return -EFAULT;

    /* setup_return(): x0 = signo, x1 = &info, x2 = &uc, x29 = &frame record,
     * lr = sa_restorer when SA_RESTORER, else the sigreturn trampoline. */
    a->x[0] = (uint64_t)sig;
    a->x[1] = sp;
    a->x[2] = sp + A64_UC;
    a->x[29] = sp + A64_FRAME_RECORD;
    a->x[30] = (ka->flags & LX_SA_RESTORER) ? ka->restorer : p->sigtramp;
    a->sp = sp;
    c->pc = ka->handler;
    return 0;
}

static int a64_sigreturn(LxProc *p, CpuState *c)
{
    A64Cpu *a = a64_cpu(c);
    static uint8_t f[A64_FRAME_SIZE];
    uint64_t sp = a->sp;
    if (sp & 15) return -EFAULT;
    if (lx_copy_from(p, f, sp, sizeof(f))) return -EFAULT;
    for (int i = 0; i < 31; i++) a->x[i] = get64(f, A64_MC_REGS + 8 * i);
    a->sp = get64(f, A64_MC_SP);
    c->pc = get64(f, A64_MC_PC);
    a64_set_nzcv(c, get64(f, A64_MC_PSTATE));
    if (get32(f, A64_MC_RES) == A64_FPSIMD_MAGIC) {
        a64_set_fpsr(c, get32(f, A64_MC_RES + 8));
        a64_set_fpcr(c, get32(f, A64_MC_RES + 12));
        memcpy(a->v, f + A64_MC_RES + 16, 512);
    }
    lx_sigreturn_mask_stack(p, get64(f, A64_UC_SIGMASK), f + A64_UC_STACK, a->sp);
    return 0;
}

static int a64_check_eflags(uint32_t eflags, char *err, size_t errlen)
{
    (void)eflags;
    (void)err;
    (void)errlen;
    return 0;
}

/* mov x8, #139 (__NR_rt_sigreturn); svc #0 (the vDSO's __kernel_rt_sigreturn) */
static const uint8_t a64_sigtramp[] = {
    0x68, 0x11, 0x80, 0xd2, /* movz x8, #0x8b */
    0x01, 0x00, 0x00, 0xd4, /* svc #0 */
};

/* HWCAP bits (arch/arm64/include/uapi/asm/hwcap.h) for what the frontend
 * implements: FP, ASIMD, AES, PMULL (64-bit), SHA1, SHA2 (SHA-256), CRC32,
 * ATOMICS (LSE), LRCPC (LDAPR). No CPUID (MRS of ID registers), no FPHP/
 * ASIMDHP (half-precision arithmetic; the base FCVT half conversions are
 * implemented), no SHA512/SHA3/SM3/SM4, no PACA/PACG (PAC hints are NOPs,
 * the other PAC instructions UNDEFINED), no SSBS/DIT/FLAGM. SB: the
 * speculation barrier is decoded (a no-op for an emulator that does not
 * speculate). HWCAP2 (AT_HWCAP2): HBC only (BC.cond); no BTI (guarded pages
 * are not enforced), no FRINT, FLAGM2, RNG, MTE, SVE2/SME or the rest. */
#define A64_HWCAP_FP (1ull << 0)
#define A64_HWCAP_ASIMD (1ull << 1)
#define A64_HWCAP_AES (1ull << 3)
#define A64_HWCAP_PMULL (1ull << 4)
#define A64_HWCAP_SHA1 (1ull << 5)
#define A64_HWCAP_SHA2 (1ull << 6)
#define A64_HWCAP_CRC32 (1ull << 7)
#define A64_HWCAP_ATOMICS (1ull << 8)
#define A64_HWCAP_LRCPC (1ull << 15)
#define A64_HWCAP_SB (1ull << 29)
#define A64_HWCAP2_HBC (1ull << 44)

const LxArch lx_arch_aarch64 = {
    .name = "aarch64",
    .elf_machine = 183, /* EM_AARCH64 */
    .syscall_nr = a64_syscall_nr,
    .syscall_arg = a64_syscall_arg,
    .set_return = a64_set_return,
    .syscall_insn_len = 4,
    /* arm64 uses clone(flags, newsp, ptid, tls, ctid). */
    .clone_tls_arg = 3,
    .clone_ctid_arg = 4,
    .hwcap = A64_HWCAP_FP | A64_HWCAP_ASIMD | A64_HWCAP_AES | A64_HWCAP_PMULL | A64_HWCAP_SHA1 |
             A64_HWCAP_SHA2 | A64_HWCAP_CRC32 | A64_HWCAP_ATOMICS | A64_HWCAP_LRCPC | A64_HWCAP_SB,
    .hwcap2 = A64_HWCAP2_HBC,
    .platform = "aarch64",
    .minsigstksz = 5120,
    .has_sa_restorer = true, /* arch/arm64/include/asm/signal.h: __ARCH_HAS_SA_RESTORER */
    .entry_setup = a64_entry_setup,
    .get_sp = a64_get_sp,
    .set_sp = a64_set_sp,
    .set_tls = a64_set_tls,
    .setup_frame = a64_setup_frame,
    .sigreturn = a64_sigreturn,
    .check_eflags = a64_check_eflags,
    .sigtramp = a64_sigtramp,
    .sigtramp_len = sizeof(a64_sigtramp),
};
