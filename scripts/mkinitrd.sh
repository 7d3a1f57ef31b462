#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the test initramfs (a gzip'd newc cpio) from Debian's busybox-static:
#   scripts/mkinitrd.sh BUSYBOX OUT.cpio.gz [MODULES_DIR]
# MODULES_DIR (.../lib/modules/<ver> from linux-modules-<ver>) adds the drivers
# Debian builds as modules (virtio-mmio, virtio-blk/net/rng/console, ext4),
# decompressed and loaded by /init in dependency order.
# /init mounts proc/sys/devtmpfs, prints "vm-initramfs: boot ok", then runs the
# kernel command line's vm.test=NAME[,NAME...] scripts from /tests (or the shell
# commands in vm.cmd=..., with '~' for spaces) and powers off; without either it
# starts a shell on the console. Rebuilt only when BUSYBOX or this script is newer.
set -eu

bb=${1:?usage: mkinitrd.sh BUSYBOX OUT.cpio.gz [MODULES_DIR]}
out=${2:?usage: mkinitrd.sh BUSYBOX OUT.cpio.gz [MODULES_DIR]}
mods=${3:-}
[ -x "$bb" ] || { echo "mkinitrd: $bb: no busybox binary" >&2; exit 1; }
command -v cpio >/dev/null 2>&1 || { echo "mkinitrd: cpio not found" >&2; exit 1; }
if [ -f "$out" ] && [ "$out" -nt "$bb" ] && [ "$out" -nt "$0" ] &&
   { [ -z "$mods" ] || [ "$out" -nt "$mods" ]; }; then exit 0; fi

root=$(mktemp -d "${TMPDIR:-/tmp}/vm-initrd.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/sbin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" \
    "$root/mnt" "$root/etc" "$root/tests" "$root/usr/bin" "$root/usr/sbin" "$root/root"
cp "$bb" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
# The applets as symlinks (the host cannot run a riscv64 busybox --list): the
# ones /init and the tests use, plus a usable interactive set.
for a in sh ash cat echo ls mount umount mkdir rm cp mv ln dd sync sleep poweroff reboot \
        halt uname dmesg grep sed head tail wc od hexdump cmp md5sum sha256sum seq tr cut \
        ifconfig ip route udhcpc httpd wget ping ps kill top free df du mknod devmem \
        mke2fs fsck vi less more date hostname env printf test true false stty clear find \
        xargs tee touch chmod chown id whoami uptime watch nproc setsid cttyhack getty \
        mdev switch_root insmod modprobe lsmod blockdev sort uniq awk basename dirname \
        readlink realpath which yes time timeout base64 gunzip gzip zcat tar cpio fdisk; do
    ln -s /bin/busybox "$root/bin/$a"
done
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

# -- Kernel modules: each wanted one after what its .modinfo "depends=" names.
want_mods="virtio_mmio virtio_blk virtio_net virtio-rng virtio_console ext4"
: > "$root/etc/modules"
if [ -n "$mods" ] && [ -d "$mods/kernel" ]; then
    command -v xz >/dev/null 2>&1 || { echo "mkinitrd: xz not found (needed for $mods)" >&2; exit 1; }
    mkdir -p "$root/lib/modules"
    find "$mods/kernel" -name '*.ko*' > "$root/.modlist"
    # A subshell per call: sh has no local variables and this recurses.
    add_mod() ( # NAME: appends NAME's file (after its dependencies) to /etc/modules
        n=$(echo "$1" | tr '-' '_')
        if grep -qx "$n" "$root/.moddone" 2>/dev/null; then exit 0; fi
        echo "$n" >> "$root/.moddone"
        pat=$(echo "$n" | sed 's/_/[-_]/g')
        f=$(grep -E "/$pat\.ko(\.[a-z]+)?\$" "$root/.modlist" | head -1 || true)
        [ -n "$f" ] || exit 0 # built in
        case "$f" in
        *.xz) xz -dc "$f" > "$root/lib/modules/$n.ko" ;;
        *.gz) gzip -dc "$f" > "$root/lib/modules/$n.ko" ;;
        *.zst) zstd -qdc "$f" > "$root/lib/modules/$n.ko" ;;
        *) cp "$f" "$root/lib/modules/$n.ko" ;;
        esac
        deps=$(tr '\0' '\n' < "$root/lib/modules/$n.ko" | sed -n 's/^depends=//p' | head -1 | tr ',' ' ' || true)
        for d in $deps; do add_mod "$d"; done
        echo "$n" >> "$root/etc/modules"
    )
    for m in $want_mods; do add_mod "$m"; done
    rm -f "$root/.modlist" "$root/.moddone"
