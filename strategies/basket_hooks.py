"""numba helpers for basket hooks (``BASKET_HOOK_SIG``)."""
from numba import njit

from hedgelab.engine.basket_types import Account, Coin, CoinIntent


@njit(cache=True, nogil=True)
def basket_scheduled_nb(account, hours):
    """True on bars that close on a UTC multiple of ``hours`` (never when hours <= 0)."""
    period_s = hours * 3600.0
    return period_s > 0.0 and account[Account.TIME_S] % period_s == 0.0


@njit(cache=True, nogil=True)
def first_decision_nb(account):
    """True once per column: at the hook's first call (it marks MEM7 so)."""
    if account[Account.MEM7] == account[Account.MEM7]:
        return False
    account[Account.MEM7] = 1.0
    return True


@njit(cache=True, nogil=True)
def hold_basket_nb(coins, params, w0, value, via_perp, leverage, intent):
    """Targets that hold ``value`` USD of the basket by its weights (``params[w0 + k]``): spot coins at the
    index, or perps at the mark with ``leverage``. Returns the coins' beta-free value actually targeted."""
    for k in range(coins.shape[0]):
        w = params[w0 + k]
        if w == 0.0:
            continue
        if via_perp:
            intent[k, CoinIntent.LEVERAGE] = leverage
            intent[k, CoinIntent.TARGET_PERP] = w * value / coins[k, Coin.MARK]
        else:
            intent[k, CoinIntent.TARGET_SPOT] = w * value / coins[k, Coin.INDEX]


@njit(cache=True, nogil=True)
def basket_value_nb(coins, params, w0, via_perp):
    """The basket's value now: its coins' spot at the index, or their perp notional at the mark."""
    v = 0.0
    for k in range(coins.shape[0]):
        if params[w0 + k] == 0.0:
            continue
        if via_perp:
            v += coins[k, Coin.PERP_QTY] * coins[k, Coin.MARK]
        else:
            v += coins[k, Coin.SPOT_QTY] * coins[k, Coin.INDEX]
    return v
