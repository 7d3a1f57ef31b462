/* SPDX-License-Identifier: MIT */
/* Unit tests of the JIT tier manager's configuration (src/jit/tier.c): -jit
 * parsing (values, ranges, errors leave the configuration unchanged) and the
 * adaptive-threshold rule (each code-pool flush doubles cold and hot until
 * cold reaches 100000 or hot would pass 5e8; adaptive=off never moves them),
 * as shown by -d jit-stats. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jit/jit_int.h"

static char err[256];

static int parse(const char *spec)
{
    err[0] = 0;
    return jit_parse_options(spec, err, sizeof(err));
}

/* The "  thresholds: ..." line of jit_print_stats, into buf. */
static void stats_line(const char *prefix, char *buf, size_t len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    assert_non_null(f);
    jit_print_stats(f);
    fclose(f);
    const char *p = strstr(text, prefix);
    assert_non_null(p);
    size_t l = strcspn(p, "\n");
    assert_true(l < len);
    memcpy(buf, p, l);
    buf[l] = 0;
    free(text);
}

static void test_parse_values(void **state)
{
    (void)state;
    assert_int_equal(parse("cold=5,hot=50,adaptive=off,tiers=1,cache=8M"), 0);
    assert_int_equal(jit_config.cold, 5);
    assert_int_equal(jit_config.hot, 50);
    assert_false(jit_config.adaptive);
    assert_int_equal(jit_config.cache_size, 8u << 20);
    assert_int_equal(parse("cold=1,hot=1"), 0); /* hot == cold is allowed */
    assert_int_equal(parse("cold=1000000000,hot=1000000000,cache=0x400000"), 0);
    assert_int_equal(jit_config.cache_size, 4u << 20);
    assert_int_equal(parse(""), 0); /* nothing given: nothing changes */
    assert_int_equal(jit_config.cold, 1000000000);
}

static void test_parse_errors(void **state)
{
    (void)state;
    assert_int_equal(parse("cold=7,hot=70,adaptive=on,cache=16M"), 0);
    static const struct {
        const char *spec, *msg;
    } bad[] = {
        {"cold=0", "cold=0: expected a number from 1 to 1000000000"},
        {"hot=0", "hot=0: expected a number from 1 to 1000000000"},
        {"hot=1000000001", "hot=1000000001: expected a number from 1 to 1000000000"},
        {"cold=99999999999999999999999", "expected a number"},
        {"cold=-5", "cold=-5: expected a number"},
        {"cold=+5", "cold=+5: expected a number"},
        {"cold= 5", "cold= 5: expected a number"},
        {"cold=5x", "cold=5x: expected a number"},
        {"cold=", "cold=: expected a number"},
        {"cold=8,hot=7", "hot=7 is below cold=8"},
        {"cold=5000", "hot=70 (the default: give hot= too) is below cold=5000"},
        {"adaptive=1", "adaptive=1: expected on or off"},
        {"tiers=0", "tiers=0: expected 1, 2 or 3"},
        {"tiers=3", "tiers=3: only the L1 tier exists so far"},
        {"cache=3M", "cache=3M: expected a size between 4M and 1G"},
        {"cache=2G", "cache=2G: expected a size between 4M and 1G"},
        {"cache=-4M", "cache=-4M: expected a size"},
        {"cache=17179869185G", "cache=17179869185G: expected a size"}, /* wraps to 1G */
        {"cache=4Q", "cache=4Q: expected a size"},
        {"warm=3", "unknown option 'warm'"},
        {"cold", "'cold': expected key=value"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i].spec) != -EINVAL || !strstr(err, bad[i].msg))
            fail_msg("-jit %s: got '%s', want '%s'", bad[i].spec, err, bad[i].msg);
        /* A refused option changes nothing. */
        assert_int_equal(jit_config.cold, 7);
        assert_int_equal(jit_config.hot, 70);
        assert_true(jit_config.adaptive);
        assert_int_equal(jit_config.cache_size, 16u << 20);
    }
}

static void test_adapt_doubles(void **state)
{
    (void)state;
    char line[200];
    assert_int_equal(parse("cold=3,hot=7,adaptive=on"), 0);
    stats_line("  thresholds:", line, sizeof(line));
    assert_string_equal(line, "  thresholds: given cold=3 hot=7, raised 0 times (doubled per code-cache flush)");
    /* 3 << 15 = 98304 < 100000: the 16th flush raises once more, then no more. */
    for (unsigned i = 1; i <= 20; i++) {
        jit_tier_adapt();
        unsigned n = i < 16 ? i : 16;
        assert_int_equal(jit_config.cold, 3u << n);
        assert_int_equal(jit_config.hot, 7u << n);
    }
    stats_line("jit-stats:", line, sizeof(line));
    assert_non_null(strstr(line, " cold=196608 hot=458752 adaptive=on "));
    stats_line("  thresholds:", line, sizeof(line));
    assert_string_equal(line, "  thresholds: given cold=3 hot=7, raised 16 times (doubled per code-cache flush; "
                              "at the limit)");
}

static void test_adapt_hot_limit(void **state)
{
    (void)state;
    /* hot may not pass 5e8 before doubling: no overflow of uint32 or of the
     * int32 countdown (hot - cold). */
    assert_int_equal(parse("cold=1,hot=400000000"), 0);
    jit_tier_adapt();
    jit_tier_adapt();
    jit_tier_adapt();
    assert_int_equal(jit_config.cold, 2);
    assert_int_equal(jit_config.hot, 800000000);
    assert_int_equal(parse("cold=1,hot=1000000000"), 0);
    jit_tier_adapt();
    assert_int_equal(jit_config.cold, 1);
    assert_int_equal(jit_config.hot, 1000000000);
}

static void test_adapt_off(void **state)
{
    (void)state;
    char line[200];
    assert_int_equal(parse("cold=5,hot=50,adaptive=off"), 0);
    for (int i = 0; i < 5; i++) jit_tier_adapt();
    assert_int_equal(jit_config.cold, 5);
    assert_int_equal(jit_config.hot, 50);
    stats_line("  thresholds:", line, sizeof(line));
    assert_string_equal(line, "  thresholds: given cold=5 hot=50, raised 0 times (doubled per code-cache flush; "
                              "adaptive=off)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_values),    cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_adapt_doubles),   cmocka_unit_test(test_adapt_hot_limit),
        cmocka_unit_test(test_adapt_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
