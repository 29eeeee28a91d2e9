"""Issue 12: fuzzing the import readers and the command-line options (hypothesis, in-process).

Whatever the input, a command either succeeds (exit 0) with finite numbers, or refuses with one
'error:' line and exit 2. Never a traceback (any other exception fails the test), never a file or
folder left behind by a refusal. Example counts are kept small: the whole file runs in seconds.
"""
import json
import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hedgelab.data import read_dataset
from testkit import cli as h

FAST = settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture])

NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "1e300", "-0", "0", "abc", "1,5", "1e", "null",
                     "100", "101", "99", "100.5", "0.0001", "0.01", "0x10", "１００"]),
)
TIME_TEXT = st.one_of(
    st.sampled_from(["2025-01-01T00:00:00Z", "2025-01-01 01:00", "2025-01-01T02:00:00+00:00",
                     "2025-01-01T03:00:00+02:00", "2262-05-01T00:00:00Z", "1969-12-31T23:00:00Z",
                     "1735689600", "1735689600000", "1735689600000000000", "99999999999999999999",
                     "-1", "", "yesterday", "2025-13-45", "2025-01-01T00:00:00 UTC", "2025-01-01"]),
    st.integers(-10**19, 10**21).map(str),
    st.text(max_size=12),
)
PRICE_HEADERS = st.lists(st.sampled_from(["time", "open", "high", "low", "close", "volume", "mark_open",
                                          "mark_high", "mark_low", "mark_close", "price", "timestamp", ""]),
                         min_size=1, max_size=7)


def _hourly(n: int, start: str = "2025-01-01") -> list[str]:
    import pandas as pd
    return [f"{t:%Y-%m-%dT%H:%M:%SZ}" for t in pd.date_range(start, periods=n, freq="1h")]


def _csv(header, rows) -> str:
    return "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"


def _check(rc, out, err, store: Path, name: str):
    """The contract: exit 0 with a finite stored dataset, or exit 2 with one line and nothing stored."""
    assert "Traceback" not in err
    hidden = [p.name for p in store.iterdir() if p.name.startswith(".")] if store.exists() else []
    assert hidden == [], hidden
    if rc in (0, None):
        ds = read_dataset(name, store)
        for frame in (ds.bars, ds.funding.drop(columns="mark_price"), ds.iv):
            assert np.isfinite(frame.to_numpy("float64")).all()
        return
    assert rc == 2, (rc, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert not store.exists() or [p.name for p in store.iterdir()] == []


@FAST
@given(header=PRICE_HEADERS, n=st.integers(0, 6), cells=st.data())
def test_fuzz_price_files(capsys, header, n, cells):
    """Arbitrary column sets and cells, some rows valid, some not."""
    rows = []
    times = _hourly(n)
    for i in range(n):
        row = []
        for col in header:
            if col in ("time", "timestamp"):
                row.append(cells.draw(st.one_of(st.just(times[i]), TIME_TEXT)))
            else:
                row.append(cells.draw(st.one_of(st.just("100"), NUMBER_TEXT)))
        rows.append(row)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        prices = tmp / "p.csv"
        prices.write_text(_csv(header, rows), encoding="utf-8")
        store = tmp / "store"
        rc, out, err = h.invoke(["data", "import", "fz", "--prices", str(prices), "--store", str(store)], capsys)
        _check(rc, out, err, store, "fz")


@FAST
@given(rates=st.lists(NUMBER_TEXT, min_size=1, max_size=6), unit=st.sampled_from([None, "percent", "decimal"]),
       iv=st.lists(NUMBER_TEXT, min_size=1, max_size=4), iv_unit=st.sampled_from([None, "percent", "decimal"]),
       stamp=st.one_of(st.none(), TIME_TEXT))
def test_fuzz_funding_and_iv_files(capsys, rates, unit, iv, iv_unit, stamp):
    """Valid prices with arbitrary funding and IV values, units and a possibly broken stamp."""
    times = _hourly(48)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "p.csv").write_text(_csv(["time", "open", "high", "low", "close"],
                                        [[t, "100", "101", "99", "100.5"] for t in times]))
        f_times = times[::8][:len(rates)]
        if stamp is not None:
            f_times[0] = stamp
        (tmp / "f.csv").write_text(_csv(["time", "rate"], [[t, r] for t, r in zip(f_times, rates)]))
        (tmp / "iv.csv").write_text(_csv(["time", "iv"], [[t, v] for t, v in zip(times[::6], iv)]))
        store = tmp / "store"
        argv = ["data", "import", "fz", "--prices", str(tmp / "p.csv"), "--funding", str(tmp / "f.csv"),
                "--iv", str(tmp / "iv.csv"), "--store", str(store)]
        argv += ["--funding-unit", unit] if unit else []
        argv += ["--iv-unit", iv_unit] if iv_unit else []
        rc, out, err = h.invoke(argv, capsys)
        _check(rc, out, err, store, "fz")


