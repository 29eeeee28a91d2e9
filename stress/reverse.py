"""Reverse stress: the smallest instantaneous move (a drop or a rally) that liquidates an account, or
loses ``max_loss``.

Strategy form (Breuer et al., one factor): the strategy runs on the data up to and including the
shock bar t0 (``at``); at t0's open every price (traded, mark, index; open, high, low and close) is
multiplied by 1 + s, and IV answers through ``paths.iv_response`` (+0.78 vol points per -1 %, -0.19
per +1 %). The engine itself runs each trial, so hedges, option legs and margin rules count.
Both directions are searched, each by bisection: s in [-0.99, 0] (a drop: a long's risk) and s in
[0, ``MAX_RALLY``] (a rally: the risk of a short leg, e.g. the short perp of a hedge or a carry
trade): the smallest |s| whose run has a perp liquidation at t0 (or, with ``max_loss``, whose equity
at t0's close is at least ``max_loss`` (a decimal) below the equity at t0 - 1). The answer is the
smaller of the two moves. Each move is reported as a positive decimal of the reference price, the
mark close of bar t0 - 1: drop = 1 - trough / reference, trough = the shocked mark low of bar t0;
rally = peak / reference - 1, peak = the shocked mark high of bar t0 (for ``max_loss`` both are
measured on the shocked mark close).

Position form (``position_drop``): the same for one position from the venue's liquidation rule
(``engine.liquidation_price``, the kernel's margin code): an isolated linear long at leverage L with
maintenance rate m is liquidated after a fall of (1/L - m) / (1 - m) from its entry, a short after a
rise of (1/L - m) / (1 + m).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hedgelab.core.errors import UserError
from hedgelab.stress.paths import scaled
from hedgelab.stress.run import first_liquidation_bars, simulate_entry

STEPS = 30   # bisection steps: |s| known to 2^-30 of the range searched
MAX_DROP = 0.99    # prices stay positive
MAX_RALLY = 9.0    # x10: a 1x isolated short is liquidated near +100 %, a short against spot held as
                   # collateral later; beyond x10 the answer is "no rally up to +900 %"


@dataclass(frozen=True)
class Reverse:
    drop: float | None        # positive decimal; None: even -99 % does not breach
    trough_price: float | None
    reference_price: float
    criterion: str            # "liquidation" or "max_loss 0.2"
    at: str
    already: bool = False     # the account was liquidated before ``at`` without any shock
    rally: float | None = None        # positive decimal; None: even +900 % does not breach
    peak_price: float | None = None

    @property
    def direction(self) -> str | None:
        """"down" or "up": the smaller move that breaches (down on a tie); None when neither does."""
        if self.drop is None and self.rally is None:
            return None
        if self.rally is None or (self.drop is not None and self.drop <= self.rally):
            return "down"
        return "up"

    @property
    def move(self) -> float | None:
        """The smaller breaching move, signed (-0.2: a 20 % drop; +0.4: a 40 % rally), or None."""
        d = self.direction
        return None if d is None else (-self.drop if d == "down" else self.rally)  # type: ignore[operator]


def _shocked(market, t0: int, s: float):
    n = t0 + 1
    cut = market._replace(**{f: getattr(market, f)[:n] for f in market._fields
                             if isinstance(getattr(market, f), np.ndarray)})
    m = np.ones(n)
    m[t0] = 1.0 + s
    m_open = m.copy()
    return scaled(cut, m_open, m, m, m)


def _run(entry, market, t0, s, venue, capital, symbol="BTC"):
    path = _shocked(market, t0, s)
    [(_, sim)] = simulate_entry(entry, path, venue, capital, symbol=symbol)[:1]
    return sim, path


def _breached(sim, t0, max_loss) -> bool:
    if max_loss is None:
        return bool(first_liquidation_bars(sim.records, 1)[0] >= 0)
    eq = sim.equity.iloc[:, 0].to_numpy()
    return bool(eq[t0] <= eq[t0 - 1] * (1 - max_loss))


def reverse_stress(entry, market, t0: int, *, venue="binance", capital=100_000.0, max_loss=None,
                   symbol="BTC") -> Reverse:
    """Bisection with the real engine, down and up; ``entry`` is a ``run.Entry`` with one parameter set."""
    if t0 < 1 or t0 >= len(market.close):
        raise UserError("--at must fall after the first bar and inside the data")
    if max_loss is not None and not 0 < max_loss < 1:
        raise UserError(f"--max-loss {max_loss!r} must be a decimal in (0, 1) (e.g. 0.2 = lose 20 % of equity)")
    ref = float(market.mark_close[t0 - 1])
    when = str(np.datetime64(int(market.time_ns[t0]), "ns"))[:16].replace("T", " ") + " UTC"
    crit = "liquidation" if max_loss is None else f"max_loss {max_loss:g}"
    base, _ = _run(entry, market, t0, 0.0, venue, capital, symbol)
    first = first_liquidation_bars(base.records, 1)[0]
    if 0 <= first < t0:
        return Reverse(0.0, None, ref, crit, when, already=True, rally=0.0)
    if _breached(base, t0, max_loss):   # the bar itself breaches: no shock needed
        low = float(market.mark_low[t0] if max_loss is None else market.mark_close[t0])
        high = float(market.mark_high[t0] if max_loss is None else market.mark_close[t0])
        return Reverse(0.0, low, ref, crit, when, rally=0.0, peak_price=high)
    down = _search(entry, market, t0, -MAX_DROP, venue, capital, symbol, max_loss)
    up = _search(entry, market, t0, MAX_RALLY, venue, capital, symbol, max_loss)
    trough = None if down is None else float(down.mark_low[t0] if max_loss is None else down.mark_close[t0])
    peak = None if up is None else float(up.mark_high[t0] if max_loss is None else up.mark_close[t0])
    return Reverse(None if trough is None else 1 - trough / ref, trough, ref, crit, when,
                   rally=None if peak is None else peak / ref - 1, peak_price=peak)


def _search(entry, market, t0, far, venue, capital, symbol, max_loss):
    """The shocked path of the smallest breaching move between 0 and ``far`` (its sign: the direction),
    or None when even ``far`` does not breach."""
    sim, path = _run(entry, market, t0, far, venue, capital, symbol)
    if not _breached(sim, t0, max_loss):
        return None
    lo, hi = 0.0, far     # lo: not breached, hi: breached
    for _ in range(STEPS):
        mid = (lo + hi) / 2
        sim, p = _run(entry, market, t0, mid, venue, capital, symbol)
        if _breached(sim, t0, max_loss):
            hi, path = mid, p
        else:
            lo = mid
    return path


def position_drop(venue="binance", *, side, entry, qty, wallet=None, leverage=None, at=None, symbol="BTC") -> dict:
    """The adverse move (positive decimal of ``entry``) that reaches the position's liquidation price."""
    from hedgelab.engine.liquidation import liquidation_price
    res = liquidation_price(venue, side=side, entry=entry, qty=qty, wallet=wallet, leverage=leverage, at=at,
                            symbol=symbol)
    lp = res.liquidation_price
    if lp is None:
        drop = None
    else:
        drop = 1 - lp / entry if side == "long" else lp / entry - 1
    return {"drop": drop, "direction": "down" if side == "long" else "up", "liquidation_price": lp,
            "mmr": res.mmr, "venue": res.venue}
