"""``simulate()``: check the arguments, pick the venue's tier tables, build the kernel's inputs
(``engine/kernel_inputs.KernelInputs``), run the column chunks, check the final equities, wrap the
results (and trace chosen columns in plain Python)."""
import functools
import math
import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from hedgelab.engine import hook_errors
from hedgelab.engine.costs import Costs
from hedgelab.engine.debug import run_column, with_events
from hedgelab.engine.event_calls import settle
from hedgelab.engine.guard import guarded
from hedgelab.engine.kernel_inputs import KernelInputs, kernel_args
from hedgelab.engine.options import OptionConfig, stress_series, validate_option_config
from hedgelab.engine.nb.records import ADL_MODES, AdlMode, AdlRule, Cfg, LiqRule, Mkt, Out, Sum, event_dt
from hedgelab.engine.result import SimResult
from hedgelab.engine.spec import MARGIN_MODES, checked_arrays
from hedgelab.engine.venues import Venue, load_venue, pack_tier_sets, tier_schedule
from hedgelab.core.errors import UserError

_FIELDS = ("open", "high", "low", "close", "volume", "mark_open", "mark_high", "mark_low", "mark_close",
           "index_close", "funding_rate", "funding_price", "iv", "index_open")


def market_block(paths: list, option_config: OptionConfig, out: np.ndarray | None = None, adl: bool = True) -> np.ndarray:
    """Stack MarketArrays into ``block[path, Mkt.*, bar]`` (into ``out`` when given) with the documented
    fallbacks.

    Missing mark -> traded price, missing index close -> traded close (index open -> traded open),
    missing funding price -> mark open, missing volume -> 0 (full impact). ``Mkt.STRESS`` is the
    option surface's stress series of the index closes (``engine/options.stress_series``). ``adl``
    False: the ADL rows are NaN, whatever the paths carry (a run with ADL off neither reads nor checks them).
    """
    n = len(paths[0].time_ns)
    block = np.empty((len(paths), Mkt.N, n)) if out is None else out
    for p, m in enumerate(paths):
        for k, name in enumerate(_FIELDS):
            a = getattr(m, name, None)
            if a is None:
                a = np.full(n, np.nan)
            a = np.asarray(a, dtype=np.float64)
            if a.shape != (n,):
                raise UserError(f"market path {p}: field {name} has shape {a.shape}, expected ({n},)")
            block[p, k] = a
        b = block[p]
        for mark, traded in ((Mkt.MARK_OPEN, Mkt.OPEN), (Mkt.MARK_HIGH, Mkt.HIGH), (Mkt.MARK_LOW, Mkt.LOW),
                             (Mkt.MARK_CLOSE, Mkt.CLOSE), (Mkt.INDEX_CLOSE, Mkt.CLOSE),
                             (Mkt.INDEX_OPEN, Mkt.OPEN)):
            bad = ~np.isfinite(b[mark])
            b[mark, bad] = b[traded, bad]
        bad = ~np.isfinite(b[Mkt.FUNDING_PRICE])
        b[Mkt.FUNDING_PRICE, bad] = b[Mkt.MARK_OPEN, bad]
        for k in (Mkt.FUNDING_RATE, Mkt.IV):  # NaN means "none here"; inf would make the equity non-finite
            if np.isinf(b[k]).any():
                raise UserError(f"market path {p}: {_FIELDS[k]} is infinite at bar {int(np.argmax(np.isinf(b[k])))}")
        b[Mkt.VOLUME, ~np.isfinite(b[Mkt.VOLUME])] = 0.0
        for k in (Mkt.OPEN, Mkt.HIGH, Mkt.LOW, Mkt.CLOSE, Mkt.MARK_OPEN, Mkt.MARK_HIGH, Mkt.MARK_LOW,
                  Mkt.MARK_CLOSE):
            if not np.all(np.isfinite(b[k])) or np.any(b[k] <= 0):
                row = int(np.argmax(~np.isfinite(b[k]) | (b[k] <= 0)))
                raise UserError(f"market path {p}: {_FIELDS[k]} is missing or <= 0 at bar {row}")
        b[Mkt.STRESS] = stress_series(b[Mkt.INDEX_CLOSE], float(paths[p].bar_seconds), option_config)
        if adl:
            _adl_rows(b, m, p, n)
        else:
            b[Mkt.ADL_SIDE:Mkt.ADL_PRICE + 1] = np.nan
    return block


