"""Listing calendar, expiry choice, strike grid and input validation."""
import calendar
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from hedgelab.engine.nb.option_calendar import choose_expiry_nb, civil_from_days_nb, round_strike_nb
from hedgelab.engine.options import (OptionConfig, check_iv, check_positive, check_strike, listed_expiries,
                                     strike_step)
from hedgelab.core.errors import UserError

UTC = dt.timezone.utc


def ts(s):
    return pd.Timestamp(s, tz="UTC")


def reference_listing(t: dt.datetime, n_d=3, n_w=4, n_m=3, n_q=3):
    """Independent listing rule with the datetime/calendar modules: walk the days after t."""
    def last_friday(y, m):
        return max(d for d in range(1, calendar.monthrange(y, m)[1] + 1) if dt.date(y, m, d).weekday() == 4)
    out, nd, nw, nm, nq = set(), 0, 0, 0, 0
    day = t.date()
    while nd < n_d or nw < n_w or nm < n_m or nq < n_q:
        e = dt.datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
        if e > t:
            if nd < n_d:
                out.add(e); nd += 1
            if day.weekday() == 4:
                if nw < n_w:
                    out.add(e); nw += 1
                if day.day == last_friday(day.year, day.month):
                    if nm < n_m:
                        out.add(e); nm += 1
                    if day.month in (3, 6, 9, 12) and nq < n_q:
                        out.add(e); nq += 1
        day += dt.timedelta(days=1)
    return sorted(out)


def test_listing_on_crash_evening():
    # Fri 2025-10-10 21:00: dailies Oct 11-13; Fridays Oct 17, 24, 31, Nov 7; last Fridays Oct 31,
    # Nov 28, Dec 26; quarterly last Fridays Dec 26 2025, Mar 27 2026, Jun 26 2026 (checked on a calendar)
    want = ["2025-10-11", "2025-10-12", "2025-10-13", "2025-10-17", "2025-10-24", "2025-10-31",
            "2025-11-07", "2025-11-28", "2025-12-26", "2026-03-27", "2026-06-26"]
    assert listed_expiries("2025-10-10 21:00") == [ts(d + " 08:00") for d in want]


def test_expiry_at_exactly_now_has_expired():
    assert ts("2025-10-31 08:00") in listed_expiries("2025-10-31 07:59:59")
    assert ts("2025-10-31 08:00") not in listed_expiries("2025-10-31 08:00")


def test_listing_matches_independent_rule_on_many_dates():
    rng = np.random.default_rng(1)
    start = dt.datetime(2023, 1, 1, tzinfo=UTC)
    for h in rng.integers(0, 5 * 365 * 24, 60):
        t = start + dt.timedelta(hours=int(h), minutes=int(h % 60))
        got = [x.to_pydatetime() for x in listed_expiries(t)]
        assert got == reference_listing(t), t


def test_listing_counts_are_configurable():
    cfg = OptionConfig(n_daily=1, n_weekly=1, n_monthly=1, n_quarterly=1)
    t = dt.datetime(2025, 9, 1, 12, tzinfo=UTC)  # Monday
    got = [x.to_pydatetime() for x in listed_expiries(t, cfg)]
    assert got == reference_listing(t, 1, 1, 1, 1)
    # Sep 2 (daily), Sep 5 (weekly), Sep 26 (monthly and quarterly)
    assert got == [dt.datetime(2025, 9, d, 8, tzinfo=UTC) for d in (2, 5, 26)]


def test_civil_from_days_matches_datetime():
    for z in (-1, 0, 59, 11_016, 20_371, 20_454, 25_000):
        d = dt.date(1970, 1, 1) + dt.timedelta(days=z)
        assert civil_from_days_nb(z) == (d.year, d.month, d.day)


def test_choose_expiry_nearest_listed():
    t = ts("2025-10-10 21:00").timestamp()
    # 30 days -> Nov 9 21:00; listed neighbours Nov 7 (2.5 d before) and Nov 28 -> Nov 7
    assert choose_expiry_nb(t, 30.0) == ts("2025-11-07 08:00").timestamp()
    # 1 day -> Oct 11 21:00: Oct 11 08:00 is 13 h before, Oct 12 08:00 11 h after -> Oct 12
    assert choose_expiry_nb(t, 1.0) == ts("2025-10-12 08:00").timestamp()
    # 90 days -> Jan 8: Dec 26 (13.5 d before) beats Mar 27
    assert choose_expiry_nb(t, 90.0) == ts("2025-12-26 08:00").timestamp()
    # tie (12 h either side of Oct 11 20:00) goes to the later expiry
    t20 = ts("2025-10-10 20:00").timestamp()
    assert choose_expiry_nb(t20, 1.0) == ts("2025-10-12 08:00").timestamp()


def test_strike_grid():
    t = ts("2025-10-10 21:00")
    # last listed weekly is Nov 7: 500 USD up to it, 1,000 beyond
    assert strike_step(ts("2025-10-11 08:00"), t) == 500.0
    assert strike_step(ts("2025-11-07 08:00"), t) == 500.0
    assert strike_step(ts("2025-11-28 08:00"), t) == 1000.0
    e_near, e_far, t_s = ts("2025-11-07 08:00").timestamp(), ts("2025-11-28 08:00").timestamp(), t.timestamp()
    assert round_strike_nb(101_249.0, e_near, t_s) == 101_000.0
    assert round_strike_nb(101_250.0, e_near, t_s) == 101_500.0   # half-way rounds up
    assert round_strike_nb(101_250.0, e_far, t_s) == 101_000.0
    assert round_strike_nb(90.0, e_far, t_s) == 1_000.0            # never below one step


def test_check_strike_errors_or_snaps():
    t, e = ts("2025-10-10 21:00"), ts("2025-11-28 08:00")
    assert check_strike(101_000.0, e, t) == 101_000.0
    with pytest.raises(UserError, match=r"off the 1000 USD grid.*nearest listed strike 102000"):
        check_strike(101_600.0, e, t)
    assert check_strike(101_600.0, e, t, snap=True) == 102_000.0
    with pytest.raises(UserError, match="strike: must be a positive number"):
        check_strike(-100.0, e, t)
    with pytest.raises(UserError, match="expiry: .* is not after"):
        check_strike(100_000.0, ts("2025-10-10 08:00"), t)


def test_iv_and_positive_checks():
    assert check_iv(0.6) == 0.6
    with pytest.raises(UserError, match=r"iv: 60 looks like a percentage.*0\.6 for 60%"):
        check_iv(60.0)
    with pytest.raises(UserError, match="iv: must be a positive number"):
        check_iv(-0.2)
    with pytest.raises(UserError, match="forward"):
        check_positive("forward", math.nan)


def test_checks_accept_numpy_numbers_and_name_bad_times():
    assert check_positive("qty", np.int64(3)) == 3.0
    with pytest.raises(UserError, match="qty: must be a positive number"):
        check_positive("qty", True)
    with pytest.raises(UserError, match="expiry: cannot read 'soon'"):
        check_strike(100_000.0, "soon", "2025-10-10")
