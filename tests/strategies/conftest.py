import numpy as np
import pytest

from hedgelab.data.arrays import MarketArrays
from hedgelab.engine.types import Intent, State

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"
T0_S = 1_760_000_400  # 2025-10-09 09:00 UTC, a multiple of 3600 s


def make_market(close, *, bar_seconds=3600, funding_every=8, rate=0.0001, iv=0.5, volume=1e9):
    """Synthetic MarketArrays: OHLC = mark = index = ``close`` (flat bars), funding every N bars."""
    close = np.asarray(close, dtype=np.float64)
    n = len(close)
    time_ns = (T0_S + np.arange(n, dtype=np.int64) * bar_seconds) * 1_000_000_000
    funding = np.full(n, np.nan)
    if funding_every:
        funding[::funding_every] = rate
    price = [close.copy() for _ in range(4)]
    return MarketArrays(time_ns, bar_seconds, *price, np.full(n, volume), *price, *price,
                        funding, np.where(np.isnan(funding), np.nan, close), np.full(n, iv))


def make_state(**fields):
    """A state vector with the named fields set (names as in State, lower case), others 0.

    The index close defaults to the traded close (spot fills at the index)."""
    if "close" in fields:
        fields.setdefault("index", fields["close"])
    state = np.zeros(State.N)
    state[State.LIQ_PRICE] = np.nan
    state[State.NEXT_EXPIRY_S] = np.nan
    for key, value in fields.items():
        state[getattr(State, key.upper())] = value
    return state


def call_hook(hook, state, params, features=None, i=0):
    """Run a compiled hook once; returns the intent vector (NaN = no change)."""
    intent = np.full(Intent.N, np.nan)
    if features is None:
        features = np.zeros((i + 1, 1))
    hook(i, np.ascontiguousarray(state), np.ascontiguousarray(params, dtype=np.float64),
         np.ascontiguousarray(features, dtype=np.float64), intent)
    return intent


@pytest.fixture
def market():
    return make_market(np.linspace(100.0, 110.0, 48))


@pytest.fixture
def helpers():
    """The helpers above, for test modules (pytest's importlib mode does not import conftest)."""
    from types import SimpleNamespace
    return SimpleNamespace(make_market=make_market, make_state=make_state, call_hook=call_hook,
                           fixtures=FIXTURES)
