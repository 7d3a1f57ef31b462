/* SPDX-License-Identifier: MIT */
/* Fuzzes snapshot loading (src/service/snapshot.c) against a real riscv64
 * virt machine (1 vCPU, 16 MiB, not running). Every section is checksummed,
 * so random bytes rarely get past the first check; the first input byte
 * chooses how the rest is used:
 *   bit 0  recompute every checksum the structure allows before loading
 *   bit 1  the rest is a list of edits (3-byte offset, 1-byte value) to a
 *          snapshot of the machine taken at start-up; else it is the file
 * A load that succeeds is followed by a save and a second load. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz.h"
#include "service/sys_int.h"
#include "vm/machine.h"
#include "vm/options.h"

static Machine *machine;
static uint8_t *base;
static size_t base_len;
static char tmp[64];

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* docs/snapshot-format.md: a 32-byte header (CRC of its first 28 bytes at
 * 28), then sections: kind[4] name_len u32, name, len u64, payload, CRC u32
 * of everything before it in the section. */
static void fix_crcs(uint8_t *f, size_t size)
{
    if (size < 32) return;
    wr32(f + 28, (uint32_t)crc32(0, f, 28));
    size_t off = 32;
    while (size - off >= 20) {
        uint8_t *p = f + off;
        uint32_t nl = rd32(p + 4);
        if (nl > 255 || size - off - 20 < nl) return;
        uint64_t len = rd64(p + 8 + nl);
        if (len > size - off - 20 - nl) return;
        size_t total = 16 + nl + (size_t)len;
        wr32(p + total, (uint32_t)crc32(0, p, (uInt)total));
        off += total + 4;
    }
}

static void rm_tmp(void) { unlink(tmp); }

static void load(const uint8_t *f, size_t size)
{
    const char *path = fuzz_file(f, size);
    char err[512];
    if (!path) return;
    if (snap_file_load(machine, path, err, sizeof(err))) {
        if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "fuzz_snapshot: %s\n", err);
        return;
    }
    if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "fuzz_snapshot: loaded\n");
    /* Whatever was accepted must save and load again. */
    if (snap_file_save(machine, tmp, err, sizeof(err)) || snap_file_load(machine, tmp, err, sizeof(err)))
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char kernel[] = "/tmp/vm-fuzz-snap.XXXXXX";
    int fd = mkstemp(kernel);
    const uint8_t code[4] = {0x6f, 0, 0, 0}; /* jal x0, 0 */
    if (fd < 0 || write(fd, code, sizeof(code)) != sizeof(code)) abort();
    close(fd);
    char *av[] = {"vm", "-M", "virt", "-bios", "none", "-arch", "riscv64", "-kernel", kernel,
                  "-m", "16M", "-serial", "none", NULL};
    static VmOptions o;
    MachineHost host = {0};
    if (options_parse(&o, 13, av) || machine_create(&o, &interp_engine, &host, &machine)) abort();
    unlink(kernel);
    snprintf(tmp, sizeof(tmp), "/tmp/vm-fuzz-snap.%d", (int)getpid());
    atexit(rm_tmp);
    char err[512];
    if (snap_file_save(machine, tmp, err, sizeof(err))) {
        fprintf(stderr, "fuzz_snapshot: %s\n", err);
        abort();
    }
    FILE *f = fopen(tmp, "rb");
    if (!f) abort();
    fseek(f, 0, SEEK_END);
    base_len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    base = malloc(base_len);
    if (!base || fread(base, 1, base_len, f) != base_len) abort();
    fclose(f);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!machine) LLVMFuzzerInitialize(NULL, NULL);
    if (!size) return 0;
    uint8_t mode = data[0];
    data++, size--;
    uint8_t *f;
    size_t n;
    if (mode & 2) {
        n = base_len;
        f = malloc(n);
        if (!f) return 0;
        memcpy(f, base, n);
        for (size_t i = 0; i + 4 <= size; i += 4) {
            size_t off = (data[i] | data[i + 1] << 8 | (size_t)data[i + 2] << 16) % n;
            f[off] = data[i + 3];
        }
    } else {
        n = size;
        f = malloc(n ? n : 1);
        if (!f) return 0;
        memcpy(f, data, n);
    }
    if (mode & 1) fix_crcs(f, n);
    load(f, n);
    free(f);
    return 0;
}
