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
    # The native run is the oracle: it must itself behave as designed, or a
    # broken program could "pass" by failing identically under vm.
    case $p in argv_env) want=46 ;; nullderef) want=139 ;; *) want=0 ;; esac
    if [ "$erc" != "$want" ] || grep -q '^FAIL' "$e.out"; then
        fail "$p" "native run broken: status $erc (want $want) (log: $(save_log "$p" "$e.out" "$e.err"))"
        continue
    fi
    echo "VM_TEST_A=alpha VM_TEST_B='x y=z' $VM $RV/$p ${vargs[*]}" >"$g.cmd"
    # shellcheck disable=SC2086
    VM_TEST_A=alpha VM_TEST_B="x y=z" run "$g" $VM "$RV/$p" "${vargs[@]}"; grc=$RC
    compare "$p" "$e" "$g" "$erc" "$grc"
done
