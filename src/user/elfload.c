/* SPDX-License-Identifier: MIT */
/* ELF executables and dynamic loaders into the guest address space, through
 * libelf. Every header field is validated: bad input is an error, never a crash. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user/user_int.h"

#define MAX_PHDRS 64

typedef struct ElfFile {
    int fd;
    uint64_t size;
    GElf_Ehdr eh;
    GElf_Phdr ph[MAX_PHDRS];
    unsigned nph;
} ElfFile;

#define ERR(code, ...) (snprintf(err, errlen, __VA_ARGS__), -(code))

/* Opens and validates path; on success f->fd is open (caller closes). */
static int elf_open(const char *path, ElfFile *f, LxImage *img, char *err, size_t errlen)
{
    memset(img, 0, sizeof(*img));
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) return ERR(errno, "%s", strerror(errno));
    struct stat st;
    if (fstat(f->fd, &st) || !S_ISREG(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : EACCES;
        close(f->fd);
        return ERR(EACCES, "%s", strerror(e));
    }
    f->size = (uint64_t)st.st_size;

    unsigned char ident[EI_NIDENT];
    ssize_t n = pread(f->fd, ident, sizeof(ident), 0);
    int r;
    if (n < 4 || memcmp(ident, ELFMAG, SELFMAG)) {
        r = ERR(ENOEXEC, "not an ELF executable");
        goto fail;
    }
    if (n < EI_NIDENT) {
        r = ERR(ENOEXEC, "truncated ELF file");
        goto fail;
    }
    if (ident[EI_CLASS] != ELFCLASS64) {
        r = ERR(ENOEXEC, "unsupported ELF class %u (only 64-bit programs are supported)", ident[EI_CLASS]);
        goto fail;
    }
    if (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB) {
        r = ERR(ENOEXEC, "invalid ELF data encoding %u", ident[EI_DATA]);
        goto fail;
    }
    if (ident[EI_VERSION] != EV_CURRENT) {
        r = ERR(ENOEXEC, "invalid ELF version %u", ident[EI_VERSION]);
        goto fail;
    }

    elf_version(EV_CURRENT);
    Elf *e = elf_begin(f->fd, ELF_C_READ, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &f->eh)) {
        if (e) elf_end(e);
        r = ERR(ENOEXEC, "truncated or corrupt ELF header");
        goto fail;
    }
    GElf_Ehdr *eh = &f->eh;
    size_t phnum = 0;
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
        elf_end(e);
        r = ERR(ENOEXEC, "not an executable (ELF type %u)", eh->e_type);
        goto fail;
    }
    if (elf_getphdrnum(e, &phnum) || phnum == 0 || phnum > MAX_PHDRS ||
        eh->e_phentsize != sizeof(Elf64_Phdr) ||
        eh->e_phoff > f->size || phnum * sizeof(Elf64_Phdr) > f->size - eh->e_phoff) {
        elf_end(e);
        r = ERR(ENOEXEC, "truncated or corrupt ELF program headers");
        goto fail;
    }
    f->nph = (unsigned)phnum;
    for (unsigned i = 0; i < f->nph; i++) {
        if (!gelf_getphdr(e, (int)i, &f->ph[i])) {
            elf_end(e);
            r = ERR(ENOEXEC, "truncated or corrupt ELF program headers");
            goto fail;
        }
    }
    elf_end(e);

    img->machine = eh->e_machine;
    img->type = eh->e_type;
    img->eflags = eh->e_flags;
    img->phnum = f->nph;
    img->phent = sizeof(Elf64_Phdr);
    img->exec_stack = true; /* no PT_GNU_STACK: executable stack (Linux default) */

    bool have_load = false;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < f->nph; i++) {
        GElf_Phdr *p = &f->ph[i];
        switch (p->p_type) {
        case PT_LOAD:
            if (!p->p_memsz) break;
            if (p->p_filesz > p->p_memsz || p->p_offset > f->size || p->p_filesz > f->size - p->p_offset) {
                r = ERR(ENOEXEC, "truncated ELF file (segment %u past the end)", i);
                goto fail;
            }
            if (p->p_vaddr + p->p_memsz < p->p_vaddr || p->p_vaddr + p->p_memsz > LX_SPACE_SIZE) {
                r = ERR(ENOEXEC, "ELF segment %u outside the address space", i);
                goto fail;
            }
            have_load = true;
            if ((p->p_vaddr & LX_PAGE_MASK) < lo) lo = p->p_vaddr & LX_PAGE_MASK;
            if (p->p_vaddr + p->p_memsz > hi) hi = p->p_vaddr + p->p_memsz;
            break;
        case PT_INTERP:
            if (p->p_filesz < 2 || p->p_filesz > sizeof(img->interp) || p->p_offset > f->size ||
                p->p_filesz > f->size - p->p_offset ||
                pread(f->fd, img->interp, p->p_filesz, (off_t)p->p_offset) != (ssize_t)p->p_filesz ||
                img->interp[p->p_filesz - 1] != 0) {
                r = ERR(ENOEXEC, "corrupt PT_INTERP");
                goto fail;
            }
            break;
        case PT_GNU_STACK:
            img->exec_stack = p->p_flags & PF_X;
            break;
        }
    }
    if (!have_load) {
        r = ERR(ENOEXEC, "no loadable segments");
        goto fail;
    }
    img->lo = lo;
    img->hi = hi;
    img->entry = eh->e_entry;
    return 0;
