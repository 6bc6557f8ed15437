#!/usr/bin/env bash
# Short fuzz runs for CI: every target of fuzz/ for FUZZ_SECONDS (default 20)
# from corpora seeded out of the test fixtures. Installs the nightly
# toolchain and cargo-fuzz when missing. Exits non-zero if any target finds
# a crash, a timeout or an out-of-memory input (libFuzzer writes it to
# fuzz/artifacts/<target>/; turn it into a test in tests/regressions.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${FUZZ_SECONDS:-20}"
TARGETS=(verify_bytes xpress lzx lzms xml metadata blob_table wire medium_udf medium_iso9660)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked

bash fuzz/seed.sh
cd fuzz
cargo +nightly fuzz build
failed=()
for t in "${TARGETS[@]}"; do
    log="$(mktemp)"
    if cargo +nightly fuzz run "$t" -- -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1; then
        runs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log")
        echo "fuzz $t: ${runs:-?} runs in ${SECS}s, no crash"
    else
        echo "fuzz $t: FAILED"
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -n 20 || true
        failed+=("$t")
    fi
    rm -f "$log"
done
if ((${#failed[@]})); then
    echo "fuzz-smoke: failures in ${failed[*]}"
    exit 1
fi
echo "fuzz-smoke: all ${#TARGETS[@]} targets ran ${SECS}s without a crash"
