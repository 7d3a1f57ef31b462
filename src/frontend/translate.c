/* SPDX-License-Identifier: MIT */
/* The one entry point engines use to get IR for a guest block: runs the
 * arch's translator, then the checks and logs every block shares. */
#include <inttypes.h>
#include <stdlib.h>

#include "config.h"
#include "vm/arch.h"
#include "vm/disas.h"
#include "vm/ir.h"
#include "vm/log.h"

void frontend_translate(CpuState *cpu, IrBlock *b, uint64_t pc)
{
    const GuestArch *ga = cpu->arch;
    ir_block_reset(b, pc, ga->tb_flags(cpu));
    ga->translate(cpu, b, pc);

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
