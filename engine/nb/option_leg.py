"""One option leg in a kernel: mark to model, open/close at the bid/ask with fees, settle at expiry.

``cfg`` is an ``OptionConfig`` or its ``to_array()`` (float64, indexed by ``OptCfg``). Units: USD per
1 BTC of underlying for prices, epoch seconds for times, BTC for quantities (signed: + long).
The account is in USD: an inverse (BTC-settled) payoff is converted at the delivery price, which
gives the same USD cash as the linear payoff; fees and margins are charged in USD at the index.

Recipe for a kernel (legs stored as arrays kind, strike, expiry_s, qty per column):
1. Expiry at bar i's open (expiry_s <= bar open): S = ``delivery_price_nb(time_ns, bar_seconds,
   index_open, index_close, expiry_s)`` (option_rules); ``cash, fee = option_settle_nb(cfg, is_call,
   qty, strike, S)``; account cash += cash - fee; drop the leg.
2. An intent (OPT_ACTION +1/-1, OPT_TYPE, OPT_STRIKE fraction, OPT_TENOR_DAYS, OPT_QTY) at the close:
   ``expiry_s, strike = option_contract_nb(cfg, index_close, t_close_s, frac, tenor)`` (skip if NaN);
   ``price, fee, mid = option_fill_nb(cfg, is_call, +-qty, index_close, strike, t_close_s, expiry_s,
   iv, stress)`` (skip if NaN); cash += -qty * price - fee. Closing a leg is a fill with -qty.
3. Every bar: ``option_book_nb(cfg, kind, strike, expiry_s, qty, n_legs, index_close, t_close_s, iv,
   stress)`` gives OPTION_VALUE, OPTION_DELTA (spot-equivalent BTC), greeks and short-leg margins
   (add IM/MM to the account's margin requirement; longs need none).
``stress`` per bar: ``stress_1d_nb(index_close, dd_bars, ret_bars, dd_scale, ret_scale)`` (surface).
"""
import math

from numba import njit
from numba.extending import overload
from numba.np.unsafe.ndarray import to_fixed_tuple

from hedgelab.engine.nb.black76 import black76_greeks_nb, black76_price_delta_nb, black76_price_nb
from hedgelab.engine.nb.option_calendar import choose_expiry_nb, round_strike_nb
from hedgelab.engine.nb.option_config import OptCfg
from hedgelab.engine.nb.option_rules import (delivery_fee_nb, linear_payoff_usd_nb, option_fee_nb,
                                             option_quote_nb, short_margin_usd_nb)
from hedgelab.engine.nb.surface import model_vol_nb

DAY_S = 86400.0
_N_CFG = OptCfg.N  # a global int: numba takes it as the tuple's compile-time length


def _as_tuple(cfg):
    """Plain Python (``NUMBA_DISABLE_JIT=1``, debugging); compiled, the overload below."""
    return tuple(cfg)


@overload(_as_tuple, jit_options={"cache": True, "nogil": True})
def _as_tuple_ol(cfg):
    return lambda cfg: to_fixed_tuple(cfg, _N_CFG)


@njit(cache=True, nogil=True, _nrt=False)
def option_config_tuple_nb(cfg):
    """The settings array ``OptionConfig().to_array()`` as a tuple (read the same way, ``cfg[OptCfg.*]``).

    A kernel that prices legs on every bar hands ``cfg`` down its call chain: an array is
    reference-counted at every call (atomic operations, measured at about half the option path's
    time), a tuple is passed by value."""
    return _as_tuple(cfg)


@njit(cache=True, nogil=True, _nrt=False)
def forward_nb(spot, basis, tenor_years):
    """Forward (USD) from the spot/index with an annualized, continuously compounded basis (decimal)."""
    return spot * _exp_nb(basis * max(tenor_years, 0.0))


@njit(cache=True, nogil=True, inline="always")
def _exp_nb(x):
    """exp(x), without the call at x == 0 (zero basis or rate, the usual case; exp(0) is exactly 1)."""
    return 1.0 if x == 0.0 else math.exp(x)


