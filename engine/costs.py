"""Trading costs of market orders: fees, half spread and size-dependent impact."""
import math
from dataclasses import dataclass

from hedgelab.errors import UserError


@dataclass(frozen=True)
class Costs:
    """What a market order costs on top of the reference price.

    Fill price = reference * (1 +/- slip), slip = half_spread + impact * (|qty| / bar volume) ** impact_exponent
    (``engine/nb/fills.py``). The default impact (1 % at a whole bar's volume, square-root law) is
    meant for hourly bars; with one-minute bars the same order is a bigger share of the bar.
    Fees are taker fees on the fill notional; ``None`` takes the venue's rate.
    """
    perp_fee: float | None = None      # None: the venue's taker fee
    spot_fee: float | None = None      # None: the venue's spot taker fee
    half_spread: float = 0.00005       # 0.5 bp
    impact: float = 0.01
    impact_exponent: float = 0.5

    @classmethod
    def zero(cls) -> "Costs":
        """No fees and no slippage (for comparisons with frictionless references)."""
        return cls(perp_fee=0.0, spot_fee=0.0, half_spread=0.0, impact=0.0)

    def validate(self) -> "Costs":
        for name in ("perp_fee", "spot_fee", "half_spread", "impact", "impact_exponent"):
            v = getattr(self, name)
            if v is None:
                continue
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise UserError(f"costs.{name} must be a finite number >= 0, got {v!r}")
        for name in ("perp_fee", "spot_fee", "half_spread"):
            v = getattr(self, name)
            if v is not None and v >= 0.1:
                raise UserError(f"costs.{name} is a decimal rate (0.0005 = 5 bp), got {v!r}")
        return self
