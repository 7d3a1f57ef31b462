#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The gdb stub with gdb-multiarch in batch mode:
#  sys-interp, sys-jit  bare-metal riscv64 (tests/baremetal/gdbt.c) with -gdb and -S
#                       under each engine: -S stops before the first instruction,
#                       breakpoints, registers, stepi, a write and a read
#                       watchpoint, memory read and write, a step into the trap
#                       handler (vCont;s), CSRs, a hardware breakpoint, a
#                       register write the program checks, Ctrl-C, exit (W).
#  threads              -smp 2: two vCPUs are two threads; 'kill' ends vm.
#  sched-lock           -smp 2 (tests/baremetal/gdbsmp.c): with scheduler-locking
#                       on, stepping hart 0 (stepi, vCont;s:1, next) leaves hart 1
#                       stopped: its counter does not move; unlocked, it runs again.
#  monitor-S            -S without -gdb: paused until the monitor's cont.
#  user-riscv64, user-aarch64  vm -g PORT on tests/guest/gdb_target.c: break,
#                       registers, stepi, a watchpoint, a register write.
#  signal-riscv64, signal-aarch64  vm -g PORT on tests/guest/gdb_signal.c: a
#                       kill(SIGUSR1) and a bad store reported with gdb's signal
#                       names (the store's pc), "signal 0" discards, "continue"
#                       passes the signal; exit code (W) and death by SIGSEGV (X).
# Each test fails when gdb's output lacks an expected value.
source "$(dirname "$0")/lib.sh"

GDB=${GDB:-gdb-multiarch}
TESTS="sys-interp sys-jit threads sched-lock monitor-S user-riscv64 user-aarch64 signal-riscv64 signal-aarch64"
skip_all() { for t in $TESTS; do skip "$t" "$1"; done; exit 0; }

reason=$(vm_missing) && skip_all "$reason"
command -v "$GDB" >/dev/null 2>&1 || skip_all "no $GDB (apt-get install gdb-multiarch)"
[ -n "${VM_UNDER_TEST:-}" ] && skip_all "VM_UNDER_TEST set: these tests drive vm's own options"

# A port per suite run (and per test below), away from common services.
PORT=$((30000 + ($$ % 5000) * 4))

# gdb_run NAME SCRIPT [INTERRUPT]: runs gdb in batch mode on SCRIPT (ELF given
# as $ELF) into $WORK/NAME.gdb.out; with INTERRUPT, sends it one SIGINT (what
# Ctrl-C does) once its output says SPINNING. Bounded by $TIMEOUT.
gdb_run() {
    local name=$1 script=$2 intr=${3:-} out=$WORK/$1.gdb.out i
    "$GDB" -nx -batch -ex "set tcp connect-timeout 30" -x "$script" "$ELF" >"$out" 2>&1 </dev/null &
    local gp=$!
    if [ -n "$intr" ]; then
        for i in $(seq $((TIMEOUT * 10))); do
            grep -q '^SPINNING' "$out" 2>/dev/null && break
            kill -0 "$gp" 2>/dev/null || break
            sleep 0.1
        done
        sleep 0.5
        kill -INT "$gp" 2>/dev/null
    fi
    for i in $(seq $((TIMEOUT * 10))); do
        kill -0 "$gp" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$gp" 2>/dev/null
    wait "$gp" 2>/dev/null
}

# check NAME FILE PATTERN...: every extended regex is in FILE, else FAIL (once)
# naming the first missing one. Returns 1 on failure.
check() {
    local name=$1 file=$2 p
    shift 2
    for p in "$@"; do
        if ! grep -Eq -- "$p" "$file"; then
            fail "$name" "gdb output lacks /$p/ (log: $(save_log "$name" "$WORK/$name.gdb.out" "$WORK/$name.vm.err" "$WORK/$name.vm.out"))"
            return 1
        fi
    done
    return 0
}

# vm_bg NAME ARGS...: starts vm in the background (stdout/err to $WORK/NAME.vm.*).
vm_bg() {
    local name=$1
    shift
    # In a subshell whose stderr is dropped: a vm that dies of a signal (the
    # signal tests expect it) makes bash print a job note there, not here.
    { timeout -k 5 "$TIMEOUT" "$VM" "$@" >"$WORK/$name.vm.out" 2>"$WORK/$name.vm.err" </dev/null; } 2>/dev/null &
    VMPID=$!
}
vm_wait() {
    wait "$VMPID"
    VMRC=$?
}

