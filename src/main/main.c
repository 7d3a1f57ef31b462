/* SPDX-License-Identifier: MIT */
/* vm's main(): parse the command line, set up logging, pick the engine and
 * hand over to user mode or system mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/engine.h"
#include "vm/log.h"
#include "vm/options.h"
#include "config.h"
#include "vm/system.h"
#include "vm/user.h"

#ifdef CONFIG_SANITIZERS
/* Sanitizer builds (./configure --enable-sanitizers): vm leaves its vCPUs
 * and machine to the exit on purpose, so leak reports are noise, and they
 * would change exit statuses (LeakSanitizer exits 1). Built in rather than
 * left to ASAN_OPTIONS, which a guest's execve with its own environment drops. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

/* Applies VM_LOG, then -D and -d (so -d items add to what VM_LOG enabled). */
static int setup_logging(const VmOptions *o)
{
    char err[256];
    const char *env = getenv("VM_LOG");
    if (env && *env && log_parse_env(env, err, sizeof(err)) < 0) {
        vm_error("VM_LOG: %s", err);
        return -1;
    }
    if (o->log_file) {
        int r = log_set_file(o->log_file);
        if (r < 0) {
            vm_error("-D %s: %s", o->log_file, strerror(-r));
            return -1;
        }
    }
    if (o->log_d && log_parse_d(o->log_d, err, sizeof(err)) < 0) {
        vm_error("-d: %s", err);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    VmOptions opts;
    int r = options_parse(&opts, argc, argv);
    if (r > 0) return 0; /* --help, --version, -d help */
    if (r < 0) return 1;
    if (setup_logging(&opts) < 0) return 1;

    const Engine *engine = engine_by_name(opts.accel);
    if (!engine) {
        vm_error("-accel %s is not available (this build has: %s)", opts.accel, engine_names());
        return 1;
    }
    if (opts.jit) {
#ifndef CONFIG_JIT
        vm_error("-jit: this build has no JIT (configured with --disable-jit)");
        return 1;
#else
        char err[256];
        if (jit_configure(opts.jit, err, sizeof(err)) < 0) {
            vm_error("-jit: %s", err);
            return 1;
        }
#endif
    }

    if (opts.mode == VM_MODE_SYSTEM) {
#ifdef CONFIG_DEVICES
        r = sys_main(&opts, engine);
#else
        vm_error("system mode is not in this build (configured with --disable-devices)");
        r = 1;
#endif
        fflush(log_file);
        return r;
    }
    r = lx_main(&opts, engine);
    fflush(log_file);
    return r;
}
