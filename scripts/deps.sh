#!/usr/bin/env bash
# Installs what wimproof's build and tests need on a Debian machine, skipping
# what is already there. Usage: scripts/deps.sh [cli|all]
#   cli  Rust toolchain targets, wimtools, 7zip, ntfs-3g, attr, fuse3, genisoimage,
#        xorriso, qemu-utils, zip, gcab (enough for the CLI and its tests)
#   all  also the browser tool chain: wasm-bindgen-cli, chromium,
#        chromium-driver, node packages (esbuild for the page's build,
#        playwright-core for its tests, each from its package-lock.json),
#        and mingw-w64 for the Windows build
set -euo pipefail
what="${1:-all}"
cd "$(dirname "$0")/.."

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
have wimlib-imagex || need_apt+=(wimtools)
have 7zz || need_apt+=(7zip)
have python3 || need_apt+=(python3)
# The NTFS fixtures (tests/fixtures/ntfs.sh): mkntfs and ntfs-3g, setfattr, FUSE.
have ntfs-3g || need_apt+=(ntfs-3g)
have setfattr || need_apt+=(attr)
have fusermount3 || have fusermount || need_apt+=(fuse3)
# Install media fixtures (tests/fixtures/media.sh): UDF + ISO 9660 and ISO 9660 writers.
have genisoimage || need_apt+=(genisoimage)
have xorriso || need_apt+=(xorriso)
# Files that are not WIMs (tests/fixtures/foreign.sh): VHD/VHDX, ZIP and CAB writers.
have qemu-img || need_apt+=(qemu-utils)
have zip || need_apt+=(zip)
have gcab || need_apt+=(gcab)
if [[ "$what" == all ]]; then
    have chromium || need_apt+=(chromium)
    have chromedriver || need_apt+=(chromium-driver)
    have x86_64-w64-mingw32-gcc || need_apt+=(gcc-mingw-w64-x86-64)
    have node || need_apt+=(nodejs npm)
    [[ -x /usr/lib/wine/wine64 ]] || have wine64 || need_apt+=(wine64)
fi
if ((${#need_apt[@]})); then
    echo "deps: apt-get install ${need_apt[*]}" >&2
    SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

have cargo || { echo "deps: Rust is missing; install it with rustup (https://rustup.rs)" >&2; exit 1; }
if [[ "$what" == all ]]; then
    targets=$(rustup target list --installed 2>/dev/null || true)
    grep -q wasm32-unknown-unknown <<<"$targets" || rustup target add wasm32-unknown-unknown
    grep -q x86_64-pc-windows-gnu <<<"$targets" || rustup target add x86_64-pc-windows-gnu
    # The wasm-bindgen CLI must be the version of the lockfile's wasm-bindgen
    # crate (Cargo.toml pins it with =).
    wb=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p' | head -1)
    if [[ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb" ]]; then
        echo "deps: cargo install wasm-bindgen-cli $wb (a few minutes)" >&2
        cargo install -q wasm-bindgen-cli --version "$wb"
    fi
    for dir in www tests/browser; do
        [[ -d $dir/node_modules ]] || (cd "$dir" && npm ci --silent --no-audit --no-fund)
    done
fi
