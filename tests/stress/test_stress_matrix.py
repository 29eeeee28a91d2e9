"""The scenario matrix (stress/matrix.py) on a flat market, where every liquidation can be computed by hand.

On a flat 100,000 USD market the scenario path is the template itself (the window's texture is zero): the
close of bar t0 + k is 100,000 x (1 + the template's level at hour k), wicks where the template gives them.
An isolated position at leverage L on Binance's first tier (maintenance rate m = 0.4 %, engine/venues/
binance.toml) entered at E is liquidated when the mark reaches E (1 + 1/L) / (1 + m) (a short) or
E (1 - 1/L) / (1 - m) (a long): a rise of (1/L - m) / (1 + m), a fall of (1/L - m) / (1 - m).
"""
import math

import numpy as np

from hedgelab.strategies import get_strategy
from hedgelab.stress.matrix import AFTER_H, LEAD_DAYS, SCENARIOS, Row, plan, scenario_matrix

MMR = 0.004


def row(name, **params):
    cls = get_strategy(name)
    return Row(name, name, cls, cls.validate(params), "isolated")


def matrix(flat, rows, n=24 * 20):
    return scenario_matrix(rows, flat(n=n, price=100_000.0), venue="binance", capital=100_000.0)


def cell(m, run, scenario):
    c = m.cells[(m.cells["run"] == run) & (m.cells["scenario"] == scenario)]
    assert len(c) == 1
    return c.iloc[0]


# a plain isolated short: no cash kept for top-ups, never reset, never topped up
SHORT = dict(hedge_ratio=1.0, reserve=0.0, rebalance_hours=0.0, drift=100.0, topup_at=1.0)


def test_the_squeeze_liquidates_a_10x_short_where_the_hand_computation_says_and_spares_a_1_5x_one(flat):
    m = matrix(flat, [row("perp-hedge", leverage=10.0, **SHORT), row("leveraged-long", leverage=1.5)])
    t0 = int(LEAD_DAYS * 24)
    rise = (1 / 10 - MMR) / (1 + MMR)                      # 9.56 %
    # the squeeze's closes: +5 % at 6 h, +18 % at 24 h, linear between; the first bar whose high (its close,
    # closes rising) reaches the rise is bar t0 + k
    k = next(h for h in range(6, 25) if 0.05 + (h - 6) * 0.13 / 18 >= rise)
    assert k == 13
    short = cell(m, "perp-hedge", "squeeze-40")
    assert short["survival"] == 0 and short["liquidation_h"] == k + 1   # by the close of bar t0 + 13
    # a 1.5x short would need a rise of (1/1.5 - m) / (1 + m) = 66 %: the squeeze peaks at +40 %
    m15 = matrix(flat, [row("perp-hedge", leverage=1.5, **SHORT)])
    assert (1 / 1.5 - MMR) / (1 + MMR) > 0.40
    assert cell(m15, "perp-hedge", "squeeze-40")["survival"] == 1
    # and the rally is the long's gain: a loss below zero
    assert cell(m, "leveraged-long", "squeeze-40")["loss_usd"] < 0
    assert t0 == m.meta["t0"]


def test_oct10_liquidates_a_10x_long_in_the_21h_wick_and_its_x1_5_an_hour_earlier(flat):
    m = matrix(flat, [row("leveraged-long")])
    fall = (1 / 10 - MMR) / (1 - MMR)                       # 9.64 %
    # oct10-2025's lows from the day's prices (TIMELINE.md): the 20:00 hour to 113,039 and the 21:00 hour to
    # 102,000 on a day open of 121,662; x1.5 scales the levels
    low20, low21 = 113_039.0 / 121_662.0 - 1, 102_000.0 / 121_662.0 - 1
    assert -low20 < fall < -low21 and -1.5 * low20 > fall
    assert cell(m, "leveraged-long", "oct10-2025")["liquidation_h"] == 22
    assert cell(m, "leveraged-long", "oct10-2025-x1.5")["liquidation_h"] == 21
    for name in ("oct10-2025", "oct10-2025-x1.5", "covid-mar2020", "ftx-nov2022"):
        c = cell(m, "leveraged-long", name)
        assert c["survival"] == 0 and c["loss_usd"] > 0.9 * c["start_equity_usd"]


def test_cells_are_shares_of_starts_and_their_loss_is_start_minus_end_equity(flat):
    m = matrix(flat, [row("hold"), row("perp-hedge"), row("leveraged-long"), row("funding-carry")], n=24 * 30)
    assert len(m.cells) == 4 * len(SCENARIOS)
    for _, c in m.cells.iterrows():
        assert 0.0 <= c["survival"] <= 1.0 and c["survival"] == c["survived"] / c["starts"] and c["starts"] == 1
        assert math.isfinite(c["loss_usd"]) and c["loss_usd"] == c["start_equity_usd"] - c["end_equity_usd"]
        assert (c["survival"] == 1) == math.isnan(c["liquidation_h"])
    # hold has no perp: it cannot be liquidated, whatever the path
    assert (m.table("survival").loc["hold"] == 1.0).all()
    # every cell starts from the same equity per run: the bars before the start are the window's own
    assert (m.cells.groupby("run")["start_equity_usd"].nunique() == 1).all()
    assert list(m.table("loss_usd").columns) == list(SCENARIOS)


def test_a_scenario_that_does_not_fit_the_window_or_the_coin_is_said_not_run(flat):
    bars = plan(flat(n=24 * 12), "BTC").set_index("name")
    # 12 days of hourly bars: 7 days before the start, then oct10 (23 h) + 48 h fits, ftx (96 h) + 48 h does not
    assert bars.loc["oct10-2025", "skipped"] == "" and bars.loc["covid-mar2020", "skipped"] == ""
    # ftx: 7 days, its 96 h, 48 h after it and the bar it ends on: 313 h, 13.04 days, said rounded up
    assert bars.loc["ftx-nov2022", "skipped"].startswith("needs 13.1 days of bars (7 days before it, 48 h after")
    assert "the window has 12.0" in bars.loc["ftx-nov2022", "skipped"]
    assert bars.loc["covid-mar2020", "horizon_h"] == LEAD_DAYS * 24 + 48 + AFTER_H + 1
    eth = plan(flat(n=24 * 30), "ETH").set_index("name")
    assert eth.loc["support-80k", "skipped"] == "a BTC price level (the 80-83k band); this run trades ETH"
    assert (eth.drop(index="support-80k")["skipped"] == "").all()


def test_a_strategy_that_fails_on_a_scenario_path_is_named_and_the_others_stay(flat):
    class Broken:
        def spec(self, market, sets):
            raise RuntimeError("boom")
    m = matrix(flat, [Row("broken", "broken", Broken, {}, "isolated"), row("hold")])
    assert m.failures == {"broken": "RuntimeError: boom"}
    assert set(m.cells["run"]) == {"hold"} and np.isfinite(m.cells["loss_usd"]).all()
