"""``SimResult``: the kernel's arrays as pandas objects (docs/ARCHITECTURE.md, engine contract)."""
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgelab.engine.nb.records import (CUT_REASON_NAMES, EVENT_KIND_NAMES, INSTRUMENT_NAMES, OUT_NAMES,
                                        SUMMARY_NAMES, EventKind, Instrument)

_SERIES = OUT_NAMES  # equity, cash, spot_qty, perp_qty, margin_ratio, liq_price, option_value


@dataclass
class SimResult:
    """Outputs keyed by column j (one column = one parameter set).

    Per-bar DataFrames (index ``time`` = bar open stamps, value at the bar close; one column per
    parameter set, positional like ``columns``) are None in summary-only mode. ``events`` has one row
    per event: ``time`` (when it happened: see ``event_times``), ``bar``, ``column`` (int j), ``instrument``,
    ``side``, ``kind``, ``qty``, ``price``, ``amount`` (cash flow to the account). Quantities are
    BTC: a ``margin`` row (cash moved to / from the isolated margin) has qty 0, amount 0, the USD
    moved in ``price`` (+ into the margin) and side ``in`` / ``out``. ``reason`` says why an
    ``order_trimmed`` / ``leverage_capped`` row was cut (cash, initial_margin, tier_max_leverage,
    listed_contract; empty for the other kinds).
    """
    time: pd.DatetimeIndex
    columns: list                  # one dict of parameter values per column
    labels: list
    summary: pd.DataFrame
    records: np.ndarray = field(repr=False)   # raw event records (event_dt), column ids global
    equity: pd.DataFrame | None = None
    cash: pd.DataFrame | None = None
    spot_qty: pd.DataFrame | None = None
    perp_qty: pd.DataFrame | None = None
    margin_ratio: pd.DataFrame | None = None
    liq_price: pd.DataFrame | None = None
    option_value: pd.DataFrame | None = None
    venue: str = ""
    margin_mode: str = ""
    bar_seconds: int = 0               # bar size: a fill at bar i's close is stamped time[i] + bar_seconds
    trace: pd.DataFrame | None = None  # simulate(trace=...) / debug=True: state, intent, events per decision
    errors: dict = field(default_factory=dict)   # simulate(column_errors="keep"): column -> why it stopped
    _events: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def events(self) -> pd.DataFrame:
        """Event records as a DataFrame, built on first use (a big sweep may never need it)."""
        if self._events is None:
            self._events = events_frame(self.records, self.time, self.bar_seconds)
        return self._events

    @classmethod
    def from_arrays(cls, time: pd.DatetimeIndex, columns: list, labels: list, summary: np.ndarray,
                    records: np.ndarray, out: np.ndarray | None, venue: str, margin_mode: str,
                    bar_seconds: int = 0) -> "SimResult":
        res = cls(time=time, columns=list(columns), labels=list(labels),
                  summary=summary_frame(summary, labels), records=records, venue=venue, margin_mode=margin_mode,
                  bar_seconds=int(bar_seconds))
        if out is not None:
            for k, name in enumerate(_SERIES):
                setattr(res, name, pd.DataFrame(out[:, k, :].T.copy(), index=time, columns=list(labels)))
        return res

    @classmethod
    def merge(cls, parts: list) -> "SimResult":
        """Join results of separate calls over consecutive column chunks (e.g. run in other processes)
        into the result of one call over all columns: column ids of the events are renumbered."""
        if not parts:
            raise ValueError("nothing to merge")
        first = parts[0]
        shifted = []
        offset = 0
        for p in parts:
            rec = p.records.copy()
            rec["column"] += offset
            shifted.append(rec)
            offset += len(p.columns)
        records = np.concatenate(shifted)
        res = cls(time=first.time, columns=[c for p in parts for c in p.columns],
                  labels=[c for p in parts for c in p.labels],
                  summary=pd.concat([p.summary for p in parts], ignore_index=True),
                  records=records,
                  venue=first.venue, margin_mode=first.margin_mode, bar_seconds=first.bar_seconds)
        res.summary.index = pd.Index(res.labels, name="label")
        if first.equity is not None:
            for name in _SERIES:
                frame = pd.concat([getattr(p, name) for p in parts], axis=1)
                setattr(res, name, frame)
        return res


def summary_frame(summary: np.ndarray, labels: list) -> pd.DataFrame:
    df = pd.DataFrame(summary[:, :len(SUMMARY_NAMES)], columns=list(SUMMARY_NAMES),
                      index=pd.Index(list(labels), name="label"))
    for name in ("liquidations", "stops", "n_events"):
        df[name] = df[name].astype(np.int64)
    return df


