"""Generate infinite-width NNGP/NTK reference values with google's neural-tangents.

Usage (from the repository root, inside a venv made from
tests/reference/requirements.txt):

    python tests/reference/make_nt_reference.py > crates/ntk-core/tests/data/nt_reference.json

The output is deterministic: fixed RNG seed, fixed case order, float64
throughout, and floats written by `json` via `repr`, which round-trips
IEEE-754 doubles exactly.
"""

import jax

jax.config.update("jax_enable_x64", True)

import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402

# neural_tangents imports tensorflow (for its experimental TF API); keep its
# logging off stdout/stderr noise. Nothing from TF is used here.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402

SEED = 20261130
NTK_WIDTH = 512  # width is irrelevant for the infinite-width "ntk" parameterization


def make_inputs():
    rng = np.random.default_rng(SEED)
    x1 = 1.3 * rng.standard_normal((7, 4))
    x2 = 1.3 * rng.standard_normal((5, 4))
    x2 = np.concatenate(
        [x2, x1[2:3].copy(), -x1[0:1], np.zeros((1, 4))], axis=0
    )  # duplicate, antipodal, zero row -> 8x4

    y1 = rng.standard_normal((7, 4))
    y2 = rng.standard_normal((5, 4))
    y1 = y1 / np.linalg.norm(y1, axis=1, keepdims=True)
    y2 = y2 / np.linalg.norm(y2, axis=1, keepdims=True)
    y2 = np.concatenate([y2, y1[2:3].copy(), -y1[0:1]], axis=0)  # -> 7x4

    assert x1.dtype == np.float64 and x2.shape == (8, 4) and y2.shape == (7, 4)
    return {"raw": (x1, x2), "sphere": (y1, y2)}


def activation_layer(net):
    act = net["activation"]
    if act == "relu":
        return stax.Relu()
    if act == "leaky_relu":
        return stax.LeakyRelu(net["alpha"])
    if act == "abrelu":
        return stax.ABRelu(net["a"], net["b"])
    if act == "abs":
        return stax.Abs()
    if act == "erf":
        return stax.Erf()
    if act == "gelu":
        return stax.Gelu(approximate=False)
    if act == "sin":
        return stax.Sin()
    if act == "cos":
        return stax.Cos()
    if act == "identity":
        return stax.Identity()
    raise ValueError(f"unknown activation {act!r}")


def build_kernel_fn(net):
    w = net["width"]
    ws, bs, p = net["w_std"], net["b_std"], net["parameterization"]
    hidden = [
        stax.Dense(w, W_std=ws, b_std=bs, parameterization=p),
        activation_layer(net),
    ] * net["depth"]
    readout = stax.Dense(1, W_std=ws, b_std=bs, parameterization=p)
    _, _, kernel_fn = stax.serial(*hidden, readout)
    return kernel_fn


def network(depth, activation, w_std=1.5, b_std=0.1, parameterization="ntk",
            width=None, **act_params):
    if width is None:
        assert parameterization == "ntk"
        width = NTK_WIDTH
    net = {
        "depth": depth,
        "activation": activation,
        "w_std": w_std,
        "b_std": b_std,
        "parameterization": parameterization,
        "width": width,
    }
    net.update(act_params)
    return net


def case_list():
    cases = []
    for inp in ("raw", "sphere"):
        for d in (1, 2, 3, 4, 5):
            cases.append((f"relu_d{d}_{inp}", inp, network(d, "relu")))
    cases += [
        ("relu_d3_nobias_raw", "raw", network(3, "relu", b_std=None)),
        ("relu_d0_raw", "raw", network(0, "relu")),
        ("leaky_relu_d2_raw", "raw", network(2, "leaky_relu", alpha=0.1)),
        ("abrelu_d2_sphere", "sphere", network(2, "abrelu", a=-0.3, b=0.7)),
        ("abs_d2_raw", "raw", network(2, "abs")),
        ("erf_d2_raw", "raw", network(2, "erf")),
        ("erf_d2_sphere", "sphere", network(2, "erf")),
        ("gelu_d2_raw", "raw", network(2, "gelu")),
        ("gelu_d2_sphere", "sphere", network(2, "gelu")),
        ("sin_d2_raw", "raw", network(2, "sin")),
        ("sin_d2_sphere", "sphere", network(2, "sin")),
        ("cos_d2_raw", "raw", network(2, "cos")),
        ("identity_d2_raw", "raw", network(2, "identity")),
        # standard parameterization: width matters for the NTK
        ("relu_d2_std_w512_raw", "raw",
         network(2, "relu", parameterization="standard", width=512)),
        ("relu_d2_std_w512_sphere", "sphere",
         network(2, "relu", parameterization="standard", width=512)),
        ("erf_d2_std_w256_raw", "raw",
         network(2, "erf", parameterization="standard", width=256)),
        ("relu_d3_std_w128_nobias_sphere", "sphere",
         network(3, "relu", b_std=None, parameterization="standard", width=128)),
        ("gelu_d1_std_w64_raw", "raw",
         network(1, "gelu", parameterization="standard", width=64)),
        # deep, critical (He) initialisation: NNGP diag stays 0.5 on the sphere
        ("relu_d20_sphere", "sphere",
         network(20, "relu", w_std=1.4142135623730951, b_std=0.0)),
    ]
    return cases


def to_list(a):
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise FloatingPointError("non-finite kernel value")
    return a.tolist()


def kernels(kernel_fn, xa, xb):
    k = kernel_fn(xa, xb, ("nngp", "ntk"))
    return {"nngp": to_list(k.nngp), "ntk": to_list(k.ntk)}


def generator(script, **versions):
    """Who made the file: the package versions (`versions` adds more) and the script."""
    nt_version = getattr(nt, "__version__", None)
    if nt_version is None:
        from importlib.metadata import version
        nt_version = version("neural-tangents")
    return {
        "neural_tangents": nt_version,
        "jax": jax.__version__,
        "numpy": np.__version__,
        **versions,
        "python": platform.python_version(),
        "script": script,
    }


def main():
    inputs = make_inputs()
    out = {
        "generator": generator("tests/reference/make_nt_reference.py"),
        "inputs": {
            name: {"x1": to_list(a), "x2": to_list(b)}
            for name, (a, b) in inputs.items()
        },
        "cases": [],
    }
    for name, inp, net in case_list():
        x1, x2 = inputs[inp]
        kernel_fn = build_kernel_fn(net)
        out["cases"].append({
            "name": name,
            "input": inp,
            "network": net,
            "x1_x2": kernels(kernel_fn, x1, x2),
            "x1_x1": kernels(kernel_fn, x1, None),
        })
    sys.stdout.write(json.dumps(out, indent=1))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
