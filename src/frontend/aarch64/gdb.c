/* SPDX-License-Identifier: MIT */
/* The aarch64 vCPU (EL0, user mode) as gdb sees it: the target description
 * (gdb's standard features org.gnu.gdb.aarch64.core, .fpu and .tls) and
 * register access by gdb's numbers: x0-x30 0-30, sp 31, pc 32, cpsr 33
 * (NZCV), v0-v31 34-65, fpsr 66, fpcr 67, tpidr 68. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "frontend/aarch64/a64_cpu.h"
#include "a64_internal.h"

enum { GDB_SP = 31, GDB_PC = 32, GDB_CPSR = 33, GDB_V0 = 34, GDB_FPSR = 66, GDB_FPCR = 67,
       GDB_TPIDR = 68 };

static char xml[16384];

static void build_xml(void)
{
    size_t n = 0, size = sizeof(xml);
#define PUT(...) n += (size_t)snprintf(xml + n, n < size ? size - n : 0, __VA_ARGS__)
    PUT("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n"
        "<architecture>aarch64</architecture>\n<feature name=\"org.gnu.gdb.aarch64.core\">\n");
    for (unsigned i = 0; i < 31; i++)
        PUT("<reg name=\"x%u\" bitsize=\"64\" regnum=\"%u\" type=\"int\"/>\n", i, i);
    PUT("<reg name=\"sp\" bitsize=\"64\" regnum=\"%d\" type=\"data_ptr\"/>\n"
        "<reg name=\"pc\" bitsize=\"64\" regnum=\"%d\" type=\"code_ptr\"/>\n"
        "<reg name=\"cpsr\" bitsize=\"32\" regnum=\"%d\" type=\"int\"/>\n</feature>\n",
        GDB_SP, GDB_PC, GDB_CPSR);
    /* The V registers as gdb's usual views: d/s/h/b lanes and q whole. */
    PUT("<feature name=\"org.gnu.gdb.aarch64.fpu\">\n"
        "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
        "<vector id=\"v2u\" type=\"uint64\" count=\"2\"/>\n"
        "<vector id=\"v2i\" type=\"int64\" count=\"2\"/>\n"
        "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
        "<vector id=\"v4u\" type=\"uint32\" count=\"4\"/>\n"
        "<vector id=\"v4i\" type=\"int32\" count=\"4\"/>\n"
        "<vector id=\"v8u\" type=\"uint16\" count=\"8\"/>\n"
        "<vector id=\"v8i\" type=\"int16\" count=\"8\"/>\n"
        "<vector id=\"v16u\" type=\"uint8\" count=\"16\"/>\n"
        "<vector id=\"v16i\" type=\"int8\" count=\"16\"/>\n"
        "<vector id=\"v1u\" type=\"uint128\" count=\"1\"/>\n"
        "<vector id=\"v1i\" type=\"int128\" count=\"1\"/>\n"
        "<union id=\"vnd\"><field name=\"f\" type=\"v2d\"/><field name=\"u\" type=\"v2u\"/>"
        "<field name=\"s\" type=\"v2i\"/></union>\n"
        "<union id=\"vns\"><field name=\"f\" type=\"v4f\"/><field name=\"u\" type=\"v4u\"/>"
        "<field name=\"s\" type=\"v4i\"/></union>\n"
        "<union id=\"vnh\"><field name=\"u\" type=\"v8u\"/><field name=\"s\" type=\"v8i\"/></union>\n"
        "<union id=\"vnb\"><field name=\"u\" type=\"v16u\"/><field name=\"s\" type=\"v16i\"/></union>\n"
        "<union id=\"vnq\"><field name=\"u\" type=\"v1u\"/><field name=\"s\" type=\"v1i\"/></union>\n"
        "<union id=\"aarch64v\"><field name=\"d\" type=\"vnd\"/><field name=\"s\" type=\"vns\"/>"
        "<field name=\"h\" type=\"vnh\"/><field name=\"b\" type=\"vnb\"/>"
        "<field name=\"q\" type=\"vnq\"/></union>\n");
    for (unsigned i = 0; i < 32; i++)
        PUT("<reg name=\"v%u\" bitsize=\"128\" regnum=\"%u\" type=\"aarch64v\" group=\"vector\"/>\n",
            i, GDB_V0 + i);
    PUT("<reg name=\"fpsr\" bitsize=\"32\" regnum=\"%d\" type=\"int\" group=\"float\"/>\n"
        "<reg name=\"fpcr\" bitsize=\"32\" regnum=\"%d\" type=\"int\" group=\"float\"/>\n</feature>\n"
        "<feature name=\"org.gnu.gdb.aarch64.tls\">\n"
        "<reg name=\"tpidr\" bitsize=\"64\" regnum=\"%d\" type=\"data_ptr\" group=\"system\"/>\n"
        "</feature>\n</target>\n",
        GDB_FPSR, GDB_FPCR, GDB_TPIDR);
