"""Where a liquidated perp position's margin went, from its entry to the price that triggered it.

The margin balance of a linear perp is its wallet (the isolated margin, or in cross mode the account's
cash) plus its unrealized PnL at the mark: B = W + Q x (P - E). A position is liquidated where B falls
to the maintenance margin (MM, by the venue's tier table). This module walks one column's engine events
from the fill that opened the position to its liquidation and splits the change of B into parts, each
in USD, that add up exactly:

    margin at entry + funding + fees + margin moved + trades + mark move = margin balance at the trigger

- margin at entry: the wallet at the opening fill (isolated: the margin posted, |Q| x fill / leverage,
  plus the bar's margin re-size; cross: the cash before that bar's orders, whose fees are a part);
- funding: the settlements (paid from the isolated margin, or the cross wallet);
- fees: cross only (isolated mode pays fees from the free cash, never from the margin);
- margin moved: isolated top-ups and re-sizes after a leverage change (+ in, - out);
- trades: isolated: the margin posted by later increases and taken out by reductions (the reduced
  part's share of the margin and its realized PnL go to cash); cross: other cash flows of the wallet
  (spot bought or sold, option premiums and payoffs), since a perp reduction only turns unrealized
  into realized PnL;
- mark move: the position's PnL from each fill price to the next to the trigger price (the liquidation
  price, or the bar's mark open when the mark opened through it).

The walk is independent of the kernel's own bookkeeping: its wallet at the trigger must give the
bankruptcy price the venue took the position at (tests check it), and B at the trigger equals the
maintenance margin there (the liquidation condition) unless the mark gapped through.
Linear perps only (the inverse perps' margin is in BTC).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hedgelab.engine.nb.margin import liq_price_linear_nb, maint_margin_nb, tier_index_nb
from hedgelab.engine.nb.records import LiqRule, Tier

PERP_TRADES = ("fill", "stop", "adl")
CLOSE_KINDS = ("fill", "fee", "margin", "option_fill", "order_trimmed", "leverage_capped")  # at the bar's close


@dataclass(frozen=True)
class LiquidationAccount:
    """One liquidation, in USD and BTC (side +1 long, -1 short; times UTC, the bars' open stamps as in
    events.csv: an entry fill at its bar's close, the liquidation at the open of the bar it happened in)."""
    mode: str                       # isolated | cross
    side: int
    entry_time: pd.Timestamp
    entry_price: float              # the opening fill's price
    entry_qty: float                # |BTC| opened
    leverage: float                 # the setting at entry (isolated: notional / margin posted)
    margin_at_entry: float          # wallet right after the opening fill
    mm_at_entry: float              # maintenance margin on the entry notional
    mmr_at_entry: float
    liq_price_at_entry: float
    parts: dict = field(default_factory=dict)   # name -> USD (+ added to the margin balance, - taken)
    liq_time: pd.Timestamp = None
    qty: float = math.nan           # |BTC| held when liquidated
    avg_entry: float = math.nan     # average entry then
    wallet: float = math.nan        # wallet at the trigger (isolated margin, or cash)
    liq_price: float = math.nan     # the liquidation price in force when the bar opened
    liq_price_no_funding: float = math.nan   # the same position with the funding given back
    trigger_price: float = math.nan # where it was triggered: liq_price, or the mark open if gapped
    gapped: bool = False
    mark_open: float = math.nan
    mark_extreme: float = math.nan  # the bar's mark low (long) / high (short)
    balance_at_trigger: float = math.nan
    mm_at_trigger: float = math.nan
    mmr_at_trigger: float = math.nan
    bankruptcy_price: float = math.nan   # where the wallet + PnL is zero
    taken_at: float = math.nan           # the price of the liquidation event
    returned: float = math.nan           # USD the account got back (wallet + realized PnL at taken_at)
    fees_from_cash: float = 0.0          # isolated: trading fees of the position, paid from free cash
    steps: int = 1                       # liquidation events in that bar (partial steps count one each)

    @property
    def total_parts(self) -> float:
        return float(sum(self.parts.values()))

    @property
    def venue_kept(self) -> float:
        """The margin balance left at the trigger that the account did not get back (the venue's
        clearance; + = the venue kept it)."""
        return self.balance_at_trigger - self.returned


def _mm(tiers: np.ndarray, rule: int, qty: float, entry: float, price: float) -> tuple[float, float]:
    notional = qty * (entry if rule == LiqRule.MM_AT_ENTRY else price)
    k = tier_index_nb(tiers, notional)
    return float(maint_margin_nb(tiers, notional)), float(tiers[k, Tier.MMR])


def _lp(rule: int, side: int, qty: float, entry: float, wallet: float, tiers: np.ndarray) -> float:
    return float(liq_price_linear_nb(rule, float(side), qty, entry, wallet, 0.0, 0.0, tiers)[0])


def entry_index(events: pd.DataFrame, liq: int) -> int:
    """Row (position in ``events``) of the perp trade that opened the position liquidated at row ``liq``:
    the last one before it that traded from flat or through zero."""
    q, start = 0.0, -1
    kinds = events["kind"].astype(str).to_numpy()
    inst = events["instrument"].astype(str).to_numpy()
    qty = events["qty"].to_numpy(dtype=float)
    for k in range(liq):
        if inst[k] == "perp" and kinds[k] in PERP_TRADES + ("liquidation",):
            new = q + qty[k]
            if abs(new) <= 1e-12 * max(abs(q), 1.0):
                new = 0.0
            if new != 0.0 and (q == 0.0 or (q > 0) != (new > 0)):
                start = k
            q = new
    return start


def account(events: pd.DataFrame, liq: int, *, tiers_at_entry: np.ndarray, tiers: np.ndarray, rule: int,
            cross: bool, leverage_after: dict, cash_before: float, mark_open: float, mark_extreme: float) -> LiquidationAccount:
    """The margin account of the liquidation at row ``liq`` of ``events`` (one column's engine events, in
    the engine's order, with ``bar``).

    tiers_at_entry / tiers: the venue's tier table in force at the entry and at the liquidation;
    rule: ``LiqRule``; leverage_after: bar -> the leverage setting after that bar's orders;
    cash_before: cross: the account's cash before the entry bar's orders (the wallet);
    mark_open / mark_extreme: the liquidation bar's mark open and adverse extreme.
    """
    ev = events.reset_index(drop=True)
    e0 = entry_index(ev, liq)
    if e0 < 0:
        raise ValueError("no opening fill before the liquidation")
    kinds = ev["kind"].astype(str).to_numpy()
    inst = ev["instrument"].astype(str).to_numpy()
    qty = ev["qty"].to_numpy(dtype=float)
    price = ev["price"].to_numpy(dtype=float)
    amount = ev["amount"].to_numpy(dtype=float)
    bars = ev["bar"].to_numpy(dtype=np.int64)
    k0 = int(bars[e0])
    # the opening trade: what it held before (a flip closes that first), then the new position
    q_before = sum(qty[k] for k in range(e0) if inst[k] == "perp" and kinds[k] in PERP_TRADES + ("liquidation",))
    if abs(q_before) < 1e-12:
        q_before = 0.0
    q = q_before + qty[e0]
    side = 1 if q > 0 else -1
    e_price = float(price[e0])
    lev = float(leverage_after.get(k0, math.nan))   # the setting in force after the entry bar's orders
    if cross:
        # the wallet is the cash before the entry bar's orders (their fees and spot or option flows are parts)
        wallet = cash_before + amount[e0]   # a flip's realized PnL, else 0
    else:
        wallet = abs(q) * e_price / lev
        wallet += sum(price[k] for k in range(e0 + 1, len(ev)) if bars[k] == k0 and kinds[k] == "margin")
    m0 = float(wallet)
    # the wallet once the entry bar's orders are done (cross: after their fees): the liquidation price then
    w_entry = m0 if not cross else cash_before + sum(amount[k] for k in range(len(ev))
                                                     if bars[k] == k0 and kinds[k] in CLOSE_KINDS)
    if cross:   # the entry bar's other cash flows after the state the wallet was read from
        first = min(k for k in range(e0 + 1) if bars[k] == k0 and kinds[k] in CLOSE_KINDS)
        after = [k for k in range(first, liq) if k != e0]
    else:
        after = [k for k in range(e0 + 1, liq) if not (bars[k] == k0 and kinds[k] in CLOSE_KINDS)]
    parts = {"funding": 0.0, "fees": 0.0, "margin moved": 0.0, "trades": 0.0, "mark move": 0.0}
    fees_from_cash = 0.0 if cross else -sum(amount[k] for k in range(e0, liq) if kinds[k] == "fee" and inst[k] == "perp")
    entry = e_price
    p = e_price
    for k in after:
        kind = kinds[k]
        if kind == "funding" and inst[k] == "perp":
            wallet += amount[k]
            parts["funding"] += amount[k]
        elif kind == "fee":
            if cross:
                wallet += amount[k]
                parts["fees"] += amount[k]
        elif kind == "margin" and not cross:
            wallet += price[k]
            parts["margin moved"] += price[k]
        elif inst[k] == "perp" and kind in PERP_TRADES:
            d, fp = qty[k], price[k]
            parts["mark move"] += q * (fp - p)
            p = fp
            if (d > 0) == (q > 0):      # an increase
                if not cross:
                    posted = abs(d) * fp / float(leverage_after.get(int(bars[k]), lev))
                    wallet += posted
                    parts["trades"] += posted
                entry = (abs(q) * entry + abs(d) * fp) / (abs(q) + abs(d))
                q += d
            else:                        # a reduction (never through zero: that would be a new entry)
                red = abs(d)
                realized = side * red * (fp - entry)
                if cross:
                    wallet += realized
                else:
                    released = wallet * red / abs(q)
                    wallet -= released
                    parts["trades"] -= released + realized
                q += d
        elif inst[k] == "perp" and kind == "liquidation":
            # a partial step (Hyperliquid): its PnL is settled into the wallet, B is unchanged
            d, fp = qty[k], price[k]
            parts["mark move"] += q * (fp - p)
            p = fp
            wallet += side * abs(d) * (fp - entry)
            q += d
        elif cross and kind in ("fill", "option_fill", "option_settlement", "liquidation"):
            wallet += amount[k]        # spot, option premiums and payoffs, short options bought back
            parts["trades"] += amount[k]
    aq = abs(q)
    lp = _lp(rule, side, aq, entry, wallet, tiers)
    gapped = bool(side * (mark_open - lp) <= 0.0)
    trigger = float(mark_open) if gapped else lp
    parts["mark move"] += q * (trigger - p)
    balance = wallet + q * (trigger - entry)
    mm_t, mmr_t = _mm(tiers, rule, aq, entry, trigger)
    mm0, mmr0 = _mm(tiers_at_entry, rule, abs(q_before + qty[e0]), e_price, e_price)
    steps = sum(1 for k in range(liq, len(ev)) if bars[k] == bars[liq] and kinds[k] == "liquidation"
                and inst[k] == "perp")
    return LiquidationAccount(
        mode="cross" if cross else "isolated", side=side, entry_time=pd.Timestamp(ev["time"].iloc[e0]),
        entry_price=e_price, entry_qty=abs(q_before + qty[e0]),
        leverage=(abs(q_before + qty[e0]) * e_price / w_entry if w_entry > 0 else math.nan) if cross else lev, margin_at_entry=m0,
        mm_at_entry=mm0, mmr_at_entry=mmr0,
        liq_price_at_entry=_lp(rule, side, abs(q_before + qty[e0]), e_price, w_entry, tiers_at_entry),
        parts=parts, liq_time=pd.Timestamp(ev["time"].iloc[liq]), qty=aq, avg_entry=entry, wallet=float(wallet),
        liq_price=lp, liq_price_no_funding=_lp(rule, side, aq, entry, wallet - parts["funding"], tiers),
        trigger_price=trigger, gapped=gapped, mark_open=float(mark_open), mark_extreme=float(mark_extreme),
        balance_at_trigger=float(balance), mm_at_trigger=mm_t, mmr_at_trigger=mmr_t,
        bankruptcy_price=entry - side * wallet / aq, taken_at=float(price[liq]),
        returned=float(wallet + side * aq * (price[liq] - entry)) if steps == 1 else math.nan,
        fees_from_cash=float(fees_from_cash), steps=steps)
