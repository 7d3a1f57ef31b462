/* SPDX-License-Identifier: MIT */
/* Unit tests of the unified TLB and the system-mode MemOps: hits, misses,
 * flushes (page, superpage, ASID), statistics, page-crossing accesses, MMIO
 * dispatch, atomics, fetch, and code-page (self-modifying code) detection. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "rv_sys_fixture.h"


static int setup(void **state) { (void)state; fx_setup(); return 0; }
static int teardown(void **state) { (void)state; fx_teardown(); return 0; }

static Tlb *tlb(void) { return fx.cpu->tlb; }

/* Runs one soft-MMU access; returns the exception it raised (0 = none). */
static uint64_t val;
static int try_load(uint64_t va, unsigned mo)
{
    if (sigsetjmp(fx.cpu->jmp_env, 0)) return fx.cpu->exception;
    val = fx.cpu->mem->load(fx.cpu, va, mo);
    return 0;
}

static int try_store(uint64_t va, uint64_t v, unsigned mo)
{
    if (sigsetjmp(fx.cpu->jmp_env, 0)) return fx.cpu->exception;
    fx.cpu->mem->store(fx.cpu, va, v, mo);
    return 0;
}

#define MO_IDX(i) ((unsigned)(i) << IR_MO_IDX_SHIFT)
#define MIDX MO_IDX(RV_PRV_M)

static void test_hit_miss_stats(void **state)
{
    assert_ptr_equal(fx.cpu->mem, &tlb_softmmu_ops);
    assert_null(fx.cpu->guest_base);
    *fx_ram64(0x80001000) = 0x0123456789abcdefull;
    tlb()->stats = (TlbStats){0};
    assert_int_equal(try_load(0x80001000, 3 | MIDX), 0);
    assert_int_equal(val, 0x0123456789abcdefull);
    assert_int_equal(tlb()->stats.misses, 1);
    assert_int_equal(try_load(0x80001004, 2 | MIDX), 0);
    assert_int_equal(val, 0x01234567);
    assert_int_equal(tlb()->stats.hits, 1);
    /* other index: its own entry */
    fx_pmp_allow_all();
    assert_int_equal(try_load(0x80001000, 0 | MO_IDX(RV_PRV_S)), 0);
    assert_int_equal(tlb()->stats.misses, 2);
    tlb_flush(fx.cpu);
    assert_int_equal(try_load(0x80001000, 3 | MIDX), 0);
    assert_int_equal(tlb()->stats.misses, 3);
    assert_true(tlb()->stats.flushes >= 1);
    tlb_flush_page(fx.cpu, 0x80001000);
    assert_int_equal(try_load(0x80001000, 3 | MIDX), 0);
    assert_int_equal(tlb()->stats.misses, 4);
    /* the stats line */
    char buf[512];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    tlb_print_stats(fx.cpu, f);
    fclose(f);
    assert_non_null(strstr(buf, "hit rate"));
}

static void test_endian_sign_store(void **state)
{
    assert_int_equal(try_store(0x80002000, 0x1122334455667788ull, 3 | MIDX), 0);
    assert_int_equal(*fx_ram64(0x80002000), 0x1122334455667788ull);
    assert_int_equal(try_load(0x80002000, 1 | IR_MO_BE | MIDX), 0);
    assert_int_equal(val, 0x8877);
    assert_int_equal(try_store(0x80002000, 0xaabb, 1 | IR_MO_BE | MIDX), 0);
    assert_int_equal(fx.ram[0x2000], 0xaa);
    assert_int_equal(fx.ram[0x2001], 0xbb);
}

static void test_page_crossing(void **state)
{
    /* Sv39: two 4 KiB pages mapped far apart physically */
    fx_pmp_allow_all();
    uint64_t l2 = FX_RAM_BASE + 0x100000, l1 = l2 + 0x1000, l0 = l2 + 0x2000;
    memset(fx.ram + 0x100000, 0, 0x3000);
    *fx_ram64(l2) = (l1 >> 12) << 10 | 1;
    *fx_ram64(l1) = (l0 >> 12) << 10 | 1;
    *fx_ram64(l0 + 0 * 8) = (0x80005000ull >> 12) << 10 | 0xcf; /* va 0x0000 RWX AD V */
    *fx_ram64(l0 + 1 * 8) = (0x80009000ull >> 12) << 10 | 0xcf; /* va 0x1000 */
    fx.rv->satp = (uint64_t)SATP_SV39 << 60 | (l2 >> 12);
    tlb_flush(fx.cpu);
    unsigned S = MO_IDX(RV_PRV_S);
    memcpy(fx.ram + 0x5ffc, "\x01\x02\x03\x04", 4);
    memcpy(fx.ram + 0x9000, "\x05\x06\x07\x08", 4);
    assert_int_equal(try_load(0xffc, 3 | S), 0);
    assert_int_equal(val, 0x0807060504030201ull);
    assert_int_equal(try_store(0xffe, 0xa1b2c3d4, 2 | S), 0);
    assert_int_equal(fx.ram[0x5ffe], 0xd4);
    assert_int_equal(fx.ram[0x5fff], 0xc3);
    assert_int_equal(fx.ram[0x9000], 0xb2);
    assert_int_equal(fx.ram[0x9001], 0xa1);
    /* second page unmapped: fault with its address, nothing written */
    *fx_ram64(l0 + 1 * 8) = 0;
    tlb_flush(fx.cpu);
    fx.ram[0x5fff] = 0;
    assert_int_equal(try_store(0xffe, 0xffff, 2 | S), EXCP_ARCH_BASE + RV_EXC_STORE_PAGE);
    assert_int_equal(fx.cpu->fault_addr, 0x1000);
    assert_int_equal(fx.ram[0x5fff], 0);
    /* ALIGN: misaligned -> EXCP_BUS (the arch maps it to cause 4/6) */
    assert_int_equal(try_load(0x8, 3 | IR_MO_ALIGN | S), 0);
    assert_int_equal(try_load(0x4, 3 | IR_MO_ALIGN | S), EXCP_BUS);
    assert_int_equal(fx.cpu->fault_access, MEM_READ);
}

