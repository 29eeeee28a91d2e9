"""``hedgelab calc liq``: a position's liquidation price with the kernel's own margin code."""
import datetime as dt
import json
import math
import re

import click

from hedgelab.cli import calc
from hedgelab.core.errors import UserError


@calc.command("liq")
@click.option("--venue", default="binance", show_default=True,
              help="binance | bybit | hyperliquid | deribit, or a path to a venue .toml file.")
@click.option("--side", type=click.Choice(["long", "short"]), default=None, help="One position: long | short.")
@click.option("--entry", type=float, default=None, help="One position: entry price (USD).")
@click.option("--qty", type=float, default=None, help="One position: size in the base coin (BTC).")
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
@click.option("--position", "positions", multiple=True, metavar="SYMBOL:long|short:QTY@ENTRY",
              help="Several positions on one cross wallet (repeat it; needs --cross and --wallet; replaces "
                   "--side/--entry/--qty and the other one-position options).")
@click.option("--mark", "marks", multiple=True, metavar="SYMBOL=PRICE",
              help="With --position: a position's current mark (USD; default its entry). Repeatable.")
@click.option("--cross", is_flag=True, help="With --position: the positions share the --wallet in cross margin.")
@click.option("--at", "at", default=None,
              help="Date of the venue's tier table. Default: the table valid today; when none is (the files' "
                   "tables end), the newest table. The answer names the table it used (a 'tier table' line; "
                   "'tier_table' in JSON). With --position: one date for every coin (the latest day up to today "
                   "with a table for each).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def liq(ctx, venue, side, entry, qty, wallet, symbol, mmr, maint_amount, other_maint, other_upnl, max_leverage,
        leverage, positions, marks, cross, at, as_json):
    """Liquidation price of one position (null when it cannot be liquidated), or of each of several
    positions on one cross wallet, given the others at their marks (--position, repeated).

    \b
    One position:
      hedgelab calc liq --venue binance --side long --entry 100000 --qty 1 --leverage 10 --json
    Several positions, cross margin (Binance: LP_1 = (WB - TMM_1 + UPNL_1 + cum_1 - s_1 Q_1 EP_1)
    / (Q_1 MMR_1 - s_1 Q_1), TMM_1 and UPNL_1 over the other positions, MMR_1 and cum_1 from the
    bracket of the notional at LP_1):
      hedgelab calc liq --venue binance --cross --wallet 20000 --position ETHUSDT:long:10@4000 \\
          --position SOLUSDT:long:200@200 --position BTCUSDT:short:0.5@110000 --mark SOLUSDT=205 --json
    """
    given = {name for name in ctx.params
             if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT}
    if positions:
        single = [f"--{name.replace('_', '-')}" for name in ONE_POSITION_OPTIONS if name in given]
        if single:
            raise UserError(f"--position cannot be mixed with {', '.join(single)} (the one-position form): give "
                            f"every position as --position {POSITION_FORM} with --cross and --wallet")
        missing = [flag for flag, ok in (("--cross", cross), ("--wallet", wallet is not None)) if not ok]
        if missing:
            raise UserError(f"--position needs {' and '.join(missing)} (the positions share one cross wallet: "
                            "--cross --wallet USD)")
        _cross(venue, wallet, positions, marks, at, as_json)
        return
    for flag, ok in (("--mark", not marks), ("--cross", not cross)):
        if not ok:
            raise UserError(f"{flag} goes with --position (several positions on one cross wallet); one position's "
                            "cross margin takes --other-maint and --other-upnl")
    for name, value in (("side", side), ("entry", entry), ("qty", qty)):
        if value is None:
            raise click.UsageError(f"Missing option '--{name}' (or give --position for several positions).", ctx)
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
    at, table = tier_table(venue, symbol, at)
    if maint_amount is not None:
        _check_maint_amount(maint_amount, venue, at, symbol, qty, entry, mmr, max_leverage)
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
                               "wallet": res.wallet, "tier_table": table}))
        return
    lp = "none (cannot be liquidated)" if res.liquidation_price is None else f"{res.liquidation_price:.10g}"
    mmr_text = "n/a" if res.mmr is None else f"{res.mmr:g}"
    click.echo(f"liquidation_price: {lp}")
    click.echo(f"mmr: {mmr_text}")
    if table is not None:
        click.echo(f"tier table: {table_text(venue, table)}")


