#!/bin/bash
# SPDX-License-Identifier: MIT
# Suite (a): every riscv64 guest program from tests/guest runs under vm with
# the same stdout and exit status as its native build.
SUITE=guest
. "$(dirname "$0")/lib.sh"

RV=$BUILD/guest/riscv64
NAT=$BUILD/guest/native
PROGS="hello argv_env int_ops muldiv atomics fp strings fileio signals forkexec
nullderef bitmanip compute-rv64gc compute-rv64g"

if [ -f "$BUILD/guest/riscv64.skipped" ]; then
    why=$(cat "$BUILD/guest/riscv64.skipped")
    for p in $PROGS; do skip "$p" "$why"; done
    exit 0
fi
if why=$(vm_missing); then
    for p in $PROGS; do fail "$p" "$why"; done
    exit 0
fi

# Arguments and environment per program (the same for both runs).
args_for() {
    case $1 in
    argv_env) printf '%s\n' one "two words" "" "tab	and ünïcode" '$HOME*' ;;
    fileio) echo "$WORK/fio-$2" ;;
    esac
}

for p in $PROGS; do
    if [ ! -x "$RV/$p" ] || [ ! -x "$NAT/$p" ]; then
        fail "$p" "guest binary missing: $RV/$p or $NAT/$p (run make guest)"
        continue
    fi
    mkdir -p "$WORK/fio-native" "$WORK/fio-vm"
    mapfile -t nargs < <(args_for "$p" native)
    mapfile -t vargs < <(args_for "$p" vm)
    e=$WORK/$p.native g=$WORK/$p.vm
    VM_TEST_A=alpha VM_TEST_B="x y=z" run "$e" "$NAT/$p" "${nargs[@]}"; erc=$RC
    echo "VM_TEST_A=alpha VM_TEST_B='x y=z' $VM $RV/$p ${vargs[*]}" >"$g.cmd"
    # shellcheck disable=SC2086
    VM_TEST_A=alpha VM_TEST_B="x y=z" run "$g" $VM "$RV/$p" "${vargs[@]}"; grc=$RC
    compare "$p" "$e" "$g" "$erc" "$grc"
done

# The expected status of nullderef is a SIGSEGV death (139), natively too:
# check it explicitly so a native change cannot make the comparison vacuous.
if [ -x "$NAT/nullderef" ]; then
    run "$WORK/nd" "$NAT/nullderef"
    if [ "$RC" = 139 ]; then pass "nullderef-native-139"; else fail "nullderef-native-139" "native status $RC, want 139"; fi
fi
