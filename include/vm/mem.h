/* SPDX-License-Identifier: MIT */
/* Guest physical memory: the map of RAM and MMIO regions a machine builds, the
 * accessors devices (DMA) and loaders use, and the NUMA-aware RAM allocator. */
#ifndef VM_MEM_H
#define VM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/dev.h"
#include "vm/options.h"

typedef struct PhysMap PhysMap;

typedef struct PhysRegion {
    uint64_t base, size;
    uint8_t *host;        /* RAM/ROM: host memory, NULL for MMIO */
    bool readonly;        /* ROM */
    const MmioOps *ops;   /* MMIO */
    void *opaque;
    const char *name;
} PhysRegion;

PhysMap *phys_new(void);
void phys_free(PhysMap *m);
/* Regions never overlap; adding one that would is -EEXIST. */
int phys_add_ram(PhysMap *m, uint64_t base, uint64_t size, uint8_t *host, const char *name);
int phys_add_rom(PhysMap *m, uint64_t base, uint64_t size, uint8_t *host, const char *name);
int phys_add_mmio(PhysMap *m, uint64_t base, uint64_t size, const MmioOps *ops, void *opaque,
                  const char *name);
/* The region containing pa, or NULL. Lock-free after machine setup. */
const PhysRegion *phys_find(const PhysMap *m, uint64_t pa);
/* Host pointer for [pa, pa+len) when it lies wholly in one RAM region, else NULL.
 * A device that writes guest RAM through it (DMA into an iovec) calls
 * phys_dma_written for the range, so translated code there is dropped. */
uint8_t *phys_ram_ptr(const PhysMap *m, uint64_t pa, uint64_t len);
void phys_dma_written(PhysMap *m, uint64_t pa, uint64_t len);
/* Bounds-checked copies for DMA and loaders (RAM only; MMIO is not a DMA target).
 * 0, or -EFAULT when any byte is outside RAM (nothing is copied then). */
int phys_read(const PhysMap *m, uint64_t pa, void *buf, size_t len);
int phys_write(PhysMap *m, uint64_t pa, const void *buf, size_t len);
/* One MMIO or RAM access of size 1/2/4/8 in host order; false when nothing is mapped. */
bool phys_access(PhysMap *m, uint64_t pa, unsigned size, bool write, uint64_t *val);

/* Guest RAM from the NUMA-aware allocator: binds (or interleaves) each -numa
 * node's share, asks for transparent huge pages, falls back to plain anonymous
 * memory where libnuma or NUMA is absent. Returns NULL with errno set. */
uint8_t *ram_alloc(uint64_t size, const VmNuma *nodes, int nnodes);
void ram_free(uint8_t *p, uint64_t size);

#endif
