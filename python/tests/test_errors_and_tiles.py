"""Bad input raises InputError (a ValueError) naming the field; the .npy tile path
equals the in-memory Gram; blocks farmed out to processes fill one shared file; the
GIL is released while the core computes."""

import multiprocessing as mp
import threading
import time

import numpy as np
import pytest

import ntk_lab

NET = {"depth": 2, "activation": "relu", "w_std": 1.4, "b_std": 0.1}
X = np.random.default_rng(3).normal(size=(40, 3))


@pytest.mark.parametrize("call,field", [
    (lambda: ntk_lab.kernel(X, network={"depth": 2}), "network.w_std"),
    (lambda: ntk_lab.kernel(X, network=dict(NET, activation="reluu")), "network.activation"),
    (lambda: ntk_lab.kernel(X, np.ones((3, 4)), network=NET), "x2"),
    (lambda: ntk_lab.kernel(np.ones((3, 2, 2)), network=NET), "x1"),
    (lambda: ntk_lab.kernel(np.array([[1.0, np.nan]]), network=NET), "x1"),
    (lambda: ntk_lab.kernel(X, network=NET, get="cov"), "get"),
    (lambda: ntk_lab.kernel(X, network=NET, rows=(0, 99)), "rows"),
    (lambda: ntk_lab.kernel(X, network=NET, cols=(5, 5)), "cols"),
    (lambda: ntk_lab.kernel(X, network=NET, rows=(0, 1, 2)), "rows"),
    (lambda: ntk_lab.kernel(X, network=NET, rows=(-1, 2)), "rows"),
    (lambda: ntk_lab.kernel(X, 3.0, network=NET), "x2"),
    (lambda: ntk_lab.kernel_to_npy(X, network=NET, path="/tmp/u", tile_size=0), "tile_size"),
    (lambda: ntk_lab.kernel_to_npy(X, network=NET, path="/tmp/u", rows=(0, 2), memory=10),
     "tile_size"),
    (lambda: ntk_lab.kernel([["a"]], network=NET), "x1"),
    (lambda: ntk_lab.kernel(X, network={"layers": [{"dense": {"out": 0}}]}), "network.layers[0]"),
    (lambda: ntk_lab.kernel_to_npy(X, network=NET, path="/proc/none"), "path"),
    (lambda: ntk_lab.empirical(X, network=NET), "network.width"),
    (lambda: ntk_lab.train(X, np.ones(3), X, network=dict(NET, width=8), learning_rate=0.1,
                           steps=1), "y_train"),
    (lambda: ntk_lab.experiment("nope"), "experiment"),
    (lambda: ntk_lab.experiment("spectrum", bogus=1), "bogus"),
])
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValueError) as e:
        call()
    assert isinstance(e.value, ntk_lab.InputError)
    assert e.value.field.startswith(field), (e.value.field, str(e.value))
    assert str(e.value).startswith(e.value.field + ": ")


def test_a_memory_bound_refuses_before_allocating():
    big = np.zeros((60_000, 2))
    with pytest.raises(ntk_lab.InputError, match="over the budget"):
        ntk_lab.kernel(big, network=NET)
    with pytest.raises(ntk_lab.InputError, match="one tile") as e:
        ntk_lab.kernel_to_npy(X, network=NET, path="/tmp/unused", tile_size=40, memory=1000)
    assert e.value.field == "tile_size"


def test_npy_tiles_equal_the_in_memory_gram(tmp_path):
    ref = ntk_lab.kernel(X, network=NET)
    seen = []
    out = ntk_lab.kernel_to_npy(X, network=NET, path=tmp_path, tile_size=7,
                                progress=lambda d, t, s: seen.append(d))
    assert out["tiles"] == 6 * 7 // 2 and seen == list(range(22))
    for k in ("nngp", "ntk"):
        m = np.load(out["files"][k], mmap_mode="r")
        assert m.shape == (40, 40) and m.dtype == np.float64
        assert (m == ref[k]).all()
    # With x2, one kernel only.
    y = X[:11] + 0.5
    out = ntk_lab.kernel_to_npy(X, y, network=NET, path=tmp_path / "xy", tile_size=4, get="ntk")
    assert list(out["files"]) == ["ntk"]
    assert (np.load(out["files"]["ntk"]) == ntk_lab.kernel(X, y, network=NET)["ntk"]).all()
    # Cancelling.
    with pytest.raises(ntk_lab.InputError, match="cancelled"):
        ntk_lab.kernel_to_npy(X, network=NET, path=tmp_path / "c", tile_size=5,
                              progress=lambda d, t, s: d < 2)


def _write_blocks(args):
    path, blocks = args
    for r, c in blocks:
        ntk_lab.kernel_to_npy(X, network=NET, path=path, rows=r, cols=c)


def test_blocks_from_several_processes_fill_one_shared_file(tmp_path):
    edges = [(0, 13), (13, 26), (26, 40)]
    blocks = [(r, c) for i, r in enumerate(edges) for c in edges[i:]]
    with mp.get_context("spawn").Pool(3) as pool:
        pool.map(_write_blocks, [(str(tmp_path), blocks[i::3]) for i in range(3)])
    ref = ntk_lab.kernel(X, network=NET)
    for k in ("nngp", "ntk"):
        assert (np.load(tmp_path / f"{k}.npy") == ref[k]).all()


def test_the_gil_is_released_while_the_core_computes():
    # While a Gram computes in a thread, this thread keeps running Python: its longest
    # pause during the call is a small part of the call. With the GIL held for the
    # whole call, the pause would be the whole call. The Gram is sized on this machine
    # (doubled until one call takes 0.1 s), so that no machine is too fast to tell.
    rng = np.random.default_rng(0)
    net = dict(NET, depth=6)
    n = 1000
    while True:
        x = rng.normal(size=(n, 10))
        t0 = time.perf_counter()
        ntk_lab.kernel(x, network=net)
        if time.perf_counter() - t0 >= 0.1 or n >= 12_000:
            break
        n *= 2
    span = {}

    def work():
        span["start"] = time.perf_counter()
        ntk_lab.kernel(x, network=net)
        span["end"] = time.perf_counter()

    t = threading.Thread(target=work)
    ticks = []
    t.start()
    while t.is_alive():
        ticks.append(time.perf_counter())
    t.join()
    inside = [v for v in ticks if span["start"] <= v <= span["end"]]
    call = span["end"] - span["start"]
    assert inside, "no tick while the core computed"
    pauses = np.diff([span["start"], *inside, span["end"]])
    assert pauses.max() < call / 2, (pauses.max(), call)


def test_input_errors_survive_pickling():
    # Errors raised on Dask workers or in subprocesses reach the caller whole.
    import pickle
    try:
        ntk_lab.kernel(X, network={"depth": 2})
    except ntk_lab.InputError as e:
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is ntk_lab.InputError and back.field == "network.w_std"
    else:
        raise AssertionError("no error")
