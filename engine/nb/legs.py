"""Option legs in a column's account: a fixed-size leg table, settlement, option orders, book marks.

Uses the options engineer's kernels (``engine/nb/option_leg.py``): contract choice, bid/ask fill
with fees, settlement at the delivery price, mark-to-model. Per column the legs live in
``legs[k, Leg.*]``; a leg with qty 0 is a free slot. All money is USD; quantities in BTC.
A sale is checked against Deribit standard initial margin (``_sale_im_cap_nb``, event
``order_trimmed`` for the part cut). Short legs carry Deribit standard maintenance margin
(``book_nb`` returns it in USD); when the account falls below it, ``liquidate_shorts_nb`` buys
every short leg back at the ask (the rule is in ``engine/nb/simulate.py``'s docstring, step 3b).
"""
from typing import NamedTuple

import numpy as np
from numba import njit

from hedgelab.engine.nb.account import Acc, add_cut_nb, add_event_nb, name_contract_nb
from hedgelab.engine.nb.option_config import OptCfg
from hedgelab.engine.nb.option_forms import resolve_contract_nb
from hedgelab.engine.nb.option_leg import (option_book_nb, option_contract_nb, option_fill_nb, option_margin_nb,
                                           option_mark_nb, option_settle_nb, option_value_nb)
from hedgelab.engine.nb.option_rules import delivery_price_nb, short_margin_usd_nb
from hedgelab.engine.nb.records import CutReason, EventKind, Instrument
from hedgelab.engine.types import CLOSE_LEG, ROLL_LEG

MAX_LEGS = 8


class LegT(NamedTuple):
    KIND: int = 0       # +1 call, -1 put
    STRIKE: int = 1
    EXPIRY_S: int = 2
    QTY: int = 3        # signed BTC; 0 = free slot
    PREMIUM: int = 4    # average fill price (USD per BTC)
    N: int = 5


