/* SPDX-License-Identifier: MIT */
/* Unit tests of command-line parsing: the user-mode split between vm's
 * options and the guest's argv, every system-mode flag, QEMU size syntax,
 * and the errors (unknown option, missing argument, bad values, mode mix). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vm/log.h"
#include "vm/options.h"

#include "config.h"

#ifdef CONFIG_SANITIZERS
/* options_parse keeps its strings for the life of the process, as vm does
 * with its options (src/core/options.c, kv_split): parsing many command
 * lines here is not a leak, and vm's own binary turns leak reports off the
 * same way (src/main/main.c). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

#define ARGV(...) ((char *[]){"vm", ##__VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"vm", ##__VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, ...) options_parse((o), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_user_split(void **state)
{
    VmOptions o;
    assert_int_equal(PARSE(&o, "-L", "/sysroot", "-E", "A=1", "-E", "B=2", "-U", "HOME",
                           "-strace", "-0", "argzero", "--accel", "interp", "-d", "in_asm",
                           "-D", "log.txt", "prog", "-d", "--help", "x"),
                     0);
    assert_int_equal(o.mode, VM_MODE_USER);
    assert_string_equal(o.program, "prog");
    /* Everything from the program on is guest argv, untouched. */
    assert_int_equal(o.argc, 4);
    assert_string_equal(o.argv[0], "prog");
    assert_string_equal(o.argv[1], "-d");
    assert_string_equal(o.argv[2], "--help");
    assert_string_equal(o.argv[3], "x");
    assert_null(o.argv[4]);
    assert_string_equal(o.sysroot, "/sysroot");
    assert_int_equal(o.nenv_set, 2);
    assert_string_equal(o.env_set[0], "A=1");
    assert_string_equal(o.env_set[1], "B=2");
    assert_int_equal(o.nenv_unset, 1);
    assert_string_equal(o.env_unset[0], "HOME");
    assert_true(o.strace);
    assert_string_equal(o.argv0, "argzero");
    assert_string_equal(o.accel, "interp");
    assert_string_equal(o.log_d, "in_asm");
    assert_string_equal(o.log_file, "log.txt");
}

static void test_user_minimal(void **state)
{
    VmOptions o;
    assert_int_equal(PARSE(&o, "./a.out"), 0);
    assert_int_equal(o.mode, VM_MODE_USER);
    assert_int_equal(o.argc, 1);
    assert_null(o.accel);
    assert_null(o.arch);
    assert_int_equal(o.gdb_port, 0);

    /* "--" ends vm's options: a program whose name starts with '-'. */
    assert_int_equal(PARSE(&o, "-strace", "--", "-weird", "a"), 0);
    assert_string_equal(o.program, "-weird");
    assert_int_equal(o.argc, 2);

    assert_int_equal(PARSE(&o, "-g", "1234", "--jit=cold=5", "p"), 0);
    assert_int_equal(o.gdb_port, 1234);
    assert_string_equal(o.jit, "cold=5");

    /* -kernel after the program belongs to the guest. */
    assert_int_equal(PARSE(&o, "p", "-kernel", "x"), 0);
    assert_int_equal(o.mode, VM_MODE_USER);
    assert_null(o.kernel);
}

