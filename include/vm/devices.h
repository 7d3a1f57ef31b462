/* SPDX-License-Identifier: MIT */
/* Constructors of the system-mode devices in src/devices/ (one file each) and
 * what a machine needs to map and wire them: MMIO ops + sizes, IRQ lines. */
#ifndef VM_DEVICES_H
#define VM_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "vm/chardev.h"
#include "vm/dev.h"
#include "vm/options.h"

struct PhysMap;

/* Common pattern: X *x_new(..., Device *dev) returns the device state (NULL on
 * failure, with a message in err where there is one) and fills *dev (name,
 * opaque, reset, snapshot, free) for the machine's device list. The machine
 * maps it: phys_add_mmio(map, BASE, X_MMIO_SIZE, &x_mmio_ops, x, dev->name).
 * dev->free releases everything (stops threads, closes files). A device starts
 * in its reset state. MMIO handlers are thread-safe (each device has a lock). */

/* -- NS16550A UART (src/devices/uart16550.c) ------------------------------------
 * QEMU virt: base 0x10000000, PLIC source 10, reg-shift 0, reg-io-width 1,
 * clock-frequency 3686400 in the FDT. chr may be NULL (output discarded). */
typedef struct Uart16550 Uart16550;
#define UART16550_MMIO_SIZE 0x100
extern const MmioOps uart_mmio_ops;
Uart16550 *uart_new(CharDev *chr, IrqLine irq, Device *dev);

/* -- ACLINT MSWI + MTIMER, SiFive CLINT layout (src/devices/aclint.c) --------------
 * QEMU virt: base 0x2000000, size 0x10000: msip[h] at +4*h, mtimecmp[h] at
 * +0x4000+8*h, mtime at +0xbff8. msip[h]/mtip[h] are the per-hart lines the
 * machine wires to rv_set_irq(cpu[h], MIP_MSIP / MIP_MTIP, level). now() is the
 * timebase in ticks (NULL = clock_guest_ns()/100, 10 MHz, same as rv_mtime()); the FDT
 * timebase-frequency must match (10000000). The guest may write mtime: the
 * device then keeps an offset, see aclint_mtime(). */
typedef struct Aclint Aclint;
#define ACLINT_MMIO_SIZE 0x10000
#define ACLINT_MAX_HARTS 4095
extern const MmioOps aclint_mmio_ops;
Aclint *aclint_new(unsigned nharts, const IrqLine *msip, const IrqLine *mtip,
                   uint64_t (*now)(void), Device *dev);
/* The guest-visible mtime (now() + offset written by the guest or a snapshot). */
uint64_t aclint_mtime(Aclint *a);

/* -- SiFive PLIC (src/devices/plic.c) --------------------------------------------
 * QEMU virt: base 0xc000000, riscv,ndev = 95 (sources 1..95), contexts 2*h
 * (hart h M-mode -> MEIP) and 2*h+1 (hart h S-mode -> SEIP); outs[c] is the
 * line of context c (machine wires it to rv_set_irq(cpu, MIP_MEIP/MIP_SEIP)).
 * FDT: interrupts-extended = <&cpuN_intc 11 &cpuN_intc 9 ...>. */
typedef struct Plic Plic;
#define PLIC_MAX_SOURCES 1024
#define PLIC_MAX_CONTEXTS 15872
#define PLIC_MMIO_SIZE(ncontexts) (0x200000u + 0x1000u * (uint64_t)(ncontexts))
#define PLIC_VIRT_MMIO_SIZE 0x600000 /* QEMU virt's window (up to 1024 contexts) */
extern const MmioOps plic_mmio_ops;
Plic *plic_new(unsigned ndev, unsigned ncontexts, const IrqLine *outs, Device *dev);
/* The level-triggered input line of source n (1..ndev) for devices to drive. */
IrqLine plic_irq_line(Plic *p, unsigned n);

/* -- virtio-mmio transport + devices (src/devices/virtio_*.c) ----------------------
 * virtio 1.2 section 4.2, version 2 (modern only). QEMU virt: base 0x10001000 +
 * 0x1000*i, PLIC source 1 + i, i = 0..7; FDT compatible "virtio,mmio". Only
 * populated slots need an FDT node. pm is the guest's physical map (DMA). */
typedef struct VirtioMmio VirtioMmio;
#define VIRTIO_MMIO_SIZE 0x1000
extern const MmioOps virtio_mmio_ops;
/* drive->file opened raw, O_RDONLY when drive->readonly. I/O runs on an async
 * I/O completion thread (io_uring, else a thread pool; VM_AIO=threads forces
 * the pool). NULL + err on failure (missing file, ...). */
VirtioMmio *virtio_blk_new(struct PhysMap *pm, IrqLine irq, const VmDrive *drive, Device *dev,
                           char *err, size_t errlen);
/* User-mode networking with libslirp (guest 10.0.2.15, gateway 10.0.2.2, DNS
 * 10.0.2.3), nd->hostfwd entries "tcp:[HADDR]:HPORT-[GADDR]:GPORT" (udp: too).
 * mac NULL = 52:54:00:12:34:56 (+ index in the last byte is the caller's job).
 * Runs slirp on its own thread. NULL + err when built without libslirp. */
VirtioMmio *virtio_net_new(struct PhysMap *pm, IrqLine irq, const VmNetdev *nd,
                           const uint8_t mac[6], Device *dev, char *err, size_t errlen);
/* One port (hvc0), input/output through chr (may be NULL). */
VirtioMmio *virtio_console_new(struct PhysMap *pm, IrqLine irq, CharDev *chr, Device *dev);
/* Entropy from getrandom(2). */
VirtioMmio *virtio_rng_new(struct PhysMap *pm, IrqLine irq, Device *dev);

/* -- SiFive test finisher + syscon power-off/reboot (src/devices/test_finisher.c) -
 * QEMU virt: base 0x100000, size 0x1000, FDT compatible "sifive,test1",
 * "sifive,test0", "syscon"; syscon-poweroff (regmap, offset 0, value 0x5555)
 * and syscon-reboot (value 0x7777) point at it. A 32-bit write at offset 0:
 * 0x5555 -> power(opaque, VM_POWER_OFF, 0); 0x3333 | code << 16 ->
 * power(opaque, VM_POWER_OFF, code) (code 0 reported as 1); 0x7777 ->
 * power(opaque, VM_POWER_RESET, 0). Called on the vCPU thread that wrote. */
enum { VM_POWER_OFF = 0, VM_POWER_RESET = 1 };
typedef void (*VmPowerFn)(void *opaque, int action, int code);
typedef struct Finisher Finisher;
#define FINISHER_MMIO_SIZE 0x1000
extern const MmioOps finisher_mmio_ops;
Finisher *finisher_new(VmPowerFn power, void *opaque, Device *dev);

/* -- Goldfish RTC (src/devices/goldfish_rtc.c) --------------------------------------
 * QEMU virt: base 0x101000, size 0x1000, PLIC source 11, FDT compatible
 * "google,goldfish-rtc". Time = host CLOCK_REALTIME ns + guest-set offset. */
typedef struct GoldfishRtc GoldfishRtc;
#define RTC_MMIO_SIZE 0x1000
extern const MmioOps rtc_mmio_ops;
GoldfishRtc *rtc_new(IrqLine irq, Device *dev);

#endif
