"""Basket runs (several coins in one account) as the report reads them: what each coin held and earned,
how a liquidation went coin by coin, and the perp-vs-spot basis per coin around Oct 10 2025.

Everything is computed from the ``RunRecord`` (``coins``: spot_qty, perp_qty, exposure, value per bar and
coin; events with ``symbol``; ``first_liquidation``, ``tipped_by``), plus, for the basis and where the
record cannot tell a coin's price, the optional ``coin_prices`` {coin: DataFrame with ``mark`` and
``index`` closes, optionally ``close`` (the perp's traded close)} that the caller passes to
``write_report``.

PnL attribution per coin (USD, + = adds to the account's PnL): the account starts in cash, so a coin's
PnL is what it holds at the end marked to market, plus every cash flow its events carry:

    pnl_k = held_k + trades_k + funding_k + fees_k
    held_k    = spot_k x index_k + perp_k x (mark_k - entry_k) at the last bar's close
              = exposure_k - perp_k x entry_k  (exposure = spot x index + perp x mark)
    trades_k  = the amounts of its fills, stops and liquidations (spot: -qty x price; perp: realized PnL)
    funding_k = its funding amounts; fees_k = its fee amounts (negative: paid)

An isolated position's margin is the account's own cash moved aside (it comes back when the position
closes), so it is not in ``held``; the coin's ``value`` series of the record includes it. ``entry_k`` is
the perp's average entry, rebuilt from its fills as the engine keeps it (an increase averages the fill
price in, a reduction keeps it, a flat position forgets it). The parts add up to the account's final
equity minus its capital; what does not (a cross wallet that a gap took below zero, set to zero: the
venue's loss, not the account's) is returned as ``unattributed``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import metrics as m
from .run import RunRecord

PERP_MOVES = ("fill", "stop", "liquidation")
OCT10 = pd.Timestamp("2025-10-10", tz="UTC")
BASIS_WINDOW = (pd.Timestamp("2025-10-09", tz="UTC"), pd.Timestamp("2025-10-12", tz="UTC"))  # [start, end)
ROUNDING_USD = 0.5   # below this an unattributed rest is rounding


def basket_runs(runs) -> list[RunRecord]:
    """The runs that hold several coins in one account and kept their curves (summary-only runs do not)."""
    return [r for r in runs if getattr(r, "coins", None) is not None and r.has_equity and not r.failed]


def coins_of(run: RunRecord) -> list[str]:
    return [str(c) for c in run.coins["exposure"].columns]


def coin_events(run: RunRecord, coin: str) -> pd.DataFrame:
    """The coin's events in the order they happened (the record keeps each coin's order within a time)."""
    ev = run.events_frame()
    if "symbol" not in ev.columns or len(ev) == 0:
        return ev.iloc[0:0]
    own = ev[ev["symbol"].astype(str) == coin].copy()
    own["time"] = pd.to_datetime(own["time"], utc=True)
    return own.sort_values("time", kind="stable")


def perp_position(events: pd.DataFrame) -> tuple[float, float]:
    """(quantity, average entry) of the coin's perp after its events, as the engine keeps them
    (engine/nb/account.py trade_perp_nb and close_perp_part_nb)."""
    inst = events["instrument"].astype(str).str.lower()
    moves = events[events["kind"].astype(str).isin(PERP_MOVES) & (inst == "perp")]
    q, entry = 0.0, 0.0
    for dq, price in zip(moves["qty"].astype(float), moves["price"].astype(float)):
        if dq == 0.0 or not np.isfinite(dq):
            continue
        rest = abs(dq)
        if q != 0.0 and (q > 0.0) != (dq > 0.0):   # a reduction first: the entry stays
            red = min(rest, abs(q))
            left = abs(q) - red
            q = 0.0 if left <= 1e-12 * max(abs(q), 1.0) else np.sign(q) * left
            if q == 0.0:
                entry = 0.0
            rest -= red
        if rest > 1e-12:
            aq = abs(q)
            entry = price if q == 0.0 else (aq * entry + rest * price) / (aq + rest)
            q = (1.0 if dq > 0.0 else -1.0) * (aq + rest)
    return q, entry


@dataclass
class Attribution:
    """One basket run's exposure and PnL per coin (``table``: index coin)."""
    run: str
    table: pd.DataFrame          # exposure_start, exposure_end, held, trades, funding, fees, pnl
    start: pd.Timestamp | None   # the first bar's close at which the account held anything
    end: pd.Timestamp
    total: float                 # final equity - capital
    unattributed: float          # total - sum of the coins' pnl (0 up to rounding but for a gap past bankruptcy)
    notes: list = field(default_factory=list)


