"""A slow, plain-Python reference simulator of the kernel's rules, written separately from it.

For tests only: one column, one path, no numba. It shares no code with ``engine/nb`` (the
liquidation price is found by bisection on equity - maintenance margin instead of the closed form)
so that agreement between the two is evidence, not tautology. Rules and their order per bar are
those documented in ``engine/nb/simulate.py`` and ``engine/nb/liquidation.py`` (no options; a cross
margin increase is cut to the initial margin the equity covers, an isolated one or a spot buy to
what cash pays: ``order_trimmed`` events; leverage above the tier maximum: ``leverage_capped``).
"""
import math

import numpy as np

FILL, FEE, FUNDING, LIQUIDATION, STOP, MARGIN, TRIMMED, CAPPED = 0, 1, 2, 3, 4, 5, 8, 9
SPOT, PERP = 0, 1


class ReferenceAccount:
    def __init__(self, *, tiers, rule, capital, perp_fee, spot_fee, half_spread, impact, impact_exp,
                 cross=False, partial_above=math.inf, partial_fraction=1.0, backstop=0.0, leverage=1.0,
                 liq_fee=0.0, whole_leverage=False):
        # tiers: list of (floor, cap, mmr, cum, max_lev); rule: "mm_at_liq" | "mm_at_entry" | "close_at_mark"
        self.tiers = [tuple(map(float, t)) for t in tiers]
        self.rule = rule
        self.liq_fee = liq_fee  # clearance fee rate on the notional at the trigger (Binance §1.3)
        self.cross = cross
        self.cash = float(capital)
        self.spot = 0.0
        self.qty = 0.0
        self.entry = 0.0
        self.margin = 0.0
        self.lev = leverage
        self.whole_leverage = whole_leverage  # the venue sets leverage in whole numbers (Hyperliquid)
        self.stop = 0.0
        self.perp_fee, self.spot_fee = perp_fee, spot_fee
        self.half_spread, self.impact, self.impact_exp = half_spread, impact, impact_exp
        self.partial_above, self.partial_fraction, self.backstop = partial_above, partial_fraction, backstop
        self.events = []  # (bar, kind, instrument, qty, price, amount)

    # --- margin -----------------------------------------------------------------------------
    def tier(self, notional):
        chosen = self.tiers[0]
        for t in self.tiers:
            if notional >= t[0]:
                chosen = t
        return chosen

    def mm(self, notional):
        t = self.tier(notional)
        return notional * t[2] - t[3] if notional > 0 else 0.0

    def wallet(self):
        return self.cash if self.cross else self.margin

    def liq_price(self):
        if self.qty == 0:
            return math.nan
        q, side = abs(self.qty), math.copysign(1.0, self.qty)
        if self.rule == "mm_at_entry":
            lp = self.entry - side * (self.wallet() - self.mm(q * self.entry)) / q
            return lp if lp > 0 else math.nan

        def f(p):  # equity - MM, increasing in p for a long, decreasing for a short
            return self.wallet() + side * q * (p - self.entry) - self.mm(q * p)
        lo, hi = 1e-9, self.entry * 1e6
        if side > 0 and f(lo) > 0:
            return math.nan
        if side < 0 and f(hi) > 0:
            return math.nan
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if (f(mid) > 0) == (side > 0):
                hi = mid
            else:
                lo = mid
        return 0.5 * (lo + hi)

    # --- orders -----------------------------------------------------------------------------
    def fill_price(self, ref, dq, volume):
        slip = self.half_spread
        if self.impact > 0:
            slip += self.impact * ((abs(dq) / volume) ** self.impact_exp if volume > 0 else 1.0)
        return ref * (1 + slip) if dq > 0 else ref * (1 - slip)

    def close_part(self, red, price):
        side = math.copysign(1.0, self.qty)
        aq = abs(self.qty)
        red = min(red, aq)
        pnl = side * red * (price - self.entry)
        if self.cross:
            self.cash += pnl
        else:
            rel = self.margin * red / aq
            self.margin -= rel
            self.cash += rel + pnl
        if aq - red <= 1e-12 * max(aq, 1.0):
            self.qty, self.entry, self.stop = 0.0, 0.0, 0.0
            self.cash += self.margin
            self.margin = 0.0
        else:
            self.qty = side * (aq - red)
        return pnl

    def cross_room(self, y, sign, fp, mark, spot_px, fee_paid):
        """Cross mode: equity minus initial margin once ``y`` more BTC is added at ``fp``."""
        qty = self.qty + sign * y
        entry = (abs(self.qty) * self.entry + y * fp) / abs(qty) if qty != 0 else 0.0
        equity = self.cash - fee_paid - y * fp * self.perp_fee + self.spot * spot_px + qty * (mark - entry)
        return equity - abs(qty) * mark / self.lev

    def perp_room(self, rest, sign, fp, traded, mark, spot_px):
        """How much of an increase of ``rest`` BTC at ``fp`` the account pays for."""
        if not self.cross:
            return min(rest, max(self.cash - traded * fp * self.perp_fee, 0.0) / (fp / self.lev + fp * self.perp_fee))
        if math.isnan(mark):
            return rest
        # equity after the order must cover |position| * mark / leverage; the room is
        # linear in the quantity added, so two evaluations find where it reaches zero
        paid = traded * fp * self.perp_fee
        r0 = self.cross_room(0.0, sign, fp, mark, spot_px, paid)
        r1 = self.cross_room(rest, sign, fp, mark, spot_px, paid)
        if r1 < 0:
            return 0.0 if r0 <= 0 else rest * r0 / (r0 - r1)
        return rest

    def trade_perp(self, bar, dq, ref, volume, kind=FILL, mark=math.nan, spot_px=math.nan):
        if abs(dq) <= 1e-12:
            return
        fp = self.fill_price(ref, dq, volume)
        pnl, traded, rest = 0.0, 0.0, abs(dq)
        if self.qty != 0 and (self.qty > 0) != (dq > 0):
            red = min(rest, abs(self.qty))
            pnl = self.close_part(red, fp)
            traded, rest = red, rest - red
        if rest > 1e-12:
            sign = math.copysign(1.0, dq)
            fill = self.perp_room(rest, sign, fp, traded, mark, spot_px)
            if fill < rest:
                if traded == 0 and fill > 1e-12:  # slippage on what trades: re-price the cut order
                    fp = self.fill_price(ref, sign * fill, volume)
                    fill = min(fill, self.perp_room(fill, sign, fp, traded, mark, spot_px))
                self.events.append((bar, TRIMMED, PERP, sign * (rest - fill), fp, 0.0))
                rest = fill
            if rest > 1e-12:
                aq = abs(self.qty)
                self.entry = fp if aq == 0 else (aq * self.entry + rest * fp) / (aq + rest)
                self.qty = math.copysign(aq + rest, dq)
                if not self.cross:
                    self.margin += rest * fp / self.lev
                    self.cash -= rest * fp / self.lev
                traded += rest
        if traded <= 1e-12:
            return
        fee = traded * fp * self.perp_fee
        self.cash -= fee
        self.events.append((bar, kind, PERP, math.copysign(traded, dq), fp, pnl))
        self.events.append((bar, FEE, PERP, 0.0, fp, -fee))

    def trade_spot(self, bar, target, ref, volume):
        dq = max(target, 0.0) - self.spot
        if abs(dq) <= 1e-12:
            return
        fp = self.fill_price(ref, dq, volume)
        if dq > 0:
            afford = max(self.cash, 0.0) / (fp * (1 + self.spot_fee))
            if dq > afford:
                if afford > 1e-12:  # slippage on what trades
                    fp = self.fill_price(ref, afford, volume)
                    afford = min(afford, max(self.cash, 0.0) / (fp * (1 + self.spot_fee)))
                self.events.append((bar, TRIMMED, SPOT, dq - afford, fp, 0.0))
                dq = afford
            if dq <= 1e-12:
                return
        fee = abs(dq) * fp * self.spot_fee
        self.spot += dq
        self.cash -= dq * fp + fee
        self.events.append((bar, FILL, SPOT, dq, fp, -dq * fp))
        self.events.append((bar, FEE, SPOT, 0.0, fp, -fee))

    # --- venue actions ----------------------------------------------------------------------
    def liquidate(self, bar, mark_open, extreme):
        while self.qty != 0:
            side = math.copysign(1.0, self.qty)
            lp = self.liq_price()
            if self.rule != "close_at_mark":
                bp = max(self.entry - side * self.wallet() / abs(self.qty), 0.0)
                # the account keeps the equity at the trigger above the clearance fee, when there is any
                price = mark_open if side * (mark_open - lp) <= 0 else lp
                rest = self.wallet() + self.qty * (price - self.entry) - self.liq_fee * abs(self.qty) * price
                if self.liq_fee > 0 and rest > 0:
                    bp += rest / self.qty
                q = self.qty
                pnl = self.close_part(abs(q), bp)
                self.cash = max(self.cash, 0.0) if self.cross else self.cash
                self.events.append((bar, LIQUIDATION, PERP, -q, bp, pnl))
                return
            if math.isnan(lp) or side * (extreme - lp) > 0:
                return
            price = mark_open if side * (mark_open - lp) <= 0 else lp
            equity = self.wallet() + self.qty * (price - self.entry)
            if equity < self.backstop * self.mm(abs(self.qty) * price) or equity <= 0:
                bp = max(self.entry - side * self.wallet() / abs(self.qty), 0.0)
                q = self.qty
                pnl = self.close_part(abs(q), bp)
                self.events.append((bar, LIQUIDATION, PERP, -q, bp, pnl))
                return
            part = abs(self.qty)
            if part * price > self.partial_above:
                part *= self.partial_fraction
                pnl = side * part * (price - self.entry)
                self.qty -= side * part
                if self.cross:
                    self.cash += pnl
                else:
                    self.margin += pnl
            else:
                pnl = self.close_part(part, price)
            self.events.append((bar, LIQUIDATION, PERP, -side * part, price, pnl))

    def triggers(self, bar, open_, mark_open, mark_low, mark_high, volume):
        if self.qty == 0:
            return
        side = math.copysign(1.0, self.qty)
        extreme = mark_low if side > 0 else mark_high
        lp = self.liq_price()
        liq = not math.isnan(lp) and side * (extreme - lp) <= 0
        stop = self.stop > 0 and side * (extreme - self.stop) <= 0
        if liq and stop:
            if side * (mark_open - lp) <= 0 or side * (self.stop - lp) <= 0:
                stop = False
            else:
                liq = False
        if stop:
            ref = open_ if side * (mark_open - self.stop) <= 0 else self.stop
            self.trade_perp(bar, -self.qty, ref, volume, STOP)
        elif liq:
            self.liquidate(bar, mark_open, extreme)

    def equity(self, spot_px, mark):
        return self.cash + self.spot * spot_px + self.margin + self.qty * (mark - self.entry)


