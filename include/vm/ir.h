/* SPDX-License-Identifier: MIT */
/* The shared IR: what every frontend emits and every engine consumes.
 * A block is a straight-line list of instructions over single-assignment
 * temporaries, with side exits (goto_cond) and one terminating exit.
 * docs/ir.md is the prose reference; src/interp is the executable one.
 */
#ifndef VM_IR_H
#define VM_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* -- Types ---------------------------------------------------------------- */

typedef enum IrType {
    IR_VOID = 0,
    IR_I32,
    IR_I64,
    IR_F32,
    IR_F64,
    IR_V128,
    IR_TYPE_COUNT
} IrType;

/* Op property flags (ir_ops.def). */
enum {
    IR_OPF_SIDE = 1u << 0,        /* has an effect besides its dst: never dead */
    IR_OPF_FAULT = 1u << 1,       /* may raise a guest exception (needs a precise pc) */
    IR_OPF_EXIT = 1u << 2,        /* terminates the block */
    IR_OPF_COMMUT = 1u << 3,      /* args[0] and args[1] commute */
    IR_OPF_MEM = 1u << 4,         /* accesses guest memory */
    IR_OPF_FP = 1u << 5,          /* reads rounding mode / accrues FP exception flags */
    IR_OPF_READS_STATE = 1u << 6, /* result depends on guest state (not a pure function) */
};

typedef enum IrOp {
#define DEF(name, nargs, has_dst, flags) IR_OP_##name,
#include "vm/ir_ops.def"
#undef DEF
    IR_OP_COUNT
} IrOp;

typedef struct IrOpInfo {
    const char *name;
    uint8_t nargs;
    uint8_t has_dst;
    uint16_t flags;
} IrOpInfo;

extern const IrOpInfo ir_op_info[IR_OP_COUNT];

/* Conditions for setcond (and the frontends' branch translation). */
typedef enum IrCond {
    IR_COND_EQ,
    IR_COND_NE,
    IR_COND_LT, /* signed */
    IR_COND_GE,
    IR_COND_LE,
    IR_COND_GT,
    IR_COND_LTU, /* unsigned */
    IR_COND_GEU,
    IR_COND_LEU,
    IR_COND_GTU,
    IR_COND_TSTEQ, /* (a & b) == 0 */
    IR_COND_TSTNE, /* (a & b) != 0 */
    IR_COND_COUNT
} IrCond;

/* Memory op descriptor (imm of ld/st/lr/sc/cas/rmw).
 * ORDER: bit positions are read by the interpreter and later by the JIT. */
enum {
    IR_MO_SIZE_MASK = 7u,      /* log2 of the access size: 0..4 = 1..16 bytes */
    IR_MO_SIGN = 1u << 3,      /* sign-extend the loaded value to the dst type */
    IR_MO_BE = 1u << 4,        /* big-endian guest access */
    IR_MO_ALIGN = 1u << 5,     /* must be naturally aligned, else misaligned fault */
    IR_MO_ACQ = 1u << 6,       /* acquire ordering */
    IR_MO_REL = 1u << 7,       /* release ordering */
    IR_MO_EXEC = 1u << 8,      /* instruction fetch (permission check) */
    IR_MO_IDX_SHIFT = 12,      /* MMU index: privilege/translation regime, system mode */
    IR_MO_IDX_MASK = 0xfu << 12,
};
#define IR_MO_SIZE(mo) (1u << ((mo) & IR_MO_SIZE_MASK))

/* Read-modify-write operations (aux of rmw). */
typedef enum IrRmwOp {
    IR_RMW_XCHG,
    IR_RMW_ADD,
    IR_RMW_AND,
    IR_RMW_OR,
    IR_RMW_XOR,
    IR_RMW_ANDN, /* mem & ~val (AArch64 LDCLR) */
    IR_RMW_SMIN,
    IR_RMW_SMAX,
    IR_RMW_UMIN,
    IR_RMW_UMAX,
    IR_RMW_COUNT
} IrRmwOp;

/* Fence kinds (imm of fence), combinable. */
enum {
    IR_FENCE_LL = 1u << 0, /* earlier loads before later loads */
    IR_FENCE_LS = 1u << 1,
    IR_FENCE_SL = 1u << 2,
    IR_FENCE_SS = 1u << 3,
    IR_FENCE_ALL = 0xfu,
    IR_FENCE_INSN = 1u << 4, /* instruction-stream sync (fence.i, isb): engines drop stale code */
};

