"""Helpers for testing strategies without real data: a synthetic market, a state vector, one hook call.

    from hedgelab.strategies.testing import synthetic_market, make_state, call_hook
"""
import numpy as np

from hedgelab.data.arrays import MarketArrays
from hedgelab.engine.debug import checked, plain_hook
from hedgelab.engine.types import MEMORY_SLOTS, Intent, State, StateLeg

T0_S = 1_760_000_400  # 2025-10-09 09:00 UTC (a whole hour)


def synthetic_market(close, *, bar_seconds=3600, funding_every=8, rate=0.0001, iv=0.5, volume=1e9,
                     start_s=T0_S) -> MarketArrays:
    """MarketArrays with OHLC = mark = index = ``close`` (flat bars) and a funding settlement of
    ``rate`` every ``funding_every`` bars from bar 0 (0 = none), priced at the close."""
    close = np.asarray(close, dtype=np.float64)
    n = len(close)
    time_ns = (start_s + np.arange(n, dtype=np.int64) * bar_seconds) * 1_000_000_000
    funding = np.full(n, np.nan)
    if funding_every:
        funding[::funding_every] = rate
    price = [close.copy() for _ in range(4)]
    return MarketArrays(time_ns, bar_seconds, *price, np.full(n, float(volume)), *price, *price,
                        funding, np.where(np.isnan(funding), np.nan, close), np.full(n, float(iv)))


def make_state(**fields) -> np.ndarray:
    """A hook state vector: fields named as ``State`` in lower case, others 0 (LIQ_PRICE,
    NEXT_EXPIRY_S, MAX_LEVERAGE and the memory slots MEM0..MEM7 NaN, as at a column's start;
    LEVERAGE 1); the index close defaults to the traded close."""
    if "close" in fields:
        fields.setdefault("index", fields["close"])
    state = np.zeros(State.N)
    state[State.LEVERAGE] = 1.0          # the kernel's setting before a hook sets one
    state[State.MAX_LEVERAGE] = np.nan   # the venue's tier table decides; give it when a test needs it
    state[State.LIQ_PRICE] = np.nan
    state[State.NEXT_EXPIRY_S] = np.nan
    state[State.MEM0:State.MEM0 + MEMORY_SLOTS] = np.nan
    state[State.LEGS:] = np.nan          # option legs: free slots (QTY 0, the rest NaN)
    state[State.LEGS + StateLeg.QTY::StateLeg.N] = 0.0
    for key, value in fields.items():
        state[getattr(State, key.upper())] = value
    return state


def call_hook(hook, state, params, features=None, i=0, *, check_bounds=True) -> dict:
    """Run a compiled hook once at bar ``i``; returns the intent fields it set, by name. A float64
    ``state`` is passed as is, so the memory slots the hook writes can be read back from it.

    ``check_bounds``: first run the hook's plain-Python version on copies whose indexing is checked
    (a read or write past ``params``, ``features``, ``state`` or ``intent``, or at a negative index,
    is an IndexError naming the array; the compiled hook would read or overwrite whatever memory
    follows), then the compiled hook itself, whose result is returned."""
    intent = np.full(Intent.N, np.nan)
    if features is None:
        features = np.zeros((i + 1, 1))
    state = np.ascontiguousarray(state, dtype=np.float64)
    params = np.ascontiguousarray(params, dtype=np.float64)
    features = np.ascontiguousarray(features, dtype=np.float64)
    if check_bounds:
        plain_hook(hook)(i, checked(state.copy(), "state"), checked(params, "params"),
                         checked(features, "features"), checked(intent.copy(), "intent"))
    hook(i, state, params, features, intent)
    return {name: float(intent[k]) for k, name in enumerate(Intent._fields[:-1]) if not np.isnan(intent[k])}
