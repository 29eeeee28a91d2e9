"""The basket kernel: several coins in one account (spot and a linear perp per coin), many columns
(parameter sets) in parallel, one compiled kernel whatever the number of coins.

Each coin's holdings live in a row of ``accs[coin, Acc.*]``, the single-coin account layout, so the
single-coin operations run on a coin unchanged (fills with slippage and fees, leverage and its tier
cap, isolated margin, stops, a position's own liquidation, the same events): the account's one
cash balance is handed to the coin's row before such an operation and taken back after it. Events
of coin k of column j go to row ``j * n_coins + k`` of the event buffer.

Per bar ``i`` of column ``j``, in this order (as the single-coin kernel, nb/simulate.py):
0. Dated tier tables that start at this bar replace every coin's table.
1. Funding of each coin that settles at this bar's open: -qty * funding price * rate; isolated: into
   that position's margin; cross: into the cross wallet (cash).
2. Liquidation. Isolated: each position on its own mark range, as the single-coin kernel does.
   Cross (every perp on one wallet, the cash; spot is not collateral, as on Binance USDⓈ-M):
   with bars only, the order of the coins' extremes inside a bar is unknown, so the check is the
   **joint worst case**: every coin's mark moves from its open to its adverse extreme (longs to the
   low, shorts to the high) at once, ``P_k(t) = open_k + t * (extreme_k - open_k)``, t in [0, 1].
   The margin surplus wallet + sum upnl_k(t) - sum MM_k(t) falls as t grows (a long loses 1 - MMR per
   unit of price, a short 1 + MMR), so the account is liquidated iff the surplus at t = 1 is <= 0, at
   the t* where it crosses 0 (bisection). Every cross position is then closed at once at its price at
   t* (the venue's liquidation fee on the notional, capped at the equity left, stays with the venue;
   the account keeps the rest, never below 0: a gap past bankruptcy is the insurance fund's).
   A cheap bound skips the exact test on most bars: from a reference point the surplus can fall by
   at most sum_k |q_k| * (1 + largest MMR_k) * |extreme_k - reference_k|.
3. On rebalance bars, the hook at the close: it reads ``coins`` and ``account`` and writes a row of
   intents per coin. The intents run coin by coin in two passes, orders that reduce a position first
   (they free cash and margin for the rest), each through the single-coin rules (leverage, spot,
   perp, margin top-up). Cross: a perp increase is checked against initial margin on the whole
   account (the other coins' spot, upnl and initial margin counted).
4. Record: equity = cash + sum_k (spot_k * index_k + isolated margin_k + q_k * (mark_k - entry_k))
   + the option book.

Time blocks: the columns of a call share their market path, so a group of columns (``GROUP_COLUMNS``, one
thread) runs through a block of bars (``BLOCK_BYTES`` of ``hot``) before the next block, and the block is
read from the cache by every column of the group after the first; a column's running figures wait in
``state[column, Col.*]`` between blocks.
Each column does the same arithmetic in the same order as if it ran alone from bar 0 to the end.

Options: the account has one option book, on the coin its first option order names (a coin with IV in
the data), run by the single-coin option code (nb/legs.py): expiries cash-settled at the bar's open, the
book marked to model at the close, short legs bought back when the account's cover (cash, every coin's
spot, the book, and in cross mode the perps' upnl less their margin) falls below their maintenance
margin, one option order per coin row at a decision (after the spot and perp orders). An order on
another coin while legs are open is cut (order_trimmed, reason listed_contract). While legs are open
there are no quiet stretches.
"""
import numpy as np
from numba import boolean, float64, int64, njit, prange, types

from hedgelab.engine.basket_types import (BASKET_HOOK_RAISED, BASKET_HOOK_TYPE, Account, Coin, CoinIntent)
from hedgelab.engine.nb.account import (Acc, add_cut_nb, add_event_nb, close_perp_part_nb, margin_ratio_nb,
                                         refresh_liq_nb)
from hedgelab.engine.nb.curve import drawdown_step_nb
from hedgelab.engine.nb.funding import funding_payment_nb
from hedgelab.engine.nb.intent import (MAX_INTENT_COINS, MAX_INTENT_LEVERAGE, MAX_INTENT_USD, apply_intent_nb,
                                        apply_late_intent_nb, option_slot_problem_nb)
from hedgelab.engine.nb.legs import (MAX_LEGS, Leg, book_nb, liquidate_shorts_nb, next_expiry_nb, option_order_nb,
                                     settle_expired_nb)
from hedgelab.engine.nb.liquidation import check_triggers_nb, trigger_reached_nb
from hedgelab.engine.nb.option_leg import option_config_tuple_nb
from hedgelab.engine.nb.prefetch import prefetch_nb
from hedgelab.engine.nb.margin import liq_price_linear_nb, maint_margin_nb
from hedgelab.engine.nb.records import EVENT_RECORD, Cfg, CutReason, EventKind, HookError, Instrument, LiqRule, Mkt, Tier
from hedgelab.engine.nb.basket_records import BCoinOut, BCoinSum, BOut, BSum, Col, Hot, Work
from hedgelab.engine.types import Intent

