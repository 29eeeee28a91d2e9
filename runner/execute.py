"""``execute``: a prepared run's strategies through the engine, in chunks of columns, into a ``Result``.

Per strategy one ``StrategySpec`` and one ``simulate`` per group of parameter sets with equal feature
parameters, in chunks (``hedgelab.scale.sweep.run_columns``), here or on Dask workers. A strategy that
raises anywhere becomes a failure with a one-line reason; the others still run.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hedgelab.core.errors import UserError, one_line
from hedgelab.reports.record import failed_record
from hedgelab.reports.run import RunRecord, SummaryRuns
from hedgelab.runner.assumptions import assumptions, crash_windows
from hedgelab.runner.options import Live, RunOptions
from hedgelab.runner.prepare import Job, Prepared, prepare_run
from hedgelab.runner.result import Result

if TYPE_CHECKING:
    from tqdm.auto import tqdm


def execute(opts: RunOptions, jobs: list[tuple[str, list[dict[str, Any]]]], *, heatmap: dict[str, str] | None = None,
            summary_only: bool = False, live: Live = Live()) -> Result:
    """Run ``jobs`` = [(strategy name, [param dict, ...]), ...] and return a ``Result``."""
    if not summary_only and opts.tearsheets != 0:  # tearsheets need quantstats: import it meanwhile
        from hedgelab.reports.tearsheet import preload
        preload()
    run = prepare_run(opts, jobs)
    records: list[RunRecord] = []
    by_column: SummaryRuns | None = None   # the one job of a sweep in summary mode: its runs stay by column
    failures: dict[str, str] = {}
    total = sum(len(job.param_sets) for job in run.jobs)
    bar = _progress(total, quiet=opts.quiet)
    try:
        for job in run.jobs:
            bar.set_description(job.name)
            try:
                if job.problem is not None:
                    raise UserError(job.problem)
                done = run_job(run, job, summary_only, bar, live, label_single=heatmap is not None)
                stopped = column_failures(done)   # first, so that ``done`` is kept whole or not at all
                # a sweep's summary-mode runs stay by column (reports.run.SummaryRuns), not a list
                if len(run.jobs) == 1 and isinstance(done, SummaryRuns):
                    by_column = done
                else:
                    records.extend(done)
                if stopped:
                    failures[job.name] = stopped
            except Exception as exc:  # noqa: BLE001 -- one broken strategy must not stop the rest
                failures[job.name] = one_line(exc)
                records.append(failed_record(job.name, job.param_sets, opts.capital, failures[job.name]))
                bar.update(len(job.param_sets))
    finally:
        bar.close()
    runs = by_column if by_column is not None else records
    return Result(runs=runs, failures=failures, manifest=dict(run.dataset.manifest),
                  crash_windows=crash_windows(run.market), assumptions=assumptions(run), heatmap=heatmap,
                  options=opts.record(), warnings=list(run.warnings), coin_prices=coin_prices(run.markets))


def coin_prices(markets: dict) -> dict | None:
    """A basket run's prices per coin for the report (perp vs spot, liquidation moves); None for one coin."""
    if not markets:
        return None
    import pandas as pd
    out = {}
    for coin, m in markets.items():
        index = pd.DatetimeIndex(pd.to_datetime(m.time_ns, utc=True), name="time")
        out[coin] = pd.DataFrame({"mark": m.mark_close, "index": m.index_close, "close": m.close,
                                  "mark_low": m.mark_low, "index_low": m.index_low}, index=index)
    return out


def run_job(run: Prepared, job: Job, summary_only: bool, bar: tqdm, live: Live,
            label_single: bool = False) -> list[RunRecord] | SummaryRuns:
    """One RunRecord per parameter set of ``job``, in the order given (a ``SummaryRuns`` in summary mode).

    The labels are computed over all the sets, so that they agree across feature groups and chunks."""
    from hedgelab.scale.market import Source
    from hedgelab.scale.sweep import run_columns
    cls = job.cls
    assert cls is not None, "a job whose class did not load has a problem and is not run"
    opts = run.opts
    engine: dict[str, Any] = {"venue": opts.venue, "margin_mode": job.margin_mode, "capital": opts.capital,
                              "summary_only": summary_only, "symbol": run.symbol, "costs": run.costs}
    if opts.trace:
        engine["trace"] = True  # every column also through the plain-Python kernel (engine/debug.py)
    single = len(job.param_sets) == 1 and not label_single
    labels = (job.name,) if single else cls.labels(list(job.param_sets), validated=True)
    if getattr(cls, "kind", "single") == "basket":
        from hedgelab.runner.basket import run_basket_job
        return run_basket_job(run, job, tuple(labels), summary_only, bar)
    source = Source(opts.data, _text(opts.store), _text(opts.start), _text(opts.end))
    return run_columns(cls, job.name, list(job.param_sets), labels, run.market, engine, bar, source=source,
                       strategies_dir=_text(opts.strategies_dir), client=live.client, rows=live.rows,
                       chunk_size=opts.chunk_size, progress=not opts.quiet)


def column_failures(runs: Sequence[RunRecord] | SummaryRuns) -> str | None:
    """One line for a strategy some of whose runs a hook's mistake stopped (the others are results)."""
    errors = list(runs.errors.values()) if isinstance(runs, SummaryRuns) else [r.error for r in runs if r.error]
    if not errors:
        return None
    return errors[0] if len(runs) == 1 else f"{len(errors)} of {len(runs)} runs stopped; the first: {errors[0]}"


def _progress(total: int, quiet: bool) -> tqdm:
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="run", disable=quiet or total == 0, leave=False, dynamic_ncols=True)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
