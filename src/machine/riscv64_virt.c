/* SPDX-License-Identifier: MIT */
/* The riscv64 "virt" board with QEMU's memory map, so OpenSBI's generic platform
 * and Linux run unmodified: vCPUs, RAM, ACLINT, PLIC, UART, virtio-mmio, test
 * finisher, RTC, the generated device tree and the boot images. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "frontend/riscv64/rv_cpu.h"
#include "machine/machine_int.h"
#include "machine/virt.h"
#include "vm/devices.h"
#include "vm/log.h"
#include "vm/mem.h"
#include "vm/timer.h"
#include "vm/tlb.h"

/* -- Memory map (QEMU hw/riscv/virt.c's layout, which OpenSBI and Linux expect) -- */

enum {
    VIRT_MROM_BASE = 0x1000, VIRT_MROM_SIZE = 0xf000,
    VIRT_TEST_BASE = 0x100000,
    VIRT_RTC_BASE = 0x101000,
    VIRT_CLINT_BASE = 0x2000000,
    VIRT_PLIC_BASE = 0xc000000,
    VIRT_UART0_BASE = 0x10000000, VIRT_UART0_IRQ = 10,
    VIRT_VIRTIO_BASE = 0x10001000, VIRT_VIRTIO_IRQ = 1, VIRT_VIRTIO_SLOTS = 8,
    VIRT_RTC_IRQ = 11,
    VIRT_PLIC_NDEV = 95,
    VIRT_UART_CLOCK = 3686400,
    VIRT_TIMEBASE = 10000000, /* rv_mtime(): clock_guest_ns() / 100 */
    VIRT_MAX_CPUS = 64,
    VIRT_MAX_DEVS = 32,
};
#define VIRT_DRAM_BASE 0x80000000ull
#define VIRT_DEFAULT_RAM (128ull << 20) /* QEMU's default for virt */

/* mip bit numbers (RISC-V privileged spec 3.1.9). */
enum { VIRT_MIP_MSIP = RV_IRQ_MSI, VIRT_MIP_MTIP = RV_IRQ_MTI, VIRT_MIP_SEIP = RV_IRQ_SEI, VIRT_MIP_MEIP = RV_IRQ_MEI };
_Static_assert(RV_TIMEBASE_HZ == 10000000, "the FDT's timebase-frequency must match rv_mtime()");

/* The ISA the riscv64 frontend implements, as the device tree states it
 * (Documentation/devicetree/bindings/riscv/extensions.yaml). */
static const char virt_isa[] = "rv64imafdc_zicsr_zifencei_zba_zbb_zbs_zicond_sstc";
/* The largest translation mode the soft MMU walks (Linux picks its own,
 * up to this, by probing satp). */
static const char virt_mmu_type[] = "riscv,sv57";
static const char *const virt_isa_ext[] = {
    "i", "m", "a", "f", "d", "c", "zicsr", "zifencei", "zba", "zbb", "zbs", "zicond", "sstc",
};

/* Debian's OpenSBI (scripts/fetch-images.sh), for -bios default. */
static const char *const virt_default_bios[] = {
    "images/cache/riscv64/opensbi/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
    "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
    "/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin",
};

typedef struct Virt {
    Machine m;
    const VmOptions *o;
    MachineHost host;
    Device devs[VIRT_MAX_DEVS];
    int ndevs;
    Plic *plic;
    unsigned nvirtio;
    const char *virtio_what[VIRT_VIRTIO_SLOTS];
    uint8_t *mrom;
    /* Boot state, computed by virt_load and reapplied by a reset. */
    uint64_t entry;    /* where every hart starts */
    uint64_t fdt_pa, fw_info_pa;
    bool firmware;     /* -bios other than none: harts start in it */
    uint64_t kernel_entry;
    uint64_t initrd_start, initrd_end;
    uint32_t intc_phandle[VIRT_MAX_CPUS];
} Virt;

/* -- vCPU interrupt lines ------------------------------------------------------------ */

/* IrqLine n = hart * 64 + mip bit. */
static void virt_cpu_irq(void *opaque, unsigned n, int level)
{
    Virt *v = opaque;
    unsigned hart = n / 64;
    /* No vCPUs exist when only the device tree is dumped. */
    if (hart < (unsigned)v->m.ncpus && v->m.cpus[hart])
        rv_set_irq(v->m.cpus[hart], n % 64, level);
}

static IrqLine virt_hart_line(Virt *v, unsigned hart, unsigned bit)
{
    return (IrqLine){.set = virt_cpu_irq, .opaque = v, .n = hart * 64 + bit};
}

static void virt_power(void *opaque, int action, int code)
{
    Virt *v = opaque;
    if (v->host.power)
        v->host.power(v->host.opaque, action == VM_POWER_RESET ? MACHINE_RESET : MACHINE_POWEROFF, code);
}

static Device *virt_dev_slot(Virt *v)
{
    if (v->ndevs == VIRT_MAX_DEVS) return NULL;
    v->m.ndevs = v->ndevs + 1;
    return &v->devs[v->ndevs++];
}

/* -- -numa: which node each CPU and each piece of RAM belongs to ------------------------ */

