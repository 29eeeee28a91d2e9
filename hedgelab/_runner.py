"""Runs the jobs behind ``hedgelab.run/compare/sweep`` and the CLI: data -> specs -> engine -> RunRecords.

One dataset load and one alignment per call; per strategy one ``StrategySpec`` and one ``simulate`` per
group of parameter sets with equal feature parameters, split in chunks of CHUNK sets. A strategy that raises anywhere (lookup, validation, spec, engine)
becomes a failure with a one-line reason; the others still run.
"""
from __future__ import annotations

from pathlib import Path
import shutil

import numpy as np
import pandas as pd

from hedgelab.core.errors import UserError

EVENT_COLUMNS = ("time", "strategy", "instrument", "side", "kind", "qty", "price", "amount")
EVENT_DETAILS = ("reason", "option_type", "strike", "expiry")  # kept when the engine gives them
SWEEP_TEARSHEETS = 5
CHUNK = 256   # parameter sets per engine call: bounds memory of the per-column curves

# The crisis days the report highlights whenever the data covers them (UTC calendar days).
CRASH_DAYS = (("Oct 10 crash", "2025-10-10"), ("Nov 4 break below 100k", "2025-11-04"),
              ("Nov 21 capitulation", "2025-11-21"))


def builtin_names(strategies_dir=None) -> list:
    """Every discovered strategy name (built-ins, entry points, the user folder; broken plugins too)."""
    registry, failures = discover_all(strategies_dir)
    return list(registry) + [name for name in failures if name not in registry]


def discover_all(strategies_dir=None):
    """(name -> Strategy class, name -> why it failed to load)."""
    from hedgelab.strategies import discover
    found = discover(strategies_dir)
    failures = {}
    for f in found.failures:
        # a plugin whose name is taken is listed under its source, so it is not silently dropped
        key = f.name if f.name not in found.strategies else f"{f.name} ({f.source})"
        failures.setdefault(key, f"{f.reason} (from {f.source})")
    return dict(found.strategies), failures


def one_line(exc: BaseException) -> str:
    """An exception as one line: 'Type: message' (first line of the message)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    kind = type(exc).__name__
    if isinstance(exc, UserError):
        return text or kind
    return f"{kind}: {text}" if text else kind


def load_market(o: dict):
    from hedgelab.data import align, load
    dataset = load(o["data"], o.get("store"))
    market = align(dataset, o.get("start"), o.get("end"))
    if len(market.time_ns) < 2:
        raise UserError(f"data {o['data']!r}: fewer than 2 bars between start and end (--start/--end)")
    return dataset, market


def check_venue(venue, market, modes=(), symbol="BTC") -> None:
    """An unknown or unusable venue (or a symbol it has no tiers for) is the user's mistake (exit 2)."""
    from hedgelab.engine import load_venue
    v = load_venue(venue, at=pd.Timestamp(int(market.time_ns[0]), tz="UTC").date(), symbol=symbol)
    if getattr(v, "inverse", False) and "cross" in modes:
        raise UserError(f"venue {v.id!r} is an inverse perp, which runs in isolated margin only "
                        f"(margin_mode='isolated', --margin-mode isolated)")


def crash_windows(market) -> list | None:
    """The crisis days the data covers, or None (then the report picks the worst days itself)."""
    t0 = pd.Timestamp(int(market.time_ns[0]), tz="UTC")
    t1 = pd.Timestamp(int(market.time_ns[-1]), tz="UTC") + pd.Timedelta(seconds=int(market.bar_seconds))
    windows = []
    for label, day in CRASH_DAYS:
        start = pd.Timestamp(day, tz="UTC")
        end = start + pd.Timedelta(days=1)
        if start >= t0 and end <= t1:
            windows.append({"label": label, "start": start, "end": end})
    return windows or None


