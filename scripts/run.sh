#!/usr/bin/env bash
# Run NTK Lab: install what is missing, then serve the page on 127.0.0.1 with trunk
# (rebuilds on change). Usage: bash scripts/run.sh [port]   (default 8080)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
port="${1:-${PORT:-8080}}"
echo "NTK Lab: building, then serving at http://127.0.0.1:${port}/ (Ctrl-C stops)"
exec trunk serve --address 127.0.0.1 --port "$port"
