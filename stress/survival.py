"""Survival statistics over stress paths, per strategy and parameter set (pure numpy/pandas).

Inputs per run: arrays over paths of final equity, first liquidation bar (-1 = none), funding,
fees and option cash (engine summary, cash flow to the account), max drawdown (a negative decimal).
Loss is ``capital - final equity`` in USD (positive = lost); VaR_q is its q-quantile over paths and
ES_q the mean loss at or beyond VaR_q. Costs follow reports/figures.py, as every backtest output: USD
paid (+ = paid, - = earned); hedge cost = funding + fees + options net, given only for a run whose replay
holds a hedge (``hedge``: 'short perp', 'options', ... or 'none', then the hedge cost columns are empty).
"""
from __future__ import annotations

import numpy as np

from hedgelab.reports import figures

COLUMNS = ("strategy", "run", "params", "method", "paths", "seed", "horizon_h", "data_kind",
           "survival", "liquidated_paths", "var95_loss", "es95_loss", "var99_loss", "es99_loss",
           "final_equity_median", "final_equity_p05", "ttl_median_h", "ttl_p10_h",
           "hedge", "hedge_cost_usd_mean", "hedge_cost_usd_median", "hedge_cost_usd_p95", "funding_paid_usd_mean",
           "fees_paid_usd_mean", "options_net_paid_usd_mean", "max_dd_median", "max_dd_p95")
HEDGE_COST_COLUMNS = ("hedge_cost_usd_mean", "hedge_cost_usd_median", "hedge_cost_usd_p95")


def var_es(loss, q: float) -> tuple[float, float]:
    loss = np.asarray(loss, dtype=float)
    var = float(np.quantile(loss, q))
    return var, float(loss[loss >= var].mean())


def survival_curve(first_liq_bar, n_bars: int) -> np.ndarray:
    """Share of paths not yet liquidated at the close of each bar."""
    first = np.asarray(first_liq_bar)
    dead = np.zeros(n_bars)
    hit = first[first >= 0]
    np.add.at(dead, hit, 1.0)
    return 1.0 - np.cumsum(dead) / max(len(first), 1)


def path_costs(funding, fees, option) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(funding paid, fees paid, options net paid, their sum) per path from the engine's cash flows."""
    funding, fees, option = (np.asarray(x, dtype=float) for x in (funding, fees, option))
    funding_paid, options_paid = 0.0 - funding, 0.0 - option
    return funding_paid, fees, options_paid, figures.costs_paid(funding_paid, fees, options_paid)


def stats_row(capital: float, final, first_liq_bar, funding, fees, option, max_dd, bar_hours: float,
              hedge: str = figures.UNKNOWN) -> dict:
    """``hedge``: what the replay of the same run held (figures.hedge); 'none' empties the hedge cost."""
    final, first = np.asarray(final, dtype=float), np.asarray(first_liq_bar)
    funding_paid, fees, options_paid, cost = path_costs(funding, fees, option)
    loss = capital - final
    liq_h = (first[first >= 0] + 1) * bar_hours   # liquidated by the close of that bar
    v95, e95 = var_es(loss, 0.95)
    v99, e99 = var_es(loss, 0.99)
    dd = np.asarray(max_dd, dtype=float)
    row = {
        "survival": float(np.mean(first < 0)),
        "liquidated_paths": int(np.sum(first >= 0)),
        "var95_loss": v95, "es95_loss": e95, "var99_loss": v99, "es99_loss": e99,
        "final_equity_median": float(np.median(final)), "final_equity_p05": float(np.quantile(final, 0.05)),
        "ttl_median_h": float(np.median(liq_h)) if len(liq_h) else float("nan"),
        "ttl_p10_h": float(np.quantile(liq_h, 0.10)) if len(liq_h) else float("nan"),
        "hedge": hedge,
        "hedge_cost_usd_mean": float(np.mean(cost)), "hedge_cost_usd_median": float(np.median(cost)),
        "hedge_cost_usd_p95": float(np.quantile(cost, 0.95)),
        "funding_paid_usd_mean": float(np.mean(funding_paid)), "fees_paid_usd_mean": float(np.mean(fees)),
        "options_net_paid_usd_mean": float(np.mean(options_paid)),
        "max_dd_median": float(np.median(dd)), "max_dd_p95": float(np.quantile(dd, 0.05)),
    }
    bad = [k for k, v in row.items() if isinstance(v, float) and k not in ("ttl_median_h", "ttl_p10_h")
           and not np.isfinite(v)]
    if bad:
        raise FloatingPointError(f"non-finite stress statistic {bad[0]}")
    if hedge == figures.NO_HEDGE:   # the same rule as the backtest's hedge_cost_usd
        row.update(dict.fromkeys(HEDGE_COST_COLUMNS, float("nan")))
    return row
