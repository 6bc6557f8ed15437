#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/<target>/, gitignored) from the test
# fixtures: wimlib's hand-made bad images and small WIMs written by
# wimlib-imagex from a tiny tree (whole files, for verify_bytes), and
# structures extracted from every fixture (XML, blob tables, uncompressed
# metadata, compressed chunks of each codec) for the other targets.
# Usage: fuzz/seed.sh   (idempotent; safe to rerun)
set -euo pipefail
FUZZ="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$FUZZ")"
CORPUS="$FUZZ/corpus"
GEN="$ROOT/tests/fixtures/generated"
SHARED="$ROOT/../shared/fixtures/wimlib"
mkdir -p "$CORPUS"/{verify_bytes,xpress,lzx,lzms,xml,metadata,blob_table,wire,medium_udf,medium_iso9660}

[[ -f "$GEN/manifest.tsv" ]] || bash "$ROOT/tests/fixtures/generate.sh"

# wimlib's hand-made images (about 1-5 KiB each).
if [[ -d "$SHARED" ]]; then
    cp -f "$SHARED"/*.wim "$CORPUS/verify_bytes/"
fi

# Tiny WIMs in every layout: small enough for the fuzzer to mutate quickly.
tiny=()
if command -v wimlib-imagex >/dev/null; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    src="$tmp/src"
    mkdir -p "$src/dir/sub" "$src/empty"
    printf 'hello\n' >"$src/a.txt"
    printf 'hello\n' >"$src/dir/same-as-a.txt"
    : >"$src/dir/zero"
    python3 -c 'import sys; sys.stdout.buffer.write((b"wimproof fuzz seed " * 2300)[:40000])' >"$src/dir/sub/text"
    python3 -c 'import random, sys; r = random.Random(6); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(3000)))' >"$src/noise"
    for spec in "none:--compress=none" "xpress:--compress=xpress" "lzx:--compress=lzx" \
        "lzms:--compress=lzms" "solid:--solid" "solid-lzx:--solid --solid-compress=lzx" \
        "check:--compress=lzx --check" "none-check:--compress=none --check" \
        "pipable:--compress=xpress --pipable"; do
        name="${spec%%:*}"
        # shellcheck disable=SC2086
        wimlib-imagex capture "$src" "$tmp/$name.wim" "seed" ${spec#*:} >/dev/null
        cp -f "$tmp/$name.wim" "$CORPUS/verify_bytes/tiny-$name.wim"
        tiny+=("$tmp/$name.wim")
    done
fi

# Structures from every fixture and the tiny WIMs.
shared=()
[[ -d "$SHARED" ]] && shared=("$SHARED"/*.wim)
python3 "$FUZZ/extract.py" "$CORPUS" "$GEN"/*.wim "${tiny[@]}" "${shared[@]}"
# Small install media (the listing parsers): a tiny tree with a tiny WIM in
# sources/, a deep directory and a Unicode name, by each writer.
if command -v genisoimage >/dev/null && command -v xorriso >/dev/null && ((${#tiny[@]})); then
    mtree="$(mktemp -d)"
    mkdir -p "$mtree/sources" "$mtree/a/b/c/d/e/f/g/h/i" "$mtree/Ünï"
    cp "${tiny[0]}" "$mtree/sources/install.wim"
    printf 'readme\r\n' >"$mtree/README.TXT"
    printf 'x' >"$mtree/a/b/c/d/e/f/g/h/i/deep.txt"
    printf 'y' >"$mtree/Ünï/ファイル.txt"
    genisoimage -quiet -udf -allow-limited-size -iso-level 3 -J -D -o "$CORPUS/medium_udf/udf.iso" "$mtree"
    cp "$CORPUS/medium_udf/udf.iso" "$CORPUS/medium_iso9660/bridge.iso"
    xorriso -as mkisofs -quiet -iso-level 3 -J -o "$CORPUS/medium_iso9660/joliet.iso" "$mtree" 2>/dev/null
    xorriso -as mkisofs -quiet -iso-level 3 -o "$CORPUS/medium_iso9660/plain.iso" "$mtree" 2>/dev/null
    rm -rf "$mtree"
fi
# Some empty and trivial inputs.
printf '' >"$CORPUS/xml/empty"
# Task lists as the page's reader sends them (layout in src/verify/wire.rs):
# a whole-file digest, an integrity task of two chunks, an LZX resource of
# one blob, a stored resource of two blobs, a solid one.
python3 - "$CORPUS/wire/tasks" <<'PY'
import struct, sys
def task(i, kind):
    return struct.pack("<IHQQ", i, 0, 208 + i, 4096 + i) + kind
blob = lambda e: struct.pack("<IQQ", e, 0, 100 + e) + bytes([e]) * 20
tasks = [
    task(0, b"\0\x01"),
    task(1, b"\x01" + struct.pack("<IQI", 10 << 20, 0, 2) + b"\xaa" * 40),
    task(2, b"\x02\x01\x02" + struct.pack("<IQI", 32768, 70000, 1) + blob(1)),
    task(3, b"\x02\x00" + struct.pack("<I", 2) + blob(2) + blob(3)),
    task(4, b"\x02\x02" + struct.pack("<I", 1) + blob(4)),
]
open(sys.argv[1], "wb").write(b"WPT1" + struct.pack("<I", len(tasks)) + b"".join(tasks))
PY
for t in verify_bytes xpress lzx lzms xml metadata blob_table wire medium_udf medium_iso9660; do
    printf '%s: %d seeds\n' "$t" "$(find "$CORPUS/$t" -type f | wc -l)"
done
