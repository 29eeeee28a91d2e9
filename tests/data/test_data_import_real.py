"""The shared real files import (API and CLI) and keep their values.

Expected numbers come from the files themselves, read here independently with the csv module, or
from SOURCES.md / TIMELINE.md in ../shared (Oct 10 spot low 102,000.00 in the 21:00 hour; perp low
101,516.5 at 21:20; DVOL daily close on Oct 10 = 44.11 = hourly close of the 23:00 candle).
"""
import csv

import numpy as np
import pandas as pd
import pytest

from hedgelab.cli import main
from hedgelab.data import align, import_files, load

SPOT = "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv"
PERP = "binance_btcusdt_perp_1m_2025-10-10_2036-2245utc_owlacar.csv"
CHENEAU = "binance_btcusdt_funding_8h_official_flatfile_2025-09_2025-12_cheneau.csv"
BTSPACEC = "binance_btcusdt_funding_8h_markprice_btspacec.csv"
DVOL_H = "deribit_btc_dvol_1h_ohlc_lrud.csv"
DVOL_D = "deribit_btc_dvol_daily_kalyar197.csv"


def rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def bar(ds, when):
    return ds.bars.loc[pd.Timestamp(when, tz="UTC")]


def test_spot_hourly_with_marked_funding_and_hourly_dvol(shared_dir, tmp_path):
    ds = import_files("spot", shared_dir / SPOT, funding=shared_dir / BTSPACEC, iv=shared_dir / DVOL_H,
                      store=tmp_path)
    raw = rows(shared_dir / SPOT)
    # Sep 1 .. Dec 15 = 30 + 31 + 30 + 15 = 106 days of 24 hourly bars
    assert len(ds.bars) == 106 * 24 == len(raw)
    assert ds.manifest["bar_size"] == "1h" and ds.manifest["kind"] == "imported"
    for col, src in (("open", "open"), ("high", "high"), ("low", "low"), ("close", "close"), ("volume", "volume_btc")):
        np.testing.assert_array_equal(ds.bars[col].to_numpy(), [float(r[src]) for r in raw])
    assert ds.bars.index[0] == pd.Timestamp(raw[0]["open_time_utc"], tz="UTC")
    oct10 = ds.bars.loc["2025-10-10"]
    assert oct10["low"].min() == 102_000.00 == bar(ds, "2025-10-10 21:00")["low"]
    # proxies: no mark or index series in a spot file
    np.testing.assert_array_equal(ds.bars["index_low"], ds.bars["low"])
    np.testing.assert_array_equal(ds.bars["mark_close"], ds.bars["close"])
    assert set(ds.manifest["proxies"]) == {"index", "mark"}
    assert "volume_btc" in ds.manifest["provenance"]["volume"]

    fraw = rows(shared_dir / BTSPACEC)
    # Sep 15 .. Dec 15 = 16 + 31 + 30 + 15 = 92 days x 3 settlements
    assert len(ds.funding) == 92 * 3 == len(fraw)
    assert ds.funding.index[0] == pd.Timestamp("2025-09-15 00:00", tz="UTC")  # file: 1757894400006 ms
    assert (ds.funding.index.minute == 0).all() and (ds.funding.index.second == 0).all()
    np.testing.assert_array_equal(ds.funding["mark_price"], [float(r["mark_price"]) for r in fraw])
    np.testing.assert_array_equal(ds.funding["rate"], [float(r["funding_rate"]) for r in fraw])
    assert any("set to the exact hour" in n for n in ds.manifest["notes"])
    assert ds.manifest["funding_interval_hours"] == 8

    m = align(load("spot", tmp_path))
    t0 = pd.Timestamp("2025-09-15 00:00", tz="UTC").value
    i = int(np.searchsorted(m.time_ns, t0))
    assert m.funding_rate[i] == float(fraw[0]["funding_rate"])
    assert m.funding_price[i] == float(fraw[0]["mark_price"])          # the settlement mark, not mark_open
    assert np.isnan(m.funding_rate[i + 1]) and m.funding_price[i + 1] == m.mark_open[i + 1]
    assert np.isfinite(m.funding_rate).sum() == 276

    draw = {r["datetime_utc"].removesuffix(" UTC"): float(r["dvol_close"]) for r in rows(shared_dir / DVOL_H)}
    t23 = int(np.searchsorted(m.time_ns, pd.Timestamp("2025-10-10 23:00", tz="UTC").value))
    assert m.iv[t23] == pytest.approx(0.4411)                         # 23:00 candle closes 44.11, known 24:00
    assert m.iv[t23 - 1] == pytest.approx(draw["2025-10-10 22:00:00"] / 100)
    assert "2025-10-15" in ds.manifest["iv_fill"]
    last = draw[max(draw)] / 100
    assert m.iv[-1] == pytest.approx(last) and np.isfinite(m.iv).all()


