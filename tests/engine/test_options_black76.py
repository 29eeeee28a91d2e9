"""Black-76 prices, greeks and implied vol against independent closed forms and finite differences."""
import math

import numpy as np
import pytest
from scipy.stats import norm

from hedgelab.engine.nb.black76 import (
    black76_greeks_nb, black76_greeks_vec_nb, black76_price_nb, black76_price_vec_nb,
    implied_vol_nb, implied_vol_vec_nb, inverse_delta_btc_nb, price_btc_nb, price_usd_from_btc_nb,
)

F = 100_000.0
STRIKES = [60_000.0, 90_000.0, 100_000.0, 110_000.0, 150_000.0]
TENORS = [1 / 365, 7 / 365, 30 / 365, 0.5, 2.0]
VOLS = [0.15, 0.45, 1.2]
DISCS = [1.0, math.exp(-0.05 * 0.5)]


def ref_price(f, k, t, s, call, d):
    # Textbook Black (1976): d1 = (ln(F/K) + s^2 T/2)/(s sqrt T), call = D (F N(d1) - K N(d2)),
    # put = D (K N(-d2) - F N(-d1)); computed with scipy's normal CDF, independent of the code.
    d1 = (math.log(f / k) + 0.5 * s * s * t) / (s * math.sqrt(t))
    d2 = d1 - s * math.sqrt(t)
    if call:
        return d * (f * norm.cdf(d1) - k * norm.cdf(d2))
    return d * (k * norm.cdf(-d2) - f * norm.cdf(-d1))


@pytest.mark.parametrize("disc", DISCS)
def test_put_call_parity_to_machine_precision(disc):
    # C - P = D (F - K) for every strike, tenor and vol
    for k in STRIKES:
        for t in TENORS:
            for s in VOLS:
                c = black76_price_nb(F, k, t, s, True, disc)
                p = black76_price_nb(F, k, t, s, False, disc)
                assert abs((c - p) - disc * (F - k)) <= 4e-16 * F * 4


def test_prices_match_independent_closed_form_on_a_grid():
    for k in STRIKES:
        for t in TENORS:
            for s in VOLS:
                for call in (True, False):
                    for d in DISCS:
                        want = ref_price(F, k, t, s, call, d)
                        got = black76_price_nb(F, k, t, s, call, d)
                        assert got == pytest.approx(want, rel=1e-10, abs=1e-9)


def test_hand_value_atm():
    # ATM with D=1: C = F (2 N(s sqrt(T)/2) - 1). s=0.5, T=1: N(0.25)=0.5987063256829237 -> C = 19741.265...
    assert black76_price_nb(F, F, 1.0, 0.5, True) == pytest.approx(100_000 * (2 * 0.5987063256829237 - 1), rel=1e-12)


