/* SPDX-License-Identifier: MIT */
/* The monitor: an HMP-like command line (-monitor stdio|unix:PATH, and Ctrl-A c
 * on a stdio console) to inspect and drive a running machine. Everything runs
 * on the main thread from the I/O loop; commands that read guest state pause
 * every vCPU around the read (sys_pause nests, so this also holds after stop). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "service/sys_int.h"
#include "vm/engine.h"
#include "vm/log.h"
#include "vm/machine.h"
#include "vm/mem.h"
#include "vm/system.h"
#include "vm/tlb.h"

#define MON_PROMPT "(vm) "
#define MON_LINE_MAX 1024
#define MON_MAX_CLIENTS 4
/* x/xp: at most this many bytes per command (a mistyped count must not flood). */
#define MON_X_MAX (64 * 1024)

typedef enum { MON_MUX, MON_FD } MonKind;

typedef struct MonSession {
    MonKind kind;
    int in_fd, out_fd; /* MON_FD: stdin/stdout, or one socket client for both */
    bool is_client;    /* a socket client (closed on EOF) */
    bool was_client;   /* a closed client's session, free for the next one */
    int esc;           /* MON_MUX keys: inside an escape sequence (arrow keys...) */
    char line[MON_LINE_MAX];
    size_t len;
    bool overlong;     /* the line did not fit: ignore it up to its end */
    int cpu;           /* the vCPU info registers, info mem and x use */
    char last_fmt;     /* x/xp defaults: the previous format and size */
    unsigned last_size;
    struct MonSession *next;
} MonSession;

static struct {
    SysChar *mux;          /* the stdio console we share (Ctrl-A c), or NULL */
    MonSession *sessions;
    int nclients;
    int listen_fd;
    char path[108];        /* unix socket path we created (unlinked at exit) */
    bool stopped;          /* "stop" holds one sys_pause */
} mon = {.listen_fd = -1};

/* -- Output ---------------------------------------------------------------------------- */

static void mon_close(MonSession *s);

static void mon_send(MonSession *s, const char *buf, size_t n)
{
    if (s->kind == MON_MUX) {
        sys_char_host_write(mon.mux, buf, n);
        return;
    }
    while (n && s->out_fd >= 0) {
        ssize_t w = s->is_client ? send(s->out_fd, buf, n, MSG_NOSIGNAL) : write(s->out_fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            /* A client that stops reading gets a second, then is dropped:
             * the monitor must not stall the I/O loop for ever. */
            struct pollfd p = {.fd = s->out_fd, .events = POLLOUT};
            if (poll(&p, 1, 1000) > 0) continue;
        }
        if (w <= 0) {
            if (s->is_client) mon_close(s);
            else s->out_fd = -1;
            return;
        }
        buf += w;
        n -= (size_t)w;
    }
}

static void mon_prompt(MonSession *s) { mon_send(s, MON_PROMPT, sizeof(MON_PROMPT) - 1); }

/* -- Helpers for commands ------------------------------------------------------------------ */

static Machine *mon_machine(FILE *f)
{
    Machine *m = sys_machine();
    if (!m) fprintf(f, "no machine\n");
    return m;
}

static CpuState *mon_cpu(MonSession *s, Machine *m)
{
    if (s->cpu < 0 || s->cpu >= m->ncpus) s->cpu = 0;
    return m->cpus[s->cpu];
}

/* Skips blanks; returns the next word (NUL-terminated in place) or NULL. */
static char *mon_word(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    char *w = s;
    while (*s && *s != ' ' && *s != '\t') s++;
    if (*s) *s++ = 0;
    *p = s;
    return w;
}

static char *mon_rest(char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) p[--n] = 0;
    return p;
}

/* A register by its name in the arch's slot table (or pc). */
static bool mon_reg(CpuState *cpu, const char *name, size_t len, uint64_t *v)
{
    if (len == 2 && !strncmp(name, "pc", 2)) {
        *v = cpu->pc;
        return true;
    }
    const GuestArch *a = cpu->arch;
    for (unsigned i = 0; i < a->nregs; i++) {
        const IrRegInfo *r = &a->regs[i];
        if (strlen(r->name) == len && !strncmp(r->name, name, len)) {
            const uint8_t *p = (const uint8_t *)cpu + r->offset;
            if (r->type == IR_I32) {
                uint32_t x;
                memcpy(&x, p, 4);
                *v = x;
            } else {
                memcpy(v, p, 8);
            }
            return true;
        }
    }
    return false;
}

