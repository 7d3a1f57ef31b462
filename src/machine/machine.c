/* SPDX-License-Identifier: MIT */
/* Picks the machine model: -M names the board, the guest arch comes from -arch
 * or from the kernel's (else the firmware's) header. */
#include <string.h>

#include "machine/machine_int.h"
#include "machine/virt.h"
#include "vm/arch.h"
#include "vm/log.h"
#include "vm/machine.h"

int machine_create(const VmOptions *o, const Engine *e, const MachineHost *host, Machine **out)
{
    const char *mname = o->machine ? o->machine : "virt";
    if (strcmp(mname, "virt")) {
        vm_error("-M %s: unknown machine (supported: virt)", mname);
        return -1;
    }
    /* The image that says what the guest is: the kernel, else a -bios FILE. */
    const char *probe_path = o->kernel;
    if (!probe_path && o->bios && strcmp(o->bios, "default") && strcmp(o->bios, "none"))
        probe_path = o->bios;
    const char *arch = o->arch;
    if (!arch && probe_path) {
        LoaderFile f;
        char err[512];
        if (loader_read(probe_path, &f, err, sizeof(err))) {
            vm_error("%s", err);
            return -1;
        }
        LoaderKind k = loader_probe(&f, &arch);
        loader_release(&f);
        if (!arch) {
            if (k == LOADER_ELF)
                vm_error("%s: ELF for a machine vm does not emulate", probe_path);
            else
                vm_error("%s: not a kernel image (no ELF, RISC-V/ARM64 Image or bzImage header); "
                         "for a raw binary give -arch", probe_path);
            return -1;
        }
    }
    if (!arch) arch = "riscv64";
    if (!strcmp(arch, "riscv64")) return virt_rv_create(o, e, host, out);
    if (!arch_by_name(arch) && strcmp(arch, "x86_64") && strcmp(arch, "aarch64")) {
        vm_error("-arch %s: unknown architecture (supported: %s)", arch, arch_names());
        return -1;
    }
    vm_error("%s%s: system mode supports riscv64 guests only so far (-M virt for %s is not implemented yet)",
             probe_path ? probe_path : "-arch ", probe_path ? "" : arch, arch);
    return -1;
}
