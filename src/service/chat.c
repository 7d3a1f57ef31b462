/* SPDX-License-Identifier: MIT */
/* -chat FILE: a scripted conversation with the serial console (expect REGEX,
 * send TEXT, timeout SEC, quit [STATUS]; docs/cli.md). The script is checked
 * whole before the guest starts; it then runs on the main thread, driven by
 * console output (an output watcher) and by its expect timers. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/sys_int.h"
#include "vm/log.h"
#include "vm/options.h"
#include "vm/system.h"
#include "vm/timer.h"

/* An expect sees at most this much output since the previous match. */
#define CHAT_WINDOW (256 * 1024)
/* A send is typed into the console's input buffer, which holds 4 KiB. */
#define CHAT_SEND_MAX 4096
/* With a large window, regexec runs at most this often (ns) while output streams. */
#define CHAT_RECHECK_NS 10000000ull

typedef enum { CHAT_EXPECT, CHAT_SEND, CHAT_TIMEOUT, CHAT_QUIT } ChatOp;

typedef struct ChatLine {
    ChatOp op;
    int lineno;
    char *text;    /* expect: the regex as written; send: the decoded bytes */
    size_t len;    /* send */
    regex_t re;    /* expect */
    double secs;   /* timeout */
    int status;    /* quit */
} ChatLine;

typedef enum { CHAT_RUNNING, CHAT_DONE, CHAT_FAILED } ChatState;

static struct {
    const char *file;
    SysChar *serial;
    ChatLine *lines;
    int n, pc;            /* pc: the next line to run */
    double timeout;       /* seconds for the next expects; 0 = no limit */
    ChatState state;
    /* Shared with the output watcher (vCPU threads): */
    pthread_mutex_t lock;
    char *buf;            /* output since the previous match, NUL-terminated */
    size_t len;
    bool posted;          /* a check is queued on the main thread */
    bool waiting;         /* the script waits at lines[pc], an expect */
    /* Main thread: */
    unsigned gen;         /* counts expects started waiting (stale timers) */
    double wait_secs;     /* the timeout of the expect waiting now */
    uint64_t deadline;    /* clock_ns() when it fails (0 = never) */
    VmTimer *expire, *recheck;
    uint64_t last_check;
    bool recheck_armed;
    char msg[640];
} chat = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* -- Parsing ---------------------------------------------------------------------------- */