def run_reference(market, orders, account: ReferenceAccount):
    """Run one column. ``orders[i]`` is None or a dict with any of perp, spot, leverage, stop, topup."""
    n = len(market.close)
    equity = np.empty(n)
    for i in range(n):
        rate = market.funding_rate[i]
        if not math.isnan(rate) and account.qty != 0:
            pay = -account.qty * market.funding_price[i] * rate
            if account.cross:
                account.cash += pay
            else:
                account.margin += pay
            account.events.append((i, FUNDING, PERP, account.qty, market.funding_price[i], pay))
        account.triggers(i, market.open[i], market.mark_open[i], market.mark_low[i], market.mark_high[i],
                         market.volume[i])
        o = orders[i]
        if o is not None:
            if "leverage" in o:
                tq = o.get("perp", account.qty)
                notional = max(abs(tq), abs(account.qty)) * market.mark_close[i]
                cap = account.tier(notional)[4]
                lev = min(o["leverage"], cap)
                if o["leverage"] > cap and cap != account.lev:
                    account.events.append((i, CAPPED, PERP, 0.0, cap, 0.0))
                if account.whole_leverage and lev != math.floor(lev):  # 7.5x asked: the venue sets 7x
                    whole = max(1.0, math.floor(lev))
                    if whole != account.lev:
                        account.events.append((i, CAPPED, PERP, 0.0, whole, 0.0))
                    lev = whole
                new_lev = lev != account.lev
                account.lev = lev
            else:
                new_lev = False
            if "spot" in o:
                account.trade_spot(i, o["spot"], market.index_close[i], market.volume[i])
            if "perp" in o:
                account.trade_perp(i, o["perp"] - account.qty, market.close[i], market.volume[i],
                                   mark=market.mark_close[i], spot_px=market.index_close[i])
            if new_lev and account.qty != 0 and not account.cross:
                # after the orders: margin = position now held * mark / new leverage, from cash as far as it goes;
                # Bybit's margins are on the entry value (spec §2), so its IM is position * entry / leverage
                price = account.entry if account.rule == "mm_at_entry" else market.mark_close[i]
                delta = min(abs(account.qty) * price / account.lev - account.margin, max(account.cash, 0.0))
                if delta != 0:
                    account.margin += delta
                    account.cash -= delta
                    account.events.append((i, MARGIN, PERP, 0.0, delta, 0.0))  # qty 0, USD moved in price
            if "stop" in o:
                account.stop = o["stop"] if account.qty != 0 else 0.0
        equity[i] = account.equity(market.index_close[i], market.mark_close[i])
    return equity, account.events
