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
              help="Date of the venue's tier table. Default: the table valid today; when none is (the files' "
                   "tables end), the newest table, named in a note on stderr after the answer. The note "
                   "names the table, not today's date, and is never printed with an error.")
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
    check_position(entry, qty, wallet, leverage)
    if other_maint < 0 or other_maint > MAX_AMOUNT:
        # the other positions' maintenance margin is an amount the account owes, never a credit: a
        # negative one raised a long's balance until it "cannot be liquidated"
        raise UserError(f"--other-maint {other_maint:g}: must be >= 0 and at most {MAX_AMOUNT:g} (the maintenance "
                        "margin of the account's other positions)")
    if abs(other_upnl) > MAX_AMOUNT:
        raise UserError(f"--other-upnl {other_upnl:g}: must be within +-{MAX_AMOUNT:g}")
    if max_leverage is not None and not 1 <= max_leverage <= 1000:   # the venue schema's max_leverage range
        raise UserError(f"--max-leverage {max_leverage:g}: must be in [1, 1000]")
    note = None
    if at is None:
        at, note = _default_at(venue, symbol)
    if maint_amount is not None:
        _check_maint_amount(maint_amount, venue, at, symbol, qty, entry, mmr, max_leverage)
    res = liquidation_price(venue, side=side, entry=entry, qty=qty, wallet=wallet, leverage=leverage,
                            symbol=symbol, mmr=mmr, maint_amount=maint_amount, other_maint=other_maint,
                            other_upnl=other_upnl, max_leverage=max_leverage, at=at)
    for key in ("liquidation_price", "mmr", "maint_amount", "wallet"):  # a non-finite answer is a failure
        value = getattr(res, key)
        if value is not None and not math.isfinite(value):
            raise UserError(f"{key} comes out {value} from these inputs; check --entry, --qty, --wallet, --leverage")
    if note:   # after the answer: an error is never preceded by it
        click.echo(note, err=True)
    if as_json:
        click.echo(json.dumps({"liquidation_price": res.liquidation_price, "mmr": res.mmr,
                               "maint_amount": res.maint_amount, "venue": res.venue, "kind": res.kind,
                               "wallet": res.wallet}))
        return
    lp = "none (cannot be liquidated)" if res.liquidation_price is None else f"{res.liquidation_price:.10g}"
    mmr_text = "n/a" if res.mmr is None else f"{res.mmr:g}"
    click.echo(f"liquidation_price: {lp}")
    click.echo(f"mmr: {mmr_text}")


MAX_AMOUNT = 1e12   # USD: the largest capital any hedgelab input takes (the config schema's capital bound)


def check_position(entry, qty, wallet, leverage) -> None:
    """The position's own numbers: finite (checked by the caller), in range, one line naming the option."""
    if not 0 < entry <= 1e9 or not qty > 0 or qty * entry > MAX_AMOUNT:  # data.validate.MAX_PRICE; MAX_AMOUNT
        raise UserError(f"--entry {entry:g} x --qty {qty:g}: entry must be in (0, 1e9] USD, qty positive and the "
                        f"notional at most {MAX_AMOUNT:g} USD")
    if wallet is not None and not 0 < wallet <= MAX_AMOUNT:
        # A position with no margin (or a negative one) is past its liquidation before it starts;
        # engine.liquidation_price would still print a price above a long's entry.
        raise UserError(f"--wallet must be a positive amount (isolated margin or cross wallet) of at most "
                        f"{MAX_AMOUNT:g}, got {wallet:g}")
    if leverage is not None and not 0 < leverage <= 1000:   # the venue schema's max_leverage range
        raise UserError(f"--leverage {leverage:g}: must be in (0, 1000]")


def _check_maint_amount(amount, venue, at, symbol, qty, entry, mmr, max_leverage) -> None:
    """The maintenance amount (cum, the deduction) is >= 0 and below the maintenance margin it is
    deducted from at entry: by the tier recurrence cum_n = cum_{n-1} + floor_n x (MMR_n - MMR_{n-1})
    it is never negative and never above floor_n x MMR_n. -1e9 put a long's liquidation price at 1e9."""
    if amount < 0:
        raise UserError(f"--maint-amount {amount:g}: must be >= 0 (the deduction of the maintenance margin: "
                        "notional x mmr - maint-amount; a tier table's is never negative)")
    from hedgelab.engine.nb.margin import tier_index_nb
    from hedgelab.engine.nb.records import Tier
    from hedgelab.engine.venues import load_venue
    try:
        v = load_venue(venue, at=at, symbol=symbol)
    except UserError:
        return       # the calculation names the problem with the venue itself
    notional = qty if v.inverse else qty * entry
    unit = "BTC" if v.inverse else "USD"
    if mmr is not None:
        rate = mmr
    elif max_leverage is not None:
        rate = 1.0 / (2.0 * max_leverage)
    else:
        rate = float(v.tiers[tier_index_nb(v.tiers, notional), Tier.MMR])
    if amount >= notional * rate:
        raise UserError(f"--maint-amount {amount:g}: must be below the maintenance margin it is deducted from "
                        f"(notional {notional:g} {unit} x mmr {rate:g} = {notional * rate:g} {unit} at entry)")


def _default_at(venue, symbol):
    """(date, note): (None, None) when one of the venue's tables covers today (load_venue picks it);
    else the last day of the newest table, with a note to print after the answer.

    The venue files carry dated tables that end (Binance's current one at 2026-03-31): after that a
    calculator run without ``--at`` should still answer, with the table it used said on stderr. The
    note names the table, not today's date, so the same inputs print the same text on any later day.
    An explicit ``--at`` outside every table stays an error.
    """
    from hedgelab.engine.venues import as_date, base_coin, venue_rules

    today = dt.date.today()
    tables = []
    for t in venue_rules(venue).get("tiers", []):
        if str(t.get("symbol", "BTC")).upper() != base_coin(symbol):
            continue
        lo = as_date(t.get("valid_from", "1970-01-01"), "valid_from")
        hi = as_date(t.get("valid_to", "9999-12-31"), "valid_to")
        if lo <= today <= hi:
            return None, None                    # load_venue picks today's table itself
        tables.append((hi, lo))
    past = [(hi, lo) for hi, lo in tables if hi < today]
    if not past:
        return None, None                        # nothing older to fall back on: load_venue says why
    hi, lo = max(past)
    return hi.isoformat(), (f"note: {symbol} tier table of {venue}: the newest one, valid {lo} to {hi}, was used "
                            "(no table covers today; pass --at to choose)")
