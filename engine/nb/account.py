"""Per-column account state and the operations that change it (spot, linear perp, margin).

The account of one column lives in a float64 vector ``acc[Acc.*]`` so that helper kernels can
update it in place. Spot is a fully-paid holding bought with cash. The perp is linear (USD-margined)
in one-way mode; in isolated mode its margin is a separate bucket funded from cash, in cross mode
the cross wallet is the cash (spot is not collateral).

Equity = cash + spot * spot price + isolated margin + perp qty * (mark - entry).

Inverse (coin-margined) perps (``cfg[Cfg.INVERSE] = 1``, isolated only): ``Acc.QTY`` is the position
in BTC at entry (contracts of N = qty * entry USD), ``Acc.MARGIN`` is held in BTC: posting margin
converts USD cash to BTC at the fill price, releasing converts BTC back to USD at the fill (or
liquidation) price; PnL in BTC = qty * (P - entry) / P; maintenance margin in BTC = |N| / P * MMR
(tiers on the BTC notional |N| / P). Equity = cash + spot * spot price + (margin + pnl) * mark.
"""
import math
from typing import NamedTuple

import numpy as np
from numba import njit

from hedgelab.engine.nb.fills import fee_nb, fill_price_nb
from hedgelab.engine.nb.margin import liq_price_inverse_nb, liq_price_linear_nb, maint_margin_nb, max_leverage_nb
from hedgelab.engine.nb.records import Cfg, CutReason, EventKind, Instrument, LiqRule


class AccT(NamedTuple):
    CASH: int = 0
    SPOT: int = 1
    QTY: int = 2           # signed perp qty
    ENTRY: int = 3         # perp average entry
    MARGIN: int = 4        # isolated margin (0 in cross)
    LEV: int = 5           # current leverage setting
    STOP: int = 6          # reduce-only stop trigger (0: none)
    LIQ: int = 7           # cached liquidation price (NaN: none)
    FUNDING: int = 8       # cumulative funding received (+) / paid (-)
    FEES: int = 9          # cumulative fees paid (positive)
    LIQS: int = 10         # number of liquidation events (partials count one each)
    STOPS: int = 11
    NEV: int = 12          # events counted (written while < capacity)
    LAST_FUNDING: int = 13
    LEV_ASKED: int = 14    # last leverage the hook asked for (before the tier clamp)
    ADLS: int = 15         # number of ADL closes (engine/nb/adl.py)
    ADL_BAR: int = 16      # bar of the last ADL close (NaN: none yet)
    ADL_QTY: int = 17      # signed quantity that close traded (+ a short bought back)
    ADL_SCORE: int = 18    # the position's rank score at that close
    N: int = 19


