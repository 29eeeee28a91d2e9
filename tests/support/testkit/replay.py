"""The identity property tests' position replay and their order-stream hook (shared by two test modules)."""
import numpy as np
from numba import njit

from hedgelab.engine.hooks import replay_nb
from hedgelab.engine.nb.records import EventKind, Instrument
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.types import HOOK_SIG, Intent


def replay_positions(records, n):
    """Position and average entry at each bar's end, from the perp events alone."""
    qty = np.zeros(n)
    entry = np.zeros(n)
    q, ep, k = 0.0, 0.0, 0
    perp_moves = (EventKind.FILL, EventKind.STOP, EventKind.LIQUIDATION)
    for i in range(n):
        while k < len(records) and records["bar"][k] == i:
            r = records[k]
            k += 1
            if r["instrument"] != Instrument.PERP or r["kind"] not in perp_moves:
                continue
            dq, px = r["qty"], r["price"]
            if q != 0 and np.sign(dq) != np.sign(q):
                red = min(abs(dq), abs(q))
                q += np.sign(dq) * red
                dq -= np.sign(dq) * red
                if abs(q) <= 1e-12:
                    q, ep = 0.0, 0.0
            if abs(dq) > 1e-15:
                ep = px if q == 0 else (abs(q) * ep + abs(dq) * px) / (abs(q) + abs(dq))
                q += dq
        qty[i], entry[i] = q, ep
    return qty, entry


@njit(HOOK_SIG, cache=True)
def replay_with_options_nb(i, state, params, features, intent):
    """features[i] = perp target, spot target, option action, type, strike fraction, tenor, qty."""
    intent[Intent.TARGET_PERP] = features[i, 0]
    intent[Intent.TARGET_SPOT] = features[i, 1]
    intent[Intent.OPT1_ACTION] = features[i, 2]
    intent[Intent.OPT1_TYPE] = features[i, 3]
    intent[Intent.OPT1_STRIKE] = features[i, 4]
    intent[Intent.OPT1_TENOR_DAYS] = features[i, 5]
    intent[Intent.OPT1_QTY] = features[i, 6]


def one_order(n, perp, leverage):
    """A spec that opens ``perp`` BTC at ``leverage`` at bar 0's close, then holds (engine.hooks.replay_nb)."""
    feats = np.full((n, 3), np.nan)
    feats[0] = [perp, np.nan, leverage]
    reb = np.zeros(n, bool)
    reb[0] = True
    return StrategySpec(replay_nb, np.zeros((1, 1)), feats, reb, ("x",), ("one order",))
