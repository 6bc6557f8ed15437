#!/usr/bin/env bash
# Runs the browser tests: builds the CLI and dist/ (both no-ops when fresh),
# makes the fixtures if missing, installs playwright-core if missing, then
# runs the tests in headless Chromium (/usr/bin/chromium, or $CHROMIUM).
#
# Needs: node >= 20 and npm, Debian's chromium, python3, Rust with the
# wasm32-unknown-unknown target, wasm-bindgen-cli (the pinned
# version), wimtools and 7zip (for the fixtures).
#
# Usage: tests/browser/run.sh [extra node --test arguments]
#   WIMPROOF_BROWSER_BIG=1 also verifies the > 4 GiB fixture (tests/fixtures/big.sh).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

die() { echo "run.sh: $*" >&2; exit 1; }
command -v node >/dev/null || die "node is needed (apt-get install nodejs npm)"
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || die "chromium is needed (apt-get install chromium)"

if [[ ! -d "$HERE/node_modules/playwright-core" ]]; then
    (cd "$HERE" && npm ci --no-audit --no-fund)
fi
(cd "$ROOT" && cargo build --release --quiet --bin wimproof)
"$ROOT/tests/fixtures/generate.sh" >&2
"$ROOT/scripts/build-web.sh" >&2

cd "$HERE"
exec node --test --test-concurrency=1 --test-reporter=spec "$@" page.test.mjs media.test.mjs server-setup.test.mjs
