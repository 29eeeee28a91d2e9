"""Hook memory: State.MEM0 .. MEM7 are NaN when a column starts, written only by the hook, and kept
from one hook call to the next, per column (engine/types.py)."""
import numpy as np
import pytest
from numba import njit

from hedgelab.engine import Costs, simulate
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import make_market
from hedgelab.engine.types import HOOK_SIG, MEMORY_SLOTS, Intent, State

COUNT, FIRST, FRESH = State.MEM0, State.MEM1, State.MEM2


@njit(HOOK_SIG, cache=True)
def count_and_remember_nb(i, state, params, features, intent):
    """Count the hook's calls (MEM0) and remember the first close (MEM1). On call number params[0]
    buy params[1] BTC spot; sell it all once the close is below params[2] x the first close. MEM2
    records whether every memory slot was NaN at the first call (the buy needs it)."""
    if state[COUNT] != state[COUNT]:
        fresh = 1.0
        for k in range(8):
            if state[State.MEM0 + k] == state[State.MEM0 + k]:
                fresh = 0.0
        state[COUNT] = 0.0
        state[FIRST] = state[State.CLOSE]
        state[FRESH] = fresh
    state[COUNT] += 1.0
    if state[COUNT] == params[0] and state[FRESH] == 1.0:
        intent[Intent.TARGET_SPOT] = params[1]
    if state[State.SPOT_QTY] > 0.0 and state[State.CLOSE] < params[2] * state[FIRST]:
        intent[Intent.TARGET_SPOT] = 0.0


def market():
    # 100,000 for 10 bars, up to 110,000 by bar 20, then down to 70,000 by bar 59.
    n = 60
    close = np.interp(np.arange(n), [0, 9, 20, 59], [100_000.0, 100_000.0, 110_000.0, 70_000.0])
    open_ = np.r_[close[0], close[:-1]]
    return make_market(open_, np.maximum(open_, close), np.minimum(open_, close), close)


def expected_trades(close, rebalance, nth, qty, frac):
    """Independent replay of the rule: (bar of the buy, bar of the sale) counting only hook calls."""
    calls = 0
    first = None
    held = 0.0
    buy = sell = None
    for i in np.flatnonzero(rebalance):
        if first is None:
            first = close[i]
        calls += 1
        target = None
        if calls == nth:
            target = qty
        if held > 0.0 and close[i] < frac * first:
            target = 0.0
        if target is not None and target != held:
            if target > held:
                buy = i
            else:
                sell = i
            held = target
    return buy, sell


PARAMS = np.array([[3.0, 1.0, 0.95], [5.0, 2.0, 0.8], [1.0, 0.5, 0.9], [12.0, 1.5, 0.75],
                   [7.0, 0.25, 0.85], [2.0, 3.0, 0.99]])


@pytest.mark.parametrize("every", [1, 3])
def test_memory_counts_calls_and_remembers_the_first_close_per_column(every):
    m = market()
    n = len(m.close)
    rebalance = np.zeros(n, bool)
    rebalance[1::every] = True  # the first call is not at bar 0: the first close is the first call's
    spec = StrategySpec(count_and_remember_nb, PARAMS.copy(), np.zeros((n, 1)), rebalance,
                        ("nth", "qty", "frac"), tuple(f"c{j}" for j in range(len(PARAMS))))
    res = simulate(m, spec, capital=1_000_000.0, costs=Costs.zero())
    ev = res.events
    spot = ev[(ev.kind == "fill") & (ev.instrument == "spot")]
    for j, (nth, qty, frac) in enumerate(PARAMS):
        buy, sell = expected_trades(m.close, rebalance, int(nth), qty, frac)
        assert buy is not None and sell is not None  # every column both buys and sells on this path
        fills = spot[spot.column == j]
        assert list(fills.bar) == [buy, sell]
        assert list(fills.qty) == pytest.approx([qty, -qty])
        # Between the two fills the column holds the bought qty, and nothing outside.
        held = res.spot_qty.iloc[:, j].to_numpy()
        np.testing.assert_array_equal(held[buy:sell], qty)
        assert held[:buy].max() == 0.0 and held[sell:].max() == 0.0


@njit(HOOK_SIG, cache=True)
def stamp_column_nb(i, state, params, features, intent):
    """Write this column's id (params[0]) into every memory slot; if any slot ever holds a value that
    is neither NaN (first call) nor its own id, buy 1 BTC spot (a leak from another column)."""
    for k in range(8):
        v = state[State.MEM0 + k]
        if v == v and v != params[0]:
            intent[Intent.TARGET_SPOT] = 1.0
        state[State.MEM0 + k] = params[0]


def test_columns_do_not_share_memory():
    assert MEMORY_SLOTS == 8 and State.MEM7 == State.MEM0 + MEMORY_SLOTS - 1
    m = market()
    n = len(m.close)
    k = 16
    spec = StrategySpec(stamp_column_nb, np.arange(1.0, k + 1.0).reshape(k, 1), np.zeros((n, 1)),
                        np.ones(n, bool), ("id",), tuple(f"c{j}" for j in range(k)))
    res = simulate(m, spec, capital=1_000_000.0, costs=Costs.zero())
    assert len(res.events) == 0
    # Chunked kernel calls (one state per column too) agree.
    res2 = simulate(m, spec, capital=1_000_000.0, costs=Costs.zero(), chunk_size=3)
    assert len(res2.events) == 0
