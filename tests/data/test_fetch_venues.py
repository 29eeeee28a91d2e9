"""Fetch each perp venue from the fake server through the real ccxt classes; compare with the generator.

The expected values come from tests/data/fake_exchange.py's generators (``candle``, ``funding_times``,
``funding_rate``, ``funding_mark``), the same functions the server serialises into each exchange's JSON:
so a value that survives ccxt's parsing, our paging, the cache and the store unchanged equals them.
"""
import math

import numpy as np
import pytest

from hedgelab.data import import_files
from hedgelab.data.fetch import fetch
from hedgelab.data.store import list_datasets, read_dataset
from hedgelab.data.validate import MAX_FILL_BARS
from hedgelab.core.errors import DataError
from testkit.cli import invoke
from testkit.fake_exchange import candle, funding_mark, funding_rate, funding_times
from testkit.fetch_fixtures import HOUR, fx, ms, no_network  # noqa: F401

# (venue, timeframe, start, end, bars per kline page): paging needs a range longer than one page.
# Binance and Bybit klines: 1000 bars per ccxt call; Hyperliquid candleSnapshot: 5000.
# --end is inclusive (its whole day), so the range ends where the day after ``end`` begins.
CASES = {
    "binance": ("15m", "2025-09-01", "2025-09-11", 1000),      # Sep 1..11: 11 days * 96 = 1056 bars -> 2 pages
    "bybit": ("15m", "2025-09-01", "2025-09-11", 1000),        # same
    "hyperliquid": ("1m", "2025-09-01", "2025-09-04", 5000),   # Sep 1..4: 4 days * 1440 = 5760 bars -> 2 pages
}
DAY = 24 * HOUR


def range_end(end: str) -> int:
    """Exclusive end (ms) of an inclusive date ``end``: midnight after it."""
    return ms(end) + DAY
KLINE_PATHS = {
    "binance": {"trade": "/fapi/v1/klines", "mark": "/fapi/v1/markPriceKlines", "index": "/fapi/v1/indexPriceKlines"},
    "bybit": {"trade": "/v5/market/kline", "mark": "/v5/market/mark-price-kline",
              "index": "/v5/market/index-price-kline"},
}


def _fetch(fx, venue, tmp_path):
    tf, start, end, _ = CASES[venue]
    return fetch(f"t-{venue}", venue, start=start, end=end, timeframe=tf, dvol=False, store=tmp_path,
                 quiet=True, api_urls=fx.url)


