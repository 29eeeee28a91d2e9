"""``hedgelab calc reverse``: the adverse move that liquidates one position (reverse stress, one factor)."""
import json
import math

import click

from hedgelab.cli import calc
from hedgelab.core.errors import UserError


@calc.command("reverse")
@click.option("--venue", default="binance", show_default=True, help="binance | bybit | hyperliquid | deribit.")
@click.option("--side", type=click.Choice(["long", "short"]), required=True)
@click.option("--entry", type=float, required=True, help="Entry price (USD).")
@click.option("--qty", type=float, required=True, help="Position size in the base coin (BTC).")
@click.option("--leverage", type=float, default=None, help="Isolated margin = entry x qty / leverage.")
@click.option("--wallet", type=float, default=None, help="Or the isolated margin / cross wallet (USD).")
@click.option("--symbol", default="BTC", show_default=True)
@click.option("--at", "at", default=None,
              help="Date of the venue's tier table. Default: the table valid today; when none is, the newest "
                   "table. The answer names the table it used.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (key drop: a decimal of the entry).")
def reverse(venue, side, entry, qty, leverage, wallet, symbol, at, as_json):
    """Smallest move from --entry (down for a long, up for a short) that reaches the liquidation price."""
    from hedgelab.cli.calc_liq import check_position, table_text, tier_table
    from hedgelab.stress.reverse import position_drop
    for option, value in {"entry": entry, "qty": qty, "wallet": wallet, "leverage": leverage}.items():
        if value is not None and not math.isfinite(value):
            raise UserError(f"--{option} {value}: must be a finite number")
    check_position(entry, qty, wallet, leverage)
    at, table = tier_table(venue, symbol, at)
    res = position_drop(venue, side=side, entry=entry, qty=qty, wallet=wallet, leverage=leverage, at=at,
                        symbol=symbol)
    if as_json:
        click.echo(json.dumps({**res, "tier_table": table}))
        return
    if res["drop"] is None:
        click.echo("drop: none (the position cannot be liquidated)")
    else:
        click.echo(f"drop: {res['drop']:.6f} ({res['direction']}, to {res['liquidation_price']:,.2f} USD)")
    if table is not None:
        click.echo(f"tier table: {table_text(venue, table)}")