Acc = AccT()
_TINY = 1e-12


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def add_event_nb(acc, events, j, col, bar, kind, instrument, qty, price, amount):
    """Append one event to column ``j``'s buffer (counted even when the buffer is full)."""
    k = int(acc[Acc.NEV])
    if k < events.shape[1]:
        events[j, k]["bar"] = bar
        events[j, k]["column"] = col
        events[j, k]["kind"] = kind
        events[j, k]["instrument"] = instrument
        events[j, k]["reason"] = CutReason.NONE
        events[j, k]["option_type"] = 0
        events[j, k]["expiry_s"] = 0
        events[j, k]["strike"] = np.nan
        events[j, k]["qty"] = qty
        events[j, k]["price"] = price
        events[j, k]["amount"] = amount
    acc[Acc.NEV] = k + 1


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def name_contract_nb(acc, events, j, first, kind, strike, expiry_s):
    """Name the option contract on the events written since event number ``first``."""
    for k in range(first, min(int(acc[Acc.NEV]), events.shape[1])):
        events[j, k]["option_type"] = 1 if kind > 0.0 else -1
        events[j, k]["strike"] = strike
        events[j, k]["expiry_s"] = int(expiry_s) if expiry_s == expiry_s else 0


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def add_cut_nb(acc, events, j, col, bar, kind, instrument, qty, price, reason):
    """An ``order_trimmed`` / ``leverage_capped`` event with its ``CutReason`` (amount 0)."""
    k = int(acc[Acc.NEV])
    add_event_nb(acc, events, j, col, bar, kind, instrument, qty, price, 0.0)
    if k < events.shape[1]:
        events[j, k]["reason"] = reason


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def perp_wallet_nb(acc, cfg):
    """Balance backing the perp: the isolated margin, or the cross wallet (cash)."""
    if cfg[Cfg.CROSS] != 0.0:
        return acc[Acc.CASH]
    return acc[Acc.MARGIN]


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def refresh_liq_nb(acc, cfg, tiers):
    """Recompute the cached liquidation price after the position or its wallet changed."""
    q = acc[Acc.QTY]
    if q == 0.0 or cfg[Cfg.SHARED_WALLET] != 0.0:
        acc[Acc.LIQ] = np.nan
        return
    side = 1.0 if q > 0.0 else -1.0
    if cfg[Cfg.INVERSE] != 0.0:
        lp, _, _ = liq_price_inverse_nb(side, abs(q), acc[Acc.ENTRY], acc[Acc.MARGIN], 0.0, 0.0, tiers)
        acc[Acc.LIQ] = lp
        return
    lp, _, _ = liq_price_linear_nb(int(cfg[Cfg.LIQ_RULE]), side, abs(q), acc[Acc.ENTRY],
                                   perp_wallet_nb(acc, cfg), 0.0, 0.0, tiers)
    acc[Acc.LIQ] = lp


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def perp_mm_nb(acc, cfg, tiers, mark):
    """Maintenance margin of the open perp (on the entry value under Bybit's rule)."""
    q = abs(acc[Acc.QTY])
    if cfg[Cfg.INVERSE] != 0.0:  # BTC: the BTC notional |N| / mark
        return maint_margin_nb(tiers, q * acc[Acc.ENTRY] / mark)
    if int(cfg[Cfg.LIQ_RULE]) == LiqRule.MM_AT_ENTRY:
        return maint_margin_nb(tiers, q * acc[Acc.ENTRY])
    return maint_margin_nb(tiers, q * mark)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def inverse_pnl_btc_nb(q, entry, price):
    """PnL in BTC of an inverse position of signed ``q`` BTC at ``entry``: q * (price - entry) / price."""
    return q * (price - entry) / price


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def perp_value_nb(acc, cfg, mark):
    """USD value of the isolated margin plus the perp's unrealized PnL at ``mark`` (equity term)."""
    return perp_value_of_nb(cfg[Cfg.INVERSE] != 0.0, acc[Acc.MARGIN], acc[Acc.QTY], acc[Acc.ENTRY], mark)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def perp_value_of_nb(inverse, margin, q, entry, mark):
    """``perp_value_nb`` from the account's values (a loop that holds them in registers)."""
    if inverse:
        return (margin + inverse_pnl_btc_nb(q, entry, mark)) * mark
    return margin + q * (mark - entry)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def equity_of_nb(cash, spot, index, perp_value, opt_value):
    """Equity at a close: cash + spot at the index + the perp's value + the option book (in this order:
    every caller adds the same way, so equal inputs give bitwise-equal equity)."""
    return cash + spot * index + perp_value + opt_value


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def margin_ratio_nb(acc, cfg, tiers, mark):
    """Maintenance margin / margin balance (1.0 = liquidation); 0 when flat, inf when balance <= 0."""
    q = acc[Acc.QTY]
    if q == 0.0:
        return 0.0
    if cfg[Cfg.INVERSE] != 0.0:
        balance = acc[Acc.MARGIN] + inverse_pnl_btc_nb(q, acc[Acc.ENTRY], mark)
    else:
        balance = perp_wallet_nb(acc, cfg) + q * (mark - acc[Acc.ENTRY])
    mm = perp_mm_nb(acc, cfg, tiers, mark)
    if balance <= 0.0:
        return np.inf
    return mm / balance


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def close_perp_part_nb(acc, cfg, red, price):
    """Close ``red`` (>0) BTC of the perp at ``price``: PnL realized, margin share released to cash.

    Inverse: the BTC PnL and the BTC margin share are converted to USD at ``price``; returns the
    realized PnL in USD."""
    q = acc[Acc.QTY]
    side = 1.0 if q > 0.0 else -1.0
    aq = abs(q)
    if red > aq:
        red = aq
    inverse = cfg[Cfg.INVERSE] != 0.0
    if inverse:
        realized = inverse_pnl_btc_nb(side * red, acc[Acc.ENTRY], price) * price if price > 0.0 else -np.inf
    else:
        realized = side * red * (price - acc[Acc.ENTRY])
    if inverse:
        released = acc[Acc.MARGIN] * red / aq
        acc[Acc.MARGIN] -= released
        if price > 0.0:
            acc[Acc.CASH] += released * price + realized
        else:
            realized = 0.0
    elif cfg[Cfg.CROSS] != 0.0:
        acc[Acc.CASH] += realized
    else:
        released = acc[Acc.MARGIN] * red / aq
        acc[Acc.MARGIN] -= released
        acc[Acc.CASH] += released + realized
    rest = aq - red
    if rest <= _TINY * max(aq, 1.0):
        acc[Acc.QTY] = 0.0
        acc[Acc.ENTRY] = 0.0
        acc[Acc.STOP] = 0.0
        if not inverse:
            acc[Acc.CASH] += acc[Acc.MARGIN]
        elif price > 0.0:
            acc[Acc.CASH] += acc[Acc.MARGIN] * price
        acc[Acc.MARGIN] = 0.0
    else:
        acc[Acc.QTY] = side * rest
    return realized


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _perp_room_nb(acc, cfg, fp, fee_rate, traded, rest, sgn, lev, mark, im_other):
    """Largest part (BTC, <= ``rest``) of a perp increase at ``fp`` that the account pays for:
    isolated, margin + fee from cash; cross (``im_other`` not NaN), equity after the order covers the
    whole position's initial margin (equity(y) - IM(y) is linear in the y BTC added)."""
    if cfg[Cfg.CROSS] == 0.0:
        afford = max(acc[Acc.CASH] - traded * fp * fee_rate, 0.0) / (fp / lev + fp * fee_rate)
        return rest if rest <= afford else afford
    if im_other != im_other:
        return rest
    q1 = acc[Acc.QTY]
    room = (acc[Acc.CASH] - traded * fp * fee_rate + im_other + q1 * (mark - acc[Acc.ENTRY])
            - abs(q1) * mark / lev)
    per = mark / lev + fp * fee_rate - sgn * (mark - fp)
    if per > 0.0 and rest * per > room:
        return max(room, 0.0) / per
    return rest


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def trade_perp_nb(acc, cfg, tiers, events, j, col, bar, dq, ref_price, volume, kind, mark, im_other):
    """Market order of signed ``dq`` BTC on the perp at ``ref_price`` with slippage and taker fee.

    Reduces first (realizing PnL and releasing margin), then opens/increases; in isolated mode an
    increase needs margin = notional / leverage plus the fee from cash and is cut to what cash allows
    (an ``ORDER_TRIMMED`` event, reason cash).
    In cross mode (``im_other`` not NaN: the equity besides cash and the perp, less what else needs
    initial margin, e.g. spot + option book - short-option IM) an increase is cut so that the equity
    after the order, perp PnL at ``mark`` and fees included, covers the whole position's
    |qty| * mark / leverage; the cut is an ``ORDER_TRIMMED`` event (qty not filled, amount 0, reason
    initial margin). A cut order without a reduce part is re-priced at its own size (slippage is
    charged on what trades).
    """
    if abs(dq) <= _TINY:
        return
    fp = fill_price_nb(ref_price, dq, volume, cfg[Cfg.HALF_SPREAD], cfg[Cfg.IMPACT], cfg[Cfg.IMPACT_EXP])
    fee_rate = cfg[Cfg.PERP_FEE]
    q = acc[Acc.QTY]
    sgn = 1.0 if dq > 0.0 else -1.0
    realized = 0.0
    traded = 0.0
    rest = abs(dq)
    if q != 0.0 and (q > 0.0) != (dq > 0.0):
        red = min(rest, abs(q))
        realized = close_perp_part_nb(acc, cfg, red, fp)
        traded += red
        rest -= red
    if rest > _TINY:
        lev = acc[Acc.LEV]
        fill = _perp_room_nb(acc, cfg, fp, fee_rate, traded, rest, sgn, lev, mark, im_other)
        if fill < rest:
            if traded == 0.0 and fill > _TINY:
                # slippage is charged on what trades: re-price the cut order (smaller, so cheaper),
                # and cut again in case the new price needs a hair more margin
                fp = fill_price_nb(ref_price, sgn * fill, volume, cfg[Cfg.HALF_SPREAD], cfg[Cfg.IMPACT],
                                   cfg[Cfg.IMPACT_EXP])
                fill = min(fill, _perp_room_nb(acc, cfg, fp, fee_rate, traded, fill, sgn, lev, mark, im_other))
            reason = CutReason.CASH if cfg[Cfg.CROSS] == 0.0 else CutReason.INITIAL_MARGIN
            add_cut_nb(acc, events, j, col, bar, EventKind.ORDER_TRIMMED, Instrument.PERP, sgn * (rest - fill), fp,
                       reason)
            rest = fill
        if rest > _TINY:
            q = acc[Acc.QTY]
            aq = abs(q)
            if q == 0.0:
                acc[Acc.ENTRY] = fp
            else:
                acc[Acc.ENTRY] = (aq * acc[Acc.ENTRY] + rest * fp) / (aq + rest)
            acc[Acc.QTY] = sgn * (aq + rest)
            if cfg[Cfg.CROSS] == 0.0:
                im = rest * fp / lev
                acc[Acc.MARGIN] += im / fp if cfg[Cfg.INVERSE] != 0.0 else im  # inverse: USD -> BTC at the fill
                acc[Acc.CASH] -= im
            traded += rest
    if traded <= _TINY:
        return
    fee = fee_nb(traded, fp, fee_rate)
    acc[Acc.CASH] -= fee
    acc[Acc.FEES] += fee
    add_event_nb(acc, events, j, col, bar, kind, Instrument.PERP, sgn * traded, fp, realized)
    add_event_nb(acc, events, j, col, bar, EventKind.FEE, Instrument.PERP, 0.0, fp, -fee)
    refresh_liq_nb(acc, cfg, tiers)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def trade_spot_nb(acc, cfg, tiers, events, j, col, bar, target, ref_price, volume):
    """Move the spot holding toward ``target`` (>= 0, fully paid) at ``ref_price`` with costs."""
    if target < 0.0:
        target = 0.0
    dq = target - acc[Acc.SPOT]
    if abs(dq) <= _TINY:
        return
    fp = fill_price_nb(ref_price, dq, volume, cfg[Cfg.HALF_SPREAD], cfg[Cfg.IMPACT], cfg[Cfg.IMPACT_EXP])
    fee_rate = cfg[Cfg.SPOT_FEE]
    if dq > 0.0:
        afford = max(acc[Acc.CASH], 0.0) / (fp * (1.0 + fee_rate))
        if dq > afford:
            if afford > _TINY:  # slippage on what trades: re-price the smaller order
                fp = fill_price_nb(ref_price, afford, volume, cfg[Cfg.HALF_SPREAD], cfg[Cfg.IMPACT],
                                   cfg[Cfg.IMPACT_EXP])
                afford = min(afford, max(acc[Acc.CASH], 0.0) / (fp * (1.0 + fee_rate)))
            add_cut_nb(acc, events, j, col, bar, EventKind.ORDER_TRIMMED, Instrument.SPOT, dq - afford, fp,
                       CutReason.CASH)
            dq = afford
        if dq <= _TINY:
            return
    fee = fee_nb(dq, fp, fee_rate)
    acc[Acc.SPOT] += dq
    acc[Acc.CASH] -= dq * fp + fee
    acc[Acc.FEES] += fee
    add_event_nb(acc, events, j, col, bar, EventKind.FILL, Instrument.SPOT, dq, fp, -dq * fp)
    add_event_nb(acc, events, j, col, bar, EventKind.FEE, Instrument.SPOT, 0.0, fp, -fee)
    if cfg[Cfg.CROSS] != 0.0:
        refresh_liq_nb(acc, cfg, tiers)  # the cross wallet is the cash


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def set_leverage_nb(acc, cfg, tiers, events, j, col, bar, lev, mark, target_qty):
    """Change the leverage setting; True when it changed (then call ``resize_margin_nb`` once the
    bar's orders are done).

    The leverage is clamped to the venue's maximum for the notional's tier (the larger of the
    position held and the target position), and on a venue that sets whole numbers to the whole number
    below, a ``leverage_capped`` event when either changes it. The isolated margin is not touched here: sizing it from
    the position held before the orders would, on a cut with a reduce, spend the cash on margin the
    reduce then releases pro rata, leaving the rest of the position at about the old leverage.
    """
    notional = abs(target_qty) * mark
    if abs(acc[Acc.QTY]) * mark > notional:
        notional = abs(acc[Acc.QTY]) * mark
    if cfg[Cfg.INVERSE] != 0.0:
        notional /= mark  # inverse tiers are on the BTC notional
    cap = max_leverage_nb(tiers, notional)
    if lev > cap:
        lev = cap
        if lev != acc[Acc.LEV]:  # once per change of the applied leverage, not every bar it is repeated
            add_cut_nb(acc, events, j, col, bar, EventKind.LEVERAGE_CAPPED, Instrument.PERP, 0.0, cap,
                       CutReason.TIER_MAX_LEVERAGE)
    if cfg[Cfg.WHOLE_LEVERAGE] != 0.0 and lev != math.floor(lev):
        # the venue offers 1x, 2x, ...: the whole number below (1x at least), as a trader would pick it
        whole = max(1.0, math.floor(lev))
        if whole != acc[Acc.LEV]:
            add_cut_nb(acc, events, j, col, bar, EventKind.LEVERAGE_CAPPED, Instrument.PERP, 0.0, whole,
                       CutReason.WHOLE_NUMBER)
        lev = whole
    if lev == acc[Acc.LEV]:
        return False
    acc[Acc.LEV] = lev
    return True


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def resize_margin_nb(acc, cfg, tiers, events, j, col, bar, mark):
    """Isolated mode, after a leverage change and the bar's orders: set the margin to
    |position after the orders| * mark / leverage (Bybit: * entry price, its margins are on the entry value), moving the difference from / to cash (an
    increase is bounded by the cash left, never below zero)."""
    q = acc[Acc.QTY]
    if q == 0.0 or cfg[Cfg.CROSS] != 0.0:
        return
    inverse = cfg[Cfg.INVERSE] != 0.0
    if inverse:  # USD moved = (|N| / mark / leverage - margin_btc) * mark, converted at the mark
        delta = (abs(q) * acc[Acc.ENTRY] / mark / acc[Acc.LEV] - acc[Acc.MARGIN]) * mark
    elif cfg[Cfg.LIQ_RULE] == LiqRule.MM_AT_ENTRY:  # Bybit (spec §2): IM = entry value / leverage, as its MM
        delta = abs(q) * acc[Acc.ENTRY] / acc[Acc.LEV] - acc[Acc.MARGIN]
    else:
        delta = abs(q) * mark / acc[Acc.LEV] - acc[Acc.MARGIN]
    if delta > acc[Acc.CASH]:
        delta = max(acc[Acc.CASH], 0.0)
    if delta != 0.0:
        acc[Acc.MARGIN] += delta / mark if inverse else delta
        acc[Acc.CASH] -= delta
        add_event_nb(acc, events, j, col, bar, EventKind.MARGIN, Instrument.PERP, 0.0, delta, 0.0)
        refresh_liq_nb(acc, cfg, tiers)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def topup_margin_nb(acc, cfg, tiers, events, j, col, bar, amount, mark):
    """Move ``amount`` USD of cash into the isolated margin (isolated, open position only)."""
    if amount <= 0.0 or acc[Acc.QTY] == 0.0 or cfg[Cfg.CROSS] != 0.0:
        return
    amount = min(amount, max(acc[Acc.CASH], 0.0))
    if amount <= 0.0:
        return
    acc[Acc.MARGIN] += amount / mark if cfg[Cfg.INVERSE] != 0.0 else amount  # inverse: to BTC at the mark
    acc[Acc.CASH] -= amount
    add_event_nb(acc, events, j, col, bar, EventKind.MARGIN, Instrument.PERP, 0.0, amount, 0.0)
    refresh_liq_nb(acc, cfg, tiers)
