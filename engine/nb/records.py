"""Array layouts shared by the kernel and its pandas wrapper: event records, market fields, venue
config slots, per-bar output series and summary fields.

Enums are NamedTuple instances so that ``Mkt.CLOSE`` is a compile-time constant inside kernels.
"""
from typing import NamedTuple

import numpy as np
from numba import from_dtype

# One event: ``amount`` is the cash flow to the account (+ received, - paid), see docs/ARCHITECTURE.md.
event_dt = np.dtype(
    [
        ("bar", np.int32),         # bar index
        ("column", np.int32),      # column (parameter set) index
        ("kind", np.int8),         # EventKind
        ("instrument", np.int8),   # Instrument
        ("reason", np.int8),       # CutReason of an order_trimmed / leverage_capped event (0 otherwise)
        ("option_type", np.int8),  # option events: the contract's +1 call / -1 put (0: not an option event)
        ("expiry_s", np.int32),    # option events: the contract's expiry, epoch seconds (0: none; int32: to 2038)
        ("strike", np.float64),    # option events: the contract's strike, USD (NaN: none)
        ("qty", np.float64),       # signed quantity traded (BTC); + buy
        ("price", np.float64),     # fill / settlement / funding price; margin events: the USD moved
        ("amount", np.float64),    # cash flow to the account (USD)
    ],
    align=True,
)  # 48 bytes: a year of hourly fills for 1,000 columns stays near 1.2 GB
EVENT_RECORD = from_dtype(event_dt)


class EventKindT(NamedTuple):
    FILL: int = 0              # market order fill at the close (amount: spot -qty*price; perp realized PnL)
    FEE: int = 1               # trading fee of the preceding fill (amount < 0)
    FUNDING: int = 2           # funding payment (price = funding price, qty = position)
    LIQUIDATION: int = 3       # perp taken by the venue (amount = realized PnL of the liquidated qty), or a
                               # short option leg bought back at the ask (instrument option, amount = -qty*ask)
    STOP: int = 4              # stop-market fill (amount = realized PnL)
    MARGIN: int = 5            # cash moved into (price > 0) or out of (price < 0) the isolated margin:
                               # price = USD moved, qty 0 (no BTC trades), amount 0 (internal transfer)
    OPTION_FILL: int = 6       # option premium paid/received
    OPTION_SETTLEMENT: int = 7  # option cash settlement at expiry
    ORDER_TRIMMED: int = 8     # part of an order not filled (``reason``: cash, initial margin, listed
                               # contract): qty = the signed quantity not filled, price = the fill price it
                               # would have had, amount 0
    LEVERAGE_CAPPED: int = 9   # leverage asked above the tier's maximum for the notional: qty 0, price = the
                               # leverage applied (the tier maximum), amount 0, reason tier_max_leverage
    ADL: int = 10              # part of a profitable perp closed by the venue's auto-deleveraging (engine/nb/adl.py):
                               # qty = signed quantity closed, price = the ADL price, amount = realized PnL,
                               # ``strike`` = the position's ADL score then (the only non-option use of that field)


EventKind = EventKindT()
EVENT_KIND_NAMES = ("fill", "fee", "funding", "liquidation", "stop", "margin", "option_fill",
                    "option_settlement", "order_trimmed", "leverage_capped", "adl")


class CutReasonT(NamedTuple):
    """Why an order was cut or a setting capped (the ``reason`` of an event; NONE for the others)."""
    NONE: int = 0
    CASH: int = 1              # isolated margin, spot or a long option paid from cash: cut to what cash pays
    INITIAL_MARGIN: int = 2    # cross perp increase or option sale: cut to what the equity covers as IM
    TIER_MAX_LEVERAGE: int = 3  # leverage above the bracket's maximum for the notional held / targeted
    LISTED_CONTRACT: int = 4   # no listed contract for the request, or the leg table (MAX_LEGS) is full
    WHOLE_NUMBER: int = 5      # leverage asked with a fraction where the venue sets whole numbers: the one below


CutReason = CutReasonT()
CUT_REASON_NAMES = ("", "cash", "initial_margin", "tier_max_leverage", "listed_contract", "whole_number")


class InstrumentT(NamedTuple):
    SPOT: int = 0
    PERP: int = 1
    OPTION: int = 2


