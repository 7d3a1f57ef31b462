/* SPDX-License-Identifier: MIT */
/* Command-line parsing for both modes (SPEC.md section 2), with QEMU's option
 * names and meanings. Every problem is one "vm: ..." line and a -1 return;
 * main turns that into exit status 1. docs/cli.md lists every option. */
#define _GNU_SOURCE /* memrchr, strndup */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "gitrev.h" /* VM_GIT_REV, refreshed by make on every commit */
#include "vm/arch.h"
#include "vm/log.h"
#include "vm/options.h"

/* -- Small parsers ------------------------------------------------------------ */

int options_parse_size(const char *s, uint64_t *out)
{
    /* QEMU's -m syntax: a plain number is MiB; suffixes B K M G T P E
     * (either case) scale by powers of 1024; a fraction is allowed ("1.5G"). */
    if (!s || !*s || *s == '-' || *s == '+') return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long whole = strtoull(s, &end, 10);
    if (end == s || errno) return errno ? -errno : -EINVAL;
    double frac = 0;
    if (*end == '.') {
        char *fend;
        frac = strtod(end, &fend);
        if (fend == end + 1) return -EINVAL; /* "1." */
        /* Digits only after the point: strtod also takes an exponent
         * ("1.5e300G"), whose value would overflow the conversion below. */
        if ((size_t)(fend - end - 1) != strspn(end + 1, "0123456789")) return -EINVAL;
        end = fend;
    }
    unsigned shift;
    switch (*end) {
    case 0: shift = 20; break;
    case 'b': case 'B': shift = 0; break;
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    case 'p': case 'P': shift = 50; break;
    case 'e': case 'E': shift = 60; break;
    default: return -EINVAL;
    }
    if (*end && end[1]) return -EINVAL; /* "1GB", "1Gx" */
    if (shift == 0 && frac != 0) return -EINVAL;
    if (whole > (UINT64_MAX >> shift)) return -ERANGE;
    uint64_t v = (uint64_t)whole << shift;
    uint64_t f = (uint64_t)(frac * (double)(1ull << shift));
    if (v + f < v) return -ERANGE;
    *out = v + f;
    return 0;
}

static int parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s) return -EINVAL;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v < min || v > max) return -EINVAL;
    *out = v;
    return 0;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"on", "yes", "true", "1"};
    static const char *const no[] = {"off", "no", "false", "0"};
    for (unsigned i = 0; i < 4; i++) {
        if (!strcmp(s, yes[i])) return *out = true, true;
        if (!strcmp(s, no[i])) return *out = false, true;
    }
    return false;
}

/* A QEMU-style "a,k=v,k2=v2" list; ",," stands for a literal comma. Items
 * without '=' have val == NULL. The strings are heap copies that live as long
 * as the VmOptions referring to them (the process). */
#define KV_MAX 16
typedef struct KvList {
    int n;
    char *key[KV_MAX];
    char *val[KV_MAX];
} KvList;

static int kv_split(const char *s, KvList *kv, const char *opt)
{
    kv->n = 0;
    size_t len = strlen(s);
    char *buf = malloc(len + 1);
    if (!buf) abort();
    const char *p = s;
    for (;;) {
        size_t o = 0;
        while (*p) {
            if (*p == ',' && p[1] == ',') {
                buf[o++] = ',';
                p += 2;
            } else if (*p == ',') {
                break;
            } else {
                buf[o++] = *p++;
            }
        }
        buf[o] = 0;
        if (kv->n == KV_MAX) {
            vm_error("%s: too many items in '%s'", opt, s);
            free(buf);
            return -1;
        }
        char *item = strdup(buf);
        if (!item) abort();
        char *eq = strchr(item, '=');
        if (eq) *eq = 0;
        kv->key[kv->n] = item;
        kv->val[kv->n] = eq ? eq + 1 : NULL;
        kv->n++;
        if (!*p) break;
        p++; /* the separating comma */
    }
    free(buf);
    return 0;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (!d) abort();
    return d;
}

static void push_str(const char ***arr, int *n, const char *s)
{
    *arr = realloc(*arr, (size_t)(*n + 1) * sizeof(**arr));
    if (!*arr) abort();
    (*arr)[(*n)++] = s;
}

/* -- Option handlers ---------------------------------------------------------- */

enum { M_BOTH, M_USER, M_SYS };

typedef struct OptDef {
    const char *name; /* without dashes */
    bool has_arg;
    uint8_t mode; /* M_*: which mode the option belongs to */
    int (*fn)(VmOptions *o, const char *opt, const char *arg);
} OptDef;

#define STR_HANDLER(fname, field) \
    static int fname(VmOptions *o, const char *opt, const char *arg) \
    {                                                                \
        o->field = arg;                                              \
        return 0;                                                    \
    }
