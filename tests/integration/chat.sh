#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# -chat FILE and -timeout on the bare-metal console guest tests/baremetal/echo.c
# ("bm-echo: ready", "tick N" every 50 ms, "echo: LINE" per input line, "exit N"
# ends vm with status N): success, a failed expect (status 125 and one line
# naming the file, line and regex), the guest stopping before an expect, quit,
# -timeout (124), and bad scripts rejected before the guest starts.
# VM_CHECK_LONG=1 adds a chat with the Debian kernel's busybox shell.
source "$(dirname "$0")/lib.sh"

TESTS="expect-send quit-status expect-timeout guest-stopped timeout timeout-chat escapes
       bad-command bad-regex bad-escape bad-timeout missing-file no-console"
LONG_TESTS="kernel-shell"
skip_all() { for t in $TESTS $LONG_TESTS; do skip "$t" "$1"; done; exit 0; }

reason=$(vm_missing) && skip_all "$reason"
BM=$BUILD/baremetal
# shellcheck disable=SC2086
need_baremetal "$BM" $TESTS $LONG_TESTS
ELF=$BM/echo.elf

# chat NAME [VM OPTIONS...]: runs echo.elf with -chat $WORK/NAME.chat.
chat() {
    local n=$1; shift
    run "$WORK/$n" "$VM" -M virt -bios none -kernel "$ELF" -nographic -chat "$WORK/$n.chat" "$@"
}
# Non-blank stderr lines (vm starts its exit line with \r\n when the console was stdio).
err_lines() { grep -c '[^[:space:]]' "$1.err"; }
why() { echo "$(describe_rc "$RC"); stderr: $(head -c 300 "$WORK/$1.err" | tr '\n' '|'); stdout: $(tail -c 200 "$WORK/$1.out" | tr '\n\r' '|.')"; }

cat >"$WORK/ok.chat" <<'EOF'
# wait for the banner, talk, make the guest exit with 7
timeout 20
expect ^bm-echo: ready$
send hello world\n
expect ^echo: hello world$
   expect tick [0-9]+
send exit 7\n
EOF
chat ok -timeout 60
if [ "$RC" = 7 ] && [ ! -s "$WORK/ok.err" ] && grep -q '^echo: exit 7' "$WORK/ok.out"; then pass expect-send
else fail expect-send "want status 7, no stderr: $(why ok)"; fi

printf 'expect tick 3\nquit 9\n' >"$WORK/quit.chat"
chat quit -timeout 60
if [ "$RC" = 9 ] && [ ! -s "$WORK/quit.err" ] && grep -q '^tick 3' "$WORK/quit.out"; then pass quit-status
else fail quit-status "want status 9: $(why quit)"; fi

printf 'expect ready\n\ntimeout 0.5\n# the guest never says this\nexpect never (said|printed)\n' >"$WORK/exp.chat"
chat exp -timeout 60
if [ "$RC" = 125 ] && [ "$(err_lines "$WORK/exp")" = 1 ] &&
   grep -q "^vm: chat: $WORK/exp.chat:5: expect 'never (said|printed)' not matched within 0.5 s (output since the previous match ends with \".*tick .*\")$" "$WORK/exp.err"; then
    pass expect-timeout
else fail expect-timeout "want status 125 and one line naming line 5: $(why exp)"; fi

printf 'expect ready\nsend exit\\n\nexpect goodbye\n' >"$WORK/stop.chat"
chat stop -timeout 60
if [ "$RC" = 125 ] && [ "$(err_lines "$WORK/stop")" = 1 ] &&
   grep -qx "vm: chat: $WORK/stop.chat:3: the machine stopped (status 0) before 'goodbye' was matched" "$WORK/stop.err"; then
    pass guest-stopped
else fail guest-stopped "want status 125: $(why stop)"; fi

run "$WORK/tmo" "$VM" -M virt -bios none -kernel "$ELF" -nographic -timeout 0.5
if [ "$RC" = 124 ] && [ "$(err_lines "$WORK/tmo")" = 1 ] &&
   grep -qx 'vm: timeout: the guest was stopped after 0.5 s (-timeout)' "$WORK/tmo.err" &&
   grep -q '^tick' "$WORK/tmo.out"; then
    pass timeout
