#!/usr/bin/env python3
"""Trunk post-build hook: give the built index.html a Content-Security-Policy.

The page may run only its own scripts and wasm, and talk only to its own origin:

- script-src 'self' 'wasm-unsafe-eval' plus the SHA-256 of each inline <script> trunk
  writes (its module bootstrap, whose text names the hashed file names, so the hash is
  computed here, after each build; a nonce in a static file would be the same for every
  visitor, which defeats it);
- default-src, connect-src, worker-src 'self'; img-src 'self' data: blob: (the favicon,
  canvases turned into images, downloads);
- style-src 'self': no inline <style> (teacher mode's rules go into a constructed,
  adopted stylesheet, and the page sets element styles through CSSOM, both of which CSP
  allows). style-src-attr 'unsafe-inline' is the one exception, and it is needed:
  plotters measures text in wasm by giving a temporary <span> a style attribute (font
  and size) and reading its box; refused, every label would be measured in the page's
  body font. A style attribute cannot run script, and the page renders no markup from
  its input (file names and CSV headers are text nodes);
- object-src, base-uri and form-action 'none'.

A <meta http-equiv> policy applies to what follows it, so it goes right after <meta charset>.
frame-ancestors cannot be set by a meta tag; a static host that wants it sets the header.
The e2e check (tests/e2e/check_page.py) loads the page under this policy, records every
violation, and checks that an injected inline script does not run.

Usage: trunk sets TRUNK_STAGING_DIR; or pass the folder: csp.py DIR.
"""

import base64
import hashlib
import os
import re
import sys


def policy(html: str) -> str:
    hashes = []
    for body in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S):
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval' " + " ".join(hashes),
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ])


def main() -> int:
    folder = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TRUNK_STAGING_DIR")
    if not folder:
        print("csp.py: no folder (TRUNK_STAGING_DIR is unset)", file=sys.stderr)
        return 2
    path = os.path.join(folder, "index.html")
    with open(path, encoding="utf-8") as f:
        html = f.read()
    html = re.sub(r'\s*<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy(html)}" />'
    # After <meta charset> (which must stay within the first 1024 bytes), before anything
    # the policy governs.
    html, n = re.subn(r"(<meta charset[^>]*>)", lambda m: m.group(1) + "\n    " + meta, html, count=1)
    if n != 1:
        print(f"csp.py: no <meta charset> in {path}", file=sys.stderr)
        return 1
    with open(path, "w", encoding="utf-8") as f:
        f.write(html)
    return 0


if __name__ == "__main__":
    sys.exit(main())
