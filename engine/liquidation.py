"""Python-facing liquidation calculator (the same numba code the kernel uses) and the engine's
stated assumptions for reports."""
import datetime as dt
import math
from typing import Any, NamedTuple

import numpy as np

from hedgelab.engine.nb.margin import liq_price_inverse_nb, liq_price_linear_nb, max_leverage_nb, tier_index_nb
from hedgelab.engine.nb.records import LiqRule, Tier
from hedgelab.engine.venues import Venue, as_date, load_venue, tier_array, tier_schedule, venue_rules
from hedgelab.core.errors import UserError


class Liquidation(NamedTuple):
    liquidation_price: float | None   # None: the position cannot be liquidated
    mmr: float | None                 # MMR of the tier the price falls in (or the override)
    maint_amount: float | None        # cum / deduction of that tier
    venue: str
    kind: str                         # linear | inverse
    wallet: float                     # margin used (USD, or BTC for inverse)


def _positive(name: str, value: Any) -> None:
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise UserError(f"{name} must be a positive number, got {value!r}")


def liquidation_price(venue: Any = "binance", *, side: str, entry: float, qty: float, wallet: float | None = None,
                      leverage: float | None = None, symbol: str = "BTC", mmr: float | None = None,
                      maint_amount: float | None = None, other_maint: float = 0.0, other_upnl: float = 0.0,
                      max_leverage: float | None = None, at: Any = None) -> Liquidation:
    """Liquidation price of one position under the venue's rule (``engine/nb/margin.py``).

    ``qty`` in BTC (>0), ``wallet`` = isolated margin or cross wallet balance (USD; BTC for inverse; > 0);
    or ``leverage`` instead: isolated margin = entry * qty / leverage (/ entry for inverse).
    ``mmr``/``maint_amount`` replace the tier lookup; ``max_leverage`` gives MMR = 1/(2*max) (Hyperliquid).
    """
    if side not in ("long", "short"):
        raise UserError(f"side must be 'long' or 'short', got {side!r}")
    _positive("entry", entry)
    _positive("qty", qty)
    try:
        v = load_venue(venue, at=at, symbol=symbol)
    except UserError:
        # a venue whose MMR is 1/(2 x max leverage) needs no table when the max leverage is given
        if max_leverage is None or not venue_rules(venue).get("mmr_from_max_leverage"):
            raise
        v = load_venue(venue, at=at, symbol="BTC")  # the venue's rules; the tiers come from max_leverage
    if (wallet is None) == (leverage is None):
        raise UserError("give exactly one of wallet and leverage")
    if leverage is not None:
        _positive("leverage", leverage)
        v.check_whole_leverage(leverage, "leverage")
        notional = qty * entry if not v.inverse else qty
        allowed = float(max_leverage) if max_leverage is not None else float(max_leverage_nb(v.tiers, notional))
        if leverage > allowed:
            # the venue refuses the order (the kernel would cut it to the bracket's maximum)
            size = f"{notional:,.0f} USD" if not v.inverse else f"{notional:,.4f} BTC"
            raise UserError(f"leverage {leverage:g} is above the {v.id} maximum of {allowed:g}x for a {size} "
                            f"{v.symbol} position (its bracket's maximum); lower --leverage or --qty")
        wallet = qty * entry / leverage
        if v.inverse:
            wallet = qty / leverage
    elif not isinstance(wallet, (int, float)) or not math.isfinite(wallet) or wallet <= 0:
        # a wallet of zero or less has nothing to lose: the closed form would put a long's price
        # at or above its entry, which reads as a liquidation price and is not one
        raise UserError(f"wallet must be a positive number (isolated margin or cross wallet balance), "
                        f"got {wallet!r}")
    tiers = v.tiers
    if max_leverage is not None:
        _positive("max_leverage", max_leverage)
        tiers = tier_array({"floor": [0], "mmr": [1.0 / (2.0 * max_leverage)], "max_leverage": [max_leverage]},
                           "--max-leverage")
    if mmr is not None or maint_amount is not None:
        k = tier_index_nb(tiers, qty * entry if not v.inverse else qty)
        rate = tiers[k, Tier.MMR] if mmr is None else mmr
        if not 0 < rate < 1:
            raise UserError(f"mmr is a decimal in (0, 1), got {rate!r}")
        amount = tiers[k, Tier.CUM] if maint_amount is None else maint_amount
        tiers = tiers[:1].copy()
        tiers[0, Tier.MMR] = rate
        tiers[0, Tier.CUM] = amount
        tiers[0, Tier.CAP] = math.inf
    s = 1.0 if side == "long" else -1.0
    if v.inverse:
        lp, r, cum = liq_price_inverse_nb(s, float(qty), float(entry), float(wallet), float(other_maint),
                                          float(other_upnl), tiers)
    else:
        lp, r, cum = liq_price_linear_nb(v.liq_rule, s, float(qty), float(entry), float(wallet),
                                         float(other_maint), float(other_upnl), tiers)

    def _num(x: float) -> float | None:
        return None if x != x else float(x)

    return Liquidation(_num(lp), _num(r), _num(cum), v.id, v.kind, float(wallet))


