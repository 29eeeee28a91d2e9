"""Time parsing, column-role detection, parquet input and the gap-filling rule."""
import numpy as np
import pandas as pd
import pytest

from hedgelab.data import import_files, load
from hedgelab.data.readers import map_columns, parse_time
from hedgelab.data.validate import MAX_FILL_BARS, Where
from hedgelab.core.errors import DataError, UserError

# 2025-10-10 21:00 UTC written every accepted way; epoch values computed by hand:
# 2025-10-10 00:00 UTC = 1760054400 s (20371 days since 1970-01-01 x 86400), + 21 h = 1760130000.
SAME_INSTANT = ["2025-10-10 21:00:00", "2025-10-10T21:00:00Z", "2025-10-10T21:00:00+00:00",
                "2025-10-10 21:00:00 UTC", "2025-10-10T21:00", "1760130000", "1760130000000",
                "1760130000000000", "1760130000000000000"]


@pytest.mark.parametrize("text", SAME_INSTANT)
def test_time_formats_agree(text):
    idx = parse_time(pd.Series([text]), Where("f.csv"), "time")
    assert idx[0] == pd.Timestamp("2025-10-10 21:00", tz="UTC") and str(idx.tz) == "UTC"


def test_numeric_and_datetime_columns():
    where = Where("f.parquet")
    ms = parse_time(pd.Series([1760130000000, 1760133600000]), where, "t")
    assert list(ms) == [pd.Timestamp("2025-10-10 21:00", tz="UTC"), pd.Timestamp("2025-10-10 22:00", tz="UTC")]
    naive = parse_time(pd.Series(pd.to_datetime(["2025-10-10 21:00"])), where, "t")
    assert naive[0] == ms[0]
    berlin = pd.Series(pd.to_datetime(["2025-10-10 23:00"]).tz_localize("Europe/Berlin"))
    with pytest.raises(DataError, match="column 't': timestamps are in time zone Europe/Berlin, not UTC"):
        parse_time(berlin, where, "t")


@pytest.mark.parametrize("columns,expected", [
    (["open_time_utc", "open", "high", "low", "close", "volume_btc", "quote_volume_usdt"],
     {"time": "open_time_utc", "close": "close", "volume": "volume_btc"}),
    (["open_time", "o", "h", "l", "c", "vol"], {"time": "open_time", "open": "o", "low": "l", "volume": "vol"}),
    (["Timestamp", "Open", "High", "Low", "Close"], {"time": "Timestamp", "high": "High"}),
])
def test_price_roles_detected(columns, expected):
    roles = map_columns(pd.DataFrame(columns=columns, data=[[0] * len(columns)]), "prices", "f.csv")
    assert {k: roles[k] for k in expected} == expected


def test_funding_and_iv_roles_detected():
    f = map_columns(pd.DataFrame(columns=["fundingTime", "fundingRate", "markPrice"], data=[[0, 0, 0]]),
                    "funding", "f.csv")
    assert f == {"time": "fundingTime", "rate": "fundingRate", "mark_price": "markPrice"}
    i = map_columns(pd.DataFrame(columns=["timestamp_ms", "dvol_open", "dvol_close"], data=[[0, 0, 0]]),
                    "iv", "f.csv")
    assert i == {"time": "timestamp_ms", "iv": "dvol_close"}


def test_parquet_prices_with_mark_and_index(tmp_path):
    t = pd.date_range("2025-01-01", periods=10, freq="8h", tz="UTC")
    o = np.arange(10) + 100.0
    frame = pd.DataFrame({"timestamp": t, "open": o, "high": o + 1, "low": o - 1, "close": o,
                          "mark_open": o + 0.1, "mark_high": o + 1, "mark_low": o - 1, "mark_close": o,
                          "index_open": o - 0.1, "index_high": o + 1, "index_low": o - 1, "index_close": o})
    frame.to_parquet(tmp_path / "p.parquet")
    ds = import_files("pq", tmp_path / "p.parquet", store=tmp_path / "s")
    assert ds.manifest["bar_size"] == "8h" and ds.manifest["proxies"] == {}
    np.testing.assert_array_equal(ds.bars["mark_open"], o + 0.1)
    np.testing.assert_array_equal(ds.bars["index_open"], o - 0.1)
    assert (ds.bars["volume"] == 0).all() and "no volume column" in ds.manifest["provenance"]["volume"]


