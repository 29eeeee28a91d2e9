"""A sweep's parameter sets as chunks of contiguous columns, run in this process or on Dask workers.

The driver validates and labels every set, shares the market once (``hedgelab.scale.market``),
warms every worker up (strategy found, market loaded, kernel compiled: one line naming the worker
when not), then maps ``run_chunk`` over the chunks. Each chunk builds its own spec from its own sets
and calls the engine, which gives every column the same numbers whatever its neighbours, so the
result does not depend on the chunk size or on where a chunk ran (docs/determinism.md).
Summary-mode chunks are written to a rows folder as they arrive (``hedgelab.scale.rows``), which
``resume`` reads back instead of recomputing them.
"""
from __future__ import annotations

import sys
import threading
from typing import NamedTuple

import numpy as np

from hedgelab.core.errors import UserError, one_line
from hedgelab.scale.chunks import chunk_columns, map_chunks, split
from hedgelab.scale.cluster import worker_count
from hedgelab.scale.market import Source, market_of, share_market

# The kernel allocates an event buffer per column for the worst case (every bar rebalancing);
# bounding it per chunk bounds a worker's memory whatever the sweep's size. Only the pages events
# are written to become resident, a small part of it.
EVENT_BUFFER_BYTES = 2**30
CHUNK = 256   # most parameter sets per engine call when per-bar curves are kept: bounds their memory

_CLASSES: dict = {}      # (strategy name, strategies dir) -> Strategy class, per process
_CLASSES_LOCK = threading.Lock()


class ChunkJob(NamedTuple):
    """One task: contiguous columns of one feature group. Small: no arrays."""
    chunk: int              # chunk id (its place in the sweep)
    market: str             # key of the shared market
    strategy: str
    strategies_dir: str | None
    positions: tuple        # the columns' places in the sweep
    param_sets: tuple       # validated parameter dicts
    labels: tuple           # labels computed over the whole sweep ("" = from the spec)
    engine: dict            # simulate() keyword arguments (venue, margin mode, capital, ...)


def run_columns(cls, name: str, validated: list, labels, market, engine: dict, bar, *, source: Source | None,
                strategies_dir: str | None = None, client=None, rows=None, chunk_size: int | None = None,
                progress: bool = False):
    """RunRecords for ``validated`` (in that order), chunked over ``client`` or in this process (a
    ``SummaryRuns`` in summary mode).

    ``source``: where a worker loads the market from (None: the arrays are shipped); ``rows``: a ``hedgelab.scale.rows.RowsFolder``
    for a summary-mode sweep that streams its rows; ``chunk_size``: columns per chunk (None: a plan).
    """
    _remember_class(name, strategies_dir, cls)
    key = share_market(market, client, source)
    sink = rows if engine.get("summary_only") else None
    groups = cls.feature_groups(validated, validated=True)
    bounds = sink.bounds if sink is not None and sink.bounds else plan(groups, chunk_size, engine,
                                                                         len(market.time_ns), worker_count(client))
    jobs = [ChunkJob(c, key, name, strategies_dir, cols, tuple(validated[k] for k in cols),
                     tuple(labels[k] or "" for k in cols), dict(engine))
            for c, cols in enumerate(tuple(groups[g][lo:hi]) for g, lo, hi in bounds)]
    if engine.get("summary_only"):   # by column, not a RunRecord per run (reports.run.SummaryRuns)
        import pandas as pd

        from hedgelab.reports.run import SummaryRuns
        records = SummaryRuns(name, engine["capital"], labels, validated)
        records.window = (pd.Timestamp(int(market.time_ns[0]), tz="UTC"), pd.Timestamp(int(market.time_ns[-1]), tz="UTC"),
                          int(market.bar_seconds))
    else:
        records = [None] * len(validated)
    done = set()
    if sink is not None:
        sink.start(bounds, key)
        for job in jobs:
            block = sink.read(job)
            if block is not None:
                _place(records, job, block, bar)
                done.add(job.chunk)
    todo = [job for job in jobs if job.chunk not in done]
    if client is not None and todo:
        warm_up(client, todo[0])
    results = map_chunks(run_chunk, todo, client=client, desc=f"{name} chunks",
                         progress=client is not None and progress,
                         sizes=[len(job.positions) for job in todo])
    for job, out in zip(todo, results):
        if sink is not None:
            sink.write(job, *out)
        _place(records, job, out, bar)
    if sink is not None:
        sink.complete()
    return records


def event_bytes_per_column(n_bars: int) -> int:
    """Upper bound of the kernel's event buffer for one column (engine/simulate.py's capacity rule
    with every bar a rebalance and a funding settlement)."""
    from hedgelab.engine.nb.records import event_dt
    return (16 + 7 * n_bars) * event_dt.itemsize


