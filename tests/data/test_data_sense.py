"""Issue 24, imported data that passed as sense: prices far below the series' scale (1e-300), a one-bar
1000x spike, hourly funding written in percent read as a decimal, IV of 0.0001. Each is now refused
with one line naming file, row and column, at import and at every load; the real files and the embedded
crisis-2025 dataset still pass.

Bounds (hedgelab.data.validate, each with its source there): prices >= MIN_PRICE (1e-10 USD); a bar
opens within JUMP_FACTOR (10x) of the previous close; a high within WICK_UP_FACTOR (100x) of its bar's
open/close, a low within 1/WICK_DOWN_FACTOR (1e-6); the median |funding rate| at most 0.002 per 8 h,
scaled to the file's interval (0.00025 per hour); decimal IV in [MIN_IV, MAX_IV] = [0.05, 3].
"""
import glob
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgelab.core.errors import DataError
from hedgelab.data import import_files, load, read_dataset, write_dataset
from hedgelab.data.readers import map_columns, read_table, to_numbers
from hedgelab.data.validate import (JUMP_FACTOR, MIN_IV, MIN_PRICE, TYPICAL_RATE_LIMIT, WICK_DOWN_FACTOR,
                                    WICK_UP_FACTOR, Where, check_iv, check_ohlc, check_rate_unit)

DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()   # as tests/conftest.py


def hourly(n=24, rows=None, start="2025-01-01"):
    """Hourly OHLC at 100/101/99/100.5 (opens at the previous close's scale); ``rows``: {k: "o,h,l,c"}."""
    t = pd.date_range(start, periods=n, freq="1h")
    lines = ["time,open,high,low,close"] + [f"{x:%Y-%m-%dT%H:%M:%SZ},100,101,99,100.5" for x in t]
    for k, ohlc in (rows or {}).items():
        lines[k] = f"{t[k - 1]:%Y-%m-%dT%H:%M:%SZ},{ohlc}"
    return lines


def _import(tmp_path, lines, **kw):
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n")
    return import_files("p", path, store=tmp_path / "store", **kw)


def _refused(tmp_path, lines, pattern, **kw):
    with pytest.raises(DataError, match=pattern) as info:
        _import(tmp_path, lines, **kw)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "store" / "p").exists()
    return str(info.value)


# ------------------------------------------------------------------ prices against their own scale

def test_a_whole_series_at_1e_300_is_refused(tmp_path):
    lines = ["time,open,high,low,close"] + [f"2025-01-01T{h:02d}:00:00Z,1e-300,1e-300,1e-300,1e-300" for h in range(3)]
    _refused(tmp_path, lines, r"p.csv, row 1 .*column 'open': price 1e-300 is below the plausible minimum 1e-10 USD")


def test_prices_at_the_minimum_pass(tmp_path):
    lines = ["time,open,high,low,close"] + [f"2025-01-01T{h:02d}:00:00Z,{MIN_PRICE!r},{MIN_PRICE!r},{MIN_PRICE!r},"
                                            f"{MIN_PRICE!r}" for h in range(3)]
    assert _import(tmp_path, lines).bars["low"].min() == MIN_PRICE


def test_a_low_of_1e_300_in_a_series_at_100(tmp_path):
    _refused(tmp_path, hourly(rows={5: "100,101,1e-300,100.5"}), r"row 5 .*column 'low': price 1e-300 is below")


def test_a_low_far_below_its_bar(tmp_path):
    # low 1e-5 under a bar whose open/close floor is 100: 100 / 1e-5 = 1e7 > WICK_DOWN_FACTOR (1e6)
    err = _refused(tmp_path, hourly(rows={5: "100,101,1e-5,100.5"}), r"row 5 .*column 'low': low 1e-05 is 1/1e\+07")
    assert "a wick below 1/1e+06" in err


def test_a_deep_real_wick_passes(tmp_path):
    """The Oct 10, 2025 IOTX wick: 0.02475 -> 0.000001, 1/24,750, within 1/WICK_DOWN_FACTOR."""
    assert 0.02475 / 0.000001 < WICK_DOWN_FACTOR
    lines = ["time,open,high,low,close", "2025-10-10T20:00:00Z,0.02475,0.02475,0.000001,0.02",
             "2025-10-10T21:00:00Z,0.02,0.021,0.019,0.02"]
    assert _import(tmp_path, lines).bars["low"].min() == 0.000001


