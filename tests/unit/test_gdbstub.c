/* SPDX-License-Identifier: MIT */
/* The gdb stub's protocol engine against a fake target: framing, checksums,
 * acknowledgements, escapes, bad packets, the main commands, and the
 * breakpoint/watchpoint lists the engines consult. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vm/gdbstub.h"

/* -- A fake target: two threads, 3 registers of 8 bytes, 64 bytes of memory at 0x1000 -- */

static char sent[65536];
static size_t nsent;
static uint64_t regs[3] = {0x1122334455667788ull, 0, 0xdeadbeef};
static uint8_t mem[64];
static GdbAction last_act[4];
static int last_sig[4];
static int nresume, ninterrupt, ndetach, nkill;

static void f_send(void *o, const void *buf, size_t len)
{
    assert_true(nsent + len < sizeof(sent));
    memcpy(sent + nsent, buf, len);
    nsent += len;
    sent[nsent] = 0;
}
static int f_threads(void *o, int *tids, int max)
{
    tids[0] = 1;
    tids[1] = 2;
    return 2;
}
static const char *f_xml(void *o) { return "<target>$#}*</target>"; }
static unsigned f_g_count(void *o, int tid) { return 3; }
static unsigned f_read_reg(void *o, int tid, unsigned n, uint8_t *buf)
{
    if (n >= 3) return 0;
    memcpy(buf, &regs[n], 8);
    return 8;
}
static int f_write_reg(void *o, int tid, unsigned n, const uint8_t *buf, unsigned len)
{
    if (n >= 3 || len != 8) return -EINVAL;
    memcpy(&regs[n], buf, 8);
    return 0;
}
static long f_read_mem(void *o, int tid, uint64_t a, uint8_t *buf, size_t len)
{
    if (a < 0x1000 || a >= 0x1040) return -EFAULT;
    size_t n = 0x1040 - a < len ? 0x1040 - a : len;
    memcpy(buf, mem + (a - 0x1000), n);
    return (long)n;
}
static long f_write_mem(void *o, int tid, uint64_t a, const uint8_t *buf, size_t len)
{
    if (a < 0x1000 || a + len > 0x1040) return -EFAULT;
    memcpy(mem + (a - 0x1000), buf, len);
    return (long)len;
}
static int f_insert(void *o, int type, uint64_t addr, uint64_t kind)
{
    if (type == GDB_WP_READ) return -ENOSYS;
    int r = gdb_bp_insert(type, addr, kind);
    return r == -EEXIST ? 0 : r;
}
static int f_remove(void *o, int type, uint64_t addr, uint64_t kind)
{
    return gdb_bp_remove(type, addr, kind);
}
static void f_resume(void *o, const GdbAction *act, const int *sig, int n)
{
    assert_int_equal(n, 2);
    memcpy(last_act, act, sizeof(*act) * (size_t)n);
    memcpy(last_sig, sig, sizeof(*sig) * (size_t)n);
    nresume++;
}
static void f_interrupt(void *o) { ninterrupt++; }
static void f_detach(void *o) { ndetach++; }
static void f_kill(void *o) { nkill++; }

static const GdbOps ops = {f_send, f_threads, f_xml, f_g_count, f_read_reg, f_write_reg,
                           f_read_mem, f_write_mem, f_insert, f_remove, f_resume, f_interrupt,
                           f_detach, f_kill};

static GdbStub *stub;

static int setup(void **state)
{
    nsent = 0;
    sent[0] = 0;
    nresume = ninterrupt = ndetach = nkill = 0;
    memset(mem, 0, sizeof(mem));
    gdb_bp_clear();
    GdbStop st = {.tid = 1, .sig = 5};
    stub = gdb_stub_new(&ops, NULL, &st);
    return stub ? 0 : -1;
}

static int teardown(void **state)
{
    gdb_stub_free(stub);
    return 0;
}

/* "$body#cs" (a static buffer). */
static const char *framed(const char *body)
{
    static char buf[0x6000];
    unsigned sum = 0;
    for (const char *p = body; *p; p++) sum = (sum + (uint8_t)*p) & 0xff;
    snprintf(buf, sizeof(buf), "$%s#%02x", body, sum);
    return buf;
}

/* Sends body framed with its checksum. */
static void put(const char *body)
{
    const char *f = framed(body);
    gdb_stub_input(stub, (const uint8_t *)f, strlen(f));
}

/* The reply expected after an ack: "+$body#cs". */
static void expect(const char *body)
{
    char buf[4096];
    unsigned sum = 0;
    for (const char *p = body; *p; p++) sum = (sum + (uint8_t)*p) & 0xff;
    snprintf(buf, sizeof(buf), "+$%s#%02x", body, sum);
    assert_string_equal(sent, buf);
    nsent = 0;
    sent[0] = 0;
}

