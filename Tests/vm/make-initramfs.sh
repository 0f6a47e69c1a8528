#!/bin/sh
# Packs the test VM's initramfs: busybox, the swiftbox binary (and
# swiftbox-init beside it) with any shared libraries it loads (none for the
# static release build), a busybox root filesystem for the containers, the
# bundles of the suite, /init and the suite itself.
#   make-initramfs.sh SWIFTBOX_BIN OUT.cpio.gz
set -eu
bin=${1:?usage: make-initramfs.sh SWIFTBOX_BIN OUT.cpio.gz}
out=${2:?usage: make-initramfs.sh SWIFTBOX_BIN OUT.cpio.gz}
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/etc" "$stage/rootfs"
cp /bin/busybox "$stage/bin/busybox"
cp "$bin" "$stage/bin/swiftbox"
# swiftbox-init beside it, as installed (swiftbox runs it as container init).
[ ! -x "$(dirname "$bin")/swiftbox-init" ] || cp "$(dirname "$bin")/swiftbox-init" "$stage/bin/swiftbox-init"
# Shared libraries and the dynamic loader, at the paths the binary expects.
for lib in $(ldd "$bin" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
    mkdir -p "$stage$(dirname "$lib")"
    cp -L "$lib" "$stage$lib"
done
# The containers' root filesystem: busybox with its applets.
mkdir -p "$stage/rootfs/bin" "$stage/rootfs/dev" "$stage/rootfs/proc" "$stage/rootfs/sys" "$stage/rootfs/tmp" "$stage/rootfs/etc"
cp /bin/busybox "$stage/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$stage/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/rootfs/etc/passwd"
printf 'root:x:0:\n' > "$stage/rootfs/etc/group"
python3 "$here/make-bundles.py" "$bin" "$stage/bundles"
cp "$here/init" "$stage/init"
cp "$here/v2-suite.sh" "$stage/suite.sh"
chmod 755 "$stage/init" "$stage/suite.sh"
(cd "$stage" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$out"
