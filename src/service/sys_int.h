/* SPDX-License-Identifier: MIT */
/* Private to src/service: the host character backends (stdio in raw mode with
 * the Ctrl-A escapes, file:F, unix:PATH) and the hooks the I/O loop drives. */
#ifndef VM_SYS_INT_H
#define VM_SYS_INT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/chardev.h"

typedef struct SysChar SysChar;

/* What the Ctrl-A escape (stdio only) asks the service layer for. */
typedef void (*SysQuitFn)(void *opaque);

/* Opens the backend spec names: "stdio", "file:PATH", "unix:PATH" (connects)
 * or "unix:PATH,server" (listens; output is dropped until a client connects).
 * wake_fd is written to when the device reports room (read_ready).
 * NULL with err on failure. */
SysChar *sys_char_open(const char *spec, int wake_fd, SysQuitFn quit, void *quit_opaque,
                       char *err, size_t errlen);
CharDev *sys_char_dev(SysChar *c);
/* Fills at most one pollfd the I/O loop should wait on; returns how many (0/1). */
int sys_char_pollfd(SysChar *c, struct pollfd *p);
/* After poll: reads what is ready and delivers it (keeping what the device
 * cannot take yet). Also retries pending input. */
void sys_char_service(SysChar *c, const struct pollfd *p);
/* True while input is pending for a device that was full: poll with a timeout. */
bool sys_char_pending(SysChar *c);
void sys_char_close(SysChar *c);
/* Output observers (snapshot triggers, -chat): fn sees every byte the guest
 * writes, on the writing vCPU thread with the output lock held; it must not
 * block or write to this SysChar (post work with sys_post instead). */
#define SYS_CHAR_MAX_WATCH 4
typedef void (*SysCharWatchFn)(void *opaque, const uint8_t *buf, size_t n);
int sys_char_watch(SysChar *c, SysCharWatchFn fn, void *opaque);
void sys_char_unwatch(SysChar *c, SysCharWatchFn fn, void *opaque);
/* Main thread: types buf on the console as if it came from the host side
 * (kept and retried while the device is full, like host input). */
void sys_char_inject(SysChar *c, const uint8_t *buf, size_t n);

/* The host terminal: raw mode for -nographic / -serial stdio, restored at exit,
 * on fatal signals and on every error path (idempotent, async-signal-safe). */
void sys_term_raw(void);
void sys_term_restore(void);

/* -- Lifecycle (sys.c): one place that starts, pauses, resumes, resets and stops
 * every vCPU thread; the monitor, the gdb stub and snapshots go through it. -- */

struct Machine;
struct VmOptions;
struct Machine *sys_machine(void);
const struct VmOptions *sys_options(void);
/* The first UART's host backend (NULL with -serial none). */
SysChar *sys_serial(void);

/* Stops every vCPU between two blocks and returns once all of them wait
 * (guest state is then consistent and may be read, written, saved or loaded).
 * Nests: each sys_pause needs one sys_resume. Call from the main thread only
 * (the I/O loop, or code sys_post runs); a vCPU thread posts instead. */
void sys_pause(void);
void sys_resume(void);
bool sys_paused(void);
/* Ends the run with this exit status (msg printed as "vm: msg", may be NULL). */
void sys_stop(int status, const char *msg);
/* Guest reset: every vCPU thread stops, the machine reloads its boot state. */
void sys_reset(void);
/* Runs fn(arg) on the main thread from the I/O loop, soon. Safe from any thread. */
void sys_post(void (*fn)(void *), void *arg);

/* Descriptors the I/O loop polls beside the console (monitor, gdb connections).
 * fn runs on the main thread with the poll revents. */
#define SYS_MAX_FDS 16
typedef void (*SysFdFn)(void *opaque, short revents);
int sys_fd_add(int fd, short events, SysFdFn fn, void *opaque);
void sys_fd_events(int fd, short events);
void sys_fd_del(int fd);

#endif
