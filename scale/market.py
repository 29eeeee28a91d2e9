"""Market arrays reach each worker once, never inside a task.

``share_market`` computes a content hash of the aligned ``MarketArrays`` (the key) and registers a
``WorkerPlugin`` that, on every worker (and on workers that join later, e.g. one restarted after a
crash), loads the dataset **by name from the worker's own store** and aligns it into a module global
keyed by that hash; a task reads it with ``market_of(key)``. A worker whose store holds different
data for the name gets a different hash and is refused, so a sweep never mixes two datasets. Arrays
that exist only in memory (stress paths) travel in the plugin itself, once per worker.

Thread workers (``local``) live in this process and find the arrays already here: no copy.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple
import hashlib
import threading

import numpy as np

from hedgelab.core.errors import UserError

KEEP = 8   # markets kept per process (a sweep uses one; stress runs a few)

_MARKETS: OrderedDict = OrderedDict()   # key -> MarketArrays (or a tuple of them)
_PROBLEMS: dict = {}                     # key -> why this worker could not load it
_LOCK = threading.Lock()


class Source(NamedTuple):
    """Where a worker finds a market: a dataset name in its store (or built in) and the window."""
    data: str
    store: str | None = None
    start: str | None = None
    end: str | None = None


def content_key(market) -> str:
    """A hash of every field of one MarketArrays (or of a tuple of them): equal data, equal key."""
    h = hashlib.blake2b(digest_size=12)
    for m in (market if isinstance(market, tuple) and not hasattr(market, "_fields") else (market,)):
        for name in m._fields:
            value = getattr(m, name)
            h.update(name.encode())
            if isinstance(value, np.ndarray):
                h.update(str(value.dtype).encode())
                h.update(np.ascontiguousarray(value).tobytes())
            else:
                h.update(repr(value).encode())
    return h.hexdigest()


def share_market(market, client=None, source: Source | None = None) -> str:
    """Make ``market`` readable by ``market_of(key)`` here and on every worker of ``client``; the key.

    ``source``: how a worker loads it itself (dataset name, store, start, end); without it the arrays
    are shipped inside the plugin, once per worker.
    """
    key = content_key(market)
    remember(key, market)
    if client is not None:
        from hedgelab.scale.plugin import MarketPlugin
        client.register_plugin(MarketPlugin(key, source=source, arrays=None if source else market),
                               name=f"hedgelab-market-{key}")
    return key


def market_of(key: str):
    """The market registered under ``key`` in this process (inside a task: on this worker)."""
    with _LOCK:
        market = _MARKETS.get(key)
    if market is not None:
        return market
    reason = _PROBLEMS.get(key, "it was never shared with this worker")
    raise UserError(f"worker {_worker_address()}: market {key} not available ({reason})")


def cannot_hold(key: str, reason: str) -> None:
    """Record why this process could not load the market under ``key``: ``market_of`` says it."""
    _PROBLEMS[key] = reason


def load_source(source: Source):
    """Load and align a dataset as the driver does (hedgelab.data)."""
    from hedgelab.data import align, load
    return align(load(source.data, source.store), source.start, source.end)


def has_market(key: str) -> bool:
    """Whether this process already holds the market under ``key`` (a thread worker in the driver)."""
    with _LOCK:
        return key in _MARKETS


def remember(key, market) -> None:
    """Hold ``market`` under ``key`` in this process (the oldest beyond KEEP are dropped)."""
    with _LOCK:
        _MARKETS[key] = market
        _MARKETS.move_to_end(key)
        while len(_MARKETS) > KEEP:
            _MARKETS.popitem(last=False)


def _worker_address() -> str:
    try:
        from dask.distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return "(this process)"
