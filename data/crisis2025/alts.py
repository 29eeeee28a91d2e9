"""The crisis-2025 alt coins (ETH, SOL, XRP, DOGE, BNB): seeded reconstructions that co-move with BTC.

Each coin is a pure function of the seed and of the reconstructed BTC path, with its own random
streams (numpy SeedSequence([seed, crc32(coin)]), spawned per component), so BTC's generation and
streams are untouched. Per coin:

- Index (spot) path: hourly log return = beta_w x BTC's reconstructed index return + residual
  (Student-t, weekly residual volatility x BTC's hour-of-day profile x a slow stochastic-volatility
  factor), beta_w and the residual volatility measured per week (alt_anchors.CALIBRATION). The path
  is then a Brownian bridge through the coin's anchored points (window open and close, Oct 10 20:00
  open, the recovery opens, the closes next to the November low and the window high), the bridge's
  correction spread in proportion to the residual variance, so the BTC-driven part is kept.
  Anchored extremes are exact and nothing passes them in their span (closes reflected, bar
  extremes clamped, one tick apart), the bar highs/lows come from the Brownian bridge's exact
  max/min law (price.intrabar_range).
- Premium, funding, traded and mark: market.py's model with the coin's own funding regimes: an
  hourly AR(1) premium whose regime means are solved so each regime's mean settled rate (Binance's
  formula) equals the calibrated one; anchored settlements (SOL and ETH on Oct 11 00:00, SOL below
  -0.1 % until Oct 12 08:00) set their 8 hours. Traded = index x (1 + premium) with seeded wicks, mark
  = index x (1 + EMA of the premium); the perp facts (Oct 10 20:00 open, Oct 10 low) are exact.
- Volume: market.scaled_volume with the coin's weekly mean perp volume.
- IV: none (no source for the alts' implied volatility): an empty frame.

DOGE has no spot series in the sources: its anchors are perp prices, turned into index pins by the
modelled premium (index = perp / (1 + premium)); its Oct 10 index low is the spot daily low.
"""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from . import market, price
from .alt_anchors import CALIBRATION, COINS, FACTS, FUNDING_AT, FUNDING_FACT, SOL_BELOW, SPEC
from .grid import FUNDING_HOURS, N_BARS, hour, week_of_bar

MODULE = "hedgelab.data.crisis2025.alts"
BURN = market.BURN
CRASH_BAR = "2025-10-10 21:00"
OPEN_BAR = "2025-10-10 20:00"
CRASH_HOURS = ("2025-10-10 20:00", "2025-10-10 21:00", "2025-10-10 22:00", "2025-10-10 23:00")
# choice: distance of the pinned close from an anchored extreme (log), so the extreme is a wick
# (BTC uses 0.0015; the alts move about twice as much an hour)
WICK = 0.003
# choice: SOL's settled rate at Oct 12 08:00, the last one below -0.1 % (fact); the four after the
# anchored -0.30 % relax geometrically to it (the real ones were -0.20, -0.16, -0.12, -0.12 %)
SOL_LAST_BELOW = -0.0012
# choice: after it, an extra discount of half that, halving at each settlement, fades out over four
# settlements (the real ones were -0.057, -0.061, -0.023, -0.005 %); the first stays above -0.1 %
SOL_TAIL = 4
# choice: where ETH's Oct 11 00:00 premium goes when its 8h mean falls outside the band that prints
# the +0.0100 % baseline (fact): inside that band, near the edge it left
ETH_BAND_TARGET = (-0.0003, 0.0005)
STREAMS = ("premium", "path", "sv", "range", "wicks", "volume")
# choices of lift_closes: width (hours) of the drift tents, extra distance they keep from the
# extreme (log), hours over which the correction fades to 0 at a pin
DRIFT_WIDTH = 72
BUFFER = 0.01
TAPER = 6


def streams(seed: int, coin: str) -> dict:
    """The coin's own random streams: independent of BTC's (SeedSequence(seed)) and of each other."""
    root = np.random.SeedSequence([seed, zlib.crc32(coin.encode("ascii"))])
    return {n: np.random.default_rng(s) for n, s in zip(STREAMS, root.spawn(len(STREAMS)))}


def tick(coin: str) -> float:
    return 10.0 ** -SPEC[coin]["price_decimals"]


# --- premium and funding --------------------------------------------------------------------------

