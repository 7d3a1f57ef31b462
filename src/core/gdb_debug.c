/* SPDX-License-Identifier: MIT */
/* The gdb stub's breakpoint and watchpoint lists, the per-instruction check of
 * debug blocks (single step, value watchpoints) and the soft MMU's watchpoint
 * hit, shared by every engine, both modes and every guest. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm/arch.h"
#include "vm/gdbstub.h"

typedef struct GdbPoint {
    int type;
    uint64_t addr, len;
    /* Value watchpoints (user mode): the last value seen, and the one before
     * it while a change is being undone. */
    uint8_t old[8], prev[8];
    bool old_valid, prev_valid, changed;
} GdbPoint;

/* Changed only while every vCPU is stopped (see gdbstub.h). */
static GdbPoint bps[GDB_MAX_BP], wps[GDB_MAX_WP];
unsigned gdb_nbp, gdb_nwp;

int gdb_bp_insert(int type, uint64_t addr, uint64_t len)
{
    bool watch = type >= GDB_WP_WRITE && type <= GDB_WP_ACCESS;
    if (type < GDB_BP_SW || type > GDB_WP_ACCESS) return -EINVAL;
    /* A watchpoint covers 1..8 bytes without wrapping (value watchpoints keep
     * the old value in 8 bytes; gdb splits larger ranges itself). */
    if (watch && (len == 0 || len > 8 || addr + len < addr)) return -EINVAL;
    GdbPoint *list = watch ? wps : bps;
    unsigned *n = watch ? &gdb_nwp : &gdb_nbp, max = watch ? GDB_MAX_WP : GDB_MAX_BP;
    for (unsigned i = 0; i < *n; i++)
        if (list[i].type == type && list[i].addr == addr && (!watch || list[i].len == len))
            return -EEXIST;
    if (*n == max) return -ENOSPC;
    list[*n] = (GdbPoint){.type = type, .addr = addr, .len = watch ? len : 1};
    __atomic_store_n(n, *n + 1, __ATOMIC_RELEASE);
    return 0;
}

int gdb_bp_remove(int type, uint64_t addr, uint64_t len)
{
    bool watch = type >= GDB_WP_WRITE && type <= GDB_WP_ACCESS;
    GdbPoint *list = watch ? wps : bps;
    unsigned *n = watch ? &gdb_nwp : &gdb_nbp;
    for (unsigned i = 0; i < *n; i++)
        if (list[i].type == type && list[i].addr == addr && (!watch || list[i].len == len)) {
            list[i] = list[*n - 1];
            __atomic_store_n(n, *n - 1, __ATOMIC_RELEASE);
            return 0;
        }
    return -ENOENT;
}

void gdb_bp_clear(void)
{
    __atomic_store_n(&gdb_nbp, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&gdb_nwp, 0, __ATOMIC_RELEASE);
}

int gdb_point_set(bool insert, int type, uint64_t addr, uint64_t kind)
{
    uint64_t len = type >= GDB_WP_WRITE ? kind : 1;
    if (insert) {
        int r = gdb_bp_insert(type, addr, len);
        return r == -EEXIST ? 0 : r;
    }
    int r = gdb_bp_remove(type, addr, len);
    return r == -ENOENT ? 0 : r; /* gdb removes what it may not have inserted */
}

/* Order-independent: a set removed and inserted again signs the same. */
uint64_t gdb_points_sig(bool watch)
{
    const GdbPoint *list = watch ? wps : bps;
    unsigned n = watch ? gdb_nwp : gdb_nbp;
    uint64_t sig = n;
    for (unsigned i = 0; i < n; i++) {
        uint64_t h = (list[i].addr ^ (uint64_t)list[i].type << 56 ^ list[i].len << 48) *
                     0x9e3779b97f4a7c15ull;
        sig += h ^ (h >> 29);
    }
    return sig;
}

int gdb_bp_at(uint64_t pc)
{
    unsigned n = __atomic_load_n(&gdb_nbp, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < n; i++)
        if (bps[i].addr == pc) return bps[i].type;
    return -1;
}

static inline bool overlaps(const GdbPoint *w, uint64_t va, uint64_t len)
{
    return va < w->addr + w->len && w->addr < va + len;
}

unsigned gdb_wp_kinds(uint64_t va, uint64_t len)
{
    unsigned n = __atomic_load_n(&gdb_nwp, __ATOMIC_ACQUIRE), k = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!overlaps(&wps[i], va, len)) continue;
        if (wps[i].type != GDB_WP_WRITE) k |= 1;
        if (wps[i].type != GDB_WP_READ) k |= 2;
    }
    return k;
}

int gdb_wp_match(uint64_t va, unsigned size, MemAccess acc)
{
    unsigned n = __atomic_load_n(&gdb_nwp, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < n; i++) {
        const GdbPoint *w = &wps[i];
        if (!overlaps(w, va, size)) continue;
        if (w->type == GDB_WP_ACCESS || (acc == MEM_WRITE && w->type == GDB_WP_WRITE) ||
            (acc == MEM_READ && w->type == GDB_WP_READ))
            return w->type;
    }
    return -1;
}

/* -- Soft MMU (system mode) --------------------------------------------------------- */

void gdb_watch_check(CpuState *cpu, uint64_t va, unsigned size, MemAccess acc)
{
    CpuDebug *d = &cpu->debug;
    int type = gdb_wp_match(va, size, acc);
    if (type < 0) return;
    /* Leave before the access, with cpu->pc at the instruction (memory ops
     * are precise): gdb's RISC-V and AArch64 targets take watchpoints as
     * firing before the access, then step over it themselves and compare
     * values (gdbarch "nonsteppable watchpoints"). */
    d->reason = CPU_STOP_WATCH;
    d->wtype = (uint32_t)type;
    d->waddr = va;
    cpu_raise(cpu, EXCP_DEBUG, va);
}