MAX_AMOUNT = 1e12   # USD: the largest capital any hedgelab input takes (the config schema's capital bound)
MAX_PRICE = 1e9     # USD: data.validate.MAX_PRICE, the bound of --entry
# the options of the one-position form; --position replaces them all
ONE_POSITION_OPTIONS = ("side", "entry", "qty", "symbol", "mmr", "maint_amount", "other_maint", "other_upnl",
                        "max_leverage", "leverage")
# Error lines are redacted (hedgelab.core.redact): a word like ETHUSDT:long:10@4000 reads as a URL's
# user:password@host there and loses its QTY. So the errors name a position by its number and symbol
# and quote its bad part alone, and the form is written with <...> placeholders, which no URL holds.
POSITION_FORM = "<SYMBOL>:<long|short>:<QTY>@<ENTRY>"
_POSITION = re.compile(r"(?P<symbol>[^\s:]\S*?):(?P<side>[^:@\s]*):(?P<qty>[^:@\s]*)@(?P<entry>[^:@\s]*)")
_MARK = re.compile(r"(?P<symbol>[^\s=]+)=(?P<price>[^\s=]*)")
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")   # no sign, no nan/inf, no "_"


def _shown(text: str) -> str:
    """A user's text in an error line: quoted, escaped (one line), and cut when very long."""
    shown = repr(text)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _number(text: str, where: str, name: str, high: float) -> float:
    """A plain positive decimal (no sign, nan or inf) of at most ``high``; else one line naming ``where``."""
    value = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not 0 < value <= high:     # nan fails too
        raise UserError(f"{where}: {name} {_shown(text)} must be a positive number of at most {high:g}")
    return value


def parse_position(text: str, number: int = 1):
    """``SYMBOL:long|short:QTY@ENTRY`` -> engine Position (mark set later); one line naming the bad
    --position by its ``number`` (1 for the first given) and symbol."""
    from hedgelab.engine.cross_margin import Position
    from hedgelab.engine.venues import base_coin

    m = _POSITION.fullmatch(text)
    if m is None:
        raise UserError(f"--position #{number} {_shown(text)}: expected {POSITION_FORM} (see 'hedgelab calc "
                        "liq --help')")
    symbol = m["symbol"] if len(m["symbol"]) <= 40 else m["symbol"][:37] + "..."
    where = f"--position #{number} ({symbol})"
    if m["side"] not in ("long", "short"):
        raise UserError(f"{where}: side must be long or short, got {_shown(m['side'])}")
    qty = _number(m["qty"], where, "QTY", MAX_AMOUNT)
    entry = _number(m["entry"], where, "ENTRY", MAX_PRICE)
    if qty * entry > MAX_AMOUNT:
        raise UserError(f"{where}: the notional QTY x ENTRY = {qty * entry:g} USD is above {MAX_AMOUNT:g}")
    try:
        base_coin(m["symbol"])
    except UserError:
        raise UserError(f"{where}: not an exchange or ccxt symbol (e.g. ETHUSDT, ETH/USDT:USDT, ETH)") from None
    return Position(m["symbol"], m["side"], qty, entry)


def _with_marks(positions: list, marks) -> list:
    """The positions with their --mark SYMBOL=PRICE (matched by base coin); one line per bad --mark."""
    import dataclasses

    from hedgelab.engine.venues import base_coin

    by_coin = {base_coin(p.symbol): i for i, p in enumerate(positions)}
    out = list(positions)
    seen = set()
    for text in marks:
        where = f"--mark {_shown(text)}"
        m = _MARK.fullmatch(text)
        if m is None:
            raise UserError(f"{where}: expected SYMBOL=PRICE (e.g. SOLUSDT=205)")
        try:
            coin = base_coin(m["symbol"])
        except UserError as exc:
            raise UserError(f"{where}: {exc}") from None
        if coin not in by_coin:
            raise UserError(f"{where}: {m['symbol']} is not the symbol of any --position (given: "
                            f"{', '.join(p.symbol for p in positions)})")
        if coin in seen:
            raise UserError(f"{where}: {coin} has a --mark already (one mark per position)")
        seen.add(coin)
        price = _number(m["price"], where, "PRICE", MAX_PRICE)
        i = by_coin[coin]
        if out[i].qty * price > MAX_AMOUNT:
            raise UserError(f"{where}: the notional QTY x PRICE = {out[i].qty * price:g} USD is above {MAX_AMOUNT:g}")
        out[i] = dataclasses.replace(out[i], mark=price)
    return out


