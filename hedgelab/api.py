"""The Python front door for notebooks: ``hedgelab.run``, ``hedgelab.compare``, ``hedgelab.sweep``.

Each call mirrors the CLI command of the same name and returns a ``Result`` with pandas frames
(``equity``, ``events``, ``summary``), the strategies that failed (``failures``) and ``write(out_dir)``
that writes the same report files as the CLI.

Per strategy: the dataset is loaded and aligned once, the strategy builds its ``StrategySpec``, the
engine simulates it (parameter sets in chunks), and every column becomes a ``RunRecord`` for the
reports. A strategy that raises is recorded in ``failures`` with its reason; the others still run.

Defaults (as the CLI's): data="crisis-2025", venue="binance", margin_mode=None (each strategy's own),
start/end=None (the whole dataset; both inclusive), capital=100_000, quiet=True; ``config`` is a TOML
path or a dict with the CLI's keys, and explicit keyword arguments win over it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
import itertools
import json

import numpy as np

import pandas as pd

from hedgelab import _options as opt
from hedgelab import _runner
from hedgelab.core.errors import UserError

__all__ = ["Result", "run", "compare", "sweep"]

# A sweep above this many parameter sets keeps only the engine's summaries (no per-bar curves):
# 1,000 full curves of a 2,184-bar dataset are ~50 MB, fine; 10,000+ are not.
SUMMARY_ONLY_ABOVE = 5_000


@dataclass
class Result:
    """What a run, comparison or sweep produced."""

    runs: list                      # RunRecord per (strategy, parameter set), in run order
    failures: dict                  # strategy name -> one-line reason
    manifest: dict                  # the dataset's manifest
    crash_windows: list | None = None
    assumptions: list = field(default_factory=list)
    heatmap: dict | None = None     # sweeps: {"x", "y", "metric"} for the report's heatmap
    options: dict = field(default_factory=dict)  # the resolved options (for the record)
    warnings: list = field(default_factory=list)  # plugins that did not load and were not asked for
    stress: object = None           # StressResult when the call also ran a stress test (stress=...)

    @cached_property
    def _ranking(self) -> tuple:
        """(the ranked summary, each row's place in ``runs``)."""
        from hedgelab.reports.summary import ranked_summary
        return ranked_summary(self.runs)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per run, ranked, indexed by the run's name: rank, run, strategy, params (JSON, as in
        summary.csv), final_equity, total_return, max_drawdown, ..., then one column per parameter
        (NaN where a run's strategy has no such parameter; ``param.<name>`` if a name is taken)."""
        from hedgelab.reports.run import SummaryRuns
        ranking, order = self._ranking
        df = ranking.copy()
        if "run" in df.columns:
            df.index = pd.Index(df["run"].astype(str), name="name")
        params = self.runs.params if isinstance(self.runs, SummaryRuns) else [r.params or {} for r in self.runs]
        params = [params[k] for k in order]
        # a sweep's sets all hold every declared parameter: the first set names them
        names = list(params[0]) if isinstance(self.runs, SummaryRuns) and params else \
            list(dict.fromkeys(k for p in params for k in p))
        for k in names:
            col = k if k not in df.columns else f"param.{k}"
            df[col] = [p.get(k, np.nan) for p in params]
        return df

    def _frame(self, attr) -> pd.DataFrame:
        curves = {r.name: getattr(r, attr) for r in self.runs if getattr(r, attr, None) is not None}
        return pd.DataFrame(curves)

    @property
    def position(self) -> pd.DataFrame:
        """Perp position (BTC, signed, + long) at each bar's close, one column per run."""
        return self._frame("perp_qty")

    @property
    def spot(self) -> pd.DataFrame:
        """Spot BTC held at each bar's close, one column per run."""
        return self._frame("spot_qty")

    @property
    def cash(self) -> pd.DataFrame:
        """Free cash (USD, isolated margin excluded) at each bar's close, one column per run."""
        return self._frame("cash")

    @property
    def margin(self) -> pd.DataFrame:
        """Margin ratio (maintenance margin / margin balance; 1.0 = liquidation) at each bar's close,
        one column per run with a leveraged position."""
        return self._frame("margin_ratio")

    @property
    def liq_price(self) -> pd.DataFrame:
        """The perp's liquidation price (USD; NaN without a position) at each bar's close, per run."""
        return self._frame("liq_price")

    @property
    def option_value(self) -> pd.DataFrame:
        """Mark-to-model value of the option book (USD, + long) at each bar's close, per run."""
        return self._frame("option_value")

    @property
    def trace(self) -> pd.DataFrame | None:
        """``trace=True`` runs: every decision bar's state and intent (fields ``state.*``, ``intent.*``),
        the BTC filled and that bar's events as text, one row per (run, decision bar)."""
        frames = [r.trace for r in self.runs if getattr(r, "trace", None) is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    def plot(self) -> dict:
        """Plotly figures for a notebook: ``equity`` (USD), ``drawdown`` (% from the running peak) and
        ``position`` (perp BTC), one line per run, bar close times in UTC."""
        import plotly.graph_objects as go
        out = {}
        equity = self.equity
        panels = {"equity": (equity, "Equity (USD)"),
                  "drawdown": (equity / equity.cummax() - 1.0, "Drawdown from the running peak (fraction)"),
                  "position": (self.position, "Perp position (BTC, + long)")}
        for key, (frame, title) in panels.items():
            fig = go.Figure([go.Scatter(x=frame.index, y=frame[c], name=str(c), mode="lines") for c in frame.columns])
            fig.update_layout(title=title, xaxis_title="time (UTC)", yaxis_title=title)
            out[key] = fig
        return out

    @property
    def equity(self) -> pd.DataFrame:
        """Equity curves, one column per run label (runs kept as summaries only are left out)."""
        curves = {r.name: r.equity for r in self.runs if getattr(r, "equity", None) is not None}
        return pd.DataFrame(curves)

    @property
    def events(self) -> pd.DataFrame:
        """Every run's events: time, strategy, instrument, side, kind, qty, price, amount, run (label)."""
        cols = [*_runner.EVENT_COLUMNS, "run"]
        frames = [r.events for r in self.runs if getattr(r, "events", None) is not None and len(r.events)]
        if not frames:
            return pd.DataFrame(columns=cols)
        return pd.concat(frames, ignore_index=True)[cols]

    @property
    def ok(self) -> bool:
        return not self.failures

    def write(self, out_dir, *, progress: bool = False, tearsheets: int | None = None) -> Path:
        """Write report.html, summary.csv, events.csv and tearsheets/ into ``out_dir`` (new or empty),
        and with a stress test also stress.csv, stress_paths.csv and stress.html (linked from the page).

        ``tearsheets``: the most tearsheets to write (best-ranked runs, plus hold); default every run
        of a run/compare, 5 for a sweep.
        """
        from hedgelab.core.outdir import check_out_dir
        out = check_out_dir(out_dir, option="write(): out_dir")  # worded for the API, not the CLI's --out
        return _runner.write_outputs(self, out, progress=progress, tearsheets=tearsheets)

    def __repr__(self) -> str:
        return (f"Result(runs={len(self.runs)}, failures={sorted(self.failures)}, "
                f"data={self.manifest.get('name')!r})")


def _resolve(config, **given) -> tuple[dict, dict]:
    """Explicit keyword arguments win over the config file; the config's unknown keys are errors."""
    conf = {}
    if config is not None:
        conf = dict(config) if isinstance(config, dict) else opt.load_config(config)
        opt.check_config_keys(conf, "config" if isinstance(config, dict) else str(config))
    defaults = _DEFAULTS
    out = {}
    for key, value in given.items():
        if value is not _UNSET:
            out[key] = value
        elif key in conf:
            out[key] = conf[key]
        else:
            out[key] = defaults.get(key)
    out["margin_mode"] = opt.check_margin_mode(out.get("margin_mode"))
    out["capital"] = opt.check_capital(out.get("capital"))
    return out, conf


class _Unset:
    def __repr__(self):
        return "<default>"


_UNSET = _Unset()
_DEFAULTS = {"data": "crisis-2025", "venue": "binance", "margin_mode": None, "start": None, "end": None,
             "capital": 100_000.0, "store": None, "strategies_dir": None, "quiet": True,
             "metric": "total_return", "heatmap_x": None, "heatmap_y": None, "cluster": None,
             "costs": None, "no_costs": False}


def run(strategy=None, params=None, *, data=_UNSET, venue=_UNSET, margin_mode=_UNSET, start=_UNSET,
        end=_UNSET, capital=_UNSET, store=_UNSET, strategies_dir=_UNSET, costs=_UNSET, no_costs=_UNSET, config=None,
        quiet=_UNSET, trace=False, raise_on_failure=False, stress=None) -> Result:
    """Backtest one strategy with one parameter set (defaults for the ones not given).

    ``stress``: also run it over generated paths, e.g. ``dict(method="bootstrap", paths=200, seed=0)``
    (see ``stress_spec``); the StressResult is ``result.stress``.

    ``trace=True``: ``result.trace`` holds every decision bar's state, intent and events (the run
    is replayed through the kernel's code in plain Python, checked equal to the kernel).
    ``raise_on_failure=True``: a strategy that fails raises a UserError instead of being listed in
    ``result.failures``."""
    o, conf = _resolve(config, data=data, venue=venue, margin_mode=margin_mode, start=start, end=end,
                       capital=capital, store=store, strategies_dir=strategies_dir, quiet=quiet,
                       costs=costs, no_costs=no_costs)
    strategy = strategy or conf.get("strategy")
    if not strategy:
        raise UserError("run: no strategy named (give one, or 'strategy' in the config)")
    spec = stress_spec(stress, conf)
    merged = dict(conf.get("params") or {})
    merged.update(params or {})
    o["trace"] = bool(trace)
    result = _runner.execute(o, [(strategy, [merged])], heatmap=None)
    return _checked(_with_stress(result, spec, o, [strategy], params=merged), raise_on_failure)


def compare(strategies=None, *, params=None, data=_UNSET, venue=_UNSET, margin_mode=_UNSET,
            start=_UNSET, end=_UNSET, capital=_UNSET, store=_UNSET, strategies_dir=_UNSET, costs=_UNSET, no_costs=_UNSET, config=None,
            quiet=_UNSET, trace=False, raise_on_failure=False, stress=None) -> Result:
    """Several strategies side by side, each with its defaults (None: every built-in strategy).

    ``trace``, ``raise_on_failure`` and ``stress`` as in ``run``.

    ``params`` optionally maps a strategy name to parameter overrides: {"perp-hedge": {"hedge_ratio": 0.3}}.
    A strategy named twice is a UserError: parameters are keyed by strategy name, so both entries would be
    the same run (one strategy over several parameter sets is a sweep).
    """
    o, conf = _resolve(config, data=data, venue=venue, margin_mode=margin_mode, start=start, end=end,
                       capital=capital, store=store, strategies_dir=strategies_dir, quiet=quiet,
                       costs=costs, no_costs=no_costs)
    spec = stress_spec(stress, conf)
    if strategies is None:
        strategies = conf.get("strategies")
    if isinstance(strategies, str):
        strategies = [strategies]
    for source in (conf.get("params") or {}, params or {}):
        flat = [k for k, v in source.items() if not isinstance(v, dict)]
        if flat:
            raise UserError(f"params.{flat[0]}: a comparison takes one table per strategy, "
                            f"e.g. [params.perp-hedge] hedge_ratio = 0.3")
    per = {k: dict(v) for k, v in (conf.get("params") or {}).items()}
    for name, values in (params or {}).items():
        per.setdefault(name, {}).update(values)
    if strategies is None or len(strategies) == 0:
        names = _runner.builtin_names(o["strategies_dir"])
    else:
        names = list(strategies)
        repeated = next((n for i, n in enumerate(names) if n in names[:i]), None)
        if repeated is not None:
            raise UserError(f"compare: strategy {repeated!r} is named twice; it would run the same parameters "
                            f"twice (for several parameter sets use: hedgelab sweep {repeated} -g NAME=...)")
    unknown = sorted(set(per) - set(names))
    if unknown:
        raise UserError(f"params given for {', '.join(unknown)}, which is not being compared")
    o["trace"] = bool(trace)
    result = _runner.execute(o, [(n, [per.get(n, {})]) for n in names], heatmap=None)
    return _checked(_with_stress(result, spec, o, names, params={n: per.get(n, {}) for n in names}),
                    raise_on_failure)


def sweep(strategy=None, grid=None, *, params=None, metric=_UNSET, heatmap_x=_UNSET, heatmap_y=_UNSET,
          data=_UNSET, venue=_UNSET, margin_mode=_UNSET, start=_UNSET, end=_UNSET, capital=_UNSET,
          store=_UNSET, strategies_dir=_UNSET, costs=_UNSET, no_costs=_UNSET, config=None, quiet=_UNSET, summary_only=None, cluster=_UNSET,
          client=None, rows=None, resume=False, chunk_size=None, raise_on_failure=False, stress=None) -> Result:
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
    """
    o, conf = _resolve(config, data=data, venue=venue, margin_mode=margin_mode, start=start, end=end,
                       capital=capital, store=store, strategies_dir=strategies_dir, quiet=quiet,
                       metric=metric, heatmap_x=heatmap_x, heatmap_y=heatmap_y, cluster=cluster,
                       costs=costs, no_costs=no_costs)
    strategy = strategy or conf.get("strategy")
    if not strategy:
        raise UserError("sweep: no strategy named (give one, or 'strategy' in the config)")
    spec = stress_spec(stress, conf)
    raw = dict(conf.get("grid") or {})
    raw.update(grid or {})
    fixed = dict(conf.get("params") or {})
    fixed.update(params or {})
    if not raw:  # the strategy's declared grids (Param(grid=...)), less the parameters held fixed
        declared = _declared_grid(strategy, o.get("strategies_dir"))
        raw = {k: v for k, v in (declared or {}).items() if k not in fixed}
        if declared is not None and not raw:
            raise UserError(f"sweep: empty grid: {strategy} declares none (Param(..., grid=[...])) to sweep by "
                            f"default; give one: grid={{'name': [v1, v2]}} or -g name=v1,v2,...")
    axes = {name: opt.parse_grid_values(name, _grid_values(spec)) for name, spec in raw.items()}
    both = sorted(set(fixed) & set(axes))
    if both:
        raise UserError(f"sweep: parameter {both[0]!r} is both fixed and on the grid")
    names = list(axes)
    param_sets = [dict(fixed, **dict(zip(names, combo))) for combo in itertools.product(*axes.values())]
    heatmap = _heatmap_axes(names, o)
    if summary_only is None:
        summary_only = len(param_sets) > SUMMARY_ONLY_ABOVE
    from hedgelab.scale import open_cluster
    from hedgelab.scale.rows import open_rows
    sink = open_rows(rows, resume=resume, strategy=strategy, param_sets=param_sets, o=o, summary_only=summary_only)
    with open_cluster(o.get("cluster"), client) as dask_client:
        o.update(client=dask_client, rows=sink, chunk_size=chunk_size)
        result = _runner.execute(o, [(strategy, param_sets)], heatmap=heatmap, summary_only=summary_only)
    result.options.pop("client", None)   # the record of options, not a live connection or folder
    result.options.pop("rows", None)
    result = _with_stress(result, spec, o, [strategy], params=fixed, grid=axes,
                          client=client)
    return _checked(result, raise_on_failure)


STRESS_PATHS, STRESS_SEED = 200, 0


def stress_spec(stress, conf: dict | None = None) -> dict | None:
    """``stress=`` (or the config's ``stress``, ``stress_paths``, ``stress_seed``) checked before any
    work: None, a method name, or a dict with ``method`` (bootstrap, garch, jump, shock or
    scenario:NAME), ``paths`` (default 200) and ``seed`` (default 0)."""
    from hedgelab.stress.api import MAX_PATHS
    from hedgelab.stress.generators import METHODS
    from hedgelab.stress.scenarios import NAMES
    from hedgelab.stress.seeds import check_seed
    conf = conf or {}
    if stress is None and conf.get("stress") is not None:
        stress = {"method": conf["stress"], "paths": conf.get("stress_paths", STRESS_PATHS),
                  "seed": conf.get("stress_seed", STRESS_SEED)}
    if stress is None:
        return None
    if isinstance(stress, str):
        stress = {"method": stress}
    if not isinstance(stress, dict) or set(stress) - {"method", "paths", "seed"}:
        raise UserError(f"stress={stress!r}: expected a method name or dict(method=..., paths=..., seed=...)")
    method = str(stress.get("method"))
    name, _, scenario = method.partition(":")
    choices = ", ".join(m for m in METHODS if m != "scenario") + ", scenario:NAME"
    if name not in METHODS or (name == "scenario") != bool(scenario) or (scenario and scenario not in NAMES):
        raise UserError(f"--stress {method!r}: expected one of {choices} (NAME one of {', '.join(NAMES)})")
    paths = stress.get("paths", STRESS_PATHS)
    if isinstance(paths, bool) or not isinstance(paths, (int, np.integer)) or not 1 <= paths <= MAX_PATHS:
        raise UserError(f"--stress-paths must be an integer in [1, {MAX_PATHS:,}], got {paths!r}")
    try:
        seed = check_seed(stress.get("seed", STRESS_SEED))
    except UserError:
        raise UserError(f"--stress-seed must be a non-negative integer, got {stress.get('seed')!r}") from None
    return {"method": name, "scenario": scenario or None, "paths": int(paths), "seed": seed}


def _with_stress(result: Result, spec: dict | None, o: dict, names: list, *, params=None, grid=None,
                 client=None) -> Result:
    """The stress test of the strategies that ran, on the same data, window (the whole [start, end]),
    venue and costs; strategies the backtest could not run are left out (they are already in failures)."""
    if spec is None:
        return result
    from hedgelab.stress.api import stress
    ok = [n for n in names if n not in result.failures]
    if not ok:
        return result
    if len(names) > 1:
        params = {n: params.get(n, {}) for n in ok}
    result.stress = stress(ok, method=spec["method"], scenario=spec["scenario"], paths=spec["paths"],
                           seed=spec["seed"], horizon=None, params=params or None, grid=grid or None,
                           data=o["data"], venue=o["venue"], margin_mode=o["margin_mode"], start=o["start"],
                           end=o["end"], capital=o["capital"], store=o["store"],
                           strategies_dir=o["strategies_dir"], cluster=o.get("cluster") if client is None else None,
                           client=client, quiet=o.get("quiet", True), costs=_runner.run_costs(o))
    return result


def _checked(result: Result, raise_on_failure: bool) -> Result:
    if raise_on_failure and result.failures:
        name, reason = next(iter(result.failures.items()))
        more = f" ({len(result.failures) - 1} more failed)" if len(result.failures) > 1 else ""
        raise UserError(f"{name} failed: {reason}{more}")
    return result


def _declared_grid(strategy, strategies_dir) -> dict:
    """The default grid of a strategy by name (its Params' ``grid=``); None if it cannot be loaded
    (the run then reports why, as for any other sweep)."""
    registry, _ = _runner.discover_all(strategies_dir)
    cls = registry.get(strategy)
    return cls.default_grid() if cls is not None else None


def _grid_values(spec):
    """Grid values as the API takes them: a list, a string as in the CLI, or any iterable of
    numbers (a numpy array, a range) as plain Python numbers."""
    if isinstance(spec, (str, list, tuple)) or not hasattr(spec, "__iter__"):
        return spec
    return [v.item() if hasattr(v, "item") else v for v in spec]


def _heatmap_axes(names: list, o: dict) -> dict | None:
    x, y = o.get("heatmap_x"), o.get("heatmap_y")
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
    return {"x": x, "y": y, "metric": o.get("metric") or "total_return"}


def params_json(params: dict) -> str:
    """The summary's ``params`` column: JSON with sorted keys."""
    return json.dumps(params, sort_keys=True, default=float)
