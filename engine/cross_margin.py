"""Liquidation prices of the positions of one cross-margin account (several coins on one wallet).

Binance USDⓈ-M cross (adl-and-margin.md §5): maintenance margin per position, summed without netting,
``MM_i = |Q_i| * mark_i * MMR_i - cum_i`` (the bracket of the notional); the account is liquidated when
``sum MM_i / (WB + sum uPnL_i)`` reaches 100 %. With every other position at its mark, position 1's
liquidation price is

    LP_1 = (WB - TMM_1 + UPNL_1 + cum_1 - s_1 * Q_1 * EP_1) / (Q_1 * MMR_1 - s_1 * Q_1)

TMM_1 and UPNL_1 over the *other* positions, MMR_1 and cum_1 from the bracket that holds the notional at
LP_1 (tried bracket by bracket: ``nb/margin.liq_price_linear_nb``, the kernel's own code path). Bybit's
rule (MM on the entry value) and Hyperliquid's (MM at the liquidation price, closed at the mark) go
through the same function with the venue's rule, as for one position.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hedgelab.core.errors import UserError
from hedgelab.engine.nb.margin import liq_price_linear_nb, maint_margin_nb
from hedgelab.engine.nb.records import LiqRule
from hedgelab.engine.venues import base_coin, load_venue


@dataclass(frozen=True)
class Position:
    symbol: str          # exchange or ccxt symbol (ETHUSDT, ETH/USDT:USDT) or a base coin
    side: str            # "long" | "short"
    qty: float           # coins, > 0
    entry: float         # USD
    mark: float | None = None   # USD, the position's mark now (None: its entry)


def cross_liquidation_prices(venue: str, wallet: float, positions: list[Position], *, at: Any = None) -> dict:
    """Each position's liquidation price given the others at their marks, the account's maintenance
    margin, unrealized PnL and margin ratio (sum MM / (wallet + sum uPnL)); venue tables valid ``at``."""
    if not np.isfinite(wallet) or wallet < 0:
        raise UserError(f"--wallet {wallet!r}: the cross wallet balance must be a finite number of USD >= 0")
    if not positions:
        raise UserError("--position: give at least one position (SYMBOL:long|short:QTY@ENTRY)")
    seen = set()
    rows: list[dict[str, Any]] = []
    for p in positions:
        coin = base_coin(p.symbol)
        if coin in seen:
            raise UserError(f"--position {p.symbol}: {coin} is given twice (one-way mode holds one position per coin)")
        seen.add(coin)
        v = load_venue(venue, at=at, symbol=coin)
        if v.inverse:
            raise UserError(f"venue {v.id!r} is an inverse perp: the cross calculator takes linear perps only")
        mark = p.entry if p.mark is None else p.mark
        side = {"long": 1.0, "short": -1.0}.get(p.side)
        if side is None:
            raise UserError(f"--position {p.symbol}: side must be long or short, got {p.side!r}")
        for name, value in (("qty", p.qty), ("entry", p.entry), ("mark", mark)):
            if not np.isfinite(value) or value <= 0 or value > 1e12:
                raise UserError(f"--position {p.symbol}: {name} must be a positive number, got {value!r}")
        rule = int(v.liq_rule)
        notional = p.qty * (p.entry if rule == LiqRule.MM_AT_ENTRY else mark)
        rows.append({"symbol": p.symbol, "coin": coin, "side": p.side, "s": side, "qty": p.qty, "entry": p.entry,
                     "mark": mark, "rule": rule, "tiers": v.tiers, "venue": v.id,
                     "mm": float(maint_margin_nb(v.tiers, notional)), "upnl": side * p.qty * (mark - p.entry)})
    total_mm = sum(r["mm"] for r in rows)
    total_upnl = sum(r["upnl"] for r in rows)
    out = []
    for r in rows:
        lp, mmr, cum = liq_price_linear_nb(r["rule"], r["s"], r["qty"], r["entry"], wallet,
                                           total_mm - r["mm"], total_upnl - r["upnl"], r["tiers"])
        out.append({"symbol": r["symbol"], "coin": r["coin"], "side": r["side"], "qty": r["qty"], "entry": r["entry"],
                    "mark": r["mark"], "maintenance_margin": r["mm"], "unrealized_pnl": r["upnl"],
                    "liquidation_price": None if lp != lp else float(lp),
                    "mmr_at_liquidation": None if mmr != mmr else float(mmr),
                    "cum_at_liquidation": None if cum != cum else float(cum)})
    balance = wallet + total_upnl
    ratio = (total_mm / balance if balance > 0 else float("inf")) if total_mm > 0 else 0.0
    return {"venue": rows[0]["venue"], "wallet": float(wallet), "maintenance_margin": total_mm,
            "unrealized_pnl": total_upnl, "margin_ratio": ratio, "positions": out}
