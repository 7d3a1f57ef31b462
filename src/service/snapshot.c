/* SPDX-License-Identifier: MIT */
/* Snapshots: the file format (docs/snapshot-format.md), saving and loading a
 * whole machine (vCPUs, devices, RAM), and the command-line side: restore at
 * start-up (-snapshot-load) and the -snapshot-save triggers (text on the
 * serial console, guest power-off, SIGUSR1). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "service/sys_int.h"
#include "vm/log.h"
#include "vm/machine.h"
#include "vm/options.h"
#include "vm/snap.h"
#include "vm/timer.h"
#include "vm/tlb.h"

/* -- The file format ------------------------------------------------------------------ */

static const uint8_t snap_magic[8] = {'V', 'M', 'S', 'N', 'A', 'P', 0x1a, '\n'};
#define SNAP_VERSION 1
#define SNAP_HDR_SIZE 32
#define SNAP_PAGE 4096ull
#define SNAP_RAM_PREFIX 16 /* ram_size u64, page_size u32, reserved u32 */
#define SNAP_NAME_MAX 64
#define SNAP_DRIVE_SAMPLE (1u << 20) /* bytes hashed at each end of a disk image */
#define SNAP_DEFLATE_RUN 65536u      /* pages per deflate() input: 256 MiB fits a uInt */

enum { SEC_CONF, SEC_MACH, SEC_CPU, SEC_DEV, SEC_RAM, SEC_END, SEC_NKINDS };
static const char snap_kinds[SEC_NKINDS][5] = {"CONF", "MACH", "CPU ", "DEV ", "RAM ", "END "};

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* zlib's crc32 takes a uInt length: feed large buffers in pieces. */
static uint32_t snap_crc(uint32_t crc, const void *buf, uint64_t len)
{
    const uint8_t *p = buf;
    while (len) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = (uint32_t)crc32(crc, p, n);
        p += n;
        len -= n;
    }
    return crc;
}

static void snap_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void snap_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* This thread's CPU time: the -d/VM_LOG timing lines report it beside the
 * wall time, which a busy host inflates. */
static double snap_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool snap_page_zero(const uint8_t *p)
{
    const uint64_t *q = (const uint64_t *)p;
    uint64_t acc = 0;
    for (size_t i = 0; i < SNAP_PAGE / 8; i++) acc |= q[i];
    return acc == 0;
}

/* Each device's section name: its Device.name, with "#k" added for the k-th
 * (k >= 1) later device of the same name (two -drive give virtio-blk, virtio-blk#1). */
static void snap_dev_name(const Machine *m, int i, char *buf, size_t len)
{
    int k = 0;
    for (int j = 0; j < i; j++) k += !strcmp(m->devs[j].name, m->devs[i].name);
    if (k) snprintf(buf, len, "%s#%d", m->devs[i].name, k);
    else snprintf(buf, len, "%s", m->devs[i].name);
}

/* -- Machine configuration (the CONF section) ----------------------------------------- */

typedef struct SnapDrive {
    char path[4096];
    uint64_t size, mtime_ns;
    uint32_t crc_head, crc_tail; /* CRC-32 of the first and the last MiB */
    uint8_t readonly;
} SnapDrive;

typedef struct SnapConf {
    char arch[SNAP_NAME_MAX], machine[SNAP_NAME_MAX];
    uint64_t ram_base, ram_size;
    uint32_t ncpus, ndevs, ndrives;
    char (*devs)[SNAP_NAME_MAX];
    SnapDrive drives[VM_MAX_DRIVES];
} SnapConf;

/* A string as two records: its length, then its bytes (no NUL). */
static void snap_str(SnapVisitor *v, const char *name, char *buf, size_t cap)
{
    char lname[80];
    snprintf(lname, sizeof(lname), "%s.len", name);
    uint32_t n = (uint32_t)strnlen(buf, cap - 1);
    snap_u32(v, lname, &n);
    if (snap_loading(v) && snap_status(v) == 0 && n >= cap) snap_fail(v, "string too long");
    if (snap_status(v)) return;
    snap_bytes(v, name, buf, n);
    if (snap_loading(v)) buf[snap_status(v) ? 0 : n] = 0;
}

/* Saves or loads c; on load the device name array is allocated here. */
static int snap_conf_visit(SnapVisitor *v, SnapConf *c)
{
    snap_str(v, "arch", c->arch, sizeof(c->arch));
    snap_str(v, "machine", c->machine, sizeof(c->machine));
    snap_u64(v, "ram_base", &c->ram_base);
    snap_u64(v, "ram_size", &c->ram_size);
    snap_u32(v, "ncpus", &c->ncpus);
    snap_u32(v, "ndevs", &c->ndevs);
    if (snap_loading(v) && snap_status(v) == 0) {
        if (c->ndevs > 1024) snap_fail(v, "too many devices");
        else if (!(c->devs = calloc(c->ndevs ? c->ndevs : 1, sizeof(*c->devs))))
            snap_fail(v, "out of memory");
    }
    for (uint32_t i = 0; i < c->ndevs && snap_status(v) == 0; i++)
        snap_str(v, "dev", c->devs[i], sizeof(c->devs[i]));
    snap_u32(v, "ndrives", &c->ndrives);
    if (snap_loading(v) && snap_status(v) == 0 && c->ndrives > VM_MAX_DRIVES)
        snap_fail(v, "too many drives");
    for (uint32_t i = 0; i < c->ndrives && snap_status(v) == 0; i++) {
        SnapDrive *d = &c->drives[i];
        snap_str(v, "drive", d->path, sizeof(d->path));
        snap_u64(v, "size", &d->size);
        snap_u64(v, "mtime_ns", &d->mtime_ns);
        snap_u32(v, "crc_head", &d->crc_head);
        snap_u32(v, "crc_tail", &d->crc_tail);
        snap_u8(v, "readonly", &d->readonly);
    }
    return snap_status(v);
}

