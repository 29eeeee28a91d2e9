"""Same seed -> bitwise the same paths and statistics; another seed differs; chunk size, path order
and a Dask thread cluster change nothing (path k depends on the root seed and k only)."""
import numpy as np

from hedgelab.data import align, load
from hedgelab.strategies import get_strategy
from hedgelab.stress.bootstrap import Bootstrap
from hedgelab.stress.cascade import Cascade
from hedgelab.stress.history import History
from hedgelab.stress.jump import Jump
from hedgelab.stress.run import Entry, Plan, make_path, run_paths

_PLAN = {}


def plan(seed, gen="bootstrap"):
    key = (seed, gen)
    if key not in _PLAN:
        ds = load("crisis-2025")
        full = align(ds)
        win = align(ds, "2025-10-08", "2025-10-11")
        h = History.of(full)
        g = Bootstrap.fit(h) if gen == "bootstrap" else Jump.fit(h)
        entries = tuple(Entry(n, get_strategy(n), (get_strategy(n).validate({}),), (n,), "isolated")
                        for n in ("hold", "leveraged-long"))
        _PLAN[key] = Plan(g, win, Cascade.fit(h, full), seed, entries, "binance", 1e5)
    return _PLAN[key]


def same(a, b):
    return all(np.array_equal(a[n][k], b[n][k]) for n in a for k in a[n])


def test_same_seed_bitwise_other_seed_differs():
    a = run_paths(plan(11), 4, chunk=4)
    b = run_paths(plan(11), 4, chunk=4)
    c = run_paths(plan(12), 4, chunk=4)
    assert same(a, b)
    assert not np.array_equal(a["leveraged-long"]["final"], c["leveraged-long"]["final"])


def test_chunking_and_order_do_not_change_paths():
    p = plan(11, "jump")
    whole = run_paths(p, 5, chunk=5)
    assert same(whole, run_paths(p, 5, chunk=2))
    assert same(whole, run_paths(p, 5, chunk=1))
    # path 3 alone is path 3 of the run
    m3 = make_path(p, 3)
    assert np.array_equal(m3.low, make_path(p, 3).low)
    assert not np.array_equal(m3.close, make_path(p, 2).close)


def test_dask_threads_equal_in_process():
    from hedgelab.scale import open_cluster
    p = plan(11)
    serial = run_paths(p, 4, chunk=1)
    with open_cluster("local") as client:
        assert client is not None
        assert same(serial, run_paths(p, 4, chunk=2, client=client))
