/* SPDX-License-Identifier: MIT */
/* The one entry point engines use to get IR for a guest block: runs the
 * arch's translator, then the checks and logs every block shares. */
#include <inttypes.h>
#include <stdlib.h>

#include "config.h"
#include "vm/arch.h"
#include "vm/disas.h"
#include "vm/gdbstub.h"
#include "vm/ir.h"
#include "vm/log.h"

/* -- Debugger support (gdb stub) ------------------------------------------------------
 * Breakpoints: a block never runs past one; a block starting at one raises
 * EXCP_DEBUG before its instruction. Debug blocks (tb_flags has
 * CPU_TB_FLAG_DEBUG: single step, value watchpoints) hold one instruction and
 * start with gdb_debug_check, which stops once the step's instruction has run.
 * The engines need nothing of their own: EXCP_DEBUG is a raise like any other,
 * and the glue drops translations when breakpoints change. */

static uint64_t helper_gdb_check(CpuState *cpu, uint64_t pc)
{
    gdb_debug_check(cpu, pc);
    return 0;
}

static const IrHelper gdb_check_h = {"gdb_check", (void *)helper_gdb_check, 1, IR_VOID,
                                     IR_HELPER_MAY_RAISE};

/* Keeps the first `keep` guest instructions (insn_starts with a length) and
 * ends the block with a jump to the next one. Cutting at an insn_start is
 * safe: each instruction's IR uses only values defined before it. */
static void keep_insns(IrBlock *b, unsigned keep)
{
    unsigned seen = 0;
    uint32_t size = 0;
    for (uint32_t i = 0; i < b->ninsns; i++) {
        const IrInsn *in = &b->insns[i];
        if (in->op != IR_OP_insn_start || !in->aux) continue;
        if (seen == keep) {
            uint64_t next = in->imm;
            b->ninsns = i;
            b->guest_size = size;
            b->guest_insns = keep;
            ir_goto(b, next, 0);
            return;
        }
        seen++;
        size += in->aux;
    }
}

/* Index of the first instruction after the first one that has a breakpoint, or 0. */
static unsigned first_bp_insn(const IrBlock *b)
{
    unsigned idx = 0;
    for (uint32_t i = 0; i < b->ninsns; i++) {
        const IrInsn *in = &b->insns[i];
        if (in->op != IR_OP_insn_start || !in->aux) continue;
        if (idx > 0 && gdb_bp_at(in->imm) >= 0) return idx;
        idx++;
    }
    return 0;
}

void frontend_translate(CpuState *cpu, IrBlock *b, uint64_t pc)
{
    const GuestArch *ga = cpu->arch;
    ir_block_reset(b, pc, ga->tb_flags(cpu));
    bool dbg = (b->flags & CPU_TB_FLAG_DEBUG) != 0;
    bool bps = __atomic_load_n(&gdb_nbp, __ATOMIC_ACQUIRE) != 0;
    if (dbg) {
        ir_insn_start(b, pc, 0);
        ir_call(b, &gdb_check_h, ir_i64(b, pc), IR_NONE, IR_NONE, IR_NONE);
    }
    if (bps && gdb_bp_at(pc) >= 0) {
        /* In a debug block after the check: the step that arrives here stops
         * as a step; one that starts here (gdb did not step over it) stops
         * as the breakpoint, without running it. */
        if (!dbg) ir_insn_start(b, pc, 0);
        ir_raise(b, EXCP_DEBUG, ir_i64(b, pc));
    } else {
        ga->translate(cpu, b, pc);
        unsigned cut = dbg ? 1 : bps ? first_bp_insn(b) : 0;
        if (cut) keep_insns(b, cut);
    }

#ifdef CONFIG_DEBUG
    const bool verify = true;
#else
    const bool verify = log_enabled(LOG_IR, LOG_DEBUG);
#endif
    if (verify) {
        char err[256];
        if (!ir_verify(b, err, sizeof(err))) {
            /* A frontend produced invalid IR: a vm bug, not the guest's doing.
             * Stop here, with the evidence, before an engine misbehaves. */
            FILE *f = log_file ? log_file : stderr;
            fprintf(f, "vm: internal error: invalid IR for %s block at 0x%" PRIx64 ": %s\n",
                    ga->name, pc, err);
            ir_print(b, f);
            fflush(f);
            abort();
        }
    }

    if (logd_enabled(LOGD_IN_ASM | LOGD_IR)) {
        FILE *f = log_file;
        flockfile(f); /* keep a block's lines together across vCPU threads */
        if (logd_enabled(LOGD_IN_ASM)) {
            fprintf(f, "----------------\nIN: 0x%" PRIx64 "\n", pc);
            disas_log_guest(cpu, pc, b->guest_size, f);
            fputc('\n', f);
        }
        if (logd_enabled(LOGD_IR)) {
            fprintf(f, "IR:\n");
            ir_print(b, f);
            fputc('\n', f);
        }
        funlockfile(f);
    }
}

/* -- Block entry logs ---------------------------------------------------------------- */

void frontend_log_block(CpuState *cpu, uint64_t pc, uint64_t flags)
{
    FILE *f = log_file ? log_file : stderr;
    flockfile(f); /* one vCPU's header and dump stay together with -smp N */
    if (logd_enabled(LOGD_EXEC))
        fprintf(f, "exec: cpu %d pc 0x%016" PRIx64 " flags 0x%" PRIx64 "\n", cpu->cpu_index, pc,
                flags);
    if (logd_enabled(LOGD_CPU)) {
        fprintf(f, "cpu %d pc 0x%016" PRIx64 ":\n", cpu->cpu_index, pc);
        if (cpu->arch->dump_regs)
            cpu->arch->dump_regs(cpu, f);
        else
            fprintf(f, "(no register dump for %s)\n", cpu->arch->name);
    }
    funlockfile(f);
}
