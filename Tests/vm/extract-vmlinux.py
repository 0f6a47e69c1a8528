#!/usr/bin/env python3
"""Extracts the uncompressed vmlinux (an ELF with a PVH entry that qemu's
-kernel boots directly, much faster than the bzImage under emulation) from a
bzImage: the payload starts at (setup_sects + 1) * 512 + payload_offset
(header bytes 0x1f1 and 0x248), its length is at 0x24c.

    extract-vmlinux.py BZIMAGE OUT
"""
import lzma, struct, sys, gzip, zlib

def main():
    src, out = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    if data[0x202:0x206] != b"HdrS":
        sys.exit(f"{src}: not a bzImage (no HdrS header)")
    setup_sects = data[0x1F1] or 4
    offset, length = struct.unpack_from("<II", data, 0x248)
    start = (setup_sects + 1) * 512 + offset
    payload = data[start:start + length]
    if payload.startswith(b"\xfd7zXZ"):
        kernel = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    elif payload.startswith(b"\x1f\x8b"):
        kernel = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(payload)
    else:
        sys.exit(f"{src}: payload compression {payload[:6].hex()} is not xz or gzip")
    if not kernel.startswith(b"\x7fELF"):
        sys.exit(f"{src}: the decompressed payload is not an ELF vmlinux")
    open(out, "wb").write(kernel)

main()
