/* SPDX-License-Identifier: MIT */
/* Kernel and firmware loaders for system mode: Linux Image headers (RISC-V,
 * ARM64), ELF executables by physical address, raw binaries, and blobs (initrd,
 * device tree). Every offset and size from a file is checked before use. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine/machine_int.h"

/* Nothing vm boots is larger; bigger files are certainly not a kernel. */
#define LOADER_MAX_FILE (1ull << 31)

int loader_read(const char *path, LoaderFile *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    f->path = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size > LOADER_MAX_FILE) {
        snprintf(err, errlen, "%s: file too large (%lld bytes)", path, (long long)st.st_size);
        close(fd);
        return -1;
    }
    if (st.st_size == 0) {
        snprintf(err, errlen, "%s: empty file", path);
        close(fd);
        return -1;
    }
    f->size = (size_t)st.st_size;
    f->data = malloc(f->size);
    if (!f->data) {
        snprintf(err, errlen, "%s: out of memory", path);
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < f->size) {
        ssize_t n = read(fd, f->data + got, f->size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s: read error: %s", path, n < 0 ? strerror(errno) : "short file");
            close(fd);
            loader_release(f);
            return -1;
        }
        got += (size_t)n;
    }
    close(fd);
    return 0;
}

void loader_release(LoaderFile *f)
{
    free(f->data);
    f->data = NULL;
    f->size = 0;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

const char *loader_size_str(uint64_t bytes, char *buf, size_t len)
{
    if (bytes >= (1ull << 30) && !(bytes & ((1ull << 30) - 1)))
        snprintf(buf, len, "%llu GiB", (unsigned long long)(bytes >> 30));
    else if (bytes >= (1ull << 20) && !(bytes & ((1ull << 20) - 1)))
        snprintf(buf, len, "%llu MiB", (unsigned long long)(bytes >> 20));
    else if (bytes >= (1ull << 20))
        snprintf(buf, len, "%.1f MiB", (double)bytes / (1 << 20));
    else
        snprintf(buf, len, "%.1f KiB", (double)bytes / 1024);
    return buf;
}

/* -- Linux Image headers --------------------------------------------------------------- */

/* Documentation/arch/riscv/boot-image-header.rst: code0 code1 text_offset(u64 @8)
 * image_size(u64 @16) flags(@24) version(@32) res1 res2 magic "RISCV\0\0\0"(@48,
 * deprecated) magic2 "RSC\x05"(@56) res3. */
bool loader_rv_image_header(const LoaderFile *f, uint64_t *text_offset, uint64_t *image_size)
{
    if (f->size < 64) return false;
    const uint8_t *h = f->data;
    if (memcmp(h + 56, "RSC\x05", 4) && memcmp(h + 48, "RISCV\0\0\0", 8)) return false;
    if (text_offset) *text_offset = rd64(h + 8);
    if (image_size) *image_size = rd64(h + 16);
    return true;
}

/* Documentation/arch/arm64/booting.rst: text_offset @8, image_size @16, magic
 * "ARM\x64" @56. */
static bool loader_a64_image(const LoaderFile *f)
{
    return f->size >= 64 && !memcmp(f->data + 56, "ARM\x64", 4);
}

/* Documentation/arch/x86/boot.rst: "HdrS" at 0x202, boot flag 0xaa55 at 0x1fe. */
static bool loader_bzimage(const LoaderFile *f)
{
    return f->size >= 0x206 && rd16(f->data + 0x1fe) == 0xaa55 && !memcmp(f->data + 0x202, "HdrS", 4);
}

/* Images built with the EFI stub start with a PE/COFF header (Documentation/
 * arch/riscv/boot-image-header.rst: "MZ" in code0): its section table says
 * how much of the file there must be, which catches a truncated download. */
static bool loader_pe_truncated(const LoaderFile *f)
{
    if (f->size < 0x40 || f->data[0] != 'M' || f->data[1] != 'Z') return false;
    uint32_t pe = rd32(f->data + 0x3c);
    if (pe > f->size || f->size - pe < 24 || memcmp(f->data + pe, "PE\0\0", 4)) return false;
    uint16_t nsec = rd16(f->data + pe + 6), optsz = rd16(f->data + pe + 20);
    uint64_t tab = (uint64_t)pe + 24 + optsz;
    if (tab + 40ull * nsec > f->size) return true;
    for (unsigned i = 0; i < nsec; i++) {
        const uint8_t *s = f->data + tab + 40ull * i;
        uint64_t end = (uint64_t)rd32(s + 20) + rd32(s + 16); /* PointerToRawData + SizeOfRawData */
        if (end > f->size) return true;
    }
    return false;
}

/* -- ELF ----------------------------------------------------------------------------------- */

enum { EM_X86_64_ = 62, EM_AARCH64_ = 183, EM_RISCV_ = 243, EM_PPC64_ = 21 };

static bool loader_is_elf(const LoaderFile *f)
{
    return f->size >= 52 && !memcmp(f->data, "\177ELF", 4);
}

static const char *loader_elf_arch(uint16_t m)
{
    switch (m) {
    case EM_RISCV_: return "riscv64";
    case EM_AARCH64_: return "aarch64";
    case EM_X86_64_: return "x86_64";
    case EM_PPC64_: return "ppc64";
    default: return NULL;
    }
}

LoaderKind loader_probe(const LoaderFile *f, const char **arch)
{
    *arch = NULL;
    if (loader_is_elf(f)) {
        *arch = loader_elf_arch(rd16(f->data + 18));
        return LOADER_ELF;
    }
    if (loader_rv_image_header(f, NULL, NULL)) {
        *arch = "riscv64";
        return LOADER_RV_IMAGE;
    }
    if (loader_a64_image(f)) {
        *arch = "aarch64";
        return LOADER_A64_IMAGE;
    }
    if (loader_bzimage(f)) {
        *arch = "x86_64";
        return LOADER_BZIMAGE;
    }
    return LOADER_RAW;
}

/* One PT_LOAD, decoded and validated against the file. */
typedef struct ElfSeg {
    uint64_t paddr, vaddr, filesz, memsz, offset;
} ElfSeg;

/* Calls fn for each PT_LOAD with memsz > 0. 0 or -1 with err. */
static int loader_elf_segs(const LoaderFile *f, int (*fn)(void *ctx, const ElfSeg *s), void *ctx,
                           uint64_t *entry, char *err, size_t errlen)
{
    const uint8_t *h = f->data;
    bool is64 = h[4] == 2;
    if ((h[4] != 1 && h[4] != 2) || h[5] != 1) {
        snprintf(err, errlen, "%s: unsupported ELF (class %u, data %u; need little endian)", f->path, h[4], h[5]);
        return -1;
    }
    if (f->size < (is64 ? 64u : 52u)) goto trunc;
    uint16_t type = rd16(h + 16);
    if (type != 2 /* ET_EXEC */ && type != 3 /* ET_DYN */) {
        snprintf(err, errlen, "%s: ELF type %u is not an executable", f->path, type);
        return -1;
    }
    uint64_t phoff = is64 ? rd64(h + 32) : rd32(h + 28);
    uint16_t phentsize = rd16(h + (is64 ? 54 : 42));
    uint16_t phnum = rd16(h + (is64 ? 56 : 44));
    *entry = is64 ? rd64(h + 24) : rd32(h + 24);
    if (phentsize < (is64 ? 56 : 32) || phnum == 0) {
        snprintf(err, errlen, "%s: ELF has no program headers", f->path);
        return -1;
    }
    if (phoff > f->size || (uint64_t)phentsize * phnum > f->size - phoff) goto trunc;
    int nload = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *p = h + phoff + (uint64_t)i * phentsize;
        if (rd32(p) != 1 /* PT_LOAD */) continue;
        ElfSeg s;
        if (is64) {
            s.offset = rd64(p + 8); s.vaddr = rd64(p + 16); s.paddr = rd64(p + 24);
            s.filesz = rd64(p + 32); s.memsz = rd64(p + 40);
        } else {
            s.offset = rd32(p + 4); s.vaddr = rd32(p + 8); s.paddr = rd32(p + 12);
            s.filesz = rd32(p + 16); s.memsz = rd32(p + 20);
        }
        if (s.filesz > s.memsz || s.offset > f->size || s.filesz > f->size - s.offset) goto trunc;
        if (s.paddr + s.memsz < s.paddr) {
            snprintf(err, errlen, "%s: ELF segment wraps around the address space", f->path);
            return -1;
        }
        if (!s.memsz) continue;
        nload++;
        if (fn(ctx, &s)) return -1;
    }
    if (!nload) {
        snprintf(err, errlen, "%s: ELF has no loadable segment", f->path);
        return -1;
    }
    return 0;
trunc:
    snprintf(err, errlen, "%s: truncated or corrupt ELF", f->path);
    return -1;
}

