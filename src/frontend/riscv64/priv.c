/* SPDX-License-Identifier: MIT */
/* RISC-V privileged architecture in system mode (privileged spec 1.12): trap
 * entry and delegation, interrupt selection, xRET/WFI/SFENCE.VMA helpers, the
 * Sstc timer, and the GuestArch hooks the service loop and devices use. */
#include <inttypes.h>
#include <string.h>

#include "frontend/riscv64/rv_priv.h"
#include "rv_internal.h"
#include "vm/log.h"
#include "vm/tlb.h"

/* -- MMU indexes ----------------------------------------------------------------------- */

/* Effective privilege of data accesses: MPRV in M-mode uses MPP (3.1.6.3);
 * SUM matters to S only, MXR to S and U (4.3.1). */
unsigned rv_data_idx(const RvCpu *rv)
{
    unsigned p = rv->priv;
    if (p == RV_PRV_M && (rv->mstatus & MSTATUS_MPRV))
        p = (unsigned)((rv->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    if (p == RV_PRV_M) return RV_PRV_M;
    unsigned idx = p;
    if (p == RV_PRV_S && (rv->mstatus & MSTATUS_SUM)) idx |= RV_IDX_SUM;
    if (rv->mstatus & MSTATUS_MXR) idx |= RV_IDX_MXR;
    return idx;
}

void rv_mmu_state_changed(RvCpu *rv)
{
    tlb_set_fetch_idx(&rv->common, rv->priv);
    tlb_set_data_idx(&rv->common, rv_data_idx(rv));
}

static void set_priv(RvCpu *rv, unsigned priv)
{
    rv->priv = priv;
    rv_mmu_state_changed(rv);
}

/* -- Interrupts (3.1.9) ------------------------------------------------------------------ */

uint64_t rv_get_mip(const RvCpu *rv)
{
    uint64_t m = __atomic_load_n(&rv->mip, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&rv->seip_hw, __ATOMIC_RELAXED)) m |= MIP_SEIP;
    /* Sstc: with STCE, STIP is (time >= stimecmp) and read-only. */
    if (rv->menvcfg & MENVCFG_STCE) {
        m &= ~MIP_STIP;
        if (rv_mtime() >= rv->stimecmp) m |= MIP_STIP;
    }
    return m;
}

/* Priority within a privilege level: MEI, MSI, MTI, SEI, SSI, STI (3.1.9). */
static const unsigned irq_order[] = {RV_IRQ_MEI, RV_IRQ_MSI, RV_IRQ_MTI,
                                     RV_IRQ_SEI, RV_IRQ_SSI, RV_IRQ_STI};

static int first_irq(uint64_t set)
{
    for (unsigned i = 0; i < sizeof(irq_order) / sizeof(irq_order[0]); i++)
        if (set & (1ull << irq_order[i])) return (int)irq_order[i];
    return -1;
}

int rv_pending_irq(const RvCpu *rv)
{
    uint64_t pend = rv_get_mip(rv) & rv->mie;
    if (!pend) return -1;
    /* M-level interrupts are enabled below M, or in M with MIE; S-level ones
     * (delegated) below S, or in S with SIE, never in M. Higher-privilege
     * interrupts are taken first. */
    bool m_en = rv->priv < RV_PRV_M || (rv->mstatus & MSTATUS_MIE);
    bool s_en = rv->priv < RV_PRV_S || (rv->priv == RV_PRV_S && (rv->mstatus & MSTATUS_SIE));
    int c = m_en ? first_irq(pend & ~rv->mideleg) : -1;
    if (c < 0 && s_en) c = first_irq(pend & rv->mideleg);
    return c;
}

void rv_irq_check(RvCpu *rv)
{
    if (rv->sys && rv_pending_irq(rv) >= 0)
        __atomic_store_n(&rv->common.exit_request, 1, __ATOMIC_RELEASE);
}

void rv_set_irq(CpuState *cpu, unsigned mip_bit, int level)
{
    RvCpu *rv = rv_cpu(cpu);
    if (mip_bit >= 64) return;
    if (mip_bit == RV_IRQ_SEI) {
        __atomic_store_n(&rv->seip_hw, level ? 1 : 0, __ATOMIC_RELEASE);
    } else if (level) {
        __atomic_fetch_or(&rv->mip, 1ull << mip_bit, __ATOMIC_ACQ_REL);
    } else {
        __atomic_fetch_and(&rv->mip, ~(1ull << mip_bit), __ATOMIC_ACQ_REL);
    }
    cpu_kick(cpu);
}

bool rv_has_work(CpuState *cpu)
{
    /* WFI wakes on any pending and locally enabled interrupt, whatever the
     * global enables say (3.3.3). */
    RvCpu *rv = rv_cpu(cpu);
    return (rv_get_mip(rv) & rv->mie) != 0;
}

bool rv_exec_interrupt(CpuState *cpu)
{
    RvCpu *rv = rv_cpu(cpu);
    int c = rv_pending_irq(rv);
    if (c < 0) return false;
    if (logd_enabled(LOGD_INT))
        log_write(LOG_INT, LOG_INFO, "cpu %d: interrupt %d at pc 0x%" PRIx64 " priv %u",
                  cpu->cpu_index, c, cpu->pc, rv->priv);
    rv_trap(rv, (uint64_t)c, 0, true);
    return true;
}

/* -- Sstc timer ------------------------------------------------------------------------- */

static void stimer_fire(void *opaque)
{
    cpu_kick(opaque);
}

void rv_stimer_update(RvCpu *rv)
{
    if (!rv->stimer) return;
    if (!(rv->menvcfg & MENVCFG_STCE) || rv->stimecmp >= UINT64_MAX / 100) {
        timer_del(rv->stimer);
        return;
    }
    /* mtime ticks are 100 ns of guest time (rv_mtime). */
    timer_mod(rv->stimer, clock_guest_deadline(rv->stimecmp * 100));
}

/* -- Traps ------------------------------------------------------------------------------ */

void rv_trap(RvCpu *rv, uint64_t cause, uint64_t tval, bool intr)
{
    CpuState *cpu = &rv->common;
    unsigned prv = rv->priv;
    uint64_t deleg = intr ? rv->mideleg : rv->medeleg;
    uint64_t xcause = cause | (intr ? RV_CAUSE_INTR : 0);
    uint64_t s = rv->mstatus, tvec;
    /* Traps never go to a lower privilege: delegation applies below M (3.1.8). */
    if (prv <= RV_PRV_S && cause < 64 && ((deleg >> cause) & 1)) {
        rv->sepc = cpu->pc;
        rv->scause = xcause;
        rv->stval = tval;
        s = (s & ~MSTATUS_SPIE) | ((s & MSTATUS_SIE) ? MSTATUS_SPIE : 0);
        s &= ~MSTATUS_SIE;
        s = (s & ~MSTATUS_SPP) | (prv == RV_PRV_S ? MSTATUS_SPP : 0);
        tvec = rv->stvec;
        rv->mstatus = s;
        set_priv(rv, RV_PRV_S);
    } else {
        rv->mepc = cpu->pc;
        rv->mcause = xcause;
        rv->mtval = tval;
        s = (s & ~MSTATUS_MPIE) | ((s & MSTATUS_MIE) ? MSTATUS_MPIE : 0);
        s &= ~MSTATUS_MIE;
        s = (s & ~MSTATUS_MPP) | ((uint64_t)prv << MSTATUS_MPP_SHIFT);
        tvec = rv->mtvec;
        rv->mstatus = s;
        set_priv(rv, RV_PRV_M);
    }
    /* Vectored mode: interrupts go to BASE + 4 * cause (3.1.7). */
    uint64_t pc = tvec & ~3ull;
    if ((tvec & 3) == 1 && intr) pc += 4 * cause;
    cpu->pc = pc;
    cpu->res_valid = 0;
}

void rv_do_exception(CpuState *cpu, int excp)
{
    RvCpu *rv = rv_cpu(cpu);
    uint64_t cause, tval = cpu->fault_addr;
    switch (excp) {
    case EXCP_ILLEGAL: cause = RV_EXC_ILLEGAL; tval &= 0xffffffffu; break;
    case EXCP_BREAKPOINT: cause = RV_EXC_BREAKPOINT; break;
    case EXCP_SYSCALL: cause = RV_EXC_ECALL_U + rv->priv; tval = 0; break;
    case EXCP_SEGV:
        cause = cpu->fault_access == MEM_EXEC    ? RV_EXC_INSN_ACCESS
                : cpu->fault_access == MEM_WRITE ? RV_EXC_STORE_ACCESS
                                                 : RV_EXC_LOAD_ACCESS;
        break;
    case EXCP_BUS:
        cause = cpu->fault_access == MEM_EXEC    ? RV_EXC_INSN_MISALIGNED
                : cpu->fault_access == MEM_WRITE ? RV_EXC_STORE_MISALIGNED
                                                 : RV_EXC_LOAD_MISALIGNED;
        break;
    default:
        if (excp < EXCP_ARCH_BASE) return; /* EXCP_NONE, INTERRUPT, HALT: not traps */
        cause = (uint64_t)(excp - EXCP_ARCH_BASE);
        break;
    }
    if (logd_enabled(LOGD_INT))
        log_write(LOG_INT, LOG_INFO,
                  "cpu %d: exception %" PRIu64 " tval 0x%" PRIx64 " at pc 0x%" PRIx64 " priv %u",
                  cpu->cpu_index, cause, tval, cpu->pc, rv->priv);
    rv_trap(rv, cause, tval, false);
}

/* -- Instruction helpers ------------------------------------------------------------------ */

static _Noreturn void illegal(CpuState *cpu, uint64_t insn)
{
    cpu_raise(cpu, EXCP_ARCH_BASE + RV_EXC_ILLEGAL, insn & 0xffffffffu);
}

/* packed = csr | op << 12 | do_read << 14 | do_write << 15 */
uint64_t rv_helper_csr(CpuState *cpu, uint64_t packed, uint64_t src, uint64_t insn)
{
    uint64_t old = 0;
    if (!rv_csr_access(rv_cpu(cpu), (unsigned)(packed & 0xfff), (unsigned)((packed >> 12) & 3),
                       (packed >> 14) & 1, (packed >> 15) & 1, src, &old))
        illegal(cpu, insn);
    return old;
}

/* MRET (3.3.2): priv = MPP, MIE = MPIE, MPIE = 1, MPP = U; MPRV cleared when
 * returning below M. Returns the new pc. */
uint64_t rv_helper_mret(CpuState *cpu, uint64_t insn)
{
    RvCpu *rv = rv_cpu(cpu);
    if (rv->priv < RV_PRV_M) illegal(cpu, insn);
    uint64_t s = rv->mstatus;
    unsigned mpp = (unsigned)((s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    s = (s & ~MSTATUS_MIE) | ((s & MSTATUS_MPIE) ? MSTATUS_MIE : 0);
    s |= MSTATUS_MPIE;
    s &= ~MSTATUS_MPP;
    if (mpp != RV_PRV_M) s &= ~MSTATUS_MPRV;
    rv->mstatus = s;
    set_priv(rv, mpp);
    rv_irq_check(rv);
    return rv->mepc;
}

/* SRET (3.3.2): illegal in U, and in S with TSR. */
uint64_t rv_helper_sret(CpuState *cpu, uint64_t insn)
{
    RvCpu *rv = rv_cpu(cpu);
    if (rv->priv < RV_PRV_S || (rv->priv == RV_PRV_S && (rv->mstatus & MSTATUS_TSR)))
        illegal(cpu, insn);
    uint64_t s = rv->mstatus;
    unsigned spp = (s & MSTATUS_SPP) ? RV_PRV_S : RV_PRV_U;
    s = (s & ~MSTATUS_SIE) | ((s & MSTATUS_SPIE) ? MSTATUS_SIE : 0);
    s |= MSTATUS_SPIE;
    s &= ~(MSTATUS_SPP | MSTATUS_MPRV);
    rv->mstatus = s;
    set_priv(rv, spp);
    rv_irq_check(rv);
    return rv->sepc;
}

/* WFI (3.3.3): illegal in U (S-mode exists) and, with TW, below M. Leaves with
 * EXCP_HALT and pc at the next instruction (the service loop sleeps until
 * has_work; an interrupt then sees xepc = that pc). */
uint64_t rv_helper_wfi(CpuState *cpu, uint64_t pc_next, uint64_t insn)
{
    RvCpu *rv = rv_cpu(cpu);
    if (rv->priv == RV_PRV_U || (rv->priv < RV_PRV_M && (rv->mstatus & MSTATUS_TW)))
        illegal(cpu, insn);
    cpu->pc = pc_next;
    cpu_raise(cpu, EXCP_HALT, 0);
}

/* SFENCE.VMA (4.2.1): illegal in U and in S with TVM. which bit 0: rs1 != x0,
 * bit 1: rs2 != x0; insn in bits 63:32. */
uint64_t rv_helper_sfence_vma(CpuState *cpu, uint64_t va, uint64_t asid, uint64_t which_insn)
{
    RvCpu *rv = rv_cpu(cpu);
    if (rv->priv == RV_PRV_U || (rv->priv == RV_PRV_S && (rv->mstatus & MSTATUS_TVM)))
        illegal(cpu, which_insn >> 32);
    if (logd_enabled(LOGD_MMU)) {
        if ((which_insn & 3) == 3)
            log_write(LOG_MMU, LOG_INFO, "cpu %d: sfence.vma va 0x%" PRIx64 " asid %" PRIu64,
                      cpu->cpu_index, va, (uint64_t)(asid & SATP_ASID_MASK));
        else if (which_insn & 1)
            log_write(LOG_MMU, LOG_INFO, "cpu %d: sfence.vma va 0x%" PRIx64 " all asids",
                      cpu->cpu_index, va);
        else if (which_insn & 2)
            log_write(LOG_MMU, LOG_INFO, "cpu %d: sfence.vma all va asid %" PRIu64,
                      cpu->cpu_index, (uint64_t)(asid & SATP_ASID_MASK));
        else
            log_write(LOG_MMU, LOG_INFO, "cpu %d: sfence.vma all", cpu->cpu_index);
    }
    if (which_insn & 1) tlb_flush_page(cpu, va); /* every ASID: a superset is allowed */
    else if (which_insn & 2) tlb_flush_asid(cpu, (uint32_t)(asid & SATP_ASID_MASK));
    else tlb_flush(cpu);
    return 0;
}

/* The first FP instruction under FS = Initial/Clean makes it Dirty (3.1.6.6):
 * conservative, any FP instruction counts. */
uint64_t rv_helper_fs_dirty(CpuState *cpu)
{
    rv_cpu(cpu)->mstatus |= MSTATUS_FS;
    return 0;
}

/* -- Set-up ------------------------------------------------------------------------------ */

void rv_cpu_init_system(CpuState *cpu, unsigned hartid)
{
    RvCpu *rv = rv_cpu(cpu);
    rv_arch.cpu_reset(cpu);
    rv->sys = 1;
    rv->mhartid = hartid;
    rv->mstatus = MSTATUS_XL64; /* MIE = MPRV = 0, FS = Off (3.4) */
    rv->mip = 0;
    rv->seip_hw = 0;
    rv->mie = rv->mideleg = rv->medeleg = 0;
    rv->mtvec = rv->stvec = rv->mepc = rv->sepc = rv->mcause = rv->scause = 0;
    rv->mtval = rv->stval = rv->mscratch = rv->sscratch = 0;
    rv->mcounteren = rv->scounteren = rv->mcountinhibit = 0;
    rv->menvcfg = rv->senvcfg = rv->satp = 0;
    rv->stimecmp = UINT64_MAX;
    memset(rv->pmpcfg, 0, sizeof(rv->pmpcfg));
    memset(rv->pmpaddr, 0, sizeof(rv->pmpaddr));
    if (!rv->stimer) rv->stimer = timer_new(stimer_fire, cpu);
    tlb_flush(cpu);
    tlb_set_asid(cpu, 0);
    set_priv(rv, RV_PRV_M);
}

void rv_cpu_free_system(CpuState *cpu)
{
    RvCpu *rv = rv_cpu(cpu);
    if (rv->stimer) {
        timer_free(rv->stimer);
        rv->stimer = NULL;
    }
}
