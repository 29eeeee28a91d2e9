"""The Python front door for notebooks: ``hedgelab.run``, ``compare``, ``sweep`` and ``stress``.

Each call mirrors the CLI command of the same name and returns a ``Result`` with pandas frames
(``equity``, ``events``, ``summary``), the strategies that failed (``failures``) and ``write(out_dir)``
that writes the same report files as the CLI (``stress`` returns a ``StressResult``).

Options are resolved as the CLI resolves them (``hedgelab.runner.options``): the defaults, then
``config`` (a TOML path or a dict with the CLI's keys), then the keyword arguments given; a mistake
is a ``UserError`` naming the argument or the config key. Defaults: data="crisis-2025",
venue="binance", margin_mode=None (each strategy's own), start/end=None (the whole dataset; both
inclusive), capital=100_000, quiet=True, adl=None (share when the data carries auto-deleveraging
events for the venue, else off; "off", "worst" or "share", see ``hedgelab.engine.nb.adl``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
import datetime as dt
import itertools

from hedgelab.core.errors import UserError
from hedgelab.core.schema import show
from hedgelab.runner.execute import check_time, execute, time_limit
from hedgelab.runner.options import Live, RunOptions, params_for, params_per_strategy, resolve
from hedgelab.runner.parse import check_grid_size, parse_grid_values
from hedgelab.runner.prepare import builtin_names, discover_all
from hedgelab.runner.result import Result
from hedgelab.runner.stress import StressTest, run_stress

if TYPE_CHECKING:
    import pandas as pd

    from hedgelab.stress.result import StressResult

__all__ = ["Result", "run", "compare", "sweep", "stress", "market"]

# A sweep above this many parameter sets keeps only the engine's summaries (no per-bar curves):
# 1,000 full curves of a 2,184-bar dataset are ~50 MB, fine; 10,000+ are not.
SUMMARY_ONLY_ABOVE = 5_000


class _Unset:
    def __repr__(self) -> str:
        return "<default>"


_UNSET: Any = _Unset()

# the types of the arguments the calls share
ConfigArg = str | Path | Mapping[str, Any] | None  # a TOML file or a dict with the CLI's keys
CostsArg = str | Path | Mapping[str, Any] | None   # a costs TOML file or a [costs] table
StressArg = str | Mapping[str, Any] | None         # a method name or dict(method=..., paths=..., seed=...)
BasketArg = str | Mapping[str, float] | None      # coins and weights: "BTC=0.3,ETH=0.7" or {"BTC": 0.3, ...}
When = str | dt.date | None                        # a date or time (a datetime, a pd.Timestamp are dates)


def _options(where: str, config: ConfigArg, **kwargs: Any) -> tuple[RunOptions, dict[str, Any]]:
    """The options of one call: the keyword arguments the caller gave win over ``config``."""
    return resolve(config, {k: v for k, v in kwargs.items() if v is not _UNSET}, where=where)


def _names(strategies: object, where: str) -> list[str] | None:
    if strategies is None:
        return None
    if isinstance(strategies, str):
        return [strategies]
    if not isinstance(strategies, (list, tuple)) or not all(isinstance(s, str) for s in strategies):
        raise UserError(f"{where}: strategies={strategies!r}: expected a strategy name or a list of names")
    return list(strategies)


def _params(params: object, where: str, what: str = "params") -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise UserError(f"{where}: {what}={show(params)}: expected a dict of name -> value")
    bad = next((k for k in params if not isinstance(k, str)), None)
    if bad is not None:
        raise UserError(f"{where}: {what} key {show(bad)}: expected a parameter name (a str)")
    return dict(params)


def _strategy(strategy: object, where: str) -> None:
    if strategy is not None and not isinstance(strategy, str):
        raise UserError(f"{where}: strategy={show(strategy)}: expected a strategy name (a str), e.g. 'perp-hedge'")


def _flag(value: object, where: str, name: str, none_ok: bool = False) -> None:
    if not isinstance(value, bool) and not (none_ok and value is None):
        raise UserError(f"{where}: {name}={show(value)}: expected True or False" + (" (or None)" if none_ok else ""))


def _client(client: object, where: str) -> None:
    """``client=``: an open ``dask.distributed.Client`` (a spec string goes in ``cluster=``)."""
    if client is None:
        return
    try:
        from dask.distributed import Client
        is_client = isinstance(client, Client)
    except ImportError:   # no dask: nothing can be a Client
        is_client = False
    if not is_client:
        hint = " (a spec such as 'local' goes in cluster=)" if isinstance(client, str) else ""
        raise UserError(f"{where}: client={show(client)}: expected a dask.distributed.Client{hint}")
    if getattr(client, "status", "running") in ("closing", "closed"):
        raise UserError(f"{where}: client={show(client)} is closed; open one, or give cluster='local'")


def _folder(value: object, where: str, name: str) -> None:
    if value is not None and (not isinstance(value, (str, Path)) or not str(value).strip()):
        raise UserError(f"{where}: {name}={show(value)}: expected a folder path (a str or a pathlib.Path)")


def run(strategy: str | None = None, params: dict | None = None, *, data: str = _UNSET, venue: str = _UNSET,
        margin_mode: str | None = _UNSET, start: When = _UNSET, end: When = _UNSET, capital: float = _UNSET,
        store: str | Path | None = _UNSET, strategies_dir: str | Path | None = _UNSET, costs: CostsArg = _UNSET,
        no_costs: bool = _UNSET, basket: BasketArg = _UNSET, symbol: str | None = _UNSET, adl: str | None = _UNSET, config: ConfigArg = None, quiet: bool = _UNSET,
        trace: bool = _UNSET, debug: bool = _UNSET,
        raise_on_failure: bool = False, stress: StressArg = None, timeout: float | None = _UNSET) -> Result:
    """Backtest one strategy with one parameter set (defaults for the ones not given).

    ``stress``: also run it over generated paths, e.g. ``dict(method="bootstrap", paths=200, seed=0)``
    or a method name; the StressResult is ``result.stress``.
    ``trace=True``: ``result.trace`` holds every decision bar's state, intent and events (the run
    is replayed through the kernel's code in plain Python, checked equal to the kernel).
    ``debug=True``: the run itself in plain Python (slow), strict: an exception in the strategy's hook
    or ``prepare`` is raised as itself with its traceback at the author's line (not listed in
    ``failures``), a 0/0 or x/0 in the hook is a ``FloatingPointError`` there (numpy's errors raise),
    indexing ``params``, ``features``, ``state`` or ``intent`` out of bounds an ``IndexError`` naming the
    array; ``result.trace`` has the decision bars. The exception's note names the run and bar, and its
    ``hedgelab_trace`` holds the decision bars up to that one.
    ``raise_on_failure=True``: a strategy that fails raises a UserError instead of being listed in
    ``result.failures``. ``timeout``: seconds the whole call may take (also a config key); past them
    it stops with a UserError ``stopped after N s`` (checked between strategies and chunks of runs, and
    wherever Python runs in the main thread; a compiled hook's call is not interrupted)."""
    _strategy(strategy, "run()")
    _flag(raise_on_failure, "run()", "raise_on_failure")
    opts, conf = _options("run()", config, data=data, venue=venue, margin_mode=margin_mode, start=start,
                          end=end, capital=capital, store=store, strategies_dir=strategies_dir, costs=costs,
                          no_costs=no_costs, basket=basket, symbol=symbol, adl=adl, quiet=quiet, trace=trace,
                          debug=debug, stress=stress if stress is not None else _UNSET, timeout=timeout)
    params = _params(params, "run()")
    with time_limit(opts.timeout, "timeout={}"):
        return _checked(run_with(opts, conf, strategy, params), raise_on_failure)


def run_with(opts: RunOptions, conf: dict[str, Any], strategy: str | None, params: dict[str, Any]) -> Result:
    """``run`` with its options resolved (the CLI's ``hedgelab run`` resolves them from its flags)."""
    strategy = strategy if strategy is not None else conf.get("strategy")
    if not strategy or not isinstance(strategy, str):
        raise UserError(f"run: name a STRATEGY (or set 'strategy' in the config){_got(strategy)}")
    values = params_for(conf, strategy)
    values.update(params)
    result = execute(opts, [(strategy, [values])])
    return _with_stress(result, opts, [strategy], params=values)


def compare(strategies: str | Sequence[str] | None = None, *, params: dict | None = None, data: str = _UNSET,
            venue: str = _UNSET, margin_mode: str | None = _UNSET, start: When = _UNSET, end: When = _UNSET,
            capital: float = _UNSET, store: str | Path | None = _UNSET, strategies_dir: str | Path | None = _UNSET,
            costs: CostsArg = _UNSET, no_costs: bool = _UNSET, basket: BasketArg = _UNSET, symbol: str | None = _UNSET, adl: str | None = _UNSET, config: ConfigArg = None,
            quiet: bool = _UNSET,
            trace: bool = _UNSET, debug: bool = _UNSET, raise_on_failure: bool = False, stress: StressArg = None,
            timeout: float | None = _UNSET, scenarios: bool = _UNSET) -> Result:
    """Several strategies side by side, each with its defaults (None: every strategy found).

    ``params`` optionally maps a strategy name to parameter overrides: {"perp-hedge": {"hedge_ratio": 0.3}}
    (over the config's ``[params.NAME]`` tables). A strategy named twice is a UserError: parameters are
    keyed by strategy name, so both entries would be the same run (several parameter sets of one
    strategy are a sweep). ``trace``, ``debug``, ``raise_on_failure``, ``stress`` and ``timeout`` as in
    ``run``. ``scenarios`` (default True; also a config key): the scenario matrix, every strategy through
    the named scenarios oct10-2025, oct10-2025-x1.5, covid-mar2020, ftx-nov2022, support-80k and squeeze-40
    from one stated start bar, survival and loss per cell (``result.scenarios``: ``.cells``, ``.table("loss_usd")``;
    docs/stress.md, "The scenario matrix").
    """
    names = _names(strategies, "compare()")
    _flag(raise_on_failure, "compare()", "raise_on_failure")
    opts, conf = _options("compare()", config, data=data, venue=venue, margin_mode=margin_mode, start=start,
                          end=end, capital=capital, store=store, strategies_dir=strategies_dir, costs=costs,
                          no_costs=no_costs, basket=basket, symbol=symbol, adl=adl, quiet=quiet, trace=trace,
                          debug=debug, stress=stress if stress is not None else _UNSET, timeout=timeout,
                          scenarios=scenarios)
    per = _params(params, "compare()")
    with time_limit(opts.timeout, "timeout={}"):
        return _checked(compare_with(opts, conf, names, per), raise_on_failure)


def compare_with(opts: RunOptions, conf: dict[str, Any], names: list[str] | None, params: dict[str, Any]) -> Result:
    """``compare`` with its options resolved (``hedgelab compare``)."""
    if not names:
        names = _names(conf.get("strategies"), "compare")
    per = params_per_strategy(conf.get("params"), params)
    if not names:
        names = builtin_names(opts.strategies_dir, basket=opts.basket is not None)
    repeated = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if repeated is not None:
        raise UserError(f"compare: strategy {repeated!r} is named twice; it would run the same parameters "
                        f"twice (for several parameter sets use: hedgelab sweep {repeated} -g NAME=...)")
    unknown = sorted(set(per) - set(names))
    if unknown:
        raise UserError(f"params given for {', '.join(unknown)}, which is not being compared")
    result = execute(opts, [(n, [per.get(n, {})]) for n in names], scenarios=opts.scenarios)
    return _with_stress(result, opts, names, params={n: per.get(n, {}) for n in names})


def sweep(strategy: str | None = None, grid: dict | None = None, *, params: dict | None = None,
          metric: str = _UNSET, heatmap_x: str | None = _UNSET, heatmap_y: str | None = _UNSET,
          data: str = _UNSET, venue: str = _UNSET, margin_mode: str | None = _UNSET, start: When = _UNSET,
          end: When = _UNSET, capital: float = _UNSET, store: str | Path | None = _UNSET,
          strategies_dir: str | Path | None = _UNSET, costs: CostsArg = _UNSET, no_costs: bool = _UNSET,
          basket: BasketArg = _UNSET, symbol: str | None = _UNSET, adl: str | None = _UNSET,
          config: ConfigArg = None, quiet: bool = _UNSET, summary_only: bool | None = None,
          cluster: str | None = _UNSET, client: Any = None, rows: str | Path | None = None, resume: bool = False,
          chunk_size: int | None = _UNSET, raise_on_failure: bool = False, stress: StressArg = None,
          timeout: float | None = _UNSET, debug: bool = _UNSET) -> Result:
    """One strategy over the cartesian product of ``grid`` ({param: [values]}; strings as in the CLI).

    Sweeps over 5,000 sets keep only the engine's summaries (``summary_only``, default: by size):
    ``summary`` then has final_equity, total_return, max_drawdown, liquidations, funding_pnl, fees and
    option_pnl (worst_day and sharpe need curves: NaN), ``equity`` is empty, and the report ranks
    them and shows the heatmap without curves.

    Scale-out (``hedgelab.scale``): ``client`` (a ``dask.distributed.Client``, left open) or
    ``cluster`` (a spec: "local", "local-processes:N", "tcp://HOST:PORT" or a scheduler file; also
    a config key) runs the chunks of columns on Dask workers, with the same numbers as in-process
    (docs/determinism.md). ``rows``: a folder where a summary-mode sweep writes its rows as parquet
    chunk by chunk; ``resume=True`` reads the chunks already there instead of recomputing them.
    ``chunk_size``: columns per chunk (default: ~2 s of kernel work, at most 256 with curves).
    ``stress``: as in ``run``; every parameter set runs over the paths (on the same ``cluster``).
    ``timeout`` and ``debug`` (in this process only: not with ``cluster`` or ``client``): as in ``run``.
    A grid of more than ``MAX_GRID_SETS`` (50 million) sets is refused
    before it is built.
    """
    _strategy(strategy, "sweep()")
    _flag(raise_on_failure, "sweep()", "raise_on_failure")
    opts, conf = _options("sweep()", config, data=data, venue=venue, margin_mode=margin_mode, start=start,
                          end=end, capital=capital, store=store, strategies_dir=strategies_dir, costs=costs,
                          no_costs=no_costs, basket=basket, symbol=symbol, adl=adl, quiet=quiet, metric=metric, heatmap_x=heatmap_x,
                          heatmap_y=heatmap_y, cluster=cluster, chunk_size=chunk_size, debug=debug,
                          stress=stress if stress is not None else _UNSET, timeout=timeout)
    axes, fixed = _params(grid, "sweep()", "grid"), _params(params, "sweep()")
    with time_limit(opts.timeout, "timeout={}"):
        return _checked(sweep_with(opts, conf, strategy, axes, fixed, summary_only=summary_only, client=client,
                                   rows=rows, resume=resume, where="sweep()"),
                        raise_on_failure)


def sweep_with(opts: RunOptions, conf: dict[str, Any], strategy: str | None, grid: dict[str, Any],
               params: dict[str, Any], *, summary_only: bool | None = None, client: Any = None,
               rows: str | Path | None = None, resume: bool = False, where: str = "sweep") -> Result:
    """``sweep`` with its options resolved (``hedgelab sweep``)."""
    _flag(summary_only, where, "summary_only", none_ok=True)
    _flag(resume, where, "resume")
    _folder(rows, where, "rows")
    _client(client, where)
    if opts.debug and (client is not None or opts.cluster not in (None, "none")):
        raise UserError(f"{where}: debug runs in this process (plain Python, where breakpoints work); "
                        f"drop the cluster")
    strategy = strategy if strategy is not None else conf.get("strategy")
    if not strategy or not isinstance(strategy, str):
        raise UserError("sweep: name a STRATEGY (or set 'strategy' in the config)")
    fixed = params_for(conf, strategy)
    fixed.update(params)
    raw = dict(conf.get("grid") or {})
    raw.update(grid)
    if not raw:  # the strategy's declared grids (Param(grid=...)), less the parameters held fixed
        declared = _declared_grid(strategy, opts.strategies_dir)
        raw = {k: v for k, v in (declared or {}).items() if k not in fixed}
        if declared is not None and not raw:
            raise UserError(f"sweep: empty grid: {strategy} declares none (Param(..., grid=[...])) to sweep by "
                            f"default; give one: grid={{'name': [v1, v2]}} or -g name=v1,v2,...")
    bad = next((k for k in raw if not isinstance(k, str)), None)
    if bad is not None:
        raise UserError(f"sweep: grid key {show(bad)}: expected a parameter name (a str)")
    axes = {name: parse_grid_values(name, _grid_values(name, spec)) for name, spec in raw.items()}
    both = sorted(set(fixed) & set(axes))
    if both:
        raise UserError(f"sweep: parameter {both[0]!r} is both fixed and on the grid")
    check_grid_size(axes)   # counted before the sets are built
    param_sets = [dict(fixed, **dict(zip(axes, combo))) for combo in itertools.product(*axes.values())]
    heatmap = _heatmap_axes(list(axes), opts)
    if summary_only is None:
        summary_only = len(param_sets) > SUMMARY_ONLY_ABOVE
    from hedgelab.scale import open_cluster
    from hedgelab.scale.rows import open_rows
    sink = open_rows(rows, resume=resume, strategy=strategy, param_sets=param_sets, identity=opts.record(),
                     summary_only=summary_only)
    with open_cluster(opts.cluster, client) as dask_client:
        result = execute(opts, [(strategy, param_sets)], heatmap=heatmap, summary_only=summary_only,
                         live=Live(dask_client, sink))
    check_time()
    return _with_stress(result, opts, [strategy], params=fixed, grid=axes, live=Live(client))


def stress(strategies: str | Sequence[str] | None = None, *, method: str = "bootstrap", paths: int = _UNSET,
           seed: int = 0, horizon: str | None = "30d", scenario: str | None = None, cascade: bool = False,
           params: dict | None = None, grid: dict | None = None, at: When = None, drop: float = -0.107,
           kind: str = "wick", margin: float = 0.05, data: str = _UNSET, venue: str = _UNSET,
           margin_mode: str | None = _UNSET, start: When = _UNSET, end: When = _UNSET, capital: float = _UNSET,
           store: str | Path | None = _UNSET, strategies_dir: str | Path | None = _UNSET, costs: CostsArg = _UNSET,
           no_costs: bool = _UNSET, basket: BasketArg = _UNSET, symbol: str | None = _UNSET, adl: str | None = _UNSET, config: ConfigArg = None,
           cluster: str | None = _UNSET, client: Any = None,
           chunk: int | None = None, quiet: bool = _UNSET, timeout: float | None = _UNSET) -> StressResult:
    """Survival odds of STRATEGIES (default: every built-in) over ``paths`` generated market paths.

    ``method``: bootstrap, garch, jump, shock or scenario (with ``scenario=NAME``); ``paths`` (default
    200) and ``seed`` (path k draws from the seed and k alone); ``horizon`` (the length of each path
    from ``start``, e.g. "30d", None for the whole window); ``cascade``: deepen crash wicks by a
    liquidation cascade; ``at``, ``drop``, ``kind``: a shock's time, size (decimal) and kind (wick or
    gap); ``margin``: how far below 80k support-80k breaks. ``params``: one strategy's parameters, or
    {name: {...}} per strategy; ``grid``: one strategy over a grid (a survival heatmap). Backtest
    options (``timeout`` too) as in ``run``. Returns a ``StressResult`` (``.table``, ``.write(out_dir)``),
    see docs/stress.md."""
    names = _names(strategies, "stress()")
    params = _stress_params(params)
    grid_axes = _params(grid, "stress()", "grid") or None
    _client(client, "stress()")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1):
        raise UserError(f"stress(): chunk={show(chunk)}: expected a whole number of paths >= 1 (or None)")
    _flag(cascade, "stress()", "cascade")
    if at is not None and not isinstance(at, (str, dt.date)):
        raise UserError(f"stress(): at={show(at)}: expected a date or time such as '2025-10-10 21:00'")
    if grid_axes:
        check_grid_size({k: parse_grid_values(k, _grid_values(k, v)) for k, v in grid_axes.items()}, "stress(): grid")
    opts, _ = _options("stress()", config, data=data, venue=venue, margin_mode=margin_mode, start=start,
                       end=end, capital=capital, store=store, strategies_dir=strategies_dir, costs=costs,
                       no_costs=no_costs, basket=basket, symbol=symbol, adl=adl, quiet=quiet, cluster=cluster, timeout=timeout)
    test = StressTest(method=method, scenario=scenario, paths=StressTest.paths if paths is _UNSET else paths,
                      seed=seed, horizon=horizon, cascade=cascade, at=at, drop=drop, kind=kind, margin=margin,
                      chunk=chunk)
    with time_limit(opts.timeout, "timeout={}"):
        result = run_stress(opts, test, names, params=params, grid=grid_axes, live=Live(client))
        check_time()
        return result


def market(data: str = _UNSET, start: When = _UNSET, end: When = _UNSET, *, venue: str = _UNSET,
           store: str | Path | None = _UNSET, symbol: str | None = _UNSET, adl: str | None = _UNSET,
           config: ConfigArg = None) -> pd.DataFrame:
    """The market a strategy's ``prepare``/``targets`` sees, as a pandas DataFrame, for exploring features.

    ``data`` (default "crisis-2025"), ``start``/``end`` (inclusive; None: the whole dataset), ``symbol``,
    ``venue`` and ``adl`` as in ``run``. One row per bar, indexed by the bar's open (UTC, ``time``); one
    column per ``MarketArrays`` field (docs/writing-a-strategy.md, "The market"): open, high, low, close,
    volume, mark_*, index_*, funding_rate, funding_price, iv and adl_side, adl_share, adl_price (NaN where
    the venue's auto-deleveraging events do not apply). ``df.attrs`` holds ``bar_seconds`` and the
    dataset's ``name`` and ``kind``."""
    opts, _ = _options("market()", config, data=data, start=start, end=end, venue=venue, store=store,
                       symbol=symbol, adl=adl)
    from hedgelab.runner.prepare import adl_mode, load_market
    dataset, arrays = load_market(opts)
    mode, _, arrays = adl_mode(opts, dataset, arrays, str(dataset.manifest.get("symbol") or "BTC"), False)
    return market_frame(arrays, dataset.manifest, adl=mode != "off")


def market_frame(arrays: Any, manifest: Mapping[str, Any] | None = None, *, adl: bool = True) -> pd.DataFrame:
    """MarketArrays as a DataFrame (``market``): its per-bar fields as columns, the bar opens as the index."""
    import numpy as np
    import pandas as pd
    n = len(arrays.time_ns)
    index = pd.DatetimeIndex(pd.to_datetime(np.asarray(arrays.time_ns, dtype=np.int64), utc=True), name="time")
    columns = {}
    for name in arrays._fields:
        if name in ("time_ns", "bar_seconds"):
            continue
        value = getattr(arrays, name)
        columns[name] = (np.full(n, np.nan) if value is None or (name.startswith("adl_") and not adl)
                         else np.asarray(value, dtype=np.float64))
    frame = pd.DataFrame(columns, index=index)
    frame.attrs.update(bar_seconds=int(arrays.bar_seconds), name=(manifest or {}).get("name"),
                       kind=(manifest or {}).get("kind"))
    return frame


def _stress_params(params: object) -> dict[str, Any] | None:
    """stress()'s params: one strategy's {name: value}, or {strategy: {name: value}} per strategy."""
    if params is None:
        return None
    if not isinstance(params, Mapping):
        raise UserError(f"stress(): params={show(params)}: expected a dict of name -> value (or strategy -> dict)")
    bad = next((k for k in params if not isinstance(k, str)), None)
    if bad is not None:
        raise UserError(f"stress(): params key {show(bad)}: expected a parameter or strategy name (a str)")
    return dict(params)


def _with_stress(result: Result, opts: RunOptions, names: list[str], *, params: Mapping[str, Any] | None = None,
                 grid: Mapping[str, Any] | None = None, live: Live = Live()) -> Result:
    """The stress test of the strategies that ran, on the same data, window (the whole [start, end]),
    venue and costs; strategies the backtest could not run are left out (they are already in failures)."""
    spec = opts.stress
    if spec is None:
        return result
    ok = [n for n in names if n not in result.failures]
    if not ok:
        return result
    check_time()
    if len(names) > 1:
        assert params is not None, "several strategies come with their parameters per strategy (compare_with)"
        params = {n: params.get(n, {}) for n in ok}
    test = StressTest(method=spec.method, scenario=spec.scenario, paths=spec.paths, seed=spec.seed, horizon=None)
    result.stress = run_stress(opts, test, ok, params=params or None, grid=grid or None, live=live)
    return result


def _checked(result: Result, raise_on_failure: bool) -> Result:
    if raise_on_failure and result.failures:
        name, reason = next(iter(result.failures.items()))
        more = f" ({len(result.failures) - 1} more failed)" if len(result.failures) > 1 else ""
        raise UserError(f"{name} failed: {reason}{more}")
    return result


def _declared_grid(strategy: str, strategies_dir: Path | None) -> dict[str, Any] | None:
    """The default grid of a strategy by name (its Params' ``grid=``); None if it cannot be loaded
    (the run then reports why, as for any other sweep)."""
    registry, _ = discover_all(strategies_dir)
    cls = registry.get(strategy)
    return cls.default_grid() if cls is not None else None


def _grid_values(name: str, spec: Any) -> object:
    """Grid values as the API takes them: a list, a string as in the CLI, or any iterable of
    numbers (a numpy array, a range) as plain Python numbers; one of more than MAX_GRID_SETS values
    (a range(10**11)) is refused before it is listed."""
    if isinstance(spec, (str, list, tuple)) or not hasattr(spec, "__iter__"):
        return spec
    if isinstance(spec, Mapping):
        raise UserError(f"grid {name!r}: {show(spec)}: expected a list of values, 'v1,v2' or 'start:stop:count'")
    if hasattr(spec, "__len__"):
        check_grid_size({name: spec})
    return [v.item() if hasattr(v, "item") else v for v in spec]


def _got(value: object) -> str:
    return "" if value is None or value == "" else f"; got {show(value)}"


def _heatmap_axes(names: list[str], opts: RunOptions) -> dict[str, str] | None:
    from hedgelab.reports.summary import SUMMARY_COLUMNS, TEXT_COLUMNS
    numeric = [c for c in SUMMARY_COLUMNS if c not in TEXT_COLUMNS]
    if opts.metric not in numeric:
        raise UserError(f"--metric {opts.metric!r}: expected one of {', '.join(numeric)}")
    x, y = opts.heatmap_x, opts.heatmap_y
    for axis, value in (("heatmap_x", x), ("heatmap_y", y)):
        if value is not None and value not in names:
            raise UserError(f"{axis} (--{axis.replace('_', '-')}) {value!r} is not a grid parameter "
                            f"({', '.join(names)})")
    if x is None and y is None and len(names) < 2:
        return None
    x = x or next(n for n in names if n != y)
    y = y or next((n for n in names if n != x), None)
    if y is None:
        return None
    return {"x": x, "y": y, "metric": opts.metric or "total_return"}
