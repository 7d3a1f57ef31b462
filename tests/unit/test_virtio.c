/* SPDX-License-Identifier: MIT */
/* virtio-mmio + split virtqueue + virtio-blk/rng tests: drive the registers
 * directly over a fake PhysMap of malloc'd RAM, including malicious rings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio_int.h"
#include "vm/devices.h"
#include "vm/mem.h"

/* -- A fake physical map: one RAM region (link seam for phys_*) ----------------------- */

struct PhysMap {
    uint8_t *ram;
    uint64_t base, size;
};

uint8_t *phys_ram_ptr(const PhysMap *m, uint64_t pa, uint64_t len)
{
    if (pa < m->base || len > m->size || pa - m->base > m->size - len) return NULL;
    return m->ram + (pa - m->base);
}

int phys_read(const PhysMap *m, uint64_t pa, void *buf, size_t len)
{
    uint8_t *p = phys_ram_ptr(m, pa, len);
    if (!p) return -EFAULT;
    memcpy(buf, p, len);
    return 0;
}

int phys_write(PhysMap *m, uint64_t pa, const void *buf, size_t len)
{
    uint8_t *p = phys_ram_ptr(m, pa, len);
    if (!p) return -EFAULT;
    memcpy(p, buf, len);
    return 0;
}

/* Device writes into guest RAM must be reported (the soft MMU drops code
 * translated from those pages): the last range reported. */
static uint64_t dma_pa, dma_len;
void phys_dma_written(PhysMap *m, uint64_t pa, uint64_t len)
{
    (void)m;
    dma_pa = pa;
    dma_len = len;
}

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1u << 20)
#define DESC (RAM_BASE + 0x1000)
#define AVAIL (RAM_BASE + 0x2000)
#define USED (RAM_BASE + 0x3000)
#define BUF (RAM_BASE + 0x10000)
#define QSZ 16
#define IMG_SECTORS 128

static int irq_level;
static void fake_irq(void *opaque, unsigned n, int level) { irq_level = level; }

typedef struct Env {
    struct PhysMap pm;
    char path[64];
    VirtioMmio *vm;
    Device dev;
    uint16_t avail_idx, used_seen;
} Env;

static uint32_t rd(Env *e, uint64_t off) { return (uint32_t)virtio_mmio_ops.read(e->vm, off, 4); }
static void wr(Env *e, uint64_t off, uint32_t v) { virtio_mmio_ops.write(e->vm, off, v, 4); }
static uint8_t *ram(Env *e, uint64_t pa) { return e->pm.ram + (pa - RAM_BASE); }

static void set_desc(Env *e, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint8_t *d = ram(e, table) + 16 * i;
    virtio_put_le64(d, addr);
    virtio_put_le32(d + 8, len);
    virtio_put_le16(d + 12, flags);
    virtio_put_le16(d + 14, next);
}

static uint16_t used_idx(Env *e)
{
    return __atomic_load_n((uint16_t *)ram(e, USED + 2), __ATOMIC_ACQUIRE);
}

/* Posts head and kicks queue 0. */
static void submit(Env *e, uint16_t head)
{
    virtio_put_le16(ram(e, AVAIL + 4 + 2 * (e->avail_idx % QSZ)), head);
    e->avail_idx++;
    __atomic_store_n((uint16_t *)ram(e, AVAIL + 2), e->avail_idx, __ATOMIC_RELEASE);
    wr(e, 0x050, 0);
}

/* Waits for the next used element; returns its len (or -1 on timeout). */
static long wait_used(Env *e, uint32_t *id)
{
    for (int i = 0; i < 5000 && used_idx(e) == e->used_seen; i++) usleep(1000);
    if (used_idx(e) == e->used_seen) return -1;
    uint8_t *ent = ram(e, USED + 4 + 8 * (e->used_seen % QSZ));
    e->used_seen++;
    if (id) memcpy(id, ent, 4);
    uint32_t len;
    memcpy(&len, ent + 4, 4);
    return len;
}