/* The node of cpu: the -numa node whose cpus=A-B range holds it, else round robin. */
static int virt_cpu_node(const VmOptions *o, int cpu)
{
    for (int i = 0; i < o->nnuma; i++) {
        const char *s = o->numa[i].cpus;
        if (!s) continue;
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (*end == '-') b = strtol(end + 1, NULL, 10);
        if (cpu >= a && cpu <= b) return o->numa[i].nodeid >= 0 ? o->numa[i].nodeid : i;
    }
    int i = cpu % o->nnuma;
    return o->numa[i].nodeid >= 0 ? o->numa[i].nodeid : i;
}

/* The size of node i's RAM: mem= when given, else an equal share of the rest. */
static uint64_t virt_node_mem(const VmOptions *o, uint64_t ram, int i)
{
    if (o->numa[i].mem) return o->numa[i].mem;
    uint64_t given = 0;
    int unspec = 0;
    for (int k = 0; k < o->nnuma; k++) {
        if (o->numa[k].mem) given += o->numa[k].mem;
        else unspec++;
    }
    uint64_t share = given < ram ? (ram - given) / (uint64_t)unspec : 0;
    return share & ~((1ull << 20) - 1);
}

/* -- Device tree (Devicetree Specification; Linux's riscv bindings) ------------------- */

static void virt_fdt_node_at(FdtBuilder *b, const char *name, uint64_t addr)
{
    char n[64];
    snprintf(n, sizeof(n), "%s@%llx", name, (unsigned long long)addr);
    fdt_tree_node(b, n);
}

