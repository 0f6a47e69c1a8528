#!/bin/sh
# Builds the sample OCI bundle used by the example and the tests: a root
# filesystem holding Debian's static busybox (with its applets linked) and a
# config.json from `swiftbox spec`, adjusted to run ARGS (default: a greeting).
#   images/make-busybox-bundle.sh OUT_DIR [SWIFTBOX_BIN] [ARGS...]
set -eu
out=${1:?usage: make-busybox-bundle.sh OUT_DIR [SWIFTBOX_BIN] [ARGS...]}
bin=${2:-swiftbox}
[ $# -ge 2 ] && shift 2 || shift $#
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "busybox-static is not installed: apt-get install busybox-static" >&2; exit 1; }
file "$busybox" 2>/dev/null | grep -q 'statically linked' || ldd "$busybox" 2>&1 | grep -q 'not a dynamic' || {
    echo "$busybox is not static: apt-get install busybox-static" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/rootfs/bin" "$out/rootfs/etc" "$out/rootfs/tmp" "$out/rootfs/root"
cp "$busybox" "$out/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$out/rootfs/bin/$applet"
done
mkdir -p "$out/rootfs/usr/bin" "$out/rootfs/sbin" "$out/rootfs/usr/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$out/rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$out/rootfs/etc/group"
chmod 1777 "$out/rootfs/tmp"
(cd "$out" && "$bin" spec)
if [ $# -gt 0 ]; then
    python3 - "$out/config.json" "$@" <<'PY'
import json, sys
path, args = sys.argv[1], sys.argv[2:]
c = json.load(open(path))
c["process"]["args"] = args
json.dump(c, open(path, "w"), indent=2)
PY
fi