fail:
    close(f->fd);
    f->fd = -1;
    return r;
}

int lx_elf_probe(const char *path, LxImage *img, char *err, size_t errlen)
{
    ElfFile f;
    int r = elf_open(path, &f, img, err, errlen);
    if (!r) close(f.fd);
    return r;
}

static int seg_prot(uint32_t pf)
{
    return (pf & PF_R ? PROT_READ : 0) | (pf & PF_W ? PROT_WRITE : 0) | (pf & PF_X ? PROT_EXEC : 0);
}

int lx_elf_load(LxSpace *s, const char *path, bool is_interp, uint16_t want_machine,
                LxImage *img, char *err, size_t errlen)
{
    ElfFile f;
    int r = elf_open(path, &f, img, err, errlen);
    if (r) return r;
    if (want_machine && img->machine != want_machine) {
        r = ERR(ENOEXEC, "ELF machine %u does not match the program's (%u)", img->machine, want_machine);
        goto out;
    }
    uint64_t span = LX_PAGE_ALIGN(img->hi) - img->lo;
    uint64_t base;
    if (img->type == ET_EXEC) {
        base = img->lo;
        if (base < LX_MMAP_MIN || !lx_range_free(s, base, span)) {
            r = ERR(ENOEXEC, "ELF segments at 0x%llx overlap reserved memory", (unsigned long long)base);
            goto out;
        }
    } else {
        /* Linux puts PIE programs at ELF_ET_DYN_BASE and the loader in the mmap area. */
        base = (!is_interp && lx_range_free(s, s->dyn_base, span)) ? s->dyn_base
                                                                     : lx_find_free(s, span, 0);
        if (!base) {
            r = ERR(ENOMEM, "no room for a %llu-byte image", (unsigned long long)span);
            goto out;
        }
    }
    uint64_t bias = base - img->lo;
    int64_t m = lx_mmap(s, base, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (m < 0) {
        r = ERR(-m, "cannot map segments: %s", strerror((int)-m));
        goto out;
    }
    for (unsigned i = 0; i < f.nph; i++) {
        GElf_Phdr *p = &f.ph[i];
        if (p->p_type != PT_LOAD || !p->p_filesz) continue;
        uint64_t done = 0;
        while (done < p->p_filesz) {
            ssize_t n = pread(f.fd, s->base + bias + p->p_vaddr + done, p->p_filesz - done,
                              (off_t)(p->p_offset + done));
            if (n <= 0) {
                r = ERR(ENOEXEC, "truncated ELF file (reading segment %u)", i);
                goto out_unmap;
            }
            done += (uint64_t)n;
        }
    }
    /* Page protections: the union of the segments touching each page; the
     * gaps between segments stay mapped PROT_NONE as ld.so leaves them. */
    uint64_t run_start = base;
    int run_prot = -1;
    for (uint64_t va = base; va <= base + span; va += LX_PAGE_SIZE) {
        int prot = 0;
        if (va < base + span) {
            for (unsigned i = 0; i < f.nph; i++) {
                GElf_Phdr *p = &f.ph[i];
                if (p->p_type != PT_LOAD || !p->p_memsz) continue;
                uint64_t s0 = (bias + p->p_vaddr) & LX_PAGE_MASK, s1 = bias + p->p_vaddr + p->p_memsz;
                if (va >= s0 && va < s1) prot |= seg_prot(p->p_flags);
            }
        } else {
            prot = -2; /* flush the last run */
        }
        if (prot != run_prot) {
            if (run_prot >= 0 && run_prot != (PROT_READ | PROT_WRITE))
                lx_mprotect(s, run_start, va - run_start, run_prot);
            run_start = va;
            run_prot = prot;
        }
    }
    img->load_bias = bias;
    img->entry += bias;
    img->lo += bias;
    img->hi += bias;
    img->brk = LX_PAGE_ALIGN(img->hi);
    for (unsigned i = 0; i < f.nph; i++) {
        GElf_Phdr *p = &f.ph[i];
        if (p->p_type == PT_PHDR) img->phdr = bias + p->p_vaddr;
    }
    if (!img->phdr) {
        for (unsigned i = 0; i < f.nph; i++) {
            GElf_Phdr *p = &f.ph[i];
            if (p->p_type == PT_LOAD && f.eh.e_phoff >= p->p_offset &&
                f.eh.e_phoff - p->p_offset < p->p_filesz)
                img->phdr = bias + p->p_vaddr + (f.eh.e_phoff - p->p_offset);
        }
    }
    close(f.fd);
    return 0;
out_unmap:
    lx_munmap(s, base, span);
out:
    close(f.fd);
    return r;
}
