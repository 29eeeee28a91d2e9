"""Layouts shared by the kernel and strategy hooks.

A strategy's decision hook is a numba function with one fixed signature (``HOOK_SIG``), so the
simulation kernel compiles once and stays cached on disk for every strategy (a hook passed as a
first-class function type does not force a recompile; see docs/ARCHITECTURE.md).

    decide_nb(i, state, params, features, intent) -> None

- ``i``: bar index (the hook runs at the bar's close, after funding, stops and liquidations).
- ``state``: float64[:] account snapshot, fields named by ``State`` below. Read only, except the
  memory slots ``MEM0 .. MEM7``: the kernel fills them with NaN when a column starts and never
  writes them again, so what the hook writes there at bar i it reads back at its next call (one
  state vector per column: columns never share memory).
- ``params``: float64[:] this column's parameter values, in the strategy's declared order.
- ``features``: float64[:, :] the strategy's precomputed features, shape (n_bars, k), shared by all
  columns of a call (row i may only use information known at bar i's close).
- ``intent``: float64[:] pre-filled with NaN by the kernel; the hook writes what it wants, fields
  named by ``Intent`` below. NaN means "no change".

Enums are NamedTuple instances so that ``State.EQUITY`` is a compile-time constant inside kernels.
"""
from typing import NamedTuple

from numba import types


class StateT(NamedTuple):
    EQUITY: int = 0            # account equity in USD at the bar close (cash + spot + perp upnl + options)
    CASH: int = 1              # free cash (USD), excluding isolated margin locked in the perp
    SPOT_QTY: int = 2          # spot BTC held
    PERP_QTY: int = 3          # signed perp quantity (BTC), + long
    PERP_ENTRY: int = 4        # perp average entry price
    PERP_MARGIN: int = 5       # isolated margin allocated to the perp (USD); cross: 0
    MARGIN_RATIO: int = 6      # maintenance margin / margin balance (1.0 = liquidation); 0 if flat
    LIQ_PRICE: int = 7         # perp liquidation price (NaN if flat or not liquidatable)
    CLOSE: int = 8             # traded close price of the bar
    MARK: int = 9              # mark close of the bar
    INDEX: int = 10            # index close of the bar
    PEAK_EQUITY: int = 11      # running maximum of equity
    CAPITAL: int = 12          # initial deposit
    LIQUIDATIONS: int = 13     # liquidation events so far (perp steps and option legs bought back)
    OPTION_VALUE: int = 14     # mark-to-model value of the option book (USD, + long)
    OPTION_DELTA: int = 15     # delta of the option book in BTC
    IV: int = 16               # ATM implied vol known at this close (decimal)
    TIME_S: int = 17           # bar close time, epoch seconds
    LAST_FUNDING: int = 18     # last settled funding rate (decimal per interval)
    OPEN_LEGS: int = 19        # number of open option legs
    NEXT_EXPIRY_S: int = 20    # earliest expiry of the open legs, epoch seconds (NaN if none)
    # Hook memory: NaN at the column's start, then written only by the hook (kept between bars).
    MEM0: int = 21
    MEM1: int = 22
    MEM2: int = 23
    MEM3: int = 24
    MEM4: int = 25
    MEM5: int = 26
    MEM6: int = 27
    MEM7: int = 28
    LEVERAGE: int = 29         # the perp's leverage setting in force (after the tier clamp)
    MAX_LEVERAGE: int = 30     # the tier's maximum leverage for the position held (notional at the mark)
    # Open option legs: STATE_LEGS blocks of StateLeg.N fields from LEGS, leg k's field f at
    # state[State.LEGS + k * StateLeg.N + StateLeg.f] (QTY 0 = free slot, its other fields NaN).
    LEGS: int = 31
    # Auto-deleveraging (engine/nb/adl.py), after the legs so that the fields above keep their places.
    ADL_SCORE: int = 95        # the perp's ADL rank score at the mark close by the venue's formula (NaN: flat
                               # or no queue at the venue); higher = closed earlier
    ADL_BARS_AGO: int = 96     # bars since the venue last ADL-closed some of the perp (0 at the close of that
                               # bar; NaN: never)
    ADL_QTY: int = 97          # signed quantity that close traded (+: a short bought back)
    N: int = 98                # length of the state vector


State = StateT()


class StateLegT(NamedTuple):
    """Fields of one open option leg in the state (per 1 BTC of the leg; the position is QTY times)."""
    KIND: int = 0              # +1 call, -1 put
    STRIKE: int = 1            # USD
    EXPIRY_S: int = 2          # epoch seconds (08:00 UTC)
    QTY: int = 3               # signed BTC (+ long); 0 = free slot
    DELTA: int = 4             # dV/dF per BTC (Black-76 on the model surface at this close)
    GAMMA: int = 5             # per USD
    VEGA: int = 6              # USD per 0.01 vol
    THETA: int = 7             # USD per day
    N: int = 8


