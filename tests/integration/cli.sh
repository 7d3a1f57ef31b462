#!/bin/bash
# SPDX-License-Identifier: MIT
# Suite (c): the command line and bad input. Every error must be exactly one
# line on stderr with a non-zero status below 128 (no crash), within the
# timeout (no hang). Also: NULL dereference -> 139, -strace, -d in_asm,ir,
# VM_LOG; an aarch64 program runs, returns its status and disassembles.
SUITE=cli
. "$(dirname "$0")/lib.sh"
TIMEOUT=${VM_TEST_TIMEOUT_CLI:-30}

TESTS="help version no-args unknown-option missing-file directory non-elf empty-file
truncated-elf-100 truncated-elf-segments elf32 elf-sparc elf-big-endian bad-d-item
vm-log-bad vm-log-ok d-help nullderef-139 strace d-in-asm-ir env-E-U accel-interp d-logfile
aarch64-hello aarch64-exit-status aarch64-d-in-asm chardev-unknown-id chardev-duplicate-id
chardev-used-twice console-no-chardev chardev-stdio-serial chardev-stdio-monitor chardev-bad-backend
chardev-no-id chardev-socket-missing jit-cold-zero jit-hot-zero jit-hot-below-cold
jit-hot-default-below-cold jit-negative jit-plus-sign jit-garbage jit-empty jit-too-big
jit-adaptive-bad jit-cache-wrap jit-cache-negative jit-unknown-key jit-no-value jit-tiers-2"
if why=$(vm_missing); then for t in $TESTS; do fail "$t" "$why"; done; exit 0; fi

RV=$BUILD/guest/riscv64
HELLO=$RV/hello
have_hello=yes
no_hello=""
if [ ! -x "$HELLO" ]; then
    have_hello=no
    if [ -f "$BUILD/guest/riscv64.skipped" ]; then
        no_hello=$(cat "$BUILD/guest/riscv64.skipped")
    else
        no_hello="$HELLO missing (run make guest)"
    fi
fi
# missing_hello TEST...: SKIP when the cross compiler is missing, else FAIL.
missing_hello() {
    local t
    for t in "$@"; do
        if [ -f "$BUILD/guest/riscv64.skipped" ]; then skip "$t" "$no_hello"; else fail "$t" "$no_hello"; fi
    done
}

# expect_error NAME ARGS...: non-zero, < 128, exactly one stderr line, no stdout noise.
expect_error() {
    local name=$1; shift
    local g=$WORK/$name
    echo "$VM $*" >"$g.cmd"
    run "$g" "$VM" "$@"
    local n
    n=$(stderr_lines "$g")
    if [ "$RC" = 0 ]; then
        fail "$name" "status 0, want non-zero (log: $(save_log "$name" "$g.cmd" "$g.out" "$g.err"))"
    elif [ "$RC" -ge 124 ]; then
        fail "$name" "$(describe_rc "$RC"), want 1..123 (crash, hang or bad status) (log: $(save_log "$name" "$g.cmd" "$g.out" "$g.err"))"
    elif [ "$n" != 1 ]; then
        fail "$name" "$n lines on stderr, want exactly 1: $(head -c 200 "$g.err" | tr '\n' '|') (log: $(save_log "$name" "$g.cmd" "$g.err"))"
    else
        pass "$name"
    fi
}

# help / version
g=$WORK/help
run "$g" "$VM" --help
if [ "$RC" = 0 ] && grep -qi '^usage: vm' "$g.out" && grep -q -- '-strace' "$g.out"; then pass help
else fail help "--help: $(describe_rc "$RC"), stdout has no 'Usage: vm' or no -strace (log: $(save_log help "$g.out" "$g.err"))"; fi

g=$WORK/version
run "$g" "$VM" --version
ver=$(cat "$TOP/VERSION" 2>/dev/null)
if [ "$RC" = 0 ] && [ -n "$ver" ] && grep -qF "$ver" "$g.out"; then pass version
else fail version "--version: $(describe_rc "$RC"), stdout lacks version '$ver': $(head -c 100 "$g.out")"; fi