ANY_NUMBER = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e6, 1e6),
                       st.sampled_from([0.0, 1.0, 1e300, -1e300]))


@FAST
@given(side=st.sampled_from(["long", "short"]), entry=ANY_NUMBER, qty=ANY_NUMBER,
       extra=st.lists(st.tuples(st.sampled_from(["--wallet", "--mmr", "--maint-amount", "--other-maint",
                                                  "--other-upnl", "--max-leverage", "--leverage"]), ANY_NUMBER),
                      max_size=3, unique_by=lambda t: t[0]),
       venue=st.sampled_from(["binance", "bybit", "hyperliquid", "deribit", "", "nope"]))
def test_fuzz_calc_liq(capsys, side, entry, qty, extra, venue):
    argv = ["calc", "liq", "--venue", venue, "--side", side, "--entry", repr(entry), "--qty", repr(qty),
            "--at", "2025-10-01", "--json"]
    for option, value in extra:
        argv += [option, repr(value)]
    if not any(o in ("--wallet", "--leverage") for o, _ in extra):
        argv += ["--leverage", "10"]
    rc, out, err = h.invoke(argv, capsys)
    assert "Traceback" not in err
    if rc in (0, None):
        answer = json.loads(out)
        for key in ("liquidation_price", "mmr", "maint_amount", "wallet"):
            value = answer.get(key)
            assert value is None or math.isfinite(value), (key, answer)
    else:
        assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, (rc, err)


CONFIG_VALUES = st.one_of(st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                          st.text(max_size=8), st.lists(st.integers(0, 3), max_size=2))


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return str(v)


@FAST
@given(items=st.dictionaries(st.sampled_from(["tearsheets", "start", "end", "quiet", "capital", "strategies",
                                              "margin_mode", "venue", "metric", "strategy", "bogus"]),
                             CONFIG_VALUES, max_size=3),
       capital=st.one_of(st.none(), ANY_NUMBER.map(repr)), tearsheets=st.one_of(st.none(), st.integers(-3, 3)))
