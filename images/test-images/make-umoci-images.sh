#!/bin/sh
# Builds the test images with tools nobody here wrote: an OCI layout made by
# umoci from the busybox rootfs in three layers (every file type, setuid,
# xattrs incl. security.capability, long names, a sparse file; then deletions;
# then an opaque directory), plus skopeo conversions of it.
#   make-umoci-images.sh OUT BUSYBOX_ROOTFS
# OUT/layout (OCI layout, ref "test"), OUT/oci.tar (oci-archive), OUT/docker.tar
# (docker-archive, tag swiftbox/test:1), OUT/umoci-rootfs (umoci unpack of it).
set -eu
out=${1:?usage: make-umoci-images.sh OUT BUSYBOX_ROOTFS}
busybox=${2:?usage: make-umoci-images.sh OUT BUSYBOX_ROOTFS}
rm -rf "$out"; mkdir -p "$out"; cd "$out"
umoci init --layout layout
umoci new --image layout:test
# Layer 1: busybox and a zoo of file types.
umoci unpack --image layout:test b >/dev/null
r=b/rootfs
cp -a "$busybox/." $r/
mkdir -p $r/zoo/dir/sub $r/zoo/gone-dir/inner $r/zoo/opaque/old $r/home/app
echo hello > $r/zoo/file; chmod 640 $r/zoo/file; chown 1000:1000 $r/zoo/file
echo setuid > $r/zoo/setuid; chmod 4755 $r/zoo/setuid
echo setgid > $r/zoo/setgid; chmod 2711 $r/zoo/setgid
chmod 1777 $r/zoo/dir; chown 12:34 $r/zoo/dir
ln -s ../file $r/zoo/dir/rel-link; ln -s /zoo/file $r/zoo/abs-link; ln -s nowhere $r/zoo/dangling
ln $r/zoo/file $r/zoo/hardlink
mkfifo $r/zoo/fifo; mknod $r/zoo/null c 1 3; mknod $r/zoo/blk b 7 0
long=$(printf 'n%.0s' $(seq 1 150)); mkdir -p $r/zoo/$long/$long; echo deep > $r/zoo/$long/$long/$long
setfattr -n user.note -v swiftbox $r/zoo/file 2>/dev/null || python3 -c "import os; os.setxattr('$r/zoo/file','user.note',b'swiftbox')"
cp $r/bin/busybox $r/zoo/cap-bin
python3 - "$r/zoo/cap-bin" <<'PY'
import os, struct, sys
# VFS_CAP_REVISION_2, CAP_NET_BIND_SERVICE (10) permitted + effective.
os.setxattr(sys.argv[1], "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0))
PY
dd if=/dev/urandom of=$r/zoo/sparse bs=4096 count=1 seek=2048 2>/dev/null
echo old > $r/zoo/gone; echo old > $r/zoo/gone-dir/inner/f; echo old > $r/zoo/opaque/old/f; echo old > $r/zoo/opaque/keep
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > $r/etc/passwd
printf 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nnobody:x:65534:\n' > $r/etc/group
umoci repack --image layout:test b
# Layer 2: deletions and changes.
rm -rf b; umoci unpack --image layout:test b >/dev/null
rm $r/zoo/gone; rm -rf $r/zoo/gone-dir; echo changed > $r/zoo/file2; chmod 600 $r/zoo/setgid
umoci repack --image layout:test b
# Layer 3: a directory emptied and refilled.
rm -rf b; umoci unpack --image layout:test b >/dev/null
rm -rf $r/zoo/opaque; mkdir -p $r/zoo/opaque; echo new > $r/zoo/opaque/new
umoci repack --image layout:test b
rm -rf b
umoci config --image layout:test --config.user app --config.workingdir /home/app \
    --config.env GREETING=hi --config.entrypoint /bin/sh --config.cmd -c --config.cmd 'echo $GREETING' \
    --config.exposedports 8080/tcp --config.volume /data --config.label org.example=yes --config.stopsignal SIGINT
umoci gc --layout layout
skopeo copy -q oci:layout:test oci-archive:oci.tar:test
skopeo copy -q oci:layout:test docker-archive:docker.tar:swiftbox/test:1
umoci unpack --image layout:test u >/dev/null
mv u/rootfs umoci-rootfs; rm -rf u
touch .complete
