"""``simulate_basket()``: several coins in one account (nb/basket.py), from pandas-facing inputs to a
``BasketResult``.

Inputs: one ``MarketArrays`` per coin on one grid (``{"BTC": ..., "ETH": ...}``, the coins' order is
the order of the hook's ``coins`` rows), a ``StrategySpec`` whose hook has ``BASKET_HOOK_SIG``, and
the venue, margin mode, capital and costs as for ``simulate``. Every coin's tier tables come from the
venue file (dated, switching at the bar where the next one starts); a venue without a coin's table
is a ``UserError`` that says a venue file can supply it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
import math

import numba
import numpy as np
import pandas as pd

from hedgelab.core.errors import UserError
from hedgelab.engine.buffers import sparse_empty
from hedgelab.engine.costs import Costs
from hedgelab.engine.hook_errors import HookError
from hedgelab.engine.nb.basket_records import BCOIN_OUT_NAMES, BOUT_NAMES, BCoinOut, BCoinSum, BOut, BSum
from hedgelab.engine.nb.records import Cfg, HookError as HookCode, Mkt, event_dt
from hedgelab.engine.result import events_frame
from hedgelab.engine.options import OptionConfig, validate_option_config
from hedgelab.engine.simulate import cap_funding, market_block, tables_in_force, venue_config
from hedgelab.engine.spec import MARGIN_MODES, StrategySpec, checked_arrays
from hedgelab.engine.venues import base_coin, pack_tier_sets


@dataclass
class BasketResult:
    """What a basket simulation produced, per column (parameter set) and per coin."""
    time: pd.DatetimeIndex                  # bar open times (UTC)
    symbols: tuple                          # the coins, in the hook's row order
    columns: list                           # parameter dicts
    labels: list
    summary: pd.DataFrame                   # one row per column: the account's figures, then per coin
    records: np.ndarray                     # the events as the kernel wrote them (engine/nb/records.event_dt)
    record_coin: np.ndarray                 # each record's coin (row of ``symbols``)
    equity: pd.DataFrame | None = None      # USD at each bar's close, one column per run (None: summary mode)
    cash: pd.DataFrame | None = None
    margin_ratio: pd.DataFrame | None = None
    option_value: pd.DataFrame | None = None   # the option book marked to model (USD), one column per run
    coins: dict = field(default_factory=dict)  # series name -> {symbol: DataFrame (bar x run)}
    venue: str = ""
    margin_mode: str = ""
    bar_seconds: int = 3600
    errors: dict = field(default_factory=dict)

    @cached_property
    def events(self) -> pd.DataFrame:
        """The single-coin event columns (engine/result.events_frame: time, column, instrument, side, kind,
        qty, price, amount as cash flow to the account, ...) plus ``symbol`` and ``run``."""
        df = events_frame(self.records, self.time, self.bar_seconds)
        df.insert(3, "symbol", pd.Categorical.from_codes(self.record_coin, categories=list(self.symbols)))
        df["run"] = np.asarray(self.labels, dtype=object)[df["column"].to_numpy()]
        return df.sort_values(["column", "time"], kind="stable").reset_index(drop=True)


def simulate_basket(markets: dict, spec: StrategySpec, *, venue: str = "binance", margin_mode: str = "cross",
                    capital: float = 100_000.0, costs: Costs | None = None, summary_only: bool = False,
                    at: Any = None, option_config: OptionConfig | None = None) -> BasketResult:
    """Simulate every parameter set of ``spec`` as its own account holding the coins of ``markets``."""
    if margin_mode not in MARGIN_MODES:
        raise UserError(f"margin_mode must be one of {MARGIN_MODES}, got {margin_mode!r}")
    if not isinstance(capital, (int, float)) or not math.isfinite(capital) or capital <= 0:
        raise UserError(f"capital must be a positive number of USD, got {capital!r}")
    symbols = tuple(markets)
    if not symbols:
        raise UserError("a basket needs at least one coin")
    time_ns = _one_grid(markets)
    time = pd.DatetimeIndex(time_ns.view("datetime64[ns]"), name="time").tz_localize("UTC")
    schedules = [_schedule(venue, time, at, s) for s in symbols]
    first = schedules[0][0][1]
    if first.inverse:
        raise UserError(f"venue {first.id!r} is an inverse perp: baskets hold linear (USD-margined) perps only")
    costs = (costs or Costs()).validate()
    params, features, rebalance, _ = checked_arrays(spec, len(time_ns), "BASKET_HOOK_SIG")
    ocfg = validate_option_config(option_config if option_config is not None else OptionConfig())
    block = np.empty((1, len(symbols), Mkt.N, len(time_ns)))                          # [path, coin, Mkt, bar]
    for k, s in enumerate(symbols):
        market_block([markets[s]], ocfg, out=block[:, k], adl=False)  # no ADL in baskets yet
    for k, sched in enumerate(schedules):
        cap_funding(block[:, k], time_ns, sched[0][1])
    starts, tier_sets = _tier_sets(schedules, time_ns)
    cfg = venue_config(first, margin_mode, float(capital), costs)
    cfg[Cfg.SHARED_WALLET] = 1.0 if margin_mode == "cross" else 0.0
    close_s = time_ns / 1e9 + float(markets[symbols[0]].bar_seconds)
    n, ncols, n_coins = len(time_ns), params.shape[0], len(symbols)
    n_funding = int(np.isfinite(block[0, :, Mkt.FUNDING_RATE]).sum(axis=1).max())
    cap = 16 + n_funding + 6 * int(rebalance.sum())
    from hedgelab.engine.nb.basket import simulate_basket_nb  # compiled on first use, cached on disk
    out = np.empty((ncols, BOut.N + n_coins * BCoinOut.N, 0 if summary_only else n))
    summary = np.zeros((ncols, BSum.N + n_coins * BCoinSum.N))
    events = sparse_empty((ncols * n_coins, cap), event_dt)   # each row writes its first part only
    block = np.ascontiguousarray(block)
    hot = np.ascontiguousarray(np.stack([block[:, :, Mkt.MARK_LOW], block[:, :, Mkt.MARK_HIGH],
                                         block[:, :, Mkt.MARK_CLOSE], block[:, :, Mkt.INDEX_CLOSE]], axis=-1)
                               .transpose(0, 2, 1, 3))                          # [path, bar, coin, Hot.*]
    busy = rebalance | np.isfinite(block[:, :, Mkt.FUNDING_RATE]).any(axis=(0, 1))
    busy[starts[1:][starts[1:] < n]] = True                                   # a dated table starts
    simulate_basket_nb(spec.hook, block, hot, busy, close_s, time_ns, int(markets[symbols[0]].bar_seconds),
                       np.zeros(ncols, dtype=np.int64), cfg, np.ascontiguousarray(ocfg.to_array()), tier_sets, starts,
                       params, features, rebalance, 0, out, summary, events, numba.get_num_threads())
    labels = list(spec.labels) if len(spec.labels) == ncols else [f"column {j}" for j in range(ncols)]
    counts = summary[:, BSum.N + BCoinSum.N_EVENTS::BCoinSum.N].astype(np.int64)
    if counts.max(initial=0) > cap:
        raise UserError(f"basket: a column wrote {counts.max()} events for a buffer of {cap}")  # kernel invariant
    _raise_hook_errors(summary, labels, time, symbols)
    return BasketResult(time=time, symbols=symbols, columns=[dict(zip(spec.param_names, map(float, row)))
                                                             for row in params],
                        labels=labels, summary=_summary_frame(summary, labels, symbols, time),
                        **_records(events, counts.reshape(-1), n_coins),
                        venue=first.id, margin_mode=margin_mode, bar_seconds=int(markets[symbols[0]].bar_seconds),
                        **({} if summary_only else _series(out, time, labels, symbols)))


def _one_grid(markets: dict) -> np.ndarray:
    items = list(markets.items())
    time_ns = np.asarray(items[0][1].time_ns, dtype=np.int64)
    if len(time_ns) < 2:
        raise UserError("a basket needs at least 2 bars")
    for sym, m in items[1:]:
        other = np.asarray(m.time_ns, dtype=np.int64)
        if not np.array_equal(other, time_ns):
            raise UserError(f"basket: {sym}'s bars are not on {items[0][0]}'s grid ({len(other)} bars from "
                            f"{pd.Timestamp(int(other[0]), tz='UTC') if len(other) else 'none'}, expected "
                            f"{len(time_ns)} from {pd.Timestamp(int(time_ns[0]), tz='UTC')})")
        if int(m.bar_seconds) != int(items[0][1].bar_seconds):
            raise UserError(f"basket: {sym}'s bar size differs from {items[0][0]}'s")
    return time_ns


def _schedule(venue: str, time: pd.DatetimeIndex, at: Any, symbol: str) -> list:
    try:
        return tables_in_force(venue, time, at, symbol)
    except UserError as exc:
        raise UserError(f"{exc} (a venue file with a [[tiers]] table for {base_coin(symbol)} can supply it: "
                        f"--venue FILE)") from None


def _tier_sets(schedules: list, time_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first bar of each table set, tier_sets[set, coin, tier, Tier.*]): a new set wherever any coin's
    dated table changes, every coin's table in force in each."""
    days = sorted({day for sched in schedules for day, _ in sched})
    sets = []
    for day in days:
        tables = []
        for sched in schedules:
            in_force = [v for d, v in sched if d <= day]
            tables.append((in_force[-1] if in_force else sched[0][1]).tiers)
        sets.append(tables)
    # one packing (padding rows no notional reaches) for every coin's table of every set, then [set, coin]
    flat = pack_tier_sets([t for tables in sets for t in tables])
    packed = flat.reshape(len(sets), len(schedules), *flat.shape[1:])
    day_ns = np.array([pd.Timestamp(day, tz="UTC").value for day in days], dtype=np.int64)
    starts = np.searchsorted(time_ns, day_ns).astype(np.int64)
    starts[0] = 0
    return starts, np.ascontiguousarray(packed)