/* ADDR: terms (a number, 0x... hex, or $reg / $pc) joined by + and -. */
static bool mon_expr(const char *s, CpuState *cpu, uint64_t *out, FILE *f)
{
    uint64_t acc = 0;
    int sign = 1;
    bool want_term = true;
    while (*s) {
        if (isspace((unsigned char)*s)) {
            s++;
            continue;
        }
        if (!want_term && (*s == '+' || *s == '-')) {
            sign = *s == '-' ? -1 : 1;
            want_term = true;
            s++;
            continue;
        }
        if (!want_term) {
            fprintf(f, "unexpected '%s' in the address (expressions: NUMBER, $REG, + and -)\n", s);
            return false;
        }
        uint64_t v;
        if (*s == '$') {
            const char *n = ++s;
            while (isalnum((unsigned char)*s) || *s == '_') s++;
            if (!cpu || !mon_reg(cpu, n, (size_t)(s - n), &v)) {
                fprintf(f, "unknown register '$%.*s'\n", (int)(s - n), n);
                return false;
            }
        } else if (isdigit((unsigned char)*s)) {
            char *end;
            errno = 0;
            /* Hex with 0x, else decimal (no octal surprise for 010). */
            bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
            v = strtoull(s, &end, hex ? 16 : 10);
            if (errno || isalnum((unsigned char)*end) || *end == '_') {
                fprintf(f, "bad number '%s'\n", s);
                return false;
            }
            s = end;
        } else {
            fprintf(f, "bad address '%s' (expected a number, 0xHEX or $REG)\n", s);
            return false;
        }
        acc += sign > 0 ? v : -v;
        want_term = false;
    }
    if (want_term) {
        fprintf(f, "missing address\n");
        return false;
    }
    *out = acc;
    return true;
}

/* Reads [addr, addr+n) of guest memory into buf, physical or virtual (the
 * vCPU's current translation, read-only). Returns the bytes read; on a short
 * read, says why on f (unless f is NULL). Device (MMIO) memory is not read:
 * reads have effects. */
static size_t mon_read(CpuState *cpu, Machine *m, uint64_t addr, bool virt, uint8_t *buf, size_t n,
                       FILE *f)
{
    size_t done = 0;
    while (done < n) {
        uint64_t va = addr + done, pa = va;
        size_t chunk = TLB_PAGE_SIZE - (va & (TLB_PAGE_SIZE - 1));
        if (chunk > n - done) chunk = n - done;
        if (virt) {
            if (!cpu->arch->debug_translate) {
                if (f) fprintf(f, "virtual addresses are not supported for %s guests (use xp)\n",
                        cpu->arch->name);
                return done;
            }
            if (cpu->arch->debug_translate(cpu, va, &pa)) {
                if (f) fprintf(f, "cannot access 0x%" PRIx64 ": not mapped in the current address space "
                           "(no fault is raised in the guest)\n", va);
                return done;
            }
        }
        const PhysRegion *r = phys_find(m->phys, pa);
        if (!r) {
            if (f) fprintf(f, "cannot access physical 0x%" PRIx64 ": nothing is there\n", pa);
            return done;
        }
        if (!r->host) {
            if (f) fprintf(f, "physical 0x%" PRIx64 " is device memory (%s): not read, device reads "
                       "have side effects\n", pa, r->name ? r->name : "MMIO");
            return done;
        }
        uint64_t room = r->base + r->size - pa;
        if (chunk > room) chunk = (size_t)room;
        memcpy(buf + done, r->host + (pa - r->base), chunk);
        done += chunk;
    }
    return done;
}

static uint64_t mon_load(const uint8_t *p, unsigned size, bool big)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) v |= (uint64_t)p[big ? i : size - 1 - i] << (8 * (size - 1 - i));
    return v;
}

/* -- Commands ---------------------------------------------------------------------------- */

typedef struct MonCmd {
    const char *name, *args, *help;
    void (*fn)(MonSession *s, FILE *f, char *fmt, char *args);
} MonCmd;
static const MonCmd mon_cmds[];

static void cmd_help(MonSession *s, FILE *f, char *fmt, char *args);

