/* SPDX-License-Identifier: MIT */
/* The GDB remote serial protocol engine, target-independent: packet framing,
 * checksums, acknowledgements and escapes, then one handler per command,
 * reaching the target only through GdbOps. Written from gdb's manual,
 * appendix "GDB Remote Serial Protocol" (cited below as RSP, section names). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vm/gdbstub.h"

/* PacketSize we announce (hex 4000): the largest packet body we accept. */
#define GDB_PKT_MAX 0x4000
#define GDB_MAX_THREADS 256

typedef enum { RX_IDLE, RX_DATA, RX_CSUM1, RX_CSUM2 } RxState;

struct GdbStub {
    const GdbOps *ops;
    void *opaque;
    RxState rx;
    uint8_t pkt[GDB_PKT_MAX + 1];
    size_t plen;
    bool overflow;
    uint8_t csum, rx_hi;
    bool noack, running, done;
    bool swbreak, hwbreak; /* the client understands these stop reasons */
    int gtid, ctid;        /* Hg / Hc: 0 = any, -1 = all */
    GdbStop last;
    /* The last packet sent, resent on a '-' (RSP "Packet Acknowledgment"). */
    char tx[2 * GDB_PKT_MAX + 64];
    size_t txlen;
    /* Reply body being built. */
    char out[2 * GDB_PKT_MAX + 32];
    size_t olen;
    bool obad; /* reply overflowed: sent as an error instead */
};

static const char hexd[] = "0123456789abcdef";

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* -- Output ----------------------------------------------------------------------------- */

static void out_reset(GdbStub *s)
{
    s->olen = 0;
    s->obad = false;
}

static void out_raw(GdbStub *s, const void *p, size_t n)
{
    if (s->olen + n > sizeof(s->out)) {
        s->obad = true;
        return;
    }
    memcpy(s->out + s->olen, p, n);
    s->olen += n;
}

static void out_str(GdbStub *s, const char *str) { out_raw(s, str, strlen(str)); }

static void __attribute__((format(printf, 2, 3))) out_fmt(GdbStub *s, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0) out_raw(s, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void out_hex(GdbStub *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char h[2] = {hexd[p[i] >> 4], hexd[p[i] & 15]};
        out_raw(s, h, 2);
    }
}

/* Binary data (qXfer): '#', '$', '}' and '*' go as '}' then c ^ 0x20
 * (RSP "Overview": binary data). */
static void out_bin(GdbStub *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '#' || c == '$' || c == '}' || c == '*') {
            uint8_t e[2] = {'}', (uint8_t)(c ^ 0x20)};
            out_raw(s, e, 2);
        } else {
            out_raw(s, &c, 1);
        }
    }
}

static void send_packet(GdbStub *s, const char *body, size_t n)
{
    uint8_t sum = 0;
    size_t k = 0;
    s->tx[k++] = '$';
    for (size_t i = 0; i < n; i++) {
        sum = (uint8_t)(sum + (uint8_t)body[i]);
        s->tx[k++] = body[i];
    }
    s->tx[k++] = '#';
    s->tx[k++] = hexd[sum >> 4];
    s->tx[k++] = hexd[sum & 15];
    s->txlen = k;
    s->ops->send(s->opaque, s->tx, k);
}

/* Sends the reply built in out (an error if it did not fit). */
static void reply(GdbStub *s)
{
    if (s->obad) send_packet(s, "E01", 3);
    else send_packet(s, s->out, s->olen);
}

static void reply_str(GdbStub *s, const char *str)
{
    out_reset(s);
    out_str(s, str);
    reply(s);
}

/* E NN with NN an errno value, as gdbserver does. */
static void reply_err(GdbStub *s, int err)
{
    out_reset(s);
    out_fmt(s, "E%02x", (err > 0 ? err : -err) & 0xff);
    reply(s);
}

/* -- Parsing helpers ---------------------------------------------------------------------- */

