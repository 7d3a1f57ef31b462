/* SPDX-License-Identifier: MIT */
/* Unit tests of the RISC-V privileged architecture: trap entry, delegation,
 * vectored interrupts, xRET, interrupt priorities, CSR access rules; and the
 * bare-metal programs of tests/baremetal run on a miniature virt machine. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "vm/engine.h"
#include "vm/log.h"
#include "vm/timer.h"

#include "rv_sys_fixture.h"


static int setup(void **state) { (void)state; fx_setup(); return 0; }
static int teardown(void **state) { (void)state; fx_teardown(); return 0; }

#define MSTATUS_MPP_S (1ull << MSTATUS_MPP_SHIFT)

/* -- Trap entry and return ----------------------------------------------------------- */

static void test_trap_to_m_and_mret(void **state)
{
    RvCpu *rv = fx.rv;
    rv->mtvec = 0x80000100;
    rv->mstatus |= MSTATUS_MIE;
    fx.cpu->pc = 0x80001000;
    fx.cpu->fault_addr = 0x12345;
    rv_do_exception(fx.cpu, EXCP_ILLEGAL);
    assert_int_equal(rv->mcause, RV_EXC_ILLEGAL);
    assert_int_equal(rv->mtval, 0x12345);
    assert_int_equal(rv->mepc, 0x80001000);
    assert_int_equal(fx.cpu->pc, 0x80000100);
    assert_int_equal(rv->mstatus & (MSTATUS_MIE | MSTATUS_MPIE), MSTATUS_MPIE);
    assert_int_equal((rv->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, RV_PRV_M);
    /* mret to S */
    rv->mstatus = (rv->mstatus & ~MSTATUS_MPP) | MSTATUS_MPP_S | MSTATUS_MPRV;
    rv->mepc = 0x80002000;
    assert_int_equal(rv_helper_mret(fx.cpu, 0), 0x80002000);
    assert_int_equal(rv->priv, RV_PRV_S);
    assert_true(rv->mstatus & MSTATUS_MIE);
    assert_true(rv->mstatus & MSTATUS_MPIE);
    assert_false(rv->mstatus & MSTATUS_MPRV); /* returning below M clears MPRV */
    assert_int_equal(rv->mstatus & MSTATUS_MPP, 0);
}

static void test_delegation_and_sret(void **state)
{
    RvCpu *rv = fx.rv;
    rv->stvec = 0x80000200;
    rv->mtvec = 0x80000100;
    rv->medeleg = 1u << RV_EXC_ECALL_U;
    rv->priv = RV_PRV_U;
    rv->mstatus |= MSTATUS_SIE;
    fx.cpu->pc = 0x1000;
    fx.cpu->fault_addr = 0;
    rv_do_exception(fx.cpu, EXCP_ARCH_BASE + RV_EXC_ECALL_U);
    assert_int_equal(rv->priv, RV_PRV_S);
    assert_int_equal(rv->scause, RV_EXC_ECALL_U);
    assert_int_equal(rv->sepc, 0x1000);
    assert_int_equal(fx.cpu->pc, 0x80000200);
    assert_false(rv->mstatus & MSTATUS_SIE);
    assert_true(rv->mstatus & MSTATUS_SPIE);
    assert_false(rv->mstatus & MSTATUS_SPP);
    /* delegation never lowers: the same cause from M goes to M */
    rv->priv = RV_PRV_M;
    rv_do_exception(fx.cpu, EXCP_ARCH_BASE + RV_EXC_ECALL_U);
    assert_int_equal(fx.cpu->pc, 0x80000100);
    /* sret back to U restores SIE; TSR makes it illegal in S */
    rv->priv = RV_PRV_S;
    rv->sepc = 0x1004;
    assert_int_equal(rv_helper_sret(fx.cpu, 0), 0x1004);
    assert_int_equal(rv->priv, RV_PRV_U);
    assert_true(rv->mstatus & MSTATUS_SIE);
    /* misaligned store and a load access fault map to 6 and 5 */
    rv->priv = RV_PRV_M;
    fx.cpu->fault_access = MEM_WRITE;
    fx.cpu->fault_addr = 0x80000001;
    rv_do_exception(fx.cpu, EXCP_BUS);
    assert_int_equal(rv->mcause, RV_EXC_STORE_MISALIGNED);
    assert_int_equal(rv->mtval, 0x80000001);
    fx.cpu->fault_access = MEM_READ;
    rv_do_exception(fx.cpu, EXCP_SEGV);
    assert_int_equal(rv->mcause, RV_EXC_LOAD_ACCESS);
}

static void test_vectored_interrupt(void **state)
{
    RvCpu *rv = fx.rv;
    rv->mtvec = 0x80000001; /* vectored */
    rv->mie = MIP_MTIP;
    rv->mstatus |= MSTATUS_MIE;
    rv_set_irq(fx.cpu, RV_IRQ_MTI, 1);
    assert_true(fx.cpu->exit_request); /* kicked */
    assert_true(rv_has_work(fx.cpu));
    assert_true(rv_exec_interrupt(fx.cpu));
    assert_int_equal(fx.cpu->pc, 0x80000000 + 4 * RV_IRQ_MTI);
    assert_int_equal(rv->mcause, RV_CAUSE_INTR | RV_IRQ_MTI);
    /* MIE now clear: nothing more is taken, but WFI would still wake */
    assert_false(rv_exec_interrupt(fx.cpu));
    assert_true(rv_has_work(fx.cpu));
    rv_set_irq(fx.cpu, RV_IRQ_MTI, 0);
    assert_false(rv_has_work(fx.cpu));
    /* exceptions use the base even in vectored mode */
    rv_do_exception(fx.cpu, EXCP_ARCH_BASE + RV_EXC_BREAKPOINT);
    assert_int_equal(fx.cpu->pc, 0x80000000);
}

static void test_priorities(void **state)
{
    RvCpu *rv = fx.rv;
    rv->mie = RV_ALL_IRQS;
    rv->mip = MIP_SSIP | MIP_STIP | MIP_MTIP | MIP_MSIP;
    rv->seip_hw = 1;
    rv->mstatus |= MSTATUS_MIE;
    assert_int_equal(rv_pending_irq(rv), RV_IRQ_MSI);
    rv->mip |= MIP_MEIP;
    assert_int_equal(rv_pending_irq(rv), RV_IRQ_MEI);
    rv->mip &= ~(MIP_MEIP | MIP_MSIP);
    assert_int_equal(rv_pending_irq(rv), RV_IRQ_MTI);
    rv->mip &= ~MIP_MTIP;
    assert_int_equal(rv_pending_irq(rv), RV_IRQ_SEI);
    /* delegated ones: not in M, taken in S only with SIE, always in U */
    rv->mideleg = RV_S_IRQS;
    assert_int_equal(rv_pending_irq(rv), -1);
    rv->priv = RV_PRV_S;
    assert_int_equal(rv_pending_irq(rv), -1);
    rv->mstatus |= MSTATUS_SIE;
    assert_int_equal(rv_pending_irq(rv), RV_IRQ_SEI);
    rv->seip_hw = 0;
    assert_int_equal(rv_pending_irq(rv), RV_IRQ_SSI);
    rv->mip &= ~MIP_SSIP;
    assert_int_equal(rv_pending_irq(rv), RV_IRQ_STI);
    rv->mstatus &= ~MSTATUS_SIE;
    rv->priv = RV_PRV_U;
    assert_int_equal(rv_pending_irq(rv), RV_IRQ_STI);
    /* M-level interrupts preempt S even with MIE clear, from S */
    rv->priv = RV_PRV_S;
    rv->mstatus &= ~MSTATUS_MIE;
    rv->mip |= MIP_MTIP;
    assert_int_equal(rv_pending_irq(rv), RV_IRQ_MTI);
}

static bool csr(unsigned n, unsigned op, bool rd, bool wr, uint64_t src, uint64_t *old)
{
    uint64_t o = 0;
    bool ok = rv_csr_access(fx.rv, n, op, rd, wr, src, &o);
    if (old) *old = o;
    return ok;
}

static void test_csr_rules(void **state)
{
    RvCpu *rv = fx.rv;
    uint64_t v;
    /* mstatus: UXL/SXL read 64-bit, SD follows FS */
    assert_true(csr(CSR_MSTATUS, 0, true, false, 0, &v));
    assert_int_equal((v >> 32) & 0xf, 0xa);
    assert_true(csr(CSR_MSTATUS, 1, false, true, MSTATUS_FS, NULL));
    assert_true(csr(CSR_SSTATUS, 0, true, false, 0, &v));
    assert_true(v & MSTATUS_SD);
    assert_false(v & MSTATUS_MPP); /* not visible in sstatus */
    /* read-only and unknown CSRs */
    assert_false(csr(CSR_MHARTID, 0, false, true, 1, NULL));
    assert_true(csr(CSR_MHARTID, 1, true, false, 0, &v));
    assert_false(csr(0x7ff, 0, true, false, 0, NULL));
    /* privilege: S cannot touch M CSRs; U no S CSRs */
    rv->priv = RV_PRV_S;
    assert_false(csr(CSR_MSTATUS, 0, true, false, 0, NULL));
    assert_true(csr(CSR_SSCRATCH, 0, true, true, 5, NULL));
    rv->mstatus |= MSTATUS_TVM;
    assert_false(csr(CSR_SATP, 0, true, false, 0, NULL));
    rv->mstatus &= ~MSTATUS_TVM;
    assert_true(csr(CSR_SATP, 0, true, true, 8ull << 60 | 0x80001, NULL));
    assert_int_equal(rv->satp, 8ull << 60 | 0x80001);
    assert_true(csr(CSR_SATP, 0, false, true, 3ull << 60, NULL)); /* WARL: ignored */
    assert_int_equal(rv->satp, 8ull << 60 | 0x80001);
    /* counters: mcounteren gates S, scounteren gates U */
    assert_false(csr(CSR_TIME_, 1, true, false, 0, NULL));
    rv->mcounteren = 2;
    assert_true(csr(CSR_TIME_, 1, true, false, 0, NULL));
    rv->priv = RV_PRV_U;
    assert_false(csr(CSR_TIME_, 1, true, false, 0, NULL));
    assert_false(csr(CSR_SSTATUS, 1, true, false, 0, NULL));
    /* stimecmp needs STCE from S */
    rv->priv = RV_PRV_S;
    assert_false(csr(CSR_STIMECMP, 1, true, false, 0, NULL));
    rv->menvcfg = MENVCFG_STCE;
    assert_true(csr(CSR_STIMECMP, 0, false, true, 0, NULL));
    assert_true(rv_get_mip(rv) & MIP_STIP); /* time >= 0 */
    rv->priv = RV_PRV_M;
    /* FP CSRs need FS on */
    rv->mstatus &= ~MSTATUS_FS;
    assert_false(csr(0x003, 1, true, false, 0, NULL));
    rv->mstatus |= 1ull << MSTATUS_FS_SHIFT;
    assert_true(csr(0x002, 0, false, true, 1, NULL));
    assert_int_equal((rv->mstatus & MSTATUS_FS) >> MSTATUS_FS_SHIFT, 3);
    /* mip: SEIP from the PLIC is visible but not latched by csrrs */
    rv->seip_hw = 1;
    assert_true(csr(CSR_MIP, 1, true, true, MIP_SSIP, &v));
    assert_true(v & MIP_SEIP);
    assert_int_equal(rv->mip & (MIP_SEIP | MIP_SSIP), MIP_SSIP);
    /* medeleg cannot delegate ecall from M; mideleg only S interrupts */
    assert_true(csr(CSR_MEDELEG, 0, false, true, ~0ull, NULL));
    assert_false(rv->medeleg & (1u << 11));
    assert_true(csr(CSR_MIDELEG, 0, false, true, ~0ull, NULL));
    assert_int_equal(rv->mideleg, RV_S_IRQS);
    /* tb_flags tell the modes apart: user mode keeps only frm (and the
     * fixed-FP-mode bit, dropped when the mode is not riscv's own) */
    assert_true(rv_arch.tb_flags(fx.cpu) & RV_TB_SYS);
    rv->sys = 0;
    fx.cpu->fp.rm = 3;
    assert_int_equal(rv_arch.tb_flags(fx.cpu), 3 | CPU_TB_FLAG_FP_PLAIN);
    fx.cpu->fp.mode |= FP_MODE_NAN_X86;
    assert_int_equal(rv_arch.tb_flags(fx.cpu), 3);
    fx.cpu->fp.mode &= ~FP_MODE_NAN_X86;
    rv->sys = 1;
}

/* -- Bare-metal programs on a miniature virt machine -------------------------------------
 * RAM at 0x80000000, the test finisher at 0x100000, an ACLINT at 0x2000000, the
 * interpreter and the service loop's duties (exceptions, interrupts, WFI). */

static volatile int fin_done;
static volatile uint32_t fin_val;
static uint64_t mtimecmp = UINT64_MAX;
static VmTimer *mtimer;

static uint64_t fin_read(void *o, uint64_t off, unsigned size) { return 0; }
static void fin_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    fin_val = (uint32_t)v;
    fin_done = 1;
    cpu_kick(fx.cpu);
}
static const MmioOps fin_ops = {fin_read, fin_write};

