"""``hedgelab data``: list, show and import datasets (``fetch`` is added by hedgelab.cli.fetch).

Errors are ``UserError``s: ``hedgelab.cli.main`` prints them on one line and exits with code 2.
"""
import click

from hedgelab.cli import cli
from hedgelab.core.errors import UserError

STORE = click.option("--store", "store", type=click.Path(file_okay=False), default=None,
                     help="Dataset store directory (default: $HEDGELAB_HOME, else the user data dir).")


@cli.group()
def data():
    """Datasets in the local store (and the built-in crisis-2025)."""


@data.command("list")
@STORE
def list_cmd(store):
    """List the built-in and stored datasets, with how many coins each holds."""
    from hedgelab.data.dataset import iso
    from hedgelab.data.store import available, load, store_dir

    names = available(store)
    click.echo(f"store: {store_dir(store)}")
    if not names:
        click.echo("no datasets (import one with: hedgelab data import NAME --prices FILE)")
        return
    # one convention everywhere (README, Conventions): a bar is stamped at its open, so a span is said
    # as first bar open .. last bar open, as the reports' "to 2025-11-30 23:00" says it
    click.echo(f"{'name':<24} {'kind':<14} {'bars':>5}  {'first bar open .. last bar open (UTC)':<44}  coins")
    for name in names:
        try:
            ds = load(name, store)
            m = ds.manifest
            click.echo(f"{name:<24} {m.get('kind', '?'):<14} {m.get('bar_size', '?'):>5}  "
                       f"{iso(ds.bars.index[0])} .. {iso(ds.bars.index[-1])}  {_coins_said(ds)}")
        except UserError as exc:  # one damaged dataset must not hide the others
            click.echo(f"{name:<24} DAMAGED: {exc}")


def _coins_said(ds) -> str:
    """'1 coin (BTC)' or '3 coins (ETH, XRP, SOL)'."""
    try:
        names = ds.coin_names
    except UserError:   # a one-coin dataset whose symbol names no coin
        return "1 coin"
    return f"{len(names)} coin{'s' if len(names) > 1 else ''} ({', '.join(names)})"


def _coverage_table(ds) -> list[str]:
    """Per coin of ``ds``: symbol, first and last bar (opens), bars, filled gaps, funding settlements
    (and those missing of the ones due over the bars), IV prints."""
    from hedgelab.data.dataset import iso
    from hedgelab.reports.coverage import funding_coverage

    head = ("coin", "symbol", "first bar", "last bar", "bars", "gaps (bars)", "funding", "missing", "IV prints")
    rows = [head]
    for coin in ds.coin_names:
        one = ds.coin(coin)
        m, bars, f = one.manifest, one.bars, one.funding
        gaps = m.get("gaps") or []
        hours = m.get("funding_interval_hours")
        missing = "n/a"
        if hours:
            cov = funding_coverage(f.index, hours, bars.index[0], bars.index[-1])
            missing = str(cov.expected - cov.present)
        rows.append((coin, str(m.get("symbol")), iso(bars.index[0]), iso(bars.index[-1]), str(len(bars)),
                     f"{len(gaps)} ({sum(int(g.get('missing_bars', 0)) for g in gaps)})", str(len(f)), missing,
                     str(len(one.iv))))
    width = [max(len(r[i]) for r in rows) for i in range(len(head))]
    right = {4, 6, 7, 8}
    return ["  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, width))).rstrip()
            for r in rows]


def _describe(ds) -> list[str]:
    """The lines of ``data show``: range, grid, the coins with their coverage, funding, IV coverage and
    where it all came from; then each other coin's own funding, IV, proxies, provenance and notes."""
    from hedgelab.data.dataset import iso

    m = ds.manifest
    bars = ds.bars
    lines = [
        f"name:      {ds.name}",
        f"kind:      {m.get('kind')}" + ("  (a reconstruction, not market data)"
                                         if m.get("kind") == "reconstruction" else ""),
        f"venue:     {m.get('venue')}  symbol: {m.get('symbol')}",
        f"range:     {iso(bars.index[0])} .. {iso(bars.index[-1])} (first bar open .. last bar open)",
        f"bars:      {len(bars)} x {m.get('bar_size')}",
    ]
    lines.append(_gaps_line(m))
    if ds.coins:
        lines.append(f"coins:     {len(ds.coin_names)} on one {m.get('bar_size')} grid, the primary first "
                     "(bars: first and last bar opens; funding: settlements, missing: due but absent)")
        lines += [f"           {row}" for row in _coverage_table(ds)]
    else:
        lines.append(f"coins:     {_coins_said(ds)}")
    lines += _body(ds)
    for coin, one in ds.coins.items():
        cm = one.manifest
        lines.append("")
        lines.append(f"coin {coin}: {cm.get('venue')} {cm.get('symbol')}, {cm.get('kind')}"
                     + ("  (a reconstruction, not market data)" if cm.get("kind") == "reconstruction" else ""))
        lines += [f"  {line}" for part in [_gaps_line(cm), *_body(one)] for line in part.split("\n")]
    return lines