static void negotiate(Env *e, uint64_t feats)
{
    wr(e, 0x070, 0);
    wr(e, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(e, 0x024, 0);
    wr(e, 0x020, (uint32_t)feats);
    wr(e, 0x024, 1);
    wr(e, 0x020, (uint32_t)(feats >> 32));
    wr(e, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

static void setup_queue(Env *e, uint64_t desc, uint64_t avail, uint64_t used)
{
    memset(ram(e, DESC), 0, 0x3000);
    e->avail_idx = e->used_seen = 0;
    wr(e, 0x030, 0);
    wr(e, 0x038, QSZ);
    wr(e, 0x080, (uint32_t)desc); wr(e, 0x084, (uint32_t)(desc >> 32));
    wr(e, 0x090, (uint32_t)avail); wr(e, 0x094, (uint32_t)(avail >> 32));
    wr(e, 0x0a0, (uint32_t)used); wr(e, 0x0a4, (uint32_t)(used >> 32));
    wr(e, 0x044, 1);
}

static void bring_up(Env *e, uint64_t feats)
{
    negotiate(e, feats);
    setup_queue(e, DESC, AVAIL, USED);
    wr(e, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                     VIRTIO_STATUS_DRIVER_OK);
}

static Env *env_new(bool readonly)
{
    Env *e = calloc(1, sizeof(*e));
    e->pm.ram = calloc(1, RAM_SIZE);
    e->pm.base = RAM_BASE;
    e->pm.size = RAM_SIZE;
    snprintf(e->path, sizeof(e->path), "/tmp/vm-test-virtio-XXXXXX");
    int fd = mkstemp(e->path);
    assert_true(fd >= 0);
    uint8_t sec[512];
    for (int s = 0; s < IMG_SECTORS; s++) {
        for (int i = 0; i < 512; i++) sec[i] = (uint8_t)(s * 7 + i);
        assert_int_equal(write(fd, sec, 512), 512);
    }
    close(fd);
    VmDrive d = { .file = e->path, .format = "raw", .id = "disk0", .readonly = readonly };
    char err[200] = "";
    irq_level = 0;
    e->vm = virtio_blk_new(&e->pm, (IrqLine){ fake_irq, NULL, 1 }, &d, &e->dev, err, sizeof err);
    assert_non_null(e->vm);
    return e;
}

static void env_free(Env *e)
{
    e->dev.free(e->dev.opaque);
    unlink(e->path);
    free(e->pm.ram);
    free(e);
}

#define F_STD (VIRTIO_BIT(VIRTIO_F_VERSION_1))

/* A 3-descriptor request at descriptors base..base+2: header, data, status. */
static void blk_req(Env *e, unsigned base, uint32_t type, uint64_t sector, uint64_t data,
                    uint32_t len, bool dev_writes)
{
    uint64_t hdr = BUF + 0x100 * base;
    uint8_t *h = ram(e, hdr);
    virtio_put_le32(h, type);
    virtio_put_le32(h + 4, 0);
    virtio_put_le64(h + 8, sector);
    set_desc(e, DESC, base, hdr, 16, 1, (uint16_t)(base + 1));
    set_desc(e, DESC, base + 1, data, len, (uint16_t)(1 | (dev_writes ? 2 : 0)), (uint16_t)(base + 2));
    set_desc(e, DESC, base + 2, hdr + 16, 1, 2, 0);
    ram(e, hdr + 16)[0] = 0xee;
}

static uint8_t blk_status(Env *e, unsigned base) { return ram(e, BUF + 0x100 * base + 16)[0]; }

/* -- Tests ----------------------------------------------------------------------------- */

static void test_identity(void **state)
{
    Env *e = env_new(false);
    assert_int_equal(rd(e, 0x000), 0x74726976);
    assert_int_equal(rd(e, 0x004), 2);
    assert_int_equal(rd(e, 0x008), VIRTIO_ID_BLOCK);
    wr(e, 0x014, 1);
    assert_true(rd(e, 0x010) & 1); /* VERSION_1 = bit 32 */
    wr(e, 0x030, 0);
    assert_int_equal(rd(e, 0x034), 256);
    uint64_t cap = virtio_mmio_ops.read(e->vm, 0x100, 8);
    assert_int_equal(cap, IMG_SECTORS);
    assert_int_equal(virtio_mmio_ops.read(e->vm, 0x100 + 20, 4), 512);
    /* No VERSION_1: FEATURES_OK refused. */
    negotiate(e, 0);
    assert_false(rd(e, 0x070) & VIRTIO_STATUS_FEATURES_OK);
    /* A feature not offered: refused too. */
    negotiate(e, F_STD | VIRTIO_BIT(40));
    assert_false(rd(e, 0x070) & VIRTIO_STATUS_FEATURES_OK);
    negotiate(e, F_STD);
    assert_true(rd(e, 0x070) & VIRTIO_STATUS_FEATURES_OK);
    env_free(e);
}

static void do_read_write(bool event_idx)
{
    Env *e = env_new(false);
    bring_up(e, F_STD | (event_idx ? VIRTIO_BIT(VIRTIO_F_EVENT_IDX) : 0));
    assert_int_equal(rd(e, 0x070) & 0x4f, 0x0f);
    /* Read sectors 3-4. */
    blk_req(e, 0, 0, 3, BUF + 0x8000, 1024, true);
    submit(e, 0);
    uint32_t id = 99;
    assert_int_equal(wait_used(e, &id), 1025);
    assert_int_equal(id, 0);
    assert_int_equal(blk_status(e, 0), 0);
    for (int i = 0; i < 1024; i++)
        assert_int_equal(ram(e, BUF + 0x8000)[i], (uint8_t)((3 + i / 512) * 7 + i % 512));
    if (!event_idx) {
        assert_int_equal(irq_level, 1);
        assert_int_equal(rd(e, 0x060), 1);
        wr(e, 0x064, 1);
        assert_int_equal(irq_level, 0);
    }
    /* Write sector 10, then check the file. */
    memset(ram(e, BUF + 0x9000), 0xa5, 512);
    blk_req(e, 3, 1, 10, BUF + 0x9000, 512, false);
    submit(e, 3);
    assert_int_equal(wait_used(e, &id), 1);
    assert_int_equal(id, 3);
    assert_int_equal(blk_status(e, 3), 0);
    FILE *f = fopen(e->path, "rb");
    uint8_t sec[512];
    fseek(f, 10 * 512, SEEK_SET);
    assert_int_equal(fread(sec, 1, 512, f), 512);
    fclose(f);
    for (int i = 0; i < 512; i++) assert_int_equal(sec[i], 0xa5);
    /* Flush: header + status only. */
    blk_req(e, 6, 4, 0, 0, 0, false);
    set_desc(e, DESC, 6, BUF + 0x600, 16, 1, 8);
    set_desc(e, DESC, 8, BUF + 0x600 + 16, 1, 2, 0);
    ram(e, BUF + 0x600 + 16)[0] = 0xee;
    submit(e, 6);
    assert_int_equal(wait_used(e, NULL), 1);
    assert_int_equal(blk_status(e, 6), 0);
    /* GET_ID. */
    blk_req(e, 9, 8, 0, BUF + 0xa000, 20, true);
    submit(e, 9);
    assert_int_equal(wait_used(e, NULL), 21);
    assert_string_equal((char *)ram(e, BUF + 0xa000), "disk0");
    /* Beyond capacity and not sector-sized: IOERR, the device keeps running. */
    blk_req(e, 12, 0, IMG_SECTORS - 1, BUF + 0x8000, 1024, true);
    submit(e, 12);
    assert_int_equal(wait_used(e, NULL), 1);
    assert_int_equal(blk_status(e, 12), 1);
    blk_req(e, 0, 0, 0, BUF + 0x8000, 100, true);
    submit(e, 0);
    assert_int_equal(wait_used(e, NULL), 1);
    assert_int_equal(blk_status(e, 0), 1);
    /* Unknown type: UNSUPP. */
    blk_req(e, 3, 77, 0, BUF + 0x8000, 512, true);
    submit(e, 3);
    assert_int_equal(wait_used(e, NULL), 1);
    assert_int_equal(blk_status(e, 3), 2);
    assert_false(rd(e, 0x070) & VIRTIO_STATUS_NEEDS_RESET);
    env_free(e);
}

static void test_read_write(void **state) { do_read_write(false); }
static void test_read_write_event_idx(void **state) { do_read_write(true); }

static void test_read_write_threads(void **state)
{
    setenv("VM_AIO", "threads", 1);
    do_read_write(false);
    unsetenv("VM_AIO");
}

static void test_indirect(void **state)
{
    Env *e = env_new(false);
    bring_up(e, F_STD | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
    uint64_t tbl = BUF + 0x4000;
    uint8_t *h = ram(e, BUF);
    virtio_put_le32(h, 0);
    virtio_put_le64(h + 8, 5);
    set_desc(e, tbl, 0, BUF, 16, 1, 1);
    set_desc(e, tbl, 1, BUF + 0x8000, 256, 3, 2);
    set_desc(e, tbl, 2, BUF + 0x8100, 256, 3, 3);
    set_desc(e, tbl, 3, BUF + 16, 1, 2, 0);
    set_desc(e, DESC, 0, tbl, 64, 4, 0);
    submit(e, 0);
    assert_int_equal(wait_used(e, NULL), 513);
    assert_int_equal(ram(e, BUF + 16)[0], 0);
    assert_int_equal(ram(e, BUF + 0x8100)[0], (uint8_t)(5 * 7 + 256));
    /* Nested indirect: NEEDS_RESET. */
    set_desc(e, tbl, 0, tbl, 64, 4, 0);
    submit(e, 0);
    assert_int_equal(used_idx(e), 1); /* the bad one was not used */
    assert_true(rd(e, 0x070) & VIRTIO_STATUS_NEEDS_RESET);
    assert_true(rd(e, 0x060) & 2);
    env_free(e);
}

/* Each malicious ring ends in NEEDS_RESET with nothing used, and a reset
 * brings the device back. */
typedef void (*Poison)(Env *e);

static void poison_head(Env *e) { submit(e, QSZ + 3); }
static void poison_loop(Env *e)
{
    set_desc(e, DESC, 0, BUF, 16, 1, 1);
    set_desc(e, DESC, 1, BUF + 0x100, 16, 1, 0);
    submit(e, 0);
}
static void poison_next(Env *e)
{
    blk_req(e, 0, 0, 0, BUF + 0x8000, 512, true);
    set_desc(e, DESC, 1, BUF + 0x8000, 512, 3, 40000);
    submit(e, 0);
}
static void poison_huge(Env *e)
{
    blk_req(e, 0, 0, 0, BUF + 0x8000, 0xffffffffu, true);
    submit(e, 0);
}
static void poison_outside(Env *e)
{
    blk_req(e, 0, 0, 0, 0x1000, 512, true);
    submit(e, 0);
}
static void poison_wrap(Env *e)
{
    blk_req(e, 0, 0, 0, UINT64_MAX - 100, 512, true);
    submit(e, 0);
}
static void poison_order(Env *e)
{
    /* A readable buffer after a writable one. */
    set_desc(e, DESC, 0, BUF, 16, 3, 1);
    set_desc(e, DESC, 1, BUF + 0x100, 16, 1, 0);
    submit(e, 0);
}
static void poison_avail(Env *e)
{
    e->avail_idx = 1000;
    submit(e, 0);
}
static void poison_indirect_off(Env *e)
{
    /* INDIRECT_DESC not negotiated. */
    set_desc(e, DESC, 0, BUF + 0x4000, 64, 4, 0);
    submit(e, 0);
}

static void test_malicious(void **state)
{
    static const Poison cases[] = { poison_head, poison_loop, poison_next, poison_huge,
                                    poison_outside, poison_wrap, poison_order, poison_avail,
                                    poison_indirect_off };
    Env *e = env_new(false);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bring_up(e, F_STD);
        cases[i](e);
        assert_true(rd(e, 0x070) & VIRTIO_STATUS_NEEDS_RESET);
        assert_int_equal(used_idx(e), 0);
        /* Further kicks are ignored until reset. */
        wr(e, 0x050, 0);
        wr(e, 0x070, 0);
        assert_int_equal(rd(e, 0x070), 0);
        assert_int_equal(irq_level, 0);
        /* Works again after reset. */
        bring_up(e, F_STD);
        blk_req(e, 0, 0, 1, BUF + 0x8000, 512, true);
        submit(e, 0);
        assert_int_equal(wait_used(e, NULL), 513);
        assert_int_equal(blk_status(e, 0), 0);
    }
    env_free(e);
}

static void test_bad_queue_setup(void **state)
{
    Env *e = env_new(false);
    negotiate(e, F_STD);
    setup_queue(e, RAM_BASE + RAM_SIZE - 8, AVAIL, USED); /* desc table past RAM */
    assert_int_equal(rd(e, 0x044), 0);
    assert_true(rd(e, 0x070) & VIRTIO_STATUS_NEEDS_RESET);
    wr(e, 0x070, 0);
    negotiate(e, F_STD);
    wr(e, 0x038, 12); /* not a power of two */
    wr(e, 0x044, 1);
    assert_int_equal(rd(e, 0x044), 0);
    wr(e, 0x070, 0);
    negotiate(e, F_STD);
    wr(e, 0x038, 512); /* above QueueNumMax */
    wr(e, 0x044, 1);
    assert_int_equal(rd(e, 0x044), 0);
    /* Config and register accesses out of range are ignored. */
    assert_int_equal(virtio_mmio_ops.read(e->vm, 0xffc, 4), 0);
    virtio_mmio_ops.write(e->vm, 0xffc, 1, 4);
    assert_int_equal(virtio_mmio_ops.read(e->vm, 0x22, 2), 0);
    env_free(e);
}

static void test_readonly(void **state)
{
    Env *e = env_new(true);
    wr(e, 0x014, 0);
    assert_true(rd(e, 0x010) & (1u << 5)); /* VIRTIO_BLK_F_RO */
    bring_up(e, F_STD);
    blk_req(e, 0, 1, 0, BUF + 0x8000, 512, false);
    submit(e, 0);
    assert_int_equal(wait_used(e, NULL), 1);
    assert_int_equal(blk_status(e, 0), 1);
    blk_req(e, 3, 0, 0, BUF + 0x8000, 512, true);
    submit(e, 3);
    assert_int_equal(wait_used(e, NULL), 513);
    assert_int_equal(blk_status(e, 3), 0);
    env_free(e);
}

static void test_snapshot(void **state)
{
    Env *e = env_new(false);
    bring_up(e, F_STD);
    blk_req(e, 0, 0, 1, BUF + 0x8000, 512, true);
    submit(e, 0);
    assert_int_equal(wait_used(e, NULL), 513);
    SnapVisitor *w = snap_writer_new();
    assert_int_equal(e->dev.snapshot(e->dev.opaque, w), 0);
    size_t len;
    void *buf = snap_writer_finish(w, &len);
    wr(e, 0x070, 0);
    SnapVisitor *r = snap_reader_new(buf, len);
    assert_int_equal(e->dev.snapshot(e->dev.opaque, r), 0);
    assert_int_equal(snap_reader_finish(r), 0);
    assert_int_equal(rd(e, 0x070) & 0xf, 0xf);
    assert_int_equal(rd(e, 0x044), 1);
    blk_req(e, 3, 0, 2, BUF + 0x8000, 512, true);
    submit(e, 3);
    assert_int_equal(wait_used(e, NULL), 513);
    /* Truncated input is refused. */
    r = snap_reader_new(buf, len / 2);
    assert_int_not_equal(e->dev.snapshot(e->dev.opaque, r), 0);
    assert_int_not_equal(snap_reader_finish(r), 0);
    free(buf);
    env_free(e);
}

static void test_rng(void **state)
{
    Env *e = calloc(1, sizeof(*e));
    e->pm.ram = calloc(1, RAM_SIZE);
    e->pm.base = RAM_BASE;
    e->pm.size = RAM_SIZE;
    e->vm = virtio_rng_new(&e->pm, (IrqLine){ fake_irq, NULL, 2 }, &e->dev);
    assert_int_equal(rd(e, 0x008), VIRTIO_ID_RNG);
    bring_up(e, F_STD);
    set_desc(e, DESC, 0, BUF, 64, 2, 0);
    dma_pa = dma_len = 0;
    submit(e, 0);
    assert_int_equal(wait_used(e, NULL), 64);
    assert_int_equal(dma_pa, BUF); /* the device-writable buffer was reported */
    assert_int_equal(dma_len, 64);
    int nonzero = 0;
    for (int i = 0; i < 64; i++) nonzero += ram(e, BUF)[i] != 0;
    assert_true(nonzero > 32);
    e->dev.free(e->dev.opaque);
    free(e->pm.ram);
    free(e);
}

static void test_missing_file(void **state)
{
    struct PhysMap pm = { 0 };
    VmDrive d = { .file = "/nonexistent/vm-disk.img" };
    Device dev;
    char err[200] = "";
    assert_null(virtio_blk_new(&pm, (IrqLine){ 0 }, &d, &dev, err, sizeof err));
    assert_non_null(strstr(err, "nonexistent"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_read_write),
        cmocka_unit_test(test_read_write_event_idx),
        cmocka_unit_test(test_read_write_threads),
        cmocka_unit_test(test_indirect),
        cmocka_unit_test(test_malicious),
        cmocka_unit_test(test_bad_queue_setup),
        cmocka_unit_test(test_readonly),
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