def test_fuzz_backtest_options_and_config(capsys, items, capital, tearsheets):
    """Config files and flags, up to the data: ``--data`` names no dataset, so every input ends in a
    refusal (of the option, or of the missing dataset) before a kernel runs, and writes nothing."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = tmp / "c.toml"
        config.write_text("".join(f"{k} = {_toml_value(v)}\n" for k, v in items.items()))
        out = tmp / "out"
        argv = ["run", "hold", "--config", str(config), "--data", "no-such-data", "--store", str(tmp),
                "--out", str(out), "--quiet"]
        argv += ["--capital", capital] if capital is not None else []
        argv += ["--tearsheets", str(tearsheets)] if tearsheets is not None else []
        rc, _, err = h.invoke(argv, capsys)
        assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
        assert sorted(p.name for p in tmp.iterdir()) == ["c.toml"]


VENUE_KEYS = ["kind", "liquidation_rule", "funding_interval_hours", "funding_price", "liquidation_fee", "maker_fee",
              "taker_fee", "spot_fee", "partial_liquidation_above", "partial_liquidation_fraction",
              "backstop_mm_fraction", "taker_fe"]
VENUE_VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-2, 2), st.integers(-3, 200),
                         st.sampled_from(["linear", "inverse", "mm_at_liq", "close_at_mark", "mark", "abc", ""]),
                         st.booleans())


@FAST
@given(items=st.dictionaries(st.sampled_from(VENUE_KEYS), VENUE_VALUES, max_size=4),
       tiers=st.one_of(st.none(), st.tuples(st.lists(st.floats(-1, 1e7), min_size=1, max_size=3),
                                            st.lists(st.floats(-0.5, 1.5), min_size=1, max_size=3),
                                            st.lists(st.floats(-5, 200), min_size=1, max_size=3))),
       side=st.sampled_from(["long", "short"]))
def test_fuzz_venue_files(capsys, items, tiers, side):
    """User venue files with arbitrary rule values and tier tables: a liquidation price that is
    finite (or none), or one line naming the key."""
    text = 'base = "binance"\n' + "".join(f"{k} = {_toml_value(v)}\n" for k, v in items.items())
    if tiers is not None:
        floor, mmr, lev = tiers
        text += ('[[tiers]]\nsymbol = "BTC"\nvalid_from = 2025-01-01\nvalid_to = 2025-12-31\n'
                 f"floor = {[float(x) for x in floor]}\nmmr = {[float(x) for x in mmr]}\n"
                 f"max_leverage = {[float(x) for x in lev]}\n")
    with tempfile.TemporaryDirectory() as tmp:
        venue = Path(tmp) / "v.toml"
        venue.write_text(text)
        rc, out, err = h.invoke(["calc", "liq", "--venue", str(venue), "--side", side, "--entry", "100000",
                                 "--qty", "1", "--leverage", "10", "--at", "2025-10-01", "--json"], capsys)
    assert "Traceback" not in err
    if rc in (0, None):
        answer = json.loads(out)
        assert all(answer[k] is None or math.isfinite(answer[k]) for k in ("liquidation_price", "mmr", "wallet"))
    else:
        assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, (rc, err)


@FAST
@given(kind=st.sampled_from(["put", "call"]), strike=ANY_NUMBER, iv=ANY_NUMBER, days=st.one_of(st.none(), ANY_NUMBER),
       spot=st.one_of(st.none(), ANY_NUMBER), forward=st.one_of(st.none(), ANY_NUMBER), basis=ANY_NUMBER,
       rate=ANY_NUMBER)
def test_fuzz_calc_option(capsys, kind, strike, iv, days, spot, forward, basis, rate):
    argv = ["calc", "option", "--type", kind, "--strike", repr(strike), "--iv", repr(iv), "--basis", repr(basis),
            "--r", repr(rate), "--json"]
    for option, value in (("--days", days), ("--spot", spot), ("--forward", forward)):
        argv += [option, repr(value)] if value is not None else []
    rc, out, err = h.invoke(argv, capsys)
    assert "Traceback" not in err
    if rc in (0, None):
        answer = json.loads(out)
        assert all(math.isfinite(v) for v in answer.values() if isinstance(v, float)), answer
    else:
        assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, (rc, err)


@FAST
@given(bar_size=st.one_of(st.none(), st.sampled_from(["1h", "2h", "1d", "1min", "0h", "-1h", "1M", "abc", "", "3h"])),
       cols=st.lists(st.sampled_from(["close=price", "time=ts", "close=close", "x=y", "=", "funding.rate=r",
                                      "iv.iv=close", "volume=open"]), max_size=2),
       venue=st.sampled_from(["binance", "", "x" * 100]), name=st.sampled_from(["ok", "crisis-2025", "../x", "", "a b"]))
def test_fuzz_import_options(capsys, bar_size, cols, venue, name):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "p.csv").write_text(_csv(["time", "open", "high", "low", "close"],
                                        [[t, "100", "101", "99", "100.5"] for t in _hourly(30)]))
        store = tmp / "store"
        argv = ["data", "import", name, "--prices", str(tmp / "p.csv"), "--store", str(store), "--venue", venue]
        argv += ["--bar-size", bar_size] if bar_size is not None else []
        for c in cols:
            argv += ["--col", c]
        rc, out, err = h.invoke(argv, capsys)
        _check(rc, out, err, store, name)
