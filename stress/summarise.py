"""A stress run's chunks merged into its ``StressResult``: the table (survival, losses, replay ranks),
the paths' rows, the equity fans and survival curves. A basket plan (stress/basket.py) is summarised
the same way: its ``window`` is the first coin's (the shared grid) and its ``replay`` runs the basket."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hedgelab.reports import figures
from hedgelab.reports.record import to_record
from hedgelab.stress import survival
from hedgelab.stress.result import StressResult, fan_frame
from hedgelab.stress.run import Plan, simulate_entry

if TYPE_CHECKING:
    from hedgelab.stress.basket import BasketPlan


def replay_of(plan, e) -> dict:
    """Column -> (final equity, liquidations, hedge held) of ``e`` run once on the unmodified window (the
    plan's own ``replay`` where it has one: a basket plan runs the basket engine). The replay keeps its
    positions, so that the hedge cost follows the backtest's rule (reports/figures.py)."""
    own = getattr(plan, "replay", None)
    if own is not None:
        return own(e)
    replay = {}
    for group, sim in simulate_entry(e, plan.window, plan.venue, plan.capital, costs=plan.costs, symbol=plan.symbol):
        for j, k in enumerate(group):
            record = to_record(sim, j, e.labels[k], e.name, e.param_sets[k], plan.window, plan.capital)
            replay[k] = (float(sim.summary["final_equity"].iloc[j]), int(sim.summary["liquidations"].iloc[j]),
                         figures.hedge(record))
    return replay


def summarise(plan: Plan | BasketPlan, merged: dict, meta: dict, heat, failures) -> StressResult:
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
        replay = replay_of(plan, e)
        for k, (params, label) in enumerate(zip(e.param_sets, e.labels)):
            row = {"strategy": e.name, "run": label, "params": json.dumps(params, sort_keys=True, default=float),
                   "method": meta["method"], "paths": meta["paths"], "seed": meta["seed"],
                   "horizon_h": meta["horizon_h"], "data_kind": meta["data_kind"]}
            row.update(survival.stats_row(plan.capital, o["final"][:, k], o["first_liq"][:, k], o["funding"][:, k],
                                          o["fees"][:, k], o["option"][:, k], o["max_dd"][:, k], bar_h,
                                          hedge=replay[k][2]))
            if "final_adl" in o:   # the same paths with the cascade's ADL events applied (--cascade)
                row["survival_adl"] = float(np.mean(o["first_liq_adl"][:, k] < 0))
                row["es95_loss_adl"] = survival.var_es(plan.capital - o["final_adl"][:, k], 0.95)[1]
            row["replay_final_equity"], row["replay_survived"] = replay[k][0], replay[k][1] == 0
            rows.append(row)
            fan[label] = fan_frame(o["curve"][:, k, :], close_time[take])
            surv[label] = survival.survival_curve(o["first_liq"][:, k], n)
            finals[label] = o["final"][:, k].copy()
            first = o["first_liq"][:, k]
            cost = survival.path_costs(o["funding"][:, k], o["fees"][:, k], o["option"][:, k])[3]
            per_path.append(pd.DataFrame({
                "run": label, "path": np.arange(len(first)), "final_equity": o["final"][:, k],
                "liquidation_hour": np.where(first >= 0, (first + 1) * bar_h, np.nan),
                "hedge_cost_usd": figures.hedge_cost(cost, replay[k][2]),
                "max_drawdown": o["max_dd"][:, k]}))
    adl = ["survival_adl", "es95_loss_adl"] if rows and "survival_adl" in rows[0] else []
    table = pd.DataFrame(rows, columns=[*survival.COLUMNS, *adl, "replay_final_equity", "replay_survived"])
    # stress rank: survival first, then the 95 % expected shortfall of loss; replay rank: final equity
    table = table.sort_values(["survival", "es95_loss", "run"], ascending=[False, True, True]).reset_index(drop=True)
    table.insert(0, "rank_stress", np.arange(1, len(table) + 1))
    table["rank_replay"] = (-table["replay_final_equity"]).rank(method="min").astype(int)
    return StressResult(table=table, per_path=pd.concat(per_path, ignore_index=True) if per_path else pd.DataFrame(),
                        fan=fan, survival=pd.DataFrame(surv, index=close_time), finals=finals, meta=meta,
                        heatmap=heat, failures=failures)