/* What identifies a disk image cheaply: size, modification time and CRCs of
 * its first and last MiB (a copy made with `cp -p` keeps all of them). */
static int snap_drive_id(const VmDrive *vd, SnapDrive *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "%s", vd->file);
    d->readonly = vd->readonly;
    int fd = open(vd->file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snap_err(err, errlen, "-drive %s: %s", vd->file, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    d->size = (uint64_t)st.st_size;
    d->mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
    uint8_t *buf = malloc(SNAP_DRIVE_SAMPLE);
    if (!buf) {
        close(fd);
        snap_err(err, errlen, "out of memory");
        return -1;
    }
    uint64_t n = d->size < SNAP_DRIVE_SAMPLE ? d->size : SNAP_DRIVE_SAMPLE;
    int rc = 0;
    for (int end = 0; end < 2 && rc == 0; end++) {
        off_t off = end ? (off_t)(d->size - n) : 0;
        ssize_t r = pread(fd, buf, n, off);
        if (r != (ssize_t)n) {
            snap_err(err, errlen, "-drive %s: cannot read it: %s", vd->file,
                     r < 0 ? strerror(errno) : "short read");
            rc = -1;
        } else {
            uint32_t crc = snap_crc(0, buf, n);
            if (end) d->crc_tail = crc;
            else d->crc_head = crc;
        }
    }
    free(buf);
    close(fd);
    return rc;
}

static int snap_conf_build(const Machine *m, const VmOptions *o, SnapConf *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->arch, sizeof(c->arch), "%s", m->arch->name);
    snprintf(c->machine, sizeof(c->machine), "%s", m->name);
    c->ram_base = m->ram_base;
    c->ram_size = m->ram_size;
    c->ncpus = (uint32_t)m->ncpus;
    c->ndevs = (uint32_t)m->ndevs;
    c->devs = calloc(m->ndevs ? (size_t)m->ndevs : 1, sizeof(*c->devs));
    if (!c->devs) {
        snap_err(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < m->ndevs; i++) snap_dev_name(m, i, c->devs[i], sizeof(c->devs[i]));
    for (int i = 0; o && i < o->ndrives; i++)
        if (snap_drive_id(&o->drives[i], &c->drives[c->ndrives++], err, errlen)) return -1;
    return 0;
}

static void snap_size_str(uint64_t b, char *buf, size_t len)
{
    if (b && !(b & ((1ull << 30) - 1))) snprintf(buf, len, "%llu GiB", (unsigned long long)(b >> 30));
    else if (b && !(b & ((1ull << 20) - 1))) snprintf(buf, len, "%llu MiB", (unsigned long long)(b >> 20));
    else snprintf(buf, len, "%llu bytes", (unsigned long long)b);
}

/* One line saying how the snapshot's configuration (s) differs from this
 * machine's (c), or 0 when they match. */
static int snap_conf_compare(const SnapConf *s, const SnapConf *c, const char *path, char *err,
                             size_t errlen)
{
    char a[32], b[32];
    if (strcmp(s->arch, c->arch)) {
        snap_err(err, errlen, "%s: the snapshot is of a %s guest, this machine is %s", path, s->arch, c->arch);
        return -1;
    }
    if (strcmp(s->machine, c->machine)) {
        snap_err(err, errlen, "%s: the snapshot is of machine '%s', this is '%s' (-M must match)", path,
                 s->machine, c->machine);
        return -1;
    }
    if (s->ram_size != c->ram_size || s->ram_base != c->ram_base) {
        snap_size_str(s->ram_size, a, sizeof(a));
        snap_size_str(c->ram_size, b, sizeof(b));
        snap_err(err, errlen, "%s: the snapshot has %s of RAM, this machine %s (-m must match)", path, a, b);
        return -1;
    }
    if (s->ncpus != c->ncpus) {
        snap_err(err, errlen, "%s: the snapshot is of a machine with %u vCPU(s), this one has %u (-smp must match)",
                 path, s->ncpus, c->ncpus);
        return -1;
    }
    for (uint32_t i = 0; i < s->ndevs || i < c->ndevs; i++) {
        if (i < s->ndevs && i < c->ndevs && !strcmp(s->devs[i], c->devs[i])) continue;
        snap_err(err, errlen,
                 "%s: the snapshot's devices differ from this machine's (device %u is %s in the "
                 "snapshot, %s here; -drive/-device/-netdev must match)",
                 path, i, i < s->ndevs ? s->devs[i] : "missing", i < c->ndevs ? c->devs[i] : "missing");
        return -1;
    }
    if (s->ndrives != c->ndrives) {
        snap_err(err, errlen, "%s: the snapshot was taken with %u -drive, this command line has %u", path,
                 s->ndrives, c->ndrives);
        return -1;
    }
    for (uint32_t i = 0; i < s->ndrives; i++) {
        const SnapDrive *x = &s->drives[i], *y = &c->drives[i];
        if (x->size != y->size) {
            snap_err(err, errlen,
                     "%s: -drive %s is not the image the snapshot was taken with (%s: %llu bytes, now %llu)",
                     path, y->path, x->path, (unsigned long long)x->size, (unsigned long long)y->size);
            return -1;
        }
        if (x->crc_head != y->crc_head || x->crc_tail != y->crc_tail) {
            snap_err(err, errlen, "%s: -drive %s is not the image the snapshot was taken with (%s): its content differs",
                     path, y->path, x->path);
            return -1;
        }
        if (x->mtime_ns != y->mtime_ns) {
            snap_err(err, errlen,
                     "%s: -drive %s was modified after the snapshot was taken (its modification time "
                     "differs; restore with the image as it was, e.g. a copy made with cp -p)",
                     path, y->path);
            return -1;
        }
        if (x->readonly != y->readonly) {
            snap_err(err, errlen, "%s: -drive %s: readonly= differs from the snapshot's", path, y->path);
            return -1;
        }
    }
    return 0;
}

/* -- Saving ----------------------------------------------------------------------------- */

typedef struct SnapOut {
    int fd;
    uint64_t off;
    int err; /* first errno */
} SnapOut;

static void out_write(SnapOut *o, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len && !o->err) {
        ssize_t r = write(o->fd, p, len);
        if (r < 0) {
            if (errno == EINTR) continue;
            o->err = errno;
            return;
        }
        p += r;
        len -= (size_t)r;
        o->off += (uint64_t)r;
    }
}

