/* SPDX-License-Identifier: MIT */
/* Private interfaces of src/machine: image loaders (loader.c) and device-tree
 * building helpers (fdt.c) shared by the machine models. */
#ifndef VM_MACHINE_INT_H
#define VM_MACHINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* -- Loaders (loader.c) ------------------------------------------------------------ */

/* A whole file read into memory. */
typedef struct LoaderFile {
    const char *path;
    uint8_t *data;
    size_t size;
} LoaderFile;

typedef enum LoaderKind {
    LOADER_RAW,      /* no header we know: loaded as-is */
    LOADER_ELF,      /* ELF64 (or ELF32) executable: loaded by p_paddr */
    LOADER_RV_IMAGE, /* RISC-V Linux Image (Documentation/arch/riscv/boot-image-header.rst) */
    LOADER_A64_IMAGE,/* ARM64 Linux Image (Documentation/arch/arm64/booting.rst) */
    LOADER_BZIMAGE,  /* x86 bzImage (Documentation/arch/x86/boot.rst) */
} LoaderKind;

/* Guest RAM as the loaders see it: one contiguous block. */
typedef struct LoaderRam {
    uint64_t base, size;
    uint8_t *host;
} LoaderRam;

/* Where a loaded image sits in guest physical memory. */
typedef struct LoaderImage {
    LoaderKind kind;
    uint64_t entry;    /* physical entry point */
    uint64_t lo, hi;   /* [lo, hi): everything it occupies, bss / image_size included */
    uint64_t file_lo, file_hi; /* the part copied from the file (== lo,hi but bss) */
} LoaderImage;

/* Reads path whole. 0, or -1 with a message (naming the file) in err. */
int loader_read(const char *path, LoaderFile *f, char *err, size_t errlen);
void loader_release(LoaderFile *f);

/* What kind of image f is, and its arch name ("riscv64", "aarch64", "x86_64",
 * NULL when unknown: raw binary, or an ELF of a machine vm doesn't know). */
LoaderKind loader_probe(const LoaderFile *f, const char **arch);

/* RISC-V Image header fields (little endian). false when f is no RISC-V Image. */
bool loader_rv_image_header(const LoaderFile *f, uint64_t *text_offset, uint64_t *image_size);

/* The room an image needs: its lowest and highest physical address when loaded
 * at load_addr (ELF: its own p_paddr; ignores load_addr). 0 or -1 with err. */
int loader_layout(const LoaderFile *f, LoaderKind kind, uint64_t load_addr, LoaderImage *out,
                  char *err, size_t errlen);
/* Copies the image into RAM at the layout loader_layout computed; zero-fills bss.
 * 0 or -1 with err (a segment outside RAM, a truncated file). */
int loader_load(const LoaderFile *f, const LoaderImage *img, LoaderRam *ram, uint64_t load_addr,
                char *err, size_t errlen);

/* Copies a blob (initrd, FDT) to [pa, pa+len). 0 or -1 with err. */
int loader_place(LoaderRam *ram, uint64_t pa, const void *data, size_t len, const char *what,
                 char *err, size_t errlen);

static inline uint64_t loader_align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* "37.0 MiB" */
const char *loader_size_str(uint64_t bytes, char *buf, size_t len);

/* -- Device tree helpers (fdt.c) --------------------------------------------------- */

/* A flat device tree written in order with libfdt's sequential-write API
 * (nodes and properties appear as the machine emits them), in a growing buffer. */
typedef struct FdtBuilder {
    void *blob;
    size_t cap;
    uint32_t next_phandle;
    int err; /* first libfdt error, sticky: checked once in fdt_tree_finish */
} FdtBuilder;

/* Starts the tree with the root node open. */
int fdt_tree_begin(FdtBuilder *b);
/* Opens a child of the open node / closes the open node. */
void fdt_tree_node(FdtBuilder *b, const char *name);
void fdt_tree_end(FdtBuilder *b);
/* Properties of the open node. */
void fdt_tree_str(FdtBuilder *b, const char *name, const char *val);
/* A string list ("a\0b\0"): n strings. */
void fdt_tree_strs(FdtBuilder *b, const char *name, const char *const *vals, int n);
void fdt_tree_u32(FdtBuilder *b, const char *name, uint32_t val);
void fdt_tree_u64(FdtBuilder *b, const char *name, uint64_t val);
void fdt_tree_cells(FdtBuilder *b, const char *name, const uint32_t *cells, int n);
void fdt_tree_empty(FdtBuilder *b, const char *name);
/* reg = <base size> with #address-cells = #size-cells = 2. */
void fdt_tree_reg64(FdtBuilder *b, uint64_t base, uint64_t size);
/* Gives the open node the next phandle and returns it. */
uint32_t fdt_tree_phandle(FdtBuilder *b);
/* Closes the root and adds `slack` bytes of free space to the blob's totalsize
 * (firmware such as OpenSBI edits the tree in place). 0 or -1 (error printed). */
int fdt_tree_finish(FdtBuilder *b, size_t slack);
void fdt_tree_discard(FdtBuilder *b);
/* Reads and checks a -dtb file. 0 or -1 with err. */
int fdt_file_load(const char *path, void **blob, size_t *size, size_t slack, char *err, size_t errlen);
/* Sets /chosen's bootargs and initrd range in a -dtb blob (capacity cap). */
int fdt_chosen_update(void *blob, size_t cap, const char *bootargs, uint64_t initrd_start,
                   uint64_t initrd_end);
/* Writes the blob, packed, to path (-machine dumpdtb=). 0 or -1 with err. */
int fdt_file_write(const void *blob, const char *path, char *err, size_t errlen);

#endif