def assumptions(o: dict, dataset, modes: dict, market=None, options: bool = False) -> list:
    """What the numbers rest on, for the report: the engine's rules for the venue plus the data's proxies.

    ``modes``: strategy -> margin mode it ran in (the --margin-mode flag, else the strategy's own).
    ``market``: the run's bars, so the venue line names the tier tables in force over the run (not
    today's). ``options``: an option strategy ran, so the option model (surface, smile, spreads,
    fees, delivery price, listing) is stated too.
    """
    used = sorted(set(modes.values())) or ["isolated"]
    span = {} if market is None else {"at": int(market.time_ns[0]), "end": int(market.time_ns[-1])}
    try:
        from hedgelab.engine import assumptions as engine_assumptions
        # the dataset's own funding interval, so a real dataset's differing interval is stated too
        items = list(engine_assumptions(venue=o["venue"], margin_mode=used[0], **span,
                                        dataset_funding_hours=dataset.manifest.get("funding_interval_hours")))
    except Exception as exc:  # noqa: BLE001 -- the report must still be written without the list
        items = [f"Engine assumptions unavailable ({one_line(exc)})."]
    if options:
        try:
            from hedgelab.engine.options import describe_options
            bar_s = float(market.bar_seconds) if market is not None else 3600.0
            items.extend(f"Option model: {line}" for line in describe_options(bar_seconds=bar_s))
        except Exception as exc:  # noqa: BLE001
            items.append(f"Option model description unavailable ({one_line(exc)}).")
    if len(used) > 1:
        items.append("Margin mode per strategy: " + ", ".join(f"{k} {v}" for k, v in modes.items()) + ".")
    m = dataset.manifest
    for key, text in (m.get("proxies") or {}).items():
        items.append(f"Proxy ({key}): {text}")
    if m.get("iv_fill"):
        items.append(f"IV fill rule: {m['iv_fill']}")
    items.append(f"Initial capital {o['capital']:,.0f} USD per strategy.")
    try:
        from hedgelab.engine import load_venue
        from hedgelab.engine.costs import describe_costs
        v = load_venue(o["venue"], at=span.get("at") and pd.Timestamp(span["at"], tz="UTC").date(),
                       symbol=o.get("symbol", "BTC"))
        source = str((dataset.manifest.get("provenance") or {}).get("volume", "source not stated"))
        items.append(describe_costs(run_costs(o), v.taker_fee, v.spot_fee, source))
        if market is not None:  # a rate the venue's cap clamps is said, not paid silently at the cap
            from hedgelab.engine.simulate import capped_settlements
            n, total, largest = capped_settlements(market.funding_rate, market.time_ns, v)
            if n:
                items.append(f"Funding capped: {n:,} of the data's {total:,} settlements exceed {v.id}'s cap of "
                             f"{v.funding_cap_per_hour:.0%} per hour of the interval (largest |rate| "
                             f"{largest:.2%}) and were paid at the cap.")
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 -- the report must still be written without the line
        items.append(f"Costs description unavailable ({one_line(exc)}).")
    if market is not None:  # funding or IV that does not cover the run's window is said, not bridged silently
        from hedgelab.reports.coverage import warnings as coverage_warnings
        items.extend(coverage_warnings(dataset, pd.Timestamp(int(market.time_ns[0]), tz="UTC"),
                                       pd.Timestamp(int(market.time_ns[-1]), tz="UTC")))
    return items


def execute(o: dict, jobs: list, *, heatmap=None, summary_only: bool = False):
    """Run ``jobs`` = [(strategy name, [param dict, ...]), ...] and return an ``api.Result``."""
    from hedgelab.api import Result
    from hedgelab.engine.warmup import start_kernel_compile
    start_kernel_compile(quiet=o.get("quiet", True))  # a cold cache compiles while plugins and data load

    registry, load_failures = discover_all(o.get("strategies_dir"))
    warnings = [f"{name} not loaded: {reason}" for name, reason in load_failures.items()
                if name not in {job[0] for job in jobs}]
    jobs = [(name, resolve_class(name, registry, load_failures, o.get("strategies_dir")), param_sets)
            for name, param_sets in jobs]
    broken = {}
    for name, cls, param_sets in jobs:  # the user's parameter mistakes stop everything before any run
        try:
            for params in param_sets if cls is not None else ():
                cls.validate(params)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 -- a plugin's own check() crashing is the plugin's failure
            broken[name] = one_line(exc)
    if not summary_only and o.get("tearsheets") != 0:  # tearsheets need quantstats: import it meanwhile
        from hedgelab.reports.tearsheet import preload
        preload()
    dataset, market = load_market(o)
    # the dataset's own symbol picks the venue's tier table (an ETH dataset runs on ETH tiers)
    o = dict(o, symbol=str(dataset.manifest.get("symbol") or "BTC"))
    run_costs(o)  # a bad costs file or table stops everything before any run
    modes = {name: margin_mode(o, cls) for name, cls, _ in jobs if cls is not None}
    check_venue(o["venue"], market, set(modes.values()), o["symbol"])
    runs, failures = [], {}
    total = sum(len(job[2]) for job in jobs)
    bar = _progress(total, quiet=o.get("quiet", True))
    try:
        for name, cls, param_sets in jobs:
            bar.set_description(name)
            try:
                if cls is None:
                    raise UserError(f"could not be loaded: {load_failures[name]}")
                if name in broken:
                    raise UserError(f"parameter check crashed: {broken[name]}")
                done = run_strategy(cls, name, param_sets, market, o, summary_only, bar,
                                    label_single=heatmap is not None)
                # a sweep's summary-mode runs stay by column (reports.run.SummaryRuns), not a list
                if len(jobs) == 1 and not isinstance(done, list):
                    runs = done
                else:
                    runs.extend(done)
                stopped = column_failures(done)
                if stopped:
                    failures[name] = stopped
            except Exception as exc:  # noqa: BLE001 -- one broken strategy must not stop the rest
                failures[name] = one_line(exc)
                runs.append(_failed_record(name, param_sets, o, failures[name]))
                bar.update(len(param_sets))
    finally:
        bar.close()
    return Result(runs=runs, failures=failures, manifest=dict(dataset.manifest),
                  crash_windows=crash_windows(market), assumptions=assumptions(o, dataset, modes, market,
                                                        options=any(getattr(cls, "uses_options", False)
                                                                    for _, cls, _ in jobs if cls is not None)),
                  heatmap=heatmap, options=dict(o), warnings=warnings)