Instrument = InstrumentT()
INSTRUMENT_NAMES = ("spot", "perp", "option")


class MktT(NamedTuple):
    """Rows of the market block ``market[path, field, bar]`` (float64)."""
    OPEN: int = 0
    HIGH: int = 1
    LOW: int = 2
    CLOSE: int = 3
    VOLUME: int = 4
    MARK_OPEN: int = 5
    MARK_HIGH: int = 6
    MARK_LOW: int = 7
    MARK_CLOSE: int = 8
    INDEX_CLOSE: int = 9       # spot price: spot orders fill here and the spot holding is valued here
    FUNDING_RATE: int = 10     # NaN when the bar opens on no settlement
    FUNDING_PRICE: int = 11
    IV: int = 12
    INDEX_OPEN: int = 13       # option delivery prices are approximated from index opens/closes
    STRESS: int = 14           # market stress in [0, 1] for the option surface (engine/options.py)
    # Auto-deleveraging events of the venue (market data: the account cannot see the queue; engine/nb/adl.py).
    ADL_SIDE: int = 15         # +1: profitable longs are closed in this bar, -1: shorts; NaN: no event
    ADL_SHARE: int = 16        # the event's notional / that side's open interest, in (0, 1]
    ADL_PRICE: int = 17        # the closing price when known; NaN: the venue's rule at bar level
    N: int = 18


Mkt = MktT()
MARKET_FIELDS = ("open", "high", "low", "close", "volume", "mark_open", "mark_high", "mark_low",
                 "mark_close", "index_close", "funding_rate", "funding_price", "iv", "index_open", "stress",
                 "adl_side", "adl_share", "adl_price")


class CfgT(NamedTuple):
    """Slots of the float64 config vector ``cfg`` (venue rule + costs + account settings)."""
    LIQ_RULE: int = 0          # LiqRule
    CROSS: int = 1             # 1.0 cross margin, 0.0 isolated
    CAPITAL: int = 2           # initial cash deposit (USD)
    PERP_FEE: int = 3          # taker fee rate of the perp
    SPOT_FEE: int = 4          # taker fee rate of spot
    HALF_SPREAD: int = 5       # relative half spread paid on every market order
    IMPACT: int = 6            # impact coefficient: slip += IMPACT * (|qty| / bar volume) ** IMPACT_EXP
    IMPACT_EXP: int = 7
    LIQ_FEE: int = 8           # clearance fee rate on the notional at the trigger, capped at the equity left
    PARTIAL_ABOVE: int = 9     # notional above which liquidation is partial (inf: never)
    PARTIAL_FRACTION: int = 10  # fraction of the position closed per partial liquidation step
    BACKSTOP: int = 11         # equity / MM below which the backstop takes the whole margin (0: none)
    DEFAULT_LEVERAGE: int = 12  # leverage before the hook sets one
    INVERSE: int = 13          # 1.0 inverse (coin-margined) perp: isolated margin held in BTC; 0.0 linear
    WHOLE_LEVERAGE: int = 14   # 1.0: the venue sets leverage in whole numbers (Hyperliquid, spec §3)
    SHARED_WALLET: int = 15    # 1.0: a basket's cross wallet, whose positions the basket kernel liquidates
                               # together: a position's own single-position liquidation price means nothing
    ADL_MODE: int = 16         # AdlMode: what the market's ADL events do to the account (off: nothing)
    ADL_RULE: int = 17         # AdlRule: the venue's ranking formula (the score in the state and events)
    ADL_REF: int = 18          # the venue's reference score: a position scoring it sits mid-queue (adl.py)
    ADL_FEE: int = 19          # fee rate the venue charges on an ADL close (Bybit: maker; others 0)
    N: int = 20


Cfg = CfgT()


class LiqRuleT(NamedTuple):
    MM_AT_LIQ: int = 0         # Binance / Hyperliquid: MM at the liquidation price; taken at bankruptcy
    MM_AT_ENTRY: int = 1       # Bybit: MM on the entry value; taken at bankruptcy
    CLOSE_AT_MARK: int = 2     # Hyperliquid: MM at the liquidation price; closed at the mark, no fee


LiqRule = LiqRuleT()


