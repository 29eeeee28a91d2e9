"""The schema of venue TOML files (``engine/venues/*.toml`` and a user's ``--venue FILE``): every key
typed and ranged, a mistake one ``UserError`` naming the file and the key's path (``tiers[1].mmr[0]``)."""
from __future__ import annotations

import math
from typing import Any, Callable, Collection, Iterable

from hedgelab.core.errors import UserError
from hedgelab.core.schema import Bad, check_table, choice, flag, list_of, number, table, text, when

FEE = number(-0.01, 0.1)   # maker rebates exist (negative), nothing charges 10 % a trade
TIER = {
    "symbol": text, "valid_from": when, "valid_to": when, "source": text,
    "floor": list_of(number(0)), "cap": list_of(number(0, lo_open=True, inf_ok=True)),
    "mmr": list_of(number(0, 1, lo_open=True, hi_open=True)), "cum": list_of(number(0)),
    "max_leverage": list_of(number(1, 1000)),
}
# A partial liquidation closes this fraction of the position per step and repeats while the rest is
# still below maintenance and above the threshold, so one bar takes up to ln(notional / threshold) /
# fraction steps (each one an event). A fraction of 1e-12 meant ~1e13 steps in one bar: a run that did
# not end in 10 minutes. At >= 1 % and a threshold >= 100 USD, a 1e15 USD notional (1e12 capital at
# 1000x, the schema's ceilings) needs at most ln(1e13) / 0.01 ~ 3,000 steps. Hyperliquid closes 20 %
# above 100,000 USDC (spec §3); Binance's minimum order notional on BTCUSDT is 100 USDT.
MIN_PARTIAL_FRACTION = 0.01
MIN_PARTIAL_ABOVE = 100.0


def _funding_interval(value: Any, path: str) -> None:
    """Refused in a user file: the engine settles funding at the dataset's own timestamps with its
    rates, so an interval written here would be accepted and ignored (the built-in files keep theirs
    to describe the venue and to size the first settlement's cap)."""
    number(0, 24 * 7, lo_open=True)(value, path)
    raise Bad(path, value, "not a setting hedgelab uses: funding is paid at the dataset's own settlement times, "
                           "with its rates (import or fetch data with the interval you want); remove the key")


VENUE = {
    "base": text, "id": text, "name": text, "kind": choice("linear", "inverse"),
    "liquidation_rule": choice("mm_at_liq", "mm_at_entry", "close_at_mark"),
    "funding_interval_hours": _funding_interval, "funding_price": choice("mark", "oracle"),
    "liquidation_fee": number(0, 1, hi_open=True), "maker_fee": FEE, "taker_fee": number(0, 0.1),
    "spot_fee": number(0, 0.1), "partial_liquidation_above": number(MIN_PARTIAL_ABOVE, inf_ok=True),
    "partial_liquidation_fraction": number(MIN_PARTIAL_FRACTION, 1), "backstop_mm_fraction": number(0, 1),
    "funding_cap_per_hour": number(0, 1, lo_open=True), "integer_leverage": flag,
    "adl_rule": choice("none", "binance", "bybit", "hyperliquid"), "adl_fee": FEE, "adl_price": text,
    "adl_note": text, "insurance_fund_usd": number(0, 1e13), "open_interest_share": number(0, 1),
    "fund_source": text,
}
# keys the kernel reads only under liquidation_rule = "close_at_mark" (engine/nb/liquidation.py)
CLOSE_AT_MARK_KEYS = ("partial_liquidation_above", "partial_liquidation_fraction", "backstop_mm_fraction")


TIER_COLUMNS = ("floor", "cap", "mmr", "cum", "max_leverage")


