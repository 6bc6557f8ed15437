#!/usr/bin/env bash
# Runs src/web's wasm_bindgen_test tests inside a dedicated worker of
# headless Chromium (the driver's Blob reading, slice plan, Session and
# WebLane): about 3 minutes of compiling on a cold cache.
#
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli of the pinned
# version (it brings wasm-bindgen-test-runner), chromium and chromium-driver.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
command -v wasm-bindgen-test-runner >/dev/null || {
    echo "wasm-tests.sh: wasm-bindgen-test-runner is missing (cargo install wasm-bindgen-cli --version <pinned> --locked)" >&2
    exit 1
}
# The production page is not cross-origin isolated; test it the same way.
export WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION=1
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
# --lib only: the integration tests in tests/ read files natively.
exec cargo test --release --target wasm32-unknown-unknown --lib --no-default-features "$@"
