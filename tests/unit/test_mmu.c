/* SPDX-License-Identifier: MIT */
/* Unit tests of the RISC-V page-table walker (rv_tlb_fill): Sv39/48/57, superpages,
 * A/D updates, U/SUM/MXR, reserved bits, fault causes and tval, PMP on the walk
 * and the final address. Page tables are built by hand in a fake PhysMap's RAM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rv_sys_fixture.h"


/* -- Page tables ------------------------------------------------------------------ */

/* The spec's bit numbers written out again, independent of rv_priv.h. */
#define T_PTE_V 1ull
#define T_PTE_R 2ull
#define T_PTE_W 4ull
#define T_PTE_X 8ull
#define T_PTE_U 16ull
#define T_PTE_G 32ull
#define T_PTE_A 64ull
#define T_PTE_D 128ull
#define RWX (T_PTE_R | T_PTE_W | T_PTE_X)

static uint64_t next_table;

static uint64_t new_table(void)
{
    uint64_t pa = next_table;
    next_table += 0x1000;
    memset(fx.ram + (pa - FX_RAM_BASE), 0, 0x1000);
    return pa;
}

static uint64_t pte(uint64_t pa, uint64_t flags)
{
    return (pa >> 12) << 10 | flags;
}

/* Maps va -> pa with a leaf at `level` (0 = 4 KiB) in a tree of `levels`. */
static uint64_t *map(uint64_t root, unsigned levels, uint64_t va, uint64_t pa, unsigned level,
                     uint64_t flags)
{
    uint64_t table = root;
    for (int l = (int)levels - 1; l > (int)level; l--) {
        uint64_t *e = fx_ram64(table + ((va >> (12 + 9 * l)) & 0x1ff) * 8);
        if (!(*e & T_PTE_V)) *e = pte(new_table(), T_PTE_V);
        table = ((*e >> 10) << 12);
    }
    uint64_t *leaf = fx_ram64(table + ((va >> (12 + 9 * level)) & 0x1ff) * 8);
    *leaf = pte(pa, flags | T_PTE_V);
    return leaf;
}

static uint64_t root;

static void use_mode(unsigned mode, unsigned levels)
{
    (void)levels;
    next_table = FX_RAM_BASE + 0x100000;
    root = new_table();
    fx.rv->satp = (uint64_t)mode << 60 | (root >> 12);
    fx_pmp_allow_all();
}

static int fill(uint64_t va, MemAccess acc, unsigned idx, TlbFill *f, uint64_t *tval)
{
    memset(f, 0, sizeof(*f));
    *tval = 0;
    return rv_tlb_fill(fx.cpu, va, acc, idx, f, tval);
}

#define EXC(c) (EXCP_ARCH_BASE + (c))
#define S RV_PRV_S
#define U RV_PRV_U

static int setup(void **state) { (void)state; fx_setup(); return 0; }
static int teardown(void **state) { (void)state; fx_teardown(); return 0; }

/* -- Tests -------------------------------------------------------------------------- */

static void test_bare_m(void **state)
{
    TlbFill f;
    uint64_t tval;
    assert_int_equal(fill(0x80001234, MEM_READ, RV_PRV_M, &f, &tval), 0);
    assert_int_equal(f.pa, 0x80001234);
    assert_int_equal(f.page_shift, 12);
    assert_int_equal(f.prot, TLB_PROT_READ | TLB_PROT_WRITE | TLB_PROT_EXEC);
    /* satp is ignored in M-mode */
    use_mode(SATP_SV39, 3);
    assert_int_equal(fill(0x80001234, MEM_WRITE, RV_PRV_M, &f, &tval), 0);
    assert_int_equal(f.pa, 0x80001234);
}

static void test_sv39_4k(void **state)
{
    TlbFill f;
    uint64_t tval;
    use_mode(SATP_SV39, 3);
    map(root, 3, 0x40000000, 0x80200000, 0, RWX | T_PTE_A | T_PTE_D);
    assert_int_equal(fill(0x40000abc, MEM_READ, S, &f, &tval), 0);
    assert_int_equal(f.pa, 0x80200abc);
    assert_int_equal(f.page_shift, 12);
    assert_int_equal(f.prot, TLB_PROT_READ | TLB_PROT_WRITE | TLB_PROT_EXEC);
    /* unmapped neighbour: page faults with the right cause and tval = va */
    assert_int_equal(fill(0x40001008, MEM_READ, S, &f, &tval), EXC(RV_EXC_LOAD_PAGE));
    assert_int_equal(tval, 0x40001008);
    assert_int_equal(fill(0x40001008, MEM_WRITE, S, &f, &tval), EXC(RV_EXC_STORE_PAGE));
    assert_int_equal(fill(0x40001008, MEM_EXEC, S, &f, &tval), EXC(RV_EXC_INSN_PAGE));
    assert_int_equal(tval, 0x40001008);
}