def attribution(run: RunRecord) -> Attribution:
    exposure = run.coins["exposure"].astype("float64").fillna(0.0)
    perp = run.coins["perp_qty"].astype("float64").fillna(0.0)
    held_any = exposure.abs().sum(axis=1) > 0
    start = exposure.index[int(np.argmax(held_any.to_numpy()))] if held_any.any() else None
    rows, notes = {}, []
    for coin in coins_of(run):
        ev = coin_events(run, coin)
        kind = ev["kind"].astype(str)
        amount = pd.to_numeric(ev["amount"], errors="coerce").fillna(0.0)
        fee = m.is_fee_kind(kind)
        funding = kind == "funding"
        q_end = float(perp[coin].iloc[-1])
        held = float(exposure[coin].iloc[-1])
        if q_end != 0.0:
            q, entry = perp_position(ev)
            if not np.isclose(q, q_end, rtol=1e-9, atol=1e-12):
                notes.append(f"{coin}: its perp fills add up to {q:,.6g}, the record holds {q_end:,.6g} at the end")
            held -= q_end * entry
        rows[coin] = {"exposure_start": float(exposure[coin].loc[start]) if start is not None else 0.0,
                      "exposure_end": float(exposure[coin].iloc[-1]), "held": held,
                      "trades": float(amount[~fee & ~funding].sum()), "funding": float(amount[funding].sum()),
                      "fees": float(amount[fee].sum())}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["pnl"] = table[["held", "trades", "funding", "fees"]].sum(axis=1)
    total = float(run.equity.iloc[-1]) - float(run.capital)
    return Attribution(run.name, table, start, run.equity.index[-1], total, total - float(table["pnl"].sum()), notes)


# ---- liquidations --------------------------------------------------------------------------------------

@dataclass
class LiquidationBar:
    """The positions one bar's liquidation closed, each against its coin's previous close."""
    run: str
    time: pd.Timestamp                 # the bar's open (the liquidation happened during it)
    closed: pd.DataFrame               # index coin: qty (signed, as held), price, prev_close, move, cost, realized, fee
    kept_open: list                    # coins whose perp stayed open through the bar
    tipped_by: str | None              # the record's coin for the run's first liquidation, else None
    equity_before: float
    equity_after: float
    margin_ratio_before: float


def previous_marks(run: RunRecord, pos: int, coin_prices: dict | None) -> dict:
    """Each coin's mark close at bar ``pos`` (NaN where unknown): from ``coin_prices`` when given, else from
    the record where the coin held only a perp there (exposure / perp qty)."""
    out = {}
    for coin in coins_of(run):
        px = (coin_prices or {}).get(coin)
        if px is not None and "mark" in px:
            s = px["mark"].astype("float64").reindex(run.equity.index)
            out[coin] = float(s.iloc[pos])
            continue
        spot = float(run.coins["spot_qty"][coin].iloc[pos])
        q = float(run.coins["perp_qty"][coin].iloc[pos])
        out[coin] = float(run.coins["exposure"][coin].iloc[pos]) / q if q != 0.0 and spot == 0.0 else float("nan")
    return out


