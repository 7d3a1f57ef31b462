/* SPDX-License-Identifier: MIT */
/* Linux user mode entry point: load the program (and its dynamic loader),
 * build the initial stack, then run the vCPU, servicing system calls, faults
 * and signals until the guest exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "config.h"
#include "user/user_int.h"
#include "vm/log.h"
#include "vm/user.h"

LxProc *lx_proc;

static const LxArch *const lx_arches[] = {
    &lx_arch_riscv64,
#ifdef CONFIG_TARGET_AARCH64
    &lx_arch_aarch64,
#endif
};

const LxArch *lx_arch_find(uint16_t elf_machine)
{
    for (size_t i = 0; i < sizeof(lx_arches) / sizeof(lx_arches[0]); i++)
        if (lx_arches[i]->elf_machine == elf_machine) return lx_arches[i];
    return NULL;
}

/* -- MemOps for the engines ------------------------------------------------------- */

static int lx_fetch(CpuState *cpu, uint64_t va, void *buf, unsigned len)
{
    LxProc *p = cpu->opaque;
    if (!lx_access_ok(&p->space, va, len, LX_PG_EXEC)) return -EFAULT;
    /* Fetched for translation: stores to these pages must now drop it. */
    lx_code_fetched(&p->space, va, len);
    memcpy(buf, p->space.base + va, len);
    return 0;
}

/* load/store/atomic_ptr stay NULL: in user mode engines address guest memory
 * at guest_base directly, bounded by guest_limit. */
static const MemOps lx_memops = {.fetch = lx_fetch};

static const Engine *cur_engine;

static void invalidate_code(uint64_t start, uint64_t len)
{
    if (cur_engine && cur_engine->invalidate) cur_engine->invalidate(start, len);
}

/* -- Main loop ------------------------------------------------------------------------ */

static void handle_syscall(LxProc *p, CpuState *cpu)
{
    const LxArch *la = p->la;
    long nr = la->syscall_nr(cpu);
    if (la->syscall_nr_map) nr = la->syscall_nr_map(nr);
    uint64_t a[6];
    for (int i = 0; i < 6; i++) a[i] = la->syscall_arg(cpu, i);
    if (p->strace) lx_strace_enter(p, nr, a);
    int64_t r = lx_syscall(p, cpu, nr, a);
    if (p->strace) lx_strace_exit(p, nr, a, r);
    /* sigreturn/exit set the registers themselves; a restarted call leaves
     * pc on the syscall instruction with its arguments intact. */
    if (r == -LX_ESIGRETURN || r == -LX_ERESTARTSYS) return;
    la->set_return(cpu, r);
    cpu->pc += la->syscall_insn_len;
}

static void report_fault(LxProc *p, CpuState *cpu, int excp)
{
    switch (excp) {
    case EXCP_SEGV: {
        int code = cpu->fault_code;
        if (code != FAULT_MAPERR && code != FAULT_ACCERR)
            code = (lx_page_flags(&p->space, cpu->fault_addr) & LX_PG_VALID) ? FAULT_ACCERR : FAULT_MAPERR;
        if (logd_enabled(LOGD_INT))
            fprintf(p->log, "SIGSEGV: guest address 0x%llx (pc 0x%llx)\n",
                    (unsigned long long)cpu->fault_addr, (unsigned long long)cpu->pc);
        cpu->fault_code = 0;
        lx_force_signal(p, cpu, SIGSEGV, code == FAULT_ACCERR ? SEGV_ACCERR : SEGV_MAPERR, cpu->fault_addr);
        break;
    }
    case EXCP_BUS: {
        /* Engines raise EXCP_BUS for misaligned accesses; the host handler
         * passes BUS_ADRERR through for file mappings past their end. */
        int code = cpu->fault_code == BUS_ADRERR ? BUS_ADRERR : BUS_ADRALN;
        cpu->fault_code = 0;
        lx_force_signal(p, cpu, SIGBUS, code, cpu->fault_addr);
        break;
    }
    case EXCP_BREAKPOINT:
        lx_force_signal(p, cpu, SIGTRAP, TRAP_BRKPT, cpu->pc);
        break;
    case EXCP_FPE:
        lx_force_signal(p, cpu, SIGFPE, FPE_INTDIV, cpu->pc);
        break;
    default:
        if (logd_enabled(LOGD_UNIMP)) {
            if (excp == EXCP_ILLEGAL)
                fprintf(p->log, "unsupported/illegal instruction 0x%llx at pc 0x%llx\n",
                        (unsigned long long)cpu->fault_addr, (unsigned long long)cpu->pc);
            else
                fprintf(p->log, "unexpected exception %d at pc 0x%llx\n", excp, (unsigned long long)cpu->pc);
        }
        lx_force_signal(p, cpu, SIGILL, ILL_ILLOPC, cpu->pc);
        break;
    }
}