def _cross(venue, wallet, texts, marks, at, as_json) -> None:
    """``calc liq --cross --wallet W --position ... [--mark SYM=PRICE ...]``: every position's liquidation
    price given the others at their marks (engine.cross_margin, Binance's cross formula and its peers)."""
    from hedgelab.engine.cross_margin import cross_liquidation_prices
    from hedgelab.engine.venues import base_coin

    if not math.isfinite(wallet) or not 0 <= wallet <= MAX_AMOUNT:
        raise UserError(f"--wallet {wallet:g}: the cross wallet balance must be a number of USD >= 0 and at most "
                        f"{MAX_AMOUNT:g}")
    positions = [parse_position(text, i) for i, text in enumerate(texts, 1)]
    coins = {}
    for i, p in enumerate(positions, 1):  # before the marks: a --mark of a coin given twice would be ambiguous
        coin = base_coin(p.symbol)
        if coin in coins:
            first, symbol = coins[coin]
            raise UserError(f"--position #{i} ({p.symbol}): {coin} is given twice (#{first} is {symbol}; one-way "
                            "mode holds one position per coin)")
        coins[coin] = (i, p.symbol)
    positions = _with_marks(positions, marks)
    note = None
    chosen = "--at" if at is not None else "today"
    if at is None:
        at, note = _default_cross_at(venue, list(coins))
        chosen = "newest" if note else chosen
    res = cross_liquidation_prices(venue, wallet, positions, at=at)
    # which tables: part of the answer (not a warning on every call once the venue file's tables end)
    tables = [dict(table, chosen=chosen) for coin in coins if (table := tier_table(venue, coin, at)[1]) is not None]
    balance = wallet + res["unrealized_pnl"]
    if not balance > 0:
        raise UserError(f"the margin balance at these marks, --wallet {wallet:g} + unrealized PnL "
                        f"{res['unrealized_pnl']:g} = {balance:g} USD, is not positive: the account is past "
                        "liquidation already (check --wallet and --mark)")
    for row in res["positions"]:
        for key in ("liquidation_price", "mmr_at_liquidation", "maintenance_margin", "unrealized_pnl"):
            if row[key] is not None and not math.isfinite(row[key]):
                raise UserError(f"--position {row['symbol']}: {key} comes out {row[key]} from these inputs; check "
                                "its QTY, ENTRY and --mark")
    keys = ("symbol", "side", "qty", "entry", "mark", "maintenance_margin", "unrealized_pnl", "liquidation_price",
            "mmr_at_liquidation")
    # + 0.0: a short at its entry has uPnL -1 x qty x 0 = -0.0, printed "-0"
    rows = [{k: row[k] + 0.0 if isinstance(row[k], float) else row[k] for k in keys} for row in res["positions"]]
    res = {**res, "unrealized_pnl": res["unrealized_pnl"] + 0.0}
    if as_json:
        click.echo(json.dumps({"venue": res["venue"], "wallet": res["wallet"], "margin_ratio": res["margin_ratio"],
                               "maintenance_margin": res["maintenance_margin"],
                               "unrealized_pnl": res["unrealized_pnl"], "positions": rows, "tier_tables": tables,
                               "tier_tables_at": at}))
    else:
        for line in _cross_table(res, rows):
            click.echo(line)
        if tables:
            spans = ", ".join(f"{t['symbol']} {t['valid_from']}..{t['valid_to'] or 'open'}" for t in tables)
            why = note or {"--at": "in force at --at", "today": "in force today"}[chosen]
            click.echo(f"tier tables of {venue}: {spans} ({why})")
    if res["margin_ratio"] >= 1:
        click.echo(f"note: margin ratio {res['margin_ratio']:.6g} >= 1: the account is past liquidation at these "
                   "marks", err=True)