def _block(k: int) -> slice:
    """Positions in the premium array (from hour -BURN) of the 8 hours a settlement at point k averages."""
    return slice(k - FUNDING_HOURS + BURN, k + BURN)


def _fixed_premium(coin: str) -> dict:
    """Premium values set at given hours (hour -> value): the perp/spot ratio of the Oct 10 20:00 opens
    (facts) at the 19:00 hour, and the measured premium at the closes of the crash hours."""
    s, cal = SPEC[coin], CALIBRATION[coin]
    if "index" not in s["oct10_open"]:
        return {}
    out = {hour(OPEN_BAR) - 1: s["oct10_open"]["perp"] / s["oct10_open"]["index"] - 1}
    out.update({hour(t): v for t, v in zip(CRASH_HOURS, cal["crash_premium"])})
    return out


def premium_and_funding(coin: str, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(funding premium, price premium, settled rates); premiums hourly from hour -BURN.

    The funding premium is what Binance's formula sees; the price premium is the one in the traded
    price. They differ only where the crash moved the last price and not the premium index: for
    every coin but SOL, the crash hours' measured premium and the 20:00 open ratio are price-only
    (ETH's Oct 11 00:00 settlement printed the +0.01 % baseline, as BTC's printed nothing extreme);
    SOL's crash discount is in its funding (-0.30 % at Oct 11 00:00, fact)."""
    fund = CALIBRATION[coin]["funding"]
    noise, reg = market.premium_noise(rng, fund["regime_std"])
    k = market.settlement_points()
    sreg = market.regime_of_settlement(k)
    k0 = hour(FUNDING_AT)
    fixed = _fixed_premium(coin)
    forced = []                    # (block, target 8h mean, free positions within the block)
    in_funding = {}
    if coin == "SOL":
        in_funding = fixed
        f0 = FUNDING_FACT["SOL"]
        blk = _block(k0)
        free = np.array([h not in fixed for h in range(k0 - FUNDING_HOURS, k0)])
        forced.append((blk, f0 - market.CLAMP, free))
        last = hour(SOL_BELOW[2])
        n = (last - k0) // FUNDING_HOURS
        ratio = (SOL_LAST_BELOW / f0) ** (1.0 / n)
        for j in range(1, n + 1):
            forced.append((_block(k0 + j * FUNDING_HOURS), f0 * ratio ** j - market.CLAMP, np.ones(8, bool)))
        tail = [(_block(last + j * FUNDING_HOURS), SOL_LAST_BELOW / 2 ** j) for j in range(1, SOL_TAIL + 1)]
        after = _block(last + FUNDING_HOURS)   # fact: above -0.1 % from Oct 12 16:00 (0.01 % of margin)
        floor_after = SOL_BELOW[0] + 0.0001 - market.CLAMP
    band = _block(k0) if coin == "ETH" else None

    def build(mu: np.ndarray) -> np.ndarray:
        p = noise + mu[reg]
        for h, v in in_funding.items():
            p[h + BURN] = v
        for blk, target, free in forced:
            view = p[blk]
            view[free] += (target * FUNDING_HOURS - view.sum()) / free.sum()
        if coin == "SOL":
            for blk, extra in tail:
                p[blk] += extra
            if p[after].mean() < floor_after:
                p[after] += floor_after - p[after].mean()
        if band is not None:   # ETH's Oct 11 00:00: the +0.0100 % baseline, i.e. |0.01% - P| <= 0.05%
            m = p[band].mean()
            if abs(market.BASE_RATE - m) > market.CLAMP - 1e-6:
                p[band] += ETH_BAND_TARGET[0 if m < market.BASE_RATE else 1] - m
        return p

    mu = np.full(len(fund["regime_mean"]), -0.0004)
    for _sweep in range(6):   # as market.premium_and_funding: Gauss-Seidel over regimes, bisection each
        for r, target in enumerate(fund["regime_mean"]):
            lo, hi = -0.003, 0.002
            for _ in range(45):
                mu[r] = (lo + hi) / 2
                got = market.binance_rate(build(mu))[sreg == r].mean()
                lo, hi = (mu[r], hi) if got < target else (lo, mu[r])
    p = build(mu)
    pp = p.copy()
    for h, v in fixed.items():
        pp[h + BURN] = v
    return p, pp, market.binance_rate(p)


# --- index (spot) path ----------------------------------------------------------------------------

def sigmas(coin: str, btc_sigma: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(beta, residual sigma, total sigma) per bar: weekly calibrated beta and residual volatility,
    the residual with BTC's hour profile and its own slow SV factor (price.hourly_sigma)."""
    cal = CALIBRATION[coin]
    beta = np.asarray(cal["weekly_beta"], float)[week_of_bar()]
    idio = price.hourly_sigma(rng, cal["weekly_idio_vol"])
    return beta, idio, np.sqrt((beta * btc_sigma) ** 2 + idio ** 2)


def _recovery_share(at: str) -> float:
    """Mean share of the 20:00-open-to-low drop that the coins with recovery facts had regained at ``at``."""
    shares = []
    for s in SPEC.values():
        if s["recovery"]:
            o, lo = s["oct10_open"]["index"], s["crash_low"]["index"]
            shares.append((s["recovery"][at] - lo) / (o - lo))
    return float(np.mean(shares))


def _spans(coin: str) -> dict:
    s = SPEC[coin]
    window = (0, N_BARS)
    return {"crash": window if s["crash_low"]["window_low"] else (hour("2025-10-10 00:00"), hour("2025-10-12 00:00")),
            "nov": window if s["nov_low"][2] else (hour("2025-11-01 00:00"), N_BARS),
            "high": window}


def nov_low_bar(coin: str, btc_bars: pd.DataFrame) -> int:
    """The bar of the coin's November low: that of BTC's reconstructed low on the same day.

    Fact: the value and the day (on the real 1h bars every coin's low, and BTC's, fell in the same
    bar). BTC's reconstruction puts its low of that day at a seeded hour, so the coins are placed
    with it: an alt pinned at its low hours before BTC's would have to rise while BTC falls."""
    day = SPEC[coin]["nov_low"][1][:10]
    lows = btc_bars["index_low"].loc[f"{day} 00:00":f"{day} 23:00"].to_numpy()
    return hour(f"{day} 00:00") + int(np.argmin(lows))


def plan(coin: str, pp: np.ndarray, nov_bar: int) -> tuple[dict, list, list]:
    """Index pins {point: log price}, index extremes and traded extremes [(bar, kind, price, span start, end)].

    Traded facts become index values through the price premium ``pp`` (point k = close of bar k-1,
    whose premium is pp at hour k-1). ``nov_bar``: the bar of the November low (nov_low_bar)."""
    s = SPEC[coin]
    on_index = s["facts_on"] == "index"

    def to_index(v: float, h: int) -> float:   # a traded price at the close of hour h -> the index
        return v if on_index else v / (1 + pp[h + BURN])

    spans = _spans(coin)
    c = hour(CRASH_BAR)
    nov_v = s["nov_low"][0]
    high_v, high_at = s["high"]
    o = hour(OPEN_BAR)
    pins = {0: np.log(to_index(s["window_open"], -1)),
            o: np.log(s["oct10_open"]["index"] if on_index else to_index(s["oct10_open"]["perp"], o - 1)),
            N_BARS: np.log(to_index(s["window_close"], N_BARS - 1))}
    low = s["crash_low"]["index"]
    for at in ("2025-10-10 22:00", "2025-10-11 00:00"):
        if s["recovery"]:
            v = s["recovery"][at]
        else:  # rule (DOGE): regain the mean share of the drop the other coins had regained by then
            v = low + _recovery_share(at) * (np.exp(pins[o]) - low)
        pins[hour(at)] = np.log(v)
    extremes = [(c, "low", low, *spans["crash"]),
                (nov_bar, "low", to_index(nov_v, nov_bar), *spans["nov"]),
                (hour(high_at), "high", to_index(high_v, hour(high_at)), *spans["high"])]
    for i, kind, v, _s, _e in extremes:
        pins.setdefault(i + 1, np.log(v) + (WICK if kind == "low" else -WICK))
    traded = [(c, "low", s["crash_low"]["perp"], *spans["crash"])]
    if not on_index:
        traded += [(nov_bar, "low", nov_v, *spans["nov"]), (hour(high_at), "high", high_v, *spans["high"])]
    return dict(sorted(pins.items())), extremes, traded


def bridge(r: np.ndarray, var: np.ndarray, pins: dict) -> np.ndarray:
    """Log price at the N_BARS + 1 bar boundaries: the cumulated returns ``r``, corrected between
    consecutive pins by a Brownian-bridge term spread in proportion to ``var``."""
    x = np.empty(N_BARS + 1)
    ks = list(pins)
    assert ks[0] == 0 and ks[-1] == N_BARS
    for k0, k1 in zip(ks[:-1], ks[1:]):
        w = np.concatenate([[0.0], np.cumsum(r[k0:k1])])
        v = np.concatenate([[0.0], np.cumsum(var[k0:k1])])
        x[k0:k1 + 1] = pins[k0] + w - v / v[-1] * (w[-1] - (pins[k1] - pins[k0]))
    return x


def _margin(v: float, t: float) -> float:
    """Log distance of two ticks from v: how far the closes stay from an anchored extreme."""
    return float(np.log1p(2 * t / v))


def _pin_taper(pins: dict) -> np.ndarray:
    """0 at the pins, rising linearly to 1 at TAPER points from the nearest one."""
    kp = np.array(sorted(pins))
    k = np.arange(N_BARS + 1)
    pos = np.searchsorted(kp, k)
    left, right = kp[np.clip(pos - 1, 0, None)], kp[np.clip(pos, None, len(kp) - 1)]
    return np.minimum(1.0, np.minimum(np.abs(k - left), np.abs(right - k)) / TAPER)


def lift_closes(x: np.ndarray, pins: dict, extremes: list, t: float) -> None:
    """Move the closes that pass an anchored extreme back inside its span by a smooth drift.

    The BTC-driven path can cross a coin's own extreme for days (BTC's reconstruction makes its own
    highs and lows at other hours); a reflection would turn those hours' moves against BTC's.
    Instead each crossing j of depth d_j (plus a buffer) gets a tent d_j x (1 - |k - j| / DRIFT_WIDTH)
    of drift, the correction is the upper envelope of the tents, tapered to 0 at the pins: the
    hourly moves keep their sign and size, plus a drift of at most d / DRIFT_WIDTH per hour. A tent
    stays between the two pins around its crossing."""
    taper = _pin_taper(pins)
    k = np.arange(N_BARS + 1)
    fixed = np.array(sorted(pins))
    segment = np.searchsorted(fixed, k, side="right")   # the tents stay between the pins around them
    for _ in range(4):
        for _i, kind, v, s, e in extremes:
            sign = 1.0 if kind == "low" else -1.0
            level = np.log(v) + sign * _margin(v, t)
            need = np.zeros(N_BARS + 1)
            need[s:e + 1] = np.maximum(0.0, sign * (level - x[s:e + 1]))
            need[fixed] = 0.0
            hits = np.nonzero(need > 0)[0]
            if not len(hits):
                continue
            c = np.zeros(N_BARS + 1)
            for j in hits:
                tent = (need[j] + BUFFER) * np.clip(1 - np.abs(k - j) / DRIFT_WIDTH, 0, None)
                np.maximum(c, np.where(segment == segment[j], tent, 0.0), out=c)
            x += sign * c * taper


def reflect_closes(x: np.ndarray, pins: dict, extremes: list, t: float) -> None:
    """Reflect the unpinned closes inside each extreme's span to its allowed side (two ticks away):
    what lift_closes left next to the pins, a few hours at most."""
    keep = set(pins)
    for _ in range(4):   # a reflection can only cross a far-away level: a few passes settle it
        for _i, kind, v, s, e in extremes:
            for k in range(s, e + 1):
                if k in keep:
                    continue
                if kind == "low":
                    level = np.log(v) + _margin(v, t)
                    if x[k] <= level:
                        x[k] = level + max(level - x[k], 1e-7)
                else:
                    level = np.log(v) - _margin(v, t)
                    if x[k] >= level:
                        x[k] = level - max(x[k] - level, 1e-7)


def place_extremes(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, extremes: list, t: float) -> None:
    """Every anchored extreme exactly at its bar; the other bars of its span at least one tick inside."""
    for _i, kind, v, s, e in extremes:
        if kind == "low":
            lo[s:e] = np.maximum(lo[s:e], v + t)
        else:
            h[s:e] = np.minimum(h[s:e], v - t)
    np.minimum(lo, np.minimum(o, c), out=lo)
    np.maximum(h, np.maximum(o, c), out=h)
    for i, kind, v, _s, _e in extremes:
        (lo if kind == "low" else h)[i] = v


def index_ohlc(coin: str, btc_bars: pd.DataFrame, btc_sigma: np.ndarray, pp: np.ndarray, rng: dict) -> tuple:
    """(index OHLC dict with "sigma", traded extremes): the coin's spot path."""
    t = tick(coin)
    beta, idio, total = sigmas(coin, btc_sigma, rng["sv"])
    btc_path = np.log(np.concatenate([[btc_bars["index_open"].iloc[0]], btc_bars["index_close"].to_numpy()]))
    r = beta * np.diff(btc_path) + idio * price.student_t(rng["path"], N_BARS)
    pins, extremes, traded = plan(coin, pp, nov_low_bar(coin, btc_bars))
    # the 20:00 bar moves with BTC's (which opens its crash bar near its 20:00 level); the crash bar
    # takes the whole way to the recovery pin at 22:00
    k20 = hour(OPEN_BAR)
    pins[k20 + 1] = pins[k20] + r[k20]
    pins = dict(sorted(pins.items()))
    x = bridge(r, idio ** 2, pins)
    lift_closes(x, pins, extremes, t)
    reflect_closes(x, pins, extremes, t)
    hi, lo = price.intrabar_range(x, total, rng["range"])
    p = np.exp(x)
    o, c = p[:-1].copy(), p[1:].copy()
    h, low = np.exp(hi), np.exp(lo)
    place_extremes(o, h, low, c, extremes, t)
    return {"open": o, "high": h, "low": low, "close": c, "sigma": total}, traded


# --- the coin's frames and manifest entry --------------------------------------------------------

def crash_volume(coin: str, vol: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The Oct 10 19:00-23:00 hours at their measured multiples of the week's mean hour
    (CALIBRATION crash_volume), the week's other hours rescaled to keep its mean."""
    hrs = np.arange(hour(CRASH_BAR) - 2, hour(CRASH_BAR) + 3)
    week = week_of_bar() == week_of_bar()[hour(CRASH_BAR)]
    vol = vol.copy()
    vol[hrs] = np.asarray(CALIBRATION[coin]["crash_volume"]) * level[hrs]
    rest = week.copy()
    rest[hrs] = False
    vol[rest] *= (level[rest][0] * week.sum() - vol[hrs].sum()) / vol[rest].sum()
    return vol


def _round(bars: pd.DataFrame, coin: str) -> pd.DataFrame:
    """Exchange precision: the coin's price tick on every price column, its quantity step on volume."""
    out = bars.copy()
    for col in out.columns:
        out[col] = np.round(out[col].to_numpy(), SPEC[coin]["volume_decimals" if col == "volume" else "price_decimals"])
    return out


def empty_iv() -> pd.DataFrame:
    """No IV prints, with the columns, index and dtypes of BTC's iv frame."""
    idx = pd.DatetimeIndex(np.array([], dtype="datetime64[ns]"), name="time").tz_localize("UTC")
    return pd.DataFrame({"atm_iv": np.array([], float), "atm_iv_high": np.array([], float)}, index=idx)


def generate_coin(coin: str, seed: int, btc_bars: pd.DataFrame, btc_sigma: np.ndarray):
    """(bars, funding, iv) of one alt coin: a pure function of the seed and the BTC reconstruction."""
    from .generator import BAR_COLUMNS
    rng = streams(seed, coin)
    times = btc_bars.index
    p_fund, pp, rates = premium_and_funding(coin, rng["premium"])
    idx, traded_extremes = index_ohlc(coin, btc_bars, btc_sigma, pp, rng)
    tr = market.perp_and_mark(idx, pp, rng["wicks"])
    place_extremes(tr["open"], tr["high"], tr["low"], tr["close"], traded_extremes, tick(coin))
    level = np.asarray(CALIBRATION[coin]["weekly_perp_volume"], float)[week_of_bar()]
    vol = crash_volume(coin, market.scaled_volume(idx, rng["volume"], level), level)
    cols = {"volume": vol, **{k: tr[k] for k in tr}, **{f"index_{k}": idx[k] for k in ("open", "high", "low", "close")}}
    bars = _round(pd.DataFrame({c: cols[c] for c in BAR_COLUMNS}, index=times).astype("float64"), coin)
    funding = market.funding_frame(np.round(rates, 8), bars["mark_open"].to_numpy(), times)
    return bars, funding, empty_iv()


def manifest_entry(coin: str, times: pd.DatetimeIndex, seed: int) -> dict:
    """The coin's entry in the dataset manifest's "coins" (a dataset manifest without name/schema)."""
    s = SPEC[coin]
    recon = f"synthetic: reconstructed by {MODULE} (seeded generator), not market data"
    doge = s["facts_on"] == "traded"
    index_how = (f"{coin} has no spot series in the sources: index = perp / (1 + modelled premium), the "
                 "perp anchors divided by the premium; its Oct 10 low is the Binance spot daily low"
                 if doge else "spot, Brownian bridges pinned to the anchored spot facts")
    crash_prem = ("in its funding premium too (its -0.30 % settlement at Oct 11 00:00)" if coin == "SOL" else
                  "in the traded price only (the premium index that sets funding did not follow the last "
                  "price in the cascade)")
    return {
        "kind": "reconstruction",
        "venue": "binance",
        "symbol": s["symbol"],
        "bar_size": "1h",
        "start": times[0].isoformat(),
        "end": times[-1].isoformat(),
        "funding_interval_hours": FUNDING_HOURS,
        "provenance": {
            **{c: recon + "; perp traded = index x (1 + modelled premium)" for c in ("open", "high", "low", "close")},
            "volume": recon + f"; perp volume in {coin}: weekly mean perp volume (calibration), BTC's hour "
                              "profile and activity; Oct 10 19:00-23:00 at their measured multiples of the "
                              "week's mean hour",
            **{c: recon + "; mark = index x (1 + smoothed premium)"
               for c in ("mark_open", "mark_high", "mark_low", "mark_close")},
            **{c: recon + "; " + index_how for c in ("index_open", "index_high", "index_low", "index_close")},
            "funding.rate": recon + "; Binance formula on the modelled premium, regime means calibrated "
                                    "(see calibration.funding.source)" + (", anchored settlements exact"
                                                                          if coin in FUNDING_FACT else ""),
            "funding.mark_price": recon + "; the mark at the settlement time",
        },
        "proxies": {
            "index": f"index = reconstructed Binance spot {s['symbol']}" + (
                "; DOGE: no spot series in the sources, index = perp / (1 + modelled premium), with the "
                "spot daily low of Oct 10 (0.095) as its Oct 10 low" if doge else ""),
            "traded": "perp = index x (1 + p), p an hourly AR(1) premium whose regime means are solved from "
                      "the calibrated funding levels; the Oct 10 20:00 perp open and the Oct 10 perp low "
                      "(21:00 bar) are the published values"
                      + ("" if doge else f"; the measured premium of the crash-hour closes {crash_prem}"),
            "mark": "mark = index x (1 + EMA of p), smoother than the traded price, so it wicks less",
            "co-movement": "hourly log return = weekly beta x the reconstructed BTC index return + residual "
                           "noise, bridged to the coin's own anchors (calibration.weekly_beta, weekly_idio_vol)",
        },
        "iv_fill": None,
        "notes": [
            f"{coin} in this dataset is a RECONSTRUCTION, not exchange data: every column is generated by a "
            f"deterministic, seeded generator (seed {seed}; the coin's own streams, SeedSequence([seed, "
            f"crc32('{coin}')])) anchored to the published facts in 'anchors' and co-moving with the "
            "reconstructed BTC. Between the anchors the path is random, so individual hours are not the real ones.",
            "Anchored facts are exact in the generated data (spot facts on the index columns, perp facts on "
            "the traded columns); the Oct 10 low of every coin is in the 21:00 bar.",
            "Noise levels and the link to BTC are calibrated on summary statistics of the Binance files of "
            "../shared/data/crisis-2025-alts (weekly beta and residual volatility, weekly perp volume, "
            "premium and funding levels); see 'calibration'.",
            "No implied volatility: the iv frame is empty (no source for the alts' IV).",
            "Rebuild with: python -m hedgelab.data.crisis2025",
        ],
        "anchors": FACTS[coin],
        "calibration": CALIBRATION[coin],
        "generator": {"module": MODULE, "seed": seed},
    }


def manifest_entries(times: pd.DatetimeIndex, seed: int) -> dict:
    return {c: manifest_entry(c, times, seed) for c in COINS}


def generate_alts(seed: int, btc_bars: pd.DataFrame, btc_sigma: np.ndarray) -> dict:
    """{coin: (bars, funding, iv)} for every alt coin, in COINS order."""
    return {c: generate_coin(c, seed, btc_bars, btc_sigma) for c in COINS}
