/* SPDX-License-Identifier: MIT */
/* The interpreter's checked memory paths: bounds, alignment, endianness, sign
 * extension, system-mode callbacks, and atomics (rmw, cas, lr/sc). */
#include <string.h>

#include "interp/interp_int.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the interpreter assumes a little-endian host (frame lanes, direct guest access)"
#endif

static _Noreturn __attribute__((cold)) void segv(CpuState *cpu, uint64_t addr, MemAccess acc)
{
    cpu->fault_code = FAULT_MAPERR;
    cpu->fault_access = acc;
    cpu_raise(cpu, EXCP_SEGV, addr);
}

static _Noreturn __attribute__((cold)) void bus(CpuState *cpu, uint64_t addr, MemAccess acc)
{
    cpu->fault_access = acc;
    cpu_raise(cpu, EXCP_BUS, addr);
}

/* User mode: the host address of [addr, addr+size), which must lie inside
 * [0, guest_limit). Written so that no addr can wrap past the check. */
static inline uint8_t *g2h(CpuState *cpu, uint64_t addr, unsigned size, MemAccess acc)
{
    if (cpu->guest_limit < size || addr > cpu->guest_limit - size) segv(cpu, addr, acc);
    return cpu->guest_base + addr;
}

static inline void check_align(CpuState *cpu, uint64_t addr, unsigned size, MemAccess acc)
{
    if (addr & (size - 1)) bus(cpu, addr, acc);
}

static inline uint64_t size_mask(unsigned lg) { return lg >= 3 ? ~0ull : (1ull << (8u << lg)) - 1; }

static inline uint64_t bswap_n(uint64_t v, unsigned lg)
{
    switch (lg) {
    case 1: return __builtin_bswap16((uint16_t)v);
    case 2: return __builtin_bswap32((uint32_t)v);
    case 3: return __builtin_bswap64(v);
    default: return v;
    }
}

static inline uint64_t sext_n(uint64_t v, unsigned lg)
{
    unsigned sh = 64 - (8u << lg);
    return (uint64_t)((int64_t)(v << sh) >> sh);
}

/* Loaded value (zero-extended, host order) -> dst slot value. */
static inline uint64_t to_dst(uint64_t v, unsigned mo, bool dst64)
{
    if (mo & IR_MO_SIGN) v = sext_n(v, mo & IR_MO_SIZE_MASK);
    return dst64 ? v : (uint32_t)v;
}

/* -- Loads and stores ------------------------------------------------------------
 * System mode: MemOps.load/store receive the full memop and deal in values in
 * host order (they apply size and endianness); the interpreter checks
 * alignment before and applies sign extension and the dst width after. */

uint64_t interp_ld(CpuState *cpu, uint64_t addr, unsigned mo, bool dst64)
{
    unsigned lg = mo & IR_MO_SIZE_MASK, size = 1u << lg;
    uint64_t v = 0;
    if (mo & IR_MO_ALIGN) check_align(cpu, addr, size, MEM_READ);
    if (cpu->guest_base) {
        memcpy(&v, g2h(cpu, addr, size, MEM_READ), size);
        if (mo & IR_MO_BE) v = bswap_n(v, lg);
    } else {
        v = cpu->mem->load(cpu, addr, mo) & size_mask(lg);
    }
    return to_dst(v, mo, dst64);
}

void interp_st(CpuState *cpu, uint64_t addr, uint64_t val, unsigned mo)
{
    unsigned lg = mo & IR_MO_SIZE_MASK, size = 1u << lg;
    if (mo & IR_MO_ALIGN) check_align(cpu, addr, size, MEM_WRITE);
    if (cpu->guest_base) {
        uint8_t *p = g2h(cpu, addr, size, MEM_WRITE);
        if (mo & IR_MO_BE) val = bswap_n(val, lg);
        memcpy(p, &val, size);
    } else {
        cpu->mem->store(cpu, addr, val & size_mask(lg), mo);
    }
}

