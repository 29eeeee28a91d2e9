"""hedgelab: backtest hedging strategies on crypto perpetuals and options.

The public API is imported lazily so that ``hedgelab --version`` and the CLI start fast.
"""
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("hedgelab")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

_LAZY = {
    "UserError": "hedgelab.core.errors",
    "DataError": "hedgelab.core.errors",
    "load": "hedgelab.data",
    "align": "hedgelab.data",
    "Strategy": "hedgelab.strategies",
    "Param": "hedgelab.strategies",
    "run": "hedgelab.api",
    "compare": "hedgelab.api",
    "sweep": "hedgelab.api",
    "market": "hedgelab.api",
    "stress": "hedgelab.stress",
    "strategies": "hedgelab.strategies",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hedgelab' has no attribute {name!r}")


__all__ = ["__version__", *_LAZY]
