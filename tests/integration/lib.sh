# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared helpers for the integration suites (bash). A suite sources this,
# then reports each test with exactly one line on stdout:
#   PASS <suite>/<name>
#   FAIL <suite>/<name>: <reason>
#   SKIP <suite>/<name>: <reason>
# tests/run-check.sh counts these lines. Details of failures go to
# $LOG_DIR/<suite>.<name>.log.
#
# Environment:
#   VM_UNDER_TEST   command that runs a guest (default: $BUILD/vm). Setting it to
#                   e.g. "qemu-riscv64" checks the suites themselves.
#   VM_TEST_TIMEOUT per-command timeout in seconds (default 120)
#   VM_TEST_ARCHS   guest arches to test (default: every arch tests/guest/guest.mk
#                   builds, plus any other build/guest/<arch>/), e.g. "riscv64"
#                   with VM_UNDER_TEST=qemu-riscv64

set -u
ulimit -c 0 2>/dev/null || true
export LC_ALL=C TZ=UTC

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
VM=${VM_UNDER_TEST:-$BUILD/vm}
TIMEOUT=${VM_TEST_TIMEOUT:-120}
LOG_DIR=$BUILD/test-logs
mkdir -p "$LOG_DIR"
SUITE=${SUITE:-$(basename "$0" .sh)}

# A scratch directory removed when the suite exits.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vm-$SUITE.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

pass() { echo "PASS $SUITE/$1"; }
fail() { echo "FAIL $SUITE/$1: $2"; }
skip() { echo "SKIP $SUITE/$1: $2"; }

# Is the vm binary there? Prints the skip reason if not.
vm_missing() {
    if [ -n "${VM_UNDER_TEST:-}" ]; then return 1; fi
    if [ ! -x "$VM" ]; then
        echo "$VM not built (make failed or src/ incomplete)"
        return 0
    fi
    return 1
}

# run OUTPREFIX CMD...: runs CMD with the timeout, stdin from $STDIN (default
# /dev/null); stdout to OUTPREFIX.out, stderr to OUTPREFIX.err, status to $RC.
RC=0
STDIN=/dev/null
run() {
    local pfx=$1; shift
    # The braces keep bash's own "Segmentation fault" notice off our stderr.
    { timeout -k 5 "$TIMEOUT" "$@" <"$STDIN" >"$pfx.out" 2>"$pfx.err"; } 2>/dev/null
    RC=$?
}

# Describes an exit status for a failure line.
describe_rc() {
    case $1 in
    124) echo "timed out after ${TIMEOUT}s" ;;
    137) echo "status 137 (SIGKILL; timeout -k?)" ;;
    0) echo "status 0" ;;
    *) if [ "$1" -gt 128 ] && [ "$1" -lt 160 ]; then echo "status $1 (signal $(($1 - 128)))"; else echo "status $1"; fi ;;
    esac
}

# save_log NAME FILE...: keeps the files for the failure report (a NAME like
# riscv64/hello becomes the file <suite>.riscv64.hello.log).
save_log() {
    local name=$1; shift
    local log="$LOG_DIR/$SUITE.${name//\//.}.log"
    : >"$log"
    local f
    for f in "$@"; do
        { echo "==== $f"; head -c 20000 "$f" 2>/dev/null; echo; } >>"$log"
    done
    echo "$log"
}

# compare NAME EXPECT_PREFIX GOT_PREFIX EXPECT_RC GOT_RC: stdout + status.
compare() {
    local name=$1 e=$2 g=$3 erc=$4 grc=$5
    if [ "$grc" = 124 ] || [ "$grc" = 137 ]; then
        fail "$name" "$(describe_rc "$grc") (log: $(save_log "$name" "$g.cmd" "$g.out" "$g.err"))"
        return 1
    fi
    if ! cmp -s "$e.out" "$g.out"; then
        diff -u "$e.out" "$g.out" >"$g.diff" 2>&1 || true
        local first
        first=$(diff "$e.out" "$g.out" 2>/dev/null | grep -m2 '^[<>]' | tr '\n' ' ' | cut -c1-200)
        fail "$name" "stdout differs from native ($(wc -c <"$e.out") vs $(wc -c <"$g.out") bytes; $(describe_rc "$grc"); first diff: $first) (log: $(save_log "$name" "$g.cmd" "$g.diff" "$g.err"))"
        return 1
    fi
    if [ "$erc" != "$grc" ]; then
        fail "$name" "exit status $grc, native $erc; $(describe_rc "$grc") (log: $(save_log "$name" "$g.cmd" "$g.err"))"
        return 1
    fi
    pass "$name"
}

# one_line NAME PREFIX: stderr of PREFIX has exactly one line.
stderr_lines() {
    local n
    n=$(grep -c '' "$1.err" 2>/dev/null)
    echo "${n:-0}"
}

