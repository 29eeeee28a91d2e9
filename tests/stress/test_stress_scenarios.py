"""Named scenarios, shocks and the liquidation cascade against the facts they encode.

Facts: Oct 10 2025 (TIMELINE.md, Binance spot 1h): day open 121,662, low 102,000.00 in the 21:00
hour (whose open was 114,266.82), day close 112,774.5; the support band 80-83k. Cascade: CoinGlass
all-exchange OI $85.8B -> $70.5B (-17.8 %) on Oct 10; the 21:00 hour's low -10.7 % against its open.
"""
import numpy as np
import pandas as pd
import pytest

from hedgelab.stress.cascade import Cascade
from hedgelab.stress.history import History
from hedgelab.stress.paths import FUNDING_BETA, IV_DOWN, IV_SPIKE
from hedgelab.stress.scenarios import NAMES, Scenario
from hedgelab.stress.seeds import rng_for
from hedgelab.stress.shock import Shock


def test_oct10_template_on_a_flat_market_gives_the_days_published_shape(flat):
    m = flat(n=48)
    p = Scenario("oct10-2025", at=0).path(m, rng_for(0, 0))
    scale = 100_000.0 / 121_662.0                  # the day's open mapped to the flat level
    assert p.low.min() == pytest.approx(102_000.0 * scale, rel=1e-9)
    assert int(np.argmin(p.low)) == 21             # in the 21:00 hour
    assert p.open[21] == pytest.approx(114_266.82 * scale, rel=2e-4)
    assert p.close[23] == pytest.approx(112_774.5 * scale, rel=2e-4)
    assert np.all(p.low <= np.minimum(p.open, p.close)) and np.all(p.high >= np.maximum(p.open, p.close))
    assert np.array_equal(p.mark_low, p.low) and np.array_equal(p.index_close, p.close)


def test_every_scenario_runs_and_support_80k_breaks_the_band(flat):
    m = flat(n=24 * 20, price=110_000.0)
    for name in NAMES:
        p = Scenario(name, at=0, margin=0.05).path(m, rng_for(1, 0))
        assert np.all(np.isfinite(p.close)), name
        if name == "squeeze-40":   # the one rally: it squeezes shorts instead of crashing longs
            assert p.high.max() > 1.35 * 110_000.0 and p.low.min() >= 110_000.0
        else:
            assert p.low.min() < 0.95 * 110_000.0, name
    p = Scenario("support-80k", at=0, walk_days=14, margin=0.05).path(m, rng_for(1, 0))
    assert p.low.min() == pytest.approx(80_000 * 0.95, rel=1e-9)
    assert p.close[14 * 24 + 1] == pytest.approx(80_000 * 0.975, rel=1e-9)
    assert 80_000 <= p.close[14 * 24 - 1] <= 83_000


def test_shock_wick_and_gap_with_iv_and_funding_response(flat):
    m = flat(n=72, funding_every=8)
    wick = Shock(drop=-0.10, at=10, kind="wick").path(m, rng_for(0, 0))
    gap = Shock(drop=-0.10, at=10, kind="gap", half_life_h=1e9).path(m, rng_for(0, 0))
    assert wick.low[10] == pytest.approx(90_000.0) and gap.low[10] == pytest.approx(90_000.0)
    assert wick.close[10] > 99_000.0 and gap.close[10] == pytest.approx(90_000.0)
    # IV: +0.78 (decimal) per unit log fall at the close, plus the wick spike (1.46 per unit of wick)
    assert gap.iv[10] - 0.5 == pytest.approx(-IV_DOWN * np.log(0.9), rel=1e-9)
    excess_wick = np.log(wick.close[10] / 90_000.0)
    assert wick.iv[10] - 0.5 == pytest.approx(-IV_DOWN * np.log(wick.close[10] / 1e5) + IV_SPIKE * excess_wick,
                                              rel=1e-9)
    assert wick.iv[14] < wick.iv[10]                # the spike is short-lived
    # funding falls with the crash: the next settlement (bar 16) is moved by beta * the 3-day return
    assert gap.funding_rate[16] == pytest.approx(0.0001 + FUNDING_BETA * np.log(0.9), rel=1e-9)
    assert np.isnan(gap.funding_rate[15])


