"""The crisis of Oct-Nov 2025 on real Binance data (../shared): hourly spot bars with the spot low
standing in for the mark low, and the real settled funding (btspacec file: rate and settlement mark)."""
import numpy as np
import pandas as pd
import pytest

from hedgelab.engine import Costs, simulate
from hedgelab.engine.hooks import replay_nb
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import make_market

SPOT = "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv"
FUNDING = "binance_btcusdt_funding_8h_markprice_btspacec.csv"


def crisis_market(shared_dir, start, end):
    bars = pd.read_csv(shared_dir / SPOT, parse_dates=["open_time_utc"]).set_index("open_time_utc")
    bars.index = bars.index.tz_localize("UTC")
    bars = bars.loc[start:end]
    fund = pd.read_csv(shared_dir / FUNDING)
    fund.index = pd.to_datetime(fund.funding_time_ms, unit="ms", utc=True).dt.floor("h")
    fund = fund.reindex(bars.index)
    market = make_market(bars.open.to_numpy(), bars.high.to_numpy(), bars.low.to_numpy(), bars.close.to_numpy(),
                         start=bars.index[0], bar_seconds=3600, volume=bars.volume_btc.to_numpy(),
                         funding_rate=fund.funding_rate.to_numpy(), funding_price=fund.mark_price.to_numpy())
    assert np.array_equal(market.time_ns, bars.index.as_unit("ns").asi8)
    return market, bars, fund


def one_order(n, qty, leverage):
    """Open ``qty`` BTC at ``leverage`` at the first bar's close, then hold."""
    feats = np.full((n, 3), np.nan)
    feats[0] = [qty, np.nan, leverage]
    reb = np.zeros(n, bool)
    reb[0] = True
    return StrategySpec(replay_nb, np.zeros((1, 1)), feats, reb, ("x",), (f"{qty} BTC at {leverage}x",))


@pytest.mark.parametrize("leverage", [10.0, 2.0])
def test_long_from_oct6_through_the_crash(shared_dir, leverage):
    # The order runs at the close of the Oct 5 23:00 bar, i.e. at the Oct 6 00:00 open.
    market, bars, _ = crisis_market(shared_dir, "2025-10-05 23:00", "2025-11-30 23:00")
    assert bars.close.iloc[0] == pytest.approx(bars.open.iloc[1], rel=1e-6)
    res = simulate(market, one_order(len(bars), 1.0, leverage), venue="binance", at="2025-10-06",
                   capital=100_000.0)
    liq = res.events[res.events.kind == "liquidation"]
    if leverage == 10.0:
        assert len(liq) == 1
        assert liq.time.iloc[0] in (pd.Timestamp("2025-10-10 20:00", tz="UTC"),
                                    pd.Timestamp("2025-10-10 21:00", tz="UTC"))
        # It loses its isolated margin (~ 12,350 = 123,482 / 10) and no more.
        assert -liq.amount.iloc[0] == pytest.approx(bars.open.iloc[1] / 10, rel=0.01)
        assert res.perp_qty.iloc[-1, 0] == 0
    else:
        assert liq.empty and res.perp_qty.iloc[-1, 0] == pytest.approx(1.0)


def test_short_receives_the_settled_funding(shared_dir):
    # A 1 BTC short held from before the Sep 15 00:00 settlement to the end of Nov 30 receives
    # sum(rate * settlement mark) over the settlements from Sep 15 00:00 to Nov 30 16:00.
    market, bars, _ = crisis_market(shared_dir, "2025-09-14 23:00", "2025-11-30 23:00")
    res = simulate(market, one_order(len(bars), -1.0, 1.0), venue="binance", at="2025-09-15",
                   costs=Costs.zero(), capital=200_000.0)
    raw = pd.read_csv(shared_dir / FUNDING, parse_dates=["funding_time_utc"])
    raw = raw[(raw.funding_time_utc >= "2025-09-15") & (raw.funding_time_utc <= "2025-11-30 16:00")]
    expected = float((raw.funding_rate * raw.mark_price).sum())
    assert len(raw) == 76 * 3 + 3   # Sep 15 .. Nov 29: 76 days x 3, plus Nov 30 00/08/16
    assert res.summary.funding_pnl.iloc[0] == pytest.approx(expected, rel=1e-12)
    funding = res.events[res.events.kind == "funding"]
    assert len(funding) == len(raw)
    assert res.summary.liquidations.iloc[0] == 0
