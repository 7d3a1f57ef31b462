/* SPDX-License-Identifier: MIT */
/* The riscv64 hart's snapshot hook (GuestArch.cpu_snapshot): every piece of
 * architectural state listed once, for save and load (privileged spec 1.12). */
#include <stdio.h>

#include "frontend/riscv64/rv_priv.h"
#include "rv_internal.h"
#include "vm/tlb.h"

static void snap_reg(SnapVisitor *v, const char *prefix, int i, uint64_t *p)
{
    char name[16];
    snprintf(name, sizeof(name), "%s%d", prefix, i);
    snap_u64(v, name, p);
}

int rv_cpu_snapshot(CpuState *cpu, SnapVisitor *v)
{
    RvCpu *rv = rv_cpu(cpu);
    bool load = snap_loading(v);

    snap_u32(v, "sys", &rv->sys);
    snap_u64(v, "mhartid", &rv->mhartid);
    if (load && snap_status(v) == 0) {
        if (rv->sys != 1) snap_fail(v, "riscv64: not a system-mode hart");
        else if (rv->mhartid != (uint64_t)cpu->cpu_index) snap_fail(v, "riscv64: hart id differs");
    }

    /* -- Unprivileged state: pc, x1-x31, f0-f31, fcsr -- */
    snap_u64(v, "pc", &cpu->pc);
    for (int i = 1; i < 32; i++) snap_reg(v, "x", i, &rv->x[i]);
    for (int i = 0; i < 32; i++) snap_reg(v, "f", i, &rv->f[i]);
    snap_u32(v, "frm", &cpu->fp.rm);
    snap_u32(v, "fflags", &cpu->fp.flags);
    snap_u32(v, "fpmode", &cpu->fp.mode);
    /* LR/SC reservation (unprivileged spec 13.2): a restored SC succeeds
     * exactly when it would have. */
    uint8_t res_valid = cpu->res_valid != 0;
    snap_u64(v, "res_addr", &cpu->res_addr);
    snap_u64(v, "res_val", &cpu->res_val);
    snap_u8(v, "res_valid", &res_valid);
    /* Counters are saved as values: a restored mcycle continues from here. */
    uint64_t mcycle = rv_host_ns() - rv->cycle_base;
    snap_u64(v, "mcycle", &mcycle);
    /* A paused hart sits between two blocks; after WFI it is never still
     * waiting (the service loop parks it), and WFI may complete at any time
     * (3.3.3), so resuming runs on from the instruction after it. */
    uint8_t halted = cpu->halted != 0;
    snap_u8(v, "halted", &halted);

    /* -- Privileged state (chapter 3 and 4, Sstc) -- */
    snap_u32(v, "priv", &rv->priv);
    snap_u64(v, "mstatus", &rv->mstatus);
    /* Devices drive MEIP/MTIP/MSIP and SEIP themselves and re-drive their
     * lines when loaded after the harts; the software-writable bits are here. */
    uint64_t mip = __atomic_load_n(&rv->mip, __ATOMIC_ACQUIRE);
    uint64_t seip = __atomic_load_n(&rv->seip_hw, __ATOMIC_ACQUIRE);
    snap_u64(v, "mip", &mip);
    snap_u64(v, "seip_hw", &seip);
    snap_u64(v, "mie", &rv->mie);
    snap_u64(v, "mideleg", &rv->mideleg);
    snap_u64(v, "medeleg", &rv->medeleg);
    snap_u64(v, "mtvec", &rv->mtvec);
    snap_u64(v, "stvec", &rv->stvec);
    snap_u64(v, "mepc", &rv->mepc);
    snap_u64(v, "sepc", &rv->sepc);
    snap_u64(v, "mcause", &rv->mcause);
    snap_u64(v, "scause", &rv->scause);
    snap_u64(v, "mtval", &rv->mtval);
    snap_u64(v, "stval", &rv->stval);
    snap_u64(v, "mscratch", &rv->mscratch);
    snap_u64(v, "sscratch", &rv->sscratch);
    snap_u64(v, "mcounteren", &rv->mcounteren);
    snap_u64(v, "scounteren", &rv->scounteren);
    snap_u64(v, "mcountinhibit", &rv->mcountinhibit);
    snap_u64(v, "menvcfg", &rv->menvcfg);
    snap_u64(v, "senvcfg", &rv->senvcfg);
    snap_u64(v, "satp", &rv->satp);
    snap_u64(v, "stimecmp", &rv->stimecmp);
    snap_bytes(v, "pmpcfg", rv->pmpcfg, sizeof(rv->pmpcfg));
    for (int i = 0; i < RV_PMP_COUNT; i++) snap_reg(v, "pmpaddr", i, &rv->pmpaddr[i]);

    if (!load || snap_status(v)) return snap_status(v);

    /* Values no CSR write could produce would put vm in states its
     * translations assume impossible: refuse them. */
    unsigned mpp = (unsigned)((rv->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    unsigned satp_mode = (unsigned)(rv->satp >> SATP_MODE_SHIFT);
    if (rv->priv != RV_PRV_U && rv->priv != RV_PRV_S && rv->priv != RV_PRV_M)
        snap_fail(v, "riscv64: invalid privilege level");
    else if (mpp == 2)
        snap_fail(v, "riscv64: invalid mstatus.MPP");
    else if (satp_mode != SATP_BARE && satp_mode != SATP_SV39 && satp_mode != SATP_SV48 &&
             satp_mode != SATP_SV57)
        snap_fail(v, "riscv64: invalid satp mode");
    else if (cpu->fp.rm > 7 || (cpu->fp.flags & ~0x3fu) || cpu->fp.mode != FP_MODE_NAN_CANON)
        snap_fail(v, "riscv64: invalid FP control state");
    else if (res_valid > 1 || halted > 1 || seip > 1 || (mip & ~RV_ALL_IRQS))
        snap_fail(v, "riscv64: invalid flag value");
    if (snap_status(v)) return snap_status(v);

    rv->x[0] = 0;
    rv->mstatus = (rv->mstatus & ~(MSTATUS_UXL | MSTATUS_SXL | MSTATUS_SD)) | MSTATUS_XL64;
    cpu->res_valid = res_valid;
    cpu->halted = halted;
    rv->cycle_base = rv_host_ns() - mcycle;
    __atomic_store_n(&rv->mip, mip, __ATOMIC_RELEASE);
    __atomic_store_n(&rv->seip_hw, seip, __ATOMIC_RELEASE);
    /* Derived state: TLB indexes for priv/MPRV/SUM/MXR, the ASID, the Sstc timer. */
    tlb_flush(cpu);
    tlb_set_asid(cpu, (uint32_t)((rv->satp >> SATP_ASID_SHIFT) & SATP_ASID_MASK));
    rv_mmu_state_changed(rv);
    rv_stimer_update(rv);
    rv_irq_check(rv);
    return 0;
}
