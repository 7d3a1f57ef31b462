/* SPDX-License-Identifier: MIT */
/* decgen: generates instruction decoders from declarative .dec descriptions
 * (fields, argument sets, formats, patterns, overlap groups), in the spirit of
 * QEMU's decodetree. docs/decoder.md describes the language. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEG 8
#define MAX_ARGS 16

typedef struct Field {
    char *name;
    int nseg;
    struct { int pos, len; bool sign; } seg[MAX_SEG];
    char *func; /* !function=NAME, or NULL */
    bool used;
} Field;

typedef struct ArgSet {
    char *name;
    int n;
    char *names[MAX_ARGS];
    bool used;
} ArgSet;

/* An argument assignment: name = field or name = constant. */
typedef struct Assign {
    char *name;
    Field *field; /* NULL: constant */
    long val;
} Assign;

typedef struct Format {
    char *name;
    uint32_t mask, bits;
    int width;
    ArgSet *args;
    int nassign;
    Assign assign[MAX_ARGS];
} Format;

typedef struct Pattern {
    char *name;
    uint32_t mask, bits;
    ArgSet *args;
    int nassign;
    Assign assign[MAX_ARGS];
    int group; /* outermost overlap group id, 0 = none */
    const char *file;
    int line;
} Pattern;

typedef struct Decoder {
    char *fn;
    int width;
    Pattern **pats;
    int npats, cap;
} Decoder;

static Field **fields;
static int nfields;
static ArgSet **argsets;
static int nargsets;
static Format **formats;
static int nformats;
static Decoder **decoders;
static int ndecoders;

static const char *cur_file;
static int cur_line;
static int group_depth, group_next, group_cur;

static FILE *out;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    if (cur_file) fprintf(stderr, "%s:%d: ", cur_file, cur_line);
    else fprintf(stderr, "decgen: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xcalloc(size_t n, size_t s)
{
    void *p = calloc(n, s);
    if (!p) die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p) die("out of memory");
    return p;
}

static void push(void ***arr, int *n, void *item)
{
    *arr = realloc(*arr, (size_t)(*n + 1) * sizeof(void *));
    if (!*arr) die("out of memory");
    (*arr)[(*n)++] = item;
}

static bool is_ident(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_') return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return false;
    return true;
}

static Field *find_field(const char *name)
{
    for (int i = 0; i < nfields; i++)
        if (!strcmp(fields[i]->name, name)) return fields[i];
    return NULL;
}

static ArgSet *find_argset(const char *name)
{
    for (int i = 0; i < nargsets; i++)
        if (!strcmp(argsets[i]->name, name)) return argsets[i];
    return NULL;
}

static Format *find_format(const char *name)
{
    for (int i = 0; i < nformats; i++)
        if (!strcmp(formats[i]->name, name)) return formats[i];
    return NULL;
}

static bool argset_has(const ArgSet *a, const char *name)
{
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->names[i], name)) return true;
    return false;
}

/* -- Parsing ------------------------------------------------------------------ */

/* %name pos:len [pos:sLEN ...] [!function=fn] */
static void parse_field(char **tok, int ntok)
{
    Field *f = xcalloc(1, sizeof(*f));
    f->name = xstrdup(tok[0] + 1);
    if (!is_ident(f->name)) die("bad field name '%s'", tok[0]);
    for (int i = 1; i < ntok; i++) {
        if (!strncmp(tok[i], "!function=", 10)) {
            f->func = xstrdup(tok[i] + 10);
            if (!is_ident(f->func)) die("bad function name '%s'", f->func);
            continue;
        }
        char *colon = strchr(tok[i], ':');
        if (!colon || f->nseg == MAX_SEG) die("bad field segment '%s'", tok[i]);
        char *end;
        long pos = strtol(tok[i], &end, 10);
        if (end != colon) die("bad field segment '%s'", tok[i]);
        const char *l = colon + 1;
        bool sign = false;
        if (*l == 's') { sign = true; l++; }
        long len = strtol(l, &end, 10);
        if (*end || len <= 0 || pos < 0 || pos + len > 32) die("bad field segment '%s'", tok[i]);
        if (sign && f->nseg) die("only the first (most significant) segment may be signed");
        f->seg[f->nseg].pos = (int)pos;
        f->seg[f->nseg].len = (int)len;
        f->seg[f->nseg].sign = sign;
        f->nseg++;
    }
    if (!f->nseg) die("field '%s' has no segments", f->name);
    Field *old = find_field(f->name);
    if (old) {
        bool same = old->nseg == f->nseg &&
                    !strcmp(old->func ? old->func : "", f->func ? f->func : "");
        for (int i = 0; same && i < f->nseg; i++)
            same = old->seg[i].pos == f->seg[i].pos && old->seg[i].len == f->seg[i].len &&
                   old->seg[i].sign == f->seg[i].sign;
        if (!same) die("field '%s' redefined differently", f->name);
        return;
    }
    push((void ***)&fields, &nfields, f);
}

