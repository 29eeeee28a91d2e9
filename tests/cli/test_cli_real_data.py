"""The same comparison on REAL data imported from ../shared (Binance spot 1h, settled funding, DVOL 1h)."""

import pandas as pd
import pytest

from hedgelab.data import load
from hedgelab.strategies import BUILTINS

from testkit import cli as h

SPOT = "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv"
FUNDING = "binance_btcusdt_funding_8h_official_flatfile_2025-09_2025-12_cheneau.csv"
DVOL = "deribit_btc_dvol_1h_ohlc_lrud.csv"
_CACHE = {}


@pytest.fixture
def real(shared_dir, tmp_path_factory):
    """Import the real files into a temp store (via the CLI) and run the comparison once per module."""
    if "job" not in _CACHE:
        base = tmp_path_factory.mktemp("real")
        store = base / "store"
        rc, _, _ = h.invoke(["data", "import", "real", "--prices", str(shared_dir / SPOT),
                             "--funding", str(shared_dir / FUNDING), "--iv", str(shared_dir / DVOL),
                             "--store", str(store)])
        assert rc in (0, None)
        # the embedded dataset's range, so the two comparisons cover the same days
        start, end = embedded_range()
        out = base / "out"
        rc, _, _ = h.invoke(["compare", "--data", "real", "--store", str(store), "--start", start, "--end", end,
                             "--out", str(out), "--quiet"])
        _CACHE["job"] = (rc, out, store, *h.read_outputs(out))
    return _CACHE["job"]


def embedded_range():
    """First and last bar open of the embedded dataset (--start/--end are inclusive)."""
    index = load("crisis-2025").bars.index
    return index[0].isoformat(), index[-1].isoformat()


def real_bars(shared_dir) -> pd.DataFrame:
    df = pd.read_csv(shared_dir / SPOT)
    df.index = pd.to_datetime(df["open_time_utc"], utc=True)
    return df


def test_real_comparison_writes_every_strategy(real):
    rc, out, _, summary, events = real
    assert rc == 0
    h.check_files(out, summary, events)
    assert sorted(summary["strategy"]) == sorted(BUILTINS)
    # funding comes from the real settlements: a perp strategy receives or pays some
    assert (events["kind"] == "funding").any()


def test_real_hold_matches_the_csv(real, shared_dir):
    # Independent of the engine: hold's equity is its cash flows plus its coin at the last close of the CSV.
    _, _, _, summary, events = real
    bars = real_bars(shared_dir)
    start, end = embedded_range()
    bars = bars[(bars.index >= pd.Timestamp(start)) & (bars.index <= pd.Timestamp(end))]
    ev = events[events["strategy"] == "hold"]
    fill = ev[ev["kind"] == "fill"]
    # a market buy: the close plus a few basis points of spread and impact
    assert bars["close"].iloc[0] <= fill["price"].iloc[0] <= bars["close"].iloc[0] * 1.005
    expected = 100_000 + ev["amount"].sum() + fill["qty"].iloc[0] * bars["close"].iloc[-1]
    row = summary.set_index("strategy").loc["hold"]
    assert row["final_equity"] == pytest.approx(expected, rel=1e-9)


def test_real_10x_long_is_liquidated_on_oct_10(real, shared_dir, tmp_path, capsys):
    # Opened at the Oct 1 00:00 close of the real data. Its bankruptcy price, entry x 0.9, is above
    # the Oct 10 low, and no low between Oct 1 and Oct 9 comes within 2 % of it (the data says so
    # below), so it must be liquidated on Oct 10 and not before.
    _, _, store, _, _ = real
    bars = real_bars(shared_dir).loc["2025-10-01":"2025-10-20"]
    entry = bars["close"].iloc[0]
    assert bars.loc[:"2025-10-09", "low"].min() > entry * (1 - 0.1 + 0.02)
    assert bars.loc["2025-10-10", "low"].min() < entry * 0.9
    out = tmp_path / "out"
    rc, _, err = h.invoke(["run", "leveraged-long", "--data", "real", "--store", str(store),
                           "--start", "2025-10-01", "--end", "2025-10-20", "--out", str(out), "--quiet"], capsys)
    assert rc == 0, err
    summary, events = h.read_outputs(out)
    when = h.first_liquidation(events, "leveraged-long")
    assert when is not None and when.strftime("%Y-%m-%d") == "2025-10-10"
    assert summary.iloc[0]["liquidations"] >= 1