static void info_status(MonSession *s, FILE *f)
{
    Machine *m = sys_machine();
    bool paused = sys_paused();
    fprintf(f, "VM status: %s\n", sys_start_is_held() ? "paused (-S; 'cont' starts it)"
                                  : mon.stopped && paused ? "paused (stop; 'cont' resumes)"
                                  : paused             ? "paused (by the debugger or a snapshot)"
                                                       : "running");
    if (m)
        fprintf(f, "machine %s, %d vCPU%s, %s guest, engine %s\n", m->name ? m->name : "?", m->ncpus,
                m->ncpus == 1 ? "" : "s", m->arch->name, m->engine ? m->engine->name : "?");
}

static void info_registers(MonSession *s, FILE *f, Machine *m, bool all)
{
    for (int i = 0; i < m->ncpus; i++) {
        if (!all && i != s->cpu) continue;
        CpuState *cpu = m->cpus[i];
        if (all || m->ncpus > 1) fprintf(f, "CPU #%d:\n", i);
        if (cpu->arch->dump_regs)
            cpu->arch->dump_regs(cpu, f);
        else
            fprintf(f, "pc %016" PRIx64 "\n", cpu->pc);
    }
}

static void info_cpus(MonSession *s, FILE *f, Machine *m)
{
    for (int i = 0; i < m->ncpus; i++) {
        CpuState *cpu = m->cpus[i];
        pthread_mutex_lock(&cpu->halt_lock);
        int halted = cpu->halted;
        pthread_mutex_unlock(&cpu->halt_lock);
        fprintf(f, "%c CPU #%d: pc=0x%016" PRIx64 "%s\n", i == s->cpu ? '*' : ' ', i, cpu->pc,
                halted ? " (halted: waiting for an interrupt)" : "");
    }
}

static void info_jit(FILE *f, Machine *m)
{
    if (!m->engine || strcmp(m->engine->name, "jit")) {
        fprintf(f, "the JIT is not in use: this machine runs on the %s engine (-accel jit selects "
                   "the JIT)\n", m->engine ? m->engine->name : "?");
        return;
    }
#ifdef CONFIG_JIT
    jit_print_stats(f);
#endif
}

static void cmd_info(MonSession *s, FILE *f, char *fmt, char *args)
{
    char *what = mon_word(&args);
    static const char list[] = "status, registers [-a], cpus, tlb, jit, mem";
    if (!what) {
        fprintf(f, "info what? (%s)\n", list);
        return;
    }
    if (!strcmp(what, "status")) {
        info_status(s, f);
        return;
    }
    Machine *m = mon_machine(f);
    if (!m) return;
    bool regs = !strcmp(what, "registers"), cpus = !strcmp(what, "cpus"),
         tlb = !strcmp(what, "tlb"), jit = !strcmp(what, "jit"), mem = !strcmp(what, "mem");
    if (!regs && !cpus && !tlb && !jit && !mem) {
        fprintf(f, "unknown info '%s' (%s)\n", what, list);
        return;
    }
    char *opt = mon_word(&args);
    bool all = false;
    if (opt && regs && !strcmp(opt, "-a")) {
        all = true;
        opt = mon_word(&args);
    }
    if (opt) {
        fprintf(f, "info %s: unexpected '%s'\n", what, opt);
        return;
    }
    sys_pause();
    CpuState *cpu = mon_cpu(s, m);
    if (regs) info_registers(s, f, m, all);
    if (cpus) info_cpus(s, f, m);
    if (tlb) {
        for (int i = 0; i < m->ncpus; i++) {
            if (m->cpus[i]->tlb) tlb_print_stats(m->cpus[i], f);
        }
    }
    if (jit) info_jit(f, m);
    if (mem) {
        if (cpu->arch->dump_mappings)
            cpu->arch->dump_mappings(cpu, f);
        else
            fprintf(f, "info mem is not supported for %s guests\n", cpu->arch->name);
    }
    sys_resume();
}

static void cmd_stop(MonSession *s, FILE *f, char *fmt, char *args)
{
    if (mon.stopped && sys_paused()) {
        fprintf(f, "already stopped\n");
        return;
    }
    mon.stopped = true;
    sys_pause();
}