/* &name arg... */
static void parse_argset(char **tok, int ntok)
{
    ArgSet *a = xcalloc(1, sizeof(*a));
    a->name = xstrdup(tok[0] + 1);
    if (!is_ident(a->name)) die("bad argument set name '%s'", tok[0]);
    for (int i = 1; i < ntok; i++) {
        if (!is_ident(tok[i]) || a->n == MAX_ARGS) die("bad argument '%s'", tok[i]);
        if (argset_has(a, tok[i])) die("duplicate argument '%s'", tok[i]);
        a->names[a->n++] = xstrdup(tok[i]);
    }
    ArgSet *old = find_argset(a->name);
    if (old) {
        bool same = old->n == a->n;
        for (int i = 0; same && i < a->n; i++) same = !strcmp(old->names[i], a->names[i]);
        if (!same) die("argument set '%s' redefined differently", a->name);
        return;
    }
    push((void ***)&argsets, &nargsets, a);
}

static void add_assign(Assign *as, int *n, const char *name, Field *f, long val)
{
    for (int i = 0; i < *n; i++) {
        if (!strcmp(as[i].name, name)) { /* later assignments override */
            as[i].field = f;
            as[i].val = val;
            return;
        }
    }
    if (*n == MAX_ARGS) die("too many argument assignments");
    as[*n].name = xstrdup(name);
    as[*n].field = f;
    as[*n].val = val;
    (*n)++;
}

/* Shared by formats and patterns: bit strings, &set, @fmt, %field, name=val|%field. */
typedef struct Body {
    uint32_t mask, bits;
    int width;
    ArgSet *args;
    Format *fmt;
    int nassign;
    Assign assign[MAX_ARGS];
} Body;

static void parse_body(Body *bd, char **tok, int ntok, bool allow_fmt)
{
    memset(bd, 0, sizeof(*bd));
    for (int i = 0; i < ntok; i++) {
        const char *t = tok[i];
        if (strchr("01.-", t[0])) {
            for (const char *c = t; *c; c++) {
                if (!strchr("01.-", *c)) die("bad bit pattern '%s'", t);
                if (bd->width == 32) die("pattern longer than 32 bits");
                bd->mask <<= 1;
                bd->bits <<= 1;
                if (*c == '0' || *c == '1') bd->mask |= 1;
                if (*c == '1') bd->bits |= 1;
                bd->width++;
            }
        } else if (t[0] == '&') {
            bd->args = find_argset(t + 1);
            if (!bd->args) die("unknown argument set '%s'", t);
        } else if (t[0] == '@') {
            if (!allow_fmt) die("a format cannot reference a format");
            bd->fmt = find_format(t + 1);
            if (!bd->fmt) die("unknown format '%s'", t);
        } else if (t[0] == '%') {
            Field *f = find_field(t + 1);
            if (!f) die("unknown field '%s'", t);
            add_assign(bd->assign, &bd->nassign, f->name, f, 0);
        } else if (strchr(t, '=')) {
            char name[64];
            const char *eq = strchr(t, '=');
            if ((size_t)(eq - t) >= sizeof(name)) die("bad assignment '%s'", t);
            memcpy(name, t, (size_t)(eq - t));
            name[eq - t] = 0;
            if (!is_ident(name)) die("bad assignment '%s'", t);
            if (eq[1] == '%') {
                Field *f = find_field(eq + 2);
                if (!f) die("unknown field '%s'", eq + 1);
                add_assign(bd->assign, &bd->nassign, name, f, 0);
            } else {
                char *end;
                long v = strtol(eq + 1, &end, 0);
                if (*end || end == eq + 1) die("bad constant in '%s'", t);
                add_assign(bd->assign, &bd->nassign, name, NULL, v);
            }
        } else {
            die("unexpected token '%s'", t);
        }
    }
}

