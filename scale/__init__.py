"""Scale-out of sweeps and stress runs on Dask (threads, processes, or an existing cluster).

The stable API other parts of hedgelab build on (sweeps, stress runs):

``open_cluster(spec=None, client=None)``
    Context manager yielding a ``dask.distributed.Client``, or None to run in this process.
    ``spec``: None/"none" (in-process), "local" (thread LocalCluster in this process),
    "local-processes[:N]" (N worker processes), "tcp://HOST:PORT" (an existing scheduler) or a
    scheduler-file path. A ``client`` passed in is used as is and not closed; whatever the spec
    started or connected is closed on exit. A bad spec or an unreachable scheduler is a one-line
    ``UserError``::

        with open_cluster("local-processes:2") as client:
            results = list(map_chunks(run_one_chunk, chunks, client=client, desc="stress"))

``map_chunks(func, items, *, client=None, desc="", progress=True, sizes=None)``
    Generator of ``func(item)`` for each item, **in item order** (never completion order), with a
    progress bar in chunks (and columns/s when ``sizes`` gives columns per item). ``func`` is a
    module-level function; items are small (ids, parameter sets, seeds, a market key), never
    market arrays. ``client=None`` runs in this process, one item after another.
    Random draws inside ``func`` must derive from a root seed and the item's id (e.g.
    ``np.random.SeedSequence(root).spawn(n)[item_id]``), never from the worker or the order.

``share_market(market, client=None, source=None) -> key`` / ``market_of(key)``
    Put aligned ``MarketArrays`` on every worker once (a WorkerPlugin keyed by a content hash) and
    read them back inside a task. See ``hedgelab.scale.market``.

``chunk_columns(n_columns, n_bars, workers, most=None)`` / ``split(n, size)``
    The chunk plan: contiguous column ranges of ~1-10 s of kernel work each.
"""
from hedgelab.scale.chunks import chunk_columns, map_chunks, split
from hedgelab.scale.cluster import open_cluster, parse_spec, worker_count

__all__ = ["open_cluster", "map_chunks", "chunk_columns", "split", "parse_spec", "worker_count",
           "share_market", "market_of"]


def __getattr__(name):
    if name in ("share_market", "market_of"):
        from hedgelab.scale import market
        return getattr(market, name)
    raise AttributeError(f"module 'hedgelab.scale' has no attribute {name!r}")
