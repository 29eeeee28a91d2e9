"""Intrabar stop and liquidation triggers on the bar's mark extremes, and what the venue takes.

Triggers (checked after funding, before the hook): the adverse mark extreme first (a long looks at
mark_low, a short at mark_high).
- If the mark opens through the liquidation price, the position is liquidated at the open.
- Else if a stop is set and lies before the liquidation price on the way down (long) / up (short)
  and the extreme reaches it, the stop fills: at the stop price, or at the traded open when the
  mark opens through it; slippage and taker fee apply.
- Else if the extreme reaches the liquidation price, the position is liquidated.

What the account keeps (``LiqRule``):
- Binance / Bybit (taken at the bankruptcy price): the position is taken over at the price where
  its wallet (isolated margin, or the whole cross wallet = cash) is exactly zero. The user loses the
  whole wallet and no more; what the venue gets above bankruptcy is its clearance fee, except where
  the venue's fee (Binance 1.25 % of the notional at the trigger, §1.3) is below the equity left
  there (MM above 1.25 %: notionals over ~17.6M): the account keeps the difference (and a gap
  through bankruptcy is the insurance fund's loss). Cross: the same with the cross wallet, the
  venue's published rule (Binance/Bybit take the cross position at bankruptcy of the cross balance).
- Hyperliquid (closed at the mark): at the liquidation price (or the mark open when gapped), no
  fee, the account keeps what is left. Positions above ``PARTIAL_ABOVE`` notional are closed
  ``PARTIAL_FRACTION`` at a time, re-checking the new liquidation price against the same bar's
  extreme (the 30 s cooldown is shorter than a bar). If equity at the fill is below
  ``BACKSTOP`` x MM, the backstop vault takes the position and its whole margin.
Inverse perps (isolated, taken at bankruptcy): the bankruptcy price is where the BTC margin plus the
BTC PnL is zero, so the user loses the whole BTC margin and no more.
The user's loss is capped at the wallet either way. Auto-deleveraging of the user's own profitable
position comes from the market's ADL events, after these triggers (``nb/adl.py``).
"""
import numpy as np
from numba import njit

from hedgelab.engine.nb.account import (Acc, add_event_nb, close_perp_part_nb, perp_mm_nb,
                                         perp_wallet_nb, refresh_liq_nb, trade_perp_nb)
