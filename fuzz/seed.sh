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
mkdir -p "$CORPUS"/{verify_bytes,xpress,lzx,lzms,xml,metadata,blob_table}

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
# Some empty and trivial inputs.
printf '' >"$CORPUS/xml/empty"
for t in verify_bytes xpress lzx lzms xml metadata blob_table; do
    printf '%s: %d seeds\n' "$t" "$(find "$CORPUS/$t" -type f | wc -l)"
done
