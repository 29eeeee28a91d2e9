"""Named indices for hooks, so nobody writes ``params[3]`` or ``state[State.MEM2]`` by hand.

    P = param_index("hedge_ratio", "leverage")      # P.hedge_ratio == 0, P.leverage == 1
    M = memory_slots("peak", "regime")              # M.peak == State.MEM0, M.regime == State.MEM1

    @njit(HOOK_SIG, cache=True)
    def decide_nb(i, state, params, features, intent):
        ratio = params[P.hedge_ratio]
        state[M.peak] = max(state[M.peak], state[State.EQUITY])   # NaN at the column's start

Both are NamedTuple instances, which numba folds into constants like ``State.EQUITY``. Declared
before the hook (numba compiles it when the module is imported); give the class ``P = P`` and
``Strategy`` checks at import that the names follow its parameters' declared order.
"""
from typing import NamedTuple

from hedgelab.engine.types import MEMORY_SLOTS, State


def _index(kind: str, names, start: int):
    if len(set(names)) != len(names) or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise TypeError(f"{kind}: names must be distinct Python identifiers, got {names!r}")
    cls = NamedTuple(kind, [(n, int) for n in names])
    return cls(*range(start, start + len(names)))


def param_index(*names):
    """Positions of the parameters in ``params``, in the strategy's declaration order."""
    return _index("ParamIndex", names, 0)


def memory_slots(*names):
    """Named hook memory slots (``State.MEM0`` ..), at most ``MEMORY_SLOTS``."""
    if len(names) > MEMORY_SLOTS:
        raise TypeError(f"memory_slots: {len(names)} names for {MEMORY_SLOTS} slots (State.MEM0..MEM7)")
    return _index("MemorySlots", names, State.MEM0)
