"""``hedgelab calc option``: Black-76 price and greeks of one European BTC option."""
import json
import math

import click
import pandas as pd

from hedgelab.cli import calc
from hedgelab.core.errors import UserError


def _time(value: str, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UserError(f"--{name}: cannot read {value!r} as an ISO-8601 time (e.g. 2025-10-31T08:00Z)") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


MAX_DAYS = 3650.0   # 10 years: finite with any --basis in [-5, 5] (exp(50) x 1e9 USD)


def _price_range(name: str, value: float) -> None:
    """A USD price within the imported-data bounds [MIN_PRICE, MAX_PRICE] (hedgelab.data.validate)."""
    from hedgelab.data.validate import MAX_PRICE, MIN_PRICE
    if not MIN_PRICE <= value <= MAX_PRICE:
        raise UserError(f"{name}: {value:g} USD is outside [{MIN_PRICE:g}, {MAX_PRICE:g}] (the plausible prices of "
                        "imported data)")


def option_quote(kind: str, strike: float, iv: float, *, forward=None, spot=None, basis=0.0,
                 days=None, expiry=None, at=None, r=0.0) -> dict:
    """Price and greeks as the calculator prints them (see ``calc option --help`` for units)."""
    from hedgelab.engine.nb.black76 import black76_greeks_nb, black76_price_nb
    from hedgelab.engine.options import check_iv, check_positive

    check_positive("--strike", strike)
    _price_range("--strike", strike)
    check_iv(iv, "--iv")
    from hedgelab.data.validate import MIN_IV
    if iv < MIN_IV:
        raise UserError(f"--iv: {iv:g} is below {MIN_IV:g} ({MIN_IV:.0%}) as a decimal; no crypto option trades "
                        "there (the imported-data bound, hedgelab.data.validate.MIN_IV)")
    if days is not None and (expiry is not None or at is not None):
        raise UserError("--days: give either --days or --expiry with --at, not both")
    if days is None:
        if expiry is None or at is None:
            raise UserError("--days: missing; give --days, or --expiry together with --at")
        t_exp, t_at = _time(expiry, "expiry"), _time(at, "at")
        if t_exp <= t_at:
            raise UserError(f"--expiry: {t_exp.isoformat()} is not after --at {t_at.isoformat()}")
        days = (t_exp - t_at).total_seconds() / 86400.0
    check_positive("--days", days)
    if days > MAX_DAYS:
        raise UserError(f"--days: {days:g} is more than {MAX_DAYS:g} days (10 years); listed BTC options expire "
                        "within about 1.5 years")
    if (forward is None) == (spot is None):
        raise UserError("--forward: give exactly one of --forward or --spot (with --basis)")
    if not math.isfinite(basis) or abs(basis) > 5.0:
        raise UserError(f"--basis: {basis:g} is not an annualized decimal (e.g. 0.05 for 5%/year)")
    if not math.isfinite(r) or abs(r) > 1.0:
        raise UserError(f"--r: {r:g} is not an annual decimal rate (e.g. 0.04 for 4%/year)")
    t_years = days / 365.0
    if forward is None:
        _price_range("--spot", check_positive("--spot", spot))
        forward = spot * math.exp(basis * t_years)   # at most 1e9 x e^(5 x 10): finite
    check_positive("--forward", forward)
    _price_range("--forward", forward)
    disc = math.exp(-r * t_years)
    is_call = kind == "call"
    price = black76_price_nb(forward, strike, t_years, iv, is_call, disc)
    delta, gamma, vega, theta = black76_greeks_nb(forward, strike, t_years, iv, is_call, disc)
    return {"type": kind, "strike": strike, "forward": forward, "days": days, "iv": iv,
            "price_usd": price, "price_btc": price / forward, "delta": delta, "gamma": gamma,
            "vega": vega, "theta": theta}


@calc.command("option")
@click.option("--type", "kind", type=click.Choice(["put", "call"]), required=True, help="Option type.")
@click.option("--strike", type=float, required=True, help="Strike in USD.")
@click.option("--forward", type=float, default=None, help="Forward price in USD (Black-76 underlying).")
@click.option("--spot", type=float, default=None, help="Spot/index in USD; forward = spot * exp(basis * T).")
@click.option("--basis", type=float, default=0.0, show_default=True, help="Annualized basis (decimal), with --spot.")
@click.option("--days", type=float, default=None, help="Calendar days to expiry (365-day year), at most 3650.")
@click.option("--expiry", default=None, help="Expiry time, ISO-8601 UTC (with --at).")
@click.option("--at", default=None, help="Valuation time, ISO-8601 UTC (with --expiry).")
@click.option("--iv", type=float, required=True, help="Implied vol as a decimal (0.6 for 60%), at least 0.05.")
@click.option("--r", "rate", type=float, default=0.0, show_default=True, help="Discount rate (decimal/year).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def option(kind, strike, forward, spot, basis, days, expiry, at, iv, rate, as_json):
    """Black-76 price and greeks of a European BTC option.

    price_usd per 1 BTC; price_btc = price_usd / forward (Deribit inverse quote); delta = forward
    delta of the USD price; gamma per USD; vega in USD per 0.01 vol; theta in USD per calendar day.
    """
    q = option_quote(kind, strike, iv, forward=forward, spot=spot, basis=basis, days=days,
                     expiry=expiry, at=at, r=rate)
    if as_json:
        click.echo(json.dumps(q))
        return
    click.echo(f"{kind} K={strike:,.2f} F={q['forward']:,.2f} T={q['days']:.4g}d iv={iv:.4g}")
    click.echo(f"price  {q['price_usd']:,.4f} USD  {q['price_btc']:.6f} BTC")
    click.echo(f"delta  {q['delta']:.6f}")
    click.echo(f"gamma  {q['gamma']:.6e} per USD")
    click.echo(f"vega   {q['vega']:,.4f} USD per 0.01 vol")
    click.echo(f"theta  {q['theta']:,.4f} USD per day")