fi

cat > "$root/init" <<'INIT'
#!/bin/sh
# vm test initramfs: see scripts/mkinitrd.sh.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mknod /dev/console c 5 1
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null
for m in $(cat /etc/modules); do insmod "/lib/modules/$m.ko" 2>/dev/null; done
mdev -s 2>/dev/null
# The kernel opened /dev/console before /init ran: with console=hvc0 the
# virtio console only exists now that virtio_mmio (a module here) is loaded,
# so stdout was never open. Open the console now that it is there.
if [ ! -e /proc/self/fd/1 ]; then exec </dev/console >/dev/console 2>&1; fi
hostname vm
echo "vm-initramfs: boot ok ($(uname -m), $(nproc) cpus)"
test=""; cmd=""
for a in $(cat /proc/cmdline); do
    case "$a" in
    vm.test=*) test=${a#vm.test=} ;;
    vm.cmd=*) cmd=$(echo "${a#vm.cmd=}" | tr '~' ' ') ;;
    esac
done
if [ -n "$test" ] || [ -n "$cmd" ]; then
    rc=0
    if [ -n "$test" ]; then
        for t in $(echo "$test" | tr ',' ' '); do sh "/tests/$t.sh" || rc=$?; done
    else
        sh -c "$cmd" || rc=$?
    fi
    echo "vm-initramfs: test exit $rc"
    sync
    poweroff -f
fi
echo "vm-initramfs: type 'poweroff -f' to stop the machine (or Ctrl-A x)"
exec setsid cttyhack sh -l
INIT
chmod 755 "$root/init"

# Scripts the integration tests select with vm.test=NAME.
cat > "$root/tests/smp.sh" <<'T'
echo "vm-test: cpus $(grep -c ^processor /proc/cpuinfo)"
T
# vm.test=blkw writes a pattern to the first disk, blkr reads it back.
cat > "$root/tests/blkw.sh" <<'T'
[ -b /dev/vda ] || { echo "vm-test: no /dev/vda"; exit 1; }
mke2fs -q /dev/vda >/dev/null 2>&1 || mke2fs /dev/vda >/dev/null || exit 1
mount -t ext2 /dev/vda /mnt || exit 1
seq 1 20000 > /mnt/pattern
md5sum /mnt/pattern | cut -d' ' -f1 > /mnt/pattern.md5
echo "vm-test: wrote $(cat /mnt/pattern.md5)"
umount /mnt
T
cat > "$root/tests/blkr.sh" <<'T'
mount -t ext2 /dev/vda /mnt || exit 1
echo "vm-test: read $(md5sum /mnt/pattern | cut -d' ' -f1) expect $(cat /mnt/pattern.md5)"
umount /mnt
T
cat > "$root/tests/blkro.sh" <<'T'
mount -t ext2 -o ro /dev/vda /mnt || exit 1
echo "vm-test: ro read $(md5sum /mnt/pattern | cut -d' ' -f1)"
if echo x > /mnt/x 2>/dev/null; then echo "vm-test: ro write succeeded"; else echo "vm-test: ro write refused"; fi
dd if=/dev/zero of=/dev/vda bs=512 count=1 conv=fsync 2>/dev/null && echo "vm-test: raw write succeeded" || echo "vm-test: raw write refused"
umount /mnt
T
# vm.test=exit42: the test finisher's FAIL code (0x3333 | code << 16) ends vm
# with status 42.
cat > "$root/tests/exit42.sh" <<'T'
sync
devmem 0x100000 32 0x2a3333
sleep 5
echo "vm-test: the finisher write did not stop the machine"
T
# vm.test=net: slirp's default network (10.0.2.0/24), then serve a file on 8080.
cat > "$root/tests/net.sh" <<'T'
ifconfig lo 127.0.0.1 up
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up || { echo "vm-test: no eth0"; exit 1; }
route add default gw 10.0.2.2
mkdir -p /www/cgi-bin && seq 1 5000 > /www/data.txt
# GET /cgi-bin/off ends the test: the host fetches it after data.txt.
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho bye\n(sleep 1; touch /tmp/off) &\n' > /www/cgi-bin/off
chmod 755 /www/cgi-bin/off
httpd -p 8080 -h /www
echo "vm-test: net up $(md5sum /www/data.txt | cut -d' ' -f1)"
i=0
while [ ! -f /tmp/off ] && [ $i -lt 600 ]; do sleep 1; i=$((i + 1)); done
echo "vm-test: net done"
T
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 > "$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitrd: $out ($(wc -c < "$out") bytes)"
