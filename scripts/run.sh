#!/usr/bin/env bash
# The main job: builds wimproof and serves the in-browser verifier on
# localhost, printing its URL. Until the page is built (or with --cli), runs
# the CLI on a generated sample image instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" != --cli && -x scripts/serve.sh ]]; then
    scripts/deps.sh all
    exec scripts/serve.sh "$@"
fi
scripts/deps.sh cli
cargo build --release
bash tests/fixtures/generate.sh >/dev/null
./target/release/wimproof --target all tests/fixtures/generated/multi.wim tests/fixtures/generated/lzx--compressed-chunk.wim || true
