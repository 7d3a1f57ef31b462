/* SPDX-License-Identifier: MIT */
/* The gdb stub's target-independent parts (src/core): the GDB remote serial
 * protocol engine (framing, checksums, escapes, command dispatch) driven by a
 * small ops table, and the breakpoint/watchpoint lists the frontends and the
 * soft MMU consult. System mode's glue is src/service/gdb_sys.c, user mode's
 * src/user/gdb_user.c. */
#ifndef VM_GDBSTUB_H
#define VM_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/cpu.h"

/* -- Breakpoints and watchpoints (gdb_debug.c) --------------------------------------
 * Types are the Z packet's: 0 software breakpoint, 1 hardware breakpoint,
 * 2 write, 3 read, 4 access watchpoint. Addresses are guest virtual. The lists
 * change only while every vCPU is stopped (the glue pauses them), so readers on
 * vCPU threads need no lock; after a change the glue drops translations
 * (breakpoints) or flushes TLBs (watchpoints). */
enum { GDB_BP_SW = 0, GDB_BP_HW = 1, GDB_WP_WRITE = 2, GDB_WP_READ = 3, GDB_WP_ACCESS = 4 };
#define GDB_MAX_BP 64
#define GDB_MAX_WP 16

/* 0, -EEXIST (already there: not an error for gdb, the glue answers OK),
 * -ENOSPC (list full), -EINVAL (bad type or length). */
int gdb_bp_insert(int type, uint64_t addr, uint64_t len);
/* 0 or -ENOENT. */
int gdb_bp_remove(int type, uint64_t addr, uint64_t len);
void gdb_bp_clear(void);
/* A Z/z packet's point (kind: a watchpoint's length in bytes; a breakpoint's
 * instruction size, which the lists do not keep) inserted or removed, as the
 * glue answers it: one already there or not there is no error for gdb (it
 * removes and re-inserts every point at each stop). 0, -ENOSPC or -EINVAL. */
int gdb_point_set(bool insert, int type, uint64_t addr, uint64_t kind);
/* Counts, read lock-free on hot paths (translation, TLB fill). */
extern unsigned gdb_nbp, gdb_nwp;
/* A signature of the breakpoint (watch false) or watchpoint set, the same
 * for the same set in any order: the glue flushes only when it changed. */
uint64_t gdb_points_sig(bool watch);
/* A breakpoint at pc: its type (GDB_BP_SW/HW), or -1. */
int gdb_bp_at(uint64_t pc);
/* Watch kinds over [va, va+len): bit 0 = a read or access watchpoint overlaps,
 * bit 1 = a write or access watchpoint overlaps. */
unsigned gdb_wp_kinds(uint64_t va, uint64_t len);
/* An access of size bytes at va of kind acc (MEM_READ or MEM_WRITE): the
 * watchpoint it triggers (its type), or -1. */
int gdb_wp_match(uint64_t va, unsigned size, MemAccess acc);

/* The soft MMU's check on a watched page (system mode): when the access hits a
 * watchpoint, records it and leaves guest code with EXCP_DEBUG before the
 * access, pc at the instruction: gdb's RISC-V and AArch64 targets expect
 * watchpoints to fire before the access and step over it themselves. */
void gdb_watch_check(CpuState *cpu, uint64_t va, unsigned size, MemAccess acc);

/* User mode's watchpoints (write only): served by single-stepping with value
 * compares. gdb_swwatch_sync takes the current values (on resume) and keeps
 * the accessors for gdb_debug_check; gdb_swwatch_changed reports the first
 * watched range whose value changed (0 with *addr and *type) or -1;
 * gdb_swwatch_undo writes back the values from before that change. The
 * accessors return 0 or -EFAULT and must not fault on unmapped guest memory. */
typedef int (*GdbMemRead)(void *opaque, uint64_t va, void *buf, size_t len);
typedef int (*GdbMemWrite)(void *opaque, uint64_t va, const void *buf, size_t len);
void gdb_swwatch_sync(GdbMemRead read, GdbMemWrite write, void *opaque);
int gdb_swwatch_changed(GdbMemRead read, void *opaque, uint64_t *addr, int *type);
void gdb_swwatch_undo(GdbMemWrite write, void *opaque);

/* -- Engine side (vCPU loops) --------------------------------------------------------- */

/* The check every debug block starts with (called by the frontend's IR, see
 * frontend_translate): stops with EXCP_DEBUG at pc once a step's instruction
 * has run, or when a value watchpoint changed. */
void gdb_debug_check(CpuState *cpu, uint64_t pc);
/* A vCPU loop got EXCP_DEBUG from exec. Returns true when the stop is for gdb
 * (cpu->debug.reason says why; a breakpoint block's raise leaves NONE, made
 * BREAK here). */
bool gdb_cpu_debug_exit(CpuState *cpu);
/* A guest trap, system call or signal left guest code while debugging. When
 * stepping, the trapping instruction was the step, so the handler's first
 * instruction is where it stops; a value-watch checkpoint cannot be replayed
 * across it. */
static inline void gdb_cpu_trapped(CpuState *cpu)
{
    if (cpu->debug.flags & CPU_DEBUG_STEP) cpu->debug.step_done = 1;
    cpu->debug.ckpt_valid = 0;
}

