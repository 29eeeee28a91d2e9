"""basket-hold: the basket held unhedged, the baseline of the basket hedges.

At the first decision it buys the basket by its weights with ``1 - reserve`` of the equity: as spot
(``via=spot``, fully paid) or as perps at ``leverage`` (``via=perp``: notional = leverage x that
budget, one position per coin on one cross wallet or each on its own isolated margin). Every
``rebalance_hours`` (0 = never) it resets the weights. A liquidated account stays flat.

Parameters (defaults): via spot, leverage 1, rebalance_hours 0, reserve 0.
"""
from numba import njit

from hedgelab.engine.basket_types import BASKET_HOOK_SIG, Account
from hedgelab.strategies.base import Param
from hedgelab.strategies.basket import BasketStrategy
from hedgelab.strategies.basket_hooks import basket_scheduled_nb, first_decision_nb, hold_basket_nb

VIA, LEV, HOURS, RESERVE = range(4)
W0 = 4   # weights follow the declared parameters (BasketStrategy.weights_at)


@njit(BASKET_HOOK_SIG, cache=True, nogil=True)
def basket_hold_nb(i, coins, account, params, features, intent):
    if account[Account.LIQUIDATIONS] > 0.0:
        return
    if not first_decision_nb(account) and not basket_scheduled_nb(account, params[HOURS]):
        return
    via_perp = params[VIA] == 1.0
    budget = account[Account.EQUITY] * (1.0 - params[RESERVE])
    value = budget * params[LEV] if via_perp else budget
    hold_basket_nb(coins, params, W0, value, via_perp, params[LEV], intent)


class BasketHold(BasketStrategy):
    """The basket held unhedged (spot, or perps at a leverage): the baseline of the basket hedges."""

    name = "basket-hold"
    label_params = ("via", "leverage")
    via = Param("spot", type=str, choices=("spot", "perp"), doc="hold the basket as spot or as perps")
    leverage = Param(1.0, low=1.0, high=100.0, grid=(1.0, 3.0, 5.0, 10.0), doc="perp notional / budget (via=perp)")
    rebalance_hours = Param(0.0, low=0.0, doc="reset the weights every N hours (0 = never)")
    reserve = Param(0.0, low=0.0, high=0.9, doc="share of equity kept in cash")
    decide_nb = staticmethod(basket_hold_nb)
