/* SPDX-License-Identifier: MIT */
/* RISC-V64 glue for Linux user mode: syscall registers, process entry, the
 * rt_sigframe of arch/riscv/kernel/signal.c, HWCAP and ELF flags. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "frontend/riscv64/rv_cpu.h"
#include "user/user_int.h"

/* RISC-V psABI: a7 = number, a0..a5 = arguments, a0 = result. */
static long rv_syscall_nr(CpuState *c) { return (long)rv_cpu(c)->x[17]; }
static uint64_t rv_syscall_arg(CpuState *c, int i) { return rv_cpu(c)->x[10 + i]; }
static void rv_set_return(CpuState *c, int64_t r) { rv_cpu(c)->x[10] = (uint64_t)r; }
static uint64_t rv_get_sp(CpuState *c) { return rv_cpu(c)->x[2]; }
static void rv_set_sp(CpuState *c, uint64_t sp) { rv_cpu(c)->x[2] = sp; }
static void rv_set_tls(CpuState *c, uint64_t tls) { rv_cpu(c)->x[4] = tls; }

static void rv_entry_setup(CpuState *c, uint64_t pc, uint64_t sp)
{
    RvCpu *rv = rv_cpu(c);
    memset(rv->x, 0, sizeof(rv->x));
    /* Linux start_thread(): pc = entry, sp = the argc word; every other
     * register is zero, so a0 (rtld_fini for _start) is NULL. */
    c->pc = pc;
    rv->x[2] = sp;
}

/* -- Signal frame -----------------------------------------------------------
 * struct rt_sigframe { siginfo_t info; struct ucontext uc; } with (uapi, 64-bit):
 *   ucontext: uc_flags @0, uc_link @8, uc_stack @16 (ss_sp, ss_flags, ss_size),
 *             uc_sigmask @40 (8 bytes, then padding to 1024 bits),
 *             uc_mcontext @176 (struct sigcontext, 16-byte aligned)
 *   sigcontext: sc_regs @0 (pc, x1..x31), sc_fpregs @256 (union __riscv_fp_state:
 *             the D view is f[32] then fcsr; the union is 528 bytes for Q) */
enum {
    RV_UC = 128,
    RV_UC_STACK = RV_UC + 16,
    RV_UC_SIGMASK = RV_UC + 40,
    RV_MC = RV_UC + 176,
    RV_MC_FP = RV_MC + 256,
    RV_MC_FCSR = RV_MC_FP + 256,
    RV_FRAME_SIZE = RV_MC + 256 + 528,
};
_Static_assert(RV_FRAME_SIZE == 128 + 960, "riscv64 rt_sigframe is siginfo + ucontext");


static int rv_setup_frame(LxProc *p, CpuState *c, int sig, const LxSigAction *ka,
                          const void *siginfo, uint64_t sp_top)
{
    RvCpu *rv = rv_cpu(c);
    uint64_t sp = (sp_top - RV_FRAME_SIZE) & ~15ull;
    uint8_t f[RV_FRAME_SIZE];
    memset(f, 0, sizeof(f));
    memcpy(f, siginfo, 128);
    /* __save_altstack(): the altstack as it was, with SS_ONSTACK if we are on it. */
    uint64_t cur_sp = rv->x[2];
    int ssflags = p->altstack_size == 0 ? SS_DISABLE
                  : (cur_sp - p->altstack_sp < p->altstack_size ? SS_ONSTACK : 0);
    put64(f, RV_UC_STACK, p->altstack_sp);
    uint32_t ssf = (uint32_t)ssflags;
    memcpy(f + RV_UC_STACK + 8, &ssf, 4);
    put64(f, RV_UC_STACK + 16, p->altstack_size);
    put64(f, RV_UC_SIGMASK, p->blocked);
    put64(f, RV_MC, c->pc);
    for (int i = 1; i < 32; i++) put64(f, RV_MC + 8 * i, rv->x[i]);
    for (int i = 0; i < 32; i++) put64(f, RV_MC_FP + 8 * i, rv->f[i]);
    uint32_t fcsr = (c->fp.flags & 0x1f) | ((c->fp.rm & 7) << 5);
    memcpy(f + RV_MC_FCSR, &fcsr, 4);
    if (lx_copy_to(p, sp, f, sizeof(f))) return -EFAULT;

    /* setup_rt_frame(): ra = the sigreturn trampoline (the vDSO's in Linux),
     * a0 = signo, a1 = &info, a2 = &uc, sp = the frame. */
    rv->x[1] = p->sigtramp;
    rv->x[2] = sp;
    rv->x[10] = (uint64_t)sig;
    rv->x[11] = sp;
    rv->x[12] = sp + RV_UC;
    c->pc = ka->handler;
    return 0;
}

