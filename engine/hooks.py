"""Built-in decision hooks (compiled with ``HOOK_SIG``, cached on disk).

``replay_nb`` turns arrays into orders, like vectorbt's ``from_orders``: on a rebalance bar it
sends ``features[i, 0]`` as the perp target, ``features[i, 1]`` as the spot target,
``features[i, 2]`` as the leverage and ``features[i, 3]`` as the stop price (NaN = no change);
columns beyond the features' width are ignored.
"""
import numpy as np
from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent


@njit(HOOK_SIG, cache=True)
def replay_nb(i: int, state: np.ndarray, params: np.ndarray, features: np.ndarray, intent: np.ndarray) -> None:
    k = features.shape[1]
    intent[Intent.TARGET_PERP] = features[i, 0]
    if k > 1:
        intent[Intent.TARGET_SPOT] = features[i, 1]
    if k > 2:
        intent[Intent.LEVERAGE] = features[i, 2]
    if k > 3:
        intent[Intent.STOP_PRICE] = features[i, 3]
