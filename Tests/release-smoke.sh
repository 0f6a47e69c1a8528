#!/bin/sh
# Checks the binaries as shipped (images/build-release.sh: fully static
# swiftbox and swiftbox-init) on this host; the Swift test suite runs the
# debug build. A container with the default seccomp profile, the OCI
# lifecycle, an image loaded and unpacked (libarchive is linked in), and
# podman running a container with swiftbox as its runtime.
#   Tests/release-smoke.sh BIN_DIR     (as root)
set -eu
bin=$(cd "${1:?usage: release-smoke.sh BIN_DIR}" && pwd)
sb="$bin/swiftbox"
work=$(mktemp -d /tmp/swiftbox-release-smoke.XXXXXX)
root="$work/root"
pm="$work/podman"
podman() { env CONTAINERS_CONF="$pm/containers.conf" podman --root "$pm/storage" --runroot "$pm/run" \
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend none "$@"; }
podman_cleanup() { podman rm -af -t 0 >/dev/null 2>&1; podman rmi -af >/dev/null 2>&1; umount -R "$pm/storage" "$pm/run" 2>/dev/null || true; }
cleanup() {
    "$sb" --root "$root" delete --force smoke-2 >/dev/null 2>&1 || true
    [ ! -d "$pm" ] || podman_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "release-smoke: $*" >&2; exit 1; }
for f in swiftbox swiftbox-init; do
    ldd "$bin/$f" 2>&1 | grep -q 'not a dynamic executable' || fail "$bin/$f is not fully static"
done
cd "$(dirname "$0")/.."
sh images/make-busybox-bundle.sh "$work/bundle" "$sb" sh -c 'echo smoke $(hostname) $$' >/dev/null
"$sb" seccomp render > "$work/seccomp.json"
python3 - "$work/bundle/config.json" "$work/seccomp.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["seccomp"] = json.load(open(sys.argv[2]))
json.dump(c, open(sys.argv[1], "w"))
PY
out=$("$sb" --root "$root" run --bundle "$work/bundle" smoke-1) || fail "run failed: $out"
[ "$out" = "smoke swiftbox 1" ] || fail "run printed \"$out\", expected \"smoke swiftbox 1\""
"$sb" --root "$root" create --bundle "$work/bundle" smoke-2 >/dev/null || fail "create failed"
"$sb" --root "$root" state smoke-2 | grep -q '"status" *: *"created"' || fail "state after create is not created"
"$sb" --root "$root" start smoke-2 >/dev/null || fail "start failed"
"$sb" --root "$root" delete --force smoke-2 || fail "delete failed"
[ ! -e "$root/smoke-2" ] || fail "delete left $root/smoke-2"
# An image: an OCI layout with one gzip layer, made by umoci.
umoci init --layout "$work/layout" && umoci new --image "$work/layout:latest"
umoci unpack --image "$work/layout:latest" "$work/umoci-bundle" >/dev/null
cp -a "$work/bundle/rootfs/." "$work/umoci-bundle/rootfs/"
umoci repack --image "$work/layout:latest" "$work/umoci-bundle"
"$sb" image load --store "$work/store" --quiet "$work/layout" >/dev/null || fail "image load failed"
"$sb" image unpack --store "$work/store" latest "$work/unpacked" || fail "image unpack failed"
[ -x "$work/unpacked/bin/busybox" ] || fail "the unpacked image lacks /bin/busybox"
# podman with the static binary as its runtime (as docs/embedding.md configures it).
mkdir -p "$pm"
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "swiftbox"\n[engine.runtimes]\nswiftbox = ["%s"]\n' "$sb" > "$pm/containers.conf"
tar -C "$work/bundle/rootfs" -c . | podman import -q - localhost/swiftbox-smoke:latest >/dev/null || fail "podman import failed"
set +e
out=$(podman run --rm localhost/swiftbox-smoke:latest sh -c 'echo podman-ok; exit 4')
code=$?
set -e
podman_cleanup
[ "$code" -eq 4 ] && [ "$out" = "podman-ok" ] || fail "podman run with swiftbox: exit $code, output \"$out\" (expected 4, podman-ok)"
echo "release-smoke: passed"
