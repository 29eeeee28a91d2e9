"""delever: dynamic deleveraging. A perp long at moderate leverage on part of the equity, the rest in
cash, cut to low leverage under stress and re-levered only after calm has lasted.

Sizing. ``margin_fraction`` of equity is the isolated margin; the rest is a cash reserve that refills
the margin whenever margin + unrealised PnL falls more than 10 % short of notional / leverage (the
engine moves margin only on leverage changes, so losses would otherwise eat it). The exposure
(notional / equity) is margin_fraction x leverage: 1.5x at ``high_leverage`` and 0.6x at
``low_leverage`` with the defaults. Within a regime the position is resized to that exposure when
it drifts more than ``drift`` from it.

Regime (kept in the hook's memory, so it never has to be guessed from the position):
- **stress** cuts to low leverage: margin ratio > ``max_margin_ratio``, or drawdown > ``max_drawdown``,
  or realised volatility over ``vol_hours`` (annualised, known at the bar close) > ``max_vol``. The
  drawdown is measured from the highest equity since the last cut (a cut restarts it), so it asks
  "has it lost more since I last cut?" rather than holding the position low for good after one
  crash.
- **calm** is all of: margin ratio < max_margin_ratio / 2, drawdown < max_drawdown / 2, volatility
  known and < ``calm_vol``. It re-levers after ``calm_hours`` of uninterrupted calm. The first
  position opens in the low regime (the volatility is not known yet).
After a liquidation it stays flat.

Why these defaults (not fitted to any crash): 1.5x exposure is a moderate leveraged long whose
isolated margin, at 5x, sits about 19 % below the entry and is refilled every bar from a reserve
three times its size, so only a single-bar fall of that size liquidates it; cutting to 0.6x keeps
it long but smaller than spot. BTC's realised volatility is around 35-50 % a year in ordinary
weeks: 80 % over a day is stress, below 50 % is calm. Volatility comes in clusters that last days
(one quiet day inside a sell-off is common), so it re-levers after three days of calm, not one. A 10 % equity drawdown at 1.5x is a fall of
about 7 %; half of it (5 %) is calm. The margin-ratio rule (30 %) is a backstop for a reserve that
has run out.

Memory: MEM0 regime (1 high, 0 low; NaN before the first decision), MEM1 time calm began (NaN when
not calm), MEM2 equity peak since the last cut.

Parameters (defaults): high_leverage 5, low_leverage 2, margin_fraction 0.3, max_margin_ratio 0.3,
max_drawdown 0.1, max_vol 0.8, calm_vol 0.5, calm_hours 72, drift 0.25, vol_hours 24 (a feature
parameter: sweepable, each window gets its own features).
"""
import math

from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.features import realized_vol
from hedgelab.strategies.hooks import topup_nb

HIGH, LOW, MARGIN_FRACTION, MAX_MR, MAX_DD, MAX_VOL, CALM_VOL, CALM_HOURS, DRIFT, VOL_HOURS = range(10)
REGIME, CALM_SINCE, PEAK = State.MEM0, State.MEM1, State.MEM2


@njit(HOOK_SIG, cache=True, nogil=True)
def delever_nb(i, state, params, features, intent):
    equity, perp, mark, now = state[State.EQUITY], state[State.PERP_QTY], state[State.MARK], state[State.TIME_S]
    if state[State.LIQUIDATIONS] > 0.0 or equity <= 0.0:
        return
    peak = state[PEAK]
    if math.isnan(peak) or equity > peak:
        peak = equity
    mr, vol, dd = state[State.MARGIN_RATIO], features[i, 0], 1.0 - equity / peak
    stressed = mr > params[MAX_MR] or dd > params[MAX_DD] or vol > params[MAX_VOL]
    calm = mr < 0.5 * params[MAX_MR] and dd < 0.5 * params[MAX_DD] and vol < params[CALM_VOL]
    calm_since = state[CALM_SINCE]
    if not calm:
        calm_since = math.nan
    elif math.isnan(calm_since):
        calm_since = now
    was_high = state[REGIME] == 1.0  # NaN (first decision) starts low
    high = was_high
    if high and stressed:
        high = False
        peak = equity  # the drawdown rule now asks about losses at the low leverage
    elif not high and calm and now - calm_since >= params[CALM_HOURS] * 3600.0:
        high = True
    state[REGIME] = 1.0 if high else 0.0
    state[CALM_SINCE] = calm_since
    state[PEAK] = peak
    lev = params[HIGH] if high else params[LOW]
    target = equity * params[MARGIN_FRACTION] * lev / mark
    if perp == 0.0 or high != was_high or abs(perp / target - 1.0) > params[DRIFT]:
        intent[Intent.TARGET_PERP] = target
        intent[Intent.LEVERAGE] = lev
    else:  # losses ate into the posted margin: refill to notional / leverage from the reserve
        topup = topup_nb(state, lev, 1.0)
        if topup > 0.1 * abs(perp) * mark / lev:
            intent[Intent.MARGIN_TOPUP] = topup


class Delever(Strategy):
    """Dynamic deleveraging: 1.5x long (5x on 30 % of equity), cut to 0.6x on stress, re-levered after calm."""

    name = "delever"
    label_params = ("high_leverage", "low_leverage")
    constraints = (("low_leverage", "<=", "high_leverage"), ("calm_vol", "<=", "max_vol"))
    high_leverage = Param(5.0, low=1.0, high=125.0, grid=(3.0, 5.0, 10.0), doc="leverage when calm")
    low_leverage = Param(2.0, low=1.0, high=125.0, grid=(1.0, 2.0, 3.0), doc="leverage under stress")
    margin_fraction = Param(0.3, low=0.01, high=1.0, grid=(0.2, 0.3, 0.5),
                            doc="share of equity posted as margin (the rest is the top-up reserve)")
    max_margin_ratio = Param(0.3, low=0.0, high=1.0, doc="cut when the margin ratio exceeds this")
    max_drawdown = Param(0.1, low=0.0, high=1.0, doc="cut when equity is this far below its peak since the last cut")
    max_vol = Param(0.8, low=0.0, doc="cut when annualised realised vol exceeds this")
    calm_vol = Param(0.5, low=0.0, doc="calm only below this volatility")
    calm_hours = Param(72.0, low=0.0, grid=(24.0, 72.0, 168.0), doc="re-lever after this long calm")
    drift = Param(0.25, low=0.0, doc="resize when the exposure is off its target by this fraction")
    vol_hours = Param(24.0, low=1.0, high=24.0 * 30, grid=(12.0, 24.0, 72.0), feature=True,
                      doc="realised-volatility window (hours)")
    decide_nb = staticmethod(delever_nb)

    def prepare(self, market):
        window = max(2, int(round(self.vol_hours * 3600 / market.bar_seconds)))
        return realized_vol(market.close, window, market.bar_seconds)[:, None]
