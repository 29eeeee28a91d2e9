"""Hand-built bar scenarios, part 3: the inverse perp's BTC margin, and options bought and sold at the
model's ask / bid and settled at expiry.

Option rules (docs/mechanics.md "Options", spec §5, engine/nb/option_config.py defaults): Black-76 on the
forward (basis 0, r 0) with the surface vol; at the money (K = F) the smile multiplier is 1 and the vol is
the 30-day ATM level times (T / 30 days)^0.05 in a calm market; quotes = mid -/+ max(mid x (0.01 + 0.02
sigma) x (1 + 0.5 / sqrt(days)), 0.0001 BTC x F); trading fee = min(0.03 % of the index, 12.5 % of the
price) per BTC; at 08:00 UTC expiry the payoff on the delivery price (hourly bars: mean of the 07:00 bar's
index close and the 08:00 bar's index open) with a delivery fee min(0.015 % of it, 12.5 % of the payoff).
"""
import math

import numpy as np
import pytest

from hedgelab.engine import simulate
from hedgelab.engine.spec import StrategySpec
from testkit.replay import replay_with_options_nb
from testkit.scenarios import bars, costs, equity, events, run

CAP = 100_000.0
BUY, SELL, CALL, PUT = 1.0, -1.0, 1.0, -1.0
# Hourly bars from Monday 2025-10-06 00:00. An order at bar 0's close (01:00) for a 1-day tenor gets the
# listed daily nearest to Oct 7 01:00: Oct 7 08:00 (7 h after; the dailies are Oct 6, 7 and 8 at 08:00),
# 31 hours away. Bar 31 opens Oct 7 07:00, bar 32 at the 08:00 expiry.
MONDAY = "2025-10-06"
EXPIRY_BAR = 32
TENOR_DAYS = 31 / 24


def option_run(action, kind, settle_at=100_000.0, qty=1.0, n=36):
    """One option order at bar 0's close (strike = 1.0 x forward = 100,000); the index is 100,000 until
    bar 29 and ``settle_at`` from bar 30 on, so the delivery price is ``settle_at``."""
    close = np.where(np.arange(n) < 30, 100_000.0, settle_at)
    feats = np.full((n, 7), np.nan)
    feats[0, 2:] = [action, kind, 1.0, 1.0, qty]
    reb = np.zeros(n, bool)
    reb[0] = True
    spec = StrategySpec(replay_with_options_nb, np.zeros((1, 1)), feats, reb, ("x",), ("option",))
    m = bars(close, start=MONDAY, iv=np.full(n, 0.5))
    return simulate(m, spec, capital=CAP, costs=costs())


def atm_quote():
    """(bid, ask) of the 100,000 strike at bar 0's close, by hand: ATM call = put = F (2 N(s/2) - 1)."""
    sigma = 0.5 * (TENOR_DAYS / 30.0) ** 0.05
    s = sigma * math.sqrt(TENOR_DAYS / 365.0)
    mid = 100_000.0 * math.erf(s / 2 / math.sqrt(2.0))        # 2 N(s/2) - 1 = erf(s / (2 sqrt 2))
    half = max(mid * (0.01 + 0.02 * sigma) * (1 + 0.5 / math.sqrt(TENOR_DAYS)), 0.0001 * 100_000.0)
    return mid - half, mid + half


@pytest.mark.parametrize("kind", [CALL, PUT])
def test_an_atm_option_is_bought_at_the_models_ask_with_the_capped_fee(kind):
    # sigma = 0.5 x (1.2917 / 30)^0.05 = 0.4273, mid ~ 100,000 x sigma sqrt(T) x 0.3989 ~ 1,011, ask ~ 1,028.
    # Fee = min(0.0003 x 100,000 = 30, 0.125 x ask ~ 128) = 30. Premium cash flow = -ask.
    _, ask = atm_quote()
    res = option_run(BUY, kind)
    fill = events(res, "option_fill")
    assert fill["bar"].tolist() == [0] and fill["qty"][0] == 1.0
    assert fill["price"][0] == pytest.approx(ask, rel=1e-9)
    assert fill["amount"][0] == pytest.approx(-ask, rel=1e-9)
    assert events(res, "fee", "option")["amount"][0] == pytest.approx(-30.0, rel=1e-12)


