"""A Gram of n = 20 000 computed by a Dask LocalCluster of 2 worker processes, in
tiles of 4000, stored into one .npy file, equals the direct computation on sampled
blocks. Writes the time and each worker's peak memory to NTK_DASK_REPORT (a JSON
file), if set, and prints them."""

import json
import os
import resource
import time

import numpy as np
import pytest

import ntk_lab
import ntk_lab.dask

distributed = pytest.importorskip("distributed")

NET = {"depth": 3, "activation": "relu", "w_std": 1.4142, "b_std": 0.1}


def _peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_a_20000_gram_on_a_two_process_cluster(tmp_path):
    n, chunk = 20_000, 4000
    x = np.random.default_rng(11).normal(size=(n, 10))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        before = client.run(_peak_rss_bytes)
        k = ntk_lab.dask.kernel(x, network=NET, chunks=chunk, get="ntk")["ntk"]
        assert k.shape == (n, n) and k.chunks[0] == (chunk,) * 5
        start = time.perf_counter()
        path = ntk_lab.dask.to_npy(k, tmp_path / "ntk.npy")
        seconds = time.perf_counter() - start
        peaks = client.run(_peak_rss_bytes)
    g = np.load(path, mmap_mode="r")
    assert g.shape == (n, n) and g.dtype == np.float64
    # Sampled blocks: on, above and below the diagonal, and ones that straddle the
    # tiling, each against one direct call on the same rows and columns.
    rng = np.random.default_rng(0)
    blocks = [((0, 500), (0, 500)), ((3900, 4100), (3900, 4100)),
              ((12_000, 12_300), (100, 700)), ((19_500, 20_000), (15_800, 16_400))]
    for _ in range(4):
        a, b = rng.integers(0, n - 300, size=2)
        blocks.append(((int(a), int(a) + 300), (int(b), int(b) + 300)))
    for r, c in blocks:
        direct = ntk_lab.kernel(x[r[0]:r[1]], x[c[0]:c[1]], network=NET)["ntk"]
        np.testing.assert_array_equal(g[r[0]:r[1], c[0]:c[1]], direct)
    # The diagonal block in full against the symmetric one-call Gram of its points.
    d = ntk_lab.kernel(x[8000:12000], network=NET)["ntk"]
    np.testing.assert_array_equal(g[8000:12000, 8000:12000], d)
    report = {
        "n": n, "chunk": chunk, "workers": 2, "seconds": round(seconds, 2),
        "peak_rss_mb_before": {w: round(v / 2**20) for w, v in before.items()},
        "peak_rss_mb": {w: round(v / 2**20) for w, v in peaks.items()},
        "file_gb": round(os.path.getsize(path) / 1e9, 2),
    }
    print(json.dumps(report))
    if os.environ.get("NTK_DASK_REPORT"):
        with open(os.environ["NTK_DASK_REPORT"], "w") as f:
            json.dump(report, f, indent=1)
    del g
    os.remove(path)