_ERRORS = {HookCode.NOT_FINITE: "is not finite",
           HookCode.INVALID: "is invalid (a leverage must be > 0 and at most 1000; a target at most 1e12 coins, a "
                             "top-up at most 1e15 USD)",
           HookCode.RAISED: "the hook raised", HookCode.EQUITY: "equity is not finite after the bar's orders",
           HookCode.STRIKE: "is a strike no listed contract can fill (a fraction of the forward, 0.9 = 10 % below "
                            "it, listed between 0 and 5; a USD strike divided by the forward)"}


def _raise_hook_errors(summary: np.ndarray, labels: list, time: pd.DatetimeIndex, symbols: tuple) -> None:
    from hedgelab.engine.basket_types import CoinIntent
    for j in np.flatnonzero(summary[:, BSum.ERROR] != HookCode.NONE):
        code, bar = int(summary[j, BSum.ERROR]), int(summary[j, BSum.ERROR_BAR])
        where = f"{labels[j]} (column {j}) at bar {bar} ({time[bar]:%Y-%m-%d %H:%M} UTC)"
        f, k = int(summary[j, BSum.ERROR_FIELD]), int(summary[j, BSum.ERROR_COIN])
        what = (f"intent[{symbols[k]}].{CoinIntent._fields[f]} = {float(summary[j, BSum.ERROR_VALUE])!r} "
                f"{_ERRORS.get(code, '')}" if f >= 0 else _ERRORS.get(code, f"error {code}"))
        raise HookError(f"{where}: {what}")