def column_failures(runs) -> str | None:
    """One line for a strategy some of whose runs a hook's mistake stopped (the others are results)."""
    from hedgelab.reports.run import SummaryRuns
    errors = list(runs.errors.values()) if isinstance(runs, SummaryRuns) else [r.error for r in runs if r.error]
    if not errors:
        return None
    return errors[0] if len(runs) == 1 else f"{len(errors)} of {len(runs)} runs stopped; the first: {errors[0]}"


def resolve_class(name, registry, load_failures, strategies_dir=None):
    """The Strategy class, None for a plugin that failed to load, UserError for an unknown name."""
    if name in registry:
        return registry[name]
    if name in load_failures:
        return None
    from hedgelab.strategies import get_strategy
    return get_strategy(name, strategies_dir)  # raises UserError with "did you mean ...?"


def run_costs(o: dict):
    """--no-costs, else --costs FILE or the config's [costs] table, else None (the engine's defaults)."""
    from hedgelab.engine.costs import Costs, read_costs
    if o.get("no_costs"):
        return Costs.zero()
    return read_costs(o["costs"]) if o.get("costs") is not None else None


def margin_mode(o: dict, cls) -> str:
    """The --margin-mode flag, else the mode the strategy declares, else isolated."""
    return o.get("margin_mode") or getattr(cls, "margin_mode", None) or "isolated"


def run_strategy(cls, name: str, param_sets: list, market, o: dict, summary_only: bool, bar,
                 label_single: bool = False) -> list:
    """One RunRecord per parameter set, in the order given.

    Sets that differ in a feature parameter (``Param(feature=True)``) need their own ``prepare``,
    so each group of equal feature values is its own spec and kernel call (then chunks of contiguous
    columns, CHUNK at most when curves are kept), run here or on ``o["client"]`` (hedgelab.scale);
    the labels are computed over all the sets so that they agree across groups and chunks.
    """
    from hedgelab.scale.sweep import run_columns
    kwargs = {"venue": o["venue"], "margin_mode": margin_mode(o, cls), "capital": o["capital"],
              "summary_only": summary_only, "symbol": o.get("symbol", "BTC"), "costs": run_costs(o)}
    if o.get("trace"):
        kwargs["trace"] = True  # every column also through the plain-Python kernel (engine/debug.py)
    single = len(param_sets) == 1 and not label_single
    # the validated values (typed, defaults filled in), not the kernel's float encoding
    validated = [cls.validate(p) for p in param_sets]
    labels = (name,) if single else cls._labels(validated)
    return run_columns(cls, name, validated, labels, market, o, kwargs, bar)


def _label(spec, j, name, params) -> str:
    labels = getattr(spec, "labels", None)
    if labels is not None and j < len(labels) and labels[j]:
        return str(labels[j])
    return f"{name}(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"


def _column(frame, j):
    if frame is None:
        return None
    if isinstance(frame, pd.DataFrame):
        return frame.iloc[:, j]
    return frame


