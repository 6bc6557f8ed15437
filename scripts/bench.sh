#!/usr/bin/env bash
# Benchmark (not a test): verifies the same multi-GB images with
# `wimlib-imagex verify`, `sha256sum` and the wimproof CLI in one run and
# prints wall time, MiB/s, the ratio to wimlib and peak memory side by side.
# The machine is shared and noisy: compare the ratios, not the seconds.
#
# Usage: scripts/bench.sh [KIND...]    KIND: none (5 GiB uncompressed, the default
#        set has both), lzx (>= 4.5 GiB LZX capture of real trees + random data),
#        esd (solid LZMS capture of real trees, >= 2.5 GiB uncompressed: the
#        trees in $BENCH_ESD_TREES, default ~/.rustup; about 12 minutes to make),
#        none-1g none-2g none-4g none-8g (scaling series),
#        iso (the lzx image wrapped in a UDF ISO by genisoimage -udf
#        -allow-limited-size -iso-level 3 -J, as sources/install.wim: the bare
#        WIM and the ISO measured side by side, CLI and page served, with the
#        ISO/bare ratio; BENCH_ISO_WIM=FILE wraps that WIM instead, e.g. a
#        small one to check the lines print; it is never deleted)
# Each CLI run is made with --stats: a '#' line after it gives its phase 1 and
# phase 2 times and the cores phase 2 used.
# After the CLI lines of each image, tests/browser/bench.mjs adds the page's
# lines (headless Chromium: served on http://127.0.0.1, the single file from
# file://, digests off, and the floor: a worker reading and hashing with wasm
# SHA-256), then '#' lines on responsiveness. BENCH_BROWSER=off skips them;
# BENCH_BROWSER=http,file,nodigest,floor picks some.
# BENCH_ROUNDS=N (default 1) measures each image N times over,
# every tool once per round in the same order, so that drift on a noisy
# machine reaches all tools alike; each round prints its lines, then
# '# median' lines give each tool's median wall time and peak memory over
# the rounds and the ratio of its median to wimlib's (for iso, also the
# ISO/bare ratios of the medians; the ISO is made once).
# Images are made with wimlib if absent, in $BENCH_DIR (default
# tests/fixtures/generated/bench), measured, and deleted after measuring
# unless BENCH_KEEP=1 (disk is limited); the esd image is kept (it is small
# and slow to make). Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BENCH_DIR:-tests/fixtures/generated/bench}"
mkdir -p "$dir"
kinds=("$@")
((${#kinds[@]})) || kinds=(none lzx)
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
scripts/deps.sh cli >/dev/null
cargo build --release -q
wimproof=target/release/wimproof
browser=1
if [[ "${BENCH_BROWSER:-}" == off ]]; then
    browser=0
elif ! command -v node >/dev/null || [[ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]]; then
    echo "bench.sh: no node or chromium: the page's lines are left out" >&2
    browser=0
else
    [[ -d tests/browser/node_modules/playwright-core ]] || (cd tests/browser && npm ci --no-audit --no-fund >&2)
    scripts/build-web.sh >/dev/null 2>&1 || { echo "bench.sh: scripts/build-web.sh failed" >&2; exit 1; }
fi

make_random() { # make_random FILE MIB
    python3 - "$1" "$2" <<'PY'
import os, sys, hashlib
# Incompressible and deterministic: SHAKE-256 of the block number, 1 MiB a block.
path, mib = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    for i in range(mib):
        f.write(hashlib.shake_256(i.to_bytes(8, "little")).digest(1 << 20))
PY
}

image_path() { # image_path KIND -> where its image lives
    if [[ $1 == esd ]]; then echo "$dir/esd.esd"; else echo "$dir/$1.wim"; fi
}

make_image() { # make_image KIND -> path
    local kind=$1 img src="$dir/src-$1"
    img=$(image_path "$kind")
    [[ -f "$img" ]] && { echo "$img"; return; }
    if [[ $kind == esd ]]; then
        # Solid LZMS in wimlib's default 64 MiB chunks, as install.esd files
        # are; written under another name first, so that an interrupted
        # capture is never taken for the image.
        local trees=(${BENCH_ESD_TREES:-$HOME/.rustup})
        local list="$dir/esd.sources"
        : > "$list"
        for t in "${trees[@]}"; do echo "$t ${t//\//_}" >> "$list"; done
        wimlib-imagex capture --source-list "$list" "$img.part" bench --solid --check --no-acls >&2
        mv "$img.part" "$img"
        echo "$img"
        return
    fi
    rm -rf "$src"; mkdir -p "$src"
    case $kind in
        none|none-*)
            local gib=5
            [[ $kind == none-* ]] && gib=${kind#none-} && gib=${gib%g}
            make_random "$src/data.bin" $((gib * 1024 - 8)) >&2
            wimlib-imagex capture "$src" "$img" bench --compress=none --check >&2 ;;
        lzx)
            # One image of real, compressible trees (the toolchains and system
            # files on this machine), topped up with incompressible data.
            mkdir -p "$src/random"
            make_random "$src/random/data.bin" 1800 >&2
            local list="$dir/lzx.sources"
            : > "$list"
            for t in /usr /root/.rustup /opt; do [[ -d $t ]] && echo "$t ${t//\//_}" >> "$list"; done
            echo "$src/random /random" >> "$list"
            wimlib-imagex capture --source-list "$list" "$img" bench --compress=lzx --check --no-acls >&2
            ;;
    esac
    rm -rf "$src"
    echo "$img"
}

stats_file=$(mktemp)
lines_file=$(mktemp)  # the rounds' lines of one image, for medians()
trap 'rm -f "$stats_file" "$lines_file"' EXIT
# line KIND TOOL WALL RSS_KIB: one result line; the caller's $mib is the
# image's size and $w_wall wimlib's wall time in the same round.
line() {
    awk -v k="$1" -v t="$2" -v w="$3" -v r="$4" -v m="$mib" -v ww="$w_wall" \
        'BEGIN { printf "%-10s %-22s %9.2f %9.0f %8.2f %10.1f\n", k, t, w, m / w, w / ww, r / 1024 }'
}
measure() { # measure LABEL CMD...: prints "wall rss_kib"; stderr kept in $stats_file
    local t; t=$(mktemp)
    /usr/bin/time -o "$t" -f "%e %M" "${@:2}" >/dev/null 2>"$stats_file" || true
    tail -1 "$t"; rm -f "$t"
}
stats_line() { # the --stats line of the last measured CLI run, as a '#' line
    local l; l=$(grep -m1 'wimproof: stats: ' "$stats_file" | sed 's/^wimproof: stats: [^:]*: //')
    echo "# $1 $2 stats: ${l:-none printed}"
}

make_iso() { # make_iso WIM -> path of a UDF ISO holding it as sources/install.wim
    local wim=$1 iso="$dir/iso.iso" tree="$dir/iso-tree"
    rm -rf "$tree"; mkdir -p "$tree/sources"
    # A hard link where the file system allows (no copy), else a copy.
    ln "$wim" "$tree/sources/install.wim" 2>/dev/null || cp "$wim" "$tree/sources/install.wim"
    printf 'This disc contains a "UDF" file system.\r\n' >"$tree/README.TXT"
    genisoimage -quiet -udf -allow-limited-size -iso-level 3 -J -V WIMPROOF_BENCH -o "$iso" "$tree" >&2
    rm -rf "$tree"
    echo "$iso"
}

rounds="${BENCH_ROUNDS:-1}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: BENCH_ROUNDS must be a positive number" >&2; exit 1; }
medians() { # medians KIND: '# median' lines from the rounds' lines in $lines_file
    awk -v k="$1" -v mib="$mib" '
        substr($0, 1, 1) != "#" && $1 == k {
            t = substr($0, 12, 22); sub(/ +$/, "", t)
            f = split(substr($0, 34), v, " ")
            if (f < 4) next
            if (!(t in seen)) { seen[t] = 1; order[++m] = t }
            c[t]++; wall[t, c[t]] = v[1]; rss[t, c[t]] = v[4]
        }
        function med(a, t, cnt,   i, j, x, y) {
            for (i = 1; i <= cnt; i++) y[i] = a[t, i] + 0
            for (i = 2; i <= cnt; i++) { x = y[i]; for (j = i - 1; j >= 1 && y[j] > x; j--) y[j + 1] = y[j]; y[j + 1] = x }
            return cnt % 2 ? y[(cnt + 1) / 2] : (y[cnt / 2] + y[cnt / 2 + 1]) / 2
        }
        END {
            if (!m) exit
            base = med(wall, order[1], c[order[1]])
            for (i = 1; i <= m; i++) {
                t = order[i]; w = med(wall, t, c[t])
                printf "# median %-10s %-22s %9.2f %9.0f %8.2f %10.1f  (%d rounds)\n", k, t, w, mib / w, w / base, med(rss, t, c[t]), c[t]
            }
        }' "$lines_file"
}

rounds_of() { # rounds_of KIND CMD...: runs CMD once per round, its lines also into $lines_file
    local round
    : > "$lines_file"
    for ((round = 1; round <= rounds; round++)); do
        ((rounds == 1)) || echo "# $1: round $round of $rounds"
        "${@:2}" | tee -a "$lines_file"
    done
}

# One round of the iso kind ($wim, $iso): wimlib, the bare WIM, the ISO.
iso_round() {
    read -r w_wall w_rss < <(measure wimlib wimlib-imagex verify "$wim")
    line iso "wimlib-imagex verify" "$w_wall" "$w_rss"
    read -r b_wall b_rss < <(measure wimproof "$wimproof" --no-progress "$wim")
    line iso "wimproof bare WIM" "$b_wall" "$b_rss"
    read -r i_wall i_rss < <(measure wimproof "$wimproof" --no-progress "$iso")
    line iso "wimproof ISO" "$i_wall" "$i_rss"
    awk -v i="$i_wall" -v b="$b_wall" -v ir="$i_rss" -v br="$b_rss" \
        'BEGIN { printf "# iso: CLI ISO/bare wall %.2f, peak memory ISO/bare %.2f (target: wall <= 1.10, memory flat)\n", i / b, ir / br }'
    if ((browser)); then
        BENCH_BROWSER="${BENCH_BROWSER:-http}" BENCH_MEDIUM="$iso" node tests/browser/bench.mjs iso "$wim" "$w_wall" ||
            echo "# iso: tests/browser/bench.mjs failed"
    fi
}

# The iso kind: the bare WIM and the ISO wrapping it, side by side.
iso_kind() {
    local wim iso
    if [[ -n "${BENCH_ISO_WIM:-}" ]]; then wim=$BENCH_ISO_WIM; else wim=$(make_image lzx); fi
    iso=$(make_iso "$wim")
    local size mib
    size=$(stat -c %s "$wim")
    mib=$(awk -v s="$size" 'BEGIN { printf "%.0f", s / 1048576 }')
    cat "$wim" "$iso" >/dev/null
    rounds_of iso iso_round
    if ((rounds > 1)); then
        local med; med=$(medians iso)
        echo "$med"
        # ISO/bare from the medians: CLI, then the served page.
        awk '{ t = substr($0, 21, 22); sub(/ +$/, "", t); w[t] = $(NF - 5); r[t] = $(NF - 2) }
            END {
                if (w["wimproof bare WIM"] > 0) printf "# median iso: CLI ISO/bare wall %.2f, peak memory ISO/bare %.2f\n", w["wimproof ISO"] / w["wimproof bare WIM"], r["wimproof ISO"] / r["wimproof bare WIM"]
                if (w["page http"] > 0) printf "# median iso: page http ISO/bare wall %.2f, peak memory ISO/bare %.2f\n", w["page http ISO"] / w["page http"], r["page http ISO"] / r["page http"]
            }' <<<"$med"
    fi
    rm -f "$iso"
    [[ -n "${BENCH_ISO_WIM:-}" || "${BENCH_KEEP:-}" == 1 ]] || rm -f "$wim"
}

# One round of an image kind ($kind, $img): wimlib, sha256sum, the CLI with
# and without digest, the page.
image_round() {
    read -r w_wall w_rss < <(measure wimlib wimlib-imagex verify "$img")
    line "$kind" "wimlib-imagex verify" "$w_wall" "$w_rss"
    read -r s_wall s_rss < <(measure sha256sum sha256sum "$img")
    line "$kind" "sha256sum" "$s_wall" "$s_rss"
    read -r c_wall c_rss < <(measure wimproof "$wimproof" --no-progress --stats "$img")
    line "$kind" "wimproof (sha256)" "$c_wall" "$c_rss"
    stats_line "$kind" "wimproof (sha256)"
    read -r n_wall n_rss < <(measure wimproof "$wimproof" --no-progress --stats --digest none "$img")
    line "$kind" "wimproof (no digest)" "$n_wall" "$n_rss"
    stats_line "$kind" "wimproof (no digest)"
    if ((browser)); then
        node tests/browser/bench.mjs "$kind" "$img" "$w_wall" || echo "# $kind: tests/browser/bench.mjs failed"
    fi
}

printf '%-10s %-22s %9s %9s %8s %10s\n' image tool wall_s MiB/s ratio peak_MiB
for kind in "${kinds[@]}"; do
    if [[ $kind == iso ]]; then
        iso_kind
        continue
    fi
    img=$(make_image "$kind")
    size=$(stat -c %s "$img")
    mib=$(awk -v s="$size" 'BEGIN { printf "%.0f", s / 1048576 }')
    cat "$img" >/dev/null  # warm the page cache for every tool alike
    rounds_of "$kind" image_round
    ((rounds == 1)) || medians "$kind"
    [[ "${BENCH_KEEP:-}" == 1 || $kind == esd ]] || rm -f "$img"
done
