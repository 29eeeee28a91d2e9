"""A good plugin for the golden runs: half the capital in spot, bought at the first bar."""
import numpy as np

from hedgelab.strategies import Param, Strategy


class HalfHold(Strategy):
    """Half the capital in spot, bought at the first bar."""

    name = "half-hold"
    share = Param(0.5, low=0.0, high=1.0, doc="spot share")

    def targets(self, market, params):
        out = np.full((len(market.close), 2), np.nan)
        out[0] = (params["share"], 0.0)
        return out
