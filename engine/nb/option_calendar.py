"""Deribit-style listing calendar and strike grid as numba kernels (times in epoch seconds, UTC).

Expiries are at 08:00 UTC. Listed at time t (defaults in ``OptionConfig``):
- the next ``n_daily`` daily expiries (every day),
- the next ``n_weekly`` Fridays,
- the next ``n_monthly`` last Fridays of a month,
- the next ``n_quarterly`` last Fridays of Mar, Jun, Sep, Dec;
the union of these sets, sorted. "Next" means strictly after t (an expiry at exactly t has expired).
Strike grid: ``step_near`` USD (500) for an expiry no later than the last listed weekly (the short
dailies/weeklies), ``step_far`` USD (1,000) beyond.
"""
import math

import numpy as np
from numba import njit

DAY_S = 86400.0
EXPIRY_OFFSET_S = 8 * 3600.0  # 08:00 UTC


@njit(cache=True, nogil=True)
def civil_from_days_nb(z):
    """(year, month, day) of the day number z (days since 1970-01-01), proleptic Gregorian."""
    z = z + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    if m <= 2:
        y += 1
    return y, m, d


@njit(cache=True, nogil=True)
def _is_friday(day):
    return (day + 3) % 7 == 4  # 1970-01-01 was a Thursday (weekday 3, Monday = 0)


@njit(cache=True, nogil=True)
def _is_last_friday(day):
    if not _is_friday(day):
        return False
    _, m0, _ = civil_from_days_nb(day)
    _, m1, _ = civil_from_days_nb(day + 7)
    return m0 != m1


@njit(cache=True, nogil=True)
def _expiry_s(day):
    return day * DAY_S + EXPIRY_OFFSET_S


@njit(cache=True, nogil=True)
def listed_expiries_nb(t_s, n_daily=3, n_weekly=4, n_monthly=3, n_quarterly=3):
    """Sorted float64 array of the expiries (epoch seconds, 08:00 UTC) listed at time ``t_s``."""
    first = int(math.floor((t_s - EXPIRY_OFFSET_S) / DAY_S)) + 1  # first day whose 08:00 is after t
    if _expiry_s(first - 1) > t_s:  # guard against float rounding at the boundary
        first -= 1
    out = np.empty(int(n_daily) + int(n_weekly) + int(n_monthly) + int(n_quarterly))
    k = 0
    nw = 0
    nm = 0
    nq = 0
    day = first
    # quarterlies reach ~9-12 months out; 420 days covers any n_quarterly <= 4
    horizon = first + 31 * int(max(n_monthly, 3.0 * n_quarterly, n_weekly / 4.0 + 1.0)) + 40
    while day < horizon:
        listed = day - first < n_daily
        if _is_friday(day):
            if nw < n_weekly:
                nw += 1
                listed = True
            if _is_last_friday(day):
                if nm < n_monthly:
                    nm += 1
                    listed = True
                _, m, _ = civil_from_days_nb(day)
                if m % 3 == 0 and nq < n_quarterly:
                    nq += 1
                    listed = True
        if listed:
            out[k] = _expiry_s(day)
            k += 1
        if day - first >= n_daily and nw >= n_weekly and nm >= n_monthly and nq >= n_quarterly:
            break
        day += 1
    return out[:k]


@njit(cache=True, nogil=True, _nrt=True)
def choose_expiry_nb(t_s, tenor_days, n_daily=3, n_weekly=4, n_monthly=3, n_quarterly=3):
    """The listed expiry (epoch seconds) nearest to t_s + tenor_days; a tie goes to the later one."""
    exps = listed_expiries_nb(t_s, n_daily, n_weekly, n_monthly, n_quarterly)
    target = t_s + tenor_days * DAY_S
    best = exps[0]
    for e in exps:
        if abs(e - target) <= abs(best - target):
            best = e
    return best


@njit(cache=True, nogil=True)
def strike_step_nb(expiry_s, t_s, step_near=500.0, step_far=1000.0, n_weekly=4):
    """Strike step (USD) of an expiry: ``step_near`` up to the last listed weekly, else ``step_far``."""
    first = int(math.floor((t_s - EXPIRY_OFFSET_S) / DAY_S)) + 1
    nw = 0
    day = first
    last_weekly = _expiry_s(first)
    while nw < n_weekly:
        if _is_friday(day):
            nw += 1
            last_weekly = _expiry_s(day)
        day += 1
    return step_near if expiry_s <= last_weekly else step_far


@njit(cache=True, nogil=True)
def round_strike_nb(strike, expiry_s, t_s, step_near=500.0, step_far=1000.0, n_weekly=4):
    """Strike snapped to the nearest grid point of its expiry (half-way rounds up), at least one step."""
    step = strike_step_nb(expiry_s, t_s, step_near, step_far, n_weekly)
    return max(math.floor(strike / step + 0.5) * step, step)
