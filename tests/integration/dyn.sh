#!/bin/bash
# SPDX-License-Identifier: MIT
# Suite (d): dynamically linked guest programs (build/guest/<arch>/<name>-dyn,
# for every arch built) with -L SYSROOT (Debian's cross libc for that arch),
# compared with the native builds. Tests are named <arch>/<program>.
SUITE=dyn
. "$(dirname "$0")/lib.sh"

PROGS="hello strings fp"
NAT=$BUILD/guest/native

# sysroot_for ARCH / ldso_for ARCH: Debian's cross libc and its dynamic loader
# (the PT_INTERP of the -dyn programs). VM_TEST_SYSROOT overrides for riscv64
# (kept for compatibility), VM_TEST_SYSROOT_<arch> for any arch.
sysroot_for() {
    local v="VM_TEST_SYSROOT_$1"
    case $1 in
    riscv64) echo "${!v:-${VM_TEST_SYSROOT:-/usr/riscv64-linux-gnu}}" ;;
    aarch64) echo "${!v:-/usr/aarch64-linux-gnu}" ;;
    *) echo "${!v:-/usr/$1-linux-gnu}" ;;
    esac
}
ldso_for() {
    case $1 in
    riscv64) echo /lib/ld-linux-riscv64-lp64d.so.1 ;;
    aarch64) echo /lib/ld-linux-aarch64.so.1 ;;
    *) return 1 ;;
    esac
}
libc_pkg_for() {
    case $1 in
    riscv64) echo libc6-dev-riscv64-cross ;;
    aarch64) echo libc6-dev-arm64-cross ;;
    *) echo "libc6-dev-$1-cross" ;;
    esac
}

vm_why=""
vm_why=$(vm_missing) || vm_why=""

for arch in $(guest_arches); do
    G=$BUILD/guest/$arch
    SYSROOT=$(sysroot_for "$arch")
    names=""
    for p in $PROGS no-sysroot; do names="$names $arch/$p"; done
    skip_arch() { local n; for n in $names; do skip "$n" "$1"; done; }
    if [ -f "$BUILD/guest/$arch.skipped" ]; then skip_arch "$(cat "$BUILD/guest/$arch.skipped")"; continue; fi
    if ! LDSO=$(ldso_for "$arch"); then skip_arch "no known dynamic loader for $arch"; continue; fi
    if [ ! -e "$SYSROOT$LDSO" ]; then
        skip_arch "$SYSROOT$LDSO missing (apt-get install $(libc_pkg_for "$arch"))"
        continue
    fi
    if [ -n "$vm_why" ]; then for n in $names; do fail "$n" "$vm_why"; done; continue; fi

    for p in $PROGS; do
        name=$arch/$p
        if [ ! -x "$G/$p-dyn" ]; then fail "$name" "$G/$p-dyn missing (run make guest)"; continue; fi
        e=$WORK/$arch-$p.native g=$WORK/$arch-$p.vm
        run "$e" "$NAT/$p"; erc=$RC
        echo "$VM -L $SYSROOT $G/$p-dyn" >"$g.cmd"
        # shellcheck disable=SC2086
        run "$g" $VM -L "$SYSROOT" "$G/$p-dyn"; grc=$RC
        compare "$name" "$e" "$g" "$erc" "$grc"
    done

    # Without -L the interpreter does not exist on the host: one error line,
    # non-zero, no crash. (Skipped where it does exist.)
    name=$arch/no-sysroot
    if [ -e "$LDSO" ]; then
        skip "$name" "$LDSO exists on this host"
    elif [ -n "${VM_UNDER_TEST:-}" ]; then
        skip "$name" "only meaningful for vm itself"
    elif [ ! -x "$G/hello-dyn" ]; then
        fail "$name" "$G/hello-dyn missing (run make guest)"
    else
        g=$WORK/$arch-no-sysroot
        run "$g" "$VM" "$G/hello-dyn"
        if [ "$RC" != 0 ] && [ "$RC" -lt 124 ] && [ "$(stderr_lines "$g")" = 1 ]; then pass "$name"
        else fail "$name" "hello-dyn without -L: $(describe_rc "$RC"), stderr $(stderr_lines "$g") lines: $(head -c 200 "$g.err" | tr '\n' '|')"; fi
    fi
done