static int rv_sigreturn(LxProc *p, CpuState *c)
{
    RvCpu *rv = rv_cpu(c);
    uint64_t sp = rv->x[2];
    uint8_t f[RV_FRAME_SIZE];
    if (lx_copy_from(p, f, sp, sizeof(f))) return -EFAULT;
    c->pc = get64(f, RV_MC);
    for (int i = 1; i < 32; i++) rv->x[i] = get64(f, RV_MC + 8 * i);
    for (int i = 0; i < 32; i++) rv->f[i] = get64(f, RV_MC_FP + 8 * i);
    uint32_t fcsr;
    memcpy(&fcsr, f + RV_MC_FCSR, 4);
    c->fp.flags = (c->fp.flags & ~0x1fu) | (fcsr & 0x1f);
    c->fp.rm = (fcsr >> 5) & 7;
    lx_sigreturn_mask_stack(p, get64(f, RV_UC_SIGMASK), f + RV_UC_STACK, rv->x[2]);
    return 0;
}

/* EF_RISCV_* (RISC-V ELF psABI): we implement RV64GC, so any float ABI up to
 * double; RVE and the quad-float ABI cannot run. */
static int rv_check_eflags(uint32_t eflags, char *err, size_t errlen)
{
    if (eflags & 0x8) {
        snprintf(err, errlen, "RV64E (EF_RISCV_RVE) programs are not supported");
        return -ENOEXEC;
    }
    if ((eflags & 0x6) == 0x6) {
        snprintf(err, errlen, "the quad-float ABI (EF_RISCV_FLOAT_ABI_QUAD) is not supported");
        return -ENOEXEC;
    }
    return 0;
}

/* li a7, 139 (__NR_rt_sigreturn); ecall */
static const uint8_t rv_sigtramp[] = {
    0x93, 0x08, 0xb0, 0x08, /* addi a7, zero, 139 */
    0x73, 0x00, 0x00, 0x00, /* ecall */
};

#define HW(c) (1ull << ((c) - 'A'))

const LxArch lx_arch_riscv64 = {
    .name = "riscv64",
    .elf_machine = 243, /* EM_RISCV */
    .syscall_nr = rv_syscall_nr,
    .syscall_arg = rv_syscall_arg,
    .set_return = rv_set_return,
    .syscall_insn_len = 4,
    /* RISC-V uses clone(flags, newsp, ptid, tls, ctid) (CONFIG_CLONE_BACKWARDS order). */
    .clone_tls_arg = 3,
    .clone_ctid_arg = 4,
    /* COMPAT_HWCAP_ISA_*: one bit per single-letter extension implemented. */
    .hwcap = HW('I') | HW('M') | HW('A') | HW('F') | HW('D') | HW('C'),
    .platform = NULL, /* riscv Linux passes no AT_PLATFORM */
    .minsigstksz = 2048,
    .has_sa_restorer = false, /* no sa_restorer: handlers return via the vDSO */
    .entry_setup = rv_entry_setup,
    .get_sp = rv_get_sp,
    .set_sp = rv_set_sp,
    .set_tls = rv_set_tls,
    .setup_frame = rv_setup_frame,
    .sigreturn = rv_sigreturn,
    .check_eflags = rv_check_eflags,
    .sigtramp = rv_sigtramp,
    .sigtramp_len = sizeof(rv_sigtramp),
};
