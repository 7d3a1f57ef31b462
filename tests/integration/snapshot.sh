#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Snapshots (-snapshot-save / -snapshot-load, docs/snapshot-format.md):
#   make check (fast): the bare-metal guest tests/baremetal/snapwork.c saved at
#     its marker and restored in a new process, on both engines and across
#     them: the two outputs joined equal an uninterrupted run; then=continue,
#     on=poweroff, on=signal; corrupted files (truncated, bit flips), another
#     -m / -smp / disk image, bad -snapshot-save specs: status 1, one line.
#   make check (2 kernel boots): Debian's kernel saved at a marker under the
#     JIT and restored under the interpreter and the JIT, then saved under the
#     interpreter (then=continue) and restored under the JIT; the workload run
#     after the marker prints what the host computes for it.
#   VM_CHECK_LONG=1: also -smp 2 under the interpreter, saved and restored.
source "$(dirname "$0")/lib.sh"

BM_TESTS="bm-full bm-save bm-interp-interp bm-interp-jit bm-jit-interp bm-jit-jit bm-continue
bm-poweroff bm-signal truncated bit-flips other-mem other-smp other-disk modified-disk bad-spec
missing-file"
LINUX_TESTS="linux-save-jit linux-jit-interp linux-jit-jit linux-save-interp linux-interp-jit"
LONG_TESTS="linux-smp2-save linux-smp2-interp"
skip_list() { local why=$1; shift; for t in "$@"; do skip "$t" "$why"; done; }

reason=$(vm_missing) && { skip_list "$reason" $BM_TESTS $LINUX_TESTS $LONG_TESTS; exit 0; }

# expect_error NAME WANT_REGEX CMD...: status 1 and exactly one stderr line matching.
expect_error() {
    local name=$1 want=$2; shift 2
    local pfx=$WORK/$name
    run "$pfx" "$@"
    if [ "$RC" -ne 1 ]; then
        fail "$name" "expected status 1, got $(describe_rc "$RC") (log: $(save_log "$name" "$pfx.out" "$pfx.err"))"
        return 1
    elif [ "$(stderr_lines "$pfx")" -ne 1 ] || ! grep -qE -- "$want" "$pfx.err"; then
        fail "$name" "expected one error line matching '$want', got: $(head -c 300 "$pfx.err" | tr '\n' '|')"
        return 1
    fi
    return 0
}

# -- Bare-metal guest ------------------------------------------------------------------

BM=$BUILD/baremetal-snap
bm_built=1
if ! command -v "$RV_CC" >/dev/null 2>&1; then
    skip_list "no $RV_CC to build tests/baremetal/snapwork.c" $BM_TESTS
    bm_built=0
else
    mkdir -p "$BM"
    H=$TOP/tests/baremetal
    for p in snapwork echo; do
        if ! bm_cc "$BM/$p.elf" -O2 "$H/crt.S" "$H/bm.c" "$H/$p.c" >"$LOG_DIR/$SUITE.build-$p.log" 2>&1; then
            bm_built=0
        fi
    done
    [ "$bm_built" = 1 ] || skip_list "bare-metal build failed (log: $LOG_DIR/$SUITE.build-*.log)" $BM_TESTS
fi