/* Written in order: every phandle a property uses belongs to an earlier node. */
static int virt_build_fdt(Virt *v, FdtBuilder *b)
{
    const VmOptions *o = v->o;
    int n = v->m.ncpus;
    char name[64];
    uint32_t cells[4 * VIRT_MAX_CPUS];
    if (fdt_tree_begin(b)) return -1;
    fdt_tree_u32(b, "#address-cells", 2);
    fdt_tree_u32(b, "#size-cells", 2);
    fdt_tree_str(b, "compatible", "riscv-virtio");
    fdt_tree_str(b, "model", "riscv-virtio,vm");

    /* /chosen: Documentation/devicetree/bindings/chosen.txt */
    fdt_tree_node(b, "chosen");
    snprintf(name, sizeof(name), "/soc/serial@%x", VIRT_UART0_BASE);
    fdt_tree_str(b, "stdout-path", name);
    if (o->append) fdt_tree_str(b, "bootargs", o->append);
    if (v->initrd_end > v->initrd_start) {
        fdt_tree_u64(b, "linux,initrd-start", v->initrd_start);
        fdt_tree_u64(b, "linux,initrd-end", v->initrd_end);
    }
    fdt_tree_end(b);

    /* /memory: one node per -numa node (numa-node-id), else one. */
    if (o->nnuma) {
        uint64_t base = v->m.ram_base, end = v->m.ram_base + v->m.ram_size;
        for (int i = 0; i < o->nnuma && base < end; i++) {
            uint64_t sz = virt_node_mem(o, v->m.ram_size, i);
            if (i == o->nnuma - 1 || sz > end - base) sz = end - base;
            virt_fdt_node_at(b, "memory", base);
            fdt_tree_str(b, "device_type", "memory");
            fdt_tree_reg64(b, base, sz);
            fdt_tree_u32(b, "numa-node-id", (uint32_t)(o->numa[i].nodeid >= 0 ? o->numa[i].nodeid : i));
            fdt_tree_end(b);
            base += sz;
        }
    } else {
        virt_fdt_node_at(b, "memory", v->m.ram_base);
        fdt_tree_str(b, "device_type", "memory");
        fdt_tree_reg64(b, v->m.ram_base, v->m.ram_size);
        fdt_tree_end(b);
    }

    /* /cpus: Documentation/devicetree/bindings/riscv/cpus.yaml */
    fdt_tree_node(b, "cpus");
    fdt_tree_u32(b, "#address-cells", 1);
    fdt_tree_u32(b, "#size-cells", 0);
    fdt_tree_u32(b, "timebase-frequency", VIRT_TIMEBASE);
    uint32_t cpu_ph[VIRT_MAX_CPUS];
    for (int i = 0; i < n; i++) {
        virt_fdt_node_at(b, "cpu", (uint64_t)i);
        cpu_ph[i] = fdt_tree_phandle(b);
        fdt_tree_str(b, "device_type", "cpu");
        fdt_tree_u32(b, "reg", (uint32_t)i);
        fdt_tree_str(b, "status", "okay");
        fdt_tree_str(b, "compatible", "riscv");
        fdt_tree_str(b, "riscv,isa", virt_isa);
        fdt_tree_str(b, "riscv,isa-base", "rv64i");
        fdt_tree_strs(b, "riscv,isa-extensions", virt_isa_ext,
                      (int)(sizeof(virt_isa_ext) / sizeof(virt_isa_ext[0])));
        fdt_tree_str(b, "mmu-type", virt_mmu_type);
        if (o->nnuma) fdt_tree_u32(b, "numa-node-id", (uint32_t)virt_cpu_node(o, i));
        fdt_tree_node(b, "interrupt-controller");
        v->intc_phandle[i] = fdt_tree_phandle(b);
        fdt_tree_u32(b, "#interrupt-cells", 1);
        fdt_tree_empty(b, "interrupt-controller");
        fdt_tree_str(b, "compatible", "riscv,cpu-intc");
        fdt_tree_end(b);
        fdt_tree_end(b);
    }
    fdt_tree_node(b, "cpu-map");
    fdt_tree_node(b, "cluster0");
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "core%d", i);
        fdt_tree_node(b, name);
        fdt_tree_u32(b, "cpu", cpu_ph[i]);
        fdt_tree_end(b);
    }
    fdt_tree_end(b);
    fdt_tree_end(b);
    fdt_tree_end(b); /* cpus */

    fdt_tree_node(b, "soc");
    fdt_tree_u32(b, "#address-cells", 2);
    fdt_tree_u32(b, "#size-cells", 2);
    fdt_tree_str(b, "compatible", "simple-bus");
    fdt_tree_empty(b, "ranges");

    /* Test finisher first: /poweroff and /reboot refer to it (syscon). */
    virt_fdt_node_at(b, "test", VIRT_TEST_BASE);
    uint32_t test_ph = fdt_tree_phandle(b);
    const char *test_compat[] = {"sifive,test1", "sifive,test0", "syscon"};
    fdt_tree_strs(b, "compatible", test_compat, 3);
    fdt_tree_reg64(b, VIRT_TEST_BASE, FINISHER_MMIO_SIZE);
    fdt_tree_end(b);

    /* CLINT: msip (3) and mtip (7) of each hart (sifive,clint0 binding). */
    virt_fdt_node_at(b, "clint", VIRT_CLINT_BASE);
    const char *clint_compat[] = {"sifive,clint0", "riscv,clint0"};
    fdt_tree_strs(b, "compatible", clint_compat, 2);
    fdt_tree_reg64(b, VIRT_CLINT_BASE, ACLINT_MMIO_SIZE);
    for (int i = 0; i < n; i++) {
        cells[4 * i] = v->intc_phandle[i];
        cells[4 * i + 1] = VIRT_MIP_MSIP;
        cells[4 * i + 2] = v->intc_phandle[i];
        cells[4 * i + 3] = VIRT_MIP_MTIP;
    }
    fdt_tree_cells(b, "interrupts-extended", cells, 4 * n);
    fdt_tree_end(b);

    /* PLIC: context 2h = hart h M-mode (11), 2h+1 = S-mode (9). */
    virt_fdt_node_at(b, "plic", VIRT_PLIC_BASE);
    uint32_t plic_ph = fdt_tree_phandle(b);
    const char *plic_compat[] = {"sifive,plic-1.0.0", "riscv,plic0"};
    fdt_tree_strs(b, "compatible", plic_compat, 2);
    fdt_tree_reg64(b, VIRT_PLIC_BASE, PLIC_VIRT_MMIO_SIZE);
    fdt_tree_u32(b, "#address-cells", 0);
    fdt_tree_u32(b, "#interrupt-cells", 1);
    fdt_tree_empty(b, "interrupt-controller");
    fdt_tree_u32(b, "riscv,ndev", VIRT_PLIC_NDEV);
    for (int i = 0; i < n; i++) {
        cells[4 * i] = v->intc_phandle[i];
        cells[4 * i + 1] = VIRT_MIP_MEIP;
        cells[4 * i + 2] = v->intc_phandle[i];
        cells[4 * i + 3] = VIRT_MIP_SEIP;
    }
    fdt_tree_cells(b, "interrupts-extended", cells, 4 * n);
    fdt_tree_end(b);

    virt_fdt_node_at(b, "rtc", VIRT_RTC_BASE);
    fdt_tree_str(b, "compatible", "google,goldfish-rtc");
    fdt_tree_reg64(b, VIRT_RTC_BASE, RTC_MMIO_SIZE);
    fdt_tree_u32(b, "interrupt-parent", plic_ph);
    fdt_tree_u32(b, "interrupts", VIRT_RTC_IRQ);
    fdt_tree_end(b);

    virt_fdt_node_at(b, "serial", VIRT_UART0_BASE);
    fdt_tree_str(b, "compatible", "ns16550a");
    fdt_tree_reg64(b, VIRT_UART0_BASE, UART16550_MMIO_SIZE);
    fdt_tree_u32(b, "clock-frequency", VIRT_UART_CLOCK);
    fdt_tree_u32(b, "interrupt-parent", plic_ph);
    fdt_tree_u32(b, "interrupts", VIRT_UART0_IRQ);
    fdt_tree_end(b);

    for (unsigned i = 0; i < v->nvirtio; i++) {
        uint64_t base = VIRT_VIRTIO_BASE + 0x1000ull * i;
        virt_fdt_node_at(b, "virtio_mmio", base);
        fdt_tree_str(b, "compatible", "virtio,mmio");
        fdt_tree_reg64(b, base, VIRTIO_MMIO_SIZE);
        fdt_tree_u32(b, "interrupt-parent", plic_ph);
        fdt_tree_u32(b, "interrupts", VIRT_VIRTIO_IRQ + i);
        fdt_tree_end(b);
    }
    fdt_tree_end(b); /* soc */

    /* Documentation/devicetree/bindings/power/reset/syscon-{poweroff,reboot}.yaml */
    fdt_tree_node(b, "poweroff");
    fdt_tree_str(b, "compatible", "syscon-poweroff");
    fdt_tree_u32(b, "regmap", test_ph);
    fdt_tree_u32(b, "offset", 0);
    fdt_tree_u32(b, "value", 0x5555);
    fdt_tree_end(b);
    fdt_tree_node(b, "reboot");
    fdt_tree_str(b, "compatible", "syscon-reboot");
    fdt_tree_u32(b, "regmap", test_ph);
    fdt_tree_u32(b, "offset", 0);
    fdt_tree_u32(b, "value", 0x7777);
    fdt_tree_end(b);
    return 0;
}