class AdlModeT(NamedTuple):
    OFF: int = 0               # ADL events are ignored (hedges are closed only by their strategy or liquidation)
    WORST: int = 1             # a profitable position on the closed side is closed in full at the first event
    SHARE: int = 2             # a fraction grows with the rank score and the event's notional / open interest


AdlMode = AdlModeT()
ADL_MODES = ("off", "worst", "share")


class AdlRuleT(NamedTuple):
    """The venue's ADL ranking formula (``engine/nb/adl.py`` and ``../shared/specs/adl-and-margin.md`` §1)."""
    NONE: int = 0              # no ADL queue (Deribit: losses beyond the fund are socialized)
    BINANCE: int = 1           # max(0, upnl) / max(1, wallet) x MM / (wallet + upnl)
    BYBIT: int = 2             # PnL% x effective leverage (in profit), PnL% / effective leverage (at a loss)
    HYPERLIQUID: int = 3       # (mark / entry) x notional / account value (shorts: entry / mark)


AdlRule = AdlRuleT()
ADL_RULES = ("none", "binance", "bybit", "hyperliquid")


class TierT(NamedTuple):
    """Columns of the tier table ``tiers[k, :]`` (float64), sorted by floor."""
    FLOOR: int = 0             # notional floor (USD)
    CAP: int = 1               # notional cap (USD)
    MMR: int = 2
    CUM: int = 3               # maintenance amount / deduction
    MAX_LEV: int = 4
    N: int = 5


Tier = TierT()


class OutT(NamedTuple):
    """Per-bar series ``out[column, series, bar]`` (absent in summary mode)."""
    EQUITY: int = 0
    CASH: int = 1
    SPOT_QTY: int = 2
    PERP_QTY: int = 3
    MARGIN_RATIO: int = 4
    LIQ_PRICE: int = 5
    OPTION_VALUE: int = 6
    N: int = 7


Out = OutT()
OUT_NAMES = ("equity", "cash", "spot_qty", "perp_qty", "margin_ratio", "liq_price", "option_value")


class SumT(NamedTuple):
    """Summary fields ``summary[column, field]``."""
    FINAL_EQUITY: int = 0
    LIQUIDATIONS: int = 1
    FUNDING_PNL: int = 2
    FEES: int = 3              # positive number paid
    OPTION_PNL: int = 4
    MAX_DRAWDOWN: int = 5      # largest fall from the running peak, as a fraction of the peak
    MIN_EQUITY: int = 6
    STOPS: int = 7
    N_EVENTS: int = 8          # events written (the wrapper reruns a column whose buffer was too small)
    ERROR: int = 9             # HookError code that stopped the column (0: ran to the end)
    ERROR_BAR: int = 10        # bar of that error
    ERROR_FIELD: int = 11      # Intent field of that error (-1: none)
    ERROR_VALUE: int = 12      # the value the hook wrote there
    N: int = 13


Sum = SumT()
SUMMARY_NAMES = ("final_equity", "liquidations", "funding_pnl", "fees", "option_pnl",
                 "max_drawdown", "min_equity", "stops", "n_events")  # the result's columns (errors raise)


class HookErrorT(NamedTuple):
    """Why the kernel stopped a column (``summary[j, Sum.ERROR]``): numba cannot raise from prange,
    so the column stops and the wrapper raises ``engine.hook_errors.HookError`` naming it."""
    NONE: int = 0
    NOT_FINITE: int = 1        # +/-inf in an intent field (NaN means "no change" outside option slots)
    MISSING: int = 2           # NaN in a field an option slot in use needs, or a slot filled but its action
    INVALID: int = 3           # action not +1/-1/2, type not +1/-1, quantity or leverage <= 0
    EQUITY: int = 4            # equity not finite after the bar's orders
    RAISED: int = 5            # the hook raised (flag ``intent[HOOK_RAISED]`` set by ``engine/guard.py``)
    STRIKE: int = 6            # an option strike outside the listed (0, 5) fractions of the forward (e.g. USD)
    STRIKE_USD: int = 7        # a USD strike <= 0, or with no listed contract near it (engine/nb/option_forms.py)
    DELTA: int = 8             # a target delta outside (0, 1) in magnitude or of the wrong sign for the type
    LEG: int = 9               # a close / roll of leg k: k not 0..7, the leg not open, named twice or of another type


HookError = HookErrorT()
