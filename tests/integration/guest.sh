#!/bin/bash
# SPDX-License-Identifier: MIT
# Suite (a): every guest program from tests/guest, for every guest arch built
# under build/guest/<arch>/ (riscv64, aarch64), runs under vm with the same
# stdout and exit status as its native build. Tests are named <arch>/<program>.
SUITE=guest
. "$(dirname "$0")/lib.sh"

NAT=$BUILD/guest/native
# The same lists as tests/guest/guest.mk (GUEST_PROGS, GUEST_<ARCH>_ONLY).
COMMON="hello argv_env int_ops muldiv atomics fp strings fileio signals sigmask
forkexec nullderef bitmanip faultpc escape bytemerge"
progs_for() {
    case $1 in
    riscv64) echo "$COMMON compute-rv64gc compute-rv64g" ;;
    aarch64) echo "$COMMON compute a64_crypto a64_fpest a64_flags a64_sat a64_vidx" ;;
    *) echo "$COMMON" ;;
    esac
}

# Arguments and environment per program (the same for both runs).
args_for() {
    case $1 in
    argv_env) printf '%s\n' one "two words" "" "tab	and ünïcode" '$HOME*' ;;
    fileio) echo "$WORK/fio-$2" ;;
    esac
}

vm_why=""
vm_why=$(vm_missing) || vm_why=""

for arch in $(guest_arches); do
    G=$BUILD/guest/$arch
    PROGS=$(progs_for "$arch")
    if [ -f "$BUILD/guest/$arch.skipped" ]; then
        why=$(cat "$BUILD/guest/$arch.skipped")
        for p in $PROGS; do skip "$arch/$p" "$why"; done
        continue
    fi
    if [ -n "$vm_why" ]; then
        for p in $PROGS; do fail "$arch/$p" "$vm_why"; done
        continue
    fi
    for p in $PROGS; do
        name=$arch/$p
        if [ ! -x "$G/$p" ] || [ ! -x "$NAT/$p" ]; then
            fail "$name" "guest binary missing: $G/$p or $NAT/$p (run make guest)"
            continue
        fi
        mkdir -p "$WORK/fio-native-$arch" "$WORK/fio-vm-$arch"
        mapfile -t nargs < <(args_for "$p" "native-$arch")
        mapfile -t vargs < <(args_for "$p" "vm-$arch")
        e=$WORK/$arch-$p.native g=$WORK/$arch-$p.vm
        VM_TEST_A=alpha VM_TEST_B="x y=z" run "$e" "$NAT/$p" "${nargs[@]}"; erc=$RC
        # The native run is the oracle: it must itself behave as designed, or a
        # broken program could "pass" by failing identically under vm.
        case $p in argv_env) want=46 ;; nullderef) want=139 ;; *) want=0 ;; esac
        if [ "$erc" != "$want" ] || grep -q '^FAIL' "$e.out"; then
            fail "$name" "native run broken: status $erc (want $want) (log: $(save_log "$name" "$e.out" "$e.err"))"
            continue
        fi
        echo "VM_TEST_A=alpha VM_TEST_B='x y=z' $VM $G/$p ${vargs[*]}" >"$g.cmd"
        # shellcheck disable=SC2086
        VM_TEST_A=alpha VM_TEST_B="x y=z" run "$g" $VM "$G/$p" "${vargs[@]}"; grc=$RC
        compare "$name" "$e" "$g" "$erc" "$grc"
    done
done
