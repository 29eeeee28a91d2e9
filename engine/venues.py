"""Venue rule sets as dated data tables (``engine/venues/<id>.toml``), user-overridable.

A venue file holds scalar rules (liquidation rule, funding interval, fees, liquidation fee,
partial-liquidation rule) and one or more ``[[tiers]]`` tables, each for one symbol and one date
range (``valid_from``/``valid_to``, inclusive dates), with per-tier ``floor``, ``cap``, ``mmr``,
``cum`` (maintenance amount / deduction; computed from the floors when omitted:
cum_n = cum_{n-1} + floor_n * (MMR_n - MMR_{n-1})) and ``max_leverage``.

Users add or override a venue with a TOML file passed by path: ``base = "binance"`` inherits the
built-in rules, and any key (or a new ``[[tiers]]`` list) given in the file replaces the inherited one.
"""
import datetime as dt
import math
import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hedgelab.engine.nb.records import ADL_RULES, AdlRule, LiqRule, Tier
from hedgelab.core.errors import UserError
from hedgelab.core.reading import read_toml

VENUE_DIR = Path(__file__).resolve().parent / "venues"
VENUE_IDS = ("binance", "bybit", "hyperliquid", "deribit")
_RULES = {"mm_at_liq": LiqRule.MM_AT_LIQ, "mm_at_entry": LiqRule.MM_AT_ENTRY,
          "close_at_mark": LiqRule.CLOSE_AT_MARK}


@dataclass(frozen=True)
class Venue:
    id: str
    name: str
    kind: str                      # "linear" | "inverse"
    liq_rule: int                  # LiqRule
    funding_interval_hours: float
    funding_price: str             # "mark" | "oracle"
    liquidation_fee: float
    partial_above: float           # notional above which liquidation is partial (inf: never)
    partial_fraction: float
    backstop: float                # equity / MM below which the backstop takes the whole margin
    maker_fee: float
    taker_fee: float
    spot_fee: float
    symbol: str
    tiers: np.ndarray              # float64 (k, Tier.N)
    valid_from: dt.date
    valid_to: dt.date
    source: str
    integer_leverage: bool = False         # leverage set in whole numbers only (spec §3 Hyperliquid)
    funding_cap_per_hour: float = np.inf   # |rate| per hour of the settlement interval (spec §3 Hyperliquid: 4 %)
    adl_rule: int = 0                      # AdlRule: the ADL queue's ranking formula (0: the venue has no queue)
    adl_fee: float = 0.0                   # fee rate on an ADL close (Bybit charges the maker fee)
    adl_price: str = ""                    # the venue's ADL closing price rule, as published (said in reports)
    adl_note: str = ""                     # what the venue does instead when it has no queue
    insurance_fund_usd: float = 0.0        # the insurance fund a stress cascade's bad debt draws on (0: none given)
    open_interest_share: float = 0.0       # the venue's share of all-exchange open interest (stress cascade)
    fund_source: str = ""                  # where those two numbers come from (or that they are assumptions)

    @property
    def adl_reference_score(self) -> float:
        """This venue's score of the reference position of ``engine/nb/adl.py``'s share rule (NaN: no queue)."""
        return adl_reference_score(self.adl_rule, self.tiers)

    def check_whole_leverage(self, leverage: float, where: str) -> None:
        """A venue that sets leverage in whole numbers refuses 7.5 (the user picks 7 or 8, not the engine)."""
        if self.integer_leverage and float(leverage) != math.floor(float(leverage)):
            raise UserError(f"{where} {float(leverage):g}: {self.id} sets leverage in whole numbers (1 to the "
                            f"maximum); use {math.floor(leverage):g} or {math.ceil(leverage):g}")

    @property
    def max_leverage(self) -> float:
        """Highest leverage of the first tier (the venue's maximum)."""
        return float(self.tiers[0, Tier.MAX_LEV])

    @property
    def inverse(self) -> bool:
        return self.kind == "inverse"