/* -- Value watchpoints (user mode) ---------------------------------------------------- */

/* The accessors the last sync used: gdb_debug_check compares with them. */
static GdbMemRead sw_read;
static GdbMemWrite sw_write;
static void *sw_opaque;

void gdb_swwatch_sync(GdbMemRead read, GdbMemWrite write, void *opaque)
{
    sw_read = read;
    sw_write = write;
    sw_opaque = opaque;
    for (unsigned i = 0; i < gdb_nwp; i++) {
        wps[i].old_valid = read(opaque, wps[i].addr, wps[i].old, wps[i].len) == 0;
        wps[i].changed = false;
    }
}

int gdb_swwatch_changed(GdbMemRead read, void *opaque, uint64_t *addr, int *type)
{
    int hit = -1;
    for (unsigned i = 0; i < gdb_nwp; i++) {
        uint8_t now[8];
        bool ok = read(opaque, wps[i].addr, now, wps[i].len) == 0;
        wps[i].changed = false;
        if (ok == wps[i].old_valid && (!ok || !memcmp(now, wps[i].old, wps[i].len))) continue;
        /* Keep the old bytes for gdb_swwatch_undo, the new ones for the next compare. */
        memcpy(wps[i].prev, wps[i].old, sizeof(wps[i].prev));
        wps[i].prev_valid = wps[i].old_valid;
        memcpy(wps[i].old, now, sizeof(now));
        wps[i].old_valid = ok;
        wps[i].changed = true;
        if (hit < 0) {
            *addr = wps[i].addr;
            *type = wps[i].type;
            hit = 0;
        }
    }
    return hit;
}

void gdb_swwatch_undo(GdbMemWrite write, void *opaque)
{
    for (unsigned i = 0; i < gdb_nwp; i++) {
        if (!wps[i].changed || !wps[i].prev_valid) continue;
        write(opaque, wps[i].addr, wps[i].prev, wps[i].len);
        memcpy(wps[i].old, wps[i].prev, sizeof(wps[i].old));
        wps[i].changed = false;
    }
}

/* -- Debug blocks and the vCPU loops ---------------------------------------------------- */

/* User mode's value watchpoints report before the instruction that changed
 * a watched value, as the soft MMU's do: each debug block saves the vCPU's
 * registers first, and a change seen at the next block puts them and the
 * watched bytes back and stops at the writing instruction (gdb then steps over
 * it). A system call or signal in between cannot be replayed: that stop comes
 * after it (gdb_cpu_trapped drops the checkpoint). */
static void ckpt_save(CpuState *cpu)
{
    CpuDebug *d = &cpu->debug;
    size_t n = cpu->arch->cpu_size - sizeof(CpuState);
    if (!d->ckpt && !(d->ckpt = malloc(n))) return;
    memcpy(d->ckpt, (char *)cpu + sizeof(CpuState), n);
    d->ckpt_pc = cpu->pc;
    d->ckpt_fp = cpu->fp;
    d->ckpt_valid = 1;
}

static void ckpt_restore(CpuState *cpu)
{
    CpuDebug *d = &cpu->debug;
    memcpy((char *)cpu + sizeof(CpuState), d->ckpt, cpu->arch->cpu_size - sizeof(CpuState));
    cpu->pc = d->ckpt_pc;
    cpu->fp = d->ckpt_fp;
}

void gdb_debug_check(CpuState *cpu, uint64_t pc)
{
    CpuDebug *d = &cpu->debug;
    if (d->flags & CPU_DEBUG_STEP) {
        if (d->step_done) {
            d->reason = CPU_STOP_STEP;
            cpu->pc = pc;
            cpu_raise(cpu, EXCP_DEBUG, pc);
        }
        d->step_done = 1;
    }
    if ((d->flags & CPU_DEBUG_SWWATCH) && sw_read) {
        uint64_t addr;
        int type;
        cpu->pc = pc;
        if (!gdb_swwatch_changed(sw_read, sw_opaque, &addr, &type)) {
            d->reason = CPU_STOP_WATCH;
            d->wtype = (uint32_t)type;
            d->waddr = addr;
            if (d->ckpt_valid && sw_write) {
                ckpt_restore(cpu);
                gdb_swwatch_undo(sw_write, sw_opaque);
            }
            d->ckpt_valid = 0;
            cpu_raise(cpu, EXCP_DEBUG, cpu->pc);
        }
        ckpt_save(cpu);
    }
}

bool gdb_cpu_debug_exit(CpuState *cpu)
{
    CpuDebug *d = &cpu->debug;
    if (d->reason == CPU_STOP_NONE) d->reason = CPU_STOP_BREAK; /* a breakpoint block's raise */
    return true;
}

GdbStop gdb_stop_of(const CpuState *cpu, int tid)
{
    const CpuDebug *d = &cpu->debug;
    GdbStop st = {.tid = tid, .sig = 5, .reason = (int)d->reason};
    if (d->reason == CPU_STOP_WATCH) {
        st.type = (int)d->wtype;
        st.addr = d->waddr;
    } else if (d->reason == CPU_STOP_BREAK) {
        int t = gdb_bp_at(cpu->pc);
        st.type = t < 0 ? GDB_BP_SW : t;
    }
    return st;
}
