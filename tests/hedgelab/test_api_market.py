"""``hedgelab.market(NAME, start, end)``: the aligned market a strategy sees, as pandas."""
import numpy as np
import pandas as pd
import pytest

import hedgelab
from hedgelab.data import align, load
from hedgelab.data.arrays import MarketArrays


def test_market_is_the_aligned_market_as_a_frame():
    frame = hedgelab.market("crisis-2025", "2025-10-10", "2025-10-11")
    arrays = align(load("crisis-2025"), "2025-10-10", "2025-10-11")
    assert list(frame.columns) == [f for f in MarketArrays._fields if f not in ("time_ns", "bar_seconds")]
    assert len(frame) == 48 and frame.index[0] == pd.Timestamp("2025-10-10", tz="UTC")   # two days, hourly
    assert (frame.index.asi8 == arrays.time_ns).all() and frame.attrs["bar_seconds"] == 3600
    np.testing.assert_array_equal(frame["close"].to_numpy(), arrays.close)
    np.testing.assert_array_equal(frame["funding_rate"].to_numpy(), arrays.funding_rate)
    assert frame.attrs["name"] == "crisis-2025" and frame.attrs["kind"] == "reconstruction"


def test_market_adl_columns_follow_the_venue():
    # crisis-2025 carries hyperliquid's Oct 10 ADL events; binance has none in the data
    on = hedgelab.market("crisis-2025", "2025-10-10", "2025-10-11", venue="hyperliquid")
    off = hedgelab.market("crisis-2025", "2025-10-10", "2025-10-11")
    assert on["adl_side"].notna().any() and off["adl_side"].isna().all()


def test_market_mistakes_are_user_errors():
    with pytest.raises(hedgelab.UserError, match=r"no-such-data"):
        hedgelab.market("no-such-data")
