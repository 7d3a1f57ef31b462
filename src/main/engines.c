/* SPDX-License-Identifier: MIT */
/* The table of execution engines built into this binary (-accel NAME). */
#include <string.h>

#include "config.h"
#include "vm/engine.h"

/* Engines by -accel name; NULL = not in this build (kvm, or jit with
 * --disable-jit). NULL name = the default: the JIT where it is built. */
const Engine *engine_by_name(const char *name)
{
#ifdef CONFIG_JIT
    if (!name || !strcmp(name, "jit")) return &jit_engine;
#else
    if (!name) return &interp_engine;
#endif
    if (!strcmp(name, "interp")) return &interp_engine;
    return NULL;
}

const char *engine_names(void)
{
#ifdef CONFIG_JIT
    return "interp, jit";
#else
    return "interp";
#endif
}
