#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetches the guest images vm's tests use (Debian packages of a foreign arch)
# into images/cache/, through a private apt configuration: the host's dpkg
# architectures, sources and lists are never touched.
#
#   scripts/fetch-images.sh [ARCH...]     default: riscv64
#
# Per arch, images/cache/<arch>/ gets each package extracted (dpkg-deb -x) into
# images/cache/<arch>/<package>/, plus a stamp file <package>.ok. Add a package
# or an arch by editing pkgs_for/suite_for below; nothing else changes.
# Exits non-zero with one "fetch-images: ..." reason line on failure; the tests
# then report SKIPPED with that reason (see tests/integration/lib.sh).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VM_IMAGES_CACHE:-$top/images/cache}
mirror=${VM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tries_max=${VM_FETCH_TRIES:-4}

# -- What to fetch, per arch --------------------------------------------------
# riscv64 comes from sid (it is a release arch there): busybox for user mode and
# the initramfs, OpenSBI (fw_dynamic.bin) and the kernel for system mode.
# "linux-kernel" and "linux-modules" are not package names: resolve_pkg maps
# them to the newest linux-binary-<ver>-riscv64 / linux-modules-<ver>-riscv64
# (virtio-mmio, virtio-blk/net and ext4 are modules in Debian's kernel; the
# initramfs carries them). arm64/ppc64el come from bookworm.
pkgs_for() {
    case "$1" in
    riscv64) echo "busybox-static opensbi linux-kernel linux-modules" ;;
    arm64) echo "busybox-static" ;;
    ppc64el) echo "busybox-static" ;;
    *) return 1 ;;
    esac
}
suite_for() {
    case "$1" in
    riscv64) echo "sid" ;;
    *) echo "bookworm" ;;
    esac
}

die() { echo "fetch-images: $*" >&2; exit 1; }

# resolve_pkg ARCH NAME: the real package to download for NAME (run after
# apt-get update). Debian's linux-image-<ver>-<arch> is an empty package that
# depends on linux-binary-<ver>-<arch>, which holds the kernel; older archives
# ship the kernel in linux-image-<ver>-<arch> itself. The meta-package
# linux-image-<arch> names the newest <ver>.
resolve_pkg() {
    case "$2" in
    linux-kernel)
        img=$(APT_CONFIG="$apt_dir/apt.conf" apt-cache depends "linux-image-$1" 2>/dev/null |
              sed -n "s/^ *Depends: \(linux-image-[0-9][^ ]*-$1\)\$/\1/p" | head -1)
        [ -n "$img" ] || return 1
        bin=$(APT_CONFIG="$apt_dir/apt.conf" apt-cache depends "$img" 2>/dev/null |
              sed -n "s/^ *Depends: \(linux-binary-[^ ]*\)\$/\1/p" | head -1)
        echo "${bin:-$img}" ;;
    linux-modules)
        img=$(APT_CONFIG="$apt_dir/apt.conf" apt-cache depends "linux-image-$1" 2>/dev/null |
              sed -n "s/^ *Depends: \(linux-image-[0-9][^ ]*-$1\)\$/\1/p" | head -1)
        [ -n "$img" ] || return 1
        mods=$(APT_CONFIG="$apt_dir/apt.conf" apt-cache depends "$img" 2>/dev/null |
               sed -n "s/^ *Depends: \(linux-modules-[^ ]*\)\$/\1/p" | head -1)
        echo "${mods:-$img}" ;;
    *) echo "$2" ;;
    esac
}

# post_extract ARCH NAME DIR: makes what the tests use out of an extracted package.
# The kernel: DIR/Image, the raw Image the Linux boot protocol loads
# (Documentation/arch/riscv/boot.rst). Debian ships it as boot/vmlinu[xz]-<ver>
# or, in linux-binary-*, usr/lib/modules/<ver>/vmlinu[xz]; either name may be a
# raw Image (with its EFI stub header) or gzip'd, so decompress when needed.
post_extract() {
    case "$2" in
    linux-kernel)
        k=$(ls "$3"/boot/vmlinux-* "$3"/boot/vmlinuz-* "$3"/usr/lib/modules/*/vmlinux \
               "$3"/usr/lib/modules/*/vmlinuz 2>/dev/null | head -1)
        [ -n "$k" ] || { echo "no kernel (boot/vmlinu[xz]-*, usr/lib/modules/*/vmlinu[xz]) in the package"; return 1; }
        if gzip -t "$k" 2>/dev/null; then
            gzip -dc "$k" > "$3/Image.tmp" || { echo "cannot decompress $k"; return 1; }
        else
            cp "$k" "$3/Image.tmp" || return 1
        fi
        mv "$3/Image.tmp" "$3/Image" ;;
    esac
    return 0
}

for tool in apt-get dpkg-deb; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (needs a Debian host)"
done

keyring=""
for k in /usr/share/keyrings/debian-archive-keyring.gpg \
         /etc/apt/trusted.gpg.d/debian-archive-keyring.gpg; do
    if [ -f "$k" ]; then keyring=$k; break; fi
done
[ -n "$keyring" ] || die "no Debian archive keyring (apt-get install debian-archive-keyring)"

