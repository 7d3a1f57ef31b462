/* SPDX-License-Identifier: MIT */
/* The architecture-neutral part of a vCPU's state, embedded first in every
 * guest's CPU structure (RvCpu, ...). Engines read these fields by offset;
 * the guest-specific registers follow and are named by the arch's IrRegInfo table.
 */
#ifndef VM_CPU_H
#define VM_CPU_H

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct GuestArch;

/* Floating-point control and status, shared by every guest's FP ops.
 * flags uses RISC-V's fflags layout (NV DZ OF UF NX) plus x86's denormal bit. */
enum {
    FP_FLAG_NX = 1u << 0, /* inexact */
    FP_FLAG_UF = 1u << 1, /* underflow */
    FP_FLAG_OF = 1u << 2, /* overflow */
    FP_FLAG_DZ = 1u << 3, /* divide by zero */
    FP_FLAG_NV = 1u << 4, /* invalid */
    FP_FLAG_DE = 1u << 5, /* denormal operand (x86 DE, AArch64 IDC) */
};

/* FpCtl.mode bits: how this guest's FPU treats NaNs and denormals. */
enum {
    FP_MODE_NAN_MASK = 3u,
    FP_MODE_NAN_CANON = 0u,    /* RISC-V: every NaN result is the canonical qNaN 0x7fc00000 / 0x7ff8... */
    FP_MODE_NAN_ARM = 1u,      /* AArch64 propagation rules (sNaN first, then a, b, c) */
    FP_MODE_NAN_X86 = 2u,      /* x86 SSE: first NaN operand quieted, default NaN negative */
    FP_MODE_NAN_PPC = 3u,      /* Power: first NaN operand (a, c, b order for fma) quieted */
    FP_MODE_DN = 1u << 2,      /* default-NaN mode (AArch64 FPCR.DN) */
    FP_MODE_FZ = 1u << 3,      /* flush denormal results to zero (FPCR.FZ, MXCSR.FTZ) */
    FP_MODE_DAZ = 1u << 4,     /* denormal inputs are zero (MXCSR.DAZ, FPCR.FZ) */
    FP_MODE_TININESS_BEFORE = 1u << 5, /* detect tininess before rounding (AArch64) */
};

typedef struct FpCtl {
    uint32_t rm;    /* IrRound used by IR_RM_DYN */
    uint32_t flags; /* accrued FP_FLAG_* */
    uint32_t mode;  /* FP_MODE_* */
    uint32_t pad;
} FpCtl;

/* Exception codes an engine reports when execution leaves guest code.
 * The architecture-neutral ones are below EXCP_ARCH_BASE; a guest's own
 * system-mode trap causes are EXCP_ARCH_BASE + cause. */
enum {
    EXCP_NONE = 0,
    EXCP_INTERRUPT,  /* exit_request was set (signal, interrupt, stop) */
    EXCP_SYSCALL,    /* system call instruction; pc = its address */
    EXCP_ILLEGAL,    /* illegal or unsupported instruction; fault_addr = encoding */
    EXCP_BREAKPOINT, /* breakpoint instruction */
    EXCP_SEGV,       /* inaccessible address; fault_addr = guest address */
    EXCP_BUS,        /* misaligned access that must fault; fault_addr = address */
    EXCP_FPE,        /* integer divide fault (x86) */
    EXCP_HALT,       /* wait-for-interrupt */
    EXCP_DEBUG,      /* debugger stop (breakpoint, single step, watchpoint): see CpuDebug */
    EXCP_ARCH_BASE = 0x100,
};

/* fault_code values for EXCP_SEGV. */
enum { FAULT_MAPERR = 1, FAULT_ACCERR = 2 };

/* Access kinds for memory callbacks. */
typedef enum MemAccess { MEM_READ = 0, MEM_WRITE = 1, MEM_EXEC = 2 } MemAccess;

typedef struct CpuState CpuState;

/* -- Debugger state (gdb stub, include/vm/gdbstub.h) ------------------------------
 * Either flag makes the arch's tb_flags carry CPU_TB_FLAG_DEBUG: such blocks
 * hold one guest instruction and start with a check (frontend_translate) that
 * stops the vCPU with EXCP_DEBUG once one instruction has run, so a step is
 * exact in every engine. */
enum {
    CPU_DEBUG_STEP = 1u << 0,    /* gdb single-steps this vCPU */
    CPU_DEBUG_SWWATCH = 1u << 1, /* value-compare watchpoints (user mode) before each insn */
};
#define CPU_TB_FLAG_DEBUG (1ull << 63)
/* tb_flags bit: FpCtl.mode has none of FP_MODE_FZ, FP_MODE_DAZ,
 * FP_MODE_NAN_X86 whenever the block runs (the arch guarantees the mode can
 * change only by ending the block), so the JIT's FP fast paths need no
 * per-op mode test. */
