/* SPDX-License-Identifier: MIT */
/* Reference semantics of the IR's floating-point ops, exact to IEEE 754-2019
 * and to the guest's FpCtl (rounding mode, NaN style, flush modes). Values are
 * bit patterns (F32 in the low 32 bits). Engines call these; nothing else
 * defines FP results. rm may be IR_RM_DYN (then ctl->rm is used). Every
 * function ORs the IEEE exception flags it raises into ctl->flags. */
#ifndef VM_FP_H
#define VM_FP_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/cpu.h"
#include "vm/ir.h"

/* t is IR_F32 or IR_F64 throughout. */
uint64_t fp_add(FpCtl *c, IrType t, uint64_t a, uint64_t b, unsigned rm);
uint64_t fp_sub(FpCtl *c, IrType t, uint64_t a, uint64_t b, unsigned rm);
uint64_t fp_mul(FpCtl *c, IrType t, uint64_t a, uint64_t b, unsigned rm);
uint64_t fp_div(FpCtl *c, IrType t, uint64_t a, uint64_t b, unsigned rm);
uint64_t fp_sqrt(FpCtl *c, IrType t, uint64_t a, unsigned rm);
/* a*b+c with one rounding; neg = IR_FMA_NEG_PROD / IR_FMA_NEG_ADD. */
uint64_t fp_fma(FpCtl *c, IrType t, uint64_t a, uint64_t b, uint64_t d, unsigned neg, unsigned rm);
uint64_t fp_minmax(FpCtl *c, IrType t, uint64_t a, uint64_t b, bool max, unsigned variant);
/* Returns 0/1. Quiet compares raise NV only for sNaN; signaling ones for any NaN. */
uint64_t fp_cmp(FpCtl *c, IrType t, uint64_t a, uint64_t b, unsigned cond, bool signaling);
uint64_t fp_class(IrType t, uint64_t a);
/* Float -> integer of type it (I32: result in the low 32 bits, zero-extended). */
uint64_t fp_to_int(FpCtl *c, IrType it, IrType t, uint64_t a, unsigned rm, unsigned cvt);
/* Integer a of type it (I32: low 32 bits) -> float of type t. */
uint64_t fp_from_int(FpCtl *c, IrType t, IrType it, uint64_t a, unsigned rm, unsigned cvt);
/* F32 <-> F64. */
uint64_t fp_convert(FpCtl *c, IrType to, IrType from, uint64_t a, unsigned rm);
/* Round to an integral value in the same format. */
uint64_t fp_round_int(FpCtl *c, IrType t, uint64_t a, unsigned rm, unsigned flags);

/* The default quiet NaN for the guest's NaN style. */
uint64_t fp_default_nan(const FpCtl *c, IrType t);

#endif
