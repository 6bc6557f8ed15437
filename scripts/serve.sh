#!/usr/bin/env bash
# Builds the in-browser verifier (scripts/build-web.sh; quick when nothing
# changed) and serves dist/ on http://127.0.0.1:PORT/ until Ctrl-C.
#
# Usage: scripts/serve.sh [PORT]   (default 8080; WIMPROOF_HOST=0.0.0.0 to
# serve to other machines: the page is static, any web server will do)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${1:-8080}"
HOST="${WIMPROOF_HOST:-127.0.0.1}"

"$ROOT/scripts/build-web.sh"
command -v python3 >/dev/null || { echo "serve.sh: python3 is needed" >&2; exit 1; }
echo
echo "  wimproof is at  http://$HOST:$PORT/"
echo "  single file:    $ROOT/dist/wimproof.html (open it directly, or copy it anywhere)"
echo
exec python3 -m http.server "$PORT" --bind "$HOST" --directory "$ROOT/dist"
