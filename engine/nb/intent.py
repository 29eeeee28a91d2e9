"""A hook's intent at a bar's close: checked field by field, then applied to the account (leverage,
spot and perp orders; after the option orders, a margin top-up and a stop). The rules are in
``engine/nb/simulate.py``'s docstring, steps 4-5."""
import math

import numpy as np
from numba import njit

from hedgelab.engine.nb.account import (Acc, resize_margin_nb, set_leverage_nb, topup_margin_nb, trade_perp_nb,
                                         trade_spot_nb)
from hedgelab.engine.nb.legs import Leg
from hedgelab.engine.nb.option_forms import usd_strike_listed_nb
from hedgelab.engine.nb.records import Cfg, EventKind, HookError, Mkt
from hedgelab.engine.types import (CLOSE_LEG, HOOK_RAISED, OPTION_FORM_FIELDS, OPTION_SLOT_FIELDS, OPTION_SLOTS, ROLL_LEG,
                                   STATE_LEGS, STRIKE_DELTA, STRIKE_FRACTION, STRIKE_USD, Intent)

# What an intent may ask (beyond these a finite value is a hook's mistake, not an order: a target of
# 1e300 BTC priced events at 1e151 USD). Coins: more than all the BTC there is, 1e6 times over.
# Leverage: venues list at most 125x (200x on a few); 1000x leaves room for any. USD (a top-up): 1e15,
# a thousand times the largest capital (runner/config.py MAX_CAPITAL). A stop price in USD per coin:
# 1e15, a million times the price bound of the data (data/validate.py MAX_PRICE). An option strike
# is a fraction of the forward, listed in (0, 5) (option_leg.option_contract_nb): outside it no contract
# ever fills (a strike of 90000 is USD, not a fraction), so the hook's order is its mistake (STRIKE);
# a strike in USD (OPTk_STRIKE_UNIT 1) is bounded like a top-up, and checked against the listed
# strikes at the order (option_forms_problem_nb); a target delta is in (0, 1) in magnitude.
# A tenor: more than 0 days, at most ten years of days.
MAX_INTENT_COINS = 1e12
MAX_INTENT_LEVERAGE = 1000.0
MAX_INTENT_USD = 1e15
MAX_INTENT_STRIKE = 5.0
MAX_INTENT_TENOR_DAYS = 3650.0


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def intent_problem_nb(intent):
    """(HookError code, Intent field) of the first unusable intent field, or (0, -1).

    +/-inf is never a value, and a finite one is bounded (the MAX_INTENT_* above: coins, leverage,
    USD, strike, tenor). NaN means "no change" in the account fields; an option slot is either
    all NaN (unused) or names its action and type, and a buy / sell also its strike, tenor and
    quantity. ``x - x == 0`` is the finite test (NaN and inf both fail it)."""
    if intent[HOOK_RAISED] == intent[HOOK_RAISED]:
        return HookError.RAISED, -1
    for k in range(Intent.OPT1_ACTION):
        x = intent[k]
        if x == x and not (x - x == 0.0):
            return HookError.NOT_FINITE, k
    for k in (Intent.TARGET_SPOT, Intent.TARGET_PERP):
        if abs(intent[k]) > MAX_INTENT_COINS:
            return HookError.INVALID, k
    lev = intent[Intent.LEVERAGE]
    if lev <= 0.0 or lev > MAX_INTENT_LEVERAGE:
        return HookError.INVALID, Intent.LEVERAGE
    for k in (Intent.STOP_PRICE, Intent.MARGIN_TOPUP):
        if abs(intent[k]) > MAX_INTENT_USD:
            return HookError.INVALID, k
    for slot in range(OPTION_SLOTS):
        code, field = option_form_problem_nb(intent, Intent.OPT1_ACTION + slot * OPTION_SLOT_FIELDS,
                                             Intent.OPT1_STRIKE_UNIT + slot * OPTION_FORM_FIELDS)
        if code != HookError.NONE:
            return code, field
    return HookError.NONE, -1


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def option_slot_problem_nb(vec, b):
    """(HookError code, field) of an option slot of ``vec`` starting at ``b`` (ACTION, TYPE, STRIKE, TENOR_DAYS,
    QTY), or (0, -1): all NaN (unused), or an action and a type, and to buy or sell the rest, in bounds
    (the strike a fraction of the forward: a slot without the unit and leg fields, as a basket's)."""
    return option_form_problem_nb(vec, b, -1)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _strike_problem_nb(strike, unit, kind, b, u):
    """The strike of a buy, sell or roll in its unit (engine/nb/option_forms.py): a fraction in (0, 5), a USD
    amount > 0, a delta in (0, 1) for a call or (-1, 0) for a put (``kind`` NaN: its sign is checked
    against the rolled leg at the order)."""
    if unit != unit or unit == STRIKE_FRACTION:
        if not (0.0 < strike < MAX_INTENT_STRIKE):
            return HookError.STRIKE, b + 2
    elif unit == STRIKE_USD:
        if not (0.0 < strike <= MAX_INTENT_USD):
            return HookError.STRIKE_USD, b + 2
    elif unit == STRIKE_DELTA:
        if not (0.0 < abs(strike) < 1.0) or (kind == kind and (strike > 0.0) != (kind > 0.0)):
            return HookError.DELTA, b + 2
    else:
        return HookError.INVALID, u
    return HookError.NONE, -1


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _order_problem_nb(vec, unit, kind, b, u):
    """(HookError code, field) of the order in the slot at ``b``: its size when given (a roll may leave
    it NaN), its strike in ``unit`` and its tenor; (0, -1) when all are in bounds."""
    q = vec[b + 4]
    if q == q and (not q > 0.0 or q > MAX_INTENT_COINS):
        return HookError.INVALID, b + 4
    code, field = _strike_problem_nb(vec[b + 2], unit, kind, b, u)
    if code != HookError.NONE:
        return code, field
    if not (0.0 < vec[b + 3] <= MAX_INTENT_TENOR_DAYS):
        return HookError.INVALID, b + 3
    return HookError.NONE, -1


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def option_form_problem_nb(vec, b, u):
    """(HookError code, field) of an option slot: its five fields from ``b`` and, from ``u`` (-1: none),
    its STRIKE_UNIT and LEG. Today's slots (unit and leg NaN) are checked exactly as before: all NaN
    (unused), or an action and a type, and to buy or sell the rest, in bounds. Actions 3 (close leg)
    and 4 (roll leg) name a leg 0..MAX_LEGS-1 and may leave the type NaN (the leg's); a close says
    nothing else (it closes the whole leg); a roll says its strike and tenor, its quantity optional."""
    used = False
    for k in range(b, b + OPTION_SLOT_FIELDS):
        x = vec[k]
        if x == x:
            used = True
            if not (x - x == 0.0):
                return HookError.NOT_FINITE, k
    unit = np.nan
    leg = np.nan
    if u >= 0:
        unit = vec[u]
        leg = vec[u + 1]
        for k in range(u, u + OPTION_FORM_FIELDS):
            x = vec[k]
            if x == x:
                used = True
                if not (x - x == 0.0):
                    return HookError.NOT_FINITE, k
    if not used:
        return HookError.NONE, -1
    a = vec[b]
    if a != a:
        return HookError.MISSING, b
    kind = vec[b + 1]
    if u >= 0 and (a == CLOSE_LEG or a == ROLL_LEG):
        if kind == kind and kind != 1.0 and kind != -1.0:
            return HookError.INVALID, b + 1
        if leg != leg:
            return HookError.MISSING, u + 1
        if not (0.0 <= leg < STATE_LEGS) or leg != math.floor(leg):
            return HookError.LEG, u + 1
        if a == CLOSE_LEG:
            for k in (b + 2, b + 3, b + 4, u):
                if vec[k] == vec[k]:  # a close of leg k closes all of it: a strike, tenor or size is a mistake
                    return HookError.INVALID, k
            return HookError.NONE, -1
        for k in (b + 2, b + 3):
            if vec[k] != vec[k]:
                return HookError.MISSING, k
        return _order_problem_nb(vec, unit, kind, b, u)
    if a != 1.0 and a != -1.0 and a != 2.0:
        return HookError.INVALID, b
    if kind != kind:
        return HookError.MISSING, b + 1
    if kind != 1.0 and kind != -1.0:
        return HookError.INVALID, b + 1
    if leg == leg:  # only a close or roll of one leg names a leg
        return HookError.INVALID, u + 1
    if a != 2.0:
        for k in range(b + 2, b + OPTION_SLOT_FIELDS):
            if vec[k] != vec[k]:
                return HookError.MISSING, k
        return _order_problem_nb(vec, unit, kind, b, u)
    return HookError.NONE, -1