def test_an_atm_put_is_sold_at_the_models_bid():
    # The same put sold: +bid, bid = mid - half spread; 100,000 of cash covers the standard IM
    # (max(0.15, 0.1) + mark ~ 0.16 BTC x 100,000), so nothing is cut.
    bid, _ = atm_quote()
    res = option_run(SELL, PUT)
    fill = events(res, "option_fill")
    assert fill["qty"][0] == -1.0
    assert fill["amount"][0] == pytest.approx(bid, rel=1e-9)
    assert len(events(res, "order_trimmed")) == 0


@pytest.mark.parametrize("action,kind,settle,payoff,fee", [
    # long put, delivery 96,000: +4,000; delivery fee min(0.015 % x 96,000 = 14.4, 12.5 % x 4,000) = 14.4
    (BUY, PUT, 96_000.0, 4_000.0, 14.4),
    # long call, delivery 104,000: +4,000; fee min(15.6, 500) = 15.6
    (BUY, CALL, 104_000.0, 4_000.0, 15.6),
    # long put out of the money at 104,000: nothing paid, no delivery fee
    (BUY, PUT, 104_000.0, 0.0, 0.0),
    # short put in the money at 96,000: pays 4,000 and the same 14.4 delivery fee
    (SELL, PUT, 96_000.0, -4_000.0, 14.4),
    # short call in the money at 100,500 (a small move): pays 500; fee min(15.075, 62.5) = 15.075
    (SELL, CALL, 100_500.0, -500.0, 15.075),
])
def test_expiry_settles_the_payoff_on_the_delivery_price(action, kind, settle, payoff, fee):
    res = option_run(action, kind, settle_at=settle)
    s = events(res, "option_settlement")
    assert s["bar"].tolist() == [EXPIRY_BAR]
    assert res.time[EXPIRY_BAR].isoformat() == "2025-10-07T08:00:00+00:00"
    assert s["price"][0] == pytest.approx(settle, rel=1e-15)
    assert s["amount"][0] == pytest.approx(payoff, rel=1e-12, abs=1e-12)
    fees = events(res, "fee", "option")
    assert fees["bar"].tolist() == ([0, EXPIRY_BAR] if fee else [0])
    if fee:
        assert fees["amount"].iloc[-1] == pytest.approx(-fee, rel=1e-12)
    # after expiry the account is cash only: the capital plus every option cash flow
    flows = events(res, instrument="option")["amount"].sum()
    assert equity(res)[-1] == pytest.approx(CAP + flows, rel=1e-12)
    assert res.option_value.iloc[-1, 0] == 0.0


# ---- the inverse perp -----------------------------------------------------------------------------------

def test_inverse_margin_is_held_in_btc_and_gains_with_the_price():
    # Deribit inverse 10x long 1 BTC at 100,000: 10,000 USD posted as 0.1 BTC. At 110,000 the margin is
    # worth 11,000 and the PnL q (P - E) / P BTC x P = 10,000: equity 90,000 + 11,000 + 10,000 = 111,000.
    # Closed at bar 2 at 110,000: cash gets 0.1 BTC x 110,000 + 10,000 back, the same 111,000.
    res = run(bars([100_000.0, 110_000.0, 110_000.0, 110_000.0]), {0: {"perp": 1.0, "lev": 10}, 2: {"perp": 0.0}},
              venue="deribit")
    assert equity(res)[1] == pytest.approx(111_000.0, rel=1e-13)
    assert events(res, "fill")["amount"][1] == pytest.approx(10_000.0, rel=1e-12)
    assert res.cash.iloc[2, 0] == pytest.approx(111_000.0, rel=1e-13)


def test_inverse_short_loses_less_in_usd_than_its_btc_margin_shrinks():
    # Deribit inverse 5x short 1 BTC at 100,000 (0.2 BTC margin). At 80,000: PnL in BTC
    # -1 x (80,000 - 100,000) / 80,000 = +0.25 BTC, so margin + PnL = 0.45 BTC = 36,000 USD;
    # equity = 80,000 cash + 36,000 = 116,000 (a linear short would show 120,000).
    res = run(bars([100_000.0, 80_000.0]), {0: {"perp": -1.0, "lev": 5}}, venue="deribit")
    assert equity(res)[1] == pytest.approx(116_000.0, rel=1e-13)
