/* SPDX-License-Identifier: MIT */
/* Shared unit-test fixture: the fake IR guest (ir_fake_guest.h) twice, one
 * CPU per engine over its own 64 KiB of memory: ti under the interpreter (the
 * oracle), tj under the JIT. test_jit and test_jit_vec compare the two. */
#ifndef VM_TEST_FAKE_PAIR_H
#define VM_TEST_FAKE_PAIR_H

#include "vm/engine.h"
#include "vm/log.h"

#include "ir_fake_guest.h"

static TCpu ti, tj; /* interpreter, JIT */
static uint8_t gmem_i[65536], gmem_j[65536];
#define FAKE_MEM sizeof(gmem_i)

static int fake_setup(void **state)
{
    (void)state;
    fake_regs_init();
    log_levels[LOG_IR] = LOG_DEBUG; /* verify every hand-built block */
    ti.cs.arch = tj.cs.arch = &test_arch;
    assert_int_equal(interp_engine.cpu_init(&ti.cs), 0);
    assert_int_equal(jit_engine.cpu_init(&tj.cs), 0);
    return 0;
}

static int fake_teardown(void **state)
{
    (void)state;
    interp_engine.cpu_free(&ti.cs);
    jit_engine.cpu_free(&tj.cs);
    return 0;
}

#endif
