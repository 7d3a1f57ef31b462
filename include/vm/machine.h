/* SPDX-License-Identifier: MIT */
/* A machine model (src/machine/) as the service layer (src/service/) drives it:
 * the machine builds memory, devices, vCPUs and the boot images; the service
 * layer runs the vCPU threads and the host side (terminal, timers, power). */
#ifndef VM_MACHINE_H
#define VM_MACHINE_H

#include <stdint.h>

#include "vm/arch.h"
#include "vm/chardev.h"
#include "vm/cpu.h"
#include "vm/engine.h"
#include "vm/options.h"

struct PhysMap;

/* What the guest asked the board to do (test finisher, syscon, PSCI, ...). */
typedef enum MachinePower {
    MACHINE_POWEROFF, /* status = the code the guest wrote (0 on plain power-off) */
    MACHINE_RESET,
} MachinePower;

/* What the service layer hands a machine when creating it. */
typedef struct MachineHost {
    CharDev *serial; /* the first UART's backend; NULL = output discarded */
    /* -chardev backends, one per VmOptions.chardevs entry (NULL = null backend). */
    CharDev **chardevs;
    /* Called from a vCPU thread; the service layer stops every vCPU. */
    void (*power)(void *opaque, MachinePower what, int status);
    void *opaque;
} MachineHost;

typedef struct Machine {
    const char *name;
    const GuestArch *arch;
    const Engine *engine;
    int ncpus;
    CpuState **cpus;
    struct PhysMap *phys;
    uint8_t *ram;
    uint64_t ram_base, ram_size;
    /* Every device, in creation order (names unique): snapshots and reset walk these. */
    struct Device *devs;
    int ndevs;
    /* Puts devices and vCPUs back in their boot state with the images reloaded
     * (guest reboot). NULL when the machine cannot. 0 or -errno. */
    int (*reset)(struct Machine *m);
    /* Frees everything create allocated; vCPU threads have stopped. */
    void (*free)(struct Machine *m);
    void *priv;
} Machine;

/* Creation results besides 0 (ready to run) and -1 (error printed). */
enum { MACHINE_DONE = 1 }; /* nothing to run (e.g. -machine dumpdtb=FILE written) */

/* Builds the machine -M names (arch from -arch or the kernel's header).
 * Returns 0, MACHINE_DONE, or -1 after one "vm: ..." error line. */
int machine_create(const VmOptions *o, const Engine *e, const MachineHost *host, Machine **out);

#endif
