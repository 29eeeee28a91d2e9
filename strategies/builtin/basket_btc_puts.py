"""basket-btc-puts: a spot basket hedged with BTC puts sized by the basket's rolling beta on BTC.

At the first decision it buys the basket as spot with ``1 - reserve`` of the equity (the reserve pays the
premiums), then keeps a put on BTC for ``hedge_ratio`` x the basket's beta-weighted value in BTC (betas as
in basket-btc-short: hourly log returns of the index over the last ``beta_window`` bars; 1 for the first
24 bars and for BTC itself) at ``strike`` (a fraction of the forward) with ``tenor_days`` to expiry,
bought again at each expiry for the basket's value and betas then. The puts pay only for BTC's fall: on
Oct 10 the alts fell two to four times as far.

Parameters (defaults): hedge_ratio 1, strike 0.9, tenor_days 30, beta_window 168, reserve 0.05.
"""
from numba import njit

from hedgelab.engine.basket_types import BASKET_HOOK_SIG, Account, Coin, CoinIntent
from hedgelab.strategies.base import Param
from hedgelab.strategies.basket import BetaHedged
from hedgelab.strategies.basket_hooks import basket_value_nb, first_decision_nb, hold_basket_nb

RATIO, STRIKE, TENOR, WINDOW, RESERVE = range(5)
W0 = 5


@njit(BASKET_HOOK_SIG, cache=True, nogil=True)
def basket_btc_puts_nb(i, coins, account, params, features, intent):
    n = coins.shape[0]
    h = int(params[W0 + n])                       # the BTC row
    if first_decision_nb(account):
        value = account[Account.EQUITY] * (1.0 - params[RESERVE])
        hold_basket_nb(coins, params, W0, value, False, 1.0, intent)
    elif account[Account.OPEN_LEGS] == 0.0:       # expired: buy the next one for the basket as it is now
        value = basket_value_nb(coins, params, W0, False)
    else:
        return
    beta = 0.0
    for k in range(n):
        b = features[i, k]
        beta += params[W0 + k] * (b if b == b else 1.0)
    intent[h, CoinIntent.OPT_ACTION] = 1.0
    intent[h, CoinIntent.OPT_TYPE] = -1.0
    intent[h, CoinIntent.OPT_STRIKE] = params[STRIKE]
    intent[h, CoinIntent.OPT_TENOR_DAYS] = params[TENOR]
    intent[h, CoinIntent.OPT_QTY] = max(params[RATIO] * beta * value / coins[h, Coin.INDEX], 1e-9)


class BasketBtcPuts(BetaHedged):
    """A spot basket hedged with BTC puts sized by its rolling beta on BTC, rolled at expiry."""

    name = "basket-btc-puts"
    uses_options = True
    label_params = ("strike",)
    hedge_ratio = Param(1.0, low=0.0, high=2.0, grid=(0.5, 1.0), doc="put BTC / beta-weighted basket value in BTC")
    strike = Param(0.9, low=0.5, high=1.2, grid=(0.8, 0.9, 0.95), doc="put strike as a fraction of the forward")
    tenor_days = Param(30.0, low=1.0, high=365.0, doc="wanted days to expiry (the nearest listed expiry)")
    beta_window = Param(168, type=int, low=24, high=10_000, feature=True, doc="bars of returns in the beta")
    reserve = Param(0.05, low=0.0, high=0.9, doc="share of equity kept in cash for the premiums")
    decide_nb = staticmethod(basket_btc_puts_nb)
