"""The state array a strategy hook reads at a bar's close (``State.*``; see ``engine/types.py``)."""
import numpy as np
from numba import njit

from hedgelab.engine.nb.account import Acc, margin_ratio_nb
from hedgelab.engine.nb.adl import adl_score_nb
from hedgelab.engine.nb.legs import MAX_LEGS, Leg
from hedgelab.engine.nb.margin import max_leverage_nb
from hedgelab.engine.nb.option_leg import option_mark_nb
from hedgelab.engine.nb.records import Cfg, Mkt
from hedgelab.engine.types import State, StateLeg


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def fill_state_nb(state, acc, cfg, tiers, mk, i, close_time_s, equity, peak, opt_value, opt_delta, n_open,
                   next_exp, legs, ocfg):
    """Write ``state`` for the hook at bar i's close: account, prices, equity and its peak, margin
    ratio and tier maximum leverage, and each open option leg with its greeks at this close."""
    q = acc[Acc.QTY]
    mark = mk[Mkt.MARK_CLOSE, i]
    state[State.EQUITY] = equity
    state[State.CASH] = acc[Acc.CASH]
    state[State.SPOT_QTY] = acc[Acc.SPOT]
    state[State.PERP_QTY] = q
    state[State.PERP_ENTRY] = acc[Acc.ENTRY]
    state[State.PERP_MARGIN] = acc[Acc.MARGIN] * mark if cfg[Cfg.INVERSE] != 0.0 else acc[Acc.MARGIN]
    state[State.MARGIN_RATIO] = margin_ratio_nb(acc, cfg, tiers, mark)
    state[State.LIQ_PRICE] = acc[Acc.LIQ]
    state[State.CLOSE] = mk[Mkt.CLOSE, i]
    state[State.MARK] = mark
    state[State.INDEX] = mk[Mkt.INDEX_CLOSE, i]
    state[State.PEAK_EQUITY] = peak
    state[State.CAPITAL] = cfg[Cfg.CAPITAL]
    state[State.LIQUIDATIONS] = acc[Acc.LIQS]
    state[State.OPTION_VALUE] = opt_value
    state[State.OPTION_DELTA] = opt_delta
    state[State.IV] = mk[Mkt.IV, i]
    state[State.TIME_S] = close_time_s[i]
    state[State.LAST_FUNDING] = acc[Acc.LAST_FUNDING]
    state[State.OPEN_LEGS] = n_open
    state[State.NEXT_EXPIRY_S] = next_exp if next_exp < np.inf else np.nan
    state[State.LEVERAGE] = acc[Acc.LEV]
    notional = abs(q) * (acc[Acc.ENTRY] if cfg[Cfg.INVERSE] != 0.0 else mark)  # inverse tiers: BTC notional
    state[State.MAX_LEVERAGE] = max_leverage_nb(tiers, notional)
    state[State.ADL_SCORE] = adl_score_nb(acc, cfg, tiers, mark)
    state[State.ADL_BARS_AGO] = i - acc[Acc.ADL_BAR]
    state[State.ADL_QTY] = acc[Acc.ADL_QTY]
    for k in range(MAX_LEGS):  # each open option leg: contract, size and greeks at this close
        b = State.LEGS + k * StateLeg.N
        lq = legs[k, Leg.QTY]
        state[b + StateLeg.QTY] = lq
        if lq == 0.0:
            if state[b + StateLeg.KIND] == state[b + StateLeg.KIND]:  # a leg closed since: forget it
                state[b:b + StateLeg.N] = np.nan
                state[b + StateLeg.QTY] = 0.0
            continue
        kind = legs[k, Leg.KIND]
        _, delta, gamma, vega, theta, _, _ = option_mark_nb(ocfg, kind > 0.0, mk[Mkt.INDEX_CLOSE, i],
                                                            legs[k, Leg.STRIKE], close_time_s[i],
                                                            legs[k, Leg.EXPIRY_S], mk[Mkt.IV, i], mk[Mkt.STRESS, i])
        state[b + StateLeg.KIND] = kind
        state[b + StateLeg.STRIKE] = legs[k, Leg.STRIKE]
        state[b + StateLeg.EXPIRY_S] = legs[k, Leg.EXPIRY_S]
        state[b + StateLeg.DELTA] = delta
        state[b + StateLeg.GAMMA] = gamma
        state[b + StateLeg.VEGA] = vega
        state[b + StateLeg.THETA] = theta
