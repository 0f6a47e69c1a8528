#!/usr/bin/env python3
"""Writes the OCI bundles the in-VM cgroup v2 suite runs (Tests/vm/v2-suite.sh),
each a config.json from `swiftbox spec` plus its linux.resources, all sharing
the busybox root filesystem at /rootfs inside the VM.

    make-bundles.py SWIFTBOX_BIN OUT_DIR
"""
import json, os, subprocess, sys, tempfile

MiB = 1 << 20
BUSY = ["sh", "-c", "while :; do :; done"]
DEVICE_SCRIPT = """mknod /dev/k c 1 11 && echo mknod-allowed
head -c1 /dev/k >/dev/null 2>&1 && echo read-allowed || echo read-denied
mknod /dev/m c 1 1 2>/dev/null && echo mem-created || echo mem-denied
head -c1 /dev/zero | wc -c"""

BUNDLES = {
    "oom": (["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"], {"memory": {"limit": 24 * MiB}}),
    "pids": (["sh", "-c", "sh -c 'while :; do sleep 30 & done' 2>/dev/null; sleep 1000"], {"pids": {"limit": 12}}),
    "cpu": (BUSY, {"cpu": {"quota": 20000, "period": 100000}}),
    "dev": (["sh", "-c", DEVICE_SCRIPT], {"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "m"}]}),
    "upd": (["sleep", "1000"], {"memory": {"limit": 64 * MiB}, "pids": {"limit": 20}}),
    "frz": (BUSY, {}),
    "del": (["sh", "-c", "sleep 1000 & sleep 1000 & wait"],
            {"memory": {"limit": 32 * MiB}, "cpu": {"shares": 512}, "pids": {"limit": 50}}),
    "uni": (["sleep", "1000"], {"cpu": {"shares": 512}, "unified": {"memory.high": str(50 * MiB)},
                                "hugepageLimits": [{"pageSize": "2MB", "limit": 8 * MiB}]}),
    "bad": (["true"], {"pids": {"limit": 5}, "unified": {"memory.nosuchfile": "1"}}),
}

def main():
    swiftbox, out = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([swiftbox, "spec"], cwd=tmp, check=True)
        base = json.load(open(os.path.join(tmp, "config.json")))
    for name, (args, resources) in BUNDLES.items():
        c = json.loads(json.dumps(base))
        c["root"] = {"path": "/rootfs", "readonly": True}
        c["process"]["args"] = args
        c["linux"]["resources"] = resources
        if name == "del":
            c["linux"]["cgroupsPath"] = "/vmtop/inner/x"
        if name == "dev":
            for k in ("bounding", "effective", "permitted"):
                c["process"]["capabilities"][k].append("CAP_MKNOD")
        os.makedirs(os.path.join(out, name), exist_ok=True)
        json.dump(c, open(os.path.join(out, name, "config.json"), "w"), indent=1)
    json.dump({"cpu": {"quota": 30000, "period": 100000}}, open(os.path.join(out, "upd", "r.json"), "w"))
    json.dump({"memory": {"limit": 256 * MiB}, "unified": {"memory.nosuchfile": "1"}},
              open(os.path.join(out, "upd", "rollback.json"), "w"))

main()
