/* SPDX-License-Identifier: MIT */
/* Prints argv and the VM_TEST_* environment variables (sorted), then exits
 * with status argc + 40 so the exit status is checked too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=\"%s\" len=%zu\n", i, argv[i], strlen(argv[i]));
    if (argv[argc] != NULL) printf("argv not NULL-terminated\n");

    const char *sel[64];
    int n = 0;
    for (char **e = environ; *e && n < 64; e++)
        if (strncmp(*e, "VM_TEST_", 8) == 0) sel[n++] = *e;
    qsort(sel, n, sizeof sel[0], cmp);
    for (int i = 0; i < n; i++) printf("env %s\n", sel[i]);
    const char *v = getenv("VM_TEST_A");
    printf("getenv(VM_TEST_A)=%s\n", v ? v : "(null)");
    printf("getenv(VM_TEST_UNSET)=%s\n", getenv("VM_TEST_UNSET") ? "set" : "(null)");
    return argc + 40;
}
