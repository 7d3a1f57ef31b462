#!/bin/bash
# SPDX-License-Identifier: MIT
# Suite: -d mmu (riscv64 system mode): satp writes, sfence.vma and one line per
# TLB refill (page walk) in the -D log. Runs tests/baremetal/paging.elf (Sv39,
# Sv48, Sv57 from S-mode) under each engine with `-d mmu -D FILE`:
#   <engine>/result  the program still passes (exit 0), nothing on stderr
#   <engine>/satp    a satp write per mode (sv39, sv48, sv57) whose root ppn is
#                    the program's first page table (symbol `tables`), and the
#                    reserved mode 11 write reported as leaving satp unchanged
#   <engine>/walk    the 4 KiB page va 0x12345000 walks 3/4/5 levels to
#                    data[0], the 2 MiB page at 0x40000000 to data[1] (symbol
#                    `data`), with the A then D updates of the 4 KiB leaf
#   <engine>/fault   the load of unmapped 0x7000000 (cause 13, invalid PTE),
#                    the store to the read-only 2 MiB page (cause 15), the
#                    misaligned superpage and the U page executed from S (12)
#   <engine>/sfence  sfence.vma of va 0x12345000, then a walk to the new frame
#   off              without -d mmu, the -D log has no mmu line
SUITE=dmmu
. "$(dirname "$0")/lib.sh"

ENGINES="interp jit"
TESTS="$(for e in $ENGINES; do for t in result satp walk fault sfence; do echo "$e/$t"; done; done) off"
if why=$(vm_missing); then for t in $TESTS; do fail "$t" "$why"; done; exit 0; fi
out=$BUILD/baremetal
# shellcheck disable=SC2086
need_baremetal "$out" $TESTS
elf=$out/paging.elf

NM=
for n in nm llvm-nm riscv64-linux-gnu-nm; do command -v "$n" >/dev/null 2>&1 && { NM=$n; break; }; done
# sym NAME: the address of a symbol of paging.elf, as 0x%x.
sym() { local a; a=$("$NM" "$elf" 2>/dev/null | awk -v s="$1" '$3 == s { print $1; exit }'); [ -n "$a" ] && printf '0x%x' "$((16#$a))"; }
if [ -z "$NM" ] || ! data=$(sym data) || ! tables=$(sym tables); then
    for t in $TESTS; do skip "$t" "no nm to read the symbols of $elf"; done
    exit 0
fi
data1=$(printf '0x%x' $((data + 4096)))
data2=$(printf '0x%x' $((data + 8192)))
root_ppn=$(printf '0x%x' $((tables >> 12)))
va2m=$(printf '0x%x' $((0x40000000 + (data1 & 0x1fffff))))
hex='0x[0-9a-f]*'

# has FILE REGEX: the log has a line matching REGEX (extended).
has() { grep -Eq "$2" "$1"; }

for e in $ENGINES; do
    pfx=$LOG_DIR/$SUITE.$e
    log=$pfx.mmu.log
    rm -f "$log"
    run "$pfx" "$VM" -accel "$e" -M virt -bios none -kernel "$elf" -nographic -d mmu -D "$log"
    if [ "$RC" -ne 0 ]; then
        fail "$e/result" "exit status $RC (paging.elf failure code; log: $pfx.err)"
    elif [ -s "$pfx.err" ]; then
        fail "$e/result" "unexpected stderr: $(head -1 "$pfx.err")"
    else
        pass "$e/result"
    fi
    [ -f "$log" ] || log=/dev/null

    why=
    for m in 8:sv39 9:sv48 10:sv57; do
        has "$log" "^mmu: info: cpu 0: satp write 0x$(printf '%x' "${m%%:*}")0*${root_ppn#0x} mode ${m#*:} asid 0 root ppn $root_ppn\$" ||
            why="${why:-no satp write for ${m#*:} with root ppn $root_ppn}"
    done
    has "$log" "satp write 0xb000000000000005 mode reserved .*unsupported mode: satp unchanged" ||
        why="${why:-no line for the ignored mode-11 satp write}"
    if [ -z "$why" ]; then pass "$e/satp"; else fail "$e/satp" "$why (log: $log)"; fi

    why=
    # The first read of the 4 KiB page sets A, the first store D (4.3.2 step 7).
    has "$log" "walk va 0x12345000 read S sv39 asid 0: l2 $hex=$hex l1 $hex=$hex l0 $hex=$hex \(set A\) -> pa $data 4K r--\$" ||
        why="no Sv39 walk of 0x12345000 to $data setting A"
    has "$log" "walk va 0x12345000 write S sv39 asid 0: (l[0-9] $hex=$hex ){3}\(set D\) -> pa $data 4K rw-\$" ||
        why="${why:-no Sv39 store walk of 0x12345000 setting D}"
    has "$log" "walk va 0x12345000 read S sv48 asid 0: l3 $hex=$hex l2 $hex=$hex l1 $hex=$hex l0 $hex=$hex .*-> pa $data 4K" ||
        why="${why:-no 4-level Sv48 walk of 0x12345000}"
    has "$log" "walk va 0x12345000 read S sv57 asid 0: l4 $hex=$hex (l[0-9] $hex=$hex ){4}.*-> pa $data 4K" ||
        why="${why:-no 5-level Sv57 walk of 0x12345000}"
    has "$log" "walk va $va2m read S sv39 asid 0: l2 $hex=$hex l1 $hex=$hex -> pa $data1 2M r--\$" ||
        why="${why:-no 2 MiB walk of $va2m to $data1}"
    if [ -z "$why" ]; then pass "$e/walk"; else fail "$e/walk" "$why (log: $log)"; fi

    why=
    has "$log" "walk va 0x7000000 read S sv39 asid 0: l2 $hex=$hex l1 $hex=0x0 -> fault 13 load page fault \(invalid\)\$" ||
        why="no load page fault at 0x7000000"
    has "$log" "walk va $va2m write S sv39 .* -> fault 15 store/amo page fault \(no rights\)\$" ||
        why="${why:-no store page fault at $va2m}"
    has "$log" "walk va 0x60000008 read S sv39 .* -> fault 13 load page fault \(misaligned superpage\)\$" ||
        why="${why:-no misaligned superpage fault}"
    has "$log" "walk va 0x50000000 exec S sv39 .* -> fault 12 instruction page fault \(no rights\)\$" ||
        why="${why:-no instruction page fault at 0x50000000}"
    if [ -z "$why" ]; then pass "$e/fault"; else fail "$e/fault" "$why (log: $log)"; fi

    # After the (first) sfence, the next walk of the remapped page reaches data[2].
    if awk '/sfence.vma va 0x12345000 all asids/ { s = 1; next } s && /walk va 0x12345000 / { print; exit }' "$log" |
        grep -Eq "walk va 0x12345000 read S sv39 .* -> pa $data2 4K rw-\$"; then
        pass "$e/sfence"
    else
        fail "$e/sfence" "no sfence.vma of 0x12345000 followed by a walk to $data2 (log: $log)"
    fi
done

pfx=$LOG_DIR/$SUITE.off
run "$pfx" "$VM" -M virt -bios none -kernel "$elf" -nographic -d int -D "$pfx.log"
if [ "$RC" -ne 0 ]; then
    fail off "exit status $RC (log: $pfx.err)"
elif grep -q "^mmu:" "$pfx.log"; then
    fail off "mmu lines without -d mmu: $(grep -m1 '^mmu:' "$pfx.log")"
elif ! grep -q "^int:" "$pfx.log"; then
    fail off "no -d int line in $pfx.log: the log file was not written"
else
    pass off
fi
