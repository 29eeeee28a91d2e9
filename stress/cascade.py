"""Liquidation cascade: forced selling of an open-interest book moves the price until no more
positions are liquidated, then the price reverts.

Book: ``oi_usd`` of open interest, ``long_share`` of it long, spread evenly over entry prices at the
closes of the last ``lookback_h`` hours and over the leverage histogram ``LEVERAGE_SHARES``; a long
at leverage L entered at E is liquidated at E (1 - (1/L - m) / (1 - m)) (isolated linear, maintenance
rate m). Move: from P1 = P0 (1 + s0), with Q the notional liquidated so far, the price is
P = P1 (1 - Y sigma sqrt(Q / V)) (square-root impact, Donier-Bonart), sigma the hourly volatility
and V the median hourly USD volume of the calibration data; iterated to the fixed point (no new
liquidation). Then the excess over s0 reverts with half-life ``half_life_h``.

Insurance fund and ADL (``fund_usd`` > 0): a long liquidated at leverage L from entry E is filled at the
cascade's trough p; below its bankruptcy price E (1 - 1/L) the venue loses (E (1 - 1/L) - p) per coin
beyond the margin (bad debt). The venue carries ``oi_share`` of the book (its share of all-exchange open
interest) and pays its share of the bad debt from its fund, which shrinks over the path. When a cascade's
bad debt exceeds what is left, the liquidations the fund could not absorb (their share of the venue's
bad debt, times the notional liquidated) are closed against the profitable shorts: an ADL event for the
shorts in that bar whose share of their open interest is that notional over the longs' book (every
contract has both sides). ``apply`` writes it in the path's ``adl_*`` arrays; the engine's ``--adl``
rule decides what it does to the account (engine/nb/adl.py).

Calibration (docs/stress.md): OI $85.8B (CoinGlass, all exchanges, Oct 10 20:00), 87 % longs
(CoinGlass Oct 10 liquidations); replaying Oct 10 21:00 on Binance BTCUSDT (P0 = 114,266.8 open,
s0 = -3.8 %, the worst close-to-close hour of the season) with Y = ``IMPACT_Y`` reaches a trough
near -10.7 % (the real low against the open) and liquidates near 18 % of the OI (CoinGlass
$85.8B -> $70.5B between 20:00 and 24:00).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hedgelab.stress.paths import scaled

LEVERAGE_SHARES = {2: 0.35, 3: 0.20, 5: 0.20, 10: 0.13, 20: 0.07, 50: 0.03, 100: 0.02}
MAINTENANCE = 0.004
IMPACT_Y = 0.97
OI_USD = 85.8e9
LONG_SHARE = 0.87
TRIGGER = -0.03          # a bar whose low falls this far below its open starts a cascade


@dataclass(frozen=True)
class Cascade:
    sigma: float          # hourly sd of log returns (calibration data)
    volume_usd: float     # median hourly USD volume (calibration data)
    oi_usd: float = OI_USD
    long_share: float = LONG_SHARE
    lookback_h: float = 336.0
    half_life_h: float = 1.0
    impact_y: float = IMPACT_Y
    fund_usd: float = 0.0     # the venue's insurance fund (0: no fund test, no ADL events)
    oi_share: float = 1.0     # the venue's share of the book's open interest

    @classmethod
    def fit(cls, history, market, **kw) -> "Cascade":
        vol = np.asarray(market.volume, dtype=float) * np.asarray(market.close, dtype=float)
        vol = vol[np.isfinite(vol) & (vol > 0)]
        return cls(sigma=history.hourly_sigma(), volume_usd=float(np.median(vol)) if len(vol) else 1e8, **kw)

    def book(self, entries):
        """(liquidation price, notional) per book entry for longs entered at ``entries``."""
        entries = np.asarray(entries, dtype=float)
        lev = np.array(list(LEVERAGE_SHARES), dtype=float)
        share = np.array(list(LEVERAGE_SHARES.values()))
        d = (1 / lev - MAINTENANCE) / (1 - MAINTENANCE)
        liq = (entries[:, None] * (1 - d)[None, :]).ravel()
        notional = (np.full(len(entries), self.oi_usd * self.long_share / len(entries))[:, None]
                    * share[None, :] / share.sum()).ravel()
        return liq, notional

    def bad_debt(self, entries, gone, trough_price: float) -> tuple[float, float]:
        """(the venue's bad debt, the notional liquidated) of the book rows ``gone`` filled at ``trough_price``:
        per row, coins x max(0, bankruptcy price - fill), times ``oi_share`` (USD)."""
        entries = np.asarray(entries, dtype=float)
        lev = np.array(list(LEVERAGE_SHARES), dtype=float)
        bankrupt = (entries[:, None] * (1 - 1 / lev)[None, :]).ravel()
        _, notional = self.book(entries)
        entry = np.repeat(entries, len(lev))
        debt = (notional / entry * np.maximum(bankrupt - trough_price, 0.0))[gone].sum()
        return float(debt * self.oi_share), float(notional[gone].sum() * self.oi_share)

    def run(self, p0: float, s0: float, entries, alive=None):
        """(trough as a decimal move from p0, liquidated share of OI, alive mask of the book after).

        ``alive``: which book rows (entry x leverage, as ``book``) still exist; an earlier cascade took
        the others."""
        liq, notional = self.book(entries)
        alive = np.ones(len(liq), bool) if alive is None else np.asarray(alive, bool)
        p1 = p0 * (1 + s0)
        p, q = p1, 0.0
        # fixed point: Q(P) = notional with liq >= P; P = p1 (1 - Y sigma sqrt(Q / V))
        for _ in range(500):
            q_new = notional[alive & (liq >= p)].sum()
            if q_new == q:
                break
            q = q_new
            p = max(p1 * (1 - self.impact_y * self.sigma * np.sqrt(q / self.volume_usd)), 0.05 * p0)
        gone = alive & (liq >= p)
        return p / p0 - 1, float(notional[gone].sum() / self.oi_usd), ~gone & alive

    def apply(self, path):
        """The path with every trigger bar's wick deepened by the cascade and its excess reverting, and the
        ADL events of the cascades whose bad debt the venue's fund could not cover (module docstring)."""
        n, bs = len(path.close), int(path.bar_seconds)
        o, lo, c = (np.asarray(x, dtype=float) for x in (path.open, path.low, path.close))
        look = max(int(round(self.lookback_h * 3600 / bs)), 1)
        keep = 0.5 ** (bs / 3600.0 / self.half_life_h)
        extra = np.zeros(n)     # extra close level (negative), reverting
        m_low = np.ones(n)
        troughs = []            # (bar, price) of earlier cascades: positions opened before are gone
        level = 0.0
        fund = self.fund_usd
        adl_share = np.full(n, np.nan)
        for i in range(n):
            level *= keep
            s0 = lo[i] / o[i] - 1
            if s0 <= TRIGGER:
                first = max(0, i - look)
                entries = c[first:i] if i else o[:1]
                bars = np.arange(first, first + len(entries))
                liq, _ = self.book(entries)
                alive = np.ones(len(liq), bool)
                for b, price in troughs:
                    alive &= ~((np.repeat(bars, len(LEVERAGE_SHARES)) < b) & (liq >= price))
                trough, _, after = self.run(o[i], s0, entries, alive)
                troughs.append((i, o[i] * (1 + trough)))
                if self.fund_usd > 0.0:
                    debt, liquidated = self.bad_debt(entries, alive & ~after, o[i] * (1 + trough))
                    uncovered = debt - fund
                    fund = max(fund - debt, 0.0)
                    if uncovered > 0.0 and liquidated > 0.0:
                        book = self.oi_usd * self.long_share * self.oi_share
                        adl_share[i] = min(1.0, liquidated * uncovered / debt / book)
                if trough < s0:
                    m_low[i] = (1 + trough) / (1 + s0)
                    level += (trough - s0) * keep   # the close keeps a reverting part of the excess
            extra[i] = level
        m_close = 1 + extra
        m_open = np.concatenate([[1.0], m_close[:-1]])
        m_low = np.minimum(m_low, np.minimum(m_open, m_close))
        out = scaled(path, m_open, np.maximum(m_open, m_close), m_low, m_close)
        if np.isfinite(adl_share).any():
            out = out._replace(adl_side=np.where(np.isfinite(adl_share), -1.0, np.nan), adl_share=adl_share,
                               adl_price=np.full(n, np.nan))
        return out
