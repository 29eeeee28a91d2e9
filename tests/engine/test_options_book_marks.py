"""The kernel's every-bar option mark (``legs.book_nb``) is the full pricer's to the bit.

``book_nb`` prices each leg with ``option_value_nb`` (price and delta only, from one d1) and reads the
settings from a tuple; the expected numbers come from the full pricer ``option_book_nb`` (all greeks,
settings array) and from ``black76_price_nb`` / ``black76_greeks_nb``, computed independently here.
"""
import math

import numpy as np
import pytest

from hedgelab.engine.nb.black76 import black76_greeks_nb, black76_price_delta_nb, black76_price_nb
from hedgelab.engine.nb.legs import MAX_LEGS, Leg, book_nb
from hedgelab.engine.nb.option_leg import option_book_nb, option_config_tuple_nb
from hedgelab.engine.options import OptionConfig

DAY = 86400.0
T0 = 1_760_000_000.0  # 2025-10-09, an arbitrary bar close


def _bits(x):
    return np.float64(x).tobytes()


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize("forward,strike,tenor,sigma,disc", [
    (100_000.0, 90_000.0, 30 / 365, 0.45, 1.0),       # OTM put / ITM call
    (100_000.0, 130_000.0, 7 / 365, 0.9, 0.999),      # deep OTM call, a discount
    (100_000.0, 100_000.0, 1 / 365 / 24, 0.3, 1.0),   # ATM, one hour
    (100_000.0, 60_000.0, 0.5, 0.05, 0.98),           # deep ITM put side, low vol
    (100_000.0, 95_000.0, 0.0, 0.5, 1.0),             # expired: intrinsic
    (100_000.0, 105_000.0, 0.1, 0.0, 1.0),            # zero vol: intrinsic
])
def test_price_delta_is_price_and_greeks_delta_to_the_bit(is_call, forward, strike, tenor, sigma, disc):
    price, delta = black76_price_delta_nb(forward, strike, tenor, sigma, is_call, disc)
    assert _bits(price) == _bits(black76_price_nb(forward, strike, tenor, sigma, is_call, disc))
    assert _bits(delta) == _bits(black76_greeks_nb(forward, strike, tenor, sigma, is_call, disc)[0])


def _legs():
    legs = np.zeros((MAX_LEGS, Leg.N))
    rows = [(-1.0, 90_000.0, T0 + 30 * DAY, 0.5),     # long put
            (1.0, 115_000.0, T0 + 30 * DAY, -0.5),    # short call (collar)
            (-1.0, 80_000.0, T0 + 2 * DAY, -0.25),    # short put, near expiry
            (1.0, 100_000.0, T0 - DAY, 0.3)]          # expired, not yet settled: counted, not marked
    for k, (kind, strike, expiry, qty) in zip((0, 2, 3, 6), rows):  # free slots in between
        legs[k, Leg.KIND], legs[k, Leg.STRIKE], legs[k, Leg.EXPIRY_S], legs[k, Leg.QTY] = kind, strike, expiry, qty
    return legs


@pytest.mark.parametrize("cfg", [OptionConfig(), OptionConfig(basis=0.05, r=0.03, inverse=0.0)])
@pytest.mark.parametrize("iv,stress", [(0.45, 0.0), (0.8, 0.7), (math.nan, 0.2)])
def test_book_is_the_full_pricers_sums_to_the_bit(cfg, iv, stress):
    legs = _legs()
    arr = cfg.to_array()
    spot = 97_500.0
    full = option_book_nb(arr, legs[:, Leg.KIND].copy(), legs[:, Leg.STRIKE].copy(), legs[:, Leg.EXPIRY_S].copy(),
                          legs[:, Leg.QTY].copy(), MAX_LEGS, spot, T0, iv, stress)
    value, delta, n_open, mm = book_nb(legs, option_config_tuple_nb(arr), spot, T0, iv, stress)
    assert n_open == 4
    for got, want in ((value, full[0]), (delta, full[1]), (mm, full[6])):
        assert _bits(got) == _bits(want)
    if iv == iv:
        assert mm > 0.0 and math.isfinite(value)  # two short legs carry maintenance margin
    else:
        assert math.isnan(value) and math.isnan(mm)


def test_config_tuple_reads_like_the_array():
    arr = OptionConfig(skew=-0.2, basis=0.01).to_array()
    assert option_config_tuple_nb(arr) == tuple(arr)


def test_empty_book_is_zero():
    legs = np.zeros((MAX_LEGS, Leg.N))
    assert book_nb(legs, option_config_tuple_nb(OptionConfig().to_array()), 1e5, T0, 0.5, 0.0) == (0.0, 0.0, 0, 0.0)