def _adl_rows(b: np.ndarray, m: Any, p: int, n: int) -> None:
    """The path's ADL events into ``b[Mkt.ADL_*]`` (NaN: none), checked: a side is +1 or -1, a share
    in (0, 1], a price > 0 (or NaN: the venue's rule)."""
    for row, name in ((Mkt.ADL_SIDE, "adl_side"), (Mkt.ADL_SHARE, "adl_share"), (Mkt.ADL_PRICE, "adl_price")):
        a = getattr(m, name, None)
        b[row] = np.nan if a is None else np.asarray(a, dtype=np.float64)
    side, share, price = b[Mkt.ADL_SIDE], b[Mkt.ADL_SHARE], b[Mkt.ADL_PRICE]
    at = np.isfinite(side)
    bad = (at & ~((side == 1.0) | (side == -1.0)) | at & ~((share > 0.0) & (share <= 1.0))
           | at & ~(np.isnan(price) | (price > 0.0)) | ~at & ~np.isnan(side))
    if bad.any():
        i = int(np.argmax(bad))
        raise UserError(f"market path {p}: ADL event at bar {i} has side {side[i]!r}, share {share[i]!r}, "
                        f"price {price[i]!r}; expected side +1/-1, share in (0, 1], price > 0 or NaN")


def cap_funding(block: np.ndarray, time_ns: np.ndarray, venue: Venue) -> None:
    """Clamp each settlement's rate to the venue's cap per hour times the hours since the data's previous
    settlement (the venue's interval for the first): Hyperliquid pays at most 4 %/hour (spec §3)."""
    for rate in block[:, Mkt.FUNDING_RATE]:  # one row (a view) per path
        at, cap = funding_caps(rate, time_ns, venue)
        rate[at] = np.clip(rate[at], -cap, cap)


def funding_caps(rate: np.ndarray, time_ns: np.ndarray, venue: Venue) -> tuple[np.ndarray, np.ndarray]:
    """(bars with a settlement, the venue's cap on each of their rates); no bars when the venue has no cap."""
    per_hour = venue.funding_cap_per_hour
    at = np.flatnonzero(np.isfinite(rate)) if np.isfinite(per_hour) else np.zeros(0, dtype=np.int64)
    if not len(at):
        return at, np.zeros(0)
    first = time_ns[at[0]] - int(venue.funding_interval_hours * 3600e9)
    hours = np.diff(time_ns[at], prepend=first) / 3600e9
    return at, per_hour * hours


def capped_settlements(rate: Any, time_ns: Any, venue: Venue) -> tuple[int, int, float]:
    """(settlements whose rate the venue's cap clamps, settlements, the largest |rate| among them)."""
    rate = np.asarray(rate, dtype=np.float64)
    at, cap = funding_caps(rate, np.asarray(time_ns, dtype=np.int64), venue)
    over = np.abs(rate[at]) > cap
    return int(over.sum()), len(at), float(np.abs(rate[at][over]).max()) if over.any() else 0.0


def venue_config(venue: Venue, margin_mode: str, capital: float, costs: Costs, adl: str = "off") -> np.ndarray:
    cfg = np.zeros(Cfg.N)
    cfg[Cfg.ADL_MODE] = ADL_MODES.index(adl) if venue.adl_rule != AdlRule.NONE else AdlMode.OFF
    cfg[Cfg.ADL_RULE] = venue.adl_rule
    cfg[Cfg.ADL_REF] = venue.adl_reference_score
    cfg[Cfg.ADL_FEE] = venue.adl_fee
    cfg[Cfg.LIQ_RULE] = venue.liq_rule
    cfg[Cfg.CROSS] = 1.0 if margin_mode == "cross" else 0.0
    cfg[Cfg.CAPITAL] = capital
    cfg[Cfg.PERP_FEE] = venue.taker_fee if costs.perp_fee is None else costs.perp_fee
    cfg[Cfg.SPOT_FEE] = venue.spot_fee if costs.spot_fee is None else costs.spot_fee
    cfg[Cfg.HALF_SPREAD] = costs.half_spread
    cfg[Cfg.IMPACT] = costs.impact
    cfg[Cfg.IMPACT_EXP] = costs.impact_exponent
    cfg[Cfg.LIQ_FEE] = venue.liquidation_fee
    cfg[Cfg.PARTIAL_ABOVE] = venue.partial_above
    cfg[Cfg.PARTIAL_FRACTION] = venue.partial_fraction
    cfg[Cfg.BACKSTOP] = venue.backstop
    cfg[Cfg.DEFAULT_LEVERAGE] = 1.0
    cfg[Cfg.WHOLE_LEVERAGE] = 1.0 if venue.integer_leverage else 0.0
    cfg[Cfg.INVERSE] = 1.0 if venue.inverse else 0.0
    return cfg


