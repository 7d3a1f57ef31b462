/* SPDX-License-Identifier: MIT */
/* Start-up, trap entry and privilege switching for the bare-metal tests
 * (RISC-V privileged spec 1.12, 3.3.2 mret/sret, 3.1.7 mtvec). */
    .section .text.init
    .globl _start
_start:
    /* One hart runs the test: with -smp N the others would share its stack
     * and data (and race it, which valgrind's thread scheduling exposes). */
    csrr t0, mhartid
    bnez t0, park
    la sp, _stack_top
    la t0, _bss_start        /* loaders need not clear what the ELF leaves out */
    la t1, _bss_end
0:  bgeu t0, t1, 1f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 0b
1:
    la t0, m_trap_entry
    csrw mtvec, t0
    /* PMP entry 15: NAPOT over everything, RWX, so S/U may run; tests use
     * the lower-numbered entries to restrict (3.7.1: lowest match wins). */
    li t0, -1
    srli t0, t0, 10
    csrw pmpaddr15, t0
    li t0, 0x1f
    slli t0, t0, 56
    csrw pmpcfg2, t0
    call main
    /* fall through with a0 = 0 (pass) or the failure code */
    .globl bm_exit
bm_exit:
    li t0, 0x100000          /* sifive,test finisher */
    bnez a0, 1f
    li t1, 0x5555
    sw t1, 0(t0)
    j .
1:  slli a0, a0, 16
    li t1, 0x3333
    or a0, a0, t1
    sw a0, 0(t0)
    j .

park:
    wfi
    j park

/* uint64_t run_lower(uint64_t mpp, uint64_t (*fn)(uint64_t), uint64_t arg):
 * runs fn(arg) in privilege mpp (0 U, 1 S); fn returns through lower_ret,
 * whose magic ecall brings its a0 back here, in M-mode. */
    .globl run_lower
run_lower:
    la t0, m_ctx
    sd ra, 0(t0)
    sd sp, 8(t0)
    sd s0, 16(t0)
    sd s1, 24(t0)
    sd s2, 32(t0)
    sd s3, 40(t0)
    sd s4, 48(t0)
    sd s5, 56(t0)
    sd s6, 64(t0)
    sd s7, 72(t0)
    sd s8, 80(t0)
    sd s9, 88(t0)
    sd s10, 96(t0)
    sd s11, 104(t0)
    sd gp, 112(t0)
    sd tp, 120(t0)
    li t1, 0x1800
    csrc mstatus, t1
    slli t1, a0, 11
    csrs mstatus, t1
    csrw mepc, a1
    mv a0, a2
    la ra, lower_ret
    mret
    .globl lower_ret
lower_ret:
    li a7, 0x5a5a
    ecall
    j .

#define FRAME 256
.macro SAVE_REGS
    addi sp, sp, -FRAME
    sd x1, 8(sp)
    sd x3, 24(sp)
    sd x4, 32(sp)
    sd x5, 40(sp)
    sd x6, 48(sp)
    sd x7, 56(sp)
    sd x8, 64(sp)
    sd x9, 72(sp)
    sd x10, 80(sp)
    sd x11, 88(sp)
    sd x12, 96(sp)
    sd x13, 104(sp)
    sd x14, 112(sp)
    sd x15, 120(sp)
    sd x16, 128(sp)
    sd x17, 136(sp)
    sd x18, 144(sp)
    sd x19, 152(sp)
    sd x20, 160(sp)
    sd x21, 168(sp)
    sd x22, 176(sp)
    sd x23, 184(sp)
    sd x24, 192(sp)
    sd x25, 200(sp)
    sd x26, 208(sp)
    sd x27, 216(sp)
    sd x28, 224(sp)
    sd x29, 232(sp)
    sd x30, 240(sp)
    sd x31, 248(sp)
.endm
.macro RESTORE_REGS
    ld x1, 8(sp)
    ld x3, 24(sp)
    ld x4, 32(sp)
    ld x5, 40(sp)
    ld x6, 48(sp)
    ld x7, 56(sp)
    ld x8, 64(sp)
    ld x9, 72(sp)
    ld x10, 80(sp)
    ld x11, 88(sp)
    ld x12, 96(sp)
    ld x13, 104(sp)
    ld x14, 112(sp)
    ld x15, 120(sp)
    ld x16, 128(sp)
    ld x17, 136(sp)
    ld x18, 144(sp)
    ld x19, 152(sp)
    ld x20, 160(sp)
    ld x21, 168(sp)
    ld x22, 176(sp)
    ld x23, 184(sp)
    ld x24, 192(sp)
    ld x25, 200(sp)
    ld x26, 208(sp)
    ld x27, 216(sp)
    ld x28, 224(sp)
    ld x29, 232(sp)
    ld x30, 240(sp)
    ld x31, 248(sp)
    addi sp, sp, FRAME
.endm

    .balign 4
    .globl m_trap_entry
m_trap_entry:
    SAVE_REGS
    csrr t0, mcause
    addi t0, t0, -8
    li t1, 1
    bgtu t0, t1, 2f          /* not an ecall from U or S */
    ld t2, 136(sp)           /* a7 */
    li t1, 0x5a5a
    bne t2, t1, 2f
    ld a0, 80(sp)            /* back to run_lower's caller with fn's a0 */
    la t0, m_ctx
    ld ra, 0(t0)
    ld sp, 8(t0)
    ld s0, 16(t0)
    ld s1, 24(t0)
    ld s2, 32(t0)
    ld s3, 40(t0)
    ld s4, 48(t0)
    ld s5, 56(t0)
    ld s6, 64(t0)
    ld s7, 72(t0)
    ld s8, 80(t0)
    ld s9, 88(t0)
    ld s10, 96(t0)
    ld s11, 104(t0)
    ld gp, 112(t0)
    ld tp, 120(t0)
    ret
2:  mv a0, sp
    call m_trap_handler
    RESTORE_REGS
    mret

    .balign 4
    .globl s_trap_entry
s_trap_entry:
    SAVE_REGS
    mv a0, sp
    call s_trap_handler
    RESTORE_REGS
    sret

    .bss
    .balign 8
m_ctx: .space 128