static void out_pwrite(SnapOut *o, const void *buf, size_t len, uint64_t off)
{
    if (!o->err && pwrite(o->fd, buf, len, (off_t)off) != (ssize_t)len) o->err = errno ? errno : EIO;
}

/* A section's header: kind, name length, name, payload length. */
static size_t sec_header(uint8_t *h, int kind, const char *name, uint64_t len)
{
    size_t n = strlen(name);
    memcpy(h, snap_kinds[kind], 4);
    put_le32(h + 4, (uint32_t)n);
    memcpy(h + 8, name, n);
    put_le64(h + 8 + n, len);
    return 16 + n;
}

static void out_section(SnapOut *o, int kind, const char *name, const void *payload, uint64_t len)
{
    uint8_t h[16 + 256], c[4];
    size_t hl = sec_header(h, kind, name, len);
    uint32_t crc = snap_crc(snap_crc(0, h, hl), payload, len);
    put_le32(c, crc);
    out_write(o, h, hl);
    out_write(o, payload, len);
    out_write(o, c, 4);
}

/* The RAM section, streamed: a bitmap of the pages that are not all zero,
 * then those pages as one zlib stream. The payload length and the CRC are
 * known at the end: the length is patched and crc32_combine joins the
 * header's CRC to the payload's. */
static int out_ram(SnapOut *o, const Machine *m, char *err, size_t errlen)
{
    uint64_t npages = m->ram_size / SNAP_PAGE, bmlen = (npages + 7) / 8;
    uint8_t *bm = calloc(bmlen ? bmlen : 1, 1), *zbuf = malloc(4u << 20);
    if (!bm || !zbuf) {
        free(bm);
        free(zbuf);
        snap_err(err, errlen, "out of memory");
        return -1;
    }
    for (uint64_t p = 0; p < npages; p++)
        if (!snap_page_zero(m->ram + p * SNAP_PAGE)) bm[p / 8] |= (uint8_t)(1u << (p % 8));

    uint8_t h[32], pre[SNAP_RAM_PREFIX];
    size_t hl = sec_header(h, SEC_RAM, "ram", 0);
    uint64_t hdr_off = o->off;
    out_write(o, h, hl);
    put_le64(pre, m->ram_size);
    put_le32(pre + 8, (uint32_t)SNAP_PAGE);
    put_le32(pre + 12, 0);
    out_write(o, pre, sizeof(pre));
    out_write(o, bm, bmlen);
    uint32_t pcrc = snap_crc(snap_crc(0, pre, sizeof(pre)), bm, bmlen);
    uint64_t plen = sizeof(pre) + bmlen;

    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    int zr = deflateInit(&zs, Z_BEST_SPEED);
    if (zr != Z_OK) {
        free(bm);
        free(zbuf);
        snap_err(err, errlen, "zlib: cannot start compression");
        return -1;
    }
    /* Runs of non-zero pages go to deflate as one input each. */
    uint64_t p = 0;
    for (;;) {
        while (p < npages && !(bm[p / 8] & (1u << (p % 8)))) p++;
        uint64_t q = p;
        while (q < npages && (bm[q / 8] & (1u << (q % 8))) && q - p < SNAP_DEFLATE_RUN) q++;
        int flush = q >= npages || p >= npages ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = m->ram + p * SNAP_PAGE;
        zs.avail_in = (uInt)((q - p) * SNAP_PAGE);
        do {
            zs.next_out = zbuf;
            zs.avail_out = 4u << 20;
            zr = deflate(&zs, flush);
            size_t got = (4u << 20) - zs.avail_out;
            out_write(o, zbuf, got);
            pcrc = snap_crc(pcrc, zbuf, got);
            plen += got;
        } while (zs.avail_out == 0 || (flush == Z_FINISH && zr == Z_OK));
        if (flush == Z_FINISH || zr == Z_STREAM_ERROR) break;
        p = q;
    }
    deflateEnd(&zs);
    free(bm);
    free(zbuf);
    if (zr != Z_STREAM_END) {
        snap_err(err, errlen, "zlib: compression failed");
        return -1;
    }
    /* Patch the payload length, then the CRC over header + payload. */
    sec_header(h, SEC_RAM, "ram", plen);
    out_pwrite(o, h, hl, hdr_off);
    uint8_t c[4];
    put_le32(c, (uint32_t)crc32_combine(snap_crc(0, h, hl), pcrc, (z_off_t)plen));
    out_write(o, c, 4);
    return 0;
}

/* Saves one vCPU's or device's state into a malloc'ed buffer (NULL on error). */
static void *snap_capture(int (*cpu_fn)(CpuState *, SnapVisitor *), CpuState *cpu,
                          int (*dev_fn)(void *, SnapVisitor *), void *opaque, size_t *len)
{
    SnapVisitor *w = snap_writer_new();
    if (!w) return NULL;
    if (cpu_fn) cpu_fn(cpu, w);
    else dev_fn(opaque, w);
    return snap_writer_finish(w, len);
}

typedef struct SnapState {
    int n;          /* ncpus + ndevs */
    void **buf;     /* cpus first, then devices */
    size_t *len;
} SnapState;

