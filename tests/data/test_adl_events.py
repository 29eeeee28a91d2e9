"""ADL events as data (data/adl.py): the embedded Oct 10 Hyperliquid facts against the published per-coin
file, a user's events file checked row by row, and events placed on the bars."""
import csv

import numpy as np
import pandas as pd
import pytest

from hedgelab.core.errors import DataError
from hedgelab.data import load
from hedgelab.data.adl import adl_arrays, check_events, events_for, read_events_file

COINS = ("BTC", "ETH", "SOL", "XRP", "DOGE", "BNB")


def test_the_embedded_events_are_the_published_per_coin_adl_notionals(shared_dir):
    alts = shared_dir.parent / "crisis-2025-alts"
    path = alts / "hyperliquid_2025-10-10_adl_by_coin.csv"
    published = {r["coin"]: float(r["adl_notional_usd"]) for r in csv.DictReader(path.open())}
    ticker = alts / "hyperliquid_2025-10-10_liquidation_and_adl_by_ticker.csv"
    window = {r["ticker"]: float(r["total_notional_usd"]) for r in csv.DictReader(ticker.open())}
    total = sum(window.values())
    events = load("crisis-2025").manifest["adl_events"]
    assert sorted(e["coin"] for e in events) == sorted(COINS)
    for e in events:
        assert e["venue"] == "hyperliquid" and e["side"] == "short"
        assert e["start"].startswith("2025-10-10T21:16:04") and e["end"].startswith("2025-10-10T21:26:57")
        assert e["notional_usd"] == pytest.approx(published[e["coin"]], abs=0.01)
        # the stated open-interest assumption: 13.8 B x the coin's share of the window's notional
        assert e["open_interest_usd"] == pytest.approx(13.8e9 * window[e["coin"]] / total, rel=1e-9)
        assert "assumption" in e["open_interest_source"] and "ConejoCapital" in e["source"]
    assert len(check_events(events, "embedded", coins=COINS)) == len(COINS)   # the checks a user's file meets


def _write(tmp_path, rows, header="venue,coin,start,end,side,notional_usd,open_interest_usd"):
    p = tmp_path / "adl.csv"
    p.write_text(header + "\n" + "\n".join(rows) + "\n")
    return p


GOOD = "hyperliquid,BTC,2025-10-10T21:16:04Z,2025-10-10T21:26:57Z,short,620e6,4.4e9"
WINDOW = dict(coins=("BTC", "ETH"), start=pd.Timestamp("2025-09-01", tz="UTC"),
              end=pd.Timestamp("2025-12-01", tz="UTC"))


@pytest.mark.parametrize("row, says", [
    ("hyperliquid,PEPE,2025-10-10T21:16:04Z,2025-10-10T21:26:57Z,short,1e6,1e9", "row 1, column coin: 'PEPE'"),
    ("hyperliquid,BTC,2025-10-10T21:16:04Z,2025-10-10T21:26:57Z,short,-5,1e9", "row 1, column notional_usd"),
    ("hyperliquid,BTC,2024-01-01T00:00:00Z,2024-01-01T00:10:00Z,short,1e6,1e9", "row 1, column start: .* outside the data"),
    ("hyperliquid,BTC,2025-10-10T21:16:04Z,2025-10-10T21:26:57Z,short,2e9,1e9", "row 1: notional_usd .* share above 1"),
    ("hyperliquid,BTC,2025-10-10T21:16:04Z,2025-10-10T21:26:57Z,sideways,1e6,1e9", "row 1, column side"),
    ("hyperliquid,BTC,yesterday,2025-10-10T21:26:57Z,short,1e6,1e9", "row 1, column start: 'yesterday'"),
])
def test_a_bad_events_file_is_one_line_naming_row_and_column(tmp_path, row, says):
    with pytest.raises(DataError, match=says) as exc:
        read_events_file(_write(tmp_path, [GOOD, row][1:]), **WINDOW)
    assert "\n" not in str(exc.value) and "adl.csv" in str(exc.value)


def test_a_file_with_wrong_columns_says_which_it_wants(tmp_path):
    with pytest.raises(DataError, match="columns must be venue, coin, start"):
        read_events_file(_write(tmp_path, [GOOD], header="venue,coin,when"), **WINDOW)


def test_events_go_to_the_bar_holding_their_start():
    t = (pd.date_range("2025-10-10 19:00", periods=5, freq="h", tz="UTC").as_unit("ns").asi8)
    evs = check_events([dict(venue="hyperliquid", coin="BTC", start="2025-10-10T21:16:04Z", end="2025-10-10T21:26:57Z",
                             side="short", notional_usd=1e8, open_interest_usd=1e9),
                        dict(venue="hyperliquid", coin="BTC", start="2025-10-10T21:40:00Z", end="2025-10-10T21:50:00Z",
                             side="short", notional_usd=5e7, open_interest_usd=1e9, price=101_000)], "test")
    side, share, price = adl_arrays(evs, t, 3600)
    assert np.isnan(side[[0, 1, 3, 4]]).all() and side[2] == -1.0
    assert share[2] == pytest.approx(0.15) and price[2] == 101_000.0     # two events of one bar: shares add
    assert events_for({"adl_events": evs}, "binance", "BTC") == []
