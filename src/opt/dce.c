/* SPDX-License-Identifier: MIT */
/* Dead pure computations (include/vm/opt.h): one backward pass marks what is
 * used; an instruction without side effects whose result nobody reads goes.
 * Guest state at every fault and exit is unchanged: only temps disappear. */
#include <stdlib.h>
#include <string.h>

#include "vm/opt.h"

unsigned opt_drop_unused(IrBlock *b)
{
    uint8_t *used = calloc(b->ntemps ? b->ntemps : 1, 1);
    if (!used) abort(); /* host OOM */
    const unsigned keep = IR_OPF_SIDE | IR_OPF_FAULT | IR_OPF_EXIT | IR_OPF_MEM | IR_OPF_FP;
    unsigned dropped = 0;
    for (uint32_t i = b->ninsns; i-- > 0;) {
        IrInsn *in = &b->insns[i];
        if (in->dst != IR_NONE && !used[in->dst] && !(ir_op_info[in->op].flags & keep) &&
            in->op != IR_OP_call) {
            *in = (IrInsn){.op = IR_OP_nop, .type = IR_VOID};
            dropped++;
            continue;
        }
        for (unsigned k = 0; k < IR_MAX_ARGS; k++)
            if (in->args[k] != IR_NONE) used[in->args[k]] = 1;
    }
    free(used);
    if (dropped) ir_remove_nops(b);
    return dropped;
}