/* Rounding modes (imm of FP ops).  Values 0..4 match RISC-V's frm encoding. */
typedef enum IrRound {
    IR_RM_RNE = 0, /* to nearest, ties to even */
    IR_RM_RTZ = 1, /* toward zero */
    IR_RM_RDN = 2, /* toward -inf */
    IR_RM_RUP = 3, /* toward +inf */
    IR_RM_RMM = 4, /* to nearest, ties away from zero */
    IR_RM_RNO = 5, /* round to odd (internal use) */
    IR_RM_DYN = 7, /* the dynamic mode in CpuState.fp.rm */
} IrRound;

/* fma negation flags (aux of fma). */
enum {
    IR_FMA_NEG_PROD = 1u << 0, /* -(a*b) + c */
    IR_FMA_NEG_ADD = 1u << 1,  /*  (a*b) - c */
};

/* fmin/fmax variants (aux). */
typedef enum IrFMinMax {
    IR_FMM_NUM,     /* IEEE 754-2019 minimumNumber (RISC-V F/D 2.2): one NaN -> the other
                       operand, -0 < +0, sNaN raises NV, both NaN -> default NaN */
    IR_FMM_NUM2008, /* IEEE 754-2008 minNum (AArch64 FMINNM): an sNaN input gives NaN */
    IR_FMM_IEEE,    /* NaN-propagating min (AArch64 FMIN) */
    IR_FMM_X86,     /* x86 MINSD: a < b ? a : b, any NaN -> b, NV on any NaN */
} IrFMinMax;

/* fcmp conditions (imm); aux = 1 for signaling compares (NV on quiet NaN too). */
typedef enum IrFCmp {
    IR_FCMP_EQ,
    IR_FCMP_LT,
    IR_FCMP_LE,
    IR_FCMP_UN, /* unordered */
} IrFCmp;

/* fclass result bits (RISC-V's fclass layout, which every other arch can derive from). */
enum {
    IR_FCLASS_NEG_INF = 1u << 0,
    IR_FCLASS_NEG_NORMAL = 1u << 1,
    IR_FCLASS_NEG_SUBNORMAL = 1u << 2,
    IR_FCLASS_NEG_ZERO = 1u << 3,
    IR_FCLASS_POS_ZERO = 1u << 4,
    IR_FCLASS_POS_SUBNORMAL = 1u << 5,
    IR_FCLASS_POS_NORMAL = 1u << 6,
    IR_FCLASS_POS_INF = 1u << 7,
    IR_FCLASS_SNAN = 1u << 8,
    IR_FCLASS_QNAN = 1u << 9,
};

/* Conversion flags (aux of fcvt_f2i / fcvt_i2f). */
enum {
    IR_CVT_SIGNED = 1u << 0,   /* integer side is signed */
    IR_CVT_NAN_MASK = 3u << 1, /* f2i: what NaN and out-of-range inputs give */
    IR_CVT_NAN_MAX = 0u << 1,  /* RISC-V: saturate, NaN -> max */
    IR_CVT_NAN_ZERO = 1u << 1, /* AArch64: saturate, NaN -> 0 */
    IR_CVT_NAN_MIN = 2u << 1,  /* PPC: saturate, NaN -> min */
    IR_CVT_INDEF = 3u << 1,    /* x86: NaN and out-of-range -> 'integer indefinite' (MIN) */
};

/* fround flags (aux). */
enum {
    IR_FROUND_EXACT = 1u << 0, /* raise NX when the result differs (RISC-V fround vs froundnx) */
};

/* Exit flags (aux of goto / goto_ind). */
enum {
    IR_EXIT_NOCHAIN = 1u << 0, /* state that selects translations changed: look up again */
    IR_EXIT_CALL = 1u << 1,    /* hint: a call (return-address prediction) */
    IR_EXIT_RET = 1u << 2,     /* hint: a return */
};

/* -- Values, instructions, blocks -------------------------------------------- */

typedef uint32_t IrVal; /* index into IrBlock.temps; IR_NONE = no value */
#define IR_NONE ((IrVal)0)

enum { IR_TEMP_NORMAL = 0, IR_TEMP_CONST = 1 };

