"""``hedgelab.stress(...)``: survival odds of strategies over generated market paths.

Data and options as ``hedgelab.run``/``compare``/``sweep``. The calibration data is the whole dataset;
the paths replace the window of ``horizon`` bars from ``start`` (default: the dataset's first bar)
within [start, end]. Every strategy also runs once on the window itself (the single replay), so the
table shows how the ranking changes from one history to many paths.
"""
from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pandas as pd

from hedgelab import _options as opt
from hedgelab.core.errors import UserError
from hedgelab.stress import survival
from hedgelab.stress.generators import METHODS, describe, make_generator
from hedgelab.stress.result import StressResult, fan_frame
from hedgelab.stress.run import Entry, Plan, run_paths, simulate_entry
from hedgelab.stress.seeds import check_seed

MAX_PATHS = 1_000_000


def horizon_bars(horizon, bar_seconds: int) -> int | None:
    if horizon is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hdw])\s*", str(horizon).lower())
    if not match:
        raise UserError(f"--horizon {horizon!r}: expected a duration such as 30d, 72h or 2w")
    hours = float(match.group(1)) * {"h": 1, "d": 24, "w": 168}[match.group(2)]
    bars = int(hours * 3600 // bar_seconds)
    if bars < 2:
        raise UserError(f"--horizon {horizon!r} is shorter than two bars")
    return bars


def window_of(market, bars: int | None):
    if bars is None or bars >= len(market.time_ns):
        if bars is not None and bars > len(market.time_ns):
            have = len(market.time_ns) * market.bar_seconds / 86400
            raise UserError(f"--horizon is longer than the data between --start and --end ({have:.1f} days)")
        return market
    return market._replace(**{f: (getattr(market, f)[:bars] if isinstance(getattr(market, f), np.ndarray)
                                  else getattr(market, f)) for f in market._fields})


def bar_at(window, at) -> int | None:
    if at is None:
        return None
    t = pd.Timestamp(at)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    k = int(np.searchsorted(window.time_ns, t.value, side="right")) - 1
    if k < 0 or t.value >= window.time_ns[-1] + window.bar_seconds * 10**9:
        first = pd.Timestamp(int(window.time_ns[0]), tz="UTC")
        raise UserError(f"--at {at}: outside the stress window starting {first:%Y-%m-%d %H:%M} UTC")
    return k


def _jobs(strategies, params, grid):
    """[(name, [param dict, ...])] and the heatmap axes of a sweep (or None)."""
    if isinstance(strategies, str):
        strategies = [strategies]
    if grid:
        if not strategies or len(strategies) != 1:
            raise UserError("stress: a parameter grid (-g) takes exactly one STRATEGY")
        axes = {k: opt.parse_grid_values(k, v) for k, v in grid.items()}
        fixed = dict(params or {})
        sets = [dict(fixed, **dict(zip(axes, combo))) for combo in itertools.product(*axes.values())]
        names = list(axes)
        heat = {"x": names[0], "y": names[1]} if len(names) >= 2 else None
        return [(strategies[0], sets)], heat
    params = params or {}
    nested = all(isinstance(v, dict) for v in params.values()) and params
    if strategies and len(strategies) == 1 and not nested:
        return [(strategies[0], [dict(params)])], None
    if params and not nested:
        raise UserError("stress: with several strategies give params per strategy: {'perp-hedge': {...}}")
    return [(n, [dict(params.get(n, {}))]) for n in strategies], None


def stress(strategies=None, *, method="bootstrap", paths=100, seed=0, horizon="30d", scenario=None,
           cascade=False, params=None, grid=None, at=None, drop=-0.107, kind="wick", margin=0.05,
           data="crisis-2025", venue="binance", margin_mode=None, start=None, end=None, capital=100_000.0,
           store=None, strategies_dir=None, cluster=None, client=None, chunk=None, quiet=True,
           costs=None) -> StressResult:
    """Run STRATEGIES over ``paths`` generated paths (see the module docstring and docs/stress.md).

    ``costs``: an engine ``Costs`` (a backtest's --costs/--no-costs); None: the venue's default fees."""
    from hedgelab import _runner
    from hedgelab.stress.cascade import Cascade
    from hedgelab.stress.history import History

    if method not in METHODS:
        raise UserError(f"--method {method!r}: expected one of {', '.join(METHODS)}")
    if isinstance(paths, bool) or not isinstance(paths, (int, np.integer)) or not 1 <= paths <= MAX_PATHS:
        raise UserError(f"--paths must be an integer in [1, {MAX_PATHS:,}], got {paths!r}")
    seed = check_seed(seed)
    o = {"data": data, "venue": venue, "margin_mode": opt.check_margin_mode(margin_mode), "start": start,
         "end": end, "capital": opt.check_capital(capital), "store": store, "strategies_dir": strategies_dir}
    names = list([strategies] if isinstance(strategies, str) else (strategies or []))
    if not names:
        names = _runner.builtin_names(strategies_dir)
    jobs, heat = _jobs(names, params, grid)
    registry, failures_load = _runner.discover_all(strategies_dir)
    entries, failures = [], {}
    for name, sets in jobs:
        cls = _runner.resolve_class(name, registry, failures_load, strategies_dir)
        if cls is None:
            failures[name] = f"could not be loaded: {failures_load[name]}"
            continue
        validated = tuple(cls.validate(p) for p in sets)
        labels = (name,) if len(sets) == 1 else tuple(l or f"{name}#{k}" for k, l in enumerate(cls.labels(list(validated))))
        entries.append(Entry(name, cls, validated, labels, _runner.margin_mode(o, cls)))
    dataset, market = _runner.load_market(o)
    symbol = str(dataset.manifest.get("symbol") or "BTC")
    _runner.check_venue(venue, market, {e.margin_mode for e in entries}, symbol)
    from hedgelab.data import align
    full = align(dataset)          # the calibration data: the whole dataset
    history = History.of(full)
    window = window_of(market, horizon_bars(horizon, int(market.bar_seconds)))
    gen = make_generator(method, history, window, scenario=scenario, drop=drop, kind=kind,
                         at=bar_at(window, at), margin=margin,
                         garch_start=int(np.searchsorted(full.time_ns, window.time_ns[0])))
    casc = Cascade.fit(history, full) if cascade else None
    plan = Plan(gen, window, casc, seed, tuple(entries), venue, float(o["capital"]), costs, symbol)
    from hedgelab.scale import open_cluster
    with open_cluster(cluster, client) as cl:
        merged = run_paths(plan, int(paths), chunk=chunk, client=cl, progress=not quiet)
    kind_of_data = dataset.manifest.get("kind", "?")
    meta = {"method": method if method != "scenario" else f"scenario {scenario}", "description": describe(gen),
            "paths": int(paths), "seed": seed, "horizon_h": len(window.close) * window.bar_seconds / 3600.0,
            "data": dataset.manifest.get("name", data), "data_kind": kind_of_data, "venue": venue,
            "cascade": bool(cascade), "capital": float(o["capital"]),
            "start": f"{pd.Timestamp(int(window.time_ns[0]), tz='UTC'):%Y-%m-%d %H:%M} UTC",
            "end": f"{pd.Timestamp(int(window.time_ns[-1]), tz='UTC'):%Y-%m-%d %H:%M} UTC"}
    return summarise(plan, merged, meta, heat, failures)


def summarise(plan: Plan, merged: dict, meta: dict, heat, failures) -> StressResult:
    w = plan.window
    time = pd.DatetimeIndex(np.asarray(w.time_ns).view("datetime64[ns]")).tz_localize("UTC")
    close_time = time + pd.Timedelta(seconds=int(w.bar_seconds))
    n = len(time)
    take = np.arange(0, n, plan.stride)
    if take[-1] != n - 1:
        take = np.append(take, n - 1)
    bar_h = w.bar_seconds / 3600.0
    rows, per_path, fan, surv, finals = [], [], {}, {}, {}
    for e in plan.entries:
        o = merged[e.name]
        if "error" in o:
            failures[e.name] = o["error"]
            continue
        replay = {}
        for group, sim in simulate_entry(e, w, plan.venue, plan.capital, summary_only=True, costs=plan.costs,
                                         symbol=plan.symbol):
            for j, k in enumerate(group):
                replay[k] = (float(sim.summary["final_equity"].iloc[j]), int(sim.summary["liquidations"].iloc[j]))
        for k, (params, label) in enumerate(zip(e.param_sets, e.labels)):
            row = {"strategy": e.name, "run": label, "params": json.dumps(params, sort_keys=True, default=float),
                   "method": meta["method"], "paths": meta["paths"], "seed": meta["seed"],
                   "horizon_h": meta["horizon_h"], "data_kind": meta["data_kind"]}
            row.update(survival.stats_row(plan.capital, o["final"][:, k], o["first_liq"][:, k], o["funding"][:, k],
                                          o["fees"][:, k], o["option"][:, k], o["max_dd"][:, k], bar_h))
            row["replay_final_equity"], row["replay_survived"] = replay[k][0], replay[k][1] == 0
            rows.append(row)
            fan[label] = fan_frame(o["curve"][:, k, :], close_time[take])
            surv[label] = survival.survival_curve(o["first_liq"][:, k], n)
            finals[label] = o["final"][:, k].copy()
            first = o["first_liq"][:, k]
            per_path.append(pd.DataFrame({
                "run": label, "path": np.arange(len(first)), "final_equity": o["final"][:, k],
                "liquidation_hour": np.where(first >= 0, (first + 1) * bar_h, np.nan),
                "hedge_cost": o["fees"][:, k] - o["funding"][:, k] - o["option"][:, k],
                "max_drawdown": o["max_dd"][:, k]}))
    table = pd.DataFrame(rows, columns=[*survival.COLUMNS, "replay_final_equity", "replay_survived"])
    # stress rank: survival first, then the 95 % expected shortfall of loss; replay rank: final equity
    table = table.sort_values(["survival", "es95_loss", "run"], ascending=[False, True, True]).reset_index(drop=True)
    table.insert(0, "rank_stress", np.arange(1, len(table) + 1))
    table["rank_replay"] = (-table["replay_final_equity"]).rank(method="min").astype(int)
    return StressResult(table=table, per_path=pd.concat(per_path, ignore_index=True) if per_path else pd.DataFrame(),
                        fan=fan, survival=pd.DataFrame(surv, index=close_time), finals=finals, meta=meta,
                        heatmap=heat, failures=failures)
