#!/usr/bin/env python3
"""Writes an OCI image layout from hand-made layers, for tests that need
images no real tool would produce (escapes, loops, bad digests).

  make-layout.py OUT SPEC.json

SPEC: {"ref": "t", "config": {...image config "config" field...},
       "layers": [{"entries": [ENTRY...], "compression": "gzip"|"none"|"zstd",
                   "corrupt": "digest"|"size"|"truncate"|"diffid"|"missing"|"mediatype"}]}
A layer may instead be {"tarfile": PATH} (an existing tar, e.g. GNU sparse).
ENTRY: {"name": "a/b", "type": "file"|"dir"|"symlink"|"hardlink"|"fifo"|"char",
        "data": "text", "target": "…", "mode": 0o644, "uid": 0, "gid": 0,
        "zeros": N (file of N zero bytes), "xattrs": {"user.k": "v"}}
"""
import gzip, hashlib, io, json, os, subprocess, sys, tarfile

def layer_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.mode = e.get("mode", 0o755 if e.get("type") == "dir" else 0o644)
            ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
            ti.mtime = e.get("mtime", 1700000000)
            if e.get("xattrs"):
                ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in e["xattrs"].items()}
            kind = e.get("type", "file")
            data = None
            if kind == "file":
                data = b"\0" * e["zeros"] if "zeros" in e else e.get("data", "").encode()
                ti.size = len(data)
            elif kind == "dir": ti.type = tarfile.DIRTYPE
            elif kind == "symlink": ti.type, ti.linkname = tarfile.SYMTYPE, e["target"]
            elif kind == "hardlink": ti.type, ti.linkname = tarfile.LNKTYPE, e["target"]
            elif kind == "fifo": ti.type = tarfile.FIFOTYPE
            elif kind == "char":
                ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, e.get("major", 1), e.get("minor", 3)
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()

def put(out, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f: f.write(data)
    return "sha256:" + d, len(data)

def main():
    out, spec = sys.argv[1], json.load(open(sys.argv[2]))
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "oci-layout"), "w") as f: json.dump({"imageLayoutVersion": "1.0.0"}, f)
    diff_ids, layers = [], []
    for l in spec["layers"]:
        raw = open(l["tarfile"], "rb").read() if "tarfile" in l else layer_tar(l["entries"])
        comp = l.get("compression", "gzip")
        blob = {"gzip": lambda b: gzip.compress(b, 6, mtime=0),
                "zstd": lambda b: subprocess.run(["zstd", "-q", "-c"], input=b, capture_output=True, check=True).stdout,
                "none": lambda b: b}[comp](raw)
        media = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
                 "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
                 "none": "application/vnd.oci.image.layer.v1.tar"}[comp]
        digest, size = put(out, blob)
        corrupt = l.get("corrupt")
        diff = "sha256:" + hashlib.sha256(raw).hexdigest()
        path = os.path.join(out, "blobs", "sha256", digest[7:])
        if corrupt == "digest":
            with open(path, "r+b") as f: f.seek(size // 2); b = f.read(1); f.seek(size // 2); f.write(bytes([b[0] ^ 0xFF]))
        if corrupt == "truncate":
            with open(path, "r+b") as f: f.truncate(size // 2)
        if corrupt == "size": size += 1
        if corrupt == "diffid": diff = "sha256:" + "0" * 64
        if corrupt == "missing": os.unlink(path)
        if corrupt == "mediatype": media = "application/x-unknown-layer"
        diff_ids.append(diff)
        layers.append({"mediaType": media, "digest": digest, "size": size})
    config = {"architecture": spec.get("arch", "amd64"), "os": "linux", "config": spec.get("config", {}),
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cd, cs = put(out, json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
                "layers": layers}
    md, ms = put(out, json.dumps(manifest).encode())
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
            "annotations": {"org.opencontainers.image.ref.name": spec.get("ref", "latest")},
            "platform": {"architecture": spec.get("arch", "amd64"), "os": "linux"}}
    index_path = os.path.join(out, "index.json")
    index = json.load(open(index_path)) if os.path.exists(index_path) else {"schemaVersion": 2, "manifests": []}
    index["manifests"].append(desc)
    with open(index_path, "w") as f: json.dump(index, f)

main()