typedef struct Cursor {
    const char *p, *end;
} Cursor;

static bool cur_eat(Cursor *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A hex number (at least one digit, at most 16). */
static bool cur_hex(Cursor *c, uint64_t *v)
{
    uint64_t x = 0;
    int n = 0, d;
    while (c->p < c->end && (d = hexval((unsigned char)*c->p)) >= 0) {
        if (++n > 16) return false;
        x = x << 4 | (uint64_t)d;
        c->p++;
    }
    *v = x;
    return n > 0;
}

/* A thread id: hex, "-1" (all) or "0" (any); no multiprocess form (we do not
 * announce multiprocess+). */
static bool cur_tid(Cursor *c, int *tid)
{
    if (cur_eat(c, '-')) {
        if (!cur_eat(c, '1')) return false;
        *tid = -1;
        return true;
    }
    uint64_t v;
    if (!cur_hex(c, &v) || v > 0x7fffffff) return false;
    *tid = (int)v;
    return true;
}

static bool starts(const char *p, size_t n, const char *pfx)
{
    size_t k = strlen(pfx);
    return n >= k && !memcmp(p, pfx, k);
}

/* Hex text to bytes: how many, or -1 on a bad digit / odd length. */
static long unhex(const char *p, size_t n, uint8_t *out, size_t max)
{
    if (n & 1 || n / 2 > max) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int a = hexval((unsigned char)p[2 * i]), b = hexval((unsigned char)p[2 * i + 1]);
        if (a < 0 || b < 0) return -1;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return (long)(n / 2);
}

/* -- Threads ------------------------------------------------------------------------------- */

static int thread_list(GdbStub *s, int *tids)
{
    int n = s->ops->threads(s->opaque, tids, GDB_MAX_THREADS);
    return n < 0 ? 0 : n > GDB_MAX_THREADS ? GDB_MAX_THREADS : n;
}

static bool thread_alive(GdbStub *s, int tid)
{
    int tids[GDB_MAX_THREADS], n = thread_list(s, tids);
    for (int i = 0; i < n; i++)
        if (tids[i] == tid) return true;
    return false;
}

/* The thread a register or memory command applies to: Hg's, else the one that
 * stopped last, else the first. */
static int cur_thread(GdbStub *s)
{
    if (s->gtid > 0 && thread_alive(s, s->gtid)) return s->gtid;
    if (s->last.tid > 0 && thread_alive(s, s->last.tid)) return s->last.tid;
    int tids[GDB_MAX_THREADS];
    return thread_list(s, tids) ? tids[0] : 1;
}

/* -- Signal numbers ------------------------------------------------------------------------ */

/* gdb's numbers (its signals.def, the RSP's numbering) for the asm-generic
 * Linux signals 1-31 that riscv64 and aarch64 use; 0: gdb has none
 * (SIGSTKFLT). Real-time signals are handled below. */
static const unsigned char gdb_sig_of_linux[32] = {
    [1] = 1,   /* HUP */    [2] = 2,   /* INT */    [3] = 3,   /* QUIT */   [4] = 4,   /* ILL */
    [5] = 5,   /* TRAP */   [6] = 6,   /* ABRT */   [7] = 10,  /* BUS */    [8] = 8,   /* FPE */
    [9] = 9,   /* KILL */   [10] = 30, /* USR1 */   [11] = 11, /* SEGV */   [12] = 31, /* USR2 */
    [13] = 13, /* PIPE */   [14] = 14, /* ALRM */   [15] = 15, /* TERM */   [16] = 0,  /* STKFLT */
    [17] = 20, /* CHLD */   [18] = 19, /* CONT */   [19] = 17, /* STOP */   [20] = 18, /* TSTP */
    [21] = 21, /* TTIN */   [22] = 22, /* TTOU */   [23] = 16, /* URG */    [24] = 24, /* XCPU */
    [25] = 25, /* XFSZ */   [26] = 26, /* VTALRM */ [27] = 27, /* PROF */   [28] = 28, /* WINCH */
    [29] = 23, /* IO */     [30] = 32, /* PWR */    [31] = 12, /* SYS */
};

/* gdb numbers its real-time signals apart: 32 is 77, 33-63 are 45-75, 64 is 78. */
int gdb_sig_from_linux(int sig)
{
    if (sig >= 1 && sig < 32) return gdb_sig_of_linux[sig];
    if (sig == 32) return 77;
    if (sig >= 33 && sig <= 63) return sig - 33 + 45;
    if (sig == 64) return 78;
    return 0;
}

int gdb_sig_to_linux(int gsig)
{
    if (gsig <= 0) return 0;
    for (int i = 1; i < 32; i++)
        if (gdb_sig_of_linux[i] == gsig) return i;
    if (gsig == 77) return 32;
    if (gsig >= 45 && gsig <= 75) return gsig - 45 + 33;
    if (gsig == 78) return 64;
    return 0;
}

/* -- Stop replies (RSP "Stop Reply Packets") ------------------------------------------------ */

static void out_stop(GdbStub *s, const GdbStop *st)
{
    if (st->exited) {
        /* X: ended by a signal; W: exit status. */
        if (st->killed_by) out_fmt(s, "X%02x", st->killed_by & 0xff);
        else out_fmt(s, "W%02x", st->code & 0xff);
        return;
    }
    int tid = st->tid > 0 ? st->tid : cur_thread(s);
    out_fmt(s, "T%02xthread:%x;", st->sig & 0xff, tid);
    if (st->reason == CPU_STOP_WATCH) {
        const char *k = st->type == GDB_WP_READ ? "rwatch" : st->type == GDB_WP_ACCESS ? "awatch" : "watch";
        out_fmt(s, "%s:%llx;", k, (unsigned long long)st->addr);
    } else if (st->reason == CPU_STOP_BREAK) {
        /* Only to a client that said it understands them (qSupported). */
        if (st->type == GDB_BP_SW && s->swbreak) out_str(s, "swbreak:;");
        if (st->type == GDB_BP_HW && s->hwbreak) out_str(s, "hwbreak:;");
    }
}

void gdb_stub_stopped(GdbStub *s, const GdbStop *stop)
{
    s->last = *stop;
    if (stop->tid > 0) s->gtid = s->ctid = stop->tid;
    if (!s->running) return;
    s->running = false;
    out_reset(s);
    out_stop(s, stop);
    reply(s);
}

bool gdb_stub_running(const GdbStub *s) { return s->running; }
bool gdb_stub_done(const GdbStub *s) { return s->done; }

/* -- Commands ---------------------------------------------------------------------------------- */

static void cmd_read_regs(GdbStub *s)
{
    int tid = cur_thread(s);
    unsigned n = s->ops->g_count(s->opaque, tid);
    out_reset(s);
    for (unsigned r = 0; r < n; r++) {
        uint8_t buf[64];
        unsigned sz = s->ops->read_reg(s->opaque, tid, r, buf);
        if (!sz || sz > sizeof(buf)) {
            reply_err(s, EINVAL);
            return;
        }
        out_hex(s, buf, sz);
    }
    reply(s);
}

static void cmd_write_regs(GdbStub *s, const char *p, size_t n)
{
    int tid = cur_thread(s);
    unsigned cnt = s->ops->g_count(s->opaque, tid);
    size_t off = 0;
    for (unsigned r = 0; r < cnt && off < n; r++) {
        uint8_t cur[64], val[64];
        unsigned sz = s->ops->read_reg(s->opaque, tid, r, cur);
        if (!sz || sz > sizeof(cur) || off + 2 * sz > n || unhex(p + off, 2 * sz, val, sizeof(val)) < 0) {
            reply_err(s, EINVAL);
            return;
        }
        /* Only what changes: some registers refuse writes (read-only views). */
        if (memcmp(cur, val, sz) && s->ops->write_reg(s->opaque, tid, r, val, sz)) {
            reply_err(s, EINVAL);
            return;
        }
        off += 2 * sz;
    }
    if (off != n) {
        reply_err(s, EINVAL);
        return;
    }
    reply_str(s, "OK");
}

static void cmd_read_reg(GdbStub *s, Cursor *c)
{
    uint64_t r;
    uint8_t buf[64];
    if (!cur_hex(c, &r) || c->p != c->end || r > 0xffff) {
        reply_err(s, EINVAL);
        return;
    }
    unsigned sz = s->ops->read_reg(s->opaque, cur_thread(s), (unsigned)r, buf);
    if (!sz || sz > sizeof(buf)) {
        reply_err(s, EINVAL);
        return;
    }
    out_reset(s);
    out_hex(s, buf, sz);
    reply(s);
}

static void cmd_write_reg(GdbStub *s, Cursor *c)
{
    uint64_t r;
    uint8_t buf[64];
    if (!cur_hex(c, &r) || !cur_eat(c, '=') || r > 0xffff) {
        reply_err(s, EINVAL);
        return;
    }
    long n = unhex(c->p, (size_t)(c->end - c->p), buf, sizeof(buf));
    if (n <= 0 || s->ops->write_reg(s->opaque, cur_thread(s), (unsigned)r, buf, (unsigned)n)) {
        reply_err(s, EINVAL);
        return;
    }
    reply_str(s, "OK");
}

static bool parse_addr_len(Cursor *c, uint64_t *addr, uint64_t *len)
{
    return cur_hex(c, addr) && cur_eat(c, ',') && cur_hex(c, len);
}

static void cmd_read_mem(GdbStub *s, Cursor *c)
{
    uint64_t addr, len;
    if (!parse_addr_len(c, &addr, &len) || c->p != c->end) {
        reply_err(s, EINVAL);
        return;
    }
    /* A reply may hold fewer bytes than asked (RSP 'm'): cap at what fits. */
    if (len > (GDB_PKT_MAX - 16) / 2) len = (GDB_PKT_MAX - 16) / 2;
    static uint8_t buf[GDB_PKT_MAX];
    size_t done = 0;
    while (done < len) {
        long r = s->ops->read_mem(s->opaque, cur_thread(s), addr + done, buf + done, len - done);
        if (r <= 0) break;
        done += (size_t)r;
    }
    if (!done && len) {
        reply_err(s, EFAULT);
        return;
    }
    out_reset(s);
    out_hex(s, buf, done);
    reply(s);
}

static void write_mem(GdbStub *s, uint64_t addr, const uint8_t *data, size_t len)
{
    size_t done = 0;
    while (done < len) {
        long r = s->ops->write_mem(s->opaque, cur_thread(s), addr + done, data + done, len - done);
        if (r <= 0) {
            reply_err(s, EFAULT);
            return;
        }
        done += (size_t)r;
    }
    reply_str(s, "OK");
}

static void cmd_write_mem_hex(GdbStub *s, Cursor *c)
{
    uint64_t addr, len;
    static uint8_t buf[GDB_PKT_MAX];
    if (!parse_addr_len(c, &addr, &len) || !cur_eat(c, ':') ||
        unhex(c->p, (size_t)(c->end - c->p), buf, sizeof(buf)) != (long)len) {
        reply_err(s, EINVAL);
        return;
    }
    write_mem(s, addr, buf, len);
}

/* X: the data is binary, already unescaped with the rest of the packet. */
static void cmd_write_mem_bin(GdbStub *s, Cursor *c)
{
    uint64_t addr, len;
    if (!parse_addr_len(c, &addr, &len) || !cur_eat(c, ':') || (uint64_t)(c->end - c->p) != len) {
        reply_err(s, EINVAL);
        return;
    }
    write_mem(s, addr, (const uint8_t *)c->p, len);
}

static void cmd_point(GdbStub *s, Cursor *c, bool insert)
{
    uint64_t type, addr, kind;
    if (!cur_hex(c, &type) || !cur_eat(c, ',') || !cur_hex(c, &addr) || !cur_eat(c, ',') ||
        !cur_hex(c, &kind)) {
        reply_err(s, EINVAL);
        return;
    }
    /* Conditions and commands (";X...") are target-side evaluation we do not
     * announce; gdb sends none without it. */
    if (type > GDB_WP_ACCESS) {
        reply_str(s, "");
        return;
    }
    int r = insert ? s->ops->insert_point(s->opaque, (int)type, addr, kind)
                   : s->ops->remove_point(s->opaque, (int)type, addr, kind);
    if (r == -ENOSYS) reply_str(s, "");
    else if (r) reply_err(s, r);
    else reply_str(s, "OK");
}

static void resume(GdbStub *s, GdbAction *act, const int *sig, int n)
{
    s->running = true;
    s->ops->resume(s->opaque, act, sig, n);
}

/* c, s, C sig, S sig: the thread Hc names (else the current one) continues
 * or steps, with sig delivered to it. On a step the other threads stay
 * stopped, on a continue all run. A resume address is refused: gdb has not
 * sent one for decades and we do not know which register is the pc here. */
static void cmd_legacy_resume(GdbStub *s, Cursor *c, bool step, bool with_sig)
{
    uint64_t v = 0;
    if (with_sig && (!cur_hex(c, &v) || v > 0xff)) {
        reply_err(s, EINVAL);
        return;
    }
    if (c->p != c->end) {
        reply_err(s, EINVAL);
        return;
    }
    int tids[GDB_MAX_THREADS], n = thread_list(s, tids);
    GdbAction act[GDB_MAX_THREADS];
    int sig[GDB_MAX_THREADS] = {0};
    int st = s->ctid > 0 && thread_alive(s, s->ctid) ? s->ctid : cur_thread(s);
    for (int i = 0; i < n; i++) {
        act[i] = step ? (tids[i] == st ? GDB_ACT_STEP : GDB_ACT_STOP) : GDB_ACT_CONT;
        if (tids[i] == st) sig[i] = (int)v;
    }
    resume(s, act, sig, n);
}

/* vCont;ACTION[:TID];... : each thread takes the leftmost action naming it or
 * naming no thread (RSP "vCont"); threads no action names stay stopped. */
static void cmd_vcont(GdbStub *s, Cursor *c)
{
    int tids[GDB_MAX_THREADS], n = thread_list(s, tids);
    GdbAction act[GDB_MAX_THREADS];
    int sigs[GDB_MAX_THREADS] = {0};
    bool set[GDB_MAX_THREADS] = {0};
    for (int i = 0; i < n; i++) act[i] = GDB_ACT_STOP;
    bool any = false;
    while (cur_eat(c, ';')) {
        GdbAction a;
        uint64_t sig = 0;
        char k = c->p < c->end ? *c->p++ : 0;
        switch (k) {
        case 'c': a = GDB_ACT_CONT; break;
        case 's': a = GDB_ACT_STEP; break;
        case 't': a = GDB_ACT_STOP; break;
        case 'C':
        case 'S':
            if (!cur_hex(c, &sig) || sig > 0xff) goto bad;
            a = k == 'C' ? GDB_ACT_CONT : GDB_ACT_STEP;
            break;
        default: goto bad;
        }
        int tid = -1;
        if (cur_eat(c, ':') && !cur_tid(c, &tid)) goto bad;
        for (int i = 0; i < n; i++)
            if (!set[i] && (tid <= 0 || tids[i] == tid)) {
                act[i] = a;
                sigs[i] = (int)sig;
                set[i] = true;
                any |= a != GDB_ACT_STOP;
            }
    }
    if (c->p != c->end) goto bad;
    if (!any) { /* nothing to run (non-stop forms we do not support) */
        reply_err(s, EINVAL);
        return;
    }
    resume(s, act, sigs, n);
    return;
bad:
    reply_err(s, EINVAL);
}

static void cmd_supported(GdbStub *s, const char *p, size_t n)
{
    /* gdb's features: "name+", "name-", "name=value", separated by ';'. */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] != ';') j++;
        if (j - i == 8 && !memcmp(p + i, "swbreak+", 8)) s->swbreak = true;
        if (j - i == 8 && !memcmp(p + i, "hwbreak+", 8)) s->hwbreak = true;
        i = j + 1;
    }
    out_reset(s);
    out_fmt(s, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;"
               "QStartNoAckMode+",
            GDB_PKT_MAX);
    reply(s);
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH (RSP "qXfer read"): 'm' + data when
 * more follows, 'l' + data for the last piece. */