def test_a_high_1000x_its_bar(tmp_path):
    # 100500 / 100.5 (the bar's open/close top) = 1000 > WICK_UP_FACTOR (100)
    err = _refused(tmp_path, hourly(rows={5: "100,100500,99,100.5"}), r"row 5 .*column 'high': high 100500.0 is 1e\+03x")
    assert f"a wick above {WICK_UP_FACTOR:g}x" in err


def test_a_one_bar_1000x_spike_of_the_whole_bar(tmp_path):
    # row 5 opens at 100500 after row 4 closed at 100.5: 1000x > JUMP_FACTOR
    err = _refused(tmp_path, hourly(rows={5: "100500,101000,99000,100500"}),
                   r"row 5 .*column 'open': open 100500.0 is 1e\+03x away from the previous bar's close \(100.5, row 4\)")
    assert f"a jump of more than {JUMP_FACTOR:g}x" in err


def test_a_one_bar_1000x_spike_of_the_close(tmp_path):
    # row 5: open 100, close 100500 (high 100500, so the bar is consistent); row 6 opens at 100 again
    err = _refused(tmp_path, hourly(rows={5: "100,100500,99,100500"}),
                   r"row 5 .*column 'close': close 100500.0 is 1e\+03x away from its bar's open \(100.0\)")
    assert "one-bar spike" in err


def test_a_spike_in_the_last_row_and_a_unit_change(tmp_path):
    _refused(tmp_path, hourly(rows={24: "100500,100500,100500,100500"}), r"row 24 .*column 'open'")
    lines = hourly()[:13] + [line.replace(",100,101,99,100.5", ",0.1,0.101,0.099,0.1005") for line in hourly()[13:]]
    _refused(tmp_path, lines, r"row 13 .*column 'open': open 0.1 is 1e\+03x away")


def test_the_jump_bound_is_inclusive(tmp_path):
    """An open exactly JUMP_FACTOR x the previous close passes; a little more is refused."""
    ok = hourly(3, rows={2: "100,101,99,100", 3: f"{100 * JUMP_FACTOR!r},{100 * JUMP_FACTOR!r},"
                                                 f"{100 * JUMP_FACTOR!r},{100 * JUMP_FACTOR!r}"})
    assert _import(tmp_path, ok, write=False).bars["open"].iloc[-1] == 100 * JUMP_FACTOR
    bad = hourly(3, rows={2: "100,101,99,100", 3: "1000.5,1000.5,1000.5,1000.5"})
    _refused(tmp_path, bad, r"row 3 .*column 'open'")


def test_mark_and_index_series_are_checked_alike(tmp_path):
    t = pd.date_range("2025-01-01", periods=4, freq="1h")
    lines = ["time,open,high,low,close,mark_open,mark_high,mark_low,mark_close"] + [
        f"{x:%Y-%m-%dT%H:%M:%SZ},100,101,99,100,100,101,99,100" for x in t]
    lines[3] = lines[3].rsplit(",", 4)[0] + ",100000,100000,100000,100000"
    _refused(tmp_path, lines, r"row 3 .*column 'mark_open': open 100000.0 is 1e\+03x away")


def test_a_stored_spike_is_refused_at_load(tmp_path, dataset_factory):
    ds = dataset_factory()
    write_dataset(ds, tmp_path)
    bars = pd.read_parquet(tmp_path / "tiny" / "bars.parquet")
    bars.iloc[9, [bars.columns.get_loc(c) for c in ("open", "high", "low", "close")]] = 1e6
    bars.to_parquet(tmp_path / "tiny" / "bars.parquet")
    with pytest.raises(DataError, match=r"tiny/bars.parquet, row 10 .*column 'open'.*away from the previous"):
        read_dataset("tiny", tmp_path)


# ------------------------------------------------------------------ funding per interval

def _funding(tmp_path, rates, hours, unit=None):
    t = pd.date_range("2025-01-01", periods=len(rates), freq=f"{hours}h")
    (tmp_path / "f.csv").write_text("time,rate\n" + "".join(f"{x:%Y-%m-%dT%H:%M:%SZ},{r!r}\n" for x, r in zip(t, rates)))
    prices = hourly(len(rates) * hours)
    (tmp_path / "p.csv").write_text("\n".join(prices) + "\n")
    return import_files("p", tmp_path / "p.csv", funding=tmp_path / "f.csv", store=tmp_path / "store",
                        funding_unit=unit)


