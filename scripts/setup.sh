#!/usr/bin/env bash
# Installs what NTK Lab needs to build, serve and test, skipping what is already there
# at the right version. Sourced by scripts/run.sh and scripts/test.sh (it sets PATH).
#
#   wasm32 target · trunk 0.21.14 · wasm-bindgen-cli = the wasm-bindgen pinned in
#   Cargo.toml · wasm-opt from the npm package binaryen@132 (never Debian's binaryen:
#   its old wasm-opt silently breaks the page) · axe-core (npm, the e2e accessibility
#   audit) · Debian's chromium + chromium-driver · a Python venv (.venv) with maturin,
#   NumPy, Dask and pytest for the Python package.
#
# Tools live in ~/.cargo/bin (cargo install) and $NTK_TOOLS (default
# ~/.cache/ntk-lab), where the next run finds them.

set -euo pipefail

_ntk_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NTK_TOOLS="${NTK_TOOLS:-$HOME/.cache/ntk-lab}"
TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132.0.0"
AXE_VERSION="4.11.0"
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' "$_ntk_root/Cargo.toml" | head -n 1)"
if [ -z "$WASM_BINDGEN_VERSION" ]; then
  echo "setup: Cargo.toml must pin wasm-bindgen exactly (wasm-bindgen = \"=X.Y.Z\")" >&2
  exit 1
fi

export PATH="$NTK_TOOLS/binaryen/node_modules/.bin:$HOME/.cargo/bin:$PATH"

_say() { printf 'setup: %s\n' "$*"; }

_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root for: $*" >&2; return 1; fi
}

# Rust: the wasm32 target and the components the checks use.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  _say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for _c in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$_c"; then
    _say "adding rustup component $_c"
    rustup component add "$_c"
  fi
done

# trunk (0.22 needs a newer rustc than these machines have).
if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  _say "installing trunk $TRUNK_VERSION (a few minutes, once)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli at exactly the pinned version (trunk would otherwise try to
# download one). Without --locked: its lockfile wants a crate the registry lacks.
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ] ||
   ! command -v wasm-bindgen-test-runner >/dev/null; then
  _say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-opt from npm's binaryen.
if ! "$NTK_TOOLS/binaryen/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version 132"; then
  _say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into $NTK_TOOLS/binaryen"
  mkdir -p "$NTK_TOOLS/binaryen"
  npm install --silent --no-audit --no-fund --prefix "$NTK_TOOLS/binaryen" "binaryen@$BINARYEN_VERSION"
fi

# axe-core, the accessibility audit the end-to-end check injects into the page.
if [ ! -f "$NTK_TOOLS/axe/node_modules/axe-core/axe.min.js" ] || \
   ! grep -q "\"version\": \"$AXE_VERSION\"" "$NTK_TOOLS/axe/node_modules/axe-core/package.json"; then
  _say "installing axe-core@$AXE_VERSION (npm) into $NTK_TOOLS/axe"
  mkdir -p "$NTK_TOOLS/axe"
  npm install --silent --no-audit --no-fund --prefix "$NTK_TOOLS/axe" "axe-core@$AXE_VERSION"
fi
export AXE_JS="$NTK_TOOLS/axe/node_modules/axe-core/axe.min.js"

# Headless browser and its WebDriver, from Debian; python3 runs trunk's post-build hook
# (scripts/csp.py) and the e2e checks.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
   || ! command -v python3 >/dev/null; then
  _say "installing chromium, chromium-driver and python3 from Debian"
  _as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -qq chromium chromium-driver python3 >/dev/null
fi
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"

# The Python package's environment (python/requirements-dev.txt: maturin, NumPy, Dask,
# pytest) in $NTK_VENV (default .venv in the repository), from PyPI. The package itself
# is built from source by `pip install ./python` (scripts/test.sh does it).
NTK_VENV="${NTK_VENV:-$_ntk_root/.venv}"
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  _say "installing python3-venv from Debian"
  _as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x "$NTK_VENV/bin/python" ]; then
  _say "creating the Python environment $NTK_VENV"
  python3 -m venv "$NTK_VENV"
fi
if ! cmp -s "$_ntk_root/python/requirements-dev.txt" "$NTK_VENV/.ntk-requirements" 2>/dev/null; then
  _say "installing the Python package's build and test requirements (PyPI)"
  "$NTK_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$_ntk_root/python/requirements-dev.txt"
  cp "$_ntk_root/python/requirements-dev.txt" "$NTK_VENV/.ntk-requirements"
fi
export NTK_VENV

# trunk runs cargo --offline: make sure every crate is in the local registry.
(cd "$_ntk_root" && cargo fetch --quiet)

_say "tools ready: $(trunk --version), $(wasm-bindgen --version), $(wasm-opt --version | cut -d' ' -f1-3), $(chromium --version 2>/dev/null | head -n1)"
