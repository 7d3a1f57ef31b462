/* SPDX-License-Identifier: MIT */
/* Shared unit-test fixture: one RISC-V hart in system mode over 16 MiB of RAM
 * and one recording MMIO page (test_mmu, test_tlb, test_rv_priv). */
#ifndef VM_TEST_RV_SYS_FIXTURE_H
#define VM_TEST_RV_SYS_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "frontend/riscv64/rv_cpu.h"
#include "frontend/riscv64/rv_priv.h"
#include "vm/mem.h"
#include "vm/tlb.h"

#define FX_RAM_BASE 0x80000000ull
#define FX_RAM_SIZE (16ull << 20)
#define FX_MMIO_BASE 0x10000000ull

typedef struct Fx {
    RvCpu *rv;
    CpuState *cpu;
    PhysMap *pm;
    uint8_t *ram;
    uint64_t mmio_last_off, mmio_last_val;
    unsigned mmio_last_size, mmio_reads, mmio_writes;
} Fx;

static Fx fx;

static uint64_t fx_mmio_read(void *opaque, uint64_t off, unsigned size)
{
    Fx *f = opaque;
    f->mmio_reads++;
    f->mmio_last_off = off;
    f->mmio_last_size = size;
    return 0x1122334455667788ull + off;
}

static void fx_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Fx *f = opaque;
    f->mmio_writes++;
    f->mmio_last_off = off;
    f->mmio_last_val = val;
    f->mmio_last_size = size;
}

static const MmioOps fx_mmio_ops = {fx_mmio_read, fx_mmio_write};

static void fx_setup(void)
{
    memset(&fx, 0, sizeof(fx));
    fx.rv = calloc(1, sizeof(RvCpu));
    fx.cpu = &fx.rv->common;
    fx.cpu->arch = &rv_arch;
    cpu_common_init(fx.cpu);
    fx.pm = phys_new();
    fx.ram = ram_alloc(FX_RAM_SIZE, NULL, 0);
    phys_add_ram(fx.pm, FX_RAM_BASE, FX_RAM_SIZE, fx.ram, "ram");
    phys_add_mmio(fx.pm, FX_MMIO_BASE, 0x1000, &fx_mmio_ops, &fx, "rec");
    tlb_cpu_init(fx.cpu, fx.pm);
    rv_cpu_init_system(fx.cpu, 0);
}

static void fx_teardown(void)
{
    rv_cpu_free_system(fx.cpu);
    tlb_cpu_free(fx.cpu);
    ram_free(fx.ram, FX_RAM_SIZE);
    phys_free(fx.pm);
    free(fx.rv);
}

static inline uint64_t *fx_ram64(uint64_t pa)
{
    return (uint64_t *)(fx.ram + (pa - FX_RAM_BASE));
}

/* A PMP entry 0 that grants S/U everything (NAPOT over the whole space). */
static inline void fx_pmp_allow_all(void)
{
    fx.rv->pmpaddr[0] = (1ull << 54) - 1;
    fx.rv->pmpcfg[0] = 0x1f; /* NAPOT | RWX */
    tlb_flush(fx.cpu);
}

#endif
