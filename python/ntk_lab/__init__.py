"""NTK Lab for Python: the Neural Tangent Kernel core of NTK Lab (Rust), from NumPy.

The same numbers as the ``ntk`` command line and the NTK Lab page, bit for bit:

- :func:`kernel`: analytic (infinite-width) NNGP kernel and NTK Gram matrices, or one
  block of them;
- :func:`kernel_to_npy`: a Gram of any size, tile by tile, into ``.npy`` files within a
  memory bound (or one block into shared files);
- :func:`empirical`: the empirical NTK of a random finite network;
- :func:`train`: a finite network trained by full-batch gradient descent;
- :func:`predict`: the infinite-width ensemble's predictions under gradient descent
  (neural-tangents' ``gradient_descent_mse_ensemble`` conventions);
- :func:`experiment`: any of the page's experiments, with the page's computation;
- :mod:`ntk_lab.dask`: Gram matrices as ``dask.array`` s, computed block by block on
  any Dask cluster.

``network`` is the command line's JSON description as a Python dict: the
fully-connected shorthand ``{"depth": 2, "activation": "relu", "w_std": 1.4142,
"b_std": 0.0, "parameterization": "ntk"}``, or a layer list ``{"layers": [{"conv":
{...}}, {"activation": "relu"}, ...]}`` (dense, conv, pooling, flatten, layer_norm,
residual, attention, kan; ``ntk --help`` lists them). Inputs are NumPy arrays
``n × d`` (fully-connected) or ``n × spatial… × channels`` (layer lists), copied once
into the core (n·d numbers, nothing beside the n² Gram); the Gram matrices come back
without a copy. The GIL is released while the
core computes. Bad input raises :class:`InputError` (a ``ValueError``) with the field
named, e.g. ``network.w_std: is required``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from . import _native
from ._native import InputError

__all__ = [
    "InputError",
    "kernel",
    "kernel_to_npy",
    "empirical",
    "train",
    "predict",
    "experiment",
    "experiments",
]

Progress = Callable[[int, int, str], Optional[bool]]
Get = Union[str, Sequence[str]]


def _error(field: str, message: str) -> InputError:
    """An InputError naming `field`, as the native module raises them."""
    err = InputError(f"{field}: {message}")
    err.field = field
    return err


def _needs_network(network: Any, function: str) -> None:
    if network is None:
        raise TypeError(f"{function}() needs network=…")


def _array(x: Any, field: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise _error(field, f"not an array of numbers ({e})") from None
    return a


def _training(x_train: Any, y_train: Any, x_test: Any) -> dict:
    """The training and test data of `train` and `predict`, as the CLI names them."""
    return {"x_train": _array(x_train, "x_train"), "y_train": _array(y_train, "y_train"),
            "x_test": _array(x_test, "x_test")}


def _dumps(value: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
        raise TypeError(f"{type(o).__name__} is not JSON-serialisable")

    return json.dumps(value, default=default)


def _numpy(value: Any) -> Any:
    """Lists of numbers (of any nesting, rectangular) become float64 arrays."""
    if isinstance(value, dict):
        return {k: _numpy(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return np.asarray(value, dtype=np.float64)
        items = [_numpy(v) for v in value]
        if (
            items
            and all(isinstance(v, np.ndarray) for v in items)
            and len({v.shape for v in items}) == 1
        ):
            return np.stack(items)
        return items
    return value


def _range(r: Optional[Iterable[int]], field: str) -> Optional[tuple]:
    if r is None:
        return None
    r = tuple(int(v) for v in r)
    if len(r) != 2 or min(r) < 0:
        raise _error(field, "must be (start, stop), two whole numbers ≥ 0")
    return r


def kernel(
    x1: Any,
    x2: Any = None,
    network: Optional[Mapping[str, Any]] = None,
    *,
    get: Get = ("nngp", "ntk"),
    rows: Optional[Sequence[int]] = None,
    cols: Optional[Sequence[int]] = None,
) -> dict:
    """The analytic NNGP kernel and NTK Gram matrices K(x1, x2), Θ(x1, x2).

    ``x2=None`` means ``x1`` with itself (only the upper triangle is computed, and the
    result is exactly symmetric). ``get`` chooses the kernels ("nngp", "ntk", or both,
    as in neural-tangents). ``rows=(a, b)`` and ``cols=(c, d)`` compute only the block
    ``K(x1[a:b], x2[c:d])``, equal entry for entry to that block of the whole Gram.
    Memory is bounded (4 GB); larger Grams go through :func:`kernel_to_npy` or
    :func:`ntk_lab.dask.kernel`.

    Returns a dict of float64 arrays, ``n1 × n2``.

    >>> import numpy as np, ntk_lab
    >>> relu = {"depth": 1, "activation": "relu", "w_std": 2 ** 0.5, "b_std": 0.0}
    >>> k = ntk_lab.kernel(np.eye(2), network=relu)
    >>> # Two-layer ReLU NTK, σ_w² = 2, at 0° and 90°: 2 and 1/π (arc-cosine closed form)
    >>> bool(np.allclose(k["ntk"], [[2, 1 / np.pi], [1 / np.pi, 2]], rtol=1e-14, atol=0))
    True
    """
    _needs_network(network, "kernel")
    a = _array(x1, "x1")
    b = None if x2 is None else _array(x2, "x2")
    return _native.kernel(
        _dumps(network),
        a,
        b,
        _dumps(get),
        _range(rows, "rows"),
        _range(cols, "cols"),
    )


def kernel_to_npy(
    x1: Any,
    x2: Any = None,
    network: Optional[Mapping[str, Any]] = None,
    *,
    path: Any,
    get: Get = ("nngp", "ntk"),
    tile_size: Optional[int] = None,
    memory: Optional[int] = None,
    rows: Optional[Sequence[int]] = None,
    cols: Optional[Sequence[int]] = None,
    progress: Optional[Progress] = None,
) -> dict:
    """A Gram matrix of any size into ``path/nngp.npy`` and ``path/ntk.npy``.

    The files are made at full size (sparse) and written in place; square tiles of side
    ``tile_size`` (default: the largest whose computation fits in ``memory`` bytes,
    default 4 GB, at most 4096) are computed and written in place, so memory stays at
    one tile's whatever the Gram's size. For K(x1, x1) only the tiles on and above the
    diagonal are computed (each is written twice). With ``rows``/``cols``, only that
    block is computed and written into the shared full-size files (created zeroed by
    whichever writer comes first): that is how a scheduler farms blocks out.
    ``progress(done, total, stage)`` is called before each tile; returning False
    cancels. Ctrl-C cancels too. Open the result with
    ``numpy.load(path + "/ntk.npy", mmap_mode="r")``.

    Returns ``{"files": {...}, "shape": [n1, n2], "tile_size": t, "tiles": k}``.

    >>> import numpy as np, ntk_lab, tempfile
    >>> x = np.random.default_rng(0).normal(size=(50, 3))
    >>> net = {"depth": 2, "activation": "erf", "w_std": 1.3, "b_std": 0.1}
    >>> out = ntk_lab.kernel_to_npy(x, network=net, path=tempfile.mkdtemp(), tile_size=16)
    >>> out["tiles"], out["shape"]
    (10, [50, 50])
    >>> bool((np.load(out["files"]["ntk"]) == ntk_lab.kernel(x, network=net)["ntk"]).all())
    True
    """
    _needs_network(network, "kernel_to_npy")
    a = _array(x1, "x1")
    b = None if x2 is None else _array(x2, "x2")
    return json.loads(
        _native.kernel_to_npy(
            _dumps(network),
            a,
            str(path),
            b,
            _dumps(get),
            tile_size,
            memory,
            _range(rows, "rows"),
            _range(cols, "cols"),
            progress,
        )
    )


def _verb(verb: str, request: dict) -> dict:
    return _numpy(json.loads(_native.run(verb, _dumps(request))))


def empirical(
    x1: Any,
    x2: Any = None,
    network: Optional[Mapping[str, Any]] = None,
    *,
    seed: int = 0,
    method: Optional[str] = None,
) -> dict:
    """The empirical NTK (and, for the fully-connected shorthand, NNGP kernel) of one
    random finite network: ``network`` with ``"width"`` (or ``"widths"``, or a layer
    list with finite ``out`` sizes), initialised from ``seed``.

    For a layer list, ``method`` is "structured" (per-layer Gram matrices, never the
    Jacobian) or "jacobian", and the result also holds the outputs ``f1``, ``f2`` and
    the parameter count.

    >>> import numpy as np, ntk_lab
    >>> net = {"depth": 2, "activation": "relu", "w_std": 1.4142, "width": 256}
    >>> k = ntk_lab.empirical(np.eye(3), network=net, seed=0)
    >>> k["ntk"].shape, bool(np.allclose(k["ntk"], k["ntk"].T))
    ((3, 3), True)
    """
    _needs_network(network, "empirical")
    request: dict = {"network": network, "seed": seed, "x1": _array(x1, "x1")}
    if x2 is not None:
        request["x2"] = _array(x2, "x2")
    if method is not None:
        request["method"] = method
    return _verb("empirical", request)


def train(
    x_train: Any,
    y_train: Any,
    x_test: Any,
    network: Optional[Mapping[str, Any]] = None,
    *,
    learning_rate: float,
    steps: int,
    seed: int = 0,
    record_every: int = 1,
    **options: Any,
) -> dict:
    """Full-batch gradient descent on (1/2N)‖f(x_train) − y_train‖² for a random
    finite network (``network`` with a width), as the page trains.

    Returns the losses, predictions, NTK drift and weight change at the recorded steps,
    and the critical learning rate 2N/λ_max(Θ̂₀) (``ntk --help`` lists every field;
    ``options`` passes any other field of the command line's ``train``).

    >>> import numpy as np, ntk_lab
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]); y = np.array([1.0, -1.0, 0.5])
    >>> net = {"depth": 1, "activation": "relu", "w_std": 1.4142, "width": 512}
    >>> r = ntk_lab.train(x, y, x[:1], network=net, learning_rate=0.5, steps=200, record_every=50)
    >>> bool(r["train_loss"][-1] < 1e-2 * r["train_loss"][0])
    True
    """
    _needs_network(network, "train")
    request = {
        "network": network,
        "seed": seed,
        **_training(x_train, y_train, x_test),
        "learning_rate": learning_rate,
        "steps": steps,
        "record_every": record_every,
        **options,
    }
    return _verb("train", request)


def predict(
    x_train: Any,
    y_train: Any,
    x_test: Any,
    network: Optional[Mapping[str, Any]] = None,
    *,
    times: Sequence[Optional[float]] = (None,),
    kernel: str = "ntk",
    **options: Any,
) -> dict:
    """The infinite-width ensemble's mean predictions under gradient descent at
    ``times`` (None = t = ∞), with neural-tangents' ``gradient_descent_mse_ensemble``
    conventions (``learning_rate``, ``diag_reg`` in ``options``).

    >>> import numpy as np, ntk_lab
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([1.0, -1.0])
    >>> net = {"depth": 2, "activation": "erf", "w_std": 1.5, "b_std": 0.1}
    >>> p = ntk_lab.predict(x, y, x, network=net, times=[None])
    >>> np.round(p["test_mean"][0].ravel(), 8)   # t = ∞ interpolates the training set
    array([ 1., -1.])
    """
    _needs_network(network, "predict")
    request = {
        "network": network,
        "kernel": kernel,
        **_training(x_train, y_train, x_test),
        "times": list(times),
        **options,
    }
    return _verb("predict", request)


def experiment(name: str, progress: Optional[Progress] = None, **params: Any) -> dict:
    """Run the page's experiment ``name`` with the page's computation.

    ``params`` are its parameters (every one optional: the page's defaults otherwise;
    :func:`experiments` lists them). ``progress(done, total, stage)`` is called as it
    goes; returning False cancels. Numeric lists in the result become float64 arrays.

    >>> import ntk_lab
    >>> net = {"depth": 1, "activation": "relu", "w_std": 1.4142, "b_std": 0.0}
    >>> r = ntk_lab.experiment("spectrum", network=net, data={"n": 32, "d": 2, "seed": 0,
    ...                        "distribution": {"distribution": "circle"}})
    >>> r["eigenvalues"].shape, bool((r["eigenvalues"][:-1] >= r["eigenvalues"][1:]).all())
    ((32,), True)
    """
    return _numpy(json.loads(_native.experiment(name, _dumps(params), progress)))


def experiments() -> list:
    """Every experiment: ``[{"name", "description", "defaults"}]``.

    >>> import ntk_lab
    >>> "kernel" in [e["name"] for e in ntk_lab.experiments()]
    True
    """
    return json.loads(_native.experiment_list())
