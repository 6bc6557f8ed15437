#!/usr/bin/env python3
"""Extracts fuzz seeds from WIM files: the XML data, the blob table, the
uncompressed metadata resources and compressed chunks of each codec.

Usage: extract.py CORPUS_DIR WIM...
Writes CORPUS_DIR/<target>/<wim name>-<what>. Seed formats follow the
targets in fuzz_targets/: decoder seeds are a 4-byte little-endian output
size followed by one compressed chunk; blob_table seeds are two control
bytes (codec/version, image count) followed by the table.
"""
import os
import struct
import sys

HEADER = 208
FLAG_COMPRESSION, FLAG_XPRESS, FLAG_LZX, FLAG_LZMS = 0x2, 0x20000, 0x40000, 0x80000
CHUNKS_PER_RESOURCE = 3
MAX_SEEDS_PER_WIM = 24


def reshdr(b):
    size = int.from_bytes(b[0:7], "little")
    flags = b[7]
    offset, usize = struct.unpack("<QQ", b[8:24])
    return size, flags, offset, usize


def write(corpus, target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def chunk_seeds(data, off, stored, usize, chunk):
    """Compressed chunks of a non-solid resource: (usize, bytes) pairs."""
    n = (usize + chunk - 1) // chunk
    width = 8 if usize > 0xFFFFFFFF else 4
    table = (n - 1) * width
    if n == 0 or table > stored:
        return []
    starts = [0]
    for i in range(n - 1):
        starts.append(int.from_bytes(data[off + i * width: off + (i + 1) * width], "little"))
    base = off + table
    ends = starts[1:] + [stored - table]
    out = []
    for i in range(min(n, CHUNKS_PER_RESOURCE)):
        c = data[base + starts[i]: base + ends[i]]
        u = min(chunk, usize - i * chunk)
        if 0 < len(c) < u:  # stored-raw chunks are not compressed data
            out.append((u, c))
    return out


def solid_seeds(data, off, stored):
    if stored < 16:
        return None, []
    usize, chunk, codec = struct.unpack("<QII", data[off: off + 16])
    if chunk == 0:
        return None, []
    n = (usize + chunk - 1) // chunk
    if 16 + 4 * n > stored:
        return None, []
    sizes = struct.unpack("<%dI" % n, data[off + 16: off + 16 + 4 * n])
    p = off + 16 + 4 * n
    out = []
    for i, cs in enumerate(sizes):
        u = min(chunk, usize - i * chunk)
        if i < CHUNKS_PER_RESOURCE and 0 < cs < u:
            out.append((u, data[p: p + cs]))
        p += cs
    return {1: "xpress", 2: "lzx", 3: "lzms"}.get(codec), out


def main():
    corpus, wims = sys.argv[1], sys.argv[2:]
    for path in wims:
        name = os.path.basename(path).rsplit(".", 1)[0]
        data = open(path, "rb").read()
        if len(data) < HEADER or data[:5] not in (b"MSWIM", b"WLPWM"):
            continue
        if data[:5] == b"WLPWM":  # pipable: the real header is at the end
            data_hdr = data[-HEADER:]
        else:
            data_hdr = data[:HEADER]
        version, flags, chunk = struct.unpack("<III", data_hdr[12:24])
        images = struct.unpack("<I", data_hdr[0x2C:0x30])[0]
        codec = None
        if flags & FLAG_COMPRESSION:
            codec = "lzx" if flags & FLAG_LZX else "xpress" if flags & FLAG_XPRESS else "lzms" if flags & FLAG_LZMS else None
        bt = reshdr(data_hdr[0x30:0x48])
        xml = reshdr(data_hdr[0x48:0x60])
        if xml[0] and xml[2] + xml[0] <= len(data):
            write(corpus, "xml", name + "-xml", data[xml[2]: xml[2] + xml[0]])
        if not bt[0] or bt[2] + bt[0] > len(data):
            continue
        table = data[bt[2]: bt[2] + bt[0]]
        ctl = {None: 0, "xpress": 1, "lzx": 2, "lzms": 3}[codec] | (4 if version == 0xE00 else 0)
        write(corpus, "blob_table", name + "-table", bytes([ctl, images]) + table)
        seeds = 0
        for i in range(0, len(table) - 49, 50):
            stored, rflags, off, usize = reshdr(table[i: i + 24])
            if off + stored > len(data) or seeds >= MAX_SEEDS_PER_WIM:
                continue
            if rflags & 0x02 and not rflags & 0x04 and stored == usize:
                write(corpus, "metadata", "%s-meta%d" % (name, i // 50), data[off: off + stored])
            elif rflags & 0x10 and usize == 0x100000000:
                c, chunks = solid_seeds(data, off, stored)
                for k, (u, ch) in enumerate(chunks):
                    if c:
                        write(corpus, c, "%s-e%d-c%d" % (name, i // 50, k), struct.pack("<I", u) + ch)
                        seeds += 1
            elif rflags & 0x04 and codec and data[:5] == b"MSWIM":
                for k, (u, ch) in enumerate(chunk_seeds(data, off, stored, usize, chunk)):
                    write(corpus, codec, "%s-e%d-c%d" % (name, i // 50, k), struct.pack("<I", u) + ch)
                    seeds += 1


if __name__ == "__main__":
    main()
