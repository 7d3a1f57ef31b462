#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds each bare-metal test to OUT/NAME.elf: build.sh OUTDIR. Needs
# riscv64-linux-gnu-gcc (or $RV_CC); exits 2 when it is missing.
set -eu
out=${1:-build/baremetal}
here=$(cd "$(dirname "$0")" && pwd)
cc=${RV_CC:-riscv64-linux-gnu-gcc}
command -v "$cc" >/dev/null 2>&1 || { echo "no $cc" >&2; exit 2; }
mkdir -p "$out"
for t in traps irq paging pmp echo smc escape rtc; do
    "$cc" -nostdlib -nostartfiles -static -march=rv64gc -mabi=lp64d -mcmodel=medany -O2 \
        -ffreestanding -fno-pic -no-pie -Wall -Werror -T "$here/link.ld" -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
        -o "$out/$t.elf" "$here/crt.S" "$here/bm.c" "$here/$t.c"
done
# Programs with their own start-up (several harts): no crt.S / bm.c.
for t in smpjit; do
    "$cc" -nostdlib -nostartfiles -static -march=rv64gc -mabi=lp64d -mcmodel=medany -O2 \
        -ffreestanding -fno-pic -no-pie -Wall -Werror -T "$here/link.ld" -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
        -o "$out/$t.elf" "$here/$t.c"
done
