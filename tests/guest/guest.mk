# SPDX-License-Identifier: MIT
# Guest test programs (included by the top Makefile; non-recursive).
# Each program is portable C built twice: for riscv64 (static, plus a few
# dynamically linked) into build/guest/riscv64/, and natively into
# build/guest/native/, whose output is the expected output.
#
#   make guest            build both (riscv64 skipped with a message when the
#                         cross compiler is missing)
#   GUEST_RV_CC=...       riscv64 cross compiler (default riscv64-linux-gnu-gcc)

GUEST_RV_CC ?= riscv64-linux-gnu-gcc
GUEST_HOST_CC ?= gcc
GUEST_CFLAGS := -O2 -g0 -Wall -Wextra
GUEST_DIR := tests/guest

# Programs: name = source file name, unless GUEST_SRC_<name> says otherwise.
GUEST_PROGS := hello argv_env int_ops muldiv atomics fp strings fileio signals \
	forkexec nullderef bitmanip compute-rv64gc compute-rv64g
# Dynamically linked riscv64 builds (run with -L /usr/riscv64-linux-gnu).
GUEST_DYN_PROGS := hello strings fp

GUEST_SRC_compute-rv64gc := compute
GUEST_SRC_compute-rv64g := compute
guest_src = $(GUEST_DIR)/$(or $(GUEST_SRC_$(1)),$(1)).c

# Extra flags per program: _ALL for every build, _RV for riscv64 only.
GUEST_FLAGS_fp_ALL := -frounding-math
GUEST_LIBS_fp := -lm
GUEST_LIBS_RV_atomics := -latomic
GUEST_FLAGS_compute-rv64gc_RV := -march=rv64gc -mabi=lp64d
GUEST_FLAGS_compute-rv64g_RV := -march=rv64g -mabi=lp64d
# Zicond needs binutils >= 2.41; older assemblers still run the czero
# instructions, which bitmanip.c encodes with .insn.
GUEST_RV_ZICOND := $(shell command -v $(GUEST_RV_CC) >/dev/null 2>&1 && \
	echo 'int x;' | $(GUEST_RV_CC) -march=rv64gc_zba_zbb_zbs_zicond -x c -c -o /dev/null - \
	>/dev/null 2>&1 && echo _zicond)
GUEST_FLAGS_bitmanip_RV := -march=rv64gc_zba_zbb_zbs$(GUEST_RV_ZICOND) -mabi=lp64d -DGUEST_ZICOND=1

GUEST_HAVE_RV := $(shell command -v $(GUEST_RV_CC) >/dev/null 2>&1 && echo yes)

GUEST_NATIVE_BINS := $(addprefix $(B)/guest/native/,$(GUEST_PROGS))
GUEST_RV_BINS := $(addprefix $(B)/guest/riscv64/,$(GUEST_PROGS)) \
	$(addprefix $(B)/guest/riscv64/,$(addsuffix -dyn,$(GUEST_DYN_PROGS)))

define GUEST_template
$(B)/guest/native/$(1): $(call guest_src,$(1)) $(GUEST_DIR)/guest.mk
	@mkdir -p $$(@D)
	@echo "  GUEST   $$@"
	$(Q)$(GUEST_HOST_CC) $(GUEST_CFLAGS) $(GUEST_FLAGS_$(1)_ALL) -o $$@ $$< $(GUEST_LIBS_$(1))
$(B)/guest/riscv64/$(1): $(call guest_src,$(1)) $(GUEST_DIR)/guest.mk
	@mkdir -p $$(@D)
	@echo "  GUEST   $$@"
	$(Q)$(GUEST_RV_CC) -static $(GUEST_CFLAGS) $(GUEST_FLAGS_$(1)_ALL) $(GUEST_FLAGS_$(1)_RV) \
		-o $$@ $$< $(GUEST_LIBS_$(1)) $(GUEST_LIBS_RV_$(1))
endef
$(foreach p,$(GUEST_PROGS),$(eval $(call GUEST_template,$(p))))

define GUEST_DYN_template
$(B)/guest/riscv64/$(1)-dyn: $(call guest_src,$(1)) $(GUEST_DIR)/guest.mk
	@mkdir -p $$(@D)
	@echo "  GUEST   $$@"
	$(Q)$(GUEST_RV_CC) $(GUEST_CFLAGS) $(GUEST_FLAGS_$(1)_ALL) $(GUEST_FLAGS_$(1)_RV) \
		-o $$@ $$< $(GUEST_LIBS_$(1)) $(GUEST_LIBS_RV_$(1))
endef
$(foreach p,$(GUEST_DYN_PROGS),$(eval $(call GUEST_DYN_template,$(p))))

guest-native: $(GUEST_NATIVE_BINS)

ifeq ($(GUEST_HAVE_RV),yes)
guest-riscv64: $(GUEST_RV_BINS)
	@rm -f $(B)/guest/riscv64.skipped
else
guest-riscv64:
	@mkdir -p $(B)/guest
	@echo "guest: $(GUEST_RV_CC) not found; riscv64 guest programs not built (apt-get install gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)" | tee $(B)/guest/riscv64.skipped
endif

guest: guest-native guest-riscv64

.PHONY: guest guest-native guest-riscv64