STR_HANDLER(opt_jit, jit)
STR_HANDLER(opt_D, log_file)
STR_HANDLER(opt_L, sysroot)
STR_HANDLER(opt_argv0, argv0)
STR_HANDLER(opt_cpu, cpu_model)
STR_HANDLER(opt_bios, bios)
STR_HANDLER(opt_kernel, kernel)
STR_HANDLER(opt_initrd, initrd)
STR_HANDLER(opt_append, append)
STR_HANDLER(opt_dtb, dtb)
STR_HANDLER(opt_snapshot_load, snapshot_load)
STR_HANDLER(opt_chat, chat)

static int opt_d(VmOptions *o, const char *opt, const char *arg)
{
    if (!strcmp(arg, "help")) {
        log_list_d_items(stdout);
        return 1;
    }
    o->log_d = arg;
    return 0;
}

static int opt_accel(VmOptions *o, const char *opt, const char *arg)
{
    if (strcmp(arg, "interp") && strcmp(arg, "jit") && strcmp(arg, "kvm")) {
        vm_error("%s: unknown accelerator '%s' (choose interp, jit or kvm)", opt, arg);
        return -1;
    }
    o->accel = arg;
    return 0;
}

static int opt_arch(VmOptions *o, const char *opt, const char *arg)
{
    if (!arch_by_name(arg)) {
        vm_error("%s: unknown guest architecture '%s' (this build has: %s)", opt, arg,
                 arch_names());
        return -1;
    }
    o->arch = arg;
    return 0;
}

static int opt_E(VmOptions *o, const char *opt, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        vm_error("%s: expected VAR=VALUE, got '%s'", opt, arg);
        return -1;
    }
    push_str(&o->env_set, &o->nenv_set, arg);
    return 0;
}

static int opt_U(VmOptions *o, const char *opt, const char *arg)
{
    if (!*arg || strchr(arg, '=')) {
        vm_error("%s: expected a variable name, got '%s'", opt, arg);
        return -1;
    }
    push_str(&o->env_unset, &o->nenv_unset, arg);
    return 0;
}

static int opt_strace(VmOptions *o, const char *opt, const char *arg)
{
    o->strace = true;
    return 0;
}

static int opt_g(VmOptions *o, const char *opt, const char *arg)
{
    long v;
    if (parse_long(arg, 1, 65535, &v)) {
        vm_error("%s: invalid port '%s' (expected 1-65535)", opt, arg);
        return -1;
    }
    o->gdb_port = (int)v;
    return 0;
}

static int opt_machine(VmOptions *o, const char *opt, const char *arg)
{
    if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
        printf("Supported machines:\nvirt                 RISC-V VirtIO board (riscv64)\n");
        return 1;
    }
    /* "TYPE[,k=v...]" or "type=TYPE,k=v": the type goes to machine, the rest is
     * kept verbatim for the machine model (QEMU's -machine virt,dumpdtb=F). */
    const char *rest = arg;
    const char *comma = strchr(arg, ',');
    size_t n = comma ? (size_t)(comma - arg) : strlen(arg);
    if (!memchr(arg, '=', n)) {
        if (n == 0) {
            vm_error("%s: missing machine type in '%s'", opt, arg);
            return -1;
        }
        o->machine = xstrndup(arg, n);
        rest = comma ? comma + 1 : "";
    } else if (n > 5 && !strncmp(arg, "type=", 5)) {
        o->machine = xstrndup(arg + 5, n - 5);
        rest = comma ? comma + 1 : "";
    }
    if (*rest) {
        if (o->machine_opts) {
            size_t l = strlen(o->machine_opts) + strlen(rest) + 2;
            char *s = malloc(l);
            if (!s) abort();
            snprintf(s, l, "%s,%s", o->machine_opts, rest);
            o->machine_opts = s;
        } else {
            o->machine_opts = rest;
        }
    }
    return 0;
}

static int opt_m(VmOptions *o, const char *opt, const char *arg)
{
    const char *s = arg;
    if (!strncmp(arg, "size=", 5)) s = arg + 5;
    if (strchr(s, ',')) {
        vm_error("%s: only a size is supported, got '%s'", opt, arg);
        return -1;
    }
    uint64_t v;
    if (options_parse_size(s, &v) || v == 0) {
        vm_error("%s: invalid size '%s' (examples: 512M, 1G, 2048)", opt, arg);
        return -1;
    }
    o->ram_size = v;
    return 0;
}

