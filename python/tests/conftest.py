"""Shared fixtures: the `ntk` command line the package is compared with."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _find_cli() -> str:
    env = os.environ.get("NTK_BIN")
    if env:
        return env
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "ntk"
        if p.exists():
            return str(p)
    pytest.skip("build the command line first: cargo build --bin ntk (or set NTK_BIN)")


@pytest.fixture(scope="session")
def cli():
    """Run `ntk <args>` on a JSON request; returns (exit code, parsed stdout, stderr)."""
    binary = _find_cli()

    def run(args, request):
        p = subprocess.run([binary, *args], input=json.dumps(request), capture_output=True,
                           text=True, check=False)
        out = json.loads(p.stdout) if p.returncode == 0 else None
        return p.returncode, out, p.stderr

    return run
