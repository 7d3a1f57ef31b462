/* SPDX-License-Identifier: MIT */
/* Bare-metal: synchronous traps and CSR rules (privileged spec 3.1.15, 3.3.1):
 * illegal instruction tval, ebreak, ecall from U/S/M, misaligned AMO, access
 * faults, medeleg to S with sret, mret to U/S, CSR privilege and counter
 * enables, mstatus.FS (Off = FP illegal, writes make it Dirty). */
#include "bm.h"

static uint64_t do_ecall(uint64_t x)
{
    register uint64_t a7 __asm__("a7") = 1;
    __asm__ volatile("ecall" : "+r"(a7)::"memory");
    return x + 1;
}

static uint64_t read_mstatus(uint64_t x)
{
    (void)x;
    return csrr(mstatus);
}

static uint64_t read_time(uint64_t x)
{
    (void)x;
    return csrr(time);
}

static uint64_t illegal_in_s(uint64_t x)
{
    __asm__ volatile(".word 0x00000000"); /* defined illegal (all zeros) */
    return x;
}

static uint64_t get_priv_marker(uint64_t x) { return x * 2; }

int main(void)
{
    /* illegal instruction: cause 2, tval = the encoding */
    bm_reset_trap();
    __asm__ volatile(".word 0xffffffff");
    CHECK(trap.count == 1 && trap.cause == 2 && trap.tval == 0xffffffff, 1);
    /* an unknown CSR is illegal too */
    bm_reset_trap();
    __asm__ volatile("csrr t0, 0x7ff" ::: "t0");
    CHECK(trap.cause == 2 && trap.tval == 0x7ff022f3, 2);
    /* ebreak: cause 3 */
    bm_reset_trap();
    __asm__ volatile("ebreak");
    CHECK(trap.cause == 3, 3);
    /* ecall from M: 11, epc = the ecall */
    bm_reset_trap();
    do_ecall(0);
    CHECK(trap.cause == 11 && trap.mode == 3, 4);
    /* ecall from S and U: 9 and 8; run_lower returns fn's value */
    bm_reset_trap();
    CHECK(run_lower(1, do_ecall, 41) == 42, 5);
    CHECK(trap.cause == 9, 6);
    bm_reset_trap();
    CHECK(run_lower(0, do_ecall, 1) == 2 && trap.cause == 8, 7);
    CHECK(run_lower(1, get_priv_marker, 21) == 42, 8);
    /* misaligned loads/stores are done in hardware; AMOs trap (cause 6) */
    static volatile uint64_t buf[4];
    buf[0] = 0x8877665544332211ull;
    buf[1] = 0xffeeddccbbaa9988ull;
    bm_reset_trap();
    uint64_t v = *(volatile uint64_t *)((uintptr_t)buf + 3);
    CHECK(trap.count == 0 && v == 0xaa99888877665544ull, 9);
    uint64_t addr = (uintptr_t)buf + 4;
    __asm__ volatile("amoadd.d zero, %1, (%0)" ::"r"(addr), "r"(1ull) : "memory");
    CHECK(trap.cause == 6 && trap.tval == addr, 10);
    /* load/store access faults: nothing at physical 0x0 or 0x4000_0000 */
    bm_reset_trap();
    (void)*(volatile uint32_t *)0x40000000ull;
    CHECK(trap.cause == 5 && trap.tval == 0x40000000ull, 11);
    *(volatile uint32_t *)0x40000000ull = 1;
    CHECK(trap.cause == 7, 12);
    /* S reading an M CSR: illegal, taken in M (not delegated) */
    bm_reset_trap();
    run_lower(1, read_mstatus, 0);
    CHECK(trap.cause == 2 && trap.mode == 3, 13);
    /* medeleg: illegal instructions in S go to stvec, sret comes back */
    csrw(stvec, (uintptr_t)s_trap_entry);
    csrw(medeleg, 1u << 2);
    bm_reset_trap();
    CHECK(run_lower(1, illegal_in_s, 7) == 7, 14);
    CHECK(trap.cause == 2 && trap.mode == 1 && trap.tval == 0, 15);
    csrw(medeleg, 0);
    /* counters: time from S needs mcounteren.TM, from U also scounteren.TM */
    csrw(mcounteren, 0);
    bm_reset_trap();
    run_lower(1, read_time, 0);
    CHECK(trap.cause == 2, 16);
    csrw(mcounteren, 2);
    bm_reset_trap();
    uint64_t t = run_lower(1, read_time, 0);
    CHECK(trap.count == 0 && t != 0, 17);
    run_lower(0, read_time, 0);
    CHECK(trap.cause == 2, 18);
    csrw(scounteren, 2);
    bm_reset_trap();
    run_lower(0, read_time, 0);
    CHECK(trap.count == 0, 19);
    /* FS: Off makes FP illegal; a write makes it Dirty and sets SD */
    csrc(mstatus, MSTATUS_FS);
    bm_reset_trap();
    __asm__ volatile("fmv.d.x f1, zero");
    CHECK(trap.cause == 2, 20);
    csrs(mstatus, 1ull << 13); /* Initial */
    bm_reset_trap();
    __asm__ volatile("fmv.d.x f1, zero");
    CHECK(trap.count == 0, 21);
    CHECK((csrr(mstatus) & MSTATUS_FS) == MSTATUS_FS && (csrr(mstatus) & MSTATUS_SD), 22);
    /* misa: RV64 with I M A F D C S U */
    uint64_t misa = csrr(misa);
    CHECK((misa >> 62) == 2 && (misa & 0x14112d) == 0x14112d, 23);
    /* mepc ignores bit 0; mtvec keeps direct/vectored mode */
    csrw(mepc, 0x80000003ull);
    CHECK(csrr(mepc) == 0x80000002ull, 24);
    return 0;
}
