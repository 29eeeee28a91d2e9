"""The simulation kernel: many columns (parameter sets), each with its own account, in parallel.

Per bar ``i`` of column ``j``, in this fixed order:
0. If the venue's next dated tier table starts at this bar, it replaces the current one (the
   liquidation price is recomputed).
1. Funding, if the bar opens on a settlement (``funding_rate[i]`` not NaN): payment =
   -perp qty * funding price * rate (longs pay when the rate is positive). Only the position open
   at the timestamp pays, since no order has run yet in this bar. Isolated: the payment goes to
   the isolated margin (Binance/Bybit settle it against the position's margin); cross: to cash.
2. Option expiries at the bar open: every leg whose expiry (08:00 UTC) is at or before the bar's
   open is cash-settled on the delivery price approximated from the index bars
   (``option_rules.delivery_price_nb``), with the delivery fee.
3. Stop and liquidation triggers on the bar's mark extremes, adverse extreme first
   (``nb/liquidation.py`` documents the venue rules and what the account keeps).
3a. Auto-deleveraging (``nb/adl.py``): when the market carries an ADL event for the position's side
   in this bar, a profitable position is closed in full (``worst``) or in part (``share``) at the ADL
   price; the hook is then called at this bar's close even off its rebalance schedule.
3b. Option maintenance at the close (when short legs are open and IV gives a mark): the book's
   maintenance margin = sum over short legs of Deribit's standard MM (call: 0.075 + mark_btc, put:
   max(0.075, 0.075 * mark_btc) + mark_btc, BTC per contract, mark_btc = mark / forward) times the
   index (``option_rules.short_margin_usd_nb``). Options are margined on the account outside any
   isolated perp margin: cover = cash + spot * index + option book value (+ in cross mode the perp's
   upnl at the mark less its maintenance margin, as they share the cross wallet). Spot is credited
   because Deribit options are coin-margined: the BTC held is their collateral, so a short call
   covered by spot (a collar) is not liquidated by a rally. If cover < MM, every short leg is bought
   back at the ask with the trading fee (events ``liquidation`` / ``fee`` on ``option``, one count per
   leg in LIQUIDATIONS; long legs stay; the cash may go negative). Checked at the close only (not at the
   intrabar extreme), and the perp's liquidation price does not include the option MM.
4. On rebalance bars, the strategy hook at the close: it reads the state vector
   (``hedgelab.engine.types.State``) and writes the intent vector (``Intent``), NaN = no change.
   The state's memory slots (``State.MEM0 .. MEM7``) are NaN at the column's start and written
   only by the hook, so it reads at its next call what it wrote at this one.
   The intent is then checked (``intent_problem_nb``, then ``option_forms_problem_nb`` against the legs
   and the market): +/-inf in any field, a NaN in an option slot in use, an action / type / strike
   unit outside its codes, a strike outside its unit's range (a fraction in (0, 5), a USD strike near
   a listed contract, a delta in (0, 1) with its type's sign), a leg to close or roll that is not open
   or a quantity / leverage <= 0 stops the column at this bar
   with ``summary[j, Sum.ERROR*]`` set (numba cannot raise from prange); so does an equity that is
   not finite after the bar's orders. The wrapper raises ``HookError`` naming run, bar time and field.
5. The intents, at the close: LEVERAGE (clamped to the tier maximum of the larger of the position
   held and the target, a ``leverage_capped`` event when that changes the setting; an increase in
   the same bar is margined at the new leverage), TARGET_SPOT (spot fills at the spot close; a buy
   is cut to what cash pays, an ``order_trimmed`` event, reason cash), TARGET_PERP (fills at the
   traded close; isolated: an increase is cut to what cash pays as margin, an ``order_trimmed``
   event, reason cash; cross: an increase is cut so that equity after the order,
   cash + spot * index + perp upnl at the mark + option book, fees paid, covers |qty| * mark /
   leverage of the whole position plus the short options' initial margin, an ``order_trimmed``
   event, reason initial margin; a reduce is never cut; a cut order is priced at its own size, so
   slippage is charged on what trades); then, if the leverage
   changed, the isolated margin is re-sized to |perp qty after the orders| * mark close / leverage,
   the difference moved from / to cash (an increase bounded by the cash left after the orders), so a
   cut with a reduce leaves the remaining position margined at the new leverage; the four option
   slots in slot order (bought at the ask / sold at the bid of the listed contract nearest the
   request, its strike a fraction of the forward, USD or a target delta (``nb/option_forms.py``),
   with fees; action 2 closes every leg of a type, 3 one leg by its index, 4 rolls one leg (closes it,
   then opens the same side at the slot's strike and tenor); a close in an early slot frees cash
   for an open in a later one, so a collar rolls in one decision). A sale is cut to the largest
   quantity after which the cover of step 3b, with the perp counted at its initial rather than its
   maintenance margin in cross mode (cash + spot * index + option book at the mark, + cross: perp
   upnl - |qty| * mark / leverage), is at least the Deribit standard initial margin of every short
   leg (call: max(0.15 - OTM/S, 0.1) + mark_btc; put: max(that, MM); BTC per contract times the
   index); the part of a sale that only reduces a long of the same contract is never cut. The cut
   is an ``order_trimmed`` event (qty = the signed quantity not filled, price = the bid, amount 0);
   nothing fits: the whole order is that event, MARGIN_TOPUP, STOP_PRICE (0 cancels); market orders
   pay slippage and taker fee.
6. Record: equity = cash + spot * spot close + isolated margin + qty * (mark close - entry)
   + option book marked to model at the close (the last finite mark when IV is missing).

Inverse (coin-margined) perps, ``cfg[Cfg.INVERSE] = 1`` (isolated margin and the "taken at
bankruptcy" rule only; the wrapper refuses the rest). The position qty q is in BTC at entry E, i.e.
contracts of USD notional N = q * E. The isolated margin is held in BTC: posting margin converts USD
cash to BTC at the fill price (a leverage re-size or top-up at the mark close), releasing converts
it back at the fill price (at the liquidation price when liquidated). PnL in BTC = q * (P - E) / P.
Funding: payment in BTC = -N / P * rate with P the settlement (funding) price, taken from / added to
the BTC margin (the event amount and the funding total are its USD value at P). Fees are paid in
USD from cash (as on the linear perp; Deribit takes them in BTC, the difference is the conversion
at the fill). Maintenance margin in BTC = |N| / P * MMR - cum, tiers on the BTC notional |N| / P.
Liquidation when margin + PnL (BTC) <= MM (BTC) at the adverse mark extreme: the liquidation price is
``margin.liq_price_inverse_nb`` (the one ``hedgelab calc liq`` uses); the position is taken at the
bankruptcy price (margin + PnL = 0 in BTC), so the loss is the posted BTC margin and no more.
Equity (USD) = cash + spot * index close + (margin_btc + PnL_btc at the mark close) * mark close.

Quiet bars: a bar that is neither a funding settlement, a decision, an ADL event nor the start of a dated tier
table, while no option is held, runs through ``nb/quiet.py``'s tight loop (the trigger test and the
equity curve, with the account in registers) until a trigger is reached; the full step above then
takes that bar. Same arithmetic in the same order: bitwise-equal results (the 38 golden runs are
unchanged), and the perp-hedge benchmark's base cost per bar fell from ~4.4 to ~2.1 ns per column.

Reference counting: ``simulate_column_nb`` and the account, leg, margin and liquidation helpers it
calls are compiled with ``_nrt=False``. With numba's runtime on, every call that passes an array
counts references with atomic instructions; measured with perf on the perp-hedge benchmark, those
were about a third of the kernel's time (a rebalance cost ~790 ns, now ~300 ns). Such functions
cannot allocate: ``simulate_nb`` allocates each column's scratch arrays and hands them down. A
helper reached from them that must allocate (``choose_expiry_nb``) says ``_nrt=True`` explicitly,
as numba otherwise inherits the caller's setting.

The hook parameter is a first-class function type (``HOOK_TYPE``) and the kernel is compiled with
an explicit signature, so it is compiled once and loaded from the disk cache by every later
process, whatever the strategy (style-anchors "Measured").

Disk cache: numba alone would check the cached kernel against this file only, and keep serving
it after a helper (account.py, intent.py, ...) changed; ``nb/cache.py`` stamps it with the contents
of every file of ``engine/nb/`` and ``engine/types.py``, so an edit to any of them recompiles it.
"""
import numpy as np
from numba import boolean, float64, int64, njit, prange, types