StateLeg = StateLegT()
STATE_LEGS = 8  # = engine.nb.legs.MAX_LEGS (checked by the kernel module)


class IntentT(NamedTuple):
    TARGET_SPOT: int = 0       # target spot holding (BTC)
    TARGET_PERP: int = 1       # target signed perp quantity (BTC)
    LEVERAGE: int = 2          # leverage for the isolated margin of the perp (margin = notional / leverage)
    STOP_PRICE: int = 3        # reduce-only stop-market that closes the perp (0 cancels)
    MARGIN_TOPUP: int = 4      # USD moved from cash into the isolated margin
    # Up to four option orders per decision (a collar roll: close the put, close the call, buy a
    # put, sell a call), each five fields, run in slot order (so closes in early slots free cash and
    # margin before opens in later ones). OPT_ACTION: +1 buy, -1 sell,
    # 2 close every open leg of OPT_TYPE, 3 / 4 close / roll one leg (OPTk_LEG below). OPT_TYPE: +1 call,
    # -1 put. OPT_STRIKE: strike as a fraction of the forward (0.9 = 10 % OTM put), or in the unit
    # OPTk_STRIKE_UNIT names (below), rounded by the kernel to the venue's strike grid.
    # OPT_TENOR_DAYS: wanted tenor; the kernel picks the listed expiry nearest to it. OPT_QTY: BTC.
    OPT1_ACTION: int = 5
    OPT1_TYPE: int = 6
    OPT1_STRIKE: int = 7
    OPT1_TENOR_DAYS: int = 8
    OPT1_QTY: int = 9
    OPT2_ACTION: int = 10
    OPT2_TYPE: int = 11
    OPT2_STRIKE: int = 12
    OPT2_TENOR_DAYS: int = 13
    OPT2_QTY: int = 14
    OPT3_ACTION: int = 15
    OPT3_TYPE: int = 16
    OPT3_STRIKE: int = 17
    OPT3_TENOR_DAYS: int = 18
    OPT3_QTY: int = 19
    OPT4_ACTION: int = 20
    OPT4_TYPE: int = 21
    OPT4_STRIKE: int = 22
    OPT4_TENOR_DAYS: int = 23
    OPT4_QTY: int = 24
    # Appended so that the fields above keep their places: per option slot, the unit of its
    # OPT_STRIKE and the leg an action 3 / 4 names. OPTk_STRIKE_UNIT: NaN or 0 = fraction of the
    # forward (as above), 1 = USD, 2 = target delta (Black-76 dV/dF on the surface, + call, - put); the
    # kernel resolves it at the order's close to a listed strike (engine/nb/strike_forms.py).
    # OPT_ACTION 3 closes leg OPTk_LEG, 4 rolls it (closes it and opens the same side and size, or
    # OPT_QTY, at OPT_STRIKE / OPT_TENOR_DAYS): k indexes the state's legs (State.LEGS + k * StateLeg.N).
    OPT1_STRIKE_UNIT: int = 25
    OPT1_LEG: int = 26
    OPT2_STRIKE_UNIT: int = 27
    OPT2_LEG: int = 28
    OPT3_STRIKE_UNIT: int = 29
    OPT3_LEG: int = 30
    OPT4_STRIKE_UNIT: int = 31
    OPT4_LEG: int = 32
    N: int = 33


Intent = IntentT()

MEMORY_SLOTS = 8  # State.MEM0 .. State.MEM7

# One slot past the Intent fields: the intent vector the kernel hands over has Intent.N + 1 entries;
# the guard around a user hook (engine/guard.py) sets this one when the hook raised.
HOOK_RAISED = Intent.N

OPTION_SLOT_FIELDS = 5  # fields per option slot: ACTION, TYPE, STRIKE, TENOR_DAYS, QTY
OPTION_SLOTS = 4        # option slots in the intent: OPTk_* at Intent.OPT1_ACTION + (k - 1) * OPTION_SLOT_FIELDS
OPTION_FORM_FIELDS = 2  # appended fields per slot: STRIKE_UNIT, LEG at Intent.OPT1_STRIKE_UNIT + (k - 1) * 2

# OPTk_STRIKE_UNIT codes (NaN is FRACTION) and the actions that name a leg.
STRIKE_FRACTION, STRIKE_USD, STRIKE_DELTA = 0.0, 1.0, 2.0
CLOSE_LEG, ROLL_LEG = 3.0, 4.0

# The one signature every decision hook is compiled with.
HOOK_SIG = types.void(
    types.int64,
    types.float64[::1],
    types.float64[::1],
    types.float64[:, ::1],
    types.float64[::1],
)
HOOK_TYPE = types.FunctionType(HOOK_SIG)
