/* SPDX-License-Identifier: MIT */
/* Bare-metal console guest for the monitor and -chat tests: runs in S-mode
 * under Sv39, prints "tick N" every 50 ms, echoes each input line as
 * "echo: LINE", and "exit N" ends vm with status N (test finisher).
 * Memory the tests read with x/xp: bm_magic and bm_text, also mapped at
 * BM_HIGH_VA + (address - RAM base) with a 4 KiB-page table. */
#include "bm.h"

#define UART ((volatile uint8_t *)0x10000000)
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define FINISHER ((volatile uint32_t *)0x100000)
#define RAM_BASE 0x80000000ull
#define BM_HIGH_VA 0xffffffc000000000ull

#define PTE_V 1ull
#define PTE_R 2ull
#define PTE_W 4ull
#define PTE_X 8ull
#define PTE_G 32ull
#define PTE_A 64ull
#define PTE_D 128ull

volatile uint64_t bm_magic[2] = {0x1122334455667788ull, 0x99aabbccddeeff00ull};
const char bm_text[] = "MONITOR-TEST";

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));

static uint64_t pte(uint64_t pa, uint64_t f) { return (pa >> 12) << 10 | f | PTE_V; }

static void putc_(char c)
{
    while (!(UART[5] & UART_LSR_THRE)) {}
    UART[0] = (uint8_t)c;
}

static void puts_(const char *s)
{
    while (*s) putc_(*s++);
}

static void putu(uint64_t v)
{
    char b[24];
    int n = 0;
    do b[n++] = (char)('0' + v % 10); while ((v /= 10));
    while (n) putc_(b[--n]);
}

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static void finish(uint64_t code)
{
    *FINISHER = code ? (uint32_t)(code << 16 | 0x3333) : 0x5555;
    for (;;) {}
}

static uint64_t s_main(uint64_t arg)
{
    (void)arg;
    puts_("bm-echo: ready\n");
    char line[80];
    unsigned len = 0;
    uint64_t tick = 0, next = *MTIME + 500000; /* 10 MHz timebase: 50 ms */
    for (;;) {
        if (*MTIME >= next) {
            next += 500000;
            puts_("tick ");
            putu(++tick);
            putc_('\n');
        }
        if (!(UART[5] & UART_LSR_DR)) continue;
        char c = (char)UART[0];
        if (c != '\n' && c != '\r') {
            if (len < sizeof(line) - 1) line[len++] = c;
            continue;
        }
        if (!len) continue;
        line[len] = 0;
        len = 0;
        puts_("echo: ");
        puts_(line);
        putc_('\n');
        if (line[0] == 'e' && line[1] == 'x' && line[2] == 'i' && line[3] == 't' &&
            (line[4] == ' ' || !line[4])) {
            uint64_t code = 0;
            for (const char *p = line + 5; line[4] && *p >= '0' && *p <= '9'; p++)
                code = code * 10 + (uint64_t)(*p - '0');
            finish(code);
        }
        if (streq(line, "magic")) bm_magic[0]++; /* lets a test see memory change */
    }
    return 0;
}

int main(void)
{
    /* Sv39: devices (first GiB) and RAM identity-mapped with gigapages, and the
     * first 2 MiB of RAM again at BM_HIGH_VA through 4 KiB pages (read/write,
     * global) so that info mem and x have a walk to do. */
    root[0] = pte(0, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    root[2] = pte(RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    root[(BM_HIGH_VA >> 30) & 0x1ff] = pte((uintptr_t)l1, 0);
    l1[0] = pte((uintptr_t)l0, 0);
    for (int i = 0; i < 512; i++)
        l0[i] = pte(RAM_BASE + (uint64_t)i * 4096, PTE_R | PTE_W | PTE_G | PTE_A | PTE_D);
    csrw(satp, 8ull << 60 | ((uintptr_t)root >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");
    csrs(mstatus, MSTATUS_SUM);
    return (int)run_lower(1, s_main, 0);
}