def _check_leverage(params: np.ndarray, names: tuple, venue: Venue) -> None:
    for k, name in enumerate(names):
        if name.lower() in ("leverage", "lev"):
            col = params[:, k]
            bad = np.flatnonzero(~(col > 0) | (col > venue.max_leverage))
            if len(bad):
                raise UserError(f"parameter {name}={float(col[bad[0]])!r} (column {int(bad[0])}) is outside "
                                f"(0, {venue.max_leverage:g}], the {venue.id} maximum for {venue.symbol}")
            for c, lev in enumerate(col):
                venue.check_whole_leverage(lev, f"parameter {name} (column {c}):")


def _events_capacity(block: np.ndarray, rebalance: np.ndarray) -> int:
    n_funding = int(np.isfinite(block[:, Mkt.FUNDING_RATE]).sum(axis=1).max())
    return 16 + n_funding + 6 * int(rebalance.sum())


class _Run(NamedTuple):
    """What names a run's columns and bars in its results and messages."""
    time: pd.DatetimeIndex       # bar opens
    columns: list                # one {param: value} per column
    labels: list                 # one label per column
    venue_id: str
    margin_mode: str
    cap: int                     # first size of each column's event buffer
    memory: tuple = ()           # the names the strategy gave its hook's memory slots (the trace's columns)


def simulate(market: Any, spec: Any, *, venue: Any = "binance", margin_mode: str = "isolated",
             capital: float = 100_000.0, costs: Costs | None = None, summary_only: bool = False, paths: Any = None,
             path_of_column: Any = None, at: Any = None, chunk_size: int | None = None, progress: bool = False,
             symbol: str = "BTC", option_config: OptionConfig | None = None, debug: bool = False, trace: Any = None,
             column_errors: str = "raise", adl: str = "off") -> SimResult:
    """Simulate every parameter set (row of ``spec.params``) as its own account; see nb/simulate.py.

    ``paths``: extra MarketArrays scenarios of the same length; path 0 is ``market`` and path k is
    ``paths[k-1]``; ``path_of_column[j]`` names column j's path (default: all on ``market``).
    ``at``: date of the one venue tier table to use (default: each dated table in force during the run,
    switching at the bar where the next one starts). ``chunk_size``: columns
    per kernel call (bounded memory); results merge into the same result as one call.
    ``option_config``: ``hedgelab.engine.options.OptionConfig`` for option legs (default: Deribit-like).
    ``debug``: run every column through the kernel's code in plain Python with the hook's ``py_func``
    (breakpoints and print work, prints tagged with run and bar, indices bounds-checked, numpy's
    floating-point errors raised; slow), see ``engine/debug.py``; an exception in a hook propagates as
    itself, its traceback at the hook's line, noted with the run and bar. ``trace``: True or a list of column numbers: those columns are also run that
    way and ``result.trace`` holds every decision bar's state, intent and resulting events.
    ``column_errors``: "raise" (a ``HookError`` for the first column a hook's mistake stopped) or
    "keep" (the other columns are results; ``result.errors`` maps each stopped column to its message).
    ``adl``: what the market's auto-deleveraging events (``MarketArrays.adl_*``) do: "off" (nothing),
    "worst" or "share" (``engine/nb/adl.py``); a venue without an ADL queue ignores them.
    """
    _check_arguments(column_errors, margin_mode, capital, chunk_size)
    if adl not in ADL_MODES:
        raise UserError(f"adl must be one of {', '.join(ADL_MODES)}, got {adl!r}")
    costs = (costs or Costs()).validate()
    time_ns, time = _bar_times(market)
    schedule = _venue_schedule(venue, time, at, symbol, margin_mode)
    inputs = build_inputs(market, spec, schedule, time_ns, margin_mode=margin_mode, capital=float(capital),
                          costs=costs, paths=paths, path_of_column=path_of_column, option_config=option_config,
                          adl=adl)
    run = _describe_run(inputs, spec, time, schedule[0][1].id, margin_mode)
    errors: dict | None = {} if column_errors == "keep" else None
    if getattr(spec, "callbacks", None) is not None:   # on_fill, on_liquidation, ...: engine/event_calls.py
        inputs = settle(inputs, spec.callbacks, time=time, labels=run.labels, errors=errors, debug=debug,
                        kernel=lambda k, record: _run(k, run, record)[1:])
    if debug:
        return _debug_run(inputs, run, summary_only, errors)
    summary, records, out = _run_chunks(inputs, run, chunk_size, record=not summary_only, errors=errors,
                                        progress=progress)
    _check_final_equity(summary, out, run, errors)
    result = SimResult.from_arrays(time, run.columns, run.labels, summary, records, out, run.venue_id, margin_mode,
                                   inputs.bar_seconds)
    result.errors = dict(sorted((errors or {}).items()))
    if trace is not None and trace is not False:
        result.trace = _trace(inputs, run, trace, result.summary, result.errors)
    return result