BASKET_SIG = types.void(
    BASKET_HOOK_TYPE,           # hook
    float64[:, :, :, ::1],      # market[path, coin, Mkt.*, bar]
    float64[:, :, :, ::1],      # hot[path, bar, coin, Hot.*]: the fields every bar reads, bar-major
    boolean[::1],               # busy[bar]: a funding settlement of any coin, a decision or a table switch
    float64[::1],               # close_time_s[bar]
    int64[::1],                 # time_ns[bar] (bar open)
    int64,                      # bar_seconds
    int64[::1],                 # path_of_column[j]
    float64[::1],               # cfg[Cfg.*]
    float64[::1],               # ocfg: OptionConfig().to_array() (the option book's rules)
    float64[:, :, :, ::1],      # tier_sets[e, coin, tier, Tier.*]: dated tables in force during the run, padded
    int64[::1],                 # tier_from_bar[e]: first bar of table set e (0 for e = 0)
    float64[:, ::1],            # params[j, p]
    float64[:, ::1],            # features[bar, f]
    boolean[::1],               # rebalance[bar]
    int64,                      # col_offset: column id of j = 0
    float64[:, :, ::1],         # out[j, BOut.N + coin * BCoinOut.N + field, bar] (bar axis 0 in summary mode)
    float64[:, ::1],            # summary[j, BSum.N + coin * BCoinSum.N + field]
    EVENT_RECORD[:, ::1],       # events[j * n_coins + coin, e]
    int64,                      # n_threads: numba's thread count in the caller (at least one group of columns each)
)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _mm_nb(rule, tiers, q, entry, mark):
    """Maintenance margin of a linear position at ``mark`` (on the entry value under Bybit's rule)."""
    if rule == LiqRule.MM_AT_ENTRY:
        return maint_margin_nb(tiers, abs(q) * entry)
    return maint_margin_nb(tiers, abs(q) * mark)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def joint_price_nb(mk, k, q, i, t):
    """Coin k's mark at ``t`` of the way from bar i's open to its adverse extreme (a long's low, a short's high)."""
    o = mk[k, Mkt.MARK_OPEN, i]
    x = mk[k, Mkt.MARK_LOW, i] if q > 0.0 else mk[k, Mkt.MARK_HIGH, i]
    return o + t * (x - o)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def cross_surplus_nb(accs, cash, rule, tiers, mk, i, t):
    """Cross wallet + sum upnl - sum MM with every coin's mark at ``t`` of the way from its open to its
    adverse extreme in bar ``i`` (t = 0: the opens; t = 1: the joint worst case)."""
    s = cash
    for k in range(accs.shape[0]):
        q = accs[k, Acc.QTY]
        if q == 0.0:
            continue
        p = joint_price_nb(mk, k, q, i, t)
        s += q * (p - accs[k, Acc.ENTRY]) - _mm_nb(rule, tiers[k], q, accs[k, Acc.ENTRY], p)
    return s


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def top_mmr_nb(rule, tiers, work):
    """Each coin's largest MMR in the table in force (0 under Bybit's rule: MM on the entry value)."""
    for k in range(tiers.shape[0]):
        top = 0.0
        if rule != LiqRule.MM_AT_ENTRY:
            for t in range(tiers.shape[1]):
                if tiers[k, t, Tier.MMR] > top:
                    top = tiers[k, t, Tier.MMR]
        work[k, Work.TOP_MMR] = top


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def cross_reference_nb(accs, cash, rule, tiers, hot, i, work):
    """Anchor the cheap bound at bar i's mark closes: (surplus there, whether any position is open)."""
    s = cash
    any_open = False
    for k in range(accs.shape[0]):
        q = accs[k, Acc.QTY]
        c = hot[i, k, Hot.MARK_CLOSE]
        work[k, Work.REF] = c
        work[k, Work.SLOPE] = abs(q) * (1.0 + work[k, Work.TOP_MMR])
        if q != 0.0:
            any_open = True
            s += q * (c - accs[k, Acc.ENTRY]) - _mm_nb(rule, tiers[k], q, accs[k, Acc.ENTRY], c)
    return s, any_open


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def cross_bound_nb(accs, hot, i, work, ref_surplus):
    """A floor on the surplus at bar i's joint worst case from the reference point (cheap: no tiers)."""
    fall = 0.0
    for k in range(accs.shape[0]):
        q = accs[k, Acc.QTY]
        x = hot[i, k, Hot.MARK_LOW] if q > 0.0 else hot[i, k, Hot.MARK_HIGH]
        fall += work[k, Work.SLOPE] * abs(x - work[k, Work.REF])   # SLOPE is 0 without a position
    return ref_surplus - fall


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def isolated_trigger_nb(accs, hot, i):
    """Whether bar i's mark extremes reach any isolated position's liquidation price or stop."""
    for k in range(accs.shape[0]):
        q = accs[k, Acc.QTY]
        if q > 0.0:
            low = hot[i, k, Hot.MARK_LOW]
            stop = accs[k, Acc.STOP]
            if low <= accs[k, Acc.LIQ] or (stop > 0.0 and low <= stop):
                return True
        elif q < 0.0:
            high = hot[i, k, Hot.MARK_HIGH]
            stop = accs[k, Acc.STOP]
            if high >= accs[k, Acc.LIQ] or (stop > 0.0 and high >= stop):
                return True
    return False


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def liquidation_point_nb(accs, cash, rule, tiers, mk, i):
    """t in [0, 1] where the joint path's surplus reaches 0 (0 when the bar already opens below it)."""
    if cross_surplus_nb(accs, cash, rule, tiers, mk, i, 0.0) <= 0.0:
        return 0.0
    lo, hi = 0.0, 1.0
    for _ in range(60):  # the surplus falls monotonically in t: 60 halvings reach the float's precision
        mid = 0.5 * (lo + hi)
        if cross_surplus_nb(accs, cash, rule, tiers, mk, i, mid) > 0.0:
            lo = mid
        else:
            hi = mid
    return hi


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def liquidate_cross_nb(accs, cash, cfg, tiers, mk, i, events, j, col, work):
    """Close every cross position at its price at the liquidation point; returns (cash after, the coin
    whose move from the open cost the account most in this bar: the one that tipped it)."""
    rule = int(cfg[Cfg.LIQ_RULE])
    t = liquidation_point_nb(accs, cash, rule, tiers, mk, i)
    n_coins = accs.shape[0]
    notional = 0.0
    tipped = -1
    worst = 0.0
    for k in range(n_coins):
        q = accs[k, Acc.QTY]
        if q == 0.0:
            continue
        p = joint_price_nb(mk, k, q, i, t)
        work[k, Work.PRICE] = p
        loss = q * (mk[k, Mkt.MARK_OPEN, i] - p)
        if tipped < 0 or loss > worst:
            tipped, worst = k, loss
        notional += abs(q) * p
    for k in range(n_coins):  # realize every position at the liquidation point into the wallet
        q = accs[k, Acc.QTY]
        if q == 0.0:
            continue
        p = work[k, Work.PRICE]
        accs[k, Acc.CASH] = cash
        realized = close_perp_part_nb(accs[k], cfg, abs(q), p)
        cash = accs[k, Acc.CASH]
        accs[k, Acc.LIQS] += 1.0
        add_event_nb(accs[k], events, j * n_coins + k, col, i, EventKind.LIQUIDATION, Instrument.PERP, -q, p,
                     realized)
        work[k, Work.NOTIONAL] = abs(q) * p
    fee = min(cfg[Cfg.LIQ_FEE] * notional, max(cash, 0.0)) if int(cfg[Cfg.LIQ_RULE]) != LiqRule.CLOSE_AT_MARK \
        else 0.0
    if cash - fee < 0.0:
        fee = max(cash, 0.0)
    for k in range(n_coins):  # the venue's fee, shared by notional; a wallet below 0 is the fund's loss
        if work[k, Work.NOTIONAL] > 0.0 and notional > 0.0:
            share = fee * work[k, Work.NOTIONAL] / notional
            accs[k, Acc.FEES] += share
            add_event_nb(accs[k], events, j * n_coins + k, col, i, EventKind.FEE, Instrument.PERP, 0.0,
                         work[k, Work.PRICE], -share)
            work[k, Work.NOTIONAL] = 0.0
    cash -= fee
    if cash < 0.0:
        cash = 0.0
    for k in range(n_coins):
        accs[k, Acc.CASH] = cash
    return cash, tipped


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def basket_equity_nb(accs, cash, hot, i):
    """cash + sum_k (spot_k at the index + isolated margin_k + upnl_k at the mark) at bar i's close, always
    summed in this order (the quiet bars and the full step give bitwise the same curve)."""
    e = cash
    for k in range(accs.shape[0]):
        e += (accs[k, Acc.SPOT] * hot[i, k, Hot.INDEX_CLOSE] + accs[k, Acc.MARGIN]
              + accs[k, Acc.QTY] * (hot[i, k, Hot.MARK_CLOSE] - accs[k, Acc.ENTRY]))
    return e


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def fill_coins_nb(coins, accs, cash, cfg, tiers, mk, i):
    """The hook's ``coins`` rows at bar i's close; returns the account's margin ratio."""
    cross = cfg[Cfg.CROSS] != 0.0
    rule = int(cfg[Cfg.LIQ_RULE])
    total_mm = 0.0
    total_upnl = 0.0
    worst = 0.0
    for k in range(accs.shape[0]):
        q = accs[k, Acc.QTY]
        mark = mk[k, Mkt.MARK_CLOSE, i]
        mm = _mm_nb(rule, tiers[k], q, accs[k, Acc.ENTRY], mark) if q != 0.0 else 0.0
        upnl = q * (mark - accs[k, Acc.ENTRY])
        coins[k, Coin.SPOT_QTY] = accs[k, Acc.SPOT]
        coins[k, Coin.PERP_QTY] = q
        coins[k, Coin.PERP_ENTRY] = accs[k, Acc.ENTRY] if q != 0.0 else np.nan
        coins[k, Coin.PERP_MARGIN] = accs[k, Acc.MARGIN]
        coins[k, Coin.LEVERAGE] = accs[k, Acc.LEV]
        coins[k, Coin.LIQ_PRICE] = accs[k, Acc.LIQ]
        coins[k, Coin.MM] = mm
        coins[k, Coin.UPNL] = upnl
        coins[k, Coin.CLOSE] = mk[k, Mkt.CLOSE, i]
        coins[k, Coin.MARK] = mark
        coins[k, Coin.INDEX] = mk[k, Mkt.INDEX_CLOSE, i]
        coins[k, Coin.LAST_FUNDING] = accs[k, Acc.LAST_FUNDING]
        coins[k, Coin.FUNDING] = accs[k, Acc.FUNDING]
        coins[k, Coin.FEES] = accs[k, Acc.FEES]
        coins[k, Coin.LIQUIDATIONS] = accs[k, Acc.LIQS]
        total_mm += mm
        total_upnl += upnl
        if not cross and q != 0.0:
            r = margin_ratio_nb(accs[k], cfg, tiers[k], mark)
            if r > worst:
                worst = r
    if not cross:
        return worst
    for k in range(accs.shape[0]):  # each position's liquidation price given the others at their marks
        q = accs[k, Acc.QTY]
        if q == 0.0:
            coins[k, Coin.LIQ_PRICE] = np.nan
            continue
        lp, _, _ = liq_price_linear_nb(rule, 1.0 if q > 0.0 else -1.0, abs(q), accs[k, Acc.ENTRY], cash,
                                       total_mm - coins[k, Coin.MM], total_upnl - coins[k, Coin.UPNL], tiers[k])
        coins[k, Coin.LIQ_PRICE] = lp
    if total_mm == 0.0:
        return 0.0
    balance = cash + total_upnl
    return total_mm / balance if balance > 0.0 else np.inf


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def basket_intent_problem_nb(intent):
    """(HookError code, coin, CoinIntent field) of the first unusable intent, or (0, -1, -1)."""
    if intent[0, BASKET_HOOK_RAISED] == intent[0, BASKET_HOOK_RAISED]:
        return HookError.RAISED, -1, -1
    for k in range(intent.shape[0]):
        for f in range(CoinIntent.N):
            x = intent[k, f]
            if x == x and not (x - x == 0.0):
                return HookError.NOT_FINITE, k, f
        for f in (CoinIntent.TARGET_SPOT, CoinIntent.TARGET_PERP):   # the single-coin bounds (nb/intent.py)
            if abs(intent[k, f]) > MAX_INTENT_COINS:
                return HookError.INVALID, k, f
        lev = intent[k, CoinIntent.LEVERAGE]
        if lev <= 0.0 or lev > MAX_INTENT_LEVERAGE:
            return HookError.INVALID, k, CoinIntent.LEVERAGE
        if abs(intent[k, CoinIntent.MARGIN_TOPUP]) > MAX_INTENT_USD:
            return HookError.INVALID, k, CoinIntent.MARGIN_TOPUP
        code, f = option_slot_problem_nb(intent[k], CoinIntent.OPT_ACTION)   # the single-coin slot rules
        if code != HookError.NONE:
            return code, k, f
    return HookError.NONE, -1, -1


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _reduces_nb(acc, row):
    """Whether coin's intent only shrinks what it holds (run in the first pass)."""
    tp = row[CoinIntent.TARGET_PERP]
    if tp == tp:
        q = acc[Acc.QTY]
        return abs(tp) < abs(q) and tp * q >= 0.0
    ts = row[CoinIntent.TARGET_SPOT]
    return ts == ts and ts < acc[Acc.SPOT]


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def _cross_other_nb(accs, mk, i, k):
    """What the other coins add to coin k's initial-margin check in cross mode: their spot at the index
    and their perps' upnl at the mark less their initial margin |q| * mark / leverage."""
    other = 0.0
    for m in range(accs.shape[0]):
        if m == k:
            continue
        q = accs[m, Acc.QTY]
        mark = mk[m, Mkt.MARK_CLOSE, i]
        other += accs[m, Acc.SPOT] * mk[m, Mkt.INDEX_CLOSE, i]
        if q != 0.0:
            other += q * (mark - accs[m, Acc.ENTRY]) - abs(q) * mark / accs[m, Acc.LEV]
    return other


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def apply_basket_intent_nb(accs, cash, cfg, tiers, events, j, col, i, mk, intent, single):
    """Each coin's row of intents through the single-coin rules, reducing orders first; returns cash."""
    n_coins = accs.shape[0]
    cross = cfg[Cfg.CROSS] != 0.0
    for second in range(2):
        for k in range(n_coins):
            row = intent[k]
            if _reduces_nb(accs[k], row) == (second == 1):
                continue
            used = False
            for f in range(CoinIntent.N):
                if row[f] == row[f]:
                    used = True
            if not used:
                continue
            # ``single`` is NaN but for these four fields since start_column_nb: nothing else writes it
            single[Intent.TARGET_SPOT] = row[CoinIntent.TARGET_SPOT]
            single[Intent.TARGET_PERP] = row[CoinIntent.TARGET_PERP]
            single[Intent.LEVERAGE] = row[CoinIntent.LEVERAGE]
            single[Intent.MARGIN_TOPUP] = row[CoinIntent.MARGIN_TOPUP]
            other = _cross_other_nb(accs, mk, i, k) if cross else 0.0
            accs[k, Acc.CASH] = cash
            apply_intent_nb(accs[k], cfg, tiers[k], events, j * n_coins + k, col, i, mk[k], single, other)
            apply_late_intent_nb(accs[k], cfg, tiers[k], events, j * n_coins + k, col, i, mk[k], single)
            cash = accs[k, Acc.CASH]
    return cash


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def any_option_nb(intent):
    for k in range(intent.shape[0]):
        if intent[k, CoinIntent.OPT_ACTION] == intent[k, CoinIntent.OPT_ACTION]:
            return True
    return False


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def option_cover_nb(accs, cash, cfg, tiers, mk, i, opt_value, initial):
    """What backs the account's option book at bar i's close: cash + every coin's spot at the index + the
    book; in cross mode also every perp's upnl less its margin (maintenance, or ``initial``: |q| x mark /
    leverage), as they share the wallet. Isolated margins back only their own perps."""
    cover = cash + opt_value
    rule = int(cfg[Cfg.LIQ_RULE])
    for k in range(accs.shape[0]):
        cover += accs[k, Acc.SPOT] * mk[k, Mkt.INDEX_CLOSE, i]
        q = accs[k, Acc.QTY]
        if cfg[Cfg.CROSS] != 0.0 and q != 0.0:
            mark = mk[k, Mkt.MARK_CLOSE, i]
            need = abs(q) * mark / accs[k, Acc.LEV] if initial else _mm_nb(rule, tiers[k], q, accs[k, Acc.ENTRY], mark)
            cover += q * (mark - accs[k, Acc.ENTRY]) - need
    return cover


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def apply_option_orders_nb(accs, cash, cfg, tiers, ocfg, legs, book_coin, n_open, events, j, col, i, mk, intent,
                           close_s):
    """Each coin's option order, coin by coin, through the single-coin order rules on the account's one book;
    returns (cash, option cash flow, the book's coin). An order on another coin while legs are open is cut."""
    n_coins = accs.shape[0]
    flow = 0.0
    b = CoinIntent.OPT_ACTION
    for k in range(n_coins):
        a = intent[k, b]
        if a != a:
            continue
        if book_coin >= 0 and book_coin != k and n_open > 0:
            add_cut_nb(accs[k], events, j * n_coins + k, col, i, EventKind.ORDER_TRIMMED, Instrument.OPTION,
                       intent[k, b + 4] if a != 2.0 else 0.0, 0.0, CutReason.LISTED_CONTRACT)
            continue
        book_coin = k
        other = option_cover_nb(accs, 0.0, cfg, tiers, mk, i, 0.0, True)   # besides cash and the book
        accs[k, Acc.CASH] = cash
        flow += option_order_nb(accs[k], legs, ocfg, events, j * n_coins + k, col, i, a, intent[k, b + 1],
                                intent[k, b + 2], intent[k, b + 3], intent[k, b + 4], mk[k, Mkt.INDEX_CLOSE, i],
                                close_s, mk[k, Mkt.IV, i], mk[k, Mkt.STRESS, i], other, np.nan, np.nan)
        cash = accs[k, Acc.CASH]
        _, _, n_open, _ = book_nb(legs, ocfg, mk[k, Mkt.INDEX_CLOSE, i], close_s, mk[k, Mkt.IV, i],
                                  mk[k, Mkt.STRESS, i])
    return cash, flow, book_coin


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def _record_nb(out, j, i, accs, cash, equity, ratio, mk):
    out[j, BOut.EQUITY, i] = equity
    out[j, BOut.CASH, i] = cash
    out[j, BOut.MARGIN_RATIO, i] = ratio
    for k in range(accs.shape[0]):
        b = BOut.N + k * BCoinOut.N
        q = accs[k, Acc.QTY]
        out[j, b + BCoinOut.SPOT_QTY, i] = accs[k, Acc.SPOT]
        out[j, b + BCoinOut.PERP_QTY, i] = q
        out[j, b + BCoinOut.EXPOSURE, i] = accs[k, Acc.SPOT] * mk[k, Mkt.INDEX_CLOSE, i] + q * mk[k, Mkt.MARK_CLOSE, i]
        out[j, b + BCoinOut.VALUE, i] = (accs[k, Acc.SPOT] * mk[k, Mkt.INDEX_CLOSE, i] + accs[k, Acc.MARGIN]
                                         + q * (mk[k, Mkt.MARK_CLOSE, i] - accs[k, Acc.ENTRY]))


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def quiet_basket_nb(accs, cash, cross, hot, i, end, work, ref_surplus, any_open, equity, peak, max_dd, dd_floor,
                    min_eq):
    """Bars i .. end - 1 of a quiet stretch (no settlement, decision or table switch: only the trigger
    test and the curve), up to the first bar whose extremes may trigger, left to the full step. Returns
    (the first bar not run, equity, peak, max_dd, dd_floor, min_eq)."""
    while i < end:
        if cross:
            if any_open and cross_bound_nb(accs, hot, i, work, ref_surplus) <= 0.0:
                return i, equity, peak, max_dd, dd_floor, min_eq
        elif isolated_trigger_nb(accs, hot, i):
            return i, equity, peak, max_dd, dd_floor, min_eq
        equity = basket_equity_nb(accs, cash, hot, i)
        peak, max_dd, dd_floor = drawdown_step_nb(equity, peak, max_dd, dd_floor)
        if equity < min_eq:
            min_eq = equity
        i += 1
    return i, equity, peak, max_dd, dd_floor, min_eq


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def prefetch_busy_bar_nb(mk, features, calm, close_time_s, rebalance, events, accs, j, b):
    """Start loading what the full step reads at bar b and cannot find in ``hot`` (every coin's funding,
    closes and volume, the hook's features row, the bar's flags, each coin's next event slots) while
    the quiet bars before it run: they read only ``hot``, so these would all be cache misses."""
    n_coins = mk.shape[0]
    for k in range(n_coins):
        prefetch_nb(mk[k, Mkt.FUNDING_RATE], b)
        prefetch_nb(mk[k, Mkt.FUNDING_PRICE], b)
        prefetch_nb(mk[k, Mkt.CLOSE], b)
        prefetch_nb(mk[k, Mkt.MARK_CLOSE], b)
        prefetch_nb(mk[k, Mkt.INDEX_CLOSE], b)
        prefetch_nb(mk[k, Mkt.VOLUME], b)
        nev = int(accs[k, Acc.NEV])
        prefetch_nb(events[j * n_coins + k], nev)
        prefetch_nb(events[j * n_coins + k], nev + 1)
    prefetch_nb(features[b], 0)
    prefetch_nb(calm, b + 1)
    prefetch_nb(close_time_s, b)
    prefetch_nb(rebalance, b)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def start_column_nb(st, accs, work, legs, account, single, tiers, tier_sets, tier_from_bar, cfg):
    """A column at bar 0: the capital in cash, no holdings, the venue's default leverage, no liquidation
    price or funding seen, a private copy of the first table set (the next sets replace it in place),
    no option legs, the hook's memory unknown."""
    cash = cfg[Cfg.CAPITAL]
    for k in range(accs.shape[0]):
        for f in range(accs.shape[1]):
            accs[k, f] = 0.0
        accs[k, Acc.LEV] = cfg[Cfg.DEFAULT_LEVERAGE]
        accs[k, Acc.LIQ] = np.nan
        accs[k, Acc.LAST_FUNDING] = np.nan
        work[k, Work.SLOPE] = 0.0
        work[k, Work.REF] = 0.0
        for a in range(tiers.shape[1]):
            for b in range(tiers.shape[2]):
                tiers[k, a, b] = tier_sets[0, k, a, b]
    top_mmr_nb(int(cfg[Cfg.LIQ_RULE]), tiers, work)
    for f in range(account.shape[0]):
        account[f] = np.nan  # the hook's memory starts unknown; the other fields are written before each call
    for f in range(single.shape[0]):
        single[f] = np.nan   # apply_basket_intent_nb writes only the account fields: the option slots stay NaN
    for a in range(legs.shape[0]):
        for b in range(legs.shape[1]):
            legs[a, b] = 0.0
    st[Col.CASH] = cash
    st[Col.EQUITY] = cash
    st[Col.PEAK] = cash
    st[Col.MAX_DD] = 0.0
    st[Col.DD_FLOOR] = cash
    st[Col.MIN_EQ] = cash
    st[Col.REF_SURPLUS] = 0.0
    st[Col.ANY_OPEN] = 0.0
    st[Col.EPOCH] = 0.0
    st[Col.NEXT_SWITCH] = tier_from_bar[1] if tier_from_bar.shape[0] > 1 else -1.0
    st[Col.FIRST_LIQ] = -1.0
    st[Col.TIPPED] = -1.0
    st[Col.ERROR] = HookError.NONE
    st[Col.ERROR_BAR] = -1.0
    st[Col.ERROR_COIN] = -1.0
    st[Col.ERROR_FIELD] = -1.0
    st[Col.BOOK_COIN] = -1.0
    st[Col.N_OPEN] = 0.0
    st[Col.NEXT_EXP] = np.inf
    st[Col.OPT_VALUE] = 0.0
    st[Col.OPT_DELTA] = 0.0
    st[Col.OPT_FLOW] = 0.0


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def switch_tables_nb(st, accs, cfg, tiers, tier_sets, tier_from_bar, hot, i, work):
    """Step 0: the venue's next dated table set takes effect at bar i's open (isolated liquidation prices
    recomputed; cross: the bound re-anchored at the previous close, its largest MMRs changed)."""
    epoch = int(st[Col.EPOCH]) + 1
    cross = cfg[Cfg.CROSS] != 0.0
    rule = int(cfg[Cfg.LIQ_RULE])
    for k in range(accs.shape[0]):
        for a in range(tiers.shape[1]):
            for b in range(tiers.shape[2]):
                tiers[k, a, b] = tier_sets[epoch, k, a, b]
        if not cross and accs[k, Acc.QTY] != 0.0:
            refresh_liq_nb(accs[k], cfg, tiers[k])
    top_mmr_nb(rule, tiers, work)
    st[Col.EPOCH] = epoch
    st[Col.NEXT_SWITCH] = tier_from_bar[epoch + 1] if epoch + 1 < tier_from_bar.shape[0] else -1.0
    if cross:
        ref_surplus, any_open = cross_reference_nb(accs, st[Col.CASH], rule, tiers, hot, max(i - 1, 0), work)
        st[Col.REF_SURPLUS] = ref_surplus
        st[Col.ANY_OPEN] = 1.0 if any_open else 0.0


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def settle_funding_nb(st, accs, cfg, tiers, mk, i, events, j, col):
    """Step 1: each coin's funding that settles at bar i's open, into the cross wallet (the bound's anchor
    moves with it, one for one) or the isolated position's margin."""
    n_coins = accs.shape[0]
    cross = cfg[Cfg.CROSS] != 0.0
    for k in range(n_coins):
        rate = mk[k, Mkt.FUNDING_RATE, i]
        if rate == rate:
            accs[k, Acc.LAST_FUNDING] = rate
            q = accs[k, Acc.QTY]
            if q != 0.0:
                price = mk[k, Mkt.FUNDING_PRICE, i]
                pay = funding_payment_nb(q, price, rate)
                if cross:
                    st[Col.CASH] += pay
                    st[Col.REF_SURPLUS] += pay
                else:
                    accs[k, Acc.MARGIN] += pay
                    refresh_liq_nb(accs[k], cfg, tiers[k])
                accs[k, Acc.FUNDING] += pay
                add_event_nb(accs[k], events, j * n_coins + k, col, i, EventKind.FUNDING, Instrument.PERP, q,
                             price, pay)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def settle_expiries_nb(st, accs, legs, ocfg, mk, i, open_s, time_ns, bar_seconds, events, j, col):
    """The option book's expiries at bar i's open (``open_s``), cash-settled into the wallet."""
    c = int(st[Col.BOOK_COIN])
    accs[c, Acc.CASH] = st[Col.CASH]
    st[Col.OPT_FLOW] += settle_expired_nb(accs[c], legs, ocfg, events, j * accs.shape[0] + c, col, i, open_s,
                                          time_ns, bar_seconds, mk[c, Mkt.INDEX_OPEN], mk[c, Mkt.INDEX_CLOSE])
    st[Col.CASH] = accs[c, Acc.CASH]
    st[Col.NEXT_EXP] = next_expiry_nb(legs)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def cross_liquidation_nb(st, accs, cfg, tiers, mk, hot, i, events, j, col, work):
    """Step 2, cross: the joint worst case of bar i, tested exactly only where the cheap bound says it may
    liquidate. Liquidated: every position closed, the first liquidation and the coin that tipped it
    kept; True (the account changed). Safe: the bound re-anchored at the joint worst case."""
    if not (st[Col.ANY_OPEN] != 0.0 and cross_bound_nb(accs, hot, i, work, st[Col.REF_SURPLUS]) <= 0.0):
        return False
    worst = cross_surplus_nb(accs, st[Col.CASH], int(cfg[Cfg.LIQ_RULE]), tiers, mk, i, 1.0)
    if worst <= 0.0:
        cash, who = liquidate_cross_nb(accs, st[Col.CASH], cfg, tiers, mk, i, events, j, col, work)
        st[Col.CASH] = cash
        if st[Col.FIRST_LIQ] < 0.0:
            st[Col.FIRST_LIQ] = i
            st[Col.TIPPED] = who
        return True
    for k in range(accs.shape[0]):
        q = accs[k, Acc.QTY]
        if q != 0.0:
            work[k, Work.REF] = hot[i, k, Hot.MARK_LOW] if q > 0.0 else hot[i, k, Hot.MARK_HIGH]
    st[Col.REF_SURPLUS] = worst
    return False


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def isolated_triggers_nb(st, accs, cfg, tiers, mk, hot, i, events, j, col):
    """Step 2, isolated: each position whose liquidation price or stop bar i's mark range reaches, by the
    single-coin rules; the first liquidation and its coin kept."""
    if not isolated_trigger_nb(accs, hot, i):
        return
    n_coins = accs.shape[0]
    cash = st[Col.CASH]
    for k in range(n_coins):
        q = accs[k, Acc.QTY]
        if q != 0.0 and trigger_reached_nb(q, accs[k, Acc.LIQ], accs[k, Acc.STOP], mk[k], i):
            liqs = accs[k, Acc.LIQS]
            accs[k, Acc.CASH] = cash
            check_triggers_nb(accs[k], cfg, tiers[k], events, j * n_coins + k, col, i, mk[k, Mkt.OPEN, i],
                              mk[k, Mkt.MARK_OPEN, i], mk[k, Mkt.MARK_LOW, i], mk[k, Mkt.MARK_HIGH, i],
                              mk[k, Mkt.VOLUME, i])
            cash = accs[k, Acc.CASH]
            if accs[k, Acc.LIQS] > liqs and st[Col.FIRST_LIQ] < 0.0:
                st[Col.FIRST_LIQ] = i
                st[Col.TIPPED] = k
    st[Col.CASH] = cash


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def book_at_close_nb(st, accs, cfg, tiers, ocfg, legs, mk, i, close_s, events, j, col):
    """Step 3b: the option book marked at bar i's close (the last mark kept where there is no IV); short
    legs bought back when the account's cover falls below their maintenance margin (then True)."""
    c = int(st[Col.BOOK_COIN])
    v, d, n_open, mm = book_nb(legs, ocfg, mk[c, Mkt.INDEX_CLOSE, i], close_s, mk[c, Mkt.IV, i], mk[c, Mkt.STRESS, i])
    st[Col.N_OPEN] = n_open
    if v == v:  # no IV: keep the last mark
        st[Col.OPT_VALUE] = v
        st[Col.OPT_DELTA] = d
    if n_open == 0:
        st[Col.OPT_VALUE] = 0.0
        st[Col.OPT_DELTA] = 0.0
        return False
    if not (mm > 0.0 and option_cover_nb(accs, st[Col.CASH], cfg, tiers, mk, i, st[Col.OPT_VALUE], False) < mm):
        return False
    accs[c, Acc.CASH] = st[Col.CASH]
    st[Col.OPT_FLOW] += liquidate_shorts_nb(accs[c], legs, ocfg, events, j * accs.shape[0] + c, col, i,
                                            mk[c, Mkt.INDEX_CLOSE, i], close_s, mk[c, Mkt.IV, i], mk[c, Mkt.STRESS, i])
    st[Col.CASH] = accs[c, Acc.CASH]
    st[Col.NEXT_EXP] = next_expiry_nb(legs)
    v, d, n_open, mm = book_nb(legs, ocfg, mk[c, Mkt.INDEX_CLOSE, i], close_s, mk[c, Mkt.IV, i], mk[c, Mkt.STRESS, i])
    st[Col.N_OPEN] = n_open
    st[Col.OPT_VALUE] = v if n_open > 0 else 0.0
    st[Col.OPT_DELTA] = d if n_open > 0 else 0.0
    return True


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def decide_nb(hook, st, accs, coins, account, intent, single, legs, cfg, ocfg, tiers, mk, hot, i, close_s, params_j,
              features, events, j, col):
    """Step 3 on a rebalance bar: the hook reads the account at bar i's close and writes its intents, which
    are checked, then run (spot and perp orders coin by coin, then option orders). False when an intent
    is unusable: the column stops there (numba cannot raise from prange; the wrapper raises)."""
    cash = st[Col.CASH]
    opt_value = st[Col.OPT_VALUE]
    equity = basket_equity_nb(accs, cash, hot, i) + opt_value
    st[Col.EQUITY] = equity   # what the summary reports if the intent stops the column here
    fill_account_nb(account, coins, accs, cash, equity, max(st[Col.PEAK], equity), close_s, cfg, tiers, mk, i)
    account[Account.OPTION_VALUE] = opt_value
    account[Account.OPTION_DELTA] = st[Col.OPT_DELTA]
    account[Account.OPEN_LEGS] = st[Col.N_OPEN]
    next_exp = st[Col.NEXT_EXP]
    account[Account.NEXT_EXPIRY_S] = next_exp if next_exp < np.inf else np.nan
    book_coin = int(st[Col.BOOK_COIN])
    account[Account.OPTION_COIN] = book_coin if book_coin >= 0 else np.nan
    for k in range(intent.shape[0]):
        for f in range(intent.shape[1]):
            intent[k, f] = np.nan
    hook(i, coins, account, params_j, features, intent)
    error, error_coin, error_field = basket_intent_problem_nb(intent)
    if error != HookError.NONE:
        st[Col.ERROR] = error
        st[Col.ERROR_BAR] = i
        st[Col.ERROR_COIN] = error_coin
        st[Col.ERROR_FIELD] = error_field
        return False
    cash = apply_basket_intent_nb(accs, cash, cfg, tiers, events, j, col, i, mk, intent, single)
    if any_option_nb(intent):
        cash, flow, book_coin = apply_option_orders_nb(accs, cash, cfg, tiers, ocfg, legs, book_coin,
                                                       int(st[Col.N_OPEN]), events, j, col, i, mk, intent, close_s)
        st[Col.OPT_FLOW] += flow
        st[Col.NEXT_EXP] = next_expiry_nb(legs)
        st[Col.BOOK_COIN] = book_coin
        if book_coin >= 0:
            c = book_coin
            v, d, n_open, _ = book_nb(legs, ocfg, mk[c, Mkt.INDEX_CLOSE, i], close_s, mk[c, Mkt.IV, i],
                                      mk[c, Mkt.STRESS, i])
            st[Col.N_OPEN] = n_open
            if v == v or n_open == 0:
                st[Col.OPT_VALUE] = v if n_open > 0 else 0.0
                st[Col.OPT_DELTA] = d if n_open > 0 else 0.0
    st[Col.CASH] = cash
    return True


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def close_bar_nb(st, accs, cfg, tiers, mk, hot, i, changed, work, record, out, coins, j):
    """Step 4: equity at bar i's close (False when it is not finite: only orders can make it so, the data
    is checked finite), the cross bound re-anchored after any change, the curve's figures, the record."""
    cash = st[Col.CASH]
    equity = basket_equity_nb(accs, cash, hot, i) + st[Col.OPT_VALUE]
    st[Col.EQUITY] = equity
    if not (equity - equity == 0.0):
        st[Col.ERROR] = HookError.EQUITY
        st[Col.ERROR_BAR] = i
        return False
    if changed and cfg[Cfg.CROSS] != 0.0:
        ref_surplus, any_open = cross_reference_nb(accs, cash, int(cfg[Cfg.LIQ_RULE]), tiers, hot, i, work)
        st[Col.REF_SURPLUS] = ref_surplus
        st[Col.ANY_OPEN] = 1.0 if any_open else 0.0
    peak, max_dd, dd_floor = drawdown_step_nb(equity, st[Col.PEAK], st[Col.MAX_DD], st[Col.DD_FLOOR])
    st[Col.PEAK] = peak
    st[Col.MAX_DD] = max_dd
    st[Col.DD_FLOOR] = dd_floor
    if equity < st[Col.MIN_EQ]:
        st[Col.MIN_EQ] = equity
    if record:
        _record_nb(out, j, i, accs, cash, equity, fill_coins_nb(coins, accs, cash, cfg, tiers, mk, i), mk)
        out[j, BOut.OPTION_VALUE, i] = st[Col.OPT_VALUE]
    return True


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def full_step_nb(hook, mk, hot, close_time_s, time_ns, bar_seconds, cfg, ocfg, tiers, tier_sets, tier_from_bar,
                 params_j, features, rebalance, j, col, out, events, st, accs, coins, account, intent, single, work,
                 legs, i, record):
    """Bar i of column j, every step in the module docstring's order; False when the column stopped."""
    changed = False
    if i == st[Col.NEXT_SWITCH]:
        switch_tables_nb(st, accs, cfg, tiers, tier_sets, tier_from_bar, hot, i, work)
    settle_funding_nb(st, accs, cfg, tiers, mk, i, events, j, col)
    open_s = close_time_s[i] - bar_seconds
    if st[Col.NEXT_EXP] <= open_s:
        settle_expiries_nb(st, accs, legs, ocfg, mk, i, open_s, time_ns, bar_seconds, events, j, col)
        changed = True
    if cfg[Cfg.CROSS] != 0.0:
        if cross_liquidation_nb(st, accs, cfg, tiers, mk, hot, i, events, j, col, work):
            changed = True
    else:
        isolated_triggers_nb(st, accs, cfg, tiers, mk, hot, i, events, j, col)
    if st[Col.N_OPEN] > 0.0 or st[Col.NEXT_EXP] < np.inf:
        if book_at_close_nb(st, accs, cfg, tiers, ocfg, legs, mk, i, close_time_s[i], events, j, col):
            changed = True
    if rebalance[i]:
        if not decide_nb(hook, st, accs, coins, account, intent, single, legs, cfg, ocfg, tiers, mk, hot, i,
                         close_time_s[i], params_j, features, events, j, col):
            return False
        changed = True
    return close_bar_nb(st, accs, cfg, tiers, mk, hot, i, changed, work, record, out, coins, j)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def basket_bars_nb(hook, mk, hot, calm, close_time_s, time_ns, bar_seconds, cfg, ocfg, tiers, tier_sets,
                   tier_from_bar, params_j, features, rebalance, j, col, out, events, st, accs, coins, account,
                   intent, single, work, legs, i0, i1):
    """Column j over bars i0 .. i1 - 1 (one time block) of its path ``mk[coin, Mkt.*, bar]`` (bar-major copy
    ``hot[bar, coin, Hot.*]``; ``calm[i]``: the first bar >= i that needs the full step), from and into
    its state ``st`` (``Col.*``) and its own arrays; nothing once the column has stopped."""
    if st[Col.ERROR] != HookError.NONE:
        return
    n = mk.shape[2]
    record = out.shape[2] == n
    cross = cfg[Cfg.CROSS] != 0.0
    i = i0
    while i < i1:
        if calm[i] > i and not record and st[Col.N_OPEN] == 0.0 and st[Col.NEXT_EXP] == np.inf:
            if calm[i] < n:
                prefetch_busy_bar_nb(mk, features, calm, close_time_s, rebalance, events, accs, j, calm[i])
            i, equity, peak, max_dd, dd_floor, min_eq = quiet_basket_nb(
                accs, st[Col.CASH], cross, hot, i, min(calm[i], i1), work, st[Col.REF_SURPLUS],
                st[Col.ANY_OPEN] != 0.0, st[Col.EQUITY], st[Col.PEAK], st[Col.MAX_DD], st[Col.DD_FLOOR],
                st[Col.MIN_EQ])
            st[Col.EQUITY] = equity
            st[Col.PEAK] = peak
            st[Col.MAX_DD] = max_dd
            st[Col.DD_FLOOR] = dd_floor
            st[Col.MIN_EQ] = min_eq
            if i == i1:
                break
        if not full_step_nb(hook, mk, hot, close_time_s, time_ns, bar_seconds, cfg, ocfg, tiers, tier_sets,
                            tier_from_bar, params_j, features, rebalance, j, col, out, events, st, accs, coins,
                            account, intent, single, work, legs, i, record):
            return
        i += 1


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def finish_column_nb(st, accs, intent, record, out, summary, j):
    """Column j's summary row from its final state; the bars a stopped column never reached are NaN."""
    error = int(st[Col.ERROR])
    error_bar = int(st[Col.ERROR_BAR])
    error_coin = int(st[Col.ERROR_COIN])
    error_field = int(st[Col.ERROR_FIELD])
    if error != HookError.NONE and record:
        out[j, :, error_bar:] = np.nan
    write_summary_nb(summary, j, accs, st[Col.EQUITY], st[Col.MAX_DD], st[Col.MIN_EQ], int(st[Col.FIRST_LIQ]),
                     int(st[Col.TIPPED]), error, error_bar, error_coin, error_field,
                     intent[error_coin, error_field] if error_field >= 0 else np.nan)
    summary[j, BSum.OPTION_PNL] = st[Col.OPT_FLOW] + st[Col.OPT_VALUE]


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def fill_account_nb(account, coins, accs, cash, equity, peak, time_s, cfg, tiers, mk, i):
    """The hook's ``coins`` rows and ``account`` fields at bar i's close (the memory slots untouched)."""
    account[Account.EQUITY] = equity
    account[Account.CASH] = cash
    account[Account.PEAK_EQUITY] = peak
    account[Account.CAPITAL] = cfg[Cfg.CAPITAL]
    account[Account.MARGIN_RATIO] = fill_coins_nb(coins, accs, cash, cfg, tiers, mk, i)
    liqs = 0.0
    for k in range(accs.shape[0]):
        liqs += accs[k, Acc.LIQS]
    account[Account.LIQUIDATIONS] = liqs
    account[Account.TIME_S] = time_s
    account[Account.CROSS] = cfg[Cfg.CROSS]
    account[Account.N_COINS] = accs.shape[0]


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def write_summary_nb(summary, j, accs, equity, max_dd, min_eq, first_liq, tipped, error, error_bar, error_coin,
                     error_field, error_value):
    """Column j's summary row: the account's figures, then each coin's block (``BSum``, ``BCoinSum``)."""
    summary[j, BSum.FINAL_EQUITY] = equity
    summary[j, BSum.MAX_DRAWDOWN] = max_dd
    summary[j, BSum.MIN_EQUITY] = min_eq
    summary[j, BSum.ERROR] = error
    summary[j, BSum.ERROR_BAR] = error_bar
    summary[j, BSum.ERROR_COIN] = error_coin
    summary[j, BSum.ERROR_FIELD] = error_field
    summary[j, BSum.ERROR_VALUE] = error_value
    summary[j, BSum.FIRST_LIQ_BAR] = first_liq
    summary[j, BSum.TIPPED_COIN] = tipped
    liqs = 0.0
    funding = 0.0
    fees = 0.0
    for k in range(accs.shape[0]):
        b = BSum.N + k * BCoinSum.N
        summary[j, b + BCoinSum.FUNDING] = accs[k, Acc.FUNDING]
        summary[j, b + BCoinSum.FEES] = accs[k, Acc.FEES]
        summary[j, b + BCoinSum.LIQUIDATIONS] = accs[k, Acc.LIQS]
        summary[j, b + BCoinSum.N_EVENTS] = accs[k, Acc.NEV]
        liqs += accs[k, Acc.LIQS]
        funding += accs[k, Acc.FUNDING]
        fees += accs[k, Acc.FEES]
    summary[j, BSum.LIQUIDATIONS] = liqs
    summary[j, BSum.FUNDING_PNL] = funding
    summary[j, BSum.FEES] = fees


