/* SPDX-License-Identifier: MIT */
/* IR-to-IR optimization passes (src/opt, one file per pass). Each pass keeps
 * the guest-visible behaviour of the block exactly, faults included; engines
 * choose which passes to run on a block before compiling it. */
#ifndef VM_OPT_H
#define VM_OPT_H

#include "vm/ir.h"

/* Byte-store merging (src/opt/stmerge.c): a run of consecutive guest
 * instructions that each store one byte, together covering 2, 4 or 8
 * contiguous bytes off one base, becomes one wide store (plus the run's first
 * byte store, which keeps the fault address and pc exact). A run that would
 * cross a page leaves the block through a side exit to its first instruction,
 * whose own block (starting with the run) is never merged. Only for engines
 * whose memory is plain RAM (user mode): a device would see one wide access.
 * Returns the number of runs merged. */
unsigned opt_merge_byte_stores(IrBlock *b);

/* Drops pure computations whose results nobody uses (no side effect, no
 * fault, no memory access, no FP flag accrual) and compacts the block.
 * Returns the number of instructions dropped. */
unsigned opt_drop_unused(IrBlock *b);

#endif
