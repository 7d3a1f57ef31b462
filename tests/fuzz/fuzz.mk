# SPDX-License-Identifier: MIT
# Fuzz harnesses (tests/fuzz/; included by the top Makefile). Each
# tests/fuzz/fuzz_NAME.c is built two ways:
#   build/fuzz/fuzz_NAME         libFuzzer + ASan + UBSan (clang), over a copy of
#                                libvm compiled with coverage (build/fuzz/obj/)
#   build/fuzz/replay/fuzz_NAME  the plain build's compiler and libvm.a, with
#                                replay.c's main: make check replays
#                                tests/fuzz/corpus-regress/NAME/ and the seeds
#
#   make fuzz                    every harness for FUZZ_SECS seconds each, one at a time
#   make fuzz FUZZ=gdb FUZZ_SECS=300
# Findings go to build/fuzz/crashes/NAME/ (tests/fuzz/README.md says what to do).

FUZZ_ALL := gdb monitor chat snapshot elf dtb options
FUZZ ?= $(FUZZ_ALL)
FUZZ_SECS ?= 60
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = $(CFLAGS_BASE) -O1 -g $(FUZZ_SAN) $(DEP_CFLAGS)
FUZZ_OBJS := $(patsubst %.c,$(B)/fuzz/obj/%.o,$(VM_SRCS))
FUZZ_BINS := $(addprefix $(B)/fuzz/fuzz_,$(FUZZ_ALL))
FUZZ_REPLAY_BINS := $(addprefix $(B)/fuzz/replay/fuzz_,$(FUZZ_ALL))
FUZZ_COMMON := tests/fuzz/fuzz_util.c tests/fuzz/fuzz.h

$(FUZZ_OBJS): | $(foreach t,$(TARGETS),$(B)/gen/$(t)-decode.inc) $(B)/gitrev.h
$(B)/fuzz/obj/%.o: %.c config.mk
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(B)/fuzz/libvm.a: $(FUZZ_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COMMON) $(B)/fuzz/libvm.a
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< tests/fuzz/fuzz_util.c \
		$(B)/fuzz/libvm.a -pthread $(DEP_LIBS)

$(B)/fuzz/replay/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COMMON) tests/fuzz/replay.c $(B)/libvm.a
	@mkdir -p $(@D)
	@echo "  REPLAY  $@"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ $< tests/fuzz/fuzz_util.c tests/fuzz/replay.c \
		$(B)/libvm.a $(ALL_LDFLAGS) $(DEP_LIBS)

fuzz-build: $(addprefix $(B)/fuzz/fuzz_,$(FUZZ))
fuzz: fuzz-build
	$(Q)sh tests/fuzz/run.sh $(B) $(FUZZ_SECS) $(FUZZ)
fuzz-replay: $(FUZZ_REPLAY_BINS)
# make check replays the regression inputs (tests/integration/fuzz.sh).
check check-long: fuzz-replay

# make clean drops the binaries and objects, not the corpus or findings.
clean-fuzz:
	rm -rf $(B)/fuzz/obj $(B)/fuzz/replay $(B)/fuzz/libvm.a $(FUZZ_BINS)
clean: clean-fuzz

.PHONY: fuzz fuzz-build fuzz-replay clean-fuzz
.PRECIOUS: $(FUZZ_BINS) $(FUZZ_REPLAY_BINS)
-include $(FUZZ_OBJS:.o=.d)
