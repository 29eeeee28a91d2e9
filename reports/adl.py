"""The report's auto-deleveraging section: which hedge the venue closed, when, at what price and rank
score, how long the account stayed unhedged, and what that cost against the same run with ADL off.

The same figures feed the page (``section``), the terminal (``lines``) and the API (``table``): one
definition. ``RunRecord.adl_off`` holds the same run's figures with ``--adl off`` (the runner runs it
twice when ADL is on), so the cost is measured, not estimated: final equity with ADL off minus with
ADL on (+ = ADL cost the account money, - = it earned).
"""
from __future__ import annotations

import math

import pandas as pd

from .run import RunRecord
from .sections import esc, number, usd

COLUMNS = ["run", "time", "qty_closed", "price", "adl_score", "realized_pnl_usd", "unhedged_hours",
           "final_equity_usd", "final_equity_adl_off_usd", "adl_cost_usd"]


def table(runs: list[RunRecord]) -> pd.DataFrame:
    """One row per ADL close of every run: time (the bar it happened in), signed quantity closed (BTC,
    + a short bought back), the ADL price, the position's rank score then, the PnL it realized (USD, +
    received), the hours until the strategy restored that side of the position (NaN: never in the
    data), the run's final equity with and without ADL and the difference (+ = ADL cost money)."""
    rows = []
    for r in runs:
        if r.events is None or len(r.events) == 0:
            continue
        ev = r.events_frame()
        kinds = ev["kind"].astype(str)
        adl = ev[kinds == "adl"]
        if adl.empty:
            continue
        final = float(r.equity.iloc[-1]) if r.has_equity else math.nan
        off = float((r.adl_off or {}).get("final_equity", math.nan))
        fills = ev[(kinds == "fill") & (ev["instrument"].astype(str) == "perp")]
        for _, e in adl.iterrows():
            t = pd.Timestamp(e["time"])
            # restored: the first perp fill after the ADL bar that trades the other way (re-opens the side)
            after = fills[(pd.to_datetime(fills["time"], utc=True) > t) & (fills["qty"] * float(e["qty"]) < 0)]
            hours = ((pd.Timestamp(after["time"].iloc[0]) - t).total_seconds() / 3600.0) if len(after) else math.nan
            rows.append({"run": r.name, "time": t, "qty_closed": float(e["qty"]), "price": float(e["price"]),
                         "adl_score": float(e.get("adl_score", math.nan)), "realized_pnl_usd": float(e["amount"]),
                         "unhedged_hours": hours, "final_equity_usd": final, "final_equity_adl_off_usd": off,
                         "adl_cost_usd": off - final})
    return pd.DataFrame(rows, columns=COLUMNS)


def ranking(runs: list[RunRecord]) -> pd.DataFrame:
    """Final equity and rank of every run with ADL on and off (rank 1 = highest final equity), for the
    runs whose ADL-off twin exists."""
    rows = [{"run": r.name, "with_adl": float(r.equity.iloc[-1]), "adl_off": float(r.adl_off["final_equity"])}
            for r in runs if r.has_equity and r.adl_off]
    frame = pd.DataFrame(rows, columns=["run", "with_adl", "adl_off"])
    frame["rank_with_adl"] = frame["with_adl"].rank(ascending=False, method="min").astype("Int64")
    frame["rank_adl_off"] = frame["adl_off"].rank(ascending=False, method="min").astype("Int64")
    return frame.sort_values("rank_with_adl", kind="stable").reset_index(drop=True)


def _hours(h: float) -> str:
    return "not restored in the data" if not math.isfinite(h) else f"{h:,.0f} h"


def lines(runs: list[RunRecord], mode: str) -> list[str]:
    """The terminal's ADL lines (empty when no run was ADL-closed)."""
    t = table(runs)
    if t.empty:
        return []
    out = [f"Auto-deleveraging (--adl {mode}): the venue closed {len(t)} profitable position part(s):"]
    for _, row in t.iterrows():
        out.append(f"  {row['run']}: {row['time']:%Y-%m-%d %H:%M} UTC, {abs(row['qty_closed']):,.4f} BTC "
                   f"{'short' if row['qty_closed'] > 0 else 'long'} closed at {row['price']:,.2f} (ADL score "
                   f"{row['adl_score']:.3g}), realized {row['realized_pnl_usd']:+,.0f} USD; unhedged "
                   f"{_hours(row['unhedged_hours'])}; ADL cost vs --adl off {row['adl_cost_usd']:+,.0f} USD "
                   "(+ = ADL cost the account, - = it earned)")
    return out


def mode_of(runs: list[RunRecord]) -> str | None:
    """The ADL mode the runs ran with, when it was on (their ADL-off twins say it); else None."""
    return next((str(r.adl_off["mode"]) for r in runs if r.adl_off), None)


def section(runs: list[RunRecord]) -> str:
    """The page's ADL section: the closes table and the ranking with and without ADL ("" when ADL was
    off)."""
    mode = mode_of(runs)
    if mode is None:
        return ""
    t = table(runs)
    head = ("<section id='adl'><h2>Auto-deleveraging (ADL)</h2><p class='note'>The venue closed profitable "
            "positions when liquidations outran its insurance fund (the run's <code>--adl "
            f"{esc(str(mode))}</code>; the rule and the events are in the assumptions). Cost = the same run's "
            "final equity with <code>--adl off</code> minus with ADL: + means ADL cost the account USD, - that "
            "it earned (a short closed near the low and re-opened higher).</p>")
    if t.empty:
        return head + "<p class='note' id='no-adl'>No run's position was ADL-closed.</p></section>"
    rows = "".join(
        f"<tr><td class='l'>{esc(row['run'])}</td><td>{row['time']:%Y-%m-%d %H:%M}</td>"
        f"<td>{number(round(row['qty_closed'], 4))}</td><td>{number(round(row['price'], 2))}</td>"
        f"<td>{row['adl_score']:.3g}</td><td>{usd(row['realized_pnl_usd'], True)}</td>"
        f"<td>{esc(_hours(row['unhedged_hours']))}</td><td>{usd(row['adl_cost_usd'], True)}</td></tr>"
        for _, row in t.iterrows())
    closes = ("<table id='adl-table'><thead><tr><th class='l'>run</th><th>bar (UTC)</th><th>qty closed (BTC, + short "
              "bought back)</th><th>ADL price</th><th>ADL score</th><th>realized (USD)</th><th>unhedged for</th>"
              f"<th>ADL cost vs off (USD)</th></tr></thead><tbody>{rows}</tbody></table>")
    rank = ranking(runs)
    ranked = "".join(f"<tr><td class='l'>{esc(row['run'])}</td><td>{row['rank_with_adl']}</td>"
                     f"<td>{usd(row['with_adl'])}</td><td>{row['rank_adl_off']}</td><td>{usd(row['adl_off'])}</td></tr>"
                     for _, row in rank.iterrows())
    side = ("<table id='adl-ranking'><thead><tr><th class='l'>run</th><th>rank with ADL</th><th>final equity "
            "with ADL (USD)</th><th>rank, ADL off</th><th>final equity, ADL off (USD)</th></tr></thead>"
            f"<tbody>{ranked}</tbody></table>") if len(rank) else ""
    return head + closes + side + "</section>"
