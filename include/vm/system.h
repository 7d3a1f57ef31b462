/* SPDX-License-Identifier: MIT */
/* System mode's entry point (src/service/): builds the machine -M names, runs
 * one host thread per vCPU plus the I/O loop, and returns vm's exit status. */
#ifndef VM_SYSTEM_H
#define VM_SYSTEM_H

#include "vm/engine.h"
#include "vm/options.h"

/* Exit status when -timeout SEC expires (as timeout(1) reports it). */
#define SYS_EXIT_TIMEOUT 124
/* Exit status when a -chat expectation is not met (docs/cli.md). */
#define SYS_EXIT_CHAT 125

/* Boots and runs the machine until the guest powers off (its status), the user
 * quits (Ctrl-A x: 0), -timeout expires (124) or a signal ends vm (128+N).
 * 1 after one "vm: ..." line on bad input or an internal error. */
int sys_main(const VmOptions *o, const Engine *e);

#endif