static int opt_smp(VmOptions *o, const char *opt, const char *arg)
{
    KvList kv;
    if (kv_split(arg, &kv, opt)) return -1;
    long cpus = 0, topo = 1;
    for (int i = 0; i < kv.n; i++) {
        long v;
        const char *val = kv.val[i] ? kv.val[i] : kv.key[i];
        const char *key = kv.val[i] ? kv.key[i] : (i == 0 ? "cpus" : "?");
        static const char *const topo_keys[] = {"sockets", "dies", "clusters", "cores",
                                                "threads"};
        bool is_topo = false;
        for (unsigned t = 0; t < 5; t++) is_topo |= !strcmp(key, topo_keys[t]);
        if (strcmp(key, "cpus") && strcmp(key, "maxcpus") && !is_topo) {
            vm_error("%s: unknown item '%s' in '%s' (expected N or cpus=N)", opt, kv.key[i],
                     arg);
            return -1;
        }
        if (parse_long(val, 1, 1024, &v)) {
            vm_error("%s: invalid number '%s' (expected 1-1024)", opt, val);
            return -1;
        }
        if (!strcmp(key, "cpus")) cpus = v;
        if (is_topo) topo = topo * v > 1024 ? 1025 : topo * v; /* 1025: too many, without overflow */
    }
    if (!cpus) cpus = topo;
    if (cpus < 1 || cpus > 1024) {
        vm_error("%s: invalid cpu count in '%s'", opt, arg);
        return -1;
    }
    o->smp = (int)cpus;
    return 0;
}

static int opt_drive(VmOptions *o, const char *opt, const char *arg)
{
    if (o->ndrives == VM_MAX_DRIVES) {
        vm_error("%s: too many drives (at most %d)", opt, VM_MAX_DRIVES);
        return -1;
    }
    KvList kv;
    if (kv_split(arg, &kv, opt)) return -1;
    VmDrive d = {.iface = "virtio", .format = "raw"};
    for (int i = 0; i < kv.n; i++) {
        const char *k = kv.key[i], *v = kv.val[i];
        if (!v) {
            vm_error("%s: expected key=value, got '%s'", opt, k);
            return -1;
        }
        if (!strcmp(k, "file")) {
            d.file = v;
        } else if (!strcmp(k, "if")) {
            if (strcmp(v, "virtio") && strcmp(v, "none")) {
                vm_error("%s: interface '%s' is not supported (use if=virtio)", opt, v);
                return -1;
            }
            d.iface = v;
        } else if (!strcmp(k, "format")) {
            if (strcmp(v, "raw")) {
                vm_error("%s: format '%s' is not supported (use format=raw)", opt, v);
                return -1;
            }
            d.format = v;
        } else if (!strcmp(k, "readonly")) {
            if (!parse_bool(v, &d.readonly)) {
                vm_error("%s: readonly expects on or off, got '%s'", opt, v);
                return -1;
            }
        } else if (!strcmp(k, "id")) {
            d.id = v;
        } else {
            vm_error("%s: unknown key '%s' (known: file if format readonly id)", opt, k);
            return -1;
        }
    }
    if (!d.file || !*d.file) {
        vm_error("%s: missing file=FILE in '%s'", opt, arg);
        return -1;
    }
    o->drives[o->ndrives++] = d;
    return 0;
}

/* "tcp:[ADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" (QEMU's hostfwd rule). */
static bool valid_hostfwd(const char *s)
{
    if (strncmp(s, "tcp:", 4) && strncmp(s, "udp:", 4)) return false;
    s += 4;
    const char *dash = strchr(s, '-');
    if (!dash) return false;
    const char *hp = memrchr(s, ':', (size_t)(dash - s));
    const char *gp = strrchr(dash, ':');
    if (!hp || !gp) return false;
    char port[8];
    long v;
    size_t n = (size_t)(dash - hp - 1);
    if (n == 0 || n >= sizeof(port)) return false;
    memcpy(port, hp + 1, n);
    port[n] = 0;
    if (parse_long(port, 1, 65535, &v)) return false;
    return parse_long(gp + 1, 1, 65535, &v) == 0;
}

static int opt_netdev(VmOptions *o, const char *opt, const char *arg)
{
    if (o->nnetdevs == VM_MAX_NETDEVS) {
        vm_error("%s: too many network backends (at most %d)", opt, VM_MAX_NETDEVS);
        return -1;
    }
    KvList kv;
    if (kv_split(arg, &kv, opt)) return -1;
    VmNetdev nd = {0};
    if (kv.val[0] || strcmp(kv.key[0], "user")) {
        vm_error("%s: backend '%s' is not supported (use -netdev user,id=ID)", opt, kv.key[0]);
        return -1;
    }
    nd.type = kv.key[0];
    for (int i = 1; i < kv.n; i++) {
        const char *k = kv.key[i], *v = kv.val[i];
        if (!v) {
            vm_error("%s: expected key=value, got '%s'", opt, k);
            return -1;
        }
        if (!strcmp(k, "id")) {
            nd.id = v;
        } else if (!strcmp(k, "hostfwd")) {
            if (!valid_hostfwd(v)) {
                vm_error("%s: invalid hostfwd '%s' (expected tcp:[ADDR]:HOSTPORT-:GUESTPORT)",
                         opt, v);
                return -1;
            }
            if (nd.nhostfwd == 4) {
                vm_error("%s: too many hostfwd rules (at most 4)", opt);
                return -1;
            }
            nd.hostfwd[nd.nhostfwd++] = v;
        } else {
            vm_error("%s: unknown key '%s' (known: id hostfwd)", opt, k);
            return -1;
        }
    }
    if (!nd.id || !*nd.id) {
        vm_error("%s: missing id=ID in '%s'", opt, arg);
        return -1;
    }
    for (int i = 0; i < o->nnetdevs; i++) {
        if (!strcmp(o->netdevs[i].id, nd.id)) {
            vm_error("%s: duplicate id '%s'", opt, nd.id);
            return -1;
        }
    }
    o->netdevs[o->nnetdevs++] = nd;
    return 0;
}

