/* SPDX-License-Identifier: MIT */
/* Target for tests/integration/gdb.sh in user mode (built there with -g -O1,
 * not run by guest.sh): guest signals under gdb. It sends itself SIGUSR1
 * (gdb stops; "signal 0" discards it, "continue" passes it to the handler),
 * then stores through a bad pointer in poke() (gdb stops with SIGSEGV at the
 * store, points the argument register at target and continues with
 * "signal 0": the store is done again and succeeds). It prints what it saw
 * and exits with 3; with an argument it then faults again and dies of
 * SIGSEGV. Alone (no gdb) it dies at the first bad store. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_seen;
long target;
volatile uintptr_t bad = 16; /* an address nothing maps */

static void on_usr1(int sig)
{
    (void)sig;
    usr1_seen++;
}

__attribute__((noipa)) void poke(long *p)
{
    *p = 42;
}

int main(int argc, char **argv)
{
    (void)argv;
    signal(SIGUSR1, on_usr1);
    kill(getpid(), SIGUSR1);
    poke((long *)bad);
    printf("usr1=%d target=%ld\n", (int)usr1_seen, target);
    fflush(stdout);
    if (argc > 1) poke((long *)bad);
    return 3;
}