static int run(LxProc *p, CpuState *cpu)
{
    const Engine *e = p->engine;
    while (!p->exited) {
        cpu->in_guest = 1;
        int excp = e->exec(cpu);
        cpu->in_guest = 0;
        if ((gdb_user_on || excp == EXCP_DEBUG) && gdb_user_exec_exit(cpu, excp)) continue;
        switch (excp) {
        case EXCP_SYSCALL:
            handle_syscall(p, cpu);
            break;
        case EXCP_INTERRUPT:
        case EXCP_NONE:
            break;
        default:
            report_fault(p, cpu, excp);
            break;
        }
        if (p->exited) break;
        /* Clear before looking, so a signal arriving now stops the next exec. */
        cpu->exit_request = 0;
        lx_deliver_signals(p, cpu);
    }
    return p->exit_status;
}

/* -- Setup ---------------------------------------------------------------------------- */

/* Resolves the program as given, else (no slash) through $PATH. */
static const char *find_program(const char *prog, char *buf, size_t buflen)
{
    if (strchr(prog, '/') || !access(prog, F_OK)) return prog;
    const char *path = getenv("PATH");
    while (path && *path) {
        const char *c = strchr(path, ':');
        size_t n = c ? (size_t)(c - path) : strlen(path);
        if (n && (size_t)snprintf(buf, buflen, "%.*s/%s", (int)n, path, prog) < buflen && !access(buf, X_OK))
            return buf;
        path = c ? c + 1 : NULL;
    }
    return prog;
}