/* V128: out[0] = low 64 bits. Little-endian: bytes in memory order; big-endian:
 * the 16 bytes reversed (the value's most significant byte at addr). System
 * mode does two 8-byte accesses. */
void interp_ld128(CpuState *cpu, uint64_t addr, unsigned mo, uint64_t *out)
{
    if (mo & IR_MO_ALIGN) check_align(cpu, addr, 16, MEM_READ);
    bool be = mo & IR_MO_BE;
    uint64_t w[2];
    if (cpu->guest_base) {
        /* Low half first, as two loads: a host fault then reports the
         * access's first byte (memcpy may read the upper half first). */
        const uint8_t *p = g2h(cpu, addr, 16, MEM_READ);
        memcpy(&w[0], p, 8);
        __asm__ volatile("" ::: "memory");
        memcpy(&w[1], p + 8, 8);
        if (be) {
            uint64_t t = __builtin_bswap64(w[0]);
            w[0] = __builtin_bswap64(w[1]);
            w[1] = t;
        }
    } else {
        unsigned mo8 = (mo & ~(IR_MO_SIZE_MASK | IR_MO_SIGN | IR_MO_ALIGN)) | 3;
        uint64_t x = cpu->mem->load(cpu, addr, mo8), y = cpu->mem->load(cpu, addr + 8, mo8);
        w[0] = be ? y : x;
        w[1] = be ? x : y;
    }
    out[0] = w[0];
    out[1] = w[1];
}

void interp_st128(CpuState *cpu, uint64_t addr, unsigned mo, const uint64_t *in)
{
    if (mo & IR_MO_ALIGN) check_align(cpu, addr, 16, MEM_WRITE);
    bool be = mo & IR_MO_BE;
    if (cpu->guest_base) {
        uint8_t *p = g2h(cpu, addr, 16, MEM_WRITE);
        uint64_t w[2] = {in[0], in[1]};
        if (be) {
            w[0] = __builtin_bswap64(in[1]);
            w[1] = __builtin_bswap64(in[0]);
        }
        memcpy(p, &w[0], 8); /* low half first (see interp_ld128) */
        __asm__ volatile("" ::: "memory");
        memcpy(p + 8, &w[1], 8);
    } else {
        unsigned mo8 = (mo & ~(IR_MO_SIZE_MASK | IR_MO_SIGN | IR_MO_ALIGN)) | 3;
        cpu->mem->store(cpu, addr, be ? in[1] : in[0], mo8);
        cpu->mem->store(cpu, addr + 8, be ? in[0] : in[1], mo8);
    }
}

/* -- Atomics ------------------------------------------------------------------------
 * Always naturally aligned (else EXCP_BUS), done with host __atomic builtins on
 * the guest location, sequentially consistent (at least as strong as any
 * IR_MO_ACQ/REL asked for). Values cross the memory in guest byte order. */

static void *atomic_ptr(CpuState *cpu, uint64_t addr, unsigned lg, MemAccess acc)
{
    unsigned size = 1u << lg;
    check_align(cpu, addr, size, acc);
    if (cpu->guest_base) return g2h(cpu, addr, size, acc);
    return cpu->mem->atomic_ptr(cpu, addr, size);
}

static inline uint64_t raw_of(uint64_t v, unsigned mo)
{
    unsigned lg = mo & IR_MO_SIZE_MASK;
    v &= size_mask(lg);
    return (mo & IR_MO_BE) ? bswap_n(v, lg) : v;
}
#define val_of raw_of /* byte swapping is its own inverse */

static uint64_t atomic_load_n(void *p, unsigned lg)
{
    switch (lg) {
    case 0: return __atomic_load_n((uint8_t *)p, __ATOMIC_SEQ_CST);
    case 1: return __atomic_load_n((uint16_t *)p, __ATOMIC_SEQ_CST);
    case 2: return __atomic_load_n((uint32_t *)p, __ATOMIC_SEQ_CST);
    default: return __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST);
    }
}