Leg = LegT()


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def next_expiry_nb(legs):
    t = np.inf
    for k in range(legs.shape[0]):
        if legs[k, Leg.QTY] != 0.0 and legs[k, Leg.EXPIRY_S] < t:
            t = legs[k, Leg.EXPIRY_S]
    return t


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def settle_expired_nb(acc, legs, ocfg, events, j, col, bar, t_open_s, time_ns, bar_seconds, index_open,
                      index_close):
    """Cash-settle every leg expired by this bar's open; returns the option cash flow (USD)."""
    flow = 0.0
    for k in range(legs.shape[0]):
        q = legs[k, Leg.QTY]
        if q == 0.0 or legs[k, Leg.EXPIRY_S] > t_open_s:
            continue
        s = delivery_price_nb(time_ns, bar_seconds, index_open, index_close, legs[k, Leg.EXPIRY_S])
        if s != s:
            s = index_open[bar]  # no bar ends at the expiry: the index at this bar's open
        cash, fee = option_settle_nb(ocfg, legs[k, Leg.KIND] > 0.0, q, legs[k, Leg.STRIKE], s)
        first = int(acc[Acc.NEV])
        acc[Acc.CASH] += cash - fee
        acc[Acc.FEES] += fee
        flow += cash - fee
        add_event_nb(acc, events, j, col, bar, EventKind.OPTION_SETTLEMENT, Instrument.OPTION, -q, s, cash)
        if fee != 0.0:
            add_event_nb(acc, events, j, col, bar, EventKind.FEE, Instrument.OPTION, 0.0, s, -fee)
        name_contract_nb(acc, events, j, first, legs[k, Leg.KIND], legs[k, Leg.STRIKE], legs[k, Leg.EXPIRY_S])
        legs[k, Leg.QTY] = 0.0
    return flow


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def _sale_im_cap_nb(acc, legs, ocfg, kind, strike, expiry_s, sell, held, price, fee, other_cover, spot, t_s, iv,
                    stress):
    """Largest part (BTC, <= ``sell``) of a sale of ``sell`` BTC at ``price`` (total fee ``fee``) after
    which the cover is at least the initial margin (the rule is in ``engine/nb/simulate.py``, step 5).

    Cover after selling x = cash + ``other_cover`` + book value + x * (price - fee / sell - mark);
    requirement = Deribit standard IM of every short leg (USD at the index) + im_per * (short qty the
    sale adds). The part that only reduces a long of the same contract (``held`` > 0) adds no short
    and is never cut. Both sides are linear in x, so the cap is solved exactly."""
    value, _, _, _, _, im, _ = option_book_nb(ocfg, legs[:, Leg.KIND], legs[:, Leg.STRIKE], legs[:, Leg.EXPIRY_S],
                                              legs[:, Leg.QTY], legs.shape[0], spot, t_s, iv, stress)
    mark, _, _, _, _, _, fwd = option_mark_nb(ocfg, kind > 0.0, spot, strike, t_s, expiry_s, iv, stress)
    im_per, _ = short_margin_usd_nb(kind > 0.0, spot, strike, mark, fwd, 1.0, ocfg[OptCfg.IM_OTM],
                                    ocfg[OptCfg.IM_MIN], ocfg[OptCfg.MM_BASE])
    reduce = min(max(held, 0.0), sell)
    slope = price - fee / sell - mark  # cover gained per BTC sold (< 0: the spread and fee)
    room = acc[Acc.CASH] + other_cover + value - im + reduce * slope  # cover - IM once the reduce is done
    if sell - reduce <= 0.0 or room - (sell - reduce) * (im_per - slope) >= 0.0:
        return sell
    if room <= 0.0:
        return reduce
    return reduce + room / (im_per - slope)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def _fill_leg_nb(acc, legs, ocfg, events, j, col, bar, k_existing, kind, strike, expiry_s, qty, spot, t_s,
                 iv, stress, other_cover):
    price, fee, _ = option_fill_nb(ocfg, kind > 0.0, qty, spot, strike, t_s, expiry_s, iv, stress)
    if price != price:
        return 0.0
    first = int(acc[Acc.NEV])
    flow = _book_leg_nb(acc, legs, ocfg, events, j, col, bar, k_existing, kind, strike, expiry_s, qty, price, fee,
                        spot, t_s, iv, stress, other_cover)
    name_contract_nb(acc, events, j, first, kind, strike, expiry_s)  # the fill, its fee or the cut
    return flow


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def _book_leg_nb(acc, legs, ocfg, events, j, col, bar, k_existing, kind, strike, expiry_s, qty, price, fee, spot,
                 t_s, iv, stress, other_cover):
    k = k_existing
    if k < 0:
        for s in range(legs.shape[0]):
            if legs[s, Leg.QTY] != 0.0 and legs[s, Leg.KIND] == kind and legs[s, Leg.STRIKE] == strike \
                    and legs[s, Leg.EXPIRY_S] == expiry_s:
                k = s
                break
    if qty > 0.0:  # a long option is paid in full from cash: cut the order to what cash pays for
        per = price + fee / qty
        if per > 0.0 and qty * per > acc[Acc.CASH]:
            scale = max(acc[Acc.CASH], 0.0) / (qty * per)
            add_cut_nb(acc, events, j, col, bar, EventKind.ORDER_TRIMMED, Instrument.OPTION, qty * (1.0 - scale),
                       price, CutReason.CASH)
            qty *= scale
            fee *= scale
            if qty <= 1e-12:
                return 0.0
    elif other_cover == other_cover:  # a sale must leave the cover above the initial margin
        held = legs[k, Leg.QTY] if k >= 0 else 0.0
        fill = _sale_im_cap_nb(acc, legs, ocfg, kind, strike, expiry_s, -qty, held, price, fee, other_cover,
                               spot, t_s, iv, stress)
        if fill < -qty * (1.0 - 1e-12):
            add_cut_nb(acc, events, j, col, bar, EventKind.ORDER_TRIMMED, Instrument.OPTION, qty + fill, price,
                       CutReason.INITIAL_MARGIN)
            fee *= fill / -qty
            qty = -fill
            if fill <= 1e-12:
                return 0.0
    if k < 0:
        for s in range(legs.shape[0]):
            if legs[s, Leg.QTY] == 0.0:
                k = s
                break
    if k < 0:  # the leg table is full (MAX_LEGS): the order is skipped
        add_cut_nb(acc, events, j, col, bar, EventKind.ORDER_TRIMMED, Instrument.OPTION, qty, price,
                   CutReason.LISTED_CONTRACT)
        return 0.0
    old = legs[k, Leg.QTY]
    new = old + qty
    if old == 0.0 or (old > 0.0) == (qty > 0.0):
        legs[k, Leg.PREMIUM] = (abs(old) * legs[k, Leg.PREMIUM] + abs(qty) * price) / (abs(old) + abs(qty))
    legs[k, Leg.KIND] = kind
    legs[k, Leg.STRIKE] = strike
    legs[k, Leg.EXPIRY_S] = expiry_s
    legs[k, Leg.QTY] = 0.0 if abs(new) <= 1e-12 else new
    acc[Acc.CASH] += -qty * price - fee
    acc[Acc.FEES] += fee
    add_event_nb(acc, events, j, col, bar, EventKind.OPTION_FILL, Instrument.OPTION, qty, price, -qty * price)
    add_event_nb(acc, events, j, col, bar, EventKind.FEE, Instrument.OPTION, 0.0, price, -fee)
    return -qty * price - fee


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def option_order_nb(acc, legs, ocfg, events, j, col, bar, action, kind, strike_in, tenor_days, qty, spot, t_s,
                    iv, stress, other_cover, unit, leg_k):
    """One option intent slot: +1 buy / -1 sell ``qty`` of the listed contract nearest the request (its
    strike ``strike_in`` in ``unit``: NaN a fraction of the forward, or USD, or a target delta;
    ``engine/nb/option_forms.py``), 2 close every open leg of ``kind``, 3 close leg ``leg_k``, 4 roll it
    (close it, then, once it is closed, open its type and side, its size or ``qty``, at the request).
    Returns the option cash flow (USD). A leg named by 3 / 4 is open (``intent.option_forms_problem_nb``).

    ``other_cover``: what backs the options besides cash and the option book (USD; spot at the index,
    in cross mode the perp's upnl less its initial margin); a sale that would leave cover below the
    initial margin is cut (event ``order_trimmed``). NaN: no initial-margin check."""
    if action != action:
        return 0.0
    flow = 0.0
    if action == CLOSE_LEG or action == ROLL_LEG:
        k = int(leg_k)
        q = legs[k, Leg.QTY]
        if q == 0.0:
            return 0.0
        kind = legs[k, Leg.KIND]
        flow = _fill_leg_nb(acc, legs, ocfg, events, j, col, bar, k, kind, legs[k, Leg.STRIKE],
                            legs[k, Leg.EXPIRY_S], -q, spot, t_s, iv, stress, other_cover)
        if action == CLOSE_LEG or legs[k, Leg.QTY] != 0.0:  # a roll opens only once the old leg is closed
            return flow
        action = 1.0 if q > 0.0 else -1.0
        if not (qty == qty):
            qty = abs(q)
    if kind != kind or (kind != 1.0 and kind != -1.0):
        return flow
    if action == 2.0:
        for k in range(legs.shape[0]):
            q = legs[k, Leg.QTY]
            if q != 0.0 and legs[k, Leg.KIND] == kind:
                flow += _fill_leg_nb(acc, legs, ocfg, events, j, col, bar, k, kind, legs[k, Leg.STRIKE],
                                     legs[k, Leg.EXPIRY_S], -q, spot, t_s, iv, stress, other_cover)
        return flow
    if (action != 1.0 and action != -1.0) or not (qty > 0.0):
        return flow
    if unit == unit and unit != 0.0:
        expiry_s, strike = resolve_contract_nb(ocfg, kind > 0.0, spot, t_s, strike_in, unit, tenor_days, iv, stress)
        if expiry_s == expiry_s and strike != strike:  # a delta without IV: nothing to aim at, no fill
            return flow
    else:
        expiry_s, strike = option_contract_nb(ocfg, spot, t_s, strike_in, tenor_days)
    if expiry_s != expiry_s:  # no listed contract for the request
        first = int(acc[Acc.NEV])
        add_cut_nb(acc, events, j, col, bar, EventKind.ORDER_TRIMMED, Instrument.OPTION, action * qty, np.nan,
                   CutReason.LISTED_CONTRACT)
        name_contract_nb(acc, events, j, first, kind, np.nan, np.nan)
        return flow
    return flow + _fill_leg_nb(acc, legs, ocfg, events, j, col, bar, -1, kind, strike, expiry_s, action * qty, spot,
                               t_s, iv, stress, other_cover)