def _check_arguments(column_errors: str, margin_mode: str, capital: Any, chunk_size: Any) -> None:
    if column_errors not in ("raise", "keep"):
        raise UserError(f"column_errors must be 'raise' or 'keep', got {column_errors!r}")
    if margin_mode not in MARGIN_MODES:
        raise UserError(f"margin_mode must be one of {MARGIN_MODES}, got {margin_mode!r}")
    if not isinstance(capital, (int, float)) or not math.isfinite(capital) or capital <= 0:
        raise UserError(f"capital must be a positive number of USD, got {capital!r}")
    if chunk_size is not None and int(chunk_size) <= 0:
        raise UserError(f"chunk_size must be a positive number of columns, got {chunk_size!r}")


def _bar_times(market: Any) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """(bar opens as int64 ns, the same as a UTC DatetimeIndex); the bars must exist and increase."""
    time_ns = np.asarray(market.time_ns, dtype=np.int64)
    if len(time_ns) == 0:
        raise UserError("market has no bars")
    if len(time_ns) > 1 and np.any(np.diff(time_ns) <= 0):
        raise UserError(f"market time_ns must increase; bar {int(np.argmax(np.diff(time_ns) <= 0)) + 1} does not")
    return time_ns, pd.DatetimeIndex(time_ns.view("datetime64[ns]"), name="time").tz_localize("UTC")


def tables_in_force(venue: Any, time: pd.DatetimeIndex, at: Any, symbol: str) -> list:
    """[(first day, Venue)] of a symbol's tier tables a run over ``time`` uses: the one valid ``at``, else each
    dated table in force between the first and the last bar."""
    if at is not None:
        return [(time[0].date(), load_venue(venue, at=at, symbol=symbol))]
    return tier_schedule(venue, time[0].date(), time[-1].date(), symbol=symbol)


def _venue_schedule(venue: Any, time: pd.DatetimeIndex, at: Any, symbol: str, margin_mode: str) -> list:
    """``tables_in_force``, refused when the kernel cannot simulate the venue."""
    schedule = tables_in_force(venue, time, at, symbol)
    v = schedule[0][1]
    if v.inverse and margin_mode != "isolated":
        raise UserError(f"venue {v.id!r} is an inverse perp: the kernel simulates inverse perps in isolated "
                        f"margin only, not {margin_mode!r}")
    if v.inverse and v.liq_rule != LiqRule.MM_AT_LIQ:
        raise UserError(f"venue {v.id!r} is an inverse perp: the kernel supports liquidation_rule "
                        f"'mm_at_liq' only for inverse venues")
    return schedule


