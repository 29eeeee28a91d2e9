"""What a run's numbers rest on, for the report: the engine's rules for the venue, the option model,
the data's proxies and fill rules, the costs, and the crisis days the data covers."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from hedgelab.core.errors import UserError, one_line
from hedgelab.runner.prepare import Prepared, venue_at_start

if TYPE_CHECKING:
    from hedgelab.data import MarketArrays

# The crisis days the report highlights whenever the data covers them (UTC calendar days).
CRASH_DAYS = (("Oct 10 crash", "2025-10-10"), ("Nov 4 break below 100k", "2025-11-04"),
              ("Nov 21 capitulation", "2025-11-21"))


def crash_windows(market: MarketArrays) -> list[dict[str, Any]] | None:
    """The crisis days the data covers, or None (then the report picks the worst days itself)."""
    t0 = pd.Timestamp(int(market.time_ns[0]), tz="UTC")
    t1 = pd.Timestamp(int(market.time_ns[-1]), tz="UTC") + pd.Timedelta(seconds=int(market.bar_seconds))
    windows: list[dict[str, Any]] = []
    for label, day in CRASH_DAYS:
        start = pd.Timestamp(day, tz="UTC")
        end = start + pd.Timedelta(days=1)
        if start >= t0 and end <= t1:
            windows.append({"label": label, "start": start, "end": end})
    return windows or None


def assumptions(run: Prepared) -> list[str]:
    """The report's assumption lines for a prepared run (its venue and modes over its bars, its data,
    its costs; the option model when an option strategy ran)."""
    opts, dataset, market = run.opts, run.dataset, run.market
    used = sorted(set(run.modes.values())) or ["isolated"]
    span = {"at": int(market.time_ns[0]), "end": int(market.time_ns[-1])}
    try:
        from hedgelab.engine import assumptions as engine_assumptions
        # the dataset's own funding interval, so a real dataset's differing interval is stated too
        items = list(engine_assumptions(venue=opts.venue, margin_mode=used[0], **span,
                                        dataset_funding_hours=dataset.manifest.get("funding_interval_hours")))
    except Exception as exc:  # noqa: BLE001 -- the report must still be written without the list
        items = [f"Engine assumptions unavailable ({one_line(exc)})."]
    if run.uses_options:
        try:
            from hedgelab.engine.options import describe_options
            items.extend(f"Option model: {line}" for line in describe_options(bar_seconds=float(market.bar_seconds)))
        except Exception as exc:  # noqa: BLE001
            items.append(f"Option model description unavailable ({one_line(exc)}).")
    if len(used) > 1:
        items.append("Margin mode per strategy: " + ", ".join(f"{k} {v}" for k, v in run.modes.items()) + ".")
    m = dataset.manifest
    for key, text in (m.get("proxies") or {}).items():
        items.append(f"Proxy ({key}): {text}")
    if m.get("iv_fill"):
        items.append(f"IV fill rule: {m['iv_fill']}")
    items.append(f"Initial capital {opts.capital:,.0f} USD per strategy.")
    items.extend(basket_lines(run))
    items.extend(run.adl_notes)
    items.extend(_costs_lines(run))
    from hedgelab.reports.coverage import warnings as coverage_warnings
    # funding or IV that does not cover the run's window is said, not bridged silently
    items.extend(coverage_warnings(dataset, pd.Timestamp(int(market.time_ns[0]), tz="UTC"),
                                   pd.Timestamp(int(market.time_ns[-1]), tz="UTC")))
    return items


def _costs_lines(run: Prepared) -> list[str]:
    try:
        from hedgelab.engine.costs import describe_costs
        from hedgelab.engine.simulate import capped_settlements
        v = venue_at_start(run.opts.venue, run.market, run.symbol)
        source = str((run.dataset.manifest.get("provenance") or {}).get("volume", "source not stated"))
        lines = [describe_costs(run.costs, v.taker_fee, v.spot_fee, source)]
        # a rate the venue's cap clamps is said, not paid silently at the cap
        n, total, largest = capped_settlements(run.market.funding_rate, run.market.time_ns, v)
        if n:
            lines.append(f"Funding capped: {n:,} of the data's {total:,} settlements exceed {v.id}'s cap of "
                         f"{v.funding_cap_per_hour:.0%} per hour of the interval (largest |rate| "
                         f"{largest:.2%}) and were paid at the cap.")
        return lines
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 -- the report must still be written without the line
        return [f"Costs description unavailable ({one_line(exc)})."]


def basket_lines(run: Prepared) -> list[str]:
    """How a basket run's account works (engine/nb/basket.py), stated for its coins and margin modes."""
    basket = run.opts.basket
    if not basket:
        return []
    coins = list(run.markets)
    held = ", ".join(f"{c} {w:.0%}" for c, w in basket.items())
    extra = [c for c in coins if c not in basket]
    lines = [f"Basket: {held} in one account" + (f", plus {', '.join(extra)} as a hedge" if extra else "")
             + f"; each coin on its own {run.opts.venue} tier table (dated, per coin) and its own funding."]
    if "cross" in set(run.modes.values()):
        lines.append("Cross margin across coins: every perp on one wallet (spot is not collateral, as on Binance "
                     "USDⓈ-M); margin ratio = sum of the positions' maintenance margins / (wallet + sum of their "
                     "unrealized PnL). Inside a bar the order of the coins' extremes is unknown: the check is the "
                     "joint worst case, every long at its bar's mark low and every short at its high at once "
                     "(rule 'joint-worst'). When it breaches, every cross position is closed at once at the point of "
                     "the joint move where the surplus reaches zero, each at its price there; the venue's clearance "
                     "fee on the notional is capped at the equity left, and a wallet below zero is the venue's loss.")
    if "isolated" in set(run.modes.values()):
        lines.append("Isolated margin in a basket: each perp position has its own margin and is liquidated on its "
                     "own mark range, as for one coin.")
    return lines