@njit(cache=True, nogil=True)
def calm_until_basket_nb(busy):
    """``calm[i]``: the first bar >= i that needs the full step (``busy``), or the number of bars."""
    n = busy.shape[0]
    calm = np.empty(n, dtype=np.int64)
    nxt = n
    for i in range(n - 1, -1, -1):
        if busy[i]:
            nxt = i
        calm[i] = nxt
    return calm


# A time block holds this many bytes of ``hot`` (bar x coin x Hot.N float64): a group of columns runs the
# block while it is in the core's L2 cache (1 MB here), instead of each column streaming the whole run from
# memory (measured: the quiet bars were bound by that stream, 128 bytes per bar and column for 4 coins).
BLOCK_BYTES = 1 << 18
# At most this many columns share a block. A group runs all its blocks on one thread with no barrier
# between blocks (on a shared machine, a thread descheduled for a time slice would stall every other
# thread at each block's barrier), and there are at least as many groups as threads when columns allow
# (the thread count is an argument: numba's get_num_threads inside the kernel would stop it being cached).
GROUP_COLUMNS = 16


@njit(cache=True, nogil=True)
def basket_scratch_nb(n_cols, n_coins, tier_sets):
    """Each column's state (``Col.*``) and work arrays, allocated here where reference counting is on
    (the column kernels below are compiled without it); contents set by ``start_column_nb``."""
    return (np.empty((n_cols, Col.N)), np.empty((n_cols, n_coins, Acc.N)), np.empty((n_cols, n_coins, Coin.N)),
            np.empty((n_cols, Account.N)), np.empty((n_cols, n_coins, CoinIntent.N + 1)),
            np.empty((n_cols, Intent.N + 1)), np.empty((n_cols, n_coins, Work.N)),
            np.empty((n_cols, MAX_LEGS, Leg.N)),
            np.empty((n_cols, n_coins, tier_sets.shape[2], tier_sets.shape[3])))


