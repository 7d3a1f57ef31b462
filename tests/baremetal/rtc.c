/* SPDX-License-Identifier: MIT */
/* Bare-metal: the goldfish RTC at 0x101000 (PLIC source 11), driven the way
 * Linux's rtc-goldfish driver drives it (registers as in the kernel's
 * include/clocksource/timer-goldfish.h): the 64-bit time read through the
 * TIME_LOW latch, the clock's rate against ACLINT mtime, setting the time,
 * and the alarm taken as an M-mode external interrupt through the PLIC.
 * Prints "rtc: time SECONDS" (the first read) for the script to compare with
 * the host's clock, and at the end "rtc: marker" then, 100 ms of guest time
 * later, "rtc: after SECONDS" (tests/integration/rtc.sh restores a snapshot
 * taken at the marker and checks the RTC still follows the host). */
#include "bm.h"

void bm_exit(uint64_t code) __attribute__((noreturn)); /* crt.S */

#define RTC_BASE 0x101000ul
#define RTC_REG(off) (*(volatile uint32_t *)(RTC_BASE + (off)))
enum {
    TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08, ALARM_HIGH = 0x0c,
    IRQ_ENABLED = 0x10, CLEAR_ALARM = 0x14, ALARM_STATUS = 0x18, CLEAR_INTERRUPT = 0x1c,
};
#define RTC_IRQ 11

/* PLIC spec 1.0.0: priorities at 4 * source, pending bits at 0x1000, context
 * c's enables at 0x2000 + 0x80 * c, threshold and claim/complete at
 * 0x200000 + 0x1000 * c; on virt, context 0 is hart 0's M-mode. */
#define PLIC_BASE 0xc000000ul
#define PLIC_PRIO(i) (*(volatile uint32_t *)(PLIC_BASE + 4 * (i)))
#define PLIC_PENDING0 (*(volatile uint32_t *)(PLIC_BASE + 0x1000))
#define PLIC_ENABLE0 (*(volatile uint32_t *)(PLIC_BASE + 0x2000))
#define PLIC_THRESHOLD0 (*(volatile uint32_t *)(PLIC_BASE + 0x200000))
#define PLIC_CLAIM0 (*(volatile uint32_t *)(PLIC_BASE + 0x200004))

#define MIE_MEIE (1u << 11)
#define NS_PER_TICK 100 /* the FDT's 10 MHz timebase */
#define MS (1000000ull)  /* ns */

#define UART ((volatile uint8_t *)0x10000000)

static void putc_(char c)
{
    while (!(UART[5] & 0x20)) {}
    UART[0] = (uint8_t)c;
}

static void puts_(const char *s)
{
    while (*s) putc_(*s++);
}