def liquidation_bars(run: RunRecord, coin_prices: dict | None = None) -> list[LiquidationBar]:
    ev = run.events_frame()
    if len(ev) == 0 or "symbol" not in ev.columns:
        return []
    ev = ev.copy()
    ev["time"] = pd.to_datetime(ev["time"], utc=True)
    kind = ev["kind"].astype(str)
    liq = ev[kind == "liquidation"]
    index = run.equity.index
    first = pd.Timestamp(run.first_liquidation) if run.first_liquidation is not None else None
    if first is not None and first.tzinfo is None:
        first = first.tz_localize("UTC")
    out = []
    for t, rows in liq.groupby("time", sort=True):
        pos = int(index.searchsorted(t))
        prev = pos - 1
        marks = previous_marks(run, prev, coin_prices) if prev >= 0 else {}
        table = {}
        for coin, part in rows.groupby(rows["symbol"].astype(str), sort=False):
            # the venue's fee follows the coin's liquidation (a fee before it, stamped alike, is a fill's at the
            # previous close)
            own = ev[(ev["time"] == t) & (ev["symbol"].astype(str) == coin)]
            after = own.loc[own.index > part.index.min()] if len(own) else own
            fee = float(after.loc[m.is_fee_kind(after["kind"].astype(str)), "amount"].astype(float).sum())
            qty = -float(part["qty"].astype(float).sum())           # the position closed, signed as it was held
            price = float((part["price"].astype(float) * part["qty"].astype(float).abs()).sum()
                          / part["qty"].astype(float).abs().sum())   # several steps (partial closes): their average
            pc = marks.get(coin, float("nan"))
            table[coin] = {"qty": qty, "price": price, "prev_close": pc,
                           "move": price / pc - 1.0 if np.isfinite(pc) and pc > 0 else float("nan"),
                           "cost": qty * (price - pc) if np.isfinite(pc) else float("nan"),
                           "realized": float(part["amount"].astype(float).sum()),
                           "fee": fee}
        closed = pd.DataFrame.from_dict(table, orient="index")
        open_before = [c for c in coins_of(run) if prev >= 0 and float(run.coins["perp_qty"][c].iloc[prev]) != 0.0]
        ratio = run.margin_ratio
        out.append(LiquidationBar(
            run.name, t, closed, [c for c in open_before if c not in table],
            str(run.tipped_by) if first is not None and t == first and run.tipped_by else None,
            float(run.equity.iloc[prev]) if prev >= 0 else float(run.capital),
            float(run.equity.iloc[min(pos, len(index) - 1)]),
            float(ratio.iloc[prev]) if ratio is not None and prev >= 0 else float("nan")))
    return out


# ---- basis around Oct 10 --------------------------------------------------------------------------------

def covers_oct10(runs) -> bool:
    """Whether a basket run's window holds a bar of 2025-10-10 (UTC)."""
    return any(((r.equity.index >= OCT10) & (r.equity.index < OCT10 + pd.Timedelta(days=1))).any()
               for r in basket_runs(runs))


def window_of(runs) -> tuple[pd.Timestamp, pd.Timestamp]:
    """BASIS_WINDOW cut to the bars the runs have: (first bar, last bar) inside it."""
    idx = pd.DatetimeIndex([])
    for r in basket_runs(runs):
        idx = idx.union(r.equity.index)
    inside = idx[(idx >= BASIS_WINDOW[0]) & (idx < BASIS_WINDOW[1])]
    return inside[0], inside[-1]


def holders(runs, coin: str, start, end) -> list[str]:
    """The runs that held the coin (spot or perp) at some bar in [start, end]."""
    out = []
    for r in basket_runs(runs):
        if coin not in coins_of(r):
            continue
        sl = slice(start, end)
        q = r.coins["spot_qty"][coin].loc[sl].fillna(0.0).abs() + r.coins["perp_qty"][coin].loc[sl].fillna(0.0).abs()
        if (q > 0).any():
            out.append(r.name)
    return out


GAPS = (("mark", "mark", "index"), ("traded", "close", "index"), ("low", "mark_low", "index_low"))
"""The gaps measured per bar: (name, the perp's column, the index's column) of ``coin_prices``; only
``mark`` and ``index`` are required."""


def gap_series(prices: pd.DataFrame, perp: str = "mark", index: str = "index") -> pd.Series:
    """perp / index - 1 (a decimal; negative: the perp below spot), NaN where either is missing or <= 0."""
    p, i = prices[perp].astype("float64"), prices[index].astype("float64")
    return (p / i.where(i > 0) - 1.0).where(p > 0)


@dataclass
class Basis:
    start: pd.Timestamp
    end: pd.Timestamp
    table: pd.DataFrame     # index coin: held_by, bars, then per gap name: {name}_gap, {name}_at
    left_out: list          # coins with prices that no run held in the window
    series: dict            # coin -> {gap name: Series inside the window, or None}
    same: list = field(default_factory=list)   # coins whose perp and index are one series in the data


def _utc(index) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(index)
    return index.tz_convert("UTC") if index.tz is not None else index.tz_localize("UTC")


