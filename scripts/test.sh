#!/usr/bin/env bash
# Everything CI checks, in order: formatting, clippy (native and wasm32), native tests
# of the whole workspace, browser tests in headless Chromium, the release build of the
# page, and an end-to-end check of that build in headless Chromium.
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "clippy, native"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy, wasm32"
cargo clippy --workspace --all-targets --target wasm32-unknown-unknown -- -D warnings

step "native tests"
cargo test --workspace

step "browser tests: ntk-core in wasm32 + simd128 (headless Chromium)"
cargo test --target wasm32-unknown-unknown -p ntk-core

step "browser tests: the app (wasm-bindgen-test, headless Chromium)"
cargo test --target wasm32-unknown-unknown -p ntk-lab --test browser

step "trunk build --release"
trunk build --release

step "end-to-end check of the built page (headless Chromium via chromedriver)"
python3 tests/e2e/check_page.py --dist dist

echo
echo "All checks passed."
