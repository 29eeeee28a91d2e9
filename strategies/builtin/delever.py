"""delever: a leveraged long that cuts leverage under stress and re-levers when calm returns.

Opens a perp long with ``margin_fraction`` of equity as isolated margin at ``high_leverage``. It cuts
to ``low_leverage`` when any of: margin ratio > ``max_margin_ratio``, drawdown from the equity peak >
``max_drawdown``, or realised volatility over ``vol_hours`` (annualised, known at the bar close) > ``max_vol``.
It re-levers when all are calm: margin ratio < max_margin_ratio / 2, drawdown < max_drawdown / 2
and volatility < ``calm_vol`` (half thresholds, so that it does not flip back and forth). The
regime is read from the position: high when both the leverage on the intended margin and the
leverage of the isolated margin posted (entry notional / margin) exceed sqrt(high x low), so a low-
leverage position whose losses raise its leverage is still in the low regime and needs calm to
re-lever. Within a
regime it resizes when the leverage drifts more than ``drift``, and refills the isolated margin from
cash when margin + unrealised PnL is more than 10 % short of notional / leverage (losses eat the
posted margin; the engine re-sizes the margin only when the leverage changes). After a liquidation
it stays flat.

Parameters (defaults): high_leverage 20, low_leverage 5, max_margin_ratio 0.3, max_drawdown 0.15,
max_vol 0.8, calm_vol 0.5, margin_fraction 0.9, drift 0.25, vol_hours 24 (a feature parameter:
sweepable, each window gets its own features).
"""
import math

from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.features import realized_vol
from hedgelab.strategies.hooks import topup_nb

HIGH, LOW, MAX_MR, MAX_DD, MAX_VOL, CALM_VOL, MARGIN_FRACTION, DRIFT = range(8)


@njit(HOOK_SIG, cache=True, nogil=True)
def delever_nb(i, state, params, features, intent):
    equity, perp, mark = state[State.EQUITY], state[State.PERP_QTY], state[State.MARK]
    if state[State.LIQUIDATIONS] > 0.0 or equity <= 0.0:
        return
    mr, vol = state[State.MARGIN_RATIO], features[i, 0]
    dd = 1.0 - equity / state[State.PEAK_EQUITY]
    stressed = mr > params[MAX_MR] or dd > params[MAX_DD] or vol > params[MAX_VOL]
    calm = mr < 0.5 * params[MAX_MR] and dd < 0.5 * params[MAX_DD] and not vol >= params[CALM_VOL]
    frac = params[MARGIN_FRACTION]
    lev_now = perp * mark / (equity * frac)  # leverage on the intended margin
    # The hook has no memory: the regime is read from the position. Losses at 5x push lev_now up
    # past the midpoint, so the isolated margin posted (moved only by leverage changes, cuts and
    # top-ups, not by price) must say "high" too; otherwise a losing 5x position would be taken for
    # the 20x regime and re-levered without the calm test. Cross margin posts none: lev_now alone.
    mid = math.sqrt(params[HIGH] * params[LOW])
    margin = state[State.PERP_MARGIN]
    posted_high = margin <= 0.0 or abs(perp) * state[State.PERP_ENTRY] / margin > mid
    high_now = lev_now > mid and posted_high
    if perp == 0.0 or high_now:
        lev = params[LOW] if stressed else params[HIGH]
    else:
        lev = params[HIGH] if calm else params[LOW]
    if perp == 0.0 or abs(lev_now / lev - 1.0) > params[DRIFT]:
        intent[Intent.TARGET_PERP] = equity * frac * lev / mark
        intent[Intent.LEVERAGE] = lev
    else:  # losses ate into the posted margin: refill to notional / leverage
        topup = topup_nb(state, lev, 1.0)
        if topup > 0.1 * abs(perp) * mark / lev:
            intent[Intent.MARGIN_TOPUP] = topup


class Delever(Strategy):
    """Leveraged long that cuts 20x to 5x on margin, drawdown or volatility stress."""

    name = "delever"
    label_params = ("high_leverage", "low_leverage")
    constraints = (("low_leverage", "<=", "high_leverage"), ("calm_vol", "<=", "max_vol"))
    high_leverage = Param(20.0, low=1.0, high=125.0, grid=(10.0, 20.0, 30.0), doc="leverage when calm")
    low_leverage = Param(5.0, low=1.0, high=125.0, grid=(2.0, 5.0), doc="leverage under stress")
    max_margin_ratio = Param(0.3, low=0.0, high=1.0, doc="cut when the margin ratio exceeds this")
    max_drawdown = Param(0.15, low=0.0, high=1.0, doc="cut when equity is this far below its peak")
    max_vol = Param(0.8, low=0.0, doc="cut when annualised realised vol exceeds this")
    calm_vol = Param(0.5, low=0.0, doc="re-lever only below this volatility")
    margin_fraction = Param(0.9, low=0.01, high=1.0, doc="share of equity posted as margin")
    drift = Param(0.25, low=0.0, doc="resize when leverage is off its target by this fraction")
    vol_hours = Param(24.0, low=1.0, high=24.0 * 30, grid=(12.0, 24.0, 72.0), feature=True,
                      doc="realised-volatility window (hours)")
    decide_nb = staticmethod(delever_nb)

    def prepare(self, market):
        window = max(2, int(round(self.vol_hours * 3600 / market.bar_seconds)))
        return realized_vol(market.close, window, market.bar_seconds)[:, None]