# -- System mode ---------------------------------------------------------------------

bm_elf=$WORK/gdbt.elf
if command -v "$RV_CC" >/dev/null 2>&1; then
    bm_cc "$bm_elf" -O1 -g "$TOP/tests/baremetal/crt.S" "$TOP/tests/baremetal/bm.c" \
        "$TOP/tests/baremetal/gdbt.c" >"$WORK/gdbt.build.log" 2>&1 || bm_elf=
else
    bm_elf=
fi

sys_script() {
    cat <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$1
printf "START pc=%#lx\n", \$pc
info threads
break add_step
continue
continue
info registers a1
stepi
printf "STEPI %d\n", \$pc > (long)&add_step && \$pc <= (long)&add_step + 4
delete
watch counter
continue
delete
rwatch counter
continue
delete
x/2gx &pattern
set var pattern[2] = 0x5a5a
printf "PATTERN2 %#lx\n", pattern[2]
break gdbt_ecall
continue
delete
maint packet vCont;s:1
maintenance flush register-cache
printf "TRAPSTEP %d\n", \$pc == (long)&m_trap_entry
print/x \$mcause
hbreak magic
continue
delete
set \$a0 = 0x1234
printf "A0 %#lx\n", \$a0
break spin_wait
continue
delete
echo SPINNING\n
continue
printf "INTERRUPTED %d\n", \$pc >= (long)&spin_wait && \$pc < (long)&main
set var spin = 0
continue
EOF
}

for accel in interp jit; do
    name=sys-$accel
    if [ -z "$bm_elf" ]; then
        skip "$name" "no $RV_CC to build tests/baremetal/gdbt.c"
        continue
    fi
    port=$((PORT++))
    sys_script "$port" >"$WORK/$name.gdb"
    ELF=$bm_elf
    vm_bg "$name" -accel "$accel" -M virt -bios none -kernel "$bm_elf" -nographic -gdb "tcp::$port" -S
    gdb_run "$name" "$WORK/$name.gdb" interrupt
    vm_wait
    o=$WORK/$name.gdb.out
    check "$name" "$o" '^START pc=0x80000000$' 'Thread 1 ' 'add_step \(acc=.*i=i@entry=1\)' \
        '^a1 +0x1[[:space:]]' '^STEPI 1$' '^Old value = 1$' '^New value = 2$' '^Value = 2$' \
        '<pattern>:[[:space:]]+0x1122334455667788[[:space:]]+0x00000000cafef00d' \
        '^PATTERN2 0x5a5a$' '^TRAPSTEP 1$' '= 0xb$' 'magic \(x=x@entry=7\)' '^A0 0x1234$' \
        'received signal SIGINT' '^INTERRUPTED 1$' 'exited normally' || continue
    if [ "$VMRC" -ne 0 ]; then
        fail "$name" "vm exit status $VMRC, expected 0: the program checks what gdb did (log: $(save_log "$name" "$o" "$WORK/$name.vm.err"))"
        continue
    fi
    pass "$name"
done

# Two vCPUs are two threads; 'kill' ends vm.
name=threads
if [ -z "$bm_elf" ]; then
    skip "$name" "no $RV_CC to build tests/baremetal/gdbt.c"
else
    port=$((PORT++))
    printf 'set confirm off\ntarget remote 127.0.0.1:%s\ninfo threads\nthread 2\nprintf "PC2 %%#lx\\n", $pc\nkill\n' \
        "$port" >"$WORK/$name.gdb"
    ELF=$bm_elf
    vm_bg "$name" -M virt -smp 2 -bios none -kernel "$bm_elf" -nographic -gdb "tcp::$port" -S
    gdb_run "$name" "$WORK/$name.gdb"
    vm_wait
    if check "$name" "$WORK/$name.gdb.out" 'Thread 1 ' 'Thread 2 ' '^PC2 0x80000000$'; then
        if [ "$VMRC" -eq 0 ] && grep -q 'killed by gdb' "$WORK/$name.vm.err"; then
            pass "$name"
        else
            fail "$name" "vm did not end on kill ($(describe_rc "$VMRC")) (log: $(save_log "$name" "$WORK/$name.vm.err"))"
        fi
    fi