def build_inputs(market: Any, spec: Any, schedule: list, time_ns: np.ndarray, *, margin_mode: str, capital: float,
                 costs: Costs, paths: Any = None, path_of_column: Any = None,
                 option_config: OptionConfig | None = None, adl: str = "off") -> KernelInputs:
    """The kernel's inputs from the checked strategy spec, market paths, venue tables and settings."""
    v = schedule[0][1]
    params, features, rebalance, names = checked_arrays(spec, len(time_ns))
    _check_leverage(params, names, v)
    all_paths = _check_paths(market, paths, time_ns)
    poc = _path_of_column(path_of_column, params.shape[0], len(all_paths))
    ocfg = validate_option_config(option_config if option_config is not None else OptionConfig())
    cfg = venue_config(v, margin_mode, capital, costs, adl)
    # ADL off: the events cost nothing, neither a check nor a full step (quiet bars)
    block = market_block(all_paths, ocfg, adl=cfg[Cfg.ADL_MODE] != AdlMode.OFF)
    cap_funding(block, time_ns, v)
    return KernelInputs(
        hook=guarded(spec.hook),  # a user's hook that raises stops its column (engine/guard.py)
        market=block, close_time_s=time_ns / 1e9 + float(market.bar_seconds), path_of_column=poc,
        cfg=cfg,
        tier_sets=pack_tier_sets([venue_at.tiers for _, venue_at in schedule]),
        tier_from_bar=_tier_from_bar(schedule, time_ns), params=params, features=features, rebalance=rebalance,
        time_ns=time_ns, bar_seconds=int(market.bar_seconds), ocfg=np.ascontiguousarray(ocfg.to_array()))


def _check_paths(market: Any, paths: Any, time_ns: np.ndarray) -> list:
    all_paths = [market] + list(paths or [])
    for p, m in enumerate(all_paths[1:], 1):
        if not np.array_equal(np.asarray(m.time_ns, dtype=np.int64), time_ns):
            raise UserError(f"paths[{p - 1}] has a different time index from market")
    return all_paths


def _path_of_column(path_of_column: Any, ncols: int, npaths: int) -> np.ndarray:
    if path_of_column is None:
        return np.zeros(ncols, dtype=np.int64)
    poc = np.ascontiguousarray(path_of_column, dtype=np.int64)
    if poc.shape != (ncols,) or poc.min() < 0 or poc.max() >= npaths:
        raise UserError(f"path_of_column must hold {ncols} path numbers in [0, {npaths - 1}]")
    return poc


def _tier_from_bar(schedule: list, time_ns: np.ndarray) -> np.ndarray:
    """The first bar of each dated table (0 for the first, in force from the run's start)."""
    day_ns = np.array([pd.Timestamp(day, tz="UTC").value for day, _ in schedule], dtype=np.int64)
    tier_from_bar = np.searchsorted(time_ns, day_ns).astype(np.int64)
    tier_from_bar[0] = 0
    return tier_from_bar


def _describe_run(inputs: KernelInputs, spec: Any, time: pd.DatetimeIndex, venue_id: str, margin_mode: str) -> _Run:
    ncols = inputs.n_columns
    columns = [dict(zip(spec.param_names, map(float, row))) for row in inputs.params]
    labels = list(spec.labels) if len(spec.labels) == ncols else [f"column {j}" for j in range(ncols)]
    return _Run(time, columns, labels, venue_id, margin_mode, _events_capacity(inputs.market, inputs.rebalance),
                tuple(getattr(spec, "memory_names", ())))


