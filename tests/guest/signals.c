/* SPDX-License-Identifier: MIT */
/* Signal delivery in user mode: a sigaction handler run by raise(), with
 * siginfo; SIGSEGV from a NULL write recovered with siglongjmp (twice, to
 * check the handler is re-armed and the mask restored); sigprocmask blocking
 * and pending; nested handlers; SA_RESETHAND; alarm() waking pause(). */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_count, usr1_code_ok, usr2_in_usr1, depth;
static sigjmp_buf jb;
static volatile void *fault_addr;
static volatile sig_atomic_t alarm_hit;

static void on_usr2(int sig)
{
    (void)sig;
    if (depth) usr2_in_usr1 = 1;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    usr1_count++;
    usr1_code_ok = (sig == SIGUSR1 && si->si_signo == SIGUSR1 && si->si_code == SI_TKILL);
    if (usr1_count == 2) {
        depth = 1;
        raise(SIGUSR2); /* not masked: runs nested */
        depth = 0;
    }
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_addr = si->si_addr;
    siglongjmp(jb, si->si_code == SEGV_MAPERR ? 1 : 2);
}

static void on_alarm(int sig)
{
    (void)sig;
    alarm_hit = 1;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0) { printf("sigaction failed\n"); return 1; }
    signal(SIGUSR2, on_usr2);

    raise(SIGUSR1);
    printf("usr1 count=%d siginfo ok=%d\n", (int)usr1_count, (int)usr1_code_ok);
    raise(SIGUSR1);
    printf("usr1 count=%d nested usr2 ran=%d\n", (int)usr1_count, (int)usr2_in_usr1);

    /* Blocked signals stay pending until unblocked. */
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);
    sigpending(&pend);
    printf("blocked: count=%d pending=%d\n", (int)usr1_count, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: count=%d\n", (int)usr1_count);
    sigprocmask(SIG_BLOCK, NULL, &old);
    printf("mask has usr1=%d\n", sigismember(&old, SIGUSR1));

    /* SIGSEGV recovery, twice. */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    for (int i = 0; i < 2; i++) {
        int r = sigsetjmp(jb, 1);
        if (r == 0) {
            volatile int *p = (volatile int *)(uintptr_t)(i * 8);
            *p = 1;
            printf("no fault?\n");
        } else {
            printf("segv %d recovered code=%s addr=%p\n", i, r == 1 ? "MAPERR" : "other",
                   (void *)fault_addr);
        }
    }
    sigprocmask(SIG_BLOCK, NULL, &old);
    printf("mask has segv after longjmp=%d\n", sigismember(&old, SIGSEGV));

    /* Write to a read-only page: SEGV_ACCERR. */
    static const char ro[] = "read only";
    int r = sigsetjmp(jb, 1);
    if (r == 0) {
        *(volatile char *)ro = 'X';
        printf("no fault on rodata?\n");
    } else {
        printf("rodata write faulted code=%s\n", r == 2 ? "ACCERR" : "MAPERR");
    }

    /* SA_RESETHAND: second raise gets the default action, which for SIGWINCH is ignore. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGWINCH, &sa, NULL);
    raise(SIGWINCH);
    struct sigaction cur;
    sigaction(SIGWINCH, NULL, &cur);
    printf("resethand default now=%d\n", cur.sa_handler == SIG_DFL);

    /* Ignored signal. */
    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    printf("ignored usr2 survived\n");

    /* alarm + pause. */
    signal(SIGALRM, on_alarm);
    alarm(1);
    while (!alarm_hit) pause();
    printf("alarm hit=%d\n", (int)alarm_hit);
    return 0;
}