/* -- Boot images ------------------------------------------------------------------------- */

/* OpenSBI include/sbi/fw_dynamic.h (docs/firmware/fw_dynamic.md): the previous
 * stage passes this in a2; version 2 adds boot_hart. */
typedef struct FwDynamicInfo {
    uint64_t magic;     /* FW_DYNAMIC_INFO_MAGIC_VALUE, "OSBI" */
    uint64_t version;
    uint64_t next_addr; /* where OpenSBI jumps after init: the kernel */
    uint64_t next_mode; /* 0 U, 1 S, 3 M */
    uint64_t options;   /* SBI_SCRATCH_* (0: banner printed) */
    uint64_t boot_hart; /* preferred cold-boot hart; -1 = any */
} FwDynamicInfo;
#define FW_DYNAMIC_MAGIC 0x4942534full
#define FW_DYNAMIC_VERSION 2
#define FW_DYNAMIC_NEXT_S 1

/* The -bios default file: Debian's OpenSBI, found relative to the cwd or to the
 * vm binary's tree (make run builds it to build/vm). */
static const char *virt_find_bios(char *buf, size_t len)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    for (size_t i = 0; i < sizeof(virt_default_bios) / sizeof(virt_default_bios[0]); i++) {
        const char *p = virt_default_bios[i];
        if (p[0] != '/' && n > 0) {
            exe[n] = 0;
            char *slash = strrchr(exe, '/');
            if (slash) {
                *slash = 0;
                /* build/vm -> the tree is one folder up. */
                int k = snprintf(buf, len, "%s/../%s", exe, p);
                if (k > 0 && (size_t)k < len && !access(buf, R_OK)) return buf;
            }
        }
        if (!access(p, R_OK)) {
            snprintf(buf, len, "%s", p);
            return buf;
        }
    }
    return NULL;
}

static void virt_set_boot_regs(Virt *v)
{
    for (int i = 0; i < v->m.ncpus; i++) {
        RvCpu *c = rv_cpu(v->m.cpus[i]);
        /* Linux RISC-V boot protocol (Documentation/arch/riscv/boot.rst) and
         * fw_dynamic alike: a0 = hart id, a1 = device tree, (fw_dynamic) a2 =
         * struct fw_dynamic_info; every hart enters at the same address. */
        c->x[10] = (uint64_t)i;
        c->x[11] = v->fdt_pa;
        c->x[12] = v->firmware ? v->fw_info_pa : 0;
        c->common.pc = v->entry;
    }
}

static void virt_too_small(Virt *v, uint64_t kernel_size)
{
    char a[32], b[32];
    vm_error("kernel (%s)%s not fit in %s of RAM", loader_size_str(kernel_size, a, sizeof(a)),
             v->o->initrd ? " and initrd do" : " does", loader_size_str(v->m.ram_size, b, sizeof(b)));
}

