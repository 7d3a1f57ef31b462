/* SPDX-License-Identifier: MIT */
/* RISC-V64 vCPU state. CpuState comes first; engines address the registers
 * through rv_regs (slot table) by offset. Included by the riscv64 frontend and
 * by the user-mode and machine glue for riscv64 (never by engines). */
#ifndef VM_RV_CPU_H
#define VM_RV_CPU_H

#include <stdint.h>

#include "vm/arch.h"
#include "vm/cpu.h"
#include "vm/timer.h"

/* Privilege levels (RISC-V privileged spec 1.12, 1.2). */
enum { RV_PRV_U = 0, RV_PRV_S = 1, RV_PRV_M = 3 };

/* mip/mie bits (3.1.9): what rv_set_irq takes. */
enum {
    RV_IRQ_SSI = 1, RV_IRQ_MSI = 3, RV_IRQ_STI = 5, RV_IRQ_MTI = 7, RV_IRQ_SEI = 9, RV_IRQ_MEI = 11,
};

#define RV_PMP_COUNT 16

typedef struct RvCpu {
    CpuState common;   /* pc, FP control (fflags = common.fp.flags & 0x1f, frm = common.fp.rm) */
    uint64_t x[32];    /* x[0] is always 0: the frontend never writes it */
    uint64_t f[32];    /* NaN-boxed: single values have the upper 32 bits all ones */
    uint64_t cycle_base;
    /* -- System mode (privileged spec 1.12); all zero in user mode. -- */
    uint32_t sys;      /* 1: system mode (tb_flags, traps, CSRs) */
    uint32_t priv;     /* RV_PRV_* */
    uint64_t mstatus;  /* SD is computed on read */
    uint64_t mip;      /* software-visible bits; devices update MEIP/MTIP/MSIP atomically */
    uint64_t seip_hw;  /* the PLIC's SEIP line, ORed into mip reads (3.1.9) */
    uint64_t mie, mideleg, medeleg;
    uint64_t mtvec, stvec, mepc, sepc, mcause, scause, mtval, stval, mscratch, sscratch;
    uint64_t mcounteren, scounteren, mcountinhibit;
    uint64_t menvcfg, senvcfg, satp, stimecmp;
    uint64_t mhartid;
    uint8_t pmpcfg[RV_PMP_COUNT];
    uint64_t pmpaddr[RV_PMP_COUNT];
    VmTimer *stimer;   /* Sstc: fires at stimecmp to kick the hart */
    /* PMP decoded for the page-table walker (mmu.c): the enabled entries in
     * priority order, rebuilt when pmpcfg/pmpaddr differ from the copies. */
    struct RvPmpCache {
        uint64_t gen;                 /* Tlb.flush_gen it was checked at */
        uint8_t cfg[RV_PMP_COUNT];
        uint64_t addr[RV_PMP_COUNT];
        unsigned n;
        uint8_t valid;
        struct { uint64_t lo, hi; uint8_t cfg; } e[RV_PMP_COUNT];
        /* Rights of whole 4 KiB pages (-1: entries split the page) per
         * privilege: key = page | priv, all ones when empty. */
        uint64_t mkey[64];
        int8_t mprot[64];
    } pmpc;
    /* The RAM region page tables were last read from (regions never change
     * once the machine runs): the walker's PTE reads skip the region search. */
    uint64_t pt_base, pt_size;
    uint8_t *pt_host;
} RvCpu;

/* Register slots in rv_regs: x0..x31 are 0..31, f0..f31 are 32..63. */
enum { RV_SLOT_X0 = 0, RV_SLOT_F0 = 32, RV_NSLOTS = 64 };

extern const GuestArch rv_arch;

static inline RvCpu *rv_cpu(CpuState *c) { return (RvCpu *)c; }

/* The machine timer (mtime, the time CSR): 10 MHz from vm's guest clock
 * (clock_guest_ns: continues from a restored snapshot's time). The virt
 * machine advertises timebase-frequency = 10000000 and the ACLINT uses the
 * same formula, so every hart and device agree. */
#define RV_TIMEBASE_HZ 10000000ull
static inline uint64_t rv_mtime(void) { return clock_guest_ns() / 100; }

/* -- System mode, for the machine and devices ---------------------------------------- */

/* Puts a hart in its M-mode reset state (privileged spec 3.4): priv M, mstatus
 * MIE = MPRV = 0, satp bare, PMP off, mhartid = hartid. Call after tlb_cpu_init;
 * the machine then sets cpu->pc (reset vector) and a0/a1. Arms nothing. */
void rv_cpu_init_system(CpuState *cpu, unsigned hartid);
/* Raises or lowers an interrupt-pending bit (RV_IRQ_MEI/SEI from the PLIC,
 * MTI/MSI from the ACLINT). Thread-safe: updates mip atomically, then kicks. */
void rv_set_irq(CpuState *cpu, unsigned mip_bit, int level);
/* Frees what rv_cpu_init_system allocated (the Sstc timer). */
void rv_cpu_free_system(CpuState *cpu);

#endif
