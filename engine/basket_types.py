"""Layouts shared by the basket kernel and basket strategy hooks (several coins in one account).

A basket strategy's decision hook has one fixed signature (``BASKET_HOOK_SIG``), whatever the
number of coins, so the basket kernel compiles once and stays cached on disk:

    decide_nb(i, coins, account, params, features, intent) -> None

- ``i``: bar index (the hook runs at the bar's close, after funding and liquidations).
- ``coins``: float64[:, ::1], one row per coin of the basket in the order the run names them, fields
  named by ``Coin`` below (``coins[k, Coin.MARK]``). Read only.
- ``account``: float64[::1], the account's fields named by ``Account`` below. Read only, except the
  memory slots ``MEM0 .. MEM7`` (NaN when the column starts, then written only by the hook).
- ``params``: float64[::1] this column's parameter values, in the strategy's declared order.
- ``features``: float64[:, ::1] the strategy's precomputed features, shape (n_bars, k).
- ``intent``: float64[:, ::1], one row per coin, pre-filled with NaN; the hook writes what it wants
  per coin, fields named by ``CoinIntent``. NaN means "no change".

Enums are NamedTuple instances so that ``Coin.MARK`` is a compile-time constant inside kernels.
"""
from typing import NamedTuple

from numba import types


class CoinT(NamedTuple):
    """One coin's row of the hook's ``coins`` matrix (prices at the bar's close)."""
    SPOT_QTY: int = 0          # spot coins held (fully paid; not collateral for the perps)
    PERP_QTY: int = 1          # signed perp quantity (coins), + long
    PERP_ENTRY: int = 2        # perp average entry price (USD)
    PERP_MARGIN: int = 3       # isolated margin of the position (USD); cross: 0
    LEVERAGE: int = 4          # the position's leverage setting in force
    LIQ_PRICE: int = 5         # isolated: the position's own; cross: its price given the others at their marks
    MM: int = 6                # maintenance margin of the position at the mark (USD)
    UPNL: int = 7              # unrealized PnL at the mark (USD)
    CLOSE: int = 8             # traded (perp) close
    MARK: int = 9              # mark close
    INDEX: int = 10            # index (spot) close
    LAST_FUNDING: int = 11     # last settled funding rate of the coin (decimal per interval)
    FUNDING: int = 12          # funding received (+) / paid (-) so far on this coin (USD)
    FEES: int = 13             # fees paid so far on this coin (USD, positive)
    LIQUIDATIONS: int = 14     # liquidation events of this coin's perp so far
    N: int = 15


Coin = CoinT()


class AccountT(NamedTuple):
    """The hook's ``account`` vector."""
    EQUITY: int = 0            # cash + spot at the index + isolated margins + perp upnl at the marks (USD)
    CASH: int = 1              # free cash (USD); cross: the wallet backing every perp
    PEAK_EQUITY: int = 2       # running maximum of equity
    CAPITAL: int = 3           # initial deposit
    MARGIN_RATIO: int = 4      # cross: sum of MM / (wallet + sum of upnl); isolated: the largest position's
    LIQUIDATIONS: int = 5      # liquidation events so far (all coins)
    TIME_S: int = 6            # bar close time, epoch seconds
    CROSS: int = 7             # 1.0 cross margin, 0.0 isolated
    N_COINS: int = 8
    # Hook memory: NaN at the column's start, then written only by the hook (kept between bars).
    MEM0: int = 9
    MEM1: int = 10
    MEM2: int = 11
    MEM3: int = 12
    MEM4: int = 13
    MEM5: int = 14
    MEM6: int = 15
    MEM7: int = 16
    # The option book (one per account, on the coin its first option order named: OPTION_COIN).
    OPTION_VALUE: int = 17     # mark-to-model value of the book (USD, + long)
    OPTION_DELTA: int = 18     # its delta in coins of OPTION_COIN
    OPEN_LEGS: int = 19        # number of open option legs
    NEXT_EXPIRY_S: int = 20    # earliest expiry of the open legs, epoch seconds (NaN if none)
    OPTION_COIN: int = 21      # the row of the coin the book is on (NaN: no book yet)
    N: int = 22


Account = AccountT()
BASKET_MEMORY_SLOTS = 8


class CoinIntentT(NamedTuple):
    """One coin's row of the hook's ``intent`` matrix (NaN = no change)."""
    TARGET_SPOT: int = 0       # target spot holding (coins, >= 0)
    TARGET_PERP: int = 1       # target signed perp quantity (coins)
    LEVERAGE: int = 2          # the position's leverage (isolated margin = notional / leverage)
    MARGIN_TOPUP: int = 3      # USD moved from cash into the position's isolated margin
    # One option order on this coin (the single-coin Intent's OPT1_* slot, engine/types.py): action +1 buy,
    # -1 sell, 2 close every open leg of the type; type +1 call, -1 put; strike as a fraction of the forward;
    # wanted tenor (days); quantity (coins). The account's book holds one coin's options: an order on
    # another coin while legs are open is cut (an order_trimmed event, reason listed_contract).
    OPT_ACTION: int = 4
    OPT_TYPE: int = 5
    OPT_STRIKE: int = 6
    OPT_TENOR_DAYS: int = 7
    OPT_QTY: int = 8
    N: int = 9


CoinIntent = CoinIntentT()

# One column past the CoinIntent fields in row 0: the guard around a user hook sets it when the hook raised.
BASKET_HOOK_RAISED = CoinIntent.N

BASKET_HOOK_SIG = types.void(
    types.int64,
    types.float64[:, ::1],
    types.float64[::1],
    types.float64[::1],
    types.float64[:, ::1],
    types.float64[:, ::1],
)
BASKET_HOOK_TYPE = types.FunctionType(BASKET_HOOK_SIG)