typedef struct ElfLayoutCtx {
    LoaderImage *img;
    uint64_t entry_va;
    bool entry_found;
} ElfLayoutCtx;

static int elf_layout_seg(void *ctx, const ElfSeg *s)
{
    ElfLayoutCtx *c = ctx;
    if (s->paddr < c->img->lo) c->img->lo = s->paddr;
    if (s->paddr + s->memsz > c->img->hi) c->img->hi = s->paddr + s->memsz;
    if (s->paddr < c->img->file_lo) c->img->file_lo = s->paddr;
    if (s->paddr + s->filesz > c->img->file_hi) c->img->file_hi = s->paddr + s->filesz;
    /* The entry is a virtual address: find it in a segment to get its physical one. */
    if (!c->entry_found && c->entry_va >= s->vaddr && c->entry_va - s->vaddr < s->memsz) {
        c->img->entry = s->paddr + (c->entry_va - s->vaddr);
        c->entry_found = true;
    }
    return 0;
}

int loader_layout(const LoaderFile *f, LoaderKind kind, uint64_t load_addr, LoaderImage *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    switch (kind) {
    case LOADER_ELF: {
        out->lo = out->file_lo = UINT64_MAX;
        ElfLayoutCtx c = {.img = out};
        if (loader_elf_segs(f, elf_layout_seg, &c, &c.entry_va, err, errlen)) return -1;
        if (!c.entry_found) out->entry = c.entry_va; /* identity-mapped bare metal */
        if (out->file_hi < out->file_lo) out->file_lo = out->file_hi = out->lo;
        return 0;
    }
    case LOADER_RV_IMAGE:
    case LOADER_A64_IMAGE: {
        if (loader_pe_truncated(f)) {
            snprintf(err, errlen, "%s: truncated kernel Image (its EFI header describes more data than the file has)",
                     f->path);
            return -1;
        }
        /* image_size covers the text, data and bss the kernel uses in place
         * (0 in old headers: the file size is then the best we know). */
        uint64_t isz = rd64(f->data + 16);
        if (isz < f->size) isz = f->size;
        out->lo = out->file_lo = load_addr;
        out->file_hi = load_addr + f->size;
        out->hi = load_addr + isz;
        out->entry = load_addr;
        if (out->hi < out->lo) {
            snprintf(err, errlen, "%s: corrupt Image header (image_size 0x%llx)", f->path,
                     (unsigned long long)isz);
            return -1;
        }
        return 0;
    }
    case LOADER_RAW:
        out->lo = out->file_lo = load_addr;
        out->hi = out->file_hi = load_addr + f->size;
        out->entry = load_addr;
        return 0;
    case LOADER_BZIMAGE:
        break;
    }
    snprintf(err, errlen, "%s: bzImage kernels are for x86 machines", f->path);
    return -1;
}

