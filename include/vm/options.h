/* SPDX-License-Identifier: MIT */
/* The parsed command line, for both modes. src/core/options.c fills it;
 * main dispatches on it; the user-mode and system-mode layers read it. */
#ifndef VM_OPTIONS_H
#define VM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#define VM_MAX_DRIVES 8
#define VM_MAX_NETDEVS 4
#define VM_MAX_NUMA 8
#define VM_MAX_CHARDEVS 8

typedef enum VmMode { VM_MODE_USER, VM_MODE_SYSTEM } VmMode;

typedef struct VmDrive {
    const char *file;
    const char *iface;  /* "virtio" */
    const char *format; /* "raw" */
    const char *id;     /* id=, for -device virtio-blk-device,drive=ID; NULL = none */
    bool readonly;
} VmDrive;

typedef struct VmNetdev {
    const char *id;
    const char *type; /* "user" */
    const char *hostfwd[4];
    int nhostfwd;
} VmNetdev;

/* -chardev BACKEND,id=ID,...: a host endpoint a device names with chardev=ID. */
typedef struct VmChardev {
    const char *id;
    /* The backend as the -serial syntax spells it ("stdio", "file:PATH",
     * "unix:PATH", "unix:PATH,server[,wait]"), so the service layer opens both
     * with one parser; NULL for "null" (output discarded, no input). */
    const char *spec;
    const char *arg; /* the -chardev argument as given, for messages */
} VmChardev;

typedef struct VmNuma {
    uint64_t mem;     /* bytes, 0 = unspecified */
    const char *cpus; /* "0-1" */
    int nodeid;       /* -1 = unspecified */
} VmNuma;

typedef struct VmOptions {
    VmMode mode;
    const char *arch;  /* -arch, NULL = detect */
    const char *accel; /* -accel: interp|jit|kvm; NULL = default */
    const char *jit;   /* -jit cold=..,hot=.. (raw, parsed by the JIT) */
    const char *log_d; /* -d */
    const char *log_file; /* -D */

    /* user mode */
    const char *program;
    int argc; /* guest argv (argv[0] = program as given) */
    char **argv;
    const char *sysroot; /* -L */
    const char **env_set; int nenv_set;     /* -E VAR=VAL */
    const char **env_unset; int nenv_unset; /* -U VAR */
    bool strace;
    const char *argv0; /* -0 ARGV0 override */
    int gdb_port;      /* -g PORT, 0 = none */

    /* system mode */
    const char *machine; /* -M */
    const char *machine_opts; /* -machine k=v,... beyond the type */
    const char *cpu_model;
    uint64_t ram_size; /* -m */
    int smp;
    const char *bios, *kernel, *initrd, *append, *dtb;
    VmDrive drives[VM_MAX_DRIVES]; int ndrives;
    VmNetdev netdevs[VM_MAX_NETDEVS]; int nnetdevs;
    const char *devices[8]; int ndevices; /* -device */
    VmChardev chardevs[VM_MAX_CHARDEVS]; int nchardevs; /* -chardev */
    bool nographic;
    const char *serial;  /* stdio|file:F|unix:PATH */
    const char *monitor; /* stdio|unix:PATH */
    const char *gdb;     /* -gdb tcp::PORT (-s = tcp::1234) */
    bool wait_gdb;       /* -S */
    VmNuma numa[VM_MAX_NUMA]; int nnuma;
    const char *snapshot_save; /* raw -snapshot-save spec */
    const char *snapshot_load;
    double timeout; /* seconds, 0 = none */
    const char *chat;
} VmOptions;

/* Parses argv. Returns 0 on success, 1 when --help/--version was handled
 * (exit 0), or -1 after printing one error line (exit 1). */
int options_parse(VmOptions *o, int argc, char **argv);

/* -device SPEC names a virtio console (virtio-console[-device], QEMU's virtconsole). */
bool options_is_virtio_console(const char *device);
/* The index in o->chardevs of the chardev=ID a -device SPEC names, or -1.
 * options_parse has checked every virtio console's chardev= already. */
int options_chardev_index(const VmOptions *o, const char *device);

/* Parses "1G", "512M", "1024" (MiB when no suffix, like QEMU's -m). */
int options_parse_size(const char *s, uint64_t *out);

#endif