static int opt_device(VmOptions *o, const char *opt, const char *arg)
{
    if (!*arg || *arg == ',') {
        vm_error("%s: missing device name in '%s'", opt, arg);
        return -1;
    }
    if (o->ndevices == (int)(sizeof(o->devices) / sizeof(o->devices[0]))) {
        vm_error("%s: too many devices (at most %d)", opt,
                 (int)(sizeof(o->devices) / sizeof(o->devices[0])));
        return -1;
    }
    o->devices[o->ndevices++] = arg;
    return 0;
}

static int opt_nographic(VmOptions *o, const char *opt, const char *arg)
{
    o->nographic = true;
    return 0;
}

static bool chardev_ok(const char *s, bool file_ok)
{
    if (!strcmp(s, "stdio") || !strcmp(s, "none") || !strcmp(s, "null") ||
        !strcmp(s, "mon:stdio"))
        return true;
    if (!strncmp(s, "unix:", 5) && s[5]) return true;
    return file_ok && !strncmp(s, "file:", 5) && s[5];
}

static int opt_serial(VmOptions *o, const char *opt, const char *arg)
{
    if (!chardev_ok(arg, true)) {
        vm_error("%s: unsupported backend '%s' (use stdio, file:FILE, unix:PATH or none)", opt,
                 arg);
        return -1;
    }
    o->serial = arg;
    return 0;
}

static int opt_monitor(VmOptions *o, const char *opt, const char *arg)
{
    if (!chardev_ok(arg, false)) {
        vm_error("%s: unsupported backend '%s' (use stdio, unix:PATH or none)", opt, arg);
        return -1;
    }
    o->monitor = arg;
    return 0;
}

/* -- -chardev and the devices that name one ---------------------------------------- */

/* QEMU's -chardev BACKEND,id=ID[,path=P][,server=on|off][,wait=on|off] for the
 * backends vm has (those -serial takes). The result is the -serial spelling
 * of the same endpoint, which the service layer opens (one parser for both). */
static int opt_chardev(VmOptions *o, const char *opt, const char *arg)
{
    if (o->nchardevs == VM_MAX_CHARDEVS) {
        vm_error("%s: too many character devices (at most %d)", opt, VM_MAX_CHARDEVS);
        return -1;
    }
    KvList kv;
    if (kv_split(arg, &kv, opt)) return -1;
    const char *be = kv.key[0];
    if (kv.val[0] || !*be) {
        vm_error("%s %s: expected BACKEND,id=ID first (stdio, file, socket or null)", opt, arg);
        return -1;
    }
    bool is_file = !strcmp(be, "file"), is_sock = !strcmp(be, "socket");
    if (!is_file && !is_sock && strcmp(be, "stdio") && strcmp(be, "null")) {
        vm_error("%s %s: backend '%s' is not supported (use stdio, file, socket or null)", opt, arg, be);
        return -1;
    }
    const char *id = NULL, *path = NULL;
    bool server = false, wait = true; /* QEMU: a server waits for its client by default */
    for (int i = 1; i < kv.n; i++) {
        const char *k = kv.key[i], *v = kv.val[i];
        /* QEMU's old bare flags: "server", "nowait". */
        if (!v && is_sock && (!strcmp(k, "server") || !strcmp(k, "nowait"))) {
            if (!strcmp(k, "server")) server = true;
            else wait = false;
            continue;
        }
        if (!v) {
            vm_error("%s %s: expected key=value, got '%s'", opt, arg, k);
            return -1;
        }
        if (!strcmp(k, "id")) {
            id = v;
        } else if ((is_file || is_sock) && !strcmp(k, "path")) {
            path = v;
        } else if (is_sock && (!strcmp(k, "server") || !strcmp(k, "wait"))) {
            bool b;
            if (!parse_bool(v, &b)) {
                vm_error("%s %s: %s expects on or off, got '%s'", opt, arg, k, v);
                return -1;
            }
            if (!strcmp(k, "server")) server = b;
            else wait = b;
        } else if (is_sock && (!strcmp(k, "host") || !strcmp(k, "port"))) {
            vm_error("%s %s: TCP sockets are not supported (use a unix socket: path=PATH)", opt, arg);
            return -1;
        } else {
            vm_error("%s %s: unknown key '%s' for backend %s (known: id%s)", opt, arg, k, be,
                     is_sock ? " path server wait" : is_file ? " path" : "");
            return -1;
        }
    }
    if (!id || !*id) {
        vm_error("%s %s: missing id=ID", opt, arg);
        return -1;
    }
    for (int i = 0; i < o->nchardevs; i++)
        if (!strcmp(o->chardevs[i].id, id)) {
            vm_error("%s %s: duplicate id '%s' (already used by -chardev %s)", opt, arg, id,
                     o->chardevs[i].arg);
            return -1;
        }
    if ((is_file || is_sock) && (!path || !*path)) {
        vm_error("%s %s: missing path=PATH", opt, arg);
        return -1;
    }
    if (is_sock && strchr(path, ',')) { /* the unix: spelling ends the path at a comma */
        vm_error("%s %s: a socket path with a comma is not supported", opt, arg);
        return -1;
    }
    const char *spec = NULL;
    if (!strcmp(be, "stdio")) {
        spec = "stdio";
    } else if (path) {
        size_t l = strlen(path) + 32;
        char *sp = malloc(l);
        if (!sp) abort();
        snprintf(sp, l, "%s%s%s", is_file ? "file:" : "unix:", path,
                 !server ? "" : wait ? ",server,wait" : ",server");
        spec = sp;
    }
    o->chardevs[o->nchardevs++] = (VmChardev){.id = id, .spec = spec, .arg = arg};
    return 0;
}

