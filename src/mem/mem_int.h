/* SPDX-License-Identifier: MIT */
/* Private to src/mem: the code-page marks PhysMap keeps beside each RAM region
 * (pages that hold translated code; a write to one invalidates its blocks). */
#ifndef VM_MEM_INT_H
#define VM_MEM_INT_H

#include <stdint.h>

#include "vm/mem.h"

/* The code-mark byte of the 4 KiB RAM page holding pa, or NULL (MMIO, unmapped). */
uint8_t *phys_code_byte(const PhysMap *m, uint64_t pa);
/* Called after a store to a marked page (clears the mark, drops its blocks). */
void phys_code_written(uint8_t *mark, uint64_t pa);

#endif