static void mtimer_eval(void)
{
    if (rv_mtime() >= mtimecmp) {
        rv_set_irq(fx.cpu, RV_IRQ_MTI, 1);
    } else {
        rv_set_irq(fx.cpu, RV_IRQ_MTI, 0);
        if (mtimecmp < UINT64_MAX / 100) timer_mod(mtimer, mtimecmp * 100);
    }
}
static void mtimer_cb(void *o) { mtimer_eval(); }

static uint64_t clint_read(void *o, uint64_t off, unsigned size)
{
    if (off == 0) return (rv_get_mip(fx.rv) >> RV_IRQ_MSI) & 1;
    if (off == 0x4000) return mtimecmp;
    if (off == 0xbff8) return rv_mtime();
    return 0;
}
static void clint_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    if (off == 0) rv_set_irq(fx.cpu, RV_IRQ_MSI, v & 1);
    if (off == 0x4000) {
        mtimecmp = v;
        mtimer_eval();
    }
}
static const MmioOps clint_ops = {clint_read, clint_write};

static bool load_elf(const char *path, uint64_t *entry)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    Elf64_Ehdr eh;
    bool ok = fread(&eh, sizeof(eh), 1, f) == 1 && eh.e_machine == 243;
    for (unsigned i = 0; ok && i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        fseek(f, (long)(eh.e_phoff + i * sizeof(ph)), SEEK_SET);
        if (fread(&ph, sizeof(ph), 1, f) != 1) ok = false;
        if (!ok || ph.p_type != PT_LOAD || !ph.p_filesz) continue;
        uint8_t *dst = phys_ram_ptr(fx.pm, ph.p_paddr, ph.p_memsz);
        if (!dst) { ok = false; break; }
        fseek(f, (long)ph.p_offset, SEEK_SET);
        if (fread(dst, 1, ph.p_filesz, f) != ph.p_filesz) ok = false;
    }
    *entry = eh.e_entry;
    fclose(f);
    return ok;
}

