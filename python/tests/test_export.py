"""The page's "Export as Python" scripts run: `cargo test` writes each preset's script
(src/export.rs) to target/export-scripts; the cheap ones are run here and must compute
every experiment of their panel (the script prints each experiment's result keys)."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "target" / "export-scripts"


@pytest.mark.parametrize("preset", ["parameterization", "tails", "labels", "spurious", "wide-enough", "streaming-sgd"])
def test_an_exported_script_reproduces_its_panel(preset):
    script = SCRIPTS / f"{preset}.py"
    if not script.exists():
        pytest.skip("run `cargo test` first: it writes the exported scripts")
    text = script.read_text()
    names = [line.split('"')[1] for line in text.splitlines() if line.startswith("results[")]
    assert names, "the script runs no experiment"
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=600, check=False)
    assert p.returncode == 0, p.stderr
    printed = [line.split(" ", 1)[0] for line in p.stdout.splitlines()]
    for name in names:
        assert name in printed, (name, p.stdout)