#define CPU_TB_FLAG_FP_PLAIN (1ull << 62)

/* Why the last EXCP_DEBUG (CpuDebug.reason). */
enum { CPU_STOP_NONE = 0, CPU_STOP_BREAK, CPU_STOP_STEP, CPU_STOP_WATCH };

typedef struct CpuDebug {
    uint32_t flags;     /* CPU_DEBUG_* */
    uint32_t step_done; /* a debug block already ran its instruction */
    uint32_t reason;    /* CPU_STOP_* of the last EXCP_DEBUG (NONE: a breakpoint block) */
    uint32_t wtype;     /* watchpoint hit: GDB_WP_WRITE/READ/ACCESS */
    uint64_t waddr;     /* watchpoint hit: the address the access touched */
    /* Value watchpoints: the registers before the current instruction. */
    void *ckpt;
    uint64_t ckpt_pc;
    FpCtl ckpt_fp;
    uint32_t ckpt_valid;
} CpuDebug;

/* Guest memory, for the engines' slow paths and the frontends' code fetch.
 * User mode fills guest_base/guest_limit and engines address memory directly;
 * system mode (guest_base == NULL) goes through these callbacks. */
typedef struct MemOps {
    /* Copies `len` bytes of guest code at va into buf. Returns 0, or -EFAULT
     * when any of it is not executable (no exception is raised). */
    int (*fetch)(CpuState *cpu, uint64_t va, void *buf, unsigned len);
    /* Slow-path data access (system mode): returns the value / raises. */
    uint64_t (*load)(CpuState *cpu, uint64_t va, unsigned memop);
    void (*store)(CpuState *cpu, uint64_t va, uint64_t val, unsigned memop);
    /* Host pointer for an atomic access of `size` bytes at va, or raises. */
    void *(*atomic_ptr)(CpuState *cpu, uint64_t va, unsigned size);
} MemOps;

struct CpuState {
    /* ORDER: hot fields first; engines use offsetof() on these. */
    uint64_t pc;               /* guest pc at block boundaries / faulting insn */
    uint8_t *guest_base;       /* user mode: host address of guest address 0 */
    uint64_t guest_limit;      /* user mode: guest addresses are [0, guest_limit) */
    volatile int exit_request; /* set asynchronously to stop at the next block */
    int exception;             /* EXCP_* reported by the last exit */
    FpCtl fp;
    uint64_t fault_addr;       /* EXCP_SEGV/BUS address, EXCP_ILLEGAL encoding */
    int fault_code;            /* FAULT_* */
    MemAccess fault_access;
    /* LR/SC reservation (user mode emulates SC with compare-and-swap). */
    uint64_t res_addr;
    uint64_t res_val;
    int res_valid;
    int cpu_index;
    const MemOps *mem;
    const struct GuestArch *arch;
    void *engine;   /* engine-private per-vCPU data */
    void *opaque;   /* owner: user-mode process or machine */
    sigjmp_buf jmp_env; /* engines' exit point for faults raised mid-block */
    volatile int in_guest; /* host SIGSEGV in the guest space is a guest fault */
    /* System mode: halt (WFI) / wake-up, see cpu_kick and cpu_halt_wait. */
    pthread_mutex_t halt_lock;
    pthread_cond_t halt_cond;
    int halted;
    void *tlb; /* system mode: the vCPU's unified TLB (src/mem) */
    CpuDebug debug; /* gdb stub: changed only while the vCPU is stopped */
};

/* The bit every arch's tb_flags ORs in: debug blocks are cached apart. */
static inline uint64_t cpu_tb_debug_flag(const CpuState *cpu)
{
    return cpu->debug.flags ? CPU_TB_FLAG_DEBUG : 0;
}

/* Initialises the fields above that need it (locks); engines and arches own the rest. */
void cpu_common_init(CpuState *cpu);
/* Makes the vCPU leave guest code at the next block boundary and wakes it if
 * it is halted. Safe from any thread and from signal handlers' callers. */
void cpu_kick(CpuState *cpu);
/* Sleeps until has_work(cpu) or a kick; returns at once when it already has work. */
void cpu_halt_wait(CpuState *cpu, bool (*has_work)(CpuState *cpu));

/* Leaves guest code from anywhere below an engine's exec loop (helpers, memory
 * slow paths, the host fault handler): records the exception and jumps back. */
_Noreturn void cpu_raise(CpuState *cpu, int excp, uint64_t fault_addr);

#endif
