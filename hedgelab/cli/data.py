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
    """List the built-in and stored datasets."""
    from hedgelab.data.dataset import iso
    from hedgelab.data.store import available, load, store_dir

    names = available(store)
    click.echo(f"store: {store_dir(store)}")
    if not names:
        click.echo("no datasets (import one with: hedgelab data import NAME --prices FILE)")
        return
    for name in names:
        try:
            ds = load(name, store)
            m = ds.manifest
            click.echo(f"{name:<24} {m.get('kind', '?'):<14} {m.get('bar_size', '?'):>5}  "
                       f"{iso(ds.bars.index[0])} .. {iso(ds.bars.index[-1] + ds.bar_size)}")
        except UserError as exc:  # one damaged dataset must not hide the others
            click.echo(f"{name:<24} DAMAGED: {exc}")


def _describe(ds) -> list[str]:
    """The lines of ``data show``: range, grid, funding, IV coverage and where it all came from."""
    import numpy as np

    from hedgelab.data.align import align
    from hedgelab.data.dataset import iso

    m = ds.manifest
    bars = ds.bars
    lines = [
        f"name:      {ds.name}",
        f"kind:      {m.get('kind')}" + ("  (a reconstruction, not market data)"
                                         if m.get("kind") == "reconstruction" else ""),
        f"venue:     {m.get('venue')}  symbol: {m.get('symbol')}",
        f"range:     {iso(bars.index[0])} .. {iso(bars.index[-1] + ds.bar_size)} (first bar open .. last bar close)",
        f"bars:      {len(bars)} x {m.get('bar_size')}",
    ]
    gaps = m.get("gaps") or []
    lines.append(f"gaps:      {len(gaps)} filled" + "".join(
        f"\n           after {g['after']}: {g['missing_bars']} bar(s), {g['rule']}" for g in gaps)
        if gaps else "gaps:      none")
    f = ds.funding
    hours = m.get("funding_interval_hours")
    lines.append(f"funding:   {len(f)} settlements, every {hours} h"
                 + (f", {f.index[0]} .. {f.index[-1]}, mean rate {f['rate'].mean():.6f}, "
                    f"settlement marks {int(f['mark_price'].notna().sum())}" if len(f) else ""))
    from hedgelab.reports.coverage import funding_coverage, iv_coverage
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
    """Describe a dataset: range, bar size, gaps, funding, IV coverage, provenance."""
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


@data.command("import")
@click.argument("name")
@click.option("--prices", required=True, type=click.Path(dir_okay=False),
              help="CSV/parquet with a time column and OHLC(V) columns.")
@click.option("--funding", type=click.Path(dir_okay=False), help="Settled funding: time, rate [, mark price].")
@click.option("--iv", "iv", type=click.Path(dir_okay=False), help="Implied volatility: time, IV (e.g. DVOL).")
@click.option("--col", "cols", multiple=True, metavar="ROLE=COLUMN",
              help="Name a column for a role (time, open, high, low, close, volume, rate, mark_price, iv; "
                   "prefix with prices./funding./iv. to pick the file).")
@click.option("--iv-unit", type=click.Choice(["percent", "decimal"]), default=None,
              help="Unit of the IV column (default: percent for DVOL columns, else decimal).")
@click.option("--funding-unit", type=click.Choice(["percent", "decimal"]), default=None,
              help="Unit of the funding rate column (default: decimal, 0.0001 = 0.01 %).")
@click.option("--venue", default="binance", show_default=True,
              help="Where the data came from: binance, bybit, hyperliquid, deribit or okx (a run picks its "
                   "rules with its own --venue).")
@click.option("--symbol", default="BTC/USDT:USDT", show_default=True,
              help="The exchange or ccxt symbol (BTCUSDT, BTC/USDT:USDT, BTC-PERPETUAL); its base coin picks "
                   "the tier table.")
@click.option("--bar-size", default=None,
              help="Resample to this bar size (default: the file's own); bars are 1 minute or longer.")
@click.option("--max-price", type=float, default=None,
              help="Highest plausible price in USD (default 1e9); a larger price is refused as a mistake.")
@click.option("--fill-gaps", is_flag=True,
              help="Also fill price gaps longer than 6 bars flat at the previous close (volume 0); without it "
                   "they are refused. The manifest's provenance states the fill.")
@STORE
def import_cmd(name, prices, funding, iv, cols, iv_unit, funding_unit, venue, symbol, bar_size, max_price, fill_gaps,
               store):
    """Validate user files and store them as dataset NAME (replaces an existing NAME atomically)."""
    from hedgelab.data.importer import import_files
    from hedgelab.data.store import store_dir

    ds = import_files(name, prices, funding=funding, iv=iv, cols=_parse_cols(cols), iv_unit=iv_unit,
                      funding_unit=funding_unit, store=store, venue=venue, symbol=symbol, bar_size=bar_size,
                      max_price=max_price, fill_gaps=fill_gaps)
    m = ds.manifest
    click.echo(f"imported {name}: {len(ds.bars)} x {m['bar_size']} bars {m['start']} .. {m['end']}, "
               f"{len(ds.funding)} funding settlements, {len(ds.iv)} IV prints -> {store_dir(store) / name}")
    for key, text in (m.get("proxies") or {}).items():
        click.echo(f"  proxy {key}: {text}")
    if m.get("iv_fill"):
        click.echo(f"  iv_fill: {m['iv_fill']}")
