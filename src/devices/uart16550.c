/* SPDX-License-Identifier: MIT */
/* NS16550A UART (the TI/National PC16550D datasheet register set) with 16-byte
 * FIFOs, reg-shift 0. Transmission is instant: THR is always empty again after
 * a write, so THRE interrupts fire at once; input comes from a CharDev. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vm/devices.h"
#include "vm/log.h"

#define UART_FIFO 16

/* Register offsets (PC16550D table 2). */
enum { UART_RBR = 0, UART_IER = 1, UART_IIR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5,
       UART_MSR = 6, UART_SCR = 7 };

#define IER_RDI 0x01  /* received data available */
#define IER_THRI 0x02 /* THR empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IER_MSI 0x08  /* modem status */

#define IIR_NONE 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLR_RX 0x02
#define FCR_CLR_TX 0x04

#define LCR_DLAB 0x80
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct Uart16550 {
    pthread_mutex_t lock;
    CharDev *chr;
    IrqLine irq;
    int level;        /* current output level */
    /* guest-visible state */
    uint8_t ier, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
    bool thr_ip;      /* THRE interrupt pending (cleared by IIR read / THR write) */
    uint8_t rx[UART_FIFO];
    uint8_t rx_head, rx_count;
};

static unsigned uart_trigger(const Uart16550 *u)
{
    static const uint8_t lv[4] = { 1, 4, 8, 14 };
    return (u->fcr & FCR_ENABLE) ? lv[u->fcr >> 6] : 1;
}

static unsigned uart_rx_cap(const Uart16550 *u)
{
    return (u->fcr & FCR_ENABLE) ? UART_FIFO : 1;
}

/* PC16550D table 4: interrupt priority RLS > RDA/timeout > THRE > modem status. */
static uint8_t uart_iir_locked(const Uart16550 *u)
{
    uint8_t id = IIR_NONE;
    if ((u->ier & IER_RLSI) && (u->lsr & (LSR_OE | LSR_BI)))
        id = IIR_RLSI;
    else if ((u->ier & IER_RDI) && u->rx_count)
        /* No character-time clock: data below the trigger level reports the
         * character timeout at once, which drivers treat like RDA. */
        id = u->rx_count >= uart_trigger(u) ? IIR_RDI : IIR_TIMEOUT;
    else if ((u->ier & IER_THRI) && u->thr_ip)
        id = IIR_THRI;
    else if ((u->ier & IER_MSI) && (u->msr & 0x0f))
        id = IIR_MSI;
    return id | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
}

static void uart_update_locked(Uart16550 *u)
{
    int level = !(uart_iir_locked(u) & IIR_NONE);
    if (level != u->level) {
        u->level = level;
        irq_set(&u->irq, level);
    }
}

static void uart_rx_push_locked(Uart16550 *u, uint8_t c)
{
    if (u->rx_count >= uart_rx_cap(u)) {
        u->lsr |= LSR_OE;
        return;
    }
    u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = c;
    u->rx_count++;
    u->lsr |= LSR_DR;
}

static void uart_update_msr_locked(Uart16550 *u)
{
    uint8_t old = u->msr, lines;
    if (u->mcr & MCR_LOOP) {
        /* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
        lines = (uint8_t)(((u->mcr & 0x01) ? MSR_DSR : 0) | ((u->mcr & 0x02) ? MSR_CTS : 0) |
                          ((u->mcr & 0x04) ? MSR_RI : 0) | ((u->mcr & 0x08) ? MSR_DCD : 0));
    } else {
        lines = MSR_DCD | MSR_DSR | MSR_CTS;
    }
    uint8_t delta = (uint8_t)(old ^ lines);
    uint8_t d = old & 0x0f;
    if (delta & MSR_CTS) d |= MSR_DCTS;
    if (delta & MSR_DSR) d |= MSR_DDSR;
    if (delta & MSR_DCD) d |= MSR_DDCD;
    if ((old & MSR_RI) && !(lines & MSR_RI)) d |= MSR_TERI;
    u->msr = lines | d;
}

static uint64_t uart_read(void *opaque, uint64_t off, unsigned size)
{
    Uart16550 *u = opaque;
    uint8_t v = 0;
    bool room = false;
    pthread_mutex_lock(&u->lock);
    switch (off) {
    case UART_RBR:
        if (u->lcr & LCR_DLAB) { v = u->dll; break; }
        if (u->rx_count) {
            v = u->rx[u->rx_head];
            u->rx_head = (uint8_t)((u->rx_head + 1) % UART_FIFO);
            u->rx_count--;
            room = true;
        }
        if (!u->rx_count) u->lsr &= (uint8_t)~LSR_DR;
        break;
    case UART_IER: v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier; break;
    case UART_IIR:
        v = uart_iir_locked(u);
        /* Reading IIR acknowledges a THRE interrupt it reports. */
        if ((v & 0x0f) == IIR_THRI) u->thr_ip = false;
        break;
    case UART_LCR: v = u->lcr; break;
    case UART_MCR: v = u->mcr; break;
    case UART_LSR:
        v = u->lsr;
        u->lsr &= (uint8_t)~(LSR_OE | LSR_BI); /* error bits clear on read */
        break;
    case UART_MSR:
        v = u->msr;
        u->msr &= 0xf0; /* delta bits clear on read */
        break;
    case UART_SCR: v = u->scr; break;
    default:
        if (logd_enabled(LOGD_GUEST_ERRORS))
            log_write(LOG_DEV, LOG_WARN, "uart16550: read of bad offset 0x%llx",
                      (unsigned long long)off);
        break;
    }
    uart_update_locked(u);
    pthread_mutex_unlock(&u->lock);
    if (room) chardev_read_ready(u->chr);
    return v;
}

