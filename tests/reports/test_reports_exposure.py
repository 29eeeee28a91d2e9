"""Cumulative hedge costs are counted in the bar whose close or open they happened at."""
import numpy as np
import pandas as pd

from hedgelab.reports import exposure
from hedgelab.reports.run import RunRecord


def _run(events: list[tuple]) -> RunRecord:
    index = pd.date_range("2025-10-01", periods=4, freq="h", tz="UTC")
    ev = pd.DataFrame(events, columns=["time", "instrument", "kind", "amount"])
    ev["time"] = pd.to_datetime(ev["time"], utc=True)
    for col, value in (("strategy", "x"), ("side", ""), ("qty", 0.0), ("price", 0.0)):
        ev[col] = value
    return RunRecord(name="x", strategy="x", params={}, equity=pd.Series(100.0, index=index), events=ev,
                     capital=100.0)


def test_a_fee_paid_at_a_bars_close_counts_in_that_bar_and_funding_at_its_open_in_its_own():
    # engine/result.py: a fill and its fee at bar 0's close are stamped 01:00 (bar 1's open); the
    # funding settled at 01:00 belongs to bar 1; a liquidation and its fee during bar 2 carry 02:00.
    run = _run([("2025-10-01 01:00", "spot", "fill", -1000.0), ("2025-10-01 01:00", "spot", "fee", -1.0),
                ("2025-10-01 01:00", "perp", "funding", -2.0),
                ("2025-10-01 02:00", "perp", "liquidation", 0.0), ("2025-10-01 02:00", "perp", "fee", -4.0)])
    costs = exposure.cumulative_costs(run)
    np.testing.assert_array_equal(costs["fees"].to_numpy(), [1.0, 1.0, 5.0, 5.0])
    np.testing.assert_array_equal(costs["funding"].to_numpy(), [0.0, 2.0, 2.0, 2.0])