static void snap_state_free(SnapState *s)
{
    for (int i = 0; s->buf && i < s->n; i++) free(s->buf[i]);
    free(s->buf);
    free(s->len);
    memset(s, 0, sizeof(*s));
}

/* Captures every vCPU's and device's state in memory (devices drain their
 * in-flight I/O first). */
static int snap_state_save(Machine *m, SnapState *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->n = m->ncpus + m->ndevs;
    s->buf = calloc((size_t)s->n, sizeof(*s->buf));
    s->len = calloc((size_t)s->n, sizeof(*s->len));
    if (!s->buf || !s->len) {
        snap_state_free(s);
        snap_err(err, errlen, "out of memory");
        return -1;
    }
    if (!m->arch->cpu_snapshot) {
        snap_state_free(s);
        snap_err(err, errlen, "snapshots are not supported for %s guests", m->arch->name);
        return -1;
    }
    for (int i = 0; i < s->n; i++) {
        bool cpu = i < m->ncpus;
        Device *d = cpu ? NULL : &m->devs[i - m->ncpus];
        if (d && !d->snapshot) {
            snap_state_free(s);
            snap_err(err, errlen, "device %s cannot be saved (no snapshot hook)", d->name);
            return -1;
        }
        s->buf[i] = cpu ? snap_capture(m->arch->cpu_snapshot, m->cpus[i], NULL, NULL, &s->len[i])
                        : snap_capture(NULL, NULL, d->snapshot, d->opaque, &s->len[i]);
        if (!s->buf[i]) {
            snap_err(err, errlen, "cannot capture the state of %s%d", cpu ? "vCPU " : "device ",
                     cpu ? i : i - m->ncpus);
            snap_state_free(s);
            return -1;
        }
    }
    return 0;
}