static void cmd_xfer_features(GdbStub *s, const char *p, size_t n)
{
    const char *colon = memchr(p, ':', n);
    if (!colon) {
        reply_err(s, EINVAL);
        return;
    }
    size_t alen = (size_t)(colon - p);
    Cursor c = {colon + 1, p + n};
    uint64_t off, len;
    if (!parse_addr_len(&c, &off, &len) || c.p != c.end) {
        reply_err(s, EINVAL);
        return;
    }
    const char *xml = s->ops->target_xml(s->opaque);
    if (!xml || alen != 10 || memcmp(p, "target.xml", 10)) {
        reply_err(s, ENOENT);
        return;
    }
    size_t total = strlen(xml);
    if (len > (GDB_PKT_MAX - 8) / 2) len = (GDB_PKT_MAX - 8) / 2; /* escapes may double it */
    out_reset(s);
    if (off >= total) {
        out_str(s, "l");
    } else {
        size_t k = total - off < len ? total - off : len;
        out_str(s, off + k < total ? "m" : "l");
        out_bin(s, (const uint8_t *)xml + off, k);
    }
    reply(s);
}

static void cmd_query(GdbStub *s, const char *p, size_t n)
{
    int tids[GDB_MAX_THREADS];
    if (starts(p, n, "qSupported")) {
        size_t k = strlen("qSupported");
        cmd_supported(s, p + k + (n > k && p[k] == ':'), n - k - (n > k && p[k] == ':'));
    } else if (starts(p, n, "qXfer:features:read:")) {
        size_t k = strlen("qXfer:features:read:");
        cmd_xfer_features(s, p + k, n - k);
    } else if (n == 9 && starts(p, n, "qAttached") ) {
        reply_str(s, "1"); /* attached to a running machine: quitting gdb detaches */
    } else if (starts(p, n, "qAttached:")) {
        reply_str(s, "1");
    } else if (n == 2 && p[1] == 'C') {
        out_reset(s);
        out_fmt(s, "QC%x", cur_thread(s));
        reply(s);
    } else if (n == 12 && starts(p, n, "qfThreadInfo")) {
        int cnt = thread_list(s, tids);
        out_reset(s);
        out_str(s, "m");
        for (int i = 0; i < cnt; i++) out_fmt(s, i ? ",%x" : "%x", tids[i]);
        reply(s);
    } else if (n == 12 && starts(p, n, "qsThreadInfo")) {
        reply_str(s, "l");
    } else if (starts(p, n, "qThreadExtraInfo,")) {
        Cursor c = {p + 17, p + n};
        int tid;
        if (!cur_tid(&c, &tid) || c.p != c.end || !thread_alive(s, tid)) {
            reply_err(s, EINVAL);
            return;
        }
        char text[32];
        int k = snprintf(text, sizeof(text), "vCPU %d", tid - 1);
        out_reset(s);
        out_hex(s, (const uint8_t *)text, (size_t)k);
        reply(s);
    } else if (starts(p, n, "QStartNoAckMode")) {
        reply_str(s, "OK");
        s->noack = true; /* from the next packet on (RSP "Packet Acknowledgment") */
    } else {
        reply_str(s, ""); /* unsupported: the empty reply */
    }
}