static void parse_format(char **tok, int ntok)
{
    Format *f = xcalloc(1, sizeof(*f));
    f->name = xstrdup(tok[0] + 1);
    if (!is_ident(f->name)) die("bad format name '%s'", tok[0]);
    if (find_format(f->name)) die("format '%s' redefined", f->name);
    Body bd;
    parse_body(&bd, tok + 1, ntok - 1, false);
    f->mask = bd.mask;
    f->bits = bd.bits;
    f->width = bd.width;
    f->args = bd.args;
    f->nassign = bd.nassign;
    memcpy(f->assign, bd.assign, sizeof(bd.assign));
    push((void ***)&formats, &nformats, f);
}

static void parse_pattern(Decoder *d, char **tok, int ntok)
{
    Pattern *p = xcalloc(1, sizeof(*p));
    p->name = xstrdup(tok[0]);
    if (!is_ident(p->name)) die("bad pattern name '%s'", tok[0]);
    p->file = cur_file;
    p->line = cur_line;
    p->group = group_depth ? group_cur : 0;
    Body bd;
    parse_body(&bd, tok + 1, ntok - 1, true);
    if (bd.width != d->width)
        die("pattern '%s' has %d bits, the decoder is %d bits wide", p->name, bd.width, d->width);
    p->mask = bd.mask;
    p->bits = bd.bits;
    Assign as[MAX_ARGS];
    int nas = 0;
    if (bd.fmt) {
        if (bd.fmt->width != d->width) die("format '%s' width mismatch", bd.fmt->name);
        if ((bd.fmt->mask & p->mask) & (bd.fmt->bits ^ p->bits))
            die("pattern '%s' contradicts format '%s'", p->name, bd.fmt->name);
        p->mask |= bd.fmt->mask;
        p->bits |= bd.fmt->bits;
        p->args = bd.fmt->args;
        for (int i = 0; i < bd.fmt->nassign; i++)
            add_assign(as, &nas, bd.fmt->assign[i].name, bd.fmt->assign[i].field,
                       bd.fmt->assign[i].val);
    }
    for (int i = 0; i < bd.nassign; i++)
        add_assign(as, &nas, bd.assign[i].name, bd.assign[i].field, bd.assign[i].val);
    if (bd.args) p->args = bd.args;
    if (!p->args) {
        /* Implicit argument set: "empty", or one named after the pattern. */
        char *tk[MAX_ARGS + 1];
        char nm[80];
        snprintf(nm, sizeof(nm), "&%s", nas ? p->name : "empty");
        tk[0] = nm;
        for (int i = 0; i < nas; i++) tk[i + 1] = as[i].name;
        parse_argset(tk, nas + 1);
        p->args = find_argset(nm + 1);
    }
    for (int i = 0; i < nas; i++)
        if (!argset_has(p->args, as[i].name))
            die("pattern '%s': '%s' is not in argument set '%s'", p->name, as[i].name,
                p->args->name);
    for (int i = 0; i < p->args->n; i++) {
        bool found = false;
        for (int j = 0; j < nas; j++) found |= !strcmp(as[j].name, p->args->names[i]);
        if (!found)
            die("pattern '%s': argument '%s' is never assigned", p->name, p->args->names[i]);
    }
    p->nassign = nas;
    memcpy(p->assign, as, sizeof(as));
    for (int i = 0; i < nas; i++)
        if (as[i].field) as[i].field->used = true;
    p->args->used = true;
    if (d->npats == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->pats = realloc(d->pats, (size_t)d->cap * sizeof(*d->pats));
        if (!d->pats) die("out of memory");
    }
    d->pats[d->npats++] = p;
}

static Decoder *get_decoder(const char *fn, int width)
{
    for (int i = 0; i < ndecoders; i++) {
        if (!strcmp(decoders[i]->fn, fn)) {
            if (decoders[i]->width != width) die("decoder '%s' width mismatch", fn);
            return decoders[i];
        }
    }
    Decoder *d = xcalloc(1, sizeof(*d));
    d->fn = xstrdup(fn);
    d->width = width;
    push((void ***)&decoders, &ndecoders, d);
    return d;
}