static int snap_save_opts(Machine *m, const VmOptions *o, const char *path, char *err, size_t errlen)
{
    uint64_t t0 = clock_ns();
    double c0 = snap_cpu_s();
    /* The guest clock first, right before the ACLINT (device 0) saves mtime. */
    uint8_t mach[64];
    size_t machlen = 0;
    {
        uint64_t now = clock_guest_ns();
        SnapVisitor *w = snap_writer_new();
        if (!w) goto oom;
        snap_u64(w, "guest_clock_ns", &now);
        void *b = snap_writer_finish(w, &machlen);
        if (!b || machlen > sizeof(mach)) { free(b); goto oom; }
        memcpy(mach, b, machlen);
        free(b);
    }
    SnapState st;
    if (snap_state_save(m, &st, err, errlen)) return -1;
    /* After the devices drained: disk images no longer change under us. */
    SnapConf conf;
    void *confbuf = NULL;
    size_t conflen = 0;
    int rc = -1;
    if (snap_conf_build(m, o, &conf, err, errlen)) goto out;
    SnapVisitor *w = snap_writer_new();
    if (w) {
        snap_conf_visit(w, &conf);
        confbuf = snap_writer_finish(w, &conflen);
    }
    if (!confbuf) {
        snap_err(err, errlen, "out of memory");
        goto out;
    }

    /* Written next to the target and renamed over it at the end: an
     * interrupted save never leaves a truncated file under the name. */
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
    SnapOut so = {.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (so.fd < 0) {
        snap_err(err, errlen, "%s: cannot create %s: %s", path, tmp, strerror(errno));
        goto out;
    }
    uint8_t hdr[SNAP_HDR_SIZE] = {0};
    out_write(&so, hdr, sizeof(hdr));
    out_section(&so, SEC_CONF, "config", confbuf, conflen);
    out_section(&so, SEC_MACH, "machine", mach, machlen);
    uint32_t nsec = 2;
    for (int i = 0; i < st.n; i++) {
        char name[SNAP_NAME_MAX];
        if (i < m->ncpus) snprintf(name, sizeof(name), "cpu%d", i);
        else snap_dev_name(m, i - m->ncpus, name, sizeof(name));
        out_section(&so, i < m->ncpus ? SEC_CPU : SEC_DEV, name, st.buf[i], st.len[i]);
        nsec++;
    }
    if (out_ram(&so, m, err, errlen)) {
        close(so.fd);
        unlink(tmp);
        goto out;
    }
    out_section(&so, SEC_END, "", NULL, 0);
    nsec += 2;
    memcpy(hdr, snap_magic, 8);
    put_le32(hdr + 8, SNAP_VERSION);
    put_le32(hdr + 12, nsec);
    put_le64(hdr + 16, so.off);
    put_le32(hdr + 24, 0);
    put_le32(hdr + 28, snap_crc(0, hdr, 28));
    out_pwrite(&so, hdr, sizeof(hdr), 0);
    if (close(so.fd) < 0 && !so.err) so.err = errno;
    if (!so.err && rename(tmp, path) < 0) so.err = errno;
    if (so.err) {
        unlink(tmp);
        snap_err(err, errlen, "%s: cannot write the snapshot: %s", path, strerror(so.err));
        goto out;
    }
    vm_log(LOG_SERVICE, LOG_INFO, "snapshot: saved %s (%llu bytes) in %.3f s (%.3f s CPU)", path,
           (unsigned long long)so.off, (double)(clock_ns() - t0) / 1e9, snap_cpu_s() - c0);
    rc = 0;
out:
    free(confbuf);
    free(conf.devs);
    snap_state_free(&st);
    return rc;
oom:
    snap_err(err, errlen, "out of memory");
    return -1;
}

int snap_file_save(Machine *m, const char *path, char *err, size_t errlen)
{
    return snap_save_opts(m, sys_options(), path, err, errlen);
}

/* -- Loading ------------------------------------------------------------------------------- */

typedef struct SnapSec {
    int kind;
    char name[256];
    const uint8_t *data;
    uint64_t len;
} SnapSec;

/* Parses and checks the header and every section's bounds and CRC. */
static int snap_parse(const uint8_t *f, uint64_t size, const char *path, SnapSec **out, int *nout,
                      char *err, size_t errlen)
{
    if (size < SNAP_HDR_SIZE || memcmp(f, snap_magic, 8)) {
        if (size >= 8 && !memcmp(f, snap_magic, 8))
            snap_err(err, errlen, "%s: truncated snapshot (%llu bytes)", path, (unsigned long long)size);
        else
            snap_err(err, errlen, "%s: not a vm snapshot (bad magic)", path);
        return -1;
    }
    if (get_le32(f + 28) != snap_crc(0, f, 28)) {
        snap_err(err, errlen, "%s: corrupt snapshot header (checksum mismatch)", path);
        return -1;
    }
    uint32_t ver = get_le32(f + 8);
    if (ver != SNAP_VERSION) {
        snap_err(err, errlen, "%s: snapshot format version %u, this vm reads version %u", path, ver,
                 SNAP_VERSION);
        return -1;
    }
    uint64_t fsize = get_le64(f + 16);
    uint32_t nsec = get_le32(f + 12);
    if (fsize != size) {
        snap_err(err, errlen, "%s: %s snapshot (%llu bytes, its header says %llu)", path,
                 size < fsize ? "truncated" : "corrupt", (unsigned long long)size,
                 (unsigned long long)fsize);
        return -1;
    }
    if (nsec < 2 || nsec > 4096) {
        snap_err(err, errlen, "%s: corrupt snapshot header (%u sections)", path, nsec);
        return -1;
    }
    SnapSec *s = calloc(nsec, sizeof(*s));
    if (!s) {
        snap_err(err, errlen, "out of memory");
        return -1;
    }
    uint64_t off = SNAP_HDR_SIZE;
    for (uint32_t i = 0; i < nsec; i++) {
        const uint8_t *p = f + off;
        uint64_t left = size - off;
        uint32_t nl = left >= 8 ? get_le32(p + 4) : 0;
        if (left < 20 || nl > 255 || left - 20 < nl) goto bad_bounds;
        uint64_t len = get_le64(p + 8 + nl);
        if (len > left - 20 - nl) goto bad_bounds;
        uint64_t total = 16 + nl + len;
        int kind = -1;
        for (int k = 0; k < SEC_NKINDS; k++)
            if (!memcmp(p, snap_kinds[k], 4)) kind = k;
        memcpy(s[i].name, p + 8, nl);
        s[i].name[nl] = 0;
        for (uint32_t c = 0; c < nl; c++)
            if (p[8 + c] < 0x20 || p[8 + c] > 0x7e) s[i].name[c] = '?';
        if (get_le32(p + total) != snap_crc(0, p, total)) {
            snap_err(err, errlen, "%s: section %u ('%s') is corrupt (checksum mismatch)", path, i,
                     kind >= 0 && nl ? s[i].name : kind >= 0 ? snap_kinds[kind] : "unknown");
            free(s);
            return -1;
        }
        if (kind < 0) {
            snap_err(err, errlen, "%s: section %u has an unknown kind", path, i);
            free(s);
            return -1;
        }
        s[i].kind = kind;
        s[i].data = p + 16 + nl;
        s[i].len = len;
        off += total + 4;
        if ((kind == SEC_END) != (i == nsec - 1)) {
            snap_err(err, errlen, "%s: corrupt snapshot (the end marker is not the last section)", path);
            free(s);
            return -1;
        }
        continue;
    bad_bounds:
        snap_err(err, errlen, "%s: truncated or corrupt snapshot (section %u runs past the end)", path, i);
        free(s);
        return -1;
    }
    if (off != size) {
        snap_err(err, errlen, "%s: corrupt snapshot (%llu bytes after the last section)", path,
                 (unsigned long long)(size - off));
        free(s);
        return -1;
    }
    *out = s;
    *nout = (int)nsec;
    return 0;
}

/* Decodes the RAM section into a scratch buffer holding only the non-zero
 * pages (*nz of them, in order); the bitmap stays in the file mapping. */
static int snap_ram_decode(const Machine *m, const SnapSec *s, const char *path, const uint8_t **bm,
                           uint8_t **scratch, uint64_t *nz, char *err, size_t errlen)
{
    uint64_t npages = m->ram_size / SNAP_PAGE, bmlen = (npages + 7) / 8;
    if (s->len < SNAP_RAM_PREFIX || get_le64(s->data) != m->ram_size ||
        get_le32(s->data + 8) != SNAP_PAGE || s->len - SNAP_RAM_PREFIX < bmlen) {
        snap_err(err, errlen, "%s: the RAM section does not match this machine's RAM", path);
        return -1;
    }
    *bm = s->data + SNAP_RAM_PREFIX;
    uint64_t n = 0;
    for (uint64_t i = 0; i < bmlen; i++) n += (uint64_t)__builtin_popcount((*bm)[i]);
    if (npages % 8 && ((*bm)[bmlen - 1] >> (npages % 8))) {
        snap_err(err, errlen, "%s: corrupt RAM section (bitmap)", path);
        return -1;
    }
    *nz = n;
    *scratch = NULL;
    uint8_t *out = NULL;
    if (n) {
        out = mmap(NULL, n * SNAP_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (out == MAP_FAILED) {
            snap_err(err, errlen, "%s: cannot allocate %llu MiB to decode RAM", path,
                     (unsigned long long)(n * SNAP_PAGE >> 20));
            return -1;
        }
    }
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK) {
        if (out) munmap(out, n * SNAP_PAGE);
        snap_err(err, errlen, "zlib: cannot start decompression");
        return -1;
    }
    const uint8_t *in = *bm + bmlen;
    uint64_t in_left = s->len - SNAP_RAM_PREFIX - bmlen, out_left = n * SNAP_PAGE;
    uint8_t *op = out, dummy[1];
    int zr;
    for (;;) {
        uInt ai = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
        uInt ao = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
        zs.next_in = (Bytef *)in;
        zs.avail_in = ai;
        /* With every page filled, a one-byte dummy shows up excess data. */
        zs.next_out = ao ? op : dummy;
        zs.avail_out = ao ? ao : 1;
        zr = inflate(&zs, Z_NO_FLUSH);
        uint64_t used = ai - zs.avail_in, made = (ao ? ao : 1) - zs.avail_out;
        in += used;
        in_left -= used;
        if (!ao && made) { zr = Z_DATA_ERROR; break; }
        op += made;
        out_left -= made;
        if (zr == Z_STREAM_END) break;
        if (zr != Z_OK && zr != Z_BUF_ERROR) break;
        if (!used && !made) { zr = Z_BUF_ERROR; break; } /* the input ended early */
    }
    inflateEnd(&zs);
    if (zr != Z_STREAM_END || out_left || in_left) {
        if (out) munmap(out, n * SNAP_PAGE);
        snap_err(err, errlen, "%s: corrupt RAM section (the compressed data %s)", path,
                 zr != Z_STREAM_END ? "is damaged" : "does not match the page map");
        return -1;
    }
    *scratch = out;
    return 0;
}

/* Loads one vCPU (i < ncpus) or device from buf; -1 with snap_why in why. */
static int snap_apply(Machine *m, int i, const void *buf, size_t len, char *why, size_t whylen)
{
    SnapVisitor *r = snap_reader_new(buf, len);
    if (!r) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    int rc = i < m->ncpus ? m->arch->cpu_snapshot(m->cpus[i], r)
                          : m->devs[i - m->ncpus].snapshot(m->devs[i - m->ncpus].opaque, r);
    snprintf(why, whylen, "%s", rc ? snap_why(r) : "unexpected data at the end");
    rc = snap_reader_finish(r);
    return rc ? -1 : 0;
}

static int snap_load_mapped(Machine *m, const uint8_t *f, uint64_t size, const char *path, char *err,
                            size_t errlen)
{
    SnapSec *secs = NULL;
    int nsec = 0, rc = -1;
    SnapConf sconf, conf;
    memset(&sconf, 0, sizeof(sconf));
    memset(&conf, 0, sizeof(conf));
    const SnapSec **state = NULL; /* per vCPU, then per device */
    uint8_t *scratch = NULL;
    uint64_t nz = 0;
    SnapState backup = {0};

    if (snap_parse(f, size, path, &secs, &nsec, err, errlen)) return -1;
    const SnapSec *sc = NULL, *mach = NULL, *ram = NULL;
    int nstate = m->ncpus + m->ndevs;
    state = calloc((size_t)nstate + 1, sizeof(*state));
    if (!state) { snap_err(err, errlen, "out of memory"); goto out; }

    /* The configuration first: a mismatch is the likeliest error, and says most. */
    for (int i = 0; i < nsec; i++)
        if (secs[i].kind == SEC_CONF) sc = &secs[i];
    if (!sc) { snap_err(err, errlen, "%s: corrupt snapshot (no configuration section)", path); goto out; }
    SnapVisitor *r = snap_reader_new(sc->data, sc->len);
    if (!r) { snap_err(err, errlen, "out of memory"); goto out; }
    snap_conf_visit(r, &sconf);
    char why[200];
    snprintf(why, sizeof(why), "%s", snap_why(r));
    if (snap_reader_finish(r)) {
        snap_err(err, errlen, "%s: corrupt configuration section (%s)", path, why[0] ? why : "extra data");
        goto out;
    }
    if (snap_conf_build(m, sys_options(), &conf, err, errlen)) goto out;
    if (snap_conf_compare(&sconf, &conf, path, err, errlen)) goto out;

    /* Every other section: each exactly once, and nothing else. */
    for (int i = 0; i < nsec; i++) {
        const SnapSec *s = &secs[i];
        const SnapSec **slot = NULL;
        if (s->kind == SEC_CONF || s->kind == SEC_END) {
            if (s != sc && s->kind == SEC_CONF) slot = &sc; /* a second one: "twice" below */
            else continue;
        } else if (s->kind == SEC_MACH) {
            slot = &mach;
        } else if (s->kind == SEC_RAM) {
            slot = &ram;
        } else if (s->kind == SEC_CPU) {
            for (int c = 0; c < m->ncpus && !slot; c++) {
                char n[16];
                snprintf(n, sizeof(n), "cpu%d", c);
                if (!strcmp(n, s->name)) slot = &state[c];
            }
        } else {
            for (int d = 0; d < m->ndevs && !slot; d++) {
                char n[SNAP_NAME_MAX];
                snap_dev_name(m, d, n, sizeof(n));
                if (!strcmp(n, s->name)) slot = &state[m->ncpus + d];
            }
        }
        if (!slot) {
            snap_err(err, errlen, "%s: section '%s' matches nothing in this machine", path, s->name);
            goto out;
        }
        if (*slot) {
            snap_err(err, errlen, "%s: corrupt snapshot (section '%s' appears twice)", path, s->name);
            goto out;
        }
        *slot = s;
    }
    if (!mach || !ram) {
        snap_err(err, errlen, "%s: corrupt snapshot (no %s section)", path, mach ? "RAM" : "machine");
        goto out;
    }
    for (int i = 0; i < nstate; i++) {
        if (state[i]) continue;
        char n[SNAP_NAME_MAX];
        if (i < m->ncpus) snprintf(n, sizeof(n), "cpu%d", i);
        else snap_dev_name(m, i - m->ncpus, n, sizeof(n));
        snap_err(err, errlen, "%s: the snapshot has no state for %s", path, n);
        goto out;
    }
    uint64_t guest_clock = 0;
    r = snap_reader_new(mach->data, mach->len);
    if (!r) { snap_err(err, errlen, "out of memory"); goto out; }
    snap_u64(r, "guest_clock_ns", &guest_clock);
    if (snap_reader_finish(r)) {
        snap_err(err, errlen, "%s: corrupt machine section", path);
        goto out;
    }
    const uint8_t *bm;
    if (snap_ram_decode(m, ram, path, &bm, &scratch, &nz, err, errlen)) goto out;

    /* Everything checked. Keep the current state to roll back to if a hook
     * still refuses a value (a file that passed its checksums but was not
     * written by this vm). Saving also drains the devices' in-flight I/O, so
     * no DMA lands in RAM after it is replaced. */
    if (snap_state_save(m, &backup, err, errlen)) goto out;
    uint64_t old_clock = clock_guest_ns();
    /* The harts' time and Sstc timers, and the ACLINT, read the guest clock. */
    clock_guest_set(guest_clock);
    for (int i = 0; i < nstate; i++) {
        if (!snap_apply(m, i, state[i]->data, state[i]->len, why, sizeof(why))) continue;
        snap_err(err, errlen, "%s: %s '%s' rejects its saved state (%s)", path,
                 i < m->ncpus ? "vCPU" : "device", state[i]->name, why);
        clock_guest_set(old_clock);
        for (int j = 0; j < nstate; j++) {
            char w2[200];
            if (snap_apply(m, j, backup.buf[j], backup.len[j], w2, sizeof(w2)))
                vm_log(LOG_SERVICE, LOG_ERROR, "snapshot: cannot roll back %s: %s",
                       j < m->ncpus ? "a vCPU" : m->devs[j - m->ncpus].name, w2);
        }
        goto out;
    }

    /* RAM: decoded pages in, other pages zero (written only where not zero
     * already, so untouched memory of a fresh process stays untouched). */
    uint64_t npages = m->ram_size / SNAP_PAGE, k = 0;
    for (uint64_t p = 0; p < npages; p++) {
        uint8_t *dst = m->ram + p * SNAP_PAGE;
        if (bm[p / 8] & (1u << (p % 8))) memcpy(dst, scratch + SNAP_PAGE * k++, SNAP_PAGE);
        else if (!snap_page_zero(dst)) memset(dst, 0, SNAP_PAGE);
    }
    /* Every translation and TLB entry describes the old memory. */
    if (m->engine && m->engine->invalidate) m->engine->invalidate(0, 0);
    for (int i = 0; i < m->ncpus; i++) {
        tlb_flush(m->cpus[i]);
        cpu_kick(m->cpus[i]);
    }
    vm_log(LOG_SERVICE, LOG_DEBUG, "snapshot: %llu non-zero pages restored", (unsigned long long)nz);
    rc = 0;
out:
    if (scratch) munmap(scratch, nz * SNAP_PAGE);
    snap_state_free(&backup);
    free(state);
    free(sconf.devs);
    free(conf.devs);
    free(secs);
    return rc;
}

int snap_file_load(Machine *m, const char *path, char *err, size_t errlen)
{
    uint64_t t0 = clock_ns();
    double c0 = snap_cpu_s();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snap_err(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        snap_err(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size == 0) {
        close(fd);
        snap_err(err, errlen, "%s: empty file, not a vm snapshot", path);
        return -1;
    }
    /* Mapped, not read: the RAM section is decoded straight from the page cache. */
    void *f = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f == MAP_FAILED) {
        snap_err(err, errlen, "%s: cannot map it: %s", path, strerror(errno));
        return -1;
    }
    madvise(f, size, MADV_SEQUENTIAL);
    int rc = snap_load_mapped(m, f, size, path, err, errlen);
    munmap(f, size);
    if (!rc)
        vm_log(LOG_SERVICE, LOG_INFO, "snapshot: loaded %s (%llu bytes) in %.3f s (%.3f s CPU)", path,
               (unsigned long long)size, (double)(clock_ns() - t0) / 1e9, snap_cpu_s() - c0);
    return rc;
}

/* -- -snapshot-save triggers and -snapshot-load at start-up ------------------------------ */

enum { ON_SERIAL, ON_POWEROFF, ON_SIGNAL };

static struct {
    char *file;
    int on;
    bool quit;
    char *text;             /* on=serial: the marker, and its KMP failure table */
    size_t tlen, *fail, matched;
    int fired;              /* on=serial: the marker was seen (vCPU thread sets it) */
    int poweroff;           /* the guest asked for power-off */
    int sigpipe[2];         /* on=signal: SIGUSR1 -> the I/O loop */
    char msg[4200];         /* sys_stop keeps the pointer */
} trig = {.sigpipe = {-1, -1}};

/* Splits the -snapshot-save spec like the option parser does (",," is a comma). */
static int snap_parse_spec(const char *spec)
{
    const char *p = spec;
    char *file = NULL, *on = NULL, *then = NULL;
    size_t cap = strlen(spec) + 1;
    int rc = -1;
    while (*p || p == spec) {
        char *item = malloc(cap);
        if (!item) abort();
        size_t o = 0;
        while (*p && !(*p == ',' && p[1] != ',')) {
            if (*p == ',') p++; /* ",," */
            item[o++] = *p++;
        }
        item[o] = 0;
        char *eq = strchr(item, '=');
        char **slot = NULL;
        if (eq) {
            *eq = 0;
            slot = !strcmp(item, "file") ? &file : !strcmp(item, "on") ? &on : !strcmp(item, "then") ? &then : NULL;
        }
        if (!slot) {
            vm_error("-snapshot-save: %s '%s' (known keys: file on then)", eq ? "unknown key" : "expected key=value, got", item);
            free(item);
            goto out;
        }
        if (*slot) {
            vm_error("-snapshot-save: %s= given twice", item);
            free(item);
            goto out;
        }
        *slot = strdup(eq + 1);
        free(item);
        if (!*slot) abort();
        if (!*p) break;
        p++;
    }
    if (!file || !*file || !on) {
        vm_error("-snapshot-save: expected file=FILE,on=serial:TEXT|poweroff|signal[,then=quit|continue]");
        goto out;
    }
    if (!strncmp(on, "serial:", 7) && on[7]) {
        trig.on = ON_SERIAL;
        trig.quit = true;
        trig.text = strdup(on + 7);
        trig.tlen = strlen(trig.text);
        trig.fail = calloc(trig.tlen + 1, sizeof(size_t));
        if (!trig.text || !trig.fail) abort();
        /* Knuth-Morris-Pratt: fail[i] = the longest proper border of text[0..i]. */
        for (size_t i = 1, k = 0; i < trig.tlen; i++) {
            while (k && trig.text[i] != trig.text[k]) k = trig.fail[k - 1];
            if (trig.text[i] == trig.text[k]) k++;
            trig.fail[i] = k;
        }
    } else if (!strcmp(on, "poweroff")) {
        trig.on = ON_POWEROFF;
        trig.quit = true;
    } else if (!strcmp(on, "signal")) {
        trig.on = ON_SIGNAL;
        trig.quit = false;
    } else {
        vm_error("-snapshot-save: on= expects serial:TEXT, poweroff or signal, got '%s'", on);
        goto out;
    }
    if (then) {
        if (strcmp(then, "quit") && strcmp(then, "continue")) {
            vm_error("-snapshot-save: then= expects quit or continue, got '%s'", then);
            goto out;
        }
        if (trig.on == ON_POWEROFF && strcmp(then, "quit")) {
            vm_error("-snapshot-save: on=poweroff saves as vm exits; then=continue cannot apply");
            goto out;
        }
        trig.quit = !strcmp(then, "quit");
    }
    trig.file = file;
    file = NULL;
    rc = 0;
out:
    free(file);
    free(on);
    free(then);
    return rc;
}

/* Main thread: pause, save, then quit or run on. A failed save ends the run. */
static void snap_trigger_save(void *arg)
{
    (void)arg;
    char err[4096];
    sys_pause();
    if (snap_file_save(sys_machine(), trig.file, err, sizeof(err))) {
        snprintf(trig.msg, sizeof(trig.msg), "cannot save the snapshot: %s", err);
        sys_stop(1, trig.msg);
    } else if (trig.quit) {
        snprintf(trig.msg, sizeof(trig.msg), "snapshot saved to %s", trig.file);
        sys_stop(0, trig.msg);
    } else {
        vm_log(LOG_SERVICE, LOG_INFO, "snapshot saved to %s; running on", trig.file);
    }
    sys_resume();
}

/* vCPU thread, console output lock held: watch for the marker. */
static void snap_serial_watch(void *opaque, const uint8_t *buf, size_t n)
{
    (void)opaque;
    if (__atomic_load_n(&trig.fired, __ATOMIC_RELAXED)) return;
    for (size_t i = 0; i < n; i++) {
        size_t k = trig.matched;
        while (k && (char)buf[i] != trig.text[k]) k = trig.fail[k - 1];
        if ((char)buf[i] == trig.text[k]) k++;
        if (k == trig.tlen) {
            __atomic_store_n(&trig.fired, 1, __ATOMIC_RELAXED);
            sys_post(snap_trigger_save, NULL);
            return;
        }
        trig.matched = k;
    }
}

static void snap_on_sigusr1(int sig)
{
    (void)sig;
    int e = errno;
    uint8_t b = 1;
    if (write(trig.sigpipe[1], &b, 1) < 0) { /* full: a save is already due */ }
    errno = e;
}

static void snap_sig_ready(void *opaque, short revents)
{
    (void)opaque;
    (void)revents;
    uint8_t buf[64];
    bool any = false;
    while (read(trig.sigpipe[0], buf, sizeof(buf)) > 0) any = true;
    if (any) snap_trigger_save(NULL);
}

int snap_setup(Machine *m, const VmOptions *o)
{
    char err[4096];
    if (o->snapshot_save && snap_parse_spec(o->snapshot_save)) return -1;
    if (o->snapshot_load && snap_file_load(m, o->snapshot_load, err, sizeof(err))) {
        vm_error("%s", err);
        return -1;
    }
    if (!o->snapshot_save) return 0;
    if (trig.on == ON_SERIAL) {
        SysChar *c = sys_serial();
        if (!c) {
            vm_error("-snapshot-save: on=serial needs a serial console (not -serial none)");
            return -1;
        }
        if (sys_char_watch(c, snap_serial_watch, NULL) < 0) {
            vm_error("-snapshot-save: too many console watchers");
            return -1;
        }
    } else if (trig.on == ON_SIGNAL) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = snap_on_sigusr1;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (pipe2(trig.sigpipe, O_CLOEXEC | O_NONBLOCK) < 0 ||
            sys_fd_add(trig.sigpipe[0], POLLIN, snap_sig_ready, NULL) < 0 ||
            sigaction(SIGUSR1, &sa, NULL) < 0) {
            vm_error("-snapshot-save: cannot set up on=signal: %s", strerror(errno ? errno : EBUSY));
            return -1;
        }
    }
    return 0;
}

void snap_poweroff(void)
{
    __atomic_store_n(&trig.poweroff, 1, __ATOMIC_RELEASE);
}

int snap_finish(Machine *m)
{
    char err[4096];
    if (!trig.file || trig.on != ON_POWEROFF || !__atomic_load_n(&trig.poweroff, __ATOMIC_ACQUIRE))
        return 0;
    if (snap_file_save(m, trig.file, err, sizeof(err))) {
        vm_error("cannot save the snapshot: %s", err);
        return -1;
    }
    return 0;
}
