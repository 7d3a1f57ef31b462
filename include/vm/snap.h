/* SPDX-License-Identifier: MIT */
/* Snapshot field visitor: a device or CPU lists its fields once, and the same
 * code saves (visitor reads the fields) or loads (visitor writes them). The
 * visitor validates sizes and bounds on load; errors are sticky. */
#ifndef VM_SNAP_H
#define VM_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SnapVisitor SnapVisitor;

bool snap_loading(const SnapVisitor *v);
void snap_u8(SnapVisitor *v, const char *name, uint8_t *p);
void snap_u16(SnapVisitor *v, const char *name, uint16_t *p);
void snap_u32(SnapVisitor *v, const char *name, uint32_t *p);
void snap_u64(SnapVisitor *v, const char *name, uint64_t *p);
void snap_bool(SnapVisitor *v, const char *name, bool *p);
void snap_bytes(SnapVisitor *v, const char *name, void *p, size_t len);
/* On load: 0, or -EINVAL after any error so far (bad length, truncated input, a
 * value out of the range a device accepts reported via snap_fail). */
int snap_status(const SnapVisitor *v);
void snap_fail(SnapVisitor *v, const char *why);
/* The first error's description ("" while there is none), for error messages. */
const char *snap_why(const SnapVisitor *v);

/* In-memory visitors (the snapshot file format builds on these). */
SnapVisitor *snap_writer_new(void);
/* Takes the written bytes out (caller frees) and frees the writer. */
void *snap_writer_finish(SnapVisitor *v, size_t *len);
SnapVisitor *snap_reader_new(const void *buf, size_t len);
/* Frees the reader; returns its status, -EINVAL also when input was left over. */
int snap_reader_finish(SnapVisitor *v);

#endif
