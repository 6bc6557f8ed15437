#!/usr/bin/env bash
# Smoke test of the Windows build under Wine: verifies an intact and a corrupt
# fixture through a Windows path and checks the exit codes and JSON verdicts.
# Usage: tests/wine/smoke.sh path/to/wimproof.exe
set -euo pipefail
exe="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
gen="$(cd "$here/../fixtures/generated" && pwd)"
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
[[ -x "$wine" ]] || { echo "wine smoke: no wine64"; exit 0; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$exe" "$dir/wimproof.exe"
x86_64-w64-mingw32-gcc -O2 -shared -o "$dir/bcryptprimitives.dll" "$here/bcryptprimitives.c" -ladvapi32
export WINEDEBUG=-all WINEPREFIX="${WINEPREFIX:-$HOME/.wine-wimproof}"
winpath() { echo "Z:${1//\//\\}"; }
run() { timeout 120 "$wine" "$dir/wimproof.exe" --json --no-progress "$(winpath "$1")" 2>/dev/null; }
set +e
good=$(run "$gen/multi.wim"); rc_good=$?
bad=$(run "$gen/lzx--blob-data.wim"); rc_bad=$?
set -e
grep -q '"verdict": "safe"' <<<"$good" || { echo "wine smoke: intact image not safe (rc=$rc_good): ${good:0:300}"; exit 1; }
grep -q '"verdict": "corrupt"' <<<"$bad" || { echo "wine smoke: corrupt image not corrupt (rc=$rc_bad)"; exit 1; }
[[ $rc_good == 0 && $rc_bad == 1 ]] || { echo "wine smoke: exit codes $rc_good/$rc_bad, want 0/1"; exit 1; }
echo "wine smoke test: ok (Windows build: intact -> safe, exit 0; corrupt -> corrupt, exit 1)"