def _gaps_line(m: dict) -> str:
    gaps = m.get("gaps") or []
    return (f"gaps:      {len(gaps)} filled" + "".join(
        f"\n           after {g['after']}: {g['missing_bars']} bar(s), {g['rule']}" for g in gaps)
        if gaps else "gaps:      none")


def _body(ds) -> list[str]:
    """One coin's funding, IV coverage, fill rule, proxies, provenance, anchors and notes."""
    import numpy as np

    from hedgelab.data.align import align
    from hedgelab.reports.coverage import funding_coverage, iv_coverage

    m, bars, lines = ds.manifest, ds.bars, []
    f = ds.funding
    hours = m.get("funding_interval_hours")
    lines.append(f"funding:   {len(f)} settlements, every {hours} h"
                 + (f", {f.index[0]} .. {f.index[-1]}, mean rate {f['rate'].mean():.6f}, "
                    f"settlement marks {int(f['mark_price'].notna().sum())}" if len(f) else ""))
    if hours:
        # settlements due over the prices' range, not only between the first and the last one present
        cov = funding_coverage(f.index, hours, bars.index[0], bars.index[-1])
        lines += [f"           {line}" for line in cov.lines()]
        lines.append(f"           missing settlements: {cov.expected - cov.present}")
    iv = align(ds).iv
    known = int(np.isfinite(iv).sum())
    lines.append(f"iv:        {len(ds.iv)} prints" + (f", {ds.iv.index[0]} .. {ds.iv.index[-1]}"
                 if len(ds.iv) else "") + f"; known at the close of {known}/{len(iv)} bars")
    if len(ds.iv):
        lines += [f"           {line}" for line in iv_coverage(ds.iv.index, bars.index[0], bars.index[-1]).lines()]
    lines.append(f"iv_fill:   {m.get('iv_fill')}")
    lines.append("proxies:" + ("".join(f"\n  {k}: {v}" for k, v in (m.get("proxies") or {}).items())
                               or " none"))
    lines.append("provenance:" + "".join(f"\n  {k}: {v}" for k, v in (m.get("provenance") or {}).items()))
    if m.get("anchors"):
        lines.append("anchors:" + "".join(
            f"\n  {a.get('date')}: {a.get('fact')} = {a.get('value')} ({a.get('source')})" for a in m["anchors"]))
    if m.get("notes"):
        lines.append("notes:" + "".join(f"\n  - {n}" for n in m["notes"]))
    return lines


@data.command("show")
@click.argument("name")
@STORE
def show_cmd(name, store):
    """Describe a dataset: range, bar size, its coins with their coverage, gaps, funding, IV coverage,
    provenance (each coin's own)."""
    from hedgelab.data.store import load

    click.echo("\n".join(_describe(load(name, store))))


def _parse_cols(values) -> dict:
    cols = {}
    for v in values:
        role, sep, column = v.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise UserError(f"--col {v}: expected ROLE=COLUMN, e.g. --col close=price")
        cols[role.strip()] = column.strip()
    return cols


def _file_option(option: str, values) -> object:
    """``--prices FILE`` once: the path, as before; ``--prices SYMBOL=FILE`` (repeated): (key, path) pairs.

    A value is SYMBOL=FILE when the text before its first '=' is a symbol and the whole value is not an
    existing file."""
    from pathlib import Path

    from hedgelab.data.importer import SYMBOL_RE

    pairs = []
    for value in values:
        key, sep, path = value.partition("=")
        if sep and SYMBOL_RE.fullmatch(key.strip()) and not Path(value).expanduser().exists():
            if not path.strip():
                raise UserError(f"{option} {value}: no file after '='")
            pairs.append((key.strip(), path.strip()))
        else:
            pairs.append((None, value))
    if len(pairs) == 1 and pairs[0][0] is None:
        return pairs[0][1]
    return pairs or None


@data.command("import")
@click.argument("name")
@click.option("--prices", "prices", multiple=True, required=True, metavar="[SYMBOL=]FILE",
              help="CSV/parquet with a time column and OHLC(V) columns. Several coins: repeat it as SYMBOL=FILE "
                   "(--prices ETHUSDT=eth.csv --prices SOLUSDT=sol.csv); the first is the primary, every coin on its "
                   "bar opens, each symbol stored as its coin's.")
@click.option("--funding", "funding", multiple=True, metavar="[COIN=]FILE",
              help="Settled funding: time, rate [, mark price]. With several coins: COIN=FILE (a coin or its symbol).")