# No program at all: an error (usage hint), not a crash.
g=$WORK/no-args
run "$g" "$VM"
if [ "$RC" != 0 ] && [ "$RC" -lt 124 ] && [ -s "$g.err" ]; then pass no-args
else fail no-args "vm with no arguments: $(describe_rc "$RC"), stderr $(stderr_lines "$g") lines"; fi

expect_error unknown-option --no-such-option "$HELLO"
expect_error missing-file "$WORK/does-not-exist"
expect_error directory "$WORK"

printf 'this is not an ELF file\n' >"$WORK/notelf"
chmod +x "$WORK/notelf"
expect_error non-elf "$WORK/notelf"
: >"$WORK/empty"
chmod +x "$WORK/empty"
expect_error empty-file "$WORK/empty"

if [ "$have_hello" = yes ]; then
    head -c 100 "$HELLO" >"$WORK/trunc100"
    chmod +x "$WORK/trunc100"
    expect_error truncated-elf-100 "$WORK/trunc100"
    # Headers intact, segments cut off.
    head -c 4096 "$HELLO" >"$WORK/trunc4k"
    chmod +x "$WORK/trunc4k"
    expect_error truncated-elf-segments "$WORK/trunc4k"
    # EI_CLASS = ELFCLASS32.
    cp "$HELLO" "$WORK/elf32"
    printf '\001' | dd of="$WORK/elf32" bs=1 seek=4 conv=notrunc 2>/dev/null
    expect_error elf32 "$WORK/elf32"
    # e_machine = EM_SPARCV9 (43).
    cp "$HELLO" "$WORK/sparc"
    printf '\053\000' | dd of="$WORK/sparc" bs=1 seek=18 conv=notrunc 2>/dev/null
    expect_error elf-sparc "$WORK/sparc"
    # EI_DATA = ELFDATA2MSB: a big-endian RISC-V ELF does not exist.
    cp "$HELLO" "$WORK/elfbe"
    printf '\002' | dd of="$WORK/elfbe" bs=1 seek=5 conv=notrunc 2>/dev/null
    expect_error elf-big-endian "$WORK/elfbe"
    expect_error bad-d-item -d no_such_item "$HELLO"
else
    missing_hello truncated-elf-100 truncated-elf-segments elf32 elf-sparc elf-big-endian bad-d-item
fi

# VM_LOG: a bad spec is one error line naming VM_LOG; a good one still runs.
g=$WORK/vm-log-bad
VM_LOG=bad run "$g" "$VM" "$HELLO"
if [ "$RC" != 0 ] && [ "$RC" -lt 124 ] && [ "$(stderr_lines "$g")" = 1 ] && grep -q 'VM_LOG' "$g.err"; then
    pass vm-log-bad
else
    fail vm-log-bad "VM_LOG=bad: $(describe_rc "$RC"), stderr: $(head -c 200 "$g.err" | tr '\n' '|')"
fi

if [ "$have_hello" = yes ]; then
    g=$WORK/vm-log-ok
    VM_LOG=user=debug,all=warn run "$g" "$VM" "$HELLO"
    if [ "$RC" = 0 ] && [ "$(cat "$g.out")" = "Hello, world!" ]; then pass vm-log-ok
    else fail vm-log-ok "VM_LOG=user=debug,all=warn: $(describe_rc "$RC"), stdout '$(head -c 100 "$g.out")' (log: $(save_log vm-log-ok "$g.err"))"; fi
else
    missing_hello vm-log-ok
fi

g=$WORK/d-help
run "$g" "$VM" -d help
if [ "$RC" = 0 ] && grep -q 'in_asm' "$g.out" "$g.err" && grep -q 'strace' "$g.out" "$g.err"; then pass d-help
else fail d-help "-d help: $(describe_rc "$RC"), does not list in_asm and strace"; fi

