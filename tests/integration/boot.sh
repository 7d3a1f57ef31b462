#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# System mode end to end: Debian's riscv64 kernel + OpenSBI + the busybox
# initramfs (scripts/mkinitrd.sh) on `vm -M virt`, plus bad-input errors.
#   make check:      bad inputs, dumpdtb, a boot to the marker that writes an
#                    ext2 disk and powers off with status 0 on vm's default
#                    engine (the JIT), and a boot with -smp 2 on it (IPIs,
#                    remote fences; about 0.5-1 min each)
#   VM_CHECK_LONG=1: also the same boot on the interpreter (boot-interp, 1.5-2
#                    min), the read-back after a reboot on a readonly=on drive
#                    (-smp 2), a test-finisher exit code, virtio-net through
#                    hostfwd
source "$(dirname "$0")/lib.sh"

# Without VM_BOOT_ACCEL the boot test runs once more, in the long tests, on
# the engine that is not vm's default (src/main/main.c): boot-$OTHER_ACCEL.
OTHER_ACCEL=interp
OTHER_TESTS=boot-$OTHER_ACCEL
[ -n "${VM_BOOT_ACCEL:-}" ] && OTHER_TESTS=""
LONG_TESTS="$OTHER_TESTS blk-readback blk-readonly exit-code net-hostfwd"
QUICK_TESTS="missing-kernel kernel-too-big corrupt-image truncated-elf dumpdtb boot blk-write boot-smp2 hvc-file hvc-input"

reason=$(vm_missing) && { for t in $QUICK_TESTS $LONG_TESTS; do skip "$t" "$reason"; done; exit 0; }

IMG=${VM_IMAGES_CACHE:-$TOP/images/cache}/riscv64
KERNEL=$IMG/linux-kernel/Image
BIOS=$IMG/opensbi/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
INITRD=$BUILD/images/initrd-riscv64.cpio.gz
# A boot takes 1-2 minutes of host time with the interpreter (longer on a busy
# host). VM_BOOT_ACCEL=jit|interp picks the engine (default: vm's own choice).
BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-600}

