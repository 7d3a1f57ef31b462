/* SPDX-License-Identifier: MIT */
/* AArch64 cryptographic extension and CRC32 (FEAT_AES, FEAT_SHA1, FEAT_SHA256,
 * FEAT_CRC32): IR helpers on the V register file. Semantics from DDI 0487
 * C7.2 (AESE .. SHA256SU1) and C6.2 (CRC32*); the AES S-box and field
 * arithmetic are computed from their FIPS-197 definitions (sections 4.2 and
 * 5.1.1), not tabulated by hand. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "frontend/aarch64/a64_cpu.h"

#include "a64_internal.h"

/* -- GF(2^8) and the S-box (FIPS-197 4.2, 5.1.1) ------------------------------------- */

/* Multiplication modulo x^8 + x^4 + x^3 + x + 1. */
static uint8_t gmul(uint8_t a, uint8_t b)
{
    uint8_t p = 0;
    for (int i = 0; i < 8; i++) {
        if (b & 1) p ^= a;
        b >>= 1;
        a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
    }
    return p;
}

static uint8_t sbox[256], inv_sbox[256];
static uint32_t crc_tab[2][256]; /* CRC32, CRC32C: reflected byte tables */

static uint8_t rotl8(uint8_t x, int n) { return (uint8_t)((x << n) | (x >> (8 - n))); }

__attribute__((constructor)) static void crypto_tables_init(void)
{
    for (int x = 0; x < 256; x++) {
        /* Multiplicative inverse (0 maps to 0): x^254. */
        uint8_t inv = 0;
        if (x) {
            uint8_t r = 1, b = (uint8_t)x;
            for (int e = 254; e; e >>= 1) {
                if (e & 1) r = gmul(r, b);
                b = gmul(b, b);
            }
            inv = r;
        }
        /* Affine transformation: b ^ rotl(b,1..4) ^ 0x63. */
        uint8_t s = (uint8_t)(inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63);
        sbox[x] = s;
        inv_sbox[s] = (uint8_t)x;
    }
    /* CRC32 polynomial 0x04C11DB7, CRC32C 0x1EDC6F41, bit-reflected (the
     * instructions process the data least significant bit first). */
    static const uint32_t poly[2] = {0xedb88320u, 0x82f63b78u};
    for (int k = 0; k < 2; k++)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int j = 0; j < 8; j++) c = (c >> 1) ^ (poly[k] & (0u - (c & 1)));
            crc_tab[k][i] = c;
        }
}

/* -- CRC32 (C6.2 CRC32B..CRC32CX) ------------------------------------------------------
 * Pseudocode: BitReverse(acc):Zeros(size) EOR BitReverse(val):Zeros(32),
 * reduced modulo the polynomial, bit-reversed: the reflected CRC update of
 * acc with the bytes of val, low byte first, without pre/post inversion.
 * desc: bits 0-3 size in bytes, bit 4 CRC32C. */
static uint64_t helper_crc32(CpuState *cpu, uint64_t acc, uint64_t val, uint64_t desc)
{
    (void)cpu;
    unsigned n = (unsigned)(desc & 15);
    const uint32_t *t = crc_tab[(desc >> 4) & 1];
    uint32_t c = (uint32_t)acc;
    for (unsigned i = 0; i < n; i++) c = (c >> 8) ^ t[(c ^ (uint8_t)(val >> (8 * i))) & 0xff];
    return c;
}

const IrHelper a64_helper_crc32 = {"a64_crc32", (void *)helper_crc32, 3, IR_I64, IR_HELPER_PURE};

/* -- AES (C7.2 AESE, AESD, AESMC, AESIMC) ----------------------------------------------
 * The state is the 16 bytes of the register, column-major: byte r + 4c is
 * row r, column c (FIPS-197 3.4). */

static void shift_rows(uint8_t *s, bool inv)
{
    uint8_t t[16];
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) {
            int from = inv ? (c - r + 4) & 3 : (c + r) & 3;
            t[r + 4 * c] = s[r + 4 * from];
        }
    memcpy(s, t, 16);
}

static void mix_columns(uint8_t *s, bool inv)
{
    static const uint8_t fwd[4] = {2, 3, 1, 1}, bwd[4] = {14, 11, 13, 9};
    const uint8_t *k = inv ? bwd : fwd;
    for (int c = 0; c < 4; c++) {
        uint8_t col[4], out[4];
        memcpy(col, s + 4 * c, 4);
        for (int r = 0; r < 4; r++) {
            out[r] = 0;
            for (int j = 0; j < 4; j++) out[r] ^= gmul(k[(j - r + 4) & 3], col[j]);
        }
        memcpy(s + 4 * c, out, 4);
    }
}

/* -- SHA-1 / SHA-256 (C7.2 SHA1C .. SHA256SU1; J1 shared/functions/crypto) ------------ */

static uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> ((32 - n) & 31)); }
static uint32_t ror32(uint32_t x, int n) { return (x >> n) | (x << ((32 - n) & 31)); }
static uint32_t sha_choose(uint32_t x, uint32_t y, uint32_t z) { return ((y ^ z) & x) ^ z; }
static uint32_t sha_parity(uint32_t x, uint32_t y, uint32_t z) { return x ^ y ^ z; }
static uint32_t sha_majority(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | ((x | y) & z); }