static void test_mmio(void **state)
{
    assert_int_equal(try_load(FX_MMIO_BASE + 0x10, 2 | MIDX), 0);
    assert_int_equal(val, (uint32_t)(0x1122334455667788ull + 0x10));
    assert_int_equal(fx.mmio_last_size, 4);
    assert_int_equal(try_store(FX_MMIO_BASE + 0x20, 0xbeef, 1 | MIDX), 0);
    assert_int_equal(fx.mmio_writes, 1);
    assert_int_equal(fx.mmio_last_off, 0x20);
    assert_int_equal(fx.mmio_last_val, 0xbeef);
    /* the entry is cached but every access still reaches the device */
    assert_int_equal(try_store(FX_MMIO_BASE + 0x20, 0xbeef, 1 | MIDX), 0);
    assert_int_equal(fx.mmio_writes, 2);
    /* nothing mapped: access fault (EXCP_SEGV, mapped to cause 5/7 by the arch) */
    assert_int_equal(try_load(0x20000000, 2 | MIDX), EXCP_SEGV);
    assert_int_equal(fx.cpu->fault_access, MEM_READ);
    assert_int_equal(fx.cpu->fault_addr, 0x20000000);
    /* atomics on MMIO are access faults; on RAM a host pointer */
    if (!sigsetjmp(fx.cpu->jmp_env, 0)) {
        void *p = fx.cpu->mem->atomic_ptr(fx.cpu, 0x80003000, 8);
        assert_ptr_equal(p, fx.ram + 0x3000);
        fx.cpu->mem->atomic_ptr(fx.cpu, FX_MMIO_BASE, 8);
        fail();
    }
    assert_int_equal(fx.cpu->exception, EXCP_SEGV);
    /* fetch from MMIO fails, from RAM works */
    uint8_t b[4];
    assert_int_equal(fx.cpu->mem->fetch(fx.cpu, FX_MMIO_BASE, b, 2), -EFAULT);
    assert_int_equal(fx.cpu->fault_access, MEM_EXEC);
    assert_int_equal(fx.cpu->mem->fetch(fx.cpu, 0x80000ffe, b, 4), 0);
}

static uint64_t inv_pa, inv_len;
static unsigned inv_calls;
static void record_inval(uint64_t pa, uint64_t len)
{
    inv_pa = pa;
    inv_len = len;
    inv_calls++;
}

static void test_smc_and_flushes(void **state)
{
    tlb_code_invalidate = record_inval;
    uint8_t b[4];
    assert_int_equal(fx.cpu->mem->fetch(fx.cpu, 0x80004010, b, 4), 0);
    assert_int_equal(try_store(0x80004800, 1, 2 | MIDX), 0);
    assert_int_equal(inv_calls, 1);
    assert_int_equal(inv_pa, 0x80004000);
    assert_int_equal(inv_len, 0x1000);
    /* the mark is cleared: a second store does not invalidate again */
    assert_int_equal(try_store(0x80004800, 1, 2 | MIDX), 0);
    assert_int_equal(inv_calls, 1);
    /* DMA through phys_write sees code pages too */
    assert_int_equal(fx.cpu->mem->fetch(fx.cpu, 0x80006000, b, 2), 0);
    assert_int_equal(phys_write(fx.pm, 0x80006100, "xy", 2), 0);
    assert_int_equal(inv_calls, 2);
    tlb_code_invalidate = NULL;

    /* superpage flush: a page flush inside a recorded superpage drops the index */
    Tlb *t = tlb();
    TlbEntry *e = &t->e[5][7];
    e->tag[0] = 0x40007000;
    t->used |= 1u << 5;
    t->lp_base[5] = 0x40000000;
    t->lp_mask[5] = ~((1ull << 30) - 1);
    tlb_flush_page(fx.cpu, 0x40123000);
    assert_true(e->tag[0] & TLB_F_INVALID);
    /* ASID flush keeps global entries */
    TlbEntry *g = &t->e[1][1], *n = &t->e[1][2];
    g->tag[0] = 0x1000; g->asid = 7; g->global = 1;
    n->tag[0] = 0x2000; n->asid = 7; n->global = 0;
    t->used |= 2;
    tlb_flush_asid(fx.cpu, 7);
    assert_int_equal(g->tag[0], 0x1000);
    assert_true(n->tag[0] & TLB_F_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hit_miss_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endian_sign_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_crossing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmio, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smc_and_flushes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
