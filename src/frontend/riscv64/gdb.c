/* SPDX-License-Identifier: MIT */
/* The riscv64 vCPU as gdb sees it: the target description (gdb's standard
 * RISC-V features: org.gnu.gdb.riscv.cpu/fpu, and in system mode .csr with the
 * supervisor and machine trap CSRs plus .virtual's priv) and register access
 * by gdb's numbers: x0-x31 0-31, pc 32, f0-f31 33-64, then CSR n at 65 + n
 * (fflags 66, frm 67, fcsr 68), priv at 65 + 0x1000. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "frontend/riscv64/rv_cpu.h"
#include "rv_internal.h"
#include "rv_priv.h"

#define GDB_CSR_BASE 65
#define GDB_PRIV (GDB_CSR_BASE + 0x1000)

/* CSRs offered in system mode (besides fflags/frm/fcsr): the trap and
 * translation state a kernel debugger looks at. */
static const struct {
    const char *name;
    unsigned csr;
} csrs[] = {
    {"sstatus", CSR_SSTATUS}, {"sie", CSR_SIE},         {"stvec", CSR_STVEC},
    {"sscratch", CSR_SSCRATCH}, {"sepc", CSR_SEPC},     {"scause", CSR_SCAUSE},
    {"stval", CSR_STVAL},     {"sip", CSR_SIP},         {"satp", CSR_SATP},
    {"mstatus", CSR_MSTATUS}, {"misa", CSR_MISA},       {"medeleg", CSR_MEDELEG},
    {"mideleg", CSR_MIDELEG}, {"mie", CSR_MIE},         {"mtvec", CSR_MTVEC},
    {"mscratch", CSR_MSCRATCH}, {"mepc", CSR_MEPC},     {"mcause", CSR_MCAUSE},
    {"mtval", CSR_MTVAL},     {"mip", CSR_MIP},         {"mhartid", CSR_MHARTID},
};
#define NCSRS (sizeof(csrs) / sizeof(csrs[0]))

/* Built once per mode: user (no CSR feature) and system. */
static char xml_user[16384], xml_sys[16384];

static void build_xml(char *buf, size_t size, bool sys)
{
    size_t n = 0;
#define PUT(...) n += (size_t)snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__)
    PUT("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n"
        "<architecture>riscv:rv64</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n");
    for (unsigned i = 0; i < 32; i++)
        PUT("<reg name=\"%s\" bitsize=\"64\" regnum=\"%u\" type=\"%s\"/>\n", rv_arch.regs[i].name,
            i, i == 1 ? "code_ptr" : i == 2 || i == 8 ? "data_ptr" : "int");
    PUT("<reg name=\"pc\" bitsize=\"64\" regnum=\"32\" type=\"code_ptr\"/>\n</feature>\n"
        "<feature name=\"org.gnu.gdb.riscv.fpu\">\n"
        "<union id=\"riscv_double\"><field name=\"float\" type=\"ieee_single\"/>"
        "<field name=\"double\" type=\"ieee_double\"/></union>\n");
    for (unsigned i = 0; i < 32; i++)
        PUT("<reg name=\"%s\" bitsize=\"64\" regnum=\"%u\" type=\"riscv_double\"/>\n",
            rv_arch.regs[RV_SLOT_F0 + i].name, 33 + i);
    PUT("<reg name=\"fflags\" bitsize=\"32\" regnum=\"%d\" type=\"int\" group=\"float\"/>\n"
        "<reg name=\"frm\" bitsize=\"32\" regnum=\"%d\" type=\"int\" group=\"float\"/>\n"
        "<reg name=\"fcsr\" bitsize=\"32\" regnum=\"%d\" type=\"int\" group=\"float\"/>\n</feature>\n",
        GDB_CSR_BASE + 1, GDB_CSR_BASE + 2, GDB_CSR_BASE + 3);
    if (sys) {
        PUT("<feature name=\"org.gnu.gdb.riscv.csr\">\n");
        for (unsigned i = 0; i < NCSRS; i++)
            PUT("<reg name=\"%s\" bitsize=\"64\" regnum=\"%u\" type=\"int\" group=\"system\"/>\n",
                csrs[i].name, GDB_CSR_BASE + csrs[i].csr);
        PUT("</feature>\n<feature name=\"org.gnu.gdb.riscv.virtual\">\n"
            "<reg name=\"priv\" bitsize=\"64\" regnum=\"%d\" type=\"int\" group=\"general\"/>\n"
            "</feature>\n", GDB_PRIV);
    }
    PUT("</target>\n");
#undef PUT
}

