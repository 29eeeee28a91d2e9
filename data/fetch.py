"""``hedgelab data fetch``: download a perp's market data with ccxt into the local store; several
symbols make one dataset of several coins on one grid (the first the primary, each cached, resumed and
assembled on its own, then checked on the primary's grid and written with it as one unit).

Per venue (ccxt ``has`` flags decide): traded, mark and index klines, settled funding; from Deribit the
DVOL index (ATM IV) and, on request, option trades -> IV per bar, expiry and strike.

Every page lands in a raw cache first (data/fetch_cache.py, atomic per page), so an interrupted fetch
resumes where it stopped and a repeated fetch asks only for time not covered yet. The dataset itself is
written at the end with ``write_dataset`` (temp directory + rename): the store never holds half of one.
Network trouble (ccxt ``NetworkError``: timeouts, 429/418, 5xx, dropped connections) is retried with
exponential backoff; ccxt's own throttle (``enableRateLimit``) spaces the requests.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import ccxt
import pandas as pd
from tqdm import tqdm

from hedgelab.data.dataset import Dataset, base_coin, iso
from hedgelab.data.fetch_build import assemble, build_option_iv
from hedgelab.data.fetch_cache import SeriesCache, atomic_parquet, cache_root
from hedgelab.data.fetch_sources import (HOUR_MS, candle_source, dvol_resolution, dvol_source,
                                         funding_interval_ms, funding_source, option_trades_source)
from hedgelab.data.store import BUILTIN, check_name, check_store_writable, write_dataset
from hedgelab.data.validate import Where, validate_manifest
from hedgelab.core.errors import DataError, UserError

VENUES = {"binance": "binanceusdm", "bybit": "bybit", "hyperliquid": "hyperliquid"}
DEFAULT_SYMBOL = {"binance": "BTC/USDT:USDT", "bybit": "BTC/USDT:USDT", "hyperliquid": "BTC/USDC:USDC"}
# Load only the perp markets: Bybit would otherwise load spot, inverse and six option chains.
MARKET_OPTIONS = {"bybit": {"fetchMarkets": {"types": ["linear"]}},
                  "hyperliquid": {"fetchMarkets": {"types": ["swap"]}}}
ENDPOINTS = {
    "binanceusdm": {"trade": "GET /fapi/v1/klines", "mark": "GET /fapi/v1/markPriceKlines",
                    "index": "GET /fapi/v1/indexPriceKlines", "funding": "GET /fapi/v1/fundingRate"},
    "bybit": {"trade": "GET /v5/market/kline", "mark": "GET /v5/market/mark-price-kline",
              "index": "GET /v5/market/index-price-kline", "funding": "GET /v5/market/funding/history"},
    "hyperliquid": {"trade": "POST /info candleSnapshot", "funding": "POST /info fundingHistory"},
}
DVOL_CURRENCIES = ("BTC", "ETH")
# Deribit's main host keeps only the last 24 h of trades; older ones are served by the history host.
DERIBIT_HISTORY_URL = "https://history.deribit.com"
URLS_ENV = "HEDGELAB_CCXT_URLS"
# An exchange that accepts and never answers took 6 x 30 s plus backoff before the error: each request
# now waits REQUEST_TIMEOUT_MS, and one request's retries stop once FAIL_BUDGET_SECONDS would pass
# (about 45 s for a silent server: 20 + 1 + 20 + 2 s, the next try would end after 60 s).
REQUEST_TIMEOUT_MS = 20_000
FAIL_BUDGET_SECONDS = 60.0
MIN_BAR_MS = 60_000      # bars of at least one minute (a 1 ms bar was stored as bar size '0D')


SYMBOL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,39}")   # BTC/USDT:USDT, 1000PEPE/USDT:USDT, BTC-PERPETUAL


class FetchError(UserError):
    """A download that could not finish; the pages fetched so far stay cached for the next run."""


# ---------------------------------------------------------------- exchanges and their URLs

def parse_api_urls(text: str | None) -> dict:
    """``http://host:port`` (every venue) or ``binanceusdm=URL,deribit=URL,deribit-history=URL``."""
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        part = part.strip()
        key, _, url = part.rpartition("=") if "=" in part.split("://")[0] else ("*", "", part)
        if not urlsplit(url).scheme or not urlsplit(url).netloc:
            raise UserError(f"--api-url: {url!r} is not a base URL such as http://127.0.0.1:8000")
        out[key or "*"] = url.rstrip("/")
    return out


