# SPDX-License-Identifier: MIT
# Benchmark workloads (bench/workloads/*.c), built statically for every guest
# arch in $(TARGETS) with that arch's cross gcc, and natively with $(CC).
# Output: build/bench/<arch>/<workload> and build/bench/native/<workload>.
# An arch whose cross compiler is missing is skipped with a note, so a new
# frontend joins the benchmarks as soon as its toolchain is installed.

BENCH_SRCS := $(wildcard bench/workloads/*.c)
BENCH_NAMES := $(patsubst bench/workloads/%.c,%,$(BENCH_SRCS))
BENCH_HDRS := $(wildcard bench/workloads/*.h)

# -ffp-contract=off: no target fuses a*b+c, so FP results match natively.
BENCH_CFLAGS := -O2 -std=gnu11 -Wall -Wextra -ffp-contract=off
BENCH_LIBS := -lm

# Guest arch (frontend folder name) -> cross compiler.
BENCH_CC_riscv64 := riscv64-linux-gnu-gcc
BENCH_CC_arm64 := aarch64-linux-gnu-gcc
BENCH_CC_aarch64 := aarch64-linux-gnu-gcc
BENCH_CC_x86_64 := x86_64-linux-gnu-gcc
BENCH_CC_ppc64 := powerpc64le-linux-gnu-gcc

BENCH_ARCHS := $(foreach t,$(TARGETS),$(if $(and $(BENCH_CC_$(t)),$(shell command -v $(BENCH_CC_$(t)) 2>/dev/null)),$(t)))
BENCH_SKIPPED := $(filter-out $(BENCH_ARCHS),$(TARGETS))

$(B)/bench/native/%: bench/workloads/%.c $(BENCH_HDRS)
	@mkdir -p $(@D)
	@echo "  BENCHCC $@"
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_LIBS)

define BENCH_template
$(B)/bench/$(1)/%: bench/workloads/%.c $(BENCH_HDRS)
	@mkdir -p $$(@D)
	@echo "  BENCHCC $$@"
	$(Q)$(BENCH_CC_$(1)) $(BENCH_CFLAGS) -static -o $$@ $$< $(BENCH_LIBS)
endef
$(foreach a,$(BENCH_ARCHS),$(eval $(call BENCH_template,$(a))))

BENCH_BINS := $(addprefix $(B)/bench/native/,$(BENCH_NAMES)) \
	$(foreach a,$(BENCH_ARCHS),$(addprefix $(B)/bench/$(a)/,$(BENCH_NAMES)))

bench-build: $(BENCH_BINS)
ifneq ($(BENCH_SKIPPED),)
	@echo "  note: no cross compiler for $(BENCH_SKIPPED): not benchmarked"
endif

# BENCH_ARGS passes options to the harness, e.g. BENCH_ARGS="--size quick --runs 3".
BENCH_ARGS ?=
BENCH_PY := python3 bench/bench.py --build $(B) --archs "$(BENCH_ARCHS)"

# The regression gate: host instruction counts (callgrind) of vm on the quick
# sizes, against bench/baseline.json. Deterministic, so it is safe in CI.
bench-check: all bench-build
	$(Q)$(BENCH_PY) check $(BENCH_ARGS)

bench-baseline: all bench-build
	$(Q)$(BENCH_PY) baseline $(BENCH_ARGS)

# System mode (riscv64): Linux boot to the initramfs marker against
# qemu-system-riscv64, interleaved, 3 runs unless BENCH_ARGS says --runs N;
# and the TLB hit/miss micro-benchmark (tests/baremetal/tlbbench.c, built by
# bench.py). Minutes per run with the interpreter: never part of make check.
bench-system: all
	$(Q)$(BENCH_PY) system --runs 3 $(BENCH_ARGS)

bench-boot: all
	$(Q)$(BENCH_PY) system --no-tlb --runs 3 $(BENCH_ARGS)

bench-tlb: all
	$(Q)$(BENCH_PY) system --no-boot $(BENCH_ARGS)

.PHONY: bench-build bench-check bench-baseline bench-system bench-boot bench-tlb