@pytest.mark.parametrize("venue", list(CASES))
def test_fetch_bars_equal_what_the_server_served(fx, venue, tmp_path):
    tf, start, end, _ = CASES[venue]
    step = {"15m": 900_000, "1m": 60_000}[tf]
    ds = _fetch(fx, venue, tmp_path)
    n = (range_end(end) - ms(start)) // step
    assert len(ds.bars) == n
    times = ms(start) + step * np.arange(n)
    assert list(ds.bars.index.asi8 // 1_000_000) == list(times)
    expected = np.array([candle(venue, "trade", int(t), step) for t in times])
    np.testing.assert_array_equal(ds.bars[["open", "high", "low", "close", "volume"]].to_numpy(), expected)
    for kind in ("mark", "index"):
        got = ds.bars[[f"{kind}_{c}" for c in ("open", "high", "low", "close")]].to_numpy()
        if venue == "hyperliquid":  # no mark/index klines: the traded OHLC is the stated proxy
            np.testing.assert_array_equal(got, expected[:, :4])
            assert "traded OHLC" in ds.manifest["proxies"][kind]
        else:
            np.testing.assert_array_equal(got, np.array([candle(venue, kind, int(t), step)[:4] for t in times]))
    # the stored dataset reads back (and passes the store's validation) with the same values
    back = read_dataset(f"t-{venue}", tmp_path)
    np.testing.assert_array_equal(back.bars.to_numpy(), ds.bars.to_numpy())


@pytest.mark.parametrize("venue", list(CASES))
def test_fetch_funding_equals_settlements_served(fx, venue, tmp_path):
    tf, start, end, _ = CASES[venue]
    ds = _fetch(fx, venue, tmp_path)
    bar_end = range_end(end)
    served = funding_times(venue, ms(start), bar_end - 1)
    # Hyperliquid stamps a few ms after the hour: the dataset files each settlement under its hour
    assert list(ds.funding.index.asi8 // 1_000_000) == [t // HOUR * HOUR for t in served]
    assert list(ds.funding["rate"]) == [funding_rate(venue, t) for t in served]
    if venue == "binance":  # only Binance reports the settlement mark price
        assert list(ds.funding["mark_price"]) == [funding_mark(venue, t) for t in served]
    else:
        assert ds.funding["mark_price"].isna().all()
    # Binance and Bybit settle every 8 h, Hyperliquid every hour (fake_exchange.FUNDING_MS)
    assert ds.manifest["funding_interval_hours"] == (1.0 if venue == "hyperliquid" else 8.0)


@pytest.mark.parametrize("venue", list(CASES))
def test_fetch_page_counts_follow_the_venue_limits(fx, venue, tmp_path):
    tf, start, end, per_page = CASES[venue]
    _fetch(fx, venue, tmp_path)
    n_bars = (range_end(end) - ms(start)) // {"15m": 900_000, "1m": 60_000}[tf]
    pages = math.ceil(n_bars / per_page)  # 2 in every case
    if venue == "hyperliquid":
        assert len(fx.calls("/info", "candleSnapshot")) == pages
        # 96 hourly settlements fit in one 500-row fundingHistory window
        assert len(fx.calls("/info", "fundingHistory")) == 1
        # markets: spotMeta (currencies) + metaAndAssetCtxs (perps), nothing else
        assert [r["body"]["type"] for r in fx.calls("/info")
                if r["body"]["type"] not in ("candleSnapshot", "fundingHistory")] == ["spotMeta", "metaAndAssetCtxs"]
    else:
        for path in KLINE_PATHS[venue].values():
            assert len(fx.calls(path)) == pages, path
        # 33 settlements: one page (Binance 1000 rows, Bybit 200 rows a window)
        assert len(fx.calls("/fapi/v1/fundingRate" if venue == "binance" else "/funding/history")) == 1
    first = fx.requests[0]
    assert first["path"] in ("/fapi/v1/exchangeInfo", "/v5/market/instruments-info", "/info")


@pytest.mark.parametrize("reported_minutes, requests", [
    # windows of 199 stated intervals hold 199 settlements: ceil(1200 / 199) = 7 windows, one request each
    (480, 7),
    # the market says 16 h but settles every 8 h: a window of 199 * 16 h holds 398 settlements, the first
    # request returns the newest 200 (full), one more request walks back for the other 198;
    # 1200 = 3 * 398 + 6 -> 3 windows * 2 requests + 1 request for the last 6 rows = 7
    (960, 7),
])
def test_bybit_funding_windows_and_backward_paging(fx, tmp_path, reported_minutes, requests):
    fx.bybit_funding_minutes = reported_minutes
    ds = fetch("bf", "bybit", start="2024-01-01", end="2025-02-03", timeframe="1d", dvol=False, store=tmp_path,
               quiet=True, api_urls=fx.url)
    served = funding_times("bybit", ms("2024-01-01"), range_end("2025-02-03") - 1)
    assert len(served) == 400 * 3
    assert list(ds.funding.index.asi8 // 1_000_000) == served
    assert list(ds.funding["rate"]) == [funding_rate("bybit", t) for t in served]
    assert len(fx.calls("/funding/history")) == requests
    # every request carried both startTime and endTime (startTime alone is an error on Bybit)
    assert all("startTime" in r["query"] and "endTime" in r["query"] for r in fx.calls("/funding/history"))


@pytest.mark.parametrize("venue", ["binance", "hyperliquid"])
def test_missing_traded_bars_are_filled_flat_and_reported(fx, venue, tmp_path):
    fx.holes = [(ms("2025-09-02 10:00"), ms("2025-09-02 13:00"))]  # the venue sent no 10:00, 11:00, 12:00 bars
    ds = fetch("h", venue, start="2025-09-02", end="2025-09-02", dvol=False, store=tmp_path, quiet=True,
               api_urls=fx.url)
    assert len(ds.bars) == 24  # the grid stays regular
    prev_close = candle(venue, "trade", ms("2025-09-02 09:00"), HOUR)[3]
    hole = ds.bars.loc["2025-09-02 10:00":"2025-09-02 12:00"]
    # the stated rule: flat bars at the previous close, volume 0
    assert (hole[["open", "high", "low", "close"]].to_numpy() == prev_close).all()
    assert (hole["volume"] == 0).all()
    after = candle(venue, "trade", ms("2025-09-02 13:00"), HOUR)
    assert tuple(ds.bars.loc["2025-09-02 13:00", ["open", "high", "low", "close", "volume"]]) == after
    assert any(n.startswith("trade klines: 3 missing bars filled flat at the previous close (volume 0) in 1 gap(s)")
               for n in ds.manifest["notes"])


def test_fetched_dataset_aligns_for_the_engine(fx, tmp_path):
    """The fetched bundle goes through the data layer's load + align like any other dataset."""
    from hedgelab.data import align, load

    fetch("al", "hyperliquid", start="2025-09-01", end="2025-09-01", store=tmp_path, quiet=True, api_urls=fx.url)
    market = align(load("al", tmp_path))
    assert len(market.time_ns) == 24
    # Hyperliquid settles hourly: every bar opens on a settlement (times floored from a few ms past the hour)
    served = funding_times("hyperliquid", ms("2025-09-01"), range_end("2025-09-01") - 1)
    np.testing.assert_array_equal(market.funding_rate, [funding_rate("hyperliquid", t) for t in served])
    assert not np.isnan(market.iv).any()  # an hourly DVOL print is known at every bar's close


@pytest.mark.parametrize("missing", [MAX_FILL_BARS, MAX_FILL_BARS + 1])
def test_fetch_and_import_share_one_gap_rule(fx, tmp_path, missing):
    """The same hole, fetched and imported: both fill up to MAX_FILL_BARS bars and refuse one more."""
    t0 = ms("2025-09-02 10:00")
    fx.holes = [(t0, t0 + missing * HOUR)]
    kw = dict(start="2025-09-02", end="2025-09-02", dvol=False, store=tmp_path, quiet=True, api_urls=fx.url)
    hours = [h for h in range(24) if not 10 <= h < 10 + missing]
    csv = tmp_path / "p.csv"
    csv.write_text("time,open,high,low,close,volume\n" + "".join(
        "2025-09-02T{:02d}:00Z,{},{},{},{},{}\n".format(h, *candle("binance", "trade", ms("2025-09-02") + h * HOUR, HOUR))
        for h in hours))
    last_missing = f"2025-09-02 {9 + missing:02d}:00:00+00:00"
    if missing <= MAX_FILL_BARS:
        ds = fetch("g", "binance", **kw)
        assert len(ds.bars) == 24 and "filled gaps" not in ds.manifest["provenance"]
        assert ds.manifest["gaps"] == [{"after": "2025-09-02 09:00:00+00:00", "missing_bars": missing,
                                        "rule": "trade klines: flat bars at the previous close, volume 0"}]
        assert len(import_files("gi", csv, store=tmp_path / "s").bars) == 24
    else:
        with pytest.raises(DataError) as fetched:
            fetch("g", "binance", **kw)
        msg = str(fetched.value)
        assert "\n" not in msg and "--fill-gaps" in msg
        assert f"gap of {missing} missing bars from 2025-09-02 10:00:00+00:00 to {last_missing}" in msg
        assert list_datasets(tmp_path) == []
        with pytest.raises(DataError, match=f"gap of {missing} missing bars"):
            import_files("gi", csv, store=tmp_path / "s")


def test_fill_gaps_fills_a_long_gap_and_the_provenance_says_so(fx, tmp_path, capsys):
    fx.holes = [(ms("2025-09-02 02:00"), ms("2025-09-02 14:00"))]  # 12 bars, twice the limit
    rc, out, err = invoke(["data", "fetch", "g", "--venue", "binance", "--start", "2025-09-02", "--end",
                           "2025-09-02", "--no-dvol", "--quiet", "--store", str(tmp_path), "--api-url", fx.url],
                          capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "gap of 12 missing bars" in err
    rc, out, err = invoke(["data", "fetch", "g", "--venue", "binance", "--start", "2025-09-02", "--end",
                           "2025-09-02", "--no-dvol", "--quiet", "--fill-gaps", "--store", str(tmp_path),
                           "--api-url", fx.url], capsys)
    assert rc == 0, err
    ds = read_dataset("g", tmp_path)
    assert len(ds.bars) == 24
    prev_close = candle("binance", "trade", ms("2025-09-02 01:00"), HOUR)[3]
    hole = ds.bars.loc["2025-09-02 02:00":"2025-09-02 13:00"]
    assert (hole[["open", "high", "low", "close"]].to_numpy() == prev_close).all() and (hole["volume"] == 0).all()
    stated = ds.manifest["provenance"]["filled gaps"]
    assert stated.startswith("--fill-gaps: 12 bars in 1 gap(s) longer than 6 bars filled")
    assert "previous close" in stated and "2025-09-02 01:00:00+00:00" in stated
