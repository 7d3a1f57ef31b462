/* SPDX-License-Identifier: MIT */
/* The table of execution engines built into this binary (-accel NAME). */
#include <string.h>

#include "vm/engine.h"

/* Engines by -accel name. NULL = the name is known but not in this build yet
 * (jit, kvm); main reports that. */
const Engine *engine_by_name(const char *name)
{
    if (!name || !strcmp(name, "interp")) return &interp_engine;
    if (!strcmp(name, "jit")) return &jit_engine;
    return NULL;
}
