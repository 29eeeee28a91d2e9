"""Trading costs of market orders: fees, half spread and size-dependent impact."""
import math
from dataclasses import dataclass
from typing import Any

from hedgelab.core.errors import UserError


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
        for name in COST_KEYS:
            v = getattr(self, name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise UserError(f"costs.{name} must be a finite number >= 0, got {v!r}")
        for name in ("perp_fee", "spot_fee", "half_spread"):
            v = getattr(self, name)
            if v is not None and v >= 0.1:
                raise UserError(f"costs.{name} is a decimal rate (0.0005 = 5 bp), got {v!r}")
        for name, (_, hi, why) in COST_BOUNDS.items():
            v = getattr(self, name)
            if name not in ("perp_fee", "spot_fee", "half_spread") and v is not None and v > hi:
                raise UserError(f"costs.{name} = {v!r}: must be at most {hi:g} ({why})")
        return self


COST_KEYS = ("perp_fee", "spot_fee", "half_spread", "impact", "impact_exponent")

# key -> (lowest, highest, why the highest): what a [costs] table may say. Fees and the half spread are
# decimal rates below 10 %. The impact is the slippage of an order the size of a whole bar's volume: 1
# (100 %) is already past any market's book; the exponent of the participation is 0.5 (square-root law)
# to 1 (linear) in the literature, so 2 is generous; a huge exponent turns every order smaller than a
# bar into zero slippage and a bigger one into an infinite price.
COST_BOUNDS: dict[str, tuple[float, float, str]] = {
    "perp_fee": (0.0, 0.1, "a decimal rate: 0.0005 = 5 bp"),
    "spot_fee": (0.0, 0.1, "a decimal rate: 0.0005 = 5 bp"),
    "half_spread": (0.0, 0.1, "a decimal rate: 0.00005 = 0.5 bp"),
    "impact": (0.0, 1.0, "the slippage of an order of a whole bar's volume, a decimal: 0.01 = 1 %"),
    "impact_exponent": (0.0, 2.0, "the power of the order's share of the bar's volume: 0.5 square-root law, "
                                  "1 linear"),
}


def read_costs(value: Any, where: str = "costs") -> Costs:
    """Costs from a ``[costs]`` table (dict) or a TOML file holding one (or the keys at its top level).

    Keys: COST_KEYS; a missing key keeps its default (fees: the venue's). Unknown keys and non-numbers
    are one-line UserErrors naming the key.
    """
    if not isinstance(value, dict):
        from pathlib import Path

        from hedgelab.core.reading import read_toml
        path = Path(str(value)).expanduser()
        data = read_toml(path, "costs file")   # regular, UTF-8, <= 1 MB, nesting limited: one line otherwise
        value, where = data.get("costs", data), f"costs file {path}"
        if not isinstance(value, dict):
            raise UserError(f"{where}: [costs] must be a table")
    for key, v in value.items():
        if key not in COST_KEYS:
            raise UserError(f"{where}: unknown key {key!r} (known: {', '.join(COST_KEYS)})")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise UserError(f"{where}: {key} = {v!r} must be a number")
    try:
        return Costs(**{k: float(v) for k, v in value.items()}).validate()
    except UserError as exc:
        if where == "costs":   # a table: the message names costs.KEY already
            raise
        raise UserError(f"{where}: {exc}") from None


def describe_costs(costs: Costs | None, venue_taker: float, venue_spot: float, volume_source: str) -> str:
    """One sentence for the report's assumptions: what a market order cost and which volume drove it."""
    c = costs or Costs()
    perp = venue_taker if c.perp_fee is None else c.perp_fee
    spot = venue_spot if c.spot_fee is None else c.spot_fee
    if c.impact:
        impact = (f"plus impact {c.impact * 100:g}% x (|qty| / bar volume)^{c.impact_exponent:g}, where the bar "
                  f"volume is the dataset's volume column ({volume_source}), used for perp and spot orders alike")
    else:
        impact = "no size-dependent impact"
    return (f"Costs: perp fee {perp * 100:g}%, spot fee {spot * 100:g}% of the fill notional; fills at the bar's "
            f"close +/- half spread {c.half_spread * 1e4:g} bp {impact}.")