static void test_framing(void **state)
{
    put("?");
    expect("T05thread:1;");
    /* A bad checksum is NAKed and not acted on. */
    gdb_stub_input(stub, (const uint8_t *)"$?#00", 5);
    assert_string_equal(sent, "-");
    nsent = 0;
    /* Non-hex checksum digits too. */
    gdb_stub_input(stub, (const uint8_t *)"$?#zz", 5);
    assert_string_equal(sent, "-");
    nsent = 0;
    /* A NAK from gdb resends the last packet. */
    put("?");
    nsent = 0;
    gdb_stub_input(stub, (const uint8_t *)"-", 1);
    assert_string_equal(sent, framed("T05thread:1;"));
    nsent = 0;
    /* Noise and acks between packets are ignored; a packet split across reads works. */
    gdb_stub_input(stub, (const uint8_t *)"+xyz$q", 6);
    gdb_stub_input(stub, (const uint8_t *)"C#b4", 4);
    expect("QC1");
    /* A packet restarted by '$' drops the cut one. */
    gdb_stub_input(stub, (const uint8_t *)"$gar$?#3f", 9);
    expect("T05thread:1;");
}

static void test_bad_packets(void **state)
{
    put("");
    expect("");
    put("Jabberwocky");
    expect("");
    put("m10zz,4");
    expect("E16");
    put("mffffffffffffffffff,4"); /* more than 16 hex digits */
    expect("E16");
    put("M1000,4:0011");           /* fewer bytes than said */
    expect("E16");
    put("p");
    expect("E16");
    put("P1=zz");
    expect("E16");
    put("Hx1");
    expect("E16");
    put("Hg9");                    /* no such thread */
    expect("E16");
    put("Z9,1000,4");
    expect("");
    put("Z0,1000");
    expect("E16");
    put("vCont;x");
    expect("E16");
    put("qXfer:features:read:other.xml:0,10");
    expect("E02");
    /* Too long: acknowledged, then an error reply, never a crash. */
    static char big[0x5000];
    memset(big, 'a', sizeof(big) - 1);
    put(big);
    expect("E07");
    /* An escape with nothing after it. */
    put("X1000,1:}");
    expect("E16");
    assert_int_equal(nresume, 0);
}

static void test_registers(void **state)
{
    put("g");
    expect("8877665544332211" "0000000000000000" "efbeadde00000000");
    put("p2");
    expect("efbeadde00000000");
    put("P1=0100000000000000");
    expect("OK");
    assert_int_equal(regs[1], 1);
    put("G" "0000000000000000" "0200000000000000" "efbeadde00000000");
    expect("OK");
    assert_int_equal(regs[0], 0);
    assert_int_equal(regs[1], 2);
    put("G00");
    expect("E16");
    put("p7");
    expect("E16");
}

static void test_memory(void **state)
{
    put("M1000,4:01020304");
    expect("OK");
    put("m1000,6");
    expect("010203040000");
    /* A read running off the end gives what is there. */
    put("m103e,4");
    expect("0000");
    put("m2000,4");
    expect("E0e");
    /* X: binary with escapes ('}' then c ^ 0x20): bytes # $ } * 0x03. */
    const uint8_t x[] = "$X1000,5:}\x03}\x04}]}\x0a\x03#";
    unsigned sum = 0;
    for (size_t i = 1; i < sizeof(x) - 2; i++) sum = (sum + x[i]) & 0xff;
    char framed[64];
    memcpy(framed, x, sizeof(x) - 1);
    snprintf(framed + sizeof(x) - 1, 4, "%02x", sum);
    gdb_stub_input(stub, (const uint8_t *)framed, sizeof(x) - 1 + 2);
    expect("OK");
    assert_memory_equal(mem, "#$}*\x03", 5);
    put("X1000,0:");
    expect("OK");
}

static void test_queries(void **state)
{
    put("qSupported:multiprocess+;swbreak+;xmlRegisters=i386");
    assert_non_null(strstr(sent, "PacketSize=4000"));
    assert_non_null(strstr(sent, "qXfer:features:read+"));
    nsent = 0;
    /* The XML is binary data: $ # } * escaped. */
    put("qXfer:features:read:target.xml:0,1000");
    expect("l<target>}\x04}\x03}]}\x0a</target>");
    put("qXfer:features:read:target.xml:0,4");
    expect("m<tar");
    put("qXfer:features:read:target.xml:100,4");
    expect("l");
    put("qfThreadInfo");
    expect("m1,2");
    put("qsThreadInfo");
    expect("l");
    put("qAttached");
    expect("1");
    put("T2");
    expect("OK");
    put("T3");
    expect("E02");
    put("Hg2");
    expect("OK");
    put("qC");
    expect("QC2");
    put("vCont?");
    expect("vCont;c;C;s;S;t");
    put("vMustReplyEmpty");
    expect("");
    put("QStartNoAckMode");
    expect("OK");
    put("?"); /* no ack any more; the stop names the thread that stopped */
    assert_string_equal(sent, framed("T05thread:1;"));
}

