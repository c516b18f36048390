"""Gram matrices larger than one machine, on Dask.

:func:`kernel` returns the analytic NNGP kernel and NTK as ``dask.array`` s whose
blocks are computed by :func:`ntk_lab.kernel` (``rows=…, cols=…``) wherever Dask runs
them: threads, a ``distributed.LocalCluster``, or a cluster on Kubernetes or Slurm
(``dask_kubernetes``, ``dask_jobqueue``). The inputs are one graph key each, sent once
to each worker; a block needs nothing but them, so blocks never talk to each other.

:func:`to_npy` stores such an array into one ``.npy`` file on a file system the
workers share, each worker writing its blocks in place through a memory map; Dask's
own ``dask.array.to_zarr`` works as well for object stores.

For K(X, X) every block is computed, the blocks below the diagonal as well as those
above: twice the arithmetic of the one-machine path (:func:`ntk_lab.kernel_to_npy`
mirrors), in exchange for blocks with no dependencies between them.
"""

from __future__ import annotations

import operator
import os
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

import ntk_lab

try:
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph
except ImportError as e:  # pragma: no cover - a clear message for a missing extra
    raise ImportError(
        "ntk_lab.dask needs Dask: pip install 'dask[array]' distributed "
        "(or the package's [dask] extra)"
    ) from e

__all__ = ["kernel", "to_npy"]


def _block(network: Mapping[str, Any], x1: np.ndarray, x2: Optional[np.ndarray],
           rows: tuple, cols: tuple, get: Sequence[str]) -> dict:
    return ntk_lab.kernel(x1, x2, network=network, get=list(get), rows=rows, cols=cols)


def _bounds(n: int, chunk: int) -> list:
    return [(a, min(a + chunk, n)) for a in range(0, n, chunk)]


def kernel(
    x1: Any,
    x2: Any = None,
    network: Optional[Mapping[str, Any]] = None,
    *,
    chunks: Union[int, Sequence[int]] = 4000,
    get: Union[str, Sequence[str]] = ("nngp", "ntk"),
) -> dict:
    """The analytic kernels K(x1, x2) as ``dask.array`` s, blocks of ``chunks`` rows ×
    ``chunks`` columns (an int, or (row_chunk, col_chunk)).

    Nothing is computed until you ask (``.compute()``, ``dask.compute(…)``,
    :func:`to_npy`, ``.to_zarr``); each block is then one call of
    :func:`ntk_lab.kernel` on a worker, and equals that block of the one-call Gram
    entry for entry. Computing both kernels of one block together costs one call.

    >>> import numpy as np, dask, ntk_lab, ntk_lab.dask
    >>> x = np.random.default_rng(0).normal(size=(30, 4))
    >>> net = {"depth": 2, "activation": "relu", "w_std": 1.4, "b_std": 0.1}
    >>> k = ntk_lab.dask.kernel(x, network=net, chunks=8)
    >>> k["ntk"].chunks[0]
    (8, 8, 8, 6)
    >>> bool((k["ntk"].compute(scheduler="sync") == ntk_lab.kernel(x, network=net)["ntk"]).all())
    True
    """
    ntk_lab._needs_network(network, "kernel")
    names = [get] if isinstance(get, str) else list(get)
    a = np.asarray(x1, dtype=np.float64)
    b = None if x2 is None else np.asarray(x2, dtype=np.float64)
    if a.ndim < 2 or (b is not None and b.ndim < 2):
        raise ntk_lab._error("x1", "inputs are n × d (or n × spatial… × channels)")
    rc, cc = (chunks, chunks) if isinstance(chunks, int) else tuple(chunks)
    if rc < 1 or cc < 1:
        raise ntk_lab._error("chunks", "must be at least 1")
    n1 = a.shape[0]
    n2 = n1 if b is None else b.shape[0]
    rb, cb = _bounds(n1, rc), _bounds(n2, cc)
    # Check the network and the inputs now, on one entry, rather than on a worker.
    ntk_lab.kernel(a, b, network=network, get=names, rows=(0, 1), cols=(0, 1))

    token = tokenize(a, b, dict(network), rc, cc, names)
    x1_key, x2_key = f"ntk-lab-x1-{token}", f"ntk-lab-x2-{token}"
    both = f"ntk-lab-blocks-{token}"
    layer: dict = {x1_key: a, x2_key: b}
    for i, r in enumerate(rb):
        for j, c in enumerate(cb):
            layer[(both, i, j)] = (_block, dict(network), x1_key, x2_key, r, c, names)
    layers = {both: layer}
    deps: dict = {both: set()}
    out = {}
    chunk_sizes = (tuple(r[1] - r[0] for r in rb), tuple(c[1] - c[0] for c in cb))
    for name in names:
        key = f"ntk-lab-{name}-{token}"
        layers[key] = {
            (key, i, j): (operator.getitem, (both, i, j), name)
            for i in range(len(rb))
            for j in range(len(cb))
        }
        deps[key] = {both}
    graph = HighLevelGraph(layers, deps)
    for name in names:
        key = f"ntk-lab-{name}-{token}"
        out[name] = da.Array(graph, key, chunk_sizes, dtype=np.float64,
                             meta=np.empty((0, 0), dtype=np.float64))
    return out


class _NpyTarget:
    """A ``da.store`` target: writes a block into an existing C-order float64 ``.npy``
    file row by row with positioned writes, on the worker (only the path is sent).
    Not through a writable memory map: pages dirtied through a map are written back
    whole, and on a network file system two machines writing neighbouring blocks
    would overwrite each other's entries."""

    def __init__(self, path: str, shape: tuple, offset: int):
        self.path = path
        self.shape = shape
        self.offset = offset
        self.dtype = np.dtype(np.float64)
        self.ndim = len(shape)

    def __setitem__(self, key: Any, value: np.ndarray) -> None:
        rows, cols = key
        r0 = rows.start or 0
        c0 = cols.start or 0
        block = np.ascontiguousarray(value, dtype="<f8")
        fd = os.open(self.path, os.O_WRONLY)
        try:
            for i, row in enumerate(block):
                at = self.offset + ((r0 + i) * self.shape[1] + c0) * 8
                os.pwrite(fd, row.tobytes(), at)
        finally:
            os.close(fd)


def to_npy(array: "da.Array", path: Any, compute: bool = True) -> Any:
    """Store a 2-D float64 ``dask.array`` into the ``.npy`` file ``path`` (made at full
    size here, zero-filled and sparse; each worker writes its blocks in place). The
    path must be on a file system every worker sees. Returns ``path``, or the delayed
    store with ``compute=False``.

    >>> import numpy as np, tempfile, os, ntk_lab, ntk_lab.dask
    >>> x = np.random.default_rng(1).normal(size=(20, 3))
    >>> net = {"depth": 1, "activation": "erf", "w_std": 1.2, "b_std": 0.3}
    >>> p = ntk_lab.dask.to_npy(ntk_lab.dask.kernel(x, network=net, chunks=7)["ntk"],
    ...                         os.path.join(tempfile.mkdtemp(), "ntk.npy"))
    >>> bool((np.load(p) == ntk_lab.kernel(x, network=net)["ntk"]).all())
    True
    """
    path = str(path)
    if array.ndim != 2:
        raise ntk_lab._error("array", "to_npy stores 2-D arrays (a Gram matrix)")
    m = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=array.shape)
    offset = m.offset
    del m
    stored = da.store(array, _NpyTarget(path, array.shape, offset), lock=False,
                      compute=compute)
    return path if compute else stored