def test_cascade_replays_oct10(real):
    bars, market = real
    h = History.of(market)
    c = Cascade.fit(h, market)
    t = int(np.searchsorted(bars.index, pd.Timestamp("2025-10-10 21:00", tz="UTC")))
    assert bars["open"].iloc[t] == 114_266.82
    real_trough = 102_000.0 / 114_266.82 - 1          # -10.7 %
    worst_close_hour = float(np.min(np.diff(np.log(bars["close"].to_numpy()))))
    assert worst_close_hour == pytest.approx(np.log(1 - 0.038), abs=0.002)   # the season's worst hour, -3.8 %
    trough, oi_drop, _ = c.run(114_266.82, np.expm1(worst_close_hour), market.close[t - 336:t])
    assert trough == pytest.approx(real_trough, abs=0.015)
    assert oi_drop == pytest.approx(1 - 70.5 / 85.8, abs=0.04)
    # and applied to a path: the same hour, started as a -3.8 % wick, is deepened to about the real low
    calm = market._replace(low=np.minimum(market.low, market.open), mark_low=np.minimum(market.mark_low, market.open))
    lo = market.open * np.where(np.arange(len(market.open)) == t, 1 - 0.038, 1.0)
    calm = calm._replace(low=np.minimum(calm.low, lo), mark_low=np.minimum(calm.mark_low, lo))
    calm = calm._replace(low=np.where(np.arange(len(lo)) == t, lo, np.maximum(calm.low, calm.open * 0.98)),
                         mark_low=np.where(np.arange(len(lo)) == t, lo, np.maximum(calm.mark_low, calm.open * 0.98)))
    deep = c.apply(calm)
    assert deep.low[t] / deep.open[t] - 1 == pytest.approx(real_trough, abs=0.02)


def test_oct10_x15_is_the_days_template_with_every_level_scaled_one_and_a_half_times(flat):
    # levels from the day's published prices (TIMELINE.md): 102,000 low on a 121,662 open, 112,774.5 close
    m = flat(n=48)
    p = Scenario("oct10-2025-x1.5", at=0).path(m, rng_for(0, 0))
    assert p.low.min() == pytest.approx(100_000.0 * (1 + 1.5 * (102_000.0 / 121_662.0 - 1)), rel=1e-9)
    assert int(np.argmin(p.low)) == 21
    assert p.close[23] == pytest.approx(100_000.0 * (1 + 1.5 * (112_774.5 / 121_662.0 - 1)), rel=2e-4)
    assert "1.5x" in Scenario("oct10-2025-x1.5").facts and "not a historical" in Scenario("oct10-2025-x1.5").facts


def test_the_squeeze_is_a_stated_synthetic_rally_to_plus_40_percent(flat):
    m = flat(n=24 * 5, price=100_000.0)
    s = Scenario("squeeze-40", at=2)
    p = s.path(m, rng_for(0, 0))
    # its facts give the shape: +22 % wick in the 24th hour, the +40 % peak wick in the 48th, +30 % held from 72 h
    assert p.high.max() == pytest.approx(140_000.0, rel=1e-9) and int(np.argmax(p.high)) == 2 + 48
    assert p.high[2 + 24] == pytest.approx(122_000.0, rel=1e-9)
    assert p.close[2 + 72] == pytest.approx(130_000.0, rel=1e-9) and p.close[-1] == pytest.approx(130_000.0, rel=1e-9)
    assert np.all(p.low >= 100_000.0) and np.all(p.mark_high == p.high) and np.all(p.index_high == p.high)
    assert "synthetic" in s.facts and "+40 %" in s.facts and s.last_hour == 72.0
    # IV falls on a rally (0.19 vol points per 1 %), it does not spike as on a crash
    assert p.iv[2 + 72] < p.iv[0]
