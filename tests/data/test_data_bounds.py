"""Issue 12, data rows: values that are not numbers, not plausible or not in the wrong unit are
refused at import AND at load with one line (file, row, column), exit 2, and nothing stored.

Bounds (hedgelab.data.validate): prices finite, > 0 and <= 1e9 USD unless ``--max-price``; funding
within +-3 % per interval and, over the file, in the unit it was said to be in; times between
1970-01-01 and 2262-04-11; input files up to 500 MB.
"""
import os

import numpy as np
import pandas as pd
import pytest

from hedgelab.cli import main
from hedgelab.data import load, read_dataset, write_dataset
from hedgelab.data.importer import import_files
from hedgelab.data.readers import MAX_INPUT_BYTES
from hedgelab.data.store import list_datasets
from hedgelab.data.validate import MIN_TYPICAL_PERCENT
from hedgelab.core.errors import DataError


def hourly_lines(n=24, row=None, start="2025-01-01"):
    """A valid hourly prices CSV (100/101/99/100.5); ``row=(k, "o,h,l,c")`` replaces data row k (from 1)."""
    t = pd.date_range(start, periods=n, freq="1h")
    lines = ["time,open,high,low,close"] + [f"{x:%Y-%m-%dT%H:%M:%SZ},100,101,99,100.5" for x in t]
    if row is not None:
        k, ohlc = row
        lines[k] = f"{t[k - 1]:%Y-%m-%dT%H:%M:%SZ},{ohlc}"
    return lines


