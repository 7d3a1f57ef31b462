/* SPDX-License-Identifier: MIT */
/* Helpers every fuzz harness links (see fuzz.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd >= 0) close(fd);
    /* A fresh file each time: a loader may have kept or mapped the old one. */
    fd = memfd_create("vm-fuzz", MFD_CLOEXEC);
    if (fd < 0) return NULL;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) return NULL;
        done += (size_t)n;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    return path;
}
