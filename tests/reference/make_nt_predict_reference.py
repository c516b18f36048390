"""Generate infinite-width kernel-regression (gradient-flow MSE) reference values
with google's neural-tangents `nt.predict.gradient_descent_mse_ensemble`.

Usage (from the repository root, inside the venv of
tests/reference/requirements.txt):

    python tests/reference/make_nt_predict_reference.py \
        > crates/ntk-core/tests/data/nt_predict_reference.json

Values are the ensemble mean (f(0) = 0 in expectation, compute_cov=False) on
the train set (x_test=None) and on a test set, at times
t = 0, 0.5, 3, 20 and infinity (written as null).

Finite times are passed to `predict_fn` as one array; t = infinity is
evaluated with `t=None`, which neural-tangents documents as infinity and
computes by a Cholesky solve (`gp_inference`) instead of the eigenbasis.
The script asserts that passing `np.inf` inside the time array (eigenbasis
path) gives the same result to 1e-10.

neural-tangents semantics (0.6.5, _src/predict.py), n = y_train.size:
  K_reg = K_dd + diag_reg * trace(K_dd) / n_train * I   (diag_reg_absolute_scale=False)
  (lam, V) = eigh(K_reg), lam clipped at 0
  test  mean(t) = K_td V diag((1 - exp(-lam * lr * t / n)) / |lam|) V^T y
  train mean(t) = V diag(1 - exp(-lam * lr * t / n)) V^T y    (uses K_reg too)
  t = None: test mean = K_td (K_reg)^{-1} y (Cholesky); train mean = y_train.

Deterministic: fixed seed, fixed case order, float64 throughout; floats are
written by `json` via `repr`, which round-trips IEEE-754 doubles exactly.
"""

import jax

jax.config.update("jax_enable_x64", True)

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.linalg  # noqa: E402

# jax 0.4.23's jax.scipy.linalg decorates wrappers with `_wraps(scipy.linalg.tril)`
# (docstrings only); scipy >= 1.13 removed tril/triu, so importing
# jax.scipy.linalg (used by the t=None Cholesky path) fails.  Shim them.
if not hasattr(scipy.linalg, "tril"):
    scipy.linalg.tril = np.tril
if not hasattr(scipy.linalg, "triu"):
    scipy.linalg.triu = np.triu

import neural_tangents as nt  # noqa: E402

# The same stax network as the kernel reference (this script's folder is on sys.path).
from make_nt_reference import build_kernel_fn, generator  # noqa: E402

SEED = 7
WIDTH = 512  # irrelevant for the infinite-width "ntk" parameterization
FINITE_TIMES = [0.0, 0.5, 3.0, 20.0]
SCHEDULES = [(1.0, 0.0), (0.5, 1e-3)]  # (learning_rate, diag_reg)
INF_TOL = 1e-10


def make_inputs():
    rng = np.random.default_rng(SEED)
    x_train = rng.standard_normal((12, 4))
    y_train = np.sin(x_train[:, :1] * 1.5) + 0.3 * x_train[:, 1:2]
    x_test = rng.standard_normal((5, 4))
    assert x_train.dtype == np.float64 and y_train.shape == (12, 1)
    return x_train, y_train, x_test


def networks():
    return [
        ("relu_d2", {"depth": 2, "activation": "relu", "w_std": 1.5,
                     "b_std": 0.1, "parameterization": "ntk", "width": WIDTH}),
        ("erf_d1", {"depth": 1, "activation": "erf", "w_std": 1.2,
                    "b_std": None, "parameterization": "ntk", "width": WIDTH}),
    ]


def as_array(a, shape):
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise FloatingPointError("non-finite prediction")
    assert a.shape == shape, (a.shape, shape)
    return a


def fmt(v):
    """Compact decimal form of a schedule number for case names (1.0 -> 1)."""
    return format(v, "g").replace(".", "p")


def predictions(predict_fn, x_test, get, n_out):
    ts = np.array(FINITE_TIMES, dtype=np.float64)
    nt_ = len(FINITE_TIMES)
    finite = as_array(
        predict_fn(t=ts, x_test=x_test, get=get, compute_cov=False),
        (nt_, n_out, 1))
    inf = as_array(
        predict_fn(t=None, x_test=x_test, get=get, compute_cov=False),
        (n_out, 1))
    # Cross-check: np.inf through the eigenbasis path.
    inf_eig = as_array(
        predict_fn(t=np.array([np.inf]), x_test=x_test, get=get,
                   compute_cov=False),
        (1, n_out, 1))[0]
    diff = float(np.max(np.abs(inf_eig - inf)))
    if diff > INF_TOL:
        raise AssertionError(f"t=None vs t=inf mismatch {diff}")
    rows = [finite[i, :, 0].tolist() for i in range(nt_)] + [inf[:, 0].tolist()]
    return rows, diff


def main():
    x_train, y_train, x_test = make_inputs()
    out = {
        "generator": {
            **generator("tests/reference/make_nt_predict_reference.py",
                        scipy=scipy.__version__),
            "function": "nt.predict.gradient_descent_mse_ensemble(kernel_fn, "
                        "x_train, y_train, learning_rate, diag_reg) with "
                        "diag_reg_absolute_scale=False, trace_axes=(-1,); "
                        "predict_fn(t, x_test, get, compute_cov=False)",
            "t_inf": "times null = t=None (Cholesky solve); finite times "
                     "passed as one array; t=np.inf via the eigenbasis path "
                     f"agrees to {INF_TOL:g} (asserted)",
        },
        "inputs": {
            "x_train": x_train.tolist(),
            "y_train": y_train[:, 0].tolist(),
            "x_test": x_test.tolist(),
        },
        "cases": [],
    }
    n_train, n_test = x_train.shape[0], x_test.shape[0]
    for net_name, net in networks():
        kernel_fn = build_kernel_fn(net)
        for get in ("ntk", "nngp"):
            for lr, reg in SCHEDULES:
                predict_fn = nt.predict.gradient_descent_mse_ensemble(
                    kernel_fn, x_train, y_train, learning_rate=lr,
                    diag_reg=reg)
                train_mean, d1 = predictions(predict_fn, None, get, n_train)
                test_mean, d2 = predictions(predict_fn, x_test, get, n_test)
                out["cases"].append({
                    "name": f"{net_name}_{get}_lr{fmt(lr)}_reg{fmt(reg)}",
                    "network": net,
                    "kernel": get,
                    "learning_rate": lr,
                    "diag_reg": reg,
                    "times": FINITE_TIMES + [None],
                    "train_mean": train_mean,
                    "test_mean": test_mean,
                })
    sys.stdout.write(json.dumps(out, indent=1))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
