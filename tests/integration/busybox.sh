#!/bin/bash
# SPDX-License-Identifier: MIT
# Suite (b): Debian's busybox-static for each guest arch (riscv64 from sid,
# arm64 from bookworm; scripts/fetch-images.sh) under vm against the host's
# native busybox (Debian's amd64 busybox-static, /bin/busybox) on the same
# generated inputs: stdout and exit status must be byte-identical. Tests are
# named <arch>/<test>; an arch whose image is missing is SKIPPED with the reason.
SUITE=busybox
. "$(dirname "$0")/lib.sh"

# The guest arches with a Debian busybox image (VM_TEST_ARCHS restricts them).
BB_ARCHES=""
for a in $(guest_arches); do
    case $a in riscv64|aarch64) BB_ARCHES="$BB_ARCHES $a" ;; esac
done

TESTS="sh-script sh-subshell sh-applets sha256sum md5sum gzip gzip-9-binary gunzip-native-gz
gzip-roundtrip awk-stats awk-gsub sort sort-numeric sort-keys sed-subst sed-range
find-all find-filters tar-create tar-list tar-extract"

NATIVE_BB=${NATIVE_BUSYBOX:-/bin/busybox}
# all_tests VERB REASON [ARCH...]: one line per test of each arch.
all_tests() {
    local verb=$1 why=$2 a t; shift 2
    for a in "$@"; do for t in $TESTS; do "$verb" "$a/$t" "$why"; done; done
}
if [ ! -x "$NATIVE_BB" ]; then
    # shellcheck disable=SC2086
    all_tests skip "native busybox $NATIVE_BB missing (apt-get install busybox-static)" $BB_ARCHES
    exit 0
fi
if why=$(vm_missing); then
    # shellcheck disable=SC2086
    all_tests fail "$why" $BB_ARCHES
    exit 0
fi

# -- Deterministic inputs (a few hundred KB) ----------------------------------
D=$WORK/data
mkdir -p "$D"
cd "$D" || exit 1
"$NATIVE_BB" awk 'BEGIN {
    x = 12345
    split("alpha beta gamma delta epsilon zeta eta theta iota kappa", w, " ")
    for (i = 0; i < 12000; i++) {
        x = (x * 69069 + 1) % 4294967296
        printf "w%d %d %s %d.%03d\n", x % 100000, int(x / 65536) % 5000, w[1 + x % 10], x % 977, x % 1000
    }
}' >words.txt
"$NATIVE_BB" awk 'BEGIN {
    x = 777
    for (i = 0; i < 8000; i++) {
        x = (x * 69069 + 1) % 4294967296
        printf "%d,%s,%d,%c%c\n", i, (x % 3 ? "x" : "y"), x % 50, 97 + x % 26, 65 + int(x / 256) % 26
    }
}' >data.csv
"$NATIVE_BB" awk 'BEGIN {
    x = 99
    for (i = 0; i < 200000; i++) {
        x = (x * 69069 + 1) % 4294967296
        # Runs of repeated bytes and noise, so gzip has work at every level.
        printf "%c", (i % 1000 < 600) ? 1 + int(x / 16777216) % 255 : 65 + int(i / 50) % 4
    }
}' >bin.dat
mkdir -p tree/a/b/c tree/d tree/empty
for i in 1 2 3 4 5; do
    head -c $((i * 3000)) words.txt >"tree/a/file$i.txt"
    head -c $((i * 700)) bin.dat >"tree/a/b/blob$i.bin"
done
cp data.csv tree/d/data.csv
echo "deep" >tree/a/b/c/deep.txt
ln -s ../d/data.csv tree/a/link.csv
chmod 600 tree/a/file2.txt
chmod 755 tree/a/file3.txt
find tree -exec touch -h -d @1700000000 {} +
cd "$WORK" || exit 1