if [ "$have_hello" = yes ]; then
    g=$WORK/nullderef
    echo "$VM $RV/nullderef" >"$g.cmd"
    run "$g" "$VM" "$RV/nullderef"
    if [ "$RC" = 139 ] && [ "$(cat "$g.out")" = "before" ]; then pass nullderef-139
    else fail nullderef-139 "$(describe_rc "$RC"), want 139 (SIGSEGV); stdout '$(head -c 60 "$g.out")' (log: $(save_log nullderef-139 "$g.cmd" "$g.err"))"; fi

    g=$WORK/strace
    echo "$VM -strace $HELLO" >"$g.cmd"
    run "$g" "$VM" -strace "$HELLO"
    if [ "$RC" = 0 ] && [ "$(cat "$g.out")" = "Hello, world!" ] && grep -q 'write(1,' "$g.err" &&
        grep -q 'exit_group(0' "$g.err"; then
        pass strace
    else
        fail strace "$(describe_rc "$RC"); want hello on stdout and 'write(1,' + 'exit_group(0' on stderr (log: $(save_log strace "$g.cmd" "$g.out" "$g.err"))"
    fi

    g=$WORK/d-in-asm-ir
    echo "$VM -d in_asm,ir $HELLO" >"$g.cmd"
    run "$g" "$VM" -d in_asm,ir "$HELLO"
    # in_asm: "IN: 0x<pc>" then disassembled RISC-V instructions; ir: "IR:" then ops.
    if [ "$RC" = 0 ] && [ "$(cat "$g.out")" = "Hello, world!" ] &&
        grep -q '^IN: 0x[0-9a-f]' "$g.err" &&
        grep -Eq '(^|[[:space:]:])(auipc|addi|ld|sd|jal|jalr|c\.[a-z]+)[[:space:]]' "$g.err" &&
        grep -q '^IR:' "$g.err" && grep -Eq '^ +t[0-9]+:i(32|64) = ' "$g.err"; then
        pass d-in-asm-ir
    else
        fail d-in-asm-ir "$(describe_rc "$RC"); want 'IN: 0x..', RISC-V mnemonics, 'IR:' and IR ops on stderr (log: $(save_log d-in-asm-ir "$g.cmd" "$g.out" "$g.err"))"
    fi

    # -E sets and -U removes guest environment variables; -accel interp is the default engine.
    g=$WORK/env-E-U
    echo "VM_TEST_A=alpha $VM -E VM_TEST_NEW=v1 -U VM_TEST_A $RV/argv_env x" >"$g.cmd"
    VM_TEST_A=alpha run "$g" "$VM" -E VM_TEST_NEW=v1 -U VM_TEST_A "$RV/argv_env" x
    if [ "$RC" = 42 ] && grep -qx 'env VM_TEST_NEW=v1' "$g.out" && ! grep -q 'VM_TEST_A=' "$g.out" &&
        grep -qx 'getenv(VM_TEST_A)=(null)' "$g.out"; then
        pass env-E-U
    else
        fail env-E-U "$(describe_rc "$RC") (want 42); want VM_TEST_NEW=v1 set and VM_TEST_A removed (log: $(save_log env-E-U "$g.cmd" "$g.out" "$g.err"))"
    fi

    g=$WORK/accel-interp
    run "$g" "$VM" -accel interp "$HELLO"
    if [ "$RC" = 0 ] && [ "$(cat "$g.out")" = "Hello, world!" ]; then pass accel-interp
    else fail accel-interp "-accel interp: $(describe_rc "$RC"), stdout '$(head -c 100 "$g.out")'"; fi

    g=$WORK/d-logfile
    run "$g" "$VM" -d in_asm -D "$WORK/vm.log" "$HELLO"
    if [ "$RC" = 0 ] && grep -q '^IN: 0x' "$WORK/vm.log" 2>/dev/null && ! grep -q '^IN: 0x' "$g.err"; then
        pass d-logfile
    else
        fail d-logfile "$(describe_rc "$RC"); -D FILE should receive the -d in_asm output"
    fi
else
    missing_hello nullderef-139 strace d-in-asm-ir env-E-U accel-interp d-logfile
fi

