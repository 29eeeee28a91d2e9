"""The engine's assumptions reach the report of a run on an imported (real) dataset, not only the embedded
one: the dataset's funding interval when it differs from the venue's, and when events happen."""
import html

import numpy as np
import pandas as pd

from testkit import cli as h


def test_imported_eight_hourly_funding_on_an_hourly_venue_is_stated(tmp_path, capsys):
    t = pd.date_range("2025-10-01", periods=3 * 24, freq="h", tz="UTC")
    p = np.full(len(t), 100_000.0)
    prices, funding = tmp_path / "p.csv", tmp_path / "f.csv"
    pd.DataFrame({"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "open": p, "high": p, "low": p, "close": p,
                  "volume": 1e4}).to_csv(prices, index=False)
    ft = pd.date_range("2025-10-01", "2025-10-03 16:00", freq="8h", tz="UTC")
    pd.DataFrame({"time": ft.strftime("%Y-%m-%dT%H:%M:%SZ"), "rate": 1e-4}).to_csv(funding, index=False)
    store = tmp_path / "store"
    rc, _, err = h.invoke(["data", "import", "eight", "--prices", str(prices), "--funding", str(funding),
                           "--store", str(store)], capsys)
    assert rc in (0, None), err
    rc, _, err = h.invoke(["run", "hold", "--data", "eight", "--store", str(store), "--venue", "hyperliquid",
                           "--out", str(tmp_path / "out"), "--quiet", "--tearsheets", "0"], capsys)
    assert rc in (0, None), err
    page = html.unescape((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    # Hyperliquid settles hourly (spec §3); the imported funding is 8-hourly
    assert "Funding interval: hyperliquid pays hourly; this dataset's funding is 8-hourly" in page
    assert "Event times: fills, fees and margin moves are stamped at the bar's close" in page
    events = pd.read_csv(tmp_path / "out" / "events.csv", parse_dates=["time"])
    assert events["time"].min() == pd.Timestamp("2025-10-01 01:00", tz="UTC")  # the first bar's close
