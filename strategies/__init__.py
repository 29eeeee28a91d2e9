"""Strategy plugins: the ``Strategy`` base, ``Param`` descriptors, discovery and the built-ins.

    from hedgelab.strategies import Strategy, Param, discover, get_strategy, BUILTINS
    from hedgelab.strategies import param_index, memory_slots   # named params[k] / State.MEMk in hooks

The package is also callable: ``hedgelab.strategies(strategies_dir=None)`` is ``discover(...)``, every
strategy that loads (``.strategies``, name -> class), where each came from (``.sources``) and every
plugin that did not load or whose name was already taken (``.failures``, ``LoadFailure`` records).
"""
import sys
import types

from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.hooks import noop_nb, targets_nb
from hedgelab.strategies.names import memory_slots, param_index
from hedgelab.strategies.registry import (
    BASKET_BUILTINS,
    BUILTINS,
    ENTRY_POINT_GROUP,
    Discovery,
    LoadFailure,
    discover,
    get_strategy,
)

__all__ = ["Strategy", "Param", "discover", "get_strategy", "BUILTINS", "BASKET_BUILTINS", "ENTRY_POINT_GROUP",
           "Discovery", "LoadFailure", "targets_nb", "noop_nb", "param_index", "memory_slots"]


class _CallableModule(types.ModuleType):
    def __call__(self, strategies_dir=None, *, entry_points: bool = True) -> Discovery:
        """``hedgelab.strategies()``: ``discover(strategies_dir)``, the failures included."""
        return discover(strategies_dir, entry_points=entry_points)

    @property
    def strategies(self):
        # ``hedgelab``'s lazy attribute table reads ``hedgelab.strategies.strategies``: the package itself
        return self


sys.modules[__name__].__class__ = _CallableModule
