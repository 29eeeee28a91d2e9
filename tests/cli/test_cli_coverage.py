"""Funding that starts after the prices is reported missing in `data show` and warned about in the report."""
import html

import numpy as np
import pandas as pd

from testkit import cli as h


def test_funding_starting_two_weeks_late_is_not_missing_zero(tmp_path, capsys):
    t = pd.date_range("2025-09-01", periods=30 * 24, freq="h", tz="UTC")
    p = 100_000 * np.exp(np.linspace(0, 0.05, len(t)))
    prices, funding = tmp_path / "p.csv", tmp_path / "f.csv"
    pd.DataFrame({"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "open": p, "high": p * 1.001, "low": p * 0.999,
                  "close": p, "volume": 1e4}).to_csv(prices, index=False)
    ft = pd.date_range("2025-09-15", "2025-09-30 16:00", freq="8h", tz="UTC")
    pd.DataFrame({"time": ft.strftime("%Y-%m-%dT%H:%M:%SZ"), "rate": 1e-4}).to_csv(funding, index=False)
    store = tmp_path / "store"
    rc, _, err = h.invoke(["data", "import", "late", "--prices", str(prices), "--funding", str(funding),
                           "--store", str(store)], capsys)
    assert rc in (0, None), err
    rc, out, err = h.invoke(["data", "show", "late", "--store", str(store)], capsys)
    assert rc in (0, None), err
    # Sep 1 00:00 .. Sep 30 23:00: 30 days x 3 = 90 settlements due; Sep 1 .. Sep 14 (42) are absent
    assert "missing settlements: 42" in out
    assert "missing 2025-09-01 00:00 .. 2025-09-14 16:00 UTC (42)" in out
    rc, _, err = h.invoke(["run", "hold", "--data", "late", "--store", str(store), "--out", str(tmp_path / "out"),
                           "--quiet", "--tearsheets", "0"], capsys)
    assert rc in (0, None), err
    page = html.unescape((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    assert "WARNING funding: 42 of 90 settlements due in the window are missing" in page
