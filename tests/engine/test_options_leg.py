"""Option legs as the kernel trades them: contract choice, bid/ask fills with fees, settlement."""
import math

import numpy as np
import pandas as pd
import pytest

from hedgelab.engine.nb.black76 import black76_price_nb
from hedgelab.engine.nb.option_leg import (option_contract_nb, option_fill_nb, option_mark_nb,
                                           option_settle_nb)
from hedgelab.engine.nb.option_rules import delivery_price_nb
from hedgelab.engine.nb.surface import surface_vol_nb
from hedgelab.engine.options import OptCfg, OptionConfig, stress_series

CFG = OptionConfig()
ARR = CFG.to_array()


def epoch(s):
    return pd.Timestamp(s, tz="UTC").timestamp()


def test_config_array_and_tuple_agree():
    assert ARR[OptCfg.SKEW] == CFG.skew and ARR[OptCfg.FEE_RATE] == 0.0003 and len(ARR) == OptCfg.N
    args = (False, 100_000.0, 90_000.0, 0.0, 30 * 86400.0, 0.45, 0.3)
    assert option_mark_nb(ARR, *args) == option_mark_nb(CFG, *args)


def test_contract_nearest_listed_expiry_and_grid_strike():
    # Fri 2025-10-10 22:00, spot 113,451.86, 90% put for 30 days: nearest listed expiry Nov 7
    # (Nov 9 22:00 wanted), a weekly -> 500 grid; 0.9 * 113,451.86 = 102,106.67 -> 102,000
    e, k = option_contract_nb(ARR, 113_451.86, epoch("2025-10-10 22:00"), 0.9, 30.0)
    assert e == epoch("2025-11-07 08:00") and k == 102_000.0
    # with a 10%/year basis the strike is a fraction of the forward: 0.9 * F(Nov 7) -> 1,000 grid for Dec 26
    cfg = CFG._replace(basis=0.10).to_array()
    t = epoch("2025-10-10 22:00")
    e, k = option_contract_nb(cfg, 113_451.86, t, 0.9, 80.0)
    f = 113_451.86 * math.exp(0.10 * (epoch("2025-12-26 08:00") - t) / 86400 / 365)
    assert e == epoch("2025-12-26 08:00") and k == round(0.9 * f / 1000) * 1000


def test_fill_buys_at_ask_sells_at_bid_and_pays_capped_fee():
    t, e = 0.0, 30 * 86400.0
    mid, *_ , sigma, fwd = option_mark_nb(ARR, False, 100_000.0, 90_000.0, t, e, 0.45, 0.2)
    assert mid == pytest.approx(black76_price_nb(100_000.0, 90_000.0, 30 / 365,
                                                 surface_vol_nb(0.45, 30.0, math.log(0.9), 0.2), False))
    half = mid * (0.01 + 0.02 * sigma) * (1 + 0.5 / math.sqrt(30.0))
    buy, fee_b, mid_b = option_fill_nb(ARR, False, 2.0, 100_000.0, 90_000.0, t, e, 0.45, 0.2)
    sell, fee_s, _ = option_fill_nb(ARR, False, -2.0, 100_000.0, 90_000.0, t, e, 0.45, 0.2)
    assert mid_b == mid and buy == pytest.approx(mid + half) and sell == pytest.approx(mid - half)
    # 0.03% of 100,000 = 30 USD per BTC < 12.5% of the price -> 60 USD for 2 BTC
    assert fee_b == pytest.approx(60.0) and fee_s == pytest.approx(60.0)
    # no IV: the order cannot be priced
    assert all(math.isnan(x) for x in option_fill_nb(ARR, False, 1.0, 1e5, 9e4, t, e, math.nan, 0.2))


def test_settlement_cash_and_delivery_fee():
    # long 2 puts K=10,000 at delivery 5,000: 2 * 5,000 USD (= 1 BTC each at 5,000, spec §7.3)
    cash, fee = option_settle_nb(ARR, False, 2.0, 10_000.0, 5_000.0)
    assert cash == 10_000.0 and fee == pytest.approx(2 * 0.00015 * 5_000.0)
    # short 1 call K=10,000 at 12,500 pays 2,500 (0.2 BTC); out of the money: nothing, no fee
    assert option_settle_nb(ARR, True, -1.0, 10_000.0, 12_500.0)[0] == -2_500.0
    assert option_settle_nb(ARR, True, 1.0, 10_000.0, 9_000.0) == (0.0, 0.0)