# fetch_arch ARCH: one private apt tree per arch under $cache/apt/ARCH.
fetch_arch() {
    arch=$1
    pkgs=$(pkgs_for "$arch") || { echo "unknown arch '$arch'"; return 1; }
    suite=$(suite_for "$arch")
    out=$cache/$arch
    need=""
    for p in $pkgs; do
        [ -f "$out/$p.ok" ] || need="$need $p"
    done
    if [ -z "$need" ]; then
        echo "fetch-images: $arch:$pkgs already in $out"
        return 0
    fi

    apt_dir=$cache/apt/$arch
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
        "$apt_dir/etc/preferences.d" "$apt_dir/etc/apt.conf.d" "$apt_dir/etc/trusted.gpg.d" \
        "$apt_dir/state" "$apt_dir/debs" "$out" || { echo "cannot create $apt_dir"; return 1; }
    : > "$apt_dir/state/status"
    echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main" > "$apt_dir/sources.list"
    # Everything apt reads or writes points inside $apt_dir; Dir::Etc::Parts and
    # Dir::Etc::SourceParts point at empty folders so the host's config is ignored.
    # Check-Valid-Until is off because mirrors and snapshot proxies may serve a
    # Release whose Valid-Until has passed; signatures are still verified.
    cat > "$apt_dir/apt.conf" <<CONF
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Get::AllowUnauthenticated "false";
Acquire::Languages "none";
Acquire::Retries "3";
Acquire::Check-Valid-Until "false";
Dir::State "$apt_dir/state";
Dir::State::Lists "$apt_dir/lists";
Dir::State::status "$apt_dir/state/status";
Dir::Cache "$apt_dir/cache";
Dir::Cache::archives "$apt_dir/cache/archives";
Dir::Etc::SourceList "$apt_dir/sources.list";
Dir::Etc::SourceParts "$apt_dir/etc/sources.list.d";
Dir::Etc::Parts "$apt_dir/etc/apt.conf.d";
Dir::Etc::Preferences "$apt_dir/etc/preferences";
Dir::Etc::PreferencesParts "$apt_dir/etc/preferences.d";
Dir::Etc::Trusted "$apt_dir/etc/trusted.gpg";
Dir::Etc::TrustedParts "$apt_dir/etc/trusted.gpg.d";
Debug::NoLocking "true";
CONF
    mkdir -p "$apt_dir/etc/sources.list.d"

    try=1
    while :; do
        reason=""
        # apt-get update exits 0 when an index could not be fetched: look at its warnings too.
        if ! APT_CONFIG="$apt_dir/apt.conf" apt-get -q update >"$apt_dir/update.log" 2>&1 ||
                grep -qE '^(E:|W: Failed to fetch|W: Some index files failed)' "$apt_dir/update.log"; then
            reason="apt-get update failed: $(grep -E '^(E|W):' "$apt_dir/update.log" | head -1)"
        else
            for p in $need; do
                # An index mid-sync may lack the package: retried like a failed update.
                rp=$(resolve_pkg "$arch" "$p") || { reason="cannot resolve $p in $suite/$arch"; break; }
                # The .deb stays in $apt_dir/debs (outside git) as the download cache.
                deb=$(ls "$apt_dir/debs/${rp}_"*.deb 2>/dev/null | head -1)
                if [ -z "$deb" ] || ! dpkg-deb -I "$deb" >/dev/null 2>&1; then
                    rm -f "$apt_dir/debs/${rp}_"*.deb
                    if ! (cd "$apt_dir/debs" && APT_CONFIG="$apt_dir/apt.conf" \
                            apt-get -q download "$rp" >"$apt_dir/download.log" 2>&1); then
                        reason="apt-get download $rp failed: $(grep -E '^(E|W):' "$apt_dir/download.log" | head -1)"
                        break
                    fi
                    deb=$(ls "$apt_dir/debs/${rp}_"*.deb 2>/dev/null | head -1)
                fi
                [ -n "$deb" ] || { reason="no .deb for $rp after download"; break; }
                rm -rf "${out:?}/$p"
                dpkg-deb -x "$deb" "$out/$p" || { reason="dpkg-deb -x $deb failed"; break; }
                why=$(post_extract "$arch" "$p" "$out/$p") || { reason="$p: $why"; break; }
                echo "$rp $(dpkg-deb -f "$deb" Version)" > "$out/$p.ok"
                echo "fetch-images: $arch:$p ($rp $(dpkg-deb -f "$deb" Version)) -> $out/$p"
            done
        fi
        [ -z "$reason" ] && return 0
        if [ "$try" -ge "$tries_max" ]; then
            echo "$reason (after $try tries; mirror $mirror $suite/$arch)"
            return 1
        fi
        echo "fetch-images: try $try: $reason; retrying" >&2
        # The archive index may be mid-sync: start from fresh lists.
        rm -rf "$apt_dir/lists"; mkdir -p "$apt_dir/lists/partial"
        sleep $((try * 10))
        try=$((try + 1))
    done
}

[ $# -gt 0 ] || set -- riscv64
mkdir -p "$cache" || die "cannot create $cache"
status=0
for a in "$@"; do
    if ! msg=$(fetch_arch "$a"); then
        echo "fetch-images: $a: $(echo "$msg" | tail -1)" >&2
        echo "fetch-images: $a: $(echo "$msg" | tail -1)" > "$cache/$a.failed"
        status=1
    else
        [ -n "$msg" ] && echo "$msg"
        rm -f "$cache/$a.failed"
    fi
done
exit $status