static void test_system_flags(void **state)
{
    VmOptions o;
    int r = PARSE(&o, "-machine", "virt,dumpdtb=out.dtb", "-cpu", "rv64", "-m", "1G", "-smp",
                  "4", "-bios", "none", "-kernel", "Image", "-initrd", "rd.img", "-append",
                  "console=ttyS0 root=/dev/vda", "-dtb", "x.dtb", "-drive",
                  "file=disk.img,if=virtio,format=raw,readonly=on", "-drive",
                  "file=d2.img,format=raw,id=hd1,if=none", "-netdev",
                  "user,id=n0,hostfwd=tcp::2222-:22,hostfwd=tcp:127.0.0.1:8080-:80", "-device",
                  "virtio-net,netdev=n0", "-nographic", "-serial", "file:ser.log", "-monitor",
                  "unix:/tmp/mon", "-gdb", "tcp::4321", "-S", "-numa",
                  "node,mem=512M,cpus=0-1,nodeid=0", "--numa", "node,mem=512,cpus=2",
                  "-snapshot-save", "file=s.snap,on=serial:login:,then=quit", "-snapshot-load",
                  "in.snap", "-timeout", "30.5", "-chat", "chat.txt", "-accel", "jit", "-d",
                  "int,mmu", "-jit", "cold=10,hot=100");
    assert_int_equal(r, 0);
    assert_int_equal(o.mode, VM_MODE_SYSTEM);
    assert_string_equal(o.machine, "virt");
    assert_string_equal(o.machine_opts, "dumpdtb=out.dtb");
    assert_string_equal(o.cpu_model, "rv64");
    assert_true(o.ram_size == (1ull << 30));
    assert_int_equal(o.smp, 4);
    assert_string_equal(o.bios, "none");
    assert_string_equal(o.kernel, "Image");
    assert_string_equal(o.initrd, "rd.img");
    assert_string_equal(o.append, "console=ttyS0 root=/dev/vda");
    assert_string_equal(o.dtb, "x.dtb");
    assert_int_equal(o.ndrives, 2);
    assert_string_equal(o.drives[0].file, "disk.img");
    assert_string_equal(o.drives[0].iface, "virtio");
    assert_string_equal(o.drives[0].format, "raw");
    assert_true(o.drives[0].readonly);
    assert_null(o.drives[0].id);
    assert_false(o.drives[1].readonly);
    assert_string_equal(o.drives[1].id, "hd1");
    assert_string_equal(o.drives[1].iface, "none");
    assert_int_equal(o.nnetdevs, 1);
    assert_string_equal(o.netdevs[0].type, "user");
    assert_string_equal(o.netdevs[0].id, "n0");
    assert_int_equal(o.netdevs[0].nhostfwd, 2);
    assert_string_equal(o.netdevs[0].hostfwd[0], "tcp::2222-:22");
    assert_string_equal(o.netdevs[0].hostfwd[1], "tcp:127.0.0.1:8080-:80");
    assert_int_equal(o.ndevices, 1);
    assert_string_equal(o.devices[0], "virtio-net,netdev=n0");
    assert_true(o.nographic);
    assert_string_equal(o.serial, "file:ser.log");
    assert_string_equal(o.monitor, "unix:/tmp/mon");
    assert_string_equal(o.gdb, "tcp::4321");
    assert_true(o.wait_gdb);
    assert_int_equal(o.nnuma, 2);
    assert_true(o.numa[0].mem == 512ull << 20);
    assert_string_equal(o.numa[0].cpus, "0-1");
    assert_int_equal(o.numa[0].nodeid, 0);
    assert_true(o.numa[1].mem == 512ull << 20); /* suffix-less = MiB, like QEMU */
    assert_int_equal(o.numa[1].nodeid, -1);
    assert_string_equal(o.snapshot_save, "file=s.snap,on=serial:login:,then=quit");
    assert_string_equal(o.snapshot_load, "in.snap");
    assert_true(o.timeout == 30.5);
    assert_string_equal(o.chat, "chat.txt");
    assert_string_equal(o.accel, "jit");
    assert_string_equal(o.log_d, "int,mmu");
    assert_string_equal(o.jit, "cold=10,hot=100");
    assert_null(o.program);
}

static void test_system_variants(void **state)
{
    VmOptions o;
    /* -s is -gdb tcp::1234; -M selects system mode without -kernel. */
    assert_int_equal(PARSE(&o, "-M", "virt", "-s", "-bios", "fw.bin"), 0);
    assert_int_equal(o.mode, VM_MODE_SYSTEM);
    assert_string_equal(o.gdb, "tcp::1234");
    assert_null(o.machine_opts);
    assert_int_equal(o.smp, 1);
    assert_true(o.ram_size == 0);

    assert_int_equal(PARSE(&o, "-machine", "type=virt,aclint=on", "-smp", "cpus=2,cores=2",
                           "-kernel", "k"),
                     0);
    assert_string_equal(o.machine, "virt");
    assert_string_equal(o.machine_opts, "aclint=on");
    assert_int_equal(o.smp, 2);

    assert_int_equal(PARSE(&o, "-smp", "sockets=2,cores=3", "-kernel", "k", "-m", "size=2G"), 0);
    assert_int_equal(o.smp, 6);
    assert_true(o.ram_size == 2ull << 30);

    /* QEMU's ",," escape keeps a comma inside a value. */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-snapshot-save", "file=a,on=serial:x,,y"), 0);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-bios", "default"), 0);
    assert_int_equal(o.mode, VM_MODE_SYSTEM);
}

static void test_sizes(void **state)
{
    uint64_t v;
    assert_int_equal(options_parse_size("1024", &v), 0);
    assert_true(v == 1024ull << 20);
    assert_int_equal(options_parse_size("1G", &v), 0);
    assert_true(v == 1ull << 30);
    assert_int_equal(options_parse_size("512m", &v), 0);
    assert_true(v == 512ull << 20);
    assert_int_equal(options_parse_size("64K", &v), 0);
    assert_true(v == 64ull << 10);
    assert_int_equal(options_parse_size("2T", &v), 0);
    assert_true(v == 2ull << 40);
    assert_int_equal(options_parse_size("4096B", &v), 0);
    assert_true(v == 4096);
    assert_int_equal(options_parse_size("1.5G", &v), 0);
    assert_true(v == 3ull << 29);
    assert_true(options_parse_size("", &v) < 0);
    assert_true(options_parse_size("G", &v) < 0);
    assert_true(options_parse_size("1X", &v) < 0);
    assert_true(options_parse_size("1GB", &v) < 0);
    assert_true(options_parse_size("-1", &v) < 0);
    assert_true(options_parse_size("1.G", &v) < 0);
    assert_true(options_parse_size("99999999999999999999", &v) < 0);
    assert_true(options_parse_size("17179869184T", &v) < 0); /* 2^34 T overflows */
}

