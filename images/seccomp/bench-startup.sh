#!/bin/sh
# Start-up cost of seccomp: `run` of /bin/true in a busybox container without
# seccomp, with the built-in default profile compiled on this start (cache
# emptied before each run) and loaded from the cache, next to crun with the
# same config.json and profile. Prints hyperfine's table, then ratios.
#   images/seccomp/bench-startup.sh SWIFTBOX_BIN [RUNS]
# crun refuses this host's hybrid cgroups, so every command runs as
# `unshare -m sh -c 'umount /sys/fs/cgroup/unified; …'`; the wrapper alone is
# measured too and subtracted in the ratios.
set -eu
bin=$(readlink -f "${1:?usage: bench-startup.sh SWIFTBOX_BIN [RUNS]}")
runs=${2:-100}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/swiftbox-seccomp-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$here/make-busybox-bundle.sh" "$work/none" "$bin" /bin/true >/dev/null
"$bin" seccomp render > "$work/default.json"
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
path = os.path.join(work, "none", "config.json")
c = json.load(open(path))
c["ociVersion"] = "1.0.2"                      # crun 1.8 knows runtime-spec 1.0/1.1 only
c["root"] = {"path": os.path.join(work, "none", "rootfs"), "readonly": True}
json.dump(c, open(path, "w"), indent=1)
os.makedirs(os.path.join(work, "default"))
c["linux"]["seccomp"] = json.load(open(os.path.join(work, "default.json")))
json.dump(c, open(os.path.join(work, "default", "config.json"), "w"), indent=1)
PY
wrap() { echo "unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; $1'"; }
sb="$bin --root $work/sb-root run --bundle $work"
cr="crun --root $work/crun-root run --bundle $work"
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/result.json" \
    -n wrapper "$(wrap true)" \
    -n swiftbox-none "$(wrap "$sb/none b1")" \
    -n swiftbox-default-first --prepare "rm -rf $work/sb-root/.seccomp" "$(wrap "$sb/default b2")" \
    -n swiftbox-default-cached "$(wrap "$sb/default b3")" \
    -n crun-none "$(wrap "$cr/none c1")" \
    -n crun-default "$(wrap "$cr/default c2")"
python3 - "$work/result.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
w = r["wrapper"]
net = {k: v - w for k, v in r.items() if k != "wrapper"}
print(f"\nmeans (ms), wrapper {w:.2f} ms subtracted:")
for k, v in net.items(): print(f"  {k:26s} {v:7.2f}")
print("ratios:")
print(f"  swiftbox default first / none   {net['swiftbox-default-first'] / net['swiftbox-none']:.2f}")
print(f"  swiftbox default cached / none  {net['swiftbox-default-cached'] / net['swiftbox-none']:.2f}")
print(f"  crun default / none             {net['crun-default'] / net['crun-none']:.2f}")
print(f"  crun default / swiftbox cached  {net['crun-default'] / net['swiftbox-default-cached']:.2f}")
print(f"  seccomp cost: swiftbox first +{net['swiftbox-default-first'] - net['swiftbox-none']:.2f} ms, "
      f"cached +{net['swiftbox-default-cached'] - net['swiftbox-none']:.2f} ms, crun +{net['crun-default'] - net['crun-none']:.2f} ms")
PY
