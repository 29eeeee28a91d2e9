"""Hand-built bar scenarios (freqtrade style): a few bars, a few orders, and the expected fill, funding,
trigger and liquidation worked out by hand in the test's comments. Shared by the
tests/engine/test_engine_bar_scenarios*.py modules."""
import numpy as np

from hedgelab.engine import Costs, simulate
from hedgelab.engine.hooks import replay_nb
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import make_market

START = "2025-10-01"   # the late-2025 Binance table is in force (2025-09-01 onwards)


def _with(base, changes):
    out = np.array(base, dtype=float)
    for bar, value in (changes or {}).items():
        out[bar] = value
    return out


def bars(close, *, open_=None, high=None, low=None, mark=None, index=None, funding=None, funding_price=None,
         volume=1e9, start=START, iv=None):
    """Hourly bars. ``close`` is a list; ``open_`` defaults to the close (flat bars), ``high``/``low`` are
    {bar: price} wicks over max/min(open, close); ``mark`` an optional {"open"/"high"/"low"/"close":
    {bar: price}} of mark prices differing from the traded ones; ``funding`` {bar: rate} settled at
    those bars' opens, on ``funding_price`` {bar: price} (default the mark open)."""
    close = np.asarray(close, dtype=float)
    n = len(close)
    o = close.copy() if open_ is None else _with(close, open_) if isinstance(open_, dict) else np.asarray(open_, float)
    h = _with(np.maximum(o, close), high)
    lo = _with(np.minimum(o, close), low)
    m = None
    if mark is not None:
        m = tuple(_with(base, mark.get(name)) for name, base in zip(("open", "high", "low", "close"), (o, h, lo, close)))
    rate = _with(np.full(n, np.nan), funding)
    fp = None if funding_price is None else _with(m[0] if m else o, funding_price)
    return make_market(o, h, lo, close, start=start, volume=np.full(n, float(volume)), mark=m,
                       index_close=None if index is None else _with(close, index),
                       funding_rate=rate, funding_price=fp, iv=iv)


def orders(n, at):
    """A replay spec: ``at`` = {bar: {"perp": q, "spot": q, "lev": x, "stop": p}} sent at those bars' closes."""
    feats = np.full((n, 4), np.nan)
    reb = np.zeros(n, bool)
    for bar, o in at.items():
        feats[bar] = [o.get("perp", np.nan), o.get("spot", np.nan), o.get("lev", np.nan), o.get("stop", np.nan)]
        reb[bar] = True
    return StrategySpec(replay_nb, np.zeros((1, 1)), feats, reb, ("x",), ("scenario",))


def costs(perp_fee=0.0, spot_fee=0.0, half_spread=0.0, impact=0.0):
    return Costs(perp_fee=perp_fee, spot_fee=spot_fee, half_spread=half_spread, impact=impact)


def run(market, at, *, venue="binance", mode="isolated", capital=100_000.0, cost=None, **kw):
    return simulate(market, orders(len(market.close), at), venue=venue, margin_mode=mode, capital=capital,
                    costs=costs() if cost is None else cost, **kw)


def events(res, kind=None, instrument=None):
    ev = res.events
    if kind is not None:
        ev = ev[ev["kind"] == kind]
    if instrument is not None:
        ev = ev[ev["instrument"] == instrument]
    return ev.reset_index(drop=True)


def equity(res):
    return res.equity.iloc[:, 0].to_numpy()