def test_expired_or_zero_vol_is_discounted_intrinsic():
    assert black76_price_nb(F, 90_000.0, 0.0, 0.5, True) == 10_000.0
    assert black76_price_nb(F, 90_000.0, 0.0, 0.5, False) == 0.0
    assert black76_price_nb(F, 110_000.0, 0.5, 0.0, False, 0.99) == pytest.approx(0.99 * 10_000.0)
    assert black76_greeks_nb(F, 110_000.0, 0.0, 0.5, False) == (-1.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("call", [True, False])
@pytest.mark.parametrize("k,t,s", [(90_000.0, 30 / 365, 0.5), (100_000.0, 7 / 365, 0.8), (120_000.0, 0.5, 0.35)])
def test_greeks_match_finite_differences(call, k, t, s):
    r = 0.04
    disc = math.exp(-r * t)
    delta, gamma, vega, theta = black76_greeks_nb(F, k, t, s, call, disc)
    h = F * 1e-4
    pu = black76_price_nb(F + h, k, t, s, call, disc)
    p0 = black76_price_nb(F, k, t, s, call, disc)
    pd_ = black76_price_nb(F - h, k, t, s, call, disc)
    assert delta == pytest.approx((pu - pd_) / (2 * h), rel=1e-6)
    assert gamma == pytest.approx((pu - 2 * p0 + pd_) / h ** 2, rel=1e-4)
    dv = 1e-5
    vega_fd = (black76_price_nb(F, k, t, s + dv, call, disc) - black76_price_nb(F, k, t, s - dv, call, disc)) / (2 * dv)
    assert vega == pytest.approx(vega_fd * 0.01, rel=1e-6)  # vega per 0.01 vol
    # theta: value one calendar day later (T shrinks, discount follows exp(-r T)) minus today
    dt = 1e-4 / 365

    def v(tt):
        return black76_price_nb(F, k, tt, s, call, math.exp(-r * tt))
    theta_fd = (v(t - dt) - v(t + dt)) / (2 * dt) / 365
    assert theta == pytest.approx(theta_fd, rel=1e-5)


def test_delta_is_forward_delta_closed_form():
    # call delta = N(d1), put delta = N(d1) - 1 (D = 1); d1 for F=1e5, K=9e4, T=30/365, s=0.5
    t, s = 30 / 365, 0.5
    d1 = (math.log(F / 90_000) + 0.5 * s * s * t) / (s * math.sqrt(t))
    assert black76_greeks_nb(F, 90_000.0, t, s, True)[0] == pytest.approx(norm.cdf(d1), rel=1e-12)
    assert black76_greeks_nb(F, 90_000.0, t, s, False)[0] == pytest.approx(norm.cdf(d1) - 1, rel=1e-12)


def test_implied_vol_round_trips():
    for k in STRIKES:
        for t in TENORS:
            for s in VOLS:
                for call in (True, False):
                    p = black76_price_nb(F, k, t, s, call, 1.0)
                    intrinsic = max(F - k, 0.0) if call else max(k - F, 0.0)
                    if p - intrinsic < 1e-3:  # no readable time value (deep ITM/OTM, 1 day)
                        assert math.isnan(implied_vol_nb(p, F, k, t, call)) or \
                            abs(implied_vol_nb(p, F, k, t, call) - s) < 1e-3
                        continue
                    assert implied_vol_nb(p, F, k, t, call) == pytest.approx(s, abs=1e-9)


def test_implied_vol_rejects_impossible_prices():
    assert math.isnan(implied_vol_nb(-1.0, F, F, 0.1, True))
    assert math.isnan(implied_vol_nb(5_000.0, F, 90_000.0, 0.1, True))   # below intrinsic 10,000
    assert math.isnan(implied_vol_nb(F * 1.01, F, F, 0.1, True))         # above the forward
    assert math.isnan(implied_vol_nb(100.0, F, F, 0.0, True))            # no time left


def test_vectorized_wrappers_match_scalars():
    rng = np.random.default_rng(0)
    n = 50
    f = rng.uniform(80_000, 120_000, n)
    k = rng.uniform(80_000, 120_000, n)
    t = rng.uniform(5 / 365, 1.0, n)
    s = rng.uniform(0.2, 1.0, n)
    c = np.where(rng.random(n) > 0.5, 1.0, -1.0)
    d = np.ones(n)
    prices = black76_price_vec_nb(f, k, t, s, c, d)
    greeks = black76_greeks_vec_nb(f, k, t, s, c, d)
    for i in range(n):
        assert prices[i] == black76_price_nb(f[i], k[i], t[i], s[i], c[i] > 0, 1.0)
        assert tuple(greeks[i]) == black76_greeks_nb(f[i], k[i], t[i], s[i], c[i] > 0, 1.0)
    np.testing.assert_allclose(implied_vol_vec_nb(prices, f, k, t, c, d), s, atol=1e-9)


def test_inverse_conversions():
    p = black76_price_nb(F, 90_000.0, 30 / 365, 0.5, False)
    assert price_btc_nb(p, F) == p / F
    assert price_usd_from_btc_nb(price_btc_nb(p, F), F) == pytest.approx(p, rel=1e-15)
    # BTC value V/F: d(V/F)/dF = delta/F - V/F^2, so F * d(V/F)/dF = delta - V/F
    delta = black76_greeks_nb(F, 90_000.0, 30 / 365, 0.5, False)[0]
    h = 1.0
    fd = F * (black76_price_nb(F + h, 90_000.0, 30 / 365, 0.5, False) / (F + h)
              - black76_price_nb(F - h, 90_000.0, 30 / 365, 0.5, False) / (F - h)) / (2 * h)
    assert inverse_delta_btc_nb(delta, p, F) == pytest.approx(fd, rel=1e-6)
