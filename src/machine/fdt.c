/* SPDX-License-Identifier: MIT */
/* Flattened device tree helpers over libfdt (Devicetree Specification v0.4):
 * building a tree in order, a -dtb file's /chosen update, dumpdtb output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "machine/machine_int.h"
#include "vm/log.h"

#ifdef HAVE_LIBFDT
#include <libfdt.h>

enum { FDT_INITIAL = 64 * 1024 };

int fdt_tree_begin(FdtBuilder *b)
{
    memset(b, 0, sizeof(*b));
    b->cap = FDT_INITIAL;
    b->next_phandle = 1;
    b->blob = calloc(1, b->cap);
    if (!b->blob) return -1;
    int r = fdt_create(b->blob, (int)b->cap);
    if (!r) r = fdt_finish_reservemap(b->blob);
    if (!r) r = fdt_begin_node(b->blob, "");
    if (r) b->err = r;
    return r ? -1 : 0;
}

/* Doubles the buffer after -FDT_ERR_NOSPACE; false when that fails. */
static bool fdt_tree_grow(FdtBuilder *b)
{
    size_t ncap = b->cap * 2;
    void *n = calloc(1, ncap);
    if (!n || fdt_resize(b->blob, n, (int)ncap)) {
        free(n);
        return false;
    }
    free(b->blob);
    b->blob = n;
    b->cap = ncap;
    return true;
}

/* Runs a sequential-write call until it stops failing for lack of room. */
#define FDT_TRY(b, expr)                                                       \
    do {                                                                       \
        if ((b)->err) break;                                                   \
        int r_;                                                                \
        while ((r_ = (expr)) == -FDT_ERR_NOSPACE && fdt_tree_grow(b)) {}       \
        if (r_ < 0) (b)->err = r_;                                             \
    } while (0)

void fdt_tree_node(FdtBuilder *b, const char *name) { FDT_TRY(b, fdt_begin_node(b->blob, name)); }
void fdt_tree_end(FdtBuilder *b) { FDT_TRY(b, fdt_end_node(b->blob)); }

static void fdt_tree_prop(FdtBuilder *b, const char *name, const void *val, int len)
{
    FDT_TRY(b, fdt_property(b->blob, name, val, len));
}

void fdt_tree_str(FdtBuilder *b, const char *name, const char *val)
{
    fdt_tree_prop(b, name, val, (int)strlen(val) + 1);
}

void fdt_tree_strs(FdtBuilder *b, const char *name, const char *const *vals, int n)
{
    char buf[512];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(vals[i]) + 1;
        if (len + l > sizeof(buf)) {
            b->err = -FDT_ERR_NOSPACE;
            return;
        }
        memcpy(buf + len, vals[i], l);
        len += l;
    }
    fdt_tree_prop(b, name, buf, (int)len);
}

void fdt_tree_u32(FdtBuilder *b, const char *name, uint32_t val)
{
    fdt32_t v = cpu_to_fdt32(val);
    fdt_tree_prop(b, name, &v, sizeof(v));
}

void fdt_tree_u64(FdtBuilder *b, const char *name, uint64_t val)
{
    fdt64_t v = cpu_to_fdt64(val);
    fdt_tree_prop(b, name, &v, sizeof(v));
}

void fdt_tree_cells(FdtBuilder *b, const char *name, const uint32_t *cells, int n)
{
    fdt32_t v[256];
    if (n > 256) {
        b->err = -FDT_ERR_NOSPACE;
        return;
    }
    for (int i = 0; i < n; i++) v[i] = cpu_to_fdt32(cells[i]);
    fdt_tree_prop(b, name, v, n * (int)sizeof(fdt32_t));
}

void fdt_tree_empty(FdtBuilder *b, const char *name) { fdt_tree_prop(b, name, NULL, 0); }

void fdt_tree_reg64(FdtBuilder *b, uint64_t base, uint64_t size)
{
    uint32_t c[4] = {(uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32), (uint32_t)size};
    fdt_tree_cells(b, "reg", c, 4);
}

uint32_t fdt_tree_phandle(FdtBuilder *b)
{
    uint32_t ph = b->next_phandle++;
    fdt_tree_u32(b, "phandle", ph);
    return ph;
}

int fdt_tree_finish(FdtBuilder *b, size_t slack)
{
    fdt_tree_end(b); /* the root */
    FDT_TRY(b, fdt_finish(b->blob));
    if (b->err) {
        vm_error("building the device tree: %s", fdt_strerror(b->err));
        return -1;
    }
    size_t need = fdt_totalsize(b->blob) + slack;
    void *n = calloc(1, need);
    if (!n || fdt_open_into(b->blob, n, (int)need)) {
        free(n);
        vm_error("building the device tree: out of memory");
        return -1;
    }
    free(b->blob);
    b->blob = n;
    b->cap = need;
    return 0;
}

void fdt_tree_discard(FdtBuilder *b)
{
    free(b->blob);
    b->blob = NULL;
}