/* Loads firmware, kernel, initrd and the device tree into RAM; sets the entry. */
static int virt_load(Virt *v, bool dump_only)
{
    const VmOptions *o = v->o;
    char err[512], bsz[32];
    LoaderRam ram = {.base = v->m.ram_base, .size = v->m.ram_size, .host = v->m.ram};
    LoaderFile fw = {0}, kern = {0}, initrd = {0};
    int rc = -1;
    uint64_t next = v->m.ram_base; /* first free address after what is placed */

    /* Firmware at the start of RAM: -bios default / FILE (none = no firmware). */
    const char *bios = o->bios ? o->bios : "default";
    char bios_buf[4096];
    v->firmware = strcmp(bios, "none") != 0;
    if (v->firmware) {
        if (!strcmp(bios, "default")) {
            bios = virt_find_bios(bios_buf, sizeof(bios_buf));
            if (!bios) {
                vm_error("-bios default: OpenSBI's fw_dynamic.bin not found (run scripts/fetch-images.sh, "
                         "or give -bios FILE or -bios none)");
                return -1;
            }
        }
        if (loader_read(bios, &fw, err, sizeof(err))) goto fail_err;
        const char *fa;
        LoaderKind k = loader_probe(&fw, &fa);
        if (k == LOADER_ELF && fa && strcmp(fa, "riscv64")) {
            vm_error("-bios %s: not a riscv64 firmware (%s)", bios, fa);
            goto out;
        }
        if (k != LOADER_ELF) k = LOADER_RAW;
        LoaderImage img;
        if (loader_layout(&fw, k, v->m.ram_base, &img, err, sizeof(err)) ||
            loader_load(&fw, &img, &ram, v->m.ram_base, err, sizeof(err)))
            goto fail_err;
        v->entry = img.entry;
        /* The kernel goes at the next 2 MiB boundary after the firmware
         * (Documentation/arch/riscv/boot.rst: rv64 kernels are 2 MiB aligned). */
        next = loader_align_up(img.hi, 2ull << 20);
    }

    /* The kernel (or bare-metal program). */
    v->kernel_entry = 0;
    uint64_t kernel_size = 0;
    if (o->kernel) {
        if (loader_read(o->kernel, &kern, err, sizeof(err))) goto fail_err;
        const char *ka;
        LoaderKind k = loader_probe(&kern, &ka);
        if (ka && strcmp(ka, "riscv64")) {
            vm_error("%s: a %s kernel cannot run on riscv64 virt", o->kernel, ka);
            goto out;
        }
        if (k == LOADER_ELF && !ka) {
            vm_error("%s: ELF for a machine vm does not emulate", o->kernel);
            goto out;
        }
        uint64_t load = next;
        if (k == LOADER_RV_IMAGE && v->firmware) {
            /* The header's text_offset is where the kernel wants to sit from
             * the start of RAM; never on top of the firmware. */
            uint64_t toff;
            loader_rv_image_header(&kern, &toff, NULL);
            if (toff & ((2ull << 20) - 1) || toff > (1ull << 30)) toff = 2ull << 20;
            if (v->m.ram_base + toff > load) load = v->m.ram_base + toff;
        }
        LoaderImage img;
        if (loader_layout(&kern, k, load, &img, err, sizeof(err))) goto fail_err;
        kernel_size = img.hi - img.lo;
        if (img.lo < v->m.ram_base || img.hi > v->m.ram_base + v->m.ram_size || img.hi < img.lo) {
            if (kernel_size <= v->m.ram_size && k == LOADER_ELF) {
                vm_error("%s: loads at 0x%llx-0x%llx, outside RAM (0x%llx-0x%llx)", o->kernel,
                         (unsigned long long)img.lo, (unsigned long long)img.hi,
                         (unsigned long long)v->m.ram_base,
                         (unsigned long long)(v->m.ram_base + v->m.ram_size));
            } else {
                virt_too_small(v, kernel_size);
            }
            goto out;
        }
        if (v->firmware && img.lo < next) {
            vm_error("%s: loads at 0x%llx, on top of the firmware (which ends at 0x%llx)", o->kernel,
                     (unsigned long long)img.lo, (unsigned long long)next);
            goto out;
        }
        if (!dump_only && loader_load(&kern, &img, &ram, load, err, sizeof(err))) goto fail_err;
        v->kernel_entry = img.entry;
        if (!v->firmware) v->entry = img.entry;
        if (img.hi > next) next = img.hi;
    } else if (!v->firmware) {
        vm_error("-bios none needs -kernel (a kernel or bare-metal program)");
        goto out;
    }

    /* The initrd after the kernel's image_size, 2 MiB aligned, then the device
     * tree: neither may overlap the kernel, whatever its size. */
    next = loader_align_up(next, 2ull << 20);
    v->initrd_start = v->initrd_end = 0;
    if (o->initrd) {
        if (loader_read(o->initrd, &initrd, err, sizeof(err))) goto fail_err;
        v->initrd_start = next;
        v->initrd_end = next + initrd.size;
        next = loader_align_up(v->initrd_end, 2ull << 20);
    }

    /* The device tree: generated, or -dtb FILE with /chosen updated. */
    void *blob = NULL;
    size_t cap = 0;
    /* Room after the tree for firmware that edits it in place (OpenSBI adds
     * its reserved-memory and fixes up nodes) and for /chosen. */
    const size_t slack = 16 * 1024;
    if (o->dtb) {
        if (fdt_file_load(o->dtb, &blob, &cap, slack + 4096 + (o->append ? strlen(o->append) : 0), err,
                          sizeof(err)))
            goto fail_err;
        if (fdt_chosen_update(blob, cap, o->append, v->initrd_start, v->initrd_end)) {
            vm_error("-dtb %s: cannot update /chosen", o->dtb);
            free(blob);
            goto out;
        }
    } else {
        FdtBuilder b;
        if (virt_build_fdt(v, &b) < 0) {
            fdt_tree_discard(&b);
            vm_error("cannot build the device tree");
            goto out;
        }
        if (fdt_tree_finish(&b, slack) < 0) {
            fdt_tree_discard(&b);
            goto out;
        }
        blob = b.blob;
        cap = b.cap;
    }

    if (dump_only) {
        const char *dump = strstr(o->machine_opts ? o->machine_opts : "", "dumpdtb=") + 8;
        char path[4096];
        snprintf(path, sizeof(path), "%.*s", (int)strcspn(dump, ","), dump);
        int r = fdt_file_write(blob, path, err, sizeof(err));
        free(blob);
        if (r) goto fail_err;
        rc = MACHINE_DONE;
        goto out;
    }

    /* 64 KiB past the blob stays free: OpenSBI grows the tree in place. */
    v->fdt_pa = loader_align_up(next, 4096);
    uint64_t need_end = v->fdt_pa + cap + (64u << 10);
    if (need_end - v->m.ram_base > v->m.ram_size) {
        free(blob);
        if (o->kernel)
            virt_too_small(v, kernel_size);
        else
            vm_error("the firmware does not fit in %s of RAM", loader_size_str(v->m.ram_size, bsz, sizeof(bsz)));
        goto out;
    }
    if (o->initrd &&
        loader_place(&ram, v->initrd_start, initrd.data, initrd.size, o->initrd, err, sizeof(err))) {
        free(blob);
        goto fail_err;
    }
    if (loader_place(&ram, v->fdt_pa, blob, cap, "device tree", err, sizeof(err))) {
        free(blob);
        goto fail_err;
    }
    free(blob);

    if (v->firmware) {
        /* fw_dynamic_info lives in the boot ROM, where nothing overwrites it. */
        FwDynamicInfo info = {
            .magic = FW_DYNAMIC_MAGIC,
            .version = FW_DYNAMIC_VERSION,
            .next_addr = o->kernel ? v->kernel_entry : v->m.ram_base + (2ull << 20),
            .next_mode = FW_DYNAMIC_NEXT_S,
            .options = 0,
            .boot_hart = 0,
        };
        memcpy(v->mrom, &info, sizeof(info));
        v->fw_info_pa = VIRT_MROM_BASE;
    }
    vm_log(LOG_MACHINE, LOG_INFO,
           "virt: entry 0x%llx kernel 0x%llx initrd 0x%llx-0x%llx fdt 0x%llx (%zu bytes)",
           (unsigned long long)v->entry, (unsigned long long)v->kernel_entry,
           (unsigned long long)v->initrd_start, (unsigned long long)v->initrd_end,
           (unsigned long long)v->fdt_pa, cap);
    rc = 0;
    goto out;
fail_err:
    vm_error("%s", err);
out:
    loader_release(&fw);
    loader_release(&kern);
    loader_release(&initrd);
    return rc;
}