/* Compare-and-swap of raw values; *expect gets the value found. */
static bool atomic_cas_n(void *p, unsigned lg, uint64_t *expect, uint64_t nv)
{
#define CAS_(T)                                                                                \
    do {                                                                                       \
        T e_ = (T)*expect;                                                                     \
        bool ok_ = __atomic_compare_exchange_n((T *)p, &e_, (T)nv, false, __ATOMIC_SEQ_CST,    \
                                               __ATOMIC_SEQ_CST);                              \
        *expect = e_;                                                                          \
        return ok_;                                                                            \
    } while (0)
    switch (lg) {
    case 0: CAS_(uint8_t);
    case 1: CAS_(uint16_t);
    case 2: CAS_(uint32_t);
    default: CAS_(uint64_t);
    }
#undef CAS_
}

uint64_t interp_lr(CpuState *cpu, uint64_t addr, unsigned mo, bool dst64)
{
    unsigned lg = mo & IR_MO_SIZE_MASK;
    void *p = atomic_ptr(cpu, addr, lg, MEM_READ);
    uint64_t v = val_of(atomic_load_n(p, lg), mo);
    cpu->res_addr = addr;
    cpu->res_val = v;
    cpu->res_valid = 1;
    return to_dst(v, mo, dst64);
}

/* Emulated with compare-and-swap against the value lr saw (the ABA case
 * succeeds, as in QEMU's user mode). */
uint64_t interp_sc(CpuState *cpu, uint64_t addr, uint64_t val, unsigned mo)
{
    unsigned lg = mo & IR_MO_SIZE_MASK;
    void *p = atomic_ptr(cpu, addr, lg, MEM_WRITE);
    bool ok = cpu->res_valid && cpu->res_addr == addr;
    cpu->res_valid = 0;
    if (!ok) return 1;
    uint64_t expect = raw_of(cpu->res_val, mo);
    return atomic_cas_n(p, lg, &expect, raw_of(val, mo)) ? 0 : 1;
}

uint64_t interp_cas(CpuState *cpu, uint64_t addr, uint64_t expect, uint64_t nv, unsigned mo,
                    bool dst64)
{
    unsigned lg = mo & IR_MO_SIZE_MASK;
    void *p = atomic_ptr(cpu, addr, lg, MEM_WRITE);
    uint64_t e = raw_of(expect, mo);
    atomic_cas_n(p, lg, &e, raw_of(nv, mo));
    return to_dst(val_of(e, mo), mo, dst64);
}

static uint64_t rmw_apply(unsigned op, uint64_t old, uint64_t v, unsigned lg)
{
    int64_t so = (int64_t)sext_n(old, lg), sv = (int64_t)sext_n(v, lg);
    uint64_t m = size_mask(lg);
    old &= m;
    v &= m;
    switch (op) {
    case IR_RMW_XCHG: return v;
    case IR_RMW_ADD: return old + v;
    case IR_RMW_AND: return old & v;
    case IR_RMW_OR: return old | v;
    case IR_RMW_XOR: return old ^ v;
    case IR_RMW_ANDN: return old & ~v;
    case IR_RMW_SMIN: return so < sv ? old : v;
    case IR_RMW_SMAX: return so > sv ? old : v;
    case IR_RMW_UMIN: return old < v ? old : v;
    default: return old > v ? old : v; /* IR_RMW_UMAX (pre-decode checked the range) */
    }
}

uint64_t interp_rmw(CpuState *cpu, uint64_t addr, uint64_t val, unsigned mo, unsigned op,
                    bool dst64)
{
    unsigned lg = mo & IR_MO_SIZE_MASK;
    void *p = atomic_ptr(cpu, addr, lg, MEM_WRITE);
    uint64_t raw = atomic_load_n(p, lg), old;
    /* One CAS loop for every op and byte order: simplest correct form. */
    do {
        old = val_of(raw, mo);
    } while (!atomic_cas_n(p, lg, &raw, raw_of(rmw_apply(op, old, val, lg), mo)));
    return to_dst(old, mo, dst64);
}