/* SHA1C/P/M: four rounds on X (a..d in lanes 0..3), Y = e, W = four schedule words. */
static void sha1_rounds(uint32_t x[4], uint32_t y, const uint32_t w[4], int kind)
{
    for (int e = 0; e < 4; e++) {
        uint32_t t = kind == 0 ? sha_choose(x[1], x[2], x[3])
                   : kind == 1 ? sha_parity(x[1], x[2], x[3]) : sha_majority(x[1], x[2], x[3]);
        y = y + rol32(x[0], 5) + t + w[e];
        x[1] = rol32(x[1], 30);
        /* <Y, X> = ROL(Y:X, 32) */
        uint32_t top = x[3];
        x[3] = x[2];
        x[2] = x[1];
        x[1] = x[0];
        x[0] = y;
        y = top;
    }
}

/* SHA256hash(X, Y, W, part1). */
static void sha256_hash(uint32_t x[4], uint32_t y[4], const uint32_t w[4])
{
    for (int e = 0; e < 4; e++) {
        uint32_t chs = sha_choose(y[0], y[1], y[2]);
        uint32_t maj = sha_majority(x[0], x[1], x[2]);
        uint32_t s1 = ror32(y[0], 6) ^ ror32(y[0], 11) ^ ror32(y[0], 25);
        uint32_t s0 = ror32(x[0], 2) ^ ror32(x[0], 13) ^ ror32(x[0], 22);
        uint32_t t = y[3] + s1 + chs + w[e];
        x[3] = t + x[3];
        y[3] = t + s0 + maj;
        /* <Y, X> = ROL(Y:X, 32) over 256 bits. */
        uint32_t xt = x[3], yt = y[3];
        for (int i = 3; i > 0; i--) {
            x[i] = x[i - 1];
            y[i] = y[i - 1];
        }
        x[0] = yt;
        y[0] = xt;
    }
}

static uint64_t helper_crypto(CpuState *cpu, uint64_t desc)
{
    A64Cpu *c = a64_cpu(cpu);
    int op = (int)(desc & 0xff), rd = (int)(desc >> 8) & 31, rn = (int)(desc >> 16) & 31;
    int rm = (int)(desc >> 24) & 31;
    uint8_t d[16], n[16], m[16];
    memcpy(d, c->v[rd], 16);
    memcpy(n, c->v[rn], 16);
    memcpy(m, c->v[rm], 16);
    uint32_t x[4], y[4], w[4], r[4];
    memcpy(x, d, 16);
    memcpy(y, n, 16);
    memcpy(w, m, 16);
    switch (op) {
    case A64_CR_AESE: case A64_CR_AESD: {
        bool inv = op == A64_CR_AESD;
        for (int i = 0; i < 16; i++) d[i] ^= n[i];
        shift_rows(d, inv);
        for (int i = 0; i < 16; i++) d[i] = inv ? inv_sbox[d[i]] : sbox[d[i]];
        break;
    }
    case A64_CR_AESMC: case A64_CR_AESIMC:
        memcpy(d, n, 16);
        mix_columns(d, op == A64_CR_AESIMC);
        break;
    case A64_CR_SHA1C: case A64_CR_SHA1P: case A64_CR_SHA1M:
        sha1_rounds(x, y[0], w, op - A64_CR_SHA1C);
        memcpy(d, x, 16);
        break;
    case A64_CR_SHA1SU0: /* op2<63:0>:op1<127:64> EOR op1 EOR op3 */
        r[0] = x[2] ^ x[0] ^ w[0];
        r[1] = x[3] ^ x[1] ^ w[1];
        r[2] = y[0] ^ x[2] ^ w[2];
        r[3] = y[1] ^ x[3] ^ w[3];
        memcpy(d, r, 16);
        break;
    case A64_CR_SHA1H: /* Sd = ROL(Sn, 30) */
        memset(d, 0, 16);
        r[0] = rol32(y[0], 30);
        memcpy(d, r, 4);
        break;
    case A64_CR_SHA1SU1: { /* T = X EOR LSR(Y, 32) */
        uint32_t t[4] = {x[0] ^ y[1], x[1] ^ y[2], x[2] ^ y[3], x[3]};
        r[0] = rol32(t[0], 1);
        r[1] = rol32(t[1], 1);
        r[2] = rol32(t[2], 1);
        r[3] = rol32(t[3], 1) ^ rol32(t[0], 2);
        memcpy(d, r, 16);
        break;
    }
    case A64_CR_SHA256H: /* SHA256hash(Vd, Vn, Vm, part1) */
        sha256_hash(x, y, w);
        memcpy(d, x, 16);
        break;
    case A64_CR_SHA256H2: /* SHA256hash(Vn, Vd, Vm, part2): the Y half */
        sha256_hash(y, x, w);
        memcpy(d, x, 16);
        break;
    case A64_CR_SHA256SU0: { /* T = op2<31:0>:op1<127:32> */
        uint32_t t[4] = {x[1], x[2], x[3], y[0]};
        for (int e = 0; e < 4; e++) r[e] = (ror32(t[e], 7) ^ ror32(t[e], 18) ^ (t[e] >> 3)) + x[e];
        memcpy(d, r, 16);
        break;
    }
    case A64_CR_SHA256SU1: { /* T0 = op3<31:0>:op2<127:32>, T1 = op3<127:64> */
        uint32_t t0[4] = {y[1], y[2], y[3], w[0]}, t1[2] = {w[2], w[3]};
        for (int e = 0; e < 4; e++) {
            uint32_t el = e < 2 ? t1[e] : r[e - 2];
            el = ror32(el, 17) ^ ror32(el, 19) ^ (el >> 10);
            r[e] = el + x[e] + t0[e];
        }
        memcpy(d, r, 16);
        break;
    }
    default:
        break;
    }
    memcpy(c->v[rd], d, 16);
    return 0;
}

const IrHelper a64_helper_crypto = {"a64_crypto", (void *)helper_crypto, 1, IR_VOID,
                                    IR_HELPER_READS_REGS | IR_HELPER_WRITES_REGS};
