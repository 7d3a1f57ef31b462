/* SPDX-License-Identifier: MIT */
/* The riscv64 GuestArch: register slot table, reset state, tb_flags and the
 * register dump. Translation lives in translate.c, disassembly in disas.c. */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "frontend/riscv64/rv_cpu.h"
#include "rv_internal.h"
#include "rv_priv.h"

#define EM_RISCV 243

#define XREG(i, n) {n, offsetof(RvCpu, x[i]), IR_I64}
#define FREG(i, n) {n, offsetof(RvCpu, f[i]), IR_I64}

/* ABI names (RISC-V psABI, "Integer/Floating-point register convention"). */
static const IrRegInfo rv_regs[RV_NSLOTS] = {
    XREG(0, "zero"), XREG(1, "ra"),  XREG(2, "sp"),   XREG(3, "gp"),   XREG(4, "tp"),
    XREG(5, "t0"),   XREG(6, "t1"),  XREG(7, "t2"),   XREG(8, "s0"),   XREG(9, "s1"),
    XREG(10, "a0"),  XREG(11, "a1"), XREG(12, "a2"),  XREG(13, "a3"),  XREG(14, "a4"),
    XREG(15, "a5"),  XREG(16, "a6"), XREG(17, "a7"),  XREG(18, "s2"),  XREG(19, "s3"),
    XREG(20, "s4"),  XREG(21, "s5"), XREG(22, "s6"),  XREG(23, "s7"),  XREG(24, "s8"),
    XREG(25, "s9"),  XREG(26, "s10"), XREG(27, "s11"), XREG(28, "t3"), XREG(29, "t4"),
    XREG(30, "t5"),  XREG(31, "t6"),
    FREG(0, "ft0"),  FREG(1, "ft1"), FREG(2, "ft2"),  FREG(3, "ft3"),  FREG(4, "ft4"),
    FREG(5, "ft5"),  FREG(6, "ft6"), FREG(7, "ft7"),  FREG(8, "fs0"),  FREG(9, "fs1"),
    FREG(10, "fa0"), FREG(11, "fa1"), FREG(12, "fa2"), FREG(13, "fa3"), FREG(14, "fa4"),
    FREG(15, "fa5"), FREG(16, "fa6"), FREG(17, "fa7"), FREG(18, "fs2"), FREG(19, "fs3"),
    FREG(20, "fs4"), FREG(21, "fs5"), FREG(22, "fs6"), FREG(23, "fs7"), FREG(24, "fs8"),
    FREG(25, "fs9"), FREG(26, "fs10"), FREG(27, "fs11"), FREG(28, "ft8"), FREG(29, "ft9"),
    FREG(30, "ft10"), FREG(31, "ft11"),
};

_Static_assert(offsetof(RvCpu, common) == 0, "CpuState must come first");

static void rv_cpu_reset(CpuState *cpu)
{
    RvCpu *rv = rv_cpu(cpu);
    memset(rv->x, 0, sizeof(rv->x));
    memset(rv->f, 0, sizeof(rv->f));
    cpu->fp.rm = IR_RM_RNE;
    cpu->fp.flags = 0;
    cpu->fp.mode = FP_MODE_NAN_CANON;
    cpu->res_valid = 0;
    rv->cycle_base = rv_host_ns();
}

static void rv_dump_regs(CpuState *cpu, FILE *f)
{
    RvCpu *rv = rv_cpu(cpu);
    fprintf(f, "pc       %016" PRIx64 "\n", cpu->pc);
    for (int i = 0; i < 32; i++)
        fprintf(f, "x%-2d/%-4s %016" PRIx64 "%s", i, rv_regs[i].name, rv->x[i],
                i % 4 == 3 ? "\n" : " ");
    for (int i = 0; i < 32; i++)
        fprintf(f, "f%-2d/%-4s %016" PRIx64 "%s", i, rv_regs[32 + i].name, rv->f[i],
                i % 4 == 3 ? "\n" : " ");
    fprintf(f, "fcsr     %08x (frm %u fflags %02x)\n",
            (cpu->fp.flags & 0x1f) | (cpu->fp.rm & 7) << 5, cpu->fp.rm & 7, cpu->fp.flags & 0x1f);
    if (!rv->sys) return;
    fprintf(f, "priv     %u  mstatus %016" PRIx64 " mip %016" PRIx64 " mie %016" PRIx64 "\n",
            rv->priv, rv->mstatus, rv_get_mip(rv), rv->mie);
    fprintf(f, "mepc     %016" PRIx64 " mcause %016" PRIx64 " mtval %016" PRIx64 " mtvec %016" PRIx64 "\n",
            rv->mepc, rv->mcause, rv->mtval, rv->mtvec);
    fprintf(f, "sepc     %016" PRIx64 " scause %016" PRIx64 " stval %016" PRIx64 " stvec %016" PRIx64 "\n",
            rv->sepc, rv->scause, rv->stval, rv->stvec);
    fprintf(f, "satp     %016" PRIx64 " medeleg %016" PRIx64 " mideleg %016" PRIx64 "\n",
            rv->satp, rv->medeleg, rv->mideleg);
}

const GuestArch rv_arch = {
    .name = "riscv64",
    .elf_machine = EM_RISCV,
    .big_endian = 0,
    .max_insn_len = 4,
    .cpu_size = sizeof(RvCpu),
    .regs = rv_regs,
    .nregs = RV_NSLOTS,
    .cs_arch = 0, /* capstone 4 has no RISC-V: disas below */
    .cs_mode = 0,
    .cpu_reset = rv_cpu_reset,
    .tb_flags = rv_tb_flags,
    .translate = rv_translate,
    .dump_regs = rv_dump_regs,
    .disas = rv_disas,
    .tlb_fill = rv_tlb_fill,
    .do_exception = rv_do_exception,
    .exec_interrupt = rv_exec_interrupt,
    .has_work = rv_has_work,
    .gdb_xml = rv_gdb_xml,
    .gdb_g_count = rv_gdb_g_count,
    .gdb_read_reg = rv_gdb_read_reg,
    .gdb_write_reg = rv_gdb_write_reg,
    .debug_translate = rv_debug_translate,
    .dump_mappings = rv_dump_mappings,
    .cpu_snapshot = rv_cpu_snapshot,
};