const char *rv_gdb_xml(CpuState *cpu)
{
    bool sys = rv_cpu(cpu)->sys;
    char *buf = sys ? xml_sys : xml_user;
    if (!buf[0]) build_xml(buf, sys ? sizeof(xml_sys) : sizeof(xml_user), sys);
    return buf;
}

unsigned rv_gdb_g_count(CpuState *cpu) { return 65; }

static bool csr_listed(unsigned csr)
{
    for (unsigned i = 0; i < NCSRS; i++)
        if (csrs[i].csr == csr) return true;
    return false;
}

/* CSR access with the debugger's (machine-level) rights: the privilege is
 * lifted for the access and the derived MMU state recomputed after. */
static bool csr_debug(RvCpu *rv, unsigned csr, bool write, uint64_t *v)
{
    uint32_t priv = rv->priv;
    uint64_t old = 0;
    rv->priv = RV_PRV_M;
    bool ok = rv_csr_access(rv, csr, 0, true, write, write ? *v : 0, &old);
    rv->priv = priv;
    if (write) rv_mmu_state_changed(rv);
    if (ok && !write) *v = old;
    return ok;
}

static void put64(uint8_t *buf, uint64_t v)
{
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *buf, unsigned len)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < len && i < 8; i++) v |= (uint64_t)buf[i] << (8 * i);
    return v;
}

unsigned rv_gdb_read_reg(CpuState *cpu, unsigned n, uint8_t *buf)
{
    RvCpu *rv = rv_cpu(cpu);
    uint64_t v;
    if (n < 32) v = n ? rv->x[n] : 0;
    else if (n == 32) v = cpu->pc;
    else if (n < 65) v = rv->f[n - 33];
    else if (n >= GDB_CSR_BASE + 1 && n <= GDB_CSR_BASE + 3) {
        /* fflags, frm, fcsr: from FpCtl, whatever mstatus.FS says. */
        uint32_t fl = cpu->fp.flags & 0x1f, rm = cpu->fp.rm & 7;
        uint32_t x = n == GDB_CSR_BASE + 1 ? fl : n == GDB_CSR_BASE + 2 ? rm : fl | rm << 5;
        for (int i = 0; i < 4; i++) buf[i] = (uint8_t)(x >> (8 * i));
        return 4;
    } else if (rv->sys && n == GDB_PRIV) {
        v = rv->priv;
    } else if (rv->sys && n > GDB_CSR_BASE && csr_listed(n - GDB_CSR_BASE)) {
        if (!csr_debug(rv, n - GDB_CSR_BASE, false, &v)) return 0;
    } else {
        return 0;
    }
    put64(buf, v);
    return 8;
}

int rv_gdb_write_reg(CpuState *cpu, unsigned n, const uint8_t *buf, unsigned len)
{
    RvCpu *rv = rv_cpu(cpu);
    if (n >= GDB_CSR_BASE + 1 && n <= GDB_CSR_BASE + 3) {
        if (len != 4) return -EINVAL;
        uint32_t x = (uint32_t)get_le(buf, 4);
        if (n != GDB_CSR_BASE + 2) cpu->fp.flags = (cpu->fp.flags & ~0x1fu) | (x & 0x1f);
        if (n == GDB_CSR_BASE + 2) cpu->fp.rm = x & 7;
        if (n == GDB_CSR_BASE + 3) cpu->fp.rm = (x >> 5) & 7;
        return 0;
    }
    if (len != 8) return -EINVAL;
    uint64_t v = get_le(buf, 8);
    if (n < 32) {
        if (n) rv->x[n] = v; /* x0 stays 0 */
    } else if (n == 32) {
        cpu->pc = v;
    } else if (n < 65) {
        rv->f[n - 33] = v;
    } else if (rv->sys && n > GDB_CSR_BASE && n != GDB_PRIV && csr_listed(n - GDB_CSR_BASE)) {
        /* priv is read-only: changing it under the MMU state is not a register write. */
        if (!csr_debug(rv, n - GDB_CSR_BASE, true, &v)) return -EINVAL;
    } else {
        return -EINVAL;
    }
    return 0;
}