static void test_sv39_superpages(void **state)
{
    TlbFill f;
    uint64_t tval;
    use_mode(SATP_SV39, 3);
    map(root, 3, 0xc0000000, 0x80000000, 2, RWX | T_PTE_A | T_PTE_D);  /* 1 GiB */
    map(root, 3, 0x00200000, 0x80400000, 1, T_PTE_R | T_PTE_A);        /* 2 MiB */
    assert_int_equal(fill(0xc0123456, MEM_READ, S, &f, &tval), 0);
    assert_int_equal(f.pa, 0x80123456);
    assert_int_equal(f.page_shift, 30);
    assert_int_equal(fill(0x002fff00, MEM_READ, S, &f, &tval), 0);
    assert_int_equal(f.pa, 0x804fff00);
    assert_int_equal(f.page_shift, 21);
    assert_int_equal(f.prot, TLB_PROT_READ);
    assert_int_equal(fill(0x002fff00, MEM_WRITE, S, &f, &tval), EXC(RV_EXC_STORE_PAGE));
    /* misaligned superpage: PPN[0] of a megapage must be 0 */
    map(root, 3, 0x00400000, 0x80401000, 1, T_PTE_R | T_PTE_A);
    assert_int_equal(fill(0x00400010, MEM_READ, S, &f, &tval), EXC(RV_EXC_LOAD_PAGE));
    assert_int_equal(tval, 0x00400010);
}

static void test_sv48_sv57(void **state)
{
    TlbFill f;
    uint64_t tval;
    use_mode(SATP_SV48, 4);
    map(root, 4, 0x7f0000001000ull, 0x80300000, 0, T_PTE_R | T_PTE_A);
    assert_int_equal(fill(0x7f0000001010ull, MEM_READ, S, &f, &tval), 0);
    assert_int_equal(f.pa, 0x80300010);
    /* 512 GiB leaf at level 3 */
    map(root, 4, 0x008000000000ull, 0x0, 3, T_PTE_R | T_PTE_A);
    assert_int_equal(fill(0x008080001000ull, MEM_READ, S, &f, &tval), 0);
    assert_int_equal(f.pa, 0x80001000);
    assert_int_equal(f.page_shift, 39);
    /* Sv48 needs bits 63:47 equal to bit 47 */
    assert_int_equal(fill(0x0000800000000000ull, MEM_READ, S, &f, &tval), EXC(RV_EXC_LOAD_PAGE));
    use_mode(SATP_SV57, 5);
    map(root, 5, 0x00ff000000002000ull, 0x80302000, 0, T_PTE_X | T_PTE_R | T_PTE_A);
    assert_int_equal(fill(0x00ff000000002ffeull, MEM_EXEC, S, &f, &tval), 0);
    assert_int_equal(f.pa, 0x80302ffe);
    /* a non-canonical Sv39 address */
    use_mode(SATP_SV39, 3);
    assert_int_equal(fill(0x0000004000000000ull, MEM_EXEC, S, &f, &tval), EXC(RV_EXC_INSN_PAGE));
    assert_int_equal(tval, 0x0000004000000000ull);
}

static void test_ad_bits(void **state)
{
    TlbFill f;
    uint64_t tval;
    use_mode(SATP_SV39, 3);
    uint64_t *leaf = map(root, 3, 0x10000000, 0x80500000, 0, T_PTE_R | T_PTE_W);
    assert_int_equal(fill(0x10000000, MEM_READ, S, &f, &tval), 0);
    assert_true(*leaf & T_PTE_A);
    assert_false(*leaf & T_PTE_D);
    /* not dirty yet: the fill grants no write, so the first store walks again */
    assert_int_equal(f.prot, TLB_PROT_READ);
    assert_int_equal(fill(0x10000000, MEM_WRITE, S, &f, &tval), 0);
    assert_true(*leaf & T_PTE_D);
    assert_int_equal(f.prot, TLB_PROT_READ | TLB_PROT_WRITE);
}

