#!/bin/sh
# Image unpack benchmark: a Debian minbase root (debootstrap, ~225 MiB in three
# gzip layers, built here with umoci and cached) unpacked by swiftbox, by
# `umoci unpack` and by `zcat | tar -x` of the same layers, in one run, to the
# same disk; then the time and disk a second container of the image costs.
#   images/bench/unpack-bench.sh [SWIFTBOX_BIN] [WORK_DIR]
# Needs root, umoci, debootstrap and Debian's mirror (only to build the image).
set -eu
bin=$(readlink -f "${1:-.build-release/x86_64-unknown-linux-gnu/release/swiftbox}")
work=${2:-/var/tmp/swiftbox-bench}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
image=$work/image
mkdir -p "$work"

if [ ! -f "$image/.complete" ]; then
    command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
    rm -rf "$image"
    if [ -d "$work/parts" ]; then  # an earlier run stopped half-way: put the root back together
        mv "$work/parts/3/root" "$work/root.tmp" 2>/dev/null && mv "$work/parts/2/usr" "$work/root.tmp/usr" &&
            mv "$work/parts/1/usr/lib" "$work/root.tmp/usr/lib" && touch "$work/root.tmp/.debootstrap-done" &&
            rm -rf "$work/root" && mv "$work/root.tmp" "$work/root"
        rm -rf "$work/parts"
    fi
    if [ ! -f "$work/root/.debootstrap-done" ]; then
        rm -rf "$work/root"
        debootstrap --variant=minbase bookworm "$work/root" "$mirror" >/dev/null
        touch "$work/root/.debootstrap-done"
    fi
    rm "$work/root/.debootstrap-done"
    # Three layers of similar weight: usr/lib, the rest of usr, everything else.
    mkdir -p "$work/parts/1/usr" "$work/parts/2" "$work/parts/3"
    mv "$work/root/usr/lib" "$work/parts/1/usr/lib"
    mv "$work/root/usr" "$work/parts/2/usr"
    mv "$work/root" "$work/parts/3/root"
    umoci init --layout "$image"
    umoci new --image "$image:bench"
    umoci insert --image "$image:bench" "$work/parts/1/usr" /usr
    umoci insert --image "$image:bench" "$work/parts/2/usr" /usr
    umoci insert --image "$image:bench" "$work/parts/3/root" /
    umoci gc --layout "$image"
    rm -rf "$work/parts"
    touch "$image/.complete"
fi

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }
fresh() { rm -rf "$work/out" "$work/store"; sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
layers=$(python3 -c "
import json,sys
idx=json.load(open('$image/index.json'))
m=[d for d in idx['manifests'] if d.get('annotations',{}).get('org.opencontainers.image.ref.name')=='bench'][0]
man=json.load(open('$image/blobs/sha256/'+m['digest'][7:]))
print(' '.join(l['digest'][7:] for l in man['layers']))")
echo "image: $(echo $layers | wc -w) layers, $(du -sm $image | cut -f1) MiB compressed"

fresh; t0=$(now); umoci unpack --image "$image:bench" "$work/out" >/dev/null; t1=$(now)
umoci_s=$(elapsed $t0 $t1)
unpacked=$(du -sm "$work/out/rootfs" | cut -f1)

fresh; mkdir -p "$work/out"; t0=$(now)
for l in $layers; do zcat "$image/blobs/sha256/$l" | tar -x --numeric-owner --xattrs --xattrs-include='*' -C "$work/out"; done
t1=$(now); tar_s=$(elapsed $t0 $t1)

fresh; t0=$(now); "$bin" image load -q --store "$work/store" "$image" >/dev/null; t1=$(now)
load_s=$(elapsed $t0 $t1)
t0=$(now); "$bin" image unpack --store "$work/store" bench "$work/out"; t1=$(now)
flat_s=$(elapsed $t0 $t1)

# A second (and third) container of the loaded image: overlay on the shared layers.
t0=$(now); "$bin" image mount --store "$work/store" bench "$work/c1" >/dev/null; t1=$(now)
mount1_s=$(elapsed $t0 $t1)
t0=$(now); "$bin" image mount --store "$work/store" bench "$work/c2" >/dev/null; t1=$(now)
mount2_s=$(elapsed $t0 $t1)
disk_kib=$(du -sk "$work/c2" 2>/dev/null | cut -f1)
disk_kib=$(du -sk -x "$work/c2/overlay" | cut -f1)
"$bin" image unmount --store "$work/store" "$work/c1"; "$bin" image unmount --store "$work/store" "$work/c2"
rm -rf "$work/c1" "$work/c2"; fresh

echo "unpacked size: $unpacked MiB (umoci's rootfs)"
printf '%-46s %8s  %s\n' "what" "seconds" "vs umoci / vs zcat|tar"
printf '%-46s %8.2f\n' "umoci unpack" "$umoci_s"
printf '%-46s %8.2f  %s\n' "zcat | tar -x (sequential)" "$tar_s" "$(ratio $tar_s $umoci_s)"
printf '%-46s %8.2f  %s / %s\n' "swiftbox image load (verify, overlay layers)" "$load_s" "$(ratio $load_s $umoci_s)" "$(ratio $load_s $tar_s)"
printf '%-46s %8.2f  %s / %s\n' "swiftbox image unpack (flattened, from store)" "$flat_s" "$(ratio $flat_s $umoci_s)" "$(ratio $flat_s $tar_s)"
printf '%-46s %8.3f\n' "swiftbox image mount, 1st container" "$mount1_s"
printf '%-46s %8.3f  disk added: %s KiB\n' "swiftbox image mount, 2nd container" "$mount2_s" "$disk_kib"
