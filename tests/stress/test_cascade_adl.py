"""The insurance fund and ADL of a stress cascade (stress/cascade.py): bad debt worked out by hand on a
one-entry book, a fund that covers it (no ADL event) and one it exhausts (an event for the shorts with
the share of the written rule), and the stress table's columns with ADL."""
import numpy as np
import pytest

import hedgelab
from hedgelab.stress.cascade import LEVERAGE_SHARES, Cascade
from hedgelab.strategies.testing import synthetic_market


def test_bad_debt_is_each_liquidated_rows_gap_below_its_bankruptcy_price():
    c = Cascade(sigma=0.01, volume_usd=1e9, oi_usd=1e9, long_share=1.0, oi_share=0.5)
    lev = np.array(list(LEVERAGE_SHARES), dtype=float)
    share = np.array(list(LEVERAGE_SHARES.values()))
    notional = 1e9 * share / share.sum()          # one entry at 100: the whole book
    gone = lev >= 10                               # the 10x, 20x, 50x and 100x rows
    trough = 85.0
    # per row: coins = notional / 100, bankruptcy 100 (1 - 1/L); bad debt where 85 is below it
    want = sum(n / 100 * max(100 * (1 - 1 / L) - trough, 0.0) for n, L, g in zip(notional, lev, gone) if g)
    debt, liquidated = c.bad_debt([100.0], gone, trough)
    assert debt == pytest.approx(0.5 * want) and liquidated == pytest.approx(0.5 * notional[gone].sum())


def _crash_path():
    m = synthetic_market([100.0] * 30)
    low = m.low.copy()
    low[20] = 80.0                                 # -20 % wick: triggers a cascade (TRIGGER -3 %)
    return m._replace(low=low, mark_low=low.copy(), index_low=low.copy())


def test_a_fund_that_covers_the_bad_debt_leaves_no_adl_event():
    c = Cascade(sigma=0.01, volume_usd=1e8, oi_usd=1e9, fund_usd=1e12, oi_share=0.2)
    out = c.apply(_crash_path())
    assert out.adl_side is None


def test_an_exhausted_fund_makes_an_adl_event_for_the_shorts_of_the_written_share():
    base = dict(sigma=0.01, volume_usd=1e8, oi_usd=1e9, oi_share=0.2)
    path = _crash_path()
    entries = path.close[max(0, 20 - 336):20]
    trough, _, after = Cascade(**base).run(path.open[20], path.low[20] / path.open[20] - 1, entries)
    fund = 1.0
    c = Cascade(**base, fund_usd=fund)
    debt, liquidated = c.bad_debt(entries, ~after, path.open[20] * (1 + trough))
    assert debt > fund
    out = c.apply(path)
    assert np.flatnonzero(np.isfinite(out.adl_side)).tolist() == [20] and out.adl_side[20] == -1.0
    book = 1e9 * c.long_share * 0.2
    assert out.adl_share[20] == pytest.approx(liquidated * (debt - fund) / debt / book)


def test_the_stress_table_gains_survival_and_es95_with_adl():
    res = hedgelab.stress("perp-hedge", method="shock", drop=-0.3, paths=4, horizon="5d", cascade=True,
                          venue="hyperliquid", start="2025-10-06", end="2025-10-15")
    row = res.table.iloc[0]
    assert {"survival_adl", "es95_loss_adl"} <= set(res.table.columns)
    assert 0.0 <= row["survival_adl"] <= 1.0 and np.isfinite(row["es95_loss_adl"])
    assert res.meta["adl"] == "share"
    plain = hedgelab.stress("perp-hedge", method="shock", drop=-0.3, paths=4, horizon="5d", cascade=True,
                            venue="hyperliquid", start="2025-10-06", end="2025-10-15", adl="off")
    assert "survival_adl" not in plain.table.columns
    # the columns without ADL are the same runs either way
    assert row["es95_loss"] == plain.table.iloc[0]["es95_loss"]