if [ "$bm_built" = 1 ]; then
    MARK="snapwork: marker"
    BMA=(-M virt -bios none -kernel "$BM/snapwork.elf" -nographic)

    # The oracle: an uninterrupted run (the same on both engines).
    run "$WORK/full" "$VM" -accel interp "${BMA[@]}"
    run "$WORK/full-jit" "$VM" -accel jit "${BMA[@]}"
    if [ "$RC" -eq 0 ] && grep -q "snapwork: done" "$WORK/full.out" && cmp -s "$WORK/full.out" "$WORK/full-jit.out"; then
        pass bm-full
    else
        fail bm-full "the uninterrupted run failed or differs between engines (log: $(save_log bm-full "$WORK/full.out" "$WORK/full-jit.out" "$WORK/full.err"))"
    fi

    # save ACCEL FILE: saved at the marker, then=quit (the default for serial).
    bm_save() {
        rm -f "$2"
        run "$WORK/save-$1" "$VM" -accel "$1" "${BMA[@]}" -snapshot-save "file=$2,on=serial:$MARK"
    }
    bm_save interp "$WORK/bm-interp.snap"
    if [ "$RC" -eq 0 ] && [ -s "$WORK/bm-interp.snap" ] && grep -q "snapshot saved to" "$WORK/save-interp.err" &&
       ! grep -q "snapwork: done" "$WORK/save-interp.out"; then
        pass bm-save
    else
        fail bm-save "$(describe_rc "$RC"), no snapshot or the run went on (log: $(save_log bm-save "$WORK/save-interp.out" "$WORK/save-interp.err"))"
    fi
    bm_save jit "$WORK/bm-jit.snap"

    # Restored in a new process on each engine: first part + second part = whole.
    for s in interp jit; do
        for l in interp jit; do
            n=bm-$s-$l
            run "$WORK/$n" "$VM" -accel "$l" "${BMA[@]}" -snapshot-load "$WORK/bm-$s.snap"
            cat "$WORK/save-$s.out" "$WORK/$n.out" >"$WORK/$n.joined"
            if [ "$RC" -eq 0 ] && cmp -s "$WORK/full.out" "$WORK/$n.joined"; then
                pass "$n"
            else
                diff "$WORK/full.out" "$WORK/$n.joined" >"$WORK/$n.diff" 2>&1
                fail "$n" "saved under $s, restored under $l: $(describe_rc "$RC"), output differs from the uninterrupted run (log: $(save_log "$n" "$WORK/$n.diff" "$WORK/$n.err"))"
            fi
        done
    done

    # then=continue: the run goes on undisturbed; the snapshot restores to the rest of it.
    rm -f "$WORK/cont.snap"
    run "$WORK/cont" "$VM" -accel jit "${BMA[@]}" -snapshot-save "file=$WORK/cont.snap,on=serial:$MARK,then=continue"
    rc1=$RC
    run "$WORK/cont-r" "$VM" -accel interp "${BMA[@]}" -snapshot-load "$WORK/cont.snap"
    full=$(cat "$WORK/full.out")
    rest=$(cat "$WORK/cont-r.out")
    if [ "$rc1" -eq 0 ] && [ "$RC" -eq 0 ] && cmp -s "$WORK/full.out" "$WORK/cont.out" &&
       grep -q "snapwork: done" "$WORK/cont-r.out" && [ "${full%"$rest"}" != "$full" ]; then
        pass bm-continue
    else
        fail bm-continue "status $rc1/$RC, or outputs differ (log: $(save_log bm-continue "$WORK/cont.out" "$WORK/cont.err" "$WORK/cont-r.out" "$WORK/cont-r.err"))"
    fi

    # on=poweroff: saved as the guest powers off (status 0 kept); restored, the
    # guest sits right after its power-off request (its `j .`) until -timeout.
    rm -f "$WORK/off.snap"
    run "$WORK/off" "$VM" -accel jit "${BMA[@]}" -snapshot-save "file=$WORK/off.snap,on=poweroff"
    rc1=$RC
    run "$WORK/off-r" "$VM" -accel jit "${BMA[@]}" -snapshot-load "$WORK/off.snap" -timeout 1
    if [ "$rc1" -eq 0 ] && cmp -s "$WORK/full.out" "$WORK/off.out" && [ -s "$WORK/off.snap" ] &&
       [ "$RC" -eq 124 ] && [ ! -s "$WORK/off-r.out" ] && grep -q "timeout" "$WORK/off-r.err"; then
        pass bm-poweroff
    else
        fail bm-poweroff "status $rc1/$RC (log: $(save_log bm-poweroff "$WORK/off.out" "$WORK/off.err" "$WORK/off-r.out" "$WORK/off-r.err"))"
    fi

    # on=signal: SIGUSR1 to vm while the console guest waits for input; the
    # restored guest then takes "exit 7" from its console.
    rm -f "$WORK/sig.snap"
    "$VM" -accel jit -M virt -bios none -kernel "$BM/echo.elf" -nographic \
        -snapshot-save "file=$WORK/sig.snap,on=signal,then=quit" </dev/null >"$WORK/sig.out" 2>"$WORK/sig.err" &
    vmpid=$!
    for _ in $(seq 1 200); do
        grep -q "tick 2" "$WORK/sig.out" 2>/dev/null && break
        sleep 0.1
    done
    kill -USR1 "$vmpid" 2>/dev/null
    for _ in $(seq 1 $((TIMEOUT * 10))); do
        kill -0 "$vmpid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$vmpid" 2>/dev/null # still running: the signal did not end it
    wait "$vmpid"
    rc1=$?
    STDIN=$WORK/sig.in
    printf 'exit 7\n' >"$STDIN"
    run "$WORK/sig-r" "$VM" -accel interp -M virt -bios none -kernel "$BM/echo.elf" -nographic \
        -snapshot-load "$WORK/sig.snap"
    STDIN=/dev/null
    if [ "$rc1" = 0 ] && [ -s "$WORK/sig.snap" ] && [ "$RC" -eq 7 ] && grep -q "echo: exit 7" "$WORK/sig-r.out" &&
       ! grep -q "bm-echo: ready" "$WORK/sig-r.out"; then
        pass bm-signal
    else
        fail bm-signal "save status $rc1 (vm pid ${vmpid:-not found}), restore $(describe_rc "$RC") (log: $(save_log bm-signal "$WORK/sig.out" "$WORK/sig.err" "$WORK/sig-r.out" "$WORK/sig-r.err"))"
    fi

    # -- Files that must be refused: status 1, exactly one line, nothing run.
    SNAP=$WORK/bm-interp.snap
    size=$(stat -c %s "$SNAP" 2>/dev/null || echo 0)
    ok=1
    [ "$size" -gt 64 ] || { fail truncated "no snapshot from bm-save to corrupt"; ok=0; }
    [ "$ok" = 1 ] && for cut in 0 1 8 31 32 33 64 200 1000 4000 $((size / 2)) $((size - 100)) $((size - 5)) $((size - 4)) $((size - 1)); do
        [ "$cut" -ge 0 ] && [ "$cut" -lt "$size" ] || continue
        head -c "$cut" "$SNAP" >"$WORK/cut.snap"
        expect_error truncated "^vm: .*cut.snap: (truncated|not a vm snapshot|empty file|corrupt)" \
            "$VM" -accel interp "${BMA[@]}" -snapshot-load "$WORK/cut.snap" || { ok=0; break; }
    done
    [ "$ok" = 1 ] && pass truncated

    ok=1
    [ "$size" -gt 64 ] || { fail bit-flips "no snapshot from bm-save to corrupt"; ok=0; }
    for i in $(seq 0 47); do
        [ "$ok" = 1 ] || break
        off=$(( i < 8 ? i * 4 : 32 + (size - 33) * (i - 8) / 39 ))
        cp "$SNAP" "$WORK/flip.snap"
        byte=$(od -An -tu1 -j "$off" -N1 "$SNAP" | tr -d ' ')
        printf "$(printf '\\%03o' $(( byte ^ (1 << (i % 8)) )))" |
            dd of="$WORK/flip.snap" bs=1 seek="$off" conv=notrunc 2>/dev/null
        expect_error bit-flips "^vm: .*flip.snap: .*(corrupt|checksum|not a vm snapshot|truncated|version)" \
            "$VM" -accel interp "${BMA[@]}" -snapshot-load "$WORK/flip.snap" || { ok=0; break; }
    done
    [ "$ok" = 1 ] && pass bit-flips

    expect_error other-mem "-m must match" "$VM" -accel interp "${BMA[@]}" -m 256M -snapshot-load "$SNAP" && pass other-mem
    expect_error other-smp "-smp must match" "$VM" -accel interp "${BMA[@]}" -smp 2 -snapshot-load "$SNAP" && pass other-smp

    # Disk images: the one saved with, a different one, the same one modified.
    head -c 3145728 /dev/urandom >"$WORK/d1.img"
    head -c 3145728 /dev/urandom >"$WORK/d2.img"
    cp -p "$WORK/d1.img" "$WORK/d1copy.img"
    rm -f "$WORK/disk.snap"
    run "$WORK/disk-save" "$VM" -accel interp "${BMA[@]}" -drive "file=$WORK/d1.img,if=virtio,format=raw" \
        -snapshot-save "file=$WORK/disk.snap,on=serial:$MARK"
    if [ "$RC" -ne 0 ]; then
        fail other-disk "saving with a -drive failed: $(describe_rc "$RC") $(head -c 200 "$WORK/disk-save.err")"
        skip modified-disk "saving with a -drive failed"
    else
        run "$WORK/disk-copy" "$VM" -accel interp "${BMA[@]}" -drive "file=$WORK/d1copy.img,if=virtio,format=raw" -snapshot-load "$WORK/disk.snap"
        if [ "$RC" -ne 0 ]; then
            fail other-disk "a cp -p copy of the image was refused: $(head -c 300 "$WORK/disk-copy.err")"
        elif expect_error other-disk "^vm: .*-drive .*d2.img is not the image the snapshot was taken with" \
            "$VM" -accel interp "${BMA[@]}" -drive "file=$WORK/d2.img,if=virtio,format=raw" -snapshot-load "$WORK/disk.snap" &&
            expect_error other-disk "-drive/-device/-netdev must match" "$VM" -accel interp "${BMA[@]}" -snapshot-load "$WORK/disk.snap"; then
            pass other-disk
        fi
        touch "$WORK/d1copy.img"
        expect_error modified-disk "^vm: .*d1copy.img was modified after the snapshot" \
            "$VM" -accel interp "${BMA[@]}" -drive "file=$WORK/d1copy.img,if=virtio,format=raw" -snapshot-load "$WORK/disk.snap" &&
            pass modified-disk
    fi

    ok=1
    for spec in "file=x" "on=poweroff" "file=x,on=bogus" "file=x,on=poweroff,then=continue" \
                "file=x,on=serial:a,then=maybe" "file=x,on=signal,color=red"; do
        expect_error bad-spec "^vm: -snapshot-save" "$VM" -accel interp "${BMA[@]}" -snapshot-save "$spec" || { ok=0; break; }
    done
    [ "$ok" = 1 ] && pass bad-spec
    expect_error missing-file "^vm: $WORK/nope.snap: No such file or directory$" \
        "$VM" -accel interp "${BMA[@]}" -snapshot-load "$WORK/nope.snap" && pass missing-file