from hedgelab.engine.nb.account import Acc, add_event_nb, equity_of_nb, perp_mm_nb, perp_value_nb, refresh_liq_nb
from hedgelab.engine.nb.adl import apply_adl_nb
from hedgelab.engine.nb.curve import drawdown_step_nb, record_bar_nb
from hedgelab.engine.nb.funding import funding_payment_nb
from hedgelab.engine.nb.hook_state import fill_state_nb
from hedgelab.engine.nb.intent import (apply_intent_nb, apply_late_intent_nb, intent_problem_nb,
                                       option_forms_problem_nb)
from hedgelab.engine.nb.legs import (MAX_LEGS, Leg, book_im_nb, book_nb, liquidate_shorts_nb, next_expiry_nb,
                                     option_order_nb, settle_expired_nb)
from hedgelab.engine.nb.liquidation import check_triggers_nb, trigger_reached_nb
from hedgelab.engine.nb.records import EVENT_RECORD, Cfg, EventKind, HookError, Instrument, Mkt, Sum
from hedgelab.engine.nb.option_leg import option_config_tuple_nb
from hedgelab.engine.nb.quiet import calm_until_nb, quiet_bars_nb
from hedgelab.engine.types import (HOOK_TYPE, OPTION_FORM_FIELDS, OPTION_SLOT_FIELDS, OPTION_SLOTS, STATE_LEGS, Intent,
                                   State, StateLeg)

