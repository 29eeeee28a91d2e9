"""Option legs in the kernel: a protective put bought at the ask, marked to model, settled at expiry."""
import numpy as np
import pandas as pd
import pytest
from numba import njit

from hedgelab.engine import Costs, simulate
from hedgelab.engine.nb.option_leg import option_contract_nb
from hedgelab.engine.options import OptionConfig
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import make_market
from hedgelab.engine.types import HOOK_SIG, Intent


@njit(HOOK_SIG, cache=True)
def buy_put_once_nb(i, state, params, features, intent):
    """At bar 0 buy params[2] BTC of a put at strike fraction params[0], tenor params[1] days."""
    if i == 0:
        intent[Intent.OPT1_ACTION] = 1.0
        intent[Intent.OPT1_TYPE] = -1.0
        intent[Intent.OPT1_STRIKE] = params[0]
        intent[Intent.OPT1_TENOR_DAYS] = params[1]
        intent[Intent.OPT1_QTY] = params[2]


def crash_market(n=24 * 16):
    # Hourly bars from Mon 2025-10-06 00:00: 100,000 for four days, then a fall to 80,000.
    close = np.where(np.arange(n) < 96, 100_000.0, 80_000.0)
    open_ = np.r_[close[0], close[:-1]]
    return make_market(open_, np.maximum(open_, close), np.minimum(open_, close), close, start="2025-10-06",
                       bar_seconds=3600, iv=np.full(n, 0.5))


def test_protective_put_pays_the_settlement_payoff():
    m = crash_market()
    n = len(m.close)
    spec = StrategySpec(buy_put_once_nb, np.array([[0.9, 7.0, 1.0]]), np.zeros((n, 1)), np.ones(n, bool),
                        ("strike", "tenor", "qty"), ("put",))
    res = simulate(m, spec, capital=100_000.0, costs=Costs.zero())
    ev = res.events
    fill = ev[ev.kind == "option_fill"]
    assert len(fill) == 1 and fill.qty.iloc[0] == 1.0
    assert fill.amount.iloc[0] == pytest.approx(-fill.price.iloc[0])
    # The contract, found independently with the options engineer's listing rule at bar 0's close.
    cfg = OptionConfig()
    t_close = m.time_ns[0] / 1e9 + 3600
    expiry_s, strike = option_contract_nb(cfg.to_array(), m.index_close[0], t_close, 0.9, 7.0)
    assert strike == pytest.approx(90_000) and pd.Timestamp(expiry_s, unit="s").hour == 8
    # Settled in the bar opening at the expiry; hourly-bar delivery price = mean of the 07:00 bar's
    # close and the 08:00 bar's open (80,000 both, after the fall).
    settle = ev[ev.kind == "option_settlement"]
    assert len(settle) == 1
    bar = int(settle.bar.iloc[0])
    assert m.time_ns[bar] / 1e9 == expiry_s
    s = (m.index_close[bar - 1] + m.index_open[bar]) / 2
    assert settle.price.iloc[0] == pytest.approx(s)
    assert settle.amount.iloc[0] == pytest.approx(max(strike - s, 0.0))   # 10,000 USD
    # The leg's PnL = -premium - fees + payoff - delivery fee, and it is all of the account's PnL.
    option_flows = ev[ev.instrument == "option"].amount.sum()
    assert res.summary.option_pnl.iloc[0] == pytest.approx(option_flows)
    assert res.equity.iloc[-1, 0] == pytest.approx(100_000.0 + option_flows)
    # Before expiry the equity is cash + the model value of the put, which rises in the crash.
    before = slice(0, bar)
    np.testing.assert_allclose(res.equity.iloc[before, 0] - res.cash.iloc[before, 0],
                               res.option_value.iloc[before, 0], rtol=0, atol=1e-7)  # 1e5-sized terms
    assert res.option_value.iloc[100, 0] > 5 * res.option_value.iloc[10, 0]
    assert res.option_value.iloc[-1, 0] == 0.0
