"""Time the analytic CNTK of a 1-D CNN in neural-tangents and in NTK Lab, in one run.

The network (both sides): depth × [Conv(1, (3,), padding CIRCULAR, W_std 1.5,
b_std 0.1) → Relu], GlobalAvgPool, Dense(1, W_std 1.5, b_std 0.1), NTK
parameterization; n random signals of length × channels; K(X, X) and Θ(X, X).
NTK Lab's side is `ntk bench {"op": "cntk_gram", ...}` (crates/ntk-core/src/bench.rs).

Usage: python tests/reference/bench_cntk.py [--n 256] [--length 32] [--channels 3]
       [--depth 2] [--repeats 3] [--ntk target/release/ntk]
Needs the venv of tests/reference/requirements.txt (neural-tangents 0.6.5, float64).
"""
import argparse
import json
import platform
import subprocess
import time

import jax

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402
from neural_tangents import stax  # noqa: E402


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--length", type=int, default=32)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--ntk", default="target/release/ntk")
    a = ap.parse_args()

    layers = []
    for _ in range(a.depth):
        layers += [stax.Conv(1, (3,), padding="CIRCULAR", W_std=1.5, b_std=0.1), stax.Relu()]
    layers += [stax.GlobalAvgPool(), stax.Dense(1, W_std=1.5, b_std=0.1)]
    _, _, kernel_fn = stax.serial(*layers)
    kernel_fn = jax.jit(kernel_fn, static_argnames="get")
    x = np.random.default_rng(0).standard_normal((a.n, a.length, a.channels))
    # Compile once, then time.
    jax.block_until_ready(kernel_fn(x, None, get=("nngp", "ntk")))
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(kernel_fn(x, None, get=("nngp", "ntk")))
        times.append(time.perf_counter() - t0)
    nt = float(np.median(times))

    req = {"op": "cntk_gram", "n": a.n, "d": a.channels, "depth": a.depth,
           "length": a.length, "repeats": a.repeats}
    out = subprocess.run([a.ntk, "bench"], input=json.dumps(req), capture_output=True,
                         text=True, check=True)
    ours = json.loads(out.stdout)
    print(json.dumps({
        "cpu": cpu_name(),
        "problem": f"CNTK, {a.depth} conv layers, n={a.n}, length={a.length}, channels={a.channels}",
        "neural_tangents_jit_median_s": nt,
        "ntk_lab_median_s": ours["median_s"],
        "ntk_lab_threads": ours["threads"],
        "speedup": nt / ours["median_s"],
    }, indent=1))


if __name__ == "__main__":
    main()