assert STATE_LEGS == MAX_LEGS and State.ADL_SCORE == State.LEGS + STATE_LEGS * StateLeg.N

SIMULATE_SIG = types.void(
    HOOK_TYPE,                  # hook
    float64[:, :, ::1],         # market[path, Mkt.*, bar]
    float64[::1],               # close_time_s[bar]
    int64[::1],                 # path_of_column[j]
    float64[::1],               # cfg[Cfg.*]
    float64[:, :, ::1],         # tier_sets[e, k, Tier.*]: dated tables in force during the run, padded
    int64[::1],                 # tier_from_bar[e]: first bar of table e (0 for e = 0)
    float64[:, ::1],            # params[j, p]
    float64[:, ::1],            # features[bar, f]
    boolean[::1],               # rebalance[bar]
    int64[::1],                 # time_ns[bar] (bar open)
    int64,                      # bar_seconds
    float64[::1],               # ocfg: OptionConfig().to_array()
    int64,                      # col_offset: column id of j = 0 (chunked sweeps)
    float64[:, :, ::1],         # out[j, Out.*, bar] (bar axis length 0 in summary mode)
    float64[:, ::1],            # summary[j, Sum.*]
    EVENT_RECORD[:, ::1],       # events[j, k]
)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _equity_nb(acc, cfg, mk, i, opt_value):
    """Equity at bar i's close: cash + spot + isolated margin + perp upnl at the mark + option book
    (inverse: the BTC margin + BTC PnL valued at the mark)."""
    return equity_of_nb(acc[Acc.CASH], acc[Acc.SPOT], mk[Mkt.INDEX_CLOSE, i],
                        perp_value_nb(acc, cfg, mk[Mkt.MARK_CLOSE, i]), opt_value)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _option_cover_nb(acc, cfg, tiers, mk, i, opt_value):
    """What backs the short options at bar i's close (step 3b): cash + spot at the index + option
    book; in cross mode also the perp's upnl less its maintenance margin (the same cross wallet);
    an isolated margin is not available to the options."""
    cover = acc[Acc.CASH] + acc[Acc.SPOT] * mk[Mkt.INDEX_CLOSE, i] + opt_value
    q = acc[Acc.QTY]
    if cfg[Cfg.CROSS] != 0.0 and q != 0.0:
        mark = mk[Mkt.MARK_CLOSE, i]
        cover += q * (mark - acc[Acc.ENTRY]) - perp_mm_nb(acc, cfg, tiers, mark)
    return cover


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _option_im_base_nb(acc, cfg, mk, i):
    """The initial-margin check's cover besides cash and the option book (step 5): spot at the index;
    in cross mode also the perp's upnl at the mark less its initial margin |qty| * mark / leverage
    (the perp's need, from the same wallet). An isolated margin backs only its perp."""
    other = acc[Acc.SPOT] * mk[Mkt.INDEX_CLOSE, i]
    q = acc[Acc.QTY]
    if cfg[Cfg.CROSS] != 0.0 and q != 0.0:
        mark = mk[Mkt.MARK_CLOSE, i]
        other += q * (mark - acc[Acc.ENTRY]) - abs(q) * mark / acc[Acc.LEV]
    return other


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def simulate_column_nb(hook, mk, close_time_s, time_ns, bar_seconds, cfg, ocfg, tiers, tier_sets, tier_from_bar,
                       params_j, features, rebalance, calm, j, col, out, summary, events, acc, state, intent, legs):
    """Run column ``j`` over the whole path ``mk[Mkt.*, bar]``; ``tiers`` is a private copy of the table
    in force, replaced in place when the next dated table starts; ``calm`` is the path's row of
    ``quiet.calm_until_nb`` (bars from ``i`` to ``calm[i]`` need no full step while no option is held).
    ``acc`` (Acc.N), ``state`` (State.N), ``intent`` (Intent.N + 1) and ``legs`` (MAX_LEGS x Leg.N) are the column's own scratch arrays,
    initialised here; the caller allocates them because this function and its helpers are compiled
    without reference counting (``_nrt=False``, see the module docstring) and so cannot allocate."""
    n = mk.shape[1]
    record = out.shape[2] == n
    acc[:] = 0.0
    acc[Acc.CASH] = cfg[Cfg.CAPITAL]
    acc[Acc.LEV] = cfg[Cfg.DEFAULT_LEVERAGE]
    acc[Acc.LIQ] = np.nan
    acc[Acc.LAST_FUNDING] = np.nan
    acc[Acc.ADL_BAR] = np.nan
    acc[Acc.ADL_SCORE] = np.nan
    state[:] = np.nan  # hook memory starts unknown; fill_state_nb never writes it (nor free legs)
    peak = cfg[Cfg.CAPITAL]
    max_dd = 0.0
    dd_floor = peak
    min_eq = cfg[Cfg.CAPITAL]
    legs[:, :] = 0.0
    next_exp = np.inf
    opt_value = 0.0
    opt_delta = 0.0
    n_open = 0
    opt_flow = 0.0
    epoch = 0
    equity = cfg[Cfg.CAPITAL]
    error = HookError.NONE
    error_field = -1
    error_bar = -1
    next_switch = tier_from_bar[1] if tier_from_bar.shape[0] > 1 else -1
    i = 0
    while i < n:
        if calm[i] > i and n_open == 0 and next_exp == np.inf:
            i, equity, peak, max_dd, dd_floor, min_eq = quiet_bars_nb(acc, cfg, tiers, mk, i, calm[i], opt_value,
                                                                      equity, peak, max_dd, dd_floor, min_eq,
                                                                      record, out, j)
            if i == n:
                break
        if i == next_switch:  # the venue's next dated tier table takes effect at this bar's open
            epoch += 1
            for a in range(tiers.shape[0]):  # element-wise: a slice assignment needs the runtime here
                for b in range(tiers.shape[1]):
                    tiers[a, b] = tier_sets[epoch, a, b]
            next_switch = tier_from_bar[epoch + 1] if epoch + 1 < tier_from_bar.shape[0] else -1
            refresh_liq_nb(acc, cfg, tiers)
        rate = mk[Mkt.FUNDING_RATE, i]
        if rate == rate:
            acc[Acc.LAST_FUNDING] = rate
            q = acc[Acc.QTY]
            if q != 0.0:
                price = mk[Mkt.FUNDING_PRICE, i]
                if cfg[Cfg.INVERSE] != 0.0:  # BTC: -N / P * rate, from the BTC margin; recorded in USD
                    pay_btc = funding_payment_nb(q * acc[Acc.ENTRY] / price, 1.0, rate)
                    acc[Acc.MARGIN] += pay_btc
                    pay = pay_btc * price
                else:
                    pay = funding_payment_nb(q, price, rate)
                    if cfg[Cfg.CROSS] != 0.0:
                        acc[Acc.CASH] += pay
                    else:
                        acc[Acc.MARGIN] += pay
                acc[Acc.FUNDING] += pay
                add_event_nb(acc, events, j, col, i, EventKind.FUNDING, Instrument.PERP, q, price, pay)
                refresh_liq_nb(acc, cfg, tiers)
        if next_exp <= close_time_s[i] - bar_seconds:
            opt_flow += settle_expired_nb(acc, legs, ocfg, events, j, col, i, close_time_s[i] - bar_seconds,
                                          time_ns, bar_seconds, mk[Mkt.INDEX_OPEN], mk[Mkt.INDEX_CLOSE])
            next_exp = next_expiry_nb(legs)
        q = acc[Acc.QTY]
        # The cheap test runs inline on every bar; the trigger logic itself is a call, taken only
        # when a trigger is reached.
        if q != 0.0 and trigger_reached_nb(q, acc[Acc.LIQ], acc[Acc.STOP], mk, i):
            check_triggers_nb(acc, cfg, tiers, events, j, col, i, mk[Mkt.OPEN, i], mk[Mkt.MARK_OPEN, i],
                              mk[Mkt.MARK_LOW, i], mk[Mkt.MARK_HIGH, i], mk[Mkt.VOLUME, i])
        adl_hit = False
        if mk[Mkt.ADL_SIDE, i] == mk[Mkt.ADL_SIDE, i] and acc[Acc.QTY] != 0.0:  # NaN unless --adl is on
            adl_hit = apply_adl_nb(acc, cfg, tiers, events, j, col, i, mk)
        if n_open > 0 or next_exp < np.inf:
            v, d, n_open, mm = book_nb(legs, ocfg, mk[Mkt.INDEX_CLOSE, i], close_time_s[i], mk[Mkt.IV, i],
                                       mk[Mkt.STRESS, i])
            if v == v:  # no IV: keep the last mark
                opt_value = v
                opt_delta = d
            if n_open == 0:
                opt_value = 0.0
                opt_delta = 0.0
            elif mm > 0.0 and _option_cover_nb(acc, cfg, tiers, mk, i, opt_value) < mm:
                opt_flow += liquidate_shorts_nb(acc, legs, ocfg, events, j, col, i, mk[Mkt.INDEX_CLOSE, i],
                                                close_time_s[i], mk[Mkt.IV, i], mk[Mkt.STRESS, i])
                next_exp = next_expiry_nb(legs)
                v, d, n_open, mm = book_nb(legs, ocfg, mk[Mkt.INDEX_CLOSE, i], close_time_s[i], mk[Mkt.IV, i],
                                           mk[Mkt.STRESS, i])
                opt_value = v if n_open > 0 else 0.0
                opt_delta = d if n_open > 0 else 0.0
                if cfg[Cfg.CROSS] != 0.0:
                    refresh_liq_nb(acc, cfg, tiers)  # the cross wallet (cash) paid for the buy-back
        if rebalance[i] or adl_hit:  # a hedge the venue just closed is the hook's to answer at this close
            equity = _equity_nb(acc, cfg, mk, i, opt_value)
            fill_state_nb(state, acc, cfg, tiers, mk, i, close_time_s, equity, max(peak, equity), opt_value,
                          opt_delta, n_open, next_exp, legs, ocfg)
            intent[:] = np.nan
            hook(i, state, params_j, features, intent)
            error, error_field = intent_problem_nb(intent)
            if error == HookError.NONE:
                error, error_field = option_forms_problem_nb(intent, legs, ocfg, mk[Mkt.INDEX_CLOSE, i],
                                                             close_time_s[i])
            if error != HookError.NONE:  # numba cannot raise from prange: stop the column, the wrapper raises
                error_bar = i
                break
            opt_net = opt_value
            if cfg[Cfg.CROSS] != 0.0 and n_open > 0 and intent[Intent.TARGET_PERP] == intent[Intent.TARGET_PERP]:
                opt_net -= book_im_nb(legs, ocfg, mk[Mkt.INDEX_CLOSE, i], close_time_s[i], mk[Mkt.IV, i],
                                      mk[Mkt.STRESS, i])
            apply_intent_nb(acc, cfg, tiers, events, j, col, i, mk, intent, opt_net)
            any_option = False
            for slot in range(OPTION_SLOTS):
                a = intent[Intent.OPT1_ACTION + slot * OPTION_SLOT_FIELDS]
                if a == a:
                    any_option = True
            if any_option:
                other_cover = _option_im_base_nb(acc, cfg, mk, i)  # option orders change neither spot nor perp
                for slot in range(OPTION_SLOTS):  # in slot order: closes first free cash for later opens
                    b = Intent.OPT1_ACTION + slot * OPTION_SLOT_FIELDS
                    u = Intent.OPT1_STRIKE_UNIT + slot * OPTION_FORM_FIELDS
                    opt_flow += option_order_nb(acc, legs, ocfg, events, j, col, i, intent[b], intent[b + 1],
                                                intent[b + 2], intent[b + 3], intent[b + 4],
                                                mk[Mkt.INDEX_CLOSE, i], close_time_s[i], mk[Mkt.IV, i],
                                                mk[Mkt.STRESS, i], other_cover, intent[u], intent[u + 1])
                next_exp = next_expiry_nb(legs)
                v, d, n_open, _ = book_nb(legs, ocfg, mk[Mkt.INDEX_CLOSE, i], close_time_s[i], mk[Mkt.IV, i],
                                          mk[Mkt.STRESS, i])
                if v == v or n_open == 0:
                    opt_value = v if n_open > 0 else 0.0
                    opt_delta = d if n_open > 0 else 0.0
            apply_late_intent_nb(acc, cfg, tiers, events, j, col, i, mk, intent)
            equity = _equity_nb(acc, cfg, mk, i, opt_value)
            if not (equity - equity == 0.0):  # only orders can make it so (the data is checked finite)
                error, error_bar = HookError.EQUITY, i
                break
        else:
            equity = _equity_nb(acc, cfg, mk, i, opt_value)
        peak, max_dd, dd_floor = drawdown_step_nb(equity, peak, max_dd, dd_floor)
        if equity < min_eq:
            min_eq = equity
        if record:
            record_bar_nb(out, j, i, acc, cfg, tiers, mk[Mkt.MARK_CLOSE, i], equity, opt_value)
        i += 1
    if error != HookError.NONE and record:
        out[j, :, error_bar:] = np.nan  # the bars the column never reached
    summary[j, Sum.ERROR] = error
    summary[j, Sum.ERROR_BAR] = error_bar
    summary[j, Sum.ERROR_FIELD] = error_field
    summary[j, Sum.ERROR_VALUE] = intent[error_field] if error_field >= 0 else np.nan
    summary[j, Sum.FINAL_EQUITY] = equity
    summary[j, Sum.LIQUIDATIONS] = acc[Acc.LIQS]
    summary[j, Sum.FUNDING_PNL] = acc[Acc.FUNDING]
    summary[j, Sum.FEES] = acc[Acc.FEES]
    summary[j, Sum.OPTION_PNL] = opt_flow + opt_value
    summary[j, Sum.MAX_DRAWDOWN] = max_dd
    summary[j, Sum.MIN_EQUITY] = min_eq
    summary[j, Sum.STOPS] = acc[Acc.STOPS]
    summary[j, Sum.N_EVENTS] = acc[Acc.NEV]