static void cmd_cont(MonSession *s, FILE *f, char *fmt, char *args)
{
    /* -S: the start pause goes to whichever of gdb and the monitor resumes first. */
    if (!mon.stopped && sys_release_start()) return;
    if (!mon.stopped) {
        fprintf(f, "not stopped%s\n", sys_paused() ? " by the monitor (the debugger or a snapshot "
                                                     "holds the vCPUs)" : ": already running");
        return;
    }
    mon.stopped = false;
    /* A guest reset in between restarted the vCPUs unpaused (sys_main). */
    if (sys_paused()) sys_resume();
}

static void cmd_cpu(MonSession *s, FILE *f, char *fmt, char *args)
{
    Machine *m = mon_machine(f);
    char *w = mon_word(&args), *end;
    if (!m) return;
    long n = w ? strtol(w, &end, 10) : -1;
    if (!w || *end || n < 0 || n >= m->ncpus) {
        fprintf(f, "cpu: expected a vCPU number 0-%d\n", m->ncpus - 1);
        return;
    }
    s->cpu = (int)n;
}

static void cmd_system_reset(MonSession *s, FILE *f, char *fmt, char *args)
{
    Machine *m = mon_machine(f);
    if (!m) return;
    if (!m->reset) {
        fprintf(f, "system_reset: machine %s cannot reset\n", m->name ? m->name : "?");
        return;
    }
    if (mon.stopped) {
        /* sys_main restarts the vCPUs running after a reset. */
        fprintf(f, "the machine restarts running (stop again if needed)\n");
        mon.stopped = false;
        sys_resume();
    }
    sys_reset();
}

static void cmd_system_powerdown(MonSession *s, FILE *f, char *fmt, char *args)
{
    /* riscv64 virt has no ACPI and no power-button device a guest could be
     * told about; the nearest thing a user wants is the machine off. */
    fprintf(f, "this machine has no power button the guest can see: powering off now, as if "
               "the guest had (status 0)\n");
    sys_stop(0, "powered off by the monitor (system_powerdown)");
}

static void cmd_quit(MonSession *s, FILE *f, char *fmt, char *args)
{
    sys_stop(0, NULL);
}

static void cmd_snap(FILE *f, char *args, bool save)
{
    const char *name = save ? "savevm" : "loadvm";
    char *path = mon_rest(args);
    Machine *m = mon_machine(f);
    if (!m) return;
    if (!*path) {
        fprintf(f, "%s: expected a FILE\n", name);
        return;
    }
    char err[512] = "";
    sys_pause();
    int r = save ? snap_file_save(m, path, err, sizeof(err)) : snap_file_load(m, path, err, sizeof(err));
    sys_resume();
    if (r)
        fprintf(f, "%s: %s\n", name, err[0] ? err : "failed");
    else
        fprintf(f, "%s %s\n", save ? "saved to" : "loaded from", path);
}

static void cmd_savevm(MonSession *s, FILE *f, char *fmt, char *args) { cmd_snap(f, args, true); }
static void cmd_loadvm(MonSession *s, FILE *f, char *fmt, char *args) { cmd_snap(f, args, false); }

/* x/FMT ADDR and xp/FMT ADDR. FMT = [count][format][size], format and size
 * letters in either order: x d u o c i, b h w g (defaults: 1, x, w; the
 * previous format and size are remembered, as in gdb). */
