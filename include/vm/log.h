/* SPDX-License-Identifier: MIT */
/* One logger with categories and levels (VM_LOG=jit=debug,mmu=info) plus
 * QEMU-style -d items (in_asm, ir, ...). Zero cost when off: a byte test. */
#ifndef VM_LOG_H
#define VM_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

typedef enum LogCat {
    LOG_CORE, LOG_IR, LOG_INTERP, LOG_JIT, LOG_MMU, LOG_INT, LOG_DEV, LOG_USER,
    LOG_FRONTEND, LOG_MACHINE, LOG_SERVICE,
    LOG_CAT_COUNT
} LogCat;

typedef enum LogLevel {
    LOG_OFF = 0, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE
} LogLevel;

/* -d items. */
enum {
    LOGD_IN_ASM = 1u << 0,   /* guest disassembly of each translated block */
    LOGD_IR = 1u << 1,       /* IR of each translated block */
    LOGD_OUT_ASM = 1u << 2,  /* host code (JIT) */
    LOGD_EXEC = 1u << 3,     /* each block executed */
    LOGD_INT = 1u << 4,      /* interrupts and exceptions */
    LOGD_MMU = 1u << 5,
    LOGD_UNIMP = 1u << 6,    /* unimplemented features and syscalls */
    LOGD_GUEST_ERRORS = 1u << 7,
    LOGD_STRACE = 1u << 8,
    LOGD_JIT_STATS = 1u << 9,
    LOGD_TLB_STATS = 1u << 10,
    LOGD_CPU = 1u << 11,     /* registers before each block */
    LOGD_JIT = 1u << 12,
    LOGD_PERFMAP = 1u << 13, /* /tmp/perf-PID.map for perf report (JIT) */
};

extern uint8_t log_levels[LOG_CAT_COUNT];
extern uint32_t log_mask;
extern FILE *log_file; /* -D FILE, default stderr */

#define log_enabled(cat, lvl) (__builtin_expect(log_levels[(cat)] >= (lvl), 0))
#define logd_enabled(item) (__builtin_expect((log_mask & (item)) != 0, 0))

#define vm_log(cat, lvl, ...)                                    \
    do {                                                         \
        if (log_enabled(cat, lvl)) log_write((cat), (lvl), __VA_ARGS__); \
    } while (0)

void log_write(LogCat cat, LogLevel lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Parses VM_LOG ("jit=debug,mmu=info,all=warn"). 0 or -EINVAL (msg in err). */
int log_parse_env(const char *spec, char *err, size_t errlen);
/* Parses a -d list ("in_asm,ir"). 0 or -EINVAL (msg in err). "help" lists items. */
int log_parse_d(const char *spec, char *err, size_t errlen);
void log_list_d_items(FILE *f);
int log_set_file(const char *path);

/* User-facing errors: one line "vm: ...", to stderr. */
void vm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
