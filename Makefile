# SPDX-License-Identifier: MIT
# Non-recursive build of vm: everything goes to build/. Sources are found by
# wildcard per module folder, so adding a .c file needs no Makefile change.

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

config.mk: configure
	./configure

include config.mk

B := build
Q ?= @

CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers -fno-strict-aliasing -pthread \
	-Iinclude -I$(B) -I$(B)/gen -Isrc
ALL_CFLAGS = $(CFLAGS_BASE) $(OPTFLAGS) $(SANFLAGS) $(DEP_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) -pthread $(LDFLAGS)

# -- The vm binary -------------------------------------------------------------

# ./configure --disable-jit / --disable-devices leave whole modules out.
JIT_DIRS := $(if $(filter no,$(CONFIG_JIT)),,src/jit src/jit/backend/x86_64)
SYS_DIRS := $(if $(filter no,$(CONFIG_DEVICES)),,src/devices src/machine src/service)
VM_DIRS := src/core src/ir src/opt src/interp $(JIT_DIRS) src/frontend \
	$(addprefix src/frontend/,$(TARGETS)) src/mem src/user $(SYS_DIRS)
VM_SRCS := $(foreach d,$(VM_DIRS),$(wildcard $(d)/*.c))
VM_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(VM_SRCS))
MAIN_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(wildcard src/main/*.c))

all: $(B)/vm

$(B)/libvm.a: $(VM_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/vm: $(MAIN_OBJS) $(B)/libvm.a
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJS) $(B)/libvm.a $(DEP_LIBS)

# The git revision --version reports: rewritten only when it changes, so a new
# commit rebuilds options.o and nothing else.
$(B)/gitrev.h: FORCE
	@mkdir -p $(@D)
	@r=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown); \
	 d=$$(git diff --quiet HEAD 2>/dev/null || echo -dirty); \
	 echo "#define VM_GIT_REV \"$$r$$d\"" > $@.tmp; \
	 cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp
$(B)/obj/src/core/options.o: $(B)/gitrev.h
FORCE:
.PHONY: FORCE

$(B)/obj/%.o: %.c config.mk
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# -- Host tools and generated decoders ------------------------------------------

$(B)/tools/%: src/tools/%.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -o $@ $<

# Each target's *.dec files become build/gen/<target>-decode.inc.
define DECODER_template
$(B)/gen/$(1)-decode.inc: $(B)/tools/decgen $(wildcard src/frontend/$(1)/*.dec)
	@mkdir -p $$(@D)
	@echo "  DECGEN  $$@"
	$(Q)$(B)/tools/decgen -o $$@ $(wildcard src/frontend/$(1)/*.dec)
$(patsubst %.c,$(B)/obj/%.o,$(wildcard src/frontend/$(1)/*.c)): | $(B)/gen/$(1)-decode.inc
endef
$(foreach t,$(TARGETS),$(if $(wildcard src/frontend/$(t)/*.dec),$(eval $(call DECODER_template,$(t)))))

# -- Tests -----------------------------------------------------------------------

UNIT_OFF := $(if $(filter no,$(CONFIG_JIT)),tests/unit/test_jit.c tests/unit/test_jit_tier.c tests/unit/test_jit_fuzz.c tests/unit/test_a64_jit.c tests/unit/test_jit_vec.c) \
	$(if $(filter no,$(CONFIG_DEVICES)),$(addprefix tests/unit/test_,uart.c plic.c aclint.c virtio.c))
UNIT_SRCS := $(filter-out $(UNIT_OFF),$(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))

$(B)/tests/%: tests/unit/%.c $(B)/libvm.a
	@mkdir -p $(@D)
	@echo "  TEST    $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -MMD -MP -o $@ $< $(B)/libvm.a \
		$(ALL_LDFLAGS) $(DEP_LIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BINS)

-include tests/guest/guest.mk
# make fuzz (libFuzzer harnesses) and the replay of their inputs in make check.
-include tests/fuzz/fuzz.mk

check: all unit guest
	$(Q)sh tests/run-check.sh $(B)

# The default guest, interactively: Debian's riscv64 kernel booted by Debian's
# OpenSBI into the busybox initramfs (scripts/mkinitrd.sh), on the terminal.
# Fetches the images on first use. Ctrl-A x quits; `poweroff -f` stops the guest.
RUN_IMG := images/cache/riscv64
RUN_KERNEL := $(RUN_IMG)/linux-kernel/Image
RUN_INITRD := $(B)/images/initrd-riscv64.cpio.gz
RUN_ARGS ?= -M virt -m 1G -smp 2
run: all
	$(Q)test -f $(RUN_KERNEL) -a -f $(RUN_IMG)/opensbi.ok -a -f $(RUN_IMG)/linux-modules.ok \
		-a -x $(RUN_IMG)/busybox-static/usr/bin/busybox || sh scripts/fetch-images.sh riscv64
	$(Q)sh scripts/mkinitrd.sh $(RUN_IMG)/busybox-static/usr/bin/busybox $(RUN_INITRD) \
		"$$(ls -d $(RUN_IMG)/linux-modules/usr/lib/modules/* 2>/dev/null | head -1)"
	@echo "  RUN     $(B)/vm $(RUN_ARGS) -kernel $(RUN_KERNEL) ...   (Ctrl-A x quits)"
	$(Q)$(B)/vm $(RUN_ARGS) -kernel $(RUN_KERNEL) -initrd $(RUN_INITRD) \
		-append "console=ttyS0" -nographic

# Slow checks left out of make check (long fuzzing, sanitizer builds).
check-long: all unit guest
	$(Q)VM_CHECK_LONG=1 sh tests/run-check.sh $(B)

# Long differential fuzzing of the JIT against the interpreter (random RISC-V
# programs; a mismatch prints the seed that reproduces it):
#   make check-fuzz [VM_FUZZ_ITERS=N] [VM_FUZZ_SEED=FIRST]
VM_FUZZ_ITERS ?= 300000
VM_FUZZ_SEED ?= 1000000
check-fuzz: $(B)/tests/test_jit_fuzz
	$(Q)VM_FUZZ_ITERS=$(VM_FUZZ_ITERS) VM_FUZZ_SEED=$(VM_FUZZ_SEED) $(B)/tests/test_jit_fuzz

bench: all bench-build
	$(Q)sh bench/run.sh $(B) $(BENCH_ARGS)

# -- Install, clean ------------------------------------------------------------------

install: $(B)/vm
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(B)/vm $(DESTDIR)$(PREFIX)/bin/vm

clean:
	rm -rf $(B)/obj $(B)/tests $(B)/tools $(B)/gen $(B)/guest $(B)/vm $(B)/libvm.a

distclean:
	rm -rf $(B) config.mk

.PHONY: all unit check check-long check-fuzz run bench install clean distclean

-include bench/bench.mk
-include $(VM_OBJS:.o=.d) $(MAIN_OBJS:.o=.d) $(UNIT_BINS:=.d)
