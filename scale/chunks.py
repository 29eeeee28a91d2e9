"""Run a module-level function over a list of items, in this process or on Dask, results in item order.

Results come back keyed by the item's index, never by completion order, so what a caller builds from
them does not depend on which worker finished first (docs/determinism.md). A task lost with its
worker is recomputed elsewhere by the scheduler; its result is the same because it depends only on
its item.
"""
from __future__ import annotations

import time
import uuid

# A chunk of work should take 1-10 s: long enough that scheduling (~1 ms a task) is noise, short
# enough that progress moves and a lost worker costs little. The kernel's cost per bar x column
# for a strategy deciding every bar (perp-hedge on hourly bars), measured with
# benchmarks/bench_scale.py on the 2-core machine: 0.3-0.5 M bar x columns/s per worker under load.
SECONDS_PER_BAR_COLUMN = 5e-7
TARGET_CHUNK_SECONDS = 2.0


def chunk_columns(n_columns: int, n_bars: int, workers: int = 1, *, most: int | None = None,
                  cost: float = SECONDS_PER_BAR_COLUMN, target: float = TARGET_CHUNK_SECONDS) -> int:
    """Columns per chunk: ~``target`` seconds of kernel work, at most ``most``, and small enough that
    every worker thread gets a few chunks (load balance, and progress that moves)."""
    by_time = int(target / max(cost * max(n_bars, 1), 1e-12))
    by_balance = -(-n_columns // (4 * max(workers, 1)))
    size = max(1, min(by_time, by_balance))
    if most is not None:
        size = min(size, int(most))
    return max(1, min(size, max(n_columns, 1)))


def split(n: int, size: int) -> list[tuple[int, int]]:
    """[lo, hi) bounds of contiguous chunks of ``size`` (the last one shorter)."""
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def map_chunks(func, items, *, client=None, desc: str = "", progress: bool = True, sizes=None):
    """Yield ``func(item)`` for every item, in item order.

    ``func`` must be a module-level function (workers import it by name) and ``item`` small
    (parameters, ids, a dataset key: never market arrays, which reach workers once through
    ``hedgelab.scale.market``). ``client``: a ``dask.distributed.Client``, or None to run here one
    item after another. ``sizes``: columns per item, for the progress bar's columns/s. Results are
    yielded as soon as every earlier item is done; an exception in a task is raised here and the
    remaining tasks are cancelled.
    """
    items = list(items)
    bar = _bar(len(items), desc, progress)
    meter = _Meter(bar, sizes)
    try:
        if client is None:
            for k, item in enumerate(items):
                result = func(item)
                meter.done(k)
                yield result
            return
        yield from _on_dask(client, func, items, meter)
    finally:
        bar.close()


def _on_dask(client, func, items, meter):
    from dask.distributed import as_completed
    # pure=False + our own keys: an item resubmitted in a later sweep is computed again, never
    # served from a stale result; the run id keeps keys of concurrent sweeps apart.
    run = uuid.uuid4().hex[:8]
    name = getattr(func, "__name__", "task")
    futures = [client.submit(func, item, key=f"hedgelab-{name}-{run}-{k}", pure=False)
               for k, item in enumerate(items)]
    index = {f.key: k for k, f in enumerate(futures)}
    ready = {}
    following = 0
    try:
        for future in as_completed(futures):
            k = index[future.key]
            ready[k] = future.result()   # raises the task's own exception
            future.release()
            meter.done(k)
            while following in ready:
                yield ready.pop(following)
                following += 1
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)


class _Meter:
    """Chunks done on the bar; columns per second as its postfix."""

    def __init__(self, bar, sizes):
        self.bar, self.sizes = bar, list(sizes) if sizes is not None else None
        self.start, self.columns = time.perf_counter(), 0

    def done(self, k):
        self.bar.update(1)
        if self.sizes is not None:
            self.columns += int(self.sizes[k])
            rate = self.columns / max(time.perf_counter() - self.start, 1e-9)
            self.bar.set_postfix_str(f"{rate:,.0f} columns/s", refresh=False)


def _bar(total, desc, progress):
    from tqdm.auto import tqdm

    from hedgelab.engine.warmup import PatientBar
    # no time left shown while the kernel compiles (the first chunks wait for it): PatientBar
    return PatientBar(tqdm(total=total, desc=desc or None, unit="chunk", disable=not progress or total == 0,
                           leave=False, dynamic_ncols=True))
