"""hold: unhedged spot BTC, the baseline every hedge is compared against.

Buys ``fraction`` of the capital in spot BTC at the first bar's close and never trades again
(no numba: it is a ``targets()`` strategy run by the generic ``targets_nb`` hook).

Parameters (defaults): fraction 1.0 (share of equity put into spot at the start).
"""
import numpy as np

from hedgelab.strategies.base import Param, Strategy


class Hold(Strategy):
    """Unhedged spot BTC bought at the first bar: the baseline."""

    name = "hold"
    fraction = Param(1.0, low=0.0, high=1.0, doc="share of capital bought as spot at the first bar")

    def targets(self, market, params):
        out = np.full((len(market.close), 2), np.nan)
        out[0] = (params["fraction"], 0.0)
        return out