fi

# -- Debian kernel -------------------------------------------------------------------

IMG=${VM_IMAGES_CACHE:-$TOP/images/cache}/riscv64
KERNEL=$IMG/linux-kernel/Image
INITRD=$BUILD/images/initrd-riscv64.cpio.gz
BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-600}
if [ ! -f "$KERNEL" ] || [ ! -x "$IMG/busybox-static/usr/bin/busybox" ]; then
    sh "$TOP/scripts/fetch-images.sh" riscv64 >"$LOG_DIR/$SUITE.fetch-images.log" 2>&1
fi
if [ ! -f "$KERNEL" ]; then
    skip_list "Debian riscv64 kernel not available (scripts/fetch-images.sh riscv64)" $LINUX_TESTS $LONG_TESTS
    exit 0
fi
mkdir -p "$BUILD/images"
mods=$(ls -d "$IMG"/linux-modules/usr/lib/modules/* 2>/dev/null | head -1)
if ! sh "$TOP/scripts/mkinitrd.sh" "$IMG/busybox-static/usr/bin/busybox" "$INITRD" "$mods" \
        >"$LOG_DIR/$SUITE.mkinitrd.log" 2>&1; then
    skip_list "scripts/mkinitrd.sh failed (log: $LOG_DIR/$SUITE.mkinitrd.log)" $LINUX_TESTS $LONG_TESTS
    exit 0
fi

# The workload after the marker (vm.cmd, '~' for spaces): it sleeps (guest
# timers across the restore), then hashes a seq, the virtio disk, and runs a
# shell arithmetic loop. The marker text is built at run time so the kernel's
# copy of its command line never matches it.
LMARK="vm-snap: ready-42"
LCMD='echo~vm-snap:~ready-$((40+2));sleep~1;seq~1~50000|md5sum|sed~'"'"'s/^/vm-snap:~seq~/'"'"';md5sum</dev/vda|sed~'"'"'s/^/vm-snap:~disk~/'"'"';i=0;s=1;while~[~$i~-lt~3000~];do~s=$(((s<<5)-s+i));s=$((s%1000003));i=$((i+1));done;echo~vm-snap:~arith~$s'
LDISK=$WORK/linux-disk.img
head -c 4194304 /dev/urandom >"$LDISK"
s=1
for ((i = 0; i < 3000; i++)); do s=$(((s << 5) - s + i)); s=$((s % 1000003)); done
{
    echo "vm-snap: seq $(seq 1 50000 | md5sum)"
    echo "vm-snap: disk $(md5sum <"$LDISK")"
    echo "vm-snap: arith $s"
} >"$WORK/linux.expect"

LA=(-M virt -m 1G -kernel "$KERNEL" -initrd "$INITRD" -nographic
    -append "console=ttyS0 quiet vm.cmd=$LCMD" -drive "file=$LDISK,if=virtio,format=raw")
lrun() { local saved=$TIMEOUT; TIMEOUT=$BOOT_TIMEOUT; run "$@"; TIMEOUT=$saved; }
results() { grep -a '^vm-snap: \(seq\|disk\|arith\)' "$1" | tr -d '\r'; }

# linux_save NAME ACCEL SMP THEN: boots and saves at the marker.
linux_save() {
    local name=$1 a=$2 n=$3 then=$4
    rm -f "$WORK/$name.snap"
    lrun "$WORK/$name" "$VM" -accel "$a" -smp "$n" "${LA[@]}" -snapshot-save "file=$WORK/$name.snap,on=serial:$LMARK,then=$then"
    if [ "$then" = quit ] && [ "$RC" -eq 0 ] && [ -s "$WORK/$name.snap" ] && [ -z "$(results "$WORK/$name.out")" ]; then
        pass "$name"
        return 0
    elif [ "$then" = continue ] && [ "$RC" -eq 0 ] && [ -s "$WORK/$name.snap" ] &&
         [ "$(results "$WORK/$name.out")" = "$(cat "$WORK/linux.expect")" ]; then
        pass "$name"
        return 0
    fi
    fail "$name" "$(describe_rc "$RC"), no snapshot or wrong output (log: $(save_log "$name" "$WORK/$name.out" "$WORK/$name.err"))"
    return 1
}
# linux_restore NAME SNAPNAME ACCEL SMP: the restored workload prints the expected lines.
linux_restore() {
    local name=$1 from=$2 a=$3 n=$4
    lrun "$WORK/$name" "$VM" -accel "$a" -smp "$n" "${LA[@]}" -snapshot-load "$WORK/$from.snap"
    if [ "$RC" -eq 0 ] && [ "$(results "$WORK/$name.out")" = "$(cat "$WORK/linux.expect")" ] &&
       ! grep -q "vm-initramfs: boot ok" "$WORK/$name.out"; then
        pass "$name"
    else
        diff "$WORK/linux.expect" <(results "$WORK/$name.out") >"$WORK/$name.diff" 2>&1
        fail "$name" "restored from $from under $a: $(describe_rc "$RC"), workload output differs (log: $(save_log "$name" "$WORK/$name.diff" "$WORK/$name.out" "$WORK/$name.err"))"
    fi
}

if linux_save linux-save-jit jit 1 quit; then
    linux_restore linux-jit-interp linux-save-jit interp 1
    linux_restore linux-jit-jit linux-save-jit jit 1
else
    skip_list "the save under the JIT failed" linux-jit-interp linux-jit-jit
fi
if linux_save linux-save-interp interp 1 continue; then
    linux_restore linux-interp-jit linux-save-interp jit 1
else
    skip linux-interp-jit "the save under the interpreter failed"
fi

if [ -z "${VM_CHECK_LONG:-}" ]; then
    skip_list "slow kernel boot: runs with VM_CHECK_LONG=1 (make check-long)" $LONG_TESTS
    exit 0
fi
# Two harts (interpreter: the JIT's -smp 2 system mode is being fixed).
if linux_save linux-smp2-save interp 2 quit; then
    linux_restore linux-smp2-interp linux-smp2-save interp 2
else
    skip linux-smp2-interp "the -smp 2 save failed"
fi
