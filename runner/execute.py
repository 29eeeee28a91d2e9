"""``execute``: a prepared run's strategies through the engine, in chunks of columns, into a ``Result``.

Per strategy one ``StrategySpec`` and one ``simulate`` per group of parameter sets with equal feature
parameters, in chunks (``hedgelab.scale.sweep.run_columns``), here or on Dask workers. A strategy that
raises anywhere becomes a failure with a one-line reason; the others still run.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
import signal
import threading
import time

from hedgelab.core.errors import UserError, one_line
from hedgelab.reports.record import failed_record
from hedgelab.reports.run import RunRecord, SummaryRuns
from hedgelab.runner.assumptions import assumptions, crash_windows
from hedgelab.runner.options import Live, RunOptions
from hedgelab.runner.prepare import Job, Prepared, prepare_run
from hedgelab.runner.result import Result

if TYPE_CHECKING:
    from tqdm.auto import tqdm


# ---------------------------------------------------------------- the time limit of a whole run (--timeout)

class _Expired(BaseException):
    """The run's time is up. A BaseException, like KeyboardInterrupt, so that no ``except Exception``
    on the way (a strategy's failure, a plugin that fails to load) takes it for an error of its own;
    ``time_limit`` turns it into the one-line ``RunTimeout`` at its edge."""


class RunTimeout(UserError):
    """``stopped after N s (--timeout)``: the whole run did not finish in time; nothing was written."""


class Deadline:
    """When the run started, its limit and how it was given (``--timeout {}``, ``timeout={}``)."""

    def __init__(self, seconds: float, flag: str):
        self.seconds, self.flag = float(seconds), flag
        self.start = time.monotonic()
        self.done = False   # past the finish line: the results are being published, nothing stops them now
        self.rung: float | None = None   # when the alarm last stopped the run

    def expired(self) -> bool:
        return not self.done and time.monotonic() - self.start >= self.seconds

    def error(self) -> RunTimeout:
        given = self.flag.format(f"{self.seconds:g}")
        return RunTimeout(f"stopped after {time.monotonic() - self.start:.1f} s ({given}): the run did not finish "
                          f"in time; nothing written")


_DEADLINE: ContextVar[Deadline | None] = ContextVar("hedgelab_deadline", default=None)


@contextmanager
def time_limit(seconds: float | None, flag: str = "--timeout {}") -> Iterator[Deadline | None]:
    """Stop the run inside this block after ``seconds`` (None: no limit; an enclosing limit stays).
    ``flag``: how the message names the limit given (``--timeout {}``, ``timeout={}``).

    Checked between strategies and between chunks of columns (``check_time``), and, in the main thread
    of a process with no other SIGALRM timer, by an alarm that interrupts Python code anywhere (a
    plugin's ``targets()`` or import, the stress paths' loop). A compiled (numba) hook or kernel call is
    not interrupted: the alarm takes effect when it returns (docs/writing-a-strategy.md)."""
    if seconds is None or _DEADLINE.get() is not None:
        yield _DEADLINE.get()
        return
    deadline = Deadline(seconds, flag)
    token = _DEADLINE.set(deadline)
    alarm = _arm(deadline)
    try:
        try:
            yield deadline
        finally:
            _stop_ringing(deadline, alarm)
            _DEADLINE.reset(token)
    except _Expired:
        raise deadline.error() from None


def check_time() -> None:
    """Stop here if the run's time limit has passed (a no-op without one)."""
    deadline = _DEADLINE.get()
    if deadline is not None and deadline.expired():
        raise _Expired()


def finish_line() -> None:
    """The results are complete and about to be published: a last check of the time, then nothing
    stops the run any more (a timeout after this would leave the files written, but say it stopped)."""
    check_time()
    deadline = _DEADLINE.get()
    if deadline is not None:
        deadline.done = True


# An exception raised inside numba's compiler or llvmlite can leave llvmlite's process-wide lock held
# (between its acquire and its ``with`` body): every later compile from another thread (a Dask worker
# thread) then waits forever. The alarm lets such frames finish; its next ring, a second later, stops the run.
_UNINTERRUPTIBLE = ("numba", "llvmlite")


def _in_compiler(frame: Any) -> bool:
    """True when ``frame`` or a frame below it runs numba's or llvmlite's Python code."""
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).split(".", 1)[0] in _UNINTERRUPTIBLE:
            return True
        frame = frame.f_back
    return False


