#!/usr/bin/env bash
# The whole test suite: installs what is missing, generates the fixtures with
# real WIM writers, runs the Rust tests (unit, differential against
# wimlib-imagex, the >4 GiB image), builds for wasm32 and Windows, and runs
# the browser tests in headless Chromium, and runs each fuzz target briefly.
# Prints one summary line at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh all

log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0; failed=0
count() { # count LOG: add the cargo/node test result lines of a log
    local p f
    p=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i+1) ~ /^passed/) s += $i } END { print s+0 }' "$1")
    f=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i+1) ~ /^failed/) s += $i } END { print s+0 }' "$1")
    passed=$((passed + p)); failed=$((failed + f))
}

echo "== fixtures (wimlib-imagex, 7zz; NTFS volumes through ntfs-3g)"
bash tests/fixtures/generate.sh
bash tests/fixtures/ntfs.sh
bash tests/fixtures/big.sh
bash tests/fixtures/big-blob.sh
echo "== install-media fixtures (genisoimage, xorriso, 7zz)"
bash tests/fixtures/media.sh

echo "== cargo test"
status=0
# WIMPROOF_MEDIA_BIG: tests/media.rs makes, checks and deletes a 4.6 GiB
# medium per writer (a 4.5 GiB file in UDF extents and ISO 9660 multi-extent).
WIMPROOF_MEDIA_BIG=1 cargo test --profile fast 2>&1 | tee "$log" || status=1
count "$log"

echo "== wasm32 and Windows builds"
cargo build --profile fast --lib --target wasm32-unknown-unknown --no-default-features
cargo build --profile fast --target x86_64-pc-windows-gnu --bin wimproof
exe=target/x86_64-pc-windows-gnu/fast/wimproof.exe
[[ "$(head -c2 "$exe")" == MZ ]] || { echo "Windows build is not a PE executable"; status=1; }
bash tests/wine/smoke.sh "$exe" || status=1

echo "== the core's web driver tests in headless Chromium (wasm-bindgen-test)"
bash tests/browser/wasm-tests.sh 2>&1 | tee "$log" || status=1
count "$log"

echo "== browser tests (page served on 127.0.0.1 and single file from file://)"
WIMPROOF_BROWSER_BIG=1 bash tests/browser/run.sh 2>&1 | tee "$log" || status=1
p=$(awk '/^(# |ℹ )pass / { s += $3 } END { print s+0 }' "$log")
f=$(awk '/^(# |ℹ )fail / { s += $3 } END { print s+0 }' "$log")
passed=$((passed + p)); failed=$((failed + f))

echo "== short fuzz runs (every target of fuzz/)"
FUZZ_SECONDS=15 bash scripts/fuzz-smoke.sh || status=1

echo "summary: $passed passed, $failed failed"
[[ $status == 0 && $failed == 0 ]]