def _run_chunks(inputs: KernelInputs, run: _Run, chunk_size: int | None, *, record: bool, errors: dict | None,
                progress: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Every column, ``chunk_size`` at a time: (summary, event records, per-bar out or None)."""
    ncols = inputs.n_columns
    step = ncols if chunk_size is None else int(chunk_size)
    starts = range(0, ncols, step)
    if progress:
        from tqdm import tqdm
        starts = tqdm(starts, total=len(starts), unit="chunk")
    sink = _RecordSink(ncols * run.cap)
    summaries: list = []
    outs: list = []
    for lo in starts:
        summary, events, counts, out = _run(inputs.columns(lo, min(lo + step, ncols)), run, record, errors)
        sink.add(events, counts)
        del events
        summaries.append(summary)
        outs.append(out)
    out = None if not record else (outs[0] if len(outs) == 1 else np.concatenate(outs))
    return np.concatenate(summaries), sink.records(), out


def _run(inputs: KernelInputs, run: _Run, record: bool,
         errors: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """One kernel call over a column chunk: (summary, event buffer, event counts, per-bar out or None).

    A hook that raised or wrote an unusable intent is a ``HookError`` naming the run, bar and field;
    with ``errors`` (a dict) each such column's message goes there instead (global column -> text)."""
    from hedgelab.engine.warmup import load_kernel
    simulate_nb = load_kernel().simulate_nb  # compiled on first use (or by the warm-up), cached on disk
    n, ncols, offset = inputs.market.shape[2], inputs.n_columns, inputs.col_offset

    def call(cols: np.ndarray, mask: np.ndarray, cap: int, record: bool) -> tuple:
        chunk = inputs.columns(int(cols[0]), int(cols[-1]) + 1)._replace(rebalance=mask)
        out = np.empty((len(cols), Out.N, n if record else 0))
        summary = np.zeros((len(cols), Sum.N))
        events = np.empty((len(cols), cap), dtype=event_dt)
        simulate_nb(*kernel_args(chunk, out, summary, events))
        return summary, events, out

    cap = run.cap
    while True:
        try:
            summary, events, out = call(np.arange(ncols), inputs.rebalance, cap, record)
        except SystemError as exc:  # an exception inside the hook (numba hands it over as the cause)
            if exc.__cause__ is None:
                raise
            hook_errors.locate_exception(functools.partial(call, cap=cap, record=False), ncols, inputs.rebalance,
                                         run.labels, offset, run.time, exc)
        counts = summary[:, Sum.N_EVENTS].astype(np.int64)
        if counts.max(initial=0) <= cap:
            break
        cap = int(counts.max())  # deterministic rerun with a buffer that fits every column

    def rerun(j: int) -> None:
        # as compiled first (NaN and inf let through), then strict: numba raises ZeroDivisionError where
        # numpy only warns, so a 0/0 the plain run lets through is found by the strict one
        for strict in (False, True):
            with np.errstate(all="ignore"):   # the first pass is as quiet as the compiled hook
                run_column(inputs, j, record=False, cap=cap, label=run.labels[offset + j], time=run.time,
                           echo=False, strict=strict)
    if errors is None:
        hook_errors.raise_column_errors(summary, run.labels, offset, run.time, rerun=rerun)
    else:   # the plain-Python re-runs happen once, on the final call
        for j, (message, _) in hook_errors.column_errors(summary, run.labels, offset, run.time, rerun).items():
            errors[offset + j] = message
    return summary, events, counts, (out if record else None)


def _check_final_equity(summary: np.ndarray, out: np.ndarray | None, run: _Run, errors: dict | None) -> None:
    """A column whose equity ended non-finite: a HookError, or its message in ``errors``. The kernel
    checks after each decision; this catches the rest."""
    final = summary[:, Sum.FINAL_EQUITY]
    for j in (int(j) for j in np.flatnonzero(~np.isfinite(final)) if errors is None or int(j) not in errors):
        bar = int(np.argmin(np.isfinite(out[j, Out.EQUITY]))) if out is not None else len(run.time) - 1
        message = f"{hook_errors.where(run.labels[j], j, bar, run.time)}: equity is not finite"
        if errors is None:
            raise hook_errors.HookError(message)
        errors[j] = message


def _trace(inputs: KernelInputs, run: _Run, trace: Any, kernel_summary: pd.DataFrame,
           errors: dict | None = None) -> pd.DataFrame | None:
    """The chosen columns (True: all) run in plain Python, each decision bar's state, intent and events;
    a warning when a column's plain-Python run does not end where the kernel's did. A column a hook's
    mistake stopped (in ``errors``) runs strict and its trace ends at the bar that stopped it."""
    ncols = inputs.n_columns
    chosen = range(ncols) if trace is True else [int(c) for c in np.atleast_1d(trace)]
    bad = [c for c in chosen if not 0 <= c < ncols]
    if bad:
        raise UserError(f"trace: column {bad[0]} does not exist (0..{ncols - 1})")
    frames = []
    for c in chosen:
        stopped = c in (errors or {})
        try:
            row, ev, _, frame = run_column(inputs, c, record=False, cap=run.cap, label=run.labels[c], time=run.time,
                                           echo=False, strict=stopped, memory=run.memory)
        except Exception as exc:
            partial = getattr(exc, "hedgelab_trace", None)
            if not stopped or partial is None:
                raise
            frames.append(partial)   # what it has, up to the bar whose hook raised
            continue
        if stopped:
            frames.append(with_events(frame, ev, run.time, inputs.bar_seconds))
            continue
        kernel = kernel_summary.iloc[c]
        if not (np.isclose(row[Sum.FINAL_EQUITY], kernel["final_equity"], rtol=1e-9)
                and int(row[Sum.N_EVENTS]) == int(kernel["n_events"])):
            warnings.warn(f"trace of {run.labels[c]}: the plain-Python run ended at equity "
                          f"{row[Sum.FINAL_EQUITY]:.6f} with {int(row[Sum.N_EVENTS])} events, the kernel at "
                          f"{kernel['final_equity']:.6f} with {int(kernel['n_events'])}", stacklevel=3)
        frames.append(with_events(frame, ev, run.time, inputs.bar_seconds))
    return pd.concat(frames, ignore_index=True) if frames else None


def _debug_run(inputs: KernelInputs, run: _Run, summary_only: bool, errors: dict | None = None) -> SimResult:
    """Every column through ``engine/debug.run_column`` (plain Python, strict), one after another; an
    exception propagates. ``errors``: as in ``_run`` (a dict: the columns stopped by an unusable intent
    are listed there instead of raised)."""
    rows: list = []
    records: list = []
    outs: list = []
    frames: list = []
    for c in range(inputs.n_columns):
        row, ev, out, frame = run_column(inputs, c, record=not summary_only, cap=run.cap, label=run.labels[c],
                                         time=run.time, strict=True, memory=run.memory)
        ev["column"] = c
        rows.append(row)
        records.append(ev)
        outs.append(out)
        frames.append(with_events(frame, ev, run.time, inputs.bar_seconds))
    summary = np.vstack(rows)
    if errors is None:
        hook_errors.raise_column_errors(summary, run.labels, 0, run.time)
    else:
        errors.update((j, message) for j, (message, _) in
                      hook_errors.column_errors(summary, run.labels, 0, run.time).items())
    out = None if summary_only else np.stack(outs)
    result = SimResult.from_arrays(run.time, run.columns, run.labels, summary, np.concatenate(records), out,
                                   run.venue_id, run.margin_mode, inputs.bar_seconds)
    result.errors = dict(sorted((errors or {}).items()))
    result.trace = pd.concat(frames, ignore_index=True)
    return result


def _as_bytes(records: np.ndarray) -> np.ndarray:
    """A C-contiguous record array seen as one row of bytes per record (same memory)."""
    return records.view(np.uint8).reshape(*records.shape, records.dtype.itemsize)


class _RecordSink:
    """Gathers the chunks' event records into one array without a second full copy.

    The buffer is sized for the worst case (every column filling its capacity) but allocated with
    ``np.empty``, so only the pages written are ever resident; the result is a view of its start.
    """

    def __init__(self, size: int) -> None:
        self.buf = np.empty(size, dtype=event_dt)
        self.used = 0
        self.spill: list = []

    def add(self, events: np.ndarray, counts: np.ndarray) -> None:
        # Copied as raw bytes: numpy copies a structured dtype with padding field by field (6x slower).
        into, rows = _as_bytes(self.buf), _as_bytes(events)
        for j, c in enumerate(counts):
            if self.spill or self.used + c > len(self.buf):
                self.spill.append(events[j, :c].copy())
            else:
                into[self.used:self.used + c] = rows[j, :c]
                self.used += c

    def records(self) -> np.ndarray:
        head = self.buf[:self.used]
        return np.concatenate([head, *self.spill]) if self.spill else head