/* -- Devices -------------------------------------------------------------------------- */

static int virt_add_virtio(Virt *v, VirtioMmio *d, Device *dev, const char *what)
{
    uint64_t base = VIRT_VIRTIO_BASE + 0x1000ull * v->nvirtio;
    if (phys_add_mmio(v->m.phys, base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, d, dev->name)) return -1;
    v->virtio_what[v->nvirtio++] = what;
    return 0;
}

/* The netdev a -device virtio-net[-device],netdev=ID names; NULL if none. */
static const VmNetdev *virt_find_netdev(const VmOptions *o, const char *dev)
{
    const char *p = strstr(dev, "netdev=");
    if (!p) return o->nnetdevs == 1 ? &o->netdevs[0] : NULL;
    p += 7;
    size_t n = strcspn(p, ",");
    for (int i = 0; i < o->nnetdevs; i++)
        if (o->netdevs[i].id && strlen(o->netdevs[i].id) == n && !strncmp(o->netdevs[i].id, p, n))
            return &o->netdevs[i];
    return NULL;
}

static int virt_devices(Virt *v)
{
    const VmOptions *o = v->o;
    PhysMap *pm = v->m.phys;
    int n = v->m.ncpus;
    char err[512];
    Device *dev;

    IrqLine msip[VIRT_MAX_CPUS], mtip[VIRT_MAX_CPUS], outs[2 * VIRT_MAX_CPUS];
    for (int i = 0; i < n; i++) {
        msip[i] = virt_hart_line(v, (unsigned)i, VIRT_MIP_MSIP);
        mtip[i] = virt_hart_line(v, (unsigned)i, VIRT_MIP_MTIP);
        outs[2 * i] = virt_hart_line(v, (unsigned)i, VIRT_MIP_MEIP);
        outs[2 * i + 1] = virt_hart_line(v, (unsigned)i, VIRT_MIP_SEIP);
    }
    dev = virt_dev_slot(v);
    Aclint *clint = aclint_new((unsigned)n, msip, mtip, NULL, dev);
    if (!clint || phys_add_mmio(pm, VIRT_CLINT_BASE, ACLINT_MMIO_SIZE, &aclint_mmio_ops, clint, dev->name))
        goto fail;
    dev = virt_dev_slot(v);
    v->plic = plic_new(VIRT_PLIC_NDEV, 2u * (unsigned)n, outs, dev);
    if (!v->plic || phys_add_mmio(pm, VIRT_PLIC_BASE, PLIC_VIRT_MMIO_SIZE, &plic_mmio_ops, v->plic, dev->name))
        goto fail;
    dev = virt_dev_slot(v);
    Uart16550 *uart = uart_new(v->host.serial, plic_irq_line(v->plic, VIRT_UART0_IRQ), dev);
    if (!uart || phys_add_mmio(pm, VIRT_UART0_BASE, UART16550_MMIO_SIZE, &uart_mmio_ops, uart, dev->name))
        goto fail;
    dev = virt_dev_slot(v);
    Finisher *fin = finisher_new(virt_power, v, dev);
    if (!fin || phys_add_mmio(pm, VIRT_TEST_BASE, FINISHER_MMIO_SIZE, &finisher_mmio_ops, fin, dev->name))
        goto fail;
    dev = virt_dev_slot(v);
    GoldfishRtc *rtc = rtc_new(plic_irq_line(v->plic, VIRT_RTC_IRQ), dev);
    if (!rtc || phys_add_mmio(pm, VIRT_RTC_BASE, RTC_MMIO_SIZE, &rtc_mmio_ops, rtc, dev->name)) goto fail;

    /* virtio-mmio slots in command-line order: drives, then -device entries. */
    for (int i = 0; i < o->ndrives; i++) {
        const VmDrive *d = &o->drives[i];
        if (d->iface && !strcmp(d->iface, "none")) continue; /* a -device names it */
        if (d->iface && strcmp(d->iface, "virtio")) {
            vm_error("-drive %s: if=%s is not supported (use if=virtio)", d->file, d->iface);
            return -1;
        }
        if (d->format && strcmp(d->format, "raw")) {
            vm_error("-drive %s: format=%s is not supported (use format=raw)", d->file, d->format);
            return -1;
        }
        if (v->nvirtio == VIRT_VIRTIO_SLOTS) goto full;
        dev = virt_dev_slot(v);
        VirtioMmio *blk = virtio_blk_new(pm, plic_irq_line(v->plic, VIRT_VIRTIO_IRQ + v->nvirtio), d, dev,
                                         err, sizeof(err));
        if (!blk) {
            vm_error("-drive %s: %s", d->file, err);
            return -1;
        }
        if (virt_add_virtio(v, blk, dev, "blk")) goto fail;
    }
    int nnet = 0;
    for (int i = 0; i < o->ndevices; i++) {
        const char *spec = o->devices[i];
        size_t tl = strcspn(spec, ",");
        if (v->nvirtio == VIRT_VIRTIO_SLOTS) goto full;
        if ((tl == 10 && !strncmp(spec, "virtio-net", 10)) || (tl == 17 && !strncmp(spec, "virtio-net-device", 17))) {
            const VmNetdev *nd = virt_find_netdev(o, spec);
            if (!nd) {
                vm_error("-device %s: no matching -netdev (give netdev=ID)", spec);
                return -1;
            }
            uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + nnet++)};
            dev = virt_dev_slot(v);
            VirtioMmio *net = virtio_net_new(pm, plic_irq_line(v->plic, VIRT_VIRTIO_IRQ + v->nvirtio), nd, mac,
                                             dev, err, sizeof(err));
            if (!net) {
                vm_error("-device %s: %s", spec, err);
                return -1;
            }
            if (virt_add_virtio(v, net, dev, "net")) goto fail;
        } else if ((tl == 10 && !strncmp(spec, "virtio-rng", 10)) ||
                   (tl == 17 && !strncmp(spec, "virtio-rng-device", 17))) {
            dev = virt_dev_slot(v);
            VirtioMmio *rng = virtio_rng_new(pm, plic_irq_line(v->plic, VIRT_VIRTIO_IRQ + v->nvirtio), dev);
            if (!rng || virt_add_virtio(v, rng, dev, "rng")) goto fail;
        } else if ((tl == 10 && !strncmp(spec, "virtio-blk", 10)) ||
                   (tl == 17 && !strncmp(spec, "virtio-blk-device", 17))) {
            const char *p = strstr(spec, "drive=");
            size_t idl = p ? strcspn(p + 6, ",") : 0;
            const VmDrive *d = NULL;
            for (int k = 0; p && k < o->ndrives; k++)
                if (o->drives[k].id && strlen(o->drives[k].id) == idl && !strncmp(o->drives[k].id, p + 6, idl))
                    d = &o->drives[k];
            if (!d) {
                vm_error("-device %s: no -drive with that id= (give drive=ID)", spec);
                return -1;
            }
            if (!d->iface || strcmp(d->iface, "none")) continue; /* if=virtio made it already */
            dev = virt_dev_slot(v);
            VirtioMmio *blk = virtio_blk_new(pm, plic_irq_line(v->plic, VIRT_VIRTIO_IRQ + v->nvirtio), d, dev,
                                             err, sizeof(err));
            if (!blk) {
                vm_error("-drive %s: %s", d->file, err);
                return -1;
            }
            if (virt_add_virtio(v, blk, dev, "blk")) goto fail;
        } else if (options_is_virtio_console(spec)) {
            /* options_parse checked chardev=ID names a -chardev used once. */
            int k = options_chardev_index(o, spec);
            if (k < 0) {
                vm_error("-device %s: no -chardev with that id (give chardev=ID)", spec);
                return -1;
            }
            CharDev *chr = v->host.chardevs ? v->host.chardevs[k] : NULL;
            dev = virt_dev_slot(v);
            VirtioMmio *cons = virtio_console_new(pm, plic_irq_line(v->plic, VIRT_VIRTIO_IRQ + v->nvirtio), chr, dev);
            if (!cons || virt_add_virtio(v, cons, dev, "console")) goto fail;
        } else {
            vm_error("-device %.*s: unknown device for virt (virtio-net, virtio-blk, virtio-rng, virtio-console)",
                     (int)tl, spec);
            return -1;
        }
    }
    return 0;
