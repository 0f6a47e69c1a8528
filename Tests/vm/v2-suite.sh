#!/bin/sh
# The cgroup v2 suite, run by /init inside the test VM (pure v2: booted with
# cgroup_no_v1=all). Each check proves a limit by its effect on real
# processes; the last line is "v2-vm: N passed, N failed".
SB="swiftbox --root /run/sb"
CG=/sys/fs/cgroup
pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
no() { echo "not ok - $1${2:+: $2}"; fail=$((fail + 1)); }
check() { name=$1; shift; if "$@"; then ok "$name"; else no "$name"; fi; }
status() { $SB state "$1" 2>/dev/null | grep '"status"' | sed 's/.*: *"\([a-z]*\)".*/\1/'; }
# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
    n=$(($1 * 10)); shift
    while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
    "$@"
}
is_stopped() { [ "$(status "$1")" = stopped ]; }
usage_usec() { awk '/^usage_usec/ {print $2}' "$CG/swiftbox/$1/cpu.stat"; }
uptime_cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }
nprocs() { wc -l < "$1/cgroup.procs"; }

check "layout is pure cgroup v2" sh -c "! grep -q ' - cgroup cgroup ' /proc/self/mountinfo && grep -q ' - cgroup2 ' /proc/self/mountinfo"

# --- memory: the hog is killed at memory.max and the OOM kill is reported
$SB create -b /bundles/oom oom
$SB events --interval 100ms oom > /tmp/oom.events &
ev=$!
sleep 0.5
$SB start oom
wait_for 30 is_stopped oom
wait $ev
check "memory hog stopped" is_stopped oom
check "memory.events counts the OOM kill" grep -q "oom_kill [1-9]" $CG/swiftbox/oom/memory.events
check "events printed an oom line" grep -q '"type":"oom"' /tmp/oom.events
check "events --stats shows oom_kill and the limit" sh -c "$SB events --stats oom | grep -q '\"oom_kill\":[1-9]' && $SB events --stats oom | grep -q '\"limit\":25165824'"
$SB delete oom
$SB run -b /bundles/oom oomrun
code=$?
check "run exits 137 (SIGKILL) for the hog" [ $code -eq 137 ]

# --- pids: a fork bomb stops at pids.max
$SB create -b /bundles/pids pids && $SB start pids
refused() { grep -q "max [1-9]" $CG/swiftbox/pids/pids.events; }
wait_for 20 refused
check "pids.events counts refused forks" refused
eleven() { [ "$(nprocs $CG/swiftbox/pids)" -eq 11 ]; }
wait_for 20 eleven
check "the bomb holds at the limit (10 sleeps + shell)" eleven
check "pids.max is 12" [ "$(cat $CG/swiftbox/pids/pids.max)" = 12 ]
$SB kill --all pids KILL
empty() { [ "$(nprocs $CG/swiftbox/pids)" -eq 0 ]; }
wait_for 20 empty
check "kill --all (cgroup.kill) reaches every process" empty
$SB delete -f pids

# --- cpu: quota 0.2 holds a busy loop to a fifth of a CPU
$SB create -b /bundles/cpu cpu && $SB start cpu
sleep 1
u0=$(usage_usec cpu); t0=$(uptime_cs)
sleep 3
u1=$(usage_usec cpu); t1=$(uptime_cs)
share=$(awk -v du=$((u1 - u0)) -v dt=$((t1 - t0)) 'BEGIN { printf "%.3f", du / (dt * 10000) }')
echo "# cpu share with quota 0.2: $share"
check "cpu.max holds the loop near 0.2 CPU" awk -v s="$share" 'BEGIN { exit !(s > 0.1 && s < 0.3) }'
check "cpu.stat counts throttled periods" grep -q "nr_throttled [1-9]" $CG/swiftbox/cpu/cpu.stat
$SB delete -f cpu

# --- devices: the eBPF program denies open and mknod
out=$($SB run -b /bundles/dev dev 2>/tmp/dev.err | tr '\n' ' ')
check "eBPF device filter: mknod allowed, read denied, other device denied" [ "$out" = "mknod-allowed read-denied mem-denied 1 " ]
[ "$out" = "mknod-allowed read-denied mem-denied 1 " ] || echo "# dev output: $out / $(cat /tmp/dev.err)"

# --- update changes a running container's limits
$SB create -b /bundles/upd upd && $SB start upd
check "memory.max starts at 64 MiB" [ "$(cat $CG/swiftbox/upd/memory.max)" = 67108864 ]
$SB update --memory 128m --pids-limit 30 upd
check "update --memory changes memory.max" [ "$(cat $CG/swiftbox/upd/memory.max)" = 134217728 ]
check "update --pids-limit changes pids.max" [ "$(cat $CG/swiftbox/upd/pids.max)" = 30 ]
$SB update -r /bundles/upd/r.json upd
check "update -r sets cpu.max" [ "$(cat $CG/swiftbox/upd/cpu.max)" = "30000 100000" ]
check "a bad cpuset is refused by name" sh -c "! $SB update --cpuset-cpus 0-4000 upd 2>/tmp/upd.err && grep -q linux.resources.cpu.cpus /tmp/upd.err"
check "a failed update rolls back" sh -c "! $SB update -r /bundles/upd/rollback.json upd 2>/dev/null && [ \$(cat $CG/swiftbox/upd/memory.max) = 134217728 ]"
$SB delete -f upd

# --- pause / resume
$SB create -b /bundles/frz frz && $SB start frz
$SB pause frz
check "pause freezes (cgroup.freeze, state paused)" sh -c "[ \$(cat $CG/swiftbox/frz/cgroup.freeze) = 1 ] && $SB state frz | grep -q paused"
a=$(usage_usec frz); sleep 1; b=$(usage_usec frz)
check "a paused container makes no progress" [ $((b - a)) -lt 5000 ]
$SB resume frz
check "resume thaws (state running)" sh -c "$SB state frz | grep -q running"
sleep 1; c=$(usage_usec frz)
check "a resumed container runs again" [ $((c - b)) -gt 50000 ]
$SB delete -f frz

# --- unified keys and shares → weight
$SB create -b /bundles/uni uni
check "unified memory.high is written" [ "$(cat $CG/swiftbox/uni/memory.high)" = 52428800 ]
check "cpu.shares 512 becomes cpu.weight 59" [ "$(cat $CG/swiftbox/uni/cpu.weight)" = 59 ]
check "hugepageLimits set hugetlb.2MB.max" [ "$(cat $CG/swiftbox/uni/hugetlb.2MB.max)" = 8388608 ]
$SB delete -f uni

# --- bad input leaves nothing behind
check "an unknown unified key fails create by name" sh -c "! $SB create -b /bundles/bad bad 2>/tmp/bad.err && grep -q 'unified..memory.nosuchfile' /tmp/bad.err"
check "a failed create leaves no cgroup" [ ! -e $CG/swiftbox/bad ]

# --- delete removes the cgroup and the parents swiftbox made
$SB create -b /bundles/del del && $SB start del
three() { [ "$(nprocs $CG/vmtop/inner/x)" -eq 3 ]; }
wait_for 20 three
check "custom cgroupsPath holds the container" three
$SB delete -f del
check "delete removes /vmtop/inner/x and its parents" [ ! -e $CG/vmtop ]
check "no /swiftbox cgroup is left" [ ! -e $CG/swiftbox ]

echo "v2-vm: $pass passed, $fail failed"