static void test_u_sum_mxr(void **state)
{
    TlbFill f;
    uint64_t tval;
    use_mode(SATP_SV39, 3);
    map(root, 3, 0x20000000, 0x80600000, 0, RWX | T_PTE_U | T_PTE_A | T_PTE_D);
    map(root, 3, 0x20001000, 0x80601000, 0, RWX | T_PTE_A | T_PTE_D);
    map(root, 3, 0x20002000, 0x80602000, 0, T_PTE_X | T_PTE_A);
    /* U reaches U pages only */
    assert_int_equal(fill(0x20000000, MEM_WRITE, U, &f, &tval), 0);
    assert_int_equal(fill(0x20001000, MEM_READ, U, &f, &tval), EXC(RV_EXC_LOAD_PAGE));
    assert_int_equal(fill(0x20001000, MEM_EXEC, U, &f, &tval), EXC(RV_EXC_INSN_PAGE));
    /* S touches U data only with SUM, and never executes U pages */
    assert_int_equal(fill(0x20000000, MEM_READ, S, &f, &tval), EXC(RV_EXC_LOAD_PAGE));
    assert_int_equal(fill(0x20000000, MEM_READ, S | RV_IDX_SUM, &f, &tval), 0);
    assert_int_equal(fill(0x20000000, MEM_WRITE, S | RV_IDX_SUM, &f, &tval), 0);
    assert_int_equal(fill(0x20000000, MEM_EXEC, S | RV_IDX_SUM, &f, &tval), EXC(RV_EXC_INSN_PAGE));
    /* MXR: execute-only pages become readable */
    assert_int_equal(fill(0x20002000, MEM_READ, S, &f, &tval), EXC(RV_EXC_LOAD_PAGE));
    assert_int_equal(fill(0x20002000, MEM_READ, S | RV_IDX_MXR, &f, &tval), 0);
    assert_int_equal(fill(0x20002000, MEM_EXEC, S, &f, &tval), 0);
}

static void test_reserved_bits(void **state)
{
    TlbFill f;
    uint64_t tval;
    use_mode(SATP_SV39, 3);
    uint64_t *leaf = map(root, 3, 0x30000000, 0x80700000, 0, RWX | T_PTE_A | T_PTE_D);
    assert_int_equal(fill(0x30000000, MEM_READ, S, &f, &tval), 0);
    *leaf |= 1ull << 61; /* PBMT without Svpbmt */
    assert_int_equal(fill(0x30000000, MEM_READ, S, &f, &tval), EXC(RV_EXC_LOAD_PAGE));
    *leaf = pte(0x80700000, T_PTE_V | T_PTE_W | T_PTE_A | T_PTE_D); /* W without R */
    assert_int_equal(fill(0x30000000, MEM_WRITE, S, &f, &tval), EXC(RV_EXC_STORE_PAGE));
    *leaf = pte(0x80700000, RWX | T_PTE_A | T_PTE_D); /* V = 0 */
    assert_int_equal(fill(0x30000000, MEM_WRITE, S, &f, &tval), EXC(RV_EXC_STORE_PAGE));
    assert_int_equal(tval, 0x30000000);
}

static void test_pmp(void **state)
{
    TlbFill f;
    uint64_t tval;
    RvCpu *rv = fx.rv;
    /* No entry configured: S/U fail, M succeeds (3.7.1) */
    assert_int_equal(fill(0x80000000, MEM_READ, S, &f, &tval), EXC(RV_EXC_LOAD_ACCESS));
    assert_int_equal(tval, 0x80000000);
    assert_int_equal(fill(0x80000000, MEM_READ, RV_PRV_M, &f, &tval), 0);
    /* TOR [0x80000000, 0x80100000) read-only for S, then NAPOT allow-all */
    rv_pmpaddr_write(rv, 0, 0x80000000 >> 2);
    rv_pmpaddr_write(rv, 1, 0x80100000 >> 2);
    rv_pmpaddr_write(rv, 2, (1ull << 54) - 1);
    rv_pmpcfg_write(rv, 0, (uint64_t)0x1f << 16 | (uint64_t)0x09 << 8 | 0x00);
    assert_int_equal(rv_pmp_prot(rv, 0x80000000, 8, S), 1);
    assert_int_equal(fill(0x80000010, MEM_READ, S, &f, &tval), 0);
    assert_int_equal(f.prot, TLB_PROT_READ);
    assert_int_equal(fill(0x80000010, MEM_WRITE, S, &f, &tval), EXC(RV_EXC_STORE_ACCESS));
    assert_int_equal(fill(0x80000010, MEM_EXEC, S, &f, &tval), EXC(RV_EXC_INSN_ACCESS));
    assert_int_equal(fill(0x80200010, MEM_WRITE, S, &f, &tval), 0);
    /* M ignores unlocked entries, obeys locked ones */
    assert_int_equal(fill(0x80000010, MEM_WRITE, RV_PRV_M, &f, &tval), 0);
    rv_pmpcfg_write(rv, 0, (uint64_t)0x1f << 16 | (uint64_t)0x89 << 8);
    assert_int_equal(fill(0x80000010, MEM_WRITE, RV_PRV_M, &f, &tval), EXC(RV_EXC_STORE_ACCESS));
    /* locked: cfg and addr writes are ignored, including the TOR base below */
    rv_pmpcfg_write(rv, 0, (uint64_t)0x1f << 16 | (uint64_t)0x0f << 8);
    assert_int_equal(rv->pmpcfg[1], 0x89);
    rv_pmpaddr_write(rv, 0, 0x1234);
    assert_int_equal(rv->pmpaddr[0], 0x80000000 >> 2);
    /* NA4 and a partial match inside a page: not cacheable */
    RvCpu *r2 = rv;
    memset(r2->pmpcfg, 0, sizeof(r2->pmpcfg));
    r2->pmpaddr[0] = 0x80000100 >> 2;
    r2->pmpcfg[0] = 0x10 | 0x1; /* NA4, R */
    r2->pmpaddr[1] = (1ull << 54) - 1;
    r2->pmpcfg[1] = 0x18 | 0x7;
    tlb_flush(fx.cpu); /* PMP set behind the CSRs' back takes effect with a flush */
    assert_int_equal(rv_pmp_prot(r2, 0x80000100, 4, S), 1);
    assert_int_equal(rv_pmp_prot(r2, 0x800000fe, 4, S), -1);
    assert_int_equal(fill(0x80000100, MEM_WRITE, S, &f, &tval), EXC(RV_EXC_STORE_ACCESS));
    assert_int_equal(fill(0x80000200, MEM_WRITE, S, &f, &tval), 0);
    assert_int_equal(f.page_shift, 0);
    /* page-table walks are checked too: a root in a no-access region */
    use_mode(SATP_SV39, 3);
    map(root, 3, 0x1000, 0x80800000, 0, RWX | T_PTE_A | T_PTE_D);
    r2->pmpaddr[0] = root >> 2;
    r2->pmpcfg[0] = 0x10; /* NA4, no rights, over the first root PTE */
    tlb_flush(fx.cpu);
    assert_int_equal(fill(0x1000, MEM_READ, S, &f, &tval), EXC(RV_EXC_LOAD_ACCESS));
    assert_int_equal(tval, 0x1000);
}