# Not inlined: the kernel calls it at three places, and three inlined copies cost ~12 s of the
# cold compile; the call costs ~3 % on the options benchmark (2 threads).
@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def book_nb(legs, ocfg, spot, t_s, iv, stress):
    """(value_usd, delta_btc, open legs, maintenance_margin_usd) of the leg table at ``t_s``.

    The sums of ``option_book_nb`` (value, spot-equivalent delta, short-leg maintenance margin, in
    leg order, so the same numbers to the bit) from ``option_value_nb``: the kernel marks the book
    on every bar, and the greeks it does not use would triple the cost. The maintenance margin is
    Deribit's standard MM of the short legs in USD at the index (``option_rules.short_margin_usd_nb``);
    NaN like the value when IV is missing."""
    n_open = 0
    value = 0.0
    delta = 0.0
    mm = 0.0
    for k in range(legs.shape[0]):
        q = legs[k, Leg.QTY]
        if q == 0.0:
            continue
        n_open += 1
        expiry_s = legs[k, Leg.EXPIRY_S]
        if expiry_s <= t_s:
            continue
        is_call = legs[k, Leg.KIND] > 0.0
        strike = legs[k, Leg.STRIKE]
        p, d, fwd = option_value_nb(ocfg, is_call, spot, strike, t_s, expiry_s, iv, stress)
        ratio = fwd / spot
        value += q * p
        delta += q * d * ratio
        if q < 0.0:
            mm += option_margin_nb(ocfg, is_call, q, spot, strike, p, fwd)[1]
    if n_open == 0:
        return 0.0, 0.0, 0, 0.0
    return value, delta, n_open, mm


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def book_im_nb(legs, ocfg, spot, t_s, iv, stress):
    """Deribit standard initial margin of the short legs (USD at the index); 0 without IV (no mark
    to compute it from: the margin checks then count the book at its last mark only)."""
    short = False
    for k in range(legs.shape[0]):
        if legs[k, Leg.QTY] < 0.0:
            short = True
    if not short:
        return 0.0
    _, _, _, _, _, im, _ = option_book_nb(ocfg, legs[:, Leg.KIND], legs[:, Leg.STRIKE], legs[:, Leg.EXPIRY_S],
                                          legs[:, Leg.QTY], legs.shape[0], spot, t_s, iv, stress)
    return im if im == im else 0.0


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def liquidate_shorts_nb(acc, legs, ocfg, events, j, col, bar, spot, t_s, iv, stress):
    """Buy back every short leg at the ask with the trading fee (the venue's liquidation of the
    option book); long legs stay. Never cut to the cash: the cash may go negative. Counts one
    liquidation per leg (one ``liquidation`` event each, as reports count them); returns the
    option cash flow (USD)."""
    flow = 0.0
    for k in range(legs.shape[0]):
        q = legs[k, Leg.QTY]
        if q >= 0.0:
            continue
        price, fee, _ = option_fill_nb(ocfg, legs[k, Leg.KIND] > 0.0, -q, spot, legs[k, Leg.STRIKE], t_s,
                                       legs[k, Leg.EXPIRY_S], iv, stress)
        if price != price:
            continue  # no IV: no quote to buy at
        strike_k, expiry_k = legs[k, Leg.STRIKE], legs[k, Leg.EXPIRY_S]
        legs[k, Leg.QTY] = 0.0
        acc[Acc.CASH] += q * price - fee
        acc[Acc.FEES] += fee
        flow += q * price - fee
        first = int(acc[Acc.NEV])
        add_event_nb(acc, events, j, col, bar, EventKind.LIQUIDATION, Instrument.OPTION, -q, price, q * price)
        add_event_nb(acc, events, j, col, bar, EventKind.FEE, Instrument.OPTION, 0.0, price, -fee)
        name_contract_nb(acc, events, j, first, legs[k, Leg.KIND], strike_k, expiry_k)
        acc[Acc.LIQS] += 1.0
    return flow