static void cmd_dump(MonSession *s, FILE *f, char *fmt, char *args, bool virt)
{
    const char *name = virt ? "x" : "xp";
    unsigned long count = 1;
    char format = s->last_fmt ? s->last_fmt : 'x';
    unsigned size = s->last_size ? s->last_size : 4;
    bool size_given = false;
    if (fmt) {
        char *p = fmt;
        if (isdigit((unsigned char)*p)) {
            count = strtoul(p, &p, 10);
            if (!count) {
                fprintf(f, "%s: count must be at least 1\n", name);
                return;
            }
        }
        for (; *p; p++) {
            switch (*p) {
            case 'x': case 'd': case 'u': case 'o': case 'c': case 'i': format = *p; break;
            case 'b': size = 1; size_given = true; break;
            case 'h': size = 2; size_given = true; break;
            case 'w': size = 4; size_given = true; break;
            case 'g': size = 8; size_given = true; break;
            case 's': case 'a': case 't': case 'f':
                fprintf(f, "%s: format '%c' is not supported (formats: x d u o c i; sizes: b h w g)\n",
                        name, *p);
                return;
            default:
                fprintf(f, "%s: bad format '/%s' (expected /[COUNT][x|d|u|o|c|i][b|h|w|g])\n", name, fmt);
                return;
            }
        }
    }
    if (format == 'c' && !size_given) size = 1;
    Machine *m = mon_machine(f);
    if (!m) return;
    char *a = mon_rest(args);
    if (!*a) {
        fprintf(f, "%s: expected an address (%s/FMT ADDR)\n", name, name);
        return;
    }
    sys_pause();
    CpuState *cpu = mon_cpu(s, m);
    uint64_t addr;
    if (!mon_expr(a, cpu, &addr, f)) goto out;
    s->last_fmt = format;
    s->last_size = size;

    if (format == 'i') {
        const GuestArch *ar = cpu->arch;
        if (!ar->disas) {
            fprintf(f, "%s/i: no disassembler for %s guests\n", name, ar->name);
            goto out;
        }
        unsigned long max = count > 4096 ? 4096 : count;
        for (unsigned long i = 0; i < max; i++) {
            uint8_t code[16];
            size_t want = ar->max_insn_len <= sizeof(code) ? ar->max_insn_len : sizeof(code);
            /* The last instruction of a mapping may be shorter than the maximum. */
            size_t got = mon_read(cpu, m, addr, virt, code, want, NULL);
            char text[128];
            unsigned len = got ? ar->disas(addr, code, got, text, sizeof(text)) : 0;
            if (!len) {
                if (!got) mon_read(cpu, m, addr, virt, code, 1, f);
                else fprintf(f, "0x%016" PRIx64 ": (cannot decode)\n", addr);
                break;
            }
            fprintf(f, "0x%016" PRIx64 ":  %s\n", addr, text);
            addr += len;
        }
        if (count > max) fprintf(f, "(stopped after %lu instructions)\n", max);
        goto out;
    }

    if (count > MON_X_MAX / size) {
        fprintf(f, "%s: at most %u bytes at a time (asked for %lu)\n", name, MON_X_MAX, count * size);
        goto out;
    }
    size_t n = count * size;
    uint8_t *buf = malloc(n);
    if (!buf) {
        fprintf(f, "%s: out of memory\n", name);
        goto out;
    }
    /* The error (if any) comes after the values that could be read. */
    char *why = NULL;
    size_t whylen = 0;
    FILE *err = open_memstream(&why, &whylen);
    size_t got = mon_read(cpu, m, addr, virt, buf, n, err ? err : f);
    if (err) fclose(err);
    unsigned per_line = format == 'c' ? 16 : 16 / size;
    bool big = cpu->arch->big_endian;
    for (size_t off = 0; off + size <= got; off += size) {
        if (off % (per_line * size) == 0) fprintf(f, "%s%016" PRIx64 ":", off ? "\n" : "", addr + off);
        uint64_t v = mon_load(buf + off, size, big);
        int bits = (int)size * 8;
        switch (format) {
        case 'x': fprintf(f, " 0x%0*" PRIx64, (int)size * 2, v); break;
        case 'o': fprintf(f, " 0%" PRIo64, v); break;
        case 'u': fprintf(f, " %" PRIu64, v); break;
        case 'd': {
            int64_t sv = bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
            fprintf(f, " %" PRId64, sv);
            break;
        }
        case 'c':
            if (size == 1 && v >= 0x20 && v < 0x7f) fprintf(f, " '%c'", (int)v);
            else fprintf(f, " 0x%0*" PRIx64, (int)size * 2, v);
            break;
        }
    }
    if (got >= size) fprintf(f, "\n");
    if (why && whylen) fprintf(f, "%s: %s", name, why);
    free(why);
    free(buf);
out:
    sys_resume();
}

static void cmd_x(MonSession *s, FILE *f, char *fmt, char *args) { cmd_dump(s, f, fmt, args, true); }
static void cmd_xp(MonSession *s, FILE *f, char *fmt, char *args) { cmd_dump(s, f, fmt, args, false); }

