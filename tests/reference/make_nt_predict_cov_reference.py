"""Reference test covariances of the infinite ensemble, made with google's
neural-tangents 0.6.5 `nt.predict.gradient_descent_mse_ensemble(...)` and
`predict_fn(t, x_test, get, compute_cov=True)` (the `Gaussian.covariance`).

Usage (from the repository root, inside the venv of tests/reference/requirements.txt):

    python tests/reference/make_nt_predict_cov_reference.py \
        > crates/ntk-core/tests/data/nt_predict_cov_reference.json

Same inputs, networks and schedules as make_nt_predict_reference.py. Times
0.5, 3, 20 (one array) and t=None (infinity: gp_inference, a Cholesky solve).
neural-tangents' formulas are quoted in crates/ntk-core/src/dynamics.rs
(`predict_cov`). Deterministic; floats written by repr.
"""

import json
import sys

import numpy as np

import make_nt_predict_reference as ref  # noqa: E402  (sets up jax x64 and the shims)

nt = ref.nt
TIMES = [0.5, 3.0, 20.0]


def cov_rows(predict_fn, x_test, get, m):
    g = predict_fn(t=np.array(TIMES), x_test=x_test, get=get, compute_cov=True)
    cov = np.asarray(g.covariance, dtype=np.float64)
    assert cov.shape == (len(TIMES), m, m), cov.shape
    inf = np.asarray(predict_fn(t=None, x_test=x_test, get=get, compute_cov=True).covariance)
    assert inf.shape == (m, m), inf.shape
    out = [cov[i].tolist() for i in range(len(TIMES))] + [inf.tolist()]
    if not np.all(np.isfinite(np.array(out))):
        raise FloatingPointError("non-finite covariance")
    return out


def main():
    x_train, y_train, x_test = ref.make_inputs()
    out = {
        "generator": {
            **ref.generator("tests/reference/make_nt_predict_cov_reference.py",
                            scipy=ref.scipy.__version__),
            "function": "nt.predict.gradient_descent_mse_ensemble(kernel_fn, x_train, "
                        "y_train, learning_rate, diag_reg); predict_fn(t, x_test, get, "
                        "compute_cov=True).covariance",
        },
        "inputs": {"x_train": x_train.tolist(), "y_train": y_train[:, 0].tolist(),
                   "x_test": x_test.tolist()},
        "cases": [],
    }
    m = x_test.shape[0]
    for net_name, net in ref.networks():
        kernel_fn = ref.build_kernel_fn(net)
        for get in ("ntk", "nngp"):
            for lr, reg in ref.SCHEDULES:
                predict_fn = nt.predict.gradient_descent_mse_ensemble(
                    kernel_fn, x_train, y_train, learning_rate=lr, diag_reg=reg)
                out["cases"].append({
                    "name": f"{net_name}_{get}_lr{ref.fmt(lr)}_reg{ref.fmt(reg)}",
                    "network": net, "kernel": get, "learning_rate": lr, "diag_reg": reg,
                    "times": TIMES + [None],
                    "test_cov": cov_rows(predict_fn, x_test, get, m),
                })
    sys.stdout.write(json.dumps(out, indent=1))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
