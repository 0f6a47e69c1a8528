#!/bin/sh
# Runs the cgroup v2 suite on a real v2 kernel: Debian's linux-image-amd64
# (unpacked, not installed) booted under qemu's software emulation with
# cgroup_no_v1=all, an initramfs holding the release binaries, busybox and the
# suite; results come back over the serial console. Needs root, python3,
# busybox-static and qemu-system-x86 (installed here if missing).
#   Tests/vm/run-v2-tests.sh        (from anywhere; work files in .build-vm/vm)
set -eu
cd "$(dirname "$0")/../.."
work=${SWIFTBOX_VM_WORK:-$PWD/.build-vm/vm}
mkdir -p "$work"
export PATH="/opt/swift/usr/bin:$PATH"

need_apt() { # PACKAGE COMMAND-THAT-MUST-EXIST
    command -v "$2" >/dev/null 2>&1 || [ -x "$2" ] && return 0
    apt-get install -y --no-install-recommends "$1" >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y --no-install-recommends "$1" >/dev/null; }
}
need_apt qemu-system-x86 qemu-system-x86_64
need_apt busybox-static /bin/busybox

# The kernel: the package linux-image-amd64 points to, cached in $work.
if [ ! -s "$work/vmlinux" ]; then
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
    if [ -z "$pkg" ]; then
        apt-get update -qq
        pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
    fi
    rm -rf "$work/kernel" "$work"/linux-image-*.deb
    (cd "$work" && apt-get download -q "$pkg" >/dev/null 2>&1)
    dpkg -x "$work"/linux-image-*.deb "$work/kernel"
    python3 Tests/vm/extract-vmlinux.py "$work"/kernel/boot/vmlinuz-* "$work/vmlinux"
    rm -rf "$work/kernel" "$work"/linux-image-*.deb
fi

# The release binaries as shipped (fully static swiftbox and swiftbox-init).
if ! bindir=$(sh images/build-release.sh 2> "$work/build.log"); then
    grep -E 'error' "$work/build.log" | head -20 >&2
    echo "run-v2-tests: the release build failed (see $work/build.log)" >&2
    exit 1
fi
bin=$bindir/swiftbox
[ -x "$bin" ] || { echo "run-v2-tests: no release swiftbox at $bin" >&2; exit 1; }

sh Tests/vm/make-initramfs.sh "$bin" "$work/initramfs.cpio.gz"

echo "run-v2-tests: booting $(ls "$work"/vmlinux) under qemu (cgroup_no_v1=all)"
log="$work/serial.log"
timeout 420 qemu-system-x86_64 -machine q35 -cpu max -smp 1 -m 1536 -nodefaults -display none -serial stdio \
    -no-reboot -kernel "$work/vmlinux" -initrd "$work/initramfs.cpio.gz" \
    -append "console=ttyS0 cgroup_no_v1=all panic=-1 quiet loglevel=3" < /dev/null | tr -d '\r' | tee "$log" || true
summary=$(grep -E '^v2-vm: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
if [ -z "$summary" ]; then
    echo "run-v2-tests: the VM did not report a result (see $log)" >&2
    exit 1
fi
case "$summary" in
    *" 0 failed") exit 0 ;;
    *) exit 1 ;;
esac
