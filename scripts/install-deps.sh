#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what vm needs to build and test on Debian 12 (run as root).
set -eu
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: must run as root (apt-get install)" >&2
    exit 1
fi
pkgs="build-essential pkg-config git ca-certificates
libelf-dev zlib1g-dev libnuma-dev libcmocka-dev libfdt-dev liburing-dev libslirp-dev libglib2.0-dev libcapstone-dev
gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
gcc-aarch64-linux-gnu libc6-dev-arm64-cross
gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross
busybox-static qemu-user qemu-system-misc gdb-multiarch cpio xz-utils zstd valgrind
clang libclang-rt-14-dev
debian-archive-keyring diffutils findutils"
export DEBIAN_FRONTEND=noninteractive
tries=0
until apt-get update; do
    tries=$((tries + 1)); [ $tries -lt 3 ] || exit 1; sleep 5
done
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $pkgs
