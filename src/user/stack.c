/* SPDX-License-Identifier: MIT */
/* The initial process stack (argc, argv, envp, auxv and the strings they point
 * to) as Linux's create_elf_tables() lays it out, and the guest environment. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "user/user_int.h"

extern char **environ;

/* Copies a string below *top; returns its guest address. */
static uint64_t push_str(LxSpace *s, uint64_t *top, const char *str)
{
    size_t n = strlen(str) + 1;
    *top -= n;
    memcpy(s->base + *top, str, n);
    return *top;
}

int64_t lx_build_stack(LxSpace *s, uint64_t stack_top, const LxStackInfo *si)
{
    /* Refuse what would not fit in a quarter of the stack (Linux: ARG_MAX is
     * a quarter of RLIMIT_STACK), so the checks below can be plain. */
    uint64_t strsz = strlen(si->execfn) + 1 + (si->platform ? strlen(si->platform) + 1 : 0);
    for (int i = 0; i < si->argc; i++) strsz += strlen(si->argv[i]) + 1;
    for (int i = 0; i < si->envc; i++) strsz += strlen(si->envp[i]) + 1;
    uint64_t ptrs = (uint64_t)(si->argc + si->envc + 3) * 8 + 64 * 8;
    if (strsz + ptrs + 256 > LX_STACK_SIZE / 4) return -E2BIG;
    if (!lx_access_ok(s, stack_top - (strsz + ptrs + 256), strsz + ptrs + 256, LX_PG_READ | LX_PG_WRITE))
        return -EFAULT;

    uint64_t top = stack_top - 8; /* Linux leaves an end marker word at the top */
    memset(s->base + top, 0, 8);
    uint64_t execfn = push_str(s, &top, si->execfn);
    uint64_t *argp = malloc(sizeof(uint64_t) * (size_t)(si->argc + si->envc + 2));
    if (!argp) return -ENOMEM;
    for (int i = 0; i < si->argc; i++) argp[i] = 0;
    /* Strings in memory order argv[0].. then envp[0].., like the kernel's copy. */
    uint64_t total = 0;
    for (int i = 0; i < si->argc; i++) total += strlen(si->argv[i]) + 1;
    for (int i = 0; i < si->envc; i++) total += strlen(si->envp[i]) + 1;
    uint64_t sp_str = top - total, cur = sp_str;
    for (int i = 0; i < si->argc; i++) {
        size_t n = strlen(si->argv[i]) + 1;
        memcpy(s->base + cur, si->argv[i], n);
        argp[i] = cur;
        cur += n;
    }
    for (int i = 0; i < si->envc; i++) {
        size_t n = strlen(si->envp[i]) + 1;
        memcpy(s->base + cur, si->envp[i], n);
        argp[si->argc + i] = cur;
        cur += n;
    }
    top = sp_str;
    uint64_t platform = si->platform ? push_str(s, &top, si->platform) : 0;
    top &= ~15ull;
    top -= 16;
    uint64_t random = top;
    memcpy(s->base + random, si->random16, 16);

    uint64_t auxv[64];
    unsigned na = 0;
#define AUX(t, v) (auxv[na++] = (t), auxv[na++] = (uint64_t)(v))
    AUX(AT_HWCAP, si->hwcap);
    if (si->hwcap2) AUX(AT_HWCAP2, si->hwcap2);
    AUX(AT_PAGESZ, LX_PAGE_SIZE);
    AUX(AT_CLKTCK, sysconf(_SC_CLK_TCK));
    AUX(AT_PHDR, si->exe->phdr);
    AUX(AT_PHENT, si->exe->phent);
    AUX(AT_PHNUM, si->exe->phnum);
    AUX(AT_BASE, si->interp_base);
    AUX(AT_FLAGS, 0);
    AUX(AT_ENTRY, si->exe->entry);
    AUX(AT_UID, getuid());
    AUX(AT_EUID, geteuid());
    AUX(AT_GID, getgid());
    AUX(AT_EGID, getegid());
    AUX(AT_SECURE, 0);
    AUX(AT_RANDOM, random);
    AUX(AT_EXECFN, execfn);
    if (platform) AUX(AT_PLATFORM, platform);
    AUX(AT_NULL, 0);
#undef AUX

    /* argc, argv[], NULL, envp[], NULL, auxv: sp 16-byte aligned at argc
     * (RISC-V psABI: the stack pointer is 16-byte aligned at process entry). */
    uint64_t nwords = 1 + (uint64_t)si->argc + 1 + (uint64_t)si->envc + 1 + na;
    uint64_t sp = (top - nwords * 8) & ~15ull;
    uint64_t *w = (uint64_t *)(s->base + sp);
    *w++ = (uint64_t)si->argc;
    for (int i = 0; i < si->argc; i++) *w++ = argp[i];
    *w++ = 0;
    for (int i = 0; i < si->envc; i++) *w++ = argp[si->argc + i];
    *w++ = 0;
    memcpy(w, auxv, na * 8);
    free(argp);
    return (int64_t)sp;
}

static bool env_match(const char *entry, const char *name, size_t n)
{
    return !strncmp(entry, name, n) && entry[n] == '=';
}

char **lx_make_env(const VmOptions *o, int *count)
{
    int n = 0;
    while (environ && environ[n]) n++;
    char **env = calloc((size_t)(n + o->nenv_set + 1), sizeof(char *));
    if (!env) return NULL;
    int c = 0;
    for (int i = 0; i < n; i++) {
        bool drop = false;
        for (int j = 0; j < o->nenv_unset && !drop; j++)
            drop = env_match(environ[i], o->env_unset[j], strlen(o->env_unset[j]));
        if (!drop) env[c++] = environ[i];
    }
    for (int j = 0; j < o->nenv_set; j++) {
        const char *eq = strchr(o->env_set[j], '=');
        size_t len = eq ? (size_t)(eq - o->env_set[j]) : strlen(o->env_set[j]);
        int k;
        for (k = 0; k < c; k++)
            if (env_match(env[k], o->env_set[j], len)) break;
        env[k] = (char *)o->env_set[j];
        if (k == c) c++;
    }
    env[c] = NULL;
    *count = c;
    return env;
}
