"""Each liquidation explained in words: the one text the page (``section``) and the terminal (``lines``) show.

A ``LiquidationStory`` holds one liquidation's margin account (``reports/liquidation_account.py``) and
what re-simulating the run found it would have needed to survive (``runner/survival.py``); the runner
attaches the stories to the run's ``RunRecord.liquidation_stories``. ``words`` turns one story into
sentences; both outputs print exactly those sentences.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .liquidation_account import LiquidationAccount
from .sections import esc


@dataclass(frozen=True)
class Survival:
    """Re-simulated answers (None: no candidate survived). scope 'end': no liquidation from the entry to
    the end of the run; 'this': only through this liquidation."""
    extra_margin: int | None          # USD, the smallest found (1 USD less was simulated and liquidated)
    extra_margin_scope: str
    extra_margin_tried_up_to: float   # USD, the largest amount simulated
    leverage: float | None            # the highest whole leverage that survived (1x more was liquidated)
    leverage_scope: str
    leverage_used: float
    runs: int                         # columns re-simulated


@dataclass(frozen=True)
class LiquidationStory:
    run: str
    account: LiquidationAccount
    survival: Survival | None
    run_end: pd.Timestamp             # the run's last bar (open)
    survival_note: str = ""           # why ``survival`` is None, said in its place


def _usd(x: float) -> str:
    return f"{x:,.2f}" if abs(x) >= 0.005 else "0.00"


def _signed(x: float) -> str:
    return ("+" if x >= 0.005 else "-" if x <= -0.005 else "") + _usd(abs(x))


def _lev(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) < 1e-9 else f"{x:.2f}"


def _t(t: pd.Timestamp) -> str:
    return f"{pd.Timestamp(t):%Y-%m-%d %H:%M}"


def words(story: LiquidationStory) -> list[str]:
    """The liquidation in sentences: entry, what ate the margin (USD, adding up), the trigger, and what
    would have survived. Amounts are USD, prices USD per BTC, times UTC (bar opens, as events.csv)."""
    a, s = story.account, story.survival
    side = "long" if a.side > 0 else "short"
    wallet = "isolated margin" if a.mode == "isolated" else "cross wallet (the account's cash; spot is not collateral)"
    out = [f"{story.run}: liquidated in the bar opening {_t(a.liq_time)} UTC, {side} {a.qty:,.4f} BTC "
           f"({a.mode} margin)."]
    posted = a.entry_qty * a.entry_price / a.leverage if a.mode == "isolated" else math.nan
    resized = (f" ({a.entry_qty:,.4f} x {_usd(a.entry_price)} / {a.leverage:g} = {_usd(posted)}, re-sized at the "
               f"close to the mark: {_signed(a.margin_at_entry - posted)})"
               if a.mode == "isolated" and abs(a.margin_at_entry - posted) >= 0.005 else "")
    lev = (f"{_lev(a.leverage)}x isolated: margin posted {_usd(a.margin_at_entry)} USD{resized}" if a.mode == "isolated" else
           (f"{_lev(a.leverage)}x the cross wallet" if math.isfinite(a.leverage) else "the cross wallet")
           + f" of {_usd(a.margin_at_entry)} USD before the entry bar's orders")
    out.append(f"Entry: {_t(a.entry_time)} UTC, {side} {a.entry_qty:,.4f} BTC at {_usd(a.entry_price)} "
               f"(notional {_usd(a.entry_qty * a.entry_price)} USD), {lev}; maintenance margin then "
               f"{_usd(a.mm_at_entry)} USD ({a.mmr_at_entry * 100:.2f} % tier), liquidation price "
               f"{_usd(a.liq_price_at_entry)}.")
    p = a.parts
    fees = (f"fees {_signed(p['fees'])}" if a.mode == "cross" else
            f"fees 0.00 (isolated: the position's {_usd(a.fees_from_cash)} USD of trading fees came from free cash)")
    trades = ("position added to / reduced" if a.mode == "isolated" else "spot and option cash flows")
    out.append(f"What ate the margin, entry to trigger (USD): {wallet} at entry {_usd(a.margin_at_entry)}; "
               f"funding {_signed(p['funding'])}; {fees}; margin moved in/out {_signed(p['margin moved'])}; "
               f"{trades} {_signed(p['trades'])}; mark move from the entry price to the trigger price "
               f"{_usd(a.trigger_price)}: {_signed(p['mark move'])}; = margin balance at the trigger {_usd(a.balance_at_trigger)} "
               f"(the maintenance margin there: {_usd(a.mm_at_trigger)}, {a.mmr_at_trigger * 100:.2f} % tier).")
    if abs(p["funding"]) >= 0.005:
        drift = ("drained" if p["funding"] < 0 else "added")
        out.append(f"The liquidation price moved from {_usd(a.liq_price_at_entry)} at entry to {_usd(a.liq_price)}: "
                   f"funding {drift} {_usd(abs(p['funding']))} USD {'from' if p['funding'] < 0 else 'to'} the "
                   f"{'isolated margin' if a.mode == 'isolated' else 'wallet'} (with it given back, same position: "
                   f"{_usd(a.liq_price_no_funding)}).")
    extreme = "low" if a.side > 0 else "high"
    if a.gapped:
        trig = (f"Trigger: the mark opened at {_usd(a.mark_open)}, already through the liquidation price "
                f"{_usd(a.liq_price)}: triggered at the open")
    else:
        trig = (f"Trigger: the bar's mark went from {_usd(a.mark_open)} (open) to {_usd(a.mark_extreme)} "
                f"({extreme}), through the liquidation price {_usd(a.liq_price)}")
    taken = (f"taken over at the bankruptcy price {_usd(a.taken_at)} (margin + PnL = 0; the price in events.csv)"
             if abs(a.taken_at - a.bankruptcy_price) <= 1e-6 * a.bankruptcy_price else
             f"closed at {_usd(a.taken_at)} (bankruptcy price {_usd(a.bankruptcy_price)})")
    back = ""
    if a.steps > 1:
        back = f"; a partial liquidation: {a.steps} steps in that bar, the first shown"
    elif not math.isnan(a.returned):
        back = (f"; the venue kept the {_usd(a.venue_kept)} USD left at the trigger, {_usd(a.returned)} USD "
                f"came back to the account")
    out.append(f"{trig}; {taken}{back}.")
    if s is not None:
        out.append(survival_words(s, story.run_end))
    elif story.survival_note:
        out.append(story.survival_note)
    return out


def survival_words(s: Survival, run_end: pd.Timestamp) -> str:
    """'Would have survived ...': both answers, how far they survive and how they were found."""
    end = f"to the end of the run ({_t(run_end)} UTC)"

    def scope(sc: str) -> str:
        return end if sc == "end" else "this liquidation, not to the end of the run"
    same = s.extra_margin is not None and s.leverage is not None and s.extra_margin_scope == s.leverage_scope
    if s.extra_margin is not None:
        margin = (f"with {s.extra_margin:,} USD more margin posted at entry"
                  + ("" if same else f", survives {scope(s.extra_margin_scope)}")
                  + f" ({s.extra_margin - 1:,} USD more is still liquidated)")
    else:
        margin = f"no extra margin up to {s.extra_margin_tried_up_to:,.0f} USD survives"
    if s.leverage is not None:
        lev = (f"at {s.leverage:g}x leverage instead of {_lev(s.leverage_used)}x (the same margin, a smaller position"
               + (f"; {s.leverage + 1:g}x is liquidated" if s.leverage + 1 < s.leverage_used else "") + ")"
               + ("" if same else f", survives {scope(s.leverage_scope)}"))
    elif not math.isfinite(s.leverage_used):
        lev = "no leverage to lower (the wallet was empty at entry)"
    elif s.leverage_used > 1:
        lev = "no whole leverage down to 1x survives"
    else:
        lev = "it already ran at 1x"
    head = f"Would have survived {scope(s.extra_margin_scope)} " if same else "Would have survived: "
    return f"{head}{margin}, or {lev}; found by running the same strategy again ({s.runs} runs)."


def stories(runs) -> list[LiquidationStory]:
    """The stories of ``runs`` (RunRecords), in order; none for a sweep's summary-only runs."""
    if not isinstance(runs, (list, tuple)):
        return []
    return [st for r in runs for st in (getattr(r, "liquidation_stories", None) or [])]


def lines(runs) -> list[str]:
    """The terminal's lines: each story's sentences, the first flush, the rest indented."""
    out = []
    for st in stories(runs):
        w = words(st)
        out.append(w[0])
        out.extend("  " + x for x in w[1:])
    return out + [""] if out else out


def section(runs) -> str:
    """The page's explainer inside the liquidations section ("" when no liquidation was explained)."""
    items = []
    for st in stories(runs):
        w = words(st)
        items.append(f"<div class='liq-story' data-run='{esc(st.run)}'><p><b>{esc(w[0])}</b></p><ul>"
                     + "".join(f"<li>{esc(x)}</li>" for x in w[1:]) + "</ul></div>")
    if not items:
        return ""
    return ("<div id='liquidation-explained'><h3>Each liquidation explained</h3>"
            "<p class='note'>USD amounts add up: the margin at entry plus each part equals the margin balance "
            "at the trigger price. The survival figures come from running the same strategy again.</p>"
            + "".join(items) + "</div>")