static const MonCmd mon_cmds[] = {
    {"help", "[COMMAND]", "list the commands, or show one (also: h, ?)", cmd_help},
    {"info", "WHAT", "status | registers [-a] | cpus | tlb | jit | mem", cmd_info},
    {"stop", "", "pause every vCPU (the guest's clock keeps running)", cmd_stop},
    {"cont", "", "resume after stop (also: c)", cmd_cont},
    {"cpu", "N", "select the vCPU for info registers, info mem and x", cmd_cpu},
    {"x", "/FMT ADDR", "dump memory at a virtual address of the selected vCPU", cmd_x},
    {"xp", "/FMT ADDR", "dump memory at a physical address", cmd_xp},
    {"savevm", "FILE", "save a snapshot of the machine to FILE", cmd_savevm},
    {"loadvm", "FILE", "restore the machine from a snapshot FILE", cmd_loadvm},
    {"system_reset", "", "reset the machine (the guest reboots)", cmd_system_reset},
    {"system_powerdown", "", "power the machine off (no power button on virt: immediate)",
     cmd_system_powerdown},
    {"quit", "", "exit vm with status 0 (also: q)", cmd_quit},
    {NULL, NULL, NULL, NULL},
};

static const MonCmd *mon_find(const char *name)
{
    static const struct { const char *alias, *name; } aliases[] = {
        {"c", "cont"}, {"q", "quit"}, {"h", "help"}, {"?", "help"},
    };
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (!strcmp(name, aliases[i].alias)) name = aliases[i].name;
    for (const MonCmd *c = mon_cmds; c->name; c++)
        if (!strcmp(c->name, name)) return c;
    return NULL;
}

static void cmd_help(MonSession *s, FILE *f, char *fmt, char *args)
{
    char *w = mon_word(&args);
    const MonCmd *one = w ? mon_find(w) : NULL;
    if (w && !one) {
        fprintf(f, "help: unknown command '%s'\n", w);
        return;
    }
    for (const MonCmd *c = mon_cmds; c->name; c++) {
        if (one && c != one) continue;
        char head[48];
        snprintf(head, sizeof(head), "%s%s%s", c->name, c->args[0] && c->args[0] != '/' ? " " : "",
                 c->args);
        fprintf(f, "%-22s %s\n", head, c->help);
    }
    if (!one || one->fn == cmd_x || one->fn == cmd_xp)
        fprintf(f, "FMT: /[COUNT][FORMAT][SIZE], FORMAT x d u o c i (hex, signed, unsigned, octal, "
                   "char, instructions), SIZE b h w g (1 2 4 8 bytes); ADDR: NUMBER, 0xHEX, $pc, "
                   "$REG, joined by + and -\n");
}

static void mon_execute(MonSession *s, char *line)
{
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '#') return;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        static const char oom[] = "out of memory\n";
        mon_send(s, oom, sizeof(oom) - 1);
        return;
    }
    /* The command word, which may carry /FMT (x/4xg). */
    char *name = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '/') p++;
    char *fmt = NULL;
    if (*p == '/') {
        *p++ = 0;
        fmt = p;
        while (*p && *p != ' ' && *p != '\t') p++;
    }
    if (*p) *p++ = 0;
    const MonCmd *c = mon_find(name);
    if (c && !fmt && (c->fn == cmd_x || c->fn == cmd_xp)) {
        /* "x /4xg ADDR": the format as a word of its own */
        char *q = p;
        while (*q == ' ' || *q == '\t') q++;
        if (*q == '/') {
            fmt = q + 1;
            p = fmt;
            while (*p && *p != ' ' && *p != '\t') p++;
            if (*p) *p++ = 0;
        }
    }
    if (!c)
        fprintf(f, "unknown command '%s' (try 'help')\n", name);
    else if (fmt && c->fn != cmd_x && c->fn != cmd_xp)
        fprintf(f, "%s takes no /FMT\n", c->name);
    else if (!c->args[0] && *mon_rest(p))
        fprintf(f, "%s takes no arguments (got '%s')\n", c->name, mon_rest(p));
    else
        c->fn(s, f, fmt, p);
    fclose(f);
    if (len) mon_send(s, buf, len);
    free(buf);
}

/* -- Input ----------------------------------------------------------------------------------- */

static void mon_line_done(MonSession *s)
{
    if (s->overlong) {
        static const char msg[] = "line too long: ignored\n";
        mon_send(s, msg, sizeof(msg) - 1);
    } else {
        s->line[s->len] = 0;
        mon_execute(s, s->line);
    }
    s->len = 0;
    s->overlong = false;
}

/* Bytes from a line-oriented source (a socket client, stdin not in raw mode). */
static void mon_input_lines(MonSession *s, const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = buf[i];
        if (ch == '\n') {
            mon_line_done(s);
            /* A client may have gone (quit closes nothing, but a failed write does). */
            mon_prompt(s);
            continue;
        }
        if (ch == '\r' || ch == 0) continue;
        if (s->len + 1 >= sizeof(s->line)) s->overlong = true;
        else s->line[s->len++] = (char)ch;
    }
}

