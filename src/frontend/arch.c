/* SPDX-License-Identifier: MIT */
/* The table of built-in guest architectures. */
#include <string.h>

#include "config.h"
#include "vm/arch.h"

#ifdef CONFIG_TARGET_RISCV64
extern const GuestArch rv_arch;
#endif
#ifdef CONFIG_TARGET_AARCH64
extern const GuestArch a64_arch;
#endif

static const GuestArch *const arches[] = {
#ifdef CONFIG_TARGET_RISCV64
    &rv_arch,
#endif
#ifdef CONFIG_TARGET_AARCH64
    &a64_arch,
#endif
    NULL,
};

const GuestArch *arch_by_name(const char *name)
{
    for (unsigned i = 0; arches[i]; i++)
        if (!strcmp(arches[i]->name, name)) return arches[i];
    return NULL;
}

const GuestArch *arch_by_elf(uint16_t machine)
{
    for (unsigned i = 0; arches[i]; i++)
        if (arches[i]->elf_machine == machine) return arches[i];
    return NULL;
}

const char *arch_names(void)
{
    static char buf[128];
    if (!buf[0]) {
        for (unsigned i = 0; arches[i]; i++) {
            if (i) strcat(buf, " ");
            strcat(buf, arches[i]->name);
        }
    }
    return buf;
}
