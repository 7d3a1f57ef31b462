/* SPDX-License-Identifier: MIT */
/* The riscv64 privileged architecture, private to the frontend: CSR numbers,
 * mstatus fields, trap causes, MMU indexes, and the functions csr.c, priv.c,
 * mmu.c and translate.c share (privileged spec 1.12). */
#ifndef VM_RV_PRIV_H
#define VM_RV_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "frontend/riscv64/rv_cpu.h"
#include "vm/arch.h"

/* -- mstatus (3.1.6) -- */
#define MSTATUS_SIE (1ull << 1)
#define MSTATUS_MIE (1ull << 3)
#define MSTATUS_SPIE (1ull << 5)
#define MSTATUS_UBE (1ull << 6)
#define MSTATUS_MPIE (1ull << 7)
#define MSTATUS_SPP (1ull << 8)
#define MSTATUS_VS (3ull << 9)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3ull << 11)
#define MSTATUS_FS_SHIFT 13
#define MSTATUS_FS (3ull << 13)
#define MSTATUS_XS (3ull << 15)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM (1ull << 18)
#define MSTATUS_MXR (1ull << 19)
#define MSTATUS_TVM (1ull << 20)
#define MSTATUS_TW (1ull << 21)
#define MSTATUS_TSR (1ull << 22)
#define MSTATUS_UXL (3ull << 32)
#define MSTATUS_SXL (3ull << 34)
#define MSTATUS_SD (1ull << 63)
#define MSTATUS_XL64 ((2ull << 32) | (2ull << 34)) /* UXL = SXL = 64, read-only */
#define SSTATUS_MASK                                                                           \
    (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_UBE | MSTATUS_SPP | MSTATUS_VS | MSTATUS_FS |         \
     MSTATUS_XS | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)
enum { FS_OFF = 0, FS_INITIAL = 1, FS_CLEAN = 2, FS_DIRTY = 3 };

#define MENVCFG_FIOM (1ull << 0)
#define MENVCFG_STCE (1ull << 63)

/* -- satp (4.1.11) -- */
#define SATP_MODE_SHIFT 60
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK 0xffffull
#define SATP_PPN_MASK ((1ull << 44) - 1)
enum { SATP_BARE = 0, SATP_SV39 = 8, SATP_SV48 = 9, SATP_SV57 = 10 };

/* -- Trap causes (3.1.15, table 3.6) -- */
enum {
    RV_EXC_INSN_MISALIGNED = 0, RV_EXC_INSN_ACCESS = 1, RV_EXC_ILLEGAL = 2, RV_EXC_BREAKPOINT = 3,
    RV_EXC_LOAD_MISALIGNED = 4, RV_EXC_LOAD_ACCESS = 5, RV_EXC_STORE_MISALIGNED = 6,
    RV_EXC_STORE_ACCESS = 7, RV_EXC_ECALL_U = 8, RV_EXC_ECALL_S = 9, RV_EXC_ECALL_M = 11,
    RV_EXC_INSN_PAGE = 12, RV_EXC_LOAD_PAGE = 13, RV_EXC_STORE_PAGE = 15,
};
#define RV_CAUSE_INTR (1ull << 63)

#define MIP_SSIP (1ull << RV_IRQ_SSI)
#define MIP_MSIP (1ull << RV_IRQ_MSI)
#define MIP_STIP (1ull << RV_IRQ_STI)
#define MIP_MTIP (1ull << RV_IRQ_MTI)
#define MIP_SEIP (1ull << RV_IRQ_SEI)
#define MIP_MEIP (1ull << RV_IRQ_MEI)
#define RV_S_IRQS (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define RV_ALL_IRQS (RV_S_IRQS | MIP_MSIP | MIP_MTIP | MIP_MEIP)

/* -- MMU indexes (IR_MO_IDX of memory ops, TLB tables) --
 * bits 1:0 the effective privilege of the access, bit 2 SUM (S only), bit 3
 * MXR (S/U). M-mode data without MPRV is RV_PRV_M alone. */
#define RV_IDX_SUM 4u
#define RV_IDX_MXR 8u

/* -- tb_flags (system mode): frm in bits 2:0 as in user mode. -- */
#define RV_TB_SYS (1u << 3)
#define RV_TB_PRIV_SHIFT 4   /* 2 bits */
#define RV_TB_DIDX_SHIFT 6   /* 4 bits: the data MMU index */
#define RV_TB_FS_OFF (1u << 10)
#define RV_TB_FS_DIRTY (1u << 11)

/* -- CSR numbers (2.2, table 2.2-2.5) -- */
enum {
    CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105, CSR_SCOUNTEREN = 0x106,
    CSR_SENVCFG = 0x10a, CSR_SSCRATCH = 0x140, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142,
    CSR_STVAL = 0x143, CSR_SIP = 0x144, CSR_STIMECMP = 0x14d, CSR_SATP = 0x180,
    CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302, CSR_MIDELEG = 0x303,
    CSR_MIE = 0x304, CSR_MTVEC = 0x305, CSR_MCOUNTEREN = 0x306, CSR_MENVCFG = 0x30a,
    CSR_MCOUNTINHIBIT = 0x320, CSR_MHPMEVENT3 = 0x323, CSR_MHPMEVENT31 = 0x33f,
    CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342, CSR_MTVAL = 0x343,
    CSR_MIP = 0x344, CSR_PMPCFG0 = 0x3a0, CSR_PMPCFG15 = 0x3af, CSR_PMPADDR0 = 0x3b0,
    CSR_PMPADDR63 = 0x3ef, CSR_MSECCFG = 0x747, CSR_MCYCLE = 0xb00, CSR_MINSTRET = 0xb02,
    CSR_MHPMCOUNTER3 = 0xb03, CSR_MHPMCOUNTER31 = 0xb1f, CSR_CYCLE_ = 0xc00, CSR_TIME_ = 0xc01,
    CSR_INSTRET_ = 0xc02, CSR_HPMCOUNTER31 = 0xc1f, CSR_MVENDORID = 0xf11, CSR_MARCHID = 0xf12,
    CSR_MIMPID = 0xf13, CSR_MHARTID = 0xf14, CSR_MCONFIGPTR = 0xf15,
};

