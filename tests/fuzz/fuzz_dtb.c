/* SPDX-License-Identifier: MIT */
/* Fuzzes -dtb loading (src/machine/fdt.c): the blob checks and the /chosen
 * update the machine makes before placing it in guest RAM. */
#include <stdlib.h>

#include "fuzz.h"
#include "machine/machine_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    void *blob;
    size_t cap;
    char err[512];
    /* The slack riscv64_virt.c asks for with a short -append. */
    if (fdt_file_load(path, &blob, &cap, 16 * 1024 + 4096 + 13, err, sizeof(err))) return 0;
    fdt_chosen_update(blob, cap, "console=ttyS0", 0x88000000ull, 0x88100000ull);
    free(blob);
    return 0;
}