# -- aarch64 ------------------------------------------------------------------------
# The same vm binary picks the arch from the ELF header (EM_AARCH64).
A64=$BUILD/guest/aarch64
if [ -f "$BUILD/guest/aarch64.skipped" ]; then
    for t in aarch64-hello aarch64-exit-status aarch64-d-in-asm; do skip "$t" "$(cat "$BUILD/guest/aarch64.skipped")"; done
elif [ ! -x "$A64/hello" ] || [ ! -x "$A64/argv_env" ]; then
    for t in aarch64-hello aarch64-exit-status aarch64-d-in-asm; do fail "$t" "$A64/hello or $A64/argv_env missing (run make guest)"; done
else
    g=$WORK/aarch64-hello
    echo "$VM $A64/hello" >"$g.cmd"
    run "$g" "$VM" "$A64/hello"
    if [ "$RC" = 0 ] && [ "$(cat "$g.out")" = "Hello, world!" ] && [ ! -s "$g.err" ]; then pass aarch64-hello
    else fail aarch64-hello "$(describe_rc "$RC"), stdout '$(head -c 100 "$g.out")', want 'Hello, world!', status 0 and no stderr (log: $(save_log aarch64-hello "$g.cmd" "$g.out" "$g.err"))"; fi

    # argv_env exits with argc + 40: vm's status is the guest's exit_group status.
    g=$WORK/aarch64-exit-status
    echo "$VM $A64/argv_env a b c" >"$g.cmd"
    run "$g" "$VM" "$A64/argv_env" a b c
    if [ "$RC" = 44 ] && grep -qx 'argc=4' "$g.out" && grep -qx 'argv\[3\]="c" len=1' "$g.out"; then pass aarch64-exit-status
    else fail aarch64-exit-status "$(describe_rc "$RC"), want 44 and argc=4 on stdout (log: $(save_log aarch64-exit-status "$g.cmd" "$g.out" "$g.err"))"; fi

    # -d in_asm: capstone's A64 syntax ("stp x29, x30, [sp, #-0x..]!", hex
    # immediates), not raw bytes; the program still runs normally.
    g=$WORK/aarch64-d-in-asm
    echo "$VM -d in_asm $A64/hello" >"$g.cmd"
    run "$g" "$VM" -d in_asm "$A64/hello"
    if [ "$RC" = 0 ] && [ "$(cat "$g.out")" = "Hello, world!" ] && grep -q '^IN: 0x[0-9a-f]' "$g.err" &&
        grep -Eq '^ +0x[0-9a-f]+: +[0-9a-f]{8} +(adrp|bl|ldr|str|stp|ldp|movz|mov|add|sub|cmp|b\.[a-z]+|cbz|cbnz|ret|svc) ' "$g.err" &&
        grep -Eq ' stp x29, x30, \[sp, #-0x[0-9a-f]+\]!$' "$g.err" &&
        grep -Eq ' svc #0$' "$g.err"; then
        pass aarch64-d-in-asm
    else
        fail aarch64-d-in-asm "$(describe_rc "$RC"); want 'IN: 0x..' and capstone A64 disassembly (stp x29, x30, [sp, #-0x..]!, svc #0) on stderr (log: $(save_log aarch64-d-in-asm "$g.cmd" "$g.out" "$g.err"))"
    fi
fi

# -- -chardev and -device virtio-console -------------------------------------------
# Option errors: status 1 and one "vm: ..." line that names the problem,
# before any kernel is read (the -kernel file need not exist).
# expect_error_re NAME REGEX ARGS...
expect_error_re() {
    local name=$1 want=$2; shift 2
    local g=$WORK/$name
    echo "$VM $*" >"$g.cmd"
    run "$g" "$VM" "$@"
    if [ "$RC" != 1 ]; then
        fail "$name" "$(describe_rc "$RC"), want 1 (log: $(save_log "$name" "$g.cmd" "$g.out" "$g.err"))"
    elif [ "$(stderr_lines "$g")" != 1 ] || ! grep -qE "^vm: .*$want" "$g.err"; then
        fail "$name" "want one stderr line matching '$want', got: $(head -c 300 "$g.err" | tr '\n' '|')"
    else
        pass "$name"
    fi
}
K=$WORK/no-such-kernel
expect_error_re chardev-unknown-id "virtio-console,chardev=c1: no -chardev with id 'c1'" \
    -kernel "$K" -serial none -chardev "file,id=c0,path=$WORK/c0" -device virtio-console,chardev=c1
