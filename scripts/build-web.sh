#!/usr/bin/env bash
# Builds the in-browser verifier into dist/:
#   dist/index.html ...      the page, its worker and pkg/ (wasm) for any
#                            static web server (web.config for IIS included)
#   dist/wimproof.html       the same page as one self-contained file that
#                            also works from a file share or file://
#   dist/samples/            two small WIMs for the "try a sample" links
# The wasm is built with cargo and wasm-bindgen into pkg/; www/build.mjs
# then bundles the worker (and, for the single file, the page) with esbuild.
#
# Needs: Rust with the wasm32-unknown-unknown target, wasm-bindgen-cli of
# exactly the version pinned in Cargo.toml, node and npm (esbuild comes from
# www/package-lock.json: npm ci, run here if www/node_modules is missing).
# The samples come from tests/fixtures/generate.sh (run here if they are
# missing and its tools are there; without them the sample links are left
# out). scripts/deps.sh installs all of it.
#
# Usage: scripts/build-web.sh [--force]   (--force: rebuild the wasm even if
# pkg/ is newer than the sources)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

die() { echo "build-web.sh: $*" >&2; exit 1; }
command -v node >/dev/null || die "node is needed (apt-get install nodejs npm)"

# ---- wasm ---------------------------------------------------------------------
stale=$FORCE
if [[ ! -f pkg/wimproof_bg.wasm || ! -f pkg/wimproof.js ]]; then
    stale=1
elif [[ -n "$(find src Cargo.toml Cargo.lock -newer pkg/wimproof_bg.wasm -print -quit)" ]]; then
    stale=1
fi
if ((stale)); then
    want="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)"
    have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" || true
    [[ "$have" == "$want" ]] ||
        die "wasm-bindgen $want is needed (found '${have:-none}'): cargo install wasm-bindgen-cli --version $want --locked"
    # The lib only: the CLI (feature cli) is not built for wasm. No
    # wasm-opt: Debian's binaryen 108 breaks wasm-bindgen's output, and
    # npm's binaryen 132 measured no faster (README, "Benchmarks").
    cargo build --release --quiet --lib --target wasm32-unknown-unknown --no-default-features
    wasm-bindgen --target web --out-dir pkg target/wasm32-unknown-unknown/release/wimproof.wasm
fi
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"

# ---- samples --------------------------------------------------------------------
GEN=tests/fixtures/generated
if [[ ! -f $GEN/none.wim || ! -f $GEN/none--blob-data.wim ]]; then
    if command -v wimlib-imagex >/dev/null && command -v 7zz >/dev/null; then
        tests/fixtures/generate.sh >&2 || echo "build-web.sh: fixture generation failed; no samples" >&2
    else
        echo "build-web.sh: no wimlib-imagex/7zz to make the samples; the sample links are left out" >&2
    fi
fi

# ---- dist/ ----------------------------------------------------------------------
[[ -x www/node_modules/.bin/esbuild ]] || (cd www && npm ci --silent --no-audit --no-fund)
DIST="$ROOT/dist"
rm -rf "$DIST.tmp"
samples=--no-samples
if [[ -f $GEN/none.wim && -f $GEN/none--blob-data.wim ]]; then
    mkdir -p "$DIST.tmp/samples"
    cp $GEN/none.wim "$DIST.tmp/samples/sample-intact.wim"
    cp $GEN/none--blob-data.wim "$DIST.tmp/samples/sample-corrupt.wim"
    samples=
fi
node www/build.mjs "$DIST.tmp" "$VERSION" $samples

cat >"$DIST.tmp/web.config" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<!-- IIS: serve the wasm with its MIME type (without one IIS answers 404.3),
     the scripts as JavaScript (with nosniff, below, a browser refuses a
     worker script of another type), and the sample images. Each mapping is
     removed first: IIS answers 500 to every request when a parent
     configuration already maps the extension (a duplicate). -->
<configuration>
  <system.webServer>
    <staticContent>
      <remove fileExtension=".wasm" />
      <mimeMap fileExtension=".wasm" mimeType="application/wasm" />
      <remove fileExtension=".js" />
      <mimeMap fileExtension=".js" mimeType="text/javascript" />
      <remove fileExtension=".wim" />
      <mimeMap fileExtension=".wim" mimeType="application/octet-stream" />
    </staticContent>
    <httpProtocol>
      <customHeaders>
        <remove name="X-Content-Type-Options" />
        <add name="X-Content-Type-Options" value="nosniff" />
      </customHeaders>
    </httpProtocol>
  </system.webServer>
</configuration>
EOF

cat >"$DIST.tmp/README.txt" <<EOF
wimproof $VERSION - the in-browser WIM verifier
================================================

Files are verified in the browser that opens this page; they are never
uploaded, and the page makes no request to any other server.

Two ways to use it:

1. On a web server: copy this whole folder to any static web server (IIS,
   nginx, Apache, a file-serving appliance) and open index.html. No
   server-side software, no special headers (no COOP/COEP) are needed.

   - IIS: web.config (in this folder) maps .wasm to application/wasm, .js
     to text/javascript and .wim for the samples. Without the .wasm map IIS
     answers 404.3 for pkg/wimproof_bg.wasm. It removes each mapping before
     adding it, because IIS fails with HTTP 500 when a mapping is declared
     twice.
   - nginx: its mime.types maps wasm to application/wasm since 1.21; with
     an older one, add inside http { }:
         types { application/wasm wasm; text/javascript js; }
     (include mime.types as well, since a types block replaces the defaults).
     Nothing else is needed. The page works even with a wrong .wasm type,
     it just cannot compile while downloading; the scripts must be sent as
     JavaScript (text/javascript), worker.js above all.
   - Apache: AddType application/wasm .wasm

   When the server is not set up right, the page says so, naming the file
   and what the server answered (404, 404.3, 500, a script sent as
   text/plain, a page sent in the wasm's place) and the fix above; nothing
   is then said about the user's files. Copy the whole folder: pkg/ holds
   the wasm and its glue, worker.js the workers' code.

2. As one file: wimproof.html holds the page, its workers and the wasm.
   Copy it to a file share, or anywhere on disk, and open it in Chromium,
   Chrome, Edge or Firefox - also from file://.

Embedding in another page (served from the same web server):

    <script type="module" src="/wimproof/wim-verifier.js"></script>
    <wim-verifier target="configmgr"></wim-verifier>
    <script type="module">
      document.querySelector('wim-verifier')
        .addEventListener('wim-verified', (e) => console.log(e.detail.verdict, e.detail));
    </script>

or, without the user interface:

    import { verifyFiles } from '/wimproof/verify.js';
    const reports = await verifyFiles(input.files, { target: 'wds' });

The report is the same JSON as 'wimproof --json' on the command line.
EOF

rm -rf "$DIST"
mv "$DIST.tmp" "$DIST"
echo "build-web.sh: built $DIST (wimproof $VERSION)" >&2
