#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The monitor (src/service/monitor.c) on the bare-metal console guest
# tests/baremetal/echo.c (S-mode under Sv39, "tick N" every 50 ms):
# commands over -monitor unix:PATH,server,nowait (python3 client), -monitor
# stdio fed from a pipe, Ctrl-A c on a pty, and bad monitor options.
source "$(dirname "$0")/lib.sh"

TESTS="info-status stop-cont info-registers xp x-virtual x-formats x-fault info-mem info-misc
       bad-input savevm-loadvm system-reset quit monitor-stdio system-powerdown ctrl-a-c
       bad-options"
skip_all() { for t in $TESTS; do skip "$t" "$1"; done; exit 0; }

reason=$(vm_missing) && skip_all "$reason"
command -v python3 >/dev/null 2>&1 || skip_all "no python3 to drive the monitor"
BM=$BUILD/baremetal
# shellcheck disable=SC2086
need_baremetal "$BM" $TESTS
ELF=$BM/echo.elf
NM=${RV_NM:-riscv64-linux-gnu-nm}
sym() { "$NM" "$ELF" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
MAGIC=$(sym bm_magic)
TEXT=$(sym bm_text)
[ -n "$MAGIC" ] && [ -n "$TEXT" ] || skip_all "cannot read bm_magic/bm_text from $ELF with $NM"
# echo.c maps the first 2 MiB of RAM again at 0xffffffc000000000.
HIGH=$(printf '0x%x' $((0xffffffc000000000 + MAGIC - 0x80000000)))

MON_PY=$(mon_py)
mon() { python3 "$MON_PY" "$SOCK" "$@" 2>&1; }
# section NAME FILE: the answer to the command printed as "== NAME".
section() { awk -v n="== $1" '$0 == n { on = 1; next } /^== / { on = 0 } on' "$2"; }
ticks() { grep -c '^tick' "$CON" 2>/dev/null || true; }

# -- One machine, many commands over the socket ---------------------------------------
SOCK=$WORK/mon.sock
CON=$WORK/console.txt
"$VM" -M virt -bios none -kernel "$ELF" -serial "file:$CON" \
    -monitor "unix:$SOCK,server,nowait" -timeout 120 </dev/null >"$WORK/vm.out" 2>"$WORK/vm.err" &
VMPID=$!
for _ in $(seq 200); do grep -q 'bm-echo: ready' "$CON" 2>/dev/null && break; sleep 0.05; done

mon "info status" >"$WORK/status.txt"
if grep -q '^VM status: running' "$WORK/status.txt"; then pass info-status
else fail info-status "no 'VM status: running': $(head -c 200 "$WORK/status.txt" | tr '\n' '|')"; fi

# stop: the guest's ticks stop; cont: they come back.
mon "stop" "sleep 0.3" "info status" >"$WORK/stop.txt"
t1=$(ticks); sleep 0.6; t2=$(ticks)
mon "cont" "sleep 0.6" >"$WORK/cont.txt"
t3=$(ticks)
if [ "$t1" = "$t2" ] && [ "$t3" -gt "$t2" ] && section "info status" "$WORK/stop.txt" | grep -q paused; then
    pass stop-cont
else
    fail stop-cont "ticks after stop $t1 -> $t2 (want equal), after cont $t3 (want more); status: $(section "info status" "$WORK/stop.txt" | head -1)"
fi

mon "info registers" "info cpus" "info tlb" "info jit" "info mem" "info" "info bogus" \
    "xp /2xg $MAGIC" "x /2xg $HIGH" "x/2xg $MAGIC" "xp/12c $TEXT" "xp/4xb $MAGIC" "xp/2dw $MAGIC" \
    "xp/1uh $MAGIC" "xp/1og $MAGIC" "x/3i \$pc" "xp/1x $MAGIC+8" "x/s $TEXT" \
    "x/2xg 0x40000000" "xp/4xw 0x10000000" "xp/1xg 0x7000000000" >"$WORK/cmds.txt"

regs=$(section "info registers" "$WORK/cmds.txt")
if echo "$regs" | grep -Eq '^pc +00000000800[0-9a-f]{5}$' && echo "$regs" | grep -Eq '^satp +8'; then
    pass info-registers
else fail info-registers "no pc in RAM / Sv39 satp: $(echo "$regs" | head -c 300 | tr '\n' '|')"; fi

want=$(printf '%016x: 0x1122334455667788 0x99aabbccddeeff00' $((MAGIC)))
if section "xp /2xg $MAGIC" "$WORK/cmds.txt" | grep -qx "$want"; then pass xp
else fail xp "want '$want', got: $(section "xp /2xg $MAGIC" "$WORK/cmds.txt" | head -2 | tr '\n' '|')"; fi

# The same bytes through the 4 KiB pages at the high address, and (identity) at MAGIC.
got_hi=$(section "x /2xg $HIGH" "$WORK/cmds.txt" | cut -d: -f2)
got_id=$(section "x/2xg $MAGIC" "$WORK/cmds.txt" | cut -d: -f2)
if [ "$got_hi" = " 0x1122334455667788 0x99aabbccddeeff00" ] && [ "$got_id" = "$got_hi" ]; then pass x-virtual
else fail x-virtual "x at $HIGH gave '$got_hi', at $MAGIC '$got_id'"; fi

fmt_ok=1; fmt_why=""
chk() { # chk CMD REGEX
    if ! section "$1" "$WORK/cmds.txt" | grep -Eq "$2"; then
        fmt_ok=0; fmt_why="$fmt_why [$1: $(section "$1" "$WORK/cmds.txt" | head -2 | tr '\n' '|')]"
    fi
}
chk "xp/12c $TEXT" ": 'M' 'O' 'N' 'I' 'T' 'O' 'R' '-' 'T' 'E' 'S' 'T'$"
chk "xp/4xb $MAGIC" ": 0x88 0x77 0x66 0x55$"
chk "xp/2dw $MAGIC" ": 1432778632 287454020$"
chk "xp/1uh $MAGIC" ": 30600$"
chk "xp/1og $MAGIC" ": 0104421464212531473610$"
chk "x/3i \$pc" '^0x00000000800[0-9a-f]{5}:  [a-z]'
chk "xp/1x $MAGIC+8" ": 0x99aabbccddeeff00$"
chk "x/s $TEXT" "format 's' is not supported"
if [ $fmt_ok = 1 ] && [ "$(section "x/3i \$pc" "$WORK/cmds.txt" | grep -c '^0x')" = 3 ]; then pass x-formats
else fail x-formats "${fmt_why:- x/3i did not give 3 lines}"; fi

if section "x/2xg 0x40000000" "$WORK/cmds.txt" | grep -q "cannot access 0x40000000: not mapped" &&
   section "xp/4xw 0x10000000" "$WORK/cmds.txt" | grep -q "device memory" &&
   section "xp/1xg 0x7000000000" "$WORK/cmds.txt" | grep -q "nothing is there" &&
   kill -0 $VMPID 2>/dev/null; then
    pass x-fault
else fail x-fault "unmapped/MMIO/absent reads not reported, or vm died: $(section "x/2xg 0x40000000" "$WORK/cmds.txt" | head -1)"; fi

mem=$(section "info mem" "$WORK/cmds.txt")
if echo "$mem" | grep -q '^satp 8.*Sv39' &&
   echo "$mem" | grep -Eq '^0000000000000000-000000003fffffff 0000000000000000 +40000000 rwx--ad$' &&
   echo "$mem" | grep -Eq '^0000000080000000-00000000bfffffff 0000000080000000 +40000000 rwx--ad$' &&
   echo "$mem" | grep -Eq '^ffffffc000000000-ffffffc0001fffff 0000000080000000 +200000 rw--gad$'; then
    pass info-mem
else fail info-mem "mappings not as echo.c built them: $(echo "$mem" | head -c 400 | tr '\n' '|')"; fi

# info jit: the JIT's statistics when vm's default engine is the JIT, else a
# line saying it is not in use (monitor-stdio below runs -accel interp).
if grep -q 'engine jit' "$WORK/status.txt"; then jit_want='^jit-stats: tiers=1'; else jit_want='JIT is not in use'; fi
if section "info cpus" "$WORK/cmds.txt" | grep -Eq '^\* CPU #0: pc=0x00000000800' &&
   section "info tlb" "$WORK/cmds.txt" | grep -q '^tlb: cpu 0: .*hit rate' &&
   section "info jit" "$WORK/cmds.txt" | grep -Eq "$jit_want" &&
   section "info" "$WORK/cmds.txt" | grep -q 'info what?' &&
   section "info bogus" "$WORK/cmds.txt" | grep -q "unknown info 'bogus'"; then
    pass info-misc
else fail info-misc "info cpus/tlb/jit answers: $(grep -v '^tick' "$WORK/cmds.txt" | sed -n '/== info cpus/,/== info mem/p' | head -c 400 | tr '\n' '|')"; fi

# Bad input: one clear line each, and vm keeps running.
long=$(head -c 3000 /dev/zero | tr '\0' 'a')
mon "frobnicate" "x/zz 0" "x" "xp/0x 0" "xp/999999xg 0" "x/2xg \$nosuchreg" "cpu 7" "stop now/x" \
    "$(printf 'garbage\001\002\377')" "$long" "help" "help x" "info status" >"$WORK/bad.txt"
bad_ok=1
for pair in "frobnicate|unknown command 'frobnicate'" "x/zz 0|bad format" "x|expected an address" \
            "xp/0x 0|count must be at least 1" "xp/999999xg 0|at most 65536 bytes" \
            "x/2xg \$nosuchreg|unknown register" "cpu 7|expected a vCPU number 0-0" \
            "stop now/x|stop takes no arguments" "info status|VM status: running"; do
    c=${pair%%|*}; w=${pair#*|}
    section "$c" "$WORK/bad.txt" | grep -Eq "$w" || { bad_ok=0; echo "bad-input: '$c' lacks '$w'" >>"$WORK/bad.why"; }
done
grep -q "line too long" "$WORK/bad.txt" || { bad_ok=0; echo "no 'line too long'" >>"$WORK/bad.why"; }
section "help" "$WORK/bad.txt" | grep -q '^system_powerdown' || { bad_ok=0; echo "help lacks system_powerdown" >>"$WORK/bad.why"; }
if [ $bad_ok = 1 ] && kill -0 $VMPID 2>/dev/null; then pass bad-input
else fail bad-input "$(tr '\n' ' ' <"$WORK/bad.why" 2>/dev/null | head -c 300) (vm alive: $(kill -0 $VMPID 2>/dev/null && echo yes || echo no))"; fi

# savevm/loadvm: a snapshot file round trip (snapshot.c). The magic word is
# changed through the console? The console is a file here: compare registers.
mon "stop" "savevm $WORK/m.snap" "loadvm $WORK/m.snap" "loadvm $WORK/nonexistent.snap" "cont" >"$WORK/snap.txt"
if grep -q "not implemented" "$WORK/snap.txt"; then
    skip savevm-loadvm "snapshots are not implemented yet: $(grep -m1 'not implemented' "$WORK/snap.txt")"
elif section "savevm $WORK/m.snap" "$WORK/snap.txt" | grep -q "^saved to" && [ -s "$WORK/m.snap" ] &&
     section "loadvm $WORK/m.snap" "$WORK/snap.txt" | grep -q "^loaded from" &&
     section "loadvm $WORK/nonexistent.snap" "$WORK/snap.txt" | grep -q "^loadvm: "; then
    pass savevm-loadvm
else fail savevm-loadvm "$(grep -v '^tick' "$WORK/snap.txt" | head -c 300 | tr '\n' '|')"; fi

# system_reset: the guest starts again from its entry (a second banner).
mon "system_reset" "sleep 1" "info status" >"$WORK/reset.txt"
n=$(grep -c 'bm-echo: ready' "$CON")
if [ "$n" -ge 2 ] && section "info status" "$WORK/reset.txt" | grep -q running; then pass system-reset
else fail system-reset "$n banners after system_reset (want 2): $(head -c 200 "$WORK/reset.txt" | tr '\n' '|')"; fi

mon "quit" >"$WORK/quit.txt"
rc=125
for _ in $(seq 100); do kill -0 $VMPID 2>/dev/null || break; sleep 0.05; done
if kill -0 $VMPID 2>/dev/null; then kill $VMPID; fi
wait $VMPID; rc=$?
if [ $rc = 0 ] && [ ! -e "$SOCK" ]; then pass quit
else fail quit "status $rc (want 0), socket left: $([ -e "$SOCK" ] && echo yes || echo no); stderr: $(head -c 200 "$WORK/vm.err")"; fi

# -- -monitor stdio, commands from a pipe, console in a file ------------------------------
printf 'xp/1xg %s\ninfo status\ninfo jit\nquit\n' "$MAGIC" >"$WORK/stdin.txt"
STDIN=$WORK/stdin.txt run "$WORK/stdio" "$VM" -accel interp -M virt -bios none -kernel "$ELF" \
    -serial "file:$WORK/con2.txt" -monitor stdio -timeout 60
if [ "$RC" = 0 ] && grep -q "^(vm) $(printf '%016x' $((MAGIC))): 0x1122334455667788$" "$WORK/stdio.out" &&
   grep -q 'VM status: running' "$WORK/stdio.out" && grep -q '^(vm) the JIT is not in use' "$WORK/stdio.out"; then
    pass monitor-stdio
else fail monitor-stdio "$(describe_rc "$RC"): $(head -c 300 "$WORK/stdio.out" | tr '\n' '|') $(head -c 200 "$WORK/stdio.err")"; fi

printf 'system_powerdown\n' >"$WORK/stdin2.txt"
STDIN=$WORK/stdin2.txt run "$WORK/pd" "$VM" -M virt -bios none -kernel "$ELF" \
    -serial "file:$WORK/con3.txt" -monitor stdio -timeout 60
if [ "$RC" = 0 ] && grep -q 'powering off now' "$WORK/pd.out" &&
   grep -qx 'vm: powered off by the monitor (system_powerdown)' "$WORK/pd.err"; then
    pass system-powerdown
else fail system-powerdown "$(describe_rc "$RC"): $(head -c 200 "$WORK/pd.out" | tr '\n' '|') $(head -c 200 "$WORK/pd.err")"; fi

# -- Ctrl-A c on a terminal (pty) ----------------------------------------------------------
cat >"$WORK/ctrl_a_c.py" <<'EOF'
import os, pty, select, sys, time
vm, elf = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(vm, [vm, "-M", "virt", "-bios", "none", "-kernel", elf, "-nographic", "-timeout", "60"])
seen = b""
def read_until(pat, secs=15):
    global seen
    end = time.time() + secs
    while pat not in seen:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r:
            sys.exit("timed out waiting for %r; saw %r" % (pat, seen[-300:]))
        try:
            d = os.read(fd, 4096)
        except OSError:
            sys.exit("vm closed the terminal waiting for %r; saw %r" % (pat, seen[-300:]))
        seen += d
    i = seen.index(pat) + len(pat)
    out, seen = seen[:i], seen[i:]
    return out
def drain(secs):
    global seen
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if r:
            seen += os.read(fd, 4096)
read_until(b"tick 2")
os.write(fd, b"\x01c")
read_until(b"(vm) ")
os.write(fd, b"info statsu\x7f\x7fus\r")
ans = read_until(b"(vm) ")
if b"VM status: running" not in ans:
    sys.exit("monitor answer: %r" % ans)
seen = b""
drain(0.5)
if b"tick" in seen:
    sys.exit("guest output shown while in the monitor: %r" % seen)
os.write(fd, b"\x01c")
read_until(b"tick")  # held output comes back
os.write(fd, b"exit 5\r")
_, st = os.waitpid(pid, 0)
if not os.WIFEXITED(st) or os.WEXITSTATUS(st) != 5:
    sys.exit("vm ended with wait status %d (want exit 5)" % st)
print("ok")
EOF
if out=$(timeout -k 5 60 python3 "$WORK/ctrl_a_c.py" "$VM" "$ELF" 2>&1) && [ "$out" = ok ]; then pass ctrl-a-c
else fail ctrl-a-c "$(echo "$out" | tail -1 | head -c 300)"; fi

# -- Bad monitor options: one line, status 1 --------------------------------------------------
bo_ok=1; bo_why=""
for spec in "unix:$WORK/no/such/dir/m.sock,server,nowait" "unix:$WORK/m2.sock,server,bogus" \
            "unix:$WORK/nobody-listens.sock"; do
    run "$WORK/bo" "$VM" -M virt -bios none -kernel "$ELF" -serial none -monitor "$spec" -timeout 20
    if [ "$RC" != 1 ] || [ "$(stderr_lines "$WORK/bo")" != 1 ] || ! grep -q '^vm: -monitor unix:' "$WORK/bo.err"; then
        bo_ok=0; bo_why="$bo_why [$spec: $(describe_rc "$RC"), $(head -c 150 "$WORK/bo.err" | tr '\n' '|')]"
    fi
done
if [ $bo_ok = 1 ]; then pass bad-options; else fail bad-options "$bo_why"; fi
