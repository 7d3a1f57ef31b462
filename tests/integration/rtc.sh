#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The goldfish RTC against the host's clock. tests/baremetal/rtc.c checks the
# device itself (baremetal.sh runs it for its exit status); here:
#   wallclock, wallclock-jit  its first RTC read ("rtc: time S") is the host's
#                             time (date +%s around the run, 1 s of slack)
#   snapshot-interp, snapshot-jit  saved at "rtc: marker", restored 3 s later
#                             on each engine: the RTC read after the restore
#                             ("rtc: after S") is the host's time then, not
#                             the saved time
#   linux                     Debian's kernel (rtc-goldfish built in): its
#                             /sys/class/rtc/rtc0/since_epoch and `date` are
#                             the host's time; `hwclock -w` sets the RTC. (Its
#                             alarm is not reachable from busybox: the driver
#                             exposes no wakealarm; rtc.c tests the alarm.)
source "$(dirname "$0")/lib.sh"

TESTS="wallclock wallclock-jit snapshot-interp snapshot-jit linux"
skip_all() { for t in $TESTS; do skip "$t" "$1"; done; exit 0; }

reason=$(vm_missing) && skip_all "$reason"
BM=$BUILD/baremetal
# shellcheck disable=SC2086
need_baremetal "$BM" $TESTS
BMA=(-M virt -bios none -kernel "$BM/rtc.elf" -nographic)

# in_window S D0 D1: D0 - 1 <= S <= D1 + 1 (whole seconds, both clocks floored).
in_window() { [ -n "$1" ] && [ "$1" -ge $(($2 - 1)) ] && [ "$1" -le $(($3 + 1)) ]; }
# field PREFIX WORD: the number after "rtc: WORD " in PREFIX.out.
field() { sed -n "s/^rtc: $2 \([0-9][0-9]*\)\r*\$/\1/p" "$1.out" | head -1; }
why() { echo "$(describe_rc "$RC"); stdout: $(head -c 200 "$1.out" | tr '\n\r' '|.'); stderr: $(head -c 200 "$1.err" | tr '\n' '|')"; }

for a in interp jit; do
    n=wallclock; [ "$a" = jit ] && n=wallclock-jit
    d0=$(date +%s)
    run "$WORK/$n" "$VM" -accel "$a" "${BMA[@]}"
    d1=$(date +%s)
    g=$(field "$WORK/$n" time)
    if [ "$RC" -eq 0 ] && in_window "$g" "$d0" "$d1"; then pass "$n"
    else fail "$n" "want status 0 and 'rtc: time S' with $d0 - 1 <= S <= $d1 + 1: $(why "$WORK/$n")"; fi
done

# Saved at the marker (then=quit): the run stops before "rtc: after".
rm -f "$WORK/rtc.snap"
run "$WORK/save" "$VM" -accel jit "${BMA[@]}" -snapshot-save "file=$WORK/rtc.snap,on=serial:rtc: marker"
save_rc=$RC
saved_at=$(field "$WORK/save" time)
if [ "$save_rc" -ne 0 ] || [ ! -s "$WORK/rtc.snap" ] || grep -q "rtc: after" "$WORK/save.out"; then
    for t in snapshot-interp snapshot-jit; do
        fail "$t" "the save run failed or did not stop at the marker: $(why "$WORK/save")"
    done
else
    sleep 3
    for a in interp jit; do
        n=snapshot-$a
        d0=$(date +%s)
        run "$WORK/$n" "$VM" -accel "$a" "${BMA[@]}" -snapshot-load "$WORK/rtc.snap"
        d1=$(date +%s)
        g=$(field "$WORK/$n" after)
        # 3 s after the save, a restored clock stuck at the saved time is outside the window.
        if [ "$RC" -eq 0 ] && in_window "$g" "$d0" "$d1"; then pass "$n"
        else fail "$n" "want status 0 and 'rtc: after S' with $d0 - 1 <= S <= $d1 + 1 (saved at $saved_at): $(why "$WORK/$n")"; fi
    done
fi

# -- Linux: one boot to the initramfs (5-10 s on the JIT) -----------------------------
IMG=${VM_IMAGES_CACHE:-$TOP/images/cache}/riscv64
KERNEL=$IMG/linux-kernel/Image
INITRD=$BUILD/images/initrd-riscv64.cpio.gz
if [ ! -f "$KERNEL" ] || [ ! -f "$INITRD" ]; then
    skip linux "no kernel or initrd (run tests/integration/boot.sh first)"
    exit 0
fi
# The initramfs runs vm.cmd (with ~ for spaces) and powers off. The kernel
# read the RTC at boot (system time = since_epoch); hwclock -w then sets the
# RTC through the driver's set_time (TIME_HIGH, then TIME_LOW); the initramfs
# links no hwclock applet, hence `busybox hwclock`.
# shellcheck disable=SC2016 # expanded by the guest shell
cmd='echo~rtc-epoch~$(cat~/sys/class/rtc/rtc0/since_epoch)~$(date~+%s);date~-s~@1000000000~>/dev/null;busybox~hwclock~-w;echo~rtc-set~$(cat~/sys/class/rtc/rtc0/since_epoch)'
saved=$TIMEOUT; TIMEOUT=${VM_BOOT_TIMEOUT:-600}
d0=$(date +%s)
run "$WORK/linux" "$VM" -M virt -m 1G -kernel "$KERNEL" -initrd "$INITRD" -nographic \
    -append "console=ttyS0 quiet vm.cmd=$cmd"
d1=$(date +%s)
TIMEOUT=$saved
read -r g gd < <(sed -n 's/^rtc-epoch \([0-9][0-9]*\) \([0-9][0-9]*\)\r*$/\1 \2/p' "$WORK/linux.out" | head -1)
set_to=$(sed -n 's/^rtc-set \([0-9][0-9]*\)\r*$/\1/p' "$WORK/linux.out" | head -1)
if [ "$RC" -eq 0 ] && in_window "$g" "$d0" "$d1" && in_window "$gd" "$d0" "$d1" &&
   in_window "$set_to" 1000000000 1000000000; then pass linux
else fail linux "want since_epoch and date in [$d0 - 1, $d1 + 1] (got '${g:-}' '${gd:-}'), 1000000000 +- 1 after hwclock -w (got '${set_to:-}'): $(describe_rc "$RC") (log: $(save_log linux "$WORK/linux.out" "$WORK/linux.err"))"; fi
