/* SPDX-License-Identifier: MIT */
/* Linux user mode: run one guest ELF program as a host process. */
#ifndef VM_USER_H
#define VM_USER_H

#include "vm/engine.h"
#include "vm/options.h"

/* Loads o->program and runs it to completion. Returns the exit status vm
 * should exit with: the guest's status, 128+N when a signal killed it, or 1
 * after printing one error line (bad ELF, missing file, ...). */
int lx_main(const VmOptions *o, const Engine *engine);

#endif
