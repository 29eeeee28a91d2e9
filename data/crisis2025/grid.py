"""The hourly time grid of crisis-2025 and helpers to turn UTC times into grid positions."""
import numpy as np
import pandas as pd

START = pd.Timestamp("2025-09-01 00:00", tz="UTC")
N_BARS = 91 * 24          # Sep 1 00:00 .. Nov 30 23:00, hourly, stamped at bar open
BAR = pd.Timedelta("1h")
FUNDING_HOURS = 8         # Binance BTCUSDT settles at 00:00, 08:00, 16:00 UTC


def index() -> pd.DatetimeIndex:
    # nanosecond unit: MarketArrays.time_ns is int64 ns, and pandas 3 would otherwise pick us
    return pd.date_range(START, periods=N_BARS, freq="1h", name="time").as_unit("ns")


def hour(when: str) -> int:
    """Grid position of a UTC time: bar number for a bar open, point number for a boundary."""
    delta = pd.Timestamp(when, tz="UTC") - START
    assert delta % BAR == pd.Timedelta(0), when
    return int(delta // BAR)


def week_of_bar():
    """Week number (0..12) of each bar; weeks are 7 days from Monday Sep 1."""
    return np.arange(N_BARS) // (7 * 24)