static void putdec(uint64_t v)
{
    char b[21];
    int n = 0;
    do b[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
    while (n) putc_(b[--n]);
}

/* The driver's read: TIME_LOW first, which latches TIME_HIGH. */
static uint64_t rtc_read(void)
{
    uint32_t lo = RTC_REG(TIME_LOW);
    uint32_t hi = RTC_REG(TIME_HIGH);
    return (uint64_t)hi << 32 | lo;
}

/* The driver's set_time: TIME_HIGH first, TIME_LOW commits. */
static void rtc_set(uint64_t t)
{
    RTC_REG(TIME_HIGH) = (uint32_t)(t >> 32);
    RTC_REG(TIME_LOW) = (uint32_t)t;
}

static void rtc_set_alarm(uint64_t t)
{
    RTC_REG(ALARM_HIGH) = (uint32_t)(t >> 32);
    RTC_REG(ALARM_LOW) = (uint32_t)t;
}

static uint64_t mtime_ns(void)
{
    return *MTIME * NS_PER_TICK;
}

static void wait_ns(uint64_t ns)
{
    uint64_t end = mtime_ns() + ns;
    while (mtime_ns() < end) {}
}

/* What the interrupt handler saw. */
static volatile uint64_t irq_count, irq_claimed, irq_rtc_ns, irq_status, irq_mcause;

void bm_irq(uint64_t cause, int in_s)
{
    if (cause == 7) { *MTIMECMP0 = -1ull; return; } /* wait_irq's wake-up */
    if (cause != RTC_IRQ || in_s) return;
    irq_mcause = csrr(mcause);
    /* A line that stays high would trap here forever: fail instead. */
    if (irq_count > 1000) bm_exit(31);
    uint32_t id = PLIC_CLAIM0;
    irq_claimed = id;
    irq_count++;
    irq_rtc_ns = rtc_read();
    irq_status = RTC_REG(ALARM_STATUS);
    RTC_REG(CLEAR_INTERRUPT) = 1; /* lowers the line before completion */
    PLIC_CLAIM0 = id;
}

/* Waits with WFI until an RTC interrupt or ns of guest time passed; returns
 * irq_count. WFI may return early and need not wake for an interrupt that is
 * not enabled in mie (priv spec 3.3.3), hence MTIE and a 1 ms mtimecmp. */
static uint64_t wait_irq(uint64_t ns)
{
    uint64_t end = mtime_ns() + ns;
    while (!irq_count && mtime_ns() < end) {
        /* MIE clear from the mtimecmp write to the WFI, so the wake-up timer
         * cannot be taken (and cleared) before WFI waits for it. */
        csrc(mstatus, MSTATUS_MIE);
        *MTIMECMP0 = *MTIME + 10000; /* 1 ms */
        __asm__ volatile("wfi");
        csrs(mstatus, MSTATUS_MIE);
    }
    *MTIMECMP0 = -1ull;
    return irq_count;
}

/* Waits until the armed alarm fired (ALARM_STATUS 0), at most ns. */
static int wait_fired(uint64_t ns)
{
    uint64_t end = mtime_ns() + ns;
    while (RTC_REG(ALARM_STATUS) && mtime_ns() < end) {}
    return RTC_REG(ALARM_STATUS) == 0;
}

int main(void)
{
    /* -- Reading the time ------------------------------------------------ */
    uint64_t t0 = rtc_read();
    puts_("rtc: time ");
    putdec(t0 / 1000000000ull);
    puts_("\n");
    /* After 2001-09-09 (1e18 ns is 2001-09-09) and before 2100. */
    CHECK(t0 > 1000000000ull * 1000000000ull && t0 < 4102444800ull * 1000000000ull, 1);

    /* TIME_HIGH answers the latched value: the same on every read until the
     * next TIME_LOW read. */
    (void)RTC_REG(TIME_LOW);
    uint32_t h1 = RTC_REG(TIME_HIGH);
    CHECK(RTC_REG(TIME_HIGH) == h1 && RTC_REG(TIME_HIGH) == h1, 2);

    /* Never backwards over many reads. */
    uint64_t prev = rtc_read();
    for (int i = 0; i < 2000; i++) {
        uint64_t t = rtc_read();
        CHECK(t >= prev, 3);
        prev = t;
    }

    /* The rate: between two reads the RTC advances by the mtime elapsed. Each
     * read is bracketed by mtime reads, so a host preemption between an RTC
     * read and an mtime read widens the bracket instead of failing. 1 ms of
     * slack covers the 100 ns timebase and the two host clocks' rounding. */
    uint64_t m1a = mtime_ns(), r1 = rtc_read(), m1b = mtime_ns();
    wait_ns(20 * MS);
    uint64_t m2a = mtime_ns(), r2 = rtc_read(), m2b = mtime_ns();
    CHECK(r2 > r1, 4);
    CHECK(r2 - r1 + MS >= m2a - m1b, 5);
    CHECK(r2 - r1 <= m2b - m1a + MS, 6);

    /* -- Setting the time (what hwclock --systohc does) ------------------ */
    /* Just before a 2^32 ns boundary of the low word: the TIME_LOW read
     * before the boundary, the TIME_HIGH read after it must still answer the
     * high word latched with that TIME_LOW (a consistent 64-bit value). */
    uint64_t keep_rtc = rtc_read(), keep_m = mtime_ns();
    uint64_t edge = 0x1234ull << 32;
    uint32_t lo = 0;
    /* A host preemption of 20 ms between the set and the read would put the
     * read past the boundary: try again then. */
    for (int i = 0; i < 10; i++) {
        rtc_set(edge - 20 * MS);
        lo = RTC_REG(TIME_LOW);
        if (lo >= 0xffffffffu - (uint32_t)(20 * MS)) break;
    }
    CHECK(lo >= 0xffffffffu - (uint32_t)(20 * MS), 7);
    wait_ns(25 * MS);
    CHECK(RTC_REG(TIME_HIGH) == 0x1233, 32);
    uint64_t after = rtc_read();
    CHECK(after >= edge && after < edge + 1000 * MS, 8);
    /* back to the real time, plus what elapsed meanwhile */
    rtc_set(keep_rtc + (mtime_ns() - keep_m));
    uint64_t back = rtc_read();
    CHECK(back >= keep_rtc && back - keep_rtc < 1000 * MS, 9);

    /* -- The alarm, through the PLIC -------------------------------------- */
    PLIC_PRIO(RTC_IRQ) = 1;
    PLIC_THRESHOLD0 = 0;
    PLIC_ENABLE0 = 1u << RTC_IRQ;
    csrw(mie, MIE_MEIE | (1u << 7));
    csrs(mstatus, MSTATUS_MIE);
    CHECK(irq_count == 0 && RTC_REG(ALARM_STATUS) == 0, 10);

    /* Armed 50 ms ahead: ALARM_STATUS reads 1 and the registers read back. */
    uint64_t alarm = rtc_read() + 50 * MS;
    RTC_REG(IRQ_ENABLED) = 1;
    rtc_set_alarm(alarm);
    /* running, unless a host preemption let it fire already */
    CHECK(RTC_REG(ALARM_STATUS) == 1 || rtc_read() >= alarm, 11);
    CHECK(RTC_REG(ALARM_LOW) == (uint32_t)alarm && RTC_REG(ALARM_HIGH) == (uint32_t)(alarm >> 32), 12);
    CHECK(RTC_REG(IRQ_ENABLED) == 1, 13);
    CHECK(wait_irq(3000 * MS) == 1, 14);
    CHECK(irq_claimed == RTC_IRQ, 15);
    CHECK(irq_mcause == ((1ull << 63) | RTC_IRQ), 16);
    /* not early; late only by host scheduling */
    CHECK(irq_rtc_ns >= alarm && irq_rtc_ns < alarm + 2000 * MS, 17);
    /* a fired alarm is no longer running, already in the handler */
    CHECK(irq_status == 0 && RTC_REG(ALARM_STATUS) == 0, 18);
    /* CLEAR_INTERRUPT lowered the line: nothing pending, no second interrupt */
    wait_ns(10 * MS);
    CHECK(irq_count == 1 && !(PLIC_PENDING0 & (1u << RTC_IRQ)), 19);
    CHECK(!(csrr(mip) & MIE_MEIE), 20);

    /* CLEAR_ALARM disarms: no interrupt when the time passes. */
    irq_count = 0;
    alarm = rtc_read() + 20 * MS;
    rtc_set_alarm(alarm);
    CHECK(RTC_REG(ALARM_STATUS) == 1 || rtc_read() >= alarm, 21);
    RTC_REG(CLEAR_ALARM) = 1;
    CHECK(RTC_REG(ALARM_STATUS) == 0, 22);
    CHECK(wait_irq(60 * MS) == 0, 23);

    /* With IRQ_ENABLED = 0 an alarm that fires raises nothing... */
    RTC_REG(IRQ_ENABLED) = 0;
    CHECK(RTC_REG(IRQ_ENABLED) == 0, 24);
    rtc_set_alarm(rtc_read() + 5 * MS);
    CHECK(wait_fired(2000 * MS), 26);
    CHECK(wait_irq(10 * MS) == 0, 25);
    /* ...but the interrupt is pending in the device: enabling delivers it
     * (Linux writes the alarm, then IRQ_ENABLED, so an alarm already in the
     * past when set still interrupts). */
    RTC_REG(IRQ_ENABLED) = 1;
    CHECK(wait_irq(2000 * MS) == 1 && irq_claimed == RTC_IRQ, 27);

    /* An alarm set in the past fires at once. */
    irq_count = 0;
    rtc_set_alarm(rtc_read() - 1000 * MS);
    CHECK(wait_irq(2000 * MS) == 1 && irq_claimed == RTC_IRQ, 28);
    CHECK(RTC_REG(ALARM_STATUS) == 0, 29);

    /* CLEAR_INTERRUPT with the IRQ disabled: nothing left to deliver. */
    irq_count = 0;
    RTC_REG(IRQ_ENABLED) = 0;
    rtc_set_alarm(rtc_read());
    CHECK(wait_fired(2000 * MS), 33);
    RTC_REG(CLEAR_INTERRUPT) = 1;
    RTC_REG(IRQ_ENABLED) = 1;
    CHECK(wait_irq(20 * MS) == 0, 30);
    csrc(mstatus, MSTATUS_MIE);

    /* -- For the snapshot test ------------------------------------------- */
    puts_("rtc: marker\n");
    wait_ns(100 * MS);
    puts_("rtc: after ");
    putdec(rtc_read() / 1000000000ull);
    puts_("\n");
    return 0;
}
