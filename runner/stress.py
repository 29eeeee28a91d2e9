"""A stress test of prepared strategies: survival odds over generated market paths (``hedgelab stress``,
``hedgelab.stress(...)`` and ``--stress`` with a backtest).

The calibration data is the whole dataset; the paths replace the window of ``horizon`` bars from
``start`` (default: the dataset's first bar) within [start, end]. Every strategy also runs once on the
window itself (the single replay), so the table shows how the ranking changes from one history to
many paths. The options of the backtest (data, venue, costs, ...) are a ``RunOptions``; those of the
stress test a ``StressTest``. A basket run (``--basket``: basket strategies) generates joint paths of
every coin the accounts hold (stress/basket.py) and runs them through the basket engine; its table has
the same columns.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
import itertools

import numpy as np
import pandas as pd

from hedgelab.core.errors import UserError
from hedgelab.runner.options import DEFAULT_STRESS_PATHS, MAX_STRESS_PATHS, Live, RunOptions
from hedgelab.runner.parse import parse_grid_values
from hedgelab.runner.prepare import builtin_names, prepare_run

if TYPE_CHECKING:
    from hedgelab.stress.result import StressResult


@dataclass(frozen=True)
class StressTest:
    """How the paths are made and how many (``hedgelab stress --help`` says each)."""
    method: str = "bootstrap"
    scenario: str | None = None
    paths: int = DEFAULT_STRESS_PATHS
    seed: int = 0
    horizon: str | None = "30d"     # None: the whole window [start, end]
    cascade: bool = False
    at: object = None               # shock/scenario start (None: random per path)
    drop: float = -0.107
    kind: str = "wick"
    margin: float = 0.05
    chunk: int | None = None        # paths per chunk (None: automatic)

    def checked(self) -> StressTest:
        from hedgelab.stress.generators import METHODS
        from hedgelab.stress.seeds import check_seed
        if self.method not in METHODS:
            raise UserError(f"--method {self.method!r}: expected one of {', '.join(METHODS)}")
        paths = self.paths
        if isinstance(paths, bool) or not isinstance(paths, (int, np.integer)) or not 1 <= paths <= MAX_STRESS_PATHS:
            raise UserError(f"--paths must be an integer in [1, {MAX_STRESS_PATHS:,}], got {paths!r}")
        check_seed(self.seed)
        return self


def stress_jobs(strategies: str | Sequence[str], params: Mapping[str, Any] | None, grid: Mapping[str, Any] | None
                ) -> tuple[list[tuple[str, list[dict[str, Any]]]], dict[str, str] | None]:
    """[(name, [param dict, ...])] and the heatmap axes of a sweep (or None)."""
    if isinstance(strategies, str):
        strategies = [strategies]
    if grid:
        if not strategies or len(strategies) != 1:
            raise UserError("stress: a parameter grid (-g) takes exactly one STRATEGY")
        axes = {k: parse_grid_values(k, v) for k, v in grid.items()}
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


def run_stress(opts: RunOptions, test: StressTest, strategies: str | Sequence[str] | None = None, *,
               params: Mapping[str, Any] | None = None, grid: Mapping[str, Any] | None = None,
               live: Live = Live()) -> StressResult:
    """The ``StressResult`` of ``strategies`` (default: every built-in) under ``test``."""
    from hedgelab.data import align
    from hedgelab.scale import open_cluster
    from hedgelab.stress.cascade import Cascade
    from hedgelab.stress.generators import describe, make_generator
    from hedgelab.stress.history import History
    from hedgelab.stress.run import Entry, Plan, run_paths
    from hedgelab.stress.summarise import summarise
    from hedgelab.stress.window import bar_at, horizon_bars, window_of
    test = test.checked()
    names = list([strategies] if isinstance(strategies, str) else (strategies or [])) or \
        builtin_names(opts.strategies_dir, basket=opts.basket is not None)
    jobs, heat = stress_jobs(names, params, grid)
    run = prepare_run(opts, jobs)
    entries: list[Entry] = []
    failures: dict[str, str] = {}
    for job in run.jobs:
        if job.problem is not None:
            failures[job.name] = job.problem
            continue
        assert job.cls is not None, "a job whose class did not load has a problem"
        sets = job.param_sets
        labels = (job.name,) if len(sets) == 1 else tuple(
            label or f"{job.name}#{k}" for k, label in enumerate(job.cls.labels(list(sets))))
        entries.append(Entry(job.name, job.cls, sets, labels, job.margin_mode))
    if run.markets:
        return _basket_stress(opts, test, run, tuple(entries), failures, heat, live)
    market, dataset = run.market, run.dataset
    full = align(dataset)          # the calibration data: the whole dataset
    history = History.of(full)
    window = window_of(market, horizon_bars(test.horizon, int(market.bar_seconds)))
    adl, fund = stress_adl(opts, test, run)
    # generated paths carry only their own (cascade) ADL events, not the data's, which sit at real times
    bare = window._replace(adl_side=None, adl_share=None, adl_price=None)
    gen = make_generator(test.method, history, bare, scenario=test.scenario, drop=test.drop, kind=test.kind,
                         at=bar_at(window, test.at), margin=test.margin,
                         garch_start=int(np.searchsorted(full.time_ns, window.time_ns[0])))
    casc = Cascade.fit(history, full, **fund) if test.cascade else None
    plan = Plan(gen, window, casc, int(test.seed), tuple(entries), opts.venue, float(opts.capital), run.costs,
                run.symbol, adl)
    with open_cluster(opts.cluster if live.client is None else None, live.client) as client:
        merged = run_paths(plan, int(test.paths), chunk=test.chunk, client=client, progress=not opts.quiet)
    meta = dict(_meta(opts, test, dataset, window, describe(gen)), adl=adl)
    meta["warnings"] = list(run.warnings)   # a --start/--end beyond the data, said as for a backtest
    return summarise(plan, merged, meta, heat, failures)


def stress_adl(opts: RunOptions, test: StressTest, run: Any) -> tuple[str, dict[str, float]]:
    """(the ADL mode of the "with ADL" columns, the venue's insurance fund and open-interest share for the
    cascade's fund test): --adl if given, else share when the cascade runs on a venue with an ADL queue and
    a fund (its events come from the cascade's exhausted fund); off, without a fund test, otherwise."""
    if not test.cascade or run.markets:
        return "off", {}
    from hedgelab.runner.prepare import venue_at_start
    venue = venue_at_start(opts.venue, run.market, run.symbol)
    mode = "off" if not venue.adl_rule or venue.insurance_fund_usd <= 0 else opts.adl or "share"
    if mode == "off":
        return "off", {}
    return mode, {"fund_usd": venue.insurance_fund_usd, "oi_share": venue.open_interest_share}


def _meta(opts: RunOptions, test: StressTest, dataset: Any, window: Any, description: str) -> dict[str, Any]:
    return {"method": test.method if test.method != "scenario" else f"scenario {test.scenario}",
            "description": description, "paths": int(test.paths), "seed": int(test.seed),
            "horizon_h": len(window.close) * window.bar_seconds / 3600.0,
            "data": dataset.manifest.get("name", opts.data), "data_kind": dataset.manifest.get("kind", "?"),
            "venue": opts.venue, "cascade": bool(test.cascade), "capital": float(opts.capital),
            "start": f"{pd.Timestamp(int(window.time_ns[0]), tz='UTC'):%Y-%m-%d %H:%M} UTC",
            "end": f"{pd.Timestamp(int(window.time_ns[-1]), tz='UTC'):%Y-%m-%d %H:%M} UTC"}


def _basket_stress(opts: RunOptions, test: StressTest, run: Any, entries: tuple, failures: dict[str, str],
                   heat: dict[str, str] | None, live: Live) -> StressResult:
    """The stress test of basket strategies: joint paths of every coin the accounts hold (the basket's, then
    hedge coins: ``run.markets``), calibrated on each coin's whole history, run by the basket engine."""
    from hedgelab.data import align_coins
    from hedgelab.scale import open_cluster
    from hedgelab.stress.basket import BasketPlan, JointCascade, make_joint_generator, run_basket_paths
    from hedgelab.stress.generators import describe
    from hedgelab.stress.history import History
    from hedgelab.stress.summarise import summarise
    from hedgelab.stress.window import bar_at, horizon_bars, window_of
    coins = list(run.markets)
    full = align_coins(run.dataset, coins)          # the calibration data: every coin's whole history
    histories = {c: History.of(full[c]) for c in coins}
    first = run.markets[coins[0]]
    bars = horizon_bars(test.horizon, int(first.bar_seconds))
    windows = {c: window_of(run.markets[c], bars) for c in coins}
    window = windows[coins[0]]
    gen = make_joint_generator(test.method, histories, windows, scenario=test.scenario, drop=test.drop,
                               kind=test.kind, at=bar_at(window, test.at), margin=test.margin,
                               garch_start=int(np.searchsorted(full[coins[0]].time_ns, window.time_ns[0])))
    casc = JointCascade.fit(histories, full) if test.cascade else None
    plan = BasketPlan(gen, windows, casc, int(test.seed), entries, opts.venue, float(opts.capital), run.costs,
                      dict(opts.basket or {}))
    with open_cluster(opts.cluster if live.client is None else None, live.client) as client:
        merged = run_basket_paths(plan, int(test.paths), chunk=test.chunk, client=client, progress=not opts.quiet)
    meta = _meta(opts, test, run.dataset, window, describe(gen))
    meta["basket"] = ",".join(f"{c}={w:g}" for c, w in (opts.basket or {}).items())
    meta["warnings"] = list(run.warnings)
    return summarise(plan, merged, meta, heat, failures)