def point_at(ex, base: str) -> None:
    """Send every API of ``ex`` to ``base``: scheme and host are replaced, each entry keeps its path."""
    b = urlsplit(base)

    def rewrite(node):
        for k, v in node.items():
            if isinstance(v, dict):
                rewrite(v)
            elif isinstance(v, str):
                p = urlsplit(v)
                node[k] = urlunsplit((b.scheme, b.netloc, b.path.rstrip("/") + p.path, "", ""))
    rewrite(ex.urls["api"])


def make_exchange(ccxt_id: str, api_urls: dict, key: str | None = None, options: dict | None = None):
    ex = getattr(ccxt, ccxt_id)({"enableRateLimit": True, "timeout": REQUEST_TIMEOUT_MS, "options": options or {}})
    base = api_urls.get(key or ccxt_id) or api_urls.get(ccxt_id) or api_urls.get("*")
    if base:
        point_at(ex, base)
    return ex


class Retry:
    """Call a ccxt method; network errors are retried after backoff * 2**attempt seconds (capped)."""

    def __init__(self, retries: int = 5, backoff: float = 1.0, max_delay: float = 30.0, sleep=time.sleep,
                 budget: float = FAIL_BUDGET_SECONDS, clock=time.monotonic):
        self.retries, self.backoff, self.max_delay, self.sleep = retries, backoff, max_delay, sleep
        self.budget, self.clock = budget, clock
        self.retried = 0

    def __call__(self, fn, *args):
        started = self.clock()
        for attempt in range(self.retries + 1):
            try:
                return fn(*args)
            except ccxt.NetworkError as exc:  # timeouts, 429/418 (DDoSProtection), 5xx, dropped connections
                delay = min(self.max_delay, self.backoff * 2 ** attempt)
                spent = self.clock() - started
                # the next try would end after the budget if it took as long as the ones so far
                over = spent + delay + spent / (attempt + 1) > self.budget
                if attempt == self.retries or over:
                    tries = f"{self.retries} retries" if attempt == self.retries else f"{attempt + 1} tries in {spent:.0f} s"
                    raise FetchError(f"{_what(fn)} failed after {tries} ({type(exc).__name__}: "
                                     f"{_one_line(exc)}); pages fetched so far are kept, run the same "
                                     "command again to resume") from None   # the cause holds the raw URL
                self.retried += 1
                self.sleep(delay)
            except ccxt.BaseError as exc:  # the exchange refused the request: retrying will not help
                raise FetchError(f"{_what(fn)}: {type(exc).__name__}: {_one_line(exc)}") from None
            except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
                # ccxt parsing a reply that is not the exchange's (a proxy's page, a different API)
                raise FetchError(f"{_what(fn)}: the reply was not understood ({type(exc).__name__}: "
                                 f"{_one_line(exc)[:200]}); is this {getattr(getattr(fn, '__self__', None), 'id', 'the exchange')}'s "
                                 "API?") from None


def _what(fn) -> str:
    owner = getattr(fn, "__self__", None)
    return f"{getattr(owner, 'id', '')} {getattr(fn, '__name__', 'request')}".strip()


def _one_line(exc) -> str:
    return " ".join(str(exc).split())[:300]


# ---------------------------------------------------------------- arguments