def _run_day(value: Any, where: str) -> dt.date | None:
    """A date from what a caller has at hand: date, datetime, pandas/numpy timestamp, ISO string or
    int nanoseconds since the epoch (``market.time_ns[0]``); None stays None."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(int(value) / 1e9, tz=dt.timezone.utc).date()
    if isinstance(value, np.datetime64):
        return dt.date.fromisoformat(str(value.astype("datetime64[D]")))
    return as_date(value, where)


def _venue_for_run(venue: Any, day: dt.date) -> tuple[Venue, str]:
    """(Venue, note): the table valid at ``day``; when none is, the table nearest to it, with a note."""
    try:
        return load_venue(venue, at=day), ""
    except UserError:
        spans = []
        for t in venue_rules(venue).get("tiers", []):
            if str(t.get("symbol", "BTC")).upper() != "BTC":
                continue
            lo = as_date(t.get("valid_from", "1970-01-01"), "valid_from")
            hi = as_date(t.get("valid_to", "9999-12-31"), "valid_to")
            gap = (lo - day).days if day < lo else (day - hi).days
            spans.append((gap, lo if day < lo else hi))
        if not spans:
            raise
        nearest = min(spans)[1]
        return load_venue(venue, at=nearest), f" (no table is valid at {day}; the nearest, shown here, was used)"


def assumptions(venue: Any = "binance", margin_mode: str = "isolated", *, at: Any = None, end: Any = None,
                dataset_funding_hours: float | None = None) -> list:
    """What the engine's numbers rest on, one sentence each (for reports).

    ``at``: the run's first bar (date, timestamp, ISO string or int ns, e.g. ``market.time_ns[0]``);
    the venue line describes the table in force then (default: today). ``end``: the run's last bar;
    given, the line names every dated table in force over the run. A date no table covers falls
    back to the nearest table with a note, so the venue line is never lost.
    ``dataset_funding_hours``: the dataset's own funding interval (its manifest's
    ``funding_interval_hours``). The kernel settles funding at the dataset's timestamps with the
    dataset's rates, not on the venue's schedule, so an interval that differs from the venue's is
    stated as its own sentence.
    """
    day = _run_day(at, "at") or dt.date.today()
    last = _run_day(end, "end")
    try:
        v, note = _venue_for_run(venue, day)
    except UserError:
        return [f"Venue {venue}: rules from its venue file.", *_engine_rules(margin_mode)]
    funding = _funding_interval_line(v, dataset_funding_hours)
    return [describe_venue(v, tables=_tables_in_force(v, venue, note, day, last) + note),
            *([funding] if funding else []), *_engine_rules(margin_mode)]


def describe_venue(v: Venue, tables: str | None = None) -> str:
    """The venue line, every number from the venue's file: tables, liquidation rule, fees, funding, leverage."""
    tables = tables or f"tiers valid {v.valid_from}..{v.valid_to}"
    cap = (f", the data's rates clamped to +-{_pct(v.funding_cap_per_hour)} per hour of the settlement interval"
           if math.isfinite(v.funding_cap_per_hour) else "")
    leverage = ("; leverage in whole numbers only (a leverage parameter of 7.5 is refused; a hook asking 7.5x "
                "gets 7x, with a leverage_capped event)." if v.integer_leverage else ".")
    return (f"Venue {v.id}: {v.symbol} {tables} ({v.source}); liquidation: {describe_liquidation(v)}; "
            f"taker fee {v.taker_fee:g}, funding every {v.funding_interval_hours:g} h{cap}{leverage}")


def describe_liquidation(v: Venue) -> str:
    """The venue's liquidation rule as the kernel applies it (``engine/nb/liquidation.py``), with its numbers."""
    if v.liq_rule == LiqRule.CLOSE_AT_MARK:
        fee = (f" (the file's liquidation fee of {_pct(v.liquidation_fee)} does not apply to this rule)"
               if v.liquidation_fee > 0 else "")
        partial = (f", partial {_pct(v.partial_fraction)} steps above {_usd(v.partial_above)} notional"
                   if math.isfinite(v.partial_above) and v.partial_fraction < 1 else "")
        backstop = (f" (below {_pct(v.backstop)} of the maintenance margin at the fill, a backstop takes the "
                    "position and its whole margin)" if v.backstop > 0 else "")
        return f"closed at the mark with no fee{fee}{partial}, the account keeps the rest{backstop}"
    where = {LiqRule.MM_AT_LIQ: "maintenance margin at the liquidation price",
             LiqRule.MM_AT_ENTRY: "maintenance margin on the entry value"}[v.liq_rule]
    fee = (f", except the equity left at the trigger above a clearance fee of {_pct(v.liquidation_fee)} of the "
           "notional, kept by the account" if v.liquidation_fee > 0 and not v.inverse else "")
    return f"{where}, position taken at the bankruptcy price (the whole isolated margin / cross wallet is lost{fee})"


