#!/bin/sh
# Installs the Debian packages swiftbox builds and tests with (run as root).
# The -dev packages also give the static libraries the release build links
# (libarchive.a and its decompressors, libseccomp.a, libnettle.a).
# Quick when they are already there: apt-get runs only for missing packages.
set -eu
packages="busybox-static libseccomp-dev libarchive-dev nettle-dev zlib1g-dev libzstd-dev liblzma-dev libbz2-dev zstd pkg-config file
  runc crun umoci skopeo podman containerd hyperfine python3 iproute2 gcc libc6-dev qemu-system-x86
  bsdutils valgrind"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
