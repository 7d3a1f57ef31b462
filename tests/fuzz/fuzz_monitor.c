/* SPDX-License-Identifier: MIT */
/* Fuzzes the monitor's command line (src/service/monitor.c, included here for
 * its static parser): the input is typed as lines (a socket client's path)
 * and, after a NUL byte, as raw terminal keys (Ctrl-A c), against a real
 * riscv64 virt machine with 2 vCPUs and 16 MiB of RAM that does not run. The
 * lifecycle calls are recorders that check their use: every sys_pause is
 * balanced by one sys_resume (only "stop" keeps one), and nothing is written
 * to disk (savevm/loadvm are refused here; snapshots have their own harness).
 * They are weak so the harness still links if monitor.c starts using a
 * service call not listed here (sys.c then provides them all). */
#include "../../src/service/monitor.c"

#include <sys/stat.h>

#include "fuzz.h"
#include "vm/options.h"

static Machine *machine;
static int pauses, stops, resets;

#define WEAK __attribute__((weak))
WEAK Machine *sys_machine(void) { return machine; }
WEAK void sys_pause(void) { pauses++; }
WEAK void sys_resume(void)
{
    if (pauses <= 0) abort(); /* a resume without its pause */
    pauses--;
}
WEAK bool sys_paused(void) { return pauses > 0; }
WEAK void sys_stop(int status, const char *msg) { stops++; }
WEAK void sys_reset(void) { resets++; }
WEAK bool sys_release_start(void) { return false; }
WEAK bool sys_start_is_held(void) { return false; }
WEAK int sys_fd_add(int fd, short events, SysFdFn fn, void *opaque) { return -1; }
WEAK void sys_fd_del(int fd) {}
WEAK void sys_char_host_write(SysChar *c, const void *buf, size_t n) {}
WEAK int sys_char_mux_monitor(SysChar *c, SysCharMonFn input, SysCharFocusFn focus, void *opaque,
                              bool active)
{
    return -1;
}
WEAK int snap_file_save(Machine *m, const char *path, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: not in the fuzz harness", path);
    return -1;
}
WEAK int snap_file_load(Machine *m, const char *path, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: not in the fuzz harness", path);
    return -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static char kernel[] = "/tmp/vm-fuzz-monitor.XXXXXX";
    int fd = mkstemp(kernel);
    const uint8_t code[8] = {0x6f, 0, 0, 0, 0x6f, 0, 0, 0}; /* jal x0, 0 */
    if (fd < 0 || write(fd, code, sizeof(code)) != sizeof(code)) abort();
    close(fd);
    char *av[] = {"vm", "-M", "virt", "-bios", "none", "-arch", "riscv64", "-kernel", kernel,
                  "-m", "16M", "-smp", "2", "-serial", "none", NULL};
    static VmOptions o;
    MachineHost host = {0};
    if (options_parse(&o, 15, av) || machine_create(&o, &interp_engine, &host, &machine)) abort();
    unlink(kernel);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!machine) LLVMFuzzerInitialize(NULL, NULL);
    const uint8_t *nul = memchr(data, 0, size);
    size_t llen = nul ? (size_t)(nul - data) : size;
    MonSession lines = {.kind = MON_FD, .in_fd = -1, .out_fd = -1};
    mon_input_lines(&lines, data, llen);
    if (lines.len) mon_line_done(&lines);
    if (nul) {
        /* Keys: MON_MUX output goes to sys_char_host_write. */
        MonSession keys = {.kind = MON_MUX};
        mon_input_keys(&keys, nul + 1, size - llen - 1);
        if (keys.len && !keys.esc) mon_line_done(&keys);
    }
    /* Only a "stop" may still hold the vCPUs; "cont" gives it back. */
    if (pauses != (mon.stopped ? 1 : 0)) abort();
    if (mon.stopped) {
        mon.stopped = false;
        pauses--;
    }
    return 0;
}
