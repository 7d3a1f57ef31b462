/* SPDX-License-Identifier: MIT */
/* NS16550A tests: output through a CharDev, input FIFO, THRE/RX interrupts,
 * divisor latch, loopback, snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vm/devices.h"

static int irq;
static void fake_irq(void *o, unsigned n, int level) { irq = level; }
static uint8_t out[64];
static size_t nout;
static void chr_write(CharDev *c, const uint8_t *b, size_t n)
{
    memcpy(out + nout, b, n);
    nout += n;
}

static uint8_t rd(Uart16550 *u, unsigned off) { return (uint8_t)uart_mmio_ops.read(u, off, 1); }
static void wr(Uart16550 *u, unsigned off, uint8_t v) { uart_mmio_ops.write(u, off, v, 1); }

static void test_uart(void **state)
{
    CharDev chr = { .write = chr_write };
    Device dev;
    irq = 0;
    nout = 0;
    Uart16550 *u = uart_new(&chr, (IrqLine){ fake_irq, NULL, 10 }, &dev);
    assert_int_equal(rd(u, 5) & 0x60, 0x60); /* THRE | TEMT */
    assert_int_equal(rd(u, 2) & 0x0f, 0x01); /* no interrupt */
    wr(u, 0, 'h');
    wr(u, 0, 'i');
    assert_int_equal(nout, 2);
    assert_memory_equal(out, "hi", 2);
    /* Divisor latch. */
    wr(u, 3, 0x83);
    wr(u, 0, 0x01);
    wr(u, 1, 0x02);
    assert_int_equal(rd(u, 0), 0x01);
    assert_int_equal(rd(u, 1), 0x02);
    wr(u, 3, 0x03);
    assert_int_equal(nout, 2);
    /* THRE interrupt when enabled, acknowledged by reading IIR. */
    wr(u, 1, 0x02);
    assert_int_equal(irq, 1);
    assert_int_equal(rd(u, 2) & 0x0f, 0x02);
    assert_int_equal(irq, 0);
    /* RX with FIFOs: CharDev input, data-ready interrupt. */
    wr(u, 2, 0x07);
    wr(u, 1, 0x01);
    assert_int_equal(chr.can_read(chr.dev_opaque), 16);
    assert_int_equal(chardev_deliver(&chr, (const uint8_t *)"abc", 3), 3);
    assert_int_equal(irq, 1);
    assert_int_equal(rd(u, 2) & 0xcf, 0xc4); /* FIFOs on, RX data available */
    assert_true(rd(u, 5) & 1);
    assert_int_equal(rd(u, 0), 'a');
    assert_int_equal(rd(u, 0), 'b');
    assert_int_equal(rd(u, 0), 'c');
    assert_false(rd(u, 5) & 1);
    assert_int_equal(irq, 0);
    /* Overrun: the FIFO takes 16 only. */
    uint8_t many[20];
    memset(many, 'x', sizeof many);
    assert_int_equal(chardev_deliver(&chr, many, 20), 16);
    chr.on_input(chr.dev_opaque, many, 1);
    assert_true(rd(u, 5) & 0x02);
    assert_false(rd(u, 5) & 0x02);
    wr(u, 2, 0x03); /* clear RX */
    assert_false(rd(u, 5) & 1);
    /* Loopback. */
    wr(u, 4, 0x10);
    wr(u, 0, 'L');
    assert_int_equal(nout, 2);
    assert_int_equal(rd(u, 0), 'L');
    wr(u, 4, 0x00);
    /* Snapshot round trip. */
    wr(u, 7, 0x5a);
    SnapVisitor *w = snap_writer_new();
    assert_int_equal(dev.snapshot(u, w), 0);
    size_t len;
    void *buf = snap_writer_finish(w, &len);
    dev.reset(u);
    assert_int_equal(rd(u, 7), 0);
    SnapVisitor *r = snap_reader_new(buf, len);
    assert_int_equal(dev.snapshot(u, r), 0);
    assert_int_equal(snap_reader_finish(r), 0);
    assert_int_equal(rd(u, 7), 0x5a);
    free(buf);
    /* Bad offsets are ignored. */
    wr(u, 0x50, 1);
    assert_int_equal(rd(u, 0x50), 0);
    dev.free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_uart) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