def test_hourly_funding_written_in_percent_is_refused(tmp_path):
    """0.00125 is Hyperliquid's hourly baseline 0.00125 % written in percent; read as a decimal it is 100x.
    The bound per hour is 0.002 x 1 / 8 = 0.00025."""
    with pytest.raises(DataError, match=r"f.csv, column 'rate': median \|funding rate\| 0.00125 per 1 h interval is "
                                        r"above 0.00025 \(0.002 per 8 h, scaled to the interval\) as a decimal.*"
                                        r"--funding-unit percent"):
        _funding(tmp_path, [0.00125] * 30, 1)
    ds = _funding(tmp_path, [0.00125] * 30, 1, unit="percent")
    assert ds.funding["rate"].iloc[0] == pytest.approx(0.00125 / 100)


def test_hourly_decimal_funding_and_8h_at_the_same_size_pass(tmp_path):
    hourly_ok = _funding(tmp_path, [0.0000125] * 30, 1)
    assert hourly_ok.funding["rate"].iloc[0] == 0.0000125
    # 0.00125 per 8 h is under the unscaled bound 0.002: a decimal 8-hourly rate of 0.125 %
    assert 0.00125 < TYPICAL_RATE_LIMIT
    eight = _funding(tmp_path, [0.00125] * 10, 8)
    assert eight.funding["rate"].iloc[0] == 0.00125


def test_the_per_hour_bound_scales_with_the_interval():
    where = Where("f.csv")
    check_rate_unit(np.full(10, 0.0005), where, "decimal", hours=4.0)      # 0.002 x 4 / 8 = 0.001 >= 0.0005
    with pytest.raises(DataError, match="above 0.001"):
        check_rate_unit(np.full(10, 0.0011), where, "decimal", hours=4.0)
    check_rate_unit(np.full(10, 0.0019), where, "decimal", hours=8.0)      # 8 h and longer: the bound itself
    check_rate_unit(np.full(10, 0.0019), where, "decimal", hours=24.0)


def test_stored_hourly_funding_in_percent_is_refused_at_load(tmp_path, dataset_factory):
    ds = dataset_factory()
    idx = pd.date_range("2025-01-01", periods=24, freq="1h", tz="UTC", name="time")
    ds = ds.__class__(ds.name, ds.bars, pd.DataFrame({"rate": 0.00125, "mark_price": np.nan}, index=idx),
                      ds.iv, {**ds.manifest, "funding_interval_hours": 1})
    with pytest.raises(DataError, match=r"funding.parquet, column 'rate': median .* per 1 h interval"):
        write_dataset(ds, tmp_path)


# ------------------------------------------------------------------ IV range

@pytest.mark.parametrize("value, unit, pattern", [
    (0.0001, "decimal", r"implied volatility 0.0001 is below 0.05 as a decimal"),
    (0.049, "decimal", r"implied volatility 0.049 is below 0.05"),
    (4.9, "percent", r"implied volatility 4.9 % is below 5 %"),
    (0.45, "percent", r"implied volatility 0.45 is below 1.0 as percent; the file looks like decimals"),
    (3.5, "decimal", r"implied volatility 3.5 is above 3.0 as a decimal"),
])
def test_iv_out_of_range_is_refused(value, unit, pattern):
    with pytest.raises(DataError, match=r"iv.csv, row 2 .*column 'atm_iv': " + pattern):
        check_iv(np.array([0.5 if unit == "decimal" else 50.0, value]), Where("iv.csv"), unit)


def test_iv_at_the_bounds_passes():
    check_iv(np.array([MIN_IV, 3.0]), Where("iv.csv"), "decimal")
    check_iv(np.array([MIN_IV * 100, 300.0]), Where("iv.csv"), "percent")


def test_an_iv_file_of_0_0001_is_refused_at_import(tmp_path):
    (tmp_path / "p.csv").write_text("\n".join(hourly()) + "\n")
    (tmp_path / "iv.csv").write_text("time,iv\n2025-01-01T00:00:00Z,0.0001\n2025-01-01T01:00:00Z,0.0001\n")
    with pytest.raises(DataError, match=r"iv.csv, row 1 .*column 'iv': implied volatility 0.0001 is below 0.05"):
        import_files("p", tmp_path / "p.csv", iv=tmp_path / "iv.csv", store=tmp_path / "store")


# ------------------------------------------------------------------ the real data still passes