def test_short_gap_filled_flat_and_noted(write_csv, tmp_path):
    lines = ["time,open,high,low,close,volume"] + [
        f"2025-01-01 {h:02d}:00:00,{100 + h},{102 + h},{99 + h},{101 + h},10" for h in range(24)]
    del lines[6:9]                            # hours 05, 06, 07 missing: 3 bars
    ds = import_files("gappy", write_csv("gappy.csv", lines), store=tmp_path / "s")
    assert len(ds.bars) == 24
    filled = ds.bars.loc["2025-01-01 05:00":"2025-01-01 07:00"]
    # rule: flat bars at the previous close (04:00 close = 101 + 4), volume 0
    assert (filled[["open", "high", "low", "close", "mark_close", "index_open"]] == 105.0).all().all()
    assert (filled["volume"] == 0).all()
    assert ds.manifest["gaps"] == [{"after": "2025-01-01 04:00:00+00:00", "missing_bars": 3,
                                    "rule": "flat bars at the previous close, volume 0"}]
    assert any("gap of 3 bar(s)" in n for n in load("gappy", tmp_path / "s").manifest["notes"])


def test_gap_of_max_fill_is_filled_one_more_is_refused(write_csv, tmp_path):
    base = ["time,open,high,low,close"] + [f"2025-01-01 {h:02d}:00:00,100,101,99,100" for h in range(24)]
    ok = base[:2] + base[2 + MAX_FILL_BARS:]           # exactly MAX_FILL_BARS missing after 00:00
    assert len(import_files("ok", write_csv("ok.csv", ok), store=tmp_path / "s").bars) == 24
    bad = base[:2] + base[3 + MAX_FILL_BARS:]
    with pytest.raises(DataError, match=rf"bad\.csv, row 2 .*gap of {MAX_FILL_BARS + 1} missing bars"):
        import_files("bad", write_csv("bad.csv", bad), store=tmp_path / "s")


def test_blank_line_keeps_row_numbers(write_csv, tmp_path):
    lines = ["time,open,high,low,close"] + [f"2025-01-01 {h:02d}:00:00,100,101,99,100" for h in range(6)]
    lines[4] = ""                                          # data row 4 left blank in the file
    with pytest.raises(DataError, match=r"blank\.csv, row 4 .*column 'time': missing time"):
        import_files("b", write_csv("blank.csv", lines), store=tmp_path / "s")


def test_resample_coarser_than_funding_refused_before_write(write_csv, tmp_path):
    """8h funding cannot sit on 1d bars (08:00 and 16:00 fall inside a bar): refused, store untouched."""
    prices = ["time,open,high,low,close"] + [
        f"{t:%Y-%m-%d %H:%M:%S},100,101,99,100" for t in pd.date_range("2025-01-01", periods=72, freq="1h")]
    funding = ["time,rate"] + [f"{t:%Y-%m-%d %H:%M:%S},0.0001"
                               for t in pd.date_range("2025-01-01", periods=9, freq="8h")]
    store = tmp_path / "s"
    with pytest.raises(UserError, match="falls inside a 1D bar"):
        import_files("daily", write_csv("p.csv", prices), funding=write_csv("f.csv", funding),
                     bar_size="1d", store=store)
    assert not store.exists()
    ds = import_files("daily", write_csv("p.csv", prices), bar_size="1d", store=store)
    assert len(ds.bars) == 3 and ds.manifest["bar_size"] == "1D"


def test_bom_and_spaces_in_header(write_csv, tmp_path):
    lines = ["\ufeffTime, Open, High, Low, Close"] + [f"2025-01-01 0{h}:00:00,100,101,99,100" for h in range(4)]
    ds = import_files("bom", write_csv("bom.csv", lines), store=tmp_path / "s")
    assert len(ds.bars) == 4
