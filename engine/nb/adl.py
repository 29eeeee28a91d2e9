"""Auto-deleveraging (ADL): the venue closes profitable positions when liquidations outrun its fund.

The account cannot see the venue's queue, so ADL is driven by market events (``Mkt.ADL_SIDE``,
``Mkt.ADL_SHARE``, ``Mkt.ADL_PRICE``: in bar i the venue closed ``share`` of the open interest of
``side``'s profitable positions). What one event does to the account's perp (``Cfg.ADL_MODE``):

- ``worst``: a position on the closed side that is in profit at the ADL price is closed in full.
- ``share``: it is closed in the fraction ``min(1, 2 x pct x share)``, where ``pct = score / (score +
  ref)`` in [0, 1) places the position in the queue by its rank score (below). A position that scores
  the venue's reference score ``ref`` sits mid-queue (pct 0.5) and loses exactly ``share``; over a side
  whose positions are spread evenly over pct, the rule closes on average ``share`` of the side
  (the integral of 2 p over [0, 1] is 1), i.e. the event's notional, with the high scores first.
  ``ref`` is each venue's score of one reference position (``engine/venues.adl_reference_score``).

A position at a loss at the ADL price is never closed (the queue holds the winners only).

Rank score by the venue's published formula (``../shared/specs/adl-and-margin.md`` §1), with W the
balance behind the position (isolated margin, or the cross wallet), u the unrealised PnL at the price:
- Binance: ``max(0, u) / max(1, W) x MM / (W + u)`` (0 when W + u <= 0); the app shows it as the 0-4
  quantile light, here ``min(4, floor(5 x pct))``.
- Bybit (the BitMEX template it follows): PnL% = u / |entry value|, effective leverage = |mark value| /
  |mark value - bankruptcy value|; score = PnL% x eff. leverage in profit, PnL% / eff. leverage at a loss.
- Hyperliquid: (mark / entry) x notional / account value for a long, (entry / mark) x ... for a short,
  account value = W + u.
- Deribit: no ADL queue (losses beyond its fund are shared among the day's winners): no score.

The ADL price: the event's own when the data has it, else the venue's rule at bar granularity:
Binance and Bybit close at the bankruptcy price of the liquidated order, Hyperliquid at the previous
mark; within one bar both sit at the extreme of the move that liquidated the other side, so the bar's
mark extreme in the closed position's favour is taken (the mark low for a short closed in a crash).
The venue charges ``Cfg.ADL_FEE`` on the notional closed (Bybit: the maker fee; Binance none).
"""
import math

from numba import njit

from hedgelab.engine.nb.account import (Acc, add_event_nb, close_perp_part_nb, perp_mm_nb, perp_wallet_nb,
                                         refresh_liq_nb)
from hedgelab.engine.nb.records import AdlMode, AdlRule, Cfg, EventKind, Instrument, Mkt


@njit(cache=True, nogil=True, error_model="numpy")
def adl_score_of_nb(rule, q, entry, price, wallet, mm):
    """The rank score of a linear position of signed ``q`` at ``entry``, valued at ``price``, backed by
    ``wallet`` USD with maintenance margin ``mm`` (USD), by the venue's formula ``rule`` (AdlRule);
    NaN when flat or the venue has no queue."""
    if q == 0.0 or rule == AdlRule.NONE:
        return math.nan
    upnl = q * (price - entry)
    if rule == AdlRule.BINANCE:
        balance = wallet + upnl
        ratio = mm / balance if balance > 0.0 else 0.0
        return max(0.0, upnl) / max(1.0, wallet) * ratio
    if rule == AdlRule.BYBIT:
        pnl_pct = upnl / abs(q * entry)
        bankrupt = entry - wallet / q              # where wallet + upnl = 0
        gap = abs(price - bankrupt)
        eff_lev = price / gap if gap > 0.0 else math.inf
        return pnl_pct * eff_lev if pnl_pct > 0.0 else pnl_pct / eff_lev
    account = wallet + upnl                        # Hyperliquid
    if account <= 0.0:
        return math.inf
    move = price / entry if q > 0.0 else entry / price
    return move * abs(q) * price / account


