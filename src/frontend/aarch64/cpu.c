/* SPDX-License-Identifier: MIT */
/* The aarch64 GuestArch: register slot table, reset state, FPCR/FPSR mapping
 * onto FpCtl, and the register dump. Translation lives in translate.c. */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "frontend/aarch64/a64_cpu.h"
#include "a64_internal.h"

#define EM_AARCH64 183
/* capstone 4: CS_ARCH_ARM64 = 1, CS_MODE_ARM = 0 (little-endian A64). */
#define A64_CS_ARCH_ARM64 1
#define A64_CS_MODE_ARM 0

#define XREG(i) {"x" #i, offsetof(A64Cpu, x[i]), IR_I64}
#define VREG(i) {"v" #i, offsetof(A64Cpu, v[i]), IR_V128}

static const IrRegInfo a64_regs[A64_NSLOTS] = {
    XREG(0),  XREG(1),  XREG(2),  XREG(3),  XREG(4),  XREG(5),  XREG(6),  XREG(7),
    XREG(8),  XREG(9),  XREG(10), XREG(11), XREG(12), XREG(13), XREG(14), XREG(15),
    XREG(16), XREG(17), XREG(18), XREG(19), XREG(20), XREG(21), XREG(22), XREG(23),
    XREG(24), XREG(25), XREG(26), XREG(27), XREG(28), XREG(29), XREG(30),
    {"sp", offsetof(A64Cpu, sp), IR_I64},
    {"cc_lazy", offsetof(A64Cpu, cc_lazy), IR_I64},
    {"cc_x", offsetof(A64Cpu, cc_x), IR_I64},
    {"cc_y", offsetof(A64Cpu, cc_y), IR_I64},
    {"tpidr_el0", offsetof(A64Cpu, tpidr_el0), IR_I64},
    {"qc", offsetof(A64Cpu, qc), IR_I64},
    VREG(0),  VREG(1),  VREG(2),  VREG(3),  VREG(4),  VREG(5),  VREG(6),  VREG(7),
    VREG(8),  VREG(9),  VREG(10), VREG(11), VREG(12), VREG(13), VREG(14), VREG(15),
    VREG(16), VREG(17), VREG(18), VREG(19), VREG(20), VREG(21), VREG(22), VREG(23),
    VREG(24), VREG(25), VREG(26), VREG(27), VREG(28), VREG(29), VREG(30), VREG(31),
};

_Static_assert(offsetof(A64Cpu, common) == 0, "CpuState must come first");
_Static_assert(offsetof(A64Cpu, v) % 16 == 0, "V registers are 16-byte aligned");

uint64_t a64_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* -- FPCR / FPSR (DDI 0487 D19.2.{44,51}) ------------------------------------ */

uint32_t a64_get_fpcr(CpuState *c)
{
    return a64_cpu(c)->fpcr;
}

void a64_set_fpcr(CpuState *c, uint32_t v)
{
    /* Writable: AHP DN FZ RMode FZ16 (IDE..IOE trap enables read as zero:
     * no trapped FP exceptions are implemented). */
    v &= A64_FPCR_AHP | A64_FPCR_DN | A64_FPCR_FZ | (3u << A64_FPCR_RMODE_SHIFT) | A64_FPCR_FZ16;
    a64_cpu(c)->fpcr = v;
    /* RMode: 0 RN, 1 RP, 2 RM, 3 RZ. */
    static const uint32_t rm[4] = {IR_RM_RNE, IR_RM_RUP, IR_RM_RDN, IR_RM_RTZ};
    c->fp.rm = rm[(v >> A64_FPCR_RMODE_SHIFT) & 3];
    /* A1.5.x / FPRound: AArch64 detects tininess before rounding; FZ flushes
     * both subnormal inputs (reported as IDC) and results (UFC only). */
    uint32_t mode = FP_MODE_NAN_ARM | FP_MODE_TININESS_BEFORE;
    if (v & A64_FPCR_DN) mode |= FP_MODE_DN;
    if (v & A64_FPCR_FZ) mode |= FP_MODE_FZ | FP_MODE_DAZ;
    c->fp.mode = mode;
}

