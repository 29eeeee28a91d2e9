"""Resumption, interruption and retries of ``hedgelab.data.fetch`` against the fake server."""

import numpy as np
import pytest

from hedgelab.data.fetch import FetchError, fetch
from hedgelab.data.fetch_cache import SeriesCache
from hedgelab.data.store import list_datasets, read_dataset
from hedgelab.core.errors import UserError
from testkit.fake_exchange import candle
from testkit.fetch_fixtures import HOUR, Sleeps, fx, ms, no_network  # noqa: F401  (fixtures)

KLINES = ("/fapi/v1/klines", "/fapi/v1/markPriceKlines", "/fapi/v1/indexPriceKlines")


def _expected(venue, start, n, step=HOUR):
    times = ms(start) + step * np.arange(n)
    return times, {k: np.array([candle(venue, k, int(t), step) for t in times]) for k in ("trade", "mark", "index")}


def _assert_bars(ds, venue, start, n):
    times, exp = _expected(venue, start, n)
    assert list(ds.bars.index.asi8 // 1_000_000) == list(times)
    np.testing.assert_array_equal(ds.bars[["open", "high", "low", "close", "volume"]].to_numpy(), exp["trade"])
    np.testing.assert_array_equal(ds.bars[["mark_open", "mark_high", "mark_low", "mark_close"]].to_numpy(),
                                  exp["mark"][:, :4])
    np.testing.assert_array_equal(ds.bars[["index_open", "index_high", "index_low", "index_close"]].to_numpy(),
                                  exp["index"][:, :4])


def test_second_fetch_asks_only_for_the_new_range(fx, tmp_path):
    # --end is inclusive: Sep 1..9 is 9 days, the store then ends where Sep 10 begins
    fetch("b", "binance", start="2025-09-01", end="2025-09-09", store=tmp_path, quiet=True, api_urls=fx.url)
    fx.clear()
    ds = fetch("b", "binance", start="2025-09-01", end="2025-09-19", store=tmp_path, quiet=True, api_urls=fx.url)
    new_from = ms("2025-09-10")
    for path in KLINES:  # 240 new hourly bars: one page each, starting where the store ended
        assert [int(r["query"]["startTime"]) for r in fx.calls(path)] == [new_from], path
    assert [int(r["query"]["startTime"]) for r in fx.calls("/fapi/v1/fundingRate")] == [new_from]
    assert [int(r["query"]["start_timestamp"]) for r in fx.calls("get_volatility_index_data")] == [new_from]
    _assert_bars(ds, "binance", "2025-09-01", 19 * 24)
    assert len(ds.iv) == 19 * 24

    # nothing new: only the markets are loaded, no data request at all
    fx.clear()
    again = fetch("b", "binance", end="2025-09-19", store=tmp_path, quiet=True, api_urls=fx.url)
    assert [r["path"] for r in fx.requests] == ["/fapi/v1/exchangeInfo"]
    assert again.manifest["start"] == "2025-09-01T00:00:00Z" and again.manifest["end"] == "2025-09-20T00:00:00Z"


def test_interrupted_update_keeps_the_old_dataset_and_resumes(fx, tmp_path):
    fetch("b", "binance", start="2025-09-01", end="2025-09-09", store=tmp_path, quiet=True, api_urls=fx.url)
    fx.clear()
    # the update covers Sep 10 .. Nov 29 inclusive = 21 + 31 + 29 = 81 days = 1944 bars: 2 pages of 1000 per kline type.
    # The connection drops on every mark-price request after the first page.
    fx.add_fault("/fapi/v1/markPriceKlines", kind="drop", times=-1, after=1)
    sleeps = Sleeps()
    with pytest.raises(FetchError, match="run the same command again to resume"):
        fetch("b", "binance", end="2025-11-29", store=tmp_path, quiet=True, api_urls=fx.url,
              retries=2, backoff=0.5, sleep=sleeps)
    assert sleeps == [0.5, 1.0]  # exponential backoff: backoff * 2**attempt
    assert len(fx.calls("/fapi/v1/markPriceKlines")) == 1 + 3  # one good page, then 1 try + 2 retries
    # the store still holds the old, valid dataset, and nothing half-written beside it
    old = read_dataset("b", tmp_path)
    _assert_bars(old, "binance", "2025-09-01", 9 * 24)
    assert list_datasets(tmp_path) == ["b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fetch", "b"]

    fx.clear()
    ds = fetch("b", "binance", end="2025-11-29", store=tmp_path, quiet=True, api_urls=fx.url)
    # resumed: traded klines were complete, mark restarts after its first stored page, index was never reached
    assert fx.calls("/fapi/v1/klines") == []
    assert [int(r["query"]["startTime"]) for r in fx.calls("/fapi/v1/markPriceKlines")] == \
        [ms("2025-09-10") + 1000 * HOUR]
    assert len(fx.calls("/fapi/v1/indexPriceKlines")) == 2
    _assert_bars(ds, "binance", "2025-09-01", 90 * 24)


@pytest.mark.parametrize("venue, match, fault", [
    ("binance", "/fapi/v1/klines", {"status": 429}),                   # RateLimitExceeded
    ("bybit", "/v5/market/kline", {"status": 503}),                    # ExchangeNotAvailable
    ("hyperliquid", "candleSnapshot", {"kind": "drop"}),               # connection dropped
    ("binance", "get_volatility_index_data", {"status": 429}),         # Deribit, implicit API
])
def test_one_failure_is_retried_after_backoff(fx, tmp_path, venue, match, fault):
    fx.add_fault(match, times=1, **fault)
    sleeps = Sleeps()
    ds = fetch("r", venue, start="2025-09-01", end="2025-09-02", store=tmp_path, quiet=True, api_urls=fx.url,
               sleep=sleeps)  # Sep 1 and 2 inclusive: 48 hourly bars
    assert sleeps == [1.0]  # the first backoff of the default schedule
    matching = [r for r in fx.requests if match in r["path"] or r["body"].get("type") == match]
    assert len(matching) == 2  # the failed request and its successful retry
    _assert_bars(ds, venue, "2025-09-01", 48) if venue != "hyperliquid" else None
    assert any("1 request(s) retried" in n for n in ds.manifest["notes"])


def test_refused_request_is_not_retried(fx, tmp_path):
    fx.add_fault("/fapi/v1/klines", status=400, times=1)  # a Binance 4xx is the exchange saying no
    sleeps = Sleeps()
    with pytest.raises(FetchError):
        fetch("x", "binance", start="2025-09-01", end="2025-09-03", store=tmp_path, quiet=True, api_urls=fx.url,
              sleep=sleeps)
    assert sleeps == [] and len(fx.calls("/fapi/v1/klines")) == 1
    assert list_datasets(tmp_path) == []


def test_dataset_name_holding_another_market_is_refused(fx, tmp_path):
    fetch("b", "binance", start="2025-09-01", end="2025-09-02", store=tmp_path, quiet=True, api_urls=fx.url)
    with pytest.raises(UserError, match="already holds binance"):
        fetch("b", "bybit", start="2025-09-01", end="2025-09-02", store=tmp_path, quiet=True, api_urls=fx.url)


def test_cache_coverage_gaps_compaction_and_stray_temp_files(tmp_path):
    cache = SeriesCache(tmp_path, "s", ["x"])
    cache.append(0, 10, [(0, 1.0), (5, 2.0)])
    cache.append(10, 20, [])                 # an empty page still records that [10, 20) was asked
    cache.append(30, 40, [(35, 3.0)])
    (cache.dir / ".0000000000040-0000000000050.parquet.abc.tmp").write_bytes(b"half a file")  # a crash mid-write
    assert cache.missing(0, 50) == [(20, 30), (40, 50)]
    cache.compact()
    assert sorted(p.name for p in cache.dir.glob("*.parquet")) == \
        ["0000000000000-0000000000020.parquet", "0000000000030-0000000000040.parquet"]
    assert cache.missing(0, 50) == [(20, 30), (40, 50)]
    assert cache.read()[["ts", "x"]].values.tolist() == [[0, 1.0], [5, 2.0], [35, 3.0]]