@njit(cache=True, nogil=True)
def column_scratch_nb():
    """A column's own work arrays for ``simulate_column_nb`` (contents set there): (acc, state,
    intent + the HOOK_RAISED flag of a guarded hook, legs)."""
    return np.empty(Acc.N), np.empty(State.N), np.empty(Intent.N + 1), np.empty((MAX_LEGS, Leg.N))


@njit(SIMULATE_SIG, cache=True, nogil=True, parallel=True, error_model="numpy")
def simulate_nb(hook, market, close_time_s, path_of_column, cfg, tier_sets, tier_from_bar, params, features,
                rebalance,
                time_ns, bar_seconds, ocfg, col_offset, out, summary, events):
    """Simulate every column of ``params`` in parallel (prange over columns); see module docstring."""
    calm = calm_until_nb(market, rebalance, tier_from_bar)
    for j in prange(params.shape[0]):
        # The column's scratch arrays are allocated here, where reference counting is on; below,
        # nothing counts references, so threads share the read-only inputs and write their own rows
        # of out / summary / events directly. ``tiers`` is a private copy: dated tables replace it.
        # prange's index is int64 when numba types the body and uint64 when it lowers it: an explicit
        # int64 keeps the callees to one compiled signature (else the whole tree compiles twice).
        jj = np.int64(j)
        acc, state, intent, legs = column_scratch_nb()
        simulate_column_nb(hook, market[path_of_column[jj]], close_time_s, time_ns, bar_seconds, cfg,
                           option_config_tuple_nb(ocfg), tier_sets[0].copy(), tier_sets, tier_from_bar, params[jj],
                           features, rebalance, calm[path_of_column[jj]], jj, col_offset + jj, out, summary, events,
                           acc, state, intent, legs)