def _pct(x: float) -> str:
    """0.2 -> '20%', 0.0125 -> '1.25%', 2/3 -> '66.7%'."""
    return f"{x * 100:.3g}%"


def _usd(x: float) -> str:
    """100000 -> '100k', 1.5e6 -> '1.5M'."""
    for size, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:g}{unit}"
    return f"{x:g}"


def _tables_in_force(v: Venue, venue: Any, note: str, day: dt.date, last: dt.date | None) -> str:
    """The tier tables the run uses: the one valid at its start, or every one in force until ``last``."""
    tables = f"tiers valid {v.valid_from}..{v.valid_to}"
    if last is None or note or last <= v.valid_to:
        return tables
    try:
        return "tiers " + ", then ".join(f"valid {t.valid_from}..{t.valid_to}" for _, t in tier_schedule(venue, day, last))
    except UserError:
        return tables + f" (no table after {v.valid_to}: the run's later bars are not covered)"


def _funding_interval_line(v: Venue, dataset_funding_hours: float | None) -> str | None:
    """A sentence when the dataset's funding interval is not the venue's: the kernel pays whatever rate the
    data holds at each of its own settlement times."""
    ds_h = float(dataset_funding_hours) if dataset_funding_hours else None
    if ds_h is None or math.isclose(ds_h, v.funding_interval_hours, rel_tol=1e-6):
        return None

    def every(hours: float) -> str:
        return {1.0: "hourly", 24.0: "daily"}.get(float(hours), f"{float(hours):g}-hourly")
    return (f"Funding interval: {v.id} pays {every(v.funding_interval_hours)}; this dataset's funding is "
            f"{every(ds_h)}: settled every {ds_h:g} h at the {ds_h:g} h rate, not every "
            f"{v.funding_interval_hours:g} h (funding is paid at the dataset's own timestamps, with its rates).")


def _engine_rules(margin_mode: str) -> list:
    """The engine's own rules, the same on every venue."""
    return [
        f"Margin mode {margin_mode}; in cross mode the cross wallet is the account's cash (spot is not collateral).",
        "Per bar: funding at the open, then stop/liquidation triggers on the mark's adverse extreme, then the "
        "strategy's orders at the close with taker fees, half spread and volume-dependent impact.",
        "Event times: fills, fees and margin moves are stamped at the bar's close, funding and option expiry at "
        "their settlement stamp, a stop or liquidation at the open of the bar it triggered in. A position opened "
        "by the first decision (the first bar's close) does not receive the settlement at the first bar's open "
        "(1 BTC short Sep 1-Nov 30 2025 on Binance data: 1,293.96 USDT received of 1,299.00 settled, -0.39 %).",
        "Funding on isolated positions is settled against the isolated margin.",
        "Auto-deleveraging (ADL) comes from the data's ADL events of the venue (--adl; the assumptions say which "
        "apply); the user's own liquidation never draws on an insurance fund: a gap through the bankruptcy price "
        "costs the user the margin only.",
        "Dated tier tables switch during a run on the day the next one starts (simulate(at=...) pins one).",
        "Cross margin: an order that raises the perp is cut to what the equity covers as initial margin, and "
        "that equity counts spot (and the option book); the maintenance check and the liquidation use the cash "
        "(cross wallet) only, so spot held beside a cross perp does not delay its liquidation.",
        "Inverse (coin-margined) perps: isolated margin only (cross is refused), held in BTC (cash converted at the "
        "fill price); PnL, funding (-N/P*rate) and maintenance margin in BTC; liquidated at the bankruptcy price, "
        "so the loss is the posted BTC margin; equity values margin + PnL at the mark close.",
        "Options: bought at the model ask / sold at the bid with Deribit-style fees, marked to the volatility "
        "surface every bar, cash-settled at 08:00 UTC on a delivery price approximated from the index bars.",
        "Short options carry Deribit standard maintenance margin (USD at the index); at a bar's close, when "
        "cash + spot + the option book (+ in cross mode the perp's upnl less its maintenance margin) falls "
        "below it, every short leg is bought back at the ask with fees (an option liquidation). Spot is "
        "credited (coin-margined options), isolated perp margin is not; the check is at the close only and "
        "the perp's liquidation price ignores the option margin.",
    ]
