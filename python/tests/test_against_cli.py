"""The package gives the command line's numbers, bit for bit, on the same inputs.

The command line is a second entry point (JSON text in, JSON text out: its own parsing
of the inputs and its own printing); the package reads NumPy buffers in place and
hands back the core's buffers. Equality is exact (==), not a tolerance.
"""

import numpy as np
import pytest

import ntk_lab

RNG = np.random.default_rng(7)
X1 = RNG.normal(size=(13, 4))
X2 = RNG.normal(size=(6, 4))
FLAT = {"depth": 3, "activation": "erf", "w_std": 1.3, "b_std": 0.2}
CNN = {"layers": [
    {"conv": {"out": 8, "filter": [3], "padding": "circular", "w_std": 1.4, "b_std": 0.1}},
    {"activation": "relu"},
    {"global_avg_pool": {}},
    {"dense": {"out": 1, "w_std": 1.2}},
]}
SEQ1 = RNG.normal(size=(7, 5, 2))
SEQ2 = RNG.normal(size=(4, 5, 2))


def exact(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    assert (a == b).all(), f"largest difference {np.abs(a - b).max()}"


@pytest.mark.parametrize("network,x1,x2", [(FLAT, X1, None), (FLAT, X1, X2),
                                           (CNN, SEQ1, None), (CNN, SEQ1, SEQ2)])
def test_kernel(cli, network, x1, x2):
    request = {"network": network, "x1": x1.tolist()}
    if x2 is not None:
        request["x2"] = x2.tolist()
    code, out, err = cli(["kernel"], request)
    assert code == 0, err
    k = ntk_lab.kernel(x1, x2, network=network)
    exact(k["nngp"], out["nngp"])
    exact(k["ntk"], out["ntk"])
    # One block, one kernel: the same entries.
    request.update(get="ntk", tile={"rows": [2, 6], "cols": [1, 4]})
    code, blk, err = cli(["kernel"], request)
    assert code == 0, err
    b = ntk_lab.kernel(x1, x2, network=network, get="ntk", rows=(2, 6), cols=(1, 4))
    assert set(b) == {"ntk"}
    exact(b["ntk"], blk["ntk"])
    exact(b["ntk"], k["ntk"][2:6, 1:4])


def test_views_and_other_dtypes_read_as_the_numbers_they_hold():
    # A strided view, a Fortran-ordered array and an int array give the kernels of the
    # numbers they hold.
    base = RNG.normal(size=(9, 8))
    view = base[:, ::2]
    ref = ntk_lab.kernel(np.ascontiguousarray(view), network=FLAT)["ntk"]
    exact(ntk_lab.kernel(view, network=FLAT)["ntk"], ref)
    exact(ntk_lab.kernel(np.asfortranarray(view), network=FLAT)["ntk"], ref)
    ints = np.arange(12).reshape(4, 3)
    exact(ntk_lab.kernel(ints, network=FLAT)["ntk"],
          ntk_lab.kernel(ints.astype(float), network=FLAT)["ntk"])


def test_empirical(cli):
    net = dict(FLAT, width=64)
    code, out, err = cli(["empirical"], {"network": net, "seed": 3, "x1": X1.tolist(),
                                         "x2": X2.tolist()})
    assert code == 0, err
    k = ntk_lab.empirical(X1, X2, network=net, seed=3)
    exact(k["ntk"], out["ntk"])
    exact(k["nngp"], out["nngp"])
    layers = {"layers": [{"dense": {"out": 32, "w_std": 1.4, "b_std": 0.1}},
                         {"activation": "tanh"}, {"dense": {"out": 1, "w_std": 1.0}}]}
    code, out, err = cli(["empirical"], {"network": layers, "seed": 1, "x1": X1.tolist(),
                                         "method": "jacobian"})
    assert code == 0, err
    k = ntk_lab.empirical(X1, network=layers, seed=1, method="jacobian")
    exact(k["ntk"], out["ntk"])
    exact(k["f1"], out["f1"])


def test_train_and_predict(cli):
    y = np.sin(X1[:, 0])
    net = dict(FLAT, width=128)
    request = {"network": net, "seed": 2, "x_train": X1.tolist(), "y_train": y.tolist(),
               "x_test": X2.tolist(), "learning_rate": 0.5, "steps": 40, "record_every": 10}
    code, out, err = cli(["train"], request)
    assert code == 0, err
    r = ntk_lab.train(X1, y, X2, network=net, seed=2, learning_rate=0.5, steps=40,
                      record_every=10)
    for key in ("train_loss", "test_predictions", "ntk_drift"):
        exact(r[key], out[key])
    code, out, err = cli(["predict"], {"network": FLAT, "x_train": X1.tolist(),
                                       "y_train": y.tolist(), "x_test": X2.tolist(),
                                       "times": [0, 3.5, None], "diag_reg": 1e-4})
    assert code == 0, err
    p = ntk_lab.predict(X1, y, X2, network=FLAT, times=[0, 3.5, None], diag_reg=1e-4)
    exact(p["test_mean"], out["test_mean"])
    exact(p["train_mean"], out["train_mean"])


def same(a, b, path="result"):
    """a (the package's, arrays) equals b (the CLI's JSON), exactly, everywhere."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, np.ndarray):
        exact(a, b)
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            same(u, v, f"{path}[{i}]")
    else:
        assert a == b, path


def test_experiment(cli):
    params = {"n": 32, "degrees": [1, 4], "grids": [4, 8], "max_frequency": 8, "times": 8}
    code, out, err = cli(["experiment", "kan_vs_mlp"], params)
    assert code == 0, err
    seen = []
    r = ntk_lab.experiment("kan_vs_mlp", progress=lambda d, t, s: seen.append((d, t)), **params)
    same(r, out)
    assert seen, "progress was never reported"
    # Returning False cancels.
    with pytest.raises(ntk_lab.InputError, match="cancelled"):
        ntk_lab.experiment("kan_vs_mlp", progress=lambda d, t, s: False, **params)