def refused(argv, capsys) -> str:
    """The command exits 2 with one 'error:' line and no traceback; returns that line."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert "Traceback" not in err and err.startswith("error: ") and err.count("\n") == 1, err
    return err


def imports(tmp_path, name, lines, write_csv, *extra):
    return ["data", "import", name, "--prices", str(write_csv(f"{name}.csv", lines)), "--store",
            str(tmp_path / "store"), *extra]


@pytest.mark.parametrize("ohlc, column", [
    ("100,inf,99,100.5", "high"),           # the case: inf in a high
    ("inf,inf,inf,inf", "open"),            # all OHLC inf: the first column checked is named
    ("100,101,-inf,100.5", "low"),
    ("1e300,1e300,1e300,1e300", "open"),    # a price of 1e300
    ("100,2e9,99,100.5", "high"),           # above the 1e9 bound
])
def test_non_finite_or_absurd_prices_are_refused_at_import(tmp_path, write_csv, capsys, ohlc, column):
    err = refused(imports(tmp_path, "p", hourly_lines(row=(5, ohlc)), write_csv), capsys)
    assert "p.csv, row 5" in err and f"column '{column}'" in err
    assert ("not a finite number" in err) or ("plausible maximum" in err)
    assert list_datasets(tmp_path / "store") == []


def test_max_price_flag_admits_large_prices_and_every_load_checks_against_it(tmp_path, write_csv, capsys):
    # the whole series at 2e9 USD (one row at 2e9 among rows at 100 is a 1000x spike, refused on its own)
    lines = [line if k == 0 else ",".join([line.split(",")[0]] + ["2e9"] * 4)
             for k, line in enumerate(hourly_lines())]
    refused(imports(tmp_path, "big", lines, write_csv), capsys)
    assert main(imports(tmp_path, "big", lines, write_csv, "--max-price", "1e10")) == 0
    ds = load("big", tmp_path / "store")
    assert ds.manifest["max_price"] == 1e10 and ds.bars["high"].max() == 2e9
    refused(imports(tmp_path, "big2", lines, write_csv, "--max-price", "nan"), capsys)
    assert "at most 1e+12" in refused(imports(tmp_path, "big3", lines, write_csv, "--max-price", "1e300"), capsys)


def _stored(tmp_path, dataset_factory):
    store = tmp_path / "store"
    write_dataset(dataset_factory(), store)
    return store, store / "tiny" / "bars.parquet"


@pytest.mark.parametrize("value, words", [(np.inf, "not a finite number"), (1e300, "plausible maximum"),
                                          (np.nan, "missing price")])
def test_a_stored_dataset_edited_on_disk_is_refused_at_load(tmp_path, dataset_factory, capsys, value, words):
    store, bars_file = _stored(tmp_path, dataset_factory)
    bars = pd.read_parquet(bars_file)
    bars.iloc[7, bars.columns.get_loc("high")] = value
    bars.to_parquet(bars_file)
    with pytest.raises(DataError, match=r"bars\.parquet, row 8 .*column 'high'.*" + words):
        read_dataset("tiny", store)
    err = refused(["data", "show", "tiny", "--store", str(store)], capsys)
    assert "row 8" in err


def test_stored_funding_rate_inf_is_refused_at_load(tmp_path, dataset_factory):
    store = tmp_path / "store"
    fund = pd.DataFrame({"rate": [1e-4, np.inf], "mark_price": [np.nan, np.nan]},
                        index=pd.DatetimeIndex(["2025-01-01 08:00", "2025-01-01 16:00"], tz="UTC", name="time"))
    write_dataset(dataset_factory(funding=fund.iloc[:1]), store)
    fund.to_parquet(store / "tiny" / "funding.parquet")
    with pytest.raises(DataError, match=r"funding\.parquet, row 2 .*'rate'"):
        read_dataset("tiny", store)


# ---------------------------------------------------------------- funding units

def _funding(write_csv, rates, name="f.csv"):
    t = pd.date_range("2025-01-01", periods=len(rates), freq="8h")
    return write_csv(name, ["time,rate"] + [f"{x:%Y-%m-%dT%H:%M:%SZ},{r!r}" for x, r in zip(t, rates)])


def test_real_decimal_funding_told_percent_is_refused(tmp_path, shared_dir, capsys):
    """The real Binance file is decimal (median |rate| ~ 5e-5 per 8 h, far under the 0.0005 rule);
    told percent it would be stored 100x too small. Told decimal it imports."""
    prices = shared_dir / "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv"
    funding = shared_dir / "binance_btcusdt_funding_8h_markprice_btspacec.csv"
    raw = pd.read_csv(funding)["funding_rate"].abs().median()
    assert 0 < raw < MIN_TYPICAL_PERCENT  # the premise, from the file itself
    argv = ["data", "import", "real", "--prices", str(prices), "--funding", str(funding), "--store",
            str(tmp_path / "s")]
    err = refused(argv + ["--funding-unit", "percent"], capsys)
    assert "column 'funding_rate'" in err and "looks like decimals" in err and "--funding-unit decimal" in err
    assert list_datasets(tmp_path / "s") == []
    assert main(argv + ["--funding-unit", "decimal"]) == 0
    stored = read_dataset("real", tmp_path / "s").funding["rate"]
    assert np.isclose(stored.abs().median(), raw, rtol=0.2)   # the stored range is a sub-range


@pytest.mark.parametrize("unit, rates, ok", [
    ("percent", [0.01, 0.0081, -0.005, 0.01], True),            # Binance baseline in percent
    ("percent", [0.00125, 0.00125, 0.0009, 0.00125], True),     # Hyperliquid hourly baseline in percent
    ("percent", [0.0001, 0.000081, -0.00005, 0.0001], False),   # decimals told percent
    ("decimal", [0.01, 0.0081, -0.005, 0.01], False),           # percent told decimal (existing rule)
    ("percent", [0.0, 0.0, 0.0, 0.0], True),                    # all zero: no unit can be told, kept
])
def test_funding_unit_rule_by_median(tmp_path, write_csv, unit, rates, ok):
    prices = write_csv("p.csv", hourly_lines(n=32))
    run = lambda: import_files("f", prices, funding=_funding(write_csv, rates), funding_unit=unit,  # noqa: E731
                               store=tmp_path / "s")
    if ok:
        ds = run()
        scale = 100.0 if unit == "percent" else 1.0
        assert np.allclose(ds.funding["rate"].to_numpy(), np.array(rates) / scale)
    else:
        with pytest.raises(DataError, match="column 'rate'.*median"):
            run()


# ---------------------------------------------------------------- times and sizes

@pytest.mark.parametrize("first", ["2262-05-01T00:00:00Z", "2300-01-01 00:00Z", "1969-12-31T23:00:00Z"])
def test_times_outside_pandas_range_are_one_line(tmp_path, write_csv, capsys, first):
    lines = hourly_lines(n=4)
    lines[1] = first + lines[1][lines[1].index(","):]
    err = refused(imports(tmp_path, "t", lines, write_csv), capsys)
    assert "row 1" in err and "column 'time'" in err and "supported range 1970-01-01 .. 2262-04-11" in err


@pytest.mark.parametrize("epoch", ["99999999999999999999", "-86400000", "9300000000000"])
def test_epoch_times_outside_the_range_are_one_line(tmp_path, write_csv, capsys, epoch):
    lines = ["time,open,high,low,close", f"{epoch},100,101,99,100.5", f"{epoch},100,101,99,100.5"]
    err = refused(imports(tmp_path, "e", lines, write_csv), capsys)
    assert "row 1" in err and "outside the supported range" in err


def test_an_oversized_file_is_refused_before_reading(tmp_path, capsys):
    big = tmp_path / "big.csv"
    with open(big, "wb") as fh:  # sparse: the size is there, the disk blocks are not
        fh.truncate(2_000_000_000)
    assert big.stat().st_size > MAX_INPUT_BYTES
    err = refused(["data", "import", "big", "--prices", str(big), "--store", str(tmp_path / "s")], capsys)
    assert "2,000 MB is above the import limit of 500 MB" in err
    os.remove(big)



@pytest.mark.parametrize("unit, value, words", [
    ("percent", "1000", "above 300 %"),          # 1000 % IV told percent: no market quotes that
    ("decimal", "45", "looks like percent"),     # DVOL-style percent told decimal
    ("percent", "0.45", "looks like decimals"),  # a decimal told percent
    ("decimal", "inf", "not a finite number"),
])
def test_iv_values_outside_the_plausible_range_are_refused(tmp_path, write_csv, capsys, unit, value, words):
    prices = write_csv("p.csv", hourly_lines())
    iv = write_csv("iv.csv", ["time,iv", "2025-01-01T00:00:00Z,0.5" if unit == "decimal" else
                              "2025-01-01T00:00:00Z,50", f"2025-01-01T01:00:00Z,{value}"])
    err = refused(["data", "import", "v", "--prices", str(prices), "--iv", str(iv), "--iv-unit", unit,
                   "--store", str(tmp_path / "s")], capsys)
    assert "iv.csv, row 2" in err and "column 'iv'" in err and words in err