/* Is spec ("virtio-console,chardev=c0") a device of that type? The names are
 * the device's, QEMU's -device spelling included. */
static bool device_is(const char *spec, const char *const *names)
{
    size_t tl = strcspn(spec, ",");
    for (; *names; names++)
        if (strlen(*names) == tl && !strncmp(spec, *names, tl)) return true;
    return false;
}

static const char *const virtio_console_names[] = {"virtio-console", "virtio-console-device",
                                                   "virtconsole", NULL};

bool options_is_virtio_console(const char *device) { return device_is(device, virtio_console_names); }

int options_chardev_index(const VmOptions *o, const char *device)
{
    KvList kv;
    if (kv_split(device, &kv, "-device")) return -1;
    for (int i = 1; i < kv.n; i++) {
        if (!kv.val[i] || strcmp(kv.key[i], "chardev")) continue;
        for (int k = 0; k < o->nchardevs; k++)
            if (!strcmp(o->chardevs[k].id, kv.val[i])) return k;
    }
    return -1;
}

/* After the whole command line: every -device virtio-console names a
 * -chardev no other device uses, and the terminal has one owner. */
static int check_chardevs(const VmOptions *o)
{
    int user[VM_MAX_CHARDEVS];
    for (int i = 0; i < VM_MAX_CHARDEVS; i++) user[i] = -1;
    for (int d = 0; d < o->ndevices; d++) {
        const char *spec = o->devices[d];
        if (!device_is(spec, virtio_console_names)) continue;
        KvList kv;
        if (kv_split(spec, &kv, "-device")) return -1;
        const char *id = NULL;
        for (int i = 1; i < kv.n; i++) {
            if (kv.val[i] && !strcmp(kv.key[i], "chardev")) id = kv.val[i];
            else if (!kv.val[i] || strcmp(kv.key[i], "id")) {
                vm_error("-device %s: unknown key '%s' (known: chardev id)", spec, kv.key[i]);
                return -1;
            }
        }
        if (!id || !*id) {
            vm_error("-device %s: missing chardev=ID (give -chardev BACKEND,id=ID too)", spec);
            return -1;
        }
        int k = options_chardev_index(o, spec);
        if (k < 0) {
            vm_error("-device %s: no -chardev with id '%s'", spec, id);
            return -1;
        }
        if (user[k] >= 0) {
            vm_error("-device %s: chardev '%s' is already used by -device %s", spec, id,
                     o->devices[user[k]]);
            return -1;
        }
        user[k] = d;
    }
    /* The terminal (stdio) has one owner: the serial console and the monitor
     * share it through Ctrl-A c, a -chardev stdio cannot join them. */
    const char *ser = o->serial ? o->serial : "stdio";
    bool serial_stdio = !strcmp(ser, "stdio") || !strcmp(ser, "mon:stdio");
    bool mon_stdio = o->monitor && (!strcmp(o->monitor, "stdio") || !strcmp(o->monitor, "mon:stdio"));
    const VmChardev *first = NULL;
    for (int i = 0; i < o->nchardevs; i++) {
        const VmChardev *c = &o->chardevs[i];
        if (!c->spec || strcmp(c->spec, "stdio")) continue;
        if (first) {
            vm_error("-chardev %s: stdio is already used by -chardev %s (the terminal has one owner)",
                     c->arg, first->arg);
            return -1;
        }
        first = c;
        if (serial_stdio) {
            vm_error("-chardev %s: stdio is already the serial console's (%s); give -serial none "
                     "or -serial file:FILE to hand the terminal to this chardev",
                     c->arg, o->serial ? "-serial stdio" : "-serial defaults to stdio");
            return -1;
        }
        if (mon_stdio) {
            vm_error("-chardev %s: stdio is already the monitor's (-monitor %s); the terminal has "
                     "one owner", c->arg, o->monitor);
            return -1;
        }
    }
    return 0;
}

