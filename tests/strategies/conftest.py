from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from hedgelab.engine.types import Intent
from hedgelab.strategies.testing import make_state, synthetic_market

FIXTURES = Path(__file__).parent / "fixtures"


def call_hook_raw(hook, state, params, features=None, i=0):
    """Run a compiled hook once; returns the raw intent vector (NaN = no change)."""
    intent = np.full(Intent.N, np.nan)
    if features is None:
        features = np.zeros((i + 1, 1))
    hook(i, np.ascontiguousarray(state), np.ascontiguousarray(params, dtype=np.float64),
         np.ascontiguousarray(features, dtype=np.float64), intent)
    return intent


@pytest.fixture
def market():
    return synthetic_market(np.linspace(100.0, 110.0, 48))


@pytest.fixture
def helpers():
    """Shared helpers (pytest's importlib mode does not let test modules import conftest)."""
    return SimpleNamespace(make_market=synthetic_market, make_state=make_state, call_hook=call_hook_raw,
                           fixtures=FIXTURES)