# bbtest NAME APPLET ARGS...: same command under native busybox and vm.
bbtest() {
    local name=$ARCH/$1 e=$WORK/$ARCH-$1.native g=$WORK/$ARCH-$1.vm; shift
    (cd "$D" && run "$e" "$NATIVE_BB" "$@"; echo $RC >"$e.rc")
    # The native run is the oracle: it must succeed (sh-script exits 3 on
    # purpose) and print something, or the comparison proves nothing.
    if [ "$(cat "$e.rc")" != "${WANT_RC:-0}" ] || [ ! -s "$e.out" ]; then
        fail "$name" "native busybox run broken: status $(cat "$e.rc"), $(wc -c <"$e.out") bytes of output (log: $(save_log "$name" "$e.out" "$e.err"))"
        return
    fi
    echo "cd $D && $VM $GUEST_BB $*" >"$g.cmd"
    # shellcheck disable=SC2086
    (cd "$D" && run "$g" $VM "$GUEST_BB" "$@"; echo $RC >"$g.rc")
    compare "$name" "$e" "$g" "$(cat "$e.rc")" "$(cat "$g.rc")"
}

# Inputs the guest tests read that native busybox makes: a .gz to gunzip, a
# tar to list and extract, and the reference extraction.
"$NATIVE_BB" gzip -c "$D/words.txt" >"$D/words.txt.gz"
"$NATIVE_BB" tar -cf "$D/tree.tar" -C "$D" tree
mkdir -p "$WORK/x-native"
"$NATIVE_BB" tar -xf "$D/tree.tar" -C "$WORK/x-native"
# busybox tar restores file mtimes but not those of directories and symlinks.
listing() { (cd "$1" && { find . ! -type d -printf '%p %M %s %l\n'; find . -type f -printf '%p %T@\n'; } | sort); }

# run_arch: the whole suite for $ARCH with the guest busybox $GUEST_BB. (The
# body is not indented: the sh -c scripts hold a here-document.)
run_arch() {
WANT_RC=3 bbtest sh-script sh -c '
f() { echo "f:$1:$#"; return 7; }
f a b c; echo "ret=$?"
i=0; s=0
while [ $i -lt 200 ]; do s=$((s + i * i % 13)); i=$((i + 1)); done
echo "sum=$s"
for w in alpha "be ta" gamma; do printf "[%s]" "$w"; done; echo
x=prefix-middle-suffix
echo "${x#*-} ${x%-*} ${#x} ${x/middle/MID}"
case $x in pre*) echo matched;; *) echo nomatch;; esac
read -r a b <<EOT
one two three
EOT
echo "a=$a b=$b"
set -- p q r; shift; echo "$@ $#"
test -f words.txt && echo "words exists"
[ "abc" \< "abd" ] && echo lt
exit 3'
bbtest sh-subshell sh -c '
x=$(echo inner; exit 4); echo "$x $?"
(exit 5); echo "sub=$?"
false || echo "or-branch"
true && echo "and-branch"
trap "echo trapped-exit" EXIT
echo "$((0x10 + 010 + 7 / 2 - -3))"
exit 0'
bbtest sh-applets sh -c '
cat words.txt | wc -l
head -n 3 words.txt | tr a-z A-Z
seq 1 500 | sort -rn | head -n 2
grep -c alpha words.txt
cut -d, -f2 data.csv | uniq -c | head -n 3
ls tree/a | sort
basename /x/y/z.txt .txt; dirname /x/y/z.txt
expr 6 \* 7
echo done'
bbtest sha256sum sha256sum words.txt data.csv bin.dat
bbtest md5sum md5sum words.txt bin.dat
bbtest gzip gzip -c words.txt
bbtest gzip-9-binary gzip -9 -c bin.dat

