"""NTK Lab from Python against neural-tangents, side by side in one run.

Times, on the same inputs in the same process:
- the analytic NNGP + NTK Gram K(X, X) of a 3-hidden-layer ReLU MLP (W_std = √2,
  b_std = 0.1, NTK parameterization) on n = 4000 Gaussian inputs in d = 10:
  `ntk_lab.kernel` against neural-tangents' jit `kernel_fn`;
- the analytic CNTK of a 1-D CNN (2 × [Conv(filter 3, circular) → ReLU], global average
  pooling, Dense; W_std 1.5, b_std 0.1) on n = 256 signals of length 32 × 3 channels.
Each side is timed after one warm-up call (jit compilation for neural-tangents), the
median of `--repeats` runs; the largest relative difference between the two sides'
NTKs is printed as a check that they compute the same thing.

Usage (the neural-tangents venv of tests/reference/requirements.txt, with the package
installed into it: `/work/.venv-nt/bin/pip install ./python`):
    /work/.venv-nt/bin/python python/bench/bench_python.py [--n 4000] [--repeats 5]
"""
import argparse
import os
import sys
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402
from neural_tangents import stax  # noqa: E402

import ntk_lab  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "reference"))
from bench_cntk import cpu_name  # noqa: E402  (the CNTK benchmark's CPU name)


def median_time(f, repeats):
    f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--cnn-n", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    rng = np.random.default_rng(0)

    # MLP.
    layers = []
    for _ in range(3):
        layers += [stax.Dense(512, W_std=2 ** 0.5, b_std=0.1), stax.Relu()]
    layers += [stax.Dense(1, W_std=2 ** 0.5, b_std=0.1)]
    kfn = jax.jit(stax.serial(*layers)[2], static_argnames="get")
    x = rng.standard_normal((a.n, 10))
    net = {"depth": 3, "activation": "relu", "w_std": 2 ** 0.5, "b_std": 0.1}
    nt = median_time(lambda: jax.block_until_ready(kfn(x, None, get=("nngp", "ntk"))), a.repeats)
    ours = median_time(lambda: ntk_lab.kernel(x, network=net), a.repeats)
    ref = np.asarray(kfn(x, None, get="ntk"))
    diff = float(np.max(np.abs(ntk_lab.kernel(x, network=net)["ntk"] - ref) / np.abs(ref).max()))
    rows = [("NTK Gram, 3-hidden-layer ReLU MLP, n = %d, d = 10" % a.n, nt, ours, diff)]
    # Where the two differ: the diagonal (ρ = 1), against its closed form. For ReLU at
    # ρ = 1: q ← σ_w² q / 2 + σ_b², Θ ← q + σ_w² · ½ · Θ, from q⁰ = σ_w² |x|²/d + σ_b².
    q = 2.0 * (x * x).sum(1) / 10 + 0.01
    t = q.copy()
    for _ in range(3):
        q = 2.0 * q / 2 + 0.01
        t = q + 2.0 * 0.5 * t
    diag_ours = np.diag(ntk_lab.kernel(x[:500], network=net)["ntk"])
    diag_nt = np.diag(np.asarray(kfn(x[:500], None, get="ntk")))
    off = ~np.eye(a.n, dtype=bool)
    off_diff = float(np.max(np.abs(ntk_lab.kernel(x, network=net)["ntk"] - ref)[off])
                     / np.abs(ref).max())

    # CNN.
    layers = []
    cnn = {"layers": []}
    for _ in range(2):
        layers += [stax.Conv(1, (3,), padding="CIRCULAR", W_std=1.5, b_std=0.1), stax.Relu()]
        cnn["layers"] += [{"conv": {"out": 1, "filter": [3], "padding": "circular",
                                    "w_std": 1.5, "b_std": 0.1}}, {"activation": "relu"}]
    layers += [stax.GlobalAvgPool(), stax.Dense(1, W_std=1.5, b_std=0.1)]
    cnn["layers"] += [{"global_avg_pool": {}}, {"dense": {"out": 1, "w_std": 1.5, "b_std": 0.1}}]
    kfn = jax.jit(stax.serial(*layers)[2], static_argnames="get")
    s = rng.standard_normal((a.cnn_n, 32, 3))
    nt = median_time(lambda: jax.block_until_ready(kfn(s, None, get=("nngp", "ntk"))),
                     max(1, a.repeats // 2))
    ours = median_time(lambda: ntk_lab.kernel(s, network=cnn), max(1, a.repeats // 2))
    ref = np.asarray(kfn(s, None, get="ntk"))
    diff = float(np.max(np.abs(ntk_lab.kernel(s, network=cnn)["ntk"] - ref) / np.abs(ref).max()))
    rows.append(("CNTK, 2 conv layers (filter 3, circular) + ReLU + global average pooling, "
                 "n = %d signals of 32 × 3" % a.cnn_n, nt, ours, diff))

    print(f"MLP diagonal against its closed form: ntk_lab "
          f"{np.max(np.abs(diag_ours - t[:500]) / t[:500]):.1e}, neural-tangents "
          f"{np.max(np.abs(diag_nt - t[:500]) / t[:500]):.1e}; off the diagonal the two "
          f"agree to {off_diff:.1e}")
    print(f"CPU: {cpu_name()}, {os.cpu_count()} threads; jax {jax.__version__}, "
          f"numpy {np.__version__}; median of {a.repeats} runs after a warm-up")
    print("| Gram K and Θ | neural-tangents 0.6.5, jit | ntk_lab from Python | speed-up | "
          "largest difference (relative to max Θ) |")
    print("|---|---|---|---|---|")
    for name, t_nt, t_ours, d in rows:
        print(f"| {name} | {t_nt:.3f} s | {t_ours:.3f} s | {t_nt / t_ours:.1f}× | {d:.1e} |")


if __name__ == "__main__":
    main()