typedef struct ElfLoadCtx {
    const LoaderFile *f;
    LoaderRam *ram;
    char *err;
    size_t errlen;
} ElfLoadCtx;

static int elf_load_seg(void *ctx, const ElfSeg *s)
{
    ElfLoadCtx *c = ctx;
    LoaderRam *r = c->ram;
    if (s->paddr < r->base || s->memsz > r->size || s->paddr - r->base > r->size - s->memsz) {
        snprintf(c->err, c->errlen, "%s: segment at 0x%llx-0x%llx is outside RAM (0x%llx-0x%llx)",
                 c->f->path, (unsigned long long)s->paddr, (unsigned long long)(s->paddr + s->memsz),
                 (unsigned long long)r->base, (unsigned long long)(r->base + r->size));
        return -1;
    }
    uint8_t *dst = r->host + (s->paddr - r->base);
    memcpy(dst, c->f->data + s->offset, s->filesz);
    memset(dst + s->filesz, 0, s->memsz - s->filesz);
    return 0;
}

int loader_place(LoaderRam *ram, uint64_t pa, const void *data, size_t len, const char *what,
                 char *err, size_t errlen)
{
    if (pa < ram->base || len > ram->size || pa - ram->base > ram->size - len) {
        char a[32], b[32];
        snprintf(err, errlen, "%s (%s) at 0x%llx does not fit in %s of RAM", what,
                 loader_size_str(len, a, sizeof(a)), (unsigned long long)pa,
                 loader_size_str(ram->size, b, sizeof(b)));
        return -1;
    }
    memcpy(ram->host + (pa - ram->base), data, len);
    return 0;
}

int loader_load(const LoaderFile *f, const LoaderImage *img, LoaderRam *ram, uint64_t load_addr,
                char *err, size_t errlen)
{
    if (img->kind == LOADER_ELF) {
        ElfLoadCtx c = {f, ram, err, errlen};
        uint64_t entry;
        return loader_elf_segs(f, elf_load_seg, &c, &entry, err, errlen);
    }
    if (loader_place(ram, load_addr, f->data, f->size, f->path, err, errlen)) return -1;
    /* The bss part of image_size must read as zero (RAM may hold an old boot). */
    if (img->hi > img->file_hi && img->hi - ram->base <= ram->size)
        memset(ram->host + (img->file_hi - ram->base), 0, img->hi - img->file_hi);
    return 0;
}
