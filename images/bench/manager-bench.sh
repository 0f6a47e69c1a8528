#!/bin/sh
# Starts N replicas (default 50) of a sleeping busybox service with
# `swiftbox run -d`, then the same N containers with `podman run -d`, and prints
# for each: time until all run, the resident memory of what watches the
# containers (swiftbox's one supervisor vs podman's conmon per container), its
# CPU while idle, and disk added per container.
#   images/bench/manager-bench.sh [SWIFTBOX_BIN] [N]
# Run as root from the repository. SWIFTBOX_BIN defaults to the release build.
set -eu
cd "$(dirname "$0")/../.."
B=${1:-$(swift build -c release --show-bin-path)/swiftbox}
N=${2:-50}
IDLE=${IDLE:-10}
work=$(mktemp -d /tmp/sbm-bench.XXXXXX)
root=$work/root
name=benchsleep$$
cleanup() {
    "$B" --root "$root" down "$work/bench.json" >/dev/null 2>&1 || true
    ids=$(podman ps -aq --filter label=sbm-bench=$$ 2>/dev/null || true)
    [ -z "$ids" ] || podman rm -f -t 0 $ids >/dev/null 2>&1 || true
    podman rmi -f localhost/sbm-bench:$$ >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
now() { date +%s.%N; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

images/make-busybox-bundle.sh "$work/busybox" "$B" >/dev/null
cat > "$work/bench.json" <<JSON
{"name": "$name", "image": "busybox/rootfs", "command": ["sleep", "3600"], "replicas": $N,
 "stopSignal": "SIGKILL", "stopTimeout": "1s"}
JSON

echo "== swiftbox: $N replicas ($B)"
t0=$(now)
"$B" --root "$root" run -d "$work/bench.json" >/dev/null
t1=$(now)
running=$("$B" --root "$root" ps --format json | grep -c '"state" : "running"')
sup=$(sed -n 's/.*"supervisorPid" : \([0-9]*\).*/\1/p' "$root/services/bench/state.json")
c0=$(ticks "$sup"); sleep "$IDLE"; c1=$(ticks "$sup")
sb_rss=$(awk '/VmHWM/ {print $2}' "/proc/$sup/status")
sb_disk=$(du -skx "$root" | awk '{print $1}')
sb_start=$(echo "$t1 - $t0" | bc -l)
sb_cpu=$(echo "($c1 - $c0) * 100 / $hz / $IDLE" | bc -l)
t2=$(now); "$B" --root "$root" down "$work/bench.json"; t3=$(now)
printf '  running: %d/%d\n  time until all run: %.3f s (%.1f ms per replica)\n' "$running" "$N" "$sb_start" "$(echo "$sb_start * 1000 / $N" | bc -l)"
printf '  supervisor peak RSS: %d KiB (one process for all)\n' "$sb_rss"
printf '  supervisor CPU while idle (%ss): %.2f%%\n' "$IDLE" "$sb_cpu"
printf '  disk per replica: %.1f KiB (state, bundle, empty overlay upper, log)\n' "$(echo "$sb_disk / $N" | bc -l)"
printf '  down: %.3f s\n' "$(echo "$t3 - $t2" | bc -l)"

echo "== podman run -d: $N containers ($(podman --version))"
cat > "$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
# crun refuses this machine's hybrid cgroups; runc is podman's other runtime.
runtime = "${PODMAN_RUNTIME:-runc}"
CONF
export CONTAINERS_CONF="$work/containers.conf"
tar -C "$work/busybox/rootfs" -c . | podman import -q - "localhost/sbm-bench:$$" >/dev/null
graph=$(podman info --format '{{.Store.GraphRoot}}')
d0=$(du -skx "$graph" | awk '{print $1}')
t0=$(now)
i=1
while [ "$i" -le "$N" ]; do
    podman run -d --label sbm-bench=$$ --name "sbm-bench-$$-$i" "localhost/sbm-bench:$$" sleep 3600 >/dev/null
    i=$((i + 1))
done
t1=$(now)
prunning=$(podman ps -q --filter label=sbm-bench=$$ | wc -l)
conmons=$(pgrep -f "conmon .*sbm-bench-$$-" || true)
p_rss=0; pc0=0
for p in $conmons; do
    p_rss=$((p_rss + $(awk '/VmRSS/ {print $2}' "/proc/$p/status")))
    pc0=$((pc0 + $(ticks "$p")))
done
sleep "$IDLE"
pc1=0; for p in $conmons; do pc1=$((pc1 + $(ticks "$p"))); done
d1=$(du -skx "$graph" | awk '{print $1}')
p_start=$(echo "$t1 - $t0" | bc -l)
printf '  running: %d/%d\n  time until all run: %.3f s (%.1f ms per container)\n' "$prunning" "$N" "$p_start" "$(echo "$p_start * 1000 / $N" | bc -l)"
printf '  conmon RSS, all %d: %d KiB\n' "$(echo "$conmons" | wc -w)" "$p_rss"
printf '  conmon CPU while idle (%ss): %.2f%%\n' "$IDLE" "$(echo "($pc1 - $pc0) * 100 / $hz / $IDLE" | bc -l)"
printf '  disk per container: %.1f KiB (graph root growth)\n' "$(echo "($d1 - $d0) / $N" | bc -l)"

echo "== ratios (podman / swiftbox)"
printf '  start: %.1fx   watcher memory: %.1fx   disk: %.1fx\n' \
    "$(echo "$p_start / $sb_start" | bc -l)" "$(echo "$p_rss / $sb_rss" | bc -l)" \
    "$(echo "($d1 - $d0) / $sb_disk" | bc -l)"