@njit(cache=True, nogil=True, _nrt=False)
def option_forms_problem_nb(intent, legs, cfg, spot, t_s):
    """(HookError code, Intent field) of the first option slot the account or market refuses, or
    (0, -1): a leg named by action 3 / 4 that is not open, named by an earlier slot too, or of
    another type than the slot's; a rolled leg's target delta of the wrong sign; a USD strike with
    no listed contract near it. Run after ``intent_problem_nb``, before any order of the bar."""
    for slot in range(OPTION_SLOTS):
        b = Intent.OPT1_ACTION + slot * OPTION_SLOT_FIELDS
        u = Intent.OPT1_STRIKE_UNIT + slot * OPTION_FORM_FIELDS
        a = intent[b]
        if a == CLOSE_LEG or a == ROLL_LEG:
            k = int(intent[u + 1])
            if legs[k, Leg.QTY] == 0.0:
                return HookError.LEG, u + 1
            kind = intent[b + 1]
            if kind == kind and kind != legs[k, Leg.KIND]:
                return HookError.LEG, u + 1
            for other in range(slot):
                ob = Intent.OPT1_ACTION + other * OPTION_SLOT_FIELDS
                ou = Intent.OPT1_STRIKE_UNIT + other * OPTION_FORM_FIELDS
                if (intent[ob] == CLOSE_LEG or intent[ob] == ROLL_LEG) and intent[ou + 1] == intent[u + 1]:
                    return HookError.LEG, u + 1
            if a == ROLL_LEG and intent[u] == STRIKE_DELTA and (intent[b + 2] > 0.0) != (legs[k, Leg.KIND] > 0.0):
                return HookError.DELTA, b + 2
        if (a == 1.0 or a == -1.0 or a == ROLL_LEG) and intent[u] == STRIKE_USD:
            if not usd_strike_listed_nb(cfg, spot, t_s, intent[b + 2], intent[b + 3]):
                return HookError.STRIKE_USD, b + 2
    return HookError.NONE, -1


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def apply_intent_nb(acc, cfg, tiers, events, j, col, i, mk, intent, opt_net):
    """Leverage, spot and perp intents; ``opt_net`` = option book value - short-option initial
    margin, what the options add to the cross-margin check of a perp increase."""
    close = mk[Mkt.CLOSE, i]
    mark = mk[Mkt.MARK_CLOSE, i]
    volume = mk[Mkt.VOLUME, i]
    target_perp = intent[Intent.TARGET_PERP]
    lev = intent[Intent.LEVERAGE]
    lev_changed = False
    if lev == lev and lev > 0.0 and (lev != acc[Acc.LEV_ASKED] or target_perp == target_perp):
        # Hooks often repeat the same leverage every bar: re-check it (against the tier maximum of
        # the notional about to be held) only when it changes or a perp order may change the tier.
        acc[Acc.LEV_ASKED] = lev
        tq = target_perp if target_perp == target_perp else acc[Acc.QTY]
        lev_changed = set_leverage_nb(acc, cfg, tiers, events, j, col, i, lev, mark, tq)
    target_spot = intent[Intent.TARGET_SPOT]
    if target_spot == target_spot:
        trade_spot_nb(acc, cfg, tiers, events, j, col, i, target_spot, mk[Mkt.INDEX_CLOSE, i], volume)
    if target_perp == target_perp:
        # Cross: the order is checked against initial margin on the account's equity (spot after
        # this bar's spot order, options net of their IM); isolated: its margin comes from cash.
        im_other = acc[Acc.SPOT] * mk[Mkt.INDEX_CLOSE, i] + opt_net if cfg[Cfg.CROSS] != 0.0 else np.nan
        trade_perp_nb(acc, cfg, tiers, events, j, col, i, target_perp - acc[Acc.QTY], close, volume,
                      EventKind.FILL, mark, im_other)
    if lev_changed:
        # After the orders: the margin follows the position actually held at the new leverage.
        resize_margin_nb(acc, cfg, tiers, events, j, col, i, mark)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def apply_late_intent_nb(acc, cfg, tiers, events, j, col, i, mk, intent):
    mark = mk[Mkt.MARK_CLOSE, i]
    topup = intent[Intent.MARGIN_TOPUP]
    if topup == topup:
        topup_margin_nb(acc, cfg, tiers, events, j, col, i, topup, mark)
    stop = intent[Intent.STOP_PRICE]
    if stop == stop and stop >= 0.0:
        acc[Acc.STOP] = stop if acc[Acc.QTY] != 0.0 else 0.0
