#!/usr/bin/env bash
# Decoder benchmark (not a test): MiB/s of XPRESS, LZX and LZMS decoding,
# natively and in wasm (headless Chromium, a dedicated worker), side by side
# with `wimlib-imagex verify` on the same WIMs, in one run: medians of 5
# alternating runs (tests/browser/codec-bench.mjs), per CPU second (the
# machine is shared; wall time would measure its load). Needs GNU time.
#
# The WIMs are made with wimlib if absent, in $BENCH_DIR (default
# tests/fixtures/generated/codec-bench, gitignored), from the machine's own
# trees (about 300 MB: docs, Python, Vim, PostgreSQL and git binaries, Perl,
# locales data and MinGW's Windows libraries): xpress.wim, lzx.wim, lzms.wim
# (default chunk sizes: 32 KiB, 32 KiB, 128 KiB) and solid.wim (--solid: LZMS
# in 64 MiB chunks). Each WIM's compressed chunks go into a corpus file
# (examples/codec_bench.rs extract; every non-solid resource's SHA-1 is
# checked then), which both sides decode.
#
# Usage: scripts/bench-codecs.sh [xpress lzx lzms solid]   (default: all four)
#   BENCH_ROUNDS=N (default 5)
#   BENCH_BASE=REV  compare with the decoders of git revision REV instead of
#                   wimlib: REV's tree (git archive) is built in
#                   target/codec-bench/base-src with its own target dir, and
#                   each round runs base and this tree's build alternately
#                   (the order swapping every round), natively and in wasm,
#                   on the same corpora; the lines print both medians and
#                   new/base.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BENCH_DIR:-tests/fixtures/generated/codec-bench}"
mkdir -p "$dir" target/codec-bench
kinds=("$@")
((${#kinds[@]})) || kinds=(xpress lzx lzms solid)
scripts/deps.sh cli >/dev/null
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
command -v node >/dev/null && [[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] ||
    { echo "bench-codecs.sh: needs node and chromium (scripts/deps.sh)" >&2; exit 1; }
[[ -d tests/browser/node_modules/playwright-core ]] || (cd tests/browser && npm ci --no-audit --no-fund >&2)

# The shipped profile (release: LTO, one codegen unit), both sides.
cargo build -q --release --example codec_bench --features codec-bench
cargo build -q --release --lib --target wasm32-unknown-unknown --no-default-features --features codec-bench
wasm-bindgen --target web --out-dir target/codec-bench/web \
    target/wasm32-unknown-unknown/release/wimproof.wasm
bin=target/release/examples/codec_bench
base=()
if [[ -n ${BENCH_BASE:-} ]]; then
    rev=$(git rev-parse --verify "$BENCH_BASE^{commit}")
    bsrc=target/codec-bench/base-src
    # Re-extract only for another revision, so cargo's cache stays valid.
    if [[ "$(cat "$bsrc.rev" 2>/dev/null)" != "$rev" ]]; then
        rm -rf "$bsrc"
        mkdir -p "$bsrc"
        # Files dated now (-m), not at the commit: with the commit's dates,
        # an older REV's sources look older than the last base build and
        # cargo keeps that build.
        git archive "$rev" | tar -x -m -C "$bsrc"
        echo "$rev" > "$bsrc.rev"
    fi
    btarget=$PWD/target/codec-bench/base-target
    (cd "$bsrc" &&
        CARGO_TARGET_DIR=$btarget cargo build -q --release --example codec_bench --features codec-bench &&
        CARGO_TARGET_DIR=$btarget cargo build -q --release --lib --target wasm32-unknown-unknown \
            --no-default-features --features codec-bench)
    wasm-bindgen --target web --out-dir target/codec-bench/base-web \
        "$btarget/wasm32-unknown-unknown/release/wimproof.wasm"
    base=(--base "$btarget/release/examples/codec_bench" target/codec-bench/base-web)
    echo "bench-codecs.sh: base ${rev:0:12} ($BENCH_BASE) against this tree" >&2
fi

list="$dir/sources.txt"
: > "$list.new"
for t in /usr/share/doc:/doc /usr/lib/python3.11:/python3.11 /usr/share/vim:/vim \
         /usr/lib/postgresql:/postgresql /usr/lib/git-core:/git-core /usr/share/perl:/perl \
         /usr/share/i18n:/i18n /usr/share/mingw-w64:/mingw-w64; do
    [[ -d ${t%%:*} ]] && echo "${t%%:*} ${t#*:}" >> "$list.new"
done
mv "$list.new" "$list"
sets=()
for k in "${kinds[@]}"; do
    wim="$dir/$k.wim"
    corpus=target/codec-bench/$k.chunks
    # Comparing builds needs only the corpus; the WIM is for wimlib's timing.
    if [[ ! -f $wim && ! ( -n ${BENCH_BASE:-} && -f $corpus ) ]]; then
        case $k in
            solid) opts=(--solid) ;;
            xpress|lzx|lzms) opts=(--compress="$k") ;;
            *) echo "bench-codecs.sh: unknown kind $k" >&2; exit 2 ;;
        esac
        echo "bench-codecs.sh: making $wim" >&2
        wimlib-imagex capture --source-list "$list" "$wim.tmp" bench "${opts[@]}" --no-acls >/dev/null
        mv "$wim.tmp" "$wim"
    fi
    [[ -f $corpus && $corpus -nt $wim ]] || "$bin" extract "$wim" "$corpus" >&2
    sets+=("$k=$corpus=$wim")
done
node tests/browser/codec-bench.mjs "${base[@]}" "$bin" target/codec-bench/web "${sets[@]}"