/* FPSR: IOC 0, DZC 1, OFC 2, UFC 3, IXC 4, IDC 7, QC 27. */
uint32_t a64_get_fpsr(CpuState *c)
{
    uint32_t f = c->fp.flags, r = 0;
    if (f & FP_FLAG_NV) r |= 1u << 0;
    if (f & FP_FLAG_DZ) r |= 1u << 1;
    if (f & FP_FLAG_OF) r |= 1u << 2;
    if (f & FP_FLAG_UF) r |= 1u << 3;
    if (f & FP_FLAG_NX) r |= 1u << 4;
    if (f & FP_FLAG_DE) r |= 1u << 7;
    if (a64_cpu(c)->qc) r |= A64_FPSR_QC;
    return r;
}

void a64_set_fpsr(CpuState *c, uint32_t v)
{
    uint32_t f = 0;
    if (v & (1u << 0)) f |= FP_FLAG_NV;
    if (v & (1u << 1)) f |= FP_FLAG_DZ;
    if (v & (1u << 2)) f |= FP_FLAG_OF;
    if (v & (1u << 3)) f |= FP_FLAG_UF;
    if (v & (1u << 4)) f |= FP_FLAG_NX;
    if (v & (1u << 7)) f |= FP_FLAG_DE;
    c->fp.flags = f;
    a64_cpu(c)->qc = (v & A64_FPSR_QC) != 0;
}

/* The two forms of cc_lazy (a64_cpu.h). The subtraction form is the flags
 * of AddWithCarry(x, NOT y, 1) (ARM ARM J1 shared/functions/integer/AddWithCarry). */
uint64_t a64_get_nzcv(CpuState *c)
{
    A64Cpu *a = a64_cpu(c);
    if (a->cc_lazy & A64_CCL_SUB) {
        uint64_t x = a->cc_x, y = a->cc_y, r = x - y;
        return (r >> 63) << 31 | (uint64_t)(r == 0) << 30 | (uint64_t)(x >= y) << 29 |
               (((x ^ y) & (x ^ r)) >> 63) << 28;
    }
    return (a->cc_lazy >> A64_CCL_NZCV_SHIFT & 15) << 28;
}

void a64_set_nzcv(CpuState *c, uint64_t v)
{
    a64_cpu(c)->cc_lazy = (v >> 28 & 15) << A64_CCL_NZCV_SHIFT;
}

static void a64_cpu_reset(CpuState *cpu)
{
    A64Cpu *a = a64_cpu(cpu);
    memset((char *)a + sizeof(CpuState), 0, sizeof(*a) - sizeof(CpuState));
    cpu->fp.flags = 0;
    a64_set_fpcr(cpu, 0);
    cpu->res_valid = 0;
    a->cnt_base = a64_host_ns();
}

static void a64_dump_regs(CpuState *cpu, FILE *f)
{
    A64Cpu *a = a64_cpu(cpu);
    uint64_t nzcv = a64_get_nzcv(cpu);
    fprintf(f, "pc  %016" PRIx64 "  sp  %016" PRIx64 "  nzcv %c%c%c%c\n", cpu->pc, a->sp,
            nzcv >> 31 & 1 ? 'N' : '-', nzcv >> 30 & 1 ? 'Z' : '-', nzcv >> 29 & 1 ? 'C' : '-',
            nzcv >> 28 & 1 ? 'V' : '-');
    for (int i = 0; i < 31; i++)
        fprintf(f, "x%-2d %016" PRIx64 "%s", i, a->x[i], i % 4 == 3 || i == 30 ? "\n" : "  ");
    for (int i = 0; i < 32; i++)
        fprintf(f, "v%-2d %016" PRIx64 ":%016" PRIx64 "%s", i, a->v[i][1], a->v[i][0],
                i % 2 == 1 ? "\n" : "  ");
    fprintf(f, "fpcr %08x fpsr %08x tpidr_el0 %016" PRIx64 "\n", a64_get_fpcr(cpu),
            a64_get_fpsr(cpu), a->tpidr_el0);
}

const GuestArch a64_arch = {
    .name = "aarch64",
    .elf_machine = EM_AARCH64,
    .big_endian = 0,
    .max_insn_len = 4,
    .cpu_size = sizeof(A64Cpu),
    .regs = a64_regs,
    .nregs = A64_NSLOTS,
    .cs_arch = A64_CS_ARCH_ARM64,
    .cs_mode = A64_CS_MODE_ARM,
    .cpu_reset = a64_cpu_reset,
    .tb_flags = a64_tb_flags,
    .translate = a64_translate,
    .dump_regs = a64_dump_regs,
    .disas = NULL,
    .gdb_xml = a64_gdb_xml,
    .gdb_g_count = a64_gdb_g_count,
    .gdb_read_reg = a64_gdb_read_reg,
    .gdb_write_reg = a64_gdb_write_reg,
};