@click.option("--iv", "iv", multiple=True, metavar="[COIN=]FILE",
              help="Implied volatility: time, IV (e.g. DVOL). With several coins: COIN=FILE.")
@click.option("--index", "index", multiple=True, metavar="[COIN=]FILE",
              help="Index price OHLC (e.g. spot beside a perp's prices) on the prices' bars: index_open .. "
                   "index_close; without a mark series the mark is then the traded price. With several coins: "
                   "COIN=FILE.")
@click.option("--col", "cols", multiple=True, metavar="ROLE=COLUMN",
              help="Name a column for a role (time, open, high, low, close, volume, rate, mark_price, iv; "
                   "prefix with prices./funding./iv./index. to pick the file); applies to every coin's files.")
@click.option("--iv-unit", type=click.Choice(["percent", "decimal"]), default=None,
              help="Unit of the IV column (default: percent for DVOL columns, else decimal).")
@click.option("--funding-unit", type=click.Choice(["percent", "decimal"]), default=None,
              help="Unit of the funding rate column (default: decimal, 0.0001 = 0.01 %).")
@click.option("--venue", default="binance", show_default=True,
              help="Where the data came from: binance, bybit, hyperliquid, deribit or okx (a run picks its "
                   "rules with its own --venue).")
@click.option("--symbol", default=None,
              help="The exchange or ccxt symbol (BTCUSDT, BTC/USDT:USDT, BTC-PERPETUAL) of a one-coin import "
                   "[default: BTC/USDT:USDT]; its base coin picks the tier table. With --prices SYMBOL=FILE "
                   "the keys are the symbols.")
@click.option("--bar-size", default=None,
              help="Resample to this bar size (default: the file's own); bars are 1 minute or longer.")
@click.option("--max-price", type=float, default=None,
              help="Highest plausible price in USD (default 1e9); a larger price is refused as a mistake.")
@click.option("--fill-gaps", is_flag=True,
              help="Also fill price gaps longer than 6 bars flat at the previous close (volume 0); without it "
                   "they are refused. The manifest's provenance states the fill.")
@click.option("--adl", "adl", default=None, metavar="FILE",
              help="CSV of the venues' auto-deleveraging events: venue, coin, start, end, side (closed), "
                   "notional_usd, open_interest_usd [, price, open_interest_source, source]; runs on that venue "
                   "apply them (--adl share by default).")
@STORE
def import_cmd(name, prices, funding, iv, index, cols, iv_unit, funding_unit, venue, symbol, bar_size, max_price,
               fill_gaps, adl, store):
    """Validate user files and store them as dataset NAME (replaces an existing NAME atomically).

    \b
    One coin:      hedgelab data import btc --prices btc.csv --funding f.csv --symbol BTCUSDT
    Several coins: hedgelab data import alts --prices ETHUSDT=eth.csv --prices XRPUSDT=xrp.csv \\
                       --funding ETH=eth_funding.csv --index ETH=eth_spot.csv
    """
    from hedgelab.data.dataset import iso
    from hedgelab.data.importer import import_files
    from hedgelab.data.store import store_dir

    ds = import_files(name, _file_option("--prices", prices), funding=_file_option("--funding", funding),
                      iv=_file_option("--iv", iv), index=_file_option("--index", index), cols=_parse_cols(cols),
                      iv_unit=iv_unit, funding_unit=funding_unit, store=store, venue=venue, symbol=symbol,
                      bar_size=bar_size, max_price=max_price, fill_gaps=fill_gaps, adl=adl)
    m = ds.manifest
    where = store_dir(store) / name
    span = f"opening {iso(ds.bars.index[0])} .. {iso(ds.bars.index[-1])}"   # bars stamped at their open
    if not ds.coins:
        click.echo(f"imported {name}: {len(ds.bars)} x {m['bar_size']} bars {span}, "
                   f"{len(ds.funding)} funding settlements, {len(ds.iv)} IV prints -> {where}")
    else:
        click.echo(f"imported {name}: {len(ds.coin_names)} coins ({', '.join(ds.coin_names)}) on {len(ds.bars)} x "
                   f"{m['bar_size']} bars {span} -> {where}")
    for coin in ds.coin_names:
        one = ds.coin(coin)
        cm = one.manifest
        pad = ""
        if ds.coins:
            click.echo(f"  {coin} ({cm.get('symbol')}): {len(one.funding)} funding settlements, {len(one.iv)} IV prints")
            pad = "  "
        for key, text in (cm.get("proxies") or {}).items():
            click.echo(f"{pad}  proxy {key}: {text}")
        if cm.get("iv_fill"):
            click.echo(f"{pad}  iv_fill: {cm['iv_fill']}")