/* Commands that need the target stopped (all-stop: gdb sends none while it
 * runs; a confused client gets an error, not a race with the vCPUs). */
static bool needs_stopped(char k)
{
    return strchr("gGpPmMXcsCSZzvDTH", k) != NULL;
}

static void dispatch(GdbStub *s, const char *p, size_t n)
{
    Cursor c = {p + 1, p + n};
    if (!n) {
        reply_str(s, "");
        return;
    }
    if (s->running && needs_stopped(p[0]) && !starts(p, n, "vCont?") && p[0] != 'D') {
        reply_err(s, EBUSY);
        return;
    }
    switch (p[0]) {
    case '?':
        out_reset(s);
        out_stop(s, &s->last);
        reply(s);
        return;
    case 'g': if (n == 1) cmd_read_regs(s); else reply_err(s, EINVAL); return;
    case 'G': cmd_write_regs(s, p + 1, n - 1); return;
    case 'p': cmd_read_reg(s, &c); return;
    case 'P': cmd_write_reg(s, &c); return;
    case 'm': cmd_read_mem(s, &c); return;
    case 'M': cmd_write_mem_hex(s, &c); return;
    case 'X': cmd_write_mem_bin(s, &c); return;
    case 'c': cmd_legacy_resume(s, &c, false, false); return;
    case 's': cmd_legacy_resume(s, &c, true, false); return;
    case 'C': cmd_legacy_resume(s, &c, false, true); return;
    case 'S': cmd_legacy_resume(s, &c, true, true); return;
    case 'Z': cmd_point(s, &c, true); return;
    case 'z': cmd_point(s, &c, false); return;
    case 'H': {
        char which = n > 1 ? p[1] : 0;
        int tid;
        c.p = p + 2;
        if ((which != 'g' && which != 'c') || !cur_tid(&c, &tid) || c.p != c.end ||
            (tid > 0 && !thread_alive(s, tid))) {
            reply_err(s, EINVAL);
            return;
        }
        if (which == 'g') s->gtid = tid;
        else s->ctid = tid;
        reply_str(s, "OK");
        return;
    }
    case 'T': {
        int tid;
        if (!cur_tid(&c, &tid) || c.p != c.end || !thread_alive(s, tid)) reply_err(s, ENOENT);
        else reply_str(s, "OK");
        return;
    }
    case 'D':
        /* D or D;PID: the client leaves; the guest runs on without breakpoints. */
        reply_str(s, "OK");
        s->done = true;
        s->running = false;
        s->ops->detach(s->opaque);
        return;
    case 'k':
        s->done = true;
        s->ops->kill(s->opaque);
        return;
    case 'q':
    case 'Q':
        cmd_query(s, p, n);
        return;
    case 'v':
        if (starts(p, n, "vCont?")) {
            reply_str(s, "vCont;c;C;s;S;t");
        } else if (starts(p, n, "vCont;")) {
            c.p = p + 5;
            cmd_vcont(s, &c);
        } else if (starts(p, n, "vKill")) {
            reply_str(s, "OK");
            s->done = true;
            s->ops->kill(s->opaque);
        } else {
            reply_str(s, ""); /* vMustReplyEmpty, vFile, vRun...: not supported */
        }
        return;
    default:
        reply_str(s, "");
        return;
    }
}

