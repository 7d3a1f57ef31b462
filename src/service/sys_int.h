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
/* Writes vm's own text (monitor answers, escape help) to the host side of
 * the console, bypassing the output watchers and held guest output. */
void sys_char_host_write(SysChar *c, const void *buf, size_t n);
/* stdio only: shares the terminal with the monitor. Ctrl-A c moves the
 * keyboard between the console and input(); focus() is told each switch.
 * While the monitor has it, guest output is held (latest 64 KiB) and shown
 * when the console gets the terminal back. active: start in the monitor.
 * Both callbacks run on the main thread. 0, or -1 (not stdio, no memory). */
typedef void (*SysCharMonFn)(void *opaque, const uint8_t *buf, size_t n);
typedef void (*SysCharFocusFn)(void *opaque, bool monitor);
int sys_char_mux_monitor(SysChar *c, SysCharMonFn input, SysCharFocusFn focus, void *opaque,
                         bool active);

/* -chardev (chardev_host.c): opens every o->chardevs backend (a stdio one with
 * the Ctrl-A escapes, quit on Ctrl-A x); *devs gets one CharDev per entry for
 * MachineHost.chardevs, *stdio is set when one is the terminal. 0, or -1
 * after one "vm: ..." line. The I/O loop polls them beside the serial:
 * pollfds fills up to VM_MAX_CHARDEVS entries and returns how many; service
 * takes the same array after poll; pending asks for a retry timeout. */
struct VmOptions;
int sys_chardevs_open(const struct VmOptions *o, int wake_fd, SysQuitFn quit, CharDev ***devs, bool *stdio);
int sys_chardevs_pollfds(struct pollfd *p);
void sys_chardevs_service(const struct pollfd *p);
bool sys_chardevs_pending(void);

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

/* -- Monitor (monitor.c) and -chat (chat.c), set up by sys_main. -- */

/* Opens -monitor (stdio, unix:PATH[,server][,nowait]) and, unless -monitor
 * none, the Ctrl-A c monitor on a stdio console. Call once the machine
 * exists, before the vCPUs start. 0, or -1 after one "vm: ..." line. */
int mon_setup(const struct VmOptions *o, SysChar *serial);
/* After mon_setup: true when some monitor can take commands (-S waits for its cont). */
bool mon_active(void);
/* Reads and checks the -chat script (errors name its line) and attaches it
 * to the console. Before the machine starts. 0, or -1 after one error line. */
int chat_setup(const struct VmOptions *o, SysChar *serial);
/* After the vCPUs stopped: the exit status, SYS_EXIT_CHAT (with a line
 * saying so) if the script was still waiting for an expect. */
int chat_finish(int status);

/* -- Snapshots (snapshot.c): the file format is docs/snapshot-format.md. -- */

/* Both are called on the main thread with every vCPU paused (sys_pause).
 * 0 on success; -1 with a one-line message in err that names the file (no
 * "vm: " prefix). snap_file_load checks the whole file against the running
 * machine (configuration, disk images, checksums) before it changes anything:
 * on error the machine is left as it was. */
int snap_file_save(struct Machine *m, const char *path, char *err, size_t errlen);
int snap_file_load(struct Machine *m, const char *path, char *err, size_t errlen);
/* sys_main's hooks. snap_setup: after machine_create, before the vCPU
 * threads start: restores -snapshot-load and arms the -snapshot-save trigger;
 * 0, or -1 after one "vm: ..." line. snap_poweroff: the guest asked for
 * power-off (any thread). snap_finish: every vCPU thread has stopped; saves
 * for on=poweroff; 0, or -1 after one "vm: ..." line. */
int snap_setup(struct Machine *m, const struct VmOptions *o);
void snap_poweroff(void);
int snap_finish(struct Machine *m);

/* -- gdb stub (gdb_sys.c) -- */

struct CpuState;
/* A vCPU thread stops the machine without waiting for the others (it parks
 * at its next loop turn); the main thread balances it with sys_resume. */
void sys_pause_nowait(void);
/* gdb's per-thread resume (vCont with threads left stopped): vCPU i stays
 * parked through sys_resume while held. Call with every vCPU paused. */
void sys_vcpu_hold(int i, bool held);
/* -S: one sys_pause taken before the vCPUs start, released once by whichever
 * of gdb (first resume or detach) and the monitor (cont) comes first:
 * sys_release_start returns true when it released it. Main thread only. */
void sys_hold_start(void);
bool sys_release_start(void);
bool sys_start_is_held(void);
/* -gdb / -s / -S: listens, and with -S holds the vCPUs before their first
 * instruction until gdb or the monitor lets them go (sys_hold_start). After machine creation, before the
 * vCPUs start. 0, or -1 after one "vm: ..." line. */
int gdb_sys_setup(const struct VmOptions *o);
/* vCPU thread, after gdb_cpu_debug_exit said so: stops every vCPU and
 * reports to gdb (cpu->debug says why). The caller then parks. */
void gdb_sys_vcpu_stopped(struct CpuState *cpu);
/* Every vCPU thread has ended: tells a waiting gdb the run is over (W
 * packet with the exit status) and closes the connection. */
void gdb_sys_finish(int status);

#endif