/* gdb's numbering differs from Linux's for many signals (RSP "Stop Reply
 * Packets": gdb's signals.def). */
static void test_signal_numbers(void **state)
{
    static const int pairs[][2] = {{2, 2},   {5, 5},   {7, 10},  {10, 30}, {11, 11}, {12, 31},
                                   {17, 20}, {19, 17}, {23, 16}, {29, 23}, {30, 32}, {31, 12},
                                   {32, 77}, {33, 45}, {63, 75}, {64, 78}};
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        assert_int_equal(gdb_sig_from_linux(pairs[i][0]), pairs[i][1]);
        assert_int_equal(gdb_sig_to_linux(pairs[i][1]), pairs[i][0]);
    }
    for (int sig = 1; sig <= 64; sig++) /* every one that has a gdb number maps back */
        if (gdb_sig_from_linux(sig)) assert_int_equal(gdb_sig_to_linux(gdb_sig_from_linux(sig)), sig);
    assert_int_equal(gdb_sig_from_linux(16), 0); /* SIGSTKFLT: gdb has none */
    assert_int_equal(gdb_sig_to_linux(7), 0);    /* SIGEMT: Linux has none */
    assert_int_equal(gdb_sig_to_linux(0), 0);
}

static void test_resume_and_stop(void **state)
{
    put("qSupported:swbreak+");
    nsent = 0;
    put("vCont;s:2;c");
    assert_string_equal(sent, "+");
    nsent = 0;
    assert_int_equal(nresume, 1);
    assert_int_equal(last_act[0], GDB_ACT_CONT);
    assert_int_equal(last_act[1], GDB_ACT_STEP);
    assert_true(gdb_stub_running(stub));
    /* While running: Ctrl-C reaches the target; commands get an error. */
    gdb_stub_input(stub, (const uint8_t *)"\x03", 1);
    assert_int_equal(ninterrupt, 1);
    put("g");
    expect("E10");
    GdbStop st = {.tid = 2, .sig = 5, .reason = CPU_STOP_BREAK, .type = GDB_BP_SW};
    gdb_stub_stopped(stub, &st);
    assert_string_equal(sent, framed("T05thread:2;swbreak:;"));
    nsent = 0;
    assert_false(gdb_stub_running(stub));
    /* A second stop while stopped sends nothing. */
    gdb_stub_stopped(stub, &st);
    assert_int_equal(nsent, 0);
    /* Legacy s: only the Hc thread steps. */
    put("Hc1");
    expect("OK");
    put("s");
    assert_int_equal(last_act[0], GDB_ACT_STEP);
    assert_int_equal(last_act[1], GDB_ACT_STOP);
    nsent = 0;
    GdbStop w = {.tid = 1, .sig = 5, .reason = CPU_STOP_WATCH, .type = GDB_WP_ACCESS, .addr = 0x1008};
    gdb_stub_stopped(stub, &w);
    assert_string_equal(sent, framed("T05thread:1;awatch:1008;"));
    nsent = 0;
    put("c");
    assert_int_equal(last_act[0], GDB_ACT_CONT);
    assert_int_equal(last_act[1], GDB_ACT_CONT);
    assert_int_equal(last_sig[0], 0);
    nsent = 0;
    /* A signal report, then the signal gdb passes back (gdb's numbering). */
    GdbStop sg = {.tid = 1, .sig = 11};
    gdb_stub_stopped(stub, &sg);
    assert_string_equal(sent, framed("T0bthread:1;"));
    nsent = 0;
    put("vCont;C0b:1;c");
    assert_int_equal(last_act[0], GDB_ACT_CONT);
    assert_int_equal(last_sig[0], 11);
    assert_int_equal(last_sig[1], 0);
    gdb_stub_stopped(stub, &sg);
    nsent = 0;
    put("C1e");
    assert_int_equal(last_sig[0], 30);
    gdb_stub_stopped(stub, &sg);
    nsent = 0;
    put("C100"); /* not a signal number */
    expect("E16");
    /* Scheduler locking: thread 2 takes no action and stays stopped. */
    put("vCont;s:1");
    assert_int_equal(last_act[0], GDB_ACT_STEP);
    assert_int_equal(last_act[1], GDB_ACT_STOP);
    gdb_stub_stopped(stub, &sg);
    nsent = 0;
    put("vCont;c:2");
    assert_int_equal(last_act[0], GDB_ACT_STOP);
    assert_int_equal(last_act[1], GDB_ACT_CONT);
    nsent = 0;
    GdbStop k = {.exited = true, .killed_by = 11};
    gdb_stub_stopped(stub, &k);
    assert_string_equal(sent, framed("X0b"));
    gdb_stub_stopped(stub, &sg);
    put("c");
    nsent = 0;
    GdbStop e = {.exited = true, .code = 3};
    gdb_stub_stopped(stub, &e);
    assert_string_equal(sent, framed("W03"));
    nsent = 0;
    put("D");
    expect("OK");
    assert_int_equal(ndetach, 1);
    assert_true(gdb_stub_done(stub));
}