/* -- Input ------------------------------------------------------------------------------------ */

/* A received packet body: unescape ('}' x = x ^ 0x20), then run it. */
static void packet(GdbStub *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->plen; i++) {
        uint8_t ch = s->pkt[i];
        if (ch == '}') {
            if (++i == s->plen) { /* escape with nothing after it */
                reply_err(s, EINVAL);
                return;
            }
            ch = s->pkt[i] ^ 0x20;
        }
        s->pkt[k++] = ch;
    }
    s->pkt[k] = 0;
    dispatch(s, (const char *)s->pkt, k);
}

void gdb_stub_input(GdbStub *s, const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n && !s->done; i++) {
        uint8_t ch = buf[i];
        switch (s->rx) {
        case RX_IDLE:
            if (ch == '$') {
                s->rx = RX_DATA;
                s->plen = 0;
                s->csum = 0;
                s->overflow = false;
            } else if (ch == 0x03) {
                /* Ctrl-C (RSP "Interrupts"): only meaningful while running. */
                if (s->running) s->ops->interrupt(s->opaque);
            } else if (ch == '-' && !s->noack && s->txlen) {
                s->ops->send(s->opaque, s->tx, s->txlen);
            }
            /* '+' and noise between packets are ignored. */
            break;
        case RX_DATA:
            if (ch == '#') {
                s->rx = RX_CSUM1;
            } else if (ch == '$') { /* a new start: the old packet was cut */
                s->plen = 0;
                s->csum = 0;
                s->overflow = false;
            } else {
                s->csum = (uint8_t)(s->csum + ch);
                if (s->plen < GDB_PKT_MAX) s->pkt[s->plen++] = ch;
                else s->overflow = true;
            }
            break;
        case RX_CSUM1:
            s->rx_hi = ch;
            s->rx = RX_CSUM2;
            break;
        case RX_CSUM2: {
            s->rx = RX_IDLE;
            int hi = hexval(s->rx_hi), lo = hexval(ch);
            bool ok = hi >= 0 && lo >= 0 && (uint8_t)(hi << 4 | lo) == s->csum;
            if (!s->noack) {
                if (!ok) {
                    s->ops->send(s->opaque, "-", 1);
                    break;
                }
                s->ops->send(s->opaque, "+", 1);
            }
            if (s->overflow) reply_err(s, E2BIG);
            else packet(s);
            break;
        }
        }
    }
}