from hedgelab.engine.nb.margin import bankruptcy_price_inverse_nb, bankruptcy_price_linear_nb
from hedgelab.engine.nb.records import Cfg, EventKind, Instrument, LiqRule, Mkt


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def _take_at_bankruptcy_nb(acc, cfg, events, j, col, bar, price):
    """Taken over at the bankruptcy price; with a clearance fee (Binance §1.3, linear), the venue keeps
    ``LIQ_FEE`` x the notional at ``price`` (the trigger) capped at the equity left there, and the
    account keeps the rest: taken at the price that leaves it exactly that. ``price`` NaN: no rest."""
    q = acc[Acc.QTY]
    side = 1.0 if q > 0.0 else -1.0
    wallet = perp_wallet_nb(acc, cfg)
    if cfg[Cfg.INVERSE] != 0.0:
        bp = bankruptcy_price_inverse_nb(side, abs(q), acc[Acc.ENTRY], acc[Acc.MARGIN])
    else:
        bp = bankruptcy_price_linear_nb(side, abs(q), acc[Acc.ENTRY], wallet)
        rest = wallet + q * (price - acc[Acc.ENTRY]) - cfg[Cfg.LIQ_FEE] * abs(q) * price
        if cfg[Cfg.LIQ_FEE] > 0.0 and rest > 0.0:  # NaN price: False (the backstop takes it all)
            bp += rest / q
    if bp != bp:  # bp <= 0: only when the wallet exceeds the notional; take at a zero price
        bp = 0.0
    realized = close_perp_part_nb(acc, cfg, abs(q), bp)
    if cfg[Cfg.CROSS] != 0.0 and acc[Acc.CASH] < 0.0:
        acc[Acc.CASH] = 0.0  # rounding: the cross wallet ends at zero, never below
    acc[Acc.LIQS] += 1.0
    add_event_nb(acc, events, j, col, bar, EventKind.LIQUIDATION, Instrument.PERP, -q, bp, realized)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def _close_at_mark_nb(acc, cfg, tiers, events, j, col, bar, mark_open, extreme):
    """Hyperliquid: partial 20 % steps above the threshold, then the rest; keeps the remainder."""
    while acc[Acc.QTY] != 0.0:
        q = acc[Acc.QTY]
        side = 1.0 if q > 0.0 else -1.0
        lp = acc[Acc.LIQ]
        if lp != lp or side * (extreme - lp) > 0.0:
            return  # the partial steps brought the position back above maintenance
        price = lp
        if side * (mark_open - lp) <= 0.0:
            price = mark_open
        wallet = perp_wallet_nb(acc, cfg)
        equity = wallet + q * (price - acc[Acc.ENTRY])
        mm = perp_mm_nb(acc, cfg, tiers, price)
        if equity < cfg[Cfg.BACKSTOP] * mm or equity <= 0.0:
            _take_at_bankruptcy_nb(acc, cfg, events, j, col, bar, np.nan)  # backstop vault takes the wallet
            return
        part = abs(q)
        if abs(q) * price > cfg[Cfg.PARTIAL_ABOVE]:
            # A partial step keeps the isolated margin with the rest of the position (its PnL is
            # settled against that margin), which is what brings the rest back above maintenance.
            part = abs(q) * cfg[Cfg.PARTIAL_FRACTION]
            realized = side * part * (price - acc[Acc.ENTRY])
            acc[Acc.QTY] = side * (abs(q) - part)
            if cfg[Cfg.CROSS] != 0.0:
                acc[Acc.CASH] += realized
            else:
                acc[Acc.MARGIN] += realized
        else:
            realized = close_perp_part_nb(acc, cfg, part, price)
        acc[Acc.LIQS] += 1.0
        add_event_nb(acc, events, j, col, bar, EventKind.LIQUIDATION, Instrument.PERP, -side * part,
                     price, realized)
        refresh_liq_nb(acc, cfg, tiers)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def liquidate_nb(acc, cfg, tiers, events, j, col, bar, mark_open, extreme):
    if int(cfg[Cfg.LIQ_RULE]) == LiqRule.CLOSE_AT_MARK:
        _close_at_mark_nb(acc, cfg, tiers, events, j, col, bar, mark_open, extreme)
    else:
        lp = acc[Acc.LIQ]
        side = 1.0 if acc[Acc.QTY] > 0.0 else -1.0
        _take_at_bankruptcy_nb(acc, cfg, events, j, col, bar, mark_open if side * (mark_open - lp) <= 0.0 else lp)
    refresh_liq_nb(acc, cfg, tiers)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def check_triggers_nb(acc, cfg, tiers, events, j, col, bar, open_, mark_open, mark_low, mark_high, volume):
    """Stops and liquidation of the open perp on this bar's mark range (see module docstring)."""
    q = acc[Acc.QTY]
    if q == 0.0:
        return
    side = 1.0 if q > 0.0 else -1.0
    extreme = mark_low if q > 0.0 else mark_high
    lp = acc[Acc.LIQ]
    liq_hit = lp == lp and side * (extreme - lp) <= 0.0
    stop = acc[Acc.STOP]
    stop_hit = stop > 0.0 and side * (extreme - stop) <= 0.0
    if stop_hit and liq_hit:
        if side * (mark_open - lp) <= 0.0 or side * (stop - lp) <= 0.0:
            stop_hit = False  # the liquidation comes first
        else:
            liq_hit = False
    if stop_hit:
        ref = stop
        if side * (mark_open - stop) <= 0.0:
            ref = open_
        acc[Acc.STOPS] += 1.0
        trade_perp_nb(acc, cfg, tiers, events, j, col, bar, -q, ref, volume, EventKind.STOP, mark_open,
                      np.nan)  # reduce-only: no margin check
    elif liq_hit:
        liquidate_nb(acc, cfg, tiers, events, j, col, bar, mark_open, extreme)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def trigger_reached_nb(q, liq_price, stop, mk, i):
    """Whether bar i's adverse mark extreme reaches the liquidation price or the stop of a position of
    signed ``q`` (not 0): the cheap test run every bar before ``check_triggers_nb``. A NaN liquidation
    price never compares true."""
    if q > 0.0:
        low = mk[Mkt.MARK_LOW, i]
        return low <= liq_price or (stop > 0.0 and low <= stop)
    high = mk[Mkt.MARK_HIGH, i]
    return high >= liq_price or (stop > 0.0 and high >= stop)