def _summary_frame(summary: np.ndarray, labels: list, symbols: tuple, time: pd.DatetimeIndex) -> pd.DataFrame:
    df = pd.DataFrame({
        "final_equity": summary[:, BSum.FINAL_EQUITY], "liquidations": summary[:, BSum.LIQUIDATIONS].astype(int),
        "funding_pnl": summary[:, BSum.FUNDING_PNL], "fees": summary[:, BSum.FEES],
        "max_drawdown": summary[:, BSum.MAX_DRAWDOWN], "min_equity": summary[:, BSum.MIN_EQUITY],
        "option_pnl": summary[:, BSum.OPTION_PNL]},
        index=pd.Index(labels, name="run"))
    first = summary[:, BSum.FIRST_LIQ_BAR].astype(int)
    df["first_liquidation"] = [time[b] if b >= 0 else pd.NaT for b in first]
    df["tipped_by"] = [symbols[int(k)] if k >= 0 else None for k in summary[:, BSum.TIPPED_COIN]]
    for k, sym in enumerate(symbols):
        b = BSum.N + k * BCoinSum.N
        df[f"funding_pnl.{sym}"] = summary[:, b + BCoinSum.FUNDING]
        df[f"fees.{sym}"] = summary[:, b + BCoinSum.FEES]
        df[f"liquidations.{sym}"] = summary[:, b + BCoinSum.LIQUIDATIONS].astype(int)
    return df


def _records(events: np.ndarray, counts: np.ndarray, n_coins: int) -> dict:
    """Every row's events in one array (copied as raw bytes, see engine/simulate.py) and each one's coin."""
    rows = np.empty(int(counts.sum()), dtype=event_dt)
    into, src = rows.view(np.uint8).reshape(len(rows), -1), events.view(np.uint8).reshape(*events.shape, -1)
    at = 0
    for r, c in enumerate(counts):
        into[at:at + c] = src[r, :c]
        at += c
    coin = np.repeat(np.arange(len(counts), dtype=np.int64) % n_coins, counts)
    return {"records": rows, "record_coin": coin}


def _series(out: np.ndarray, time: pd.DatetimeIndex, labels: list, symbols: tuple) -> dict:
    frames = {name: pd.DataFrame(out[:, k, :].T, index=time, columns=labels) for k, name in enumerate(BOUT_NAMES)}
    coins = {}
    for f, name in enumerate(BCOIN_OUT_NAMES):
        coins[name] = {sym: pd.DataFrame(out[:, BOut.N + k * BCoinOut.N + f, :].T, index=time, columns=labels)
                       for k, sym in enumerate(symbols)}
    return {"equity": frames["equity"], "cash": frames["cash"], "margin_ratio": frames["margin_ratio"],
            "option_value": frames["option_value"], "coins": coins}
