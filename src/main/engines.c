/* SPDX-License-Identifier: MIT */
/* The table of execution engines built into this binary (-accel NAME). */
#include <string.h>

#include "vm/engine.h"

/* Engines by -accel name. NULL = the name is known but not in this build yet
 * (jit, kvm); main reports that. */
const Engine *engine_by_name(const char *name)
{
    /* The JIT is the default: every user-mode test passes under it. */
    if (!name || !strcmp(name, "jit")) return &jit_engine;
    if (!strcmp(name, "interp")) return &interp_engine;
    return NULL;
}
