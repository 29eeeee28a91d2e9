"""A plugin that loads but fails when it sees the market: its run is a failure, the others still run."""
from hedgelab.strategies import Strategy


class Boom(Strategy):
    """Fails in targets()."""

    name = "boom"

    def targets(self, market, params):
        raise ValueError("boom at prepare")
