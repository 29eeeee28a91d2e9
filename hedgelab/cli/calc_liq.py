"""``hedgelab calc liq``: a position's liquidation price with the kernel's own margin code."""
import datetime as dt
import json
import math

import click

from hedgelab.cli import calc
from hedgelab.core.errors import UserError


@calc.command("liq")
@click.option("--venue", default="binance", show_default=True,
              help="binance | bybit | hyperliquid | deribit, or a path to a venue .toml file.")
@click.option("--side", type=click.Choice(["long", "short"]), required=True)
@click.option("--entry", type=float, required=True, help="Entry price (USD).")
@click.option("--qty", type=float, required=True, help="Position size in the base coin (BTC).")
@click.option("--wallet", type=float, default=None,
              help="Isolated margin or cross wallet balance (USDT; BTC for inverse venues).")
@click.option("--symbol", default="BTC", show_default=True,
              help="Picks the venue's tier table: BTC, BTCUSDT, BTC/USDT:USDT, BTC-PERPETUAL (ETH, SOL alike).")
@click.option("--mmr", type=float, default=None, help="Maintenance margin rate (decimal); replaces the tier lookup.")
@click.option("--maint-amount", type=float, default=None, help="Maintenance amount (cum / deduction) override.")
@click.option("--other-maint", type=float, default=0.0, show_default=True,
              help="Maintenance margin of the account's other positions (cross).")
@click.option("--other-upnl", type=float, default=0.0, show_default=True,
              help="Unrealized PnL of the account's other positions (cross).")
@click.option("--max-leverage", type=float, default=None, help="For venues whose MMR is 1/(2 x max leverage).")
@click.option("--leverage", type=float, default=None, help="Instead of --wallet: isolated margin = entry x qty / leverage.")
@click.option("--at", "at", default=None,
              help="Date of the venue's tier table (default: today, else the newest table, with a note).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def liq(venue, side, entry, qty, wallet, symbol, mmr, maint_amount, other_maint, other_upnl, max_leverage,
        leverage, at, as_json):
    """Liquidation price of one position (null when it cannot be liquidated)."""
    from hedgelab.engine.liquidation import liquidation_price

    numbers = {"entry": entry, "qty": qty, "wallet": wallet, "mmr": mmr, "maint-amount": maint_amount,
               "other-maint": other_maint, "other-upnl": other_upnl, "max-leverage": max_leverage,
               "leverage": leverage}
    for option, value in numbers.items():  # a NaN compares false everywhere: "cannot be liquidated"
        if value is not None and not math.isfinite(value):
            raise UserError(f"--{option} {value}: must be a finite number")
    if not 0 < entry <= 1e9 or abs(qty) * entry > 1e12:  # hedgelab.data.validate.MAX_PRICE, _schema.MAX_CAPITAL
        raise UserError(f"--entry {entry:g} x --qty {qty:g}: entry must be in (0, 1e9] USD and the notional "
                        "at most 1e12 USD")
    if wallet is not None and not wallet > 0:
        # A position with no margin (or a negative one) is past its liquidation before it starts;
        # engine.liquidation_price would still print a price above a long's entry.
        raise UserError(f"--wallet must be a positive amount (isolated margin or cross wallet), got {wallet:g}")
    if at is None:
        at = _default_at(venue, symbol)
    res = liquidation_price(venue, side=side, entry=entry, qty=qty, wallet=wallet, leverage=leverage,
                            symbol=symbol, mmr=mmr, maint_amount=maint_amount, other_maint=other_maint,
                            other_upnl=other_upnl, max_leverage=max_leverage, at=at)
    for key in ("liquidation_price", "mmr", "maint_amount", "wallet"):  # a non-finite answer is a failure
        value = getattr(res, key)
        if value is not None and not math.isfinite(value):
            raise UserError(f"{key} comes out {value} from these inputs; check --entry, --qty, --wallet, --leverage")
    if as_json:
        click.echo(json.dumps({"liquidation_price": res.liquidation_price, "mmr": res.mmr,
                               "maint_amount": res.maint_amount, "venue": res.venue, "kind": res.kind,
                               "wallet": res.wallet}))
        return
    lp = "none (cannot be liquidated)" if res.liquidation_price is None else f"{res.liquidation_price:.10g}"
    mmr_text = "n/a" if res.mmr is None else f"{res.mmr:g}"
    click.echo(f"liquidation_price: {lp}")
    click.echo(f"mmr: {mmr_text}")


def _default_at(venue, symbol):
    """Today when one of the venue's tables covers it; else the last day of the newest table.

    The venue files carry dated tables that end (Binance's current one at 2026-03-31): after that a
    calculator run without ``--at`` should still answer, with the table it used said on stderr.
    An explicit ``--at`` outside every table stays an error.
    """
    from hedgelab.engine.venues import base_coin, venue_rules

    today = dt.date.today()
    ends = []
    for t in venue_rules(venue).get("tiers", []):
        if str(t.get("symbol", "BTC")).upper() != base_coin(symbol):
            continue
        lo = dt.date.fromisoformat(str(t.get("valid_from", "1970-01-01"))[:10])
        hi = dt.date.fromisoformat(str(t.get("valid_to", "9999-12-31"))[:10])
        if lo <= today <= hi:
            return None                          # load_venue picks today's table itself
        ends.append(hi)
    past = [d for d in ends if d < today]
    if not past:
        return None                              # nothing older to fall back on: load_venue says why
    newest = max(past)
    click.echo(f"note: no {symbol} tier table of {venue} is valid today ({today}); using the newest one, "
               f"valid to {newest} (pass --at to choose)", err=True)
    return newest.isoformat()