# gunzip of native busybox's .gz, and a full round trip under vm.
bbtest gunzip-native-gz gunzip -c words.txt.gz
name=$ARCH/gzip-roundtrip
g=$WORK/$ARCH-gzip-roundtrip.vm
echo "$VM $GUEST_BB gzip -c bin.dat | $VM $GUEST_BB gunzip -c" >"$g.cmd"
(cd "$D" && run "$g.1" $VM "$GUEST_BB" gzip -1 -c bin.dat; echo $RC >"$g.rc1")
cp "$g.1.out" "$D/rt.gz"
(cd "$D" && run "$g" $VM "$GUEST_BB" gunzip -c rt.gz; echo $RC >"$g.rc")
if [ "$(cat "$g.rc1")" != 0 ] || [ "$(cat "$g.rc")" != 0 ]; then
    fail "$name" "gzip status $(cat "$g.rc1"), gunzip status $(cat "$g.rc") (log: $(save_log "$name" "$g.cmd" "$g.1.err" "$g.err"))"
elif ! cmp -s "$g.out" "$D/bin.dat"; then
    fail "$name" "gunzip(gzip(bin.dat)) under vm differs from bin.dat (log: $(save_log "$name" "$g.cmd" "$g.err"))"
else
    pass "$name"
fi

bbtest awk-stats awk '{ t += $2; if ($2 > m) m = $2; c[$3]++; f += $4 }
END {
    printf "%d %d %.4f %.3f\n", NR, m, t / NR, f
    print c["alpha"], c["beta"], c["kappa"], toupper(substr($1, 2, 3))
    n = split("a:b:c", a, ":"); print n, a[3]
    print length($0), index($0, "a"), sprintf("%05.1f|%x|%e|%g", 3.14159, 255, t, f)
    # Debian builds busybox awk without math support: no ^, sqrt, exp, sin...
    print int(-3.7), 7 % 3, -7 % 3, 1e3 / 8, 10 / 4, 1 / 3, (5 > 3) + 0
}' words.txt
bbtest awk-gsub awk -F, 'BEGIN { OFS = ";" } NR % 7 == 0 { n = gsub(/[0-9]/, "#", $1); $5 = n; print; next } /y/ && $3 > 40 { print NR, toupper($4), match($0, /,[0-9]+,/), RSTART, RLENGTH }' data.csv
bbtest sort sort words.txt
bbtest sort-numeric sort -n -k2,2 -s words.txt
bbtest sort-keys sort -t, -k3,3nr -k1,1n -u data.csv
bbtest sed-subst sed -e 's/^w\([0-9]*\) \([0-9]*\)/\2:\1/' -e '/^1/d' -e 's/a/A/g' -e 'y/et/ET/' words.txt
bbtest sed-range sed -n -e '100,120p' -e '/kappa 9/{s/kappa/K/p}' -e '5000q' words.txt
bbtest find-all find tree
bbtest find-filters find tree -type f -name '*.txt' -size +5k
bbtest tar-create tar -cf - tree
bbtest tar-list tar -tvf tree.tar

name=$ARCH/tar-extract
g=$WORK/$ARCH-tar-extract.vm
x=$WORK/x-vm-$ARCH
mkdir -p "$x"
echo "$VM $GUEST_BB tar -xf $D/tree.tar -C $x" >"$g.cmd"
run "$g" $VM "$GUEST_BB" tar -xf "$D/tree.tar" -C "$x"
if [ "$RC" != 0 ]; then
    fail "$name" "tar -x under vm: $(describe_rc "$RC") (log: $(save_log "$name" "$g.cmd" "$g.err"))"
elif ! diff -r "$WORK/x-native" "$x" >"$g.diff" 2>&1; then
    fail "$name" "extracted contents differ (log: $(save_log "$name" "$g.cmd" "$g.diff"))"
elif [ "$(listing "$WORK/x-native")" != "$(listing "$x")" ]; then
    listing "$WORK/x-native" >"$g.l1"; listing "$x" >"$g.l2"
    diff "$g.l1" "$g.l2" >"$g.diff"
    fail "$name" "extracted modes/sizes/file mtimes/links differ (log: $(save_log "$name" "$g.cmd" "$g.diff"))"
else
    pass "$name"
fi
}

for ARCH in $BB_ARCHES; do
    if ! GUEST_BB=$(find_busybox "$ARCH"); then
        all_tests skip "$GUEST_BB" "$ARCH"
        continue
    fi
    run_arch
done