@njit(BASKET_SIG, cache=True, nogil=True, parallel=True, error_model="numpy")
def simulate_basket_nb(hook, market, hot, busy, close_time_s, time_ns, bar_seconds, path_of_column, cfg, ocfg,
                       tier_sets, tier_from_bar, params, features, rebalance, col_offset, out, summary, events,
                       n_threads):
    """Simulate every column of ``params``: groups of columns in parallel (prange), each group one time block
    of bars after another; see the module docstring. A column's arithmetic is the same whatever the
    blocks, groups, threads or chunks."""
    n_coins = market.shape[1]
    n = market.shape[3]
    n_cols = params.shape[0]
    record = out.shape[2] == n
    calm = calm_until_basket_nb(busy)
    st, accs, coins, account, intent, single, work, legs, tiers = basket_scratch_nb(n_cols, n_coins, tier_sets)
    block = max(BLOCK_BYTES // (n_coins * Hot.N * 8), 64)
    per_group = max(1, min(GROUP_COLUMNS, n_cols // max(n_threads, 1)))
    for g in prange((n_cols + per_group - 1) // per_group):
        lo = np.int64(g) * per_group  # int64: one compiled signature of the callees (see nb/simulate.py)
        hi = min(lo + per_group, n_cols)
        for j in range(lo, hi):
            start_column_nb(st[j], accs[j], work[j], legs[j], account[j], single[j], tiers[j], tier_sets,
                            tier_from_bar, cfg)
        for i0 in range(0, n, block):
            i1 = min(i0 + block, n)
            for j in range(lo, hi):
                p = path_of_column[j]
                basket_bars_nb(hook, market[p], hot[p], calm, close_time_s, time_ns, bar_seconds, cfg,
                               option_config_tuple_nb(ocfg), tiers[j], tier_sets, tier_from_bar, params[j], features,
                               rebalance, j, col_offset + j, out, events, st[j], accs[j], coins[j], account[j],
                               intent[j], single[j], work[j], legs[j], i0, i1)
        for j in range(lo, hi):
            finish_column_nb(st[j], accs[j], intent[j], record, out, summary, j)
