"""hedgelab.engine: accounts, venues and the numba simulation kernel.

Public surface: ``simulate``, ``SimResult``, ``Costs``, ``load_venue``, ``liquidation_price``,
``assumptions``, ``HookError`` (a strategy hook's mistake, raised by ``simulate``), ``MARGIN_MODES``.
Imports are lazy so that the kernel compiles (or loads from cache) only when used.
"""
from importlib import import_module
from typing import Any

# First: registers the disk-cache locator of hedgelab's numba code (engine/nb/cache.py) before any
# cached function is defined.
from hedgelab.engine import nb as _nb  # noqa: F401
# Imported eagerly: the submodule ``simulate`` would otherwise shadow the function of the same name.
from hedgelab.engine.simulate import simulate

_LAZY = {
    "SimResult": "hedgelab.engine.result",
    "Costs": "hedgelab.engine.costs",
    "load_venue": "hedgelab.engine.venues",
    "Venue": "hedgelab.engine.venues",
    "VENUE_IDS": "hedgelab.engine.venues",
    "liquidation_price": "hedgelab.engine.liquidation",
    "assumptions": "hedgelab.engine.liquidation",
    "HookError": "hedgelab.engine.hook_errors",
    "MARGIN_MODES": "hedgelab.engine.spec",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hedgelab.engine' has no attribute {name!r}")


__all__ = ["simulate", *_LAZY]