/* The walker's decoded PMP (mmu.c pmp_sync, page memo): CSR writes take effect
 * at once; direct writes (as a snapshot restore makes) with the TLB flush that
 * must follow them; a page split between entries is decided per access, on
 * the first and on later checks alike. */
static void test_pmp_cache(void **state)
{
    TlbFill f;
    uint64_t tval;
    RvCpu *rv = fx.rv;
    rv_pmpaddr_write(rv, 0, (1ull << 54) - 1);
    rv_pmpcfg_write(rv, 0, 0x1f); /* NAPOT over everything, RWX */
    assert_int_equal(fill(0x80000010, MEM_WRITE, S, &f, &tval), 0);
    rv_pmpcfg_write(rv, 0, 0x19); /* read-only: no flush needed to see it here */
    assert_int_equal(fill(0x80000010, MEM_WRITE, S, &f, &tval), EXC(RV_EXC_STORE_ACCESS));
    assert_int_equal(fill(0x80000010, MEM_READ, S, &f, &tval), 0);
    rv->pmpcfg[0] = 0x1f;
    tlb_flush(fx.cpu);
    assert_int_equal(fill(0x80000010, MEM_WRITE, S, &f, &tval), 0);
    rv->pmpcfg[0] = 0x18; /* no rights */
    tlb_flush(fx.cpu);
    assert_int_equal(fill(0x80000010, MEM_READ, S, &f, &tval), EXC(RV_EXC_LOAD_ACCESS));
    /* An NA4 hole without rights inside a page, everything else RWX. */
    rv->pmpaddr[0] = 0x80000100 >> 2;
    rv->pmpcfg[0] = 0x10;
    rv->pmpaddr[1] = (1ull << 54) - 1;
    rv->pmpcfg[1] = 0x1f;
    tlb_flush(fx.cpu);
    for (int rep = 0; rep < 2; rep++) {
        assert_int_equal(fill(0x80000100, MEM_READ, S, &f, &tval), EXC(RV_EXC_LOAD_ACCESS));
        assert_int_equal(fill(0x80000104, MEM_READ, S, &f, &tval), 0);
        assert_int_equal(f.page_shift, 0); /* decided for this address only */
        assert_int_equal(fill(0x80001104, MEM_READ, S, &f, &tval), 0);
        assert_int_equal(f.page_shift, 12);
        /* M: unlocked entries do not apply, in the same page */
        assert_int_equal(fill(0x80000100, MEM_READ, RV_PRV_M, &f, &tval), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bare_m, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sv39_4k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sv39_superpages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sv48_sv57, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ad_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_u_sum_mxr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pmp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pmp_cache, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