fi

# Scheduler locking: gdb resumes thread 1 alone (vCont;c:1 with its
# single-step breakpoint, vCont;s:1): thread 2 must stay stopped (hart 1's
# counter frozen), and run again once unlocked (the program waits for it).
smp_elf=$WORK/gdbsmp.elf
if [ -n "$bm_elf" ]; then
    bm_cc "$smp_elf" -O1 -g "$TOP/tests/baremetal/gdbsmp.c" >"$WORK/gdbsmp.build.log" 2>&1 || smp_elf=
else
    smp_elf=
fi
name=sched-lock
if [ -z "$smp_elf" ]; then
    skip "$name" "no $RV_CC to build tests/baremetal/gdbsmp.c"
else
    port=$((PORT++))
    cat >"$WORK/$name.gdb" <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$port
break h0_mark
continue
delete
set scheduler-locking on
printf "C1 %lu\n", hart1_count
stepi
stepi
stepi
maint packet vCont;s:1
maintenance flush register-cache
next
printf "C2 %lu\n", hart1_count
set scheduler-locking off
continue
EOF
    ELF=$smp_elf
    vm_bg "$name" -M virt -smp 2 -bios none -kernel "$smp_elf" -nographic -gdb "tcp::$port" -S
    gdb_run "$name" "$WORK/$name.gdb"
    vm_wait
    o=$WORK/$name.gdb.out
    if check "$name" "$o" 'hit Breakpoint 1, h0_mark' '^C1 [0-9]+$' '^C2 [0-9]+$' \
        'exited normally'; then
        c1=$(sed -n 's/^C1 //p' "$o")
        c2=$(sed -n 's/^C2 //p' "$o")
        if [ "$c1" -lt 1000 ] || [ "$c1" != "$c2" ]; then
            fail "$name" "hart 1 counted $c1 before and $c2 after hart 0 stepped alone (expected equal, >= 1000) (log: $(save_log "$name" "$o" "$WORK/$name.vm.err"))"
        elif [ "$VMRC" -ne 0 ]; then
            fail "$name" "vm exit status $VMRC, expected 0 (log: $(save_log "$name" "$o" "$WORK/$name.vm.err"))"
        else
            pass "$name"
        fi
    fi
fi

# -S without -gdb waits for the monitor's cont (gdbsmp alone exits 0 at once).
name=monitor-S
if [ -z "$smp_elf" ]; then
    skip "$name" "no $RV_CC to build tests/baremetal/gdbsmp.c"
elif ! command -v python3 >/dev/null 2>&1; then
    skip "$name" "no python3 to drive the monitor"
else
    sock=$WORK/mon-S.sock
    vm_bg "$name" -M virt -smp 2 -bios none -kernel "$smp_elf" -serial none -S -monitor "unix:$sock,server,nowait"
    timeout -k 5 "$TIMEOUT" python3 "$(mon_py)" "$sock" "info status" "sleep 0.5" "info status" cont >"$WORK/$name.gdb.out" 2>&1
    vm_wait
    if check "$name" "$WORK/$name.gdb.out" 'VM status: paused \(-S' '^== cont$'; then
        if [ "$(grep -c 'VM status: paused (-S' "$WORK/$name.gdb.out")" != 2 ] || [ "$VMRC" -ne 0 ]; then
            fail "$name" "not held by -S until cont, or vm $(describe_rc "$VMRC") (log: $(save_log "$name" "$WORK/$name.gdb.out" "$WORK/$name.vm.err"))"
        else
            pass "$name"
        fi
    fi
fi

# -- User mode -----------------------------------------------------------------------

user_script() { # PORT ARG0-REG ARG1-REG
    cat <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$1
break add_step
continue
continue
info registers $3
stepi
printf "STEPI %d\n", \$pc > (long)&add_step && \$pc <= (long)&add_step + 4
delete
watch counter
continue
delete
break magic
continue
delete
set \$$2 = 0x1234
printf "ARG %#lx\n", \$$2
continue
EOF
}