def plan(groups, size, engine, n_bars, workers) -> list[tuple]:
    """(group, lo, hi) per chunk: contiguous columns within each feature group, in sweep order."""
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        raise UserError(f"chunk_size {size!r}: expected a whole number of columns >= 1")
    most = CHUNK if not engine.get("summary_only") else max(1, EVENT_BUFFER_BYTES // event_bytes_per_column(n_bars))
    bounds = []
    for g, group in enumerate(groups):
        step = size or chunk_columns(len(group), n_bars, workers, most=most)
        bounds.extend((g, lo, hi) for lo, hi in split(len(group), step))
    return bounds


def run_chunk(job: ChunkJob):
    """One chunk -> its RunRecords, or in summary mode its ``summary_block`` (on whichever worker runs it)."""
    from hedgelab.engine import simulate
    from hedgelab.reports.record import run_label, to_record
    from hedgelab.reports.run import RunRecord
    market = market_of(job.market)
    cls = strategy_class(job.strategy, job.strategies_dir)
    _share_cores()
    spec = cls().spec(market, list(job.param_sets))
    # a hook's mistake stops its own column only: the chunk's other runs are results
    sim = simulate(market, spec, column_errors="keep", **job.engine)
    sim.errors = {j: _in_sweep(text, spec.labels[j], j, job.labels[j] or spec.labels[j], job.positions[j])
                  for j, text in sim.errors.items()}
    if job.engine.get("summary_only"):
        return summary_block(sim)
    labels = [job.labels[j] or run_label(spec, j, job.strategy, params) for j, params in enumerate(job.param_sets)]
    records = [to_record(sim, j, labels[j], job.strategy, params, market, job.engine["capital"])
               if j not in sim.errors else
               RunRecord(name=labels[j], strategy=job.strategy, params=params, capital=float(job.engine["capital"]),
                         error=sim.errors[j])
               for j, params in enumerate(job.param_sets)]
    from hedgelab.strategies.waiting import late_starts
    late = late_starts(spec._replace(labels=tuple(labels)), sim.events, int(getattr(cls, "warmup_bars", 0)),
                       sim.equity.index)
    for j, line in late.items():
        if records[j].error is None:
            records[j].warnings.append(line)
    return records


def _in_sweep(message: str, label: str, j: int, run: str, position: int) -> str:
    """An engine message names column j of its own call by the chunk's label; the user knows the run by
    its label and place in the whole sweep."""
    head = f"{label} (column {j}) "
    return f"{run} (column {position}) {message[len(head):]}" if message.startswith(head) else message


def summary_block(sim) -> tuple:
    """(statistic names, float64 rows, {row: why a hook's mistake stopped it}) of a summary-mode chunk:
    the engine's summary array as is, but max_drawdown as ``to_record`` gives it (a negative decimal).

    Big sweeps keep summaries only: a million columns of events (hundreds each) do not fit in
    memory, and filtering them per column costs milliseconds a run.
    """
    names = tuple(sim.summary.columns)
    values = sim.summary.to_numpy(dtype="float64", copy=True)
    if "max_drawdown" in names:
        k = names.index("max_drawdown")
        values[:, k] = 0.0 - np.abs(values[:, k])
    return names, values, dict(sim.errors)


def warm_up(client, job: ChunkJob) -> None:
    """On every worker: find the strategy, read the market, compile the kernel (one column).

    So the first chunks do not all wait for numba at once, and a worker that lacks the plugin or
    the data says so in one line naming it, before any chunk runs.
    """
    answers = client.run(_warm_one, job._replace(positions=job.positions[:1], param_sets=job.param_sets[:1],
                                                 labels=job.labels[:1]))
    for address, problem in sorted(answers.items()):
        if problem:
            raise UserError(f"worker {address}: {problem}")


def _warm_one(job: ChunkJob):
    try:
        run_chunk(job)
    except Exception as exc:  # noqa: BLE001 -- returned to the driver as one line
        return one_line(exc, kind=False).removeprefix(f"worker {_address()}: ")
    return None


def strategy_class(name: str, strategies_dir=None):
    """The Strategy class on this worker (discovered once per process)."""
    key = (name, strategies_dir)
    with _CLASSES_LOCK:
        if key in _CLASSES:
            return _CLASSES[key]
    from hedgelab.strategies import get_strategy
    try:
        cls = get_strategy(name, strategies_dir)
    except UserError as exc:
        raise UserError(f"worker {_address()}: strategy {name!r} is not available there ({exc})") from None
    _remember_class(name, strategies_dir, cls)
    return cls


def _remember_class(name, strategies_dir, cls) -> None:
    with _CLASSES_LOCK:
        _CLASSES[(name, _text(strategies_dir))] = cls


def _share_cores() -> None:
    """On a Dask worker with several task threads, each kernel call's prange takes its share of the
    worker's numba threads (numba's thread count is per calling thread), so two chunks running side
    by side do not each start one thread per core. In this process (no Dask) the kernel keeps them all."""
    worker = sys.modules.get("distributed.worker")
    if worker is None:  # Dask was never imported here, so this is no worker (importing it costs ~1 s)
        return
    try:
        threads = worker.get_worker().state.nthreads
    except ValueError:
        return
    import numba
    numba.set_num_threads(max(1, numba.config.NUMBA_NUM_THREADS // max(1, threads)))


def _place(records, job, out, bar) -> None:
    if isinstance(records, list):
        for k, record in zip(job.positions, out):
            records[k] = record
    else:
        records.fill(job.positions, *out)
    bar.update(len(job.positions))


def _text(value):
    return None if value is None else str(value)


def _address() -> str:
    from dask.distributed import get_worker
    try:
        return get_worker().address
    except ValueError:
        return "(this process)"