# The reference position of the ADL share rule: the median leverage of the accounts Hyperliquid
# ADL-closed on 2025-10-10, 0.15-0.20x (midpoint 0.175), and their notional-weighted PnL, +834.3M on
# 2,103.1M of ADL notional = 0.397 of the entry notional (../shared/specs/adl-and-margin.md §2;
# ConejoCapital/HyperMultiAssetedADL totals). It is the one position every venue's formula scores
# "mid-queue" (engine/nb/adl.py); an assumption, as the queues themselves are not public.
ADL_REF_LEVERAGE = 0.175     # notional at the mark / (wallet + unrealised PnL)
ADL_REF_PNL = 834.3 / 2103.1  # unrealised PnL / entry notional


def adl_reference_score(rule: int, tiers: np.ndarray) -> float:
    """The score of the reference position (a short, entry 1, in profit ``ADL_REF_PNL``, at
    ``ADL_REF_LEVERAGE``) by the venue's formula ``rule``; NaN for a venue without a queue."""
    if rule == AdlRule.NONE:
        return float("nan")
    from hedgelab.engine.nb.adl import adl_score_of_nb
    q, entry = -1.0, 1.0
    price = entry * (1.0 - ADL_REF_PNL)
    account = abs(q) * price / ADL_REF_LEVERAGE
    wallet = account - q * (price - entry)
    mm = float(tiers[0, Tier.MMR]) * abs(q) * price
    return float(adl_score_of_nb(rule, q, entry, price, wallet, mm))


_BUILTIN_READ: dict = {}   # a built-in venue file's rules by (path, mtime, size): every simulate() loads its venue


def _read(path: Path) -> dict:
    """A venue TOML file: regular, UTF-8, at most 1 MB and 32 levels deep (``hedgelab.core.reading``).

    A built-in file is parsed once per version of the file (a comparison's and its scenario matrix's
    kernel calls each load the venue) and handed out as a copy, which the caller may change."""
    if Path(path).parent != VENUE_DIR:
        return read_toml(path, "venue file")
    st = os.stat(path)
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _BUILTIN_READ:
        _BUILTIN_READ[key] = read_toml(path, "venue file")
    return copy.deepcopy(_BUILTIN_READ[key])


def venue_rules(venue: str | Path) -> dict:
    """The raw rule dict of a built-in venue id or a user TOML file (with its ``base`` merged in)."""
    name = str(venue)
    if name in VENUE_IDS:
        return _read(VENUE_DIR / f"{name}.toml")
    if name.strip() and (name.endswith(".toml") or os.path.lexists(name)):  # a FIFO or folder: said so
        user = _read(Path(name))
        _check_user_file(user, f"venue file {name}")
        base = user.get("base")
        if base is None:
            rules = {}
        elif base in VENUE_IDS:
            rules = _read(VENUE_DIR / f"{base}.toml")
        else:
            raise UserError(f"venue file {name}: unknown base {base!r} (known: {', '.join(VENUE_IDS)})")
        rules.update({k: v for k, v in user.items() if k != "base"})
        rules.setdefault("id", Path(name).stem)
        from hedgelab.engine.venue_schema import check_merged_rules
        check_merged_rules(rules, user, f"venue file {name}")
        return rules
    raise UserError(f"unknown venue {name!r}: use one of {', '.join(VENUE_IDS)} or a path to a .toml file")


def _check_user_file(user: dict, where: str) -> None:
    """The whole user file typed and ranged (engine/venue_schema.py); keys the built-in files use are known."""
    from hedgelab.engine.venue_schema import check_venue_file
    builtin = [_read(VENUE_DIR / f"{v}.toml") for v in VENUE_IDS]
    check_venue_file(user, where, builtin_keys={k for b in builtin for k in b},
                     builtin_tier_keys={k for b in builtin for t in b.get("tiers", []) for k in t})


