/* SPDX-License-Identifier: MIT */
/* Fuzzes the kernel / ELF loaders: system mode's image probe, layout and load
 * into a 4 MiB RAM (src/machine/loader.c), and user mode's ELF probe and load
 * into a guest address space (src/user/elfload.c, the 16 GiB layout valgrind
 * gets, so a check against the 1 TiB size instead of the space's own shows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "machine/machine_int.h"
#include "user/user_int.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (4ull << 20)

static uint8_t *ram;

static void system_mode(const char *path)
{
    char err[512];
    LoaderFile f;
    if (loader_read(path, &f, err, sizeof(err))) return;
    const char *arch;
    LoaderKind kind = loader_probe(&f, &arch);
    LoaderImage img;
    uint64_t text_offset = 0x200000, isz;
    if (kind == LOADER_RV_IMAGE) loader_rv_image_header(&f, &text_offset, &isz);
    uint64_t load = RAM_BASE + (text_offset & 0x3ff000);
    if (!loader_layout(&f, kind, load, &img, err, sizeof(err))) {
        /* Whatever the layout says, the loader itself refuses what does not fit. */
        LoaderRam r = {RAM_BASE, RAM_SIZE, ram};
        loader_load(&f, &img, &r, load, err, sizeof(err));
    }
    loader_release(&f);
}

static LxSpace space;

/* Loads path and unmaps it again: the space is set up once (it is 16 GiB). */
static void user_load(const char *path, bool is_interp)
{
    char err[512];
    LxImage img;
    if (lx_elf_load(&space, path, is_interp, 0, &img, err, sizeof(err))) return;
    if (img.hi < img.lo || img.lo & ~LX_PAGE_MASK || LX_PAGE_ALIGN(img.hi) > space.limit) abort();
    if (lx_munmap(&space, img.lo, LX_PAGE_ALIGN(img.hi) - img.lo)) abort();
    if (!lx_range_free(&space, img.lo, LX_PAGE_ALIGN(img.hi) - img.lo)) abort();
}

static void user_mode(const char *path)
{
    char err[512];
    LxImage img;
    if (!space.base && lx_space_init(&space, LX_SPACE_SIZE_SMALL)) abort();
    lx_elf_probe(path, &img, err, sizeof(err));
    user_load(path, false);
    user_load(path, true); /* as a dynamic loader too */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ram && !(ram = calloc(1, RAM_SIZE))) abort();
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    system_mode(path);
    user_mode(path);
    return 0;
}