# When each kind of event happens within its bar (docs/ARCHITECTURE.md, "Event times"): funding and
# option expiry settle at the bar's open stamp; stops and perp liquidations trigger during the bar and
# and ADL closes keep the stamp of the bar's open (the bar they happened in: the data cannot say the minute); what the
# close decides (fills, option fills, trims, leverage caps, margin moves) and the option margin check
# (a short option bought back) happen at the bar's close. A fee happens with the event it follows.
_AT_OPEN, _AT_CLOSE, _WITH_PREVIOUS = 0, 1, 2
_TIMING = np.full(len(EVENT_KIND_NAMES), _AT_CLOSE, dtype=np.int8)
_TIMING[[EventKind.FUNDING, EventKind.OPTION_SETTLEMENT, EventKind.STOP, EventKind.LIQUIDATION,
         EventKind.ADL]] = _AT_OPEN
_TIMING[EventKind.FEE] = _WITH_PREVIOUS


def bar_seconds_of(time: pd.DatetimeIndex) -> int:
    """The bar size of a regular index (0 when it has fewer than two stamps)."""
    return int((time[1] - time[0]).total_seconds()) if len(time) > 1 else 0


def happens_at_close(kind: np.ndarray, instrument: np.ndarray) -> np.ndarray:
    """Per event (codes, in record order): True where it happens at its bar's close (``_TIMING``)."""
    timing = _TIMING[kind]
    timing[(kind == EventKind.LIQUIDATION) & (instrument == Instrument.OPTION)] = _AT_CLOSE
    # a fee takes the timing of the nearest record before it that is not a fee (its fill, stop, ...)
    src = np.where(timing == _WITH_PREVIOUS, 0, np.arange(len(timing)))
    return timing[np.maximum.accumulate(src)] != _AT_OPEN if len(timing) else np.zeros(0, dtype=bool)


def happens_at_close_named(kind: Any, instrument: Any) -> np.ndarray:
    """``happens_at_close`` for an events table's kind and instrument names (one run, in order)."""
    codes = {name: k for k, name in enumerate(EVENT_KIND_NAMES)}
    instruments = {name: k for k, name in enumerate(INSTRUMENT_NAMES)}
    return happens_at_close(np.array([codes[str(k)] for k in kind], dtype=np.int64),
                            np.array([instruments.get(str(i), -1) for i in instrument], dtype=np.int64))


def event_times(records: np.ndarray, time: pd.DatetimeIndex, bar_seconds: int = 0) -> pd.DatetimeIndex:
    """The time each event happened: its bar's open stamp, plus the bar size for what happens at the
    close (``_TIMING``)."""
    bar = records["bar"]
    if not len(bar):
        return pd.DatetimeIndex([], tz="UTC")
    at_close = happens_at_close(records["kind"], records["instrument"])
    step = pd.Timedelta(seconds=bar_seconds or bar_seconds_of(time))
    return pd.DatetimeIndex(time[bar] + pd.to_timedelta(np.where(at_close, step.value, 0)))


def events_frame(records: np.ndarray, time: pd.DatetimeIndex, bar_seconds: int = 0) -> pd.DataFrame:
    """Event records (``event_dt``) -> DataFrame with readable kind / instrument / side."""
    kinds = np.asarray(EVENT_KIND_NAMES, dtype=object)
    instruments = np.asarray(INSTRUMENT_NAMES, dtype=object)
    bar = records["bar"]
    qty = records["qty"]
    kind = records["kind"]
    side = np.where(qty > 0, "buy", np.where(qty < 0, "sell", ""))
    is_funding = kind == EventKind.FUNDING
    is_adl = kind == EventKind.ADL
    side = np.where(is_funding, np.where(qty > 0, "long", "short"), side)
    # a margin transfer trades no BTC (qty 0): its side says which way the USD in ``price`` went
    side = np.where(kind == EventKind.MARGIN, np.where(records["price"] > 0, "in", "out"), side).astype(object)
    return pd.DataFrame({
        "time": event_times(records, time, bar_seconds),
        "bar": bar.astype(np.int64),
        "column": records["column"].astype(np.int64),
        "instrument": instruments[records["instrument"]],
        "side": side,
        "kind": kinds[kind],
        "qty": qty,
        "price": records["price"],
        "amount": records["amount"],
        "reason": np.asarray(CUT_REASON_NAMES, dtype=object)[records["reason"]],
        # option events name their contract: call / put, strike (USD), expiry (08:00 UTC)
        "option_type": np.asarray(("", "call", "put"), dtype=object)[records["option_type"]],
        "strike": np.where(is_adl, np.nan, records["strike"]),
        # an adl event's rank score by the venue's formula (engine/nb/adl.py); the record keeps it in ``strike``
        "adl_score": np.where(is_adl, records["strike"], np.nan),
        "expiry": pd.to_datetime(np.where(records["expiry_s"] > 0, records["expiry_s"], np.nan), unit="s", utc=True),
    })