/* -- Protocol engine (gdbstub.c) -------------------------------------------------------
 * Threads are numbered 1..n (vCPU i is thread i+1). All calls come from one
 * thread at a time (system mode: the main loop; user mode: the vCPU thread). */

typedef enum GdbAction { GDB_ACT_STOP = 0, GDB_ACT_CONT, GDB_ACT_STEP } GdbAction;

typedef struct GdbStop {
    int tid;          /* thread that stopped (0: any) */
    int sig;          /* gdb's numbering (GDB_SIG_*): 5 SIGTRAP, 2 SIGINT, ... */
    int reason;       /* CPU_STOP_* */
    int type;         /* breakpoint or watchpoint type (GDB_BP_* / GDB_WP_*) */
    uint64_t addr;    /* watchpoint address */
    bool exited;      /* the program ended: W<code>, or X<killed_by> */
    int code;
    int killed_by;    /* with exited: the signal (gdb's numbering) that ended it, or 0 */
} GdbStop;

/* The stop report of thread tid after gdb_cpu_debug_exit said cpu stopped for
 * gdb: SIGTRAP, with the watchpoint or breakpoint that caused it. */
GdbStop gdb_stop_of(const CpuState *cpu, int tid);

/* Signal numbers in stop replies and C/S packets are gdb's own (RSP "Stop
 * Reply Packets": "as defined by GDB's signals.def"), not the host's or the
 * guest's: they agree for 1-6, 8, 9, 11, 13-15 but not for SIGBUS (7 on
 * Linux, 10 for gdb), SIGUSR1, SIGCHLD, real-time signals... These convert
 * the asm-generic Linux numbering riscv64 and aarch64 guests use; 0 when
 * there is no counterpart. */
int gdb_sig_from_linux(int sig);
int gdb_sig_to_linux(int gsig);

typedef struct GdbOps {
    /* Sends bytes to the client. */
    void (*send)(void *opaque, const void *buf, size_t len);
    /* Thread ids alive, in order: how many (at most max written). */
    int (*threads)(void *opaque, int *tids, int max);
    const char *(*target_xml)(void *opaque);
    unsigned (*g_count)(void *opaque, int tid);
    /* As GuestArch.gdb_read_reg / gdb_write_reg, for thread tid. */
    unsigned (*read_reg)(void *opaque, int tid, unsigned n, uint8_t *buf);
    int (*write_reg)(void *opaque, int tid, unsigned n, const uint8_t *buf, unsigned len);
    /* Guest virtual memory as thread tid sees it: bytes done (> 0), or -errno
     * when the first byte is not accessible. */
    long (*read_mem)(void *opaque, int tid, uint64_t addr, uint8_t *buf, size_t len);
    long (*write_mem)(void *opaque, int tid, uint64_t addr, const uint8_t *buf, size_t len);
    /* Z/z: 0, -ENOSYS (unsupported type: empty reply), or -errno (E reply). */
    int (*insert_point)(void *opaque, int type, uint64_t addr, uint64_t kind);
    int (*remove_point)(void *opaque, int type, uint64_t addr, uint64_t kind);
    /* Resumes: act[i] for thread i+1 (n threads), sig[i] the signal gdb
     * passes to it (C/S/vCont;C/S, gdb's numbering, 0: none). The glue
     * calls gdb_stub_stopped when the target stops again. */
    void (*resume)(void *opaque, const GdbAction *act, const int *sig, int n);
    /* Ctrl-C while running: stop every thread soon (then gdb_stub_stopped). */
    void (*interrupt)(void *opaque);
    /* D: every breakpoint removed, the guest runs on; k: vm exits. */
    void (*detach)(void *opaque);
    void (*kill)(void *opaque);
} GdbOps;

typedef struct GdbStub GdbStub;

/* A stub for one connection; the target is taken as stopped (gdb's first
 * question is '?'), with initial as the stop to report. */
GdbStub *gdb_stub_new(const GdbOps *ops, void *opaque, const GdbStop *initial);
void gdb_stub_free(GdbStub *s);
/* Bytes received from the client: parses and answers every complete packet. */
void gdb_stub_input(GdbStub *s, const uint8_t *buf, size_t n);
/* The target stopped: sends the stop reply when gdb is waiting for one. */
void gdb_stub_stopped(GdbStub *s, const GdbStop *stop);
/* True between a resume and the next gdb_stub_stopped. */
bool gdb_stub_running(const GdbStub *s);
/* True once the client detached or killed (the glue closes the connection). */
bool gdb_stub_done(const GdbStub *s);

/* Listens on "tcp::PORT" / "tcp:HOST:PORT" (empty host: 127.0.0.1). Returns
 * the listening socket, or -1 with a one-line message in err. */
int gdb_listen(const char *spec, char *err, size_t errlen);
/* Sends all of buf on the client socket fd (blocking or not: waits up to 5 s
 * for room, after which the client counts as gone). 0, or -1 when the
 * connection failed or the client stopped reading. */
int gdb_send_all(int fd, const void *buf, size_t len);

#endif