/* Returns the finisher's value, or 0 on timeout. */
static uint32_t run_program(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "build/baremetal/%s.elf", name);
    uint64_t entry;
    if (!load_elf(path, &entry)) return 1;
    phys_add_mmio(fx.pm, 0x100000, 0x1000, &fin_ops, NULL, "finisher");
    phys_add_mmio(fx.pm, 0x2000000, 0x10000, &clint_ops, NULL, "clint");
    mtimer = timer_new(mtimer_cb, NULL);
    mtimecmp = UINT64_MAX;
    fin_done = 0;
    fx.cpu->pc = entry;
    if (getenv("BM_TRACE")) log_mask |= LOGD_INT;
    assert_int_equal(interp_engine.cpu_init(fx.cpu), 0);
    /* The block cache is global: drop the previous program's code (the loader
     * above wrote RAM behind the soft MMU's back). */
    interp_engine.invalidate(0, 0);
    uint64_t deadline = clock_ns() + 10000000000ull;
    while (!fin_done && clock_ns() < deadline) {
        int e = interp_engine.exec(fx.cpu);
        if (fin_done) break;
        if (e == EXCP_INTERRUPT) rv_exec_interrupt(fx.cpu);
        else if (e == EXCP_HALT) cpu_halt_wait(fx.cpu, rv_has_work);
        else rv_do_exception(fx.cpu, e);
    }
    if (!fin_done) fx.cpu->arch->dump_regs(fx.cpu, stderr);
    interp_engine.cpu_free(fx.cpu);
    timer_free(mtimer);
    if (logd_enabled(LOGD_TLB_STATS)) tlb_print_stats(fx.cpu, stderr);
    return fin_done ? fin_val : 0;
}

static bool have_programs(void)
{
    static int built = -1;
    if (built < 0)
        built = system("sh tests/baremetal/build.sh build/baremetal >/dev/null 2>&1") == 0;
    return built;
}

static void run_bm(const char *name)
{
    if (!have_programs()) skip();
    uint32_t v = run_program(name);
    if (v != 0x5555) fail_msg("%s: finisher 0x%x (failure code %u)", name, v, v >> 16);
}

static void test_bm_traps(void **state) { run_bm("traps"); }
static void test_bm_irq(void **state) { run_bm("irq"); }
static void test_bm_paging(void **state) { run_bm("paging"); }
static void test_bm_pmp(void **state) { run_bm("pmp"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trap_to_m_and_mret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delegation_and_sret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vectored_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priorities, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csr_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bm_traps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bm_irq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bm_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bm_pmp, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
