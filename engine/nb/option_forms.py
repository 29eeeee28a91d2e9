"""Option orders as traders write them: a strike in USD or as a target delta, and orders on one leg.

An option slot's strike (``Intent.OPTk_STRIKE``) is read in the unit its ``OPTk_STRIKE_UNIT`` names:
- NaN or 0 (``STRIKE_FRACTION``): a fraction of the chosen expiry's forward, as always
  (``option_leg.option_contract_nb``, unchanged);
- 1 (``STRIKE_USD``): USD, snapped to the expiry's strike grid like a fraction strike. It must be near
  a listed contract: within half a grid step of a listed strike (at least half a step) and below 5x
  the forward (the listed range of fractions), else the hook's order is an error (``STRIKE_USD``);
- 2 (``STRIKE_DELTA``): a target Black-76 delta (dV/dF on the model surface, the delta the state
  shows for a leg, ``StateLeg.DELTA``): in (0, 1) for a call, (-1, 0) for a put. The kernel picks, on
  the expiry's grid, the listed strike whose delta (with the surface IV at that strike) is closest to
  the target: delta falls as the strike rises, so a bisection over the grid's integer steps finds the
  two listed strikes around the target and the nearer in delta wins. Without IV there is no delta to
  aim at and the order is not placed, as a fraction order is not filled without IV.

Action 3 (``CLOSE_LEG``) closes leg ``OPTk_LEG`` (index k of the state's legs, ``State.LEGS + k *
StateLeg.N``) in full; action 4 (``ROLL_LEG``) closes it and, once it is closed, opens the same type
and side, of its size or ``OPTk_QTY``, at ``OPTk_STRIKE`` (in its unit) and ``OPTk_TENOR_DAYS``.
``intent.option_forms_problem_nb`` checks at the decision what only the account and the market can say:
the leg is open, named by one slot only and of the slot's type if one is given; a USD strike is
near a listed contract; a rolled leg's target delta has its type's sign.
"""
import math

from numba import njit

from hedgelab.engine.nb.option_calendar import DAY_S, choose_expiry_nb, round_strike_nb, strike_step_nb
from hedgelab.engine.nb.option_config import OptCfg
from hedgelab.engine.nb.option_leg import forward_nb, option_contract_nb, option_value_nb
from hedgelab.engine.types import STRIKE_DELTA, STRIKE_USD

MAX_STRIKE_FRACTION = 5.0  # listed strikes are below 5x the forward (option_contract_nb)


@njit(cache=True, nogil=True, _nrt=False)
def _expiry_forward_step_nb(cfg, spot, t_s, tenor_days):
    """(expiry_s, forward, strike step) of the listed expiry nearest to ``tenor_days``."""
    expiry_s = choose_expiry_nb(t_s, tenor_days, cfg[OptCfg.N_DAILY], cfg[OptCfg.N_WEEKLY],
                                cfg[OptCfg.N_MONTHLY], cfg[OptCfg.N_QUARTERLY])
    fwd = forward_nb(spot, cfg[OptCfg.BASIS], (expiry_s - t_s) / DAY_S / 365.0)
    step = strike_step_nb(expiry_s, t_s, cfg[OptCfg.STEP_NEAR], cfg[OptCfg.STEP_FAR], cfg[OptCfg.N_WEEKLY])
    return expiry_s, fwd, step


@njit(cache=True, nogil=True, _nrt=False)
def usd_strike_listed_nb(cfg, spot, t_s, strike_usd, tenor_days):
    """True when a USD strike is near a listed contract of the expiry ``tenor_days`` picks: at least
    half a grid step (the lowest listed strike is one step) and below 5x that expiry's forward."""
    if not (strike_usd > 0.0) or not (tenor_days > 0.0) or not (spot > 0.0):
        return False
    _, fwd, step = _expiry_forward_step_nb(cfg, spot, t_s, tenor_days)
    return strike_usd >= 0.5 * step and strike_usd < MAX_STRIKE_FRACTION * fwd


@njit(cache=True, nogil=True, _nrt=False)
def _delta_at_nb(cfg, is_call, spot, strike, t_s, expiry_s, iv, stress):
    return option_value_nb(cfg, is_call, spot, strike, t_s, expiry_s, iv, stress)[1]


@njit(cache=True, nogil=True, _nrt=False)
def delta_strike_nb(cfg, is_call, spot, t_s, expiry_s, fwd, step, target, iv, stress):
    """The listed strike of ``expiry_s`` (a multiple of ``step`` below 5x ``fwd``) whose delta is closest
    to ``target``; NaN without IV. Delta falls as the strike rises (call and put alike), so the
    bisection keeps delta(lo) > target >= delta(hi) over the grid's integer steps."""
    if not (iv == iv):
        return math.nan
    lo = 1
    hi = int(math.ceil(MAX_STRIKE_FRACTION * fwd / step)) - 1
    if hi < lo:
        return math.nan
    d_lo = _delta_at_nb(cfg, is_call, spot, lo * step, t_s, expiry_s, iv, stress)
    if not (d_lo > target):
        return lo * step
    d_hi = _delta_at_nb(cfg, is_call, spot, hi * step, t_s, expiry_s, iv, stress)
    if d_hi > target:
        return hi * step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        d_mid = _delta_at_nb(cfg, is_call, spot, mid * step, t_s, expiry_s, iv, stress)
        if d_mid > target:
            lo, d_lo = mid, d_mid
        else:
            hi, d_hi = mid, d_mid
    return lo * step if d_lo - target <= target - d_hi else hi * step


@njit(cache=True, nogil=True, _nrt=False)
def resolve_contract_nb(cfg, is_call, spot, t_s, strike, unit, tenor_days, iv, stress):
    """(expiry_s, strike_usd) of the listed contract an order asks for, its strike in ``unit``
    (module docstring); (NaN, NaN) when there is none (a delta without IV: (expiry_s, NaN))."""
    if not (unit == unit) or unit == 0.0:
        return option_contract_nb(cfg, spot, t_s, strike, tenor_days)
    if not (tenor_days > 0.0) or not (spot > 0.0):
        return math.nan, math.nan
    expiry_s, fwd, step = _expiry_forward_step_nb(cfg, spot, t_s, tenor_days)
    if unit == STRIKE_USD:
        if not (strike >= 0.5 * step and strike < MAX_STRIKE_FRACTION * fwd):
            return math.nan, math.nan
        return expiry_s, round_strike_nb(strike, expiry_s, t_s, cfg[OptCfg.STEP_NEAR], cfg[OptCfg.STEP_FAR],
                                         cfg[OptCfg.N_WEEKLY])
    if unit == STRIKE_DELTA:
        return expiry_s, delta_strike_nb(cfg, is_call, spot, t_s, expiry_s, fwd, step, strike, iv, stress)
    return math.nan, math.nan