static int opt_gdb(VmOptions *o, const char *opt, const char *arg)
{
    const char *colon = !strncmp(arg, "tcp:", 4) ? strrchr(arg + 4, ':') : NULL;
    long v;
    if (strcmp(arg, "none") && (!colon || parse_long(colon + 1, 1, 65535, &v))) {
        vm_error("%s: expected tcp::PORT or tcp:HOST:PORT, got '%s'", opt, arg);
        return -1;
    }
    o->gdb = arg;
    return 0;
}

static int opt_s(VmOptions *o, const char *opt, const char *arg)
{
    o->gdb = "tcp::1234"; /* QEMU: -s is shorthand for -gdb tcp::1234 */
    return 0;
}

static int opt_S(VmOptions *o, const char *opt, const char *arg)
{
    o->wait_gdb = true;
    return 0;
}

static int opt_numa(VmOptions *o, const char *opt, const char *arg)
{
    if (o->nnuma == VM_MAX_NUMA) {
        vm_error("%s: too many nodes (at most %d)", opt, VM_MAX_NUMA);
        return -1;
    }
    KvList kv;
    if (kv_split(arg, &kv, opt)) return -1;
    if (kv.val[0] || strcmp(kv.key[0], "node")) {
        vm_error("%s: expected node,mem=SIZE,cpus=A-B,nodeid=N, got '%s'", opt, arg);
        return -1;
    }
    VmNuma nn = {.nodeid = -1};
    for (int i = 1; i < kv.n; i++) {
        const char *k = kv.key[i], *v = kv.val[i];
        long n;
        if (!v) {
            vm_error("%s: expected key=value, got '%s'", opt, k);
            return -1;
        }
        if (!strcmp(k, "mem")) {
            if (options_parse_size(v, &nn.mem) || !nn.mem) {
                vm_error("%s: invalid size '%s'", opt, v);
                return -1;
            }
        } else if (!strcmp(k, "cpus")) {
            /* "N" or "A-B" */
            char *end;
            long a = strtol(v, &end, 10), b = a;
            if (end != v && *end == '-') {
                const char *q = end + 1;
                b = strtol(q, &end, 10);
                if (end == q) end = (char *)v;
            }
            if (end == v || *end || a < 0 || b < a) {
                vm_error("%s: invalid cpus '%s' (expected N or A-B)", opt, v);
                return -1;
            }
            nn.cpus = v;
        } else if (!strcmp(k, "nodeid")) {
            if (parse_long(v, 0, 63, &n)) {
                vm_error("%s: invalid nodeid '%s' (expected 0-63)", opt, v);
                return -1;
            }
            nn.nodeid = (int)n;
        } else {
            vm_error("%s: unknown key '%s' (known: mem cpus nodeid)", opt, k);
            return -1;
        }
    }
    o->numa[o->nnuma++] = nn;
    return 0;
}

static int opt_snapshot_save(VmOptions *o, const char *opt, const char *arg)
{
    KvList kv;
    if (kv_split(arg, &kv, opt)) return -1;
    const char *file = NULL, *on = NULL;
    for (int i = 0; i < kv.n; i++) {
        const char *k = kv.key[i], *v = kv.val[i];
        if (!v) {
            vm_error("%s: expected key=value, got '%s'", opt, k);
            return -1;
        }
        if (!strcmp(k, "file")) {
            file = v;
        } else if (!strcmp(k, "on")) {
            if (strcmp(v, "poweroff") && strcmp(v, "signal") &&
                (strncmp(v, "serial:", 7) || !v[7])) {
                vm_error("%s: on= expects serial:TEXT, poweroff or signal, got '%s'", opt, v);
                return -1;
            }
            on = v;
        } else if (!strcmp(k, "then")) {
            if (strcmp(v, "quit") && strcmp(v, "continue")) {
                vm_error("%s: then= expects quit or continue, got '%s'", opt, v);
                return -1;
            }
        } else {
            vm_error("%s: unknown key '%s' (known: file on then)", opt, k);
            return -1;
        }
    }
    if (!file || !*file || !on) {
        vm_error("%s: expected file=FILE,on=serial:TEXT|poweroff|signal[,then=quit|continue]",
                 opt);
        return -1;
    }
    o->snapshot_save = arg;
    return 0;
}

