#!/usr/bin/env python3
"""Builds dist/wimproof.html: the page as one self-contained file that works
from a file share or file:// (where workers by URL, fetch and module imports
all fail).

- The page's ES modules are concatenated in dependency order into one inline
  module script, their `import` lines dropped (the modules are written for
  this: one-line imports, no default exports, distinct top-level names).
- The worker is the wasm-bindgen glue followed by worker.js, as a classic
  script (exports stripped) in a non-executed <script type="text/plain">
  block; the page starts it from a Blob URL.
- The wasm is base64 in a non-executed block; the page compiles it once and
  posts the module to the workers (wasm-bindgen's initSync).
- The Content-Security-Policy allows the one inline script by its SHA-256.

Usage: single_file.py WWW_DIR PKG_DIR VERSION OUT_HTML
"""

import base64
import hashlib
import re
import sys
import urllib.parse
from pathlib import Path

PAGE_MODULES = ["styles.js", "verify.js", "render.js", "wim-verifier.js", "app.js"]


def strip_imports(src: str, name: str) -> str:
    out = []
    for line in src.splitlines():
        s = line.strip()
        if s.startswith("import ") and (s.endswith(";") or s.endswith("'")):
            if " from " not in s and not re.match(r"import\s+['\"]", s):
                sys.exit(f"{name}: unsupported import form: {s}")
            continue
        if re.match(r"export\s*\{.*\}\s*from\s", s):
            continue
        out.append(line)
    return "\n".join(out)


def check_inline(text: str, what: str) -> None:
    low = text.lower()
    for bad in ("</script", "<!--"):
        if bad in low:
            sys.exit(f"{what} contains {bad!r}; it cannot be inlined in a <script> block")


def classic_worker(glue: str, worker: str) -> str:
    # The glue is an ES module; a classic worker needs no exports. Its
    # import.meta.url is only used to locate the .wasm by URL, which the
    # single file never does.
    glue = re.sub(r"^export\s*\{[^}]*\};?\s*$", "", glue, flags=re.M)
    glue = re.sub(r"^export\s+(?=(class|function|const|let|async)\b)", "", glue, flags=re.M)
    glue = glue.replace("import.meta.url", "self.location.href")
    if re.search(r"^\s*(import|export)\b", glue, flags=re.M):
        sys.exit("the wasm-bindgen glue has an import or export this script does not handle")
    body = strip_imports(worker, "worker.js")
    # The worker's own code in a function scope: no clash with the glue's names.
    return f"{glue}\n;(() => {{\n{body}\n}})();\n"


def main() -> None:
    www, pkg, version, out = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    bundle = "\n".join(
        f"// ---- {m} ----\n" + strip_imports((www / m).read_text(encoding="utf-8"), m)
        for m in PAGE_MODULES
    )
    worker = classic_worker(
        (pkg / "wimproof.js").read_text(encoding="utf-8"),
        (www / "worker.js").read_text(encoding="utf-8"),
    )
    wasm_b64 = base64.b64encode((pkg / "wimproof_bg.wasm").read_bytes()).decode("ascii")
    # Line-wrapped so editors and diff tools cope with the file.
    wasm_b64 = "\n".join(wasm_b64[i : i + 120] for i in range(0, len(wasm_b64), 120))
    check_inline(bundle, "the page bundle")
    check_inline(worker, "the worker")

    script_hash = base64.b64encode(hashlib.sha256(bundle.encode("utf-8")).digest()).decode()
    csp = (
        "default-src 'none'; "
        f"script-src 'sha256-{script_hash}' 'wasm-unsafe-eval'; "
        "worker-src blob:; connect-src 'self'; style-src 'self'; img-src data:; "
        "object-src 'none'; base-uri 'none'; form-action 'none'"
    )
    icon = (www / "favicon.svg").read_text(encoding="utf-8").strip()
    icon_uri = "data:image/svg+xml," + urllib.parse.quote(icon, safe=" /:=\"'#,.-")

    html = (www / "index.html").read_text(encoding="utf-8")
    html, n1 = re.subn(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">',
                       f'<meta http-equiv="Content-Security-Policy" content="{csp}">', html)
    html, n2 = re.subn(r'\s*<script type="module" src="app.js"></script>', "", html)
    html, n3 = re.subn(r'<link rel="icon" href="favicon.svg" type="image/svg\+xml">',
                       f'<link rel="icon" href="{icon_uri}" type="image/svg+xml">', html)
    if (n1, n2, n3) != (1, 1, 1):
        sys.exit(f"index.html does not have the expected CSP, script and icon tags ({n1}, {n2}, {n3})")
    html = html.replace("__WIMPROOF_VERSION__", version)
    blocks = (
        '<script type="text/plain" id="wimproof-worker">\n' + worker + "</script>\n"
        '<script type="application/octet-stream" id="wimproof-wasm">\n' + wasm_b64 + "\n</script>\n"
        '<script type="module">' + bundle + "</script>\n"
    )
    if "</body>" not in html:
        sys.exit("index.html has no </body>")
    html = html.replace("</body>", blocks + "</body>")
    out.write_text(html, encoding="utf-8")


if __name__ == "__main__":
    main()
