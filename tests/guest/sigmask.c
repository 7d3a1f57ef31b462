/* SPDX-License-Identifier: MIT */
/* sigaction's sa_mask: a SIGUSR1 handler whose sa_mask blocks SIGUSR2 raises
 * SIGUSR2, which must stay pending until the handler returns and then run
 * before main continues; the handler's mask and the restored mask afterwards;
 * the old action read back by sigaction(); SA_NODEFER nesting. The events are
 * logged in order and printed from main (printf is not async-signal-safe). On
 * arm64 the kernel struct sigaction has sa_restorer before sa_mask, so reading
 * the riscv64 layout there takes the restorer address as the mask. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *events[64];
static volatile sig_atomic_t nevents;
static volatile sig_atomic_t depth;

static void ev(const char *what)
{
    if (nevents < 64) events[nevents++] = what;
}

static int blocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

static int pending(int sig)
{
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, sig);
}

static void on_usr2(int sig)
{
    (void)sig;
    ev(depth ? "usr2 handler (inside usr1: WRONG)" : "usr2 handler");
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    depth = 1;
    ev(sig == SIGUSR1 && si->si_signo == SIGUSR1 ? "usr1 enter" : "usr1 enter (bad siginfo)");
    ev(blocked(SIGUSR1) ? "usr1 blocked in handler" : "usr1 NOT blocked in handler");
    ev(blocked(SIGUSR2) ? "usr2 blocked in handler (sa_mask)" : "usr2 NOT blocked in handler");
    ev(blocked(SIGTERM) ? "term blocked in handler" : "term not blocked in handler");
    raise(SIGUSR2);
    ev(pending(SIGUSR2) ? "usr2 pending after raise" : "usr2 NOT pending after raise");
    depth = 0;
    ev("usr1 leave");
}

static int nodefer_depth, nodefer_max;

static void on_nodefer(int sig)
{
    (void)sig;
    nodefer_depth++;
    if (nodefer_depth > nodefer_max) nodefer_max = nodefer_depth;
    ev(blocked(SIGUSR1) ? "nodefer: usr1 blocked" : "nodefer: usr1 not blocked");
    if (nodefer_depth < 3) raise(SIGUSR1); /* SA_NODEFER: runs nested at once */
    nodefer_depth--;
}

static void flush_events(void)
{
    for (int i = 0; i < nevents; i++) printf("  %d: %s\n", i, events[i]);
    nevents = 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGUSR2, on_usr2);

    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    if (sigaction(SIGUSR1, &sa, NULL) != 0) {
        printf("FAIL sigaction\n");
        return 1;
    }

    /* The action reads back with the same mask and handler. */
    memset(&old, 0x5a, sizeof old);
    sigaction(SIGUSR1, NULL, &old);
    printf("readback: handler ok=%d siginfo=%d mask usr2=%d usr1=%d term=%d\n",
           old.sa_sigaction == on_usr1, !!(old.sa_flags & SA_SIGINFO),
           sigismember(&old.sa_mask, SIGUSR2), sigismember(&old.sa_mask, SIGUSR1),
           sigismember(&old.sa_mask, SIGTERM));

    ev("main: raise usr1");
    raise(SIGUSR1);
    ev("main: after raise");
    printf("sa_mask {USR2}:\n");
    flush_events();
    printf("after: usr1 blocked=%d usr2 blocked=%d usr2 pending=%d\n", blocked(SIGUSR1),
           blocked(SIGUSR2), pending(SIGUSR2));

    /* Already blocked by main: the handler's frame restores main's mask, so
     * SIGUSR2 stays pending after the handler too, until main unblocks it. */
    sigset_t s2, prev;
    sigemptyset(&s2);
    sigaddset(&s2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s2, &prev);
    ev("main: raise usr1 (usr2 blocked)");
    raise(SIGUSR1);
    ev(pending(SIGUSR2) ? "main: usr2 still pending" : "main: usr2 NOT pending");
    sigprocmask(SIG_SETMASK, &prev, NULL);
    ev("main: unblocked usr2");
    printf("sa_mask {USR2}, usr2 blocked in main:\n");
    flush_events();

    /* sa_mask {USR2, TERM}: the whole mask applies, not just one word of it. */
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGUSR1, &sa, &old);
    printf("old mask usr2=%d term=%d\n", sigismember(&old.sa_mask, SIGUSR2),
           sigismember(&old.sa_mask, SIGTERM));
    raise(SIGUSR1);
    printf("sa_mask {USR2, TERM}:\n");
    flush_events();

    /* SA_NODEFER with an empty mask: the handler nests into itself. */
    struct sigaction nd;
    memset(&nd, 0, sizeof nd);
    nd.sa_handler = on_nodefer;
    nd.sa_flags = SA_NODEFER;
    sigemptyset(&nd.sa_mask);
    sigaction(SIGUSR1, &nd, NULL);
    raise(SIGUSR1);
    printf("SA_NODEFER: max depth %d\n", nodefer_max);
    flush_events();
    printf("end: usr1 blocked=%d usr2 blocked=%d\n", blocked(SIGUSR1), blocked(SIGUSR2));
    return 0;
}