/* misa: RV64 (MXL = 2) IMAFDC + S + U (3.1.1). */
#define RV_MISA                                                                                \
    ((2ull << 62) | (1u << ('A' - 'A')) | (1u << ('C' - 'A')) | (1u << ('D' - 'A')) |          \
     (1u << ('F' - 'A')) | (1u << ('I' - 'A')) | (1u << ('M' - 'A')) | (1u << ('S' - 'A')) |   \
     (1u << ('U' - 'A')))

/* csr.c: one Zicsr access in system mode. op 0 write, 1 set, 2 clear. Returns
 * false when the access is illegal (unknown CSR, privilege, read-only, FS off,
 * TVM, counter enables); *old gets the value read. */
bool rv_csr_access(RvCpu *rv, unsigned csr, unsigned op, bool do_read, bool do_write,
                   uint64_t src, uint64_t *old);

/* priv.c */
unsigned rv_data_idx(const RvCpu *rv);
/* After a change to priv, MPRV/MPP, SUM or MXR: republishes the TLB indexes. */
void rv_mmu_state_changed(RvCpu *rv);
uint64_t rv_get_mip(const RvCpu *rv);
/* The cause of the interrupt to take now, or -1 (3.1.9 priorities). */
int rv_pending_irq(const RvCpu *rv);
/* Makes the engine leave at the next block boundary when an interrupt is takeable. */
void rv_irq_check(RvCpu *rv);
/* Trap entry (3.1.6.1, 3.3.1, 4.1.1): delegation, xEPC/xCAUSE/xTVAL, xPP/xPIE, tvec. */
void rv_trap(RvCpu *rv, uint64_t cause, uint64_t tval, bool intr);
void rv_do_exception(CpuState *cpu, int excp);
bool rv_exec_interrupt(CpuState *cpu);
bool rv_has_work(CpuState *cpu);
void rv_stimer_update(RvCpu *rv);
/* The instruction helpers translate.c calls (IR helper ABI). */
uint64_t rv_helper_csr(CpuState *cpu, uint64_t packed, uint64_t src, uint64_t insn);
uint64_t rv_helper_mret(CpuState *cpu, uint64_t insn);
uint64_t rv_helper_sret(CpuState *cpu, uint64_t insn);
uint64_t rv_helper_wfi(CpuState *cpu, uint64_t pc_next, uint64_t insn);
uint64_t rv_helper_sfence_vma(CpuState *cpu, uint64_t va, uint64_t asid, uint64_t which_insn);
uint64_t rv_helper_fs_dirty(CpuState *cpu);

/* mmu.c: the Sv39/48/57 walker with PMP, the GuestArch tlb_fill hook. */
int rv_tlb_fill(CpuState *cpu, uint64_t va, MemAccess acc, unsigned idx, TlbFill *out,
                uint64_t *tval);
/* PMP (3.7): the R/W/X rights priv has on [addr, addr+size); -1 when an entry
 * matches only part of it. */
int rv_pmp_prot(const RvCpu *rv, uint64_t addr, uint64_t size, unsigned priv);
/* Legalising writes of pmpcfg/pmpaddr (3.7.1, L bit and TOR locking). */
void rv_pmpcfg_write(RvCpu *rv, unsigned first, uint64_t val);
void rv_pmpaddr_write(RvCpu *rv, unsigned i, uint64_t val);

/* mmu_debug.c: GuestArch.debug_translate and dump_mappings (side-effect-free walk). */
int rv_debug_translate(CpuState *cpu, uint64_t va, uint64_t *pa);
void rv_dump_mappings(CpuState *cpu, FILE *f);

/* snapshot.c: GuestArch.cpu_snapshot. */
int rv_cpu_snapshot(CpuState *cpu, SnapVisitor *v);

/* gdb.c: GuestArch's gdb hooks (target description, registers by gdb number). */
const char *rv_gdb_xml(CpuState *cpu);
unsigned rv_gdb_g_count(CpuState *cpu);
unsigned rv_gdb_read_reg(CpuState *cpu, unsigned n, uint8_t *buf);
int rv_gdb_write_reg(CpuState *cpu, unsigned n, const uint8_t *buf, unsigned len);

/* Sv39/48/57 page-table entry bits (privileged spec 1.12, 4.4.1), shared by the
 * walker (mmu.c) and the read-only views for the monitor and gdb (mmu_debug.c). */
#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_G (1ull << 5)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ull << 44) - 1)
#define PTE_PPN(pte) (((pte) >> PTE_PPN_SHIFT) & PTE_PPN_MASK)
/* Bits 63:54: N (Svnapot), PBMT (Svpbmt) and reserved. None is implemented, so
 * a leaf or pointer with any of them set is a page fault (4.4.1). */
#define PTE_RESERVED (0x3ffull << 54)

#endif
