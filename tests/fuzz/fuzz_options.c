/* SPDX-License-Identifier: MIT */
/* Fuzzes the command line (src/core/options.c) and the option values parsed
 * after it (-d and VM_LOG lists, -jit): the input is argv, NUL-separated; its
 * first string is also tried as a VM_LOG value. Logging settings are put back
 * after each input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "vm/engine.h"
#include "vm/log.h"
#include "vm/options.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    copy[size] = 0;
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = "vm";
    for (char *p = copy; p < copy + size && argc < MAX_ARGS; p += strlen(p) + 1) argv[argc++] = p;
    argv[argc] = NULL;

    uint8_t levels[LOG_CAT_COUNT];
    memcpy(levels, log_levels, sizeof(levels));
    uint32_t mask = log_mask;
    char err[512];
    if (argc > 1) log_parse_env(argv[1], err, sizeof(err));
    VmOptions o;
    if (options_parse(&o, argc, argv) == 0) {
        if (o.log_d) log_parse_d(o.log_d, err, sizeof(err));
#ifdef CONFIG_JIT
        if (o.jit) jit_configure(o.jit, err, sizeof(err));
#endif
    }
#ifdef CONFIG_JIT
#endif
    memcpy(log_levels, levels, sizeof(levels));
    log_mask = mask;
    free(copy);
    return 0;
}