/* Keys from the raw terminal (Ctrl-A c): echo and minimal line editing. */
static void mon_input_keys(void *opaque, const uint8_t *buf, size_t n)
{
    MonSession *s = opaque;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = buf[i];
        if (s->esc) { /* ESC [ ... final byte: cursor keys and friends are ignored */
            if (s->esc == 1) s->esc = (ch == '[' || ch == 'O') ? 2 : 0;
            else if (ch >= 0x40 && ch <= 0x7e) s->esc = 0;
            continue;
        }
        if (ch == '\r' || ch == '\n') {
            mon_send(s, "\r\n", 2);
            mon_line_done(s);
            mon_prompt(s);
        } else if (ch == 0x7f || ch == 0x08) {
            if (s->len) {
                s->len--;
                mon_send(s, "\b \b", 3);
            }
        } else if (ch == 0x15 || ch == 0x03) { /* Ctrl-U, Ctrl-C: drop the line */
            s->len = 0;
            s->overlong = false;
            mon_send(s, ch == 0x03 ? "^C\r\n" MON_PROMPT : "\r\x1b[K" MON_PROMPT,
                     ch == 0x03 ? 4 + sizeof(MON_PROMPT) - 1 : 4 + sizeof(MON_PROMPT) - 1);
        } else if (ch == 0x1b) {
            s->esc = 1;
        } else if (ch >= 0x20 || ch == '\t') {
            if (s->len + 1 >= sizeof(s->line)) {
                mon_send(s, "\a", 1);
                continue;
            }
            s->line[s->len++] = (char)ch;
            mon_send(s, (const char *)&ch, 1);
        }
    }
}

static void mon_focus(void *opaque, bool monitor)
{
    MonSession *s = opaque;
    if (!monitor) {
        static const char note[] = "[vm: the machine is stopped: C-a c, then 'cont', resumes it]\r\n";
        if (mon.stopped && sys_paused()) mon_send(s, note, sizeof(note) - 1);
        return;
    }
    static const char banner[] = "\r\nvm monitor (C-a c: back to the console; 'help' lists the commands)\r\n";
    mon_send(s, banner, sizeof(banner) - 1);
    mon_prompt(s);
    if (s->len) mon_send(s, s->line, s->len);
}

static void mon_fd_event(void *opaque, short revents)
{
    MonSession *s = opaque;
    uint8_t buf[1024];
    ssize_t n = read(s->in_fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        /* EOF: a client left, or stdin closed (the machine keeps running). */
        if (s->len) mon_line_done(s);
        if (s->is_client) {
            mon_close(s);
        } else {
            sys_fd_del(s->in_fd);
            s->in_fd = -1;
        }
        return;
    }
    mon_input_lines(s, buf, (size_t)n);
}

static MonSession *mon_session_new(MonKind kind)
{
    MonSession *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->kind = kind;
    s->in_fd = s->out_fd = -1;
    s->next = mon.sessions;
    mon.sessions = s;
    return s;
}

static void mon_close(MonSession *s)
{
    if (s->in_fd >= 0) {
        sys_fd_del(s->in_fd);
        close(s->in_fd);
    }
    s->in_fd = s->out_fd = -1;
    /* Sessions stay allocated (the command running may still hold s): a
     * closed one has no descriptors and is never called again. */
    if (s->is_client) {
        s->is_client = false;
        s->was_client = true;
        mon.nclients--;
    }
}

static void mon_banner(MonSession *s)
{
    static const char banner[] = "vm monitor: type 'help' for the commands\n";
    mon_send(s, banner, sizeof(banner) - 1);
    mon_prompt(s);
}

static void mon_accept(void *opaque, short revents)
{
    int fd = accept4(mon.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    MonSession *s = NULL;
    if (mon.nclients < MON_MAX_CLIENTS) {
        /* Reuse a closed client session before allocating another. */
        for (MonSession *t = mon.sessions; t && !s; t = t->next)
            if (t->was_client) s = t;
        if (!s) s = mon_session_new(MON_FD);
    }
    if (!s || sys_fd_add(fd, POLLIN, mon_fd_event, s)) {
        static const char busy[] = "vm: too many monitor connections\n";
        if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0) { /* closing anyway */ }
        close(fd);
        return;
    }
    MonSession *next = s->next;
    memset(s, 0, sizeof(*s));
    s->next = next;
    s->kind = MON_FD;
    s->in_fd = s->out_fd = fd;
    s->is_client = true;
    mon.nclients++;
    mon_banner(s);
}