static void parse_file(const char *path, int default_width, bool argsets_only)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "decgen: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    cur_file = path;
    cur_line = 0;
    int width = default_width;
    char fn[64];
    snprintf(fn, sizeof(fn), "decode_insn%d", width);
    bool fn_set = false;
    Decoder *d = NULL;
    char line[4096], acc[16384];
    int start_line = 0;
    acc[0] = 0;
    while (fgets(line, sizeof(line), f)) {
        cur_line++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        size_t n = strlen(line);
        while (n && isspace((unsigned char)line[n - 1])) line[--n] = 0;
        if (!acc[0]) start_line = cur_line;
        bool cont = n && line[n - 1] == '\\';
        if (cont) line[--n] = 0;
        if (strlen(acc) + n + 2 >= sizeof(acc)) die("line too long");
        strcat(acc, " ");
        strcat(acc, line);
        if (cont) continue;
        int save_line = cur_line;
        cur_line = start_line;
        char *tok[256];
        int ntok = 0;
        for (char *t = strtok(acc, " \t"); t; t = strtok(NULL, " \t")) {
            if (ntok == 256) die("too many tokens");
            tok[ntok++] = t;
        }
        if (ntok && argsets_only) {
            /* First pass: argument sets are shared by every file. */
            if (tok[0][0] == '&') parse_argset(tok, ntok);
        } else if (ntok) {
            if (!strcmp(tok[0], ".width")) {
                if (ntok != 2 || (atoi(tok[1]) != 16 && atoi(tok[1]) != 32))
                    die(".width takes 16 or 32");
                if (d) die(".width must come before the first pattern");
                width = atoi(tok[1]);
                if (!fn_set) snprintf(fn, sizeof(fn), "decode_insn%d", width);
            } else if (!strcmp(tok[0], ".decode")) {
                if (ntok != 2 || !is_ident(tok[1]) || strlen(tok[1]) >= sizeof(fn))
                    die(".decode takes a function name");
                if (d) die(".decode must come before the first pattern");
                strcpy(fn, tok[1]);
                fn_set = true;
            } else if (tok[0][0] == '%') {
                parse_field(tok, ntok);
            } else if (tok[0][0] == '&') {
                parse_argset(tok, ntok);
            } else if (tok[0][0] == '@') {
                parse_format(tok, ntok);
            } else if (!strcmp(tok[0], "{")) {
                /* '{' groups may overlap: members are tried in order. */
                if (ntok != 1) die("'{' must be alone on its line");
                if (!group_depth++) group_cur = ++group_next;
            } else if (!strcmp(tok[0], "}")) {
                if (ntok != 1) die("'}' must be alone on its line");
                if (!group_depth) die("unbalanced '}'");
                group_depth--;
            } else if (!strcmp(tok[0], "[") || !strcmp(tok[0], "]")) {
                /* decodetree's no-overlap groups: plain patterns here. */
            } else {
                if (!d) d = get_decoder(fn, width);
                parse_pattern(d, tok, ntok);
            }
        }
        acc[0] = 0;
        cur_line = save_line;
    }
    if (group_depth) die("unterminated group");
    fclose(f);
    cur_file = NULL;
}

/* -- Checking ------------------------------------------------------------------- */

static void check_overlaps(Decoder *d)
{
    for (int i = 0; i < d->npats; i++) {
        for (int j = i + 1; j < d->npats; j++) {
            Pattern *a = d->pats[i], *b = d->pats[j];
            if (a->group && a->group == b->group) continue;
            if (((a->bits ^ b->bits) & a->mask & b->mask) == 0) {
                fprintf(stderr, "%s:%d: pattern '%s' overlaps '%s' (%s:%d) outside a group\n",
                        b->file, b->line, b->name, a->name, a->file, a->line);
                exit(1);
            }
        }
    }
}

/* -- Generation ----------------------------------------------------------------- */

static void ind(int n)
{
    for (int i = 0; i < n; i++) fputs("    ", out);
}