expect_error_re chardev-duplicate-id "duplicate id 'c0'" \
    -kernel "$K" -chardev "file,id=c0,path=$WORK/a" -chardev "file,id=c0,path=$WORK/b"
expect_error_re chardev-used-twice "chardev 'c0' is already used by -device virtio-console,chardev=c0" \
    -kernel "$K" -chardev "file,id=c0,path=$WORK/a" -device virtio-console,chardev=c0 -device virtconsole,chardev=c0
expect_error_re console-no-chardev "virtio-console: missing chardev=ID" -kernel "$K" -device virtio-console
expect_error_re chardev-stdio-serial "stdio is already the serial console's" \
    -kernel "$K" -chardev stdio,id=c0 -device virtio-console,chardev=c0
expect_error_re chardev-stdio-monitor "stdio is already the monitor's" \
    -kernel "$K" -serial none -monitor stdio -chardev stdio,id=c0 -device virtio-console,chardev=c0
expect_error_re chardev-bad-backend "backend 'pty' is not supported" -kernel "$K" -chardev pty,id=c0
expect_error_re chardev-no-id "missing id=ID" -kernel "$K" -chardev "file,path=$WORK/a"
# A socket that cannot be reached is a clear error at start, not a hang.
expect_error_re chardev-socket-missing "-chardev socket,id=c0,path=$WORK/nope.sock: (No such file|Connection refused)" \
    -M virt -bios none -kernel "$K" -serial none -chardev "socket,id=c0,path=$WORK/nope.sock" \
    -device virtio-console,chardev=c0

# -- -jit option values ----------------------------------------------------------
# Bad -jit values: status 1 and one "vm: -jit: ..." line, before the program
# is read (it need not exist). Thresholds are 1..1000000000 and hot >= cold
# (src/jit/tier.c, jit_parse_options).
P=$WORK/no-such-program
expect_error_re jit-cold-zero "-jit: cold=0: expected a number from 1 to 1000000000" -jit cold=0 "$P"
expect_error_re jit-hot-zero "-jit: hot=0: expected a number from 1 to 1000000000" -jit cold=1,hot=0 "$P"
expect_error_re jit-hot-below-cold "-jit: hot=4 is below cold=5\$" -jit cold=5,hot=4 "$P"
expect_error_re jit-hot-default-below-cold "-jit: hot=1000 \(the default: give hot= too\) is below cold=5000" \
    -jit cold=5000 "$P"
expect_error_re jit-negative "-jit: cold=-5: expected a number\$" -jit cold=-5 "$P"
expect_error_re jit-plus-sign "-jit: hot=\+50: expected a number\$" -jit hot=+50 "$P"
expect_error_re jit-garbage "-jit: hot=12abc: expected a number\$" -jit hot=12abc "$P"
expect_error_re jit-empty "-jit: cold=: expected a number\$" -jit cold= "$P"
expect_error_re jit-too-big "-jit: hot=1000000001: expected a number from 1 to 1000000000" -jit hot=1000000001 "$P"
expect_error_re jit-adaptive-bad "-jit: adaptive=yes: expected on or off" -jit adaptive=yes "$P"
# 17179869185G wraps round 2^64 to exactly 1G: refused, not taken as 1G.
expect_error_re jit-cache-wrap "-jit: cache=17179869185G: expected a size between 4M and 1G" \
    -jit cache=17179869185G "$P"
expect_error_re jit-cache-negative "-jit: cache=-1: expected a size between 4M and 1G" -jit cache=-1 "$P"
expect_error_re jit-unknown-key "-jit: unknown option 'warm'" -jit cold=5,warm=7 "$P"
expect_error_re jit-no-value "-jit: 'cold': expected key=value" -jit cold "$P"
expect_error_re jit-tiers-2 "-jit: tiers=2: only the L1 tier exists so far" -jit tiers=2 "$P"