for arch in riscv64 aarch64; do
    name=user-$arch
    prog=$BUILD/guest/$arch/gdb_target
    if [ ! -x "$prog" ]; then
        skip "$name" "$prog not built ($(cat "$BUILD/guest/$arch.skipped" 2>/dev/null || echo 'make guest'))"
        continue
    fi
    case $arch in riscv64) r0=a0 r1=a1 ;; aarch64) r0=x0 r1=x1 ;; esac
    port=$((PORT++))
    user_script "$port" "$r0" "$r1" >"$WORK/$name.gdb"
    ELF=$prog
    vm_bg "$name" -g "$port" "$prog"
    gdb_run "$name" "$WORK/$name.gdb"
    vm_wait
    check "$name" "$WORK/$name.gdb.out" 'add_step \(acc=.*i=i@entry=1\)' "^$r1 +0x1[[:space:]]" '^STEPI 1$' \
        '^Old value = 1$' '^New value = 2$' 'magic \(x=x@entry=7\)' '^ARG 0x1234$' 'exited normally' || continue
    if [ "$VMRC" -ne 0 ] || ! grep -qx 'acc=58 counter=5 magic=1' "$WORK/$name.vm.out"; then
        fail "$name" "program output or status wrong ($(describe_rc "$VMRC"); expected 'acc=58 counter=5 magic=1') (log: $(save_log "$name" "$WORK/$name.vm.out" "$WORK/$name.vm.err" "$WORK/$name.gdb.out"))"
        continue
    fi
    pass "$name"
done

# -- User mode: guest signals (tests/guest/gdb_signal.c, built here with -g -O1) --------

sig_script() { # PORT ARG0-REG MODE (exit: pass SIGUSR1, exit 3; die: discard it, die of SIGSEGV)
    cat <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$1
continue
EOF
    if [ "$3" = die ]; then echo "signal 0"; else echo "continue"; fi
    cat <<EOF
printf "FAULTPC %d\n", \$pc >= (long)&poke && \$pc < (long)&poke + 16
set \$$2 = &target
signal 0
EOF
    if [ "$3" = die ]; then echo "continue"; fi
}

A64_CC=${A64_CC:-aarch64-linux-gnu-gcc}
for arch in riscv64 aarch64; do
    name=signal-$arch
    case $arch in riscv64) cc=$RV_CC r0=a0 ;; aarch64) cc=$A64_CC r0=x0 ;; esac
    prog=$WORK/gdb_signal-$arch
    if ! command -v "$cc" >/dev/null 2>&1; then
        skip "$name" "no $cc to build tests/guest/gdb_signal.c"
        continue
    fi
    if ! "$cc" -static -g -O1 -Wall -Wextra -Werror -o "$prog" "$TOP/tests/guest/gdb_signal.c" \
        >"$WORK/$name.build.log" 2>&1; then
        skip "$name" "$cc cannot build a static program (log: $(save_log "$name" "$WORK/$name.build.log"))"
        continue
    fi
    ELF=$prog
    ok=1
    for mode in exit die; do
        port=$((PORT++))
        sig_script "$port" "$r0" "$mode" >"$WORK/$name.gdb"
        if [ "$mode" = die ]; then vm_bg "$name" -g "$port" "$prog" die; else vm_bg "$name" -g "$port" "$prog"; fi
        gdb_run "$name" "$WORK/$name.gdb"
        vm_wait
        o=$WORK/$name.gdb.out
        if [ "$mode" = exit ]; then
            # SIGUSR1 passed to its handler; the bad store retried with a good pointer.
            check "$name" "$o" 'received signal SIGUSR1' 'received signal SIGSEGV' 'in poke \(' '^FAULTPC 1$' \
                'exited with code 03' || { ok=0; break; }
            want='usr1=1 target=42' rc=3
        else
            # SIGUSR1 discarded (signal 0); the second bad store is fatal (X packet).
            check "$name" "$o" 'received signal SIGUSR1' 'received signal SIGSEGV' '^FAULTPC 1$' \
                'terminated with signal SIGSEGV' || { ok=0; break; }
            want='usr1=0 target=42' rc=139
        fi
        if [ "$VMRC" -ne "$rc" ] || ! grep -qx "$want" "$WORK/$name.vm.out"; then
            fail "$name" "$mode: expected '$want' and status $rc, got $(describe_rc "$VMRC") (log: $(save_log "$name" "$WORK/$name.vm.out" "$WORK/$name.vm.err" "$o"))"
            ok=0
            break
        fi
    done
    if [ "$ok" = 1 ]; then pass "$name"; fi
done