static void uart_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    Uart16550 *u = opaque;
    uint8_t v = (uint8_t)value;
    pthread_mutex_lock(&u->lock);
    switch (off) {
    case UART_RBR:
        if (u->lcr & LCR_DLAB) { u->dll = v; break; }
        if (u->mcr & MCR_LOOP) uart_rx_push_locked(u, v);
        else chardev_write(u->chr, &v, 1);
        u->thr_ip = true; /* the byte left at once: THR empty again */
        break;
    case UART_IER:
        if (u->lcr & LCR_DLAB) { u->dlm = v; break; }
        /* Enabling ETBEI with THR empty raises THRE (PC16550D: IIR source 2). */
        if ((v & IER_THRI) && !(u->ier & IER_THRI)) u->thr_ip = true;
        u->ier = v & 0x0f;
        break;
    case UART_IIR: { /* FCR */
        bool room = false;
        if ((v ^ u->fcr) & FCR_ENABLE) { u->rx_count = 0; u->rx_head = 0; room = true; }
        if (v & FCR_CLR_RX) { u->rx_count = 0; u->rx_head = 0; room = true; }
        if (!u->rx_count) u->lsr &= (uint8_t)~LSR_DR;
        u->fcr = v & 0xc1;
        if (room && u->chr && u->chr->read_ready) {
            uart_update_locked(u);
            pthread_mutex_unlock(&u->lock);
            chardev_read_ready(u->chr);
            return;
        }
        break;
    }
    case UART_LCR: u->lcr = v; break;
    case UART_MCR:
        u->mcr = v & 0x1f;
        uart_update_msr_locked(u);
        break;
    case UART_LSR: case UART_MSR: break; /* read-only */
    case UART_SCR: u->scr = v; break;
    default:
        if (logd_enabled(LOGD_GUEST_ERRORS))
            log_write(LOG_DEV, LOG_WARN, "uart16550: write of bad offset 0x%llx",
                      (unsigned long long)off);
        break;
    }
    uart_update_locked(u);
    pthread_mutex_unlock(&u->lock);
}

const MmioOps uart_mmio_ops = { .read = uart_read, .write = uart_write };

/* -- Host input (CharDev) ---------------------------------------------------------- */

static size_t uart_can_read(void *opaque)
{
    Uart16550 *u = opaque;
    pthread_mutex_lock(&u->lock);
    size_t n = (u->mcr & MCR_LOOP) ? 0 : uart_rx_cap(u) - u->rx_count;
    pthread_mutex_unlock(&u->lock);
    return n;
}

static void uart_input(void *opaque, const uint8_t *buf, size_t n)
{
    Uart16550 *u = opaque;
    pthread_mutex_lock(&u->lock);
    if (!(u->mcr & MCR_LOOP))
        for (size_t i = 0; i < n; i++) uart_rx_push_locked(u, buf[i]);
    uart_update_locked(u);
    pthread_mutex_unlock(&u->lock);
}

/* -- Lifecycle ------------------------------------------------------------------------ */

static void uart_reset(void *opaque)
{
    Uart16550 *u = opaque;
    pthread_mutex_lock(&u->lock);
    u->ier = u->fcr = u->lcr = u->mcr = u->scr = 0;
    u->dll = 12; /* 9600 baud at 1.8432 MHz, a conventional power-on value */
    u->dlm = 0;
    u->lsr = LSR_THRE | LSR_TEMT;
    u->msr = 0;
    uart_update_msr_locked(u);
    u->msr &= 0xf0;
    u->thr_ip = false;
    u->rx_head = u->rx_count = 0;
    uart_update_locked(u);
    pthread_mutex_unlock(&u->lock);
}

static int uart_snapshot(void *opaque, SnapVisitor *v)
{
    Uart16550 *u = opaque;
    pthread_mutex_lock(&u->lock);
    snap_u8(v, "ier", &u->ier);
    snap_u8(v, "fcr", &u->fcr);
    snap_u8(v, "lcr", &u->lcr);
    snap_u8(v, "mcr", &u->mcr);
    snap_u8(v, "lsr", &u->lsr);
    snap_u8(v, "msr", &u->msr);
    snap_u8(v, "scr", &u->scr);
    snap_u8(v, "dll", &u->dll);
    snap_u8(v, "dlm", &u->dlm);
    snap_bool(v, "thr_ip", &u->thr_ip);
    snap_bytes(v, "rx", u->rx, sizeof(u->rx));
    snap_u8(v, "rx_head", &u->rx_head);
    snap_u8(v, "rx_count", &u->rx_count);
    if (snap_loading(v) && (u->rx_head >= UART_FIFO || u->rx_count > UART_FIFO))
        snap_fail(v, "uart16550: rx fifo state out of range");
    if (snap_loading(v) && snap_status(v) == 0) {
        u->level = -1; /* re-drive the line */
        uart_update_locked(u);
    }
    pthread_mutex_unlock(&u->lock);
    return snap_status(v);
}

static void uart_free(void *opaque)
{
    Uart16550 *u = opaque;
    if (!u) return;
    chardev_attach(u->chr, NULL, NULL, NULL);
    pthread_mutex_destroy(&u->lock);
    free(u);
}

Uart16550 *uart_new(CharDev *chr, IrqLine irq, Device *dev)
{
    Uart16550 *u = calloc(1, sizeof(*u));
    if (!u) return NULL;
    pthread_mutex_init(&u->lock, NULL);
    u->chr = chr;
    u->irq = irq;
    u->level = 0;
    uart_reset(u);
    chardev_attach(chr, uart_can_read, uart_input, u);
    if (dev)
        *dev = (Device){ .name = "uart16550", .opaque = u, .reset = uart_reset,
                         .snapshot = uart_snapshot, .free = uart_free };
    return u;
}