static int chat_hex(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* send TEXT: \n \r \t \\ \xHH; anything else after a backslash is an error. */
static int chat_unescape(const char *s, char *out, size_t *len, char *err, size_t errlen)
{
    size_t k = 0;
    for (; *s; s++) {
        if (*s != '\\') {
            out[k++] = *s;
            continue;
        }
        switch (*++s) {
        case 'n': out[k++] = '\n'; break;
        case 'r': out[k++] = '\r'; break;
        case 't': out[k++] = '\t'; break;
        case '\\': out[k++] = '\\'; break;
        case 'x': {
            int hi = chat_hex(s[1]), lo = hi >= 0 ? chat_hex(s[2]) : -1;
            if (lo < 0) {
                snprintf(err, errlen, "\\x needs two hex digits");
                return -1;
            }
            out[k++] = (char)(hi << 4 | lo);
            s += 2;
            break;
        }
        case 0:
            snprintf(err, errlen, "a lone \\ ends the line (write \\\\ for a backslash)");
            return -1;
        default:
            snprintf(err, errlen, "unknown escape '\\%c' (known: \\n \\r \\t \\\\ \\xHH)", *s);
            return -1;
        }
    }
    *len = k;
    return 0;
}

static int chat_parse_line(ChatLine *l, char *p, char *err, size_t errlen)
{
    char *kw = p;
    while (*p && *p != ' ' && *p != '\t') p++;
    size_t kwlen = (size_t)(p - kw);
    while (*p == ' ' || *p == '\t') p++;
    char *arg = p;
    if (kwlen == 6 && !strncmp(kw, "expect", 6)) {
        l->op = CHAT_EXPECT;
        if (!*arg) {
            snprintf(err, errlen, "expect needs a regular expression");
            return -1;
        }
        /* REG_NEWLINE: ^ and $ match at line boundaries, . stops at a newline. */
        int r = regcomp(&l->re, arg, REG_EXTENDED | REG_NEWLINE);
        if (r) {
            char why[160];
            regerror(r, &l->re, why, sizeof(why));
            snprintf(err, errlen, "bad regular expression '%s': %s", arg, why);
            return -1;
        }
        l->text = strdup(arg);
        if (!l->text) {
            regfree(&l->re);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    if (kwlen == 4 && !strncmp(kw, "send", 4)) {
        l->op = CHAT_SEND;
        if (!*arg) {
            snprintf(err, errlen, "send needs TEXT (\\n sends a newline)");
            return -1;
        }
        l->text = malloc(strlen(arg) + 1);
        if (!l->text) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (chat_unescape(arg, l->text, &l->len, err, errlen)) {
            free(l->text);
            return -1;
        }
        if (l->len > CHAT_SEND_MAX) {
            free(l->text);
            snprintf(err, errlen, "send: at most %d bytes per line (the console's input buffer)",
                     CHAT_SEND_MAX);
            return -1;
        }
        return 0;
    }
    if (kwlen == 7 && !strncmp(kw, "timeout", 7)) {
        l->op = CHAT_TIMEOUT;
        char *end;
        errno = 0;
        l->secs = strtod(arg, &end);
        if (!*arg || *end || errno || !isfinite(l->secs) || l->secs < 0 || l->secs > 1e6) {
            snprintf(err, errlen, "timeout: expected seconds (0 = no limit, fractions allowed), got '%s'",
                     arg);
            return -1;
        }
        return 0;
    }
    if (kwlen == 4 && !strncmp(kw, "quit", 4)) {
        l->op = CHAT_QUIT;
        if (!*arg) return 0;
        char *end;
        long v = strtol(arg, &end, 10);
        if (*end || v < 0 || v > 255) {
            snprintf(err, errlen, "quit: expected an exit status 0-255, got '%s'", arg);
            return -1;
        }
        l->status = (int)v;
        return 0;
    }
    snprintf(err, errlen, "unknown command '%.*s' (expected expect, send, timeout or quit)",
             (int)kwlen, kw);
    return -1;
}

static int chat_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        vm_error("-chat %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL, err[400];
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if ((size_t)n != strlen(line)) {
            vm_error("-chat %s:%d: the line holds a NUL byte", path, lineno);
            rc = -1;
            break;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;
        ChatLine *grown = realloc(chat.lines, (size_t)(chat.n + 1) * sizeof(*grown));
        if (!grown) {
            vm_error("-chat %s: out of memory", path);
            rc = -1;
            break;
        }
        chat.lines = grown;
        ChatLine *l = &chat.lines[chat.n];
        memset(l, 0, sizeof(*l));
        l->lineno = lineno;
        if (chat_parse_line(l, p, err, sizeof(err))) {
            vm_error("-chat %s:%d: %s", path, lineno, err);
            rc = -1;
            break;
        }
        chat.n++;
    }
    if (!rc && ferror(f)) {
        vm_error("-chat %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

/* -- Running ---------------------------------------------------------------------------- */

static void chat_run(void);
static void chat_run_post(void *opaque);

/* vCPU thread, with the console's output lock held: copy and post, never block. */
static void chat_watch(void *opaque, const uint8_t *buf, size_t n)
{
    bool post = false;
    pthread_mutex_lock(&chat.lock);
    if (chat.state == CHAT_RUNNING && chat.buf) {
        for (size_t i = 0; i < n; i++) {
            /* NUL would end the string regexec sees; CR is dropped so that $
             * matches at the end of a guest's "\r\n" lines. */
            if (buf[i] == 0 || buf[i] == '\r') continue;
            if (chat.len == CHAT_WINDOW) {
                memmove(chat.buf, chat.buf + CHAT_WINDOW / 2, CHAT_WINDOW / 2);
                chat.len = CHAT_WINDOW / 2;
            }
            chat.buf[chat.len++] = (char)buf[i];
        }
        chat.buf[chat.len] = 0;
        if (chat.waiting && !chat.posted) post = chat.posted = true;
    }
    pthread_mutex_unlock(&chat.lock);
    if (post) sys_post(chat_run_post, NULL);
}

static void chat_run_post(void *opaque) { chat_run(); }
static void chat_post_run(void *opaque) { sys_post(chat_run_post, NULL); }

static void chat_expired(void *arg);
static void chat_expire_timer(void *opaque)
{
    /* Timer thread: the decision is taken on the main thread. */
    sys_post(chat_expired, (void *)(uintptr_t)chat.gen);
}

/* The last bytes of output, printable, for the failure message. */
static void chat_tail(char *out, size_t outlen)
{
    pthread_mutex_lock(&chat.lock);
    size_t start = chat.len > 60 ? chat.len - 60 : 0, k = 0;
    for (size_t i = start; i < chat.len && k + 5 < outlen; i++) {
        unsigned char c = (unsigned char)chat.buf[i];
        if (c == '\n') { out[k++] = '\\'; out[k++] = 'n'; }
        else if (c < 0x20 || c >= 0x7f) k += (size_t)snprintf(out + k, outlen - k, "\\x%02x", c);
        else if (c == '"' || c == '\\') { out[k++] = '\\'; out[k++] = (char)c; }
        else out[k++] = (char)c;
    }
    out[k] = 0;
    pthread_mutex_unlock(&chat.lock);
}

static void chat_expired(void *arg)
{
    if (chat.state != CHAT_RUNNING || (unsigned)(uintptr_t)arg != chat.gen) return;
    if (!chat.deadline || clock_ns() < chat.deadline) return; /* a stale timer */
    chat.last_check = 0; /* output that arrived just now still counts */
    chat_run();
    if (chat.state != CHAT_RUNNING || !chat.waiting) return;
    const ChatLine *l = &chat.lines[chat.pc];
    char tail[260];
    chat_tail(tail, sizeof(tail));
    snprintf(chat.msg, sizeof(chat.msg),
             "chat: %s:%d: expect '%s' not matched within %g s (output since the previous match "
             "ends with \"%s\")", chat.file, l->lineno, l->text, chat.wait_secs, tail);
    chat.state = CHAT_FAILED;
    sys_stop(SYS_EXIT_CHAT, chat.msg);
}

/* Main thread: runs lines until an expect has to wait for more output. */
static void chat_run(void)
{
    pthread_mutex_lock(&chat.lock);
    chat.posted = false;
    bool big = chat.len > 4096;
    pthread_mutex_unlock(&chat.lock);
    if (chat.state != CHAT_RUNNING) return;
    /* A large window is searched at most every CHAT_RECHECK_NS, not per write. */
    uint64_t now = clock_ns();
    if (big && chat.waiting && now - chat.last_check < CHAT_RECHECK_NS) {
        if (!chat.recheck_armed && chat.recheck) {
            chat.recheck_armed = true;
            timer_mod(chat.recheck, chat.last_check + CHAT_RECHECK_NS);
        }
        return;
    }
    chat.recheck_armed = false;
    chat.last_check = now;
    while (chat.pc < chat.n) {
        ChatLine *l = &chat.lines[chat.pc];
        switch (l->op) {
        case CHAT_SEND:
            sys_char_inject(chat.serial, (const uint8_t *)l->text, l->len);
            break;
        case CHAT_TIMEOUT:
            chat.timeout = l->secs;
            break;
        case CHAT_QUIT:
            chat.state = CHAT_DONE;
            sys_stop(l->status, NULL);
            return;
        case CHAT_EXPECT: {
            regmatch_t m;
            pthread_mutex_lock(&chat.lock);
            bool hit = regexec(&l->re, chat.buf, 1, &m, 0) == 0;
            if (hit) {
                /* The next expect looks only at output after this match. */
                size_t end = (size_t)m.rm_eo;
                memmove(chat.buf, chat.buf + end, chat.len - end + 1);
                chat.len -= end;
                chat.waiting = false;
            } else if (!chat.waiting) {
                chat.waiting = true;
            } else {
                pthread_mutex_unlock(&chat.lock);
                return;
            }
            pthread_mutex_unlock(&chat.lock);
            if (!hit) {
                chat.gen++;
                chat.wait_secs = chat.timeout;
                chat.deadline = 0;
                if (chat.timeout > 0 && chat.expire) {
                    chat.deadline = clock_ns() + (uint64_t)(chat.timeout * 1e9);
                    timer_mod(chat.expire, chat.deadline);
                }
                return;
            }
            break;
        }
        }
        chat.pc++;
    }
    /* After the last line the guest runs on until it stops by itself. */
    chat.state = CHAT_DONE;
    if (chat.expire) timer_del(chat.expire);
    chat.expire = NULL;
}

int chat_setup(const VmOptions *o, SysChar *serial)
{
    if (!o->chat) return 0;
    chat.file = o->chat;
    if (chat_load(o->chat)) return -1;
    if (!serial) {
        vm_error("-chat needs a serial console (not -serial none)");
        return -1;
    }
    chat.serial = serial;
    chat.buf = malloc(CHAT_WINDOW + 1);
    chat.expire = timer_new(chat_expire_timer, NULL);
    chat.recheck = timer_new(chat_post_run, NULL);
    if (!chat.buf || !chat.expire || !chat.recheck || sys_char_watch(serial, chat_watch, NULL)) {
        vm_error("-chat: out of resources (memory, timers or console watchers)");
        return -1;
    }
    chat.buf[0] = 0;
    chat.state = CHAT_RUNNING;
    /* The first lines run as soon as the I/O loop does (after the vCPUs start). */
    sys_post(chat_run_post, NULL);
    return 0;
}

int chat_finish(int status)
{
    if (chat.state != CHAT_RUNNING || chat.pc >= chat.n) return status;
    const ChatLine *l = &chat.lines[chat.pc];
    chat.state = CHAT_FAILED;
    if (status == SYS_EXIT_TIMEOUT || status > 128) {
        /* The stop has its own message and status; say where the script was. */
        vm_error("chat: %s:%d: was still waiting for '%s'", chat.file, l->lineno,
                 l->op == CHAT_EXPECT ? l->text : "(its next line)");
        return status;
    }
    vm_error("chat: %s:%d: the machine stopped (status %d) before '%s' was matched", chat.file,
             l->lineno, status, l->op == CHAT_EXPECT ? l->text : "(its next line)");
    return SYS_EXIT_CHAT;
}