def to_ms(value, option: str) -> int:
    """ISO-8601 / date string, pandas Timestamp or epoch ms -> epoch ms (naive times are UTC)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UserError(f"{option} {value!r} is not a date or time (use ISO-8601, e.g. 2025-09-01 or "
                        "2025-09-01T12:00Z)") from None
    if ts is pd.NaT:
        raise UserError(f"{option} {value!r} is not a date or time")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.value // 1_000_000)


def last_instant_ms(value, option: str) -> int:
    """The last millisecond an inclusive ``--end`` covers, read as run/compare/sweep read theirs (pandas
    ``.loc`` partial strings): '2025-09-03' is the whole day, '2025-09-03T12:00' that whole minute, a
    time with a zone or a Timestamp is that instant, epoch ms are that millisecond."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = value.isoformat()  # a TOML date: the whole day, like its ISO string
    ms = to_ms(value, option)
    if isinstance(value, str) and pd.Timestamp(value).tzinfo is None:
        try:
            period_end = pd.Period(value).end_time
        except (ValueError, TypeError):
            return ms
        return int(period_end.value // 1_000_000)
    return ms


def _existing_manifest(store: Path, name: str) -> dict | None:
    """The stored dataset's manifest (None for a new name); a damaged one is refused, not merged."""
    path = store / name / "manifest.json"
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise DataError(f"{path}: damaged ({type(exc).__name__}); fetch under another name, or delete "
                        f"{store / name} first") from None
    validate_manifest(manifest, Where(str(path)))
    return manifest


# ---------------------------------------------------------------- the fetch

def _run(source, cache: SeriesCache, start: int, end: int, quiet: bool, label: str) -> int:
    """Fetch the ranges of [start, end) the cache lacks, page by page; returns the number of pages."""
    gaps = cache.missing(start, end)
    total = sum(b - a for a, b in gaps)
    pages, done = 0, 0
    with tqdm(total=-(-total // HOUR_MS), unit="h", desc=label, disable=quiet or not gaps, leave=False,
              dynamic_ncols=True) as bar:
        for a, b in gaps:
            cursor = a
            while cursor < b:
                rows, nxt = source.page(cursor, b)
                if nxt <= cursor:  # a source must always move on; guard against an endless loop
                    raise FetchError(f"{label}: paging did not advance at {cursor}")
                cache.append(cursor, nxt, rows)
                bar.update((done + nxt - cursor) // HOUR_MS - done // HOUR_MS)  # whole hours of data
                done += nxt - cursor
                pages += 1
                cursor = nxt
    return pages


def parse_symbols(symbol) -> list[str]:
    """``--symbol`` as given: None, one symbol, a comma list, or several (each may be a comma list) ->
    the symbols in order, blanks dropped (``[]`` for None)."""
    if symbol is None:
        return []
    values = [symbol] if isinstance(symbol, str) else list(symbol)
    out = []
    for v in values:
        if not isinstance(v, str):
            raise UserError(f"--symbol {v!r} is not a ccxt perpetual symbol such as BTC/USDT:USDT")
        out += [p.strip() for p in v.split(",") if p.strip()]
    return out


def _check_symbols(symbols: list[str], venue: str) -> list[str]:
    """Each a ccxt symbol, one per coin (the coin is its base coin); returns the coins."""
    coins: list[str] = []
    for sym in symbols:
        if not SYMBOL_RE.fullmatch(sym):
            raise UserError(f"--symbol {sym!r} is not a ccxt perpetual symbol such as {DEFAULT_SYMBOL[venue]}")
        try:
            coin = base_coin(sym)
        except UserError:
            if len(symbols) == 1:   # one symbol: any the venue lists, as before
                coins.append(sym)
                continue
            raise UserError(f"--symbol {sym!r}: no base coin in it (e.g. {DEFAULT_SYMBOL[venue]}); a dataset of "
                            "several coins names each by its base coin") from None
        if coin in coins:
            raise UserError(f"--symbol {sym}: coin {coin} is given twice (also --symbol "
                            f"{symbols[coins.index(coin)]})")
        coins.append(coin)
    return coins


def _held_symbols(old: dict) -> list[str]:
    """The symbols a stored dataset holds: its primary's, then its coins' in order."""
    coins = old.get("coins") if isinstance(old.get("coins"), dict) else {}
    return [str(old.get("symbol"))] + [str(e.get("symbol")) for e in coins.values() if isinstance(e, dict)]


def _check_grid(primary: Dataset, sym: str, ds: Dataset, first_sym: str) -> None:
    """A fetched coin on the primary's grid: both are regular grids of one step, so they differ at
    their first or their last bar; the error says which and the --start/--end that would agree."""
    a, b = primary.bars.index, ds.bars.index
    if b[0] != a[0]:
        later = max(a[0], b[0])
        raise DataError(f"--symbol {sym}: its first bar opens at {iso(b[0])}, the primary's ({first_sym}) at "
                        f"{iso(a[0])}; every coin must be on the primary's bar grid: fetch from --start "
                        f"{iso(later)} so that every coin has bars")
    if b[-1] != a[-1]:
        earlier = min(a[-1], b[-1])
        raise DataError(f"--symbol {sym}: its last bar opens at {iso(b[-1])}, the primary's ({first_sym}) at "
                        f"{iso(a[-1])}; every coin must be on the primary's bar grid: fetch up to --end "
                        f"{iso(earlier)}")


def fetch(name: str, venue: str, symbol: str | list | tuple | None = None, start=None, end=None,
          timeframe: str = "1h", dvol: bool = True, options: bool = False, store=None, quiet: bool = False,
          api_urls: str | dict | None = None, retries: int = 5, backoff: float = 1.0,
          sleep=time.sleep, fill_gaps: bool = False) -> Dataset:
    """Download, cache, assemble and store dataset ``name``; returns the stored ``Dataset``.

    ``symbol``: one ccxt perp symbol, or several (a list, or a comma list) fetched into one dataset of
    several coins on one grid, the first the primary (each coin is its symbol's base coin; every coin
    must have bars over the same range, else the error names the --start/--end that would agree).
    An update without ``symbol`` fetches the symbols the dataset holds; with ``symbol`` it must keep
    the primary and every coin held, and may add coins (fetched over the whole range).
    ``fill_gaps``: also fill holes longer than ``validate.MAX_FILL_BARS`` bars (refused otherwise, as
    ``data import`` refuses them), stated in the provenance. ``options``: Deribit option trades of the
    primary coin only (``option_iv.parquet`` is the primary's).
    """
    check_name(name)
    if name in BUILTIN:   # refused before any download (it was refused only when writing, after it)
        raise UserError(f"{name!r} is the built-in dataset's name; choose another name")
    if venue not in VENUES:
        raise UserError(f"--venue {venue!r} is not supported; choose one of {', '.join(VENUES)}")
    given = parse_symbols(symbol)
    _check_symbols(given, venue)
    urls = api_urls if isinstance(api_urls, dict) else parse_api_urls(api_urls)
    root = check_store_writable(store)  # before any download
    try:
        step = int(ccxt.Exchange.parse_timeframe(timeframe) * 1000)
    except Exception:
        step = 0
    if step <= 0 or timeframe.endswith("M"):  # months are not a fixed bar length
        raise UserError(f"--timeframe {timeframe!r} is not a bar size such as 1m, 5m, 1h or 1d")
    if step < MIN_BAR_MS:
        raise UserError(f"--timeframe {timeframe!r}: bars shorter than 1 minute are not supported (1m, 5m, 1h, 1d ...)")

    old = _existing_manifest(root, name)
    if old is None:
        symbols = given or [DEFAULT_SYMBOL[venue]]
    else:
        held = _held_symbols(old)
        symbols = given or held
        wanted = " ".join(symbols)
        if (old.get("venue") != venue or symbols[0] != held[0]
                or pd.Timedelta(old.get("bar_size", "0s")) != pd.Timedelta(step, unit="ms")):
            raise UserError(f"dataset {name!r} already holds {old.get('venue')} {', '.join(held)} "
                            f"{old.get('bar_size')} bars; fetch under another name to get {venue} {wanted} {timeframe}")
        dropped = [s for s in held if s not in symbols]
        if dropped:
            raise UserError(f"dataset {name!r} holds {', '.join(held)}; --symbol {','.join(symbols)} leaves out "
                            f"{', '.join(dropped)}: name every symbol it holds (new ones are added), or fetch under "
                            "another name")
        symbols = held + [s for s in symbols if s not in held]
    coins = _check_symbols(symbols, venue)
    several = len(symbols) > 1
    if start is None:
        if old is None:
            raise UserError("--start is required for a new dataset")
        start = old["start"]
    start_ms = to_ms(start, "--start")
    if end is None:
        end_ms = int(time.time() * 1000)
    else:
        # --end is inclusive: the last bar is the one open at --end, so the range ends one bar after it
        last_ms = last_instant_ms(end, "--end")
        if start_ms > last_ms:
            raise UserError(f"--start {start} is after --end {end} (--end is the last bar, inclusive)")
        end_ms = last_ms // step * step + step
    if old is not None:  # an update: keep what the dataset held, add what is new
        start_ms = min(start_ms, to_ms(old["start"], "start"))
        end_ms = max(end_ms, to_ms(old["end"], "end"))

    retry = Retry(retries, backoff, sleep=sleep)
    ex = make_exchange(VENUES[venue], urls, options=MARKET_OPTIONS.get(venue))
    retry(ex.load_markets)
    perpetuals = [s for s, m in (ex.markets or {}).items() if isinstance(m, dict) and m.get("swap")]
    if not perpetuals:   # an empty or foreign reply: the symbol is not the problem
        raise FetchError(f"{venue}: the reply to the market list was not understood (it lists no perpetual "
                         f"market); is this {VENUES[venue]}'s API?")
    markets = {}
    for sym in symbols:
        market = ex.markets.get(sym)
        if market is None or not market.get("swap"):
            wanted_base = sym.split("/")[0]
            perps = (sorted(s for s, m in ex.markets.items() if m.get("swap") and m.get("base") == wanted_base)
                     or sorted(s for s, m in ex.markets.items() if m.get("swap")))[:5]
            raise UserError(f"--symbol {sym!r} is not a perpetual on {venue} (e.g. {', '.join(perps)})")
        markets[sym] = market
    if timeframe not in ex.timeframes:
        raise UserError(f"--timeframe {timeframe!r} is not offered by {venue} "
                        f"({', '.join(ex.timeframes)})")

    now = int(time.time() * 1000)
    start_ms = -(-start_ms // step) * step
    bars_end = min(end_ms, now) // step * step  # only closed bars
    cache_dir = cache_root(root, name)
    endpoints = ENDPOINTS.get(ex.id, {})
    # per symbol: its jobs (source, from, to), provenance and notes
    plan = {sym: {"jobs": [], "provenance": {}, "notes": []} for sym in symbols}
    dvol_res = None
    deribit = make_exchange("deribit", urls) if (dvol or options) else None
    for sym, coin in zip(symbols, coins):
        jobs, provenance, notes = plan[sym]["jobs"], plan[sym]["provenance"], plan[sym]["notes"]
        for series, flag in (("trade", "fetchOHLCV"), ("mark", "fetchMarkOHLCV"), ("index", "fetchIndexOHLCV")):
            if ex.has.get(flag):
                src = candle_source(ex, retry, venue, sym, timeframe, series)
                jobs.append((src, start_ms, bars_end))
                cols = ("open high low close volume" if series == "trade"
                        else " ".join(f"{series}_{c}" for c in ("open", "high", "low", "close")))
                provenance[cols] = f"{venue} {endpoints.get(series, flag)} via ccxt {flag} {sym} {timeframe}"
        if ex.has.get("fetchFundingRateHistory"):
            jobs.append((funding_source(ex, retry, sym), start_ms, min(end_ms, now)))
            provenance["funding.rate"] = f"{venue} {endpoints.get('funding')} via ccxt fetchFundingRateHistory"
            provenance["funding.mark_price"] = ("settlement markPrice of the same rows" if ex.id == "binanceusdm"
                                                else f"not published by {venue}: NaN")
        base = markets[sym]["base"]
        if dvol and base in DVOL_CURRENCIES:
            res_name, dvol_res = dvol_resolution(step)
            jobs.append((dvol_source(deribit, retry, base, step), start_ms,
                         min(bars_end, now // dvol_res * dvol_res - dvol_res)))
            provenance["iv.atm_iv"] = (f"Deribit DVOL {base} (GET /api/v2/public/get_volatility_index_data, "
                                       f"resolution {res_name}) close / 100, stamped at the candle close")
        elif dvol:
            notes.append(f"Deribit publishes no DVOL for {base}: iv is empty")
        if options and sym == symbols[0]:   # option_iv.parquet is the primary's
            history = make_exchange("deribit", urls, key="deribit-history")
            if not (urls.get("deribit-history") or urls.get("deribit") or urls.get("*")):
                history.urls["api"]["rest"] = DERIBIT_HISTORY_URL
            jobs.append((option_trades_source(history, retry, base), start_ms, min(end_ms, now)))
            provenance["option_iv"] = ("option_iv.parquet: Deribit option trades (GET /api/v2/public/"
                                       "get_last_trades_by_currency_and_time, kind=option) iv / 100, "
                                       "amount-weighted per bar, expiry, strike and call/put, stamped at the bar close")
        elif options:
            notes.append(f"option trades are fetched for the primary coin only ({coins[0]}): none for {coin}")

    caches, raw = [], {sym: {} for sym in symbols}
    for sym, coin in zip(symbols, coins):
        for src, a, b in plan[sym]["jobs"]:
            cache = SeriesCache(cache_dir, src.key, src.columns, src.unique)
            caches.append(cache)
            if a < b:
                where = venue if src.series not in ("dvol", "options") else "deribit"
                _run(src, cache, a, b, quiet, f"{where} {coin + ' ' if several else ''}{src.series}")
            raw[sym][src.series] = cache.read(start_ms, end_ms)

    fetched = (f"fetched with ccxt {ccxt.__version__} on {datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
               + (f" ({retry.retried} request(s) retried)" if retry.retried else ""))
    built = []
    for sym in symbols:
        try:
            one = assemble(name, venue, sym, timeframe, start_ms, bars_end, step, raw[sym],
                           funding_interval_ms(ex, sym) / HOUR_MS, dvol_res, [*plan[sym]["notes"], fetched],
                           plan[sym]["provenance"], fill_gaps=fill_gaps)
        except DataError as exc:
            if not several:
                raise
            raise DataError(f"--symbol {sym}: {exc}") from None
        if built:
            _check_grid(built[0], sym, one, symbols[0])
        built.append(one)
    first = built[0]
    ds = Dataset(name=name, bars=first.bars, funding=first.funding, iv=first.iv, manifest=first.manifest,
                 coins=dict(zip(coins[1:], built[1:])))
    folder = write_dataset(ds, root)
    if options:
        atomic_parquet(build_option_iv(raw[symbols[0]]["options"], start_ms, bars_end, step),
                       folder / "option_iv.parquet")
    for cache in caches:
        cache.compact()
    return ds