static void test_points(void **state)
{
    put("Z0,1000,2");
    expect("OK");
    put("Z0,1000,2"); /* twice: still OK */
    expect("OK");
    put("Z3,1000,4"); /* the fake target refuses read watchpoints */
    expect("");
    put("Z2,2000,4");
    expect("OK");
    put("Z4,3000,8");
    expect("OK");
    assert_int_equal(gdb_bp_at(0x1000), GDB_BP_SW);
    assert_int_equal(gdb_bp_at(0x1002), -1);
    assert_int_equal(gdb_wp_kinds(0x2000, 0x1000), 2);
    assert_int_equal(gdb_wp_kinds(0x3000, 0x1000), 3);
    assert_int_equal(gdb_wp_kinds(0x2004, 4), 0);
    assert_int_equal(gdb_wp_match(0x2003, 2, MEM_WRITE), GDB_WP_WRITE);
    assert_int_equal(gdb_wp_match(0x2003, 2, MEM_READ), -1);
    assert_int_equal(gdb_wp_match(0x3007, 1, MEM_READ), GDB_WP_ACCESS);
    /* The signature ignores order and sees changes. */
    uint64_t s1 = gdb_points_sig(false), w1 = gdb_points_sig(true);
    assert_int_equal(gdb_bp_insert(GDB_BP_HW, 0x5000, 1), 0);
    assert_true(gdb_points_sig(false) != s1);
    assert_int_equal(gdb_bp_remove(GDB_BP_SW, 0x1000, 1), 0);
    assert_int_equal(gdb_bp_insert(GDB_BP_SW, 0x1000, 1), 0);
    assert_int_equal(gdb_bp_remove(GDB_BP_HW, 0x5000, 1), 0);
    assert_int_equal(gdb_points_sig(false), s1);
    assert_int_equal(gdb_points_sig(true), w1);
    put("z0,1000,2");
    expect("OK");
    assert_int_equal(gdb_bp_at(0x1000), -1);
    put("z0,1000,2"); /* not there */
    expect("E02");
    /* Bad watchpoint lengths are refused. */
    assert_int_equal(gdb_bp_insert(GDB_WP_WRITE, 0x10, 0), -EINVAL);
    assert_int_equal(gdb_bp_insert(GDB_WP_WRITE, 0x10, 9), -EINVAL);
    /* The glue's view (gdb_point_set): a point inserted twice or removed
     * when absent is fine; a watchpoint's kind is its length, a
     * breakpoint's kind (instruction size) is not kept. */
    assert_int_equal(gdb_point_set(true, GDB_BP_SW, 0x7000, 4), 0);
    assert_int_equal(gdb_point_set(true, GDB_BP_SW, 0x7000, 2), 0);
    assert_int_equal(gdb_bp_at(0x7000), GDB_BP_SW);
    assert_int_equal(gdb_point_set(false, GDB_BP_SW, 0x7000, 4), 0);
    assert_int_equal(gdb_bp_at(0x7000), -1);
    assert_int_equal(gdb_point_set(false, GDB_BP_SW, 0x7000, 4), 0);
    assert_int_equal(gdb_point_set(true, GDB_WP_WRITE, 0x8000, 4), 0);
    assert_int_equal(gdb_wp_match(0x8003, 1, MEM_WRITE), GDB_WP_WRITE);
    assert_int_equal(gdb_wp_match(0x8004, 1, MEM_WRITE), -1);
    assert_int_equal(gdb_point_set(false, GDB_WP_WRITE, 0x8000, 4), 0);
    assert_int_equal(gdb_wp_match(0x8003, 1, MEM_WRITE), -1);
    assert_int_equal(gdb_point_set(true, GDB_WP_WRITE, 0x10, 9), -EINVAL);
    for (int i = 0; i < GDB_MAX_BP; i++) gdb_bp_insert(GDB_BP_SW, 0x10000 + 2 * (uint64_t)i, 1);
    assert_int_equal(gdb_bp_insert(GDB_BP_SW, 0x90000, 1), -ENOSPC);
}

static void test_kill(void **state)
{
    put("k");
    assert_int_equal(nkill, 1);
    assert_true(gdb_stub_done(stub));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_packets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill, setup, teardown),
        cmocka_unit_test(test_signal_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
