"""Survival statistics over stress paths, per strategy and parameter set (pure numpy/pandas).

Inputs per run: arrays over paths of final equity, first liquidation bar (-1 = none), funding,
fees and option cash (engine summary, cash flow to the account), max drawdown (a negative decimal).
Loss is ``capital - final equity`` in USD (positive = lost); VaR_q is its q-quantile over paths and
ES_q the mean loss at or beyond VaR_q. Hedge cost is ``reports.metrics.hedge_cost`` (fees paid minus
funding and option cash received, USD, positive = paid), the same as the backtest reports.
"""
from __future__ import annotations

import numpy as np

from hedgelab.reports.metrics import hedge_cost

COLUMNS = ("strategy", "run", "params", "method", "paths", "seed", "horizon_h", "data_kind",
           "survival", "liquidated_paths", "var95_loss", "es95_loss", "var99_loss", "es99_loss",
           "final_equity_median", "final_equity_p05", "ttl_median_h", "ttl_p10_h",
           "hedge_cost_mean", "hedge_cost_median", "hedge_cost_p95", "funding_paid_mean", "fees_mean",
           "option_net_mean", "max_dd_median", "max_dd_p95")


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


def stats_row(capital: float, final, first_liq_bar, funding, fees, option, max_dd, bar_hours: float) -> dict:
    final, first = np.asarray(final, dtype=float), np.asarray(first_liq_bar)
    funding, fees, option = (np.asarray(x, dtype=float) for x in (funding, fees, option))
    loss = capital - final
    cost = hedge_cost(funding, fees, option)
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
        "hedge_cost_mean": float(np.mean(cost)), "hedge_cost_median": float(np.median(cost)),
        "hedge_cost_p95": float(np.quantile(cost, 0.95)),
        "funding_paid_mean": float(-np.mean(funding)), "fees_mean": float(np.mean(fees)),
        "option_net_mean": float(np.mean(option)),
        "max_dd_median": float(np.median(dd)), "max_dd_p95": float(np.quantile(dd, 0.05)),
    }
    bad = [k for k, v in row.items() if isinstance(v, float) and k not in ("ttl_median_h", "ttl_p10_h")
           and not np.isfinite(v)]
    if bad:
        raise FloatingPointError(f"non-finite stress statistic {bad[0]}")
    return row
