"""The Dask WorkerPlugin that puts a sweep's market into each worker's memory once."""
from __future__ import annotations

from dask.distributed import WorkerPlugin

from hedgelab.core.errors import one_line
from hedgelab.scale import market as registry


class MarketPlugin(WorkerPlugin):
    """On each worker: load ``source`` (or take the shipped ``arrays``) under ``key``.

    A worker that cannot load the data, or loads different data (another hash), records why; the
    sweep's warm-up reports it as one line naming the worker instead of failing every task.
    """

    def __init__(self, key: str, source=None, arrays=None):
        self.key, self.source, self.arrays = key, source, arrays

    def setup(self, worker):
        if registry.has_market(self.key):   # a thread worker in the driver's process
            return
        try:
            market = self.arrays if self.arrays is not None else registry.load_source(self.source)
            found = registry.content_key(market)
            if found != self.key:
                registry.cannot_hold(self.key, f"its copy of dataset {self.source.data!r} differs from the "
                                               f"driver's (hash {found}, expected {self.key})")
                return
            registry.remember(self.key, market)
        except Exception as exc:  # noqa: BLE001 -- reported by the warm-up, naming this worker
            registry.cannot_hold(self.key, f"cannot load dataset {getattr(self.source, 'data', '?')!r}: "
                                           f"{one_line(exc, kind=False)}")