# Guest arches for the suites: VM_TEST_ARCHS, else riscv64 and aarch64 (what
# tests/guest/guest.mk builds, each a build/guest/<arch>/ or <arch>.skipped)
# and any other build/guest/<arch>/ but native.
guest_arches() {
    if [ -n "${VM_TEST_ARCHS:-}" ]; then echo "$VM_TEST_ARCHS"; return; fi
    local list="riscv64 aarch64" d a
    for d in "$BUILD"/guest/*/; do
        [ -d "$d" ] || continue
        a=$(basename "$d")
        case " native $list " in *" $a "*) ;; *) list="$list $a" ;; esac
    done
    echo "$list"
}

# arch_ready ARCH WHY NAME...: true when ARCH's guest programs are built and
# vm runs (WHY, from vm_missing, empty); otherwise reports every NAME as
# skipped (programs not built, with guest.mk's reason) or failed (WHY).
arch_ready() {
    local arch=$1 why=$2 n
    shift 2
    if [ -f "$BUILD/guest/$arch.skipped" ]; then
        for n in "$@"; do skip "$n" "$(cat "$BUILD/guest/$arch.skipped")"; done
        return 1
    fi
    if [ -n "$why" ]; then
        for n in "$@"; do fail "$n" "$why"; done
        return 1
    fi
}

# Debian's busybox-static for a guest arch, from scripts/fetch-images.sh
# (which names arches as Debian does: aarch64 is arm64).
debian_arch() { case $1 in aarch64) echo arm64 ;; *) echo "$1" ;; esac; }
busybox_path() {
    local d
    d=${VM_IMAGES_CACHE:-$TOP/images/cache}/$(debian_arch "$1")/busybox-static
    if [ -x "$d/usr/bin/busybox" ]; then echo "$d/usr/bin/busybox"; else echo "$d/bin/busybox"; fi
}
# find_busybox ARCH: fetches the image on first use; prints its path, or the
# reason it is missing and returns 1.
find_busybox() {
    local bb da log
    da=$(debian_arch "$1")
    log=$LOG_DIR/fetch-images.$da.log
    bb=$(busybox_path "$1")
    if [ ! -x "$bb" ]; then
        sh "$TOP/scripts/fetch-images.sh" "$da" >"$log" 2>&1
        bb=$(busybox_path "$1")
    fi
    if [ ! -x "$bb" ]; then
        local why
        why=$(grep 'fetch-images:' "$log" 2>/dev/null | tail -1)
        echo "$da busybox-static not available: ${why:-scripts/fetch-images.sh $da failed}"
        return 1
    fi
    echo "$bb"
}
# The riscv64 busybox (kept for suites that use only riscv64): sets RV_BUSYBOX
# or prints the reason it is missing and returns 1.
rv_busybox_path() { busybox_path riscv64; }
find_rv_busybox() {
    local bb
    bb=$(find_busybox riscv64) || { echo "$bb"; return 1; }
    RV_BUSYBOX=$bb
}

# -- Bare-metal riscv64 programs (tests/baremetal) ------------------------------------

RV_CC=${RV_CC:-riscv64-linux-gnu-gcc}
# bm_cc OUT.elf ARGS...: links a bare-metal riscv64 program at the virt
# machine's RAM (tests/baremetal/link.ld) with $RV_CC; ARGS: an -O level and
# other options, then the sources (crt.S and bm.c for the usual start-up).
bm_cc() {
    local out=$1; shift
    "$RV_CC" -nostdlib -nostartfiles -static -march=rv64gc -mabi=lp64d -mcmodel=medany \
        -ffreestanding -fno-pic -no-pie -Wall -Werror -T "$TOP/tests/baremetal/link.ld" \
        -Wl,--build-id=none -Wl,--no-warn-rwx-segments -o "$out" "$@"
}
# need_baremetal DIR TEST...: builds every tests/baremetal program into DIR
# (tests/baremetal/build.sh). When it cannot, reports each TEST (SKIP without
# the cross compiler, FAIL when the build failed) and ends the suite.
need_baremetal() {
    local dir=$1 log=$LOG_DIR/$SUITE.build.log t rc; shift
    sh "$TOP/tests/baremetal/build.sh" "$dir" >"$log" 2>&1
    rc=$?
    [ "$rc" = 0 ] && return 0
    for t in "$@"; do
        if [ "$rc" = 2 ]; then skip "$t" "no $RV_CC to build tests/baremetal"
        else fail "$t" "bare-metal build failed (log: $log)"; fi
    done
    exit 0
}

# -- The monitor ----------------------------------------------------------------------

# mon_py: the path of a python3 monitor client, written on first use:
#   python3 "$(mon_py)" SOCKET CMD...
# one connection to -monitor unix:SOCKET,server,nowait; prints each command's
# answer after a "== CMD" line (the text before the next "(vm) " prompt);
# "sleep SECONDS" waits instead of sending.
mon_py() {
    [ -f "$WORK/mon.py" ] || cat >"$WORK/mon.py" <<'EOF'
import os, socket, sys, time
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
for _ in range(200):
    try:
        s.connect(path)
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("cannot connect to " + path)
s.settimeout(20)
buf = b""
def until_prompt():
    global buf
    while b"(vm) " not in buf:
        d = s.recv(65536)
        if not d:
            out, buf = buf, b""
            return out
        buf += d
    out, _, buf = buf.partition(b"(vm) ")
    return out
until_prompt()
for cmd in sys.argv[2:]:
    if cmd.startswith("sleep "):
        time.sleep(float(cmd[6:]))
        continue
    raw = os.fsencode(cmd)
    s.sendall(raw + b"\n")
    print("== " + raw[:60].decode("latin-1"))
    sys.stdout.write(until_prompt().decode("latin-1"))
    sys.stdout.flush()
EOF
    echo "$WORK/mon.py"
}
