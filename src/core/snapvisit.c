/* SPDX-License-Identifier: MIT */
/* In-memory snapshot visitors (include/vm/snap.h). A record is
 *   u8 name_len, name bytes, u32 data_len (LE), data (scalars LE)
 * so a load checks each field's name and size against what the code expects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/log.h"
#include "vm/snap.h"

struct SnapVisitor {
    bool loading;
    int status;          /* 0 or -EINVAL, sticky */
    uint8_t *buf;        /* writer: owned, growable; reader: borrowed */
    size_t len, cap, pos;
    char why[160];       /* the first error, for snap_why */
};

bool snap_loading(const SnapVisitor *v)
{
    return v->loading;
}

int snap_status(const SnapVisitor *v)
{
    return v->status;
}

void snap_fail(SnapVisitor *v, const char *why)
{
    if (v->status == 0) {
        vm_log(LOG_SERVICE, LOG_WARN, "snapshot: %s", why ? why : "invalid value");
        snprintf(v->why, sizeof(v->why), "%s", why ? why : "invalid value");
    }
    v->status = -EINVAL;
}

const char *snap_why(const SnapVisitor *v)
{
    return v->why;
}

/* -- Writer ------------------------------------------------------------------------ */

static void snap_put(SnapVisitor *v, const void *p, size_t n)
{
    if (v->status) return;
    if (n > v->cap - v->len) {
        size_t ncap = v->cap ? v->cap : 256;
        while (ncap - v->len < n) {
            if (ncap > SIZE_MAX / 2) { v->status = -ENOMEM; return; }
            ncap *= 2;
        }
        uint8_t *nb = realloc(v->buf, ncap);
        if (!nb) { v->status = -ENOMEM; return; }
        v->buf = nb;
        v->cap = ncap;
    }
    memcpy(v->buf + v->len, p, n);
    v->len += n;
}

static void snap_put_header(SnapVisitor *v, const char *name, size_t len)
{
    size_t nl = strlen(name);
    if (nl > 255 || len > UINT32_MAX) { snap_fail(v, "field name or size too large"); return; }
    uint8_t n8 = (uint8_t)nl;
    uint8_t l32[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                       (uint8_t)(len >> 24) };
    snap_put(v, &n8, 1);
    snap_put(v, name, nl);
    snap_put(v, l32, 4);
}

SnapVisitor *snap_writer_new(void)
{
    return calloc(1, sizeof(SnapVisitor));
}

void *snap_writer_finish(SnapVisitor *v, size_t *len)
{
    void *b = NULL;
    if (v->status == 0) {
        b = v->buf ? v->buf : malloc(1);
        *len = v->len;
    } else {
        free(v->buf);
        *len = 0;
    }
    free(v);
    return b;
}

/* -- Reader ------------------------------------------------------------------------ */

SnapVisitor *snap_reader_new(const void *buf, size_t len)
{
    SnapVisitor *v = calloc(1, sizeof(SnapVisitor));
    if (!v) return NULL;
    v->loading = true;
    v->buf = (uint8_t *)buf;
    v->len = buf ? len : 0;
    return v;
}

int snap_reader_finish(SnapVisitor *v)
{
    int st = v->status;
    if (st == 0 && v->pos != v->len) {
        vm_log(LOG_SERVICE, LOG_WARN, "snapshot: %zu bytes left over", v->len - v->pos);
        st = -EINVAL;
    }
    free(v);
    return st;
}

/* Checks the next record is `name` with exactly `len` data bytes and returns
 * its data, or NULL (status set) on any mismatch or truncation. */
static const uint8_t *snap_get(SnapVisitor *v, const char *name, size_t len)
{
    if (v->status) return NULL;
    size_t nl = strlen(name), avail = v->len - v->pos;
    const uint8_t *p = v->buf + v->pos;
    if (avail < 1 || p[0] != nl || avail - 1 < nl + 4 || memcmp(p + 1, name, nl) != 0) {
        vm_log(LOG_SERVICE, LOG_WARN, "snapshot: expected field '%s'", name);
        snprintf(v->why, sizeof(v->why), "expected field '%s'", name);
        v->status = -EINVAL;
        return NULL;
    }
    p += 1 + nl;
    uint32_t dl = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                  (uint32_t)p[3] << 24;
    p += 4;
    avail -= 1 + nl + 4;
    if (dl != len || avail < len) {
        vm_log(LOG_SERVICE, LOG_WARN, "snapshot: field '%s' has %u bytes, expected %zu", name,
               dl, len);
        snprintf(v->why, sizeof(v->why), "field '%s' has %u bytes, expected %zu", name, dl, len);
        v->status = -EINVAL;
        return NULL;
    }
    v->pos += 1 + nl + 4 + len;
    return p;
}

/* -- Fields -------------------------------------------------------------------------- */

static void snap_uint(SnapVisitor *v, const char *name, void *p, unsigned size)
{
    uint64_t x = 0;
    uint8_t le[8];
    if (v->loading) {
        const uint8_t *d = snap_get(v, name, size);
        if (!d) return;
        for (unsigned i = 0; i < size; i++) x |= (uint64_t)d[i] << (8 * i);
        switch (size) {
        case 1: *(uint8_t *)p = (uint8_t)x; break;
        case 2: *(uint16_t *)p = (uint16_t)x; break;
        case 4: *(uint32_t *)p = (uint32_t)x; break;
        default: *(uint64_t *)p = x; break;
        }
        return;
    }
    switch (size) {
    case 1: x = *(uint8_t *)p; break;
    case 2: x = *(uint16_t *)p; break;
    case 4: x = *(uint32_t *)p; break;
    default: x = *(uint64_t *)p; break;
    }
    for (unsigned i = 0; i < size; i++) le[i] = (uint8_t)(x >> (8 * i));
    snap_put_header(v, name, size);
    snap_put(v, le, size);
}

void snap_u8(SnapVisitor *v, const char *name, uint8_t *p) { snap_uint(v, name, p, 1); }
void snap_u16(SnapVisitor *v, const char *name, uint16_t *p) { snap_uint(v, name, p, 2); }
void snap_u32(SnapVisitor *v, const char *name, uint32_t *p) { snap_uint(v, name, p, 4); }
void snap_u64(SnapVisitor *v, const char *name, uint64_t *p) { snap_uint(v, name, p, 8); }

void snap_bool(SnapVisitor *v, const char *name, bool *p)
{
    /* Loading never reads *p: the destination may not hold a valid bool yet. */
    uint8_t b = v->loading ? 0 : *p ? 1 : 0;
    snap_uint(v, name, &b, 1);
    if (v->loading && v->status == 0) {
        if (b > 1) snap_fail(v, "boolean out of range");
        else *p = b != 0;
    }
}

void snap_bytes(SnapVisitor *v, const char *name, void *p, size_t len)
{
    if (v->loading) {
        const uint8_t *d = snap_get(v, name, len);
        if (d && len) memcpy(p, d, len);
        return;
    }
    snap_put_header(v, name, len);
    if (len) snap_put(v, p, len);
}
