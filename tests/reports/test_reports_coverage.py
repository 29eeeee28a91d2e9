"""Funding and IV coverage of a window: what is due, what is there, and which ranges are missing."""
import pandas as pd

from hedgelab.reports.coverage import funding_coverage, iv_coverage


def test_funding_that_starts_two_weeks_after_the_prices_is_reported_missing():
    # prices Sep 1 00:00 .. Nov 30 23:00; 8-hourly settlements (00/08/16 UTC) only from Sep 15
    start, end = pd.Timestamp("2025-09-01", tz="UTC"), pd.Timestamp("2025-11-30 23:00", tz="UTC")
    have = pd.date_range(pd.Timestamp("2025-09-15", tz="UTC"), end, freq="8h")
    cov = funding_coverage(have, 8, start, end)
    # 91 days x 3 settlements due; Sep 1 .. Sep 14 (14 days x 3 = 42) missing, as one range
    assert cov.expected == 91 * 3 and cov.present == 91 * 3 - 42
    assert cov.missing == [(start, pd.Timestamp("2025-09-14 16:00", tz="UTC"), 42)]
    assert cov.first == have[0] and not cov.complete


def test_a_hole_in_the_middle_and_a_full_file():
    start, end = pd.Timestamp("2025-10-01", tz="UTC"), pd.Timestamp("2025-10-03 23:00", tz="UTC")
    full = pd.date_range(start, end, freq="8h")
    assert funding_coverage(full, 8, start, end).complete
    holed = full.delete([3, 4])            # Oct 2 00:00 and 08:00
    cov = funding_coverage(holed, 8, start, end)
    assert cov.missing == [(full[3], full[4], 2)] and cov.present == len(full) - 2


def test_an_iv_gap_of_23_hours_is_found():
    start, end = pd.Timestamp("2025-10-01", tz="UTC"), pd.Timestamp("2025-10-04", tz="UTC")
    prints = pd.date_range(start, end, freq="h")
    prints = prints[(prints < pd.Timestamp("2025-10-02 01:00", tz="UTC")) | (prints >= pd.Timestamp("2025-10-03", tz="UTC"))]
    cov = iv_coverage(prints, start, end)
    # the last print before the hole is Oct 2 00:00, the next Oct 3 00:00: 24 h without a print
    assert cov.missing == [(pd.Timestamp("2025-10-02 00:00", tz="UTC"), pd.Timestamp("2025-10-03", tz="UTC"), 24)]
