/* SPDX-License-Identifier: MIT */
/* Processes: fork + exit status, a child killed by a signal, a pipe between
 * parent and child, and execve of this same program (argv[0]) with an
 * argument, whose exit status the parent checks. Run with a path in argv[0]
 * that execve can open (e.g. build/guest/riscv64/forkexec). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int st)
{
    if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by signal %d\n", what, WTERMSIG(st));
    else printf("%s: status %#x\n", what, st);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "child") == 0) {
        printf("exec'd child: argc=%d arg=%s env=%s\n", argc, argv[2],
               getenv("VM_TEST_CHILD") ? getenv("VM_TEST_CHILD") : "(null)");
        return atoi(argv[2]);
    }

    int st;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { printf("fork failed: %s\n", strerror(errno)); return 1; }
    if (pid == 0) _exit(3);
    if (waitpid(pid, &st, 0) != pid) { printf("waitpid failed\n"); return 1; }
    report("fork+_exit(3)", st);

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        printf("child printing before exit(0)\n");
        exit(0);
    }
    waitpid(pid, &st, 0);
    report("fork+exit(0)", st);

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        raise(SIGTERM);
        _exit(99);
    }
    waitpid(pid, &st, 0);
    report("fork+raise(SIGTERM)", st);

    int p[2];
    if (pipe(p) != 0) return 1;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        char msg[64];
        int n = snprintf(msg, sizeof msg, "hello from child, getppid ok=%d", getppid() > 1);
        if (write(p[1], msg, n) != n) _exit(1);
        _exit(0);
    }
    close(p[1]);
    char buf[128] = { 0 };
    ssize_t n, tot = 0;
    while ((n = read(p[0], buf + tot, sizeof buf - 1 - tot)) > 0) tot += n;
    close(p[0]);
    waitpid(pid, &st, 0);
    printf("pipe got [%s]\n", buf);
    report("pipe child", st);

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *cargv[] = { argv[0], "child", "7", NULL };
        char *cenv[] = { "VM_TEST_CHILD=from-parent", NULL };
        execve(argv[0], cargv, cenv);
        printf("execve failed: %s\n", strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    report("exec self child 7", st);

    pid = wait(&st);
    printf("wait no children=%d errno=%s\n", (int)pid, errno == ECHILD ? "ECHILD" : "?");
    return 0;
}