static void mon_unlink(void)
{
    if (mon.path[0]) unlink(mon.path);
}

/* unix:PATH[,server[=on]][,nowait|,wait=off]: listen, or connect as a client. */
static int mon_open_unix(const char *spec)
{
    const char *comma = strchr(spec, ',');
    size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
    bool server = false, wait = true;
    if (!n || n >= sizeof(mon.path)) {
        vm_error("-monitor unix:%s: bad socket path (1-%zu characters)", spec, sizeof(mon.path) - 1);
        return -1;
    }
    for (const char *o = comma; o; o = strchr(o + 1, ',')) {
        const char *v = o + 1;
        size_t len = strcspn(v, ",");
        if ((len == 6 && !strncmp(v, "server", 6)) || (len == 9 && !strncmp(v, "server=on", 9)))
            server = true;
        else if ((len == 6 && !strncmp(v, "nowait", 6)) || (len == 8 && !strncmp(v, "wait=off", 8)))
            wait = false;
        else {
            vm_error("-monitor unix:%s: unknown option '%.*s' (known: server, nowait)", spec, (int)len, v);
            return -1;
        }
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, spec, n);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) goto fail;
    if (!server) {
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) goto fail;
        MonSession *s = mon_session_new(MON_FD);
        if (!s || sys_fd_add(fd, POLLIN, mon_fd_event, s)) {
            errno = ENOMEM;
            goto fail;
        }
        s->in_fd = s->out_fd = fd;
        s->is_client = true;
        mon.nclients++;
        mon_banner(s);
        return 0;
    }
    unlink(sa.sun_path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, MON_MAX_CLIENTS)) goto fail;
    memcpy(mon.path, spec, n);
    mon.path[n] = 0;
    atexit(mon_unlink);
    mon.listen_fd = fd;
    if (sys_fd_add(fd, POLLIN, mon_accept, NULL)) {
        vm_error("-monitor: too many descriptors to watch");
        return -1;
    }
    if (wait) {
        /* QEMU's default for a server: the guest starts once a client is there. */
        fprintf(stderr, "vm: waiting for a monitor connection on %s (add ,nowait to start at once)\n",
                mon.path);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (poll(&p, 1, -1) < 0 && errno == EINTR) {}
        mon_accept(NULL, POLLIN);
    }
    return 0;
fail:
    vm_error("-monitor unix:%.*s: %s", (int)n, spec, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
}

bool mon_active(void) { return mon.sessions || mon.listen_fd >= 0; }

int mon_setup(const VmOptions *o, SysChar *serial)
{
    const char *spec = o->monitor;
    const char *sspec = o->serial ? o->serial : "stdio";
    bool serial_stdio = serial && (!strcmp(sspec, "stdio") || !strcmp(sspec, "mon:stdio"));
    if (spec && (!strcmp(spec, "none") || !strcmp(spec, "null"))) return 0;
    bool mon_stdio = spec && (!strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio"));

    if (serial_stdio) {
        /* The console and the monitor share the terminal (Ctrl-A c), as
         * -nographic / mon:stdio do in QEMU; -monitor stdio starts in the monitor. */
        MonSession *s = mon_session_new(MON_MUX);
        if (!s || sys_char_mux_monitor(serial, mon_input_keys, mon_focus, s, mon_stdio)) {
            vm_error("-monitor: out of memory");
            return -1;
        }
        mon.mux = serial;
        if (mon_stdio) mon_focus(s, true);
    } else if (mon_stdio) {
        /* The terminal is the monitor's alone, in its normal (cooked) mode. */
        MonSession *s = mon_session_new(MON_FD);
        if (!s || sys_fd_add(STDIN_FILENO, POLLIN, mon_fd_event, s)) {
            vm_error("-monitor: out of memory");
            return -1;
        }
        s->in_fd = STDIN_FILENO;
        s->out_fd = STDOUT_FILENO;
        mon_banner(s);
    }
    if (spec && !strncmp(spec, "unix:", 5)) return mon_open_unix(spec + 5);
    return 0;
}
