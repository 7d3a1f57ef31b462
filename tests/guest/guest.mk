# SPDX-License-Identifier: MIT
# Guest test programs (included by the top Makefile; non-recursive).
# Each program is portable C built for every guest arch (static, plus a few
# dynamically linked) into build/guest/<arch>/ (riscv64, aarch64), and
# natively into build/guest/native/, whose output is the expected output.
#
#   make guest            build all (an arch whose cross compiler is missing is
#                         skipped with a message, left in build/guest/<arch>.skipped)
#   GUEST_RV_CC=...       riscv64 cross compiler (default riscv64-linux-gnu-gcc)
#   GUEST_A64_CC=...      aarch64 cross compiler (default aarch64-linux-gnu-gcc)

GUEST_RV_CC ?= riscv64-linux-gnu-gcc
GUEST_A64_CC ?= aarch64-linux-gnu-gcc
GUEST_HOST_CC ?= gcc
GUEST_CFLAGS := -O2 -g0 -Wall -Wextra
GUEST_DIR := tests/guest

# Programs: name = source file name, unless GUEST_SRC_<name> says otherwise.
# GUEST_PROGS are built for every arch; GUEST_<ARCH>_ONLY for one arch (and
# natively). tests/integration/guest.sh lists the same names.
GUEST_PROGS := hello argv_env int_ops muldiv atomics fp strings fileio signals \
	sigmask forkexec nullderef bitmanip gdb_target faultpc escape bytemerge
# JIT tests, run by tests/integration/jit.sh (not guest.sh): self-modifying
# code, and a workload too big for a small code cache (-O0: more code, and a
# far shorter compile than the same size at -O2).
GUEST_PROGS += smc cacheflush
GUEST_FLAGS_cacheflush_ALL := -O0
# riscv64: compute.c with and without the C extension.
GUEST_RV_ONLY := compute-rv64gc compute-rv64g
# AArch64 instruction groups: CRC32/AES/SHA/PMULL, FP estimates and half
# conversions, flags and UNDEFINED encodings, saturating integer SIMD and FPSR.QC
# (tests/guest/a64_*.c).
GUEST_A64_ONLY := compute a64_crypto a64_fpest a64_flags a64_sat a64_vidx
# Dynamically linked builds, <name>-dyn (run with -L /usr/<triple>).
GUEST_DYN_PROGS := hello strings fp

GUEST_SRC_compute-rv64gc := compute
GUEST_SRC_compute-rv64g := compute
guest_src = $(GUEST_DIR)/$(or $(GUEST_SRC_$(1)),$(1)).c

# Extra flags per program: _ALL for every build, _RV / _A64 for one arch.
GUEST_FLAGS_fp_ALL := -frounding-math
# The gdb tests' target (not run by guest.sh): line tables for step and break.
GUEST_FLAGS_gdb_target_ALL := -g -O1
GUEST_LIBS_fp := -lm
GUEST_FLAGS_a64_crypto_A64 := -march=armv8-a+crypto+crc
GUEST_LIBS_RV_atomics := -latomic
GUEST_FLAGS_compute-rv64gc_RV := -march=rv64gc -mabi=lp64d
GUEST_FLAGS_compute-rv64g_RV := -march=rv64g -mabi=lp64d
# Zicond needs binutils >= 2.41; older assemblers still run the czero
# instructions, which bitmanip.c encodes with .insn.
GUEST_RV_ZICOND := $(shell command -v $(GUEST_RV_CC) >/dev/null 2>&1 && \
	echo 'int x;' | $(GUEST_RV_CC) -march=rv64gc_zba_zbb_zbs_zicond -x c -c -o /dev/null - \
	>/dev/null 2>&1 && echo _zicond)
GUEST_FLAGS_bitmanip_RV := -march=rv64gc_zba_zbb_zbs$(GUEST_RV_ZICOND) -mabi=lp64d -DGUEST_ZICOND=1

# -- Native builds (the expected output) ------------------------------------------

GUEST_NATIVE_BINS := $(addprefix $(B)/guest/native/,$(sort $(GUEST_PROGS) $(GUEST_RV_ONLY) $(GUEST_A64_ONLY)))

define GUEST_NATIVE_template
$(B)/guest/native/$(1): $(call guest_src,$(1)) $(GUEST_DIR)/guest.mk
	@mkdir -p $$(@D)
	@echo "  GUEST   $$@"
	$(Q)$(GUEST_HOST_CC) $(GUEST_CFLAGS) $(GUEST_FLAGS_$(1)_ALL) -o $$@ $$< $(GUEST_LIBS_$(1))
endef
$(foreach p,$(sort $(GUEST_PROGS) $(GUEST_RV_ONLY) $(GUEST_A64_ONLY)),$(eval $(call GUEST_NATIVE_template,$(p))))

guest-native: $(GUEST_NATIVE_BINS)

# -- Cross builds, one block per arch -----------------------------------------------
# GUEST_ARCH_template ARCH,TAG,CC,INSTALL_HINT: static builds of GUEST_PROGS and
# GUEST_<TAG>_ONLY, and dynamic <name>-dyn builds of GUEST_DYN_PROGS, into
# build/guest/ARCH/ with the flags GUEST_FLAGS_<name>_<TAG> and libraries
# GUEST_LIBS_<TAG>_<name>; or, without the compiler, ARCH.skipped saying why.
define GUEST_ARCH_template
GUEST_$(2)_BINS := $(addprefix $(B)/guest/$(1)/,$(GUEST_PROGS) $(GUEST_$(2)_ONLY)) \
	$(addprefix $(B)/guest/$(1)/,$(addsuffix -dyn,$(GUEST_DYN_PROGS)))
GUEST_HAVE_$(2) := $$(shell command -v $(3) >/dev/null 2>&1 && echo yes)

$$(foreach p,$(GUEST_PROGS) $(GUEST_$(2)_ONLY),$$(eval $$(call GUEST_BIN_template,$(1),$(2),$(3),$$(p),-static,$$(p))))
$$(foreach p,$(GUEST_DYN_PROGS),$$(eval $$(call GUEST_BIN_template,$(1),$(2),$(3),$$(p),,$$(p)-dyn)))

ifeq ($$(GUEST_HAVE_$(2)),yes)
guest-$(1): $$(GUEST_$(2)_BINS)
	@rm -f $(B)/guest/$(1).skipped
else
guest-$(1):
	@mkdir -p $(B)/guest
	@echo "guest: $(3) not found; $(1) guest programs not built ($(4))" | tee $(B)/guest/$(1).skipped
endif
.PHONY: guest-$(1)
endef

# GUEST_BIN_template ARCH,TAG,CC,PROG,LINK(-static or empty),OUTPUT-NAME
define GUEST_BIN_template
$(B)/guest/$(1)/$(6): $(call guest_src,$(4)) $(GUEST_DIR)/guest.mk
	@mkdir -p $$(@D)
	@echo "  GUEST   $$@"
	$(Q)$(3) $(5) $(GUEST_CFLAGS) $(GUEST_FLAGS_$(4)_ALL) $(GUEST_FLAGS_$(4)_$(2)) \
		-o $$@ $$< $(GUEST_LIBS_$(4)) $(GUEST_LIBS_$(2)_$(4))
endef

$(eval $(call GUEST_ARCH_template,riscv64,RV,$(GUEST_RV_CC),apt-get install gcc-riscv64-linux-gnu libc6-dev-riscv64-cross))
$(eval $(call GUEST_ARCH_template,aarch64,A64,$(GUEST_A64_CC),apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross))

guest: guest-native guest-riscv64 guest-aarch64

.PHONY: guest guest-native
