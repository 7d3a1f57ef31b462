/* SPDX-License-Identifier: MIT */
/* The virt boards (src/machine/riscv64_virt.c, later aarch64): constructors
 * machine.c dispatches to. */
#ifndef VM_MACHINE_VIRT_H
#define VM_MACHINE_VIRT_H

#include "vm/machine.h"

/* RISC-V virt with QEMU's memory map. 0, MACHINE_DONE or -1 (error printed). */
int virt_rv_create(const VmOptions *o, const Engine *e, const MachineHost *host, Machine **out);

#endif