def test_the_embedded_crisis_2025_dataset_passes():
    ds = load("crisis-2025")            # load validates the whole dataset (validate_dataset)
    o, c = ds.bars["open"].to_numpy(), ds.bars["close"].to_numpy()
    assert np.max(np.maximum(o[1:] / c[:-1], c[:-1] / o[1:])) < JUMP_FACTOR


def _price_files():
    found = sorted(glob.glob(str(DATA / "crisis-2025*" / "*.csv")))
    return [f for f in found if {"open", "high", "low", "close"} <= set(pd.read_csv(f, nrows=0).columns.str.lower())]


@pytest.mark.parametrize("name", [p.split("/data/", 1)[1] for p in _price_files()] or ["(none)"])
def test_every_real_price_file_passes_the_scale_checks(shared_dir, name):
    assert name != "(none)", "no price files under ../shared/data"
    path = DATA / name
    frame = read_table(path, "prices file")
    roles = map_columns(frame, "prices", path)
    where = Where(str(path), columns=roles)
    bars = pd.DataFrame({k: to_numbers(frame[roles[k]], where, k) for k in ("open", "high", "low", "close")})
    check_ohlc(bars, where)


@pytest.mark.parametrize("name, unit", [
    ("crisis-2025/binance_btcusdt_funding_8h_official_flatfile_2025-09_2025-12_cheneau.csv", "decimal"),
    ("crisis-2025/binance_btcusdt_funding_8h_markprice_btspacec.csv", "decimal"),
    ("crisis-2025/binance_btcusdt_funding_8h_kalyar197.csv", "decimal"),
    ("crisis-2025-alts/binance_perp_ETHUSDT_funding_8h.csv", "decimal"),
    ("crisis-2025-alts/binance_perp_SOLUSDT_funding_8h.csv", "decimal"),
])
def test_real_funding_files_pass_the_unit_rule(shared_dir, name, unit):
    path = DATA / name
    frame = read_table(path, "funding file")
    roles = map_columns(frame, "funding", path)
    where = Where(str(path), columns=roles)
    rate = to_numbers(frame[roles["rate"]], where, "rate")
    check_rate_unit(rate, where, unit, 8.0)


@pytest.mark.parametrize("name", ["deribit_btc_dvol_1h_ohlc_lrud.csv", "deribit_btc_dvol_daily_kalyar197.csv"])
def test_real_dvol_files_pass_the_iv_range(shared_dir, name):
    path = shared_dir / name
    frame = read_table(path, "iv file")
    roles = map_columns(frame, "iv", path)
    where = Where(str(path), columns={"atm_iv": roles["iv"]})
    values = to_numbers(frame[roles["iv"]], where, "atm_iv")
    check_iv(values, where, "percent")
    assert values.min() / 100 >= MIN_IV


# ------------------------------------------------------------------ a silent exchange is given up in time

def test_a_silent_exchange_is_given_up_within_the_budget():
    """Each request to a server that never answers ends at ccxt's timeout (REQUEST_TIMEOUT_MS, 20 s): after
    tries ending at 20 s and 41 s (20 + 1 s backoff + 20), a third would end near 41 + 2 + 20.5 = 63.5 s,
    past FAIL_BUDGET_SECONDS (60): two tries, one backoff of 1 s, instead of 6 x 30 s plus 31 s of backoff."""
    import ccxt

    from hedgelab.data.fetch import FAIL_BUDGET_SECONDS, REQUEST_TIMEOUT_MS, FetchError, Retry
    assert (REQUEST_TIMEOUT_MS, FAIL_BUDGET_SECONDS) == (20_000, 60.0)
    now, sleeps = [0.0], []

    def silent():
        now[0] += REQUEST_TIMEOUT_MS / 1000
        raise ccxt.RequestTimeout("binanceusdm GET https://fapi.binance.com/fapi/v1/exchangeInfo timed out")

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds
    with pytest.raises(FetchError, match=r"failed after 2 tries in 41 s \(RequestTimeout"):
        Retry(sleep=sleep, clock=lambda: now[0])(silent)
    assert sleeps == [1.0]


def test_quick_failures_keep_all_their_retries():
    """Errors that come back at once (429s) are retried 5 times (1 + 2 + 4 + 8 + 16 s of backoff)."""
    import ccxt

    from hedgelab.data.fetch import FetchError, Retry
    now, sleeps = [0.0], []

    def busy():
        raise ccxt.DDoSProtection("429")

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds
    with pytest.raises(FetchError, match="failed after 5 retries"):
        Retry(sleep=sleep, clock=lambda: now[0])(busy)
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]