def tier_table(extra_keys: Collection[str] = ()) -> Callable[[Any, str], None]:
    """One ``[[tiers]]`` table: its keys by their rules, and its columns all of one length."""
    keys = table(TIER, extra_keys=extra_keys, required=("floor", "mmr", "max_leverage"))

    def rule(value: Any, path: str) -> None:
        keys(value, path)
        lengths = {k: len(value[k]) for k in TIER_COLUMNS if k in value}
        if len(set(lengths.values())) > 1:
            raise Bad(path, "[[tiers]]", "floor, cap, mmr, cum and max_leverage must have one length each, got "
                      + ", ".join(f"{k} {n}" for k, n in lengths.items()))
        problem = tier_order_problem(value)
        if problem:
            key, i, expected = problem
            raise Bad(f"{path}.{key}[{i}]", value[key][i], expected)
    return rule


def tier_order_problem(table: dict) -> tuple[str, int, str] | None:
    """The first break of a tier table's order as (column, index, what is expected), or None.

    Floors start at 0 and increase; each cap is the next tier's floor (a gap or an overlap leaves
    notionals in no tier or two, and the liquidation-price search then finds none: "cannot be
    liquidated"); maintenance rates do not decrease (a lower rate above a floor makes the deduction
    ``cum`` fall and the maintenance amount of a large position negative); maximum leverage does not
    increase; a given ``cum`` recomputes from the floors.
    """
    floor, mmr, lev = table.get("floor", []), table.get("mmr", []), table.get("max_leverage", [])
    cap = table.get("cap")
    if floor and floor[0] != 0:
        return "floor", 0, "the first tier's floor must be 0"
    for i in range(1, len(floor)):
        if not floor[i] > floor[i - 1]:
            return "floor", i, f"floors must increase (floor[{i - 1}] = {floor[i - 1]:g})"
        if mmr[i] < mmr[i - 1]:
            return "mmr", i, (f"maintenance rates must not decrease with the tier (mmr[{i - 1}] = {mmr[i - 1]:g}): "
                              "a lower rate makes the maintenance amount of a large position negative")
        if lev[i] > lev[i - 1]:
            return "max_leverage", i, f"maximum leverage must not increase with the tier (max_leverage[{i - 1}] = " \
                                      f"{lev[i - 1]:g})"
    if cap is not None:
        for i in range(len(floor) - 1):
            if not math.isclose(cap[i], floor[i + 1], rel_tol=1e-9):
                return "cap", i, f"each cap must be the next tier's floor (floor[{i + 1}] = {floor[i + 1]:g})"
        if floor and not cap[-1] > floor[-1]:
            return "cap", len(floor) - 1, f"the last cap must be above its floor ({floor[-1]:g})"
    if "cum" in table:
        cum = table["cum"]
        want = 0.0
        for i in range(len(floor)):
            want = 0.0 if i == 0 else want + floor[i] * (mmr[i] - mmr[i - 1])
            if not math.isclose(cum[i], want, rel_tol=1e-9, abs_tol=1e-6):
                return "cum", i, (f"does not recompute from the floors: cum[i] = cum[i-1] + floor[i] x (mmr[i] - "
                                  f"mmr[i-1]) = {want:g} (or leave cum out)")
    return None


def check_venue_file(rules: Any, where: str, builtin_keys: Iterable[str] = (),
                     builtin_tier_keys: Collection[str] = ()) -> None:
    """A user venue file as a whole. Keys the built-in venue files use are known too (their readers
    check them), so a typo such as ``taker_fe`` is refused instead of silently ignored;
    ``funding_interval_hours`` is refused (see ``_funding_interval``)."""
    spec = dict(VENUE, tiers=list_of(tier_table(builtin_tier_keys)))
    check_table(rules, table(spec, extra_keys=set(builtin_keys) - {"funding_interval_hours"}), where)


def check_merged_rules(rules: dict, user: dict, where: str) -> None:
    """A user file's keys that the merged rules would ignore: the partial-liquidation keys act only
    under liquidation_rule = "close_at_mark"."""
    rule = rules.get("liquidation_rule", "mm_at_liq")
    for key in CLOSE_AT_MARK_KEYS:
        if key in user and rule != "close_at_mark":
            bad = Bad(key, user[key], f"acts only with liquidation_rule = 'close_at_mark' (this venue's rule is "
                                      f"{rule!r}); remove the key or set the rule")
            raise UserError(f"{where}: {bad}")