else fail timeout "want status 124 and the timeout line: $(why tmo)"; fi

printf 'expect ready\nexpect nothing like this\n' >"$WORK/tc.chat"
chat tc -timeout 0.5
if [ "$RC" = 124 ] && grep -qx 'vm: timeout: the guest was stopped after 0.5 s (-timeout)' "$WORK/tc.err" &&
   grep -qx "vm: chat: $WORK/tc.chat:2: was still waiting for 'nothing like this'" "$WORK/tc.err"; then
    pass timeout-chat
else fail timeout-chat "want status 124 and where the chat waited: $(why tc)"; fi

# \t \\ \xHH reach the guest as bytes (it echoes them back)
printf 'expect ready\nsend a\\tb\\\\c\\x41\\x7e\\r\nexpect echo: a\tb\\\\cA~\nsend exit 3\\n\n' >"$WORK/esc.chat"
chat esc -timeout 60
if [ "$RC" = 3 ] && grep -q "$(printf '^echo: a\tb\\\\cA~')" "$WORK/esc.out"; then pass escapes
else fail escapes "want status 3 and the decoded line echoed: $(why esc)"; fi

# bad_script NAME WANT_REGEX: status 1, one line, and the guest never ran.
bad_script() {
    local n=$1 want=$2; shift 2
    chat "$n" -timeout 30 "$@"
    if [ "$RC" = 1 ] && [ "$(err_lines "$WORK/$n")" = 1 ] && grep -Eq "$want" "$WORK/$n.err" &&
       ! grep -q 'bm-echo' "$WORK/$n.out"; then
        pass "$n"
    else fail "$n" "want status 1, one line matching '$want', no guest output: $(why "$n")"; fi
}
printf 'expect ready\n# fine so far\nsned hello\n' >"$WORK/bad-command.chat"
bad_script bad-command "^vm: -chat $WORK/bad-command.chat:3: unknown command 'sned' \(expected expect, send, timeout or quit\)$"
printf 'expect (unclosed\n' >"$WORK/bad-regex.chat"
bad_script bad-regex "^vm: -chat $WORK/bad-regex.chat:1: bad regular expression '\(unclosed': "
printf 'send ok\\n\nsend \\q\n' >"$WORK/bad-escape.chat"
bad_script bad-escape "^vm: -chat $WORK/bad-escape.chat:2: unknown escape '.q'"
printf 'timeout soon\n' >"$WORK/bad-timeout.chat"
bad_script bad-timeout "^vm: -chat $WORK/bad-timeout.chat:1: timeout: expected seconds"
bad_script missing-file "^vm: -chat $WORK/missing-file.chat: No such file or directory$"
printf 'expect ready\n' >"$WORK/no-console.chat"
bad_script no-console "^vm: -chat needs a serial console" -serial none

# -- Long: a chat with busybox's shell on the Debian kernel (one boot) -------------------
if [ -z "${VM_CHECK_LONG:-}" ]; then
    skip kernel-shell "long test (VM_CHECK_LONG=1)"
    exit 0
fi
IMG=${VM_IMAGES_CACHE:-$TOP/images/cache}/riscv64
KERNEL=$IMG/linux-kernel/Image
INITRD=$BUILD/images/initrd-riscv64.cpio.gz
if [ ! -f "$KERNEL" ] || [ ! -f "$INITRD" ]; then
    skip kernel-shell "no kernel or initrd (run tests/integration/boot.sh first)"
    exit 0
fi
cat >"$WORK/shell.chat" <<'EOF'
timeout 600
expect vm-initramfs: type 'poweroff -f'
expect # $
send echo chat-$((6*7))\n
expect ^chat-42$
send poweroff -f\n
EOF
TIMEOUT=900 run "$WORK/shell" "$VM" -M virt -m 1G -kernel "$KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 quiet" -nographic -chat "$WORK/shell.chat" -timeout 800
if [ "$RC" = 0 ] && grep -q '^chat-42' "$WORK/shell.out"; then pass kernel-shell
else fail kernel-shell "$(why shell)"; fi
