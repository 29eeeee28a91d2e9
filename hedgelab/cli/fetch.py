"""``hedgelab data fetch``: download a perp's data with ccxt into the store (see hedgelab.data.fetch).

Arguments are validated by hand rather than with ``click.Choice`` so that every mistake is a
``UserError``: one line on stderr, exit code 2 (``hedgelab.cli.main``).
"""
import click

from hedgelab.cli.data import STORE, data
from hedgelab.core.errors import UserError

VENUE_NAMES = ("binance", "bybit", "hyperliquid")


@data.command("fetch")
@click.argument("name")
@click.option("--venue", required=True, help="binance (USDⓈ-M), bybit (linear) or hyperliquid.")
@click.option("--symbol", "symbol", multiple=True, metavar="SYMBOL[,SYMBOL...]",
              help="ccxt perp symbol (default BTC/USDT:USDT; BTC/USDC:USDC on hyperliquid). Several coins in one "
                   "dataset: repeat it or give a comma list (--symbol BTC/USDT:USDT,ETH/USDT:USDT); the first is "
                   "the primary, all on one bar grid.")
@click.option("--start", default=None, help="First bar, ISO-8601 UTC (e.g. 2025-09-01). "
                                            "Optional when updating an existing dataset.")
@click.option("--end", default=None,
              help="Last bar, ISO-8601 UTC, inclusive as in run/compare/sweep: a date means the whole day "
                   "(--start 2025-09-01 --end 2025-09-02 is 48 1h bars); default now.")
@click.option("--timeframe", default="1h", show_default=True,
              help="Bar size, 1 minute or longer: 1m, 5m, 15m, 1h, 4h, 1d ...")
@click.option("--dvol/--no-dvol", default=True, show_default=True,
              help="Deribit DVOL index as the ATM implied volatility (BTC and ETH).")
@click.option("--options/--no-options", default=False, show_default=True,
              help="Deribit option trades -> option_iv.parquet (IV per bar, expiry and strike).")
@click.option("--fill-gaps", is_flag=True,
              help="Also fill gaps longer than 6 bars flat at the previous close (volume 0); without it "
                   "they are refused, as in data import. The manifest's provenance states the fill.")
@STORE
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--api-url", "api_url", envvar="HEDGELAB_CCXT_URLS", default=None, hidden=True,
              help="Send ccxt to another base URL (tests): URL, or ccxt_id=URL,... "
                   "(keys: binanceusdm, bybit, hyperliquid, deribit, deribit-history).")
def fetch_cmd(name, venue, symbol, start, end, timeframe, dvol, options, fill_gaps, store, quiet, api_url):
    """Download NAME from a venue with ccxt: klines, mark/index, funding, DVOL (and option IV), for
    one symbol or several (one dataset of several coins on one grid).

    Re-running fetches only the time not in the store yet; an interrupted fetch resumes. An update
    without --symbol fetches the symbols NAME holds; naming a new one adds that coin.
    """
    if venue not in VENUE_NAMES:
        raise UserError(f"--venue {venue!r} is not supported; choose one of {', '.join(VENUE_NAMES)}")
    from hedgelab.data.dataset import iso
    from hedgelab.data.fetch import fetch

    ds = fetch(name, venue, symbol=list(symbol) or None, start=start, end=end, timeframe=timeframe, dvol=dvol,
               options=options, store=store, quiet=quiet, api_urls=api_url, fill_gaps=fill_gaps)
    m = ds.manifest
    last = iso(ds.bars.index[-1]) if len(ds.bars) else m["end"]
    click.echo(f"{name}: {m['venue']} {m['symbol']} {m['bar_size']} bars {m['start']} .. {last}: "
               f"{len(ds.bars)} bars, {len(ds.funding)} funding, {len(ds.iv)} IV prints")
    for coin, one in ds.coins.items():
        click.echo(f"  and {coin}: {one.manifest['symbol']}: {len(one.bars)} bars, {len(one.funding)} funding, "
                   f"{len(one.iv)} IV prints")
    for key, rule in m.get("proxies", {}).items():
        click.echo(f"  proxy {key}: {rule}")