static void test_errors(void **state)
{
    VmOptions o;
    assert_int_equal(PARSE(&o, "-foo", "p"), -1);                /* unknown option */
    assert_int_equal(PARSE(&o, "--nonsense"), -1);
    assert_int_equal(PARSE(&o, "-L"), -1);                       /* missing argument */
    assert_int_equal(PARSE(&o, "p", "-L"), 0);                   /* ... but guest args are free */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-m", "lots"), -1);   /* bad size */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-m", "0"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-smp", "0"), -1);    /* bad number */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-smp", "two"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-smp", "4,bogus=1"), -1);
    assert_int_equal(PARSE(&o, "-g", "0", "p"), -1);
    assert_int_equal(PARSE(&o, "-g", "70000", "p"), -1);
    assert_int_equal(PARSE(&o, "-g", "12x", "p"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-timeout", "-3"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-timeout", "abc"), -1);
    assert_int_equal(PARSE(&o, "-accel", "tcgx", "p"), -1);
    assert_int_equal(PARSE(&o, "-arch", "vax", "p"), -1);
    assert_int_equal(PARSE(&o, "-E", "NOEQUALS", "p"), -1);
    assert_int_equal(PARSE(&o, "-U", "A=B", "p"), -1);
    assert_int_equal(PARSE(&o, "--strace=yes", "p"), -1);       /* flag with a value */
    assert_int_equal(PARSE(&o), -1);                             /* nothing to run */
    assert_int_equal(PARSE(&o, "-m", "1G"), -1);                 /* system flag, no -kernel */
}

static void test_mode_mismatch(void **state)
{
    VmOptions o;
    assert_int_equal(PARSE(&o, "-kernel", "Image", "prog"), -1); /* kernel + program */
    assert_int_equal(PARSE(&o, "-m", "1G", "prog"), -1);         /* system flag in user mode */
    assert_int_equal(PARSE(&o, "-nographic", "prog"), -1);
    assert_int_equal(PARSE(&o, "-L", "/x", "-kernel", "k"), -1); /* user flag in system mode */
    assert_int_equal(PARSE(&o, "-strace", "-M", "virt"), -1);
    assert_int_equal(PARSE(&o, "-g", "1234", "-kernel", "k"), -1);
}

static void test_bad_drive_netdev(void **state)
{
    VmOptions o;
    assert_int_equal(PARSE(&o, "-kernel", "k", "-drive", "if=virtio"), -1);      /* no file */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-drive", "file=a,cache=none"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-drive", "file=a,format=qcow2"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-drive", "file=a,if=ide"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-drive", "file=a,readonly=maybe"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-drive", "disk.img"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-netdev", "tap,id=n0"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-netdev", "user"), -1);          /* no id */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-netdev", "user,id=n,hostfwd=tcp::22"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-netdev", "user,id=n,hostfwd=tcp::0-:22"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-netdev", "user,id=n", "-netdev", "user,id=n"),
                     -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-numa", "dist,src=0"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-numa", "node,cpus=3-1"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-numa", "node,nodeid=99"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-serial", "pty"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-monitor", "file:x"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-gdb", "1234"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-snapshot-save", "file=a"), -1); /* no on= */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-snapshot-save", "file=a,on=reboot"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-snapshot-save", "file=a,on=signal,then=x"),
                     -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-device", ",x=1"), -1);
}

/* -chardev becomes the -serial spelling of the same endpoint (one parser in
 * the service layer); -device virtio-console finds its chardev by id. */