typedef struct IrTemp {
    uint8_t type; /* IrType */
    uint8_t kind; /* IR_TEMP_* */
    uint16_t pad;
    uint32_t def; /* index of the defining insn (normal temps) */
    uint64_t cval[2]; /* constant value (kind == CONST); V128 uses both words, little-endian */
} IrTemp;

#define IR_MAX_ARGS 4

typedef struct IrInsn {
    uint16_t op;   /* IrOp */
    uint8_t type;  /* IrType the op computes in (see docs/ir.md per op) */
    uint8_t pad;
    IrVal dst;
    IrVal args[IR_MAX_ARGS];
    uint32_t aux;
    uint64_t imm;
} IrInsn;

/* Guest register slot description, one table per guest architecture.
 * get/set name a slot; engines address it as (char *)cpu + offset. */
typedef struct IrRegInfo {
    const char *name;
    uint32_t offset; /* byte offset from the CpuState base */
    uint8_t type;    /* IrType of the slot */
} IrRegInfo;

/* Helper functions called by the `call` op. The function receives the CpuState
 * pointer first, then the call's non-NONE args as uint64_t (F32/F64 values as
 * their bit patterns; V128 not allowed), and returns uint64_t. */
enum {
    IR_HELPER_PURE = 1u << 0,        /* no side effects, reads no guest state */
    IR_HELPER_READS_REGS = 1u << 1,  /* reads guest registers from CpuState */
    IR_HELPER_WRITES_REGS = 1u << 2, /* writes guest registers in CpuState */
    IR_HELPER_MAY_RAISE = 1u << 3,   /* may raise a guest exception (does not return) */
    IR_HELPER_ENDS_BLOCK = 1u << 4,  /* changes state that selects translations */
};

typedef struct IrHelper {
    const char *name;
    void *fn;        /* uint64_t (*)(CpuState *, uint64_t...) with nargs args */
    uint8_t nargs;
    uint8_t ret_type; /* IrType, IR_VOID when none */
    uint16_t flags;   /* IR_HELPER_* */
} IrHelper;

typedef struct IrBlock {
    IrInsn *insns;
    uint32_t ninsns, cap_insns;
    IrTemp *temps; /* temps[0] is the IR_NONE placeholder */
    uint32_t ntemps, cap_temps;
    const IrRegInfo *regs; /* the guest's slot table */
    uint32_t nregs;
    uint64_t pc;        /* guest pc of the first instruction */
    uint64_t flags;     /* translation flags the block was built under */
    uint32_t guest_size;  /* bytes of guest code covered */
    uint32_t guest_insns; /* guest instructions covered */
    /* Block-local forwarding of get/set (see ir_get): last value per slot. */
    IrVal *slot_val;
} IrBlock;

/* -- Building -------------------------------------------------------------- */

void ir_block_init(IrBlock *b, const IrRegInfo *regs, uint32_t nregs);
void ir_block_reset(IrBlock *b, uint64_t pc, uint64_t flags);
void ir_block_free(IrBlock *b);

IrVal ir_temp(IrBlock *b, IrType t);
IrVal ir_const(IrBlock *b, IrType t, uint64_t v);
IrVal ir_const_v128(IrBlock *b, uint64_t lo, uint64_t hi);
static inline IrVal ir_i64(IrBlock *b, uint64_t v) { return ir_const(b, IR_I64, v); }
static inline IrVal ir_i32(IrBlock *b, uint32_t v) { return ir_const(b, IR_I32, v); }

static inline IrType ir_type_of(const IrBlock *b, IrVal v) { return (IrType)b->temps[v].type; }
static inline bool ir_is_const(const IrBlock *b, IrVal v)
{
    return v != IR_NONE && b->temps[v].kind == IR_TEMP_CONST;
}

/* Appends one instruction and returns it (for ops with unusual fields). */
IrInsn *ir_emit(IrBlock *b, IrOp op, IrType type, IrVal dst, IrVal a0, IrVal a1, IrVal a2,
                uint64_t imm, uint32_t aux);

/* Generic value-producing emitters: a new dst temp of dst_type. */
IrVal ir_op1(IrBlock *b, IrOp op, IrType type, IrVal a);
IrVal ir_op2(IrBlock *b, IrOp op, IrType type, IrVal a, IrVal c);
IrVal ir_op3(IrBlock *b, IrOp op, IrType type, IrVal a, IrVal c, IrVal d);
IrVal ir_opx(IrBlock *b, IrOp op, IrType type, IrType dst_type, IrVal a, IrVal c, IrVal d,
             uint64_t imm, uint32_t aux);