int lx_main(const VmOptions *o, const Engine *engine)
{
    static LxProc proc;
    LxProc *p = &proc;
    char err[512], pbuf[PATH_MAX], ibuf[PATH_MAX];
    memset(p, 0, sizeof(*p));
    p->opts = o;
    p->engine = engine;
    p->log = log_file ? log_file : stderr;
    p->strace = o->strace || logd_enabled(LOGD_STRACE);

    const char *prog = find_program(o->program, pbuf, sizeof(pbuf));
    LxImage probe;
    if (lx_elf_probe(prog, &probe, err, sizeof(err))) {
        vm_error("%s: %s", o->program, err);
        return 1;
    }
    const GuestArch *ga;
    if (o->arch) {
        ga = arch_by_name(o->arch);
        if (!ga) {
            vm_error("unknown architecture '%s' (supported: %s)", o->arch, arch_names());
            return 1;
        }
        if (ga->elf_machine != probe.machine) {
            vm_error("%s: ELF machine %u is not %s", o->program, probe.machine, ga->name);
            return 1;
        }
    } else if (!(ga = arch_by_elf(probe.machine))) {
        vm_error("%s: unsupported ELF machine %u (supported: %s)", o->program, probe.machine, arch_names());
        return 1;
    }
    const LxArch *la = lx_arch_find(ga->elf_machine);
    if (!la) {
        vm_error("%s: user mode does not support %s programs yet", o->program, ga->name);
        return 1;
    }
    if (la->check_eflags && la->check_eflags(probe.eflags, err, sizeof(err))) {
        vm_error("%s: %s", o->program, err);
        return 1;
    }
    p->la = la;
    p->ga = ga;
    if (!realpath(prog, p->exe_path)) snprintf(p->exe_path, sizeof(p->exe_path), "%s", prog);
    p->execfn = o->program;

    int r = lx_space_init(&p->space, LX_SPACE_SIZE);
    /* Smaller spaces for constrained hosts (valgrind answers EINVAL or ENOMEM). */
    for (uint64_t sz = LX_SPACE_SIZE_SMALL; r && sz >= (4ull << 30); sz >>= 1)
        r = lx_space_init(&p->space, sz);
    if (r) {
        vm_error("cannot reserve the guest address space (%llu GiB): %s",
                 (unsigned long long)(LX_SPACE_SIZE_SMALL >> 30), strerror(-r));
        return 1;
    }
    if (lx_elf_load(&p->space, prog, false, 0, &p->exe, err, sizeof(err))) {
        vm_error("%s: %s", o->program, err);
        return 1;
    }
    uint64_t entry = p->exe.entry, interp_base = 0;
    if (p->exe.interp[0]) {
        const char *ip = NULL;
        if (o->sysroot && (size_t)snprintf(ibuf, sizeof(ibuf), "%s%s", o->sysroot, p->exe.interp) < sizeof(ibuf) &&
            !access(ibuf, F_OK))
            ip = ibuf;
        else if (!access(p->exe.interp, F_OK))
            ip = p->exe.interp;
        if (!ip) {
            vm_error("%s: dynamic loader %s not found%s", o->program, p->exe.interp,
                     o->sysroot ? " under the -L sysroot" : "; give the guest's root with -L (e.g. -L /usr/riscv64-linux-gnu)");
            return 1;
        }
        if (lx_elf_load(&p->space, ip, true, p->exe.machine, &p->interp, err, sizeof(err))) {
            vm_error("%s: %s: %s", o->program, ip, err);
            return 1;
        }
        entry = p->interp.entry;
        interp_base = p->interp.lo;
    }
    p->space.brk_start = p->space.brk_cur = p->exe.brk;

    /* The stack: LX_STACK_SIZE below LX_STACK_TOP; executable only when
     * PT_GNU_STACK asks for it (or is missing). */
    int sprot = PROT_READ | PROT_WRITE | (p->exe.exec_stack ? PROT_EXEC : 0);
    if (lx_mmap(&p->space, p->space.stack_top - LX_STACK_SIZE, LX_STACK_SIZE, sprot,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) < 0) {
        vm_error("cannot map the guest stack");
        return 1;
    }
    /* The sigreturn trampoline (the vDSO's job on Linux), one page. */
    int64_t tramp = lx_mmap(&p->space, 0, LX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (tramp < 0) {
        vm_error("cannot map the signal trampoline");
        return 1;
    }
    memcpy(p->space.base + tramp, la->sigtramp, la->sigtramp_len);
    lx_mprotect(&p->space, (uint64_t)tramp, LX_PAGE_SIZE, PROT_READ | PROT_EXEC);
    p->sigtramp = (uint64_t)tramp;

    int envc;
    char **envp = lx_make_env(o, &envc);
    if (!envp) {
        vm_error("out of memory");
        return 1;
    }
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) memset(rnd, 0x5a, sizeof(rnd));
    char **argv = malloc(sizeof(char *) * ((size_t)o->argc + 1));
    if (!argv) return 1;
    for (int i = 0; i < o->argc; i++) argv[i] = o->argv[i];
    argv[o->argc] = NULL;
    if (o->argv0 && o->argc > 0) argv[0] = (char *)o->argv0;
    LxStackInfo si = {
        .argc = o->argc, .argv = argv, .envc = envc, .envp = envp,
        .execfn = o->program, .hwcap = la->hwcap, .hwcap2 = la->hwcap2, .platform = la->platform,
        .exe = &p->exe, .interp_base = interp_base, .random16 = rnd,
    };
    int64_t sp = lx_build_stack(&p->space, p->space.stack_top, &si);
    free(argv);
    free(envp);
    if (sp < 0) {
        vm_error("%s: cannot build the initial stack: %s", o->program, strerror((int)-sp));
        return 1;
    }

    CpuState *cpu = NULL;
    if (posix_memalign((void **)&cpu, 64, ga->cpu_size)) {
        vm_error("out of memory");
        return 1;
    }
    memset(cpu, 0, ga->cpu_size);
    cpu->arch = ga;
    cpu->mem = &lx_memops;
    cpu->guest_base = p->space.base;
    cpu->guest_limit = p->space.limit;
    cpu->opaque = p;
    if (engine->cpu_init && (r = engine->cpu_init(cpu))) {
        vm_error("engine %s: cannot initialise the vCPU: %s", engine->name, strerror(-r));
        return 1;
    }
    if (ga->cpu_reset) ga->cpu_reset(cpu);
    la->entry_setup(cpu, entry, (uint64_t)sp);
    p->cpu = cpu;
    cur_engine = engine;
    lx_code_changed = invalidate_code;
    lx_proc = p;
    lx_signal_init(p);

    if (o->gdb_port && gdb_user_start(p, cpu, o->gdb_port)) return 1; /* -g PORT */
    int status = run(p, cpu);
    gdb_user_exit(status);
    fflush(NULL);
    if (engine->cpu_free) engine->cpu_free(cpu);
    p->cpu = NULL;
    return status;
}