static int opt_timeout(VmOptions *o, const char *opt, const char *arg)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || !isfinite(v) || v <= 0) {
        vm_error("%s: invalid number of seconds '%s'", opt, arg);
        return -1;
    }
    o->timeout = v;
    return 0;
}

static const OptDef opt_defs[] = {
    /* both modes */
    {"accel", true, M_BOTH, opt_accel},
    {"arch", true, M_BOTH, opt_arch},
    {"jit", true, M_BOTH, opt_jit},
    {"d", true, M_BOTH, opt_d},
    {"D", true, M_BOTH, opt_D},
    /* user mode */
    {"L", true, M_USER, opt_L},
    {"E", true, M_USER, opt_E},
    {"U", true, M_USER, opt_U},
    {"strace", false, M_USER, opt_strace},
    {"0", true, M_USER, opt_argv0},
    {"g", true, M_USER, opt_g},
    /* system mode */
    {"M", true, M_SYS, opt_machine},
    {"machine", true, M_SYS, opt_machine},
    {"cpu", true, M_SYS, opt_cpu},
    {"m", true, M_SYS, opt_m},
    {"smp", true, M_SYS, opt_smp},
    {"bios", true, M_SYS, opt_bios},
    {"kernel", true, M_SYS, opt_kernel},
    {"initrd", true, M_SYS, opt_initrd},
    {"append", true, M_SYS, opt_append},
    {"dtb", true, M_SYS, opt_dtb},
    {"drive", true, M_SYS, opt_drive},
    {"netdev", true, M_SYS, opt_netdev},
    {"device", true, M_SYS, opt_device},
    {"nographic", false, M_SYS, opt_nographic},
    {"serial", true, M_SYS, opt_serial},
    {"chardev", true, M_SYS, opt_chardev},
    {"monitor", true, M_SYS, opt_monitor},
    {"gdb", true, M_SYS, opt_gdb},
    {"s", false, M_SYS, opt_s},
    {"S", false, M_SYS, opt_S},
    {"numa", true, M_SYS, opt_numa},
    {"snapshot-save", true, M_SYS, opt_snapshot_save},
    {"snapshot-load", true, M_SYS, opt_snapshot_load},
    {"timeout", true, M_SYS, opt_timeout},
    {"chat", true, M_SYS, opt_chat},
};

/* -- Help and version ----------------------------------------------------------- */

static void print_usage(FILE *f)
{
    fprintf(f,
            "Usage: vm [OPTIONS] PROGRAM [ARGS...]     run a Linux program (user mode)\n"
            "       vm [OPTIONS] -kernel IMAGE [...]   boot a kernel (system mode)\n"
            "\n"
            "Guest architectures in this build: %s\n"
            "Options may be spelled -opt or --opt. In user mode the first argument that is\n"
            "not an option is the program; everything after it goes to the guest untouched.\n"
            "\n"
            "Common options:\n"
            "  -accel interp|jit|kvm      execution engine (default: jit)\n"
            "  -arch NAME                 guest architecture (default: from the ELF/image)\n"
            "  -jit cold=N,hot=N,adaptive=on|off,tiers=1,cache=SIZE   JIT tuning\n"
            "  -d ITEM[,ITEM...]          log items (-d help lists them)\n"
            "  -D FILE                    write logs to FILE instead of stderr\n"
            "  -h, --help                 this help\n"
            "  --version                  version and build\n"
            "  environment VM_LOG=CAT=LEVEL,...  log levels per category (all=debug)\n"
            "\n"
            "User mode:\n"
            "  -L SYSROOT                 prefix for the ELF interpreter and libraries\n"
            "  -E VAR=VALUE               set a guest environment variable\n"
            "  -U VAR                     remove a guest environment variable\n"
            "  -0 ARGV0                   argv[0] the guest sees\n"
            "  -strace                    log the guest's system calls\n"
            "  -g PORT                    wait for gdb on PORT\n"
            "\n"
            "System mode (chosen by -kernel, or by -M/-bios without a program):\n"
            "  -M, -machine TYPE[,k=v]    machine (virt); -machine virt,dumpdtb=FILE\n"
            "  -cpu MODEL                 CPU model\n"
            "  -m SIZE                    RAM size: 512M, 1G (plain number = MiB)\n"
            "  -smp N | cpus=N            number of vCPUs\n"
            "  -bios FILE|default|none    firmware\n"
            "  -kernel IMAGE              kernel (ELF, Image, bzImage)\n"
            "  -initrd FILE               initial ramdisk\n"
            "  -append CMDLINE            kernel command line\n"
            "  -dtb FILE                  device tree blob instead of the generated one\n"
            "  -drive file=F[,if=virtio][,format=raw][,readonly=on][,id=ID]\n"
            "  -netdev user,id=ID[,hostfwd=tcp:[ADDR]:HOSTPORT-:GUESTPORT]\n"
            "  -device NAME[,k=v...]      add a device (virtio-net,netdev=ID, ...)\n"
            "  -nographic                 no display; serial and monitor on stdio\n"
            "  -serial stdio|file:F|unix:PATH|none\n"
            "  -chardev stdio|file|socket|null,id=ID[,path=P][,server=on|off][,wait=on|off]\n"
            "  -device virtio-console,chardev=ID   a virtio console (hvc0) on that chardev\n"
            "  -monitor stdio|unix:PATH|none\n"
            "  -gdb tcp::PORT             gdb server; -s = -gdb tcp::1234\n"
            "  -S                         wait for gdb before running\n"
            "  -numa node[,mem=SIZE][,cpus=A-B][,nodeid=N]\n"
            "  -snapshot-save file=F,on=serial:TEXT|poweroff|signal[,then=quit|continue]\n"
            "  -snapshot-load FILE        restore a snapshot instead of booting\n"
            "  -timeout SEC               stop with an error after SEC seconds\n"
            "  -chat FILE                 expect/send script on the serial console\n"
            "\n"
            "Exit status: user mode: the guest's (128+N if killed by signal N);\n"
            "system mode: the guest's power-off code; 1 on errors.\n",
            arch_names());
}

