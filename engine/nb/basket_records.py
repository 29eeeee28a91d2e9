"""Array layouts of the basket kernel's outputs (``nb/basket.py``): per-bar series and summary
fields of the account, then one block per coin, and the kernel's per-coin work slots."""
from typing import NamedTuple


class BOutT(NamedTuple):
    """Account series ``out[column, BOut.*, bar]``; coin k's block starts at ``BOut.N + k * BCoinOut.N``."""
    EQUITY: int = 0
    CASH: int = 1
    MARGIN_RATIO: int = 2      # cross: sum MM / (wallet + sum upnl); isolated: the largest position's
    OPTION_VALUE: int = 3      # the option book marked to model (USD)
    N: int = 4


BOut = BOutT()
BOUT_NAMES = ("equity", "cash", "margin_ratio", "option_value")


class BCoinOutT(NamedTuple):
    SPOT_QTY: int = 0
    PERP_QTY: int = 1
    EXPOSURE: int = 2          # USD delta: spot * index + perp qty * mark
    VALUE: int = 3             # USD the coin adds to equity: spot * index + isolated margin + upnl
    N: int = 4


BCoinOut = BCoinOutT()
BCOIN_OUT_NAMES = ("spot_qty", "perp_qty", "exposure", "value")


class BSumT(NamedTuple):
    """Account summary ``summary[column, BSum.*]``; coin k's block starts at ``BSum.N + k * BCoinSum.N``."""
    FINAL_EQUITY: int = 0
    LIQUIDATIONS: int = 1
    FUNDING_PNL: int = 2
    FEES: int = 3              # positive number paid
    MAX_DRAWDOWN: int = 4
    MIN_EQUITY: int = 5
    FIRST_LIQ_BAR: int = 6     # bar of the first liquidation (-1: none)
    TIPPED_COIN: int = 7       # the coin whose move cost the most in that bar (cross), or the one liquidated
    ERROR: int = 8             # HookError code that stopped the column (0: ran to the end)
    ERROR_BAR: int = 9
    ERROR_COIN: int = 10
    ERROR_FIELD: int = 11      # CoinIntent field (-1: none)
    ERROR_VALUE: int = 12
    OPTION_PNL: int = 13       # option cash flows + the book's value at the end (USD)
    N: int = 14


BSum = BSumT()


class BCoinSumT(NamedTuple):
    FUNDING: int = 0           # received (+) / paid (-), USD
    FEES: int = 1              # paid, positive
    LIQUIDATIONS: int = 2
    N_EVENTS: int = 3          # events of the coin's row (the wrapper reruns a column whose buffer was too small)
    N: int = 4


BCoinSum = BCoinSumT()


class WorkT(NamedTuple):
    """Per-coin work slots of a column (``work[coin, Work.*]``)."""
    REF: int = 0               # the cross bound's reference mark
    SLOPE: int = 1             # |q| * (1 + largest MMR): the most the surplus falls per USD of mark move
    PRICE: int = 2             # the coin's price at the liquidation point
    NOTIONAL: int = 3          # its notional there
    TOP_MMR: int = 4           # the largest MMR of the coin's table in force (0 under Bybit's entry-value rule)
    N: int = 5


class HotT(NamedTuple):
    """The fields every bar reads, bar-major (``hot[path, bar, coin, Hot.*]``): one coin's row is contiguous
    and a bar's coins are neighbours, where ``market[path, coin, Mkt.*, bar]`` puts each field a whole
    series apart."""
    MARK_LOW: int = 0
    MARK_HIGH: int = 1
    MARK_CLOSE: int = 2
    INDEX_CLOSE: int = 3
    N: int = 4


Hot = HotT()
HOT_FIELDS = ("mark_low", "mark_high", "mark_close", "index_close")


Work = WorkT()


class ColT(NamedTuple):
    """A column's running figures from one time block of bars to the next (``state[column, Col.*]``): the
    kernel runs every column through a block before the next block (nb/basket.py), so what a column
    carries from bar to bar is kept here between blocks. Counts, coins and bars are whole numbers stored
    as float64 (exact)."""
    CASH: int = 0              # the account's one cash balance (the cross wallet)
    EQUITY: int = 1            # at the last close run (when a hook's intent stopped the column: before its orders)
    PEAK: int = 2              # the curve's running figures (curve.drawdown_step_nb)
    MAX_DD: int = 3
    DD_FLOOR: int = 4
    MIN_EQ: int = 5
    REF_SURPLUS: int = 6       # the cross bound's anchor: the surplus at the reference marks (work[:, Work.REF])
    ANY_OPEN: int = 7          # 1.0 when a cross position was open at the anchor
    EPOCH: int = 8             # the table set in force (tier_sets[epoch])
    NEXT_SWITCH: int = 9       # first bar of the next table set (-1: none)
    FIRST_LIQ: int = 10        # bar of the first liquidation (-1: none)
    TIPPED: int = 11           # the coin that tipped it (-1: none)
    ERROR: int = 12            # HookError code that stopped the column (0: running)
    ERROR_BAR: int = 13
    ERROR_COIN: int = 14
    ERROR_FIELD: int = 15
    BOOK_COIN: int = 16        # the coin the option book is on (-1: none yet)
    N_OPEN: int = 17           # open option legs
    NEXT_EXP: int = 18         # the book's next expiry, epoch seconds (inf: none)
    OPT_VALUE: int = 19        # the book marked at the last close
    OPT_DELTA: int = 20
    OPT_FLOW: int = 21         # option cash flows so far
    N: int = 22


Col = ColT()