/* Guest registers. ir_get returns the value last set or read in this block
 * (forwarding), so a frontend may read a register many times for free. */
IrVal ir_get(IrBlock *b, unsigned slot);
void ir_set(IrBlock *b, unsigned slot, IrVal v);
/* Forget forwarded values (after a helper that reads/writes guest registers). */
void ir_forget_regs(IrBlock *b);

void ir_insn_start(IrBlock *b, uint64_t pc, unsigned len);

IrVal ir_setcond(IrBlock *b, IrType t, IrCond c, IrVal a, IrVal d);
IrVal ir_select(IrBlock *b, IrVal c, IrVal a, IrVal d);
IrVal ir_extract(IrBlock *b, IrType t, IrVal a, unsigned pos, unsigned len, bool sign);
IrVal ir_deposit(IrBlock *b, IrType t, IrVal a, IrVal v, unsigned pos, unsigned len);

IrVal ir_ld(IrBlock *b, IrType t, IrVal addr, unsigned memop);
void ir_st(IrBlock *b, IrVal addr, IrVal v, unsigned memop);
IrVal ir_lr(IrBlock *b, IrType t, IrVal addr, unsigned memop);
IrVal ir_sc(IrBlock *b, IrType t, IrVal addr, IrVal v, unsigned memop);
IrVal ir_cas(IrBlock *b, IrType t, IrVal addr, IrVal expect, IrVal nv, unsigned memop);
IrVal ir_rmw(IrBlock *b, IrType t, IrRmwOp op, IrVal addr, IrVal v, unsigned memop);
void ir_fence(IrBlock *b, unsigned kind);

/* FP: t is F32 or F64. */
IrVal ir_fop2(IrBlock *b, IrOp op, IrType t, IrVal a, IrVal c, IrRound rm);
IrVal ir_fsqrt(IrBlock *b, IrType t, IrVal a, IrRound rm);
IrVal ir_fma(IrBlock *b, IrType t, IrVal a, IrVal c, IrVal d, unsigned neg, IrRound rm);
IrVal ir_fminmax(IrBlock *b, bool max, IrType t, IrVal a, IrVal c, IrFMinMax variant);
IrVal ir_fcmp(IrBlock *b, IrType dst_type, IrType t, IrFCmp cond, bool signaling, IrVal a,
              IrVal c);
IrVal ir_fclass(IrBlock *b, IrType dst_type, IrType t, IrVal a);
IrVal ir_fcvt_f2i(IrBlock *b, IrType dst_type, IrType t, IrVal a, IrRound rm, unsigned cvt);
IrVal ir_fcvt_i2f(IrBlock *b, IrType dst_type, IrVal a, IrRound rm, unsigned cvt);
IrVal ir_fcvt_f2f(IrBlock *b, IrType dst_type, IrVal a, IrRound rm);
IrVal ir_fround(IrBlock *b, IrType t, IrVal a, IrRound rm, unsigned flags);
IrVal ir_bitcast(IrBlock *b, IrType dst_type, IrVal a);

/* Calls: up to 4 args; returns IR_NONE when the helper returns IR_VOID. */
IrVal ir_call(IrBlock *b, const IrHelper *h, IrVal a0, IrVal a1, IrVal a2, IrVal a3);

/* Exits. */
void ir_goto(IrBlock *b, uint64_t pc, unsigned exit_flags);
void ir_goto_cond(IrBlock *b, IrVal c, uint64_t pc);
void ir_goto_ind(IrBlock *b, IrVal pc, unsigned exit_flags);
void ir_raise(IrBlock *b, unsigned excp, IrVal tval);

/* Removes the nop instructions (passes turn dropped insns into nops first);
 * each kept temp's definition index moves with its insn. */
void ir_remove_nops(IrBlock *b);

/* -- Checking and printing ---------------------------------------------------- */

/* Returns true when the block is well-formed; otherwise writes one line
 * describing the first problem into err (when non-NULL). */
bool ir_verify(const IrBlock *b, char *err, size_t errlen);
void ir_print_insn(const IrBlock *b, const IrInsn *in, FILE *f);
void ir_print(const IrBlock *b, FILE *f);
const char *ir_type_name(IrType t);
const char *ir_cond_name(IrCond c);

#endif