/* -- The parser ------------------------------------------------------------------ */

static const OptDef *find_opt(const char *name, size_t n)
{
    for (unsigned i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++)
        if (strlen(opt_defs[i].name) == n && !strncmp(opt_defs[i].name, name, n))
            return &opt_defs[i];
    return NULL;
}

int options_parse(VmOptions *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->mode = VM_MODE_USER;
    o->smp = 1;
    const char *user_opt = NULL, *sys_opt = NULL; /* first of each, as spelled */
    bool sys_selector = false; /* -M/-machine/-bios: system mode without -kernel */
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0) break; /* the program ("-" too) */
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        const char *name = a + 1 + (a[1] == '-');
        size_t n = strlen(name);
        const char *inline_arg = NULL;
        if (a[1] == '-') { /* --opt=value */
            const char *eq = strchr(name, '=');
            if (eq) {
                n = (size_t)(eq - name);
                inline_arg = eq + 1;
            }
        }
        if ((n == 4 && !strncmp(name, "help", 4)) || (n == 1 && name[0] == 'h')) {
            print_usage(stdout);
            return 1;
        }
        if (n == 7 && !strncmp(name, "version", 7)) {
            printf("vm version %s (git %s)\n", VM_VERSION, VM_GIT_REV);
            return 1;
        }
        const OptDef *d = find_opt(name, n);
        if (!d) {
            vm_error("unknown option '%s' (try 'vm --help')", a);
            return -1;
        }
        const char *arg = NULL;
        if (d->has_arg) {
            if (inline_arg) {
                arg = inline_arg;
            } else if (i + 1 < argc) {
                arg = argv[++i];
            } else {
                vm_error("option '%s' needs an argument (try 'vm --help')", a);
                return -1;
            }
        } else if (inline_arg) {
            vm_error("option '-%.*s' takes no argument", (int)n, name);
            return -1;
        }
        char spelled[64];
        snprintf(spelled, sizeof(spelled), "-%.*s", (int)n, name);
        int r = d->fn(o, spelled, arg);
        if (r) return r;
        if (d->mode == M_USER && !user_opt) user_opt = d->name;
        if (d->mode == M_SYS && !sys_opt) sys_opt = d->name;
        if (d->fn == opt_machine || d->fn == opt_bios) sys_selector = true;
    }

    if (i < argc) {
        if (o->kernel) {
            vm_error("unexpected argument '%s': system mode (-kernel) takes no program", argv[i]);
            return -1;
        }
        o->program = argv[i];
        o->argc = argc - i;
        o->argv = argv + i;
    }

    if (o->kernel || (!o->program && sys_selector)) {
        o->mode = VM_MODE_SYSTEM;
        if (user_opt) {
            vm_error("option '-%s' is for user mode (a PROGRAM), not for system mode", user_opt);
            return -1;
        }
        if (check_chardevs(o)) return -1;
    } else if (o->program) {
        if (sys_opt) {
            vm_error("option '-%s' is for system mode (-kernel), not for running a program",
                     sys_opt);
            return -1;
        }
    } else {
        if (sys_opt)
            vm_error("option '-%s' needs system mode: give -kernel IMAGE (try 'vm --help')",
                     sys_opt);
        else
            vm_error("no program given (usage: vm [OPTIONS] PROGRAM [ARGS...] or "
                     "vm [OPTIONS] -kernel IMAGE; try 'vm --help')");
        return -1;
    }
    return 0;
}