static void emit_extract(const Field *f)
{
    fprintf(out,
            "static inline __attribute__((unused)) int decode_field_%s(DisasContext *ctx, "
            "uint32_t insn)\n{\n    int32_t v = 0;\n",
            f->name);
    for (int i = 0; i < f->nseg; i++) {
        int pos = f->seg[i].pos, len = f->seg[i].len;
        if (f->seg[i].sign)
            fprintf(out, "    v = (int32_t)(insn << %d) >> %d;\n", 32 - pos - len, 32 - len);
        else if (i == 0)
            fprintf(out, "    v = (int32_t)((insn >> %d) & 0x%xu);\n", pos,
                    len == 32 ? 0xffffffffu : (1u << len) - 1);
        else
            fprintf(out, "    v = (int32_t)(((uint32_t)v << %d) | ((insn >> %d) & 0x%xu));\n",
                    len, pos, (1u << len) - 1);
    }
    if (f->func) fprintf(out, "    return %s(ctx, v);\n}\n\n", f->func);
    else fprintf(out, "    (void)ctx;\n    return v;\n}\n\n");
}

static void emit_call(const Pattern *p, int depth, bool may_fall)
{
    for (int i = 0; i < p->nassign; i++) {
        ind(depth);
        if (p->assign[i].field)
            fprintf(out, "u.f_%s.%s = decode_field_%s(ctx, insn);\n", p->args->name,
                    p->assign[i].name, p->assign[i].field->name);
        else
            fprintf(out, "u.f_%s.%s = %ld;\n", p->args->name, p->assign[i].name,
                    p->assign[i].val);
    }
    ind(depth);
    if (may_fall)
        fprintf(out, "if (DECODE_CALL(%s, %s, ctx, &u.f_%s)) return true; /* %s:%d */\n",
                p->name, p->args->name, p->args->name, p->file, p->line);
    else
        fprintf(out, "return DECODE_CALL(%s, %s, ctx, &u.f_%s); /* %s:%d */\n", p->name,
                p->args->name, p->args->name, p->file, p->line);
}

/* Emits the decision tree for pats (file order kept) given the bits already
 * tested (decided). Switches on the fixed bits every pattern shares; falls back to
 * ordered tests when no shared bit tells them apart (overlap groups, leaves). */
static bool emit_node(Pattern **pats, int n, uint32_t decided, int depth)
{
    uint32_t common = ~decided;
    for (int i = 0; i < n; i++) common &= pats[i]->mask;
    bool split = false;
    for (int i = 1; i < n && common; i++)
        if ((pats[i]->bits ^ pats[0]->bits) & common) split = true;
    if (split) {
        ind(depth);
        fprintf(out, "switch (insn & 0x%08xu) {\n", common);
        bool *done = xcalloc((size_t)n, sizeof(bool));
        Pattern **sub = xcalloc((size_t)n, sizeof(*sub));
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            uint32_t v = pats[i]->bits & common;
            int m = 0;
            for (int j = i; j < n; j++) {
                if (!done[j] && (pats[j]->bits & common) == v) {
                    sub[m++] = pats[j];
                    done[j] = true;
                }
            }
            ind(depth);
            fprintf(out, "case 0x%08xu:\n", v);
            if (!emit_node(sub, m, decided | common, depth + 1)) {
                ind(depth + 1);
                fprintf(out, "return false;\n");
            }
        }
        ind(depth);
        fprintf(out, "}\n");
        free(done);
        free(sub);
        return false;
    }
    for (int i = 0; i < n; i++) {
        Pattern *p = pats[i];
        uint32_t m = p->mask & ~decided;
        /* In an overlap group a handler may decline (false): try the next one. */
        bool may_fall = p->group && i + 1 < n;
        if (m) {
            ind(depth);
            fprintf(out, "if ((insn & 0x%08xu) == 0x%08xu) {\n", m, p->bits & m);
            emit_call(p, depth + 1, may_fall);
            ind(depth);
            fprintf(out, "}\n");
        } else {
            emit_call(p, depth, may_fall);
            if (!may_fall) return true;
        }
    }
    return false;
}

