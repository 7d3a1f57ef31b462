/* SPDX-License-Identifier: MIT */
/* Snapshot visitor tests: round trip, and truncated/corrupt input rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vm/snap.h"

typedef struct S { uint8_t a; uint16_t b; uint32_t c; uint64_t d; bool e; uint8_t blob[5]; } S;

static void visit(SnapVisitor *v, S *s)
{
    snap_u8(v, "a", &s->a);
    snap_u16(v, "b", &s->b);
    snap_u32(v, "c", &s->c);
    snap_u64(v, "d", &s->d);
    snap_bool(v, "e", &s->e);
    snap_bytes(v, "blob", s->blob, sizeof(s->blob));
}

static void *save(S *s, size_t *len)
{
    SnapVisitor *w = snap_writer_new();
    assert_false(snap_loading(w));
    visit(w, s);
    assert_int_equal(snap_status(w), 0);
    return snap_writer_finish(w, len);
}

static void test_round_trip(void **state)
{
    S s = { 0x12, 0x3456, 0x789abcde, 0x0123456789abcdefull, true, { 1, 2, 3, 4, 5 } }, t;
    size_t len;
    void *buf = save(&s, &len);
    memset(&t, 0, sizeof(t));
    SnapVisitor *r = snap_reader_new(buf, len);
    assert_true(snap_loading(r));
    visit(r, &t);
    assert_int_equal(snap_reader_finish(r), 0);
    assert_int_equal(t.a, s.a);
    assert_int_equal(t.b, s.b);
    assert_int_equal(t.c, s.c);
    assert_int_equal(t.d, s.d);
    assert_true(t.e);
    assert_memory_equal(t.blob, s.blob, sizeof(s.blob));
    free(buf);
}

static void test_truncated(void **state)
{
    S s = { 1, 2, 3, 4, false, { 0 } }, t;
    size_t len;
    uint8_t *buf = save(&s, &len);
    for (size_t cut = 0; cut < len; cut++) {
        SnapVisitor *r = snap_reader_new(buf, cut);
        visit(r, &t);
        assert_int_not_equal(snap_status(r), 0);
        assert_int_not_equal(snap_reader_finish(r), 0);
    }
    free(buf);
}

static void test_corrupt(void **state)
{
    S s = { 1, 2, 3, 4, true, { 0 } }, t;
    size_t len;
    uint8_t *buf = save(&s, &len);
    /* Wrong field name. */
    buf[1] = 'z';
    SnapVisitor *r = snap_reader_new(buf, len);
    visit(r, &t);
    assert_int_not_equal(snap_reader_finish(r), 0);
    buf[1] = 'a';
    /* Wrong length of the first field (1 -> 2). */
    buf[2] = 2;
    r = snap_reader_new(buf, len);
    visit(r, &t);
    assert_int_not_equal(snap_reader_finish(r), 0);
    buf[2] = 1;
    /* Left-over bytes. */
    uint8_t *big = calloc(1, len + 3);
    memcpy(big, buf, len);
    r = snap_reader_new(big, len + 3);
    visit(r, &t);
    assert_int_equal(snap_status(r), 0);
    assert_int_not_equal(snap_reader_finish(r), 0);
    free(big);
    /* A failure reported by the device is sticky. */
    r = snap_reader_new(buf, len);
    snap_fail(r, "test");
    visit(r, &t);
    assert_int_not_equal(snap_reader_finish(r), 0);
    /* A boolean other than 0/1. */
    size_t eoff = len - (1 + 4 + 4 + 5) - (1 + 1 + 4 + 1);
    assert_int_equal(buf[eoff], 1);
    assert_int_equal(buf[eoff + 1], 'e');
    buf[eoff + 6] = 7;
    r = snap_reader_new(buf, len);
    visit(r, &t);
    assert_int_not_equal(snap_reader_finish(r), 0);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