def to_record(sim, j, label, strategy, params, spec, market, capital):
    """One SimResult column -> RunRecord (events keyed by the run label in ``strategy``)."""
    from hedgelab.reports.run import RunRecord
    resolved = dict(params)
    equity = _column(getattr(sim, "equity", None), j)
    ev = getattr(sim, "events", None)
    if ev is not None and len(ev):
        ev = ev[ev["column"] == j].drop(columns=["column"]).copy()
        ev["strategy"] = strategy
        ev = ev[[c for c in EVENT_COLUMNS + EVENT_DETAILS if c in ev.columns]].reset_index(drop=True)
        ev["run"] = label
    margin_ratio = _column(getattr(sim, "margin_ratio", None), j)
    liq = _column(getattr(sim, "liq_price", None), j)
    liq_distance = None
    if liq is not None:
        mark = np.asarray(market.mark_close, dtype="float64")
        liq_distance = pd.Series(np.abs(mark - liq.to_numpy()) / mark, index=liq.index, name=label)
        if liq_distance.isna().all():
            liq_distance = None
    if margin_ratio is not None and (margin_ratio.fillna(0) == 0).all():
        margin_ratio = None
    if equity is not None:
        equity = equity.rename(label)
    record = RunRecord(name=label, strategy=strategy, params=resolved, equity=equity, events=ev,
                       margin_ratio=margin_ratio, liq_distance=liq_distance, capital=float(capital),
                       spot_qty=_column(getattr(sim, "spot_qty", None), j),
                       perp_qty=_column(getattr(sim, "perp_qty", None), j), liq_price=liq,
                       prices=_prices(market, equity.index) if equity is not None else None)
    record.cash = _column(getattr(sim, "cash", None), j)  # for the API's per-bar frames
    record.option_value = _column(getattr(sim, "option_value", None), j)
    trace = getattr(sim, "trace", None)
    record.trace = None if trace is None else trace[trace["column"] == j].assign(run=label).reset_index(drop=True)
    if equity is None:  # summary-only mode: the reports rank the engine's own numbers
        stats = {k: float(v) for k, v in sim.summary.iloc[j].to_dict().items()}
        stats["max_drawdown"] = 0.0 - abs(stats.get("max_drawdown", float("nan")))  # negative; +0.0 as the curve's
        record.stats = stats
    return record


def _prices(market, index) -> pd.DataFrame:
    """Mark and index closes for the report's liquidation chart (same bars as the equity curve)."""
    return pd.DataFrame({"mark": np.asarray(market.mark_close, dtype="float64"),
                         "index": np.asarray(market.index_close, dtype="float64")}, index=index)


def _failed_record(name, param_sets, o, reason):
    from hedgelab.reports.run import RunRecord
    params = param_sets[0] if len(param_sets) == 1 else {}
    return RunRecord(name=name, strategy=name, params=dict(params), capital=float(o["capital"]), error=reason)


def _progress(total: int, quiet: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="run", disable=quiet or total == 0, leave=False, dynamic_ncols=True)


def write_outputs(result, out_dir: Path, *, progress: bool = False, tearsheets: int | None = None,
                  checked: bool = False) -> Path:
    """Write the report files into a temp folder beside ``out_dir``, then rename it into place.

    ``out_dir`` must not exist yet or be an empty folder: results are never written over old ones.
    ``checked``: the caller checked ``out_dir`` before the work (the CLI), so if another run filled it
    meanwhile the results go to the sibling OUT-2 (with a warning) instead of being lost.
    ``tearsheets``: most tearsheets (best-ranked runs, plus hold); None = every run of a comparison,
    SWEEP_TEARSHEETS for a sweep (each takes seconds).
    """
    from hedgelab.reports.html import write_report
    from hedgelab.core import outdir as _outdir
    out_dir = _outdir.check_out_dir(out_dir, "output folder", taken_ok=checked)
    if tearsheets is None and result.heatmap is not None:
        tearsheets = SWEEP_TEARSHEETS
    tmp = _outdir.make_temp(out_dir)  # named with this process's id: a killed run's is swept later
    stress = getattr(result, "stress", None)  # a stress test run with the backtest (--stress)
    try:
        if stress is not None:  # same temp folder: report.html never links a stress.html not yet there
            stress.write_files(tmp)
        files = write_report(result.runs, tmp, manifest=result.manifest,
                             crash_windows=result.crash_windows, heatmap=result.heatmap,
                             assumptions=result.assumptions, progress=progress, max_tearsheets=tearsheets,
                             stress=stress)
        wanted, out_dir = out_dir, _outdir.publish(tmp, out_dir)
        if out_dir != wanted:  # another run filled it meanwhile: a sibling instead of lost results
            result.warnings.append(f"{wanted} was filled by another run meanwhile; results written to {out_dir}")
        if getattr(files, "summary", None) is not None:  # spare Result.summary the same work again
            result.__dict__.setdefault("summary", files.summary)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