full:
    vm_error("too many virtio devices (virt has %d virtio-mmio slots)", VIRT_VIRTIO_SLOTS);
    return -1;
fail:
    vm_error("cannot create the virt devices");
    return -1;
}

/* -- Lifecycle ------------------------------------------------------------------------ */

static int virt_reset(Machine *m)
{
    Virt *v = m->priv;
    for (int i = 0; i < v->ndevs; i++)
        if (v->devs[i].reset) v->devs[i].reset(v->devs[i].opaque);
    if (m->engine->invalidate) m->engine->invalidate(0, 0);
    if (virt_load(v, false)) return -1;
    for (int i = 0; i < m->ncpus; i++) {
        rv_cpu_init_system(m->cpus[i], (unsigned)i);
        tlb_flush(m->cpus[i]);
    }
    virt_set_boot_regs(v);
    return 0;
}

static void virt_free(Machine *m)
{
    Virt *v = m->priv;
    for (int i = v->ndevs - 1; i >= 0; i--)
        if (v->devs[i].free) v->devs[i].free(v->devs[i].opaque);
    for (int i = 0; m->cpus && i < m->ncpus; i++) {
        if (!m->cpus[i]) continue;
        if (m->engine->cpu_free) m->engine->cpu_free(m->cpus[i]);
        rv_cpu_free_system(m->cpus[i]);
        if (m->cpus[i]->tlb) tlb_cpu_free(m->cpus[i]);
        free(m->cpus[i]);
    }
    free(m->cpus);
    if (m->phys) phys_free(m->phys);
    if (m->ram) ram_free(m->ram, m->ram_size);
    free(v->mrom);
    free(v);
}