@njit(cache=True, nogil=True, inline="always")
def _model_inputs_nb(cfg, spot, strike, t_s, expiry_s, atm_iv, stress):
    """(tenor_years, forward, discount, sigma) of one option at ``t_s``: sigma 0 at or after expiry,
    NaN when ``atm_iv`` is NaN before expiry."""
    tenor_days = (expiry_s - t_s) / DAY_S
    t_years = max(tenor_days, 0.0) / 365.0
    fwd = forward_nb(spot, cfg[OptCfg.BASIS], t_years)
    disc = _exp_nb(-cfg[OptCfg.R] * t_years)
    sigma = 0.0
    if tenor_days > 0.0:
        sigma = model_vol_nb(cfg, atm_iv, tenor_days, math.log(strike / fwd), stress)
    return t_years, fwd, disc, sigma


@njit(cache=True, nogil=True, _nrt=False)
def option_mark_nb(cfg, is_call, spot, strike, t_s, expiry_s, atm_iv, stress):
    """Model mark of one option at ``t_s`` for expiry ``expiry_s``.

    ``spot``: index price (USD); ``strike`` USD; ``atm_iv``: 30-day ATM level (decimal); ``stress`` in
    [0, 1]. Returns (price_usd, delta, gamma, vega, theta, sigma, forward) per 1 BTC: Black-76 on
    F = spot * exp(basis * T) discounted at r, on the surface vol (greeks as in
    ``black76_greeks_nb``: delta dV/dF, gamma per USD, vega per 0.01 vol, theta USD per day).
    At or after expiry: intrinsic on the spot, delta 0/+-1, other greeks 0. A NaN ``atm_iv``
    before expiry gives NaN price and greeks (the caller decides how to fill).
    """
    t_years, fwd, disc, sigma = _model_inputs_nb(cfg, spot, strike, t_s, expiry_s, atm_iv, stress)
    if not (sigma == sigma):
        return math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, fwd
    price = black76_price_nb(fwd, strike, t_years, sigma, is_call, disc)
    delta, gamma, vega, theta = black76_greeks_nb(fwd, strike, t_years, sigma, is_call, disc)
    return price, delta, gamma, vega, theta, sigma, fwd


@njit(cache=True, nogil=True, _nrt=False)
def option_value_nb(cfg, is_call, spot, strike, t_s, expiry_s, atm_iv, stress):
    """What the account needs of ``option_mark_nb`` on every bar: (price_usd, delta, forward), the
    same numbers to the bit, without the other greeks (which cost three more erfc per leg)."""
    t_years, fwd, disc, sigma = _model_inputs_nb(cfg, spot, strike, t_s, expiry_s, atm_iv, stress)
    if not (sigma == sigma):
        return math.nan, math.nan, fwd
    price, delta = black76_price_delta_nb(fwd, strike, t_years, sigma, is_call, disc)
    return price, delta, fwd


@njit(cache=True, nogil=True, _nrt=False)
def option_contract_nb(cfg, spot, t_s, strike_frac, tenor_days):
    """The listed contract an intent asks for: (expiry_s, strike).

    Expiry: the listed expiry nearest to ``tenor_days`` (``choose_expiry_nb``); strike:
    ``strike_frac`` times that expiry's forward, snapped to its grid (``round_strike_nb``).
    (NaN, NaN) when the intent is unusable: ``strike_frac`` outside (0, 5) (e.g. an absolute strike
    given where a fraction of the forward is expected), ``tenor_days`` <= 0 or NaN, spot <= 0; the
    kernel skips such an order.
    """
    if not (0.0 < strike_frac < 5.0) or not (tenor_days > 0.0) or not (spot > 0.0):
        return math.nan, math.nan
    expiry_s = choose_expiry_nb(t_s, tenor_days, cfg[OptCfg.N_DAILY], cfg[OptCfg.N_WEEKLY],
                                cfg[OptCfg.N_MONTHLY], cfg[OptCfg.N_QUARTERLY])
    fwd = forward_nb(spot, cfg[OptCfg.BASIS], (expiry_s - t_s) / DAY_S / 365.0)
    strike = round_strike_nb(strike_frac * fwd, expiry_s, t_s, cfg[OptCfg.STEP_NEAR], cfg[OptCfg.STEP_FAR],
                             cfg[OptCfg.N_WEEKLY])
    return expiry_s, strike


