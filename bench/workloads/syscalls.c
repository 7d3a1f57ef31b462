/* SPDX-License-Identifier: MIT */
/* A syscall-heavy loop: pipe write/read round trips, a raw getppid and
 * clock_gettime. On the guest each is an ecall, so this measures the
 * emulator's syscall path (natively clock_gettime is a vDSO call). */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 10000, 190000, 1900000);
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        return 1;
    }
    char out[64], in[64];
    uint64_t h = 0;
    long ppid = syscall(SYS_getppid);
    for (long i = 0; i < n; i++) {
        memset(out, (int)('a' + i % 26), sizeof(out));
        if (write(fds[1], out, sizeof(out)) != (ssize_t)sizeof(out) ||
            read(fds[0], in, sizeof(in)) != (ssize_t)sizeof(in)) {
            perror("pipe io");
            return 1;
        }
        h = h * 31 + (uint8_t)in[i & 63];
        /* A raw syscall libc cannot cache or answer from the vDSO. */
        h += syscall(SYS_getppid) == ppid;
        struct timespec ts;
        h += clock_gettime(CLOCK_MONOTONIC, &ts) == 0;
    }
    printf("syscalls n=%ld checksum=%016llx\n", n, (unsigned long long)h);
    return 0;
}
