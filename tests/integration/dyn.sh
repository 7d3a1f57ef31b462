#!/bin/bash
# SPDX-License-Identifier: MIT
# Suite (d): dynamically linked riscv64 programs with -L SYSROOT (Debian's
# riscv64 cross libc), compared with the native builds.
SUITE=dyn
. "$(dirname "$0")/lib.sh"

SYSROOT=${VM_TEST_SYSROOT:-/usr/riscv64-linux-gnu}
PROGS="hello strings fp"
RV=$BUILD/guest/riscv64
NAT=$BUILD/guest/native

skip_all() { for p in $PROGS no-sysroot; do skip "$p" "$1"; done; exit 0; }
[ -f "$BUILD/guest/riscv64.skipped" ] && skip_all "$(cat "$BUILD/guest/riscv64.skipped")"
[ -e "$SYSROOT/lib/ld-linux-riscv64-lp64d.so.1" ] ||
    skip_all "$SYSROOT/lib/ld-linux-riscv64-lp64d.so.1 missing (apt-get install libc6-dev-riscv64-cross)"
if why=$(vm_missing); then for p in $PROGS no-sysroot; do fail "$p" "$why"; done; exit 0; fi

for p in $PROGS; do
    if [ ! -x "$RV/$p-dyn" ]; then fail "$p" "$RV/$p-dyn missing (run make guest)"; continue; fi
    e=$WORK/$p.native g=$WORK/$p.vm
    run "$e" "$NAT/$p"; erc=$RC
    echo "$VM -L $SYSROOT $RV/$p-dyn" >"$g.cmd"
    # shellcheck disable=SC2086
    run "$g" $VM -L "$SYSROOT" "$RV/$p-dyn"; grc=$RC
    compare "$p" "$e" "$g" "$erc" "$grc"
done

# Without -L the interpreter /lib/ld-linux-riscv64-lp64d.so.1 does not exist on
# the host: one error line, non-zero, no crash. (Skipped where it does exist.)
if [ -e /lib/ld-linux-riscv64-lp64d.so.1 ]; then
    skip no-sysroot "/lib/ld-linux-riscv64-lp64d.so.1 exists on this host"
elif [ -n "${VM_UNDER_TEST:-}" ]; then
    skip no-sysroot "only meaningful for vm itself"
else
    g=$WORK/no-sysroot
    run "$g" "$VM" "$RV/hello-dyn"
    if [ "$RC" != 0 ] && [ "$RC" -lt 124 ] && [ "$(stderr_lines "$g")" = 1 ]; then pass no-sysroot
    else fail no-sysroot "hello-dyn without -L: $(describe_rc "$RC"), stderr $(stderr_lines "$g") lines: $(head -c 200 "$g.err" | tr '\n' '|')"; fi
fi