def _arm(deadline: Deadline) -> Any:
    """A SIGALRM timer for ``deadline`` where one can be set without disturbing anyone; else None."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None) or signal.getitimer(signal.ITIMER_REAL)[0]:
        return None   # somebody else's alarm (a test runner's timeout, the caller's own): not ours to take

    def ring(signum: int, frame: Any) -> None:
        # It rings again every second: an exception raised where Python only prints it (a weakref
        # callback, a __del__) is lost, and the next ring stops the run after all; rings while the
        # first one's exception unwinds (its cleanups) are let be for a few seconds.
        now = time.monotonic()
        if deadline.done or (deadline.rung is not None and now - deadline.rung < 2.5) or _in_compiler(frame):
            return
        deadline.rung = now
        raise _Expired()
    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(deadline.seconds, 1e-3), 1.0)
    return previous


def _stop_ringing(deadline: Deadline, alarm: Any) -> None:
    """Disarm for sure: a ring that lands here, before the timer is off, would otherwise leave it
    ringing every second in the caller's process long after this run (a test runner's worker: seen
    as dozens of unrelated failures). Once ``done``, a ring returns without raising."""
    while True:
        try:
            deadline.done = True
            _disarm(alarm)
            return
        except _Expired:
            continue


def _disarm(previous: Any) -> None:
    if previous is None:
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


class _TimedBar:
    """The progress bar as ``run_columns`` sees it: each finished chunk also checks the time."""

    def __init__(self, bar: tqdm):
        self._bar = bar

    def update(self, n: int = 1) -> Any:
        out = self._bar.update(n)
        check_time()
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bar, name)


# ---------------------------------------------------------------- running the jobs

def execute(opts: RunOptions, jobs: list[tuple[str, list[dict[str, Any]]]], *, heatmap: dict[str, str] | None = None,
            summary_only: bool = False, live: Live = Live(), scenarios: bool = False) -> Result:
    """Run ``jobs`` = [(strategy name, [param dict, ...]), ...] and return a ``Result``.

    ``opts.timeout``: the whole call stops after that many seconds (``time_limit``; a caller that
    set a limit earlier, the CLI, keeps its own clock). ``scenarios``: also the scenario matrix of the
    strategies that ran (``Result.scenarios``, runner/scenarios.py; a comparison's)."""
    with time_limit(opts.timeout, "timeout={}"):
        return _execute(opts, jobs, heatmap=heatmap, summary_only=summary_only, live=live, scenarios=scenarios)


def _execute(opts: RunOptions, jobs: list[tuple[str, list[dict[str, Any]]]], *, heatmap: dict[str, str] | None,
             summary_only: bool, live: Live, scenarios: bool = False) -> Result:
    from hedgelab.scale.rows import RowsError
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
            check_time()
            bar.set_description(job.name)
            try:
                if job.problem is not None:
                    raise UserError(job.problem)
                done = run_job(run, job, summary_only, _TimedBar(bar), live, label_single=heatmap is not None)
                stopped = column_failures(done)   # first, so that ``done`` is kept whole or not at all
                # a sweep's summary-mode runs stay by column (reports.run.SummaryRuns), not a list
                if len(run.jobs) == 1 and isinstance(done, SummaryRuns):
                    by_column = done
                else:
                    records.extend(done)
                if stopped:
                    failures[job.name] = stopped
            except RowsError:
                raise   # the rows folder itself (damaged, or another sweep's): the user's to fix, exit 2
            except Exception as exc:  # noqa: BLE001 -- one broken strategy must not stop the rest
                if opts.debug and job.problem is None and not isinstance(exc, UserError):
                    raise   # debug: the hook's exception itself, its traceback at the author's line
                failures[job.name] = one_line(exc)
                records.append(failed_record(job.name, job.param_sets, opts.capital, failures[job.name]))
                bar.update(len(job.param_sets))
    finally:
        bar.close()
    check_time()
    if run.adl != "off" and by_column is None:
        attach_adl_off(run, records, heatmap is not None)
    if heatmap is None and by_column is None and not summary_only:   # a run or compare: each liquidation in words
        from hedgelab.runner.liquidations import explain_liquidations
        explain_liquidations(run, records)
    runs = by_column if by_column is not None else records
    said = list(run.warnings) + [line for r in records for line in getattr(r, "warnings", None) or []]
    result = Result(runs=runs, failures=failures, manifest=dict(run.dataset.manifest),
                    crash_windows=crash_windows(run.market), assumptions=assumptions(run), heatmap=heatmap,
                    settings=opts.record(), warnings=said, coin_prices=coin_prices(run.markets))
    if scenarios:
        from hedgelab.runner.scenarios import matrix_of
        result.scenarios = matrix_of(run, failures)
    return result


def attach_adl_off(run: Prepared, records: list[RunRecord], label_single: bool) -> None:
    """ADL on: run every job again with ADL off (summaries only) and give each record its twin's figures
    (``RunRecord.adl_off``), so that the report measures what ADL cost instead of estimating it."""
    import dataclasses
    market = run.market._replace(adl_side=None, adl_share=None, adl_price=None)
    twin = dataclasses.replace(run, adl="off", market=market)
    by_name = {r.name: r for r in records if r.error is None}
    for job in twin.jobs:
        if job.problem is not None or not any(r.strategy == job.name for r in by_name.values()):
            continue
        check_time()
        bar = _progress(len(job.param_sets), quiet=True)
        for rec in run_job(twin, job, True, _TimedBar(bar), Live(), label_single=label_single):
            stats = rec.stats or {}
            if rec.name in by_name and rec.error is None and stats:
                by_name[rec.name].adl_off = {"mode": run.adl, "final_equity": float(stats["final_equity"]),
                                             "max_drawdown": float(stats["max_drawdown"])}


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
                              "summary_only": summary_only, "symbol": run.symbol, "costs": run.costs,
                              "adl": run.adl}
    if opts.trace:
        engine["trace"] = True  # every column also through the plain-Python kernel (engine/debug.py)
    if opts.debug:
        engine["debug"] = True  # every column only through it, strict (a hook's exception propagates)
    single = len(job.param_sets) == 1 and not label_single
    labels = (job.name,) if single else cls.labels(list(job.param_sets), validated=True)
    if getattr(cls, "kind", "single") == "basket":
        from hedgelab.runner.basket import run_basket_job
        return run_basket_job(run, job, tuple(labels), summary_only, bar)
    # a worker reloading the dataset would not have the venue's ADL events: ship the arrays instead
    source = None if run.market.adl_side is not None else Source(opts.data, _text(opts.store), _text(opts.start),
                                                                 _text(opts.end))
    done = run_columns(cls, job.name, list(job.param_sets), labels, run.market, engine, bar, source=source,
                       strategies_dir=_text(opts.strategies_dir), client=live.client, rows=live.rows,
                       chunk_size=opts.chunk_size, progress=not opts.quiet)
    if opts.trace and isinstance(done, list):
        trace_stopped(run, job, done, engine)
    return done


