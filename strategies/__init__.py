"""Strategy plugins: the ``Strategy`` base, ``Param`` descriptors, discovery and the built-ins.

    from hedgelab.strategies import Strategy, Param, discover, get_strategy, BUILTINS
    from hedgelab.strategies import param_index, memory_slots   # named params[k] / State.MEMk in hooks
"""
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