def as_date(value: Any, where: str) -> dt.date:
    """A date from a date, datetime or ISO string; anything else is the user's mistake."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise UserError(f"{where}: not a date: {value!r}") from None


def tier_array(table: dict, where: str) -> np.ndarray:
    """Validated float64 tier array from one ``[[tiers]]`` table (cum computed when omitted)."""
    try:
        floor = np.asarray(table["floor"], dtype=float)
        mmr = np.asarray(table["mmr"], dtype=float)
        max_lev = np.asarray(table["max_leverage"], dtype=float)
    except KeyError as exc:
        raise UserError(f"{where}: missing key {exc.args[0]!r}") from None
    k = len(floor)
    cap = np.asarray(table.get("cap", list(floor[1:]) + [np.inf]), dtype=float)
    cum = np.zeros(k)
    for t in range(1, k):
        cum[t] = cum[t - 1] + floor[t] * (mmr[t] - mmr[t - 1])
    if "cum" in table:
        given = np.asarray(table["cum"], dtype=float)
        if len(given) != k or not np.allclose(given, cum, rtol=1e-9, atol=1e-6):
            raise UserError(f"{where}: cum {list(given)} does not recompute from the floors ({list(cum)})")
        cum = given
    if not (len(cap) == len(mmr) == len(max_lev) == k) or k == 0:
        raise UserError(f"{where}: floor, cap, mmr and max_leverage must have the same non-zero length")
    if floor[0] != 0 or np.any(np.diff(floor) <= 0) or np.any(cap <= floor):
        raise UserError(f"{where}: floors must start at 0 and increase, each cap above its floor")
    if np.any(mmr <= 0) or np.any(mmr >= 1) or np.any(max_lev < 1):
        raise UserError(f"{where}: mmr must be a decimal in (0, 1) and max_leverage >= 1")
    from hedgelab.engine.venue_schema import tier_order_problem
    problem = tier_order_problem({"floor": list(floor), "mmr": list(mmr), "max_leverage": list(max_lev),
                                  "cap": list(cap), "cum": list(cum)})
    if problem:   # user files are refused by the schema first, naming the key path; this guards the rest
        key, i, expected = problem
        raise UserError(f"{where}: {key}[{i}] = {table.get(key, cum if key == 'cum' else cap)[i]!r}: {expected}")
    out = np.empty((k, Tier.N))
    out[:, Tier.FLOOR] = floor
    out[:, Tier.CAP] = cap
    out[:, Tier.MMR] = mmr
    out[:, Tier.CUM] = cum
    out[:, Tier.MAX_LEV] = max_lev
    return out


_QUOTES = ("USDT", "USDC", "USD", "BUSD", "FDUSD", "DAI", "PERP", "PERPETUAL", "SWAP")
_SUFFIX = re.compile(r"(?:[-_/:]?(?:" + "|".join(sorted(_QUOTES, key=len, reverse=True)) + r"))+$")


def base_coin(symbol: Any) -> str:
    """The base coin of an exchange or ccxt symbol: the key of the tier tables.

    'BTCUSDT' (Binance, Bybit), 'BTC/USDT:USDT' (ccxt unified), 'BTC-PERPETUAL' (Deribit),
    'BTC-USDT-SWAP' (OKX), 'ETH-PERP', 'SOLUSDC', 'BTC' -> 'BTC', 'ETH', 'SOL'.
    """
    text = str(symbol).strip().upper()
    head = re.split(r"[/:]", text)[0]            # ccxt: base before the slash
    coin = _SUFFIX.sub("", head) or head
    if not re.fullmatch(r"[A-Z0-9]{1,15}", coin):
        raise UserError(f"symbol {symbol!r}: not an exchange or ccxt symbol (e.g. BTCUSDT, BTC/USDT:USDT, "
                        "BTC-PERPETUAL, BTC)")
    return coin


def load_venue(venue: str | Path = "binance", *, at: Any = None, symbol: str = "BTC") -> Venue:
    """The venue's rules with the tier table of ``symbol`` valid at ``at`` (date; default: today).

    ``symbol`` may be any exchange or ccxt spelling (``base_coin``). Raises UserError for an unknown
    venue or symbol, or a date no table covers.
    """
    given, symbol = symbol, base_coin(symbol)
    rules = venue_rules(venue)
    vid = str(rules.get("id", venue))
    when = dt.date.today() if at is None else as_date(at, "at")
    tables = [t for t in rules.get("tiers", []) if str(t.get("symbol", "BTC")).upper() == symbol.upper()]
    if not tables:
        known = sorted({str(t.get("symbol", "BTC")) for t in rules.get("tiers", [])})
        raise UserError(f"venue {vid!r} has no tier table for symbol {given!r} (base coin {symbol}; "
                        f"known: {', '.join(known)}); add one in a venue .toml with base = {vid!r}")
    chosen = None
    for t in tables:
        lo = as_date(t.get("valid_from", "1970-01-01"), f"venue {vid} valid_from")
        hi = as_date(t.get("valid_to", "9999-12-31"), f"venue {vid} valid_to")
        if lo <= when <= hi:
            chosen = (t, lo, hi)
    if chosen is None:
        spans = ", ".join(f"{t.get('valid_from')}..{t.get('valid_to')}" for t in tables)
        raise UserError(f"venue {vid!r} has no {symbol} tier table valid at {when} (tables: {spans}); "
                        f"add one in a venue .toml with base = {vid!r}")
    table, lo, hi = chosen
    rule = rules.get("liquidation_rule", "mm_at_liq")
    if rule not in _RULES:
        raise UserError(f"venue {vid!r}: unknown liquidation_rule {rule!r} (known: {', '.join(_RULES)})")
    kind = rules.get("kind", "linear")
    if kind not in ("linear", "inverse"):
        raise UserError(f"venue {vid!r}: kind must be 'linear' or 'inverse', not {kind!r}")
    return Venue(
        id=vid,
        name=str(rules.get("name", vid)),
        kind=kind,
        liq_rule=_RULES[rule],
        funding_interval_hours=float(rules.get("funding_interval_hours", 8)),
        funding_price=str(rules.get("funding_price", "mark")),
        funding_cap_per_hour=float(rules.get("funding_cap_per_hour", np.inf)),
        integer_leverage=bool(rules.get("integer_leverage", False)),
        adl_rule=ADL_RULES.index(str(rules.get("adl_rule", "none"))),
        adl_fee=float(rules.get("adl_fee", 0.0)),
        adl_price=str(rules.get("adl_price", "")),
        adl_note=str(rules.get("adl_note", "")),
        insurance_fund_usd=float(rules.get("insurance_fund_usd", 0.0)),
        open_interest_share=float(rules.get("open_interest_share", 0.0)),
        fund_source=str(rules.get("fund_source", "")),
        liquidation_fee=float(rules.get("liquidation_fee", 0.0)),
        partial_above=float(rules.get("partial_liquidation_above", np.inf)),
        partial_fraction=float(rules.get("partial_liquidation_fraction", 1.0)),
        backstop=float(rules.get("backstop_mm_fraction", 0.0)),
        maker_fee=float(rules.get("maker_fee", 0.0)),
        taker_fee=float(rules.get("taker_fee", 0.0)),
        spot_fee=float(rules.get("spot_fee", 0.0)),
        symbol=symbol.upper(),
        tiers=tier_array(table, f"venue {vid} {symbol} tiers {lo}"),
        valid_from=lo,
        valid_to=hi,
        source=str(table.get("source", "")),
    )


def tier_schedule(venue: str | Path, start: Any, end: Any, *, symbol: str = "BTC") -> list:
    """The dated tier tables in force from ``start`` to ``end`` (dates), as [(valid_from, Venue)].

    The first entry is the table valid at ``start``; each later one starts the day its table does.
    Raises UserError when some day in the range has no table.
    """
    start = as_date(start, "start")
    end = as_date(end, "end")
    out = [(start, load_venue(venue, at=start, symbol=symbol))]
    while out[-1][1].valid_to < end:
        day = out[-1][1].valid_to + dt.timedelta(days=1)
        out.append((day, load_venue(venue, at=day, symbol=symbol)))
    return out


def pack_tier_sets(tables: list) -> np.ndarray:
    """Stack tier arrays of different lengths into (n_tables, k_max, Tier.N) for the kernel.

    The last real tier's cap becomes infinite and padding rows have an infinite floor, so no
    notional ever falls into a padding row.
    """
    k_max = max(len(t) for t in tables)
    out = np.empty((len(tables), k_max, Tier.N))
    for e, t in enumerate(tables):
        out[e, :len(t)] = t
        out[e, len(t) - 1, Tier.CAP] = np.inf
        out[e, len(t):] = t[-1]
        out[e, len(t):, Tier.FLOOR] = np.inf
        out[e, len(t):, Tier.CAP] = np.inf
    return out
