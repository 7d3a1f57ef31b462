/* SPDX-License-Identifier: MIT */
/* RISC-V control and status registers in system mode (privileged spec 1.12,
 * chapters 2-4, Sstc): access rules, WARL legalisation and side effects
 * (TLB flushes, timers, interrupt re-evaluation). */
#include <inttypes.h>

#include "frontend/riscv64/rv_priv.h"
#include "rv_internal.h"
#include "vm/log.h"
#include "vm/tlb.h"

#define MSTATUS_WMASK                                                                          \
    (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP |      \
     MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW |          \
     MSTATUS_TSR)
#define SSTATUS_WMASK (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR)
/* medeleg: every synchronous cause we raise except ecall from M (3.1.8). */
#define MEDELEG_WMASK 0xb3ffull

static uint64_t mstatus_read(const RvCpu *rv)
{
    uint64_t s = rv->mstatus;
    if (((s & MSTATUS_FS) >> MSTATUS_FS_SHIFT) == FS_DIRTY) s |= MSTATUS_SD;
    return s;
}

static void mstatus_write(RvCpu *rv, uint64_t v, uint64_t mask)
{
    uint64_t old = rv->mstatus;
    uint64_t n = (old & ~mask) | (v & mask);
    /* MPP is WARL over the implemented levels: 2 (reserved) keeps the old value. */
    if (((n & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2) n = (n & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
    rv->mstatus = (n & ~(MSTATUS_UXL | MSTATUS_SXL)) | MSTATUS_XL64;
    rv_mmu_state_changed(rv);
    rv_irq_check(rv);
}

static void mip_write(RvCpu *rv, uint64_t v, uint64_t mask)
{
    uint64_t old = __atomic_load_n(&rv->mip, __ATOMIC_RELAXED), n;
    do {
        n = (old & ~mask) | (v & mask);
    } while (!__atomic_compare_exchange_n(&rv->mip, &old, n, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    rv_irq_check(rv);
}

static uint64_t host_cycles(const RvCpu *rv)
{
    /* A nominal 1 GHz hart: host nanoseconds since cycle_base (mcycle writes move it). */
    return rv_host_ns() - rv->cycle_base;
}

/* Counter access from S/U (3.1.11, 4.1.5; Sstc for stimecmp via TM). */
static bool counter_allowed(const RvCpu *rv, unsigned bit)
{
    if (rv->priv < RV_PRV_M && !((rv->mcounteren >> bit) & 1)) return false;
    if (rv->priv < RV_PRV_S && !((rv->scounteren >> bit) & 1)) return false;
    return true;
}

static bool fs_on(const RvCpu *rv)
{
    return (rv->mstatus & MSTATUS_FS) != 0;
}

static void fs_dirty(RvCpu *rv)
{
    rv->mstatus |= MSTATUS_FS;
}

/* Reads a CSR for csrr, or as the base of csrrs/csrrc (raw = software-writable
 * view: mip without the PLIC's SEIP line, 3.1.9). */
static bool csr_read(RvCpu *rv, unsigned csr, uint64_t *v, bool raw)
{
    CpuState *cpu = &rv->common;
    switch (csr) {
    case 0x001: if (!fs_on(rv)) return false; *v = cpu->fp.flags & 0x1f; return true;
    case 0x002: if (!fs_on(rv)) return false; *v = cpu->fp.rm & 7; return true;
    case 0x003:
        if (!fs_on(rv)) return false;
        *v = (cpu->fp.flags & 0x1f) | (uint64_t)(cpu->fp.rm & 7) << 5;
        return true;
    case CSR_CYCLE_: case CSR_INSTRET_:
        if (!counter_allowed(rv, csr & 31)) return false;
        *v = host_cycles(rv);
        return true;
    case CSR_TIME_:
        if (!counter_allowed(rv, 1)) return false;
        *v = rv_mtime();
        return true;
    case CSR_SSTATUS: *v = mstatus_read(rv) & SSTATUS_MASK; return true;
    case CSR_SIE: *v = rv->mie & rv->mideleg; return true;
    case CSR_STVEC: *v = rv->stvec; return true;
    case CSR_SCOUNTEREN: *v = rv->scounteren; return true;
    case CSR_SENVCFG: *v = rv->senvcfg; return true;
    case CSR_SSCRATCH: *v = rv->sscratch; return true;
    case CSR_SEPC: *v = rv->sepc; return true;
    case CSR_SCAUSE: *v = rv->scause; return true;
    case CSR_STVAL: *v = rv->stval; return true;
    case CSR_SIP:
        *v = (raw ? __atomic_load_n(&rv->mip, __ATOMIC_RELAXED) : rv_get_mip(rv)) & rv->mideleg;
        return true;
    case CSR_STIMECMP:
        if (rv->priv < RV_PRV_M && (!(rv->menvcfg & MENVCFG_STCE) || !(rv->mcounteren & 2)))
            return false;
        *v = rv->stimecmp;
        return true;
    case CSR_SATP:
        if (rv->priv == RV_PRV_S && (rv->mstatus & MSTATUS_TVM)) return false;
        *v = rv->satp;
        return true;
    case CSR_MSTATUS: *v = mstatus_read(rv); return true;
    case CSR_MISA: *v = RV_MISA; return true;
    case CSR_MEDELEG: *v = rv->medeleg; return true;
    case CSR_MIDELEG: *v = rv->mideleg; return true;
    case CSR_MIE: *v = rv->mie; return true;
    case CSR_MTVEC: *v = rv->mtvec; return true;
    case CSR_MCOUNTEREN: *v = rv->mcounteren; return true;
    case CSR_MENVCFG: *v = rv->menvcfg; return true;
    case CSR_MCOUNTINHIBIT: *v = rv->mcountinhibit; return true;
    case CSR_MSCRATCH: *v = rv->mscratch; return true;
    case CSR_MEPC: *v = rv->mepc; return true;
    case CSR_MCAUSE: *v = rv->mcause; return true;
    case CSR_MTVAL: *v = rv->mtval; return true;
    case CSR_MIP:
        *v = raw ? __atomic_load_n(&rv->mip, __ATOMIC_RELAXED) : rv_get_mip(rv);
        return true;
    case CSR_MSECCFG: *v = 0; return true;
    case CSR_MCYCLE: case CSR_MINSTRET: *v = host_cycles(rv); return true;
    case CSR_MVENDORID: case CSR_MARCHID: case CSR_MIMPID: case CSR_MCONFIGPTR:
        *v = 0;
        return true;
    case CSR_MHARTID: *v = rv->mhartid; return true;
    }
    if (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31) { *v = 0; return true; }
    if (csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) { *v = 0; return true; }
    if (csr > CSR_INSTRET_ && csr <= CSR_HPMCOUNTER31) {
        if (!counter_allowed(rv, csr & 31)) return false;
        *v = 0;
        return true;
    }
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        /* RV64: only the even pmpcfg registers exist (3.7.1); 16 entries = cfg0, cfg2. */
        if (csr & 1) return false;
        unsigned first = (csr - CSR_PMPCFG0) * 4;
        uint64_t x = 0;
        for (unsigned i = 0; i < 8; i++)
            if (first + i < RV_PMP_COUNT) x |= (uint64_t)rv->pmpcfg[first + i] << (8 * i);
        *v = x;
        return true;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        unsigned i = csr - CSR_PMPADDR0;
        *v = i < RV_PMP_COUNT ? rv->pmpaddr[i] : 0;
        return true;
    }
    return false;
}

static void satp_write(RvCpu *rv, uint64_t v)
{
    unsigned mode = (unsigned)(v >> SATP_MODE_SHIFT);
    /* -d mmu: every write, with what it does (kept, ignored, no change). */
    if (logd_enabled(LOGD_MMU)) {
        static const char *const names[16] = {[SATP_BARE] = "bare", [SATP_SV39] = "sv39",
                                              [SATP_SV48] = "sv48", [SATP_SV57] = "sv57"};
        bool ok = names[mode & 15] != NULL;
        log_write(LOG_MMU, LOG_INFO,
                  "cpu %d: satp write 0x%016" PRIx64 " mode %s asid %" PRIu64 " root ppn 0x%" PRIx64
                  "%s",
                  rv->common.cpu_index, v, ok ? names[mode] : "reserved",
                  (uint64_t)((v >> SATP_ASID_SHIFT) & SATP_ASID_MASK), (uint64_t)(v & SATP_PPN_MASK),
                  !ok ? " (unsupported mode: satp unchanged)" : v == rv->satp ? " (unchanged)" : "");
    }
    /* WARL: an unsupported mode leaves satp unchanged (4.1.11). */
    if (mode != SATP_BARE && mode != SATP_SV39 && mode != SATP_SV48 && mode != SATP_SV57) return;
    if (v == rv->satp) return;
    rv->satp = v;
    CpuState *cpu = &rv->common;
    /* Entries are not matched against the current ASID: start afresh. */
    tlb_flush(cpu);
    tlb_set_asid(cpu, (uint32_t)((v >> SATP_ASID_SHIFT) & SATP_ASID_MASK));
}

static uint64_t tvec_legal(uint64_t v)
{
    /* Modes 2 and 3 are reserved: fall back to direct (3.1.7). */
    return (v & 3) >= 2 ? v & ~3ull : v;
}

static bool csr_write(RvCpu *rv, unsigned csr, uint64_t v)
{
    CpuState *cpu = &rv->common;
    switch (csr) {
    case 0x001: fs_dirty(rv); cpu->fp.flags = (cpu->fp.flags & ~0x1fu) | (uint32_t)(v & 0x1f); return true;
    case 0x002: fs_dirty(rv); cpu->fp.rm = (uint32_t)(v & 7); return true;
    case 0x003:
        fs_dirty(rv);
        cpu->fp.flags = (cpu->fp.flags & ~0x1fu) | (uint32_t)(v & 0x1f);
        cpu->fp.rm = (uint32_t)((v >> 5) & 7);
        return true;
    case CSR_SSTATUS: mstatus_write(rv, v, SSTATUS_WMASK); return true;
    case CSR_SIE: {
        uint64_t m = rv->mideleg & RV_S_IRQS;
        rv->mie = (rv->mie & ~m) | (v & m);
        rv_irq_check(rv);
        return true;
    }
    case CSR_STVEC: rv->stvec = tvec_legal(v); return true;
    case CSR_SCOUNTEREN: rv->scounteren = v & 0xffffffffu; return true;
    case CSR_SENVCFG: rv->senvcfg = v & MENVCFG_FIOM; return true;
    case CSR_SSCRATCH: rv->sscratch = v; return true;
    case CSR_SEPC: rv->sepc = v & ~1ull; return true;
    case CSR_SCAUSE: rv->scause = v; return true;
    case CSR_STVAL: rv->stval = v; return true;
    case CSR_SIP: mip_write(rv, v, rv->mideleg & MIP_SSIP); return true;
    case CSR_STIMECMP: rv->stimecmp = v; rv_stimer_update(rv); rv_irq_check(rv); return true;
    case CSR_SATP: satp_write(rv, v); return true;
    case CSR_MSTATUS: mstatus_write(rv, v, MSTATUS_WMASK); return true;
    case CSR_MISA: return true; /* WARL, fixed */
    case CSR_MEDELEG: rv->medeleg = v & MEDELEG_WMASK; return true;
    case CSR_MIDELEG: rv->mideleg = v & RV_S_IRQS; rv_irq_check(rv); return true;
    case CSR_MIE: rv->mie = v & RV_ALL_IRQS; rv_irq_check(rv); return true;
    case CSR_MTVEC: rv->mtvec = tvec_legal(v); return true;
    case CSR_MCOUNTEREN: rv->mcounteren = v & 0xffffffffu; return true;
    case CSR_MENVCFG:
        rv->menvcfg = v & (MENVCFG_FIOM | MENVCFG_STCE);
        rv_stimer_update(rv);
        rv_irq_check(rv);
        return true;
    case CSR_MCOUNTINHIBIT: rv->mcountinhibit = v & 0xfffffffdu; return true;
    case CSR_MSCRATCH: rv->mscratch = v; return true;
    case CSR_MEPC: rv->mepc = v & ~1ull; return true;
    case CSR_MCAUSE: rv->mcause = v; return true;
    case CSR_MTVAL: rv->mtval = v; return true;
    case CSR_MIP: {
        /* M writes SSIP, SEIP and (without Sstc's STCE) STIP (3.1.9). */
        uint64_t m = MIP_SSIP | MIP_SEIP | ((rv->menvcfg & MENVCFG_STCE) ? 0 : MIP_STIP);
        mip_write(rv, v, m);
        return true;
    }
    case CSR_MSECCFG: return true;
    case CSR_MCYCLE: case CSR_MINSTRET: rv->cycle_base = rv_host_ns() - v; return true;
    }
    if (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31) return true;
    if (csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) return true;
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        if (csr & 1) return false;
        rv_pmpcfg_write(rv, (csr - CSR_PMPCFG0) * 4, v);
        tlb_flush(cpu);
        return true;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        rv_pmpaddr_write(rv, csr - CSR_PMPADDR0, v);
        tlb_flush(cpu);
        return true;
    }
    return false;
}

bool rv_csr_access(RvCpu *rv, unsigned csr, unsigned op, bool do_read, bool do_write,
                   uint64_t src, uint64_t *old)
{
    csr &= 0xfff;
    /* csr[9:8] is the lowest privilege that may access it, csr[11:10] = 3
     * marks it read-only (2.1). */
    if (rv->priv < ((csr >> 8) & 3)) return false;
    if (do_write && (csr >> 10) == 3) return false;
    uint64_t v = 0;
    /* Reading also applies existence and access rules; no CSR here has read side effects. */
    if (!csr_read(rv, csr, &v, false)) return false;
    if (do_write) {
        uint64_t base = v;
        if (op != 0 && (csr == CSR_MIP || csr == CSR_SIP)) csr_read(rv, csr, &base, true);
        uint64_t nv = op == 0 ? src : op == 1 ? (base | src) : (base & ~src);
        if (!csr_write(rv, csr, nv)) return false;
    }
    *old = v;
    return true;
}