#undef PUT
}

const char *a64_gdb_xml(CpuState *cpu)
{
    if (!xml[0]) build_xml();
    return xml;
}

/* Every register but tpidr goes in the 'g' packet. */
unsigned a64_gdb_g_count(CpuState *cpu) { return GDB_FPCR + 1; }

static void put_le(uint8_t *buf, uint64_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++) buf[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *buf, unsigned len)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < len && i < 8; i++) v |= (uint64_t)buf[i] << (8 * i);
    return v;
}

unsigned a64_gdb_read_reg(CpuState *cpu, unsigned n, uint8_t *buf)
{
    A64Cpu *a = a64_cpu(cpu);
    if (n < 31) put_le(buf, a->x[n], 8);
    else if (n == GDB_SP) put_le(buf, a->sp, 8);
    else if (n == GDB_PC) put_le(buf, cpu->pc, 8);
    else if (n == GDB_CPSR) put_le(buf, a64_get_nzcv(cpu), 4);
    else if (n >= GDB_V0 && n < GDB_V0 + 32) {
        put_le(buf, a->v[n - GDB_V0][0], 8);
        put_le(buf + 8, a->v[n - GDB_V0][1], 8);
        return 16;
    } else if (n == GDB_FPSR) put_le(buf, a64_get_fpsr(cpu), 4);
    else if (n == GDB_FPCR) put_le(buf, a64_get_fpcr(cpu), 4);
    else if (n == GDB_TPIDR) put_le(buf, a->tpidr_el0, 8);
    else return 0;
    return n == GDB_CPSR || n == GDB_FPSR || n == GDB_FPCR ? 4 : 8;
}

int a64_gdb_write_reg(CpuState *cpu, unsigned n, const uint8_t *buf, unsigned len)
{
    A64Cpu *a = a64_cpu(cpu);
    unsigned want = n >= GDB_V0 && n < GDB_V0 + 32 ? 16
                  : n == GDB_CPSR || n == GDB_FPSR || n == GDB_FPCR ? 4 : 8;
    if (n > GDB_TPIDR || len != want) return -EINVAL;
    uint64_t v = get_le(buf, len);
    if (n < 31) a->x[n] = v;
    else if (n == GDB_SP) a->sp = v;
    else if (n == GDB_PC) cpu->pc = v;
    else if (n == GDB_CPSR) a64_set_nzcv(cpu, v);
    else if (n < GDB_V0 + 32) {
        a->v[n - GDB_V0][0] = v;
        a->v[n - GDB_V0][1] = get_le(buf + 8, 8);
    } else if (n == GDB_FPSR) a64_set_fpsr(cpu, (uint32_t)v);
    else if (n == GDB_FPCR) a64_set_fpcr(cpu, (uint32_t)v);
    else a->tpidr_el0 = v;
    return 0;
}
