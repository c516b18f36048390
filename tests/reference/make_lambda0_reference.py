"""Reference for the capacity experiment's λ₀: the smallest eigenvalue of H^∞, the
two-layer ReLU NTK Gram matrix of Du et al. 2019 (arXiv:1810.02054) and Arora et al.
2019 (arXiv:1901.08584), built here independently with numpy from its closed form
H_ij = x_iᵀx_j (π − arccos(x_iᵀx_j)) / (2π) on inputs projected onto the sphere, and
diagonalised with numpy.linalg.eigvalsh (LAPACK syevd).

Run: python tests/reference/make_lambda0_reference.py
(any numpy; the project's tests/reference venv has one). Writes
crates/ntk-core/tests/data/lambda0_reference.json.
"""
import json
import os

import numpy as np


def h_inf(x):
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    c = np.clip(x @ x.T, -1.0, 1.0)
    h = c * (np.pi - np.arccos(c)) / (2 * np.pi)
    np.fill_diagonal(h, 0.5)
    return h


cases = []
rng = np.random.default_rng(20261204)
for n, d in [(24, 3), (48, 5), (96, 10)]:
    x = rng.standard_normal((n, d))
    ev = np.linalg.eigvalsh(h_inf(x))
    cases.append({"n": n, "d": d, "x": x.tolist(), "lambda_min": float(ev[0]),
                  "lambda_max": float(ev[-1])})
out = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "ntk-core", "tests",
                   "data", "lambda0_reference.json")
with open(out, "w") as f:
    json.dump({"numpy": np.__version__, "cases": cases}, f)
print([c["lambda_min"] for c in cases])