def basis(runs, coin_prices: dict) -> Basis | None:
    """Per coin held in the window, the largest |perp / index - 1| and its bar: on the closes (mark, and the
    traded close where given) and, where given, between the bar's lows. A gap that repeats another's
    numbers (the traded close is the mark) or that is zero on every bar (the data's perp and index are one
    series: nothing measured) is left out."""
    if not coin_prices or not covers_oct10(runs):
        return None
    start, end = window_of(runs)
    rows, left_out, series, same = {}, [], {}, []
    for coin, prices in coin_prices.items():
        coin = str(coin)
        if prices is None or "mark" not in prices or "index" not in prices:
            continue
        who = holders(runs, coin, start, end)
        if not who:
            left_out.append(coin)
            continue
        px = prices.set_axis(_utc(prices.index))
        px = px[(px.index >= start) & (px.index <= end)]
        row, found = {"held_by": who, "bars": int(len(px))}, {}
        for name, perp, index in GAPS:
            b = gap_series(px, perp, index) if perp in px and index in px else None
            if b is not None and name == "traded" and found["mark"] is not None and \
                    np.array_equal(b.to_numpy(), found["mark"].to_numpy(), equal_nan=True):
                b = None   # the traded close is the mark in this data: one gap, not two
            if b is not None and not (b.abs() > 1e-12).any():
                b = None
                if name == "mark":
                    same.append(coin)
            found[name] = b
            at = b.abs().idxmax() if b is not None and b.notna().any() else None
            row[f"{name}_gap"], row[f"{name}_at"] = (float(b.loc[at]), at) if at is not None else (float("nan"), None)
        series[coin] = found
        rows[coin] = row
    table = pd.DataFrame.from_dict(rows, orient="index") if rows else pd.DataFrame()
    return Basis(start, end, table, left_out, series, same)


# ---- the hedge's beta: used vs realized ----------------------------------------------------------------

BETA_CRASH = (pd.Timestamp("2025-10-10 20:00", tz="UTC"), pd.Timestamp("2025-10-10 21:00", tz="UTC"))
"""The Oct 10 crash: from the 20:00 bar's open to the 21:00 bar's low (TIMELINE-alts.md)."""


def log_returns(prices: pd.DataFrame) -> pd.Series:
    close = prices["index"].astype("float64")
    return np.log(close.where(close > 0)).diff()


def ols_beta(y: pd.Series, x: pd.Series) -> float:
    """The slope of y on x (with an intercept) over the bars where both are known; NaN with fewer than 24."""
    both = pd.concat([y, x], axis=1).dropna()
    if len(both) < 24 or both.iloc[:, 1].var() == 0:
        return float("nan")
    return float(both.cov().iloc[0, 1] / both.iloc[:, 1].var())


def hedge_betas(runs, coin_prices: dict | None) -> dict:
    """Per basket run that sized a hedge by betas (features ``beta.COIN/REF``): per coin, the beta it used
    (its mean over the run, and at the last close before the Oct 10 crash when covered), the beta that
    happened over the run (OLS of the coin's hourly index log returns on REF's), and the crash move of
    the coin against what beta x REF's move predicted. {run name: DataFrame indexed by coin}."""
    out = {}
    for run in basket_runs(runs):
        f = getattr(run, "features", None)
        if f is None or not coin_prices:
            continue
        cols = [c for c in f.columns if str(c).startswith("beta.") and "/" in str(c)]
        rows = {}
        for col in cols:
            coin, ref = str(col)[5:].split("/", 1)
            if coin == ref or coin not in coin_prices or ref not in coin_prices:
                continue
            held = run.coins["exposure"][coin].fillna(0.0) != 0
            if not held.any():
                continue
            used = f[col].set_axis(_utc(f.index))
            px, rx = coin_prices[coin].set_axis(_utc(coin_prices[coin].index)), \
                coin_prices[ref].set_axis(_utc(coin_prices[ref].index))
            row = {"reference": ref, "beta_used_mean": float(used[held.to_numpy()].mean()),
                   "beta_realized": ols_beta(log_returns(px), log_returns(rx))}
            start, low_bar = BETA_CRASH
            before = px.index[px.index < start]
            if start in used.index and low_bar in px.index and len(before) and "index_low" in px and "index_low" in rx:
                base = before[-1]   # the close before 20:00: the crash's starting level
                known = used.loc[:base].dropna()
                beta_then = float(known.iloc[-1]) if len(known) else float("nan")
                move = float(px.loc[low_bar, "index_low"] / px.loc[base, "index"] - 1.0)
                ref_move = float(rx.loc[low_bar, "index_low"] / rx.loc[base, "index"] - 1.0)
                row.update(beta_used_oct10=beta_then, oct10_move=move, oct10_predicted=beta_then * ref_move)
            rows[coin] = row
        if rows:
            out[run.name] = pd.DataFrame.from_dict(rows, orient="index")
    return out