/* -- Set-up ----------------------------------------------------------------------------------- */

GdbStub *gdb_stub_new(const GdbOps *ops, void *opaque, const GdbStop *initial)
{
    GdbStub *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->ops = ops;
    s->opaque = opaque;
    if (initial) s->last = *initial;
    else s->last = (GdbStop){.tid = 1, .sig = 5};
    return s;
}

void gdb_stub_free(GdbStub *s) { free(s); }

int gdb_listen(const char *spec, char *err, size_t errlen)
{
    char host[64] = "";
    const char *colon;
    long port;
    char *end;
    if (strncmp(spec, "tcp:", 4) || !(colon = strrchr(spec + 4, ':')) ||
        (size_t)(colon - (spec + 4)) >= sizeof(host)) {
        snprintf(err, errlen, "expected tcp::PORT or tcp:HOST:PORT, got '%s'", spec);
        return -1;
    }
    memcpy(host, spec + 4, (size_t)(colon - (spec + 4)));
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535) {
        snprintf(err, errlen, "bad port in '%s'", spec);
        return -1;
    }
    /* An empty host listens on the loopback only: a debugger owns the guest
     * (QEMU listens on every interface; give tcp:0.0.0.0:PORT for that). */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    const char *h = host[0] ? host : "127.0.0.1";
    if (!strcmp(h, "localhost")) h = "127.0.0.1";
    if (inet_pton(AF_INET, h, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "'%s' is not an IPv4 address", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
        snprintf(err, errlen, "cannot listen on %s:%ld: %s", h, port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int gdb_send_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t r = send(fd, p, len, MSG_NOSIGNAL);
        if (r > 0) {
            p += r;
            len -= (size_t)r;
        } else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            if (poll(&pf, 1, 5000) <= 0) return -1; /* a client that stopped reading */
        } else {
            return -1;
        }
    }
    return 0;
}
