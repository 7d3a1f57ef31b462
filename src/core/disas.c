/* SPDX-License-Identifier: MIT */
/* Disassembly for -d in_asm / -d out_asm: capstone where it knows the arch
 * (capstone 4 has ARM64, X86, PPC but not RISC-V), else the arch's own hook. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <capstone.h>

#include "vm/arch.h"
#include "vm/disas.h"

/* One cached handle per thread: cs_open costs a few microseconds and a
 * handle is not thread-safe; vCPU threads may log concurrently. */
static __thread csh disas_cs;
static __thread int disas_cs_arch = -1, disas_cs_mode = -1;

static csh disas_handle(int arch, int mode)
{
    if (disas_cs_arch == arch && disas_cs_mode == mode) return disas_cs;
    if (disas_cs_arch >= 0) cs_close(&disas_cs);
    disas_cs_arch = disas_cs_mode = -1;
    if (cs_open((cs_arch)arch, (cs_mode)mode, &disas_cs) != CS_ERR_OK) return 0;
    disas_cs_arch = arch;
    disas_cs_mode = mode;
    return disas_cs;
}

static void put_line(FILE *f, uint64_t addr, const uint8_t *code, size_t len, const char *text)
{
    /* Up to 8 bytes shown in hex; longer x86 instructions are cut with "..". */
    char hex[24];
    size_t o = 0;
    for (size_t i = 0; i < len && i < 8; i++) o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%02x", code[i]);
    if (len > 8) snprintf(hex + o, sizeof(hex) - o, "..");
    fprintf(f, "  0x%08" PRIx64 ":  %-18s %s\n", addr, hex, text);
}

/* Dumps what no disassembler accepted, as .byte lines of up to 8 bytes. */
static void put_bytes(FILE *f, uint64_t addr, const uint8_t *code, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        char text[64];
        size_t n = len - i < 8 ? len - i : 8, o = 0;
        o += (size_t)snprintf(text, sizeof(text), ".byte");
        for (size_t k = 0; k < n; k++)
            o += (size_t)snprintf(text + o, sizeof(text) - o, "%s0x%02x", k ? "," : " ", code[i + k]);
        put_line(f, addr + i, code + i, n, text);
    }
}

static bool disas_capstone(int arch, int mode, const uint8_t *code, size_t len, uint64_t addr,
                           FILE *f)
{
    csh h = disas_handle(arch, mode);
    if (!h) return false;
    cs_insn *insn = cs_malloc(h);
    if (!insn) return false;
    const uint8_t *p = code;
    size_t left = len;
    uint64_t a = addr;
    while (left) {
        if (!cs_disasm_iter(h, &p, &left, &a, insn)) {
            put_bytes(f, a, p, left); /* undecodable tail: show it, stop */
            break;
        }
        char text[192];
        snprintf(text, sizeof(text), "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
                 insn->op_str);
        put_line(f, insn->address, insn->bytes, insn->size, text);
    }
    cs_free(insn, 1);
    return true;
}

int disas_log_guest(CpuState *cpu, uint64_t pc, uint32_t size, FILE *f)
{
    const GuestArch *ga = cpu->arch;
    if (size == 0) return 0;
    uint8_t *buf = malloc(size);
    if (!buf) abort();
    if (!cpu->mem || !cpu->mem->fetch || cpu->mem->fetch(cpu, pc, buf, size) != 0) {
        fprintf(f, "  0x%08" PRIx64 ":  <%u bytes of code not readable>\n", pc, size);
        free(buf);
        return -EFAULT;
    }
    if (ga && (ga->cs_arch || ga->cs_mode) &&
        disas_capstone(ga->cs_arch, ga->cs_mode, buf, size, pc, f)) {
        free(buf);
        return 0;
    }
    for (uint32_t off = 0; off < size;) {
        char text[128];
        unsigned n = ga && ga->disas ? ga->disas(pc + off, buf + off, size - off, text, sizeof(text))
                                     : 0;
        if (n == 0 || n > size - off) {
            put_bytes(f, pc + off, buf + off, size - off);
            break;
        }
        put_line(f, pc + off, buf + off, n, text);
        off += n;
    }
    free(buf);
    return 0;
}

int disas_host(const void *code, size_t len, uint64_t addr, FILE *f)
{
    if (!disas_capstone(CS_ARCH_X86, CS_MODE_64, code, len, addr, f)) {
        put_bytes(f, addr, code, len);
        return -ENOSYS;
    }
    return 0;
}
