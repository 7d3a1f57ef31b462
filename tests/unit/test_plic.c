/* SPDX-License-Identifier: MIT */
/* SiFive PLIC tests: priorities, enables, thresholds, claim/complete with
 * level-triggered gateways, per-context outputs, snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "vm/devices.h"

static int out[4];
static void fake_out(void *o, unsigned n, int level) { out[n] = level; }

static uint32_t rd(Plic *p, uint64_t off) { return (uint32_t)plic_mmio_ops.read(p, off, 4); }
static void wr(Plic *p, uint64_t off, uint32_t v) { plic_mmio_ops.write(p, off, v, 4); }
#define ENABLE(c) (0x2000 + 0x80 * (c))
#define THRESH(c) (0x200000 + 0x1000 * (c))
#define CLAIM(c) (THRESH(c) + 4)

static void test_plic(void **state)
{
    IrqLine outs[4];
    for (unsigned i = 0; i < 4; i++) outs[i] = (IrqLine){ fake_out, NULL, i };
    Device dev;
    Plic *p = plic_new(95, 4, outs, &dev);
    assert_non_null(p);
    IrqLine l10 = plic_irq_line(p, 10), l33 = plic_irq_line(p, 33);
    wr(p, 4 * 10, 1);
    wr(p, 4 * 33, 5);
    assert_int_equal(rd(p, 4 * 33), 5);
    wr(p, 4 * 33, 0xff);
    assert_int_equal(rd(p, 4 * 33), 7); /* 3 priority bits */
    wr(p, 4 * 33, 5);
    irq_set(&l10, 1);
    assert_int_equal(rd(p, 0x1000) & (1u << 10), 1u << 10);
    assert_int_equal(out[1], 0); /* not enabled yet */
    wr(p, ENABLE(1), 1u << 10);
    wr(p, ENABLE(1) + 4, 1u << 1); /* source 33 */
    assert_int_equal(out[1], 1);
    assert_int_equal(out[0], 0);
    irq_set(&l33, 1);
    /* Highest priority first. */
    assert_int_equal(rd(p, CLAIM(1)), 33);
    assert_int_equal(rd(p, CLAIM(1)), 10);
    assert_int_equal(out[1], 0);
    assert_int_equal(rd(p, CLAIM(1)), 0);
    /* Completion with the line still high re-pends (level-triggered). */
    wr(p, CLAIM(1), 33);
    assert_int_equal(out[1], 1);
    irq_set(&l33, 0);
    assert_int_equal(out[1], 0); /* withdrawn before claim */
    wr(p, CLAIM(1), 10);
    irq_set(&l10, 0);
    assert_int_equal(out[1], 0);
    /* Threshold masks priorities at or below it. */
    irq_set(&l10, 1);
    wr(p, CLAIM(1), 10);
    assert_int_equal(out[1], 1);
    wr(p, THRESH(1), 1);
    assert_int_equal(out[1], 0);
    assert_int_equal(rd(p, CLAIM(1)), 0);
    wr(p, THRESH(1), 0);
    assert_int_equal(out[1], 1);
    /* Completion of a source not enabled for the context is ignored. */
    assert_int_equal(rd(p, CLAIM(1)), 10);
    wr(p, CLAIM(0), 10);
    assert_int_equal(out[1], 0);
    /* Bad accesses are ignored. */
    wr(p, 0x1000, 0xffffffff);
    wr(p, CLAIM(7), 1);
    assert_int_equal(rd(p, CLAIM(7)), 0);
    assert_int_equal(plic_mmio_ops.read(p, 0, 1), 0);
    wr(p, 4 * 200, 3);
    wr(p, CLAIM(1), 5000);
    /* Snapshot round trip. */
    SnapVisitor *w = snap_writer_new();
    assert_int_equal(dev.snapshot(p, w), 0);
    size_t len;
    void *buf = snap_writer_finish(w, &len);
    dev.reset(p);
    assert_int_equal(rd(p, 4 * 33), 0);
    SnapVisitor *r = snap_reader_new(buf, len);
    assert_int_equal(dev.snapshot(p, r), 0);
    assert_int_equal(snap_reader_finish(r), 0);
    assert_int_equal(rd(p, 4 * 33), 5);
    assert_int_equal(rd(p, ENABLE(1)), 1u << 10);
    free(buf);
    dev.free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_plic) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