def trace_stopped(run: Prepared, job: Job, records: list[RunRecord], engine: dict[str, Any]) -> None:
    """``trace``: a run that a hook's mistake stopped keeps its decision bars up to the bar that stopped
    it (the chunk kept only its error): it runs again alone, its trace ending at that bar."""
    from hedgelab.engine import simulate
    cls = job.cls
    assert cls is not None
    for record, params in zip(records, job.param_sets):
        if not record.error or getattr(record, "trace", None) is not None:
            continue
        check_time()
        try:
            sim = simulate(run.market, cls().spec(run.market, [params]), column_errors="keep", **engine)
        except Exception:  # noqa: BLE001 -- the run's failure is already said; its trace is a bonus
            continue
        trace = getattr(sim, "trace", None)
        if trace is not None and len(trace):
            record.trace = trace[trace["column"] == 0].assign(run=record.name).reset_index(drop=True)


def column_failures(runs: Sequence[RunRecord] | SummaryRuns) -> str | None:
    """One line for a strategy some of whose runs a hook's mistake stopped (the others are results)."""
    errors = list(runs.errors.values()) if isinstance(runs, SummaryRuns) else [r.error for r in runs if r.error]
    if not errors:
        return None
    return errors[0] if len(runs) == 1 else f"{len(errors)} of {len(runs)} runs stopped; the first: {errors[0]}"


def _progress(total: int, quiet: bool) -> tqdm:
    from tqdm.auto import tqdm

    from hedgelab.engine.warmup import PatientBar
    # no time left shown while the kernel compiles (the first run waits for it): PatientBar
    return PatientBar(tqdm(total=total, unit="run", disable=quiet or total == 0, leave=False,
                           dynamic_ncols=True))


def _text(value: object) -> str | None:
    return None if value is None else str(value)
