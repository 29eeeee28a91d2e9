"""The trace as an author reads it, on a two-leg put spread (tests/strategies/fixtures/put_spread.py):
memory slots by the names the strategy declared, each decision stamped at the bar's close (when its
orders fill, per the conventions), each option leg shown on its own (a spread's legs do not net to 0)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgelab.engine import simulate
from hedgelab.strategies import get_strategy
from hedgelab.strategies.testing import T0_S, synthetic_market

FIXTURES = Path(__file__).parents[1] / "strategies" / "fixtures"
HOUR = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def trace():
    spread = get_strategy("put-spread", strategies_dir=FIXTURES)
    # a flat 100,000 market from 2025-10-09 09:00, hourly: 1-day options expire at 08:00 UTC on
    # 10-10 (bar 23 opens then) and 10-11 (bar 47), and the spread is reopened at those bars' closes
    market = synthetic_market(np.full(60, 100_000.0))
    result = simulate(market, spread().spec(market, [{"tenor_days": 1.0}]), trace=True)
    return result.trace


def test_memory_slots_are_named_as_the_strategy_declared_them(trace):
    assert {"state.mem.opened_at", "state.mem.spreads_opened"} <= set(trace.columns)
    assert not {"state.mem0", "state.mem1"} & set(trace.columns)
    assert "state.mem2" in trace.columns   # a slot the strategy did not name keeps its number
    opened = trace[trace["option_filled"] != ""]
    assert list(opened["bar"]) == [0, 23, 47]
    assert list(opened["state.mem.spreads_opened"]) == [1.0, 2.0, 3.0]
    # the hook stored State.TIME_S, the bar's close in epoch seconds: bar 0 closes an hour after T0
    assert opened["state.mem.opened_at"].iloc[0] == T0_S + 3600


def test_decisions_and_their_fills_are_stamped_at_the_bar_close(trace):
    first = trace.iloc[0]
    assert first["bar_open"] == pd.Timestamp("2025-10-09 09:00", tz="UTC")
    assert first["time"] == pd.Timestamp("2025-10-09 10:00", tz="UTC")
    assert ((trace["time"] - trace["bar_open"]) == HOUR).all()
    # the expiry settles at its stamp, the bar's open (08:00), before the close's new fills
    row = trace.set_index("bar").loc[23, "events"]
    assert row.startswith("[2025-10-10 08:00] option_settlement option put 95,000 2025-10-10")
    assert "option_fill option put 95,000 2025-10-11 +0.9 @" in row


def test_each_option_leg_is_shown_on_its_own(trace):
    # spot: 90 % of 100,000 USD at 100,000 = 0.9 BTC; both legs on that quantity, strikes 0.95 and
    # 0.85 of the forward (100,000 on a flat market with funding near 0), expiring the next 08:00
    first = trace.iloc[0]
    assert first["spot_filled"] == pytest.approx(0.9, rel=1e-3)
    assert first["option_filled"] == "put 95,000 2025-10-10 +0.9; put 85,000 2025-10-10 -0.9"
    assert trace.set_index("bar").loc[47, "option_filled"] == "put 95,000 2025-10-12 +0.9; put 85,000 2025-10-12 -0.9"
    assert (trace.loc[~trace["bar"].isin([0, 23, 47]), "option_filled"] == "").all()
