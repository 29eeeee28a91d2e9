"""Time bounds of different kinds mix: a TOML date, a date string, a tz-aware Timestamp."""
import datetime as dt

import pandas as pd

from hedgelab.data import load
from hedgelab.data.align import slice_bars


def test_calendar_date_means_the_whole_day_like_its_string():
    ds = load("crisis-2025")
    by_date = slice_bars(ds, dt.date(2025, 10, 1), dt.date(2025, 10, 2))
    by_text = slice_bars(ds, "2025-10-01", "2025-10-02")
    # hourly bars: two whole days = 48 bars, opening 00:00 on Oct 1 to 23:00 on Oct 2
    assert len(by_date) == 48 and by_date.index.equals(by_text.index)
    assert by_date.index[-1] == pd.Timestamp("2025-10-02 23:00", tz="UTC")


def test_aware_start_with_a_date_string_end():
    ds = load("crisis-2025")
    start = pd.Timestamp("2025-10-01 05:00", tz="Europe/Paris")   # = 03:00 UTC (CEST, UTC+2)
    bars = slice_bars(ds, start, "2025-10-02")
    assert bars.index[0] == pd.Timestamp("2025-10-01 03:00", tz="UTC")
    assert bars.index[-1] == pd.Timestamp("2025-10-02 23:00", tz="UTC")
    assert len(bars) == 48 - 3