static void test_chardev(void **state)
{
    VmOptions o;
    assert_int_equal(PARSE(&o, "-kernel", "k", "-serial", "none", "-chardev", "stdio,id=t",
                           "-chardev", "file,id=f,path=out,,1.txt", "-chardev",
                           "socket,id=c,path=/tmp/c.sock", "-chardev",
                           "socket,id=s,path=/tmp/s.sock,server=on", "-chardev",
                           "socket,id=n,path=/tmp/n.sock,server,nowait", "-chardev", "null,id=z",
                           "-device", "virtconsole,chardev=f", "-device",
                           "virtio-console-device,id=x,chardev=z"),
                     0);
    assert_int_equal(o.nchardevs, 6);
    assert_string_equal(o.chardevs[0].spec, "stdio");
    assert_string_equal(o.chardevs[1].spec, "file:out,1.txt");
    assert_string_equal(o.chardevs[2].spec, "unix:/tmp/c.sock");
    assert_string_equal(o.chardevs[3].spec, "unix:/tmp/s.sock,server,wait");
    assert_string_equal(o.chardevs[4].spec, "unix:/tmp/n.sock,server");
    assert_null(o.chardevs[5].spec);
    assert_string_equal(o.chardevs[5].id, "z");
    assert_true(options_is_virtio_console(o.devices[0]));
    assert_true(options_is_virtio_console("virtio-console"));
    assert_false(options_is_virtio_console("virtio-consoles,chardev=f"));
    assert_int_equal(options_chardev_index(&o, o.devices[0]), 1);
    assert_int_equal(options_chardev_index(&o, o.devices[1]), 5);
    assert_int_equal(options_chardev_index(&o, "virtio-console,chardev=nope"), -1);
    /* Errors. */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-chardev", "stdio"), -1);            /* no id */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-chardev", "pty,id=p"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-chardev", "file,id=f"), -1);        /* no path */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-chardev", "null,id=a,path=x"), -1); /* key */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-chardev", "socket,id=a,path=x,server=maybe"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-chardev", "null,id=a", "-chardev", "null,id=a"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-device", "virtio-console"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-device", "virtio-console,chardev=a"), -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-chardev", "null,id=a", "-device",
                           "virtio-console,chardev=a", "-device", "virtio-console,chardev=a"),
                     -1);
    assert_int_equal(PARSE(&o, "-kernel", "k", "-chardev", "stdio,id=a"), -1); /* serial: stdio */
    assert_int_equal(PARSE(&o, "-kernel", "k", "-serial", "none", "-monitor", "stdio", "-chardev",
                           "stdio,id=a"),
                     -1);
    assert_int_equal(PARSE(&o, "prog", "-chardev", "null,id=a"), 0); /* guest argv */
    assert_int_equal(PARSE(&o, "-chardev", "null,id=a", "prog"), -1); /* system-mode option */
}

static void test_help_version(void **state)
{
    VmOptions o;
    /* Output goes to stdout; the return value tells main to exit 0. */
    assert_int_equal(PARSE(&o, "--help"), 1);
    assert_int_equal(PARSE(&o, "-h"), 1);
    assert_int_equal(PARSE(&o, "--version"), 1);
    assert_int_equal(PARSE(&o, "-version"), 1);
    assert_int_equal(PARSE(&o, "-d", "help"), 1);
}

/* VM_LOG and -d (log.c) are parsed from the same command line; tested here. */
static void test_log_specs(void **state)
{
    char err[256];
    assert_int_equal(log_parse_env("jit=debug,mmu=info", err, sizeof(err)), 0);
    assert_int_equal(log_levels[LOG_JIT], LOG_DEBUG);
    assert_int_equal(log_levels[LOG_MMU], LOG_INFO);
    assert_int_equal(log_levels[LOG_CORE], LOG_ERROR); /* default untouched */
    assert_int_equal(log_parse_env("all=trace,ir=off", err, sizeof(err)), 0);
    assert_int_equal(log_levels[LOG_DEV], LOG_TRACE);
    assert_int_equal(log_levels[LOG_IR], LOG_OFF);
    assert_int_equal(log_parse_env("warn", err, sizeof(err)), 0);
    assert_int_equal(log_levels[LOG_USER], LOG_WARN);

    /* A bad spec is an error and changes nothing. */
    assert_int_equal(log_parse_env("jit=debug,bogus=info", err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "bogus"));
    assert_int_equal(log_levels[LOG_JIT], LOG_WARN);
    assert_int_equal(log_parse_env("jit=loud", err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "loud"));

    log_mask = 0;
    assert_int_equal(log_parse_d("in_asm,ir,jit-stats,mmu", err, sizeof(err)), 0);
    assert_true(log_mask == (LOGD_IN_ASM | LOGD_IR | LOGD_JIT_STATS | LOGD_MMU));
    assert_true(log_levels[LOG_MMU] >= LOG_DEBUG); /* -d mmu also opens the category */
    assert_int_equal(log_parse_d("in_asm,nope", err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "nope"));
    log_mask = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_split),      cmocka_unit_test(test_user_minimal),
        cmocka_unit_test(test_system_flags),    cmocka_unit_test(test_system_variants),
        cmocka_unit_test(test_sizes),           cmocka_unit_test(test_errors),
        cmocka_unit_test(test_mode_mismatch),   cmocka_unit_test(test_bad_drive_netdev),
        cmocka_unit_test(test_help_version),    cmocka_unit_test(test_chardev),    cmocka_unit_test(test_log_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
