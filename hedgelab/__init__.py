"""hedgelab: backtest hedging strategies on crypto perpetuals and options.

The public API is imported lazily so that ``hedgelab --version`` and the CLI start fast; ``dir(hedgelab)``
lists it all the same.
"""
from importlib import import_module as _import_module
from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version
from typing import Any as _Any

try:
    __version__ = _version("hedgelab")
except _PackageNotFoundError:  # running from a source tree that is not installed
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
    "Result": "hedgelab.api",
    "strategies": "hedgelab.strategies",
}


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        return getattr(_import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hedgelab' has no attribute {name!r}")


def __dir__() -> list[str]:
    # the lazy names are not module globals until first used: without this, dir() and tab completion
    # showed only the helpers imported above
    return sorted(__all__)


__all__ = ["__version__", *_LAZY]
