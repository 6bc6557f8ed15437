#!/usr/bin/env bash
# Compares two wimproof binaries on every generated fixture: the `--json`
# output (with `checked_at` and the tool version masked), the text output
# (with the elapsed seconds masked), stderr and the exit status, under a
# few option sets. Prints one line per difference and a summary; exits 1
# if anything differs.
#
# Usage: scripts/compare-json.sh OLD_BIN NEW_BIN
#   e.g. git worktree add /tmp/old main && (cd /tmp/old && cargo build --profile fast)
#        scripts/compare-json.sh /tmp/old/target/fast/wimproof target/fast/wimproof
# Needs the fixtures (tests/fixtures/generate.sh, which the tests run).
# COMPARE_ROWS=N: only the manifest's first N fixtures (to try it quickly).
set -euo pipefail

[[ $# -eq 2 ]] || { sed -n '2,12p' "$0" >&2; exit 2; }
OLD=$(realpath "$1")
NEW=$(realpath "$2")
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GEN="$HERE/tests/fixtures/generated"
[[ -f "$GEN/manifest.tsv" ]] || bash "$HERE/tests/fixtures/generate.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Masks what differs from run to run: the time of the check, the version,
# the elapsed seconds of the text output.
mask() {
    python3 -c '
import json, re, sys
text = sys.stdin.read()
try:
    v = json.loads(text)
except ValueError:
    print(re.sub(r"; [0-9]+\.[0-9] s$", "; T s", text, flags=re.M), end="")
    sys.exit(0)
def walk_one(r):
    r["checked_at"] = "T"
    r["tool"]["version"] = "V"
if isinstance(v, list):
    for r in v:
        if "schema" in r: walk_one(r)
elif "schema" in v:
    walk_one(v)
print(json.dumps(v, indent=2, ensure_ascii=False))
'
}

runs=0
diffs=0
# run NAME ARGS...: both binaries, in the fixtures' directory (so names in
# the output are the same), compared.
run() {
    local name=$1
    shift
    runs=$((runs + 1))
    local b
    for b in old new; do
        local bin=$OLD
        [[ $b == new ]] && bin=$NEW
        set +e
        (cd "$GEN" && "$bin" --no-progress "$@") >"$WORK/$b.out" 2>"$WORK/$b.err"
        echo "exit $?" >>"$WORK/$b.err"
        set -e
        mask <"$WORK/$b.out" >"$WORK/$b.masked"
    done
    if ! diff -q "$WORK/old.masked" "$WORK/new.masked" >/dev/null ||
        ! diff -q "$WORK/old.err" "$WORK/new.err" >/dev/null; then
        diffs=$((diffs + 1))
        echo "DIFFERS: $name: $*"
        diff -u "$WORK/old.masked" "$WORK/new.masked" | head -20 || true
        diff -u "$WORK/old.err" "$WORK/new.err" | head -20 || true
    fi
}

mapfile -t rows < <(tail -n +2 "$GEN/manifest.tsv" | cut -f1,2 | head -${COMPARE_ROWS:-1000})
all_files=()
for row in "${rows[@]}"; do
    name=${row%%$'\t'*}
    IFS=, read -r -a files <<<"${row#*$'\t'}"
    all_files+=("${files[@]}")
    run "$name" --json "${files[@]}"
    run "$name" --json --target all --digest both "${files[@]}"
    run "$name" "${files[@]}"
    run "$name" --target all "${files[@]}"
    if [[ ${#files[@]} -gt 1 ]]; then
        # The first part alone: the others are found beside it.
        run "$name (first part)" --json "${files[0]}"
        run "$name (first part)" --target wds "${files[0]}"
    fi
done
# Every fixture at once (an array, the worst exit status), a file that
# cannot be opened, and a checksum list written by the old binary.
run "all fixtures" --json "${all_files[@]}"
run "all fixtures" --target all "${all_files[@]}"
run "missing file" --json missing.wim
run "missing file" missing.wim
(cd "$GEN" && "$OLD" --no-progress --json --write-list "$WORK/list.txt" multi.wim solid.wim >/dev/null) || true
run "check list" --json --check-list "$WORK/list.txt" multi.wim solid.wim
run "check list" --check-list "$WORK/list.txt" multi.wim solid.wim lzx-2m.wim

echo "compare-json: $runs runs over ${#rows[@]} fixtures, $diffs differ"
[[ $diffs -eq 0 ]]