images_reason() {
    if [ ! -f "$KERNEL" ] || [ ! -f "$BIOS" ] || [ ! -f "$IMG/linux-modules.ok" ] ||
       [ ! -x "$IMG/busybox-static/usr/bin/busybox" ]; then
        sh "$TOP/scripts/fetch-images.sh" riscv64 >"$LOG_DIR/fetch-images.log" 2>&1
    fi
    if [ ! -f "$KERNEL" ] || [ ! -f "$BIOS" ]; then
        local why
        why=$(grep 'fetch-images:' "$LOG_DIR/fetch-images.log" 2>/dev/null | tail -1)
        echo "Debian riscv64 kernel/OpenSBI not available: ${why:-scripts/fetch-images.sh failed}"
        return 0
    fi
    mkdir -p "$BUILD/images"
    local mods
    mods=$(ls -d "$IMG"/linux-modules/usr/lib/modules/* 2>/dev/null | head -1)
    if ! sh "$TOP/scripts/mkinitrd.sh" "$IMG/busybox-static/usr/bin/busybox" "$INITRD" "$mods" \
            >"$LOG_DIR/mkinitrd.log" 2>&1; then
        echo "scripts/mkinitrd.sh failed (log: $LOG_DIR/mkinitrd.log)"
        return 0
    fi
    return 1
}

# expect_error NAME WANT_REGEX CMD...: status 1 and one stderr line matching.
expect_error() {
    local name=$1 want=$2; shift 2
    local pfx=$WORK/$name
    run "$pfx" "$VM" "$@"
    if [ "$RC" -ne 1 ]; then
        fail "$name" "expected status 1, got $(describe_rc "$RC") (log: $(save_log "$name" "$pfx.out" "$pfx.err"))"
    elif [ "$(stderr_lines "$pfx")" -ne 1 ] || ! grep -qE "$want" "$pfx.err"; then
        fail "$name" "expected one error line matching '$want', got: $(head -c 300 "$pfx.err" | tr '\n' '|')"
    else
        pass "$name"
    fi
}

# -- Bad inputs (no images needed except where said) ------------------------------

expect_error missing-kernel "^vm: $WORK/nope.Image: No such file or directory$" \
    -M virt -kernel "$WORK/nope.Image" -nographic
head -c 65536 /dev/urandom >"$WORK/corrupt.img"
expect_error corrupt-image "not a kernel image" -M virt -kernel "$WORK/corrupt.img" -nographic
# An ELF header that promises program headers past the end of the file.
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\363\000\001\000\000\000\000\000\000\200\000\000\000\000\100\000\000\000\000\000\000\000' >"$WORK/trunc.elf"
head -c 64 /dev/zero >>"$WORK/trunc.elf"
expect_error truncated-elf "truncated or corrupt ELF|no program headers" -M virt -bios none -kernel "$WORK/trunc.elf" -nographic

if reason=$(images_reason); then
    for t in kernel-too-big dumpdtb boot blk-write boot-smp2 hvc-file hvc-input $LONG_TESTS; do skip "$t" "$reason"; done
    exit 0
fi

expect_error kernel-too-big "^vm: kernel \([0-9.]+ MiB\) and initrd do not fit in 32 MiB of RAM" \
    -M virt -m 32M -kernel "$KERNEL" -initrd "$INITRD" -nographic

# -machine dumpdtb=FILE: a device tree with what OpenSBI and Linux look for.
run "$WORK/dtb" "$VM" -M virt,dumpdtb="$WORK/virt.dtb" -m 1G -smp 2 -kernel "$KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 marker-xyz"
if [ "$RC" -ne 0 ] || [ ! -s "$WORK/virt.dtb" ]; then
    fail dumpdtb "$(describe_rc "$RC"), no $WORK/virt.dtb: $(head -c 200 "$WORK/dtb.err")"
elif [ "$(head -c 4 "$WORK/virt.dtb" | od -An -tx1 | tr -d ' \n')" != d00dfeed ]; then
    fail dumpdtb "not a device tree blob (bad magic)"
else
    missing=""
    for s in riscv,isa sifive,plic-1.0.0 riscv,clint0 ns16550a sifive,test1 syscon-poweroff \
             google,goldfish-rtc linux,initrd-start marker-xyz riscv,cpu-intc cpu@1; do
        grep -qaF "$s" "$WORK/virt.dtb" || missing="$missing $s"
    done
    if [ -n "$missing" ]; then fail dumpdtb "missing from the tree:$missing"; else pass dumpdtb; fi
fi

# -numa: two nodes give the cpus and the two memory nodes a numa-node-id.
run "$WORK/numa" "$VM" -M virt,dumpdtb="$WORK/numa.dtb" -m 1G -smp 2 -numa node,mem=512M,cpus=0 \
    -numa node,mem=512M,cpus=1 -kernel "$KERNEL" -nographic
if [ "$RC" -ne 0 ]; then
    fail numa-dtb "dumpdtb with -numa failed: $(describe_rc "$RC")"
elif [ "$(grep -ac numa-node-id "$WORK/numa.dtb")" -lt 1 ] || ! grep -qaF "memory@a0000000" "$WORK/numa.dtb"; then
    fail numa-dtb "no numa-node-id / second memory node in the tree"
else
    pass numa-dtb
fi

# boot NAME TEST_LIST VM_ARGS...: boots with vm.test=TEST_LIST; output in $WORK/NAME.*
# ACCEL (default VM_BOOT_ACCEL, else vm's own choice) picks the engine.
boot() {
    local name=$1 tests=$2; shift 2
    local saved=$TIMEOUT accel=${ACCEL:-${VM_BOOT_ACCEL:-}}
    TIMEOUT=$BOOT_TIMEOUT
    run "$WORK/$name" "$VM" ${accel:+-accel "$accel"} -M virt -m 1G -kernel "$KERNEL" -initrd "$INITRD" -nographic \
        -append "console=ttyS0 quiet vm.test=$tests" "$@"
    TIMEOUT=$saved
}
boot_fail() {
    fail "$1" "$2; $(describe_rc "$RC") (log: $(save_log "$1" "$WORK/$1.out" "$WORK/$1.err"))"
}

want_md5=$(seq 1 20000 | md5sum | cut -d' ' -f1)
disk=$WORK/disk.img
truncate -s 32M "$disk"

# Boot to the marker, make an ext2 file system on the virtio disk and write a
# file, power off: status 0.
boot boot smp,blkw -smp 1 -drive "file=$disk,if=virtio,format=raw"
if [ "$RC" -ne 0 ] || ! grep -q "vm-initramfs: boot ok" "$WORK/boot.out"; then
    boot_fail boot "no marker line or status not 0"
    boot_ok=0
else
    pass boot
    boot_ok=1
fi
if [ "$boot_ok" = 1 ] && grep -q "vm-test: wrote $want_md5" "$WORK/boot.out"; then
    pass blk-write
elif [ "$boot_ok" = 1 ]; then
    fail blk-write "no 'vm-test: wrote $want_md5' line (log: $(save_log blk-write "$WORK/boot.out" "$WORK/boot.err"))"
else
    skip blk-write "the boot itself failed"
fi

# Two harts: the guest sees both (IPIs and remote fences at work; under the
# JIT this once failed in OpenSBI's remote fence.i, when one vCPU re-entered
# code that another vCPU's code-cache flush was freeing) and powers off.
boot boot-smp2 smp -smp 2
if [ "$RC" -eq 0 ] && grep -q "vm-test: cpus 2" "$WORK/boot-smp2.out"; then pass boot-smp2
else boot_fail boot-smp2 "no 'vm-test: cpus 2' line or status not 0"; fi

# virtio-console: with console=hvc0 the initramfs talks on the virtio console
# (-chardev file), not on the UART; a few seconds each.
hvc_boot() { # NAME APPEND VM_ARGS...
    local name=$1 app=$2; shift 2
    local saved=$TIMEOUT accel=${VM_BOOT_ACCEL:-}
    TIMEOUT=60
    run "$WORK/$name" "$VM" ${accel:+-accel "$accel"} -M virt -m 1G -kernel "$KERNEL" -initrd "$INITRD" \
        -append "$app" "$@"
    TIMEOUT=$saved
}
hvc_boot hvc-file "console=hvc0 quiet vm.cmd=echo~hvc-out-\$((6*7))" -serial "file:$WORK/hvc-file.serial" \
    -chardev "file,id=con0,path=$WORK/hvc-file.hvc" -device virtio-console,chardev=con0
if [ "$RC" -eq 0 ] && grep -q "vm-initramfs: boot ok" "$WORK/hvc-file.hvc" && grep -q "^hvc-out-42" "$WORK/hvc-file.hvc" &&
   ! grep -q "vm-initramfs: boot ok" "$WORK/hvc-file.serial"; then
    pass hvc-file
else
    fail hvc-file "no marker and 'hvc-out-42' in the virtio console's file (or the marker on the UART); $(describe_rc "$RC") (log: $(save_log hvc-file "$WORK/hvc-file.hvc" "$WORK/hvc-file.err"))"
fi

# Input: the virtio console on a unix socket (a server that waits for its
# client, as QEMU's wait=on does); the client answers the initramfs shell with
# a command whose output (42) differs from its echo, and powers off.
cat >"$WORK/hvc.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
for _ in range(400):
    try:
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("cannot connect to " + sys.argv[1])
s.settimeout(60)
buf = b""
def until(pat):
    global buf
    while pat not in buf:
        d = s.recv(65536)
        if not d:
            return False
        buf += d
    return True
ok = until(b"to stop the machine")
if ok:
    time.sleep(0.5)  # let the shell start reading its terminal
    s.sendall(b"echo hvc-in-$((6*7)); poweroff -f\n")
    ok = until(b"hvc-in-42")
sys.stdout.buffer.write(buf)
sys.exit(0 if ok else 1)
EOF
if command -v python3 >/dev/null 2>&1; then
    ( hvc_boot hvc-input "console=hvc0 quiet" -serial none \
        -chardev "socket,id=con0,path=$WORK/hvc.sock,server=on" -device virtconsole,chardev=con0
      echo "$RC" >"$WORK/hvc-input.rc" ) &
    vmjob=$!
    timeout 60 python3 "$WORK/hvc.py" "$WORK/hvc.sock" >"$WORK/hvc-input.client" 2>&1
    prc=$?
    wait "$vmjob"
    RC=$(cat "$WORK/hvc-input.rc" 2>/dev/null || echo 1)
    if [ "$prc" -eq 0 ] && grep -q "^hvc-in-42" "$WORK/hvc-input.client" && [ "$RC" -eq 0 ]; then
        pass hvc-input
    else
        fail hvc-input "no 'hvc-in-42' answer on the socket (client status $prc) or vm $(describe_rc "$RC") (log: $(save_log hvc-input "$WORK/hvc-input.client" "$WORK/hvc-input.err"))"
    fi
else
    skip hvc-input "no python3 for the socket client"
fi

if [ -z "${VM_CHECK_LONG:-}" ]; then
    for t in $LONG_TESTS; do skip "$t" "slow kernel boot: runs with VM_CHECK_LONG=1 (make check-long)"; done
    exit 0
fi

# The same boot on the other engine, on its own disk.
if [ -n "$OTHER_TESTS" ]; then
    t=boot-$OTHER_ACCEL
    truncate -s 32M "$WORK/disk-$OTHER_ACCEL.img"
    ACCEL=$OTHER_ACCEL boot "$t" smp,blkw -smp 1 -drive "file=$WORK/disk-$OTHER_ACCEL.img,if=virtio,format=raw"
    if [ "$RC" -eq 0 ] && grep -q "vm-initramfs: boot ok" "$WORK/$t.out" &&
       grep -q "vm-test: wrote $want_md5" "$WORK/$t.out"; then
        pass "$t"
    else
        boot_fail "$t" "no marker or 'vm-test: wrote' line, or status not 0"
    fi
fi

# A second boot of the same disk, readonly=on: the file is still there, writes
# are refused, and the test finisher's code 42 becomes vm's status.
if [ "$boot_ok" = 1 ]; then
    before=$(md5sum <"$disk")
    boot blk-readback blkro,exit42 -smp 2 -drive "file=$disk,if=virtio,format=raw,readonly=on"
    if grep -q "vm-test: ro read $want_md5" "$WORK/blk-readback.out"; then pass blk-readback
    else boot_fail blk-readback "no 'vm-test: ro read $want_md5' line"; fi
    if grep -q "vm-test: raw write refused" "$WORK/blk-readback.out" && [ "$(md5sum <"$disk")" = "$before" ]; then
        pass blk-readonly
    else
        fail blk-readonly "a write reached the readonly=on disk (log: $(save_log blk-readonly "$WORK/blk-readback.out"))"
    fi
    if [ "$RC" -eq 42 ]; then pass exit-code
    else fail exit-code "expected status 42 from the finisher, $(describe_rc "$RC") (log: $(save_log exit-code "$WORK/blk-readback.out"))"; fi
else
    for t in blk-readback blk-readonly exit-code; do skip "$t" "the first boot failed"; done
fi

# virtio-net: the guest serves a file with httpd; the host fetches it through
# hostfwd on 127.0.0.1, then GET /cgi-bin/off lets the guest power off.
http_get() { # PORT PATH -> body on stdout (HTTP/1.0 over bash's /dev/tcp)
    local r
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: vm\r\n\r\n' "$2" >&3
    r=$(timeout 20 cat <&3)
    exec 3<&-
    printf '%s\n' "$r" | sed '1,/^\r\{0,1\}$/d'
}
port=$((20000 + RANDOM % 20000))
want_net=$(seq 1 5000 | md5sum | cut -d' ' -f1)
( TIMEOUT=$BOOT_TIMEOUT; run "$WORK/net-hostfwd" "$VM" ${VM_BOOT_ACCEL:+-accel "$VM_BOOT_ACCEL"} -M virt -m 1G -smp 1 -kernel "$KERNEL" -initrd "$INITRD" -nographic \
    -append "console=ttyS0 quiet vm.test=net" -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:8080" \
    -device virtio-net,netdev=n0; echo "$RC" >"$WORK/net-hostfwd.rc" ) &
vmjob=$!
got=""
for _ in $(seq 1 $((BOOT_TIMEOUT / 3))); do
    [ -f "$WORK/net-hostfwd.rc" ] && break
    if grep -q "vm-test: net up" "$WORK/net-hostfwd.out" 2>/dev/null; then
        got=$(http_get "$port" /data.txt 2>/dev/null | md5sum | cut -d' ' -f1)
        [ "$got" = "$want_net" ] && break
    fi
    sleep 3
done
[ "$got" = "$want_net" ] && http_get "$port" /cgi-bin/off >/dev/null 2>&1
wait "$vmjob"
if [ "$got" = "$want_net" ]; then
    pass net-hostfwd
else
    RC=$(cat "$WORK/net-hostfwd.rc" 2>/dev/null || echo 1)
    boot_fail net-hostfwd "no transfer through hostfwd tcp:127.0.0.1:$port (got md5 '${got:-nothing}')"
fi
