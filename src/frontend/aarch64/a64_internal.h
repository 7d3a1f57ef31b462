/* SPDX-License-Identifier: MIT */
/* Functions shared between the aarch64 frontend's files (not a contract). */
#ifndef VM_A64_INTERNAL_H
#define VM_A64_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/cpu.h"
#include "vm/ir.h"

void a64_translate(CpuState *cpu, IrBlock *b, uint64_t pc);
uint64_t a64_tb_flags(CpuState *cpu);
uint64_t a64_host_ns(void);

/* SIMD helpers (simd.c): whole-instruction semantics for the rarer Advanced
 * SIMD operations, on the register file in A64Cpu. desc packs the operands. */
extern const IrHelper a64_helper_simd;
extern const IrHelper a64_helper_ldst_struct;

/* Cryptographic extension (crypto.c): desc = op | rd << 8 | rn << 16 | rm << 24. */
enum {
    A64_CR_AESE, A64_CR_AESD, A64_CR_AESMC, A64_CR_AESIMC,
    A64_CR_SHA1C, A64_CR_SHA1P, A64_CR_SHA1M, A64_CR_SHA1SU0, A64_CR_SHA1H, A64_CR_SHA1SU1,
    A64_CR_SHA256H, A64_CR_SHA256H2, A64_CR_SHA256SU0, A64_CR_SHA256SU1,
};
extern const IrHelper a64_helper_crypto;
/* CRC32: (acc, value, size in bytes | crc32c << 4) -> new acc. */
extern const IrHelper a64_helper_crc32;

/* Estimates, FRECPX and half precision (fpest.c). esz 2 single, 3 double. */
uint64_t a64_recip_estimate(FpCtl *f, int esz, uint64_t x);
uint64_t a64_rsqrt_estimate(FpCtl *f, int esz, uint64_t x);
uint64_t a64_recpx(FpCtl *f, int esz, uint64_t x);
uint32_t a64_urecpe(uint32_t x);
uint32_t a64_ursqrte(uint32_t x);
uint64_t a64_half_to(FpCtl *f, bool ahp, int esz, uint16_t h);
uint16_t a64_to_half(FpCtl *f, bool ahp, int esz, uint64_t x, unsigned rm);
/* FCVT with a half operand: (x, from esz | to esz << 2 | IrRound << 4). */
extern const IrHelper a64_helper_fcvt_half;

/* gdb.c: GuestArch's gdb hooks (target description, registers by gdb number). */
const char *a64_gdb_xml(CpuState *cpu);
unsigned a64_gdb_g_count(CpuState *cpu);
unsigned a64_gdb_read_reg(CpuState *cpu, unsigned n, uint8_t *buf);
int a64_gdb_write_reg(CpuState *cpu, unsigned n, const uint8_t *buf, unsigned len);

#endif
