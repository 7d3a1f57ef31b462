/* SPDX-License-Identifier: MIT */
/* Bare-metal: PMP (privileged spec 3.7): TOR, NA4 and NAPOT entries checked for
 * S and U accesses, the lowest-numbered match winning, locked entries binding
 * M-mode and refusing writes. */
#include "bm.h"

static volatile uint64_t area[1024] __attribute__((aligned(4096)));

static uint64_t rd(uint64_t a) { return *(volatile uint64_t *)a; }
static uint64_t wr(uint64_t a)
{
    *(volatile uint64_t *)a = 1;
    return 0;
}

int main(void)
{
    uint64_t a = (uintptr_t)area;
    area[0] = 77;
    /* entry 0: NAPOT 4 KiB over area, read-only */
    csrw(pmpaddr0, (a >> 2) | 0x1ff);
    csrw(pmpcfg0, 0x18 | 0x1);
    bm_reset_trap();
    CHECK(run_lower(1, rd, a) == 77 && trap.count == 0, 1);
    run_lower(1, wr, a);
    CHECK(trap.cause == 7 && trap.tval == a, 2);
    run_lower(0, wr, a + 8);
    CHECK(trap.cause == 7 && trap.tval == a + 8, 3);
    /* M is not bound by an unlocked entry */
    area[1] = 5;
    CHECK(area[1] == 5, 4);
    /* TOR: entry 1 = [a+0x1000, a+0x2000) no access; the bottom is pmpaddr0 */
    csrw(pmpcfg0, 0);
    csrw(pmpaddr0, (a + 0x1000) >> 2);
    csrw(pmpaddr1, (a + 0x2000) >> 2);
    csrw(pmpcfg0, (uint64_t)0x08 << 8);
    bm_reset_trap();
    run_lower(1, rd, a + 0x1800);
    CHECK(trap.cause == 5, 5);
    bm_reset_trap();
    CHECK(run_lower(1, rd, a) == 77 && trap.count == 0, 6);
    /* NA4 inside a page: only those 4 bytes are refused */
    csrw(pmpcfg0, 0);
    csrw(pmpaddr0, (a + 0x10) >> 2);
    csrw(pmpcfg0, 0x10);
    bm_reset_trap();
    (void)run_lower(1, rd, a + 0x18);
    CHECK(trap.count == 0, 7);
    run_lower(1, wr, a + 0x10);
    CHECK(trap.cause == 7, 8);
    /* locked NAPOT read-only: binds M, and cannot be rewritten */
    csrw(pmpcfg0, 0);
    csrw(pmpaddr0, ((a + 0x3000) >> 2) | 0x1ff);
    csrw(pmpcfg0, 0x80 | 0x18 | 0x1);
    bm_reset_trap();
    *(volatile uint64_t *)(a + 0x3000) = 9;
    CHECK(trap.cause == 7 && trap.mode == 3, 9);
    csrw(pmpcfg0, 0x1f);
    CHECK((csrr(pmpcfg0) & 0xff) == 0x99, 10);
    csrw(pmpaddr0, 0);
    CHECK(csrr(pmpaddr0) == (((a + 0x3000) >> 2) | 0x1ff), 11);
    return 0;
}