int fdt_file_load(const char *path, void **blob, size_t *size, size_t slack, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (len < (long)sizeof(struct fdt_header) || len > (64l << 20)) {
        fclose(f);
        snprintf(err, errlen, "%s: not a device tree blob (size %ld)", path, len);
        return -1;
    }
    size_t cap = (size_t)len + slack;
    uint8_t *buf = calloc(1, cap);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    fclose(f);
    /* Versions before 16 (Devicetree Specification 5.2: v17 is current;
     * dtc has written 17 since 2007) are refused before libfdt looks at
     * them: libfdt 1.6's fdt_check_full dereferences NULL on an old-style
     * root node name instead of reporting an error. */
    if (fdt_magic(buf) == FDT_MAGIC && fdt_version(buf) < 16) {
        snprintf(err, errlen, "%s: device tree blob version %u is not supported (vm reads 16 and 17)",
                 path, (unsigned)fdt_version(buf));
        free(buf);
        return -1;
    }
    int r = fdt_check_full(buf, (size_t)len);
    if (r == 0) r = fdt_open_into(buf, buf, (int)cap);
    if (r) {
        free(buf);
        snprintf(err, errlen, "%s: not a valid device tree blob (%s)", path, fdt_strerror(r));
        return -1;
    }
    *blob = buf;
    *size = cap;
    return 0;
}

/* Linux reads these from /chosen (Documentation/devicetree/bindings/chosen.txt). */
int fdt_chosen_update(void *blob, size_t cap, const char *bootargs, uint64_t initrd_start,
                      uint64_t initrd_end)
{
    (void)cap;
    int off = fdt_path_offset(blob, "/chosen");
    if (off < 0) off = fdt_add_subnode(blob, 0, "chosen");
    if (off < 0) return off;
    int r = 0;
    if (bootargs) r = fdt_setprop_string(blob, off, "bootargs", bootargs);
    if (!r && initrd_end > initrd_start) {
        r = fdt_setprop_u64(blob, off, "linux,initrd-start", initrd_start);
        if (!r) r = fdt_setprop_u64(blob, off, "linux,initrd-end", initrd_end);
    }
    return r;
}

int fdt_file_write(const void *blob, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "dumpdtb=%s: %s", path, strerror(errno));
        return -1;
    }
    /* Without the free space kept for firmware, like dtc would write it. */
    size_t len = fdt_totalsize(blob);
    void *packed = malloc(len);
    bool ok = packed && !fdt_open_into(blob, packed, (int)len) && !fdt_pack(packed);
    if (ok) {
        len = fdt_totalsize(packed);
        ok = fwrite(packed, 1, len, f) == len;
    }
    free(packed);
    if (fclose(f)) ok = false;
    if (!ok) {
        snprintf(err, errlen, "dumpdtb=%s: write error", path);
        return -1;
    }
    return 0;
}

#else /* !HAVE_LIBFDT */

int fdt_tree_begin(FdtBuilder *b)
{
    memset(b, 0, sizeof(*b));
    b->err = -1;
    vm_error("this build has no libfdt: system mode needs it to build the device tree");
    return -1;
}
void fdt_tree_node(FdtBuilder *b, const char *n) { (void)b; (void)n; }
void fdt_tree_end(FdtBuilder *b) { (void)b; }
void fdt_tree_str(FdtBuilder *b, const char *n, const char *v) { (void)b; (void)n; (void)v; }
void fdt_tree_strs(FdtBuilder *b, const char *n, const char *const *v, int c) { (void)b; (void)n; (void)v; (void)c; }
void fdt_tree_u32(FdtBuilder *b, const char *n, uint32_t v) { (void)b; (void)n; (void)v; }
void fdt_tree_u64(FdtBuilder *b, const char *n, uint64_t v) { (void)b; (void)n; (void)v; }
void fdt_tree_cells(FdtBuilder *b, const char *n, const uint32_t *c, int k) { (void)b; (void)n; (void)c; (void)k; }
void fdt_tree_empty(FdtBuilder *b, const char *n) { (void)b; (void)n; }
void fdt_tree_reg64(FdtBuilder *b, uint64_t x, uint64_t y) { (void)b; (void)x; (void)y; }
uint32_t fdt_tree_phandle(FdtBuilder *b) { (void)b; return 0; }
int fdt_tree_finish(FdtBuilder *b, size_t slack) { (void)b; (void)slack; return -1; }
void fdt_tree_discard(FdtBuilder *b) { (void)b; }
int fdt_file_load(const char *path, void **blob, size_t *size, size_t slack, char *err, size_t errlen)
{
    (void)blob; (void)size; (void)slack;
    snprintf(err, errlen, "%s: this build has no libfdt", path);
    return -1;
}
int fdt_chosen_update(void *blob, size_t cap, const char *a, uint64_t s, uint64_t e)
{
    (void)blob; (void)cap; (void)a; (void)s; (void)e;
    return -1;
}
int fdt_file_write(const void *blob, const char *path, char *err, size_t errlen)
{
    (void)blob;
    snprintf(err, errlen, "dumpdtb=%s: this build has no libfdt", path);
    return -1;
}
#endif
