/* SPDX-License-Identifier: MIT */
/* Shared unit-test helper: an x86-64 emitter call checked against capstone's
 * disassembly (test_jit, test_jit_vec). ENC(name, body, want) defines
 * test_enc_name, which emits `body` (X64Emit *e in scope) and expects the
 * instructions `want` ("mnemonic ops; mnemonic ops"), every byte decoded. */
#ifndef VM_TEST_EXPECT_ASM_H
#define VM_TEST_EXPECT_ASM_H

#include <stdio.h>
#include <string.h>

#include <capstone.h>

#include "jit/backend/x86_64/x64_emit.h"

static void expect_asm(void (*emit)(X64Emit *), const char *want)
{
    uint8_t buf[64];
    X64Emit e;
    x64_init(&e, buf, sizeof(buf));
    emit(&e);
    csh h;
    assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK);
    cs_insn *insn;
    size_t n = cs_disasm(h, buf, x64_size(&e), 0x1000, 0, &insn);
    char got[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s%s%s", i ? "; " : "",
                                 insn[i].mnemonic, insn[i].op_str[0] ? " " : "", insn[i].op_str);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) bytes += insn[i].size;
    if (n) cs_free(insn, n);
    cs_close(&h);
    if (strcmp(got, want) || bytes != x64_size(&e))
        fail_msg("encoded '%s' (%zu of %zu bytes decoded), want '%s'", got, bytes, x64_size(&e), want);
}

#define ENC(name, body, want)                                                                  \
    static void enc_##name(X64Emit *e) { body; }                                               \
    static void test_enc_##name(void **s) { (void)s; expect_asm(enc_##name, want); }

#endif