static void usage(void)
{
    fprintf(stderr, "usage: decgen [--insnwidth=16|32] -o OUT FILE.dec...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *outpath = NULL;
    int width = 32;
    int nfiles = 0;
    const char *files[64];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) outpath = argv[++i];
        else if (!strncmp(argv[i], "--insnwidth=", 12)) width = atoi(argv[i] + 12);
        else if (argv[i][0] == '-') usage();
        else if (nfiles < 64) files[nfiles++] = argv[i];
        else usage();
    }
    if (!outpath || !nfiles || (width != 16 && width != 32)) usage();
    for (int i = 0; i < nfiles; i++) parse_file(files[i], width, true);
    group_depth = 0;
    for (int i = 0; i < nfiles; i++) parse_file(files[i], width, false);
    for (int i = 0; i < ndecoders; i++) check_overlaps(decoders[i]);

    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", outpath);
    out = fopen(tmp, "w");
    if (!out) {
        fprintf(stderr, "decgen: %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    fprintf(out, "/* Generated by decgen from");
    for (int i = 0; i < nfiles; i++) fprintf(out, " %s", files[i]);
    fprintf(out, ". Do not edit. */\n\n"
                 "/* The includer defines DisasContext and the !function helpers; it may\n"
                 " * define DECODE_CALL(name, argset, ctx, args) and DECODE_FN(name) to\n"
                 " * reuse the decoder (e.g. for a disassembler). Including it with\n * DECODE_TYPES_ONLY defined gives only the arg_* types. */\n\n");
    /* The argument types may be included alone first (DECODE_TYPES_ONLY), so an
     * includer can declare its handlers before including the decoders. */
    fprintf(out, "#ifndef DECODE_ARGS_DEFINED\n#define DECODE_ARGS_DEFINED\n\n");
    for (int i = 0; i < nargsets; i++) {
        ArgSet *a = argsets[i];
        if (!a->used) continue;
        fprintf(out, "typedef struct {\n");
        if (!a->n) fprintf(out, "    int unused_;\n");
        for (int j = 0; j < a->n; j++) fprintf(out, "    int %s;\n", a->names[j]);
        fprintf(out, "} arg_%s;\n\n", a->name);
    }
    fprintf(out, "#endif /* DECODE_ARGS_DEFINED */\n\n#ifndef DECODE_TYPES_ONLY\n\n");
    fprintf(out, "#ifndef DECODE_CALL\n");
    /* One prototype per handler; a handler used with two argument sets is an error. */
    for (int i = 0; i < ndecoders; i++) {
        for (int j = 0; j < decoders[i]->npats; j++) {
            Pattern *p = decoders[i]->pats[j];
            bool seen = false;
            for (int k = 0; k <= i && !seen; k++) {
                int lim = k == i ? j : decoders[k]->npats;
                for (int l = 0; l < lim; l++) {
                    Pattern *q = decoders[k]->pats[l];
                    if (strcmp(q->name, p->name)) continue;
                    if (q->args != p->args)
                        die("handler '%s' used with argument sets '%s' and '%s'", p->name,
                            q->args->name, p->args->name);
                    seen = true;
                    break;
                }
            }
            if (!seen)
                fprintf(out, "static bool trans_%s(DisasContext *ctx, arg_%s *a);\n", p->name,
                        p->args->name);
        }
    }
    fprintf(out, "#define DECODE_CALL(name, set, ctx, args) trans_##name(ctx, args)\n"
                 "#endif\n#ifndef DECODE_FN\n#define DECODE_FN(name) name\n#endif\n\n");
    for (int i = 0; i < nfields; i++)
        if (fields[i]->used) emit_extract(fields[i]);
    for (int i = 0; i < ndecoders; i++) {
        Decoder *d = decoders[i];
        fprintf(out, "static __attribute__((unused)) bool DECODE_FN(%s)(DisasContext *ctx, "
                     "uint%d_t insn)\n{\n    union {\n",
                d->fn, d->width);
        int nu = 0;
        for (int k = 0; k < nargsets; k++) {
            bool used = false;
            for (int j = 0; j < d->npats && !used; j++) used = d->pats[j]->args == argsets[k];
            if (used) {
                fprintf(out, "        arg_%s f_%s;\n", argsets[k]->name, argsets[k]->name);
                nu++;
            }
        }
        if (!nu) fprintf(out, "        int unused_;\n");
        fprintf(out, "    } u;\n\n");
        if (!emit_node(d->pats, d->npats, d->width == 16 ? 0xffff0000u : 0, 1))
            fprintf(out, "    return false;\n");
        fprintf(out, "}\n\n");
    }
    fprintf(out, "#endif /* DECODE_TYPES_ONLY */\n");
    if (fclose(out) || rename(tmp, outpath)) {
        fprintf(stderr, "decgen: %s: %s\n", outpath, strerror(errno));
        return 1;
    }
    return 0;
}