@njit(cache=True, nogil=True, error_model="numpy")
def adl_score_nb(acc, cfg, tiers, price):
    """The account's perp position's rank score at ``price`` (``adl_score_of_nb``; inverse: NaN, no
    inverse venue has a queue here)."""
    q = acc[Acc.QTY]
    if q == 0.0 or cfg[Cfg.INVERSE] != 0.0:
        return math.nan
    return adl_score_of_nb(int(cfg[Cfg.ADL_RULE]), q, acc[Acc.ENTRY], price, perp_wallet_nb(acc, cfg),
                           perp_mm_nb(acc, cfg, tiers, price))


@njit(cache=True, nogil=True, error_model="numpy")
def queue_position_nb(score, ref):
    """Where a score sits in the queue, in [0, 1): score / (score + ref) (0 for no score or a loss)."""
    if not score > 0.0:
        return 0.0
    if score == math.inf:
        return 1.0
    return score / (score + ref)


@njit(cache=True, nogil=True, error_model="numpy")
def adl_light_nb(score, ref):
    """Binance's 0-4 quantile light for a score (``min(4, floor(5 x pct))``)."""
    return min(4.0, math.floor(5.0 * queue_position_nb(score, ref)))


@njit(cache=True, nogil=True, error_model="numpy")
def adl_fraction_nb(mode, score, ref, share):
    """Fraction of a profitable position an event closes (module docstring): 1 under ``worst``,
    ``min(1, 2 x pct x share)`` under ``share``."""
    if mode == AdlMode.WORST:
        return 1.0
    return min(1.0, 2.0 * queue_position_nb(score, ref) * share)


@njit(cache=True, nogil=True, error_model="numpy")
def adl_price_nb(mk, i, side):
    """The ADL price of bar i for a position of ``side`` (+1 long): the event's price, else the bar's
    mark extreme in the position's favour (module docstring)."""
    p = mk[Mkt.ADL_PRICE, i]
    if p == p:
        return p
    return mk[Mkt.MARK_HIGH, i] if side > 0.0 else mk[Mkt.MARK_LOW, i]


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def apply_adl_nb(acc, cfg, tiers, events, j, col, bar, mk):
    """Bar ``bar``'s ADL event on the account's perp (after its stops and liquidation): True when it
    closed some of the position (an ``adl`` event, its fee, the account's ADL memory updated)."""
    q = acc[Acc.QTY]
    side = 1.0 if q > 0.0 else -1.0
    if q == 0.0 or mk[Mkt.ADL_SIDE, bar] != side:
        return False
    price = adl_price_nb(mk, bar, side)
    if not q * (price - acc[Acc.ENTRY]) > 0.0:
        return False
    score = adl_score_nb(acc, cfg, tiers, price)
    part = abs(q) * adl_fraction_nb(int(cfg[Cfg.ADL_MODE]), score, cfg[Cfg.ADL_REF], mk[Mkt.ADL_SHARE, bar])
    if not part > 0.0:
        return False
    realized = close_perp_part_nb(acc, cfg, part, price)
    closed = -side * part
    k = int(acc[Acc.NEV])
    add_event_nb(acc, events, j, col, bar, EventKind.ADL, Instrument.PERP, closed, price, realized)
    if k < events.shape[1]:
        events[j, k]["strike"] = score
    fee = part * price * cfg[Cfg.ADL_FEE]
    if fee != 0.0:
        acc[Acc.CASH] -= fee
        acc[Acc.FEES] += fee
        add_event_nb(acc, events, j, col, bar, EventKind.FEE, Instrument.PERP, 0.0, price, -fee)
    acc[Acc.ADLS] += 1.0
    acc[Acc.ADL_BAR] = bar
    acc[Acc.ADL_QTY] = closed
    acc[Acc.ADL_SCORE] = score
    refresh_liq_nb(acc, cfg, tiers)
    return True