def test_protective_put_through_the_october_sell_off_pays_the_settlement_payoff(shared_dir):
    spot = pd.read_csv(shared_dir / "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv",
                       index_col="open_time_utc", parse_dates=True)
    dvol = pd.read_csv(shared_dir / "deribit_btc_dvol_1h_ohlc_lrud.csv")
    dvol.index = pd.to_datetime(dvol["timestamp_ms"], unit="ms")
    stress = pd.Series(stress_series(spot["close"].to_numpy(), 3600.0), index=spot.index)
    bar = pd.Timestamp("2025-10-03 08:00")       # decide at this bar's close (09:00)
    t = epoch("2025-10-03 09:00")
    s0, iv, st = spot.loc[bar, "close"], dvol.loc[bar, "dvol_close"] / 100, stress.loc[bar]
    assert (s0, iv) == (120_038.6, 0.3686)   # CSV rows 2025-10-03 08:00
    expiry, strike = option_contract_nb(ARR, s0, t, 0.95, 14.0)
    # 14 days -> Oct 17 09:00 wanted; Oct 17 08:00 is listed (weekly); 0.95 * 120,038.6 = 114,036.7 -> 114,000
    assert expiry == epoch("2025-10-17 08:00") and strike == 114_000.0
    qty = 1.5
    price, fee, _ = option_fill_nb(ARR, False, qty, s0, strike, t, expiry, iv, st)
    # delivery from hourly bars: mean of the Oct 17 07:00 bar close (105,633.75) and 08:00 bar open (105,633.75)
    time_ns = spot.index.tz_localize("UTC").as_unit("ns").asi8
    close, open_ = spot["close"].to_numpy(), spot["open"].to_numpy()
    delivery = delivery_price_nb(time_ns, 3600, open_, close, expiry)
    assert delivery == pytest.approx(105_633.75)
    cash, dfee = option_settle_nb(ARR, False, qty, strike, delivery)
    assert cash == pytest.approx(1.5 * (114_000.0 - 105_633.75))       # exactly the settlement payoff
    assert dfee == pytest.approx(1.5 * 0.00015 * 105_633.75)            # cap 12.5% of 8,366.25 not binding
    # leg PnL = premium paid + trading fee + payoff - delivery fee, and the hedge paid off here
    pnl = -qty * price - fee + cash - dfee
    assert pnl == pytest.approx(qty * (8_366.25 - price) - fee - dfee) and pnl > 0


def test_book_totals_and_margin_of_a_collar():
    # long 1 put K=90,000 and short 1 call K=110,000, 30 days, basis 5%/yr: totals are the leg sums
    from hedgelab.engine.nb.option_leg import option_book_nb, option_margin_nb
    cfg = CFG._replace(basis=0.05).to_array()
    e = 30 * 86400.0
    args = (100_000.0, 0.0, 0.45, 0.2)
    put = option_mark_nb(cfg, False, 100_000.0, 90_000.0, 0.0, e, 0.45, 0.2)
    call = option_mark_nb(cfg, True, 100_000.0, 110_000.0, 0.0, e, 0.45, 0.2)
    kind, strike = np.array([-1.0, 1.0, 1.0]), np.array([90_000.0, 110_000.0, 50_000.0])
    expiry, qty = np.array([e, e, -1.0]), np.array([1.0, -1.0, 5.0])   # third leg expired: skipped
    value, delta, gamma, vega, theta, im, mm = option_book_nb(cfg, kind, strike, expiry, qty, 3, *args)
    fwd = put[6]
    assert value == pytest.approx(put[0] - call[0])
    # spot delta = forward delta * dF/dS = forward delta * F / S
    assert delta == pytest.approx((put[1] - call[1]) * fwd / 100_000.0)
    assert vega == pytest.approx(put[3] - call[3]) and theta == pytest.approx(put[4] - call[4])
    # only the short call carries margin: OTM/S = 0.1 -> IM = (0.1 + mark_btc) * S, MM = (0.075 + mark_btc) * S
    mark_btc = call[0] / fwd
    assert (im, mm) == (pytest.approx((0.1 + mark_btc) * 1e5), pytest.approx((0.075 + mark_btc) * 1e5))
    assert option_margin_nb(cfg, False, 1.0, 1e5, 9e4, put[0], fwd) == (0.0, 0.0)


def test_validate_option_config():
    from hedgelab.engine.options import validate_option_config
    from hedgelab.core.errors import UserError
    assert validate_option_config(CFG) is CFG
    for kw, msg in [({"fee_rate": 0.03}, "options.fee_rate"), ({"n_weekly": 2.5}, "options.n_weekly"),
                    ({"vol_floor": 12.0}, "options.vol_floor"), ({"inverse": 2.0}, "options.inverse"),
                    ({"r": math.nan}, "options.r"),
                    ({"n_daily": 0, "n_weekly": 0, "n_monthly": 0, "n_quarterly": 0}, "at least one expiry")]:
        with pytest.raises(UserError, match=msg):
            validate_option_config(CFG._replace(**kw))


def test_describe_options_states_the_delivery_rule_for_the_bar_size():
    from hedgelab.engine.options import describe_options
    hourly, minute = describe_options(CFG, 3600.0), describe_options(CFG, 60.0)
    assert any("open of the 08:00 bar" in line for line in hourly)
    assert any("30 bars closing in the 30 min before 08:00" in line for line in minute)
    assert any("interpolated linearly" in line for line in describe_options(CFG, 86400.0))
    assert any("inverse" in line for line in hourly)
    assert any("linear" in line for line in describe_options(CFG._replace(inverse=0.0)))


def test_contract_rejects_unusable_intents():
    t = epoch("2025-10-10 22:00")
    for frac, tenor in [(90_000.0, 30.0), (0.0, 30.0), (0.9, 0.0), (0.9, math.nan), (math.nan, 30.0)]:
        assert all(math.isnan(v) for v in option_contract_nb(ARR, 113_451.86, t, frac, tenor))