def test_spot_with_flatfile_funding_and_daily_dvol(shared_dir, tmp_path):
    ds = import_files("spot", shared_dir / SPOT, funding=shared_dir / CHENEAU, iv=shared_dir / DVOL_D,
                      store=tmp_path)
    # settlements Sep 1 00:00 .. Dec 15 16:00 (the bars' range): 106 days x 3; the file runs to Dec 31
    assert len(ds.funding) == 106 * 3
    fraw = [r for r in rows(shared_dir / CHENEAU) if r["calc_time_utc"] <= "2025-12-15 23:00:00"]
    np.testing.assert_array_equal(ds.funding["rate"], [float(r["last_funding_rate"]) for r in fraw])
    assert ds.funding["mark_price"].isna().all()
    assert any("outside the bars" in n for n in ds.manifest["notes"])

    # daily DVOL: the Oct 10 close (44.11) is known at the end of the day, 2025-10-11 00:00
    assert ds.iv.loc[pd.Timestamp("2025-10-11", tz="UTC"), "atm_iv"] == pytest.approx(0.4411)
    assert "known at candle open + 1D" in ds.manifest["provenance"]["iv.atm_iv"]
    daily = {r["date_utc"]: float(r["dvol_close"]) for r in rows(shared_dir / DVOL_D)}
    m = align(ds, "2025-10-10", "2025-10-10")
    assert len(m.time_ns) == 24
    assert m.iv[23] == pytest.approx(0.4411)                 # 23:00 bar closes at Oct 11 00:00
    assert m.iv[22] == pytest.approx(daily["2025-10-09"] / 100)
    # the daily file ends with the Nov 12 close, known Nov 13 00:00: carried forward after that
    assert "after 2025-11-13T00:00:00Z" in ds.manifest["iv_fill"]
    late = align(ds, "2025-11-30", "2025-11-30")
    assert np.allclose(late.iv, daily["2025-11-12"] / 100)
    # Sep 1 bars close before the first daily close is known (Sep 2 00:00), except the 23:00 bar
    early = align(ds, "2025-09-01", "2025-09-01")
    assert np.isnan(early.iv[:23]).all() and early.iv[23] == pytest.approx(daily["2025-09-01"] / 100)


def test_perp_minutes_and_resample_to_hours(shared_dir, tmp_path):
    ds = import_files("perp", shared_dir / PERP, store=tmp_path)
    raw = rows(shared_dir / PERP)
    assert len(ds.bars) == 130 == len(raw) and ds.manifest["bar_size"] == "1min"   # 20:36 .. 22:45
    lows = ds.bars["low"]
    assert lows.min() == 101_516.5 and lows.idxmin() == pd.Timestamp("2025-10-10 21:20", tz="UTC")
    np.testing.assert_array_equal(ds.bars["close"], [float(r["close"]) for r in raw])

    hourly = import_files("perp1h", shared_dir / PERP, store=tmp_path, bar_size="1h")
    # only the 21:00 hour is complete (20:36 start, 22:45 last bar); compute it independently
    sel = [r for r in raw if r["open_time_utc"].startswith("2025-10-10 21:")]
    assert len(sel) == 60 and list(hourly.bars.index) == [pd.Timestamp("2025-10-10 21:00", tz="UTC")]
    b = hourly.bars.iloc[0]
    assert b["open"] == float(sel[0]["open"]) and b["close"] == float(sel[-1]["close"])
    assert b["high"] == max(float(r["high"]) for r in sel) and b["low"] == 101_516.5
    assert b["volume"] == pytest.approx(sum(float(r["volume_btc"]) for r in sel))
    assert load("perp1h", tmp_path).manifest["bar_size"] == "1h"


@pytest.mark.parametrize("prices,funding,iv,expect_bars,expect_funding", [
    (SPOT, CHENEAU, DVOL_D, 2544, 318),
    (SPOT, BTSPACEC, DVOL_H, 2544, 276),
    (PERP, None, None, 130, 0),
])
def test_cli_imports_shared_files(shared_dir, tmp_path, capsys, prices, funding, iv, expect_bars, expect_funding):
    argv = ["data", "import", "real", "--prices", str(shared_dir / prices), "--store", str(tmp_path)]
    if funding:
        argv += ["--funding", str(shared_dir / funding)]
    if iv:
        argv += ["--iv", str(shared_dir / iv)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"imported real: {expect_bars} x" in out and "proxy mark" in out
    ds = load("real", tmp_path)
    assert len(ds.bars) == expect_bars and len(ds.funding) == expect_funding

    assert main(["data", "show", "real", "--store", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    for word in ("range:", "bars:", "gaps:      none", "funding:", "iv:", "iv_fill:", "proxies:", "provenance:"):
        assert word in shown
    assert main(["data", "list", "--store", str(tmp_path)]) == 0
    assert "real" in capsys.readouterr().out


def test_cli_col_override_and_iv_unit(shared_dir, tmp_path, capsys):
    """--col picks the string time column instead of the epoch one; --iv-unit percent on DVOL."""
    argv = ["data", "import", "daily", "--prices", str(shared_dir / SPOT), "--iv", str(shared_dir / DVOL_D),
            "--col", "iv.time=date_utc", "--iv-unit", "percent", "--store", str(tmp_path)]
    assert main(argv) == 0
    ds = load("daily", tmp_path)
    assert ds.iv.loc[pd.Timestamp("2025-10-11", tz="UTC"), "atm_iv"] == pytest.approx(0.4411)


def test_percent_funding_file_needs_funding_unit(shared_dir, tmp_path, capsys):
    """CoinGlass funding OHLC is in percent (SOURCES.md): refused as decimals, imported with the unit."""
    pct = shared_dir / "coinglass" / "btc_funding_8h_ohlc_pct_binance.csv"
    base = ["data", "import", "cg", "--prices", str(shared_dir / SPOT), "--funding", str(pct),
            "--col", "funding.time=time_utc", "--col", "funding.rate=close", "--store", str(tmp_path)]
    with pytest.raises(SystemExit) as exit_:
        main(base)
    assert exit_.value.code == 2 and "use --funding-unit percent" in capsys.readouterr().err
    assert main(base + ["--funding-unit", "percent"]) == 0
    raw = {r["time_utc"]: float(r["close"]) for r in rows(pct)}
    ds = load("cg", tmp_path)
    assert ds.funding.loc[pd.Timestamp("2025-09-01 08:00", tz="UTC"), "rate"] == pytest.approx(
        raw["2025-09-01 08:00"] / 100)
    assert "percent per interval / 100" in ds.manifest["provenance"]["funding.rate"]