def _cross_table(res: dict, rows: list) -> list:
    """The text form of ``_cross``: a header line, one row per position (aligned columns), a legend."""
    def cell(value):
        if value is None:
            return "none"
        return value if isinstance(value, str) else f"{value:.10g}"

    head = ("symbol", "side", "qty", "entry", "mark", "maintenance_margin", "unrealized_pnl", "liquidation_price",
            "mmr_at_liquidation")
    body = [[cell(row[k]) for k in head] for row in rows]
    widths = [max(len(r[i]) for r in [list(head), *body]) for i in range(len(head))]

    def line(cells):
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    balance = res["wallet"] + res["unrealized_pnl"]
    out = [f"venue {res['venue']}, cross wallet {res['wallet']:.10g} USD, margin ratio {res['margin_ratio']:.6g} "
           f"(maintenance margin {res['maintenance_margin']:.10g} / margin balance {balance:.10g})",
           line(head), *[line(r) for r in body],
           "each liquidation price holds the other positions at their marks"]
    if any(row["liquidation_price"] is None for row in rows):
        out.append("none: the position cannot be liquidated with the others at their marks")
    return out


def _default_cross_at(venue, coins):
    """(date, note) for several coins on one account: one date for all of them. (None, None) when each
    coin has a table covering today; else the latest day before today on which every coin has one (the end
    of one of the tables), with a note naming the tables, not today. Coins without any table, or no such day:
    (None, None), and the calculation names the problem."""
    from hedgelab.engine.venues import as_date, venue_rules

    today = dt.date.today()
    spans = {}
    for t in venue_rules(venue).get("tiers", []):
        coin = str(t.get("symbol", "BTC")).upper()
        if coin in coins:
            spans.setdefault(coin, []).append((as_date(t.get("valid_from", "1970-01-01"), "valid_from"),
                                               as_date(t.get("valid_to", "9999-12-31"), "valid_to")))
    spans = {coin: spans[coin] for coin in coins if coin in spans}

    def covered(day):
        return all(any(lo <= day <= hi for lo, hi in spans[c]) for c in spans)

    if covered(today):
        return None, None
    ends = sorted({hi for ranges in spans.values() for _, hi in ranges if hi < today}, reverse=True)
    day = next((d for d in ends if covered(d)), None)
    if day is None:
        return None, None
    return day.isoformat(), (f"at {day}, the latest day with a table for every coin: none covers today; --at DATE "
                             "picks another")


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


def tier_table(venue, symbol, at=None) -> tuple[str | None, dict | None]:
    """(the date to look the tables up at, the table used) for ``symbol`` on ``venue``.

    ``at`` given: the table in force that day (none: the calculation names the problem). Without
    ``at``: the table in force today, else the newest one that has ended, at its last day. The venue files
    carry dated tables that end (Binance's current one at 2026-03-31); after that a calculator run
    without ``--at`` still answers with the newest table, and says which in the answer itself (not a
    warning on every call, and without today's date: the same inputs print the same text on any later
    day). The table: {"symbol", "valid_from", "valid_to", "chosen": "--at" | "today" | "newest"}.
    """
    from hedgelab.engine.venues import as_date, base_coin, venue_rules

    try:
        when = dt.date.today() if at is None else as_date(at, "--at")
    except UserError:
        return at, None                    # a bad --at: the calculation says what is wrong with it
    spans = []
    for t in venue_rules(venue).get("tiers", []):
        if str(t.get("symbol", "BTC")).upper() != base_coin(symbol):
            continue
        lo = as_date(t.get("valid_from", "1970-01-01"), "valid_from")
        hi = as_date(t.get("valid_to", "9999-12-31"), "valid_to")
        spans.append((lo, hi))

    def found(lo, hi, chosen):
        return {"symbol": base_coin(symbol), "valid_from": lo.isoformat(),
                "valid_to": None if hi.year == 9999 else hi.isoformat(), "chosen": chosen}
    for lo, hi in spans:
        if lo <= when <= hi:
            return at, found(lo, hi, "--at" if at is not None else "today")
    past = [(hi, lo) for lo, hi in spans if hi < when]
    if at is not None or not past:
        return at, None                    # nothing in force or older to fall back on: load_venue says why
    hi, lo = max(past)
    return hi.isoformat(), found(lo, hi, "newest")


def table_text(venue, table: dict) -> str:
    """``binance BTC 2025-09-01..2026-03-31 (in force today)``: the table an answer used, in words."""
    why = {"--at": "in force at --at", "today": "in force today",
           "newest": "the newest: none covers today; --at DATE picks another"}[table["chosen"]]
    return f"{venue} {table['symbol']} {table['valid_from']}..{table['valid_to'] or 'open'} ({why})"