/* -machine virt,k=v: only dumpdtb=FILE so far. */
static int virt_check_opts(const char *opts, bool *dump)
{
    *dump = false;
    while (opts && *opts) {
        size_t n = strcspn(opts, ",");
        if (n > 8 && !strncmp(opts, "dumpdtb=", 8)) *dump = true;
        else if (n) {
            vm_error("-machine virt: unknown option '%.*s' (supported: dumpdtb=FILE)", (int)n, opts);
            return -1;
        }
        opts += n + (opts[n] == ',');
    }
    return 0;
}

int virt_rv_create(const VmOptions *o, const Engine *e, const MachineHost *host, Machine **out)
{
    bool dump;
    if (virt_check_opts(o->machine_opts, &dump)) return -1;
    if (o->cpu_model && strcmp(o->cpu_model, "rv64") && strcmp(o->cpu_model, "max") &&
        strcmp(o->cpu_model, "any")) {
        vm_error("-cpu %s: unknown CPU model for riscv64 virt (rv64, max)", o->cpu_model);
        return -1;
    }
    if (o->smp < 1 || o->smp > VIRT_MAX_CPUS) {
        vm_error("-smp %d: virt supports 1 to %d CPUs", o->smp, VIRT_MAX_CPUS);
        return -1;
    }
    Virt *v = calloc(1, sizeof(*v));
    if (!v) return -1;
    Machine *m = &v->m;
    v->o = o;
    v->host = *host;
    m->name = "virt";
    m->arch = &rv_arch;
    m->engine = e;
    m->priv = v;
    m->reset = virt_reset;
    m->free = virt_free;
    m->devs = v->devs;
    m->ncpus = o->smp;
    m->ram_base = VIRT_DRAM_BASE;
    m->ram_size = o->ram_size ? o->ram_size : VIRT_DEFAULT_RAM;
    if (o->nnuma) {
        uint64_t sum = 0;
        bool all = true;
        for (int i = 0; i < o->nnuma; i++) {
            sum += o->numa[i].mem;
            all &= o->numa[i].mem != 0;
        }
        if (all && !o->ram_size) m->ram_size = sum;
        else if (sum > m->ram_size) {
            vm_error("-numa: the nodes' mem= add up to more than -m");
            goto fail;
        }
    }
    if (m->ram_size & 0xfff) {
        vm_error("-m: RAM size must be a multiple of 4 KiB");
        goto fail;
    }
    m->ram = ram_alloc(m->ram_size, o->numa, o->nnuma);
    if (!m->ram) {
        char s[32];
        vm_error("cannot allocate %s of guest RAM: %s", loader_size_str(m->ram_size, s, sizeof(s)), strerror(errno));
        goto fail;
    }
    m->phys = phys_new();
    v->mrom = calloc(1, VIRT_MROM_SIZE);
    if (!m->phys || !v->mrom ||
        phys_add_ram(m->phys, m->ram_base, m->ram_size, m->ram, "ram") ||
        phys_add_rom(m->phys, VIRT_MROM_BASE, VIRT_MROM_SIZE, v->mrom, "mrom")) {
        vm_error("cannot build the physical memory map");
        goto fail;
    }

    m->cpus = calloc((size_t)m->ncpus, sizeof(*m->cpus));
    if (!m->cpus) goto fail;
    if (!dump) {
        for (int i = 0; i < m->ncpus; i++) {
            CpuState *cpu = calloc(1, rv_arch.cpu_size);
            if (!cpu) goto fail;
            m->cpus[i] = cpu;
            cpu_common_init(cpu);
            cpu->arch = &rv_arch;
            cpu->cpu_index = i;
            cpu->opaque = m;
            int r = tlb_cpu_init(cpu, m->phys);
            if (!r && e->cpu_init) r = e->cpu_init(cpu);
            if (r) {
                vm_error("cannot set up vCPU %d: %s", i, strerror(-r));
                goto fail;
            }
            rv_cpu_init_system(cpu, (unsigned)i);
        }
    }
    if (virt_devices(v)) goto fail;
    int r = virt_load(v, dump);
    if (r == MACHINE_DONE) {
        virt_free(m);
        return MACHINE_DONE;
    }
    if (r) goto fail;
    virt_set_boot_regs(v);
    *out = m;
    return 0;
fail:
    virt_free(m);
    return -1;
}
