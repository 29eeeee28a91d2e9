"""The schema of venue TOML files (``engine/venues/*.toml`` and a user's ``--venue FILE``): every key
typed and ranged, a mistake one ``UserError`` naming the file and the key's path (``tiers[1].mmr[0]``)."""
from __future__ import annotations

from hedgelab.core.schema import Bad, check_table, choice, flag, list_of, number, table, text, when

FEE = number(-0.01, 0.1)   # maker rebates exist (negative), nothing charges 10 % a trade
TIER = {
    "symbol": text, "valid_from": when, "valid_to": when, "source": text,
    "floor": list_of(number(0)), "cap": list_of(number(0, lo_open=True, inf_ok=True)),
    "mmr": list_of(number(0, 1, lo_open=True, hi_open=True)), "cum": list_of(number(0)),
    "max_leverage": list_of(number(1, 1000)),
}
VENUE = {
    "base": text, "id": text, "name": text, "kind": choice("linear", "inverse"),
    "liquidation_rule": choice("mm_at_liq", "mm_at_entry", "close_at_mark"),
    "funding_interval_hours": number(0, 24 * 7, lo_open=True), "funding_price": choice("mark", "oracle"),
    "liquidation_fee": number(0, 1, hi_open=True), "maker_fee": FEE, "taker_fee": number(0, 0.1),
    "spot_fee": number(0, 0.1), "partial_liquidation_above": number(0, lo_open=True, inf_ok=True),
    "partial_liquidation_fraction": number(0, 1, lo_open=True), "backstop_mm_fraction": number(0, 1),
    "funding_cap_per_hour": number(0, 1, lo_open=True), "integer_leverage": flag,
}


TIER_COLUMNS = ("floor", "cap", "mmr", "cum", "max_leverage")


def tier_table(extra_keys=()):
    """One ``[[tiers]]`` table: its keys by their rules, and its columns all of one length."""
    keys = table(TIER, extra_keys=extra_keys, required=("floor", "mmr", "max_leverage"))

    def rule(value, path):
        keys(value, path)
        lengths = {k: len(value[k]) for k in TIER_COLUMNS if k in value}
        if len(set(lengths.values())) > 1:
            raise Bad(path, "[[tiers]]", "floor, cap, mmr, cum and max_leverage must have one length each, got "
                      + ", ".join(f"{k} {n}" for k, n in lengths.items()))
    return rule


def check_venue_file(rules, where: str, builtin_keys=(), builtin_tier_keys=()) -> None:
    """A user venue file as a whole. Keys the built-in venue files use are known too (their readers
    check them), so a typo such as ``taker_fe`` is refused instead of silently ignored."""
    spec = dict(VENUE, tiers=list_of(tier_table(builtin_tier_keys)))
    check_table(rules, table(spec, extra_keys=builtin_keys), where)