@njit(cache=True, nogil=True, _nrt=False)
def option_fill_nb(cfg, is_call, qty, spot, strike, t_s, expiry_s, atm_iv, stress):
    """Trade ``qty`` BTC (+ buy at the ask, - sell at the bid) of one option: (fill_price_usd, fee_usd, mid_usd).

    Premium cash flow to the account = -qty * fill_price_usd; fee (positive, to subtract) =
    |qty| * min(fee_rate * spot, fee_cap * fill price). NaN mid (no IV) gives NaN for all three:
    the caller should skip the order.
    """
    mid, _, _, _, _, sigma, fwd = option_mark_nb(cfg, is_call, spot, strike, t_s, expiry_s, atm_iv, stress)
    if not (mid == mid):
        return math.nan, math.nan, math.nan
    bid, ask = option_quote_nb(mid, fwd, sigma, (expiry_s - t_s) / DAY_S, cfg[OptCfg.SPREAD_BASE],
                               cfg[OptCfg.SPREAD_VOL], cfg[OptCfg.SPREAD_SHORT], cfg[OptCfg.SPREAD_MIN_BTC])
    price = ask if qty > 0.0 else bid
    fee = option_fee_nb(price, spot, qty, cfg[OptCfg.FEE_RATE], cfg[OptCfg.FEE_CAP])
    return price, fee, mid


@njit(cache=True, nogil=True, _nrt=False)
def option_settle_nb(cfg, is_call, qty, strike, delivery_price):
    """Cash settlement of ``qty`` BTC at expiry: (payoff_cash_usd, delivery_fee_usd).

    payoff cash = qty * max(S-K, 0) (call) or qty * max(K-S, 0) (put) with S the delivery price
    (negative for a short in the money); the delivery fee (positive, to subtract) is
    |qty| * min(delivery_fee_rate * S, delivery_fee_cap * payoff per contract), 0 out of the money.
    """
    payoff = linear_payoff_usd_nb(is_call, delivery_price, strike)
    fee = delivery_fee_nb(payoff, delivery_price, qty, cfg[OptCfg.DELIVERY_FEE_RATE], cfg[OptCfg.DELIVERY_FEE_CAP])
    return qty * payoff, fee


@njit(cache=True, nogil=True, _nrt=False)
def option_margin_nb(cfg, is_call, qty, spot, strike, mark_usd, forward):
    """(initial, maintenance) margin in USD of one leg: Deribit standard margin for a short
    (``short_margin_usd_nb``), 0 for a long (a long option needs only its premium)."""
    if qty >= 0.0:
        return 0.0, 0.0
    return short_margin_usd_nb(is_call, spot, strike, mark_usd, forward, qty, cfg[OptCfg.IM_OTM],
                               cfg[OptCfg.IM_MIN], cfg[OptCfg.MM_BASE])


@njit(cache=True, nogil=True, _nrt=False)
def option_book_nb(cfg, kind, strike, expiry_s, qty, n_legs, spot, t_s, atm_iv, stress):
    """Totals over the first ``n_legs`` legs (arrays: ``kind`` +1 call / -1 put, ``strike`` USD,
    ``expiry_s``, signed ``qty`` BTC; legs with qty 0 or expiry <= t_s are skipped):
    (value_usd, delta_btc, gamma, vega_usd, theta_usd, im_usd, mm_usd).

    value = sum qty * mark; delta_btc = sum qty * dV/dS, the spot-equivalent delta in BTC
    (forward delta times F/S, what a spot or perp hedge offsets); gamma = sum qty * d2V/dS2 per USD;
    vega per 0.01 vol and theta per day as in ``option_mark_nb``; margins from ``option_margin_nb``.
    A NaN mark (no IV) makes every total NaN.
    """
    value = 0.0
    delta = 0.0
    gamma = 0.0
    vega = 0.0
    theta = 0.0
    im = 0.0
    mm = 0.0
    for leg in range(n_legs):
        q = qty[leg]
        if q == 0.0 or expiry_s[leg] <= t_s:
            continue
        is_call = kind[leg] > 0.0
        p, d, g, v, th, _, fwd = option_mark_nb(cfg, is_call, spot, strike[leg], t_s, expiry_s[leg], atm_iv, stress)
        ratio = fwd / spot
        value += q * p
        delta += q * d * ratio
        gamma += q * g * ratio * ratio
        vega += q * v
        theta += q * th
        leg_im, leg_mm = option_margin_nb(cfg, is_call, q, spot, strike[leg], p, fwd)
        im += leg_im
        mm += leg_mm
    return value, delta, gamma, vega, theta, im, mm
