"""basket-btc-short: the basket hedged with a short BTC perp sized by a rolling beta.

At the first decision it buys the basket with ``1 - reserve`` of the equity, less the hedge's margin:
as spot (``via=spot``) or as perps at ``leverage`` (``via=perp``), and shorts BTC on the perp for
``hedge_ratio`` x the basket's beta-weighted value, beta_k = the coin's beta on BTC (hourly log
returns of the index over the last ``beta_window`` bars, fewer while fewer are known; 1 for the first
24 bars and for BTC itself), margin = notional / ``hedge_leverage``. Every ``rebalance_hours`` the
hedge is reset to the basket's value then and the betas then. In cross margin every perp shares one
wallet: a basket held as perps can be liquidated by its alts while the BTC hedge is in profit. A
liquidated account stays flat.

Parameters (defaults): via spot, leverage 1, hedge_ratio 1, hedge_leverage 3, beta_window 168,
rebalance_hours 24, reserve 0.05.
"""
from numba import njit

from hedgelab.engine.basket_types import BASKET_HOOK_SIG, Account, Coin, CoinIntent
from hedgelab.strategies.base import Param
from hedgelab.strategies.basket import BetaHedged
from hedgelab.strategies.basket_hooks import (basket_scheduled_nb, basket_value_nb, first_decision_nb,
                                              hold_basket_nb)

VIA, LEV, RATIO, HEDGE_LEV, WINDOW, HOURS, RESERVE = range(7)
W0 = 7


@njit(cache=True, nogil=True)
def beta_weight_nb(params, features, i, n):
    """sum_k weight_k x beta_k at bar i (a coin's beta is 1 while unknown)."""
    b = 0.0
    for k in range(n):
        beta = features[i, k]
        b += params[W0 + k] * (beta if beta == beta else 1.0)
    return b


@njit(BASKET_HOOK_SIG, cache=True, nogil=True)
def basket_btc_short_nb(i, coins, account, params, features, intent):
    if account[Account.LIQUIDATIONS] > 0.0:
        return
    n = coins.shape[0]
    h = int(params[W0 + n])                       # the BTC row
    via_perp = params[VIA] == 1.0
    combined = via_perp and params[W0 + h] != 0.0  # BTC's basket perp and its hedge are one position
    beta = beta_weight_nb(params, features, i, n)
    if first_decision_nb(account):
        budget = account[Account.EQUITY] * (1.0 - params[RESERVE])
        per_value = (1.0 / params[LEV] if via_perp else 1.0) + params[RATIO] * beta / params[HEDGE_LEV]
        value = budget / per_value
        hold_basket_nb(coins, params, W0, value, via_perp, params[LEV], intent)
        own = params[W0 + h] * value / coins[h, Coin.MARK] if combined else 0.0
        account[Account.MEM6] = own               # BTC's own basket quantity, netted with the hedge below
    elif basket_scheduled_nb(account, params[HOURS]):
        own = account[Account.MEM6]
        value = basket_value_nb(coins, params, W0, via_perp)
        if combined:                              # BTC's perp holds the hedge too: count only its basket part
            value += (own - coins[h, Coin.PERP_QTY]) * coins[h, Coin.MARK]
    else:
        return
    hedge = -params[RATIO] * beta * value / coins[h, Coin.MARK]
    intent[h, CoinIntent.TARGET_PERP] = own + hedge
    intent[h, CoinIntent.LEVERAGE] = params[LEV] if combined else params[HEDGE_LEV]


class BasketBtcShort(BetaHedged):
    """The basket hedged with a short BTC perp sized by its rolling beta on BTC."""

    name = "basket-btc-short"
    label_params = ("via", "hedge_ratio")
    via = Param("spot", type=str, choices=("spot", "perp"), doc="hold the basket as spot or as perps")
    leverage = Param(1.0, low=1.0, high=100.0, doc="basket perp notional / its margin (via=perp)")
    hedge_ratio = Param(1.0, low=0.0, high=2.0, grid=(0.5, 1.0), doc="BTC short / beta-weighted basket value")
    hedge_leverage = Param(3.0, low=1.0, high=100.0, doc="the BTC short's notional / margin")
    beta_window = Param(168, type=int, low=24, high=10_000, feature=True, doc="bars of returns in the beta")
    rebalance_hours = Param(24.0, low=0.0, doc="reset the hedge every N hours (0 = never)")
    reserve = Param(0.05, low=0.0, high=0.9, doc="share of equity kept in cash")
    decide_nb = staticmethod(basket_btc_short_nb)
