/* SPDX-License-Identifier: MIT */
/* ACLINT (CLINT layout) tests with a fake clock and fake host timers (a link
 * seam over include/vm/timer.h): msip, mtimecmp/MTIP, mtime, 32/64-bit access. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "vm/devices.h"
#include "vm/timer.h"

struct VmTimer { void (*cb)(void *); void *opaque; uint64_t deadline; int armed; };
static uint64_t fake_ns;
uint64_t clock_ns(void) { return fake_ns; }
/* The whole of timer.h is faked, or the real timer.o comes along and clashes. */
uint64_t clock_guest_ns(void) { return fake_ns; }
void clock_guest_set(uint64_t guest_ns) { fake_ns = guest_ns; }
uint64_t clock_guest_deadline(uint64_t guest_ns) { return guest_ns > fake_ns ? guest_ns : fake_ns; }
VmTimer *timer_new(void (*cb)(void *opaque), void *opaque)
{
    VmTimer *t = calloc(1, sizeof(*t));
    t->cb = cb;
    t->opaque = opaque;
    return t;
}
void timer_mod(VmTimer *t, uint64_t deadline_ns) { t->deadline = deadline_ns; t->armed = 1; }
void timer_del(VmTimer *t) { t->armed = 0; }
void timer_free(VmTimer *t) { free(t); }

static int msip[2], mtip[2];
static void set_msip(void *o, unsigned n, int l) { msip[n] = l; }
static void set_mtip(void *o, unsigned n, int l) { mtip[n] = l; }

static uint64_t rd(Aclint *a, uint64_t off, unsigned sz) { return aclint_mmio_ops.read(a, off, sz); }
static void wr(Aclint *a, uint64_t off, uint64_t v, unsigned sz) { aclint_mmio_ops.write(a, off, v, sz); }

static void test_aclint(void **state)
{
    IrqLine ms[2] = { { set_msip, NULL, 0 }, { set_msip, NULL, 1 } };
    IrqLine mt[2] = { { set_mtip, NULL, 0 }, { set_mtip, NULL, 1 } };
    Device dev;
    fake_ns = 1000;
    Aclint *a = aclint_new(2, ms, mt, NULL, &dev);
    assert_non_null(a);
    assert_int_equal(rd(a, 0xbff8, 8), 10); /* 10 MHz: 100 ns a tick */
    fake_ns = 2000;
    assert_int_equal(rd(a, 0xbff8, 4), 20);
    assert_int_equal(rd(a, 0xbffc, 4), 0);
    /* MSIP. */
    wr(a, 4, 0xffffffff, 4);
    assert_int_equal(msip[1], 1);
    assert_int_equal(rd(a, 4, 4), 1);
    wr(a, 4, 0, 4);
    assert_int_equal(msip[1], 0);
    /* mtimecmp in the future arms the timer; firing raises MTIP. */
    assert_int_equal(mtip[0], 0);
    wr(a, 0x4000, 50, 8);
    assert_int_equal(mtip[0], 0);
    fake_ns = 5000;
    assert_int_equal(mtip[0], 0); /* nothing until the timer runs */
    wr(a, 0x4000, 50, 8);          /* re-evaluated on access */
    assert_int_equal(mtip[0], 1);
    /* Writing mtimecmp high (two 32-bit halves) lowers MTIP. */
    wr(a, 0x4004, 0x1, 4);
    assert_int_equal(mtip[0], 0);
    assert_int_equal(rd(a, 0x4000, 8), 0x100000032ull);
    assert_int_equal(rd(a, 0x4004, 4), 1);
    /* Hart 1 stays independent. */
    assert_int_equal(mtip[1], 0);
    assert_int_equal(rd(a, 0x4008, 8), UINT64_MAX);
    /* Writing mtime forward past mtimecmp raises MTIP. */
    wr(a, 0xbff8, 0x200000000ull, 8);
    assert_int_equal(mtip[0], 1);
    assert_int_equal(rd(a, 0xbff8, 8), 0x200000000ull);
    /* Bad sizes/offsets are ignored. */
    assert_int_equal(rd(a, 0x4001, 4), 0);
    wr(a, 0x8, 1, 4); /* hart 2 does not exist */
    assert_int_equal(rd(a, 0x8, 4), 0);
    /* Snapshot keeps mtime continuous. */
    SnapVisitor *w = snap_writer_new();
    assert_int_equal(dev.snapshot(a, w), 0);
    size_t len;
    void *buf = snap_writer_finish(w, &len);
    dev.reset(a);
    assert_int_equal(mtip[0], 0);
    fake_ns = 9000;
    SnapVisitor *r = snap_reader_new(buf, len);
    assert_int_equal(dev.snapshot(a, r), 0);
    assert_int_equal(snap_reader_finish(r), 0);
    assert_int_equal(rd(a, 0xbff8, 8), 0x200000000ull);
    assert_int_equal(mtip[0], 1);
    free(buf);
    dev.free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_aclint) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
